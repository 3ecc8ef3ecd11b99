/* fma_ref.c - fma_model.h as "fma_ref" (flags: tests/sim/CMakeLists.txt). */
#define FMA_NAME fma_ref
#include "fma_model.h"
