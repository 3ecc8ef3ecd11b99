/* shrink_scene.c - what `purr shrink` leaves a person: the remaining
 * inputs as a readable timeline, and a scene fragment that reproduces the
 * failure without the original sensor models.
 *
 * The fragment is YAML the scene loader reads back (docs/scenes.md): every
 * input of the recording becomes a `timeline` sensor with its initial
 * value and its remaining transitions as points (a sensor of the scene
 * the recording has no input of keeps its initial value), the behaviours
 * and the
 * expectations are the scene's own, written out again from the loaded
 * scene (predicates in their mapping form), and the plug-ins are named by
 * their canonical paths. Times are written in the largest unit that
 * divides them and numbers with as many digits as it takes to read back
 * the same double, so the fragment's run is the shrunk run exactly.
 */
#include "shrink_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void
purr__shrink_duration(purr_time t, char *buf, size_t cap)
{
    static const struct {
        purr_time ns;
        const char *name;
    } units[] = {{3600 * PURR_S, "h"}, {60 * PURR_S, "min"}, {PURR_S, "s"},
                 {PURR_MS, "ms"},      {PURR_US, "us"},      {1, "ns"}};
    if (t <= 0) {
        snprintf(buf, cap, "0s");
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (t % units[i].ns == 0) {
            snprintf(buf, cap, "%" PRId64 "%s", t / units[i].ns,
                     units[i].name);
            return;
        }
}

/* Writes the double x with the fewest significant digits that read back
 * (strtod) as x. */
static void
write_double(FILE *out, double x)
{
    char buf[40];
    if (x == floor(x) && fabs(x) < 1e15) { /* 40.0, not 4e+01 */
        snprintf(buf, sizeof buf, "%.1f", x);
        fputs(buf, out);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    fputs(buf, out);
}

/* Writes s as a YAML double-quoted scalar. */
static void
write_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            fprintf(out, "\\x%02x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

/* Writes a datum as a scene scalar of its type. */
static void
write_datum(FILE *out, const purr_datum *d)
{
    switch (d->type) {
    case PURR_T_BOOL:
        fputs(d->u.b ? "true" : "false", out);
        break;
    case PURR_T_INT:
        fprintf(out, "%" PRId64, d->u.i);
        break;
    case PURR_T_DOUBLE:
        write_double(out, d->u.d);
        break;
    case PURR_T_STRING:
        write_quoted(out, d->u.s);
        break;
    default: {
        /* Sensors have no other types; said in the text form, which the
         * loader then refuses with its position. */
        char *text = purr_datum_format_alloc(d);
        write_quoted(out, text);
        free(text);
    }
    }
}

static const char *
op_text(purr_cmp_op op)
{
    static const char *const ops[] = {"?", "==", "!=", "<", "<=", ">", ">="};
    return op >= PURR_CMP_EQ && op <= PURR_CMP_GE ? ops[op] : "?";
}

/* Writes predicate p in its mapping form, on one line. */
static void
write_pred(FILE *out, const purr_pred_spec *p)
{
    switch (p->kind) {
    case PURR_PRED_TRUTHY:
        fputs("{value: ", out);
        write_quoted(out, p->value);
        fputs("}", out);
        return;
    case PURR_PRED_CMP:
        fputs("{value: ", out);
        write_quoted(out, p->value);
        fprintf(out, ", op: \"%s\", than: ", op_text(p->op));
        write_quoted(out, p->than);
        fputs("}", out);
        return;
    case PURR_PRED_NOT:
        fputs("{not: ", out);
        write_pred(out, &p->items[0]);
        fputs("}", out);
        return;
    case PURR_PRED_ALL:
    case PURR_PRED_ANY:
        fputs(p->kind == PURR_PRED_ALL ? "{all: [" : "{any: [", out);
        for (size_t i = 0; i < p->count; i++) {
            if (i)
                fputs(", ", out);
            write_pred(out, &p->items[i]);
        }
        fputs("]}", out);
        return;
    }
}

static void
write_expect(FILE *out, const purr_expect_spec *e)
{
    char dur[48];
    switch (e->kind) {
    case PURR_EXPECT_ALWAYS:
    case PURR_EXPECT_NEVER:
        fputs(e->kind == PURR_EXPECT_ALWAYS ? "  - always: " : "  - never: ",
              out);
        write_pred(out, &e->pred);
        break;
    case PURR_EXPECT_EVENTUALLY:
        fputs("  - eventually: {", out);
        if (e->after.kind) {
            fputs("after: ", out);
            write_pred(out, &e->after);
            fputs(", ", out);
        }
        fputs("then: ", out);
        write_pred(out, &e->pred);
        if (e->within_ns != PURR_TIME_NEVER) {
            purr__shrink_duration(e->within_ns, dur, sizeof dur);
            fprintf(out, ", within: %s", dur);
        }
        fputs("}", out);
        break;
    case PURR_EXPECT_COUNT:
        fputs("  - count: {value: ", out);
        write_quoted(out, e->value);
        fprintf(out, ", transitions: {min: %" PRId64, e->min);
        if (e->max != INT64_MAX)
            fprintf(out, ", max: %" PRId64, e->max);
        fputs("}}", out);
        break;
    }
    fputc('\n', out);
}

void
purr__shrink_print_timeline(FILE *out, const purr__shrink *s)
{
    for (size_t i = 0; i < s->ncur; i++) {
        char when[48], text[160];
        size_t n = purr_time_format(s->cur[i].at_ns, when, sizeof when);
        purr_time sub = s->cur[i].at_ns % PURR_MS;
        if (sub && n < sizeof when) /* exact below the millisecond too */
            snprintf(when + n, sizeof when - n, "%06" PRId64, sub);
        purr_datum_format(&s->cur[i].d, text, sizeof text);
        fprintf(out, "  %s  %s = %s\n", when, s->inputs[s->cur[i].input].name,
                text);
    }
    if (s->ncur == 0)
        fputs("  (no input transition: the failure needs none)\n", out);
}

int
purr__shrink_write_scene(FILE *out, const purr__shrink *s, const char *from)
{
    const purr_scene *sc = s->scene;
    char dur[48];
    fprintf(out,
            "# A scene fragment written by `purr shrink` from %s:\n"
            "# %zu of its %zu input transitions, as timeline sensors, "
            "reproduce the\n"
            "# failure of expectation %zu without the original sensor "
            "models:\n"
            "#   %s\n",
            from, s->ncur, s->nbefore, s->target + 1, s->fail.text);
    if (s->base.shuffle)
        fprintf(out, "# The recorded run shuffled its schedule: run this with "
                     "--shuffle-seed %" PRIu64 ".\n",
                s->base.shuffle_seed);
    fputs("name: ", out);
    size_t len = strlen(sc->name) + 16;
    char *name = malloc(len);
    if (name) {
        snprintf(name, len, "%s (shrunk)", sc->name);
        write_quoted(out, name);
        free(name);
    }
    fputc('\n', out);
    fprintf(out, "seed: %" PRIu64 "\n",
            s->base.has_seed ? s->base.seed : sc->seed);
    purr__shrink_duration(s->duration_ns, dur, sizeof dur);
    fprintf(out, "duration: %s\n", dur);
    if (purr_sim_plugin_count() > 0) {
        fputs("load:\n", out);
        for (size_t i = 0; i < purr_sim_plugin_count(); i++) {
            fputs("  - ", out);
            write_quoted(out, purr_sim_plugin_at(i)->path);
            fputc('\n', out);
        }
    }
    fputs("\nsensors:\n", out);
    for (size_t in = 0; in < s->ninputs; in++) {
        const purr__sh_input *x = &s->inputs[in];
        fputs("  - name: ", out);
        write_quoted(out, x->name);
        fprintf(out, "\n    type: %s\n    model: timeline\n    initial: ",
                purr_type_name(x->type));
        write_datum(out, &x->sensor->initial);
        fputs("\n    points: [", out);
        bool first = true;
        for (size_t i = 0; i < s->ncur; i++) {
            if (s->cur[i].input != in)
                continue;
            purr__shrink_duration(s->cur[i].at_ns, dur, sizeof dur);
            fprintf(out, "%s[%s, ", first ? "" : ", ", dur);
            write_datum(out, &s->cur[i].d);
            fputc(']', out);
            first = false;
        }
        fputs("]\n", out);
    }
    /* The scene's sensors the recording has no input of (it was made with
     * another scene): their values exist in every candidate run, at their
     * initial datums. */
    for (size_t k = 0; k < sc->sensor_count; k++) {
        const purr_sensor_spec *spec = &sc->sensors[k];
        bool recorded = false;
        for (size_t in = 0; in < s->ninputs && !recorded; in++)
            recorded = s->inputs[in].sensor == spec;
        if (recorded)
            continue;
        fputs("  - name: ", out);
        write_quoted(out, spec->name);
        fprintf(out, "\n    type: %s\n    model: timeline\n    initial: ",
                purr_type_name(spec->type));
        write_datum(out, &spec->initial);
        fputs("\n    points: []\n", out);
    }
    fputs("\nbehaviours:\n", out);
    for (size_t b = 0; b < sc->behaviour_count; b++) {
        const purr_behaviour_spec *bs = &sc->behaviours[b];
        fputs("  - name: ", out);
        write_quoted(out, bs->name);
        fputc('\n', out);
        if (bs->param_count)
            fputs("    params:\n", out);
        for (size_t p = 0; p < bs->param_count; p++) {
            fputs("      ", out);
            write_quoted(out, bs->params[p].key);
            fputs(": ", out);
            write_quoted(out, bs->params[p].value);
            fputc('\n', out);
        }
    }
    if (sc->expect_count)
        fputs("\nexpect:\n", out);
    for (size_t e = 0; e < sc->expect_count; e++)
        write_expect(out, &sc->expects[e]);
    return ferror(out) ? PURR_EIO : 0;
}
