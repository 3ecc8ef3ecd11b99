/* bench_import_bin.c - import throughput and peak memory for the binary
 * field logs: a rosbag2 .db3 and an MCAP file of BENCH_MSGS (1 million)
 * messages each, written here (SQLite, and a minimal MCAP writer with
 * uncompressed, CRC-checked chunks), then imported with purr_import_log,
 * each import in a child process so that its peak RSS is its own.
 *
 * The logs alternate /battery_state (sensor_msgs/BatteryState, 100-byte
 * CDR messages; its percentage goes to input battery) and /speed
 * (std_msgs/Float64; to input speed), 1 ms apart, every message a new
 * value, so every message is one transition. Prints:
 *   bench: import_rosbag2_msgs_per_s, import_rosbag2_mb_per_s,
 *          import_rosbag2_peak_rss_mb, and the same for import_mcap_.
 * A tenth of the log is imported first, for context: the peak RSS of the
 * full import should be the same (constant memory). */
#include "bench_util.h"

#include <purr/replay.h>
#include <sqlite3.h>
#include <stdint.h>
#include <sys/stat.h>
#include <zlib.h>

#ifndef BENCH_MSGS
#define BENCH_MSGS 1000000
#endif

static char dir[256];

/* The CDR bytes of message i (little endian), into buf; returns the
 * length. Even i: a BatteryState; odd i: a Float64. */
static size_t
message(uint64_t i, uint8_t *buf)
{
    size_t n = 0;
#define PUT(p, k) (memcpy(buf + n, (p), (k)), n += (k))
#define ALIGN(a) while ((n - 4) % (a)) buf[n++] = 0
    static const uint8_t hdr[4] = {0, 1, 0, 0};
    PUT(hdr, 4);
    if (i % 2) {
        double d = (double)i * 0.001;
        PUT(&d, 8);
        return n;
    }
    int32_t sec = 1700000000 + (int32_t)(i / 1000);
    uint32_t nsec = (uint32_t)(i % 1000) * 1000000u, len = 10;
    PUT(&sec, 4);
    PUT(&nsec, 4);
    PUT(&len, 4);
    PUT("base_link", 10);
    ALIGN(4);
    float f[7] = {12.5f, 30.f, -1.f, 2.f, 4.f, 5.f,
                  (float)(i % 100000) / 100000.f};
    PUT(f, sizeof f);
    static const uint8_t u8[4] = {2, 1, 3, 1};
    PUT(u8, 4);
    uint32_t three = 3, zero = 0;
    float cells[3] = {3.7f, 3.75f, 3.8f};
    PUT(&three, 4);
    PUT(cells, sizeof cells);
    PUT(&zero, 4);
    uint32_t l1 = 7, l2 = 6;
    PUT(&l1, 4);
    PUT("slot 1", 7);
    ALIGN(4);
    PUT(&l2, 4);
    PUT("SN-42", 6);
    return n;
#undef PUT
#undef ALIGN
}

static int64_t
msg_time(uint64_t i)
{
    return 1700000000LL * 1000000000LL + (int64_t)i * 1000000;
}

static void
check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "bench_import_bin: %s\n", what);
        exit(1);
    }
}

/* ---------------------------------------------------------------------- */
/* Writing the logs                                                        */
/* ---------------------------------------------------------------------- */

static void
write_db3(const char *path, uint64_t count)
{
    remove(path);
    sqlite3 *db;
    check(sqlite3_open(path, &db) == SQLITE_OK, "sqlite3_open");
    const char *ddl =
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;"
        "CREATE TABLE schema(schema_version INTEGER PRIMARY KEY, ros_distro "
        "TEXT NOT NULL);"
        "INSERT INTO schema VALUES (3, 'humble');"
        "CREATE TABLE metadata(id INTEGER PRIMARY KEY, metadata_version "
        "INTEGER NOT NULL, metadata TEXT NOT NULL);"
        "CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "type TEXT NOT NULL, serialization_format TEXT NOT NULL, "
        "offered_qos_profiles TEXT NOT NULL);"
        "INSERT INTO topics VALUES (1, '/battery_state', "
        "'sensor_msgs/msg/BatteryState', 'cdr', '');"
        "INSERT INTO topics VALUES (2, '/speed', 'std_msgs/msg/Float64', "
        "'cdr', '');"
        "CREATE TABLE messages(id INTEGER PRIMARY KEY, topic_id INTEGER NOT "
        "NULL, timestamp INTEGER NOT NULL, data BLOB NOT NULL);"
        "CREATE INDEX timestamp_idx ON messages (timestamp ASC);";
    check(sqlite3_exec(db, ddl, NULL, NULL, NULL) == SQLITE_OK, "db3 tables");
    sqlite3_stmt *st;
    check(sqlite3_prepare_v2(db, "INSERT INTO messages(topic_id, timestamp, "
                                 "data) VALUES (?, ?, ?)",
                             -1, &st, NULL) == SQLITE_OK,
          "prepare");
    uint8_t buf[256];
    for (uint64_t i = 0; i < count; i++) {
        size_t n = message(i, buf);
        sqlite3_bind_int(st, 1, i % 2 ? 2 : 1);
        sqlite3_bind_int64(st, 2, msg_time(i));
        sqlite3_bind_blob(st, 3, buf, (int)n, SQLITE_STATIC);
        check(sqlite3_step(st) == SQLITE_DONE, "insert");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    check(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK,
          "commit");
    sqlite3_close(db);
}

/* A growing byte buffer for one record or chunk. */
typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
} bytes;

static void
put(bytes *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        check(b->p != NULL, "out of memory");
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void
put_u(bytes *b, uint64_t v, int n)
{
    uint8_t le[8];
    for (int i = 0; i < n; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    put(b, le, (size_t)n);
}

static void
put_str(bytes *b, const char *s)
{
    put_u(b, strlen(s), 4);
    put(b, s, strlen(s));
}

/* Appends record (op, content) to b. */
static void
put_record(bytes *b, uint8_t op, const bytes *content)
{
    put_u(b, op, 1);
    put_u(b, content->n, 8);
    put(b, content->p, content->n);
}

static void
write_mcap(const char *path, uint64_t count)
{
    FILE *f = fopen(path, "wb");
    check(f != NULL, "cannot write the MCAP file");
    bytes out = {0}, rec = {0}, chunk = {0};
    static const uint8_t magic[8] = {0x89, 'M', 'C', 'A', 'P', '0', '\r',
                                     '\n'};
    put(&out, magic, 8);
    put_str(&rec, "ros2");
    put_str(&rec, "purr bench");
    put_record(&out, 0x01, &rec);
    static const char *const schemas[2][3] = {
        {"sensor_msgs/msg/BatteryState", "/battery_state", ""},
        {"std_msgs/msg/Float64", "/speed", "float64 data\n"}};
    for (int k = 0; k < 2; k++) {
        rec.n = 0;
        put_u(&rec, (uint64_t)k + 1, 2);
        put_str(&rec, schemas[k][0]);
        put_str(&rec, "ros2msg");
        put_str(&rec, schemas[k][2]); /* empty: purr's built-in type */
        put_record(&out, 0x03, &rec);
        rec.n = 0;
        put_u(&rec, (uint64_t)k, 2);
        put_u(&rec, (uint64_t)k + 1, 2);
        put_str(&rec, schemas[k][1]);
        put_str(&rec, "cdr");
        put_u(&rec, 0, 4);
        put_record(&out, 0x04, &rec);
    }
    uint8_t buf[256];
    uint64_t i = 0;
    while (i < count) {
        chunk.n = 0;
        int64_t t0 = msg_time(i), t1 = t0;
        for (; i < count && chunk.n < (1u << 20); i++) {
            size_t n = message(i, buf);
            rec.n = 0;
            put_u(&rec, i % 2, 2);
            put_u(&rec, i, 4);
            put_u(&rec, (uint64_t)msg_time(i), 8);
            put_u(&rec, (uint64_t)msg_time(i), 8);
            put(&rec, buf, n);
            put_record(&chunk, 0x05, &rec);
            t1 = msg_time(i);
        }
        rec.n = 0;
        put_u(&rec, (uint64_t)t0, 8);
        put_u(&rec, (uint64_t)t1, 8);
        put_u(&rec, chunk.n, 8);
        put_u(&rec, (uint32_t)crc32(0, chunk.p, (uInt)chunk.n), 4);
        put_str(&rec, "");
        put_u(&rec, chunk.n, 8);
        put(&rec, chunk.p, chunk.n);
        put_record(&out, 0x06, &rec);
        check(fwrite(out.p, 1, out.n, f) == out.n, "write");
        out.n = 0;
    }
    rec.n = 0;
    put_u(&rec, 0, 4);
    put_record(&out, 0x0f, &rec); /* Data End, no CRC */
    rec.n = 0;
    put_u(&rec, 0, 8);
    put_u(&rec, 0, 8);
    put_u(&rec, 0, 4);
    put_record(&out, 0x02, &rec); /* Footer, no summary */
    put(&out, magic, 8);
    check(fwrite(out.p, 1, out.n, f) == out.n, "write");
    fclose(f);
    free(out.p);
    free(rec.p);
    free(chunk.p);
}

/* ---------------------------------------------------------------------- */
/* Importing                                                               */
/* ---------------------------------------------------------------------- */

typedef struct job {
    const char *log, *out, *map;
} job;

static void
run_import(void *arg)
{
    const job *j = arg;
    purr_import_input inputs[2] = {
        {.name = "battery", .type = PURR_T_DOUBLE,
         .initial = purr_datum_double(-1)},
        {.name = "speed", .type = PURR_T_DOUBLE,
         .initial = purr_datum_double(-1)}};
    purr_import_schema schema = {.source = "bench", .inputs = inputs,
                                 .count = 2};
    purr_import_options o = {.overwrite = true, .map_path = j->map};
    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    int rc = purr_import_log(j->log, j->out, &schema, &o, &diag);
    if (rc < 0) {
        fprintf(stderr, "import: %s:%ld: %s\n", diag.file, diag.line,
                diag.message);
        exit(1);
    }
    exit(0);
}

/* Imports log in a child; *secs (out) and *peak_kib (out). */
static void
measure(const char *log, const char *map, double *secs, long *peak_kib,
        double *cpu)
{
    char out[400];
    snprintf(out, sizeof out, "%s/out.db", dir);
    job j = {log, out, map};
    fflush(stdout);
    double t0 = bench_now_ns();
    pid_t pid = fork();
    check(pid >= 0, "fork");
    if (pid == 0)
        run_import(&j);
    int st;
    struct rusage ru;
    check(wait4(pid, &st, 0, &ru) == pid, "wait4");
    *secs = (bench_now_ns() - t0) / 1e9;
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the import failed");
    *peak_kib = ru.ru_maxrss;
    *cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void
bench_format(const char *name, const char *path, const char *small,
             const char *map)
{
    double secs, small_secs, cpu, small_cpu;
    long peak, small_peak;
    struct stat sb;
    check(stat(path, &sb) == 0, "stat");
    measure(small, map, &small_secs, &small_peak, &small_cpu);
    measure(path, map, &secs, &peak, &cpu);
    printf("%s: %d messages (%.1f MB) in %.2f s (%.2f s of CPU, on both "
           "threads); peak RSS %.1f MB (%.1f MB for a tenth of the log)\n",
           name, BENCH_MSGS, (double)sb.st_size / 1e6, secs, cpu,
           (double)peak / 1024.0, (double)small_peak / 1024.0);
    char key[80];
    snprintf(key, sizeof key, "import_%s_msgs_per_s", name);
    bench_report(key, (double)(long long)(BENCH_MSGS / secs), "msg/s");
    snprintf(key, sizeof key, "import_%s_mb_per_s", name);
    bench_report(key, (double)sb.st_size / 1e6 / secs, "MB/s");
    snprintf(key, sizeof key, "import_%s_peak_rss_mb", name);
    bench_report(key, (double)peak / 1024.0, "MB");
}

int
main(void)
{
    snprintf(dir, sizeof dir, "/tmp/purr_bench_import_bin.%d", (int)getpid());
    check(mkdir(dir, 0700) == 0, "mkdir");
    char map[400], db3[400], db3s[400], mcap[400], mcaps[400];
    snprintf(map, sizeof map, "%s/map.yaml", dir);
    FILE *f = fopen(map, "w");
    check(f != NULL, "map");
    fputs("values:\n  /battery_state.percentage: battery\n"
          "  /speed.data: speed\n", f);
    fclose(f);
    snprintf(db3, sizeof db3, "%s/log.db3", dir);
    snprintf(db3s, sizeof db3s, "%s/small.db3", dir);
    snprintf(mcap, sizeof mcap, "%s/log.mcap", dir);
    snprintf(mcaps, sizeof mcaps, "%s/small.mcap", dir);
    write_db3(db3, BENCH_MSGS);
    write_db3(db3s, BENCH_MSGS / 10);
    write_mcap(mcap, BENCH_MSGS);
    write_mcap(mcaps, BENCH_MSGS / 10);
    bench_format("rosbag2", db3, db3s, map);
    bench_format("mcap", mcap, mcaps, map);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
