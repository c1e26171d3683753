/*
 * test_kit_daemonset - the daemonset plugin (plugins/daemonset, linked in
 * unchanged) on the test kit's fake host: a pod per node with kube's
 * placement affinity and a ControllerRevision; a node that stops matching
 * loses its pod; a failed pod is replaced after kube's back-off with a
 * FailedDaemonPod event; a failed create is retried; a new template rolls
 * out one node at a time with maxUnavailable 1; an orphan pod is adopted
 * (and no second pod made on its node) and a pod that stops matching is
 * released; a revision name taken by other data raises collisionCount and
 * the next name differs; nothing is written from a dispatch callback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cplane/testing.h>

#include "revisions.h"

const struct cplane_plugin *cplane_plugin_entry(void);

#define PODS "pods"
#define DSS "daemonsets.apps"
#define REVS "controllerrevisions.apps"

static void ds_json(char *buf, size_t len, const char *image, int gen) {
  snprintf(buf, len,
           "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{"
           "\"name\":\"agent\",\"namespace\":\"default\",\"uid\":\"ds-uid\","
           "\"generation\":%d,\"annotations\":{\"deprecated.daemonset."
           "template.generation\":\"%d\"}},\"spec\":{\"selector\":{"
           "\"matchLabels\":{\"app\":\"agent\"}},\"updateStrategy\":{"
           "\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":"
           "1}},\"revisionHistoryLimit\":10,\"template\":{\"metadata\":{"
           "\"labels\":{\"app\":\"agent\"}},\"spec\":{\"nodeSelector\":{"
           "\"role\":\"worker\"},\"containers\":[{\"name\":\"c\",\"image\":"
           "\"%s\"}]}}}}",
           gen, gen, image);
}

static int add_node(cplane_test_host *h, const char *name, const char *role) {
  char json[512];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":"
           "\"%s\",\"labels\":{\"role\":\"%s\"}}}",
           name, role);
  return cplane_test_add(h, "nodes", json);
}

static cplane_test_host *start(int n_nodes) {
  cplane_test_host *h = cplane_test_host_new();
  char name[16], json[1024];
  int i;

  assert_non_null(h);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  for (i = 0; i < n_nodes; i++) {
    snprintf(name, sizeof name, "n%d", i);
    assert_int_equal(add_node(h, name, "worker"), 0);
  }
  ds_json(json, sizeof json, "img:1", 1);
  assert_int_equal(cplane_test_add(h, DSS, json), 0);
  return h;
}

/* Each live pod of the DaemonSet as its kubelet would report it: bound
 * to its node, in `phase`, Ready when Running. Only pods not yet so. */
static void kubelet(cplane_test_host *h, const char *phase) {
  const struct cplane_host_api *api = cplane_test_api(h);
  cplane_object_list *pods = NULL;
  size_t i;

  assert_int_equal(
      api->cache_list(cplane_test_ctx(h), 1, "default", NULL, &pods),
      CPLANE_OK);
  for (i = 0; i < api->list_len(pods); i++) {
    const cplane_object *p = api->list_at(pods, i);
    const char *node =
        api->object_string(p, "spec.affinity.nodeAffinity."
                              "requiredDuringSchedulingIgnoredDuringExecution."
                              "nodeSelectorTerms[0].matchFields[0].values[0]");
    const char *have = api->object_string(p, "status.phase");
    char *meta = api->object_json(p, "metadata");
    char *spec = api->object_json(p, "spec");
    char *json;

    assert_non_null(node);
    if (have != NULL && strcmp(have, "Running") == 0 &&
        strcmp(phase, "Running") == 0) {
      api->free(meta);
      api->free(spec);
      continue;
    }
    spec[strlen(spec) - 1] = '\0';
    assert_true(asprintf(&json,
                         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
                         "\"metadata\":%s,\"spec\":%s,\"nodeName\":\"%s\"},"
                         "\"status\":{\"phase\":\"%s\",\"conditions\":[{"
                         "\"type\":\"Ready\",\"status\":\"%s\"}]}}",
                         meta, spec, node, phase,
                         strcmp(phase, "Running") == 0 ? "True" : "False") > 0);
    assert_int_equal(cplane_test_update(h, PODS, json), 0);
    free(json);
    api->free(meta);
    api->free(spec);
  }
  api->list_free(pods);
}

static size_t pods_with_image(cplane_test_host *h, const char *image) {
  const struct cplane_host_api *api = cplane_test_api(h);
  cplane_object_list *pods = NULL;
  size_t i, n = 0;

  assert_int_equal(
      api->cache_list(cplane_test_ctx(h), 1, "default", NULL, &pods),
      CPLANE_OK);
  for (i = 0; i < api->list_len(pods); i++) {
    const char *img =
        api->object_string(api->list_at(pods, i), "spec.containers[0].image");

    n += img != NULL && strcmp(img, image) == 0;
  }
  api->list_free(pods);
  return n;
}

static int64_t status_int(cplane_test_host *h, const char *field) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *ds = NULL;
  char path[64];
  int64_t v = -1;

  snprintf(path, sizeof path, "status.%s", field);
  if (cplane_test_get(h, DSS, "default/agent", &ds) != 0)
    return -1;
  api->object_int(ds, path, &v);
  api->object_release(ds);
  return v;
}

static void test_one_pod_per_matching_node(void **state) {
  cplane_test_host *h = start(3);

  (void)state;
  assert_int_equal(add_node(h, "db", "database"), 0); /* not selected */
  cplane_test_drain(h);
  assert_int_equal(cplane_test_count(h, PODS, "default", "app=agent"), 3);
  assert_int_equal(cplane_test_count(h, REVS, "default", "app=agent"), 1);
  assert_int_equal(cplane_test_events_count(h, "SuccessfulCreate"), 3);
  assert_int_equal(status_int(h, "desiredNumberScheduled"), 3);
  assert_int_equal(status_int(h, "currentNumberScheduled"), 3);
  assert_int_equal(status_int(h, "numberReady"), 0);
  kubelet(h, "Running");
  cplane_test_drain(h);
  assert_int_equal(status_int(h, "numberAvailable"), 3);
  assert_int_equal(status_int(h, "updatedNumberScheduled"), 3);
  assert_int_equal(status_int(h, "observedGeneration"), 1);
  /* Draining again changes nothing: its own writes came back. */
  cplane_test_writes_clear(h);
  cplane_test_resync(h);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_len(h), 0);
  /* A node whose label goes loses its pod. */
  assert_int_equal(cplane_test_update(h, "nodes",
                                      "{\"apiVersion\":\"v1\",\"kind\":"
                                      "\"Node\",\"metadata\":{\"name\":\"n1\","
                                      "\"labels\":{\"role\":\"spare\"}}}"),
                   0);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "delete", PODS), 1);
  assert_int_equal(cplane_test_count(h, PODS, "default", NULL), 2);
  assert_int_equal(status_int(h, "desiredNumberScheduled"), 2);
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

static void test_failed_pod_backoff(void **state) {
  cplane_test_host *h = start(1);

  (void)state;
  cplane_test_drain(h);
  kubelet(h, "Failed");
  cplane_test_drain(h);
  /* Deleted at once the first time, and replaced. */
  assert_int_equal(cplane_test_events_count(h, "FailedDaemonPod"), 1);
  assert_int_equal(cplane_test_writes_count(h, "delete", PODS), 1);
  assert_int_equal(cplane_test_writes_count(h, "create", PODS), 2);
  /* Failing again within the second: it waits its back-off. */
  kubelet(h, "Failed");
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "delete", PODS), 1);
  assert_true(cplane_test_queued_delay_ms(h, "default/agent") > 0);
  cplane_test_clock_advance_ms(h, 1000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "delete", PODS), 2);
  assert_int_equal(cplane_test_events_count(h, "FailedDaemonPod"), 2);
  assert_int_equal(cplane_test_count(h, PODS, "default", NULL), 1);
  cplane_test_host_free(h);
}

static void test_create_failure_retried(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char json[1024];

  (void)state;
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_int_equal(add_node(h, "n0", "worker"), 0);
  assert_int_equal(add_node(h, "n1", "worker"), 0);
  assert_int_equal(cplane_test_fail(h, "create", PODS, 1, 500, "boom"), 0);
  ds_json(json, sizeof json, "img:1", 1);
  assert_int_equal(cplane_test_add(h, DSS, json), 0);
  assert_int_equal(cplane_test_reconcile(h, "default/agent", NULL),
                   CPLANE_RECONCILE_RETRY);
  /* Slow start: the first batch of one failed, so the second never ran. */
  assert_int_equal(cplane_test_writes_count(h, "create", PODS), 1);
  assert_int_equal(cplane_test_events_count(h, "FailedCreate"), 1);
  cplane_test_clock_advance_ms(h, 100);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_count(h, PODS, "default", NULL), 2);
  cplane_test_host_free(h);
}

static void test_rolling_update(void **state) {
  cplane_test_host *h = start(3);
  char json[1024];
  int rounds = 0;

  (void)state;
  cplane_test_drain(h);
  kubelet(h, "Running");
  cplane_test_drain(h);
  ds_json(json, sizeof json, "img:2", 2);
  assert_int_equal(cplane_test_update(h, DSS, json), 0);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_count(h, REVS, "default", NULL), 2);
  /* maxUnavailable 1: one old pod at a time (the first went with the
   * change), its replacement Ready before the next goes. */
  assert_int_equal(pods_with_image(h, "img:1"), 2);
  assert_int_equal(pods_with_image(h, "img:2"), 1);
  while (pods_with_image(h, "img:2") < 3 && rounds++ < 10) {
    assert_true(pods_with_image(h, "img:1") >= 3 - (size_t)rounds);
    assert_true(cplane_test_count(h, PODS, "default", NULL) >= 2);
    kubelet(h, "Running");
    cplane_test_drain(h);
  }
  assert_int_equal(pods_with_image(h, "img:2"), 3);
  assert_int_equal(rounds, 2);
  kubelet(h, "Running");
  cplane_test_drain(h);
  assert_int_equal(status_int(h, "updatedNumberScheduled"), 3);
  assert_int_equal(status_int(h, "numberAvailable"), 3);
  assert_int_equal(status_int(h, "observedGeneration"), 2);
  assert_int_equal(cplane_test_events_count(h, "SuccessfulDelete"), 3);
  cplane_test_host_free(h);
}

static void test_adopt_and_release(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *pod = NULL;
  char json[1024];

  (void)state;
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_int_equal(add_node(h, "n0", "worker"), 0);
  assert_int_equal(add_node(h, "n1", "worker"), 0);
  assert_int_equal(
      cplane_test_add(
          h, PODS,
          "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
          "\"name\":\"orphan\",\"namespace\":\"default\","
          "\"labels\":{\"app\":\"agent\",\"pod-template-generation\":"
          "\"1\"}},\"spec\":{\"nodeName\":\"n0\",\"containers\":[{\"name\":"
          "\"c\",\"image\":"
          "\"img:1\"}]}}"),
      0);
  assert_int_equal(
      cplane_test_add(h, PODS,
                      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
                      "\"name\":\"strayed\",\"namespace\":\"default\","
                      "\"labels\":{\"app\":\"other\"},\"ownerReferences\":[{"
                      "\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\","
                      "\"name\":\"agent\",\"uid\":\"ds-uid\",\"controller\":"
                      "true}]},\"spec\":{\"nodeName\":\"n1\",\"containers\":[{"
                      "\"name\":\"c\",\"image\":\"img:1\"}]}}"),
      0);
  ds_json(json, sizeof json, "img:1", 1);
  assert_int_equal(cplane_test_add(h, DSS, json), 0);
  cplane_test_drain(h);
  cplane_test_clock_advance_ms(h, 1000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_get(h, PODS, "default/orphan", &pod), 0);
  assert_string_equal(api->object_controller_uid(pod), "ds-uid");
  api->object_release(pod);
  assert_int_equal(cplane_test_get(h, PODS, "default/strayed", &pod), 0);
  assert_null(api->object_controller_uid(pod));
  api->object_release(pod);
  /* n0 kept the adopted pod (of the current template generation, so not
   * rolled); only n1 got a new one. */
  assert_int_equal(cplane_test_writes_count(h, "create", PODS), 1);
  assert_int_equal(cplane_test_count(h, PODS, "default", "app=agent"), 2);
  cplane_test_host_free(h);
}

static void test_revision_collision(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *ds = NULL;
  char json[1024], hash[16], name[64], taken[512], *data;

  (void)state;
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_int_equal(add_node(h, "n0", "worker"), 0);
  ds_json(json, sizeof json, "img:1", 1);
  assert_int_equal(cplane_test_add(h, DSS, json), 0);
  /* Someone else's revision under the name the template hashes to. */
  assert_int_equal(cplane_test_get(h, DSS, "default/agent", &ds), 0);
  data = ds_revision_data(api, ds);
  assert_non_null(data);
  cplane_revision_hash(data, strlen(data), NULL, hash, sizeof hash);
  assert_int_equal(cplane_revision_name("agent", hash, name, sizeof name), 0);
  snprintf(taken, sizeof taken,
           "{\"apiVersion\":\"apps/v1\",\"kind\":\"ControllerRevision\","
           "\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"},"
           "\"data\":{\"other\":1},\"revision\":1}",
           name);
  assert_int_equal(cplane_test_add(h, REVS, taken), 0);
  cplane_test_drain(h);
  cplane_test_clock_advance_ms(h, 1000);
  cplane_test_drain(h);
  assert_int_equal(status_int(h, "collisionCount"), 1);
  assert_int_equal(cplane_test_count(h, REVS, "default", NULL), 2);
  assert_int_equal(cplane_test_count(h, PODS, "default", NULL), 1);
  free(data);
  api->object_release(ds);
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_pod_per_matching_node),
      cmocka_unit_test(test_failed_pod_backoff),
      cmocka_unit_test(test_create_failure_retried),
      cmocka_unit_test(test_rolling_update),
      cmocka_unit_test(test_adopt_and_release),
      cmocka_unit_test(test_revision_collision),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
