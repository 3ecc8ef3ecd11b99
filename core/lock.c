/* lock.c - locks and semaphores, FIFO-fair.
 *
 * Releasing hands the resource directly to the first waiter (ownership or
 * one unit of the count passes with the wake-up), so a task that releases
 * and immediately re-acquires cannot starve the others, and the order in
 * which waiters get the resource is the order in which they asked. */
#include "core_int.h"

void
purr_semaphore_init(purr_semaphore *sem, int64_t initial)
{
    sem->value = initial;
    sem->waiters_.head_ = sem->waiters_.tail_ = NULL;
}

int
purr_semaphore_acquire(purr_semaphore *sem)
{
    purr_task *self = purr__self(__func__);
    if (sem->value > 0 && !purr__waitq_head(&sem->waiters_)) {
        int rc = purr_checkpoint();
        if (rc)
            return rc;
        if (sem->value > 0) {
            sem->value--;
            return 0;
        }
    }
    purr__waiter w = {.task = self};
    purr__waitq_push(&sem->waiters_, &w);
    /* On wake with 0, the releaser has handed us one unit already. */
    return purr__park(&w, true, "semaphore", sem);
}

void
purr_semaphore_release(purr_semaphore *sem)
{
    purr__waiter *w = purr__waitq_pop(&sem->waiters_);
    if (w)
        purr__wake(w->task, 0);
    else
        sem->value++;
}

void
purr_lock_init(purr_lock *lock)
{
    lock->owner = NULL;
    lock->waiters_.head_ = lock->waiters_.tail_ = NULL;
}

int
purr_lock_acquire(purr_lock *lock)
{
    purr_task *self = purr__self(__func__);
    PURR_API_CHECK(lock->owner != self, "lock already held by this task");
    if (!lock->owner) {
        int rc = purr_checkpoint();
        if (rc)
            return rc;
        if (!lock->owner) {
            lock->owner = self;
            return 0;
        }
    }
    purr__waiter w = {.task = self};
    purr__waitq_push(&lock->waiters_, &w);
    int rc = purr__park(&w, true, "lock", lock);
    if (rc == 0)
        PURR_ASSERT(lock->owner == self); /* handed over by release */
    return rc;
}

void
purr_lock_release(purr_lock *lock)
{
    purr_task *self = purr__self(__func__);
    PURR_API_CHECK(lock->owner == self, "releasing a lock not held");
    purr__waiter *w = purr__waitq_pop(&lock->waiters_);
    if (w) {
        lock->owner = w->task;
        purr__wake(w->task, 0);
    } else {
        lock->owner = NULL;
    }
}
