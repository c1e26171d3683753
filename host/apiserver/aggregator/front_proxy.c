/*
 * front_proxy - see front_proxy.h. ECDSA P-256 keys; the CA lasts ten
 * years, the client certificate one (renewed by deleting it).
 */
#include "apiserver/aggregator/front_proxy.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define DAY (24L * 3600L)

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
  X509V3_CTX ctx;
  X509_EXTENSION *ext;
  int ok;

  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
  if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
    return 0;
  ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok;
}

/* A CA (issuer NULL: self-signed) or a client certificate. */
static X509 *make(EVP_PKEY *key, const char *cn, X509 *issuer,
                  EVP_PKEY *issuer_key, long days) {
  X509 *x = X509_new(), *by;
  unsigned char serial[16];
  BIGNUM *bn = NULL;
  int ok = 0;

  if (x == NULL || RAND_bytes(serial, sizeof serial) != 1)
    goto out;
  serial[0] &= 0x7f;
  if ((bn = BN_bin2bn(serial, sizeof serial, NULL)) == NULL ||
      !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
    goto out;
  X509_set_version(x, 2);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), days * DAY);
  X509_set_pubkey(x, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             (const unsigned char *)cn, -1, -1, 0);
  by = issuer != NULL ? issuer : x;
  X509_set_issuer_name(x, X509_get_subject_name(by));
  if (issuer == NULL)
    ok = add_ext(x, by, NID_basic_constraints, "critical,CA:TRUE") &&
         add_ext(x, by, NID_key_usage,
                 "critical,keyCertSign,cRLSign,digitalSignature") &&
         add_ext(x, by, NID_subject_key_identifier, "hash");
  else
    ok = add_ext(x, by, NID_basic_constraints, "critical,CA:FALSE") &&
         add_ext(x, by, NID_key_usage, "critical,digitalSignature") &&
         add_ext(x, by, NID_ext_key_usage, "clientAuth");
  ok = ok && X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0;
out:
  BN_free(bn);
  if (!ok) {
    X509_free(x);
    return NULL;
  }
  return x;
}

static int write_pem(const char *path, mode_t mode, X509 *cert,
                     EVP_PKEY *key) {
  char tmp[4200];
  FILE *f;
  int fd, ok;

  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
    if (fd >= 0)
      close(fd);
    return 0;
  }
  ok = cert ? PEM_write_X509(f, cert)
            : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
  ok = fclose(f) == 0 && ok;
  return ok && rename(tmp, path) == 0;
}

int cp_front_proxy_ensure(const char *dir, char **errmsg) {
  char p[4][4200];
  EVP_PKEY *cak = NULL, *k = NULL;
  X509 *ca = NULL, *x = NULL;
  int rc = -1;

  *errmsg = NULL;
  snprintf(p[0], sizeof p[0], "%s/front-proxy-ca.crt", dir);
  snprintf(p[1], sizeof p[1], "%s/front-proxy-ca.key", dir);
  snprintf(p[2], sizeof p[2], "%s/front-proxy-client.crt", dir);
  snprintf(p[3], sizeof p[3], "%s/front-proxy-client.key", dir);
  if (access(p[2], R_OK) == 0)
    return 0;
  cak = EVP_EC_gen("P-256");
  k = EVP_EC_gen("P-256");
  ca = cak ? make(cak, "front-proxy-ca", NULL, NULL, 3650) : NULL;
  x = ca && k ? make(k, "front-proxy-client", ca, cak, 365) : NULL;
  if (x == NULL) {
    ERR_clear_error();
    *errmsg = strdup("TLS: cannot make the front-proxy certificates");
    goto out;
  }
  if (!write_pem(p[1], 0600, NULL, cak) || !write_pem(p[0], 0644, ca, NULL) ||
      !write_pem(p[3], 0600, NULL, k) || !write_pem(p[2], 0644, x, NULL)) {
    if (asprintf(errmsg, "TLS: cannot write the front-proxy certificates "
                         "in %s", dir) < 0)
      *errmsg = NULL;
    goto out;
  }
  rc = 0;
out:
  X509_free(ca);
  X509_free(x);
  EVP_PKEY_free(cak);
  EVP_PKEY_free(k);
  return rc;
}
