/*
 * libFuzzer target: OpenAPI schemas (host/apiserver/schema.c). A bare
 * input is an object checked as a create would check it against the
 * built-in schema of its apiVersion and kind (prune, defaults, hooks,
 * validation); "SCHEMA\0OBJECT" compiles SCHEMA as a custom resource's
 * openAPIV3Schema and checks OBJECT against it.
 */
#include <json-c/json.h>

#include "apiserver/schema.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_object *parse(const char *text, size_t len) {
  json_tokener *tok = json_tokener_new_ex(64);
  json_object *o;

  if (tok == NULL || len > INT32_MAX) {
    json_tokener_free(tok);
    return NULL;
  }
  o = json_tokener_parse_ex(tok, text, (int)len);
  if (json_tokener_get_error(tok) != json_tokener_success) {
    json_object_put(o);
    o = NULL;
  }
  json_tokener_free(tok);
  return o;
}

static const char *str_at(json_object *o, const char *key) {
  json_object *v;

  if (!json_object_object_get_ex(o, key, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static void check(const struct cp_schema *s, json_object *o,
                  const char *group, const char *kind) {
  struct cp_schema_result r;

  memset(&r, 0, sizeof r);
  cp_schema_prune(s, o, 1, &r);
  cp_schema_default(s, o);
  if (kind != NULL)
    cp_schema_builtin_hooks(group, kind, o);
  (void)cp_schema_validate(s, o, &r);
  cp_schema_result_clear(&r);
}

static void builtin(json_object *o) {
  const char *av = str_at(o, "apiVersion"), *kind = str_at(o, "kind");
  const char *slash;
  const struct cp_schema *s;
  char group[128];

  if (av == NULL || kind == NULL)
    return;
  slash = strchr(av, '/');
  if (slash == NULL) {
    group[0] = '\0';
    s = cp_schema_builtin_kind("", av, kind);
  } else {
    if ((size_t)(slash - av) >= sizeof group)
      return;
    memcpy(group, av, (size_t)(slash - av));
    group[slash - av] = '\0';
    s = cp_schema_builtin_kind(group, slash + 1, kind);
  }
  if (s != NULL)
    check(s, o, group, kind);
}

static void custom(json_object *schema, json_object *o) {
  char *err = NULL;
  struct cp_schema_doc *d = cp_schema_doc_compile(schema, &err);

  if (d == NULL) {
    if (err == NULL)
      abort(); /* a refusal always says why */
    free(err);
    return;
  }
  if (err != NULL)
    abort();
  if (cp_schema_doc_root(d) != NULL && o != NULL)
    check(cp_schema_doc_root(d), o, NULL, NULL);
  cp_schema_doc_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *head = NULL, *tail = NULL;
  json_object *schema = NULL, *o = NULL;
  size_t len;

  if (fuzz_split(data, size, &head, &tail, &len) != 0)
    return 0;
  o = parse(tail, len);
  if (head == NULL) {
    if (o != NULL)
      builtin(o);
  } else if ((schema = parse(head, strlen(head))) != NULL) {
    custom(schema, o);
  }
  json_object_put(schema);
  json_object_put(o);
  free(head);
  free(tail);
  return 0;
}
