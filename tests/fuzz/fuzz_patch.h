/*
 * fuzz_patch - the body of the three patch targets (fuzz_patch_json,
 * fuzz_patch_merge, fuzz_patch_strategic): an input is "DOC\0PATCH" or a
 * bare PATCH applied to a fixed Deployment. Beyond not crashing, an
 * engine must leave the document it was given unchanged, return a result
 * exactly when it says CPLANE_OK, and a message exactly when it does not.
 *
 * Ownership and threading: as fuzz_input.h.
 */
#ifndef CPLANE_TESTS_FUZZ_PATCH_H
#define CPLANE_TESTS_FUZZ_PATCH_H

#include <json-c/json.h>

#include <cplane/host_api.h>

#include "apiserver/patch.h"
#include "apiserver/schema.h"
#include "fuzz_input.h"
#include "object/object.h"

/* As deep as the API server lets a body nest. */
#define CP_FUZZ_JSON_DEPTH 64

static const char fuzz_patch_default_doc[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
    "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\","
    "\"labels\":{\"app\":\"web\"},\"resourceVersion\":\"7\"},"
    "\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"nginx\","
    "\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],"
    "\"env\":[{\"name\":\"X\",\"value\":\"1\"}]},"
    "{\"name\":\"b\",\"image\":\"busybox\",\"args\":[\"x\",\"y\"]}],"
    "\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}]}}},"
    "\"status\":{\"conditions\":[{\"type\":\"Available\","
    "\"status\":\"True\"}]}}";

/* The built-in schema of doc's apiVersion and kind, or NULL (then the
 * strategic engine uses its own table, as for custom resources). */
static inline const struct cp_schema *fuzz_patch_schema(json_object *doc) {
  json_object *av, *kind;
  const char *v, *slash;
  char group[128];

  if (!json_object_object_get_ex(doc, "apiVersion", &av) ||
      !json_object_object_get_ex(doc, "kind", &kind) ||
      !json_object_is_type(av, json_type_string) ||
      !json_object_is_type(kind, json_type_string))
    return NULL;
  v = json_object_get_string(av);
  slash = strchr(v, '/');
  if (slash == NULL)
    return cp_schema_builtin_kind("", v, json_object_get_string(kind));
  if ((size_t)(slash - v) >= sizeof group)
    return NULL;
  memcpy(group, v, (size_t)(slash - v));
  group[slash - v] = '\0';
  return cp_schema_builtin_kind(group, slash + 1,
                                json_object_get_string(kind));
}

/* A stored object: strict JSON (json-c alone takes NaN, which is not
 * equal to itself) and an object, as every document the server patches. */
static inline json_object *fuzz_patch_parse_doc(const char *text) {
  json_tokener *tok;
  json_object *o;

  if (!cp_json_valid(text, strlen(text)) ||
      (tok = json_tokener_new_ex(CP_FUZZ_JSON_DEPTH)) == NULL)
    return NULL;
  o = json_tokener_parse_ex(tok, text, (int)strlen(text));
  if (json_tokener_get_error(tok) != json_tokener_success ||
      !json_object_is_type(o, json_type_object)) {
    json_object_put(o);
    o = NULL;
  }
  json_tokener_free(tok);
  return o;
}

static inline int fuzz_patch_run(enum cp_patch_type type, const uint8_t *data,
                                 size_t size) {
  char *head = NULL, *patch = NULL, *msg = NULL;
  json_object *doc = NULL, *copy = NULL, *out = NULL;
  size_t patch_len;
  int rc;

  if (fuzz_split(data, size, &head, &patch, &patch_len) != 0)
    return 0;
  doc = fuzz_patch_parse_doc(head != NULL ? head : fuzz_patch_default_doc);
  if (doc == NULL)
    goto out;
  if (json_object_deep_copy(doc, &copy, NULL) != 0)
    goto out;
  rc = cp_patch_apply_schema(type, doc, patch, patch_len,
                             type == CP_PATCH_STRATEGIC ? fuzz_patch_schema(doc)
                                                        : NULL,
                             &out, &msg);
  if ((rc == CPLANE_OK) != (msg == NULL))
    abort(); /* a message exactly when it fails */
  if (!json_object_equal(doc, copy))
    abort(); /* the caller's document must never change */
  if (out != NULL)
    (void)json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN);
out:
  json_object_put(out);
  json_object_put(copy);
  json_object_put(doc);
  free(msg);
  free(head);
  free(patch);
  return 0;
}

#endif /* CPLANE_TESTS_FUZZ_PATCH_H */
