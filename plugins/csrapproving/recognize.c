/*
 * recognize - see recognize.h.
 */
#include "recognize.h"

#include <string.h>

static const struct recognizer all[] = {
    {"selfnodeclient", "Auto approving self kubelet client certificate "
                       "after SubjectAccessReview."},
    {"nodeclient", "Auto approving kubelet client certificate after "
                   "SubjectAccessReview."},
};

const struct recognizer *recognizers(size_t *n) {
  *n = sizeof all / sizeof all[0];
  return all;
}

/* 1 when usages, as a set, is exactly want[0..n). */
static int usages_equal(const struct csr_spec *s, const char *const *want,
                        size_t n) {
  size_t i, j;

  for (i = 0; i < s->n_usages; i++) {
    for (j = 0; j < n && strcmp(s->usages[i], want[j]) != 0; j++)
      ;
    if (j == n)
      return 0;
  }
  for (j = 0; j < n; j++) {
    for (i = 0; i < s->n_usages && strcmp(s->usages[i], want[j]) != 0; i++)
      ;
    if (i == s->n_usages)
      return 0;
  }
  return 1;
}

/* kube's isNodeClientCert: the signer and ValidateKubeletClientCSR. */
static int node_client(const struct csr_spec *s, const struct csr_der *r) {
  static const char *const rsa[] = {"digital signature", "key encipherment",
                                    "client auth"};
  static const char *const no_rsa[] = {"digital signature", "client auth"};

  return s->signer_name != NULL &&
         strcmp(s->signer_name, KUBELET_CLIENT_SIGNER) == 0 &&
         r->n_orgs == 1 && strcmp(r->orgs[0], "system:nodes") == 0 &&
         !r->sans && r->cn != NULL &&
         strncmp(r->cn, "system:node:", 12) == 0 &&
         (usages_equal(s, rsa, 3) || usages_equal(s, no_rsa, 2));
}

int recognized(size_t i, const struct csr_spec *spec,
               const struct csr_der *req) {
  if (i == 0) /* selfnodeclient: the requester is that node */
    return spec->username != NULL && req->cn != NULL &&
           strcmp(spec->username, req->cn) == 0 && node_client(spec, req);
  return i == 1 && node_client(spec, req);
}
