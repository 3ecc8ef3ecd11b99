/* test_rows.c - the value rows, drawn offscreen and checked pixel by
 * pixel: bools as filled bands, numbers as a line on their scale (with
 * the scale's labels beside the track), strings as coloured segments; and
 * a recorded false shown as false, not nil (the initial datum of a value
 * that never changed comes from the recording). */
#include "view_rec.h"

#include <unistd.h>

typedef struct frame {
    offscreen o;
    purr__layout lay;
    purr__axis axis;
} frame;

/* Draws vm over [0, 60 s] with the cursor at `cursor`. */
static void
draw(frame *f, const purr__view_model *vm, purr_time cursor)
{
    purr__view_ui ui = {0};
    ui.title = "rows";
    ui.from_ns = 0;
    ui.to_ns = 60 * PURR_S;
    ui.cursor_ns = cursor;
    ui.scrubber = true;
    ui.selected = -1;
    purr__render_frame(f->o.ren, &f->o.fonts, vm, &ui, f->o.w, f->o.h);
    offscreen_read(&f->o);
    purr__layout_compute(&f->lay, f->o.w, f->o.h, vm->row_count, true);
    purr__axis a = {0, 60 * PURR_S, f->lay.tl_x, f->lay.tl_w};
    f->axis = a;
}

/* The pixel in row i at time t, dy pixels below the row's middle. */
static uint32_t
px(const frame *f, int i, purr_time t, int dy)
{
    int x = purr__axis_x(&f->axis, t);
    int y = f->lay.rows.y + i * f->lay.row_h + f->lay.row_h / 2 + dy;
    return offscreen_at(&f->o, x, y);
}

Test(rows, bools_are_filled_bands_while_true)
{
    frame f;
    offscreen_open(&f.o, 1200, 760);
    purr__view_model vm;
    purr__vm_init(&vm);
    purr_datum no = purr_datum_bool(false), yes = purr_datum_bool(true);
    purr__vm_row *in =
        purr__vm_add(&vm, 1, "door", PURR_ROLE_INPUT, PURR_T_BOOL, 0, &no);
    purr__vm_row *out =
        purr__vm_add(&vm, 2, "lamp", PURR_ROLE_OUTPUT, PURR_T_BOOL, 0, &yes);
    purr__vm_set(&vm, in, 20 * PURR_S, &yes);
    purr__vm_set(&vm, in, 40 * PURR_S, &no);
    purr__vm_set(&vm, out, 30 * PURR_S, &no);
    draw(&f, &vm, -1);
    /* The band fills the row's middle (in the role's colour) only while
     * true; elsewhere the track shows (away from the grid's ticks, every
     * 15 s here). */
    for (int dy = -8; dy <= 8; dy += 4) {
        cr_assert_eq(px(&f, 0, 30 * PURR_S, dy), PURR__COLOR_INPUT);
        cr_assert_eq(px(&f, 0, 10 * PURR_S, dy), PURR__COLOR_TRACK);
        cr_assert_eq(px(&f, 0, 50 * PURR_S, dy), PURR__COLOR_TRACK);
        cr_assert_eq(px(&f, 1, 15 * PURR_S, dy), PURR__COLOR_OUTPUT);
        cr_assert_eq(px(&f, 1, 50 * PURR_S, dy), PURR__COLOR_TRACK);
    }
    purr__vm_close(&vm);
    offscreen_close(&f.o);
}

/* The row of the line's pixels at time t in row i: the topmost pixel of
 * colour c in that column of the track, or -1. */
static int
line_y(const frame *f, int i, purr_time t, uint32_t c)
{
    int x = purr__axis_x(&f->axis, t);
    int y0 = f->lay.rows.y + i * f->lay.row_h;
    for (int y = y0; y < y0 + f->lay.row_h; y++)
        if (offscreen_at(&f->o, x, y) == c)
            return y;
    return -1;
}

/* Counts the pixels of the scale column beside row i's track that are not
 * the row's background (the labels' text). */
static int
scale_ink(const frame *f, int i)
{
    int y0 = f->lay.rows.y + i * f->lay.row_h, n = 0;
    uint32_t bg = offscreen_at(&f->o, f->lay.tl_x - f->lay.scale_w + 2, y0 + 1);
    for (int y = y0 + 1; y < y0 + f->lay.row_h - 1; y++)
        for (int x = f->lay.tl_x - f->lay.scale_w; x < f->lay.tl_x - 1; x++)
            n += offscreen_at(&f->o, x, y) != bg;
    return n;
}

Test(rows, numbers_are_a_line_on_their_scale)
{
    frame f;
    offscreen_open(&f.o, 1200, 760);
    purr__view_model vm;
    purr__vm_init(&vm);
    purr_datum lo = purr_datum_double(20), mid = purr_datum_double(50),
               hi = purr_datum_double(80);
    purr__vm_row *r =
        purr__vm_add(&vm, 1, "battery", PURR_ROLE_INPUT, PURR_T_DOUBLE, 0, &lo);
    purr__vm_set(&vm, r, 20 * PURR_S, &hi);
    purr__vm_set(&vm, r, 40 * PURR_S, &mid);
    purr_datum b = purr_datum_bool(false);
    purr__vm_add(&vm, 2, "flag", PURR_ROLE_INPUT, PURR_T_BOOL, 0, &b);
    draw(&f, &vm, -1);
    /* 20 is the bottom of the scale, 80 the top, 50 halfway: the track
     * spans the row less 2 px each side, the scale 3 px inside that. */
    int y0 = f.lay.rows.y + 2, h = f.lay.row_h - 4;
    int top = y0 + 3, base = y0 + h - 3;
    cr_assert_eq(line_y(&f, 0, 10 * PURR_S, PURR__COLOR_INPUT), base);
    cr_assert_eq(line_y(&f, 0, 30 * PURR_S, PURR__COLOR_INPUT), top);
    int half = base - (int)(0.5 * (base - top) + 0.5);
    cr_assert_eq(line_y(&f, 0, 50 * PURR_S, PURR__COLOR_INPUT), half);
    /* The numeric row has its scale's labels beside the track; the bool
     * row has none. */
    cr_assert_gt(scale_ink(&f, 0), 40);
    cr_assert_eq(scale_ink(&f, 1), 0);
    purr__vm_close(&vm);
    offscreen_close(&f.o);
}

Test(rows, strings_are_segments_coloured_by_their_text)
{
    frame f;
    offscreen_open(&f.o, 1200, 760);
    purr__view_model vm;
    purr__vm_init(&vm);
    purr_datum a = purr_datum_string("curious"),
               b = purr_datum_string("sleepy"), none = purr_datum_string("");
    purr__vm_row *r =
        purr__vm_add(&vm, 1, "mood", PURR_ROLE_OUTPUT, PURR_T_STRING, 0, &a);
    purr__vm_set(&vm, r, 20 * PURR_S, &b);
    purr__vm_set(&vm, r, 40 * PURR_S, &none);
    purr__vm_set(&vm, r, 50 * PURR_S, &a);
    draw(&f, &vm, -1);
    /* Away from the labels (which sit at each segment's left), the
     * segments of one text share one colour, another text has another,
     * and the empty string leaves the track. */
    uint32_t c1 = px(&f, 0, 18 * PURR_S, 8), c2 = px(&f, 0, 38 * PURR_S, 8);
    cr_assert_neq(c1, PURR__COLOR_TRACK);
    cr_assert_neq(c2, PURR__COLOR_TRACK);
    cr_assert_neq(c1, c2);
    cr_assert_eq(px(&f, 0, 59 * PURR_S, 8), c1);
    cr_assert_eq(px(&f, 0, 42 * PURR_S, 8), PURR__COLOR_TRACK);
    /* The label: light text inside the first segment. */
    int light = 0, y0 = f.lay.rows.y, x0 = purr__axis_x(&f.axis, 0);
    for (int y = y0; y < y0 + f.lay.row_h; y++)
        for (int x = x0; x < x0 + 70; x++) {
            uint32_t p = offscreen_at(&f.o, x, y);
            light += (p >> 16) > 0xc0 && ((p >> 8) & 0xff) > 0xc0;
        }
    cr_assert_gt(light, 20);
    purr_datum_free(&a);
    purr_datum_free(&b);
    purr_datum_free(&none);
    purr__vm_close(&vm);
    offscreen_close(&f.o);
}

/* The value column of row i, as pixels. */
static void
value_cell(const frame *f, int i, uint32_t *out)
{
    int x0 = f->lay.marker_x + f->lay.marker_w + 8 + f->lay.name_w;
    int y0 = f->lay.rows.y + i * f->lay.row_h;
    int k = 0;
    for (int y = y0; y < y0 + f->lay.row_h; y++)
        for (int x = x0; x < x0 + f->lay.value_w; x++)
            out[k++] = offscreen_at(&f->o, x, y);
}

static const char *const DB = "rows.db";

/* `alarm` was created false and never set; `door` went true and back to
 * false. In the recording's model both are false (bools), never nil, and
 * the frame's value cells read exactly as those of a model given false by
 * hand, not as one given nil. */
Test(rows, a_recorded_false_is_false_not_nil)
{
    unlink(DB);
    rec_make(DB, NULL, NULL);
    purr__view_model rec;
    rec_load(DB, &rec);
    purr__vm_row *alarm = purr__vm_find(&rec, "alarm"),
                 *door = purr__vm_find(&rec, "door");
    cr_assert(alarm && door);
    for (purr_time t = 0; t <= REC_END; t += 5 * PURR_S) {
        const purr_datum *d = purr__vm_at(alarm, t);
        cr_assert_eq(d->type, PURR_T_BOOL, "alarm at %lld s is a %d",
                     (long long)(t / PURR_S), d->type);
        cr_assert(!d->u.b);
    }
    cr_assert_eq(purr__vm_at(door, 0)->type, PURR_T_BOOL);
    cr_assert(!purr__vm_at(door, 0)->u.b);
    cr_assert(purr__vm_at(door, 20 * PURR_S)->u.b);
    cr_assert(!purr__vm_at(door, 30 * PURR_S)->u.b);

    /* The same rows by hand, with false and with nil. */
    purr__view_model want, nil;
    purr__vm_init(&want);
    purr__vm_init(&nil);
    for (size_t i = 0; i < rec.row_count; i++) {
        const purr__vm_row *r = &rec.rows[i];
        bool is_alarm = strcmp(r->name, "alarm") == 0;
        purr_datum no = purr_datum_bool(false), n = purr_datum_nil();
        purr__vm_add(&want, r->id, r->name, r->role, r->type, 0,
                     is_alarm ? &no : purr__vm_at(r, 0));
        purr__vm_add(&nil, r->id, r->name, r->role, r->type, 0,
                     is_alarm ? &n : purr__vm_at(r, 0));
    }
    frame f;
    offscreen_open(&f.o, 1200, 760);
    size_t cells = (size_t)f.o.w * 64;
    uint32_t *a = calloc(cells, 4), *b = calloc(cells, 4),
             *c = calloc(cells, 4);
    int i = (int)(alarm - rec.rows);
    draw(&f, &rec, 0);
    value_cell(&f, i, a);
    draw(&f, &want, 0);
    value_cell(&f, i, b);
    draw(&f, &nil, 0);
    value_cell(&f, i, c);
    size_t n = (size_t)f.lay.row_h * f.lay.value_w;
    cr_assert_eq(memcmp(a, b, n * 4), 0,
                 "the recorded alarm's cell differs "
                 "from false's");
    cr_assert_neq(memcmp(a, c, n * 4), 0, "the recorded alarm reads as nil");
    free(a);
    free(b);
    free(c);
    offscreen_close(&f.o);
    purr__vm_close(&rec);
    purr__vm_close(&want);
    purr__vm_close(&nil);
    unlink(DB);
}
