/* server.c - the Foxglove WebSocket server: libwebsockets on a thread of
 * its own, a bounded queue per client, channels and subscriptions.
 *
 * Why libwebsockets: it is the WebSocket library Debian maintains
 * (libwebsockets-dev, 4.1.6 in Debian 12), it does the handshake, the
 * subprotocol choice, framing, masking, fragments, close and ping itself,
 * and it runs on a plain poll loop we can give a thread of its own.
 *
 * Two threads meet here. The publishing thread (the loop's, or `purr view
 * --serve`'s) calls purr_server_publish and purr_server_time; each builds
 * a message once (a refcounted blob) and appends it to the queue of every
 * client subscribed to it, under s->lock, then wakes the service thread
 * with lws_cancel_service. The service thread (service_main) runs
 * lws_service: on the wake-up it asks for a writable callback on every
 * client with something queued, and there it pops messages and writes
 * them until the socket would block. Nothing on the publishing side ever
 * waits for a socket: a client whose queue holds s->cap bytes gets no
 * more messages until it has read some, and what it missed is counted
 * (client.dropped, s->dropped) and told to it in a status message.
 *
 * Invariants, under s->lock: a client's qbytes is the sum of the costs
 * (COST) of its queued blobs; channel.subscribers is the number
 * of clients whose sub[] names that channel; a blob's refs is the number
 * of queues holding it, plus one for its maker until the maker is done
 * with it (so that a writer on the other thread never frees a blob its
 * maker still reads).
 */
#include "serve_int.h"

#include <purr/value.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SUBPROTOCOL "foxglove.websocket.v1"

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
/* Messages                                                                */
/* ---------------------------------------------------------------------- */

typedef enum blob_kind {
    BLOB_TEXT = 0, /* a whole JSON message (serverInfo, advertise...) */
    BLOB_DATA = 1, /* messageData: the header is made per client */
    BLOB_TIME = 2, /* time: opcode 2 and stamp */
    BLOB_DROPS = 3 /* a status saying how many were dropped, made when
                      it is written */
} blob_kind;

/* One message, shared by the queues of every client it goes to. */
typedef struct blob {
    atomic_int refs;  /* queues holding it, + 1 for its maker; freed
                         at 0 (blob_release) */
    uint8_t kind;     /* blob_kind */
    uint32_t channel; /* DATA: the channel id */
    uint64_t stamp;   /* DATA, TIME: timestamp, ns */
    size_t len;       /* bytes at data */
    char data[];      /* TEXT: the message; DATA: the JSON payload */
} blob;

static blob *
blob_new(blob_kind kind, const char *data, size_t len)
{
    blob *b = malloc(sizeof *b + len + 1);
    if (!b)
        return NULL;
    atomic_init(&b->refs, 1); /* the maker's */
    b->kind = (uint8_t)kind;
    b->channel = 0;
    b->stamp = 0;
    b->len = len;
    if (len)
        memcpy(b->data, data, len);
    b->data[len] = '\0';
    return b;
}

static void
blob_release(blob *b)
{
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

/* ---------------------------------------------------------------------- */
/* Server and client state                                                 */
/* ---------------------------------------------------------------------- */

typedef struct channel {
    char *name;               /* topic (owned) */
    purr_type type;           /* the value's type */
    atomic_uint subscribers;  /* clients subscribed; changed under lock,
                                 read by publish without it */
} channel;

typedef struct client {
    struct client *next;   /* s->clients, in connection order */
    struct lws *wsi;       /* its connection */
    blob **q;              /* ring of queued messages */
    size_t qcap, qhead, qlen;
    size_t qbytes;         /* COST of what is queued (the cap's measure) */
    uint64_t dropped;      /* messages it missed (queue full) */
    bool drops_queued;     /* a BLOB_DROPS is in the queue */
    int64_t *sub;          /* sub[channel id - 1]: subscription id, or -1 */
    size_t nsub;           /* entries of sub */
    size_t nsubscribed;    /* channels subscribed */
    double last_sub;       /* wall time of its last subscription */
    bool complete;         /* it has been subscribed to every channel */
    unsigned char *tx;     /* frame being written (LWS_PRE first) */
    size_t txcap;
    char *rx;              /* a client message arriving in fragments */
    size_t rxlen, rxcap;
} client;

struct purr_server {
    pthread_mutex_t lock;     /* everything below that changes */
    pthread_cond_t cond;      /* subscriptions, writes, closes */
    struct lws_context *ctx;  /* set at new; serviced by thread only */
    pthread_t thread;         /* service_main */
    int port;                 /* the port listened on */
    size_t cap;               /* bytes queued per client, at most */
    char *name;               /* serverInfo name */
    int64_t epoch_ns;         /* added to stamps */
    channel *chans;           /* channel id i + 1 is chans[i] */
    size_t nchan, chancap;
    client *clients;          /* connected clients */
    size_t nclients;
    atomic_bool wake_pending; /* a lws_cancel_service is on its way */
    atomic_bool quit;         /* the service thread is to return */
    bool closing;             /* close clients whose queues are empty */
    bool waiting;             /* purr_server_wait_clients was asked for
                                 clients: channels added later wait for
                                 the complete ones (channel_add) */
    double last_adv;          /* wall time of the last advertisement */
    double last_progress;     /* wall time of the last write */
    uint64_t dropped, sent, ever; /* totals (purr_server_dropped...) */
    purr_loop *loop;          /* observed loop, or NULL (observe.c) */
    uint32_t *vchan;          /* vchan[value id]: channel id (observe.c) */
    size_t nvchan;
    uint64_t session;         /* sessionId counter */
};

/* Wall time in seconds: for the settling and draining rules only. */
static double
wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wakes the service thread, once for any number of calls until it has
 * woken. */
static void
wake(purr_server *s)
{
    if (!atomic_exchange(&s->wake_pending, true))
        lws_cancel_service(s->ctx);
}

/* Appends b to c's queue (taking a reference). capped: a message subject
 * to the cap (value messages and time), else one that must arrive
 * (serverInfo, advertisements, status). Returns false when b was dropped.
 * Under s->lock. */
static bool
enqueue(purr_server *s, client *c, blob *b, bool capped)
{
    if (capped && c->qbytes + COST(b->len) > s->cap)
        return false;
    if (c->qlen == c->qcap) {
        size_t ncap = c->qcap ? c->qcap * 2 : 64;
        blob **nq = malloc(ncap * sizeof *nq);
        if (!nq)
            return false;
        for (size_t i = 0; i < c->qlen; i++)
            nq[i] = c->q[(c->qhead + i) % c->qcap];
        free(c->q);
        c->q = nq;
        c->qcap = ncap;
        c->qhead = 0;
    }
    c->q[(c->qhead + c->qlen) % c->qcap] = b;
    c->qlen++;
    c->qbytes += COST(b->len);
    atomic_fetch_add(&b->refs, 1);
    return true;
}

/* Counts a dropped value message for c and queues the status that says
 * so, unless one is already waiting. Under s->lock. */
static void
count_drop(purr_server *s, client *c)
{
    c->dropped++;
    s->dropped++;
    if (!c->drops_queued) {
        blob *b = blob_new(BLOB_DROPS, NULL, 0);
        if (b && enqueue(s, c, b, false))
            c->drops_queued = true;
        blob_release(b);
    }
}

/* Returns a new text blob of the JSON j (consumed), or NULL. */
static blob *
json_blob(json_t *j)
{
    if (!j)
        return NULL;
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!text)
        return NULL;
    blob *b = blob_new(BLOB_TEXT, text, strlen(text));
    free(text);
    return b;
}

/* The advertisement of channels [from, to) (ids from + 1...). Under
 * s->lock. */
static blob *
advertise_blob(purr_server *s, size_t from, size_t to)
{
    json_t *list = json_array();
    for (size_t i = from; list && i < to; i++) {
        purr_type t = s->chans[i].type;
        json_array_append_new(
            list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id",
                            (json_int_t)(i + 1), "topic", s->chans[i].name,
                            "encoding", "json", "schemaName",
                            purr__serve_schema_name(t), "schema",
                            purr__serve_schema(t), "schemaEncoding",
                            "jsonschema"));
    }
    return json_blob(json_pack("{s:s, s:o}", "op", "advertise", "channels",
                               list));
}

/* Queues a status message (level 0 info, 1 warning, 2 error) to c.
 * Under s->lock. */
static void
status_to(purr_server *s, client *c, int level, const char *message)
{
    blob *b = json_blob(json_pack("{s:s, s:i, s:s}", "op", "status",
                                  "level", level, "message", message));
    if (b)
        enqueue(s, c, b, false);
    blob_release(b);
}

/* ---------------------------------------------------------------------- */
/* Client messages                                                         */
/* ---------------------------------------------------------------------- */

/* Subscribes c to channel cid as subscription sid. Under s->lock. */
static void
subscribe(purr_server *s, client *c, json_int_t sid, json_int_t cid)
{
    if (cid < 1 || (size_t)cid > s->nchan) {
        status_to(s, c, 1, "subscribe: no such channel");
        return;
    }
    for (size_t i = 0; i < c->nsub; i++)
        if (c->sub[i] == sid) {
            status_to(s, c, 2, "subscribe: subscription id already used");
            return;
        }
    if (c->nsub < s->nchan) {
        int64_t *ns = realloc(c->sub, s->nchan * sizeof *ns);
        if (!ns)
            return;
        for (size_t i = c->nsub; i < s->nchan; i++)
            ns[i] = -1;
        c->sub = ns;
        c->nsub = s->nchan;
    }
    size_t k = (size_t)cid - 1;
    if (c->sub[k] < 0) {
        c->nsubscribed++;
        atomic_fetch_add(&s->chans[k].subscribers, 1);
    }
    c->sub[k] = sid;
    c->last_sub = wall_now();
    if (c->nsubscribed >= s->nchan)
        c->complete = true;
    pthread_cond_broadcast(&s->cond);
}

/* Ends the subscription sid of c (all of them when sid is -1). Under
 * s->lock. */
static void
unsubscribe(purr_server *s, client *c, json_int_t sid)
{
    for (size_t k = 0; k < c->nsub; k++)
        if (c->sub[k] >= 0 && (sid < 0 || c->sub[k] == sid)) {
            c->sub[k] = -1;
            c->nsubscribed--;
            atomic_fetch_sub(&s->chans[k].subscribers, 1);
        }
}

/* Handles one whole text message from c. Under s->lock. */
static void
client_message(purr_server *s, client *c, const char *text, size_t len)
{
    json_error_t err;
    json_t *m = json_loadb(text, len, 0, &err);
    const char *op = m ? json_string_value(json_object_get(m, "op")) : NULL;
    if (!op) {
        status_to(s, c, 2, "not a JSON message with an op");
    } else if (strcmp(op, "subscribe") == 0) {
        json_t *subs = json_object_get(m, "subscriptions");
        size_t i;
        json_t *e;
        json_array_foreach(subs, i, e)
        {
            json_t *id = json_object_get(e, "id");
            json_t *ch = json_object_get(e, "channelId");
            if (json_is_integer(id) && json_is_integer(ch))
                subscribe(s, c, json_integer_value(id),
                          json_integer_value(ch));
            else
                status_to(s, c, 2, "subscribe: id and channelId expected");
        }
    } else if (strcmp(op, "unsubscribe") == 0) {
        json_t *ids = json_object_get(m, "subscriptionIds");
        size_t i;
        json_t *e;
        json_array_foreach(ids, i, e)
        {
            if (json_is_integer(e))
                unsubscribe(s, c, json_integer_value(e));
        }
    } else {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "purr serves channels only: '%.80s' is not supported", op);
        status_to(s, c, 1, msg);
    }
    json_decref(m);
}

/* ---------------------------------------------------------------------- */
/* The service thread                                                      */
/* ---------------------------------------------------------------------- */

static client *
client_new(purr_server *s, struct lws *wsi)
{
    client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->wsi = wsi;
    char sid[64];
    snprintf(sid, sizeof sid, "purr-%ld-%" PRIu64, (long)getpid(),
             ++s->session);
    /* serverInfo and the channels so far, first in its queue; channels
     * added later are advertised to every client as they come. */
    blob *info = json_blob(json_pack(
        "{s:s, s:s, s:[s], s:{s:s}, s:s}", "op", "serverInfo", "name",
        s->name, "capabilities", "time", "metadata", "purr_version",
        purr_version_string(), "sessionId", sid));
    if (info)
        enqueue(s, c, info, false);
    blob_release(info);
    if (s->nchan) {
        blob *adv = advertise_blob(s, 0, s->nchan);
        if (adv)
            enqueue(s, c, adv, false);
        blob_release(adv);
    }
    c->next = s->clients;
    s->clients = c;
    s->nclients++;
    s->ever++;
    return c;
}

/* Unlinks c, ends its subscriptions and frees it. Under s->lock. */
static void
client_free(purr_server *s, client *c)
{
    for (client **p = &s->clients; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            s->nclients--;
            break;
        }
    unsubscribe(s, c, -1);
    for (size_t i = 0; i < c->qlen; i++)
        blob_release(c->q[(c->qhead + i) % c->qcap]);
    free(c->q);
    free(c->sub);
    free(c->tx);
    free(c->rx);
    free(c);
    pthread_cond_broadcast(&s->cond);
}

/* Makes c's next frame from b in c->tx: the bytes to write (out) and
 * whether they are binary. Returns false when out of memory. Under
 * s->lock. */
static bool
frame(client *c, const blob *b, size_t *len, bool *binary)
{
    char text[256];
    const char *body = b->data;
    size_t head = 0, blen = b->len;
    *binary = false;
    if (b->kind == BLOB_DATA) {
        head = 1 + 4 + 8;
        *binary = true;
    } else if (b->kind == BLOB_TIME) {
        head = 1 + 8;
        blen = 0;
        *binary = true;
    } else if (b->kind == BLOB_DROPS) {
        c->drops_queued = false;
        int n = snprintf(text, sizeof text,
                         "{\"op\":\"status\",\"level\":1,\"id\":"
                         "\"purr-dropped\",\"message\":\"%" PRIu64
                         " messages dropped: this client reads slower than "
                         "the run writes (see purr run --serve-buffer)\"}",
                         c->dropped);
        body = text;
        blen = (size_t)n;
    }
    size_t need = LWS_PRE + head + blen;
    if (need > c->txcap) {
        unsigned char *nt = realloc(c->tx, need);
        if (!nt)
            return false;
        c->tx = nt;
        c->txcap = need;
    }
    unsigned char *p = c->tx + LWS_PRE;
    if (b->kind == BLOB_DATA || b->kind == BLOB_TIME) {
        uint64_t stamp = b->stamp;
        size_t o = 0;
        p[o++] = b->kind == BLOB_DATA ? 1 : 2;
        if (b->kind == BLOB_DATA) {
            uint32_t sid = (uint32_t)c->sub[b->channel - 1];
            for (int i = 0; i < 4; i++)
                p[o++] = (unsigned char)(sid >> (8 * i));
        }
        for (int i = 0; i < 8; i++)
            p[o++] = (unsigned char)(stamp >> (8 * i));
    }
    memcpy(p + head, body, blen);
    *len = head + blen;
    return true;
}

/* Writes what is queued for c until the socket would block. Returns -1
 * to close the connection (the end of the stream, or an error). */
static int
write_some(purr_server *s, client *c)
{
    for (int n = 0; n < 256; n++) {
        pthread_mutex_lock(&s->lock);
        blob *b = NULL;
        /* A value message whose channel c has left since it was queued
         * is skipped. */
        while (c->qlen) {
            b = c->q[c->qhead];
            c->qhead = (c->qhead + 1) % c->qcap;
            c->qlen--;
            c->qbytes -= COST(b->len);
            if (b->kind != BLOB_DATA ||
                (b->channel <= c->nsub && c->sub[b->channel - 1] >= 0))
                break;
            blob_release(b);
            b = NULL;
        }
        if (!b) {
            bool end = s->closing;
            pthread_mutex_unlock(&s->lock);
            if (end) {
                static const char why[] = "the run ended";
                lws_close_reason(c->wsi, LWS_CLOSE_STATUS_NORMAL,
                                 (unsigned char *)why, sizeof why - 1);
                return -1;
            }
            return 0;
        }
        size_t len;
        bool binary;
        bool ok = frame(c, b, &len, &binary);
        s->last_progress = wall_now();
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        blob_release(b);
        if (!ok)
            return -1;
        if (lws_write(c->wsi, c->tx + LWS_PRE, len,
                      binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) <
            (int)len)
            return -1;
        if (lws_send_pipe_choked(c->wsi))
            break;
    }
    lws_callback_on_writable(c->wsi);
    return 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
         void *in, size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    purr_server *s = ctx ? lws_context_user(ctx) : NULL;
    client **pc = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        pthread_mutex_lock(&s->lock);
        *pc = client_new(s, wsi);
        pthread_mutex_unlock(&s->lock);
        if (!*pc)
            return -1;
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_RECEIVE: {
        client *c = *pc;
        if (!c)
            return -1;
        if (lws_frame_is_binary(wsi)) {
            /* clientPublish is not offered: nothing binary is expected. */
            if (lws_is_final_fragment(wsi)) {
                pthread_mutex_lock(&s->lock);
                status_to(s, c, 1, "purr takes no binary messages");
                pthread_mutex_unlock(&s->lock);
                lws_callback_on_writable(wsi);
            }
            return 0;
        }
        if (c->rxlen + len > RX_MAX)
            return -1;
        if (c->rxlen + len > c->rxcap) {
            size_t ncap = c->rxlen + len + 1024;
            char *nr = realloc(c->rx, ncap);
            if (!nr)
                return -1;
            c->rx = nr;
            c->rxcap = ncap;
        }
        memcpy(c->rx + c->rxlen, in, len);
        c->rxlen += len;
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            pthread_mutex_lock(&s->lock);
            client_message(s, c, c->rx, c->rxlen);
            pthread_mutex_unlock(&s->lock);
            c->rxlen = 0;
            lws_callback_on_writable(wsi);
        }
        return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return *pc ? write_some(s, *pc) : -1;
    case LWS_CALLBACK_CLOSED:
        if (*pc) {
            pthread_mutex_lock(&s->lock);
            client_free(s, *pc);
            pthread_mutex_unlock(&s->lock);
            *pc = NULL;
        }
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (!s)
            return 0;
        atomic_store(&s->wake_pending, false);
        pthread_mutex_lock(&s->lock);
        for (client *c = s->clients; c; c = c->next)
            if (c->qlen || s->closing)
                lws_callback_on_writable(c->wsi);
        pthread_mutex_unlock(&s->lock);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols protocols[] = {
    {SUBPROTOCOL, callback, sizeof(client *), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}};

static void *
service_main(void *arg)
{
    purr_server *s = arg;
    while (!atomic_load(&s->quit))
        if (lws_service(s->ctx, 0) < 0)
            break;
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* The API                                                                 */
/* ---------------------------------------------------------------------- */

static void wait_a_little(purr_server *s);

/* Checks that host:port can be listened on, by binding a socket of our
 * own (then closed), so that a failure is told with the system's words;
 * libwebsockets only logs it. Returns 0, or -1 with diag set. */
static int
check_listen(const char *host, int port, purr_diag *diag)
{
    struct sockaddr_storage sa = {0};
    socklen_t salen;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&sa;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        salen = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        salen = sizeof *v6;
    } else {
        purr_diag_set(diag, "--serve", 0, 0,
                      "'%s' is not a numeric IPv4 or IPv6 address", host);
        return -1;
    }
    int fd = socket(sa.ss_family, SOCK_STREAM, 0);
    int one = 1;
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&sa, salen) < 0 || listen(fd, 1) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        purr_diag_set(diag, "--serve", 0, 0, "cannot listen on %s:%d: %s",
                      host, port, strerror(e));
        return -1;
    }
    close(fd);
    return 0;
}

purr_server *
purr_server_new(const purr_server_options *opts, purr_diag *diag)
{
    purr_server_options o = opts ? *opts : (purr_server_options){0};
    const char *host = o.host ? o.host : "127.0.0.1";
    if (o.port < 0 || o.port > 65535) {
        purr_diag_set(diag, "--serve", 0, 0, "port %d is not 0-65535", o.port);
        return NULL;
    }
    if (check_listen(host, o.port, diag) < 0)
        return NULL;
    purr_server *s = calloc(1, sizeof *s);
    if (!s) {
        purr_diag_set(diag, "--serve", 0, 0, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->cap = o.buffer_bytes ? o.buffer_bytes : PURR_SERVER_BUFFER_DEFAULT;
    s->name = strdup(o.name ? o.name : "purr");
    s->epoch_ns = o.epoch_ns;
    atomic_init(&s->wake_pending, false);
    atomic_init(&s->quit, false);
    char *iface = strdup(host);

    lws_set_log_level(0, NULL); /* failures are told by purr's messages */
    struct lws_context_creation_info ci;
    memset(&ci, 0, sizeof ci);
    ci.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    if (!strchr(host, ':'))
        ci.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    ci.port = CONTEXT_PORT_NO_LISTEN;
    ci.user = s;
    ci.gid = -1;
    ci.uid = -1;
    s->ctx = iface && s->name ? lws_create_context(&ci) : NULL;
    struct lws_vhost *vh = NULL;
    if (s->ctx) {
        ci.port = o.port;
        ci.iface = iface;
        ci.protocols = protocols;
        ci.vhost_name = "purr";
        vh = lws_create_vhost(s->ctx, &ci);
    }
    free(iface);
    if (!vh) {
        purr_diag_set(diag, "--serve", 0, 0,
                      "cannot listen on %s:%d (libwebsockets refused it)",
                      host, o.port);
        goto fail;
    }
    s->port = lws_get_vhost_listen_port(vh);
    if (pthread_create(&s->thread, NULL, service_main, s) != 0) {
        purr_diag_set(diag, "--serve", 0, 0, "cannot start a thread");
        goto fail;
    }
    return s;
fail:
    if (s->ctx)
        lws_context_destroy(s->ctx);
    free(s->name);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
    return NULL;
}

int
purr_server_port(const purr_server *s)
{
    return s->port;
}

int
purr_server_channel_add(purr_server *s, const char *name, purr_type type,
                        uint32_t *id)
{
    if (!name || !name[0])
        return PURR_EINVAL;
    char *copy = strdup(name);
    if (!copy)
        return PURR_ENOMEM;
    pthread_mutex_lock(&s->lock);
    if (s->nchan == s->chancap) {
        size_t ncap = s->chancap ? s->chancap * 2 : 16;
        channel *nc = realloc(s->chans, ncap * sizeof *nc);
        if (!nc) {
            pthread_mutex_unlock(&s->lock);
            free(copy);
            return PURR_ENOMEM;
        }
        s->chans = nc;
        s->chancap = ncap;
    }
    channel *ch = &s->chans[s->nchan++];
    ch->name = copy;
    ch->type = type;
    atomic_init(&ch->subscribers, 0);
    *id = (uint32_t)s->nchan;
    s->last_adv = wall_now();
    if (s->clients) {
        blob *b = advertise_blob(s, s->nchan - 1, s->nchan);
        for (client *c = s->clients; b && c; c = c->next)
            enqueue(s, c, b, false);
        blob_release(b);
    }
    pthread_mutex_unlock(&s->lock);
    wake(s);
    if (s->waiting) {
        /* A value created during a run that waited for its clients: the
         * clients that subscribe to everything (complete) get the time
         * to subscribe to this one too, so they miss none of its
         * transitions; DRAIN_S at most, should one not. */
        pthread_mutex_lock(&s->lock);
        while (wall_now() - s->last_adv < DRAIN_S) {
            bool behind = false;
            for (client *c = s->clients; c; c = c->next)
                behind = behind || (c->complete && c->nsubscribed < s->nchan);
            if (!behind)
                break;
            wait_a_little(s);
        }
        pthread_mutex_unlock(&s->lock);
    }
    return 0;
}

/* The shortest message there is ({"value":0} and more): a client with
 * less room than this left in its queue takes no message. */
#define MIN_PAYLOAD 11

void
purr_server_publish(purr_server *s, uint32_t id, purr_time time_ns,
                    const purr_datum *d)
{
    /* chans only changes on this thread (channel_add), so it is read
     * here without the lock; subscribers is atomic. */
    if (id < 1 || id > s->nchan ||
        atomic_load(&s->chans[id - 1].subscribers) == 0)
        return;
    /* When every subscriber's queue is full, the message is dropped
     * for each without being made: a client that stops reading costs
     * the run next to nothing. */
    pthread_mutex_lock(&s->lock);
    bool room = false;
    for (client *c = s->clients; c && !room; c = c->next)
        room = id <= c->nsub && c->sub[id - 1] >= 0 &&
               c->qbytes + COST(MIN_PAYLOAD) <= s->cap;
    if (!room)
        for (client *c = s->clients; c; c = c->next)
            if (id <= c->nsub && c->sub[id - 1] >= 0)
                count_drop(s, c);
    pthread_mutex_unlock(&s->lock);
    if (!room)
        return;
    size_t len;
    char *text = purr__serve_payload(d, &len);
    if (!text)
        return;
    blob *b = blob_new(BLOB_DATA, text, len);
    free(text);
    if (!b)
        return;
    b->channel = id;
    b->stamp = (uint64_t)(time_ns + s->epoch_ns);
    bool queued = false;
    pthread_mutex_lock(&s->lock);
    for (client *c = s->clients; c; c = c->next) {
        if (id > c->nsub || c->sub[id - 1] < 0)
            continue;
        if (enqueue(s, c, b, true)) {
            s->sent++;
            queued = true;
        } else {
            count_drop(s, c);
        }
    }
    pthread_mutex_unlock(&s->lock);
    blob_release(b);
    if (queued)
        wake(s);
}

void
purr_server_time(purr_server *s, purr_time time_ns)
{
    blob *b = blob_new(BLOB_TIME, NULL, 0);
    if (!b)
        return;
    b->stamp = (uint64_t)(time_ns + s->epoch_ns);
    bool queued = false;
    pthread_mutex_lock(&s->lock);
    for (client *c = s->clients; c; c = c->next)
        queued = enqueue(s, c, b, true) || queued; /* else skipped */
    pthread_mutex_unlock(&s->lock);
    blob_release(b);
    if (queued)
        wake(s);
}

/* The number of ready clients (purr_server_wait_clients). Under lock. */
static size_t
ready_clients(purr_server *s, double now)
{
    size_t n = 0;
    for (client *c = s->clients; c; c = c->next)
        if ((s->nchan && c->nsubscribed >= s->nchan) ||
            (c->nsubscribed && now - c->last_sub >= SETTLE_S &&
             now - s->last_adv >= SETTLE_S))
            n++;
    return n;
}

/* Waits on s->cond for at most 100 ms. Under lock. */
static void
wait_a_little(purr_server *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&s->cond, &s->lock, &ts);
}

int
purr_server_wait_clients(purr_server *s, size_t n)
{
    pthread_mutex_lock(&s->lock);
    s->waiting = s->waiting || n > 0;
    while (ready_clients(s, wall_now()) < n)
        wait_a_little(s);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

uint64_t
purr_server_dropped(const purr_server *s)
{
    purr_server *m = (purr_server *)s; /* the lock, not the state */
    pthread_mutex_lock(&m->lock);
    uint64_t n = s->dropped;
    pthread_mutex_unlock(&m->lock);
    return n;
}

uint64_t
purr_server_sent(const purr_server *s)
{
    purr_server *m = (purr_server *)s;
    pthread_mutex_lock(&m->lock);
    uint64_t n = s->sent;
    pthread_mutex_unlock(&m->lock);
    return n;
}

uint64_t
purr_server_clients(const purr_server *s)
{
    purr_server *m = (purr_server *)s;
    pthread_mutex_lock(&m->lock);
    uint64_t n = s->ever;
    pthread_mutex_unlock(&m->lock);
    return n;
}

void
purr_server_free(purr_server *s)
{
    if (!s)
        return;
    purr_server_detach(s);
    /* Drain: every client gets what is queued for it, then a close; one
     * that reads nothing for DRAIN_S is left to the context's end. */
    pthread_mutex_lock(&s->lock);
    s->closing = true;
    s->last_progress = wall_now();
    pthread_mutex_unlock(&s->lock);
    wake(s);
    pthread_mutex_lock(&s->lock);
    while (s->nclients && wall_now() - s->last_progress < DRAIN_S) {
        pthread_mutex_unlock(&s->lock);
        wake(s);
        pthread_mutex_lock(&s->lock);
        wait_a_little(s);
    }
    pthread_mutex_unlock(&s->lock);
    atomic_store(&s->quit, true);
    lws_cancel_service(s->ctx);
    pthread_join(s->thread, NULL);
    lws_context_destroy(s->ctx);
    /* Clients the context's end did not close (it calls CLOSED for
     * each in this version; this is for safety). */
    while (s->clients)
        client_free(s, s->clients);
    for (size_t i = 0; i < s->nchan; i++)
        free(s->chans[i].name);
    free(s->chans);
    free(s->vchan);
    free(s->name);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* ---------------------------------------------------------------------- */
/* The loop observer (purr_server_attach)                                  */
/* ---------------------------------------------------------------------- */

/* The channel of value v, advertised on first sight; 0 when out of
 * memory. Value ids are dense from 1 (per loop), so vchan is an array. */
static uint32_t
value_channel(purr_server *s, purr_value *v)
{
    uint64_t vid = purr_value_id(v);
    if (vid >= s->nvchan) {
        size_t ncap = s->nvchan ? s->nvchan : 64;
        while (ncap <= vid)
            ncap *= 2;
        uint32_t *nv = realloc(s->vchan, ncap * sizeof *nv);
        if (!nv)
            return 0;
        memset(nv + s->nvchan, 0, (ncap - s->nvchan) * sizeof *nv);
        s->vchan = nv;
        s->nvchan = ncap;
    }
    if (!s->vchan[vid]) {
        uint32_t id;
        if (purr_server_channel_add(s, purr_value_name(v),
                                    purr_value_type(v), &id) < 0)
            return 0;
        s->vchan[vid] = id;
    }
    return s->vchan[vid];
}

static void
observe(const purr_trace *ev, void *ctx)
{
    purr_server *s = ctx;
    if (ev->kind == PURR_EV_VALUE_CREATED) {
        value_channel(s, ev->value);
    } else if (ev->kind == PURR_EV_VALUE_SET) {
        uint32_t id = value_channel(s, ev->value);
        purr_server_publish(s, id, ev->time_ns, ev->new_value);
    }
}

int
purr_server_attach(purr_server *s, purr_loop *loop)
{
    if (s->loop)
        return PURR_EBUSY;
    int rc = purr_loop_observe(loop,
                               PURR_EV_BIT(PURR_EV_VALUE_CREATED) |
                                   PURR_EV_BIT(PURR_EV_VALUE_SET),
                               observe, s);
    if (rc < 0)
        return rc;
    s->loop = loop;
    return 0;
}

void
purr_server_detach(purr_server *s)
{
    if (s && s->loop) {
        purr_loop_observe(s->loop, 0, observe, s);
        s->loop = NULL;
    }
}
