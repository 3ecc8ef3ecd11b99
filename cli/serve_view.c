/* serve_view.c - `purr view FILE.db --serve [ADDR:]PORT`: stream a
 * recording over the Foxglove WebSocket protocol.
 *
 * One channel per recorded value; the transitions go out in their
 * recorded order, each stamped with its virtual time (plus the
 * recording's start_epoch_ns metadata, when it has one), held to --speed
 * times the wall clock (1 by default; max: as fast as the clients take
 * them). The replay starts once --serve-wait clients (1 by default) have
 * subscribed, goes once from the start to the end for every client
 * connected, and then closes the connections. foxglove.websocket.v1 has
 * no playback requests (seeking, pausing): a client joining later sees
 * the replay from where it is.
 */
#include "cli_int.h"
#include "serve_int.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_view_serve[] =
    "usage: purr view FILE.db --serve [ADDR:]PORT [--speed X|max]\n"
    "                 [--serve-wait N] [--serve-buffer SIZE]\n"
    "\n"
    "Streams the recording FILE.db over the Foxglove WebSocket protocol, one\n"
    "channel per value, for Foxglove or Lichtblick (open a connection,\n"
    "Foxglove WebSocket, ws://localhost:PORT).\n"
    "\n"
    "options:\n"
    "  --serve [ADDR:]PORT\n"
    "                 listen on ADDR (default 127.0.0.1, this machine\n"
    "                 only); PORT 0 picks a free port (printed on stderr)\n"
    "  --speed X|max  virtual seconds per wall second (default 1)\n"
    "  --serve-wait N start once N clients have subscribed (default 1; 0:\n"
    "                 at once)\n"
    "  --serve-buffer SIZE\n"
    "                 bytes queued per client (default 8M); a client that\n"
    "                 reads slower misses messages, counted at the end\n"
    "  -h, --help     show this help\n"
    "\n"
    "exit status: 0 the recording was streamed; 2 bad usage, a bad\n"
    "recording, or an address that cannot be listened on\n";

static int
usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "purr: view: %s%s (see 'purr view --serve --help')\n", what,
            arg);
    return 2;
}

/* Streams rec's transitions through sc's server. Returns the exit
 * status. */
static int
stream(purr__serve_cli *sc, purr_recording *rec)
{
    /* Value ids of a recording are its run's: dense from 1. */
    uint64_t max_id = 0;
    size_t nv = purr_recording_value_count(rec);
    for (size_t i = 0; i < nv; i++) {
        const purr_recorded_value *v = purr_recording_value_at(rec, i);
        if (v->id > max_id)
            max_id = v->id;
    }
    uint32_t *chan = calloc(max_id + 1, sizeof *chan);
    if (!chan) {
        fputs("purr: view: out of memory\n", stderr);
        return 1;
    }
    for (size_t i = 0; i < nv; i++) {
        const purr_recorded_value *v = purr_recording_value_at(rec, i);
        purr_server_channel_add(sc->server, v->name, v->type, &chan[v->id]);
    }
    purr__cli_serve_wait(sc);
    purr_recording_iter it;
    purr_diag diag = {0};
    int rc = purr_recording_iter_open(&it, rec);
    purr_time last = 0;
    while (rc == 0 && (rc = purr_recording_iter_next(&it, &diag)) == 0) {
        purr__cli_serve_hold(sc, it.time_ns);
        purr_server_publish(sc->server, chan[it.value->id], it.time_ns,
                            &it.datum);
        last = it.time_ns;
    }
    purr_recording_iter_close(&it);
    free(chan);
    int status = 0;
    if (rc != PURR_ECLOSED)
        status = purr__cli_print_diag(&diag);
    const char *end = purr_recording_meta(rec, "end_ns");
    purr_time end_ns = end ? strtoll(end, NULL, 10) : last;
    purr__cli_serve_end(sc, end_ns > last ? end_ns : last);
    return status;
}

int
purr__cli_serve_view(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"serve", required_argument, NULL, 'S'},
        {"serve-wait", required_argument, NULL, 'W'},
        {"serve-buffer", required_argument, NULL, 'B'},
        {"speed", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    purr__serve_cli sc = {0};
    double speed = 1;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'S':
        case 'W':
        case 'B': {
            char name[] = "--serve-buffer";
            if (c != 'B')
                snprintf(name, sizeof name, "%s",
                         c == 'S' ? "--serve" : "--serve-wait");
            char *pair[] = {name, optarg};
            int k = 0;
            if (purr__cli_serve_option(&sc, 2, pair, &k, "view") != 1)
                return 2;
            break;
        }
        case 's': {
            char *end;
            if (strcmp(optarg, "max") == 0)
                speed = 0;
            else if ((speed = strtod(optarg, &end)) <= 0 || *end ||
                     !isfinite(speed))
                return usage_error("--speed expects a positive number or "
                                   "'max', got ",
                                   optarg);
            break;
        }
        case 'h':
            fputs(usage_view_serve, stdout);
            return 0;
        case ':':
            return usage_error("this option needs a value: ", argv[optind - 1]);
        default:
            return usage_error("unknown option ", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("no recording given", "");
    if (optind + 1 < argc)
        return usage_error("more than one recording given: ", argv[optind + 1]);
    const char *path = argv[optind];
    if (!sc.wait_given)
        sc.wait = 1; /* nothing to see before a viewer is there */
    purr_recording *rec;
    purr_diag diag = {0};
    if (purr_recording_open(path, &rec, &diag) < 0)
        return purr__cli_print_diag(&diag);
    purr_time epoch = 0;
    const char *e = purr_recording_meta(rec, "start_epoch_ns");
    if (e) {
        char *end;
        errno = 0;
        long long v = strtoll(e, &end, 10);
        if (!*end && !errno)
            epoch = (purr_time)v;
    }
    const char *scene = purr_recording_meta(rec, "scene");
    char name[300];
    snprintf(name, sizeof name, "purr view %s", scene ? scene : path);
    int status = purr__cli_serve_start(&sc, name, epoch);
    if (status == 0) {
        sc.speed = speed;
        status = stream(&sc, rec);
    }
    purr_recording_close(rec);
    return status;
}
