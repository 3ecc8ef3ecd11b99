/* test_robot.c - purr_robot: a robot program's run on the real clock.
 *
 * The behaviour under test is registered here, as a team registers its
 * own: "robot-guard" raises `alarm` while `bumper` is pressed or `level`
 * is above its `threshold` parameter. The robot runs it against inputs
 * from a pipe (read by the input task) and from another thread, records a
 * field log, and the log then replays identically in process
 * (purr_replay_scene) and with the stock `purr replay --check`, and
 * diverges once the behaviour's code or its parameter changed.
 *
 * Real time differs from run to run, so nothing here asserts a time
 * (replay checks the recorded times with its own rule); the tests never
 * sleep to synchronise, they wait on pipes and on the inputs themselves.
 */
#include "purr_test.h"

#include <purr/recorder.h>
#include <purr/cli.h>
#include <purr/replay.h>
#include <purr/robot.h>
#include <purr/sim.h>

#include "examples_test.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* The behaviour: alarm = bumper || level > threshold                      */
/* ---------------------------------------------------------------------- */

/* Which code "robot-guard" runs: 1, the code the field logs are recorded
 * with; 2, a change (the alarm level doubled) that replay must catch. */
static int guard_version = 1;

typedef struct guard {
    purr_value *bumper; /* input: bool */
    purr_value *level;  /* input: double */
    purr_value *alarm;  /* output: bool */
    double threshold;   /* param: the level above which alarm is on */
} guard;

/* One watcher per input: the behaviour reacts to either. */
typedef struct guard_watch {
    guard *g;
    purr_value *input;
} guard_watch;

static void
guard_update(guard *g)
{
    double limit = guard_version == 2 ? 2 * g->threshold : g->threshold;
    bool on = purr_datum_as_bool(purr_value_peek(g->bumper)) ||
              purr_datum_as_double(purr_value_peek(g->level)) > limit;
    purr_value_set_bool(g->alarm, on);
}

static int
guard_watcher(void *arg)
{
    guard_watch *w = arg;
    purr_eventual it;
    const purr_datum *item;
    int rc;
    purr_eventual_open(&it, w->input, purr_match_any(), 0);
    while ((rc = purr_eventual_next(&it, &item)) == 0)
        guard_update(w->g);
    purr_eventual_close(&it);
    return rc;
}

static int
guard_body(purr_nursery *n, void *arg)
{
    guard_watch *w = arg;
    int rc;
    if ((rc = purr_spawn(n, "guard:bumper", guard_watcher, &w[0])) < 0)
        return rc;
    return purr_spawn(n, "guard:level", guard_watcher, &w[1]);
}

static int
guard_task(purr_sim_ctx *ctx)
{
    return purr_nursery_run(guard_body, purr_sim_data(ctx));
}

static int
guard_setup(purr_sim_ctx *ctx)
{
    guard *g = purr_sim_alloc(ctx, sizeof *g);
    guard_watch *w = purr_sim_alloc(ctx, 2 * sizeof *w);
    int rc;
    if ((rc = purr_sim_param_double(ctx, "threshold", 50, &g->threshold)) < 0)
        return rc;
    g->bumper = purr_sim_value(ctx, "bumper");
    g->level = purr_sim_value(ctx, "level");
    if (!g->bumper || purr_value_type(g->bumper) != PURR_T_BOOL || !g->level ||
        purr_value_type(g->level) != PURR_T_DOUBLE)
        return purr_sim_fail(ctx, "robot-guard needs bool bumper and "
                                  "double level");
    if (!(g->alarm = purr_sim_output(ctx, "alarm", PURR_T_BOOL, NULL)))
        return PURR_EFORMAT;
    w[0] = (guard_watch){g, g->bumper};
    w[1] = (guard_watch){g, g->level};
    purr_sim_set_data(ctx, w);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Fixtures                                                                */
/* ---------------------------------------------------------------------- */

#define GUARD_SCENE                                                            \
    "# guard.yaml - the robot's inputs and its behaviour.\n"                   \
    "name: guard\n"                                                            \
    "seed: 7\n"                                                                \
    "duration: 10s\n"                                                          \
    "sensors:\n"                                                               \
    "  - {name: bumper, type: bool, model: constant, value: false}\n"          \
    "  - {name: level, type: double, model: constant, value: 0.0}\n"           \
    "behaviours:\n"                                                            \
    "  - name: robot-guard\n"                                                  \
    "    params: {threshold: %s}\n"

/* The test's own directory (each test is a process of its own). */
static char dir[64];

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL, "cannot write %s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

/* DIR/name, in a static buffer per slot (three paths at a time). */
static const char *
at(const char *name, int slot)
{
    static char paths[3][256];
    int n = snprintf(paths[slot], sizeof paths[slot], "%s/%s", dir, name);
    cr_assert(n > 0 && (size_t)n < sizeof paths[slot]);
    return paths[slot];
}

static void
setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/purr-robot-test.%d", (int)getpid());
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    cr_assert_eq(system(cmd), 0);
    if (!purr_sim_is_registered("robot-guard"))
        purr_assert_ok(
            purr_sim_register("robot-guard", guard_setup, guard_task));
    char text[1024];
    snprintf(text, sizeof text, GUARD_SCENE, "50");
    write_file(at("guard.yaml", 0), text);
    /* The same robot with another parameter: replay must notice. */
    snprintf(text, sizeof text, GUARD_SCENE, "90");
    write_file(at("guard-90.yaml", 0), text);
}

static void
teardown(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)system(cmd);
}

TestSuite(robot, .init = setup, .fini = teardown, .timeout = 60);

/* The whole file at path, NUL-terminated, in a static buffer. */
static const char *
slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    cr_assert(f != NULL, "cannot read %s", path);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static purr_robot *
new_robot(const purr_robot_options *opts)
{
    purr_robot *r;
    purr_diag diag = {0};
    int rc = purr_robot_new(opts, &r, &diag);
    char line[640];
    purr_diag_format(&diag, line, sizeof line);
    cr_assert(rc == 0, "purr_robot_new: %s: %s", purr_err_name(rc), line);
    return r;
}

static void
run_robot(purr_robot *r)
{
    purr_diag diag = {0};
    int rc = purr_robot_run(r, &diag);
    char line[640];
    purr_diag_format(&diag, line, sizeof line);
    cr_assert(rc == 0, "purr_robot_run: %s: %s", purr_err_name(rc), line);
}

/* Replays the recording at db in process; scene: NULL (the recorded one)
 * or another. Returns purr_replay_scene's code, with the report in rep. */
static int
replay(const char *db, const char *scene, purr_replay_report *rep)
{
    purr_recording *rec;
    purr_diag diag = {0};
    purr_assert_ok(purr_recording_open(db, &rec, &diag));
    purr_replay_options ro = {.scene_path = scene, .check = true};
    int rc = purr_replay_scene(rec, &ro, rep);
    purr_recording_close(rec);
    return rc;
}

/* The field log at db replays identically with the code it was recorded
 * with, and diverges with the changed code or the changed parameter. */
static void
assert_replays(const char *db, uint64_t outputs, uint64_t inputs)
{
    purr_replay_report rep;
    int rc = replay(db, NULL, &rep);
    if (rc != 0)
        purr_replay_report_print(stderr, &rep);
    purr_assert_ok(rc);
    cr_assert_eq(rep.outcome, PURR_REPLAY_IDENTICAL);
    cr_assert(!rep.shadow, "a field log replays in feeder mode");
    cr_assert(rep.checked);
    cr_assert_eq(rep.expected, outputs);
    cr_assert_eq(rep.matching, outputs);
    cr_assert_eq(rep.inputs, inputs);

    guard_version = 2;
    purr_assert_err(replay(db, NULL, &rep), PURR_EDIVERGED);
    cr_assert(rep.outcome == PURR_REPLAY_DIFFERENT ||
              rep.outcome == PURR_REPLAY_MISSING);
    cr_assert_str_eq(rep.expected_row.value, "alarm");
    guard_version = 1;

    purr_assert_err(replay(db, at("guard-90.yaml", 2), &rep), PURR_EDIVERGED);
    cr_assert_str_eq(rep.expected_row.value, "alarm");
}

/* The metadata a field log carries. */
static void
assert_field_log(const char *db, const purr_robot *r)
{
    purr_recording *rec;
    purr_assert_ok(purr_recording_open(db, &rec, NULL));
    cr_assert_str_eq(purr_recording_meta(rec, "clock"), "real");
    cr_assert_str_eq(purr_recording_meta(rec, "inputs"), "robot");
    cr_assert_str_eq(purr_recording_meta(rec, "created_by"), "purr_robot");
    cr_assert_str_eq(purr_recording_meta(rec, "scene"), at("guard.yaml", 2));
    cr_assert_str_eq(purr_recording_meta(rec, "scene_text"),
                     slurp(at("guard.yaml", 2)));
    cr_assert_str_eq(purr_recording_meta(rec, "exit_status"), "0");
    char end[32];
    snprintf(end, sizeof end, "%lld", (long long)purr_robot_end_time(r));
    cr_assert_str_eq(purr_recording_meta(rec, "end_ns"), end);
    purr_recording_close(rec);
}

/* The alarm's transitions (true, false, true, false) and final state. */
static void
assert_alarm(purr_robot *r)
{
    purr_value *alarm = purr_robot_value(r, "alarm");
    cr_assert(alarm != NULL);
    cr_assert_eq(purr_value_transitions(alarm), 4);
    cr_assert(!purr_datum_as_bool(purr_value_peek(alarm)));
}

/* ---------------------------------------------------------------------- */
/* Inputs from a file descriptor                                           */
/* ---------------------------------------------------------------------- */

/* The input task of the pipe tests: reads the pipe to its end, then stops
 * the robot. */
typedef struct pipe_inputs {
    purr_robot *robot; /* set once the robot exists */
    int fd;            /* read end */
    int rc;            /* what read_lines returned */
    purr_diag diag;    /* its diag */
} pipe_inputs;

static int
read_pipe(void *arg)
{
    pipe_inputs *in = arg;
    in->rc = purr_robot_read_lines(in->robot, in->fd, &in->diag);
    purr_robot_stop(in->robot);
    return 0;
}

Test(robot, pipe_inputs_replay_identical_and_diverge)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    /* Everything at once, as a burst from a device: the reader still sets
     * one line at a time, letting the behaviour react to each. A comment,
     * a blank line, CRLF and a last line without '\n' are accepted. */
    const char *log = "# from the bumper board\n"
                      "bumper true\n"
                      "\n"
                      "bumper false\r\n"
                      "level 80\n"
                      "  level 20.0";
    cr_assert_eq(write(fds[1], log, strlen(log)), (ssize_t)strlen(log));
    close(fds[1]);

    pipe_inputs in = {.fd = fds[0]};
    purr_robot_options o = {.scene_path = at("guard.yaml", 0),
                            .record_path = at("field.db", 1),
                            .inputs = read_pipe,
                            .inputs_arg = &in};
    purr_robot *r = new_robot(&o);
    in.robot = r;
    run_robot(r);
    purr_assert_ok(in.rc);
    close(fds[0]);
    assert_alarm(r);
    cr_assert_eq(
        purr_datum_as_double(purr_value_peek(purr_robot_value(r, "level"))),
        20.0);
    assert_field_log(at("field.db", 0), r);
    purr_robot_free(r);
    assert_replays(at("field.db", 0), 4, 4);
}

/* ---------------------------------------------------------------------- */
/* Inputs from another thread                                              */
/* ---------------------------------------------------------------------- */

/* The input task of the thread test: tells the thread the run is on. */
typedef struct thread_inputs {
    purr_robot *robot;
    int started[2]; /* pipe: one byte once the run has started */
    int rc;         /* the thread's first failure */
} thread_inputs;

static int
signal_started(void *arg)
{
    thread_inputs *t = arg;
    char c = 1;
    cr_assert_eq(write(t->started[1], &c, 1), 1);
    return purr_sleep_forever() == PURR_ECANCELED ? 0 : PURR_EFAILED;
}

/* The other thread: once the run is on, four inputs in a row (no waiting
 * between them: the robot applies them one at a time), then stop. */
static void *
feed_thread(void *arg)
{
    thread_inputs *t = arg;
    char c;
    if (read(t->started[0], &c, 1) != 1)
        t->rc = PURR_ESYS;
    purr_datum yes = purr_datum_bool(true), no = purr_datum_bool(false);
    purr_datum high = purr_datum_double(80), low = purr_datum_double(20);
    int rc;
    if ((rc = purr_robot_set(t->robot, "bumper", &yes)) < 0 ||
        (rc = purr_robot_set(t->robot, "bumper", &no)) < 0 ||
        (rc = purr_robot_set(t->robot, "level", &high)) < 0 ||
        (rc = purr_robot_set(t->robot, "level", &low)) < 0)
        t->rc = rc;
    purr_robot_stop(t->robot);
    return NULL;
}

Test(robot, thread_inputs_replay_identical_and_diverge)
{
    thread_inputs t = {0};
    cr_assert_eq(pipe(t.started), 0);
    purr_robot_options o = {.scene_path = at("guard.yaml", 0),
                            .record_path = at("field.db", 1),
                            .inputs = signal_started,
                            .inputs_arg = &t};
    purr_robot *r = new_robot(&o);
    t.robot = r;
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, feed_thread, &t), 0);
    run_robot(r);
    cr_assert_eq(pthread_join(th, NULL), 0);
    purr_assert_ok(t.rc);
    close(t.started[0]);
    close(t.started[1]);
    assert_alarm(r);
    assert_field_log(at("field.db", 0), r);
    purr_robot_free(r);

    /* Sets from another thread are recorded outside any task (task id 0)
     * and replayed as posts, as they happened. */
    purr_recording *rec;
    purr_assert_ok(purr_recording_open(at("field.db", 0), &rec, NULL));
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    int rc, inputs = 0;
    while ((rc = purr_recording_iter_next(&it, NULL)) == 0) {
        if (it.value->role != PURR_ROLE_INPUT)
            continue;
        cr_assert_eq(it.task_id, 0);
        inputs++;
    }
    purr_assert_err(rc, PURR_ECLOSED);
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
    cr_assert_eq(inputs, 4);

    assert_replays(at("field.db", 0), 4, 4);
}

/* A robot without an input task is fed by the program's own thread before
 * the run (applied as it starts) and runs for a duration. */
Test(robot, sets_before_run_and_duration)
{
    purr_robot_options o = {.scene_path = at("guard.yaml", 0),
                            .record_path = at("field.db", 1),
                            .duration_ns = 20 * PURR_MS};
    purr_robot *r = new_robot(&o);
    purr_datum high = purr_datum_double(80);
    purr_assert_ok(purr_robot_set(r, "level", &high));
    run_robot(r);
    cr_assert(purr_robot_end_time(r) >= 20 * PURR_MS);
    purr_value *alarm = purr_robot_value(r, "alarm");
    cr_assert_eq(purr_value_transitions(alarm), 1);
    cr_assert(purr_datum_as_bool(purr_value_peek(alarm)));
    purr_robot_free(r);
    assert_replays(at("field.db", 0), 1, 1);
}

/* Stopped before it runs: the run ends as soon as it starts. */
Test(robot, stop_before_run)
{
    purr_robot_options o = {.scene_path = at("guard.yaml", 0)};
    purr_robot *r = new_robot(&o);
    purr_robot_stop(r);
    run_robot(r);
    cr_assert_eq(purr_value_transitions(purr_robot_value(r, "alarm")), 0);
    purr_robot_free(r);
}

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */
/* ---------------------------------------------------------------------- */

Test(robot, set_errors)
{
    purr_robot_options o = {.scene_path = at("guard.yaml", 0)};
    purr_robot *r = new_robot(&o);
    purr_datum yes = purr_datum_bool(true), one = purr_datum_int(1);
    purr_datum half = purr_datum_double(0.5);
    purr_assert_err(purr_robot_set(r, "nosuch", &yes), PURR_ENOENT);
    purr_assert_err(purr_robot_set(r, "alarm", &yes), PURR_EINVAL);
    purr_assert_err(purr_robot_set(r, "bumper", &one), PURR_ETYPE);
    purr_assert_err(purr_robot_set(r, "level", &one), PURR_ETYPE);
    purr_assert_err(purr_robot_set(r, "bumper", &half), PURR_ETYPE);
    cr_assert(purr_robot_value(r, "nosuch") == NULL);
    cr_assert(purr_robot_value(r, "bumper") != NULL);
    purr_robot_stop(r);
    run_robot(r);
    /* None of the refused sets happened. */
    cr_assert(
        !purr_datum_as_bool(purr_value_peek(purr_robot_value(r, "bumper"))));
    /* After the run. */
    purr_assert_err(purr_robot_set(r, "bumper", &yes), PURR_ECLOSED);
    purr_robot_stop(r); /* nothing */
    purr_diag diag = {0};
    purr_assert_err(purr_robot_run(r, &diag), PURR_EBUSY);
    purr_robot_free(r);
    purr_robot_free(NULL);
}

Test(robot, new_errors)
{
    purr_robot *r = (purr_robot *)1;
    purr_diag diag = {0};
    purr_robot_options o = {.scene_path = at("missing.yaml", 0)};
    purr_assert_err(purr_robot_new(&o, &r, &diag), PURR_ENOENT);
    cr_assert(r == NULL);
    cr_assert_str_eq(diag.file, at("missing.yaml", 0));

    write_file(at("bad.yaml", 0), "name: [\n");
    o.scene_path = at("bad.yaml", 0);
    purr_assert_err(purr_robot_new(&o, &r, &diag), PURR_EFORMAT);

    /* A behaviour that is not registered (in this program). */
    write_file(at("unknown.yaml", 0),
               "name: x\nduration: 1s\nsensors: []\n"
               "behaviours:\n  - name: not-registered\n");
    o.scene_path = at("unknown.yaml", 0);
    purr_assert_err(purr_robot_new(&o, &r, &diag), PURR_EFORMAT);
    cr_assert(strstr(diag.message, "not-registered") != NULL, "%s",
              diag.message);

    /* The recording exists: kept unless overwrite is asked for. */
    write_file(at("old.db", 0), "not a recording");
    o.scene_path = at("guard.yaml", 0);
    o.record_path = at("old.db", 1);
    purr_assert_err(purr_robot_new(&o, &r, &diag), PURR_EEXIST);
    cr_assert_str_eq(slurp(at("old.db", 2)), "not a recording");
    o.overwrite = true;
    r = new_robot(&o);
    purr_robot_free(r); /* never ran: the recording is still whole */
    purr_recording *rec;
    purr_assert_ok(purr_recording_open(at("old.db", 2), &rec, NULL));
    purr_recording_close(rec);
}

/* Bad lines: each one a pipe of its own, read by one input task. */
typedef struct bad_lines {
    purr_robot *robot;
    int fds[5];           /* read ends */
    int rc[5];            /* read_lines' result for each */
    char message[5][256]; /* and its diag */
} bad_lines;

static int
read_bad(void *arg)
{
    bad_lines *b = arg;
    for (int i = 0; i < 5; i++) {
        purr_diag diag = {0};
        b->rc[i] = purr_robot_read_lines(b->robot, b->fds[i], &diag);
        purr_diag_format(&diag, b->message[i], sizeof b->message[i]);
    }
    purr_robot_stop(b->robot);
    return 0;
}

Test(robot, read_lines_errors)
{
    const char *lines[5] = {"bumper true\nbumper 42\n", "alarm true\n",
                            "nosuch 1\n", "bumper\n", "level nope\n"};
    const char *want[5] = {"fd %d:2: 'bumper' is a bool input, got 42 (int)",
                           "fd %d:1: 'alarm' is not an input",
                           "fd %d:1: unknown value 'nosuch'",
                           "fd %d:1: expected NAME DATUM, got 'bumper'",
                           "fd %d:1:7: level: expected a datum"};
    bad_lines b = {0};
    for (int i = 0; i < 5; i++) {
        int fds[2];
        cr_assert_eq(pipe(fds), 0);
        cr_assert_eq(write(fds[1], lines[i], strlen(lines[i])),
                     (ssize_t)strlen(lines[i]));
        close(fds[1]);
        b.fds[i] = fds[0];
    }
    purr_robot_options o = {.scene_path = at("guard.yaml", 0),
                            .inputs = read_bad,
                            .inputs_arg = &b};
    purr_robot *r = new_robot(&o);
    b.robot = r;
    run_robot(r);
    for (int i = 0; i < 5; i++) {
        char prefix[128];
        snprintf(prefix, sizeof prefix, want[i], b.fds[i]);
        purr_assert_err(b.rc[i], PURR_EFORMAT);
        cr_assert(strncmp(b.message[i], prefix, strlen(prefix)) == 0,
                  "got '%s', want '%s...'", b.message[i], prefix);
        close(b.fds[i]);
    }
    /* The good line before the bad one was set. */
    cr_assert(
        purr_datum_as_bool(purr_value_peek(purr_robot_value(r, "bumper"))));
    purr_robot_free(r);
}

/* An input task that fails ends the run with its error, and the field log
 * is still closed whole, with exit_status 1. */
static int
failing_inputs(void *arg)
{
    (void)arg;
    return PURR_EIO;
}

Test(robot, failing_input_task)
{
    purr_robot_options o = {.scene_path = at("guard.yaml", 0),
                            .record_path = at("field.db", 1),
                            .inputs = failing_inputs};
    purr_robot *r = new_robot(&o);
    purr_diag diag = {0};
    purr_assert_err(purr_robot_run(r, &diag), PURR_EIO);
    cr_assert(strstr(diag.message, "purr-replay-feeder") != NULL, "%s",
              diag.message);
    purr_robot_free(r);
    purr_recording *rec;
    purr_assert_ok(purr_recording_open(at("field.db", 0), &rec, NULL));
    cr_assert_str_eq(purr_recording_meta(rec, "exit_status"), "1");
    purr_recording_close(rec);
}

/* ---------------------------------------------------------------------- */
/* `purr replay --check` of a field log                                    */
/* ---------------------------------------------------------------------- */

/* Runs `cd DIR && purr ARGS`, output discarded; returns the exit status. */
static int
purr_cli(const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd %s && '%s' %s >%s/.out 2>&1", dir, PURR_BIN,
             args, dir);
    int status = system(cmd);
    cr_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

#define TALK_SCENE                                                             \
    "name: talk\nduration: 1h\nsensors:\n"                                     \
    "  - {name: touched, type: bool, model: constant, value: false}\n"         \
    "  - {name: face_seen, type: bool, model: constant, value: false}\n"       \
    "behaviours:\n  - {name: talk, params: {cute_for: %s}}\n"

/* The stock `purr` knows only its built-in behaviours, so this robot runs
 * "talk": the field log is then replayed by the command a team's CI runs.
 * With cute_for 1h the robot stays cute until stopped, missing the touch
 * ending; with 1ns (a changed parameter) it notices and goes idle. */
Test(robot, purr_replay_check_accepts_the_field_log)
{
    char text[512];
    snprintf(text, sizeof text, TALK_SCENE, "1h");
    write_file(at("talk.yaml", 0), text);
    snprintf(text, sizeof text, TALK_SCENE, "1ns");
    write_file(at("talk-changed.yaml", 0), text);
    purr_robot_options o = {.scene_path = at("talk.yaml", 0),
                            .record_path = at("talk.db", 1)};
    purr_robot *r = new_robot(&o);
    purr_datum yes = purr_datum_bool(true), no = purr_datum_bool(false);
    purr_assert_ok(purr_robot_set(r, "touched", &yes));
    purr_assert_ok(purr_robot_set(r, "face_seen", &yes));
    purr_assert_ok(purr_robot_set(r, "touched", &no));
    purr_robot_stop(r);
    run_robot(r);
    cr_assert_eq(purr_value_transitions(purr_robot_value(r, "cute_count")), 1);
    purr_robot_free(r);

    cr_assert_eq(purr_cli("replay --check talk.db"), 0, "%s",
                 slurp(at(".out", 0)));
    cr_assert_eq(purr_cli("replay --check talk.db --scene "
                          "talk-changed.yaml"),
                 1, "%s", slurp(at(".out", 0)));
    cr_assert(strstr(slurp(at(".out", 0)), "DIVERGED") != NULL);

    /* The log stands alone: its scene_text is the scene. */
    cr_assert_eq(unlink(at("talk.yaml", 0)), 0);
    purr_recording *rec;
    purr_assert_ok(purr_recording_open(at("talk.db", 0), &rec, NULL));
    write_file(at("from-log.yaml", 0), purr_recording_meta(rec, "scene_text"));
    purr_recording_close(rec);
    cr_assert_eq(purr_cli("replay --check talk.db --scene from-log.yaml"), 0,
                 "%s", slurp(at(".out", 0)));
}
