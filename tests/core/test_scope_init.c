/* test_scope_init.c - cancel scopes as objects: Trio's CancelScope life cycle.
 *
 * A scope made with purr_scope_init exists before it is entered: it can be
 * cancelled, have its deadline (absolute or relative) moved and its shield
 * set before entry, while entered and after exit, and it is entered once.
 * Each test runs on the virtual clock and checks the exact instant at which
 * a checkpoint fails. The misuse tests (entering twice, using a zeroed
 * struct, a task that ignores its cancellation in a loop) run in a forked
 * child and assert on the message. */
#include "purr_test.h"

#include <signal.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Cancelled before entry                                                  */
/* ---------------------------------------------------------------------- */

static int
main_cancel_before_entry(void *arg)
{
    purr_scope *s = arg;
    cr_assert(s->cancel_called, "cancelled before purr_run");
    cr_assert_eq(purr_sleep(1 * PURR_S), 0, "not entered: no effect");
    purr_scope_enter_init(s);
    /* Cancelled the moment it is entered: no time passes. */
    purr_assert_err(purr_sleep(1 * PURR_S), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    purr_assert_err(purr_checkpoint(), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(s));
    cr_assert(s->cancelled_caught);
    cr_assert(purr_scope_cancel_called(s));
    /* Exiting took it out of the count: checkpoints pass again. */
    purr_assert_ok(purr_sleep(1 * PURR_S));
    cr_assert_eq(purr_now(), 2 * PURR_S);
    return 0;
}

Test(scope_init, cancelled_before_entry_is_cancelled_at_entry)
{
    purr_scope s;
    purr_scope_init(&s, PURR_TIME_NEVER, false);
    cr_assert(!s.cancel_called);
    purr_scope_cancel(&s); /* outside purr_run: allowed, not entered */
    purr_scope_cancel(&s); /* idempotent */
    purr_assert_ok(purr_test_run(main_cancel_before_entry, &s));
}

/* A scope kept in a struct and handed to a child, which enters it later;
 * the parent cancels it before the child gets there. */
struct handed {
    purr_scope scope;
    int rc;
    purr_time at;
    purr_time entered_at;
};

static int
child_enters_later(void *arg)
{
    struct handed *h = arg;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    h->entered_at = purr_now();
    purr_scope_enter_init(&h->scope);
    h->rc = purr_sleep(10 * PURR_S);
    h->at = purr_now();
    purr_assert_ok(purr_scope_exit(&h->scope));
    return 0;
}

static int
body_hand_over(purr_nursery *n, void *arg)
{
    struct handed *h = arg;
    purr_scope_init(&h->scope, PURR_TIME_NEVER, false);
    PURR_TRY(purr_spawn(n, "enterer", child_enters_later, h));
    PURR_TRY(purr_sleep(500 * PURR_MS));
    purr_scope_cancel(&h->scope); /* before the child enters it */
    return 0;
}

static int
main_hand_over(void *arg)
{
    struct handed *h = arg;
    return purr_nursery_run(body_hand_over, h);
}

Test(scope_init, scope_cancelled_by_another_task_before_it_enters)
{
    struct handed h = {.rc = 1};
    purr_assert_ok(purr_test_run(main_hand_over, &h));
    cr_assert_eq(h.entered_at, 1 * PURR_S);
    purr_assert_err(h.rc, PURR_ECANCELED);
    cr_assert_eq(h.at, 1 * PURR_S, "cancelled at entry, at %lld",
                 (long long)h.at);
    cr_assert(h.scope.cancelled_caught);
}

/* ---------------------------------------------------------------------- */
/* Cancelled from another task while it waits                             */
/* ---------------------------------------------------------------------- */

static int
child_waits_in_scope(void *arg)
{
    struct handed *h = arg;
    purr_scope_enter_init(&h->scope);
    h->entered_at = purr_now();
    h->rc = purr_sleep_forever();
    h->at = purr_now();
    purr_assert_ok(purr_scope_exit(&h->scope));
    return 0;
}

static int
body_cancel_while_waiting(purr_nursery *n, void *arg)
{
    struct handed *h = arg;
    purr_scope_init(&h->scope, PURR_TIME_NEVER, false);
    PURR_TRY(purr_spawn(n, "waiter", child_waits_in_scope, h));
    PURR_TRY(purr_sleep(3 * PURR_S));
    cr_assert(!purr_scope_cancel_called(&h->scope));
    purr_scope_cancel(&h->scope);
    cr_assert(purr_scope_cancel_called(&h->scope));
    return 0;
}

static int
main_cancel_while_waiting(void *arg)
{
    return purr_nursery_run(body_cancel_while_waiting, arg);
}

Test(scope_init, cancelled_from_another_task_while_it_waits)
{
    struct handed h = {.rc = 1};
    purr_assert_ok(purr_test_run(main_cancel_while_waiting, &h));
    cr_assert_eq(h.entered_at, 0);
    purr_assert_err(h.rc, PURR_ECANCELED);
    cr_assert_eq(h.at, 3 * PURR_S);
    cr_assert(h.scope.cancelled_caught);
    cr_assert(!h.scope.deadline_hit);
}

/* ---------------------------------------------------------------------- */
/* Deadlines: at init, passed before entry, relative, moved while waiting  */
/* ---------------------------------------------------------------------- */

static int
main_deadline_passes_before_entry(void *arg)
{
    (void)arg;
    purr_scope s;
    purr_scope_init(&s, 1 * PURR_S, false);
    cr_assert_eq(s.deadline_ns, 1 * PURR_S);
    cr_assert(!purr_scope_cancel_called(&s));
    purr_assert_ok(purr_sleep(2 * PURR_S));
    /* Trio: cancel_called notices a passed deadline before entry... */
    cr_assert(purr_scope_cancel_called(&s));
    cr_assert(!s.cancel_called);
    /* ...and entering applies it at once. */
    purr_scope_enter_init(&s);
    cr_assert(s.cancel_called);
    cr_assert(s.deadline_hit);
    purr_assert_err(purr_sleep(1 * PURR_S), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 2 * PURR_S);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);
    return 0;
}

Test(scope_init, deadline_passed_before_entry_cancels_at_entry)
{
    purr_assert_ok(purr_test_run(main_deadline_passes_before_entry, NULL));
}

static int
main_relative_deadline(void *arg)
{
    (void)arg;
    purr_scope s;
    purr_scope_init_after(&s, 2 * PURR_S, false);
    cr_assert_eq(purr_scope_relative_deadline(&s), 2 * PURR_S);
    cr_assert_eq(s.deadline_ns, PURR_TIME_NEVER);
    /* The timeout does not count down before entry (Trio 0.27). */
    purr_assert_ok(purr_sleep(1 * PURR_S));
    purr_scope_set_relative_deadline(&s, 3 * PURR_S); /* still unentered */
    purr_scope_enter_init(&s);
    cr_assert_eq(s.deadline_ns, 4 * PURR_S);
    purr_assert_ok(purr_sleep(500 * PURR_MS));
    cr_assert_eq(purr_scope_relative_deadline(&s), 2500 * PURR_MS);
    purr_assert_err(purr_sleep_forever(), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 4 * PURR_S);
    cr_assert_eq(purr_scope_relative_deadline(&s), 0);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught && s.deadline_hit);
    return 0;
}

Test(scope_init, relative_deadline_counts_from_entry)
{
    purr_assert_ok(purr_test_run(main_relative_deadline, NULL));
}

struct mover {
    purr_scope scope;
    int rc;
    purr_time at;
};

static int
child_sleeps_in_deadline_scope(void *arg)
{
    struct mover *m = arg;
    purr_scope_enter_init(&m->scope);
    m->rc = purr_sleep_forever();
    m->at = purr_now();
    purr_assert_ok(purr_scope_exit(&m->scope));
    return 0;
}

static int
body_move_deadline(purr_nursery *n, void *arg)
{
    struct mover *m = arg;
    purr_scope_init(&m->scope, 10 * PURR_S, false);
    PURR_TRY(purr_spawn(n, "sleeper", child_sleeps_in_deadline_scope, m));
    PURR_TRY(purr_sleep(1 * PURR_S));
    cr_assert_eq(purr_scope_relative_deadline(&m->scope), 9 * PURR_S);
    purr_scope_set_deadline(&m->scope, 3 * PURR_S); /* earlier */
    PURR_TRY(purr_sleep(1 * PURR_S));
    cr_assert_eq(m->rc, 1, "still asleep at 2 s");
    purr_scope_set_deadline(&m->scope, 7 * PURR_S); /* later again */
    PURR_TRY(purr_sleep(2 * PURR_S));
    cr_assert_eq(m->rc, 1, "the old 3 s deadline must not fire");
    /* Relative, from 4 s: 1.5 s later. */
    purr_scope_set_relative_deadline(&m->scope, 1500 * PURR_MS);
    cr_assert_eq(m->scope.deadline_ns, 5500 * PURR_MS);
    return 0;
}

static int
main_move_deadline(void *arg)
{
    return purr_nursery_run(body_move_deadline, arg);
}

Test(scope_init, deadline_moved_earlier_and_later_while_waiting)
{
    struct mover m = {.rc = 1};
    purr_assert_ok(purr_test_run(main_move_deadline, &m));
    purr_assert_err(m.rc, PURR_ECANCELED);
    cr_assert_eq(m.at, 5500 * PURR_MS, "woke at %lld", (long long)m.at);
    cr_assert(m.scope.deadline_hit && m.scope.cancelled_caught);
}

static int
main_deadline_earlier_now(void *arg)
{
    (void)arg;
    purr_scope s;
    purr_scope_init(&s, PURR_TIME_NEVER, false);
    purr_scope_enter_init(&s);
    purr_assert_ok(purr_sleep(2 * PURR_S));
    /* A deadline moved into the past cancels at once. */
    purr_scope_set_deadline(&s, 1 * PURR_S);
    cr_assert(s.cancel_called && s.deadline_hit);
    purr_assert_err(purr_checkpoint(), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&s));
    /* After exit: stored only, nothing cancelled. */
    purr_scope_set_deadline(&s, 100 * PURR_S);
    cr_assert_eq(s.deadline_ns, 100 * PURR_S);
    purr_scope_cancel(&s);
    purr_assert_ok(purr_sleep(1 * PURR_S));
    return 0;
}

Test(scope_init, deadline_moved_into_the_past_cancels_at_once)
{
    purr_assert_ok(purr_test_run(main_deadline_earlier_now, NULL));
}

/* ---------------------------------------------------------------------- */
/* Cancel after exit                                                       */
/* ---------------------------------------------------------------------- */

static int
main_cancel_after_exit(void *arg)
{
    (void)arg;
    purr_scope s;
    purr_scope_init(&s, PURR_TIME_NEVER, false);
    purr_scope_enter_init(&s);
    purr_assert_ok(purr_scope_exit(&s));
    purr_scope_cancel(&s);
    cr_assert(s.cancel_called);
    cr_assert(!s.cancelled_caught);
    cr_assert(!purr_task_is_cancelled());
    purr_assert_ok(purr_sleep(1 * PURR_S));
    /* A plain scope's storage may be entered again after exit. */
    purr_scope t;
    purr_move_on_after(&t, 1 * PURR_S);
    purr_assert_ok(purr_scope_exit(&t));
    purr_move_on_after(&t, 1 * PURR_S);
    purr_assert_err(purr_sleep(2 * PURR_S), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&t));
    return 0;
}

Test(scope_init, cancel_after_exit_only_sets_cancel_called)
{
    purr_assert_ok(purr_test_run(main_cancel_after_exit, NULL));
}

/* ---------------------------------------------------------------------- */
/* Shield                                                                  */
/* ---------------------------------------------------------------------- */

struct shielded {
    purr_scope outer, inner;
    int rc1, rc2;
    purr_time at1, at2;
};

static int
child_in_shield(void *arg)
{
    struct shielded *sh = arg;
    purr_scope_enter_init(&sh->inner); /* shielded at init */
    sh->rc1 = purr_sleep(2 * PURR_S);  /* outer is cancelled at 1 s */
    sh->at1 = purr_now();
    sh->rc2 = purr_sleep_forever();    /* unshielded at 3 s */
    sh->at2 = purr_now();
    purr_assert_ok(purr_scope_exit(&sh->inner));
    return 0;
}

static int
body_shield(purr_nursery *n, void *arg)
{
    struct shielded *sh = arg;
    PURR_TRY(purr_spawn(n, "shielded", child_in_shield, sh));
    PURR_TRY(purr_sleep(1 * PURR_S));
    purr_scope_cancel(&sh->outer);
    return 0;
}

static int
main_shield(void *arg)
{
    struct shielded *sh = arg;
    purr_scope_init(&sh->inner, PURR_TIME_NEVER, true);
    cr_assert(sh->inner.shield);
    purr_scope_init(&sh->outer, PURR_TIME_NEVER, false);
    purr_scope_enter_init(&sh->outer);
    /* The nursery's children run inside outer; the main task waits for
     * them in the nursery, so it is the child's shield that is toggled. */
    int rc = purr_nursery_run(body_shield, sh);
    purr_assert_ok(purr_scope_exit(&sh->outer));
    /* The nursery ends with outer's cancellation, which outer caught. */
    cr_assert(sh->outer.cancelled_caught);
    return rc == PURR_ECANCELED ? 0 : rc;
}

/* The main task toggles the shield from outside: a helper task. */
static int
toggler(void *arg)
{
    struct shielded *sh = arg;
    PURR_TRY(purr_sleep(3 * PURR_S));
    purr_scope_set_shield(&sh->inner, false);
    return 0;
}

static int
main_shield_toggle(void *arg)
{
    struct shielded *sh = arg;
    purr_task_fn fns[2] = {main_shield, toggler};
    void *args[2] = {sh, sh};
    return purr_wait_all(fns, args, 2);
}

Test(scope_init, shield_set_at_init_and_dropped_while_entered)
{
    struct shielded sh = {.rc1 = 1, .rc2 = 1};
    purr_assert_ok(purr_test_run(main_shield_toggle, &sh));
    purr_assert_ok(sh.rc1);
    cr_assert_eq(sh.at1, 2 * PURR_S, "the shield hid the cancel at 1 s");
    purr_assert_err(sh.rc2, PURR_ECANCELED);
    cr_assert_eq(sh.at2, 3 * PURR_S, "unshielding woke it at once");
}

static int
main_shield_on_off_on(void *arg)
{
    (void)arg;
    purr_scope outer, s;
    purr_scope_enter(&outer, PURR_TIME_NEVER);
    purr_scope_init(&s, PURR_TIME_NEVER, false);
    purr_scope_set_shield(&s, true); /* before entry */
    purr_scope_enter_init(&s);
    purr_scope_cancel(&outer);
    purr_assert_ok(purr_sleep(1 * PURR_S));
    purr_scope_set_shield(&s, false);
    purr_assert_err(purr_sleep(1 * PURR_S), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    purr_scope_set_shield(&s, true);
    purr_assert_ok(purr_sleep(1 * PURR_S));
    cr_assert_eq(purr_now(), 2 * PURR_S);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(!s.cancelled_caught, "outer was responsible");
    purr_assert_err(purr_checkpoint(), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&outer));
    cr_assert(outer.cancelled_caught);
    return 0;
}

Test(scope_init, shield_toggled_while_entered)
{
    purr_assert_ok(purr_test_run(main_shield_on_off_on, NULL));
}

/* ---------------------------------------------------------------------- */
/* Misuse                                                                  */
/* ---------------------------------------------------------------------- */

static int
enter_twice(void *arg)
{
    (void)arg;
    purr_scope s;
    purr_scope_init(&s, PURR_TIME_NEVER, false);
    purr_scope_enter_init(&s);
    if (purr_scope_exit(&s) < 0)
        return -1;
    purr_scope_enter_init(&s); /* misuse: a scope is entered once */
    return 0;
}

static void
child_enter_twice(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_new(NULL);
    (void)!purr_run(loop, "twice", enter_twice, NULL);
}

Test(scope_init, entered_twice_aborts_naming_the_scope_and_call_site)
{
    char err[2048];
    int status = purr_test_run_captured(child_enter_twice, NULL, err, sizeof err);
    cr_assert(WIFSIGNALED(status), "child exited normally; stderr: %s", err);
    cr_assert_eq(WTERMSIG(status), SIGABRT);
    cr_assert_not_null(strstr(err, "entered twice"), "stderr: %s", err);
    cr_assert_not_null(strstr(err, "'&s'"), "names the scope: %s", err);
    cr_assert_not_null(strstr(err, "test_scope_init.c:"),
                       "names the call site: %s", err);
    cr_assert_not_null(strstr(err, "since exited"), "stderr: %s", err);
    cr_assert_not_null(strstr(err, "twice"), "names the task: %s", err);
}

static int
cancel_zeroed(void *arg)
{
    (void)arg;
    purr_scope s;
    memset(&s, 0, sizeof s);
    purr_scope_cancel(&s); /* misuse: never initialised nor entered */
    return 0;
}

static void
child_cancel_zeroed(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_new(NULL);
    (void)!purr_run(loop, "zeroed", cancel_zeroed, NULL);
}

Test(scope_init, cancelling_a_zeroed_scope_says_what_was_misused)
{
    char err[2048];
    int status =
        purr_test_run_captured(child_cancel_zeroed, NULL, err, sizeof err);
    cr_assert(WIFSIGNALED(status), "child exited normally; stderr: %s", err);
    cr_assert_not_null(strstr(err, "purr_scope_cancel"), "stderr: %s", err);
    cr_assert_not_null(strstr(err, "neither initialised"), "stderr: %s", err);
    cr_assert_null(strstr(err, "timer"), "no internal assertion: %s", err);
}

/* A task that swallows its cancellation in a loop: with C's return codes
 * this spins for ever where Python would have raised. */
static int
ignores_cancel(void *arg)
{
    purr_value *v = arg;
    for (;;) {
        purr_datum d;
        if (purr_value_wait_transition(v, purr_match_any(), &d, NULL) == 0)
            purr_datum_free(&d); /* the ECANCELED case falls through */
    }
    return 0;
}

static int
body_spin(purr_nursery *n, void *arg)
{
    PURR_TRY(purr_spawn(n, "swallower", ignores_cancel, arg));
    PURR_TRY(purr_sleep(1 * PURR_S));
    purr_nursery_cancel(n);
    return 0;
}

static int
main_spin(void *arg)
{
    (void)arg;
    purr_value *v = purr_value_new(purr_loop_current(), "v",
                                   PURR_ROLE_INTERNAL, PURR_T_INT, NULL);
    return purr_nursery_run(body_spin, v);
}

static void
child_spin(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_new(NULL);
    (void)!purr_run(loop, "main", main_spin, NULL);
}

Test(scope_init, a_task_ignoring_its_cancellation_is_named)
{
    char err[2048];
    int status = purr_test_run_captured(child_spin, NULL, err, sizeof err);
    cr_assert(WIFSIGNALED(status), "child exited normally; stderr: %s", err);
    cr_assert_not_null(strstr(err, "'swallower'"), "stderr: %s", err);
    cr_assert_not_null(strstr(err, "keeps running after its scope was "
                                   "cancelled"),
                       "stderr: %s", err);
    cr_assert_not_null(strstr(err, "value transition"),
                       "where it last checkpointed: %s", err);
}
