/* scene_int.h - the scene loader's walker, shared by its files.
 *
 * scene.c walks the YAML node tree into a purr_scene; scene_view.c parses
 * the `view:` key and the sensors' `unit:` with the same helpers, which
 * scene.c exports here under purr__scene_ names. Every helper that fails
 * fills the loader's diag at the node (1-based line:col) and returns
 * PURR_EFORMAT.
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
/* Requires node to be of kind type; what is the key it is the value of. */
int purr__scene_want_kind(purr__scene_loader *ld, const yaml_node_t *node,
                          yaml_node_type_t type, const char *what);
/* Keys scalar, unique and among allowed (NULL-terminated). */
int purr__scene_check_keys(purr__scene_loader *ld, const yaml_node_t *map,
                           const char *const *allowed, const char *what);
/* The value of key in map, or NULL. */
yaml_node_t *purr__scene_get(purr__scene_loader *ld, const yaml_node_t *map,
                             const char *key);
int purr__scene_get_double(purr__scene_loader *ld, const yaml_node_t *node,
                           const char *what, double *out /* out */);
int purr__scene_get_string(purr__scene_loader *ld, const yaml_node_t *node,
                           const char *what, char **out /* out, owned */);

/* scene_view.c: a sensor's `unit:` into *out (owned). */
int purr__scene_unit_parse(purr__scene_loader *ld, const yaml_node_t *node,
                           char **out /* out */);
/* scene_view.c: the `view:` key into *out (owned; purr__scene_view_free). */
int purr__scene_view_parse(purr__scene_loader *ld, const yaml_node_t *node,
                           purr_scene_view **out /* out */);

#endif /* PURR_SCENE_INT_H */
