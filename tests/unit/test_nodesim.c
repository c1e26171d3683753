/*
 * test_nodesim - the nodesim plugin's modules. Node: which names are
 * ours, the stopped annotation, IPs, labels (the INI's win over the
 * defaults) and the status a node reports. A started pod's status, its
 * containers running and init containers completed. Configuration: quantities
 * and the node name prefix checked, the labels and taints settings parsed
 * (blanks trimmed, empty items skipped, each bad item refused with its
 * key's message), and the taints' JSON as the Node will carry it. The
 * host's own table (cp_host_api()) builds the JSON, as the plugin sees it.
 * Usage: per container from annotations or a fraction of requests, and
 * the PodMetrics and NodeMetrics bodies. The whole plugin runs in
 * tests/integration/plugin_nodes.sh (usage in plugin_hpa.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"
#include "plugin_objects.h"

#include "config.h"
#include "node.h"
#include "podstatus.h"
#include "usage.h"

static const struct cplane_host_api *api;

static struct nodesim *new_state(void) {
  struct nodesim *st = calloc(1, sizeof *st);

  assert_non_null(st);
  return st;
}

static void test_valid_quantity(void **state) {
  (void)state;
  assert_true(nsim_valid_quantity("4"));
  assert_true(nsim_valid_quantity("500m"));
  assert_true(nsim_valid_quantity("16Gi"));
  assert_true(nsim_valid_quantity("1.5"));
  assert_true(nsim_valid_quantity("1e3"));
  assert_false(nsim_valid_quantity("-1"));
  assert_false(nsim_valid_quantity("four"));
  assert_false(nsim_valid_quantity(""));
  assert_false(nsim_valid_quantity("4 Gi"));
}

static void test_valid_prefix(void **state) {
  char long_prefix[42];

  (void)state;
  assert_true(nsim_valid_prefix("sim-"));
  assert_true(nsim_valid_prefix("rack1.node-"));
  assert_false(nsim_valid_prefix(""));
  assert_false(nsim_valid_prefix("-sim"));
  assert_false(nsim_valid_prefix(".sim"));
  assert_false(nsim_valid_prefix("Sim-"));
  assert_false(nsim_valid_prefix("sim_"));
  memset(long_prefix, 'a', 41);
  long_prefix[41] = '\0';
  assert_false(nsim_valid_prefix(long_prefix));
  long_prefix[40] = '\0';
  assert_true(nsim_valid_prefix(long_prefix));
}

static void test_labels(void **state) {
  struct nodesim *st = new_state();

  (void)state;
  assert_null(nsim_parse_labels(st, " zone=a , ,tier=gold=1,empty="));
  assert_int_equal(st->n_labels, 3);
  assert_string_equal(st->labels[0].key, "zone");
  assert_string_equal(st->labels[0].value, "a");
  assert_string_equal(st->labels[1].key, "tier");
  assert_string_equal(st->labels[1].value, "gold=1");
  assert_string_equal(st->labels[2].key, "empty");
  assert_string_equal(st->labels[2].value, "");
  assert_null(nsim_parse_labels(st, ""));
  assert_int_equal(st->n_labels, 3);
  assert_string_equal(nsim_parse_labels(st, "ok=1,bare"),
                      "labels: each item is key=value");
  assert_string_equal(nsim_parse_labels(st, "=v"),
                      "labels: each item is key=value");
  nsim_free_state(st);
}

static void test_taints(void **state) {
  struct nodesim *st = new_state();
  struct nodesim *none = new_state();
  struct nodesim *bad = new_state();

  (void)state;
  assert_null(nsim_parse_taints(
      api, st, " dedicated=gpu:NoSchedule, ,spot:PreferNoSchedule"));
  assert_string_equal(st->taints_json,
                      "[{\"key\":\"dedicated\",\"value\":\"gpu\",\"effect\":"
                      "\"NoSchedule\"},{\"key\":\"spot\",\"effect\":"
                      "\"PreferNoSchedule\"}]");
  assert_null(nsim_parse_taints(api, none, NULL));
  assert_null(none->taints_json);
  assert_null(nsim_parse_taints(api, none, " , "));
  assert_null(none->taints_json);
  assert_string_equal(nsim_parse_taints(api, bad, "k=v:Sometimes"),
                      "taints: each item is key[=value]:NoSchedule|"
                      "PreferNoSchedule|NoExecute");
  assert_non_null(nsim_parse_taints(api, bad, "NoExecute"));
  assert_non_null(nsim_parse_taints(api, bad, ":NoExecute"));
  assert_null(bad->taints_json);
  nsim_free_state(st);
  nsim_free_state(none);
  nsim_free_state(bad);
  nsim_free_state(NULL);
}

static struct nodesim *sim3(void) {
  struct nodesim *st = new_state();

  st->count = 12;
  snprintf(st->prefix, sizeof st->prefix, "sim-");
  snprintf(st->cpu, sizeof st->cpu, "4");
  snprintf(st->memory, sizeof st->memory, "16Gi");
  snprintf(st->pods, sizeof st->pods, "110");
  return st;
}

static void test_node_index(void **state) {
  struct nodesim *st = sim3();

  (void)state;
  assert_int_equal(nsim_node_index(st, "sim-0"), 0);
  assert_int_equal(nsim_node_index(st, "sim-11"), 11);
  assert_int_equal(nsim_node_index(st, "sim-12"), -1);
  assert_int_equal(nsim_node_index(st, "sim-01"), -1);
  assert_int_equal(nsim_node_index(st, "sim-"), -1);
  assert_int_equal(nsim_node_index(st, "sim-1a"), -1);
  assert_int_equal(nsim_node_index(st, "node-1"), -1);
  assert_int_equal(nsim_node_index(st, "sim-99999999999999999999"), -1);
  assert_int_equal(nsim_node_index(st, NULL), -1);
  nsim_free_state(st);
}

static void test_node_ip_and_stopped(void **state) {
  const cplane_object *stopped =
      plugin_obj(api, "{'metadata':{'name':'sim-0','annotations':{"
                      "'cplane.io/nodesim-stopped':'true'}}}");
  const cplane_object *other =
      plugin_obj(api, "{'metadata':{'name':'sim-0','annotations':{"
                      "'cplane.io/nodesim-stopped':'false'}}}");
  const cplane_object *plain = plugin_obj(api, "{'metadata':{'name':'a'}}");
  char ip[32];

  (void)state;
  nsim_node_ip(0, ip, sizeof ip);
  assert_string_equal(ip, "10.1.0.1");
  nsim_node_ip(254, ip, sizeof ip);
  assert_string_equal(ip, "10.1.1.1");
  nsim_node_ip(300, ip, sizeof ip);
  assert_string_equal(ip, "10.1.1.47");
  assert_int_equal(nsim_node_stopped(api, stopped), 1);
  assert_int_equal(nsim_node_stopped(api, other), 0);
  assert_int_equal(nsim_node_stopped(api, plain), 0);
  api->object_release(stopped);
  api->object_release(other);
  api->object_release(plain);
}

static void test_node_labels(void **state) {
  struct nodesim *st = sim3();
  struct cplane_strbuf b = {0};

  (void)state;
  assert_null(nsim_parse_labels(st, "zone=a,type=gpu"));
  nsim_node_labels(api, &b, st, "sim-3");
  assert_string_equal(b.p, "{\"zone\":\"a\",\"type\":\"gpu\","
                           "\"kubernetes.io/hostname\":\"sim-3\","
                           "\"kubernetes.io/os\":\"linux\","
                           "\"kubernetes.io/arch\":\"amd64\"}");
  free(b.p);
  nsim_free_state(st);
}

/* Every condition healthy at `now`; Ready keeps its transition time when
 * it was True already. */
static void test_node_status(void **state) {
  struct nodesim *st = sim3();
  char *json =
      nsim_node_status_json(api, st, 1798761600000LL, 2, "sim-2",
                            "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z");
  char *fresh = nsim_node_status_json(api, st, 1798761600000LL, 2, "sim-2",
                                      "2026-01-01T00:00:00Z", NULL);
  const cplane_object *o, *f;
  char doc[4096];

  (void)state;
  assert_non_null(json);
  assert_non_null(fresh);
  snprintf(doc, sizeof doc, "{\"status\":%s}", json);
  o = plugin_obj(api, doc);
  snprintf(doc, sizeof doc, "{\"status\":%s}", fresh);
  f = plugin_obj(api, doc);
  assert_string_equal(api->object_string(o, "status.capacity.cpu"), "4");
  assert_string_equal(api->object_string(o, "status.allocatable.memory"),
                      "16Gi");
  assert_string_equal(api->object_string(o, "status.addresses[0].address"),
                      "10.1.0.3");
  assert_string_equal(api->object_string(o, "status.addresses[1].address"),
                      "sim-2");
  assert_string_equal(nsim_condition_field(api, o, "Ready", "status"), "True");
  assert_string_equal(
      nsim_condition_field(api, o, "Ready", "lastHeartbeatTime"),
      "2027-01-01T00:00:00Z");
  assert_string_equal(
      nsim_condition_field(api, o, "Ready", "lastTransitionTime"),
      "2026-06-01T00:00:00Z");
  assert_string_equal(
      nsim_condition_field(api, f, "Ready", "lastTransitionTime"),
      "2027-01-01T00:00:00Z");
  assert_string_equal(
      nsim_condition_field(api, o, "MemoryPressure", "lastTransitionTime"),
      "2026-01-01T00:00:00Z");
  assert_string_equal(nsim_condition_field(api, o, "DiskPressure", "status"),
                      "False");
  assert_null(nsim_condition_field(api, o, "NetworkUnavailable", "status"));
  api->object_release(o);
  api->object_release(f);
  api->free(json);
  api->free(fresh);
  nsim_free_state(st);
}

/* Running and Ready, each container running and each init container
 * completed, PodScheduled keeping its time. */
static void test_pod_status(void **state) {
  const cplane_object *pod = plugin_obj(
      api, "{'metadata':{'name':'p','namespace':'default','uid':'u1'},"
           "'spec':{'initContainers':[{'name':'setup','image':'busybox'}],"
           "'containers':[{'name':'a','image':'nginx'},{'name':'b'}]}}");
  const cplane_object *plain = plugin_obj(
      api, "{'metadata':{'name':'q','uid':'u2'},'spec':{'containers':["
           "{'name':'a','image':'nginx'}]}}");
  char *st =
      nsim_pod_running_status(api, pod, "2027-01-01T00:00:00Z", "10.1.0.1",
                              "10.128.0.5", "2026-12-31T23:59:59Z");
  char *st2 = nsim_pod_running_status(api, plain, "2027-01-01T00:00:00Z",
                                      "10.1.0.1", "10.128.0.6", NULL);
  const cplane_object *o, *o2;
  char doc[8192];

  (void)state;
  assert_non_null(st);
  assert_non_null(st2);
  snprintf(doc, sizeof doc, "{\"status\":%s}", st);
  o = plugin_obj(api, doc);
  snprintf(doc, sizeof doc, "{\"status\":%s}", st2);
  o2 = plugin_obj(api, doc);
  assert_string_equal(api->object_string(o, "status.phase"), "Running");
  assert_string_equal(api->object_string(o, "status.podIP"), "10.128.0.5");
  assert_string_equal(api->object_string(o, "status.hostIPs[0].ip"),
                      "10.1.0.1");
  assert_string_equal(nsim_condition_field(api, o, "Ready", "status"), "True");
  assert_string_equal(
      nsim_condition_field(api, o, "PodScheduled", "lastTransitionTime"),
      "2026-12-31T23:59:59Z");
  assert_string_equal(
      nsim_condition_field(api, o2, "PodScheduled", "lastTransitionTime"),
      "2027-01-01T00:00:00Z");
  assert_int_equal(api->object_len(o, "status.containerStatuses"), 2);
  assert_string_equal(
      api->object_string(o, "status.containerStatuses[0].containerID"),
      "sim://u1-0");
  assert_string_equal(
      api->object_string(o, "status.containerStatuses[1].state.running."
                            "startedAt"),
      "2027-01-01T00:00:00Z");
  assert_string_equal(
      api->object_string(o, "status.containerStatuses[1].image"), "");
  assert_string_equal(
      api->object_string(o, "status.initContainerStatuses[0].state."
                            "terminated.reason"),
      "Completed");
  assert_string_equal(
      api->object_string(o, "status.initContainerStatuses[0].containerID"),
      "sim://u1-i0");
  assert_int_equal(api->object_type(o2, "status.initContainerStatuses"),
                   CPLANE_ENOENT);
  api->object_release(o);
  api->object_release(o2);
  free(st);
  free(st2);
  api->object_release(pod);
  api->object_release(plain);
}


/* usage.h: annotations over a fraction of requests, per container; the
 * PodMetrics (labels, owner, containers) and NodeMetrics bodies. */
static void test_usage(void **state) {
  struct nsim_usage u = {.enabled = 1, .fraction_permille = 500,
                         .interval_ms = 15000};
  const cplane_object *pod = plugin_obj(
      api, "{'metadata':{'name':'p','namespace':'d','uid':'u1',"
           "'labels':{'app':'web'},'annotations':{"
           "'cplane.io/nodesim-memory':'100Mi'}},'spec':{'containers':["
           "{'name':'a','resources':{'requests':{'cpu':'200m',"
           "'memory':'64Mi'}}},{'name':'b'}]}}");
  const cplane_object *bad = plugin_obj(
      api, "{'metadata':{'name':'q','uid':'u2','annotations':{"
           "'cplane.io/nodesim-cpu':'lots'}},'spec':{'containers':["
           "{'name':'a','resources':{'requests':{'cpu':'1'}}}]}}");
  const cplane_object *o;
  int64_t cpu, mem;
  char *body;

  (void)state;
  nsim_usage_container(api, &u, pod, 0, &cpu, &mem);
  assert_int_equal(cpu, 100);               /* half of 200m */
  assert_int_equal(mem, 100LL << 20);       /* the annotation */
  nsim_usage_container(api, &u, pod, 1, &cpu, &mem);
  assert_int_equal(cpu, 0);                 /* no request */
  nsim_usage_container(api, &u, bad, 0, &cpu, &mem);
  assert_int_equal(cpu, 500); /* a bad annotation: the requests */
  body = nsim_usage_pod_json(api, &u, pod, 1798761600000LL);
  assert_non_null(body);
  assert_int_equal(api->object_parse(body, strlen(body), &o, NULL), CPLANE_OK);
  assert_string_equal(api->object_string(o, "kind"), "PodMetrics");
  assert_string_equal(api->object_string(o, "metadata.labels.app"), "web");
  assert_string_equal(
      api->object_string(o, "metadata.ownerReferences[0].uid"), "u1");
  assert_string_equal(api->object_string(o, "window"), "15s");
  assert_string_equal(api->object_string(o, "timestamp"),
                      "2027-01-01T00:00:00Z");
  assert_string_equal(api->object_string(o, "containers[0].usage.cpu"),
                      "100m");
  assert_string_equal(api->object_string(o, "containers[0].usage.memory"),
                      "100Mi");
  assert_string_equal(api->object_string(o, "containers[1].name"), "b");
  api->object_release(o);
  api->free(body);
  body = nsim_usage_node_json(api, &u, "sim-0", 1550, 3LL << 30,
                              1798761600000LL);
  assert_non_null(body);
  assert_int_equal(api->object_parse(body, strlen(body), &o, NULL), CPLANE_OK);
  assert_string_equal(api->object_string(o, "usage.cpu"), "1550m");
  assert_string_equal(api->object_string(o, "usage.memory"), "3Gi");
  api->object_release(o);
  api->free(body);
  api->object_release(pod);
  api->object_release(bad);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_quantity),
      cmocka_unit_test(test_valid_prefix),
      cmocka_unit_test(test_labels),
      cmocka_unit_test(test_taints),
      cmocka_unit_test(test_node_index),
      cmocka_unit_test(test_node_ip_and_stopped),
      cmocka_unit_test(test_node_labels),
      cmocka_unit_test(test_node_status),
      cmocka_unit_test(test_pod_status),
      cmocka_unit_test(test_usage),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
