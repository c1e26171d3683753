/*
 * test_kit_csrapproving - the csrapproving plugin (linked in unchanged)
 * on the test kit's fake host: a kubelet client request is queued and
 * asks a SubjectAccessReview (selfnodeclient first when the requester is
 * its node, with the requester's user, uid, groups and extra) and, not
 * allowed, is retried unapproved; requests of other signers, settled
 * ones and ones kube's recognizers refuse ask nothing. (The kit keeps no
 * authorizer; apiserver_csr.sh approves against the real one.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cplane/testing.h>

#include "csr_fixture.h"

const struct cplane_plugin *cplane_plugin_entry(void);

#define CSRS "certificatesigningrequests.certificates.k8s.io"
#define SARS "subjectaccessreviews.authorization.k8s.io"

/* A CSR "c" for signer, requester user and the subject given; status
 * is the JSON of its status ("{}": pending). */
static char *csr_json(const char *signer, const char *user, const char *cn,
                      const char *org, const char *status) {
  const char *orgs[] = {org, NULL};
  char *req = csr_fixture(cn, orgs, NULL), *json;
  size_t len;

  assert_non_null(req);
  len = strlen(req) + 1024;
  json = malloc(len);
  assert_non_null(json);
  snprintf(json, len,
           "{\"apiVersion\":\"certificates.k8s.io/v1\",\"kind\":"
           "\"CertificateSigningRequest\",\"metadata\":{\"name\":\"c\"},"
           "\"spec\":{\"signerName\":\"%s\",\"request\":\"%s\","
           "\"usages\":[\"digital signature\",\"client auth\"],"
           "\"username\":\"%s\",\"uid\":\"u-1\",\"groups\":["
           "\"system:nodes\",\"system:authenticated\"],\"extra\":{\"k\":"
           "[\"v\"]}},\"status\":%s}",
           signer, req, user, status);
  free(req);
  return json;
}

static cplane_test_host *start_with(char *json) {
  cplane_test_host *h = cplane_test_host_new();

  assert_non_null(h);
  assert_int_equal(cplane_test_add(h, CSRS, json), CPLANE_OK);
  free(json);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  return h;
}

static void test_reviews_then_retries(void **state) {
  cplane_test_host *h = start_with(
      csr_json("kubernetes.io/kube-apiserver-client-kubelet",
               "system:node:n1", "system:node:n1", "system:nodes", "{}"));
  const struct cplane_test_write *w;

  (void)state;
  assert_true(cplane_test_queued(h, "c"));
  assert_int_equal(cplane_test_reconcile(h, "c", NULL),
                   CPLANE_RECONCILE_RETRY);
  /* Its own node: selfnodeclient is asked first, as the requester. */
  assert_int_equal(cplane_test_writes_count(h, "create", SARS), 1);
  w = cplane_test_write_at(h, 0);
  assert_non_null(strstr(w->body, "\"user\":\"system:node:n1\""));
  assert_non_null(strstr(w->body, "\"uid\":\"u-1\""));
  assert_non_null(strstr(w->body, "\"groups\":[\"system:nodes\","
                                  "\"system:authenticated\"]"));
  assert_non_null(strstr(w->body, "\"extra\":{\"k\":[\"v\"]}"));
  assert_non_null(strstr(w->body, "\"resource\":\"certificatesigningrequests"
                                  "\",\"verb\":\"create\",\"subresource\":"
                                  "\"selfnodeclient\",\"version\":\"*\""));
  /* Nothing approved on an unanswered review. */
  assert_int_equal(cplane_test_writes_count(h, "update", CSRS), 0);
  assert_true(cplane_test_queued(h, "c"));
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

static void test_nodeclient_for_another(void **state) {
  cplane_test_host *h = start_with(
      csr_json("kubernetes.io/kube-apiserver-client-kubelet",
               "system:bootstrap:abc", "system:node:n1", "system:nodes",
               "{}"));

  (void)state;
  assert_int_equal(cplane_test_reconcile(h, "c", NULL),
                   CPLANE_RECONCILE_RETRY);
  assert_int_equal(cplane_test_writes_count(h, "create", SARS), 1);
  assert_non_null(strstr(cplane_test_write_at(h, 0)->body,
                         "\"subresource\":\"nodeclient\""));
  cplane_test_host_free(h);
}

static void test_left_alone(void **state) {
  cplane_test_host *h;

  (void)state;
  /* Another signer: never queued. */
  h = start_with(csr_json("kubernetes.io/kube-apiserver-client",
                          "system:node:n1", "system:node:n1", "system:nodes",
                          "{}"));
  assert_int_equal(cplane_test_queue_len(h), 0);
  cplane_test_host_free(h);
  /* Denied (or approved) already. */
  h = start_with(csr_json("kubernetes.io/kube-apiserver-client-kubelet",
                          "system:node:n1", "system:node:n1", "system:nodes",
                          "{\"conditions\":[{\"type\":\"Denied\","
                          "\"status\":\"True\"}]}"));
  assert_int_equal(cplane_test_queue_len(h), 0);
  cplane_test_host_free(h);
  /* Not a kubelet's subject: queued, but no review, nothing written. */
  h = start_with(csr_json("kubernetes.io/kube-apiserver-client-kubelet",
                          "system:node:n1", "system:node:n1", "devs", "{}"));
  assert_int_equal(cplane_test_drain(h), 1);
  assert_int_equal(cplane_test_writes_len(h), 0);
  assert_int_equal(cplane_test_queue_len(h), 0);
  cplane_test_host_free(h);
}

static void test_garbage_request(void **state) {
  cplane_test_host *h = cplane_test_host_new();

  (void)state;
  assert_int_equal(
      cplane_test_add(h, CSRS,
                      "{\"metadata\":{\"name\":\"c\"},\"spec\":{"
                      "\"signerName\":\"kubernetes.io/kube-apiserver-client-"
                      "kubelet\",\"request\":\"bm90IGEgcmVxdWVzdA==\","
                      "\"usages\":[7]},\"status\":{}}"),
      CPLANE_OK);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_int_equal(cplane_test_reconcile(h, "c", NULL),
                   CPLANE_RECONCILE_RETRY);
  assert_int_equal(cplane_test_logs_count(h, "unable to parse csr"), 1);
  assert_int_equal(cplane_test_writes_len(h), 0);
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reviews_then_retries),
      cmocka_unit_test(test_nodeclient_for_another),
      cmocka_unit_test(test_left_alone),
      cmocka_unit_test(test_garbage_request),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
