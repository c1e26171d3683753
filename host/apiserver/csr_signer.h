/*
 * csr_signer - kube-controller-manager's csrsigning controller inside the
 * API server: an approved CertificateSigningRequest (Approved, not Denied,
 * not Failed, no certificate yet) for one of kube's built-in signers gets
 * status.certificate, signed by the cluster CA (the pki directory's, or
 * the configured signing files), through an ordinary /status update.
 *
 *   kubernetes.io/kube-apiserver-client          any subject; usages
 *       client auth plus optionally digital signature, key encipherment
 *   kubernetes.io/kube-apiserver-client-kubelet  O=system:nodes,
 *       CN=system:node:<name>, no SANs, kubelet client usages
 *   kubernetes.io/kubelet-serving                O=system:nodes,
 *       CN=system:node:<name>, a DNS or IP SAN, server usages
 *
 * A request that breaks its signer's rules gets the Failed condition
 * (reason SignerValidationFailure, kube's message) and is never signed;
 * other signers' requests stay as they are for their own controllers.
 * The duration is spec.expirationSeconds (at least 600 s) capped at
 * max_seconds (kube's --cluster-signing-duration) and the CA's end.
 *
 * A loop in every API server looks at the stored requests once a second
 * (and at once when kicked: an approval was stored). Several servers on
 * one store may sign one request at once: the update carries the read
 * resourceVersion, so one wins and the others get 409 and skip it.
 *
 * Threading: a thread of its own; cp_csr_signer_kick from any thread.
 * Ownership: ctx is borrowed and must outlive the signer; the paths are
 * copied.
 */
#ifndef CPLANE_HOST_APISERVER_CSR_SIGNER_H
#define CPLANE_HOST_APISERVER_CSR_SIGNER_H

#include <stdint.h>

#include "apiserver/request.h"

struct cp_csr_signer;

/* kube's --cluster-signing-duration default: one year. */
#define CP_CSR_SIGNER_DEFAULT_SECONDS (365LL * 24 * 3600)

/* Starts the loop with the CA's certificate and key files (PEM; the key
 * is read at each signing and never kept). max_seconds 0: the default.
 * Sets ctx->csr_signer (approvals kick it); call before the threads
 * that use ctx run. NULL when out of memory or threads. */
struct cp_csr_signer *cp_csr_signer_start(struct cp_api_ctx *ctx,
                                          const char *ca_crt,
                                          const char *ca_key,
                                          int64_t max_seconds);
/* Asks for a pass soon. */
void cp_csr_signer_kick(struct cp_csr_signer *s);
/* Ends the loop (a pass under way finishes) and frees s (NULL ignored). */
void cp_csr_signer_stop(struct cp_csr_signer *s);

/* The signer's verdict on a request (exposed for the unit tests):
 * 0 ours and valid, 1 ours and refused (*why: kube's message, static),
 * -1 not one of ours. usages: n names. */
int cp_csr_signer_check(const char *signer, const unsigned char *csr_pem,
                        size_t csr_len, const char *const *usages, size_t n,
                        const char **why);

#endif /* CPLANE_HOST_APISERVER_CSR_SIGNER_H */
