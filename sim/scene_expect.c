/* scene_expect.c - the scene loader's `behaviours:` and `expect:` lists.
 *
 * A behaviour is a registered name with optional string params. An
 * expectation is always, never, eventually (after, then, within) or count
 * (value, transitions); its predicates are either the text shorthand
 * ("battery >= 20", "docked", "not docked", "mood == 'angry'"), parsed
 * here, or the mapping forms (value/op/than, all, any, not). Part of the
 * loader whose walker is in scene.c (scene_int.h).
 */
#include "scene_int.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef purr__scene_loader loader; /* scene_int.h */

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
    b->pos = purr__scene_pos(node);
    if (node->type == YAML_MAPPING_NODE) {
        if ((rc = purr__scene_check_keys(ld, node, keys, "behaviour")) < 0)
            return rc;
        if (!(name = purr__scene_get(ld, node, "name")))
            return purr__scene_fail(ld, node, "behaviour needs 'name'");
        params = purr__scene_get(ld, node, "params");
    } else if (node->type != YAML_SCALAR_NODE) {
        return purr__scene_fail(ld, node,
                                "expected a behaviour name or mapping, got %s",
                                purr__scene_kind_name(node));
    }
    if ((rc = purr__scene_get_string(ld, name, "name", &b->name)) < 0)
        return rc;
    if (!(ld->flags & PURR_SCENE_ANY_BEHAVIOUR) &&
        !purr_sim_is_registered(b->name)) {
        char names[160];
        purr_sim_registered_names(names, sizeof names);
        return purr__scene_fail(ld, name,
                                "unknown behaviour '%s' (registered: %s)",
                                b->name, names);
    }
    if (!params)
        return 0;
    if ((rc = purr__scene_want_mapping(ld, params, "'params'")) < 0)
        return rc;
    size_t n = (size_t)(params->data.mapping.pairs.top -
                        params->data.mapping.pairs.start);
    b->params = purr__sim_calloc(n, sizeof *b->params);
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &params->data.mapping.pairs.start[i];
        yaml_node_t *k = purr__scene_node(ld, p->key),
                    *v = purr__scene_node(ld, p->value);
        if ((rc = purr__scene_want_scalar(ld, k, "params")) < 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(b->params[j].key, purr__scene_scalar(k)) == 0)
                return purr__scene_fail(ld, k, "duplicate key '%s'",
                                        purr__scene_scalar(k));
        if ((rc = purr__scene_want_scalar(ld, v, purr__scene_scalar(k))) < 0)
            return rc;
        b->params[i].key = purr__sim_strdup(purr__scene_scalar(k));
        b->params[i].value = purr__sim_strdup(purr__scene_scalar(v));
        b->params[i].pos = purr__scene_pos(v);
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
    const char *s = purr__scene_scalar(node);
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
        return purr__scene_fail(ld, node, "%s, got '%s'", grammar,
                                purr__scene_scalar(node));
    while (*s == ' ')
        s++;
    purr_pred_spec leaf = {0};
    leaf.pos = purr__scene_pos(node);
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
            return purr__scene_fail(ld, node, "%s, got '%s'", grammar,
                                    purr__scene_scalar(node));
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
        return purr__scene_fail(
            ld, node, "expected a predicate (text or mapping), got %s",
            purr__scene_kind_name(node));
    if ((rc = purr__scene_check_keys(ld, node, keys, "a predicate")) < 0)
        return rc;
    p->pos = purr__scene_pos(node);
    yaml_node_t *n;
    if ((n = purr__scene_get(ld, node, "all")) ||
        (n = purr__scene_get(ld, node, "any"))) {
        p->kind =
            purr__scene_get(ld, node, "all") ? PURR_PRED_ALL : PURR_PRED_ANY;
        if (node->data.mapping.pairs.top - node->data.mapping.pairs.start != 1)
            return purr__scene_fail(
                ld, node,
                "'all' and 'any' take a list of predicates and no "
                "other key");
        if ((rc = purr__scene_want_sequence(
                 ld, n, p->kind == PURR_PRED_ALL ? "all" : "any")) < 0)
            return rc;
        size_t count =
            (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (count == 0)
            return purr__scene_fail(
                ld, n, "expected at least one predicate in the list");
        p->items = purr__sim_calloc(count, sizeof *p->items);
        for (size_t i = 0; i < count; i++) {
            p->count = i + 1;
            if ((rc = parse_pred(
                     ld, purr__scene_node(ld, n->data.sequence.items.start[i]),
                     &p->items[i])) < 0)
                return rc;
        }
        return 0;
    }
    if ((n = purr__scene_get(ld, node, "not"))) {
        if (node->data.mapping.pairs.top - node->data.mapping.pairs.start != 1)
            return purr__scene_fail(
                ld, node, "'not' takes one predicate and no other key");
        p->kind = PURR_PRED_NOT;
        p->items = purr__sim_calloc(1, sizeof *p->items);
        p->count = 1;
        return parse_pred(ld, n, &p->items[0]);
    }
    if (!(n = purr__scene_get(ld, node, "value")))
        return purr__scene_fail(ld, node,
                                "a predicate needs 'value', 'all', 'any' or "
                                "'not'");
    if ((rc = purr__scene_get_string(ld, n, "value", &p->value)) < 0)
        return rc;
    yaml_node_t *op = purr__scene_get(ld, node, "op"),
                *than = purr__scene_get(ld, node, "than");
    if (!op && !than) {
        p->kind = PURR_PRED_TRUTHY;
        return 0;
    }
    if (!op || !than)
        return purr__scene_fail(ld, node,
                                "a comparison needs both 'op' and 'than'");
    if ((rc = purr__scene_want_scalar(ld, op, "op")) < 0)
        return rc;
    p->kind = PURR_PRED_CMP;
    for (int o = PURR_CMP_EQ; o <= PURR_CMP_GE; o++)
        if (strcmp(purr__scene_scalar(op), op_names[o]) == 0)
            p->op = (purr_cmp_op)o;
    if (!p->op)
        return purr__scene_fail(
            ld, op,
            "unknown operator '%s' (expected one of: ==, !=, <, <=, "
            ">, >=)",
            purr__scene_scalar(op));
    p->than_pos = purr__scene_pos(than);
    return purr__scene_get_string(ld, than, "than", &p->than);
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
    if ((rc = purr__scene_want_mapping(
             ld, map, "'eventually' (after, then, within)")) < 0 ||
        (rc = purr__scene_check_keys(ld, map, keys, "eventually")) < 0)
        return rc;
    if (!(n = purr__scene_get(ld, map, "then")))
        return purr__scene_fail(ld, map,
                                "'eventually' needs 'then' (what must become "
                                "true)");
    if ((rc = parse_pred(ld, n, &e->pred)) < 0)
        return rc;
    if ((n = purr__scene_get(ld, map, "after")) &&
        (rc = parse_pred(ld, n, &e->after)) < 0)
        return rc;
    if ((n = purr__scene_get(ld, map, "within")) &&
        (rc = purr__scene_get_positive_duration(ld, n, "within",
                                                &e->within_ns)) < 0)
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
    if ((rc = purr__scene_want_mapping(ld, map,
                                       "'count' (value, transitions)")) < 0 ||
        (rc = purr__scene_check_keys(ld, map, keys, "count")) < 0)
        return rc;
    if (!(n = purr__scene_get(ld, map, "value")))
        return purr__scene_fail(ld, map, "'count' needs 'value'");
    if ((rc = purr__scene_get_string(ld, n, "value", &e->value)) < 0)
        return rc;
    if (!(t = purr__scene_get(ld, map, "transitions")))
        return purr__scene_fail(
            ld, map, "'count' needs 'transitions' ({min: N, max: N})");
    if ((rc = purr__scene_want_mapping(ld, t, "'transitions' (min, max)")) <
            0 ||
        (rc = purr__scene_check_keys(ld, t, bounds, "transitions")) < 0)
        return rc;
    if ((n = purr__scene_get(ld, t, "min")) &&
        (rc = purr__scene_get_int(ld, n, "min", &e->min)) < 0)
        return rc;
    if ((n = purr__scene_get(ld, t, "max")) &&
        (rc = purr__scene_get_int(ld, n, "max", &e->max)) < 0)
        return rc;
    if (e->min < 0 || e->min > e->max)
        return purr__scene_fail(ld, t, "'transitions' needs 0 <= min <= max");
    return 0;
}

static int
parse_expect(loader *ld, const yaml_node_t *map, purr_expect_spec *e)
{
    static const char *const kinds[] = {NULL,         "always", "never",
                                        "eventually", "count",  NULL};
    int rc;
    if ((rc = purr__scene_want_mapping(ld, map, "an expectation")) < 0 ||
        (rc = purr__scene_check_keys(ld, map, kinds + 1, "expectation")) < 0)
        return rc;
    e->pos = purr__scene_pos(map);
    e->within_ns = PURR_TIME_NEVER;
    e->max = INT64_MAX;
    if (map->data.mapping.pairs.top - map->data.mapping.pairs.start != 1)
        return purr__scene_fail(
            ld, map,
            "an expectation has exactly one of always, never, "
            "eventually, count");
    yaml_node_t *key =
        purr__scene_node(ld, map->data.mapping.pairs.start[0].key);
    yaml_node_t *body =
        purr__scene_node(ld, map->data.mapping.pairs.start[0].value);
    for (int k = PURR_EXPECT_ALWAYS; k <= PURR_EXPECT_COUNT; k++)
        if (strcmp(purr__scene_scalar(key), kinds[k]) == 0)
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
    if ((rc = purr__scene_want_sequence(ld, seq, what)) < 0)
        return rc;
    size_t n =
        (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    *items = purr__sim_calloc(n, elem_size);
    for (size_t i = 0; i < n; i++) {
        *count = i + 1;
        yaml_node_t *node =
            purr__scene_node(ld, seq->data.sequence.items.start[i]);
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

int
purr__scene_behaviours_parse(loader *ld, const yaml_node_t *seq)
{
    purr_scene *sc = ld->scene;
    return parse_list(ld, seq, "behaviours", sizeof *sc->behaviours,
                      (void **)&sc->behaviours, &sc->behaviour_count,
                      each_behaviour);
}

int
purr__scene_expects_parse(loader *ld, const yaml_node_t *seq)
{
    purr_scene *sc = ld->scene;
    return parse_list(ld, seq, "expect", sizeof *sc->expects,
                      (void **)&sc->expects, &sc->expect_count, each_expect);
}
