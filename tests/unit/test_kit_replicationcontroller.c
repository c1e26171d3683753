/*
 * test_kit_replicationcontroller - the replicaset plugin's sources built
 * as the replicationcontroller plugin (RS_REPLICATIONCONTROLLER) on the
 * test kit: an RC with a plain-map selector gets its pods, controlled by
 * a v1 ReplicationController reference, extra ones are deleted, and its
 * status is written as a ReplicaSet's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <cplane/testing.h>

const struct cplane_plugin *cplane_plugin_entry(void);

#define RC_JSON(replicas)                                                      \
  "{\"apiVersion\":\"v1\",\"kind\":\"ReplicationController\",\"metadata\":"    \
  "{\"name\":\"web\",\"namespace\":\"default\",\"uid\":\"rc-uid\","            \
  "\"generation\":1},\"spec\":{\"replicas\":" #replicas ",\"selector\":{"      \
  "\"app\":\"web\"},\"template\":{\"metadata\":{\"labels\":{\"app\":"          \
  "\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":"             \
  "\"nginx\"}]}}}}"

static void test_rc(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  const struct cplane_host_api *api;
  char buf[128];
  size_t i;

  (void)state;
  assert_non_null(h);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  api = cplane_test_api(h);
  assert_int_equal(cplane_test_add(h, "replicationcontrollers", RC_JSON(3)), 0);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_count(h, "pods", "default", "app=web"), 3);
  for (i = 0; i < cplane_test_writes_len(h); i++) {
    const struct cplane_test_write *w = cplane_test_write_at(h, i);
    const cplane_object *pod = NULL;
    char key[300];

    if (strcmp(w->verb, "create") != 0)
      continue;
    snprintf(key, sizeof key, "default/%s", w->name);
    assert_int_equal(cplane_test_get(h, "pods", key, &pod), 0);
    assert_string_equal(
        api->object_string(pod, "metadata.ownerReferences[0].kind"),
        "ReplicationController");
    assert_string_equal(
        api->object_string(pod, "metadata.ownerReferences[0].apiVersion"),
        "v1");
    api->object_release(pod);
  }
  cplane_test_get_string(h, "replicationcontrollers", "default/web", "kind",
                         buf, sizeof buf);
  assert_string_equal(buf, "ReplicationController");
  /* Scaled down to 1: two deleted; status says 1. */
  assert_int_equal(cplane_test_update(h, "replicationcontrollers", RC_JSON(1)),
                   0);
  cplane_test_drain(h);
  cplane_test_clock_advance_ms(h, 1000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_count(h, "pods", "default", "app=web"), 1);
  {
    const cplane_object *rc = NULL;
    int64_t n = -1;

    assert_int_equal(
        cplane_test_get(h, "replicationcontrollers", "default/web", &rc), 0);
    api->object_int(rc, "status.replicas", &n);
    assert_int_equal(n, 1);
    api->object_release(rc);
  }
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 2);
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rc),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
