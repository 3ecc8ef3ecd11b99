/* scene_sensors.c - the scene loader's `sensors:` list.
 *
 * Each sensor: its name, type and model, the keys its model takes (a key
 * of another model is an error naming the model's keys), its noise, its
 * `faults:` (dropout, stuck, spikes, delay) and its unit. Part of the
 * loader whose walker is in scene.c (scene_int.h); checks run in the
 * order of the sensor's keys as listed here, so a message is stable.
 */
#include "scene_int.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef purr__scene_loader loader; /* scene_int.h */

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
static const char *const keys_constant[] = {"name",   "type",  "model",
                                            "noise",  "value", "sample",
                                            "faults", "unit",  NULL};
static const char *const keys_timeline[] = {"name",   "type",    "model",
                                            "noise",  "initial", "points",
                                            "faults", "unit",    NULL};
static const char *const keys_random_walk[] = {
    "name", "type", "model",  "noise",  "start", "step",
    "min",  "max",  "period", "faults", "unit",  NULL};
static const char *const keys_poisson[] = {"name",  "type",   "model", "rate",
                                           "pulse", "faults", "unit",  NULL};
static const char *const keys_periodic[] = {
    "name", "type",   "model", "noise",  "shape", "period", "min",
    "max",  "sample", "phase", "faults", "unit",  NULL};
static const char *const keys_battery[] = {
    "name",   "type",   "model",  "noise",  "start", "drain",
    "charge", "docked", "sample", "faults", "unit",  NULL};
static const char *const *const model_keys[] = {
    NULL,         keys_constant, keys_timeline, keys_random_walk,
    keys_poisson, keys_periodic, keys_battery,
};

/* Requires key in map; the message names the sensor. */
static int
need(loader *ld, const yaml_node_t *map, const purr_sensor_spec *s,
     const char *key, yaml_node_t **out)
{
    *out = purr__scene_get(ld, map, key);
    if (!*out)
        return purr__scene_fail(ld, map, "%s sensor '%s' needs '%s'",
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
    return purr__scene_fail(ld, type_node ? type_node : map,
                            "%s sensor '%s' must have type int or double",
                            purr_sensor_model_name(s->model), s->name);
}

static int
parse_timeline(loader *ld, const yaml_node_t *map, purr_sensor_spec *s)
{
    yaml_node_t *points;
    int rc;
    if ((rc = need(ld, map, s, "points", &points)) < 0 ||
        (rc = purr__scene_want_sequence(ld, points, "points")) < 0)
        return rc;
    size_t n = (size_t)(points->data.sequence.items.top -
                        points->data.sequence.items.start);
    s->timeline.points = purr__sim_calloc(n, sizeof *s->timeline.points);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *pt =
            purr__scene_node(ld, points->data.sequence.items.start[i]);
        if (pt->type != YAML_SEQUENCE_NODE ||
            pt->data.sequence.items.top - pt->data.sequence.items.start != 2)
            return purr__scene_fail(
                ld, pt, "expected a point [time, value], got %s",
                pt->type == YAML_SEQUENCE_NODE ? "a list of another "
                                                 "length"
                                               : purr__scene_kind_name(pt));
        purr_timeline_point *p = &s->timeline.points[i];
        yaml_node_t *at =
            purr__scene_node(ld, pt->data.sequence.items.start[0]);
        yaml_node_t *val =
            purr__scene_node(ld, pt->data.sequence.items.start[1]);
        p->pos = purr__scene_pos(pt);
        if ((rc = purr__scene_get_duration(ld, at, "point time", &p->at_ns)) <
            0)
            return rc;
        if (i > 0 && p->at_ns < s->timeline.points[i - 1].at_ns)
            return purr__scene_fail(
                ld, at,
                "timeline points must be in time order ('%s' comes "
                "before the previous point)",
                purr__scene_scalar(at));
        if ((rc = purr__scene_get_datum(ld, val, s->type, "point value",
                                        &p->value)) < 0)
            return rc;
        s->timeline.count = i + 1;
    }
    yaml_node_t *initial = purr__scene_get(ld, map, "initial");
    if (initial)
        return purr__scene_get_datum(ld, initial, s->type, "initial",
                                     &s->initial);
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
            (rc = purr__scene_get_datum(ld, n, s->type, "value", &s->initial)) <
                0)
            return rc;
        if ((n = purr__scene_get(ld, map, "sample")))
            rc = purr__scene_get_positive_duration(ld, n, "sample",
                                                   &s->constant.sample_ns);
        return rc;
    case PURR_MODEL_TIMELINE:
        return parse_timeline(ld, map, s);
    case PURR_MODEL_RANDOM_WALK: {
        double start;
        if ((rc = want_numeric(ld, type_node, map, s)) < 0 ||
            (rc = need(ld, map, s, "start", &n)) < 0 ||
            (rc = purr__scene_get_double(ld, n, "start", &start)) < 0 ||
            (rc = need(ld, map, s, "step", &n)) < 0 ||
            (rc = purr__scene_get_double(ld, n, "step", &s->random_walk.step)) <
                0 ||
            (rc = need(ld, map, s, "min", &n)) < 0 ||
            (rc = purr__scene_get_double(ld, n, "min", &s->random_walk.min)) <
                0 ||
            (rc = need(ld, map, s, "max", &n)) < 0 ||
            (rc = purr__scene_get_double(ld, n, "max", &s->random_walk.max)) <
                0 ||
            (rc = need(ld, map, s, "period", &n)) < 0 ||
            (rc = purr__scene_get_positive_duration(
                 ld, n, "period", &s->random_walk.period_ns)) < 0)
            return rc;
        if (s->random_walk.min > s->random_walk.max)
            return purr__scene_fail(
                ld, map, "random_walk sensor '%s': min > max", s->name);
        s->initial = s->type == PURR_T_INT
                         ? purr_datum_int((int64_t)llround(start))
                         : purr_datum_double(start);
        return 0;
    }
    case PURR_MODEL_POISSON:
        if (s->type != PURR_T_BOOL)
            return purr__scene_fail(ld, type_node ? type_node : map,
                                    "poisson sensor '%s' must have type bool",
                                    s->name);
        if ((rc = need(ld, map, s, "rate", &n)) < 0 ||
            (rc = purr__scene_get_double(ld, n, "rate",
                                         &s->poisson.rate_per_hour)) < 0)
            return rc;
        if (s->poisson.rate_per_hour <= 0)
            return purr__scene_fail(ld, n,
                                    "'rate' must be above 0 (events per hour)");
        s->poisson.pulse_ns = PURR_S;
        if ((n = purr__scene_get(ld, map, "pulse")))
            rc = purr__scene_get_positive_duration(ld, n, "pulse",
                                                   &s->poisson.pulse_ns);
        s->initial = purr_datum_bool(false);
        return rc;
    case PURR_MODEL_PERIODIC:
        if ((rc = want_numeric(ld, type_node, map, s)) < 0 ||
            (rc = need(ld, map, s, "period", &n)) < 0 ||
            (rc = purr__scene_get_positive_duration(
                 ld, n, "period", &s->periodic.period_ns)) < 0 ||
            (rc = need(ld, map, s, "min", &n)) < 0 ||
            (rc = purr__scene_get_double(ld, n, "min", &s->periodic.min)) < 0 ||
            (rc = need(ld, map, s, "max", &n)) < 0 ||
            (rc = purr__scene_get_double(ld, n, "max", &s->periodic.max)) < 0)
            return rc;
        if ((n = purr__scene_get(ld, map, "shape"))) {
            if ((rc = purr__scene_want_scalar(ld, n, "shape")) < 0)
                return rc;
            if (strcmp(purr__scene_scalar(n), "square") == 0)
                s->periodic.square = true;
            else if (strcmp(purr__scene_scalar(n), "sine") != 0)
                return purr__scene_fail(
                    ld, n,
                    "unknown shape '%s' (expected one of: sine, "
                    "square)",
                    purr__scene_scalar(n));
        }
        s->periodic.sample_ns = s->periodic.square ? s->periodic.period_ns / 2
                                                   : s->periodic.period_ns / 60;
        if (s->periodic.sample_ns <= 0)
            s->periodic.sample_ns = 1;
        if ((n = purr__scene_get(ld, map, "sample")) &&
            (rc = purr__scene_get_positive_duration(
                 ld, n, "sample", &s->periodic.sample_ns)) < 0)
            return rc;
        if ((n = purr__scene_get(ld, map, "phase")) &&
            (rc = purr__scene_get_duration(ld, n, "phase",
                                           &s->periodic.phase_ns)) < 0)
            return rc;
        s->initial = purr__sensor_initial(s);
        return 0;
    case PURR_MODEL_BATTERY: {
        double start = 100.0;
        if (s->type != PURR_T_DOUBLE)
            return purr__scene_fail(ld, type_node ? type_node : map,
                                    "battery sensor '%s' must have type double",
                                    s->name);
        if ((n = purr__scene_get(ld, map, "start")) &&
            (rc = purr__scene_get_double(ld, n, "start", &start)) < 0)
            return rc;
        if ((rc = need(ld, map, s, "drain", &n)) < 0 ||
            (rc = purr__scene_get_double(ld, n, "drain",
                                         &s->battery.drain_per_hour)) < 0 ||
            (rc = need(ld, map, s, "charge", &n)) < 0 ||
            (rc = purr__scene_get_double(ld, n, "charge",
                                         &s->battery.charge_per_hour)) < 0 ||
            (rc = need(ld, map, s, "docked", &n)) < 0 ||
            (rc = purr__scene_get_string(ld, n, "docked", &s->battery.docked)) <
                0)
            return rc;
        s->battery.docked_pos = purr__scene_pos(n);
        s->battery.sample_ns = 60 * PURR_S;
        if ((n = purr__scene_get(ld, map, "sample")) &&
            (rc = purr__scene_get_positive_duration(ld, n, "sample",
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
    if ((rc = purr__scene_want_mapping(ld, map, "a fault")) < 0 ||
        (rc = purr__scene_check_keys(ld, map, keys, "a fault")) < 0)
        return rc;
    f->pos = purr__scene_pos(map);
    f->at_ns = -1;
    f->for_ns = PURR_TIME_NEVER;
    if (!(n = purr__scene_get(ld, map, "kind")))
        return purr__scene_fail(ld, map,
                                "fault needs 'kind' (one of: dropout, stuck, "
                                "spikes, delay)");
    if ((rc = purr__scene_want_scalar(ld, n, "kind")) < 0)
        return rc;
    for (int k = PURR_FAULT_DROPOUT; k <= PURR_FAULT_DELAY; k++)
        if (strcmp(purr__scene_scalar(n), fault_names[k]) == 0)
            f->kind = (purr_fault_kind)k;
    if (!f->kind)
        return purr__scene_fail(
            ld, n,
            "unknown fault '%s' (expected one of: dropout, stuck, "
            "spikes, delay)",
            purr__scene_scalar(n));
    /* Keys that only some kinds take. */
    static const struct {
        const char *key;
        purr_fault_kind kind;
    } only[] = {{"value", PURR_FAULT_STUCK},
                {"size", PURR_FAULT_SPIKES},
                {"width", PURR_FAULT_SPIKES},
                {"by", PURR_FAULT_DELAY}};
    for (size_t i = 0; i < sizeof only / sizeof only[0]; i++)
        if ((n = purr__scene_get(ld, map, only[i].key)) &&
            f->kind != only[i].kind)
            return purr__scene_fail(ld, n, "'%s' is only for '%s' faults",
                                    only[i].key, fault_names[only[i].kind]);
    yaml_node_t *at = purr__scene_get(ld, map, "at"),
                *len = purr__scene_get(ld, map, "for");
    yaml_node_t *rate = purr__scene_get(ld, map, "rate");
    if (at && (rc = purr__scene_get_duration(ld, at, "at", &f->at_ns)) < 0)
        return rc;
    if (len && (rc = purr__scene_get_positive_duration(ld, len, "for",
                                                       &f->for_ns)) < 0)
        return rc;
    if (rate) {
        if ((rc = purr__scene_get_double(ld, rate, "rate", &f->rate_per_hour)) <
            0)
            return rc;
        if (f->rate_per_hour <= 0)
            return purr__scene_fail(ld, rate,
                                    "'rate' must be above 0 (per hour)");
    }
    if (f->kind == PURR_FAULT_SPIKES) {
        if (!rate)
            return purr__scene_fail(
                ld, map, "'spikes' needs 'rate' (outliers per hour)");
        if (!at != !len)
            return purr__scene_fail(ld, map,
                                    "'spikes' takes both 'at' and 'for' (a "
                                    "window) or neither (the whole run)");
        if (s->type != PURR_T_BOOL && !is_numeric(s->type))
            return purr__scene_fail(ld, map,
                                    "'spikes' needs a bool, int or double "
                                    "sensor");
        if (is_numeric(s->type)) {
            if (!(n = purr__scene_get(ld, map, "size")))
                return purr__scene_fail(
                    ld, map,
                    "'spikes' on a number needs 'size' (how "
                    "far an outlier is)");
            if ((rc = purr__scene_get_double(ld, n, "size", &f->size)) < 0)
                return rc;
        }
        f->width_ns = 100 * PURR_MS;
        if ((n = purr__scene_get(ld, map, "width")) &&
            (rc = purr__scene_get_positive_duration(ld, n, "width",
                                                    &f->width_ns)) < 0)
            return rc;
        return 0;
    }
    if (!len)
        return purr__scene_fail(ld, map,
                                "'%s' needs 'for' (how long each fault lasts)",
                                fault_names[f->kind]);
    if (!at == !rate)
        return purr__scene_fail(
            ld, map,
            "'%s' needs either 'at' (a scripted time) or 'rate' "
            "(faults per hour, at random)",
            fault_names[f->kind]);
    if (f->kind == PURR_FAULT_STUCK &&
        (n = purr__scene_get(ld, map, "value"))) {
        if ((rc = purr__scene_get_datum(ld, n, s->type, "value", &f->value)) <
            0)
            return rc;
        f->has_value = true;
    }
    if (f->kind == PURR_FAULT_DELAY) {
        if (!(n = purr__scene_get(ld, map, "by")))
            return purr__scene_fail(ld, map,
                                    "'delay' needs 'by' (how late updates "
                                    "arrive)");
        if ((rc = purr__scene_get_positive_duration(ld, n, "by", &f->by_ns)) <
            0)
            return rc;
    }
    return 0;
}

static int
parse_faults(loader *ld, const yaml_node_t *seq, purr_sensor_spec *s)
{
    int rc;
    if ((rc = purr__scene_want_sequence(ld, seq, "faults")) < 0)
        return rc;
    size_t n =
        (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    s->faults = purr__sim_calloc(n, sizeof *s->faults);
    for (size_t i = 0; i < n; i++) {
        s->fault_count = i + 1;
        if ((rc = parse_fault(
                 ld, purr__scene_node(ld, seq->data.sequence.items.start[i]), s,
                 &s->faults[i])) < 0)
            return rc;
    }
    return 0;
}

static int
parse_sensor(loader *ld, const yaml_node_t *map, purr_sensor_spec *s)
{
    static const char *const common[] = {
        "name",    "type",   "model",  "noise", "value", "sample",
        "initial", "points", "start",  "step",  "min",   "max",
        "period",  "rate",   "pulse",  "shape", "phase", "drain",
        "charge",  "docked", "faults", "unit",  NULL};
    int rc;
    if ((rc = purr__scene_want_mapping(ld, map, "a sensor")) < 0 ||
        (rc = purr__scene_check_keys(ld, map, common, "sensor")) < 0)
        return rc;
    s->pos = purr__scene_pos(map);
    yaml_node_t *n = purr__scene_get(ld, map, "name");
    if (!n)
        return purr__scene_fail(ld, map, "sensor needs 'name'");
    if ((rc = purr__scene_get_string(ld, n, "name", &s->name)) < 0)
        return rc;
    if (s->name[0] == '\0')
        return purr__scene_fail(ld, n, "sensor name must not be empty");

    yaml_node_t *type_node = purr__scene_get(ld, map, "type");
    if (!type_node)
        return purr__scene_fail(ld, map, "sensor '%s' needs 'type'", s->name);
    if ((rc = purr__scene_want_scalar(ld, type_node, "type")) < 0)
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
        if (strcmp(purr__scene_scalar(type_node), types[i].name) == 0)
            s->type = types[i].type;
    if (s->type == PURR_T_NIL)
        return purr__scene_fail(
            ld, type_node,
            "unknown sensor type '%s' (expected one of: bool, int, "
            "double, string)",
            purr__scene_scalar(type_node));

    yaml_node_t *model = purr__scene_get(ld, map, "model");
    if (!model)
        return purr__scene_fail(ld, map,
                                "sensor '%s' needs 'model' (one of: %s)",
                                s->name, MODEL_LIST);
    if ((rc = purr__scene_want_scalar(ld, model, "model")) < 0)
        return rc;
    for (int m = PURR_MODEL_CONSTANT; m <= PURR_MODEL_BATTERY; m++)
        if (strcmp(purr__scene_scalar(model), model_names[m]) == 0)
            s->model = (purr_sensor_model)m;
    if (!s->model)
        return purr__scene_fail(
            ld, model, "unknown sensor model '%s' (expected one of: %s)",
            purr__scene_scalar(model), MODEL_LIST);

    char what[64];
    snprintf(what, sizeof what, "a %s sensor", model_names[s->model]);
    if ((rc = purr__scene_check_keys(ld, map, model_keys[s->model], what)) < 0)
        return rc;
    if ((rc = parse_model(ld, map, type_node, s)) < 0)
        return rc;
    if (s->initial.type == PURR_T_NIL) /* the model left the type's zero */
        s->initial = s->type == PURR_T_BOOL     ? purr_datum_bool(false)
                     : s->type == PURR_T_INT    ? purr_datum_int(0)
                     : s->type == PURR_T_DOUBLE ? purr_datum_double(0.0)
                                                : purr_datum_string("");

    if ((n = purr__scene_get(ld, map, "noise"))) {
        if (!is_numeric(s->type))
            return purr__scene_fail(
                ld, n, "'noise' needs a sensor of type int or double");
        if ((rc = purr__scene_get_double(ld, n, "noise", &s->noise_sigma)) < 0)
            return rc;
        if (s->noise_sigma < 0)
            return purr__scene_fail(
                ld, n, "'noise' (the gaussian sigma) must be >= 0");
    }
    if ((n = purr__scene_get(ld, map, "faults")) &&
        (rc = parse_faults(ld, n, s)) < 0)
        return rc;
    if ((n = purr__scene_get(ld, map, "unit")) &&
        (rc = purr__scene_unit_parse(ld, n, &s->unit)) < 0)
        return rc;
    return 0;
}

int
purr__scene_sensors_parse(loader *ld, const yaml_node_t *seq)
{
    int rc;
    if ((rc = purr__scene_want_sequence(ld, seq, "sensors")) < 0)
        return rc;
    purr_scene *sc = ld->scene;
    size_t n =
        (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    sc->sensors = purr__sim_calloc(n, sizeof *sc->sensors);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *map =
            purr__scene_node(ld, seq->data.sequence.items.start[i]);
        sc->sensor_count = i + 1; /* counted first: freed even if partial */
        if ((rc = parse_sensor(ld, map, &sc->sensors[i])) < 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(sc->sensors[j].name, sc->sensors[i].name) == 0)
                return purr__scene_fail(
                    ld, purr__scene_get(ld, map, "name"),
                    "duplicate sensor '%s' (first at %ld:%ld)",
                    sc->sensors[i].name, sc->sensors[j].pos.line,
                    sc->sensors[j].pos.column);
    }
    return 0;
}
