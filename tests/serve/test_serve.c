/* test_serve.c - `purr run --serve` and `purr view FILE.db --serve`
 * against an independent Foxglove WebSocket client.
 *
 * tests/oracles/ws-client.mjs (@foxglove/ws-protocol's FoxgloveClient over
 * the `ws` package) starts purr, connects its clients to the port purr
 * prints, subscribes to every channel and prints what each receives as
 * JSON lines. The tests compare that with the recording the same run
 * made, read back with purr's reader: every transition, in order, with
 * its virtual time and its value. No test depends on wall time for its
 * result: the runs wait for their first client (--serve-wait), and the
 * client waits for purr. */
#include "purr_test.h"
#include "oracle.h"
#include "purr_cmd.h"

#include <purr/recorder.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static char dir[64];

static void
make_dir(void)
{
    purr_cmd_dir_make(dir, sizeof dir, "purr-serve-test", NULL);
}

static void
remove_dir(void)
{
    purr_cmd_dir_remove(dir);
}

TestSuite(serve, .init = make_dir, .fini = remove_dir, .timeout = 120);

/* What the client script printed, parsed. */
typedef struct client_log {
    json_t *lines; /* every line, in order */
    json_t *purr;  /* the {"op":"purr"} line: exit, stderr */
} client_log;

/* Runs ws-client.mjs with roles and `purr ARGS`, and parses its output. */
static void
run_client(client_log *log, const char *roles, const char *args)
{
    size_t cap = (size_t)64 << 20;
    char *out = malloc(cap);
    cr_assert(out);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s '%s' %s", roles, PURR_BIN, args);
    int st = purr_oracle_run("ws-client.mjs", cmd, out, cap);
    cr_assert_eq(st, 0, "ws-client.mjs failed (%d) on %s", st, args);
    log->lines = json_array();
    log->purr = NULL;
    for (char *line = out, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        cr_assert(nl, "a line cut short: the output is too long");
        json_error_t err;
        json_t *j = json_loadb(line, (size_t)(nl - line), 0, &err);
        cr_assert(j, "not JSON: %.*s", (int)(nl - line), line);
        const char *op = json_string_value(json_object_get(j, "op"));
        if (op && strcmp(op, "purr") == 0)
            log->purr = j;
        else
            json_array_append_new(log->lines, j);
    }
    free(out);
    cr_assert(log->purr, "the client did not see purr exit");
}

static void
free_log(client_log *log)
{
    json_decref(log->lines);
    json_decref(log->purr);
}

static int
purr_exit(const client_log *log)
{
    return (int)json_integer_value(json_object_get(log->purr, "exit"));
}

static const char *
purr_stderr(const client_log *log)
{
    return json_string_value(json_object_get(log->purr, "stderr"));
}

/* The lines of client k with op, as a new array. */
static json_t *
lines_of(const client_log *log, int k, const char *op)
{
    json_t *a = json_array();
    size_t i;
    json_t *j;
    json_array_foreach(log->lines, i, j)
    {
        if (json_integer_value(json_object_get(j, "client")) == k &&
            strcmp(json_string_value(json_object_get(j, "op")), op) == 0)
            json_array_append(a, j);
    }
    return a;
}

/* Whether the JSON value j (as the client decoded it) is the datum d. */
static bool
same_value(json_t *j, const purr_datum *d)
{
    switch ((purr_type)d->type) {
    case PURR_T_NIL:
        return json_is_null(j);
    case PURR_T_BOOL:
        return json_is_boolean(j) && json_is_true(j) == d->u.b;
    case PURR_T_INT:
        return json_is_integer(j) && json_integer_value(j) == d->u.i;
    case PURR_T_DOUBLE:
        /* The client writes numbers back in their shortest form (71 for
         * 71.0): any JSON number that reads as the same double. */
        if (!isfinite(d->u.d))
            return json_is_null(j);
        return json_is_number(j) && json_number_value(j) == d->u.d;
    case PURR_T_STRING:
        return json_is_string(j) && json_string_length(j) == d->len &&
               memcmp(json_string_value(j), d->u.s, d->len) == 0;
    case PURR_T_BYTES:
        return json_is_string(j); /* base64: test_serve_json */
    case PURR_T_TUPLE:
        if (!json_is_array(j) || json_array_size(j) != d->len)
            return false;
        for (uint32_t i = 0; i < d->len; i++)
            if (!same_value(json_array_get(j, i), &d->u.items[i]))
                return false;
        return true;
    }
    return false;
}

/* Checks that msgs (a client's message lines) are the transitions of the
 * recording at path, all of them, in order, with their times and values;
 * and that the client saw every value advertised, with its schema. */
static void
check_against_recording(const client_log *log, int k, const char *path)
{
    purr_recording *rec;
    purr_diag diag = {0};
    purr_assert_ok(purr_recording_open(path, &rec, &diag));

    json_t *adv = lines_of(log, k, "advertise");
    size_t nv = purr_recording_value_count(rec);
    cr_assert_eq(json_array_size(adv), nv, "%zu channels for %zu values",
                 json_array_size(adv), nv);
    for (size_t i = 0; i < nv; i++) {
        const purr_recorded_value *v = purr_recording_value_at(rec, i);
        bool found = false;
        size_t a;
        json_t *ch;
        json_array_foreach(adv, a, ch)
        {
            if (strcmp(json_string_value(json_object_get(ch, "topic")),
                       v->name) != 0)
                continue;
            found = true;
            cr_assert_str_eq(json_string_value(json_object_get(ch, "encoding")),
                             "json");
            cr_assert_str_eq(
                json_string_value(json_object_get(ch, "schemaEncoding")),
                "jsonschema");
            json_t *schema = json_loads(
                json_string_value(json_object_get(ch, "schema")), 0, NULL);
            cr_assert(json_is_object(schema), "the schema of %s", v->name);
            json_decref(schema);
        }
        cr_assert(found, "no channel for the value %s", v->name);
    }
    json_decref(adv);

    json_t *msgs = lines_of(log, k, "message");
    purr_recording_iter it;
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    size_t n = 0;
    int rc;
    while ((rc = purr_recording_iter_next(&it, &diag)) == 0) {
        json_t *m = json_array_get(msgs, n);
        cr_assert(m,
                  "transition %" PRIu64 " (%s at %" PRId64 " ns) never arrived",
                  it.seq, it.value->name, it.time_ns);
        cr_assert_str_eq(json_string_value(json_object_get(m, "topic")),
                         it.value->name, "transition %" PRIu64, it.seq);
        char when[32];
        snprintf(when, sizeof when, "%" PRId64, it.time_ns);
        cr_assert_str_eq(json_string_value(json_object_get(m, "time")), when,
                         "transition %" PRIu64 " of %s", it.seq,
                         it.value->name);
        char *shown = json_dumps(json_object_get(m, "value"), JSON_ENCODE_ANY);
        cr_assert(same_value(json_object_get(m, "value"), &it.datum),
                  "transition %" PRIu64 " of %s: the client got %s", it.seq,
                  it.value->name, shown);
        free(shown);
        n++;
    }
    purr_assert_err(rc, PURR_ECLOSED);
    purr_recording_iter_close(&it);
    cr_assert_eq(json_array_size(msgs), n, "%zu messages for %zu transitions",
                 json_array_size(msgs), n);
    cr_assert_gt(n, 1000, "too few transitions to tell anything");
    json_decref(msgs);
    purr_recording_close(rec);
}

/* Parses purr's summary "served S message(s) to C client(s), D dropped". */
static void
summary(const client_log *log, uint64_t *sent, uint64_t *clients,
        uint64_t *dropped)
{
    const char *s = strstr(purr_stderr(log), "served ");
    cr_assert(s, "no summary line: %s", purr_stderr(log));
    char *end;
    *sent = strtoull(s + 7, &end, 10);
    const char *to = strstr(end, " to ");
    cr_assert(to, "%s", s);
    *clients = strtoull(to + 4, &end, 10);
    const char *comma = strstr(end, ", ");
    cr_assert(comma, "%s", s);
    *dropped = strtoull(comma + 2, &end, 10);
    cr_assert(strncmp(end, " dropped", 8) == 0, "%s", s);
}

Test(serve, every_transition_in_order)
{
    char args[1024], rec[256];
    snprintf(rec, sizeof rec, "%s/served.db", dir);
    snprintf(args, sizeof args,
             "run " PURR_SCENES_DIR "/pet.yaml -q --serve 0 --speed max "
             "--serve-wait 1 --record %s",
             rec);
    client_log log;
    run_client(&log, "all", args);
    cr_assert_eq(purr_exit(&log), 0, "%s", purr_stderr(&log));
    cr_assert(strstr(purr_stderr(&log), "serving on ws://127.0.0.1:"), "%s",
              purr_stderr(&log));

    json_t *info = lines_of(&log, 0, "serverInfo");
    cr_assert_eq(json_array_size(info), 1);
    cr_assert_str_eq(
        json_string_value(json_array_get(
            json_object_get(json_array_get(info, 0), "capabilities"), 0)),
        "time");
    json_decref(info);

    check_against_recording(&log, 0, rec);

    /* The server's last time is the run's end, and the stream ends with
     * a normal close. */
    json_t *close = lines_of(&log, 0, "close");
    cr_assert_eq(json_array_size(close), 1);
    json_t *c = json_array_get(close, 0);
    cr_assert_eq(json_integer_value(json_object_get(c, "code")), 1000);
    cr_assert_str_eq(json_string_value(json_object_get(c, "lastTime")),
                     "86400000000000"); /* pet.yaml's duration: 24h */
    json_decref(close);

    uint64_t sent, clients, dropped;
    summary(&log, &sent, &clients, &dropped);
    cr_assert_eq(clients, 1);
    cr_assert_eq(dropped, 0);
    free_log(&log);
}

Test(serve, serving_does_not_change_the_run)
{
    /* A served run, paced and watched, records what a plain run does:
     * purr diff finds every transition identical. */
    char args[1024];
    snprintf(args, sizeof args,
             "run " PURR_SCENES_DIR "/pet.yaml -q --serve 0 --speed 200000 "
             "--serve-wait 1 --record %s/a.db",
             dir);
    client_log log;
    run_client(&log, "all", args);
    cr_assert_eq(purr_exit(&log), 0, "%s", purr_stderr(&log));
    free_log(&log);
    char out[4096], err[4096];
    cr_assert_eq(
        purr_cmd_in(dir, "run " PURR_SCENES_DIR "/pet.yaml -q --record b.db",
                    out, sizeof out, err, sizeof err),
        0, "%s", err);
    cr_assert_eq(
        purr_cmd_in(dir, "diff a.db b.db", out, sizeof out, err, sizeof err), 0,
        "%s%s", out, err);
    cr_assert(strstr(out, "identical"), "%s", out);
}

Test(serve, a_client_that_stops_reading_does_not_stall_the_run)
{
    /* The client subscribes to everything, then reads nothing more. The
     * run (about 300,000 transitions, some 12 MB of messages: more than
     * the socket buffers hold) still finishes; what did not fit in the
     * 64 KiB queue is counted as dropped, and every transition was
     * either queued or dropped. */
    char args[1024], rec[256];
    snprintf(rec, sizeof rec, "%s/fast.db", dir);
    snprintf(args, sizeof args,
             "run " PURR_SERVE_TESTS_DIR "/fast.yaml -q --serve 0 --speed max "
             "--serve-wait 1 --serve-buffer 64K --record %s",
             rec);
    client_log log;
    run_client(&log, "pause", args);
    cr_assert_eq(purr_exit(&log), 0, "%s", purr_stderr(&log));
    uint64_t sent, clients, dropped;
    summary(&log, &sent, &clients, &dropped);
    cr_assert_eq(clients, 1);
    cr_assert_gt(dropped, 0, "%s", purr_stderr(&log));
    cr_assert(strstr(purr_stderr(&log), "--serve-buffer"),
              "the summary says what to do: %s", purr_stderr(&log));

    purr_recording *r;
    purr_diag diag = {0};
    purr_assert_ok(purr_recording_open(rec, &r, &diag));
    cr_assert(purr_recording_is_complete(r));
    int64_t n = purr_recording_transition_count(r);
    purr_recording_close(r);
    cr_assert_gt(n, 200000);
    cr_assert_eq(sent + dropped, (uint64_t)n,
                 "%" PRIu64 " sent + %" PRIu64 " dropped != %" PRId64
                 " transitions",
                 sent, dropped, n);
    free_log(&log);
}

Test(serve, a_second_client_joins_mid_run)
{
    /* Client 1 connects once client 0 has its first message. The run
     * lasts at least 24h / 50000 = 1.7 s of wall time (--speed), so it
     * is under way: client 1 gets serverInfo, every channel, and from
     * then on the same messages as client 0, to the last. */
    char args[1024];
    snprintf(args, sizeof args,
             "run " PURR_SCENES_DIR "/pet.yaml -q --serve 0 --speed 50000 "
             "--serve-wait 1");
    client_log log;
    run_client(&log, "all,late", args);
    cr_assert_eq(purr_exit(&log), 0, "%s", purr_stderr(&log));
    json_t *a = lines_of(&log, 0, "message");
    json_t *b = lines_of(&log, 1, "message");
    json_t *adv0 = lines_of(&log, 0, "advertise");
    json_t *adv1 = lines_of(&log, 1, "advertise");
    cr_assert_eq(json_array_size(adv1), json_array_size(adv0));
    json_t *info1 = lines_of(&log, 1, "serverInfo");
    cr_assert_eq(json_array_size(info1), 1);
    size_t na = json_array_size(a), nb = json_array_size(b);
    cr_assert_gt(nb, 0, "the second client got nothing");
    cr_assert_lt(nb, na, "the second client did not join mid-run");
    /* b is a subsequence of a (it subscribed channel by channel), and
     * ends where a does. */
    size_t i = 0;
    for (size_t k = 0; k < nb; k++) {
        json_t *m = json_array_get(b, k);
        json_object_set_new(m, "client", json_integer(0));
        while (i < na && !json_equal(json_array_get(a, i), m))
            i++;
        cr_assert_lt(i, na,
                     "message %zu of the second client is not one "
                     "the first got, in that order",
                     k);
        i++;
    }
    cr_assert(json_equal(json_array_get(a, na - 1), json_array_get(b, nb - 1)));
    uint64_t sent, clients, dropped;
    summary(&log, &sent, &clients, &dropped);
    cr_assert_eq(clients, 2);
    cr_assert_eq(dropped, 0);
    cr_assert_eq(sent, na + nb);
    json_decref(a);
    json_decref(b);
    json_decref(adv0);
    json_decref(adv1);
    json_decref(info1);
    free_log(&log);
}

Test(serve, view_streams_a_recording)
{
    char out[4096], err[4096];
    cr_assert_eq(
        purr_cmd_in(dir, "run " PURR_SCENES_DIR "/pet.yaml -q --record rec.db",
                    out, sizeof out, err, sizeof err),
        0, "%s", err);
    char args[1024], rec[256];
    snprintf(rec, sizeof rec, "%s/rec.db", dir);
    /* purr view --serve waits for one client by default. */
    snprintf(args, sizeof args, "view %s --serve 0 --speed max", rec);
    client_log log;
    run_client(&log, "all", args);
    cr_assert_eq(purr_exit(&log), 0, "%s", purr_stderr(&log));
    check_against_recording(&log, 0, rec);
    free_log(&log);
}

Test(serve, view_stamps_with_the_logs_epoch)
{
    /* A field log with epoch times: its recording keeps the start
     * (start_epoch_ns), and the stream's timestamps are wall-clock times
     * again, 1733407392.5 s since the epoch and on. */
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "printf 'time,battery\\n1733407392.5,50\\n1733407393,49.5\\n"
             "1733407400,49\\n' > %s/field.csv",
             dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    char out[4096], err[4096];
    cr_assert_eq(
        purr_cmd_in(
            dir,
            "import field.csv --epoch -o field.db --scene " PURR_SCENES_DIR
            "/pet.yaml",
            out, sizeof out, err, sizeof err),
        0, "%s", err);
    char args[512];
    snprintf(args, sizeof args, "view %s/field.db --serve 0 --speed max", dir);
    client_log log;
    run_client(&log, "all", args);
    cr_assert_eq(purr_exit(&log), 0, "%s", purr_stderr(&log));
    json_t *m = lines_of(&log, 0, "message");
    cr_assert_eq(json_array_size(m), 3);
    const char *times[] = {"1733407392500000000", "1733407393000000000",
                           "1733407400000000000"};
    const double values[] = {50, 49.5, 49};
    for (size_t i = 0; i < 3; i++) {
        json_t *e = json_array_get(m, i);
        cr_assert_str_eq(json_string_value(json_object_get(e, "topic")),
                         "battery");
        cr_assert_str_eq(json_string_value(json_object_get(e, "time")),
                         times[i]);
        cr_assert(json_number_value(json_object_get(e, "value")) == values[i]);
    }
    json_decref(m);
    free_log(&log);
}

Test(serve, bad_options)
{
    char out[4096], err[4096];
    const char *cases[][2] = {
        {"run " PURR_SCENES_DIR "/pet.yaml --serve abc", "--serve expects"},
        {"run " PURR_SCENES_DIR "/pet.yaml --serve 70000", "--serve expects"},
        {"run " PURR_SCENES_DIR "/pet.yaml --serve", "needs a value"},
        {"run " PURR_SCENES_DIR "/pet.yaml --serve-wait 1", "go with --serve"},
        {"run " PURR_SCENES_DIR "/pet.yaml --serve 0 --serve-buffer 0",
         "--serve-buffer expects"},
        {"run " PURR_SCENES_DIR "/pet.yaml --serve 0 --check-determinism",
         "drop --check-determinism"},
        {"run " PURR_SCENES_DIR "/pet.yaml --serve 'nowhere:0'",
         "not a numeric"},
        {"view missing.db --serve 0", "missing.db"},
        {"view --serve 0", "no recording"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(
            purr_cmd_in(dir, cases[i][0], out, sizeof out, err, sizeof err), 2,
            "%s: %s", cases[i][0], err);
        cr_assert(strstr(err, cases[i][1]), "%s: %s", cases[i][0], err);
        cr_assert_eq(purr_count_lines(err), 1, "%s: %s", cases[i][0], err);
    }
}

Test(serve, a_port_in_use_is_refused)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(listen(fd, 1), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    char args[512], out[4096], err[4096];
    snprintf(args, sizeof args,
             "run " PURR_SCENES_DIR "/pet.yaml -q --serve %d",
             ntohs(sa.sin_port));
    cr_assert_eq(purr_cmd_in(dir, args, out, sizeof out, err, sizeof err), 2,
                 "%s", err);
    cr_assert(strstr(err, "cannot listen on 127.0.0.1:"), "%s", err);
    cr_assert_eq(purr_count_lines(err), 1, "%s", err);
    close(fd);
}
