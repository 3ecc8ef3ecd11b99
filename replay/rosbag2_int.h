/* rosbag2_int.h - reading a rosbag2 SQLite file (.db3) (replay/rosbag2.c)
 * for the rosbag2 importer (replay/import_bin.c).
 *
 * Every storage schema rosbag2's sqlite3 plug-in has written is read; the
 * version is told from the tables and columns present, as rosbag2 itself
 * does:
 *   1  topics(id, name, type, serialization_format), messages(id,
 *      topic_id, timestamp, data)                       (Dashing, Eloquent)
 *   2  topics gains offered_qos_profiles                 (Foxy, Galactic)
 *   3  a schema(schema_version, ros_distro) table and a metadata(id,
 *      metadata_version, metadata) table (the bag's metadata as YAML)
 *                                                        (Humble)
 *   4  topics gains type_description_hash; a message_definitions(id,
 *      topic_type, encoding, encoded_message_definition,
 *      type_description_hash) table                      (Iron, Jazzy)
 * From version 4 a topic's type is defined in the file (encoding
 * "ros2msg"), and that definition is used; otherwise the importer falls
 * back on purr's built-in types (cdr_int.h).
 *
 * Messages come out in (timestamp, id) order, the order rosbag2 plays
 * them (file after file for a split bag), from one SQLite statement stepped row by row: constant memory
 * whether or not the file has rosbag2's timestamp index (without it SQLite
 * sorts the (timestamp, id) keys only, in its external sorter, never the
 * messages).
 */
#ifndef PURR_ROSBAG2_INT_H
#define PURR_ROSBAG2_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct purr__rosbag2_topic {
    char *name;          /* "/battery_state" (heap) */
    char *type;          /* "sensor_msgs/msg/BatteryState" (heap) */
    char *format;        /* serialization_format: "cdr" (heap) */
    char *definition;    /* the ros2msg definition from the file (heap),
                            or NULL (before version 4, or not ros2msg) */
    size_t definition_len;
} purr__rosbag2_topic;

/* One message, borrowed until the next call of next or close. */
typedef struct purr__rosbag2_msg {
    size_t topic;        /* index in the reader's topics */
    int64_t time_ns;     /* timestamp: ns since the Unix epoch */
    const uint8_t *data;
    size_t len;
    uint64_t number;     /* 1-based, in the order read */
} purr__rosbag2_msg;

typedef struct purr__rosbag2 {
    void *db;                     /* sqlite3 * of the file being read */
    void *stmt;                   /* sqlite3_stmt *: its messages */
    char **files;                 /* the .db3 files, in order (heap) */
    size_t nfiles;
    size_t file;                  /* the one being read */
    int64_t *fmap_id;             /* this file's topic ids ... */
    size_t *fmap_topic;           /* ... and their index in topics */
    size_t nfmap;
    bool *want;                   /* by topic index: read its messages */
    int schema_version;           /* 1 to 4 (or what the schema table says) */
    int metadata_version;         /* the metadata table's latest, or 0 */
    char ros_distro[32];          /* the schema table's, or "" */
    bool has_index;               /* messages has an index on timestamp */
    purr__rosbag2_topic *topics;  /* in topics.id order */
    size_t ntopics;
    int64_t start_ns;             /* the earliest timestamp of any topic */
    int64_t max_id;               /* the largest message id (progress) */
    uint64_t messages;            /* messages read so far */
    uint64_t size;                /* the files' size in bytes */
    char err[320];                /* the last error, one line */
} purr__rosbag2;

/* Opens the .db3 at path read-only, tells its schema version and reads its
 * topics (and definitions). path may also be a split bag: a directory
 * whose metadata.yaml (rosbag2_bagfile_information, storage_identifier
 * sqlite3) lists its .db3 files in relative_file_paths; they are read one
 * after the other, their topics merged by name. Returns 0, or PURR_ENOENT
 * / PURR_EFORMAT with b->err set (close b even then). */
int purr__rosbag2_open(purr__rosbag2 *b, const char *path);
/* Starts reading the messages of the topics whose indexes (in b->topics)
 * are in want (n of them; n == 0: every topic). Returns 0 or PURR_EFORMAT
 * with b->err set. */
int purr__rosbag2_start(purr__rosbag2 *b, const size_t *want, size_t n);
/* The next message into *m (out). Returns 1, 0 at the end, or a negative
 * PURR_E* code with b->err set. */
int purr__rosbag2_next(purr__rosbag2 *b, purr__rosbag2_msg *m);
/* Closes the file and frees everything (a zeroed or failed one is fine). */
void purr__rosbag2_close(purr__rosbag2 *b);

#endif /* PURR_ROSBAG2_INT_H */
