/* value_derived.c - derived AsyncValues: transforms and compositions.
 *
 * A derived value is an ordinary value of role internal, visible to
 * observers like any other, with a recipe (purr__derived) that its sources
 * list among their dependants. value.c's transition recomputes the
 * dependants of a value inside its set, through purr__derived_compute, so a
 * derived value never misses a change. This file builds and tears down the
 * recipes. */
#include "core_int.h"
#include "purr/value.h"
#include "value_int.h"

#include <string.h>

static void
deps_add(purr_value *src, purr__derived *dv)
{
    if (src->ndeps == src->deps_cap) {
        size_t cap = src->deps_cap ? src->deps_cap * 2 : 4;
        src->deps = purr__realloc(src->deps, cap * sizeof *src->deps);
        src->deps_cap = cap;
    }
    src->deps[src->ndeps++] = dv;
}

static void
deps_remove(purr_value *src, purr__derived *dv)
{
    for (size_t i = 0; i < src->ndeps; i++) {
        if (src->deps[i] == dv) {
            memmove(&src->deps[i], &src->deps[i + 1],
                    (src->ndeps - i - 1) * sizeof *src->deps);
            src->ndeps--;
            return;
        }
    }
}

/* Computes the derived datum from the sources' current values. */
purr_datum
purr__derived_compute(purr__derived *dv)
{
    purr_datum out = purr__datum_nil();
    if (!dv->compose) {
        dv->fn(&dv->srcs[0]->cur, &out, dv->arg);
        return out;
    }
    /* A shallow tuple over the sources' datums: nothing is copied unless
     * the result is kept. */
    purr_datum *items = dv->scratch;
    for (size_t i = 0; i < dv->n; i++)
        items[i] = dv->srcs[i]->cur;
    purr_datum tuple;
    memset(&tuple, 0, sizeof tuple);
    tuple.type = PURR_T_TUPLE;
    tuple.len = (uint32_t)dv->n;
    tuple.u.items = items;
    if (dv->fn)
        dv->fn(&tuple, &out, dv->arg);
    else
        out = purr_datum_copy(&tuple);
    return out;
}

static purr_value *
derived_open(const char *name, purr_value *const *srcs,
             const char *const *names, size_t n, purr_transform_fn fn,
             void *arg, bool compose)
{
    PURR_API_CHECK(n > 0 && srcs != NULL, "derived value without sources");
    purr__derived *dv = purr__calloc(1, sizeof *dv);
    dv->compose = compose;
    dv->n = n;
    dv->fn = fn;
    dv->arg = arg;
    dv->srcs = purr__malloc(n * sizeof *dv->srcs);
    memcpy(dv->srcs, srcs, n * sizeof *dv->srcs);
    dv->scratch = purr__calloc(n, sizeof *dv->scratch);
    if (names) {
        dv->names = purr__calloc(n, sizeof *dv->names);
        for (size_t i = 0; i < n; i++) {
            const char *s = names[i] ? names[i] : "";
            size_t len = strlen(s);
            dv->names[i] = purr__malloc(len + 1);
            memcpy(dv->names[i], s, len + 1);
        }
    }
    purr_loop *loop = srcs[0]->loop;
    purr_value *v =
        purr__value_create(loop, name, PURR_ROLE_INTERNAL, PURR_T_NIL,
                           purr__derived_compute(dv));
    dv->dst = v;
    v->derivation = dv;
    for (size_t i = 0; i < n; i++) {
        PURR_API_CHECK(srcs[i]->loop == loop,
                       "derived value over values of different loops");
        deps_add(srcs[i], dv);
    }
    return v;
}

purr_value *
purr_value_open_transform(purr_value *src, const char *name,
                          purr_transform_fn fn, void *arg)
{
    PURR_API_CHECK(fn != NULL, "purr_value_open_transform: NULL fn");
    /* trio-util shares one derived value per (source, function): a second
     * open with the same fn and arg gets the value the first one made, so
     * fn runs once per transition whatever the number of users. Searching
     * src's dependants is lookup only: the order of deps is registration
     * order, never addresses. */
    for (size_t i = 0; i < src->ndeps; i++) {
        purr__derived *dv = src->deps[i];
        if (!dv->compose && dv->fn == fn && dv->arg == arg) {
            dv->dst->users++;
            return dv->dst;
        }
    }
    purr_value *v = derived_open(name, &src, NULL, 1, fn, arg, false);
    v->users = 1;
    return v;
}

purr_value *
purr_value_open_compose(const char *name, purr_value *const *srcs,
                        const char *const *names, size_t n,
                        purr_transform_fn fn, void *arg)
{
    return derived_open(name, srcs, names, n, fn, arg, true);
}

int
purr_value_field(const purr_value *composed, const char *name)
{
    const purr__derived *dv = composed->derivation;
    if (!dv || !dv->compose)
        return -1;
    for (size_t i = 0; i < dv->n; i++)
        if (dv->names && strcmp(dv->names[i], name) == 0)
            return (int)i;
    return -1;
}

void
purr_value_detach(purr_value *v)
{
    purr__derived *dv = v->derivation;
    if (!dv)
        return;
    PURR_API_CHECK(v->users <= 1,
                   "purr_value_detach: the transform is shared by other "
                   "users, for whom it would stop following its source "
                   "(each user ends its own use with purr_value_free)");
    for (size_t i = 0; i < dv->n; i++)
        deps_remove(dv->srcs[i], dv);
    if (dv->names) {
        for (size_t i = 0; i < dv->n; i++)
            free(dv->names[i]);
        free(dv->names);
    }
    free(dv->scratch);
    free(dv->srcs);
    free(dv);
    v->derivation = NULL;
}
