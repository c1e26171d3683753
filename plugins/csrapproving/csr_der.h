/*
 * csr_der - what the approver needs of a CertificateSigningRequest's
 * spec.request: the PEM "CERTIFICATE REQUEST" block (base64 in the JSON)
 * read as PKCS#10 DER, as Go's x509.ParseCertificateRequest sees it:
 * the subject's common name (the last CN, as pkix.Name keeps it), its
 * organizations in order, and whether the subjectAltName extension
 * requested asks for DNS names, e-mail addresses, IP addresses or URIs.
 * The signature is not checked here (the API server did at create).
 *
 * Threading: pure. Ownership: the result holds copies (bounded, below);
 * csr_der_clear frees them.
 */
#ifndef CPLANE_PLUGINS_CSRAPPROVING_CSR_DER_H
#define CPLANE_PLUGINS_CSRAPPROVING_CSR_DER_H

#include <stddef.h>

/* A request bigger than this is not a node's (kube's CSRs are ~1 KiB). */
#define CSR_DER_MAX_REQUEST (64 * 1024)
#define CSR_DER_MAX_ORGS 16

struct csr_der {
  char *cn;                       /* malloc'd; NULL when none */
  char *orgs[CSR_DER_MAX_ORGS];   /* malloc'd */
  size_t n_orgs;
  int sans;                       /* DNS, e-mail, IP or URI names asked */
};

/* Parses the base64 text of spec.request. Returns 0, or -1 when it is not
 * a PEM CERTIFICATE REQUEST holding a PKCS#10 request (or is too big, or
 * out of memory); *out is then cleared. */
int csr_der_parse(const char *request_b64, struct csr_der *out);
void csr_der_clear(struct csr_der *c);

#endif /* CPLANE_PLUGINS_CSRAPPROVING_CSR_DER_H */
