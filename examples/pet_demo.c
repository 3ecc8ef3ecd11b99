/* pet_demo.c - a pet robot's behaviour on the virtual clock.
 *
 * The main job until the simulator exists: a day in the life of a pet
 * robot, simulated in virtual time in a few milliseconds. Scripted inputs
 * (battery level, touches) drive a behaviour written only against the
 * public API: it composes battery and touch into a mood, docks when the
 * battery has been low for five minutes, and purrs when touched. Every
 * transition is printed as a timeline; the run is deterministic, so the
 * output is byte-identical every time. */
#include <purr/purr.h>

#include <stdio.h>
#include <string.h>

typedef struct robot {
    purr_value *battery;   /* input: percent, double */
    purr_value *touched;   /* input: bool */
    purr_value *docked;    /* output: bool */
    purr_value *mood;      /* output: string */
    purr_value *sound;     /* output: string */
} robot;

/* ---- the behaviour ---------------------------------------------------- */

static bool
battery_low(const purr_datum *d, void *arg)
{
    (void)arg;
    return purr_datum_as_double(d) < 20.0;
}

static bool
battery_full(const purr_datum *d, void *arg)
{
    (void)arg;
    return purr_datum_as_double(d) >= 95.0;
}

/* Dock when the battery has been low for 5 minutes; undock when full. */
static int
docking(void *arg)
{
    robot *r = arg;
    for (;;) {
        PURR_TRY(purr_value_wait(r->battery, purr_match_pred(battery_low, NULL),
                                 5 * 60 * PURR_S, NULL));
        purr_value_set_bool(r->docked, true);
        PURR_TRY(purr_value_wait(r->battery,
                                 purr_match_pred(battery_full, NULL), 0, NULL));
        purr_value_set_bool(r->docked, false);
    }
}

/* (battery, touched) -> mood */
static void
mood_of(const purr_datum *in, purr_datum *out, void *arg)
{
    (void)arg;
    double battery = purr_datum_as_double(purr_datum_tuple_at(in, 0));
    bool touched = purr_datum_as_bool(purr_datum_tuple_at(in, 1));
    const char *mood = touched          ? "happy"
                       : battery < 20.0 ? "sleepy"
                                        : "curious";
    *out = purr_datum_string(mood);
}

/* For each new mood, set the public mood output. */
static int
moods(void *arg)
{
    robot *r = arg;
    purr_value *srcs[] = {r->battery, r->touched};
    const char *names[] = {"battery", "touched"};
    purr_value *mood = purr_value_open_compose("mood_calc", srcs, names, 2,
                                               mood_of, NULL);
    purr_eventual it;
    const purr_datum *m;
    int rc;
    purr_eventual_open(&it, mood, purr_match_any(), 0);
    while ((rc = purr_eventual_next(&it, &m)) == 0)
        purr_value_set(r->mood, m);
    purr_eventual_close(&it);
    purr_value_free(mood);
    return rc;
}

/* Purr for two seconds on every touch. */
static int
purring(void *arg)
{
    robot *r = arg;
    purr_datum yes = purr_datum_bool(true);
    for (;;) {
        PURR_TRY(purr_value_wait_transition(r->touched, purr_match_equal(&yes),
                                            NULL, NULL));
        purr_value_set_string(r->sound, "purr");
        PURR_TRY(purr_sleep(2 * PURR_S));
        purr_value_set_string(r->sound, "");
    }
}

static int
behaviour(purr_nursery *n, void *arg)
{
    PURR_TRY(purr_spawn(n, "docking", docking, arg));
    PURR_TRY(purr_spawn(n, "moods", moods, arg));
    return purr_spawn(n, "purring", purring, arg);
}

/* ---- the scripted world ------------------------------------------------ */

/* The battery drains 1% a minute, charges 3% a minute when docked. */
static int
world(void *arg)
{
    robot *r = arg;
    double level = 60.0;
    for (int minute = 1; minute <= 240; minute++) {
        int rc = purr_sleep(60 * PURR_S);
        if (rc < 0)
            return rc;
        bool docked = purr_datum_as_bool(purr_value_peek(r->docked));
        level += docked ? 3.0 : -1.0;
        if (level > 100.0)
            level = 100.0;
        purr_value_set_double(r->battery, level);
        if (minute % 37 == 0) { /* someone strokes the robot */
            purr_value_set_bool(r->touched, true);
            if ((rc = purr_sleep(5 * PURR_S)) < 0)
                return rc;
            purr_value_set_bool(r->touched, false);
        }
    }
    return 0;
}

static int
run_behaviour(void *arg)
{
    return purr_nursery_run(behaviour, arg);
}

static int
main_task(purr_nursery *n, void *arg)
{
    int rc = purr_spawn(n, "behaviour", run_behaviour, arg);
    if (rc < 0)
        return rc;
    rc = world(arg);          /* the world runs in the body */
    purr_nursery_cancel(n);   /* the day is over: stop the behaviour */
    return rc;
}

static int
main_fn(void *arg)
{
    return purr_nursery_run(main_task, arg);
}

/* ---- printing the timeline --------------------------------------------- */

static void
print_transition(const purr_trace *ev, void *ctx)
{
    FILE *out = ctx;
    if (purr_value_role(ev->value) == PURR_ROLE_INTERNAL)
        return;
    char text[128];
    purr_datum_format(ev->new_value, text, sizeof text);
    long long s = (long long)(ev->time_ns / PURR_S);
    fprintf(out, "%02lld:%02lld:%02lld  %-8s %-7s = %s\n", s / 3600,
            s / 60 % 60, s % 60,
            purr_value_role(ev->value) == PURR_ROLE_INPUT ? "input" : "output",
            purr_value_name(ev->value), text);
}

int
main(void)
{
    purr_loop *loop = purr_loop_new(NULL);
    if (!loop) {
        fprintf(stderr, "purr-demo: cannot create a loop\n");
        return 2;
    }
    purr_datum full = purr_datum_double(60.0);
    robot r = {
        purr_value_new(loop, "battery", PURR_ROLE_INPUT, PURR_T_DOUBLE, &full),
        purr_value_new_bool(loop, "touched", PURR_ROLE_INPUT),
        purr_value_new_bool(loop, "docked", PURR_ROLE_OUTPUT),
        purr_value_new(loop, "mood", PURR_ROLE_OUTPUT, PURR_T_STRING, NULL),
        purr_value_new(loop, "sound", PURR_ROLE_OUTPUT, PURR_T_STRING, NULL),
    };
    purr_loop_observe(loop, PURR_EV_BIT(PURR_EV_VALUE_SET), print_transition,
                      stdout);
    int rc = purr_run(loop, "main", main_fn, &r);
    printf("four virtual hours simulated: %s\n",
           rc == 0 ? "ok" : purr_strerror(rc));
    purr_value_free(r.battery);
    purr_value_free(r.touched);
    purr_value_free(r.docked);
    purr_value_free(r.mood);
    purr_value_free(r.sound);
    purr_loop_close(loop);
    return rc == 0 ? 0 : 1;
}
