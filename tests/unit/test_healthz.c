/*
 * test_healthz - /healthz, /livez and /readyz bodies and codes as
 * kube-apiserver words them, for a healthy and a failing store (a stub
 * backend whose check answers what the test says).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apiserver/healthz.h"
#include "store/store_impl.h"

static int stub_rc;

static int stub_check(cp_store *s, char **why) {
  (void)s;
  if (stub_rc != CPLANE_OK && why != NULL)
    *why = strdup("etcd unreachable");
  return stub_rc;
}

static const cp_store_ops stub_ops = {.name = "stub", .check = stub_check};
static struct cp_store stub = {.ops = &stub_ops};

static void expect(const char *endpoint, int verbose, int code,
                   const char *body) {
  int got_code = 0;
  size_t len = 0;
  char *got = cp_api_healthz(&stub, endpoint, verbose, &got_code, &len);

  assert_non_null(got);
  assert_int_equal(got_code, code);
  assert_string_equal(got, body);
  assert_int_equal(len, strlen(body));
  free(got);
}

static void test_healthy(void **state) {
  (void)state;
  stub_rc = CPLANE_OK;
  expect("livez", 0, 200, "ok");
  expect("readyz", 0, 200, "ok");
  expect("healthz", 1, 200, "[+]ping ok\n[+]etcd ok\nhealthz check passed\n");
  expect("readyz", 1, 200,
         "[+]ping ok\n[+]etcd ok\n[+]etcd-readiness ok\n"
         "readyz check passed\n");
}

/* A store that cannot serve fails every endpoint with 500 and the check
 * lines even without ?verbose, the reason withheld. */
static void test_store_down(void **state) {
  (void)state;
  stub_rc = CP_STORE_EUNAVAILABLE;
  expect("livez", 0, 500,
         "[+]ping ok\n[-]etcd failed: reason withheld\nlivez check failed\n");
  expect("readyz", 1, 500,
         "[+]ping ok\n[-]etcd failed: reason withheld\n"
         "[-]etcd-readiness failed: reason withheld\nreadyz check failed\n");
  stub_rc = CP_STORE_EIO;
  expect("healthz", 0, 500,
         "[+]ping ok\n[-]etcd failed: reason withheld\n"
         "healthz check failed\n");
}

int main(void) {
  static const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_healthy),
      cmocka_unit_test(test_store_down),
  };

  return cmocka_run_group_tests_name("healthz", tests, NULL, NULL);
}
