/*
 * test_openapi_v2 - /openapi/v2 from the registry: a Swagger 2.0 document
 * with every built-in definition and each type's PATCH operation, "$ref"s
 * into #/definitions/; gnostic protobuf for kubectl's Accept; kube's ETag
 * and 304; 406 for what it cannot serve; rebuilt when the registry's
 * generation changes (a custom type added), not before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/openapi_v2.h"
#include "apiserver/resources.h"

#define PB_ACCEPT "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"

static json_object *get_json(struct cp_openapi_v2 *c, char *etag) {
  struct cp_openapi_v2_reply r;
  json_object *o;

  cp_openapi_v2_get(c, "application/json", NULL, &r);
  assert_int_equal(r.code, 200);
  assert_string_equal(r.content_type, "application/json");
  o = json_tokener_parse(r.body);
  assert_non_null(o);
  strcpy(etag, r.etag);
  free(r.body);
  return o;
}

static json_object *at(json_object *o, const char *a, const char *b) {
  json_object *v = NULL;

  if (!json_object_object_get_ex(o, a, &v))
    return NULL;
  if (b != NULL && !json_object_object_get_ex(v, b, &v))
    return NULL;
  return v;
}

static void test_document(void **state) {
  struct cp_resources *r = cp_resources_new();
  struct cp_openapi_v2 *c = cp_openapi_v2_new(r);
  char etag[140];
  json_object *doc, *patch, *ref;
  const char *text;

  (void)state;
  doc = get_json(c, etag);
  assert_string_equal(json_object_get_string(at(doc, "swagger", NULL)),
                      "2.0");
  assert_non_null(at(at(doc, "definitions", NULL),
                     "io.k8s.api.apps.v1.Deployment", NULL));
  patch = at(at(doc, "paths",
                NULL),
             "/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
             "patch");
  assert_non_null(patch);
  assert_non_null(at(patch, "x-kubernetes-group-version-kind", NULL));
  ref = at(json_object_array_get_idx(at(patch, "parameters", NULL), 0),
           "schema", "$ref");
  assert_string_equal(json_object_get_string(ref),
                      "#/definitions/io.k8s.api.apps.v1.Deployment");
  text = json_object_to_json_string(doc);
  assert_null(strstr(text, "#/components/schemas/"));
  /* kube's ETag: a quoted upper-case SHA-512 */
  assert_int_equal(strlen(etag), 130);
  assert_int_equal(etag[0], '"');
  json_object_put(doc);
  cp_openapi_v2_free(c);
  cp_resources_free(r);
}

static void test_negotiation_and_etag(void **state) {
  struct cp_resources *r = cp_resources_new();
  struct cp_openapi_v2 *c = cp_openapi_v2_new(r);
  struct cp_openapi_v2_reply a, b;
  const unsigned char *u;

  (void)state;
  cp_openapi_v2_get(c, PB_ACCEPT, NULL, &a);
  assert_int_equal(a.code, 200);
  assert_string_equal(a.content_type, CP_OPENAPI_V2_PROTOBUF);
  /* Document.swagger (1) = "2.0" first */
  u = (const unsigned char *)a.body;
  assert_int_equal(u[0], 0x0a);
  assert_int_equal(u[1], 3);
  assert_memory_equal(u + 2, "2.0", 3);
  cp_openapi_v2_get(c, PB_ACCEPT, a.etag, &b);
  assert_int_equal(b.code, 304);
  assert_null(b.body);
  cp_openapi_v2_get(c, NULL, "\"other\"", &b);
  assert_int_equal(b.code, 200);
  assert_string_equal(b.content_type, "application/json");
  assert_string_equal(a.etag, b.etag); /* one ETag for both formats */
  free(b.body);
  cp_openapi_v2_get(c, "text/html", NULL, &b);
  assert_int_equal(b.code, 406);
  cp_openapi_v2_get(c, "application/json;q=0.5, " PB_ACCEPT, NULL, &b);
  assert_string_equal(b.content_type, CP_OPENAPI_V2_PROTOBUF);
  free(b.body);
  free(a.body);
  cp_openapi_v2_free(c);
  cp_resources_free(r);
}

/* A type added (a CRD served) changes the document and its ETag. */
static void test_rebuilt_on_generation(void **state) {
  struct cp_resources *r = cp_resources_new();
  struct cp_openapi_v2 *c = cp_openapi_v2_new(r);
  struct cp_resource_type t = {"example.com", "v1", "widgets", "widget",
                               "Widget", "WidgetList", 1, {NULL}, 0, 0};
  char e1[140], e2[140], e3[140];
  json_object *doc;

  (void)state;
  json_object_put(get_json(c, e1));
  json_object_put(get_json(c, e2));
  assert_string_equal(e1, e2);
  assert_int_equal(cp_resources_add(r, &t), 0);
  doc = get_json(c, e3);
  assert_string_not_equal(e1, e3);
  assert_non_null(at(at(doc, "paths", NULL),
                     "/apis/example.com/v1/namespaces/{namespace}/widgets/"
                     "{name}",
                     "patch"));
  json_object_put(doc);
  cp_openapi_v2_free(c);
  cp_resources_free(r);
}

static void test_protobuf_schema(void **state) {
  char *pb;
  size_t len;

  (void)state;
  /* Schema fields by number: type (22) holds TypeItem{value}, a vendor
   * extension (31) a NamedAny whose Any carries YAML (2). */
  assert_int_equal(
      cp_openapi_v2_protobuf("{\"swagger\":\"2.0\",\"definitions\":{\"A\":{"
                             "\"type\":\"object\",\"x-k\":true}}}",
                             &pb, &len),
      0);
  {
    static const unsigned char want[] = {
        0x0a, 3, '2', '.', '0', /* swagger */
        0x4a, 34,               /* definitions (9): Definitions */
        0x0a, 32,               /* additional_properties: NamedSchema */
        0x0a, 1, 'A',           /* name */
        0x12, 27,               /* value: Schema */
        0xb2, 0x01, 8, 0x0a, 6, 'o', 'b', 'j', 'e', 'c', 't', /* type */
        0xfa, 0x01, 13, 0x0a, 3, 'x', '-', 'k', /* vendor_extension */
        0x12, 6, 0x12, 4, 't', 'r', 'u', 'e'};  /* Any{yaml: "true"} */

    assert_int_equal(len, sizeof want);
    assert_memory_equal(pb, want, sizeof want);
  }
  free(pb);
  assert_int_equal(cp_openapi_v2_protobuf("not json", &pb, &len), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_document),
      cmocka_unit_test(test_negotiation_and_etag),
      cmocka_unit_test(test_rebuilt_on_generation),
      cmocka_unit_test(test_protobuf_schema),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
