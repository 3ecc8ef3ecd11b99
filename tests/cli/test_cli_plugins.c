/* test_cli_plugins.c - plug-ins through the stock `purr`: --load and a
 * scene's load: key, the plug-ins a recording names, replay loading them
 * again (and saying when one changed), and every bad plug-in refused with
 * one line naming the file and exit status 2.
 *
 * The plug-ins are tests/sim/plugins/ (PLUG_GOOD registers "plug-good",
 * which sets the int output "plugged" to its parameter value after 1 s).
 * Each test works in a directory of its own under /tmp. */
#include "purr_test.h"
#include "purr_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void
make_dir(void)
{
    purr_cmd_dir_make(dir, sizeof dir, "purr-cli-plugins", "sub");
}

static void
remove_dir(void)
{
    purr_cmd_dir_remove(dir);
}

TestSuite(cli_plugins, .init = make_dir, .fini = remove_dir);

/* Runs `cd DIR && purr ARGS`; stdout and stderr into out and err. Returns
 * the exit status. */
static int
purr(const char *args, char *out, size_t out_cap, char *err, size_t err_cap)
{
    return purr_cmd_in(dir, args, out, out_cap, err, err_cap);
}

/* Runs a shell command in DIR; asserts it succeeded. */
static void
sh(const char *fmt, const char *a, const char *b)
{
    char body[1024], cmd[1200];
    snprintf(body, sizeof body, fmt, a, b);
    snprintf(cmd, sizeof cmd, "cd %s && %s", dir, body);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static size_t
lines(const char *s)
{
    return purr_count_lines(s);
}

/* Writes text to DIR/name. */
static void
write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* A scene running the plug-in's behaviour, with an expectation on its
 * output (so a run without the plug-in's code could not pass). */
#define GOOD_SCENE                                                             \
    "name: plugged\nduration: 10s\n%s"                                         \
    "sensors:\n  - {name: tick, type: bool, model: constant, value: false}\n" \
    "behaviours:\n  - {name: plug-good, params: {value: 7}}\n"                \
    "expect:\n  - eventually: {then: \"plugged == 7\"}\n"

static void
scene(const char *name, const char *load_line)
{
    char text[1024];
    snprintf(text, sizeof text, GOOD_SCENE, load_line);
    write_file(name, text);
}

Test(cli_plugins, load_runs_records_and_replays)
{
    char out[8192], err[2048];
    scene("s.yaml", "");
    sh("cp '%s' libgood.so%s", PLUG_GOOD, "");
    /* Without the plug-in the behaviour is unknown: bad input. */
    cr_assert_eq(purr("run -q s.yaml", out, sizeof out, err, sizeof err), 2);
    cr_assert_eq(lines(err), 1, "%s", err);
    cr_assert(strstr(err, "plug-good"), "%s", err);
    cr_assert_eq(purr("run -q --load ./libgood.so --record a.db s.yaml", out,
                      sizeof out, err, sizeof err),
                 0, "%s%s", out, err);
    /* The recording names the plug-in: name, hash, canonical path. */
    sh("sqlite3 a.db \"SELECT value FROM run WHERE key = 'plugins'\" "
       "> plugins.txt && grep -q '^libgood.so [0-9a-f]\\{16\\} %s/libgood.so$' "
       "plugins.txt%s",
       dir, "");
    /* Replay loads it again by itself, from another directory too. */
    cr_assert_eq(purr("replay --check a.db", out, sizeof out, err,
                      sizeof err),
                 0, "%s%s", out, err);
    cr_assert_str_eq(err, "");
    cr_assert_eq(purr("replay --check ../purr-cli-plugins.*/a.db", out,
                      sizeof out, err, sizeof err),
                 0, "%s%s", out, err);
}

/* A field log imported against a scene whose behaviour lives in a
 * plug-in: import needs the scene's sensors only, so it works without the
 * plug-in; the replay then runs the behaviour with --load and judges the
 * expectation. */
Test(cli_plugins, import_needs_no_plugin)
{
    char out[8192], err[2048];
    scene("s.yaml", "");
    sh("cp '%s' libgood.so%s", PLUG_GOOD, "");
    write_file("log.csv", "time,tick\n0,0\n2.5,1\n4,0\n");
    cr_assert_eq(purr("import log.csv -o field.db --scene s.yaml", out,
                      sizeof out, err, sizeof err),
                 0, "%s%s", out, err);
    /* Without its code the behaviour cannot run: one line, exit 2. */
    cr_assert_eq(purr("replay field.db", out, sizeof out, err, sizeof err), 2,
                 "%s%s", out, err);
    cr_assert(strstr(err, "plug-good"), "%s", err);
    cr_assert_eq(purr("replay field.db --load ./libgood.so", out, sizeof out,
                      err, sizeof err),
                 0, "%s%s", out, err);
    cr_assert(strstr(out, "PASS  eventually: plugged == 7"), "%s", out);
}

Test(cli_plugins, changed_or_missing_plugin_is_said)
{
    char out[8192], err[2048];
    scene("s.yaml", "");
    sh("cp '%s' libgood.so%s", PLUG_GOOD, "");
    cr_assert_eq(purr("run -q --load ./libgood.so --record a.db s.yaml", out,
                      sizeof out, err, sizeof err),
                 0, "%s%s", out, err);
    /* The same code in another file (a byte appended: another hash). */
    sh("printf x >> libgood.so%s%s", "", "");
    cr_assert_eq(purr("replay --check a.db", out, sizeof out, err,
                      sizeof err),
                 0, "%s%s", out, err);
    cr_assert(strstr(err, "note: plug-in libgood.so"), "%s", err);
    cr_assert(strstr(err, "differs"), "%s", err);
    /* Given with --load instead, the difference is said too. */
    sh("cp libgood.so sub/libgood.so%s%s", "", "");
    cr_assert_eq(purr("replay --check --load sub/libgood.so a.db", out,
                      sizeof out, err, sizeof err),
                 0, "%s%s", out, err);
    cr_assert(strstr(err, "differs"), "%s", err);
    /* Gone: bad input naming it and the way through (--load). */
    sh("rm libgood.so%s%s", "", "");
    cr_assert_eq(purr("replay --check a.db", out, sizeof out, err,
                      sizeof err),
                 2);
    cr_assert_eq(lines(err), 1, "%s", err);
    cr_assert(strstr(err, "a.db") && strstr(err, "libgood.so") &&
                  strstr(err, "--load"),
              "%s", err);
    cr_assert_eq(purr("replay --check --load sub/libgood.so a.db", out,
                      sizeof out, err, sizeof err),
                 0, "%s%s", out, err);
}

Test(cli_plugins, scene_load_key_relative_to_the_scene)
{
    char out[8192], err[2048];
    sh("cp '%s' sub/libgood.so%s", PLUG_GOOD, "");
    scene("sub/s.yaml", "load: libgood.so\n");
    cr_assert_eq(purr("run -q --record b.db sub/s.yaml", out, sizeof out,
                      err, sizeof err),
                 0, "%s%s", out, err);
    cr_assert_eq(purr("replay --check b.db", out, sizeof out, err,
                      sizeof err),
                 0, "%s%s", out, err);
}

/* Every bad plug-in, by --load and by load:, is one line naming the file,
 * exit status 2. */
Test(cli_plugins, bad_plugins_exit_2_with_one_line)
{
    char out[8192], err[2048], args[1024];
    scene("s.yaml", "");
    write_file("text.so", "not an ELF file\n");
    struct {
        const char *path, *says;
    } bad[] = {
        {"missing.so", "missing.so"},
        {"text.so", "text.so"},
        {PLUG_NOSYM, "libplug_nosym.so"},
        {PLUG_BADABI, "libplug_badabi.so"},
        {PLUG_EMPTY, "libplug_empty.so"},
        {PLUG_UNDEF, "libplug_undef.so"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(args, sizeof args, "run -q --load %s s.yaml", bad[i].path);
        cr_assert_eq(purr(args, out, sizeof out, err, sizeof err), 2, "%s: %s",
                     bad[i].path, err);
        cr_assert_eq(lines(err), 1, "%s: %s", bad[i].path, err);
        cr_assert(strstr(err, bad[i].says), "%s: %s", bad[i].path, err);
        cr_assert_str_eq(out, "");
        /* The same through the scene's load: key: at its line. */
        char line[600];
        snprintf(line, sizeof line, "load: %s\n", bad[i].path);
        scene("l.yaml", line);
        cr_assert_eq(purr("run -q l.yaml", out, sizeof out, err, sizeof err),
                     2, "%s: %s", bad[i].path, err);
        cr_assert_eq(lines(err), 1, "%s: %s", bad[i].path, err);
        cr_assert(strstr(err, "l.yaml:3:"), "%s: %s", bad[i].path, err);
        cr_assert(strstr(err, bad[i].says), "%s: %s", bad[i].path, err);
    }
    /* A behaviour name registered twice: by a plug-in, or one the stock
     * purr has ("pet"). */
    snprintf(args, sizeof args, "run -q --load %s --load %s s.yaml",
             PLUG_GOOD, PLUG_CLASH);
    cr_assert_eq(purr(args, out, sizeof out, err, sizeof err), 2, "%s", err);
    cr_assert_eq(lines(err), 1, "%s", err);
    cr_assert(strstr(err, "libplug_clash.so") && strstr(err, "plug-good"),
              "%s", err);
    snprintf(args, sizeof args, "run -q --load %s s.yaml", PLUG_PET);
    cr_assert_eq(purr(args, out, sizeof out, err, sizeof err), 2, "%s", err);
    cr_assert_eq(lines(err), 1, "%s", err);
    cr_assert(strstr(err, "'pet'") || strstr(err, "pet"), "%s", err);
    /* A --load without its file is a usage error. */
    cr_assert_eq(purr("run -q s.yaml --load", out, sizeof out, err,
                      sizeof err),
                 2);
    cr_assert_eq(lines(err), 1, "%s", err);
}
