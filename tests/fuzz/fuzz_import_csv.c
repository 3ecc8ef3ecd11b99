/* fuzz_import_csv.c - libFuzzer target for the CSV log reader
 * (replay/import_csv.c and the block reader under it): arbitrary bytes as
 * a whole CSV log, long or wide, read to its end or its first error. The
 * first byte picks the time format and whether times are epoch times; the
 * rest is the file, handed to the reader through a memfd. Every update
 * must be of a schema input and of its type, every error one line naming
 * the log; nothing may crash or leak (ASan, UBSan). Built and run by
 * scripts/fuzz.sh. */
#define _GNU_SOURCE
#include "import_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const purr_import_input in[] = {
        {"bumper", PURR_T_BOOL, {.type = PURR_T_BOOL}},
        {"ticks", PURR_T_INT, {.type = PURR_T_INT}},
        {"battery", PURR_T_DOUBLE, {.type = PURR_T_DOUBLE}},
        {"label", PURR_T_STRING, {.type = PURR_T_NIL}},
    };
    const purr_import_schema schema = {.source = "fuzz", .inputs = in,
                                       .count = 4};
    purr__import_map map;
    memset(&map, 0, sizeof map);
    map.time_format = (purr__time_format)(data[0] % 6);
    map.epoch = data[0] & 0x40 ? 1 : -1;

    int fd = memfd_create("fuzz.csv", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    purr__import_ctx ctx = {.path = path, .schema = &schema, .map = &map};
    purr__log_src *src = NULL;
    purr_diag diag;
    memset(&diag, 0, sizeof diag);
    int rc = purr__import_open_csv(&ctx, &src, &diag);
    while (rc == 0) {
        purr__log_rec rec;
        int n = src->next(src, &rec, &diag);
        if (n < 0) {
            rc = n;
            break;
        }
        if (n == 0)
            break;
        if (rec.input >= schema.count ||
            rec.datum.type != in[rec.input].type)
            abort(); /* an update of an input, of its type */
        if (rec.datum.type == PURR_T_STRING &&
            strlen(rec.datum.u.s) > rec.datum.len)
            abort(); /* a borrowed string ends at its length or before */
        if (!src->absolute && rec.time_ns < 0)
            abort(); /* relative times are never negative */
    }
    if (rc < 0 && (strchr(diag.message, '\n') || !diag.message[0]))
        abort(); /* messages are one line */
    purr__log_src_close(src);
    close(fd);
    return 0;
}
