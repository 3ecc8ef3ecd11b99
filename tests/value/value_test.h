/* value_test.h - the scripted setter shared by the value tests.
 *
 * A script sets one int value at exact virtual times; entries with the same
 * time are set in one step, with no checkpoint between them, which is how
 * the tests produce "several sets in one step" (docs/values.md). */
#ifndef PURR_VALUE_TEST_H
#define PURR_VALUE_TEST_H

#include "purr_test.h"

/* Sets v to value at (absolute) time at. */
typedef struct set_at {
    purr_time at;
    int64_t value;
} set_at;

typedef struct script {
    purr_value *v;
    const set_at *steps;
    size_t n;
} script;

/* Task: plays the script. */
static inline int
script_run(void *arg)
{
    script *s = arg;
    for (size_t i = 0; i < s->n; i++) {
        /* Same time as the previous entry: same step, no checkpoint. */
        if (i == 0 || s->steps[i].at != s->steps[i - 1].at)
            purr_assert_ok(purr_sleep_until(s->steps[i].at));
        purr_value_set_int(s->v, s->steps[i].value);
    }
    return 0;
}

#endif /* PURR_VALUE_TEST_H */
