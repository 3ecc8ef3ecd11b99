/* serve_int.h - the command line's side of --serve (serve.c), shared by
 * `purr run` (run.c) and `purr view FILE.db --serve` (serve_view.c): the
 * options, the server's start and end lines, and the pacing of a served
 * run on the wall clock. */
#ifndef PURR_CLI_SERVE_INT_H
#define PURR_CLI_SERVE_INT_H

#include <purr/serve.h>

#include <stdbool.h>
#include <stddef.h>

/* A verb's --serve state: zero-initialise; the options fill it. */
typedef struct purr__serve_cli {
    const char *listen;  /* --serve [ADDR:]PORT; NULL: not serving */
    char host[64];       /* ADDR, or "127.0.0.1" */
    int port;            /* PORT */
    size_t buffer;       /* --serve-buffer, bytes; 0: the default */
    size_t wait;         /* --serve-wait N clients */
    bool wait_given;     /* --serve-wait was given */
    purr_server *server; /* from purr__cli_serve_start */
    /* Pacing (purr__cli_serve_pace): */
    double speed;      /* virtual s per wall s; 0: as fast as possible */
    purr_pace_fn next; /* the pace hook it runs after its own */
    void *next_ctx;
    bool anchored; /* wall0/virt0 are set */
    double wall0;  /* wall time (s) of virtual time virt0 */
    purr_time virt0;
    double last_time; /* wall time of the last time message */
} purr__serve_cli;

/* Takes argv[*i] if it is one of the serve options (--serve ADDR:PORT,
 * --serve-buffer SIZE, --serve-wait N), with its value (*i moves past
 * it). verb names the command in messages. Returns 1 taken, 0 not a
 * serve option, 2 bad usage (one line printed). */
int purr__cli_serve_option(purr__serve_cli *sc, int argc, char **argv, int *i,
                           const char *verb);

/* Checks the options together (--serve-buffer or --serve-wait without
 * --serve). Returns 0 or 2 (one line printed). */
int purr__cli_serve_check(const purr__serve_cli *sc, const char *verb);

/* Starts the server when --serve was given and prints "serving on
 * ws://HOST:PORT" on stderr. name: serverInfo's name. Returns 0 (also
 * when not serving) or 2 (the address cannot be listened on; one line
 * printed). */
int purr__cli_serve_start(purr__serve_cli *sc, const char *name,
                          purr_time epoch_ns);

/* Puts the served run's pace hook in *pace (keeping the one that was
 * there, which it calls after its own): it holds virtual time to speed
 * times wall time (0: no holding back) and sends the server's time.
 * No-op when not serving. */
void purr__cli_serve_pace(purr__serve_cli *sc, purr_pace_fn *pace,
                          void **pace_ctx, double speed);

/* Waits for --serve-wait clients, saying so on stderr. */
void purr__cli_serve_wait(purr__serve_cli *sc);

/* Holds the wall clock to virtual time at (for `purr view --serve`,
 * which has no loop): sleeps until at/speed seconds of wall time have
 * passed since the first call, and sends the server's time. */
void purr__cli_serve_hold(purr__serve_cli *sc, purr_time at);

/* Ends serving: sends the time end_ns, lets the clients read what is
 * queued, closes them and prints a summary line on stderr (messages
 * sent, dropped). No-op when not serving; idempotent. */
void purr__cli_serve_end(purr__serve_cli *sc, purr_time end_ns);

/* `purr view FILE.db --serve ...` (serve_view.c). argv[0] is "view". */
int purr__cli_serve_view(int argc, char **argv);

/* Whether argv (a verb's arguments) holds --serve. */
bool purr__cli_serve_wanted(int argc, char **argv);

#endif /* PURR_CLI_SERVE_INT_H */
