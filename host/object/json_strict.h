/*
 * json_strict - the one decoder for JSON that comes from a client: it
 * accepts exactly what kube-apiserver's decoder (Go's encoding/json, as
 * sigs.k8s.io/json uses it) accepts and builds json-c objects from it.
 *
 * json-c's own tokener is lenient: it takes NaN, Infinity, 1e400,
 * comments, single quotes and trailing commas, cuts a key at "\u0000" and
 * keeps the last of two equal keys without a word. Any of those stored
 * makes every later list of the kind unreadable for real clients, so no
 * request body is parsed with it.
 *
 * What is refused: anything outside RFC 8259's grammar, control characters
 * inside strings, numbers beyond float64's range (Go: "cannot unmarshal
 * number ... of type float64"), nesting deeper than the caller's limit, and
 * object keys holding U+0000 (Go accepts them, but a json-c key is a C
 * string: refused rather than silently cut).
 * What is repaired as Go does: invalid UTF-8 and lone surrogates become
 * U+FFFD.
 * Duplicate keys: the last wins (Go's map semantics) and, when the caller
 * asks, each one's field path ("metadata.labels.a", "spec.containers[0]
 * .name") is reported so that fieldValidation can refuse or warn about it
 * as kube's strict decoding does.
 *
 * Numbers: an integer literal that fits int64 (or, positive, uint64)
 * becomes a json-c int; any
 * other number a double that keeps its original text, so it re-serializes
 * exactly as written.
 *
 * Threading: pure functions, safe from any thread.
 * Ownership: the result and *dups' paths belong to the caller
 * (json_object_put, cp_json_strict_dups_clear); *err is this thread's
 * static text, valid until its next call.
 */
#ifndef CPLANE_HOST_OBJECT_JSON_STRICT_H
#define CPLANE_HOST_OBJECT_JSON_STRICT_H

#include <stddef.h>

#include <json-c/json.h>

enum cp_json_strict_rc {
  CP_JSON_STRICT_OK = 0,
  CP_JSON_STRICT_SYNTAX = -1, /* not JSON, or a value Go refuses */
  CP_JSON_STRICT_DEPTH = -2,  /* nested deeper than max_depth */
  CP_JSON_STRICT_NOMEM = -3,
};

/* At most this many duplicate paths are kept (total counts them all). */
#define CP_JSON_STRICT_MAX_DUPS 16

struct cp_json_strict_dups {
  char *paths[CP_JSON_STRICT_MAX_DUPS];
  size_t n;     /* paths kept */
  size_t total; /* duplicates seen */
};

/* Parses exactly s[0..n) (surrounding JSON whitespace allowed) as one
 * value. On success *out is the value (NULL for the literal null). On
 * failure *out is NULL, *err says why (Go's wording where it has one) and
 * *err_at is the byte offset. dups may be NULL (duplicates then go
 * unreported); it must start zeroed. */
int cp_json_strict_parse(const char *s, size_t n, int max_depth,
                         json_object **out,
                         struct cp_json_strict_dups *dups, const char **err,
                         size_t *err_at);

void cp_json_strict_dups_clear(struct cp_json_strict_dups *d);

#endif /* CPLANE_HOST_OBJECT_JSON_STRICT_H */
