/* import_bin.c - the binary field-log sources: rosbag2 (.db3) and MCAP,
 * their messages decoded by purr's own CDR reader (or jansson for MCAP's
 * JSON channels) and mapped to inputs by "/topic.field.path" map keys.
 *
 * Both sources share what this file holds: the map's entries grouped by
 * topic, each topic's schema and compiled field paths (made once, when the
 * topic's type is known: at open for rosbag2 and for an MCAP file with a
 * summary, at the channel's first appearance otherwise), the conversion of
 * a field to its input's type, and the queue of updates one message makes
 * (a message of a topic mapped to three inputs gives three updates at the
 * same time, in map order). The readers (rosbag2.c, mcap_read.c) stream,
 * so the import runs in constant memory.
 *
 * Errors name the map's line and column for what the map says wrongly (a
 * topic the log lacks, a field its type lacks, a type purr cannot decode)
 * and the message number for what a message holds wrongly. Topics the map
 * does not name are listed once, as a note. Times are the log's (ns since
 * the epoch), so the source is absolute and its start is the log's first
 * message on any topic.
 */
#include "import_int.h"

#include "cdr_int.h"
#include "mcap_read_int.h"
#include "rosbag2_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* Topics and fields                                                       */
/* ---------------------------------------------------------------------- */

typedef struct bin_field {
    const purr__map_entry *e; /* the map's entry (borrowed) */
    purr__cdr_path path;      /* compiled against the topic's schema (CDR) */
} bin_field;

typedef struct bin_topic {
    const char *name;       /* the map entries' topic (borrowed) */
    bool seen;              /* the log has the topic */
    bool ready;             /* its schema is loaded, its paths compiled */
    bool json;              /* MCAP JSON channel: fields read per message */
    purr__cdr_schema schema;
    bin_field *fields;      /* in map order */
    size_t nfields;
} bin_topic;

/* What purr_import_log reads from: one struct for both formats. */
typedef struct bin_src {
    purr__log_src base;          /* first: the driver sees this */
    const purr__import_ctx *ctx; /* alive for the whole import */
    bool mcap;                   /* which reader */
    purr__mcap_reader mr;
    purr__rosbag2 rb;
    bin_topic *topics;
    size_t ntopics;
    size_t *rb_sel;      /* rosbag2 topic index -> topics index + 1, or 0 */
    uint32_t *ch_sel;    /* MCAP channel id -> topics index + 1; 0 not yet
                            seen; UINT32_MAX skipped */
    char *skipped;       /* the skipped topics, ", "-separated (heap) */
    size_t skipped_len;
    size_t nskipped;
    /* The message being handed out, field by field. */
    bin_topic *cur;
    size_t next_field;
    const uint8_t *msg;
    size_t msg_len;
    int64_t msg_time;
    uint64_t msg_no;
    uint64_t msg_off;    /* MCAP: the record's (or chunk's) offset */
    json_t *doc;         /* the JSON message, parsed once */
    purr_datum owned;    /* the string last handed out (freed next call) */
    purr_diag *diag;     /* where errors go: set by open and each next */
} bin_src;

/* Replaces control bytes (a newline in a topic name from the file) so
 * that a message stays one line. */
static void
one_line(char *c)
{
    for (; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
}

/* Sets diag for what the map entry e says wrongly: MAP:LINE:COL when the
 * entry comes from a map file, else the log. Returns PURR_EFORMAT. */
static int
entry_error(const bin_src *s, const purr__map_entry *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
entry_error(const bin_src *s, const purr__map_entry *e, const char *fmt, ...)
{
    char msg[400], shown[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    purr__import_printable(e->key, strlen(e->key), shown);
    const purr__import_map *map = s->ctx->map;
    if (map->path && e->line)
        purr_diag_set(s->diag, map->path, e->line, e->col, "'%s': %s",
                      shown, msg);
    else
        purr_diag_set(s->diag, s->ctx->path, 0, 0, "'%s': %s", shown, msg);
    return PURR_EFORMAT;
}

/* Groups the map's entries by topic. An entry without a topic (a CSV
 * column name) cannot name anything in a bag. */
static int
topics_build(bin_src *s)
{
    const purr__import_map *map = s->ctx->map;
    if (map->count == 0) {
        purr_diag_set(s->diag, s->ctx->path, 0, 0,
                      "%s log needs a map naming each input's "
                      "/topic.field (--map MAP.yaml)",
                      s->mcap ? "an MCAP" : "a rosbag2");
        return PURR_EFORMAT;
    }
    s->topics = calloc(map->count, sizeof *s->topics);
    if (!s->topics)
        return PURR_ENOMEM;
    for (size_t i = 0; i < map->count; i++) {
        const purr__map_entry *e = &map->entries[i];
        if (!e->topic || !e->field || !e->field[0])
            return entry_error(s, e, "%s log is mapped with keys "
                               "\"/topic.field\" (e.g. "
                               "/battery_state.percentage)",
                               s->mcap ? "an MCAP" : "a rosbag2");
        bin_topic *t = NULL;
        for (size_t k = 0; k < s->ntopics; k++)
            if (strcmp(s->topics[k].name, e->topic) == 0)
                t = &s->topics[k];
        if (!t) {
            t = &s->topics[s->ntopics++];
            t->name = e->topic;
        }
        bin_field *f = realloc(t->fields, (t->nfields + 1) * sizeof *f);
        if (!f)
            return PURR_ENOMEM;
        t->fields = f;
        f[t->nfields++] = (bin_field){.e = e};
    }
    return 0;
}

static bin_topic *
topic_find(bin_src *s, const char *name)
{
    for (size_t k = 0; k < s->ntopics; k++)
        if (strcmp(s->topics[k].name, name) == 0)
            return &s->topics[k];
    return NULL;
}

/* Whether a CDR primitive converts to an input of type want. */
static bool
prim_fits(uint8_t prim, purr_type want)
{
    switch (want) {
    case PURR_T_BOOL:
        return prim == PURR__CDR_BOOL || prim == PURR__CDR_UINT8;
    case PURR_T_INT:
        return prim >= PURR__CDR_INT8 && prim <= PURR__CDR_UINT64;
    case PURR_T_DOUBLE:
        return prim >= PURR__CDR_INT8 && prim <= PURR__CDR_FLOAT64;
    case PURR_T_STRING:
        return prim == PURR__CDR_STRING;
    default:
        return false;
    }
}

/* Loads topic t's schema (type, with the log's definition text when it
 * has one) and compiles its fields, checking each fits its input. */
static int
topic_prepare(bin_src *s, bin_topic *t, const char *type,
              const char *encoding, const char *def, size_t deflen)
{
    const purr_import_schema *sc = s->ctx->schema;
    t->seen = true;
    if (strcmp(encoding, "json") == 0) {
        t->json = true;
        t->ready = true;
        return 0;
    }
    if (strcmp(encoding, "cdr") != 0)
        return entry_error(s, t->fields[0].e, "topic %s is encoded as '%s'; "
                           "purr reads cdr (and json in MCAP)", t->name,
                           encoding);
    char err[300];
    if (purr__cdr_schema_load(&t->schema, type, def, deflen, err,
                              sizeof err) < 0)
        return entry_error(s, t->fields[0].e, "topic %s has type %s: %s",
                           t->name, type, err);
    for (size_t i = 0; i < t->nfields; i++) {
        bin_field *f = &t->fields[i];
        if (purr__cdr_path_compile(&t->schema, f->e->field, &f->path, err,
                                   sizeof err) < 0)
            return entry_error(s, f->e, "%s", err);
        const purr__cdr_type *lt =
            &t->schema.types[f->path.steps[f->path.nsteps - 1].type];
        const purr__cdr_field *lf =
            &lt->fields[f->path.steps[f->path.nsteps - 1].field];
        const purr_import_input *in = &sc->inputs[f->e->input];
        if (f->path.whole || !prim_fits(lf->prim, in->type))
            return entry_error(s, f->e, "field '%s' of %s is %s%s, which "
                               "does not fit input '%s' (%s)", f->e->field,
                               lt->name, f->path.whole ? "an array of " : "",
                               lf->type_name ? lf->type_name
                               : lf->prim == PURR__CDR_BOOL ? "bool"
                               : lf->prim == PURR__CDR_STRING ? "string"
                                                              : "a number",
                               in->name, purr_type_name(in->type));
    }
    t->ready = true;
    return 0;
}

/* Adds a topic to the skipped list (once). */
static void
skip_topic(bin_src *s, const char *name)
{
    size_t n = strlen(name);
    char *p = realloc(s->skipped, s->skipped_len + n + 3);
    if (!p)
        abort(); /* out of memory panics, as purr's copies do */
    s->skipped = p;
    if (s->skipped_len) {
        memcpy(p + s->skipped_len, ", ", 2);
        s->skipped_len += 2;
    }
    memcpy(p + s->skipped_len, name, n + 1);
    one_line(p + s->skipped_len);
    s->skipped_len += n;
    s->nskipped++;
}

static void
note_skipped(bin_src *s)
{
    if (s->nskipped)
        purr__import_note(s->ctx, "%s: %zu topic%s not in the map, skipped: "
                          "%s", s->ctx->path, s->nskipped,
                          s->nskipped == 1 ? "" : "s", s->skipped);
}

/* Every topic of the map must be in the log. */
static int
check_all_seen(bin_src *s)
{
    for (size_t k = 0; k < s->ntopics; k++)
        if (!s->topics[k].seen)
            return purr__import_map_entry_missing(
                s->ctx->map, s->topics[k].fields[0].e, s->ctx->path,
                "names a topic not in", s->diag);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Fields to datums                                                        */
/* ---------------------------------------------------------------------- */

/* Converts *d (owned) to type want in place; 0 or -1 (no conversion). */
static int
convert(purr_datum *d, purr_type want)
{
    if (d->type == want)
        return 0;
    if (want == PURR_T_DOUBLE && d->type == PURR_T_INT) {
        *d = purr_datum_double((double)d->u.i);
        return 0;
    }
    if (want == PURR_T_BOOL && d->type == PURR_T_INT &&
        (d->u.i == 0 || d->u.i == 1)) {
        *d = purr_datum_bool(d->u.i == 1);
        return 0;
    }
    return -1;
}

/* Walks path ("a.b[2].c") in a JSON document. */
static json_t *
json_walk(json_t *v, const char *path, char *err, size_t cap)
{
    const char *p = path;
    while (*p) {
        const char *ns = p;
        while (*p && *p != '.' && *p != '[')
            p++;
        char name[128];
        if (p - ns == 0 || p - ns >= (long)sizeof name) {
            snprintf(err, cap, "bad field path '%s'", path);
            return NULL;
        }
        memcpy(name, ns, (size_t)(p - ns));
        name[p - ns] = '\0';
        if (!json_is_object(v) || !(v = json_object_get(v, name))) {
            snprintf(err, cap, "no field '%s' in this message (field path "
                     "'%s')", name, path);
            return NULL;
        }
        while (*p == '[') {
            char *end;
            unsigned long long i = strtoull(p + 1, &end, 10);
            if (end == p + 1 || *end != ']') {
                snprintf(err, cap, "bad index in field path '%s'", path);
                return NULL;
            }
            if (!json_is_array(v) || i >= json_array_size(v)) {
                snprintf(err, cap, "no element %llu of '%s' in this message "
                         "(field path '%s')", i, name, path);
                return NULL;
            }
            v = json_array_get(v, (size_t)i);
            p = end + 1;
        }
        if (*p == '.')
            p++;
        else if (*p) {
            snprintf(err, cap, "bad field path '%s'", path);
            return NULL;
        }
    }
    return v;
}

static int
json_datum(json_t *v, purr_datum *out, char *err, size_t cap)
{
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        *out = purr_datum_int(json_integer_value(v));
        return 0;
    case JSON_REAL:
        *out = purr_datum_double(json_real_value(v));
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        *out = purr_datum_bool(json_is_true(v));
        return 0;
    case JSON_STRING:
        *out = purr_datum_string_n(json_string_value(v), json_string_length(v));
        return 0;
    default:
        snprintf(err, cap, "the field is %s, not a number, bool or string",
                 json_is_null(v) ? "null"
                 : json_is_array(v) ? "an array" : "an object");
        return PURR_EFORMAT;
    }
}

/* Hands out the current message's next field as *rec. */
static int
emit(bin_src *s, purr__log_rec *rec, purr_diag *diag)
{
    bin_topic *t = s->cur;
    bin_field *f = &t->fields[s->next_field++];
    const purr_import_input *in = &s->ctx->schema->inputs[f->e->input];
    char err[300];
    purr_datum d = purr_datum_nil();
    int rc;
    if (t->json) {
        if (!s->doc) {
            json_error_t je;
            s->doc = json_loadb((const char *)s->msg, s->msg_len,
                                JSON_DECODE_ANY, &je);
            if (!s->doc) {
                purr_diag_set(diag, s->ctx->path, (long)s->msg_no, 0,
                              "%s: message is not JSON (%s)", t->name,
                              je.text);
                return PURR_EFORMAT;
            }
        }
        json_t *v = json_walk(s->doc, f->e->field, err, sizeof err);
        rc = v ? json_datum(v, &d, err, sizeof err) : PURR_EFORMAT;
    } else {
        rc = purr__cdr_extract(&t->schema, &f->path, s->msg, s->msg_len, &d,
                               err, sizeof err);
    }
    if (rc < 0) {
        purr_diag_set(diag, s->ctx->path, (long)s->msg_no, 0, "%s: %s",
                      t->name, err);
        return PURR_EFORMAT;
    }
    if (convert(&d, in->type) < 0) {
        purr_diag_set(diag, s->ctx->path, (long)s->msg_no, 0,
                      "%s: field '%s' is a %s, which does not fit input "
                      "'%s' (%s)", t->name, f->e->field,
                      purr_type_name((purr_type)d.type), in->name,
                      purr_type_name(in->type));
        purr_datum_free(&d);
        return PURR_EFORMAT;
    }
    s->owned = d; /* a string is borrowed by the driver until next call */
    rec->time_ns = s->msg_time;
    rec->input = f->e->input;
    rec->datum = d;
    rec->where = s->msg_no;
    rec->time_col = 0;
    return 1;
}

/* ---------------------------------------------------------------------- */
/* Reading messages                                                        */
/* ---------------------------------------------------------------------- */

/* MCAP: classifies a channel the first time it shows up. */
static int
mcap_channel(bin_src *s, uint16_t id)
{
    const purr__mcap_channel *ch = purr__mcap_channel_get(&s->mr, id);
    bin_topic *t = topic_find(s, ch->topic);
    if (!t) {
        bool known = false;
        for (size_t i = 0; i < s->mr.nchannels; i++)
            if (s->mr.channels[i].id != id &&
                s->ch_sel[s->mr.channels[i].id] == UINT32_MAX &&
                strcmp(s->mr.channels[i].topic, ch->topic) == 0)
                known = true;
        if (!known)
            skip_topic(s, ch->topic);
        s->ch_sel[id] = UINT32_MAX;
        return 0;
    }
    s->ch_sel[id] = (uint32_t)(t - s->topics) + 1;
    if (t->ready)
        return 0;
    const purr__mcap_schema *sc = purr__mcap_schema_get(&s->mr, ch->schema_id);
    const char *type = sc ? sc->name : "";
    const char *def = NULL;
    size_t deflen = 0;
    if (sc && strcmp(ch->encoding, "cdr") == 0) {
        if (strcmp(sc->encoding, "ros2msg") == 0) {
            def = (const char *)sc->data;
            deflen = sc->len;
        } else if (!purr__cdr_builtin_has(type)) {
            return entry_error(s, t->fields[0].e, "topic %s has type %s "
                               "defined as '%s', which purr does not read "
                               "(ros2msg, or a type purr knows)", t->name,
                               type, sc->encoding);
        }
    }
    return topic_prepare(s, t, type, ch->encoding, def, deflen);
}

static int
mcap_fetch(bin_src *s, purr_diag *diag)
{
    for (;;) {
        purr__mcap_msg m;
        int rc = purr__mcap_next(&s->mr, &m);
        s->base.bytes_done = s->mr.pos;
        if (rc < 0) {
            purr_diag_set(diag, s->ctx->path, 0, 0, "%s", s->mr.err);
            return rc;
        }
        if (rc == 0)
            return 0;
        if (m.log_time > (uint64_t)INT64_MAX) {
            purr_diag_set(diag, s->ctx->path, (long)s->mr.messages, 0,
                          "offset %" PRIu64 ": log time %" PRIu64
                          " is past purr's times", m.offset, m.log_time);
            return PURR_ERANGE;
        }
        if (!s->base.has_start) {
            s->base.has_start = true;
            s->base.start_ns = (int64_t)m.log_time;
        }
        uint32_t sel = s->ch_sel[m.channel_id];
        if (sel == 0) {
            if ((rc = mcap_channel(s, m.channel_id)) < 0)
                return rc;
            sel = s->ch_sel[m.channel_id];
        }
        if (sel == UINT32_MAX)
            continue;
        s->cur = &s->topics[sel - 1];
        s->msg = m.data;
        s->msg_len = m.len;
        s->msg_time = (int64_t)m.log_time;
        s->msg_no = s->mr.messages;
        s->msg_off = m.offset;
        return 1;
    }
}

static int
rosbag2_fetch(bin_src *s, purr_diag *diag)
{
    purr__rosbag2_msg m;
    int rc = purr__rosbag2_next(&s->rb, &m);
    if (rc < 0) {
        purr_diag_set(diag, s->ctx->path, 0, 0, "%s", s->rb.err);
        return rc;
    }
    if (rc == 0)
        return 0;
    if (s->rb.max_id > 0 && s->base.bytes_total > 0)
        s->base.bytes_done = (uint64_t)((double)s->base.bytes_total *
                                        (double)m.number /
                                        (double)s->rb.max_id);
    s->cur = &s->topics[s->rb_sel[m.topic] - 1];
    s->msg = m.data;
    s->msg_len = m.len;
    s->msg_time = m.time_ns;
    s->msg_no = m.number;
    return 1;
}

static int next_rec(bin_src *s, purr__log_rec *rec, purr_diag *diag);

static int
bin_next(purr__log_src *base, purr__log_rec *rec, purr_diag *diag)
{
    bin_src *s = (bin_src *)base;
    purr_datum_free(&s->owned);
    s->diag = diag;
    int rc = next_rec(s, rec, diag);
    if (rc < 0 && diag)
        one_line(diag->message);
    return rc;
}

/* bin_next's work: the next field of the current message, or of the next
 * message that has one. */
static int
next_rec(bin_src *s, purr__log_rec *rec, purr_diag *diag)
{
    for (;;) {
        if (s->cur && s->next_field < s->cur->nfields)
            return emit(s, rec, diag);
        if (s->doc) {
            json_decref(s->doc);
            s->doc = NULL;
        }
        s->cur = NULL;
        s->next_field = 0;
        int rc = s->mcap ? mcap_fetch(s, diag) : rosbag2_fetch(s, diag);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            if (s->mcap && !s->mr.has_summary) {
                /* Only now is every channel known. */
                note_skipped(s);
                s->nskipped = 0;
                if ((rc = check_all_seen(s)) < 0)
                    return rc;
            }
            s->base.bytes_done = s->base.bytes_total;
            return 0;
        }
    }
}

static void
bin_close(purr__log_src *base)
{
    bin_src *s = (bin_src *)base;
    purr_datum_free(&s->owned);
    if (s->doc)
        json_decref(s->doc);
    for (size_t k = 0; k < s->ntopics; k++) {
        purr__cdr_schema_free(&s->topics[k].schema);
        free(s->topics[k].fields);
    }
    free(s->topics);
    if (s->mcap)
        purr__mcap_close(&s->mr);
    else
        purr__rosbag2_close(&s->rb);
    free(s->rb_sel);
    free(s->ch_sel);
    free(s->skipped);
    free(s);
}

/* ---------------------------------------------------------------------- */
/* Opening                                                                 */
/* ---------------------------------------------------------------------- */

static bin_src *
bin_new(const purr__import_ctx *ctx, bool mcap)
{
    bin_src *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->base.next = bin_next;
    s->base.close = bin_close;
    s->base.absolute = true;
    s->base.path = ctx->path;
    s->ctx = ctx;
    s->mcap = mcap;
    return s;
}

int
purr__import_open_mcap(const purr__import_ctx *ctx, purr__log_src **out,
                       purr_diag *diag)
{
    bin_src *s = bin_new(ctx, true);
    if (!s)
        return PURR_ENOMEM;
    s->diag = diag;
    int rc = purr__mcap_open(&s->mr, ctx->path);
    if (rc < 0) {
        purr_diag_set(diag, ctx->path, 0, 0, "%s", s->mr.err);
        goto fail;
    }
    s->base.bytes_total = s->mr.size;
    if (!(s->ch_sel = calloc(65536, sizeof *s->ch_sel))) {
        rc = PURR_ENOMEM;
        goto fail;
    }
    if ((rc = topics_build(s)) < 0)
        goto fail;
    if (s->mr.has_summary) {
        /* Every channel is known now: check the map against them all. */
        for (size_t i = 0; i < s->mr.nchannels; i++)
            if ((rc = mcap_channel(s, s->mr.channels[i].id)) < 0)
                goto fail;
        note_skipped(s);
        if ((rc = check_all_seen(s)) < 0)
            goto fail;
    }
    *out = &s->base;
    return 0;
fail:
    if (diag)
        one_line(diag->message);
    bin_close(&s->base);
    return rc;
}

int
purr__import_open_rosbag2(const purr__import_ctx *ctx, purr__log_src **out,
                          purr_diag *diag)
{
    bin_src *s = bin_new(ctx, false);
    if (!s)
        return PURR_ENOMEM;
    s->diag = diag;
    size_t *want = NULL;
    int rc = purr__rosbag2_open(&s->rb, ctx->path);
    if (rc < 0) {
        purr_diag_set(diag, ctx->path, 0, 0, "%s", s->rb.err);
        goto fail;
    }
    s->base.bytes_total = s->rb.size;
    s->base.has_start = true;
    s->base.start_ns = s->rb.start_ns;
    purr__import_note(ctx, "%s: rosbag2 sqlite3 storage, schema version %d "
                      "(ros_distro %s, metadata version %d)", ctx->path,
                      s->rb.schema_version,
                      s->rb.ros_distro[0] ? s->rb.ros_distro : "not recorded",
                      s->rb.metadata_version);
    if ((rc = topics_build(s)) < 0)
        goto fail;
    s->rb_sel = calloc(s->rb.ntopics + 1, sizeof *s->rb_sel);
    want = calloc(s->rb.ntopics + 1, sizeof *want);
    if (!s->rb_sel || !want) {
        rc = PURR_ENOMEM;
        goto fail;
    }
    size_t nwant = 0;
    for (size_t i = 0; i < s->rb.ntopics; i++) {
        const purr__rosbag2_topic *bt = &s->rb.topics[i];
        bin_topic *t = topic_find(s, bt->name);
        if (!t) {
            skip_topic(s, bt->name);
            continue;
        }
        if (t->ready) {
            /* The same topic twice (rosbag2 allows it with another type). */
            s->rb_sel[i] = (size_t)(t - s->topics) + 1;
            want[nwant++] = i;
            continue;
        }
        if ((rc = topic_prepare(s, t, bt->type, bt->format, bt->definition,
                                bt->definition_len)) < 0)
            goto fail;
        s->rb_sel[i] = (size_t)(t - s->topics) + 1;
        want[nwant++] = i;
    }
    note_skipped(s);
    if ((rc = check_all_seen(s)) < 0)
        goto fail;
    if ((rc = purr__rosbag2_start(&s->rb, want, nwant)) < 0) {
        purr_diag_set(diag, ctx->path, 0, 0, "%s", s->rb.err);
        goto fail;
    }
    free(want);
    *out = &s->base;
    return 0;
fail:
    if (diag)
        one_line(diag->message);
    free(want);
    bin_close(&s->base);
    return rc;
}

purr_import_format
purr__import_sniff(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        /* A split rosbag2 bag: a directory with metadata.yaml. */
        char meta[4200];
        snprintf(meta, sizeof meta, "%s/metadata.yaml", path);
        return access(meta, F_OK) == 0 ? PURR_IMPORT_ROSBAG2
                                       : PURR_IMPORT_AUTO;
    }
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return PURR_IMPORT_AUTO; /* never open a FIFO: it would wait */
    FILE *f = fopen(path, "rb");
    if (!f)
        return PURR_IMPORT_AUTO;
    char head[16] = {0};
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n == 16 && memcmp(head, "SQLite format 3", 16) == 0)
        return PURR_IMPORT_ROSBAG2;
    if (n >= 8 && memcmp(head, "\x89MCAP0\r\n", 8) == 0)
        return PURR_IMPORT_MCAP;
    return PURR_IMPORT_AUTO;
}
