/*
 * test_metrics_usage - metrics.k8s.io computed on read. The model a node
 * declares (interval, fraction; bad values and stopped nodes declare
 * none); a pod's PodMetrics (Running, each container after one interval,
 * annotations over a fraction of requests, labels, timestamp rounded to
 * the interval, window) and a node's NodeMetrics (its pods plus the idle
 * base). Then served by the verbs from pods and nodes in a real store:
 * get and list, per namespace and across, label and field selectors,
 * lister-style 404s, the Table cells, and 405 for writes and watches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_fixture.h"
#include "apiserver/metrics_usage.h"
#include "apiserver/table.h"

/* 2027-01-01T00:00:07Z */
#define NOW 1798761607000LL

static json_object *parse(const char *text) {
  json_object *o = json_tokener_parse(text);

  assert_non_null(o);
  return o;
}

/* The string at a dotted path (array items by index), or "". */
static const char *at(json_object *o, const char *path) {
  char p[256], *save = NULL, *seg;
  json_object *cur = o;

  snprintf(p, sizeof p, "%s", path);
  for (seg = strtok_r(p, ".", &save); seg != NULL && cur != NULL;
       seg = strtok_r(NULL, ".", &save)) {
    json_object *next = NULL;

    if (json_object_is_type(cur, json_type_array))
      next = json_object_array_get_idx(cur, (size_t)atoi(seg));
    else if (!json_object_object_get_ex(cur, seg, &next))
      next = NULL;
    cur = next;
  }
  return cur != NULL ? json_object_get_string(cur) : "";
}

/* ------------------------------------------------------------ model */

static int model_of(const char *annotations, struct cp_usage_model *m) {
  char text[512];
  json_object *node;
  int r;

  snprintf(text, sizeof text,
           "{\"metadata\":{\"name\":\"n\",\"annotations\":{%s}}}", annotations);
  node = parse(text);
  r = cp_usage_model_of(node, m);
  json_object_put(node);
  return r;
}

#define IV "\"cplane.io/nodesim-usage-interval\":"
#define FR "\"cplane.io/nodesim-usage-fraction\":"

static void test_model(void **state) {
  struct cp_usage_model m;

  (void)state;
  assert_true(model_of(IV "\"15s\"," FR "\"0.5\"", &m));
  assert_int_equal(m.interval_ms, 15000);
  assert_int_equal(m.fraction_permille, 500);
  /* No fraction: only the pods' annotations count. Bare seconds too. */
  assert_true(model_of(IV "\"2\"", &m));
  assert_int_equal(m.interval_ms, 2000);
  assert_int_equal(m.fraction_permille, 0);
  assert_false(model_of("", &m));
  assert_false(model_of(FR "\"0.5\"", &m));
  assert_false(model_of(IV "\"soon\"", &m));
  assert_false(model_of(IV "\"50ms\"", &m));
  assert_false(model_of(IV "\"2h\"", &m));
  assert_false(model_of(IV "15", &m)); /* not a string */
  assert_false(model_of(IV "\"15s\"," FR "\"11\"", &m));
  assert_false(model_of(IV "\"15s\"," FR "\"-1\"", &m));
  assert_false(model_of(IV "\"15s\"," FR "\"half\"", &m));
  /* A stopped machine cannot be scraped. */
  assert_false(
      model_of(IV "\"15s\",\"cplane.io/nodesim-stopped\":\"true\"", &m));
  assert_true(
      model_of(IV "\"15s\",\"cplane.io/nodesim-stopped\":\"false\"", &m));
}

/* ------------------------------------------------------------ pods */

static const struct cp_usage_model MODEL = {15000, 500};

/* Container a started 20 s before NOW (reported), b 5 s before (not yet:
 * under one interval). a requests 200m and 64Mi; the pod's memory
 * annotation wins over the fraction. */
static const char POD[] =
    "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\",\"labels\":{"
    "\"app\":\"web\"},\"annotations\":{\"cplane.io/nodesim-memory\":"
    "\"100Mi\"}},\"spec\":{\"nodeName\":\"n\",\"containers\":["
    "{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":\"200m\","
    "\"memory\":\"64Mi\"}}},{\"name\":\"b\"}]},\"status\":{\"phase\":"
    "\"Running\",\"containerStatuses\":["
    "{\"name\":\"b\",\"state\":{\"running\":{\"startedAt\":"
    "\"2027-01-01T00:00:02Z\"}}},"
    "{\"name\":\"a\",\"state\":{\"running\":{\"startedAt\":"
    "\"2026-12-31T23:59:47Z\"}}}]}}";

static void test_pod_metrics(void **state) {
  json_object *pod = parse(POD), *pm;
  struct cp_usage total;
  int nomem = 1;

  (void)state;
  pm = cp_usage_pod_metrics(pod, &MODEL, NOW, &nomem);
  assert_non_null(pm);
  assert_int_equal(nomem, 0);
  assert_string_equal(at(pm, "kind"), "PodMetrics");
  assert_string_equal(at(pm, "apiVersion"), "metrics.k8s.io/v1beta1");
  assert_string_equal(at(pm, "metadata.name"), "p");
  assert_string_equal(at(pm, "metadata.namespace"), "d");
  assert_string_equal(at(pm, "metadata.labels.app"), "web");
  assert_string_equal(at(pm, "metadata.creationTimestamp"),
                      "2027-01-01T00:00:07Z");
  assert_string_equal(at(pm, "timestamp"), "2027-01-01T00:00:00Z");
  assert_string_equal(at(pm, "window"), "15s");
  assert_int_equal(
      json_object_array_length(json_object_object_get(pm, "containers")), 1);
  assert_string_equal(at(pm, "containers.0.name"), "a");
  assert_string_equal(at(pm, "containers.0.usage.cpu"), "100m");
  assert_string_equal(at(pm, "containers.0.usage.memory"), "100Mi");
  json_object_put(pm);
  assert_true(cp_usage_pod_total(pod, &MODEL, NOW, &total));
  assert_int_equal(total.cpu_m, 100);
  assert_int_equal(total.memory, 100LL << 20);
  /* 15 s later b has run an interval too: 0 CPU (no request), 100Mi. */
  assert_true(cp_usage_pod_total(pod, &MODEL, NOW + 15000, &total));
  assert_int_equal(total.cpu_m, 100);
  assert_int_equal(total.memory, 200LL << 20);
  /* 10 s earlier neither had: no PodMetrics at all, as metrics-server
   * before its second scrape. */
  assert_false(cp_usage_pod_total(pod, &MODEL, NOW - 10000, &total));
  assert_null(cp_usage_pod_metrics(pod, &MODEL, NOW - 10000, &nomem));
  assert_int_equal(nomem, 0);
  json_object_put(pod);
}

static int reported(const char *text, int64_t now, struct cp_usage *u) {
  json_object *pod = parse(text);
  int r = cp_usage_pod_total(pod, &MODEL, now, u);

  json_object_put(pod);
  return r;
}

static void test_pod_reported_or_not(void **state) {
  struct cp_usage u;

  (void)state;
  /* Not Running. */
  assert_false(reported(
      "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{"
      "\"containers\":[{\"name\":\"a\"}]},\"status\":{\"phase\":\"Pending\","
      "\"startTime\":\"2020-01-01T00:00:00Z\"}}",
      NOW, &u));
  /* No container statuses: the pod's startTime. A request written as a
   * number (YAML's `cpu: 1`) and a bad annotation (the requests win). */
  assert_true(reported(
      "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\",\"annotations\":{"
      "\"cplane.io/nodesim-cpu\":\"lots\"}},\"spec\":{\"containers\":[{"
      "\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":1}}}]},"
      "\"status\":{\"phase\":\"Running\",\"startTime\":"
      "\"2020-01-01T00:00:00Z\"}}",
      NOW, &u));
  assert_int_equal(u.cpu_m, 500);
  assert_int_equal(u.memory, 0);
  /* A container waiting (restarting) is not reported; nor is one whose
   * start does not parse. */
  assert_false(reported(
      "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{"
      "\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]},\"status\":{"
      "\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"a\","
      "\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}},"
      "{\"name\":\"b\",\"state\":{\"running\":{\"startedAt\":\"yesterday\"}}}"
      "]}}",
      NOW, &u));
  /* Annotations apply to every container, overriding the fraction. */
  assert_true(reported(
      "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\",\"annotations\":{"
      "\"cplane.io/nodesim-cpu\":\"150m\"}},\"spec\":{\"containers\":["
      "{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":\"1\"}}},"
      "{\"name\":\"b\"}]},\"status\":{\"phase\":\"Running\",\"startTime\":"
      "\"2020-01-01T00:00:00Z\"}}",
      NOW, &u));
  assert_int_equal(u.cpu_m, 300);
}

static void test_node_metrics(void **state) {
  json_object *node = parse("{\"metadata\":{\"name\":\"n\",\"labels\":{"
                            "\"zone\":\"a\"}}}");
  struct cp_usage pods = {1500, 3LL << 30};
  json_object *nm = cp_usage_node_metrics(node, &MODEL, &pods, NOW);

  (void)state;
  assert_non_null(nm);
  assert_string_equal(at(nm, "kind"), "NodeMetrics");
  assert_string_equal(at(nm, "metadata.name"), "n");
  assert_string_equal(at(nm, "metadata.labels.zone"), "a");
  assert_string_equal(at(nm, "usage.cpu"), "1550m");
  assert_string_equal(at(nm, "usage.memory"), "3328Mi");
  assert_string_equal(at(nm, "window"), "15s");
  json_object_put(nm);
  json_object_put(node);
}

/* ------------------------------------------------------------ served */

static int setup(void **state) { return api_fixture_setup(state); }
static int teardown(void **state) { return api_fixture_teardown(state); }

static void put(struct api_fixture *f, const char *key, const char *value) {
  int64_t rev;

  assert_int_equal(
      cp_store_create(f->store, key, strlen(key), value, strlen(value), &rev),
      CPLANE_OK);
}

static void put_node(struct api_fixture *f, const char *name, const char *zone,
                     int declares) {
  char key[64], value[512];

  snprintf(key, sizeof key, "nodes/%s", name);
  snprintf(value, sizeof value,
           "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":"
           "\"%s\",\"labels\":{\"zone\":\"%s\"},\"annotations\":{%s}}}",
           name, zone, declares ? IV "\"15s\"," FR "\"0.5\"" : "");
  put(f, key, value);
}

/* A pod on node, Running since 2020 unless phase says otherwise, with
 * one container requesting cpu. */
static void put_pod(struct api_fixture *f, const char *ns, const char *name,
                    const char *app, const char *node, const char *phase,
                    const char *cpu) {
  char key[128], value[1024];

  snprintf(key, sizeof key, "pods/%s/%s", ns, name);
  snprintf(value, sizeof value,
           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
           "\"%s\",\"namespace\":\"%s\",\"labels\":{\"app\":\"%s\"}},"
           "\"spec\":{\"nodeName\":\"%s\",\"containers\":[{\"name\":\"c\","
           "\"resources\":{\"requests\":{\"cpu\":\"%s\",\"memory\":"
           "\"64Mi\"}}}]},\"status\":{\"phase\":\"%s\",\"startTime\":"
           "\"2020-01-01T00:00:00Z\",\"containerStatuses\":[{\"name\":\"c\","
           "\"state\":{\"running\":{\"startedAt\":"
           "\"2020-01-01T00:00:00Z\"}}}]}}",
           name, ns, app, node, cpu, phase);
  put(f, key, value);
}

/* n0 and n1 declare; n2 does not (no metrics-server there). */
static void cluster(struct api_fixture *f) {
  put_node(f, "n0", "a", 1);
  put_node(f, "n1", "b", 1);
  put_node(f, "n2", "b", 0);
  put_pod(f, "a", "web-1", "web", "n0", "Running", "200m");
  put_pod(f, "a", "web-2", "web", "n1", "Running", "400m");
  put_pod(f, "a", "db", "db", "n0", "Running", "1");
  put_pod(f, "a", "waiting", "web", "n0", "Pending", "1");
  put_pod(f, "a", "elsewhere", "web", "n2", "Running", "1");
  put_pod(f, "b", "web-3", "web", "n1", "Running", "2");
}

/* GET path: 200 and the body parsed. */
static json_object *get_ok(struct api_fixture *f, const char *path) {
  struct cp_api_response rs = api_fixture_call(f, CP_API_GET, path, NULL, NULL);
  json_object *o;

  if (rs.code != 200)
    fail_msg("%s: %d %s", path, rs.code, rs.body ? rs.body : "");
  o = parse(rs.body);
  free(rs.body);
  return o;
}

/* The items' metadata.name, comma-joined. */
static const char *names(json_object *list, char *buf, size_t len) {
  json_object *items = json_object_object_get(list, "items");
  size_t i, n = items ? json_object_array_length(items) : 0, off = 0;

  buf[0] = '\0';
  for (i = 0; i < n && off < len; i++)
    off += (size_t)snprintf(
        buf + off, len - off, "%s%s", i ? "," : "",
        at(json_object_array_get_idx(items, i), "metadata.name"));
  return buf;
}

#define PM "/apis/metrics.k8s.io/v1beta1"

static void expect_list(struct api_fixture *f, const char *path,
                        const char *want) {
  json_object *l = get_ok(f, path);
  char buf[256];

  assert_string_equal(names(l, buf, sizeof buf), want);
  json_object_put(l);
}

static void test_served_pods(void **state) {
  struct api_fixture *f = *state;
  json_object *o;

  cluster(f);
  o = get_ok(f, PM "/namespaces/a/pods");
  assert_string_equal(at(o, "kind"), "PodMetricsList");
  assert_string_equal(at(o, "apiVersion"), "metrics.k8s.io/v1beta1");
  json_object_put(o);
  /* Running on a declaring node only; key order. */
  expect_list(f, PM "/namespaces/a/pods", "db,web-1,web-2");
  expect_list(f, PM "/pods", "db,web-1,web-2,web-3");
  expect_list(f, PM "/pods?labelSelector=app%3Dweb", "web-1,web-2,web-3");
  expect_list(f, PM "/namespaces/a/pods?labelSelector=app+in+(db)", "db");
  expect_list(f, PM "/pods?fieldSelector=metadata.name%3Dweb-3", "web-3");
  expect_list(f, PM "/pods?fieldSelector=metadata.namespace%3Db", "web-3");
  expect_list(f, PM "/namespaces/c/pods", "");
  o = get_ok(f, PM "/namespaces/a/pods/web-2");
  assert_string_equal(at(o, "kind"), "PodMetrics");
  assert_string_equal(at(o, "metadata.labels.app"), "web");
  assert_string_equal(at(o, "containers.0.usage.cpu"), "200m");
  assert_string_equal(at(o, "containers.0.usage.memory"), "32Mi");
  json_object_put(o);
}

static void expect_status(struct api_fixture *f, enum cp_api_method m,
                          const char *path, int code, const char *message) {
  struct cp_api_response rs =
      api_fixture_call(f, m, path, API_FIXTURE_JSON,
                       m == CP_API_GET || m == CP_API_DELETE ? NULL : "{}");
  json_object *o;

  if (rs.code != code)
    fail_msg("%s: %d %s", path, rs.code, rs.body ? rs.body : "");
  o = parse(rs.body);
  assert_string_equal(at(o, "message"), message);
  json_object_put(o);
  free(rs.body);
}

static void test_served_errors(void **state) {
  struct api_fixture *f = *state;

  cluster(f);
  /* metrics-server passes its listers' 404 on, then its own. */
  expect_status(f, CP_API_GET, PM "/namespaces/a/pods/nope", 404,
                "pods \"nope\" not found");
  expect_status(f, CP_API_GET, PM "/namespaces/a/pods/waiting", 404,
                "pods.metrics.k8s.io \"a/waiting\" not found");
  expect_status(f, CP_API_GET, PM "/namespaces/a/pods/elsewhere", 404,
                "pods.metrics.k8s.io \"a/elsewhere\" not found");
  expect_status(f, CP_API_GET, PM "/nodes/nope", 404,
                "node \"nope\" not found");
  expect_status(f, CP_API_GET, PM "/nodes/n2", 404,
                "nodes.metrics.k8s.io \"n2\" not found");
  /* Read-only: no route for a write; no watch. */
  expect_status(f, CP_API_POST, PM "/nodes", 405,
                "the server does not allow this method on the requested "
                "resource");
  expect_status(f, CP_API_POST, PM "/namespaces/a/pods", 405,
                "the server does not allow this method on the requested "
                "resource");
  expect_status(f, CP_API_PUT, PM "/namespaces/a/pods/web-1", 405,
                "the server does not allow this method on the requested "
                "resource");
  expect_status(f, CP_API_PATCH, PM "/nodes/n0", 405,
                "the server does not allow this method on the requested "
                "resource");
  expect_status(f, CP_API_DELETE, PM "/namespaces/a/pods/web-1", 405,
                "the server does not allow this method on the requested "
                "resource");
  expect_status(f, CP_API_DELETE, PM "/namespaces/a/pods", 405,
                "the server does not allow this method on the requested "
                "resource");
  expect_status(f, CP_API_GET, PM "/pods?watch=true", 405,
                "watch is not supported on resources of kind "
                "\"pods.metrics.k8s.io\"");
  expect_status(f, CP_API_GET, PM "/pods?fieldSelector=spec.nodeName%3Dn0", 400,
                "field label not supported: spec.nodeName");
  /* Nothing was stored by any of it. */
  expect_list(f, PM "/nodes", "n0,n1");
}

static void test_served_nodes(void **state) {
  struct api_fixture *f = *state;
  json_object *o;

  cluster(f);
  o = get_ok(f, PM "/nodes");
  assert_string_equal(at(o, "kind"), "NodeMetricsList");
  /* n0: web-1 100m + db 500m + idle 50m; 32Mi each + 256Mi idle. */
  assert_string_equal(at(o, "items.0.metadata.name"), "n0");
  assert_string_equal(at(o, "items.0.usage.cpu"), "650m");
  assert_string_equal(at(o, "items.0.usage.memory"), "320Mi");
  /* n1: web-2 200m + web-3 1 + idle 50m. */
  assert_string_equal(at(o, "items.1.usage.cpu"), "1250m");
  assert_string_equal(at(o, "items.1.metadata.labels.zone"), "b");
  json_object_put(o);
  expect_list(f, PM "/nodes?labelSelector=zone%3Db", "n1");
  expect_list(f, PM "/nodes?fieldSelector=metadata.name%3Dn0", "n0");
  o = get_ok(f, PM "/nodes/n1");
  assert_string_equal(at(o, "kind"), "NodeMetrics");
  assert_string_equal(at(o, "usage.cpu"), "1250m");
  assert_string_equal(at(o, "usage.memory"), "320Mi");
  json_object_put(o);
}

/* kubectl get pods.metrics.k8s.io: metrics-server's columns, a pod's
 * usage summed over its containers. */
static void test_table(void **state) {
  struct api_fixture *f = *state;
  const struct cp_resource_type *t =
      cp_resources_find(f->ctx.resources, "metrics.k8s.io", "v1beta1", "pods");
  const char body[] =
      "{\"kind\":\"PodMetricsList\",\"apiVersion\":\"metrics.k8s.io/v1beta1\","
      "\"metadata\":{},\"items\":[{\"kind\":\"PodMetrics\",\"metadata\":{"
      "\"name\":\"p\",\"namespace\":\"d\"},\"window\":\"15s\",\"containers\":"
      "[{\"name\":\"a\",\"usage\":{\"cpu\":\"100m\",\"memory\":\"32Mi\"}},"
      "{\"name\":\"b\",\"usage\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}]}]}";
  char *text;
  json_object *o;

  assert_non_null(t);
  text = cp_table_render(t, body, strlen(body), 0, NOW / 1000);
  assert_non_null(text);
  o = parse(text);
  assert_string_equal(at(o, "columnDefinitions.1.name"), "cpu");
  assert_string_equal(at(o, "columnDefinitions.2.name"), "memory");
  assert_string_equal(at(o, "columnDefinitions.3.name"), "Window");
  assert_string_equal(at(o, "rows.0.cells.0"), "p");
  assert_string_equal(at(o, "rows.0.cells.1"), "1100m");
  assert_string_equal(at(o, "rows.0.cells.2"), "1056Mi");
  assert_string_equal(at(o, "rows.0.cells.3"), "15s");
  json_object_put(o);
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_model),
      cmocka_unit_test(test_pod_metrics),
      cmocka_unit_test(test_pod_reported_or_not),
      cmocka_unit_test(test_node_metrics),
      cmocka_unit_test_setup_teardown(test_served_pods, setup, teardown),
      cmocka_unit_test_setup_teardown(test_served_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_served_nodes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_table, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
