/*
 * test_plugin_common - the helpers compiled into the in-tree plugins:
 * strbuf (growth, sticky failure, owned text) and timeutil (RFC 3339 both
 * ways, with fractions and offsets; INI durations) and objects (the
 * controller's key, finished pods), on the host's own object code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"

#include "objects.h"
#include "strbuf.h"
#include "timeutil.h"

static int freed;

static void counting_free(void *p) {
  freed++;
  free(p);
}

static void test_strbuf(void **state) {
  struct sbuf b = {0};
  char *s;
  int i;

  (void)state;
  for (i = 0; i < 1000; i++) /* grows past its first 256 bytes many times */
    sb_add(&b, "0123456789");
  s = sb_finish(&b);
  assert_non_null(s);
  assert_int_equal(strlen(s), 10000);
  free(s);

  memset(&b, 0, sizeof b);
  sb_add(&b, "{");
  freed = 0;
  sb_take_with(&b, strdup("\"a\":1"), counting_free);
  assert_int_equal(freed, 1);
  sb_add(&b, "}");
  s = sb_finish(&b);
  assert_string_equal(s, "{\"a\":1}");
  free(s);

  /* A NULL piece (a failed json_format) fails the whole text. */
  memset(&b, 0, sizeof b);
  sb_add(&b, "x");
  sb_take_with(&b, NULL, counting_free);
  sb_add(&b, "y");
  assert_null(sb_finish(&b));
  memset(&b, 0, sizeof b);
  assert_null(sb_finish(&b)); /* nothing added */
  /* Counted pieces: part of a string, or nothing at all, which still
   * makes an empty text rather than none. */
  memset(&b, 0, sizeof b);
  sb_addn(&b, "", 0);
  s = sb_finish(&b);
  assert_string_equal(s, "");
  free(s);
  memset(&b, 0, sizeof b);
  sb_addn(&b, "a.b.c", 2);
  sb_addn(&b, "\\", 1);
  sb_add(&b, "x");
  s = sb_finish(&b);
  assert_string_equal(s, "a.\\x");
  free(s);
}

static void test_times(void **state) {
  char buf[40];
  double t;

  (void)state;
  assert_int_equal(parse_time("2026-11-25T14:00:00Z", &t), 0);
  assert_true(fabs(t - 1795615200.0) < 1e-6);
  assert_int_equal(parse_time("2026-11-25T14:00:00.250000Z", &t), 0);
  assert_true(fabs(t - 1795615200.25) < 1e-6);
  assert_int_equal(parse_time("2026-11-25T16:00:00+02:00", &t), 0);
  assert_true(fabs(t - 1795615200.0) < 1e-6);
  assert_int_equal(parse_time("2026-11-25 14:00:00", &t), -1);
  assert_int_equal(parse_time(NULL, &t), -1);
  format_time(buf, sizeof buf, 1795615200.25, 0);
  assert_string_equal(buf, "2026-11-25T14:00:00Z");
  format_time(buf, sizeof buf, 1795615200.25, 1);
  assert_string_equal(buf, "2026-11-25T14:00:00.250000Z");
  assert_int_equal(parse_time(buf, &t), 0);
  assert_true(fabs(t - 1795615200.25) < 1e-6);
  assert_true(now_s() > 1.7e9);
}

static void test_durations(void **state) {
  uint32_t ms = 0;

  (void)state;
  assert_int_equal(parse_duration_ms("250ms", &ms), 0);
  assert_int_equal(ms, 250);
  assert_int_equal(parse_duration_ms("10s", &ms), 0);
  assert_int_equal(ms, 10000);
  assert_int_equal(parse_duration_ms("40", &ms), 0);
  assert_int_equal(ms, 40000);
  assert_int_equal(parse_duration_ms("2m", &ms), 0);
  assert_int_equal(ms, 120000);
  assert_int_equal(parse_duration_ms("1.5h", &ms), 0);
  assert_int_equal(ms, 5400000);
  assert_int_equal(parse_duration_ms("0", &ms), 0);
  assert_int_equal(ms, 0);
  ms = 7;
  assert_int_equal(parse_duration_ms("", &ms), -1);
  assert_int_equal(parse_duration_ms("10 s", &ms), -1);
  assert_int_equal(parse_duration_ms("-1s", &ms), -1);
  assert_int_equal(parse_duration_ms("3d", &ms), -1);
  assert_int_equal(parse_duration_ms("400h", &ms), -1); /* over 1e9 ms */
  assert_int_equal(parse_duration_ms(NULL, &ms), -1);
  assert_int_equal(ms, 7);
}

static const cplane_object *parse(const struct cplane_host_api *api,
                                  const char *json) {
  const cplane_object *o = NULL;

  assert_int_equal(api->object_parse(json, strlen(json), &o, NULL),
                   CPLANE_OK);
  return o;
}

static void test_objects(void **state) {
  const struct cplane_host_api *api = cp_host_api();
  const cplane_object *pod = parse(
      api, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\","
           "\"ownerReferences\":[{\"kind\":\"Node\",\"name\":\"n\"},"
           "{\"kind\":\"ReplicaSet\",\"name\":\"web\",\"controller\":"
           "true}]},\"status\":{\"phase\":\"Succeeded\"}}");
  const cplane_object *bare = parse(api, "{\"metadata\":{\"name\":\"q\"}}");
  char key[64], tiny[4];

  (void)state;
  assert_int_equal(controller_owner_key(api, pod, "ReplicaSet", key,
                                        sizeof key),
                   1);
  assert_string_equal(key, "ns/web");
  /* The controller is of another kind, the buffer is too short, none. */
  assert_int_equal(controller_owner_key(api, pod, "Deployment", key,
                                        sizeof key),
                   0);
  assert_int_equal(controller_owner_key(api, pod, "ReplicaSet", tiny,
                                        sizeof tiny),
                   0);
  assert_int_equal(controller_owner_key(api, bare, "ReplicaSet", key,
                                        sizeof key),
                   0);
  assert_true(pod_is_terminal(api, pod));
  assert_false(pod_is_terminal(api, bare));
  api->object_release(pod);
  api->object_release(bare);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strbuf),
      cmocka_unit_test(test_times),
      cmocka_unit_test(test_durations),
      cmocka_unit_test(test_objects),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
