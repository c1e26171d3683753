/*
 * Unit tests for dryRun=All (host/apiserver/dry_run.c and the verbs):
 * kube's 422 for any other value, a dry-run create of an existing name is
 * 409, a dry-run delete answers what it would do and removes nothing, a
 * dry-run Service takes no ClusterIP or NodePort, and nothing of it
 * moves the store's revision. Also YAML bodies (yaml_body.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "apiserver/alloc/service_alloc.h"
#include "apiserver/request.h"
#include "api_fixture.h"
#include "log/log.h"

#define J API_FIXTURE_JSON
#define CMS "/api/v1/namespaces/default/configmaps"
#define SVCS "/api/v1/namespaces/default/services"

static struct cp_api_response call(struct api_fixture *f,
                                   enum cp_api_method m, const char *path,
                                   const char *ctype, const char *body) {
  return api_fixture_call(f, m, path, ctype, body);
}

/* A string member of a response (dotted path), "" when absent. */
static const char *field(json_object *o, const char *path) {
  char buf[128], *tok, *save = NULL;
  json_object *v = o;

  snprintf(buf, sizeof buf, "%s", path);
  for (tok = strtok_r(buf, ".", &save); tok != NULL && v != NULL;
       tok = strtok_r(NULL, ".", &save))
    if (!json_object_object_get_ex(v, tok, &v))
      v = NULL;
  return v != NULL ? json_object_get_string(v) : "";
}

static int64_t revision(struct api_fixture *f) {
  int64_t rev = 0;

  assert_int_equal(cp_store_current_revision(f->store, &rev), 0);
  return rev;
}

static int setup(void **state) {
  struct api_fixture *f;

  api_fixture_setup_tagged(state, "cp-dryrun", 1);
  f = *state;
  f->ctx.svc_alloc = cp_svc_alloc_new(NULL, NULL);
  assert_non_null(f->ctx.svc_alloc);
  api_fixture_namespace(f, "default");
  return 0;
}

static int teardown(void **state) {
  struct api_fixture *f = *state;

  cp_svc_alloc_free(f->ctx.svc_alloc);
  return api_fixture_teardown(state);
}

/* Any value but All: kube's options validation, 422 on the verb's
 * options kind. */
static void test_bad_value(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  json_object *o;

  rs = call(f, CP_API_POST, CMS "?dryRun=Yes", J,
            "{\"metadata\":{\"name\":\"a\"}}");
  assert_int_equal(rs.code, 422);
  o = json_tokener_parse(rs.body);
  assert_string_equal(field(o, "message"),
                      "CreateOptions.meta.k8s.io \"\" is invalid: dryRun: "
                      "Unsupported value: []string{\"Yes\"}: supported "
                      "values: \"All\"");
  assert_string_equal(field(o, "reason"), "Invalid");
  json_object_put(o);
  free(rs.body);
  api_fixture_expect(f, CP_API_GET, CMS "/a", NULL, 404);
  rs = call(f, CP_API_PATCH, CMS "/a?dryRun=All&dryRun=", J, "{}");
  assert_int_equal(rs.code, 422);
  assert_non_null(strstr(rs.body, "PatchOptions.meta.k8s.io \\\"\\\" is "
                                  "invalid: dryRun: Unsupported value: "
                                  "[]string{\\\"All\\\", \\\"\\\"}"));
  free(rs.body);
  /* DeleteOptions in the body: their dryRun, not the query's. */
  rs = call(f, CP_API_DELETE, CMS "/a?dryRun=All", J,
            "{\"dryRun\":[\"x\"]}");
  assert_int_equal(rs.code, 422);
  assert_non_null(strstr(rs.body, "DeleteOptions.meta.k8s.io"));
  free(rs.body);
  rs = call(f, CP_API_DELETE, CMS "?dryRun=None", NULL, NULL);
  assert_int_equal(rs.code, 422);
  free(rs.body);
}

static void test_create(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  json_object *o;
  int64_t rev;

  api_fixture_expect(f, CP_API_POST, CMS, "{\"metadata\":{\"name\":\"have\"}}",
                     201);
  rev = revision(f);
  /* Returns what would be stored: uid, creationTimestamp, no
   * resourceVersion (kube's dry-run storage sets none). */
  rs = call(f, CP_API_POST, CMS "?dryRun=All", J,
            "{\"metadata\":{\"name\":\"new\"},\"data\":{\"k\":\"v\"}}");
  assert_int_equal(rs.code, 201);
  o = json_tokener_parse(rs.body);
  assert_string_not_equal(field(o, "metadata.uid"), "");
  assert_string_not_equal(field(o, "metadata.creationTimestamp"), "");
  assert_string_equal(field(o, "metadata.resourceVersion"), "");
  json_object_put(o);
  free(rs.body);
  api_fixture_expect(f, CP_API_GET, CMS "/new", NULL, 404);
  /* An existing name: 409 AlreadyExists, as a real create. */
  rs = call(f, CP_API_POST, CMS "?dryRun=All", J,
            "{\"metadata\":{\"name\":\"have\"}}");
  assert_int_equal(rs.code, 409);
  assert_non_null(strstr(rs.body, "\"reason\":\"AlreadyExists\""));
  free(rs.body);
  api_fixture_expect(f, CP_API_POST, CMS "?dryRun=All",
                     "{\"metadata\":{\"generateName\":\"g-\"}}", 201);
  assert_int_equal(revision(f), rev);
}

static void test_update_and_patch(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  json_object *o;
  char rv[32];
  int64_t rev;

  api_fixture_expect(f, CP_API_POST, CMS, "{\"metadata\":{\"name\":\"u\"},"
                                          "\"data\":{\"k\":\"1\"}}",
                     201);
  rev = revision(f);
  snprintf(rv, sizeof rv, "%lld", (long long)rev);
  rs = call(f, CP_API_PATCH, CMS "/u?dryRun=All",
            "application/merge-patch+json", "{\"data\":{\"k\":\"2\"}}");
  assert_int_equal(rs.code, 200);
  o = json_tokener_parse(rs.body);
  assert_string_equal(field(o, "data.k"), "2");
  assert_string_equal(field(o, "metadata.resourceVersion"), rv);
  json_object_put(o);
  free(rs.body);
  api_fixture_expect(f, CP_API_PUT, CMS "/u?dryRun=All",
                     "{\"metadata\":{\"name\":\"u\"},\"data\":{\"k\":\"3\"}}",
                     200);
  assert_int_equal(revision(f), rev);
  rs = call(f, CP_API_GET, CMS "/u", NULL, NULL);
  o = json_tokener_parse(rs.body);
  assert_string_equal(field(o, "data.k"), "1");
  json_object_put(o);
  free(rs.body);
}

/* A delete answers what it would do: the object marked when finalizers
 * hold it, as it is otherwise; nothing leaves the store. */
static void test_delete(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  json_object *o;
  int64_t rev;

  api_fixture_expect(f, CP_API_POST, CMS, "{\"metadata\":{\"name\":\"d\"}}",
                     201);
  api_fixture_expect(f, CP_API_POST, CMS,
                     "{\"metadata\":{\"name\":\"held\",\"finalizers\":"
                     "[\"example.com/x\"]}}",
                     201);
  rev = revision(f);
  api_fixture_expect(f, CP_API_DELETE, CMS "/d?dryRun=All", NULL, 200);
  rs = call(f, CP_API_DELETE, CMS "/held", J,
            "{\"kind\":\"DeleteOptions\",\"dryRun\":[\"All\"]}");
  assert_int_equal(rs.code, 200);
  o = json_tokener_parse(rs.body);
  assert_string_not_equal(field(o, "metadata.deletionTimestamp"), "");
  json_object_put(o);
  free(rs.body);
  api_fixture_expect(f, CP_API_DELETE, CMS "?dryRun=All", NULL, 200);
  assert_int_equal(revision(f), rev);
  rs = call(f, CP_API_GET, CMS "/held", NULL, NULL);
  assert_int_equal(rs.code, 200);
  assert_null(strstr(rs.body, "deletionTimestamp"));
  free(rs.body);
  api_fixture_expect(f, CP_API_GET, CMS "/d", NULL, 200);
}

/* A Service's ClusterIP and NodePort are shown, not taken: no
 * allocation key is written (the revision stays), and the same NodePort
 * can be asked for again. */
static void test_service_takes_nothing(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  json_object *o;
  int64_t rev = revision(f);
  const char *svc = "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"type\":"
                    "\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":"
                    "30080}]}}";

  rs = call(f, CP_API_POST, SVCS "?dryRun=All", J, svc);
  assert_int_equal(rs.code, 201);
  o = json_tokener_parse(rs.body);
  assert_string_not_equal(field(o, "spec.clusterIP"), "");
  json_object_put(o);
  free(rs.body);
  assert_int_equal(revision(f), rev);
  api_fixture_expect(f, CP_API_POST, SVCS, svc, 201);
  /* Taken for real now: a dry run of another is refused alike. */
  rs = call(f, CP_API_POST, SVCS "?dryRun=All", J,
            "{\"metadata\":{\"name\":\"t\"},\"spec\":{\"type\":\"NodePort\","
            "\"ports\":[{\"port\":80,\"nodePort\":30080}]}}");
  assert_int_equal(rs.code, 422);
  assert_non_null(strstr(rs.body, "provided port is already allocated"));
  free(rs.body);
}

static void test_yaml_body(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  json_object *o;

  rs = call(f, CP_API_POST, CMS, "application/yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yml\n"
            "data:\n  a: \"1\"\n  b: |\n    two\n");
  assert_int_equal(rs.code, 201);
  o = json_tokener_parse(rs.body);
  assert_string_equal(field(o, "data.b"), "two\n");
  json_object_put(o);
  free(rs.body);
  rs = call(f, CP_API_PUT, CMS "/yml", "application/yaml; charset=utf-8",
            "metadata: {name: yml}\ndata: {a: \"2\"}\n");
  assert_int_equal(rs.code, 200);
  free(rs.body);
  rs = call(f, CP_API_POST, CMS, "application/yaml",
            "metadata:\n  name: x\n   bad: 1\n");
  assert_int_equal(rs.code, 400);
  o = json_tokener_parse(rs.body);
  assert_non_null(strstr(field(o, "message"),
                         "the object provided is unrecognized (must be of "
                         "type ConfigMap): error converting YAML to JSON: "
                         "yaml: line 3: mapping values are not allowed in "
                         "this context ("));
  json_object_put(o);
  free(rs.body);
  /* A patch names its own types: YAML is 415 there. */
  rs = call(f, CP_API_PATCH, CMS "/yml", "application/yaml", "data: {}");
  assert_int_equal(rs.code, 415);
  free(rs.body);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_bad_value, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create, setup, teardown),
      cmocka_unit_test_setup_teardown(test_update_and_patch, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
      cmocka_unit_test_setup_teardown(test_service_takes_nothing, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_yaml_body, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
