/* fuzz_import.c - libFuzzer target for the field-log line parsers
 * (replay/import_jsonl.c, replay/import_time.c): the JSON Lines parser and
 * the time parser in every format on arbitrary bytes. The first byte picks
 * the parser; the rest is the line. (CSV logs, whole: fuzz_import_csv.c.)
 * A parser must either fill a record whose datum encodes and decodes
 * back, or fail with a one-line message, never crash or leak (ASan,
 * UBSan). Built and run by scripts/fuzz.sh. */
#include "import_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *line = (const char *)data + 1;
    size_t len = size - 1;
    purr_import_record rec;
    char err[200];
    int rc;
    if (data[0] % 2 == 0) {
        rc = purr__import_parse_jsonl_line(line, len, &rec, err, sizeof err);
    } else {
        int64_t t;
        purr__time_format f = (purr__time_format)(data[0] / 2 % 6);
        if (purr__time_parse(line, len, f, &t) == 0 && t < 0 &&
            f != PURR__TIME_ISO8601)
            abort(); /* relative times are never negative */
        return 0;
    }
    if (rc < 0) {
        if (strchr(err, '\n'))
            abort(); /* messages are one line */
        if (rec.datum.type != PURR_T_NIL)
            abort(); /* nothing is left to free on failure */
        return 0;
    }
    if (rec.time_ns < 0 || rec.value[0] == '\0')
        abort();
    size_t n = purr_datum_encode(&rec.datum, NULL, 0);
    uint8_t *buf = malloc(n ? n : 1);
    purr_datum back;
    if (!buf || purr_datum_encode(&rec.datum, buf, n) != n ||
        purr_datum_decode(buf, n, &back) < 0 ||
        !purr_datum_equal(&rec.datum, &back))
        abort();
    purr_datum_free(&back);
    free(buf);
    purr_datum_free(&rec.datum);
    return 0;
}
