/*
 * Unit tests for host/apiserver/audit/request_object: the bodies kube's
 * handlers log as decoded. DeleteOptions come out under
 * meta.k8s.io/__internal with their known fields only (null and unknown
 * ones dropped, an empty dryRun left out), the Eviction, Binding and
 * TokenRequest of the subresource creates with kind, apiVersion,
 * creationTimestamp null, Go's zero values where a field has no
 * omitempty and the TokenRequest's defaulted expiry; a body Go would not
 * decode (a field of the wrong type, another kind or version) gives
 * nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "apiserver/audit/request_object.h"

/* Decodes body with fn(sub, body) and compares with want (NULL: no
 * object), as JSON values. */
static void expect(json_object *(*fn)(const char *, json_object *),
                   const char *sub, const char *body, const char *want) {
  json_object *in = json_tokener_parse(body), *got, *w;

  assert_non_null(in);
  got = fn(sub, in);
  if (want == NULL) {
    if (got != NULL)
      fail_msg("%s: wanted nothing, got %s", body,
               json_object_to_json_string(got));
    json_object_put(in);
    return;
  }
  w = json_tokener_parse(want);
  assert_non_null(w);
  if (got == NULL || !json_object_equal(got, w))
    fail_msg("%s:\n got %s\nwant %s", body,
             got ? json_object_to_json_string(got) : "nothing", want);
  json_object_put(got);
  json_object_put(w);
  json_object_put(in);
}

static json_object *delete_options(const char *sub, json_object *body) {
  (void)sub;
  return cp_audit_decoded_delete_options(body);
}

static void expect_delete(const char *body, const char *want) {
  expect(delete_options, NULL, body, want);
}

static void test_delete_options(void **state) {
  (void)state;
  /* kubectl's: the group's version as sent becomes the meta scheme's. */
  expect_delete("{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
                "\"propagationPolicy\":\"Background\"}",
                "{\"kind\":\"DeleteOptions\",\"apiVersion\":"
                "\"meta.k8s.io/__internal\",\"propagationPolicy\":"
                "\"Background\"}");
  /* No TypeMeta; unknown, null and empty fields gone; a zero grace
   * period and an empty precondition are pointers: kept. */
  expect_delete("{\"gracePeriodSeconds\":0,\"orphanDependents\":null,"
                "\"preconditions\":{},\"dryRun\":[],\"bogus\":1,"
                "\"ignoreStoreReadErrorWithClusterBreakingPotential\":false}",
                "{\"kind\":\"DeleteOptions\",\"apiVersion\":"
                "\"meta.k8s.io/__internal\",\"gracePeriodSeconds\":0,"
                "\"preconditions\":{},"
                "\"ignoreStoreReadErrorWithClusterBreakingPotential\":false}");
  expect_delete("{\"preconditions\":{\"uid\":\"u1\",\"resourceVersion\":"
                "\"7\",\"x\":1},\"dryRun\":[\"All\"]}",
                "{\"kind\":\"DeleteOptions\",\"apiVersion\":"
                "\"meta.k8s.io/__internal\",\"preconditions\":{\"uid\":"
                "\"u1\",\"resourceVersion\":\"7\"},\"dryRun\":[\"All\"]}");
  /* What Go's decoder refuses. */
  expect_delete("{\"gracePeriodSeconds\":\"30\"}", NULL);
  expect_delete("{\"gracePeriodSeconds\":1.5}", NULL);
  expect_delete("{\"preconditions\":{\"uid\":7}}", NULL);
  expect_delete("{\"preconditions\":[]}", NULL);
  expect_delete("{\"dryRun\":[\"All\",3]}", NULL);
  expect_delete("{\"orphanDependents\":\"yes\"}", NULL);
  expect_delete("{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}", NULL);
  expect_delete("{\"kind\":7}", NULL);
  expect_delete("[1,2]", NULL);
}

static void test_eviction(void **state) {
  (void)state;
  expect(cp_audit_decoded_subresource, "eviction",
         "{\"apiVersion\":\"policy/v1beta1\",\"kind\":\"Eviction\","
         "\"metadata\":{\"name\":\"p1\",\"namespace\":\"ns\"},\"extra\":1,"
         "\"deleteOptions\":{\"kind\":\"DeleteOptions\",\"apiVersion\":"
         "\"v1\",\"gracePeriodSeconds\":5,\"unknown\":true}}",
         "{\"kind\":\"Eviction\",\"apiVersion\":\"policy/v1beta1\","
         "\"metadata\":{\"name\":\"p1\",\"namespace\":\"ns\","
         "\"creationTimestamp\":null},\"deleteOptions\":{\"kind\":"
         "\"DeleteOptions\",\"apiVersion\":\"v1\",\"gracePeriodSeconds\":5}}");
  /* No TypeMeta: the served version, policy/v1. */
  expect(cp_audit_decoded_subresource, "eviction",
         "{\"metadata\":{\"name\":\"p1\"}}",
         "{\"kind\":\"Eviction\",\"apiVersion\":\"policy/v1\","
         "\"metadata\":{\"name\":\"p1\",\"creationTimestamp\":null}}");
  /* Nested, the TypeMeta is omitempty; a zero grace period is not. */
  expect(cp_audit_decoded_subresource, "eviction",
         "{\"metadata\":{\"name\":\"p1\"},\"deleteOptions\":{\"kind\":"
         "\"\",\"gracePeriodSeconds\":0,\"dryRun\":[]}}",
         "{\"kind\":\"Eviction\",\"apiVersion\":\"policy/v1\","
         "\"metadata\":{\"name\":\"p1\",\"creationTimestamp\":null},"
         "\"deleteOptions\":{\"gracePeriodSeconds\":0}}");
  expect(cp_audit_decoded_subresource, "eviction",
         "{\"metadata\":{\"name\":\"p1\"},\"deleteOptions\":\"now\"}", NULL);
  expect(cp_audit_decoded_subresource, "eviction",
         "{\"metadata\":\"p1\"}", NULL);
  expect(cp_audit_decoded_subresource, "eviction",
         "{\"apiVersion\":\"policy/v2\",\"kind\":\"Eviction\"}", NULL);
  expect(cp_audit_decoded_subresource, "eviction",
         "{\"apiVersion\":\"v1\",\"kind\":\"Binding\"}", NULL);
}

static void test_binding(void **state) {
  (void)state;
  expect(cp_audit_decoded_subresource, "binding",
         "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{"
         "\"name\":\"p1\"},\"target\":{\"kind\":\"Node\",\"name\":\"n1\","
         "\"color\":\"red\"}}",
         "{\"kind\":\"Binding\",\"apiVersion\":\"v1\",\"metadata\":{"
         "\"name\":\"p1\",\"creationTimestamp\":null},\"target\":{\"kind\":"
         "\"Node\",\"name\":\"n1\"}}");
  /* target has no omitempty: written empty. */
  expect(cp_audit_decoded_subresource, "binding", "{}",
         "{\"kind\":\"Binding\",\"apiVersion\":\"v1\",\"metadata\":{"
         "\"creationTimestamp\":null},\"target\":{}}");
  /* Its fields are omitempty strings: an empty one is left out. */
  expect(cp_audit_decoded_subresource, "binding",
         "{\"target\":{\"kind\":\"\",\"name\":\"n1\"}}",
         "{\"kind\":\"Binding\",\"apiVersion\":\"v1\",\"metadata\":{"
         "\"creationTimestamp\":null},\"target\":{\"name\":\"n1\"}}");
  expect(cp_audit_decoded_subresource, "binding",
         "{\"target\":{\"name\":1}}", NULL);
}

static void test_token_request(void **state) {
  (void)state;
  /* kube's defaults: an hour; audiences and status have no omitempty. */
  expect(cp_audit_decoded_subresource, "token",
         "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":"
         "\"TokenRequest\",\"spec\":{}}",
         "{\"kind\":\"TokenRequest\",\"apiVersion\":"
         "\"authentication.k8s.io/v1\",\"metadata\":{\"creationTimestamp\":"
         "null},\"spec\":{\"audiences\":null,\"expirationSeconds\":3600},"
         "\"status\":{\"token\":\"\",\"expirationTimestamp\":null}}");
  expect(cp_audit_decoded_subresource, "token",
         "{\"spec\":{\"audiences\":[\"api\"],\"expirationSeconds\":600,"
         "\"boundObjectRef\":{\"kind\":\"Pod\",\"name\":\"p1\",\"uid\":"
         "\"u1\",\"x\":2}}}",
         "{\"kind\":\"TokenRequest\",\"apiVersion\":"
         "\"authentication.k8s.io/v1\",\"metadata\":{\"creationTimestamp\":"
         "null},\"spec\":{\"audiences\":[\"api\"],\"expirationSeconds\":600,"
         "\"boundObjectRef\":{\"kind\":\"Pod\",\"name\":\"p1\",\"uid\":"
         "\"u1\"}},\"status\":{\"token\":\"\",\"expirationTimestamp\":"
         "null}}");
  expect(cp_audit_decoded_subresource, "token",
         "{\"spec\":{\"expirationSeconds\":\"600\"}}", NULL);
  expect(cp_audit_decoded_subresource, "token",
         "{\"spec\":{\"audiences\":\"api\"}}", NULL);
  expect(cp_audit_decoded_subresource, "token",
         "{\"apiVersion\":\"authentication.k8s.io/v1beta1\"}", NULL);
  /* Another subresource is not one of these. */
  expect(cp_audit_decoded_subresource, "status", "{}", NULL);
  expect(cp_audit_decoded_subresource, NULL, "{}", NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_delete_options),
      cmocka_unit_test(test_eviction),
      cmocka_unit_test(test_binding),
      cmocka_unit_test(test_token_request),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
