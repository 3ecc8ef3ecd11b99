/* test_import_map.c - the import map file: a logger's own column names
 * mapped to inputs, its time column and format; and every mistake in a
 * map refused at MAP:LINE:COL. */
#include "import_test.h"

/* Writes the map text as DIR/map.yaml; opts->map_path points at it. */
static void
with_map(purr_import_options *o, const char *text)
{
    static char path[256];
    it_write(path, sizeof path, "map.yaml", text, strlen(text));
    o->map_path = path;
}

Test(import_map, maps_a_loggers_columns)
{
    char db[256], rows[4096], meta[64];
    purr_import_options o = {0};
    with_map(&o, "# a logger's names\n"
                 "time: {column: stamp, format: ms, epoch: true}\n"
                 "max_gap: 10s\n"
                 "values:\n"
                 "  batt_pct: battery\n"
                 "  bump: bumper\n");
    purr_diag d;
    int rc = it_import("m.csv",
                       "seq,stamp,batt_pct,bump,ticks\n"
                       "1,1733407392000,99,0,5\n"
                       "2,1733407392250,98.5,1,\n"
                       "3,1733407395000,,no,6\n",
                       &o, db, sizeof db, &d);
    cr_assert_eq(rc, 0, "%s:%ld:%ld: %s", d.file, d.line, d.column,
                 d.message);
    it_rows(db, rows, sizeof rows);
    /* ticks is not in the map but named like an input: taken too. */
    cr_assert_str_eq(rows, "0 battery 99.0\n"
                           "0 ticks 5\n"
                           "250000000 battery 98.5\n"
                           "250000000 bumper true\n"
                           "3000000000 bumper false\n"
                           "3000000000 ticks 6\n");
    cr_assert_str_eq(it_meta(db, "start_epoch_ns", meta, sizeof meta),
                     "1733407392000000000");
    cr_assert(strstr(it_notes, "skipped 1 column (not an input, not in "
                               "the map): seq"), "%s", it_notes);
    /* The map's max_gap holds, and the flag wins over it. */
    purr_import_options g = o;
    g.max_gap_ns = 2 * PURR_S;
    it_expect_bad("m2.csv", "stamp,batt_pct,bump\n0,1,0\n2001,2,0\n", &g, 3, 1,
                  "larger than max_gap");
}

/* A map error names the map file, its line and column. */
static void
bad_map(const char *map, const char *log, long line, long col,
        const char *msg)
{
    char db[256], mp[256];
    purr_import_options o = {0};
    with_map(&o, map);
    snprintf(mp, sizeof mp, "%s", o.map_path);
    purr_diag d;
    int rc = it_import("b.csv", log, &o, db, sizeof db, &d);
    cr_assert_lt(rc, 0, "imported with map: %s", map);
    cr_assert_str_eq(d.file, mp, "%s", d.message);
    cr_assert_eq(d.line, line, "line %ld: %s", d.line, d.message);
    cr_assert_eq(d.column, col, "column %ld: %s", d.column, d.message);
    cr_assert(strstr(d.message, msg), "\"%s\" lacks \"%s\"", d.message, msg);
    cr_assert_neq(access(db, F_OK), 0);
}

Test(import_map, errors_name_the_map_line_and_column)
{
    const char *log = "stamp,batt_pct\n0,1\n";
    bad_map("time: stamp\nvalue:\n  batt_pct: battery\n", log, 2, 1,
            "unknown key 'value' (expected time, max_gap, values)");
    bad_map("time: {column: stamp, zone: utc}\n", log, 1, 23,
            "unknown key 'zone' in time");
    bad_map("time: {column: stamp, format: minutes}\n", log, 1, 31,
            "time format 'minutes' is not one of");
    bad_map("time: {column: stamp, epoch: maybe}\n", log, 1, 30,
            "epoch: expected true or false");
    bad_map("max_gap: soon\n", log, 1, 10, "max_gap: expected a duration");
    bad_map("values:\n  batt_pct: motor\n", log, 2, 13,
            "'motor' is not an input of scene test.yaml");
    bad_map("values:\n  batt_pct: battery\n  batt_pct: ticks\n", log, 3, 3,
            "'batt_pct' is mapped twice");
    bad_map("values: [battery]\n", log, 1, 9, "values: expected a mapping");
    bad_map("- time\n", log, 1, 1, "a map file is a mapping");
    bad_map("time: {column: [a]}\n", log, 1, 16, "expected a plain value");
    bad_map("values:\n  batt: battery\n", log, 2, 3,
            "'batt' is not a column of");
    bad_map("time: {column: when}\nvalues:\n  batt_pct: battery\n", log, 1,
            16, "time column 'when' is not in");
    bad_map("values:\n  stamp: battery\n", log, 2, 3,
            "column 'stamp' is the time column");
    bad_map("values: {a: b\n", log, 2, 1, "");
}

Test(import_map, empty_or_missing_map)
{
    char db[256];
    purr_import_options o = {0};
    with_map(&o, "");
    purr_diag d;
    cr_assert_lt(it_import("e.csv", "time,ticks\n0,1\n", &o, db, sizeof db,
                           &d), 0);
    cr_assert(strstr(d.message, "empty map file"), "%s", d.message);
    o.map_path = "/nonexistent/map.yaml";
    purr_assert_err(it_import("e.csv", "time,ticks\n0,1\n", &o, db,
                              sizeof db, &d), PURR_ENOENT);
    cr_assert_str_eq(d.file, "/nonexistent/map.yaml");
}
