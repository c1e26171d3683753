/*
 * test_nodelifecycle - the nodelifecycle plugin's pure modules: finding
 * the unreachable taint and its timeAdded, how long a pod tolerates it,
 * and the eviction FIFO's once-only queueing and token bucket on an
 * injected clock. Objects come from the host's own object code through
 * cp_host_api(), as the plugin sees them. The whole controller is tested
 * on the kit in test_kit_nodelifecycle.
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

#include "evictq.h"
#include "taints.h"

static const struct cplane_host_api *api;

static const cplane_object *obj(const char *json) {
  return plugin_obj(api, json);
}

static void test_find_taint(void **state) {
  const cplane_object *n =
      obj("{'spec':{'taints':[{'key':'dedicated','effect':'NoExecute'},"
          "{'key':'node.kubernetes.io/unreachable','effect':'NoSchedule'},"
          "{'key':'node.kubernetes.io/unreachable','effect':'NoExecute',"
          "'timeAdded':'2026-01-01T00:00:10Z'}]}}");
  const cplane_object *bare = obj("{'spec':{}}");

  (void)state;
  assert_int_equal(nl_find_taint(api, n), 2);
  assert_int_equal(nl_find_taint_effect(api, n, "NoSchedule"), 1);
  assert_int_equal(nl_find_taint_effect(api, n, "PreferNoSchedule"), -1);
  assert_int_equal(nl_find_taint(api, bare), -1);
  assert_true(nl_taint_time(api, n, 2, 0) == 1767225610.0);
  assert_true(nl_taint_time(api, n, 1, 42.5) == 42.5); /* no timeAdded */
  api->object_release(n);
  api->object_release(bare);
}

static int64_t tol(const char *tolerations) {
  char json[1024];
  const cplane_object *p;
  int64_t s;

  snprintf(json, sizeof json, "{'spec':{'tolerations':%s}}", tolerations);
  p = obj(json);
  s = nl_toleration_s(api, p, 300);
  api->object_release(p);
  return s;
}

/* Kubernetes' toleration matching against the value-less NoExecute
 * taint node.kubernetes.io/unreachable. */
static void test_toleration_seconds(void **state) {
  (void)state;
  assert_int_equal(tol("[]"), 300); /* none: the default */
  assert_int_equal(
      tol("[{'key':'node.kubernetes.io/unreachable','operator':'Exists',"
          "'effect':'NoExecute','tolerationSeconds':30}]"),
      30);
  /* No tolerationSeconds: tolerated for ever. */
  assert_int_equal(
      tol("[{'key':'node.kubernetes.io/unreachable','operator':'Exists'}]"),
      -1);
  /* An empty key with Exists tolerates every taint. */
  assert_int_equal(tol("[{'operator':'Exists','tolerationSeconds':5}]"), 5);
  /* An empty key without Exists tolerates nothing. */
  assert_int_equal(tol("[{'operator':'Equal','tolerationSeconds':5}]"), 300);
  /* Equal needs the taint's (empty) value. */
  assert_int_equal(
      tol("[{'key':'node.kubernetes.io/unreachable','operator':'Equal',"
          "'value':'x','tolerationSeconds':5}]"),
      300);
  assert_int_equal(
      tol("[{'key':'node.kubernetes.io/unreachable','operator':'Equal',"
          "'tolerationSeconds':7}]"),
      7);
  /* Another effect or key does not match. */
  assert_int_equal(
      tol("[{'key':'node.kubernetes.io/unreachable','operator':'Exists',"
          "'effect':'NoSchedule','tolerationSeconds':5},{'key':'other',"
          "'operator':'Exists','tolerationSeconds':6}]"),
      300);
  /* The shortest of several wins; negative counts as 0. */
  assert_int_equal(tol("[{'operator':'Exists','tolerationSeconds':50},{'key':"
                       "'node.kubernetes.io/unreachable','operator':'Exists',"
                       "'tolerationSeconds':20}]"),
                   20);
  assert_int_equal(tol("[{'operator':'Exists','tolerationSeconds':-4}]"), 0);
}

/* Each key once while queued; FIFO order; a popped key may come again. */
static void test_evictq_once_and_fifo(void **state) {
  struct nl_evictq q;
  struct nl_evictee *e;
  uint32_t wait = 99;

  (void)state;
  assert_int_equal(nl_evictq_init(&q, 100, 10, 1000.0), CPLANE_OK);
  assert_null(nl_evictq_pop(&q, 1000.0, &wait));
  assert_int_equal(wait, 0); /* empty */
  assert_int_equal(nl_evictq_push(&q, "ns/a"), 1);
  assert_int_equal(nl_evictq_push(&q, "ns/b"), 1);
  assert_int_equal(nl_evictq_push(&q, "ns/a"), 0);
  e = nl_evictq_pop(&q, 1000.0, &wait);
  assert_string_equal(e->key, "ns/a");
  free(e);
  assert_int_equal(nl_evictq_push(&q, "ns/a"), 1);
  e = nl_evictq_pop(&q, 1000.0, &wait);
  assert_string_equal(e->key, "ns/b");
  free(e);
  nl_evictq_free(&q); /* frees the queued ns/a */
}

/* A burst of 2, then one per 1/rate seconds: pop says how long to wait. */
static void test_evictq_rate_limit(void **state) {
  struct nl_evictq q;
  struct nl_evictee *e;
  uint32_t wait = 0;
  int i;

  (void)state;
  assert_int_equal(nl_evictq_init(&q, 2, 2, 50.0), CPLANE_OK);
  for (i = 0; i < 4; i++) {
    char k[8];

    snprintf(k, sizeof k, "p%d", i);
    assert_int_equal(nl_evictq_push(&q, k), 1);
  }
  for (i = 0; i < 2; i++) {
    assert_non_null(e = nl_evictq_pop(&q, 50.0, &wait));
    free(e);
    nl_evictq_spent(&q);
  }
  /* Bucket empty: half a second for the next token at 2/s. */
  assert_null(nl_evictq_pop(&q, 50.0, &wait));
  assert_true(wait >= 500 && wait <= 502);
  assert_null(nl_evictq_pop(&q, 50.25, &wait));
  assert_true(wait >= 250 && wait <= 252);
  assert_non_null(e = nl_evictq_pop(&q, 50.5, &wait));
  assert_string_equal(e->key, "p2");
  free(e);
  nl_evictq_spent(&q);
  /* A long pause refills no more than the burst. */
  assert_non_null(e = nl_evictq_pop(&q, 500.0, &wait));
  free(e);
  nl_evictq_spent(&q);
  assert_null(nl_evictq_pop(&q, 500.0, &wait));
  assert_int_equal(wait, 0); /* empty, with a token left */
  assert_true(q.tokens >= 0.99 && q.tokens <= 1.01);
  nl_evictq_free(&q);
}

static void test_ms_until(void **state) {
  (void)state;
  assert_int_equal(nl_ms_until(10.0, 10.0), 1);
  assert_int_equal(nl_ms_until(5.0, 10.0), 1);
  assert_int_equal(nl_ms_until(11.5, 10.0), 1501);
  assert_int_equal(nl_ms_until(1e9, 0), 3600000u);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_find_taint),
      cmocka_unit_test(test_toleration_seconds),
      cmocka_unit_test(test_evictq_once_and_fifo),
      cmocka_unit_test(test_evictq_rate_limit),
      cmocka_unit_test(test_ms_until),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
