/*
 * sa_key - see sa_key.h.
 */
#include "apiserver/authn/sa_key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "apiserver/authn/jwt.h"
#include "encoding/base64.h"

#define RSA_BITS 2048

static int fail(char **errmsg, const char *what, const char *path) {
  char buf[256] = "";
  unsigned long e = ERR_peek_last_error();

  if (e != 0)
    ERR_error_string_n(e, buf, sizeof buf);
  else if (errno != 0)
    snprintf(buf, sizeof buf, "%s", strerror(errno));
  ERR_clear_error();
  if (asprintf(errmsg, "service account key: cannot %s %s%s%s", what, path,
               buf[0] ? ": " : "", buf) < 0)
    *errmsg = NULL;
  return -1;
}

/* Writes key's private (or public) PEM to a fresh file at path. */
static int write_key(const char *path, EVP_PKEY *key, int public) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, public ? 0644 : 0600);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  int ok;

  if (f == NULL) {
    if (fd >= 0)
      close(fd);
    return 0;
  }
  ok = public ? PEM_write_PUBKEY(f, key)
              : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
  return fclose(f) == 0 && ok;
}

int cp_sa_key_ensure(const char *dir, char **errmsg) {
  char key[4200], pub[4200], tmp[4200];
  EVP_PKEY *k = NULL;
  int rc = -1;

  *errmsg = NULL;
  if (snprintf(key, sizeof key, "%s/sa.key", dir) >= (int)sizeof key ||
      snprintf(pub, sizeof pub, "%s/sa.pub", dir) >= (int)sizeof pub ||
      snprintf(tmp, sizeof tmp, "%s/.sa.key.%d", dir, (int)getpid()) >=
          (int)sizeof tmp) {
    *errmsg = strdup("service account key: the pki directory's path is too "
                     "long");
    return -1;
  }
  if (access(key, F_OK) == 0)
    return 0;
  errno = 0;
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return fail(errmsg, "create", dir);
  errno = 0;
  if ((k = EVP_RSA_gen(RSA_BITS)) == NULL)
    return fail(errmsg, "generate", key);
  if (!write_key(tmp, k, 0)) {
    fail(errmsg, "write", tmp);
    goto out;
  }
  /* link() fails when another server made the key first: keep theirs. */
  if (link(tmp, key) < 0 && errno != EEXIST) {
    fail(errmsg, "write", key);
    goto out;
  }
  EVP_PKEY_free(k);
  if ((k = cp_sa_key_load(key, errmsg)) == NULL)
    goto out;
  if (access(pub, F_OK) != 0 && !write_key(pub, k, 1)) {
    fail(errmsg, "write", pub);
    goto out;
  }
  rc = 0;
out:
  unlink(tmp);
  EVP_PKEY_free(k);
  return rc;
}

EVP_PKEY *cp_sa_key_load(const char *path, char **errmsg) {
  FILE *f = fopen(path, "r");
  EVP_PKEY *k;

  *errmsg = NULL;
  errno = 0;
  if (f == NULL) {
    fail(errmsg, "read", path);
    return NULL;
  }
  k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
  fclose(f);
  if (k == NULL) {
    fail(errmsg, "read a PEM private key from", path);
    return NULL;
  }
  if (cp_jwt_alg_for(k) == NULL) {
    EVP_PKEY_free(k);
    if (asprintf(errmsg, "service account key: %s is neither an RSA nor an "
                         "ECDSA P-256 key", path) < 0)
      *errmsg = NULL;
    return NULL;
  }
  return k;
}

char *cp_sa_key_id(EVP_PKEY *key) {
  unsigned char *der = NULL, md[32];
  unsigned int mdlen = 0;
  int n = i2d_PUBKEY(key, &der);
  char *kid = NULL;

  if (n > 0 && EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL))
    kid = cp_base64_encode(CP_BASE64_RAW_URL, md, mdlen);
  OPENSSL_free(der);
  return kid;
}

/* A BIGNUM parameter of key as base64url of its big-endian bytes,
 * left-padded to pad bytes (0: minimal), as a JSON string. */
static json_object *bn_param(EVP_PKEY *key, const char *name, int pad) {
  BIGNUM *bn = NULL;
  unsigned char buf[1024];
  json_object *s = NULL;
  char *b64;
  int n;

  if (!EVP_PKEY_get_bn_param(key, name, &bn))
    return NULL;
  n = pad > 0 ? BN_bn2binpad(bn, buf, pad)
              : (BN_num_bytes(bn) <= (int)sizeof buf ? BN_bn2bin(bn, buf)
                                                      : -1);
  if (n > 0 && (b64 = cp_base64_encode(CP_BASE64_RAW_URL, buf, (size_t)n)) != NULL) {
    s = json_object_new_string(b64);
    free(b64);
  }
  BN_free(bn);
  return s;
}

char *cp_sa_key_jwks(EVP_PKEY *key, const char *kid) {
  json_object *set = json_object_new_object(), *keys = json_object_new_array();
  json_object *k = json_object_new_object();
  const char *alg = cp_jwt_alg_for(key);
  int rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
  char *out = NULL;
  json_object *a, *b;

  if (set == NULL || keys == NULL || k == NULL || alg == NULL)
    goto out;
  json_object_object_add(k, "use", json_object_new_string("sig"));
  json_object_object_add(k, "kty", json_object_new_string(rsa ? "RSA"
                                                              : "EC"));
  json_object_object_add(k, "kid", json_object_new_string(kid));
  if (!rsa)
    json_object_object_add(k, "crv", json_object_new_string("P-256"));
  json_object_object_add(k, "alg", json_object_new_string(alg));
  a = rsa ? bn_param(key, OSSL_PKEY_PARAM_RSA_N, 0)
          : bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, 32);
  b = rsa ? bn_param(key, OSSL_PKEY_PARAM_RSA_E, 0)
          : bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
  if (a == NULL || b == NULL) {
    json_object_put(a);
    json_object_put(b);
    goto out;
  }
  json_object_object_add(k, rsa ? "n" : "x", a);
  json_object_object_add(k, rsa ? "e" : "y", b);
  json_object_array_add(keys, k);
  k = NULL;
  json_object_object_add(set, "keys", keys);
  keys = NULL;
  out = strdup(json_object_to_json_string_ext(
      set, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
out:
  json_object_put(k);
  json_object_put(keys);
  json_object_put(set);
  return out;
}
