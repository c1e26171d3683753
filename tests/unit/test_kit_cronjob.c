/*
 * test_kit_cronjob - the cronjob plugin (plugins/cronjob, linked in
 * unchanged) on the test kit's fake host, its clock stepped through
 * minutes, hours and a DST change. A `* * * * *` CronJob gets one Job per
 * minute named <cronjob>-<minutes>, requeued for the next minute; Allow,
 * Forbid and Replace; finished Jobs leave status.active and set
 * lastSuccessfulTime; history limits keep the newest; suspend; many
 * missed times start only the latest; startingDeadlineSeconds; a Job made
 * by hand (kubectl create job --from) is not taken as a scheduled one;
 * failures answered by the API server are retried. No Job controller runs:
 * the test finishes Jobs by writing their status.
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

#define CJ "cronjobs.batch"
#define JOBS "jobs.batch"
#define KEY "default/hello"
#define MIN 60000
/* Job names: minutes since the epoch of 2026-01-01T00:00Z and after. */
#define M0 29453760LL

/* A CronJob "hello" created at `created` with `spec_extra` (JSON members
 * ending in a comma, or ""). */
static char *cj_json(const char *created, const char *spec_extra) {
  static char json[2048];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"metadata\":{"
           "\"name\":\"hello\",\"namespace\":\"default\",\"uid\":\"cj-uid\","
           "\"creationTimestamp\":\"%s\"},\"spec\":{%s"
           "\"jobTemplate\":{\"metadata\":{\"labels\":{\"app\":\"hello\"}},"
           "\"spec\":{\"template\":{\"spec\":{\"restartPolicy\":\"Never\","
           "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}}}}}",
           created, spec_extra);
  return json;
}

#define EVERY_MINUTE "\"schedule\":\"* * * * *\","

static cplane_test_host *start_with(const char *json) {
  cplane_test_host *h = cplane_test_host_new();

  assert_non_null(h);
  assert_int_equal(cplane_test_add(h, CJ, json), CPLANE_OK);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_drain(h);
  return h;
}

static void job_name(long long minute, char *buf, size_t len) {
  snprintf(buf, len, "default/hello-%lld", M0 + minute);
}

static int has_job(cplane_test_host *h, long long minute) {
  const cplane_object *o = NULL;
  char key[64];

  job_name(minute, key, sizeof key);
  if (cplane_test_get(h, JOBS, key, &o) != CPLANE_OK)
    return 0;
  cplane_test_api(h)->object_release(o);
  return 1;
}

static int active_len(cplane_test_host *h) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *o = NULL;
  int n;

  assert_int_equal(cplane_test_get(h, CJ, KEY, &o), CPLANE_OK);
  n = api->object_len(o, "status.active");
  api->object_release(o);
  return n < 0 ? 0 : n;
}

static const char *status_of(cplane_test_host *h, const char *path) {
  static char buf[128];

  return cplane_test_get_string(h, CJ, KEY, path, buf, sizeof buf);
}

/* Writes a Job's status as a job controller would: finished `cond`. */
static void finish(cplane_test_host *h, long long minute, const char *cond,
                   const char *when) {
  char json[1024], key[64];

  job_name(minute, key, sizeof key);
  snprintf(json, sizeof json,
           "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{"
           "\"name\":\"%s\",\"namespace\":\"default\",\"ownerReferences\":[{"
           "\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"name\":"
           "\"hello\",\"uid\":\"cj-uid\",\"controller\":true}]},\"status\":{"
           "\"startTime\":\"%s\",\"conditions\":[{\"type\":\"%s\",\"status\":"
           "\"True\",\"lastTransitionTime\":\"%s\"}]%s%s%s}}",
           key + strlen("default/"), when, cond, when,
           strcmp(cond, "Complete") == 0 ? ",\"completionTime\":\"" : "",
           strcmp(cond, "Complete") == 0 ? when : "",
           strcmp(cond, "Complete") == 0 ? "\"" : "");
  assert_int_equal(cplane_test_update(h, JOBS, json), CPLANE_OK);
}

/* Runs what is due, then moves the clock to when the CronJob asked to be
 * looked at again (the next run plus the controller's 100 ms) and runs. */
static void next_minute(cplane_test_host *h) {
  cplane_test_drain(h);
  cplane_test_clock_advance_ms(h, cplane_test_queued_delay_ms(h, KEY));
  cplane_test_drain(h);
}

static void test_every_minute(void **state) {
  cplane_test_host *h =
      start_with(cj_json("2026-01-01T00:00:00Z", EVERY_MINUTE));
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *job = NULL;

  (void)state;
  /* Nothing due yet; woken just after the first minute. */
  assert_int_equal(cplane_test_writes_count(h, "create", JOBS), 0);
  assert_int_equal(cplane_test_queued_delay_ms(h, KEY), MIN + 100);
  next_minute(h);
  assert_true(has_job(h, 1));
  assert_int_equal(cplane_test_events_count(h, "SuccessfulCreate"), 1);
  assert_int_equal(active_len(h), 1);
  assert_string_equal(status_of(h, "status.lastScheduleTime"),
                      "2026-01-01T00:01:00Z");
  assert_string_equal(status_of(h, "status.active[0].name"),
                      "hello-29453761");
  assert_int_equal(cplane_test_get(h, JOBS, "default/hello-29453761", &job),
                   CPLANE_OK);
  assert_string_equal(
      api->object_annotation(job,
                             "batch.kubernetes.io/cronjob-scheduled-timestamp"),
      "2026-01-01T00:01:00Z");
  assert_string_equal(api->object_label(job, "app"), "hello");
  assert_string_equal(api->object_controller_uid(job), "cj-uid");
  api->object_release(job);
  /* Our own writes coming back change nothing. */
  cplane_test_writes_clear(h);
  cplane_test_resync(h);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_len(h), 0);
  assert_int_equal(cplane_test_queued_delay_ms(h, KEY), MIN);
  /* Allow: the next minute's Job runs beside it. */
  next_minute(h);
  assert_true(has_job(h, 2));
  assert_int_equal(active_len(h), 2);
  /* Finished: out of active, lastSuccessfulTime set. */
  finish(h, 1, "Complete", "2026-01-01T00:01:30Z");
  cplane_test_drain(h);
  assert_int_equal(active_len(h), 1);
  assert_int_equal(cplane_test_events_count(h, "SawCompletedJob"), 1);
  assert_string_equal(status_of(h, "status.lastSuccessfulTime"),
                      "2026-01-01T00:01:30Z");
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

static void test_forbid_and_replace(void **state) {
  cplane_test_host *h = start_with(cj_json(
      "2026-01-01T00:00:00Z", EVERY_MINUTE "\"concurrencyPolicy\":\"Forbid\","));
  char json[2048];

  (void)state;
  next_minute(h);
  assert_true(has_job(h, 1));
  next_minute(h);
  assert_false(has_job(h, 2));
  assert_int_equal(cplane_test_events_count(h, "JobAlreadyActive"), 1);
  /* Once it finished, the skipped minute is still unmet and starts (no
   * startingDeadlineSeconds), as in kube. */
  finish(h, 1, "Failed", "2026-01-01T00:02:10Z");
  cplane_test_drain(h);
  assert_true(has_job(h, 2));
  /* Replace: the running one is deleted first. */
  snprintf(json, sizeof json, "%s",
           cj_json("2026-01-01T00:00:00Z",
                   EVERY_MINUTE "\"concurrencyPolicy\":\"Replace\","));
  /* Keep the status the controller wrote. */
  {
    const struct cplane_host_api *api = cplane_test_api(h);
    const cplane_object *o = NULL;
    char *status, *merged;

    assert_int_equal(cplane_test_get(h, CJ, KEY, &o), CPLANE_OK);
    status = api->object_json(o, "status");
    api->object_release(o);
    merged = malloc(strlen(json) + strlen(status) + 16);
    assert_non_null(merged);
    sprintf(merged, "%.*s,\"status\":%s}", (int)strlen(json) - 1, json,
            status);
    assert_int_equal(cplane_test_update(h, CJ, merged), CPLANE_OK);
    free(merged);
    api->free(status);
  }
  cplane_test_writes_clear(h);
  next_minute(h);
  assert_false(has_job(h, 2));
  assert_true(has_job(h, 3));
  assert_int_equal(cplane_test_events_count(h, "SuccessfulDelete"), 1);
  assert_int_equal(active_len(h), 1);
  assert_string_equal(status_of(h, "status.active[0].name"),
                      "hello-29453763");
  /* Deleted in the background, as kube's deleteJob does. */
  assert_non_null(strstr(cplane_test_write_at(h, 0)->body, "Background"));
  cplane_test_host_free(h);
}

static void test_history_limits(void **state) {
  cplane_test_host *h = start_with(cj_json(
      "2026-01-01T00:00:00Z", EVERY_MINUTE "\"successfulJobsHistoryLimit\":2,"
                                           "\"failedJobsHistoryLimit\":1,"));
  int i;

  (void)state;
  for (i = 1; i <= 4; i++) {
    next_minute(h);
    finish(h, i, "Complete", "2026-01-01T00:00:00Z");
  }
  for (i = 5; i <= 6; i++) {
    next_minute(h);
    finish(h, i, "Failed", "2026-01-01T00:00:00Z");
  }
  cplane_test_drain(h);
  /* The newest two successful and the newest failed one stay. */
  assert_false(has_job(h, 1));
  assert_false(has_job(h, 2));
  assert_true(has_job(h, 3));
  assert_true(has_job(h, 4));
  assert_false(has_job(h, 5));
  assert_true(has_job(h, 6));
  assert_int_equal(active_len(h), 0);
  assert_int_equal(cplane_test_events_count(h, "SuccessfulDelete"), 3);
  cplane_test_host_free(h);
}

static void test_suspend(void **state) {
  cplane_test_host *h = start_with(
      cj_json("2026-01-01T00:00:00Z", EVERY_MINUTE "\"suspend\":true,"));

  (void)state;
  assert_int_equal(cplane_test_queued(h, KEY), 0);
  cplane_test_clock_advance_ms(h, 10 * MIN);
  cplane_test_resync(h);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "create", JOBS), 0);
  /* Resumed: only the latest missed time starts. */
  assert_int_equal(cplane_test_update(
                       h, CJ, cj_json("2026-01-01T00:00:00Z", EVERY_MINUTE)),
                   CPLANE_OK);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "create", JOBS), 1);
  assert_true(has_job(h, 10));
  cplane_test_host_free(h);
}

static void test_many_missed_and_deadline(void **state) {
  cplane_test_host *h;

  (void)state;
  /* Created three hours before now: 180 missed, one Job, a warning. */
  h = cplane_test_host_new();
  cplane_test_clock_set_ms(h, CPLANE_TEST_EPOCH_MS + 180 * MIN + 5000);
  assert_int_equal(
      cplane_test_add(h, CJ, cj_json("2026-01-01T00:00:00Z", EVERY_MINUTE)),
      CPLANE_OK);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "create", JOBS), 1);
  assert_true(has_job(h, 180));
  assert_int_equal(cplane_test_events_count(h, "TooManyMissedTimes"), 1);
  cplane_test_host_free(h);

  /* startingDeadlineSeconds 10, woken 30 s late: too late, no Job. */
  h = cplane_test_host_new();
  cplane_test_clock_set_ms(h, CPLANE_TEST_EPOCH_MS + MIN + 30000);
  assert_int_equal(
      cplane_test_add(h, CJ,
                      cj_json("2026-01-01T00:00:00Z",
                              EVERY_MINUTE "\"startingDeadlineSeconds\":10,")),
      CPLANE_OK);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "create", JOBS), 0);
  assert_int_equal(cplane_test_queued_delay_ms(h, KEY), 30000 + 100);
  next_minute(h);
  assert_true(has_job(h, 2));
  cplane_test_host_free(h);
}

static void test_time_zone_dst(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char buf[64];

  (void)state;
  cplane_test_clock_set_ms(h, CPLANE_TEST_EPOCH_MS + 86LL * 86400000);
  /* 2026-03-28T00:00:00Z, the day before summer time. */
  assert_int_equal(
      cplane_test_add(h, CJ,
                      cj_json("2026-03-27T12:00:00Z",
                              "\"schedule\":\"0 9 * * *\","
                              "\"timeZone\":\"Europe/Berlin\",")),
      CPLANE_OK);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "create", JOBS), 0);
  /* 09:00 CET is 08:00Z. */
  assert_int_equal(cplane_test_queued_delay_ms(h, KEY), 8 * 3600000 + 100);
  next_minute(h);
  assert_int_equal(cplane_test_writes_count(h, "create", JOBS), 1);
  assert_string_equal(status_of(h, "status.lastScheduleTime"),
                      "2026-03-28T08:00:00Z");
  cplane_test_get_string(h, JOBS, "default/hello-29578080",
                         "metadata.annotations.batch\\.kubernetes\\.io/"
                         "cronjob-scheduled-timestamp",
                         buf, sizeof buf);
  assert_string_equal(buf, "2026-03-28T09:00:00+01:00");
  /* The next 09:00 is CEST: 07:00Z, 23 hours on. */
  assert_int_equal(cplane_test_queued_delay_ms(h, KEY), 23 * 3600000);
  next_minute(h);
  assert_string_equal(status_of(h, "status.lastScheduleTime"),
                      "2026-03-29T07:00:00Z");
  cplane_test_host_free(h);
}

static void test_manual_and_missing_jobs(void **state) {
  cplane_test_host *h =
      start_with(cj_json("2026-01-01T00:00:00Z", EVERY_MINUTE));

  (void)state;
  /* kubectl create job --from=cronjob/hello: controlled by it, not
   * scheduled by it. */
  assert_int_equal(
      cplane_test_add(
          h, JOBS,
          "{\"metadata\":{\"name\":\"manual\",\"namespace\":\"default\","
          "\"annotations\":{\"cronjob.kubernetes.io/instantiate\":\"manual\"},"
          "\"ownerReferences\":[{\"apiVersion\":\"batch/v1\",\"kind\":"
          "\"CronJob\",\"name\":\"hello\",\"uid\":\"cj-uid\",\"controller\":"
          "true}]},\"spec\":{}}"),
      CPLANE_OK);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_events_count(h, "UnexpectedJob"), 1);
  assert_int_equal(active_len(h), 0);
  assert_string_equal(status_of(h, "status.lastScheduleTime"), "");
  /* The schedule goes on beside it. */
  next_minute(h);
  assert_true(has_job(h, 1));
  /* A listed Job that is gone is dropped. */
  assert_int_equal(cplane_test_delete(h, JOBS, "default/hello-29453761"),
                   CPLANE_OK);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_events_count(h, "MissingJob"), 1);
  assert_int_equal(active_len(h), 0);
  cplane_test_host_free(h);
}

static void test_failures(void **state) {
  cplane_test_host *h =
      start_with(cj_json("2026-01-01T00:00:00Z", EVERY_MINUTE));

  (void)state;
  cplane_test_fail(h, "create", JOBS, 1, 500, "etcd is sad");
  cplane_test_fail(h, "patch", CJ "/status", 1, 409, NULL);
  cplane_test_clock_advance_ms(h, cplane_test_queued_delay_ms(h, KEY));
  assert_int_equal(cplane_test_reconcile(h, KEY, NULL),
                   CPLANE_RECONCILE_RETRY);
  assert_int_equal(cplane_test_events_count(h, "FailedCreate"), 1);
  /* Then the Job is made, but the status write conflicts: retried. The
   * Job's own event finds it unlisted (kube's UnexpectedJob: "we crashed
   * right after creating the Job"), and the create of the same minute
   * answers AlreadyExists: taken in without a second Job. */
  assert_int_equal(cplane_test_reconcile(h, KEY, NULL),
                   CPLANE_RECONCILE_RETRY);
  cplane_test_clock_advance_ms(h, 1000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_count(h, JOBS, NULL, NULL), 1);
  assert_int_equal(active_len(h), 1);
  assert_int_equal(cplane_test_events_count(h, "SuccessfulCreate"), 1);
  assert_int_equal(cplane_test_events_count(h, "UnexpectedJob"), 1);
  cplane_test_host_free(h);
}

static void test_bad_specs(void **state) {
  cplane_test_host *h = start_with(cj_json(
      "2026-01-01T00:00:00Z",
      EVERY_MINUTE "\"timeZone\":\"Mars/Olympus\","));

  (void)state;
  assert_int_equal(cplane_test_events_count(h, "UnknownTimeZone"), 1);
  assert_int_equal(cplane_test_queued(h, KEY), 0);
  cplane_test_host_free(h);
  h = start_with(cj_json("2026-01-01T00:00:00Z", "\"schedule\":\"61 * * * *\","));
  assert_int_equal(cplane_test_events_count(h, "UnparseableSchedule"), 1);
  cplane_test_host_free(h);
  h = start_with(cj_json("2026-01-01T00:00:00Z", "\"schedule\":\"0 0 30 2 *\","));
  assert_int_equal(cplane_test_events_count(h, "InvalidSchedule"), 1);
  cplane_test_host_free(h);
  /* A test-only clock_scale out of range fails init. */
  h = cplane_test_host_new();
  cplane_test_config_set(h, "clock_scale", "0");
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_EINVAL);
  cplane_test_host_free(h);
}

static void test_clock_scale(void **state) {
  cplane_test_host *h = cplane_test_host_new();

  (void)state;
  cplane_test_config_set(h, "clock_scale", "60");
  assert_int_equal(
      cplane_test_add(h, CJ, cj_json("2026-01-01T00:00:00Z", EVERY_MINUTE)),
      CPLANE_OK);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_drain(h);
  /* A scheduled minute is a host second (rounded up). */
  assert_int_equal(cplane_test_queued_delay_ms(h, KEY), 1002);
  cplane_test_clock_advance_ms(h, 1002);
  cplane_test_drain(h);
  assert_true(has_job(h, 1));
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_minute),
      cmocka_unit_test(test_forbid_and_replace),
      cmocka_unit_test(test_history_limits),
      cmocka_unit_test(test_suspend),
      cmocka_unit_test(test_many_missed_and_deadline),
      cmocka_unit_test(test_time_zone_dst),
      cmocka_unit_test(test_manual_and_missing_jobs),
      cmocka_unit_test(test_failures),
      cmocka_unit_test(test_bad_specs),
      cmocka_unit_test(test_clock_scale),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
