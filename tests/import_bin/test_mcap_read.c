/* test_mcap_read.c - purr's streaming MCAP reader (replay/mcap_read.c)
 * against files written by @mcap/core (tests/oracles/mcap-write.mjs):
 * chunked or not, with or without a summary, zstd and lz4 chunks, a JSON
 * channel; and files damaged the ways real ones are (a byte changed in a
 * chunk, a truncated file, a record longer than the file). */
#include "cdr_int.h"
#include "mcap_read_int.h"
#include "oracle.h"
#include "purr_test.h"

#include <stdlib.h>
#include <string.h>

static char dir[256];

static void
setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/purr_test_mcap.%d", (int)getpid());
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    cr_assert_eq(system(cmd), 0);
}

static void
teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)system(cmd);
}

TestSuite(mcap_read, .init = setup, .fini = teardown);

/* Writes dir/name.mcap with the oracle's options; returns its path. */
static const char *
oracle_mcap(const char *name, const char *opts)
{
    static char path[400];
    snprintf(path, sizeof path, "%s/%s.mcap", dir, name);
    char args[800], out[64];
    snprintf(args, sizeof args, "'%s' %s", path, opts);
    cr_assert_eq(purr_oracle_run("mcap-write.mjs", args, out, sizeof out), 0,
                 "mcap-write.mjs %s", args);
    return path;
}

/* Counts per topic, and checks every message's time and payload against
 * the oracle's formula (mcap-write.mjs). */
typedef struct counts {
    int battery, cmd_vel, light, touch, lux, total;
} counts;

static int
read_all(const char *path, counts *c, char *err, size_t cap)
{
    purr__mcap_reader r;
    memset(c, 0, sizeof *c);
    int rc = purr__mcap_open(&r, path);
    purr__cdr_schema bs;
    purr__cdr_path bp;
    char e[256];
    cr_assert_eq(purr__cdr_schema_load(&bs, "sensor_msgs/msg/BatteryState",
                                       NULL, 0, e, sizeof e), 0);
    cr_assert_eq(purr__cdr_path_compile(&bs, "percentage", &bp, e, sizeof e),
                 0);
    uint64_t last = 0;
    purr__mcap_msg m;
    while (rc == 0 && (rc = purr__mcap_next(&r, &m)) == 1) {
        rc = 0;
        const purr__mcap_channel *ch = purr__mcap_channel_get(&r,
                                                              m.channel_id);
        cr_assert(ch);
        cr_assert_geq(m.log_time, last);
        last = m.log_time;
        uint64_t step = (m.log_time - 1700000000ULL * 1000000000ULL) /
                        250000000ULL;
        c->total++;
        if (strcmp(ch->topic, "/battery_state") == 0) {
            c->battery++;
            const purr__mcap_schema *s = purr__mcap_schema_get(&r,
                                                               ch->schema_id);
            cr_assert(s && strcmp(s->encoding, "ros2msg") == 0);
            cr_assert_str_eq(s->name, "sensor_msgs/msg/BatteryState");
            purr_datum d;
            cr_assert_eq(purr__cdr_extract(&bs, &bp, m.data, m.len, &d, e,
                                           sizeof e), 0, "%s", e);
            cr_assert_eq(d.u.d, (double)(float)(60.0 - (double)step / 2));
        } else if (strcmp(ch->topic, "/cmd_vel") == 0) {
            c->cmd_vel++;
        } else if (strcmp(ch->topic, "/light") == 0) {
            c->light++;
            cr_assert_eq(step % 2, 0);
        } else if (strcmp(ch->topic, "/touch") == 0) {
            c->touch++;
            cr_assert_eq(step % 4, 0);
        } else if (strcmp(ch->topic, "/lux") == 0) {
            c->lux++;
            cr_assert_str_eq(ch->encoding, "json");
            cr_assert(m.len > 0 && m.data[0] == '{');
        } else {
            cr_assert_fail("unexpected topic %s", ch->topic);
        }
    }
    if (rc < 0)
        snprintf(err, cap, "%s", r.err);
    purr__mcap_close(&r);
    purr__cdr_schema_free(&bs);
    return rc;
}

static void
expect_clean(const char *path, bool json)
{
    counts c;
    char err[400] = "";
    purr_assert_ok(read_all(path, &c, err, sizeof err));
    cr_assert_eq(c.battery, 20, "%s", err);
    cr_assert_eq(c.cmd_vel, 20);
    cr_assert_eq(c.light, 10);
    cr_assert_eq(c.touch, 5);
    cr_assert_eq(c.lux, json ? 20 : 0);
    cr_assert_eq(c.total, json ? 75 : 55);
}

Test(mcap_read, chunked_with_summary)
{
    const char *p = oracle_mcap("a", "--chunk-size 2000");
    expect_clean(p, false);
    purr__mcap_reader r;
    purr_assert_ok(purr__mcap_open(&r, p));
    /* The summary gives every channel before the first message. */
    cr_assert(r.has_summary);
    cr_assert_eq(r.nchannels, 4);
    purr__mcap_close(&r);
}

Test(mcap_read, unchunked)
{
    expect_clean(oracle_mcap("b", "--no-chunks"), false);
}

Test(mcap_read, no_summary)
{
    const char *p = oracle_mcap("c", "--no-summary");
    expect_clean(p, false);
    purr__mcap_reader r;
    purr_assert_ok(purr__mcap_open(&r, p));
    cr_assert(!r.has_summary);
    cr_assert_eq(r.nchannels, 0);
    purr__mcap_close(&r);
    expect_clean(oracle_mcap("d", "--no-summary --no-chunks"), false);
}

Test(mcap_read, zstd_and_lz4_chunks)
{
    expect_clean(oracle_mcap("z", "--compression zstd --chunk-size 3000"),
                 false);
    expect_clean(oracle_mcap("l", "--compression lz4 --chunk-size 3000"),
                 false);
}

Test(mcap_read, json_channel)
{
    expect_clean(oracle_mcap("j", "--json"), true);
}

/* Flips one byte inside the first chunk's records (offset from the first
 * Chunk record's start) and expects the read to fail saying why. */
static void
corrupt_and_expect(const char *name, const char *opts, const char *want)
{
    const char *p = oracle_mcap(name, opts);
    FILE *f = fopen(p, "r+b");
    cr_assert(f);
    uint8_t buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f);
    /* Find the first Chunk record after the header (opcode 0x06). */
    size_t off = 8;
    while (off + 9 < n && buf[off] != 0x06) {
        uint64_t len = 0;
        for (int i = 7; i >= 0; i--)
            len = len << 8 | buf[off + 1 + i];
        off += 9 + len;
    }
    cr_assert(off + 200 < n, "no chunk found");
    size_t at = off + 150; /* inside the chunk's records */
    buf[at] ^= 0x5a;
    fseek(f, (long)at, SEEK_SET);
    fwrite(&buf[at], 1, 1, f);
    fclose(f);
    counts c;
    char err[400] = "";
    purr_assert_err(read_all(p, &c, err, sizeof err), PURR_EFORMAT);
    char where[64];
    snprintf(where, sizeof where, "offset %zu:", off);
    cr_assert(strncmp(err, where, strlen(where)) == 0, "%s (want %s)", err,
              where);
    cr_assert(strstr(err, want), "%s", err);
}

Test(mcap_read, a_changed_byte_in_a_chunk_is_refused)
{
    corrupt_and_expect("x1", "", "chunk CRC mismatch");
    /* Compressed: zstd's own checks or the CRC catch it. */
    corrupt_and_expect("x2", "--compression zstd", "chunk");
}

Test(mcap_read, truncated_file_is_refused)
{
    const char *p = oracle_mcap("t", "");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "truncate -s -100 '%s'", p);
    cr_assert_eq(system(cmd), 0);
    purr__mcap_reader r;
    purr_assert_err(purr__mcap_open(&r, p), PURR_EFORMAT);
    cr_assert(strstr(r.err, "truncated"), "%s", r.err);
    purr__mcap_close(&r);
}

Test(mcap_read, record_longer_than_the_file_is_refused)
{
    const char *p = oracle_mcap("L", "--no-chunks --no-summary");
    FILE *f = fopen(p, "r+b");
    cr_assert(f);
    /* The Header record at offset 8: make its length huge. */
    uint8_t len[8] = {0, 0, 0, 0, 0, 0, 0, 0x10};
    fseek(f, 9, SEEK_SET);
    fwrite(len, 1, 8, f);
    fclose(f);
    counts c;
    char err[400] = "";
    purr_assert_err(read_all(p, &c, err, sizeof err), PURR_EFORMAT);
    cr_assert(strstr(err, "offset 8: record 0x01 of"), "%s", err);
    cr_assert(strstr(err, "runs past the end of the file"), "%s", err);
}

Test(mcap_read, not_mcap)
{
    char p[400];
    snprintf(p, sizeof p, "%s/n.mcap", dir);
    FILE *f = fopen(p, "w");
    fputs("time,value,datum\n0,battery,1\n0,battery,2\n0,battery,3\n", f);
    fclose(f);
    purr__mcap_reader r;
    purr_assert_err(purr__mcap_open(&r, p), PURR_EFORMAT);
    cr_assert(strstr(r.err, "not an MCAP file"), "%s", r.err);
    purr__mcap_close(&r);
}

/* Offsets of the first record with opcode op after the magic (0 none). */
static size_t
find_record(const uint8_t *buf, size_t n, uint8_t op)
{
    size_t off = 8;
    while (off + 9 <= n) {
        if (buf[off] == op)
            return off;
        uint64_t len = 0;
        for (int i = 7; i >= 0; i--)
            len = len << 8 | buf[off + 1 + i];
        off += 9 + len;
    }
    return 0;
}

/* A byte changed outside every chunk (in a Message Index record) is
 * caught by the data section's CRC, at the Data End record. */
Test(mcap_read, data_section_crc)
{
    const char *p = oracle_mcap("dcrc", "--chunk-size 2000");
    FILE *f = fopen(p, "r+b");
    uint8_t buf[16384];
    size_t n = fread(buf, 1, sizeof buf, f);
    size_t mi = find_record(buf, n, 0x07); /* Message Index */
    size_t de = find_record(buf, n, 0x0f); /* Data End */
    cr_assert(mi > 0 && de > 0);
    buf[mi + 12] ^= 0x40; /* inside its content */
    fseek(f, (long)(mi + 12), SEEK_SET);
    fwrite(&buf[mi + 12], 1, 1, f);
    fclose(f);
    counts c;
    char err[400] = "";
    purr_assert_err(read_all(p, &c, err, sizeof err), PURR_EFORMAT);
    char want[100];
    snprintf(want, sizeof want, "offset %zu: data section CRC mismatch", de);
    cr_assert(strstr(err, want), "%s (want %s)", err, want);
    /* Every message was read before the end said the file is bad. */
    cr_assert_eq(c.total, 55);
}

/* A byte changed in the summary is caught at open. */
Test(mcap_read, summary_crc)
{
    const char *p = oracle_mcap("scrc", "");
    FILE *f = fopen(p, "r+b");
    uint8_t buf[16384];
    size_t n = fread(buf, 1, sizeof buf, f);
    /* The footer gives the summary's start. */
    size_t foot = n - 8 - 29;
    uint64_t start = 0;
    for (int i = 7; i >= 0; i--)
        start = start << 8 | buf[foot + 9 + i];
    cr_assert(start > 0 && start < foot);
    buf[start + 20] ^= 0x01;
    fseek(f, (long)(start + 20), SEEK_SET);
    fwrite(&buf[start + 20], 1, 1, f);
    fclose(f);
    purr__mcap_reader r;
    purr_assert_err(purr__mcap_open(&r, p), PURR_EFORMAT);
    char want[100];
    snprintf(want, sizeof want, "offset %llu: summary CRC mismatch",
             (unsigned long long)start);
    cr_assert(strstr(r.err, want), "%s (want %s)", r.err, want);
    purr__mcap_close(&r);
}
