/* test_replay_datums.c - replay compares every kind of datum bit for bit,
 * and refuses a corrupt payload of any kind before the run, with the
 * reader's own message.
 *
 * The replay compares each output transition with the recorded payload in
 * place (no encoding made) and checks the payloads at load without
 * decoding the ones it only compares; these tests hold both to what the
 * encoding and the reader say. The "mixer" behaviour sets, for each
 * reading k of its input, a string, bytes, a tuple (int, string, double),
 * a nested tuple ((bool, nil), bytes), a double (-0.0 at k = 5) and a
 * bool (k odd), and a
 * composition of the string and the double (a value of type nil, whose
 * transitions are tuples). A variant of it differs from the recorded run
 * in exactly one transition, by one byte or one bit. */
#include "rec_test.h"
#include "rec_patch.h"

#define MIX_READINGS 12
#define MIX_END (2 * PURR_S)

struct mixer {
    int variant;     /* 0: as recorded; else which transition differs */
    purr_value *in, *s, *b, *t, *nest, *d, *odd, *pair;
};

enum {
    SAME = 0,
    STRING_BYTE = 1, /* k = 7: "word-0X" for "word-07" */
    TUPLE_ITEM = 2,  /* k = 9: tuple item "k8" for "k9" */
    DOUBLE_SIGN = 3, /* k = 5: 0.0 for -0.0 (equal as numbers) */
    NESTED_BYTE = 4  /* k = 11: nested bytes 0x0a for 0x0b */
};

static int
mix_setup(purr_loop *loop, void *arg)
{
    struct mixer *m = arg;
    m->in = purr_value_new(loop, "in", PURR_ROLE_INPUT, PURR_T_INT, NULL);
    m->s = purr_value_new(loop, "s", PURR_ROLE_OUTPUT, PURR_T_STRING, NULL);
    m->b = purr_value_new(loop, "b", PURR_ROLE_OUTPUT, PURR_T_BYTES, NULL);
    m->t = purr_value_new(loop, "t", PURR_ROLE_OUTPUT, PURR_T_TUPLE, NULL);
    m->nest = purr_value_new(loop, "nest", PURR_ROLE_OUTPUT, PURR_T_TUPLE,
                             NULL);
    m->d = purr_value_new(loop, "d", PURR_ROLE_OUTPUT, PURR_T_DOUBLE, NULL);
    m->odd = purr_value_new_bool(loop, "odd", PURR_ROLE_OUTPUT);
    purr_value *src[2] = {m->s, m->d};
    m->pair = purr_value_open_compose("pair", src, NULL, 2, NULL, NULL);
    return 0;
}

static void
mix_teardown(void *arg)
{
    struct mixer *m = arg;
    purr_value_free(m->pair);
    purr_value_free(m->in);
    purr_value_free(m->s);
    purr_value_free(m->b);
    purr_value_free(m->t);
    purr_value_free(m->nest);
    purr_value_free(m->d);
    purr_value_free(m->odd);
}

/* Sets v to d and frees d. */
static void
set_free(purr_value *v, purr_datum d)
{
    purr_value_set(v, &d);
    purr_datum_free(&d);
}

static int
mix_controller(void *arg)
{
    struct mixer *m = arg;
    purr_datum in = purr_datum_nil();
    int rc;
    while ((rc = purr_value_wait_transition(m->in, purr_match_any(), &in,
                                            NULL)) == 0) {
        int k = (int)purr_datum_as_int(&in);
        char text[16];
        snprintf(text, sizeof text, "word-%02d", k);
        if (m->variant == STRING_BYTE && k == 7)
            text[6] = 'X';
        set_free(m->s, purr_datum_string(text));

        uint8_t raw[4] = {(uint8_t)k, 0, 255, (uint8_t)(k ^ 0x5a)};
        set_free(m->b, purr_datum_bytes(raw, sizeof raw));

        snprintf(text, sizeof text, "k%d",
                 m->variant == TUPLE_ITEM && k == 9 ? 8 : k);
        purr_datum items[3] = {purr_datum_int(k), purr_datum_string(text),
                               purr_datum_double(k / 4.0)};
        set_free(m->t, purr_datum_tuple(items, 3));
        purr_datum_free(&items[1]);

        purr_datum inner[2] = {purr_datum_bool(k & 1), purr_datum_nil()};
        uint8_t one = (uint8_t)(m->variant == NESTED_BYTE && k == 11
                                    ? 0x0a
                                    : k);
        purr_datum outer[2] = {purr_datum_tuple(inner, 2),
                               purr_datum_bytes(&one, 1)};
        set_free(m->nest, purr_datum_tuple(outer, 2));
        purr_datum_free(&outer[0]);
        purr_datum_free(&outer[1]);

        double x = k == 5 ? (m->variant == DOUBLE_SIGN ? 0.0 : -0.0)
                          : k * 0.5;
        purr_value_set_double(m->d, x);
        purr_value_set_bool(m->odd, k & 1);
    }
    return rc;
}

static int
mix_behaviour(purr_nursery *n, void *arg)
{
    return purr_spawn(n, "controller", mix_controller, arg);
}

static int
mix_driver(void *arg)
{
    struct mixer *m = arg;
    for (int k = 1; k <= MIX_READINGS; k++) {
        int rc = purr_sleep_until(k * 100 * PURR_MS);
        if (rc < 0)
            return rc;
        purr_value_set_int(m->in, k);
    }
    return 0;
}

static int
mix_record_body(purr_nursery *n, void *arg)
{
    int rc = purr_spawn(n, "driver", mix_driver, arg);
    return rc < 0 ? rc : mix_behaviour(n, arg);
}

static int
mix_record_main(void *arg)
{
    purr_scope s;
    purr_scope_enter(&s, MIX_END);
    mix_setup(purr_loop_current(), arg);
    int rc = purr_nursery_run(mix_record_body, arg);
    purr_scope_exit(&s);
    return rc == PURR_ECANCELED ? 0 : rc;
}

/* Records the mixer (as recorded: variant SAME) to path. */
static void
mix_record(const char *path)
{
    struct mixer m = {.variant = SAME};
    rec_record_run(path, "2000000000", mix_record_main, &m, mix_teardown);
}

/* Replays path with the given variant of the mixer. */
static int
mix_replay(const char *path, int variant, purr_replay_report *rep)
{
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    struct mixer m = {.variant = variant};
    purr_replay_target target = {.setup = mix_setup,
                                 .behaviour = mix_behaviour,
                                 .teardown = mix_teardown,
                                 .arg = &m};
    int rc = purr_replay_check(rec, &target, rep);
    purr_recording_close(rec);
    return rc;
}

/* One integer from an SQL query on the file at path. */
static int64_t
sql_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK,
                 "%s: %s", sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    int64_t x = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return x;
}

/* The recorded non-input transitions before the transition of value name
 * at time_ns: what a replay matches before it differs there. Counted by
 * SQLite from the transition view, independently of the replay. */
static int64_t
matched_before(const char *path, const char *name, purr_time time_ns)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM transition t JOIN value v"
             " ON v.id = t.value_id WHERE v.role != 1 AND t.seq <"
             " (SELECT t2.seq FROM transition t2 JOIN value v2"
             "  ON v2.id = t2.value_id WHERE v2.name = '%s'"
             "  AND t2.time_ns = %lld)",
             name, (long long)time_ns);
    return sql_int(path, sql);
}

Test(replay_datums, every_kind_replays_identically)
{
    char path[256];
    purr_replay_report rep;
    tmp_path(path, sizeof path, "mix.db");
    mix_record(path);
    purr_assert_ok(mix_replay(path, SAME, &rep));
    cr_assert_eq(rep.outcome, PURR_REPLAY_IDENTICAL);
    cr_assert_eq(rep.inputs, MIX_READINGS);
    int64_t outputs = sql_int(path, "SELECT count(*) FROM transition t JOIN"
                                    " value v ON v.id = t.value_id"
                                    " WHERE v.role != 1");
    /* Six outputs change at every reading, and the pair with them. */
    cr_assert_geq(outputs, 7 * MIX_READINGS);
    cr_assert_eq((int64_t)rep.matching, outputs);
    cr_assert_eq(rep.missing + rep.extra, 0);
}

/* Each variant differs from the recording in one transition, by a byte or
 * a bit that a comparison of numbers or of text lengths would miss: the
 * report names that transition, and the ones before it matched. */
static void
check_divergence(int variant, const char *value, int k,
                 const char *expected, const char *actual)
{
    char path[256], name[32];
    purr_replay_report rep;
    snprintf(name, sizeof name, "mix-%d.db", variant);
    tmp_path(path, sizeof path, name);
    mix_record(path);
    purr_assert_err(mix_replay(path, variant, &rep), PURR_EDIVERGED);
    cr_assert_eq(rep.outcome, PURR_REPLAY_DIFFERENT);
    cr_assert(rep.has_expected && rep.has_actual);
    cr_assert_str_eq(rep.expected_row.value, value);
    cr_assert_str_eq(rep.actual_row.value, value);
    cr_assert_eq(rep.expected_row.time_ns, k * 100 * PURR_MS);
    cr_assert_eq(rep.actual_row.time_ns, k * 100 * PURR_MS);
    cr_assert_str_eq(rep.expected_row.text, expected);
    cr_assert_str_eq(rep.actual_row.text, actual);
    cr_assert_eq((int64_t)rep.matching,
                 matched_before(path, value, k * 100 * PURR_MS));
    cr_assert_eq(rep.nbefore, PURR_REPLAY_CONTEXT);
    cr_assert_lt(rep.before[PURR_REPLAY_CONTEXT - 1].seq,
                 rep.expected_row.seq);
}

Test(replay_datums, string_differing_in_one_byte)
{
    check_divergence(STRING_BYTE, "s", 7, "\"word-07\"", "\"word-0X\"");
}

Test(replay_datums, tuple_item_differing_in_one_byte)
{
    check_divergence(TUPLE_ITEM, "t", 9, "(9, \"k9\", 2.25)",
                     "(9, \"k8\", 2.25)");
}

Test(replay_datums, double_differing_in_its_sign_bit_only)
{
    check_divergence(DOUBLE_SIGN, "d", 5, "-0.0", "0.0");
}

Test(replay_datums, nested_tuple_differing_in_one_byte)
{
    /* 0x0a is shown as \n. */
    check_divergence(NESTED_BYTE, "nest", 11, "((true, nil), b\"\\x0b\")",
                     "((true, nil), b\"\\n\")");
}

/* What the reader says of the file at path, reading it with a decoding
 * iterator: the oracle for the replay's message. */
static void
reader_error(const char *path, int *rc /* out */, purr_diag *diag /* out */)
{
    purr_recording *rec;
    purr_recording_iter it;
    purr_assert_ok(purr_recording_open(path, &rec, diag));
    purr_assert_ok(purr_recording_iter_open(&it, rec));
    while ((*rc = purr_recording_iter_next(&it, diag)) == 0)
        ;
    purr_recording_iter_close(&it);
    purr_recording_close(rec);
}

/* Patches n bytes at off of the payload of the transition matching where,
 * then checks that the replay refuses the recording before running, with
 * the reader's message (containing want) for that transition. */
static void
check_corrupt(const char *name, const char *where, size_t off,
              const void *bytes, size_t n, const char *want)
{
    char path[256];
    purr_replay_report rep;
    tmp_path(path, sizeof path, name);
    mix_record(path);
    int64_t seq = rec_patch_payload(path, where, off, bytes, n);
    int rc;
    purr_diag diag;
    reader_error(path, &rc, &diag);
    cr_assert_eq(rc, PURR_EFORMAT);
    cr_assert(strstr(diag.message, want), "%s", diag.message);
    cr_assert_eq(diag.line, seq);

    purr_assert_err(mix_replay(path, SAME, &rep), PURR_EFORMAT);
    cr_assert_eq(rep.outcome, PURR_REPLAY_ERROR);
    cr_assert_eq(rep.inputs, 0, "nothing ran");
    cr_assert_str_eq(rep.diag.file, path);
    cr_assert_eq(rep.diag.line, diag.line);
    cr_assert_str_eq(rep.diag.message, diag.message);
}

Test(replay_datums, string_length_past_its_payload)
{
    uint8_t len[4] = {8, 0, 0, 0}; /* "word-03" is 7 bytes */
    check_corrupt("bad-s.db", "value_id = (SELECT id FROM value WHERE"
                              " name = 's') AND time_ns = 300000000",
                  1, len, 4, "corrupt payload");
}

Test(replay_datums, string_recorded_as_bytes)
{
    uint8_t tag = PURR_T_BYTES;
    check_corrupt("bytes-s.db", "value_id = (SELECT id FROM value WHERE"
                                " name = 's') AND time_ns = 400000000",
                  0, &tag, 1, "payload is bytes, the value is string");
}

Test(replay_datums, tuple_item_of_unknown_type)
{
    uint8_t tag = 9; /* the int item's tag, after the tuple's 5 bytes */
    check_corrupt("bad-t.db", "value_id = (SELECT id FROM value WHERE"
                              " name = 't') AND time_ns = 200000000",
                  5, &tag, 1, "corrupt payload");
}

Test(replay_datums, bool_that_is_not_0_or_1)
{
    uint8_t two = 2; /* after the tag */
    check_corrupt("bad-odd.db", "value_id = (SELECT id FROM value WHERE"
                                " name = 'odd') AND time_ns = 300000000",
                  1, &two, 1, "corrupt payload");
}

Test(replay_datums, nested_bool_that_is_not_0_or_1)
{
    /* nest = ((bool, nil), bytes): tuple 5 bytes, inner tuple 5, bool tag
     * 1, then the bool's byte. */
    uint8_t two = 2;
    check_corrupt("bad-nest.db", "value_id = (SELECT id FROM value WHERE"
                                 " name = 'nest') AND time_ns = 600000000",
                  11, &two, 1, "corrupt payload");
}

/* A composition is a value of type nil: any valid datum is a valid
 * payload, so an item of another type loads, and is a difference. */
Test(replay_datums, nil_typed_value_takes_any_datum_and_compares_it)
{
    char path[256];
    purr_replay_report rep;
    tmp_path(path, sizeof path, "pair.db");
    mix_record(path);
    /* At k = 4 the pair changes first with the new string and the old
     * double: ("word-04", 1.5). After the tuple's 5 bytes the string item
     * takes 1 + 4 + 7; the double item's tag (3) becomes int (2), its 8
     * bytes (1.5 = 0x3ff8 << 48) then read as 4609434218613702656. */
    uint8_t tag = PURR_T_INT;
    rec_patch_payload(path, "value_id = (SELECT id FROM value WHERE"
                            " name = 'pair') AND time_ns = 400000000",
                      17, &tag, 1);
    purr_assert_err(mix_replay(path, SAME, &rep), PURR_EDIVERGED);
    cr_assert_eq(rep.outcome, PURR_REPLAY_DIFFERENT);
    cr_assert_str_eq(rep.expected_row.value, "pair");
    cr_assert_eq(rep.expected_row.time_ns, 400 * PURR_MS);
    cr_assert_str_eq(rep.actual_row.text, "(\"word-04\", 1.5)");
    cr_assert_str_eq(rep.expected_row.text,
                     "(\"word-04\", 4609434218613702656)");
}

/* The inputs are read as the feeder goes, so their check before the run
 * works from what the load noted: a recorded int input that the replay
 * makes a double is refused at its first transition, before anything is
 * fed. */
static int
setup_double_in(purr_loop *loop, void *arg)
{
    struct mixer *m = arg;
    mix_setup(loop, arg);
    purr_value_free(m->in);
    m->in = purr_value_new(loop, "in", PURR_ROLE_INPUT, PURR_T_DOUBLE, NULL);
    return 0;
}

Test(replay_datums, input_of_another_type_is_refused_before_the_run)
{
    char path[256];
    tmp_path(path, sizeof path, "intype.db");
    mix_record(path);
    purr_recording *rec;
    purr_diag diag;
    purr_assert_ok(purr_recording_open(path, &rec, &diag));
    struct mixer m = {.variant = SAME};
    purr_replay_target target = {.setup = setup_double_in,
                                 .behaviour = mix_behaviour,
                                 .teardown = mix_teardown,
                                 .arg = &m};
    purr_replay_report rep;
    purr_assert_err(purr_replay_check(rec, &target, &rep), PURR_EFORMAT);
    purr_recording_close(rec);
    cr_assert_eq(rep.outcome, PURR_REPLAY_ERROR);
    cr_assert_eq(rep.inputs, 0);
    int64_t first = sql_int(path, "SELECT min(seq) FROM transition WHERE"
                                  " value_id = (SELECT id FROM value WHERE"
                                  " name = 'in')");
    cr_assert_eq(rep.diag.line, first);
    char want[160];
    snprintf(want, sizeof want,
             "transition %lld: input value in: the recording sets a int, "
             "the replay's value is another type",
             (long long)first);
    cr_assert_str_eq(rep.diag.message, want);
}
