/* test_mcap_import.c - `purr import` of MCAP files written by @mcap/core
 * (tests/oracles/mcap-write.mjs) against the shipped scene scenes/pet.yaml,
 * then `purr replay` of the recording: chunked, unchunked, without a
 * summary, zstd and lz4 chunks, a JSON channel; a changed byte in a chunk,
 * a truncated file, a topic the file lacks (found at open with a summary,
 * at the end without one). */
#include "oracle.h"
#include "purr_cmd.h"
#include "purr_test.h"

#include <purr/recorder.h>
#include <stdlib.h>
#include <string.h>

static char dir[256];

static void
setup(void)
{
    purr_cmd_dir_make(dir, sizeof dir, "purr_test_mcap_import", NULL);
}

static void
teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)system(cmd);
}

TestSuite(mcap_import, .init = setup, .fini = teardown);

static void
oracle_mcap(const char *name, const char *opts)
{
    char args[800], out[64];
    snprintf(args, sizeof args, "'%s/%s' %s", dir, name, opts);
    cr_assert_eq(purr_oracle_run("mcap-write.mjs", args, out, sizeof out), 0);
}

static void
write_file(const char *name, const char *text)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static const char pet_map[] = "values:\n"
                              "  /battery_state.percentage: battery\n"
                              "  /touch.data: touched\n"
                              "  /light.range: light\n";

/* The transitions of value name in the recording dir/db: count, and the
 * datum and time of each into the arrays (up to 64). */
static int
transitions(const char *db, const char *name, purr_datum *d, purr_time *t)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", dir, db);
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    int n = 0;
    while (purr_recording_iter_next(&it, &diag) == 0)
        if (strcmp(it.value->name, name) == 0 && n < 64) {
            d[n] = purr_datum_copy(&it.datum);
            t[n++] = it.time_ns;
        }
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
    return n;
}

/* Imports dir/log with dir/map.yaml against pet.yaml, checks the
 * recording against mcap-write.mjs's formula, and replays it. */
static void
import_pet(const char *log, bool json)
{
    char args[1200], o[4096], e[4096];
    snprintf(args, sizeof args,
             "import %s -o out.db --force --scene '%s/scenes/pet.yaml' "
             "--map map.yaml",
             log, PURR_SOURCE_DIR);
    int st = purr_cmd_in(dir, args, o, sizeof o, e, sizeof e);
    cr_assert_eq(st, 0, "exit %d: %s", st, e);
    /* Listed once, in the file's channel order. */
    const char *skipped = json ? "3 topics not in the map, skipped: "
                                 "/battery_state, /cmd_vel, /touch\n"
                               : "1 topic not in the map, skipped: /cmd_vel\n";
    const char *at = strstr(e, skipped);
    cr_assert(at, "%s", e);
    cr_assert(!strstr(at + strlen(skipped), "skipped"), "%s", e);
    purr_datum d[64];
    purr_time t[64];
    if (!json) {
        /* battery = 60 - i/2 at i * 250 ms; step 0 equals the initial 60
         * (no transition). */
        int n = transitions("out.db", "battery", d, t);
        cr_assert_eq(n, 19);
        for (int i = 1; i < 20; i++) {
            cr_assert_eq(t[i - 1], i * 250 * PURR_MS);
            cr_assert_eq(d[i - 1].u.d, (double)(float)(60.0 - i / 2.0));
        }
        /* touched: false at 0 (no transition), true at 1 s, false at 2 s,
         * true at 3 s, false at 4 s. */
        n = transitions("out.db", "touched", d, t);
        cr_assert_eq(n, 4);
        for (int k = 0; k < 4; k++) {
            cr_assert_eq(t[k], (k + 1) * PURR_S);
            cr_assert_eq(d[k].u.b, k % 2 == 0);
        }
        n = transitions("out.db", "light", d, t);
        cr_assert_eq(n, 10);
        cr_assert_eq(d[9].u.d, 118.0);
        cr_assert_eq(t[9], 18 * 250 * PURR_MS);
    } else {
        /* light = lux = 100 + i (JSON integers, made doubles); touched =
         * ok = i even. */
        int n = transitions("out.db", "light", d, t);
        cr_assert_eq(n, 20);
        cr_assert_eq(d[19].type, PURR_T_DOUBLE);
        cr_assert_eq(d[19].u.d, 119.0);
        n = transitions("out.db", "touched", d, t);
        cr_assert_eq(n, 20);
        cr_assert_eq(d[0].u.b, true);
        cr_assert_eq(d[1].u.b, false);
        for (int i = 0; i < n; i++)
            purr_datum_free(&d[i]);
    }
    /* The recording replays against the scene's behaviours. */
    st = purr_cmd_in(dir, "replay out.db --record base.db --force", o,
                     sizeof o, e, sizeof e);
    cr_assert_eq(st, 0, "replay exit %d: %s", st, e);
}

Test(mcap_import, chunked)
{
    oracle_mcap("a.mcap", "--chunk-size 1500");
    write_file("map.yaml", pet_map);
    import_pet("a.mcap", false);
}

Test(mcap_import, unchunked)
{
    oracle_mcap("b.mcap", "--no-chunks");
    write_file("map.yaml", pet_map);
    import_pet("b.mcap", false);
}

Test(mcap_import, no_summary)
{
    oracle_mcap("c.mcap", "--no-summary --chunk-size 1500");
    write_file("map.yaml", pet_map);
    import_pet("c.mcap", false);
}

Test(mcap_import, zstd_and_lz4)
{
    oracle_mcap("z.mcap", "--compression zstd --chunk-size 1500");
    write_file("map.yaml", pet_map);
    import_pet("z.mcap", false);
    oracle_mcap("l.mcap", "--compression lz4 --chunk-size 1500");
    import_pet("l.mcap", false);
}

Test(mcap_import, json_channel)
{
    oracle_mcap("j.mcap", "--json");
    write_file("map.yaml", "values:\n  /lux.lux: light\n  /lux.ok: touched\n"
                           "  /light.range: battery\n  /touch.data: docked\n");
    /* docked is not an input of pet.yaml: the map says so. */
    char o[4096], e[4096];
    char args[800];
    snprintf(args, sizeof args,
             "import j.mcap -o j.db --scene '%s/scenes/pet.yaml' "
             "--map map.yaml", PURR_SOURCE_DIR);
    cr_assert_eq(purr_cmd_in(dir, args, o, sizeof o, e, sizeof e), 2);
    cr_assert(strstr(e, "map.yaml:5:"), "%s", e);
    write_file("map.yaml", "values:\n  /lux.lux: light\n  /lux.ok: touched\n"
                           "  /light.range: battery\n");
    import_pet("j.mcap", true);
    /* A JSON field that is not there is named, with the message number. */
    write_file("map.yaml", "values:\n  /lux.room.n[2]: light\n");
    cr_assert_eq(purr_cmd_in(dir, args, o, sizeof o, e, sizeof e), 2);
    cr_assert(strstr(e, "purr: j.mcap:5: /lux: no element 2 of 'n' in this "
                        "message (field path 'room.n[2]')"),
              "%s", e);
}

/* Changes one byte inside the first chunk (after its header). */
static void
corrupt_first_chunk(const char *name, size_t *chunk_off)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r+b");
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    size_t off = 8;
    while (off + 9 < n && buf[off] != 0x06) {
        uint64_t len = 0;
        for (int i = 7; i >= 0; i--)
            len = len << 8 | buf[off + 1 + i];
        off += 9 + len;
    }
    cr_assert(off + 300 < n);
    buf[off + 250] ^= 0x01;
    fseek(f, (long)(off + 250), SEEK_SET);
    fwrite(&buf[off + 250], 1, 1, f);
    fclose(f);
    *chunk_off = off;
}

Test(mcap_import, changed_byte_in_a_chunk_is_refused)
{
    oracle_mcap("x.mcap", "");
    size_t off;
    corrupt_first_chunk("x.mcap", &off);
    write_file("map.yaml", pet_map);
    char args[800], o[4096], e[4096], want[200];
    snprintf(args, sizeof args,
             "import x.mcap -o out.db --scene '%s/scenes/pet.yaml' "
             "--map map.yaml", PURR_SOURCE_DIR);
    cr_assert_eq(purr_cmd_in(dir, args, o, sizeof o, e, sizeof e), 2, "%s", e);
    snprintf(want, sizeof want, "purr: x.mcap: offset %zu: chunk CRC "
             "mismatch", off);
    cr_assert(strstr(e, want), "%s\nwant: %s", e, want);
    char path[400];
    snprintf(path, sizeof path, "%s/out.db", dir);
    cr_assert(access(path, F_OK) != 0, "no output after a refused import");
}

Test(mcap_import, truncated_file_is_refused)
{
    oracle_mcap("t.mcap", "");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "truncate -s 3000 '%s/t.mcap'", dir);
    cr_assert_eq(system(cmd), 0);
    write_file("map.yaml", pet_map);
    char args[800], o[4096], e[4096];
    snprintf(args, sizeof args,
             "import t.mcap -o out.db --scene '%s/scenes/pet.yaml' "
             "--map map.yaml", PURR_SOURCE_DIR);
    cr_assert_eq(purr_cmd_in(dir, args, o, sizeof o, e, sizeof e), 2);
    cr_assert(strstr(e, "purr: t.mcap: offset 2992: no MCAP magic at the end: "
                        "the file is truncated"),
              "%s", e);
}

Test(mcap_import, topic_not_in_the_file)
{
    write_file("map.yaml", "values:\n  /touch.data: touched\n"
                           "  /bumper.data: light\n");
    char args[800], o[4096], e[4096];
    /* With a summary: at open; without: when the file has been read. */
    oracle_mcap("s.mcap", "");
    oracle_mcap("n.mcap", "--no-summary");
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args,
                 "import %s -o out.db --scene '%s/scenes/pet.yaml' "
                 "--map map.yaml", k ? "n.mcap" : "s.mcap", PURR_SOURCE_DIR);
        cr_assert_eq(purr_cmd_in(dir, args, o, sizeof o, e, sizeof e), 2);
        cr_assert(strstr(e, "purr: map.yaml:3:3: '/bumper.data' names a "
                            "topic not in"),
                  "%s", e);
    }
}

Test(mcap_import, format_from_the_first_bytes)
{
    oracle_mcap("log.bin", "");
    write_file("map.yaml", pet_map);
    char args[800], o[4096], e[4096];
    snprintf(args, sizeof args,
             "import log.bin -o out.db --scene '%s/scenes/pet.yaml' "
             "--map map.yaml", PURR_SOURCE_DIR);
    cr_assert_eq(purr_cmd_in(dir, args, o, sizeof o, e, sizeof e), 0, "%s", e);
    snprintf(args, sizeof args,
             "import log.bin -o out2.db --format rosbag2 "
             "--scene '%s/scenes/pet.yaml' --map map.yaml", PURR_SOURCE_DIR);
    cr_assert_eq(purr_cmd_in(dir, args, o, sizeof o, e, sizeof e), 2);
    cr_assert(strstr(e, "not a rosbag2 file (not SQLite)"), "%s", e);
}

/* A FIFO or a directory named like a log is refused before it is read
 * (opening a FIFO must not wait for a writer). */
Test(mcap_import, not_a_regular_file)
{
    write_file("map.yaml", pet_map);
    char cmd[1000];
    snprintf(cmd, sizeof cmd, "mkfifo %s/f.mcap %s/f.db3 && mkdir %s/d.mcap",
             dir, dir, dir);
    cr_assert_eq(system(cmd), 0);
    const char *logs[] = {"f.mcap", "f.db3", "d.mcap"};
    for (int k = 0; k < 3; k++) {
        char args[800], o[4096], e[4096], want[200];
        snprintf(args, sizeof args,
                 "import %s -o out.db --scene '%s/scenes/pet.yaml' "
                 "--map map.yaml", logs[k], PURR_SOURCE_DIR);
        cr_assert_eq(purr_cmd_in(dir, args, o, sizeof o, e, sizeof e), 2);
        snprintf(want, sizeof want, "purr: %s: not a regular file", logs[k]);
        cr_assert(strstr(e, want), "%s", e);
    }
}
