/* determinism.c - running a scene twice and comparing the transitions,
 * instant by instant.
 *
 * The first run (A) is kept in memory as records (value, virtual time,
 * exact payload bytes from purr_datum_encode). The second run (B) is
 * buffered one virtual instant at a time: when its clock moves on, or the
 * run ends, that instant is compared with A's instant at the same time, and
 * the first difference is kept as text. So memory holds all of A but only
 * one instant of B.
 *
 * What must match is what a behaviour can be judged by, the same view the
 * scene's expectations take: the instants in which something happens, and
 * in each of them every value's own sequence of transitions (payload bytes,
 * in order). Equal sequences imply equal state at the end of every instant.
 * Transitions of different values within an instant may interleave in any
 * order, because that order is the scheduler's (which of several tasks
 * woken together runs first), not the behaviour's. When both runs use the
 * same schedule (both FIFO, or both shuffled with the same seed) the
 * interleaving must match too, so two plain runs are compared exactly,
 * transition by transition, and anything nondeterministic (a wall clock, an
 * order by address) shows up.
 *
 * Values are told apart by name. Names get small ids in the order they are
 * first seen, and everything that is sorted is sorted by (id, position),
 * never by address, so the report is the same on every machine. Both runs
 * observe only value transitions, so the check changes nothing in them.
 */
#include "sim_int.h"

#include <stdlib.h>
#include <string.h>

#define NONE SIZE_MAX

/* ---------------------------------------------------------------------- */
/* Records                                                                 */
/* ---------------------------------------------------------------------- */

/* One transition, as compared. */
typedef struct record {
    uint32_t id; /* the value's name, as an index into stream.names */
    purr_time time_ns;
    size_t off, len; /* payload bytes in the run's arena */
} record;

/* A run's transitions: all of A, or B's current instant. */
typedef struct run {
    record *recs; /* in the order the run made them */
    size_t count, cap;
    uint8_t *arena; /* payload bytes */
    size_t used, arena_cap;
} run;

/* A value's name and what is known of its state, for the report. */
typedef struct name {
    char *text;       /* owned */
    uint8_t *initial; /* the old payload of its first transition seen
                         (either run), i.e. its value at creation; owned;
                         NULL until then */
    size_t initial_len;
    size_t last_a; /* index in A of its last transition in the instants
                      compared so far, or NONE */
} name;

/* Two runs being compared. While collecting A, only a is filled; while
 * running B, b holds B's current instant (all at time b_time_ns) and apos
 * is where A's next uncompared instant starts. */
typedef struct stream {
    run a, b;
    name *names;         /* ids index this; in order of first sight */
    uint32_t name_count; /* entries in names */
    bool comparing;      /* running B */
    bool strict;         /* same schedule: the interleaving must match too */
    purr_time b_time_ns; /* time of B's buffered instant */
    size_t apos;         /* A's records before it are compared */
    uint64_t count_b;    /* B's transitions seen */
    purr_sim_divergence *out; /* the caller's; filled as B is compared */
    struct slot *slots;       /* scratch for sorting an instant */
    size_t slot_cap;          /* slots allocated */
} stream;

/* The id of the value named text, adding the name when it is new. */
static uint32_t
intern(stream *st, const char *text)
{
    for (uint32_t i = st->name_count; i-- > 0;)
        if (strcmp(st->names[i].text, text) == 0)
            return i;
    st->names =
        purr__sim_realloc(st->names, (st->name_count + 1) * sizeof *st->names);
    st->names[st->name_count] = (name){purr__sim_strdup(text), NULL, 0, NONE};
    return st->name_count++;
}

/* Appends d's encoding to r as a record of id at time_ns. */
static void
run_push(run *r, uint32_t id, purr_time time_ns, const purr_datum *d)
{
    size_t len = purr_datum_encode(d, NULL, 0);
    if (r->used + len > r->arena_cap) {
        r->arena_cap = (r->arena_cap + len) * 2;
        r->arena = purr__sim_realloc(r->arena, r->arena_cap);
    }
    purr_datum_encode(d, r->arena + r->used, len);
    if (r->count == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->recs = purr__sim_realloc(r->recs, r->cap * sizeof *r->recs);
    }
    r->recs[r->count++] = (record){id, time_ns, r->used, len};
    r->used += len;
}

static void
run_free(run *r)
{
    free(r->recs);
    free(r->arena);
}

/* ---------------------------------------------------------------------- */
/* Describing a difference                                                 */
/* ---------------------------------------------------------------------- */

/* Appends the text form of the len payload bytes at p to buf (holding
 * *used of cap bytes, NUL-terminated); truncates silently. */
static void
append_payload(char *buf, size_t cap, size_t *used, const uint8_t *p,
               size_t len)
{
    purr_datum d;
    if (!p || purr_datum_decode(p, len, &d) < 0)
        d = purr_datum_nil();
    if (*used < cap)
        *used += purr_datum_format(&d, buf + *used, cap - *used);
    if (*used >= cap)
        *used = cap - 1;
    purr_datum_free(&d);
}

static void
append_text(char *buf, size_t cap, size_t *used, const char *text)
{
    int n = snprintf(buf + *used, cap - *used, "%s", text);
    *used += n < 0 ? 0 : (size_t)n;
    if (*used >= cap)
        *used = cap - 1;
}

/* Describes what one run had for value id in an instant, given its k
 * transitions there as the records r->recs[idx[0..k)], in order: the state
 * at the end of the instant, with the transitions when there are not
 * exactly one: "\"happy\"", "\"b\" (2 transitions: \"a\", then
 * \"b\")", or "\"sleepy\" (no transition)". The state before the instant
 * is the same in both runs (every earlier instant agreed), so with no
 * transition it is taken from A or from the value's initial payload. */
static void
describe_value(const stream *st, uint32_t id, const run *r, const size_t *idx,
               size_t k, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    if (k == 0) {
        const name *nm = &st->names[id];
        if (nm->last_a != NONE) {
            const record *last = &st->a.recs[nm->last_a];
            append_payload(buf, cap, &used, st->a.arena + last->off, last->len);
            append_text(buf, cap, &used, " ");
        } else if (nm->initial) {
            append_payload(buf, cap, &used, nm->initial, nm->initial_len);
            append_text(buf, cap, &used, " ");
        }
        append_text(buf, cap, &used, "(no transition)");
        return;
    }
    const record *end = &r->recs[idx[k - 1]];
    append_payload(buf, cap, &used, r->arena + end->off, end->len);
    if (k == 1)
        return;
    char head[48];
    snprintf(head, sizeof head, " (%zu transitions: ", k);
    append_text(buf, cap, &used, head);
    for (size_t i = 0; i < k; i++) {
        if (used + 8 >= cap) {
            /* Leave room to close the list readably. */
            used = cap > 8 ? cap - 8 : 0;
            buf[used] = '\0';
            append_text(buf, cap, &used, "...)");
            return;
        }
        if (i > 0)
            append_text(buf, cap, &used, ", then ");
        const record *rec = &r->recs[idx[i]];
        append_payload(buf, cap, &used, r->arena + rec->off, rec->len);
    }
    append_text(buf, cap, &used, ")");
}

/* Describes the transitions recs[from..n) of an instant in their order,
 * "mood = \"happy\", sound = \"purr\"", for an order-only difference. */
static void
describe_order(const stream *st, const run *r, const record *recs, size_t from,
               size_t n, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = from; i < n; i++) {
        if (used + 8 >= cap) {
            used = cap > 8 ? cap - 8 : 0;
            buf[used] = '\0';
            append_text(buf, cap, &used, ", ...");
            return;
        }
        if (i > from)
            append_text(buf, cap, &used, ", ");
        append_text(buf, cap, &used, st->names[recs[i].id].text);
        append_text(buf, cap, &used, " = ");
        append_payload(buf, cap, &used, r->arena + recs[i].off, recs[i].len);
    }
}

/* ---------------------------------------------------------------------- */
/* Comparing an instant                                                    */
/* ---------------------------------------------------------------------- */

/* A transition's place in an instant, sorted by (id, pos): each value's
 * transitions become a contiguous run, still in the order they were made.
 * The keys are unique, so the sort is deterministic. */
typedef struct slot {
    uint32_t id;
    size_t pos; /* index in the run's records */
} slot;

static int
slot_cmp(const void *x, const void *y)
{
    const slot *a = x, *b = y;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Sorts the n records of r from `from` into s by (id, pos). */
static void
sort_slots(slot *s, const run *r, size_t from, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s[i] = (slot){r->recs[from + i].id, from + i};
    qsort(s, n, sizeof *s, slot_cmp);
}

static bool
same_payload(const run *ra, const record *x, const run *rb, const record *y)
{
    return x->len == y->len &&
           memcmp(ra->arena + x->off, rb->arena + y->off, x->len) == 0;
}

/* Compares A's records [a0, a0+na) with B's buffered records [0, nb), all
 * at time_ns (either side may be empty: an instant the other run lacks).
 * On a difference fills st->out and returns false. Of several values that
 * differ, the one reported is the one whose first transition comes first
 * in A's instant (then in B's), so the report does not depend on names. */
static bool
compare_instant(stream *st, purr_time time_ns, size_t a0, size_t na, size_t nb)
{
    if (na + nb > st->slot_cap) {
        st->slot_cap = 2 * (na + nb);
        st->slots =
            purr__sim_realloc(st->slots, st->slot_cap * sizeof *st->slots);
    }
    slot *sa = st->slots, *sb = st->slots + na;
    sort_slots(sa, &st->a, a0, na);
    sort_slots(sb, &st->b, 0, nb);

    /* Walk both by id; remember the earliest differing value. */
    size_t best_key = NONE, best_i = 0, best_j = 0, best_ka = 0, best_kb = 0;
    size_t i = 0, j = 0;
    while (i < na || j < nb) {
        uint32_t id = i == na               ? sb[j].id
                      : j == nb             ? sa[i].id
                      : sa[i].id < sb[j].id ? sa[i].id
                                            : sb[j].id;
        size_t i2 = i, j2 = j;
        while (i2 < na && sa[i2].id == id)
            i2++;
        while (j2 < nb && sb[j2].id == id)
            j2++;
        bool same = i2 - i == j2 - j;
        for (size_t k = 0; same && k < i2 - i; k++) {
            const record *x = &st->a.recs[sa[i + k].pos];
            const record *y = &st->b.recs[sb[j + k].pos];
            same = same_payload(&st->a, x, &st->b, y);
        }
        if (!same) {
            size_t key = i2 > i ? sa[i].pos - a0 : na + sb[j].pos;
            if (key < best_key) {
                best_key = key;
                best_i = i, best_ka = i2 - i;
                best_j = j, best_kb = j2 - j;
            }
        }
        i = i2, j = j2;
    }

    purr_sim_divergence *out = st->out;
    if (best_key != NONE) {
        uint32_t id = best_ka ? sa[best_i].id : sb[best_j].id;
        size_t *ia = purr__sim_calloc(best_ka + best_kb + 1, sizeof *ia);
        size_t *ib = ia + best_ka;
        for (size_t k = 0; k < best_ka; k++)
            ia[k] = sa[best_i + k].pos;
        for (size_t k = 0; k < best_kb; k++)
            ib[k] = sb[best_j + k].pos;
        out->differs = true;
        out->at_ns = time_ns;
        snprintf(out->value, sizeof out->value, "%s", st->names[id].text);
        describe_value(st, id, &st->a, ia, best_ka, out->a, sizeof out->a);
        describe_value(st, id, &st->b, ib, best_kb, out->b, sizeof out->b);
        free(ia);
        return false;
    }
    if (!st->strict)
        return true;
    /* Same schedule: every value agrees (so na == nb); so must the order. */
    const record *ra = st->a.recs + a0, *rb = st->b.recs;
    for (size_t k = 0; k < na; k++) {
        if (ra[k].id == rb[k].id)
            continue;
        out->differs = true;
        out->order_only = true;
        out->at_ns = time_ns;
        snprintf(out->value, sizeof out->value, "%s", st->names[ra[k].id].text);
        describe_order(st, &st->a, ra, k, na, out->a, sizeof out->a);
        describe_order(st, &st->b, rb, k, nb, out->b, sizeof out->b);
        return false;
    }
    return true;
}

/* Compares B's buffered instant (empty at the end of the run) with A's
 * instant at the same time, or reports the one that only one run has.
 * Then empties B's buffer. No effect once a difference is known. */
static void
close_instant(stream *st)
{
    size_t nb = st->b.count;
    if (!st->out->differs && (nb > 0 || st->apos < st->a.count)) {
        size_t a0 = st->apos, a1 = a0;
        purr_time ta = a0 < st->a.count ? st->a.recs[a0].time_ns : 0;
        while (a1 < st->a.count && st->a.recs[a1].time_ns == ta)
            a1++;
        bool ok;
        if (a0 < st->a.count && (nb == 0 || ta == st->b_time_ns))
            ok = compare_instant(st, ta, a0, a1 - a0, nb);
        else if (a0 < st->a.count && ta < st->b_time_ns)
            ok = compare_instant(st, ta, a0, a1 - a0, 0); /* B lacks it */
        else
            ok = compare_instant(st, st->b_time_ns, a0, 0, nb); /* A lacks */
        if (ok) {
            /* Agreed: A's instant is behind us. */
            for (size_t i = a0; i < a1; i++)
                st->names[st->a.recs[i].id].last_a = i;
            st->out->transitions += a1 - a0;
            st->apos = a1;
        }
    }
    st->b.count = st->b.used = 0;
}

/* ---------------------------------------------------------------------- */
/* Observing the runs                                                      */
/* ---------------------------------------------------------------------- */

static void
collect(const purr_trace *ev, void *ctx)
{
    stream *st = ctx;
    uint32_t id = intern(st, purr_value_name(ev->value));
    name *nm = &st->names[id];
    if (!nm->initial && ev->old_value) {
        nm->initial_len = purr_datum_encode(ev->old_value, NULL, 0);
        nm->initial = purr__sim_calloc(nm->initial_len + 1, 1);
        purr_datum_encode(ev->old_value, nm->initial, nm->initial_len);
    }
    if (!st->comparing) {
        run_push(&st->a, id, ev->time_ns, ev->new_value);
        return;
    }
    st->count_b++;
    if (st->out->differs)
        return;
    if (st->b.count > 0 && ev->time_ns != st->b_time_ns)
        close_instant(st);
    st->b_time_ns = ev->time_ns;
    run_push(&st->b, id, ev->time_ns, ev->new_value);
}

/* Runs the scene once with opts, feeding st. */
static int
run_once(const purr_scene *scene, const purr_sim_options *opts, stream *st,
         purr_diag *diag)
{
    purr_sim *sim = purr_sim_new(scene, opts);
    if (!sim)
        return PURR_ENOMEM;
    purr_loop_observe(purr_sim_loop(sim), PURR_EV_BIT(PURR_EV_VALUE_SET),
                      collect, st);
    int rc = purr_sim_run(sim, diag);
    purr_sim_free(sim);
    return rc;
}

/* Whether a and b run tasks in the same order (NULL: FIFO). */
static bool
same_schedule(const purr_sim_options *a, const purr_sim_options *b)
{
    bool sa = a && a->shuffle, sb = b && b->shuffle;
    return sa == sb && (!sa || a->shuffle_seed == b->shuffle_seed);
}

int
purr_sim_compare_runs(const purr_scene *scene, const purr_sim_options *a,
                      const purr_sim_options *b, purr_sim_divergence *out,
                      purr_diag *diag)
{
    stream st = {0};
    memset(out, 0, sizeof *out);
    st.out = out;
    st.strict = same_schedule(a, b);
    int rc = run_once(scene, a, &st, diag);
    if (rc >= 0) {
        st.comparing = true;
        rc = run_once(scene, b, &st, diag);
    }
    if (rc >= 0) {
        /* B's last instant; then any instant of A that B never reached
         * (compared with nothing, which reports it). */
        do
            close_instant(&st);
        while (!out->differs && st.apos < st.a.count);
        out->count_a = st.a.count;
        out->count_b = st.count_b;
    }
    for (uint32_t i = 0; i < st.name_count; i++) {
        free(st.names[i].text);
        free(st.names[i].initial);
    }
    free(st.names);
    free(st.slots);
    run_free(&st.a);
    run_free(&st.b);
    return rc;
}
