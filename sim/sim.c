/* sim.c - building a scene into a loop and running it in virtual time.
 *
 * A purr_sim owns a loop (virtual clock; real with the real_time option),
 * every value of the scene (sensor inputs first, in scene order, then
 * behaviours' outputs, in the order their setups create them) and one
 * context per behaviour. Setup happens outside any task, so problems in the
 * scene that only show when the parts meet (a battery charged by a value
 * nobody creates) are reported as bad input before virtual time starts.
 * The run is one nursery: sensor tasks in scene order (or, in a replay, the
 * one feeder task that sets the recorded inputs instead), then behaviour
 * tasks in scene order, and the body, which sleeps until the duration and
 * then cancels the rest. A replay may instead keep the sensor tasks and
 * only route their sets through its input hook, so that the tasks, and
 * with them the scheduler's batches, are those of the recorded run.
 */
#include "sim_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct purr_sim_ctx {
    purr_sim *sim;                   /* the simulation it belongs to */
    const purr_behaviour_spec *spec; /* its entry in the scene */
    const purr__behaviour_def *def;  /* its registered functions */
    void *data;                      /* set by the behaviour's setup */
};

struct purr_sim {
    const purr_scene *scene; /* borrowed, outlives the sim */
    purr_loop *loop;         /* owned; virtual clock */
    uint64_t seed;           /* the scene's or the option's */
    double faults_scale;     /* random faults' rate scale (1: the
                                scene's rates) */
    purr_time duration_ns;   /* the scene's or the option's */
    purr_value **values;     /* owned, in creation order; freed in
                                reverse order */
    size_t value_count, value_cap;
    purr__sensor *sensors; /* one per scene sensor, scene order */
    purr_sim_ctx *ctxs;    /* one per scene behaviour, scene order */
    void **allocs;         /* purr_sim_alloc blocks, freed last */
    size_t alloc_count, alloc_cap;
    purr_diag *diag; /* where setup errors go (may be NULL) */
    bool diag_set;   /* a setup error has filled diag */
    bool set_up;     /* purr_sim_setup has succeeded */
    int setup_rc;    /* a failed setup's code: the sim can then
                        only be freed, since a setup may have
                        half-built its behaviour */
    bool ran;        /* purr_sim_run was called */
    purr__checker *checker; /* the expectations, bound at setup */
    purr_nursery *nursery;  /* the run's nursery while it runs (for
                               purr_sim_stop) */
    bool stopped;           /* purr_sim_stop ended the run */
    purr_time end_ns;       /* when the run ended */
    purr_task_fn feed;      /* replay: sets the inputs instead of the
                               sensors (NULL: the sensors run) */
    void *feed_arg;         /* passed to feed */
    purr_sim_input_fn input; /* replay: the sensors' sets go through it
                                (NULL: they set their values) */
    void *input_arg;        /* passed to input */
};

purr_sim *
purr_sim_new(const purr_scene *scene, const purr_sim_options *opts)
{
    purr_sim_options none = {0};
    if (!opts)
        opts = &none;
    purr_loop_options lo = {0};
    lo.clock = opts->real_time ? PURR_CLOCK_REAL : PURR_CLOCK_VIRTUAL;
    lo.shuffle = opts->shuffle;
    lo.shuffle_seed = opts->shuffle_seed;
    if (!opts->real_time) {
        lo.pace = opts->pace;
        lo.pace_ctx = opts->pace_ctx;
    }
    purr_loop *loop = purr_loop_new(&lo);
    if (!loop)
        return NULL;
    purr_sim *sim = purr__sim_calloc(1, sizeof *sim);
    sim->scene = scene;
    sim->loop = loop;
    sim->seed = opts->has_seed ? opts->seed : scene->seed;
    sim->faults_scale = 1.0;
    if (opts->has_faults_scale && isfinite(opts->faults_scale) &&
        opts->faults_scale >= 0)
        sim->faults_scale = opts->faults_scale;
    sim->duration_ns =
        opts->duration_ns > 0 ? opts->duration_ns : scene->duration_ns;
    sim->feed = opts->feed;
    sim->feed_arg = opts->feed_arg;
    sim->input = opts->feed ? NULL : opts->input;
    sim->input_arg = opts->input_arg;
    sim->sensors = purr__sim_calloc(scene->sensor_count, sizeof *sim->sensors);
    sim->ctxs = purr__sim_calloc(scene->behaviour_count, sizeof *sim->ctxs);
    return sim;
}

purr_loop *
purr_sim_loop(purr_sim *sim)
{
    return sim->loop;
}

uint64_t
purr_sim_seed(const purr_sim *sim)
{
    return sim->seed;
}

double
purr_sim_faults_scale(const purr_sim *sim)
{
    return sim->faults_scale;
}

purr_time
purr_sim_duration(const purr_sim *sim)
{
    return sim->duration_ns;
}

purr_value *
purr_sim_find(purr_sim *sim, const char *name)
{
    for (size_t i = 0; i < sim->value_count; i++)
        if (strcmp(purr_value_name(sim->values[i]), name) == 0)
            return sim->values[i];
    return NULL;
}

static void
add_value(purr_sim *sim, purr_value *v)
{
    if (sim->value_count == sim->value_cap) {
        sim->value_cap = sim->value_cap ? 2 * sim->value_cap : 16;
        sim->values = purr__sim_realloc(sim->values,
                                        sim->value_cap * sizeof *sim->values);
    }
    sim->values[sim->value_count++] = v;
}

int
purr__sim_setup_fail(purr_sim *sim, purr_scene_pos pos, const char *fmt, ...)
{
    if (!sim->diag_set) {
        va_list ap;
        va_start(ap, fmt);
        purr__sim_vdiag(sim->diag, sim->scene->file, pos.line, pos.column, fmt,
                        ap);
        va_end(ap);
        sim->diag_set = true;
    }
    return PURR_EFORMAT;
}

/* ---------------------------------------------------------------------- */
/* The behaviour context                                                   */
/* ---------------------------------------------------------------------- */

purr_value *
purr_sim_value(purr_sim_ctx *ctx, const char *name)
{
    return purr_sim_find(ctx->sim, name);
}

purr_value *
purr_sim_output(purr_sim_ctx *ctx, const char *name, purr_type type,
                const purr_datum *initial)
{
    purr_sim *sim = ctx->sim;
    if (purr_sim_find(sim, name)) {
        purr__sim_setup_fail(sim, ctx->spec->pos,
                   "behaviour '%s' creates value '%s', which already exists",
                   ctx->spec->name, name);
        return NULL;
    }
    purr_value *v =
        purr_value_new(sim->loop, name, PURR_ROLE_OUTPUT, type, initial);
    if (!v) {
        purr__sim_setup_fail(sim, ctx->spec->pos,
                   "behaviour '%s': initial value of '%s' has the wrong type",
                   ctx->spec->name, name);
        return NULL;
    }
    add_value(sim, v);
    return v;
}

void *
purr_sim_alloc(purr_sim_ctx *ctx, size_t size)
{
    purr_sim *sim = ctx->sim;
    if (sim->alloc_count == sim->alloc_cap) {
        sim->alloc_cap = sim->alloc_cap ? 2 * sim->alloc_cap : 8;
        sim->allocs = purr__sim_realloc(sim->allocs,
                                        sim->alloc_cap * sizeof *sim->allocs);
    }
    void *p = purr__sim_calloc(1, size);
    sim->allocs[sim->alloc_count++] = p;
    return p;
}

void *
purr_sim_data(purr_sim_ctx *ctx)
{
    return ctx->data;
}

void
purr_sim_set_data(purr_sim_ctx *ctx, void *data)
{
    ctx->data = data;
}

int
purr_sim_fail(purr_sim_ctx *ctx, const char *fmt, ...)
{
    purr_sim *sim = ctx->sim;
    if (!sim->diag_set) {
        va_list ap;
        va_start(ap, fmt);
        purr__sim_vdiag(sim->diag, sim->scene->file, ctx->spec->pos.line,
                        ctx->spec->pos.column, fmt, ap);
        va_end(ap);
        sim->diag_set = true;
    }
    return PURR_EFORMAT;
}

static const purr_scene_param *
find_param(purr_sim_ctx *ctx, const char *key)
{
    for (size_t i = 0; i < ctx->spec->param_count; i++)
        if (strcmp(ctx->spec->params[i].key, key) == 0)
            return &ctx->spec->params[i];
    return NULL;
}

int
purr_sim_param_double(purr_sim_ctx *ctx, const char *key, double dflt,
                      double *out)
{
    const purr_scene_param *p = find_param(ctx, key);
    if (!p) {
        *out = dflt;
        return 0;
    }
    char *end;
    double d = strtod(p->value, &end);
    if (!p->value[0] || *end)
        return purr__sim_setup_fail(ctx->sim, p->pos,
                          "expected a number for '%s', got '%s'", key,
                          p->value);
    *out = d;
    return 0;
}

int
purr_sim_param_duration(purr_sim_ctx *ctx, const char *key, purr_time dflt,
                        purr_time *out)
{
    const purr_scene_param *p = find_param(ctx, key);
    if (!p) {
        *out = dflt;
        return 0;
    }
    if (purr_sim_duration_parse(p->value, out) < 0)
        return purr__sim_setup_fail(ctx->sim, p->pos,
                          "expected a duration with a unit for '%s' (e.g. "
                          "500ms, 90s, 10min), got '%s'",
                          key, p->value);
    return 0;
}

int
purr_sim_param_string(purr_sim_ctx *ctx, const char *key, const char *dflt,
                      const char **out)
{
    const purr_scene_param *p = find_param(ctx, key);
    *out = p ? p->value : dflt;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Setup                                                                   */
/* ---------------------------------------------------------------------- */

static int setup_parts(purr_sim *sim);

/* The observer that keeps each battery's view of its docked value
 * (purr__sensor_docked_changed): every transition of a value some battery
 * reads is passed to that battery. */
static void
observe_docked(const purr_trace *ev, void *ctx)
{
    purr_sim *sim = ctx;
    for (size_t i = 0; i < sim->scene->sensor_count; i++)
        if (sim->sensors[i].docked == ev->value)
            purr__sensor_docked_changed(&sim->sensors[i], ev->time_ns,
                                        ev->old_value);
}

int
purr_sim_setup(purr_sim *sim, purr_diag *diag)
{
    const purr_scene *sc = sim->scene;
    if (sim->set_up)
        return 0;
    if (sim->setup_rc < 0) {
        purr_diag_set(diag, sc->file, 0, 0,
                       "the scene's setup already failed");
        return sim->setup_rc;
    }
    sim->diag = diag;
    sim->diag_set = false;
    int rc = setup_parts(sim);
    sim->diag = NULL;
    if (rc < 0)
        sim->setup_rc = rc;
    else
        sim->set_up = true;
    return rc;
}

/* purr_sim_setup's work: values, behaviour setups, references. */
static int
setup_parts(purr_sim *sim)
{
    const purr_scene *sc = sim->scene;
    const purr_sensor_spec *battery = NULL; /* the first, if any */
    for (size_t i = 0; i < sc->sensor_count; i++) {
        const purr_sensor_spec *spec = &sc->sensors[i];
        purr__sensor *s = &sim->sensors[i];
        s->spec = spec;
        s->value = purr_value_new(sim->loop, spec->name, PURR_ROLE_INPUT,
                                  spec->type, &spec->initial);
        add_value(sim, s->value);
        purr__stream_init(&s->model_rng, sim->seed, spec->name,
                          PURR__SALT_MODEL);
        purr__stream_init(&s->noise_rng, sim->seed, spec->name,
                          PURR__SALT_NOISE);
        purr__sensor_faults_init(s, sim->seed, sim->faults_scale);
        s->input = sim->input;
        s->input_arg = sim->input_arg;
    }
    for (size_t i = 0; i < sc->behaviour_count; i++) {
        purr_sim_ctx *ctx = &sim->ctxs[i];
        ctx->sim = sim;
        ctx->spec = &sc->behaviours[i];
        ctx->def = purr__sim_lookup(ctx->spec->name);
        if (!ctx->def)
            return purr__sim_setup_fail(sim, ctx->spec->pos, "unknown behaviour '%s'",
                              ctx->spec->name);
        int rc = ctx->def->setup ? ctx->def->setup(ctx) : 0;
        if (rc < 0)
            return purr__sim_setup_fail(sim, ctx->spec->pos,
                              "behaviour '%s' refused its setup: %s",
                              ctx->spec->name, purr_strerror(rc));
    }
    for (size_t i = 0; i < sc->sensor_count; i++) {
        purr__sensor *s = &sim->sensors[i];
        if (s->spec->model != PURR_MODEL_BATTERY)
            continue;
        s->docked = purr_sim_find(sim, s->spec->battery.docked);
        if (!s->docked)
            return purr__sim_setup_fail(sim, s->spec->battery.docked_pos,
                              "battery '%s' is charged by '%s', but no "
                              "sensor or behaviour creates a value of that "
                              "name",
                              s->spec->name, s->spec->battery.docked);
        if (purr_value_type(s->docked) != PURR_T_BOOL)
            return purr__sim_setup_fail(sim, s->spec->battery.docked_pos,
                              "battery '%s' is charged by '%s', which is not "
                              "a bool",
                              s->spec->name, s->spec->battery.docked);
        s->docked_changed_ns = -1; /* no sample is at a negative time */
        if (!battery)
            battery = s->spec;
    }
    /* Fed by a replay, the sensors do not run and nothing reads docked.
     * The observer adds no task and no event to the run: shadow mode's
     * sensors, and with them the schedule, stay those of the recording. */
    if (battery && !sim->feed &&
        purr_loop_observe(sim->loop, PURR_EV_BIT(PURR_EV_VALUE_SET),
                          observe_docked, sim) < 0)
        return purr__sim_setup_fail(sim, battery->pos,
                                    "too many observers on the loop to "
                                    "model the battery");
    int vrc = purr__scene_view_check(sim, sc->view);
    if (vrc < 0)
        return vrc;
    return purr__checker_new(sim, sc, sim->loop, &sim->checker);
}

/* ---------------------------------------------------------------------- */
/* Running                                                                 */
/* ---------------------------------------------------------------------- */

static int
behaviour_task(void *arg)
{
    purr_sim_ctx *ctx = arg;
    return ctx->def->task(ctx);
}

static int
run_body(purr_nursery *n, void *arg)
{
    purr_sim *sim = arg;
    int rc;
    char name[96];
    /* In a replay the feeder takes the sensors' place, first in the
     * nursery as they are, so the behaviours start in the same order. */
    if (sim->feed &&
        (rc = purr_spawn(n, "purr-replay-feeder", sim->feed,
                         sim->feed_arg)) < 0)
        return rc;
    for (size_t i = 0; !sim->feed && i < sim->scene->sensor_count; i++) {
        snprintf(name, sizeof name, "sensor:%s", sim->scene->sensors[i].name);
        if ((rc = purr_spawn(n, name, purr__sensor_task, &sim->sensors[i])) < 0)
            return rc;
    }
    for (size_t i = 0; i < sim->scene->behaviour_count; i++) {
        if ((rc = purr_spawn(n, sim->ctxs[i].spec->name, behaviour_task,
                             &sim->ctxs[i])) < 0)
            return rc;
    }
    sim->nursery = n;
    rc = purr_sleep_until(sim->duration_ns);
    sim->nursery = NULL;
    if (rc < 0)
        return sim->stopped ? 0 : rc;
    purr_nursery_cancel(n); /* the scene is over */
    return 0;
}

void
purr_sim_stop(purr_sim *sim)
{
    if (!sim->nursery || sim->stopped)
        return;
    sim->stopped = true;
    purr_nursery_cancel(sim->nursery);
}

purr_time
purr_sim_end_time(const purr_sim *sim)
{
    return sim->end_ns;
}

typedef struct run_state {
    purr_sim *sim;
    purr_nursery_report report; /* what failed, if anything */
    purr_time end_ns;           /* virtual time when the nursery ended */
} run_state;

static int
run_main(void *arg)
{
    run_state *st = arg;
    int rc = purr_nursery_run_report(run_body, st->sim, &st->report);
    st->end_ns = purr_now();
    return rc;
}

int
purr_sim_run(purr_sim *sim, purr_diag *diag)
{
    if (sim->ran) {
        purr_diag_set(diag, sim->scene->file, 0, 0,
                       "the scene has already run");
        return PURR_EBUSY;
    }
    int rc = purr_sim_setup(sim, diag);
    if (rc < 0)
        return rc;
    sim->ran = true;
    run_state st = {sim, {0}, 0};
    rc = purr_run(sim->loop, "scene", run_main, &st);
    if (rc == PURR_ECANCELED && sim->stopped)
        rc = 0;
    sim->end_ns = st.end_ns;
    purr__checker_finish(sim->checker, st.end_ns);
    if (rc < 0) {
        const char *who = st.report.count ? st.report.errors[0].name : "?";
        long long s = (long long)(st.end_ns / PURR_S);
        purr_diag_set(diag, sim->scene->file, 0, 0,
                       "task '%s' failed at %02lld:%02lld:%02lld: %s (%s)", who,
                       s / 3600, s / 60 % 60, s % 60, purr_strerror(rc),
                       purr_err_name(rc));
    }
    return rc;
}

void
purr_sim_free(purr_sim *sim)
{
    if (!sim)
        return;
    for (size_t i = sim->value_count; i-- > 0;)
        purr_value_free(sim->values[i]);
    free(sim->values);
    purr_loop_close(sim->loop);
    for (size_t i = 0; i < sim->alloc_count; i++)
        free(sim->allocs[i]);
    free(sim->allocs);
    for (size_t i = 0; sim->sensors && i < sim->scene->sensor_count; i++)
        purr__sensor_faults_free(&sim->sensors[i]);
    free(sim->sensors);
    free(sim->ctxs);
    purr__checker_free(sim->checker);
    free(sim);
}

/* ---------------------------------------------------------------------- */
/* Expectations                                                            */
/* ---------------------------------------------------------------------- */

size_t
purr_sim_expect_count(const purr_sim *sim)
{
    return purr__checker_count(sim->checker);
}

const purr_expect_result *
purr_sim_expect_result(const purr_sim *sim, size_t i)
{
    return purr__checker_result(sim->checker, i);
}

size_t
purr_sim_expect_failures(const purr_sim *sim)
{
    size_t n = 0;
    for (size_t i = 0; i < purr_sim_expect_count(sim); i++)
        n += purr_sim_expect_result(sim, i)->failed;
    return n;
}

void
purr_sim_report(const purr_sim *sim, FILE *out)
{
    for (size_t i = 0; i < purr_sim_expect_count(sim); i++) {
        const purr_expect_result *r = purr_sim_expect_result(sim, i);
        if (r->failed)
            fprintf(out, "FAIL  %s: %s\n", r->text, r->detail);
        else if (r->detail[0])
            fprintf(out, "PASS  %s (%s)\n", r->text, r->detail);
        else
            fprintf(out, "PASS  %s\n", r->text);
    }
}
