/* test_plugin.c - plug-ins: a good one registers and runs; each bad one is
 * refused with a one-line diag naming the file and leaves the registry as
 * it was; loading a file twice is a no-op; a scene's `load:` is resolved
 * against the scene file's directory; the listing names and hashes what
 * was loaded. The plug-ins are the MODULE libraries of tests/sim/plugins/,
 * and this program exports purr's API the way the purr executable must
 * (purr_host_plugins in sim/CMakeLists.txt). Criterion runs each test in
 * its own process, so each starts with an empty plug-in list. */
#define _GNU_SOURCE /* nftw */
#include "sim_int.h"
#include "sim_test.h"

#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

/* good.c is also linked in here, as a program links behaviours it does not
 * load: its PURR_BEHAVIOURS must not get in the way. */
extern const purr_sim_plugin_info purr_sim_plugin_entry;

/* ---- helpers ----------------------------------------------------------- */

/* A fresh temporary directory (static buffer, one per test). */
static const char *
temp_dir(void)
{
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/purr-plugin-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    return dir;
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Removes a temp_dir and everything in it (links, not their targets). */
static void
remove_dir(const char *dir)
{
    nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Writes text to dir/name; returns the path (heap: free it). */
static char *
write_file(const char *dir, const char *name, const char *text)
{
    char *path = malloc(PATH_MAX);
    snprintf(path, PATH_MAX, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* The FNV-1a 64 of the file's bytes, computed independently. */
static uint64_t
file_hash(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    uint64_t h = 0xcbf29ce484222325u;
    int c;
    while ((c = fgetc(f)) != EOF) {
        h ^= (unsigned char)c;
        h *= 0x100000001b3u;
    }
    fclose(f);
    return h;
}

/* The registry's names, to compare before and after a failed load. */
static char *
registry_names(void)
{
    static char names[2][512];
    static int which;
    which ^= 1;
    purr_sim_registered_names(names[which], sizeof names[which]);
    return names[which];
}

/* Asserts that loading path fails with want and a one-line diag naming
 * path whose message is exactly msg, and that nothing changed. */
static void
assert_refused(const char *path, int want, const char *msg)
{
    char *before = registry_names();
    size_t count = purr_sim_plugin_count();
    purr_diag d = {0};
    purr_assert_err(purr_sim_plugin_load(path, &d), want);
    cr_assert_str_eq(d.file, path);
    cr_assert_str_eq(d.message, msg);
    cr_assert_null(strchr(d.message, '\n'));
    cr_assert_str_eq(registry_names(), before);
    cr_assert_eq(purr_sim_plugin_count(), count);
}

/* Runs scene and returns the final value of the int output "plugged". */
static int64_t
run_plugged(const purr_scene *sc)
{
    purr_sim *sim = purr_sim_new(sc, NULL);
    purr_diag d = {0};
    cr_assert_not_null(sim);
    purr_assert_ok(purr_sim_run(sim, &d));
    purr_value *v = purr_sim_find(sim, "plugged");
    cr_assert_not_null(v);
    cr_assert_eq(purr_value_changed_at(v), 2 * PURR_S);
    int64_t got = purr_datum_as_int(purr_value_peek(v));
    purr_sim_free(sim);
    return got;
}

static const char good_scene[] = "name: plugged\n"
                                 "duration: 10s\n"
                                 "behaviours:\n"
                                 "  - name: plug-good\n"
                                 "    params: {value: 7, after: 2s}\n";

/* ---- a good plug-in ---------------------------------------------------- */

Test(plugin, good_one_registers_and_runs)
{
    purr_diag d = {0};
    cr_assert_not(purr_sim_is_registered("plug-good"));
    purr_assert_ok(purr_sim_plugin_load(PLUG_GOOD, &d));
    cr_assert(purr_sim_is_registered("plug-good"));

    purr_scene *sc = NULL;
    purr_assert_ok(sim_test_load(good_scene, &sc, &d));
    cr_assert_eq(run_plugged(sc), 7);
    purr_scene_free(sc);
}

Test(plugin, listing_names_path_hash_and_behaviours)
{
    purr_diag d = {0};
    char real[PATH_MAX];
    cr_assert_eq(purr_sim_plugin_count(), 0);
    cr_assert_null(purr_sim_plugin_at(0));
    purr_assert_ok(purr_sim_plugin_load(PLUG_GOOD, &d));
    cr_assert_eq(purr_sim_plugin_count(), 1);
    const purr_sim_plugin *p = purr_sim_plugin_at(0);
    cr_assert_not_null(p);
    cr_assert_str_eq(p->name, "libplug_good.so");
    cr_assert_not_null(realpath(PLUG_GOOD, real));
    cr_assert_str_eq(p->path, real);
    cr_assert_eq(p->hash, file_hash(PLUG_GOOD), "%016" PRIx64, p->hash);
    cr_assert_eq(p->behaviour_count, 1);
    cr_assert_str_eq(p->behaviours[0], "plug-good");
    cr_assert_null(purr_sim_plugin_at(1));
}

Test(plugin, loading_the_same_file_twice_is_a_no_op)
{
    const char *dir = temp_dir();
    char link[PATH_MAX];
    snprintf(link, sizeof link, "%s/other-name.so", dir);
    cr_assert_eq(symlink(PLUG_GOOD, link), 0);
    purr_diag d = {0};
    purr_assert_ok(purr_sim_plugin_load(PLUG_GOOD, &d));
    purr_assert_ok(purr_sim_plugin_load(PLUG_GOOD, &d));
    purr_assert_ok(purr_sim_plugin_load(link, &d)); /* same file */
    cr_assert_eq(purr_sim_plugin_count(), 1);
    cr_assert_str_eq(purr_sim_plugin_at(0)->name, "libplug_good.so");
    remove_dir(dir);
}

Test(plugin, same_source_links_statically)
{
    /* This program holds good.c's PURR_BEHAVIOURS: it calls the
     * registration function itself, as a static test binary does. */
    cr_assert_eq(purr_sim_plugin_entry.abi_version, PURR_SIM_ABI_VERSION);
    purr_assert_ok(purr_sim_plugin_entry.register_fn());
    cr_assert(purr_sim_is_registered("plug-good"));
    /* The plug-in of the same source now clashes with the program's. */
    assert_refused(PLUG_GOOD, PURR_EFORMAT,
                   "behaviour 'plug-good' is already registered (built in)");
}

/* ---- refusals ---------------------------------------------------------- */

Test(plugin, missing_file)
{
    assert_refused("/nonexistent/libnothing.so", PURR_ENOENT,
                   "cannot open the plug-in: No such file or directory");
}

Test(plugin, not_a_shared_object)
{
    const char *dir = temp_dir();
    char *path = write_file(dir, "x.so", "not a shared object\nat all\n");
    char *before = registry_names();
    purr_diag d = {0};
    purr_assert_err(purr_sim_plugin_load(path, &d), PURR_EFORMAT);
    cr_assert_str_eq(d.file, path);
    /* dlerror's text, on one line, without the path glibc prefixes. */
    cr_assert(strncmp(d.message, "cannot load the plug-in: ", 25) == 0, "%s",
              d.message);
    cr_assert_null(strchr(d.message, '\n'));
    cr_assert_null(strstr(d.message, path), "%s", d.message);
    cr_assert_str_eq(registry_names(), before);
    cr_assert_eq(purr_sim_plugin_count(), 0);
    remove_dir(dir);
    free(path);
}

Test(plugin, no_registration_symbol)
{
    assert_refused(PLUG_NOSYM, PURR_EFORMAT,
                   "not a purr plug-in: no purr_sim_plugin_entry symbol "
                   "(PURR_BEHAVIOURS)");
}

Test(plugin, another_abi_version)
{
    char msg[200];
    snprintf(msg, sizeof msg,
             "built for purr plug-in ABI %d; this purr (%s) supports ABI %d: "
             "rebuild it",
             PURR_SIM_ABI_VERSION + 100, purr_version_string(),
             PURR_SIM_ABI_VERSION);
    assert_refused(PLUG_BADABI, PURR_EFORMAT, msg);
}

Test(plugin, name_taken_by_another_plugin)
{
    purr_diag d = {0};
    char msg[PATH_MAX + 100], real[PATH_MAX];
    purr_assert_ok(purr_sim_plugin_load(PLUG_GOOD, &d));
    cr_assert_not_null(realpath(PLUG_GOOD, real));
    snprintf(msg, sizeof msg,
             "behaviour 'plug-good' is already registered by plug-in %s", real);
    /* It registered "plug-fresh" first: taken back. */
    assert_refused(PLUG_CLASH, PURR_EFORMAT, msg);
    cr_assert_not(purr_sim_is_registered("plug-fresh"));
    cr_assert(purr_sim_is_registered("plug-good"));
}

static int
host_task(purr_sim_ctx *ctx)
{
    (void)ctx;
    return 0;
}

Test(plugin, name_taken_by_the_program)
{
    purr_assert_ok(purr_sim_register("host-beh", NULL, host_task));
    assert_refused(PLUG_HOST_CLASH, PURR_EFORMAT,
                   "behaviour 'host-beh' is already registered (built in)");
    cr_assert_not(purr_sim_is_registered("plug-fresh"));
}

Test(plugin, name_registered_twice)
{
    assert_refused(PLUG_TWICE, PURR_EFORMAT,
                   "behaviour 'plug-fresh' is registered twice by this "
                   "plug-in");
    cr_assert_not(purr_sim_is_registered("plug-fresh"));
    /* Refused loads are not remembered: it fails the same way again. */
    assert_refused(PLUG_TWICE, PURR_EFORMAT,
                   "behaviour 'plug-fresh' is registered twice by this "
                   "plug-in");
}

Test(plugin, registers_nothing)
{
    assert_refused(PLUG_EMPTY, PURR_EFORMAT,
                   "the plug-in registered no behaviour (does it link its "
                   "own copy of purr?)");
}

Test(plugin, unresolved_purr_symbol)
{
    purr_diag d = {0};
    purr_assert_err(purr_sim_plugin_load(PLUG_UNDEF, &d), PURR_EFORMAT);
    cr_assert_str_eq(d.file, PLUG_UNDEF);
    cr_assert(strstr(d.message, "undefined symbol: purr_sim_no_such_function"),
              "%s", d.message);
    cr_assert(strstr(d.message, "(does the program export purr's API?)"), "%s",
              d.message);
    cr_assert_eq(purr_sim_plugin_count(), 0);
}

Test(plugin, null_path_is_invalid)
{
    purr_assert_err(purr_sim_plugin_load(NULL, NULL), PURR_EINVAL);
}

/* ---- the scene's load: key --------------------------------------------- */

/* A temporary directory holding plugins/libplug_good.so (a link to the
 * built plug-in) and, later, the scene. */
static const char *
scene_dir(void)
{
    const char *dir = temp_dir();
    char sub[128], link[256];
    snprintf(sub, sizeof sub, "%s/plugins", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    snprintf(link, sizeof link, "%s/libplug_good.so", sub);
    cr_assert_eq(symlink(PLUG_GOOD, link), 0);
    return dir;
}

Test(plugin, scene_load_relative_to_the_scene)
{
    const char *dir = scene_dir();
    char *path = write_file(dir, "scene.yaml",
                            "name: plugged\n"
                            "duration: 10s\n"
                            "load: plugins/libplug_good.so\n"
                            "behaviours:\n"
                            "  - name: plug-good\n"
                            "    params: {value: 7, after: 2s}\n");
    purr_scene *sc = NULL;
    purr_diag d = {0};
    purr_assert_ok(purr_scene_load(path, &sc, &d));
    cr_assert_eq(sc->load_count, 1);
    char want[PATH_MAX], real[PATH_MAX];
    snprintf(want, sizeof want, "%s/plugins/libplug_good.so", dir);
    cr_assert_str_eq(sc->loads[0], want);
    cr_assert_eq(run_plugged(sc), 7);
    cr_assert_eq(purr_sim_plugin_count(), 1);
    cr_assert_not_null(realpath(PLUG_GOOD, real));
    cr_assert_str_eq(purr_sim_plugin_at(0)->path, real);
    purr_scene_free(sc);
    remove_dir(dir);
    free(path);
}

Test(plugin, scene_load_list_after_an_explicit_load)
{
    /* purr run --load x.so with a scene that loads x.so too. */
    const char *dir = scene_dir();
    char text[PATH_MAX * 2], file[PATH_MAX];
    snprintf(text, sizeof text,
             "name: plugged\n"
             "duration: 10s\n"
             "load: [plugins/libplug_good.so, %s]\n"
             "behaviours:\n"
             "  - name: plug-good\n"
             "    params: {value: 9, after: 2s}\n",
             PLUG_GOOD);
    snprintf(file, sizeof file, "%s/scene.yaml", dir); /* never written */
    purr_diag d = {0};
    purr_assert_ok(purr_sim_plugin_load(PLUG_GOOD, &d));
    purr_scene *sc = NULL;
    purr_assert_ok(purr_scene_parse(text, strlen(text), file, &sc, &d));
    cr_assert_eq(sc->load_count, 2);
    cr_assert_str_eq(sc->loads[1], PLUG_GOOD); /* absolute: as it is */
    cr_assert_eq(purr_sim_plugin_count(), 1);
    cr_assert_eq(run_plugged(sc), 9);
    purr_scene_free(sc);
    remove_dir(dir);
}

Test(plugin, scene_load_errors_at_the_entry)
{
    const char *dir = scene_dir();
    char *junk = write_file(dir, "x.so", "not a shared object\n");
    char *path = write_file(dir, "scene.yaml",
                            "name: plugged\n"
                            "duration: 10s\n"
                            "load:\n"
                            "  - plugins/libplug_good.so\n"
                            "  - missing.so\n"
                            "behaviours: [plug-good]\n");
    purr_scene *sc = NULL;
    purr_diag d = {0};
    char msg[PATH_MAX + 100];
    purr_assert_err(purr_scene_load(path, &sc, &d), PURR_ENOENT);
    cr_assert_null(sc);
    cr_assert_str_eq(d.file, path);
    cr_assert(d.line == 5 && d.column == 5, "%ld:%ld", d.line, d.column);
    snprintf(msg, sizeof msg,
             "plug-in %s/missing.so: cannot open the plug-in: No such file "
             "or directory",
             dir);
    cr_assert_str_eq(d.message, msg);

    char *bad = write_file(dir, "bad.yaml",
                           "name: plugged\n"
                           "duration: 10s\n"
                           "load: x.so\n");
    purr_assert_err(purr_scene_load(bad, &sc, &d), PURR_EFORMAT);
    cr_assert(d.line == 3 && d.column == 7, "%ld:%ld", d.line, d.column);
    snprintf(msg, sizeof msg,
             "plug-in %s/x.so: cannot load the plug-in: ", dir);
    cr_assert(strncmp(d.message, msg, strlen(msg)) == 0, "%s", d.message);
    remove_dir(dir);
    free(junk);
    free(path);
    free(bad);
}

Test(plugin, scene_load_shapes)
{
    sim_assert_error("name: x\nduration: 1s\nload: {a: b}\n", 3, 7,
                     "expected a plug-in path or a list of them for 'load', "
                     "got a mapping");
    sim_assert_error("name: x\nduration: 1s\nload: [[a]]\n", 3, 8,
                     "expected a scalar for 'load', got a list");
    sim_assert_error("name: x\nduration: 1s\nload: ['']\n", 3, 8,
                     "expected a plug-in path for 'load', got ''");
    /* Without the load, the behaviour is unknown. */
    purr_scene *sc = NULL;
    purr_diag d = {0};
    purr_assert_err(sim_test_load(good_scene, &sc, &d), PURR_EFORMAT);
    cr_assert(strncmp(d.message, "unknown behaviour 'plug-good'", 29) == 0,
              "%s", d.message);
}

Test(plugin, fuzzer_parse_loads_nothing)
{
    /* What tests/fuzz/fuzz_scene.c calls: `load:` is parsed and resolved,
     * never dlopened. */
    static const char text[] = "name: x\n"
                               "duration: 1s\n"
                               "load: [" PLUG_GOOD ", rel.so]\n";
    purr_scene *sc = NULL;
    purr_diag d = {0};
    purr_assert_ok(purr_scene_parse_flags(text, strlen(text), "dir/fuzz.yaml",
                                     PURR_SCENE_NO_LOAD, &sc, &d));
    cr_assert_eq(sc->load_count, 2);
    cr_assert_str_eq(sc->loads[1], "dir/rel.so");
    cr_assert_eq(purr_sim_plugin_count(), 0);
    cr_assert_not(purr_sim_is_registered("plug-good"));
    purr_scene_free(sc);
}
