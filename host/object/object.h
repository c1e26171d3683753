/*
 * object - immutable, reference-counted snapshots of Kubernetes objects.
 *
 * This is the host's implementation of the SDK's opaque `cplane_object`.
 * A snapshot is parsed once from JSON into one compact allocation (a flat
 * node array plus a pool of decoded, NUL-terminated strings) so a cache of
 * 100,000 pods costs a small multiple of their JSON size, and every accessor
 * returns pointers into that pool without allocating.
 *
 * Threading: a snapshot never changes after parse, so every accessor is
 * safe from any thread without locks. retain/release use atomic counts.
 *
 * Ownership: parse and the from_json_c constructor return an owned
 * reference (refcount 1); release it with cp_object_release(). Strings
 * returned by accessors are borrowed for as long as the caller holds a
 * reference. Paths are the SDK's: "a.b[3].c", '\' escapes '.', '[', '\'.
 */
#ifndef CPLANE_HOST_OBJECT_H
#define CPLANE_HOST_OBJECT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cplane/host_api.h>

struct json_object;

/* Deepest nesting accepted by the parser; deeper input is refused, never
 * recursed into. */
#define CP_OBJECT_MAX_DEPTH 64

/* Parses `len` bytes of JSON. On success *out is owned. On failure returns
 * CPLANE_EINVAL (or CPLANE_ENOMEM) and, when errmsg is not NULL, sets
 * *errmsg to a malloc'd message naming the problem (caller frees). */
int cp_object_parse(const char *json, size_t len, cplane_object **out,
                    char **errmsg);
/* Builds a snapshot from a json-c value (e.g. the "object" member of a
 * watch event). Returns an owned snapshot, or NULL when out of memory. The
 * json-c value is only read. */
cplane_object *cp_object_from_json_c(struct json_object *jo);
/* The same without metadata.managedFields, for readers that never look
 * at them (ResourceQuota's evaluators and scopes): a created object's
 * managed fields name each of its fields again. */
cplane_object *cp_object_from_json_c_unmanaged(struct json_object *jo);

/* 1 when json[0..len) is exactly one valid JSON value of any type (used
 * to check text before it is sent or embedded), else 0. */
int cp_json_valid(const char *json, size_t len);

const cplane_object *cp_object_retain(const cplane_object *obj);
void cp_object_release(const cplane_object *obj);

/* Accessors with the SDK's semantics (see cplane/host_api.h). */
int cp_object_type(const cplane_object *obj, const char *path);
const char *cp_object_string(const cplane_object *obj, const char *path);
int cp_object_int(const cplane_object *obj, const char *path, int64_t *out);
int cp_object_double(const cplane_object *obj, const char *path,
                     double *out);
int cp_object_bool(const cplane_object *obj, const char *path, int *out);
int cp_object_len(const cplane_object *obj, const char *path);
int cp_object_foreach(const cplane_object *obj, const char *path,
                      cplane_foreach_fn fn, void *userdata);
/* Compact JSON of the value at path; malloc'd, caller frees. */
char *cp_object_json(const cplane_object *obj, const char *path);

const char *cp_object_name(const cplane_object *obj);
const char *cp_object_namespace(const cplane_object *obj);
const char *cp_object_uid(const cplane_object *obj);
const char *cp_object_resource_version(const cplane_object *obj);
/* "namespace/name" or "name"; computed once at parse time. NULL when the
 * object has no metadata.name. */
const char *cp_object_key(const cplane_object *obj);
int64_t cp_object_generation(const cplane_object *obj);
const char *cp_object_label(const cplane_object *obj, const char *key);
const char *cp_object_annotation(const cplane_object *obj, const char *key);
const char *cp_object_deletion_timestamp(const cplane_object *obj);
const char *cp_object_controller_uid(const cplane_object *obj);

/* Bytes this snapshot occupies on the heap (for benchmarks and metrics). */
size_t cp_object_heap_bytes(const cplane_object *obj);

#endif /* CPLANE_HOST_OBJECT_H */
