/*
 * test_rv_text - a write's stored and reply texts from one serialization
 * (apiserver/rv_text.h) are byte for byte what serializing twice gave:
 * the stored text without metadata.resourceVersion, the reply with it as
 * metadata's last member, wherever the body had it and whatever the
 * strings around it hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "apiserver/rv_text.h"
#include "apiserver/verbs.h"

/* The texts as serializing twice gives them (the oracle). */
static void serialize_twice(const char *body, int64_t rev, char **stored,
                            char **reply) {
  json_object *o = json_tokener_parse(body);

  assert_non_null(o);
  *stored = cp_verbs_stored_text(o);
  cp_verbs_set_rv(o, rev);
  *reply = cp_api_to_text(o);
  json_object_put(o);
}

static void check(const char *body, int64_t rev, int spliced) {
  json_object *o = json_tokener_parse(body);
  struct cp_rv_text t;
  char *want_stored, *want_reply, *reply, rv[32];

  assert_non_null(o);
  serialize_twice(body, rev, &want_stored, &want_reply);
  assert_int_equal(cp_rv_text_make(&t, o), 0);
  assert_int_equal(t.spliced, spliced);
  assert_string_equal(t.stored, want_stored);
  assert_int_equal(t.len, strlen(want_stored));
  /* The placeholder is gone from o: nothing points at the stack. */
  assert_null(get(get(o, "metadata"), "resourceVersion"));
  reply = cp_rv_text_reply(&t, o, rev);
  assert_non_null(reply);
  assert_string_equal(reply, want_reply);
  /* o carries the revision too (read after the write). */
  snprintf(rv, sizeof rv, "%" PRId64, rev);
  assert_string_equal(get_str(get(o, "metadata"), "resourceVersion"), rv);
  free(reply);
  cp_rv_text_clear(&t);
  assert_null(t.stored);
  cp_rv_text_clear(&t); /* twice is safe */
  free(want_stored);
  free(want_reply);
  json_object_put(o);
}

static void test_pod(void **state) {
  (void)state;
  check("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
        "\"namespace\":\"ns\",\"labels\":{\"a\":\"b\"}},\"spec\":{"
        "\"containers\":[{\"name\":\"c\",\"image\":\"x/y:1\"}]}}",
        42, 1);
}

/* A resourceVersion the body carried is dropped from the stored text
 * and the reply's goes last, as cp_verbs_set_rv puts it. */
static void test_body_had_one(void **state) {
  (void)state;
  check("{\"metadata\":{\"resourceVersion\":\"7\",\"name\":\"a\"},"
        "\"data\":{\"k\":\"v\"}}",
        9007199254740993LL, 1);
  check("{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"\"}}", 1, 1);
}

/* Metadata with nothing else: no comma to cut or put back. */
static void test_only_member(void **state) {
  (void)state;
  check("{\"kind\":\"X\",\"metadata\":{}}", 3, 1);
  check("{\"metadata\":{\"resourceVersion\":\"5\"},\"spec\":{}}", 3, 1);
  /* No metadata at all: made, as cp_verbs_stored_text makes it. */
  check("{\"kind\":\"X\"}", 3, 1);
}

/* Text that looks like the member elsewhere (values, keys, nested
 * metadata) does not move the cut. */
static void test_lookalikes(void **state) {
  (void)state;
  check("{\"data\":{\"x\":\"\\\"resourceVersion\\\":\\\"\\\"\","
        "\"resourceVersion\":\"\"},\"metadata\":{\"name\":\"n\","
        "\"annotations\":{\"resourceVersion\":\"\"}},"
        "\"spec\":{\"template\":{\"metadata\":{\"resourceVersion\":\"\"}}}}",
        12, 1);
  check("{\"metadata\":{\"name\":\"\\u00e9/\\\\\"}}", 12, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pod),
      cmocka_unit_test(test_body_had_one),
      cmocka_unit_test(test_only_member),
      cmocka_unit_test(test_lookalikes),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
