/* import.c - field-log import, the driver: a log source's updates become a
 * recording holding only inputs.
 *
 * purr_import_log loads the map (import_map.c) and amends it with the
 * options, opens a source for the log's format (import_csv.c,
 * import_jsonl.c, and whatever import_int.h's switch lists), and streams:
 * a task on a virtual-clock loop pulls one update at a time from the
 * source, sleeps until its time and sets its input, while the recorder
 * observes the loop. Nothing of the log is held beyond the source's block
 * buffer and the current update, so any size of log imports in constant
 * memory.
 *
 * Checks common to every format are made here, on the stream: times must
 * not go backwards, no gap may exceed max_gap, and a log said to be
 * relative must not start at what looks like an epoch time (a log of epoch
 * seconds taken as offsets would be a 55-year run). Absolute times (epoch,
 * ISO-8601) are made relative to the log's start, and the start goes into
 * the recording's metadata as start_epoch_ns.
 *
 * The recording is written to a temporary file beside the output and
 * renamed over it at the end: a log that goes bad on its millionth line
 * leaves no output behind, and an old output whole.
 *
 * Layering: the inputs come as a schema (names, types, initial datums and
 * metadata), so this file knows no scene; the command line builds the
 * schema from a scene (purr_import_scene_log, cli.h).
 */
#include "import_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
purr__log_src_close(purr__log_src *src)
{
    if (src)
        src->close(src);
}

void
purr__import_note(const purr__import_ctx *ctx, const char *fmt, ...)
{
    if (!ctx->note)
        return;
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    ctx->note(ctx->note_ctx, line);
}

int
purr__import_open_source(purr_import_format fmt, const purr__import_ctx *ctx,
                         purr__log_src **out, purr_diag *diag)
{
    switch (fmt) {
    case PURR_IMPORT_CSV:
        return purr__import_open_csv(ctx, out, diag);
    case PURR_IMPORT_JSONL:
        return purr__import_open_jsonl(ctx, out, diag);
    case PURR_IMPORT_ROSBAG2:
        return purr__import_open_rosbag2(ctx, out, diag);
    case PURR_IMPORT_MCAP:
        return purr__import_open_mcap(ctx, out, diag);
    default:
        purr_diag_set(diag, ctx->path, 0, 0,
                      "unknown log format (name it .csv or .jsonl, or give "
                      "the format)");
        return PURR_EFORMAT;
    }
}

purr_import_format
purr_import_format_of(const char *path)
{
    size_t n = strlen(path);
    if (n >= 4 && strcmp(path + n - 4, ".csv") == 0)
        return PURR_IMPORT_CSV;
    if ((n >= 6 && strcmp(path + n - 6, ".jsonl") == 0) ||
        (n >= 7 && strcmp(path + n - 7, ".ndjson") == 0))
        return PURR_IMPORT_JSONL;
    if (n >= 4 && strcmp(path + n - 4, ".db3") == 0)
        return PURR_IMPORT_ROSBAG2;
    if (n >= 5 && strcmp(path + n - 5, ".mcap") == 0)
        return PURR_IMPORT_MCAP;
    return PURR_IMPORT_AUTO;
}

/* ---------------------------------------------------------------------- */
/* Streaming the log into the loop                                         */
/* ---------------------------------------------------------------------- */

typedef struct importer {
    const char *log_path;
    const purr_import_schema *schema;
    const purr_import_options *opts;
    const purr__import_map *map;
    purr__log_src *src;
    purr__log_rec first;     /* the first update, read before the run */
    int64_t base_ns;         /* subtracted from the log's times */
    int64_t last_ns;         /* the last update's time, as in the log */
    uint64_t last_where;     /* its line */
    uint64_t count;          /* updates handed to the loop */
    purr_value **values;     /* by input index, during the run */
    int err;                 /* the feed's error; diag is set */
    purr_diag *diag;
} importer;

static void
progress(importer *im)
{
    if (im->opts->progress)
        im->opts->progress(im->src->bytes_done, im->src->bytes_total,
                           im->opts->ctx);
}

/* Checks rec's time against the last one (backwards, max_gap). */
static int
check_time(importer *im, const purr__log_rec *rec)
{
    if (im->count == 0)
        return 0;
    if (rec->time_ns < im->last_ns) {
        purr_diag_set(im->diag, im->log_path, (long)rec->where,
                      (long)rec->time_col,
                      "time goes backwards (%" PRId64 " ns after %" PRId64
                      " ns on line %" PRIu64 ")",
                      rec->time_ns - im->base_ns, im->last_ns - im->base_ns,
                      im->last_where);
        return PURR_EFORMAT;
    }
    int64_t gap = rec->time_ns - im->last_ns;
    if (im->map->max_gap_ns > 0 && gap > im->map->max_gap_ns) {
        char g[40], lim[40];
        purr_time_format(gap, g, sizeof g);
        purr_time_format(im->map->max_gap_ns, lim, sizeof lim);
        purr_diag_set(im->diag, im->log_path, (long)rec->where,
                      (long)rec->time_col,
                      "a gap of %s after line %" PRIu64
                      " is larger than max_gap %s",
                      g, im->last_where, lim);
        return PURR_EFORMAT;
    }
    return 0;
}

static int
feed(void *arg)
{
    importer *im = arg;
    purr__log_rec rec = im->first;
    int rc = 1;
    while (rc == 1) {
        if ((rc = check_time(im, &rec)) < 0)
            return im->err = rc;
        int64_t at = rec.time_ns - im->base_ns;
        if (at > purr_now() && (rc = purr_sleep_until(at)) < 0)
            return rc;
        if ((rc = purr_value_set(im->values[rec.input], &rec.datum)) < 0)
            return rc;
        im->last_ns = rec.time_ns;
        im->last_where = rec.where;
        if ((++im->count & 0x3fff) == 0)
            progress(im);
        rc = im->src->next(im->src, &rec, im->diag);
    }
    if (rc < 0)
        return im->err = rc;
    progress(im);
    return 0;
}

static int
import_main(void *arg)
{
    importer *im = arg;
    purr_loop *loop = purr_loop_current();
    const purr_import_schema *sc = im->schema;
    for (size_t i = 0; i < sc->count; i++) {
        const purr_import_input *s = &sc->inputs[i];
        im->values[i] = purr_value_new(loop, s->name, PURR_ROLE_INPUT,
                                       s->type, &s->initial);
        if (!im->values[i])
            return PURR_ENOMEM;
    }
    return feed(im);
}

/* Records the log's updates into path (a fresh file). */
static int
write_recording(importer *im, const char *path, purr_diag *diag)
{
    char buf[32];
    int rc;
    purr_recorder_options ro = {.overwrite = true, .no_task_events = true};
    purr_recorder *r = purr_recorder_open(path, &ro, diag);
    if (!r)
        return PURR_EIO;
    purr_loop *loop = purr_loop_new(NULL);
    if (!loop) {
        purr_recorder_close(r, NULL);
        return PURR_ENOMEM;
    }
    im->values = calloc(im->schema->count + 1, sizeof *im->values);
    if (!im->values) {
        purr_recorder_close(r, NULL);
        purr_loop_close(loop);
        return PURR_ENOMEM;
    }
    rc = purr_recorder_attach(r, loop);
    if (rc == 0)
        rc = purr_run(loop, "purr-import", import_main, im);
    if (im->err < 0)
        rc = im->err; /* the log's fault: diag names the line */
    else if (rc < 0)
        purr_diag_set(diag, im->log_path, 0, 0, "cannot replay the log: %s",
                      purr_strerror(rc));
    for (const char *const *m = im->schema->meta; m && m[0] && m[1]; m += 2)
        purr_recorder_set_meta(r, m[0], m[1]);
    purr_recorder_set_meta(r, "clock", "imported");
    purr_recorder_set_meta(r, "created_by", "purr import");
    purr_recorder_set_meta(r, "source", im->log_path);
    snprintf(buf, sizeof buf, "%" PRId64, im->last_ns - im->base_ns + 1);
    purr_recorder_set_meta(r, "end_ns", buf);
    if (im->src->absolute) {
        snprintf(buf, sizeof buf, "%" PRId64, im->base_ns);
        purr_recorder_set_meta(r, "start_epoch_ns", buf);
    }
    purr_diag cdiag;
    int crc = purr_recorder_close(r, &cdiag);
    for (size_t i = 0; i < im->schema->count; i++)
        purr_value_free(im->values[i]);
    purr_loop_close(loop);
    if (rc == 0 && crc < 0) {
        if (diag)
            *diag = cdiag;
        rc = crc;
    }
    return rc;
}

/* Removes the -wal and -shm side files of the database at path. */
static void
remove_sides(const char *path)
{
    char side[4200];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* Removes path and its -wal and -shm side files. */
static void
remove_db(const char *path)
{
    unlink(path);
    remove_sides(path);
}

/* ---------------------------------------------------------------------- */
/* Setting up                                                              */
/* ---------------------------------------------------------------------- */

/* Amends map with what the options say (they win over the map file). */
static int
apply_options(purr__import_map *map, const purr_import_options *o,
              purr_diag *diag)
{
    if (o->time_column) {
        free(map->time_column);
        if (!(map->time_column = strdup(o->time_column)))
            return PURR_ENOMEM;
        map->time_line = map->time_col = 0;
    }
    if (o->time_format &&
        purr__time_format_parse(o->time_format, &map->time_format) < 0) {
        purr_diag_set(diag, "", 0, 0,
                      "unknown time format '%s' (s, ms, us, ns, iso8601)",
                      o->time_format);
        return PURR_EINVAL;
    }
    if (o->epoch)
        map->epoch = 1;
    if (o->max_gap_ns > 0)
        map->max_gap_ns = o->max_gap_ns;
    return 0;
}

static void
note_to_options(void *ctx, const char *line)
{
    const purr_import_options *o = ctx;
    if (o->note)
        o->note(line, o->ctx);
}

/* Formats ns since the Unix epoch as an ISO-8601 UTC time (civil from
 * days, the inverse of purr__days_from_civil). */
static void
format_epoch(int64_t ns, char *buf, size_t cap)
{
    int64_t s = ns / PURR_S, frac = ns % PURR_S;
    if (frac < 0) {
        frac += PURR_S;
        s--;
    }
    int64_t days = s / 86400, sod = s % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(buf, cap,
             "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64
             ":%02" PRId64 ":%02" PRId64 ".%09" PRId64 "Z",
             y, m, d, sod / 3600, sod / 60 % 60, sod % 60, frac);
}

/* Reads the first update and fixes the time base: 0 for a relative log
 * (after checking it does not look like epoch times), the start for an
 * absolute one. */
static int
start(importer *im, const purr__import_ctx *ctx, purr_diag *diag)
{
    purr__log_src *src = im->src;
    int rc = src->next(src, &im->first, diag);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        purr_diag_set(diag, im->log_path, 0, 0, "empty log: no records");
        return PURR_EFORMAT;
    }
    int64_t first = src->has_start ? src->start_ns : im->first.time_ns;
    if (!src->absolute) {
        if (purr__time_looks_epoch(first)) {
            purr_diag_set(diag, im->log_path, (long)im->first.where,
                          (long)im->first.time_col,
                          "the first time is %" PRId64 " s from the start: "
                          "it looks like an epoch time (give --epoch, or "
                          "epoch: true in the map)",
                          first / PURR_S);
            return PURR_EFORMAT;
        }
        im->base_ns = 0;
        return 0;
    }
    im->base_ns = first;
    char iso[64];
    format_epoch(first, iso, sizeof iso);
    purr__import_note(ctx, "%s: absolute times, made relative to the log's "
                      "start %s (start_epoch_ns %" PRId64 ")",
                      im->log_path, iso, first);
    return 0;
}

int
purr_import_log(const char *log_path, const char *out_db,
                const purr_import_schema *schema,
                const purr_import_options *opts,
                purr_diag *diag)
{
    purr_import_options o = {0};
    if (opts)
        o = *opts;
    purr_import_format fmt = o.format;
    if (fmt == PURR_IMPORT_AUTO)
        fmt = purr_import_format_of(log_path);
    if (fmt == PURR_IMPORT_AUTO)
        fmt = purr__import_sniff(log_path);
    if (fmt == PURR_IMPORT_AUTO) {
        purr_diag_set(diag, log_path, 0, 0,
                      "unknown log format (name it .csv or .jsonl, or give "
                      "the format)");
        return PURR_EFORMAT;
    }
    if (!out_db[0]) {
        purr_diag_set(diag, "", 0, 0,
                      "no output recording given (an empty path)");
        return PURR_EINVAL;
    }
    /* Never over the log itself; an existing file only when asked. */
    const char *inputs[] = {log_path, o.map_path};
    int rc = purr_output_check(out_db, inputs, o.map_path ? 2 : 1,
                               PURR_OUTPUT_RECORDING, o.overwrite, diag);
    if (rc < 0)
        return rc;
    if (strlen(out_db) > 4000) {
        purr_diag_set(diag, out_db, 0, 0, "path too long");
        return PURR_EINVAL;
    }

    purr__import_map map;
    memset(&map, 0, sizeof map);
    map.epoch = -1;
    importer im = {.log_path = log_path, .schema = schema, .opts = &o,
                   .map = &map, .diag = diag};
    if (o.map_path &&
        (rc = purr__import_map_load(o.map_path, schema, &map, diag)) < 0)
        goto done;
    if ((rc = apply_options(&map, &o, diag)) < 0)
        goto done;
    purr__import_ctx ctx = {.path = log_path, .schema = schema, .map = &map,
                            .note = note_to_options, .note_ctx = &o};
    if ((rc = purr__import_open_source(fmt, &ctx, &im.src, diag)) < 0)
        goto done;
    if ((rc = start(&im, &ctx, diag)) < 0)
        goto done;

    /* The temporary file is named as purr_output names its own (a dot
     * file, ".NAME.purr-tmp-..."), beside out_db so the rename is atomic. */
    char tmp[4100];
    const char *slash = strrchr(out_db, '/');
    int dirlen = slash ? (int)(slash - out_db) + 1 : 0;
    snprintf(tmp, sizeof tmp, "%.*s.%s.purr-tmp-%ld", dirlen, out_db,
             out_db + dirlen, (long)getpid());
    remove_db(tmp);
    rc = write_recording(&im, tmp, diag);
    if (rc == 0) {
        /* rename replaces an old out_db atomically: until it happens the
         * old file is whole. */
        if (rename(tmp, out_db) != 0) {
            purr_diag_set(diag, out_db, 0, 0, "cannot rename %s: %s", tmp,
                          strerror(errno));
            rc = PURR_EIO;
        } else {
            /* An old out_db's side files would be read into the new one. */
            remove_sides(out_db);
        }
    }
    if (rc < 0) {
        remove_db(tmp);
        /* The user knows the output by its name, not the temporary one. */
        if (diag && strcmp(diag->file, tmp) == 0)
            snprintf(diag->file, sizeof diag->file, "%s", out_db);
    }

done:
    purr__log_src_close(im.src);
    purr__import_map_free(&map);
    free(im.values);
    return rc;
}
