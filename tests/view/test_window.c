/* test_window.c - the live window's input, under SDL's dummy video driver
 * (a real purr_window, no display): a click on the robot and Up on the
 * selected input become input transitions, posted at the current virtual
 * time (task id 0: set from outside any task), as the recorder would
 * store them. Events are pushed with SDL_PushEvent from a wrapper around
 * the window's pacing hook. */
#include "view_test.h"

#include <purr/recorder.h>
#include <purr/cli.h>
#include <purr/replay.h>
#include <purr/sim.h>

#include "examples_test.h"

#include <inttypes.h>
#include <unistd.h>

#ifndef PURR_SCENES_DIR
#error "PURR_SCENES_DIR must name the scenes folder"
#endif

typedef struct seen {
    purr_pace_fn inner;
    void *inner_ctx;
    int calls;              /* pace calls so far */
    purr_time pushed_at[4]; /* virtual time of each pushed gesture */
    /* posted (task id 0) transitions */
    int touches;
    bool touch_value[4];
    purr_time touch_at[4];
    int battery_sets;
    double battery_before, battery_after;
    purr_time battery_at;
    double gauge_set;   /* the second battery set: the gauge's click */
    double gauge_want;  /* what the click's x stands for */
    purr_time gauge_at;
    purr_time now; /* latest event time */
} seen;

static void
push_mouse(Uint32 type, int x, int y)
{
    SDL_Event e = {0};
    e.type = type;
    e.button.button = SDL_BUTTON_LEFT;
    e.button.x = x;
    e.button.y = y;
    SDL_PushEvent(&e);
}

static void
push_key(SDL_Keycode k)
{
    SDL_Event e = {0};
    e.type = SDL_KEYDOWN;
    e.key.keysym.sym = k;
    SDL_PushEvent(&e);
}

static void
pace(purr_loop *loop, purr_time next, void *ctx)
{
    seen *s = ctx;
    purr__layout lay;
    /* The pet scene has seven values. */
    purr__layout_compute(&lay, 1200, 760, 7, false);
    s->calls++;
    if (s->calls == 20) {
        s->pushed_at[0] = purr_now();
        push_mouse(SDL_MOUSEBUTTONDOWN, lay.robot_cx, lay.robot_cy);
    } else if (s->calls == 21) {
        s->pushed_at[1] = purr_now();
        push_mouse(SDL_MOUSEBUTTONUP, lay.robot_cx, lay.robot_cy);
    } else if (s->calls == 30) {
        s->pushed_at[2] = purr_now();
        push_key(SDLK_TAB); /* selects the first input: battery */
        push_key(SDLK_UP);
    } else if (s->calls == 40) {
        /* A click about a quarter of the way along the battery's gauge
         * (the panel's first indicator, 0 at its left pixel, 100 at its
         * right one) sets the battery to what that pixel stands for. */
        purr__panel_cell cells[1];
        cr_assert_eq(purr__panel_cells(&lay, 1, cells), 1);
        int dx = (cells[0].widget.w - 1) / 4;
        s->gauge_want = 100.0 * dx / (cells[0].widget.w - 1);
        s->pushed_at[3] = purr_now();
        push_mouse(SDL_MOUSEBUTTONDOWN, cells[0].widget.x + dx,
                   cells[0].widget.y + 2);
    }
    s->inner(loop, next, s->inner_ctx);
}

static void
observe(const purr_trace *ev, void *ctx)
{
    seen *s = ctx;
    s->now = ev->time_ns;
    if (ev->task_id != 0)
        return; /* set by a task (a sensor or a behaviour) */
    const char *name = purr_value_name(ev->value);
    if (strcmp(name, "touched") == 0 && s->touches < 4) {
        s->touch_value[s->touches] = purr_datum_as_bool(ev->new_value);
        s->touch_at[s->touches++] = ev->time_ns;
    } else if (strcmp(name, "battery") == 0 && s->battery_sets == 1) {
        s->battery_sets++;
        s->gauge_set = purr_datum_as_double(ev->new_value);
        s->gauge_at = ev->time_ns;
    } else if (strcmp(name, "battery") == 0) {
        s->battery_sets++;
        s->battery_before = purr_datum_as_double(ev->old_value);
        s->battery_after = purr_datum_as_double(ev->new_value);
        s->battery_at = ev->time_ns;
    }
}

/* A two-hour pet session in a dummy-driver window whose pacing hook pushes
 * the gestures above. With rec non-NULL the session is recorded (attached
 * before the values are created). Runs it and leaves everything open. */
typedef struct session {
    purr_scene *scene;
    purr_window *w;
    purr_sim *sim;
    seen s;
} session;

static void
session_run(session *ss, purr_recorder *rec)
{
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    purr_diag diag = {0};
    purr_assert_ok(
        purr_scene_load(PURR_SCENES_DIR "/pet.yaml", &ss->scene, &diag));
    /* The pet's panel, as `purr run` gives it from scenes/pet.yaml (its
     * highlight left out: the rows keep creation order). */
    purr_view_panel panel;
    purr_assert_ok(purr_view_panel_parse(
        "body\tpet\tpet\nmood\tmood\ntouch\ttouched\nsay\tsound\n"
        "gauge\tbattery\t0\t100\nlamp\tdocked\ngauge\tlight\t0\t1000\n",
        "battery\t%\nlight\tlx\n", &panel, &diag));
    purr_window_options wo = {.title = "test",
                              .speed = 0,
                              .duration_ns = 2 * 3600 * PURR_S,
                              .panel = &panel};
    ss->w = purr_window_open(&wo, &diag);
    cr_assert(ss->w != NULL, "%s", diag.message);
    purr_loop_options lo = {0};
    purr_window_loop_options(ss->w, &lo);
    memset(&ss->s, 0, sizeof ss->s);
    ss->s.inner = lo.pace;
    ss->s.inner_ctx = lo.pace_ctx;
    purr_sim_options so = {
        .duration_ns = 2 * 3600 * PURR_S, .pace = pace, .pace_ctx = &ss->s};
    ss->sim = purr_sim_new(ss->scene, &so);
    purr_loop *loop = purr_sim_loop(ss->sim);
    if (rec)
        purr_assert_ok(purr_recorder_attach(rec, loop));
    purr_assert_ok(purr_window_attach(ss->w, loop));
    purr_assert_ok(purr_loop_observe(loop, PURR_EV_BIT(PURR_EV_VALUE_SET),
                                     observe, &ss->s));
    purr_assert_ok(purr_sim_setup(ss->sim, &diag));
    purr_assert_ok(purr_sim_run(ss->sim, &diag));
    cr_assert(!purr_window_quit_requested(ss->w));
}

static void
session_close(session *ss)
{
    purr_window_close(ss->w);
    purr_sim_free(ss->sim);
    purr_scene_free(ss->scene);
}

Test(window, click_and_keys_become_input_transitions)
{
    session ss;
    session_run(&ss, NULL);
    seen s = ss.s;

    /* The click: true at the time the hook saw it, then false. */
    cr_assert_eq(s.touches, 2, "%d posted touches", s.touches);
    cr_assert(s.touch_value[0] && !s.touch_value[1]);
    cr_assert_eq(s.touch_at[0], s.pushed_at[0]);
    cr_assert_eq(s.touch_at[1], s.pushed_at[1]);
    /* Up on the selected battery: one step up, at that time. */
    cr_assert_eq(s.battery_sets, 2);
    cr_assert_eq(s.battery_at, s.pushed_at[2]);
    cr_assert_eq(s.battery_after, s.battery_before + 1.0, "%g -> %g",
                 s.battery_before, s.battery_after);
    /* The click on the battery's gauge, at the time of the click. */
    cr_assert(s.gauge_want > 20 && s.gauge_want < 30);
    cr_assert_float_eq(s.gauge_set, s.gauge_want, 1e-9, "gauge set %g",
                       s.gauge_set);
    cr_assert_eq(s.gauge_at, s.pushed_at[3]);
    session_close(&ss);
}

/* An interactive session is recorded, and the recording replays bit for
 * bit: the user's click and key press are input transitions like any
 * sensor's, fed back at their recorded virtual times. */
Test(window, interactive_session_replays_identically)
{
    const char *db = "interactive.db";
    unlink(db);
    purr_diag diag = {0};
    purr_recorder *rec = purr_recorder_open(db, NULL, &diag);
    cr_assert(rec != NULL, "%s", diag.message);
    session ss;
    session_run(&ss, rec);
    cr_assert_eq(ss.s.touches, 2, "the click was not made");
    char num[32];
    purr_assert_ok(
        purr_recorder_set_meta(rec, "scene", PURR_SCENES_DIR "/pet.yaml"));
    snprintf(num, sizeof num, "%" PRIu64, purr_sim_seed(ss.sim));
    purr_assert_ok(purr_recorder_set_meta(rec, "seed", num));
    snprintf(num, sizeof num, "%" PRId64, purr_sim_end_time(ss.sim));
    purr_assert_ok(purr_recorder_set_meta(rec, "end_ns", num));
    purr_assert_ok(purr_recorder_close(rec, &diag));
    session_close(&ss);

    purr_recording *r;
    purr_assert_ok(purr_recording_open(db, &r, &diag));
    purr_replay_options ro = {.check = true};
    purr_replay_report report;
    int rc = purr_replay_scene(r, &ro, &report);
    if (rc != 0)
        purr_replay_report_print(stderr, &report);
    purr_assert_ok(rc);
    purr_recording_close(r);
    unlink(db);
}

Test(window, offscreen_screenshot)
{
    purr_diag diag = {0};
    purr_window_options wo = {.offscreen = true, .width = 640, .height = 400};
    purr_window *w = purr_window_open(&wo, &diag);
    cr_assert(w != NULL, "%s", diag.message);
    purr_assert_ok(purr_window_save_png(w, "test_window.png"));
    purr_assert_err(purr_window_save_png(w, "/nonexistent/dir/x.png"),
                    PURR_EIO);
    cr_assert(strlen(purr_window_error(w)) > 0);
    purr_window_close(w);
}
