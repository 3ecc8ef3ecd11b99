/* registry.c - behaviours by name, as scenes refer to them.
 *
 * A fixed table of the behaviours registered with purr_sim_register (by a
 * program before purr_main, or by a plug-in's registration function), in
 * registration order, which is also the order names are listed in
 * diagnostics, so messages do not depend on addresses. The table is
 * process-wide because a scene file names a behaviour the way a program
 * names a function; it is written only at start-up. The simulator itself
 * registers nothing: the example behaviours live with the scenes.
 */
#include "sim_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BEHAVIOURS 64

/* Registered behaviours; names are copies owned by the table (never freed:
 * the table lives as long as the process). */
static purr__behaviour_def registered[MAX_BEHAVIOURS];
static size_t registered_count;

const purr__behaviour_def *
purr__sim_lookup(const char *name)
{
    for (size_t i = 0; i < registered_count; i++)
        if (strcmp(registered[i].name, name) == 0)
            return &registered[i];
    return NULL;
}

/* Who registered each entry of registered[]: a plug-in's path (borrowed
 * from plugin.c, which keeps it as long as the entry), or NULL for the
 * program. */
static const char *registered_owner[MAX_BEHAVIOURS];

/* The plug-in load in progress (plugin.c), or NULL. */
static purr__sim_watch *watch;

/* Keeps the first failed registration in the watch, if any; returns rc. */
static int
watch_failure(const char *name, int rc)
{
    if (!watch || watch->rc)
        return rc;
    watch->rc = rc;
    snprintf(watch->name, sizeof watch->name, "%s", name ? name : "");
    if (rc == PURR_EEXIST) {
        watch->clash_builtin = true;
        for (size_t i = 0; i < registered_count; i++)
            if (strcmp(registered[i].name, name) == 0 && registered_owner[i]) {
                watch->clash_builtin = false;
                watch->clash_owner = registered_owner[i];
            }
    }
    return rc;
}

int
purr_sim_register(const char *name, purr_sim_setup_fn setup_fn,
                  purr_sim_task_fn task_fn)
{
    if (!name || !name[0] || !task_fn)
        return watch_failure(name, PURR_EINVAL);
    if (purr__sim_lookup(name))
        return watch_failure(name, PURR_EEXIST);
    if (registered_count == MAX_BEHAVIOURS)
        return watch_failure(name, PURR_ENOMEM);
    registered[registered_count].name = purr__sim_strdup(name);
    registered[registered_count].setup = setup_fn;
    registered[registered_count].task = task_fn;
    registered_owner[registered_count] = watch ? watch->owner : NULL;
    registered_count++;
    return 0;
}

bool
purr_sim_is_registered(const char *name)
{
    return purr__sim_lookup(name) != NULL;
}

size_t
purr_sim_registered_names(char *buf, size_t cap)
{
    size_t len = 0;
    for (size_t i = 0; i < registered_count; i++) {
        const char *name = registered[i].name;
        int n =
            snprintf(len < cap ? buf + len : NULL, len < cap ? cap - len : 0,
                     "%s%s", i ? ", " : "", name);
        len += n > 0 ? (size_t)n : 0;
    }
    if (cap && registered_count == 0)
        buf[0] = '\0';
    return len;
}

/* ---------------------------------------------------------------------- */
/* For plug-in loads (plugin.c)                                            */
/* ---------------------------------------------------------------------- */

void
purr__sim_registry_watch(purr__sim_watch *w)
{
    watch = w;
}

size_t
purr__sim_registry_count(void)
{
    return registered_count;
}

const purr__behaviour_def *
purr__sim_registry_at(size_t i)
{
    return i < registered_count ? &registered[i] : NULL;
}

void
purr__sim_registry_truncate(size_t count)
{
    while (registered_count > count) {
        registered_count--;
        free((char *)registered[registered_count].name);
        registered[registered_count] = (purr__behaviour_def){0};
        registered_owner[registered_count] = NULL;
    }
}
