/* chan.c - memory channels (Trio's open_memory_channel), with clones.
 *
 * A channel is a FIFO of fixed-size items copied in and out, a queue of
 * parked senders (each pointing at the item it wants to send) and a queue of
 * parked receivers (each pointing at its output buffer). capacity 0 is a
 * rendezvous: items pass directly from a parked sender to a receiver.
 * Unbounded channels grow their ring buffer.
 *
 * Handles: each end can be cloned. Closing a handle wakes the tasks parked
 * through that handle with PURR_ECLOSED (Trio's ClosedResourceError). When
 * the last send handle closes, parked receivers wake with PURR_ECLOSED and
 * later receives drain the buffer first; when the last receive handle
 * closes, parked senders wake with PURR_EBROKEN and later sends fail the
 * same way. The channel and all its handles are freed when the last handle
 * of either end is closed.
 *
 * As in Trio, send and receive check for cancellation first, then either
 * complete at once (followed by a yield that ignores cancellation, so a
 * busy producer still lets others run) or park. */
#include "core_int.h"

#include <string.h>

typedef struct chan chan;

struct purr_chan_tx {
    chan *ch;                /* the channel */
    purr_chan_tx *next;      /* all tx handles (for freeing) */
    bool closed;             /* this handle was closed */
};

struct purr_chan_rx {
    chan *ch;
    purr_chan_rx *next;
    bool closed;
};

struct chan {
    size_t item_size;        /* bytes per item */
    size_t capacity;         /* max buffered items (SIZE_MAX: unbounded) */
    unsigned char *buf;      /* ring buffer of buf_cap items */
    size_t buf_cap, head, len;
    purr_waitq senders;      /* parked senders; waiter.data = item */
    purr_waitq receivers;    /* parked receivers; waiter.data = out */
    size_t ntx, nrx;         /* open handles per end */
    purr_chan_tx *txs;       /* every tx handle ever made */
    purr_chan_rx *rxs;       /* every rx handle ever made */
};

/* A parked sender or receiver: its wait-queue node (w.data is the item to
 * send, or the buffer to receive into) and the handle it called through,
 * so that closing that handle can find it. */
typedef struct chan_waiter {
    purr__waiter w;          /* on ch->senders or ch->receivers */
    const void *handle;      /* the purr_chan_tx or purr_chan_rx used */
} chan_waiter;

/* Wakes with PURR_ECLOSED every task parked on q through handle, in queue
 * order (Trio: closing a handle raises ClosedResourceError in the tasks
 * blocked on it). */
static void
wake_closed_handle(purr_waitq *q, const void *handle)
{
    purr__waiter *w = purr__waitq_head(q);
    while (w) {
        purr__waiter *next = w->next;
        chan_waiter *cw = (chan_waiter *)((char *)w - offsetof(chan_waiter, w));
        if (cw->handle == handle) {
            purr__waitq_remove(w);
            purr__wake(w->task, PURR_ECLOSED);
        }
        w = next;
    }
}

static void
buf_push(chan *ch, const void *item)
{
    if (ch->len == ch->buf_cap) {
        size_t cap = ch->buf_cap ? ch->buf_cap * 2 : 8;
        if (ch->capacity != PURR_CHAN_UNBOUNDED && cap > ch->capacity)
            cap = ch->capacity;
        unsigned char *nb = purr__malloc(cap * ch->item_size);
        for (size_t i = 0; i < ch->len; i++)
            memcpy(nb + i * ch->item_size,
                   ch->buf + ((ch->head + i) % ch->buf_cap) * ch->item_size,
                   ch->item_size);
        free(ch->buf);
        ch->buf = nb;
        ch->buf_cap = cap;
        ch->head = 0;
    }
    memcpy(ch->buf + ((ch->head + ch->len) % ch->buf_cap) * ch->item_size,
           item, ch->item_size);
    ch->len++;
}

static void
buf_pop(chan *ch, void *out)
{
    memcpy(out, ch->buf + ch->head * ch->item_size, ch->item_size);
    ch->head = (ch->head + 1) % ch->buf_cap;
    ch->len--;
}

int
purr_chan_open(size_t item_size, size_t capacity, purr_chan_tx **tx,
               purr_chan_rx **rx)
{
    if (item_size == 0)
        return PURR_EINVAL;
    chan *ch = purr__try_calloc(1, sizeof *ch);
    purr_chan_tx *t = purr__try_calloc(1, sizeof *t);
    purr_chan_rx *r = purr__try_calloc(1, sizeof *r);
    if (!ch || !t || !r) {
        free(ch);
        free(t);
        free(r);
        return PURR_ENOMEM;
    }
    ch->item_size = item_size;
    ch->capacity = capacity;
    t->ch = r->ch = ch;
    ch->txs = t;
    ch->rxs = r;
    ch->ntx = ch->nrx = 1;
    *tx = t;
    *rx = r;
    return 0;
}

purr_chan_tx *
purr_chan_tx_clone(purr_chan_tx *tx)
{
    if (!tx || tx->closed)
        return NULL;
    purr_chan_tx *t = purr__calloc(1, sizeof *t);
    t->ch = tx->ch;
    t->next = tx->ch->txs;
    tx->ch->txs = t;
    tx->ch->ntx++;
    return t;
}

purr_chan_rx *
purr_chan_rx_clone(purr_chan_rx *rx)
{
    if (!rx || rx->closed)
        return NULL;
    purr_chan_rx *r = purr__calloc(1, sizeof *r);
    r->ch = rx->ch;
    r->next = rx->ch->rxs;
    rx->ch->rxs = r;
    rx->ch->nrx++;
    return r;
}

static void
chan_free_if_unused(chan *ch)
{
    if (ch->ntx || ch->nrx)
        return;
    for (purr_chan_tx *t = ch->txs, *n; t; t = n) {
        n = t->next;
        free(t);
    }
    for (purr_chan_rx *r = ch->rxs, *n; r; r = n) {
        n = r->next;
        free(r);
    }
    free(ch->buf);
    free(ch);
}

void
purr_chan_tx_close(purr_chan_tx *tx)
{
    if (!tx || tx->closed)
        return;
    chan *ch = tx->ch;
    tx->closed = true;
    wake_closed_handle(&ch->senders, tx);
    if (--ch->ntx == 0) {
        purr__waiter *w;
        while ((w = purr__waitq_pop(&ch->receivers)) != NULL)
            purr__wake(w->task, PURR_ECLOSED);
    }
    chan_free_if_unused(ch);
}

void
purr_chan_rx_close(purr_chan_rx *rx)
{
    if (!rx || rx->closed)
        return;
    chan *ch = rx->ch;
    rx->closed = true;
    wake_closed_handle(&ch->receivers, rx);
    if (--ch->nrx == 0) {
        purr__waiter *w;
        while ((w = purr__waitq_pop(&ch->senders)) != NULL)
            purr__wake(w->task, PURR_EBROKEN);
        ch->len = 0; /* nobody can receive the buffered items any more */
    }
    chan_free_if_unused(ch);
}

int
purr_chan_try_send(purr_chan_tx *tx, const void *item)
{
    if (tx->closed)
        return PURR_ECLOSED;
    chan *ch = tx->ch;
    if (ch->nrx == 0)
        return PURR_EBROKEN;
    purr__waiter *w = purr__waitq_pop(&ch->receivers);
    if (w) {
        memcpy(w->data, item, ch->item_size);
        purr__wake(w->task, 0);
        return 0;
    }
    if (ch->len < ch->capacity) {
        buf_push(ch, item);
        return 0;
    }
    return PURR_EAGAIN;
}

int
purr_chan_send(purr_chan_tx *tx, const void *item)
{
    purr_task *self = purr__self(__func__);
    int rc = purr__check_cancel(self);
    if (rc)
        return rc;
    rc = purr_chan_try_send(tx, item);
    if (rc != PURR_EAGAIN) {
        if (rc == 0)
            purr__yield(self);
        return rc;
    }
    chan_waiter cw = {.w = {.task = self, .data = (void *)item}, .handle = tx};
    purr__waitq_push(&tx->ch->senders, &cw.w);
    return purr__park(&cw.w, true, "channel send", tx->ch);
}

int
purr_chan_try_recv(purr_chan_rx *rx, void *item)
{
    if (rx->closed)
        return PURR_ECLOSED;
    chan *ch = rx->ch;
    if (ch->len) {
        buf_pop(ch, item);
        purr__waiter *w = purr__waitq_pop(&ch->senders);
        if (w) {
            buf_push(ch, w->data);
            purr__wake(w->task, 0);
        }
        return 0;
    }
    purr__waiter *w = purr__waitq_pop(&ch->senders);
    if (w) {
        memcpy(item, w->data, ch->item_size);
        purr__wake(w->task, 0);
        return 0;
    }
    if (ch->ntx == 0)
        return PURR_ECLOSED;
    return PURR_EAGAIN;
}

int
purr_chan_recv(purr_chan_rx *rx, void *item)
{
    purr_task *self = purr__self(__func__);
    int rc = purr__check_cancel(self);
    if (rc)
        return rc;
    rc = purr_chan_try_recv(rx, item);
    if (rc != PURR_EAGAIN) {
        if (rc == 0)
            purr__yield(self);
        return rc;
    }
    chan_waiter cw = {.w = {.task = self, .data = item}, .handle = rx};
    purr__waitq_push(&rx->ch->receivers, &cw.w);
    return purr__park(&cw.w, true, "channel receive", rx->ch);
}

size_t
purr_chan_len(const purr_chan_rx *rx)
{
    return rx->ch->len;
}
