/*
 * test_csrapproving - the csrapproving plugin's modules: spec.request
 * read as PKCS#10 (csr_der: CN, O, subjectAltName; garbage refused) and
 * kube's recognizers (recognize: selfnodeclient when the requester is the
 * CN, nodeclient for any node; signer, O, SANs, CN prefix and usages
 * checked as ValidateKubeletClientCSR does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "csr_der.h"
#include "csr_fixture.h"
#include "recognize.h"

static const char *const nodes[] = {"system:nodes", NULL};

static void parse(const char *cn, const char *const *orgs, const char *san,
                  struct csr_der *out) {
  char *b64 = csr_fixture(cn, orgs, san);

  assert_non_null(b64);
  assert_int_equal(csr_der_parse(b64, out), 0);
  free(b64);
}

static void test_parse(void **state) {
  static const char *const two[] = {"a", "system:nodes", NULL};
  struct csr_der c;

  (void)state;
  parse("system:node:n1", nodes, NULL, &c);
  assert_string_equal(c.cn, "system:node:n1");
  assert_int_equal(c.n_orgs, 1);
  assert_string_equal(c.orgs[0], "system:nodes");
  assert_false(c.sans);
  csr_der_clear(&c);
  parse(NULL, two, "DNS:n1.example.com", &c);
  assert_null(c.cn);
  assert_int_equal(c.n_orgs, 2);
  assert_string_equal(c.orgs[1], "system:nodes");
  assert_true(c.sans);
  csr_der_clear(&c);
  parse("x", NULL, "IP:10.0.0.1", &c);
  assert_true(c.sans);
  csr_der_clear(&c);
  parse("x", NULL, "URI:spiffe://a/b", &c);
  assert_true(c.sans);
  csr_der_clear(&c);
}

static void test_garbage(void **state) {
  struct csr_der c;
  char *b64 = csr_fixture("system:node:n1", nodes, NULL);
  size_t n = strlen(b64);

  (void)state;
  assert_int_equal(csr_der_parse(NULL, &c), -1);
  assert_int_equal(csr_der_parse("", &c), -1);
  assert_int_equal(csr_der_parse("!!!!", &c), -1);
  /* "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----" */
  assert_int_equal(
      csr_der_parse("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkFBQUEKLS0tLS1FTkQg"
                    "Q0VSVElGSUNBVEUtLS0tLQ==",
                    &c),
      -1);
  /* Cut short: the PEM's end is gone. */
  b64[n / 2] = '\0';
  assert_int_equal(csr_der_parse(b64, &c), -1);
  assert_null(c.cn);
  free(b64);
}

static const char *const rsa_usages[] = {"key encipherment",
                                         "digital signature", "client auth"};
static const char *const ec_usages[] = {"client auth", "digital signature"};

static struct csr_spec spec_of(const char *user, const char *const *u,
                               size_t n) {
  struct csr_spec s = {KUBELET_CLIENT_SIGNER, user, u, n};

  return s;
}

static void test_recognizers(void **state) {
  static const char *const devs[] = {"devs", NULL};
  static const char *const server[] = {"digital signature", "server auth"};
  struct csr_der c;
  struct csr_spec s;
  size_t n;
  const struct recognizer *r = recognizers(&n);

  (void)state;
  assert_int_equal(n, 2);
  assert_string_equal(r[0].subresource, "selfnodeclient");
  assert_string_equal(r[0].message, "Auto approving self kubelet client "
                                    "certificate after SubjectAccessReview.");
  assert_string_equal(r[1].subresource, "nodeclient");
  assert_string_equal(r[1].message, "Auto approving kubelet client "
                                    "certificate after SubjectAccessReview.");
  parse("system:node:n1", nodes, NULL, &c);
  /* Its own node: both apply; someone else: only nodeclient. */
  s = spec_of("system:node:n1", rsa_usages, 3);
  assert_true(recognized(0, &s, &c));
  assert_true(recognized(1, &s, &c));
  s = spec_of("bootstrap", ec_usages, 2);
  assert_false(recognized(0, &s, &c));
  assert_true(recognized(1, &s, &c));
  /* Usages must be exactly one of kube's two sets. */
  s = spec_of("bootstrap", server, 2);
  assert_false(recognized(1, &s, &c));
  s = spec_of("bootstrap", ec_usages, 1);
  assert_false(recognized(1, &s, &c));
  /* Another signer. */
  s = spec_of("bootstrap", ec_usages, 2);
  s.signer_name = "kubernetes.io/kube-apiserver-client";
  assert_false(recognized(1, &s, &c));
  csr_der_clear(&c);
  s = spec_of("bootstrap", ec_usages, 2);
  parse("system:node:n1", devs, NULL, &c); /* O not system:nodes */
  assert_false(recognized(1, &s, &c));
  csr_der_clear(&c);
  parse("n1", nodes, NULL, &c); /* CN without system:node: */
  assert_false(recognized(1, &s, &c));
  csr_der_clear(&c);
  parse("system:node:n1", nodes, "DNS:n1", &c); /* a SAN */
  assert_false(recognized(1, &s, &c));
  csr_der_clear(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_garbage),
      cmocka_unit_test(test_recognizers),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
