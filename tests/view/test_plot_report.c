/* test_plot_report.c - `purr plot` for reports: the SVG is well-formed
 * XML (parsed by python3's xml.etree) with a polyline per numeric value,
 * the legend's texts with their units, the title and the axis labels; the
 * PNG has each value's legend swatch and the time axis where the layout
 * puts them; --values picks and orders, an unknown value exits 2. */
#include "view_test.h"

#include <purr/recorder.h>

#include <SDL_image.h>
#include <unistd.h>

typedef struct rig {
    purr_value *level, *speed, *on;
} rig;

static int
drive(void *arg)
{
    rig *g = arg;
    for (int k = 1; k <= 9; k++) {
        PURR_TRY(purr_sleep(PURR_S));
        purr_value_set_double(g->level, 10.0 * (k % 4));
        purr_value_set_double(g->speed, 0.5 * k);
        purr_value_set_bool(g->on, k % 2);
    }
    return 0;
}

/* Two numbers with units and a bool, 10 s, as `purr run` would store
 * them (scene, seed, units). */
static void
make_recording(const char *path)
{
    unlink(path);
    purr_loop *loop = purr_loop_new(NULL);
    purr_diag diag = {0};
    purr_recorder *rec = purr_recorder_open(path, NULL, &diag);
    cr_assert(rec != NULL, "%s", diag.message);
    purr_assert_ok(purr_recorder_attach(rec, loop));
    rig g;
    purr_datum zero = purr_datum_double(0);
    g.level =
        purr_value_new(loop, "level", PURR_ROLE_INPUT, PURR_T_DOUBLE, &zero);
    g.speed =
        purr_value_new(loop, "speed", PURR_ROLE_OUTPUT, PURR_T_DOUBLE, &zero);
    g.on = purr_value_new_bool(loop, "on", PURR_ROLE_OUTPUT);
    purr_assert_ok(purr_run(loop, "drive", drive, &g));
    purr_recorder_set_meta(rec, "end_ns", "10000000000");
    purr_recorder_set_meta(rec, "scene", "/some/where/tank.yaml");
    purr_recorder_set_meta(rec, "seed", "7");
    purr_recorder_set_meta(rec, "units", "level\t%\nspeed\tm/s\n");
    purr_assert_ok(purr_recorder_close(rec, &diag));
    purr_value_free(g.on);
    purr_value_free(g.speed);
    purr_value_free(g.level);
    cr_assert_eq(purr_loop_close(loop), 0);
}

static int
plot(int argc, const char **argv)
{
    return purr_view_cli_plot(argc, (char **)argv);
}

/* Checks the SVG with python3's XML parser: exits 0 when every check
 * holds, else prints what failed. */
static const char check_svg[] =
    "import sys, xml.etree.ElementTree as E\n"
    "ns = '{http://www.w3.org/2000/svg}'\n"
    "root = E.parse(sys.argv[1]).getroot()\n"
    "assert root.tag == ns + 'svg', root.tag\n"
    "assert root.get('width') == '900' and root.get('height') == '300'\n"
    "texts = {}\n"
    "for t in root.iter(ns + 'text'):\n"
    "    texts.setdefault(t.get('class'), []).append(t.text)\n"
    "assert texts['title'] == ['tank, seed 7, 0:00:00.000 \\u2013 "
    "0:00:10.000'], texts['title']\n"
    "assert texts['legend'] == ['speed (m/s)', 'level (%)', 'on'], "
    "texts['legend']\n"
    "rows = [g.get('data-value') for g in root.iter(ns + 'g') "
    "if g.get('class') == 'row']\n"
    "assert rows == ['speed', 'level', 'on'], rows\n"
    "lines = root.findall('.//' + ns + 'polyline')\n"
    "assert len(lines) == 2, len(lines)\n"
    "assert all(len(l.get('points').split()) >= 18 for l in lines)\n"
    "assert texts['tick'][0] == '0s' and '10s' in texts['tick'], "
    "texts['tick']\n"
    "assert '4.5' in texts['scale'] and '0' in texts['scale'], "
    "texts['scale']\n";

Test(plot_report, svg_is_xml_with_series_legend_and_axis)
{
    make_recording("report.db");
    unlink("report.svg");
    const char *argv[] = {"report.db",     "-o",     "report.svg",
                          "--values",      "speed,level,on",
                          "--size",        "900x300"};
    cr_assert_eq(plot(7, argv), 0);
    FILE *f = fopen("check_svg.py", "w");
    cr_assert(f != NULL);
    fputs(check_svg, f);
    fclose(f);
    cr_assert_eq(system("python3 check_svg.py report.svg"), 0);
    /* Text that needs escaping stays well-formed. */
    unlink("report.db");
}

Test(plot_report, png_has_legend_swatches_and_axis)
{
    make_recording("report2.db");
    unlink("report2.png");
    const char *argv[] = {"report2.db", "-o", "report2.png", "--size",
                          "800x260"};
    cr_assert_eq(plot(5, argv), 0);
    SDL_Surface *img = IMG_Load("report2.png");
    cr_assert(img != NULL, "%s", IMG_GetError());
    SDL_Surface *s =
        SDL_ConvertSurfaceFormat(img, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(img);
    cr_assert_eq(s->w, 800);
    cr_assert_eq(s->h, 260);
    /* The same layout as the command's. */
    purr__view_model vm;
    purr__vm_init(&vm);
    purr_diag diag = {0};
    purr_assert_ok(
        purr__vm_load_recording(&vm, "report2.db", NULL, 0, &diag));
    const purr__vm_row *rows[3] = {&vm.rows[0], &vm.rows[1], &vm.rows[2]};
    purr__plot p;
    purr__plot_layout(&p, &vm, rows, 3, 0, 10 * PURR_S, "", 800, 260);
    cr_assert_eq(p.row_count, 3);
    cr_assert_str_eq(p.rows[0].unit, "%");
    const Uint32 *px = s->pixels;
    int pitch = s->pitch / 4;
    for (size_t i = 0; i < 3; i++) {
        int y = p.rows[i].y + p.rows[i].h / 2;
        uint32_t got = px[y * pitch + p.legend_x + 5] & 0xffffff;
        cr_assert_eq(got, p.rows[i].color, "row %zu swatch %06x", i, got);
    }
    /* The axis line, and a tick under each labelled time. */
    cr_assert(p.tick_count >= 3);
    cr_assert_eq(px[p.axis_y * pitch + p.tl_x + p.tl_w / 3] & 0xffffff,
                 PURR__PLOT_AXIS);
    for (size_t k = 0; k < p.tick_count; k++) {
        int x = purr__plot_x(&p, p.ticks[k]);
        cr_assert_eq(px[(p.axis_y + 4) * pitch + x] & 0xffffff,
                     PURR__PLOT_AXIS, "tick %zu at x %d", k, x);
    }
    purr__plot_free(&p);
    purr__vm_close(&vm);
    SDL_FreeSurface(s);
    unlink("report2.db");
}

Test(plot_report, unknown_value_or_format_exits_2)
{
    make_recording("report3.db");
    const char *a1[] = {"report3.db", "-o", "x.png", "--values", "level,nope"};
    cr_assert_eq(plot(5, a1), 2);
    const char *a2[] = {"report3.db", "-o", "x.pdf"};
    cr_assert_eq(plot(3, a2), 2);
    const char *a3[] = {"report3.db", "-o", "x.svg", "--size", "100"};
    cr_assert_eq(plot(5, a3), 2);
    cr_assert(access("x.png", F_OK) != 0 && access("x.svg", F_OK) != 0);
    unlink("report3.db");
}
