/* scene.c - the scene loader: YAML (libyaml's document API) to purr_scene.
 *
 * The file is loaded into libyaml's node tree, which keeps every node's
 * start mark, then walked key by key into a purr_scene. Every refusal is a
 * purr_diag at the offending node: libyaml's marks are 0-based, ours are
 * 1-based. Unknown keys are errors (with the keys that would be accepted),
 * so a typo never silently falls back to a default. Keys are checked in
 * file order and the first problem wins, so a message is stable.
 *
 * This file holds the walker's helpers (exported to the loader's other
 * files through scene_int.h), the scalars, `load:` and the document; the
 * sensors are in scene_sensors.c, the behaviours and expectations in
 * scene_expect.c, the view in scene_view.c.
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

purr_scene_pos
purr__scene_pos(const yaml_node_t *node)
{
    purr_scene_pos pos = {(long)node->start_mark.line + 1,
                          (long)node->start_mark.column + 1};
    return pos;
}

/* Fills the diag at node's position; returns PURR_EFORMAT. */
int
purr__scene_fail(loader *ld, const yaml_node_t *node, const char *fmt, ...)
{
    purr_scene_pos pos = purr__scene_pos(node);
    va_list ap;
    va_start(ap, fmt);
    purr__sim_vdiag(ld->diag, ld->file, pos.line, pos.column, fmt, ap);
    va_end(ap);
    return PURR_EFORMAT;
}

const char *
purr__scene_kind_name(const yaml_node_t *node)
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

yaml_node_t *
purr__scene_node(loader *ld, int index)
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
        return purr__scene_fail(ld, node,
                                quote ? "expected %s for '%s', got %s"
                                      : "expected %s for %s, got %s",
                                expected[type], what,
                                purr__scene_kind_name(node));
    return 0;
}

int
purr__scene_want_kind(loader *ld, const yaml_node_t *node,
                      yaml_node_type_t type, const char *what)
{
    return want_kind(ld, node, type, what, true);
}

int
purr__scene_want_mapping(loader *ld, const yaml_node_t *node, const char *what)
{
    return want_kind(ld, node, YAML_MAPPING_NODE, what, false);
}

/* Checks that the mapping's keys are scalars, unique, and among allowed
 * (a NULL-terminated list, shown in the message as "what"'s keys). */
int
purr__scene_check_keys(loader *ld, const yaml_node_t *map,
                       const char *const *allowed, const char *what)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *key = purr__scene_node(ld, p->key);
        if (key->type != YAML_SCALAR_NODE)
            return purr__scene_fail(ld, key,
                                    "expected a scalar key in %s, got %s", what,
                                    purr__scene_kind_name(key));
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            ok = ok || strcmp(*a, purr__scene_scalar(key)) == 0;
        if (!ok) {
            char list[200] = "";
            size_t used = 0;
            for (const char *const *a = allowed; *a && used < sizeof list; a++)
                used += (size_t)snprintf(list + used, sizeof list - used,
                                         "%s%s", a == allowed ? "" : ", ", *a);
            return purr__scene_fail(
                ld, key, "unknown key '%s' in %s (expected one of: %s)",
                purr__scene_scalar(key), what, list);
        }
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *prev = purr__scene_node(ld, q->key);
            if (strcmp(purr__scene_scalar(prev), purr__scene_scalar(key)) == 0)
                return purr__scene_fail(
                    ld, key, "duplicate key '%s' (first at %ld:%ld)",
                    purr__scene_scalar(key), purr__scene_pos(prev).line,
                    purr__scene_pos(prev).column);
        }
    }
    return 0;
}

/* The value of key in map, or NULL. Keys have been checked as scalars. */
yaml_node_t *
purr__scene_get(loader *ld, const yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = purr__scene_node(ld, p->key);
        if (k->type == YAML_SCALAR_NODE &&
            strcmp(purr__scene_scalar(k), key) == 0)
            return purr__scene_node(ld, p->value);
    }
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* Scalars                                                                 */
/* ---------------------------------------------------------------------- */

int
purr__scene_get_double(loader *ld, const yaml_node_t *node, const char *what,
                       double *out)
{
    int rc = purr__scene_want_scalar(ld, node, what);
    if (rc < 0)
        return rc;
    const char *s = purr__scene_scalar(node);
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || !isfinite(d))
        return purr__scene_fail(
            ld, node, "expected a number for '%s', got '%s'", what, s);
    *out = d;
    return 0;
}

int
purr__scene_get_int(loader *ld, const yaml_node_t *node, const char *what,
                    int64_t *out)
{
    int rc = purr__scene_want_scalar(ld, node, what);
    if (rc < 0)
        return rc;
    const char *s = purr__scene_scalar(node);
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE)
        return purr__scene_fail(
            ld, node, "expected an integer for '%s', got '%s'", what, s);
    *out = v;
    return 0;
}

int
purr__scene_get_duration(loader *ld, const yaml_node_t *node, const char *what,
                         purr_time *out)
{
    int rc = purr__scene_want_scalar(ld, node, what);
    if (rc < 0)
        return rc;
    rc = purr_sim_duration_parse(purr__scene_scalar(node), out);
    if (rc == PURR_ERANGE)
        return purr__scene_fail(ld, node, "duration '%s' for '%s' is too long",
                                purr__scene_scalar(node), what);
    if (rc < 0)
        return purr__scene_fail(
            ld, node,
            "expected a duration with a unit for '%s' (e.g. 500ms, "
            "90s, 10min, 24h), got '%s'",
            what, purr__scene_scalar(node));
    return 0;
}

int
purr__scene_get_positive_duration(loader *ld, const yaml_node_t *node,
                                  const char *what, purr_time *out)
{
    int rc = purr__scene_get_duration(ld, node, what, out);
    if (rc == 0 && *out <= 0)
        return purr__scene_fail(ld, node, "'%s' must be longer than 0", what);
    return rc;
}

int
purr__scene_get_string(loader *ld, const yaml_node_t *node, const char *what,
                       char **out)
{
    int rc = purr__scene_want_scalar(ld, node, what);
    if (rc < 0)
        return rc;
    *out = purr__sim_strdup(purr__scene_scalar(node));
    return 0;
}

/* A scalar as a datum of type (bool: true/false; int; double; string). */
int
purr__scene_get_datum(loader *ld, const yaml_node_t *node, purr_type type,
                      const char *what, purr_datum *out)
{
    int rc = purr__scene_want_scalar(ld, node, what);
    if (rc < 0)
        return rc;
    const char *s = purr__scene_scalar(node);
    switch (type) {
    case PURR_T_BOOL:
        if (strcmp(s, "true") == 0)
            *out = purr_datum_bool(true);
        else if (strcmp(s, "false") == 0)
            *out = purr_datum_bool(false);
        else
            return purr__scene_fail(
                ld, node, "expected true or false for '%s', got '%s'", what, s);
        return 0;
    case PURR_T_INT: {
        int64_t i = 0; /* set by get_int on success */
        if ((rc = purr__scene_get_int(ld, node, what, &i)) < 0)
            return rc;
        *out = purr_datum_int(i);
        return 0;
    }
    case PURR_T_DOUBLE: {
        double d;
        if ((rc = purr__scene_get_double(ld, node, what, &d)) < 0)
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
        return purr__scene_fail(
            ld, node,
            "expected a plug-in path or a list of them for 'load', "
            "got %s",
            purr__scene_kind_name(node));
    }
    sc->loads = purr__sim_calloc(n ? n : 1, sizeof *sc->loads);
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *item = items ? purr__scene_node(ld, items[i]) : node;
        if ((rc = purr__scene_want_scalar(ld, item, "load")) < 0)
            return rc;
        if (!purr__scene_scalar(item)[0])
            return purr__scene_fail(
                ld, item, "expected a plug-in path for 'load', got ''");
        sc->loads[i] = resolve_load(ld->file, purr__scene_scalar(item));
        sc->load_count = i + 1;
        if (ld->flags & PURR_SCENE_NO_LOAD)
            continue;
        purr_diag pd = {0};
        if ((rc = purr_sim_plugin_load(sc->loads[i], &pd)) < 0) {
            purr__scene_fail(ld, item, "plug-in %s: %s", sc->loads[i],
                             pd.message);
            return rc;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* The document                                                            */
/* ---------------------------------------------------------------------- */

static int
parse_root(loader *ld, const yaml_node_t *root)
{
    static const char *const keys[] = {"name",    "seed",       "duration",
                                       "sensors", "behaviours", "expect",
                                       "load",    "view",       NULL};
    purr_scene *sc = ld->scene;
    yaml_node_t *n;
    int rc;
    if ((rc = purr__scene_want_mapping(ld, root, "the scene")) < 0 ||
        (rc = purr__scene_check_keys(ld, root, keys, "the scene")) < 0)
        return rc;
    if (!(n = purr__scene_get(ld, root, "name")))
        return purr__scene_fail(ld, root, "scene needs 'name'");
    if ((rc = purr__scene_get_string(ld, n, "name", &sc->name)) < 0)
        return rc;
    if ((n = purr__scene_get(ld, root, "seed"))) {
        if ((rc = purr__scene_want_scalar(ld, n, "seed")) < 0)
            return rc;
        const char *s = purr__scene_scalar(n);
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (*s < '0' || *s > '9' || *end != '\0' || errno == ERANGE)
            return purr__scene_fail(
                ld, n,
                "expected an unsigned 64-bit integer for 'seed', got "
                "'%s'",
                s);
        sc->seed = v;
    }
    if (!(n = purr__scene_get(ld, root, "duration")))
        return purr__scene_fail(ld, root,
                                "scene needs 'duration' (e.g. 24h, 90s)");
    if ((rc = purr__scene_get_positive_duration(ld, n, "duration",
                                                &sc->duration_ns)) < 0)
        return rc;
    if ((n = purr__scene_get(ld, root, "sensors")) &&
        (rc = purr__scene_sensors_parse(ld, n)) < 0)
        return rc;
    /* Before the behaviours, whose names must be registered. */
    if ((n = purr__scene_get(ld, root, "load")) &&
        (rc = parse_loads(ld, n)) < 0)
        return rc;
    if ((n = purr__scene_get(ld, root, "behaviours")) &&
        (rc = purr__scene_behaviours_parse(ld, n)) < 0)
        return rc;
    if ((n = purr__scene_get(ld, root, "expect")) &&
        (rc = purr__scene_expects_parse(ld, n)) < 0)
        return rc;
    if ((n = purr__scene_get(ld, root, "view")) &&
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
