/* oracle.h - running an independent implementation (tests/oracles/NAME.mjs,
 * on node, with the npm packages scripts/setup-oracles.sh installs) from a
 * Criterion test. Link the test with purr_oracle (tests/CMakeLists.txt).
 *
 * purr_oracle_run("mcap-read.mjs", "'/tmp/x.mcap'", out, sizeof out)
 * runs `node tests/oracles/mcap-read.mjs /tmp/x.mcap`, captures stdout
 * (truncated to the buffer) and returns the exit status. A missing node
 * or missing packages fail the test, saying how to install them. */
#ifndef PURR_ORACLE_H
#define PURR_ORACLE_H

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#if !defined(PURR_NODE) || !defined(PURR_ORACLES_DIR)
#error "oracle.h needs PURR_NODE and PURR_ORACLES_DIR: link purr_oracle"
#endif

/* Fails the test unless node and the oracle packages are installed. */
static inline void
purr_oracle_require(void)
{
    cr_assert(access(PURR_ORACLES_DIR "/node_modules/@mcap/core", F_OK) == 0,
              "the test oracles are not installed: run "
              "scripts/setup-oracles.sh (needs node and npm)");
    int st = system("'" PURR_NODE "' --version > /dev/null 2>&1");
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "node (%s) does not run: the oracle tests need Node.js",
              PURR_NODE);
}

/* Runs `node PURR_ORACLES_DIR/script args` (args already shell-quoted);
 * stdout goes to out (cap bytes, NUL-terminated), stderr is passed
 * through to the test's log. Returns the exit status. */
static inline int
purr_oracle_run(const char *script, const char *args, char *out, size_t cap)
{
    purr_oracle_require();
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' '%s/%s' %s", PURR_NODE,
             PURR_ORACLES_DIR, script, args);
    FILE *p = popen(cmd, "r");
    cr_assert(p != NULL, "cannot run %s", cmd);
    size_t n = 0;
    if (out && cap > 0) {
        n = fread(out, 1, cap - 1, p);
        out[n] = '\0';
    }
    char sink[4096];
    while (fread(sink, 1, sizeof sink, p) > 0)
        ;
    int st = pclose(p);
    cr_assert(WIFEXITED(st), "the oracle %s did not exit normally", script);
    return WEXITSTATUS(st);
}

#endif /* PURR_ORACLE_H */
