/* session.c - one client's session: its queue of messages, its
 * subscriptions, the requests it sends and the frames written to it.
 *
 * A client's queue is a ring of shared blobs (serve_int.h). The
 * publishing side appends under the server's lock (purr__serve_enqueue);
 * the service thread pops and writes in the writable callback
 * (purr__serve_write_some), one frame per message, as many as the socket
 * takes: messageData gets its header (opcode 1, the client's own
 * subscription id, the timestamp) only here, since the id differs from
 * client to client.
 */
#include "serve_int.h"

#include <purr/value.h>

#include <inttypes.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

serve_blob *
purr__serve_blob_new(serve_blob_kind kind, const char *data, size_t len)
{
    serve_blob *b = malloc(sizeof *b + len + 1);
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

void
purr__serve_blob_release(serve_blob *b)
{
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

/* Wall time in seconds: for the settling and draining rules only. */
double
purr__serve_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* (serve_int.h) The ring doubles when full, copied in order. */
bool
purr__serve_enqueue(purr_server *s, serve_client *c, serve_blob *b, bool capped)
{
    if (capped && c->qbytes + COST(b->len) > s->cap)
        return false;
    if (c->qlen == c->qcap) {
        size_t ncap = c->qcap ? c->qcap * 2 : 64;
        serve_blob **nq = malloc(ncap * sizeof *nq);
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
void
purr__serve_count_drop(purr_server *s, serve_client *c)
{
    c->dropped++;
    s->dropped++;
    if (!c->drops_queued) {
        serve_blob *b = purr__serve_blob_new(BLOB_DROPS, NULL, 0);
        if (b && purr__serve_enqueue(s, c, b, false))
            c->drops_queued = true;
        purr__serve_blob_release(b);
    }
}

/* Returns a new text blob of the JSON j (consumed), or NULL. */
static serve_blob *
json_blob(json_t *j)
{
    if (!j)
        return NULL;
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!text)
        return NULL;
    serve_blob *b = purr__serve_blob_new(BLOB_TEXT, text, strlen(text));
    free(text);
    return b;
}

/* The advertisement of channels [from, to) (ids from + 1...). Under
 * s->lock. */
serve_blob *
purr__serve_advertise(purr_server *s, size_t from, size_t to)
{
    json_t *list = json_array();
    for (size_t i = from; list && i < to; i++) {
        purr_type t = s->chans[i].type;
        json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}",
                                              "id", (json_int_t)(i + 1),
                                              "topic", s->chans[i].name,
                                              "encoding", "json", "schemaName",
                                              purr__serve_schema_name(t),
                                              "schema", purr__serve_schema(t),
                                              "schemaEncoding", "jsonschema"));
    }
    return json_blob(
        json_pack("{s:s, s:o}", "op", "advertise", "channels", list));
}

/* Queues a status message (level 0 info, 1 warning, 2 error) to c,
 * within the cap: a client that sends bad requests without reading the
 * answers fills its own queue, not the memory. Under s->lock. */
void
purr__serve_status(purr_server *s, serve_client *c, int level,
                   const char *message)
{
    serve_blob *b = json_blob(json_pack("{s:s, s:i, s:s}", "op", "status",
                                        "level", level, "message", message));
    if (b)
        purr__serve_enqueue(s, c, b, true);
    purr__serve_blob_release(b);
}

/* ---------------------------------------------------------------------- */
/* Client messages                                                         */
/* ---------------------------------------------------------------------- */

/* Subscribes c to channel cid as subscription sid. Under s->lock. */
static void
subscribe(purr_server *s, serve_client *c, json_int_t sid, json_int_t cid)
{
    if (cid < 1 || (size_t)cid > s->nchan) {
        purr__serve_status(s, c, 1, "subscribe: no such channel");
        return;
    }
    for (size_t i = 0; i < c->nsub; i++)
        if (c->sub[i] == sid) {
            purr__serve_status(s, c, 2,
                               "subscribe: subscription id already used");
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
    c->last_sub = purr__serve_wall_now();
    if (c->nsubscribed >= s->nchan)
        c->complete = true;
    pthread_cond_broadcast(&s->cond);
}

/* Ends the subscription sid of c (all of them when sid is -1). Under
 * s->lock. */
static void
unsubscribe(purr_server *s, serve_client *c, json_int_t sid)
{
    for (size_t k = 0; k < c->nsub; k++)
        if (c->sub[k] >= 0 && (sid < 0 || c->sub[k] == sid)) {
            c->sub[k] = -1;
            c->nsubscribed--;
            atomic_fetch_sub(&s->chans[k].subscribers, 1);
        }
}

/* Handles one whole text message from c. Under s->lock. */
void
purr__serve_client_message(purr_server *s, serve_client *c, const char *text,
                           size_t len)
{
    json_error_t err;
    json_t *m = json_loadb(text, len, 0, &err);
    const char *op = m ? json_string_value(json_object_get(m, "op")) : NULL;
    if (!op) {
        purr__serve_status(s, c, 2, "not a JSON message with an op");
    } else if (strcmp(op, "subscribe") == 0) {
        json_t *subs = json_object_get(m, "subscriptions");
        size_t i;
        json_t *e;
        json_array_foreach(subs, i, e)
        {
            json_t *id = json_object_get(e, "id");
            json_t *ch = json_object_get(e, "channelId");
            if (json_is_integer(id) && json_is_integer(ch))
                subscribe(s, c, json_integer_value(id), json_integer_value(ch));
            else
                purr__serve_status(s, c, 2,
                                   "subscribe: id and channelId expected");
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
        purr__serve_status(s, c, 1, msg);
    }
    json_decref(m);
}

/* ---------------------------------------------------------------------- */
/* The service thread                                                      */
/* ---------------------------------------------------------------------- */

serve_client *
purr__serve_client_new(purr_server *s, struct lws *wsi)
{
    serve_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->wsi = wsi;
    char sid[64];
    snprintf(sid, sizeof sid, "purr-%ld-%" PRIu64, (long)getpid(),
             ++s->session);
    /* serverInfo and the channels so far, first in its queue; channels
     * added later are advertised to every client as they come. */
    serve_blob *info = json_blob(
        json_pack("{s:s, s:s, s:[s], s:{s:s}, s:s}", "op", "serverInfo", "name",
                  s->name, "capabilities", "time", "metadata", "purr_version",
                  purr_version_string(), "sessionId", sid));
    if (info)
        purr__serve_enqueue(s, c, info, false);
    purr__serve_blob_release(info);
    if (s->nchan) {
        serve_blob *adv = purr__serve_advertise(s, 0, s->nchan);
        if (adv)
            purr__serve_enqueue(s, c, adv, false);
        purr__serve_blob_release(adv);
    }
    c->next = s->clients;
    s->clients = c;
    s->nclients++;
    s->ever++;
    return c;
}

/* Unlinks c, ends its subscriptions and frees it. Under s->lock. */
void
purr__serve_client_free(purr_server *s, serve_client *c)
{
    for (serve_client **p = &s->clients; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            s->nclients--;
            break;
        }
    unsubscribe(s, c, -1);
    for (size_t i = 0; i < c->qlen; i++)
        purr__serve_blob_release(c->q[(c->qhead + i) % c->qcap]);
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
frame(serve_client *c, const serve_blob *b, size_t *len, bool *binary)
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
int
purr__serve_write_some(purr_server *s, serve_client *c)
{
    for (int n = 0; n < 256; n++) {
        pthread_mutex_lock(&s->lock);
        serve_blob *b = NULL;
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
            purr__serve_blob_release(b);
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
        s->last_progress = purr__serve_wall_now();
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        purr__serve_blob_release(b);
        if (!ok)
            return -1;
        if (lws_write(c->wsi, c->tx + LWS_PRE, len,
                      binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < (int)len)
            return -1;
        if (lws_send_pipe_choked(c->wsi))
            break;
    }
    lws_callback_on_writable(c->wsi);
    return 0;
}
