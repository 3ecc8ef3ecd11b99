/* test_scope.c - cancel scopes: deadlines, cancel, stickiness, shields.
 *
 * Each test runs on the virtual clock, so a deadline is checked to the
 * nanosecond: a scope with a 250 ms deadline must wake its sleeper at
 * exactly 250 ms, not "about" then. The rules are Trio's: cancellation is a
 * state of a scope, seen by every checkpoint inside it until it is exited;
 * cancelled_caught belongs to the scope that was responsible; a shield
 * hides enclosing cancellation until it is dropped or exited. The last test
 * checks that exiting scopes out of order is a panic naming the function,
 * in a forked child whose stderr is captured. */
#include "purr_test.h"

#include <signal.h>
#include <string.h>

/* What one task saw: the code its checkpoint returned and when. */
struct outcome {
    int rc;
    purr_time at;
};

/* ---------------------------------------------------------------------- */
/* Deadlines                                                               */
/* ---------------------------------------------------------------------- */

static int
main_move_on_after(void *arg)
{
    (void)arg;
    int payload = 7;
    purr_scope s;
    s.data = &payload;
    purr_move_on_after(&s, 250 * PURR_MS);
    cr_assert_eq(s.data, &payload, "enter must keep the user's data");
    cr_assert_eq(s.deadline_ns, 250 * PURR_MS);
    purr_assert_err(purr_sleep(1 * PURR_S), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 250 * PURR_MS);
    cr_assert(s.cancel_called);
    cr_assert(s.deadline_hit);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);
    /* Outside the scope nothing is cancelled any more. */
    cr_assert(!purr_task_is_cancelled());
    purr_assert_ok(purr_sleep(1 * PURR_S));
    cr_assert_eq(purr_now(), 1250 * PURR_MS);
    return 0;
}

Test(scope, move_on_after_cancels_at_the_deadline_exactly)
{
    purr_assert_ok(purr_test_run(main_move_on_after, NULL));
}

static int
main_deadline_not_reached(void *arg)
{
    (void)arg;
    purr_scope s;
    purr_move_on_after(&s, 1 * PURR_S);
    purr_assert_ok(purr_sleep(250 * PURR_MS));
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(!s.cancelled_caught);
    /* Exiting disarms the deadline: sleeping past it cancels nothing. */
    purr_assert_ok(purr_sleep(2 * PURR_S));
    cr_assert_eq(purr_now(), 2250 * PURR_MS);
    cr_assert(!s.cancel_called);
    return 0;
}

Test(scope, exit_before_deadline_disarms_it)
{
    purr_assert_ok(purr_test_run(main_deadline_not_reached, NULL));
}

static int
main_fail_after(void *arg)
{
    (void)arg;
    purr_scope s;
    purr_fail_after(&s, 1 * PURR_S);
    purr_assert_err(purr_sleep(5 * PURR_S), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    purr_assert_err(purr_scope_exit(&s), PURR_ETIMEDOUT);
    cr_assert(s.cancelled_caught);

    /* In time: exit returns 0. */
    purr_fail_after(&s, 1 * PURR_S);
    purr_assert_ok(purr_sleep(500 * PURR_MS));
    purr_assert_ok(purr_scope_exit(&s));

    /* Cancelled explicitly rather than by the deadline: not a timeout. */
    purr_fail_after(&s, 1 * PURR_S);
    purr_scope_cancel(&s);
    purr_assert_err(purr_sleep(5 * PURR_S), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);
    cr_assert_eq(purr_now(), 1500 * PURR_MS);
    return 0;
}

Test(scope, fail_after_exit_returns_etimedout)
{
    purr_assert_ok(purr_test_run(main_fail_after, NULL));
}

static int
main_fail_after_uncaught(void *arg)
{
    (void)arg;
    purr_scope s, shield;
    purr_fail_after(&s, 1 * PURR_S);
    purr_scope_enter(&shield, PURR_TIME_NEVER);
    purr_scope_set_shield(&shield, true);
    purr_assert_ok(purr_sleep(2 * PURR_S));
    purr_assert_ok(purr_scope_exit(&shield));
    /* The deadline passed, but no checkpoint inside failed because of it
     * (Trio raises TooSlowError only when cancelled_caught). */
    cr_assert(s.deadline_hit);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(!s.cancelled_caught);
    return 0;
}

Test(scope, fail_after_without_caught_cancellation_returns_0)
{
    purr_assert_ok(purr_test_run(main_fail_after_uncaught, NULL));
}

static int
main_absolute_deadline(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    purr_scope s;
    purr_scope_enter(&s, 3 * PURR_S); /* absolute: 3 s, not now + 3 s */
    purr_assert_err(purr_sleep(10 * PURR_S), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 3 * PURR_S);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);
    return 0;
}

Test(scope, enter_takes_an_absolute_deadline)
{
    purr_assert_ok(purr_test_run(main_absolute_deadline, NULL));
}

static int
main_past_deadline(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(2 * PURR_S));
    purr_scope s;
    purr_scope_enter(&s, 1 * PURR_S);
    cr_assert(s.cancel_called, "a past deadline cancels at once");
    cr_assert(purr_task_is_cancelled());
    purr_assert_err(purr_checkpoint(), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);

    /* A deadline equal to now has passed too. */
    purr_scope_enter(&s, purr_now());
    purr_assert_err(purr_sleep(1 * PURR_S), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&s));

    /* So have move_on_after(0) and a negative duration. */
    purr_move_on_after(&s, 0);
    purr_assert_err(purr_checkpoint(), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&s));
    purr_move_on_after(&s, -5 * PURR_S);
    purr_assert_err(purr_checkpoint(), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&s));

    cr_assert_eq(purr_now(), 2 * PURR_S, "no time passed");
    return 0;
}

Test(scope, past_deadline_cancels_first_checkpoint)
{
    purr_assert_ok(purr_test_run(main_past_deadline, NULL));
}

/* ---------------------------------------------------------------------- */
/* Cancel from another task                                                */
/* ---------------------------------------------------------------------- */

static purr_scope *shared_scope;
static struct outcome victim_out;
static char trace[256];

static void
note(const char *s)
{
    strncat(trace, s, sizeof trace - strlen(trace) - 1);
}

static int
victim(void *arg)
{
    (void)arg;
    purr_scope s;
    purr_scope_enter(&s, PURR_TIME_NEVER);
    shared_scope = &s;
    victim_out.rc = purr_sleep(10 * PURR_S);
    victim_out.at = purr_now();
    note("victim-woke;");
    shared_scope = NULL;
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);
    return 0;
}

static int
canceller(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(3 * PURR_S));
    cr_assert_not_null(shared_scope);
    purr_scope_cancel(shared_scope);
    purr_scope_cancel(shared_scope); /* idempotent */
    note("cancelled;");
    /* purr_scope_cancel is not a checkpoint and the canceller is not in
     * the cancelled scope: it keeps running. */
    purr_assert_ok(purr_checkpoint());
    note("canceller-on;");
    return 0;
}

static int
body_victim_canceller(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "victim", victim, NULL));
    purr_assert_ok(purr_spawn(n, "canceller", canceller, NULL));
    return 0;
}

static int
main_cancel_other(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(body_victim_canceller, NULL));
    purr_assert_err(victim_out.rc, PURR_ECANCELED);
    cr_assert_eq(victim_out.at, 3 * PURR_S);
    cr_assert_str_eq(trace, "cancelled;victim-woke;canceller-on;");
    cr_assert_eq(purr_now(), 3 * PURR_S);
    return 0;
}

Test(scope, cancel_from_another_task_wakes_sleeper_at_that_instant)
{
    trace[0] = '\0';
    purr_assert_ok(purr_test_run(main_cancel_other, NULL));
}

static void
cancel_posted(void *arg)
{
    cr_assert_null(purr_task_current(), "posts run outside any task");
    purr_scope_cancel(arg);
}

static int
main_cancel_posted(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    purr_scope s;
    purr_scope_enter(&s, PURR_TIME_NEVER);
    purr_assert_ok(purr_loop_post(purr_loop_current(), cancel_posted, &s));
    /* The post runs when the loop goes idle, before time advances. */
    purr_assert_err(purr_sleep(10 * PURR_S), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);
    return 0;
}

Test(scope, cancel_from_a_posted_function)
{
    purr_assert_ok(purr_test_run(main_cancel_posted, NULL));
}

/* ---------------------------------------------------------------------- */
/* Stickiness                                                              */
/* ---------------------------------------------------------------------- */

static int child_checkpoint_rc[2];

static int
child_checkpoints(void *arg)
{
    int i = (int)(intptr_t)arg;
    child_checkpoint_rc[i] = purr_checkpoint();
    return child_checkpoint_rc[i];
}

static int
body_in_cancelled_scope(purr_nursery *n, void *arg)
{
    (void)arg;
    /* Spawning works in a cancelled scope; the children are cancelled. */
    purr_assert_ok(purr_spawn(n, "c0", child_checkpoints, (void *)0));
    purr_assert_ok(purr_spawn(n, "c1", child_checkpoints, (void *)1));
    return 0;
}

static int
never_started(void *arg)
{
    (void)arg;
    cr_assert_fail("purr_start ran a child in a cancelled scope");
    return 0;
}

static int
start_in_cancelled_scope(purr_nursery *n, void *arg)
{
    (void)arg;
    return purr_start(n, "never", never_started, NULL, NULL);
}

static int
main_sticky(void *arg)
{
    (void)arg;
    purr_event set_ev, unset_ev;
    purr_event_init(&set_ev);
    purr_event_init(&unset_ev);
    purr_event_set(&set_ev);
    purr_lock lock;
    purr_lock_init(&lock);
    purr_semaphore sem;
    purr_semaphore_init(&sem, 3);
    purr_chan_tx *tx;
    purr_chan_rx *rx;
    purr_assert_ok(purr_chan_open(sizeof(int), 4, &tx, &rx));
    int item = 5;

    purr_scope s;
    purr_scope_enter(&s, PURR_TIME_NEVER);
    purr_scope_cancel(&s);
    /* Twice each: the cancellation is not used up by being seen. */
    for (int round = 0; round < 2; round++) {
        purr_assert_err(purr_checkpoint(), PURR_ECANCELED);
        purr_assert_err(purr_sleep(1 * PURR_S), PURR_ECANCELED);
        purr_assert_err(purr_sleep(0), PURR_ECANCELED);
        purr_assert_err(purr_sleep_until(5 * PURR_S), PURR_ECANCELED);
        purr_assert_err(purr_sleep_forever(), PURR_ECANCELED);
        purr_assert_err(purr_event_wait(&set_ev), PURR_ECANCELED);
        purr_assert_err(purr_event_wait(&unset_ev), PURR_ECANCELED);
        purr_assert_err(purr_lock_acquire(&lock), PURR_ECANCELED);
        cr_assert_null(lock.owner, "a cancelled acquire took the lock");
        purr_assert_err(purr_semaphore_acquire(&sem), PURR_ECANCELED);
        cr_assert_eq(sem.value, 3, "a cancelled acquire took a unit");
        purr_assert_err(purr_chan_send(tx, &item), PURR_ECANCELED);
        cr_assert_eq(purr_chan_len(rx), 0, "a cancelled send sent");
        purr_assert_err(purr_chan_recv(rx, &item), PURR_ECANCELED);
        child_checkpoint_rc[0] = child_checkpoint_rc[1] = 0;
        purr_nursery_report report;
        purr_assert_err(
            purr_nursery_run_report(body_in_cancelled_scope, NULL, &report),
            PURR_ECANCELED);
        purr_assert_err(child_checkpoint_rc[0], PURR_ECANCELED);
        purr_assert_err(child_checkpoint_rc[1], PURR_ECANCELED);
        cr_assert_eq(report.count, 0);
        purr_assert_err(purr_nursery_run(start_in_cancelled_scope, NULL),
                        PURR_ECANCELED);
        cr_assert(purr_task_is_cancelled());
    }
    cr_assert_eq(purr_now(), 0, "no cancelled checkpoint waited");
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);
    /* Outside it, everything works again. */
    purr_assert_ok(purr_event_wait(&set_ev));
    purr_assert_ok(purr_lock_acquire(&lock));
    purr_lock_release(&lock);
    purr_assert_ok(purr_chan_send(tx, &item));
    purr_assert_ok(purr_sleep(1 * PURR_S));
    cr_assert_eq(purr_now(), 1 * PURR_S);
    purr_chan_tx_close(tx);
    purr_chan_rx_close(rx);
    return 0;
}

Test(scope, cancellation_is_sticky)
{
    purr_assert_ok(purr_test_run(main_sticky, NULL));
}

/* ---------------------------------------------------------------------- */
/* Nesting and shields                                                     */
/* ---------------------------------------------------------------------- */

static int
main_outer_cancelled(void *arg)
{
    (void)arg;
    purr_scope outer, inner;
    purr_move_on_after(&outer, 1 * PURR_S);
    purr_move_on_after(&inner, 5 * PURR_S);
    purr_assert_err(purr_sleep(10 * PURR_S), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    cr_assert(!inner.cancel_called);
    purr_assert_ok(purr_scope_exit(&inner));
    cr_assert(!inner.cancelled_caught, "the outer scope did the cancelling");
    /* Still inside the cancelled outer scope. */
    purr_assert_err(purr_checkpoint(), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&outer));
    cr_assert(outer.cancelled_caught);
    /* inner's deadline was disarmed by its exit. */
    purr_assert_ok(purr_sleep(10 * PURR_S));
    cr_assert(!inner.cancel_called);
    return 0;
}

Test(scope, outer_cancellation_is_caught_by_the_outer_scope)
{
    purr_assert_ok(purr_test_run(main_outer_cancelled, NULL));
}

static int
main_inner_cancelled(void *arg)
{
    (void)arg;
    purr_scope outer, inner;
    purr_move_on_after(&outer, 5 * PURR_S);
    purr_move_on_after(&inner, 1 * PURR_S);
    purr_assert_err(purr_sleep(10 * PURR_S), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    purr_assert_ok(purr_scope_exit(&inner));
    cr_assert(inner.cancelled_caught);
    /* The outer scope is untouched and still has its own deadline. */
    cr_assert(!purr_task_is_cancelled());
    purr_assert_err(purr_sleep(10 * PURR_S), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 5 * PURR_S);
    purr_assert_ok(purr_scope_exit(&outer));
    cr_assert(outer.cancelled_caught);
    return 0;
}

Test(scope, inner_cancellation_stays_inside)
{
    purr_assert_ok(purr_test_run(main_inner_cancelled, NULL));
}

static int
main_shield(void *arg)
{
    (void)arg;
    purr_scope outer, shield;
    purr_move_on_after(&outer, 1 * PURR_S);
    purr_scope_enter(&shield, PURR_TIME_NEVER);
    purr_scope_set_shield(&shield, true);
    cr_assert(shield.shield);
    purr_assert_ok(purr_sleep(3 * PURR_S));
    cr_assert_eq(purr_now(), 3 * PURR_S, "the shield let the sleep finish");
    cr_assert(outer.cancel_called);
    cr_assert(!purr_task_is_cancelled());
    purr_assert_ok(purr_scope_exit(&shield));
    cr_assert(!shield.cancelled_caught);
    /* Out of the shield, the outer cancellation is seen at once. */
    cr_assert(purr_task_is_cancelled());
    purr_assert_err(purr_checkpoint(), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 3 * PURR_S);
    purr_assert_ok(purr_scope_exit(&outer));
    cr_assert(outer.cancelled_caught);
    return 0;
}

Test(scope, shield_hides_outer_cancellation_until_exit)
{
    purr_assert_ok(purr_test_run(main_shield, NULL));
}

static int
main_shield_own_deadline(void *arg)
{
    (void)arg;
    purr_scope outer, shield;
    purr_move_on_after(&outer, 1 * PURR_S);
    purr_move_on_after(&shield, 2 * PURR_S);
    purr_scope_set_shield(&shield, true);
    /* A shield hides what is outside it, not its own deadline. */
    purr_assert_err(purr_sleep(10 * PURR_S), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 2 * PURR_S);
    purr_assert_ok(purr_scope_exit(&shield));
    cr_assert(shield.cancelled_caught);
    purr_assert_err(purr_checkpoint(), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&outer));
    cr_assert(outer.cancelled_caught);
    return 0;
}

Test(scope, shielded_scope_keeps_its_own_deadline)
{
    purr_assert_ok(purr_test_run(main_shield_own_deadline, NULL));
}

static struct outcome child_out;

static int
sleep_3s_recording(void *arg)
{
    (void)arg;
    child_out.rc = purr_sleep(3 * PURR_S);
    child_out.at = purr_now();
    return child_out.rc;
}

static int
body_one_sleeper(purr_nursery *n, void *arg)
{
    (void)arg;
    return purr_spawn(n, "sleeper", sleep_3s_recording, NULL);
}

static int
main_shield_nursery(void *arg)
{
    (void)arg;
    purr_scope outer, shield;
    purr_move_on_after(&outer, 1 * PURR_S);
    purr_scope_enter(&shield, PURR_TIME_NEVER);
    purr_scope_set_shield(&shield, true);
    /* Children of a nursery opened inside the shield are shielded too. */
    purr_assert_ok(purr_nursery_run(body_one_sleeper, NULL));
    purr_assert_ok(child_out.rc);
    cr_assert_eq(child_out.at, 3 * PURR_S);
    purr_assert_ok(purr_scope_exit(&shield));
    purr_assert_err(purr_checkpoint(), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&outer));
    return 0;
}

Test(scope, shield_covers_nursery_children)
{
    purr_assert_ok(purr_test_run(main_shield_nursery, NULL));
}

static purr_scope *shared_outer, *shared_shield;

static int
shielded_sleeper(void *arg)
{
    (void)arg;
    purr_scope outer, shield;
    purr_move_on_after(&outer, 1 * PURR_S);
    purr_scope_enter(&shield, PURR_TIME_NEVER);
    purr_scope_set_shield(&shield, true);
    shared_outer = &outer;
    shared_shield = &shield;
    victim_out.rc = purr_sleep(10 * PURR_S);
    victim_out.at = purr_now();
    shared_outer = shared_shield = NULL;
    purr_assert_ok(purr_scope_exit(&shield));
    cr_assert(!shield.cancelled_caught);
    purr_assert_ok(purr_scope_exit(&outer));
    cr_assert(outer.cancelled_caught, "outer was responsible");
    return 0;
}

static int
unshielder(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(2 * PURR_S));
    cr_assert_not_null(shared_shield);
    cr_assert(shared_outer->cancel_called, "outer is cancelled since 1 s");
    purr_scope_set_shield(shared_shield, false);
    return 0;
}

static int
body_unshield(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "shielded", shielded_sleeper, NULL));
    purr_assert_ok(purr_spawn(n, "unshielder", unshielder, NULL));
    return 0;
}

static int
main_unshield(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(body_unshield, NULL));
    purr_assert_err(victim_out.rc, PURR_ECANCELED);
    cr_assert_eq(victim_out.at, 2 * PURR_S);
    return 0;
}

Test(scope, unshielding_delivers_pending_cancellation_to_parked_task)
{
    purr_assert_ok(purr_test_run(main_unshield, NULL));
}

/* Cancellation walks the whole scope tree: three sibling branches, each a
 * child task in its own scope with a nested nursery and a grandchild. The
 * middle branch is shielded, so cancelling the outer nursery must skip that
 * subtree yet go on to the branch after it. */
static struct outcome branch_out[3][2]; /* [branch][0 child, 1 grandchild] */

static int
branch_grandchild(void *arg)
{
    struct outcome *o = arg;
    o->rc = purr_sleep(5 * PURR_S);
    o->at = purr_now();
    return o->rc;
}

static int
body_branch(purr_nursery *n, void *arg)
{
    struct outcome *o = arg;
    purr_assert_ok(purr_spawn(n, "grandchild", branch_grandchild, &o[1]));
    o[0].rc = purr_sleep(5 * PURR_S);
    o[0].at = purr_now();
    return o[0].rc;
}

static int
branch(void *arg)
{
    int i = (int)(intptr_t)arg;
    purr_scope s;
    purr_scope_enter(&s, PURR_TIME_NEVER);
    purr_scope_set_shield(&s, i == 1);
    int rc = purr_nursery_run(body_branch, branch_out[i]);
    purr_assert_ok(purr_scope_exit(&s));
    return rc;
}

static int
body_branches(purr_nursery *n, void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++)
        purr_assert_ok(purr_spawn(n, "branch", branch, (void *)(intptr_t)i));
    purr_assert_ok(purr_sleep(1 * PURR_S));
    purr_nursery_cancel(n);
    return 0;
}

static int
main_branches(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(body_branches, NULL));
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 2; j++) {
            const struct outcome *o = &branch_out[i][j];
            if (i == 1) {
                purr_assert_ok(o->rc);
                cr_assert_eq(o->at, 5 * PURR_S, "shielded %d/%d", i, j);
            } else {
                purr_assert_err(o->rc, PURR_ECANCELED);
                cr_assert_eq(o->at, 1 * PURR_S, "branch %d/%d", i, j);
            }
        }
    }
    return 0;
}

Test(scope, cancel_reaches_every_branch_but_shielded_ones)
{
    purr_assert_ok(purr_test_run(main_branches, NULL));
}

/* A chain of 3,000 nested nurseries (each link's child opens the next) is
 * a scope tree 3,000 deep. Cancelling its root must reach the leaf without
 * using stack in proportion to the depth: the deadline fires on the stack
 * of whichever task advances the clock (here the leaf, the last to park),
 * and every stack in this loop is only PURR_STACK_MIN. */
#define CHAIN_DEPTH 3000

static int chain_unwound;
static purr_time leaf_woke_at;

static int chain_link(void *arg);

static int
body_chain(purr_nursery *n, void *arg)
{
    return purr_spawn(n, "link", chain_link, arg);
}

static int
chain_link(void *arg)
{
    intptr_t depth = (intptr_t)arg;
    int rc;
    if (depth == CHAIN_DEPTH) {
        rc = purr_sleep_forever();
        leaf_woke_at = purr_now();
    } else {
        rc = purr_nursery_run(body_chain, (void *)(depth + 1));
    }
    if (rc == PURR_ECANCELED)
        chain_unwound++;
    return rc;
}

static int
main_deep_chain(void *arg)
{
    (void)arg;
    purr_scope s;
    purr_move_on_after(&s, 1 * PURR_S);
    purr_assert_err(purr_nursery_run(body_chain, (void *)1), PURR_ECANCELED);
    purr_assert_ok(purr_scope_exit(&s));
    cr_assert(s.cancelled_caught);
    cr_assert_eq(leaf_woke_at, 1 * PURR_S);
    cr_assert_eq(chain_unwound, CHAIN_DEPTH);
    cr_assert_eq(purr_now(), 1 * PURR_S);
    return 0;
}

Test(scope, cancelling_a_deep_scope_tree_uses_bounded_stack)
{
    purr_loop_options opts;
    memset(&opts, 0, sizeof opts);
    opts.stack_size = PURR_STACK_MIN;
    purr_assert_ok(purr_test_run_opts(&opts, main_deep_chain, NULL));
}

/* ---------------------------------------------------------------------- */
/* Moving deadlines                                                        */
/* ---------------------------------------------------------------------- */

static int
main_move_deadline_self(void *arg)
{
    (void)arg;
    purr_scope s;
    purr_scope_enter(&s, 1 * PURR_S);
    purr_scope_set_deadline(&s, 3 * PURR_S); /* later */
    cr_assert_eq(s.deadline_ns, 3 * PURR_S);
    purr_assert_err(purr_sleep(10 * PURR_S), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 3 * PURR_S);
    purr_assert_ok(purr_scope_exit(&s));

    purr_scope_enter(&s, 10 * PURR_S);
    purr_scope_set_deadline(&s, 4 * PURR_S); /* earlier */
    purr_assert_err(purr_sleep(10 * PURR_S), PURR_ECANCELED);
    cr_assert_eq(purr_now(), 4 * PURR_S);
    purr_assert_ok(purr_scope_exit(&s));

    purr_scope_enter(&s, 5 * PURR_S);
    purr_scope_set_deadline(&s, PURR_TIME_NEVER); /* removed */
    purr_assert_ok(purr_sleep(10 * PURR_S));
    cr_assert_eq(purr_now(), 14 * PURR_S);
    cr_assert(!s.cancel_called);
    purr_assert_ok(purr_scope_exit(&s));

    /* Moved into the past: cancelled now, and it counts as the deadline. */
    purr_fail_after(&s, 10 * PURR_S);
    purr_scope_set_deadline(&s, purr_now() - 1);
    cr_assert(s.cancel_called);
    purr_assert_err(purr_checkpoint(), PURR_ECANCELED);
    purr_assert_err(purr_scope_exit(&s), PURR_ETIMEDOUT);
    cr_assert_eq(purr_now(), 14 * PURR_S);
    return 0;
}

Test(scope, set_deadline_moves_the_deadline)
{
    purr_assert_ok(purr_test_run(main_move_deadline_self, NULL));
}

static struct outcome sleepers_out[2];
static purr_scope *sleeper_scopes[2];

static int
sleep_in_scope(void *arg)
{
    int i = (int)(intptr_t)arg;
    purr_scope s;
    purr_scope_enter(&s, (i + 1) * 2 * PURR_S); /* 2 s and 4 s */
    sleeper_scopes[i] = &s;
    sleepers_out[i].rc = purr_sleep(100 * PURR_S);
    sleepers_out[i].at = purr_now();
    sleeper_scopes[i] = NULL;
    purr_assert_ok(purr_scope_exit(&s));
    return 0;
}

static int
deadline_mover(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_sleep(1 * PURR_S));
    purr_scope_set_deadline(sleeper_scopes[0], 6 * PURR_S); /* 2 s -> 6 s */
    purr_scope_set_deadline(sleeper_scopes[1], 3 * PURR_S); /* 4 s -> 3 s */
    return 0;
}

static int
body_deadline_mover(purr_nursery *n, void *arg)
{
    (void)arg;
    purr_assert_ok(purr_spawn(n, "s0", sleep_in_scope, (void *)0));
    purr_assert_ok(purr_spawn(n, "s1", sleep_in_scope, (void *)1));
    purr_assert_ok(purr_spawn(n, "mover", deadline_mover, NULL));
    return 0;
}

static int
main_move_deadline_other(void *arg)
{
    (void)arg;
    purr_assert_ok(purr_nursery_run(body_deadline_mover, NULL));
    purr_assert_err(sleepers_out[0].rc, PURR_ECANCELED);
    cr_assert_eq(sleepers_out[0].at, 6 * PURR_S);
    purr_assert_err(sleepers_out[1].rc, PURR_ECANCELED);
    cr_assert_eq(sleepers_out[1].at, 3 * PURR_S);
    return 0;
}

Test(scope, set_deadline_from_another_task_reaches_a_parked_sleeper)
{
    purr_assert_ok(purr_test_run(main_move_deadline_other, NULL));
}

/* ---------------------------------------------------------------------- */
/* purr_task_is_cancelled                                                  */
/* ---------------------------------------------------------------------- */

static int
main_is_cancelled(void *arg)
{
    (void)arg;
    cr_assert(!purr_task_is_cancelled());
    purr_scope a, b, shield;
    purr_scope_enter(&a, PURR_TIME_NEVER);
    purr_scope_enter(&b, PURR_TIME_NEVER);
    cr_assert(!purr_task_is_cancelled());
    purr_scope_cancel(&a);
    cr_assert(purr_task_is_cancelled(), "an enclosing scope's cancel");
    purr_scope_enter(&shield, PURR_TIME_NEVER);
    cr_assert(purr_task_is_cancelled());
    purr_scope_set_shield(&shield, true);
    cr_assert(!purr_task_is_cancelled(), "behind a shield");
    purr_scope_set_shield(&shield, false);
    cr_assert(purr_task_is_cancelled());
    purr_assert_ok(purr_scope_exit(&shield));
    purr_assert_ok(purr_scope_exit(&b));
    purr_assert_ok(purr_scope_exit(&a));
    /* Asking is not a checkpoint: nobody caught anything. */
    cr_assert(!a.cancelled_caught);
    cr_assert(!purr_task_is_cancelled());
    return 0;
}

Test(scope, task_is_cancelled_follows_the_scope_chain)
{
    purr_assert_ok(purr_test_run(main_is_cancelled, NULL));
}

/* ---------------------------------------------------------------------- */
/* Misuse                                                                  */
/* ---------------------------------------------------------------------- */

static int
exit_out_of_order(void *arg)
{
    (void)arg;
    purr_scope a, b;
    purr_scope_enter(&a, PURR_TIME_NEVER);
    purr_scope_enter(&b, PURR_TIME_NEVER);
    purr_scope_exit(&a); /* misuse: b is the innermost */
    return 0;
}

static void
child_exit_out_of_order(void *arg)
{
    (void)arg;
    purr_loop *loop = purr_loop_new(NULL);
    purr_run(loop, "misuser", exit_out_of_order, NULL);
}

Test(scope, exit_out_of_order_aborts_naming_the_function)
{
    char err[2048];
    int status =
        purr_test_run_captured(child_exit_out_of_order, NULL, err, sizeof err);
    cr_assert(WIFSIGNALED(status), "child exited normally; stderr: %s", err);
    cr_assert_eq(WTERMSIG(status), SIGABRT);
    cr_assert_not_null(strstr(err, "purr_scope_exit"), "stderr: %s", err);
    cr_assert_not_null(strstr(err, "out of order"), "stderr: %s", err);
    cr_assert_not_null(strstr(err, "misuser"), "names the task: %s", err);
}
