/* test_nursery.c - nurseries: spawn order, waiting, errors, purr_start.
 *
 * Every test runs as the main task of a virtual-clock loop, so times are
 * exact and event orders are deterministic: each test records what its
 * tasks did (a trace string, return codes, the virtual time of each wake)
 * and asserts the exact outcome. The rules checked are Trio's: children
 * start in spawn order after the spawner's next checkpoint, the nursery
 * waits for all of them, the first error cancels the body and every
 * sibling and is what the nursery returns, and purr_start hands a value
 * from the child back to the starter. */
#include "purr_test.h"

#include <string.h>

/* What one task saw: the code its checkpoint returned and when. */
struct outcome {
    int rc;
    purr_time at;
    bool done;
};

static char trace[512];

static void
note(const char *s)
{
    strncat(trace, s, sizeof trace - strlen(trace) - 1);
}

static void
reset(void)
{
    trace[0] = '\0';
}

/* ---------------------------------------------------------------------- */
/* Spawning and waiting                                                    */
/* ---------------------------------------------------------------------- */

/* Notes its one-letter name, passed as the argument. */
static int
note_letter(void *arg)
{
    char s[2] = {(char)(intptr_t)arg, '\0'};
    note(s);
    return 0;
}

static int
spawn_three_then_checkpoint(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "a", note_letter, (void *)(intptr_t)'a'));
    purr_assert_ok(purr_spawn(n, "b", note_letter, (void *)(intptr_t)'b'));
    purr_assert_ok(purr_spawn(n, "c", note_letter, (void *)(intptr_t)'c'));
    note("<"); /* start_soon: nothing has run yet */
    purr_assert_ok(purr_checkpoint());
    note(">"); /* the body is queued behind the three children */
    return 0;
}

static int
main_spawn_order(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(spawn_three_then_checkpoint, NULL));
    cr_assert_str_eq(trace, "<abc>");
    return 0;
}

Test(nursery, children_start_in_spawn_order_after_spawner_checkpoints)
{
    reset();
    purr_assert_ok(purr_test_run(main_spawn_order, NULL));
}

static int
sleep_then_note(void *arg)
{
    purr_time duration = *(const purr_time *)arg;
    purr_assert_ok(purr_sleep(duration));
    char buf[32];
    snprintf(buf, sizeof buf, "%lld;", (long long)(purr_now() / PURR_MS));
    note(buf);
    return 0;
}

static const purr_time waits_durations[3] = {1 * PURR_S, 3 * PURR_S,
                                             2 * PURR_S};

static int
spawn_sleepers(purr_nursery *n, void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++)
        purr_assert_ok(purr_spawn(n, "sleeper", sleep_then_note,
                                  (void *)&waits_durations[i]));
    return 0;
}

static int
main_waits(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(spawn_sleepers, NULL));
    /* Returned only after the last child (3 s), not the first. */
    cr_assert_eq(purr_now(), 3 * PURR_S);
    cr_assert_str_eq(trace, "1000;2000;3000;");
    return 0;
}

Test(nursery, waits_for_all_children)
{
    reset();
    purr_assert_ok(purr_test_run(main_waits, NULL));
}

static int
body_without_children(purr_nursery *n, void *arg)
{
    (void)n;
    (void)arg;
    note("body;");
    return 0;
}

static int
other_task(void *arg)
{
    (void)arg;
    note("other;");
    return 0;
}

static int
run_empty_nursery(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "other", other_task, NULL));
    /* A nursery with no children to wait for is not a checkpoint: the
     * queued sibling must not run inside it. */
    purr_assert_ok(purr_nursery_run(body_without_children, NULL));
    note("inner-done;");
    return 0;
}

static int
main_empty(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(run_empty_nursery, NULL));
    cr_assert_str_eq(trace, "body;inner-done;other;");
    cr_assert_eq(purr_now(), 0);
    return 0;
}

Test(nursery, empty_nursery_returns_without_yielding)
{
    reset();
    purr_assert_ok(purr_test_run(main_empty, NULL));
}

/* A child that spawns a sibling into its own nursery after the body has
 * returned: the owner, already waiting, must wait for the newcomer too. */
static int
late_sibling(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(5 * PURR_S));
    note("late;");
    return 0;
}

static int
spawns_sibling(void *arg)
{
    purr_nursery *n = arg;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    purr_assert_ok(purr_spawn(n, "late", late_sibling, NULL));
    note("spawner;");
    return 0;
}

static int
body_spawns_spawner(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "spawner", spawns_sibling, n));
    return 0;
}

static int
main_late_sibling(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(body_spawns_spawner, NULL));
    cr_assert_str_eq(trace, "spawner;late;");
    cr_assert_eq(purr_now(), 6 * PURR_S);
    return 0;
}

Test(nursery, child_can_spawn_sibling_while_owner_waits)
{
    reset();
    purr_assert_ok(purr_test_run(main_late_sibling, NULL));
}

/* ---------------------------------------------------------------------- */
/* Errors and cancellation                                                 */
/* ---------------------------------------------------------------------- */

static struct outcome sleeper_out, waiter_out, body_out;
static bool failed_yet; /* set by the failing child just before it fails */
static int spin_after_failure; /* checkpoints the spinner began after it */
static int spin_rc;

static int
fail_at_1s(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    failed_yet = true;
    return PURR_EIO;
}

static int
sleep_10s_recording(void *arg)
{
    struct outcome *o = arg;
    o->rc = purr_sleep(10 * PURR_S);
    o->at = purr_now();
    o->done = true;
    return o->rc;
}

static int
wait_event_recording(void *arg)
{
    struct outcome *o = arg;
    purr_event ev;
    purr_event_init(&ev);
    o->rc = purr_event_wait(&ev);
    o->at = purr_now();
    o->done = true;
    return o->rc;
}

/* Checkpoints in a loop until one fails. Every checkpoint that begins
 * after the failure must fail. */
static int
spinner(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000000; i++) {
        bool after = failed_yet;
        int rc = purr_checkpoint();
        if (after)
            spin_after_failure++;
        if (rc != 0) {
            spin_rc = rc;
            cr_assert_eq(purr_now(), 1 * PURR_S);
            return rc;
        }
        if (!after && purr_now() < 1 * PURR_S)
            purr_assert_ok(purr_sleep(1 * PURR_S - purr_now()));
    }
    return 0;
}

static int
body_first_error(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "sleeper", sleep_10s_recording, &sleeper_out));
    purr_assert_ok(purr_spawn(n, "fail", fail_at_1s, NULL));
    purr_assert_ok(purr_spawn(n, "waiter", wait_event_recording, &waiter_out));
    purr_assert_ok(purr_spawn(n, "spinner", spinner, NULL));
    body_out.rc = purr_sleep(10 * PURR_S);
    body_out.at = purr_now();
    body_out.done = true;
    return body_out.rc;
}

static int
main_first_error(void *arg)
{
    (void)arg;
    purr_nursery_report report;
    purr_assert_err(purr_nursery_run_report(body_first_error, NULL, &report),
                    PURR_EIO);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    struct outcome *all[] = {&sleeper_out, &waiter_out, &body_out};
    for (size_t i = 0; i < 3; i++) {
        cr_assert(all[i]->done);
        purr_assert_err(all[i]->rc, PURR_ECANCELED);
        cr_assert_eq(all[i]->at, 1 * PURR_S, "task %zu woke at %lld", i,
                     (long long)all[i]->at);
    }
    purr_assert_err(spin_rc, PURR_ECANCELED);
    cr_assert_eq(spin_after_failure, 1,
                 "a checkpoint begun after the failure succeeded");
    /* Only the real failure is an error: the siblings' and the body's
     * PURR_ECANCELED are the expected unwinding. */
    cr_assert_eq(report.count, 1);
    purr_assert_err(report.errors[0].code, PURR_EIO);
    cr_assert_eq(report.errors[0].task_id, 3);
    cr_assert_str_eq(report.errors[0].name, "fail");
    return 0;
}

Test(nursery, first_error_cancels_body_and_siblings)
{
    reset();
    purr_assert_ok(purr_test_run(main_first_error, NULL));
}

static int
fail_io_at_1s(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    return PURR_EIO;
}

static int
fail_inval_at_1s(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    return PURR_EINVAL;
}

static int
body_two_failures(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "first", fail_io_at_1s, NULL));
    purr_assert_ok(purr_spawn(n, "second", fail_inval_at_1s, NULL));
    purr_assert_ok(
        purr_spawn(n, "bystander", sleep_10s_recording, &sleeper_out));
    return 0;
}

static int
main_two_failures(void *arg)
{
    (void)arg;
    purr_nursery_report report;
    purr_assert_err(purr_nursery_run_report(body_two_failures, NULL, &report),
                    PURR_EIO);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    cr_assert_eq(report.count, 2);
    purr_assert_err(report.errors[0].code, PURR_EIO);
    cr_assert_eq(report.errors[0].task_id, 2);
    cr_assert_str_eq(report.errors[0].name, "first");
    purr_assert_err(report.errors[1].code, PURR_EINVAL);
    cr_assert_eq(report.errors[1].task_id, 3);
    cr_assert_str_eq(report.errors[1].name, "second");
    purr_assert_err(sleeper_out.rc, PURR_ECANCELED);
    return 0;
}

Test(nursery, report_lists_simultaneous_failures_in_order)
{
    reset();
    purr_assert_ok(purr_test_run(main_two_failures, NULL));
}

static int
fail_with_index(void *arg)
{
    int i = (int)(intptr_t)arg;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    return -100 - i; /* a task's own negative code */
}

static int
body_twenty_failures(purr_nursery *n, void *arg)
{
    (void)arg;
    for (int i = 0; i < 20; i++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", i);
        purr_assert_ok(
            purr_spawn(n, name, fail_with_index, (void *)(intptr_t)i));
    }
    return 0;
}

static int
main_twenty_failures(void *arg)
{
    (void)arg;
    purr_nursery_report report;
    purr_assert_err(
        purr_nursery_run_report(body_twenty_failures, NULL, &report), -100);
    cr_assert_eq(report.count, 20, "every error is counted");
    for (int i = 0; i < PURR_NURSERY_MAX_REPORTED; i++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", i);
        cr_assert_eq(report.errors[i].code, -100 - i);
        cr_assert_eq(report.errors[i].task_id, (uint64_t)i + 2);
        cr_assert_str_eq(report.errors[i].name, name);
    }
    return 0;
}

Test(nursery, report_counts_all_keeps_first_sixteen)
{
    reset();
    purr_assert_ok(purr_test_run(main_twenty_failures, NULL));
}

static int
body_fails_at_1s(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "sleeper", sleep_10s_recording, &sleeper_out));
    purr_assert_ok(purr_spawn(n, "waiter", wait_event_recording, &waiter_out));
    purr_assert_ok(purr_sleep(1 * PURR_S));
    return PURR_EINVAL;
}

static int
main_body_error(void *arg)
{
    (void)arg;
    purr_nursery_report report;
    purr_assert_err(purr_nursery_run_report(body_fails_at_1s, NULL, &report),
                    PURR_EINVAL);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    purr_assert_err(sleeper_out.rc, PURR_ECANCELED);
    cr_assert_eq(sleeper_out.at, 1 * PURR_S);
    purr_assert_err(waiter_out.rc, PURR_ECANCELED);
    cr_assert_eq(waiter_out.at, 1 * PURR_S);
    cr_assert_eq(report.count, 1);
    purr_assert_err(report.errors[0].code, PURR_EINVAL);
    cr_assert_eq(report.errors[0].task_id, 1);
    cr_assert_str_eq(report.errors[0].name, "test-main");
    return 0;
}

Test(nursery, body_error_cancels_children)
{
    reset();
    purr_assert_ok(purr_test_run(main_body_error, NULL));
}

static int
body_cancels_itself(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "sleeper", sleep_10s_recording, &sleeper_out));
    purr_assert_ok(purr_spawn(n, "waiter", wait_event_recording, &waiter_out));
    purr_assert_ok(purr_sleep(2 * PURR_S));
    cr_assert(!purr_nursery_scope(n)->cancel_called);
    purr_nursery_cancel(n);
    cr_assert(purr_nursery_scope(n)->cancel_called);
    /* The body is in the nursery's scope: its own next checkpoint fails. */
    body_out.rc = purr_checkpoint();
    body_out.at = purr_now();
    return body_out.rc;
}

static int
main_nursery_cancel(void *arg)
{
    (void)arg;
    purr_nursery_report report;
    purr_assert_ok(purr_nursery_run_report(body_cancels_itself, NULL, &report));
    cr_assert_eq(purr_now(), 2 * PURR_S);
    purr_assert_err(body_out.rc, PURR_ECANCELED);
    purr_assert_err(sleeper_out.rc, PURR_ECANCELED);
    cr_assert_eq(sleeper_out.at, 2 * PURR_S);
    purr_assert_err(waiter_out.rc, PURR_ECANCELED);
    cr_assert_eq(waiter_out.at, 2 * PURR_S);
    cr_assert_eq(report.count, 0, "cancelled children are not errors");
    /* The cancellation stayed inside the nursery. */
    cr_assert(!purr_task_is_cancelled());
    purr_assert_ok(purr_sleep(1 * PURR_S));
    return 0;
}

Test(nursery, nursery_cancel_cancels_body_and_children)
{
    reset();
    purr_assert_ok(purr_test_run(main_nursery_cancel, NULL));
}

static int
body_sleepers_only(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "sleeper", sleep_10s_recording, &sleeper_out));
    return 0;
}

static int
main_outside_cancel(void *arg)
{
    (void)arg;
    purr_scope s;
    purr_move_on_after(&s, 1500 * PURR_MS);
    /* A cancellation from outside is not the nursery's error, but it is
     * not swallowed either: the nursery returns PURR_ECANCELED. */
    purr_assert_err(purr_nursery_run(body_sleepers_only, NULL), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 1500 * PURR_MS);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);
    purr_assert_err(sleeper_out.rc, PURR_ECANCELED);
    cr_assert_eq(sleeper_out.at, 1500 * PURR_MS);
    return 0;
}

Test(nursery, outside_cancellation_propagates)
{
    reset();
    purr_assert_ok(purr_test_run(main_outside_cancel, NULL));
}

static int
body_nursery_deadline(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "sleeper", sleep_10s_recording, &sleeper_out));
    /* The nursery's own scope takes a deadline like any other. */
    purr_scope_set_deadline(purr_nursery_scope(n), 1500 * PURR_MS);
    return 0;
}

static int
main_nursery_deadline(void *arg)
{
    (void)arg;
    purr_nursery_report report;
    purr_assert_ok(
        purr_nursery_run_report(body_nursery_deadline, NULL, &report));
    cr_assert_eq(purr_now(), 1500 * PURR_MS);
    purr_assert_err(sleeper_out.rc, PURR_ECANCELED);
    cr_assert_eq(sleeper_out.at, 1500 * PURR_MS);
    cr_assert_eq(report.count, 0);
    return 0;
}

Test(nursery, deadline_on_nursery_scope_cancels_it)
{
    reset();
    purr_assert_ok(purr_test_run(main_nursery_deadline, NULL));
}

/* ---------------------------------------------------------------------- */
/* Nesting                                                                 */
/* ---------------------------------------------------------------------- */

static struct outcome grandchild_out, uncle_out;

static int
inner_body(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(
        purr_spawn(n, "grandchild", sleep_10s_recording, &grandchild_out));
    purr_assert_ok(purr_spawn(n, "fail", fail_io_at_1s, NULL));
    return 0;
}

static int
runs_inner_nursery(void *arg)
{
    (void)arg;
    int rc = purr_nursery_run(inner_body, NULL);
    note(rc == PURR_EIO ? "inner-eio;" : "inner-other;");
    return rc;
}

static int
outer_body(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "middle", runs_inner_nursery, NULL));
    purr_assert_ok(purr_spawn(n, "uncle", sleep_10s_recording, &uncle_out));
    return 0;
}

static int
main_nested_failure(void *arg)
{
    (void)arg;
    purr_nursery_report report;
    purr_assert_err(purr_nursery_run_report(outer_body, NULL, &report),
                    PURR_EIO);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    cr_assert_str_eq(trace, "inner-eio;");
    purr_assert_err(grandchild_out.rc, PURR_ECANCELED);
    cr_assert_eq(grandchild_out.at, 1 * PURR_S);
    purr_assert_err(uncle_out.rc, PURR_ECANCELED);
    cr_assert_eq(uncle_out.at, 1 * PURR_S);
    /* The outer nursery saw its child "middle" fail. */
    cr_assert_eq(report.count, 1);
    cr_assert_str_eq(report.errors[0].name, "middle");
    cr_assert_eq(report.errors[0].task_id, 2);
    return 0;
}

Test(nursery, nested_failure_propagates_outward)
{
    reset();
    purr_assert_ok(purr_test_run(main_nested_failure, NULL));
}

static int
inner_sleeper_body(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(
        purr_spawn(n, "grandchild", sleep_10s_recording, &grandchild_out));
    return 0;
}

static int
runs_inner_sleeper(void *arg)
{
    (void)arg;
    /* Cancelled from outside: propagate, not an error of either. */
    return purr_nursery_run(inner_sleeper_body, NULL);
}

static int
outer_cancelling_body(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "middle", runs_inner_sleeper, NULL));
    purr_assert_ok(purr_sleep(2 * PURR_S));
    purr_nursery_cancel(n);
    return 0;
}

static int
main_outer_cancel(void *arg)
{
    (void)arg;
    purr_nursery_report report;
    purr_assert_ok(
        purr_nursery_run_report(outer_cancelling_body, NULL, &report));
    cr_assert_eq(report.count, 0);
    purr_assert_err(grandchild_out.rc, PURR_ECANCELED);
    cr_assert_eq(grandchild_out.at, 2 * PURR_S);
    cr_assert_eq(purr_now(), 2 * PURR_S);
    return 0;
}

Test(nursery, outer_cancel_reaches_grandchildren)
{
    reset();
    purr_assert_ok(purr_test_run(main_outer_cancel, NULL));
}

/* purr_spawn into a nursery that has finished (PURR_ECLOSED) is not tested:
 * a nursery lives in purr_nursery_run's frame and is marked closed only in
 * the instant before that frame returns, with no checkpoint in between, and
 * no child can outlive it. The only way to reach a closed nursery is a
 * dangling pointer, which is undefined behaviour (and an ASan report). */

/* ---------------------------------------------------------------------- */
/* purr_start / purr_started                                               */
/* ---------------------------------------------------------------------- */

static int started_value = 42;

static int
server(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    note("server-ready;");
    purr_started(&started_value);
    note("server-after-started;");
    purr_assert_ok(purr_sleep(5 * PURR_S));
    note("server-done;");
    return 0;
}

static int
body_start(purr_nursery *n, void *arg)
{
    (void)arg;
    void *value = NULL;
    purr_assert_ok(purr_start(n, "server", server, NULL, &value));
    note("starter-resumed;");
    cr_assert_eq(value, &started_value);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    return 0;
}

static int
main_start(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(body_start, NULL));
    cr_assert_eq(purr_now(), 6 * PURR_S);
    /* purr_started does not yield: the server runs on until it blocks. */
    cr_assert_str_eq(trace, "server-ready;server-after-started;"
                            "starter-resumed;server-done;");
    return 0;
}

Test(nursery, start_hands_value_back)
{
    reset();
    purr_assert_ok(purr_test_run(main_start, NULL));
}

static int
fails_before_started(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    return PURR_EIO;
}

static int
body_start_fails(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "sibling", sleep_10s_recording, &sleeper_out));
    void *value = &started_value;
    purr_assert_err(purr_start(n, "doomed", fails_before_started, NULL, &value),
                    PURR_EIO);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    cr_assert_eq(value, &started_value, "value untouched on failure");
    cr_assert(!purr_nursery_scope(n)->cancel_called,
              "a failure before purr_started must not cancel the nursery");
    cr_assert(!purr_task_is_cancelled());
    return 0; /* the body handles the failure */
}

static int
main_start_fails(void *arg)
{
    (void)arg;
    purr_nursery_report report;
    purr_assert_ok(purr_nursery_run_report(body_start_fails, NULL, &report));
    cr_assert_eq(report.count, 0);
    purr_assert_ok(sleeper_out.rc);
    cr_assert_eq(sleeper_out.at, 10 * PURR_S);
    return 0;
}

Test(nursery, start_failure_before_started_is_the_starters)
{
    reset();
    purr_assert_ok(purr_test_run(main_start_fails, NULL));
}

static int
returns_without_started(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    return 0;
}

static int
body_start_efailed(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_err(
        purr_start(n, "quitter", returns_without_started, NULL, NULL),
        PURR_EFAILED);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    return 0;
}

static int
main_start_efailed(void *arg)
{
    (void)arg;
    purr_nursery_report report;
    purr_assert_ok(purr_nursery_run_report(body_start_efailed, NULL, &report));
    cr_assert_eq(report.count, 0);
    return 0;
}

Test(nursery, start_returning_zero_without_started_is_efailed)
{
    reset();
    purr_assert_ok(purr_test_run(main_start_efailed, NULL));
}

static int
started_then_fails(void *arg)
{
    (void)arg;
    purr_started(NULL);
    purr_assert_ok(purr_sleep(2 * PURR_S));
    return PURR_EIO;
}

static int
body_started_then_fails(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_start(n, "worker", started_then_fails, NULL, NULL));
    body_out.rc = purr_sleep(10 * PURR_S);
    body_out.at = purr_now();
    return body_out.rc;
}

static int
main_started_then_fails(void *arg)
{
    (void)arg;
    /* Once started, the child belongs to the nursery: its failure cancels
     * the nursery (and the starter's body in it). */
    purr_assert_err(purr_nursery_run(body_started_then_fails, NULL), PURR_EIO);
    purr_assert_err(body_out.rc, PURR_ECANCELED);
    cr_assert_eq(body_out.at, 2 * PURR_S);
    return 0;
}

Test(nursery, started_child_failure_is_the_nurserys)
{
    reset();
    purr_assert_ok(purr_test_run(main_started_then_fails, NULL));
}

/* Once started, the child lives in the nursery, not under the starter's
 * scopes: cancelling the scope around purr_start no longer reaches it, even
 * in a scope the child entered before calling purr_started. */
static struct outcome started_out;

static int
enters_scope_then_starts(void *arg)
{
    (void)arg;
    purr_scope mine;
    purr_scope_enter(&mine, PURR_TIME_NEVER);
    purr_started(NULL);
    started_out.rc = purr_sleep(3 * PURR_S);
    started_out.at = purr_now();
    purr_assert_ok(purr_scope_exit(&mine));
    cr_assert(!mine.cancelled_caught);
    return started_out.rc;
}

static int
body_starter_scope(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_scope s;
    purr_move_on_after(&s, 1 * PURR_S);
    purr_assert_ok(
        purr_start(n, "detached", enters_scope_then_starts, NULL, NULL));
    body_out.rc = purr_sleep(10 * PURR_S);
    body_out.at = purr_now();
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);
    return 0;
}

static int
main_starter_scope(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(body_starter_scope, NULL));
    purr_assert_err(body_out.rc, PURR_ECANCELED);
    cr_assert_eq(body_out.at, 1 * PURR_S);
    purr_assert_ok(started_out.rc);
    cr_assert_eq(started_out.at, 3 * PURR_S);
    return 0;
}

Test(nursery, started_child_leaves_the_starters_scope)
{
    reset();
    purr_assert_ok(purr_test_run(main_starter_scope, NULL));
}

static struct outcome unstarted_out;

static int
slow_to_start(void *arg)
{
    (void)arg;
    unstarted_out.rc = purr_sleep(10 * PURR_S);
    unstarted_out.at = purr_now();
    if (unstarted_out.rc)
        return unstarted_out.rc;
    purr_started(NULL);
    return 0;
}

static int
body_start_cancelled(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_scope s;
    purr_move_on_after(&s, 1 * PURR_S);
    purr_assert_err(purr_start(n, "slow", slow_to_start, NULL, NULL),
                    PURR_ECANCELED);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);
    /* The cancellation came from the starter's scope, not the nursery's. */
    cr_assert(!purr_nursery_scope(n)->cancel_called);
    return 0;
}

static int
main_start_cancelled(void *arg)
{
    (void)arg;
    purr_nursery_report report;
    purr_assert_ok(
        purr_nursery_run_report(body_start_cancelled, NULL, &report));
    purr_assert_err(unstarted_out.rc, PURR_ECANCELED);
    cr_assert_eq(unstarted_out.at, 1 * PURR_S);
    cr_assert_eq(report.count, 0);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    return 0;
}

Test(nursery, cancelling_starter_reaches_unstarted_child)
{
    reset();
    purr_assert_ok(purr_test_run(main_start_cancelled, NULL));
}

static int
must_not_run(void *arg)
{
    (void)arg;
    note("ran;");
    return 0;
}

static int
body_start_already_cancelled(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_scope s;
    purr_scope_enter(&s, PURR_TIME_NEVER);
    purr_scope_cancel(&s);
    purr_assert_err(purr_start(n, "never", must_not_run, NULL, NULL),
                    PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&s));
    return 0;
}

static int
main_start_already_cancelled(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(body_start_already_cancelled, NULL));
    cr_assert_str_eq(trace, "", "purr_start spawned in a cancelled scope");
    return 0;
}

Test(nursery, start_in_cancelled_scope_spawns_nothing)
{
    reset();
    purr_assert_ok(purr_test_run(main_start_already_cancelled, NULL));
}

/* ---------------------------------------------------------------------- */
/* Task identity                                                           */
/* ---------------------------------------------------------------------- */

static uint64_t seen_ids[8];
static purr_nursery *seen_nursery[8];
static char seen_names[8][16];

static int
record_identity(void *arg)
{
    int slot = (int)(intptr_t)arg;
    purr_task *self = purr_task_current();
    seen_ids[slot] = purr_task_id(self);
    seen_nursery[slot] = purr_task_nursery(self);
    snprintf(seen_names[slot], sizeof seen_names[slot], "%s",
             purr_task_name(self));
    return 0;
}

static purr_nursery *outer_n, *inner_n;

static int
inner_identity_body(purr_nursery *n, void *arg)
{
    (void)arg;
    inner_n = n;
    return purr_spawn(n, "grandchild", record_identity, (void *)(intptr_t)4);
}

static int
runs_inner_identity(void *arg)
{
    record_identity(arg);
    return purr_nursery_run(inner_identity_body, NULL);
}

static int
identity_body(purr_nursery *n, void *arg)
{
    (void)arg;
    outer_n = n;
    purr_assert_ok(purr_spawn(n, "a", record_identity, (void *)(intptr_t)1));
    purr_assert_ok(
        purr_spawn(n, "b", runs_inner_identity, (void *)(intptr_t)2));
    purr_assert_ok(purr_spawn(n, "c", record_identity, (void *)(intptr_t)3));
    return 0;
}

static int
main_identity(void *arg)
{
    (void)arg;
    record_identity((void *)(intptr_t)0);
    purr_assert_ok(purr_nursery_run(identity_body, NULL));
    static const char *names[] = {"test-main", "a", "b", "c", "grandchild"};
    /* The grandchild is spawned after c, so it gets the next id. */
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(seen_ids[i], (uint64_t)i + 1, "task %d has id %llu", i,
                     (unsigned long long)seen_ids[i]);
        cr_assert_str_eq(seen_names[i], names[i]);
    }
    cr_assert_null(seen_nursery[0]);
    cr_assert_eq(seen_nursery[1], outer_n);
    cr_assert_eq(seen_nursery[2], outer_n);
    cr_assert_eq(seen_nursery[3], outer_n);
    cr_assert_eq(seen_nursery[4], inner_n);
    return 0;
}

Test(nursery, task_ids_follow_spawn_order)
{
    reset();
    purr_assert_ok(purr_test_run(main_identity, NULL));
}

/* A name from a buffer the spawner reuses is copied at spawn (truncated to
 * 47 bytes); a literal is kept as it is. Each task reads its own name when
 * it runs, after the spawner has overwritten the buffer for the next one,
 * and the stacks are reused round after round (a pooled slot keeps its
 * struct, so nothing of the previous task's name may show through). */
static char name_seen[6][64];

static int
note_name(void *arg)
{
    int i = (int)(intptr_t)arg;
    snprintf(name_seen[i], sizeof name_seen[i], "%s",
             purr_task_name(purr_task_current()));
    return 0;
}

static int
names_body(purr_nursery *n, void *arg)
{
    int round = (int)(intptr_t)arg;
    char buf[80];
    for (int i = 0; i < 4; i++) {
        snprintf(buf, sizeof buf, "worker-%d-%d", round, i);
        purr_assert_ok(purr_spawn(n, buf, note_name, (void *)(intptr_t)i));
    }
    memset(buf, 'x', sizeof buf - 1);
    buf[sizeof buf - 1] = '\0';
    purr_assert_ok(purr_spawn(n, buf, note_name, (void *)(intptr_t)4));
    purr_assert_ok(purr_spawn(n, "literal", note_name, (void *)(intptr_t)5));
    strcpy(buf, "overwritten");
    return 0;
}

static int
main_names(void *arg)
{
    (void)arg;
    for (int round = 0; round < 3; round++) {
        memset(name_seen, 0, sizeof name_seen);
        purr_assert_ok(purr_nursery_run(names_body, (void *)(intptr_t)round));
        for (int i = 0; i < 4; i++) {
            char want[32];
            snprintf(want, sizeof want, "worker-%d-%d", round, i);
            cr_assert_str_eq(name_seen[i], want);
        }
        cr_assert_eq(strlen(name_seen[4]), 47);
        cr_assert_eq(strspn(name_seen[4], "x"), 47);
        cr_assert_str_eq(name_seen[5], "literal");
    }
    return 0;
}

Test(nursery, task_names_are_copied_unless_literal)
{
    purr_assert_ok(purr_test_run(main_names, NULL));
}
