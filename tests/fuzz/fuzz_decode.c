/* fuzz_decode.c - libFuzzer target for purr_datum_decode.
 *
 * Any input the decoder accepts must re-encode to exactly the same bytes
 * (the encoding is canonical: one encoding per datum), and formatting and
 * re-parsing the datum must give an equal datum. Anything else the decoder
 * must refuse without reading outside the input (ASan) or overflowing
 * (UBSan). Built and run by scripts/fuzz.sh. */
#include <purr/datum.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    purr_datum d;
    if (purr_datum_decode(data, size, &d) < 0)
        return 0;
    size_t n = purr_datum_encode(&d, NULL, 0);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        abort();
    if (n != size || purr_datum_encode(&d, buf, n) != n ||
        memcmp(buf, data, n) != 0) {
        fprintf(stderr, "fuzz_decode: accepted input does not re-encode "
                        "identically (%zu bytes in, %zu out)\n",
                size, n);
        abort();
    }
    free(buf);
    char *text = purr_datum_format_alloc(&d);
    purr_datum back;
    if (purr_datum_parse(text, strlen(text), &back, NULL) < 0 ||
        !purr_datum_equal(&d, &back)) {
        fprintf(stderr, "fuzz_decode: text form does not round-trip\n");
        abort();
    }
    purr_datum_free(&back);
    free(text);
    purr_datum_free(&d);
    return 0;
}
