/* shard.c - splitting a sweep's seed range into shards, and --shard auto.
 *
 * Shard K of N (1-based K) is the K-th of N contiguous slices of the
 * range, the slices differing in length by at most one seed, so that
 * shards 1..N cover every seed exactly once whatever N is. With --shard
 * auto the index and count come from the engine that started the process
 * (docs/sweeps.md lists each engine's variables and index base): a
 * Kubernetes Indexed Job, a Slurm job array, or a CI matrix using
 * CI_NODE_INDEX/CI_NODE_TOTAL (GitLab's `parallel:` sets them; a GitHub
 * Actions matrix sets them itself).
 */
#include "sweep_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Parses a decimal unsigned int (digits only) into *out. */
static bool
parse_uint(const char *s, size_t len, unsigned *out)
{
    if (len == 0 || len > 9)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

bool
purr__shard_parse(const char *text, unsigned *k, unsigned *n)
{
    const char *slash = strchr(text, '/');
    if (!slash)
        return false;
    unsigned kk, nn;
    if (!parse_uint(text, (size_t)(slash - text), &kk) ||
        !parse_uint(slash + 1, strlen(slash + 1), &nn))
        return false;
    if (nn < 1 || kk < 1 || kk > nn)
        return false;
    *k = kk;
    *n = nn;
    return true;
}

/* The environment variable name as an unsigned int: 1 read, 0 absent, -1
 * present but not a number (msg says so). */
static int
env_uint(const char *name, unsigned *out, char *msg, size_t cap)
{
    const char *v = getenv(name);
    if (!v)
        return 0;
    if (!parse_uint(v, strlen(v), out)) {
        snprintf(msg, cap, "--shard auto: %s is '%.40s', not a number", name,
                 v);
        return -1;
    }
    return 1;
}

/* Checks index (0-based) against count and stores the 1-based shard. */
static int
store(unsigned index0, unsigned count, const char *what, unsigned *k,
      unsigned *n, char *msg, size_t cap)
{
    if (count < 1 || index0 >= count) {
        snprintf(msg, cap,
                 "--shard auto: %s gives shard index %u (0-based) of %u",
                 what, index0, count);
        return -1;
    }
    *k = index0 + 1;
    *n = count;
    return 0;
}

int
purr__shard_auto(unsigned *k, unsigned *n, char *msg, size_t cap)
{
    unsigned idx, count, min, step;
    int r;
    /* Kubernetes Indexed Job: JOB_COMPLETION_INDEX is 0-based; the Job's
     * completions are not in the pod's environment, so the manifest
     * passes them as PURR_SHARD_COUNT. */
    if ((r = env_uint("JOB_COMPLETION_INDEX", &idx, msg, cap)) != 0) {
        if (r < 0)
            return -1;
        if ((r = env_uint("PURR_SHARD_COUNT", &count, msg, cap)) <= 0) {
            if (r == 0)
                snprintf(msg, cap,
                         "--shard auto: JOB_COMPLETION_INDEX is set but "
                         "PURR_SHARD_COUNT (the Job's completions) is not");
            return -1;
        }
        return store(idx, count, "JOB_COMPLETION_INDEX", k, n, msg, cap);
    }
    /* Slurm job array: SLURM_ARRAY_TASK_ID runs from SLURM_ARRAY_TASK_MIN
     * (0 or 1, as --array says) in steps of 1. */
    if ((r = env_uint("SLURM_ARRAY_TASK_ID", &idx, msg, cap)) != 0) {
        if (r < 0)
            return -1;
        if ((r = env_uint("SLURM_ARRAY_TASK_COUNT", &count, msg, cap)) <= 0) {
            if (r == 0)
                snprintf(msg, cap, "--shard auto: SLURM_ARRAY_TASK_ID is set "
                                   "but SLURM_ARRAY_TASK_COUNT is not");
            return -1;
        }
        if ((r = env_uint("SLURM_ARRAY_TASK_MIN", &min, msg, cap)) < 0)
            return -1;
        if (r == 0)
            min = 0;
        if ((r = env_uint("SLURM_ARRAY_TASK_STEP", &step, msg, cap)) < 0)
            return -1;
        if (r > 0 && step != 1) {
            snprintf(msg, cap,
                     "--shard auto: the Slurm array steps by %u; give "
                     "--array a step of 1 (e.g. --array=0-9)",
                     step);
            return -1;
        }
        if (idx < min) {
            snprintf(msg, cap,
                     "--shard auto: SLURM_ARRAY_TASK_ID %u is below "
                     "SLURM_ARRAY_TASK_MIN %u",
                     idx, min);
            return -1;
        }
        return store(idx - min, count, "SLURM_ARRAY_TASK_ID", k, n, msg, cap);
    }
    /* GitLab `parallel:` (and a GitHub Actions matrix that sets them):
     * CI_NODE_INDEX is 1-based. */
    if ((r = env_uint("CI_NODE_INDEX", &idx, msg, cap)) != 0) {
        if (r < 0)
            return -1;
        if ((r = env_uint("CI_NODE_TOTAL", &count, msg, cap)) <= 0) {
            if (r == 0)
                snprintf(msg, cap, "--shard auto: CI_NODE_INDEX is set but "
                                   "CI_NODE_TOTAL is not");
            return -1;
        }
        if (idx < 1) {
            snprintf(msg, cap, "--shard auto: CI_NODE_INDEX is 1-based, "
                               "got 0");
            return -1;
        }
        return store(idx - 1, count, "CI_NODE_INDEX", k, n, msg, cap);
    }
    snprintf(msg, cap,
             "--shard auto: no shard index in the environment "
             "(JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or CI_NODE_INDEX); "
             "give --shard K/N");
    return -1;
}

bool
purr__shard_slice(uint64_t first, uint64_t last, unsigned k, unsigned n,
                  uint64_t *lo, uint64_t *hi)
{
    /* 128-bit products: total * k never overflows. */
    unsigned __int128 total = (unsigned __int128)(last - first) + 1;
    uint64_t a = first + (uint64_t)(total * (k - 1) / n);
    uint64_t b = first + (uint64_t)(total * k / n); /* one past */
    if (b == a)
        return false;
    *lo = a;
    *hi = b - 1;
    return true;
}
