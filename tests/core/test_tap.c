/* test_tap.c - the loop's tap: fixed-size records for the frequent events.
 *
 * A tap (core.h) gets PURR_EV_TASK_BLOCKED, PURR_EV_TASK_WOKEN and
 * PURR_EV_VALUE_SET as purr_tap_rec records appended to its buffer, beside
 * the observers and numbered with them; a VALUE_SET the record cannot hold,
 * and the first one of each value after purr_loop_tap, goes to its slow
 * callback instead. These tests keep one log of everything a consumer
 * receives, in the order it receives it: observer events, the tap's records
 * (copied out of the buffer just before the next observer or slow callback,
 * when the buffer fills, and at the end) and slow-path traces. A scenario
 * that blocks and wakes tasks in the ways the core has, and sets values of
 * every type, is run with an observer alone, with a tap beside an observer
 * of the other kinds, and with a tap beside an observer of everything: the
 * logs must agree event by event. Smaller tests pin down the record fields
 * of each datum type, the slow path, the full callback at caps 1, 2 and 7,
 * the mask, removal, PURR_EBUSY and the epoch of a re-installed tap. */
#include "purr_test.h"

#include <purr/value.h>

#include <inttypes.h>
#include <string.h>

#define TAPPED                                                                 \
    (PURR_EV_BIT(PURR_EV_TASK_BLOCKED) | PURR_EV_BIT(PURR_EV_TASK_WOKEN) |     \
     PURR_EV_BIT(PURR_EV_VALUE_SET))
#define ALL_KINDS (PURR_EV_TASK | PURR_EV_VALUE)

#define LOG_MAX 4096 /* entries of the log: far more than a run makes */
#define BUF_MAX 512  /* records per tap buffer (a guard slot follows) */
#define GUARD 0xa5   /* the byte tap buffers are filled with */

/* ---------------------------------------------------------------------- */
/* The log                                                                 */
/* ---------------------------------------------------------------------- */

enum source { FROM_OBS = 1, FROM_REC, FROM_SLOW };

/* One thing the consumer received. Fields a source does not carry are 0. */
typedef struct entry {
    int src;            /* enum source */
    int kind;           /* purr_event_kind */
    uint64_t seq;       /* the event's seq (a VALUE_SET record
                           carries only value_seq) */
    uint64_t value_seq; /* VALUE_SET */
    purr_time time_ns;
    uint64_t task_id;
    int status;         /* WOKEN: the wake code; ENDED: the result */
    const char *detail; /* BLOCKED: the pointer as received */
    uint64_t value_id;  /* VALUE_*: purr_value_id (a record: aux) */
    int type;           /* VALUE_SET: the new datum's type */
    uint64_t bits;      /* VALUE_SET of a scalar: its bits (core.h) */
    char text[48];      /* VALUE_SET/CREATED (traces): new datum */
    char old_text[48];  /* VALUE_SET (traces): old datum */
    /* Pointers, only comparable within one run (traces only). */
    const purr_value *value;
    const purr_task *task;
    const purr_nursery *nursery;
    uint64_t parent_task_id;
} entry;

typedef struct tlog {
    entry e[LOG_MAX];
    size_t n;
} tlog;

static tlog L;   /* the current run's log */
static tlog REF; /* a reference run's log (observer only) */

static entry *
log_next(void)
{
    cr_assert_lt(L.n, LOG_MAX, "log full");
    entry *e = &L.e[L.n++];
    memset(e, 0, sizeof *e);
    return e;
}

/* The bits a record carries for a scalar datum (core.h: bool 0/1, int,
 * double as its IEEE-754 bits, nil 0), computed from the datum itself. */
static uint64_t
datum_bits(const purr_datum *d)
{
    uint64_t bits = 0;
    switch (d->type) {
    case PURR_T_BOOL:
        return d->u.b ? 1 : 0;
    case PURR_T_INT:
        return (uint64_t)d->u.i;
    case PURR_T_DOUBLE:
        memcpy(&bits, &d->u.d, sizeof bits);
        return bits;
    default:
        return 0;
    }
}

static bool
is_scalar(int type)
{
    return type == PURR_T_NIL || type == PURR_T_BOOL || type == PURR_T_INT ||
           type == PURR_T_DOUBLE;
}

/* Logs a trace (an observer's event or the tap's slow path). */
static void
log_trace(int src, const purr_trace *ev)
{
    entry *e = log_next();
    e->src = src;
    e->kind = ev->kind;
    e->seq = ev->seq;
    e->time_ns = ev->time_ns;
    e->task_id = ev->task_id;
    e->status = ev->status;
    e->detail = ev->detail;
    e->task = ev->task;
    e->nursery = ev->nursery;
    e->parent_task_id = ev->parent_task_id;
    /* The task pointer, its id, its nursery and parent agree. */
    cr_assert_eq(ev->task ? purr_task_id(ev->task) : 0, ev->task_id);
    cr_assert_eq(ev->nursery, ev->task ? purr_task_nursery(ev->task) : NULL);
    if (ev->value) {
        e->value = ev->value;
        e->value_id = purr_value_id(ev->value);
    }
    if (ev->kind == PURR_EV_VALUE_SET) {
        e->value_seq = ev->value_seq;
        e->type = ev->new_value->type;
        e->bits = datum_bits(ev->new_value);
        purr_datum_format(ev->new_value, e->text, sizeof e->text);
        purr_datum_format(ev->old_value, e->old_text, sizeof e->old_text);
    } else if (ev->kind == PURR_EV_VALUE_CREATED) {
        purr_datum_format(ev->new_value, e->text, sizeof e->text);
    }
}

/* Logs one of the tap's records. */
static void
log_rec(const purr_tap_rec *r)
{
    entry *e = log_next();
    e->src = FROM_REC;
    e->kind = r->kind;
    e->time_ns = r->time_ns;
    e->task_id = r->task_id;
    cr_assert_eq(r->reserved, 0, "reserved is 0");
    if (r->kind == PURR_EV_VALUE_SET) {
        e->value_seq = r->seq;
        e->value_id = r->aux;
        e->type = r->type;
        e->bits = r->arg;
        cr_assert(is_scalar(r->type), "a record of type %d", r->type);
    } else {
        cr_assert_eq(r->type, 0, "task records have type 0");
        e->seq = r->seq;
        e->status = (int)(int32_t)r->aux;
        e->detail = (const char *)(uintptr_t)r->arg;
    }
}

/* ---------------------------------------------------------------------- */
/* The consumer: a tap and an observer sharing the log                     */
/* ---------------------------------------------------------------------- */

/* What full() does to make room. */
enum full_mode {
    FULL_SWAP,  /* the other buffer, n = 0, the next cap */
    FULL_GROW,  /* the same buffer and n, cap = n + the next cap (as the
                   recorder does); swaps when the buffer is used up */
    FULL_OFFSET /* the other buffer holding one record of the consumer's
                   own (a sentinel), n = 1, cap = 1 + the next cap */
};

#define SENTINEL_KIND 0xee

typedef struct tapper {
    purr_tap tap;
    purr_tap_rec buf[2][BUF_MAX + 1]; /* two buffers, each with a guard
                                         slot past the largest cap */
    int cur;                          /* which buffer tap.buf is */
    size_t copied;                    /* tap.buf[0..copied) is logged already */
    const size_t *caps;               /* the caps full() sets, in turn */
    size_t ncaps, capi;               /* ... how many, and the one in use */
    enum full_mode mode;
    bool sentinel; /* tap.buf[0] is the consumer's sentinel */
    bool log;      /* copy records and traces into L */
    size_t nfull;  /* full() calls */
    size_t nslow;  /* slow() calls */
    size_t nrecs;  /* records the loop appended */
} tapper;

/* The tapper whose pending records the observer logs before its event,
 * so that the log keeps the order the consumer received things in. */
static tapper *active;

static bool
slot_is_guard(const purr_tap_rec *slot)
{
    const unsigned char *p = (const unsigned char *)slot;
    for (size_t i = 0; i < sizeof *slot; i++)
        if (p[i] != GUARD)
            return false;
    return true;
}

/* The loop wrote nothing past cap (and, with a sentinel, nothing at 0). */
static void
check_untouched(const tapper *t)
{
    cr_assert(slot_is_guard(&t->tap.buf[t->tap.cap]),
              "the loop wrote past cap (%zu)", t->tap.cap);
    if (t->sentinel)
        cr_assert_eq(t->tap.buf[0].kind, SENTINEL_KIND,
                     "the loop overwrote the consumer's record at 0");
}

/* Logs the records appended since the last look. */
static void
drain(tapper *t)
{
    for (size_t i = t->copied; i < t->tap.n; i++) {
        t->nrecs++;
        if (t->log)
            log_rec(&t->tap.buf[i]);
    }
    t->copied = t->tap.n;
}

/* Gives the tap a fresh buffer b, n records of which (0 or 1) are the
 * consumer's own, and room for cap more. */
static void
give_buffer(tapper *t, int b, size_t n, size_t cap)
{
    cr_assert_leq(n + cap, BUF_MAX);
    memset(t->buf[b], GUARD, sizeof t->buf[b]);
    t->cur = b;
    t->tap.buf = t->buf[b];
    t->sentinel = n == 1;
    if (t->sentinel) {
        memset(&t->buf[b][0], 0, sizeof t->buf[b][0]);
        t->buf[b][0].kind = SENTINEL_KIND;
    }
    t->tap.n = n;
    t->copied = n;
    t->tap.cap = n + cap;
}

static void
tap_full(purr_tap *tap)
{
    tapper *t = tap->ctx;
    cr_assert_eq(tap, &t->tap);
    t->nfull++;
    cr_assert_eq(tap->n, tap->cap, "full() is called when n reaches cap");
    check_untouched(t);
    drain(t);
    t->capi = (t->capi + 1) % t->ncaps;
    size_t next = t->caps[t->capi];
    switch (t->mode) {
    case FULL_SWAP:
        give_buffer(t, !t->cur, 0, next);
        break;
    case FULL_GROW:
        if (tap->n + next < BUF_MAX)
            tap->cap = tap->n + next; /* n and buf stay */
        else
            give_buffer(t, !t->cur, 0, next);
        break;
    case FULL_OFFSET:
        give_buffer(t, !t->cur, 1, next);
        break;
    }
}

static void
tap_slow(purr_tap *tap, const purr_trace *ev)
{
    tapper *t = tap->ctx;
    cr_assert_eq(tap, &t->tap);
    cr_assert_lt(tap->n, tap->cap);
    drain(t);
    t->nslow++;
    cr_assert_eq(ev->kind, PURR_EV_VALUE_SET, "slow() only for VALUE_SET");
    cr_assert_not_null(ev->value);
    cr_assert_not_null(ev->new_value);
    cr_assert_not_null(ev->old_value);
    cr_assert(purr_datum_equal(ev->new_value, purr_value_peek(ev->value)),
              "new_value is the value's datum");
    cr_assert_eq(ev->value_seq,
                 purr_loop_transitions(purr_value_loop(ev->value)),
                 "the transition just made");
    cr_assert_eq(ev->time_ns, purr_value_changed_at(ev->value));
    if (t->log)
        log_trace(FROM_SLOW, ev);
}

static void
observe(const purr_trace *ev, void *ctx)
{
    (void)ctx;
    if (active) {
        cr_assert_lt(active->tap.n, active->tap.cap);
        drain(active);
    }
    log_trace(FROM_OBS, ev);
}

static void
ignore(const purr_trace *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
}

static tapper T, T2; /* static: too big for a task's stack */

static const size_t CAP_BIG[] = {BUF_MAX};

static void
tapper_init(tapper *t, uint32_t mask, const size_t *caps, size_t ncaps,
            enum full_mode mode)
{
    memset(t, 0, sizeof *t);
    t->tap.mask = mask;
    t->tap.full = tap_full;
    t->tap.slow = tap_slow;
    t->tap.ctx = t;
    t->caps = caps;
    t->ncaps = ncaps;
    t->mode = mode;
    t->log = true;
    memset(t->buf[1], GUARD, sizeof t->buf[1]);
    give_buffer(t, 0, 0, caps[0]);
}

/* After a run: logs what is left in the buffer. */
static void
tapper_finish(tapper *t)
{
    cr_assert_lt(t->tap.n, t->tap.cap);
    check_untouched(t);
    drain(t);
}

/* ---------------------------------------------------------------------- */
/* The scenario                                                            */
/* ---------------------------------------------------------------------- */

/* Tasks block and wake on sleeps, an event, a lock, a rendezvous channel,
 * value waits (plain, transition, held: woken with the hold's codes) and a
 * cancelled scope (woken with PURR_ECANCELED), while a setter sets values
 * of every type, some twice in one step, one from a posted function; a
 * transform and a composition follow two of them. Values "flag" and
 * "count" exist before the tap is installed, and are set outside any task
 * before the run. */
typedef struct world {
    purr_loop *loop;
    purr_value *flag;  /* bool */
    purr_value *count; /* int */
    purr_value *level; /* double */
    purr_value *word;  /* string */
    purr_value *any;   /* type nil: any datum */
    purr_value *blob;  /* bytes */
    purr_value *twice; /* transform: count * 2 */
    purr_value *pair;  /* composition: (flag, count) */
    purr_event go;     /* set by the setter at 1 s */
    purr_event never;  /* never set: the victim's wait is cancelled */
    purr_lock lock;
    purr_chan_tx *tx;
    purr_chan_rx *rx;
} world;

static world W;

static double
double_of_bits(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* A double datum with exactly these bits (no arithmetic touches it). */
static purr_datum
datum_of_bits(uint64_t bits)
{
    purr_datum d = purr_datum_double(0.0);
    memcpy(&d.u.d, &bits, sizeof bits);
    return d;
}

static void
twice_fn(const purr_datum *in, purr_datum *out, void *arg)
{
    (void)arg;
    *out = purr_datum_int(purr_datum_as_int(in) * 2);
}

static bool
at_least_10(const purr_datum *d, void *arg)
{
    (void)arg;
    return purr_datum_as_int(d) >= 10;
}

static int
t_waiter(void *arg)
{
    (void)arg;
    purr_assert_ok(
        purr_value_wait(W.count, purr_match_pred(at_least_10, NULL), 0, NULL));
    purr_assert_ok(
        purr_value_wait_transition(W.word, purr_match_any(), NULL, NULL));
    /* flag is true: the hold starts now (0.4 s), the setter breaks it at
     * 2.9 s, sets flag again at 3.4 s, and the hold completes at 8.4 s. */
    purr_datum yes = purr_datum_bool(true);
    purr_assert_ok(
        purr_value_wait(W.flag, purr_match_equal(&yes), 5 * PURR_S, NULL));
    cr_assert_eq(purr_now(), 8400 * PURR_MS);
    return 0;
}

static int
t_sleeper(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(250 * PURR_MS));
    purr_assert_ok(purr_event_wait(&W.go));
    return purr_sleep(2 * PURR_S);
}

static int
t_locker(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_lock_acquire(&W.lock));
    purr_assert_ok(purr_sleep(300 * PURR_MS));
    purr_lock_release(&W.lock);
    return 0;
}

static int
t_victim(void *arg)
{
    (void)arg;
    purr_scope s;
    purr_move_on_after(&s, 3 * PURR_S);
    purr_assert_err(purr_event_wait(&W.never), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&s));
    return 0;
}

static int
t_producer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        purr_assert_ok(purr_chan_send(W.tx, &i));
        purr_assert_ok(purr_sleep(10 * PURR_MS));
    }
    purr_chan_tx_close(W.tx);
    return 0;
}

static int
t_consumer(void *arg)
{
    (void)arg;
    int item, rc;
    purr_assert_ok(purr_sleep(5 * PURR_MS));
    while ((rc = purr_chan_recv(W.rx, &item)) == 0)
        purr_value_set_int(W.any, 1000 + item);
    purr_assert_err(rc, PURR_ECLOSED);
    purr_chan_rx_close(W.rx);
    return 0;
}

static void
posted_set(void *arg)
{
    (void)arg;
    purr_value_set_int(W.any, 99);
    purr_value_set_int(W.count, 77);
}

static int
t_setter(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(100 * PURR_MS));
    for (int64_t i = 1; i <= 12; i++) {
        purr_value_set_int(W.count, i); /* several sets per step */
        if (i % 4 == 0)
            purr_assert_ok(purr_sleep(100 * PURR_MS));
    }
    purr_value_set_string(W.word, "a");
    purr_assert_ok(purr_sleep(600 * PURR_MS));
    purr_event_set(&W.go); /* 1 s */
    purr_value_set_string(W.word, "b");
    purr_value_set_double(W.level, 1.5);
    purr_value_set_double(W.level, -0.0);
    purr_value_set_double(W.level, 0.0);
    purr_datum nan = datum_of_bits(0x7ff8dead0000beefULL);
    purr_value_set(W.level, &nan);
    purr_datum snan = datum_of_bits(0x7ff0000000000001ULL);
    purr_value_set(W.level, &snan);
    purr_value_set_double(W.level, double_of_bits(0xfff0000000000000ULL));
    purr_assert_ok(purr_sleep(PURR_MS));
    purr_value_set_int(W.any, 3);
    purr_datum nil = purr_datum_nil();
    purr_value_set(W.any, &nil);
    purr_value_set_string(W.any, "x");
    purr_value_set_int(W.any, INT64_MIN);
    purr_value_set_bool(W.any, true);
    purr_value_set_double(W.any, 2.5);
    purr_datum bytes = purr_datum_bytes("\0\1\2", 3);
    purr_value_set(W.any, &bytes);
    purr_value_set(W.blob, &bytes);
    purr_datum_free(&bytes);
    purr_datum items[2] = {purr_datum_int(1), purr_datum_string("t")};
    purr_datum tup = purr_datum_tuple(items, 2);
    purr_value_set(W.any, &tup);
    purr_datum_free(&items[1]);
    purr_datum_free(&tup);
    purr_value_set(W.any, &nil);
    purr_assert_ok(purr_sleep(2 * PURR_S - 101 * PURR_MS)); /* 2.9 s */
    purr_value_set_bool(W.flag, false); /* breaks the hold */
    purr_assert_ok(purr_sleep(500 * PURR_MS));
    purr_value_set_bool(W.flag, true);
    purr_assert_ok(purr_loop_post(W.loop, posted_set, NULL));
    purr_assert_ok(purr_sleep(3 * PURR_S));
    purr_value_set_int(W.count, -3);
    return 0;
}

static int
world_body(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "waiter", t_waiter, NULL));
    purr_assert_ok(purr_spawn(n, "sleeper", t_sleeper, NULL));
    purr_assert_ok(purr_spawn(n, "locker1", t_locker, NULL));
    purr_assert_ok(purr_spawn(n, "locker2", t_locker, NULL));
    purr_assert_ok(purr_spawn(n, "victim", t_victim, NULL));
    purr_assert_ok(purr_spawn(n, "producer", t_producer, NULL));
    purr_assert_ok(purr_spawn(n, "consumer", t_consumer, NULL));
    purr_assert_ok(purr_spawn(n, "setter", t_setter, NULL));
    return 0;
}

static int
world_main(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    W.level =
        purr_value_new(loop, "level", PURR_ROLE_INPUT, PURR_T_DOUBLE, NULL);
    W.word =
        purr_value_new(loop, "word", PURR_ROLE_OUTPUT, PURR_T_STRING, NULL);
    W.any = purr_value_new(loop, "any", PURR_ROLE_INTERNAL, PURR_T_NIL, NULL);
    W.blob = purr_value_new(loop, "blob", PURR_ROLE_OUTPUT, PURR_T_BYTES, NULL);
    purr_assert_ok(purr_nursery_run(world_body, NULL));
    return 0;
}

/* Runs the scenario with an observer of obs_mask (0: none) and tap t
 * (NULL: none), both installed after "flag" and "count" exist and were
 * set once. Fills L. */
static void
run_world(uint32_t obs_mask, tapper *t)
{
    memset(&L, 0, sizeof L);
    memset(&W, 0, sizeof W);
    purr_loop *loop = purr_loop_new(NULL);
    cr_assert_not_null(loop);
    W.loop = loop;
    W.flag = purr_value_new_bool(loop, "flag", PURR_ROLE_INPUT);
    W.count = purr_value_new(loop, "count", PURR_ROLE_INPUT, PURR_T_INT, NULL);
    purr_value_set_int(W.count, -1); /* unseen: nobody listens yet */
    if (obs_mask)
        purr_assert_ok(purr_loop_observe(loop, obs_mask, observe, NULL));
    if (t) {
        purr_assert_ok(purr_loop_tap(loop, &t->tap));
        active = t;
    }
    /* Outside any task: task id 0. */
    purr_value_set_bool(W.flag, true);
    purr_value_set_int(W.count, 0);
    purr_value_set_int(W.count, -2);
    W.twice = purr_value_open_transform(W.count, "twice", twice_fn, NULL);
    purr_value *srcs[2] = {W.flag, W.count};
    W.pair = purr_value_open_compose("pair", srcs, NULL, 2, NULL, NULL);
    purr_event_init(&W.go);
    purr_event_init(&W.never);
    purr_lock_init(&W.lock);
    purr_assert_ok(purr_chan_open(sizeof(int), 0, &W.tx, &W.rx));
    purr_assert_ok(purr_run(loop, "main", world_main, NULL));
    if (t)
        tapper_finish(t);
    /* Closing values is no tap's business. */
    purr_value_free(W.pair);
    purr_value_free(W.twice);
    purr_value *vs[] = {W.flag, W.count, W.level, W.word, W.any, W.blob};
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
        purr_value_free(vs[i]);
    if (t) {
        tapper_finish(t);
        active = NULL;
        purr_assert_ok(purr_loop_tap(loop, NULL));
    }
    purr_assert_ok(purr_loop_close(loop));
}

/* The reference: the scenario seen by an observer of mask, alone. (Only
 * emitted events are numbered, so the seqs depend on what is observed.) */
static void
run_reference_of(uint32_t mask)
{
    run_world(mask, NULL);
    REF = L;
    cr_assert_gt(REF.n, 100);
}

static void
run_reference(void)
{
    run_reference_of(ALL_KINDS);
}

/* ---------------------------------------------------------------------- */
/* Comparisons                                                             */
/* ---------------------------------------------------------------------- */

/* a and b (observer events, possibly of different runs) are the same
 * event. */
static void
assert_same_event(const entry *a, const entry *b, size_t i)
{
    cr_assert_eq(a->src, FROM_OBS, "entry %zu", i);
    cr_assert_eq(b->src, FROM_OBS, "entry %zu", i);
    cr_assert_eq(a->kind, b->kind, "entry %zu: %s vs %s", i,
                 purr_test_kind_name(a->kind), purr_test_kind_name(b->kind));
    cr_assert_eq(a->seq, b->seq, "entry %zu (%s): seq %" PRIu64 " vs %" PRIu64,
                 i, purr_test_kind_name(a->kind), a->seq, b->seq);
    cr_assert_eq(a->value_seq, b->value_seq, "entry %zu", i);
    cr_assert_eq(a->time_ns, b->time_ns, "entry %zu", i);
    cr_assert_eq(a->task_id, b->task_id, "entry %zu", i);
    cr_assert_eq(a->status, b->status, "entry %zu", i);
    cr_assert_eq(a->detail, b->detail, "entry %zu", i);
    cr_assert_eq(a->value_id, b->value_id, "entry %zu", i);
    cr_assert_eq(a->type, b->type, "entry %zu", i);
    cr_assert_eq(a->bits, b->bits, "entry %zu", i);
    cr_assert_str_eq(a->text, b->text, "entry %zu", i);
    cr_assert_str_eq(a->old_text, b->old_text, "entry %zu", i);
    cr_assert_eq(a->parent_task_id, b->parent_task_id, "entry %zu", i);
}

/* What identifies an event among those of its kind: the seq, or for a
 * VALUE_SET the value_seq (a record carries no other). */
static uint64_t
key_of(const entry *e)
{
    return e->kind == PURR_EV_VALUE_SET ? e->value_seq : e->seq;
}

/* Tap entry r (a record or a slow trace) describes observer event o. */
static void
assert_twin(const entry *r, const entry *o, size_t i)
{
    const char *k = purr_test_kind_name(o->kind);
    cr_assert_eq(o->src, FROM_OBS, "entry %zu", i);
    cr_assert_neq(r->src, FROM_OBS, "entry %zu", i);
    cr_assert_eq(r->kind, o->kind, "entry %zu: %s vs %s", i,
                 purr_test_kind_name(r->kind), k);
    cr_assert_eq(r->time_ns, o->time_ns, "entry %zu (%s): time", i, k);
    cr_assert_eq(r->task_id, o->task_id, "entry %zu (%s): task", i, k);
    if (o->kind == PURR_EV_VALUE_SET) {
        cr_assert_eq(r->value_seq, o->value_seq, "entry %zu: value_seq", i);
        cr_assert_eq(r->type, o->type, "entry %zu: type", i);
        cr_assert_eq(r->bits, o->bits,
                     "entry %zu: bits %#" PRIx64 " vs %#" PRIx64, i, r->bits,
                     o->bits);
        if (r->src == FROM_REC) {
            cr_assert_eq(r->value_id, (uint32_t)o->value_id,
                         "entry %zu: aux is the value id", i);
        } else {
            cr_assert_eq(r->seq, o->seq, "entry %zu: seq", i);
            cr_assert_eq(r->value_id, o->value_id, "entry %zu", i);
            cr_assert_str_eq(r->text, o->text, "entry %zu", i);
            cr_assert_str_eq(r->old_text, o->old_text, "entry %zu", i);
            cr_assert_eq(r->parent_task_id, o->parent_task_id);
        }
    } else {
        cr_assert_eq(r->src, FROM_REC, "entry %zu: %s via slow()", i, k);
        cr_assert_eq(r->seq, o->seq, "entry %zu (%s): seq", i, k);
        cr_assert_eq(r->status, o->status, "entry %zu (%s): status %s vs %s", i,
                     k, purr_err_name(r->status), purr_err_name(o->status));
        cr_assert_eq(r->detail, o->detail, "entry %zu (%s): detail pointer", i,
                     k);
    }
}

/* What a run with a tap of mask and an observer of everything logged:
 * each tap entry sits next to its observer twin and agrees with it; each
 * observer event of a kind in mask has exactly one twin, of other kinds
 * none; VALUE_SETs took the slow path exactly when they had to. Removing
 * the tap's entries leaves REF. Counts the entries by source. */
typedef struct tally {
    size_t recs, slows;
    size_t by_kind[32];     /* tap entries by kind */
    size_t woken_status[3]; /* WOKEN records: 0, < 0, > 0 */
    size_t rec_types[4];    /* VALUE_SET records by type */
    size_t slow_types[7];   /* slow traces by type */
    size_t slow_first;      /* slow traces of a scalar (first sets) */
    size_t untasked;        /* VALUE_SET records with task id 0 */
} tally;

static tally
check_twins(uint32_t mask)
{
    tally c;
    memset(&c, 0, sizeof c);
    static bool twinned[LOG_MAX];
    bool met[64] = {false};
    memset(twinned, 0, sizeof twinned);
    for (size_t i = 0; i < L.n; i++) {
        const entry *e = &L.e[i];
        if (e->src == FROM_OBS)
            continue;
        cr_assert(mask & PURR_EV_BIT(e->kind), "entry %zu: tapped %s", i,
                  purr_test_kind_name(e->kind));
        size_t j = SIZE_MAX;
        if (i + 1 < L.n && L.e[i + 1].src == FROM_OBS &&
            L.e[i + 1].kind == e->kind && key_of(&L.e[i + 1]) == key_of(e))
            j = i + 1;
        else if (i > 0 && L.e[i - 1].src == FROM_OBS &&
                 L.e[i - 1].kind == e->kind && key_of(&L.e[i - 1]) == key_of(e))
            j = i - 1;
        cr_assert_neq(j, SIZE_MAX,
                      "entry %zu (%s, key %" PRIu64
                      "): no observer event next to it",
                      i, purr_test_kind_name(e->kind), key_of(e));
        cr_assert(!twinned[j], "entry %zu: two tap entries for one event", j);
        twinned[j] = true;
        assert_twin(e, &L.e[j], i);
        c.by_kind[e->kind]++;
        if (e->src == FROM_REC)
            c.recs++;
        else
            c.slows++;
        if (e->kind == PURR_EV_TASK_WOKEN)
            c.woken_status[e->status == 0 ? 0 : e->status < 0 ? 1 : 2]++;
        if (e->kind != PURR_EV_VALUE_SET)
            continue;
        /* The value id of the observer twin (a record has 32 bits). */
        uint64_t id = L.e[j].value_id;
        cr_assert_lt(id, 64);
        bool want_slow = !met[id] || !is_scalar(e->type);
        met[id] = true;
        cr_assert_eq(e->src, want_slow ? FROM_SLOW : FROM_REC,
                     "entry %zu: value %" PRIu64 " (%s) %s", i, id, e->text,
                     want_slow ? "should take slow()" : "should be a record");
        if (e->src == FROM_REC) {
            c.rec_types[e->type]++;
            if (e->task_id == 0)
                c.untasked++;
        } else {
            c.slow_types[e->type]++;
            if (is_scalar(e->type))
                c.slow_first++;
        }
    }
    size_t nobs = 0;
    for (size_t i = 0; i < L.n; i++) {
        const entry *e = &L.e[i];
        if (e->src != FROM_OBS)
            continue;
        cr_assert_eq(twinned[i], (mask & PURR_EV_BIT(e->kind)) != 0,
                     "entry %zu (%s seq %" PRIu64 "): %s", i,
                     purr_test_kind_name(e->kind), e->seq,
                     twinned[i] ? "tapped though not in the mask"
                                : "missing from the tap");
        cr_assert_lt(nobs, REF.n, "more events than the reference run");
        assert_same_event(e, &REF.e[nobs], nobs);
        nobs++;
    }
    cr_assert_eq(nobs, REF.n, "the observer saw %zu events, reference %zu",
                 nobs, REF.n);
    return c;
}

/* ---------------------------------------------------------------------- */
/* Tap and observer over the whole scenario                                */
/* ---------------------------------------------------------------------- */

Test(tap, records_agree_with_the_observer_event_by_event)
{
    run_reference();
    tapper_init(&T, TAPPED, CAP_BIG, 1, FULL_SWAP);
    run_world(ALL_KINDS, &T);
    tally c = check_twins(TAPPED);
    /* The scenario reaches every case it is meant to. */
    cr_assert_gt(c.by_kind[PURR_EV_TASK_BLOCKED], 10);
    cr_assert_gt(c.woken_status[0], 10);
    cr_assert_gt(c.woken_status[1], 0, "a WOKEN with PURR_ECANCELED");
    cr_assert_gt(c.woken_status[2], 0, "a WOKEN with a hold's code");
    for (int type = PURR_T_NIL; type <= PURR_T_DOUBLE; type++)
        cr_assert_gt(c.rec_types[type], 0, "records of type %d", type);
    for (int type = PURR_T_STRING; type <= PURR_T_TUPLE; type++)
        cr_assert_gt(c.slow_types[type], 0, "slow() for type %d", type);
    /* flag, count, twice, level, any (the others are not scalars). */
    cr_assert_eq(c.slow_first, 5, "first sets: %zu", c.slow_first);
    cr_assert_gt(c.untasked, 0, "sets outside any task");
    cr_assert_eq(c.recs, T.nrecs);
    cr_assert_eq(c.slows, T.nslow);
}

Test(tap, with_an_observer_of_the_other_kinds_logs_the_same_run)
{
    run_reference();
    tapper_init(&T, TAPPED, CAP_BIG, 1, FULL_SWAP);
    run_world(ALL_KINDS & ~TAPPED, &T);
    /* The one log the consumer keeps (records, slow traces and observer
     * events, in the order received) is the observer-only run, entry by
     * entry: the same order, the same seq numbering. */
    cr_assert_eq(L.n, REF.n, "%zu entries, reference %zu", L.n, REF.n);
    size_t ntap = 0;
    for (size_t i = 0; i < L.n; i++) {
        if (L.e[i].src == FROM_OBS) {
            cr_assert_eq(TAPPED & PURR_EV_BIT(L.e[i].kind), 0);
            assert_same_event(&L.e[i], &REF.e[i], i);
        } else {
            assert_twin(&L.e[i], &REF.e[i], i);
            ntap++;
        }
    }
    cr_assert_gt(ntap, 100);
    cr_assert_eq(ntap, T.nrecs + T.nslow);
}

Test(tap, alone_gets_what_an_observer_of_its_kinds_gets)
{
    run_reference_of(TAPPED);
    size_t want = REF.n;
    /* No observer at all: the tap alone must make the loop emit. */
    tapper_init(&T, TAPPED, CAP_BIG, 1, FULL_SWAP);
    run_world(0, &T);
    cr_assert_eq(L.n, want, "%zu tap entries, want %zu", L.n, want);
    for (size_t i = 0; i < REF.n; i++)
        assert_twin(&L.e[i], &REF.e[i], i);
}

/* ---------------------------------------------------------------------- */
/* The full callback                                                       */
/* ---------------------------------------------------------------------- */

/* Runs the scenario with caps and mode, and checks that full() came
 * exactly when each buffer took its cap of records, and nothing was lost,
 * duplicated or written where it should not be. */
static void
check_full(const size_t *caps, size_t ncaps, enum full_mode mode)
{
    run_reference();
    tapper_init(&T, TAPPED, caps, ncaps, mode);
    run_world(ALL_KINDS, &T);
    tally c = check_twins(TAPPED);
    cr_assert_eq(c.recs, T.nrecs);
    cr_assert_gt(T.nrecs, 100);
    /* Each fill takes the next cap's worth of records. */
    size_t left = T.nrecs, want = 0;
    while (left >= caps[want % ncaps])
        left -= caps[want++ % ncaps];
    cr_assert_eq(T.nfull, want, "full() called %zu times, want %zu", T.nfull,
                 want);
}

Test(tap, full_at_cap_1)
{
    static const size_t caps[] = {1};
    check_full(caps, 1, FULL_SWAP);
}

Test(tap, full_at_cap_2)
{
    static const size_t caps[] = {2};
    check_full(caps, 1, FULL_SWAP);
}

Test(tap, full_at_cap_7)
{
    static const size_t caps[] = {7};
    check_full(caps, 1, FULL_SWAP);
}

Test(tap, full_may_swap_buffers_and_change_cap)
{
    static const size_t caps[] = {7, 1, 2, 1, 7};
    check_full(caps, 5, FULL_SWAP);
}

Test(tap, full_may_raise_cap_in_the_same_buffer)
{
    static const size_t caps[] = {2, 7, 1};
    check_full(caps, 3, FULL_GROW);
}

Test(tap, appends_at_n_not_at_the_start_of_a_new_buffer)
{
    static const size_t caps[] = {1, 2, 7};
    check_full(caps, 3, FULL_OFFSET);
}

/* ---------------------------------------------------------------------- */
/* The mask                                                                */
/* ---------------------------------------------------------------------- */

Test(tap, takes_only_the_kinds_in_its_mask)
{
    static const uint32_t masks[] = {
        PURR_EV_BIT(PURR_EV_TASK_BLOCKED),
        PURR_EV_BIT(PURR_EV_TASK_WOKEN),
        PURR_EV_BIT(PURR_EV_VALUE_SET),
        PURR_EV_BIT(PURR_EV_TASK_BLOCKED) | PURR_EV_BIT(PURR_EV_TASK_WOKEN),
        PURR_EV_BIT(PURR_EV_TASK_WOKEN) | PURR_EV_BIT(PURR_EV_VALUE_SET),
        0,
    };
    run_reference();
    for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++) {
        static const size_t caps[] = {3};
        tapper_init(&T, masks[m], caps, 1, FULL_SWAP);
        run_world(ALL_KINDS, &T);
        tally c = check_twins(masks[m]);
        for (int k = 0; k < 32; k++)
            if (masks[m] & PURR_EV_BIT(k))
                cr_assert_gt(c.by_kind[k], 0, "mask %#x: no %s", masks[m],
                             purr_test_kind_name(k));
    }
}

/* ---------------------------------------------------------------------- */
/* Value records and the slow path, field by field                         */
/* ---------------------------------------------------------------------- */

typedef struct set_case {
    int which; /* 0 b, 1 i, 2 d, 3 n */
    purr_datum d;
    int type;
    uint64_t bits;
} set_case;

static purr_value *V[4];

static void
posted_int(void *arg)
{
    (void)arg;
    purr_value_set_int(V[1], 42);
}

/* Sets each case one virtual ms apart and checks the record it makes. */
static int
t_value_records(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    uint64_t me = purr_task_id(purr_task_current());
    cr_assert_gt(me, 1);
    /* First transitions: slow(), not records. */
    purr_value_set_bool(V[0], true);
    purr_value_set_int(V[1], 1);
    purr_value_set_double(V[2], 1.0);
    purr_value_set_int(V[3], 1);
    cr_assert_eq(T.nslow, 4);
    cr_assert_eq(T.tap.n, 0);

    const set_case cases[] = {
        {0, purr_datum_bool(false), PURR_T_BOOL, 0},
        {0, purr_datum_bool(true), PURR_T_BOOL, 1},
        {1, purr_datum_int(INT64_MIN), PURR_T_INT, 0x8000000000000000ULL},
        {1, purr_datum_int(-2), PURR_T_INT, 0xfffffffffffffffeULL},
        {1, purr_datum_int(INT64_MAX), PURR_T_INT, 0x7fffffffffffffffULL},
        {2, purr_datum_double(-0.0), PURR_T_DOUBLE, 0x8000000000000000ULL},
        {2, purr_datum_double(0.0), PURR_T_DOUBLE, 0},
        {2, datum_of_bits(0x7ff8dead0000beefULL), PURR_T_DOUBLE,
         0x7ff8dead0000beefULL},
        {2, datum_of_bits(0xfff000000000cafeULL), PURR_T_DOUBLE,
         0xfff000000000cafeULL},
        {2, datum_of_bits(0x0000000000000001ULL), PURR_T_DOUBLE, 1},
        {2, purr_datum_double(-1.5), PURR_T_DOUBLE, 0xbff8000000000000ULL},
        {3, purr_datum_nil(), PURR_T_NIL, 0},
        {3, purr_datum_int(7), PURR_T_INT, 7},
        {3, purr_datum_double(7.0), PURR_T_DOUBLE, 0x401c000000000000ULL},
        {3, purr_datum_bool(true), PURR_T_BOOL, 1},
        {3, purr_datum_nil(), PURR_T_NIL, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const set_case *sc = &cases[k];
        purr_value *v = V[sc->which];
        purr_assert_ok(purr_sleep(PURR_MS));
        size_t at = T.tap.n;
        cr_assert_eq(purr_value_set(v, &sc->d), 1, "case %zu", k);
        cr_assert_eq(T.tap.n, at + 1, "case %zu: one record", k);
        cr_assert_eq(T.nslow, 4, "case %zu: no slow()", k);
        const purr_tap_rec *r = &T.tap.buf[at];
        cr_assert_eq(r->kind, PURR_EV_VALUE_SET, "case %zu", k);
        cr_assert_eq(r->type, sc->type, "case %zu: type %d", k, r->type);
        cr_assert_eq(r->reserved, 0, "case %zu", k);
        cr_assert_eq(r->aux, (uint32_t)purr_value_id(v), "case %zu", k);
        cr_assert_eq(r->seq, purr_loop_transitions(loop), "case %zu", k);
        cr_assert_eq(r->time_ns, purr_now(), "case %zu", k);
        cr_assert_eq(r->time_ns, (purr_time)(k + 1) * PURR_MS, "case %zu", k);
        cr_assert_eq(r->task_id, me, "case %zu", k);
        cr_assert_eq(r->arg, sc->bits,
                     "case %zu: arg %#" PRIx64 ", want %#" PRIx64, k, r->arg,
                     sc->bits);
        /* The same datum again is no transition: nothing. */
        cr_assert_eq(purr_value_set(v, &sc->d), 0, "case %zu", k);
        cr_assert_eq(T.tap.n, at + 1, "case %zu", k);
    }
    /* A posted set runs outside any task: task id 0, at the loop's time. */
    size_t at = T.tap.n;
    purr_assert_ok(purr_loop_post(loop, posted_int, NULL));
    purr_time before = purr_now();
    purr_assert_ok(purr_sleep(PURR_S));
    cr_assert_eq(T.tap.n, at + 1);
    cr_assert_eq(T.tap.buf[at].task_id, 0);
    cr_assert_eq(T.tap.buf[at].arg, 42);
    cr_assert_eq(T.tap.buf[at].time_ns, before);
    cr_assert_eq(T.tap.buf[at].seq, purr_loop_transitions(loop));
    return 0;
}

static int
body_value_records(purr_nursery *n, void *arg)
{
    return purr_spawn(n, "setter", t_value_records, arg);
}

static int
main_value_records(void *arg)
{
    return purr_nursery_run(body_value_records, arg);
}

Test(tap, value_records_carry_type_id_seq_time_task_and_bits)
{
    purr_loop *loop = purr_loop_new(NULL);
    cr_assert_not_null(loop);
    /* A few values first, so that ids are not small constants. */
    purr_value *pad[3];
    for (int i = 0; i < 3; i++)
        pad[i] =
            purr_value_new(loop, "pad", PURR_ROLE_INTERNAL, PURR_T_INT, NULL);
    V[0] = purr_value_new_bool(loop, "b", PURR_ROLE_OUTPUT);
    V[1] = purr_value_new(loop, "i", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
    V[2] = purr_value_new(loop, "d", PURR_ROLE_OUTPUT, PURR_T_DOUBLE, NULL);
    V[3] = purr_value_new(loop, "n", PURR_ROLE_OUTPUT, PURR_T_NIL, NULL);
    cr_assert_eq(purr_value_id(V[3]), 7);
    tapper_init(&T, PURR_EV_BIT(PURR_EV_VALUE_SET), CAP_BIG, 1, FULL_SWAP);
    T.log = false;
    purr_assert_ok(purr_loop_tap(loop, &T.tap));
    purr_assert_ok(purr_run(loop, "main", main_value_records, NULL));
    cr_assert_eq(T.nfull, 0);
    check_untouched(&T);
    purr_assert_ok(purr_loop_tap(loop, NULL));
    for (int i = 0; i < 4; i++)
        purr_value_free(V[i]);
    for (int i = 0; i < 3; i++)
        purr_value_free(pad[i]);
    purr_assert_ok(purr_loop_close(loop));
}

/* The last slow trace, checked against what was just set. */
static void
assert_slow(purr_value *v, const purr_datum *now, const purr_datum *before,
            size_t nslow)
{
    cr_assert_eq(T.nslow, nslow, "slow() called %zu times, want %zu", T.nslow,
                 nslow);
    cr_assert_gt(L.n, 0);
    const entry *e = &L.e[L.n - 1];
    char want[48], want_old[48];
    purr_datum_format(now, want, sizeof want);
    purr_datum_format(before, want_old, sizeof want_old);
    cr_assert_eq(e->src, FROM_SLOW);
    cr_assert_eq(e->kind, PURR_EV_VALUE_SET);
    cr_assert_eq(e->value, v);
    cr_assert_str_eq(e->text, want);
    cr_assert_str_eq(e->old_text, want_old);
    cr_assert_eq(e->value_seq, purr_loop_transitions(purr_value_loop(v)));
    cr_assert_eq(e->time_ns, purr_now());
    cr_assert_eq(e->task, purr_task_current());
    cr_assert_eq(e->task_id, purr_task_id(purr_task_current()));
    cr_assert_eq(e->nursery, purr_task_nursery(purr_task_current()));
    cr_assert_eq(e->parent_task_id, 1);
    if (L.n > 1)
        cr_assert_gt(e->seq, L.e[L.n - 2].seq, "event seqs increase");
    else
        cr_assert_gt(e->seq, 0);
}

/* Sets d on v, which must go to slow() (checked against the datum it had
 * before), never to the buffer. */
static void
set_slow(purr_value *v, purr_datum d)
{
    purr_datum before = purr_datum_copy(purr_value_peek(v));
    size_t n = T.tap.n, nslow = T.nslow;
    cr_assert_eq(purr_value_set(v, &d), 1);
    cr_assert_eq(T.tap.n, n, "appended to the buffer");
    assert_slow(v, &d, &before, nslow + 1);
    purr_datum_free(&before);
    purr_datum_free(&d);
}

/* Sets d on v, which must make one record. */
static void
set_fast(purr_value *v, purr_datum d)
{
    size_t n = T.tap.n, nslow = T.nslow;
    cr_assert_eq(purr_value_set(v, &d), 1);
    cr_assert_eq(T.tap.n, n + 1, "no record appended");
    cr_assert_eq(T.nslow, nslow, "slow() called");
    cr_assert_eq(T.tap.buf[n].aux, (uint32_t)purr_value_id(v));
    purr_datum_free(&d);
}

static int
t_slow_path(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    purr_value *s =
        purr_value_new(loop, "s", PURR_ROLE_OUTPUT, PURR_T_STRING, NULL);
    purr_value *by =
        purr_value_new(loop, "by", PURR_ROLE_OUTPUT, PURR_T_BYTES, NULL);
    purr_value *tu =
        purr_value_new(loop, "tu", PURR_ROLE_OUTPUT, PURR_T_TUPLE, NULL);
    purr_value *n =
        purr_value_new(loop, "n", PURR_ROLE_OUTPUT, PURR_T_NIL, NULL);
    purr_value *old = V[0]; /* created before the tap was installed */
    purr_datum items[2] = {purr_datum_int(1), purr_datum_bool(true)};

    /* Strings, bytes and tuples: slow() every time, never the buffer. */
    for (int round = 0; round < 3; round++) {
        purr_assert_ok(purr_sleep(PURR_MS));
        char text[8] = {(char)('a' + round), 0};
        set_slow(s, purr_datum_string(text));
        set_slow(by, purr_datum_bytes(text, 2));
        items[0] = purr_datum_int(round);
        set_slow(tu, purr_datum_tuple(items, 2));
    }
    /* A scalar value: its first transition is slow, then records. */
    set_slow(old, purr_datum_int(5));
    set_fast(old, purr_datum_int(6));
    /* Any-typed: first slow, a string slow, a scalar after that fast. */
    set_slow(n, purr_datum_int(1));
    set_slow(n, purr_datum_string("x"));
    set_fast(n, purr_datum_int(2));
    set_fast(n, purr_datum_nil());
    /* A value created while the tap is on: its first set is slow too. */
    purr_value *late =
        purr_value_new(loop, "late", PURR_ROLE_OUTPUT, PURR_T_DOUBLE, NULL);
    set_slow(late, purr_datum_double(0.5));
    set_fast(late, purr_datum_double(-0.5));
    /* The empty string after "c": still slow. */
    set_slow(s, purr_datum_string(""));
    purr_value_free(late);
    purr_value_free(n);
    purr_value_free(tu);
    purr_value_free(by);
    purr_value_free(s);
    return 0;
}

static int
body_slow_path(purr_nursery *n, void *arg)
{
    return purr_spawn(n, "slowpoke", t_slow_path, arg);
}

static int
main_slow_path(void *arg)
{
    return purr_nursery_run(body_slow_path, arg);
}

Test(tap, strings_bytes_tuples_and_first_sets_take_the_slow_path)
{
    memset(&L, 0, sizeof L);
    purr_loop *loop = purr_loop_new(NULL);
    cr_assert_not_null(loop);
    V[0] = purr_value_new(loop, "old", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
    purr_value_set_int(V[0], 4); /* before the tap: no trace */
    tapper_init(&T, PURR_EV_BIT(PURR_EV_VALUE_SET), CAP_BIG, 1, FULL_SWAP);
    purr_assert_ok(purr_loop_tap(loop, &T.tap));
    purr_assert_ok(purr_run(loop, "main", main_slow_path, NULL));
    cr_assert_eq(T.nslow, 14);
    cr_assert_eq(T.tap.n, 4, "records: old, n twice, late");
    purr_assert_ok(purr_loop_tap(loop, NULL));
    purr_value_free(V[0]);
    purr_assert_ok(purr_loop_close(loop));
}

/* ---------------------------------------------------------------------- */
/* Installing and removing                                                 */
/* ---------------------------------------------------------------------- */

static int
t_remove(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    purr_value *v =
        purr_value_new(loop, "v", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
    purr_value_set_int(v, 1);           /* slow */
    purr_value_set_int(v, 2);           /* a record */
    purr_assert_ok(purr_sleep(PURR_S)); /* BLOCKED and WOKEN */
    cr_assert_eq(T.tap.n, 3);
    cr_assert_eq(T.nslow, 1);
    size_t nobs = L.n;
    cr_assert_gt(nobs, 0);

    purr_assert_ok(purr_loop_tap(loop, NULL));
    /* The next append would call full(): none may happen. */
    T.tap.cap = T.tap.n + 1;
    purr_value_set_int(v, 3);
    purr_value_set_string(V[0], "not yet met");
    purr_assert_ok(purr_sleep(PURR_S));
    cr_assert_eq(T.tap.n, 3, "appended after removal");
    cr_assert_eq(T.nslow, 1, "slow() after removal");
    cr_assert_eq(T.nfull, 0);
    check_untouched(&T);
    /* The observer still gets its events, numbered on from before. */
    cr_assert_eq(L.n, nobs + 4, "set, set, BLOCKED, WOKEN: %zu", L.n - nobs);
    for (size_t i = nobs; i < L.n; i++)
        cr_assert_eq(L.e[i].seq, L.e[i - 1].seq + 1);
    /* Removing when nothing is installed is fine. */
    purr_assert_ok(purr_loop_tap(loop, NULL));
    purr_value_free(v);
    return 0;
}

Test(tap, removed_tap_gets_nothing_more)
{
    memset(&L, 0, sizeof L);
    purr_loop *loop = purr_loop_new(NULL);
    cr_assert_not_null(loop);
    V[0] = purr_value_new(loop, "str", PURR_ROLE_OUTPUT, PURR_T_STRING, NULL);
    tapper_init(&T, TAPPED, CAP_BIG, 1, FULL_SWAP);
    T.log = false;
    purr_assert_ok(purr_loop_tap(loop, &T.tap));
    purr_assert_ok(purr_loop_observe(loop, TAPPED, observe, NULL));
    purr_assert_ok(purr_run(loop, "main", t_remove, NULL));
    purr_value_free(V[0]);
    purr_assert_ok(purr_loop_close(loop));
}

static int
t_ebusy(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    purr_value *v =
        purr_value_new(loop, "v", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
    purr_value_set_int(v, 1); /* slow in T */
    purr_value_set_int(v, 2); /* a record in T */
    cr_assert_eq(T.nslow, 1);
    cr_assert_eq(T.tap.n, 1);

    purr_assert_err(purr_loop_tap(loop, &T2.tap), PURR_EBUSY);
    /* The refused call changed nothing: T still has the value met (no
     * second slow()), and still gets the task events; T2 gets nothing. */
    purr_value_set_int(v, 3);
    purr_assert_ok(purr_sleep(PURR_S));
    cr_assert_eq(T.nslow, 1);
    cr_assert_eq(T.tap.n, 4, "set, BLOCKED, WOKEN");
    cr_assert_eq(T.tap.buf[3].kind, PURR_EV_TASK_WOKEN);
    cr_assert_eq(T2.tap.n, 0);
    cr_assert_eq(T2.nslow + T2.nfull, 0);

    /* Once T is removed, T2 can be installed, and meets v afresh. */
    purr_assert_ok(purr_loop_tap(loop, NULL));
    purr_assert_ok(purr_loop_tap(loop, &T2.tap));
    purr_assert_err(purr_loop_tap(loop, &T.tap), PURR_EBUSY);
    purr_value_set_int(v, 4);
    purr_value_set_int(v, 5);
    cr_assert_eq(T2.nslow, 1);
    cr_assert_eq(T2.tap.n, 1);
    cr_assert_eq(T2.tap.buf[0].arg, 5);
    cr_assert_eq(T.tap.n, 4);
    cr_assert_eq(T.nslow, 1);
    purr_assert_ok(purr_loop_tap(loop, NULL));
    purr_value_free(v);
    return 0;
}

Test(tap, second_tap_is_ebusy_and_changes_nothing)
{
    purr_loop *loop = purr_loop_new(NULL);
    cr_assert_not_null(loop);
    tapper_init(&T, TAPPED, CAP_BIG, 1, FULL_SWAP);
    tapper_init(&T2, TAPPED, CAP_BIG, 1, FULL_SWAP);
    T.log = T2.log = false;
    purr_assert_ok(purr_loop_tap(loop, &T.tap));
    purr_assert_ok(purr_run(loop, "main", t_ebusy, NULL));
    purr_assert_ok(purr_loop_close(loop));
}

static int
t_epoch(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    purr_value *a = V[0], *b = V[1];
    purr_value *c =
        purr_value_new(loop, "c", PURR_ROLE_OUTPUT, PURR_T_BOOL, NULL);
    size_t nslow = 0, n = 0;
    for (int round = 0; round < 3; round++) {
        /* Each value's first set after (re-)installing: slow. */
        purr_value_set_int(a, round * 10 + 1);
        purr_value_set_double(b, round * 10 + 1.5);
        purr_value_set_bool(c, !purr_datum_as_bool(purr_value_peek(c)));
        nslow += 3;
        cr_assert_eq(T.nslow, nslow, "round %d", round);
        cr_assert_eq(T.tap.n, n, "round %d", round);
        /* Then records. */
        purr_value_set_int(a, round * 10 + 2);
        purr_value_set_double(b, round * 10 + 2.5);
        purr_value_set_bool(c, !purr_datum_as_bool(purr_value_peek(c)));
        n += 3;
        cr_assert_eq(T.nslow, nslow, "round %d", round);
        cr_assert_eq(T.tap.n, n, "round %d", round);
        if (round == 0) {
            /* Installing the same tap again starts a new epoch. */
            purr_assert_ok(purr_loop_tap(loop, &T.tap));
        } else if (round == 1) {
            /* So do removing and installing. */
            purr_assert_ok(purr_loop_tap(loop, NULL));
            purr_assert_ok(purr_loop_tap(loop, &T.tap));
        }
    }
    purr_value_free(c);
    return 0;
}

Test(tap, reinstalling_starts_a_new_epoch)
{
    purr_loop *loop = purr_loop_new(NULL);
    cr_assert_not_null(loop);
    V[0] = purr_value_new(loop, "a", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
    V[1] = purr_value_new(loop, "b", PURR_ROLE_OUTPUT, PURR_T_DOUBLE, NULL);
    tapper_init(&T, PURR_EV_BIT(PURR_EV_VALUE_SET), CAP_BIG, 1, FULL_SWAP);
    T.log = false;
    purr_assert_ok(purr_loop_tap(loop, &T.tap));
    purr_assert_ok(purr_run(loop, "main", t_epoch, NULL));
    purr_assert_ok(purr_loop_tap(loop, NULL));
    purr_value_free(V[0]);
    purr_value_free(V[1]);
    purr_assert_ok(purr_loop_close(loop));
}

static int
t_observers_change(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_current();
    purr_value *v =
        purr_value_new(loop, "v", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
    purr_value_set_int(v, 1); /* slow */
    /* Observers come and go; the tap keeps getting its kinds. */
    purr_assert_ok(
        purr_loop_observe(loop, PURR_EV_BIT(PURR_EV_TASK_ENDED), ignore, NULL));
    purr_assert_ok(purr_loop_observe(loop, 0, ignore, NULL));
    purr_value_set_int(v, 2);
    purr_assert_ok(purr_sleep(PURR_S));
    cr_assert_eq(T.tap.n, 3, "set, BLOCKED, WOKEN: got %zu", T.tap.n);
    cr_assert_eq(T.tap.buf[0].kind, PURR_EV_VALUE_SET);
    cr_assert_eq(T.tap.buf[1].kind, PURR_EV_TASK_BLOCKED);
    cr_assert_eq(T.tap.buf[2].kind, PURR_EV_TASK_WOKEN);
    /* An observer of the same kinds gets them too, with the same seq. */
    purr_assert_ok(purr_loop_observe(loop, TAPPED, observe, NULL));
    purr_value_set_int(v, 3);
    purr_assert_ok(purr_sleep(PURR_S));
    cr_assert_eq(T.tap.n, 6);
    cr_assert_eq(L.n, 3);
    cr_assert_eq(L.e[0].kind, PURR_EV_VALUE_SET);
    cr_assert_eq(L.e[0].value_seq, T.tap.buf[3].seq);
    cr_assert_eq(L.e[0].bits, T.tap.buf[3].arg);
    for (int i = 1; i < 3; i++) {
        cr_assert_eq(L.e[i].kind, T.tap.buf[3 + i].kind);
        cr_assert_eq(L.e[i].seq, T.tap.buf[3 + i].seq);
        cr_assert_eq(L.e[i].time_ns, T.tap.buf[3 + i].time_ns);
        cr_assert_eq(L.e[i].task_id, T.tap.buf[3 + i].task_id);
    }
    cr_assert_eq(L.e[2].seq, L.e[1].seq + 1, "BLOCKED then WOKEN");
    purr_assert_ok(purr_loop_observe(loop, 0, observe, NULL));
    purr_value_free(v);
    return 0;
}

Test(tap, stays_on_while_observers_come_and_go)
{
    memset(&L, 0, sizeof L);
    purr_loop *loop = purr_loop_new(NULL);
    cr_assert_not_null(loop);
    tapper_init(&T, TAPPED, CAP_BIG, 1, FULL_SWAP);
    T.log = false;
    purr_assert_ok(purr_loop_tap(loop, &T.tap));
    purr_assert_ok(purr_run(loop, "main", t_observers_change, NULL));
    purr_assert_ok(purr_loop_tap(loop, NULL));
    purr_assert_ok(purr_loop_close(loop));
}

Test(tap, mask_beyond_the_three_kinds_is_refused)
{
    purr_loop *loop = purr_loop_new(NULL);
    purr_tap_rec buf[4];
    purr_tap t = {.mask = PURR_EV_TASK | PURR_EV_VALUE, .buf = buf, .cap = 4};
    cr_assert_eq(purr_loop_tap(loop, &t), PURR_EINVAL);
    t.mask = PURR_EV_BIT(PURR_EV_TASK_SPAWNED);
    cr_assert_eq(purr_loop_tap(loop, &t), PURR_EINVAL);
    t.mask = PURR_EV_BIT(PURR_EV_VALUE_CREATED);
    cr_assert_eq(purr_loop_tap(loop, &t), PURR_EINVAL);
    t.mask = PURR_EV_BIT(PURR_EV_TASK_WOKEN) | PURR_EV_BIT(PURR_EV_VALUE_SET);
    cr_assert_eq(purr_loop_tap(loop, &t), 0);
    cr_assert_eq(purr_loop_tap(loop, NULL), 0);
    cr_assert_eq(purr_loop_close(loop), 0);
}
