/* plugin.c - behaviours from shared objects, and the list of those loaded.
 *
 * A plug-in is a shared object whose PURR_BEHAVIOURS (sim.h) exports a
 * purr_sim_plugin_info: the ABI version it was built with and its
 * registration function. Loading one is dlopen (RTLD_NOW, so a symbol the
 * program does not export is an error now rather than a crash in the
 * middle of a run; RTLD_LOCAL, so one plug-in's symbols never satisfy
 * another's), a check of the version, and a call of the registration
 * function while the registry is watched (registry.c): new behaviours are
 * attributed to the plug-in, and the first registration that fails is
 * kept, so the diagnostic names the clashing behaviour and its owner even
 * when the plug-in ignores the code. A load is all or nothing: on any
 * error the registrations made since it began are truncated away and the
 * library is closed (nothing else points into it then).
 *
 * Loaded plug-ins are listed in load order, each with its canonical path
 * and the FNV-1a 64 of its bytes, so that a recording can say which code
 * ran. They stay loaded until the process ends, like the registry they
 * write to; the list identifies files by (device, inode), so loading the
 * same file again, by whatever path, is a no-op.
 */
#include "sim_int.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One loaded plug-in. pub's strings are owned here and never freed. */
typedef struct plugin {
    purr_sim_plugin pub; /* what purr_sim_plugin_at hands out */
    dev_t dev;           /* the file's identity, for loading twice */
    ino_t ino;
    void *handle; /* dlopen's; never closed */
} plugin;

/* Loaded plug-ins in load order. Pointers, so that the entries handed out
 * do not move when the array grows. */
static plugin **plugins;
static size_t plugin_count;

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

/* The last component of path. */
static const char *
base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Hashes the regular file at path into *hash (out). Returns 0 or
 * PURR_ENOENT (also for anything but a regular file, which could be
 * endless, /dev/zero, or block, a FIFO: O_NONBLOCK). */
static int
hash_file(const char *path, uint64_t *hash)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return PURR_ENOENT;
    FILE *f = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        !(f = fdopen(fd, "rb"))) {
        close(fd);
        return PURR_ENOENT;
    }
    unsigned char buf[8192];
    uint64_t h = PURR__FNV_OFFSET;
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        h = purr__fnv1a_bytes(h, buf, got);
    bool bad = ferror(f);
    fclose(f);
    *hash = h;
    return bad ? PURR_ENOENT : 0;
}

/* dlerror's text as one line, without the leading "PATH: " that glibc
 * puts there (the diag names the file already), into buf. */
static void
dl_message(const char *path, char *buf, size_t cap)
{
    const char *err = dlerror();
    if (!err)
        err = "unknown dlopen error";
    size_t plen = strlen(path);
    if (strncmp(err, path, plen) == 0 && strncmp(err + plen, ": ", 2) == 0)
        err += plen + 2;
    snprintf(buf, cap, "%s", err);
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                 */
/* ---------------------------------------------------------------------- */

/* Fills diag for the failed registration that w kept. */
static void
registration_failed(const purr__sim_watch *w, const char *path, purr_diag *diag)
{
    if (w->rc != PURR_EEXIST) {
        purr_diag_set(diag, path, 0, 0,
                      "registering behaviour '%s' failed: %s (%s)", w->name,
                      purr_err_name(w->rc), purr_strerror(w->rc));
        return;
    }
    if (w->clash_builtin)
        purr_diag_set(diag, path, 0, 0,
                      "behaviour '%s' is already registered (built in)",
                      w->name);
    else if (w->clash_owner == w->owner)
        purr_diag_set(diag, path, 0, 0,
                      "behaviour '%s' is registered twice by this plug-in",
                      w->name);
    else
        purr_diag_set(diag, path, 0, 0,
                      "behaviour '%s' is already registered by plug-in %s",
                      w->name, w->clash_owner);
}

/* dlopens p->pub.path, checks its version and runs its registration
 * function under a watch. On success fills p's handle and behaviour list
 * and returns 0; on failure has undone everything and returns the code
 * (diag names given, the path as the caller wrote it). */
static int
open_and_register(plugin *p, const char *given, purr_diag *diag)
{
    size_t mark = purr__sim_registry_count();
    purr__sim_watch w = {.owner = p->pub.path};
    char msg[200];

    /* Watched from before dlopen: a constructor that registers is
     * attributed and undone like the registration function. */
    purr__sim_registry_watch(&w);
    dlerror();
    void *h = dlopen(p->pub.path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        dl_message(p->pub.path, msg, sizeof msg);
        purr_diag_set(diag, given, 0, 0, "cannot load the plug-in: %s%s", msg,
                      strstr(msg, "undefined symbol: purr_")
                          ? " (does the program export purr's API?)"
                          : "");
        goto fail;
    }
    const purr_sim_plugin_info *info = dlsym(h, PURR_SIM_PLUGIN_SYMBOL);
    if (!info) {
        purr_diag_set(diag, given, 0, 0,
                      "not a purr plug-in: no " PURR_SIM_PLUGIN_SYMBOL
                      " symbol (PURR_BEHAVIOURS)");
        goto fail;
    }
    if (info->abi_version != PURR_SIM_ABI_VERSION) {
        purr_diag_set(diag, given, 0, 0,
                      "built for purr plug-in ABI %d; this purr (%s) "
                      "supports ABI %d: rebuild it",
                      info->abi_version, purr_version_string(),
                      PURR_SIM_ABI_VERSION);
        goto fail;
    }
    if (!info->register_fn) {
        purr_diag_set(diag, given, 0, 0,
                      "not a purr plug-in: no registration function");
        goto fail;
    }
    int rc = info->register_fn();
    if (w.rc) {
        registration_failed(&w, given, diag);
        goto fail;
    }
    if (rc < 0) {
        purr_diag_set(diag, given, 0, 0,
                      "its registration function failed: %s (%s)",
                      purr_err_name(rc), purr_strerror(rc));
        goto fail;
    }
    size_t n = purr__sim_registry_count() - mark;
    if (n == 0) {
        /* Typically a plug-in linked with its own copy of purr's static
         * libraries: it registered into that copy's registry. */
        purr_diag_set(diag, given, 0, 0,
                      "the plug-in registered no behaviour (does it link "
                      "its own copy of purr?)");
        goto fail;
    }
    purr__sim_registry_watch(NULL);
    const char **names = purr__sim_calloc(n, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = purr__sim_strdup(purr__sim_registry_at(mark + i)->name);
    p->pub.behaviours = names;
    p->pub.behaviour_count = n;
    p->handle = h;
    return 0;

fail:
    purr__sim_registry_watch(NULL);
    purr__sim_registry_truncate(mark);
    if (h)
        dlclose(h);
    return PURR_EFORMAT;
}

int
purr_sim_plugin_load(const char *path, purr_diag *diag)
{
    struct stat st;
    if (!path)
        return PURR_EINVAL;
    if (!path[0]) {
        purr_diag_set(diag, "", 0, 0, "no plug-in path given");
        return PURR_ENOENT;
    }
    if (stat(path, &st) < 0) {
        purr_diag_set(diag, path, 0, 0, "cannot open the plug-in: %s",
                      strerror(errno));
        return PURR_ENOENT;
    }
    if (!S_ISREG(st.st_mode)) {
        purr_diag_set(diag, path, 0, 0,
                      "cannot load the plug-in: not a regular file");
        return PURR_EFORMAT;
    }
    for (size_t i = 0; i < plugin_count; i++)
        if (plugins[i]->dev == st.st_dev && plugins[i]->ino == st.st_ino)
            return 0;

    char resolved[PATH_MAX];
    uint64_t hash;
    if (!realpath(path, resolved) || hash_file(resolved, &hash) < 0) {
        purr_diag_set(diag, path, 0, 0, "cannot read the plug-in: %s",
                      strerror(errno));
        return PURR_ENOENT;
    }
    plugin *p = purr__sim_calloc(1, sizeof *p);
    p->pub.name = purr__sim_strdup(base_name(path));
    p->pub.path = purr__sim_strdup(resolved);
    p->pub.hash = hash;
    p->dev = st.st_dev;
    p->ino = st.st_ino;
    int rc = open_and_register(p, path, diag);
    if (rc < 0) {
        free((char *)p->pub.name);
        free((char *)p->pub.path);
        free(p);
        return rc;
    }
    plugins = purr__sim_realloc(plugins, (plugin_count + 1) * sizeof *plugins);
    plugins[plugin_count++] = p;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* The list                                                                */
/* ---------------------------------------------------------------------- */

size_t
purr_sim_plugin_count(void)
{
    return plugin_count;
}

const purr_sim_plugin *
purr_sim_plugin_at(size_t i)
{
    return i < plugin_count ? &plugins[i]->pub : NULL;
}
