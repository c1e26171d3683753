/*
 * test_store_etcd_tls - the etcd backend over TLS against a real etcd that
 * demands client certificates (--client-cert-auth): the whole store
 * conformance suite runs over https, and each way TLS can be misconfigured
 * fails at open with a message naming the cause.
 */
#include "../store/conformance.c"
#include "../store/etcd_cluster.c"

static etcd_cluster tls_cluster;
static int store_seq;

/* Opens the TLS member with the given credentials (NULL: none). */
static const char *const *endpoints;

static int open_tls(const char *ca, const char *cert, const char *key,
                    int64_t dial, cp_store **out, char **err) {
  cp_store_etcd_opts o = {0};
  char prefix[64];

  snprintf(prefix, sizeof prefix, "/tls%d-%d/", (int)getpid(), ++store_seq);
  o.endpoints = endpoints != NULL ? endpoints : tls_cluster.endpoints;
  o.endpoint_count = 1;
  o.prefix = prefix;
  o.ca_file = ca;
  o.cert_file = cert;
  o.key_file = key;
  o.dial_timeout_ms = dial;
  o.request_timeout_ms = 10000;
  *out = NULL;
  *err = NULL;
  return cp_store_etcd_open(&o, out, err);
}

static cp_store *open_fresh(void) {
  cp_store *s;
  char *err;

  if (open_tls(tls_cluster.ca, tls_cluster.cert, tls_cluster.key, 15000, &s,
               &err) != 0) {
    print_error("etcd TLS open: %s\n", err ? err : "?");
    free(err);
    return NULL;
  }
  return s;
}

static const conf_backend etcd_tls_backend = {
    .name = "etcd-tls", .open = open_fresh, .progress_wait_ms = 5000};

static int group_setup(void **state) {
  conf_backend_in_use = &etcd_tls_backend;
  return 0;
}

/* Open must fail with rc and a message containing want. */
static void expect_open_fails(const char *ca, const char *cert,
                              const char *key, int rc, const char *want) {
  cp_store *s;
  char *err;

  assert_int_equal(open_tls(ca, cert, key, 1500, &s, &err), rc);
  assert_null(s);
  assert_non_null(err);
  if (strstr(err, want) == NULL)
    fail_msg("open error \"%s\" lacks \"%s\"", err, want);
  free(err);
}

static void test_server_signed_by_another_ca(void **state) {
  expect_open_fails(tls_cluster.rogue_ca, tls_cluster.cert, tls_cluster.key,
                    CP_STORE_EUNAVAILABLE, "server certificate rejected");
}

static void test_name_mismatch(void **state) {
  /* The certificate names IP 127.0.0.1, not "localhost". */
  char url[64];
  const char *eps[1] = {url};

  snprintf(url, sizeof url, "https://localhost:%d",
           tls_cluster.m[0].client_port);
  endpoints = eps;
  expect_open_fails(tls_cluster.ca, tls_cluster.cert, tls_cluster.key,
                    CP_STORE_EUNAVAILABLE, "server certificate rejected");
  endpoints = NULL;
}

static void test_no_client_certificate(void **state) {
  /* etcd closes the handshake: unreachable, with OpenSSL's reason. */
  expect_open_fails(tls_cluster.ca, NULL, NULL, CP_STORE_EUNAVAILABLE,
                    "TLS: ");
}

static void test_missing_ca_file(void **state) {
  expect_open_fails(NULL, tls_cluster.cert, tls_cluster.key, CPLANE_EINVAL,
                    "uses https but no CA file");
  expect_open_fails("/nonexistent/ca.pem", tls_cluster.cert,
                    tls_cluster.key, CPLANE_EINVAL,
                    "cannot load the CA file '/nonexistent/ca.pem'");
}

static void test_bad_client_key(void **state) {
  expect_open_fails(tls_cluster.ca, tls_cluster.cert, NULL, CPLANE_EINVAL,
                    "needs both cert_file and key_file");
  /* The CA's key does not belong to the client certificate. */
  expect_open_fails(tls_cluster.ca, tls_cluster.cert, tls_cluster.ca,
                    CPLANE_EINVAL, "client key");
}

int main(void) {
  static const struct CMUnitTest own[] = {
      cmocka_unit_test(test_server_signed_by_another_ca),
      cmocka_unit_test(test_name_mismatch),
      cmocka_unit_test(test_no_client_certificate),
      cmocka_unit_test(test_missing_ca_file),
      cmocka_unit_test(test_bad_client_key),
  };
  int rc;

  if (etcd_cluster_start_tls(&tls_cluster) != 0) {
    fprintf(stderr, "FAIL: cannot start a TLS etcd for the store tests\n");
    return 1;
  }
  rc = cmocka_run_group_tests_name("store etcd TLS", own, group_setup, NULL);
  rc |= cmocka_run_group_tests_name("store conformance: etcd over TLS",
                                    conformance_tests, group_setup, NULL);
  etcd_cluster_stop(&tls_cluster);
  return rc;
}
