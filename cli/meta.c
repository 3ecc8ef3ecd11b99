/* meta.c - the metadata that makes a recording stand alone.
 *
 * A recording made by `purr run` (or `purr replay --record`, or `purr
 * import`) stores the scene's bytes beside its path and hash, so that
 * `purr replay FILE.db` works from any directory without the scene file,
 * and the plug-ins that were loaded (name, content hash, path), so that
 * replay can load them again and say when one has changed; and the
 * robot panel the scene declares and its sensors' units (metadata
 * view_panel and units, the text purr_view_panel_parse reads), so that
 * `purr view` and `purr plot` draw the recording as the window drew the
 * run.
 */
#include "cli_int.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------------- */
/* The robot panel and the units                                           */
/* ---------------------------------------------------------------------- */

/* A growing string. */
typedef struct text_buf {
    char *s;
    size_t len, cap;
} text_buf;

static void put(text_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void
put(text_buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL,
                          b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            fprintf(stderr, "purr: out of memory (%zu bytes)\n", cap);
            abort();
        }
        b->s = s;
        b->cap = cap;
    }
}

/* The loader kept names short and free of tabs and newlines; a sensor's
 * name is not checked so, and is left out of the units if it would not
 * fit the form. */
static bool
storable(const char *name)
{
    size_t len = strlen(name);
    if (!len || len > PURR_SCENE_VIEW_NAME_MAX)
        return false;
    for (const char *p = name; *p; p++)
        if (*p == '\t' || *p == '\n' || *p == '\r')
            return false;
    return true;
}

void
purr__cli_panel_text(const purr_scene *sc, char **panel, char **units)
{
    *panel = *units = NULL;
    const purr_scene_view *v = sc->view;
    if (v) {
        text_buf b = {0};
        put(&b, "body\t%s\t%s\n", v->shape, v->label ? v->label : "");
        if (v->mood.name)
            put(&b, "mood\t%s\n", v->mood.name);
        if (v->touch.name)
            put(&b, "touch\t%s\n", v->touch.name);
        if (v->say.name)
            put(&b, "say\t%s\n", v->say.name);
        static const char *const kinds[] = {NULL, "lamp", "gauge", "text",
                                            "arrow"};
        for (size_t i = 0; i < v->indicator_count; i++) {
            const purr_scene_indicator *ind = &v->indicators[i];
            put(&b, "%s\t%s", kinds[ind->kind], ind->value.name);
            if (ind->kind == PURR_SCENE_GAUGE)
                put(&b, "\t%.17g\t%.17g", ind->min, ind->max);
            if (ind->value_y.name)
                put(&b, "\t%s", ind->value_y.name);
            put(&b, "\n");
        }
        for (size_t i = 0; i < v->highlight_count; i++)
            put(&b, "highlight\t%s\n", v->highlight[i].name);
        *panel = b.s;
    }
    text_buf u = {0};
    size_t n = 0;
    for (size_t i = 0; i < sc->sensor_count; i++) {
        const purr_sensor_spec *s = &sc->sensors[i];
        if (s->unit && storable(s->name) && n++ < 64)
            put(&u, "%s\t%s\n", s->name, s->unit);
    }
    *units = u.s;
}

#ifdef PURR_WITH_VIEW
_Static_assert(PURR_SCENE_VIEW_NAME_MAX < PURR_VIEW_NAME_MAX &&
                   PURR_SCENE_UNIT_MAX < PURR_VIEW_UNIT_MAX &&
                   PURR_SCENE_VIEW_MAX_INDICATORS <= PURR_VIEW_MAX_INDICATORS &&
                   PURR_SCENE_VIEW_MAX_HIGHLIGHT <= PURR_VIEW_MAX_HIGHLIGHT &&
                   PURR_VIEW_MAX_UNITS == 64,
               "what a scene declares fits the window's panel");

bool
purr__cli_panel(const purr_scene *sc, purr_view_panel *out)
{
    char *panel, *units;
    purr__cli_panel_text(sc, &panel, &units);
    int rc = purr_view_panel_parse(panel, units, out, NULL);
    free(panel);
    free(units);
    return rc == 0;
}
#endif

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
    char *panel, *units;
    purr__cli_panel_text(scene, &panel, &units);
    if (panel)
        rc = purr_recorder_set_meta(r, "view_panel", panel);
    if (rc == 0 && units)
        rc = purr_recorder_set_meta(r, "units", units);
    free(panel);
    free(units);
    if (rc < 0)
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
        if (sscanf(entry, "%255s %16llx %4095[^\n]", name, &want, path) != 3) {
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
