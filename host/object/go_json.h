/*
 * go_json - JSON text as Go's encoding/json.Marshal writes it, for the
 * values kube renders that way byte for byte (audit annotations):
 * compact, strings with HTML escaping (<, >, & as \u003c, \u003e,
 * \u0026), U+2028 and U+2029 escaped, invalid UTF-8 as \ufffd, and '\b'
 * and '\f' short as Go 1.22 on writes them.
 *
 * Pure: no state, safe from any thread.
 * Ownership: appends to the caller's cp_json_buf (json_buf.h); the value
 * is only read.
 */
#ifndef CPLANE_HOST_OBJECT_GO_JSON_H
#define CPLANE_HOST_OBJECT_GO_JSON_H

#include <stddef.h>

#include <json-c/json.h>

#include "object/json_buf.h"

/* s[0..n) as a quoted JSON string. */
void cp_go_json_quoted(struct cp_json_buf *b, const char *s, size_t n);

/* o compact, object members in their order (a json.RawMessage's
 * Marshal keeps them so); NULL is null. Nesting deeper than
 * CP_GO_JSON_MAX_DEPTH is written as null. */
#define CP_GO_JSON_MAX_DEPTH 1000
void cp_go_json_value(struct cp_json_buf *b, json_object *o);

#endif /* CPLANE_HOST_OBJECT_GO_JSON_H */
