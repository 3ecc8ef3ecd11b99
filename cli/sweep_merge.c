/* sweep_merge.c - `purr sweep --merge DIR...`: the shards' results files
 * as one sweep.
 *
 * Reads every results file given, or every *.jsonl in each directory
 * given (in name order), checks that they describe one sweep (the same
 * scene, seed range and options), and that every seed of the range was
 * run exactly once: seeds missing (a shard that never reported) or run
 * twice (a shard run twice, overlapping ranges) are listed and the merge
 * exits with 2. Otherwise it prints the sweep's summary and failure table,
 * as the sweep itself does, and writes one JUnit report for the whole
 * range.
 */
#include "sweep_int.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The largest range a merge checks seed by seed (a bit per seed). */
#define MERGE_MAX_SEEDS (UINT64_C(1) << 32)

typedef struct merge {
    bool have_header;           /* a header has been read */
    purr__sweep_header h;       /* the first header */
    unsigned char *seen;        /* one bit per seed of [first, last] */
    unsigned char *twice;       /* one bit per seed: seen more than once */
    uint64_t dups;              /* seeds seen more than once */
    purr__sweep_tally tally;
    char *shards_seen;          /* per shard k (1..n): a header came */
    int status;                 /* 2 once input is bad */
} merge;

static int
fail_line(const char *file, long line, const char *msg)
{
    fprintf(stderr, "purr: %s:%ld: %s\n", file, line, msg);
    return 2;
}

/* Takes a header: the first sets the sweep, the others must agree. */
static int
take_header(merge *m, const purr__sweep_header *h, const char *file,
            long line)
{
    if (!m->have_header) {
        if (h->last - h->first >= MERGE_MAX_SEEDS)
            return fail_line(file, line, "the sweep's range is too large to "
                                         "merge (more than 2^32 seeds)");
        uint64_t bytes = (h->last - h->first) / 8 + 1;
        m->seen = calloc(bytes, 1);
        m->twice = calloc(bytes, 1);
        m->shards_seen = calloc(h->shard_n + 1, 1);
        if (!m->seen || !m->twice || !m->shards_seen)
            return fail_line(file, line, "out of memory");
        m->h = *h;
        m->have_header = true;
    } else if (strcmp(h->scene, m->h.scene) != 0 || h->first != m->h.first ||
               h->last != m->h.last || h->shuffle != m->h.shuffle ||
               h->faults_scale != m->h.faults_scale ||
               h->duration_ns != m->h.duration_ns ||
               h->shard_n != m->h.shard_n) {
        return fail_line(file, line,
                         "another sweep (its scene, seeds, shard count or "
                         "options differ from the first file's)");
    }
    m->shards_seen[h->shard_k] = 1;
    return 0;
}

static int
take_result(merge *m, const purr__sweep_result *r, const char *file,
            long line)
{
    if (r->seed < m->h.first || r->seed > m->h.last) {
        char msg[128];
        snprintf(msg, sizeof msg, "seed %" PRIu64 " is outside the sweep's "
                                  "range %" PRIu64 "..%" PRIu64,
                 r->seed, m->h.first, m->h.last);
        return fail_line(file, line, msg);
    }
    uint64_t i = r->seed - m->h.first;
    unsigned char bit = (unsigned char)(1u << (i % 8));
    if (m->seen[i / 8] & bit) {
        if (!(m->twice[i / 8] & bit))
            m->dups++;
        m->twice[i / 8] |= bit;
        return 0;
    }
    m->seen[i / 8] |= bit;
    purr__sweep_tally_add(&m->tally, r);
    return 0;
}

/* Reads one results file. */
static int
read_file(merge *m, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "purr: %s: %s\n", path, strerror(errno));
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    long no = 0;
    int rc = 0;
    bool header = false;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        no++;
        if (line[0] == '\n' || line[0] == '\0')
            continue;
        bool is_header = false;
        purr__sweep_header h;
        purr__sweep_result r;
        char msg[256];
        if (purr__sweep_parse_line(line, &is_header, &h, &r, msg,
                                   sizeof msg) < 0) {
            rc = fail_line(path, no, msg);
        } else if (is_header) {
            rc = header ? fail_line(path, no, "a second header line")
                        : take_header(m, &h, path, no);
            header = true;
        } else if (!header) {
            rc = fail_line(path, no, "a seed before the sweep's header line");
        } else {
            rc = take_result(m, &r, path, no);
        }
    }
    if (rc == 0 && !header)
        rc = fail_line(path, 1, "not a sweep's results file (no header)");
    free(line);
    fclose(f);
    return rc;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads every *.jsonl of dir, in name order. */
static int
read_dir(merge *m, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "purr: %s: %s\n", dir, strerror(errno));
        return 2;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 6 || strcmp(e->d_name + len - 6, ".jsonl") != 0 ||
            e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **p = realloc(names, cap * sizeof *p);
            if (!p)
                break;
            names = p;
        }
        names[n] = malloc(strlen(dir) + len + 2);
        if (!names[n])
            break;
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    int rc = 0;
    if (n == 0) {
        fprintf(stderr, "purr: %s: no results files (*.jsonl) in it\n", dir);
        rc = 2;
    }
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = read_file(m, names[i]);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Prints runs of seeds whose bit in bits is (want) set, at most 10. */
static void
print_runs(const merge *m, const unsigned char *bits, bool want,
           const char *what, uint64_t count)
{
    fprintf(stderr, "purr: sweep --merge: %" PRIu64 " seed%s %s:", count,
            count == 1 ? "" : "s", what);
    uint64_t n = m->h.last - m->h.first + 1;
    int shown = 0;
    for (uint64_t i = 0; i < n && shown < 10;) {
        bool set = (bits[i / 8] >> (i % 8)) & 1;
        if (set != want) {
            i++;
            continue;
        }
        uint64_t j = i;
        while (j + 1 < n && (((bits[(j + 1) / 8] >> ((j + 1) % 8)) & 1) ==
                             want))
            j++;
        if (i == j)
            fprintf(stderr, " %" PRIu64, m->h.first + i);
        else
            fprintf(stderr, " %" PRIu64 "..%" PRIu64, m->h.first + i,
                    m->h.first + j);
        shown++;
        i = j + 1;
    }
    fputs(shown == 10 ? " ...\n" : "\n", stderr);
}

int
purr__sweep_merge(int nin, char **ins, const char *junit, bool force,
                  bool quiet)
{
    (void)quiet;
    purr_diag diag = {0};
    if (junit && purr_output_check(junit, (const char *const *)ins,
                                   (size_t)nin, PURR_OUTPUT_XML, force,
                                   &diag) < 0)
        return purr__cli_print_diag(&diag);
    merge m = {0};
    int rc = 0;
    for (int i = 0; i < nin && rc == 0; i++) {
        struct stat st;
        if (stat(ins[i], &st) == 0 && S_ISDIR(st.st_mode))
            rc = read_dir(&m, ins[i]);
        else
            rc = read_file(&m, ins[i]);
    }
    if (rc == 0) {
        uint64_t n = m.h.last - m.h.first + 1, missing = n;
        for (uint64_t i = 0; i < n; i++)
            missing -= (m.seen[i / 8] >> (i % 8)) & 1;
        for (unsigned k = 1; k <= m.h.shard_n; k++) {
            uint64_t lo, hi;
            if (!m.shards_seen[k] &&
                purr__shard_slice(m.h.first, m.h.last, k, m.h.shard_n, &lo,
                                  &hi))
                fprintf(stderr,
                        "purr: sweep --merge: no results of shard %u/%u "
                        "(seeds %" PRIu64 "..%" PRIu64 ")\n",
                        k, m.h.shard_n, lo, hi);
        }
        if (missing)
            print_runs(&m, m.seen, false, "missing (never run)", missing);
        if (m.dups)
            print_runs(&m, m.twice, true, "run more than once", m.dups);
        if (missing || m.dups)
            rc = 2;
    }
    if (rc == 0) {
        char what[700];
        snprintf(what, sizeof what,
                 "merged sweep of %s, seeds %" PRIu64 "..%" PRIu64
                 " (%u shard%s)%s",
                 m.h.scene, m.h.first, m.h.last, m.h.shard_n,
                 m.h.shard_n == 1 ? "" : "s", m.h.shuffle ? ", shuffled" : "");
        /* No wall time: the shards ran elsewhere. */
        rc = purr__sweep_summarize(what, &m.tally, 0, stdout);
        if (junit) {
            purr_output jo = {0};
            char suite[600];
            snprintf(suite, sizeof suite, "purr sweep %s", m.h.scene);
            if (purr_output_open(&jo, junit, &diag) < 0) {
                rc = purr__cli_print_diag(&diag) + 1;
            } else {
                purr__sweep_tally_sort(&m.tally);
                purr__sweep_write_junit(jo.file, suite, m.h.first, m.h.last,
                                        &m.tally, m.tally.total_ms / 1e3);
                if (purr_output_close(&jo, &diag) < 0)
                    rc = purr__cli_print_diag(&diag) + 1;
                else
                    printf("junit: %s\n", junit);
            }
        }
    }
    purr__sweep_tally_free(&m.tally);
    free(m.seen);
    free(m.twice);
    free(m.shards_seen);
    return rc;
}
