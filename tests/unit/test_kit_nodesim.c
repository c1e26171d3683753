/*
 * test_kit_nodesim - the nodesim plugin (plugins/nodesim, linked in
 * unchanged) on the test kit's fake host and clock, playing the kubelet
 * for pods bound to its node sim-0 (added here: the heartbeat threads,
 * which start with the node registration, stay off): a bound pod becomes
 * Running and Ready; one marked for deletion goes after its grace; a
 * restartPolicy Never pod Succeeds or Fails after its run time; an
 * OnFailure one restarts; a readiness delay holds Ready; a pod mounting a
 * missing Secret waits in ContainerCreating with FailedMount events until
 * the Secret exists; a missing env Secret is CreateContainerConfigError;
 * a PVC must exist and be Bound; the node declares its usage model once
 * and no pod costs a metrics write; bad settings refuse to start.
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

static cplane_test_host *start(void) {
  cplane_test_host *h = cplane_test_host_new();

  assert_non_null(h);
  assert_int_equal(cplane_test_config_set(h, "count", "1"), 0);
  assert_int_equal(cplane_test_config_set(h, "pod_start_delay", "100ms"), 0);
  assert_int_equal(cplane_test_config_set(h, "run_seconds", "2s"), 0);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_int_equal(
      cplane_test_add(h, "nodes",
                      "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":"
                      "{\"name\":\"sim-0\"},\"status\":{\"conditions\":[{"
                      "\"type\":\"Ready\",\"status\":\"True\"}]}}"),
      0);
  return h;
}

/* Adds pod `name` bound to sim-0; `extra` goes into its spec (after
 * containers) and `annotations` into its metadata (JSON members, or ""). */
static void add_pod(cplane_test_host *h, const char *name,
                    const char *annotations, const char *extra) {
  char json[2048];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
           "\"%s\",\"namespace\":\"default\",\"annotations\":{%s}},"
           "\"spec\":{\"nodeName\":\"sim-0\",\"containers\":[{\"name\":"
           "\"main\",\"image\":\"busybox\"}]%s%s},\"status\":{\"phase\":"
           "\"Pending\"}}",
           name, annotations, extra[0] ? "," : "", extra);
  assert_int_equal(cplane_test_add(h, "pods", json), 0);
}

/* Advances the clock by ms and runs what fell due. */
static void run_for(cplane_test_host *h, int64_t ms) {
  cplane_test_clock_advance_ms(h, ms);
  cplane_test_drain(h);
}

static void assert_pod(cplane_test_host *h, const char *name,
                       const char *path, const char *want) {
  char key[128], buf[512];

  snprintf(key, sizeof key, "default/%s", name);
  assert_string_equal(cplane_test_get_string(h, "pods", key, path, buf,
                                             sizeof buf),
                      want);
}

static int64_t restart_count(cplane_test_host *h, const char *name) {
  const cplane_object *pod = NULL;
  char key[128];
  int64_t n = -1;

  snprintf(key, sizeof key, "default/%s", name);
  assert_int_equal(cplane_test_get(h, "pods", key, &pod), 0);
  cplane_test_api(h)->object_int(
      pod, "status.containerStatuses[0].restartCount", &n);
  cplane_test_api(h)->object_release(pod);
  return n;
}

static void test_bound_pod_runs_and_deleted_pod_goes(void **state) {
  cplane_test_host *h = start();
  const cplane_object *pod = NULL;
  char now[40], json[1024];

  (void)state;
  add_pod(h, "web", "", "");
  cplane_test_drain(h);
  assert_pod(h, "web", "status.phase", "Pending"); /* pod_start_delay */
  run_for(h, 100);
  assert_pod(h, "web", "status.phase", "Running");
  assert_pod(h, "web", "status.podIP", "10.128.0.1");
  assert_pod(h, "web", "status.conditions[2].type", "Ready");
  assert_pod(h, "web", "status.conditions[2].status", "True");
  /* Always: running for ever, nothing more queued. */
  run_for(h, 3600000);
  assert_pod(h, "web", "status.phase", "Running");
  assert_int_equal(cplane_test_queued(h, "pod/default/web"), 0);

  /* Marked for deletion with 5 s of grace: removed (grace 0, uid
   * precondition) after them. The kit keeps an object already being
   * deleted whatever the options, so the write is what is checked. */
  assert_int_equal(cplane_test_get(h, "pods", "default/web", &pod), 0);
  cplane_test_rfc3339(cplane_test_now_ms(h) + 5000, now, sizeof now);
  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
           "\"web\",\"namespace\":\"default\",\"uid\":\"%s\","
           "\"deletionTimestamp\":\"%s\",\"deletionGracePeriodSeconds\":5},"
           "\"spec\":{\"nodeName\":\"sim-0\",\"containers\":[{\"name\":"
           "\"main\"}]},\"status\":{\"phase\":\"Running\"}}",
           cplane_test_api(h)->object_uid(pod), now);
  cplane_test_api(h)->object_release(pod);
  assert_int_equal(cplane_test_update(h, "pods", json), 0);
  run_for(h, 4000);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 0);
  run_for(h, 1100);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 1);
  assert_non_null(
      strstr(cplane_test_write_at(h, cplane_test_writes_len(h) - 1)->body,
             "\"gracePeriodSeconds\":0,\"preconditions\":{\"uid\""));
  cplane_test_host_free(h);
}

static void test_never_pods_succeed_or_fail(void **state) {
  cplane_test_host *h = start();

  (void)state;
  add_pod(h, "ok", "", "\"restartPolicy\":\"Never\"");
  add_pod(h, "bad", "\"cplane.io/nodesim-exit-code\":\"3\","
                    "\"cplane.io/nodesim-run-seconds\":\"5\"",
          "\"restartPolicy\":\"Never\"");
  run_for(h, 100);
  assert_pod(h, "ok", "status.phase", "Running");
  run_for(h, 2000); /* the INI's run_seconds */
  assert_pod(h, "ok", "status.phase", "Succeeded");
  assert_pod(h, "ok", "status.containerStatuses[0].state.terminated.reason",
             "Completed");
  assert_pod(h, "ok", "status.conditions[2].reason", "PodCompleted");
  assert_pod(h, "bad", "status.phase", "Running");
  run_for(h, 3000);
  assert_pod(h, "bad", "status.phase", "Failed");
  assert_pod(h, "bad", "status.containerStatuses[0].state.terminated.reason",
             "Error");
  assert_int_equal(cplane_test_queue_len(h), 0);
  cplane_test_host_free(h);
}

static void test_on_failure_restarts_with_backoff(void **state) {
  cplane_test_host *h = start();

  (void)state;
  add_pod(h, "crash", "\"cplane.io/nodesim-exit-code\":\"1\"",
          "\"restartPolicy\":\"OnFailure\"");
  run_for(h, 100);
  run_for(h, 2000); /* exits, restarts at once */
  assert_pod(h, "crash", "status.phase", "Running");
  assert_int_equal(restart_count(h, "crash"), 1);
  run_for(h, 2000); /* exits again: 10 s of back-off */
  assert_pod(h, "crash", "status.containerStatuses[0].state.waiting.reason",
             "CrashLoopBackOff");
  run_for(h, 10000);
  assert_pod(h, "crash", "status.containerStatuses[0].state.running.startedAt",
             cplane_test_rfc3339(cplane_test_now_ms(h) / 1000 * 1000,
                                 (char[40]){0}, 40));
  assert_pod(h, "crash", "status.phase", "Running");
  assert_int_equal(restart_count(h, "crash"), 2);
  cplane_test_host_free(h);
}

static void test_readiness_delay(void **state) {
  cplane_test_host *h = start();

  (void)state;
  add_pod(h, "slow", "", "");
  /* initialDelaySeconds on the only container, through its spec. */
  assert_int_equal(
      cplane_test_update(
          h, "pods",
          "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
          "\"slow\",\"namespace\":\"default\"},\"spec\":{\"nodeName\":"
          "\"sim-0\",\"containers\":[{\"name\":\"main\",\"readinessProbe\":"
          "{\"initialDelaySeconds\":3}}]},\"status\":{\"phase\":"
          "\"Pending\"}}"),
      0);
  run_for(h, 100);
  assert_pod(h, "slow", "status.phase", "Running");
  assert_pod(h, "slow", "status.conditions[2].status", "False");
  run_for(h, 3000);
  assert_pod(h, "slow", "status.conditions[2].status", "True");
  cplane_test_host_free(h);
}

static void test_missing_secret_blocks_until_it_exists(void **state) {
  cplane_test_host *h = start();
  const struct cplane_test_event *e;

  (void)state;
  add_pod(h, "vol", "",
          "\"volumes\":[{\"name\":\"creds\",\"secret\":{\"secretName\":"
          "\"db\"}}]");
  add_pod(h, "env", "",
          "\"initContainers\":[{\"name\":\"init\",\"envFrom\":[{"
          "\"configMapRef\":{\"name\":\"cfg\"}}]}]");
  run_for(h, 100);
  assert_pod(h, "vol", "status.phase", "Pending");
  assert_pod(h, "vol", "status.containerStatuses[0].state.waiting.reason",
             "ContainerCreating");
  assert_pod(h, "env", "status.containerStatuses[0].state.waiting.reason",
             "CreateContainerConfigError");
  assert_pod(h, "env", "status.containerStatuses[0].state.waiting.message",
             "configmap \"cfg\" not found");
  assert_int_equal(cplane_test_events_count(h, "FailedMount"), 1);
  e = cplane_test_event_at(h, 0);
  assert_string_equal(e->message, "MountVolume.SetUp failed for volume "
                                  "\"creds\" : secret \"db\" not found");
  assert_string_equal(e->type, "Warning");
  assert_int_equal(cplane_test_events_count(h, "Failed"), 1);
  /* Looked at again on a back-off, the event count rising. */
  run_for(h, 2000);
  assert_true(cplane_test_events_count(h, "FailedMount") >= 2);
  assert_pod(h, "vol", "status.phase", "Pending");
  assert_int_equal(
      cplane_test_add(h, "secrets",
                      "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\""
                      ":{\"name\":\"db\",\"namespace\":\"default\"}}"),
      0);
  run_for(h, 8000);
  assert_pod(h, "vol", "status.phase", "Running");
  assert_pod(h, "env", "status.phase", "Pending");
  cplane_test_host_free(h);
}

/* ServiceAccount admission's token volume projects kube-root-ca.crt: the
 * pod waits for it as on a kubelet (an optional source does not). */
static void test_projected_configmap_blocks_until_it_exists(void **state) {
  cplane_test_host *h = start();

  (void)state;
  add_pod(h, "sa", "",
          "\"volumes\":[{\"name\":\"kube-api-access-abcde\",\"projected\":"
          "{\"sources\":[{\"serviceAccountToken\":{\"path\":\"token\"}},"
          "{\"configMap\":{\"name\":\"kube-root-ca.crt\",\"items\":[{"
          "\"key\":\"ca.crt\",\"path\":\"ca.crt\"}]}},{\"secret\":{\"name\":"
          "\"maybe\",\"optional\":true}},{\"downwardAPI\":{\"items\":[]}}]}}]");
  run_for(h, 100);
  assert_pod(h, "sa", "status.phase", "Pending");
  assert_pod(h, "sa", "status.containerStatuses[0].state.waiting.reason",
             "ContainerCreating");
  assert_string_equal(cplane_test_event_at(h, 0)->message,
                      "MountVolume.SetUp failed for volume "
                      "\"kube-api-access-abcde\" : configmap "
                      "\"kube-root-ca.crt\" not found");
  assert_int_equal(
      cplane_test_add(h, "configmaps",
                      "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata"
                      "\":{\"name\":\"kube-root-ca.crt\",\"namespace\":"
                      "\"default\"}}"),
      0);
  run_for(h, 8000);
  assert_pod(h, "sa", "status.phase", "Running");
  cplane_test_host_free(h);
}

/* With kube-root-ca.crt in the cache, a pod projecting it starts with no
 * GET of it: every GET of a ConfigMap fails here, and the pod still runs
 * (before, each pod cost a GET: 30k GETs for bench_cluster's 30k pods). */
static void test_root_ca_from_the_cache(void **state) {
  cplane_test_host *h = start();

  (void)state;
  assert_int_equal(
      cplane_test_add(h, "configmaps",
                      "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata"
                      "\":{\"name\":\"kube-root-ca.crt\",\"namespace\":"
                      "\"default\"}}"),
      0);
  assert_int_equal(cplane_test_fail(h, "get", "configmaps", 1000, 500, NULL),
                   CPLANE_OK);
  add_pod(h, "sa", "",
          "\"volumes\":[{\"name\":\"kube-api-access-abcde\",\"projected\":"
          "{\"sources\":[{\"serviceAccountToken\":{\"path\":\"token\"}},"
          "{\"configMap\":{\"name\":\"kube-root-ca.crt\",\"items\":[{"
          "\"key\":\"ca.crt\",\"path\":\"ca.crt\"}]}}]}}]");
  run_for(h, 100);
  assert_pod(h, "sa", "status.phase", "Running");
  cplane_test_host_free(h);
}

static void put_pvc(cplane_test_host *h, const char *phase, int update) {
  char json[512];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\","
           "\"metadata\":{\"name\":\"data\",\"namespace\":\"default\"},"
           "\"status\":{\"phase\":\"%s\"}}",
           phase);
  assert_int_equal(update ? cplane_test_update(h, "persistentvolumeclaims",
                                               json)
                          : cplane_test_add(h, "persistentvolumeclaims", json),
                   0);
}

/* The last event's message. */
static const char *last_event(cplane_test_host *h) {
  size_t n = cplane_test_events_len(h);

  assert_true(n > 0);
  return cplane_test_event_at(h, n - 1)->message;
}

/* A PVC volume: missing, then not Bound, then Bound and running. */
static void test_pvc_must_exist_and_be_bound(void **state) {
  cplane_test_host *h = start();

  (void)state;
  add_pod(h, "db", "",
          "\"volumes\":[{\"name\":\"store\",\"persistentVolumeClaim\":{"
          "\"claimName\":\"data\"}},{\"name\":\"opt\",\"secret\":{"
          "\"secretName\":\"nope\",\"optional\":true}}]");
  run_for(h, 100);
  assert_pod(h, "db", "status.phase", "Pending");
  assert_string_equal(
      last_event(h),
      "Unable to attach or mount volumes: unmounted volumes=[store], "
      "unattached volumes=[], failed to process volumes=[store]: error "
      "processing PVC default/data: failed to fetch PVC from API server: "
      "persistentvolumeclaims \"data\" not found");
  put_pvc(h, "Pending", 0);
  run_for(h, 1000);
  assert_pod(h, "db", "status.phase", "Pending");
  assert_string_equal(
      last_event(h),
      "Unable to attach or mount volumes: unmounted volumes=[store], "
      "unattached volumes=[], failed to process volumes=[store]: error "
      "processing PVC default/data: PVC is not bound");
  put_pvc(h, "Bound", 1);
  run_for(h, 8000);
  assert_pod(h, "db", "status.phase", "Running");
  cplane_test_host_free(h);
}

/* The annotation `key` of node sim-0, or "" when absent. */
static const char *node_annotation(cplane_test_host *h, const char *key,
                                   char *buf, size_t len) {
  char path[160];

  snprintf(path, sizeof path, "metadata.annotations.%s", key);
  return cplane_test_get_string(h, "nodes", "sim-0", path, buf, len);
}

/* Usage costs no write per pod: the node declares its model once (one
 * patch of a node registered without it), and a pod that runs for
 * minutes writes no metrics.k8s.io object; the API server computes them
 * on read. */
static void test_usage_declared_once_no_pod_writes(void **state) {
  cplane_test_host *h = start();
  char buf[64];

  (void)state;
  cplane_test_drain(h);
  assert_string_equal(
      node_annotation(h, "cplane\\.io/nodesim-usage-interval", buf,
                      sizeof buf),
      "15s");
  assert_string_equal(
      node_annotation(h, "cplane\\.io/nodesim-usage-fraction", buf,
                      sizeof buf),
      "0.5");
  assert_int_equal(cplane_test_writes_count(h, "patch", "nodes"), 1);
  add_pod(h, "web", "\"cplane.io/nodesim-cpu\":\"150m\"", "");
  run_for(h, 200);
  assert_pod(h, "web", "status.phase", "Running");
  run_for(h, 60000);
  run_for(h, 60000);
  assert_int_equal(cplane_test_writes_count(h, NULL, "pods.metrics.k8s.io"),
                   0);
  assert_int_equal(cplane_test_writes_count(h, NULL, "nodes.metrics.k8s.io"),
                   0);
  assert_int_equal(cplane_test_writes_count(h, "patch", "nodes"), 1);
  cplane_test_host_free(h);
}

/* usage = false: a node that declared a model stops declaring it. */
static void test_usage_off_removes_the_model(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char buf[64];

  (void)state;
  assert_non_null(h);
  assert_int_equal(cplane_test_config_set(h, "count", "1"), 0);
  assert_int_equal(cplane_test_config_set(h, "usage", "false"), 0);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_int_equal(
      cplane_test_add(h, "nodes",
                      "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":"
                      "{\"name\":\"sim-0\",\"annotations\":{"
                      "\"cplane.io/nodesim-usage-interval\":\"15s\","
                      "\"cplane.io/nodesim-usage-fraction\":\"0.5\"}},"
                      "\"status\":{\"conditions\":[{\"type\":\"Ready\","
                      "\"status\":\"True\"}]}}"),
      0);
  cplane_test_drain(h);
  assert_string_equal(
      node_annotation(h, "cplane\\.io/nodesim-usage-interval", buf,
                      sizeof buf),
      "");
  assert_string_equal(
      node_annotation(h, "cplane\\.io/nodesim-usage-fraction", buf,
                      sizeof buf),
      "");
  assert_int_equal(cplane_test_writes_count(h, "patch", "nodes"), 1);
  cplane_test_host_free(h);
}

/* A bad run_seconds or exit_code refuses to start, naming the key. */
static void test_bad_settings_refused(void **state) {
  static const char *const bad[][3] = {
      {"exit_code", "256", "exit_code: a number from 0 to 255"},
      {"exit_code", "x", "exit_code: a number from 0 to 255"},
      {"run_seconds", "soon", "run_seconds: a duration such as 1s"},
      {"usage", "yes", "usage: true or false"},
      {"usage_fraction", "11", "usage_fraction: a number from 0 to 10"},
      {"usage_interval", "50ms", "usage_interval: a duration from 100ms"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cplane_test_host *h = cplane_test_host_new();

    assert_non_null(h);
    assert_int_equal(cplane_test_config_set(h, bad[i][0], bad[i][1]), 0);
    assert_int_not_equal(cplane_test_start(h, cplane_plugin_entry()),
                         CPLANE_OK);
    assert_non_null(strstr(cplane_test_start_error(h), bad[i][2]));
    cplane_test_host_free(h);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bound_pod_runs_and_deleted_pod_goes),
      cmocka_unit_test(test_never_pods_succeed_or_fail),
      cmocka_unit_test(test_on_failure_restarts_with_backoff),
      cmocka_unit_test(test_readiness_delay),
      cmocka_unit_test(test_missing_secret_blocks_until_it_exists),
      cmocka_unit_test(test_projected_configmap_blocks_until_it_exists),
      cmocka_unit_test(test_root_ca_from_the_cache),
      cmocka_unit_test(test_pvc_must_exist_and_be_bound),
      cmocka_unit_test(test_usage_declared_once_no_pod_writes),
      cmocka_unit_test(test_usage_off_removes_the_model),
      cmocka_unit_test(test_bad_settings_refused),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
