/* test_cdr.c - purr's CDR decoder (replay/cdr.c) against messages written
 * by an independent implementation (tests/oracles/cdr-write.mjs:
 * @foxglove/rosmsg2-serialization and @foxglove/cdr), little and big
 * endian, every built-in type and field path shape; plus the schema parser
 * and every way a message or a path can be wrong. */
#include "cdr_int.h"
#include "oracle.h"
#include "purr_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char dir[256];

static void
setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/purr_test_cdr.%d", (int)getpid());
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    cr_assert_eq(system(cmd), 0);
    char args[300], out[4096];
    snprintf(args, sizeof args, "'%s'", dir);
    cr_assert_eq(purr_oracle_run("cdr-write.mjs", args, out, sizeof out), 0);
}

static void
teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)system(cmd);
}

TestSuite(cdr, .init = setup, .fini = teardown);

/* The bytes of one oracle case (malloc'd). */
static uint8_t *
load_case(const char *name, size_t *len)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s.cdr", dir, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "no oracle output %s", path);
    uint8_t *buf = malloc(1 << 16);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

/* Extracts path of type from case name into *out (built-in schema). */
static int
extract(const char *name, const char *type, const char *path,
        purr_datum *out, char *err)
{
    purr__cdr_schema s;
    purr__cdr_path p;
    int rc = purr__cdr_schema_load(&s, type, NULL, 0, err, 256);
    cr_assert_eq(rc, 0, "%s: %s", type, err);
    rc = purr__cdr_path_compile(&s, path, &p, err, 256);
    cr_assert_eq(rc, 0, "%s: %s", path, err);
    size_t len;
    uint8_t *msg = load_case(name, &len);
    rc = purr__cdr_extract(&s, &p, msg, len, out, err, 256);
    free(msg);
    purr__cdr_schema_free(&s);
    return rc;
}

static void
expect_int(const char *name, const char *type, const char *path, int64_t want)
{
    purr_datum d;
    char err[256];
    purr_assert_ok(extract(name, type, path, &d, err));
    cr_assert_eq(d.type, PURR_T_INT, "%s %s: type %d", name, path, d.type);
    cr_assert_eq(d.u.i, want, "%s %s: %lld, want %lld", name, path,
                 (long long)d.u.i, (long long)want);
}

static void
expect_double(const char *name, const char *type, const char *path,
              double want)
{
    purr_datum d;
    char err[256];
    purr_assert_ok(extract(name, type, path, &d, err));
    cr_assert_eq(d.type, PURR_T_DOUBLE, "%s %s: type %d", name, path, d.type);
    cr_assert(memcmp(&d.u.d, &want, 8) == 0, "%s %s: %.17g, want %.17g",
              name, path, d.u.d, want);
}

static void
expect_string(const char *name, const char *type, const char *path,
              const char *want)
{
    purr_datum d;
    char err[256];
    purr_assert_ok(extract(name, type, path, &d, err));
    cr_assert_eq(d.type, PURR_T_STRING);
    cr_assert_str_eq(d.u.s, want);
    purr_datum_free(&d);
}

Test(cdr, std_msgs_primitives)
{
    purr_datum d;
    char err[256];
    purr_assert_ok(extract("bool", "std_msgs/msg/Bool", "data", &d, err));
    cr_assert(d.type == PURR_T_BOOL && d.u.b);
    expect_int("int8", "std_msgs/msg/Int8", "data", -5);
    expect_int("uint8", "std_msgs/msg/UInt8", "data", 250);
    expect_int("int16", "std_msgs/msg/Int16", "data", -30000);
    expect_int("uint16", "std_msgs/msg/UInt16", "data", 65000);
    expect_int("int32", "std_msgs/msg/Int32", "data", -2000000000);
    expect_int("uint32", "std_msgs/msg/UInt32", "data", 4000000000LL);
    expect_int("int64", "std_msgs/msg/Int64", "data",
               -9000000000000000000LL);
    expect_int("uint64", "std_msgs/msg/UInt64", "data", 12345678901234LL);
    /* A float32 is widened exactly: the double of the float nearest 0.1. */
    expect_double("float32", "std_msgs/msg/Float32", "data", (double)0.1f);
    expect_double("float64", "std_msgs/msg/Float64", "data", -2.5e-300);
    expect_string("string", "std_msgs/msg/String", "data", "purr, purr");
}

Test(cdr, uint64_beyond_int64_is_an_error)
{
    purr_datum d;
    char err[256];
    purr_assert_err(extract("uint64_big", "std_msgs/msg/UInt64", "data", &d,
                            err),
                    PURR_ERANGE);
    cr_assert(strstr(err, "18000000000000000000"), "%s", err);
    cr_assert_eq(d.type, PURR_T_NIL);
}

Test(cdr, battery_state_fields)
{
    const char *t = "sensor_msgs/msg/BatteryState";
    expect_double("battery", t, "percentage", (double)0.87f);
    expect_double("battery", t, "voltage", 12.5);
    expect_double("battery", t, "current", -1.5);
    expect_int("battery", t, "power_supply_technology", 3);
    expect_int("battery", t, "header.stamp.sec", 1700000000);
    expect_int("battery", t, "header.stamp.nanosec", 5);
    expect_string("battery", t, "header.frame_id", "base_link");
    expect_double("battery", t, "cell_voltage[0]", (double)3.7f);
    expect_double("battery", t, "cell_voltage[2]", (double)3.8f);
    expect_string("battery", t, "location", "slot 1");
    expect_string("battery", t, "serial_number", "SN-42");
    purr_datum d;
    char err[256];
    purr_assert_ok(extract("battery", t, "present", &d, err));
    cr_assert(d.type == PURR_T_BOOL && d.u.b);
    /* A whole array of primitives is a tuple. */
    purr_assert_ok(extract("battery", t, "cell_voltage", &d, err));
    cr_assert_eq(d.type, PURR_T_TUPLE);
    cr_assert_eq(d.len, 3);
    cr_assert_eq(d.u.items[1].u.d, (double)3.75f);
    purr_datum_free(&d);
    purr_assert_ok(extract("battery", t, "cell_temperature", &d, err));
    cr_assert(d.type == PURR_T_TUPLE && d.len == 0);
    /* Past the end of a sequence of this message. */
    purr_assert_err(extract("battery", t, "cell_voltage[3]", &d, err),
                    PURR_EFORMAT);
    cr_assert(strstr(err, "index 3 past the end of 'cell_voltage' (3"),
              "%s", err);
}

Test(cdr, range_and_twist)
{
    const char *r = "sensor_msgs/msg/Range";
    expect_double("range", r, "range", 1.25);
    expect_double("range", r, "min_range", (double)0.02f);
    expect_int("range", r, "radiation_type", 1);
    expect_string("range", r, "header.frame_id", "sonar_front");
    const char *t = "geometry_msgs/msg/Twist";
    expect_double("twist", t, "linear.x", 0.5);
    expect_double("twist", t, "angular.z", -1.25);
    expect_double("twist", t, "linear.y", 0.0);
}

Test(cdr, big_endian)
{
    expect_double("twist_be", "geometry_msgs/msg/Twist", "linear.x", 0.5);
    expect_double("twist_be", "geometry_msgs/msg/Twist", "angular.z", -1.25);
    const char *t = "sensor_msgs/msg/BatteryState";
    expect_double("battery_be", t, "percentage", 0.25);
    expect_int("battery_be", t, "header.stamp.sec", 1700000000);
    expect_double("battery_be", t, "cell_voltage[1]", (double)3.75f);
    expect_string("battery_be", t, "serial_number", "SN-42");
    expect_int("int64_be", "std_msgs/msg/Int64", "data", -42);
}

/* The oracle's .msg text (as an MCAP schema carries it) parses to the
 * same layout as the built-in one. */
Test(cdr, schema_text_with_dependencies)
{
    static const char text[] =
        "# a comment line\n"
        "uint8 POWER_SUPPLY_STATUS_CHARGING = 1\n"
        "std_msgs/Header  header\n"
        "float32 voltage\nfloat32 temperature\nfloat32 current\n"
        "float32 charge\nfloat32 capacity\nfloat32 design_capacity\n"
        "float32 percentage   # 0 to 1\n"
        "uint8 power_supply_status\nuint8 power_supply_health\n"
        "uint8 power_supply_technology\nbool present\n"
        "float32[] cell_voltage\nfloat32[] cell_temperature\n"
        "string location\nstring<=32 serial_number\n"
        "================================================================"
        "================\n"
        "MSG: std_msgs/Header\n"
        "builtin_interfaces/Time stamp\nstring frame_id\n"
        "================================================================"
        "================\n"
        "MSG: builtin_interfaces/Time\n"
        "int32 sec\nuint32 nanosec\n";
    purr__cdr_schema s;
    purr__cdr_path p;
    char err[256];
    purr_assert_ok(purr__cdr_schema_load(&s, "sensor_msgs/msg/BatteryState",
                                         text, strlen(text), err, sizeof err));
    cr_assert_eq(s.ntypes, 3);
    cr_assert_eq(s.types[0].nfields, 16, "the constant is not a field");
    purr_assert_ok(purr__cdr_path_compile(&s, "serial_number", &p, err,
                                          sizeof err));
    size_t len;
    uint8_t *msg = load_case("battery", &len);
    purr_datum d;
    purr_assert_ok(purr__cdr_extract(&s, &p, msg, len, &d, err, sizeof err));
    cr_assert_str_eq(d.u.s, "SN-42");
    purr_datum_free(&d);
    free(msg);
    purr__cdr_schema_free(&s);
}

Test(cdr, bad_paths_name_the_field_and_type)
{
    purr__cdr_schema s;
    purr__cdr_path p;
    char err[256];
    purr_assert_ok(purr__cdr_schema_load(&s, "sensor_msgs/msg/BatteryState",
                                         NULL, 0, err, sizeof err));
    purr_assert_err(purr__cdr_path_compile(&s, "percent", &p, err, sizeof err),
                    PURR_EFORMAT);
    cr_assert(strstr(err, "no field 'percent' in sensor_msgs/BatteryState"),
              "%s", err);
    purr_assert_err(purr__cdr_path_compile(&s, "header.stamp.secs", &p, err,
                                           sizeof err),
                    PURR_EFORMAT);
    cr_assert(strstr(err, "no field 'secs' in builtin_interfaces/Time"), "%s",
              err);
    purr_assert_err(purr__cdr_path_compile(&s, "header", &p, err, sizeof err),
                    PURR_EFORMAT);
    cr_assert(strstr(err, "name one of its fields"), "%s", err);
    purr_assert_err(purr__cdr_path_compile(&s, "voltage[0]", &p, err,
                                           sizeof err),
                    PURR_EFORMAT);
    cr_assert(strstr(err, "not an array"), "%s", err);
    purr_assert_err(purr__cdr_path_compile(&s, "voltage.x", &p, err,
                                           sizeof err),
                    PURR_EFORMAT);
    purr_assert_err(purr__cdr_path_compile(&s, "cell_voltage[x]", &p, err,
                                           sizeof err),
                    PURR_EFORMAT);
    purr_assert_err(purr__cdr_path_compile(&s, "", &p, err, sizeof err),
                    PURR_EFORMAT);
    purr__cdr_schema_free(&s);
}

Test(cdr, unknown_and_recursive_types)
{
    purr__cdr_schema s;
    char err[256];
    purr_assert_err(purr__cdr_schema_load(&s, "nav_msgs/msg/Odometry", NULL, 0,
                                          err, sizeof err),
                    PURR_EFORMAT);
    cr_assert(strstr(err, "unknown message type 'nav_msgs/msg/Odometry'"),
              "%s", err);
    static const char missing[] = "pkg/Other o\n";
    purr_assert_err(purr__cdr_schema_load(&s, "pkg/msg/T", missing,
                                          strlen(missing), err, sizeof err),
                    PURR_EFORMAT);
    cr_assert(strstr(err, "unknown message type 'pkg/Other'"), "%s", err);
    static const char self[] = "T inner\n";
    purr_assert_err(purr__cdr_schema_load(&s, "pkg/msg/T", self, strlen(self),
                                          err, sizeof err),
                    PURR_EFORMAT);
    cr_assert(strstr(err, "contains itself"), "%s", err);
    /* Through a sequence it is fine: the data ends it. */
    static const char tree[] = "int32 v\nT[] children\n";
    purr_assert_ok(purr__cdr_schema_load(&s, "pkg/msg/T", tree, strlen(tree),
                                         err, sizeof err));
    purr__cdr_schema_free(&s);
    static const char wide[] = "wstring w\n";
    purr_assert_err(purr__cdr_schema_load(&s, "pkg/msg/W", wide, strlen(wide),
                                          err, sizeof err),
                    PURR_EFORMAT);
}

Test(cdr, bad_messages_are_refused)
{
    purr__cdr_schema s;
    purr__cdr_path p;
    char err[256];
    purr_datum d;
    purr_assert_ok(purr__cdr_schema_load(&s, "geometry_msgs/msg/Twist", NULL,
                                         0, err, sizeof err));
    purr_assert_ok(purr__cdr_path_compile(&s, "angular.z", &p, err,
                                          sizeof err));
    size_t len;
    uint8_t *msg = load_case("twist", &len);
    cr_assert_eq(len, 4 + 6 * 8);
    /* One byte short. */
    purr_assert_err(purr__cdr_extract(&s, &p, msg, len - 1, &d, err,
                                      sizeof err),
                    PURR_EFORMAT);
    cr_assert(strstr(err, "message too short"), "%s", err);
    cr_assert_eq(d.type, PURR_T_NIL);
    /* No room for the header. */
    purr_assert_err(purr__cdr_extract(&s, &p, msg, 3, &d, err, sizeof err),
                    PURR_EFORMAT);
    /* XCDR2 and parameter lists are not plain CDR. */
    msg[1] = 0x07;
    purr_assert_err(purr__cdr_extract(&s, &p, msg, len, &d, err, sizeof err),
                    PURR_EFORMAT);
    cr_assert(strstr(err, "encapsulation 0x0007"), "%s", err);
    free(msg);
    purr__cdr_schema_free(&s);

    /* A string whose length runs past the end. */
    purr_assert_ok(purr__cdr_schema_load(&s, "std_msgs/String", NULL, 0, err,
                                         sizeof err));
    purr_assert_ok(purr__cdr_path_compile(&s, "data", &p, err, sizeof err));
    static const uint8_t bad[] = {0, 1, 0, 0, 0xff, 0xff, 0xff, 0x7f, 'a'};
    purr_assert_err(purr__cdr_extract(&s, &p, bad, sizeof bad, &d, err,
                                      sizeof err),
                    PURR_EFORMAT);
    purr__cdr_schema_free(&s);
}

Test(cdr, type_names_normalise)
{
    char out[64];
    purr__cdr_type_norm("sensor_msgs/msg/Range", out, sizeof out);
    cr_assert_str_eq(out, "sensor_msgs/Range");
    purr__cdr_type_norm("sensor_msgs/Range", out, sizeof out);
    cr_assert_str_eq(out, "sensor_msgs/Range");
    cr_assert(purr__cdr_builtin_has("std_msgs/msg/UInt16"));
    cr_assert(!purr__cdr_builtin_has("std_msgs/msg/Float16"));
}
