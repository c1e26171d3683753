/*
 * test_store_etcd - the store conformance suite against a real etcd (one
 * member started by the test), plus the faults only a remote store has:
 * an unreachable cluster fails fast with a clear error, and in a
 * 3-member cluster writes and watches carry on when a member is killed.
 */
#include "../store/conformance.c"
#include "../store/etcd_cluster.c"

static etcd_cluster single;
static int store_seq;

static cp_store *open_etcd(const char *const *eps, size_t n, int64_t dial) {
  cp_store_etcd_opts o = {0};
  cp_store *s = NULL;
  char prefix[64], *err = NULL;

  /* Each test gets its own key space on the shared cluster. */
  snprintf(prefix, sizeof prefix, "/t%d-%d/", (int)getpid(), ++store_seq);
  o.endpoints = eps;
  o.endpoint_count = n;
  o.prefix = prefix;
  o.dial_timeout_ms = dial;
  o.request_timeout_ms = 10000;
  if (cp_store_etcd_open(&o, &s, &err) != 0) {
    print_error("etcd open: %s\n", err ? err : "?");
    free(err);
    return NULL;
  }
  return s;
}

static cp_store *open_fresh(void) {
  return open_etcd(single.endpoints, 1, 15000);
}

static const conf_backend etcd_backend = {
    .name = "etcd", .open = open_fresh, .progress_wait_ms = 5000};

static int group_setup(void **state) {
  conf_backend_in_use = &etcd_backend;
  return 0;
}

static void test_unreachable_fails_fast(void **state) {
  cp_store_etcd_opts o = {0};
  char url[64];
  const char *eps[1] = {url};
  cp_store *s = NULL;
  char *err = NULL;
  int64_t t0 = mono_ms();

  snprintf(url, sizeof url, "http://127.0.0.1:%d", etcd_free_port());
  o.endpoints = eps;
  o.endpoint_count = 1;
  o.dial_timeout_ms = 700;
  assert_int_equal(cp_store_etcd_open(&o, &s, &err), CP_STORE_EUNAVAILABLE);
  assert_null(s);
  assert_true(mono_ms() - t0 < 5000);
  assert_non_null(err);
  assert_non_null(strstr(err, url));
  free(err);
}

static void test_bad_endpoint(void **state) {
  cp_store_etcd_opts o = {0};
  const char *eps[1] = {"ftp://x"};
  cp_store *s = NULL;
  char *err = NULL;

  o.endpoints = eps;
  o.endpoint_count = 1;
  assert_int_equal(cp_store_etcd_open(&o, &s, &err), CPLANE_EINVAL);
  assert_non_null(strstr(err, "ftp://x"));
  free(err);
}

/* Kills the member the store talks to: writes move to another member and
 * the watch resumes without losing or repeating an event. */
static void test_failover_three_members(void **state) {
  etcd_cluster c;
  cp_store *s;
  cp_store_watcher *w;
  collector col;
  char key[32];
  int64_t r, revs[40];
  int i;

  if (etcd_cluster_start(&c, 3) != 0)
    fail_msg("cannot start a 3-member etcd cluster");
  s = open_etcd(c.endpoints, 3, 20000);
  if (s == NULL) {
    etcd_cluster_stop(&c);
    fail_msg("cannot open the store on the cluster");
  }
  collector_init(&col);
  assert_int_equal(cp_store_watch(s, S("f/"), 0, collector_cb, &col, &w), 0);
  assert_true(collector_wait_int(&col, &col.progress, 1, 10000) >= 1);
  for (i = 0; i < 20; i++) {
    snprintf(key, sizeof key, "f/%02d", i);
    assert_int_equal(cp_store_create(s, S(key), S("v"), &revs[i]), 0);
  }
  assert_int_equal(collector_wait(&col, &col.count, 20, 10000), 20);
  etcd_cluster_kill(&c, 0);
  for (i = 20; i < 40; i++) {
    snprintf(key, sizeof key, "f/%02d", i);
    assert_int_equal(cp_store_create(s, S(key), S("v"), &revs[i]), 0);
  }
  assert_int_equal(cp_store_current_revision(s, &r), 0);
  assert_true(r >= revs[39]);
  assert_int_equal(collector_wait(&col, &col.count, 40, 20000), 40);
  for (i = 0; i < 40; i++) {
    snprintf(key, sizeof key, "f/%02d", i);
    kv_is(&col.events[i].kv, key, "v");
    assert_int_equal(col.events[i].kv.mod_revision, revs[i]);
  }
  usleep(200000);
  assert_int_equal(col.count, 40);
  assert_int_equal(col.out_of_order, 0);
  cp_store_watch_cancel(w);
  collector_free(&col);
  cp_store_close(s);
  etcd_cluster_stop(&c);
}

int main(void) {
  static const struct CMUnitTest own[] = {
      cmocka_unit_test(test_unreachable_fails_fast),
      cmocka_unit_test(test_bad_endpoint),
      cmocka_unit_test(test_failover_three_members),
  };
  int rc;

  if (etcd_cluster_start(&single, 1) != 0) {
    fprintf(stderr, "FAIL: cannot start etcd for the store tests\n");
    return 1;
  }
  rc = cmocka_run_group_tests_name("store conformance: etcd",
                                   conformance_tests, group_setup, NULL);
  etcd_cluster_stop(&single);
  rc |= cmocka_run_group_tests_name("store etcd", own, group_setup, NULL);
  return rc;
}
