/* scene_int.h - the scene loader's walker, shared by its files.
 *
 * scene.c walks the YAML node tree into a purr_scene and holds the
 * walker's helpers, exported here under purr__scene_ names; the other
 * parts of the document are parsed with them in scene_sensors.c
 * (`sensors:` and their faults), scene_expect.c (`behaviours:`, `expect:`
 * and the predicates) and scene_view.c (`view:` and the sensors' `unit:`).
 * Every helper that fails fills the loader's diag at the node (1-based
 * line:col) and returns PURR_EFORMAT.
 */
#ifndef PURR_SCENE_INT_H
#define PURR_SCENE_INT_H

#include "sim_int.h"

#include <yaml.h>

/* The walker's state. */
typedef struct purr__scene_loader {
    yaml_document_t *doc; /* the loaded document */
    const char *file;     /* for diagnostics */
    purr_diag *diag;      /* where the first error goes (may be NULL) */
    purr_scene *scene;    /* being filled */
    unsigned flags;       /* PURR_SCENE_NO_LOAD: resolve `load:` only */
} purr__scene_loader;

int purr__scene_fail(purr__scene_loader *ld, const yaml_node_t *node,
                     const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
purr_scene_pos purr__scene_pos(const yaml_node_t *node);
yaml_node_t *purr__scene_node(purr__scene_loader *ld, int index);
/* "a scalar", "a list", "a mapping" or "nothing", for messages. */
const char *purr__scene_kind_name(const yaml_node_t *node);

/* A scalar node's text. */
static inline const char *
purr__scene_scalar(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

/* Requires node to be of kind type; what is the key it is the value of. */
int purr__scene_want_kind(purr__scene_loader *ld, const yaml_node_t *node,
                          yaml_node_type_t type, const char *what);
/* Requires a mapping; what names it as it is (not a key: not quoted). */
int purr__scene_want_mapping(purr__scene_loader *ld, const yaml_node_t *node,
                             const char *what);

static inline int
purr__scene_want_scalar(purr__scene_loader *ld, const yaml_node_t *node,
                        const char *what)
{
    return purr__scene_want_kind(ld, node, YAML_SCALAR_NODE, what);
}

static inline int
purr__scene_want_sequence(purr__scene_loader *ld, const yaml_node_t *node,
                          const char *what)
{
    return purr__scene_want_kind(ld, node, YAML_SEQUENCE_NODE, what);
}

/* Keys scalar, unique and among allowed (NULL-terminated). */
int purr__scene_check_keys(purr__scene_loader *ld, const yaml_node_t *map,
                           const char *const *allowed, const char *what);
/* The value of key in map, or NULL. */
yaml_node_t *purr__scene_get(purr__scene_loader *ld, const yaml_node_t *map,
                             const char *key);
int purr__scene_get_double(purr__scene_loader *ld, const yaml_node_t *node,
                           const char *what, double *out /* out */);
int purr__scene_get_int(purr__scene_loader *ld, const yaml_node_t *node,
                        const char *what, int64_t *out /* out */);
/* A duration with a unit (500ms, 90s, 10min, 24h). */
int purr__scene_get_duration(purr__scene_loader *ld, const yaml_node_t *node,
                             const char *what, purr_time *out /* out */);
/* The same, longer than 0. */
int purr__scene_get_positive_duration(purr__scene_loader *ld,
                                      const yaml_node_t *node, const char *what,
                                      purr_time *out /* out */);
int purr__scene_get_string(purr__scene_loader *ld, const yaml_node_t *node,
                           const char *what, char **out /* out, owned */);
/* A scalar as a datum of type (bool: true/false; int; double; string). */
int purr__scene_get_datum(purr__scene_loader *ld, const yaml_node_t *node,
                          purr_type type, const char *what,
                          purr_datum *out /* out */);

/* scene_sensors.c: the `sensors:` list (each sensor with its model's keys
 * and its `faults:`) into the scene's sensors. */
int purr__scene_sensors_parse(purr__scene_loader *ld, const yaml_node_t *seq);
/* scene_expect.c: the `behaviours:` list into the scene's behaviours. */
int purr__scene_behaviours_parse(purr__scene_loader *ld,
                                 const yaml_node_t *seq);
/* scene_expect.c: the `expect:` list into the scene's expectations. */
int purr__scene_expects_parse(purr__scene_loader *ld, const yaml_node_t *seq);

/* scene_view.c: a sensor's `unit:` into *out (owned). */
int purr__scene_unit_parse(purr__scene_loader *ld, const yaml_node_t *node,
                           char **out /* out */);
/* scene_view.c: the `view:` key into *out (owned; purr__scene_view_free). */
int purr__scene_view_parse(purr__scene_loader *ld, const yaml_node_t *node,
                           purr_scene_view **out /* out */);

#endif /* PURR_SCENE_INT_H */
