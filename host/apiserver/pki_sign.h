/*
 * pki_sign - issues a certificate for a PKCS#10 request with a CA whose
 * key stays on disk in the pki directory: the key is read, used and freed
 * inside one call, and never handed to the caller. What kube's
 * pkg/controller/certificates/authority does for the csrsigning
 * controller: the subject and subjectAltNames of the request, key usages
 * and extended key usages from the CSR's usages, CA:FALSE, a random
 * 128-bit serial, notBefore backdated 5 minutes (not for certificates
 * shorter than 8 hours: kube's "short" horizon), notAfter capped at the
 * CA's own.
 *
 * Threading: reentrant; call from any thread.
 * Ownership: arguments are borrowed; the PEM returned and *errmsg are
 * malloc'd (caller frees).
 */
#ifndef CPLANE_HOST_APISERVER_PKI_SIGN_H
#define CPLANE_HOST_APISERVER_PKI_SIGN_H

#include <stddef.h>
#include <stdint.h>

/* kube's extended/plain key usage names (certificates.k8s.io KeyUsage):
 * 1 when the name is one pki_sign can put in a certificate. */
int cp_pki_usage_known(const char *usage);

/* The PEM of a certificate for the request csr_pem (a PEM CERTIFICATE
 * REQUEST of csr_len bytes) signed by ca_crt/ca_key (PEM files), valid for
 * seconds from now, with the usages (n of them). NULL with *errmsg (a
 * sentence) when the CA cannot be read, has expired, or the request is
 * malformed. */
char *cp_pki_sign_csr(const char *ca_crt, const char *ca_key,
                      const unsigned char *csr_pem, size_t csr_len,
                      const char *const *usages, size_t n, int64_t seconds,
                      char **errmsg);

#endif /* CPLANE_HOST_APISERVER_PKI_SIGN_H */
