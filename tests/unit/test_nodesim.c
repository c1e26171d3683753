/*
 * test_nodesim - the nodesim plugin's modules. Node: which names are
 * ours, the stopped annotation, IPs, labels (the INI's win over the
 * defaults) and the status a node reports. A pod's life (lifecycle.h):
 * run time and exit code from the annotations or the INI, the restart
 * back-off, Never/OnFailure pods exiting (Succeeded, Failed, restarted,
 * CrashLoopBackOff), the readiness delay, what is next and when; and its
 * status at each stage (podstatus.h). Configuration: quantities
 * and the node name prefix checked, the labels and taints settings parsed
 * (blanks trimmed, empty items skipped, each bad item refused with its
 * key's message), and the taints' JSON as the Node will carry it. The
 * host's own table (cp_host_api()) builds the JSON, as the plugin sees it.
 * The whole plugin runs in test_kit_nodesim.c and
 * tests/integration/plugin_nodes.sh and plugin_nodesim.sh.
 * Usage: the model a node declares in its annotations (the metrics are
 * the API server's: test_metrics_usage.c, plugin_hpa.sh).
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
#include "lifecycle.h"
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

/* The string at path of o is want (NULL: absent). */
static void assert_at(const cplane_object *o, const char *path,
                      const char *want) {
  const char *got = api->object_string(o, path);

  if (want == NULL)
    assert_null(got);
  else
    assert_string_equal(got != NULL ? got : "(absent)", want);
}

/* Condition `type`'s status and reason (NULL: none) in o. */
static void assert_condition(const cplane_object *o, const char *type,
                             const char *status, const char *reason) {
  const char *r = nsim_condition_field(api, o, type, "reason");

  assert_string_equal(nsim_condition_field(api, o, type, "status"), status);
  if (reason == NULL)
    assert_null(r);
  else
    assert_string_equal(r != NULL ? r : "(none)", reason);
}

/* A status (owned, free()d here) as the status of a pod object. */
static const cplane_object *status_obj(char *status) {
  const cplane_object *o = NULL;
  char *doc;

  assert_non_null(status);
  assert_true(asprintf(&doc, "{\"status\":%s}", status) > 0);
  assert_int_equal(api->object_parse(doc, strlen(doc), &o, NULL), CPLANE_OK);
  free(doc);
  free(status);
  return o;
}

/* Every condition healthy at `now`; Ready keeps its transition time when
 * it was True already. */
static void test_node_status(void **state) {
  struct nodesim *st = sim3();
  const cplane_object *o = status_obj(
      nsim_node_status_json(api, st, 1798761600000LL, 2, "sim-2",
                            "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"));
  const cplane_object *f = status_obj(
      nsim_node_status_json(api, st, 1798761600000LL, 2, "sim-2",
                            "2026-01-01T00:00:00Z", NULL));

  (void)state;
  assert_at(o, "status.capacity.cpu", "4");
  assert_at(o, "status.allocatable.memory", "16Gi");
  assert_at(o, "status.addresses[0].address", "10.1.0.3");
  assert_at(o, "status.addresses[1].address", "sim-2");
  assert_condition(o, "Ready", "True", "KubeletReady");
  assert_condition(o, "DiskPressure", "False", "KubeletHasNoDiskPressure");
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
  assert_null(nsim_condition_field(api, o, "NetworkUnavailable", "status"));
  api->object_release(o);
  api->object_release(f);
  nsim_free_state(st);
}

static struct tm_buf {
  char s[40];
} at(int64_t ms) {
  struct tm_buf t;

  cplane_time_format(ms, t.s, sizeof t.s);
  return t;
}

/* The status nodesim writes for pod at this stage. */
static const cplane_object *pod_status(const cplane_object *pod,
                                       const char *phase, const char *pod_ip,
                                       const struct nsim_containers *c) {
  struct nsim_pod_view v = {phase, "10.1.0.1", pod_ip, c->started_ms, c};

  return status_obj(nsim_pod_status_json(api, NULL, pod, &v));
}

static struct nsim_containers running_since(int64_t ms) {
  struct nsim_containers c;

  memset(&c, 0, sizeof c);
  nsim_containers_start(&c, ms);
  return c;
}

/* Running and Ready, each container running and each init container
 * completed, PodScheduled keeping its time. */
static void test_pod_status(void **state) {
  const cplane_object *pod = plugin_obj(
      api, "{'metadata':{'name':'p','namespace':'default','uid':'u1'},"
           "'spec':{'initContainers':[{'name':'setup','image':'busybox'}],"
           "'containers':[{'name':'a','image':'nginx'},{'name':'b'}]},"
           "'status':{'conditions':[{'type':'PodScheduled','status':'True',"
           "'lastTransitionTime':'2026-12-31T23:59:59Z'}]}}");
  const cplane_object *plain = plugin_obj(
      api, "{'metadata':{'name':'q','uid':'u2'},'spec':{'containers':["
           "{'name':'a','image':'nginx'}]}}");
  int64_t now = api->now_ms(NULL);
  struct nsim_containers c = running_since(now);
  const cplane_object *o = pod_status(pod, "Running", "10.128.0.5", &c);
  const cplane_object *o2 = pod_status(plain, "Running", "10.128.0.6", &c);

  (void)state;
  assert_at(o, "status.phase", "Running");
  assert_at(o, "status.podIP", "10.128.0.5");
  assert_at(o, "status.hostIPs[0].ip", "10.1.0.1");
  assert_condition(o, "Ready", "True", NULL);
  assert_condition(o, "PodReadyToStartContainers", "True", NULL);
  assert_string_equal(
      nsim_condition_field(api, o, "PodScheduled", "lastTransitionTime"),
      "2026-12-31T23:59:59Z");
  assert_condition(o2, "PodScheduled", "True", NULL);
  assert_int_equal(api->object_len(o, "status.containerStatuses"), 2);
  assert_at(o, "status.containerStatuses[0].containerID", "sim://u1-0");
  assert_at(o, "status.containerStatuses[1].state.running.startedAt",
            at(now).s);
  assert_at(o, "status.containerStatuses[1].image", "");
  assert_at(o, "status.initContainerStatuses[0].state.terminated.reason",
            "Completed");
  assert_at(o, "status.initContainerStatuses[0].containerID", "sim://u1-i0");
  assert_int_equal(api->object_type(o2, "status.initContainerStatuses"),
                   CPLANE_ENOENT);
  api->object_release(o);
  api->object_release(o2);
  api->object_release(pod);
  api->object_release(plain);
}

static const char *const JOB_POD =
    "{'metadata':{'name':'j','namespace':'default','uid':'u3',"
    "'annotations':{'cplane.io/nodesim-run-seconds':'%s',"
    "'cplane.io/nodesim-exit-code':'%s'}},'spec':{'nodeName':'sim-0',"
    "'restartPolicy':'%s','containers':[{'name':'main','image':'busybox',"
    "'readinessProbe':{'initialDelaySeconds':%d}},{'name':'side',"
    "'image':'busybox'}]}}";

static const cplane_object *job_pod(const char *run, const char *code,
                                    const char *policy, int delay) {
  char json[1024];

  snprintf(json, sizeof json, JOB_POD, run, code, policy, delay);
  return plugin_obj(api, json);
}

/* The annotations win over the INI; a bad one falls back to it. */
static void test_run_time_and_exit_code(void **state) {
  struct nodesim *st = sim3();
  const cplane_object *a = job_pod("2.5", "3", "Never", 0);
  const cplane_object *bad = job_pod("soon", "300", "Never", 0);

  (void)state;
  st->run_ms = 1000;
  st->exit_code = 7;
  assert_int_equal(nsim_pod_run_ms(api, st, a), 2500);
  assert_int_equal(nsim_pod_exit_code(api, st, a), 3);
  assert_int_equal(nsim_pod_run_ms(api, st, bad), 1000);
  assert_int_equal(nsim_pod_exit_code(api, st, bad), 7);
  api->object_release(a);
  api->object_release(bad);
  nsim_free_state(st);
}

/* 0 for the first restart, then 10 s doubling, capped at 5 minutes; a
 * blocked pod looks again after half its wait, within bounds. */
static void test_backoffs(void **state) {
  (void)state;
  assert_int_equal(nsim_restart_backoff_ms(0), 0);
  assert_int_equal(nsim_restart_backoff_ms(1), 10000);
  assert_int_equal(nsim_restart_backoff_ms(2), 20000);
  assert_int_equal(nsim_restart_backoff_ms(5), 160000);
  assert_int_equal(nsim_restart_backoff_ms(6), 300000);
  assert_int_equal(nsim_restart_backoff_ms(1000), 300000);
  assert_int_equal(nsim_blocked_retry_ms(0), 500);
  assert_int_equal(nsim_blocked_retry_ms(4000), 2000);
  assert_int_equal(nsim_blocked_retry_ms(3600000), 8000);
}

/* Exit 0: Succeeded, terminated Completed, Ready False PodCompleted. */
static void test_exit_zero_succeeds(void **state) {
  struct nodesim *st = sim3();
  const cplane_object *pod = job_pod("1", "0", "OnFailure", 0);
  int64_t t0 = api->now_ms(NULL) / 1000 * 1000;
  struct nsim_containers c = running_since(t0);
  const char *phase = "Running";
  const cplane_object *o;

  (void)state;
  /* 1 before the exit too: this pod's status does not say ready yet. */
  nsim_pod_advance(api, st, pod, &c, t0 + 999, &phase);
  assert_int_equal(c.kind, NSIM_C_RUNNING);
  assert_string_equal(phase, "Running");
  assert_int_equal(nsim_pod_advance(api, st, pod, &c, t0 + 1000, &phase), 1);
  assert_string_equal(phase, "Succeeded");
  o = pod_status(pod, phase, "10.128.0.7", &c);
  assert_at(o, "status.phase", "Succeeded");
  assert_at(o, "status.containerStatuses[0].state.terminated.reason",
            "Completed");
  assert_at(o, "status.containerStatuses[1].state.terminated.finishedAt",
            at(t0 + 1000).s);
  assert_at(o, "status.containerStatuses[0].state.terminated.startedAt",
            at(t0).s);
  assert_condition(o, "Ready", "False", "PodCompleted");
  assert_condition(o, "ContainersReady", "False", "PodCompleted");
  assert_condition(o, "PodReadyToStartContainers", "False", NULL);
  assert_condition(o, "Initialized", "True", NULL);
  api->object_release(o);
  api->object_release(pod);
  nsim_free_state(st);
}

/* Non-zero with Never: Failed, terminated Error with the code. */
static void test_exit_code_never_fails(void **state) {
  struct nodesim *st = sim3();
  const cplane_object *pod = job_pod("1", "3", "Never", 0);
  int64_t t0 = api->now_ms(NULL);
  struct nsim_containers c = running_since(t0);
  const char *phase = "Running";
  const cplane_object *o;
  int64_t code = 0;

  (void)state;
  assert_int_equal(nsim_pod_advance(api, st, pod, &c, t0 + 5000, &phase), 1);
  assert_string_equal(phase, "Failed");
  o = pod_status(pod, phase, "10.128.0.7", &c);
  assert_at(o, "status.containerStatuses[0].state.terminated.reason",
            "Error");
  assert_int_equal(api->object_int(o, "status.containerStatuses[0].state."
                                      "terminated.exitCode",
                                   &code),
                   CPLANE_OK);
  assert_int_equal(code, 3);
  assert_condition(o, "Ready", "False", "ContainersNotReady");
  assert_string_equal(nsim_condition_field(api, o, "Ready", "message"),
                      "containers with unready status: [main side]");
  api->object_release(o);
  api->object_release(pod);
  nsim_free_state(st);
}

/* OnFailure: the first failure restarts at once, the second waits 10 s
 * in CrashLoopBackOff; the pod stays Running and restartCount counts. */
static void test_on_failure_restarts(void **state) {
  struct nodesim *st = sim3();
  const cplane_object *pod = job_pod("1", "2", "OnFailure", 0);
  int64_t t0 = api->now_ms(NULL) / 1000 * 1000;
  struct nsim_containers c = running_since(t0);
  const char *phase = "Running";
  const cplane_object *o;

  (void)state;
  assert_int_equal(nsim_pod_advance(api, st, pod, &c, t0 + 1000, &phase), 1);
  assert_string_equal(phase, "Running");
  assert_int_equal(c.kind, NSIM_C_RUNNING);
  assert_int_equal(c.restarts, 1);
  assert_int_equal(c.started_ms, t0 + 1000);
  assert_int_equal(c.last_exit, 2);
  assert_int_equal(nsim_pod_advance(api, st, pod, &c, t0 + 2000, &phase), 1);
  assert_int_equal(c.kind, NSIM_C_WAITING);
  assert_string_equal(c.reason, "CrashLoopBackOff");
  o = pod_status(pod, phase, "10.128.0.7", &c);
  assert_at(o, "status.phase", "Running");
  assert_at(o, "status.containerStatuses[0].state.waiting.reason",
            "CrashLoopBackOff");
  assert_at(o, "status.containerStatuses[0].state.waiting.message",
            "back-off 10s restarting failed container=main pod=j_default(u3)");
  assert_at(o, "status.containerStatuses[0].lastState.terminated.reason",
            "Error");
  assert_condition(o, "Ready", "False", "ContainersNotReady");
  api->object_release(o);
  assert_int_equal(nsim_pod_advance(api, st, pod, &c, t0 + 11999, &phase), 0);
  assert_int_equal(nsim_pod_advance(api, st, pod, &c, t0 + 12000, &phase), 1);
  assert_int_equal(c.kind, NSIM_C_RUNNING);
  assert_int_equal(c.restarts, 2);
  api->object_release(pod);
  nsim_free_state(st);
}

/* Always never finishes; a readiness delay holds Ready (per container)
 * until it has passed. */
static void test_readiness_delay(void **state) {
  struct nodesim *st = sim3();
  const cplane_object *pod = job_pod("1", "0", "Always", 5);
  int64_t t0 = api->now_ms(NULL);
  struct nsim_containers c = running_since(t0);
  const char *phase = "Running";
  const cplane_object *o = pod_status(pod, phase, "10.128.0.7", &c);

  (void)state;
  /* Due for a write (its status says unready), never for an exit. */
  assert_int_equal(nsim_pod_advance(api, st, pod, &c, t0 + 3600000, &phase),
                   1);
  assert_int_equal(c.kind, NSIM_C_RUNNING);
  assert_string_equal(phase, "Running");
  assert_condition(o, "Ready", "False", "ContainersNotReady");
  assert_string_equal(nsim_condition_field(api, o, "Ready", "message"),
                      "containers with unready status: [main]");
  assert_at(o, "status.containerStatuses[1].ready", NULL);
  assert_int_equal(nsim_container_ready_ms(api, pod, 0, t0), t0 + 5000);
  assert_int_equal(nsim_container_ready_ms(api, pod, 1, t0), t0);
  api->object_release(o);
  c = running_since(t0 - 6000);
  o = pod_status(pod, phase, "10.128.0.7", &c);
  assert_condition(o, "Ready", "True", NULL);
  assert_condition(o, "ContainersReady", "True", NULL);
  api->object_release(o);
  api->object_release(pod);
  nsim_free_state(st);
}

/* A blocked pod: Pending, containers waiting in ContainerCreating with no
 * ids, no pod IP, not ready to start containers. */
static void test_blocked_status(void **state) {
  const cplane_object *pod = job_pod("1", "0", "Always", 0);
  struct nsim_containers c;
  const cplane_object *o;

  (void)state;
  memset(&c, 0, sizeof c);
  c.kind = NSIM_C_WAITING;
  c.reason = "ContainerCreating";
  o = pod_status(pod, "Pending", NULL, &c);
  assert_at(o, "status.phase", "Pending");
  assert_at(o, "status.podIP", NULL);
  assert_at(o, "status.containerStatuses[0].state.waiting.reason",
            "ContainerCreating");
  assert_at(o, "status.containerStatuses[0].containerID", NULL);
  assert_condition(o, "PodReadyToStartContainers", "False", NULL);
  assert_condition(o, "ContainersReady", "False", "ContainersNotReady");
  api->object_release(o);
  api->object_release(pod);
}

/* What is next: Always and ready costs nothing; a job pod is due at its
 * exit; a fresh bound pod after pod_start_delay; other nodes' pods never. */
static void test_next_step(void **state) {
  struct nodesim *st = sim3();
  const cplane_object *ready = plugin_obj(
      api, "{'metadata':{'name':'r'},'spec':{'nodeName':'sim-1',"
           "'containers':[{'name':'a'}]},'status':{'phase':'Running',"
           "'containerStatuses':[{'name':'a','ready':true,'state':{"
           "'running':{'startedAt':'2027-01-01T00:00:00Z'}}}]}}");
  const cplane_object *job = plugin_obj(
      api, "{'metadata':{'name':'j'},'spec':{'nodeName':'sim-1',"
           "'restartPolicy':'Never','containers':[{'name':'a'}]},'status':{"
           "'phase':'Running','containerStatuses':[{'name':'a','ready':true,"
           "'state':{'running':{'startedAt':'2027-01-01T00:00:00Z'}}}]}}");
  const cplane_object *fresh = plugin_obj(
      api, "{'metadata':{'name':'f'},'spec':{'nodeName':'sim-1'}}");
  const cplane_object *other = plugin_obj(
      api, "{'metadata':{'name':'o'},'spec':{'nodeName':'node-1'}}");
  int64_t due = 0, t = 1798761600000LL; /* 2027-01-01T00:00:00Z */

  (void)state;
  st->run_ms = 4000;
  st->pod_start_delay_ms = 200;
  assert_int_equal(nsim_pod_next(api, st, ready, t, &due), NSIM_STEP_NONE);
  assert_int_equal(nsim_pod_next(api, st, job, t, &due), NSIM_STEP_ADVANCE);
  assert_int_equal(due, t + 4000);
  assert_int_equal(nsim_pod_next(api, st, fresh, t, &due), NSIM_STEP_START);
  assert_int_equal(due, t + 200);
  assert_int_equal(nsim_pod_next(api, st, other, t, &due), NSIM_STEP_NONE);
  api->object_release(ready);
  api->object_release(job);
  api->object_release(fresh);
  api->object_release(other);
  nsim_free_state(st);
}

/* usage.h: the annotations a node registers with (the model, unless
 * usage is off) and whether a node declares the configured model. */
static void test_usage(void **state) {
  struct nsim_usage u = {.enabled = 1, .fraction = "0.5",
                         .interval = "15s"};
  struct nodesim st = {.usage = &u};
  const cplane_object *bare = plugin_obj(
      api, "{'metadata':{'name':'sim-0','annotations':{"
           "'cplane.io/nodesim':'true'}}}");
  const cplane_object *declared = plugin_obj(
      api, "{'metadata':{'name':'sim-0','annotations':{"
           "'cplane.io/nodesim-usage-interval':'15s',"
           "'cplane.io/nodesim-usage-fraction':'0.5'}}}");
  const cplane_object *other = plugin_obj(
      api, "{'metadata':{'name':'sim-0','annotations':{"
           "'cplane.io/nodesim-usage-interval':'1s',"
           "'cplane.io/nodesim-usage-fraction':'0.5'}}}");
  const cplane_object *o;
  char *text;

  (void)state;
  text = nsim_usage_node_annotations(api, &st);
  assert_non_null(text);
  assert_int_equal(api->object_parse(text, strlen(text), &o, NULL), CPLANE_OK);
  assert_string_equal(api->object_string(o, "cplane\\.io/nodesim"), "true");
  api->object_release(o);
  assert_non_null(strstr(text, "\"cplane.io/nodesim-usage-interval\":\"15s\""));
  assert_non_null(strstr(text, "\"cplane.io/nodesim-usage-fraction\":\"0.5\""));
  api->free(text);
  assert_false(nsim_usage_declared(api, &st, bare));
  assert_true(nsim_usage_declared(api, &st, declared));
  assert_false(nsim_usage_declared(api, &st, other));
  /* usage = false: nothing declared, and a node that declares is wrong. */
  u.enabled = 0;
  text = nsim_usage_node_annotations(api, &st);
  assert_non_null(text);
  assert_null(strstr(text, "usage"));
  api->free(text);
  assert_true(nsim_usage_declared(api, &st, bare));
  assert_false(nsim_usage_declared(api, &st, declared));
  api->object_release(bare);
  api->object_release(declared);
  api->object_release(other);
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
      cmocka_unit_test(test_run_time_and_exit_code),
      cmocka_unit_test(test_backoffs),
      cmocka_unit_test(test_exit_zero_succeeds),
      cmocka_unit_test(test_exit_code_never_fails),
      cmocka_unit_test(test_on_failure_restarts),
      cmocka_unit_test(test_readiness_delay),
      cmocka_unit_test(test_blocked_status),
      cmocka_unit_test(test_next_step),
      cmocka_unit_test(test_usage),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
