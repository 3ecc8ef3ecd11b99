/* determinism.c - running a scene twice and comparing the transition
 * streams.
 *
 * The first run's stream is kept in memory as records (value name, virtual
 * time, exact payload bytes from purr_datum_encode); the second run is
 * compared against it as it happens, and the first difference is kept as
 * text. A behaviour that reads the wall clock, or whose outputs depend on
 * the order tasks run in (compared under a shuffled schedule), shows up
 * here before it reaches CI. Both runs observe only value transitions, so
 * the check itself changes nothing in the runs.
 */
#include "sim_int.h"

#include <stdlib.h>
#include <string.h>

/* One transition, as compared. */
typedef struct record {
    const char *name; /* the value's name (interned in the stream) */
    purr_time time_ns;
    size_t off, len; /* payload bytes in the stream's arena */
} record;

typedef struct stream {
    record *recs; /* run A's transitions, in order */
    size_t count, cap;
    uint8_t *arena; /* payload bytes */
    size_t used, arena_cap;
    char **names; /* interned names, owned */
    size_t name_count;
    /* Comparing run B: */
    bool comparing;
    uint64_t pos; /* B's transitions seen */
    purr_sim_divergence *out;
    uint8_t scratch[256]; /* B's current payload when small */
} stream;

static const char *
intern(stream *st, const char *name)
{
    for (size_t i = st->name_count; i-- > 0;)
        if (strcmp(st->names[i], name) == 0)
            return st->names[i];
    st->names =
        purr__sim_realloc(st->names, (st->name_count + 1) * sizeof *st->names);
    return st->names[st->name_count++] = purr__sim_strdup(name);
}

/* "HH:MM:SS.mmm name = value" for a transition. */
static void
describe(purr_time t, const char *name, const purr_datum *d, char *buf,
         size_t cap)
{
    char when[32], text[160];
    purr_time_format(t, when, sizeof when);
    purr_datum_format(d, text, sizeof text);
    snprintf(buf, cap, "%s %s = %s", when, name, text);
}

static void
describe_record(const stream *st, const record *r, char *buf, size_t cap)
{
    purr_datum d;
    if (purr_datum_decode(st->arena + r->off, r->len, &d) < 0)
        d = purr_datum_nil();
    describe(r->time_ns, r->name, &d, buf, cap);
    purr_datum_free(&d);
}

static void
collect(const purr_trace *ev, void *ctx)
{
    stream *st = ctx;
    const char *name = purr_value_name(ev->value);
    size_t len = purr_datum_encode(ev->new_value, NULL, 0);
    if (!st->comparing) {
        if (st->used + len > st->arena_cap) {
            st->arena_cap = (st->arena_cap + len) * 2;
            st->arena = purr__sim_realloc(st->arena, st->arena_cap);
        }
        purr_datum_encode(ev->new_value, st->arena + st->used, len);
        if (st->count == st->cap) {
            st->cap = st->cap ? 2 * st->cap : 1024;
            st->recs = purr__sim_realloc(st->recs, st->cap * sizeof *st->recs);
        }
        st->recs[st->count++] =
            (record){intern(st, name), ev->time_ns, st->used, len};
        st->used += len;
        return;
    }
    uint64_t i = st->pos++;
    if (st->out->differs)
        return;
    bool same = false;
    if (i < st->count) {
        const record *r = &st->recs[i];
        uint8_t *buf = len <= sizeof st->scratch ? st->scratch : malloc(len);
        purr_datum_encode(ev->new_value, buf, len);
        same = r->time_ns == ev->time_ns && strcmp(r->name, name) == 0 &&
               r->len == len && memcmp(st->arena + r->off, buf, len) == 0;
        if (buf != st->scratch)
            free(buf);
        if (!same)
            describe_record(st, r, st->out->a, sizeof st->out->a);
    } else {
        snprintf(st->out->a, sizeof st->out->a, "(none: the run had ended)");
    }
    if (same)
        return;
    st->out->differs = true;
    st->out->transitions = i;
    describe(ev->time_ns, name, ev->new_value, st->out->b, sizeof st->out->b);
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

int
purr_sim_compare_runs(const purr_scene *scene, const purr_sim_options *a,
                      const purr_sim_options *b, purr_sim_divergence *out,
                      purr_diag *diag)
{
    stream st = {0};
    memset(out, 0, sizeof *out);
    st.out = out;
    int rc = run_once(scene, a, &st, diag);
    if (rc >= 0) {
        st.comparing = true;
        rc = run_once(scene, b, &st, diag);
    }
    if (rc >= 0) {
        out->count_a = st.count;
        out->count_b = st.pos;
        if (!out->differs && st.pos < st.count) {
            /* B ended early: the first transition it did not make. */
            out->differs = true;
            out->transitions = st.pos;
            describe_record(&st, &st.recs[st.pos], out->a, sizeof out->a);
            snprintf(out->b, sizeof out->b, "(none: the run had ended)");
        }
        if (!out->differs)
            out->transitions = st.count;
    }
    for (size_t i = 0; i < st.name_count; i++)
        free(st.names[i]);
    free(st.names);
    free(st.recs);
    free(st.arena);
    return rc;
}
