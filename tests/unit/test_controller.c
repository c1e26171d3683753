/*
 * test_controller - a real plugin (the `good` fixture) run by the host:
 * events fed into the shared informers reach its callbacks, the keys it
 * enqueues are reconciled, a key is never on two workers at once, errors
 * are retried with growing delays, and the host API table behaves as the
 * SDK documents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "informer/informer.h"
#include "log/log.h"
#include "object/object.h"
#include "plugin/plugin.h"
#include "plugin/registry.h"
#include "workqueue/workqueue.h"

#include "../plugins/good_stats.h"

struct fixture {
  struct cp_config *cfg;
  struct cp_registry reg;
  struct cplane_plugin_ctx *good;
  struct good_stats *stats;
  char ini[64];
  char greeting[64]; /* what init read from the INI, before the reset */
};

static void plugin_dir(char *out, size_t len) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

  assert_true(n > 0);
  exe[n] = '\0';
  *strrchr(exe, '/') = '\0';
  assert_true(snprintf(out, len, "%s/plugins", exe) < (int)len);
}

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  char dir[PATH_MAX], *err = NULL;
  FILE *fp;
  good_stats_fn stats;

  cp_log_set_level(CPLANE_LOG_ERROR);
  plugin_dir(dir, sizeof dir);
  strcpy(f->ini, "/tmp/cplane-ctl-XXXXXX");
  assert_true(mkstemp(f->ini) >= 0);
  fp = fopen(f->ini, "w");
  fputs("[plugin.good]\nenabled = true\nworkers = 4\ngreeting = hi\n"
        "reconcile_deadline = 5s\n", fp);
  fclose(fp);
  if (cp_config_load(f->ini, &f->cfg, &err) != 0)
    fail_msg("%s", err);
  assert_int_equal(cp_registry_load(&f->reg, f->cfg, dir, 1, &err), 0);
  f->good = cp_registry_find(&f->reg, "good");
  assert_non_null(f->good);
  *(void **)&stats = dlsym(f->good->dl, "fixture_good_stats");
  assert_non_null(stats);
  f->stats = stats();
  /* The fixture's counters are static and outlive a test (the .so is
   * never unloaded): keep what init saw, then start from zero. */
  snprintf(f->greeting, sizeof f->greeting, "%s", f->stats->last_config);
  memset(f->stats, 0, sizeof *f->stats);
  assert_int_equal(cp_registry_start(&f->reg, &err), 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;

  cp_registry_free(&f->reg);
  assert_int_equal(f->stats->finis, 1);
  cp_config_free(f->cfg);
  unlink(f->ini);
  free(f);
  return 0;
}

static cplane_object *pod(const char *ns, const char *name, int rv) {
  char json[512];
  cplane_object *obj = NULL;
  char *err = NULL;

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
           "\"%s\",\"namespace\":\"%s\",\"resourceVersion\":\"%d\","
           "\"uid\":\"u-%s\"},\"spec\":{\"nodeName\":\"n1\"}}",
           name, ns, rv, name);
  assert_int_equal(cp_object_parse(json, strlen(json), &obj, &err), 0);
  return obj;
}

/* Waits up to 5 s for *counter >= want. */
static void wait_for(atomic_int *counter, int want) {
  int i;

  for (i = 0; i < 500 && atomic_load(counter) < want; i++)
    usleep(10000);
  assert_true(atomic_load(counter) >= want);
}

static void test_events_reach_callbacks_and_reconcile(void **state) {
  struct fixture *f = *state;
  struct cp_informer *pods = f->good->informers[0];
  char name[32];
  int i;

  assert_string_equal(f->greeting, "hi");
  for (i = 0; i < 50; i++) {
    snprintf(name, sizeof name, "p%d", i);
    assert_int_equal(cp_informer_upsert(pods, pod("ns1", name, i + 1)), 0);
  }
  wait_for(&f->stats->adds, 50);
  wait_for(&f->stats->reconciles, 50);
  assert_int_equal(cp_informer_upsert(pods, pod("ns1", "p0", 100)), 0);
  wait_for(&f->stats->updates, 1);
  assert_int_equal(cp_informer_delete(pods, "ns1/p1"), 0);
  wait_for(&f->stats->deletes, 1);
  wait_for(&f->stats->reconciles, 52);
  assert_int_equal(f->stats->overlaps, 0);
  assert_int_equal(f->stats->adds, 50);
  assert_int_equal(atomic_load(&f->good->reconcile_errors), 0);
}

static void test_hot_keys_never_on_two_workers(void **state) {
  struct fixture *f = *state;
  const struct cplane_host_api *api = cp_host_api();
  char key[16];
  int round, k;

  /* 8 keys hammered with enqueues while 4 workers reconcile. */
  for (round = 0; round < 2000; round++) {
    for (k = 0; k < 8; k++) {
      snprintf(key, sizeof key, "ns/k%d", k);
      assert_int_equal(api->enqueue(f->good, key), CPLANE_OK);
    }
  }
  usleep(200000);
  assert_int_equal(f->stats->overlaps, 0);
  assert_true(f->stats->reconciles >= 8);
}

static void test_errors_retry_with_backoff(void **state) {
  struct fixture *f = *state;
  const struct cplane_host_api *api = cp_host_api();
  struct timespec t0, t1;
  double ms;

  atomic_store(&f->stats->retries_left, 4);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(api->enqueue(f->good, "ns/flaky"), CPLANE_OK);
  wait_for(&f->stats->reconciles, 5);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
  /* 4 failures back off 5 + 10 + 20 + 40 ms before the fifth run. */
  assert_true(ms >= 70.0);
  assert_int_equal(atomic_load(&f->good->reconcile_errors), 4);
}

static void test_host_api_table(void **state) {
  struct fixture *f = *state;
  const struct cplane_host_api *api = cp_host_api();
  const cplane_object *obj = NULL, *created = NULL;
  cplane_object_list *list = NULL;
  char *msg = NULL, *json;
  static const struct cplane_resource pods = CPLANE_RESOURCE("", "v1", "pods");

  assert_int_equal(api->struct_size, sizeof *api);
  assert_int_equal(api->abi_major, CPLANE_ABI_MAJOR);
  assert_true(CPLANE_API_HAS(api, string_dup));
  assert_string_equal(api->plugin_name(f->good), "good");
  assert_string_equal(api->config_get(f->good, "greeting"), "hi");
  assert_string_equal(api->config_get(f->good, "workers"), "4");
  assert_null(api->config_get(f->good, "absent"));
  assert_int_equal(api->enqueue(f->good, ""), CPLANE_EINVAL);

  assert_int_equal(cp_informer_upsert(f->good->informers[0],
                                      pod("a", "x", 1)), 0);
  assert_int_equal(cp_informer_upsert(f->good->informers[0],
                                      pod("b", "y", 2)), 0);
  assert_int_equal(api->cache_get(f->good, 0, "a/x", &obj), CPLANE_OK);
  assert_string_equal(api->object_name(obj), "x");
  api->object_release(obj);
  assert_int_equal(api->cache_get(f->good, 0, "a/nope", &obj), CPLANE_ENOENT);
  assert_null(obj);
  assert_int_equal(api->cache_get(f->good, 7, "a/x", &obj), CPLANE_EINVAL);
  assert_int_equal(api->cache_list(f->good, 0, "b", NULL, &list), CPLANE_OK);
  assert_int_equal(api->list_len(list), 1);
  assert_string_equal(api->object_key(api->list_at(list, 0)), "b/y");
  assert_null(api->list_at(list, 1));
  api->list_free(list);
  /* The fixture's init asked for a node index on spec.nodeName. */
  assert_int_equal(api->cache_list_by_index(f->good, 0, "node", "n1", NULL,
                                            &list), CPLANE_OK);
  assert_true(api->list_len(list) >= 2);
  api->list_free(list);
  assert_int_equal(api->cache_list(f->good, 0, NULL, "a in (", &list),
                   CPLANE_EINVAL);
  assert_null(list);

  json = api->json_format("{'metadata':{'name':%s},'n':%d}", "q\"uote", 3);
  assert_string_equal(json, "{\"metadata\":{\"name\":\"q\\\"uote\"},\"n\":3}");
  api->free(json);

  /* No API server yet: writes say so instead of pretending. */
  assert_int_equal(api->create(f->good, &pods, "a", "{}", &created, &msg),
                   CPLANE_EUNAVAILABLE);
  assert_null(created);
  assert_non_null(strstr(msg, "no API server"));
  api->free(msg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_events_reach_callbacks_and_reconcile, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hot_keys_never_on_two_workers,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors_retry_with_backoff, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_host_api_table, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
