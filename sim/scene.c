/* scene.c - the scene loader: YAML (libyaml's document API) to purr_scene.
 *
 * The file is loaded into libyaml's node tree, which keeps every node's
 * start mark, then walked key by key into a purr_scene. Every refusal is a
 * purr_diag at the offending node: libyaml's marks are 0-based, ours are
 * 1-based. Unknown keys are errors (with the keys that would be accepted),
 * so a typo never silently falls back to a default. Keys are checked in
 * file order and the first problem wins, so a message is stable.
 */
#include "scene_int.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

/* ---------------------------------------------------------------------- */
/* Diagnostics and allocation helpers (shared by the simulator)            */
/* ---------------------------------------------------------------------- */

void
purr__sim_vdiag(purr_diag *diag, const char *file, long line, long column,
                const char *fmt, va_list ap)
{
    if (!diag)
        return;
    snprintf(diag->file, sizeof diag->file, "%s", file ? file : "");
    diag->line = line;
    diag->column = column;
    vsnprintf(diag->message, sizeof diag->message, fmt, ap);
}

uint64_t
purr__fnv1a_bytes(uint64_t hash, const void *bytes, size_t len)
{
    const unsigned char *b = bytes;
    for (size_t i = 0; i < len; i++) {
        hash ^= b[i];
        hash *= 0x100000001b3u;
    }
    return hash;
}

static void
oom(size_t size)
{
    fprintf(stderr, "purr: out of memory allocating %zu bytes\n", size);
    abort();
}

void *
purr__sim_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *
purr__sim_realloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        oom(size);
    return q;
}

char *
purr__sim_strdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *p = purr__sim_calloc(1, len);
    memcpy(p, s, len);
    return p;
}

/* ---------------------------------------------------------------------- */
/* Durations                                                               */
/* ---------------------------------------------------------------------- */

int
purr_sim_duration_parse(const char *text, purr_time *duration)
{
    return purr_duration_parse(text, duration);
}

/* ---------------------------------------------------------------------- */
/* The walker's state                                                      */
/* ---------------------------------------------------------------------- */

typedef purr__scene_loader loader; /* scene_int.h */

static purr_scene_pos
pos_of(const yaml_node_t *node)
{
    purr_scene_pos pos = {(long)node->start_mark.line + 1,
                          (long)node->start_mark.column + 1};
    return pos;
}

/* Fills the diag at node's position; returns PURR_EFORMAT. */
static int fail(loader *ld, const yaml_node_t *node, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int
fail(loader *ld, const yaml_node_t *node, const char *fmt, ...)
{
    purr_scene_pos pos = pos_of(node);
    va_list ap;
    va_start(ap, fmt);
    purr__sim_vdiag(ld->diag, ld->file, pos.line, pos.column, fmt, ap);
    va_end(ap);
    return PURR_EFORMAT;
}

static const char *
kind_name(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

static const char *
scalar(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

static yaml_node_t *
node_at(loader *ld, int index)
{
    return yaml_document_get_node(ld->doc, index);
}

/* Requires node to be of kind type; what names it in the message (quoted
 * when it is a key). */
static int
want_kind(loader *ld, const yaml_node_t *node, yaml_node_type_t type,
          const char *what, bool quote)
{
    static const char *const expected[] = {
        [YAML_SCALAR_NODE] = "a scalar",
        [YAML_SEQUENCE_NODE] = "a list",
        [YAML_MAPPING_NODE] = "a mapping",
    };
    if (node->type != type)
        return fail(ld, node, quote ? "expected %s for '%s', got %s"
                                    : "expected %s for %s, got %s",
                    expected[type], what, kind_name(node));
    return 0;
}

static int
want_scalar(loader *ld, const yaml_node_t *node, const char *what)
{
    return want_kind(ld, node, YAML_SCALAR_NODE, what, true);
}

static int
want_mapping(loader *ld, const yaml_node_t *node, const char *what)
{
    return want_kind(ld, node, YAML_MAPPING_NODE, what, false);
}

static int
want_sequence(loader *ld, const yaml_node_t *node, const char *what)
{
    return want_kind(ld, node, YAML_SEQUENCE_NODE, what, true);
}

/* Checks that the mapping's keys are scalars, unique, and among allowed
 * (a NULL-terminated list, shown in the message as "what"'s keys). */
static int
check_keys(loader *ld, const yaml_node_t *map, const char *const *allowed,
           const char *what)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *key = node_at(ld, p->key);
        if (key->type != YAML_SCALAR_NODE)
            return fail(ld, key, "expected a scalar key in %s, got %s", what,
                        kind_name(key));
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            ok = ok || strcmp(*a, scalar(key)) == 0;
        if (!ok) {
            char list[200] = "";
            size_t used = 0;
            for (const char *const *a = allowed; *a && used < sizeof list; a++)
                used += (size_t)snprintf(list + used, sizeof list - used,
                                         "%s%s", a == allowed ? "" : ", ", *a);
            return fail(ld, key, "unknown key '%s' in %s (expected one of: %s)",
                        scalar(key), what, list);
        }
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *prev = node_at(ld, q->key);
            if (strcmp(scalar(prev), scalar(key)) == 0)
                return fail(ld, key, "duplicate key '%s' (first at %ld:%ld)",
                            scalar(key), pos_of(prev).line,
                            pos_of(prev).column);
        }
    }
    return 0;
}

/* The value of key in map, or NULL. Keys have been checked as scalars. */
static yaml_node_t *
get(loader *ld, const yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(ld, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0)
            return node_at(ld, p->value);
    }
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* Scalars                                                                 */
/* ---------------------------------------------------------------------- */

static int
get_double(loader *ld, const yaml_node_t *node, const char *what, double *out)
{
    int rc = want_scalar(ld, node, what);
    if (rc < 0)
        return rc;
    const char *s = scalar(node);
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || !isfinite(d))
        return fail(ld, node, "expected a number for '%s', got '%s'", what, s);
    *out = d;
    return 0;
}

static int
get_int(loader *ld, const yaml_node_t *node, const char *what, int64_t *out)
{
    int rc = want_scalar(ld, node, what);
    if (rc < 0)
        return rc;
    const char *s = scalar(node);
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE)
        return fail(ld, node, "expected an integer for '%s', got '%s'", what,
                    s);
    *out = v;
    return 0;
}

static int
get_duration(loader *ld, const yaml_node_t *node, const char *what,
             purr_time *out)
{
    int rc = want_scalar(ld, node, what);
    if (rc < 0)
        return rc;
    rc = purr_sim_duration_parse(scalar(node), out);
    if (rc == PURR_ERANGE)
        return fail(ld, node, "duration '%s' for '%s' is too long",
                    scalar(node), what);
    if (rc < 0)
        return fail(ld, node,
                    "expected a duration with a unit for '%s' (e.g. 500ms, "
                    "90s, 10min, 24h), got '%s'",
                    what, scalar(node));
    return 0;
}

static int
get_positive_duration(loader *ld, const yaml_node_t *node, const char *what,
                      purr_time *out)
{
    int rc = get_duration(ld, node, what, out);
    if (rc == 0 && *out <= 0)
        return fail(ld, node, "'%s' must be longer than 0", what);
    return rc;
}

static int
get_string(loader *ld, const yaml_node_t *node, const char *what, char **out)
{
    int rc = want_scalar(ld, node, what);
    if (rc < 0)
        return rc;
    *out = purr__sim_strdup(scalar(node));
    return 0;
}

/* A scalar as a datum of type (bool: true/false; int; double; string). */
static int
get_datum(loader *ld, const yaml_node_t *node, purr_type type, const char *what,
          purr_datum *out)
{
    int rc = want_scalar(ld, node, what);
    if (rc < 0)
        return rc;
    const char *s = scalar(node);
    switch (type) {
    case PURR_T_BOOL:
        if (strcmp(s, "true") == 0)
            *out = purr_datum_bool(true);
        else if (strcmp(s, "false") == 0)
            *out = purr_datum_bool(false);
        else
            return fail(ld, node, "expected true or false for '%s', got '%s'",
                        what, s);
        return 0;
    case PURR_T_INT: {
        int64_t i = 0; /* set by get_int on success */
        if ((rc = get_int(ld, node, what, &i)) < 0)
            return rc;
        *out = purr_datum_int(i);
        return 0;
    }
    case PURR_T_DOUBLE: {
        double d;
        if ((rc = get_double(ld, node, what, &d)) < 0)
            return rc;
        *out = purr_datum_double(d);
        return 0;
    }
    default:
        *out = purr_datum_string(s);
        return 0;
    }
}

/* ---------------------------------------------------------------------- */
/* Sensors                                                                 */
/* ---------------------------------------------------------------------- */

static const char *const model_names[] = {
    NULL,      "constant", "timeline", "random_walk",
    "poisson", "periodic", "battery",
};
#define MODEL_LIST "constant, timeline, random_walk, poisson, periodic, battery"

const char *
purr_sensor_model_name(purr_sensor_model model)
{
    if (model < PURR_MODEL_CONSTANT || model > PURR_MODEL_BATTERY)
        return "?";
    return model_names[model];
}

/* The keys each model accepts besides name, type, model, noise. */
static const char *const keys_constant[] = {"name",  "type",   "model", "noise",
                                            "value", "sample", "faults", "unit", NULL};
static const char *const keys_timeline[] = {
    "name", "type", "model", "noise", "initial", "points", "faults", "unit", NULL};
static const char *const keys_random_walk[] = {
    "name", "type", "model", "noise",  "start",
    "step", "min",  "max",   "period", "faults", "unit", NULL};
static const char *const keys_poisson[] = {"name", "type",  "model",
                                           "rate", "pulse", "faults", "unit", NULL};
static const char *const keys_periodic[] = {
    "name", "type", "model",  "noise", "shape", "period",
    "min",  "max",  "sample", "phase", "faults", "unit", NULL};
static const char *const keys_battery[] = {
    "name",  "type",   "model",  "noise",  "start",
    "drain", "charge", "docked", "sample", "faults", "unit", NULL};
static const char *const *const model_keys[] = {
    NULL,         keys_constant, keys_timeline, keys_random_walk,
    keys_poisson, keys_periodic, keys_battery,
};

/* Requires key in map; the message names the sensor. */
static int
need(loader *ld, const yaml_node_t *map, const purr_sensor_spec *s,
     const char *key, yaml_node_t **out)
{
    *out = get(ld, map, key);
    if (!*out)
        return fail(ld, map, "%s sensor '%s' needs '%s'",
                    purr_sensor_model_name(s->model), s->name, key);
    return 0;
}

static bool
is_numeric(purr_type t)
{
    return t == PURR_T_INT || t == PURR_T_DOUBLE;
}

/* Requires a numeric type for numeric models. */
static int
want_numeric(loader *ld, const yaml_node_t *type_node, const yaml_node_t *map,
             const purr_sensor_spec *s)
{
    if (is_numeric(s->type))
        return 0;
    return fail(ld, type_node ? type_node : map,
                "%s sensor '%s' must have type int or double",
                purr_sensor_model_name(s->model), s->name);
}

static int
parse_timeline(loader *ld, const yaml_node_t *map, purr_sensor_spec *s)
{
    yaml_node_t *points;
    int rc;
    if ((rc = need(ld, map, s, "points", &points)) < 0 ||
        (rc = want_sequence(ld, points, "points")) < 0)
        return rc;
    size_t n = (size_t)(points->data.sequence.items.top -
                        points->data.sequence.items.start);
    s->timeline.points = purr__sim_calloc(n, sizeof *s->timeline.points);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *pt = node_at(ld, points->data.sequence.items.start[i]);
        if (pt->type != YAML_SEQUENCE_NODE ||
            pt->data.sequence.items.top - pt->data.sequence.items.start != 2)
            return fail(ld, pt, "expected a point [time, value], got %s",
                        pt->type == YAML_SEQUENCE_NODE ? "a list of another "
                                                         "length"
                                                       : kind_name(pt));
        purr_timeline_point *p = &s->timeline.points[i];
        yaml_node_t *at = node_at(ld, pt->data.sequence.items.start[0]);
        yaml_node_t *val = node_at(ld, pt->data.sequence.items.start[1]);
        p->pos = pos_of(pt);
        if ((rc = get_duration(ld, at, "point time", &p->at_ns)) < 0)
            return rc;
        if (i > 0 && p->at_ns < s->timeline.points[i - 1].at_ns)
            return fail(ld, at,
                        "timeline points must be in time order ('%s' comes "
                        "before the previous point)",
                        scalar(at));
        if ((rc = get_datum(ld, val, s->type, "point value", &p->value)) < 0)
            return rc;
        s->timeline.count = i + 1;
    }
    yaml_node_t *initial = get(ld, map, "initial");
    if (initial)
        return get_datum(ld, initial, s->type, "initial", &s->initial);
    return 0;
}

static int
parse_model(loader *ld, const yaml_node_t *map, const yaml_node_t *type_node,
            purr_sensor_spec *s)
{
    yaml_node_t *n;
    int rc = 0;
    switch (s->model) {
    case PURR_MODEL_CONSTANT:
        if ((rc = need(ld, map, s, "value", &n)) < 0 ||
            (rc = get_datum(ld, n, s->type, "value", &s->initial)) < 0)
            return rc;
        if ((n = get(ld, map, "sample")))
            rc = get_positive_duration(ld, n, "sample", &s->constant.sample_ns);
        return rc;
    case PURR_MODEL_TIMELINE:
        return parse_timeline(ld, map, s);
    case PURR_MODEL_RANDOM_WALK: {
        double start;
        if ((rc = want_numeric(ld, type_node, map, s)) < 0 ||
            (rc = need(ld, map, s, "start", &n)) < 0 ||
            (rc = get_double(ld, n, "start", &start)) < 0 ||
            (rc = need(ld, map, s, "step", &n)) < 0 ||
            (rc = get_double(ld, n, "step", &s->random_walk.step)) < 0 ||
            (rc = need(ld, map, s, "min", &n)) < 0 ||
            (rc = get_double(ld, n, "min", &s->random_walk.min)) < 0 ||
            (rc = need(ld, map, s, "max", &n)) < 0 ||
            (rc = get_double(ld, n, "max", &s->random_walk.max)) < 0 ||
            (rc = need(ld, map, s, "period", &n)) < 0 ||
            (rc = get_positive_duration(ld, n, "period",
                                        &s->random_walk.period_ns)) < 0)
            return rc;
        if (s->random_walk.min > s->random_walk.max)
            return fail(ld, map, "random_walk sensor '%s': min > max", s->name);
        s->initial = s->type == PURR_T_INT
                         ? purr_datum_int((int64_t)llround(start))
                         : purr_datum_double(start);
        return 0;
    }
    case PURR_MODEL_POISSON:
        if (s->type != PURR_T_BOOL)
            return fail(ld, type_node ? type_node : map,
                        "poisson sensor '%s' must have type bool", s->name);
        if ((rc = need(ld, map, s, "rate", &n)) < 0 ||
            (rc = get_double(ld, n, "rate", &s->poisson.rate_per_hour)) < 0)
            return rc;
        if (s->poisson.rate_per_hour <= 0)
            return fail(ld, n, "'rate' must be above 0 (events per hour)");
        s->poisson.pulse_ns = PURR_S;
        if ((n = get(ld, map, "pulse")))
            rc = get_positive_duration(ld, n, "pulse", &s->poisson.pulse_ns);
        s->initial = purr_datum_bool(false);
        return rc;
    case PURR_MODEL_PERIODIC:
        if ((rc = want_numeric(ld, type_node, map, s)) < 0 ||
            (rc = need(ld, map, s, "period", &n)) < 0 ||
            (rc = get_positive_duration(ld, n, "period",
                                        &s->periodic.period_ns)) < 0 ||
            (rc = need(ld, map, s, "min", &n)) < 0 ||
            (rc = get_double(ld, n, "min", &s->periodic.min)) < 0 ||
            (rc = need(ld, map, s, "max", &n)) < 0 ||
            (rc = get_double(ld, n, "max", &s->periodic.max)) < 0)
            return rc;
        if ((n = get(ld, map, "shape"))) {
            if ((rc = want_scalar(ld, n, "shape")) < 0)
                return rc;
            if (strcmp(scalar(n), "square") == 0)
                s->periodic.square = true;
            else if (strcmp(scalar(n), "sine") != 0)
                return fail(ld, n,
                            "unknown shape '%s' (expected one of: sine, "
                            "square)",
                            scalar(n));
        }
        s->periodic.sample_ns = s->periodic.square ? s->periodic.period_ns / 2
                                                   : s->periodic.period_ns / 60;
        if (s->periodic.sample_ns <= 0)
            s->periodic.sample_ns = 1;
        if ((n = get(ld, map, "sample")) &&
            (rc = get_positive_duration(ld, n, "sample",
                                        &s->periodic.sample_ns)) < 0)
            return rc;
        if ((n = get(ld, map, "phase")) &&
            (rc = get_duration(ld, n, "phase", &s->periodic.phase_ns)) < 0)
            return rc;
        s->initial = purr__sensor_initial(s);
        return 0;
    case PURR_MODEL_BATTERY: {
        double start = 100.0;
        if (s->type != PURR_T_DOUBLE)
            return fail(ld, type_node ? type_node : map,
                        "battery sensor '%s' must have type double", s->name);
        if ((n = get(ld, map, "start")) &&
            (rc = get_double(ld, n, "start", &start)) < 0)
            return rc;
        if ((rc = need(ld, map, s, "drain", &n)) < 0 ||
            (rc = get_double(ld, n, "drain", &s->battery.drain_per_hour)) < 0 ||
            (rc = need(ld, map, s, "charge", &n)) < 0 ||
            (rc = get_double(ld, n, "charge", &s->battery.charge_per_hour)) <
                0 ||
            (rc = need(ld, map, s, "docked", &n)) < 0 ||
            (rc = get_string(ld, n, "docked", &s->battery.docked)) < 0)
            return rc;
        s->battery.docked_pos = pos_of(n);
        s->battery.sample_ns = 60 * PURR_S;
        if ((n = get(ld, map, "sample")) &&
            (rc = get_positive_duration(ld, n, "sample",
                                        &s->battery.sample_ns)) < 0)
            return rc;
        s->initial = purr_datum_double(start);
        return 0;
    }
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Faults                                                                  */
/* ---------------------------------------------------------------------- */

static const char *const fault_names[] = {NULL, "dropout", "stuck", "spikes",
                                          "delay"};

static int
parse_fault(loader *ld, const yaml_node_t *map, const purr_sensor_spec *s,
            purr_fault_spec *f)
{
    static const char *const keys[] = {"kind", "at",    "for", "rate", "value",
                                       "size", "width", "by",  NULL};
    int rc;
    yaml_node_t *n;
    if ((rc = want_mapping(ld, map, "a fault")) < 0 ||
        (rc = check_keys(ld, map, keys, "a fault")) < 0)
        return rc;
    f->pos = pos_of(map);
    f->at_ns = -1;
    f->for_ns = PURR_TIME_NEVER;
    if (!(n = get(ld, map, "kind")))
        return fail(ld, map, "fault needs 'kind' (one of: dropout, stuck, "
                             "spikes, delay)");
    if ((rc = want_scalar(ld, n, "kind")) < 0)
        return rc;
    for (int k = PURR_FAULT_DROPOUT; k <= PURR_FAULT_DELAY; k++)
        if (strcmp(scalar(n), fault_names[k]) == 0)
            f->kind = (purr_fault_kind)k;
    if (!f->kind)
        return fail(ld, n,
                    "unknown fault '%s' (expected one of: dropout, stuck, "
                    "spikes, delay)",
                    scalar(n));
    /* Keys that only some kinds take. */
    static const struct {
        const char *key;
        purr_fault_kind kind;
    } only[] = {{"value", PURR_FAULT_STUCK},
                {"size", PURR_FAULT_SPIKES},
                {"width", PURR_FAULT_SPIKES},
                {"by", PURR_FAULT_DELAY}};
    for (size_t i = 0; i < sizeof only / sizeof only[0]; i++)
        if ((n = get(ld, map, only[i].key)) && f->kind != only[i].kind)
            return fail(ld, n, "'%s' is only for '%s' faults", only[i].key,
                        fault_names[only[i].kind]);
    yaml_node_t *at = get(ld, map, "at"), *len = get(ld, map, "for");
    yaml_node_t *rate = get(ld, map, "rate");
    if (at && (rc = get_duration(ld, at, "at", &f->at_ns)) < 0)
        return rc;
    if (len && (rc = get_positive_duration(ld, len, "for", &f->for_ns)) < 0)
        return rc;
    if (rate) {
        if ((rc = get_double(ld, rate, "rate", &f->rate_per_hour)) < 0)
            return rc;
        if (f->rate_per_hour <= 0)
            return fail(ld, rate, "'rate' must be above 0 (per hour)");
    }
    if (f->kind == PURR_FAULT_SPIKES) {
        if (!rate)
            return fail(ld, map, "'spikes' needs 'rate' (outliers per hour)");
        if (!at != !len)
            return fail(ld, map, "'spikes' takes both 'at' and 'for' (a "
                                 "window) or neither (the whole run)");
        if (s->type != PURR_T_BOOL && !is_numeric(s->type))
            return fail(ld, map, "'spikes' needs a bool, int or double "
                                 "sensor");
        if (is_numeric(s->type)) {
            if (!(n = get(ld, map, "size")))
                return fail(ld, map, "'spikes' on a number needs 'size' (how "
                                     "far an outlier is)");
            if ((rc = get_double(ld, n, "size", &f->size)) < 0)
                return rc;
        }
        f->width_ns = 100 * PURR_MS;
        if ((n = get(ld, map, "width")) &&
            (rc = get_positive_duration(ld, n, "width", &f->width_ns)) < 0)
            return rc;
        return 0;
    }
    if (!len)
        return fail(ld, map, "'%s' needs 'for' (how long each fault lasts)",
                    fault_names[f->kind]);
    if (!at == !rate)
        return fail(ld, map,
                    "'%s' needs either 'at' (a scripted time) or 'rate' "
                    "(faults per hour, at random)",
                    fault_names[f->kind]);
    if (f->kind == PURR_FAULT_STUCK && (n = get(ld, map, "value"))) {
        if ((rc = get_datum(ld, n, s->type, "value", &f->value)) < 0)
            return rc;
        f->has_value = true;
    }
    if (f->kind == PURR_FAULT_DELAY) {
        if (!(n = get(ld, map, "by")))
            return fail(ld, map, "'delay' needs 'by' (how late updates "
                                 "arrive)");
        if ((rc = get_positive_duration(ld, n, "by", &f->by_ns)) < 0)
            return rc;
    }
    return 0;
}

static int
parse_faults(loader *ld, const yaml_node_t *seq, purr_sensor_spec *s)
{
    int rc;
    if ((rc = want_sequence(ld, seq, "faults")) < 0)
        return rc;
    size_t n =
        (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    s->faults = purr__sim_calloc(n, sizeof *s->faults);
    for (size_t i = 0; i < n; i++) {
        s->fault_count = i + 1;
        if ((rc = parse_fault(ld, node_at(ld, seq->data.sequence.items.start[i]),
                              s, &s->faults[i])) < 0)
            return rc;
    }
    return 0;
}

static int
parse_sensor(loader *ld, const yaml_node_t *map, purr_sensor_spec *s)
{
    static const char *const common[] = {
        "name",   "type",  "model", "noise", "value",  "sample", "initial",
        "points", "start", "step",  "min",   "max",    "period", "rate",
        "pulse",  "shape", "phase", "drain", "charge", "docked", "faults", "unit", NULL};
    int rc;
    if ((rc = want_mapping(ld, map, "a sensor")) < 0 ||
        (rc = check_keys(ld, map, common, "sensor")) < 0)
        return rc;
    s->pos = pos_of(map);
    yaml_node_t *n = get(ld, map, "name");
    if (!n)
        return fail(ld, map, "sensor needs 'name'");
    if ((rc = get_string(ld, n, "name", &s->name)) < 0)
        return rc;
    if (s->name[0] == '\0')
        return fail(ld, n, "sensor name must not be empty");

    yaml_node_t *type_node = get(ld, map, "type");
    if (!type_node)
        return fail(ld, map, "sensor '%s' needs 'type'", s->name);
    if ((rc = want_scalar(ld, type_node, "type")) < 0)
        return rc;
    static const struct {
        const char *name;
        purr_type type;
    } types[] = {{"bool", PURR_T_BOOL},
                 {"int", PURR_T_INT},
                 {"double", PURR_T_DOUBLE},
                 {"string", PURR_T_STRING}};
    s->type = PURR_T_NIL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(scalar(type_node), types[i].name) == 0)
            s->type = types[i].type;
    if (s->type == PURR_T_NIL)
        return fail(ld, type_node,
                    "unknown sensor type '%s' (expected one of: bool, int, "
                    "double, string)",
                    scalar(type_node));

    yaml_node_t *model = get(ld, map, "model");
    if (!model)
        return fail(ld, map, "sensor '%s' needs 'model' (one of: %s)", s->name,
                    MODEL_LIST);
    if ((rc = want_scalar(ld, model, "model")) < 0)
        return rc;
    for (int m = PURR_MODEL_CONSTANT; m <= PURR_MODEL_BATTERY; m++)
        if (strcmp(scalar(model), model_names[m]) == 0)
            s->model = (purr_sensor_model)m;
    if (!s->model)
        return fail(ld, model,
                    "unknown sensor model '%s' (expected one of: %s)",
                    scalar(model), MODEL_LIST);

    char what[64];
    snprintf(what, sizeof what, "a %s sensor", model_names[s->model]);
    if ((rc = check_keys(ld, map, model_keys[s->model], what)) < 0)
        return rc;
    if ((rc = parse_model(ld, map, type_node, s)) < 0)
        return rc;
    if (s->initial.type == PURR_T_NIL) /* the model left the type's zero */
        s->initial = s->type == PURR_T_BOOL     ? purr_datum_bool(false)
                     : s->type == PURR_T_INT    ? purr_datum_int(0)
                     : s->type == PURR_T_DOUBLE ? purr_datum_double(0.0)
                                                : purr_datum_string("");

    if ((n = get(ld, map, "noise"))) {
        if (!is_numeric(s->type))
            return fail(ld, n, "'noise' needs a sensor of type int or double");
        if ((rc = get_double(ld, n, "noise", &s->noise_sigma)) < 0)
            return rc;
        if (s->noise_sigma < 0)
            return fail(ld, n, "'noise' (the gaussian sigma) must be >= 0");
    }
    if ((n = get(ld, map, "faults")) && (rc = parse_faults(ld, n, s)) < 0)
        return rc;
    if ((n = get(ld, map, "unit")) &&
        (rc = purr__scene_unit_parse(ld, n, &s->unit)) < 0)
        return rc;
    return 0;
}

static int
parse_sensors(loader *ld, const yaml_node_t *seq)
{
    int rc;
    if ((rc = want_sequence(ld, seq, "sensors")) < 0)
        return rc;
    purr_scene *sc = ld->scene;
    size_t n =
        (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    sc->sensors = purr__sim_calloc(n, sizeof *sc->sensors);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *map = node_at(ld, seq->data.sequence.items.start[i]);
        sc->sensor_count = i + 1; /* counted first: freed even if partial */
        if ((rc = parse_sensor(ld, map, &sc->sensors[i])) < 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(sc->sensors[j].name, sc->sensors[i].name) == 0)
                return fail(ld, get(ld, map, "name"),
                            "duplicate sensor '%s' (first at %ld:%ld)",
                            sc->sensors[i].name, sc->sensors[j].pos.line,
                            sc->sensors[j].pos.column);
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Behaviours and expectations                                             */
/* ---------------------------------------------------------------------- */

static int
parse_behaviour(loader *ld, const yaml_node_t *node, purr_behaviour_spec *b)
{
    static const char *const keys[] = {"name", "params", NULL};
    yaml_node_t *name = (yaml_node_t *)node;
    yaml_node_t *params = NULL;
    int rc;
    b->pos = pos_of(node);
    if (node->type == YAML_MAPPING_NODE) {
        if ((rc = check_keys(ld, node, keys, "behaviour")) < 0)
            return rc;
        if (!(name = get(ld, node, "name")))
            return fail(ld, node, "behaviour needs 'name'");
        params = get(ld, node, "params");
    } else if (node->type != YAML_SCALAR_NODE) {
        return fail(ld, node, "expected a behaviour name or mapping, got %s",
                    kind_name(node));
    }
    if ((rc = get_string(ld, name, "name", &b->name)) < 0)
        return rc;
    if (!(ld->flags & PURR_SCENE_ANY_BEHAVIOUR) &&
        !purr_sim_is_registered(b->name)) {
        char names[160];
        purr_sim_registered_names(names, sizeof names);
        return fail(ld, name, "unknown behaviour '%s' (registered: %s)",
                    b->name, names);
    }
    if (!params)
        return 0;
    if ((rc = want_mapping(ld, params, "'params'")) < 0)
        return rc;
    size_t n = (size_t)(params->data.mapping.pairs.top -
                        params->data.mapping.pairs.start);
    b->params = purr__sim_calloc(n, sizeof *b->params);
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &params->data.mapping.pairs.start[i];
        yaml_node_t *k = node_at(ld, p->key), *v = node_at(ld, p->value);
        if ((rc = want_scalar(ld, k, "params")) < 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(b->params[j].key, scalar(k)) == 0)
                return fail(ld, k, "duplicate key '%s'", scalar(k));
        if ((rc = want_scalar(ld, v, scalar(k))) < 0)
            return rc;
        b->params[i].key = purr__sim_strdup(scalar(k));
        b->params[i].value = purr__sim_strdup(scalar(v));
        b->params[i].pos = pos_of(v);
        b->param_count = i + 1;
    }
    return 0;
}

/* Predicates: the string shorthand ("battery >= 20", "docked",
 * "not docked", "mood == 'angry'") or the mapping forms ({value, op,
 * than}, {all: [...]}, {any: [...]}, {not: P}). Both build the same tree.
 * The literal's text is kept; it is converted to the value's type at
 * setup, when every value exists. */

static const char *const op_names[] = {NULL, "==", "!=", "<", "<=", ">", ">="};

const char *
purr__cmp_op_name(purr_cmp_op op)
{
    return op >= PURR_CMP_EQ && op <= PURR_CMP_GE ? op_names[op] : "?";
}

static bool
is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
           c == ':' || c == '/';
}

/* Parses the shorthand text of node into p. */
static int
parse_pred_text(loader *ld, const yaml_node_t *node, purr_pred_spec *p)
{
    static const char grammar[] =
        "expected a predicate such as 'battery >= 20', 'docked' or 'not "
        "docked'";
    const char *s = scalar(node);
    while (*s == ' ')
        s++;
    bool negate = false;
    if (strncmp(s, "not ", 4) == 0) {
        negate = true;
        for (s += 4; *s == ' '; s++)
            ;
    }
    const char *name = s;
    while (is_name_char(*s))
        s++;
    size_t name_len = (size_t)(s - name);
    if (name_len == 0)
        return fail(ld, node, "%s, got '%s'", grammar, scalar(node));
    while (*s == ' ')
        s++;
    purr_pred_spec leaf = {0};
    leaf.pos = pos_of(node);
    leaf.value = purr__sim_calloc(1, name_len + 1);
    memcpy(leaf.value, name, name_len);
    if (*s == '\0') {
        leaf.kind = PURR_PRED_TRUTHY;
    } else {
        leaf.kind = PURR_PRED_CMP;
        for (int op = PURR_CMP_GE; op >= PURR_CMP_EQ; op--) {
            size_t n = strlen(op_names[op]);
            /* Two-character operators first: "<=" is not "<" then "=". */
            if (strncmp(s, op_names[op], n) == 0 &&
                (n == 2 || (s[1] != '=' && s[1] != '>'))) {
                leaf.op = (purr_cmp_op)op;
                s += n;
                break;
            }
        }
        while (*s == ' ')
            s++;
        size_t len = strlen(s);
        while (len > 0 && s[len - 1] == ' ')
            len--;
        if (!leaf.op || negate || len == 0) {
            free(leaf.value);
            return fail(ld, node, "%s, got '%s'", grammar, scalar(node));
        }
        if (len >= 2 && (s[0] == '\'' || s[0] == '"') && s[len - 1] == s[0]) {
            s++;
            len -= 2;
        }
        leaf.than = purr__sim_calloc(1, len + 1);
        memcpy(leaf.than, s, len);
        leaf.than_pos = leaf.pos;
    }
    if (!negate) {
        *p = leaf;
        return 0;
    }
    p->kind = PURR_PRED_NOT;
    p->pos = leaf.pos;
    p->items = purr__sim_calloc(1, sizeof *p->items);
    p->items[0] = leaf;
    p->count = 1;
    return 0;
}

static int
parse_pred(loader *ld, const yaml_node_t *node, purr_pred_spec *p)
{
    static const char *const keys[] = {"value", "op",  "than", "all",
                                       "any",   "not", NULL};
    int rc;
    if (node->type == YAML_SCALAR_NODE)
        return parse_pred_text(ld, node, p);
    if (node->type != YAML_MAPPING_NODE)
        return fail(ld, node, "expected a predicate (text or mapping), got %s",
                    kind_name(node));
    if ((rc = check_keys(ld, node, keys, "a predicate")) < 0)
        return rc;
    p->pos = pos_of(node);
    yaml_node_t *n;
    if ((n = get(ld, node, "all")) || (n = get(ld, node, "any"))) {
        p->kind = get(ld, node, "all") ? PURR_PRED_ALL : PURR_PRED_ANY;
        if (node->data.mapping.pairs.top - node->data.mapping.pairs.start != 1)
            return fail(ld, node,
                        "'all' and 'any' take a list of predicates and no "
                        "other key");
        if ((rc = want_sequence(ld, n, p->kind == PURR_PRED_ALL ? "all"
                                                                : "any")) < 0)
            return rc;
        size_t count =
            (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (count == 0)
            return fail(ld, n, "expected at least one predicate in the list");
        p->items = purr__sim_calloc(count, sizeof *p->items);
        for (size_t i = 0; i < count; i++) {
            p->count = i + 1;
            if ((rc = parse_pred(ld, node_at(ld, n->data.sequence.items.start[i]),
                                 &p->items[i])) < 0)
                return rc;
        }
        return 0;
    }
    if ((n = get(ld, node, "not"))) {
        if (node->data.mapping.pairs.top - node->data.mapping.pairs.start != 1)
            return fail(ld, node, "'not' takes one predicate and no other key");
        p->kind = PURR_PRED_NOT;
        p->items = purr__sim_calloc(1, sizeof *p->items);
        p->count = 1;
        return parse_pred(ld, n, &p->items[0]);
    }
    if (!(n = get(ld, node, "value")))
        return fail(ld, node, "a predicate needs 'value', 'all', 'any' or "
                              "'not'");
    if ((rc = get_string(ld, n, "value", &p->value)) < 0)
        return rc;
    yaml_node_t *op = get(ld, node, "op"), *than = get(ld, node, "than");
    if (!op && !than) {
        p->kind = PURR_PRED_TRUTHY;
        return 0;
    }
    if (!op || !than)
        return fail(ld, node, "a comparison needs both 'op' and 'than'");
    if ((rc = want_scalar(ld, op, "op")) < 0)
        return rc;
    p->kind = PURR_PRED_CMP;
    for (int o = PURR_CMP_EQ; o <= PURR_CMP_GE; o++)
        if (strcmp(scalar(op), op_names[o]) == 0)
            p->op = (purr_cmp_op)o;
    if (!p->op)
        return fail(ld, op,
                    "unknown operator '%s' (expected one of: ==, !=, <, <=, "
                    ">, >=)",
                    scalar(op));
    p->than_pos = pos_of(than);
    return get_string(ld, than, "than", &p->than);
}

void
purr__pred_free(purr_pred_spec *p)
{
    free(p->value);
    free(p->than);
    for (size_t i = 0; i < p->count; i++)
        purr__pred_free(&p->items[i]);
    free(p->items);
    memset(p, 0, sizeof *p);
}

static int
parse_eventually(loader *ld, const yaml_node_t *map, purr_expect_spec *e)
{
    static const char *const keys[] = {"after", "then", "within", NULL};
    int rc;
    yaml_node_t *n;
    if ((rc = want_mapping(ld, map, "'eventually' (after, then, within)")) <
            0 ||
        (rc = check_keys(ld, map, keys, "eventually")) < 0)
        return rc;
    if (!(n = get(ld, map, "then")))
        return fail(ld, map, "'eventually' needs 'then' (what must become "
                             "true)");
    if ((rc = parse_pred(ld, n, &e->pred)) < 0)
        return rc;
    if ((n = get(ld, map, "after")) && (rc = parse_pred(ld, n, &e->after)) < 0)
        return rc;
    if ((n = get(ld, map, "within")) &&
        (rc = get_positive_duration(ld, n, "within", &e->within_ns)) < 0)
        return rc;
    return 0;
}

static int
parse_count(loader *ld, const yaml_node_t *map, purr_expect_spec *e)
{
    static const char *const keys[] = {"value", "transitions", NULL};
    static const char *const bounds[] = {"min", "max", NULL};
    int rc;
    yaml_node_t *n, *t;
    if ((rc = want_mapping(ld, map, "'count' (value, transitions)")) < 0 ||
        (rc = check_keys(ld, map, keys, "count")) < 0)
        return rc;
    if (!(n = get(ld, map, "value")))
        return fail(ld, map, "'count' needs 'value'");
    if ((rc = get_string(ld, n, "value", &e->value)) < 0)
        return rc;
    if (!(t = get(ld, map, "transitions")))
        return fail(ld, map, "'count' needs 'transitions' ({min: N, max: N})");
    if ((rc = want_mapping(ld, t, "'transitions' (min, max)")) < 0 ||
        (rc = check_keys(ld, t, bounds, "transitions")) < 0)
        return rc;
    if ((n = get(ld, t, "min")) && (rc = get_int(ld, n, "min", &e->min)) < 0)
        return rc;
    if ((n = get(ld, t, "max")) && (rc = get_int(ld, n, "max", &e->max)) < 0)
        return rc;
    if (e->min < 0 || e->min > e->max)
        return fail(ld, t, "'transitions' needs 0 <= min <= max");
    return 0;
}

static int
parse_expect(loader *ld, const yaml_node_t *map, purr_expect_spec *e)
{
    static const char *const kinds[] = {NULL, "always", "never", "eventually",
                                        "count", NULL};
    int rc;
    if ((rc = want_mapping(ld, map, "an expectation")) < 0 ||
        (rc = check_keys(ld, map, kinds + 1, "expectation")) < 0)
        return rc;
    e->pos = pos_of(map);
    e->within_ns = PURR_TIME_NEVER;
    e->max = INT64_MAX;
    if (map->data.mapping.pairs.top - map->data.mapping.pairs.start != 1)
        return fail(ld, map,
                    "an expectation has exactly one of always, never, "
                    "eventually, count");
    yaml_node_t *key = node_at(ld, map->data.mapping.pairs.start[0].key);
    yaml_node_t *body = node_at(ld, map->data.mapping.pairs.start[0].value);
    for (int k = PURR_EXPECT_ALWAYS; k <= PURR_EXPECT_COUNT; k++)
        if (strcmp(scalar(key), kinds[k]) == 0)
            e->kind = (purr_expect_kind)k;
    switch (e->kind) {
    case PURR_EXPECT_EVENTUALLY:
        return parse_eventually(ld, body, e);
    case PURR_EXPECT_COUNT:
        return parse_count(ld, body, e);
    default:
        return parse_pred(ld, body, &e->pred);
    }
}

static int
parse_list(loader *ld, const yaml_node_t *seq, const char *what,
           size_t elem_size, void **items, size_t *count,
           int (*each)(loader *, const yaml_node_t *, void *))
{
    int rc;
    if ((rc = want_sequence(ld, seq, what)) < 0)
        return rc;
    size_t n =
        (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    *items = purr__sim_calloc(n, elem_size);
    for (size_t i = 0; i < n; i++) {
        *count = i + 1;
        yaml_node_t *node = node_at(ld, seq->data.sequence.items.start[i]);
        if ((rc = each(ld, node, (char *)*items + i * elem_size)) < 0)
            return rc;
    }
    return 0;
}

static int
each_behaviour(loader *ld, const yaml_node_t *node, void *item)
{
    return parse_behaviour(ld, node, item);
}

static int
each_expect(loader *ld, const yaml_node_t *node, void *item)
{
    return parse_expect(ld, node, item);
}

/* ---------------------------------------------------------------------- */
/* Plug-ins                                                                */
/* ---------------------------------------------------------------------- */

/* The path of `load:` entry text: absolute as it is, relative to the
 * scene file's directory (to the working directory when file names
 * none). Owned by the caller. */
static char *
resolve_load(const char *file, const char *text)
{
    const char *slash = file ? strrchr(file, '/') : NULL;
    if (text[0] == '/' || !slash)
        return purr__sim_strdup(text);
    size_t dir = (size_t)(slash - file) + 1; /* with the '/' */
    size_t len = strlen(text);
    char *path = purr__sim_calloc(1, dir + len + 1);
    memcpy(path, file, dir);
    memcpy(path + dir, text, len);
    return path;
}

/* `load:` (a path or a list of paths): resolves each entry into the
 * scene's loads and loads it, in order, unless PURR_SCENE_NO_LOAD. A
 * plug-in's error is placed at its entry, with the plug-in's message. */
static int
parse_loads(loader *ld, const yaml_node_t *node)
{
    purr_scene *sc = ld->scene;
    yaml_node_item_t *items = NULL;
    size_t n = 1;
    int rc;
    if (node->type == YAML_SEQUENCE_NODE) {
        items = node->data.sequence.items.start;
        n = (size_t)(node->data.sequence.items.top - items);
    } else if (node->type != YAML_SCALAR_NODE) {
        return fail(ld, node,
                    "expected a plug-in path or a list of them for 'load', "
                    "got %s",
                    kind_name(node));
    }
    sc->loads = purr__sim_calloc(n ? n : 1, sizeof *sc->loads);
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *item = items ? node_at(ld, items[i]) : node;
        if ((rc = want_scalar(ld, item, "load")) < 0)
            return rc;
        if (!scalar(item)[0])
            return fail(ld, item, "expected a plug-in path for 'load', got ''");
        sc->loads[i] = resolve_load(ld->file, scalar(item));
        sc->load_count = i + 1;
        if (ld->flags & PURR_SCENE_NO_LOAD)
            continue;
        purr_diag pd = {0};
        if ((rc = purr_sim_plugin_load(sc->loads[i], &pd)) < 0) {
            fail(ld, item, "plug-in %s: %s", sc->loads[i], pd.message);
            return rc;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* The walker's helpers, for the loader's other files (scene_int.h)        */
/* ---------------------------------------------------------------------- */

int
purr__scene_fail(loader *ld, const yaml_node_t *node, const char *fmt, ...)
{
    purr_scene_pos pos = pos_of(node);
    va_list ap;
    va_start(ap, fmt);
    purr__sim_vdiag(ld->diag, ld->file, pos.line, pos.column, fmt, ap);
    va_end(ap);
    return PURR_EFORMAT;
}

purr_scene_pos
purr__scene_pos(const yaml_node_t *node)
{
    return pos_of(node);
}

yaml_node_t *
purr__scene_node(loader *ld, int index)
{
    return node_at(ld, index);
}

int
purr__scene_want_kind(loader *ld, const yaml_node_t *node,
                      yaml_node_type_t type, const char *what)
{
    return want_kind(ld, node, type, what, true);
}

int
purr__scene_check_keys(loader *ld, const yaml_node_t *map,
                       const char *const *allowed, const char *what)
{
    return check_keys(ld, map, allowed, what);
}

yaml_node_t *
purr__scene_get(loader *ld, const yaml_node_t *map, const char *key)
{
    return get(ld, map, key);
}

int
purr__scene_get_double(loader *ld, const yaml_node_t *node, const char *what,
                       double *out)
{
    return get_double(ld, node, what, out);
}

int
purr__scene_get_string(loader *ld, const yaml_node_t *node, const char *what,
                       char **out)
{
    return get_string(ld, node, what, out);
}

/* ---------------------------------------------------------------------- */
/* The document                                                            */
/* ---------------------------------------------------------------------- */

static int
parse_root(loader *ld, const yaml_node_t *root)
{
    static const char *const keys[] = {
        "name",       "seed",   "duration", "sensors",
        "behaviours", "expect", "load",     "view", NULL};
    purr_scene *sc = ld->scene;
    yaml_node_t *n;
    int rc;
    if ((rc = want_mapping(ld, root, "the scene")) < 0 ||
        (rc = check_keys(ld, root, keys, "the scene")) < 0)
        return rc;
    if (!(n = get(ld, root, "name")))
        return fail(ld, root, "scene needs 'name'");
    if ((rc = get_string(ld, n, "name", &sc->name)) < 0)
        return rc;
    if ((n = get(ld, root, "seed"))) {
        if ((rc = want_scalar(ld, n, "seed")) < 0)
            return rc;
        const char *s = scalar(n);
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (*s < '0' || *s > '9' || *end != '\0' || errno == ERANGE)
            return fail(ld, n,
                        "expected an unsigned 64-bit integer for 'seed', got "
                        "'%s'",
                        s);
        sc->seed = v;
    }
    if (!(n = get(ld, root, "duration")))
        return fail(ld, root, "scene needs 'duration' (e.g. 24h, 90s)");
    if ((rc = get_positive_duration(ld, n, "duration", &sc->duration_ns)) < 0)
        return rc;
    if ((n = get(ld, root, "sensors")) && (rc = parse_sensors(ld, n)) < 0)
        return rc;
    /* Before the behaviours, whose names must be registered. */
    if ((n = get(ld, root, "load")) && (rc = parse_loads(ld, n)) < 0)
        return rc;
    if ((n = get(ld, root, "behaviours")) &&
        (rc = parse_list(ld, n, "behaviours", sizeof *sc->behaviours,
                         (void **)&sc->behaviours, &sc->behaviour_count,
                         each_behaviour)) < 0)
        return rc;
    if ((n = get(ld, root, "expect")) &&
        (rc = parse_list(ld, n, "expect", sizeof *sc->expects,
                         (void **)&sc->expects, &sc->expect_count,
                         each_expect)) < 0)
        return rc;
    if ((n = get(ld, root, "view")) &&
        (rc = purr__scene_view_parse(ld, n, &sc->view)) < 0)
        return rc;
    return 0;
}

/* A scene is one YAML document: reads on from the end of the first and
 * fails with the position of a second one (after `---`), or of a syntax
 * error there, since nothing in a scene is silently ignored. Returns 0 or
 * PURR_EFORMAT with diag set. */
static int
refuse_more_documents(yaml_parser_t *parser, const char *file, purr_diag *diag)
{
    yaml_document_t next;
    if (!yaml_parser_load(parser, &next)) {
        yaml_mark_t m = parser->problem_mark;
        if (parser->error == YAML_MEMORY_ERROR)
            oom(sizeof next);
        purr_diag_set(diag, file, (long)m.line + 1, (long)m.column + 1,
                      "YAML syntax error: %s",
                      parser->problem ? parser->problem : "malformed YAML");
        return PURR_EFORMAT;
    }
    bool more = yaml_document_get_root_node(&next) != NULL;
    yaml_mark_t at = next.start_mark;
    yaml_document_delete(&next);
    if (!more)
        return 0;
    purr_diag_set(diag, file, (long)at.line + 1, (long)at.column + 1,
                  "a second YAML document: a scene is one document (remove "
                  "the '---' and what follows, or merge it into the first)");
    return PURR_EFORMAT;
}

int
purr_scene_parse(const char *text, size_t len, const char *file,
                 purr_scene **scene, purr_diag *diag)
{
    return purr_scene_parse_flags(text, len, file, 0, scene, diag);
}

int
purr_scene_parse_flags(const char *text, size_t len, const char *file,
                  unsigned flags, purr_scene **scene, purr_diag *diag)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    int rc;
    *scene = NULL;
    /* The same bound as purr_scene_load's, for text that comes from
     * elsewhere (a recording's scene_text). */
    if (len > PURR_SCENE_MAX_BYTES) {
        purr_diag_set(diag, file, 0, 0,
                      "larger than %d MiB (%zu bytes): not a scene",
                      PURR_SCENE_MAX_BYTES >> 20, len);
        return PURR_EFORMAT;
    }
    if (!yaml_parser_initialize(&parser))
        oom(sizeof parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_mark_t m = parser.problem_mark;
        if (parser.error == YAML_MEMORY_ERROR)
            oom(len);
        purr_diag_set(diag, file, (long)m.line + 1, (long)m.column + 1,
                       "YAML syntax error: %s%s%s%s",
                       parser.problem ? parser.problem : "malformed YAML",
                       parser.context ? " (" : "",
                       parser.context ? parser.context : "",
                       parser.context ? ")" : "");
        yaml_parser_delete(&parser);
        return PURR_EFORMAT;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        purr_diag_set(diag, file, 1, 1, "empty scene file");
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        return PURR_EFORMAT;
    }
    if ((rc = refuse_more_documents(&parser, file, diag)) < 0) {
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        return rc;
    }
    purr_scene *sc = purr__sim_calloc(1, sizeof *sc);
    sc->file = purr__sim_strdup(file);
    sc->text = purr__sim_calloc(1, len + 1);
    memcpy(sc->text, text, len);
    sc->text_len = len;
    /* FNV-1a 64, as purr import's and the plug-ins' */
    sc->hash = purr__fnv1a_bytes(PURR__FNV_OFFSET, text, len);
    loader ld = {&doc, file, diag, sc, flags};
    rc = parse_root(&ld, root);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc < 0) {
        purr_scene_free(sc);
        return rc;
    }
    *scene = sc;
    return 0;
}

int
purr_scene_load(const char *path, purr_scene **scene, purr_diag *diag)
{
    return purr_scene_load_flags(path, 0, scene, diag);
}

int
purr_scene_load_flags(const char *path, unsigned flags, purr_scene **scene,
                      purr_diag *diag)
{
    *scene = NULL;
    if (!path[0]) {
        purr_diag_set(diag, "", 0, 0, "no scene file given (an empty path)");
        return PURR_ENOENT;
    }
    /* O_NONBLOCK: opening a FIFO for reading would wait for a writer; the
     * file is refused below unless it is regular, where the flag does
     * nothing. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        purr_diag_set(diag, path, 0, 0, "cannot open the scene: %s",
                       strerror(errno));
        return PURR_ENOENT;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        purr_diag_set(diag, path, 0, 0,
                      "not a regular file (a scene must be a YAML file)");
        return PURR_EFORMAT;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        purr_diag_set(diag, path, 0, 0, "cannot open the scene: %s",
                      strerror(errno));
        return PURR_ENOENT;
    }
    /* The size is checked before reading and again as the bytes come:
     * the file may grow meanwhile. */
    size_t cap = 4096, len = 0;
    char *buf = NULL;
    if (st.st_size <= PURR_SCENE_MAX_BYTES) {
        buf = purr__sim_calloc(1, cap);
        size_t got;
        while (len <= PURR_SCENE_MAX_BYTES &&
               (got = fread(buf + len, 1, cap - len, f)) > 0) {
            len += got;
            if (len == cap)
                buf = purr__sim_realloc(buf, cap *= 2);
        }
    }
    if (!buf || len > PURR_SCENE_MAX_BYTES) {
        fclose(f);
        free(buf);
        purr_diag_set(diag, path, 0, 0, "larger than %d MiB: not a scene file",
                      PURR_SCENE_MAX_BYTES >> 20);
        return PURR_EFORMAT;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        purr_diag_set(diag, path, 0, 0, "cannot read the scene");
        return PURR_ENOENT;
    }
    int rc = purr_scene_parse_flags(buf, len, path, flags, scene, diag);
    free(buf);
    return rc;
}

void
purr_scene_free(purr_scene *sc)
{
    if (!sc)
        return;
    for (size_t i = 0; i < sc->sensor_count; i++) {
        purr_sensor_spec *s = &sc->sensors[i];
        free(s->name);
        purr_datum_free(&s->initial);
        for (size_t j = 0; j < s->timeline.count; j++)
            purr_datum_free(&s->timeline.points[j].value);
        free(s->timeline.points);
        free(s->battery.docked);
        for (size_t j = 0; j < s->fault_count; j++)
            purr_datum_free(&s->faults[j].value);
        free(s->faults);
        free(s->unit);
    }
    free(sc->sensors);
    for (size_t i = 0; i < sc->behaviour_count; i++) {
        purr_behaviour_spec *b = &sc->behaviours[i];
        free(b->name);
        for (size_t j = 0; j < b->param_count; j++) {
            free(b->params[j].key);
            free(b->params[j].value);
        }
        free(b->params);
    }
    free(sc->behaviours);
    for (size_t i = 0; i < sc->expect_count; i++) {
        purr__pred_free(&sc->expects[i].pred);
        purr__pred_free(&sc->expects[i].after);
        free(sc->expects[i].value);
    }
    free(sc->expects);
    for (size_t i = 0; i < sc->load_count; i++)
        free(sc->loads[i]);
    free(sc->loads);
    purr__scene_view_free(sc->view);
    free(sc->file);
    free(sc->text);
    free(sc->name);
    free(sc);
}
