/*
 * test_service_alloc - the Service address allocator on a real SQLite
 * store: a requested address is taken once, out-of-range and malformed
 * ones are refused, random picks never repeat and fill a small range to
 * the last address, released addresses come back, NodePorts likewise,
 * and the repair pass frees what no Service holds (past its grace) and
 * only that.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apiserver/alloc/service_alloc.h"

struct fixture {
  char dir[64];
  cp_store *store;
};

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  char path[96], *err = NULL;

  assert_non_null(f);
  strcpy(f->dir, "/tmp/cp-svcalloc-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(path, sizeof path, "%s/db", f->dir);
  if (cp_store_sqlite_open(path, NULL, &f->store, &err) != 0)
    fail_msg("%s", err);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  char cmd[128];

  cp_store_close(f->store);
  snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f);
  return 0;
}

static void test_parse(void **state) {
  uint32_t net;
  int bits, lo, hi;

  (void)state;
  assert_int_equal(cp_svc_parse_cidr("10.96.0.0/12", &net, &bits), 0);
  assert_int_equal(net, 0x0a600000u);
  assert_int_equal(bits, 12);
  assert_int_equal(cp_svc_parse_cidr("10.96.0.1/12", &net, &bits), -1);
  assert_int_equal(cp_svc_parse_cidr("10.96.0.0", &net, &bits), -1);
  assert_int_equal(cp_svc_parse_cidr("10.96.0.0/", &net, &bits), -1);
  assert_int_equal(cp_svc_parse_cidr("10.96.0.0/31", &net, &bits), -1);
  assert_int_equal(cp_svc_parse_cidr("fd00::/108", &net, &bits), -1);
  assert_int_equal(cp_svc_parse_ports("30000-32767", &lo, &hi), 0);
  assert_int_equal(lo, 30000);
  assert_int_equal(hi, 32767);
  assert_int_equal(cp_svc_parse_ports("0-10", &lo, &hi), -1);
  assert_int_equal(cp_svc_parse_ports("10-70000", &lo, &hi), -1);
  assert_int_equal(cp_svc_parse_ports("20-10", &lo, &hi), -1);
  assert_int_equal(cp_svc_parse_ports("20-", &lo, &hi), -1);
  assert_null(cp_svc_alloc_new("nonsense", NULL));
  assert_null(cp_svc_alloc_new(NULL, "x"));
}

static void test_requested_ip(void **state) {
  struct fixture *f = *state;
  struct cp_svc_alloc *a = cp_svc_alloc_new(NULL, NULL);
  char ip[16];

  assert_non_null(a);
  cp_svc_alloc_first_ip(a, ip);
  assert_string_equal(ip, "10.96.0.1");
  assert_int_equal(cp_svc_alloc_ip(a, f->store, "10.96.0.10", "default", "a",
                                   ip), 0);
  assert_string_equal(ip, "10.96.0.10");
  assert_int_equal(cp_svc_alloc_ip(a, f->store, "10.96.0.10", "default", "b",
                                   ip), CP_SVC_ETAKEN);
  assert_int_equal(cp_svc_alloc_ip(a, f->store, "10.0.0.5", "default", "b",
                                   ip), CP_SVC_ERANGE);
  /* Network and broadcast addresses are never handed out. */
  assert_int_equal(cp_svc_alloc_ip(a, f->store, "10.96.0.0", "default", "b",
                                   ip), CP_SVC_ERANGE);
  assert_int_equal(cp_svc_alloc_ip(a, f->store, "10.111.255.255", "default",
                                   "b", ip), CP_SVC_ERANGE);
  assert_int_equal(cp_svc_alloc_ip(a, f->store, "10.96.0.x", "default", "b",
                                   ip), CP_SVC_EINVAL);
  cp_svc_release_ip(f->store, "10.96.0.10");
  assert_int_equal(cp_svc_alloc_ip(a, f->store, "10.96.0.10", "default", "b",
                                   ip), 0);
  cp_svc_release_ip(f->store, "10.96.0.77"); /* never taken: no error */
  cp_svc_alloc_free(a);
}

/* A /29 has 6 usable addresses, one of them the kubernetes Service's:
 * random picks hand out the other 5, each once, then the range is full. */
static void test_fills_small_range(void **state) {
  struct fixture *f = *state;
  struct cp_svc_alloc *a = cp_svc_alloc_new("192.168.7.0/29", NULL);
  char ip[16], seen[8][16];
  int i, j;

  assert_non_null(a);
  for (i = 0; i < 5; i++) {
    assert_int_equal(cp_svc_alloc_ip(a, f->store, NULL, "ns", "s", ip), 0);
    for (j = 0; j < i; j++)
      assert_string_not_equal(seen[j], ip);
    assert_string_not_equal(ip, "192.168.7.0");
    assert_string_not_equal(ip, "192.168.7.1");
    assert_string_not_equal(ip, "192.168.7.7");
    strcpy(seen[i], ip);
  }
  assert_int_equal(cp_svc_alloc_ip(a, f->store, NULL, "ns", "s", ip),
                   CP_SVC_EFULL);
  cp_svc_release_ip(f->store, seen[2]);
  assert_int_equal(cp_svc_alloc_ip(a, f->store, "", "ns", "s", ip), 0);
  assert_string_equal(ip, seen[2]);
  cp_svc_alloc_free(a);
}

static void test_node_ports(void **state) {
  struct fixture *f = *state;
  struct cp_svc_alloc *a = cp_svc_alloc_new(NULL, "30000-30003");
  int p, got[4], i, j;

  assert_non_null(a);
  assert_int_equal(cp_svc_alloc_port(a, f->store, 30001, "ns", "s", &p), 0);
  assert_int_equal(p, 30001);
  assert_int_equal(cp_svc_alloc_port(a, f->store, 30001, "ns", "t", &p),
                   CP_SVC_ETAKEN);
  assert_int_equal(cp_svc_alloc_port(a, f->store, 80, "ns", "t", &p),
                   CP_SVC_ERANGE);
  for (i = 0; i < 3; i++) {
    assert_int_equal(cp_svc_alloc_port(a, f->store, 0, "ns", "t", &got[i]),
                     0);
    assert_true(got[i] >= 30000 && got[i] <= 30003 && got[i] != 30001);
    for (j = 0; j < i; j++)
      assert_int_not_equal(got[i], got[j]);
  }
  assert_int_equal(cp_svc_alloc_port(a, f->store, 0, "ns", "t", &p),
                   CP_SVC_EFULL);
  cp_svc_release_port(f->store, 30001);
  assert_int_equal(cp_svc_alloc_port(a, f->store, 0, "ns", "t", &p), 0);
  assert_int_equal(p, 30001);
  assert_string_equal(cp_svc_alloc_ports(a), "30000-30003");
  cp_svc_alloc_free(a);
}

static void put(cp_store *s, const char *key, const char *val) {
  int64_t rev;

  assert_int_equal(cp_store_create(s, key, strlen(key), val, strlen(val),
                                   &rev), 0);
}

static int exists(cp_store *s, const char *key) {
  cp_store_kv kv = {0};
  int rc = cp_store_get(s, key, strlen(key), 0, &kv, NULL);

  if (rc == 0)
    cp_store_kv_free(&kv);
  return rc == 0;
}

/* The repair frees old allocations no Service holds, keeps the held ones
 * and young ones (a create may be under way on another server). */
static void test_repair(void **state) {
  struct fixture *f = *state;
  struct cp_svc_alloc *a = cp_svc_alloc_new(NULL, NULL);
  char ip[16];
  int p;

  assert_non_null(a);
  put(f->store, "services/default/held",
      "{\"spec\":{\"clusterIP\":\"10.96.0.20\",\"clusterIPs\":"
      "[\"10.96.0.20\"],\"ports\":[{\"port\":80,\"nodePort\":30500}]}}");
  put(f->store, "ipaddresses/10.96.0.20",
      "{\"metadata\":{\"creationTimestamp\":\"2020-01-01T00:00:00Z\"}}");
  put(f->store, "servicenodeports/30500",
      "{\"metadata\":{\"creationTimestamp\":\"2020-01-01T00:00:00Z\"}}");
  put(f->store, "ipaddresses/10.96.0.21",
      "{\"metadata\":{\"creationTimestamp\":\"2020-01-01T00:00:00Z\"}}");
  put(f->store, "servicenodeports/30501", "not json");
  assert_int_equal(cp_svc_alloc_ip(a, f->store, "10.96.0.22", "default",
                                   "young", ip), 0);
  assert_int_equal(cp_svc_alloc_port(a, f->store, 30502, "default", "young",
                                     &p), 0);
  assert_int_equal(cp_svc_alloc_repair(f->store, 60), 2);
  assert_true(exists(f->store, "ipaddresses/10.96.0.20"));
  assert_true(exists(f->store, "servicenodeports/30500"));
  assert_false(exists(f->store, "ipaddresses/10.96.0.21"));
  assert_false(exists(f->store, "servicenodeports/30501"));
  assert_true(exists(f->store, "ipaddresses/10.96.0.22"));
  assert_true(exists(f->store, "servicenodeports/30502"));
  /* With no grace the young ones go too. */
  assert_int_equal(cp_svc_alloc_repair(f->store, 0), 2);
  assert_false(exists(f->store, "ipaddresses/10.96.0.22"));
  assert_true(exists(f->store, "ipaddresses/10.96.0.20"));
  cp_svc_alloc_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse),
      cmocka_unit_test_setup_teardown(test_requested_ip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fills_small_range, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_node_ports, setup, teardown),
      cmocka_unit_test_setup_teardown(test_repair, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
