/* across.c - `purr run SCENE --check-determinism --across CMD`: does another
 * build of the same behaviours record the same bits?
 *
 * --check-determinism alone runs the scene twice in one process, which
 * catches behaviours that depend on the schedule, on addresses or on the
 * wall clock, but not a build that rounds differently: an aarch64 build
 * (where GCC contracts a*b + c into a fused multiply-add unless told not
 * to), a build with -ffast-math, a Debug build that reads an uninitialised
 * variable differently. --across runs the scene once with this program and
 * once with CMD, each recording to a file of its own, and compares the two
 * recordings with `purr diff`: every transition, inputs included, same
 * value, same time, same payload bytes.
 *
 * CMD is one string, split into words the way a shell splits a simple
 * command (blanks separate words; '...' and "..." quote; a backslash quotes
 * the next character), with no expansion of any kind, so
 * --across 'qemu-aarch64 -L / ./build-arm64/cli/purr' runs the aarch64
 * build under qemu. It is run with the same arguments this run was given,
 * less --check-determinism and --across, plus --record FILE --headless -q:
 * it must be a purr (or a program built on purr_main) that accepts them,
 * in the same working directory. This program is run again in the same
 * way (/proc/self/exe), so both recordings are made alike. The two runs'
 * timelines are not shown (their exit status and stderr are).
 *
 * Exit status: 0 the recordings are identical; 1 they differ (both are
 * kept, and named); 2 a run could not be made (bad usage, a bad scene, a
 * CMD that does not run), with one line saying which.
 */
#include "cli_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ACROSS_MAX_WORDS 64

/* Splits cmd into at most ACROSS_MAX_WORDS words, shell fashion, into buf
 * (as large as cmd plus one) and words (out, NULL-terminated). Returns the
 * number of words, or -1 with *why set (an unclosed quote, too many
 * words). */
static int
split_command(const char *cmd, char *buf, char **words /* out */,
              const char **why /* out */)
{
    int n = 0;
    const char *p = cmd;
    char *o = buf;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        if (n == ACROSS_MAX_WORDS) {
            *why = "more than 64 words";
            return -1;
        }
        words[n++] = o;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
            if (*p == '\'' || *p == '"') {
                char q = *p++;
                while (*p && *p != q) {
                    if (q == '"' && *p == '\\' && p[1])
                        p++;
                    *o++ = *p++;
                }
                if (!*p) {
                    *why = "unclosed quote";
                    return -1;
                }
                p++;
            } else if (*p == '\\' && p[1]) {
                p++;
                *o++ = *p++;
            } else {
                *o++ = *p++;
            }
        }
        *o++ = '\0';
    }
    words[n] = NULL;
    return n;
}

/* Runs argv (argv[0] looked up in PATH) with stdout on /dev/null and
 * waits for it. Returns its exit status, 128 + the signal that ended it,
 * or -1 when it could not be started (errno). */
static int
run_quietly(char *const *argv)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, STDOUT_FILENO);
        execvp(argv[0], argv);
        fprintf(stderr, "purr: --across: cannot run '%s': %s\n", argv[0],
                strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}

/* Records the run into path with prefix (the command's words, nprefix of
 * them) followed by argv[1..] less --check-determinism and --across CMD,
 * plus --record path --headless -q. Returns the run's exit status (0 or
 * 1 when a recording was made) or 2 after saying why not. */
static int
record_with(char **prefix, int nprefix, int argc, char **argv, char *path,
            const char *who)
{
    char **args = calloc((size_t)(nprefix + argc + 8), sizeof *args);
    if (!args) {
        fprintf(stderr, "purr: --across: out of memory\n");
        return 2;
    }
    /* exec takes char *const[]: writable copies of the literals. */
    char run[] = "run", record[] = "--record", headless[] = "--headless",
         quiet[] = "-q";
    int n = 0;
    for (int i = 0; i < nprefix; i++)
        args[n++] = prefix[i];
    args[n++] = run;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--check-determinism") == 0)
            continue;
        if (strcmp(argv[i], "--across") == 0) {
            i++;
            continue;
        }
        args[n++] = argv[i];
    }
    args[n++] = record;
    args[n++] = path;
    args[n++] = headless;
    args[n++] = quiet;
    args[n] = NULL;
    int st = run_quietly(args);
    free(args);
    if (st < 0) {
        fprintf(stderr, "purr: --across: cannot run %s: %s\n", who,
                strerror(errno));
        return 2;
    }
    if (st > 1 || access(path, F_OK) != 0) {
        fprintf(stderr,
                "purr: --across: %s exited with status %d and recorded "
                "nothing\n",
                who, st);
        return 2;
    }
    return st;
}

int
purr__cli_across(const char *cmd, int argc, char **argv)
{
    char *buf = malloc(strlen(cmd) + 1);
    char *words[ACROSS_MAX_WORDS + 1];
    const char *why = NULL;
    if (!buf) {
        fprintf(stderr, "purr: --across: out of memory\n");
        return 2;
    }
    int nwords = split_command(cmd, buf, words, &why);
    if (nwords <= 0) {
        fprintf(stderr, "purr: --across '%s': %s (see 'purr run --help')\n",
                cmd, nwords < 0 ? why : "no command");
        free(buf);
        return 2;
    }

    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0 || (size_t)len >= sizeof self - 1) {
        fprintf(stderr, "purr: --across: cannot find this program "
                        "(/proc/self/exe)\n");
        free(buf);
        return 2;
    }
    self[len] = '\0';

    const char *tmp = getenv("TMPDIR");
    char dir[4096], here[4200], there[4200];
    snprintf(dir, sizeof dir, "%s/purr-across-XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "purr: --across: cannot make a directory in %s: %s\n",
                tmp && tmp[0] ? tmp : "/tmp", strerror(errno));
        free(buf);
        return 2;
    }
    snprintf(here, sizeof here, "%s/this.db", dir);
    snprintf(there, sizeof there, "%s/across.db", dir);

    char *me[] = {self};
    char who[4200];
    snprintf(who, sizeof who, "'%s'", cmd);
    int status;
    int st_here = record_with(me, 1, argc, argv, here, "this purr");
    int st_there =
        st_here > 1 ? 2 : record_with(words, nwords, argc, argv, there, who);
    if (st_here > 1 || st_there > 1) {
        status = 2;
    } else {
        char verb[] = "diff";
        char *diff_argv[] = {verb, here, there, NULL};
        printf("this purr (%s) against %s:\n", self, who);
        fflush(stdout);
        status = purr__cli_diff(3, diff_argv);
        if (status == 0 && st_here != st_there) {
            printf("but the runs ended differently: exit status %d here, "
                   "%d there\n",
                   st_here, st_there);
            status = 1;
        }
        if (status == 0)
            printf("deterministic across builds\n");
        else if (status == 1)
            printf("NOT deterministic across builds: recordings kept in "
                   "%s\n",
                   dir);
    }
    if (status != 1) {
        remove(here);
        remove(there);
        rmdir(dir);
    }
    free(buf);
    return status;
}
