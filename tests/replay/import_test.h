/* import_test.h - fixtures of the field-log import tests: a schema of four
 * inputs (one per type), a private temporary directory, importing a text
 * through purr_import_log, and reading a recording back as lines of text
 * "TIME_NS NAME DATUM" to compare with what the log says. */
#ifndef PURR_IMPORT_TEST_H
#define PURR_IMPORT_TEST_H

#include "purr_test.h"

#include "import_int.h"

#include <purr/recorder.h>
#include <purr/replay.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The inputs: bumper (bool), ticks (int), battery (double), label
 * (string). */
static inline const purr_import_schema *
it_schema(void)
{
    static purr_import_input in[4];
    static const char *const meta[] = {"scene", "test", NULL};
    static purr_import_schema sc;
    in[0] = (purr_import_input){"bumper", PURR_T_BOOL, {.type = PURR_T_BOOL}};
    in[1] = (purr_import_input){"ticks", PURR_T_INT, {.type = PURR_T_INT}};
    in[2] = (purr_import_input){"battery", PURR_T_DOUBLE,
                                {.type = PURR_T_DOUBLE}};
    in[3] = (purr_import_input){"label", PURR_T_STRING,
                                purr_datum_nil()};
    in[3].initial = (purr_datum){.type = PURR_T_STRING, .len = 0,
                                 .u.s = (char *)""};
    sc = (purr_import_schema){.source = "scene test.yaml", .inputs = in,
                              .count = 4, .meta = meta};
    return &sc;
}

/* path (cap bytes) becomes DIR/name in this process's own directory. */
static inline void
it_path(char *path, size_t cap, const char *name)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/purr-imp-XXXXXX");
        cr_assert(mkdtemp(dir) != NULL);
    }
    snprintf(path, cap, "%s/%s", dir, name);
}

/* Writes len bytes of text to DIR/name; path receives the file's path. */
static inline void
it_write(char *path, size_t cap, const char *name, const char *text,
         size_t len)
{
    it_path(path, cap, name);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* The notes an import sent, one per line. */
static char it_notes[2048];

static inline void
it_note(const char *line, void *ctx)
{
    (void)ctx;
    size_t n = strlen(it_notes);
    snprintf(it_notes + n, sizeof it_notes - n, "%s\n", line);
}

/* Imports text (written as DIR/name) into DIR/out.db with opts (may be
 * NULL); returns purr_import_log's result, diag and the db path. */
static inline int
it_import(const char *name, const char *text, purr_import_options *opts,
          char *db, size_t dbcap, purr_diag *diag)
{
    char log[256];
    it_write(log, sizeof log, name, text, strlen(text));
    it_path(db, dbcap, "out.db");
    unlink(db);
    purr_import_options o = {0};
    if (opts)
        o = *opts;
    o.overwrite = true;
    o.note = it_note;
    it_notes[0] = '\0';
    memset(diag, 0, sizeof *diag);
    return purr_import_log(log, db, it_schema(), &o, diag);
}

/* Reads db's transitions as "TIME NAME DATUM\n" lines into out. */
static inline void
it_rows(const char *db, char *out, size_t cap)
{
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(db, &rec, &diag));
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    size_t n = 0;
    out[0] = '\0';
    int rc;
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0) {
        char text[256];
        purr_datum_format(&it.datum, text, sizeof text);
        n += (size_t)snprintf(out + n, cap - n, "%lld %s %s\n",
                              (long long)it.time_ns, it.value->name, text);
        cr_assert(n < cap);
    }
    purr_assert_err(rc, PURR_ECLOSED);
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
}

/* The recording's metadata key, copied into out ("" when absent). */
static inline const char *
it_meta(const char *db, const char *key, char *out, size_t cap)
{
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(db, &rec, &diag));
    const char *v = purr_recording_meta(rec, key);
    snprintf(out, cap, "%s", v ? v : "");
    purr_recording_close(rec);
    return out;
}

/* Imports text as name and expects failure at LOG:line:col (col 0: any)
 * with message containing msg, and no output file. */
#define it_expect_bad(name, text, opts, want_line, want_col, msg)                        \
    do {                                                                     \
        char db_[256];                                                       \
        purr_diag d_;                                                        \
        int rc_ = it_import(name, text, opts, db_, sizeof db_, &d_);         \
        cr_assert_lt(rc_, 0, "%s imported", name);                           \
        cr_assert_eq(d_.line, (long)(want_line), "%s: line %ld: %s", name,       \
                     d_.line, d_.message);                                   \
        if ((want_col) > 0)                                                       \
            cr_assert_eq(d_.column, (long)(want_col), "%s: column %ld: %s", name, \
                         d_.column, d_.message);                             \
        cr_assert(strstr(d_.message, msg), "%s: \"%s\" lacks \"%s\"", name,  \
                  d_.message, msg);                                          \
        cr_assert(strchr(d_.message, '\n') == NULL);                         \
        cr_assert_neq(access(db_, F_OK), 0, "%s left an output", name);     \
    } while (0)

#endif /* PURR_IMPORT_TEST_H */
