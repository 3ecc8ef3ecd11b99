/* rosbag2.c - reading rosbag2's SQLite storage (.db3): the schema version
 * from the tables present, the topics, their definitions, and the
 * messages in timestamp order through one stepped statement.
 *
 * SQLite is used read-only and the way it documents it: each
 * statement prepared once, every rc checked, errors made one line from
 * sqlite3_errmsg. See rosbag2_int.h for the versions and the contract.
 */
#include "rosbag2_int.h"

#include "purr/core.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

static int
fail(purr__rosbag2 *b, int rc, const char *fmt, ...)
{
    va_list ap;
    int n = 0;
    if (b->nfiles > 1 && b->file < b->nfiles) {
        const char *f = strrchr(b->files[b->file], '/');
        n = snprintf(b->err, sizeof b->err, "%s: ",
                     f ? f + 1 : b->files[b->file]);
        if (n < 0 || (size_t)n >= sizeof b->err)
            n = 0;
    }
    va_start(ap, fmt);
    vsnprintf(b->err + n, sizeof b->err - (size_t)n, fmt, ap);
    va_end(ap);
    for (char *c = b->err; *c; c++) /* one line, whatever the file holds */
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return rc;
}

static char *
dup_col(sqlite3_stmt *st, int col, size_t *len)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    char *p = malloc(n + 1);
    if (!p)
        abort(); /* out of memory panics, as purr's copies do */
    if (t)
        memcpy(p, t, n);
    p[t ? n : 0] = '\0';
    if (len)
        *len = t ? n : 0;
    return p;
}

/* Runs a query that returns one integer (0 when no row). */
static int
query_int(purr__rosbag2 *b, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    *out = 0;
    if (sqlite3_prepare_v2(b->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(b, PURR_EFORMAT, "not a rosbag2 file (%s)",
                    sqlite3_errmsg(b->db));
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(b, PURR_EFORMAT, "not a rosbag2 file (%s)",
                    sqlite3_errmsg(b->db));
    return 0;
}

static int
has_table(purr__rosbag2 *b, const char *table, bool *yes)
{
    char sql[200];
    int64_t n;
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
             "name = '%s'", table);
    int rc = query_int(b, sql, &n);
    *yes = n > 0;
    return rc;
}

static int
has_column(purr__rosbag2 *b, const char *table, const char *col, bool *yes)
{
    char sql[200];
    int64_t n;
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
             table, col);
    int rc = query_int(b, sql, &n);
    *yes = n > 0;
    return rc;
}

/* The schema and metadata tables (version 3 on). */
static int
read_versions(purr__rosbag2 *b)
{
    bool schema, metadata, qos;
    int rc;
    if ((rc = has_table(b, "schema", &schema)) < 0 ||
        (rc = has_table(b, "metadata", &metadata)) < 0 ||
        (rc = has_column(b, "topics", "offered_qos_profiles", &qos)) < 0)
        return rc;
    if (schema) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(b->db,
                               "SELECT schema_version, ros_distro FROM schema",
                               -1, &st, NULL) != SQLITE_OK)
            return fail(b, PURR_EFORMAT, "its schema table is not rosbag2's "
                        "(%s)", sqlite3_errmsg(b->db));
        if (sqlite3_step(st) == SQLITE_ROW) {
            b->schema_version = sqlite3_column_int(st, 0);
            const unsigned char *d = sqlite3_column_text(st, 1);
            snprintf(b->ros_distro, sizeof b->ros_distro, "%s",
                     d ? (const char *)d : "");
            for (char *c = b->ros_distro; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                    *c = '?';
        }
        sqlite3_finalize(st);
        if (b->schema_version < 3)
            return fail(b, PURR_EFORMAT, "its schema table gives no "
                        "schema_version of 3 or more");
    } else {
        b->schema_version = qos ? 2 : 1;
    }
    if (metadata) {
        int64_t v;
        if ((rc = query_int(b, "SELECT metadata_version FROM metadata "
                               "ORDER BY id DESC LIMIT 1", &v)) < 0)
            return rc;
        b->metadata_version = (int)v;
    }
    return 0;
}

/* The definitions of version 4: the ros2msg one of each type. */
static int
read_definitions(purr__rosbag2 *b)
{
    bool defs;
    int rc = has_table(b, "message_definitions", &defs);
    if (rc < 0 || !defs)
        return rc;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(b->db,
                           "SELECT topic_type, encoding, "
                           "encoded_message_definition FROM "
                           "message_definitions ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(b, PURR_EFORMAT, "its message_definitions table is not "
                    "rosbag2's (%s)", sqlite3_errmsg(b->db));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 0);
        const char *enc = (const char *)sqlite3_column_text(st, 1);
        if (!type || !enc || strcmp(enc, "ros2msg") != 0 ||
            sqlite3_column_bytes(st, 2) == 0)
            continue; /* ros2idl or unknown: the built-ins serve */
        for (size_t i = 0; i < b->ntopics; i++) {
            purr__rosbag2_topic *t = &b->topics[i];
            if (!t->definition && strcmp(t->type, type) == 0)
                t->definition = dup_col(st, 2, &t->definition_len);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(b, PURR_EFORMAT, "cannot read message_definitions (%s)",
                    sqlite3_errmsg(b->db));
    return 0;
}

/* Reads this file's topics: merges them into b->topics by name (a new
 * name is added) and maps this file's ids to them (fmap, by id). */
static int
read_topics(purr__rosbag2 *b)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(b->db,
                           "SELECT id, name, type, serialization_format FROM "
                           "topics ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(b, PURR_EFORMAT, "its topics table is not rosbag2's (%s)",
                    sqlite3_errmsg(b->db));
    b->nfmap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        size_t k;
        for (k = 0; k < b->ntopics; k++)
            if (strcmp(b->topics[k].name, name ? name : "") == 0)
                break;
        if (k == b->ntopics) {
            purr__rosbag2_topic *a =
                realloc(b->topics, (b->ntopics + 1) * sizeof *a);
            if (!a)
                abort();
            b->topics = a;
            a[b->ntopics++] = (purr__rosbag2_topic){
                .name = dup_col(st, 1, NULL),
                .type = dup_col(st, 2, NULL),
                .format = dup_col(st, 3, NULL),
            };
        }
        int64_t *ids = realloc(b->fmap_id, (b->nfmap + 1) * sizeof *ids);
        size_t *tix = ids ? realloc(b->fmap_topic,
                                    (b->nfmap + 1) * sizeof *tix)
                          : NULL;
        if (!ids || !tix)
            abort();
        b->fmap_id = ids;
        b->fmap_topic = tix;
        ids[b->nfmap] = sqlite3_column_int64(st, 0);
        tix[b->nfmap++] = k;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(b, PURR_EFORMAT, "cannot read its topics (%s)",
                    sqlite3_errmsg(b->db));
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Split bags: metadata.yaml                                               */
/* ---------------------------------------------------------------------- */

static yaml_node_t *
map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

static void
add_file(purr__rosbag2 *b, const char *path)
{
    char **a = realloc(b->files, (b->nfiles + 1) * sizeof *a);
    if (!a || !(a[b->nfiles] = strdup(path)))
        abort();
    b->files = a;
    b->nfiles++;
}

/* Lists the .db3 files of the split bag in directory dir. */
static int
read_metadata(purr__rosbag2 *b, const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/metadata.yaml", dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(b, PURR_EFORMAT, "a directory without metadata.yaml "
                    "(a split bag has one)");
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    int ok = yaml_parser_load(&parser, &doc);
    fclose(f);
    yaml_parser_delete(&parser);
    if (!ok)
        return fail(b, PURR_EFORMAT, "metadata.yaml is not YAML");
    int rc = 0;
    yaml_node_t *info = map_get(&doc, yaml_document_get_root_node(&doc),
                                "rosbag2_bagfile_information");
    yaml_node_t *storage = map_get(&doc, info, "storage_identifier");
    yaml_node_t *files = map_get(&doc, info, "relative_file_paths");
    if (!files || files->type != YAML_SEQUENCE_NODE) {
        rc = fail(b, PURR_EFORMAT, "metadata.yaml has no "
                  "rosbag2_bagfile_information.relative_file_paths list");
    } else if (storage && storage->type == YAML_SCALAR_NODE &&
               strcmp((const char *)storage->data.scalar.value, "sqlite3")) {
        rc = fail(b, PURR_EFORMAT, "a bag of storage '%s': purr reads "
                  "sqlite3 bags (import an mcap bag's .mcap files one by "
                  "one)", (const char *)storage->data.scalar.value);
    } else {
        for (yaml_node_item_t *it = files->data.sequence.items.start;
             rc == 0 && it < files->data.sequence.items.top; it++) {
            yaml_node_t *n = yaml_document_get_node(&doc, *it);
            if (!n || n->type != YAML_SCALAR_NODE) {
                rc = fail(b, PURR_EFORMAT, "metadata.yaml: "
                          "relative_file_paths holds a non-name");
                break;
            }
            const char *rel = (const char *)n->data.scalar.value;
            /* Older rosbag2 wrote the paths with the bag's own directory
             * in front: then the name alone is tried. */
            snprintf(path, sizeof path, "%s/%s", dir, rel);
            struct stat st;
            const char *base = strrchr(rel, '/');
            if (stat(path, &st) != 0 && base)
                snprintf(path, sizeof path, "%s/%s", dir, base + 1);
            add_file(b, path);
        }
        if (rc == 0 && b->nfiles == 0)
            rc = fail(b, PURR_EFORMAT, "metadata.yaml lists no files");
    }
    yaml_document_delete(&doc);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Files                                                                   */
/* ---------------------------------------------------------------------- */

/* Opens file i (closing the one before), checks it is a bag and reads
 * its topics; the versions come from the first file. */
static int
open_file(purr__rosbag2 *b, size_t i)
{
    sqlite3_finalize(b->stmt);
    b->stmt = NULL;
    sqlite3_close(b->db);
    b->db = NULL;
    b->file = i;
    const char *path = b->files[i];
    struct stat st;
    if (stat(path, &st) != 0)
        return fail(b, PURR_ENOENT, "cannot open (no such file)");
    if (!S_ISREG(st.st_mode))
        return fail(b, PURR_EFORMAT, "not a regular file (a log must be a "
                    "file)");
    FILE *f = fopen(path, "rb");
    char head[16] = {0};
    size_t n = f ? fread(head, 1, sizeof head, f) : 0;
    if (f)
        fclose(f);
    if (n != sizeof head || memcmp(head, "SQLite format 3", 16) != 0)
        return fail(b, PURR_EFORMAT, "not a rosbag2 file (not SQLite)");
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fail(b, PURR_EFORMAT, "cannot open as SQLite (%s)",
             db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return PURR_EFORMAT;
    }
    b->db = db;
    bool topics, messages;
    int rc;
    if ((rc = has_table(b, "topics", &topics)) < 0 ||
        (rc = has_table(b, "messages", &messages)) < 0)
        return rc;
    if (!topics || !messages)
        return fail(b, PURR_EFORMAT, "not a rosbag2 file (no topics and "
                    "messages tables)");
    if ((i == 0 && (rc = read_versions(b)) < 0) ||
        (rc = read_topics(b)) < 0 || (rc = read_definitions(b)) < 0)
        return rc;
    int64_t idx;
    rc = query_int(b,
                   "SELECT count(*) FROM pragma_index_list('messages') AS l "
                   "JOIN pragma_index_info(l.name) AS i WHERE i.seqno = 0 "
                   "AND i.name = 'timestamp'",
                   &idx);
    b->has_index = idx > 0;
    return rc;
}

int
purr__rosbag2_open(purr__rosbag2 *b, const char *path)
{
    memset(b, 0, sizeof *b);
    struct stat st;
    if (stat(path, &st) != 0)
        return fail(b, PURR_ENOENT, "cannot open (no such file)");
    int rc;
    if (S_ISDIR(st.st_mode)) {
        if ((rc = read_metadata(b, path)) < 0)
            return rc;
    } else {
        add_file(b, path);
    }
    /* Every file once, for its topics, definitions and extent. */
    b->start_ns = INT64_MAX;
    for (size_t i = 0; i < b->nfiles; i++) {
        int64_t t0, max;
        if ((rc = open_file(b, i)) < 0 ||
            (rc = query_int(b, "SELECT coalesce(min(timestamp), "
                               "9223372036854775807) FROM messages",
                            &t0)) < 0 ||
            (rc = query_int(b, "SELECT coalesce(max(id), 0) FROM messages",
                            &max)) < 0)
            return rc;
        if (t0 < b->start_ns)
            b->start_ns = t0;
        b->max_id += max;
        if (stat(b->files[i], &st) == 0)
            b->size += (uint64_t)st.st_size;
    }
    if (b->start_ns == INT64_MAX)
        b->start_ns = 0;
    return 0;
}

/* Prepares the statement over the messages of the wanted topics of the
 * open file. */
static int
prepare(purr__rosbag2 *b)
{
    /* The topic ids are numbers from the file, printed as numbers. */
    size_t cap = 200 + b->nfmap * 24;
    char *in = malloc(cap), *sql = malloc(cap + 400);
    if (!in || !sql)
        abort();
    size_t used = 0, n = 0;
    in[0] = '\0';
    for (size_t i = 0; i < b->nfmap; i++)
        if (b->want[b->fmap_topic[i]])
            used += (size_t)snprintf(in + used, cap - used, "%s%lld",
                                     n++ ? ", " : "",
                                     (long long)b->fmap_id[i]);
    if (n == 0)
        snprintf(in, cap, "NULL"); /* none of them in this file */
    const char *where = " WHERE topic_id IN (";
    const char *close = ")";
    /* With rosbag2's timestamp index SQLite walks it in order; without,
     * the subquery makes it sort only the keys (into a temporary table
     * SQLite pages to disk), never the messages. */
    if (b->has_index)
        snprintf(sql, cap + 400,
                 "SELECT topic_id, timestamp, data FROM messages%s%s%s "
                 "ORDER BY timestamp, id",
                 where, in, close);
    else
        snprintf(sql, cap + 400,
                 "SELECT m.topic_id, m.timestamp, m.data FROM (SELECT id "
                 "FROM messages%s%s%s ORDER BY timestamp, id LIMIT -1) AS o "
                 "JOIN messages AS m ON m.id = o.id",
                 where, in, close);
    free(in);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(b->db, sql, -1, &st, NULL);
    free(sql);
    if (rc != SQLITE_OK)
        return fail(b, PURR_EFORMAT, "its messages table is not rosbag2's "
                    "(%s)", sqlite3_errmsg(b->db));
    sqlite3_finalize(b->stmt);
    b->stmt = st;
    return 0;
}

int
purr__rosbag2_start(purr__rosbag2 *b, const size_t *want, size_t n)
{
    free(b->want);
    b->want = calloc(b->ntopics + 1, sizeof *b->want);
    if (!b->want)
        abort();
    for (size_t i = 0; i < n; i++)
        b->want[want[i]] = true;
    if (n == 0)
        for (size_t i = 0; i < b->ntopics; i++)
            b->want[i] = true;
    int rc = open_file(b, 0);
    return rc < 0 ? rc : prepare(b);
}

int
purr__rosbag2_next(purr__rosbag2 *b, purr__rosbag2_msg *m)
{
    if (!b->stmt)
        return 0;
    int rc;
    while ((rc = sqlite3_step(b->stmt)) == SQLITE_DONE) {
        if (b->file + 1 >= b->nfiles)
            return 0;
        if ((rc = open_file(b, b->file + 1)) < 0 || (rc = prepare(b)) < 0)
            return rc;
    }
    if (rc != SQLITE_ROW)
        return fail(b, PURR_EFORMAT, "message %llu: cannot read (%s)",
                    (unsigned long long)b->messages + 1,
                    sqlite3_errmsg(b->db));
    b->messages++;
    int64_t tid = sqlite3_column_int64(b->stmt, 0);
    /* The file's topics are few and in id order: a binary search. */
    size_t lo = 0, hi = b->nfmap;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b->fmap_id[mid] < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == b->nfmap || b->fmap_id[lo] != tid)
        return fail(b, PURR_EFORMAT, "message %llu: topic_id %lld is not in "
                    "the topics table", (unsigned long long)b->messages,
                    (long long)tid);
    m->topic = b->fmap_topic[lo];
    m->time_ns = sqlite3_column_int64(b->stmt, 1);
    if (m->time_ns < 0)
        return fail(b, PURR_EFORMAT, "message %llu: negative timestamp %lld",
                    (unsigned long long)b->messages, (long long)m->time_ns);
    m->data = sqlite3_column_blob(b->stmt, 2);
    m->len = (size_t)sqlite3_column_bytes(b->stmt, 2);
    m->number = b->messages;
    return 1;
}

void
purr__rosbag2_close(purr__rosbag2 *b)
{
    if (!b)
        return;
    sqlite3_finalize(b->stmt);
    sqlite3_close(b->db);
    for (size_t i = 0; i < b->ntopics; i++) {
        free(b->topics[i].name);
        free(b->topics[i].type);
        free(b->topics[i].format);
        free(b->topics[i].definition);
    }
    free(b->topics);
    for (size_t i = 0; i < b->nfiles; i++)
        free(b->files[i]);
    free(b->files);
    free(b->fmap_id);
    free(b->fmap_topic);
    free(b->want);
    memset(b, 0, sizeof *b);
}
