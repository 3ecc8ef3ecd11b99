/* purr/core.h - structured concurrency: loop, tasks, nurseries, cancel scopes.
 *
 * The core runs many small tasks (stackful coroutines) on one thread. Tasks
 * are spawned into nurseries, which return only when every child has ended;
 * cancellation is a property of cancel scopes, which live on the caller's
 * stack and are delivered at checkpoints. The same task code runs on a
 * deterministic virtual clock (time jumps to the next deadline when every
 * task is blocked) or on a libuv loop in real time.
 *
 * Conventions used throughout this header:
 * - Errors are negative PURR_E* codes; 0 is success.
 * - Functions documented as "Checkpoint." may block, and return
 *   PURR_ECANCELED when the calling task sits in a cancelled scope. Their
 *   results must be used (PURR_MUST_CHECK); PURR_TRY returns an error from
 *   the enclosing task function.
 * - Time is int64 nanoseconds (purr_time). purr_now() reads the loop's clock,
 *   never the wall clock.
 * - Calling a task-only function outside a task, or exiting scopes out of
 *   order, is a programming error: it aborts with a message naming the
 *   function, the task and the call site.
 */
#ifndef PURR_CORE_H
#define PURR_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(PURR_BUILDING) && defined(__GNUC__)
#define PURR_API __attribute__((visibility("default")))
#else
#define PURR_API
#endif

/* Checkpoints' results must be used. Every function documented as
 * "Checkpoint." carries PURR_MUST_CHECK (GCC and Clang: warn_unused_result;
 * nothing elsewhere), so that ignoring what one returns is a compiler
 * warning, and an error under -Werror. In C a cancellation is a return
 * code: a loop that drops PURR_ECANCELED never ends, where Python's
 * Cancelled would have unwound it. Return the error (PURR_TRY below) or
 * test it; with GCC, a (void) cast does not silence the warning, so code
 * that really means to drop a result says so with `if (f() < 0) {...}`. */
#if defined(__GNUC__) || defined(__clang__)
#define PURR_MUST_CHECK __attribute__((warn_unused_result))
#else
#define PURR_MUST_CHECK
#endif

/* The idiom for a checkpoint (or any purr call returning 0 or a negative
 * PURR_E* code) in a task or nursery body: evaluates expr once and, if it
 * is negative, returns it from the enclosing function, so that a
 * cancellation unwinds the task as Trio's Cancelled unwinds a Python one:
 *
 *     static int blink(void *arg) {
 *         for (;;) {
 *             PURR_TRY(purr_sleep(500 * PURR_MS));
 *             toggle_led(arg);
 *         }
 *     }
 *
 * The enclosing function must return int. A result >= 0 is dropped; keep
 * it with `if ((rc = f()) < 0) return rc;` when it matters. */
#define PURR_TRY(expr)                                                       \
    do {                                                                     \
        int purr_try_rc_ = (expr);                                           \
        if (purr_try_rc_ < 0)                                                \
            return purr_try_rc_;                                             \
    } while (0)

#define PURR_VERSION_MAJOR 0
#define PURR_VERSION_MINOR 1
#define PURR_VERSION_PATCH 0

/* Returns "MAJOR.MINOR.PATCH" of the library actually linked. */
PURR_API const char *purr_version_string(void);

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */
/* ---------------------------------------------------------------------- */

/* name, fixed value, message. The values are purr's own and never change:
 * recordings store them, so they must be the same on every libc and arch. */
#define PURR_ERRNO_MAP(XX)                                                   \
    XX(ECANCELED, -1, "operation cancelled")                                \
    XX(ETIMEDOUT, -2, "timed out")                                          \
    XX(ECLOSED, -3, "resource closed")                                      \
    XX(EBROKEN, -4, "other end closed")                                     \
    XX(EDEADLOCK, -5, "deadlock: every task blocked, nothing scheduled")    \
    XX(EBUSY, -6, "resource busy")                                          \
    XX(ENOMEM, -7, "out of memory")                                         \
    XX(EINVAL, -8, "invalid argument")                                      \
    XX(EAGAIN, -9, "resource temporarily unavailable")                      \
    XX(ENOTSUP, -10, "operation not supported")                             \
    XX(EIO, -11, "input/output error")                                      \
    XX(ENOENT, -12, "no such file or entry")                                \
    XX(EFORMAT, -13, "malformed input")                                     \
    XX(EVERSION, -14, "unsupported version")                                \
    XX(ERANGE, -15, "value out of range")                                   \
    XX(EEXIST, -16, "already exists")                                       \
    XX(EFAILED, -17, "task failed")                                         \
    XX(ETYPE, -18, "wrong type")                                            \
    XX(ESYS, -19, "system error")                                           \
    XX(EDIVERGED, -20, "replay diverged from the recording")               \
    XX(EINTERRUPTED, -21, "recording interrupted: only its prefix replayed")

typedef enum purr_errno {
#define PURR_XX_(name, val, msg) PURR_##name = (val),
    PURR_ERRNO_MAP(PURR_XX_)
#undef PURR_XX_
} purr_errno;

/* Human-readable message for a PURR_E* code (or "unknown error"). */
PURR_API const char *purr_strerror(int err);
/* The code's name, e.g. "PURR_ECANCELED" (or "PURR_E?" for unknown). */
PURR_API const char *purr_err_name(int err);

/* ---------------------------------------------------------------------- */
/* Diagnostics                                                             */
/* ---------------------------------------------------------------------- */

/* A message about bad input: which file, where in it, and what
 * is wrong. Scene files give line and column; recordings give the row
 * (transition seq) as line and 0 as column; 0 means "not applicable". The
 * command-line tools print it as one line and exit with status 2. */
#ifndef PURR_DIAG_DEFINED
#define PURR_DIAG_DEFINED
typedef struct purr_diag {
    char file[256];     /* the file concerned (truncated to fit) */
    long line, column;  /* 1-based position, 0 when not applicable */
    char message[256];  /* one line, no trailing newline */
} purr_diag;
#endif

/* Fills diag (may be NULL: then nothing happens) with file, position and a
 * printf-style message. */
PURR_API void purr_diag_set(purr_diag *diag, const char *file, long line,
                            long column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Writes diag as "FILE:LINE:COLUMN: message" (leaving out the parts that
 * are 0) into buf, snprintf-style: returns the full text's length. */
PURR_API size_t purr_diag_format(const purr_diag *diag, char *buf,
                                 size_t cap);

/* ---------------------------------------------------------------------- */
/* Time                                                                    */
/* ---------------------------------------------------------------------- */

typedef int64_t purr_time;

#define PURR_NS ((purr_time)1)
#define PURR_US ((purr_time)1000)
#define PURR_MS ((purr_time)1000000)
#define PURR_S ((purr_time)1000000000)
/* A deadline that never comes. */
#define PURR_TIME_NEVER INT64_MAX

/* Writes t as "HH:MM:SS.mmm" (hours may exceed 24; truncated to the
 * millisecond) into buf, snprintf-style: returns the full text's length.
 * The one format every purr tool prints virtual times in. */
PURR_API size_t purr_time_format(purr_time t, char *buf, size_t cap);

/* Parses a duration with a unit: a decimal number (digits, optionally a
 * '.' and more digits) followed by one of ns, us, ms, s, min, h, d, e.g.
 * "24h", "90s", "500ms", "1.5min". No sign, no spaces, no bare numbers.
 * *duration (out) receives the exact number of ns (fractions below 1 ns
 * are truncated). Returns 0.
 * Errors: PURR_EFORMAT (not a duration), PURR_ERANGE (beyond int64 ns). */
PURR_API int purr_duration_parse(const char *text,
                                 purr_time *duration /* out */);

/* ---------------------------------------------------------------------- */
/* Loop                                                                    */
/* ---------------------------------------------------------------------- */

typedef struct purr_loop purr_loop;
typedef struct purr_task purr_task;
typedef struct purr_nursery purr_nursery;

typedef enum purr_clock_kind {
    PURR_CLOCK_VIRTUAL = 0, /* deterministic, autojumping */
    PURR_CLOCK_REAL = 1     /* libuv event loop, monotonic real time */
} purr_clock_kind;

/* Pacing hook of the virtual clock: called on the loop thread each time
 * every task is blocked and virtual time is about to jump to next_deadline
 * (PURR_TIME_NEVER when nothing is scheduled). It may block on the wall
 * clock (to run at 1x, 10x...), draw, and post functions (purr_loop_post)
 * that set inputs: those run before time advances, at the current virtual
 * time. A simulator window uses it; headless runs leave it NULL. */
typedef void (*purr_pace_fn)(purr_loop *loop, purr_time next_deadline,
                             void *ctx);

/* Options for purr_loop_new. Zero-initialise and set what you need. */
typedef struct purr_loop_options {
    purr_clock_kind clock;  /* default PURR_CLOCK_VIRTUAL */
    size_t stack_size;      /* default stack for tasks; 0 = PURR_STACK_DEFAULT */
    bool shuffle;           /* shuffle each batch of runnable tasks */
    uint64_t shuffle_seed;  /* seed of that shuffle (used when shuffle) */
    purr_time start_time;   /* virtual clock's initial purr_now() */
    FILE *deadlock_report;  /* where a deadlock is described; NULL = stderr */
    purr_pace_fn pace;      /* virtual clock only; NULL = as fast as possible */
    void *pace_ctx;         /* passed to pace */
} purr_loop_options;

/* 256 KiB: ordinary C code (printf, SQLite, libyaml called from an observer)
 * fits with room to spare. Only touched pages cost memory (one 4 KiB page for
 * an idle task), so a generous reservation is nearly free. */
#define PURR_STACK_DEFAULT ((size_t)256 * 1024)
#define PURR_STACK_MIN ((size_t)16 * 1024)

/* Creates a loop for the calling thread. opts may be NULL (defaults).
 * Returns NULL when out of memory or when the clock cannot be set up. */
PURR_API purr_loop *purr_loop_new(const purr_loop_options *opts);

/* Frees the loop. Returns PURR_EBUSY (and frees nothing) while tasks are
 * alive, else 0. NULL is accepted. */
PURR_API int purr_loop_close(purr_loop *loop);

typedef int (*purr_task_fn)(void *arg);

/* Runs main_fn(arg) as the loop's first task, named name, and returns when it
 * has ended (and with it every task, since all others live in nurseries inside
 * it). Returns main_fn's result, or PURR_EDEADLOCK when every task blocked with
 * nothing scheduled (after printing each blocked task and what it waits for
 * to the loop's deadlock_report stream; the tasks are then cancelled and
 * unwound so the loop can be closed).
 * Must not be called from inside a task. */
PURR_API int purr_run(purr_loop *loop, const char *name, purr_task_fn main_fn,
                      void *arg);

/* The loop running on this thread, or NULL outside purr_run. */
PURR_API purr_loop *purr_loop_current(void);

/* The current time on the loop's clock, in ns. On the virtual clock this is
 * exact and starts at options.start_time; on the real clock it is monotonic
 * time since the loop was created. Must be called inside purr_run. */
PURR_API purr_time purr_now(void);

/* The loop's clock kind. */
PURR_API purr_clock_kind purr_loop_clock(const purr_loop *loop);

/* Number of tasks alive in the loop. */
PURR_API size_t purr_loop_task_count(const purr_loop *loop);

/* Writes every live task, its state and what it is blocked on to out. For
 * people; no stability guarantee on the format. */
PURR_API void purr_loop_dump(const purr_loop *loop, FILE *out);

/* Thread-safe: runs fn(arg) on the loop's thread, outside any task, in the
 * order posted. fn must not block (it may set values, events, ...). On the
 * real clock it wakes the loop (uv_async); on the virtual clock posted
 * functions run when the loop next goes idle, before time advances.
 * Returns 0, PURR_ENOMEM, or PURR_ECLOSED when the loop is being freed. */
typedef void (*purr_post_fn)(void *arg);
PURR_API int purr_loop_post(purr_loop *loop, purr_post_fn fn, void *arg);

/* Keeps a virtual-clock loop from reporting a deadlock while another thread
 * may still post (e.g. a sensor thread). Each hold is released by unhold;
 * while held, an idle loop waits for posts instead of failing. */
PURR_API void purr_loop_hold(purr_loop *loop);
PURR_API void purr_loop_unhold(purr_loop *loop);

/* ---------------------------------------------------------------------- */
/* Tasks                                                                   */
/* ---------------------------------------------------------------------- */

/* The running task, or NULL outside a task. */
PURR_API purr_task *purr_task_current(void);
/* The task's name (borrowed, valid while the task lives). */
PURR_API const char *purr_task_name(const purr_task *task);
/* The task's id: 1 for the main task, then in spawn order. Stable across
 * runs (it is what recordings store). */
PURR_API uint64_t purr_task_id(const purr_task *task);

/* Checkpoint. Yields to the other runnable tasks (the caller runs again after
 * them). Returns 0, or PURR_ECANCELED in a cancelled scope. */
PURR_API PURR_MUST_CHECK int purr_checkpoint(void);

/* Checkpoint. Sleeps for duration ns (<= 0: just a checkpoint).
 * Errors: PURR_ECANCELED. */
PURR_API PURR_MUST_CHECK int purr_sleep(purr_time duration);

/* Checkpoint. Sleeps until purr_now() >= deadline. Errors: PURR_ECANCELED. */
PURR_API PURR_MUST_CHECK int purr_sleep_until(purr_time deadline);

/* Checkpoint. Blocks forever (until cancelled): returns PURR_ECANCELED. */
PURR_API PURR_MUST_CHECK int purr_sleep_forever(void);

/* Checkpoint (real clock only). Waits until fd is readable (PURR_FD_READ)
 * and/or writable (PURR_FD_WRITE). Returns the ready mask (> 0).
 * Errors: PURR_ECANCELED; PURR_ENOTSUP on the virtual clock (no fd
 * readiness exists in virtual time); PURR_ESYS if libuv refuses the fd. */
#define PURR_FD_READ 1
#define PURR_FD_WRITE 2
PURR_API PURR_MUST_CHECK int purr_fd_wait(int fd, int events);

/* ---------------------------------------------------------------------- */
/* Cancel scopes                                                           */
/* ---------------------------------------------------------------------- */

/* A cancel scope: caller-owned, entered and exited in LIFO order by one task.
 * A scope is cancelled by purr_scope_cancel or when its deadline passes; all
 * checkpoints inside it (including in child tasks of nurseries opened inside
 * it) then return PURR_ECANCELED, until the scope is exited. A shielded
 * scope hides the cancellation of enclosing scopes from what runs in it.
 *
 * Life cycle (Trio's CancelScope). A scope is either made and entered in one
 * step (purr_scope_enter, purr_move_on_after, purr_fail_after: Trio's
 * `with CancelScope(deadline=...)`, `with move_on_after(...)`), or made
 * first with purr_scope_init and entered later with purr_scope_enter_init
 * (Trio's `scope = CancelScope(); ...; with scope:`). A scope made by
 * purr_scope_init can be handed to other tasks or kept in a struct before it
 * is entered; it may be cancelled, have its deadline moved or its shield set
 * before entry, while entered and after exit:
 * - cancelled before entry: it is cancelled the moment it is entered (every
 *   checkpoint inside returns PURR_ECANCELED at once);
 * - a deadline already passed at entry cancels it at entry;
 * - cancelling after exit only sets cancel_called (nothing is left inside);
 * - it is entered once: entering it again, even after exit, is misuse (Trio:
 *   "each CancelScope may only be used for a single 'with' block").
 * The storage of a scope made by purr_scope_enter may be reused for a new
 * scope after exit (each enter makes a fresh one). Using a scope that was
 * neither initialised nor entered (e.g. cancelling a zeroed struct) is
 * misuse and aborts with a message saying so. */
typedef struct purr_scope purr_scope;

/* Private: a timer in the loop's heap, embedded in scopes and tasks. */
typedef struct purr__timer purr__timer;
struct purr__timer {
    purr_time deadline_ns;          /* when it fires */
    uint64_t seq;                   /* tie-break: arming order */
    size_t slot;                    /* in the loop's timer table; SIZE_MAX: idle */
    void (*fire)(purr__timer *t);   /* called on the loop thread */
};

struct purr_scope {
    /* public: */
    void *data;                 /* for the user */
    /* read-only: */
    purr_time deadline_ns;      /* absolute; PURR_TIME_NEVER for none */
    bool cancel_called;         /* cancelled (explicitly or by deadline);
                                   see also purr_scope_cancel_called */
    bool cancelled_caught;      /* a checkpoint inside failed because of
                                   this scope (Trio: cancelled_caught) */
    bool shield;                /* set with purr_scope_set_shield */
    bool fail_on_deadline;      /* purr_fail_after: exit returns ETIMEDOUT */
    bool deadline_hit;          /* the deadline cancelled the scope */
    /* private: */
    uint32_t state_;            /* life-cycle stage (a magic number) */
    purr_time relative_ns_;     /* timeout counted from entry, or NEVER */
    const char *enter_file_;    /* where purr_scope_enter_init entered it */
    int enter_line_;
    purr_scope *parent;         /* enclosing scope (maybe of another task) */
    purr_task *owner;           /* task that entered it */
    purr_scope *first_child_, *last_child_;  /* scopes entered inside */
    purr_scope *prev_sibling_, *next_sibling_;
    purr_task *first_task_, *last_task_;     /* tasks whose innermost it is */
    purr__timer timer_;         /* deadline timer (armed when finite) */
    uint32_t depth_;            /* nesting depth in the owner task */
};

/* Makes s a new scope, not entered (Trio: CancelScope(deadline=deadline,
 * shield=shield)). deadline: absolute ns, PURR_TIME_NEVER for none; it may
 * already have passed (the scope is then cancelled at entry). Not a
 * checkpoint; needs no task or loop. s->data is kept. */
PURR_API void purr_scope_init(purr_scope *s, purr_time deadline, bool shield);

/* As purr_scope_init, with a relative deadline (Trio: CancelScope(
 * relative_deadline=duration)): the timeout starts counting when the scope
 * is entered, whose deadline is then now + duration. duration >= 0 (a
 * negative one is misuse, as Trio's ValueError). */
PURR_API void purr_scope_init_after(purr_scope *s, purr_time duration,
                                    bool shield);

/* Enters s, made by purr_scope_init, in the calling task (Trio: `with
 * scope:`). If s was cancelled before, or its deadline has passed, it is
 * cancelled from now on. Entering a scope twice (even after it was exited),
 * or one that was never initialised, is misuse: it aborts with a message
 * naming the scope (the argument's text), this call site and where it was
 * first entered. Not a checkpoint. */
#define purr_scope_enter_init(s)                                             \
    purr__scope_enter_init((s), #s, __FILE__, __LINE__)
PURR_API void purr__scope_enter_init(purr_scope *s, const char *what,
                                     const char *file, int line);

/* Makes s a new scope and enters it with an absolute deadline
 * (PURR_TIME_NEVER for none): purr_scope_init and purr_scope_enter_init in
 * one step. Must be called in a task; s is caller storage (which may hold a
 * scope exited before: it is overwritten, keeping s->data), exited by the
 * same task. Entering storage whose scope is still entered is misuse. */
PURR_API void purr_scope_enter(purr_scope *s, purr_time deadline);

/* Exits s, which must be the task's innermost scope. Returns 0; or
 * PURR_ETIMEDOUT if s was entered with purr_fail_after and its deadline
 * cancelled it; s->cancelled_caught tells whether a checkpoint inside failed
 * because of s itself. */
PURR_API int purr_scope_exit(purr_scope *s);

/* Cancels s (idempotent): before entry (s is then cancelled when entered),
 * while entered (tasks blocked inside it wake with PURR_ECANCELED) or after
 * exit (only cancel_called changes), as Trio's cancel(). Not a checkpoint;
 * may be called from any task or a posted function (and, for a scope not
 * entered, outside purr_run). */
PURR_API void purr_scope_cancel(purr_scope *s);

/* Trio's cancel_called: true once s was cancelled, explicitly or by its
 * deadline. Unlike the field, it is also true for a scope not yet entered
 * whose absolute deadline has already passed (read inside purr_run). */
PURR_API bool purr_scope_cancel_called(const purr_scope *s);

/* Moves s's deadline (absolute ns; PURR_TIME_NEVER removes it), before
 * entry, while entered (earlier: it may cancel s now; later: it re-arms)
 * or after exit (stored only), as Trio's `scope.deadline = ...`. On a scope
 * made with a relative deadline and not yet entered, setting a finite
 * absolute one is misuse (Trio raises RuntimeError). */
PURR_API void purr_scope_set_deadline(purr_scope *s, purr_time deadline);

/* Trio's relative_deadline. Entered (or exited): ns left until the deadline
 * (deadline - now, negative once passed; PURR_TIME_NEVER for none). Not yet
 * entered: the relative deadline given to purr_scope_init_after or set
 * below (PURR_TIME_NEVER for none); reading it on an unentered scope that
 * has a finite absolute deadline is misuse (Trio raises RuntimeError). */
PURR_API purr_time purr_scope_relative_deadline(const purr_scope *s);

/* Sets Trio's relative_deadline: entered, the deadline becomes now +
 * duration (moving it earlier or later); not yet entered, the timeout that
 * starts counting at entry (misuse if s has a finite absolute deadline);
 * exited, stored only. duration >= 0 (PURR_TIME_NEVER: none). */
PURR_API void purr_scope_set_relative_deadline(purr_scope *s,
                                               purr_time duration);

/* Shields (or unshields) s from enclosing cancellation, before entry or
 * while entered (Trio's `scope.shield = ...`): unshielding an entered scope
 * under a cancelled one wakes the tasks blocked in it with PURR_ECANCELED;
 * shielding it makes later checkpoints pass again. */
PURR_API void purr_scope_set_shield(purr_scope *s, bool shield);

/* True when a checkpoint in the current task would return PURR_ECANCELED. */
PURR_API bool purr_task_is_cancelled(void);

/* move_on_after: enter s with a deadline of now + duration. */
PURR_API void purr_move_on_after(purr_scope *s, purr_time duration);
/* fail_after: as move_on_after, but exit returns PURR_ETIMEDOUT when the
 * deadline cancelled the scope. */
PURR_API void purr_fail_after(purr_scope *s, purr_time duration);

/* ---------------------------------------------------------------------- */
/* Nurseries                                                               */
/* ---------------------------------------------------------------------- */

typedef int (*purr_nursery_fn)(purr_nursery *n, void *arg);

/* One error of a nursery's child (or body). */
typedef struct purr_task_error {
    int code;              /* PURR_E* or the task's own negative code */
    uint64_t task_id;      /* purr_task_id of the failed task */
    char name[40];         /* its name, truncated */
} purr_task_error;

#define PURR_NURSERY_MAX_REPORTED 16
/* What a nursery saw fail: every error counted, the first 16 kept. */
typedef struct purr_nursery_report {
    size_t count;                                   /* errors seen */
    purr_task_error errors[PURR_NURSERY_MAX_REPORTED]; /* in order seen */
} purr_nursery_report;

/* Checkpoint (when it has children to wait for). Opens a nursery in the
 * current task and runs body(n, arg) in it; body spawns children. Returns
 * when body and every child have ended.
 * Returns: 0, or the first error: a body or child that returns a negative
 * code cancels the nursery (body and all siblings) and that code is
 * returned. PURR_ECANCELED from a child is not counted as an error when the
 * nursery itself was cancelled (it is the expected unwinding).
 * report may be NULL; else it receives every error. */
PURR_API PURR_MUST_CHECK int purr_nursery_run(purr_nursery_fn body, void *arg);
PURR_API PURR_MUST_CHECK int purr_nursery_run_report(purr_nursery_fn body, void *arg,
                                     purr_nursery_report *report /* out */);

/* Per-spawn options. Zero = defaults. */
typedef struct purr_spawn_options {
    size_t stack_size;   /* 0 = the loop's default */
} purr_spawn_options;

/* Spawns fn(arg) as a child of n, queued to run after the tasks already
 * runnable (start_soon). name is copied (a string literal, which lives as
 * long as the program, is kept by pointer instead). Not a checkpoint.
 * Returns 0; PURR_ENOMEM when no stack could be had; PURR_ECLOSED when n
 * has already finished. Use the purr_spawn macro, which records the spawn
 * site for diagnostics. */
PURR_API int purr__spawn(purr_nursery *n, const char *name, purr_task_fn fn,
                         void *arg, const purr_spawn_options *opts,
                         const char *file, int line, int name_is_literal);
/* Whether name is a string literal: then the task keeps the pointer and
 * spawning copies nothing. */
#if defined(__GNUC__) || defined(__clang__)
#define PURR__LITERAL(name) __builtin_constant_p(name)
#else
#define PURR__LITERAL(name) 0
#endif
#define purr_spawn(n, name, fn, arg)                                         \
    purr__spawn((n), (name), (fn), (arg), NULL, __FILE__, __LINE__,          \
                PURR__LITERAL(name))
#define purr_spawn_ex(n, name, fn, arg, opts)                                \
    purr__spawn((n), (name), (fn), (arg), (opts), __FILE__, __LINE__,        \
                PURR__LITERAL(name))

/* Checkpoint. Trio's nursery.start: spawns fn(arg) in n and waits until the
 * child calls purr_started(value); returns 0 and stores that value in
 * *value (may be NULL). Until it calls purr_started, the child's failure is
 * the caller's: purr_start returns the child's code (or PURR_EFAILED if it
 * returned 0 without calling purr_started) and n is not cancelled.
 * Errors: PURR_ECANCELED (the child is then cancelled too), PURR_ENOMEM. */
PURR_API PURR_MUST_CHECK int purr__start(purr_nursery *n, const char *name, purr_task_fn fn,
                         void *arg, void **value, const char *file, int line);
#define purr_start(n, name, fn, arg, value)                                  \
    purr__start((n), (name), (fn), (arg), (value), __FILE__, __LINE__)

/* Called by a task started with purr_start: hands value to the starter.
 * Calling it in a task not started with purr_start, or twice, is misuse. */
PURR_API void purr_started(void *value);

/* Cancels the nursery: its body and every child. */
PURR_API void purr_nursery_cancel(purr_nursery *n);

/* The nursery's own cancel scope (to read, or to move its deadline). */
PURR_API purr_scope *purr_nursery_scope(purr_nursery *n);

/* The nursery the current task was spawned in (NULL for the main task). */
PURR_API purr_nursery *purr_task_nursery(const purr_task *task);

/* ---------------------------------------------------------------------- */
/* Synchronisation: event, lock, semaphore                                 */
/* ---------------------------------------------------------------------- */

/* Wait queue storage used by the caller-owned primitives. */
typedef struct purr_waitq {
    void *head_, *tail_;
} purr_waitq;

/* A one-shot event (Trio's Event): set once, waiters wake, stays set. */
typedef struct purr_event {
    /* read-only: */
    bool is_set;
    /* private: */
    purr_waitq waiters_;
} purr_event;

PURR_API void purr_event_init(purr_event *ev);
/* Sets the event and wakes every waiter (in the order they began waiting).
 * Not a checkpoint. */
PURR_API void purr_event_set(purr_event *ev);
/* Checkpoint. Waits until the event is set. Errors: PURR_ECANCELED. */
PURR_API PURR_MUST_CHECK int purr_event_wait(purr_event *ev);
PURR_API bool purr_event_is_set(const purr_event *ev);

/* A counting semaphore; FIFO-fair. */
typedef struct purr_semaphore {
    /* read-only: */
    int64_t value;
    /* private: */
    purr_waitq waiters_;
} purr_semaphore;

PURR_API void purr_semaphore_init(purr_semaphore *sem, int64_t initial);
/* Checkpoint. Decrements, waiting while the value is 0.
 * Errors: PURR_ECANCELED. */
PURR_API PURR_MUST_CHECK int purr_semaphore_acquire(purr_semaphore *sem);
/* Increments (waking the first waiter). Not a checkpoint. */
PURR_API void purr_semaphore_release(purr_semaphore *sem);

/* A mutual-exclusion lock owned by a task; FIFO-fair (ownership passes to
 * the first waiter on release). Releasing a lock you do not hold is misuse. */
typedef struct purr_lock {
    /* read-only: */
    purr_task *owner;
    /* private: */
    purr_waitq waiters_;
} purr_lock;

PURR_API void purr_lock_init(purr_lock *lock);
/* Checkpoint. Errors: PURR_ECANCELED. Re-acquiring a held lock is misuse. */
PURR_API PURR_MUST_CHECK int purr_lock_acquire(purr_lock *lock);
PURR_API void purr_lock_release(purr_lock *lock);

/* ---------------------------------------------------------------------- */
/* Memory channels (Trio's open_memory_channel)                           */
/* ---------------------------------------------------------------------- */

/* A channel carries fixed-size items by copy, FIFO. Each end may be cloned;
 * the channel closes for receivers when the last send handle is closed
 * (receivers drain the buffer, then get PURR_ECLOSED... as Trio's
 * EndOfChannel), and senders get PURR_EBROKEN once every receive handle is
 * closed. Using a handle after closing it returns PURR_ECLOSED, and tasks
 * parked in a send or receive on a handle wake with PURR_ECLOSED when that
 * handle is closed, as Trio's ClosedResourceError (misuse aside, handles are
 * freed only when both ends are fully closed). */
typedef struct purr_chan_tx purr_chan_tx;
typedef struct purr_chan_rx purr_chan_rx;

/* capacity 0 is a rendezvous (send waits for a receiver), as Trio's
 * default; PURR_CHAN_UNBOUNDED never blocks a sender. */
#define PURR_CHAN_UNBOUNDED SIZE_MAX

/* Opens a channel of items of item_size bytes. Returns 0 and both ends in
 * *tx and *rx, or PURR_ENOMEM / PURR_EINVAL (item_size 0). */
PURR_API int purr_chan_open(size_t item_size, size_t capacity,
                            purr_chan_tx **tx /* out */,
                            purr_chan_rx **rx /* out */);
/* New handles to the same channel. Return NULL when the handle is closed. */
PURR_API purr_chan_tx *purr_chan_tx_clone(purr_chan_tx *tx);
PURR_API purr_chan_rx *purr_chan_rx_clone(purr_chan_rx *rx);
/* Closes a handle (NULL accepted); frees the channel after the last one. */
PURR_API void purr_chan_tx_close(purr_chan_tx *tx);
PURR_API void purr_chan_rx_close(purr_chan_rx *rx);

/* Checkpoint. Copies item into the channel, waiting for room (or for a
 * receiver, at capacity 0). Errors: PURR_ECANCELED (nothing sent),
 * PURR_EBROKEN (no receivers left), PURR_ECLOSED (this handle closed). */
PURR_API PURR_MUST_CHECK int purr_chan_send(purr_chan_tx *tx, const void *item);
/* Not a checkpoint: sends only if it can without waiting.
 * Errors: PURR_EAGAIN (would block), PURR_EBROKEN, PURR_ECLOSED. */
PURR_API int purr_chan_try_send(purr_chan_tx *tx, const void *item);
/* Checkpoint. Copies the next item into *item, waiting for one.
 * Errors: PURR_ECANCELED, PURR_ECLOSED (all senders closed and the buffer is
 * drained, or this handle closed). */
PURR_API PURR_MUST_CHECK int purr_chan_recv(purr_chan_rx *rx, void *item /* out */);
/* Not a checkpoint. Errors: PURR_EAGAIN, PURR_ECLOSED. */
PURR_API int purr_chan_try_recv(purr_chan_rx *rx, void *item /* out */);
/* Items currently buffered. */
PURR_API size_t purr_chan_len(const purr_chan_rx *rx);

/* ---------------------------------------------------------------------- */
/* Observer                                                                */
/* ---------------------------------------------------------------------- */

/* Event kinds. The numbers are fixed: recordings store them. */
typedef enum purr_event_kind {
    PURR_EV_TASK_SPAWNED = 1,   /* task created in a nursery */
    PURR_EV_TASK_STARTED = 2,   /* task ran for the first time */
    PURR_EV_TASK_BLOCKED = 3,   /* task parked; detail says on what */
    PURR_EV_TASK_WOKEN = 4,     /* task made runnable; status = wake code */
    PURR_EV_TASK_CANCELLED = 5, /* a checkpoint returned PURR_ECANCELED */
    PURR_EV_TASK_ENDED = 6,     /* task returned; status = its result */
    PURR_EV_VALUE_CREATED = 16, /* a value was created (value.h) */
    PURR_EV_VALUE_SET = 17,     /* a value's transition (value.h) */
    PURR_EV_VALUE_CLOSED = 18   /* a value was closed (value.h) */
} purr_event_kind;

/* Masks for purr_loop_observe. */
#define PURR_EV_TASK 0x0000ffffu
#define PURR_EV_VALUE 0xffff0000u
#define PURR_EV_BIT(kind) (1u << (kind))

struct purr_datum;
struct purr_value;

/* What an observer receives. All pointers are borrowed for the duration of
 * the callback. */
typedef struct purr_trace {
    purr_event_kind kind;
    purr_time time_ns;            /* virtual (or loop) time of the event */
    uint64_t seq;                 /* per-loop sequence number of the event */
    purr_task *task;              /* task concerned (or setting task) */
    uint64_t task_id;             /* its id (0: none, e.g. a posted set) */
    purr_nursery *nursery;        /* the task's parent nursery, or NULL */
    uint64_t parent_task_id;      /* id of the task owning that nursery */
    int status;                   /* ENDED: result; WOKEN: wake code */
    const char *detail;           /* BLOCKED: what the task waits for */
    struct purr_value *value;     /* VALUE_*: the value */
    const struct purr_datum *old_value; /* VALUE_SET: before */
    const struct purr_datum *new_value; /* VALUE_SET/CREATED: after */
    uint64_t value_seq;           /* VALUE_SET: the transition's number */
} purr_trace;

typedef void (*purr_observer_fn)(const purr_trace *ev, void *ctx);

/* Registers fn to receive the events in mask (PURR_EV_TASK, PURR_EV_VALUE,
 * or both). Up to 8 observers per loop, called in registration order.
 * Registering the same (fn, ctx) again replaces its mask; mask 0 removes it.
 * Returns 0, or PURR_EBUSY when 8 are registered. */
PURR_API int purr_loop_observe(purr_loop *loop, uint32_t mask,
                               purr_observer_fn fn, void *ctx);

/* ---------------------------------------------------------------------- */
/* Tap: the observer's fast path, for recorders                            */
/* ---------------------------------------------------------------------- */

/* A consumer that only stores events (purr's recorder) pays a call, a
 * purr_trace and its own dispatch per event through an observer; at tens
 * of millions of events per second that is most of the cost of recording.
 * A tap instead lets the loop append a fixed-size record per event to the
 * consumer's buffer. One tap per loop, for any of the kinds
 * PURR_EV_TASK_BLOCKED, PURR_EV_TASK_WOKEN and PURR_EV_VALUE_SET; it runs
 * beside the observers (each event goes to the tap and to every observer
 * whose mask has it) and shares their seq numbering. The consumer may
 * append records to the same buffer itself (from an observer callback) to
 * keep one order of all it records. */
typedef struct purr_tap_rec {
    uint8_t kind;           /* purr_event_kind */
    uint8_t type;           /* VALUE_SET: the new datum's purr_type */
    uint16_t reserved;      /* 0 */
    uint32_t aux;           /* WOKEN: the wake code (as int32);
                               VALUE_SET: purr_value_id (low 32 bits) */
    uint64_t seq;           /* VALUE_SET: the transition's value_seq;
                               else the event's seq (as purr_trace) */
    purr_time time_ns;      /* as purr_trace */
    uint64_t task_id;       /* as purr_trace */
    uint64_t arg;           /* BLOCKED: the detail, a (const char *) string
                               constant that outlives the program's use of
                               purr; VALUE_SET: the datum's bits (bool 0/1,
                               int, double as its IEEE-754 bits; nil 0) */
} purr_tap_rec;

typedef struct purr_tap purr_tap;
struct purr_tap {
    uint32_t mask;          /* PURR_EV_BIT of the kinds tapped */
    purr_tap_rec *buf;      /* the next record goes to buf[n] */
    size_t n, cap;          /* n < cap whenever the loop appends */
    /* Called right after an append makes n == cap; must leave n < cap
     * (typically by handing buf off and setting a fresh one). */
    void (*full)(purr_tap *tap);
    /* Called instead of appending, for a VALUE_SET the record cannot hold
     * (a string, bytes or tuple datum) and for the first VALUE_SET of each
     * value after purr_loop_tap (so that the consumer meets every value
     * before its records). ev is as an observer gets it. */
    void (*slow)(purr_tap *tap, const purr_trace *ev);
    void *ctx;              /* the consumer's */
};

/* Installs tap (NULL removes the current one). The loop keeps the pointer:
 * tap must stay valid until removed. Not for real-clock loops whose
 * consumer hands buffers to other threads without the loop's knowledge:
 * the loop appends without locking. Returns 0; PURR_EINVAL when tap->mask
 * has a kind other than the three above; PURR_EBUSY when another tap is
 * installed. */
PURR_API int purr_loop_tap(purr_loop *loop, purr_tap *tap);

#ifdef __cplusplus
}
#endif
#endif /* PURR_CORE_H */
