/* test_replay_shadow.c - purr_replay_scene's shadow mode, in process: the
 * metadata decides between shadow and feeder mode; inputs posted from
 * outside any task (as the window posts a click) in a shuffled run replay
 * identically; the recorded inputs, not the sensor models, drive a
 * shadow replay; and a replay kept with record_path is replayed in the
 * same mode as the run it replayed. Recordings are made here as `purr run
 * --record` makes them (the same metadata), so that the pacing hook can
 * post inputs. */
#include "purr_test.h"

#include <purr/recorder.h>
#include <purr/cli.h>
#include <purr/replay.h>
#include <purr/sim.h>

#include "examples_test.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PURR_SCENES_DIR
#error "PURR_SCENES_DIR must name the scenes folder"
#endif

#define PET PURR_SCENES_DIR "/pet.yaml"

/* The test's own directory (each test is a process of its own). */
static char dir[64];

static void
make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/purr-shadow-test.%d", (int)getpid());
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    cr_assert_eq(system(cmd), 0);
}

static void
remove_dir(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)system(cmd);
}

TestSuite(shadow, .init = make_dir, .fini = remove_dir);

/* DIR/name, in a static buffer per slot (two paths at a time). */
static const char *
at(const char *name, int slot)
{
    static char paths[2][256];
    int n = snprintf(paths[slot], sizeof paths[slot], "%s/%s", dir, name);
    cr_assert(n > 0 && (size_t)n < sizeof paths[slot]);
    return paths[slot];
}

/* A pacing hook standing in for the window: every `every` calls it posts
 * a toggle of `touched` and, every third time, battery + 1, as a click and
 * an Up key would be. */
typedef struct poster {
    purr_sim *sim;
    int every;    /* 0: posts nothing */
    int calls;    /* pace calls so far */
    int posts;    /* toggles posted */
    uint64_t set; /* transitions made by the posts (task id 0) */
} poster;

static void
toggle(void *arg)
{
    poster *p = arg;
    purr_value *touched = purr_sim_find(p->sim, "touched");
    purr_value_set_bool(touched,
                        !purr_datum_as_bool(purr_value_peek(touched)));
    if (p->posts % 3 == 0) {
        purr_value *battery = purr_sim_find(p->sim, "battery");
        purr_value_set_double(
            battery, purr_datum_as_double(purr_value_peek(battery)) + 1.0);
    }
}

static void
post_pace(purr_loop *loop, purr_time next_deadline, void *ctx)
{
    (void)next_deadline;
    poster *p = ctx;
    if (p->every && ++p->calls % p->every == 0) {
        p->posts++;
        cr_assert_eq(purr_loop_post(loop, toggle, p), 0);
    }
}

static void
count_posted(const purr_trace *ev, void *ctx)
{
    poster *p = ctx;
    if (ev->task_id == 0)
        p->set++;
}

/* Records the scene at scene_path into DIR/db as `purr run --record`
 * does (same metadata), for duration, with shuffle_seed (< 0: FIFO),
 * posting inputs every `every` pace calls. claim (NULL: scene_path) is the
 * scene file the metadata names, with its hash: a recording of a scene
 * that another file claims to be, to make the sensors and the recording
 * disagree without editing transitions. Returns the number of transitions
 * the posts made. */
static uint64_t
record_as(const char *scene_path, const char *claim, const char *db,
          purr_time duration, int64_t shuffle_seed, int every)
{
    purr_scene *scene, *claimed;
    purr_diag diag = {0};
    purr_assert_ok(purr_scene_load(scene_path, &scene, &diag));
    if (!claim)
        claim = scene_path;
    purr_assert_ok(purr_scene_load(claim, &claimed, &diag));
    poster p = {.every = every};
    purr_sim_options so = {.duration_ns = duration,
                           .shuffle = shuffle_seed >= 0,
                           .shuffle_seed = (uint64_t)shuffle_seed,
                           .pace = post_pace,
                           .pace_ctx = &p};
    purr_sim *sim = purr_sim_new(scene, &so);
    cr_assert_not_null(sim);
    p.sim = sim;
    purr_recorder *rec = purr_recorder_open(at(db, 0), NULL, &diag);
    cr_assert_not_null(rec, "%s", diag.message);
    char hash[32], num[32];
    snprintf(hash, sizeof hash, "%016" PRIx64, claimed->hash);
    snprintf(num, sizeof num, "%" PRIu64, purr_sim_seed(sim));
    purr_assert_ok(purr_recorder_attach(rec, purr_sim_loop(sim)));
    purr_assert_ok(purr_recorder_set_meta(rec, "scene", claim));
    purr_assert_ok(purr_recorder_set_meta(rec, "scene_hash", hash));
    purr_assert_ok(purr_recorder_set_meta(rec, "inputs", "sensors"));
    purr_assert_ok(purr_recorder_set_meta(rec, "seed", num));
    purr_assert_ok(purr_recorder_set_meta(rec, "created_by", "purr run"));
    if (shuffle_seed >= 0) {
        snprintf(num, sizeof num, "%" PRId64, shuffle_seed);
        purr_assert_ok(purr_recorder_set_meta(rec, "shuffle_seed", num));
    }
    purr_assert_ok(purr_loop_observe(purr_sim_loop(sim),
                                     PURR_EV_BIT(PURR_EV_VALUE_SET),
                                     count_posted, &p));
    purr_assert_ok(purr_sim_setup(sim, &diag));
    purr_assert_ok(purr_sim_run(sim, &diag));
    snprintf(num, sizeof num, "%" PRId64, purr_sim_end_time(sim));
    purr_assert_ok(purr_recorder_set_meta(rec, "end_ns", num));
    purr_assert_ok(purr_recorder_close(rec, &diag));
    purr_sim_free(sim);
    purr_scene_free(scene);
    purr_scene_free(claimed);
    return p.set;
}

static uint64_t
record_run(const char *scene_path, const char *db, purr_time duration,
           int64_t shuffle_seed, int every)
{
    return record_as(scene_path, NULL, db, duration, shuffle_seed, every);
}

/* Writes text to DIR/name; returns the path (slot as for at). */
static const char *
write_file(const char *name, const char *text, int slot)
{
    const char *path = at(name, slot);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* A scene of scripted inputs; %s are touched's first time and level's
 * value. level is read by no behaviour. */
static const char timeline_fmt[] =
    "name: timeline\n"
    "duration: 1min\n"
    "sensors:\n"
    "  - {name: touched, type: bool, model: timeline,\n"
    "     points: [[%s, true], [20s, false], [30s, true], [40s, false]]}\n"
    "  - {name: face_seen, type: bool, model: timeline,\n"
    "     points: [[12s, true], [25s, false], [30s, true]]}\n"
    "  - {name: level, type: double, model: timeline, points: [[5s, %s]]}\n"
    "behaviours:\n"
    "  - {name: talk, params: {cute_for: 2s}}\n";

/* Writes timeline_fmt with touched's first time and level's value as
 * DIR/name; returns the path (slot as for at). */
static const char *
timeline_scene(const char *name, const char *touched_at, const char *level,
               int slot)
{
    char text[1024];
    snprintf(text, sizeof text, timeline_fmt, touched_at, level);
    return write_file(name, text, slot);
}

/* Replays DIR/db (with options; NULL: check only) into *rep. Returns
 * purr_replay_scene's code; prints the report when it is not 0. */
static int
replay(const char *db, const purr_replay_options *opts,
       purr_replay_report *rep)
{
    purr_replay_options check = {.check = true};
    purr_recording *rec;
    purr_diag diag = {0};
    purr_assert_ok(purr_recording_open(at(db, 0), &rec, &diag));
    int rc = purr_replay_scene(rec, opts ? opts : &check, rep);
    if (rc != 0)
        purr_replay_report_print(stderr, rep);
    purr_recording_close(rec);
    return rc;
}

/* Runs SQL on DIR/db. */
static void
sql(const char *db, const char *stmt)
{
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(at(db, 0), &h), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(h, stmt, NULL, NULL, &msg);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", stmt, msg ? msg : "");
    sqlite3_close(h);
}

/* Metadata key of DIR/db, through the reader, into out ("" when
 * absent). */
static void
meta(const char *db, const char *key, char *out, size_t cap)
{
    purr_recording *rec;
    purr_diag diag = {0};
    purr_assert_ok(purr_recording_open(at(db, 0), &rec, &diag));
    const char *v = purr_recording_meta(rec, key);
    snprintf(out, cap, "%s", v ? v : "");
    purr_recording_close(rec);
}

/* The text form of the first transition of value name in DIR/db, through
 * the reader, into out ("" when there is none). */
static void
first_datum(const char *db, const char *name, char *out, size_t cap)
{
    purr_recording *rec;
    purr_recording_iter it;
    purr_diag diag = {0};
    purr_assert_ok(purr_recording_open(at(db, 0), &rec, &diag));
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    out[0] = '\0';
    int rc;
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0)
        if (strcmp(it.value->name, name) == 0) {
            purr_datum_format(&it.datum, out, cap);
            break;
        }
    cr_assert(rc == 0 || rc == PURR_ECLOSED, "%s", diag.message);
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
}

/* Copies DIR/from to DIR/to. */
static void
copy(const char *from, const char *to)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cp %s %s", at(from, 0), at(to, 1));
    cr_assert_eq(system(cmd), 0);
}

/* Inputs a window posts (task id 0) into a shuffled run are posted again by
 * the replay at the moment they were, without a task of their own, so the
 * shuffled batches are those of the recorded run. */
Test(shadow, posted_inputs_in_shuffled_runs_replay_identically,
     .timeout = 120)
{
    const int64_t seeds[] = {-1, 1, 2, 3, 7, 99};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        char db[32];
        snprintf(db, sizeof db, "posted%zu.db", i);
        uint64_t posted = record_run(PET, db, 2 * 3600 * PURR_S, seeds[i], 7);
        cr_assert_gt(posted, 10);
        purr_replay_report rep;
        cr_assert_eq(replay(db, NULL, &rep), 0, "shuffle seed %" PRId64,
                     seeds[i]);
        cr_assert(rep.shadow);
        cr_assert_gt(rep.inputs, posted);
    }
}

/* Shadow mode applies to a virtual-clock run of this very scene file whose
 * inputs the sensors set; anything else is replayed by the feeder. */
Test(shadow, mode_follows_the_metadata)
{
    record_run(PET, "a.db", 3600 * PURR_S, -1, 0);
    purr_replay_report rep;
    cr_assert_eq(replay("a.db", NULL, &rep), 0);
    cr_assert(rep.shadow);

    struct {
        const char *db, *stmt;
    } feeder[] = {
        {"hash.db", "UPDATE run SET value = '0123456789abcdef' WHERE key = "
                    "'scene_hash'"},
        {"nohash.db", "DELETE FROM run WHERE key = 'scene_hash'"},
        {"noinputs.db", "DELETE FROM run WHERE key = 'inputs'"},
        {"fed.db", "UPDATE run SET value = 'recording' WHERE key = "
                   "'inputs'"},
        {"real.db", "UPDATE run SET value = 'real' WHERE key = 'clock'"},
    };
    for (size_t i = 0; i < sizeof feeder / sizeof feeder[0]; i++) {
        copy("a.db", feeder[i].db);
        sql(feeder[i].db, feeder[i].stmt);
        /* A FIFO run replays identically in feeder mode too. */
        cr_assert_eq(replay(feeder[i].db, NULL, &rep), 0, "%s",
                     feeder[i].db);
        cr_assert(!rep.shadow, "%s", feeder[i].db);
    }

    /* The scene given with --scene counts by its bytes: a copy is the
     * same scene, an edited copy (a comment) is not. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cp %s %s && (cat %s; echo '# edited') > %s",
             PET, at("same.yaml", 0), PET, at("edited.yaml", 1));
    cr_assert_eq(system(cmd), 0);
    char path[256];
    snprintf(path, sizeof path, "%s", at("same.yaml", 0));
    purr_replay_options same = {.check = true, .scene_path = path};
    cr_assert_eq(replay("a.db", &same, &rep), 0);
    cr_assert(rep.shadow);
    snprintf(path, sizeof path, "%s", at("edited.yaml", 0));
    purr_replay_options edited = {.check = true, .scene_path = path};
    cr_assert_eq(replay("a.db", &edited, &rep), 0);
    cr_assert(!rep.shadow);
}

/* A replay kept with record_path says how its inputs were set: a shadow
 * replay's recording is shadow-replayed in turn (its tasks are the
 * sensors), a feeder replay's is replayed by a feeder. */
Test(shadow, kept_replays_are_replayed_in_their_own_mode)
{
    record_run(PET, "a.db", 3600 * PURR_S, 5, 11);
    char kept[256];
    snprintf(kept, sizeof kept, "%s", at("kept.db", 0));
    purr_replay_options ro = {.check = true, .record_path = kept};
    purr_replay_report rep;
    cr_assert_eq(replay("a.db", &ro, &rep), 0);
    cr_assert(rep.shadow);
    char v[64];
    meta("kept.db", "inputs", v, sizeof v);
    cr_assert_str_eq(v, "sensors");
    meta("kept.db", "shuffle_seed", v, sizeof v);
    cr_assert_str_eq(v, "5");
    cr_assert_eq(replay("kept.db", NULL, &rep), 0);
    cr_assert(rep.shadow);

    record_run(PET, "b.db", 3600 * PURR_S, -1, 0);
    sql("b.db", "DELETE FROM run WHERE key = 'scene_hash'");
    snprintf(kept, sizeof kept, "%s", at("kept2.db", 0));
    ro.record_path = kept;
    cr_assert_eq(replay("b.db", &ro, &rep), 0);
    cr_assert(!rep.shadow);
    meta("kept2.db", "inputs", v, sizeof v);
    cr_assert_str_eq(v, "recording");
    cr_assert_eq(replay("kept2.db", NULL, &rep), 0);
    cr_assert(!rep.shadow);
}

/* The recorded datum is what a shadow replay sets, whatever the sensor
 * model computes: a recording whose level reading is 1.0 replays
 * identically against a scene whose model says 42.5 at that moment, and
 * the replayed run's level is 1.0. */
Test(shadow, recorded_inputs_drive_the_replay)
{
    char recorded[256], claimed[256];
    snprintf(recorded, sizeof recorded, "%s",
             timeline_scene("a.yaml", "10s", "1.0", 0));
    snprintf(claimed, sizeof claimed, "%s",
             timeline_scene("b.yaml", "10s", "42.5", 1));
    record_as(recorded, claimed, "a.db", 60 * PURR_S, 3, 0);
    char kept[256];
    snprintf(kept, sizeof kept, "%s", at("kept.db", 0));
    purr_replay_options ro = {.check = true, .record_path = kept};
    purr_replay_report rep;
    cr_assert_eq(replay("a.db", &ro, &rep), 0);
    cr_assert(rep.shadow);
    char v[64];
    first_datum("kept.db", "level", v, sizeof v);
    cr_assert_str_eq(v, "1.0");
}

/* A sensor that sets its input at another time than the recording says
 * is a divergence naming that input, not a silent use of the model's
 * value. */
Test(shadow, input_at_another_time_is_a_divergence)
{
    char recorded[256], claimed[256];
    snprintf(recorded, sizeof recorded, "%s",
             timeline_scene("a.yaml", "10s", "1.0", 0));
    snprintf(claimed, sizeof claimed, "%s",
             timeline_scene("b.yaml", "10250ms", "1.0", 1));
    record_as(recorded, claimed, "a.db", 60 * PURR_S, 2, 0);
    purr_replay_report rep;
    cr_assert_eq(replay("a.db", NULL, &rep), PURR_EDIVERGED);
    cr_assert(rep.shadow);
    cr_assert_eq(rep.outcome, PURR_REPLAY_DIFFERENT);
    cr_assert_str_eq(rep.expected_row.value, "touched");
    cr_assert_eq(rep.expected_row.time_ns, 10 * PURR_S);
    cr_assert_str_eq(rep.actual_row.value, "touched");
    cr_assert_eq(rep.actual_row.time_ns, 10 * PURR_S + 250 * PURR_MS);
    /* The level reading at 5 s and nothing else matched before it. */
    cr_assert_eq(rep.nbefore, 1);
    cr_assert_str_eq(rep.before[0].value, "level");
}
