/* server.c - the Foxglove WebSocket server: libwebsockets on a thread of
 * its own, the channels, and the API of purr/serve.h.
 *
 * Why libwebsockets: it is the WebSocket library Debian maintains
 * (libwebsockets-dev, 4.1.6 in Debian 12), it does the handshake, the
 * subprotocol choice, framing, masking, fragments, close and ping itself,
 * and it runs on a plain poll loop we can give a thread of its own.
 *
 * The publishing thread (the loop's, or `purr view --serve`'s) calls
 * purr_server_publish and purr_server_time; each builds a message once
 * (a refcounted blob) and appends it to the queue of every client
 * subscribed to it, under s->lock, then wakes the service thread with
 * lws_cancel_service. The service thread (service_main) runs
 * lws_service: on the wake-up it asks for a writable callback on every
 * client with something queued, and there session.c writes. Nothing on
 * the publishing side ever waits for a socket: a client whose queue is
 * full gets no more messages until it has read some, and what it missed
 * is counted and told to it in a status message.
 */
#include "serve_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SUBPROTOCOL "foxglove.websocket.v1"

/* Wakes the service thread, once for any number of calls until it has
 * woken. */
static void
wake(purr_server *s)
{
    if (!atomic_exchange(&s->wake_pending, true))
        lws_cancel_service(s->ctx);
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
         void *in, size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    purr_server *s = ctx ? lws_context_user(ctx) : NULL;
    serve_client **pc = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        pthread_mutex_lock(&s->lock);
        *pc = purr__serve_client_new(s, wsi);
        pthread_mutex_unlock(&s->lock);
        if (!*pc)
            return -1;
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_RECEIVE: {
        serve_client *c = *pc;
        if (!c)
            return -1;
        if (lws_frame_is_binary(wsi)) {
            /* clientPublish is not offered: nothing binary is expected. */
            if (lws_is_final_fragment(wsi)) {
                pthread_mutex_lock(&s->lock);
                purr__serve_status(s, c, 1, "purr takes no binary messages");
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
            purr__serve_client_message(s, c, c->rx, c->rxlen);
            pthread_mutex_unlock(&s->lock);
            c->rxlen = 0;
            lws_callback_on_writable(wsi);
        }
        return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return *pc ? purr__serve_write_some(s, *pc) : -1;
    case LWS_CALLBACK_CLOSED:
        if (*pc) {
            pthread_mutex_lock(&s->lock);
            purr__serve_client_free(s, *pc);
            pthread_mutex_unlock(&s->lock);
            *pc = NULL;
        }
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (!s)
            return 0;
        atomic_store(&s->wake_pending, false);
        pthread_mutex_lock(&s->lock);
        for (serve_client *c = s->clients; c; c = c->next)
            if (c->qlen || s->closing)
                lws_callback_on_writable(c->wsi);
        pthread_mutex_unlock(&s->lock);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols protocols[] = {
    {SUBPROTOCOL, callback, sizeof(serve_client *), 4096, 0, NULL, 0},
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
        purr_diag_set(diag, "--serve", 0, 0, "cannot listen on %s:%d: %s", host,
                      port, strerror(e));
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
                      "cannot listen on %s:%d (libwebsockets refused it)", host,
                      o.port);
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
        serve_channel *nc = realloc(s->chans, ncap * sizeof *nc);
        if (!nc) {
            pthread_mutex_unlock(&s->lock);
            free(copy);
            return PURR_ENOMEM;
        }
        s->chans = nc;
        s->chancap = ncap;
    }
    serve_channel *ch = &s->chans[s->nchan++];
    ch->name = copy;
    ch->type = type;
    atomic_init(&ch->subscribers, 0);
    *id = (uint32_t)s->nchan;
    s->last_adv = purr__serve_wall_now();
    if (s->clients) {
        serve_blob *b = purr__serve_advertise(s, s->nchan - 1, s->nchan);
        for (serve_client *c = s->clients; b && c; c = c->next)
            purr__serve_enqueue(s, c, b, false);
        purr__serve_blob_release(b);
    }
    pthread_mutex_unlock(&s->lock);
    wake(s);
    if (s->waiting) {
        /* A value created during a run that waited for its clients: the
         * clients that subscribe to everything (complete) get the time
         * to subscribe to this one too, so they miss none of its
         * transitions; DRAIN_S at most, should one not. */
        pthread_mutex_lock(&s->lock);
        while (purr__serve_wall_now() - s->last_adv < DRAIN_S) {
            bool behind = false;
            for (serve_client *c = s->clients; c; c = c->next)
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
    for (serve_client *c = s->clients; c && !room; c = c->next)
        room = id <= c->nsub && c->sub[id - 1] >= 0 &&
               c->qbytes + COST(MIN_PAYLOAD) <= s->cap;
    if (!room)
        for (serve_client *c = s->clients; c; c = c->next)
            if (id <= c->nsub && c->sub[id - 1] >= 0)
                purr__serve_count_drop(s, c);
    pthread_mutex_unlock(&s->lock);
    if (!room)
        return;
    size_t len;
    char *text = purr__serve_payload(d, &len);
    if (!text)
        return;
    serve_blob *b = purr__serve_blob_new(BLOB_DATA, text, len);
    free(text);
    if (!b)
        return;
    b->channel = id;
    b->stamp = (uint64_t)(time_ns + s->epoch_ns);
    bool queued = false;
    pthread_mutex_lock(&s->lock);
    for (serve_client *c = s->clients; c; c = c->next) {
        if (id > c->nsub || c->sub[id - 1] < 0)
            continue;
        if (purr__serve_enqueue(s, c, b, true)) {
            s->sent++;
            queued = true;
        } else {
            purr__serve_count_drop(s, c);
        }
    }
    pthread_mutex_unlock(&s->lock);
    purr__serve_blob_release(b);
    if (queued)
        wake(s);
}

void
purr_server_time(purr_server *s, purr_time time_ns)
{
    serve_blob *b = purr__serve_blob_new(BLOB_TIME, NULL, 0);
    if (!b)
        return;
    b->stamp = (uint64_t)(time_ns + s->epoch_ns);
    bool queued = false;
    pthread_mutex_lock(&s->lock);
    for (serve_client *c = s->clients; c; c = c->next)
        queued =
            purr__serve_enqueue(s, c, b, true) || queued; /* else skipped */
    pthread_mutex_unlock(&s->lock);
    purr__serve_blob_release(b);
    if (queued)
        wake(s);
}

/* The number of ready clients (purr_server_wait_clients). Under lock. */
static size_t
ready_clients(purr_server *s, double now)
{
    size_t n = 0;
    for (serve_client *c = s->clients; c; c = c->next)
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
    while (ready_clients(s, purr__serve_wall_now()) < n)
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
    s->last_progress = purr__serve_wall_now();
    pthread_mutex_unlock(&s->lock);
    wake(s);
    pthread_mutex_lock(&s->lock);
    while (s->nclients && purr__serve_wall_now() - s->last_progress < DRAIN_S) {
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
        purr__serve_client_free(s, s->clients);
    for (size_t i = 0; i < s->nchan; i++)
        free(s->chans[i].name);
    free(s->chans);
    free(s->vchan);
    free(s->name);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
