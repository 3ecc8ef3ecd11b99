/* stream.c - per-sensor random streams (splitmix64).
 *
 * Every sensor draws from streams of its own, seeded from the scene's seed
 * and the sensor's name (and a salt per purpose), never from a shared
 * generator: adding, removing or reordering sensors leaves every other
 * sensor's draws, and so its transitions, bit for bit the same.
 * splitmix64 is tiny, passes BigCrush, and any 64-bit state is a good seed.
 * The Gaussian's log and cos are purr's own (pmath.h), not the C
 * library's, so a noisy sensor records the same bits on every machine.
 */
#include "sim_int.h"

#include <math.h>

uint64_t
purr__fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3u;
    }
    return h;
}

void
purr__stream_init(purr__stream *s, uint64_t seed, const char *name,
                  uint64_t salt)
{
    s->state = seed ^ purr__fnv1a(name) ^ (salt * 0xd1b54a32d192ed03u);
}

uint64_t
purr__stream_next(purr__stream *s)
{
    uint64_t z = (s->state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

double
purr__stream_uniform(purr__stream *s)
{
    return (double)(purr__stream_next(s) >> 11) * 0x1.0p-53;
}

double
purr__stream_gaussian(purr__stream *s)
{
    /* 1 - u is in (0, 1], so the log is finite. */
    double u1 = 1.0 - purr__stream_uniform(s);
    double u2 = purr__stream_uniform(s);
    return sqrt(-2.0 * purr_math_log(u1)) * purr_math_cos(2.0 * M_PI * u2);
}
