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

int
purr_sim_register(const char *name, purr_sim_setup_fn setup_fn,
                  purr_sim_task_fn task_fn)
{
    if (!name || !name[0] || !task_fn)
        return PURR_EINVAL;
    if (purr__sim_lookup(name))
        return PURR_EEXIST;
    if (registered_count == MAX_BEHAVIOURS)
        return PURR_ENOMEM;
    registered[registered_count].name = purr__sim_strdup(name);
    registered[registered_count].setup = setup_fn;
    registered[registered_count].task = task_fn;
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
