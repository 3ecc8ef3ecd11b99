/* panel_decl.c - the robot panel's declaration: its text form, the units,
 * and what the rest of the window asks of it.
 *
 * A scene's `view:` key reaches the window as a purr_view_panel. `purr
 * run` passes it to the live window and stores its text form in the
 * recording (metadata view_panel, and units), which purr_view_panel_parse
 * reads back for `purr view` and `purr plot`: one line per part, fields
 * separated by tabs (names may hold spaces, never tabs or newlines). This
 * file also answers the questions the model and the window's input ask:
 * which indicators to draw (the declared ones, or one per output for the
 * neutral robot), where a highlighted row goes, which input the body's
 * touch sets, and a value's unit.
 */
#include "view_int.h"

#include <purr/core.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Parsing                                                                 */
/* ---------------------------------------------------------------------- */

enum { MAX_FIELDS = 4 };

/* Splits line (modified) at tabs into at most MAX_FIELDS + 1 fields.
 * Returns the number of fields. */
static int
split(char *line, char **fields)
{
    int n = 0;
    fields[n++] = line;
    for (char *p = line; *p; p++)
        if (*p == '\t') {
            *p = '\0';
            if (n == MAX_FIELDS + 1)
                return n + 1; /* too many */
            fields[n++] = p + 1;
        }
    return n;
}

/* Copies a name of at most cap - 1 bytes; false when it is longer. */
static bool
copy_name(char *dst, size_t cap, const char *src)
{
    size_t len = strlen(src);
    if (len >= cap)
        return false;
    memcpy(dst, src, len + 1);
    return true;
}

static bool
parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (!s[0] || *end || errno == ERANGE || !isfinite(d))
        return false;
    *out = d;
    return true;
}

/* One line of the declaration; returns a message or NULL. */
static const char *
parse_part(purr_view_panel *p, char **f, int n)
{
    const char *kind = f[0];
    if (strcmp(kind, "body") == 0) {
        if (n != 3)
            return "'body' needs a shape and a label";
        static const char *const shapes[] = {"round", "box", "pet"};
        int shape = -1;
        for (int i = 0; i < 3; i++)
            if (strcmp(f[1], shapes[i]) == 0)
                shape = i;
        if (shape < 0)
            return "unknown body shape (expected round, box or pet)";
        p->shape = (purr_view_shape)shape;
        return copy_name(p->label, sizeof p->label, f[2]) ? NULL
                                                          : "label too long";
    }
    if (strcmp(kind, "mood") == 0 || strcmp(kind, "touch") == 0 ||
        strcmp(kind, "say") == 0) {
        char *dst = kind[0] == 'm'   ? p->mood
                    : kind[0] == 't' ? p->touch
                                     : p->say;
        if (n != 2 || !f[1][0])
            return "expected one value name";
        return copy_name(dst, PURR_VIEW_NAME_MAX, f[1]) ? NULL
                                                        : "name too long";
    }
    if (strcmp(kind, "highlight") == 0) {
        if (n != 2 || !f[1][0])
            return "expected one value name";
        if (p->highlight_count == PURR_VIEW_MAX_HIGHLIGHT)
            return "too many highlighted values";
        if (!copy_name(p->highlight[p->highlight_count], PURR_VIEW_NAME_MAX,
                       f[1]))
            return "name too long";
        p->highlight_count++;
        return NULL;
    }
    purr_view_indicator ind;
    memset(&ind, 0, sizeof ind);
    if (strcmp(kind, "lamp") == 0 || strcmp(kind, "text") == 0) {
        ind.kind = kind[0] == 'l' ? PURR_VIEW_LAMP : PURR_VIEW_TEXT;
        if (n != 2)
            return "expected one value name";
    } else if (strcmp(kind, "gauge") == 0) {
        ind.kind = PURR_VIEW_GAUGE;
        if (n != 4 || !parse_number(f[2], &ind.min) ||
            !parse_number(f[3], &ind.max) || !(ind.min < ind.max))
            return "'gauge' needs a value name, then min < max";
    } else if (strcmp(kind, "arrow") == 0) {
        ind.kind = PURR_VIEW_ARROW;
        if (n != 2 && n != 3)
            return "'arrow' needs one or two value names";
        if (n == 3 &&
            (!f[2][0] || !copy_name(ind.value_y, sizeof ind.value_y, f[2])))
            return "bad second value name";
    } else {
        return "unknown part (expected body, mood, touch, say, lamp, "
               "gauge, text, arrow or highlight)";
    }
    if (!f[1][0] || !copy_name(ind.value, sizeof ind.value, f[1]))
        return "bad value name";
    if (p->indicator_count == PURR_VIEW_MAX_INDICATORS)
        return "too many indicators";
    p->indicators[p->indicator_count++] = ind;
    return NULL;
}

static const char *
parse_unit(purr_view_panel *p, char **f, int n)
{
    if (n != 2 || !f[0][0] || !f[1][0])
        return "expected a value name and a unit";
    if (p->unit_count == PURR_VIEW_MAX_UNITS)
        return "too many units";
    purr_view_unit *u = &p->units[p->unit_count];
    if (!copy_name(u->value, sizeof u->value, f[0]) ||
        !copy_name(u->unit, sizeof u->unit, f[1]))
        return "name or unit too long";
    p->unit_count++;
    return NULL;
}

/* Runs each line of text through fn; the first failure fills diag with
 * what (the metadata's name) and the line. */
static int
parse_lines(purr_view_panel *p, const char *text, const char *what,
            const char *(*fn)(purr_view_panel *, char **, int), purr_diag *diag)
{
    long lineno = 0;
    for (const char *s = text; s && *s;) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        lineno++;
        char line[4 * PURR_VIEW_NAME_MAX + 64];
        if (len >= sizeof line) {
            purr_diag_set(diag, "", 0, 0, "%s, line %ld: too long", what,
                          lineno);
            return PURR_EFORMAT;
        }
        memcpy(line, s, len);
        line[len] = '\0';
        s += nl ? len + 1 : len;
        if (!line[0])
            continue;
        char *f[MAX_FIELDS + 1];
        int n = split(line, f);
        const char *msg = n > MAX_FIELDS ? "too many fields" : fn(p, f, n);
        if (msg) {
            purr_diag_set(diag, "", 0, 0, "%s, line %ld: %s", what, lineno,
                          msg);
            return PURR_EFORMAT;
        }
    }
    return 0;
}

int
purr_view_panel_parse(const char *panel_text, const char *units_text,
                      purr_view_panel *out, purr_diag *diag)
{
    memset(out, 0, sizeof *out);
    int rc = parse_lines(out, panel_text, "view_panel", parse_part, diag);
    if (rc == 0)
        rc = parse_lines(out, units_text, "units", parse_unit, diag);
    if (rc < 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->declared = panel_text && panel_text[0];
    return 0;
}

int
purr__panel_load(purr_view_panel *p, purr_recording *rec, purr_diag *diag)
{
    purr_diag local = {0};
    int rc =
        purr_view_panel_parse(purr_recording_meta(rec, "view_panel"),
                              purr_recording_meta(rec, "units"), p, &local);
    if (rc < 0)
        purr_diag_set(diag, purr_recording_path(rec), 0, 0, "metadata %s",
                      local.message);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Questions                                                               */
/* ---------------------------------------------------------------------- */

const char *
purr__panel_unit(const purr_view_panel *p, const char *name)
{
    for (size_t i = 0; i < p->unit_count; i++)
        if (strcmp(p->units[i].value, name) == 0)
            return p->units[i].unit;
    return NULL;
}

int
purr__panel_highlight_rank(const purr_view_panel *p, const char *name)
{
    for (size_t i = 0; i < p->highlight_count; i++)
        if (strcmp(p->highlight[i], name) == 0)
            return (int)i;
    return -1;
}

purr__vm_row *
purr__panel_place_row(purr__view_model *vm, size_t i)
{
    int rank = purr__panel_highlight_rank(&vm->panel, vm->rows[i].name);
    if (rank < 0)
        return &vm->rows[i];
    /* After the highlighted rows that come before it in the list. */
    size_t j = 0;
    while (j < i) {
        int r = purr__panel_highlight_rank(&vm->panel, vm->rows[j].name);
        if (r < 0 || r > rank)
            break;
        j++;
    }
    if (j < i) {
        purr__vm_row row = vm->rows[i];
        memmove(&vm->rows[j + 1], &vm->rows[j], (i - j) * sizeof row);
        vm->rows[j] = row;
    }
    return &vm->rows[j];
}

purr__vm_row *
purr__panel_touch_row(purr__view_model *vm)
{
    if (!vm->panel.touch[0])
        return NULL;
    purr__vm_row *row = purr__vm_find(vm, vm->panel.touch);
    return row && row->role == PURR_ROLE_INPUT && row->type == PURR_T_BOOL
               ? row
               : NULL;
}

size_t
purr__panel_indicators(const purr__view_model *vm, purr_view_indicator *out,
                       size_t cap)
{
    const purr_view_panel *p = &vm->panel;
    size_t n = 0;
    if (p->declared) {
        for (size_t i = 0; i < p->indicator_count && n < cap; i++)
            out[n++] = p->indicators[i];
        return n;
    }
    for (size_t i = 0; i < vm->row_count && n < cap; i++) {
        const purr__vm_row *row = &vm->rows[i];
        if (row->role != PURR_ROLE_OUTPUT)
            continue;
        purr_view_indicator *ind = &out[n++];
        memset(ind, 0, sizeof *ind);
        snprintf(ind->value, sizeof ind->value, "%s", row->name);
        if (row->type == PURR_T_BOOL) {
            ind->kind = PURR_VIEW_LAMP;
        } else if (row->type == PURR_T_INT || row->type == PURR_T_DOUBLE) {
            ind->kind = PURR_VIEW_GAUGE;
            ind->min = row->has_range ? row->min : 0;
            ind->max =
                row->has_range && row->max > ind->min ? row->max : ind->min + 1;
        } else {
            ind->kind = PURR_VIEW_TEXT;
        }
    }
    return n;
}
