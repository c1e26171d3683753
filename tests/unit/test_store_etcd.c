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
  assert_true(collector_wait_int(&col, &col.progress, 1, 30000) >= 1);
  for (i = 0; i < 20; i++) {
    snprintf(key, sizeof key, "f/%02d", i);
    assert_int_equal(cp_store_create(s, S(key), S("v"), &revs[i]), 0);
  }
  assert_int_equal(collector_wait(&col, &col.count, 20, 30000), 20);
  etcd_cluster_kill(&c, 0);
  for (i = 20; i < 40; i++) {
    snprintf(key, sizeof key, "f/%02d", i);
    assert_int_equal(cp_store_create(s, S(key), S("v"), &revs[i]), 0);
  }
  assert_int_equal(cp_store_current_revision(s, &r), 0);
  assert_true(r >= revs[39]);
  assert_int_equal(collector_wait(&col, &col.count, 40, 30000), 40);
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

static cp_store *open_with(const char *const *eps, size_t n,
                           int64_t timeout_ms, int64_t compact_ms) {
  cp_store_etcd_opts o = {0};
  cp_store *s = NULL;
  char *err = NULL;

  o.endpoints = eps;
  o.endpoint_count = n;
  o.prefix = "/shared/";
  o.dial_timeout_ms = 20000;
  o.request_timeout_ms = timeout_ms;
  o.compact_interval_ms = compact_ms;
  if (cp_store_etcd_open(&o, &s, &err) != 0) {
    print_error("etcd open: %s\n", err ? err : "?");
    free(err);
  }
  return s;
}

typedef struct gap_writer {
  cp_store *s;
  int id;
  int stop;          /* atomic */
  int64_t killed_ms;  /* atomic: when the leader was killed, 0 before */
  int ok_after;       /* atomic: writes that succeeded after that */
  int64_t max_gap_ms; /* writer thread until joined */
  int ok, failed;
} gap_writer;

static void *gap_writer_main(void *p) {
  gap_writer *g = p;
  int64_t last = mono_ms(), rev;
  char key[32];
  int i = 0;

  while (!__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE)) {
    snprintf(key, sizeof key, "g/%d/%06d", g->id, i++);
    if (cp_store_create(g->s, S(key), S("v"), &rev) == 0) {
      int64_t now = mono_ms(),
              killed = __atomic_load_n(&g->killed_ms, __ATOMIC_ACQUIRE);

      if (now - last > g->max_gap_ms)
        g->max_gap_ms = now - last;
      last = now;
      g->ok++;
      if (killed > 0 && now > killed)
        __atomic_add_fetch(&g->ok_after, 1, __ATOMIC_RELEASE);
    } else {
      g->failed++;
    }
  }
  if (mono_ms() - last > g->max_gap_ms) /* a write stuck until the end */
    g->max_gap_ms = mono_ms() - last;
  return NULL;
}

/* The etcd leader dies while two API servers' stores write through the
 * followers: the write in flight on a follower waits for a leader that is
 * gone, and used to hold the whole request timeout (5 s, then a 503).
 * Each attempt now gets a share of it and the next member answers once a
 * new leader is elected: the longest time either store goes without a
 * successful write is the figure (goal 1.5 s). */
static void test_leader_kill_write_gap(void **state) {
  etcd_cluster c;
  const char *eps[2][3];
  gap_writer g[2] = {{0}, {0}};
  pthread_t th[2];
  int leader = -1, i, k = 0, f[2];
  int64_t t0;

  if (etcd_cluster_start(&c, 3) != 0)
    fail_msg("cannot start a 3-member etcd cluster");
  for (t0 = mono_ms(); leader < 0 && mono_ms() - t0 < 30000;)
    if ((leader = etcd_cluster_leader(&c)) < 0)
      usleep(100000);
  if (leader < 0) {
    etcd_cluster_stop(&c);
    fail_msg("no etcd leader after 30 s");
  }
  /* Each store talks to its own follower first, the leader last. */
  for (i = 0; i < 3; i++)
    if (i != leader)
      f[k++] = i;
  for (i = 0; i < 2; i++) {
    eps[i][0] = c.endpoints[f[i]];
    eps[i][1] = c.endpoints[f[1 - i]];
    eps[i][2] = c.endpoints[leader];
    g[i].id = i;
    g[i].s = open_with(eps[i], 3, 5000, -1);
  }
  if (g[0].s == NULL || g[1].s == NULL) {
    cp_store_close(g[0].s);
    cp_store_close(g[1].s);
    etcd_cluster_stop(&c);
    fail_msg("cannot open the stores on the cluster");
  }
  for (i = 0; i < 2; i++)
    pthread_create(&th[i], NULL, gap_writer_main, &g[i]);
  usleep(1000000);
  etcd_cluster_kill(&c, leader);
  t0 = mono_ms();
  for (i = 0; i < 2; i++)
    __atomic_store_n(&g[i].killed_ms, t0, __ATOMIC_RELEASE);
  /* Until both write again (a few times) after the kill: at least 4 s,
   * at most 30 (an election on a loaded machine takes what it takes). */
  while (mono_ms() - t0 < 4000 ||
         (mono_ms() - t0 < 30000 &&
          (__atomic_load_n(&g[0].ok_after, __ATOMIC_ACQUIRE) < 3 ||
           __atomic_load_n(&g[1].ok_after, __ATOMIC_ACQUIRE) < 3)))
    usleep(100000);
  for (i = 0; i < 2; i++) {
    __atomic_store_n(&g[i].stop, 1, __ATOMIC_RELEASE);
    pthread_join(th[i], NULL);
    print_message("etcd leader killed under writes through a follower: "
                  "store %d's longest time without a successful write %lld "
                  "ms (%d writes, %d failed)\n",
                  i, (long long)g[i].max_gap_ms, g[i].ok, g[i].failed);
  }
  for (i = 0; i < 2; i++)
    cp_store_close(g[i].s);
  etcd_cluster_stop(&c);
  for (i = 0; i < 2; i++) {
    /* The old code: a write held the whole 5 s request timeout and
     * failed (503). No failed write is what tells it apart, and writes
     * going on after the kill that the store recovered; the gap is the
     * figure printed above (1.3 s idle, 2.0 s seen at load 18 under
     * ASan), not asserted tightly: a loaded CI machine's election takes
     * what it takes. A write stuck past three timeouts is a hang. */
    assert_true(g[i].ok_after >= 3);
    assert_int_equal(g[i].failed, 0);
    assert_true(g[i].max_gap_ms < 15000);
  }
}

static int check_until(cp_store *s, int want_ok, int64_t limit_ms,
                       char **why) {
  int64_t end = mono_ms() + limit_ms;
  int rc;

  for (;;) {
    free(*why);
    *why = NULL;
    rc = cp_store_check(s, why);
    if ((rc == CPLANE_OK) == want_ok || mono_ms() > end)
      return rc;
    usleep(50000);
  }
}

/* cp_store_check follows etcd: fails while the member does not answer
 * (stopped, as a hung etcd), passes again once it does. */
static void test_health_follows_etcd(void **state) {
  etcd_cluster c;
  cp_store *s;
  char *why = NULL;
  int rc;

  if (etcd_cluster_start(&c, 1) != 0)
    fail_msg("cannot start etcd");
  s = open_with(c.endpoints, 1, 1000, -1);
  assert_non_null(s);
  assert_int_equal(cp_store_check(s, &why), CPLANE_OK);
  assert_null(why);
  kill(c.m[0].pid, SIGSTOP);
  rc = check_until(s, 0, 8000, &why);
  kill(c.m[0].pid, SIGCONT);
  assert_int_equal(rc, CP_STORE_EUNAVAILABLE);
  assert_non_null(why);
  assert_non_null(strstr(why, "failed on 1 of 1 endpoint"));
  rc = check_until(s, 1, 8000, &why);
  assert_int_equal(rc, CPLANE_OK);
  free(why);
  cp_store_close(s);
  etcd_cluster_stop(&c);
}

/* Two stores (two API servers) on one etcd compact on their interval:
 * reads and watches below the compaction then fail as compacted. */
static void test_compaction_runs(void **state) {
  etcd_cluster c;
  cp_store *a, *b;
  cp_store_kv kv;
  cp_store_watcher *w;
  collector col;
  int64_t r0, r, end;
  int rc = CPLANE_OK;

  if (etcd_cluster_start(&c, 1) != 0)
    fail_msg("cannot start etcd");
  a = open_with(c.endpoints, 1, 5000, 300);
  b = open_with(c.endpoints, 1, 5000, 300);
  assert_non_null(a);
  assert_non_null(b);
  assert_int_equal(cp_store_create(a, S("c/k"), S("1"), &r0), 0);
  assert_int_equal(cp_store_update(b, S("c/k"), S("2"), r0, &r, NULL), 0);
  for (end = mono_ms() + 30000; mono_ms() < end; usleep(100000)) {
    rc = cp_store_get(b, S("c/k"), r0, &kv, NULL);
    if (rc == CP_STORE_ECOMPACTED)
      break;
    if (rc == CPLANE_OK)
      cp_store_kv_free(&kv);
  }
  assert_int_equal(rc, CP_STORE_ECOMPACTED);
  collector_init(&col);
  assert_int_equal(cp_store_watch(a, S("c/"), r0, collector_cb, &col, &w), 0);
  assert_int_equal(collector_wait_int(&col, &col.compacted, 1, 5000), 1);
  cp_store_watch_cancel(w);
  collector_free(&col);
  cp_store_close(a);
  cp_store_close(b);
  etcd_cluster_stop(&c);
}

/* The member the watch of test_watch_reconnects_into_compaction talks
 * to: a follower, so that stopping it needs no election. -1 when the
 * cluster shows no leader within 20 s. */
static int pick_follower(etcd_cluster *c) {
  int64_t t0 = mono_ms();
  int leader;

  while ((leader = etcd_cluster_leader(c)) < 0 && mono_ms() - t0 < 20000)
    usleep(100000);
  return leader < 0 ? -1 : (leader + 1) % c->n;
}

/* A watch stream that reconnects from a revision compacted while it was
 * away ends with one COMPACTED message (the API server's watch cache then
 * tells its watchers 410 and starts over from a list): its member hangs
 * (SIGSTOP), the others take writes and a compaction, then it dies and
 * the stream reconnects elsewhere.
 *
 * Under load this used to fail when the stopped member (always member 0)
 * was the leader, so the writes waited on an election within a 5 s
 * timeout, or when a slow first answer moved the watching store off
 * member 0. The stopped member is a follower now, and the timeouts are
 * far above what a loaded machine needs. */
static void test_watch_reconnects_into_compaction(void **state) {
  etcd_cluster c;
  const char *eps_a[3], *eps_b[2];
  cp_store *a, *b;
  cp_store_watcher *w;
  collector col;
  int64_t r = 0;
  int i, x;

  if (etcd_cluster_start(&c, 3) != 0)
    fail_msg("cannot start a 3-member etcd cluster");
  if ((x = pick_follower(&c)) < 0) {
    etcd_cluster_stop(&c);
    fail_msg("no etcd leader after 20 s");
  }
  /* a prefers x, where its watch goes; b writes through the others. */
  for (i = 0; i < 3; i++)
    eps_a[i] = c.endpoints[(x + i) % 3];
  eps_b[0] = eps_a[1];
  eps_b[1] = eps_a[2];
  a = open_with(eps_a, 3, 30000, -1);
  b = open_with(eps_b, 2, 30000, -1);
  assert_non_null(a);
  assert_non_null(b);
  collector_init(&col);
  /* From the next revision, not "from now" (0): etcd registers a watch
   * asynchronously, and b's create could commit before a's watch is
   * established and never be seen. */
  assert_int_equal(cp_store_current_revision(a, &r), 0);
  assert_int_equal(cp_store_watch(a, S("wc/"), r + 1, collector_cb, &col,
                                  &w), 0);
  assert_int_equal(cp_store_create(b, S("wc/0"), S("v"), &r), 0);
  assert_int_equal(collector_wait(&col, &col.count, 1, 30000), 1);
  kill(c.m[x].pid, SIGSTOP);
  for (i = 1; i <= 5; i++) {
    char key[16];

    snprintf(key, sizeof key, "wc/%d", i);
    assert_int_equal(cp_store_create(b, S(key), S("v"), &r), 0);
  }
  assert_int_equal(cp_store_compact(b, r), 0);
  etcd_cluster_kill(&c, x);
  assert_int_equal(collector_wait_int(&col, &col.compacted, 1, 30000), 1);
  assert_int_equal(col.compact_rev, r);
  if (col.count != 1)
    fail_msg("the watch saw %zu events: it was not on the stopped member",
             col.count);
  assert_int_equal(col.errors, 0);
  cp_store_watch_cancel(w);
  collector_free(&col);
  cp_store_close(a);
  cp_store_close(b);
  etcd_cluster_stop(&c);
}

int main(void) {
  static const struct CMUnitTest own[] = {
      cmocka_unit_test(test_unreachable_fails_fast),
      cmocka_unit_test(test_bad_endpoint),
      cmocka_unit_test(test_failover_three_members),
      cmocka_unit_test(test_leader_kill_write_gap),
      cmocka_unit_test(test_health_follows_etcd),
      cmocka_unit_test(test_compaction_runs),
      cmocka_unit_test(test_watch_reconnects_into_compaction),
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
