/* cdr.c - ROS 2 message schemas (.msg text or purr's built-ins) and the
 * field paths compiled against them; cdr_read.c reads the messages.
 *
 * The importers (replay/rosbag2.c, replay/mcap_read.c through
 * replay/import_bin.c) load one schema per topic, compile each mapped
 * field path once, and call purr__cdr_extract per message. The reader
 * walks the message from its start, skipping the fields before the one
 * asked for (strings and sequences make offsets data-dependent); every
 * element it steps over takes at least one byte, so the work is bounded by
 * the message's length. See cdr_int.h for the contract.
 */
#include "cdr_int.h"

#include "purr/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Built-in definitions                                                    */
/* ---------------------------------------------------------------------- */

/* The ROS 2 definitions (fields only; constants and comments left out) of
 * the types purr decodes without a definition in the file: rosbag2 files
 * before schema version 4 name types but do not define them. */
static const struct builtin {
    const char *name;
    const char *text;
} builtins[] = {
    {"std_msgs/Bool", "bool data\n"},
    {"std_msgs/Byte", "byte data\n"},
    {"std_msgs/Char", "char data\n"},
    {"std_msgs/Int8", "int8 data\n"},
    {"std_msgs/UInt8", "uint8 data\n"},
    {"std_msgs/Int16", "int16 data\n"},
    {"std_msgs/UInt16", "uint16 data\n"},
    {"std_msgs/Int32", "int32 data\n"},
    {"std_msgs/UInt32", "uint32 data\n"},
    {"std_msgs/Int64", "int64 data\n"},
    {"std_msgs/UInt64", "uint64 data\n"},
    {"std_msgs/Float32", "float32 data\n"},
    {"std_msgs/Float64", "float64 data\n"},
    {"std_msgs/String", "string data\n"},
    {"std_msgs/Empty", ""},
    {"std_msgs/Header", "builtin_interfaces/Time stamp\nstring frame_id\n"},
    {"builtin_interfaces/Time", "int32 sec\nuint32 nanosec\n"},
    {"builtin_interfaces/Duration", "int32 sec\nuint32 nanosec\n"},
    {"geometry_msgs/Vector3", "float64 x\nfloat64 y\nfloat64 z\n"},
    {"geometry_msgs/Twist", "Vector3 linear\nVector3 angular\n"},
    {"sensor_msgs/BatteryState",
     "std_msgs/Header header\n"
     "float32 voltage\n"
     "float32 temperature\n"
     "float32 current\n"
     "float32 charge\n"
     "float32 capacity\n"
     "float32 design_capacity\n"
     "float32 percentage\n"
     "uint8 power_supply_status\n"
     "uint8 power_supply_health\n"
     "uint8 power_supply_technology\n"
     "bool present\n"
     "float32[] cell_voltage\n"
     "float32[] cell_temperature\n"
     "string location\n"
     "string serial_number\n"},
    {"sensor_msgs/Range",
     "std_msgs/Header header\n"
     "uint8 radiation_type\n"
     "float32 field_of_view\n"
     "float32 min_range\n"
     "float32 max_range\n"
     "float32 range\n"},
};

static const struct builtin *
builtin_find(const char *norm)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i].name, norm) == 0)
            return &builtins[i];
    return NULL;
}

void
purr__cdr_type_norm(const char *name, char *out, size_t cap)
{
    const char *m = strstr(name, "/msg/");
    if (m) {
        snprintf(out, cap, "%.*s/%s", (int)(m - name), name, m + 5);
    } else if (cap) { /* truncated to cap - 1 bytes, as snprintf would */
        size_t n = strnlen(name, cap - 1);
        memcpy(out, name, n);
        out[n] = '\0';
    }
}

bool
purr__cdr_builtin_has(const char *type)
{
    char norm[256];
    purr__cdr_type_norm(type, norm, sizeof norm);
    return builtin_find(norm) != NULL;
}

/* ---------------------------------------------------------------------- */
/* Parsing .msg text                                                       */
/* ---------------------------------------------------------------------- */

void
purr__cdr_errf(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (cap)
        vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    /* Names and paths come from files: a message stays one line. */
    for (char *c = err; cap && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
}

static char *
dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        abort(); /* out of memory panics, as every datum copy does */
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static const struct {
    const char *name;
    uint8_t prim;
} prim_names[] = {
    {"bool", PURR__CDR_BOOL},       {"byte", PURR__CDR_UINT8},
    {"char", PURR__CDR_UINT8},      {"int8", PURR__CDR_INT8},
    {"uint8", PURR__CDR_UINT8},     {"int16", PURR__CDR_INT16},
    {"uint16", PURR__CDR_UINT16},   {"int32", PURR__CDR_INT32},
    {"uint32", PURR__CDR_UINT32},   {"int64", PURR__CDR_INT64},
    {"uint64", PURR__CDR_UINT64},   {"float32", PURR__CDR_FLOAT32},
    {"float64", PURR__CDR_FLOAT64}, {"string", PURR__CDR_STRING},
};

static const char *
prim_name(uint8_t prim)
{
    for (size_t i = 0; i < sizeof prim_names / sizeof prim_names[0]; i++)
        if (prim_names[i].prim == prim)
            return prim_names[i].name;
    return "message";
}

static uint32_t
type_add(purr__cdr_schema *s, const char *name)
{
    purr__cdr_type *t = realloc(s->types, (s->ntypes + 1) * sizeof *t);
    if (!t)
        abort();
    s->types = t;
    t[s->ntypes] = (purr__cdr_type){.name = dup_n(name, strlen(name))};
    return s->ntypes++;
}

static void
field_add(purr__cdr_type *t, const purr__cdr_field *f)
{
    purr__cdr_field *fs = realloc(t->fields, (t->nfields + 1) * sizeof *fs);
    if (!fs)
        abort();
    t->fields = fs;
    fs[t->nfields++] = *f;
}

static bool
is_ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '/';
}

/* Parses one field line (comments stripped, not blank) of type t. A
 * constant ("uint8 X = 1") is skipped; a default value after the name is
 * ignored. Returns 0 or PURR_EFORMAT. */
static int
parse_line(purr__cdr_type *t, const char *p, const char *end, char *err,
           size_t cap)
{
    const char *ts = p;
    while (p < end && is_ident_char(*p))
        p++;
    size_t tlen = (size_t)(p - ts);
    purr__cdr_field f = {.shape = PURR__CDR_ONE};
    if (tlen == 0 || tlen >= 200) {
        purr__cdr_errf(err, cap, "%s: bad field type in '%.*s'", t->name,
             (int)(end - ts > 60 ? 60 : end - ts), ts);
        return PURR_EFORMAT;
    }
    /* Bounded strings: string<=N. */
    if (p + 1 < end && p[0] == '<' && p[1] == '=') {
        p += 2;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && *p == '[') {
        p++;
        if (p + 1 < end && p[0] == '<' && p[1] == '=') {
            p += 2;
            f.shape = PURR__CDR_SEQUENCE;
            while (p < end && *p >= '0' && *p <= '9')
                p++;
        } else if (p < end && *p >= '0' && *p <= '9') {
            uint64_t n = 0;
            while (p < end && *p >= '0' && *p <= '9' && n <= UINT32_MAX)
                n = n * 10 + (uint64_t)(*p++ - '0');
            if (n > UINT32_MAX || n == 0) {
                purr__cdr_errf(err, cap, "%s: bad array length in '%.*s'", t->name,
                     (int)(end - ts > 60 ? 60 : end - ts), ts);
                return PURR_EFORMAT;
            }
            f.shape = PURR__CDR_FIXED;
            f.count = (uint32_t)n;
        } else {
            f.shape = PURR__CDR_SEQUENCE;
        }
        if (p >= end || *p != ']') {
            purr__cdr_errf(err, cap, "%s: ']' expected in '%.*s'", t->name,
                 (int)(end - ts > 60 ? 60 : end - ts), ts);
            return PURR_EFORMAT;
        }
        p++;
    }
    if (p >= end || (*p != ' ' && *p != '\t')) {
        purr__cdr_errf(err, cap, "%s: a field name expected after the type in '%.*s'",
             t->name, (int)(end - ts > 60 ? 60 : end - ts), ts);
        return PURR_EFORMAT;
    }
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    const char *ns = p;
    while (p < end && is_ident_char(*p) && *p != '/')
        p++;
    size_t nlen = (size_t)(p - ns);
    if (nlen == 0 || nlen >= 128) {
        purr__cdr_errf(err, cap, "%s: bad field name in '%.*s'", t->name,
             (int)(end - ts > 60 ? 60 : end - ts), ts);
        return PURR_EFORMAT;
    }
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p < end && *p == '=')
        return 0; /* a constant: not in the message */

    f.prim = PURR__CDR_STRUCT;
    for (size_t i = 0; i < sizeof prim_names / sizeof prim_names[0]; i++)
        if (strlen(prim_names[i].name) == tlen &&
            memcmp(prim_names[i].name, ts, tlen) == 0)
            f.prim = prim_names[i].prim;
    if (tlen == 7 && memcmp(ts, "wstring", 7) == 0) {
        purr__cdr_errf(err, cap, "%s: field '%.*s' is a wstring, which purr does not "
             "decode", t->name, (int)nlen, ns);
        return PURR_EFORMAT;
    }
    f.name = dup_n(ns, nlen);
    f.type_name = f.prim == PURR__CDR_STRUCT ? dup_n(ts, tlen) : NULL;
    field_add(t, &f);
    return 0;
}

/* Parses the field lines of one definition into type t. */
static int
parse_body(purr__cdr_type *t, const char *p, const char *end, char *err,
           size_t cap)
{
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *hash = memchr(p, '#', (size_t)(le - p));
        const char *ce = hash ? hash : le;
        while (p < ce && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        while (ce > p && (ce[-1] == ' ' || ce[-1] == '\t' || ce[-1] == '\r'))
            ce--;
        if (p < ce) {
            int rc = parse_line(t, p, ce, err, cap);
            if (rc < 0)
                return rc;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* True when the line [p, e) is a separator: '=' only, at least 3. */
static bool
is_separator(const char *p, const char *e)
{
    while (e > p && (e[-1] == '\r' || e[-1] == ' '))
        e--;
    if (e - p < 3)
        return false;
    for (; p < e; p++)
        if (*p != '=')
            return false;
    return true;
}

/* Parses the whole text: the first section is `root`, each next one
 * starts with "MSG: pkg/Type". */
static int
parse_text(purr__cdr_schema *s, const char *root, const char *text,
           size_t len, char *err, size_t cap)
{
    const char *p = text, *end = text + len;
    uint32_t cur = type_add(s, root);
    const char *body = p;
    while (p <= end) {
        const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        const char *le = nl ? nl : end;
        if (p == end || is_separator(p, le)) {
            int rc = parse_body(&s->types[cur], body, p, err, cap);
            if (rc < 0)
                return rc;
            if (p == end)
                break;
            /* The next non-blank line names the type. */
            p = nl ? nl + 1 : end;
            while (p < end && (*p == '\n' || *p == '\r' || *p == ' '))
                p++;
            const char *hl = memchr(p, '\n', (size_t)(end - p));
            const char *he = hl ? hl : end;
            if (he - p < 5 || memcmp(p, "MSG:", 4) != 0) {
                purr__cdr_errf(err, cap, "%s: 'MSG: pkg/Type' expected after a "
                     "'===' line", root);
                return PURR_EFORMAT;
            }
            const char *ns = p + 4;
            while (ns < he && *ns == ' ')
                ns++;
            const char *ne = he;
            while (ne > ns && (ne[-1] == ' ' || ne[-1] == '\r'))
                ne--;
            char name[256], norm[256];
            snprintf(name, sizeof name, "%.*s", (int)(ne - ns), ns);
            purr__cdr_type_norm(name, norm, sizeof norm);
            cur = type_add(s, norm);
            p = hl ? hl + 1 : end;
            body = p;
            continue;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

static int
type_find(const purr__cdr_schema *s, const char *norm)
{
    for (uint32_t i = 0; i < s->ntypes; i++)
        if (strcmp(s->types[i].name, norm) == 0)
            return (int)i;
    return -1;
}

/* Resolves every message field to a type index, loading built-ins for
 * types the text does not define. An unqualified name is in the package
 * of the type that uses it. */
static int
resolve(purr__cdr_schema *s, char *err, size_t cap)
{
    for (uint32_t ti = 0; ti < s->ntypes; ti++) {
        for (uint32_t fi = 0; fi < s->types[ti].nfields; fi++) {
            purr__cdr_field *f = &s->types[ti].fields[fi];
            if (f->prim != PURR__CDR_STRUCT)
                continue;
            char want[512], norm[256];
            if (strchr(f->type_name, '/')) {
                snprintf(want, sizeof want, "%s", f->type_name);
            } else if (strcmp(f->type_name, "Header") == 0) {
                snprintf(want, sizeof want, "std_msgs/Header");
            } else {
                const char *tn = s->types[ti].name;
                const char *sl = strchr(tn, '/');
                snprintf(want, sizeof want, "%.*s/%s",
                         sl ? (int)(sl - tn) : 0, tn, f->type_name);
            }
            purr__cdr_type_norm(want, norm, sizeof norm);
            int idx = type_find(s, norm);
            if (idx < 0) {
                const struct builtin *b = builtin_find(norm);
                if (!b) {
                    purr__cdr_errf(err, cap, "unknown message type '%s' (field '%s' "
                         "of %s)", norm, f->name, s->types[ti].name);
                    return PURR_EFORMAT;
                }
                idx = (int)type_add(s, norm);
                int rc = parse_body(&s->types[idx], b->text,
                                    b->text + strlen(b->text), err, cap);
                if (rc < 0)
                    return rc;
                f = &s->types[ti].fields[fi]; /* types moved */
            }
            f->type = (uint32_t)idx;
        }
    }
    /* An empty message is sent as one uint8, as ROS 2 does. */
    for (uint32_t ti = 0; ti < s->ntypes; ti++)
        if (s->types[ti].nfields == 0)
            field_add(&s->types[ti],
                      &(purr__cdr_field){
                          .name = dup_n("structure_needs_at_least_one_member",
                                        35),
                          .prim = PURR__CDR_UINT8});
    return 0;
}

/* True when type ti contains itself by value (not through a sequence):
 * such a message would have no end. state: 0 new, 1 on the path, 2 done. */
static bool
has_cycle(const purr__cdr_schema *s, uint32_t ti, uint8_t *state)
{
    if (state[ti] == 1)
        return true;
    if (state[ti] == 2)
        return false;
    state[ti] = 1;
    for (uint32_t fi = 0; fi < s->types[ti].nfields; fi++) {
        const purr__cdr_field *f = &s->types[ti].fields[fi];
        if (f->prim == PURR__CDR_STRUCT && f->shape != PURR__CDR_SEQUENCE &&
            has_cycle(s, f->type, state))
            return true;
    }
    state[ti] = 2;
    return false;
}

void
purr__cdr_schema_free(purr__cdr_schema *s)
{
    if (!s)
        return;
    for (uint32_t ti = 0; ti < s->ntypes; ti++) {
        for (uint32_t fi = 0; fi < s->types[ti].nfields; fi++) {
            free(s->types[ti].fields[fi].name);
            free(s->types[ti].fields[fi].type_name);
        }
        free(s->types[ti].fields);
        free(s->types[ti].name);
    }
    free(s->types);
    s->types = NULL;
    s->ntypes = 0;
}

int
purr__cdr_schema_load(purr__cdr_schema *s, const char *type,
                      const char *text, size_t len, char *err, size_t cap)
{
    memset(s, 0, sizeof *s);
    char norm[256];
    purr__cdr_type_norm(type, norm, sizeof norm);
    if (!text || len == 0) {
        const struct builtin *b = builtin_find(norm);
        if (!b) {
            purr__cdr_errf(err, cap, "unknown message type '%s' (no definition in "
                 "the log, and not one purr knows)", type);
            return PURR_EFORMAT;
        }
        text = b->text;
        len = strlen(text);
    }
    int rc = parse_text(s, norm, text, len, err, cap);
    if (rc == 0)
        rc = resolve(s, err, cap);
    if (rc == 0) {
        uint8_t *state = calloc(s->ntypes, 1);
        if (!state)
            abort();
        if (has_cycle(s, 0, state)) {
            purr__cdr_errf(err, cap, "%s contains itself", norm);
            rc = PURR_EFORMAT;
        }
        free(state);
    }
    if (rc < 0)
        purr__cdr_schema_free(s);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Field paths                                                             */
/* ---------------------------------------------------------------------- */

int
purr__cdr_path_compile(const purr__cdr_schema *s, const char *path,
                       purr__cdr_path *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    uint32_t ti = 0;
    const char *p = path;
    const purr__cdr_field *f = NULL;
    if (s->ntypes == 0) {
        purr__cdr_errf(err, cap, "no schema");
        return PURR_EFORMAT;
    }
    for (;;) {
        const char *ns = p;
        while (*p && *p != '.' && *p != '[')
            p++;
        size_t nlen = (size_t)(p - ns);
        const purr__cdr_type *t = &s->types[ti];
        if (nlen == 0) {
            purr__cdr_errf(err, cap, "bad field path '%s'", path);
            return PURR_EFORMAT;
        }
        if (out->nsteps == PURR__CDR_PATH_MAX) {
            purr__cdr_errf(err, cap, "field path '%s' is too deep (at most %d names)",
                 path, PURR__CDR_PATH_MAX);
            return PURR_EFORMAT;
        }
        f = NULL;
        uint32_t fi;
        for (fi = 0; fi < t->nfields; fi++)
            if (strlen(t->fields[fi].name) == nlen &&
                memcmp(t->fields[fi].name, ns, nlen) == 0) {
                f = &t->fields[fi];
                break;
            }
        if (!f) {
            purr__cdr_errf(err, cap, "no field '%.*s' in %s (field path '%s')",
                 (int)nlen, ns, t->name, path);
            return PURR_EFORMAT;
        }
        uint32_t k = out->nsteps++;
        out->steps[k].type = ti;
        out->steps[k].field = fi;
        out->steps[k].index = -1;
        if (*p == '[') {
            p++;
            uint64_t n = 0;
            const char *ds = p;
            while (*p >= '0' && *p <= '9' && n <= UINT32_MAX)
                n = n * 10 + (uint64_t)(*p++ - '0');
            if (p == ds || *p != ']' || n > UINT32_MAX) {
                purr__cdr_errf(err, cap, "bad index in field path '%s'", path);
                return PURR_EFORMAT;
            }
            p++;
            if (f->shape == PURR__CDR_ONE) {
                purr__cdr_errf(err, cap, "'%s' of %s is not an array (field path "
                     "'%s')", f->name, t->name, path);
                return PURR_EFORMAT;
            }
            if (f->shape == PURR__CDR_FIXED && n >= f->count) {
                purr__cdr_errf(err, cap, "index %llu past the end of %s's '%s' "
                     "(%u elements; field path '%s')",
                     (unsigned long long)n, t->name, f->name, f->count,
                     path);
                return PURR_EFORMAT;
            }
            out->steps[k].index = (int64_t)n;
        }
        bool array = f->shape != PURR__CDR_ONE && out->steps[k].index < 0;
        if (*p == '\0') {
            if (f->prim == PURR__CDR_STRUCT) {
                purr__cdr_errf(err, cap, "'%s' of %s is a %s, not a number, bool or "
                     "string: name one of its fields (field path '%s')",
                     f->name, t->name, s->types[f->type].name, path);
                return PURR_EFORMAT;
            }
            out->whole = array;
            return 0;
        }
        if (*p != '.') {
            purr__cdr_errf(err, cap, "bad field path '%s'", path);
            return PURR_EFORMAT;
        }
        if (f->prim != PURR__CDR_STRUCT || array) {
            purr__cdr_errf(err, cap, "'%s' of %s is %s%s, it has no fields (field "
                 "path '%s')", f->name, t->name, array ? "an array of " : "a ",
                 f->prim == PURR__CDR_STRUCT ? s->types[f->type].name
                                             : prim_name(f->prim),
                 path);
            return PURR_EFORMAT;
        }
        ti = f->type;
        p++;
    }
}
