/* window_smoke.c - opens the live window for real, runs a scene in it and
 * closes: the Xvfb test of the window (and the screenshot tool).
 *
 *     window_smoke SCENE [--duration T] [--speed 1|10|100|max]
 *                  [--wall-ms N] [--screenshot OUT.png]
 *
 * --wall-ms closes the window (an SDL_QUIT event, as the window manager's
 * close button sends) after N ms of wall time, for screenshots at 1x; the
 * window then stops the run with purr_sim_stop, as `purr run` does. Exit 0
 * when the run ended cleanly. --stop-ms stops the run from outside the
 * window instead (purr_sim_stop posted directly, as a failing behaviour
 * would end it): the window must let go of the loop by itself. */
#include <purr/view.h>

#include <purr/purr.h>
#include <purr/sim.h>

#include "examples.h"

#include <SDL.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
stop_sim(void *arg)
{
    purr_sim_stop(arg);
}

typedef struct wall_stop {
    purr_pace_fn inner; /* the window's hook */
    void *inner_ctx;
    purr_sim *sim;
    Uint64 deadline_ms; /* 0: none */
    bool direct;        /* stop with purr_sim_stop, not SDL_QUIT */
    bool stopped;
} wall_stop;

/* Wraps the window's hook to stop the run at a wall-clock deadline. */
static void
pace(purr_loop *loop, purr_time next, void *ctx)
{
    wall_stop *ws = ctx;
    ws->inner(loop, next, ws->inner_ctx);
    if (ws->deadline_ms && !ws->stopped &&
        SDL_GetTicks64() >= ws->deadline_ms) {
        ws->stopped = true;
        if (ws->direct) {
            purr_loop_post(loop, stop_sim, ws->sim);
            return;
        }
        SDL_Event quit = {.type = SDL_QUIT};
        SDL_PushEvent(&quit);
    }
}

int
main(int argc, char **argv)
{
    if (purr_examples_register() < 0)
        return 2;
    if (argc < 2) {
        fprintf(stderr, "usage: window_smoke SCENE [options]\n");
        return 2;
    }
    purr_sim_options so = {0};
    purr_window_options wo = {0};
    const char *shot = NULL;
    long wall_ms = 0;
    wo.speed = 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--duration") == 0)
            purr_sim_duration_parse(argv[i + 1], &so.duration_ns);
        else if (strcmp(argv[i], "--speed") == 0)
            wo.speed = strcmp(argv[i + 1], "max") ? atof(argv[i + 1]) : 0;
        else if (strcmp(argv[i], "--wall-ms") == 0)
            wall_ms = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--stop-ms") == 0)
            wall_ms = -atol(argv[i + 1]);
        else if (strcmp(argv[i], "--screenshot") == 0)
            shot = argv[i + 1];
    }
    purr_diag diag = {0};
    purr_scene *scene;
    if (purr_scene_load(argv[1], &scene, &diag) < 0) {
        fprintf(stderr, "window_smoke: %s\n", diag.message);
        return 2;
    }
    wo.title = scene->name;
    wo.duration_ns = so.duration_ns > 0 ? so.duration_ns : scene->duration_ns;
    purr_window *w = purr_window_open(&wo, &diag);
    if (!w) {
        fprintf(stderr, "window_smoke: %s: %s\n", diag.file, diag.message);
        purr_scene_free(scene);
        return 1;
    }
    purr_loop_options lo = {0};
    purr_window_loop_options(w, &lo);
    wall_stop ws = {lo.pace, lo.pace_ctx, NULL, 0, wall_ms < 0, false};
    if (wall_ms < 0)
        wall_ms = -wall_ms;
    so.pace = pace;
    so.pace_ctx = &ws;
    purr_sim *sim = purr_sim_new(scene, &so);
    ws.sim = sim;
    if (wall_ms > 0)
        ws.deadline_ms = SDL_GetTicks64() + (Uint64)wall_ms;
    int status = 0;
    if (purr_window_attach(w, purr_sim_loop(sim)) < 0) {
        status = 1;
        goto out;
    }
    purr_window_on_quit(w, stop_sim, sim);
    if (purr_sim_run(sim, &diag) < 0) {
        fprintf(stderr, "window_smoke: %s\n", diag.message);
        status = 1;
    }
    if (shot && purr_window_save_png(w, shot) < 0) {
        fprintf(stderr, "window_smoke: %s\n", purr_window_error(w));
        status = 1;
    }
out:
    purr_window_close(w);
    purr_sim_free(sim);
    purr_scene_free(scene);
    return status;
}
