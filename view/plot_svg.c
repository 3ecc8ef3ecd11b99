/* plot_svg.c - a `purr plot` written as SVG, for reports.
 *
 * The same layout as the PNG (plot_layout.c), written by hand as plain
 * SVG 1.1: a title, per value a group (class "row") with its band, its
 * legend swatch and text (name and unit), its scale's bottom and top
 * values for numbers, and its timeline (a stepped polyline, class
 * "series", for numbers; rectangles for bools and strings); then the time
 * axis (class "axis") with a tick line and a label per tick. Text is
 * escaped for XML, and bytes that are not UTF-8 or not allowed in XML
 * become '?', so any recording gives a well-formed file. The file is
 * written through a temporary file renamed over the output once complete
 * (purr_output, recorder.h).
 */
#include "view_int.h"

#include <purr/recorder.h>

#include <stdio.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
    size_t n = s[0] < 0x80             ? 1
               : (s[0] & 0xe0) == 0xc0 ? 2
               : (s[0] & 0xf0) == 0xe0 ? 3
               : (s[0] & 0xf8) == 0xf0 ? 4
                                       : 0;
    if (!n || n > left || (n == 2 && s[0] < 0xc2) || (n == 4 && s[0] > 0xf4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) ||
                   (s[0] == 0xed && s[1] >= 0xa0))) /* overlong, surrogate */
        return 0;
    if (n == 4 &&
        ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
        return 0;
    return n;
}

/* Writes s (len bytes) as XML character data. */
static void
esc(FILE *out, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned char c = u[i];
        size_t n = utf8_len(u + i, len - i);
        if (!n || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
            c == 0x7f) {
            fputc('?', out);
            i += n ? n : 1;
            continue;
        }
        if (c == '&')
            fputs("&amp;", out);
        else if (c == '<')
            fputs("&lt;", out);
        else if (c == '>')
            fputs("&gt;", out);
        else if (c == '"')
            fputs("&quot;", out);
        else if (c == '\'')
            fputs("&apos;", out);
        else
            fwrite(u + i, 1, n, out);
        i += n;
    }
}

static void
esc_str(FILE *out, const char *s)
{
    esc(out, s, strlen(s));
}

static void
color(FILE *out, uint32_t c)
{
    fprintf(out, "#%06x", c & 0xffffffu);
}

typedef struct seg_ctx {
    FILE *out;
    const purr__plot *p;
    const purr__plot_row *row;
    bool any; /* numbers: a point written */
} seg_ctx;

static void
point(purr_time t0, purr_time t1, const purr_datum *d, void *arg)
{
    seg_ctx *c = arg;
    if (d->type != PURR_T_INT && d->type != PURR_T_DOUBLE)
        return;
    int y = purr__plot_y(c->row, purr_datum_as_double(d));
    fprintf(c->out, "%s%d,%d %d,%d", c->any ? " " : "", purr__plot_x(c->p, t0),
            y, purr__plot_x(c->p, t1), y);
    c->any = true;
}

static void
span(purr_time t0, purr_time t1, const purr_datum *d, void *arg)
{
    seg_ctx *c = arg;
    const purr__plot_row *row = c->row;
    int x0 = purr__plot_x(c->p, t0), x1 = purr__plot_x(c->p, t1);
    int top = row->y + 4, h = row->h - 8;
    if (d->type == PURR_T_BOOL && d->u.b) {
        fprintf(c->out,
                "<rect class=\"on\" x=\"%d\" y=\"%d\" width=\"%d\" "
                "height=\"%d\" fill=\"",
                x0, top, x1 - x0 > 0 ? x1 - x0 : 1, h);
        color(c->out, row->color);
        fputs("\"/>\n", c->out);
    } else if (d->type == PURR_T_STRING && d->len) {
        fprintf(c->out,
                "<rect class=\"span\" x=\"%d\" y=\"%d\" width=\"%d\" "
                "height=\"%d\" fill=\"",
                x0, top, x1 - x0 > 0 ? x1 - x0 : 1, h);
        color(c->out, row->color);
        fputs("\" fill-opacity=\"0.35\"><title>", c->out);
        esc(c->out, d->u.s, d->len);
        fputs("</title></rect>\n", c->out);
        if (x1 - x0 >= 8 * (int)d->len + 6 && row->h >= 18) {
            fprintf(c->out,
                    "<text class=\"value\" x=\"%d\" y=\"%d\" "
                    "font-size=\"11\">",
                    x0 + 3, row->y + row->h / 2 + 4);
            esc(c->out, d->u.s, d->len);
            fputs("</text>\n", c->out);
        }
    }
}

static void
write_svg(FILE *out, const purr__plot *p)
{
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
            "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "font-family=\"DejaVu Sans, sans-serif\">\n",
            p->w, p->h, p->w, p->h);
    fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"", p->w, p->h);
    color(out, PURR__PLOT_BG);
    fputs("\"/>\n<text class=\"title\" x=\"10\" y=\"24\" font-size=\"18\">",
          out);
    esc_str(out, p->title);
    fputs("</text>\n", out);
    for (size_t i = 0; i < p->row_count; i++) {
        const purr__plot_row *row = &p->rows[i];
        fputs("<g class=\"row\" data-value=\"", out);
        esc_str(out, row->row->name);
        fprintf(out,
                "\">\n<rect class=\"band\" x=\"0\" y=\"%d\" width=\"%d\" "
                "height=\"%d\" fill=\"%s\"/>\n",
                row->y, p->w, row->h, i % 2 ? "#ffffff" : "#f7f7f7");
        int sw = row->h - 4 < 10 ? row->h - 4 : 10;
        fprintf(out,
                "<rect class=\"swatch\" x=\"%d\" y=\"%d\" width=\"10\" "
                "height=\"%d\" fill=\"",
                p->legend_x, row->y + (row->h - sw) / 2, sw);
        color(out, row->color);
        fprintf(out,
                "\"/>\n<text class=\"legend\" x=\"%d\" y=\"%d\" "
                "font-size=\"13\">",
                p->legend_x + 16, row->y + row->h / 2 + 5);
        esc_str(out, row->row->name);
        if (row->unit) {
            fputs(" (", out);
            esc_str(out, row->unit);
            fputs(")", out);
        }
        fputs("</text>\n", out);
        seg_ctx c = {out, p, row, false};
        if (row->numeric) {
            fprintf(out,
                    "<text class=\"scale\" x=\"%d\" y=\"%d\" font-size=\"11\" "
                    "text-anchor=\"end\">%.4g</text>\n"
                    "<text class=\"scale\" x=\"%d\" y=\"%d\" font-size=\"11\" "
                    "text-anchor=\"end\">%.4g</text>\n",
                    p->scale_x - 4, row->y + 12, row->hi, p->scale_x - 4,
                    row->y + row->h - 3, row->lo);
            fputs(
                "<polyline class=\"series\" fill=\"none\" stroke-width=\"1.5\" "
                "stroke=\"",
                out);
            color(out, row->color);
            fputs("\" points=\"", out);
            purr__plot_segments(p, row->row, point, &c);
            fputs("\"/>\n", out);
        } else {
            purr__plot_segments(p, row->row, span, &c);
        }
        fputs("</g>\n", out);
    }
    fputs("<g class=\"axis\" stroke=\"", out);
    color(out, PURR__PLOT_AXIS);
    fprintf(out, "\">\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
            p->tl_x, p->axis_y, p->tl_x + p->tl_w, p->axis_y);
    for (size_t k = 0; k < p->tick_count; k++) {
        int x = purr__plot_x(p, p->ticks[k]);
        fprintf(out,
                "<line class=\"tick\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
                "y2=\"%d\"/>\n"
                "<text class=\"tick\" x=\"%d\" y=\"%d\" font-size=\"11\" "
                "stroke=\"none\" fill=\"#606060\" "
                "text-anchor=\"middle\">",
                x, p->axis_y, x, p->axis_y + 6, x, p->axis_y + 20);
        esc_str(out, p->tick_labels[k]);
        fputs("</text>\n", out);
    }
    fputs("</g>\n</svg>\n", out);
}

int
purr__plot_svg(const purr__plot *p, const char *path, char *err, size_t err_cap)
{
    purr_output out;
    purr_diag diag = {0};
    if (purr_output_open(&out, path, &diag) < 0) {
        purr_diag_format(&diag, err, err_cap);
        return PURR_EIO;
    }
    write_svg(out.file, p);
    if (purr_output_close(&out, &diag) < 0) {
        purr_diag_format(&diag, err, err_cap);
        return PURR_EIO;
    }
    return 0;
}
