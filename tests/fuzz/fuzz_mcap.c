/* fuzz_mcap.c - libFuzzer target for purr's MCAP reader
 * (replay/mcap_read.c): the input is the file (read through fmemopen).
 * The reader must go through it message by message and either reach the
 * end or stop with a one-line error, never crash, leak, loop or allocate
 * beyond what the input can justify (ASan, UBSan, libFuzzer's malloc
 * limit). Each message of a channel with a ros2msg schema is also decoded
 * (its first field) by the CDR reader. Built and run by scripts/fuzz.sh. */
#include "cdr_int.h"
#include "mcap_read_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    purr__mcap_reader r;
    int rc = purr__mcap_open_file(&r, f, size);
    purr__mcap_msg m;
    int budget = 10000;
    while (rc == 0 && budget-- > 0 && (rc = purr__mcap_next(&r, &m)) == 1) {
        rc = 0;
        if (m.len > size)
            abort(); /* a message lies inside what was read */
        const purr__mcap_channel *ch = purr__mcap_channel_get(&r,
                                                              m.channel_id);
        if (!ch)
            abort(); /* next checks the channel */
        const purr__mcap_schema *sc = purr__mcap_schema_get(&r,
                                                            ch->schema_id);
        if (!sc || strcmp(sc->encoding, "ros2msg") != 0)
            continue;
        purr__cdr_schema s;
        purr__cdr_path p;
        char err[256];
        if (purr__cdr_schema_load(&s, sc->name, (const char *)sc->data,
                                  sc->len, err, sizeof err) < 0)
            continue;
        if (purr__cdr_path_compile(&s, s.types[0].fields[0].name, &p, err,
                                   sizeof err) == 0) {
            purr_datum d;
            if (purr__cdr_extract(&s, &p, m.data, m.len, &d, err,
                                  sizeof err) == 0)
                purr_datum_free(&d);
        }
        purr__cdr_schema_free(&s);
    }
    if (rc < 0 && strchr(r.err, '\n'))
        abort(); /* one line */
    purr__mcap_close(&r);
    fclose(f);
    return 0;
}
