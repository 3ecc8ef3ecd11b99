/* checkpoint_checked.c - the fixed checkpoint_ignored.c: must compile under
 * -Werror (test_compile). */
#include <purr/purr.h>

int loop_forever(void *arg);

int
loop_forever(void *arg)
{
    purr_value *v = arg;
    for (;;)
        PURR_TRY(purr_value_wait_transition(v, purr_match_any(), NULL, NULL));
}
