/* bench_recorder.c - recorder and replay figures.
 *
 * recorder_write: one task setting values as fast as it can, recording on
 *   (virtual clock, default options): transitions written per second.
 * recorder_slowdown: a simulated robot (8 sensors feeding 8 controllers,
 *   each with an output and an internal counter) run with and without
 *   recording: wall time ratio.
 * replay_check: purr_replay_check of that recording: transitions verified
 *   per second (non-input transitions compared + inputs fed).
 * recording_size: that recording's file size per transition. */
#include "bench_util.h"

#include <purr/purr.h>
#include <purr/recorder.h>
#include <purr/replay.h>
#include <sys/stat.h>

#define NSENS 8

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
bench_raw(const char *path, long n, bool text)
{
    purr_loop *loop = purr_loop_new(NULL);
    purr_recorder_options o = {.overwrite = true, .no_text = !text,
                               .no_task_events = false};
    purr_diag diag;
    purr_recorder *r = purr_recorder_open(path, &o, &diag);
    if (!r) {
        purr_diag_print(stderr, &diag);
        exit(1);
    }
    purr_recorder_attach(r, loop);
    struct raw w = {.n = n};
    w.i = purr_value_new(loop, "i", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
    w.d = purr_value_new(loop, "d", PURR_ROLE_OUTPUT, PURR_T_DOUBLE, NULL);
    double t0 = bench_now_ns();
    purr_run(loop, "main", raw_main, &w);
    if (purr_recorder_close(r, &diag) < 0)
        purr_diag_print(stderr, &diag);
    double t1 = bench_now_ns();
    purr_value_free(w.i);
    purr_value_free(w.d);
    purr_loop_close(loop);
    return (double)n / ((t1 - t0) / 1e9);
}

/* ---- simulated robot ---------------------------------------------------- */

struct robot {
    purr_value *in[NSENS], *out[NSENS], *acc[NSENS];
    int idx[NSENS];
    uint64_t rng[NSENS];
};

static struct robot *g_robot;

static int
robot_setup(purr_loop *loop, void *arg)
{
    struct robot *rb = arg;
    char name[32];
    for (int i = 0; i < NSENS; i++) {
        rb->idx[i] = i;
        rb->rng[i] = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
        snprintf(name, sizeof name, "sensor%d", i);
        rb->in[i] = purr_value_new(loop, name, PURR_ROLE_INPUT,
                                   PURR_T_DOUBLE, NULL);
        snprintf(name, sizeof name, "alarm%d", i);
        rb->out[i] = purr_value_new_bool(loop, name, PURR_ROLE_OUTPUT);
        snprintf(name, sizeof name, "acc%d", i);
        rb->acc[i] = purr_value_new(loop, name, PURR_ROLE_INTERNAL,
                                    PURR_T_INT, NULL);
    }
    return 0;
}

static void
robot_teardown(void *arg)
{
    struct robot *rb = arg;
    for (int i = 0; i < NSENS; i++) {
        purr_value_free(rb->in[i]);
        purr_value_free(rb->out[i]);
        purr_value_free(rb->acc[i]);
    }
}

static int
controller(void *arg)
{
    int i = *(int *)arg;
    struct robot *rb = g_robot;
    purr_datum d;
    while (purr_value_wait_transition(rb->in[i], purr_match_any(), &d,
                                      NULL) == 0) {
        double x = purr_datum_as_double(&d);
        purr_value_set_bool(rb->out[i], x > 0.5);
        purr_value_set_int(rb->acc[i],
                           purr_datum_as_int(purr_value_peek(rb->acc[i])) +
                               (int64_t)(x * 100));
    }
    return 0;
}

static int
robot_behaviour(purr_nursery *n, void *arg)
{
    struct robot *rb = arg;
    for (int i = 0; i < NSENS; i++)
        purr_spawn(n, "controller", controller, &rb->idx[i]);
    return 0;
}

static int
sensor(void *arg)
{
    int i = *(int *)arg;
    struct robot *rb = g_robot;
    purr_time period = PURR_MS + i * 100 * PURR_US;
    for (;;) {
        if (purr_sleep(period) < 0)
            return 0;
        rb->rng[i] = rb->rng[i] * 6364136223846793005ull + 1;
        purr_value_set_double(rb->in[i],
                              (double)(rb->rng[i] >> 11) / 9007199254740992.0);
    }
}

static int
robot_body(purr_nursery *n, void *arg)
{
    struct robot *rb = arg;
    for (int i = 0; i < NSENS; i++)
        purr_spawn(n, "sensor", sensor, &rb->idx[i]);
    return robot_behaviour(n, arg);
}

static purr_time g_duration;

static int
robot_main(void *arg)
{
    purr_scope s;
    purr_scope_enter(&s, g_duration);
    robot_setup(purr_loop_current(), arg);
    purr_nursery_run(robot_body, arg);
    purr_scope_exit(&s);
    return 0;
}

/* Runs the robot; records to path when path is non-NULL. Returns wall s. */
static double
run_robot(const char *path, uint64_t *transitions)
{
    struct robot rb;
    g_robot = &rb;
    purr_loop *loop = purr_loop_new(NULL);
    purr_recorder *r = NULL;
    purr_diag diag;
    double t0 = bench_now_ns();
    if (path) {
        purr_recorder_options o = {.overwrite = true};
        r = purr_recorder_open(path, &o, &diag);
        purr_recorder_attach(r, loop);
        char end[32];
        snprintf(end, sizeof end, "%lld", (long long)g_duration);
        purr_recorder_set_meta(r, "end_ns", end);
    }
    purr_run(loop, "main", robot_main, &rb);
    if (r) {
        *transitions = purr_recorder_transitions(r);
        if (purr_recorder_close(r, &diag) < 0)
            purr_diag_print(stderr, &diag);
    }
    double t1 = bench_now_ns();
    robot_teardown(&rb);
    purr_loop_close(loop);
    return (t1 - t0) / 1e9;
}

int
main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    char path[512];
    long n = 2000000;

    snprintf(path, sizeof path, "%s/bench_recorder_raw.db", dir);
    double notext = bench_raw(path, n, false);
    printf("recorder_write without the text column: %.0f transitions/s\n",
           notext);
    bench_report("recorder_write", bench_raw(path, n, true), "transitions/s");

    g_duration = 10 * PURR_S;
    uint64_t ntrans = 0;
    snprintf(path, sizeof path, "%s/bench_recorder_robot.db", dir);
    double best_off = 1e9, best_on = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        double off = run_robot(NULL, NULL);
        double on = run_robot(path, &ntrans);
        best_off = off < best_off ? off : best_off;
        best_on = on < best_on ? on : best_on;
    }
    printf("simulated robot: %llu transitions, %.3f s off, %.3f s on\n",
           (unsigned long long)ntrans, best_off, best_on);
    bench_report("recorder_slowdown", best_on / best_off, "x");

    purr_recording *rec;
    purr_diag diag;
    if (purr_recording_open(path, &rec, &diag) < 0) {
        purr_diag_print(stderr, &diag);
        return 1;
    }
    struct robot rb;
    g_robot = &rb;
    purr_replay_target target = {.setup = robot_setup,
                                 .behaviour = robot_behaviour,
                                 .teardown = robot_teardown,
                                 .arg = &rb};
    purr_replay_report rep;
    double t0 = bench_now_ns();
    int rc = purr_replay_check(rec, &target, &rep);
    double t1 = bench_now_ns();
    if (rc < 0)
        purr_replay_report_print(stderr, &rep);
    printf("replay: %llu compared + %llu inputs fed in %.3f s (%s)\n",
           (unsigned long long)rep.matching, (unsigned long long)rep.inputs,
           (t1 - t0) / 1e9, rc == 0 ? "identical" : "DIVERGED");
    bench_report("replay_check",
                 (double)(rep.matching + rep.inputs) / ((t1 - t0) / 1e9),
                 "transitions/s");
    purr_recording_close(rec);

    struct stat st;
    stat(path, &st);
    bench_report("recording_size", (double)st.st_size / (double)ntrans,
                 "bytes/transition");
    return rc == 0 ? 0 : 1;
}
