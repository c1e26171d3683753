/*
 * test_kit_ttlafterfinished - the ttlafterfinished plugin (linked in
 * unchanged) on the test kit's fake host: a finished Job is requeued for
 * its expiry and then deleted with propagationPolicy Foreground and a UID
 * precondition; an unfinished Job, one without a TTL and one whose TTL was
 * raised since the cache saw it stay; a failed delete is retried.
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

#define JOBS "jobs.batch"

/* A Job "j" with ttlSecondsAfterFinished `ttl` (<0: none) and condition
 * `cond` True since `since` (NULL: running). */
static char *job_json(int ttl, const char *cond, const char *since) {
  static char json[1024];
  char ttl_s[64] = "", conds[256] = "";

  if (ttl >= 0)
    snprintf(ttl_s, sizeof ttl_s, "\"ttlSecondsAfterFinished\":%d,", ttl);
  if (cond != NULL)
    snprintf(conds, sizeof conds,
             "\"conditions\":[{\"type\":\"%s\",\"status\":\"True\","
             "\"lastTransitionTime\":\"%s\"}]",
             cond, since);
  snprintf(json, sizeof json,
           "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{"
           "\"name\":\"j\",\"namespace\":\"default\",\"uid\":\"job-uid\"},"
           "\"spec\":{%s\"template\":{}},\"status\":{%s}}",
           ttl_s, conds);
  return json;
}

/* 1 when Job j is being deleted (Foreground: the garbage collector, not
 * run here, finishes it). */
static int deleting(cplane_test_host *h) {
  char buf[64];

  cplane_test_get_string(h, JOBS, "default/j", "metadata.deletionTimestamp",
                         buf, sizeof buf);
  return buf[0] != '\0';
}

static cplane_test_host *start_with(const char *json) {
  cplane_test_host *h = cplane_test_host_new();

  assert_non_null(h);
  assert_int_equal(cplane_test_add(h, JOBS, json), CPLANE_OK);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_drain(h);
  return h;
}

static void test_deleted_after_ttl(void **state) {
  /* Finished at the kit's epoch, 10 s to live. */
  cplane_test_host *h =
      start_with(job_json(10, "Complete", "2026-01-01T00:00:00Z"));
  const struct cplane_test_write *w;

  (void)state;
  assert_int_equal(cplane_test_count(h, JOBS, NULL, NULL), 1);
  assert_int_equal(cplane_test_queued_delay_ms(h, "default/j"), 10000);
  cplane_test_clock_advance_ms(h, 10000);
  cplane_test_drain(h);
  assert_true(deleting(h));
  assert_int_equal(cplane_test_writes_count(h, "delete", JOBS), 1);
  w = cplane_test_write_at(h, 0);
  assert_non_null(strstr(w->body, "\"propagationPolicy\":\"Foreground\""));
  assert_non_null(strstr(w->body, "\"uid\":\"job-uid\""));
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

static void test_failed_and_expired(void **state) {
  /* Failed a minute ago with a TTL of 0: at once. */
  cplane_test_host *h =
      start_with(job_json(0, "Failed", "2025-12-31T23:59:00Z"));

  (void)state;
  assert_true(deleting(h));
  cplane_test_host_free(h);
}

static void test_left_alone(void **state) {
  cplane_test_host *h = start_with(job_json(10, NULL, NULL));

  (void)state;
  assert_int_equal(cplane_test_queue_len(h), 0);
  cplane_test_host_free(h);
  h = start_with(job_json(-1, "Complete", "2025-01-01T00:00:00Z"));
  assert_int_equal(cplane_test_queue_len(h), 0);
  assert_int_equal(cplane_test_writes_len(h), 0);
  cplane_test_host_free(h);
  /* Complete but False: not finished. */
  h = cplane_test_host_new();
  assert_int_equal(
      cplane_test_add(h, JOBS,
                      "{\"metadata\":{\"name\":\"j\",\"namespace\":\"d\"},"
                      "\"spec\":{\"ttlSecondsAfterFinished\":0},\"status\":{"
                      "\"conditions\":[{\"type\":\"Complete\",\"status\":"
                      "\"False\"}]}}"),
      CPLANE_OK);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_count(h, JOBS, NULL, NULL), 1);
  cplane_test_host_free(h);
}

static void test_fresh_ttl_and_retry(void **state) {
  cplane_test_host *h =
      start_with(job_json(10, "Complete", "2026-01-01T00:00:00Z"));

  (void)state;
  /* The TTL is raised: the fresh read decides, and waits on. */
  assert_int_equal(cplane_test_update(
                       h, JOBS, job_json(100, "Complete", "2026-01-01T00:00:00Z")),
                   CPLANE_OK);
  cplane_test_clock_advance_ms(h, 10000);
  cplane_test_drain(h);
  assert_false(deleting(h));
  assert_int_equal(cplane_test_queued_delay_ms(h, "default/j"), 90000);
  /* A failed delete is retried. */
  cplane_test_fail(h, "delete", JOBS, 1, 500, NULL);
  cplane_test_clock_advance_ms(h, 90000);
  assert_int_equal(cplane_test_reconcile(h, "default/j", NULL),
                   CPLANE_RECONCILE_RETRY);
  assert_false(deleting(h));
  cplane_test_clock_advance_ms(h, 1000);
  cplane_test_drain(h);
  assert_true(deleting(h));
  /* Being deleted: left alone from then on. */
  cplane_test_writes_clear(h);
  cplane_test_resync(h);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_len(h), 0);
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_deleted_after_ttl),
      cmocka_unit_test(test_failed_and_expired),
      cmocka_unit_test(test_left_alone),
      cmocka_unit_test(test_fresh_ttl_and_retry),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
