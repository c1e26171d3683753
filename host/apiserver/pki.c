/*
 * pki - see pki.h. Keys are ECDSA P-256; certificates last ten years
 * (the CA) and one year (the serving certificate, renewed by deleting it).
 */
#include "apiserver/pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "encoding/base64.h"

#define DAY (24L * 3600L)

static int set_err(char **errmsg, const char *what, const char *path) {
  char buf[256] = "";
  unsigned long e = ERR_peek_last_error();

  if (e != 0)
    ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  if (asprintf(errmsg, "TLS: cannot %s%s%s%s%s", what, path ? " " : "",
               path ? path : "", buf[0] ? ": " : "", buf) < 0)
    *errmsg = NULL;
  return -1;
}

int cp_pki_add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
  X509V3_CTX ctx;
  X509_EXTENSION *ext;
  int ok;

  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (ext == NULL)
    return 0;
  ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok;
}

int cp_pki_add_exts(X509 *cert, X509 *issuer, const struct cp_pki_ext *exts,
                    size_t n) {
  size_t i;

  for (i = 0; i < n; i++)
    if (exts[i].value != NULL &&
        !cp_pki_add_ext(cert, issuer, exts[i].nid, exts[i].value))
      return 0;
  return 1;
}

int cp_pki_set_serial(X509 *cert) {
  unsigned char serial[16];
  BIGNUM *bn;
  int ok;

  if (RAND_bytes(serial, sizeof serial) != 1)
    return 0;
  serial[0] &= 0x7f; /* positive, as RFC 5280 wants */
  if ((bn = BN_bin2bn(serial, sizeof serial, NULL)) == NULL)
    return 0;
  ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
  BN_free(bn);
  return ok;
}

/* A certificate for key signed by (issuer, issuer_key), or self-signed
 * when issuer is NULL: a CA, a serving certificate for san, or (san NULL)
 * a client certificate. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
                       EVP_PKEY *issuer_key, long days, int ca,
                       const char *san) {
  X509 *x = X509_new();
  X509_NAME *name;
  const struct cp_pki_ext exts[] = {
      {NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE"},
      {NID_key_usage, ca ? "critical,keyCertSign,cRLSign,digitalSignature"
                         : "critical,digitalSignature,keyEncipherment"},
      {NID_subject_key_identifier, "hash"},
      {NID_ext_key_usage, ca ? NULL : san != NULL ? "serverAuth"
                                                  : "clientAuth"},
      {NID_subject_alt_name, ca ? NULL : san},
  };
  int ok = 0;

  if (x == NULL || !cp_pki_set_serial(x))
    goto out;
  X509_set_version(x, 2);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), days * DAY);
  X509_set_pubkey(x, key);
  name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             (const unsigned char *)cn, -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  if (!cp_pki_add_exts(x, issuer ? issuer : x, exts,
                       sizeof exts / sizeof exts[0]))
    goto out;
  ok = X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0;
out:
  if (!ok) {
    X509_free(x);
    return NULL;
  }
  return x;
}

/* Writes a PEM file atomically with mode (keys 0600). */
static int write_pem(const char *path, mode_t mode, X509 *cert,
                     EVP_PKEY *key) {
  char tmp[4096];
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

int cp_pki_ensure(const char *dir, const char *address, char **errmsg) {
  char ca_crt[4096], ca_key[4096], crt[4096], key[4096], san[512];
  EVP_PKEY *cak = NULL, *k = NULL;
  X509 *ca = NULL, *x = NULL;
  unsigned char ip[16];
  int rc = -1;

  *errmsg = NULL;
  snprintf(crt, sizeof crt, "%s/server.crt", dir);
  if (access(crt, R_OK) == 0)
    return 0;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    if (asprintf(errmsg, "TLS: cannot create %s: %s", dir,
                 strerror(errno)) < 0)
      *errmsg = NULL;
    return -1;
  }
  snprintf(ca_crt, sizeof ca_crt, "%s/ca.crt", dir);
  snprintf(ca_key, sizeof ca_key, "%s/ca.key", dir);
  snprintf(key, sizeof key, "%s/server.key", dir);
  if (address != NULL && strcmp(address, "127.0.0.1") != 0 &&
      strcmp(address, "0.0.0.0") != 0 && strcmp(address, "::") != 0 &&
      inet_pton(strchr(address, ':') ? AF_INET6 : AF_INET, address, ip) == 1)
    snprintf(san, sizeof san, "IP:127.0.0.1,DNS:localhost,IP:%s", address);
  else
    snprintf(san, sizeof san, "IP:127.0.0.1,DNS:localhost");
  cak = EVP_EC_gen("P-256");
  k = EVP_EC_gen("P-256");
  if (cak == NULL || k == NULL) {
    set_err(errmsg, "generate keys", NULL);
    goto out;
  }
  ca = make_cert(cak, "cplane-ca", NULL, NULL, 3650, 1, NULL);
  x = ca ? make_cert(k, "cplane-apiserver", ca, cak, 365, 0, san) : NULL;
  if (x == NULL) {
    set_err(errmsg, "make certificates", NULL);
    goto out;
  }
  if (!write_pem(ca_key, 0600, NULL, cak) || !write_pem(ca_crt, 0644, ca, NULL) ||
      !write_pem(key, 0600, NULL, k) || !write_pem(crt, 0644, x, NULL)) {
    if (asprintf(errmsg, "TLS: cannot write certificates in %s: %s", dir,
                 strerror(errno)) < 0)
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

int cp_pki_ensure_front_proxy(const char *dir, char **errmsg) {
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
  ca = cak ? make_cert(cak, "front-proxy-ca", NULL, NULL, 3650, 1, NULL)
           : NULL;
  x = ca && k ? make_cert(k, "front-proxy-client", ca, cak, 365, 0, NULL)
              : NULL;
  if (x == NULL) {
    set_err(errmsg, "make the front-proxy certificates", NULL);
    goto out;
  }
  if (!write_pem(p[1], 0600, NULL, cak) || !write_pem(p[0], 0644, ca, NULL) ||
      !write_pem(p[3], 0600, NULL, k) || !write_pem(p[2], 0644, x, NULL)) {
    if (asprintf(errmsg, "TLS: cannot write the front-proxy certificates "
                         "in %s: %s", dir, strerror(errno)) < 0)
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

/* Go's default secure TLS 1.2 suites, which kube-apiserver serves unless
 * told otherwise: ECDHE with AEAD ciphers only, no CBC, no RSA key
 * exchange. TLS 1.3 keeps OpenSSL's defaults (all AEAD). */
#define TLS12_CIPHERS                                                      \
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"             \
  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"             \
  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/* Go's answer to plain HTTP on a TLS port (net/http's serve). */
#define PLAINTEXT_ANSWER                                                   \
  "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an "   \
  "HTTPS server.\n"

/* A handshake that failed because the first bytes were a plain HTTP
 * request (OpenSSL says so: SSL_R_HTTP_REQUEST) gets Go's 400 written on
 * the socket as it is, instead of a silent close, so that a client with
 * http:// in its URL learns why. Runs on the thread doing the handshake;
 * the connection is closed by its owner right after. */
static void on_tls_info(const SSL *ssl, int where, int ret) {
  unsigned long e = ERR_peek_last_error();
  char drain[4096];
  int fd, i;

  if (!(where & SSL_CB_ACCEPT_EXIT) || ret > 0 ||
      ERR_GET_LIB(e) != ERR_LIB_SSL ||
      ERR_GET_REASON(e) != SSL_R_HTTP_REQUEST ||
      (fd = SSL_get_fd(ssl)) < 0)
    return;
  /* Read what the client sent (bounded), so that the close is a FIN and
   * not a reset that could discard our answer before it is read. */
  for (i = 0; i < 16; i++)
    if (recv(fd, drain, sizeof drain, MSG_DONTWAIT) <= 0)
      break;
  if (send(fd, PLAINTEXT_ANSWER, sizeof PLAINTEXT_ANSWER - 1,
           MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
    /* The client is gone; nothing to tell it. */
  }
}

SSL_CTX *cp_pki_server_ctx(const char *cert, const char *key,
                           const char *client_ca, char **errmsg) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

  *errmsg = NULL;
  if (ctx == NULL) {
    set_err(errmsg, "create a TLS context", NULL);
    return NULL;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) {
    set_err(errmsg, "set the TLS 1.2 cipher suites", NULL);
    goto fail;
  }
  SSL_CTX_set_info_callback(ctx, on_tls_info);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
    set_err(errmsg, "load the serving certificate", cert);
    goto fail;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    set_err(errmsg, "load the serving key", key);
    goto fail;
  }
  if (client_ca != NULL) {
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(client_ca);

    if (names == NULL ||
        SSL_CTX_load_verify_locations(ctx, client_ca, NULL) != 1) {
      sk_X509_NAME_pop_free(names, X509_NAME_free);
      set_err(errmsg, "load the client CA", client_ca);
      goto fail;
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    /* Optional: token clients present no certificate. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  }
  return ctx;
fail:
  SSL_CTX_free(ctx);
  return NULL;
}

char *cp_pki_file_base64(const char *path) {
  FILE *f = fopen(path, "rb");
  unsigned char *buf = NULL;
  char *out = NULL;
  long n;

  if (f == NULL)
    return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < (1L << 20) &&
      fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) != NULL &&
      fread(buf, 1, (size_t)n, f) == (size_t)n)
    out = cp_base64_encode(CP_BASE64_STD, buf, (size_t)n);
  free(buf);
  fclose(f);
  return out;
}
