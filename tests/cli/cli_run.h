/* cli_run.h - running the purr executable (PURR_BIN) in a child process
 * with limits: a file size limit (a full disk), another user (a directory
 * it may not write), and an alarm, so that a purr that waits forever (a
 * FIFO opened for reading) fails its test instead of hanging it.
 *
 * The command runs as `sh -c 'exec PURR_BIN ARGS'` in dir, with TMPDIR=dir
 * (temporary recordings stay there); stdout and stderr are read back whole
 * (truncated to the buffers). */
#ifndef PURR_CLI_RUN_H
#define PURR_CLI_RUN_H

#include <criterion/criterion.h>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PURR_BIN
#error "cli_run.h needs PURR_BIN, the purr executable's path"
#endif

/* How to run it. */
typedef struct cli_limits {
    long fsize;     /* > 0: RLIMIT_FSIZE in bytes, SIGXFSZ ignored (write
                       fails with EFBIG, as on a full disk) */
    bool as_nobody; /* run as uid/gid 65534 (when the test runs as root) */
} cli_limits;

/* Runs `purr ARGS` in dir with lim (may be NULL). Returns the exit status;
 * out and err receive stdout and stderr. Fails the test when purr does not
 * exit within 60 s or dies of a signal. */
static inline int
cli_run(const char *dir, const cli_limits *lim, const char *args, char *out,
        size_t out_cap, char *err, size_t err_cap)
{
    char cmd[4096], outp[512], errp[512];
    snprintf(cmd, sizeof cmd, "exec '%s' %s", PURR_BIN, args);
    snprintf(outp, sizeof outp, "%s/.out", dir);
    snprintf(errp, sizeof errp, "%s/.err", dir);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (o < 0 || e < 0 || chdir(dir) != 0 || setenv("TMPDIR", dir, 1))
            _exit(126);
        dup2(o, STDOUT_FILENO);
        dup2(e, STDERR_FILENO);
        close(o);
        close(e);
        if (lim && lim->fsize > 0) {
            struct rlimit rl = {(rlim_t)lim->fsize, (rlim_t)lim->fsize};
            signal(SIGXFSZ, SIG_IGN); /* stays ignored across exec */
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
                _exit(126);
        }
        if (lim && lim->as_nobody && getuid() == 0 &&
            (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
             setuid(65534) != 0))
            _exit(126);
        alarm(60); /* survives exec: a purr that hangs dies of SIGALRM */
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ;
    char *bufs[] = {out, err};
    size_t caps[] = {out_cap, err_cap};
    const char *paths[] = {outp, errp};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(paths[i], "r");
        size_t n = f ? fread(bufs[i], 1, caps[i] - 1, f) : 0;
        bufs[i][n] = '\0';
        if (f)
            fclose(f);
    }
    cr_assert(WIFEXITED(status),
              "purr %s: killed by signal %d (a hang ends with SIGALRM, %d)",
              args, WIFSIGNALED(status) ? WTERMSIG(status) : 0, SIGALRM);
    cr_assert_neq(WEXITSTATUS(status), 126, "cannot set up the child");
    return WEXITSTATUS(status);
}

#endif /* PURR_CLI_RUN_H */
