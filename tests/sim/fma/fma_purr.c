/* fma_purr.c - fma_model.h as "fma_purr" (flags: tests/sim/CMakeLists.txt). */
#define FMA_NAME fma_purr
#include "fma_model.h"
