/*
 * pki_sign - see pki_sign.h.
 */
#include "apiserver/pki_sign.h"

#include "apiserver/pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* kube's authority: backdate 5 minutes, except certificates shorter than
 * the 8-hour "short" horizon (their whole life would be skewed). */
#define BACKDATE_S (5 * 60)
#define SHORT_S (8 * 3600)

/* One certificates.k8s.io usage and where it goes: key usage bit (OpenSSL
 * name) or extended key usage (OpenSSL short name). */
struct usage {
  const char *name, *ku, *eku;
};

static const struct usage usages[] = {
    {"signing", "digitalSignature", NULL},
    {"digital signature", "digitalSignature", NULL},
    {"content commitment", "nonRepudiation", NULL},
    {"key encipherment", "keyEncipherment", NULL},
    {"key agreement", "keyAgreement", NULL},
    {"data encipherment", "dataEncipherment", NULL},
    {"cert sign", "keyCertSign", NULL},
    {"crl sign", "cRLSign", NULL},
    {"encipher only", "encipherOnly", NULL},
    {"decipher only", "decipherOnly", NULL},
    {"any", NULL, "anyExtendedKeyUsage"},
    {"server auth", NULL, "serverAuth"},
    {"client auth", NULL, "clientAuth"},
    {"code signing", NULL, "codeSigning"},
    {"email protection", NULL, "emailProtection"},
    {"s/mime", NULL, "emailProtection"},
    {"ipsec end system", NULL, "ipsecEndSystem"},
    {"ipsec tunnel", NULL, "ipsecTunnel"},
    {"ipsec user", NULL, "ipsecUser"},
    {"timestamping", NULL, "timeStamping"},
    {"ocsp signing", NULL, "OCSPSigning"},
    {"microsoft sgc", NULL, "msSGC"},
    {"netscape sgc", NULL, "nsSGC"},
};

static const struct usage *usage_of(const char *name) {
  size_t i;

  for (i = 0; name != NULL && i < sizeof usages / sizeof usages[0]; i++)
    if (strcmp(usages[i].name, name) == 0)
      return &usages[i];
  return NULL;
}

int cp_pki_usage_known(const char *usage) { return usage_of(usage) != NULL; }

static char *fail(char **errmsg, const char *what) {
  char buf[256] = "";
  unsigned long e = ERR_peek_last_error();

  if (e != 0)
    ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  if (asprintf(errmsg, "%s%s%s", what, buf[0] ? ": " : "", buf) < 0)
    *errmsg = NULL;
  return NULL;
}

/* Appends ",word" to a comma list in buf (once). */
static void list_add(char *buf, size_t len, const char *word) {
  const char *p = strstr(buf, word);
  size_t n = strlen(word);

  if (p != NULL && (p == buf || p[-1] == ',') && (p[n] == ',' || !p[n]))
    return;
  snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? "," : "",
           word);
}

/* The request's subjectAltName, as asked (kube copies DNS names, IPs,
 * emails and URIs; no other requested extension). */
static int copy_san(X509 *x, X509_REQ *req) {
  STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
  int i, ok = 1;

  for (i = 0; exts != NULL && i < sk_X509_EXTENSION_num(exts); i++) {
    X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);

    if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) == NID_subject_alt_name)
      ok = X509_add_ext(x, e, -1);
  }
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  return ok;
}

/* The keyUsage ("critical,...") and extKeyUsage values of the usages;
 * "" when there are none of a kind. */
static void usage_values(const char *const *u, size_t n, char ku[600],
                         char eku[512]) {
  char bits[512] = "";
  size_t i;

  eku[0] = '\0';
  for (i = 0; i < n; i++) {
    const struct usage *s = usage_of(u[i]);

    if (s != NULL && s->ku != NULL)
      list_add(bits, sizeof bits, s->ku);
    if (s != NULL && s->eku != NULL)
      list_add(eku, 512, s->eku);
  }
  snprintf(ku, 600, "%s%s", bits[0] ? "critical," : "", bits);
}

/* The certificate's extensions but its subjectAltName (copy_san). */
static int add_exts(X509 *x, X509 *ca, const char *const *u, size_t n) {
  char ku[600], eku[512];

  usage_values(u, n, ku, eku);
  const struct cp_pki_ext exts[] = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      /* AKI only from a CA with an SKI (a configured CA may have none,
       * and OpenSSL then refuses "keyid"). */
      {NID_authority_key_identifier,
       X509_get0_subject_key_id(ca) != NULL ? "keyid" : NULL},
      {NID_key_usage, ku[0] ? ku : NULL},
      {NID_ext_key_usage, eku[0] ? eku : NULL},
  };
  return cp_pki_add_exts(x, ca, exts, sizeof exts / sizeof exts[0]);
}

static X509 *read_cert(const char *path) {
  FILE *f = fopen(path, "r");
  X509 *x;

  if (f == NULL)
    return NULL;
  x = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  return x;
}

static EVP_PKEY *read_key(const char *path) {
  FILE *f = fopen(path, "r");
  EVP_PKEY *k;

  if (f == NULL)
    return NULL;
  k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
  fclose(f);
  return k;
}

/* Validity: now - backdate .. min(now - backdate + seconds, CA's end). */
static int set_validity(X509 *x, X509 *ca, int64_t seconds) {
  long back = seconds < SHORT_S ? 0 : BACKDATE_S;
  time_t now = time(NULL);
  int day, sec;

  if (X509_cmp_time(X509_get0_notAfter(ca), &now) <= 0)
    return 0;
  X509_gmtime_adj(X509_getm_notBefore(x), -back);
  X509_time_adj_ex(X509_getm_notAfter(x), 0, (long)(seconds - back), &now);
  if (ASN1_TIME_diff(&day, &sec, X509_get0_notAfter(ca),
                     X509_get0_notAfter(x)) == 1 &&
      (day > 0 || sec > 0))
    return X509_set1_notAfter(x, X509_get0_notAfter(ca));
  return 1;
}

static char *to_pem(X509 *x) {
  BIO *b = BIO_new(BIO_s_mem());
  char *data, *out = NULL;
  long n;

  if (b != NULL && PEM_write_bio_X509(b, x) == 1 &&
      (n = BIO_get_mem_data(b, &data)) > 0 &&
      (out = malloc((size_t)n + 1)) != NULL) {
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
  }
  BIO_free(b);
  return out;
}

static X509_REQ *read_req(const unsigned char *pem, size_t n) {
  BIO *b = n < (1u << 20) ? BIO_new_mem_buf(pem, (int)n) : NULL;
  X509_REQ *r = b != NULL ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL)
                          : NULL;

  BIO_free(b);
  return r;
}

char *cp_pki_sign_csr(const char *ca_crt, const char *ca_key,
                      const unsigned char *csr_pem, size_t csr_len,
                      const char *const *u, size_t n, int64_t seconds,
                      char **errmsg) {
  X509 *ca = read_cert(ca_crt), *x = NULL;
  EVP_PKEY *key = read_key(ca_key), *pub = NULL;
  X509_REQ *req = read_req(csr_pem, csr_len);
  char *pem = NULL;

  *errmsg = NULL;
  if (ca == NULL || key == NULL) {
    fail(errmsg, "error reading the signing CA");
    goto out;
  }
  if (req == NULL || (pub = X509_REQ_get_pubkey(req)) == NULL) {
    fail(errmsg, "unable to parse csr");
    goto out;
  }
  if ((x = X509_new()) == NULL || !cp_pki_set_serial(x) ||
      !X509_set_version(x, 2) || !X509_set_pubkey(x, pub) ||
      !X509_set_subject_name(x, X509_REQ_get_subject_name(req)) ||
      !X509_set_issuer_name(x, X509_get_subject_name(ca)))
    goto oom;
  if (!set_validity(x, ca, seconds)) {
    fail(errmsg, "the signer has expired");
    goto out;
  }
  if (!add_exts(x, ca, u, n) || !copy_san(x, req) ||
      X509_sign(x, key, EVP_sha256()) <= 0) {
    fail(errmsg, "error signing the certificate");
    goto out;
  }
  if ((pem = to_pem(x)) != NULL)
    goto out;
oom:
  if (*errmsg == NULL)
    fail(errmsg, "out of memory");
out:
  X509_free(x);
  X509_free(ca);
  EVP_PKEY_free(key);
  EVP_PKEY_free(pub);
  X509_REQ_free(req);
  return pem;
}
