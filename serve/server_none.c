/* server_none.c - the live stream's stand-in for builds without
 * libwebsockets (PURR_WITH_SERVE=OFF).
 *
 * Debian's libwebsockets-dev cannot be installed for a second
 * architecture beside the native one (its lws_config.h differs), so the
 * aarch64 cross build, run under qemu-user, is built without it. There
 * purr_server_new fails with one line saying why, so `purr run --serve`
 * and `purr view --serve` exit 2 with that line; everything else of purr
 * is the same. The other functions are never reached without a server
 * and do nothing. */
#include <purr/serve.h>

#include <stddef.h>

purr_server *
purr_server_new(const purr_server_options *opts, purr_diag *diag)
{
    (void)opts;
    purr_diag_set(diag, "", 0, 0,
                  "serve: this purr was built without libwebsockets "
                  "(PURR_WITH_SERVE=OFF): no live stream");
    return NULL;
}

int
purr_server_port(const purr_server *s)
{
    (void)s;
    return 0;
}

int
purr_server_attach(purr_server *s, purr_loop *loop)
{
    (void)s;
    (void)loop;
    return PURR_ENOTSUP;
}

void
purr_server_detach(purr_server *s)
{
    (void)s;
}

int
purr_server_channel_add(purr_server *s, const char *name, purr_type type,
                        uint32_t *id)
{
    (void)s;
    (void)name;
    (void)type;
    (void)id;
    return PURR_ENOTSUP;
}

void
purr_server_publish(purr_server *s, uint32_t id, purr_time time_ns,
                    const purr_datum *d)
{
    (void)s;
    (void)id;
    (void)time_ns;
    (void)d;
}

void
purr_server_time(purr_server *s, purr_time time_ns)
{
    (void)s;
    (void)time_ns;
}

int
purr_server_wait_clients(purr_server *s, size_t n)
{
    (void)s;
    (void)n;
    return PURR_ENOTSUP;
}

uint64_t
purr_server_dropped(const purr_server *s)
{
    (void)s;
    return 0;
}

uint64_t
purr_server_sent(const purr_server *s)
{
    (void)s;
    return 0;
}

uint64_t
purr_server_clients(const purr_server *s)
{
    (void)s;
    return 0;
}

void
purr_server_free(purr_server *s)
{
    (void)s;
}
