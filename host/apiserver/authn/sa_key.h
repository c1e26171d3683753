/*
 * sa_key - the ServiceAccount signing key, as kube-apiserver's
 * --service-account-key-file / --service-account-signing-key-file: an RSA
 * key (RS256, kube's default) or an ECDSA P-256 key (ES256) in PEM. When
 * none is configured, one is made on first start as <pki>/sa.key (RSA
 * 2048, mode 0600) with its public half in <pki>/sa.pub, the names
 * kubeadm uses. API servers sharing the data directory (or the key file)
 * share the key, so each accepts the others' tokens.
 *
 * Threading: call from the thread that starts the server; the key is then
 * read-only and safe from any thread.
 * Ownership: the caller owns the key (EVP_PKEY_free) and every malloc'd
 * string; *errmsg is malloc'd.
 */
#ifndef CPLANE_HOST_APISERVER_AUTHN_SA_KEY_H
#define CPLANE_HOST_APISERVER_AUTHN_SA_KEY_H

#include <openssl/evp.h>

/* Makes dir (0700) and dir/sa.key, dir/sa.pub unless sa.key exists.
 * Several servers starting at once on one directory end up with one key:
 * the key is written aside and linked into place, the loser reads the
 * winner's. Returns 0, or -1 with *errmsg. */
int cp_sa_key_ensure(const char *dir, char **errmsg);

/* Reads a PEM private key (PKCS#8 or traditional RSA/EC). NULL with
 * *errmsg when unreadable or neither RSA nor P-256. */
EVP_PKEY *cp_sa_key_load(const char *path, char **errmsg);

/* kube's key id: base64url (no padding) of the SHA-256 of the public
 * key's DER (PKIX). malloc'd, NULL on failure. */
char *cp_sa_key_id(EVP_PKEY *key);

/* The JSON Web Key Set of key's public half (/openid/v1/jwks), as
 * kube serves it: {"keys":[{"use":"sig","kty":"RSA","kid","alg","n","e"}]}.
 * malloc'd, NULL on failure. */
char *cp_sa_key_jwks(EVP_PKEY *key, const char *kid);

#endif /* CPLANE_HOST_APISERVER_AUTHN_SA_KEY_H */
