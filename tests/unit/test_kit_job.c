/*
 * test_kit_job - the job plugin (plugins/job, linked in unchanged) on the
 * test kit's fake host: pods up to parallelism with the tracking
 * finalizer and never twice on a lagging cache; finished pods counted
 * exactly once through uncountedTerminatedPods, also across a controller
 * restart between any two steps and after a conflicting status write;
 * the failed pods' back-off; backoffLimit and activeDeadlineSeconds with
 * FailureTarget then Failed; suspend; Indexed completedIndexes; the
 * finalizer of an orphan released.
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

const struct cplane_plugin *cplane_plugin_entry(void);

#define FIN "batch.kubernetes.io/job-tracking"

/* A Job "j" (uid job-uid) with this spec text, as the API server stores
 * it after defaulting. */
static char *job_json(const char *spec, const char *status) {
  static char buf[2048];

  snprintf(buf, sizeof buf,
           "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{"
           "\"name\":\"j\",\"namespace\":\"default\",\"uid\":\"job-uid\"},"
           "\"spec\":{%s%s\"selector\":{\"matchLabels\":{"
           "\"batch.kubernetes.io/controller-uid\":\"job-uid\"}},"
           "\"template\":{\"metadata\":{\"labels\":{"
           "\"batch.kubernetes.io/controller-uid\":\"job-uid\","
           "\"batch.kubernetes.io/job-name\":\"j\"}},\"spec\":{"
           "\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\","
           "\"image\":\"busybox\"}]}}},\"status\":%s}",
           spec, spec[0] ? "," : "", status ? status : "{}");
  return buf;
}

static cplane_test_host *start_with(const char *spec, const char *status) {
  cplane_test_host *h = cplane_test_host_new();

  assert_non_null(h);
  assert_int_equal(cplane_test_add(h, "jobs.batch", job_json(spec, status)), 0);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  return h;
}

/* The names of the pods the plugin created, oldest first. */
static int created(cplane_test_host *h, const char **names, int max) {
  size_t i;
  int n = 0;

  for (i = 0; i < cplane_test_writes_len(h) && n < max; i++) {
    const struct cplane_test_write *w = cplane_test_write_at(h, i);

    if (strcmp(w->verb, "create") == 0 && strcmp(w->resource, "pods") == 0 &&
        w->code == 201)
      names[n++] = w->name;
  }
  return n;
}

/* The pod `name` of h's store as JSON with this status (JSON text) and,
 * when drop_finalizer, without the tracking finalizer: what a kubelet and
 * a controller's earlier step would leave. Into buf. */
static char *pod_with(cplane_test_host *h, const char *name,
                      const char *status, int drop_finalizer, char *buf,
                      size_t len) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *pod = NULL;
  const char *held = "\"finalizers\":[\"" FIN "\"]", *empty = "\"finalizers\":[]";
  char key[256], *meta, *spec, *f;

  snprintf(key, sizeof key, "default/%s", name);
  assert_int_equal(cplane_test_get(h, "pods", key, &pod), 0);
  meta = api->object_json(pod, "metadata");
  spec = api->object_json(pod, "spec");
  snprintf(buf, len,
           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":%s,"
           "\"spec\":%s,\"status\":%s}",
           meta, spec, status);
  if (drop_finalizer) {
    assert_non_null(f = strstr(buf, held));
    memmove(f + strlen(empty), f + strlen(held), strlen(f + strlen(held)) + 1);
    memcpy(f, empty, strlen(empty));
  }
  api->free(meta);
  api->free(spec);
  api->object_release(pod);
  return buf;
}

/* Sets a pod's status to phase with a container that exited `code`, at
 * the kit's clock. */
static void finish(cplane_test_host *h, const char *name, const char *phase,
                   int code) {
  char at[32], status[512], json[8192];

  cplane_test_rfc3339(cplane_test_now_ms(h), at, sizeof at);
  snprintf(status, sizeof status,
           "{\"phase\":\"%s\",\"containerStatuses\":[{\"name\":\"c\","
           "\"state\":{\"terminated\":{\"exitCode\":%d,\"finishedAt\":"
           "\"%s\"}}}]}",
           phase, code, at);
  assert_int_equal(
      cplane_test_update(h, "pods", pod_with(h, name, status, 0, json,
                                             sizeof json)),
      0);
}

static int64_t job_int(cplane_test_host *h, const char *path) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *job = NULL;
  int64_t v = -1;

  if (cplane_test_get(h, "jobs.batch", "default/j", &job) != 0)
    return -1;
  api->object_int(job, path, &v);
  api->object_release(job);
  return v;
}

/* "status/reason" of the Job's condition of type, or "". */
static const char *job_cond(cplane_test_host *h, const char *type) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *job = NULL;
  static char buf[128];
  int i;

  buf[0] = '\0';
  if (cplane_test_get(h, "jobs.batch", "default/j", &job) != 0)
    return buf;
  i = cplane_condition_find(api, job, "status.conditions", type);
  if (i >= 0)
    snprintf(buf, sizeof buf, "%s/%s",
             cplane_array_string(api, job, "status.conditions", i, "status"),
             cplane_array_string(api, job, "status.conditions", i, "reason"));
  api->object_release(job);
  return buf;
}

static int has_finalizer(cplane_test_host *h, const char *name) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *pod = NULL;
  char key[256];
  int yes;

  snprintf(key, sizeof key, "default/%s", name);
  if (cplane_test_get(h, "pods", key, &pod) != 0)
    return 0;
  yes = cplane_finalizer_has(api, pod, FIN);
  api->object_release(pod);
  return yes;
}

/* parallelism 2 of 3 completions: two pods, each with the finalizer and
 * the Job as controller; reconciling again before the cache saw them
 * creates none (expectations). */
static void test_creates_up_to_parallelism(void **state) {
  cplane_test_host *h = start_with("\"parallelism\":2,\"completions\":3", NULL);
  const struct cplane_host_api *api = cplane_test_api(h);
  const char *names[8];
  const cplane_object *pod = NULL;
  char key[256];

  (void)state;
  assert_int_equal(cplane_test_reconcile(h, "default/j", NULL),
                   CPLANE_RECONCILE_DONE);
  assert_int_equal(cplane_test_writes_count(h, "create", "pods"), 2);
  cplane_test_reconcile(h, "default/j", NULL); /* cache still empty */
  assert_int_equal(cplane_test_writes_count(h, "create", "pods"), 2);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "create", "pods"), 2);
  assert_int_equal(created(h, names, 8), 2);
  snprintf(key, sizeof key, "default/%s", names[0]);
  assert_int_equal(cplane_test_get(h, "pods", key, &pod), 0);
  assert_true(cplane_finalizer_has(api, pod, FIN));
  assert_string_equal(api->object_controller_uid(pod), "job-uid");
  assert_string_equal(api->object_label(pod, "batch.kubernetes.io/job-name"),
                      "j");
  assert_int_equal(strncmp(api->object_name(pod), "j-", 2), 0);
  api->object_release(pod);
  assert_int_equal(job_int(h, "status.active"), 2);
  assert_string_not_equal(cplane_test_get_string(h, "jobs.batch", "default/j",
                                                 "status.startTime", key,
                                                 sizeof key),
                          "");
  assert_int_equal(cplane_test_events_count(h, "SuccessfulCreate"), 2);
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

/* Three completions run to Complete: each success counted once, the
 * finalizers gone, SuccessCriteriaMet then Complete, completionTime. */
static void test_runs_to_complete(void **state) {
  cplane_test_host *h = start_with("\"parallelism\":2,\"completions\":3", NULL);
  const char *names[8];
  int n, i;

  (void)state;
  cplane_test_drain(h);
  for (i = 0; i < 3; i++) {
    n = created(h, names, 8);
    finish(h, names[i], "Succeeded", 0);
    cplane_test_drain(h);
    assert_int_equal(job_int(h, "status.succeeded"), i + 1);
    assert_false(has_finalizer(h, names[i]));
  }
  assert_int_equal(created(h, names, 8), 3);
  (void)n;
  assert_string_equal(job_cond(h, "SuccessCriteriaMet"), "True/CompletionsReached");
  assert_string_equal(job_cond(h, "Complete"), "True/CompletionsReached");
  assert_int_equal(job_int(h, "status.active"), 0);
  assert_int_equal(cplane_test_events_count(h, "Completed"), 1);
  /* Nothing more happens to a finished Job. */
  cplane_test_writes_clear(h);
  cplane_test_resync(h);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_len(h), 0);
  cplane_test_host_free(h);
}

/* A new host over the same store: the controller restarted. */
static cplane_test_host *restart(cplane_test_host *old) {
  const struct cplane_host_api *api = cplane_test_api(old);
  cplane_test_host *h = cplane_test_host_new();
  const cplane_object *o = NULL;
  const char *names[16];
  char key[256], *json;
  int n = created(old, names, 16), i;

  assert_non_null(h);
  assert_int_equal(cplane_test_get(old, "jobs.batch", "default/j", &o), 0);
  json = api->object_json(o, NULL);
  assert_int_equal(cplane_test_add(h, "jobs.batch", json), 0);
  api->free(json);
  api->object_release(o);
  for (i = 0; i < n; i++) {
    snprintf(key, sizeof key, "default/%s", names[i]);
    if (cplane_test_get(old, "pods", key, &o) != 0)
      continue;
    json = api->object_json(o, NULL);
    assert_int_equal(cplane_test_add(h, "pods", json), 0);
    api->free(json);
    api->object_release(o);
  }
  cplane_test_host_free(old);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  return h;
}

/* The controller dies after listing a success as uncounted, before the
 * finalizer goes: the restarted one counts it once. */
static void test_restart_after_uncounted(void **state) {
  cplane_test_host *h = start_with("\"parallelism\":1,\"completions\":2", NULL);
  const char *names[8];

  (void)state;
  cplane_test_drain(h);
  created(h, names, 8);
  finish(h, names[0], "Succeeded", 0);
  /* The finalizer removal fails: the uid stays uncounted. */
  cplane_test_fail(h, "patch", "pods", 100, 500, NULL);
  cplane_test_reconcile(h, "default/j", NULL);
  assert_int_equal(job_int(h, "status.succeeded"), 0);
  assert_int_equal(
      job_int(h, "status.uncountedTerminatedPods.succeeded") == -1, 1);
  assert_true(has_finalizer(h, names[0]));
  h = restart(h);
  cplane_test_drain(h);
  assert_int_equal(job_int(h, "status.succeeded"), 1);
  assert_int_equal(
      job_int(h, "status.uncountedTerminatedPods.succeeded") == -1, 1);
  /* Run again and again: still one. */
  cplane_test_resync(h);
  cplane_test_drain(h);
  assert_int_equal(job_int(h, "status.succeeded"), 1);
  cplane_test_host_free(h);
}

/* The controller dies after the finalizer went, before counting: the
 * uid in uncountedTerminatedPods with no finalizer is counted once. */
static void test_restart_after_finalizer_removed(void **state) {
  cplane_test_host *h = start_with("\"parallelism\":1,\"completions\":2", NULL);
  const struct cplane_host_api *api = cplane_test_api(h);
  const char *names[8];
  char key[256], st[256], json[8192], uid[64];
  cplane_test_host *h2 = cplane_test_host_new();

  (void)state;
  (void)api;
  cplane_test_drain(h);
  created(h, names, 8);
  snprintf(key, sizeof key, "default/%s", names[0]);
  cplane_test_get_string(h, "pods", key, "metadata.uid", uid, sizeof uid);
  /* What a controller that died between steps 2 and 3 leaves: the uid
   * listed as uncounted, the pod finished and without the finalizer. */
  snprintf(st, sizeof st,
           "{\"uncountedTerminatedPods\":{\"succeeded\":[\"%s\"]},"
           "\"active\":1}",
           uid);
  assert_int_equal(
      cplane_test_add(h2, "jobs.batch",
                      job_json("\"parallelism\":1,\"completions\":2", st)),
      0);
  assert_int_equal(
      cplane_test_add(h2, "pods",
                      pod_with(h, names[0], "{\"phase\":\"Succeeded\"}", 1,
                               json, sizeof json)),
      0);
  cplane_test_host_free(h);
  h = h2;
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_drain(h);
  assert_int_equal(job_int(h, "status.succeeded"), 1);
  cplane_test_resync(h);
  cplane_test_drain(h);
  assert_int_equal(job_int(h, "status.succeeded"), 1);
  cplane_test_host_free(h);
}

/* A status write refused as stale (409) changes nothing and is retried;
 * the success is still counted once. */
static void test_conflict_counts_once(void **state) {
  cplane_test_host *h = start_with("\"parallelism\":1,\"completions\":2", NULL);
  const char *names[8];

  (void)state;
  cplane_test_drain(h);
  created(h, names, 8);
  finish(h, names[0], "Succeeded", 0);
  cplane_test_fail(h, "patch", "jobs.batch/status", 1, 409, NULL);
  assert_int_equal(cplane_test_reconcile(h, "default/j", NULL),
                   CPLANE_RECONCILE_RETRY);
  assert_true(has_finalizer(h, names[0])); /* nothing done past the 409 */
  cplane_test_clock_advance_ms(h, 100);
  cplane_test_drain(h);
  assert_int_equal(job_int(h, "status.succeeded"), 1);
  assert_false(has_finalizer(h, names[0]));
  cplane_test_host_free(h);
}

/* A failed pod is replaced after 10 s, a second failure after 20 s more;
 * past backoffLimit the Job gets FailureTarget then Failed. */
static void test_backoff_then_limit(void **state) {
  cplane_test_host *h = start_with("\"backoffLimit\":1", NULL);
  const char *names[8];

  (void)state;
  cplane_test_drain(h);
  assert_int_equal(created(h, names, 8), 1);
  finish(h, names[0], "Failed", 1);
  cplane_test_drain(h);
  assert_int_equal(job_int(h, "status.failed"), 1);
  assert_int_equal(created(h, names, 8), 1); /* back-off */
  assert_int_equal(cplane_test_queued_delay_ms(h, "default/j"), 10000);
  cplane_test_clock_advance_ms(h, 10000);
  cplane_test_drain(h);
  assert_int_equal(created(h, names, 8), 2);
  finish(h, names[1], "Failed", 1);
  cplane_test_drain(h);
  assert_int_equal(job_int(h, "status.failed"), 2);
  assert_string_equal(job_cond(h, "FailureTarget"), "True/BackoffLimitExceeded");
  assert_string_equal(job_cond(h, "Failed"), "True/BackoffLimitExceeded");
  assert_int_equal(created(h, names, 8), 2);
  assert_int_equal(cplane_test_events_count(h, "BackoffLimitExceeded"), 1);
  cplane_test_host_free(h);
}

/* activeDeadlineSeconds: woken at the deadline; the active pod is
 * deleted, then counted failed once it is gone; DeadlineExceeded. */
static void test_deadline(void **state) {
  cplane_test_host *h = start_with("\"activeDeadlineSeconds\":30", NULL);
  const char *names[8];
  char key[256];

  (void)state;
  cplane_test_drain(h);
  assert_int_equal(created(h, names, 8), 1);
  assert_int_equal(cplane_test_queued_delay_ms(h, "default/j"), 30000);
  cplane_test_clock_advance_ms(h, 30000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 1);
  assert_string_equal(job_cond(h, "FailureTarget"), "True/DeadlineExceeded");
  /* Its finalizer removed, the pod goes; then Failed. */
  snprintf(key, sizeof key, "default/%s", names[0]);
  if (cplane_test_count(h, "pods", "default", NULL) > 0)
    cplane_test_delete(h, "pods", key);
  cplane_test_drain(h);
  assert_string_equal(job_cond(h, "Failed"), "True/DeadlineExceeded");
  assert_int_equal(job_int(h, "status.failed"), 1);
  cplane_test_host_free(h);
}

/* Suspending deletes the active pods without counting them (finalizer
 * removed first), with the Suspended condition and event. */
static void test_suspend(void **state) {
  cplane_test_host *h = start_with("\"parallelism\":2,\"completions\":4", NULL);
  const char *names[8];

  (void)state;
  cplane_test_drain(h);
  assert_int_equal(created(h, names, 8), 2);
  assert_int_equal(
      cplane_test_update(h, "jobs.batch",
                         job_json("\"parallelism\":2,\"completions\":4,"
                                  "\"suspend\":true",
                                  "{\"active\":2}")),
      0);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 2);
  assert_false(has_finalizer(h, names[0]));
  assert_string_equal(job_cond(h, "Suspended"), "True/JobSuspended");
  assert_true(job_int(h, "status.failed") <= 0);
  assert_int_equal(cplane_test_events_count(h, "Suspended"), 1);
  cplane_test_host_free(h);
}

/* Indexed: pods 0 and 1; index 1 succeeds first: completedIndexes "1",
 * its replacement is not made; then "0-1" and Complete. */
static void test_indexed(void **state) {
  cplane_test_host *h =
      start_with("\"parallelism\":2,\"completions\":2,"
                 "\"completionMode\":\"Indexed\"", NULL);
  const struct cplane_host_api *api = cplane_test_api(h);
  const char *names[8];
  char buf[64];

  (void)state;
  (void)api;
  cplane_test_drain(h);
  assert_int_equal(created(h, names, 8), 2);
  finish(h, strncmp(names[0], "j-1-", 4) == 0 ? names[0] : names[1],
         "Succeeded", 0);
  cplane_test_drain(h);
  assert_string_equal(cplane_test_get_string(h, "jobs.batch", "default/j",
                                             "status.completedIndexes", buf,
                                             sizeof buf),
                      "1");
  assert_int_equal(created(h, names, 8), 2);
  finish(h, strncmp(names[0], "j-0-", 4) == 0 ? names[0] : names[1],
         "Succeeded", 0);
  cplane_test_drain(h);
  assert_string_equal(cplane_test_get_string(h, "jobs.batch", "default/j",
                                             "status.completedIndexes", buf,
                                             sizeof buf),
                      "0-1");
  assert_string_equal(job_cond(h, "Complete"), "True/CompletionsReached");
  assert_int_equal(job_int(h, "status.succeeded"), 2);
  cplane_test_host_free(h);
}

/* The name of the newest pod created for index ix ("j-<ix>-..."). */
static const char *newest_of(cplane_test_host *h, int ix) {
  const char *names[16], *found = NULL;
  char prefix[16];
  int n = created(h, names, 16), i;

  snprintf(prefix, sizeof prefix, "j-%d-", ix);
  for (i = 0; i < n; i++)
    if (strncmp(names[i], prefix, strlen(prefix)) == 0)
      found = names[i];
  return found;
}

/* backoffLimitPerIndex 1: index 0 fails, is retried after its own 10 s
 * back-off with the failure count on the new pod, fails again and is
 * failed for good (failedIndexes "0"); index 1 succeeds; the Job fails
 * with FailedIndexes. */
static void test_backoff_limit_per_index(void **state) {
  cplane_test_host *h =
      start_with("\"parallelism\":2,\"completions\":2,"
                 "\"completionMode\":\"Indexed\",\"backoffLimitPerIndex\":1,"
                 "\"backoffLimit\":2147483647", NULL);
  const char *names[16];
  char buf[64], key[256];

  (void)state;
  cplane_test_drain(h);
  assert_int_equal(created(h, names, 16), 2);
  finish(h, newest_of(h, 0), "Failed", 1);
  cplane_test_drain(h);
  assert_int_equal(created(h, names, 16), 2); /* index 0 backs off */
  cplane_test_clock_advance_ms(h, 10000);
  cplane_test_drain(h);
  assert_int_equal(created(h, names, 16), 3);
  snprintf(key, sizeof key, "default/%s", newest_of(h, 0));
  assert_string_equal(
      cplane_test_get_string(h, "pods", key,
                             "metadata.annotations.batch\\.kubernetes\\.io/"
                             "job-index-failure-count",
                             buf, sizeof buf),
      "1");
  finish(h, newest_of(h, 0), "Failed", 1);
  cplane_test_drain(h);
  assert_string_equal(cplane_test_get_string(h, "jobs.batch", "default/j",
                                             "status.failedIndexes", buf,
                                             sizeof buf),
                      "0");
  cplane_test_clock_advance_ms(h, 60000);
  cplane_test_drain(h);
  assert_int_equal(created(h, names, 16), 3); /* index 0 is not retried */
  finish(h, newest_of(h, 1), "Succeeded", 0);
  cplane_test_drain(h);
  assert_string_equal(job_cond(h, "FailureTarget"), "True/FailedIndexes");
  assert_string_equal(job_cond(h, "Failed"), "True/FailedIndexes");
  assert_int_equal(job_int(h, "status.failed"), 2);
  assert_int_equal(job_int(h, "status.succeeded"), 1);
  cplane_test_host_free(h);
}

/* A pod whose Job is gone loses the tracking finalizer. */
static void test_orphan_released(void **state) {
  cplane_test_host *h = start_with("", NULL);
  const char *names[8];

  (void)state;
  cplane_test_drain(h);
  assert_int_equal(created(h, names, 8), 1);
  assert_int_equal(cplane_test_delete(h, "jobs.batch", "default/j"), 0);
  cplane_test_drain(h);
  assert_false(has_finalizer(h, names[0]));
  cplane_test_host_free(h);
}

/* The pod cache ahead of the Job cache (two watches, each lagging on
 * its own): the sync that counted the only pod and wrote Complete has
 * its pod write seen but not its status writes. The next sync reads the
 * old status (succeeded 0, nothing uncounted) and the pod without its
 * finalizer, which it may no longer count: it must wait for its own
 * writes, not make a second pod (kube's StaleControllerConsistencyJob;
 * kubernetes#130103). */
static void test_stale_job_cache_creates_nothing(void **state) {
  cplane_test_host *h = start_with("\"parallelism\":1,\"completions\":1", NULL);
  const char *names[8];
  char json[8192];
  uint32_t after = 0;
  size_t writes;
  int rc;

  (void)state;
  cplane_test_drain(h);
  assert_int_equal(created(h, names, 8), 1);
  finish(h, names[0], "Succeeded", 0);
  assert_int_equal(cplane_test_reconcile(h, "default/j", NULL),
                   CPLANE_RECONCILE_DONE);
  assert_string_equal(job_cond(h, "Complete"), "True/CompletionsReached");
  /* The pod watch shows the finalizer gone (as the store has it); the
   * Job watch shows nothing yet. */
  assert_false(has_finalizer(h, names[0]));
  assert_int_equal(
      cplane_test_update(h, "pods",
                         pod_with(h, names[0], "{\"phase\":\"Succeeded\"}", 0,
                                  json, sizeof json)),
      0);
  writes = cplane_test_writes_len(h);
  rc = cplane_test_reconcile(h, "default/j", &after);
  assert_int_equal(cplane_test_writes_count(h, "create", "pods"), 1);
  assert_int_equal(rc, CPLANE_RECONCILE_REQUEUE_AFTER);
  assert_int_equal(cplane_test_writes_len(h), writes); /* no write at all */
  assert_true(after > 0);
  /* Its writes seen, the Job is finished: nothing more. */
  cplane_test_drain(h);
  cplane_test_clock_advance_ms(h, after);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "create", "pods"), 1);
  assert_int_equal(job_int(h, "status.succeeded"), 1);
  assert_int_equal(cplane_test_events_count(h, "Completed"), 1);
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_creates_up_to_parallelism),
      cmocka_unit_test(test_runs_to_complete),
      cmocka_unit_test(test_restart_after_uncounted),
      cmocka_unit_test(test_restart_after_finalizer_removed),
      cmocka_unit_test(test_conflict_counts_once),
      cmocka_unit_test(test_backoff_then_limit),
      cmocka_unit_test(test_deadline),
      cmocka_unit_test(test_suspend),
      cmocka_unit_test(test_indexed),
      cmocka_unit_test(test_backoff_limit_per_index),
      cmocka_unit_test(test_orphan_released),
      cmocka_unit_test(test_stale_job_cache_creates_nothing),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
