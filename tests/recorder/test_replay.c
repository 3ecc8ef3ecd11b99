/* test_replay.c - replay: a recording replays identically; a changed
 * behaviour or a tampered payload is detected and the report names the
 * first differing transition; the report prints and writes JUnit XML. */
#include "rec_test.h"
#include "rec_patch.h"

static int
replay(const char *path, double threshold, purr_replay_report *rep)
{
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    struct thermo t = {.threshold = threshold};
    purr_replay_target target = {.setup = thermo_setup,
                                 .behaviour = thermo_behaviour,
                                 .teardown = thermo_teardown,
                                 .arg = &t};
    int rc = purr_replay_check(rec, &target, rep);
    purr_recording_close(rec);
    return rc;
}

Test(replay, recording_replays_identically)
{
    char path[256];
    purr_replay_report rep;
    tmp_path(path, sizeof path, "same.db");
    thermo_record(path, 20.0);
    purr_assert_ok(replay(path, 20.0, &rep));
    cr_assert_eq(rep.outcome, PURR_REPLAY_IDENTICAL);
    cr_assert_eq(rep.expected, 50 + 36);
    cr_assert_eq(rep.matching, 50 + 36);
    cr_assert_eq(rep.inputs, 50);
    cr_assert_eq(rep.missing + rep.extra, 0);
}

Test(replay, changed_threshold_names_first_difference)
{
    char path[256];
    purr_replay_report rep;
    tmp_path(path, sizeof path, "changed.db");
    thermo_record(path, 20.0);
    /* Reading 7 is exactly 20.0: heater stays off at threshold 20 (so the
     * next transition is count = 7), but turns on at threshold 21. */
    purr_assert_err(replay(path, 21.0, &rep), PURR_EDIVERGED);
    cr_assert_eq(rep.outcome, PURR_REPLAY_DIFFERENT);
    cr_assert(rep.has_expected && rep.has_actual);
    cr_assert_eq(rep.expected_row.time_ns, 700 * PURR_MS);
    cr_assert_str_eq(rep.expected_row.value, "count");
    cr_assert_str_eq(rep.expected_row.text, "7");
    cr_assert_eq(rep.actual_row.time_ns, 700 * PURR_MS);
    cr_assert_str_eq(rep.actual_row.value, "heater");
    cr_assert_str_eq(rep.actual_row.text, "true");
    /* Readings 1-6 gave six counts and four heater changes. */
    cr_assert_eq(rep.matching, 10);
    cr_assert_eq(rep.nbefore, 10);
    cr_assert_str_eq(rep.before[0].value, "count");
    cr_assert_eq(rep.before[0].time_ns, 100 * PURR_MS);
    cr_assert_str_eq(rep.before[9].value, "count");
    cr_assert_str_eq(rep.before[9].text, "6");
    cr_assert_eq(rep.missing, 86 - 10);
    cr_assert_eq(rep.extra, 1);

    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    purr_replay_report_print(mem, &rep);
    fclose(mem);
    cr_assert(strstr(text, "expected  t=0.700000000s  count = 7\n"), "%s",
              text);
    cr_assert(strstr(text, "actual    t=0.700000000s  heater = true\n"),
              "%s", text);
    cr_assert(strstr(text, "matching 10, missing 76, extra 1\n"), "%s", text);
    free(text);

    char xml[256];
    tmp_path(xml, sizeof xml, "junit.xml");
    purr_replay_report reps[2];
    purr_assert_ok(replay(path, 20.0, &reps[0]));
    reps[1] = rep;
    purr_assert_ok(purr_replay_junit(xml, reps, 2));
    FILE *f = fopen(xml, "r");
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    cr_assert(strstr(buf, "tests=\"2\" failures=\"1\" errors=\"0\""), "%s",
              buf);
    cr_assert(strstr(buf, "<failure message=\"DIVERGED: a transition "
                          "differs\">"),
              "%s", buf);
}

Test(replay, flipped_payload_byte_is_detected)
{
    char path[256];
    purr_replay_report rep;
    tmp_path(path, sizeof path, "tampered.db");
    thermo_record(path, 20.0);
    /* Take count = 3 (02 03 00 ...) and flip a bit of its high byte. */
    rec_flip_payload_bit(path,
                         "value_id = 3 AND payload = x'020300000000000000'",
                         8, 0);

    purr_assert_err(replay(path, 20.0, &rep), PURR_EDIVERGED);
    cr_assert_eq(rep.outcome, PURR_REPLAY_DIFFERENT);
    cr_assert_str_eq(rep.expected_row.value, "count");
    cr_assert_str_eq(rep.expected_row.text, "72057594037927939");
    cr_assert_str_eq(rep.actual_row.text, "3");
    cr_assert_eq(rep.actual_row.time_ns, 300 * PURR_MS);
}

static int
setup_without_temp(purr_loop *loop, void *arg)
{
    struct thermo *t = arg;
    t->heater = purr_value_new_bool(loop, "heater", PURR_ROLE_OUTPUT);
    t->count = purr_value_new(loop, "count", PURR_ROLE_INTERNAL, PURR_T_INT,
                              NULL);
    t->temp = purr_value_new(loop, "temperature", PURR_ROLE_INPUT,
                             PURR_T_DOUBLE, NULL);
    return 0;
}

Test(replay, unknown_input_value_is_an_error)
{
    char path[256];
    tmp_path(path, sizeof path, "unknown.db");
    thermo_record(path, 20.0);
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    struct thermo t = {.threshold = 20.0};
    purr_replay_target target = {.setup = setup_without_temp,
                                 .behaviour = thermo_behaviour,
                                 .teardown = thermo_teardown,
                                 .arg = &t};
    purr_replay_report rep;
    purr_assert_err(purr_replay_check(rec, &target, &rep), PURR_EFORMAT);
    cr_assert_eq(rep.outcome, PURR_REPLAY_ERROR);
    cr_assert_str_eq(rep.diag.file, path);
    /* Found before anything is fed, naming the value's first row. */
    cr_assert_eq(rep.diag.line, 1);
    cr_assert_str_eq(rep.diag.message, "transition 1: input value temp was "
                                       "not created by the behaviour's "
                                       "setup");
    purr_recording_close(rec);
}

/* A run that ends early leaves the rest of the recording missing: the
 * report names the first transition not made (read from the recording as
 * the replay goes) and the ten matched before it, in order. */
Test(replay, early_end_names_the_first_missing_transition)
{
    char path[256];
    purr_replay_report rep;
    tmp_path(path, sizeof path, "early.db");
    thermo_record(path, 20.0);
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    struct thermo t = {.threshold = 20.0};
    /* Readings 1-30 (0.1 s to 3.0 s) are fed, 31 (3.1 s) is not. */
    purr_replay_target target = {.setup = thermo_setup,
                                 .behaviour = thermo_behaviour,
                                 .teardown = thermo_teardown,
                                 .arg = &t,
                                 .deadline_ns = 3050 * PURR_MS};
    purr_assert_err(purr_replay_check(rec, &target, &rep), PURR_EDIVERGED);
    purr_recording_close(rec);
    cr_assert_eq(rep.outcome, PURR_REPLAY_MISSING);
    /* Reading 30 was 16 (heater on, then count = 30 at 3.0 s); reading 31
     * is 23, so the first missing transition is the heater going off,
     * before count = 31. */
    cr_assert(rep.has_expected && !rep.has_actual);
    cr_assert_eq(rep.expected_row.time_ns, 3100 * PURR_MS);
    cr_assert_str_eq(rep.expected_row.value, "heater");
    cr_assert_str_eq(rep.expected_row.text, "false");
    cr_assert_eq(rep.matching + rep.missing, rep.expected);
    cr_assert_eq(rep.expected, 50 + 36);
    cr_assert_eq(rep.inputs, 30);
    cr_assert_eq(rep.nbefore, PURR_REPLAY_CONTEXT);
    cr_assert_str_eq(rep.before[PURR_REPLAY_CONTEXT - 1].value, "count");
    cr_assert_str_eq(rep.before[PURR_REPLAY_CONTEXT - 1].text, "30");
    cr_assert_eq(rep.before[PURR_REPLAY_CONTEXT - 1].time_ns, 3000 * PURR_MS);
    for (int i = 1; i < PURR_REPLAY_CONTEXT; i++)
        cr_assert_lt(rep.before[i - 1].seq, rep.before[i].seq);
}

/* A setup that also records the replayed run (a team's own harness may):
 * the replay compares through a tap when it can, and the recorder then
 * finds the tap taken and observes instead. Both must see every
 * transition. */
static purr_recorder *g_rerecorder;
static char g_rerecord_path[256];

static int
setup_recording(purr_loop *loop, void *arg)
{
    purr_recorder_options o = {.overwrite = true};
    purr_diag diag;
    g_rerecorder = purr_recorder_open(g_rerecord_path, &o, &diag);
    cr_assert(g_rerecorder, "open: %s", diag.message);
    purr_assert_ok(purr_recorder_attach(g_rerecorder, loop));
    return thermo_setup(loop, arg);
}

/* Closes the recorder before the replay closes its loop. */
static void
teardown_recording(void *arg)
{
    purr_diag diag;
    purr_assert_ok(purr_recorder_close(g_rerecorder, &diag));
    thermo_teardown(arg);
}

Test(replay, recorder_attached_by_setup_sees_every_transition)
{
    char path[256];
    purr_replay_report rep;
    tmp_path(path, sizeof path, "orig.db");
    tmp_path(g_rerecord_path, sizeof g_rerecord_path, "again.db");
    thermo_record(path, 20.0);
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    struct thermo t = {.threshold = 20.0};
    purr_replay_target target = {.setup = setup_recording,
                                 .behaviour = thermo_behaviour,
                                 .teardown = teardown_recording,
                                 .arg = &t};
    purr_assert_ok(purr_replay_check(rec, &target, &rep));
    cr_assert_eq(rep.outcome, PURR_REPLAY_IDENTICAL);
    cr_assert_eq(rep.matching, 50 + 36);
    cr_assert_eq(rep.inputs, 50);
    int64_t n = purr_recording_transition_count(rec);
    purr_recording_close(rec);
    purr_assert_ok(purr_recording_open(g_rerecord_path, &rec, &diag));
    cr_assert_eq(purr_recording_transition_count(rec), n);
    purr_recording_close(rec);
}

/* Inputs that share an instant: the driver sets x and then y at each
 * 100 ms; the behaviour echoes each into its own output. The feeder sets
 * them in the recorded order, at the same instant, each echo between
 * them; a behaviour that echoes y wrong at one instant differs exactly
 * there, after x's echo of that instant matched. */
struct pair {
    int wrong_at;               /* 0, or the k whose y echo is off by 1 */
    purr_value *x, *y, *ex, *ey;
};

static int
pair_setup(purr_loop *loop, void *arg)
{
    struct pair *p = arg;
    p->x = purr_value_new(loop, "x", PURR_ROLE_INPUT, PURR_T_INT, NULL);
    p->y = purr_value_new(loop, "y", PURR_ROLE_INPUT, PURR_T_INT, NULL);
    p->ex = purr_value_new(loop, "ex", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
    p->ey = purr_value_new(loop, "ey", PURR_ROLE_OUTPUT, PURR_T_INT, NULL);
    return 0;
}

static void
pair_teardown(void *arg)
{
    struct pair *p = arg;
    purr_value_free(p->x);
    purr_value_free(p->y);
    purr_value_free(p->ex);
    purr_value_free(p->ey);
}

static int
echo_x(void *arg)
{
    struct pair *p = arg;
    purr_datum d;
    int rc;
    while ((rc = purr_value_wait_transition(p->x, purr_match_any(), &d,
                                            NULL)) == 0)
        purr_value_set_int(p->ex, purr_datum_as_int(&d));
    return rc;
}

static int
echo_y(void *arg)
{
    struct pair *p = arg;
    purr_datum d;
    int rc;
    while ((rc = purr_value_wait_transition(p->y, purr_match_any(), &d,
                                            NULL)) == 0) {
        int64_t k = purr_datum_as_int(&d) - 100;
        purr_value_set_int(p->ey, k + 100 + (k == p->wrong_at));
    }
    return rc;
}

static int
pair_behaviour(purr_nursery *n, void *arg)
{
    int rc = purr_spawn(n, "echo-x", echo_x, arg);
    return rc < 0 ? rc : purr_spawn(n, "echo-y", echo_y, arg);
}

static int
pair_driver(void *arg)
{
    struct pair *p = arg;
    for (int k = 1; k <= 20; k++) {
        int rc = purr_sleep_until(k * 100 * PURR_MS);
        if (rc < 0)
            return rc;
        purr_value_set_int(p->x, k);
        purr_value_set_int(p->y, 100 + k);
    }
    return 0;
}

static int
pair_record_body(purr_nursery *n, void *arg)
{
    int rc = purr_spawn(n, "driver", pair_driver, arg);
    return rc < 0 ? rc : pair_behaviour(n, arg);
}

static int
pair_record_main(void *arg)
{
    purr_scope s;
    purr_scope_enter(&s, 3 * PURR_S);
    pair_setup(purr_loop_current(), arg);
    int rc = purr_nursery_run(pair_record_body, arg);
    purr_scope_exit(&s);
    return rc == PURR_ECANCELED ? 0 : rc;
}

Test(replay, divergence_among_inputs_of_one_instant)
{
    char path[256];
    tmp_path(path, sizeof path, "pair.db");
    struct pair p = {0};
    rec_record_run(path, "3000000000", pair_record_main, &p, pair_teardown);

    purr_diag diag;
    purr_recording *rec;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    purr_replay_report rep;
    struct pair same = {0};
    purr_replay_target target = {.setup = pair_setup,
                                 .behaviour = pair_behaviour,
                                 .teardown = pair_teardown,
                                 .arg = &same};
    purr_assert_ok(purr_replay_check(rec, &target, &rep));
    cr_assert_eq(rep.inputs, 40);
    cr_assert_eq(rep.matching, 40);

    struct pair off = {.wrong_at = 7};
    target.arg = &off;
    purr_assert_err(purr_replay_check(rec, &target, &rep), PURR_EDIVERGED);
    purr_recording_close(rec);
    cr_assert_eq(rep.outcome, PURR_REPLAY_DIFFERENT);
    cr_assert_str_eq(rep.expected_row.value, "ey");
    cr_assert_eq(rep.expected_row.time_ns, 700 * PURR_MS);
    cr_assert_str_eq(rep.expected_row.text, "107");
    cr_assert_str_eq(rep.actual_row.text, "108");
    /* ex and ey of instants 1-6 matched, then ex = 7 of this one. */
    cr_assert_eq(rep.matching, 2 * 6 + 1);
    cr_assert_str_eq(rep.before[rep.nbefore - 1].value, "ex");
    cr_assert_str_eq(rep.before[rep.nbefore - 1].text, "7");
}
