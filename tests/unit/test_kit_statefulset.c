/*
 * test_kit_statefulset - the statefulset plugin (linked in unchanged) on
 * the test kit's fake host: OrderedReady makes web-0 (with its claim)
 * and waits for it to be Running and Ready before web-1; Parallel makes
 * all at once; a failed create is a FailedCreate event and a retry;
 * scaling down deletes the highest ordinal first and keeps its claim; a
 * template change with a partition replaces only the pods above it;
 * status and the ControllerRevision follow. No write comes from a
 * dispatch callback.
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

#include "revision.h"

const struct cplane_plugin *cplane_plugin_entry(void);

#define SETS "statefulsets.apps"
#define REVS "controllerrevisions.apps"
#define PVCS "persistentvolumeclaims"

static char *set_json(int replicas, const char *policy, int partition,
                      const char *image) {
  static char json[2048];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":"
           "{\"name\":\"web\",\"namespace\":\"default\",\"uid\":\"set-uid\","
           "\"generation\":1},\"spec\":{\"replicas\":%d,\"serviceName\":"
           "\"nginx\",\"podManagementPolicy\":\"%s\",\"updateStrategy\":{"
           "\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":%d}},"
           "\"selector\":{\"matchLabels\":{\"app\":\"n\"}},\"template\":{"
           "\"metadata\":{\"labels\":{\"app\":\"n\"}},\"spec\":{\"containers\":"
           "[{\"name\":\"c\",\"image\":\"%s\"}]}},\"volumeClaimTemplates\":[{"
           "\"metadata\":{\"name\":\"www\"},\"spec\":{\"accessModes\":["
           "\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":"
           "\"1Gi\"}}}}]}}",
           replicas, policy, partition, image);
  return json;
}

static cplane_test_host *start(void) {
  cplane_test_host *h = cplane_test_host_new();

  assert_non_null(h);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  return h;
}

static void finish(cplane_test_host *h) {
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

static int exists(cplane_test_host *h, const char *res, const char *key) {
  const cplane_object *o = NULL;
  int found = cplane_test_get(h, res, key, &o) == CPLANE_OK;

  cplane_test_api(h)->object_release(o);
  return found;
}

/* Makes pod `name` Running and Ready, as a kubelet reports it. */
static void run_pod(cplane_test_host *h, const char *name) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *pod = NULL;
  char key[64], ts[40], *json, *body;
  size_t n;

  snprintf(key, sizeof key, "default/%s", name);
  assert_int_equal(cplane_test_get(h, "pods", key, &pod), CPLANE_OK);
  json = api->object_json(pod, "");
  assert_non_null(json);
  assert_null(strstr(json, "\"status\""));
  n = strlen(json) + 256;
  body = malloc(n);
  assert_non_null(body);
  cplane_test_rfc3339(cplane_test_now_ms(h), ts, sizeof ts);
  snprintf(body, n,
           "%.*s,\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":"
           "\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"%s\"}]}}",
           (int)strlen(json) - 1, json, ts);
  assert_int_equal(cplane_test_update(h, "pods", body), CPLANE_OK);
  free(body);
  api->free(json);
  api->object_release(pod);
}

/* The n-th write of verb on pods: its answer, and the pod it named. */
static const struct cplane_test_write *pod_write(cplane_test_host *h,
                                                 const char *verb, int n) {
  size_t i;

  for (i = 0; i < cplane_test_writes_len(h); i++) {
    const struct cplane_test_write *w = cplane_test_write_at(h, i);

    if (strcmp(w->verb, verb) == 0 && strcmp(w->resource, "pods") == 0 &&
        n-- == 0)
      return w;
  }
  fail_msg("no write %s pods #%d", verb, n);
  return NULL;
}

static int first_pod_write(cplane_test_host *h, const char *verb, int n) {
  return pod_write(h, verb, n)->code;
}

static const char *first_pod_name(cplane_test_host *h, const char *verb,
                                  int n) {
  return pod_write(h, verb, n)->name;
}

/* Replaces the set's spec with `json` keeping its status, as a spec
 * update through the API server does (the kit stores what it is given). */
static void update_set(cplane_test_host *h, const char *json) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *o = NULL;
  char *status, *body;
  size_t n;

  assert_int_equal(cplane_test_get(h, SETS, "default/web", &o), CPLANE_OK);
  status = api->object_json(o, "status");
  assert_non_null(status);
  n = strlen(json) + strlen(status) + 32;
  body = malloc(n);
  assert_non_null(body);
  snprintf(body, n, "%.*s,\"status\":%s}", (int)strlen(json) - 1, json,
           status);
  assert_int_equal(cplane_test_update(h, SETS, body), CPLANE_OK);
  free(body);
  api->free(status);
  api->object_release(o);
}

static long long status_int(cplane_test_host *h, const char *path) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *o = NULL;
  int64_t v = -1;

  assert_int_equal(cplane_test_get(h, SETS, "default/web", &o), CPLANE_OK);
  api->object_int(o, path, &v);
  api->object_release(o);
  return (long long)v;
}

static void test_ordered(void **state) {
  cplane_test_host *h = start();
  char buf[256];

  (void)state;
  assert_int_equal(cplane_test_add(h, SETS, set_json(3, "OrderedReady", 0,
                                                     "nginx:1")),
                   CPLANE_OK);
  cplane_test_drain(h);
  assert_true(exists(h, "pods", "default/web-0"));
  assert_true(exists(h, PVCS, "default/www-web-0"));
  assert_false(exists(h, "pods", "default/web-1"));
  assert_int_equal(cplane_test_count(h, REVS, "default", NULL), 1);
  assert_string_equal(cplane_test_get_string(h, PVCS, "default/www-web-0",
                                             "metadata.labels.app", buf,
                                             sizeof buf),
                      "n");
  run_pod(h, "web-0");
  cplane_test_drain(h);
  assert_true(exists(h, "pods", "default/web-1"));
  assert_false(exists(h, "pods", "default/web-2"));
  run_pod(h, "web-1");
  cplane_test_drain(h);
  run_pod(h, "web-2");
  cplane_test_drain(h);
  assert_int_equal(status_int(h, "status.readyReplicas"), 3);
  assert_int_equal(status_int(h, "status.currentReplicas"), 3);
  assert_int_equal(status_int(h, "status.observedGeneration"), 1);
  assert_int_equal(cplane_test_events_count(h, "SuccessfulCreate"), 6);

  /* Scale down: web-2 goes first, then web-1 once web-2 is gone; the
   * claims stay (Retain). */
  cplane_test_writes_clear(h);
  update_set(h, set_json(1, "OrderedReady", 0, "nginx:1"));
  assert_int_equal(cplane_test_reconcile(h, "default/web", NULL),
                   CPLANE_RECONCILE_DONE);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 1);
  assert_string_equal(first_pod_name(h, "delete", 0), "web-2");
  cplane_test_drain(h);
  assert_string_equal(first_pod_name(h, "delete", 1), "web-1");
  assert_false(exists(h, "pods", "default/web-1"));
  assert_true(exists(h, "pods", "default/web-0"));
  assert_true(exists(h, PVCS, "default/www-web-2"));
  assert_true(exists(h, PVCS, "default/www-web-1"));
  finish(h);
}

static void test_parallel_and_failure(void **state) {
  cplane_test_host *h = start();

  (void)state;
  assert_int_equal(cplane_test_fail(h, "create", "pods", 1, 500, "boom"),
                   CPLANE_OK);
  assert_int_equal(cplane_test_add(h, SETS, set_json(3, "Parallel", 0,
                                                     "nginx:1")),
                   CPLANE_OK);
  cplane_test_drain(h);
  /* Parallel goes on past web-0's failure (web-1 and web-2 are made
   * in the same pass, before any is Ready); web-0 comes on the retry. */
  assert_int_equal(cplane_test_events_count(h, "FailedCreate"), 1);
  assert_int_equal(first_pod_write(h, "create", 0), 500);
  assert_string_equal(first_pod_name(h, "create", 1), "web-1");
  assert_string_equal(first_pod_name(h, "create", 2), "web-2");
  assert_true(exists(h, "pods", "default/web-1"));
  assert_true(exists(h, "pods", "default/web-2"));
  cplane_test_clock_advance_ms(h, 100);
  cplane_test_drain(h);
  assert_true(exists(h, "pods", "default/web-0"));
  finish(h);
}

/* A new image with partition 2 of 3: only web-2 is replaced, with the new
 * revision's label. */
static void test_partition(void **state) {
  cplane_test_host *h = start();
  char r0[128], r2[128], upd[128];
  int i;

  (void)state;
  assert_int_equal(cplane_test_add(h, SETS, set_json(3, "OrderedReady", 2,
                                                     "nginx:1")),
                   CPLANE_OK);
  for (i = 0; i < 3; i++) {
    char name[16];

    cplane_test_drain(h);
    snprintf(name, sizeof name, "web-%d", i);
    run_pod(h, name);
  }
  cplane_test_drain(h);
  assert_int_equal(status_int(h, "status.readyReplicas"), 3);
  update_set(h, set_json(3, "OrderedReady", 2, "nginx:2"));
  cplane_test_writes_clear(h);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_count(h, REVS, "default", NULL), 2);
  /* web-2 deleted to roll, and made again from the new revision. */
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 1);
  assert_string_equal(first_pod_name(h, "delete", 0), "web-2");
  assert_true(exists(h, "pods", "default/web-2"));
  cplane_test_get_string(h, SETS, "default/web", "status.updateRevision", upd,
                         sizeof upd);
  cplane_test_get_string(h, "pods", "default/web-2",
                         "metadata.labels.controller-revision-hash", r2,
                         sizeof r2);
  cplane_test_get_string(h, "pods", "default/web-0",
                         "metadata.labels.controller-revision-hash", r0,
                         sizeof r0);
  assert_string_equal(r2, upd);
  assert_string_not_equal(r0, upd);
  run_pod(h, "web-2");
  cplane_test_drain(h);
  assert_true(exists(h, "pods", "default/web-1")); /* below the partition */
  assert_int_equal(status_int(h, "status.updatedReplicas"), 1);
  assert_int_equal(status_int(h, "status.currentReplicas"), 2);
  finish(h);
}

/* A ControllerRevision that is not ours holds the name our template hashes
 * to: the collision is counted in status and the next name is used. */
static void test_revision_collision(void **state) {
  cplane_test_host *h = start();
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *set = NULL;
  int32_t zero = 0;
  char hash[16], name[300], json[1024], rev[300], *data;

  (void)state;
  assert_int_equal(cplane_test_add(h, SETS, set_json(1, "OrderedReady", 0,
                                                     "nginx:1")),
                   CPLANE_OK);
  assert_int_equal(cplane_test_get(h, SETS, "default/web", &set), CPLANE_OK);
  data = sts_revision_data(api, set);
  assert_non_null(data);
  cplane_revision_hash(data, strlen(data), &zero, hash, sizeof hash);
  assert_int_equal(cplane_revision_name("web", hash, name, sizeof name),
                   CPLANE_OK);
  snprintf(json, sizeof json,
           "{\"apiVersion\":\"apps/v1\",\"kind\":\"ControllerRevision\","
           "\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"},"
           "\"data\":{\"other\":1},\"revision\":1}",
           name);
  assert_int_equal(cplane_test_add(h, REVS, json), CPLANE_OK);
  cplane_test_drain(h);
  assert_int_equal(status_int(h, "status.collisionCount"), 1);
  assert_int_equal(cplane_test_count(h, REVS, "default", NULL), 2);
  cplane_test_get_string(h, SETS, "default/web", "status.updateRevision", rev,
                         sizeof rev);
  assert_string_not_equal(rev, name);
  assert_string_equal(cplane_test_get_string(
                          h, "pods", "default/web-0",
                          "metadata.labels.controller-revision-hash", json,
                          sizeof json),
                      rev);
  api->free(data);
  api->object_release(set);
  finish(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ordered),
      cmocka_unit_test(test_parallel_and_failure),
      cmocka_unit_test(test_partition),
      cmocka_unit_test(test_revision_collision),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
