/*
 * test_requeue - what the host does with a plugin's REQUEUE_AFTER (the
 * `requeuer` fixture): a 0 delay no longer spins a worker on one key (it
 * reconciled 20,000 times in 5 ms) but goes through the rate limiter,
 * with one WARN per plugin and a count; a real delay is a planned
 * requeue, not a retry, so workqueue_retries_total stays 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock/clock.h"
#include "config/config.h"
#include "log/log.h"
#include "plugin/plugin.h"
#include "plugin/registry.h"

struct fixture {
  struct cp_config *cfg;
  struct cp_registry reg;
  struct cplane_plugin_ctx *p;
  atomic_int *reconciles;
  char log[64]; /* the host's log lines, read back by the tests */
  int log_fd;
};

static void plugin_dir(char *out, size_t len) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

  assert_true(n > 0);
  exe[n] = '\0';
  *strrchr(exe, '/') = '\0';
  assert_true(snprintf(out, len, "%s/plugins", exe) < (int)len);
}

/* Loads and starts the requeuer with delay_ms = `delay`. */
static struct fixture *start(const char *delay) {
  struct fixture *f = calloc(1, sizeof *f);
  char dir[PATH_MAX], ini[256], *err = NULL;
  atomic_int *(*counter)(void);

  assert_non_null(f);
  plugin_dir(dir, sizeof dir);
  snprintf(ini, sizeof ini, "[plugin.requeuer]\nenabled = true\n"
                            "workers = 2\ndelay_ms = %s\n", delay);
  if (cp_config_parse("t.ini", ini, strlen(ini), &f->cfg, &err) != 0)
    fail_msg("%s", err);
  strcpy(f->log, "/tmp/cplane-requeue-XXXXXX");
  f->log_fd = mkstemp(f->log);
  assert_true(f->log_fd >= 0);
  cp_log_set_fd(f->log_fd);
  cp_log_set_repeat_window_ms(0);
  cp_log_set_level(CPLANE_LOG_WARN);
  assert_int_equal(cp_registry_load(&f->reg, f->cfg, dir, 1, &err), 0);
  f->p = cp_registry_find(&f->reg, "requeuer");
  assert_non_null(f->p);
  *(void **)&counter = dlsym(f->p->dl, "fixture_requeuer_reconciles");
  assert_non_null(counter);
  f->reconciles = counter();
  atomic_store(f->reconciles, 0);
  assert_int_equal(cp_registry_start(&f->reg, &err), 0);
  return f;
}

static void stop(struct fixture *f) {
  cp_registry_free(&f->reg);
  cp_log_set_fd(2);
  close(f->log_fd);
  unlink(f->log);
  cp_config_free(f->cfg);
  free(f);
}

/* How many lines of the log so far contain `what`. */
static int log_count(struct fixture *f, const char *what) {
  char line[1024];
  int n = 0;
  FILE *in = fopen(f->log, "r");

  assert_non_null(in);
  while (fgets(line, sizeof line, in) != NULL)
    n += strstr(line, what) != NULL;
  fclose(in);
  return n;
}

static char *metrics(struct fixture *f) {
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);

  assert_non_null(out);
  assert_int_equal(cp_registry_metrics_write(&f->reg, out), 0);
  fclose(out);
  return buf;
}

/* At most how many reconciles two keys requeued at once with a 0 delay
 * may have run in elapsed_ms: each runs once, then again after 5, 10, 20
 * ms... of backoff; twice that plus two for slack. */
static int most_reconciles(int64_t elapsed_ms) {
  int64_t t = 0, d = 5;
  int per_key = 1;

  for (; t + d <= elapsed_ms; t += d, d *= 2)
    per_key++;
  return 2 * (per_key + 2);
}

static void test_zero_delay_is_rate_limited(void **state) {
  struct fixture *f = start("0");
  const struct cplane_host_api *api = cp_host_api();
  char *text;
  int64_t t0;
  int n, i;

  (void)state;
  t0 = cp_now_ms();
  assert_int_equal(api->enqueue(f->p, "ns/a"), CPLANE_OK);
  assert_int_equal(api->enqueue(f->p, "ns/b"), CPLANE_OK);
  for (i = 0; i < 3000 && atomic_load(f->reconciles) < 2; i++)
    usleep(10000);
  usleep(50000);
  n = atomic_load(f->reconciles);
  /* Backoff 5, 10, 20, 40 ms per key: a handful in 50 ms, where the old
   * host ran thousands. The bound follows the time that really passed
   * (a loaded machine may sleep far longer than asked). */
  assert_true(n >= 2);
  assert_true(n <= most_reconciles(cp_now_ms() - t0));
  assert_int_equal(log_count(f, "REQUEUE_AFTER with a delay of 0 ms"), 1);
  text = metrics(f);
  assert_non_null(strstr(text, "controller_runtime_reconcile_total{"
                               "controller=\"requeuer\",result=\"requeue\"}"));
  assert_null(strstr(text, "workqueue_retries_total{name=\"requeuer\"} 0\n"));
  assert_non_null(strstr(text, "controller_runtime_reconcile_total{"
                               "controller=\"requeuer\",result=\"success\"} "
                               "0\n"));
  free(text);
  stop(f);
}

static void test_requeue_after_is_no_retry(void **state) {
  struct fixture *f = start("10");
  const struct cplane_host_api *api = cp_host_api();
  char *text;
  int i;

  (void)state;
  assert_int_equal(api->enqueue(f->p, "ns/a"), CPLANE_OK);
  for (i = 0; i < 3000 && atomic_load(f->reconciles) < 3; i++)
    usleep(10000);
  assert_true(atomic_load(f->reconciles) >= 3);
  text = metrics(f);
  assert_non_null(strstr(text, "workqueue_retries_total{name=\"requeuer\"} "
                               "0\n"));
  assert_non_null(strstr(text, "controller_runtime_reconcile_total{"
                               "controller=\"requeuer\",result=\"requeue\"} "
                               "0\n"));
  assert_null(strstr(text, "controller_runtime_reconcile_total{"
                           "controller=\"requeuer\",result=\"requeue_after\"}"
                           " 0\n"));
  free(text);
  assert_int_equal(log_count(f, "REQUEUE_AFTER"), 0);
  stop(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_zero_delay_is_rate_limited),
      cmocka_unit_test(test_requeue_after_is_no_retry),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
