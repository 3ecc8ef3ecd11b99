/* replay.c - `purr replay FILE.db...`: re-run recordings with their
 * inputs and compare every transition (purr_replay_scene).
 *
 * Parses its own arguments, prints bad input as one line on stderr
 * (purr_diag_format) and returns the exit status.
 *
 * `purr replay` runs several recordings in parallel processes (--jobs N):
 * each child writes its stdout, its stderr and its report into three
 * temporary files, and the parent prints each file's output whole, in the
 * order the files were given, as soon as that file and every file before
 * it are done, so the outputs never interleave and do not depend on which
 * job ends first. */
#include "cli_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* purr replay                                                             */
/* ---------------------------------------------------------------------- */

static const char usage_replay[] =
    "usage: purr replay FILE.db... [--check] [--junit OUT.xml]\n"
    "                   [--record NEW.db [--force]] [--scene SCENE]\n"
    "                   [--load PLUGIN.so] [--jobs N] [-q]\n"
    "                   [--window [--speed X|max]]\n"
    "\n"
    "Re-runs each recording's scene (the copy the recording stores; for\n"
    "older recordings, the file its metadata 'scene' names, from the\n"
    "current directory, then from the recording's), with the plug-ins it\n"
    "was recorded with (from their recorded paths; a plug-in that differs\n"
    "from the recorded one is said as a note), with\n"
    "the recorded seed, shuffle seed and duration, and compares the\n"
    "transitions with the recording, in order: same value, same time, same\n"
    "payload bytes. The recorded inputs drive the replay:\n"
    "\n"
    "- a run of this very scene file on the virtual clock (purr run\n"
    "  --record: metadata clock=virtual, inputs=sensors, scene_hash) is\n"
    "  replayed in shadow mode: the scene's sensors run as they did, each\n"
    "  of their sets takes the recorded datum, inputs set from outside any\n"
    "  task (the window) are posted again where they were, and every\n"
    "  transition, inputs included, is compared. Shuffled schedules\n"
    "  (--shuffle-seed) replay exactly; a sensor setting an input at\n"
    "  another time than the recording is a divergence.\n"
    "- any other recording (an import, a real-time run, a changed scene\n"
    "  file) is replayed in feeder mode: the sensors do not run, one task\n"
    "  sets the recorded inputs at their recorded times, and every other\n"
    "  transition is compared.\n"
    "\n"
    "A recording made on the real clock (purr run --real-time, metadata\n"
    "clock=real) is replayed on the virtual clock too. Real timers fire\n"
    "late by a varying amount, so there each transition's value, payload\n"
    "and order must match exactly, but its replayed time only has to be no\n"
    "later than the recorded one.\n"
    "\n"
    "A recording that holds only inputs (purr import) has nothing to\n"
    "compare: replay it with --record to make a baseline, which later\n"
    "replays are checked against.\n"
    "\n"
    "Every replay also checks the scene's expectations on the replayed\n"
    "run and prints one PASS/FAIL line per expectation after the\n"
    "recording's summary, as 'purr run' does (-q: the FAIL lines only); a\n"
    "failed expectation makes the exit status 1 even when every\n"
    "transition matched. When the replay stopped early (at a divergence,\n"
    "or at the cut of an interrupted recording) a note says up to when\n"
    "they were checked.\n"
    "\n"
    "options:\n"
    "  --check        demand a comparison (the default whenever the\n"
    "                 recording holds outputs); a recording of inputs only\n"
    "                 is then bad input\n"
    "  --junit OUT.xml\n"
    "                 write one JUnit testcase per recording, and one per\n"
    "                 expectation in a second testsuite (whole or not\n"
    "                 at all, through a temporary file beside it); an\n"
    "                 existing OUT.xml that is not XML is replaced only\n"
    "                 with --force\n"
    "  --record NEW.db\n"
    "                 keep the replayed run as a new recording (one\n"
    "                 recording only; an existing NEW.db is replaced only\n"
    "                 with --force, once the replay is complete)\n"
    "  --force        let --record and --junit replace an existing file\n"
    "  --load PLUGIN.so\n"
    "                 load behaviours from this plug-in instead of the\n"
    "                 recorded ones (repeatable)\n"
    "  --scene SCENE  run SCENE instead of the recording's scene\n"
    "  --jobs N       replay N recordings at once, in separate processes\n"
    "                 (default 1); the output stays in file order\n"
    "  -q, --quiet    one line per recording (and its failed expectations),\n"
    "                 without the divergence report\n"
    "  --window       watch the replay in a live window (one recording;\n"
    "                 the window's keys pause, step and change the speed)\n"
    "  --speed X|max  virtual seconds per wall second in the window (1, 10,\n"
    "                 100 or any positive number; default 1)\n"
    "  -h, --help     show this help\n"
    "\n"
    "A recording whose run was killed (it lacks the mark of a clean\n"
    "close) says so first: 'FILE: recording interrupted at HH:MM:SS.mmm:\n"
    "N transitions kept'. The replay runs to that time only and compares\n"
    "the transitions kept; what comes after them is not compared.\n"
    "\n"
    "exit status: 0 every recording replayed identically and its\n"
    "expectations held; 1 one diverged or failed an expectation\n"
    "(a report names the first differing transition, the ten before it\n"
    "and the counts; also within an interrupted recording's kept\n"
    "transitions); 2 bad input (not a recording, a foreign schema or\n"
    "version, a bad field in a table, an input the scene lacks, a missing\n"
    "scene), bad usage, or an output that is one of the files read or an\n"
    "existing file it may not replace; 3 an output (--record, --junit)\n"
    "could not be written (an old file is left as it was); 4 a recording\n"
    "was interrupted and the transitions it kept replayed identically.\n"
    "With several recordings the worst status wins, in the order\n"
    "0 < 4 < 1 < 2 < 3.\n";

/* Prints a usage error as one line and returns the exit status 2. */
static int
replay_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "purr: replay: %s%s%s (see 'purr replay --help')\n", msg,
            arg ? " " : "", arg ? arg : "");
    return 2;
}

typedef struct replay_cli {
    purr_replay_options opts; /* for every file */
    bool quiet;               /* summaries only */
    bool loaded;              /* plug-ins were given with --load: use
                                 them instead of the recorded ones */
    bool window;              /* --window: watch it live */
    double speed;             /* --speed in the window; 0: max */
} replay_cli;

/* The exit status of `purr replay` when a recording was interrupted (its
 * run killed) and the transitions it kept replayed identically: neither 0
 * (most of the run was not checked) nor 1 (nothing diverged). */
#define PURR__EXIT_INTERRUPTED 4

/* Prints the expectations' results of a replay (ex) to out, as `purr run`
 * does (purr_sim_report's lines); quiet: the failures only. When the run
 * ended before the recording's end (a divergence stopped it, or the
 * recording was cut), a note says up to when they were checked, and a
 * failure that early end decided is shown as not judged. */
static void
print_expects(FILE *out, const replay_cli *cli, const purr__replay_expects *ex)
{
    if (!ex->ran || (cli->quiet && ex->failed == 0))
        return;
    char when[32];
    purr_time_format(ex->end_ns, when, sizeof when);
    for (size_t i = 0; i < ex->count; i++) {
        const purr_expect_result *r = &ex->results[i].r;
        if (ex->results[i].unjudged) {
            if (!cli->quiet)
                fprintf(out, "----  %s: not judged: the replay ended at %s, "
                             "before the recording did\n",
                        r->text, when);
        } else if (r->failed) {
            fprintf(out, "FAIL  %s: %s\n", r->text, r->detail);
        } else if (cli->quiet) {
            continue;
        } else if (r->detail[0]) {
            fprintf(out, "PASS  %s (%s)\n", r->text, r->detail);
        } else {
            fprintf(out, "PASS  %s\n", r->text);
        }
    }
    if (ex->count && ex->cut)
        fprintf(out, "  (expectations checked up to %s, where the replay "
                     "ended)\n",
                when);
}

/* Replays the recording at path; writes its summary (and report, and the
 * expectations' results) to out, or its one-line error to err. Fills *rep
 * and *ex. Returns the exit status: a failed expectation is 1, as in
 * `purr run`, whether or not the outputs matched. */
static int
replay_one(const replay_cli *cli, const char *path, FILE *out, FILE *err,
           purr_replay_report *rep, purr__replay_expects *ex)
{
    memset(ex, 0, sizeof *ex);
    purr_recording *rec;
    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    int rc = purr_recording_open(path, &rec, &diag);
    if (rc < 0) {
        memset(rep, 0, sizeof *rep);
        rep->diag = diag;
        snprintf(rep->file, sizeof rep->file, "%s", path);
        rep->outcome = PURR_REPLAY_ERROR;
        fputs("purr: ", err);
        purr_replay_report_summary(err, rep);
        return 2;
    }
    /* A run killed before its first commit kept no transition, and maybe
     * not even its scene: there is nothing to run or compare. */
    if (!purr_recording_is_complete(rec) &&
        purr_recording_transition_count(rec) == 0) {
        memset(rep, 0, sizeof *rep);
        snprintf(rep->file, sizeof rep->file, "%s", path);
        rep->outcome = PURR_REPLAY_INTERRUPTED;
        rep->interrupted = true;
        purr_recording_close(rec);
        purr_replay_report_summary(out, rep);
        return PURR__EXIT_INTERRUPTED;
    }
    /* The plug-ins the recording was made with, unless --load gave others;
     * either way a plug-in that differs from the recorded one is said, as
     * information: the replay then tells whether it matters. */
    if (cli->loaded) {
        purr__cli_note_plugin_changes(rec);
    } else if ((rc = purr__cli_load_recorded(rec, &diag)) < 0) {
        memset(rep, 0, sizeof *rep);
        rep->diag = diag;
        snprintf(rep->file, sizeof rep->file, "%s", path);
        rep->outcome = PURR_REPLAY_ERROR;
        purr_recording_close(rec);
        fputs("purr: ", err);
        purr_replay_report_summary(err, rep);
        return 2;
    }
    rc = cli->window
             ? purr__cli_replay_window(rec, &cli->opts, cli->speed, rep, ex)
             : purr__cli_replay_scene(rec, &cli->opts, rep, ex);
    if (rep->outcome == PURR_REPLAY_ERROR) {
        purr_recording_close(rec);
        purr__replay_expects_free(ex);
        fputs("purr: ", err);
        purr_replay_report_summary(err, rep);
        return rep->output_failed ? 3 : 2;
    }
    purr_replay_report_summary(out, rep);
    print_expects(out, cli, ex);
    purr_recording_close(rec);
    int st = 1;
    if (rc == 0)
        st = 0;
    /* Not 1: in CI a cut recording must not read as a behaviour change. */
    else if (rep->outcome == PURR_REPLAY_INTERRUPTED)
        st = PURR__EXIT_INTERRUPTED;
    else if (!cli->quiet)
        purr_replay_report_print(out, rep);
    /* A failed expectation is a verdict, as in `purr run`. */
    return ex->failed ? 1 : st;
}

/* How bad an exit status is, for the worst of several files: an
 * interrupted recording whose prefix matched is worse than identical and
 * better than a divergence; the others rank by their number (0 < 1 < 2 <
 * 3). */
static int
severity(int status)
{
    return status == PURR__EXIT_INTERRUPTED ? 1 : 2 * status;
}

/* Copies the whole of f (rewound) to out. */
static void
copy_out(FILE *f, FILE *out)
{
    char buf[4096];
    size_t n;
    rewind(f);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, out);
    fflush(out);
}

/* One recording's job in a child process. */
typedef struct job {
    pid_t pid;                /* 0: not started; -1: done */
    FILE *out, *err, *rep;    /* its temporary files */
    int status;               /* its exit status */
} job;

/* Starts job j for path: a child that replays it with stdout, stderr and
 * the report going to three temporary files. Returns 0, or -1 when the
 * files or the process cannot be made. */
static int
job_start(const replay_cli *cli, job *j, const char *path)
{
    if (!(j->out = tmpfile()) || !(j->err = tmpfile()) ||
        !(j->rep = tmpfile()))
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* Whatever the run itself writes (a deadlock report) goes with
         * its file's output too. */
        dup2(fileno(j->out), STDOUT_FILENO);
        dup2(fileno(j->err), STDERR_FILENO);
        purr_replay_report rep;
        purr__replay_expects ex;
        int st = replay_one(cli, path, stdout, stderr, &rep, &ex);
        fflush(stdout);
        fflush(stderr);
        /* The report, then the expectations' results, for the parent's
         * JUnit file. */
        if (fwrite(&rep, sizeof rep, 1, j->rep) != 1 ||
            fwrite(&ex, sizeof ex, 1, j->rep) != 1 ||
            (ex.count && fwrite(ex.results, sizeof *ex.results, ex.count,
                                j->rep) != ex.count) ||
            fflush(j->rep) != 0)
            st = 2;
        _exit(st);
    }
    j->pid = pid;
    return 0;
}

/* Reads the expectations' results the child wrote after its report into
 * *ex. Returns false when they are not whole. */
static bool
read_expects(FILE *f, purr__replay_expects *ex)
{
    if (fread(ex, sizeof *ex, 1, f) != 1) {
        memset(ex, 0, sizeof *ex);
        return false;
    }
    ex->results = NULL;
    if (ex->count == 0)
        return true;
    if (ex->count > 1u << 20 ||
        !(ex->results = calloc(ex->count, sizeof *ex->results)) ||
        fread(ex->results, sizeof *ex->results, ex->count, f) != ex->count) {
        purr__replay_expects_free(ex);
        return false;
    }
    return true;
}

/* Collects the ended job j: its status, report and expectations. */
static void
job_finish(job *j, int wstatus, const char *path, purr_replay_report *rep,
           purr__replay_expects *ex)
{
    j->pid = -1;
    j->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 2;
    rewind(j->rep);
    memset(ex, 0, sizeof *ex);
    if (fread(rep, sizeof *rep, 1, j->rep) != 1 || !read_expects(j->rep, ex)) {
        memset(rep, 0, sizeof *rep);
        snprintf(rep->file, sizeof rep->file, "%s", path);
        rep->outcome = PURR_REPLAY_ERROR;
        purr_diag_set(&rep->diag, path, 0, 0,
                      WIFSIGNALED(wstatus) ? "the replay crashed (signal %d)"
                                           : "the replay ended without a "
                                             "report (status %d)",
                      WIFSIGNALED(wstatus) ? WTERMSIG(wstatus)
                                           : WEXITSTATUS(wstatus));
        fprintf(j->err, "purr: %s: %s\n", path, rep->diag.message);
        j->status = 2;
    }
}

/* Replays n files with up to njobs children at once. Fills reps[i] and
 * status[i]; prints each file's output in file order. */
static void
replay_parallel(const replay_cli *cli, char **files, size_t n, long njobs,
                purr_replay_report *reps, purr__replay_expects *exs,
                int *status)
{
    job *jobs = calloc(n, sizeof *jobs);
    if (!jobs) {
        fprintf(stderr, "purr: replay: out of memory\n");
        exit(2);
    }
    size_t next = 0, printed = 0;
    long running = 0;
    while (printed < n) {
        while (running < njobs && next < n) {
            if (job_start(cli, &jobs[next], files[next]) < 0) {
                fprintf(stderr, "purr: replay: cannot start a job for %s: "
                                "%s\n",
                        files[next], strerror(errno));
                exit(2);
            }
            next++;
            running++;
        }
        int wstatus;
        pid_t pid = waitpid(-1, &wstatus, 0);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0) {
            fprintf(stderr, "purr: replay: waitpid: %s\n", strerror(errno));
            exit(2);
        }
        for (size_t i = 0; i < next; i++)
            if (jobs[i].pid == pid) {
                job_finish(&jobs[i], wstatus, files[i], &reps[i], &exs[i]);
                status[i] = jobs[i].status;
                running--;
            }
        while (printed < n && jobs[printed].pid == -1) {
            job *j = &jobs[printed++];
            copy_out(j->out, stdout);
            copy_out(j->err, stderr);
            fclose(j->out);
            fclose(j->err);
            fclose(j->rep);
        }
    }
    free(jobs);
}

/* Refuses, before any replay, an output (--junit, --record) that is one of
 * the files replay reads (the recordings, --scene, the plug-ins) or the
 * other output, or an existing file the output may not replace
 * (purr_output_check). Returns 0, or prints one line and returns the exit
 * status 2. */
static int
check_outputs(const replay_cli *cli, const char *junit, char **files,
              size_t n, const char *const *loads, size_t nloads)
{
    const char **others = calloc(n + nloads + 2, sizeof *others);
    if (!others)
        return replay_usage("out of memory", NULL);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        others[k++] = files[i];
    for (size_t i = 0; i < nloads; i++)
        others[k++] = loads[i];
    others[k++] = cli->opts.scene_path;
    purr_diag diag = {0};
    int st = 0;
    others[k] = cli->opts.record_path;
    if (junit && purr_output_check(junit, others, k + 1, PURR_OUTPUT_XML,
                                   cli->opts.overwrite, &diag) < 0)
        st = purr__cli_print_diag(&diag);
    others[k] = junit;
    if (st == 0 && cli->opts.record_path &&
        purr_output_check(cli->opts.record_path, others, k + 1,
                          PURR_OUTPUT_RECORDING, cli->opts.overwrite,
                          &diag) < 0)
        st = purr__cli_print_diag(&diag);
    free(others);
    return st;
}

/* Writes the JUnit report to path through a temporary file (purr_output):
 * a testcase per recording, and one per expectation of each replayed
 * scene; a failure is said on stderr, naming path. Returns 0 or PURR_EIO
 * (or PURR_ENOMEM). */
static int
write_junit(const char *path, const purr_replay_report *reps,
            const purr__replay_expects *exs, size_t n)
{
    size_t ncases = 0;
    for (size_t i = 0; i < n; i++)
        ncases += exs[i].count;
    purr_replay_case *cases = calloc(ncases + 1, sizeof *cases);
    if (!cases) {
        fprintf(stderr, "purr: %s: out of memory\n", path);
        return PURR_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t e = 0; e < exs[i].count; e++) {
            const purr_expect_result *r = &exs[i].results[e].r;
            cases[k++] = (purr_replay_case){i, r->text, r->failed,
                                            exs[i].results[e].unjudged,
                                            r->detail};
        }
    purr_output out;
    purr_diag diag = {0};
    int rc = purr_output_open(&out, path, &diag);
    if (rc == 0) {
        /* A failed write shows in the stream's error, which close checks
         * and names. */
        (void)purr_replay_junit_write_cases(out.file, reps, n, cases, k);
        rc = purr_output_close(&out, &diag);
    }
    free(cases);
    if (rc < 0) {
        char line[sizeof diag.file + sizeof diag.message + 64];
        purr_diag_format(&diag, line, sizeof line);
        fprintf(stderr, "purr: %s\n", line);
    }
    return rc;
}

int
purr__cli_replay(int argc, char **argv)
{
    replay_cli cli;
    memset(&cli, 0, sizeof cli);
    cli.speed = 1;
    const char *junit = NULL;
    long njobs = 1;
    const char *loads[64];
    size_t nloads = 0;
    char **files = calloc((size_t)argc + 1, sizeof *files);
    size_t n = 0;
    if (!files)
        return replay_usage("out of memory", NULL);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool takes = strcmp(a, "--load") == 0 || strcmp(a, "--junit") == 0 ||
                     strcmp(a, "--record") == 0 || strcmp(a, "--scene") == 0 ||
                     strcmp(a, "--jobs") == 0;
        /* An empty value ('') names no file: said with its option. */
        if ((takes && i + 1 < argc && !argv[i + 1][0]) || !a[0]) {
            free(files);
            return replay_usage(a[0] ? "an empty argument after"
                                     : "a recording's file name is empty",
                                a[0] ? a : NULL);
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_replay, stdout);
            free(files);
            return 0;
        } else if (strcmp(a, "--window") == 0) {
            cli.window = true;
        } else if (strcmp(a, "--speed") == 0) {
            char *end = NULL;
            const char *v = i + 1 < argc ? argv[++i] : "";
            cli.speed = strcmp(v, "max") == 0 ? 0 : strtod(v, &end);
            if (strcmp(v, "max") != 0 && (!v[0] || *end || !(cli.speed > 0))) {
                free(files);
                return replay_usage("--speed expects a positive number or "
                                    "max, got",
                                    v[0] ? v : "nothing");
            }
        } else if (strcmp(a, "--check") == 0) {
            cli.opts.check = true;
        } else if (strcmp(a, "--load") == 0) {
            if (i + 1 >= argc || nloads == 64) {
                free(files);
                return replay_usage(i + 1 >= argc ? "missing argument after"
                                                  : "more than 64",
                                    a);
            }
            loads[nloads++] = argv[++i];
        } else if (strcmp(a, "--force") == 0) {
            cli.opts.overwrite = true;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            cli.quiet = true;
        } else if (strcmp(a, "--junit") == 0 || strcmp(a, "--record") == 0 ||
                   strcmp(a, "--scene") == 0 || strcmp(a, "--jobs") == 0) {
            if (i + 1 >= argc) {
                free(files);
                return replay_usage("missing argument after", a);
            }
            const char *v = argv[++i];
            if (a[2] == 'j' && a[3] == 'u') {
                junit = v;
            } else if (a[2] == 'r') {
                cli.opts.record_path = v;
            } else if (a[2] == 's') {
                cli.opts.scene_path = v;
            } else {
                char *end;
                njobs = strtol(v, &end, 10);
                if (v[0] < '0' || v[0] > '9' || *end || njobs < 1 ||
                    njobs > 1024) {
                    free(files);
                    return replay_usage("--jobs expects a number from 1 to "
                                        "1024, got",
                                        v);
                }
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            free(files);
            return replay_usage("unknown option", a);
        } else {
            files[n++] = argv[i];
        }
    }
    if (n == 0) {
        free(files);
        return replay_usage("no recording given", NULL);
    }
    if (cli.window && n > 1) {
        free(files);
        return replay_usage("--window watches one replay; give one "
                            "recording, not",
                            "several");
    }
    if (cli.opts.record_path && n > 1) {
        free(files);
        return replay_usage("--record keeps one replayed run; give one "
                            "recording, not",
                            "several");
    }

    if (cli.opts.record_path &&
        purr__cli_check_output(cli.opts.record_path, "--record")) {
        free(files);
        return 2;
    }
    int lst = purr__cli_load(loads, nloads);
    if (lst != 0) {
        free(files);
        return lst;
    }
    cli.loaded = nloads > 0;
    int cst = check_outputs(&cli, junit, files, n, loads, nloads);
    if (cst != 0) {
        free(files);
        return cst;
    }
    purr_replay_report *reps = calloc(n, sizeof *reps);
    purr__replay_expects *exs = calloc(n, sizeof *exs);
    int *status = calloc(n, sizeof *status);
    if (!reps || !exs || !status) {
        free(files);
        free(reps);
        free(exs);
        free(status);
        return replay_usage("out of memory", NULL);
    }
    if (njobs > 1 && n > 1) {
        replay_parallel(&cli, files, n, njobs, reps, exs, status);
    } else {
        for (size_t i = 0; i < n; i++) {
            status[i] = replay_one(&cli, files[i], stdout, stderr, &reps[i],
                                   &exs[i]);
            fflush(stdout);
        }
    }
    int worst = 0;
    for (size_t i = 0; i < n; i++)
        worst = severity(status[i]) > severity(worst) ? status[i] : worst;
    if (junit && write_junit(junit, reps, exs, n) < 0)
        worst = 3; /* a failed write; the worst status wins */
    for (size_t i = 0; i < n; i++)
        purr__replay_expects_free(&exs[i]);
    free(files);
    free(reps);
    free(exs);
    free(status);
    return worst;
}
