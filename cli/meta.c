/* meta.c - the metadata that makes a recording stand alone.
 *
 * A recording made by `purr run` (or `purr replay --record`, or `purr
 * import`) stores the scene's bytes beside its path and hash, so that
 * `purr replay FILE.db` works from any directory without the scene file,
 * and the plug-ins that were loaded (name, content hash, path), so that
 * replay can load them again and say when one has changed.
 */
#include "cli_int.h"

#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
purr__cli_meta_scene(purr_recorder *r, const purr_scene *scene,
                     const char *path)
{
    char hash[32];
    int rc;
    snprintf(hash, sizeof hash, "%016" PRIx64, scene->hash);
    if ((rc = purr_recorder_set_meta(r, "scene", path)) < 0 ||
        (rc = purr_recorder_set_meta(r, "scene_hash", hash)) < 0)
        return rc;
    if (scene->text)
        return purr_recorder_set_meta(r, "scene_text", scene->text);
    return 0;
}

int
purr__cli_meta_plugins(purr_recorder *r)
{
    size_t n = purr_sim_plugin_count();
    if (n == 0)
        return 0;
    size_t cap = 1, len = 0;
    for (size_t i = 0; i < n; i++) {
        const purr_sim_plugin *p = purr_sim_plugin_at(i);
        cap += strlen(p->name) + strlen(p->path) + 20;
    }
    char *text = malloc(cap);
    if (!text)
        return PURR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const purr_sim_plugin *p = purr_sim_plugin_at(i);
        len += (size_t)snprintf(text + len, cap - len, "%s %016" PRIx64 " %s\n",
                                p->name, p->hash, p->path);
    }
    int rc = purr_recorder_set_meta(r, "plugins", text);
    free(text);
    return rc;
}

int
purr__cli_load(const char *const *paths, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        purr_diag diag;
        memset(&diag, 0, sizeof diag);
        if (purr_sim_plugin_load(paths[i], &diag) < 0)
            return purr__cli_print_diag(&diag);
    }
    return 0;
}

/* The loaded plug-in whose canonical path is path's, or NULL. */
static const purr_sim_plugin *
loaded_plugin(const char *path)
{
    char real[PATH_MAX];
    if (!realpath(path, real))
        return NULL;
    for (size_t i = 0; i < purr_sim_plugin_count(); i++)
        if (strcmp(purr_sim_plugin_at(i)->path, real) == 0)
            return purr_sim_plugin_at(i);
    return NULL;
}

int
purr__cli_load_recorded(purr_recording *rec, purr_diag *diag)
{
    const char *list = purr_recording_meta(rec, "plugins");
    if (!list)
        return 0;
    const char *file = purr_recording_path(rec);
    long line = 0;
    for (const char *p = list; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        line++;
        char entry[4200], name[256], path[4096];
        unsigned long long want;
        if (len >= sizeof entry)
            len = sizeof entry - 1;
        memcpy(entry, p, len);
        entry[len] = '\0';
        p += nl ? len + 1 : len;
        if (!entry[0])
            continue;
        if (sscanf(entry, "%255s %16llx %4095[^\n]", name, &want, path) !=
            3) {
            purr_diag_set(diag, file, 0, 0,
                          "metadata plugins, line %ld: '%s' is not "
                          "'NAME HASH PATH'",
                          line, entry);
            return PURR_EFORMAT;
        }
        /* Checked before loading, so that the message says how to go on;
         * the loader refuses what is not a regular file before reading
         * it, and hashes the file once as it loads it. */
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            bool gone = errno == ENOENT || stat(path, &st) != 0;
            purr_diag_set(diag, file, 0, 0,
                          gone ? "the recording's plug-in %s is not found "
                                 "at %s; give it with --load"
                               : "the recording's plug-in %s at %s is not a "
                                 "regular file; give it with --load",
                          name, path);
            return gone ? PURR_ENOENT : PURR_EFORMAT;
        }
        int rc = purr_sim_plugin_load(path, diag);
        if (rc < 0)
            return rc;
        const purr_sim_plugin *have = loaded_plugin(path);
        if (have && have->hash != (uint64_t)want)
            fprintf(stderr,
                    "purr: note: plug-in %s (%s) differs from the one %s "
                    "was recorded with (hash %016" PRIx64 ", recorded "
                    "%016llx)\n",
                    name, path, file, have->hash, want);
    }
    return 0;
}

void
purr__cli_note_plugin_changes(purr_recording *rec)
{
    const char *list = purr_recording_meta(rec, "plugins");
    if (!list)
        return;
    for (size_t i = 0; i < purr_sim_plugin_count(); i++) {
        const purr_sim_plugin *p = purr_sim_plugin_at(i);
        char hash[32];
        snprintf(hash, sizeof hash, "%016" PRIx64, p->hash);
        /* A recorded line names the plug-in; the same hash on it means the
         * very same file. */
        const char *at = list;
        bool named = false, same = false;
        size_t nlen = strlen(p->name);
        while ((at = strstr(at, p->name)) != NULL) {
            bool start = at == list || at[-1] == '\n';
            if (start && at[nlen] == ' ') {
                named = true;
                same = strncmp(at + nlen + 1, hash, 16) == 0;
                break;
            }
            at += nlen;
        }
        if (named && !same)
            fprintf(stderr,
                    "purr: note: plug-in %s (%s) differs from the one %s "
                    "was recorded with\n",
                    p->name, p->path, purr_recording_path(rec));
    }
}

/* ---------------------------------------------------------------------- */
/* The random faults' rate scale (purr_sim_options.faults_scale)           */
/* ---------------------------------------------------------------------- */

bool
purr__cli_parse_faults_scale(const char *text, double *scale)
{
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    /* Digits only (no sign, no "inf", no hex): a plain decimal number. */
    if (!(text[0] >= '0' && text[0] <= '9') && text[0] != '.')
        return false;
    if (*end || errno == ERANGE || !(x >= 0) || x > 1e6)
        return false;
    *scale = x;
    return true;
}

void
purr__cli_format_faults_scale(double scale, char *buf, size_t cap)
{
    /* The shortest text that reads back as the same double. */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, scale);
        if (strtod(buf, NULL) == scale)
            return;
    }
}

int
purr__cli_meta_faults_scale(purr_recorder *r, const purr_sim *sim)
{
    double scale = purr_sim_faults_scale(sim);
    if (scale == 1.0)
        return 0; /* the scene's own rates: nothing to say */
    char text[32];
    purr__cli_format_faults_scale(scale, text, sizeof text);
    return purr_recorder_set_meta(r, "faults_scale", text);
}

int
purr__cli_recorded_faults_scale(purr_recording *rec, purr_sim_options *so,
                                purr_diag *diag)
{
    const char *text = purr_recording_meta(rec, "faults_scale");
    if (!text)
        return 0;
    if (!purr__cli_parse_faults_scale(text, &so->faults_scale)) {
        purr_diag_set(diag, purr_recording_path(rec), 0, 0,
                      "metadata faults_scale is not a number >= 0: '%.60s'",
                      text);
        return PURR_EFORMAT;
    }
    so->has_faults_scale = true;
    return 0;
}
