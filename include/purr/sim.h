/* purr/sim.h - scenes, simulated sensors and registered behaviours.
 *
 * A scene file (YAML, docs/scenes.md) declares simulated sensors, the
 * behaviours to run, a duration, a seed and expectations. The loader turns
 * it into a purr_scene; a purr_sim runs a scene on the virtual clock: each
 * sensor is a task setting an input value, each behaviour is a registered C
 * function written against the public API, and every transition flows
 * through the loop's observer hook (core.h), where the CLI, the recorder and
 * tests watch it.
 *
 * Determinism: each sensor draws from its own random stream derived from
 * (seed, sensor name), so adding a sensor never changes the others; sensors
 * and behaviours are started in scene order; nothing reads the wall clock.
 *
 * Errors in scene files are bad input: the functions return
 * PURR_EFORMAT (or PURR_ENOENT for a missing file) and fill a purr_diag with
 * the file, the 1-based line and column, and what was expected.
 *
 * This header includes no libyaml header.
 */
#ifndef PURR_SIM_H
#define PURR_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "purr/core.h"
#include "purr/datum.h"
#include "purr/value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Durations                                                               */
/* ---------------------------------------------------------------------- */

/* Parses a duration with a unit: a decimal number (digits, optionally a
 * '.' and more digits) followed by one of ns, us, ms, s, min, h, d, e.g.
 * "24h", "90s", "500ms", "1.5min". No sign, no spaces, no bare numbers.
 * *duration (out) receives the exact number of ns (fractions below 1 ns are
 * truncated). Returns 0.
 * Errors: PURR_EFORMAT (not a duration), PURR_ERANGE (beyond int64 ns). */
PURR_API int purr_sim_duration_parse(const char *text,
                                     purr_time *duration /* out */);

/* ---------------------------------------------------------------------- */
/* Scenes                                                                  */
/* ---------------------------------------------------------------------- */

/* A 1-based position in the scene file. */
typedef struct purr_scene_pos {
    long line, column;
} purr_scene_pos;

/* Sensor models. The numbers are fixed (recordings may store them). */
typedef enum purr_sensor_model {
    PURR_MODEL_CONSTANT = 1,    /* one value, optionally re-sampled noise */
    PURR_MODEL_TIMELINE = 2,    /* scripted [time, value] points */
    PURR_MODEL_RANDOM_WALK = 3, /* +/- step every period, within bounds */
    PURR_MODEL_POISSON = 4,     /* bool pulses at a rate per hour */
    PURR_MODEL_PERIODIC = 5,    /* sine or square wave, sampled */
    PURR_MODEL_BATTERY = 6      /* % drained or charged by an output bool */
} purr_sensor_model;

/* One point of a timeline: at at_ns after the start, the sensor becomes
 * value (owned by the scene). */
typedef struct purr_timeline_point {
    purr_time at_ns;
    purr_datum value;
    purr_scene_pos pos; /* of the point, for later diagnostics */
} purr_timeline_point;

/* Faults a sensor can suffer (docs/scenes.md, "Faults"). Numbers fixed. */
typedef enum purr_fault_kind {
    PURR_FAULT_DROPOUT = 1, /* no updates during the window */
    PURR_FAULT_STUCK = 2,   /* frozen (at `value`, or where it was) */
    PURR_FAULT_SPIKES = 3,  /* outliers at a rate */
    PURR_FAULT_DELAY = 4    /* updates arrive `by` late */
} purr_fault_kind;

/* One fault of a sensor. Scripted faults have a window [at, at + for);
 * random ones (at_ns < 0) open windows of length for at rate_per_hour,
 * drawn from the sensor's own fault stream. Spikes come at rate_per_hour
 * inside their window (at/for), or during the whole run when at_ns < 0. */
typedef struct purr_fault_spec {
    purr_fault_kind kind;
    purr_scene_pos pos;   /* of the fault's mapping */
    purr_time at_ns;      /* scripted start; -1: random windows */
    purr_time for_ns;     /* window length; PURR_TIME_NEVER: whole run */
    double rate_per_hour; /* random windows, or spikes, per hour */
    bool has_value;       /* stuck: value given */
    purr_datum value;     /* stuck: the value it is stuck at (owned) */
    double size;          /* spikes: the outlier's distance (numbers) */
    purr_time width_ns;   /* spikes: how long an outlier lasts */
    purr_time by_ns;      /* delay: how late updates arrive */
} purr_fault_spec;

/* A simulated sensor, as the scene declares it. Only the parameter block of
 * its model is meaningful; the loader fills defaults for optional keys. */
typedef struct purr_sensor_spec {
    char *name;     /* the input value's name */
    purr_type type; /* PURR_T_BOOL, _INT, _DOUBLE or _STRING */
    purr_sensor_model model;
    purr_scene_pos pos;      /* of the sensor's mapping */
    purr_datum initial;      /* the value before the model's first set */
    double noise_sigma;      /* gaussian noise added to numeric sets; 0 off */
    struct {                 /* constant */
        purr_time sample_ns; /* re-sample the noise this often; 0 never */
    } constant;
    struct {                         /* timeline */
        purr_timeline_point *points; /* ascending at_ns */
        size_t count;
    } timeline;
    struct { /* random_walk */
        double step, min, max;
        purr_time period_ns;
    } random_walk;
    struct { /* poisson */
        double rate_per_hour;
        purr_time pulse_ns; /* how long each event holds true */
    } poisson;
    struct {         /* periodic */
        bool square; /* false: sine */
        double min, max;
        purr_time period_ns, sample_ns, phase_ns;
    } periodic;
    struct {                                    /* battery */
        double drain_per_hour, charge_per_hour; /* in % per hour */
        char *docked; /* name of the bool value that charges it */
        purr_scene_pos docked_pos;
        purr_time sample_ns;
    } battery;
    purr_fault_spec *faults; /* in scene order */
    size_t fault_count;
    char *unit; /* `unit:` ("%", "lx", "m/s"); NULL when none */
} purr_sensor_spec;

/* A behaviour parameter: scalar text, converted by the behaviour. */
typedef struct purr_scene_param {
    char *key, *value;
    purr_scene_pos pos; /* of the value */
} purr_scene_param;

/* A behaviour to run: a registered name plus its parameters. */
typedef struct purr_behaviour_spec {
    char *name;
    purr_scene_pos pos;
    purr_scene_param *params;
    size_t param_count;
} purr_behaviour_spec;

/* Predicates, for expectations (docs/scenes.md, "Predicates"). A
 * predicate is a tree: leaves test one value, inner nodes combine. The
 * literal a comparison uses is kept as text, because the value's type is
 * known only once the behaviours have created their outputs; it is
 * converted (or refused, at than_pos) when the run is set up. The numbers
 * are fixed. */
typedef enum purr_pred_kind {
    PURR_PRED_TRUTHY = 1, /* value is true, non-zero or non-empty */
    PURR_PRED_CMP = 2,    /* value OP literal */
    PURR_PRED_ALL = 3,    /* every item holds */
    PURR_PRED_ANY = 4,    /* at least one item holds */
    PURR_PRED_NOT = 5     /* items[0] does not hold */
} purr_pred_kind;

typedef enum purr_cmp_op {
    PURR_CMP_EQ = 1, /* == */
    PURR_CMP_NE = 2, /* != */
    PURR_CMP_LT = 3, /* < */
    PURR_CMP_LE = 4, /* <= */
    PURR_CMP_GT = 5, /* > */
    PURR_CMP_GE = 6  /* >= */
} purr_cmp_op;

typedef struct purr_pred_spec {
    purr_pred_kind kind;          /* 0: absent (an optional predicate) */
    purr_scene_pos pos;           /* of the predicate's node */
    char *value;                  /* TRUTHY, CMP: the value's name */
    purr_cmp_op op;               /* CMP */
    char *than;                   /* CMP: the literal as written (unquoted) */
    purr_scene_pos than_pos;      /* CMP: of the literal */
    struct purr_pred_spec *items; /* ALL, ANY: the items; NOT: one */
    size_t count;                 /* number of items */
} purr_pred_spec;

/* Expectation kinds. The numbers are fixed. */
typedef enum purr_expect_kind {
    PURR_EXPECT_ALWAYS = 1,     /* pred holds at the end of every instant */
    PURR_EXPECT_NEVER = 2,      /* pred holds at the end of no instant */
    PURR_EXPECT_EVENTUALLY = 3, /* once `after` becomes true, pred within */
    PURR_EXPECT_COUNT = 4       /* transitions of `value` in [min, max] */
} purr_expect_kind;

typedef struct purr_expect_spec {
    purr_expect_kind kind;
    purr_scene_pos pos;  /* of the expectation's mapping */
    purr_pred_spec pred; /* always/never: the predicate; eventually: then */
    purr_pred_spec after; /* eventually: the trigger; kind 0: the start */
    purr_time within_ns;  /* eventually: PURR_TIME_NEVER when absent (the
                             end of the run) */
    char *value;          /* count: the value's name */
    int64_t min, max;     /* count: bounds (0 and INT64_MAX default) */
} purr_expect_spec;

/* The robot panel a scene declares (`view:`, docs/window.md "The robot
 * panel"). The window draws it; the loader checks its form and its names'
 * length, and purr_sim_setup checks that each name is a value of the
 * right type (bool for a lamp and the touch, a number for a gauge and an
 * arrow, a string for mood and say), since behaviours' outputs exist only
 * then. Names are at most PURR_SCENE_VIEW_NAME_MAX bytes and hold no tab
 * or newline; units at most PURR_SCENE_UNIT_MAX bytes. */
#define PURR_SCENE_VIEW_NAME_MAX 63
#define PURR_SCENE_UNIT_MAX 15
#define PURR_SCENE_VIEW_MAX_INDICATORS 16
#define PURR_SCENE_VIEW_MAX_HIGHLIGHT 16

/* A value a panel part names, with where it is named. */
typedef struct purr_scene_ref {
    char *name; /* NULL: none */
    purr_scene_pos pos;
} purr_scene_ref;

/* Indicator kinds. The numbers are fixed. */
typedef enum purr_scene_indicator_kind {
    PURR_SCENE_LAMP = 1,  /* {lamp: NAME}: a bool */
    PURR_SCENE_GAUGE = 2, /* {gauge: NAME, min: A, max: B}: a number */
    PURR_SCENE_TEXT = 3,  /* {text: NAME}: any value */
    PURR_SCENE_ARROW = 4  /* {arrow: NAME}: a heading in degrees, or
                             {arrow: [X, Y]}: a vector */
} purr_scene_indicator_kind;

typedef struct purr_scene_indicator {
    purr_scene_indicator_kind kind;
    purr_scene_pos pos;
    purr_scene_ref value;   /* the bound value (ARROW of a vector: x) */
    purr_scene_ref value_y; /* ARROW of a vector: y; name NULL otherwise */
    double min, max;        /* GAUGE: min < max */
} purr_scene_indicator;

typedef struct purr_scene_view {
    purr_scene_pos pos;
    char *shape; /* "round" (default), "box" or "pet" */
    char *label; /* under the body; NULL: none */
    purr_scene_ref mood, touch, say; /* body: {mood:, touch:, say:} */
    purr_scene_indicator *indicators;
    size_t indicator_count;
    purr_scene_ref *highlight; /* rows drawn first, in order */
    size_t highlight_count;
} purr_scene_view;

/* A loaded scene. Read-only for users; freed with purr_scene_free. */
typedef struct purr_scene {
    char *file; /* path as given to the loader */
    char *text; /* the file's bytes, NUL-terminated: recordings store them
                   (metadata scene_text) so they replay without the file */
    size_t text_len;
    uint64_t hash; /* FNV-1a 64 of the file's bytes: recordings store it
                      as scene_hash ("%016" PRIx64), and replay runs the
                      scene's sensors again only when it is unchanged */
    char *name;
    char **loads;  /* the plug-ins of its `load:` key, in order, each
                      resolved against the scene file's directory (as
                      purr_sim_plugin_load was given it); the loaded
                      plug-ins' canonical paths and hashes are listed by
                      purr_sim_plugin_at */
    size_t load_count;
    uint64_t seed; /* 0 when the scene gives none */
    purr_time duration_ns;
    purr_sensor_spec *sensors;
    size_t sensor_count;
    purr_behaviour_spec *behaviours;
    size_t behaviour_count;
    purr_expect_spec *expects;
    size_t expect_count;
    purr_scene_view *view; /* the `view:` key; NULL when absent */
} purr_scene;

/* The largest scene file purr_scene_load reads (4 MiB): scenes are small
 * text files, so anything larger is a wrong path, not a scene. */
#define PURR_SCENE_MAX_BYTES (4 << 20)

/* Loads the scene file at path. *scene (out) receives a new scene, owned by
 * the caller (purr_scene_free), or NULL on failure. diag may be NULL.
 * Behaviour names are checked against the registry, so register custom
 * behaviours first; the plug-ins the scene's `load:` key names are loaded
 * (purr_sim_plugin_load) before its behaviours are read, and stay loaded
 * even when the scene is refused later. Returns 0.
 * Errors (with diag): PURR_ENOENT (cannot read the file, or a plug-in it
 * loads), PURR_EFORMAT (not a regular file, larger than
 * PURR_SCENE_MAX_BYTES, YAML syntax, unknown or missing key, bad value,
 * unknown model or behaviour, a plug-in that does not load...). A
 * plug-in's error is placed at its `load:` entry. */
PURR_API int purr_scene_load(const char *path, purr_scene **scene /* out */,
                             purr_diag *diag /* out */);

/* As purr_scene_load, from the len bytes at text; file names it in
 * diagnostics, and relative `load:` paths are resolved against its
 * directory (against the working directory when it has none). */
PURR_API int purr_scene_parse(const char *text, size_t len, const char *file,
                              purr_scene **scene /* out */,
                              purr_diag *diag /* out */);

/* As purr_scene_parse, with flags: PURR_SCENE_NO_LOAD parses and resolves
 * the `load:` key (scene->loads) but loads no plug-in: for a scene whose
 * plug-ins the caller has loaded already (replay loads the ones a
 * recording names), and for fuzzing, where arbitrary input must not
 * dlopen arbitrary files. Behaviour names are still checked against the
 * registry. */
#define PURR_SCENE_NO_LOAD 1u
/* PURR_SCENE_ANY_BEHAVIOUR: behaviour names are not checked against the
 * registry, for a caller that reads only the scene's sensors (purr import
 * needs their names and types, not the behaviours' code). Such a scene
 * must not be run: purr_sim_new would refuse its unknown behaviours. */
#define PURR_SCENE_ANY_BEHAVIOUR 2u
PURR_API int purr_scene_parse_flags(const char *text, size_t len,
                                    const char *file, unsigned flags,
                                    purr_scene **scene /* out */,
                                    purr_diag *diag /* out */);

/* As purr_scene_load, with the flags of purr_scene_parse_flags. */
PURR_API int purr_scene_load_flags(const char *path, unsigned flags,
                                   purr_scene **scene /* out */,
                                   purr_diag *diag /* out */);

/* Frees a scene (NULL accepted). */
PURR_API void purr_scene_free(purr_scene *scene);

/* The model's name as scenes spell it ("random_walk"), or "?". */
PURR_API const char *purr_sensor_model_name(purr_sensor_model model);

/* ---------------------------------------------------------------------- */
/* Behaviours                                                              */
/* ---------------------------------------------------------------------- */

/* What a behaviour sees of the simulation: its parameters, the values by
 * name, and storage that lives as long as the run. One context per
 * behaviour in the scene. */
typedef struct purr_sim_ctx purr_sim_ctx;

/* Called before the run, outside any task: look up inputs, create outputs,
 * read parameters, allocate state. Return 0, or a negative code after
 * purr_sim_fail (the scene is then refused as bad input). */
typedef int (*purr_sim_setup_fn)(purr_sim_ctx *ctx);
/* The behaviour itself, run as a task until the scene's duration ends (it
 * is then cancelled). Return 0 or a PURR_E* code (a failure ends the run). */
typedef int (*purr_sim_task_fn)(purr_sim_ctx *ctx);

/* Registers a behaviour under name (copied). The registry is process-wide,
 * like SQLite's auto-extension list: scenes name behaviours, and a name
 * means the same code everywhere in the process. Not thread-safe: register
 * at start-up. Nothing is built in: the stock `purr` registers the
 * example behaviours of its scenes (pet, talk, lazy-pet, reference).
 * Returns 0. Errors: PURR_EEXIST (name taken), PURR_EINVAL (empty name or
 * NULL task_fn), PURR_ENOMEM (more than 64 registrations). */
PURR_API int purr_sim_register(const char *name, purr_sim_setup_fn setup_fn,
                               purr_sim_task_fn task_fn);

/* True when name is registered. */
PURR_API bool purr_sim_is_registered(const char *name);

/* Writes the registered names, ", "-separated in registration order, into
 * buf, snprintf-style. */
PURR_API size_t purr_sim_registered_names(char *buf, size_t cap);

/* ---------------------------------------------------------------------- */
/* Plug-ins                                                                */
/* ---------------------------------------------------------------------- */

/* A plug-in is a shared object holding behaviours, so that the stock purr
 * runs a team's behaviours without being rebuilt (docs/scenes.md,
 * "Plug-ins"). Its source defines a registration function that calls
 * purr_sim_register for each behaviour, and names it once with
 * PURR_BEHAVIOURS:
 *
 *     static int
 *     register_mine(void)
 *     {
 *         return purr_sim_register("blink", blink_setup, blink_task);
 *     }
 *     PURR_BEHAVIOURS(register_mine);
 *
 * The same source also links into an ordinary program, which then calls
 * the registration function itself at start-up. PURR_BEHAVIOURS defines
 * one object with a fixed name (PURR_SIM_PLUGIN_SYMBOL), so it may appear
 * once per plug-in or program: in one translation unit, whose
 * registration function registers everything the plug-in offers.
 *
 * A plug-in takes purr's functions from the program that loads it: it
 * must not link a copy of purr's static libraries, and the program must
 * export them (linked against purr's shared libraries, or with
 * -rdynamic and the whole static libraries; docs/scenes.md). */

/* The version of what a plug-in and purr share: purr_sim_plugin_info's
 * layout and the behaviour API (this header and core.h). A plug-in
 * records the version it was built with; purr loads only its own. */
#define PURR_SIM_ABI_VERSION 1

/* The name of the object PURR_BEHAVIOURS defines. */
#define PURR_SIM_PLUGIN_SYMBOL "purr_sim_plugin_entry"

/* A plug-in's registration function: registers its behaviours, returns 0
 * or the first failed purr_sim_register's code. */
typedef int (*purr_sim_plugin_fn)(void);

/* What PURR_BEHAVIOURS exports. abi_version comes first and stays first
 * in every version, so that purr can refuse a plug-in of another version
 * before reading anything else. */
typedef struct purr_sim_plugin_info {
    int abi_version;                /* PURR_SIM_ABI_VERSION when built */
    purr_sim_plugin_fn register_fn; /* the registration function */
} purr_sim_plugin_info;

/* PURR_BEHAVIOURS's object is exported from a plug-in (compiled
 * position-independent for a shared object, -fPIC, as CMake compiles
 * MODULE libraries) and hidden in a program (compiled -fPIE, today's
 * default, or with PURR_SIM_PROGRAM defined): a program that exports its
 * symbols to host plug-ins must not export its own copy, which would
 * clash with every plug-in's (AddressSanitizer aborts on it as an ODR
 * violation). */
#if defined(__GNUC__) && (defined(__PIE__) || defined(PURR_SIM_PROGRAM))
#define PURR_SIM_PLUGIN_EXPORT_ __attribute__((visibility("hidden")))
#define PURR_SIM_PLUGIN_USED_ __attribute__((used))
#elif defined(__GNUC__)
#define PURR_SIM_PLUGIN_EXPORT_ __attribute__((visibility("default")))
#define PURR_SIM_PLUGIN_USED_ __attribute__((used))
#else
#define PURR_SIM_PLUGIN_EXPORT_
#define PURR_SIM_PLUGIN_USED_
#endif
#ifdef __cplusplus
#define PURR_SIM_PLUGIN_DECL_ extern "C"
#define PURR_SIM_PLUGIN_DEF_ extern "C"
#else
#define PURR_SIM_PLUGIN_DECL_ extern
#define PURR_SIM_PLUGIN_DEF_
#endif

/* Declares fn (int fn(void), declared before the macro; static is fine)
 * as the registration function of this plug-in or program, and records
 * PURR_SIM_ABI_VERSION beside it. Exported from a plug-in even with
 * -fvisibility=hidden; hidden in a program (above). Use it once per
 * plug-in or program (see above). */
#define PURR_BEHAVIOURS(fn)                                                    \
    PURR_SIM_PLUGIN_DECL_ PURR_SIM_PLUGIN_EXPORT_ const purr_sim_plugin_info   \
        purr_sim_plugin_entry;                                                 \
    PURR_SIM_PLUGIN_DEF_ PURR_SIM_PLUGIN_EXPORT_                               \
        PURR_SIM_PLUGIN_USED_ const purr_sim_plugin_info                       \
            purr_sim_plugin_entry = {PURR_SIM_ABI_VERSION, (fn)}

/* A loaded plug-in, as purr_sim_plugin_at lists it. Every pointer is
 * owned by purr and stays valid until the process ends (plug-ins are
 * never unloaded once loaded). */
typedef struct purr_sim_plugin {
    const char *name; /* the file's base name as given, e.g. "libblink.so" */
    const char *path; /* the file's canonical path (realpath) */
    uint64_t hash;    /* FNV-1a 64 of the file's bytes, as scene hashes:
                         print it "%016" PRIx64 to store it */
    const char *const *behaviours; /* the names it registered, in order */
    size_t behaviour_count;
} purr_sim_plugin;

/* Loads the plug-in at path (a file path: never searched for like a
 * library name): dlopen with RTLD_NOW | RTLD_LOCAL, checks its
 * PURR_SIM_ABI_VERSION, and calls its registration function. The
 * behaviours it registers stay registered for the life of the process.
 * Loading a file that is already loaded (the same file, by any path) does
 * nothing and returns 0. A load that fails has done nothing: the
 * behaviours registered before the error are removed again and the
 * library is closed. Not thread-safe, like purr_sim_register.
 * Returns 0. Errors (with diag naming path, one line): PURR_ENOENT (no
 * such file, or it cannot be read), PURR_EFORMAT (not a shared object, or
 * one whose symbols do not resolve; no PURR_BEHAVIOURS; another
 * PURR_SIM_ABI_VERSION; a behaviour name already registered, built in or
 * by another plug-in; no behaviour registered; the registration function
 * failed), PURR_EINVAL (path is NULL). */
PURR_API int purr_sim_plugin_load(const char *path, purr_diag *diag /* out */);

/* Number of plug-ins loaded, in load order. */
PURR_API size_t purr_sim_plugin_count(void);

/* Plug-in i (i < purr_sim_plugin_count()), or NULL beyond. Borrowed: valid
 * until the process ends. */
PURR_API const purr_sim_plugin *purr_sim_plugin_at(size_t i);

/* The value named name (a sensor input or another behaviour's output), or
 * NULL. Borrowed: the simulation owns it. */
PURR_API purr_value *purr_sim_value(purr_sim_ctx *ctx, const char *name);

/* Creates an output value named name with type and initial (copied; may be
 * NULL for the type's zero), owned by the simulation. Returns NULL (after
 * filling the simulation's diag) when the name is taken. Setup only. */
PURR_API purr_value *purr_sim_output(purr_sim_ctx *ctx, const char *name,
                                     purr_type type, const purr_datum *initial);

/* Zeroed storage of size bytes, freed with the simulation. Panics when out
 * of memory. */
PURR_API void *purr_sim_alloc(purr_sim_ctx *ctx, size_t size);

/* The per-behaviour pointer (what setup stored with purr_sim_set_data). */
PURR_API void *purr_sim_data(purr_sim_ctx *ctx);
PURR_API void purr_sim_set_data(purr_sim_ctx *ctx, void *data);

/* Parameters. Each returns 0 and stores the parameter (or dflt when the
 * scene does not give it) in *out; a parameter that does not convert
 * returns PURR_EFORMAT after filling the diag at its position. */
PURR_API int purr_sim_param_double(purr_sim_ctx *ctx, const char *key,
                                   double dflt, double *out /* out */);
PURR_API int purr_sim_param_duration(purr_sim_ctx *ctx, const char *key,
                                     purr_time dflt, purr_time *out /* out */);
/* *out is borrowed from the scene (valid for the run). */
PURR_API int purr_sim_param_string(purr_sim_ctx *ctx, const char *key,
                                   const char *dflt,
                                   const char **out /* out */);

/* Fills the simulation's diag at the behaviour's position in the scene with
 * message (printf-style) and returns PURR_EFORMAT, for setup functions. */
PURR_API int purr_sim_fail(purr_sim_ctx *ctx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ---------------------------------------------------------------------- */
/* Running a scene                                                         */
/* ---------------------------------------------------------------------- */

typedef struct purr_sim purr_sim;

/* Replay's hook on the sensors (purr_sim_options.input): called, in the
 * sensor's task, with every datum a sensor model (or one of its faults)
 * would set on its input value, instead of purr_value_set(input,
 * reading). The hook sets whatever it chooses, or nothing; reading is
 * borrowed for the call. */
typedef void (*purr_sim_input_fn)(purr_value *input,
                                  const purr_datum *reading, void *arg);

/* Options for purr_sim_new. Zero-initialise and set what you need. */
typedef struct purr_sim_options {
    bool has_seed; /* use seed instead of the scene's */
    uint64_t seed;
    purr_time duration_ns; /* > 0: instead of the scene's duration */
    bool shuffle;          /* shuffle runnable batches (core option) */
    uint64_t shuffle_seed;
    purr_pace_fn pace;     /* the virtual clock's pacing hook (a window,
                              a progress bar, a replay's posted inputs);
                              NULL: none. It adds no task: the window and
                              replay set inputs from it only by posting
                              (purr_loop_post), a progress bar changes
                              nothing. */
    void *pace_ctx;        /* passed to pace */
    purr_task_fn feed;     /* replay: when set, the scene's sensors do not
                              run (their input values are still created,
                              with their initial datums) and feed(feed_arg)
                              is spawned as the run's first task, named
                              "purr-replay-feeder", to set the inputs
                              instead (purr_replay_scene, cli.h) */
    void *feed_arg;        /* passed to feed */
    purr_sim_input_fn input; /* replay: when set (and feed is not), the
                              sensors run exactly as without it (same
                              tasks, timers, random draws and faults) but
                              each of their sets goes through
                              input(value, reading, input_arg), which
                              decides what is set (purr_replay_scene's
                              shadow mode, cli.h) */
    void *input_arg;       /* passed to input */
    bool real_time;        /* run on PURR_CLOCK_REAL: sensors and
                              behaviours sleep in real time (pace is then
                              ignored); for short runs against the wall
                              clock, e.g. to record a real-time run */
    bool has_faults_scale; /* use faults_scale instead of 1 */
    double faults_scale;   /* multiplies the rate of every random fault
                              (rate-based dropout, stuck and delay
                              windows; spikes): 2 makes them twice as
                              frequent, 0 turns them off; scripted
                              windows (at/for) are kept. 1 (the default)
                              is exactly the scene's rates. A negative or
                              non-finite scale counts as 1. Recordings
                              store it (metadata faults_scale) */
} purr_sim_options;

/* Creates a simulation of scene (borrowed: it must outlive the sim) on a
 * fresh virtual-clock loop (real-clock with opts->real_time). Nothing is created in the loop yet, so
 * observers (purr_sim_loop) attached now see every value. opts may be
 * NULL. Returns NULL when out of memory. */
PURR_API purr_sim *purr_sim_new(const purr_scene *scene,
                                const purr_sim_options *opts);

/* The simulation's loop, to attach observers to. */
PURR_API purr_loop *purr_sim_loop(purr_sim *sim);

/* Creates the sensors' input values, runs every behaviour's setup and
 * resolves references between them (a battery's docked value). Idempotent
 * once it has succeeded; after a failure the sim can only be freed (later
 * calls return the same error).
 * Returns 0. Errors (with diag): PURR_EFORMAT (a behaviour refused its
 * parameters, a name is taken twice, a battery's docked value does not
 * exist or is not a bool). */
PURR_API int purr_sim_setup(purr_sim *sim, purr_diag *diag /* out */);

/* Runs the scene (calling purr_sim_setup first if needed) from virtual time
 * 0 to the duration, then cancels every sensor and behaviour. Must not be
 * called inside a task, nor twice.
 * Returns 0, or: the setup's error; PURR_EBUSY when it has already run;
 * the first error of a behaviour or sensor task (with diag naming the task
 * and the virtual time). */
PURR_API int purr_sim_run(purr_sim *sim, purr_diag *diag /* out */);

/* Ends the run early: cancels every sensor and behaviour at the current
 * virtual time, as if the duration had been reached there. Callable from a
 * task, an observer or a function posted to the loop (purr_loop_post),
 * e.g. when a window is closed. Expectations are then evaluated up to that
 * time. No effect before or after the run. */
PURR_API void purr_sim_stop(purr_sim *sim);

/* Virtual time at which the run ended (the duration, or earlier after
 * purr_sim_stop or a failure); 0 before the run. */
PURR_API purr_time purr_sim_end_time(const purr_sim *sim);

/* The seed and duration the simulation uses (after options). */
PURR_API uint64_t purr_sim_seed(const purr_sim *sim);
/* The random faults' rate scale the simulation uses (1 by default). */
PURR_API double purr_sim_faults_scale(const purr_sim *sim);
PURR_API purr_time purr_sim_duration(const purr_sim *sim);

/* The value named name, or NULL (borrowed; for tests and tools). */
PURR_API purr_value *purr_sim_find(purr_sim *sim, const char *name);

/* ---------------------------------------------------------------------- */
/* Expectations                                                            */
/* ---------------------------------------------------------------------- */

/* Expectations are checked by an observer on the virtual clock while the
 * scene runs, so they see every transition and add no task and no
 * checkpoint: a scene's transition stream is the same with or without
 * them. Predicates are evaluated on the state at the end of each virtual
 * instant in which a value they read changed (several values set at the
 * same virtual time are one instant), so the order in which tasks run
 * within an instant never makes an expectation pass or fail. */

/* The outcome of one expectation. */
typedef struct purr_expect_result {
    const purr_expect_spec *spec; /* borrowed from the scene */
    bool failed;
    purr_time at_ns;     /* failed: always/never, the first instant it
                            failed; eventually, the window's deadline;
                            count, the transition beyond max or the end */
    purr_time window_ns; /* failed eventually: when its window opened */
    uint64_t count;      /* count: transitions; eventually: windows
                            opened; always/never: instants that failed */
    uint64_t failures;   /* eventually: windows that failed */
    char text[192];      /* the expectation as a line, e.g. "always:
                            battery >= 0" */
    char detail[320];    /* failed: what happened, with the values
                            involved; passed: a short note or "" */
} purr_expect_result;

/* Number of expectations of the scene. */
PURR_API size_t purr_sim_expect_count(const purr_sim *sim);

/* Expectation i's result (borrowed from the sim; i < count). Final once
 * purr_sim_run has returned; during the run it shows the state so far. */
PURR_API const purr_expect_result *purr_sim_expect_result(const purr_sim *sim,
                                                          size_t i);

/* Number of failed expectations (final after purr_sim_run). */
PURR_API size_t purr_sim_expect_failures(const purr_sim *sim);

/* Writes one line per expectation: "PASS  text" or "FAIL  text: detail". */
PURR_API void purr_sim_report(const purr_sim *sim, FILE *out);

/* ---------------------------------------------------------------------- */
/* Determinism                                                             */
/* ---------------------------------------------------------------------- */

/* Where two runs of a scene first differ. The runs are compared instant
 * by instant (an instant: every transition made at one virtual time), the
 * view the expectations take; see purr_sim_compare_runs. */
typedef struct purr_sim_divergence {
    bool differs;
    bool order_only;           /* differs: every value's transitions agree at
                                  at_ns, but not the order they interleave in
                                  (only judged when both runs use the same
                                  schedule) */
    uint64_t transitions;      /* transitions of the instants on which the runs
                                  agree: all of them when the runs agree; else
                                  those before at_ns */
    uint64_t count_a, count_b; /* transitions of each run */
    purr_time at_ns;           /* differs: the first virtual instant at which
                                  the runs differ */
    char value[128];           /* differs: the value that differs there (of
                                  several, the first to transition in the first
                                  run); order_only: the first out of order */
    char a[256], b[256];       /* differs: what each run had for that value at
                                  at_ns (a: the first run). Its state at the
                                  end of the instant, in datum text form, and
                                  its transitions there when there are not
                                  exactly one, as in
                                    "happy"
                                    "b" (2 transitions: "a", then "b")
                                    "sleepy" (no transition)
                                  order_only: the instant's transitions from
                                  the first one out of order, as in
                                    mood = "happy", sound = "purr" */
} purr_sim_divergence;

/* Runs scene twice, with options a and b (either may be NULL), and
 * compares what the behaviours did. The first run's transitions (value
 * name, virtual time and exact payload bytes of every transition, internal
 * values included) are kept; the second run is compared with them each
 * time its virtual clock moves on, and at its end.
 * The runs agree when they have transitions at the same virtual instants
 * and, in each instant, every value has the same sequence of transitions
 * (payload bytes, in order; a value may transition several times in one
 * instant), hence the same state at the end of the instant. Transitions
 * of different values within one instant may come in any order: that
 * order is the scheduler's (which of the tasks woken together runs
 * first), so a run under a shuffled schedule (purr_sim_options.shuffle)
 * agrees with a FIFO run unless some output depends on it, e.g. two tasks
 * woken together both writing one value. When a and b use the same
 * schedule (neither shuffles, or both with the same shuffle_seed) the
 * order within an instant must match as well, so two plain runs must be
 * identical transition by transition (a behaviour reading the wall clock,
 * or anything ordered by address, is caught). Values are told apart by
 * name; values are compared through their transitions only (a value's
 * initial datum is not a transition).
 * Returns 0 (see out->differs). Errors (with diag): those of
 * purr_sim_setup and purr_sim_run for either run (out is then
 * meaningless); PURR_ENOMEM. */
PURR_API int purr_sim_compare_runs(const purr_scene *scene,
                                   const purr_sim_options *a,
                                   const purr_sim_options *b,
                                   purr_sim_divergence *out /* out */,
                                   purr_diag *diag /* out */);

/* Frees every value, the contexts and the loop (NULL accepted). */
PURR_API void purr_sim_free(purr_sim *sim);

#ifdef __cplusplus
}
#endif
#endif /* PURR_SIM_H */
