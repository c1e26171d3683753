/*
 * test_table - server-side printing: which Accept headers ask for a Table,
 * the columns and cells of pods, nodes, Deployments, ReplicaSets,
 * namespaces and the generic NAME/AGE, lists carrying their continue
 * token, includeObject, and bodies that are not objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/table.h"

/* 2026-11-25T14:00:00Z */
#define NOW 1795615200LL

static const struct cp_resource_type pods = {
    "", "v1", "pods", "pod", "Pod", "PodList", 1, {NULL}, 0, 1};
static const struct cp_resource_type nodes = {
    "", "v1", "nodes", "node", "Node", "NodeList", 0, {NULL}, 0, 1};
static const struct cp_resource_type deploys = {
    "apps", "v1", "deployments", "deployment", "Deployment",
    "DeploymentList", 1, {NULL}, 0, 1};
static const struct cp_resource_type cms = {
    "", "v1", "configmaps", "configmap", "ConfigMap", "ConfigMapList", 1,
    {NULL}, 0, 1};

static const struct cp_resource_type events = {
    "", "v1", "events", "event", "Event", "EventList", 1, {NULL}, 0, 1};
static const struct cp_resource_type secrets = {
    "", "v1", "secrets", "secret", "Secret", "SecretList", 1, {NULL}, 0, 1};
static const struct cp_resource_type leases = {
    "coordination.k8s.io", "v1", "leases", "lease", "Lease", "LeaseList", 1,
    {NULL}, 0, 1};
static const struct cp_resource_type widgets = {
    "example.com", "v1", "widgets", "widget", "Widget", "WidgetList", 1,
    {NULL}, 0, 0};

static json_object *render(const struct cp_resource_type *t, const char *in,
                           int include) {
  char *out = cp_table_render(t, in, strlen(in), include, NOW);
  json_object *o;

  assert_non_null(out);
  o = json_tokener_parse(out);
  free(out);
  assert_non_null(o);
  return o;
}

static const char *cell(json_object *t, int row, int col) {
  json_object *rows, *r, *cells;

  assert_true(json_object_object_get_ex(t, "rows", &rows));
  r = json_object_array_get_idx(rows, (size_t)row);
  assert_true(json_object_object_get_ex(r, "cells", &cells));
  return json_object_get_string(json_object_array_get_idx(cells, (size_t)col));
}

static void test_wanted(void **state) {
  (void)state;
  assert_true(cp_table_wanted("application/json;as=Table;v=v1;g=meta.k8s.io,"
                              "application/json;as=Table;v=v1beta1;"
                              "g=meta.k8s.io,application/json"));
  assert_false(cp_table_wanted("application/json"));
  assert_false(cp_table_wanted(NULL));
  assert_false(cp_table_wanted("application/json;as=Table"));
}

static void test_pod_list(void **state) {
  json_object *t = render(
      &pods,
      "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"42\","
      "\"continue\":\"abc\"},\"items\":[{\"metadata\":{\"name\":\"p1\","
      "\"namespace\":\"default\",\"creationTimestamp\":"
      "\"2026-11-25T13:55:00Z\"},\"spec\":{\"nodeName\":\"n1\","
      "\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]},\"status\":{"
      "\"phase\":\"Running\",\"podIP\":\"10.0.0.1\",\"containerStatuses\":["
      "{\"ready\":true,\"restartCount\":2},{\"ready\":false,"
      "\"restartCount\":1}]}},{\"metadata\":{\"name\":\"p2\","
      "\"deletionTimestamp\":\"2026-11-25T14:00:00Z\","
      "\"creationTimestamp\":\"2026-11-25T13:59:30Z\"},\"spec\":{}}]}",
      0);
  json_object *m, *v, *rows, *obj;

  (void)state;
  assert_string_equal(cell(t, 0, 0), "p1");
  assert_string_equal(cell(t, 0, 1), "1/2");
  assert_string_equal(cell(t, 0, 2), "Running");
  assert_string_equal(cell(t, 0, 3), "3");
  assert_string_equal(cell(t, 0, 4), "5m");
  assert_string_equal(cell(t, 0, 5), "10.0.0.1");
  assert_string_equal(cell(t, 0, 6), "n1");
  assert_string_equal(cell(t, 1, 2), "Terminating");
  assert_string_equal(cell(t, 1, 4), "30s");
  assert_string_equal(cell(t, 1, 6), "<none>");
  /* The list's version and continue token carry over (kubectl pages). */
  assert_true(json_object_object_get_ex(t, "metadata", &m));
  assert_true(json_object_object_get_ex(m, "continue", &v));
  assert_string_equal(json_object_get_string(v), "abc");
  assert_true(json_object_object_get_ex(m, "resourceVersion", &v));
  assert_string_equal(json_object_get_string(v), "42");
  /* Rows carry the metadata only, by default. */
  assert_true(json_object_object_get_ex(t, "rows", &rows));
  assert_true(json_object_object_get_ex(
      json_object_array_get_idx(rows, 0), "object", &obj));
  assert_true(json_object_object_get_ex(obj, "kind", &v));
  assert_string_equal(json_object_get_string(v), "PartialObjectMetadata");
  assert_false(json_object_object_get_ex(obj, "spec", &v));
  json_object_put(t);
}

/* A pod whose status is one container state: the STATUS cell. */
static void assert_pod_status(const char *status, const char *want) {
  char doc[1024];
  json_object *t;

  snprintf(doc, sizeof doc,
           "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"initContainers\":"
           "[{\"name\":\"i\"}],\"containers\":[{\"name\":\"a\"},{\"name\":"
           "\"b\"}]},\"status\":%s}",
           status);
  t = render(&pods, doc, 0);
  assert_string_equal(cell(t, 0, 2), want);
  json_object_put(t);
}

/* The STATUS column as kubectl's printPod words it, not the phase. */
static void test_pod_status_reason(void **state) {
  (void)state;
  assert_pod_status("{\"phase\":\"Succeeded\",\"containerStatuses\":["
                    "{\"state\":{\"terminated\":{\"exitCode\":0,"
                    "\"reason\":\"Completed\"}}}]}",
                    "Completed");
  assert_pod_status("{\"phase\":\"Failed\",\"containerStatuses\":["
                    "{\"state\":{\"terminated\":{\"exitCode\":3,"
                    "\"reason\":\"Error\"}}}]}",
                    "Error");
  assert_pod_status("{\"phase\":\"Failed\",\"containerStatuses\":["
                    "{\"state\":{\"terminated\":{\"exitCode\":3}}}]}",
                    "ExitCode:3");
  assert_pod_status("{\"phase\":\"Running\",\"containerStatuses\":["
                    "{\"state\":{\"waiting\":{\"reason\":"
                    "\"CrashLoopBackOff\"}}}]}",
                    "CrashLoopBackOff");
  assert_pod_status("{\"phase\":\"Pending\",\"containerStatuses\":["
                    "{\"state\":{\"waiting\":{\"reason\":"
                    "\"ContainerCreating\"}}}]}",
                    "ContainerCreating");
  /* One container done, the other still running and ready. */
  assert_pod_status("{\"phase\":\"Running\",\"conditions\":[{\"type\":"
                    "\"Ready\",\"status\":\"False\"}],\"containerStatuses\""
                    ":[{\"ready\":true,\"state\":{\"running\":{}}},{"
                    "\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":"
                    "\"Completed\"}}}]}",
                    "NotReady");
  assert_pod_status("{\"phase\":\"Pending\",\"initContainerStatuses\":["
                    "{\"state\":{\"waiting\":{\"reason\":"
                    "\"PodInitializing\"}}}]}",
                    "Init:0/1");
  assert_pod_status("{\"phase\":\"Pending\",\"initContainerStatuses\":["
                    "{\"state\":{\"terminated\":{\"exitCode\":1,"
                    "\"reason\":\"Error\"}}}]}",
                    "Init:Error");
  assert_pod_status("{\"phase\":\"Running\",\"reason\":\"Evicted\"}",
                    "Evicted");
}

static void test_kinds(void **state) {
  json_object *t;

  (void)state;
  t = render(&nodes,
             "{\"metadata\":{\"name\":\"n1\",\"creationTimestamp\":"
             "\"2026-11-20T14:00:00Z\"},\"spec\":{\"unschedulable\":true},"
             "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":"
             "\"Unknown\"}],\"nodeInfo\":{\"kubeletVersion\":\"v1.31.0\"}}}",
             0);
  assert_string_equal(cell(t, 0, 1), "NotReady,SchedulingDisabled");
  assert_string_equal(cell(t, 0, 3), "5d");
  assert_string_equal(cell(t, 0, 4), "v1.31.0");
  json_object_put(t);
  t = render(&deploys,
             "{\"metadata\":{\"name\":\"d\",\"creationTimestamp\":"
             "\"2026-11-25T10:30:00Z\"},\"spec\":{\"replicas\":3},\"status\":"
             "{\"readyReplicas\":2,\"updatedReplicas\":3,"
             "\"availableReplicas\":2}}",
             1);
  assert_string_equal(cell(t, 0, 1), "2/3");
  assert_string_equal(cell(t, 0, 2), "3");
  assert_string_equal(cell(t, 0, 4), "3h30m");
  json_object_put(t);
  t = render(&cms, "{\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":\"1\","
                   "\"b\":\"2\"},\"binaryData\":{\"c\":\"AA==\"}}", 0);
  assert_string_equal(cell(t, 0, 0), "c");
  assert_string_equal(cell(t, 0, 1), "3");
  assert_string_equal(cell(t, 0, 2), "<unknown>");
  json_object_put(t);
  t = render(&widgets, "{\"metadata\":{\"name\":\"w\"}}", 0);
  assert_string_equal(cell(t, 0, 0), "w");
  assert_string_equal(cell(t, 0, 1), "<unknown>");
  json_object_put(t);
  t = render(&secrets, "{\"metadata\":{\"name\":\"s\"},\"type\":"
                       "\"kubernetes.io/tls\",\"data\":{\"tls.crt\":\"\","
                       "\"tls.key\":\"\"}}", 0);
  assert_string_equal(cell(t, 0, 1), "kubernetes.io/tls");
  assert_string_equal(cell(t, 0, 2), "2");
  json_object_put(t);
  t = render(&leases, "{\"metadata\":{\"name\":\"l\"},\"spec\":{"
                      "\"holderIdentity\":\"sim-0\"}}", 0);
  assert_string_equal(cell(t, 0, 1), "sim-0");
  json_object_put(t);
  assert_null(cp_table_render(&cms, "[1,2]", 5, 0, NOW));
  assert_null(cp_table_render(&cms, "{\"a\":", 5, 0, NOW));
  /* A body need not end in a NUL: exactly len bytes are read. */
  {
    char *out = cp_table_render(&cms, "{\"metadata\":{}}garbage", 15, 0, NOW);

    assert_non_null(out);
    free(out);
  }
}

/* Events lead with Last Seen (the newest timestamp), the object as
 * kind/name in lower case, and keep Name for -o wide. */
static void test_events(void **state) {
  json_object *t, *defs;

  (void)state;
  t = render(&events,
             "{\"metadata\":{\"name\":\"web.1\",\"creationTimestamp\":"
             "\"2026-11-25T13:00:00Z\"},\"involvedObject\":{\"kind\":"
             "\"Pod\",\"name\":\"web\"},\"reason\":\"Scheduled\","
             "\"message\":\"Successfully assigned default/web to sim-0\","
             "\"type\":\"Normal\",\"source\":{\"component\":"
             "\"default-scheduler\"},\"firstTimestamp\":"
             "\"2026-11-25T13:00:00Z\",\"lastTimestamp\":"
             "\"2026-11-25T13:59:15Z\",\"count\":4}",
             0);
  assert_true(json_object_object_get_ex(t, "columnDefinitions", &defs));
  assert_string_equal(
      json_object_get_string(json_object_object_get(
          json_object_array_get_idx(defs, 0), "name")),
      "Last Seen");
  assert_string_equal(cell(t, 0, 0), "45s");
  assert_string_equal(cell(t, 0, 1), "Normal");
  assert_string_equal(cell(t, 0, 2), "Scheduled");
  assert_string_equal(cell(t, 0, 3), "pod/web");
  assert_string_equal(cell(t, 0, 5), "default-scheduler");
  assert_string_equal(cell(t, 0, 6),
                      "Successfully assigned default/web to sim-0");
  assert_string_equal(cell(t, 0, 7), "60m");
  assert_string_equal(cell(t, 0, 8), "4");
  assert_string_equal(cell(t, 0, 9), "web.1");
  json_object_put(t);
  /* events.k8s.io writers set only eventTime. */
  t = render(&events,
             "{\"metadata\":{\"name\":\"e\"},\"eventTime\":"
             "\"2026-11-25T13:59:50.000000Z\",\"involvedObject\":{\"kind\":"
             "\"Node\",\"name\":\"n\"}}",
             0);
  assert_string_equal(cell(t, 0, 0), "10s");
  assert_string_equal(cell(t, 0, 3), "node/n");
  assert_string_equal(cell(t, 0, 8), "1");
  json_object_put(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wanted),
      cmocka_unit_test(test_pod_list),
      cmocka_unit_test(test_pod_status_reason),
      cmocka_unit_test(test_kinds),
      cmocka_unit_test(test_events),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
