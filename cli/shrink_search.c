/* shrink_search.c - the search behind `purr shrink`: a small input set
 * that still fails the same expectation.
 *
 * A candidate is a list of input transitions (value, time, datum) and a
 * duration. It is judged by one run of the scene in feeder mode, as `purr
 * replay` runs a recording that is not a run of this very scene: the
 * sensors do not run, one feeder task (the run's first, as in a replay)
 * sets each input at its time, the behaviours run as always, and the
 * scene's expectations are checked by the simulator. The candidate fails
 * "the same way" when the same expectation (by index) fails.
 *
 * Candidates run in this process, one simulation after another: a run is a
 * fresh loop with fresh values, so nothing leaks from one into the next,
 * and a run of a few thousand transitions costs well under a millisecond,
 * where a fork per candidate would cost more than the run. A behaviour that
 * crashes on some candidate would take `purr shrink` down with it; that is
 * a crash of the code under test, on inputs its recording already showed
 * it could get, and it is reported as such rather than hidden.
 *
 * The search, in order (each phase keeps only candidates that fail):
 *   1. cut the run just past the failure (+ 1 s): later inputs cannot
 *      have caused a failure at an earlier instant;
 *   2. delta debugging (ddmin) over whole inputs: drop every transition of
 *      an input at once;
 *   3. ddmin over single transitions;
 *   4. cut again, just past the (maybe earlier) failure;
 *   5. values toward the input's initial value (numbers only: round
 *      numbers first), sets that became no-ops dropped, then events
 *      earlier (towards the previous transition's time, round times
 *      first), each alone, then each with the events after it;
 *   6. cut again.
 * Everything is deterministic: the same recording gives the same result.
 * The number of runs is bounded (max_replays): when the bound is reached
 * the smallest failing candidate found so far is the result.
 */
#include "shrink_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "purr: out of memory allocating %zu bytes\n",
                n * size);
        abort();
    }
    return p;
}

/* ---------------------------------------------------------------------- */
/* One run of a candidate                                                  */
/* ---------------------------------------------------------------------- */

/* What the feeder task sets. */
typedef struct feed {
    const purr__sh_tr *c; /* the candidate's transitions, time order */
    size_t n;
    purr_value **values;  /* the run's value per input */
} feed;

static int
feeder(void *arg)
{
    feed *f = arg;
    int rc;
    for (size_t i = 0; i < f->n; i++) {
        const purr__sh_tr *t = &f->c[i];
        if (t->at_ns > purr_now() && (rc = purr_sleep_until(t->at_ns)) < 0)
            return rc;
        if ((rc = purr_value_set(f->values[t->input], &t->d)) < 0)
            return rc;
    }
    return 0;
}

int
purr__shrink_run(purr__shrink *s, const purr__sh_tr *c, size_t n,
                 purr_time duration, const purr__sh_hooks *h, bool *failed,
                 purr_expect_result *res)
{
    feed f = {c, n, xcalloc(s->ninputs, sizeof *f.values)};
    purr_sim_options so = s->base;
    so.duration_ns = duration;
    so.feed = feeder;
    so.feed_arg = &f;
    so.pace = NULL;
    so.input = NULL;
    s->replays++;
    purr_sim *sim = purr_sim_new(s->scene, &so);
    int rc = 0;
    if (!sim) {
        free(f.values);
        purr_diag_set(&s->diag, s->scene->file, 0, 0, "cannot create a loop");
        return PURR_ENOMEM;
    }
    if (h && h->attach && (rc = h->attach(sim, h->arg)) < 0)
        goto out;
    if ((rc = purr_sim_setup(sim, &s->diag)) < 0)
        goto out;
    for (size_t i = 0; i < s->ninputs; i++) {
        purr_value *v = purr_sim_find(sim, s->inputs[i].name);
        if (!v || purr_value_role(v) != PURR_ROLE_INPUT ||
            purr_value_type(v) != s->inputs[i].type) {
            purr_diag_set(&s->diag, s->scene->file, 0, 0,
                          "the recording's input %s (%s) is %s in the scene",
                          s->inputs[i].name,
                          purr_type_name(s->inputs[i].type),
                          !v ? "not an input"
                          : purr_value_role(v) != PURR_ROLE_INPUT
                              ? "not an input"
                              : "of another type");
            rc = PURR_EFORMAT;
            goto out;
        }
        f.values[i] = v;
    }
    purr_diag run_diag;
    memset(&run_diag, 0, sizeof run_diag);
    /* A behaviour that fails ends the run; the expectations are judged up
     * to there, which is what the candidate is judged by. */
    int run_rc = purr_sim_run(sim, &run_diag);
    if (s->target < purr_sim_expect_count(sim)) {
        const purr_expect_result *r = purr_sim_expect_result(sim, s->target);
        if (failed)
            *failed = r->failed;
        if (res) {
            *res = *r;
            res->spec = NULL;
        }
    } else if (failed) {
        *failed = false;
    }
    if (h && h->done)
        h->done(sim, run_rc, h->arg);
out:
    purr_sim_free(sim);
    free(f.values);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* The search's bookkeeping                                                */
/* ---------------------------------------------------------------------- */

size_t
purr__shrink_inputs_used(const purr__shrink *s, const purr__sh_tr *c,
                         size_t n)
{
    bool *seen = xcalloc(s->ninputs, sizeof *seen);
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        if (!seen[c[i].input]) {
            seen[c[i].input] = true;
            used++;
        }
    free(seen);
    return used;
}

/* Says where the search is, on s->progress. */
static void
progress(purr__shrink *s, const char *phase)
{
    if (!s->progress)
        return;
    char dur[32];
    purr_time_format(s->duration_ns, dur, sizeof dur);
    fprintf(s->progress,
            "%sshrink: %-22s %6" PRIu64 " replays, %zu transitions of %zu "
            "inputs left, duration %s%s",
            s->tty ? "\r\033[K" : "", phase, s->replays, s->ncur,
            purr__shrink_inputs_used(s, s->cur, s->ncur), dur,
            s->tty ? "" : "\n");
    fflush(s->progress);
}

/* Judges candidate c[0..n) with duration: true when it fails the target
 * (then it becomes s->cur, taking c, and s->fail its failure). False when
 * it does not, or when the bound on runs is reached (s->bounded). *err
 * receives a run's error (then false). c is freed unless taken. */
static bool
try_candidate(purr__shrink *s, purr__sh_tr *c, size_t n, purr_time duration,
              int *err)
{
    if (*err < 0 || s->replays >= s->max_replays) {
        s->bounded = *err == 0;
        free(c);
        return false;
    }
    bool failed = false;
    purr_expect_result res;
    int rc = purr__shrink_run(s, c, n, duration, NULL, &failed, &res);
    if (rc < 0 || !failed) {
        *err = rc;
        free(c);
        return false;
    }
    free(s->cur);
    s->cur = c;
    s->ncur = n;
    s->duration_ns = duration;
    s->fail = res;
    if (s->tty && s->replays % 64 == 0)
        progress(s, "...");
    return true;
}

/* A copy of s->cur's first n transitions. */
static purr__sh_tr *
copy_cur(const purr__shrink *s, size_t n)
{
    purr__sh_tr *c = xcalloc(n, sizeof *c);
    memcpy(c, s->cur, n * sizeof *c);
    return c;
}

/* ---------------------------------------------------------------------- */
/* Cutting the run short                                                   */
/* ---------------------------------------------------------------------- */

/* Tries the run cut just past the failure: duration fail.at_ns + 1 s (or
 * + 1 ms, + 1 ns when that is not shorter), without the transitions after
 * it. */
static void
cut(purr__shrink *s, int *err)
{
    static const purr_time margins[] = {PURR_S, PURR_MS, 1};
    for (size_t m = 0; m < 3; m++) {
        purr_time end = s->fail.at_ns + margins[m];
        /* A finer margin only when a coarser one was tried and lost the
         * failure. */
        if (s->fail.at_ns < 0 || end >= s->duration_ns)
            return;
        size_t n = 0;
        while (n < s->ncur && s->cur[n].at_ns < end)
            n++;
        if (try_candidate(s, copy_cur(s, n), n, end, err))
            return;
    }
}

/* ---------------------------------------------------------------------- */
/* Delta debugging                                                         */
/* ---------------------------------------------------------------------- */

/* The candidate made of the transitions of base[0..nbase) whose unit
 * (unit[i]) is in set[0..len). *n (out) receives its length. */
static purr__sh_tr *
subset(const purr__sh_tr *base, size_t nbase, const size_t *unit,
       size_t nunits, const size_t *set, size_t len, size_t *n)
{
    bool *keep = xcalloc(nunits, sizeof *keep);
    for (size_t i = 0; i < len; i++)
        keep[set[i]] = true;
    purr__sh_tr *c = xcalloc(nbase, sizeof *c);
    size_t k = 0;
    for (size_t i = 0; i < nbase; i++)
        if (keep[unit[i]])
            c[k++] = base[i];
    free(keep);
    *n = k;
    return c;
}

/* ddmin (Zeller and Hildebrandt) over units of the candidate s->cur as it
 * is when called (the base): number(s, unit) says which unit each of its
 * transitions belongs to (units numbered 0..nunits in order of first
 * appearance). Each subset tried is made from the base, and each that
 * fails becomes s->cur; the result is 1-minimal in units when the bound
 * is not reached (removing any one remaining unit makes the failure
 * go). */
static void
ddmin(purr__shrink *s, size_t (*number)(purr__shrink *, size_t *), int *err)
{
    size_t nbase = s->ncur;
    purr__sh_tr *base = copy_cur(s, nbase);
    size_t *unit = xcalloc(nbase, sizeof *unit);
    size_t nunits = number(s, unit);
    size_t *cur = xcalloc(nunits, sizeof *cur);
    size_t *trial = xcalloc(nunits, sizeof *trial);
    size_t len = nunits, n = 0;
    for (size_t i = 0; i < len; i++)
        cur[i] = i;
    /* Nothing at all first: some failures need no input. */
    if (len > 0 &&
        try_candidate(s, subset(base, nbase, unit, nunits, cur, 0, &n), n,
                      s->duration_ns, err))
        len = 0;
    size_t parts = 2;
    while (len >= 2 && *err == 0 && !s->bounded) {
        bool reduced = false;
        /* Each part alone, then (with more than two parts) each
         * complement. */
        for (int pass = 0; pass < 2 && !reduced; pass++) {
            if (pass == 1 && parts == 2)
                break;
            for (size_t p = 0; p < parts && !reduced; p++) {
                size_t lo = len * p / parts, hi = len * (p + 1) / parts;
                size_t k = 0;
                for (size_t i = 0; i < len; i++)
                    if ((i >= lo && i < hi) == (pass == 0))
                        trial[k++] = cur[i];
                purr__sh_tr *c =
                    subset(base, nbase, unit, nunits, trial, k, &n);
                if (!try_candidate(s, c, n, s->duration_ns, err))
                    continue;
                memcpy(cur, trial, k * sizeof *cur);
                len = k;
                parts = pass == 0 ? 2 : (parts > 3 ? parts - 1 : 2);
                reduced = true;
            }
        }
        if (!reduced) {
            if (parts >= len)
                break;
            parts = parts * 2 < len ? parts * 2 : len;
        }
    }
    free(base);
    free(unit);
    free(cur);
    free(trial);
}

/* Units for the first pass: one per input value (whole inputs). */
static size_t
by_input(purr__shrink *s, size_t *unit)
{
    size_t *num = xcalloc(s->ninputs, sizeof *num); /* input -> unit + 1 */
    size_t n = 0;
    for (size_t i = 0; i < s->ncur; i++) {
        size_t in = s->cur[i].input;
        if (!num[in])
            num[in] = ++n;
        unit[i] = num[in] - 1;
    }
    free(num);
    return n;
}

/* Units for the second pass: one per transition. */
static size_t
by_transition(purr__shrink *s, size_t *unit)
{
    for (size_t i = 0; i < s->ncur; i++)
        unit[i] = i;
    return s->ncur;
}

/* ---------------------------------------------------------------------- */
/* Simplifying what remains                                                */
/* ---------------------------------------------------------------------- */

/* Replaces transition i of s->cur by t and judges the result. With
 * rest, the transitions after i move by as much as i did, so the gaps
 * between them stay (a pulse keeps its length) and the duration with
 * them. */
static bool
try_changed(purr__shrink *s, size_t i, const purr__sh_tr *t, bool rest,
            int *err)
{
    purr__sh_tr *c = copy_cur(s, s->ncur);
    purr_time by = t->at_ns - c[i].at_ns, duration = s->duration_ns;
    c[i] = *t;
    if (rest) {
        for (size_t j = i + 1; j < s->ncur; j++)
            c[j].at_ns += by;
        duration += by;
    }
    return try_candidate(s, c, s->ncur, duration, err);
}

/* Transition i with the number x (of its type). */
static purr__sh_tr
with_number(const purr__shrink *s, size_t i, double x)
{
    purr__sh_tr t = s->cur[i];
    t.d = t.d.type == PURR_T_INT ? purr_datum_int((int64_t)x)
                                 : purr_datum_double(x);
    return t;
}

/* Rounds the double of transition i to the fewest significant digits
 * that still fail (19.900000000000002, a sum's rounding, becomes 19.9). */
static void
round_value(purr__shrink *s, size_t i, int *err)
{
    double x = s->cur[i].d.u.d;
    if (s->cur[i].d.type != PURR_T_DOUBLE || !isfinite(x))
        return;
    for (int prec = 1; prec < 17 && *err == 0 && !s->bounded; prec++) {
        char buf[40];
        snprintf(buf, sizeof buf, "%.*g", prec, x);
        double r = strtod(buf, NULL);
        if (r == x)
            return;
        purr__sh_tr t = with_number(s, i, r);
        if (try_changed(s, i, &t, false, err))
            return;
    }
}

/* Moves the number of transition i toward its input's initial value x0:
 * x0 itself if the failure stays; else, for the coarsest power of ten
 * (1e6 down to 1e-3; 1 for ints) whose multiples strictly between the
 * current value x and x0 include one that still fails, the failing one
 * nearest x0 (a bisection over those multiples, which assumes that the
 * ones nearer x fail too; every candidate kept has failed). So 17.8 with
 * x0 = 40 and a failure below 20 becomes 19: round, and as near to the
 * initial value as the failure allows. */
static void
simplify_value(purr__shrink *s, size_t i, int *err)
{
    const purr__sh_input *in = &s->inputs[s->cur[i].input];
    const purr_datum *init = &in->sensor->initial;
    purr_datum d = s->cur[i].d;
    if (d.type != init->type ||
        (d.type != PURR_T_INT && d.type != PURR_T_DOUBLE))
        return;
    bool is_int = d.type == PURR_T_INT;
    double x = is_int ? (double)d.u.i : d.u.d;
    double x0 = is_int ? (double)init->u.i : init->u.d;
    if (!isfinite(x) || !isfinite(x0) || x == x0 ||
        fabs(x) > 1e15 || fabs(x0) > 1e15)
        return;
    purr__sh_tr t = s->cur[i];
    t.d = *init;
    if (try_changed(s, i, &t, false, err))
        return;
    double dir = x0 > x ? 1 : -1;
    for (int e = 6; e >= (is_int ? 0 : -3) && *err == 0 && !s->bounded;
         e--) {
        double unit = pow(10, e);
        /* The multiples k * unit strictly between x and x0, from the one
         * nearest x (k = k1) toward x0 (k = k2). */
        double k1 = dir > 0 ? floor(x / unit) + 1 : ceil(x / unit) - 1;
        double k2 = dir > 0 ? ceil(x0 / unit) - 1 : floor(x0 / unit) + 1;
        if ((k2 - k1) * dir < 0)
            continue;
        double count = fabs(k2 - k1) + 1;
        /* lo: index known to fail (-1: x itself); hi: known to pass
         * (count: x0). */
        double lo = -1, hi = count;
        while (hi - lo > 1 && *err == 0 && !s->bounded) {
            double mid = floor((lo + hi) / 2);
            t = with_number(s, i, (k1 + dir * mid) * unit);
            if (try_changed(s, i, &t, false, err))
                lo = mid;
            else
                hi = mid;
        }
        if (lo >= 0)
            break; /* s->cur holds the one nearest x0 that failed */
    }
    round_value(s, i, err);
}

/* Moves transition i earlier (with rest, the transitions after it too, by
 * the same amount), toward the previous transition's time (or
 * 0): to that time if the failure stays; else, for the coarsest unit
 * (1 h, 10 min ... 1 ms) whose multiples between that time and the
 * current one include one that still fails, the earliest failing one (a
 * bisection that assumes later ones fail too; every candidate kept has
 * failed). */
static void
simplify_time(purr__shrink *s, size_t i, bool rest, int *err)
{
    static const purr_time units[] = {
        3600 * PURR_S, 600 * PURR_S, 60 * PURR_S,  10 * PURR_S,
        PURR_S,        100 * PURR_MS, 10 * PURR_MS, PURR_MS};
    purr_time floor_ns = i > 0 ? s->cur[i - 1].at_ns : 0;
    purr_time at = s->cur[i].at_ns;
    if (at <= floor_ns)
        return;
    purr__sh_tr t = s->cur[i];
    t.at_ns = floor_ns;
    if (try_changed(s, i, &t, rest, err))
        return;
    for (size_t u = 0; u < sizeof units / sizeof units[0] && *err == 0 &&
                       !s->bounded;
         u++) {
        purr_time unit = units[u];
        /* Multiples k * unit in (floor_ns, at): k from k1 to k2. */
        int64_t k1 = floor_ns / unit + 1, k2 = (at - 1) / unit;
        if (k2 < k1)
            continue;
        /* lo: known to pass (k1 - 1: the floor, or before it); hi: known
         * to fail (k2 + 1: the current time). */
        int64_t lo = k1 - 1, hi = k2 + 1;
        bool found = false;
        while (hi - lo > 1 && *err == 0 && !s->bounded) {
            int64_t mid = lo + (hi - lo) / 2;
            t.at_ns = mid * unit;
            if (try_changed(s, i, &t, rest, err)) {
                hi = mid;
                found = true;
            } else {
                lo = mid;
            }
        }
        if (found)
            return;
    }
}

/* Drops the transitions that set an input to the datum it already holds
 * (they are no transitions: the simplification can make them), if the
 * failure stays without them. */
static void
drop_no_ops(purr__shrink *s, int *err)
{
    const purr_datum **now = xcalloc(s->ninputs, sizeof *now);
    for (size_t in = 0; in < s->ninputs; in++)
        now[in] = &s->inputs[in].sensor->initial;
    purr__sh_tr *c = xcalloc(s->ncur, sizeof *c);
    size_t n = 0;
    for (size_t i = 0; i < s->ncur; i++) {
        const purr__sh_tr *t = &s->cur[i];
        if (purr_datum_equal(now[t->input], &t->d))
            continue;
        now[t->input] = &t->d;
        c[n++] = *t;
    }
    free(now);
    if (n == s->ncur)
        free(c);
    else
        try_candidate(s, c, n, s->duration_ns, err);
}

/* ---------------------------------------------------------------------- */
/* The search                                                              */
/* ---------------------------------------------------------------------- */

int
purr__shrink_search(purr__shrink *s)
{
    s->nbefore = s->ncur;
    s->inputs_before = purr__shrink_inputs_used(s, s->cur, s->ncur);
    s->duration_before = s->duration_ns;
    s->bounded = false;

    /* The recording's inputs as they are: which expectation fails? */
    bool failed = false;
    purr_expect_result res;
    size_t nexp = s->scene->expect_count;
    if (s->want > nexp) {
        purr_diag_set(&s->diag, s->scene->file, 0, 0,
                      "--expect %zu: the scene has %zu expectation%s",
                      s->want, nexp, nexp == 1 ? "" : "s");
        return PURR_EFORMAT;
    }
    for (size_t e = s->want ? s->want - 1 : 0;
         e < (s->want ? s->want : nexp); e++) {
        s->target = e;
        int rc = purr__shrink_run(s, s->cur, s->ncur, s->duration_ns, NULL,
                                  &failed, &res);
        if (rc < 0)
            return rc;
        if (failed)
            break;
    }
    if (!failed && s->want) {
        purr_diag_set(&s->diag, s->scene->file, 0, 0,
                      "fed its recorded inputs, the scene does not fail "
                      "expectation %zu: nothing to shrink",
                      s->want);
        return PURR_ENOENT;
    }
    if (!failed) {
        purr_diag_set(&s->diag, s->scene->file, 0, 0,
                      "fed its recorded inputs, the scene fails no "
                      "expectation: nothing to shrink");
        return PURR_ENOENT;
    }
    s->fail = res;
    progress(s, "recorded inputs fail");

    int err = 0;
    cut(s, &err);
    progress(s, "cut past the failure");
    ddmin(s, by_input, &err);
    progress(s, "whole inputs removed");
    ddmin(s, by_transition, &err);
    progress(s, "transitions removed");
    cut(s, &err);
    for (size_t i = 0; i < s->ncur && err == 0 && !s->bounded; i++)
        simplify_value(s, i, &err);
    drop_no_ops(s, &err);
    progress(s, "values simplified");
    /* Each event alone, then each with all that follows it: a failure that
     * needs a pulse of some length (a value set, then reset a second
     * later) survives only when both move together. */
    for (size_t i = 0; i < s->ncur && err == 0 && !s->bounded; i++)
        simplify_time(s, i, false, &err);
    for (size_t i = 0; i < s->ncur && err == 0 && !s->bounded; i++)
        simplify_time(s, i, true, &err);
    cut(s, &err);
    progress(s, "events moved earlier");
    if (s->progress && s->tty)
        fputc('\n', s->progress);
    return err;
}
