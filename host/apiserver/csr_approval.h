/*
 * csr_approval - the approval subresource of CertificateSigningRequests
 * (PUT/PATCH .../certificatesigningrequests/NAME/approval, what
 * `kubectl certificate approve|deny` calls), as kube's
 * csrApprovalStrategy: a write there changes status.conditions and
 * nothing else (the stored spec, certificate and metadata stay), and is
 * the only write that may add the Approved or Denied condition (the
 * strategy's validation, certificatesigningrequests.c, checks the rest).
 *
 * Threading: pure. Ownership: borrows in and cur; returns a new object
 * (NULL when out of memory).
 */
#ifndef CPLANE_HOST_APISERVER_CSR_APPROVAL_H
#define CPLANE_HOST_APISERVER_CSR_APPROVAL_H

#include <json-c/json.h>

/* The object to store: cur with in's status.conditions. */
json_object *cp_csr_approval_merge(json_object *in, json_object *cur);

#endif /* CPLANE_HOST_APISERVER_CSR_APPROVAL_H */
