/*
 * done_after_delay_test.c - unit tests for done_after_delay.c on the test
 * kit, with its fake clock: no test sleeps.
 *
 * Build and run outside the cplane tree (docs/plugin-testing.md):
 *   cc -o done_after_delay_test done_after_delay_test.c done_after_delay.c \
 *      $(pkg-config --cflags --libs cplane-testing) -lcmocka
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the four above, which it needs */

#include <string.h>

#include <cplane/testing.h>

const struct cplane_plugin *cplane_plugin_entry(void);

#define TASKS "tasks.example.cplane.io"

static const char task_t1[] =
    "{\"apiVersion\":\"example.cplane.io/v1\",\"kind\":\"Task\",\"metadata\":"
    "{\"name\":\"t1\",\"namespace\":\"default\"},\"spec\":{\"delaySeconds\":5,"
    "\"deleteAfterSeconds\":10}}";

static const char *t1(cplane_test_host *h, const char *path, char *buf,
                      size_t len) {
  return cplane_test_get_string(h, TASKS, "default/t1", path, buf, len);
}

/* A new Task gets our finalizer first, Done (with the clock's time) once
 * its delay is over, and is deleted, finalizer removed, after the next. */
static void test_done_then_deleted(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char buf[64], when[32];

  (void)state;
  assert_int_equal(cplane_test_add(h, TASKS, task_t1), CPLANE_OK);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_drain(h);
  assert_string_equal(t1(h, "metadata.finalizers[0]", buf, sizeof buf),
                      "example.cplane.io/cleanup");
  assert_int_equal(cplane_test_queued_delay_ms(h, "default/t1"), 5000);

  cplane_test_clock_advance_ms(h, 4999);
  assert_int_equal(cplane_test_drain(h), 0);
  assert_string_equal(t1(h, "status.conditions[0].type", buf, sizeof buf), "");
  cplane_test_clock_advance_ms(h, 1);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "patch", TASKS "/status"), 1);
  assert_string_equal(t1(h, "status.conditions[0].type", buf, sizeof buf),
                      "Done");
  assert_string_equal(t1(h, "status.conditions[0].status", buf, sizeof buf),
                      "True");
  assert_string_equal(t1(h, "status.conditions[0].reason", buf, sizeof buf),
                      "DelayElapsed");
  cplane_test_rfc3339(CPLANE_TEST_EPOCH_MS + 5000, when, sizeof when);
  assert_string_equal(
      t1(h, "status.conditions[0].lastTransitionTime", buf, sizeof buf), when);
  assert_int_equal(cplane_test_events_count(h, "Done"), 1);
  assert_int_equal(cplane_test_queued_delay_ms(h, "default/t1"), 10000);

  cplane_test_clock_advance_ms(h, 10000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "delete", TASKS), 1);
  assert_int_equal(cplane_test_events_count(h, "Deleting"), 1);
  assert_int_equal(cplane_test_count(h, TASKS, NULL, NULL), 0);
  assert_int_equal(cplane_test_queue_len(h), 0);
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

/* A Task deleted before it is Done loses our finalizer at once, and is
 * neither marked Done nor deleted again. */
static void test_deleted_early_drops_finalizer(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char buf[64];

  (void)state;
  assert_int_equal(cplane_test_add(h, TASKS, task_t1), CPLANE_OK);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_drain(h);
  cplane_test_writes_clear(h);
  /* What the API server does to a Task with a finalizer on DELETE. */
  assert_int_equal(
      cplane_test_update(
          h, TASKS,
          "{\"metadata\":{\"name\":\"t1\",\"namespace\":\"default\","
          "\"deletionTimestamp\":\"2026-01-01T00:00:01Z\",\"finalizers\":"
          "[\"other.io/keep\",\"example.cplane.io/cleanup\"]},"
          "\"spec\":{\"delaySeconds\":5}}"),
      CPLANE_OK);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_len(h), 1);
  assert_string_equal(cplane_test_write_at(h, 0)->verb, "patch");
  assert_string_equal(t1(h, "metadata.finalizers[0]", buf, sizeof buf),
                      "other.io/keep");
  assert_string_equal(t1(h, "metadata.finalizers[1]", buf, sizeof buf), "");
  cplane_test_clock_advance_ms(h, 60000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_len(h), 1);
  assert_int_equal(cplane_test_events_count(h, NULL), 0);
  cplane_test_host_free(h);
}

/* A 409 on the finalizer patch (a stale cache) retries; nothing is lost. */
static void test_conflict_retries(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char buf[64];

  (void)state;
  assert_int_equal(cplane_test_add(h, TASKS, task_t1), CPLANE_OK);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_int_equal(cplane_test_fail(h, "patch", TASKS, 1, 409, NULL),
                   CPLANE_OK);
  assert_int_equal(cplane_test_reconcile(h, "default/t1", NULL),
                   CPLANE_RECONCILE_RETRY);
  assert_string_equal(t1(h, "metadata.finalizers[0]", buf, sizeof buf), "");
  cplane_test_clock_advance_ms(h, 10);
  cplane_test_drain(h);
  assert_string_equal(t1(h, "metadata.finalizers[0]", buf, sizeof buf),
                      "example.cplane.io/cleanup");
  cplane_test_host_free(h);
}

/* Were the CRD's schema bypassed, a delay past a day waits a day (no
 * overflow), and one of the wrong type counts as none. */
static void test_bad_delays_are_bounded(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char buf[64];

  (void)state;
  assert_int_equal(
      cplane_test_add(h, TASKS,
                      "{\"metadata\":{\"name\":\"far\",\"namespace\":"
                      "\"default\"},\"spec\":{\"delaySeconds\":"
                      "9000000000000000000}}"),
      CPLANE_OK);
  assert_int_equal(
      cplane_test_add(h, TASKS,
                      "{\"metadata\":{\"name\":\"odd\","
                      "\"namespace\":\"default\"},\"spec\":"
                      "{\"delaySeconds\":\"soon\",\"deleteAfterSeconds\":60}}"),
      CPLANE_OK);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_queued_delay_ms(h, "default/far"),
                   86400LL * 1000);
  assert_string_equal(cplane_test_get_string(h, TASKS, "default/odd",
                                             "status.conditions[0].status", buf,
                                             sizeof buf),
                      "True");
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_done_then_deleted),
      cmocka_unit_test(test_deleted_early_drops_finalizer),
      cmocka_unit_test(test_conflict_retries),
      cmocka_unit_test(test_bad_delays_are_bounded),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
