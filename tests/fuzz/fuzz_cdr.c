/* fuzz_cdr.c - libFuzzer target for purr's CDR decoder (replay/cdr.c):
 * the .msg schema parser, the field-path compiler and the message reader
 * on arbitrary bytes. With the first byte's high bit clear, a built-in
 * type and one of its paths are picked by the first two bytes and the rest
 * is the message; with it set, the input is "schema text NUL path NUL
 * message". Every call must either succeed (a datum that encodes and
 * decodes back) or fail with a one-line message, never crash, leak or
 * loop (ASan, UBSan). Built and run by scripts/fuzz.sh. */
#include "cdr_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
    const char *type, *path;
} cases[] = {
    {"sensor_msgs/msg/BatteryState", "percentage"},
    {"sensor_msgs/msg/BatteryState", "cell_voltage[2]"},
    {"sensor_msgs/msg/BatteryState", "cell_temperature"},
    {"sensor_msgs/msg/BatteryState", "serial_number"},
    {"sensor_msgs/msg/BatteryState", "header.stamp.nanosec"},
    {"sensor_msgs/msg/Range", "range"},
    {"geometry_msgs/msg/Twist", "angular.z"},
    {"std_msgs/msg/String", "data"},
    {"std_msgs/msg/Bool", "data"},
    {"std_msgs/msg/UInt64", "data"},
    {"std_msgs/msg/Float32", "data"},
    {"std_msgs/msg/Int16", "data"},
};

static void
check(const purr__cdr_schema *s, const purr__cdr_path *p, const uint8_t *msg,
      size_t len)
{
    purr_datum d;
    char err[256];
    if (purr__cdr_extract(s, p, msg, len, &d, err, sizeof err) < 0) {
        if (strchr(err, '\n') || d.type != PURR_T_NIL)
            abort(); /* one line, nothing left to free */
        return;
    }
    size_t n = purr_datum_encode(&d, NULL, 0);
    uint8_t *buf = malloc(n ? n : 1);
    purr_datum back;
    if (!buf || purr_datum_encode(&d, buf, n) != n ||
        purr_datum_decode(buf, n, &back) < 0 || !purr_datum_equal(&d, &back))
        abort();
    purr_datum_free(&back);
    free(buf);
    purr_datum_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    purr__cdr_schema s;
    purr__cdr_path p;
    char err[256];
    if (!(data[0] & 0x80)) {
        size_t k = data[0] % (sizeof cases / sizeof cases[0]);
        if (purr__cdr_schema_load(&s, cases[k].type, NULL, 0, err,
                                  sizeof err) < 0 ||
            purr__cdr_path_compile(&s, cases[k].path, &p, err, sizeof err) <
                0)
            abort(); /* the built-ins always load */
        check(&s, &p, data + 2, size - 2);
        purr__cdr_schema_free(&s);
        return 0;
    }
    const char *text = (const char *)data + 1;
    const char *z1 = memchr(text, '\0', size - 1);
    if (!z1)
        return 0;
    const char *path = z1 + 1;
    const char *end = (const char *)data + size;
    const char *z2 = memchr(path, '\0', (size_t)(end - path));
    if (!z2)
        return 0;
    if (purr__cdr_schema_load(&s, "fuzz/msg/T", text, (size_t)(z1 - text),
                              err, sizeof err) < 0) {
        if (strchr(err, '\n') || s.ntypes != 0)
            abort();
        return 0;
    }
    if (purr__cdr_path_compile(&s, path, &p, err, sizeof err) == 0)
        check(&s, &p, (const uint8_t *)z2 + 1, (size_t)(end - z2 - 1));
    else if (strchr(err, '\n'))
        abort();
    purr__cdr_schema_free(&s);
    return 0;
}
