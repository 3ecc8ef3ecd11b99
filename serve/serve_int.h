/* serve_int.h - private declarations of the serve layer: the state the
 * server (server.c), its clients' sessions (session.c) and the loop
 * observer (observe.c) share, and the JSON that goes over the wire
 * (json.c).
 *
 * Two threads meet in this state: the publishing thread (the loop's, or
 * `purr view --serve`'s) and the service thread (libwebsockets').
 * Invariants, under purr_server.lock: a client's qbytes is the sum of the
 * COSTs of its queued blobs; serve_channel.subscribers is the number of
 * clients whose sub[] names that channel; a blob's refs is the number of
 * queues holding it, plus one for its maker until the maker is done with
 * it (so that a writer on the other thread never frees a blob its maker
 * still reads). chans and nchan change only on the publishing thread,
 * under the lock, so that thread reads them without it.
 */
#ifndef PURR_SERVE_INT_H
#define PURR_SERVE_INT_H

#include <purr/serve.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lws;
struct lws_context;

/* A client is ready for purr_server_wait_clients this long after its last
 * subscription, when it has not subscribed to every channel. */
#define SETTLE_S 0.5
/* At the end, a client that has read nothing for this long is closed
 * with what is still queued for it. */
#define DRAIN_S 2.0
/* What a queued message of len payload bytes counts against the cap:
 * the payload and its header (at most 13 bytes), so that time messages
 * (no payload) count too. */
#define COST(len) ((len) + 16)
/* Client messages (JSON) longer than this are refused. */
#define RX_MAX ((size_t)1 << 20)

/* ---------------------------------------------------------------------- */
/* Messages, channels, clients, the server                                 */
/* ---------------------------------------------------------------------- */

typedef enum serve_blob_kind {
    BLOB_TEXT = 0, /* a whole JSON message (serverInfo, advertise...) */
    BLOB_DATA = 1, /* messageData: the header is made per serve_client */
    BLOB_TIME = 2, /* time: opcode 2 and stamp */
    BLOB_DROPS = 3 /* a status saying how many were dropped, made when
                      it is written */
} serve_blob_kind;

/* One message, shared by the queues of every client it goes to. */
typedef struct serve_blob {
    atomic_int refs;  /* queues holding it, + 1 for its maker; freed
                         at 0 (purr__serve_blob_release) */
    uint8_t kind;     /* blob_kind */
    uint32_t channel; /* DATA: the channel id */
    uint64_t stamp;   /* DATA, TIME: timestamp, ns */
    size_t len;       /* bytes at data */
    char data[];      /* TEXT: the message; DATA: the JSON payload */
} serve_blob;

typedef struct serve_channel {
    char *name;              /* topic (owned) */
    purr_type type;          /* the value's type */
    atomic_uint subscribers; /* clients subscribed; changed under lock,
                                read by publish without it */
} serve_channel;

typedef struct serve_client {
    struct serve_client *next; /* s->clients, in connection order */
    struct lws *wsi;           /* its connection */
    serve_blob **q;            /* ring of queued messages */
    size_t qcap, qhead, qlen;
    size_t qbytes;      /* COST of what is queued (the cap's measure) */
    uint64_t dropped;   /* messages it missed (queue full) */
    bool drops_queued;  /* a BLOB_DROPS is in the queue */
    int64_t *sub;       /* sub[channel id - 1]: subscription id, or -1 */
    size_t nsub;        /* entries of sub */
    size_t nsubscribed; /* channels subscribed */
    double last_sub;    /* wall time of its last subscription */
    bool complete;      /* it has been subscribed to every serve_channel */
    unsigned char *tx;  /* frame being written (LWS_PRE first) */
    size_t txcap;
    char *rx; /* a client message arriving in fragments */
    size_t rxlen, rxcap;
} serve_client;

struct purr_server {
    pthread_mutex_t lock;    /* everything below that changes */
    pthread_cond_t cond;     /* subscriptions, writes, closes */
    struct lws_context *ctx; /* set at new; serviced by thread only */
    pthread_t thread;        /* service_main */
    int port;                /* the port listened on */
    size_t cap;              /* bytes queued per client, at most */
    char *name;              /* serverInfo name */
    int64_t epoch_ns;        /* added to stamps */
    serve_channel *chans;    /* channel id i + 1 is chans[i] */
    size_t nchan, chancap;
    serve_client *clients; /* connected clients */
    size_t nclients;
    atomic_bool wake_pending;     /* a lws_cancel_service is on its way */
    atomic_bool quit;             /* the service thread is to return */
    bool closing;                 /* close clients whose queues are empty */
    bool waiting;                 /* purr_server_wait_clients was asked for
                                     clients: channels added later wait for
                                     the complete ones (channel_add) */
    double last_adv;              /* wall time of the last advertisement */
    double last_progress;         /* wall time of the last write */
    uint64_t dropped, sent, ever; /* totals (purr_server_dropped...) */
    purr_loop *loop;              /* observed loop, or NULL (observe.c) */
    uint32_t *vchan;              /* vchan[value id]: channel id (observe.c) */
    size_t nvchan;
    uint64_t session; /* sessionId counter */
};

/* ---------------------------------------------------------------------- */
/* Sessions (session.c)                                                    */
/* ---------------------------------------------------------------------- */

/* Wall time in seconds (CLOCK_MONOTONIC): for the settling and draining
 * rules only, never for the run. */
double purr__serve_wall_now(void);

/* A new blob of kind holding a copy of the len bytes at data, with one
 * reference (the maker's); NULL when out of memory. */
serve_blob *purr__serve_blob_new(serve_blob_kind kind, const char *data,
                                 size_t len);

/* Drops a reference to b, freeing it at the last. NULL is accepted. */
void purr__serve_blob_release(serve_blob *b);

/* Appends b to c's queue (taking a reference). capped: a message that
 * counts against s->cap (value messages, time, status), else one that
 * must arrive (serverInfo, advertisements). Returns false when b was not
 * queued. Under s->lock. */
bool purr__serve_enqueue(purr_server *s, serve_client *c, serve_blob *b,
                         bool capped);

/* Counts a dropped value message for c and queues the status that says
 * so, unless one is already waiting. Under s->lock. */
void purr__serve_count_drop(purr_server *s, serve_client *c);

/* A new blob advertising channels [from, to) (ids from + 1...), or NULL.
 * Under s->lock. */
serve_blob *purr__serve_advertise(purr_server *s, size_t from, size_t to);

/* Queues a status message (level 0 info, 1 warning, 2 error) to c.
 * Under s->lock. */
void purr__serve_status(purr_server *s, serve_client *c, int level,
                        const char *message);

/* Handles one whole text message from c (subscribe, unsubscribe; others
 * are answered with a status). Under s->lock. */
void purr__serve_client_message(purr_server *s, serve_client *c,
                                const char *text, size_t len);

/* A new client on connection wsi, with serverInfo and the channels so far
 * queued, linked into s->clients; NULL when out of memory. Under
 * s->lock. */
serve_client *purr__serve_client_new(purr_server *s, struct lws *wsi);

/* Unlinks c, ends its subscriptions and frees it. Under s->lock. */
void purr__serve_client_free(purr_server *s, serve_client *c);

/* Writes what is queued for c until the socket would block (service
 * thread, in the writable callback; takes s->lock). Returns -1 to close
 * the connection: the stream has ended, or an error. */
int purr__serve_write_some(purr_server *s, serve_client *c);

/* ---------------------------------------------------------------------- */
/* JSON (json.c)                                                           */
/* ---------------------------------------------------------------------- */

/* Returns the message of d, {"value": ...} in compact JSON, as a
 * malloc'd NUL-terminated string (len, out: its length), or NULL when out
 * of memory. The mapping of each type is docs/serve.md's. */
char *purr__serve_payload(const purr_datum *d, size_t *len /* out */);

/* The JSON schema (jsonschema, as text) of the messages of a channel of
 * type t, and its schema name ("purr.double"...). Static strings. */
const char *purr__serve_schema(purr_type t);
const char *purr__serve_schema_name(purr_type t);

/* Returns text with every byte sequence that is not UTF-8 replaced by
 * U+FFFD, as a malloc'd string (len in and out), or NULL when out of
 * memory. Valid text comes back as a plain copy. */
char *purr__serve_utf8(const char *text, size_t *len);

#endif /* PURR_SERVE_INT_H */
