/* scene_view.c - the robot panel a scene declares (`view:`) and its
 * sensors' units (`unit:`).
 *
 *     view:
 *       body: {shape: round, label: lightbot, mood: M, touch: T, say: S}
 *       indicators:
 *         - {lamp: bumper}
 *         - {gauge: light, min: 0, max: 1000}
 *         - {text: state}
 *         - {arrow: heading}        # or {arrow: [vx, vy]}
 *       highlight: [light, bumper]
 *
 * The loader checks the form here (keys, kinds, lengths, min < max); the
 * names are checked when the sim is set up (purr__scene_view_check), as
 * a battery's `docked:` is, because behaviours create their outputs only
 * then. The window draws the panel (docs/window.md, "The robot panel").
 */
#include "scene_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A scalar of 1 to max bytes without control characters (the window
 * stores names and units one per line, fields split by tabs). */
static int
get_short(purr__scene_loader *ld, const yaml_node_t *node, const char *what,
          size_t max, bool empty_ok, char **out)
{
    int rc = purr__scene_get_string(ld, node, what, out);
    if (rc < 0)
        return rc;
    size_t len = strlen(*out);
    if (!len && !empty_ok)
        return purr__scene_fail(ld, node, "'%s' must not be empty", what);
    if (len > max)
        return purr__scene_fail(ld, node, "'%s' is longer than %zu bytes", what,
                                max);
    for (const char *p = *out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return purr__scene_fail(ld, node, "'%s' holds a control character",
                                    what);
    return 0;
}

int
purr__scene_unit_parse(purr__scene_loader *ld, const yaml_node_t *node,
                       char **out)
{
    return get_short(ld, node, "unit", PURR_SCENE_UNIT_MAX, false, out);
}

static int
get_ref(purr__scene_loader *ld, const yaml_node_t *node, const char *what,
        purr_scene_ref *ref)
{
    ref->pos = purr__scene_pos(node);
    return get_short(ld, node, what, PURR_SCENE_VIEW_NAME_MAX, false,
                     &ref->name);
}

static int
parse_body(purr__scene_loader *ld, const yaml_node_t *map, purr_scene_view *v)
{
    static const char *const keys[] = {"shape", "label", "mood",
                                       "touch", "say",   NULL};
    int rc;
    if ((rc = purr__scene_want_kind(ld, map, YAML_MAPPING_NODE, "body")) < 0 ||
        (rc = purr__scene_check_keys(ld, map, keys, "the view's body")) < 0)
        return rc;
    yaml_node_t *n;
    if ((n = purr__scene_get(ld, map, "shape"))) {
        free(v->shape);
        v->shape = NULL;
        if ((rc = purr__scene_get_string(ld, n, "shape", &v->shape)) < 0)
            return rc;
        if (strcmp(v->shape, "round") && strcmp(v->shape, "box") &&
            strcmp(v->shape, "pet"))
            return purr__scene_fail(ld, n,
                                    "unknown body shape '%s' (expected one "
                                    "of: round, box, pet)",
                                    v->shape);
    }
    if ((n = purr__scene_get(ld, map, "label")) &&
        (rc = get_short(ld, n, "label", PURR_SCENE_VIEW_NAME_MAX, true,
                        &v->label)) < 0)
        return rc;
    static const char *const refs[] = {"mood", "touch", "say"};
    purr_scene_ref *dst[] = {&v->mood, &v->touch, &v->say};
    for (int i = 0; i < 3; i++)
        if ((n = purr__scene_get(ld, map, refs[i])) &&
            (rc = get_ref(ld, n, refs[i], dst[i])) < 0)
            return rc;
    return 0;
}

static int
parse_indicator(purr__scene_loader *ld, const yaml_node_t *map,
                purr_scene_indicator *ind)
{
    static const char *const keys[] = {"lamp", "gauge", "text", "arrow",
                                       "min",  "max",   NULL};
    static const char *const kinds[] = {NULL, "lamp", "gauge", "text", "arrow"};
    int rc;
    if ((rc = purr__scene_want_kind(ld, map, YAML_MAPPING_NODE,
                                    "an indicator")) < 0 ||
        (rc = purr__scene_check_keys(ld, map, keys, "an indicator")) < 0)
        return rc;
    ind->pos = purr__scene_pos(map);
    yaml_node_t *n = NULL;
    for (int k = PURR_SCENE_LAMP; k <= PURR_SCENE_ARROW; k++) {
        yaml_node_t *m = purr__scene_get(ld, map, kinds[k]);
        if (!m)
            continue;
        if (n)
            return purr__scene_fail(ld, m,
                                    "an indicator is one of lamp, gauge, text, "
                                    "arrow, not both '%s' and '%s'",
                                    kinds[ind->kind], kinds[k]);
        n = m;
        ind->kind = (purr_scene_indicator_kind)k;
    }
    if (!n)
        return purr__scene_fail(ld, map,
                                "an indicator needs one of: lamp, gauge, "
                                "text, arrow (the value it shows)");
    const char *what = kinds[ind->kind];
    if (ind->kind == PURR_SCENE_ARROW && n->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it = n->data.sequence.items.start;
        if (n->data.sequence.items.top - it != 2)
            return purr__scene_fail(ld, n,
                                    "an arrow's vector is two values [x, y]");
        if ((rc = get_ref(ld, purr__scene_node(ld, it[0]), "arrow",
                          &ind->value)) < 0 ||
            (rc = get_ref(ld, purr__scene_node(ld, it[1]), "arrow",
                          &ind->value_y)) < 0)
            return rc;
    } else if ((rc = get_ref(ld, n, what, &ind->value)) < 0) {
        return rc;
    }
    yaml_node_t *lo = purr__scene_get(ld, map, "min"),
                *hi = purr__scene_get(ld, map, "max");
    if (ind->kind != PURR_SCENE_GAUGE) {
        if (lo || hi)
            return purr__scene_fail(ld, lo ? lo : hi,
                                    "'%s' is for a gauge, not a %s",
                                    lo ? "min" : "max", what);
        return 0;
    }
    if (!lo || !hi)
        return purr__scene_fail(ld, map,
                                "gauge '%s' needs its range: 'min' and "
                                "'max'",
                                ind->value.name);
    if ((rc = purr__scene_get_double(ld, lo, "min", &ind->min)) < 0 ||
        (rc = purr__scene_get_double(ld, hi, "max", &ind->max)) < 0)
        return rc;
    if (!(ind->min < ind->max))
        return purr__scene_fail(ld, hi,
                                "gauge '%s': 'max' must be above "
                                "'min'",
                                ind->value.name);
    return 0;
}

int
purr__scene_view_parse(purr__scene_loader *ld, const yaml_node_t *node,
                       purr_scene_view **out)
{
    static const char *const keys[] = {"body", "indicators", "highlight", NULL};
    int rc;
    if ((rc = purr__scene_want_kind(ld, node, YAML_MAPPING_NODE, "view")) < 0 ||
        (rc = purr__scene_check_keys(ld, node, keys, "view")) < 0)
        return rc;
    purr_scene_view *v = purr__sim_calloc(1, sizeof *v);
    *out = v; /* freed with the scene, whatever happens below */
    v->pos = purr__scene_pos(node);
    v->shape = purr__sim_strdup("round");
    yaml_node_t *n;
    if ((n = purr__scene_get(ld, node, "body")) &&
        (rc = parse_body(ld, n, v)) < 0)
        return rc;
    if ((n = purr__scene_get(ld, node, "indicators"))) {
        if ((rc = purr__scene_want_kind(ld, n, YAML_SEQUENCE_NODE,
                                        "indicators")) < 0)
            return rc;
        yaml_node_item_t *it = n->data.sequence.items.start;
        size_t count = (size_t)(n->data.sequence.items.top - it);
        if (count > PURR_SCENE_VIEW_MAX_INDICATORS)
            return purr__scene_fail(
                ld, purr__scene_node(ld, it[PURR_SCENE_VIEW_MAX_INDICATORS]),
                "more than %d indicators", PURR_SCENE_VIEW_MAX_INDICATORS);
        v->indicators =
            purr__sim_calloc(count ? count : 1, sizeof *v->indicators);
        for (size_t i = 0; i < count; i++) {
            if ((rc = parse_indicator(ld, purr__scene_node(ld, it[i]),
                                      &v->indicators[i])) < 0) {
                v->indicator_count = i + 1; /* free what it holds */
                return rc;
            }
            v->indicator_count = i + 1;
        }
    }
    if ((n = purr__scene_get(ld, node, "highlight"))) {
        if ((rc = purr__scene_want_kind(ld, n, YAML_SEQUENCE_NODE,
                                        "highlight")) < 0)
            return rc;
        yaml_node_item_t *it = n->data.sequence.items.start;
        size_t count = (size_t)(n->data.sequence.items.top - it);
        if (count > PURR_SCENE_VIEW_MAX_HIGHLIGHT)
            return purr__scene_fail(
                ld, purr__scene_node(ld, it[PURR_SCENE_VIEW_MAX_HIGHLIGHT]),
                "more than %d highlighted values",
                PURR_SCENE_VIEW_MAX_HIGHLIGHT);
        v->highlight =
            purr__sim_calloc(count ? count : 1, sizeof *v->highlight);
        for (size_t i = 0; i < count; i++) {
            v->highlight_count = i + 1;
            if ((rc = get_ref(ld, purr__scene_node(ld, it[i]), "highlight",
                              &v->highlight[i])) < 0)
                return rc;
        }
    }
    return 0;
}

void
purr__scene_view_free(purr_scene_view *v)
{
    if (!v)
        return;
    free(v->shape);
    free(v->label);
    free(v->mood.name);
    free(v->touch.name);
    free(v->say.name);
    for (size_t i = 0; i < v->indicator_count; i++) {
        free(v->indicators[i].value.name);
        free(v->indicators[i].value_y.name);
    }
    free(v->indicators);
    for (size_t i = 0; i < v->highlight_count; i++)
        free(v->highlight[i].name);
    free(v->highlight);
    free(v);
}

/* ---------------------------------------------------------------------- */
/* At setup: the names                                                     */
/* ---------------------------------------------------------------------- */

enum want { ANY, BOOL, NUMBER, STRING, BOOL_INPUT };

static int
check_ref(purr_sim *sim, const purr_scene_ref *ref, const char *part,
          enum want want)
{
    if (!ref->name)
        return 0;
    purr_value *v = purr_sim_find(sim, ref->name);
    if (!v)
        return purr__sim_setup_fail(sim, ref->pos,
                                    "the view's %s shows '%s', but no "
                                    "sensor or behaviour creates a value of "
                                    "that name",
                                    part, ref->name);
    purr_type t = purr_value_type(v);
    static const char *const wanted[] = {"", "a bool",
                                         "a number (int or "
                                         "double)",
                                         "a string", "a bool input"};
    bool ok = want == ANY || (want == BOOL && t == PURR_T_BOOL) ||
              (want == NUMBER && (t == PURR_T_INT || t == PURR_T_DOUBLE)) ||
              (want == STRING && t == PURR_T_STRING) ||
              (want == BOOL_INPUT && t == PURR_T_BOOL &&
               purr_value_role(v) == PURR_ROLE_INPUT);
    if (!ok)
        return purr__sim_setup_fail(sim, ref->pos,
                                    "the view's %s shows '%s', which is not "
                                    "%s",
                                    part, ref->name, wanted[want]);
    return 0;
}

int
purr__scene_view_check(purr_sim *sim, const purr_scene_view *v)
{
    if (!v)
        return 0;
    int rc;
    if ((rc = check_ref(sim, &v->mood, "mood", STRING)) < 0 ||
        (rc = check_ref(sim, &v->touch, "touch", BOOL_INPUT)) < 0 ||
        (rc = check_ref(sim, &v->say, "say", STRING)) < 0)
        return rc;
    for (size_t i = 0; i < v->indicator_count; i++) {
        const purr_scene_indicator *ind = &v->indicators[i];
        static const char *const parts[] = {NULL, "lamp", "gauge", "text",
                                            "arrow"};
        static const enum want wants[] = {ANY, BOOL, NUMBER, ANY, NUMBER};
        if ((rc = check_ref(sim, &ind->value, parts[ind->kind],
                            wants[ind->kind])) < 0 ||
            (rc = check_ref(sim, &ind->value_y, parts[ind->kind],
                            wants[ind->kind])) < 0)
            return rc;
    }
    for (size_t i = 0; i < v->highlight_count; i++)
        if ((rc = check_ref(sim, &v->highlight[i], "highlight", ANY)) < 0)
            return rc;
    return 0;
}
