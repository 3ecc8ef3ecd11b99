/* read_guard.c - a clear error, not a crash, when a recording is cut short
 * by another program while purr reads it.
 *
 * The reader reads a recording through a memory mapping (reader_file.c).
 * If another program truncates the file in place while it is mapped (a
 * `cp` over it, `: > file`), touching a page past the new end raises
 * SIGBUS, which would kill the process without a word. While a recording
 * is open its absolute path is registered here, and a SIGBUS handler
 * (installed once, the first time a recording is opened) looks in
 * /proc/self/maps for the mapping that holds the faulting address: when
 * it is a registered recording, it prints one line naming the file and
 * ends the process with status 2 (bad input), as every other damaged
 * recording does. Any other SIGBUS goes to the handler that was there
 * before (the core's stack-overflow handler, ASan's) or kills the process
 * as it would have.
 *
 * purr itself never truncates a recording in place: it replaces one by
 * renaming a new file over it, which leaves a mapped old one whole.
 *
 * Everything the handler does is async-signal-safe: open, read, write,
 * _exit, and loads of the atomic table.
 */
#include "reader_int.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Recordings open at once that are guarded; more are read unguarded. */
#define GUARDED_MAX 64

static _Atomic(const char *) guarded[GUARDED_MAX];
static struct sigaction old_bus;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

/* Parses the hex number at *p, advancing past it. */
static uintptr_t
hex(const char **p)
{
    uintptr_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
        if (d < 0)
            return v;
        v = v * 16 + (uintptr_t)d;
    }
}

/* The registered path whose mapping in the maps line holds addr, or NULL.
 * A line: "start-end perms offset dev inode   pathname". */
static const char *
line_match(const char *line, uintptr_t addr)
{
    const char *p = line;
    uintptr_t start = hex(&p);
    if (*p++ != '-')
        return NULL;
    uintptr_t end = hex(&p);
    if (addr < start || addr >= end)
        return NULL;
    for (int field = 0; field < 4; field++) { /* perms offset dev inode */
        while (*p == ' ')
            p++;
        while (*p && *p != ' ')
            p++;
    }
    while (*p == ' ')
        p++;
    for (size_t i = 0; i < GUARDED_MAX; i++) {
        const char *g = atomic_load(&guarded[i]);
        if (g && strcmp(g, p) == 0)
            return g;
    }
    return NULL;
}

/* The registered recording mapped at addr, found in /proc/self/maps, or
 * NULL. */
static const char *
mapped_recording(uintptr_t addr)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    static char line[PATH_MAX + 256];
    size_t len = 0;
    char buf[4096];
    const char *found = NULL;
    ssize_t n;
    while (!found && (n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n && !found; i++) {
            if (buf[i] != '\n') {
                if (len + 1 < sizeof line)
                    line[len++] = buf[i];
                continue;
            }
            line[len] = '\0';
            found = line_match(line, addr);
            len = 0;
        }
    }
    close(fd);
    return found;
}

static void
put(const char *s)
{
    ssize_t w = write(STDERR_FILENO, s, strlen(s));
    (void)w;
}

static void
on_bus(int sig, siginfo_t *info, void *uctx)
{
    const char *path = mapped_recording((uintptr_t)info->si_addr);
    if (path) {
        put("purr: ");
        put(path);
        put(": the recording was cut short while it was being read "
            "(another program truncated or rewrote it in place)\n");
        _exit(2);
    }
    /* Not ours: hand over to whoever was there before. */
    if (old_bus.sa_flags & SA_SIGINFO) {
        old_bus.sa_sigaction(sig, info, uctx);
    } else if (old_bus.sa_handler != SIG_DFL &&
               old_bus.sa_handler != SIG_IGN) {
        old_bus.sa_handler(sig);
    } else {
        signal(sig, SIG_DFL); /* the faulting access repeats and kills us */
    }
}

static void
install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &old_bus);
}

int
purr__rec_guard_add(const char *path)
{
    pthread_once(&install_once, install);
    char *abs = realpath(path, NULL);
    if (!abs)
        return -1;
    for (int i = 0; i < GUARDED_MAX; i++) {
        const char *expect = NULL;
        if (atomic_compare_exchange_strong(&guarded[i], &expect, abs))
            return i;
    }
    free(abs);
    return -1;
}

void
purr__rec_guard_remove(int slot)
{
    if (slot < 0 || slot >= GUARDED_MAX)
        return;
    char *abs = (char *)atomic_exchange(&guarded[slot], NULL);
    free(abs);
}
