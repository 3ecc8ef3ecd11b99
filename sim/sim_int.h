/* sim_int.h - private declarations shared by the simulator's files.
 *
 * The simulator is scene.c (the YAML loader), stream.c (per-sensor random
 * streams), sensors.c (one task per sensor model), registry.c (behaviours
 * by name), plugin.c (behaviours from shared objects) and sim.c (building
 * and running a scene). Only sim.h is public.
 */
#ifndef PURR_SIM_INT_H
#define PURR_SIM_INT_H

#include <purr/pmath.h>
#include <purr/sim.h>

#include <stdarg.h>

/* ---------------------------------------------------------------------- */
/* Diagnostics and allocation                                              */
/* ---------------------------------------------------------------------- */

/* As purr_diag_set (core.h), with a va_list. */
void purr__sim_vdiag(purr_diag *diag, const char *file, long line, long column,
                     const char *fmt, va_list ap);

/* malloc/calloc/strdup that panic with the size when memory runs out, as
 * the core does. */
void *purr__sim_calloc(size_t n, size_t size);
void *purr__sim_realloc(void *p, size_t size);
char *purr__sim_strdup(const char *s);

/* The robot panel (scene_view.c): frees a `view:` (NULL accepted), and
 * checks at setup that its names are values of the right types
 * (purr__sim_setup_fail at the name's position). */
void purr__scene_view_free(purr_scene_view *v);
int purr__scene_view_check(purr_sim *sim, const purr_scene_view *v);

/* Frees a predicate's tree (not p itself) and zeroes it. */
void purr__pred_free(purr_pred_spec *p);
/* "==", "<=" ... or "?". */
const char *purr__cmp_op_name(purr_cmp_op op);

/* FNV-1a 64 of len bytes, continuing from hash (start with
 * PURR__FNV_OFFSET): scene and plug-in hashes. */
#define PURR__FNV_OFFSET 0xcbf29ce484222325u
uint64_t purr__fnv1a_bytes(uint64_t hash, const void *bytes, size_t len);


/* "10min"-style durations (times: purr_time_format in core). */
void purr__sim_format_duration(purr_time d, char *buf, size_t cap);

/* Fills the sim's setup diag at pos (the first error wins) and returns
 * PURR_EFORMAT. */
int purr__sim_setup_fail(purr_sim *sim, purr_scene_pos pos, const char *fmt,
                         ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---------------------------------------------------------------------- */
/* Expectations (expect.c)                                                 */
/* ---------------------------------------------------------------------- */

typedef struct purr__checker purr__checker;

/* Binds the scene's expectations to the sim's values and observes loop.
 * *out receives the checker even on failure (free it). Returns 0, or
 * PURR_EFORMAT after purr__sim_setup_fail (an unknown value, a literal
 * that does not convert). */
int purr__checker_new(purr_sim *sim, const purr_scene *scene, purr_loop *loop,
                      purr__checker **out /* out */);
/* Evaluates the last instant and closes the books at end_ns. Idempotent. */
void purr__checker_finish(purr__checker *c, purr_time end_ns);
size_t purr__checker_count(const purr__checker *c);
const purr_expect_result *purr__checker_result(const purr__checker *c,
                                               size_t i);
void purr__checker_free(purr__checker *c);

/* ---------------------------------------------------------------------- */
/* Random streams                                                          */
/* ---------------------------------------------------------------------- */

/* A splitmix64 stream. Each sensor gets its own, seeded from
 * seed ^ FNV-1a(name) ^ salt, so streams never depend on which other
 * sensors exist or in which order they draw (DESIGN: determinism). */
typedef struct purr__stream {
    uint64_t state; /* advanced by every draw */
} purr__stream;

void purr__stream_init(purr__stream *s, uint64_t seed, const char *name,
                       uint64_t salt);
uint64_t purr__stream_next(purr__stream *s);
/* Uniform in [0, 1), 53 random bits. */
double purr__stream_uniform(purr__stream *s);
/* Standard normal (Box-Muller, two uniforms per draw). */
double purr__stream_gaussian(purr__stream *s);
/* FNV-1a 64 of a NUL-terminated string. */
uint64_t purr__fnv1a(const char *s);

/* Salts separating a sensor's streams. */
#define PURR__SALT_MODEL 0
#define PURR__SALT_NOISE 1
/* Fault i of a sensor draws from salt PURR__SALT_FAULTS + i: the
 * (seed, sensor name, "faults") stream of each fault. */
#define PURR__SALT_FAULTS 16

/* ---------------------------------------------------------------------- */
/* Sensors                                                                 */
/* ---------------------------------------------------------------------- */

/* One fault of a running sensor (faults.c). Each has its own stream, so
 * a fault's windows and spikes do not depend on the other faults. */
typedef struct purr__fault {
    const purr_fault_spec *spec; /* borrowed from the scene */
    purr__stream rng;            /* random windows and spike times */
    double rate_per_hour;        /* the spec's rate times the sim's
                                    faults scale: random windows or
                                    spikes per hour; 0: none */
    bool active;                 /* inside its window now */
    purr_time start_ns, end_ns;  /* the current or next window;
                                    PURR_TIME_NEVER: no more */
    purr_time spike_ns;          /* spikes: the next outlier, or NEVER */
    purr_time spike_end_ns;      /* spikes: end of the current outlier */
} purr__fault;

/* An update held back by a delay fault. */
typedef struct purr__delayed {
    purr_time at_ns; /* when it is delivered */
    purr_datum d;    /* owned */
} purr__delayed;

/* One running sensor: its spec, its input value, its streams. */
typedef struct purr__sensor {
    const purr_sensor_spec *spec; /* borrowed from the scene */
    purr_value *value;            /* the input it sets (owned by the sim) */
    purr_value *docked;           /* battery: the charging bool, resolved at
                                     setup */
    purr_time docked_changed_ns;  /* battery: the instant of docked's latest
                                     transition (-1: none yet), kept by
                                     purr__sensor_docked_changed */
    bool docked_before;           /* battery: docked at the end of the
                                     instant before docked_changed_ns, i.e.
                                     before the first transition in it */
    purr__stream model_rng;       /* the model's draws */
    purr__stream noise_rng;       /* the noise option's draws */
    purr__fault *faults;          /* one per spec fault (NULL: none) */
    size_t fault_count;
    purr_datum current;           /* with faults: the model's latest
                                     reading, delivered or not */
    purr__delayed *queue;         /* delayed updates, FIFO ring */
    size_t q_head, q_len, q_cap;
    purr_sim_input_fn input;      /* replay's hook, or NULL: every set of
                                     the sensor goes through
                                     purr__sensor_set, which calls it */
    void *input_arg;              /* passed to input */
} purr__sensor;

/* Sets the sensor's input value to d (borrowed): purr_value_set, or in a
 * replay the hook that substitutes the recorded datum. The one place a
 * sensor sets its value, so that a replay sees every set. */
void purr__sensor_set(purr__sensor *s, const purr_datum *d);

/* Notes a transition of battery s's docked value at_ns from old (its
 * datum before the transition). The sim's observer calls it for every
 * such transition, so that a sample in that instant can read the state
 * that held before it, whichever task ran first. */
void purr__sensor_docked_changed(purr__sensor *s, purr_time at_ns,
                                 const purr_datum *old);

/* Sets up s's faults from its spec (streams from seed; random rates
 * multiplied by faults_scale, purr_sim_options). */
void purr__sensor_faults_init(purr__sensor *s, uint64_t seed,
                              double faults_scale);
void purr__sensor_faults_free(purr__sensor *s);
/* Checkpoint. The sensor's sleep: until deadline (PURR_TIME_NEVER:
 * forever), applying the faults' events that fall before or at it. */
int purr__sensor_sleep_until(purr__sensor *s, purr_time deadline);
/* Delivers the model's reading d (borrowed) through the faults. */
void purr__sensor_emit(purr__sensor *s, const purr_datum *d);

/* The sensor's task (arg: purr__sensor *). Runs until cancelled. */
int purr__sensor_task(void *arg);

/* The model's value at time 0, before any draw (owned by the caller). */
purr_datum purr__sensor_initial(const purr_sensor_spec *spec);

/* ---------------------------------------------------------------------- */
/* Registry                                                                 */
/* ---------------------------------------------------------------------- */

typedef struct purr__behaviour_def {
    const char *name;
    purr_sim_setup_fn setup;
    purr_sim_task_fn task;
} purr__behaviour_def;

/* The registered behaviour named name, or NULL. */
const purr__behaviour_def *purr__sim_lookup(const char *name);

/* Plug-in loads watch the registry (plugin.c): while a watch is set, new
 * registrations are attributed to its owner (a plug-in's canonical path,
 * plugin.c's copy, which outlives the entries), and the first
 * purr_sim_register that fails is kept in it, so that a load can say
 * which name clashed with whose, even when the registration function
 * ignores the code. Registrations are appended in order, so a failed load
 * undoes its own by truncating to the count it started from. */
typedef struct purr__sim_watch {
    const char *owner;       /* set by the loader: attributed to new
                                entries */
    int rc;                  /* set by purr_sim_register: the first
                                failure's code, 0 while none */
    char name[128];          /* its name (truncated) */
    bool clash_builtin;      /* PURR_EEXIST: the name was built in or
                                registered by the program... */
    const char *clash_owner; /* ...or by this plug-in path */
} purr__sim_watch;

/* Starts (w) or ends (NULL) watching registrations. */
void purr__sim_registry_watch(purr__sim_watch *w);
/* Registrations so far (not counting built-ins), and the i-th of them. */
size_t purr__sim_registry_count(void);
const purr__behaviour_def *purr__sim_registry_at(size_t i);
/* Removes the registrations from the count-th on (frees their names). */
void purr__sim_registry_truncate(size_t count);

#endif /* PURR_SIM_INT_H */
