/* purr/robot.h - running registered behaviours on a robot, in real time.
 *
 * A team's robot program runs the very behaviours it develops in the
 * simulator: it registers them (purr_sim_register, sim.h), names them in
 * the same scene file, and hands that scene to a purr_robot. The robot
 * runs them on the real clock (PURR_CLOCK_REAL, libuv) against the
 * program's real inputs instead of the scene's sensor models, and records
 * the run in the format `purr run --record` writes. That recording is a
 * field log: `purr replay --check robot.db` re-runs the behaviours on the
 * virtual clock, fed with the recorded inputs, and says whether the
 * current code still does what the robot did (docs/robot.md).
 *
 * Names: a behaviour finds its values by name in its setup
 * (purr_sim_value(ctx, "battery")), on the robot exactly as in the
 * simulator. The scene's sensors are the robot's inputs: each becomes an
 * input value with the sensor's name, type and initial datum; its model
 * (timeline, battery...) does not run. Outputs are whatever the
 * behaviours create.
 *
 * Inputs reach the values in two ways, which may be mixed:
 * - the input task (purr_robot_options.inputs), run on the loop's thread
 *   as the run's first task, waits on file descriptors (purr_fd_wait,
 *   core.h, or purr_robot_read_lines below) and sets values directly;
 * - any other thread calls purr_robot_set, which copies the datum and
 *   queues the set for the loop's thread (woken with purr_loop_post).
 *
 * One input at a time: each input set from another thread, and each line
 * purr_robot_read_lines reads, is applied at a moment of its own, once
 * the tasks woken by the previous one have run and every task is blocked
 * again. That is what the replay does with each recorded input (the
 * virtual clock only moves when every task is blocked), so the behaviours
 * see the same sequence of states in the field and in the replay. An
 * input task that sets values itself does the same with
 * purr_robot_settle.
 *
 * The run has the shape replay gives it (replay.h): the input task takes
 * the place of replay's feeder, so tasks are spawned in the same order in
 * the field and in the replay. The recording's metadata (clock=real,
 * inputs=robot) makes `purr replay` use feeder mode, where a transition's
 * replayed time need only be no later than the recorded one.
 *
 * Threads: purr_robot_new, purr_robot_run and purr_robot_free are called
 * on one thread (the loop's, core.h: "a loop for the calling thread").
 * purr_robot_set and purr_robot_stop may be called from any thread, and
 * from the loop's own (a task, an observer, a posted function). A robot
 * runs once.
 *
 * This header includes no libuv, SQLite or libyaml header.
 */
#ifndef PURR_ROBOT_H
#define PURR_ROBOT_H

#include <stdbool.h>

#include "purr/core.h"
#include "purr/datum.h"
#include "purr/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct purr_robot purr_robot;

/* Options for purr_robot_new. Zero-initialise and set what you need. */
typedef struct purr_robot_options {
    const char *scene_path;  /* required: the scene file (docs/scenes.md).
                                Its sensors declare the inputs (name, type,
                                initial datum; their models do not run), its
                                behaviours what runs. Its duration, seed and
                                expectations are those of the simulator and
                                are ignored, but it must still be a valid
                                scene, so the same file serves both */
    const char *record_path; /* where the field log goes; NULL: none */
    bool overwrite;          /* replace an existing record_path; else an
                                existing file is PURR_EEXIST */
    purr_time duration_ns;   /* > 0: the run ends this long after it
                                started; 0: it runs until purr_robot_stop */
    purr_task_fn inputs;     /* optional: the program's input task, spawned
                                as the run's first task (named
                                "purr-replay-feeder", the slot replay's feeder
                                takes). It sets input values (with
                                purr_value_set on purr_robot_value, or
                                purr_robot_set, or purr_robot_read_lines).
                                Returning 0 ends only the input task (the
                                run goes on); returning a PURR_E* code ends
                                the run with it. Cancelled (PURR_ECANCELED)
                                when the run ends. It runs inside a cancel
                                scope holding the duration's deadline */
    void *inputs_arg;        /* passed to inputs */
} purr_robot_options;

/* Loads the scene, creates the loop on the real clock, the recorder (with
 * the metadata below) and every value (the scene's inputs, then the
 * behaviours' setups), so that purr_robot_value and purr_robot_set work
 * before the run. Register the scene's behaviours first.
 * opts: required; its strings are copied.
 * robot: out; receives the robot (NULL on failure).
 * diag: may be NULL; receives a one-line reason on failure (the scene's
 *   file, line and column for a bad scene).
 * Recording metadata (docs/recording.md, docs/robot.md): scene (the path as
 *   given), scene_hash, scene_text (the scene file's bytes, so the log
 *   stands alone), seed, inputs ("robot"), created_by ("purr_robot"), and
 *   from the recorder clock ("real") and purr_version; end_ns and
 *   exit_status when the run ends.
 * Returns 0.
 * Errors: PURR_ENOENT (the scene cannot be read), PURR_EFORMAT (a bad
 *   scene, an unknown behaviour, a behaviour refusing its setup),
 *   PURR_EEXIST (record_path exists and opts->overwrite is false), PURR_EIO
 *   (the recording cannot be created), PURR_ENOMEM.
 * Ownership: free *robot with purr_robot_free. Not a checkpoint; must not
 *   be called inside purr_run. */
PURR_API int purr_robot_new(const purr_robot_options *opts,
                            purr_robot **robot /* out */,
                            purr_diag *diag /* out */);

/* The value named name (an input declared by the scene, or a behaviour's
 * output), or NULL: the lookup purr_sim_value makes for a behaviour.
 * Borrowed: the robot owns it until purr_robot_free. Only the loop's
 * thread may set or read it; other threads use purr_robot_set. */
PURR_API purr_value *purr_robot_value(purr_robot *robot, const char *name);

/* The robot's loop, to attach observers (purr_loop_observe) before the
 * run, e.g. to print transitions or drive a display. */
PURR_API purr_loop *purr_robot_loop(purr_robot *robot);

/* Sets the input value named name to d. Thread-safe. On the loop's thread
 * (in a task, an observer or a posted function) the set happens now;
 * from any other thread d is copied now and set on the loop thread, in
 * the order of the calls, one set per idle moment of the loop (see the
 * top of this header); it is recorded with task id 0, and replayed the
 * same way. Sets made before purr_robot_run
 * are applied as the run starts.
 * d: borrowed for the call (strings and bytes are copied).
 * Returns 0 (also when d equals the current datum: no transition).
 * Errors: PURR_ENOENT (no value of that name), PURR_EINVAL (the value is
 *   not an input: outputs belong to the behaviours), PURR_ETYPE (d's type
 *   is not the value's), PURR_ECLOSED (the run has ended), PURR_ENOMEM.
 *   A call that fails sets nothing. Not a checkpoint; never blocks. */
PURR_API int purr_robot_set(purr_robot *robot, const char *name,
                            const purr_datum *d);

/* Checkpoint. Returns once the tasks woken by what the caller did before
 * (typically: setting an input) have run and every task is blocked, i.e.
 * when the loop next goes idle. An input task calls it after each input it
 * sets (purr_robot_read_lines does), so that the behaviours react to one
 * input before the next is set, as they do in the replay.
 * Returns 0. Errors: PURR_ECANCELED (after the loop went idle: the wait
 * itself is not interrupted), PURR_ENOMEM. Must be called in a task of
 * robot's loop. */
PURR_API PURR_MUST_CHECK int purr_robot_settle(purr_robot *robot);

/* Checkpoint. Reads lines "NAME DATUM" from fd until end of file and sets
 * input NAME to DATUM (the text form of datum.h: true, 42, 21.5, "text";
 * an int for a double input is converted). Blank lines and lines starting
 * with '#' are skipped. After each set that is a transition it calls
 * purr_robot_settle. For the input task: a pipe from another process,
 * a socket, a serial line or a tty (anything purr_fd_wait accepts; not a
 * regular file, for which `purr import` exists). fd is not closed and
 * its flags are not changed; a non-blocking fd is best.
 * diag: may be NULL; receives "fd N:LINE: message" for a bad line.
 * Returns 0 at end of file (a last line without '\n' is still set).
 * Errors: PURR_EFORMAT (a bad line, diag says why: not "NAME DATUM", an
 *   unknown name, not an input, a datum of the wrong type, longer than
 *   4095 bytes; the lines before it were set), PURR_ESYS (read or
 *   purr_fd_wait failed), PURR_ECANCELED, PURR_ENOMEM. Must be called in
 *   a task of robot's loop. */
PURR_API PURR_MUST_CHECK int purr_robot_read_lines(purr_robot *robot,
                                                   int fd,
                                                   purr_diag *diag /* out */);

/* Runs the behaviours (and the input task) in real time until the
 * duration or purr_robot_stop, then cancels them, writes end_ns and
 * exit_status ("0", or "1" when the run failed) and closes the recording.
 * Blocks the calling thread, which must be the one that called
 * purr_robot_new.
 * diag: may be NULL; receives the reason on failure.
 * Returns 0.
 * Errors: the first error of a behaviour or of the input task (diag names
 *   the task; the recording is still closed, whole); PURR_EIO or
 *   PURR_ENOMEM when the recording failed (the run itself went on:
 *   recording never stops the robot); PURR_EBUSY when the robot has
 *   already run. Not a checkpoint; must not be called inside purr_run. */
PURR_API int purr_robot_run(purr_robot *robot, purr_diag *diag /* out */);

/* Ends the run: the behaviours and the input task are cancelled at the
 * loop's current time, after every input purr_robot_set queued before
 * the call has been applied.
 * Thread-safe; not async-signal-safe (from a signal handler, write to a
 * pipe the input task watches, and stop from there). Before the run it
 * makes the run end as soon as it starts; after the run it does nothing. */
PURR_API void purr_robot_stop(purr_robot *robot);

/* Loop time at which the run ended (ns since purr_robot_new); 0 before the
 * run. It is the recording's end_ns. */
PURR_API purr_time purr_robot_end_time(const purr_robot *robot);

/* Frees the robot: closes the recording if the run did not (a robot that
 * never ran leaves a recording of its values and no transitions), then the
 * values and the loop. NULL is accepted. Not while purr_robot_run runs. */
PURR_API void purr_robot_free(purr_robot *robot);

#ifdef __cplusplus
}
#endif
#endif /* PURR_ROBOT_H */
