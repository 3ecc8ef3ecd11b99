/* bench_recorder.c - recorder and replay figures.
 *
 * recorder_write: one task setting an int and a double value as fast as it
 *   can, recording on (virtual clock, default options, so the writer
 *   thread is the bottleneck): transitions committed per second, from the
 *   first set to the end of purr_recorder_close.
 * recorder_slowdown: the bench robot (below) run for one hour of virtual
 *   time with and without recording (every task event included) to a new
 *   file, from before purr_recorder_open to after purr_recorder_close (the
 *   previous repetition's file is deleted before, untimed): the ratio of
 *   the wall times, best of five (a run lasts ~0.1 s, so single runs move
 *   by ±10% on a busy machine).
 * recorder_slowdown_4h: the same over four hours of virtual time (~0.3 s
 *   a run): steadier, and open and close weigh less.
 * recorder_slowdown_loop_cpu, recorder_slowdown_process_cpu: the 1 h
 *   slowdown in CPU time rather than wall time (best of five each), of the
 *   loop thread alone and of the whole process (loop and writer threads)
 *   over the loop thread's without recording. The first is the wall-time
 *   slowdown on a machine where the writer thread has a core to itself,
 *   the second where it has none; both move less with the machine's load
 *   than wall time does.
 * replay_check: purr_replay_check of that recording: transitions verified
 *   per second (non-input transitions compared + inputs fed), best of
 *   three; replay_check_cpu the same in loop-thread CPU time, and
 *   replay_check_over_behaviour_cpu the replay's CPU time over the
 *   behaviour's run alone (both steadier on a loaded machine).
 * recording_size: that recording's file size per transition.
 *
 * The bench robot: 10 simulated sensors at 10 Hz (random walks with
 * gaussian noise, each its own task, phases 7 ms apart) and 20 behaviour
 * tasks: 10 filters (exponential moving average of one sensor, waiting on
 * its transitions), 5 watchdogs (purr_value_wait on a predicate held for
 * 253 ms, then on its negation, setting an alarm bool), 3 planners on
 * compositions of filtered values (waiting on a transition predicate,
 * setting a command string), one mode machine (a string, from the alarms
 * composed) and one uptime counter (an int at 1 Hz).
 *
 * Usage: bench_recorder [DIR] [write|robot|replay|replay1] - DIR for the
 * files (/tmp); replay replays the recording a robot run left there;
 * replay1 replays it once and nothing else (for a profiler). */
#include "bench_util.h"

#include <math.h>
#include <purr/purr.h>
#include <purr/recorder.h>
#include <purr/replay.h>
#include <sys/stat.h>

/* ---- raw write throughput ---------------------------------------------- */

struct raw {
    purr_value *i, *d;
    long n;
};

static int
raw_main(void *arg)
{
    struct raw *w = arg;
    for (long k = 1; k <= w->n / 2; k++) {
        purr_value_set_int(w->i, k);
        purr_value_set_double(w->d, (double)k * 0.25);
    }
    return 0;
}

static double
bench_raw(const char *path, long n)
{
    purr_loop *loop = purr_loop_new(NULL);
    purr_recorder_options o = {.overwrite = true};
    purr_diag diag;
    purr_recorder *r = purr_recorder_open(path, &o, &diag);
    if (!r) {
        purr_diag_print(stderr, &diag);
        exit(1);
    }
    BENCH_CHECK(purr_recorder_attach(r, loop));
    struct raw w = {.n = n};
    w.i = purr_value_new(loop, "i", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
    w.d = purr_value_new(loop, "d", PURR_ROLE_OUTPUT, PURR_T_DOUBLE, NULL);
    double t0 = bench_now_ns();
    BENCH_CHECK(purr_run(loop, "main", raw_main, &w));
    if (purr_recorder_close(r, &diag) < 0) {
        purr_diag_print(stderr, &diag);
        exit(1);
    }
    double t1 = bench_now_ns();
    purr_value_free(w.i);
    purr_value_free(w.d);
    purr_loop_close(loop);
    return (double)n / ((t1 - t0) / 1e9);
}

/* ---- the bench robot ----------------------------------------------------- */

#define NSENS 10
#define NWATCH 5
#define NPLAN 3

struct robot {
    purr_value *sensor[NSENS];  /* inputs, double */
    purr_value *filt[NSENS];    /* internal, double */
    purr_value *alarm[NWATCH];  /* outputs, bool */
    purr_value *cmd[NPLAN];     /* outputs, string */
    purr_value *group[NPLAN];   /* compositions of 3 filtered values */
    purr_value *alarms;         /* composition of the alarms */
    purr_value *mode;           /* output, string */
    purr_value *uptime;         /* output, int */
    int idx[NSENS];
    uint64_t rng[NSENS];
    double walk[NSENS];
};

static struct robot *g_robot;
static purr_time g_duration;

static int
robot_setup(purr_loop *loop, void *arg)
{
    struct robot *rb = arg;
    char name[32];
    for (int i = 0; i < NSENS; i++) {
        rb->idx[i] = i;
        rb->rng[i] = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
        rb->walk[i] = 0.5;
        snprintf(name, sizeof name, "sensor%d", i);
        rb->sensor[i] = purr_value_new(loop, name, PURR_ROLE_INPUT,
                                       PURR_T_DOUBLE, NULL);
        snprintf(name, sizeof name, "filt%d", i);
        rb->filt[i] = purr_value_new(loop, name, PURR_ROLE_INTERNAL,
                                     PURR_T_DOUBLE, NULL);
    }
    for (int i = 0; i < NWATCH; i++) {
        snprintf(name, sizeof name, "alarm%d", i);
        rb->alarm[i] = purr_value_new_bool(loop, name, PURR_ROLE_OUTPUT);
    }
    for (int i = 0; i < NPLAN; i++) {
        snprintf(name, sizeof name, "cmd%d", i);
        purr_datum idle = purr_datum_string("idle");
        rb->cmd[i] = purr_value_new(loop, name, PURR_ROLE_OUTPUT,
                                    PURR_T_STRING, &idle);
        purr_datum_free(&idle);
        snprintf(name, sizeof name, "group%d", i);
        rb->group[i] = purr_value_open_compose(name, &rb->filt[3 * i], NULL,
                                               3, NULL, NULL);
    }
    rb->alarms = purr_value_open_compose("alarms", rb->alarm, NULL, NWATCH,
                                         NULL, NULL);
    purr_datum calm = purr_datum_string("calm");
    rb->mode = purr_value_new(loop, "mode", PURR_ROLE_OUTPUT, PURR_T_STRING,
                              &calm);
    purr_datum_free(&calm);
    rb->uptime = purr_value_new(loop, "uptime", PURR_ROLE_OUTPUT, PURR_T_INT,
                                NULL);
    return 0;
}

static void
robot_teardown(void *arg)
{
    struct robot *rb = arg;
    for (int i = 0; i < NPLAN; i++)
        purr_value_free(rb->group[i]);
    purr_value_free(rb->alarms);
    for (int i = 0; i < NSENS; i++) {
        purr_value_free(rb->sensor[i]);
        purr_value_free(rb->filt[i]);
    }
    for (int i = 0; i < NWATCH; i++)
        purr_value_free(rb->alarm[i]);
    for (int i = 0; i < NPLAN; i++)
        purr_value_free(rb->cmd[i]);
    purr_value_free(rb->mode);
    purr_value_free(rb->uptime);
}

/* Filter i: exponential moving average of sensor i. */
static int
filter(void *arg)
{
    int i = *(int *)arg;
    struct robot *rb = g_robot;
    purr_datum d;
    double avg = 0.5;
    int rc;
    while ((rc = purr_value_wait_transition(rb->sensor[i], purr_match_any(),
                                            &d, NULL)) == 0) {
        avg = 0.8 * avg + 0.2 * purr_datum_as_double(&d);
        purr_value_set_double(rb->filt[i], avg);
    }
    return rc;
}

static bool
above(const purr_datum *d, void *arg)
{
    return purr_datum_as_double(d) > *(const double *)arg;
}

static bool
not_above(const purr_datum *d, void *arg)
{
    return !above(d, arg);
}

/* Watchdog i: alarm i is on while filter i stays above 0.55 for 253 ms. */
static int
watchdog(void *arg)
{
    int i = *(int *)arg;
    struct robot *rb = g_robot;
    static const double limit = 0.55;
    int rc;
    for (;;) {
        if ((rc = purr_value_wait(rb->filt[i],
                                  purr_match_pred(above, (void *)&limit),
                                  253 * PURR_MS, NULL)) < 0)
            return rc;
        purr_value_set_bool(rb->alarm[i], true);
        if ((rc = purr_value_wait(rb->filt[i],
                                  purr_match_pred(not_above, (void *)&limit),
                                  0, NULL)) < 0)
            return rc;
        purr_value_set_bool(rb->alarm[i], false);
    }
}

/* Sum of a composed tuple's doubles. */
static double
tuple_sum(const purr_datum *t)
{
    double s = 0;
    for (size_t k = 0; k < purr_datum_tuple_len(t); k++)
        s += purr_datum_as_double(purr_datum_tuple_at(t, k));
    return s;
}

static bool
moved(const purr_datum *new_value, const purr_datum *old_value, void *arg)
{
    (void)arg;
    return fabs(tuple_sum(new_value) - tuple_sum(old_value)) > 0.02;
}

/* Planner i: on a large move of group i, a new command. */
static int
planner(void *arg)
{
    int i = *(int *)arg;
    struct robot *rb = g_robot;
    static const char *const cmds[] = {"forward", "left", "right", "stop"};
    purr_datum d = purr_datum_nil();
    int rc;
    while ((rc = purr_value_wait_transition(
                rb->group[i], purr_match_trans(moved, NULL), &d, NULL)) ==
           0) {
        int k = (int)(tuple_sum(&d) * 7) & 3;
        purr_value_set_string(rb->cmd[i], cmds[k]);
        purr_datum_free(&d);
    }
    return rc;
}

/* The mode machine: "calm", "alert" (one alarm) or "panic" (several). */
static int
moder(void *arg)
{
    (void)arg;
    struct robot *rb = g_robot;
    purr_datum d = purr_datum_nil();
    int rc;
    while ((rc = purr_value_wait_transition(rb->alarms, purr_match_any(), &d,
                                            NULL)) == 0) {
        int on = 0;
        for (size_t k = 0; k < purr_datum_tuple_len(&d); k++)
            on += purr_datum_as_bool(purr_datum_tuple_at(&d, k));
        purr_value_set_string(rb->mode, on == 0   ? "calm"
                                         : on == 1 ? "alert"
                                                   : "panic");
        purr_datum_free(&d);
    }
    return rc;
}

/* Uptime in seconds, set at k s + 501 ms (never at a sensor's time). */
static int
uptimer(void *arg)
{
    (void)arg;
    int rc;
    for (int64_t k = 0;; k++) {
        if ((rc = purr_sleep_until(k * PURR_S + 501 * PURR_MS)) < 0)
            return rc;
        purr_value_set_int(g_robot->uptime, k);
    }
}

static int
robot_behaviour(purr_nursery *n, void *arg)
{
    struct robot *rb = arg;
    int rc = 0;
    for (int i = 0; i < NSENS && rc == 0; i++)
        rc = purr_spawn(n, "filter", filter, &rb->idx[i]);
    for (int i = 0; i < NWATCH && rc == 0; i++)
        rc = purr_spawn(n, "watchdog", watchdog, &rb->idx[i]);
    for (int i = 0; i < NPLAN && rc == 0; i++)
        rc = purr_spawn(n, "planner", planner, &rb->idx[i]);
    if (rc == 0)
        rc = purr_spawn(n, "mode", moder, rb);
    if (rc == 0)
        rc = purr_spawn(n, "uptime", uptimer, rb);
    return rc;
}

/* Sensor i: a random walk plus gaussian noise, at 10 Hz, phase 7i ms. */
static int
sensor(void *arg)
{
    int i = *(int *)arg;
    struct robot *rb = g_robot;
    int rc;
    for (int64_t k = 1;; k++) {
        if ((rc = purr_sleep_until(k * 100 * PURR_MS + i * 7 * PURR_MS)) < 0)
            return rc;
        uint64_t *s = &rb->rng[i];
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        double u1 = ((double)(*s >> 11) + 1) / 9007199254740993.0;
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        double u2 = (double)(*s >> 11) / 9007199254740992.0;
        double g = sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
        rb->walk[i] += 0.01 * g;
        if (rb->walk[i] < 0 || rb->walk[i] > 1)
            rb->walk[i] = 0.5;
        purr_value_set_double(rb->sensor[i], rb->walk[i] + 0.05 * g);
    }
}

static int
robot_body(purr_nursery *n, void *arg)
{
    struct robot *rb = arg;
    int rc = 0;
    for (int i = 0; i < NSENS && rc == 0; i++)
        rc = purr_spawn(n, "sensor", sensor, &rb->idx[i]);
    return rc ? rc : robot_behaviour(n, arg);
}

static int
robot_main(void *arg)
{
    purr_scope s;
    purr_scope_enter(&s, g_duration);
    robot_setup(purr_loop_current(), arg);
    int rc = purr_nursery_run(robot_body, arg);
    purr_scope_exit(&s);
    return rc == PURR_ECANCELED ? 0 : rc;
}

/* CPU time of the calling thread (which) or the whole process, in s. */
static double
cpu_s(clockid_t which)
{
    struct timespec ts;
    clock_gettime(which, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of the last run_robot: the loop thread's, and the process's
 * (the loop thread's plus the writer thread's). */
static double g_loop_cpu, g_proc_cpu;

/* Runs the robot; records to path when path is non-NULL. Returns wall s,
 * from before open to after close. */
static double
run_robot(const char *path, uint64_t *transitions)
{
    struct robot rb;
    memset(&rb, 0, sizeof rb);
    g_robot = &rb;
    purr_loop *loop = purr_loop_new(NULL);
    purr_recorder *r = NULL;
    purr_diag diag;
    /* The last repetition's file goes first, untimed: replacing it at
     * close would free its page cache there (ext4 evicting the old inode:
     * ~10 ms for the 35 MB of an hour), a cost of the file system, not of
     * recording. */
    if (path)
        unlink(path);
    double c0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
    double p0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
    double t0 = bench_now_ns();
    if (path) {
        purr_recorder_options o = {.overwrite = true};
        if (!(r = purr_recorder_open(path, &o, &diag))) {
            purr_diag_print(stderr, &diag);
            exit(1);
        }
        BENCH_CHECK(purr_recorder_attach(r, loop));
        char end[32];
        snprintf(end, sizeof end, "%lld", (long long)g_duration);
        BENCH_CHECK(purr_recorder_set_meta(r, "end_ns", end));
    }
    BENCH_CHECK(purr_run(loop, "main", robot_main, &rb));
    if (r) {
        *transitions = purr_recorder_transitions(r);
        if (purr_recorder_close(r, &diag) < 0) {
            purr_diag_print(stderr, &diag);
            exit(1);
        }
    }
    double t1 = bench_now_ns();
    g_loop_cpu = cpu_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    g_proc_cpu = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - p0;
    robot_teardown(&rb);
    purr_loop_close(loop);
    return (t1 - t0) / 1e9;
}

/* Replays rec with a fresh bench robot as the behaviour (rep filled). */
static int
replay_robot(purr_recording *rec, purr_replay_report *rep)
{
    struct robot rb;
    memset(&rb, 0, sizeof rb);
    g_robot = &rb;
    purr_replay_target target = {.setup = robot_setup,
                                 .behaviour = robot_behaviour,
                                 .teardown = robot_teardown,
                                 .arg = &rb};
    return purr_replay_check(rec, &target, rep);
}

/* Replays the 1 h recording at path with purr_replay_check, best of three
 * (wall and loop-thread CPU time each), and reports the transitions
 * verified per second both ways and the replay's CPU time over the
 * behaviour's alone (behaviour_cpu: its loop-thread CPU s without
 * recording; 0: measured here, best of three). The CPU figures hold on a
 * loaded machine; the wall figure is the one issue 18 sets. Returns 0
 * when every replay was identical. */
static int
bench_replay(const char *path, double behaviour_cpu)
{
    purr_recording *rec;
    purr_diag diag;
    if (behaviour_cpu <= 0) {
        behaviour_cpu = 1e9;
        for (int k = 0; k < 3; k++) {
            run_robot(NULL, NULL);
            if (g_loop_cpu < behaviour_cpu)
                behaviour_cpu = g_loop_cpu;
        }
    }
    if (purr_recording_open(path, &rec, &diag) < 0) {
        purr_diag_print(stderr, &diag);
        return 1;
    }
    double best = 1e9, best_cpu = 1e9;
    purr_replay_report rep;
    int rc = 0;
    for (int k = 0; k < 3 && rc == 0; k++) {
        double c0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
        double t0 = bench_now_ns();
        rc = replay_robot(rec, &rep);
        double t1 = bench_now_ns();
        double c1 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
        if (rc < 0)
            purr_replay_report_print(stderr, &rep);
        best = (t1 - t0) / 1e9 < best ? (t1 - t0) / 1e9 : best;
        best_cpu = c1 - c0 < best_cpu ? c1 - c0 : best_cpu;
    }
    double n = (double)(rep.matching + rep.inputs);
    printf("replay: %llu compared + %llu inputs fed in %.3f s, CPU %.3f s, "
           "behaviour alone CPU %.3f s (%s)\n",
           (unsigned long long)rep.matching, (unsigned long long)rep.inputs,
           best, best_cpu, behaviour_cpu,
           rc == 0 ? "identical" : "DIVERGED");
    bench_report("replay_check", n / best, "transitions/s");
    bench_report("replay_check_cpu", n / best_cpu, "transitions/s");
    bench_report("replay_check_over_behaviour_cpu", best_cpu / behaviour_cpu,
                 "x");
    purr_recording_close(rec);
    return rc == 0 ? 0 : 1;
}

/* Replays the 1 h recording at path once, with no other work around it
 * (bench_recorder DIR replay1: a profiler's view of the replay alone).
 * Returns 0 when the replay was identical. */
static int
replay_once(const char *path)
{
    purr_recording *rec;
    purr_diag diag;
    if (purr_recording_open(path, &rec, &diag) < 0) {
        purr_diag_print(stderr, &diag);
        return 1;
    }
    purr_replay_report rep;
    double t0 = bench_now_ns();
    int rc = replay_robot(rec, &rep);
    double t1 = bench_now_ns();
    if (rc < 0)
        purr_replay_report_print(stderr, &rep);
    printf("replay: %llu compared + %llu inputs fed in %.3f s (%s)\n",
           (unsigned long long)rep.matching, (unsigned long long)rep.inputs,
           (t1 - t0) / 1e9, rc == 0 ? "identical" : "DIVERGED");
    purr_recording_close(rec);
    return rc == 0 ? 0 : 1;
}

static int
bench_robot(const char *path)
{
    /* 1 h first: the 4 h runs leave hundreds of MB for the kernel to
     * write back, which would disturb it. The 4 h recording goes to a
     * file of its own, deleted after, so path keeps the 1 h one. */
    static const int hours[] = {1, 4};
    char path4[600];
    snprintf(path4, sizeof path4, "%s-4h", path);
    uint64_t ntrans = 0, ntrans1 = 0;
    double loop_off_1h = 0;
    for (size_t h = 0; h < sizeof hours / sizeof hours[0]; h++) {
        g_duration = hours[h] * 3600 * PURR_S;
        double best_off = 1e9, best_on = 1e9, loop_off = 1e9, loop_on = 1e9,
               proc_on = 1e9;
        for (int rep = 0; rep < 5; rep++) {
            double off = run_robot(NULL, NULL);
            loop_off = g_loop_cpu < loop_off ? g_loop_cpu : loop_off;
            double on = run_robot(hours[h] == 1 ? path : path4, &ntrans);
            loop_on = g_loop_cpu < loop_on ? g_loop_cpu : loop_on;
            proc_on = g_proc_cpu < proc_on ? g_proc_cpu : proc_on;
            best_off = off < best_off ? off : best_off;
            best_on = on < best_on ? on : best_on;
        }
        printf("bench robot (10 sensors at 10 Hz, 20 behaviour tasks, %d h "
               "virtual): %llu transitions, %.3f s off, %.3f s on; CPU: "
               "loop thread %.3f s off, %.3f s on, process %.3f s on\n",
               hours[h], (unsigned long long)ntrans, best_off, best_on,
               loop_off, loop_on, proc_on);
        bench_report(hours[h] == 1 ? "recorder_slowdown"
                                   : "recorder_slowdown_4h",
                     best_on / best_off, "x");
        if (hours[h] == 1) {
            /* CPU-time ratios, steadier than wall time on a loaded
             * machine: the loop thread's (the wall-time slowdown when the
             * writer thread has a core of its own) and the process's (the
             * slowdown when it has not). */
            bench_report("recorder_slowdown_loop_cpu", loop_on / loop_off,
                         "x");
            bench_report("recorder_slowdown_process_cpu", proc_on / loop_off,
                         "x");
        }
        if (hours[h] == 1) {
            ntrans1 = ntrans;
            loop_off_1h = loop_off;
        }
    }
    unlink(path4);
    ntrans = ntrans1;
    g_duration = 3600 * PURR_S; /* replay below runs the 1 h recording */

    int rc = bench_replay(path, loop_off_1h);
    struct stat st;
    stat(path, &st);
    bench_report("recording_size", (double)st.st_size / (double)ntrans,
                 "bytes/transition");
    return rc;
}

int
main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    const char *only = argc > 2 ? argv[2] : "";
    char path[512];
    int status = 0;

    if (!*only || strcmp(only, "write") == 0) {
        snprintf(path, sizeof path, "%s/bench_recorder_raw.db", dir);
        bench_report("recorder_write", bench_raw(path, 2000000),
                     "transitions/s");
    }
    if (!*only || strcmp(only, "robot") == 0) {
        snprintf(path, sizeof path, "%s/bench_recorder_robot.db", dir);
        status = bench_robot(path);
    }
    if (strcmp(only, "replay") == 0) { /* the recording robot made */
        snprintf(path, sizeof path, "%s/bench_recorder_robot.db", dir);
        g_duration = 3600 * PURR_S;
        status = bench_replay(path, 0);
    }
    if (strcmp(only, "replay1") == 0) { /* one replay, for a profiler */
        snprintf(path, sizeof path, "%s/bench_recorder_robot.db", dir);
        g_duration = 3600 * PURR_S;
        status = replay_once(path);
    }
    return status;
}
