/* clock_uv_none.c - the real clock's stand-in for builds without libuv.
 *
 * Used where libuv is not available (the aarch64 cross build that runs under
 * qemu-user, which has no aarch64 libuv): loops on PURR_CLOCK_REAL fail to
 * be created and purr_fd_wait reports PURR_ENOTSUP. The virtual clock, and
 * so every simulation, is unaffected. */
#include "core_int.h"

static int
none_init(purr_loop *loop)
{
    (void)loop;
    return PURR_ENOTSUP;
}

static void
none_close(purr_loop *loop)
{
    (void)loop;
}

static purr_time
none_now(purr_loop *loop)
{
    return loop->now_ns;
}

static int
none_idle(purr_loop *loop)
{
    (void)loop;
    return 0;
}

static void
none_wakeup(purr_loop *loop)
{
    (void)loop;
}

const purr__clock_vtable purr__clock_uv = {
    .name = "none",
    .init = none_init,
    .close = none_close,
    .now = none_now,
    .idle = none_idle,
    .advance = NULL,
    .wakeup = none_wakeup,
};

int
purr_fd_wait(int fd, int events)
{
    (void)fd;
    (void)events;
    purr__self(__func__);
    return PURR_ENOTSUP;
}
