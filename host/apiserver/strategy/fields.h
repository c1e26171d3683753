/*
 * fields - reading and setting an object's fields by dotted path
 * ("spec.template.metadata.labels"), for the strategies: every read
 * checks the JSON type, so a hook never trusts what a client sent.
 *
 * Threading: pure functions on objects the caller owns.
 * Ownership: getters borrow from o; setters take nothing they are not
 * given (cp_field_set takes v).
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_FIELDS_H
#define CPLANE_HOST_APISERVER_STRATEGY_FIELDS_H

#include <stdint.h>

#include <json-c/json.h>

/* The value at path, or NULL when any segment is absent or not an
 * object. */
json_object *cp_field_at(json_object *o, const char *path);
/* The value at path when it has type t, else NULL. */
json_object *cp_field_typed(json_object *o, const char *path, json_type t);
/* The string at path, or NULL. */
const char *cp_field_str(json_object *o, const char *path);
/* 1 and *v when path holds an integer, else 0 (v untouched). */
int cp_field_int(json_object *o, const char *path, int64_t *v);
/* The integer at path, or def. */
int64_t cp_field_int_or(json_object *o, const char *path, int64_t def);
/* 1 when path holds true. */
int cp_field_true(json_object *o, const char *path);
/* The object at path, created (with every missing parent) when absent;
 * NULL when something on the way is not an object or out of memory. */
json_object *cp_field_obj(json_object *o, const char *path);
/* Sets path's last segment to v (taken) inside cp_field_obj(parent);
 * -1 when it cannot (v is released). */
int cp_field_set(json_object *o, const char *path, json_object *v);
/* Sets path to v only when absent (v released when present). */
void cp_field_default(json_object *o, const char *path, json_object *v);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_FIELDS_H */
