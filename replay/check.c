/* check.c - purr_replay_check: re-run a behaviour, compare every transition.
 *
 * The recording's transitions are loaded once into two flat arrays: the
 * inputs (decoded, to be set by the feeder task at their times) and the
 * expected non-input transitions (their payload bytes in one arena, to be
 * compared with memcmp). An observer on the replay loop maps each actual
 * value to the recorded value of the same name when it is created, and
 * compares each non-input transition with the next expected one: same
 * value, same time, same encoding. The first difference cancels the
 * replay's outer scope, so the run stops there and the report describes it.
 *
 * Invariant: c->pos expected transitions have matched, in order, and
 * nothing has differed while c->stopped is false.
 */
#include "replay_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* An expected (non-input) transition. */
typedef struct exp_row {
    uint64_t seq;            /* recorded seq */
    purr_time time_ns;       /* recorded time */
    uint32_t vidx;           /* index of its value in the recording */
    uint32_t len;            /* payload length */
    size_t off;              /* payload offset in the arena */
} exp_row;

/* An input transition to feed. */
typedef struct in_row {
    purr_time time_ns;       /* when to set it */
    uint32_t vidx;           /* its value's index in the recording */
    purr_datum d;            /* the datum (owned) */
} in_row;

typedef struct check {
    purr_recording *rec;             /* the recording (borrowed) */
    const purr_replay_target *target;
    purr_replay_report *rep;         /* filled as the replay goes */
    purr_loop *loop;                 /* the replay loop */

    exp_row *exp;                    /* expected transitions, seq order */
    size_t nexp, exp_cap;
    uint8_t *arena;                  /* their payloads */
    size_t arena_len, arena_cap;
    in_row *in;                      /* inputs, seq order */
    size_t nin, in_cap;

    purr_value **by_vidx;            /* actual value per recorded value */
    int32_t *vidx_by_id;             /* recorded index per actual value id
                                        (-1: not in the recording) */
    size_t vidx_cap;

    size_t pos;                      /* expected transitions matched */
    bool stopped;                    /* a difference was found */
    int feed_err;                    /* the feeder's failure, diag set */
    purr_scope scope;                /* the run's outer scope */
    uint8_t *scratch;                /* encoding buffer */
    size_t scratch_cap;
} check;

/* ---------------------------------------------------------------------- */
/* Loading the recording                                                   */
/* ---------------------------------------------------------------------- */

static void *
xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q) {
        fprintf(stderr, "purr: out of memory allocating %zu bytes\n", size);
        abort();
    }
    return q;
}

static int
load(check *c)
{
    purr_recording_iter it;
    purr_diag diag;
    int rc;
    const purr_recorded_value *v0 = purr_recording_value_at(c->rec, 0);

    if ((rc = purr_recording_iter_open(&it, c->rec)) < 0) {
        snprintf(c->rep->diag.file, sizeof c->rep->diag.file, "%s",
                 c->rep->file);
        snprintf(c->rep->diag.message, sizeof c->rep->diag.message,
                 "cannot read the transitions");
        return rc;
    }
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0) {
        uint32_t vidx = (uint32_t)(it.value - v0);
        if (it.value->role == PURR_ROLE_INPUT) {
            if (c->nin == c->in_cap) {
                c->in_cap = c->in_cap ? c->in_cap * 2 : 256;
                c->in = xrealloc(c->in, c->in_cap * sizeof *c->in);
            }
            /* Move the decoded datum out of the iterator. */
            c->in[c->nin++] = (in_row){it.time_ns, vidx, it.datum};
            it.datum = purr_datum_nil();
            continue;
        }
        if (c->nexp == c->exp_cap) {
            c->exp_cap = c->exp_cap ? c->exp_cap * 2 : 1024;
            c->exp = xrealloc(c->exp, c->exp_cap * sizeof *c->exp);
        }
        if (c->arena_len + it.payload_len > c->arena_cap) {
            size_t cap = c->arena_cap ? c->arena_cap * 2 : 65536;
            while (cap < c->arena_len + it.payload_len)
                cap *= 2;
            c->arena = xrealloc(c->arena, cap);
            c->arena_cap = cap;
        }
        memcpy(c->arena + c->arena_len, it.payload, it.payload_len);
        c->exp[c->nexp++] = (exp_row){it.seq, it.time_ns, vidx,
                                      (uint32_t)it.payload_len,
                                      c->arena_len};
        c->arena_len += it.payload_len;
    }
    purr_recording_iter_close(&it);
    if (rc != PURR_ECLOSED) {
        c->rep->diag = diag;
        return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Comparing                                                               */
/* ---------------------------------------------------------------------- */

/* Fills row with expected transition e. */
static void
expected_row(check *c, purr_replay_row *row, const exp_row *e)
{
    purr_datum d;
    const purr_recorded_value *v = purr_recording_value_at(c->rec, e->vidx);
    if (purr_datum_decode(c->arena + e->off, e->len, &d) < 0)
        d = purr_datum_nil(); /* decoded once already by the reader */
    purr__replay_row_set(row, e->seq, e->time_ns, v->name, &d);
    purr_datum_free(&d);
}

/* Ends the replay at the current transition. */
static void
stop(check *c, purr_replay_outcome outcome)
{
    c->stopped = true;
    c->rep->outcome = outcome;
    purr_scope_cancel(&c->scope);
}

/* Makes room for actual value id in the maps. */
static void
map_reserve(check *c, uint64_t id)
{
    if (id < c->vidx_cap)
        return;
    size_t cap = c->vidx_cap ? c->vidx_cap * 2 : 64;
    while (cap <= id)
        cap *= 2;
    c->vidx_by_id = xrealloc(c->vidx_by_id, cap * sizeof *c->vidx_by_id);
    for (size_t i = c->vidx_cap; i < cap; i++)
        c->vidx_by_id[i] = -1;
    c->vidx_cap = cap;
}

static void
observe(const purr_trace *ev, void *ctx)
{
    check *c = ctx;
    purr_value *v = ev->value;
    uint64_t id = purr_value_id(v);

    if (ev->kind == PURR_EV_VALUE_CREATED) {
        const purr_recorded_value *rv =
            purr_recording_value_find(c->rec, purr_value_name(v));
        map_reserve(c, id);
        if (rv) {
            int32_t vidx =
                (int32_t)(rv - purr_recording_value_at(c->rec, 0));
            c->vidx_by_id[id] = vidx;
            c->by_vidx[vidx] = v;
        }
        return;
    }
    if (c->stopped)
        return;
    if (purr_value_role(v) == PURR_ROLE_INPUT) {
        c->rep->inputs++;
        return;
    }

    int32_t vidx = id < c->vidx_cap ? c->vidx_by_id[id] : -1;
    size_t n = purr_datum_encode(ev->new_value, c->scratch, c->scratch_cap);
    if (n > c->scratch_cap) {
        c->scratch_cap = n + 256;
        c->scratch = xrealloc(c->scratch, c->scratch_cap);
        purr_datum_encode(ev->new_value, c->scratch, c->scratch_cap);
    }
    if (c->pos < c->nexp) {
        const exp_row *e = &c->exp[c->pos];
        if ((int64_t)e->vidx == vidx && e->time_ns == ev->time_ns &&
            e->len == n && memcmp(c->arena + e->off, c->scratch, n) == 0) {
            c->pos++;
            return;
        }
        c->rep->has_expected = true;
        expected_row(c, &c->rep->expected_row, e);
        stop(c, PURR_REPLAY_DIFFERENT);
    } else {
        stop(c, PURR_REPLAY_EXTRA);
    }
    c->rep->has_actual = true;
    purr__replay_row_set(&c->rep->actual_row, 0, ev->time_ns,
                         purr_value_name(v), ev->new_value);
}

/* ---------------------------------------------------------------------- */
/* Running                                                                 */
/* ---------------------------------------------------------------------- */

/* The feeder task: sets each recorded input at its recorded time. */
static int
feeder(void *arg)
{
    check *c = arg;
    int rc;
    for (size_t i = 0; i < c->nin; i++) {
        const in_row *in = &c->in[i];
        if (in->time_ns > purr_now() &&
            (rc = purr_sleep_until(in->time_ns)) < 0)
            return rc;
        purr_value *v = c->by_vidx[in->vidx];
        const char *name = purr_recording_value_at(c->rec, in->vidx)->name;
        if (!v) {
            snprintf(c->rep->diag.message, sizeof c->rep->diag.message,
                     "input value %s was not created by the behaviour's "
                     "setup",
                     name);
            return c->feed_err = PURR_EFORMAT;
        }
        if ((rc = purr_value_set(v, &in->d)) < 0) {
            snprintf(c->rep->diag.message, sizeof c->rep->diag.message,
                     "input value %s: cannot set the recorded %s datum: %s",
                     name, purr_type_name((purr_type)in->d.type),
                     purr_strerror(rc));
            return c->feed_err = rc;
        }
    }
    return 0;
}

static int
body(purr_nursery *n, void *arg)
{
    check *c = arg;
    int rc = purr_spawn(n, "purr-replay-feeder", feeder, c);
    if (rc < 0)
        return rc;
    return c->target->behaviour(n, c->target->arg);
}

static int
replay_main(void *arg)
{
    check *c = arg;
    purr_time deadline = c->target->deadline_ns;
    const char *end = purr_recording_meta(c->rec, "end_ns");
    if (deadline <= 0)
        deadline = end ? strtoll(end, NULL, 10) : PURR_TIME_NEVER;

    purr_scope_enter(&c->scope, deadline);
    int rc = 0;
    if (c->target->setup)
        rc = c->target->setup(c->loop, c->target->arg);
    if (rc == 0)
        rc = purr_nursery_run(body, c);
    purr_scope_exit(&c->scope);
    /* The deadline, or stop(), ends the run: that is not a failure. */
    if (rc == PURR_ECANCELED && c->scope.cancel_called)
        rc = 0;
    return rc;
}

static void
free_check(check *c)
{
    for (size_t i = 0; i < c->nin; i++)
        purr_datum_free(&c->in[i].d);
    free(c->in);
    free(c->exp);
    free(c->arena);
    free(c->by_vidx);
    free(c->vidx_by_id);
    free(c->scratch);
}

int
purr_replay_check(purr_recording *rec, const purr_replay_target *target,
                  purr_replay_report *rep)
{
    check c;
    int rc;

    memset(rep, 0, sizeof *rep);
    memset(&c, 0, sizeof c);
    snprintf(rep->file, sizeof rep->file, "%s", purr_recording_path(rec));
    c.rec = rec;
    c.target = target;
    c.rep = rep;
    c.by_vidx = calloc(purr_recording_value_count(rec) + 1,
                       sizeof *c.by_vidx);
    if (!c.by_vidx)
        return PURR_ENOMEM;

    if ((rc = load(&c)) < 0)
        goto error;
    rep->expected = c.nexp;

    const char *start = purr_recording_meta(rec, "start_ns");
    purr_loop_options lo = {.clock = PURR_CLOCK_VIRTUAL};
    if (start)
        lo.start_time = strtoll(start, NULL, 10);
    if (!(c.loop = purr_loop_new(&lo))) {
        rc = PURR_ENOMEM;
        goto error;
    }
    purr_loop_observe(c.loop, PURR_EV_BIT(PURR_EV_VALUE_SET) |
                                  PURR_EV_BIT(PURR_EV_VALUE_CREATED),
                      observe, &c);
    rep->run_status = rc = purr_run(c.loop, "purr-replay", replay_main, &c);
    if (target->teardown)
        target->teardown(target->arg);
    purr_loop_close(c.loop);
    if (c.feed_err) {
        rc = c.feed_err;
        goto error;
    }
    if (rc < 0 && !c.stopped) {
        snprintf(rep->diag.message, sizeof rep->diag.message,
                 "the replayed behaviour failed: %s", purr_err_name(rc));
        goto error;
    }

    if (!c.stopped && c.pos < c.nexp) {
        rep->outcome = PURR_REPLAY_MISSING;
        rep->has_expected = true;
        expected_row(&c, &rep->expected_row, &c.exp[c.pos]);
    }
    rep->matching = c.pos;
    rep->missing = c.nexp - c.pos;
    rep->extra = rep->has_actual ? 1 : 0;
    size_t first = c.pos > PURR_REPLAY_CONTEXT ? c.pos - PURR_REPLAY_CONTEXT
                                               : 0;
    for (size_t i = first; i < c.pos; i++)
        expected_row(&c, &rep->before[rep->nbefore++], &c.exp[i]);
    free_check(&c);
    return rep->outcome == PURR_REPLAY_IDENTICAL ? 0 : PURR_EDIVERGED;

error:
    rep->outcome = PURR_REPLAY_ERROR;
    snprintf(rep->diag.file, sizeof rep->diag.file, "%s", rep->file);
    free_check(&c);
    return rc;
}
