/* serve.c - the command line's --serve: its options, the server's start
 * and summary lines, and the pacing of a served run.
 *
 * `purr run SCENE --serve [ADDR:]PORT` and `purr view FILE.db --serve
 * [ADDR:]PORT` stream over the Foxglove WebSocket protocol (purr/serve.h,
 * docs/serve.md). A served run is watched, so it goes at --speed (1x by
 * default; `--speed max` for as fast as it can) even headless: the pace
 * hook here sleeps on the wall clock between virtual time jumps and
 * sends the server's time meanwhile. Wall time is read for that only:
 * the run's transitions are the same with or without --serve.
 */
#include "serve_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Time messages go out at most this often (wall seconds) while a run is
 * paced, and while it waits between two virtual instants. */
#define TIME_EVERY_S 0.05

static double
wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int
usage_error(const char *verb, const char *what, const char *arg)
{
    fprintf(stderr, "purr: %s: %s '%s' (see 'purr %s --help')\n", verb, what,
            arg, verb);
    return 2;
}

/* Parses "[ADDR:]PORT" ("8765", "0.0.0.0:8765", "[::1]:8765") into sc.
 * Returns false when it is not that. */
static bool
parse_listen(purr__serve_cli *sc, const char *arg)
{
    const char *port = arg;
    snprintf(sc->host, sizeof sc->host, "127.0.0.1");
    if (arg[0] == '[') {
        const char *close = strchr(arg, ']');
        if (!close || close[1] != ':' ||
            (size_t)(close - arg - 1) >= sizeof sc->host)
            return false;
        snprintf(sc->host, sizeof sc->host, "%.*s", (int)(close - arg - 1),
                 arg + 1);
        port = close + 2;
    } else if (strrchr(arg, ':')) {
        const char *colon = strrchr(arg, ':');
        if (colon == arg || (size_t)(colon - arg) >= sizeof sc->host)
            return false;
        snprintf(sc->host, sizeof sc->host, "%.*s", (int)(colon - arg), arg);
        port = colon + 1;
    }
    char *end;
    errno = 0;
    long p = strtol(port, &end, 10);
    if (port[0] < '0' || port[0] > '9' || *end || errno || p > 65535)
        return false;
    sc->port = (int)p;
    return true;
}

/* Parses a size: bytes, or a number with K, M or G (KiB, MiB, GiB). */
static bool
parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || errno || v == 0)
        return false;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M')
        shift = 20;
    else if (*end == 'G')
        shift = 30;
    if (shift) {
        end++;
        if (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0)
            end += strlen(end);
    }
    if (*end || v > (SIZE_MAX >> shift))
        return false;
    *out = (size_t)v << shift;
    return true;
}

int
purr__cli_serve_option(purr__serve_cli *sc, int argc, char **argv, int *i,
                       const char *verb)
{
    const char *a = argv[*i];
    if (strcmp(a, "--serve") != 0 && strcmp(a, "--serve-buffer") != 0 &&
        strcmp(a, "--serve-wait") != 0)
        return 0;
    if (*i + 1 >= argc || !argv[*i + 1][0])
        return usage_error(verb, "this option needs a value:", a);
    const char *v = argv[++*i];
    if (strcmp(a, "--serve") == 0) {
        if (!parse_listen(sc, v))
            return usage_error(verb,
                               "--serve expects [ADDR:]PORT (e.g. 8765, "
                               "0.0.0.0:8765; 0: any free port), got",
                               v);
        sc->listen = v;
    } else if (strcmp(a, "--serve-buffer") == 0) {
        if (!parse_size(v, &sc->buffer))
            return usage_error(verb,
                               "--serve-buffer expects a size in bytes (e.g. "
                               "65536, 64K, 8M), got",
                               v);
    } else {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (v[0] < '0' || v[0] > '9' || *end || errno || n > 1000)
            return usage_error(verb,
                               "--serve-wait expects a number of clients "
                               "(0-1000), got",
                               v);
        sc->wait = (size_t)n;
        sc->wait_given = true;
    }
    return 1;
}

int
purr__cli_serve_check(const purr__serve_cli *sc, const char *verb)
{
    if (!sc->listen && (sc->buffer || sc->wait_given)) {
        fprintf(stderr,
                "purr: %s: --serve-buffer and --serve-wait go with --serve "
                "(see 'purr %s --help')\n",
                verb, verb);
        return 2;
    }
    return 0;
}

int
purr__cli_serve_start(purr__serve_cli *sc, const char *name, purr_time epoch_ns)
{
    if (!sc->listen)
        return 0;
    purr_server_options so = {.host = sc->host,
                              .port = sc->port,
                              .buffer_bytes = sc->buffer,
                              .name = name,
                              .epoch_ns = epoch_ns};
    purr_diag diag = {0};
    if (!(sc->server = purr_server_new(&so, &diag))) {
        fprintf(stderr, "purr: --serve %s: %s\n", sc->listen, diag.message);
        return 2;
    }
    bool v6 = strchr(sc->host, ':') != NULL;
    fprintf(stderr, "serving on ws://%s%s%s:%d\n", v6 ? "[" : "", sc->host,
            v6 ? "]" : "", purr_server_port(sc->server));
    fflush(stderr);
    return 0;
}

/* Moves virtual time from `from` to `at` at the wall clock's pace,
 * sending the server's time while it waits. The first call anchors
 * virtual time `from` to the wall clock's now. */
static void
hold(purr__serve_cli *sc, purr_time from, purr_time at)
{
    double now = wall_now();
    if (!sc->anchored) {
        sc->anchored = true;
        sc->wall0 = now;
        sc->virt0 = from;
    }
    if (sc->speed <= 0) {
        if (now - sc->last_time >= TIME_EVERY_S) {
            purr_server_time(sc->server, at);
            sc->last_time = now;
        }
        return;
    }
    double target = sc->wall0 + (double)(at - sc->virt0) / 1e9 / sc->speed;
    if (now > target + 0.25) {
        /* Far behind (a slow machine, a wait for clients): catch up no
         * more than this, then keep the pace from here. */
        sc->wall0 = now;
        sc->virt0 = at;
        target = now;
    }
    while (now < target) {
        double step = target - now < TIME_EVERY_S ? target - now : TIME_EVERY_S;
        sleep_s(step);
        now = wall_now();
        /* The time in between, as the wall clock has it. */
        double shown = (now - sc->wall0) * sc->speed * 1e9;
        purr_time t = sc->virt0 + (purr_time)shown;
        purr_server_time(sc->server, t < at ? t : at);
        sc->last_time = now;
    }
}

static void
serve_pace(purr_loop *loop, purr_time next_deadline, void *ctx)
{
    purr__serve_cli *sc = ctx;
    if (next_deadline != PURR_TIME_NEVER)
        hold(sc, purr_now(), next_deadline);
    if (sc->next)
        sc->next(loop, next_deadline, sc->next_ctx);
}

void
purr__cli_serve_pace(purr__serve_cli *sc, purr_pace_fn *pace, void **pace_ctx,
                     double speed)
{
    if (!sc->server)
        return;
    sc->speed = speed;
    sc->next = *pace;
    sc->next_ctx = *pace_ctx;
    *pace = serve_pace;
    *pace_ctx = sc;
}

void
purr__cli_serve_hold(purr__serve_cli *sc, purr_time at)
{
    if (sc->server)
        hold(sc, at, at);
}

void
purr__cli_serve_wait(purr__serve_cli *sc)
{
    if (!sc->server || sc->wait == 0)
        return;
    fprintf(stderr, "waiting for %zu client%s to subscribe...\n", sc->wait,
            sc->wait == 1 ? "" : "s");
    fflush(stderr);
    purr_server_wait_clients(sc->server, sc->wait);
}

void
purr__cli_serve_end(purr__serve_cli *sc, purr_time end_ns)
{
    if (!sc->server)
        return;
    purr_server_time(sc->server, end_ns);
    purr_server_detach(sc->server);
    purr_server *s = sc->server;
    sc->server = NULL;
    uint64_t clients = purr_server_clients(s);
    /* Detached, nothing more is published: the counts are final. */
    uint64_t sent = purr_server_sent(s), dropped = purr_server_dropped(s);
    purr_server_free(s);
    fprintf(stderr,
            "served %" PRIu64 " message%s to %" PRIu64 " client%s, %" PRIu64
            " dropped%s\n",
            sent, sent == 1 ? "" : "s", clients, clients == 1 ? "" : "s",
            dropped,
            dropped ? " (a client read slower than the run wrote; see "
                      "--serve-buffer)"
                    : "");
}

bool
purr__cli_serve_wanted(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--serve") == 0)
            return true;
    return false;
}
