/*
 * pki - the API server's TLS material. When no certificate is configured
 * the server makes its own on first start, as k3s does: a CA, a serving
 * certificate for the listen address, 127.0.0.1 and localhost, and keeps
 * them in the data directory for the next start. Also builds the server's
 * SSL_CTX (with optional client-certificate verification).
 *
 * Threading: call from the thread that starts the server.
 * Ownership: paths are borrowed; the SSL_CTX returned is owned by the
 * caller (SSL_CTX_free); error messages are malloc'd (caller frees).
 */
#ifndef CPLANE_HOST_APISERVER_PKI_H
#define CPLANE_HOST_APISERVER_PKI_H

#include <openssl/ssl.h>

/* Makes dir/ca.crt, ca.key, server.crt, server.key unless server.crt
 * exists already. address is the listen address (added to the SANs).
 * Returns 0, or -1 with *errmsg. */
int cp_pki_ensure(const char *dir, const char *address, char **errmsg);

/* A TLS 1.2+ server context for cert/key; client_ca (may be NULL) enables
 * optional client certificates verified against it. NULL with *errmsg on
 * failure. */
SSL_CTX *cp_pki_server_ctx(const char *cert, const char *key,
                           const char *client_ca, char **errmsg);

/* The aggregator's client identity, as kubeadm makes it: a front-proxy
 * CA (dir/front-proxy-ca.crt, .key) and the client certificate it signs
 * (front-proxy-client.crt, .key; CN front-proxy-client, client auth),
 * unless front-proxy-client.crt exists. Extension API servers trust the
 * CA (their --requestheader-client-ca-file). 0, or -1 with *errmsg. */
int cp_pki_ensure_front_proxy(const char *dir, char **errmsg);

/* Adds extension nid (OpenSSL config syntax) to cert, issued by issuer
 * (for key identifiers). 1 when added. */
int cp_pki_add_ext(X509 *cert, X509 *issuer, int nid, const char *value);

/* One extension of a certificate's block: nid and its value in OpenSSL
 * config syntax; a NULL value leaves it out. */
struct cp_pki_ext {
  int nid;
  const char *value;
};
/* Adds the n extensions (those with a value), in order, as
 * cp_pki_add_ext. 1 when all were added. */
int cp_pki_add_exts(X509 *cert, X509 *issuer, const struct cp_pki_ext *exts,
                    size_t n);
/* Gives cert a random positive 128-bit serial number. 1 when set. */
int cp_pki_set_serial(X509 *cert);

/* The base64 of a file's bytes (for kubeconfig *-data fields); malloc'd,
 * NULL if unreadable. */
char *cp_pki_file_base64(const char *path);

#endif /* CPLANE_HOST_APISERVER_PKI_H */
