/*
 * embedded - see embedded.h.
 */
#include "apiserver/embedded.h"

#include "apiserver/auth.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/authn/sa_key.h"
#include "apiserver/pki.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ENDPOINTS 16

static int make_dir(const char *dir, char **errmsg) {
  if (mkdir(dir, 0700) == 0 || errno == EEXIST)
    return 0;
  if (asprintf(errmsg, "cannot create data directory %s: %s (set [host] "
                       "data_dir or --data-dir to a writable directory)",
               dir, strerror(errno)) < 0)
    *errmsg = NULL;
  return -1;
}

static int open_etcd(const struct cp_apiserver_settings *a, cp_store **out,
                     char **errmsg) {
  const char *eps[MAX_ENDPOINTS];
  char *copy, *save = NULL, *tok;
  cp_store_etcd_opts o;
  size_t n = 0;
  int rc;

  if (a->etcd_endpoints == NULL || a->etcd_endpoints[0] == '\0') {
    *errmsg = strdup("[apiserver] store = etcd needs etcd_endpoints");
    return -1;
  }
  if ((copy = strdup(a->etcd_endpoints)) == NULL)
    return -1;
  for (tok = strtok_r(copy, ", ", &save); tok != NULL && n < MAX_ENDPOINTS;
       tok = strtok_r(NULL, ", ", &save))
    eps[n++] = tok;
  memset(&o, 0, sizeof o);
  o.endpoints = eps;
  o.endpoint_count = n;
  o.prefix = a->etcd_prefix;
  o.ca_file = a->etcd_ca_file;
  o.cert_file = a->etcd_cert_file;
  o.key_file = a->etcd_key_file;
  o.dial_timeout_ms = (int64_t)a->etcd_dial_timeout_ms;
  o.request_timeout_ms = (int64_t)a->etcd_request_timeout_ms;
  o.compact_interval_ms = (int64_t)a->compact_interval_ms;
  rc = cp_store_etcd_open(&o, out, errmsg);
  free(copy);
  return rc == CPLANE_OK ? 0 : -1;
}

static int is_loopback(const char *addr) {
  return addr == NULL || strncmp(addr, "127.", 4) == 0 ||
         strcmp(addr, "::1") == 0 || strcmp(addr, "localhost") == 0;
}

/* TLS material: configured files, or our own CA and certificate in
 * <data_dir>/pki. Fills sc->ssl_ctx and sc->ca_file (ca_buf), and the
 * CSR signing CA (sign_crt, sign_key: the configured files, or the pki
 * directory's CA, as kubeadm points kube-controller-manager at it). */
static int setup_tls(const struct cp_apiserver_settings *a,
                     const char *data_dir, struct cp_apiserver_config *sc,
                     char *ca_buf, size_t ca_len, char *sign_crt,
                     char *sign_key, char **errmsg) {
  char pki[4096], cert[4200], key[4200];
  const char *client_ca = a->client_ca_file;

  if (!a->tls) {
    if (!is_loopback(a->address)) {
      if (asprintf(errmsg, "[apiserver] tls = false is only allowed on a "
                           "loopback address, not %s", a->address) < 0)
        *errmsg = NULL;
      return -1;
    }
    return 0;
  }
  if ((a->tls_cert_file != NULL) != (a->tls_key_file != NULL)) {
    *errmsg = strdup("[apiserver] tls_cert_file and tls_key_file go "
                     "together");
    return -1;
  }
  if (a->tls_cert_file != NULL) {
    snprintf(cert, sizeof cert, "%s", a->tls_cert_file);
    snprintf(key, sizeof key, "%s", a->tls_key_file);
    if (a->tls_ca_file != NULL)
      snprintf(ca_buf, ca_len, "%s", a->tls_ca_file);
    else
      ca_buf[0] = '\0';
  } else {
    if (snprintf(pki, sizeof pki, "%s/pki", data_dir) >= (int)sizeof pki) {
      *errmsg = strdup("the data directory's path is too long");
      return -1;
    }
    if (cp_pki_ensure(pki, a->address, errmsg) < 0)
      return -1;
    snprintf(cert, sizeof cert, "%s/server.crt", pki);
    snprintf(key, sizeof key, "%s/server.key", pki);
    snprintf(ca_buf, ca_len, "%s/ca.crt", pki);
    snprintf(sign_crt, 4200, "%s/ca.crt", pki);
    snprintf(sign_key, 4200, "%s/ca.key", pki);
    /* Certificates our CA signs (approved CSRs) authenticate, as with
     * kubeadm's --client-ca-file=ca.crt. */
    if (client_ca == NULL && a->cluster_signing_cert_file == NULL)
      client_ca = ca_buf;
  }
  if (a->cluster_signing_cert_file != NULL &&
      a->cluster_signing_key_file != NULL) {
    snprintf(sign_crt, 4200, "%s", a->cluster_signing_cert_file);
    snprintf(sign_key, 4200, "%s", a->cluster_signing_key_file);
  }
  sc->ssl_ctx = cp_pki_server_ctx(cert, key, client_ca, errmsg);
  sc->client_ca_file = client_ca;
  sc->ca_file = ca_buf[0] ? ca_buf : NULL;
  return sc->ssl_ctx != NULL ? 0 : -1;
}

/* The aggregator's front-proxy client, made in <data_dir>/pki beside our
 * own CA (none with configured TLS files, or without TLS). */
static int setup_front_proxy(const struct cp_apiserver_settings *a,
                             const char *data_dir, char *crt, char *key,
                             char *ca, char **errmsg) {
  char pki[4096];

  if (!a->tls || a->tls_cert_file != NULL)
    return 0;
  if (snprintf(pki, sizeof pki, "%s/pki", data_dir) >= (int)sizeof pki)
    return 0; /* setup_tls refused such a path already */
  if (cp_pki_ensure_front_proxy(pki, errmsg) < 0)
    return -1;
  snprintf(crt, 4200, "%s/front-proxy-client.crt", pki);
  snprintf(key, 4200, "%s/front-proxy-client.key", pki);
  snprintf(ca, 4200, "%s/front-proxy-ca.crt", pki);
  return 0;
}

/* Tokens and rules. A missing default tokens file is made, with a fresh
 * admin token. */
static int setup_auth(const struct cp_config *cfg, const char *data_dir,
                      struct cp_apiserver_config *sc, char **errmsg) {
  const struct cp_apiserver_settings *a = &cfg->apiserver;
  struct cp_authz_rule_config *rules = NULL;
  char *path = NULL, *made;
  size_t i;
  int rc = -1;

  if (a->tokens_file != NULL)
    path = strdup(a->tokens_file);
  else if (asprintf(&path, "%s/tokens.csv", data_dir) < 0)
    path = NULL;
  if (path == NULL)
    goto out;
  if (a->tokens_file == NULL && access(path, F_OK) != 0) {
    if ((made = cp_auth_make_token_file(path, errmsg)) == NULL)
      goto out;
    free(made);
  }
  if (cfg->n_authz > 0 &&
      (rules = calloc(cfg->n_authz, sizeof *rules)) == NULL)
    goto out;
  for (i = 0; i < cfg->n_authz; i++) {
    rules[i].name = cfg->authz[i].name;
    rules[i].users = cfg->authz[i].users;
    rules[i].groups = cfg->authz[i].groups;
    rules[i].verbs = cfg->authz[i].verbs;
    rules[i].resources = cfg->authz[i].resources;
    rules[i].namespaces = cfg->authz[i].namespaces;
    rules[i].non_resource_urls = cfg->authz[i].non_resource_urls;
  }
  sc->auth = cp_auth_new(path, rules, cfg->n_authz, errmsg);
  if (sc->auth == NULL)
    goto out;
  sc->admin_token = cp_auth_admin_token(sc->auth);
  rc = 0;
out:
  free(rules);
  free(path);
  return rc;
}

/* The ServiceAccount signing key (made in <data_dir>/pki unless
 * configured) and the authenticator that uses it. */
static int setup_authn(const struct cp_apiserver_settings *a,
                       const char *data_dir, cp_store *store,
                       struct cp_apiserver_config *sc, char **errmsg) {
  struct cp_authn_config ac;
  char pki[4096], key[4200];

  if (a->service_account_key_file != NULL) {
    snprintf(key, sizeof key, "%s", a->service_account_key_file);
  } else {
    if (snprintf(pki, sizeof pki, "%s/pki", data_dir) >= (int)sizeof pki) {
      *errmsg = strdup("the data directory's path is too long");
      return -1;
    }
    if (cp_sa_key_ensure(pki, errmsg) < 0)
      return -1;
    snprintf(key, sizeof key, "%s/sa.key", pki);
  }
  memset(&ac, 0, sizeof ac);
  ac.key_file = key;
  ac.issuer = a->service_account_issuer;
  ac.anonymous = a->anonymous;
  ac.ca_file = sc->ca_file;
  ac.store = store;
  sc->authn = cp_authn_new(&ac, errmsg);
  return sc->authn != NULL ? 0 : -1;
}

int cp_embedded_start(const struct cp_config *cfg, const char *data_dir,
                      struct cp_embedded *e, char **errmsg) {
  const struct cp_apiserver_settings *a = &cfg->apiserver;
  struct cp_apiserver_config sc;
  char *db = NULL, ca_file[4200], abs_dir[PATH_MAX];
  char sign_crt[4200] = "", sign_key[4200] = "";
  char fp_crt[4200] = "", fp_key[4200] = "", fp_ca[4200] = "";
  int rc = -1;

  memset(e, 0, sizeof *e);
  *errmsg = NULL;
  if (make_dir(data_dir, errmsg) < 0)
    return -1;
  /* Absolute from here on: paths go into the log and the kubeconfig. */
  if (realpath(data_dir, abs_dir) != NULL)
    data_dir = abs_dir;
  if (a->store != NULL && strcmp(a->store, "etcd") == 0) {
    if (open_etcd(a, &e->store, errmsg) < 0)
      goto out;
  } else {
    if (a->sqlite_path != NULL)
      db = strdup(a->sqlite_path);
    else if (asprintf(&db, "%s/cplane.db", data_dir) < 0)
      db = NULL;
    cp_store_sqlite_opts so;

    memset(&so, 0, sizeof so);
    so.compact_interval_ms = (int64_t)a->compact_interval_ms;
    if (db == NULL ||
        cp_store_sqlite_open(db, &so, &e->store, errmsg) != CPLANE_OK)
      goto out;
  }
  if (a->kubeconfig_out != NULL)
    e->kubeconfig = strdup(a->kubeconfig_out);
  else if (asprintf(&e->kubeconfig, "%s/admin.kubeconfig", data_dir) < 0)
    e->kubeconfig = NULL;
  memset(&sc, 0, sizeof sc);
  if (setup_tls(a, data_dir, &sc, ca_file, sizeof ca_file, sign_crt,
                sign_key, errmsg) < 0 ||
      setup_front_proxy(a, data_dir, fp_crt, fp_key, fp_ca, errmsg) < 0 ||
      setup_auth(cfg, data_dir, &sc, errmsg) < 0 ||
      setup_authn(a, data_dir, e->store, &sc, errmsg) < 0) {
    if (sc.ssl_ctx != NULL)
      SSL_CTX_free(sc.ssl_ctx);
    cp_auth_free(sc.auth);
    cp_authn_free(sc.authn);
    goto out;
  }
  sc.address = a->address;
  sc.port = a->port;
  sc.store = e->store;
  sc.workers = a->workers;
  sc.max_body = (size_t)a->max_body;
  sc.read_header_timeout_ms = a->read_header_timeout_ms;
  sc.idle_timeout_ms = a->idle_timeout_ms;
  sc.watch_stream_bytes = (size_t)a->watch_stream_bytes;
  sc.watch_cache_bytes = (size_t)a->watch_cache_bytes;
  sc.service_cidr = a->service_cidr;
  sc.service_node_port_range = a->service_node_port_range;
  sc.default_not_ready_toleration_seconds =
      (int64_t)a->default_not_ready_toleration_seconds;
  sc.default_unreachable_toleration_seconds =
      (int64_t)a->default_unreachable_toleration_seconds;
  sc.disable_admission_plugins = a->disable_admission_plugins;
  sc.psa_exempt_users = a->podsecurity_exempt_usernames;
  sc.psa_exempt_namespaces = a->podsecurity_exempt_namespaces;
  sc.psa_exempt_runtime_classes = a->podsecurity_exempt_runtime_classes;
  sc.kubeconfig_path = e->kubeconfig;
  sc.csr_signing_cert = sign_crt[0] ? sign_crt : NULL;
  sc.csr_signing_key = sign_key[0] ? sign_key : NULL;
  sc.csr_signing_seconds = (int64_t)(a->cluster_signing_duration_ms / 1000);
  sc.proxy_client_cert = fp_crt[0] ? fp_crt : NULL;
  sc.proxy_client_key = fp_key[0] ? fp_key : NULL;
  sc.proxy_ca_file = fp_ca[0] ? fp_ca : NULL;
  sc.audit.policy_file = a->audit_policy_file;
  sc.audit.log_path = a->audit_log_path;
  sc.audit.max_bytes = (uint64_t)a->audit_log_maxsize << 20;
  sc.audit.max_backups = a->audit_log_maxbackup;
  sc.audit.max_age_days = a->audit_log_maxage;
  {
    /* Copies first: the server owns (and may free) sc's auth. */
    const char *addr = a->address && strcmp(a->address, "0.0.0.0") != 0
                           ? a->address
                           : "127.0.0.1";

    e->token = sc.admin_token ? strdup(sc.admin_token) : NULL;
    e->ca_file = sc.ca_file ? strdup(sc.ca_file) : NULL;
    if (sc.client_ca_file != NULL && sign_key[0] &&
        strcmp(sc.client_ca_file, sign_crt) == 0) {
      e->client_signer_crt = strdup(sign_crt);
      e->client_signer_key = strdup(sign_key);
    }
    if (cp_apiserver_start(&sc, &e->server, errmsg) != CPLANE_OK)
      goto out;
    if (asprintf(&e->url, "%s://%s:%d", sc.ssl_ctx ? "https" : "http", addr,
                 cp_apiserver_port(e->server)) < 0)
      e->url = NULL;
  }
  rc = 0;
out:
  free(db);
  if (rc < 0)
    cp_embedded_stop(e);
  return rc;
}

void cp_embedded_stop(struct cp_embedded *e) {
  cp_apiserver_stop(e->server);
  cp_store_close(e->store);
  free(e->kubeconfig);
  free(e->url);
  free(e->ca_file);
  free(e->token);
  free(e->client_signer_crt);
  free(e->client_signer_key);
  memset(e, 0, sizeof *e);
}
