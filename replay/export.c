/* export.c - purr_export_write and purr_export_run (export.h): choosing
 * the values and the time range, and streaming a recording's transitions
 * into an MCAP file (mcap_write.c) or a text format (export_text.c).
 *
 * The recording is read once, in seq order, through the reader's iterator:
 * nothing of it is held beyond the current transition, so an export runs
 * in constant memory however long the recording. Transitions come in
 * non-decreasing time order, so the range ends the iteration at the first
 * transition past to_ns.
 *
 * MCAP layout (docs/export.md): one schema per value type used (JSON
 * Schema, encoding jsonschema), one channel per exported value, topic
 * "/NAME", message encoding json, channel metadata purr.role and
 * purr.type; a metadata record "purr" with the recording's run metadata;
 * one message {"value": DATUM} per transition at log time start_epoch_ns
 * (when the recording has it, else 0) + the transition's virtual time.
 */
#include "export_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
purr_export_format_parse(const char *name, purr_export_format *format)
{
    static const struct {
        const char *name;
        purr_export_format format;
    } names[] = {{"mcap", PURR_EXPORT_MCAP},
                 {"csv", PURR_EXPORT_CSV},
                 {"csv-long", PURR_EXPORT_CSV_LONG},
                 {"jsonl", PURR_EXPORT_JSONL},
                 {"ndjson", PURR_EXPORT_JSONL}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *format = names[i].format;
            return 0;
        }
    return PURR_EINVAL;
}

/* ---------------------------------------------------------------------- */
/* MCAP                                                                    */
/* ---------------------------------------------------------------------- */

/* The JSON Schema of a message {"value": ...} for each purr type (the
 * schema's name is "purr.TYPE"). NaN and infinities are strings in
 * double messages, bytes base64 strings (export_json.c). */
static const char *
schema_of(purr_type type)
{
#define SCHEMA(T, DESC)                                                       \
    "{\"type\":\"object\",\"title\":\"purr " DESC " value\","                 \
    "\"properties\":{\"value\":" T "},\"required\":[\"value\"]}"
    switch (type) {
    case PURR_T_BOOL:
        return SCHEMA("{\"type\":\"boolean\"}", "bool");
    case PURR_T_INT:
        return SCHEMA("{\"type\":\"integer\"}", "int");
    case PURR_T_DOUBLE:
        return SCHEMA("{\"type\":[\"number\",\"string\"],\"description\":"
                      "\"a number; NaN, Infinity and -Infinity as strings\"}",
                      "double");
    case PURR_T_STRING:
        return SCHEMA("{\"type\":\"string\"}", "string");
    case PURR_T_BYTES:
        return SCHEMA("{\"type\":\"string\",\"contentEncoding\":\"base64\"}",
                      "bytes");
    case PURR_T_TUPLE:
        return SCHEMA("{\"type\":\"array\"}", "tuple");
    default:
        return SCHEMA("{}", "any");
    }
#undef SCHEMA
}

/* The JSON Schema of a /purr/tasks message. */
static const char TASK_SCHEMA[] =
    "{\"type\":\"object\",\"title\":\"purr task event\","
    "\"properties\":{"
    "\"event\":{\"type\":\"string\",\"enum\":[\"spawned\",\"started\","
    "\"blocked\",\"woken\",\"cancelled\",\"ended\"]},"
    "\"task\":{\"type\":\"integer\",\"description\":\"task id\"},"
    "\"name\":{\"type\":\"string\"},"
    "\"parent\":{\"type\":\"integer\",\"description\":"
    "\"the task owning its nursery (0: none)\"},"
    "\"status\":{\"type\":\"integer\",\"description\":"
    "\"ended: the result; woken: the wake code\"},"
    "\"detail\":{\"type\":[\"string\",\"null\"],\"description\":"
    "\"blocked: what the task waits for\"}},"
    "\"required\":[\"event\",\"task\",\"name\",\"parent\",\"status\","
    "\"detail\"]}";

/* Formats the current task event of it as a /purr/tasks message. */
static int
task_message(purr__buf *b, const purr_recording_task_iter *it)
{
    static const char *const names[] = {"?",       "spawned", "started",
                                        "blocked", "woken",   "cancelled",
                                        "ended"};
    char tmp[160];
    b->len = 0;
    snprintf(tmp, sizeof tmp, "{\"event\": \"%s\", \"task\": %" PRIu64
             ", \"name\": ", names[it->kind <= 6 ? it->kind : 0], it->task_id);
    int rc = purr__buf_puts(b, tmp);
    if (rc == 0)
        rc = purr__json_string(b, it->task_name, strlen(it->task_name),
                               PURR__JSON_VIEW);
    snprintf(tmp, sizeof tmp,
             ", \"parent\": %" PRIu64 ", \"status\": %" PRId32
             ", \"detail\": ",
             it->parent_task_id, it->status);
    if (rc == 0)
        rc = purr__buf_puts(b, tmp);
    if (rc == 0)
        rc = it->detail ? purr__json_string(b, it->detail, strlen(it->detail),
                                            PURR__JSON_VIEW)
                        : purr__buf_puts(b, "null");
    if (rc == 0)
        rc = purr__buf_puts(b, "}");
    return rc;
}

/* Steps ti to its next event at or after from_ns; *more says whether there
 * is one (at or before to_ns). Returns 0 or an error with diag set. */
static int
task_step(purr_recording_task_iter *ti, purr_time from_ns, purr_time to_ns,
          bool *more, purr_diag *diag)
{
    int rc;
    while ((rc = purr_recording_task_iter_next(ti, diag)) == 0 &&
           ti->time_ns < from_ns)
        ;
    *more = rc == 0 && ti->time_ns <= to_ns;
    return rc == PURR_ECLOSED ? 0 : rc;
}

/* Parses the metadata start_epoch_ns (decimal int64 ns since the Unix
 * epoch, not negative). Returns 0 or PURR_EFORMAT. */
static int
parse_epoch(const char *s, uint64_t *out /* out */)
{
    uint64_t v = 0;
    if (!s[0])
        return PURR_EFORMAT;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > (uint64_t)INT64_MAX / 10)
            return PURR_EFORMAT;
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > (uint64_t)INT64_MAX)
            return PURR_EFORMAT;
    }
    *out = v;
    return 0;
}

/* Writes the MCAP file: header, schemas, channels, metadata, then the
 * transitions in range. */
static int
export_mcap(purr_recording *rec, FILE *out, const purr_export_options *o,
            purr__export_col *cols, size_t ncols, const int *col_of,
            purr_time from_ns, purr_time to_ns, purr_export_stats *stats,
            purr_diag *diag /* out */)
{
    const char *path = purr_recording_path(rec);
    uint64_t epoch = 0;
    const char *e = purr_recording_meta(rec, "start_epoch_ns");
    if (e && parse_epoch(e, &epoch) < 0) {
        purr_diag_set(diag, path, 0, 0,
                      "run row start_epoch_ns: '%.40s' is not a number of "
                      "ns since the Unix epoch",
                      e);
        return PURR_EFORMAT;
    }
    /* No overflow: epoch and every recorded time are at most INT64_MAX,
     * so their sum fits a u64. */

    purr__mcap *w = purr__mcap_new(out, o->compression, o->chunk_bytes);
    if (!w)
        return PURR_ENOMEM;
    char library[64];
    snprintf(library, sizeof library, "purr %s", purr_version_string());
    int rc = purr__mcap_start(w, "", library);

    /* One schema per type in use, in type order. */
    int schema_of_type[PURR_T_TUPLE + 1] = {0};
    for (size_t c = 0; c < ncols && rc >= 0; c++) {
        purr_type t = cols[c].value->type;
        if (t > PURR_T_TUPLE)
            t = PURR_T_NIL;
        if (schema_of_type[t])
            continue;
        char name[32];
        snprintf(name, sizeof name, "purr.%s",
                 t == PURR_T_NIL ? "any" : purr_type_name(t));
        rc = purr__mcap_schema(w, name, "jsonschema", schema_of(t));
        schema_of_type[t] = rc;
    }
    for (size_t c = 0; c < ncols && rc >= 0; c++) {
        const purr_recorded_value *v = cols[c].value;
        purr_type t = v->type > PURR_T_TUPLE ? PURR_T_NIL : v->type;
        char *topic = malloc(strlen(v->name) + 2);
        if (!topic) {
            rc = PURR_ENOMEM;
            break;
        }
        sprintf(topic, "%s%s", v->name[0] == '/' ? "" : "/", v->name);
        const char *keys[] = {"purr.role", "purr.type"};
        const char *vals[] = {purr_role_name(v->role),
                              t == PURR_T_NIL ? "any" : purr_type_name(t)};
        rc = purr__mcap_channel(w, schema_of_type[t], topic, "json", keys,
                                vals, 2);
        free(topic);
        cols[c].channel = rc;
    }
    /* The task events, on a channel of their own when there are any. */
    purr_recording_task_iter ti;
    bool topen = false, tmore = false;
    int tchannel = 0;
    if (rc >= 0 && !o->no_tasks) {
        rc = purr_recording_task_iter_open(&ti, rec, diag);
        topen = rc == 0;
        if (rc == 0)
            rc = task_step(&ti, from_ns, to_ns, &tmore, diag);
        if (rc == 0 && tmore &&
            (rc = purr__mcap_schema(w, "purr.task_event", "jsonschema",
                                    TASK_SCHEMA)) >= 0) {
            const char *keys[] = {"purr.role"};
            const char *vals[] = {"task events"};
            rc = tchannel = purr__mcap_channel(w, rc, "/purr/tasks", "json",
                                               keys, vals, 1);
        }
    }
    if (rc >= 0) {
        size_t n = purr_recording_meta_count(rec);
        const char **keys = calloc(n + 1, sizeof *keys);
        const char **vals = calloc(n + 1, sizeof *vals);
        if (!keys || !vals)
            rc = PURR_ENOMEM;
        for (size_t i = 0; i < n && rc >= 0; i++)
            purr_recording_meta_at(rec, i, &keys[i], &vals[i]);
        if (rc >= 0)
            rc = purr__mcap_metadata(w, "purr", keys, vals, n);
        free(keys);
        free(vals);
    }

    /* The transitions. */
    purr__buf msg = {0};
    purr_recording_iter it;
    bool open = false;
    const purr_recorded_value *first = purr_recording_value_at(rec, 0);
    if (rc >= 0) {
        rc = purr_recording_iter_open(&it, rec);
        open = rc == 0;
    }
    while (rc >= 0 && (rc = purr_recording_iter_next(&it, diag)) == 0) {
        if (it.time_ns < from_ns)
            continue;
        if (it.time_ns > to_ns)
            break;
        /* The task events up to this instant come first. */
        while (tmore && ti.time_ns <= it.time_ns && rc >= 0) {
            if ((rc = task_message(&msg, &ti)) < 0 ||
                (rc = purr__mcap_message(w, tchannel,
                                         epoch + (uint64_t)ti.time_ns,
                                         msg.data, msg.len)) < 0)
                break;
            stats->task_events++;
            rc = task_step(&ti, from_ns, to_ns, &tmore, diag);
        }
        if (rc < 0)
            break;
        int c = col_of[it.value - first];
        if (c < 0)
            continue;
        msg.len = 0;
        if ((rc = purr__buf_puts(&msg, "{\"value\": ")) < 0 ||
            (rc = purr__json_datum(&msg, &it.datum, PURR__JSON_VIEW,
                                   NULL)) < 0 ||
            (rc = purr__buf_puts(&msg, "}")) < 0)
            break;
        rc = purr__mcap_message(w, cols[c].channel,
                                epoch + (uint64_t)it.time_ns, msg.data,
                                msg.len);
        cols[c].count++;
        stats->transitions++;
    }
    if (rc == PURR_ECLOSED)
        rc = 0;
    /* The task events after the last transition. */
    while (tmore && rc >= 0) {
        if ((rc = task_message(&msg, &ti)) < 0 ||
            (rc = purr__mcap_message(w, tchannel,
                                     epoch + (uint64_t)ti.time_ns, msg.data,
                                     msg.len)) < 0)
            break;
        stats->task_events++;
        rc = task_step(&ti, from_ns, to_ns, &tmore, diag);
    }
    if (open)
        purr_recording_iter_close(&it);
    if (topen)
        purr_recording_task_iter_close(&ti);
    purr__buf_free(&msg);
    if (rc >= 0)
        rc = purr__mcap_finish(w);
    if (rc < 0 && (purr__mcap_failed(w) || ferror(out))) {
        stats->output_failed = true;
        purr_diag_set(diag, "", 0, 0, "cannot write the export: %s",
                      strerror(errno ? errno : EIO));
        rc = PURR_EIO;
    }
    stats->chunks = purr__mcap_chunks(w);
    stats->bytes = purr__mcap_bytes(w);
    purr__mcap_free(w);
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------------- */
/* Entry points                                                            */
/* ---------------------------------------------------------------------- */

int
purr_export_write(purr_recording *rec, FILE *out,
                  const purr_export_options *opts, purr_export_stats *stats,
                  purr_diag *diag)
{
    static const purr_export_options defaults;
    const purr_export_options *o = opts ? opts : &defaults;
    purr_export_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    const char *path = purr_recording_path(rec);

    if ((unsigned)o->format > PURR_EXPORT_JSONL ||
        (unsigned)o->compression > PURR_EXPORT_NONE) {
        purr_diag_set(diag, path, 0, 0, "unknown export format");
        return PURR_EINVAL;
    }
    purr_time from_ns = o->has_from ? o->from_ns : 0;
    purr_time to_ns = o->has_to ? o->to_ns : INT64_MAX;
    if (from_ns < 0 || to_ns < 0 || from_ns > to_ns) {
        purr_diag_set(diag, path, 0, 0,
                      "the time range is empty (from %" PRId64
                      " ns is after to %" PRId64 " ns)",
                      from_ns, to_ns);
        return PURR_EINVAL;
    }

    /* The columns: the chosen values, in recording order. */
    size_t nv = purr_recording_value_count(rec);
    int *col_of = malloc((nv + 1) * sizeof *col_of);
    purr__export_col *cols = calloc(nv + 1, sizeof *cols);
    if (!col_of || !cols) {
        free(col_of);
        free(cols);
        return PURR_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < nv; i++)
        col_of[i] = -1;
    for (size_t k = 0; k < o->nvalues; k++) {
        const purr_recorded_value *v =
            purr_recording_value_find(rec, o->values[k]);
        if (!v) {
            purr_diag_set(diag, path, 0, 0, "no value named '%.80s'",
                          o->values[k]);
            rc = PURR_ENOENT;
            break;
        }
        col_of[v - purr_recording_value_at(rec, 0)] = 0;
    }
    size_t ncols = 0;
    for (size_t i = 0; i < nv && rc == 0; i++) {
        const purr_recorded_value *v = purr_recording_value_at(rec, i);
        bool take;
        if (o->nvalues > 0)
            take = col_of[i] == 0;
        else if (o->inputs_only)
            take = v->role == PURR_ROLE_INPUT;
        else
            take = o->all_values || v->role != PURR_ROLE_INTERNAL;
        col_of[i] = take ? (int)ncols : -1;
        if (take)
            cols[ncols++].value = v;
    }

    if (rc == 0 && o->format == PURR_EXPORT_MCAP)
        rc = export_mcap(rec, out, o, cols, ncols, col_of, from_ns, to_ns,
                         stats, diag);
    else if (rc == 0)
        rc = purr__export_text(rec, out, o->format, cols, ncols, col_of,
                               from_ns, to_ns, stats, diag);
    free(col_of);
    free(cols);
    return rc;
}

int
purr_export_run(const char *rec_path, const char *out_path,
                const purr_export_options *opts, purr_export_stats *stats,
                purr_diag *diag)
{
    purr_export_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    bool force = opts && opts->overwrite;
    struct stat st;
    if (!force && stat(out_path, &st) == 0) {
        purr_diag_set(diag, out_path, 0, 0,
                      "already exists; give --force to replace it");
        return PURR_EEXIST;
    }
    /* The rest of the checks: never the recording itself, never a
     * directory or a device (the kind does not matter with force). */
    const char *inputs[] = {rec_path};
    int rc = purr_output_check(out_path, inputs, 1, PURR_OUTPUT_RECORDING,
                               true, diag);
    if (rc < 0)
        return rc;

    purr_recording *rec = NULL;
    if ((rc = purr_recording_open(rec_path, &rec, diag)) < 0)
        return rc;
    purr_output out;
    if ((rc = purr_output_open(&out, out_path, diag)) < 0) {
        purr_recording_close(rec);
        stats->output_failed = true;
        return rc;
    }
    errno = 0;
    rc = purr_export_write(rec, out.file, opts, stats, diag);
    purr_recording_close(rec);
    if (rc < 0) {
        if (stats->output_failed)
            purr_diag_set(diag, out_path, 0, 0, "cannot write: %s",
                          strerror(errno ? errno : EIO));
        purr_output_discard(&out);
        return rc;
    }
    if ((rc = purr_output_close(&out, diag)) < 0) {
        stats->output_failed = true;
        return rc;
    }
    return 0;
}
