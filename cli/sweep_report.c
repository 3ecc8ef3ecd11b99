/* sweep_report.c - what `purr sweep` writes and reads: failure causes, the
 * failure table, the JSON Lines results file and the JUnit report.
 *
 * A failure's cause is what failed (the expectation's text, the task's
 * message, "crashed (SIGSEGV)") plus the shape of how it failed: the
 * expectation's detail with every number and time replaced by '#'. Seeds
 * failing the same way with other values are one distinct failure, so a
 * sweep with 300 failing seeds of one bug reports one failure and its
 * smallest seed.
 *
 * The results file (docs/sweeps.md, "Results files") is one JSON object a
 * line: a header describing the sweep (scene, the whole seed range, the
 * shard and its slice, the options), then one line per seed in the order
 * the seeds finished. `purr sweep --merge` reads them back; all JSON goes
 * through jansson.
 */
#include "sweep_int.h"

#include <jansson.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const outcome_names[] = {"pass", "fail", "error", "crash",
                                            "timeout"};

const char *
purr__sweep_outcome_name(int outcome)
{
    if (outcome < 0 || outcome > PURR__SWEEP_TIMEOUT)
        return "?";
    return outcome_names[outcome];
}

int
purr__sweep_outcome_parse(const char *name)
{
    for (int i = 0; i <= PURR__SWEEP_TIMEOUT; i++)
        if (strcmp(name, outcome_names[i]) == 0)
            return i;
    return -1;
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Appends text's shape to out (cap bytes, at *len): numbers (with their
 * sign, decimals, exponents and the colons of times) become '#'. */
static void
shape(const char *text, char *out, size_t cap, size_t *len)
{
    for (const char *p = text; *p && *len + 1 < cap;) {
        bool sign = *p == '-' && is_digit(p[1]) &&
                    (p == text || !((p[-1] >= 'a' && p[-1] <= 'z') ||
                                    (p[-1] >= 'A' && p[-1] <= 'Z') ||
                                    is_digit(p[-1])));
        if (!is_digit(*p) && !sign) {
            out[(*len)++] = *p++;
            continue;
        }
        p++;
        for (;;) {
            if (is_digit(*p)) {
                p++;
            } else if ((*p == '.' || *p == ':') && is_digit(p[1])) {
                p++;
            } else if ((*p == 'e' || *p == 'E') &&
                       (is_digit(p[1]) ||
                        ((p[1] == '-' || p[1] == '+') && is_digit(p[2])))) {
                p += 2;
            } else {
                break;
            }
        }
        out[(*len)++] = '#';
    }
    out[*len] = '\0';
}

void
purr__sweep_cause(purr__sweep_result *r)
{
    size_t len = 0;
    r->cause[0] = '\0';
    if (r->outcome == PURR__SWEEP_FAIL) {
        /* The expectation's text stays as written (its literals are
         * part of which rule failed); its detail's numbers do not. */
        len = (size_t)snprintf(r->cause, sizeof r->cause, "%s: ", r->what);
        if (len >= sizeof r->cause)
            len = sizeof r->cause - 1;
        shape(r->detail, r->cause, sizeof r->cause, &len);
    } else {
        shape(r->what, r->cause, sizeof r->cause, &len);
    }
}

/* ---------------------------------------------------------------------- */
/* Tally and the failure table                                             */
/* ---------------------------------------------------------------------- */

void
purr__sweep_tally_add(purr__sweep_tally *t, const purr__sweep_result *r)
{
    t->runs++;
    if (r->outcome >= 0 && r->outcome <= PURR__SWEEP_TIMEOUT)
        t->by_outcome[r->outcome]++;
    t->run_ms += r->run_ms;
    t->total_ms += r->total_ms;
    if (r->outcome == PURR__SWEEP_PASS)
        return;
    if (t->nfails == t->capfails) {
        size_t cap = t->capfails ? 2 * t->capfails : 16;
        purr__sweep_result *f = realloc(t->fails, cap * sizeof *f);
        if (!f) {
            fputs("purr: sweep: out of memory\n", stderr);
            abort();
        }
        t->fails = f;
        t->capfails = cap;
    }
    t->fails[t->nfails++] = *r;
}

void
purr__sweep_tally_free(purr__sweep_tally *t)
{
    free(t->fails);
    memset(t, 0, sizeof *t);
}

static int
by_seed(const void *a, const void *b)
{
    const purr__sweep_result *x = a, *y = b;
    return x->seed < y->seed ? -1 : x->seed > y->seed;
}

void
purr__sweep_tally_sort(purr__sweep_tally *t)
{
    if (t->nfails)
        qsort(t->fails, t->nfails, sizeof *t->fails, by_seed);
}

/* A distinct failure: its cause, how many seeds, the smallest. */
typedef struct group {
    const purr__sweep_result *first; /* the smallest seed's result */
    uint64_t seeds;
} group;

/* The failures the table lists before it refers to the results file. */
#define TABLE_ROWS 50

void
purr__sweep_print_failures(purr__sweep_tally *t, FILE *out)
{
    if (!t->nfails)
        return;
    purr__sweep_tally_sort(t);
    /* Failures sorted by seed: the first of each cause is its smallest
     * seed, and groups come out in the order of their smallest seeds. */
    group *g = calloc(t->nfails, sizeof *g);
    size_t *gi = calloc(t->nfails, sizeof *gi);
    if (!g || !gi) {
        free(g);
        free(gi);
        return;
    }
    size_t ng = 0;
    for (size_t i = 0; i < t->nfails; i++) {
        size_t j = 0;
        while (j < ng && strcmp(g[j].first->cause, t->fails[i].cause) != 0)
            j++;
        if (j == ng)
            g[ng++].first = &t->fails[i];
        g[j].seeds++;
        gi[i] = j + 1;
    }
    fprintf(out, "\n%zu distinct failure%s", ng, ng == 1 ? "" : "s");
    if (ng == 1)
        fprintf(out, ", %" PRIu64 " seed%s, smallest: seed %" PRIu64 "\n",
                g[0].seeds, g[0].seeds == 1 ? "" : "s", g[0].first->seed);
    else
        fputs(":\n", out);
    for (size_t j = 0; j < ng; j++) {
        const purr__sweep_result *r = g[j].first;
        if (ng > 1)
            fprintf(out, "  [%zu] %" PRIu64 " seed%s, smallest: seed %" PRIu64
                         "\n",
                    j + 1, g[j].seeds, g[j].seeds == 1 ? "" : "s", r->seed);
        fprintf(out, "  [%zu] %s: %s\n", j + 1,
                purr__sweep_outcome_name(r->outcome), r->what);
        if (r->detail[0])
            fprintf(out, "      e.g. seed %" PRIu64 ": %s\n", r->seed,
                    r->detail);
        fprintf(out, "      reproduce: %s\n", r->command);
    }
    fprintf(out, "\nfailing seeds:\n  %-8s %-14s %-5s %s\n", "SEED",
            "VIRTUAL TIME", "CAUSE", "REPRODUCE");
    for (size_t i = 0; i < t->nfails && i < TABLE_ROWS; i++) {
        const purr__sweep_result *r = &t->fails[i];
        char when[32] = "-", cause[16];
        if (r->at_ns >= 0 && (r->outcome == PURR__SWEEP_FAIL ||
                              r->outcome == PURR__SWEEP_ERROR))
            purr_time_format(r->at_ns, when, sizeof when);
        snprintf(cause, sizeof cause, "[%zu]", gi[i]);
        fprintf(out, "  %-8" PRIu64 " %-14s %-5s %s\n", r->seed, when, cause,
                r->command);
        if (r->recording[0])
            fprintf(out, "  %-8s %-14s %-5s recording: %s\n", "", "", "",
                    r->recording);
    }
    if (t->nfails > TABLE_ROWS)
        fprintf(out, "  ... and %zu more failing seeds (every one is in the "
                     "results file)\n",
                t->nfails - TABLE_ROWS);
    free(g);
    free(gi);
}

int
purr__sweep_summarize(const char *what, purr__sweep_tally *t, double seconds,
                      FILE *out)
{
    uint64_t failed = (uint64_t)t->nfails;
    fprintf(out,
            "%s: %" PRIu64 " runs, %" PRIu64 " failed (%" PRIu64
            " expectation, %" PRIu64 " error, %" PRIu64 " crash, %" PRIu64
            " timeout)",
            what, t->runs, failed, t->by_outcome[PURR__SWEEP_FAIL],
            t->by_outcome[PURR__SWEEP_ERROR], t->by_outcome[PURR__SWEEP_CRASH],
            t->by_outcome[PURR__SWEEP_TIMEOUT]);
    if (seconds > 0)
        fprintf(out, " in %.3f s wall, %.1f runs/s", seconds,
                (double)t->runs / seconds);
    if (seconds > 0 && t->runs)
        fprintf(out, "; per run %.3f ms running, %.3f ms worker overhead",
                t->run_ms / (double)t->runs,
                (t->total_ms - t->run_ms) / (double)t->runs);
    fputc('\n', out);
    purr__sweep_print_failures(t, out);
    return failed ? 1 : 0;
}

/* ---------------------------------------------------------------------- */
/* Results file (JSON Lines)                                               */
/* ---------------------------------------------------------------------- */

/* Writes obj as one compact line and releases it. */
static void
put_line(FILE *f, json_t *obj)
{
    if (obj) {
        json_dumpf(obj, f, JSON_COMPACT | JSON_REAL_PRECISION(6));
        json_decref(obj);
    }
    fputc('\n', f);
}

static json_t *
pair(uint64_t a, uint64_t b)
{
    return json_pack("[II]", (json_int_t)a, (json_int_t)b);
}

void
purr__sweep_write_header(FILE *f, const purr__sweep_header *h)
{
    put_line(f, json_pack("{s:i, s:s, s:o, s:o, s:[ii], s:b, s:f, s:I}",
                          "purr_sweep", 1, "scene", h->scene, "seeds",
                          pair(h->first, h->last), "slice",
                          pair(h->lo, h->hi), "shard", (int)h->shard_k,
                          (int)h->shard_n, "shuffle", (int)h->shuffle,
                          "faults_scale", h->faults_scale, "duration_ns",
                          (json_int_t)h->duration_ns));
}

void
purr__sweep_write_result(FILE *f, const purr__sweep_result *r)
{
    json_t *o = json_pack("{s:I, s:s, s:f, s:f}", "seed", (json_int_t)r->seed,
                          "outcome", purr__sweep_outcome_name(r->outcome),
                          "run_ms", r->run_ms, "total_ms", r->total_ms);
    if (o && r->outcome != PURR__SWEEP_PASS) {
        json_object_set_new(o, "at_ns", json_integer(r->at_ns));
        json_object_set_new(o, "what", json_string(r->what));
        if (r->detail[0])
            json_object_set_new(o, "detail", json_string(r->detail));
        json_object_set_new(o, "cause", json_string(r->cause));
        if (r->signal)
            json_object_set_new(o, "signal", json_integer(r->signal));
        if (r->recording[0])
            json_object_set_new(o, "recording", json_string(r->recording));
        json_object_set_new(o, "command", json_string(r->command));
    }
    put_line(f, o);
}

/* Copies the string member key of o into buf (cap bytes): "" when it is
 * absent; false when it is there but not a string. */
static bool
get_str(json_t *o, const char *key, char *buf, size_t cap)
{
    json_t *v = json_object_get(o, key);
    buf[0] = '\0';
    if (!v)
        return true;
    if (!json_is_string(v))
        return false;
    snprintf(buf, cap, "%s", json_string_value(v));
    return true;
}

/* Reads the member key of o as a pair of seeds [a, b], a <= b. */
static bool
get_pair(json_t *o, const char *key, uint64_t *a, uint64_t *b)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_array(v) || json_array_size(v) != 2 ||
        !json_is_integer(json_array_get(v, 0)) ||
        !json_is_integer(json_array_get(v, 1)))
        return false;
    json_int_t x = json_integer_value(json_array_get(v, 0));
    json_int_t y = json_integer_value(json_array_get(v, 1));
    if (x < 0 || y < x)
        return false;
    *a = (uint64_t)x;
    *b = (uint64_t)y;
    return true;
}

static int
parse_header(json_t *o, purr__sweep_header *h, char *msg, size_t cap)
{
    memset(h, 0, sizeof *h);
    uint64_t k, n;
    json_t *shuffle = json_object_get(o, "shuffle");
    json_t *scale = json_object_get(o, "faults_scale");
    json_t *dur = json_object_get(o, "duration_ns");
    if (!get_str(o, "scene", h->scene, sizeof h->scene) ||
        !get_pair(o, "seeds", &h->first, &h->last) ||
        !get_pair(o, "slice", &h->lo, &h->hi) ||
        !get_pair(o, "shard", &k, &n) || k < 1 || k > n || n > 1000000000 ||
        !json_is_boolean(shuffle) || !json_is_number(scale) ||
        !json_is_integer(dur) || h->lo < h->first || h->hi > h->last) {
        snprintf(msg, cap, "a sweep header without scene, seeds, slice, "
                           "shard, shuffle, faults_scale and duration_ns");
        return PURR_EFORMAT;
    }
    h->shard_k = (unsigned)k;
    h->shard_n = (unsigned)n;
    h->shuffle = json_is_true(shuffle);
    h->faults_scale = json_number_value(scale);
    h->duration_ns = json_integer_value(dur);
    return 0;
}

static int
parse_result(json_t *o, purr__sweep_result *r, char *msg, size_t cap)
{
    memset(r, 0, sizeof *r);
    json_t *seed = json_object_get(o, "seed");
    json_t *at = json_object_get(o, "at_ns");
    json_t *sig = json_object_get(o, "signal");
    char outcome[16];
    if (!json_is_integer(seed) || json_integer_value(seed) < 0 ||
        !get_str(o, "outcome", outcome, sizeof outcome) ||
        (r->outcome = purr__sweep_outcome_parse(outcome)) < 0) {
        snprintf(msg, cap, "a seed's line needs a seed (an integer >= 0) and "
                           "an outcome (pass, fail, error, crash, timeout)");
        return PURR_EFORMAT;
    }
    r->seed = (uint64_t)json_integer_value(seed);
    r->run_ms = json_number_value(json_object_get(o, "run_ms"));
    r->total_ms = json_number_value(json_object_get(o, "total_ms"));
    r->at_ns = json_is_integer(at) ? json_integer_value(at) : -1;
    r->signal = json_is_integer(sig) ? (int)json_integer_value(sig) : 0;
    if (!get_str(o, "what", r->what, sizeof r->what) ||
        !get_str(o, "detail", r->detail, sizeof r->detail) ||
        !get_str(o, "cause", r->cause, sizeof r->cause) ||
        !get_str(o, "recording", r->recording, sizeof r->recording) ||
        !get_str(o, "command", r->command, sizeof r->command)) {
        snprintf(msg, cap, "seed %" PRIu64 ": what, detail, cause, recording "
                           "and command must be strings",
                 r->seed);
        return PURR_EFORMAT;
    }
    if (r->outcome != PURR__SWEEP_PASS && !r->cause[0])
        purr__sweep_cause(r);
    return 0;
}

int
purr__sweep_parse_line(const char *line, bool *is_header,
                       purr__sweep_header *h, purr__sweep_result *r, char *msg,
                       size_t cap)
{
    json_error_t err;
    json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &err);
    if (!o) {
        snprintf(msg, cap, "not JSON: %s (column %d)", err.text, err.column);
        return PURR_EFORMAT;
    }
    int rc;
    if (!json_is_object(o)) {
        snprintf(msg, cap, "a line must be a JSON object");
        rc = PURR_EFORMAT;
    } else if ((*is_header = json_object_get(o, "purr_sweep") != NULL)) {
        rc = parse_header(o, h, msg, cap);
    } else {
        rc = parse_result(o, r, msg, cap);
    }
    json_decref(o);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* JUnit                                                                   */
/* ---------------------------------------------------------------------- */

/* Writes s escaped for XML text and attributes. Characters XML 1.0 does
 * not allow (controls other than tab and newline) become '?'. */
static void
xml_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            fputc(c < 0x20 && c != '\t' && c != '\n' ? '?' : c, f);
        }
    }
}

static void
passing_case(FILE *f, const char *suite, uint64_t a, uint64_t b)
{
    fputs("    <testcase classname=\"", f);
    xml_escape(f, suite);
    if (a == b)
        fprintf(f, "\" name=\"seed %" PRIu64 "\"/>\n", a);
    else
        fprintf(f, "\" name=\"seeds %" PRIu64 "..%" PRIu64 "\"/>\n", a, b);
}

void
purr__sweep_write_junit(FILE *f, const char *suite, uint64_t lo, uint64_t hi,
                        const purr__sweep_tally *t, double seconds)
{
    uint64_t failures = 0, errors = 0, cases = t->nfails;
    for (size_t i = 0; i < t->nfails; i++) {
        if (t->fails[i].outcome == PURR__SWEEP_FAIL)
            failures++;
        else
            errors++;
    }
    /* Runs of passing seeds between the failing ones. */
    uint64_t at = lo;
    for (size_t i = 0; i <= t->nfails; i++) {
        uint64_t end = i < t->nfails ? t->fails[i].seed : hi + 1;
        if (end > at)
            cases++;
        at = end + 1;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f,
            "<testsuites tests=\"%" PRIu64 "\" failures=\"%" PRIu64
            "\" errors=\"%" PRIu64 "\" time=\"%.3f\">\n",
            cases, failures, errors, seconds);
    fputs("  <testsuite name=\"", f);
    xml_escape(f, suite);
    fprintf(f,
            "\" tests=\"%" PRIu64 "\" failures=\"%" PRIu64
            "\" errors=\"%" PRIu64 "\" time=\"%.3f\">\n",
            cases, failures, errors, seconds);
    at = lo;
    for (size_t i = 0; i < t->nfails; i++) {
        const purr__sweep_result *r = &t->fails[i];
        if (r->seed > at)
            passing_case(f, suite, at, r->seed - 1);
        at = r->seed + 1;
        const char *tag = r->outcome == PURR__SWEEP_FAIL ? "failure" : "error";
        fputs("    <testcase classname=\"", f);
        xml_escape(f, suite);
        fprintf(f, "\" name=\"seed %" PRIu64 "\" time=\"%.6f\">\n", r->seed,
                r->run_ms / 1e3);
        fprintf(f, "      <%s type=\"%s\" message=\"", tag,
                purr__sweep_outcome_name(r->outcome));
        xml_escape(f, r->what);
        fputs("\">", f);
        if (r->detail[0]) {
            xml_escape(f, r->detail);
            fputc('\n', f);
        }
        fputs("reproduce: ", f);
        xml_escape(f, r->command);
        if (r->recording[0]) {
            fputs("\nrecording: ", f);
            xml_escape(f, r->recording);
        }
        fprintf(f, "</%s>\n    </testcase>\n", tag);
    }
    if (at <= hi && (t->nfails == 0 || t->fails[t->nfails - 1].seed < hi))
        passing_case(f, suite, at, hi);
    fputs("  </testsuite>\n</testsuites>\n", f);
}
