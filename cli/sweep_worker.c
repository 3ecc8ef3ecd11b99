/* sweep_worker.c - the worker processes of `purr sweep`.
 *
 * The parent loads the scene and the plug-ins once, then forks `--jobs`
 * workers, each of which runs many seeds: it reads a seed (8 bytes) from
 * its command pipe, runs the scene for that seed in process, and writes a
 * purr__sweep_result back through its result pipe (a fixed-size struct
 * between two processes of one program image, smaller than PIPE_BUF, so
 * each write is whole). Starting a process per seed would cost more than
 * the short runs a sweep is made of; a worker's overhead per seed is two
 * pipe transfers.
 *
 * A failing seed's recording is made by running the seed again, in the
 * worker, through `purr run`'s own code (purr__cli_run) with --record into
 * the --keep-failures directory: the recording is then the one the
 * printed command makes (the same code, the same arguments), and passing
 * seeds pay nothing for it.
 *
 * The parent waits on the result pipes with poll(). A worker whose pipe
 * ends without a result died (a behaviour crashed it): its seed is a
 * crash, reported with the signal, and a new worker takes its place. A
 * worker still busy after --timeout seconds of wall time is killed
 * (SIGKILL) and its seed reported as timed out (the clock of a seed
 * starts when the worker's previous result arrived). The seed it had
 * queued behind is sent again. Wall time is read here
 * only for that, and for the timings reported; nothing a run computes
 * depends on it.
 */
#define _GNU_SOURCE /* sigabbrev_np */
#include "sweep_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(purr__sweep_result) <= 4096,
               "a result must fit one atomic pipe write (PIPE_BUF)");

static double
wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---------------------------------------------------------------------- */
/* One seed                                                                */
/* ---------------------------------------------------------------------- */

void
purr__sweep_run_seed(const purr__sweep_cfg *cfg, uint64_t seed,
                     purr__sweep_result *r)
{
    memset(r, 0, sizeof *r);
    r->seed = seed;
    purr_sim_options o = {0};
    o.has_seed = true;
    o.seed = seed;
    o.shuffle = cfg->shuffle;
    o.shuffle_seed = seed; /* docs/sweeps.md: the shuffle seed is the seed */
    o.has_faults_scale = cfg->has_faults_scale;
    o.faults_scale = cfg->faults_scale;
    o.duration_ns = cfg->duration_ns;
    double start = wall_ms();
    purr_sim *sim = purr_sim_new(cfg->scene, &o);
    if (!sim) {
        r->outcome = PURR__SWEEP_ERROR;
        snprintf(r->what, sizeof r->what, "cannot create a loop");
        purr__sweep_cause(r);
        return;
    }
    purr_diag diag = {0};
    int rc = purr_sim_run(sim, &diag);
    if (rc < 0) {
        r->outcome = PURR__SWEEP_ERROR;
        r->at_ns = purr_sim_end_time(sim);
        purr_diag_format(&diag, r->what, sizeof r->what);
    } else if (purr_sim_expect_failures(sim)) {
        /* The expectation that failed first (in virtual time; of those
         * failing at one instant, the scene's first). */
        const purr_expect_result *first = NULL;
        for (size_t i = 0; i < purr_sim_expect_count(sim); i++) {
            const purr_expect_result *e = purr_sim_expect_result(sim, i);
            if (e->failed && (!first || e->at_ns < first->at_ns))
                first = e;
        }
        r->outcome = PURR__SWEEP_FAIL;
        r->at_ns = first->at_ns;
        snprintf(r->what, sizeof r->what, "%s", first->text);
        snprintf(r->detail, sizeof r->detail, "%s", first->detail);
    }
    purr_sim_free(sim);
    /* The run is the sim's whole life: built, run, freed. */
    r->run_ms = wall_ms() - start;
    if (r->outcome != PURR__SWEEP_PASS)
        purr__sweep_cause(r);
}

/* Runs seed again through `purr run` with --record into the keep
 * directory; r->recording names the file when it was written. */
static void
keep_recording(const purr__sweep_cfg *cfg, purr__sweep_result *r)
{
    char path[400], seed[32], scale[32], name[64];
    /* The scene's name as a file name: letters, digits, '-', '_', '.'. */
    size_t n = 0;
    for (const char *c = cfg->scene->name; *c && n + 1 < sizeof name; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
                  (*c == '.' && n > 0);
        name[n++] = ok ? *c : '_';
    }
    name[n] = '\0';
    snprintf(path, sizeof path, "%s/%s-seed-%" PRIu64 ".db", cfg->keep_dir,
             n ? name : "scene", r->seed);
    snprintf(seed, sizeof seed, "%" PRIu64, r->seed);
    const char *argv[32 + 64];
    int argc = 0;
    argv[argc++] = "run";
    argv[argc++] = cfg->scene_path;
    argv[argc++] = "--seed";
    argv[argc++] = seed;
    if (cfg->shuffle) {
        argv[argc++] = "--shuffle-seed";
        argv[argc++] = seed;
    }
    if (cfg->has_faults_scale && cfg->faults_scale != 1.0) {
        purr__cli_format_faults_scale(cfg->faults_scale, scale, sizeof scale);
        argv[argc++] = "--faults-scale";
        argv[argc++] = scale;
    }
    if (cfg->duration_text) {
        argv[argc++] = "--duration";
        argv[argc++] = cfg->duration_text;
    }
    for (size_t i = 0; i < cfg->nloads && i < 64; i++) {
        argv[argc++] = "--load";
        argv[argc++] = cfg->loads[i];
    }
    argv[argc++] = "--record";
    argv[argc++] = path;
    if (cfg->force)
        argv[argc++] = "--force";
    argv[argc++] = "--headless";
    argv[argc++] = "-q";
    argv[argc] = NULL;
    /* purr run's own messages (the behaviour's failure, again) are the
     * sweep's to report, once: silenced for the re-run. */
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, STDERR_FILENO);
        close(null);
    }
    int status = purr__cli_run(argc, (char **)argv);
    fflush(stdout);
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, STDERR_FILENO);
        close(saved);
    }
    if (status == 1 || status == 0) /* recorded (0: the re-run passed) */
        snprintf(r->recording, sizeof r->recording, "%s", path);
}

/* ---------------------------------------------------------------------- */
/* Pipes                                                                   */
/* ---------------------------------------------------------------------- */

static bool
write_full(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Reads exactly len bytes; false at end of file or on an error. */
static bool
read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* A worker's life: seeds in, results out, until the command pipe
 * closes. Never returns. */
static void
worker_main(const purr__sweep_cfg *cfg, int cmd_fd, int res_fd)
{
    /* The timeline and summaries of re-runs are not the sweep's output. */
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, STDOUT_FILENO);
        close(null);
    }
    signal(SIGPIPE, SIG_DFL);
    uint64_t seed;
    while (read_full(cmd_fd, &seed, sizeof seed)) {
        purr__sweep_result r;
        purr__sweep_run_seed(cfg, seed, &r);
        if (r.outcome != PURR__SWEEP_PASS && cfg->keep_dir)
            keep_recording(cfg, &r);
        if (!write_full(res_fd, &r, sizeof r))
            break;
    }
    /* _exit: the parent's stdio buffers and exit handlers are its own. */
    _exit(0);
}

/* ---------------------------------------------------------------------- */
/* The pool                                                                */
/* ---------------------------------------------------------------------- */

/* Seeds a worker holds at once: the one it runs and the next, so that it
 * never waits for the parent between two runs. */
#define DEPTH 2

typedef struct worker {
    pid_t pid;             /* 0: no process */
    int cmd_fd;            /* parent's end: seeds to the worker */
    int res_fd;            /* parent's end: results from the worker */
    uint64_t q[DEPTH];     /* the seeds out, oldest (running) first */
    int nq;                /* how many */
    double head_ms;        /* wall time q[0] started, as far as the parent
                              knows: sent, or the previous result's
                              arrival */
} worker;

/* Seeds handed back by a worker that died with more than the one it was
 * running: they are sent again before any new seed. */
typedef struct retry {
    uint64_t *seeds;
    size_t n;
} retry;

/* Starts worker w (all workers' parent ends are in ws[0..n), closed in
 * the child). Returns false when fork or pipe fails. */
static bool
worker_start(const purr__sweep_cfg *cfg, worker *ws, size_t n, worker *w)
{
    int cmd[2], res[2];
    if (pipe(cmd) < 0)
        return false;
    if (pipe(res) < 0) {
        close(cmd[0]);
        close(cmd[1]);
        return false;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(cmd[0]);
        close(cmd[1]);
        close(res[0]);
        close(res[1]);
        return false;
    }
    if (pid == 0) {
        for (size_t i = 0; i < n; i++)
            if (ws[i].pid) {
                close(ws[i].cmd_fd);
                close(ws[i].res_fd);
            }
        close(cmd[1]);
        close(res[0]);
        worker_main(cfg, cmd[0], res[1]);
    }
    close(cmd[0]);
    close(res[1]);
    fcntl(cmd[1], F_SETFD, FD_CLOEXEC);
    fcntl(res[0], F_SETFD, FD_CLOEXEC);
    w->pid = pid;
    w->cmd_fd = cmd[1];
    w->res_fd = res[0];
    w->nq = 0;
    return true;
}

/* Ends worker w's process (killing it first when kill_it) and returns its
 * wait status. The seeds it held after the first go to rt. */
static int
worker_reap(worker *w, bool kill_it, retry *rt)
{
    int status = 0;
    close(w->cmd_fd);
    close(w->res_fd);
    if (kill_it)
        kill(w->pid, SIGKILL);
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
        ;
    for (int i = 1; i < w->nq && rt; i++)
        rt->seeds[rt->n++] = w->q[i];
    w->pid = 0;
    return status;
}

/* The signal's name, "SIGSEGV". */
static void
signal_name(int sig, char *buf, size_t cap)
{
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev)
        snprintf(buf, cap, "SIG%s", abbrev);
    else
        snprintf(buf, cap, "signal %d", sig);
}

/* The result of the seed worker w was running when it went: status is
 * its wait status, timed_out whether the pool killed it. */
static void
lost_result(const purr__sweep_cfg *cfg, const worker *w, int status,
            bool timed_out, double now, purr__sweep_result *r)
{
    memset(r, 0, sizeof *r);
    r->seed = w->q[0];
    r->total_ms = now - w->head_ms;
    r->run_ms = r->total_ms;
    r->at_ns = -1; /* unknown */
    if (timed_out) {
        r->outcome = PURR__SWEEP_TIMEOUT;
        snprintf(r->what, sizeof r->what,
                 "timed out (still running after %gs of wall time)",
                 cfg->timeout_s);
    } else if (WIFSIGNALED(status)) {
        char name[32];
        r->outcome = PURR__SWEEP_CRASH;
        r->signal = WTERMSIG(status);
        signal_name(r->signal, name, sizeof name);
        snprintf(r->what, sizeof r->what, "crashed (%s)", name);
    } else {
        r->outcome = PURR__SWEEP_CRASH;
        snprintf(r->what, sizeof r->what,
                 "the worker exited (status %d) without a result",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    purr__sweep_cause(r);
}

/* Sends seed to w. A failed write means the worker is gone: its result
 * pipe says so, and the seed is handed back then. */
static void
worker_send(worker *w, uint64_t seed, double now)
{
    if (w->nq == 0)
        w->head_ms = now;
    w->q[w->nq++] = seed;
    (void)write_full(w->cmd_fd, &seed, sizeof seed);
}

int
purr__sweep_pool_run(const purr__sweep_cfg *cfg, unsigned jobs,
                     purr__sweep_result_fn on_result,
                     purr__sweep_tick_fn on_tick, void *ctx)
{
    uint64_t total = cfg->hi - cfg->lo + 1;
    if (jobs > total)
        jobs = (unsigned)total;
    worker *ws = calloc(jobs, sizeof *ws);
    struct pollfd *pfd = calloc(jobs, sizeof *pfd);
    size_t *which = calloc(jobs, sizeof *which);
    retry rt = {calloc((size_t)jobs * DEPTH, sizeof *rt.seeds), 0};
    if (!ws || !pfd || !which || !rt.seeds) {
        free(ws);
        free(pfd);
        free(which);
        free(rt.seeds);
        fputs("purr: sweep: out of memory\n", stderr);
        return PURR_ENOMEM;
    }
    /* A worker that dies while a seed is being written must not take the
     * parent with it: its seed is reported from its result pipe. */
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    int rc = 0;
    for (unsigned i = 0; i < jobs; i++)
        if (!worker_start(cfg, ws, jobs, &ws[i])) {
            fprintf(stderr, "purr: sweep: cannot start a worker: %s\n",
                    strerror(errno));
            rc = PURR_EIO;
            goto out;
        }
    uint64_t next = cfg->lo, done = 0;
    bool more = true; /* seeds never sent left (next <= hi, no wrap) */
    double last_tick = wall_ms();
    while (done < total) {
        /* Fill every worker's queue: seeds handed back first. */
        double now = wall_ms();
        for (unsigned i = 0; i < jobs; i++) {
            worker *w = &ws[i];
            while (w->pid && w->nq < DEPTH && (rt.n || more)) {
                if (rt.n) {
                    worker_send(w, rt.seeds[--rt.n], now);
                    continue;
                }
                worker_send(w, next, now);
                if (next == cfg->hi)
                    more = false;
                else
                    next++;
            }
        }
        /* Wait for results, at most until the nearest timeout or tick. */
        double wait = 200;
        size_t np = 0;
        for (unsigned i = 0; i < jobs; i++) {
            if (!ws[i].pid || !ws[i].nq)
                continue;
            if (cfg->timeout_s > 0) {
                double left = ws[i].head_ms + cfg->timeout_s * 1e3 - now;
                if (left < wait)
                    wait = left < 0 ? 0 : left;
            }
            pfd[np].fd = ws[i].res_fd;
            pfd[np].events = POLLIN;
            pfd[np].revents = 0;
            which[np++] = i;
        }
        int pr = poll(pfd, np, (int)wait + 1);
        if (pr < 0 && errno != EINTR) {
            fprintf(stderr, "purr: sweep: poll: %s\n", strerror(errno));
            rc = PURR_EIO;
            goto out;
        }
        now = wall_ms();
        for (size_t j = 0; pr > 0 && j < np; j++) {
            if (!pfd[j].revents)
                continue;
            worker *w = &ws[which[j]];
            purr__sweep_result r;
            if (read_full(w->res_fd, &r, sizeof r)) {
                /* A worker runs its seeds in the order sent: r.seed is
                 * w->q[0]. */
                r.total_ms = now - w->head_ms;
                for (int i = 1; i < w->nq; i++)
                    w->q[i - 1] = w->q[i];
                w->nq--;
                w->head_ms = now;
                done++;
                on_result(&r, ctx);
                continue;
            }
            int status = worker_reap(w, false, &rt);
            lost_result(cfg, w, status, false, now, &r);
            done++;
            on_result(&r, ctx);
            if (done < total && !worker_start(cfg, ws, jobs, w)) {
                fprintf(stderr, "purr: sweep: cannot restart a worker: %s\n",
                        strerror(errno));
                rc = PURR_EIO;
                goto out;
            }
        }
        /* Kill what outlived its time. */
        for (unsigned i = 0; cfg->timeout_s > 0 && i < jobs; i++) {
            worker *w = &ws[i];
            if (!w->pid || !w->nq ||
                now - w->head_ms < cfg->timeout_s * 1e3)
                continue;
            int status = worker_reap(w, true, &rt);
            purr__sweep_result r;
            lost_result(cfg, w, status, true, now, &r);
            done++;
            on_result(&r, ctx);
            if (done < total && !worker_start(cfg, ws, jobs, w)) {
                fprintf(stderr, "purr: sweep: cannot restart a worker: %s\n",
                        strerror(errno));
                rc = PURR_EIO;
                goto out;
            }
        }
        if (on_tick && now - last_tick >= 200) {
            last_tick = now;
            on_tick(ctx);
        }
    }
out:
    for (unsigned i = 0; i < jobs; i++)
        if (ws[i].pid)
            worker_reap(&ws[i], rc < 0, NULL);
    signal(SIGPIPE, old_pipe);
    free(ws);
    free(pfd);
    free(which);
    free(rt.seeds);
    return rc;
}
