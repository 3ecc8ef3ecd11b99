/* observe.c - purr_server_attach: the server as an observer of a loop,
 * like the recorder. Each value created becomes a channel (advertised to
 * every client), each transition a message on it at the event's time.
 * The observer only reads what it is shown, so serving changes nothing
 * in the run.
 */
#include "serve_int.h"

#include <purr/value.h>

#include <stdlib.h>
#include <string.h>

/* The channel of value v, advertised on first sight; 0 when out of
 * memory. Value ids are dense from 1 (per loop), so vchan is an array. */
static uint32_t
value_channel(purr_server *s, purr_value *v)
{
    uint64_t vid = purr_value_id(v);
    if (vid >= s->nvchan) {
        size_t ncap = s->nvchan ? s->nvchan : 64;
        while (ncap <= vid)
            ncap *= 2;
        uint32_t *nv = realloc(s->vchan, ncap * sizeof *nv);
        if (!nv)
            return 0;
        memset(nv + s->nvchan, 0, (ncap - s->nvchan) * sizeof *nv);
        s->vchan = nv;
        s->nvchan = ncap;
    }
    if (!s->vchan[vid]) {
        uint32_t id;
        if (purr_server_channel_add(s, purr_value_name(v), purr_value_type(v),
                                    &id) < 0)
            return 0;
        s->vchan[vid] = id;
    }
    return s->vchan[vid];
}

static void
observe(const purr_trace *ev, void *ctx)
{
    purr_server *s = ctx;
    if (ev->kind == PURR_EV_VALUE_CREATED) {
        value_channel(s, ev->value);
    } else if (ev->kind == PURR_EV_VALUE_SET) {
        uint32_t id = value_channel(s, ev->value);
        purr_server_publish(s, id, ev->time_ns, ev->new_value);
    }
}

int
purr_server_attach(purr_server *s, purr_loop *loop)
{
    if (s->loop)
        return PURR_EBUSY;
    int rc = purr_loop_observe(loop,
                               PURR_EV_BIT(PURR_EV_VALUE_CREATED) |
                                   PURR_EV_BIT(PURR_EV_VALUE_SET),
                               observe, s);
    if (rc < 0)
        return rc;
    s->loop = loop;
    return 0;
}

void
purr_server_detach(purr_server *s)
{
    if (s && s->loop) {
        purr_loop_observe(s->loop, 0, observe, s);
        s->loop = NULL;
    }
}
