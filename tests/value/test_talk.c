/* test_talk.c - the PyCon talk's example, in C (the
 * trio-util talk's closing example), and the text form of its datums.
 *
 * Two values ("idle 😢", "idle 😆") are set by a fetch task started in a
 * nursery; the main task composes them and loops over eventual_values of
 * the composition, "doing something cute" with each new pair. In Python:
 *
 *     kitty, puppy = AsyncValue("idle 😢"), AsyncValue("idle 😆")
 *     async with trio.open_nursery() as nursery:
 *         nursery.start_soon(fetch, kitty, puppy)
 *         async with compose_values(kitty=kitty, puppy=puppy) as pets:
 *             async for pets in pets.eventual_values():
 *                 print("doing something cute with", pets)
 *
 * The C below is the same shape: a nursery, two values, one compose, one
 * loop. It runs on the virtual clock and prints into a memory buffer, so
 * the test can assert the exact output, times included. */
#include "purr_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the fetch task learns, and when. Both pets fall asleep at 3 s, in
 * one step: the loop sees only the final pair. */
static const struct news {
    purr_time at;
    int pet;              /* 0: kitty, 1: puppy */
    const char *state;
} NEWS[] = {
    {1 * PURR_S, 0, "playing 🧶"},
    {2 * PURR_S, 1, "fetching 🎾"},
    {3 * PURR_S, 0, "asleep 😴"},
    {3 * PURR_S, 1, "asleep 😴"},
};

static int
fetch(void *arg)
{
    purr_value **pets = arg;
    for (size_t i = 0; i < sizeof NEWS / sizeof NEWS[0]; i++) {
        if (purr_now() < NEWS[i].at) /* news of one instant: one step */
            purr_assert_ok(purr_sleep_until(NEWS[i].at));
        purr_value_set_string(pets[NEWS[i].pet], NEWS[i].state);
    }
    return 0;
}

static purr_value *
new_pet(const char *name, const char *state)
{
    purr_datum d = purr_datum_string(state);
    purr_value *v = purr_value_new(purr_loop_current(), name,
                                   PURR_ROLE_INPUT, PURR_T_STRING, &d);
    purr_datum_free(&d);
    return v;
}

static const char *
field(purr_value *composed, const purr_datum *tuple, const char *name)
{
    return purr_datum_str(
        purr_datum_tuple_at(tuple, (size_t)purr_value_field(composed, name)),
        NULL);
}

typedef struct talk {
    purr_value *pets[2];
    FILE *out;
} talk;

static int
cute(purr_nursery *n, void *arg)
{
    talk *t = arg;
    int rc = purr_spawn(n, "fetch", fetch, t->pets);
    if (rc < 0)
        return rc;
    const char *names[] = {"kitty", "puppy"};
    purr_value *both = purr_value_open_compose("pets", t->pets, names, 2,
                                               NULL, NULL);
    purr_eventual it;
    purr_eventual_open(&it, both, purr_match_any(), 0);
    const purr_datum *pets;
    while (purr_eventual_next(&it, &pets) == 0) {
        const char *kitty = field(both, pets, "kitty");
        const char *puppy = field(both, pets, "puppy");
        fprintf(t->out, "%.1f s: doing something cute with %s and %s\n",
                (double)purr_now() / PURR_S, kitty, puppy);
        if (strncmp(kitty, "asleep", 6) == 0 &&
            strncmp(puppy, "asleep", 6) == 0)
            break; /* so are we */
    }
    purr_eventual_close(&it);
    purr_value_free(both);
    return 0;
}

static int
main_talk(void *arg)
{
    talk t = {{new_pet("kitty", "idle 😢"), new_pet("puppy", "idle 😆")},
              arg};
    int rc = purr_nursery_run(cute, &t);
    purr_value_free(t.pets[0]);
    purr_value_free(t.pets[1]);
    return rc;
}

Test(talk, two_values_composed_and_looped_over)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cr_assert_not_null(out);
    purr_assert_ok(purr_test_run(main_talk, out));
    fclose(out);
    cr_assert_str_eq(buf,
                     "0.0 s: doing something cute with idle 😢 and "
                     "idle 😆\n"
                     "1.0 s: doing something cute with playing 🧶 and "
                     "idle 😆\n"
                     "2.0 s: doing something cute with playing 🧶 and "
                     "fetching 🎾\n"
                     "3.0 s: doing something cute with asleep 😴 and "
                     "asleep 😴\n");
    free(buf);
}

/* The pair's text form is ASCII (the emoji's UTF-8 bytes escaped) and
 * reads back bit for bit; so does the same text typed with raw UTF-8. */
Test(talk, datum_text_of_emoji_tuples_round_trips)
{
    purr_datum items[2] = {purr_datum_string("idle 😢"),
                           purr_datum_string("idle 😆")};
    purr_datum pair = purr_datum_tuple(items, 2);
    char *text = purr_datum_format_alloc(&pair);
    cr_assert_str_eq(text, "(\"idle \\xf0\\x9f\\x98\\xa2\", "
                           "\"idle \\xf0\\x9f\\x98\\x86\")");
    for (const char *p = text; *p; p++)
        cr_assert((unsigned char)*p < 0x80, "non-ASCII in %s", text);

    purr_datum back = purr_datum_nil();
    purr_assert_ok(purr_datum_parse(text, strlen(text), &back, NULL));
    cr_assert(purr_datum_equal(&back, &pair));
    purr_datum_free(&back);

    const char *raw = "( \"idle 😢\" , \"idle 😆\" , )";
    purr_assert_ok(purr_datum_parse(raw, strlen(raw), &back, NULL));
    cr_assert(purr_datum_equal(&back, &pair));
    cr_assert_str_eq(purr_datum_str(purr_datum_tuple_at(&back, 0), NULL),
                     "idle 😢");

    /* Nested in a composition's tuple, with the binary encoding too. */
    purr_datum outer_items[2] = {pair, purr_datum_int(3)};
    purr_datum outer = purr_datum_tuple(outer_items, 2);
    char *text2 = purr_datum_format_alloc(&outer);
    purr_datum back2 = purr_datum_nil();
    purr_assert_ok(purr_datum_parse(text2, strlen(text2), &back2, NULL));
    cr_assert(purr_datum_equal(&back2, &outer));
    uint8_t enc[128];
    size_t n = purr_datum_encode(&outer, enc, sizeof enc);
    cr_assert_leq(n, sizeof enc);
    purr_datum dec = purr_datum_nil();
    purr_assert_ok(purr_datum_decode(enc, n, &dec));
    cr_assert(purr_datum_equal(&dec, &outer));

    purr_datum_free(&dec);
    purr_datum_free(&back2);
    free(text2);
    purr_datum_free(&outer);
    purr_datum_free(&back);
    free(text);
    purr_datum_free(&pair);
    purr_datum_free(&items[0]);
    purr_datum_free(&items[1]);
}
