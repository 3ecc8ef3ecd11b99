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
    int got[64];          /* items received, in order */
    purr_time got_at[64]; /* purr_now() when each was received */
    size_t ngot;
    purr_time sent_at[64]; /* purr_now() when each send returned */
    size_t nsent;
    int rc[8];          /* per-task results */
    purr_time rc_at[8]; /* when each result came */
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
        cr_assert_eq(c.sent_at[k], want_sent[k], "send %zu returned at %lld", k,
                     (long long)c.sent_at[k]);
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

/* A task's argument when several tasks share one test. */
typedef struct who_arg {
    ctx *c;
    int who;
    purr_chan_tx *tx; /* its own clone, if it sends */
    purr_chan_rx *rx; /* its own clone, if it receives */
    void *owner;      /* a test's own state, when ctx is not enough */
} who_arg;

/* Three senders (spawned 1, 2, 3), each with its own clone, send two items
 * into a channel of capacity 2 that nobody reads until 1 ms. Items come out
 * in the order their sends began: 10 20 (buffered), 30 11 21 (parked, in
 * FIFO order), then 31 (sent once 30 was taken). */
static int
fifo_sender(void *arg)
{
    who_arg *a = arg;
    for (int k = 0; k < 2; k++) {
        int item = a->who * 10 + k;
        purr_assert_ok(purr_chan_send(a->tx, &item));
    }
    purr_chan_tx_close(a->tx);
    return 0;
}

static int
fifo_receiver(void *arg)
{
    ctx *c = arg;
    purr_assert_ok(purr_sleep(1 * PURR_MS));
    int item, rc;
    while ((rc = purr_chan_recv(c->rx, &item)) == 0)
        note_got(c, item);
    purr_assert_err(rc, PURR_ECLOSED);
    purr_chan_rx_close(c->rx);
    return 0;
}

typedef struct fifo_ctx {
    ctx c;
    who_arg args[3];
} fifo_ctx;

static int
fifo_body(purr_nursery *n, void *arg)
{
    fifo_ctx *f = arg;
    for (int i = 0; i < 3; i++) {
        f->args[i] = (who_arg){
            .c = &f->c, .who = i + 1, .tx = purr_chan_tx_clone(f->c.tx)};
        cr_assert_not_null(f->args[i].tx);
        purr_assert_ok(purr_spawn(n, "sender", fifo_sender, &f->args[i]));
    }
    purr_chan_tx_close(f->c.tx); /* the clones keep the channel open */
    return purr_spawn(n, "receiver", fifo_receiver, &f->c);
}

static int
fifo_main(void *arg)
{
    fifo_ctx *f = arg;
    purr_assert_ok(purr_chan_open(sizeof(int), 2, &f->c.tx, &f->c.rx));
    return purr_nursery_run(fifo_body, f);
}

Test(chan, fifo_order_with_several_senders)
{
    fifo_ctx f = {0};
    purr_assert_ok(purr_test_run(fifo_main, &f));
    int want[6] = {10, 20, 30, 11, 21, 31};
    cr_assert_eq(f.c.ngot, 6);
    for (size_t k = 0; k < 6; k++) {
        cr_assert_eq(f.c.got[k], want[k], "item %zu: %d, want %d", k,
                     f.c.got[k], want[k]);
        cr_assert_eq(f.c.got_at[k], 1 * PURR_MS);
    }
}

/* ---------------------------------------------------------------------- */
/* Closing                                                                 */
/* ---------------------------------------------------------------------- */

/* The last send handle closes with three items buffered: receivers get all
 * three, then PURR_ECLOSED (from recv and try_recv alike). */
static int
drain_main(void *arg)
{
    (void)arg;
    purr_chan_tx *tx;
    purr_chan_rx *rx;
    purr_assert_ok(purr_chan_open(sizeof(int), 5, &tx, &rx));
    for (int i = 1; i <= 3; i++)
        purr_assert_ok(purr_chan_send(tx, &i));
    purr_chan_tx_close(tx);
    purr_chan_tx_close(NULL);
    cr_assert_eq(purr_chan_len(rx), 3);
    int item;
    for (int i = 1; i <= 3; i++) {
        purr_assert_ok(purr_chan_recv(rx, &item));
        cr_assert_eq(item, i);
    }
    purr_assert_err(purr_chan_recv(rx, &item), PURR_ECLOSED);
    purr_assert_err(purr_chan_try_recv(rx, &item), PURR_ECLOSED);
    purr_chan_rx_close(rx);
    purr_chan_rx_close(NULL);
    cr_assert_eq(purr_now(), 0);
    return 0;
}

Test(chan, receivers_drain_then_get_closed)
{
    purr_assert_ok(purr_test_run(drain_main, NULL));
}

/* ---------------------------------------------------------------------- */

/* Two receivers are parked when the last send handle closes at 2 ms: both
 * wake then with PURR_ECLOSED. */
static int
parked_receiver(void *arg)
{
    who_arg *a = arg;
    int item;
    a->c->rc[a->who] = purr_chan_recv(a->rx, &item);
    a->c->rc_at[a->who] = purr_now();
    purr_chan_rx_close(a->rx);
    return 0;
}

typedef struct multi_ctx {
    ctx c;
    who_arg args[4];
} multi_ctx;

static int
parked_recv_body(purr_nursery *n, void *arg)
{
    multi_ctx *m = arg;
    for (int i = 0; i < 2; i++) {
        m->args[i] =
            (who_arg){.c = &m->c, .who = i, .rx = purr_chan_rx_clone(m->c.rx)};
        purr_assert_ok(purr_spawn(n, "receiver", parked_receiver, &m->args[i]));
    }
    purr_chan_rx_close(m->c.rx);
    purr_assert_ok(purr_sleep(2 * PURR_MS));
    purr_chan_tx_close(m->c.tx);
    return 0;
}

static int
parked_recv_main(void *arg)
{
    multi_ctx *m = arg;
    purr_assert_ok(purr_chan_open(sizeof(int), 1, &m->c.tx, &m->c.rx));
    return purr_nursery_run(parked_recv_body, m);
}

Test(chan, parked_receivers_wake_with_closed)
{
    multi_ctx m = {0};
    purr_assert_ok(purr_test_run(parked_recv_main, &m));
    for (int i = 0; i < 2; i++) {
        purr_assert_err(m.c.rc[i], PURR_ECLOSED);
        cr_assert_eq(m.c.rc_at[i], 2 * PURR_MS);
    }
}

/* ---------------------------------------------------------------------- */

/* With a clone, closing the original send handle (at 1 ms) does not close
 * the channel: the parked receiver stays parked, gets the item the clone
 * sends at 2 ms, and sees PURR_ECLOSED only when the clone closes at 3 ms. */
static int
clone_receiver(void *arg)
{
    ctx *c = arg;
    int item, rc;
    while ((rc = purr_chan_recv(c->rx, &item)) == 0)
        note_got(c, item);
    c->rc[0] = rc;
    c->rc_at[0] = purr_now();
    purr_chan_rx_close(c->rx);
    return 0;
}

static int
clone_body(purr_nursery *n, void *arg)
{
    ctx *c = arg;
    purr_chan_tx *tx2 = purr_chan_tx_clone(c->tx);
    cr_assert_not_null(tx2);
    purr_assert_ok(purr_spawn(n, "receiver", clone_receiver, c));
    purr_assert_ok(purr_sleep(1 * PURR_MS));
    purr_chan_tx_close(c->tx);
    cr_assert_null(purr_chan_tx_clone(c->tx));
    purr_assert_ok(purr_sleep(1 * PURR_MS));
    int item = 7;
    purr_assert_ok(purr_chan_send(tx2, &item));
    purr_assert_ok(purr_sleep(1 * PURR_MS));
    purr_chan_tx_close(tx2);
    return 0;
}

static int
clone_main(void *arg)
{
    ctx *c = arg;
    purr_assert_ok(purr_chan_open(sizeof(int), 1, &c->tx, &c->rx));
    return purr_nursery_run(clone_body, c);
}

Test(chan, closes_only_when_the_last_sender_clone_closes)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(clone_main, &c));
    cr_assert_eq(c.ngot, 1);
    cr_assert_eq(c.got[0], 7);
    cr_assert_eq(c.got_at[0], 2 * PURR_MS);
    purr_assert_err(c.rc[0], PURR_ECLOSED);
    cr_assert_eq(c.rc_at[0], 3 * PURR_MS);
}

/* ---------------------------------------------------------------------- */

/* Capacity 1, two receive handles. The sender buffers one item and parks
 * on the second. Closing one receive handle (1 ms) changes nothing; closing
 * the last (2 ms) wakes the sender with PURR_EBROKEN, and later sends fail
 * the same way. */
static int
broken_sender(void *arg)
{
    ctx *c = arg;
    int item = 1;
    purr_assert_ok(purr_chan_send(c->tx, &item));
    item = 2;
    c->rc[0] = purr_chan_send(c->tx, &item);
    c->rc_at[0] = purr_now();
    purr_assert_err(purr_chan_send(c->tx, &item), PURR_EBROKEN);
    purr_assert_err(purr_chan_try_send(c->tx, &item), PURR_EBROKEN);
    purr_chan_tx_close(c->tx);
    return 0;
}

static int
broken_body(purr_nursery *n, void *arg)
{
    ctx *c = arg;
    purr_chan_rx *rx2 = purr_chan_rx_clone(c->rx);
    cr_assert_not_null(rx2);
    purr_assert_ok(purr_spawn(n, "sender", broken_sender, c));
    purr_assert_ok(purr_sleep(1 * PURR_MS));
    cr_assert_eq(purr_chan_len(rx2), 1);
    purr_chan_rx_close(c->rx);
    purr_assert_ok(purr_sleep(1 * PURR_MS));
    cr_assert_eq(c->rc_at[0], 0); /* still parked */
    purr_chan_rx_close(rx2);
    return 0;
}

static int
broken_main(void *arg)
{
    ctx *c = arg;
    purr_assert_ok(purr_chan_open(sizeof(int), 1, &c->tx, &c->rx));
    return purr_nursery_run(broken_body, c);
}

Test(chan, senders_get_broken_when_all_receivers_close)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(broken_main, &c));
    purr_assert_err(c.rc[0], PURR_EBROKEN);
    cr_assert_eq(c.rc_at[0], 2 * PURR_MS);
}

/* ---------------------------------------------------------------------- */

/* A closed handle refuses everything with PURR_ECLOSED, even while other
 * handles keep the channel open; clones of it are refused. */
static int
closed_handle_main(void *arg)
{
    (void)arg;
    purr_chan_tx *tx;
    purr_chan_rx *rx;
    purr_assert_ok(purr_chan_open(sizeof(int), 4, &tx, &rx));
    purr_chan_tx *tx2 = purr_chan_tx_clone(tx);
    purr_chan_rx *rx2 = purr_chan_rx_clone(rx);
    int item = 5;
    purr_assert_ok(purr_chan_send(tx2, &item));

    purr_chan_tx_close(tx);
    purr_chan_tx_close(tx); /* idempotent */
    purr_assert_err(purr_chan_send(tx, &item), PURR_ECLOSED);
    purr_assert_err(purr_chan_try_send(tx, &item), PURR_ECLOSED);
    cr_assert_null(purr_chan_tx_clone(tx));

    purr_chan_rx_close(rx);
    purr_assert_err(purr_chan_recv(rx, &item), PURR_ECLOSED);
    purr_assert_err(purr_chan_try_recv(rx, &item), PURR_ECLOSED);
    cr_assert_null(purr_chan_rx_clone(rx));

    /* the other handles still work, and nothing was lost */
    cr_assert_eq(purr_chan_len(rx2), 1);
    item = 0;
    purr_assert_ok(purr_chan_recv(rx2, &item));
    cr_assert_eq(item, 5);
    purr_assert_ok(purr_chan_send(tx2, &item));
    purr_chan_tx_close(tx2);
    purr_chan_rx_close(rx2);
    return 0;
}

Test(chan, sending_on_a_closed_handle_returns_closed)
{
    purr_assert_ok(purr_test_run(closed_handle_main, NULL));
}

/* ---------------------------------------------------------------------- */

/* Trio: closing a handle wakes the tasks blocked on that very handle with
 * ClosedResourceError, even when other handles keep the channel open. A
 * receiver parked on a clone wakes with PURR_ECLOSED when that clone is
 * closed at 1 ms (it must not wait for an item sent later through another
 * handle); likewise a sender parked on a clone. */
static int
close_own_receiver(void *arg)
{
    who_arg *a = arg;
    int item;
    a->c->rc[0] = purr_chan_recv(a->rx, &item);
    a->c->rc_at[0] = purr_now();
    return 0;
}

static int
close_own_sender(void *arg)
{
    who_arg *a = arg;
    int item = 1;
    purr_assert_ok(purr_chan_send(a->tx, &item)); /* fills capacity 1 */
    item = 2;
    a->c->rc[1] = purr_chan_send(a->tx, &item);
    a->c->rc_at[1] = purr_now();
    return 0;
}

static int
close_own_body(purr_nursery *n, void *arg)
{
    multi_ctx *m = arg;
    ctx *c = &m->c;

    /* receiver side: channel A */
    m->args[0] = (who_arg){.c = c, .rx = purr_chan_rx_clone(c->rx)};
    purr_assert_ok(purr_spawn(n, "receiver", close_own_receiver, &m->args[0]));

    /* sender side: channel B, in args[1].tx / args[2].rx */
    purr_chan_tx *btx;
    purr_chan_rx *brx;
    purr_assert_ok(purr_chan_open(sizeof(int), 1, &btx, &brx));
    m->args[1] = (who_arg){.c = c, .tx = purr_chan_tx_clone(btx)};
    purr_assert_ok(purr_spawn(n, "sender", close_own_sender, &m->args[1]));

    purr_assert_ok(purr_sleep(1 * PURR_MS));
    purr_chan_rx_close(m->args[0].rx);
    purr_chan_tx_close(m->args[1].tx);
    purr_assert_ok(purr_sleep(1 * PURR_MS));

    /* the other handles still work: A carries an item, B holds item 1 */
    int item = 9;
    purr_assert_ok(purr_chan_try_send(c->tx, &item));
    purr_assert_ok(purr_chan_try_recv(c->rx, &item));
    cr_assert_eq(item, 9);
    purr_assert_ok(purr_chan_try_recv(brx, &item));
    cr_assert_eq(item, 1);
    purr_assert_err(purr_chan_try_recv(brx, &item), PURR_EAGAIN);
    purr_chan_tx_close(c->tx);
    purr_chan_rx_close(c->rx);
    purr_chan_tx_close(btx);
    purr_chan_rx_close(brx);
    return 0;
}

static int
close_own_main(void *arg)
{
    multi_ctx *m = arg;
    purr_assert_ok(purr_chan_open(sizeof(int), 1, &m->c.tx, &m->c.rx));
    return purr_nursery_run(close_own_body, m);
}

Test(chan, closing_a_handle_wakes_its_own_parked_tasks)
{
    multi_ctx m = {0};
    purr_assert_ok(purr_test_run(close_own_main, &m));
    purr_assert_err(m.c.rc[0], PURR_ECLOSED);
    cr_assert_eq(m.c.rc_at[0], 1 * PURR_MS);
    purr_assert_err(m.c.rc[1], PURR_ECLOSED);
    cr_assert_eq(m.c.rc_at[1], 1 * PURR_MS);
}

/* ---------------------------------------------------------------------- */
/* try_send / try_recv, len                                                */
/* ---------------------------------------------------------------------- */

/* try_* never wait and are not checkpoints: they work inside a cancelled
 * scope and do not move time. */
static int
try_main(void *arg)
{
    (void)arg;
    purr_chan_tx *tx;
    purr_chan_rx *rx;
    purr_assert_ok(purr_chan_open(sizeof(int), 2, &tx, &rx));
    purr_scope s;
    purr_scope_enter(&s, PURR_TIME_NEVER);
    purr_scope_cancel(&s);
    int item = 0;
    purr_assert_err(purr_chan_try_recv(rx, &item), PURR_EAGAIN);
    cr_assert_eq(purr_chan_len(rx), 0);
    for (int i = 1; i <= 2; i++) {
        purr_assert_ok(purr_chan_try_send(tx, &i));
        cr_assert_eq(purr_chan_len(rx), (size_t)i);
    }
    item = 3;
    purr_assert_err(purr_chan_try_send(tx, &item), PURR_EAGAIN);
    cr_assert_eq(purr_chan_len(rx), 2);
    purr_assert_ok(purr_chan_try_recv(rx, &item));
    cr_assert_eq(item, 1);
    cr_assert_eq(purr_chan_len(rx), 1);
    /* the blocking forms are checkpoints and refuse here */
    purr_assert_err(purr_chan_send(tx, &item), PURR_ECANCELED);
    purr_assert_err(purr_chan_recv(rx, &item), PURR_ECANCELED);
    cr_assert_eq(purr_chan_len(rx), 1);
    purr_scope_exit(&s);
    purr_assert_ok(purr_chan_recv(rx, &item));
    cr_assert_eq(item, 2);
    purr_assert_err(purr_chan_try_recv(rx, &item), PURR_EAGAIN);
    cr_assert_eq(purr_now(), 0);
    purr_chan_tx_close(tx);
    purr_chan_rx_close(rx);
    return 0;
}

Test(chan, try_send_and_try_recv_would_block)
{
    purr_assert_ok(purr_test_run(try_main, NULL));
}

/* len counts buffered items only: with capacity 3 full and a sender
 * parked, a receive takes one and moves the parked item in (len stays 3). */
static int
len_sender(void *arg)
{
    ctx *c = arg;
    for (int i = 0; i < 4; i++)
        purr_assert_ok(purr_chan_send(c->tx, &i));
    c->rc_at[0] = purr_now();
    return 0;
}

static int
len_body(purr_nursery *n, void *arg)
{
    ctx *c = arg;
    purr_assert_ok(purr_spawn(n, "sender", len_sender, c));
    purr_assert_ok(purr_sleep(1 * PURR_MS));
    cr_assert_eq(purr_chan_len(c->rx), 3);
    int item;
    purr_assert_ok(purr_chan_try_recv(c->rx, &item));
    cr_assert_eq(item, 0);
    cr_assert_eq(purr_chan_len(c->rx), 3);
    for (int i = 1; i <= 3; i++) {
        purr_assert_ok(purr_chan_recv(c->rx, &item));
        cr_assert_eq(item, i);
        cr_assert_eq(purr_chan_len(c->rx), (size_t)(3 - i));
    }
    return 0;
}

static int
len_main(void *arg)
{
    ctx *c = arg;
    purr_assert_ok(purr_chan_open(sizeof(int), 3, &c->tx, &c->rx));
    purr_assert_ok(purr_nursery_run(len_body, c));
    purr_chan_tx_close(c->tx);
    purr_chan_rx_close(c->rx);
    return 0;
}

Test(chan, len_counts_buffered_items)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(len_main, &c));
    cr_assert_eq(c.rc_at[0], 1 * PURR_MS);
}

/* ---------------------------------------------------------------------- */
/* Cancellation                                                            */
/* ---------------------------------------------------------------------- */

/* Capacity 1 holding item 1. Task 0's send of 666 is cancelled at 2 ms;
 * task 1 sends 2 at 3 ms and parks. The receiver (4 ms) gets 1 then 2 and
 * never 666. */
static int
cancelled_sender(void *arg)
{
    ctx *c = arg;
    purr_scope s;
    purr_move_on_after(&s, 2 * PURR_MS);
    int item = 666;
    c->rc[0] = purr_chan_send(c->tx, &item);
    c->rc_at[0] = purr_now();
    purr_assert_ok(purr_scope_exit(&s));
    return 0;
}

static int
later_sender(void *arg)
{
    ctx *c = arg;
    purr_assert_ok(purr_sleep(3 * PURR_MS));
    int item = 2;
    c->rc[1] = purr_chan_send(c->tx, &item);
    c->rc_at[1] = purr_now();
    return 0;
}

static int
cancel_send_body(purr_nursery *n, void *arg)
{
    ctx *c = arg;
    int item = 1;
    purr_assert_ok(purr_chan_send(c->tx, &item));
    purr_assert_ok(purr_spawn(n, "cancelled", cancelled_sender, c));
    purr_assert_ok(purr_spawn(n, "later", later_sender, c));
    purr_assert_ok(purr_sleep(4 * PURR_MS));
    for (int k = 0; k < 2; k++) {
        purr_assert_ok(purr_chan_recv(c->rx, &item));
        note_got(c, item);
    }
    purr_assert_err(purr_chan_try_recv(c->rx, &item), PURR_EAGAIN);
    return 0;
}

static int
cancel_send_main(void *arg)
{
    ctx *c = arg;
    purr_assert_ok(purr_chan_open(sizeof(int), 1, &c->tx, &c->rx));
    purr_assert_ok(purr_nursery_run(cancel_send_body, c));
    purr_chan_tx_close(c->tx);
    purr_chan_rx_close(c->rx);
    return 0;
}

Test(chan, cancelled_send_sends_nothing)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(cancel_send_main, &c));
    purr_assert_err(c.rc[0], PURR_ECANCELED);
    cr_assert_eq(c.rc_at[0], 2 * PURR_MS);
    purr_assert_ok(c.rc[1]);
    cr_assert_eq(c.rc_at[1], 4 * PURR_MS);
    cr_assert_eq(c.ngot, 2);
    cr_assert_eq(c.got[0], 1);
    cr_assert_eq(c.got[1], 2);
}

/* The same at capacity 0, where a parked sender's item is read straight
 * from its stack: after the cancelled send (2 ms) a receiver must find
 * nothing, and must get the next sender's item. Also a cancelled receive:
 * the item sent afterwards goes to the next receiver. */
static int
rv_cancelled_receiver(void *arg)
{
    ctx *c = arg;
    purr_scope s;
    purr_move_on_after(&s, 1 * PURR_MS);
    int item = -1;
    c->rc[2] = purr_chan_recv(c->rx, &item);
    c->rc_at[2] = purr_now();
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert_eq(item, -1);
    return 0;
}

static int
rv_cancel_body(purr_nursery *n, void *arg)
{
    ctx *c = arg;
    int item;
    purr_assert_ok(purr_spawn(n, "cancelled", cancelled_sender, c));
    purr_assert_ok(purr_sleep(2 * PURR_MS + 1));
    purr_assert_err(purr_chan_try_recv(c->rx, &item), PURR_EAGAIN);
    purr_assert_ok(purr_spawn(n, "later", later_sender, c)); /* 5 ms */
    purr_assert_ok(purr_chan_recv(c->rx, &item));
    note_got(c, item);

    purr_assert_ok(purr_spawn(n, "cancelled-rx", rv_cancelled_receiver, c));
    purr_assert_ok(purr_sleep(2 * PURR_MS));
    item = 3;
    purr_assert_err(purr_chan_try_send(c->tx, &item), PURR_EAGAIN);
    return 0;
}

static int
rv_cancel_main(void *arg)
{
    ctx *c = arg;
    purr_assert_ok(purr_chan_open(sizeof(int), 0, &c->tx, &c->rx));
    purr_assert_ok(purr_nursery_run(rv_cancel_body, c));
    purr_chan_tx_close(c->tx);
    purr_chan_rx_close(c->rx);
    return 0;
}

Test(chan, cancelled_rendezvous_leaves_no_trace)
{
    ctx c = {0};
    purr_assert_ok(purr_test_run(rv_cancel_main, &c));
    purr_assert_err(c.rc[0], PURR_ECANCELED);
    cr_assert_eq(c.rc_at[0], 2 * PURR_MS);
    purr_assert_ok(c.rc[1]);
    cr_assert_eq(c.rc_at[1], 5 * PURR_MS + 1);
    cr_assert_eq(c.ngot, 1);
    cr_assert_eq(c.got[0], 2);
    cr_assert_eq(c.got_at[0], 5 * PURR_MS + 1);
    purr_assert_err(c.rc[2], PURR_ECANCELED);
    cr_assert_eq(c.rc_at[2], 6 * PURR_MS + 1);
}

/* ---------------------------------------------------------------------- */
/* Fan-in, fan-out                                                         */
/* ---------------------------------------------------------------------- */

#define PRODUCERS 4
#define CONSUMERS 3
#define PER_PRODUCER 250

typedef struct fan_ctx {
    who_arg prod[PRODUCERS];
    who_arg cons[CONSUMERS];
    int seen[PRODUCERS * PER_PRODUCER]; /* times each item was received */
    int last[CONSUMERS][PRODUCERS];     /* last k seen from each producer */
    size_t count[CONSUMERS];            /* items each consumer received */
    purr_chan_tx *tx;
    purr_chan_rx *rx;
} fan_ctx;

static int
producer(void *arg)
{
    who_arg *a = arg;
    for (int k = 0; k < PER_PRODUCER; k++) {
        int item = a->who * PER_PRODUCER + k;
        purr_assert_ok(purr_chan_send(a->tx, &item));
        if (k % (a->who + 2) == 0)
            purr_assert_ok(purr_sleep((a->who + 1) * PURR_US));
    }
    purr_chan_tx_close(a->tx);
    return 0;
}

static int
consumer(void *arg)
{
    who_arg *a = arg;
    fan_ctx *f = a->owner;
    int item, rc;
    while ((rc = purr_chan_recv(a->rx, &item)) == 0) {
        cr_assert(item >= 0 && item < PRODUCERS * PER_PRODUCER);
        f->seen[item]++;
        f->count[a->who]++;
        int p = item / PER_PRODUCER, k = item % PER_PRODUCER;
        /* FIFO: each producer's items arrive in the order sent */
        cr_assert_gt(k, f->last[a->who][p],
                     "consumer %d: producer %d's "
                     "item %d after %d",
                     a->who, p, k, f->last[a->who][p]);
        f->last[a->who][p] = k;
        if (f->count[a->who] % (size_t)(a->who + 3) == 0)
            purr_assert_ok(purr_sleep((a->who + 2) * PURR_US));
    }
    purr_assert_err(rc, PURR_ECLOSED);
    purr_chan_rx_close(a->rx);
    return 0;
}

static int
fan_body(purr_nursery *n, void *arg)
{
    fan_ctx *f = arg;
    for (int i = 0; i < CONSUMERS; i++) {
        f->cons[i] =
            (who_arg){.owner = f, .who = i, .rx = purr_chan_rx_clone(f->rx)};
        for (int p = 0; p < PRODUCERS; p++)
            f->last[i][p] = -1;
        purr_assert_ok(purr_spawn(n, "consumer", consumer, &f->cons[i]));
    }
    for (int i = 0; i < PRODUCERS; i++) {
        f->prod[i] =
            (who_arg){.owner = f, .who = i, .tx = purr_chan_tx_clone(f->tx)};
        purr_assert_ok(purr_spawn(n, "producer", producer, &f->prod[i]));
    }
    purr_chan_tx_close(f->tx);
    purr_chan_rx_close(f->rx);
    return 0;
}

static int
fan_main(void *arg)
{
    fan_ctx *f = arg;
    purr_assert_ok(purr_chan_open(sizeof(int), 5, &f->tx, &f->rx));
    return purr_nursery_run(fan_body, f);
}

Test(chan, fan_in_fan_out_delivers_every_item_once)
{
    fan_ctx f;
    memset(&f, 0, sizeof f);
    purr_assert_ok(purr_test_run(fan_main, &f));
    for (int i = 0; i < PRODUCERS * PER_PRODUCER; i++)
        cr_assert_eq(f.seen[i], 1, "item %d received %d times", i, f.seen[i]);
    size_t total = 0;
    for (int i = 0; i < CONSUMERS; i++) {
        cr_assert_gt(f.count[i], 0, "consumer %d received nothing", i);
        total += f.count[i];
    }
    cr_assert_eq(total, (size_t)PRODUCERS * PER_PRODUCER);
}
