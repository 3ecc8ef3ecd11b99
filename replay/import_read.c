/* import_read.c - reading a field log in blocks: opening it (a regular
 * file only) and handing out its lines from one bounded buffer.
 *
 * This is what keeps an import in constant memory: the buffer starts at
 * 256 KiB and grows only for a line longer than that, up to
 * PURR__IMPORT_MAX_LINE, so a 1 GB log is read through the same few
 * hundred KiB. A returned line lives in the buffer until the next call;
 * the CSV reader unquotes its fields in place there.
 */
#include "import_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK (256u << 10)

int
purr__import_open_file(const char *path, int *fd, uint64_t *size,
                       purr_diag *diag)
{
    if (!path[0]) {
        purr_diag_set(diag, "", 0, 0, "no log given (an empty path)");
        return PURR_ENOENT;
    }
    /* O_NONBLOCK: opening a FIFO would wait for a writer. */
    int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (f < 0) {
        purr_diag_set(diag, path, 0, 0, "cannot open: %s", strerror(errno));
        return PURR_ENOENT;
    }
    struct stat st;
    if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(f);
        purr_diag_set(diag, path, 0, 0,
                      "not a regular file (a log must be a file)");
        return PURR_EFORMAT;
    }
    /* Reads of a regular file never block; clear the flag all the same. */
    int fl = fcntl(f, F_GETFL);
    if (fl >= 0)
        (void)fcntl(f, F_SETFL, fl & ~O_NONBLOCK);
    *fd = f;
    *size = (uint64_t)st.st_size;
    return 0;
}

int
purr__line_reader_open(purr__line_reader *r, const char *path,
                       uint64_t *size, purr_diag *diag)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    int rc = purr__import_open_file(path, &r->fd, size, diag);
    if (rc < 0)
        return rc;
    r->cap = BLOCK;
    r->buf = malloc(r->cap);
    if (!r->buf) {
        close(r->fd);
        r->fd = -1;
        return PURR_ENOMEM;
    }
    r->next_line = 1;
    return 0;
}

void
purr__line_reader_close(purr__line_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    free(r->buf);
    r->fd = -1;
    r->buf = NULL;
}

/* Reads more of the file after buf[end), moving the unread bytes to the
 * front (and growing the buffer when they fill it). Returns the number of
 * bytes read (0 at the end of the file) or a negative code. */
static int
fill(purr__line_reader *r, const char *path, purr_diag *diag)
{
    if (r->start > 0) {
        size_t n = r->end - r->start;
        memmove(r->buf, r->buf + r->start, n);
        r->offset += r->start;
        r->start = 0;
        r->end = n;
    }
    /* One byte is always kept free after the data: a line's end may be
     * written as a NUL (import_csv.c) even when no newline follows. */
    if (r->end + 1 >= r->cap) {
        if (r->cap >= PURR__IMPORT_MAX_LINE + 2) {
            purr_diag_set(diag, path, (long)r->rec_line, 0,
                          "line longer than %u KiB: not a text log",
                          PURR__IMPORT_MAX_LINE >> 10);
            return PURR_EFORMAT;
        }
        size_t cap = r->cap * 2;
        if (cap > PURR__IMPORT_MAX_LINE + 2)
            cap = PURR__IMPORT_MAX_LINE + 2;
        char *nb = realloc(r->buf, cap);
        if (!nb)
            return PURR_ENOMEM;
        r->buf = nb;
        r->cap = cap;
    }
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - 1 - r->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            purr_diag_set(diag, path, 0, 0, "read error: %s",
                          strerror(errno));
            return PURR_ENOENT; /* the log cannot be read; EIO is the
                                   output's */
        }
        if (n == 0)
            r->eof = true;
        r->end += (size_t)n;
        return (int)(n > 0);
    }
}

int
purr__line_reader_next(purr__line_reader *r, const char **line, size_t *len,
                       bool *terminated, const char *path, purr_diag *diag)
{
    for (;;) {
        if (r->scan == 0)
            r->rec_line = r->next_line; /* a new line starts */
        char *p = r->buf + r->start;
        size_t avail = r->end - r->start;
        size_t i = r->scan;
        char *nl = NULL;
        if (!r->csv_quotes) {
            nl = memchr(p + i, '\n', avail - i);
        } else {
            bool q = r->in_quotes;
            for (; i < avail; i++) {
                char c = p[i];
                if (c == '"')
                    q = !q; /* a doubled quote toggles twice */
                else if (c == '\n' && !q) {
                    nl = p + i;
                    break;
                } else if (c == '\n')
                    r->next_line++;
            }
            r->in_quotes = q;
        }
        if (nl || (r->eof && avail > 0)) {
            size_t n = nl ? (size_t)(nl - p) : avail;
            if (n > PURR__IMPORT_MAX_LINE) {
                purr_diag_set(diag, path, (long)r->rec_line, 0,
                              "line longer than %u KiB: not a text log",
                              PURR__IMPORT_MAX_LINE >> 10);
                return PURR_EFORMAT;
            }
            *line = p;
            *len = n;
            *terminated = nl != NULL;
            r->start += n + (nl ? 1 : 0);
            r->scan = 0;
            r->in_quotes = false;
            /* csv_quotes counted the newlines inside quotes already. */
            r->line = r->rec_line;
            r->next_line++;
            return 1;
        }
        if (r->eof)
            return 0;
        r->scan = avail;
        int rc = fill(r, path, diag);
        if (rc < 0)
            return rc;
    }
}
