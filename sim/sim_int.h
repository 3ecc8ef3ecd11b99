/* sim_int.h - private declarations shared by the simulator's files.
 *
 * The simulator is scene.c (the YAML loader), stream.c (per-sensor random
 * streams), sensors.c (one task per sensor model), registry.c (behaviours
 * by name), sim.c (building and running a scene) and the built-in
 * behaviours in behaviours/. Only sim.h is public.
 */
#ifndef PURR_SIM_INT_H
#define PURR_SIM_INT_H

#include <purr/sim.h>

#include <stdarg.h>

/* ---------------------------------------------------------------------- */
/* Diagnostics and allocation                                              */
/* ---------------------------------------------------------------------- */

/* Fills diag (NULL accepted) with file, position and a printf message. */
void purr__sim_diag(purr_diag *diag, const char *file, long line, long column,
                    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
void purr__sim_vdiag(purr_diag *diag, const char *file, long line, long column,
                     const char *fmt, va_list ap);

/* malloc/calloc/strdup that panic with the size when memory runs out, as
 * the core does (STYLE R6). */
void *purr__sim_calloc(size_t n, size_t size);
void *purr__sim_realloc(void *p, size_t size);
char *purr__sim_strdup(const char *s);

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

/* ---------------------------------------------------------------------- */
/* Sensors                                                                 */
/* ---------------------------------------------------------------------- */

/* One running sensor: its spec, its input value, its streams. */
typedef struct purr__sensor {
    const purr_sensor_spec *spec; /* borrowed from the scene */
    purr_value *value;            /* the input it sets (owned by the sim) */
    purr_value *docked;           /* battery: the charging bool, resolved at
                                     setup */
    purr__stream model_rng;       /* the model's draws */
    purr__stream noise_rng;       /* the noise option's draws */
} purr__sensor;

/* The sensor's task (arg: purr__sensor *). Runs until cancelled. */
int purr__sensor_task(void *arg);

/* The model's value at time 0, before any draw (owned by the caller). */
purr_datum purr__sensor_initial(const purr_sensor_spec *spec);

/* ---------------------------------------------------------------------- */
/* Registry and built-in behaviours                                        */
/* ---------------------------------------------------------------------- */

typedef struct purr__behaviour_def {
    const char *name;
    purr_sim_setup_fn setup;
    purr_sim_task_fn task;
} purr__behaviour_def;

/* The registered behaviour named name, or NULL. */
const purr__behaviour_def *purr__sim_lookup(const char *name);

int purr__pet_setup(purr_sim_ctx *ctx);
int purr__pet_task(purr_sim_ctx *ctx);
int purr__talk_setup(purr_sim_ctx *ctx);
int purr__talk_task(purr_sim_ctx *ctx);

#endif /* PURR_SIM_INT_H */
