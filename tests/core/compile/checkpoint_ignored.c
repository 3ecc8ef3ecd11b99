/* checkpoint_ignored.c - must NOT compile under -Werror: it drops the result
 * of a checkpoint, so a cancellation would be swallowed (test_compile). */
#include <purr/purr.h>

int loop_forever(void *arg);

int
loop_forever(void *arg)
{
    purr_value *v = arg;
    for (;;)
        purr_value_wait_transition(v, purr_match_any(), NULL, NULL);
}
