/*
 * Unit tests for host/apiserver/status: the exact Status shapes kubectl
 * and the client libraries parse, escaping, causes and reasons.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apiserver/status.h"
#include "object/object.h"

static void expect(char *got, const char *want) {
  assert_non_null(got);
  assert_string_equal(got, want);
  assert_true(cp_json_valid(got, strlen(got)));
  free(got);
}

static void test_not_found(void **state) {
  struct cp_status_details d = {.name = "nope", .kind = "pods"};

  (void)state;
  expect(cp_status_failure(404, NULL, "pods \"nope\" not found", &d),
         "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
         "\"status\":\"Failure\",\"message\":\"pods \\\"nope\\\" not found\","
         "\"reason\":\"NotFound\",\"details\":{\"name\":\"nope\","
         "\"kind\":\"pods\"},\"code\":404}");
}

static void test_conflict_and_already_exists(void **state) {
  struct cp_status_details d = {
      .name = "d1", .group = "apps", .kind = "deployments"};

  (void)state;
  expect(cp_status_failure(409, NULL, "the object has been modified", &d),
         "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
         "\"status\":\"Failure\",\"message\":\"the object has been modified\","
         "\"reason\":\"Conflict\",\"details\":{\"name\":\"d1\",\"group\":"
         "\"apps\",\"kind\":\"deployments\"},\"code\":409}");
  expect(cp_status_failure(409, "AlreadyExists", "x", NULL),
         "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
         "\"status\":\"Failure\",\"message\":\"x\",\"reason\":"
         "\"AlreadyExists\",\"code\":409}");
}

static void test_invalid_with_causes(void **state) {
  struct cp_status_cause causes[] = {
      {"FieldValueRequired", "Required value: name or generateName is "
                             "required", "metadata.name"},
      {"FieldValueInvalid", "Invalid value: \"A\"", "metadata.labels"},
  };
  struct cp_status_details d = {.kind = "ConfigMap", .causes = causes,
                                .n_causes = 2};

  (void)state;
  expect(cp_status_failure(422, NULL, "ConfigMap \"\" is invalid", &d),
         "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
         "\"status\":\"Failure\",\"message\":\"ConfigMap \\\"\\\" is invalid\","
         "\"reason\":\"Invalid\",\"details\":{\"kind\":\"ConfigMap\","
         "\"causes\":[{\"reason\":\"FieldValueRequired\",\"message\":"
         "\"Required value: name or generateName is required\",\"field\":"
         "\"metadata.name\"},{\"reason\":\"FieldValueInvalid\",\"message\":"
         "\"Invalid value: \\\"A\\\"\",\"field\":\"metadata.labels\"}]},"
         "\"code\":422}");
}

static void test_reasons_and_formats(void **state) {
  struct cp_status_details d = {.retry_after_seconds = 3};

  (void)state;
  assert_string_equal(cp_status_reason_for(400), "BadRequest");
  assert_string_equal(cp_status_reason_for(410), "Expired");
  assert_string_equal(cp_status_reason_for(413), "RequestEntityTooLarge");
  assert_string_equal(cp_status_reason_for(415), "UnsupportedMediaType");
  assert_string_equal(cp_status_reason_for(504), "Timeout");
  assert_string_equal(cp_status_reason_for(299), "");
  expect(cp_status_failuref(400, "bad %s at %d", "q\n", 7),
         "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
         "\"status\":\"Failure\",\"message\":\"bad q\\n at 7\",\"reason\":"
         "\"BadRequest\",\"code\":400}");
  expect(cp_status_failure(429, NULL, "slow down", &d),
         "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
         "\"status\":\"Failure\",\"message\":\"slow down\",\"reason\":"
         "\"TooManyRequests\",\"details\":{\"retryAfterSeconds\":3},"
         "\"code\":429}");
}

static void test_success(void **state) {
  struct cp_status_details d = {.name = "web", .kind = "pods", .uid = "u1"};

  (void)state;
  expect(cp_status_success(&d),
         "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
         "\"status\":\"Success\",\"details\":{\"name\":\"web\",\"kind\":"
         "\"pods\",\"uid\":\"u1\"}}");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_not_found),
      cmocka_unit_test(test_conflict_and_already_exists),
      cmocka_unit_test(test_invalid_with_causes),
      cmocka_unit_test(test_reasons_and_formats),
      cmocka_unit_test(test_success),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
