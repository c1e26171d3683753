/*
 * test_resourcequota - the usage evaluators (cplane/quota.h) the API
 * server's admission and the resourcequota plugin share, table driven
 * against kube's (pkg/quota/v1/evaluator/core): pods (requests, limits,
 * init containers, overhead, extended resources, finished pods),
 * Services, claims (per storage class), object counts; scope matching;
 * and the plugin's status JSON (recount.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cplane/quota.h>

#include "object/object.h"
#include "plugin/plugin.h"
#include "recount.h"

static const cplane_object *parse(const char *json) {
  cplane_object *o = NULL;

  assert_int_equal(cp_object_parse(json, strlen(json), &o, NULL), CPLANE_OK);
  return o;
}

static int item_cmp(const void *a, const void *b) {
  return strcmp(((const struct cplane_quota_item *)a)->name,
                ((const struct cplane_quota_item *)b)->name);
}

/* "name=quantity,..." sorted, as kube's prettyPrint. */
static void pretty(struct cplane_quota_list *l, char *buf, size_t len) {
  char q[CPLANE_QUANTITY_LEN];
  size_t i, n = 0;

  buf[0] = '\0';
  qsort(l->items, l->n, sizeof l->items[0], item_cmp);
  for (i = 0; i < l->n; i++) {
    cplane_quota_format(l->items[i].milli, l->items[i].format, q, sizeof q);
    n += (size_t)snprintf(buf + n, len - n, "%s%s=%s", i ? "," : "",
                          l->items[i].name, q);
  }
}

struct usage_case {
  const char *group, *resource, *json, *want;
};

static const struct usage_case usage_cases[] = {
    {"", "pods",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"resources\":{\"requests\":"
     "{\"cpu\":\"250m\",\"memory\":\"64Mi\"},\"limits\":{\"cpu\":\"1\","
     "\"memory\":\"128Mi\"}}},{\"name\":\"b\",\"resources\":{\"requests\":{"
     "\"cpu\":\"250m\",\"memory\":\"64Mi\"}}}]}}",
     "count/pods=1,cpu=500m,limits.cpu=1,limits.memory=128Mi,memory=128Mi,"
     "pods=1,requests.cpu=500m,requests.memory=128Mi"},
    /* An init container asking more than the sum sets the request. */
    {"", "pods",
     "{\"spec\":{\"initContainers\":[{\"name\":\"i\",\"resources\":{"
     "\"requests\":{\"cpu\":\"2\"}}}],\"containers\":[{\"name\":\"a\","
     "\"resources\":{\"requests\":{\"cpu\":\"1\",\"example.com/gpu\":\"1\","
     "\"hugepages-2Mi\":\"4Mi\",\"ephemeral-storage\":\"1Gi\"}}}],"
     "\"overhead\":{\"cpu\":\"100m\"}}}",
     "count/pods=1,cpu=2100m,ephemeral-storage=1Gi,hugepages-2Mi=4Mi,pods=1,"
     "requests.cpu=2100m,requests.ephemeral-storage=1Gi,"
     "requests.example.com/gpu=1,requests.hugepages-2Mi=4Mi"},
    /* A finished pod counts only as an object. */
    {"", "pods",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"resources\":{\"requests\":"
     "{\"cpu\":\"1\"}}}]},\"status\":{\"phase\":\"Succeeded\"}}",
     "count/pods=1"},
    /* Past its deletion grace period too. */
    {"", "pods",
     "{\"metadata\":{\"deletionTimestamp\":\"2026-01-01T00:00:00Z\","
     "\"deletionGracePeriodSeconds\":30},\"spec\":{\"containers\":[]}}",
     "count/pods=1"},
    {"", "services", "{\"spec\":{\"ports\":[{\"port\":80}]}}",
     "count/services=1,services=1"},
    {"", "services",
     "{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80},{\"port\":"
     "81}]}}",
     "count/services=1,services=1,services.nodeports=2"},
    {"", "services",
     "{\"spec\":{\"type\":\"LoadBalancer\",\"allocateLoadBalancerNodePorts\":"
     "false,\"ports\":[{\"port\":80,\"nodePort\":30001},{\"port\":81}]}}",
     "count/services=1,services=1,services.loadbalancers=1,"
     "services.nodeports=1"},
    {"", "persistentvolumeclaims",
     "{\"spec\":{\"storageClassName\":\"gold\",\"resources\":{\"requests\":{"
     "\"storage\":\"10Gi\"}}}}",
     "count/persistentvolumeclaims=1,gold.storageclass.storage.k8s.io/"
     "persistentvolumeclaims=1,gold.storageclass.storage.k8s.io/"
     "requests.storage=10Gi,persistentvolumeclaims=1,requests.storage=10Gi"},
    {"", "configmaps", "{}", "configmaps=1,count/configmaps=1"},
    {"", "endpoints", "{}", "count/endpoints=1"},
    {"apps", "deployments", "{}", "count/deployments.apps=1"},
    {"example.com", "widgets", "{}", "count/widgets.example.com=1"},
};

static void test_usage(void **state) {
  struct cplane_quota_list u;
  char got[1024];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof usage_cases / sizeof usage_cases[0]; i++) {
    const cplane_object *o = parse(usage_cases[i].json);

    /* 2026-12-01: after the deletion grace period above. */
    cplane_quota_usage(cp_host_api(), usage_cases[i].group,
                       usage_cases[i].resource, o, 1796083200000LL, &u);
    pretty(&u, got, sizeof got);
    if (strcmp(got, usage_cases[i].want) != 0)
      fail_msg("case %zu: got  %s\nwant %s", i, got, usage_cases[i].want);
    cp_object_release(o);
  }
}

struct scope_case {
  const char *quota_spec, *pod_spec;
  int want;
};

static const struct scope_case scope_cases[] = {
    {"{}", "{}", 1},
    {"{\"scopes\":[\"BestEffort\"]}", "{\"containers\":[{\"name\":\"a\"}]}",
     1},
    {"{\"scopes\":[\"NotBestEffort\"]}",
     "{\"containers\":[{\"name\":\"a\"}]}", 0},
    {"{\"scopes\":[\"BestEffort\"]}",
     "{\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{"
     "\"memory\":\"1Gi\"}}}]}",
     0},
    {"{\"scopes\":[\"Terminating\"]}", "{\"activeDeadlineSeconds\":60}", 1},
    {"{\"scopes\":[\"NotTerminating\"]}", "{\"activeDeadlineSeconds\":60}",
     0},
    {"{\"scopes\":[\"Terminating\",\"BestEffort\"]}", "{}", 0},
    {"{\"scopeSelector\":{\"matchExpressions\":[{\"scopeName\":"
     "\"PriorityClass\",\"operator\":\"In\",\"values\":[\"high\"]}]}}",
     "{\"priorityClassName\":\"high\"}", 1},
    {"{\"scopeSelector\":{\"matchExpressions\":[{\"scopeName\":"
     "\"PriorityClass\",\"operator\":\"NotIn\",\"values\":[\"high\"]}]}}",
     "{\"priorityClassName\":\"high\"}", 0},
    {"{\"scopeSelector\":{\"matchExpressions\":[{\"scopeName\":"
     "\"PriorityClass\",\"operator\":\"Exists\"}]}}",
     "{}", 0},
    {"{\"scopeSelector\":{\"matchExpressions\":[{\"scopeName\":"
     "\"PriorityClass\",\"operator\":\"DoesNotExist\"}]}}",
     "{}", 1},
};

static void test_scopes(void **state) {
  char text[1024];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof scope_cases / sizeof scope_cases[0]; i++) {
    const cplane_object *q, *p;

    snprintf(text, sizeof text, "{\"spec\":%s}", scope_cases[i].quota_spec);
    q = parse(text);
    snprintf(text, sizeof text, "{\"spec\":%s}", scope_cases[i].pod_spec);
    p = parse(text);
    if (cplane_quota_matches(cp_host_api(), q, p) != scope_cases[i].want)
      fail_msg("case %zu: wanted %d", i, scope_cases[i].want);
    /* A scoped quota selects no object but pods. */
    if (scope_cases[i].quota_spec[1] != '}')
      assert_int_equal(cplane_quota_matches(cp_host_api(), q, NULL), 0);
    cp_object_release(q);
    cp_object_release(p);
  }
}

static void test_tracks(void **state) {
  (void)state;
  assert_true(cplane_quota_tracks("", "pods", "requests.cpu"));
  assert_true(cplane_quota_tracks("", "pods", "requests.example.com/gpu"));
  assert_true(cplane_quota_tracks("", "pods", "limits.memory"));
  assert_false(cplane_quota_tracks("", "pods", "requests.storage"));
  assert_false(cplane_quota_tracks("", "pods", "services"));
  assert_true(cplane_quota_tracks("", "persistentvolumeclaims",
                                  "requests.storage"));
  assert_true(cplane_quota_tracks("", "secrets", "secrets"));
  assert_true(cplane_quota_tracks("apps", "deployments",
                                  "count/deployments.apps"));
  assert_false(cplane_quota_tracks("apps", "deployments", "deployments"));
}

static void test_status_json(void **state) {
  struct cplane_quota_list hard, used;
  const cplane_object *q;
  char *json;

  (void)state;
  memset(&hard, 0, sizeof hard);
  memset(&used, 0, sizeof used);
  cplane_quota_add(&hard, "requests.memory", 1073741824000LL,
                   CPLANE_QUANTITY_BINARY_SI);
  cplane_quota_add(&used, "requests.memory", 0, CPLANE_QUANTITY_BINARY_SI);
  cplane_quota_add(&used, "requests.memory", 134217728000LL,
                   CPLANE_QUANTITY_BINARY_SI);
  json = rq_status_json(cp_host_api(), &hard, &used);
  assert_string_equal(json, "{\"hard\":{\"requests.memory\":\"1Gi\"},"
                            "\"used\":{\"requests.memory\":\"128Mi\"}}");
  q = parse("{\"status\":{\"hard\":{\"requests.memory\":\"1024Mi\"},"
            "\"used\":{\"requests.memory\":\"128Mi\"}}}");
  assert_true(rq_status_same(cp_host_api(), q, &hard, &used));
  cp_object_release(q);
  q = parse("{\"status\":{\"hard\":{\"requests.memory\":\"1Gi\"}}}");
  assert_false(rq_status_same(cp_host_api(), q, &hard, &used));
  cp_object_release(q);
  free(json);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_usage),
      cmocka_unit_test(test_scopes),
      cmocka_unit_test(test_tracks),
      cmocka_unit_test(test_status_json),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
