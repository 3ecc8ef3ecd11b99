/* robot.c - purr_robot: registered behaviours on the real clock, recorded.
 *
 * A purr_robot is a purr_sim (sim.h) built from the team's scene with the
 * real_time option and a feed task, plus a recorder (recorder.h) attached
 * before the values exist. The simulator already knows how to run a scene
 * whose sensors do not run (replay's feeder mode): their input values are
 * created with their initial datums and the feed task is spawned first, in
 * the slot replay's feeder takes. The robot puts the program's input task
 * there (called inside input_slot, which keeps the duration, so the slot
 * is taken even without one), which is why a field log replays with the
 * same task order as it ran.
 *
 * Inputs from other threads do not go through purr_value_set_threadsafe:
 * its posts all run in one batch when the loop wakes, so two sets made in
 * quick succession would reach the behaviours together, while the replay
 * sets them at two recorded times, with the behaviours running in between,
 * and a faithful behaviour would then diverge. Instead purr_robot_set
 * appends to the robot's own queue, and one posted function applies the
 * queue's head and posts itself again for the next: posted functions run
 * only when every task is blocked, so each input is applied at a moment of
 * its own, after everything the previous one woke has run. A stop request
 * travels in the same queue, so it comes after the sets queued before it.
 *
 * Invariants: after purr_robot_new the sim's value table no longer
 * changes, so the name lookups purr_robot_set makes on other threads only
 * read it; `draining` is true exactly while an apply_next post is pending
 * or running, and the queue is non-empty whenever one is pending.
 */
#include "cli_int.h"

#include <purr/robot.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* The robot                                                               */
/* ---------------------------------------------------------------------- */

/* A set (or the stop request) waiting for the loop's thread. */
typedef struct pending {
    struct pending *next; /* FIFO link */
    purr_value *value;    /* the input; NULL: the stop request */
    purr_datum datum;     /* owned copy of the caller's datum */
} pending;

/* Where the robot is in its life; purr_robot_set reads it on any thread. */
enum { ROBOT_NEW = 0, ROBOT_RUNNING = 1, ROBOT_ENDED = 2 };

struct purr_robot {
    purr_scene *scene;      /* owned; the sim borrows it */
    purr_sim *sim;          /* owned; owns the loop and the values */
    purr_loop *loop;        /* the sim's loop (PURR_CLOCK_REAL) */
    purr_recorder *rec;     /* owned until the run (or free) closes it;
                               NULL without record_path */
    purr_task_fn inputs;    /* the program's input task, or NULL */
    void *inputs_arg;       /* passed to inputs */
    purr_time duration_ns;  /* the run's length from its start; 0: until
                               stopped */
    atomic_int state;       /* ROBOT_*: set by run on the loop's thread */
    atomic_bool stop_asked; /* purr_robot_stop has queued the stop */
    pthread_mutex_t mu;     /* guards the queue and draining */
    pending *head, *tail;   /* sets waiting for the loop's thread, FIFO */
    bool draining;          /* an apply_next post is pending or running */
    purr_time end_ns;       /* when the run ended (loop time) */
};

/* API misuse: no public panic exists outside core, so this
 * aborts the way core's does, naming the function. */
static _Noreturn void
misuse(const char *func, const char *msg)
{
    fprintf(stderr, "purr: %s: %s\n", func, msg);
    abort();
}

/* Out of memory where the API offers no failure (R6), naming the size. */
static void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "purr: out of memory allocating %zu bytes\n", n * size);
        abort();
    }
    return p;
}

/* The task in the input slot (the first task of the run, where replay's
 * feeder goes): the program's input task, called as a plain function so
 * that the run holds no extra task, inside a cancel scope whose deadline
 * is the robot's duration counted from the start of the run. Without an
 * input task, or once it has returned 0, the slot waits for the deadline;
 * when the deadline comes, the slot stops the run. */
static int
input_slot(void *arg)
{
    purr_robot *r = arg;
    purr_time deadline =
        r->duration_ns > 0 ? purr_now() + r->duration_ns : PURR_TIME_NEVER;
    purr_scope s;
    purr_scope_enter(&s, deadline);
    int rc = r->inputs ? r->inputs(r->inputs_arg) : 0;
    if (rc == 0)
        rc = purr_sleep_until(deadline);
    purr_scope_exit(&s);
    if (rc < 0 && rc != PURR_ECANCELED)
        return rc; /* the input task failed: so does the run */
    /* The deadline, not s.deadline_hit: the sleep's own timer may fire
     * before the scope's. */
    if (deadline != PURR_TIME_NEVER && purr_now() >= deadline)
        purr_sim_stop(r->sim); /* the duration is over: end the run */
    return 0; /* or cancelled from outside: the run is ending */
}

/* Opens the recorder at opts->record_path, attaches it to the robot's loop
 * (before any value exists, so each gets its row) and writes the metadata
 * that makes the recording a replayable field log. Returns 0, or a code
 * with diag set. */
static int
open_recorder(purr_robot *r, const purr_robot_options *opts, purr_diag *diag)
{
    purr_recorder_options ro = {.overwrite = opts->overwrite};
    purr_diag d;
    memset(&d, 0, sizeof d);
    if (!(r->rec = purr_recorder_open(opts->record_path, &ro, &d))) {
        /* The recorder says why in words only; an existing file is the
         * one case the caller can act on, so it gets its own code. */
        if (diag)
            *diag = d;
        return !opts->overwrite && access(opts->record_path, F_OK) == 0
                   ? PURR_EEXIST
                   : PURR_EIO;
    }
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, purr_sim_seed(r->sim));
    /* inputs=robot: neither "sensors" (which would ask replay for shadow
     * mode) nor a replay's; clock=real (written by attach) alone already
     * selects feeder mode and the late_ok time rule. */
    int rc;
    if ((rc = purr_recorder_attach(r->rec, r->loop)) < 0 ||
        (rc = purr__cli_meta_scene(r->rec, r->scene, opts->scene_path)) < 0 ||
        (rc = purr__cli_meta_plugins(r->rec)) < 0 ||
        (rc = purr_recorder_set_meta(r->rec, "seed", seed)) < 0 ||
        (rc = purr_recorder_set_meta(r->rec, "inputs", "robot")) < 0 ||
        (rc = purr_recorder_set_meta(r->rec, "created_by", "purr_robot")) < 0) {
        purr_recorder_close(r->rec, &d);
        r->rec = NULL;
        if (diag)
            *diag = d;
        return rc;
    }
    return 0;
}

int
purr_robot_new(const purr_robot_options *opts, purr_robot **robot,
               purr_diag *diag)
{
    if (!opts || !opts->scene_path || !robot)
        misuse(__func__, "opts, opts->scene_path and robot are required");
    if (opts->duration_ns < 0)
        misuse(__func__, "opts->duration_ns must not be negative");
    *robot = NULL;
    int rc;
    purr_robot *r = xcalloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    atomic_init(&r->state, ROBOT_NEW);
    atomic_init(&r->stop_asked, false);
    r->inputs = opts->inputs;
    r->inputs_arg = opts->inputs_arg;
    r->duration_ns = opts->duration_ns;
    if ((rc = purr_scene_load(opts->scene_path, &r->scene, diag)) < 0)
        goto fail;

    /* The sensors' models do not run: the input task sets the inputs, in
     * the feeder's slot, which also keeps the duration (input_slot). The
     * sim's own deadline counts from the loop's creation, so it is left
     * at "never". */
    purr_sim_options so = {0};
    so.real_time = true;
    so.feed = input_slot;
    so.feed_arg = r;
    so.duration_ns = PURR_TIME_NEVER;
    if (!(r->sim = purr_sim_new(r->scene, &so))) {
        purr_diag_set(diag, opts->scene_path, 0, 0,
                      "cannot create a real-clock loop");
        rc = PURR_ENOMEM;
        goto fail;
    }
    r->loop = purr_sim_loop(r->sim);
    if (opts->record_path && (rc = open_recorder(r, opts, diag)) < 0)
        goto fail;
    if ((rc = purr_sim_setup(r->sim, diag)) < 0)
        goto fail;
    *robot = r;
    return 0;

fail:
    purr_robot_free(r);
    return rc;
}

purr_value *
purr_robot_value(purr_robot *r, const char *name)
{
    return purr_sim_find(r->sim, name);
}

purr_loop *
purr_robot_loop(purr_robot *r)
{
    return r->loop;
}

purr_time
purr_robot_end_time(const purr_robot *r)
{
    return r->end_ns;
}

/* ---------------------------------------------------------------------- */
/* Inputs from other threads                                               */
/* ---------------------------------------------------------------------- */

/* Posted function: applies the queue's head (a set, or the stop), and if
 * more is queued posts itself again, to run at the loop's next idle
 * moment, after the tasks this set wakes. A post that fails (out of
 * memory) leaves draining set and the rest queued: nothing more is
 * applied, and free releases them. */
static void
apply_next(void *arg)
{
    purr_robot *r = arg;
    pthread_mutex_lock(&r->mu);
    pending *p = r->head;
    r->head = p->next;
    if (!r->head)
        r->tail = NULL;
    r->draining = r->head != NULL;
    if (r->draining && purr_loop_post(r->loop, apply_next, r) < 0)
        fprintf(stderr, "purr: robot: cannot queue the next input (out of "
                        "memory); later inputs are dropped\n");
    pthread_mutex_unlock(&r->mu);
    if (p->value)
        purr_value_set(p->value, &p->datum); /* types checked when queued */
    else
        purr_sim_stop(r->sim);
    purr_datum_free(&p->datum);
    free(p);
}

/* Appends p to the queue and, when no apply_next is pending, posts one.
 * Returns 0, or PURR_ENOMEM (p is then freed: nothing was queued). */
static int
enqueue(purr_robot *r, pending *p)
{
    int rc = 0;
    pthread_mutex_lock(&r->mu);
    if (!r->draining && (rc = purr_loop_post(r->loop, apply_next, r)) < 0) {
        pthread_mutex_unlock(&r->mu);
        purr_datum_free(&p->datum);
        free(p);
        return rc == PURR_ECLOSED ? PURR_ECLOSED : PURR_ENOMEM;
    }
    r->draining = true;
    if (r->tail)
        r->tail->next = p;
    else
        r->head = p;
    r->tail = p;
    pthread_mutex_unlock(&r->mu);
    return 0;
}

/* Finds the input name for a set of d. Returns it, or NULL with *rc (out)
 * set to PURR_ENOENT, PURR_EINVAL or PURR_ETYPE. */
static purr_value *
find_input(purr_robot *r, const char *name, purr_type type, int *rc)
{
    purr_value *v = purr_sim_find(r->sim, name);
    if (!v)
        *rc = PURR_ENOENT;
    else if (purr_value_role(v) != PURR_ROLE_INPUT)
        *rc = PURR_EINVAL;
    else if (purr_value_type(v) != PURR_T_NIL && purr_value_type(v) != type)
        *rc = PURR_ETYPE;
    else
        return v;
    return NULL;
}

int
purr_robot_set(purr_robot *r, const char *name, const purr_datum *d)
{
    if (!r || !name || !d)
        misuse(__func__, "robot, name and d are required");
    int rc;
    purr_value *v = find_input(r, name, purr_datum_type(d), &rc);
    if (!v)
        return rc;
    if (atomic_load(&r->state) == ROBOT_ENDED)
        return PURR_ECLOSED;
    if (purr_loop_current() == r->loop) {
        purr_value_set(v, d); /* the loop's own thread: now */
        return 0;
    }
    pending *p = malloc(sizeof *p);
    if (!p)
        return PURR_ENOMEM;
    p->next = NULL;
    p->value = v;
    p->datum = purr_datum_copy(d);
    return enqueue(r, p);
}

/* Posted by purr_robot_stop when its queue entry cannot be allocated. */
static void
stop_now(void *arg)
{
    purr_robot *r = arg;
    purr_sim_stop(r->sim);
}

void
purr_robot_stop(purr_robot *r)
{
    if (!r)
        misuse(__func__, "robot is required");
    if (atomic_load(&r->state) == ROBOT_ENDED ||
        atomic_exchange(&r->stop_asked, true))
        return;
    pending *p = malloc(sizeof *p);
    if (!p) {
        /* Stop has no failure to report: do without the ordering. */
        purr_loop_post(r->loop, stop_now, r);
        return;
    }
    p->next = NULL;
    p->value = NULL;
    p->datum = purr_datum_nil();
    enqueue(r, p);
}

/* ---------------------------------------------------------------------- */
/* The input task's helpers                                                */
/* ---------------------------------------------------------------------- */

/* Panics unless the caller is a task of r's loop. */
static void
check_task(purr_robot *r, const char *func)
{
    if (!purr_task_current() || purr_loop_current() != r->loop)
        misuse(func, "must be called in a task of the robot's loop");
}

/* Posted by purr_robot_settle: the loop is idle. */
static void
settled(void *arg)
{
    purr_event_set(arg);
}

int
purr_robot_settle(purr_robot *r)
{
    check_task(r, __func__);
    purr_event idle;
    purr_event_init(&idle);
    int rc = purr_loop_post(r->loop, settled, &idle);
    if (rc < 0)
        return PURR_ENOMEM;
    /* The post holds a pointer to idle, on this stack: wait for it even
     * when cancelled (it runs at the next idle moment, which comes). */
    purr_scope shield;
    purr_scope_enter(&shield, PURR_TIME_NEVER);
    purr_scope_set_shield(&shield, true);
    rc = purr_event_wait(&idle);
    purr_scope_exit(&shield);
    if (rc < 0)
        return rc;
    return purr_task_is_cancelled() ? PURR_ECANCELED : 0;
}

/* Sets the input named by one line "NAME DATUM" (line points at len bytes,
 * without the '\n'). *changed (out) tells whether it was a transition.
 * Returns 0 (also for a blank or comment line), or PURR_EFORMAT with diag
 * set at "fd N", line lineno. */
static int
set_line(purr_robot *r, int fd, long lineno, const char *line, size_t len,
         bool *changed, purr_diag *diag)
{
    char where[32];
    snprintf(where, sizeof where, "fd %d", fd);
    *changed = false;
    if (len && line[len - 1] == '\r')
        len--;
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == len || line[i] == '#')
        return 0;
    size_t name_at = i;
    while (i < len && line[i] != ' ' && line[i] != '\t')
        i++;
    int name_len = (int)(i - name_at);
    if (i == len) {
        purr_diag_set(diag, where, lineno, 0, "expected NAME DATUM, got '%.*s'",
                      name_len, line + name_at);
        return PURR_EFORMAT;
    }
    char name[128];
    if ((size_t)name_len >= sizeof name) {
        purr_diag_set(diag, where, lineno, 0, "value name too long");
        return PURR_EFORMAT;
    }
    memcpy(name, line + name_at, (size_t)name_len);
    name[name_len] = '\0';
    purr_datum d;
    size_t bad;
    if (purr_datum_parse(line + i, len - i, &d, &bad) < 0) {
        purr_diag_set(diag, where, lineno, (long)(i + bad + 1),
                      "%s: expected a datum (true, 42, 21.5, \"text\"), "
                      "got '%.*s'",
                      name, (int)(len - i - 1), line + i + 1);
        return PURR_EFORMAT;
    }
    purr_value *v = purr_sim_find(r->sim, name);
    /* An int where a double is declared: the log's "80" means 80.0. */
    if (v && purr_value_type(v) == PURR_T_DOUBLE &&
        purr_datum_type(&d) == PURR_T_INT)
        d = purr_datum_double((double)purr_datum_as_int(&d));
    int rc;
    if (!(v = find_input(r, name, purr_datum_type(&d), &rc))) {
        if (rc == PURR_ENOENT)
            purr_diag_set(diag, where, lineno, 0, "unknown value '%s'", name);
        else if (rc == PURR_EINVAL)
            purr_diag_set(diag, where, lineno, 0,
                          "'%s' is not an input (outputs belong to the "
                          "behaviours)",
                          name);
        else {
            char text[64];
            purr_datum_format(&d, text, sizeof text);
            purr_diag_set(
                diag, where, lineno, 0,
                "'%s' is a %s input, got %s "
                "(%s)",
                name,
                purr_type_name(purr_value_type(purr_sim_find(r->sim, name))),
                text, purr_type_name(purr_datum_type(&d)));
        }
        purr_datum_free(&d);
        return PURR_EFORMAT;
    }
    *changed = purr_value_set(v, &d) > 0;
    purr_datum_free(&d);
    return 0;
}

int
purr_robot_read_lines(purr_robot *r, int fd, purr_diag *diag)
{
    check_task(r, __func__);
    char buf[4096];
    size_t len = 0;
    long lineno = 0;
    for (;;) {
        /* Every whole line in the buffer, one input at a time. */
        char *nl;
        size_t used = 0;
        while ((nl = memchr(buf + used, '\n', len - used)) != NULL) {
            bool changed;
            int rc = set_line(r, fd, ++lineno, buf + used,
                              (size_t)(nl - (buf + used)), &changed, diag);
            if (rc < 0 || (changed && (rc = purr_robot_settle(r)) < 0))
                return rc;
            used = (size_t)(nl - buf) + 1;
        }
        memmove(buf, buf + used, len - used);
        len -= used;
        if (len == sizeof buf) {
            char where[32];
            snprintf(where, sizeof where, "fd %d", fd);
            purr_diag_set(diag, where, lineno + 1, 0,
                          "line longer than %zu bytes", sizeof buf - 1);
            return PURR_EFORMAT;
        }
        int rc = purr_fd_wait(fd, PURR_FD_READ);
        if (rc < 0)
            return rc;
        ssize_t got = read(fd, buf + len, sizeof buf - len);
        if (got < 0 &&
            (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue;
        if (got < 0) {
            char where[32];
            snprintf(where, sizeof where, "fd %d", fd);
            purr_diag_set(diag, where, 0, 0, "read: %s", strerror(errno));
            return PURR_ESYS;
        }
        if (got == 0) { /* end of file: a last line without '\n' counts */
            bool changed;
            if (len &&
                (rc = set_line(r, fd, ++lineno, buf, len, &changed, diag)) < 0)
                return rc;
            return 0;
        }
        len += (size_t)got;
    }
}

/* ---------------------------------------------------------------------- */
/* Running                                                                 */
/* ---------------------------------------------------------------------- */

int
purr_robot_run(purr_robot *r, purr_diag *diag)
{
    if (!r)
        misuse(__func__, "robot is required");
    int expected = ROBOT_NEW;
    if (!atomic_compare_exchange_strong(&r->state, &expected, ROBOT_RUNNING)) {
        purr_diag_set(diag, r->scene->file, 0, 0, "the robot has already run");
        return PURR_EBUSY;
    }
    /* With no deadline, no fd wait and no timer, a real-clock loop whose
     * tasks all wait would be a deadlock; the hold keeps it waiting for
     * other threads' sets and stop instead. */
    purr_loop_hold(r->loop);
    purr_diag run_diag;
    memset(&run_diag, 0, sizeof run_diag);
    int rc = purr_sim_run(r->sim, &run_diag);
    purr_loop_unhold(r->loop);
    atomic_store(&r->state, ROBOT_ENDED);
    r->end_ns = purr_sim_end_time(r->sim);
    if (rc < 0 && diag)
        *diag = run_diag;
    if (r->rec) {
        char num[32];
        snprintf(num, sizeof num, "%" PRId64, r->end_ns);
        purr_recorder_set_meta(r->rec, "end_ns", num);
        purr_recorder_set_meta(r->rec, "exit_status", rc < 0 ? "1" : "0");
        purr_diag rdiag;
        memset(&rdiag, 0, sizeof rdiag);
        int rrc = purr_recorder_close(r->rec, &rdiag);
        r->rec = NULL;
        if (rrc < 0 && rc >= 0) {
            if (diag)
                *diag = rdiag;
            rc = rrc;
        }
    }
    return rc < 0 ? rc : 0;
}

void
purr_robot_free(purr_robot *r)
{
    if (!r)
        return;
    purr_recorder_close(r->rec, NULL); /* before the sim frees the loop */
    purr_sim_free(r->sim);             /* frees unapplied posts too */
    purr_scene_free(r->scene);
    for (pending *p = r->head, *next; p; p = next) {
        next = p->next;
        purr_datum_free(&p->datum);
        free(p);
    }
    pthread_mutex_destroy(&r->mu);
    free(r);
}
