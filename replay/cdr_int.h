/* cdr_int.h - ROS 2 message layouts (replay/cdr.c) and the CDR reader
 * that takes one field out of a serialized message (replay/cdr_read.c),
 * for the rosbag2 and MCAP importers.
 *
 * A schema is a message type with every type it uses, parsed from ROS 2
 * .msg text (the "ros2msg" definitions MCAP files and newer rosbag2 files
 * carry, several types separated by "=====" lines and "MSG: pkg/Type"
 * headers) or taken from purr's built-in definitions of the common types
 * (std_msgs primitives, sensor_msgs/BatteryState and Range,
 * geometry_msgs/Twist, with the Header, Time and Vector3 they use) when a
 * file names a type without defining it. A field path ("percentage",
 * "linear.x", "cell_voltage[0]", "header.stamp.sec") is compiled once
 * against a schema and then extracts its datum from each message.
 *
 * Messages are plain CDR (XCDR1) with the 4-byte encapsulation header,
 * little or big endian; alignment is counted from the end of that header.
 * Every read is bounds-checked and the work per message is bounded by its
 * length (each element of an array takes at least one byte), so a hostile
 * message fails with a message, never a crash or a long loop.
 */
#ifndef PURR_CDR_INT_H
#define PURR_CDR_INT_H

#include "purr/datum.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The primitive kinds of .msg fields (byte and char read as uint8). */
typedef enum purr__cdr_prim {
    PURR__CDR_BOOL = 1,
    PURR__CDR_INT8,
    PURR__CDR_UINT8,
    PURR__CDR_INT16,
    PURR__CDR_UINT16,
    PURR__CDR_INT32,
    PURR__CDR_UINT32,
    PURR__CDR_INT64,
    PURR__CDR_UINT64,
    PURR__CDR_FLOAT32,
    PURR__CDR_FLOAT64,
    PURR__CDR_STRING,
    PURR__CDR_STRUCT /* a message type: purr__cdr_field.type */
} purr__cdr_prim;

/* How many of a field there are. */
typedef enum purr__cdr_shape {
    PURR__CDR_ONE = 0,  /* a single value */
    PURR__CDR_FIXED,    /* T[N]: exactly count values, no length */
    PURR__CDR_SEQUENCE  /* T[] or T[<=N]: a uint32 count, then the values */
} purr__cdr_shape;

typedef struct purr__cdr_field {
    char *name;       /* the field's name (heap) */
    char *type_name;  /* as written in the .msg (heap; for messages) */
    uint8_t prim;     /* purr__cdr_prim */
    uint8_t shape;    /* purr__cdr_shape */
    uint32_t count;   /* PURR__CDR_FIXED: N */
    uint32_t type;    /* PURR__CDR_STRUCT: index in the schema's types,
                         set when the schema is resolved */
} purr__cdr_field;

typedef struct purr__cdr_type {
    char *name;              /* "pkg/Type" (no "/msg/"), heap */
    purr__cdr_field *fields; /* in order (heap); never empty: an empty
                                message has one uint8, as ROS 2 sends */
    uint32_t nfields;
} purr__cdr_type;

/* A message type and every type it uses: types[0] is the message. */
typedef struct purr__cdr_schema {
    purr__cdr_type *types;
    uint32_t ntypes;
} purr__cdr_schema;

/* Most steps in a field path. */
#define PURR__CDR_PATH_MAX 16

/* A compiled field path: one step per name, each maybe indexed. */
typedef struct purr__cdr_path {
    struct {
        uint32_t type;  /* the message type the step's field is in */
        uint32_t field; /* index in that type's fields */
        int64_t index;  /* the array element, or -1 */
    } steps[PURR__CDR_PATH_MAX];
    uint32_t nsteps;
    bool whole;         /* ends on an array of primitives: a tuple */
} purr__cdr_path;

/* "pkg/msg/Type" or "pkg/Type" to "pkg/Type" in out (cap bytes). */
void purr__cdr_type_norm(const char *name, char *out, size_t cap);

/* True when purr has a built-in definition of type (either spelling). */
bool purr__cdr_builtin_has(const char *type);

/* Loads the schema of message type `type` into s (zeroed first): from
 * the .msg text (len bytes; several definitions separated as MCAP's
 * ros2msg schemas are) when text is not NULL and not empty, else from
 * the built-in definitions. Types the text uses but does not define come
 * from the built-ins. Returns 0, or PURR_EFORMAT with a one-line message
 * in err (an unknown type, a bad line, a type that contains itself);
 * s is then empty. */
int purr__cdr_schema_load(purr__cdr_schema *s, const char *type,
                          const char *text, size_t len, char *err,
                          size_t errcap);
/* Frees what load allocated (an empty or zeroed schema is fine). */
void purr__cdr_schema_free(purr__cdr_schema *s);

/* Compiles a field path against s. Returns 0, or PURR_EFORMAT with a
 * one-line message in err naming the field and the type. */
int purr__cdr_path_compile(const purr__cdr_schema *s, const char *path,
                           purr__cdr_path *out, char *err, size_t errcap);

/* Takes path's field out of one serialized message (len bytes, the
 * encapsulation header first) into *out: bool as bool; integers as int
 * (a uint64 above INT64_MAX is an error); float32/64 as double (float32
 * widened exactly); string as string; a whole array of primitives as a
 * tuple. Returns 0, or PURR_EFORMAT with a one-line message in err (bad
 * header, message too short, index past a sequence's end); *out is then
 * nil. */
int purr__cdr_extract(const purr__cdr_schema *s, const purr__cdr_path *path,
                      const uint8_t *msg, size_t len, purr_datum *out,
                      char *err, size_t errcap);

/* printf into err (cap bytes), control bytes made '?': one line, whatever
 * names a file holds. Shared by cdr.c and cdr_read.c. */
void purr__cdr_errf(char *err, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif /* PURR_CDR_INT_H */
