/* panel.c - the robot's panel: drawing the robot beside the rows.
 *
 * The panel shows the robot at the cursor's time: its body coloured by
 * its mood, eyes, the dock, its sound, the battery and the light. It
 * reads the model only.
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

/* ---------------------------------------------------------------------- */
/* The robot                                                               */
/* ---------------------------------------------------------------------- */

/* The row named name's datum at the cursor, or NULL. */
static const purr_datum *
value_at(const purr__view_model *vm, const char *name, purr_time t)
{
    for (size_t i = 0; i < vm->row_count; i++)
        if (strcmp(vm->rows[i].name, name) == 0)
            return purr__vm_at(&vm->rows[i], t);
    return NULL;
}

static const purr__vm_row *
row_named(const purr__view_model *vm, const char *name)
{
    for (size_t i = 0; i < vm->row_count; i++)
        if (strcmp(vm->rows[i].name, name) == 0)
            return &vm->rows[i];
    return NULL;
}

void
purr__panel_draw(SDL_Renderer *r, const purr__fonts *f,
                 const purr__view_model *vm, const purr__view_ui *ui,
                 const purr__layout *lay)
{
    purr_time t = ui->cursor_ns;
    const SDL_Rect *p = &lay->robot;
    /* The sky follows the light sensor, when there is one. */
    uint32_t sky = 0x2b3350;
    const purr__vm_row *light_row = row_named(vm, "light");
    const purr_datum *light = value_at(vm, "light", t);
    if (light && light_row->has_range) {
        double max = light_row->max > 1 ? light_row->max : 1;
        double k = purr_datum_as_double(light) / max;
        sky = blend(0x151a2e, 0x7fa7cf, k < 0 ? 0 : k > 1 ? 1 : k);
    }
    fill(r, sky, p->x, p->y, p->w, p->h);
    int ground = lay->robot_cy + lay->robot_r + lay->robot_r / 2;
    fill(r, 0x3b3f46, p->x, ground, p->w, p->y + p->h - ground);

    float cx = (float)lay->robot_cx, cy = (float)lay->robot_cy;
    float R = (float)lay->robot_r;
    /* The dock: under the robot when docked, off to the right if not. */
    const purr_datum *docked = value_at(vm, "docked", t);
    if (docked) {
        bool on = purr_datum_as_bool(docked);
        int dw = (int)(R * 2.2f),
            dx = on ? (int)cx - dw / 2 : p->x + p->w - dw - 6;
        fill(r, on ? 0x3f6f4a : 0x4a505c, dx, ground - 4, dw, 10);
        text(r, f->ui, on ? "docked, charging" : "dock", dx + dw / 2,
             ground + 8, on ? C_GREEN : C_DIM, CENTER, 0);
    }
    /* Touch: a ring around the body while touched or held. */
    const purr_datum *touched = value_at(vm, "touched", t);
    if (ui->robot_pressed || (touched && purr_datum_as_bool(touched)))
        ring(r, C_CURSOR, cx, cy, R + 8, 3);

    const purr_datum *mood_d = value_at(vm, "mood", t);
    const char *mood = mood_d && mood_d->type == PURR_T_STRING && mood_d->len
                           ? mood_d->u.s
                           : NULL;
    uint32_t body = purr__mood_color(mood);
    /* Ears, wheels, then the body over them. */
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
    /* What it says. */
    const purr_datum *sound = value_at(vm, "sound", t);
    if (sound && sound->type == PURR_T_STRING && sound->len) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s~", sound->u.s);
        int tw = text_width(f->big, buf) + 16;
        int bx = (int)(cx + R * 0.5f), by = (int)(cy - R * 1.9f);
        if (bx + tw > p->x + p->w - 4)
            bx = p->x + p->w - 4 - tw;
        fill(r, 0xf5f5f5, bx, by, tw, 28);
        triangle(r, 0xf5f5f5, (float)bx + 10, (float)by + 27, (float)bx + 24,
                 (float)by + 27, cx + R * 0.45f, cy - R * 1.05f);
        text(r, f->big, buf, bx + 8, by + 3, 0x202328, LEFT, 0);
    }
    /* Mood, battery and light along the panel's edges. */
    text(r, f->big, mood ? mood : "(no mood)", (int)cx, ground + 30, C_TEXT,
         CENTER, 0);
    const purr_datum *bat = value_at(vm, "battery", t);
    if (bat) {
        double pc = purr_datum_as_double(bat);
        double k = pc < 0 ? 0 : pc > 100 ? 1 : pc / 100;
        uint32_t c = pc < 20 ? C_RED : pc < 50 ? C_OUTPUT : C_GREEN;
        outline(r, C_TEXT, p->x + 10, p->y + 10, 52, 20);
        fill(r, C_TEXT, p->x + 62, p->y + 16, 3, 8);
        fill(r, c, p->x + 12, p->y + 12, (int)(48 * k), 16);
        char buf[32];
        snprintf(buf, sizeof buf, "%.0f%%", pc);
        text(r, f->ui, buf, p->x + 72, p->y + 11, C_TEXT, LEFT, 0);
    }
    if (light) {
        char buf[48];
        snprintf(buf, sizeof buf, "light %.0f", purr_datum_as_double(light));
        text(r, f->ui, buf, p->x + p->w - 10, p->y + 11, C_TEXT, RIGHT, 0);
    }
}
