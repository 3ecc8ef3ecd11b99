/* rec_file.c - the recording's file and connection: where SQLite writes
 * (a new path in place, an existing one through a temporary file beside
 * it), how the finished file is made single (the WAL checkpointed away)
 * and published over the old one, and how the connection is closed.
 * Owner thread, at open and close (recorder.c). */
#include "recorder_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Finalizes every statement (NULL ones are skipped). */
static void
finalize_stmts(purr_recorder *r)
{
    sqlite3_stmt **sts[] = {&r->st_value,  &r->st_tchunk, &r->st_task,
                            &r->st_echunk, &r->st_meta,   &r->st_detail,
                            &r->st_stats,  &r->st_begin,  &r->st_commit};
    for (size_t i = 0; i < sizeof sts / sizeof sts[0]; i++) {
        sqlite3_finalize(*sts[i]);
        *sts[i] = NULL;
    }
}

/* Closes the connection after finalizing every statement. */
void
purr__rec_close_db(purr_recorder *r)
{
    finalize_stmts(r);
    if (r->db) {
        int rc = sqlite3_close(r->db);
        if (rc != SQLITE_OK)
            purr__rec_fail_sqlite(r, rc, "closing");
        r->db = NULL;
    }
}

/* Records a failed system call about file as the sticky error (PURR_EIO,
 * with errno's text; the first error wins). Returns PURR_EIO. */
static int
fail_sys(purr_recorder *r, const char *what, const char *file)
{
    int e = errno;
    if (!r->err) {
        r->err = PURR_EIO;
        purr_diag_set(&r->diag, r->path, 0, 0, "%s %s: %s", what, file,
                      strerror(e));
        atomic_store(&r->failed, true);
    }
    return PURR_EIO;
}

/* The file SQLite writes: the temporary file when replacing, else path. */
const char *
purr__rec_written_path(const purr_recorder *r)
{
    return r->tmp_path ? r->tmp_path : r->path;
}

/* Deletes the SQLite files beside file: its -wal, -shm and -journal, and
 * file itself unless only_beside. A missing one is no error. Returns 0 or
 * PURR_EIO (the sticky error names the first file that could not go). */
int
purr__rec_remove_db_files(purr_recorder *r, const char *file, bool only_beside)
{
    static const char *const suffix[] = {"-wal", "-shm", "-journal", ""};
    size_t cap = strlen(file) + 16;
    char *p = purr__rec_malloc(cap);
    int rc = 0;
    /* The database last: a -wal without its database is harmless, the
     * other way round a recording could lose committed data. */
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        if (only_beside && !suffix[i][0])
            break;
        snprintf(p, cap, "%s%s", file, suffix[i]);
        if (unlink(p) != 0 && errno != ENOENT)
            rc = fail_sys(r, "cannot remove", p);
    }
    free(p);
    return rc;
}

/* Creates the file SQLite will write and sets r->tmp_path. A new path is
 * claimed with O_EXCL (so two recorders never share a file) and written in
 * place: a killed run leaves its gap-free prefix there. An existing path
 * (opts.overwrite) is left untouched until close: SQLite writes a
 * temporary file ".NAME.purr-tmp-XXXXXX" in path's directory (the same
 * file system, so close can rename it over path atomically; a dot file, so
 * a leftover of a killed run is recognisable and out of the way), with the
 * replaced file's permission bits. Returns 0, or a PURR_E* code with diag
 * filled. */
int
purr__rec_create_file(purr_recorder *r, purr_diag *diag /* out */)
{
    const char *path = r->path;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
        close(fd);
        /* A -wal left beside a deleted recording would be read into the
         * new one. */
        if (purr__rec_remove_db_files(r, path, true)) {
            *diag = r->diag;
            unlink(path);
            return PURR_EIO;
        }
        return 0;
    }
    struct stat st;
    if (errno != EEXIST) {
        purr_diag_set(diag, path, 0, 0, "cannot create: %s", strerror(errno));
        return errno == ENOENT || errno == ENOTDIR ? PURR_ENOENT : PURR_EIO;
    }
    if (!r->opts.overwrite) {
        purr_diag_set(diag, path, 0, 0, "already exists");
        return PURR_EEXIST;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        purr_diag_set(diag, path, 0, 0, "cannot replace: is a directory");
        return PURR_EEXIST;
    }
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) + 1 : 0;
    size_t cap = strlen(path) + 32;
    char *tmp = purr__rec_malloc(cap);
    snprintf(tmp, cap, "%.*s.%s.purr-tmp-XXXXXX", dirlen, path, path + dirlen);
    fd = mkstemp(tmp);
    if (fd < 0) {
        purr_diag_set(diag, path, 0, 0, "cannot create a temporary file %s: %s",
                      tmp, strerror(errno));
        free(tmp);
        return PURR_EIO;
    }
    /* mkstemp makes it 0600; the replacement reads as the old file did. */
    if (stat(path, &st) == 0)
        fchmod(fd, st.st_mode & 07777);
    close(fd);
    r->tmp_path = tmp;
    return 0;
}

/* Makes the written file a single self-contained file and closes it: after
 * the statements are finalized, journal_mode=DELETE checkpoints the WAL
 * into the file and deletes the -wal and -shm. *single receives whether
 * that happened: it does not when another connection has the file open
 * (SQLITE_BUSY), which is no error here (the file is whole, with its -wal
 * beside it until that connection ends); every other failure becomes the
 * sticky error. Returns the sticky error. */
int
purr__rec_finish_db(purr_recorder *r, bool *single /* out */)
{
    *single = false;
    finalize_stmts(r);
    if (!r->db)
        return r->err;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(r->db, "PRAGMA journal_mode=DELETE", -1, &st,
                                NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *single = strcmp((const char *)sqlite3_column_text(st, 0),
                         "delete") == 0;
    else if ((rc & 0xff) != SQLITE_BUSY)
        purr__rec_fail_sqlite(r, rc, "PRAGMA journal_mode=DELETE");
    sqlite3_finalize(st);
    purr__rec_close_db(r);
    return r->err;
}

/* Renames the finished temporary file over path, which replaces the old
 * recording in one step, then deletes the -wal and -shm a killed run of
 * the old one may have left beside path: SQLite would read that -wal into
 * the new file (whatever its header says; the reader ignores it, the
 * sqlite3 shell does not). Returns 0 or the sticky error; on a failed
 * rename the temporary file is still there. */
int
purr__rec_publish(purr_recorder *r)
{
    if (rename(r->tmp_path, r->path) != 0)
        return fail_sys(r, "cannot rename", r->tmp_path);
    free(r->tmp_path);
    r->tmp_path = NULL;
    return purr__rec_remove_db_files(r, r->path, true);
}
