/* fma_fast.c - fma_model.h as "fma_fast" (flags: tests/sim/CMakeLists.txt). */
#define FMA_NAME fma_fast
#include "fma_model.h"
