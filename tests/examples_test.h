/* examples_test.h - the example behaviours of purr's scenes (pet, talk,
 * lazy-pet, reference), registered in every test process.
 *
 * The simulator registers nothing itself; the stock `purr` registers the
 * examples in main(). Criterion runs each test in a fresh worker process
 * whose main() is Criterion's, so a constructor is the one place that runs
 * in all of them. Include this header in one file per test binary.
 */
#ifndef PURR_EXAMPLES_TEST_H
#define PURR_EXAMPLES_TEST_H

#include "examples.h"

#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void
register_examples(void)
{
    int rc = purr_examples_register();
    if (rc < 0) {
        fprintf(stderr, "tests: cannot register the examples: %s\n",
                purr_strerror(rc));
        abort();
    }
}

#endif /* PURR_EXAMPLES_TEST_H */
