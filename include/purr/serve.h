/* purr/serve.h - a live stream of a run, or of a recording, over the
 * Foxglove WebSocket protocol (purr::serve), for Foxglove and Lichtblick.
 *
 * A purr_server listens on a TCP port and speaks the subprotocol
 * "foxglove.websocket.v1": each client receives serverInfo (capability
 * "time"), one advertised channel per value (topic: the value's name;
 * encoding json; schemaEncoding jsonschema; schemaName "purr.<type>";
 * each message is {"value": ...}), and then, for the channels it
 * subscribes to, messageData (binary opcode 1: subscription id and
 * timestamp) in the order the values changed, with the virtual time of
 * the transition (plus opts.epoch_ns) as the timestamp. The server's time
 * messages (binary opcode 2) are virtual time too. docs/serve.md shows
 * the JSON of every type.
 *
 * The network runs on a thread of its own (the libwebsockets service
 * loop), so the code that publishes never waits for a socket: each
 * client has a queue of at most opts.buffer_bytes of messages, and a
 * message that does not fit is dropped for that client and counted
 * (purr_server_dropped). A client that drops messages is told so in a
 * status message. Serving never changes a run: the observer only reads
 * what it is shown.
 *
 * Two ways to feed a server:
 * - purr_server_attach: an observer of a loop (`purr run --serve`) that
 *   advertises every value created and publishes every transition;
 * - purr_server_channel_add and purr_server_publish (`purr view FILE.db
 *   --serve`, which streams a recording).
 *
 *     purr_server_options so = {.port = 0};           // any free port
 *     purr_server *s = purr_server_new(&so, &diag);   // NULL: print diag
 *     printf("ws://127.0.0.1:%d\n", purr_server_port(s));
 *     purr_server_attach(s, loop);         // before the values are created
 *     ... create the values ...
 *     purr_server_wait_clients(s, 1);      // optional: a viewer first
 *     ... run ...
 *     purr_server_free(s);                 // sends what is queued, closes
 *
 * Threads: every function may be called from any one thread at a time
 * (the publishing thread); the server's own thread only sends and
 * receives.
 */
#ifndef PURR_SERVE_H
#define PURR_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "purr/core.h"
#include "purr/datum.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct purr_server purr_server;

/* The per-client queue when the options leave it 0: 8 MiB. */
#define PURR_SERVER_BUFFER_DEFAULT ((size_t)8 * 1024 * 1024)

/* Options for purr_server_new. Zero-initialise and set what you need. */
typedef struct purr_server_options {
    const char *host;    /* the address to listen on, numeric (copied);
                            NULL: "127.0.0.1", this machine only */
    int port;            /* TCP port, 0-65535; 0: any free port
                            (purr_server_port says which) */
    size_t buffer_bytes; /* bytes of messages queued per client (each
                            counts its payload + 16) before its messages
                            are dropped; 0: the default */
    const char *name;    /* serverInfo's name (copied); NULL: "purr" */
    purr_time epoch_ns;  /* added to every timestamp sent: the wall time
                            of virtual time 0, when known; else 0 */
} purr_server_options;

/* Starts a server listening on opts->host:opts->port, with its thread.
 * opts: may be NULL (all defaults). diag: may be NULL; receives one line
 * on failure ("serve: cannot listen on 127.0.0.1:8765: ...").
 * Returns the server, or NULL: the address is not a numeric address, the
 * port is taken or not allowed, the thread cannot start.
 * Ownership: end it with purr_server_free. */
PURR_API purr_server *purr_server_new(const purr_server_options *opts,
                                      purr_diag *diag /* out */);

/* The TCP port the server listens on (the one the kernel picked when
 * opts.port was 0). */
PURR_API int purr_server_port(const purr_server *s);

/* Serves loop: registers an observer of PURR_EV_VALUE that advertises
 * every value created (from now on) and publishes every transition at
 * the event's time. Attach before the values are created. Not a
 * checkpoint. Returns 0. Errors: PURR_EBUSY when the loop has 8
 * observers or s is already attached. The loop must outlive s's
 * attachment: free s (or purr_server_detach) before the loop. */
PURR_API int purr_server_attach(purr_server *s, purr_loop *loop);

/* Stops observing the loop given to purr_server_attach (no-op when not
 * attached). */
PURR_API void purr_server_detach(purr_server *s);

/* Advertises a channel named name (copied) whose messages hold datums of
 * type type, to every client now and to every client that connects
 * later. id: out; the channel's id, to give to purr_server_publish.
 * Returns 0. Errors: PURR_EINVAL for an empty name. */
PURR_API int purr_server_channel_add(purr_server *s, const char *name,
                                     purr_type type, uint32_t *id /* out */);

/* Sends the datum d (JSON {"value": ...}) on channel id, stamped
 * time_ns (+ epoch_ns), to every client subscribed to it, or drops it
 * for a client whose queue is full. Datums of types other than the
 * channel's are sent as they are. Unknown ids are ignored. Costs almost
 * nothing while no client is subscribed to the channel. */
PURR_API void purr_server_publish(purr_server *s, uint32_t id,
                                  purr_time time_ns, const purr_datum *d);

/* Sends the server's time, time_ns (+ epoch_ns), to every client. */
PURR_API void purr_server_time(purr_server *s, purr_time time_ns);

/* Blocks the calling thread until n clients are ready, and returns 0. A
 * client is ready once it has subscribed to every channel advertised (a
 * script, a test), or to at least one channel with no new channel or
 * subscription for half a second of wall time (a viewer such as Foxglove
 * subscribes to the topics its panels show). n 0 returns at once. Not a
 * checkpoint: call it outside the loop's run.
 * After a wait for n > 0, each channel added later (a value created
 * during the run) also waits, two seconds at most, until every client
 * that had subscribed to every channel has subscribed to the new one, so
 * that such clients miss none of its messages. */
PURR_API int purr_server_wait_clients(purr_server *s, size_t n);

/* Messages dropped so far, over every client that ever connected. */
PURR_API uint64_t purr_server_dropped(const purr_server *s);

/* Messages queued so far, over every client (dropped ones not counted). */
PURR_API uint64_t purr_server_sent(const purr_server *s);

/* Clients that ever connected. */
PURR_API uint64_t purr_server_clients(const purr_server *s);

/* Detaches, sends each client what is queued for it (waiting while any
 * client still reads, giving up on one that has read nothing for two
 * seconds of wall time), closes every connection, stops the thread and
 * frees s. NULL is accepted. */
PURR_API void purr_server_free(purr_server *s);

#ifdef __cplusplus
}
#endif
#endif /* PURR_SERVE_H */
