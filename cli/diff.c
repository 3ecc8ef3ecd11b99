/* diff.c - `purr diff A.db B.db`: are two recordings the same, bit for bit?
 *
 * Replay feeds a recording's inputs to today's behaviours, so it cannot
 * tell that two recordings of one scene differ in their inputs (say, one
 * made on x86-64 and one on aarch64, where a contracted multiply-add moved
 * a sensor's reading by one ULP). This verb reads both recordings and
 * compares their transitions in seq order: the value's name, the time and
 * the payload bytes, inputs included (--outputs: only the others; --value:
 * only the named values). The first difference is reported as replay
 * reports one: the transitions before it, what each recording has there,
 * and, when both are numbers, how far apart they are (the difference and,
 * for doubles, the distance in ULPs).
 *
 * Exit status: 0 identical, 1 different, 2 bad usage or a file that is not
 * a readable recording (one line naming it).
 */
#include "cli_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_diff[] =
    "usage: purr diff A.db B.db [--outputs] [--value NAME]... [-q]\n"
    "\n"
    "Compares two recordings transition by transition, in seq order: the\n"
    "value, the virtual time and the exact payload bytes, inputs included.\n"
    "The first difference is reported with the ten transitions before it,\n"
    "both sides, and how far apart two numbers are (for doubles, in ULPs).\n"
    "Use it to check that a scene records the same bytes on two machines\n"
    "or builds (replay cannot: it feeds the recorded inputs).\n"
    "\n"
    "options:\n"
    "  --outputs      compare only transitions of values that are not\n"
    "                 inputs\n"
    "  --value NAME   compare only this value's transitions (repeatable)\n"
    "  -q, --quiet    the summary line only\n"
    "  -h, --help     show this help\n"
    "\n"
    "exit status: 0 identical; 1 the recordings differ; 2 bad usage or a\n"
    "file that is not a readable recording\n";

#define DIFF_CONTEXT 10
#define DIFF_MAX_VALUES 64

/* One transition, as kept for the report. */
typedef struct diff_row {
    uint64_t seq;
    purr_time time_ns;
    char value[64];
    char text[160];
} diff_row;

/* One side of the comparison: a recording and its iterator, stepped to
 * the next transition that passes the filter. */
typedef struct side {
    const char *path;
    purr_recording *rec;
    purr_recording_iter it;
    bool open;               /* it is open */
    bool done;               /* no more transitions */
    uint64_t seen;           /* transitions that passed the filter */
} side;

typedef struct filter {
    bool outputs_only;
    const char *values[DIFF_MAX_VALUES];
    size_t nvalues;
} filter;

static bool
passes(const filter *f, const purr_recorded_value *v)
{
    if (f->outputs_only && v->role == PURR_ROLE_INPUT)
        return false;
    if (f->nvalues == 0)
        return true;
    for (size_t i = 0; i < f->nvalues; i++)
        if (strcmp(f->values[i], v->name) == 0)
            return true;
    return false;
}

/* Steps s to its next transition passing f. Returns 0 (s->done when there
 * is none), or a negative code with diag set (a corrupt row). */
static int
step(side *s, const filter *f, purr_diag *diag)
{
    int rc;
    while ((rc = purr_recording_iter_next(&s->it, diag)) == 0) {
        if (!passes(f, s->it.value))
            continue;
        s->seen++;
        return 0;
    }
    if (rc == PURR_ECLOSED) {
        s->done = true;
        return 0;
    }
    return rc;
}

static void
row_set(diff_row *row, const purr_recording_iter *it)
{
    row->seq = it->seq;
    row->time_ns = it->time_ns;
    snprintf(row->value, sizeof row->value, "%s", it->value->name);
    size_t n = purr_datum_format(&it->datum, row->text, sizeof row->text);
    if (n >= sizeof row->text)
        memcpy(row->text + sizeof row->text - 4, "...", 4);
}

static void
print_row(FILE *out, const char *tag, const diff_row *row)
{
    char t[48];
    uint64_t ns = row->time_ns < 0 ? -(uint64_t)row->time_ns
                                   : (uint64_t)row->time_ns;
    snprintf(t, sizeof t, "%s%" PRIu64 ".%09" PRIu64,
             row->time_ns < 0 ? "-" : "", ns / 1000000000, ns % 1000000000);
    fprintf(out, "  %-9s t=%ss  %s = %s  (seq %" PRIu64 ")\n", tag, t,
            row->value, row->text, row->seq);
}

/* The distance in ULPs between two finite doubles of the same sign class,
 * by their ordered bit patterns. */
static uint64_t
ulps(double a, double b)
{
    int64_t ia, ib;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    /* Map the sign-magnitude patterns onto one ordered integer line. */
    if (ia < 0)
        ia = INT64_MIN - ia;
    if (ib < 0)
        ib = INT64_MIN - ib;
    return ia > ib ? (uint64_t)ia - (uint64_t)ib : (uint64_t)ib - (uint64_t)ia;
}

/* Says how far apart the two data are when both are numbers. */
static void
print_distance(FILE *out, const purr_datum *a, const purr_datum *b)
{
    purr_type ta = purr_datum_type(a), tb = purr_datum_type(b);
    if (ta == PURR_T_INT && tb == PURR_T_INT) {
        fprintf(out, "  B - A     %" PRId64 "\n",
                purr_datum_as_int(b) - purr_datum_as_int(a));
        return;
    }
    if ((ta != PURR_T_DOUBLE && ta != PURR_T_INT) ||
        (tb != PURR_T_DOUBLE && tb != PURR_T_INT))
        return;
    double x = purr_datum_as_double(a), y = purr_datum_as_double(b);
    if (ta == PURR_T_DOUBLE && tb == PURR_T_DOUBLE && isfinite(x) &&
        isfinite(y))
        fprintf(out, "  B - A     %.17g (%" PRIu64 " ULP%s)\n", y - x,
                ulps(x, y), ulps(x, y) == 1 ? "" : "s");
    else
        fprintf(out, "  B - A     %.17g\n", y - x);
}

/* Opens path into s; prints the one-line error and returns 2 on failure. */
static int
side_open(side *s, const char *path)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    if (purr_recording_open(path, &s->rec, &diag) < 0)
        return purr__cli_print_diag(&diag);
    if (purr_recording_iter_open(&s->it, s->rec) < 0) {
        purr_diag_set(&diag, path, 0, 0, "cannot read the transitions");
        return purr__cli_print_diag(&diag);
    }
    s->open = true;
    return 0;
}

static void
side_close(side *s)
{
    if (s->open)
        purr_recording_iter_close(&s->it);
    purr_recording_close(s->rec);
}

static int
diff_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "purr: diff: %s%s%s (see 'purr diff --help')\n", msg,
            arg ? " " : "", arg ? arg : "");
    return 2;
}

/* Compares a and b; prints the verdict. Returns the exit status. */
static int
compare(side *a, side *b, const filter *f, bool quiet)
{
    diff_row before[DIFF_CONTEXT];
    size_t nbefore = 0, next = 0;
    uint64_t same = 0;
    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    for (;;) {
        int rc;
        if ((rc = step(a, f, &diag)) < 0 || (rc = step(b, f, &diag)) < 0)
            return purr__cli_print_diag(&diag);
        if (a->done && b->done) {
            printf("%s and %s: identical (%" PRIu64 " transitions)\n",
                   a->path, b->path, same);
            return 0;
        }
        const char *what = NULL;
        if (a->done || b->done)
            what = a->done ? "A ended" : "B ended";
        else if (strcmp(a->it.value->name, b->it.value->name) != 0)
            what = "another value";
        else if (a->it.time_ns != b->it.time_ns)
            what = "another time";
        else if (a->it.payload_len != b->it.payload_len ||
                 memcmp(a->it.payload, b->it.payload, a->it.payload_len) !=
                     0)
            what = "another datum";
        if (!what) {
            row_set(&before[next], &a->it);
            next = (next + 1) % DIFF_CONTEXT;
            nbefore += nbefore < DIFF_CONTEXT;
            same++;
            continue;
        }
        printf("%s and %s: DIFFERENT at transition %" PRIu64
               " (%s; %" PRIu64 " identical before it)\n",
               a->path, b->path, same + 1, what, same);
        if (quiet)
            return 1;
        if (nbefore)
            printf("  the %zu transitions before it (identical):\n",
                   nbefore);
        for (size_t i = 0; i < nbefore; i++)
            print_row(stdout, "",
                      &before[(next + DIFF_CONTEXT - nbefore + i) %
                              DIFF_CONTEXT]);
        diff_row ra, rb;
        if (!a->done) {
            row_set(&ra, &a->it);
            print_row(stdout, "A", &ra);
        } else {
            printf("  A         (no more transitions)\n");
        }
        if (!b->done) {
            row_set(&rb, &b->it);
            print_row(stdout, "B", &rb);
        } else {
            printf("  B         (no more transitions)\n");
        }
        if (!a->done && !b->done &&
            strcmp(a->it.value->name, b->it.value->name) == 0)
            print_distance(stdout, &a->it.datum, &b->it.datum);
        return 1;
    }
}

int
purr__cli_diff(int argc, char **argv)
{
    filter f;
    memset(&f, 0, sizeof f);
    const char *files[2];
    int nfiles = 0;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(usage_diff, stdout);
            return 0;
        } else if (strcmp(arg, "--outputs") == 0) {
            f.outputs_only = true;
        } else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(arg, "--value") == 0) {
            if (i + 1 >= argc || !argv[i + 1][0])
                return diff_usage("--value needs a value's name", NULL);
            if (f.nvalues == DIFF_MAX_VALUES)
                return diff_usage("more than 64 --value options", NULL);
            f.values[f.nvalues++] = argv[++i];
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return diff_usage("unknown option", arg);
        } else if (nfiles == 2) {
            return diff_usage("three recordings given; compare two, not",
                              arg);
        } else {
            files[nfiles++] = arg;
        }
    }
    if (nfiles < 2)
        return diff_usage("give two recordings", NULL);
    side a, b;
    int st = side_open(&a, files[0]);
    if (st != 0) {
        side_close(&a);
        return st;
    }
    if ((st = side_open(&b, files[1])) != 0) {
        side_close(&a);
        side_close(&b);
        return st;
    }
    /* A --value no recording has is a typo, not an empty comparison. */
    for (size_t i = 0; i < f.nvalues; i++)
        if (!purr_recording_value_find(a.rec, f.values[i]) &&
            !purr_recording_value_find(b.rec, f.values[i])) {
            side_close(&a);
            side_close(&b);
            return diff_usage("--value: neither recording has a value "
                              "named",
                              f.values[i]);
        }
    st = compare(&a, &b, &f, quiet);
    side_close(&a);
    side_close(&b);
    return st;
}
