/*
 * csr_fixture - PKCS#10 requests made with OpenSSL for the csrapproving
 * tests: a fresh P-256 key, the subject's CN and O values, optional
 * subjectAltName, as base64 of the PEM (what spec.request holds).
 * Static functions; the result is malloc'd.
 */
#ifndef CPLANE_TESTS_UNIT_CSR_FIXTURE_H
#define CPLANE_TESTS_UNIT_CSR_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* cn may be NULL; orgs is a NULL-terminated list (may be NULL); san is
 * an OpenSSL subjectAltName value ("DNS:a.b", "IP:1.2.3.4") or NULL. */
static char *csr_fixture(const char *cn, const char *const *orgs,
                         const char *san) {
  EVP_PKEY *key = EVP_EC_gen("P-256");
  X509_REQ *req = X509_REQ_new();
  X509_NAME *name = X509_NAME_new();
  BIO *bio = BIO_new(BIO_s_mem());
  char *pem = NULL, *out = NULL;
  long len;

  if (key == NULL || req == NULL || name == NULL || bio == NULL)
    goto out;
  for (; orgs != NULL && *orgs != NULL; orgs++)
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                               (const unsigned char *)*orgs, -1, -1, 0);
  if (cn != NULL)
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               (const unsigned char *)cn, -1, -1, 0);
  X509_REQ_set_subject_name(req, name);
  X509_REQ_set_pubkey(req, key);
  if (san != NULL) {
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *ext =
        X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);

    sk_X509_EXTENSION_push(exts, ext);
    X509_REQ_add_extensions(req, exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  }
  X509_REQ_sign(req, key, EVP_sha256());
  PEM_write_bio_X509_REQ(bio, req);
  len = BIO_get_mem_data(bio, &pem);
  if ((out = malloc((size_t)len / 3 * 4 + 8)) != NULL)
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)pem,
                    (int)len);
out:
  BIO_free(bio);
  X509_NAME_free(name);
  X509_REQ_free(req);
  EVP_PKEY_free(key);
  return out;
}

#endif /* CPLANE_TESTS_UNIT_CSR_FIXTURE_H */
