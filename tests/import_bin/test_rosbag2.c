/* test_rosbag2.c - `purr import` of rosbag2 .db3 files: one bag per
 * storage schema version (1 to 4, made here with SQLite the way each
 * rosbag2 version makes its tables), filled with CDR messages written by
 * the oracle (tests/oracles/cdr-write.mjs), imported through the purr
 * executable and read back from the recording. Every built-in message type
 * and field path shape, both endiannesses, the schema-4 message
 * definitions, with and without the timestamp index; and the errors (an
 * unknown type, a topic the bag lacks, a field its type lacks) as one line
 * naming the map's line and column. */
#include "oracle.h"
#include "purr_cmd.h"
#include "purr_test.h"

#include <purr/recorder.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static char dir[256];

/* The scene: one input of each type per field the map names. */
static const char scene[] =
    "name: bin\nseed: 1\nduration: 10s\nsensors:\n"
    "  - {name: bat, type: double, model: constant, value: 0}\n"
    "  - {name: cell, type: double, model: constant, value: 0}\n"
    "  - {name: frame, type: string, model: constant, value: \"\"}\n"
    "  - {name: sec, type: int, model: constant, value: 0}\n"
    "  - {name: touch, type: bool, model: constant, value: false}\n"
    "  - {name: range, type: double, model: constant, value: 0}\n"
    "  - {name: vx, type: double, model: constant, value: 0}\n"
    "  - {name: wz, type: double, model: constant, value: 0}\n"
    "  - {name: i8, type: int, model: constant, value: 0}\n"
    "  - {name: u8, type: int, model: constant, value: 0}\n"
    "  - {name: i16, type: int, model: constant, value: 0}\n"
    "  - {name: u16, type: int, model: constant, value: 0}\n"
    "  - {name: i32, type: int, model: constant, value: 0}\n"
    "  - {name: u32, type: int, model: constant, value: 0}\n"
    "  - {name: i64, type: int, model: constant, value: 0}\n"
    "  - {name: u64, type: int, model: constant, value: 0}\n"
    "  - {name: f32, type: double, model: constant, value: 0}\n"
    "  - {name: f64, type: double, model: constant, value: 0}\n"
    "  - {name: str, type: string, model: constant, value: \"\"}\n"
    "  - {name: cx, type: double, model: constant, value: 0}\n"
    "  - {name: cid, type: int, model: constant, value: 0}\n";

static const char map_common[] =
    "values:\n"
    "  /battery_state.percentage: bat\n"
    "  /battery_state.cell_voltage[1]: cell\n"
    "  /battery_state.header.frame_id: frame\n"
    "  /battery_state.header.stamp.sec: sec\n"
    "  /touch.data: touch\n"
    "  /range.range: range\n"
    "  /cmd_vel.linear.x: vx\n"
    "  /cmd_vel.angular.z: wz\n"
    "  /i8.data: i8\n  /u8.data: u8\n  /i16.data: i16\n  /u16.data: u16\n"
    "  /i32.data: i32\n  /u32.data: u32\n  /i64.data: i64\n  /u64.data: u64\n"
    "  /f32.data: f32\n  /f64.data: f64\n  /str.data: str\n";

/* The bag's topics: name, type, the oracle's message, its time (ms after
 * the epoch second 1700000000). Inserted in the reverse order of their
 * times, so the import must order them. */
static const struct msg {
    const char *topic, *type, *file;
    int ms;
} msgs[] = {
    {"/battery_state", "sensor_msgs/msg/BatteryState", "battery", 10},
    {"/touch", "std_msgs/msg/Bool", "bool", 20},
    {"/range", "sensor_msgs/msg/Range", "range", 30},
    {"/cmd_vel", "geometry_msgs/msg/Twist", "twist", 40},
    {"/i8", "std_msgs/msg/Int8", "int8", 50},
    {"/u8", "std_msgs/msg/UInt8", "uint8", 60},
    {"/i16", "std_msgs/msg/Int16", "int16", 70},
    {"/u16", "std_msgs/msg/UInt16", "uint16", 80},
    {"/i32", "std_msgs/msg/Int32", "int32", 90},
    {"/u32", "std_msgs/msg/UInt32", "uint32", 100},
    {"/i64", "std_msgs/msg/Int64", "int64", 110},
    {"/u64", "std_msgs/msg/UInt64", "uint64", 120},
    {"/f32", "std_msgs/msg/Float32", "float32", 130},
    {"/f64", "std_msgs/msg/Float64", "float64", 140},
    {"/str", "std_msgs/msg/String", "string", 150},
    /* big endian, later on the same topics */
    {"/battery_state", "sensor_msgs/msg/BatteryState", "battery_be", 200},
    {"/cmd_vel", "geometry_msgs/msg/Twist", "twist_be", 210},
    /* a topic the map does not name, of a type purr does not know */
    {"/rosout", "rcl_interfaces/msg/Log", NULL, 5},
};
#define NMSGS (sizeof msgs / sizeof msgs[0])

static void
setup(void)
{
    purr_cmd_dir_make(dir, sizeof dir, "purr_test_rosbag2", "cdr");
    char args[300], out[4096];
    snprintf(args, sizeof args, "'%s/cdr'", dir);
    cr_assert_eq(purr_oracle_run("cdr-write.mjs", args, out, sizeof out), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/bin.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs(scene, f);
    fclose(f);
}

static void
teardown(void)
{
    if (getenv("PURR_TEST_KEEP"))
        return;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)system(cmd);
}

TestSuite(rosbag2, .init = setup, .fini = teardown);

static void
exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK, "%s: %s",
                 sql, err ? err : "");
}

static void *
slurp(const char *name, int *len)
{
    char path[400];
    snprintf(path, sizeof path, "%s/cdr/%s.cdr", dir, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    void *buf = malloc(65536);
    *len = (int)fread(buf, 1, 65536, f);
    fclose(f);
    return buf;
}

static const char custom_msg[] =
    "int32[3] ids   # a fixed array\nstring name\nfloat64 x\n";

/* Makes dir/NAME.db3 with rosbag2's tables of schema version `version`
 * (and its timestamp index when index). custom adds /custom, whose type
 * only the file's message_definitions define (version 4). */
static const char *
make_bag_at(const char *name, int version, bool index, bool custom,
            int shift_ms, int id_base)
{
    static char path[400];
    snprintf(path, sizeof path, "%s/%s.db3", dir, name);
    remove(path);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    exec(db, "BEGIN");
    if (version >= 3) {
        exec(db, "CREATE TABLE schema(schema_version INTEGER PRIMARY KEY,"
                 "ros_distro TEXT NOT NULL);");
        exec(db, "CREATE TABLE metadata(id INTEGER PRIMARY KEY,"
                 "metadata_version INTEGER NOT NULL, metadata TEXT NOT NULL);");
        char sql[200];
        snprintf(sql, sizeof sql, "INSERT INTO schema VALUES (%d, '%s');",
                 version, version == 3 ? "humble" : "jazzy");
        exec(db, sql);
        exec(db, "INSERT INTO metadata(metadata_version, metadata) VALUES "
                 "(9, 'rosbag2_bagfile_information:\n  version: 9\n');");
    }
    if (version >= 4) {
        exec(db, "CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT NOT "
                 "NULL, type TEXT NOT NULL, serialization_format TEXT NOT "
                 "NULL, offered_qos_profiles TEXT NOT NULL, "
                 "type_description_hash TEXT NOT NULL);");
        exec(db, "CREATE TABLE message_definitions(id INTEGER PRIMARY KEY, "
                 "topic_type TEXT NOT NULL, encoding TEXT NOT NULL, "
                 "encoded_message_definition TEXT NOT NULL, "
                 "type_description_hash TEXT NOT NULL);");
    } else if (version >= 2) {
        exec(db, "CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT NOT "
                 "NULL, type TEXT NOT NULL, serialization_format TEXT NOT "
                 "NULL, offered_qos_profiles TEXT NOT NULL);");
    } else {
        exec(db, "CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT NOT "
                 "NULL, type TEXT NOT NULL, serialization_format TEXT NOT "
                 "NULL);");
    }
    exec(db, "CREATE TABLE messages(id INTEGER PRIMARY KEY, topic_id INTEGER "
             "NOT NULL, timestamp INTEGER NOT NULL, data BLOB NOT NULL);");
    if (index)
        exec(db, "CREATE INDEX timestamp_idx ON messages (timestamp ASC);");

    sqlite3_stmt *tst, *mst;
    const char *tsql =
        version >= 4 ? "INSERT INTO topics VALUES (?, ?, ?, 'cdr', '', "
                       "'RIHS01_00')"
        : version >= 2 ? "INSERT INTO topics VALUES (?, ?, ?, 'cdr', '')"
                       : "INSERT INTO topics VALUES (?, ?, ?, 'cdr')";
    cr_assert_eq(sqlite3_prepare_v2(db, tsql, -1, &tst, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "INSERT INTO messages(topic_id, "
                                        "timestamp, data) VALUES (?, ?, ?)",
                                    -1, &mst, NULL),
                 SQLITE_OK);
    /* Topics get ids in first-appearance order. */
    const char *names[NMSGS + 1];
    int ntopics = 0;
    int ids[NMSGS + 1];
    for (size_t i = 0; i < NMSGS; i++) {
        int id = 0;
        for (int k = 0; k < ntopics; k++)
            if (strcmp(names[k], msgs[i].topic) == 0)
                id = id_base + k + 1;
        if (!id) {
            names[ntopics++] = msgs[i].topic;
            id = id_base + ntopics;
            sqlite3_bind_int(tst, 1, id);
            sqlite3_bind_text(tst, 2, msgs[i].topic, -1, SQLITE_STATIC);
            sqlite3_bind_text(tst, 3, msgs[i].type, -1, SQLITE_STATIC);
            cr_assert_eq(sqlite3_step(tst), SQLITE_DONE);
            sqlite3_reset(tst);
        }
        ids[i] = id;
    }
    int custom_id = id_base + ntopics + 1;
    if (custom) {
        sqlite3_bind_int(tst, 1, custom_id);
        sqlite3_bind_text(tst, 2, "/custom", -1, SQLITE_STATIC);
        sqlite3_bind_text(tst, 3, "purr_test/msg/Custom", -1, SQLITE_STATIC);
        cr_assert_eq(sqlite3_step(tst), SQLITE_DONE);
        sqlite3_reset(tst);
        if (version >= 4) {
            char sql[400];
            snprintf(sql, sizeof sql,
                     "INSERT INTO message_definitions(topic_type, encoding, "
                     "encoded_message_definition, type_description_hash) "
                     "VALUES ('purr_test/msg/Custom', 'ros2msg', '%s', '')",
                     custom_msg);
            exec(db, sql);
        }
    }
    for (size_t j = NMSGS + (custom ? 1 : 0); j-- > 0;) {
        int len = 1;
        void *data;
        int64_t t = 1700000000LL * 1000000000LL;
        if (j == NMSGS) {
            data = slurp("custom", &len);
            sqlite3_bind_int(mst, 1, custom_id);
            t += 300 * 1000000LL;
        } else {
            data = msgs[j].file ? slurp(msgs[j].file, &len) : strdup("x");
            sqlite3_bind_int(mst, 1, ids[j]);
            t += (msgs[j].ms + shift_ms) * 1000000LL;
        }
        sqlite3_bind_int64(mst, 2, t);
        sqlite3_bind_blob(mst, 3, data, len, SQLITE_TRANSIENT);
        cr_assert_eq(sqlite3_step(mst), SQLITE_DONE);
        sqlite3_reset(mst);
        free(data);
    }
    sqlite3_finalize(tst);
    sqlite3_finalize(mst);
    exec(db, "COMMIT");
    sqlite3_close(db);
    return path;
}

static const char *
make_bag(const char *name, int version, bool index, bool custom)
{
    return make_bag_at(name, version, index, custom, 0, 0);
}

static void
write_map(const char *name, const char *text)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* The last datum of value name in the recording at path, and how many
 * transitions it had (*n). */
static purr_datum
last_of(const char *path, const char *name, int *n)
{
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    purr_datum last = purr_datum_nil();
    *n = 0;
    while (purr_recording_iter_next(&it, &diag) == 0)
        if (strcmp(it.value->name, name) == 0) {
            purr_datum_free(&last);
            last = purr_datum_copy(&it.datum);
            (*n)++;
        }
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
    return last;
}

static void
expect(const char *db, const char *name, purr_datum want, int count)
{
    int n;
    purr_datum got = last_of(db, name, &n);
    char g[100], w[100];
    purr_datum_format(&got, g, sizeof g);
    purr_datum_format(&want, w, sizeof w);
    cr_assert(purr_datum_equal(&got, &want), "%s: %s, want %s", name, g, w);
    cr_assert_eq(n, count, "%s: %d transitions, want %d", name, n, count);
    purr_datum_free(&got);
    purr_datum_free(&want);
}

/* Imports bag with map.yaml into NAME.db and checks every input. */
static void
import_and_check(const char *bag, const char *out, int version, bool custom)
{
    char args[1200], o[4096], e[4096];
    snprintf(args, sizeof args,
             "import '%s' -o %s.db --scene bin.yaml --map map.yaml", bag, out);
    int st = purr_cmd_in(dir, args, o, sizeof o, e, sizeof e);
    cr_assert_eq(st, 0, "exit %d: %s", st, e);
    /* The version was told from the tables; /rosout was skipped, once. */
    char want[100];
    snprintf(want, sizeof want, "schema version %d ", version);
    cr_assert(strstr(e, want), "%s", e);
    cr_assert(strstr(e, "1 topic not in the map, skipped: /rosout"), "%s", e);
    char db[400];
    snprintf(db, sizeof db, "%s/%s.db", dir, out);
    expect(db, "bat", purr_datum_double(0.25), 2); /* 0.87f, then BE 0.25 */
    expect(db, "cell", purr_datum_double((double)3.75f), 1);
    expect(db, "frame", purr_datum_string("base_link"), 1);
    expect(db, "sec", purr_datum_int(1700000000), 1);
    expect(db, "touch", purr_datum_bool(true), 1);
    expect(db, "range", purr_datum_double(1.25), 1);
    expect(db, "vx", purr_datum_double(0.5), 1); /* LE and BE the same */
    expect(db, "wz", purr_datum_double(-1.25), 1);
    expect(db, "i8", purr_datum_int(-5), 1);
    expect(db, "u8", purr_datum_int(250), 1);
    expect(db, "i16", purr_datum_int(-30000), 1);
    expect(db, "u16", purr_datum_int(65000), 1);
    expect(db, "i32", purr_datum_int(-2000000000), 1);
    expect(db, "u32", purr_datum_int(4000000000LL), 1);
    expect(db, "i64", purr_datum_int(-9000000000000000000LL), 1);
    expect(db, "u64", purr_datum_int(12345678901234LL), 1);
    expect(db, "f32", purr_datum_double((double)0.1f), 1);
    expect(db, "f64", purr_datum_double(-2.5e-300), 1);
    expect(db, "str", purr_datum_string("purr, purr"), 1);
    if (custom) {
        expect(db, "cx", purr_datum_double(6.5), 1);
        expect(db, "cid", purr_datum_int(9), 1);
    }
    /* Times are relative to the bag's first message (/rosout at 5 ms);
     * the epoch start is kept. */
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(db, &rec, &diag));
    cr_assert_str_eq(purr_recording_meta(rec, "start_epoch_ns"),
                     "1700000000005000000");
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    purr_assert_ok(purr_recording_iter_next(&it, &diag));
    cr_assert_str_eq(it.value->name, "bat");
    cr_assert_eq(it.time_ns, 5 * PURR_MS);
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
}

Test(rosbag2, schema_version_1)
{
    write_map("map.yaml", map_common);
    import_and_check(make_bag("v1", 1, true, false), "v1", 1, false);
}

Test(rosbag2, schema_version_2)
{
    write_map("map.yaml", map_common);
    import_and_check(make_bag("v2", 2, true, false), "v2", 2, false);
}

Test(rosbag2, schema_version_3)
{
    write_map("map.yaml", map_common);
    import_and_check(make_bag("v3", 3, true, false), "v3", 3, false);
}

Test(rosbag2, schema_version_4_with_definitions)
{
    char map[2048];
    snprintf(map, sizeof map, "%s  /custom.x: cx\n  /custom.ids[2]: cid\n",
             map_common);
    write_map("map.yaml", map);
    import_and_check(make_bag("v4", 4, true, true), "v4", 4, true);
}

Test(rosbag2, without_the_timestamp_index)
{
    write_map("map.yaml", map_common);
    import_and_check(make_bag("noidx", 4, false, false), "noidx", 4, false);
}

/* Runs an import expected to fail; returns its stderr's first line. */
static void
import_fails(const char *bag, const char *want)
{
    char args[1200], o[4096], e[4096];
    snprintf(args, sizeof args,
             "import '%s' -o bad.db --scene bin.yaml --map map.yaml", bag);
    int st = purr_cmd_in(dir, args, o, sizeof o, e, sizeof e);
    cr_assert_eq(st, 2, "exit %d: %s", st, e);
    cr_assert(strstr(e, want), "stderr: %s\nwant: %s", e, want);
    /* One line (the version note may come before it). */
    const char *line = strstr(e, "purr: map.yaml:");
    cr_assert(line, "%s", e);
    cr_assert(strchr(line, '\n') == line + strlen(line) - 1, "%s", e);
    char path[400];
    snprintf(path, sizeof path, "%s/bad.db", dir);
    cr_assert(access(path, F_OK) != 0, "no output after a failed import");
}

Test(rosbag2, unknown_message_type)
{
    /* Before version 4 the bag only names the type. */
    write_map("map.yaml", "values:\n  /custom.x: cx\n");
    import_fails(make_bag("u3", 3, true, true),
                 "map.yaml:2:3: '/custom.x': topic /custom has type "
                 "purr_test/msg/Custom: unknown message type "
                 "'purr_test/msg/Custom'");
}

Test(rosbag2, topic_not_in_the_bag)
{
    write_map("map.yaml", "values:\n  /touch.data: touch\n  /nope.data: i8\n");
    import_fails(make_bag("m", 2, true, false),
                 "map.yaml:3:3: '/nope.data' names a topic not in");
}

Test(rosbag2, field_not_in_the_type)
{
    write_map("map.yaml", "values:\n  /battery_state.percent: bat\n");
    import_fails(make_bag("f", 3, true, false),
                 "map.yaml:2:3: '/battery_state.percent': no field 'percent' "
                 "in sensor_msgs/BatteryState");
    write_map("map.yaml", "values:\n  /cmd_vel.linear.w: vx\n");
    import_fails(make_bag("f2", 3, true, false),
                 "no field 'w' in geometry_msgs/Vector3");
}

Test(rosbag2, field_of_another_type)
{
    write_map("map.yaml", "values:\n  /str.data: i8\n");
    import_fails(make_bag("t", 3, true, false),
                 "map.yaml:2:3: '/str.data': field 'data' of std_msgs/String "
                 "is string, which does not fit input 'i8' (int)");
}

Test(rosbag2, not_a_bag)
{
    char path[400];
    snprintf(path, sizeof path, "%s/empty.db3", dir);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    exec(db, "CREATE TABLE t(x);");
    sqlite3_close(db);
    write_map("map.yaml", "values:\n  /touch.data: touch\n");
    char o[4096], e[4096];
    int st = purr_cmd_in(dir, "import empty.db3 -o bad.db --scene bin.yaml "
                              "--map map.yaml",
                         o, sizeof o, e, sizeof e);
    cr_assert_eq(st, 2);
    cr_assert(strstr(e, "purr: empty.db3: not a rosbag2 file (no topics and "
                        "messages tables)"),
              "%s", e);
}

/* A split bag: a directory with metadata.yaml and two .db3 files (the
 * second a second later, with other topic ids), given as the directory. */
Test(rosbag2, split_bag_directory)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/split", dir);
    cr_assert_eq(system(cmd), 0);
    make_bag_at("split/split_0", 4, true, false, 0, 0);
    make_bag_at("split/split_1", 4, true, false, 1000, 100);
    write_map("split/metadata.yaml",
              "rosbag2_bagfile_information:\n"
              "  version: 5\n"
              "  storage_identifier: sqlite3\n"
              "  relative_file_paths:\n"
              "    - split_0.db3\n"
              "    - split/split_1.db3\n"); /* older rosbag2's spelling */
    write_map("map.yaml", map_common);
    char o[4096], e[4096];
    int st = purr_cmd_in(dir, "import split -o split.db --scene bin.yaml "
                              "--map map.yaml",
                         o, sizeof o, e, sizeof e);
    cr_assert_eq(st, 0, "exit %d: %s", st, e);
    char db[400];
    snprintf(db, sizeof db, "%s/split.db", dir);
    /* bat: 0.87f, 0.25 in the first file, again both in the second. */
    expect(db, "bat", purr_datum_double(0.25), 4);
    expect(db, "u64", purr_datum_int(12345678901234LL), 1);
    int n;
    purr_datum last = last_of(db, "bat", &n);
    purr_datum_free(&last);
    /* A directory without metadata.yaml is no bag. */
    snprintf(cmd, sizeof cmd, "mkdir -p %s/nobag", dir);
    cr_assert_eq(system(cmd), 0);
    st = purr_cmd_in(dir, "import nobag --format rosbag2 -o n.db --scene "
                          "bin.yaml --map map.yaml",
                     o, sizeof o, e, sizeof e);
    cr_assert_eq(st, 2);
    cr_assert(strstr(e, "purr: nobag: a directory without metadata.yaml"),
              "%s", e);
}
