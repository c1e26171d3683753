/*
 * jwt - see jwt.h.
 */
#include "apiserver/authn/jwt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "encoding/base64.h"
#include "object/json_strict.h"

#define MAX_DEPTH 16
#define ES256_PART 32 /* bytes of r and of s in a JWS signature */

/* JWS parts are base64url without padding (RFC 7515 section 2), decoded
 * strictly: a last character with stray low bits is refused, so that one
 * token has one spelling. */
static unsigned char *part_decode(const char *s, size_t len, size_t *n) {
  return cp_base64_decode(CP_BASE64_RAW_URL, 1, s, len, n);
}

static char *part_encode(const void *data, size_t n) {
  return cp_base64_encode(CP_BASE64_RAW_URL, data, n);
}

const char *cp_jwt_alg_for(EVP_PKEY *key) {
  switch (EVP_PKEY_get_base_id(key)) {
  case EVP_PKEY_RSA:
    return "RS256";
  case EVP_PKEY_EC:
    return EVP_PKEY_get_bits(key) == 256 ? "ES256" : NULL;
  default:
    return NULL;
  }
}

/* An ECDSA DER signature as JWS's r||s, each 32 bytes. */
static int der_to_raw(const unsigned char *der, size_t n,
                      unsigned char raw[2 * ES256_PART]) {
  ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &der, (long)n);
  const BIGNUM *r, *s;
  int ok;

  if (sig == NULL)
    return -1;
  ECDSA_SIG_get0(sig, &r, &s);
  ok = BN_bn2binpad(r, raw, ES256_PART) == ES256_PART &&
       BN_bn2binpad(s, raw + ES256_PART, ES256_PART) == ES256_PART;
  ECDSA_SIG_free(sig);
  return ok ? 0 : -1;
}

/* JWS's r||s as DER, for EVP; malloc'd (OPENSSL_free). */
static unsigned char *raw_to_der(const unsigned char *raw, int *n) {
  ECDSA_SIG *sig = ECDSA_SIG_new();
  BIGNUM *r = BN_bin2bn(raw, ES256_PART, NULL);
  BIGNUM *s = BN_bin2bn(raw + ES256_PART, ES256_PART, NULL);
  unsigned char *der = NULL;

  if (sig == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(sig, r, s)) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return NULL;
  }
  *n = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  return *n > 0 ? der : NULL;
}

static char *encode_json(json_object *o) {
  const char *s = json_object_to_json_string_ext(
      o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

  return s ? part_encode(s, strlen(s)) : NULL;
}

char *cp_jwt_sign(EVP_PKEY *key, const char *kid, json_object *claims) {
  const char *alg = cp_jwt_alg_for(key);
  json_object *hdr = json_object_new_object();
  char *h = NULL, *p = NULL, *sig64 = NULL, *token = NULL, *input = NULL;
  unsigned char *sig = NULL, raw[2 * ES256_PART];
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  size_t n = 0;

  if (alg == NULL || hdr == NULL || md == NULL)
    goto out;
  json_object_object_add(hdr, "alg", json_object_new_string(alg));
  if (kid != NULL)
    json_object_object_add(hdr, "kid", json_object_new_string(kid));
  if ((h = encode_json(hdr)) == NULL || (p = encode_json(claims)) == NULL ||
      asprintf(&input, "%s.%s", h, p) < 0) {
    input = NULL;
    goto out;
  }
  if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
      EVP_DigestSign(md, NULL, &n, (const unsigned char *)input,
                     strlen(input)) != 1 ||
      (sig = malloc(n)) == NULL ||
      EVP_DigestSign(md, sig, &n, (const unsigned char *)input,
                     strlen(input)) != 1)
    goto out;
  if (strcmp(alg, "ES256") == 0) {
    if (der_to_raw(sig, n, raw) < 0)
      goto out;
    sig64 = part_encode(raw, sizeof raw);
  } else {
    sig64 = part_encode(sig, n);
  }
  if (sig64 == NULL || asprintf(&token, "%s.%s", input, sig64) < 0)
    token = NULL;
out:
  json_object_put(hdr);
  EVP_MD_CTX_free(md);
  free(h);
  free(p);
  free(input);
  free(sig);
  free(sig64);
  return token;
}

/* Decodes one part as a JSON object; NULL when it is not one. */
static json_object *decode_object(const char *s, size_t len) {
  size_t n, at;
  unsigned char *raw = part_decode(s, len, &n);
  json_object *o = NULL;
  const char *err;

  if (raw == NULL)
    return NULL;
  if (cp_json_strict_parse((const char *)raw, n, MAX_DEPTH, &o, NULL, &err,
                           &at) != CP_JSON_STRICT_OK ||
      !json_object_is_type(o, json_type_object)) {
    json_object_put(o);
    o = NULL;
  }
  free(raw);
  return o;
}

/* The three parts: [0, dot1) [dot1+1, dot2) [dot2+1, end). */
static int split(const char *token, size_t *dot1, size_t *dot2) {
  const char *a = strchr(token, '.'), *b = a ? strchr(a + 1, '.') : NULL;

  if (a == NULL || b == NULL || strchr(b + 1, '.') != NULL)
    return -1;
  *dot1 = (size_t)(a - token);
  *dot2 = (size_t)(b - token);
  return 0;
}

static int verify_signature(EVP_PKEY *key, const char *alg,
                            const char *token, size_t dot2) {
  size_t n;
  unsigned char *sig = part_decode(token + dot2 + 1,
                                           strlen(token + dot2 + 1), &n);
  unsigned char *der = NULL;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  int ok = 0, der_n = 0;

  if (sig == NULL || md == NULL)
    goto out;
  if (strcmp(alg, "ES256") == 0) {
    if (n != 2 * ES256_PART || (der = raw_to_der(sig, &der_n)) == NULL)
      goto out;
  }
  ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
       EVP_DigestVerify(md, der ? der : sig, der ? (size_t)der_n : n,
                        (const unsigned char *)token, dot2) == 1;
out:
  EVP_MD_CTX_free(md);
  OPENSSL_free(der);
  free(sig);
  return ok;
}

int cp_jwt_verify(EVP_PKEY *key, const char *token, json_object **claims,
                  const char **why) {
  const char *alg = cp_jwt_alg_for(key), *talg, *dummy;
  json_object *hdr = NULL, *v;
  size_t dot1, dot2;
  int rc;

  *claims = NULL;
  why = why ? why : &dummy;
  if (strlen(token) > CP_JWT_MAX_BYTES) {
    *why = "token too large";
    return CP_JWT_TOO_LARGE;
  }
  if (split(token, &dot1, &dot2) < 0 ||
      (hdr = decode_object(token, dot1)) == NULL) {
    *why = "malformed token";
    return CP_JWT_MALFORMED;
  }
  talg = json_object_object_get_ex(hdr, "alg", &v) &&
                 json_object_is_type(v, json_type_string)
             ? json_object_get_string(v)
             : "";
  if (alg == NULL || strcmp(talg, alg) != 0) {
    *why = "unexpected signature algorithm";
    rc = CP_JWT_ALG;
    goto out;
  }
  if (!verify_signature(key, alg, token, dot2)) {
    *why = "error in cryptographic primitive";
    rc = CP_JWT_SIGNATURE;
    goto out;
  }
  if ((*claims = decode_object(token + dot1 + 1, dot2 - dot1 - 1)) ==
      NULL) {
    *why = "malformed token";
    rc = CP_JWT_MALFORMED;
    goto out;
  }
  rc = CP_JWT_OK;
out:
  json_object_put(hdr);
  return rc;
}

int cp_jwt_peek_issuer(const char *token, char *buf, size_t len) {
  json_object *claims, *v;
  size_t dot1, dot2;

  buf[0] = '\0';
  if (strlen(token) > CP_JWT_MAX_BYTES || split(token, &dot1, &dot2) < 0 ||
      (claims = decode_object(token + dot1 + 1, dot2 - dot1 - 1)) == NULL)
    return -1;
  if (json_object_object_get_ex(claims, "iss", &v) &&
      json_object_is_type(v, json_type_string))
    snprintf(buf, len, "%s", json_object_get_string(v));
  json_object_put(claims);
  return 0;
}
