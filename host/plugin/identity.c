/*
 * identity - see identity.h.
 */
#include "plugin/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "apiserver/pki_sign.h"
#include "client/client.h"
#include "log/log.h"
#include "plugin/identity_rbac.h"
#include "plugin/identity_token.h"
#include "plugin/plugin.h"

/* Renew at 80 % of the credential's life; after a failed renewal try
 * again in a minute with the old one. */
#define RENEW_PERCENT 80
#define RETRY_MS 60000

static int64_t mono_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *dup_or_null(const char *s, int *oom) {
  char *d;

  if (s == NULL)
    return NULL;
  if ((d = strdup(s)) == NULL)
    *oom = 1;
  return d;
}

int cp_identity_issuer_init(struct cp_identity_issuer *is, const char *server,
                            const char *server_ca, const char *ca_crt,
                            const char *ca_key, struct cp_client *admin) {
  int oom = 0;

  memset(is, 0, sizeof *is);
  is->server = dup_or_null(server, &oom);
  is->server_ca = dup_or_null(server_ca, &oom);
  /* Both or neither: a certificate without its key signs nothing. */
  if (ca_crt != NULL && ca_key != NULL) {
    is->ca_crt = dup_or_null(ca_crt, &oom);
    is->ca_key = dup_or_null(ca_key, &oom);
  }
  is->admin = admin;
  if (!oom)
    return 0;
  cp_identity_issuer_free(is);
  return -1;
}

int cp_identity_issuer_init_remote(struct cp_identity_issuer *is,
                                   const struct cp_client_config *server,
                                   struct cp_client *admin) {
  int oom = 0;

  if (cp_identity_issuer_init(is, server->server, server->ca_file, NULL, NULL,
                              admin) < 0)
    return -1;
  is->server_ca_pem = dup_or_null(server->ca_pem, &oom);
  is->insecure = server->insecure;
  if (!oom)
    return 0;
  cp_identity_issuer_free(is);
  return -1;
}

void cp_identity_issuer_free(struct cp_identity_issuer *is) {
  if (is == NULL)
    return;
  free(is->server);
  free(is->server_ca);
  free(is->server_ca_pem);
  free(is->ca_crt);
  free(is->ca_key);
  memset(is, 0, sizeof *is);
}

int cp_identity_user(const char *plugin, char *buf, size_t len) {
  int n = snprintf(buf, len, "system:serviceaccount:%s:%s",
                   CP_IDENTITY_NAMESPACE, plugin);

  return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int fail(char **errmsg, const char *what, const char *plugin) {
  char buf[256] = "";
  unsigned long e = ERR_peek_last_error();

  if (e != 0)
    ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  if (asprintf(errmsg, "cannot issue a certificate for plugin %s: %s%s%s",
               plugin, what, buf[0] ? ": " : "", buf) < 0)
    *errmsg = NULL;
  return -1;
}

/* The BIO's bytes as a malloc'd NUL-terminated string. */
static char *bio_string(BIO *b) {
  char *data, *out = NULL;
  long n = BIO_get_mem_data(b, &data);

  if (n > 0 && (out = malloc((size_t)n + 1)) != NULL) {
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
  }
  return out;
}

/* A PEM CERTIFICATE REQUEST for the plugin's user, signed with key. */
static char *make_csr(EVP_PKEY *key, const char *user) {
  static const char *const groups[] = {
      "system:serviceaccounts", "system:serviceaccounts:" CP_IDENTITY_NAMESPACE};
  X509_REQ *req = X509_REQ_new();
  X509_NAME *subj = X509_NAME_new();
  BIO *b = BIO_new(BIO_s_mem());
  char *pem = NULL;
  size_t i;
  int ok = req != NULL && subj != NULL && b != NULL;

  for (i = 0; ok && i < sizeof groups / sizeof groups[0]; i++)
    ok = X509_NAME_add_entry_by_txt(subj, "O", MBSTRING_UTF8,
                                    (const unsigned char *)groups[i], -1, -1,
                                    0) == 1;
  ok = ok && X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8,
                                        (const unsigned char *)user, -1, -1,
                                        0) == 1;
  ok = ok && X509_REQ_set_subject_name(req, subj) == 1 &&
       X509_REQ_set_pubkey(req, key) == 1 &&
       X509_REQ_sign(req, key, EVP_sha256()) > 0 &&
       PEM_write_bio_X509_REQ(b, req) == 1;
  if (ok)
    pem = bio_string(b);
  BIO_free(b);
  X509_NAME_free(subj);
  X509_REQ_free(req);
  return pem;
}

static char *key_pem_of(EVP_PKEY *key) {
  BIO *b = BIO_new(BIO_s_mem());
  char *pem = NULL;

  if (b != NULL &&
      PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) == 1)
    pem = bio_string(b);
  BIO_free(b);
  return pem;
}

int cp_identity_issue(const char *ca_crt, const char *ca_key,
                      const char *plugin, int64_t seconds, char **cert_pem,
                      char **key_pem, char **errmsg) {
  static const char *const usages[] = {"digital signature",
                                       "key encipherment", "client auth"};
  char user[512], *csr = NULL, *serr = NULL;
  EVP_PKEY *key = NULL;
  int rc = -1;

  *cert_pem = *key_pem = *errmsg = NULL;
  if (plugin == NULL || plugin[0] == '\0' ||
      cp_identity_user(plugin, user, sizeof user) < 0)
    return fail(errmsg, "the name is empty or too long",
                plugin ? plugin : "?");
  if ((key = EVP_EC_gen("P-256")) == NULL)
    return fail(errmsg, "cannot make a key", plugin);
  if ((csr = make_csr(key, user)) == NULL ||
      (*key_pem = key_pem_of(key)) == NULL) {
    fail(errmsg, "cannot make the request", plugin);
    goto out;
  }
  *cert_pem = cp_pki_sign_csr(ca_crt, ca_key, (const unsigned char *)csr,
                              strlen(csr), usages,
                              sizeof usages / sizeof usages[0], seconds,
                              &serr);
  if (*cert_pem == NULL) {
    if (asprintf(errmsg, "cannot issue a certificate for plugin %s: %s",
                 plugin, serr ? serr : "out of memory") < 0)
      *errmsg = NULL;
    goto out;
  }
  rc = 0;
out:
  if (rc < 0) {
    free(*key_pem);
    *key_pem = NULL;
  }
  free(serr);
  free(csr);
  EVP_PKEY_free(key);
  return rc;
}

/* How long a credential is asked for: the issuer's, or the default of
 * its kind. */
static int64_t lifetime_s(const struct cp_identity_issuer *is) {
  if (is->lifetime_s > 0)
    return is->lifetime_s;
  if (is->ca_key != NULL)
    return CP_IDENTITY_LIFETIME_S;
  return is->token_seconds > 0 ? is->token_seconds
                               : CP_IDENTITY_TOKEN_SECONDS;
}

/* A client for the plugin carrying a fresh credential: a certificate
 * when the issuer can sign one, else a ServiceAccount token. *life_s:
 * how long it is good for. */
static struct cp_client *new_client(const struct cp_identity_issuer *is,
                                    const char *plugin, int64_t *life_s,
                                    char **errmsg) {
  struct cp_client_config cc;
  struct cp_client *c = NULL;
  char *cert = NULL, *key = NULL, *token = NULL;

  *life_s = lifetime_s(is);
  if (is->ca_key != NULL
          ? cp_identity_issue(is->ca_crt, is->ca_key, plugin, *life_s, &cert,
                              &key, errmsg) < 0
          : cp_identity_token_request(is->admin, plugin, *life_s, &token,
                                      life_s, errmsg) < 0)
    return NULL;
  memset(&cc, 0, sizeof cc);
  cc.server = is->server;
  cc.ca_file = is->server_ca;
  cc.ca_pem = is->server_ca_pem;
  cc.insecure = is->insecure;
  cc.cert_pem = cert;
  cc.key_pem = key;
  cc.token = token;
  if (cp_client_new(&cc, &c, errmsg) < 0)
    c = NULL;
  /* The key and the token live on in the client only. */
  if (key != NULL)
    OPENSSL_cleanse(key, strlen(key));
  if (token != NULL)
    OPENSSL_cleanse(token, strlen(token));
  free(key);
  free(token);
  free(cert);
  return c;
}

static int64_t renew_at(int64_t life_s) {
  return mono_ms() + life_s * 1000 * RENEW_PERCENT / 100;
}

static void log_fallback_once(struct cp_identity_issuer *is) {
  if (atomic_exchange(&is->fallback_logged, 1) == 0)
    cp_log_warn("identity", "plugin_credentials = own, but the host knows "
                            "no API server to get plugins a credential "
                            "from: plugins call the API as the host");
}

void cp_plugin_identity_attach(struct cp_identity_issuer *is,
                               struct cplane_plugin_ctx *p) {
  struct cp_plugin_identity *id = NULL;
  char *err = NULL;
  int64_t life = 0;

  if (is == NULL || atomic_load(&p->identity) != NULL)
    return;
  if (is->server == NULL || (is->ca_key == NULL && is->admin == NULL)) {
    log_fallback_once(is);
    return;
  }
  if ((id = calloc(1, sizeof *id)) == NULL ||
      (id->plugin = strdup(p->name)) == NULL) {
    cp_log_warn("identity", "plugin %s keeps the host's credential: out of "
                            "memory", p->name);
    free(id);
    return;
  }
  pthread_mutex_init(&id->mu, NULL);
  id->issuer = is;
  id->token = is->ca_key == NULL;
  /* First: a token is asked for the ServiceAccount, so it must exist. */
  if (is->manage_rbac)
    cp_identity_rbac_ensure(is->admin, p);
  if ((id->current = new_client(is, p->name, &life, &err)) == NULL) {
    cp_log_warn("identity", "plugin %s keeps the host's credential: %s",
                p->name, err != NULL ? err : "out of memory");
    free(err);
    cp_plugin_identity_free(id);
    return;
  }
  id->renew_at_ms = renew_at(life);
  atomic_store(&p->identity, id);
  cp_log_info("identity", "plugin %s calls the API as "
                          "system:serviceaccount:%s:%s (%s, %lld s)",
              p->name, CP_IDENTITY_NAMESPACE, p->name,
              id->token ? "ServiceAccount token" : "client certificate",
              (long long)life);
}

/* Gets id's next credential; called without id->mu by the one caller
 * that found it due (id->renewing), so that the others go on with the
 * current one while a TokenRequest is under way. On failure the old one
 * goes on (it still has a fifth of its life) and we retry. Returns the
 * client to use. */
static struct cp_client *renew(struct cp_plugin_identity *id,
                               struct cp_client *cur) {
  char *err = NULL;
  int64_t life = 0;
  struct cp_client *c = new_client(id->issuer, id->plugin, &life, &err);

  pthread_mutex_lock(&id->mu);
  id->renewing = 0;
  if (c == NULL) {
    id->renew_at_ms = mono_ms() + RETRY_MS;
    pthread_mutex_unlock(&id->mu);
    cp_log_warn("identity", "plugin %s: renewing its %s failed (retrying "
                            "in %d s): %s",
                id->plugin, id->token ? "token" : "certificate",
                RETRY_MS / 1000, err ? err : "out of memory");
    free(err);
    return cur;
  }
  /* The retired one was swapped out a whole renewal period ago: nothing
   * can still be using it. */
  cp_client_free(id->retired);
  id->retired = id->current;
  id->current = c;
  id->renew_at_ms = renew_at(life);
  atomic_fetch_add(&id->renewals, 1);
  pthread_mutex_unlock(&id->mu);
  cp_log_info("identity", "plugin %s: %s renewed (%lld s)", id->plugin,
              id->token ? "token" : "certificate", (long long)life);
  return c;
}

struct cp_client *cp_plugin_client(struct cplane_plugin_ctx *p) {
  struct cp_plugin_identity *id = atomic_load(&p->identity);
  struct cp_client *c;
  int due;

  if (id == NULL)
    return p->client;
  pthread_mutex_lock(&id->mu);
  due = !id->renewing && mono_ms() >= id->renew_at_ms;
  if (due)
    id->renewing = 1;
  c = id->current;
  pthread_mutex_unlock(&id->mu);
  return due ? renew(id, c) : c;
}

int cp_plugin_request(struct cplane_plugin_ctx *p, const char *method,
                      const char *path, const char *content_type,
                      const char *body, size_t body_len, char **resp,
                      size_t *resp_len) {
  /* A manager is at most 128 bytes (kube's FieldManagerMaxLength): a
   * longer name is cut there by the server. */
  char ua[160];

  snprintf(ua, sizeof ua, "%.128s/cplane", p->name ? p->name : "plugin");
  return cp_client_request_as(cp_plugin_client(p), ua, method, path,
                              content_type, body, body_len, resp, resp_len);
}

void cp_plugin_identity_free(struct cp_plugin_identity *id) {
  if (id == NULL)
    return;
  cp_client_free(id->current);
  cp_client_free(id->retired);
  pthread_mutex_destroy(&id->mu);
  free(id->plugin);
  free(id);
}
