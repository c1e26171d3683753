/*
 * jwt - compact JSON Web Tokens (RFC 7519) signed with RS256 (an RSA key)
 * or ES256 (an ECDSA P-256 key), the two kube-apiserver accepts for
 * ServiceAccount keys: signing, verifying (the parts are base64url
 * without padding, decoded strictly). Claims are json-c objects; what
 * they mean (issuer, audiences, expiry) is the caller's.
 * "alg": "none", other algorithms, a signature by another key and any
 * token over CP_JWT_MAX_BYTES are refused before the claims are read.
 *
 * Threading: pure functions; a key may be used from several threads at
 * once (OpenSSL's EVP_PKEY is, for signing and verifying).
 * Ownership: returned strings and claims belong to the caller (free,
 * json_object_put); *why is a static string.
 */
#ifndef CPLANE_HOST_APISERVER_AUTHN_JWT_H
#define CPLANE_HOST_APISERVER_AUTHN_JWT_H

#include <stddef.h>

#include <json-c/json.h>
#include <openssl/evp.h>

/* Longer tokens are refused unread: ours are under 2 KiB, and a header
 * may be 1 MiB. */
#define CP_JWT_MAX_BYTES 16384

/* "RS256" for an RSA key, "ES256" for a P-256 one, else NULL. */
const char *cp_jwt_alg_for(EVP_PKEY *key);

/* A token of claims signed by key, its header {"alg","kid"} (kid may be
 * NULL). malloc'd, NULL on failure. */
char *cp_jwt_sign(EVP_PKEY *key, const char *kid, json_object *claims);

enum cp_jwt_rc {
  CP_JWT_OK = 0,
  CP_JWT_MALFORMED = -1,   /* not three base64url parts of JSON objects */
  CP_JWT_ALG = -2,         /* alg none, or not the key's algorithm */
  CP_JWT_SIGNATURE = -3,   /* not signed by this key */
  CP_JWT_TOO_LARGE = -4,
  CP_JWT_NOMEM = -5,
};

/* Verifies token's signature with key and returns its claims in *claims
 * (a JSON object). Checks nothing in them. On failure *claims is NULL
 * and *why (may be NULL) says what was wrong. */
int cp_jwt_verify(EVP_PKEY *key, const char *token, json_object **claims,
                  const char **why);

/* The issuer ("iss") of token, unverified, copied into buf (empty when
 * none). Used to pick the authenticator before any key is tried, as
 * kube's JWT authenticator does. Returns 0, or -1 when malformed. */
int cp_jwt_peek_issuer(const char *token, char *buf, size_t len);

#endif /* CPLANE_HOST_APISERVER_AUTHN_JWT_H */
