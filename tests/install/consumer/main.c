/* main.c - the smallest program against an installed purr. */
#include <purr/purr.h>
#include <stdio.h>

static int
hello(void *arg)
{
    (void)arg;
    PURR_TRY(purr_sleep(3 * PURR_S));
    return purr_now() == 3 * PURR_S ? 0 : 1;
}

int
main(void)
{
    purr_loop *loop = purr_loop_new(NULL);
    int rc = purr_run(loop, "hello", hello, NULL);
    printf("consumer: purr %s, rc %d\n", purr_version_string(), rc);
    purr_loop_close(loop);
    return rc;
}
