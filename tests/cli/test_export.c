/* test_export.c - `purr export`: MCAP files checked by an independent
 * reader, CSV and JSON Lines read back by `purr import`.
 *
 * The MCAP files are read by tests/oracles/mcap-read.mjs (@mcap/core's
 * stream and indexed readers, CRCs validated), whose JSON lines are
 * compared here with the recording read through purr's own reader: every
 * message (topic, log time, payload), the channels and schemas, and the
 * summary's statistics. A byte changed inside a chunk, or in the summary,
 * must make the oracle refuse the file. The text formats go back through
 * `purr import` against the scene, and the inputs must come back
 * transition for transition, payload bytes included.
 */
#include "oracle.h"
#include "purr_cmd.h"

#include <purr/purr.h>
#include <purr/recorder.h>

#include <inttypes.h>
#include <jansson.h>
#include <sqlite3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char dir[256];
static char out[1 << 16], err[1 << 16];

#define ORACLE_CAP (16u << 20)

static void
setup(void)
{
    purr_cmd_dir_make(dir, sizeof dir, "purr_test_export", NULL);
    int st = purr_cmd_in(dir,
                         "run " PURR_SCENES_DIR "/pet.yaml --record pet.db",
                         out, sizeof out, err, sizeof err);
    cr_assert_eq(st, 0, "purr run: %s", err);
}

static void
teardown(void)
{
    purr_cmd_dir_remove(dir);
}

TestSuite(export, .init = setup, .fini = teardown, .timeout = 120);

/* purr(fmt, ...): `purr ARGS` in dir (purr_cmd.h). */
PURR_CMD_PRINTF_RUNNER(dir, out, err)

static void
path_in(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
}

/* ---------------------------------------------------------------------- */
/* The oracle's view of an MCAP file                                       */
/* ---------------------------------------------------------------------- */

/* The oracle's lines, parsed. */
typedef struct mcap_view {
    json_t **lines;
    size_t n;
    int status;     /* the oracle's exit status */
    char *text;     /* its stdout */
} mcap_view;

static void
mcap_read(mcap_view *v, const char *file, bool with_stderr)
{
    char args[600];
    snprintf(args, sizeof args, "'%s/%s'%s", dir, file,
             with_stderr ? " 2>&1" : "");
    v->text = malloc(ORACLE_CAP);
    cr_assert(v->text);
    v->status = purr_oracle_run("mcap-read.mjs", args, v->text, ORACLE_CAP);
    cr_assert(strlen(v->text) < ORACLE_CAP - 1, "oracle output truncated");
    v->lines = NULL;
    v->n = 0;
    if (v->status != 0)
        return;
    size_t cap = 0;
    for (char *line = v->text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        cr_assert(nl, "oracle output does not end with a newline");
        *nl = '\0';
        json_error_t e;
        json_t *j = json_loads(line, JSON_ALLOW_NUL, &e);
        cr_assert(j, "oracle line does not parse: %s: %.200s", e.text, line);
        if (v->n == cap) {
            cap = cap ? 2 * cap : 1024;
            v->lines = realloc(v->lines, cap * sizeof *v->lines);
            cr_assert(v->lines);
        }
        v->lines[v->n++] = j;
    }
}

static void
mcap_free(mcap_view *v)
{
    for (size_t i = 0; i < v->n; i++)
        json_decref(v->lines[i]);
    free(v->lines);
    free(v->text);
}

static const char *
jstr(json_t *o, const char *key)
{
    json_t *s = json_object_get(o, key);
    cr_assert(json_is_string(s), "no string '%s'", key);
    return json_string_value(s);
}

/* The decimal text of a 64-bit count or time, as the oracle writes them. */
static void
u64_text(char *buf, size_t cap, uint64_t v)
{
    snprintf(buf, cap, "%" PRIu64, v);
}

/* Whether j (the oracle's JSON.parse of a message's value) is d as the
 * exporter writes it for viewers: numbers exactly (ints as JSON integers,
 * doubles as JSON reals: "-0.0" reads as -0.0, equal to 0.0 here),
 * NaN and infinities as strings, bytes as base64, tuples as arrays. */
static bool
json_is_datum(json_t *j, const purr_datum *d)
{
    switch (d->type) {
    case PURR_T_NIL:
        return json_is_null(j);
    case PURR_T_BOOL:
        return json_is_boolean(j) && json_is_true(j) == d->u.b;
    case PURR_T_INT:
        return json_is_integer(j) && json_integer_value(j) == d->u.i;
    case PURR_T_DOUBLE:
        if (isnan(d->u.d))
            return json_is_string(j) &&
                   strcmp(json_string_value(j), "NaN") == 0;
        if (isinf(d->u.d))
            return json_is_string(j) &&
                   strcmp(json_string_value(j),
                          d->u.d > 0 ? "Infinity" : "-Infinity") == 0;
        /* A double is a JSON real ("60.0", never "60"), as is its text. */
        return json_is_real(j) && json_real_value(j) == d->u.d;
    case PURR_T_STRING:
        return json_is_string(j) && json_string_length(j) == d->len &&
               memcmp(json_string_value(j), d->u.s, d->len) == 0;
    case PURR_T_BYTES: {
        static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                "opqrstuvwxyz0123456789+/";
        if (!json_is_string(j))
            return false;
        const char *s = json_string_value(j);
        size_t n = strlen(s);
        if (n != (d->len + 2) / 3 * 4)
            return false;
        /* Decode and compare. */
        for (size_t i = 0, k = 0; i < n; i += 4) {
            uint32_t v = 0;
            int pad = 0;
            for (int q = 0; q < 4; q++) {
                const char *p = s[i + q] == '=' ? NULL : strchr(a, s[i + q]);
                pad += !p;
                v = v << 6 | (p ? (uint32_t)(p - a) : 0);
            }
            uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8),
                            (uint8_t)v};
            for (int q = 0; q < 3 - pad; q++, k++)
                if (k >= d->len || b[q] != d->u.bytes[k])
                    return false;
        }
        return true;
    }
    case PURR_T_TUPLE:
        if (!json_is_array(j) || json_array_size(j) != d->len)
            return false;
        for (uint32_t i = 0; i < d->len; i++)
            if (!json_is_datum(json_array_get(j, i), &d->u.items[i]))
                return false;
        return true;
    default:
        return false;
    }
}

/* What a test expects in an export. */
typedef struct expect {
    const char *const *values; /* NULL: inputs and outputs (all: every) */
    bool all;
    bool no_tasks;             /* no /purr/tasks channel expected */
    purr_time from_ns, to_ns;  /* to_ns 0: no upper bound */
    uint64_t min_chunks;
} expect;

static bool
selected(const expect *x, const purr_recorded_value *v)
{
    if (x->values) {
        for (const char *const *n = x->values; *n; n++)
            if (strcmp(*n, v->name) == 0)
                return true;
        return false;
    }
    return x->all || v->role != PURR_ROLE_INTERNAL;
}

/* The task events of db in [from_ns, to_ns] as the SQL view task_event
 * lists them (a decoder independent of purr's reader), with the task's
 * name: one JSON object per event, as the export writes them. */
static json_t *
task_events_of(const char *path, const expect *x)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT time_ns, kind, task_id, "
                                    "parent_task_id, status, detail, "
                                    "(SELECT name FROM task WHERE id = "
                                    "task_id) FROM task_event ORDER BY seq",
                                    -1, &st, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    static const char *const kinds[] = {"?",     "spawned",   "started",
                                        "blocked", "woken", "cancelled",
                                        "ended"};
    json_t *all = json_array();
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t t = sqlite3_column_int64(st, 0);
        if (t < x->from_ns || (x->to_ns && t > x->to_ns))
            continue;
        int kind = sqlite3_column_int(st, 1);
        cr_assert(kind >= 1 && kind <= 6);
        const char *detail = (const char *)sqlite3_column_text(st, 5);
        const char *name = (const char *)sqlite3_column_text(st, 6);
        json_t *e = json_pack(
            "{s:I, s:s, s:I, s:s, s:I, s:I, s:o}", "time_ns", (json_int_t)t,
            "event", kinds[kind], "task",
            (json_int_t)sqlite3_column_int64(st, 2), "name", name ? name : "",
            "parent", (json_int_t)sqlite3_column_int64(st, 3), "status",
            (json_int_t)sqlite3_column_int64(st, 4), "detail",
            detail && detail[0] ? json_string(detail) : json_null());
        cr_assert(e);
        json_array_append_new(all, e);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return all;
}

/* Checks a /purr/tasks message against the expected event e. */
static void
check_task_message(json_t *m, json_t *e, uint64_t epoch)
{
    char t[32];
    u64_text(t, sizeof t, epoch + (uint64_t)json_integer_value(
                                      json_object_get(e, "time_ns")));
    cr_assert_str_eq(jstr(m, "logTime"), t);
    json_error_t err_;
    json_t *p = json_loads(jstr(m, "raw"), 0, &err_);
    cr_assert(p, "%s", err_.text);
    json_object_del(e, "time_ns");
    cr_assert(json_equal(p, e), "task event %s, expected %s",
              jstr(m, "raw"), json_dumps(e, JSON_COMPACT));
    json_decref(p);
}

/* Compares the oracle's reading of the MCAP file with the recording db:
 * header, schemas, channels, metadata, every message, the statistics.
 * Returns the number of messages compared. */
static uint64_t
check_mcap(const mcap_view *v, const char *db, const expect *x)
{
    char path[512];
    path_in(path, sizeof path, db);
    purr_recording *rec;
    purr_diag diag;
    cr_assert_eq(purr_recording_open(path, &rec, &diag), 0, "%s",
                 diag.message);
    size_t i = 0;

    /* Header. */
    cr_assert(i < v->n);
    cr_assert_str_eq(jstr(v->lines[i], "kind"), "header");
    cr_assert_str_eq(jstr(v->lines[i], "profile"), "");
    char lib[64];
    snprintf(lib, sizeof lib, "purr %s", purr_version_string());
    cr_assert_str_eq(jstr(v->lines[i], "library"), lib);
    i++;

    /* Schemas: each a JSON Schema of an object with a required value. */
    size_t nschemas = 0;
    json_t *schema_by_id[16] = {0};
    for (; i < v->n && !strcmp(jstr(v->lines[i], "kind"), "schema"); i++) {
        json_t *s = v->lines[i];
        cr_assert_str_eq(jstr(s, "encoding"), "jsonschema");
        json_t *data = json_object_get(s, "data");
        cr_assert_str_eq(jstr(data, "type"), "object");
        json_t *req = json_object_get(data, "required");
        cr_assert(json_is_array(req) && json_array_size(req) >= 1);
        json_int_t id = json_integer_value(json_object_get(s, "id"));
        cr_assert(id >= 1 && id < 16);
        schema_by_id[id] = s;
        nschemas++;
    }

    /* Channels: one per chosen value, in recording order. */
    size_t nv = purr_recording_value_count(rec);
    size_t nchannels = 0;
    const char *topic_of[256] = {0};
    for (size_t k = 0; k < nv; k++) {
        const purr_recorded_value *rv = purr_recording_value_at(rec, k);
        if (!selected(x, rv))
            continue;
        cr_assert(i < v->n);
        json_t *c = v->lines[i++];
        cr_assert_str_eq(jstr(c, "kind"), "channel");
        char topic[128];
        snprintf(topic, sizeof topic, "/%s", rv->name);
        cr_assert_str_eq(jstr(c, "topic"), topic);
        cr_assert_str_eq(jstr(c, "encoding"), "json");
        json_t *meta = json_object_get(c, "metadata");
        cr_assert_str_eq(jstr(meta, "purr.role"), purr_role_name(rv->role));
        json_int_t sid = json_integer_value(json_object_get(c, "schema"));
        cr_assert(sid >= 1 && sid < 16 && schema_by_id[sid],
                  "channel %s: schema %d", topic, (int)sid);
        char sname[32];
        snprintf(sname, sizeof sname, "purr.%s",
                 rv->type == PURR_T_NIL ? "any" : purr_type_name(rv->type));
        cr_assert_str_eq(jstr(schema_by_id[sid], "name"), sname);
        topic_of[k] = json_string_value(json_object_get(c, "topic"));
        nchannels++;
    }
    json_t *tasks = task_events_of(path, x);
    /* Log times: the recording's start_epoch_ns, when it has one, plus
     * the virtual time. */
    const char *epoch_text = purr_recording_meta(rec, "start_epoch_ns");
    uint64_t epoch = epoch_text ? strtoull(epoch_text, NULL, 10) : 0;
    const char *task_topic = NULL;
    if (!x->no_tasks && json_array_size(tasks) > 0) {
        json_t *c = v->lines[i++];
        cr_assert_str_eq(jstr(c, "topic"), "/purr/tasks");
        json_int_t sid = json_integer_value(json_object_get(c, "schema"));
        cr_assert_str_eq(jstr(schema_by_id[sid], "name"), "purr.task_event");
        task_topic = "/purr/tasks";
        nchannels++;
    }
    size_t ntasks = task_topic ? json_array_size(tasks) : 0, tk = 0;
    cr_assert(i < v->n);
    cr_assert_str_eq(jstr(v->lines[i], "kind"), "metadata",
                     "more channels than chosen values");

    /* Metadata: the recording's run rows. */
    json_t *md = json_object_get(v->lines[i], "metadata");
    cr_assert_str_eq(jstr(v->lines[i], "name"), "purr");
    cr_assert_eq(json_object_size(md), purr_recording_meta_count(rec));
    for (size_t k = 0; k < purr_recording_meta_count(rec); k++) {
        const char *key, *val;
        purr_recording_meta_at(rec, k, &key, &val);
        cr_assert_str_eq(jstr(md, key), val, "metadata %s", key);
    }
    i++;

    /* Messages: the chosen transitions in range, in seq order. */
    uint64_t counts[256] = {0};
    uint64_t n = 0, seq[256] = {0};
    purr_time first = 0, last = 0;
    purr_recording_iter it;
    cr_assert_eq(purr_recording_iter_open(&it, rec), 0);
    int rc;
    const purr_recorded_value *v0 = purr_recording_value_at(rec, 0);
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0) {
        if (!selected(x, it.value) || it.time_ns < x->from_ns ||
            (x->to_ns && it.time_ns > x->to_ns))
            continue;
        size_t k = (size_t)(it.value - v0);
        /* The task events that come before this transition. */
        while (i < v->n && !strcmp(jstr(v->lines[i], "kind"), "message") &&
               !strcmp(jstr(v->lines[i], "topic"), "/purr/tasks")) {
            cr_assert_lt(tk, ntasks, "more task events than recorded");
            check_task_message(v->lines[i++], json_array_get(tasks, tk++),
                               epoch);
        }
        cr_assert(i < v->n, "message missing: seq %" PRIu64, it.seq);
        json_t *m = v->lines[i++];
        cr_assert_str_eq(jstr(m, "kind"), "message");
        cr_assert_str_eq(jstr(m, "topic"), topic_of[k], "seq %" PRIu64,
                         it.seq);
        char t[32];
        u64_text(t, sizeof t, epoch + (uint64_t)it.time_ns);
        cr_assert_str_eq(jstr(m, "logTime"), t, "seq %" PRIu64, it.seq);
        cr_assert_str_eq(jstr(m, "publishTime"), t);
        json_int_t sq = json_integer_value(json_object_get(m, "sequence"));
        cr_assert_eq((uint64_t)sq, seq[k]++, "per-channel sequence");
        /* The payload as JSON.parse read it, and its bytes as jansson
         * reads them (exactly: ints beyond 2^53 included). */
        json_error_t e;
        const char *raw = jstr(m, "raw");
        json_t *payload = json_loads(raw, JSON_ALLOW_NUL, &e);
        cr_assert(payload, "seq %" PRIu64 ": jansson: %s: %s", it.seq,
                  e.text, raw);
        cr_assert(json_is_object(payload) && json_object_size(payload) == 1);
        char text[256];
        purr_datum_format(&it.datum, text, sizeof text);
        cr_assert(json_is_datum(json_object_get(payload, "value"), &it.datum),
                  "seq %" PRIu64 " (%s): the message %s does not hold %s",
                  it.seq, it.value->name, raw, text);
        json_decref(payload);
        counts[k]++;
        n++;
    }
    cr_assert_eq(rc, PURR_ECLOSED, "%s", diag.message);
    purr_recording_iter_close(&it);
    while (i < v->n && !strcmp(jstr(v->lines[i], "kind"), "message") &&
           !strcmp(jstr(v->lines[i], "topic"), "/purr/tasks")) {
        cr_assert_lt(tk, ntasks, "more task events than recorded");
        check_task_message(v->lines[i++], json_array_get(tasks, tk++),
                               epoch);
    }
    cr_assert_eq(tk, ntasks, "task events missing");
    json_decref(tasks);

    /* Log times never decrease, in file order; their range is what the
     * statistics must say. */
    uint64_t prev = 0, nmsg = 0;
    for (size_t q = 0; q < v->n; q++) {
        if (strcmp(jstr(v->lines[q], "kind"), "message") != 0)
            continue;
        uint64_t t = strtoull(jstr(v->lines[q], "logTime"), NULL, 10);
        cr_assert_geq(t, prev, "log time goes back at line %zu", q);
        if (nmsg++ == 0)
            first = (purr_time)t;
        last = (purr_time)t;
        prev = t;
    }
    cr_assert_eq(nmsg, n + ntasks);

    /* Statistics. */
    cr_assert(i < v->n, "no statistics line");
    json_t *st = v->lines[i++];
    cr_assert_str_eq(jstr(st, "kind"), "statistics",
                     "more messages than transitions");
    char num[32];
    u64_text(num, sizeof num, nmsg);
    cr_assert_str_eq(jstr(st, "messageCount"), num);
    u64_text(num, sizeof num, (uint64_t)first);
    cr_assert_str_eq(jstr(st, "messageStartTime"), num);
    u64_text(num, sizeof num, (uint64_t)last);
    cr_assert_str_eq(jstr(st, "messageEndTime"), num);
    cr_assert_eq(json_integer_value(json_object_get(st, "channelCount")),
                 (json_int_t)nchannels);
    cr_assert_eq(json_integer_value(json_object_get(st, "schemaCount")),
                 (json_int_t)nschemas);
    cr_assert_eq(json_integer_value(json_object_get(st, "metadataCount")),
                 1);
    json_int_t chunks = json_integer_value(json_object_get(st, "chunkCount"));
    cr_assert(chunks >= (json_int_t)x->min_chunks, "%d chunks", (int)chunks);
    cr_assert(n == 0 || chunks >= 1);
    json_t *cmc = json_object_get(st, "channelMessageCounts");
    cr_assert_eq(json_object_size(cmc), nchannels);
    for (size_t k = 0; k < nv; k++) {
        if (!topic_of[k])
            continue;
        u64_text(num, sizeof num, counts[k]);
        cr_assert_str_eq(jstr(cmc, topic_of[k]), num, "%s", topic_of[k]);
    }
    if (task_topic) {
        u64_text(num, sizeof num, ntasks);
        cr_assert_str_eq(jstr(cmc, task_topic), num);
    }
    cr_assert_eq(i, v->n, "lines after the statistics");
    purr_recording_close(rec);
    return n;
}

/* ---------------------------------------------------------------------- */
/* MCAP                                                                    */
/* ---------------------------------------------------------------------- */

Test(export, mcap_zstd_every_transition)
{
    cr_assert_eq(purr("export pet.db -o pet.mcap"), 0, "%s", err);
    cr_assert(strstr(err, "transitions"), "%s", err);
    mcap_view v;
    mcap_read(&v, "pet.mcap", false);
    cr_assert_eq(v.status, 0, "the oracle refused the file");
    expect x = {0};
    /* pet.yaml over a day: thousands of transitions. */
    cr_assert_gt(check_mcap(&v, "pet.db", &x), 1000);
    mcap_free(&v);
}

Test(export, mcap_uncompressed_many_chunks)
{
    cr_assert_eq(purr("export pet.db -o pet.mcap --compression none "
                      "--chunk-size 4096"),
                 0, "%s", err);
    mcap_view v;
    mcap_read(&v, "pet.mcap", false);
    cr_assert_eq(v.status, 0, "the oracle refused the file");
    /* About 60 bytes per message record: dozens of 4 KiB chunks. */
    expect x = {.min_chunks = 20};
    check_mcap(&v, "pet.db", &x);
    mcap_free(&v);
}

Test(export, mcap_lz4_values_and_range)
{
    cr_assert_eq(purr("export pet.db -o part.mcap --compression lz4 "
                      "--values battery,mood --from 1h --to 7200 "
                      "--chunk-size 1024"),
                 0, "%s", err);
    mcap_view v;
    mcap_read(&v, "part.mcap", false);
    cr_assert_eq(v.status, 0, "the oracle refused the file");
    static const char *const names[] = {"battery", "mood", NULL};
    expect x = {.values = names, .from_ns = 3600 * PURR_S,
                .to_ns = 7200 * PURR_S, .min_chunks = 2};
    /* The battery is sampled every minute: 61 samples in [1h, 2h]. */
    cr_assert_geq(check_mcap(&v, "pet.db", &x), 61);
    mcap_free(&v);
}

Test(export, mcap_empty_range)
{
    cr_assert_eq(purr("export pet.db -o none.mcap --values docked --to 1ns"),
                 0, "%s", err);
    mcap_view v;
    mcap_read(&v, "none.mcap", false);
    cr_assert_eq(v.status, 0, "the oracle refused the file");
    static const char *const names[] = {"docked", NULL};
    expect x = {.values = names, .to_ns = 1};
    cr_assert_eq(check_mcap(&v, "pet.db", &x), 0);
    mcap_free(&v);
}

/* A recording of the datums JSON cannot hold as they are, made with the
 * recorder API: NaN, infinities, -0.0, the largest and smallest doubles,
 * strings with quotes, control characters, a NUL and a byte that is not
 * UTF-8, bytes, tuples, an int beyond 2^53, a value of any type, and an
 * internal value. */
struct odd {
    purr_value *x, *s, *b, *t, *n, *any, *hidden;
};

static int
odd_main(void *arg)
{
    struct odd *o = arg;
    const double xs[] = {NAN, INFINITY, -INFINITY, -0.0, 1.7976931348623157e308,
                         5e-324, 0.1, 59.8};
    for (size_t k = 0; k < sizeof xs / sizeof xs[0]; k++) {
        cr_assert_eq(purr_value_set_double(o->x, xs[k]), 1);
        cr_assert_eq(purr_sleep(PURR_MS), 0);
    }
    purr_datum d = purr_datum_string_n("q\"\\\n\t\x01\0end", 10);
    purr_value_set(o->s, &d);
    purr_datum_free(&d);
    purr_value_set_string(o->s, "caf\xc3\xa9, \xe2\x82\xac");
    cr_assert_eq(purr_sleep(PURR_MS), 0);
    d = purr_datum_bytes("\x00\xff\x10", 3);
    purr_value_set(o->b, &d);
    purr_datum_free(&d);
    d = purr_datum_bytes("ab", 2);
    purr_value_set(o->b, &d);
    purr_datum_free(&d);
    purr_datum items[3] = {purr_datum_int(1), purr_datum_string("a, b"),
                           purr_datum_bool(true)};
    d = purr_datum_tuple(items, 3);
    purr_value_set(o->t, &d);
    purr_datum_free(&d);
    purr_datum_free(&items[1]);
    purr_value_set_int(o->n, INT64_MIN);
    purr_value_set_int(o->n, (int64_t)1 << 60);
    cr_assert_eq(purr_sleep(PURR_S), 0);
    purr_value_set_int(o->any, 7);
    purr_value_set_string(o->any, "seven");
    purr_value_set_int(o->hidden, 1);
    return 0;
}

static void
make_odd(const char *name)
{
    char path[512];
    path_in(path, sizeof path, name);
    purr_loop *loop = purr_loop_new(NULL);
    purr_diag diag;
    purr_recorder *r = purr_recorder_open(path, NULL, &diag);
    cr_assert(r, "%s", diag.message);
    cr_assert_eq(purr_recorder_attach(r, loop), 0);
    /* A field log's absolute start: MCAP log times add it. */
    cr_assert_eq(purr_recorder_set_meta(r, "start_epoch_ns",
                                        "1700000000123456789"),
                 0);
    struct odd o;
    o.x = purr_value_new(loop, "x", PURR_ROLE_INPUT, PURR_T_DOUBLE, NULL);
    o.s = purr_value_new(loop, "s", PURR_ROLE_INPUT, PURR_T_STRING, NULL);
    o.b = purr_value_new(loop, "b", PURR_ROLE_OUTPUT, PURR_T_BYTES, NULL);
    o.t = purr_value_new(loop, "t", PURR_ROLE_OUTPUT, PURR_T_TUPLE, NULL);
    o.n = purr_value_new(loop, "n", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
    o.any = purr_value_new(loop, "any", PURR_ROLE_OUTPUT, PURR_T_NIL, NULL);
    o.hidden = purr_value_new(loop, "hidden", PURR_ROLE_INTERNAL, PURR_T_INT,
                              NULL);
    cr_assert_eq(purr_run(loop, "main", odd_main, &o), 0);
    cr_assert_eq(purr_recorder_close(r, &diag), 0, "%s", diag.message);
    purr_value_free(o.x);
    purr_value_free(o.s);
    purr_value_free(o.b);
    purr_value_free(o.t);
    purr_value_free(o.n);
    purr_value_free(o.any);
    purr_value_free(o.hidden);
    purr_loop_close(loop);
}

Test(export, mcap_odd_datums)
{
    make_odd("odd.db");
    cr_assert_eq(purr("export odd.db -o odd.mcap --all --no-tasks"), 0, "%s",
                 err);
    mcap_view v;
    mcap_read(&v, "odd.mcap", false);
    cr_assert_eq(v.status, 0, "the oracle refused the file");
    expect x = {.all = true, .no_tasks = true};
    check_mcap(&v, "odd.db", &x);
    mcap_free(&v);
}

Test(export, mcap_invalid_utf8_replaced)
{
    /* Viewers need UTF-8 JSON: a byte that is not UTF-8 becomes U+FFFD. */
    char path[512];
    path_in(path, sizeof path, "bad.db");
    purr_loop *loop = purr_loop_new(NULL);
    purr_diag diag;
    purr_recorder *r = purr_recorder_open(path, NULL, &diag);
    cr_assert(r);
    cr_assert_eq(purr_recorder_attach(r, loop), 0);
    purr_value *s =
        purr_value_new(loop, "s", PURR_ROLE_OUTPUT, PURR_T_STRING, NULL);
    purr_value_set_string(s, "a\xff" "b\xc3");
    cr_assert_eq(purr_recorder_close(r, &diag), 0);
    purr_value_free(s);
    purr_loop_close(loop);

    cr_assert_eq(purr("export bad.db -o bad.mcap"), 0, "%s", err);
    mcap_view v;
    mcap_read(&v, "bad.mcap", false);
    cr_assert_eq(v.status, 0);
    bool seen = false;
    for (size_t i = 0; i < v.n; i++) {
        if (strcmp(jstr(v.lines[i], "kind"), "message") != 0)
            continue;
        json_t *payload = json_loads(jstr(v.lines[i], "raw"), 0, NULL);
        cr_assert(payload);
        cr_assert_str_eq(json_string_value(json_object_get(payload, "value")),
                         "a\xef\xbf\xbd" "b\xef\xbf\xbd");
        json_decref(payload);
        seen = true;
    }
    cr_assert(seen);
    mcap_free(&v);
    /* JSON Lines must read back exactly: refused, naming the value. */
    cr_assert_eq(purr("export bad.db -o bad.jsonl"), 2);
    cr_assert(strstr(err, "not UTF-8") && strstr(err, "csv-long"), "%s",
              err);
}

/* Offset of the first byte of the first chunk's records in the MCAP
 * file at path (walking the records from the start). */
static long
first_chunk_records(const char *path, long *records_len /* out */,
                    long *summary_start /* out */)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    uint8_t *b = malloc((size_t)size);
    fseek(f, 0, SEEK_SET);
    cr_assert_eq(fread(b, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    long at = -1;
    /* The footer's summary_start: before summary_offset_start (8), the
     * summary CRC (4) and the closing magic (8). */
    uint64_t le = 0;
    for (int k = 0; k < 8; k++)
        le |= (uint64_t)b[size - 8 - 20 + k] << (8 * k);
    *summary_start = (long)le;
    for (long p = 8; p + 9 <= size;) {
        uint64_t len = 0;
        for (int k = 0; k < 8; k++)
            len |= (uint64_t)b[p + 1 + k] << (8 * k);
        if (b[p] == 0x06) {
            long q = p + 9 + 8 + 8 + 8 + 4;
            uint32_t clen = (uint32_t)b[q] | (uint32_t)b[q + 1] << 8 |
                            (uint32_t)b[q + 2] << 16 |
                            (uint32_t)b[q + 3] << 24;
            q += 4 + clen;
            uint64_t rl = 0;
            for (int k = 0; k < 8; k++)
                rl |= (uint64_t)b[q + k] << (8 * k);
            *records_len = (long)rl;
            at = q + 8;
            break;
        }
        p += 9 + (long)len;
    }
    free(b);
    cr_assert_gt(at, 0, "no chunk in %s", path);
    return at;
}

static void
flip_byte(const char *path, long at)
{
    FILE *f = fopen(path, "r+b");
    cr_assert(f);
    fseek(f, at, SEEK_SET);
    int c = fgetc(f);
    fseek(f, at, SEEK_SET);
    fputc(c ^ 0x20, f);
    fclose(f);
}

Test(export, mcap_changed_byte_refused)
{
    const char *compressions[] = {"none", "zstd", "lz4"};
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(purr("export pet.db -o c.mcap --force --compression %s",
                          compressions[k]),
                     0, "%s", err);
        char path[512];
        path_in(path, sizeof path, "c.mcap");
        long len, summary;
        long at = first_chunk_records(path, &len, &summary);
        /* A byte in the middle of the chunk's records changed. */
        flip_byte(path, at + len / 2);
        mcap_view v;
        mcap_read(&v, "c.mcap", true);
        cr_assert_neq(v.status, 0, "%s: a changed chunk was read",
                      compressions[k]);
        if (strcmp(compressions[k], "none") == 0)
            cr_assert(strstr(v.text, "CRC"), "%s", v.text);
        mcap_free(&v);
        if (k > 0)
            continue;
        /* Restored (the other tests read whole files), then a byte of the
         * summary changed: the footer's summary CRC no longer matches. */
        flip_byte(path, at + len / 2);
        flip_byte(path, summary + 20);
        mcap_read(&v, "c.mcap", true);
        cr_assert_neq(v.status, 0, "a changed summary was read");
        cr_assert(strstr(v.text, "CRC"), "%s", v.text);
        mcap_free(&v);
    }
}

/* ---------------------------------------------------------------------- */
/* Text formats and the round trip through purr import                     */
/* ---------------------------------------------------------------------- */

/* One transition of an input: name, time, payload bytes. */
typedef struct row {
    char name[32];
    purr_time time_ns;
    uint8_t payload[64];
    size_t len;
} row;

/* The transitions of db's inputs, in seq order (*n of them; free). */
static row *
inputs_of(const char *db, size_t *n)
{
    char path[512];
    path_in(path, sizeof path, db);
    purr_recording *rec;
    purr_diag diag;
    cr_assert_eq(purr_recording_open(path, &rec, &diag), 0, "%s",
                 diag.message);
    purr_recording_iter it;
    cr_assert_eq(purr_recording_iter_open(&it, rec), 0);
    row *rows = NULL;
    size_t cap = 0;
    *n = 0;
    int rc;
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0) {
        if (it.value->role != PURR_ROLE_INPUT)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            rows = realloc(rows, cap * sizeof *rows);
            cr_assert(rows);
        }
        row *r = &rows[(*n)++];
        snprintf(r->name, sizeof r->name, "%s", it.value->name);
        r->time_ns = it.time_ns;
        cr_assert_leq(it.payload_len, sizeof r->payload);
        memcpy(r->payload, it.payload, it.payload_len);
        r->len = it.payload_len;
    }
    cr_assert_eq(rc, PURR_ECLOSED);
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
    return rows;
}

/* Sorts rows by value name, keeping each value's own order: a wide CSV
 * row holds the values that changed at one instant in column order, so
 * only each value's sequence of transitions is kept, not the order of
 * two values' transitions at the same instant. */
static void
by_value(row *rows, size_t n)
{
    /* Insertion sort: stable, and the lists are a few thousand rows. */
    for (size_t i = 1; i < n; i++) {
        row r = rows[i];
        size_t j = i;
        while (j > 0 && strcmp(rows[j - 1].name, r.name) > 0) {
            rows[j] = rows[j - 1];
            j--;
        }
        rows[j] = r;
    }
}

/* Imports log against pet.yaml (with the options more) and compares its
 * inputs with pet.db's, in order (per_value: value by value). */
static void
check_round_trip_with(const char *log, bool per_value, const char *more)
{
    cr_assert_eq(purr("import %s -o back.db --scene %s/pet.yaml --force %s",
                      log, PURR_SCENES_DIR, more),
                 0, "import %s: %s", log, err);
    size_t na, nb;
    row *a = inputs_of("pet.db", &na);
    row *b = inputs_of("back.db", &nb);
    if (per_value) {
        by_value(a, na);
        by_value(b, nb);
    }
    cr_assert_gt(na, 1000);
    cr_assert_eq(na, nb, "%s: %zu inputs exported, %zu read back", log, na,
                 nb);
    for (size_t i = 0; i < na; i++) {
        cr_assert_str_eq(a[i].name, b[i].name, "transition %zu", i);
        cr_assert_eq(a[i].time_ns, b[i].time_ns, "transition %zu", i);
        cr_assert_eq(a[i].len, b[i].len, "transition %zu", i);
        cr_assert_eq(memcmp(a[i].payload, b[i].payload, a[i].len), 0,
                     "transition %zu (%s): payload differs", i, a[i].name);
    }
    free(a);
    free(b);
}

static void
check_round_trip_as(const char *log, bool per_value)
{
    check_round_trip_with(log, per_value, "");
}

static void
check_round_trip(const char *log)
{
    check_round_trip_as(log, false);
}

static char *
slurp_n(const char *name, size_t *len)
{
    char path[512];
    path_in(path, sizeof path, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)size + 1);
    cr_assert_eq(fread(s, 1, (size_t)size, f), (size_t)size);
    s[size] = '\0';
    fclose(f);
    *len = (size_t)size;
    return s;
}

static char *
slurp(const char *name)
{
    size_t len;
    return slurp_n(name, &len);
}

/* The map that reads purr's MCAP channels (/NAME, {"value": x}) back into
 * pet.yaml's inputs. */
static void
write_pet_map(void)
{
    char path[512];
    path_in(path, sizeof path, "map.yaml");
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("values:\n  /battery.value: battery\n  /touched.value: touched\n"
          "  /light.value: light\n",
          f);
    fclose(f);
}

/* purr's MCAP read back by purr's own MCAP importer: the same inputs, at
 * the same times (the first is at 0, so "relative to the first message"
 * changes nothing), with every compression. */
Test(export, mcap_round_trip)
{
    write_pet_map();
    const char *compressions[] = {"none", "zstd", "lz4"};
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(purr("export pet.db -o in.mcap --force --inputs "
                          "--compression %s",
                          compressions[k]),
                     0, "%s", err);
        check_round_trip_with("in.mcap", true, "--map map.yaml");
        cr_assert(strstr(err, "skipped: /purr/tasks"), "%s", err);
    }
}

/* A byte changed inside a chunk of purr's MCAP: purr's importer refuses
 * the file too (one line naming it, exit 2) and writes nothing. */
Test(export, mcap_changed_byte_refused_by_import)
{
    write_pet_map();
    const char *compressions[] = {"none", "zstd", "lz4"};
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(purr("export pet.db -o c.mcap --force --inputs "
                          "--compression %s",
                          compressions[k]),
                     0, "%s", err);
        char path[512];
        path_in(path, sizeof path, "c.mcap");
        long len, summary;
        long at = first_chunk_records(path, &len, &summary);
        flip_byte(path, at + len / 2);
        cr_assert_eq(purr("import c.mcap -o bad.db --scene %s/pet.yaml "
                          "--map map.yaml",
                          PURR_SCENES_DIR),
                     2, "%s: a changed chunk was imported: %s",
                     compressions[k], err);
        /* The error names the file and the offset (the note before it
         * lists the skipped task channel). */
        cr_assert(strstr(err, "purr: c.mcap: offset "), "%s", err);
        char bad[512];
        path_in(bad, sizeof bad, "bad.db");
        cr_assert_neq(access(bad, F_OK), 0, "an output was left behind");
    }
}

Test(export, csv_long_round_trip)
{
    cr_assert_eq(purr("export pet.db -o in.csv -f csv-long --inputs"), 0,
                 "%s", err);
    char *s = slurp("in.csv");
    cr_assert(strncmp(s, "time,value,datum\n", 17) == 0, "%.40s", s);
    free(s);
    check_round_trip("in.csv");
}

Test(export, jsonl_round_trip)
{
    cr_assert_eq(purr("export pet.db -o in.jsonl --inputs"), 0, "%s", err);
    /* Every line is a JSON object as jansson reads it, with exactly the
     * keys import reads, and its datum the recording's. */
    char *s = slurp("in.jsonl");
    size_t na;
    row *a = inputs_of("pet.db", &na);
    size_t i = 0;
    for (char *line = s, *nl; *line; line = nl + 1, i++) {
        nl = strchr(line, '\n');
        cr_assert(nl);
        *nl = '\0';
        json_error_t e;
        json_t *j = json_loads(line, 0, &e);
        cr_assert(j, "line %zu: %s", i + 1, e.text);
        cr_assert_eq(json_object_size(j), 3);
        cr_assert(i < na);
        cr_assert_str_eq(jstr(j, "value"), a[i].name);
        double t = json_number_value(json_object_get(j, "t"));
        cr_assert(fabs(t - (double)a[i].time_ns / 1e9) < 1e-6);
        purr_datum d;
        cr_assert_eq(purr_datum_decode(a[i].payload, a[i].len, &d), 0);
        cr_assert(json_is_datum(json_object_get(j, "datum"), &d),
                  "line %zu", i + 1);
        purr_datum_free(&d);
        json_decref(j);
    }
    cr_assert_eq(i, na);
    free(a);
    free(s);
    check_round_trip("in.jsonl");
}

Test(export, csv_wide_round_trip)
{
    cr_assert_eq(purr("export pet.db -o wide.csv --inputs"), 0, "%s", err);
    check_round_trip_as("wide.csv", true);
}

/* Splits one RFC 4180 record at *p (before end) into fields, unquoted in
 * place (lens[i] bytes each: a string cell may hold a NUL); returns the
 * number of fields, advancing *p past the record's CRLF. */
static size_t
csv_record(char **p, char *end, char **fields, size_t *lens, bool *quoted,
           size_t max)
{
    size_t n = 0;
    char *s = *p, *o;
    for (;;) {
        cr_assert(n < max);
        fields[n] = o = s;
        quoted[n] = s < end && *s == '"';
        if (quoted[n]) {
            for (s++;; s++) {
                cr_assert(s < end, "unterminated quoted field");
                if (*s == '"' && s + 1 < end && s[1] == '"')
                    *o++ = *s++;
                else if (*s == '"')
                    break;
                else
                    *o++ = *s;
            }
            s++;
        } else {
            while (s < end && *s != ',' && *s != '\r')
                *o++ = *s++;
        }
        lens[n] = (size_t)(o - fields[n]);
        n++;
        cr_assert(s < end, "a record must end with CRLF");
        char c = *s;
        *o = '\0';
        if (c == ',') {
            s++;
            continue;
        }
        cr_assert(c == '\r' && s + 1 < end && s[1] == '\n',
                  "a record must end with CRLF");
        *p = s + 2;
        return n;
    }
}

Test(export, csv_wide_rows)
{
    make_odd("odd.db");
    const char *dbs[] = {"pet.db", "odd.db"};
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(purr("export %s -o wide.csv --force", dbs[k]), 0, "%s",
                     err);
        size_t size;
        char *s = slurp_n("wide.csv", &size), *p = s, *end = s + size;
        char *fields[16], *cols[16];
        size_t lens[16];
        bool quoted[16];
        size_t ncols = csv_record(&p, end, fields, lens, quoted, 16);
        cr_assert_str_eq(fields[0], "time");
        for (size_t c = 0; c < ncols; c++)
            cols[c] = fields[c];

        /* The recording's transitions, grouped as documented: a row per
         * instant, a second row when a value changes twice at one instant.
         * Each group must be the next row: its time, and exactly its
         * values' cells set, to their datums. */
        char path[512];
        path_in(path, sizeof path, dbs[k]);
        purr_recording *rec;
        purr_diag diag;
        cr_assert_eq(purr_recording_open(path, &rec, &diag), 0);
        purr_recording_iter it;
        cr_assert_eq(purr_recording_iter_open(&it, rec), 0);
        size_t nrow = 0;
        purr_datum group[16];
        bool in_group[16] = {0};
        purr_time group_ns = -1;
        bool more = true;
        while (more) {
            more = purr_recording_iter_next(&it, &diag) == 0;
            size_t c = 1;
            if (more) {
                if (it.value->role == PURR_ROLE_INTERNAL)
                    continue;
                while (c < ncols && strcmp(cols[c], it.value->name) != 0)
                    c++;
                cr_assert_lt(c, ncols, "no column %s", it.value->name);
            }
            bool any = false;
            for (size_t q = 1; q < ncols; q++)
                any |= in_group[q];
            if (any && (!more || it.time_ns != group_ns || in_group[c])) {
                /* The group is complete: compare it with the next row. */
                cr_assert(p < end, "rows end early");
                cr_assert_eq(csv_record(&p, end, fields, lens, quoted, 16),
                             ncols);
                nrow++;
                char *rest;
                double secs = strtod(fields[0], &rest);
                cr_assert(!*rest && strchr(fields[0], '.') &&
                          strlen(strchr(fields[0], '.')) == 10);
                cr_assert(llabs((purr_time)llround(secs * 1e9) - group_ns) <
                          1000);
                for (size_t q = 1; q < ncols; q++) {
                    bool set = lens[q] > 0 || quoted[q];
                    cr_assert_eq(set, in_group[q], "row %zu, %s", nrow,
                                 cols[q]);
                    if (!set)
                        continue;
                    const purr_datum *want = &group[q];
                    if (want->type == PURR_T_STRING) {
                        cr_assert(quoted[q]);
                        cr_assert_eq(lens[q], want->len);
                        cr_assert_eq(memcmp(fields[q], want->u.s, want->len),
                                     0);
                    } else {
                        purr_datum d;
                        cr_assert_eq(purr_datum_parse(fields[q], lens[q], &d,
                                                      NULL),
                                     0, "%s", fields[q]);
                        cr_assert(purr_datum_equal(&d, want), "row %zu, %s",
                                  nrow, cols[q]);
                        purr_datum_free(&d);
                    }
                    purr_datum_free(&group[q]);
                    in_group[q] = false;
                }
            }
            if (more) {
                group_ns = it.time_ns;
                group[c] = purr_datum_copy(&it.datum);
                in_group[c] = true;
            }
        }
        purr_recording_iter_close(&it);
        purr_recording_close(rec);
        cr_assert(p == end, "rows left over");
        cr_assert_gt(nrow, 0);
        free(s);
    }
}

/* ---------------------------------------------------------------------- */
/* Usage and outputs                                                       */
/* ---------------------------------------------------------------------- */

Test(export, errors)
{
    cr_assert_eq(purr("export pet.db -o x.mcap --values battery,motor"), 2);
    cr_assert(strstr(err, "'motor'"), "%s", err);
    cr_assert_eq(purr("export pet.db -o x.mcap --from 2h --to 1h"), 2);
    cr_assert(strstr(err, "--from"), "%s", err);
    cr_assert_eq(purr("export pet.db -o x.mcap --from soon"), 2);
    cr_assert_eq(purr("export pet.db -o x.mcap --format xml"), 2);
    cr_assert_eq(purr("export pet.db -o x.mcap --compression brotli"), 2);
    cr_assert_eq(purr("export pet.db"), 2);
    cr_assert_eq(purr("export -o x.mcap"), 2);
    cr_assert_eq(purr("export nothere.db -o x.mcap"), 2);
    cr_assert(strstr(err, "nothere.db"), "%s", err);
    cr_assert_eq(purr("export pet.db -o pet.db --force"), 2);
    struct stat st;
    char path[512];
    path_in(path, sizeof path, "x.mcap");
    cr_assert_neq(stat(path, &st), 0, "a failed export left x.mcap");
    /* A directory that does not exist: the output cannot be written. */
    cr_assert_eq(purr("export pet.db -o nodir/x.mcap"), 3, "%s", err);
    cr_assert_eq(purr("export --help"), 0);
    cr_assert(strstr(out, "--values"));
}

Test(export, never_clobbers_without_force)
{
    char path[512];
    path_in(path, sizeof path, "old.csv");
    FILE *f = fopen(path, "w");
    fputs("keep me\n", f);
    fclose(f);
    cr_assert_eq(purr("export pet.db -o old.csv"), 2);
    cr_assert(strstr(err, "--force"), "%s", err);
    char *s = slurp("old.csv");
    cr_assert_str_eq(s, "keep me\n");
    free(s);
    cr_assert_eq(purr("export pet.db -o old.csv --force -q"), 0, "%s", err);
    cr_assert_str_empty(err);
    s = slurp("old.csv");
    cr_assert(strncmp(s, "time,", 5) == 0);
    free(s);
}
