/* panel.c - the robot's panel: the robot a scene declares, drawn beside
 * the rows, and clicks on its indicators.
 *
 * The panel is built from a few parts (panel_decl.c holds the
 * declaration): a body (round, a box, or the pet's cat) with a label, its
 * colour following a mood value, a ring while touched and a speech bubble;
 * and indicators in a grid above and below the body, each bound to a
 * value: a lamp for a bool, a gauge for a number over its range, a text,
 * an arrow for a heading or a two-value vector. Everything shows the
 * values at the cursor's time. Without a declaration the panel is the
 * neutral robot with one indicator per output. Drawing reads the model
 * only; a click on an indicator bound to an input becomes the datum the
 * window posts (purr__panel_hit), as the body's touch does.
 */
#include "draw.h"

uint32_t
purr__mood_color(const char *mood)
{
    if (!mood)
        return PURR__COLOR_MOOD_OTHER;
    if (strcmp(mood, "happy") == 0)
        return PURR__COLOR_MOOD_HAPPY;
    if (strcmp(mood, "sleepy") == 0)
        return PURR__COLOR_MOOD_SLEEPY;
    if (strcmp(mood, "curious") == 0)
        return PURR__COLOR_MOOD_CURIOUS;
    return PURR__COLOR_MOOD_OTHER;
}

/* The row named name's datum at the cursor, or NULL (also for ""). */
static const purr_datum *
value_at(const purr__view_model *vm, const char *name, purr_time t)
{
    if (!name || !name[0])
        return NULL;
    for (size_t i = 0; i < vm->row_count; i++)
        if (strcmp(vm->rows[i].name, name) == 0)
            return purr__vm_at(&vm->rows[i], t);
    return NULL;
}

/* A datum's string, when it is a non-empty string. */
static const char *
string_of(const purr_datum *d)
{
    return d && d->type == PURR_T_STRING && d->len ? d->u.s : NULL;
}

static bool
is_number(const purr_datum *d)
{
    return d && (d->type == PURR_T_INT || d->type == PURR_T_DOUBLE);
}

/* ---------------------------------------------------------------------- */
/* Layout                                                                  */
/* ---------------------------------------------------------------------- */

enum { CELL_H = 32, NAME_H = 18, WIDGET_H = 12 };

/* The ground line: the body stands on it; the label is just under it. */
static int
ground_of(const purr__layout *lay)
{
    return lay->robot_cy + lay->robot_r + lay->robot_r / 2;
}

size_t
purr__panel_cells(const purr__layout *lay, size_t n, purr__panel_cell *cells)
{
    const SDL_Rect *p = &lay->robot;
    int cols = p->w >= 300 ? 3 : 2;
    int cw = (p->w - 12) / cols;
    /* Two regions: above the body (ears included) and under the label. */
    int top0 = p->y + 6;
    int top1 = lay->robot_cy - lay->robot_r * 14 / 10 - 4;
    int bot0 = ground_of(lay) + 28, bot1 = p->y + p->h - 2;
    int regions[2][2] = {{top0, top1}, {bot0, bot1}};
    size_t k = 0;
    for (int g = 0; g < 2 && k < n; g++) {
        int rows = (regions[g][1] - regions[g][0]) / CELL_H;
        for (int r = 0; r < rows && k < n; r++)
            for (int c = 0; c < cols && k < n; c++, k++) {
                int x = p->x + 6 + c * cw, y = regions[g][0] + r * CELL_H;
                cells[k].cell = (SDL_Rect){x, y, cw - 6, CELL_H - 2};
                cells[k].widget = (SDL_Rect){x, y + NAME_H, cw - 10, WIDGET_H};
            }
    }
    return k;
}

/* ---------------------------------------------------------------------- */
/* Indicators                                                              */
/* ---------------------------------------------------------------------- */

/* "60 %" or "60": a number with the value's unit. */
static void
number_text(const purr__view_model *vm, const char *name, double v, char *buf,
            size_t cap)
{
    const char *unit = purr__panel_unit(&vm->panel, name);
    snprintf(buf, cap, "%.3g%s%s", v, unit ? " " : "", unit ? unit : "");
}

static void
draw_indicator(SDL_Renderer *r, const purr__fonts *f,
               const purr__view_model *vm, const purr_view_indicator *ind,
               const purr__panel_cell *c, purr_time t)
{
    const SDL_Rect *w = &c->widget;
    const purr_datum *d = value_at(vm, ind->value, t);
    char buf[96] = "";
    int name_w = c->cell.w;
    switch (ind->kind) {
    case PURR_VIEW_LAMP: {
        bool on = d && d->type == PURR_T_BOOL && d->u.b;
        float rad = WIDGET_H / 2.0f;
        disc(r, on ? PURR__COLOR_LAMP_ON : PURR__COLOR_LAMP_OFF,
             (float)w->x + rad, (float)w->y + rad, rad);
        text(r, f->mono, d ? (on ? "on" : "off") : "-", w->x + WIDGET_H + 6,
             w->y - 3, on ? C_TEXT : C_DIM, LEFT, w->w - WIDGET_H - 6);
        break;
    }
    case PURR_VIEW_GAUGE: {
        fill(r, PURR__COLOR_GAUGE_BG, w->x, w->y, w->w, w->h);
        if (is_number(d)) {
            double v = purr_datum_as_double(d);
            double k = (v - ind->min) / (ind->max - ind->min);
            k = k < 0 ? 0 : k > 1 ? 1 : k;
            int fw = (int)(k * w->w + 0.5);
            fill(r, PURR__COLOR_GAUGE, w->x, w->y, fw, w->h);
            fill(r, C_TEXT, w->x + fw - (fw > 0 ? 1 : 0), w->y - 2, 2,
                 w->h + 4); /* the needle */
            number_text(vm, ind->value, v, buf, sizeof buf);
            name_w -= text_width(f->mono, buf) + 6;
            text(r, f->mono, buf, c->cell.x + c->cell.w, c->cell.y + 1, C_TEXT,
                 RIGHT, 0);
        }
        outline(r, C_DIM, w->x, w->y, w->w, w->h);
        break;
    }
    case PURR_VIEW_TEXT:
        if (d && d->type == PURR_T_STRING)
            snprintf(buf, sizeof buf, "%s", d->u.s);
        else if (is_number(d))
            number_text(vm, ind->value, purr_datum_as_double(d), buf,
                        sizeof buf);
        else if (d)
            purr_datum_format(d, buf, sizeof buf);
        text(r, f->mono, buf[0] ? buf : "-", w->x, w->y - 3, C_TEXT, LEFT,
             w->w);
        break;
    case PURR_VIEW_ARROW: {
        float rad = WIDGET_H / 2.0f + 1;
        float cx = (float)w->x + rad, cy = (float)w->y + rad - 1;
        ring(r, C_DIM, cx, cy, rad, 1.5f);
        double a = 0; /* radians, clockwise from up */
        bool have = false;
        if (ind->value_y[0]) {
            const purr_datum *dy = value_at(vm, ind->value_y, t);
            if (is_number(d) && is_number(dy)) {
                double vx = purr_datum_as_double(d),
                       vy = purr_datum_as_double(dy);
                have = vx != 0 || vy != 0;
                a = atan2(vx, vy);
                snprintf(buf, sizeof buf, "%.3g, %.3g", vx, vy);
            }
        } else if (is_number(d)) {
            have = true;
            a = purr_datum_as_double(d) * M_PI / 180;
            snprintf(buf, sizeof buf, "%.4g\xc2\xb0", purr_datum_as_double(d));
        }
        if (have)
            thick_line(r, PURR__COLOR_GAUGE, cx, cy, cx + rad * (float)sin(a),
                       cy - rad * (float)cos(a), 2.5f);
        text(r, f->mono, buf[0] ? buf : "-", w->x + WIDGET_H + 8, w->y - 3,
             C_TEXT, LEFT, w->w - WIDGET_H - 8);
        break;
    }
    }
    char name[PURR_VIEW_NAME_MAX * 2 + 4];
    if (ind->kind == PURR_VIEW_ARROW && ind->value_y[0])
        snprintf(name, sizeof name, "%s, %s", ind->value, ind->value_y);
    else
        snprintf(name, sizeof name, "%s", ind->value);
    text(r, f->ui, name, c->cell.x, c->cell.y, C_DIM, LEFT,
         name_w > 8 ? name_w : 8);
}

/* ---------------------------------------------------------------------- */
/* Bodies                                                                  */
/* ---------------------------------------------------------------------- */

/* The pet: ears, wheels, a face that follows the mood. */
static void
body_pet(SDL_Renderer *r, float cx, float cy, float R, const char *mood)
{
    uint32_t body = purr__mood_color(mood);
    uint32_t dark = shade(body, 0.6);
    triangle(r, dark, cx - R * 0.85f, cy - R * 0.45f, cx - R * 0.75f,
             cy - R * 1.35f, cx - R * 0.2f, cy - R * 0.9f);
    triangle(r, dark, cx + R * 0.85f, cy - R * 0.45f, cx + R * 0.75f,
             cy - R * 1.35f, cx + R * 0.2f, cy - R * 0.9f);
    disc(r, 0x202328, cx - R * 0.6f, cy + R * 0.9f, R * 0.28f);
    disc(r, 0x202328, cx + R * 0.6f, cy + R * 0.9f, R * 0.28f);
    disc(r, dark, cx, cy, R + 2);
    disc(r, body, cx, cy, R);
    /* Eyes: open and curious, closed when sleepy, ^ ^ when happy. */
    float ex = R * 0.38f, ey = cy - R * 0.28f, er = R * 0.17f;
    for (int s = -1; s <= 1; s += 2) {
        float x = cx + s * ex;
        if (mood && strcmp(mood, "sleepy") == 0) {
            thick_line(r, 0x202328, x - er, ey, x + er, ey, 3);
        } else if (mood && strcmp(mood, "happy") == 0) {
            thick_line(r, 0x202328, x - er, ey + er * 0.5f, x, ey - er * 0.5f,
                       3);
            thick_line(r, 0x202328, x, ey - er * 0.5f, x + er, ey + er * 0.5f,
                       3);
        } else {
            disc(r, 0xf5f5f5, x, ey, er);
            disc(r, 0x202328, x + er * 0.2f, ey, er * 0.5f);
        }
    }
    /* Mouth: a smile, flat when sleepy. */
    float my = cy + R * 0.4f;
    if (mood && strcmp(mood, "sleepy") == 0) {
        thick_line(r, 0x202328, cx - R * 0.15f, my, cx + R * 0.15f, my, 2);
    } else {
        float prevx = 0, prevy = 0;
        for (int i = 0; i <= 8; i++) {
            float a = (float)(M_PI * (0.2 + 0.6 * i / 8.0));
            float x = cx + R * 0.28f * cosf(a),
                  yv = my - R * 0.12f + R * 0.2f * sinf(a);
            if (i)
                thick_line(r, 0x202328, prevx, prevy, x, yv, 2);
            prevx = x;
            prevy = yv;
        }
    }
}

/* A plain robot: a disc or a box on two wheels, two eyes. */
static void
body_plain(SDL_Renderer *r, float cx, float cy, float R, bool box,
           uint32_t body)
{
    uint32_t dark = shade(body, 0.6);
    disc(r, 0x202328, cx - R * 0.6f, cy + R * 0.95f, R * 0.25f);
    disc(r, 0x202328, cx + R * 0.6f, cy + R * 0.95f, R * 0.25f);
    if (box) {
        int x = (int)(cx - R), y = (int)(cy - R * 0.85f);
        int w = (int)(2 * R), h = (int)(1.75f * R);
        fill(r, dark, x - 2, y - 2, w + 4, h + 4);
        fill(r, body, x, y, w, h);
        /* an antenna */
        thick_line(r, dark, cx, cy - R * 0.85f, cx, cy - R * 1.25f, 3);
        disc(r, dark, cx, cy - R * 1.3f, R * 0.1f);
    } else {
        disc(r, dark, cx, cy, R + 2);
        disc(r, body, cx, cy, R);
    }
    float ex = R * 0.35f, ey = cy - R * 0.25f, er = R * 0.14f;
    for (int s = -1; s <= 1; s += 2) {
        disc(r, 0xf5f5f5, cx + s * ex, ey, er);
        disc(r, 0x202328, cx + s * ex, ey, er * 0.5f);
    }
}

/* What the body says, in a bubble beside its head. */
static void
bubble(SDL_Renderer *r, const purr__fonts *f, const SDL_Rect *p, float cx,
       float cy, float R, const char *s)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s~", s);
    int tw = text_width(f->big, buf) + 16;
    int bx = (int)(cx + R * 0.5f), by = (int)(cy - R * 1.9f);
    if (bx + tw > p->x + p->w - 4)
        bx = p->x + p->w - 4 - tw;
    fill(r, 0xf5f5f5, bx, by, tw, 28);
    triangle(r, 0xf5f5f5, (float)bx + 10, (float)by + 27, (float)bx + 24,
             (float)by + 27, cx + R * 0.45f, cy - R * 1.05f);
    text(r, f->big, buf, bx + 8, by + 3, 0x202328, LEFT, 0);
}

void
purr__panel_draw(SDL_Renderer *r, const purr__fonts *f,
                 const purr__view_model *vm, const purr__view_ui *ui,
                 const purr__layout *lay)
{
    const purr_view_panel *pd = &vm->panel;
    purr_time t = ui->cursor_ns;
    const SDL_Rect *p = &lay->robot;
    fill(r, 0x2b3350, p->x, p->y, p->w, p->h);
    int ground = ground_of(lay);
    fill(r, 0x3b3f46, p->x, ground, p->w, p->y + p->h - ground);

    float cx = (float)lay->robot_cx, cy = (float)lay->robot_cy;
    float R = (float)lay->robot_r;
    const purr_datum *touched = value_at(vm, pd->touch, t);
    if (ui->robot_pressed || (touched && purr_datum_as_bool(touched)))
        ring(r, C_CURSOR, cx, cy, R + 8, 3);
    const char *mood = string_of(value_at(vm, pd->mood, t));
    if (pd->declared && pd->shape == PURR_VIEW_PET) {
        body_pet(r, cx, cy, R, mood);
    } else {
        uint32_t c = !mood ? PURR__COLOR_BODY
                     : purr__mood_color(mood) != PURR__COLOR_MOOD_OTHER
                         ? purr__mood_color(mood)
                         : string_color(mood, strlen(mood));
        body_plain(r, cx, cy, R, pd->declared && pd->shape == PURR_VIEW_BOX, c);
    }
    /* The label (or the mood, when one is bound) under the body. */
    const char *label = mood            ? mood
                        : !pd->declared ? "robot (no view: in the scene)"
                        : pd->mood[0] && pd->shape == PURR_VIEW_PET
                            ? "(no mood)"
                            : pd->label;
    text(r, f->big, label, (int)cx, ground + 4, C_TEXT, CENTER, p->w - 8);

    purr_view_indicator inds[PURR_VIEW_MAX_INDICATORS];
    purr__panel_cell cells[PURR_VIEW_MAX_INDICATORS];
    size_t n = purr__panel_indicators(vm, inds, PURR_VIEW_MAX_INDICATORS);
    n = purr__panel_cells(lay, n, cells);
    for (size_t i = 0; i < n; i++)
        draw_indicator(r, f, vm, &inds[i], &cells[i], t);

    const char *say = string_of(value_at(vm, pd->say, t));
    if (say)
        bubble(r, f, p, cx, cy, R, say);
}

/* ---------------------------------------------------------------------- */
/* Clicks                                                                  */
/* ---------------------------------------------------------------------- */

bool
purr__panel_hit(purr__view_model *vm, const purr__layout *lay, int x, int y,
                purr__panel_click *out)
{
    purr_view_indicator inds[PURR_VIEW_MAX_INDICATORS];
    purr__panel_cell cells[PURR_VIEW_MAX_INDICATORS];
    size_t n = purr__panel_indicators(vm, inds, PURR_VIEW_MAX_INDICATORS);
    n = purr__panel_cells(lay, n, cells);
    for (size_t i = 0; i < n; i++) {
        const SDL_Rect *c = &cells[i].cell, *w = &cells[i].widget;
        if (x < c->x || x >= c->x + c->w || y < c->y || y >= c->y + c->h)
            continue;
        purr__vm_row *row = purr__vm_find(vm, inds[i].value);
        if (!row || row->role != PURR_ROLE_INPUT || !row->value)
            return false;
        if (inds[i].kind == PURR_VIEW_LAMP && row->type == PURR_T_BOOL) {
            out->row = row;
            out->datum =
                purr_datum_bool(!purr_datum_as_bool(purr__vm_current(row)));
            return true;
        }
        if (inds[i].kind == PURR_VIEW_GAUGE &&
            (row->type == PURR_T_INT || row->type == PURR_T_DOUBLE)) {
            double k = w->w > 1 ? (double)(x - w->x) / (w->w - 1) : 0;
            k = k < 0 ? 0 : k > 1 ? 1 : k;
            double v = inds[i].min + k * (inds[i].max - inds[i].min);
            out->row = row;
            out->datum = row->type == PURR_T_INT
                             ? purr_datum_int((int64_t)llround(v))
                             : purr_datum_double(v);
            return true;
        }
        return false;
    }
    return false;
}
