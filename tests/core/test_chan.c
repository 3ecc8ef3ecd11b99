/* test_chan.c - memory channels: capacity, rendezvous, FIFO order, close
 * and clone semantics (as Trio's memory channels), cancellation, fan-in and
 * fan-out.
 *
 * Virtual clock throughout: every wake-up time is asserted exactly, and
 * every item sequence is asserted in full. */
#include "purr_test.h"

#include <string.h>

/* Shared state of one test. */
typedef struct ctx {
    purr_chan_tx *tx;
    purr_chan_rx *rx;
    int got[64];            /* items received, in order */
    purr_time got_at[64];   /* purr_now() when each was received */
    size_t ngot;
    purr_time sent_at[64];  /* purr_now() when each send returned */
    size_t nsent;
    int rc[8];              /* per-task results */
    purr_time rc_at[8];     /* when each result came */
} ctx;

static void
note_got(ctx *c, int item)
{
    cr_assert_lt(c->ngot, 64);
    c->got[c->ngot] = item;
    c->got_at[c->ngot] = purr_now();
    c->ngot++;
}

static void
note_sent(ctx *c)
{
    cr_assert_lt(c->nsent, 64);
    c->sent_at[c->nsent++] = purr_now();
}

/* Receives until PURR_ECLOSED, sleeping 5 ms before each receive. */
static int
drain_slowly(void *arg)
{
    ctx *c = arg;
    int item, rc;
    for (;;) {
        purr_assert_ok(purr_sleep(5 * PURR_MS));
        if ((rc = purr_chan_recv(c->rx, &item)) != 0)
            break;
        note_got(c, item);
    }
    purr_assert_err(rc, PURR_ECLOSED);
    purr_chan_rx_close(c->rx);
    return 0;
}

/* ---------------------------------------------------------------------- */

/* Capacity 2: items 0 and 1 go in at once; 2 waits for the receive at
 * 5 ms, 3 for the one at 10 ms. */
static int
bounded_sender(void *arg)
{
    ctx *c = arg;
    for (int i = 0; i < 4; i++) {
        purr_assert_ok(purr_chan_send(c->tx, &i));
        note_sent(c);
    }
    purr_chan_tx_close(c->tx);
    return 0;
}

static int
bounded_body(purr_nursery *n, void *arg)
{
    purr_assert_ok(purr_spawn(n, "sender", bounded_sender, arg));
    return purr_spawn(n, "receiver", drain_slowly, arg);
}

static int
bounded_main(void *arg)
{
    ctx *c = arg;
    purr_assert_ok(purr_chan_open(sizeof(int), 2, &c->tx, &c->rx));
    return purr_nursery_run(bounded_body, c);
}

Test(chan, bounded_sender_blocks_when_full)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(bounded_main, &c));
    purr_time want_sent[4] = {0, 0, 5 * PURR_MS, 10 * PURR_MS};
    cr_assert_eq(c.nsent, 4);
    for (size_t k = 0; k < 4; k++)
        cr_assert_eq(c.sent_at[k], want_sent[k], "send %zu returned at %lld",
                     k, (long long)c.sent_at[k]);
    cr_assert_eq(c.ngot, 4);
    for (size_t k = 0; k < 4; k++) {
        cr_assert_eq(c.got[k], (int)k);
        cr_assert_eq(c.got_at[k], (purr_time)(5 * (k + 1)) * PURR_MS);
    }
}

/* ---------------------------------------------------------------------- */

#define MANY 10000

static int
unbounded_main(void *arg)
{
    (void)arg;
    purr_chan_tx *tx;
    purr_chan_rx *rx;
    purr_assert_ok(purr_chan_open(sizeof(int), PURR_CHAN_UNBOUNDED, &tx, &rx));
    for (int i = 0; i < MANY; i++) {
        purr_assert_ok(purr_chan_send(tx, &i));
        cr_assert_eq(purr_chan_len(rx), (size_t)i + 1);
    }
    cr_assert_eq(purr_now(), 0);
    purr_chan_tx_close(tx);
    for (int i = 0; i < MANY; i++) {
        int item = -1;
        purr_assert_ok(purr_chan_recv(rx, &item));
        cr_assert_eq(item, i);
    }
    cr_assert_eq(purr_chan_len(rx), 0);
    int item;
    purr_assert_err(purr_chan_recv(rx, &item), PURR_ECLOSED);
    purr_chan_rx_close(rx);
    return 0;
}

Test(chan, unbounded_never_blocks_a_sender)
{
    purr_assert_ok(purr_test_run(unbounded_main, NULL));
}

/* ---------------------------------------------------------------------- */

/* Capacity 0. First the sender comes first (at 0) and the receiver at
 * 4 ms; then the receiver comes first (at 4 ms) and the sender at 7 ms.
 * Both sides of each hand-over proceed at the same virtual time. */
static int
rv_sender(void *arg)
{
    ctx *c = arg;
    int item = 100;
    purr_assert_err(purr_chan_try_send(c->tx, &item), PURR_EAGAIN);
    purr_assert_ok(purr_chan_send(c->tx, &item));
    note_sent(c);
    purr_assert_ok(purr_sleep(3 * PURR_MS));
    item = 101;
    purr_assert_ok(purr_chan_send(c->tx, &item));
    note_sent(c);
    purr_chan_tx_close(c->tx);
    return 0;
}

static int
rv_receiver(void *arg)
{
    ctx *c = arg;
    int item;
    purr_assert_ok(purr_sleep(4 * PURR_MS));
    purr_assert_ok(purr_chan_recv(c->rx, &item));
    note_got(c, item);
    purr_assert_ok(purr_chan_recv(c->rx, &item));
    note_got(c, item);
    cr_assert_eq(purr_chan_len(c->rx), 0);
    purr_assert_err(purr_chan_recv(c->rx, &item), PURR_ECLOSED);
    purr_chan_rx_close(c->rx);
    return 0;
}

static int
rv_body(purr_nursery *n, void *arg)
{
    purr_assert_ok(purr_spawn(n, "sender", rv_sender, arg));
    return purr_spawn(n, "receiver", rv_receiver, arg);
}

static int
rv_main(void *arg)
{
    ctx *c = arg;
    purr_assert_ok(purr_chan_open(sizeof(int), 0, &c->tx, &c->rx));
    return purr_nursery_run(rv_body, c);
}

Test(chan, rendezvous_both_sides_proceed_together)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(rv_main, &c));
    cr_assert_eq(c.nsent, 2);
    cr_assert_eq(c.ngot, 2);
    cr_assert_eq(c.got[0], 100);
    cr_assert_eq(c.sent_at[0], 4 * PURR_MS);
    cr_assert_eq(c.got_at[0], 4 * PURR_MS);
    cr_assert_eq(c.got[1], 101);
    cr_assert_eq(c.sent_at[1], 7 * PURR_MS);
    cr_assert_eq(c.got_at[1], 7 * PURR_MS);
}

/* ---------------------------------------------------------------------- */

