/* test_tasks.c - the task tree at a selected instant (purr__vm_tasks_at):
 * against a naive replay of the events over a long history (checkpoints,
 * seeks both ways); a recording's task events read back
 * (purr_recording_task_iter) give the very tree the live observer built
 * at every instant; and the screenshot at the end of a headless `purr run`
 * shows the whole run and the tasks that were running when it ended (not
 * "tasks (0)"). */
#include "view_rec.h"

#include "purr_cmd.h"

#include <SDL_image.h>
#include <sqlite3.h>

#include <stdlib.h>
#include <unistd.h>

/* Two trees are the same tasks, in the same order and states. */
static void
same_tree(const purr__vm_task *a, size_t na, const purr__vm_task *b, size_t nb,
          const char *what)
{
    cr_assert_eq(na, nb, "%s: %zu tasks, want %zu", what, na, nb);
    for (size_t i = 0; i < na; i++) {
        cr_assert_eq(a[i].id, b[i].id, "%s: task %zu", what, i);
        cr_assert_eq(a[i].parent_id, b[i].parent_id, "%s", what);
        cr_assert_str_eq(a[i].name, b[i].name, "%s", what);
        cr_assert_eq(a[i].state, b[i].state, "%s: %s", what, a[i].name);
        cr_assert_str_eq(a[i].detail, b[i].detail, "%s: %s", what, a[i].name);
    }
}

/* An event of the synthetic history. */
typedef struct ev {
    purr_time t;
    purr_event_kind kind;
    uint64_t id, parent;
    const char *detail;
} ev;

/* The naive tree at t: a fresh model fed the events before t, then those
 * at t except those of tasks ending at t. */
static void
naive(const ev *evs, size_t n, purr_time t, purr__view_model *out)
{
    purr__vm_init(out);
    for (size_t i = 0; i < n && evs[i].t <= t; i++) {
        if (evs[i].t == t) {
            bool ends = false;
            for (size_t j = i; j < n && evs[j].t == t; j++)
                ends = ends || (evs[j].id == evs[i].id &&
                                evs[j].kind == PURR_EV_TASK_ENDED);
            if (ends)
                continue;
        }
        char name[16];
        snprintf(name, sizeof name, "t%llu", (unsigned long long)evs[i].id);
        purr__vm_add_task_event(out, evs[i].t, evs[i].kind, evs[i].id,
                                evs[i].parent, name, evs[i].detail);
    }
}

Test(tasks, the_tree_at_any_instant_matches_a_replay_from_scratch)
{
    /* A pseudo-random history of 30000 events (past several checkpoints):
     * tasks spawned under earlier ones, blocking on a few things, woken,
     * ending; several events per instant. */
    enum { N = 30000 };
    ev *evs = calloc(N, sizeof *evs);
    static const char *const details[] = {"sleep", "value", "value transition"};
    uint64_t rnd = 12345, next_id = 1;
    uint64_t alive[64];
    int nalive = 0;
    purr_time t = 0;
    size_t n = 0;
    while (n < N) {
        rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
        unsigned r = (unsigned)(rnd >> 33);
        if (r % 3 == 0)
            t += (purr_time)(r % 7) * PURR_MS;
        if (nalive < 2 || (r % 5 == 0 && nalive < 64)) {
            uint64_t parent = nalive ? alive[r % nalive] : 0;
            alive[nalive++] = next_id;
            evs[n++] = (ev){t, PURR_EV_TASK_SPAWNED, next_id++, parent, NULL};
            continue;
        }
        int k = (int)(r / 7 % nalive);
        uint64_t id = alive[k];
        switch (r / 11 % 5) {
        case 0:
            evs[n++] = (ev){t, PURR_EV_TASK_ENDED, id, 0, NULL};
            alive[k] = alive[--nalive];
            break;
        case 1:
        case 2:
            evs[n++] = (ev){t, PURR_EV_TASK_BLOCKED, id, 0, details[r % 3]};
            break;
        case 3:
            evs[n++] = (ev){t, PURR_EV_TASK_WOKEN, id, 0, NULL};
            break;
        default:
            evs[n++] = (ev){t, PURR_EV_TASK_STARTED, id, 0, NULL};
            break;
        }
    }
    purr__view_model vm;
    purr__vm_init(&vm);
    for (size_t i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "t%llu", (unsigned long long)evs[i].id);
        purr__vm_add_task_event(&vm, evs[i].t, evs[i].kind, evs[i].id,
                                evs[i].parent, name, evs[i].detail);
    }
    purr_time end = evs[n - 1].t;
    /* Forward, backward and jumping, at event times and between them. */
    purr_time probes[40];
    for (int i = 0; i < 40; i++) {
        rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
        probes[i] = i < 10   ? end * i / 10
                    : i < 20 ? end * (19 - i) / 10
                    : i % 2  ? evs[(rnd >> 33) % n].t
                             : (purr_time)((rnd >> 33) % (uint64_t)(end + 1));
    }
    for (int i = 0; i < 40; i++) {
        purr__view_model want;
        naive(evs, n, probes[i], &want);
        size_t got_n;
        const purr__vm_task *got = purr__vm_tasks_at(&vm, probes[i], &got_n);
        char what[64];
        snprintf(what, sizeof what, "probe %d (%lld ns)", i,
                 (long long)probes[i]);
        same_tree(got, got_n, want.tasks, want.task_count, what);
        purr__vm_close(&want);
    }
    /* After the last event: the latest tree. */
    size_t got_n;
    const purr__vm_task *got = purr__vm_tasks_at(&vm, end + 1, &got_n);
    same_tree(got, got_n, vm.tasks, vm.task_count, "after the end");
    purr__vm_close(&vm);
    free(evs);
}

/* The live model, fed by an observer as the window's is. */
static void
observe_live(const purr_trace *e, void *ctx)
{
    purr__view_model *vm = ctx;
    if (e->kind < PURR_EV_VALUE_CREATED)
        purr__vm_task_event(vm, e);
}

static const char *const DB = "tasks.db";

Test(tasks, a_recording_gives_the_tree_the_live_run_had)
{
    unlink(DB);
    purr__view_model live;
    purr__vm_init(&live);
    rec_make(DB, observe_live, &live);
    purr__view_model rec;
    rec_load(DB, &rec);
    cr_assert_gt(rec.tev_count, 10);
    cr_assert_eq(rec.tev_count, live.tev_count);
    for (purr_time t = 0; t <= REC_END + PURR_S; t += 500 * PURR_MS) {
        size_t na, nb;
        const purr__vm_task *a = purr__vm_tasks_at(&rec, t, &na);
        const purr__vm_task *b = purr__vm_tasks_at(&live, t, &nb);
        char what[48];
        snprintf(what, sizeof what, "at %lld ms", (long long)(t / PURR_MS));
        same_tree(a, na, b, nb, what);
    }
    /* What the script says: main, setter and worker until 35 s, all
     * three blocked (main on its nursery, the others asleep)... */
    size_t n;
    const purr__vm_task *t = purr__vm_tasks_at(&rec, 20 * PURR_S, &n);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(t[0].name, "main");
    cr_assert_str_eq(t[1].name, "setter");
    cr_assert_str_eq(t[2].name, "worker");
    cr_assert_eq(t[1].parent_id, t[0].id);
    cr_assert_eq(t[2].parent_id, t[0].id);
    for (size_t i = 0; i < 3; i++)
        cr_assert_eq(t[i].state, PURR__VM_BLOCKED, "%s", t[i].name);
    cr_assert_str_eq(t[2].detail, "sleep");
    /* ... the worker ends at 35 s (shown at 35 s, as it was before)... */
    purr__vm_tasks_at(&rec, 35 * PURR_S, &n);
    cr_assert_eq(n, 3);
    t = purr__vm_tasks_at(&rec, 35 * PURR_S + 1, &n);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(t[1].name, "setter");
    /* ... and at the run's end main and setter are there, as they were
     * before they ended; after it, nothing. */
    t = purr__vm_tasks_at(&rec, REC_END, &n);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(t[0].name, "main");
    purr__vm_tasks_at(&rec, REC_END + 1, &n);
    cr_assert_eq(n, 0);
    purr__vm_close(&rec);
    purr__vm_close(&live);
    unlink(DB);
}

#ifndef PURR_SCENES_DIR
#error "PURR_SCENES_DIR must name the scenes folder"
#endif

/* `purr run --headless --screenshot` at the default speed (1x): the frame
 * spans the whole run (the battery's line starts at its first value, at
 * the top of its scale, not at the value a minute before the end), and
 * its task tree is the recording's at the end, which is not empty. */
Test(tasks, headless_screenshot_shows_the_whole_run_and_its_tasks)
{
    char dir[256], out[4096], err[4096];
    purr_cmd_dir_make(dir, sizeof dir, "purr_view_tasks", NULL);
    int st =
        purr_cmd_in(dir,
                    "run " PURR_SCENES_DIR "/pet.yaml --headless --duration 2h "
                    "--screenshot shot.png --record "
                    "run.db -q",
                    out, sizeof out, err, sizeof err);
    (void)st;
    char path[512];
    snprintf(path, sizeof path, "%s/run.db", dir);
    purr__view_model vm;
    rec_load(path, &vm);
    snprintf(path, sizeof path, "%s/shot.png", dir);
    SDL_Surface *png = IMG_Load(path);
    cr_assert(png, "%s: %s (stderr: %s)", path, IMG_GetError(), err);
    SDL_Surface *shot =
        SDL_ConvertSurfaceFormat(png, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(png);
    cr_assert_eq(shot->w, 1200);
    purr__layout lay;
    purr__layout_compute(&lay, shot->w, shot->h, vm.row_count, false);
    const Uint32 *px = shot->pixels;
#define AT(x, y) (px[(size_t)(y) * (shot->pitch / 4) + (x)] & 0xffffffu)
    /* The battery's line in the first pixels of its track: where its
     * first value sits on its scale (the top: it only falls). */
    purr__vm_row *bat = purr__vm_find(&vm, "battery");
    cr_assert(bat);
    int i = (int)(bat - vm.rows);
    double v0 = purr_datum_as_double(&bat->points[0].datum);
    cr_assert_eq(v0, bat->max, "the pet's battery starts full");
    int y0 = lay.rows.y + i * lay.row_h + 2, top = y0 + 3;
    int x = lay.tl_x + 2, found = -1;
    for (int y = y0; y < y0 + lay.row_h - 4 && found < 0; y++)
        if (AT(x, y) == PURR__COLOR_INPUT)
            found = y;
    cr_assert_eq(found, top, "the battery's line starts at y %d, want %d",
                 found, top);

    /* The task tree: the same pixels as a frame of the recording at its
     * end, whose tree is the pet's tasks. */
    size_t n;
    const purr__vm_task *tasks = purr__vm_tasks_at(&vm, vm.end_ns, &n);
    cr_assert_gt(n, 3);
    offscreen o;
    offscreen_open(&o, shot->w, shot->h);
    purr__view_ui ui = {0};
    ui.title = "pet";
    ui.to_ns = vm.end_ns;
    ui.cursor_ns = vm.end_ns;
    ui.finished = true;
    ui.speed = 1;
    ui.selected = -1;
    ui.tasks = tasks;
    ui.task_count = n;
    purr__render_frame(o.ren, &o.fonts, &vm, &ui, o.w, o.h);
    offscreen_read(&o);
    int diff = 0;
    for (int y = lay.tasks.y; y < lay.tasks.y + lay.tasks.h; y++)
        for (int x2 = lay.tasks.x; x2 < lay.tasks.x + lay.tasks.w; x2++)
            diff += AT(x2, y) != offscreen_at(&o, x2, y);
    cr_assert_eq(diff, 0, "%d pixels of the task tree differ", diff);
#undef AT
    offscreen_close(&o);
    SDL_FreeSurface(shot);
    purr__vm_close(&vm);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    cr_assert_eq(system(path), 0);
}

/* Runs sql on the recording at path. */
static void
patch(const char *path, const char *sql)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK, "%s",
                 err ? err : "");
    sqlite3_close(db);
}

/* A damaged task event (a kind that is no task event, a record cut
 * short) makes the recording bad input
 * for `purr view`: one line naming the file and the row, status 2. */
Test(tasks, a_bad_task_event_is_refused)
{
    static const char *const sql[] = {
        /* The first record's kind byte: 9 is no task event. */
        "UPDATE task_event_chunk SET data = CAST(x'09' || substr(data, 2) AS "
        "BLOB)"
        " WHERE first_seq = (SELECT min(first_seq) FROM task_event_chunk)",
        /* The last byte gone: the last record runs short. */
        "UPDATE task_event_chunk SET data = substr(data, 1, length(data) - 1)"
        " WHERE first_seq = (SELECT min(first_seq) FROM task_event_chunk)",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        char db[64];
        snprintf(db, sizeof db, "bad_tasks.%d.db", (int)getpid());
        unlink(db);
        rec_make(db, NULL, NULL);
        patch(db, sql[i]);
        purr__view_model vm;
        purr__vm_init(&vm);
        purr_diag diag = {0};
        char title[64];
        int rc = purr__vm_load_recording(&vm, db, title, sizeof title, &diag);
        cr_assert_eq(rc, PURR_EFORMAT, "case %zu: %d (%s)", i, rc,
                     diag.message);
        cr_assert_str_eq(diag.file, db);
        cr_assert(strstr(diag.message, "task_event_chunk"), "case %zu: %s", i,
                  diag.message);
        purr__vm_close(&vm);
        const char *argv[] = {db, "--screenshot", "bad_tasks.png"};
        cr_assert_eq(purr_view_cli_view(3, (char **)argv), 2);
        unlink(db);
    }
}
