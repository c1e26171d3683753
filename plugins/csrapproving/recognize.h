/*
 * recognize - kube's csrapproving recognizers
 * (pkg/controller/certificates/approver/sarapprove.go): which
 * SubjectAccessReview, if any, decides a CertificateSigningRequest.
 *
 *   selfnodeclient  a kubelet client certificate for the requester's own
 *                   node: spec.username is the request's CN
 *   nodeclient      a kubelet client certificate for any node
 *
 * Both need signerName kubernetes.io/kube-apiserver-client-kubelet and
 * what kube's ValidateKubeletClientCSR checks: O exactly [system:nodes],
 * no DNS, e-mail, IP or URI names, CN system:node:<name>, usages exactly
 * {digital signature, key encipherment, client auth} or
 * {digital signature, client auth}.
 *
 * Threading: pure. Ownership: borrows everything; returns static text.
 */
#ifndef CPLANE_PLUGINS_CSRAPPROVING_RECOGNIZE_H
#define CPLANE_PLUGINS_CSRAPPROVING_RECOGNIZE_H

#include <stddef.h>

#include "csr_der.h"

#define KUBELET_CLIENT_SIGNER "kubernetes.io/kube-apiserver-client-kubelet"

/* One recognizer, tried in kube's order. */
struct recognizer {
  const char *subresource; /* of certificatesigningrequests, for the SAR */
  const char *message;     /* the Approved condition's */
};

/* The spec fields the recognizers read. */
struct csr_spec {
  const char *signer_name;
  const char *username;
  const char *const *usages;
  size_t n_usages;
};

/* kube's recognizers, in order; *n set. */
const struct recognizer *recognizers(size_t *n);
/* 1 when recognizer i applies to the request (spec and parsed request). */
int recognized(size_t i, const struct csr_spec *spec,
               const struct csr_der *req);

#endif /* CPLANE_PLUGINS_CSRAPPROVING_RECOGNIZE_H */
