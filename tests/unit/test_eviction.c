/*
 * Unit tests for host/apiserver/verbs_eviction.c on an in-process API
 * over SQLite: an eviction deletes the pod unless the one
 * PodDisruptionBudget selecting it allows no disruption (kube's 429 and
 * its DisruptionBudget cause), spends the budget's disruption in its
 * status first, skips the budget for pods whose going disrupts nothing,
 * refuses two budgets (500), honours dryRun and a status a controller
 * observed, computes an unobserved status as the disruption controller
 * (integers and percentages against the controller's replicas), and lets
 * exactly one of two concurrent evictions spend the last disruption.
 * Discovery lists pods/eviction as kube does. An evicted pod carries
 * kube's DisruptionTarget condition before it goes.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <json-c/json_pointer.h>

#include "apiserver/discovery.h"
#include "api_fixture.h"

#define J "application/json"
#define NS "/api/v1/namespaces/default"
#define PDBS "/apis/policy/v1/namespaces/default/poddisruptionbudgets"

static int setup(void **state) {
  return api_fixture_setup_tagged(state, "cp-evict", 1);
}

static int teardown(void **state) { return api_fixture_teardown(state); }

/* Runs one JSON request; the caller frees the body. */
static struct cp_api_response call(struct api_fixture *f, enum cp_api_method m,
                                   const char *path_query, const char *body) {
  return api_fixture_call(f, m, path_query, J, body);
}

static void expect(struct api_fixture *f, enum cp_api_method m, const char *path,
                   const char *body, int code) {
  api_fixture_expect(f, m, path, body, code);
}

/* The JSON value at pointer ptr of text, as JSON text ("" if absent). */
static const char *at(const char *text, const char *ptr, char *buf,
                      size_t len) {
  json_object *o = json_tokener_parse(text), *v = NULL;

  buf[0] = '\0';
  if (o != NULL && json_pointer_get(o, ptr, &v) == 0)
    snprintf(buf, len, "%s",
             json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(o);
  return buf;
}

/* A pod labelled app=web in phase phase, Ready or not, optionally
 * controlled by ReplicaSet owner. */
static void make_pod(struct api_fixture *f, const char *name, const char *phase,
                     int ready, const char *owner) {
  char body[1024], path[256], ref[256] = "";

  if (owner != NULL)
    snprintf(ref, sizeof ref,
             ",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":"
             "\"ReplicaSet\",\"name\":\"%s\",\"uid\":\"u-%s\","
             "\"controller\":true}]",
             owner, owner);
  snprintf(body, sizeof body,
           "{\"metadata\":{\"name\":\"%s\",\"labels\":{\"app\":\"web\"}%s},"
           "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}",
           name, ref);
  expect(f, CP_API_POST, NS "/pods", body, 201);
  snprintf(body, sizeof body,
           "{\"metadata\":{\"name\":\"%s\",\"labels\":{\"app\":\"web\"}%s},"
           "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]},"
           "\"status\":{\"phase\":\"%s\",\"conditions\":[{\"type\":"
           "\"Ready\",\"status\":\"%s\"}]}}",
           name, ref, phase, ready ? "True" : "False");
  snprintf(path, sizeof path, NS "/pods/%s/status", name);
  expect(f, CP_API_PUT, path, body, 200);
}

static void make_pdb(struct api_fixture *f, const char *name, const char *rule) {
  char body[512];

  snprintf(body, sizeof body,
           "{\"metadata\":{\"name\":\"%s\"},\"spec\":{%s,\"selector\":"
           "{\"matchLabels\":{\"app\":\"web\"}}}}",
           name, rule);
  expect(f, CP_API_POST, PDBS, body, 201);
}

static struct cp_api_response evict(struct api_fixture *f, const char *pod,
                                    const char *query) {
  char path[256], body[256];

  snprintf(path, sizeof path, NS "/pods/%s/eviction%s", pod, query);
  snprintf(body, sizeof body,
           "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\","
           "\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"}}",
           pod);
  return call(f, CP_API_POST, path, body);
}

static void expect_evicted(struct api_fixture *f, const char *pod) {
  struct cp_api_response rs = evict(f, pod, "");
  char path[256];

  if (rs.code != 201)
    fail_msg("evict %s: %d %s", pod, rs.code, rs.body ? rs.body : "");
  assert_string_equal(rs.body, "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                               "\"metadata\":{},\"status\":\"Success\","
                               "\"code\":201}");
  free(rs.body);
  snprintf(path, sizeof path, NS "/pods/%s", pod);
  expect(f, CP_API_GET, path, NULL, 404);
}

/* Evicts pod, which a finalizer holds: 201, and the pod, marked for
 * deletion, carries kube's DisruptionTarget condition. */
static void expect_evicted_held(struct api_fixture *f, const char *pod) {
  struct cp_api_response rs = evict(f, pod, "");
  char path[256], buf[512];
  json_object *o, *conds, *c = NULL;
  size_t i;

  if (rs.code != 201)
    fail_msg("evict %s: %d %s", pod, rs.code, rs.body ? rs.body : "");
  free(rs.body);
  snprintf(path, sizeof path, NS "/pods/%s", pod);
  rs = call(f, CP_API_GET, path, NULL);
  assert_int_equal(rs.code, 200);
  assert_string_not_equal(at(rs.body, "/metadata/deletionTimestamp", buf,
                             sizeof buf),
                          "");
  o = json_tokener_parse(rs.body);
  assert_true(json_pointer_get(o, "/status/conditions", &conds) == 0);
  for (i = 0; i < json_object_array_length(conds); i++) {
    json_object *t = json_object_object_get(
        json_object_array_get_idx(conds, i), "type");

    if (strcmp(json_object_get_string(t), "DisruptionTarget") == 0)
      c = json_object_array_get_idx(conds, i);
  }
  assert_non_null(c);
  assert_string_equal(json_object_get_string(json_object_object_get(c,
                                                                    "status")),
                      "True");
  assert_string_equal(json_object_get_string(json_object_object_get(c,
                                                                    "reason")),
                      "EvictionByEvictionAPI");
  assert_string_equal(
      json_object_get_string(json_object_object_get(c, "message")),
      "Eviction API: evicting");
  assert_non_null(json_object_object_get(c, "lastTransitionTime"));
  json_object_put(o);
  free(rs.body);
}

static void expect_refused(struct api_fixture *f, const char *pod,
                           const char *cause) {
  struct cp_api_response rs = evict(f, pod, "");
  char buf[512], path[256];

  assert_int_equal(rs.code, 429);
  assert_string_equal(at(rs.body, "/reason", buf, sizeof buf),
                      "\"TooManyRequests\"");
  assert_string_equal(at(rs.body, "/message", buf, sizeof buf),
                      "\"Cannot evict pod as it would violate the pod's "
                      "disruption budget.\"");
  assert_string_equal(at(rs.body, "/details/causes/0/reason", buf, sizeof buf),
                      "\"DisruptionBudget\"");
  assert_string_equal(at(rs.body, "/details/causes/0/message", buf,
                         sizeof buf),
                      cause);
  free(rs.body);
  snprintf(path, sizeof path, NS "/pods/%s", pod);
  expect(f, CP_API_GET, path, NULL, 200);
}

static void pdb_status(struct api_fixture *f, const char *ptr, char *buf,
                       size_t len) {
  struct cp_api_response rs = call(f, CP_API_GET, PDBS "/pdb", NULL);

  assert_int_equal(rs.code, 200);
  at(rs.body, ptr, buf, len);
  free(rs.body);
}

/* ------------------------------------------------------------ tests */

static void test_no_budget_deletes(void **state) {
  struct api_fixture *f = *state;

  expect(f, CP_API_POST, "/api/v1/namespaces",
         "{\"metadata\":{\"name\":\"default\"}}", 201);
  make_pod(f, "p1", "Running", 1, NULL);
  expect_evicted(f, "p1");
  /* Gone already: the pod's 404. */
  expect(f, CP_API_POST, NS "/pods/p1/eviction",
         "{\"metadata\":{\"name\":\"p1\"}}", 404);
}

static void test_bad_bodies(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[256];

  expect(f, CP_API_POST, "/api/v1/namespaces",
         "{\"metadata\":{\"name\":\"default\"}}", 201);
  make_pod(f, "p1", "Running", 1, NULL);
  rs = call(f, CP_API_POST, NS "/pods/p1/eviction",
            "{\"metadata\":{\"name\":\"p2\"}}");
  assert_int_equal(rs.code, 400);
  assert_string_equal(at(rs.body, "/message", buf, sizeof buf),
                      "\"name in URL does not match name in Eviction "
                      "object\"");
  free(rs.body);
  expect(f, CP_API_POST, NS "/pods/p1/eviction", "[1]", 400);
  expect(f, CP_API_POST, NS "/pods/p1/eviction", "{", 400);
  expect(f, CP_API_POST, NS "/pods/p1/eviction",
         "{\"metadata\":{\"name\":\"p1\"},\"deleteOptions\":7}", 400);
  /* Only create: GET on the subresource is not served. */
  expect(f, CP_API_GET, NS "/pods/p1/eviction", NULL, 405);
  expect(f, CP_API_GET, NS "/pods/p1", NULL, 200);
}

/* minAvailable 2 over three Ready pods: one disruption, spent in the
 * budget's status before the delete; then kube's 429 and cause. */
static void test_budget_spent_then_429(void **state) {
  struct api_fixture *f = *state;
  char buf[256];

  expect(f, CP_API_POST, "/api/v1/namespaces",
         "{\"metadata\":{\"name\":\"default\"}}", 201);
  make_pod(f, "p1", "Running", 1, NULL);
  make_pod(f, "p2", "Running", 1, NULL);
  make_pod(f, "p3", "Running", 1, NULL);
  make_pdb(f, "pdb", "\"minAvailable\":2");
  expect_evicted(f, "p1");
  pdb_status(f, "/status/disruptionsAllowed", buf, sizeof buf);
  assert_string_equal(buf, "0");
  pdb_status(f, "/status/currentHealthy", buf, sizeof buf);
  assert_string_equal(buf, "3");
  pdb_status(f, "/status/desiredHealthy", buf, sizeof buf);
  assert_string_equal(buf, "2");
  pdb_status(f, "/status/disruptedPods/p1", buf, sizeof buf);
  assert_true(strlen(buf) > 2);
  expect_refused(f, "p2",
                 "\"The disruption budget pdb needs 2 healthy pods and has 2 "
                 "currently\"");
  /* A replacement comes up Ready: one disruption again. */
  make_pod(f, "p4", "Running", 1, NULL);
  expect_evicted(f, "p2");
}

/* Pending, terminal or terminating pods go without the budget. */
static void test_ignores_budget(void **state) {
  struct api_fixture *f = *state;

  expect(f, CP_API_POST, "/api/v1/namespaces",
         "{\"metadata\":{\"name\":\"default\"}}", 201);
  make_pod(f, "p1", "Pending", 0, NULL);
  make_pod(f, "p2", "Succeeded", 0, NULL);
  make_pod(f, "p3", "Failed", 0, NULL);
  make_pdb(f, "pdb", "\"minAvailable\":5");
  expect_evicted(f, "p1");
  expect_evicted(f, "p2");
  expect_evicted(f, "p3");
}

static void test_two_budgets_500(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;

  expect(f, CP_API_POST, "/api/v1/namespaces",
         "{\"metadata\":{\"name\":\"default\"}}", 201);
  make_pod(f, "p1", "Running", 1, NULL);
  make_pdb(f, "pdb", "\"maxUnavailable\":1");
  make_pdb(f, "pdb2", "\"maxUnavailable\":1");
  rs = evict(f, "p1", "");
  assert_int_equal(rs.code, 500);
  assert_string_equal(rs.body,
                      "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":"
                      "{},\"status\":\"Failure\",\"message\":\"This pod has "
                      "more than one PodDisruptionBudget, which the eviction "
                      "subresource does not support.\",\"code\":500}");
  free(rs.body);
  expect(f, CP_API_GET, NS "/pods/p1", NULL, 200);
}

/* dryRun on the query: nothing deleted, the budget not written. */
static void test_dry_run(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[64];

  expect(f, CP_API_POST, "/api/v1/namespaces",
         "{\"metadata\":{\"name\":\"default\"}}", 201);
  make_pod(f, "p1", "Running", 1, NULL);
  make_pod(f, "p2", "Running", 1, NULL);
  make_pdb(f, "pdb", "\"minAvailable\":1");
  rs = evict(f, "p1", "?dryRun=All");
  assert_int_equal(rs.code, 201);
  free(rs.body);
  expect(f, CP_API_GET, NS "/pods/p1", NULL, 200);
  pdb_status(f, "/status/disruptedPods", buf, sizeof buf);
  assert_string_equal(buf, "");
}

/* A not Ready pod while the budget is met goes without spending. */
static void test_unready_pod(void **state) {
  struct api_fixture *f = *state;
  char buf[64];

  expect(f, CP_API_POST, "/api/v1/namespaces",
         "{\"metadata\":{\"name\":\"default\"}}", 201);
  make_pod(f, "p1", "Running", 0, NULL);
  make_pod(f, "p2", "Running", 1, NULL);
  make_pdb(f, "pdb", "\"minAvailable\":1");
  expect_evicted(f, "p1");
  pdb_status(f, "/status/disruptedPods", buf, sizeof buf);
  assert_string_equal(buf, "");
}

/* unhealthyPodEvictionPolicy AlwaysAllow: a not Ready pod goes even
 * when the budget is not met, spending nothing. */
static void test_always_allow_unhealthy(void **state) {
  struct api_fixture *f = *state;

  expect(f, CP_API_POST, "/api/v1/namespaces",
         "{\"metadata\":{\"name\":\"default\"}}", 201);
  make_pod(f, "p1", "Running", 0, NULL);
  make_pod(f, "p2", "Running", 1, NULL);
  make_pdb(f, "pdb", "\"minAvailable\":2");
  expect_refused(f, "p1",
                 "\"The disruption budget pdb needs 2 healthy pods and has 1 "
                 "currently\"");
  expect(f, CP_API_DELETE, PDBS "/pdb", NULL, 200);
  make_pdb(f, "pdb",
           "\"minAvailable\":2,\"unhealthyPodEvictionPolicy\":"
           "\"AlwaysAllow\"");
  expect_evicted(f, "p1");
  expect_refused(f, "p2",
                 "\"The disruption budget pdb needs 2 healthy pods and has 1 "
                 "currently\"");
}

/* A status a controller observed (observedGeneration = generation) is
 * used as it is: here it allows what the pods alone would not. */
static void test_observed_status_used(void **state) {
  struct api_fixture *f = *state;

  expect(f, CP_API_POST, "/api/v1/namespaces",
         "{\"metadata\":{\"name\":\"default\"}}", 201);
  make_pod(f, "p1", "Running", 1, NULL);
  make_pdb(f, "pdb", "\"minAvailable\":1");
  expect(f, CP_API_PUT, PDBS "/pdb/status",
         "{\"metadata\":{\"name\":\"pdb\"},\"spec\":{\"minAvailable\":1,"
         "\"selector\":{\"matchLabels\":{\"app\":\"web\"}}},\"status\":{"
         "\"observedGeneration\":1,\"disruptionsAllowed\":1,"
         "\"currentHealthy\":2,\"desiredHealthy\":1,\"expectedPods\":2}}",
         200);
  expect_evicted(f, "p1");
}

/* Percentages scale against the ReplicaSet's replicas, rounding up:
 * maxUnavailable 50% of 3 is 2 (desired 1), minAvailable 50% of 3 is 2. */
static void test_percentages(void **state) {
  struct api_fixture *f = *state;
  char buf[64];

  expect(f, CP_API_POST, "/api/v1/namespaces",
         "{\"metadata\":{\"name\":\"default\"}}", 201);
  expect(f, CP_API_POST, "/apis/apps/v1/namespaces/default/replicasets",
         "{\"metadata\":{\"name\":\"rs\"},\"spec\":{\"replicas\":3,"
         "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{"
         "\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{"
         "\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}",
         201);
  make_pod(f, "p1", "Running", 1, "rs");
  make_pod(f, "p2", "Running", 1, "rs");
  make_pod(f, "p3", "Running", 1, "rs");
  make_pdb(f, "pdb", "\"maxUnavailable\":\"50%\"");
  expect_evicted(f, "p1");
  pdb_status(f, "/status/expectedPods", buf, sizeof buf);
  assert_string_equal(buf, "3");
  pdb_status(f, "/status/desiredHealthy", buf, sizeof buf);
  assert_string_equal(buf, "1");
  pdb_status(f, "/status/disruptionsAllowed", buf, sizeof buf);
  assert_string_equal(buf, "1");
  expect(f, CP_API_DELETE, PDBS "/pdb", NULL, 200);
  make_pdb(f, "pdb", "\"minAvailable\":\"50%\"");
  expect_refused(f, "p2",
                 "\"The disruption budget pdb needs 2 healthy pods and has 2 "
                 "currently\"");
}

struct racer {
  struct api_fixture *f;
  const char *pod;
  int code;
};

static void *race(void *arg) {
  struct racer *r = arg;
  struct cp_api_response rs = evict(r->f, r->pod, "");

  r->code = rs.code;
  free(rs.body);
  return NULL;
}

/* Two evictions at once with one disruption left: the budget's CAS lets
 * exactly one through. */
static void test_concurrent_one_wins(void **state) {
  struct api_fixture *f = *state;
  struct racer a = {f, "p1", 0}, b = {f, "p2", 0};
  pthread_t ta, tb;

  expect(f, CP_API_POST, "/api/v1/namespaces",
         "{\"metadata\":{\"name\":\"default\"}}", 201);
  make_pod(f, "p1", "Running", 1, NULL);
  make_pod(f, "p2", "Running", 1, NULL);
  make_pod(f, "p3", "Running", 1, NULL);
  make_pdb(f, "pdb", "\"minAvailable\":2");
  assert_int_equal(pthread_create(&ta, NULL, race, &a), 0);
  assert_int_equal(pthread_create(&tb, NULL, race, &b), 0);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  assert_true((a.code == 201 && b.code == 429) ||
              (a.code == 429 && b.code == 201));
}

static void test_discovery(void **state) {
  struct api_fixture *f = *state;
  char *s = cp_discovery_resource_list(f->ctx.resources, "", "v1");
  json_object *o = json_tokener_parse(s), *list = NULL;
  size_t i;
  int found = 0;

  assert_non_null(o);
  assert_true(json_object_object_get_ex(o, "resources", &list));
  for (i = 0; i < json_object_array_length(list); i++) {
    json_object *e = json_object_array_get_idx(list, i), *v;

    json_object_object_get_ex(e, "name", &v);
    if (strcmp(json_object_get_string(v), "pods/eviction") != 0)
      continue;
    found = 1;
    json_object_object_get_ex(e, "kind", &v);
    assert_string_equal(json_object_get_string(v), "Eviction");
    json_object_object_get_ex(e, "group", &v);
    assert_string_equal(json_object_get_string(v), "policy");
    json_object_object_get_ex(e, "version", &v);
    assert_string_equal(json_object_get_string(v), "v1");
    json_object_object_get_ex(e, "verbs", &v);
    assert_string_equal(json_object_to_json_string_ext(
                            v, JSON_C_TO_STRING_PLAIN),
                        "[\"create\"]");
  }
  assert_true(found);
  json_object_put(o);
  free(s);
  s = cp_discovery_aggregated(f->ctx.resources, 1);
  assert_non_null(strstr(s, "\"subresource\":\"eviction\""));
  free(s);
}

/* kube marks the pod DisruptionTarget before deleting it (seen here
 * through a finalizer that holds the pod); a dry run marks nothing; a
 * stale resourceVersion precondition is kube's 409 and marks nothing. */
static void test_disruption_target(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[512], body[512];
  const char *hold = "{\"metadata\":{\"finalizers\":[\"example.com/hold\"]}}";

  expect(f, CP_API_POST, "/api/v1/namespaces",
         "{\"metadata\":{\"name\":\"default\"}}", 201);
  make_pod(f, "p1", "Running", 1, NULL);
  make_pod(f, "p2", "Pending", 0, NULL);
  rs = api_fixture_call(f, CP_API_PATCH, NS "/pods/p1",
                        "application/merge-patch+json", hold);
  assert_int_equal(rs.code, 200);
  free(rs.body);
  rs = api_fixture_call(f, CP_API_PATCH, NS "/pods/p2",
                        "application/merge-patch+json", hold);
  assert_int_equal(rs.code, 200);
  free(rs.body);
  rs = evict(f, "p1", "?dryRun=All");
  assert_int_equal(rs.code, 201);
  free(rs.body);
  rs = call(f, CP_API_GET, NS "/pods/p1", NULL);
  assert_string_equal(at(rs.body, "/status/conditions/1", buf, sizeof buf),
                      "");
  free(rs.body);
  /* A precondition the pod no longer meets. */
  snprintf(body, sizeof body,
           "{\"metadata\":{\"name\":\"p1\"},\"deleteOptions\":{"
           "\"preconditions\":{\"resourceVersion\":\"1\"}}}");
  rs = call(f, CP_API_POST, NS "/pods/p1/eviction", body);
  assert_int_equal(rs.code, 409);
  assert_true(strstr(rs.body, "Operation cannot be fulfilled on Pod "
                              "\\\"p1\\\": the ResourceVersion in the "
                              "precondition (1) does not match the "
                              "ResourceVersion in record (") != NULL);
  free(rs.body);
  expect_evicted_held(f, "p1");
  /* A Pending pod goes without a budget check, marked all the same. */
  expect_evicted_held(f, "p2");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_no_budget_deletes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_bodies, setup, teardown),
      cmocka_unit_test_setup_teardown(test_budget_spent_then_429, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_ignores_budget, setup, teardown),
      cmocka_unit_test_setup_teardown(test_two_budgets_500, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unready_pod, setup, teardown),
      cmocka_unit_test_setup_teardown(test_always_allow_unhealthy, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_observed_status_used, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_percentages, setup, teardown),
      cmocka_unit_test_setup_teardown(test_concurrent_one_wins, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_discovery, setup, teardown),
      cmocka_unit_test_setup_teardown(test_disruption_target, setup,
                                      teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
