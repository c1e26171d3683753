/*
 * Unit tests for CertificateSigningRequest signing: the built-in
 * signers' rules (csr_signer.c, kube's messages word for word), the
 * certificate pki_sign.c issues (subject and SANs from the request,
 * usages, duration capped at the CA's end, CA:FALSE), the approval
 * subresource's merge (csr_approval.c: only status.conditions change),
 * and the aggregator's discovery merge (a remote group listed once, a
 * remote version replacing a local one).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "apiserver/aggregator/aggregator_table.h"
#include "apiserver/csr_approval.h"
#include "apiserver/csr_signer.h"
#include "apiserver/pki.h"
#include "apiserver/pki_sign.h"

/* A PEM CSR for a fresh P-256 key with subject CN/O (o may be NULL) and
 * an optional subjectAltName (OpenSSL config syntax). malloc'd. */
static char *make_csr(const char *cn, const char *o, const char *san) {
  EVP_PKEY *k = EVP_EC_gen("P-256");
  X509_REQ *r = X509_REQ_new();
  X509_NAME *n = X509_REQ_get_subject_name(r);
  BIO *b = BIO_new(BIO_s_mem());
  char *data, *out;
  long len;

  assert_non_null(k);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn,
                             -1, -1, 0);
  if (o != NULL)
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
                               (const unsigned char *)o, -1, -1, 0);
  if (san != NULL) {
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *e =
        X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);

    assert_non_null(e);
    sk_X509_EXTENSION_push(exts, e);
    X509_REQ_add_extensions(r, exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  }
  X509_REQ_set_pubkey(r, k);
  assert_true(X509_REQ_sign(r, k, EVP_sha256()) > 0);
  PEM_write_bio_X509_REQ(b, r);
  len = BIO_get_mem_data(b, &data);
  /* The BIO's bytes have no NUL after them: strndup would look for one. */
  out = malloc((size_t)len + 1);
  assert_non_null(out);
  memcpy(out, data, (size_t)len);
  out[len] = '\0';
  BIO_free(b);
  X509_REQ_free(r);
  EVP_PKEY_free(k);
  return out;
}

static int check(const char *signer, const char *pem, const char *const *u,
                 size_t n, const char **why) {
  return cp_csr_signer_check(signer, (const unsigned char *)pem, strlen(pem),
                             u, n, why);
}

static void test_client_signer(void **state) {
  const char *ok[] = {"client auth", "digital signature"};
  const char *bad[] = {"client auth", "server auth"};
  const char *none[] = {"digital signature"};
  char *pem = make_csr("alice", "devs", NULL);
  const char *why;

  (void)state;
  assert_int_equal(check("kubernetes.io/kube-apiserver-client", pem, ok, 2,
                         &why), 0);
  assert_int_equal(check("kubernetes.io/kube-apiserver-client", pem, bad, 2,
                         &why), 1);
  assert_string_equal(why, "invalid usage for client certificate: server "
                           "auth");
  assert_int_equal(check("kubernetes.io/kube-apiserver-client", pem, none, 1,
                         &why), 1);
  assert_string_equal(why, "missing required usage for client certificate: "
                           "client auth");
  /* Unknown signers are someone else's. */
  assert_int_equal(check("example.com/x", pem, ok, 2, &why), -1);
  free(pem);
}

static void test_kubelet_signers(void **state) {
  const char *client[] = {"digital signature", "key encipherment",
                          "client auth"};
  const char *serving[] = {"server auth", "digital signature"};
  char *good = make_csr("system:node:n1", "system:nodes", NULL);
  char *org = make_csr("system:node:n1", "devs", NULL);
  char *cn = make_csr("n1", "system:nodes", NULL);
  char *dns = make_csr("system:node:n1", "system:nodes", "DNS:n1.example");
  const char *why;

  (void)state;
  assert_int_equal(check("kubernetes.io/kube-apiserver-client-kubelet", good,
                         client, 3, &why), 0);
  assert_int_equal(check("kubernetes.io/kube-apiserver-client-kubelet", org,
                         client, 3, &why), 1);
  assert_string_equal(why, "subject organization is not system:nodes");
  assert_int_equal(check("kubernetes.io/kube-apiserver-client-kubelet", cn,
                         client, 3, &why), 1);
  assert_string_equal(why, "subject common name does not begin with "
                           "system:node:");
  assert_int_equal(check("kubernetes.io/kube-apiserver-client-kubelet", dns,
                         client, 3, &why), 1);
  assert_string_equal(why, "DNS subjectAltNames are not allowed");
  assert_int_equal(check("kubernetes.io/kube-apiserver-client-kubelet", good,
                         serving, 2, &why), 1);
  assert_string_equal(why, "usages did not match [client auth digital "
                           "signature key encipherment]");
  assert_int_equal(check("kubernetes.io/kubelet-serving", dns, serving, 2,
                         &why), 0);
  assert_int_equal(check("kubernetes.io/kubelet-serving", good, serving, 2,
                         &why), 1);
  assert_string_equal(why, "DNS or IP subjectAltName is required");
  free(good);
  free(org);
  free(cn);
  free(dns);
}

/* A CA valid for days, written to dir/ca.crt and ca.key. */
static void make_ca(const char *dir, long days) {
  EVP_PKEY *k = EVP_EC_gen("P-256");
  X509 *x = X509_new();
  char path[512];
  FILE *f;

  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_set_version(x, 2);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), days * 86400);
  X509_set_pubkey(x, k);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             (const unsigned char *)"test-ca", -1, -1, 0);
  X509_set_issuer_name(x, X509_get_subject_name(x));
  assert_true(X509_sign(x, k, EVP_sha256()) > 0);
  snprintf(path, sizeof path, "%s/ca.crt", dir);
  assert_non_null(f = fopen(path, "w"));
  PEM_write_X509(f, x);
  fclose(f);
  snprintf(path, sizeof path, "%s/ca.key", dir);
  assert_non_null(f = fopen(path, "w"));
  PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
  fclose(f);
  X509_free(x);
  EVP_PKEY_free(k);
}

/* Signs pem for seconds with dir's CA; the certificate parsed. */
static X509 *sign(const char *dir, const char *pem, int64_t seconds) {
  const char *u[] = {"client auth", "digital signature"};
  char crt[512], key[512], *err = NULL, *out;
  BIO *b;
  X509 *x;

  snprintf(crt, sizeof crt, "%s/ca.crt", dir);
  snprintf(key, sizeof key, "%s/ca.key", dir);
  out = cp_pki_sign_csr(crt, key, (const unsigned char *)pem, strlen(pem), u,
                        2, seconds, &err);
  if (err != NULL)
    fail_msg("%s", err);
  assert_non_null(out);
  b = BIO_new_mem_buf(out, -1);
  x = PEM_read_bio_X509(b, NULL, NULL, NULL);
  BIO_free(b);
  free(out);
  assert_non_null(x);
  return x;
}

static long lifetime(X509 *x) {
  int day, sec;

  assert_int_equal(ASN1_TIME_diff(&day, &sec, NULL, X509_get0_notAfter(x)),
                   1);
  return day * 86400L + sec;
}

/* Removes this test's directory only: a glob over /tmp would take the
 * directory of another run going on at the same time (another variant,
 * another worktree). */
static void remove_dir(const char *dir) {
  char cmd[PATH_MAX + 16];

  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_sign(void **state) {
  char dir[] = "/tmp/test_csr_signer_XXXXXX", *pem, cn[64] = "";
  X509 *x;
  long left;

  (void)state;
  assert_non_null(mkdtemp(dir));
  make_ca(dir, 2);
  pem = make_csr("alice", "devs", "DNS:a.example");
  x = sign(dir, pem, 3600);
  X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
                            sizeof cn);
  assert_string_equal(cn, "alice");
  assert_true(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
  assert_false(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
  assert_true(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE);
  assert_int_equal(X509_check_ca(x), 0);
  assert_int_equal(X509_check_host(x, "a.example", 0, 0, NULL), 1);
  left = lifetime(x);
  assert_true(left > 3500 && left <= 3600);
  X509_free(x);
  /* A year asked of a two-day CA: the CA's end. */
  x = sign(dir, pem, 365L * 86400);
  left = lifetime(x);
  assert_true(left > 2 * 86400 - 120 && left <= 2 * 86400);
  X509_free(x);
  free(pem);
  remove_dir(dir);
}

/* The one extension block helper: entries without a value are left out,
 * the rest go in order; a bad value fails it. Serials are positive and
 * differ. */
static void test_ext_block(void **state) {
  X509 *x = X509_new(), *y = X509_new();
  const struct cp_pki_ext exts[] = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_authority_key_identifier, NULL},
      {NID_ext_key_usage, "clientAuth"},
  };
  const struct cp_pki_ext bad[] = {{NID_key_usage, "noSuchUsage"}};
  const ASN1_INTEGER *sx, *sy;

  (void)state;
  assert_int_equal(cp_pki_add_exts(x, x, exts, 3), 1);
  assert_int_equal(X509_get_ext_count(x), 2);
  assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(x, 0))),
                   NID_basic_constraints);
  assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(x, 1))),
                   NID_ext_key_usage);
  assert_int_equal(cp_pki_add_exts(x, x, bad, 1), 0);
  assert_int_equal(cp_pki_set_serial(x), 1);
  assert_int_equal(cp_pki_set_serial(y), 1);
  sx = X509_get0_serialNumber(x);
  sy = X509_get0_serialNumber(y);
  assert_int_equal(ASN1_INTEGER_cmp(sx, sy) != 0, 1);
  assert_int_equal(sx->type, V_ASN1_INTEGER); /* not negative */
  X509_free(x);
  X509_free(y);
}

static void test_approval_merge(void **state) {
  json_object *cur = json_tokener_parse(
      "{\"metadata\":{\"name\":\"a\",\"labels\":{\"x\":\"1\"}},"
      "\"spec\":{\"signerName\":\"s\"},\"status\":{\"certificate\":\"Yw==\"}}");
  json_object *in = json_tokener_parse(
      "{\"metadata\":{\"name\":\"a\",\"labels\":{\"x\":\"2\"}},"
      "\"spec\":{\"signerName\":\"evil\"},\"status\":{\"certificate\":\"\","
      "\"conditions\":[{\"type\":\"Approved\",\"status\":\"True\"}]}}");
  json_object *out = cp_csr_approval_merge(in, cur);

  (void)state;
  assert_non_null(out);
  assert_string_equal(
      json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN),
      "{\"metadata\":{\"name\":\"a\",\"labels\":{\"x\":\"1\"}},\"spec\":{"
      "\"signerName\":\"s\"},\"status\":{\"certificate\":\"Yw==\","
      "\"conditions\":[{\"type\":\"Approved\",\"status\":\"True\"}]}}");
  json_object_put(out);
  json_object_put(in);
  json_object_put(cur);
}

static void test_discovery_merge(void **state) {
  struct cp_agg_table t;
  struct cp_agg_route r;
  char *s;

  (void)state;
  memset(&t, 0, sizeof t);
  memset(&r, 0, sizeof r);
  strcpy(r.group, "metrics.k8s.io");
  strcpy(r.version, "v1beta1");
  r.available = 1;
  r.resources = strdup("{\"resources\":[{\"name\":\"pods\",\"singularName\":"
                       "\"\",\"namespaced\":true,\"kind\":\"PodMetrics\","
                       "\"verbs\":[\"get\",\"list\"]}]}");
  assert_int_equal(cp_agg_table_add(&t, &r), 0);
  /* Listed once, local or not. */
  s = cp_agg_merge_group_list(
      &t, strdup("{\"kind\":\"APIGroupList\",\"groups\":[{\"name\":"
                 "\"metrics.k8s.io\",\"versions\":[{\"groupVersion\":"
                 "\"metrics.k8s.io/v1beta1\",\"version\":\"v1beta1\"}]}]}"));
  assert_non_null(strstr(s, "metrics.k8s.io/v1beta1"));
  assert_null(strstr(strstr(s, "metrics.k8s.io/v1beta1") + 1,
                     "metrics.k8s.io/v1beta1"));
  free(s);
  /* The remote version replaces the local one's resources. */
  s = cp_agg_merge_aggregated(
      &t, strdup("{\"items\":[{\"metadata\":{\"name\":\"metrics.k8s.io\"},"
                 "\"versions\":[{\"version\":\"v1beta1\",\"resources\":[{"
                 "\"resource\":\"nodes\"}]}]}]}"));
  assert_null(strstr(s, "\"nodes\""));
  assert_non_null(strstr(s, "\"resource\":\"pods\""));
  assert_non_null(strstr(s, "\"scope\":\"Namespaced\""));
  free(s);
  s = cp_agg_group(&t, "metrics.k8s.io");
  assert_non_null(strstr(s, "\"preferredVersion\":{\"groupVersion\":"
                            "\"metrics.k8s.io/v1beta1\""));
  free(s);
  assert_null(cp_agg_group(&t, "other.io"));
  cp_agg_table_clear(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_client_signer),
      cmocka_unit_test(test_kubelet_signers),
      cmocka_unit_test(test_sign),
      cmocka_unit_test(test_ext_block),
      cmocka_unit_test(test_approval_merge),
      cmocka_unit_test(test_discovery_merge),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
