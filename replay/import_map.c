/* import_map.c - the import map file (MAP.yaml): which log column is the
 * time and how it is written, and which log fields are which inputs.
 *
 *   time: {column: stamp, format: iso8601, epoch: false}
 *   max_gap: 10s
 *   values:
 *     batt_pct: battery              # a CSV column -> an input
 *     /battery_state.percentage: battery   # a topic's field (bag, MCAP)
 *
 * The file is read once with libyaml's document API, checked against the
 * schema (every input named must exist), and kept as a purr__import_map,
 * which the command line's flags then amend. Every mistake is refused with
 * MAP:LINE:COL: an unknown key, a wrong kind of node, a bad format or
 * duration, an input that is not in the scene, a key mapped twice.
 */
#include "import_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

void
purr__import_map_free(purr__import_map *map)
{
    if (!map)
        return;
    for (size_t i = 0; i < map->count; i++) {
        free(map->entries[i].key);
        free(map->entries[i].topic);
        free(map->entries[i].field);
    }
    free(map->entries);
    free(map->path);
    free(map->time_column);
    memset(map, 0, sizeof *map);
    map->epoch = -1;
}

const purr__map_entry *
purr__import_map_find(const purr__import_map *map, const char *key,
                      size_t len)
{
    for (size_t i = 0; i < map->count; i++)
        if (strlen(map->entries[i].key) == len &&
            memcmp(map->entries[i].key, key, len) == 0)
            return &map->entries[i];
    return NULL;
}

int
purr__import_map_entry_missing(const purr__import_map *map,
                               const purr__map_entry *e, const char *log,
                               const char *what, purr_diag *diag)
{
    char shown[64];
    purr__import_printable(e->key, strlen(e->key), shown);
    if (map->path && e->line)
        purr_diag_set(diag, map->path, e->line, e->col, "'%s' %s %s", shown,
                      what, log);
    else
        purr_diag_set(diag, log, 0, 0, "'%s' %s the log", shown, what);
    return PURR_EFORMAT;
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                 */
/* ---------------------------------------------------------------------- */

typedef struct loader {
    const char *path;
    yaml_document_t *doc;
    const purr_import_schema *schema;
    purr__import_map *map;
    purr_diag *diag;
} loader;

/* Sets diag at node n and returns PURR_EFORMAT. */
static int
at(loader *ld, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    purr_diag_set(ld->diag, ld->path, (long)n->start_mark.line + 1,
                  (long)n->start_mark.column + 1, "%s", msg);
    return PURR_EFORMAT;
}

static const char *
scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                            : NULL;
}

/* The scalar text of n, or an error naming what was expected. */
static int
want_scalar(loader *ld, const yaml_node_t *n, const char *what,
            const char **out)
{
    if (!(*out = scalar(n)))
        return at(ld, n, "%s: expected %s", what,
                  "a plain value, not a list or mapping");
    return 0;
}

static int
load_time(loader *ld, yaml_node_t *n)
{
    purr__import_map *m = ld->map;
    m->time_line = (unsigned)n->start_mark.line + 1;
    m->time_col = (unsigned)n->start_mark.column + 1;
    const char *s = scalar(n);
    if (s) { /* time: COLUMN */
        if (!(m->time_column = strdup(s)))
            return PURR_ENOMEM;
        return 0;
    }
    if (n->type != YAML_MAPPING_NODE)
        return at(ld, n, "time: expected {column: NAME, format: F, "
                  "epoch: true|false}");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(ld->doc, p->value);
        const char *key = scalar(k), *val;
        int rc;
        if (!key)
            return at(ld, k, "time: keys must be plain names");
        if ((rc = want_scalar(ld, v, key, &val)) < 0)
            return rc;
        if (strcmp(key, "column") == 0) {
            free(m->time_column);
            if (!(m->time_column = strdup(val)))
                return PURR_ENOMEM;
            m->time_line = (unsigned)v->start_mark.line + 1;
            m->time_col = (unsigned)v->start_mark.column + 1;
        } else if (strcmp(key, "format") == 0) {
            if (purr__time_format_parse(val, &m->time_format) < 0)
                return at(ld, v, "time format '%s' is not one of s, ms, "
                          "us, ns, iso8601", val);
        } else if (strcmp(key, "epoch") == 0) {
            if (strcmp(val, "true") == 0)
                m->epoch = 1;
            else if (strcmp(val, "false") == 0)
                m->epoch = 0;
            else
                return at(ld, v, "epoch: expected true or false, got '%s'",
                          val);
        } else {
            return at(ld, k, "unknown key '%s' in time (expected column, "
                      "format, epoch)", key);
        }
    }
    return 0;
}

static int
load_values(loader *ld, yaml_node_t *n)
{
    purr__import_map *m = ld->map;
    if (n->type != YAML_MAPPING_NODE)
        return at(ld, n, "values: expected a mapping of log fields to "
                  "inputs (batt_pct: battery)");
    size_t cap = (size_t)(n->data.mapping.pairs.top -
                          n->data.mapping.pairs.start);
    m->entries = calloc(cap + 1, sizeof *m->entries);
    if (!m->entries)
        return PURR_ENOMEM;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(ld->doc, p->value);
        const char *key = scalar(k), *val;
        int rc;
        if (!key || !key[0])
            return at(ld, k, "values: a log field's name is expected");
        if ((rc = want_scalar(ld, v, key, &val)) < 0)
            return rc;
        size_t in = SIZE_MAX;
        for (size_t i = 0; i < ld->schema->count; i++)
            if (strcmp(ld->schema->inputs[i].name, val) == 0)
                in = i;
        if (in == SIZE_MAX)
            return at(ld, v, "'%s' is not an input of %s", val,
                      ld->schema->source ? ld->schema->source
                                         : "the schema");
        if (purr__import_map_find(m, key, strlen(key)))
            return at(ld, k, "'%s' is mapped twice", key);
        purr__map_entry *e = &m->entries[m->count++];
        e->input = in;
        e->line = (unsigned)k->start_mark.line + 1;
        e->col = (unsigned)k->start_mark.column + 1;
        if (!(e->key = strdup(key)))
            return PURR_ENOMEM;
        if (key[0] == '/') {
            /* "/topic.field.path": the topic ends at the first '.' after
             * its last '/' (topic names have no dots). */
            const char *slash = strrchr(key, '/');
            const char *dot = strchr(slash, '.');
            if (!dot || !dot[1])
                return at(ld, k, "'%s': a topic's field is written "
                          "/topic.field (e.g. /battery_state.percentage)",
                          key);
            e->topic = strndup(key, (size_t)(dot - key));
            e->field = strdup(dot + 1);
            if (!e->topic || !e->field)
                return PURR_ENOMEM;
        }
    }
    return 0;
}

static int
load_root(loader *ld, yaml_node_t *root)
{
    if (!root)
        return PURR_EFORMAT; /* an empty file: the caller says so */
    if (root->type != YAML_MAPPING_NODE)
        return at(ld, root, "a map file is a mapping with time, max_gap "
                  "and values");
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(ld->doc, p->value);
        const char *key = scalar(k), *val;
        int rc = 0;
        if (!key)
            return at(ld, k, "keys must be plain names");
        if (strcmp(key, "time") == 0) {
            rc = load_time(ld, v);
        } else if (strcmp(key, "values") == 0) {
            if (ld->map->entries)
                return at(ld, k, "values given twice");
            rc = load_values(ld, v);
        } else if (strcmp(key, "max_gap") == 0) {
            if ((rc = want_scalar(ld, v, key, &val)) < 0)
                return rc;
            if (purr_duration_parse(val, &ld->map->max_gap_ns) < 0 ||
                ld->map->max_gap_ns <= 0)
                return at(ld, v, "max_gap: expected a duration like 10s "
                          "or 500ms, got '%s'", val);
        } else {
            return at(ld, k, "unknown key '%s' (expected time, max_gap, "
                      "values)", key);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

int
purr__import_map_load(const char *path, const purr_import_schema *schema,
                      purr__import_map *out, purr_diag *diag)
{
    memset(out, 0, sizeof *out);
    out->epoch = -1;
    int fd;
    uint64_t size;
    int rc = purr__import_open_file(path, &fd, &size, diag);
    if (rc < 0)
        return rc;
    FILE *f = size <= (1u << 20) ? fdopen(fd, "rb") : NULL;
    if (!f) {
        close(fd);
        purr_diag_set(diag, path, 0, 0, "larger than 1 MiB: not a map file");
        return PURR_EFORMAT;
    }
    if (!(out->path = strdup(path))) {
        fclose(f);
        return PURR_ENOMEM;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        fclose(f);
        return PURR_ENOMEM;
    }
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        purr_diag_set(diag, path, (long)parser.problem_mark.line + 1,
                      (long)parser.problem_mark.column + 1, "%s",
                      parser.problem ? parser.problem : "bad YAML");
        yaml_parser_delete(&parser);
        fclose(f);
        return PURR_EFORMAT;
    }
    loader ld = {path, &doc, schema, out, diag};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    rc = load_root(&ld, root);
    if (!root)
        purr_diag_set(diag, path, 0, 0, "empty map file");
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}
