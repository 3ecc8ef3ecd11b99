/* expect.c - checking a scene's expectations while it runs.
 *
 * The checker is an observer of the loop's value transitions: it adds no
 * task and no checkpoint, so a scene's transition stream is the same with
 * or without expectations. It keeps a shadow copy of every value a
 * predicate reads (and a transition counter for count expectations), and
 * evaluates predicates on the state at the end of each virtual instant in
 * which one of those values changed: the instant is over when a transition
 * with a later time arrives, or when the run ends. Between two instants the
 * state is constant, so "always" and "never" are exact, and an eventually
 * window whose deadline falls between two instants failed at its deadline
 * with the state of the earlier one, which is what the report shows.
 *
 * Invariants: now_ns is the time of the last transition seen (0 before the
 * first); dirty is set when a watched value changed at now_ns and the
 * instant has not been evaluated yet; a pending eventually window has
 * deadline_ns >= now_ns (advance() fails it otherwise).
 */
#include "sim_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A predicate bound to the run: names resolved to shadow slots, literals
 * converted to the value's type. */
typedef struct cpred {
    const purr_pred_spec *spec; /* borrowed from the scene */
    size_t ref;                 /* TRUTHY, CMP: index in refs */
    purr_datum lit;             /* CMP: the literal, typed (owned) */
    struct cpred *items;        /* ALL, ANY, NOT */
    size_t count;
} cpred;

/* A watched value. */
typedef struct ref {
    purr_value *v;        /* borrowed from the sim */
    purr_datum cur;       /* shadow copy of its current datum (owned) */
    uint64_t transitions; /* seen since the start */
} ref;

typedef struct cexpect {
    const purr_expect_spec *spec; /* borrowed */
    cpred pred;                   /* always/never/then */
    cpred after;                  /* eventually's trigger (spec NULL: the
                                     start) */
    size_t count_ref;             /* count: the counted value */
    bool prev_after;              /* eventually: after held at the last
                                     instant evaluated */
    bool pending;                 /* eventually: a window is open */
    purr_time window_ns;          /* its opening time */
    purr_time deadline_ns;        /* and deadline */
    purr_time over_ns;            /* count: the transition beyond max */
    purr_expect_result res;
} cexpect;

struct purr__checker {
    const char *file;   /* the scene's file, for diagnostics */
    ref *refs;          /* watched values, in order of first mention */
    size_t ref_count;
    size_t *by_id;      /* value id -> ref index + 1 (0: not watched);
                           lookup only, so no order depends on it */
    size_t id_cap;
    cexpect *exps;      /* in scene order */
    size_t count;
    purr_time now_ns;   /* see the invariants above */
    bool dirty;
    bool finished;      /* finish() has run */
};

/* ---------------------------------------------------------------------- */
/* Text                                                                    */
/* ---------------------------------------------------------------------- */

/* Appends printf text to buf (cap bytes) at *len, truncating safely. */
static void appendf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void
appendf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < cap ? *len + (size_t)n : cap - 1;
}

void
purr__sim_format_duration(purr_time d, char *buf, size_t cap)
{
    static const struct {
        const char *name;
        purr_time ns;
    } units[] = {{"d", 86400 * PURR_S}, {"h", 3600 * PURR_S},
                 {"min", 60 * PURR_S},  {"s", PURR_S},
                 {"ms", PURR_MS},       {"us", PURR_US}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (d % units[i].ns == 0) {
            snprintf(buf, cap, "%lld%s", (long long)(d / units[i].ns),
                     units[i].name);
            return;
        }
    snprintf(buf, cap, "%lldns", (long long)d);
}

static void
format_pred(const purr_pred_spec *p, bool nested, char *buf, size_t cap,
            size_t *len)
{
    switch (p->kind) {
    case PURR_PRED_TRUTHY:
        appendf(buf, cap, len, "%s", p->value);
        return;
    case PURR_PRED_CMP: {
        /* Literals that are not numbers or bools are shown quoted. */
        char *end;
        strtod(p->than, &end);
        bool bare = (p->than[0] && !*end) || strcmp(p->than, "true") == 0 ||
                    strcmp(p->than, "false") == 0;
        appendf(buf, cap, len, bare ? "%s %s %s" : "%s %s '%s'", p->value,
                purr__cmp_op_name(p->op), p->than);
        return;
    }
    case PURR_PRED_NOT:
        appendf(buf, cap, len, "not ");
        format_pred(&p->items[0], true, buf, cap, len);
        return;
    case PURR_PRED_ALL:
    case PURR_PRED_ANY:
        appendf(buf, cap, len, "%s", nested ? "(" : "");
        for (size_t i = 0; i < p->count; i++) {
            if (i)
                appendf(buf, cap, len, p->kind == PURR_PRED_ALL ? " and "
                                                                : " or ");
            format_pred(&p->items[i], true, buf, cap, len);
        }
        appendf(buf, cap, len, "%s", nested ? ")" : "");
        return;
    }
}

static void
format_expect(const purr_expect_spec *e, char *buf, size_t cap)
{
    size_t len = 0;
    char d[32];
    buf[0] = '\0';
    switch (e->kind) {
    case PURR_EXPECT_ALWAYS:
    case PURR_EXPECT_NEVER:
        appendf(buf, cap, &len, "%s: ",
                e->kind == PURR_EXPECT_ALWAYS ? "always" : "never");
        format_pred(&e->pred, false, buf, cap, &len);
        return;
    case PURR_EXPECT_EVENTUALLY:
        appendf(buf, cap, &len, "eventually: ");
        format_pred(&e->pred, false, buf, cap, &len);
        if (e->within_ns != PURR_TIME_NEVER) {
            purr__sim_format_duration(e->within_ns, d, sizeof d);
            appendf(buf, cap, &len, " within %s", d);
        }
        if (e->after.kind) {
            appendf(buf, cap, &len, " after ");
            format_pred(&e->after, false, buf, cap, &len);
        }
        return;
    case PURR_EXPECT_COUNT:
        appendf(buf, cap, &len, "count: transitions of %s ", e->value);
        if (e->max == INT64_MAX)
            appendf(buf, cap, &len, ">= %lld", (long long)e->min);
        else
            appendf(buf, cap, &len, "in [%lld, %lld]", (long long)e->min,
                    (long long)e->max);
        return;
    }
}

/* Appends "name = value" for each watched value p reads, skipping those
 * already listed in seen (ref_count flags). */
static void
format_values(purr__checker *c, const cpred *p, bool *seen, char *buf,
              size_t cap, size_t *len)
{
    if (!p->spec)
        return;
    if (p->spec->kind == PURR_PRED_TRUTHY || p->spec->kind == PURR_PRED_CMP) {
        if (seen[p->ref])
            return;
        seen[p->ref] = true;
        char text[96];
        purr_datum_format(&c->refs[p->ref].cur, text, sizeof text);
        appendf(buf, cap, len, "%s%s = %s", *len ? ", " : "",
                purr_value_name(c->refs[p->ref].v), text);
        return;
    }
    for (size_t i = 0; i < p->count; i++)
        format_values(c, &p->items[i], seen, buf, cap, len);
}

/* "(a = 1, b = true)" for the values of p and q (q may be NULL). */
static void
values_text(purr__checker *c, const cpred *p, const cpred *q, char *buf,
            size_t cap)
{
    bool *seen = purr__sim_calloc(c->ref_count, sizeof *seen);
    size_t len = 0;
    buf[0] = '\0';
    format_values(c, p, seen, buf, cap, &len);
    if (q)
        format_values(c, q, seen, buf, cap, &len);
    free(seen);
}

/* ---------------------------------------------------------------------- */
/* Binding                                                                 */
/* ---------------------------------------------------------------------- */

static size_t
watch(purr__checker *c, purr_value *v)
{
    uint64_t id = purr_value_id(v);
    if (id >= c->id_cap) {
        size_t cap = (size_t)id * 2 + 16;
        c->by_id = purr__sim_realloc(c->by_id, cap * sizeof *c->by_id);
        memset(c->by_id + c->id_cap, 0, (cap - c->id_cap) * sizeof *c->by_id);
        c->id_cap = cap;
    }
    if (c->by_id[id])
        return c->by_id[id] - 1;
    c->refs = purr__sim_realloc(c->refs, (c->ref_count + 1) * sizeof *c->refs);
    ref *r = &c->refs[c->ref_count];
    r->v = v;
    r->cur = purr_datum_copy(purr_value_peek(v));
    r->transitions = 0;
    c->by_id[id] = ++c->ref_count;
    return c->ref_count - 1;
}

static const char *
type_word(purr_type t)
{
    static const char *const names[] = {"nil",    "bool",  "int",  "double",
                                        "string", "bytes", "tuple"};
    return t <= PURR_T_TUPLE ? names[t] : "?";
}

/* Converts p's literal to the type of value v; diag at the literal. */
static int
bind_literal(purr__checker *c, purr_sim *sim, const purr_pred_spec *p,
             purr_value *v, purr_datum *out)
{
    purr_type t = purr_value_type(v);
    const char *s = p->than;
    char *end;
    switch (t) {
    case PURR_T_BOOL:
        if (p->op != PURR_CMP_EQ && p->op != PURR_CMP_NE)
            return purr__sim_setup_fail(sim, p->than_pos,
                                        "'%s' is a bool: compare it with == "
                                        "or != only",
                                        p->value);
        if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
            return purr__sim_setup_fail(sim, p->than_pos,
                                        "expected true or false to compare "
                                        "with '%s' (a bool), got '%s'",
                                        p->value, s);
        *out = purr_datum_bool(s[0] == 't');
        return 0;
    case PURR_T_INT:
    case PURR_T_DOUBLE: {
        errno = 0;
        long long i = strtoll(s, &end, 10);
        if (t == PURR_T_INT && *s && !*end && errno != ERANGE) {
            *out = purr_datum_int(i);
            return 0;
        }
        errno = 0;
        double d = strtod(s, &end);
        if (!*s || *end || errno == ERANGE || isnan(d))
            return purr__sim_setup_fail(sim, p->than_pos,
                                        "expected a number to compare with "
                                        "'%s' (a%s %s), got '%s'",
                                        p->value, t == PURR_T_INT ? "n" : "",
                                        type_word(t), s);
        *out = purr_datum_double(d);
        return 0;
    }
    case PURR_T_STRING:
        *out = purr_datum_string(s);
        return 0;
    default:
        (void)c;
        return purr__sim_setup_fail(sim, p->pos,
                                    "cannot compare '%s' (a %s value)",
                                    p->value, type_word(t));
    }
}

static int
bind_pred(purr__checker *c, purr_sim *sim, const purr_pred_spec *p, cpred *out)
{
    int rc;
    out->spec = p;
    if (p->kind == PURR_PRED_TRUTHY || p->kind == PURR_PRED_CMP) {
        purr_value *v = purr_sim_find(sim, p->value);
        if (!v)
            return purr__sim_setup_fail(sim, p->pos,
                                        "the expectation reads '%s', but no "
                                        "sensor or behaviour creates a value "
                                        "of that name",
                                        p->value);
        out->ref = watch(c, v);
        if (p->kind == PURR_PRED_CMP &&
            (rc = bind_literal(c, sim, p, v, &out->lit)) < 0)
            return rc;
        return 0;
    }
    out->items = purr__sim_calloc(p->count, sizeof *out->items);
    for (size_t i = 0; i < p->count; i++) {
        out->count = i + 1;
        if ((rc = bind_pred(c, sim, &p->items[i], &out->items[i])) < 0)
            return rc;
    }
    return 0;
}

static void
cpred_free(cpred *p)
{
    purr_datum_free(&p->lit);
    for (size_t i = 0; i < p->count; i++)
        cpred_free(&p->items[i]);
    free(p->items);
}

/* ---------------------------------------------------------------------- */
/* Evaluation                                                              */
/* ---------------------------------------------------------------------- */

static bool
truthy(const purr_datum *d)
{
    switch (d->type) {
    case PURR_T_BOOL:
        return d->u.b;
    case PURR_T_INT:
        return d->u.i != 0;
    case PURR_T_DOUBLE:
        return d->u.d != 0.0;
    case PURR_T_NIL:
        return false;
    default:
        return d->len > 0;
    }
}

/* <0, 0, >0 as d is below, equal to or above lit; 2 when unordered (NaN). */
static int
compare(const purr_datum *d, const purr_datum *lit)
{
    if (d->type == PURR_T_STRING) {
        int r = strcmp(d->u.s, lit->u.s);
        return (r > 0) - (r < 0);
    }
    if (d->type == PURR_T_BOOL)
        return d->u.b != lit->u.b;
    if (d->type == PURR_T_INT && lit->type == PURR_T_INT)
        return (d->u.i > lit->u.i) - (d->u.i < lit->u.i);
    double a = purr_datum_as_double(d), b = purr_datum_as_double(lit);
    if (isnan(a))
        return 2;
    return (a > b) - (a < b);
}

static bool
eval(const purr__checker *c, const cpred *p)
{
    switch (p->spec->kind) {
    case PURR_PRED_TRUTHY:
        return truthy(&c->refs[p->ref].cur);
    case PURR_PRED_CMP: {
        int r = compare(&c->refs[p->ref].cur, &p->lit);
        switch (p->spec->op) {
        case PURR_CMP_EQ:
            return r == 0;
        case PURR_CMP_NE:
            return r != 0;
        case PURR_CMP_LT:
            return r == -1;
        case PURR_CMP_LE:
            return r == -1 || r == 0;
        case PURR_CMP_GT:
            return r == 1;
        case PURR_CMP_GE:
            return r == 1 || r == 0;
        }
        return false;
    }
    case PURR_PRED_NOT:
        return !eval(c, &p->items[0]);
    case PURR_PRED_ALL:
        for (size_t i = 0; i < p->count; i++)
            if (!eval(c, &p->items[i]))
                return false;
        return true;
    case PURR_PRED_ANY:
        for (size_t i = 0; i < p->count; i++)
            if (eval(c, &p->items[i]))
                return true;
        return false;
    }
    return false;
}

/* Evaluates every expectation on the state at the end of instant at_ns. */
static void
settle(purr__checker *c, purr_time at_ns)
{
    char when[32], vals[200];
    for (size_t i = 0; i < c->count; i++) {
        cexpect *e = &c->exps[i];
        switch (e->spec->kind) {
        case PURR_EXPECT_ALWAYS:
        case PURR_EXPECT_NEVER: {
            bool want = e->spec->kind == PURR_EXPECT_ALWAYS;
            if (eval(c, &e->pred) == want)
                break;
            e->res.count++;
            if (e->res.failed)
                break;
            e->res.failed = true;
            e->res.at_ns = at_ns;
            purr_time_format(at_ns, when, sizeof when);
            values_text(c, &e->pred, NULL, vals, sizeof vals);
            snprintf(e->res.detail, sizeof e->res.detail, "%s at %s (%s)",
                     want ? "false" : "true", when, vals);
            break;
        }
        case PURR_EXPECT_EVENTUALLY: {
            bool a = e->after.spec ? eval(c, &e->after) : true;
            if (e->pending && eval(c, &e->pred))
                e->pending = false;
            if (!e->pending && a && !e->prev_after) {
                e->res.count++;
                e->window_ns = at_ns;
                e->deadline_ns =
                    e->spec->within_ns == PURR_TIME_NEVER ||
                            at_ns > PURR_TIME_NEVER - e->spec->within_ns
                        ? PURR_TIME_NEVER
                        : at_ns + e->spec->within_ns;
                e->pending = !eval(c, &e->pred);
            }
            e->prev_after = a;
            break;
        }
        case PURR_EXPECT_COUNT:
            break;
        }
    }
}

/* Time moves on to to_ns: open windows whose deadline has passed fail,
 * with the state that held from the last instant through the deadline. */
static void
advance(purr__checker *c, purr_time to_ns)
{
    for (size_t i = 0; i < c->count; i++) {
        cexpect *e = &c->exps[i];
        if (!e->pending || e->deadline_ns >= to_ns)
            continue;
        e->pending = false;
        e->res.failures++;
        if (e->res.failed)
            continue;
        char opened[32], dl[32], vals[200], then[96];
        size_t len = 0;
        e->res.failed = true;
        e->res.at_ns = e->deadline_ns;
        e->res.window_ns = e->window_ns;
        purr_time_format(e->window_ns, opened, sizeof opened);
        purr_time_format(e->deadline_ns, dl, sizeof dl);
        then[0] = '\0';
        format_pred(e->pred.spec, false, then, sizeof then, &len);
        values_text(c, &e->pred, e->after.spec ? &e->after : NULL, vals,
                    sizeof vals);
        /* Precisions keep the worst case inside detail (320 bytes). */
        snprintf(e->res.detail, sizeof e->res.detail,
                 "the window opened at %.31s; '%.95s' was still false at "
                 "%.31s (%.110s)",
                 opened, then, dl, vals);
    }
}

static void
observe(const purr_trace *ev, void *ctx)
{
    purr__checker *c = ctx;
    if (ev->time_ns > c->now_ns) {
        if (c->dirty)
            settle(c, c->now_ns);
        advance(c, ev->time_ns);
        c->now_ns = ev->time_ns;
        c->dirty = false;
    }
    uint64_t id = purr_value_id(ev->value);
    if (id >= c->id_cap || !c->by_id[id])
        return;
    size_t ri = c->by_id[id] - 1;
    ref *r = &c->refs[ri];
    purr_datum_free(&r->cur);
    r->cur = purr_datum_copy(ev->new_value);
    r->transitions++;
    c->dirty = true;
    for (size_t i = 0; i < c->count; i++) {
        cexpect *e = &c->exps[i];
        if (e->spec->kind == PURR_EXPECT_COUNT && e->count_ref == ri &&
            e->spec->max != INT64_MAX &&
            r->transitions == (uint64_t)e->spec->max + 1)
            e->over_ns = ev->time_ns;
    }
}

/* ---------------------------------------------------------------------- */
/* The checker's life                                                      */
/* ---------------------------------------------------------------------- */

int
purr__checker_new(purr_sim *sim, const purr_scene *scene, purr_loop *loop,
                  purr__checker **out)
{
    purr__checker *c = purr__sim_calloc(1, sizeof *c);
    int rc = 0;
    *out = c;
    c->file = scene->file;
    c->exps = purr__sim_calloc(scene->expect_count, sizeof *c->exps);
    c->dirty = true; /* the state at time 0 is an instant too */
    for (size_t i = 0; i < scene->expect_count; i++) {
        const purr_expect_spec *spec = &scene->expects[i];
        cexpect *e = &c->exps[i];
        c->count = i + 1;
        e->spec = spec;
        e->res.spec = spec;
        format_expect(spec, e->res.text, sizeof e->res.text);
        if (spec->kind == PURR_EXPECT_COUNT) {
            purr_value *v = purr_sim_find(sim, spec->value);
            if (!v)
                return purr__sim_setup_fail(sim, spec->pos,
                                            "the expectation counts '%s', but "
                                            "no sensor or behaviour creates a "
                                            "value of that name",
                                            spec->value);
            e->count_ref = watch(c, v);
            continue;
        }
        if ((rc = bind_pred(c, sim, &spec->pred, &e->pred)) < 0)
            return rc;
        if (spec->after.kind &&
            (rc = bind_pred(c, sim, &spec->after, &e->after)) < 0)
            return rc;
    }
    if (c->count &&
        purr_loop_observe(loop, PURR_EV_BIT(PURR_EV_VALUE_SET), observe, c) < 0)
        return purr__sim_setup_fail(sim, scene->expects[0].pos,
                                    "too many observers on the loop to "
                                    "check expectations");
    return 0;
}

void
purr__checker_finish(purr__checker *c, purr_time end_ns)
{
    if (!c || c->finished)
        return;
    c->finished = true;
    if (c->dirty)
        settle(c, c->now_ns);
    c->dirty = false;
    advance(c, end_ns == PURR_TIME_NEVER ? end_ns : end_ns + 1);
    char when[32];
    for (size_t i = 0; i < c->count; i++) {
        cexpect *e = &c->exps[i];
        purr_expect_result *res = &e->res;
        switch (e->spec->kind) {
        case PURR_EXPECT_COUNT: {
            uint64_t n = c->refs[e->count_ref].transitions;
            res->count = n;
            if (n < (uint64_t)e->spec->min) {
                res->failed = true;
                res->at_ns = end_ns;
                snprintf(res->detail, sizeof res->detail,
                         "%llu transitions by the end, expected at least "
                         "%lld",
                         (unsigned long long)n, (long long)e->spec->min);
            } else if (e->spec->max != INT64_MAX &&
                       n > (uint64_t)e->spec->max) {
                res->failed = true;
                res->at_ns = e->over_ns;
                purr_time_format(e->over_ns, when, sizeof when);
                snprintf(res->detail, sizeof res->detail,
                         "%llu transitions, expected at most %lld (the "
                         "%lldth at %s)",
                         (unsigned long long)n, (long long)e->spec->max,
                         (long long)e->spec->max + 1, when);
            } else {
                snprintf(res->detail, sizeof res->detail, "%llu transitions",
                         (unsigned long long)n);
            }
            break;
        }
        case PURR_EXPECT_EVENTUALLY:
            if (res->failed) {
                size_t len = strlen(res->detail);
                if (res->failures > 1)
                    appendf(res->detail, sizeof res->detail, &len,
                            " [%llu of %llu windows failed]",
                            (unsigned long long)res->failures,
                            (unsigned long long)res->count);
            } else if (e->pending) {
                purr_time_format(e->window_ns, when, sizeof when);
                snprintf(res->detail, sizeof res->detail,
                         "%llu windows; the last, opened at %s, was still "
                         "open at the end",
                         (unsigned long long)res->count, when);
            } else {
                snprintf(res->detail, sizeof res->detail,
                         "%llu windows, each closed in time",
                         (unsigned long long)res->count);
            }
            break;
        default:
            break;
        }
    }
}

size_t
purr__checker_count(const purr__checker *c)
{
    return c ? c->count : 0;
}

const purr_expect_result *
purr__checker_result(const purr__checker *c, size_t i)
{
    return &c->exps[i].res;
}

void
purr__checker_free(purr__checker *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++) {
        cpred_free(&c->exps[i].pred);
        cpred_free(&c->exps[i].after);
    }
    for (size_t i = 0; i < c->ref_count; i++)
        purr_datum_free(&c->refs[i].cur);
    free(c->refs);
    free(c->by_id);
    free(c->exps);
    free(c);
}
