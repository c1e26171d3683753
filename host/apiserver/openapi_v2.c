/* openapi_v2 - see openapi_v2.h. Field numbers are those of
 * google/gnostic-models' openapiv2/OpenAPIv2.proto. */
#include "apiserver/openapi_v2.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/sha.h>

#include "apiserver/discovery.h"
#include "apiserver/protobuf_wire.h"
#include "apiserver/resources.h"

#define MAX_TYPES 1024
#define MAX_DEPTH 64 /* schema nesting the encoder follows */

struct cp_openapi_v2 {
  struct cp_resources *r;
  pthread_mutex_t mu;
  int built;
  uint64_t generation; /* of r, when built */
  char *json, *pb;
  size_t json_len, pb_len;
  char etag[140];
};

struct cp_openapi_v2 *cp_openapi_v2_new(struct cp_resources *r) {
  struct cp_openapi_v2 *c = calloc(1, sizeof *c);

  if (c == NULL)
    return NULL;
  c->r = r;
  pthread_mutex_init(&c->mu, NULL);
  return c;
}

void cp_openapi_v2_free(struct cp_openapi_v2 *c) {
  if (c == NULL)
    return;
  pthread_mutex_destroy(&c->mu);
  free(c->json);
  free(c->pb);
  free(c);
}

/* ---- v3 -> Swagger 2.0 ---- */

/* A v3 schema node as v2, in place: refs point at #/definitions/, and
 * what Swagger 2.0 has no word for (oneOf, anyOf, not, nullable) goes. */
static void schema_to_v2(json_object *s, int depth) {
  json_object *ref;

  if (depth > MAX_DEPTH)
    return;
  if (json_object_is_type(s, json_type_array)) {
    size_t i;

    for (i = 0; i < json_object_array_length(s); i++)
      schema_to_v2(json_object_array_get_idx(s, i), depth + 1);
    return;
  }
  if (!json_object_is_type(s, json_type_object))
    return;
  if (json_object_object_get_ex(s, "$ref", &ref) &&
      json_object_is_type(ref, json_type_string) &&
      strncmp(json_object_get_string(ref), "#/components/schemas/", 21) ==
          0) {
    char buf[600];

    snprintf(buf, sizeof buf, "#/definitions/%s",
             json_object_get_string(ref) + 21);
    json_object_object_add(s, "$ref", json_object_new_string(buf));
  }
  json_object_object_del(s, "oneOf");
  json_object_object_del(s, "anyOf");
  json_object_object_del(s, "not");
  json_object_object_del(s, "nullable");
  {
    json_object_object_foreach(s, k, v) {
      /* enum, default and example are values, not schemas */
      if (strcmp(k, "enum") != 0 && strcmp(k, "default") != 0 &&
          strcmp(k, "example") != 0 && strncmp(k, "x-", 2) != 0)
        schema_to_v2(v, depth + 1);
    }
  }
}

static json_object *str_array(const char *const *s) {
  json_object *a = json_object_new_array();

  for (; *s != NULL; s++)
    json_object_array_add(a, json_object_new_string(*s));
  return a;
}

/* A v3 PATCH operation as v2: the body and the 200 answer carry the
 * schema directly, consumes lists the patch types. */
static json_object *operation_to_v2(json_object *op) {
  static const char *const produces[] = {
      "application/json", "application/yaml",
      "application/vnd.kubernetes.protobuf", NULL};
  json_object *out = json_object_new_object(), *v, *params, *content, *ref;
  json_object *consumes = json_object_new_array(), *schema = NULL;
  size_t i;

  json_object_object_add(out, "consumes", consumes);
  json_object_object_add(out, "produces", str_array(produces));
  params = json_object_new_array();
  json_object_object_add(out, "parameters", params);
  if (json_object_object_get_ex(op, "requestBody", &v) &&
      json_object_object_get_ex(v, "content", &content) &&
      json_object_is_type(content, json_type_object)) {
    json_object_object_foreach(content, type, media) {
      json_object_array_add(consumes, json_object_new_string(type));
      if (schema == NULL && json_object_object_get_ex(media, "schema", &ref))
        schema = ref;
    }
  }
  if (schema != NULL) {
    json_object *body = json_object_new_object();

    json_object_object_add(body, "name", json_object_new_string("body"));
    json_object_object_add(body, "in", json_object_new_string("body"));
    json_object_object_add(body, "required", json_object_new_boolean(1));
    json_object_object_add(body, "schema", json_object_get(schema));
    json_object_array_add(params, body);
  }
  if (json_object_object_get_ex(op, "parameters", &v) &&
      json_object_is_type(v, json_type_array))
    for (i = 0; i < json_object_array_length(v); i++) {
      json_object *p = json_object_array_get_idx(v, i), *q, *name;

      if (!json_object_object_get_ex(p, "name", &name))
        continue;
      q = json_object_new_object();
      json_object_object_add(q, "uniqueItems", json_object_new_boolean(1));
      json_object_object_add(q, "type", json_object_new_string("string"));
      json_object_object_add(q, "name", json_object_get(name));
      json_object_object_add(q, "in", json_object_new_string("query"));
      json_object_array_add(params, q);
    }
  {
    json_object *responses = json_object_new_object();
    json_object *ok = json_object_new_object();

    json_object_object_add(ok, "description", json_object_new_string("OK"));
    if (schema != NULL)
      json_object_object_add(ok, "schema", json_object_get(schema));
    json_object_object_add(responses, "200", ok);
    json_object_object_add(out, "responses", responses);
  }
  if (json_object_object_get_ex(op, "x-kubernetes-group-version-kind", &v))
    json_object_object_add(out, "x-kubernetes-group-version-kind",
                           json_object_get(v));
  json_object_object_add(out, "x-kubernetes-action",
                         json_object_new_string("patch"));
  schema_to_v2(out, 0);
  return out;
}

/* Adds one v3 group-version document's definitions and paths. */
static void merge_v3(json_object *v3, json_object *defs, json_object *paths) {
  json_object *comp, *schemas, *p;

  if (json_object_object_get_ex(v3, "components", &comp) &&
      json_object_object_get_ex(comp, "schemas", &schemas) &&
      json_object_is_type(schemas, json_type_object)) {
    json_object_object_foreach(schemas, name, s) {
      if (json_object_object_get_ex(defs, name, NULL))
        continue;
      schema_to_v2(s, 0);
      json_object_object_add(defs, name, json_object_get(s));
    }
  }
  if (json_object_object_get_ex(v3, "paths", &p) &&
      json_object_is_type(p, json_type_object)) {
    json_object_object_foreach(p, path, item) {
      json_object *patch, *v2 = json_object_new_object();

      if (json_object_object_get_ex(item, "patch", &patch))
        json_object_object_add(v2, "patch", operation_to_v2(patch));
      json_object_object_add(paths, path, v2);
    }
  }
}

static int key_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A copy of o with its members by name, as kube writes definitions. */
static json_object *sorted(json_object *o) {
  size_t n = (size_t)json_object_object_length(o), i = 0;
  const char **keys = calloc(n + 1, sizeof *keys);
  json_object *out = json_object_new_object();

  if (keys == NULL || out == NULL) {
    free(keys);
    json_object_put(out);
    return NULL;
  }
  {
    json_object_object_foreach(o, k, v) {
      (void)v;
      keys[i++] = k;
    }
  }
  qsort(keys, n, sizeof *keys, key_cmp);
  for (i = 0; i < n; i++)
    json_object_object_add(out, keys[i],
                           json_object_get(json_object_object_get(o, keys[i])));
  free(keys);
  return out;
}

/* The whole Swagger 2.0 document as JSON text (malloc'd), or NULL. */
static char *build_json(struct cp_resources *r) {
  const struct cp_resource_type *all[MAX_TYPES];
  size_t n = cp_resources_list(r, all, MAX_TYPES), i, j;
  json_object *doc = json_object_new_object(), *defs = json_object_new_object();
  json_object *paths = json_object_new_object(), *info, *sd, *sp;
  char *text = NULL;

  if (n > MAX_TYPES)
    n = MAX_TYPES;
  for (i = 0; i < n; i++) {
    char *v3text;
    json_object *v3;

    /* each group-version once */
    for (j = 0; j < i; j++)
      if (strcmp(all[j]->group, all[i]->group) == 0 &&
          strcmp(all[j]->version, all[i]->version) == 0)
        break;
    if (j < i)
      continue;
    v3text = cp_openapi_group_version(r, all[i]->group, all[i]->version);
    v3 = v3text != NULL ? json_tokener_parse(v3text) : NULL;
    free(v3text);
    if (v3 != NULL)
      merge_v3(v3, defs, paths);
    json_object_put(v3);
  }
  info = json_object_new_object();
  json_object_object_add(info, "title", json_object_new_string("Kubernetes"));
  json_object_object_add(info, "version", json_object_new_string("v1.32.0"));
  json_object_object_add(doc, "swagger", json_object_new_string("2.0"));
  json_object_object_add(doc, "info", info);
  sp = sorted(paths);
  sd = sorted(defs);
  if (sp != NULL && sd != NULL) {
    json_object_object_add(doc, "paths", sp);
    json_object_object_add(doc, "definitions", sd);
    text = strdup(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
  } else {
    json_object_put(sp);
    json_object_put(sd);
  }
  json_object_put(paths);
  json_object_put(defs);
  json_object_put(doc);
  return text;
}

/* ---- Swagger 2.0 JSON -> gnostic protobuf ---- */

static int put_str(struct cp_pb_buf *b, int num, json_object *v) {
  if (!json_object_is_type(v, json_type_string))
    return 0; /* a member of another type is not in the message */
  return cp_pb_put_bytes(b, num, json_object_get_string(v),
                         (size_t)json_object_get_string_len(v));
}

static int put_msg(struct cp_pb_buf *b, int num, struct cp_pb_buf *m) {
  int rc = cp_pb_put_bytes(b, num, m->p, m->len);

  free(m->p);
  m->p = NULL;
  m->len = m->cap = 0;
  return rc;
}

/* gnostic's Any: the value as YAML text (JSON is YAML). */
static int put_any(struct cp_pb_buf *b, int num, json_object *v) {
  struct cp_pb_buf a = {NULL, 0, 0};
  const char *y = json_object_to_json_string_ext(
      v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

  if (cp_pb_put_bytes(&a, 2, y, strlen(y)) != 0) {
    free(a.p);
    return -1;
  }
  return put_msg(b, num, &a);
}

/* NamedAny{name, Any}: a vendor extension. */
static int put_named_any(struct cp_pb_buf *b, int num, const char *name,
                         json_object *v) {
  struct cp_pb_buf e = {NULL, 0, 0};

  if (cp_pb_put_bytes(&e, 1, name, strlen(name)) != 0 ||
      put_any(&e, 2, v) != 0) {
    free(e.p);
    return -1;
  }
  return put_msg(b, num, &e);
}

static int put_strings(struct cp_pb_buf *b, int num, json_object *a) {
  size_t i;

  if (!json_object_is_type(a, json_type_array))
    return 0;
  for (i = 0; i < json_object_array_length(a); i++)
    if (put_str(b, num, json_object_array_get_idx(a, i)) != 0)
      return -1;
  return 0;
}

static int schema_pb(json_object *s, struct cp_pb_buf *b, int depth);

/* A message of repeated NamedSchema (Properties, Definitions). */
static int named_schemas(json_object *o, int field, struct cp_pb_buf *b,
                         int depth) {
  if (!json_object_is_type(o, json_type_object))
    return 0;
  json_object_object_foreach(o, name, s) {
    struct cp_pb_buf e = {NULL, 0, 0}, v = {NULL, 0, 0};

    if (cp_pb_put_bytes(&e, 1, name, strlen(name)) != 0 ||
        schema_pb(s, &v, depth + 1) != 0 || put_msg(&e, 2, &v) != 0 ||
        put_msg(b, field, &e) != 0) {
      free(e.p);
      free(v.p);
      return -1;
    }
  }
  return 0;
}

static int schema_pb(json_object *s, struct cp_pb_buf *b, int depth) {
  static const struct {
    const char *key;
    int num;
  } strings[] = {{"$ref", 1}, {"format", 2}, {"title", 3},
                 {"description", 4}, {"pattern", 13}, {"discriminator", 26}},
    doubles[] = {{"multipleOf", 6}, {"maximum", 7}, {"minimum", 9}},
    ints[] = {{"maxLength", 11}, {"minLength", 12}, {"maxItems", 14},
              {"minItems", 15}, {"maxProperties", 17},
              {"minProperties", 18}},
    bools[] = {{"exclusiveMaximum", 8}, {"exclusiveMinimum", 10},
               {"uniqueItems", 16}, {"readOnly", 27}};
  struct cp_pb_buf m = {NULL, 0, 0};
  json_object *v;
  size_t i;
  int rc = -1;

  if (depth > MAX_DEPTH || !json_object_is_type(s, json_type_object))
    return depth > MAX_DEPTH ? -1 : 0;
  for (i = 0; i < sizeof strings / sizeof strings[0]; i++)
    if (json_object_object_get_ex(s, strings[i].key, &v) &&
        put_str(b, strings[i].num, v) != 0)
      goto out;
  if (json_object_object_get_ex(s, "default", &v) && put_any(b, 5, v) != 0)
    goto out;
  for (i = 0; i < sizeof doubles / sizeof doubles[0]; i++)
    if (json_object_object_get_ex(s, doubles[i].key, &v) &&
        (json_object_is_type(v, json_type_int) ||
         json_object_is_type(v, json_type_double)) &&
        cp_pb_put_double(b, doubles[i].num, json_object_get_double(v)) != 0)
      goto out;
  for (i = 0; i < sizeof ints / sizeof ints[0]; i++)
    if (json_object_object_get_ex(s, ints[i].key, &v) &&
        json_object_is_type(v, json_type_int) &&
        cp_pb_put_int(b, ints[i].num, (uint64_t)json_object_get_int64(v)))
      goto out;
  for (i = 0; i < sizeof bools / sizeof bools[0]; i++)
    if (json_object_object_get_ex(s, bools[i].key, &v) &&
        json_object_get_boolean(v) && cp_pb_put_int(b, bools[i].num, 1) != 0)
      goto out;
  if (json_object_object_get_ex(s, "required", &v) &&
      put_strings(b, 19, v) != 0)
    goto out;
  if (json_object_object_get_ex(s, "enum", &v) &&
      json_object_is_type(v, json_type_array))
    for (i = 0; i < json_object_array_length(v); i++)
      if (put_any(b, 20, json_object_array_get_idx(v, i)) != 0)
        goto out;
  if (json_object_object_get_ex(s, "additionalProperties", &v)) {
    if (json_object_is_type(v, json_type_boolean)) {
      if (cp_pb_put_int(&m, 2, (uint64_t)json_object_get_boolean(v)) != 0)
        goto out;
    } else {
      struct cp_pb_buf sch = {NULL, 0, 0};

      if (schema_pb(v, &sch, depth + 1) != 0 || put_msg(&m, 1, &sch) != 0) {
        free(sch.p);
        goto out;
      }
    }
    if (put_msg(b, 21, &m) != 0)
      goto out;
  }
  if (json_object_object_get_ex(s, "type", &v)) {
    if (json_object_is_type(v, json_type_array) ? put_strings(&m, 1, v)
                                                : put_str(&m, 1, v))
      goto out;
    if (put_msg(b, 22, &m) != 0)
      goto out;
  }
  if (json_object_object_get_ex(s, "items", &v)) {
    size_t n = json_object_is_type(v, json_type_array)
                   ? json_object_array_length(v)
                   : 1;

    for (i = 0; i < n; i++) {
      struct cp_pb_buf sch = {NULL, 0, 0};
      json_object *it = json_object_is_type(v, json_type_array)
                            ? json_object_array_get_idx(v, i)
                            : v;

      if (schema_pb(it, &sch, depth + 1) != 0 || put_msg(&m, 1, &sch) != 0) {
        free(sch.p);
        goto out;
      }
    }
    if (put_msg(b, 23, &m) != 0)
      goto out;
  }
  if (json_object_object_get_ex(s, "allOf", &v) &&
      json_object_is_type(v, json_type_array))
    for (i = 0; i < json_object_array_length(v); i++) {
      if (schema_pb(json_object_array_get_idx(v, i), &m, depth + 1) != 0 ||
          put_msg(b, 24, &m) != 0)
        goto out;
    }
  if (json_object_object_get_ex(s, "properties", &v)) {
    if (named_schemas(v, 1, &m, depth) != 0 || put_msg(b, 25, &m) != 0)
      goto out;
  }
  if (json_object_object_get_ex(s, "example", &v) && put_any(b, 30, v) != 0)
    goto out;
  {
    json_object_object_foreach(s, k, x) {
      if (strncmp(k, "x-", 2) == 0 && put_named_any(b, 31, k, x) != 0)
        goto out;
    }
  }
  rc = 0;
out:
  free(m.p);
  return rc;
}

/* Parameter{body_parameter | non_body_parameter{query}} in a
 * ParametersItem. */
static int parameter_pb(json_object *p, struct cp_pb_buf *b) {
  struct cp_pb_buf sub = {NULL, 0, 0}, par = {NULL, 0, 0};
  struct cp_pb_buf item = {NULL, 0, 0}, nb = {NULL, 0, 0};
  json_object *in, *v;
  int body, rc = -1;

  if (!json_object_object_get_ex(p, "in", &in))
    return 0;
  body = strcmp(json_object_get_string(in), "body") == 0;
  if (body) { /* BodyParameter */
    if ((json_object_object_get_ex(p, "name", &v) && put_str(&sub, 2, v)) ||
        put_str(&sub, 3, in) != 0 ||
        (json_object_object_get_ex(p, "required", &v) &&
         json_object_get_boolean(v) && cp_pb_put_int(&sub, 4, 1) != 0))
      goto out;
    if (json_object_object_get_ex(p, "schema", &v)) {
      struct cp_pb_buf sch = {NULL, 0, 0};

      if (schema_pb(v, &sch, 0) != 0 || put_msg(&sub, 5, &sch) != 0) {
        free(sch.p);
        goto out;
      }
    }
    if (put_msg(&par, 1, &sub) != 0)
      goto out;
  } else { /* QueryParameterSubSchema */
    if ((json_object_object_get_ex(p, "required", &v) &&
         json_object_get_boolean(v) && cp_pb_put_int(&sub, 1, 1) != 0) ||
        put_str(&sub, 2, in) != 0 ||
        (json_object_object_get_ex(p, "description", &v) &&
         put_str(&sub, 3, v)) ||
        (json_object_object_get_ex(p, "name", &v) && put_str(&sub, 4, v)) ||
        (json_object_object_get_ex(p, "type", &v) && put_str(&sub, 6, v)) ||
        (json_object_object_get_ex(p, "uniqueItems", &v) &&
         json_object_get_boolean(v) && cp_pb_put_int(&sub, 20, 1) != 0) ||
        put_msg(&nb, 3, &sub) != 0 || put_msg(&par, 2, &nb) != 0)
      goto out;
  }
  if (put_msg(&item, 1, &par) != 0 || put_msg(b, 8, &item) != 0)
    goto out;
  rc = 0;
out:
  free(sub.p);
  free(par.p);
  free(item.p);
  free(nb.p);
  return rc;
}

static int operation_pb(json_object *op, struct cp_pb_buf *b) {
  struct cp_pb_buf m = {NULL, 0, 0}, r = {NULL, 0, 0};
  json_object *v;
  size_t i;
  int rc = -1;

  if ((json_object_object_get_ex(op, "description", &v) &&
       put_str(b, 3, v)) ||
      (json_object_object_get_ex(op, "operationId", &v) && put_str(b, 5, v)) ||
      (json_object_object_get_ex(op, "produces", &v) && put_strings(b, 6, v)) ||
      (json_object_object_get_ex(op, "consumes", &v) && put_strings(b, 7, v)))
    goto out;
  if (json_object_object_get_ex(op, "parameters", &v) &&
      json_object_is_type(v, json_type_array))
    for (i = 0; i < json_object_array_length(v); i++)
      if (parameter_pb(json_object_array_get_idx(v, i), b) != 0)
        goto out;
  if (json_object_object_get_ex(op, "responses", &v) &&
      json_object_is_type(v, json_type_object)) {
    json_object_object_foreach(v, code, resp) {
      struct cp_pb_buf named = {NULL, 0, 0}, val = {NULL, 0, 0};
      struct cp_pb_buf sch = {NULL, 0, 0};
      json_object *x;

      /* NamedResponseValue{name, ResponseValue{Response{description,
       * SchemaItem{Schema}}}} */
      if ((json_object_object_get_ex(resp, "description", &x) &&
           put_str(&m, 1, x)) ||
          (json_object_object_get_ex(resp, "schema", &x) &&
           (schema_pb(x, &sch, 0) != 0 || put_msg(&val, 1, &sch) != 0 ||
            put_msg(&m, 2, &val) != 0)) ||
          put_msg(&val, 1, &m) != 0 ||
          cp_pb_put_bytes(&named, 1, code, strlen(code)) != 0 ||
          put_msg(&named, 2, &val) != 0 || put_msg(&r, 1, &named) != 0) {
        free(named.p);
        free(val.p);
        free(sch.p);
        goto out;
      }
    }
    if (put_msg(b, 9, &r) != 0)
      goto out;
  }
  {
    json_object_object_foreach(op, k, x) {
      if (strncmp(k, "x-", 2) == 0 && put_named_any(b, 13, k, x) != 0)
        goto out;
    }
  }
  rc = 0;
out:
  free(m.p);
  free(r.p);
  return rc;
}

int cp_openapi_v2_protobuf(const char *json, char **pb, size_t *len) {
  static const struct {
    const char *verb;
    int num;
  } verbs[] = {{"get", 2},     {"put", 3},     {"post", 4}, {"delete", 5},
               {"options", 6}, {"head", 7},    {"patch", 8}};
  struct json_tokener *tok = json_tokener_new_ex(MAX_DEPTH * 2 + 16);
  json_object *doc = NULL, *v;
  struct cp_pb_buf b = {NULL, 0, 0}, m = {NULL, 0, 0}, e = {NULL, 0, 0};
  struct cp_pb_buf item = {NULL, 0, 0};
  size_t i;
  int rc = -1;

  *pb = NULL;
  *len = 0;
  if (tok == NULL)
    return -1;
  doc = json_tokener_parse_ex(tok, json, -1);
  json_tokener_free(tok);
  if (doc == NULL)
    return -1;
  if (json_object_object_get_ex(doc, "swagger", &v) && put_str(&b, 1, v))
    goto out;
  if (json_object_object_get_ex(doc, "info", &v)) {
    json_object *x;

    if ((json_object_object_get_ex(v, "title", &x) && put_str(&m, 1, x)) ||
        (json_object_object_get_ex(v, "version", &x) && put_str(&m, 2, x)) ||
        put_msg(&b, 2, &m) != 0)
      goto out;
  }
  if (json_object_object_get_ex(doc, "paths", &v) &&
      json_object_is_type(v, json_type_object)) {
    json_object_object_foreach(v, path, pi) {
      for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        json_object *op;

        if (json_object_object_get_ex(pi, verbs[i].verb, &op) &&
            (operation_pb(op, &e) != 0 || put_msg(&item, verbs[i].num, &e)))
          goto out;
      }
      /* NamedPathItem{name, PathItem} in Paths.path (2) */
      if (cp_pb_put_bytes(&e, 1, path, strlen(path)) != 0 ||
          put_msg(&e, 2, &item) != 0 || put_msg(&m, 2, &e) != 0)
        goto out;
    }
    if (put_msg(&b, 8, &m) != 0)
      goto out;
  }
  if (json_object_object_get_ex(doc, "definitions", &v)) {
    if (named_schemas(v, 1, &m, 0) != 0 || put_msg(&b, 9, &m) != 0)
      goto out;
  }
  *pb = (char *)b.p;
  *len = b.len;
  b.p = NULL;
  rc = 0;
out:
  free(b.p);
  free(m.p);
  free(e.p);
  free(item.p);
  json_object_put(doc);
  return rc;
}

/* ---- serving ---- */

/* kube-apiserver's ETag: the SHA-512 of the JSON document, upper-case
 * hex, quoted. */
static void etag_of(const char *json, size_t len, char *out, size_t cap) {
  unsigned char md[SHA512_DIGEST_LENGTH];
  size_t i, o = 0;

  SHA512((const unsigned char *)json, len, md);
  out[o++] = '"';
  for (i = 0; i < sizeof md && o + 3 < cap; i++)
    o += (size_t)snprintf(out + o, cap - o, "%02X", md[i]);
  out[o++] = '"';
  out[o] = '\0';
}

/* Locked: the cached document for the registry as it is now. */
static int refresh_locked(struct cp_openapi_v2 *c) {
  uint64_t gen = cp_resources_generation(c->r);
  char *json, *pb;
  size_t pb_len;

  if (c->built && c->generation == gen)
    return 0;
  if ((json = build_json(c->r)) == NULL)
    return -1;
  if (cp_openapi_v2_protobuf(json, &pb, &pb_len) != 0) {
    free(json);
    return -1;
  }
  free(c->json);
  free(c->pb);
  c->json = json;
  c->json_len = strlen(json);
  c->pb = pb;
  c->pb_len = pb_len;
  c->generation = gen;
  c->built = 1;
  etag_of(json, c->json_len, c->etag, sizeof c->etag);
  return 0;
}

enum { WANT_NONE, WANT_JSON, WANT_PB };

static int same(const char *p, size_t n, const char *type) {
  return n == strlen(type) && strncasecmp(p, type, n) == 0;
}

/* What Accept asks for, as kube-openapi's handler reads it: the media
 * ranges by q, the first it serves; no header at all means JSON. */
static int negotiate(const char *accept) {
  const char *p = accept;
  int best = WANT_NONE;
  double best_q = 0.0;

  if (accept == NULL || accept[0] == '\0')
    return WANT_JSON;
  while (*p != '\0') {
    size_t n = strcspn(p, ","), t;
    const char *q;
    double qv = 1.0;
    int want = WANT_NONE;

    while (n > 0 && *p == ' ') {
      p++;
      n--;
    }
    t = strcspn(p, ";");
    if (t > n)
      t = n;
    while (t > 0 && p[t - 1] == ' ')
      t--;
    if ((q = strstr(p, ";q=")) != NULL && q < p + n)
      qv = strtod(q + 3, NULL);
    if ((t == 16 && strncasecmp(p, "application/json", 16) == 0) ||
        (t == 3 && strncmp(p, "*/*", 3) == 0) ||
        (t == 13 && strncasecmp(p, "application/*", 13) == 0))
      want = WANT_JSON;
    else if (same(p, t, "application/com.github.proto-openapi.spec.v2"
                        "@v1.0+protobuf") ||
             same(p, t, CP_OPENAPI_V2_PROTOBUF))
      want = WANT_PB;
    if (want != WANT_NONE && qv > best_q) {
      best = want;
      best_q = qv;
    }
    p += n;
    if (*p == ',')
      p++;
  }
  return best;
}

void cp_openapi_v2_get(struct cp_openapi_v2 *c, const char *accept,
                       const char *if_none_match,
                       struct cp_openapi_v2_reply *out) {
  int want = negotiate(accept);

  memset(out, 0, sizeof *out);
  out->content_type = "application/json";
  if (want == WANT_NONE) {
    out->code = 406;
    return;
  }
  pthread_mutex_lock(&c->mu);
  if (refresh_locked(c) != 0) {
    pthread_mutex_unlock(&c->mu);
    out->code = 500;
    return;
  }
  snprintf(out->etag, sizeof out->etag, "%s", c->etag);
  if (if_none_match != NULL && strcmp(if_none_match, c->etag) == 0) {
    pthread_mutex_unlock(&c->mu);
    out->code = 304;
    return;
  }
  out->code = 200;
  if (want == WANT_PB) {
    out->content_type = CP_OPENAPI_V2_PROTOBUF;
    out->len = c->pb_len;
    out->body = malloc(c->pb_len ? c->pb_len : 1);
    if (out->body != NULL)
      memcpy(out->body, c->pb, c->pb_len);
  } else {
    out->len = c->json_len;
    out->body = strdup(c->json);
  }
  pthread_mutex_unlock(&c->mu);
  if (out->body == NULL)
    out->code = 500;
}
