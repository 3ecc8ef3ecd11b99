/* fuzz_chunk.c - libFuzzer target for the transition-chunk record parser
 * (purr__rec_parse_transition, recorder/reader.c), which reads the packed
 * records of a recording's transition_chunk rows: untrusted bytes.
 *
 * The input is taken as a chunk's data. Records are parsed until the end
 * or the first refusal; every accepted record must lie inside the input
 * and move forward, and its payload is handed to purr_datum_decode as the
 * reader does. Reading outside the input is caught by ASan, overflow by
 * UBSan. Built and run by scripts/fuzz.sh. */
#include "recorder_int.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    purr_time t = 0;
    while (p < end) {
        const uint8_t *before = p;
        purr__rec_tr tr;
        if (purr__rec_parse_transition(&p, end, &tr) < 0)
            break;
        if (p <= before || p > end || tr.payload < before ||
            tr.payload + tr.len != p) {
            fprintf(stderr, "fuzz_chunk: record outside its bytes\n");
            abort();
        }
        t = (purr_time)((uint64_t)t + tr.dt);
        purr_datum d;
        if (purr_datum_decode(tr.payload, (size_t)tr.len, &d) == 0)
            purr_datum_free(&d);
    }
    (void)t;
    return 0;
}
