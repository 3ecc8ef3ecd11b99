/* purr/purr.h - umbrella header: everything a behaviour needs. */
#ifndef PURR_PURR_H
#define PURR_PURR_H

#include "purr/core.h"
#include "purr/datum.h"
#include "purr/pmath.h"
#include "purr/value.h"

#endif /* PURR_PURR_H */
