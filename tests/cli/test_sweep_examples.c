/* test_sweep_examples.c - the sweep examples of docs/sweeps.md
 * (docs/examples/sweep-*), checked as far as a machine without the
 * engines can: each file is parsed (YAML through libyaml), the shard
 * count and indices its jobs or pods would get are read from it, each
 * shard's environment is fed to `purr sweep --shard auto` on a small
 * range, and `purr sweep --merge` of the results must find every seed
 * run exactly once. */
#include "purr_cmd.h"

#include <criterion/criterion.h>
#include <yaml.h>

#include <stdlib.h>
#include <string.h>

static char dir[256];
static char out[1 << 16], err[1 << 14];

static void
setup(void)
{
    purr_cmd_dir_make(dir, sizeof dir, "purr-test-sweep-ex", NULL);
}

static void
teardown(void)
{
    purr_cmd_dir_remove(dir);
}

TestSuite(sweep_examples, .init = setup, .fini = teardown);

/* ---------------------------------------------------------------------- */
/* YAML                                                                    */
/* ---------------------------------------------------------------------- */

#define MAX_DOCS 4

typedef struct yfile {
    yaml_document_t docs[MAX_DOCS];
    int n;
} yfile;

static void
yfile_load(yfile *y, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", PURR_EXAMPLES_DIR, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    yaml_parser_t p;
    cr_assert(yaml_parser_initialize(&p));
    yaml_parser_set_input_file(&p, f);
    y->n = 0;
    for (;;) {
        cr_assert_lt(y->n, MAX_DOCS);
        yaml_document_t *d = &y->docs[y->n];
        cr_assert(yaml_parser_load(&p, d), "%s: %s (line %zu)", path,
                  p.problem, p.problem_mark.line + 1);
        if (!yaml_document_get_root_node(d)) {
            yaml_document_delete(d);
            break;
        }
        y->n++;
    }
    yaml_parser_delete(&p);
    fclose(f);
    cr_assert_gt(y->n, 0, "%s: no document", path);
}

static void
yfile_free(yfile *y)
{
    for (int i = 0; i < y->n; i++)
        yaml_document_delete(&y->docs[i]);
}

static const char *
scalar(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                            : NULL;
}

/* The value of the first key named key, depth first from n. */
static yaml_node_t *
find(yaml_document_t *d, yaml_node_t *n, const char *key)
{
    if (!n)
        return NULL;
    if (n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             p < n->data.mapping.pairs.top; p++) {
            const char *k = scalar(yaml_document_get_node(d, p->key));
            if (k && strcmp(k, key) == 0)
                return yaml_document_get_node(d, p->value);
        }
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             p < n->data.mapping.pairs.top; p++) {
            yaml_node_t *v = find(d, yaml_document_get_node(d, p->value), key);
            if (v)
                return v;
        }
    } else if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *i = n->data.sequence.items.start;
             i < n->data.sequence.items.top; i++) {
            yaml_node_t *v = find(d, yaml_document_get_node(d, *i), key);
            if (v)
                return v;
        }
    }
    return NULL;
}

/* Whether some scalar under n contains every one of the words. */
static bool
has_scalar_with(yaml_document_t *d, yaml_node_t *n, const char *a,
                const char *b)
{
    if (!n)
        return false;
    const char *s = scalar(n);
    if (s)
        return strstr(s, a) && strstr(s, b);
    if (n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             p < n->data.mapping.pairs.top; p++)
            if (has_scalar_with(d, yaml_document_get_node(d, p->value), a, b))
                return true;
    } else if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *i = n->data.sequence.items.start;
             i < n->data.sequence.items.top; i++)
            if (has_scalar_with(d, yaml_document_get_node(d, *i), a, b))
                return true;
    }
    return false;
}

static int
to_int(const char *s)
{
    cr_assert(s && *s, "a number is missing");
    char *end;
    long v = strtol(s, &end, 10);
    cr_assert(!*end && v > 0 && v < 1000, "'%s' is not a shard count", s);
    return (int)v;
}

/* ---------------------------------------------------------------------- */
/* Shards                                                                  */
/* ---------------------------------------------------------------------- */

static void
clear_engines(void)
{
    static const char *const vars[] = {
        "JOB_COMPLETION_INDEX", "PURR_SHARD_COUNT", "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_STEP", "CI_NODE_INDEX", "CI_NODE_TOTAL"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

/* Runs one shard (its environment set by the caller) into sub/. */
static void
run_shard(const char *sub, int which)
{
    char args[512];
    snprintf(args, sizeof args,
             "sweep " PURR_SCENES_DIR "/courier.yaml --seeds 1..61 --shuffle "
             "--shard auto --jobs 2 -q --results %s/shard-%d.jsonl",
             sub, which);
    int st = purr_cmd_in(dir, args, out, sizeof out, err, sizeof err);
    cr_assert(st == 0 || st == 1, "shard %d: %d %s", which, st, err);
    clear_engines();
}

/* Merges sub/ and checks that all 61 seeds ran once. */
static void
merge_all(const char *sub, int shards)
{
    char args[256], want[64];
    snprintf(args, sizeof args, "sweep --merge %s", sub);
    int st = purr_cmd_in(dir, args, out, sizeof out, err, sizeof err);
    cr_assert(st == 0 || st == 1, "merge: %d %s", st, err);
    cr_assert(strstr(out, "61 runs, "), "%s", out);
    snprintf(want, sizeof want, "(%d shard%s)", shards, shards == 1 ? "" : "s");
    cr_assert(strstr(out, want), "%s", out);
}

static void
mkdir_in(const char *sub)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/%s", dir, sub);
    cr_assert_eq(system(cmd), 0);
}

Test(sweep_examples, github_matrix)
{
    yfile y;
    yfile_load(&y, "sweep-github.yml");
    yaml_document_t *d = &y.docs[0];
    yaml_node_t *root = yaml_document_get_root_node(d);
    yaml_node_t *shard = find(d, find(d, root, "matrix"), "shard");
    cr_assert(shard && shard->type == YAML_SEQUENCE_NODE);
    int n = to_int(scalar(find(d, root, "CI_NODE_TOTAL")));
    cr_assert(strstr(scalar(find(d, root, "CI_NODE_INDEX")), "matrix.shard"));
    cr_assert(has_scalar_with(d, root, "purr sweep", "--shard auto"));
    cr_assert(has_scalar_with(d, root, "purr sweep --merge", ""));
    int count = (int)(shard->data.sequence.items.top -
                      shard->data.sequence.items.start);
    cr_assert_eq(count, n, "the matrix lists %d shards of %d", count, n);
    mkdir_in("gh");
    for (yaml_node_item_t *i = shard->data.sequence.items.start;
         i < shard->data.sequence.items.top; i++) {
        const char *k = scalar(yaml_document_get_node(d, *i));
        setenv("CI_NODE_INDEX", k, 1);
        char total[16];
        snprintf(total, sizeof total, "%d", n);
        setenv("CI_NODE_TOTAL", total, 1);
        run_shard("gh", to_int(k));
    }
    merge_all("gh", n);
    yfile_free(&y);
}

Test(sweep_examples, gitlab_parallel)
{
    yfile y;
    yfile_load(&y, "sweep-gitlab.yml");
    yaml_document_t *d = &y.docs[0];
    yaml_node_t *root = yaml_document_get_root_node(d);
    int n = to_int(scalar(find(d, find(d, root, "sweep"), "parallel")));
    cr_assert(has_scalar_with(d, root, "purr sweep", "--shard auto"));
    cr_assert(has_scalar_with(d, root, "purr sweep --merge", ""));
    mkdir_in("gl");
    char k[16], total[16];
    snprintf(total, sizeof total, "%d", n);
    for (int i = 1; i <= n; i++) { /* GitLab: CI_NODE_INDEX is 1-based */
        snprintf(k, sizeof k, "%d", i);
        setenv("CI_NODE_INDEX", k, 1);
        setenv("CI_NODE_TOTAL", total, 1);
        run_shard("gl", i);
    }
    merge_all("gl", n);
    yfile_free(&y);
}

Test(sweep_examples, kubernetes_indexed_job)
{
    yfile y;
    yfile_load(&y, "sweep-k8s-job.yaml");
    cr_assert_eq(y.n, 2, "the sweep Job and the merge Job");
    yaml_document_t *d = &y.docs[0];
    yaml_node_t *root = yaml_document_get_root_node(d);
    cr_assert_str_eq(scalar(find(d, root, "kind")), "Job");
    cr_assert_str_eq(scalar(find(d, root, "completionMode")), "Indexed");
    int n = to_int(scalar(find(d, root, "completions")));
    /* The count the pods are told must be the Job's completions. */
    yaml_node_t *env = find(d, root, "env");
    cr_assert(env && env->type == YAML_SEQUENCE_NODE);
    const char *count = NULL;
    for (yaml_node_item_t *i = env->data.sequence.items.start;
         i < env->data.sequence.items.top; i++) {
        yaml_node_t *e = yaml_document_get_node(d, *i);
        const char *name = scalar(find(d, e, "name"));
        if (name && strcmp(name, "PURR_SHARD_COUNT") == 0)
            count = scalar(find(d, e, "value"));
    }
    cr_assert_eq(to_int(count), n, "PURR_SHARD_COUNT is not the completions");
    cr_assert(has_scalar_with(d, root, "purr sweep", "--shard auto"));
    cr_assert(has_scalar_with(&y.docs[1], yaml_document_get_root_node(
                                              &y.docs[1]),
                              "purr sweep --merge", ""));
    mkdir_in("k8s");
    char k[16];
    for (int i = 0; i < n; i++) { /* JOB_COMPLETION_INDEX is 0-based */
        snprintf(k, sizeof k, "%d", i);
        setenv("JOB_COMPLETION_INDEX", k, 1);
        setenv("PURR_SHARD_COUNT", count, 1);
        run_shard("k8s", i);
    }
    merge_all("k8s", n);
    yfile_free(&y);
}

Test(sweep_examples, slurm_array)
{
    char path[512], line[256];
    snprintf(path, sizeof path, "%s/sweep-slurm.sh", PURR_EXAMPLES_DIR);
    FILE *f = fopen(path, "r");
    cr_assert(f);
    int lo = -1, hi = -1;
    bool auto_shard = false;
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "#SBATCH --array=%d-%d", &lo, &hi);
        auto_shard = auto_shard || strstr(line, "--shard auto");
    }
    fclose(f);
    cr_assert(lo >= 0 && hi >= lo && auto_shard, "%d-%d", lo, hi);
    mkdir_in("slurm");
    char id[16], min[16], count[16];
    snprintf(min, sizeof min, "%d", lo);
    snprintf(count, sizeof count, "%d", hi - lo + 1);
    for (int i = lo; i <= hi; i++) { /* IDs run over the --array range */
        snprintf(id, sizeof id, "%d", i);
        setenv("SLURM_ARRAY_TASK_ID", id, 1);
        setenv("SLURM_ARRAY_TASK_MIN", min, 1);
        setenv("SLURM_ARRAY_TASK_COUNT", count, 1);
        run_shard("slurm", i);
    }
    merge_all("slurm", hi - lo + 1);
}
