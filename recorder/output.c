/* output.c - the files purr writes: the check before the work, and the
 * temporary file renamed into place after it.
 *
 * Every verb that writes a file (purr run --screenshot, purr replay
 * --junit, purr plot -o, purr view --screenshot, and the recordings of
 * purr run --record, purr replay --record and purr import -o) checks its
 * output here before doing anything, and writes it through purr_output
 * (recordings through the recorder, which keeps the same temporary-file
 * scheme). It lives in the recorder layer because that is the lowest layer
 * every writer uses: view, replay and cli all link it.
 *
 * Invariants: the file at the output's path is only ever changed by one
 * rename, made after the temporary file was flushed, fsynced and closed
 * without an error; every path out of purr_output_close and
 * purr_output_discard other than that rename deletes the temporary file.
 * The temporary file is created here with O_EXCL, so it is never a file
 * someone else made.
 */
#include "recorder_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* The check                                                               */
/* ---------------------------------------------------------------------- */

/* The directory part of path ("." when it has none) into buf, and its
 * last component into *base (borrowed from path). */
static void
split_path(const char *path, char *dir, size_t cap, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, cap, ".");
        *base = path;
    } else if (slash == path) {
        snprintf(dir, cap, "/");
        *base = slash + 1;
    } else {
        snprintf(dir, cap, "%.*s", (int)(slash - path), path);
        *base = slash + 1;
    }
}

/* True when a and b name the same file: the same inode when both exist;
 * when neither does, the same name in the same directory (two outputs of
 * one command given the same new name). */
static bool
same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea || eb)
        return false;
    char da[PATH_MAX], db[PATH_MAX];
    const char *ba, *bb;
    split_path(a, da, sizeof da, &ba);
    split_path(b, db, sizeof db, &bb);
    if (strcmp(ba, bb) != 0)
        return false;
    return stat(da, &sa) == 0 && stat(db, &sb) == 0 &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The name of kind, for messages. */
static const char *
kind_name(purr_output_kind kind)
{
    switch (kind) {
    case PURR_OUTPUT_RECORDING:
        return "a recording";
    case PURR_OUTPUT_PNG:
        return "a PNG image";
    case PURR_OUTPUT_XML:
        return "an XML report";
    }
    return "?";
}

/* True when the len bytes head (the start of a file) are of kind. */
static bool
head_is(purr_output_kind kind, const unsigned char *head, size_t len)
{
    static const char sqlite[] = "SQLite format 3"; /* and its NUL */
    static const unsigned char png[8] = {0x89, 'P', 'N',  'G',
                                         '\r', '\n', 0x1a, '\n'};
    switch (kind) {
    case PURR_OUTPUT_RECORDING:
        return len >= sizeof sqlite && memcmp(head, sqlite, sizeof sqlite) == 0;
    case PURR_OUTPUT_PNG:
        return len >= sizeof png && memcmp(head, png, sizeof png) == 0;
    case PURR_OUTPUT_XML:
        return (len >= 5 && memcmp(head, "<?xml", 5) == 0) ||
               (len >= 11 && memcmp(head, "<testsuites", 11) == 0);
    }
    return false;
}

int
purr_output_check(const char *path, const char *const *others, size_t n,
                  purr_output_kind kind, bool force, purr_diag *diag)
{
    for (size_t i = 0; i < n; i++) {
        if (others[i] && same_file(path, others[i])) {
            if (strcmp(path, others[i]) == 0)
                purr_diag_set(diag, path, 0, 0,
                              "is also an input or output of this command; "
                              "choose another output");
            else
                purr_diag_set(diag, path, 0, 0,
                              "is the same file as %s, which this command "
                              "also uses; choose another output",
                              others[i]);
            return PURR_EEXIST;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return 0; /* a new file; or opening it will say what is wrong */
    if (!S_ISREG(st.st_mode)) {
        purr_diag_set(diag, path, 0, 0,
                      S_ISDIR(st.st_mode)
                          ? "is a directory; choose a file name"
                          : "is not a regular file; choose a file name");
        return PURR_EEXIST;
    }
    if (force || (st.st_size == 0 && kind != PURR_OUTPUT_RECORDING))
        return 0;
    unsigned char head[16];
    size_t len = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        len = fread(head, 1, sizeof head, f);
        fclose(f);
    }
    if (!f) {
        purr_diag_set(diag, path, 0, 0,
                      "already exists and cannot be read to tell what it "
                      "is (%s); give --force to replace it",
                      strerror(errno));
        return PURR_EEXIST;
    }
    bool same_kind = head_is(kind, head, len);
    if (kind == PURR_OUTPUT_RECORDING) {
        purr_diag_set(diag, path, 0, 0,
                      same_kind ? "already exists; give --force to replace it"
                                : "already exists and is not a recording; "
                                  "give --force to replace it");
        return PURR_EEXIST;
    }
    if (same_kind)
        return 0;
    purr_diag_set(diag, path, 0, 0,
                  "already exists and is not %s; give --force to replace it",
                  kind_name(kind));
    return PURR_EEXIST;
}

/* ---------------------------------------------------------------------- */
/* Writing through a temporary file                                        */
/* ---------------------------------------------------------------------- */

/* Frees out's strings and zeroes it. */
static void
release(purr_output *out)
{
    free(out->path_);
    free(out->target_);
    free(out->tmp_);
    memset(out, 0, sizeof *out);
}

/* Creates ".BASE.purr-tmp-XXXXXX" beside target with O_EXCL and mode
 * 0666 (the umask applies, as for any new file; mkstemp's 0600 would need
 * the umask, which cannot be read without changing it for every thread).
 * Returns the descriptor with *tmp (out) set to the malloc'ed name, or -1
 * with errno set. The suffix only has to avoid other temporary files:
 * O_EXCL makes the name ours. */
static int
create_temp(const char *target, char **tmp /* out */)
{
    static const char digits[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const char *slash = strrchr(target, '/');
    int dirlen = slash ? (int)(slash - target) + 1 : 0;
    size_t cap = strlen(target) + 32;
    char *name = purr__rec_malloc(cap);
    uint64_t x = (uint64_t)getpid() * 0x9e3779b97f4a7c15u ^
                 (uint64_t)purr__rec_wall_ns();
    for (int attempt = 0; attempt < 100; attempt++) {
        char suffix[7];
        for (int i = 0; i < 6; i++) {
            x ^= x << 13; /* xorshift64: cheap, and good enough for names */
            x ^= x >> 7;
            x ^= x << 17;
            suffix[i] = digits[x % (sizeof digits - 1)];
        }
        suffix[6] = '\0';
        snprintf(name, cap, "%.*s.%s.purr-tmp-%s", dirlen, target,
                 target + dirlen, suffix);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            *tmp = name;
            return fd;
        }
        if (errno != EEXIST)
            break;
    }
    int err = errno;
    free(name);
    errno = err;
    return -1;
}

int
purr_output_open(purr_output *out, const char *path, purr_diag *diag)
{
    memset(out, 0, sizeof *out);
    out->path_ = purr__rec_strdup(path);
    /* A symbolic link stays a link: the file it points to is replaced. */
    struct stat st;
    char *real = NULL;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        real = realpath(path, NULL);
    out->target_ = real ? real : purr__rec_strdup(path);
    int fd = create_temp(out->target_, &out->tmp_);
    if (fd < 0) {
        int err = errno;
        purr_diag_set(diag, path, 0, 0,
                      "cannot create a temporary file beside it: %s",
                      strerror(err));
        release(out);
        return err == ENOENT || err == ENOTDIR ? PURR_ENOENT : PURR_EIO;
    }
    /* The replacement reads as the old file did. */
    if (stat(out->target_, &st) == 0)
        fchmod(fd, st.st_mode & 07777);
    if (!(out->file = fdopen(fd, "wb"))) {
        int err = errno;
        close(fd);
        unlink(out->tmp_);
        purr_diag_set(diag, path, 0, 0, "cannot write: %s", strerror(err));
        release(out);
        return PURR_EIO;
    }
    out->tmp_path = out->tmp_;
    errno = 0; /* so that a failed write's errno is the one close sees */
    return 0;
}

int
purr_output_close(purr_output *out, purr_diag *diag)
{
    if (!out->file) {
        release(out);
        return 0;
    }
    /* A failed fwrite leaves only the stream's error flag; flushing what
     * is left tries again and sets errno afresh. errno, cleared at open,
     * otherwise still holds the failed write's reason. */
    const char *what = NULL;
    int err = 0;
    int saved = errno;
    if (fflush(out->file) != 0) {
        what = "cannot write";
        err = errno;
    } else if (ferror(out->file)) {
        what = "cannot write";
        err = saved;
    } else if (fsync(fileno(out->file)) != 0 && errno != EINVAL) {
        what = "cannot sync"; /* EINVAL: a file system without fsync */
        err = errno;
    }
    if (fclose(out->file) != 0 && !what) {
        what = "cannot close";
        err = errno;
    }
    out->file = NULL;
    if (!what && rename(out->tmp_, out->target_) != 0) {
        what = "cannot rename the temporary file over it";
        err = errno;
    }
    if (what) {
        unlink(out->tmp_);
        if (err)
            purr_diag_set(diag, out->path_, 0, 0, "%s: %s (the file is unchanged)",
                          what, strerror(err));
        else
            purr_diag_set(diag, out->path_, 0, 0,
                          "%s: a write failed (the file is unchanged)", what);
        release(out);
        return PURR_EIO;
    }
    release(out);
    return 0;
}

void
purr_output_discard(purr_output *out)
{
    if (out->file) {
        fclose(out->file);
        unlink(out->tmp_);
    }
    release(out);
}
