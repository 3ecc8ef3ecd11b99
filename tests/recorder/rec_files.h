/* rec_files.h - fixtures for the tests about a recording's files.
 *
 * A directory snapshot (every entry's name, mode, mtime and bytes) shows
 * that reading a recording, or a replacement that did not finish, left a
 * directory exactly as it was. record_counter writes a recording of one
 * int value "counter" set to 1, 2, ..., count; record_killed does the same
 * in a child process that commits every transition, tells the parent
 * through a pipe, and blocks until the parent kills it with SIGKILL, so the
 * files it leaves (with a -wal holding committed data) are known exactly
 * without any wall-clock sleep. */
#ifndef PURR_REC_FILES_H
#define PURR_REC_FILES_H

#include "rec_test.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SNAP_MAX 16

/* One directory entry as a snapshot holds it. */
typedef struct snap_file {
    char name[256];
    mode_t mode;
    struct timespec mtime;
    char *bytes; /* a regular file's contents (owned), else NULL */
    size_t len;
} snap_file;

/* A directory's entries, sorted by name. */
typedef struct dir_snap {
    snap_file f[SNAP_MAX];
    size_t n;
} dir_snap;

static inline int
snap_file_cmp(const void *a, const void *b)
{
    return strcmp(((const snap_file *)a)->name, ((const snap_file *)b)->name);
}

/* Takes a snapshot of dir (not recursive). */
static inline void
snap_take(const char *dir, dir_snap *s)
{
    memset(s, 0, sizeof *s);
    DIR *d = opendir(dir);
    cr_assert(d, "opendir %s: %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        cr_assert(s->n < SNAP_MAX, "too many files in %s", dir);
        snap_file *f = &s->f[s->n++];
        snprintf(f->name, sizeof f->name, "%s", e->d_name);
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        cr_assert_eq(lstat(path, &st), 0, "stat %s", path);
        f->mode = st.st_mode;
        f->mtime = st.st_mtim;
        if (!S_ISREG(st.st_mode))
            continue;
        FILE *in = fopen(path, "rb");
        cr_assert(in, "open %s: %s", path, strerror(errno));
        f->len = (size_t)st.st_size;
        f->bytes = malloc(f->len + 1);
        cr_assert_eq(fread(f->bytes, 1, f->len, in), f->len, "read %s", path);
        fclose(in);
    }
    closedir(d);
    qsort(s->f, s->n, sizeof s->f[0], snap_file_cmp);
}

static inline void
snap_free(dir_snap *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->f[i].bytes);
    s->n = 0;
}

/* The entries' names, for failure messages. */
static inline const char *
snap_names(const dir_snap *s, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < s->n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s ", s->f[i].name);
    return buf;
}

/* Asserts that b holds the same entries as a with the same mode, mtime
 * and bytes, leaving out in b the names starting with skip (NULL: none). */
static inline void
snap_assert_same(const dir_snap *a, const dir_snap *b, const char *skip,
                 const char *what)
{
    char na[1024], nb[1024];
    size_t j = 0;
    for (size_t i = 0; i < b->n; i++) {
        const snap_file *fb = &b->f[i];
        if (skip && strncmp(fb->name, skip, strlen(skip)) == 0)
            continue;
        cr_assert(j < a->n, "%s: %s appeared (before: %s; after: %s)", what,
                  fb->name, snap_names(a, na, sizeof na),
                  snap_names(b, nb, sizeof nb));
        const snap_file *fa = &a->f[j++];
        cr_assert_str_eq(fb->name, fa->name, "%s: before: %s; after: %s", what,
                         snap_names(a, na, sizeof na),
                         snap_names(b, nb, sizeof nb));
        cr_assert_eq(fb->mode, fa->mode, "%s: %s: mode changed", what,
                     fa->name);
        cr_assert(fb->mtime.tv_sec == fa->mtime.tv_sec &&
                      fb->mtime.tv_nsec == fa->mtime.tv_nsec,
                  "%s: %s: mtime changed", what, fa->name);
        cr_assert_eq(fb->len, fa->len, "%s: %s: %zu bytes, now %zu", what,
                     fa->name, fa->len, fb->len);
        cr_assert(fa->len == 0 || memcmp(fa->bytes, fb->bytes, fa->len) == 0,
                  "%s: %s: its bytes changed", what, fa->name);
    }
    cr_assert_eq(j, a->n, "%s: files went (before: %s; after: %s)", what,
                 snap_names(a, na, sizeof na), snap_names(b, nb, sizeof nb));
}

/* How many entries of s start with prefix; the first one's name goes to
 * first (may be NULL). */
static inline size_t
snap_count(const dir_snap *s, const char *prefix, char *first, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (strncmp(s->f[i].name, prefix, strlen(prefix)) != 0)
            continue;
        if (n++ == 0 && first)
            snprintf(first, cap, "%s", s->f[i].name);
    }
    return n;
}

/* A fresh directory of its own under /tmp, readable by everyone (for the
 * read-only directory test's unprivileged child). */
static inline void
fresh_dir(char *dir, size_t cap)
{
    snprintf(dir, cap, "/tmp/purr-files-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    cr_assert_eq(chmod(dir, 0755), 0);
}

/* ---- counter recordings -------------------------------------------- */

struct counter_rec {
    purr_recorder *r;
    int64_t count;   /* transitions to make */
    const char *dup; /* if set: a second value with this name too */
    int ready_fd;    /* killed runs: told once everything is committed */
    int block_fd;    /* killed runs: read until the parent kills */
};

static inline int
counter_main(void *arg)
{
    struct counter_rec *c = arg;
    purr_loop *loop = purr_loop_current();
    purr_value *v =
        purr_value_new(loop, "counter", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
    purr_value *d = c->dup ? purr_value_new(loop, c->dup, PURR_ROLE_OUTPUT,
                                            PURR_T_INT, NULL)
                           : NULL;
    for (int64_t i = 1; i <= c->count; i++) {
        purr_value_set_int(v, i);
        if (i % 100 == 0)
            PURR_TRY(purr_sleep(PURR_MS));
    }
    if (c->ready_fd >= 0) {
        /* Everything is committed: the files no longer change. */
        if (purr_recorder_flush(c->r) < 0)
            _exit(5);
        char b = 'r';
        if (write(c->ready_fd, &b, 1) != 1)
            _exit(6);
        (void)!read(c->block_fd, &b, 1);
        _exit(7);
    }
    purr_value_free(d);
    purr_value_free(v);
    return 0;
}

/* Opens a recorder on path with opts and records count transitions of
 * "counter" into it (and creates a second value named dup, if not NULL),
 * leaving the recorder open. The loop is returned through loop. */
static inline purr_recorder *
counter_start(const char *path, const purr_recorder_options *opts,
              int64_t count, const char *dup, purr_loop **loop /* out */)
{
    purr_diag diag;
    *loop = purr_loop_new(NULL);
    purr_recorder *r = purr_recorder_open(path, opts, &diag);
    cr_assert(r, "open %s: %s", path, diag.message);
    purr_assert_ok(purr_recorder_attach(r, *loop));
    struct counter_rec c = {
        .r = r, .count = count, .dup = dup, .ready_fd = -1, .block_fd = -1};
    purr_assert_ok(purr_run(*loop, "main", counter_main, &c));
    return r;
}

/* Records count transitions into path and closes the recorder. */
static inline void
record_counter(const char *path, const purr_recorder_options *opts,
               int64_t count)
{
    purr_loop *loop;
    purr_diag diag;
    purr_recorder *r = counter_start(path, opts, count, NULL, &loop);
    int rc = purr_recorder_close(r, &diag);
    cr_assert_eq(rc, 0, "close %s: %s", path, diag.message);
    cr_assert_eq(purr_loop_close(loop), 0);
}

/* Records count transitions into path with opts in a child process,
 * waits until it has committed them all, and kills it with SIGKILL. */
static inline void
record_killed(const char *path, const purr_recorder_options *opts,
              int64_t count)
{
    int ready[2], block[2];
    cr_assert_eq(pipe(ready), 0);
    cr_assert_eq(pipe(block), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        close(block[1]);
        purr_loop *loop = purr_loop_new(NULL);
        purr_recorder *r = purr_recorder_open(path, opts, NULL);
        if (!r || purr_recorder_attach(r, loop) < 0)
            _exit(3);
        struct counter_rec c = {
            .r = r, .count = count, .ready_fd = ready[1], .block_fd = block[0]};
        purr_run(loop, "main", counter_main, &c);
        _exit(4);
    }
    close(ready[1]);
    close(block[0]);
    char b;
    ssize_t got = read(ready[0], &b, 1);
    close(ready[0]);
    if (got == 1)
        cr_assert_eq(kill(pid, SIGKILL), 0);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    close(block[1]);
    cr_assert(got == 1, "the recording child failed (status %d)", status);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
              "the recording child ended otherwise (%d)", status);
}

/* Reads the counter recording at path through the reader and returns its
 * transitions, checking that transition k holds k. */
static inline int64_t
read_counter(const char *path)
{
    purr_recording *rec;
    purr_diag diag;
    int rc = purr_recording_open(path, &rec, &diag);
    cr_assert_eq(rc, 0, "open %s: %s", path, diag.message);
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    int64_t n = 0;
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0) {
        n++;
        cr_assert_str_eq(it.value->name, "counter");
        cr_assert_eq(it.seq, (uint64_t)n);
        cr_assert_eq(it.datum.u.i, n, "%s: transition %" PRId64, path, n);
    }
    cr_assert_eq(rc, PURR_ECLOSED, "%s: %s", path, diag.message);
    purr_recording_iter_close(&it);
    cr_assert_eq(purr_recording_transition_count(rec), n);
    purr_recording_close(rec);
    return n;
}

/* Whether path exists. */
static inline bool
exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* path with suffix appended, in buf. */
static inline const char *
beside(char *buf, size_t cap, const char *path, const char *suffix)
{
    snprintf(buf, cap, "%s%s", path, suffix);
    return buf;
}

/* Copies the file from to the file to (created or truncated). */
static inline void
copy_path(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out, "copy %s to %s", from, to);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        cr_assert_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    cr_assert_eq(fclose(out), 0);
}

#endif /* PURR_REC_FILES_H */
