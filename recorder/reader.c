/* reader.c - reading recordings: open, metadata, values, transitions.
 *
 * A recording is opened read-only. Before SQLite sees the file, its 100-byte
 * header is checked by hand: SQLite accepts a text file until the first
 * query and reads a truncated file until it meets the missing pages, and a
 * bad recording must be refused at once with a message naming the file
 * (STYLE R6). Then the schema version is checked, and every query the reader
 * uses is prepared: a missing table or column (a foreign schema) fails
 * there, again before any row is read.
 *
 * Reading never writes beside the recording (recordings are committed to
 * git and read in CI, also from read-only checkouts). A plain read-only
 * open would: a WAL-mode reader creates -wal and -shm, and writes read
 * marks into the -shm. So a file that is whole by itself (a finished
 * recording, in rollback mode; or a WAL-mode one without a -wal) is opened
 * with the URI parameter immutable=1, which makes SQLite take no locks and
 * look for no journal; and a killed run's file, whose -wal holds committed
 * data, is copied with that -wal into a private temporary directory and the
 * copy is read (SQLite makes its -shm there). A -wal beside a file whose
 * header says rollback mode is stale (left by a replaced recording: see
 * publish in recorder.c) and is ignored.
 *
 * The metadata and the value table are small and loaded at open; the
 * transitions, which may be millions, are stepped through a caller-owned
 * iterator (STYLE R12) that decodes one payload at a time.
 *
 * Every field the reader or a replay relies on is checked where it is
 * read, and a bad one is refused with a message naming the table, the row
 * and the field ("value row id 2 (temp): role 0 is not ..."): a tampered
 * or damaged recording must never replay as identical, nor as a
 * misleading divergence. At open: the run rows complete, start_ns and
 * end_ns, and every column of every value row (the initial datum must
 * decode, as the value's type). While iterating: each chunk's first_seq
 * (the first is 1, each follows the last without a gap), count, first_ns
 * and data, each record, and each transition's time (no later than
 * end_ns).
 *
 * Whether the recording is complete (a clean close wrote complete = 1) is
 * decided at open; an interrupted one reads like any other, as the prefix
 * it holds.
 */
#include "recorder_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct purr_recording {
    char *path;                     /* as given to open (owned) */
    sqlite3 *db;                    /* read-only connection */
    char *copy_dir;                 /* the private directory holding the
                                       copy of a killed run's file and
                                       -wal that db reads, deleted at
                                       close (owned); NULL when db reads
                                       path itself */
    char **meta_keys, **meta_vals;  /* run rows, in key order (owned) */
    size_t nmeta;
    purr_recorded_value *values;    /* value rows, in id order */
    char **value_names;             /* their names (owned) */
    size_t nvalues;
    bool complete;                  /* a clean close ended the recording
                                       (purr_recording_is_complete); set
                                       at open from the run rows */
    bool has_end;                   /* run row end_ns is present: then no */
    purr_time end_ns;               /* transition may come after it */
    int64_t stats_total;            /* the transitions value_stats counts,
                                       committed with the chunks: the
                                       iteration must end at this seq */
};

static const char SQL_RUN[] = "SELECT key, value FROM run ORDER BY key";
static const char SQL_VALUES[] =
    "SELECT id, name, role, type, created_ns, initial FROM value ORDER BY id";
static const char SQL_TRANSITIONS[] =
    "SELECT first_seq, first_ns, count, data FROM transition_chunk"
    " ORDER BY first_seq";
static const char SQL_CHUNKS[] =
    "SELECT first_seq, first_ns, count, data FROM task_event_chunk LIMIT 0";
static const char SQL_DETAILS[] = "SELECT id, text FROM detail LIMIT 0";
static const char SQL_STATS[] =
    "SELECT value_id, transitions, first_ns, last_ns FROM value_stats LIMIT 0";
static const char SQL_TASKS[] =
    "SELECT id, name, parent_task_id, spawn_site FROM task LIMIT 0";

static uint32_t
be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

/* Checks the file's SQLite header and size, and tells whether the file
 * must be read with its -wal: its header says WAL mode (file format
 * versions 2) and a -wal is there. Returns 0 or a PURR_E* code with diag
 * filled. */
static int
check_header(const char *path, bool *with_wal /* out */, purr_diag *diag)
{
    static const char magic[16] = "SQLite format 3";
    uint8_t h[100];
    struct stat stbuf;
    if (!path[0]) {
        purr_diag_set(diag, "", 0, 0, "no recording given (an empty path)");
        return PURR_ENOENT;
    }
    /* Refused unless regular before SQLite sees it: a directory, a device
     * (/dev/zero) or a FIFO is no recording. O_NONBLOCK, because opening
     * a FIFO would wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        purr_diag_set(diag, path, 0, 0, "cannot open: %s", strerror(errno));
        return PURR_ENOENT;
    }
    if (fstat(fd, &stbuf) != 0 || !S_ISREG(stbuf.st_mode)) {
        bool dir = fstat(fd, &stbuf) == 0 && S_ISDIR(stbuf.st_mode);
        close(fd);
        purr_diag_set(diag, path, 0, 0,
                      "not a purr recording: not a regular file%s",
                      dir ? " (a directory)" : "");
        return PURR_EFORMAT;
    }
    size_t n = 0;
    while (n < sizeof h) {
        ssize_t got = read(fd, h + n, sizeof h - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    if (n < sizeof h) {
        purr_diag_set(diag, path, 0, 0,
                       n == 0 ? "not a purr recording: empty file"
                              : "not a purr recording: truncated file "
                                "(%zu bytes)",
                       n);
        return PURR_EFORMAT;
    }
    if (memcmp(h, magic, sizeof magic) != 0) {
        purr_diag_set(diag, path, 0, 0,
                       "not a purr recording: not an SQLite database");
        return PURR_EFORMAT;
    }
    *with_wal = false;
    if (h[18] == 2 && h[19] == 2) {
        size_t cap = strlen(path) + 8;
        char *wal = purr__rec_malloc(cap);
        snprintf(wal, cap, "%s-wal", path);
        struct stat ws;
        int wrc = stat(wal, &ws);
        *with_wal = wrc == 0 || errno != ENOENT;
        if (wrc == 0 && !S_ISREG(ws.st_mode)) {
            purr_diag_set(diag, path, 0, 0, "its -wal %s is not a regular file",
                          wal);
            free(wal);
            return PURR_EFORMAT;
        }
        free(wal);
    }
    /* Page size 1 means 65536. The in-header page count is valid only when
     * the change counter (offset 24) equals version-valid-for (92). With a
     * -wal, the file alone may be shorter than its header says: a killed
     * checkpoint writes page 1 first, and the -wal holds every page. */
    uint64_t page = ((uint32_t)h[16] << 8) | h[17];
    if (page == 1)
        page = 65536;
    uint64_t pages = be32(h + 28);
    if (!*with_wal && page >= 512 && be32(h + 24) == be32(h + 92) &&
        pages > 0 && (uint64_t)stbuf.st_size < pages * page) {
        purr_diag_set(diag, path, 0, 0,
                       "truncated recording: %" PRIu64 " bytes, its header "
                       "says %" PRIu64,
                       (uint64_t)stbuf.st_size, pages * page);
        return PURR_EFORMAT;
    }
    return 0;
}

/* Turns an SQLite failure while opening into a code and a diag. */
static int
open_fail(purr_recording *rec, int rc, const char *what, purr_diag *diag)
{
    int code = PURR_EIO;
    const char *msg = rec->db ? sqlite3_errmsg(rec->db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        code = PURR_EFORMAT;
        purr_diag_set(diag, rec->path, 0, 0, "corrupt recording: %s: %s", what,
                       msg);
        return code;
    case SQLITE_ERROR: /* no such table / column */
        code = PURR_EFORMAT;
        purr_diag_set(diag, rec->path, 0, 0,
                       "not a purr recording (foreign schema): %s", msg);
        return code;
    case SQLITE_CANTOPEN:
        code = PURR_ENOENT;
        break;
    }
    purr_diag_set(diag, rec->path, 0, 0, "%s: %s", what, msg);
    return code;
}

/* ---------------------------------------------------------------------- */
/* Opening without writing                                                 */
/* ---------------------------------------------------------------------- */

/* The name of the copy in rec's private directory, plus suffix (owned by
 * the caller). */
static char *
copy_name(const purr_recording *rec, const char *suffix)
{
    size_t cap = strlen(rec->copy_dir) + 32;
    char *p = purr__rec_malloc(cap);
    snprintf(p, cap, "%s/recording.db%s", rec->copy_dir, suffix);
    return p;
}

/* Deletes the private copy and its directory (the -shm is SQLite's). */
static void
remove_copy(purr_recording *rec)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    if (!rec->copy_dir)
        return;
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        char *p = copy_name(rec, suffix[i]);
        unlink(p);
        free(p);
    }
    rmdir(rec->copy_dir);
    free(rec->copy_dir);
    rec->copy_dir = NULL;
}

/* Copies the file src to dst, which must not exist. Returns 0 or an errno
 * value. */
static int
copy_file(const char *src, const char *dst)
{
    enum { BUF = 1 << 16 };
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return errno;
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        int e = errno;
        close(in);
        return e;
    }
    char *buf = purr__rec_malloc(BUF);
    int e = 0;
    for (;;) {
        ssize_t n = read(in, buf, BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e = n < 0 ? errno : 0;
            break;
        }
        for (ssize_t off = 0; off < n && !e;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w >= 0)
                off += w;
            else if (errno != EINTR)
                e = errno;
        }
        if (e)
            break;
    }
    free(buf);
    close(in);
    if (close(out) != 0 && !e)
        e = errno;
    return e;
}

/* Opens a private copy of rec->path and its -wal (wal): makes the
 * directory, copies both, opens the copy read-only. Returns 0, or a code
 * with diag set (the copy is then removed by purr_recording_close). */
static int
open_copy(purr_recording *rec, const char *wal, purr_diag *diag)
{
    const char *tmpdir = getenv("TMPDIR");
    if (!tmpdir || !tmpdir[0])
        tmpdir = "/tmp";
    size_t cap = strlen(tmpdir) + 32;
    char *dir = purr__rec_malloc(cap);
    snprintf(dir, cap, "%s/purr-read-XXXXXX", tmpdir);
    if (!mkdtemp(dir)) {
        purr_diag_set(diag, rec->path, 0, 0,
                      "cannot copy the recording and its -wal to read "
                      "them: %s: %s",
                      dir, strerror(errno));
        free(dir);
        return PURR_EIO;
    }
    rec->copy_dir = dir;
    char *db = copy_name(rec, ""), *db_wal = copy_name(rec, "-wal");
    const char *failed = rec->path;
    int e = copy_file(rec->path, db);
    if (!e) {
        failed = wal;
        e = copy_file(wal, db_wal);
    }
    int rc = 0;
    if (e) {
        purr_diag_set(diag, rec->path, 0, 0,
                      "cannot copy %s to read it with its -wal: %s", failed,
                      strerror(e));
        rc = e == ENOENT || e == EACCES ? PURR_ENOENT : PURR_EIO;
    } else if ((rc = sqlite3_open_v2(db, &rec->db, SQLITE_OPEN_READONLY,
                                     NULL)) != SQLITE_OK) {
        rc = open_fail(rec, rc, "opening", diag);
    }
    free(db);
    free(db_wal);
    return rc;
}

/* The URI that opens path with immutable=1 (owned by the caller). Every
 * byte outside [A-Za-z0-9/._~-] is %-escaped, so that '?', '#' and '%' in
 * a name stay part of it, and so is a second leading '/', which would
 * start an authority. */
static char *
immutable_uri(const char *path)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._~-";
    size_t n = strlen(path);
    char *uri = purr__rec_malloc(3 * n + 32), *q = uri;
    q += sprintf(q, "file:");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c && strchr(safe, c) && !(i == 1 && c == '/'))
            *q++ = (char)c;
        else
            q += sprintf(q, "%%%02X", c);
    }
    strcpy(q, "?immutable=1");
    return uri;
}

/* Asks SQLite to read rec's file through a memory mapping rather than a
 * pread per page: a replay reads every chunk twice (its load and its run
 * pass), and the mapping spares each page a system call and a copy out
 * of the page cache, a tenth of a replay's time. A hint: SQLite reads as
 * before where it cannot map. The file read is one that nothing writes
 * in place: a finished recording (purr replaces a recording by renaming
 * a new file over it, so the mapped one stays whole) or the private copy
 * of a killed run's. Only cutting the file short in place while it is
 * read (truncate(1)) would make the mapping fault, where pread would have
 * seen a short read. */
static void
map_db(purr_recording *rec)
{
    /* SQLite's default upper bound (SQLITE_MAX_MMAP_SIZE): larger files
     * are mapped up to it and read beyond it. */
    (void)sqlite3_exec(rec->db, "PRAGMA mmap_size = 2147418112", NULL, NULL,
                       NULL);
}

/* Opens rec->path for reading without writing beside it (the file
 * comment): a copy when with_wal, else the file itself. Returns 0 or a
 * code with diag set. */
static int
open_db(purr_recording *rec, bool with_wal, purr_diag *diag)
{
    size_t cap = strlen(rec->path) + 8;
    char *wal = purr__rec_malloc(cap);
    snprintf(wal, cap, "%s-wal", rec->path);
    int rc;
    if (with_wal) {
        rc = open_copy(rec, wal, diag);
    } else {
        char *uri = immutable_uri(rec->path);
        rc = sqlite3_open_v2(uri, &rec->db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
        free(uri);
        if (rc != SQLITE_OK)
            rc = open_fail(rec, rc, "opening", diag);
    }
    free(wal);
    if (rc == 0)
        map_db(rec);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Open, metadata and values                                               */
/* ---------------------------------------------------------------------- */

static char *
column_strdup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return purr__rec_strdup(s ? (const char *)s : "");
}

/* Parses s as a time in ns: decimal digits only, 0 to INT64_MAX. */
static bool
parse_ns(const char *s, purr_time *out /* out */)
{
    uint64_t x = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (x > ((uint64_t)INT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *out = (purr_time)x;
    return true;
}

/* Checks the run rows the reader relies on, and decides whether the
 * recording is complete: run row complete is 1 (written by close's last
 * transaction; open's first wrote 0). A recording made before purr wrote
 * it is complete when it holds start_ns or exit_status, which only the
 * end of its run wrote. Returns 0 or PURR_EFORMAT with diag set. */
static int
check_run(purr_recording *rec, purr_diag *diag)
{
    static const char *const times[] = {"start_ns", "end_ns"};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        const char *s = purr_recording_meta(rec, times[i]);
        purr_time t;
        if (!s)
            continue;
        if (!parse_ns(s, &t)) {
            purr_diag_set(diag, rec->path, 0, 0,
                          "run row %s: '%.40s' is not a time in ns (an "
                          "integer from 0)",
                          times[i], s);
            return PURR_EFORMAT;
        }
        if (strcmp(times[i], "end_ns") == 0) {
            rec->has_end = true;
            rec->end_ns = t;
        }
    }
    const char *c = purr_recording_meta(rec, "complete");
    if (c && strcmp(c, "0") != 0 && strcmp(c, "1") != 0) {
        purr_diag_set(diag, rec->path, 0, 0,
                      "run row complete: '%.40s' is not 0 or 1", c);
        return PURR_EFORMAT;
    }
    rec->complete = c ? c[0] == '1'
                      : purr_recording_meta(rec, "start_ns") ||
                            purr_recording_meta(rec, "exit_status");
    return 0;
}

/* Writes column i of st, whose stored type is type (sqlite3_column_type
 * before any conversion), as SQL shows it into buf: a number, 'text',
 * x'hex' (at most 16 bytes shown) or NULL. */
static const char *
column_sql(sqlite3_stmt *st, int i, int type, char *buf, size_t cap)
{
    switch (type) {
    case SQLITE_NULL:
        snprintf(buf, cap, "NULL");
        break;
    case SQLITE_INTEGER:
        snprintf(buf, cap, "%lld", (long long)sqlite3_column_int64(st, i));
        break;
    case SQLITE_FLOAT:
        snprintf(buf, cap, "%.17g", sqlite3_column_double(st, i));
        break;
    case SQLITE_TEXT:
        snprintf(buf, cap, "'%.40s'", (const char *)sqlite3_column_text(st, i));
        break;
    default: {
        const uint8_t *p = sqlite3_column_blob(st, i);
        int n = sqlite3_column_bytes(st, i);
        size_t len = (size_t)snprintf(buf, cap, "x'");
        for (int k = 0; k < n && k < 16 && len + 3 < cap; k++)
            len += (size_t)snprintf(buf + len, cap - len, "%02x", p[k]);
        snprintf(buf + len, cap - len, n > 16 ? "...' (%d bytes)" : "'", n);
        break;
    }
    }
    return buf;
}

/* Checks the value row st is on (id, name, role, type, created_ns,
 * initial): the initial datum must decode, and be nil or of the value's
 * type. Returns 0 or PURR_EFORMAT with diag naming the row and field. */
static int
check_value(const purr_recording *rec, sqlite3_stmt *st,
            purr_datum *initial /* out */, purr_diag *diag)
{
    int types[6];
    for (int i = 0; i < 6; i++)
        types[i] = sqlite3_column_type(st, i);
    char row[96], shown[96];
    int64_t id = sqlite3_column_int64(st, 0);
    const char *name = (const char *)sqlite3_column_text(st, 1);
    snprintf(row, sizeof row, "value row id %lld (%.40s)", (long long)id,
             name ? name : "NULL");
    static const char *const field_name[] = {"id", "name", "role", "type",
                                             "created_ns"};
    static const char *const want[] = {
        "is not a value id (from 1)", "is not a name",
        "is not 1 (input), 2 (output) or 3 (internal)",
        "is not a purr_type (0 to 6)",
        "is not a time in ns (an integer from 0)"};
    int64_t role = sqlite3_column_int64(st, 2),
            type = sqlite3_column_int64(st, 3),
            created = sqlite3_column_int64(st, 4);
    int field = -1;
    if (id < 1)
        field = 0;
    else if (types[1] != SQLITE_TEXT || !name[0])
        field = 1;
    else if (types[2] != SQLITE_INTEGER || role < PURR_ROLE_INPUT ||
             role > PURR_ROLE_INTERNAL)
        field = 2;
    else if (types[3] != SQLITE_INTEGER || type < 0 || type > PURR_T_TUPLE)
        field = 3;
    else if (types[4] != SQLITE_INTEGER || created < 0)
        field = 4;
    if (field >= 0) {
        purr_diag_set(diag, rec->path, 0, 0, "%s: %s %s %s", row,
                      field_name[field],
                      column_sql(st, field, types[field], shown,
                                 sizeof shown),
                      want[field]);
        return PURR_EFORMAT;
    }
    purr_datum d;
    const void *p = sqlite3_column_blob(st, 5);
    size_t n = (size_t)sqlite3_column_bytes(st, 5);
    if (types[5] != SQLITE_BLOB || purr_datum_decode(p, n, &d) < 0) {
        purr_diag_set(diag, rec->path, 0, 0,
                      "%s: initial %s is not a datum in the payload "
                      "encoding",
                      row, column_sql(st, 5, types[5], shown, sizeof shown));
        return PURR_EFORMAT;
    }
    purr_type dtype = (purr_type)d.type;
    if (type != PURR_T_NIL && dtype != PURR_T_NIL && dtype != type) {
        purr_datum_free(&d);
        purr_diag_set(diag, rec->path, 0, 0,
                      "%s: initial is a %s, its type %d says %s", row,
                      purr_type_name(dtype), (int)type,
                      purr_type_name((purr_type)type));
        return PURR_EFORMAT;
    }
    *initial = d;
    return 0;
}

/* Loads the run and value tables. Returns 0 or a code with diag set. */
static int
load_tables(purr_recording *rec, purr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(rec->db, SQL_RUN, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return open_fail(rec, rc, "reading run", diag);
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (rec->nmeta == cap) {
            cap = cap ? cap * 2 : 16;
            rec->meta_keys = purr__rec_realloc(rec->meta_keys,
                                               cap * sizeof(char *));
            rec->meta_vals = purr__rec_realloc(rec->meta_vals,
                                               cap * sizeof(char *));
        }
        rec->meta_keys[rec->nmeta] = column_strdup(st, 0);
        rec->meta_vals[rec->nmeta] = column_strdup(st, 1);
        rec->nmeta++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return open_fail(rec, rc, "reading run", diag);
    if ((rc = check_run(rec, diag)))
        return rc;

    if ((rc = sqlite3_prepare_v2(rec->db, SQL_VALUES, -1, &st, NULL)) !=
        SQLITE_OK)
        return open_fail(rec, rc, "reading value", diag);
    cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        purr_datum initial;
        if ((rc = check_value(rec, st, &initial, diag))) {
            sqlite3_finalize(st);
            return rc;
        }
        if (rec->nvalues == cap) {
            cap = cap ? cap * 2 : 16;
            rec->values = purr__rec_realloc(rec->values,
                                            cap * sizeof *rec->values);
            rec->value_names = purr__rec_realloc(rec->value_names,
                                                 cap * sizeof(char *));
        }
        purr_recorded_value *v = &rec->values[rec->nvalues];
        char *name = column_strdup(st, 1);
        rec->value_names[rec->nvalues++] = name;
        v->id = (uint64_t)sqlite3_column_int64(st, 0);
        v->name = name;
        v->role = (purr_role)sqlite3_column_int(st, 2);
        v->type = (purr_type)sqlite3_column_int(st, 3);
        v->created_ns = sqlite3_column_int64(st, 4);
        v->initial = initial;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return open_fail(rec, rc, "reading value", diag);

    /* The other tables are not read here, but a recording without them is
     * not one of ours. */
    const char *checks[] = {SQL_TRANSITIONS, SQL_CHUNKS, SQL_TASKS,
                            SQL_DETAILS, SQL_STATS};
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        rc = sqlite3_prepare_v2(rec->db, checks[i], -1, &st, NULL);
        sqlite3_finalize(st);
        if (rc != SQLITE_OK)
            return open_fail(rec, rc, "checking the schema", diag);
    }
    /* Every commit writes value_stats with its chunks, so its count says
     * where the transitions end: a chunk deleted at the end (or all of
     * them) shows there. */
    rc = sqlite3_prepare_v2(rec->db,
                            "SELECT coalesce(sum(transitions), 0),"
                            " coalesce(min(transitions), 0) FROM value_stats",
                            -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rec->stats_total = sqlite3_column_int64(st, 0);
        if (sqlite3_column_int64(st, 1) < 0 || rec->stats_total < 0) {
            sqlite3_finalize(st);
            purr_diag_set(diag, rec->path, 0, 0,
                          "value_stats: a row's transitions is negative");
            return PURR_EFORMAT;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return open_fail(rec, rc, "reading value_stats", diag);
    return 0;
}

int
purr_recording_open(const char *path, purr_recording **out, purr_diag *diag)
{
    *out = NULL;
    bool with_wal;
    int rc = check_header(path, &with_wal, diag);
    if (rc)
        return rc;

    purr_recording *rec = purr__rec_malloc(sizeof *rec);
    memset(rec, 0, sizeof *rec);
    rec->path = purr__rec_strdup(path);
    if ((rc = open_db(rec, with_wal, diag)))
        goto fail;

    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(rec->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        rc = open_fail(rec, rc, "reading user_version", diag);
        goto fail;
    }
    int version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version != PURR_RECORDING_VERSION) {
        purr_diag_set(diag, path, 0, 0,
                       "recording schema version %d, this purr reads %d",
                       version, PURR_RECORDING_VERSION);
        rc = PURR_EVERSION;
        goto fail;
    }
    if ((rc = load_tables(rec, diag)))
        goto fail;
    *out = rec;
    return 0;

fail:
    purr_recording_close(rec);
    return rc;
}

void
purr_recording_close(purr_recording *rec)
{
    if (!rec)
        return;
    sqlite3_close(rec->db);
    remove_copy(rec);
    for (size_t i = 0; i < rec->nmeta; i++) {
        free(rec->meta_keys[i]);
        free(rec->meta_vals[i]);
    }
    for (size_t i = 0; i < rec->nvalues; i++) {
        free(rec->value_names[i]);
        purr_datum_free(&rec->values[i].initial);
    }
    free(rec->meta_keys);
    free(rec->meta_vals);
    free(rec->values);
    free(rec->value_names);
    free(rec->path);
    free(rec);
}

sqlite3 *
purr__recording_db(const purr_recording *rec)
{
    return rec->db;
}

const char *
purr_recording_path(const purr_recording *rec)
{
    return rec->path;
}

bool
purr_recording_is_complete(const purr_recording *rec)
{
    return rec->complete;
}

const char *
purr_recording_meta(const purr_recording *rec, const char *key)
{
    for (size_t i = 0; i < rec->nmeta; i++)
        if (strcmp(rec->meta_keys[i], key) == 0)
            return rec->meta_vals[i];
    return NULL;
}

size_t
purr_recording_meta_count(const purr_recording *rec)
{
    return rec->nmeta;
}

void
purr_recording_meta_at(const purr_recording *rec, size_t i, const char **key,
                       const char **value)
{
    *key = rec->meta_keys[i];
    *value = rec->meta_vals[i];
}

size_t
purr_recording_value_count(const purr_recording *rec)
{
    return rec->nvalues;
}

const purr_recorded_value *
purr_recording_value_at(const purr_recording *rec, size_t i)
{
    return i < rec->nvalues ? &rec->values[i] : NULL;
}

const purr_recorded_value *
purr_recording_value_find(const purr_recording *rec, const char *name)
{
    for (size_t i = 0; i < rec->nvalues; i++)
        if (strcmp(rec->values[i].name, name) == 0)
            return &rec->values[i];
    return NULL;
}

/* The value with the given id (values are sorted by id), or NULL. */
static const purr_recorded_value *
value_by_id(const purr_recording *rec, uint64_t id)
{
    /* Ids are usually 1, 2, 3...: then the value is at id - 1. */
    if (id - 1 < rec->nvalues && rec->values[id - 1].id == id)
        return &rec->values[id - 1];
    size_t lo = 0, hi = rec->nvalues;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rec->values[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < rec->nvalues && rec->values[lo].id == id ? &rec->values[lo]
                                                         : NULL;
}

int64_t
purr_recording_transition_count(purr_recording *rec)
{
    sqlite3_stmt *st = NULL;
    int64_t n = PURR_EIO;
    if (sqlite3_prepare_v2(rec->db,
                           "SELECT coalesce(sum(count), 0) FROM "
                           "transition_chunk",
                           -1,
                           &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* ---------------------------------------------------------------------- */
/* The transition iterator                                                 */
/* ---------------------------------------------------------------------- */

int
purr_recording_iter_open(purr_recording_iter *it, purr_recording *rec)
{
    sqlite3_stmt *st = NULL;
    memset(it, 0, sizeof *it);
    it->rec_ = rec;
    it->datum = purr_datum_nil();
    if (sqlite3_prepare_v2(rec->db, SQL_TRANSITIONS, -1, &st, NULL) !=
        SQLITE_OK)
        return PURR_EIO;
    it->stmt_ = st;
    return 0;
}

int
purr_recording_iter_open_raw(purr_recording_iter *it, purr_recording *rec)
{
    int rc = purr_recording_iter_open(it, rec);
    it->raw_ = true;
    return rc;
}

/* Reads the n-byte little-endian integer at *p (checked against end) and
 * advances *p. Returns false when the bytes run out. */
static bool
take_le(const uint8_t **p, const uint8_t *end, unsigned n, uint64_t *out)
{
    if ((size_t)(end - *p) < n)
        return false;
    uint64_t x = 0;
    for (unsigned i = n; i-- > 0;)
        x = x << 8 | (*p)[i];
    *p += n;
    *out = x;
    return true;
}

/* The 8 bytes at p as a little-endian integer (p need not be aligned). */
static inline uint64_t
load_le64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
#else
    uint64_t x = 0;
    for (unsigned i = 8; i-- > 0;)
        x = x << 8 | p[i];
    return x;
#endif
}

/* The n-byte (0 to 8) little-endian integer at p, read as 8 bytes: the
 * caller has made sure 8 can be read there. */
static inline uint64_t
field_le(const uint8_t *p, unsigned n)
{
    static const uint64_t mask[8] = {
        0, 0xff, 0xffff, 0xffffff, 0xffffffffull, 0xffffffffffull,
        0xffffffffffffull, 0xffffffffffffffull};
    /* n is 0 to 7 (3 header bits): a table, not a shift by 8n. */
    return load_le64(p) & mask[n];
}

/* purr__rec_parse_transition, inlined into the iterator's hot path. */
static inline __attribute__((always_inline)) int
parse_record(const uint8_t **pp, const uint8_t *end, purr__rec_tr *out)
{
    const uint8_t *p = *pp;
    if (end - p < 2)
        return PURR_EFORMAT;
    unsigned h = p[0] | (unsigned)p[1] << 8;
    p += 2;
    if (h >> 12)
        return PURR_EFORMAT;
    unsigned n0 = h & 7, n1 = (h >> 3) & 7, n2 = (h >> 6) & 7,
             n3 = (h >> 9) & 7;
    /* The four fields take at most 28 bytes: when 7 more than that are
     * left, each can be read as 8 bytes at once (the decoding's hot path,
     * every record of a chunk but its last few). */
    if (end - p >= 36) {
        out->len = field_le(p, n0);
        p += n0;
        out->dt = field_le(p, n1);
        p += n1;
        out->task_id = field_le(p, n2);
        p += n2;
        out->value_id = field_le(p, n3);
        p += n3;
    } else if (!take_le(&p, end, n0, &out->len) ||
               !take_le(&p, end, n1, &out->dt) ||
               !take_le(&p, end, n2, &out->task_id) ||
               !take_le(&p, end, n3, &out->value_id)) {
        return PURR_EFORMAT;
    }
    if (out->len > (uint64_t)(end - p) || out->dt > INT64_MAX)
        return PURR_EFORMAT;
    out->payload = p;
    *pp = p + out->len;
    return 0;
}

int
purr__rec_parse_transition(const uint8_t **pp, const uint8_t *end,
                           purr__rec_tr *out)
{
    return parse_record(pp, end, out);
}

/* Decodes payload (len bytes) into *d as purr_datum_decode does, with the
 * scalar encodings (a tag byte, then nothing, a 0/1 byte or 8
 * little-endian bytes) decoded here: they are most transitions, and the
 * call and the general walk cost more than the decoding. Returns 0 or
 * PURR_EFORMAT, as purr_datum_decode. */
static int
decode_payload(const uint8_t *payload, size_t len, purr_datum *d /* out */)
{
    if (len == 9 && payload[0] == PURR_T_DOUBLE) {
        uint64_t bits = load_le64(payload + 1);
        double x;
        memcpy(&x, &bits, sizeof x);
        *d = (purr_datum){.type = PURR_T_DOUBLE, .u.d = x};
        return 0;
    }
    if (len == 9 && payload[0] == PURR_T_INT) {
        *d = (purr_datum){.type = PURR_T_INT,
                          .u.i = (int64_t)load_le64(payload + 1)};
        return 0;
    }
    if (len == 2 && payload[0] == PURR_T_BOOL && payload[1] <= 1) {
        *d = (purr_datum){.type = PURR_T_BOOL, .u.b = payload[1] == 1};
        return 0;
    }
    return purr_datum_decode(payload, len, d);
}

/* Writes the name of the chunk row first_seq = first, for a message (made
 * only for one: an snprintf per chunk showed in the replay's profile). */
static void
chunk_row_name(char *row, size_t size, int64_t first)
{
    snprintf(row, size, "transition_chunk row first_seq = %" PRId64, first);
}

/* Steps to the next chunk row. Returns 0, PURR_ECLOSED after the last, or
 * an error with diag set. */
static int
next_chunk(purr_recording_iter *it, purr_diag *diag)
{
    sqlite3_stmt *st = it->stmt_;
    purr_recording *rec = it->rec_;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        if (it->seq != (uint64_t)rec->stats_total) {
            purr_diag_set(diag, rec->path, (long)it->seq + 1, 0,
                          "transitions missing or added: transition_chunk "
                          "rows end at seq %" PRIu64 ", value_stats rows "
                          "count %" PRId64 " (sum of column transitions)",
                          it->seq, rec->stats_total);
            return PURR_EFORMAT;
        }
        return PURR_ECLOSED;
    }
    if (rc != SQLITE_ROW) {
        purr_diag_set(diag, rec->path, (long)it->seq + 1, 0,
                       "cannot read the transition after seq %" PRIu64
                       ": %s",
                       it->seq, sqlite3_errmsg(rec->db));
        return (rc & 0xff) == SQLITE_CORRUPT ? PURR_EFORMAT : PURR_EIO;
    }
    /* Every field is checked before it is used, and a bad one named with
     * its row. Types first: a conversion would hide them. */
    int types[4];
    for (int i = 0; i < 4; i++)
        types[i] = sqlite3_column_type(st, i);
    int64_t first = sqlite3_column_int64(st, 0);
    int64_t first_ns = sqlite3_column_int64(st, 1);
    int64_t count = sqlite3_column_int64(st, 2);
    long line = first > 0 ? (long)first : 0;
    if (first < 1) {
        char row[64];
        chunk_row_name(row, sizeof row, first);
        purr_diag_set(diag, rec->path, 0, 0,
                      "%s: first_seq is not a transition number (from 1)",
                      row);
        return PURR_EFORMAT;
    }
    /* Transitions are numbered without gaps from 1: a first chunk that
     * does not start at 1, or one that does not start where the last one
     * ended, means rows were lost or altered. */
    if (!it->started_ && first != 1) {
        char row[64];
        chunk_row_name(row, sizeof row, first);
        purr_diag_set(diag, rec->path, line, 0,
                      "transitions missing: the first transition is seq "
                      "%" PRId64 ", not 1 (%s)",
                      first, row);
        return PURR_EFORMAT;
    }
    if (it->started_ && (uint64_t)first != it->seq + 1) {
        char row[64];
        chunk_row_name(row, sizeof row, first);
        purr_diag_set(diag, rec->path, line, 0,
                      "transitions missing: seq %" PRId64
                      " follows seq %" PRIu64 " (%s)",
                      first, it->seq, row);
        return PURR_EFORMAT;
    }
    /* The column at fault (0: none) and what is wrong with it. */
    static const char *const field_name[] = {NULL, "first_ns", "count",
                                             "data"};
    char shown[64];
    const char *want = NULL;
    int col = 0;
    if (types[2] != SQLITE_INTEGER || count < 1 || count > UINT32_MAX) {
        col = 2;
        want = "is not from 1 to 4294967295";
    } else if (first > INT64_MAX - count + 1) {
        col = 2;
        want = "runs past the largest seq";
    } else if (types[1] != SQLITE_INTEGER || first_ns < 0) {
        col = 1;
        want = "is not a time in ns (an integer from 0)";
    } else if (types[3] != SQLITE_BLOB || sqlite3_column_bytes(st, 3) == 0) {
        col = 3;
        want = "is not a blob of records";
    }
    if (col) {
        char row[64];
        chunk_row_name(row, sizeof row, first);
        purr_diag_set(diag, rec->path, line, 0, "%s: %s %s %s", row,
                      field_name[col],
                      column_sql(st, col, types[col], shown, sizeof shown),
                      want);
        return PURR_EFORMAT;
    }
    it->started_ = true;
    it->first_ = (uint64_t)first;
    it->seq = (uint64_t)first - 1;
    it->ns_ = first_ns;
    it->left_ = (uint32_t)count;
    it->chunk_ = sqlite3_column_blob(st, 3);
    it->chunk_len_ = (size_t)sqlite3_column_bytes(st, 3);
    it->pos_ = 0;
    return 0;
}

/* Steps to the next chunk that holds records, after checking that the
 * current one (if any) held exactly its records. Out of the hot path:
 * once per chunk. Returns 0, PURR_ECLOSED after the last, or an error
 * with diag set. */
static __attribute__((noinline)) int
iter_next_chunk(purr_recording_iter *it, purr_diag *diag)
{
    purr_recording *rec = it->rec_;
    if (!it->stmt_)
        return PURR_ECLOSED;
    while (it->left_ == 0) {
        /* A chunk must hold exactly its records. */
        if (it->chunk_ && it->pos_ != it->chunk_len_) {
            purr_diag_set(diag, rec->path, (long)it->seq, 0,
                          "transition_chunk row first_seq = %" PRIu64
                          ": data has %zu bytes left over after its count "
                          "of records (ending at seq %" PRIu64 ")",
                          it->first_, it->chunk_len_ - it->pos_, it->seq);
            return PURR_EFORMAT;
        }
        it->chunk_ = NULL;
        int rc = next_chunk(it, diag);
        if (rc)
            return rc;
    }
    return 0;
}

/* The message for a transition the hot path refused (kind says why:
 * 0 a corrupt record, 1 a time beyond int64, 2 an unknown value, 3 a time
 * after end_ns, 4 a corrupt payload, 5 a payload of another type) in
 * transition seq.
 * Returns PURR_EFORMAT. */
static __attribute__((noinline, cold)) int
iter_fail(purr_recording_iter *it, int kind, uint64_t seq, uint64_t value_id,
          purr_diag *diag)
{
    purr_recording *rec = it->rec_;
    switch (kind) {
    case 0:
        purr_diag_set(diag, rec->path, (long)seq, 0,
                      "transition %" PRIu64 ": corrupt record (byte %zu of "
                      "transition_chunk row first_seq = %" PRIu64 ", data)",
                      seq, it->pos_ + 1, it->first_);
        break;
    case 1:
        purr_diag_set(diag, rec->path, (long)seq, 0,
                      "transition %" PRIu64 ": time beyond int64 ns "
                      "(transition_chunk row first_seq = %" PRIu64 ", data)",
                      seq, it->first_);
        break;
    case 2:
        purr_diag_set(diag, rec->path, (long)seq, 0,
                      "transition %" PRIu64 " names unknown value id %" PRIu64
                      " (no value row id %" PRIu64 ")",
                      seq, value_id, value_id);
        break;
    case 3:
        purr_diag_set(diag, rec->path, (long)seq, 0,
                      "transition %" PRIu64 " (value %s): time %" PRId64
                      " ns is after the run's end (run row end_ns = "
                      "%" PRId64 ")",
                      seq, it->value->name, it->time_ns, rec->end_ns);
        break;
    case 4:
        purr_diag_set(diag, rec->path, (long)seq, 0,
                      "transition %" PRIu64 " (value %s): corrupt payload "
                      "(%zu bytes)",
                      seq, it->value->name, it->payload_len);
        break;
    default:
        purr_diag_set(diag, rec->path, (long)seq, 0,
                      "transition %" PRIu64 " (value %s): payload is %s, "
                      "the value is %s",
                      seq, it->value->name,
                      purr_type_name((purr_type)it->datum.type),
                      purr_type_name(it->value->type));
        purr_datum_free(&it->datum);
        break;
    }
    return PURR_EFORMAT;
}

/* The hot path: every check is a predicted branch, and the messages are
 * built out of line (iter_fail) only for a bad transition. */
int
purr_recording_iter_next(purr_recording_iter *it, purr_diag *diag)
{
    purr_recording *rec = it->rec_;
    /* Scalars own nothing: only the others are freed (a call saved per
     * transition). */
    if (it->datum.type >= PURR_T_STRING)
        purr_datum_free(&it->datum);
    it->datum = (purr_datum){.type = PURR_T_NIL};
    if (it->left_ == 0) {
        int rc = iter_next_chunk(it, diag);
        if (rc)
            return rc;
    }
    const uint8_t *p = it->chunk_ + it->pos_,
                  *end = it->chunk_ + it->chunk_len_;
    purr__rec_tr tr;
    uint64_t seq = it->seq + 1;
    if (parse_record(&p, end, &tr) < 0)
        return iter_fail(it, 0, seq, 0, diag);
    /* first_ns >= 0 and dt <= INT64_MAX, so the sum fits in uint64. */
    uint64_t ns = (uint64_t)it->ns_ + tr.dt;
    if (ns > INT64_MAX)
        return iter_fail(it, 1, seq, 0, diag);
    it->seq = seq;
    it->ns_ = (purr_time)ns;
    it->time_ns = it->ns_;
    it->task_id = tr.task_id;
    it->payload = tr.payload;
    it->payload_len = (size_t)tr.len;
    it->pos_ = (size_t)(p - it->chunk_);
    it->left_--;
    it->value = value_by_id(rec, tr.value_id);
    if (!it->value)
        return iter_fail(it, 2, seq, tr.value_id, diag);
    /* The run ended at end_ns: a transition after it was not made by the
     * run (a duration of D includes the transitions at D). */
    if (rec->has_end && it->time_ns > rec->end_ns)
        return iter_fail(it, 3, seq, 0, diag);
    if (it->raw_)
        return 0;
    if (decode_payload(it->payload, it->payload_len, &it->datum) < 0)
        return iter_fail(it, 4, seq, 0, diag);
    if (it->value->type != PURR_T_NIL && it->datum.type != it->value->type)
        return iter_fail(it, 5, seq, 0, diag);
    return 0;
}

/* purr_recording_iter_next_rows by purr_recording_iter_next: one row. */
static int
one_row(purr_recording_iter *it, purr_recording_row *rows, purr_diag *diag)
{
    int rc = purr_recording_iter_next(it, diag);
    if (rc)
        return rc;
    rows[0] = (purr_recording_row){it->time_ns, it->task_id, it->value,
                                   it->payload, it->payload_len};
    return 1;
}

/* The raw hot path for many transitions at once: the loop of
 * purr_recording_iter_next, with the iterator's state in locals and no
 * call per transition. A transition it would refuse ends the rows before
 * it; the call after that one reads it with purr_recording_iter_next,
 * which refuses it with its own message. */
int
purr_recording_iter_next_rows(purr_recording_iter *it, purr_recording_row *rows,
                              size_t cap, purr_diag *diag)
{
    purr_recording *rec = it->rec_;
    if (cap == 0)
        return PURR_EINVAL;
    if (!it->raw_)
        return one_row(it, rows, diag);
    if (it->left_ == 0) {
        int rc = iter_next_chunk(it, diag);
        if (rc)
            return rc;
    }
    const uint8_t *base = it->chunk_, *p = base + it->pos_,
                  *end = base + it->chunk_len_;
    const purr_recorded_value *values = rec->values;
    const uint64_t nvalues = rec->nvalues;
    /* No end_ns: the largest time, which every time passes. */
    const uint64_t end_ns = rec->has_end ? (uint64_t)rec->end_ns : INT64_MAX;
    uint64_t ns = (uint64_t)it->ns_;
    /* The count must fit the result: a chunk holds at most 2^32 - 1. */
    size_t max = cap < it->left_ ? cap : it->left_, n = 0;
    if (max > INT32_MAX)
        max = INT32_MAX;
    while (n < max) {
        const uint8_t *q = p;
        purr__rec_tr tr;
        if (parse_record(&q, end, &tr) < 0)
            break;
        /* first_ns >= 0 and dt <= INT64_MAX: the sum fits in uint64. */
        uint64_t t = ns + tr.dt;
        const purr_recorded_value *v;
        if (tr.value_id - 1 < nvalues && values[tr.value_id - 1].id ==
                                             tr.value_id)
            v = &values[tr.value_id - 1];
        else
            v = value_by_id(rec, tr.value_id);
        if (t > end_ns || !v) /* the time past int64 too */
            break;
        rows[n++] = (purr_recording_row){(purr_time)t, tr.task_id, v,
                                         tr.payload, (size_t)tr.len};
        ns = t;
        p = q;
    }
    if (n == 0) /* the next transition is refused: next says why */
        return one_row(it, rows, diag);
    const purr_recording_row *last = &rows[n - 1];
    it->left_ -= (uint32_t)n;
    it->pos_ = (size_t)(p - base);
    it->seq += n;
    it->ns_ = (purr_time)ns;
    it->time_ns = last->time_ns;
    it->task_id = last->task_id;
    it->value = last->value;
    it->payload = last->payload;
    it->payload_len = last->payload_len;
    return (int)n;
}

void
purr_recording_iter_close(purr_recording_iter *it)
{
    sqlite3_finalize(it->stmt_);
    it->stmt_ = NULL;
    it->chunk_ = NULL; /* SQLite's, freed with the statement */
    it->left_ = 0;     /* so that next goes to the check of stmt_ */
    purr_datum_free(&it->datum);
}
