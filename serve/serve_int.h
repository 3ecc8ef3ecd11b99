/* serve_int.h - private declarations of the serve layer: the JSON that
 * goes over the wire (json.c), for the server and its loop observer
 * (server.c). */
#ifndef PURR_SERVE_INT_H
#define PURR_SERVE_INT_H

#include <purr/serve.h>

#include <stddef.h>

/* Returns the message of d, {"value": ...} in compact JSON, as a
 * malloc'd NUL-terminated string (len, out: its length), or NULL when out
 * of memory. The mapping of each type is docs/serve.md's. */
char *purr__serve_payload(const purr_datum *d, size_t *len /* out */);

/* The JSON schema (jsonschema, as text) of the messages of a channel of
 * type t, and its schema name ("purr.double"...). Static strings. */
const char *purr__serve_schema(purr_type t);
const char *purr__serve_schema_name(purr_type t);

/* Returns text with every byte sequence that is not UTF-8 replaced by
 * U+FFFD, as a malloc'd string (len in and out), or NULL when out of
 * memory. Valid text comes back as a plain copy. */
char *purr__serve_utf8(const char *text, size_t *len);

#endif /* PURR_SERVE_INT_H */
