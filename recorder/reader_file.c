/* reader_file.c - opening a recording's file for reading, without writing
 * beside it.
 *
 * Before SQLite sees the file, its 100-byte header is checked by hand:
 * SQLite accepts a text file until the first query and reads a truncated
 * file until it meets the missing pages, and a bad recording must be
 * refused at once with a message naming the file.
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
 * publish in recorder.c) and is ignored. Either way the file is read
 * through a memory mapping (map_db), guarded against another program
 * cutting it short (read_guard.c).
 */
#include "reader_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
int
purr__rec_check_header(const char *path, bool *with_wal /* out */,
                       purr_diag *diag)
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
int
purr__rec_open_fail(purr_recording *rec, int rc, const char *what,
                    purr_diag *diag)
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
void
purr__rec_remove_copy(purr_recording *rec)
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
        rc = purr__rec_open_fail(rec, rc, "opening", diag);
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
 * of the page cache (about 8 % of a replay's time). A hint: SQLite reads as
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
int
purr__rec_open_db(purr_recording *rec, bool with_wal, purr_diag *diag)
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
            rc = purr__rec_open_fail(rec, rc, "opening", diag);
    }
    free(wal);
    if (rc == 0) {
        map_db(rec);
        /* Someone else may cut the file short under the mapping; a private
         * copy is purr's own. */
        if (!with_wal)
            rec->guard_slot = purr__rec_guard_add(rec->path);
    }
    return rc;
}
