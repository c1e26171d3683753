/*
 * identity - each plugin calls the API server as its own user, as
 * kube-controller-manager does with --use-service-account-credentials:
 * system:serviceaccount:kube-system:<plugin> (groups
 * system:serviceaccounts and system:serviceaccounts:kube-system), and
 * the plugin's own calls (writes, get/list/request, events) go out with
 * that credential. The shared informers' list/watch keep the host's
 * identity, as KCM's shared informers do. The credential is either
 *  - a short-lived client certificate the host issues, signed by cplane's
 *    CA, when it has the CA key (the embedded API server), or
 *  - without one (an external API server or a real cluster), a
 *    ServiceAccount token the host gets by TokenRequest with its own
 *    client (identity_token.h), as KCM does.
 * An isolated plugin's child has no issuer: its kubeconfig is already its
 * plugin's own (isolated_identity.h).
 * Either is renewed on first use past 80 % of its life (the renewing
 * caller makes the request; the others go on with the old credential).
 * When neither can be had (no server, a TokenRequest refused) the plugin
 * uses the host's credential, and that is logged.
 *
 * With [host] plugin_credentials = own the host also makes, with its own
 * (admin) identity, the ServiceAccount kube-system/<plugin> and, for a
 * plugin without a bootstrap role system:controller:<plugin> (rbac/
 * policy.c binds those to the same ServiceAccount), a ClusterRole
 * cplane:plugin:<plugin> derived from its descriptor (identity_rbac.h)
 * and a ClusterRoleBinding to the plugin's user.
 *
 * Threading: the issuer is set up and torn down on the main thread and
 * read-only in between. cp_plugin_identity_attach() runs on the main
 * thread; cp_plugin_client() from any thread (a mutex guards renewal).
 * Ownership: the issuer borrows the host's client; a plugin's identity
 * belongs to its ctx (cp_plugin_free() frees it). A renewed client stays
 * alive until the next renewal (a call in flight on it has long ended by
 * then: calls time out in 30 s, renewals are at least 8 minutes apart,
 * 80 % of TokenRequest's 10-minute minimum).
 */
#ifndef CPLANE_HOST_PLUGIN_IDENTITY_H
#define CPLANE_HOST_PLUGIN_IDENTITY_H

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

struct cp_client;
struct cp_client_config;
struct cplane_plugin_ctx;

/* The namespace of the plugins' ServiceAccounts. */
#define CP_IDENTITY_NAMESPACE "kube-system"
/* A certificate's life unless the issuer says otherwise: 24 h. */
#define CP_IDENTITY_LIFETIME_S (24 * 3600)

struct cp_identity_issuer {
  char *server;    /* the API server's URL */
  char *server_ca; /* the CA its serving certificate chains to, or NULL */
  char *ca_crt, *ca_key; /* signer trusted for client certificates, or
                            NULL: cannot issue (fall back) */
  int64_t lifetime_s;     /* 0: CP_IDENTITY_LIFETIME_S for a certificate,
                             CP_IDENTITY_TOKEN_SECONDS for a token */
  int64_t token_seconds;  /* a token's life asked for ([host]
                             plugin_token_seconds); 0: 3600 */
  char *server_ca_pem;    /* the same inline (kubeconfig's *-data) */
  int insecure;           /* kubeconfig's insecure-skip-tls-verify */
  int manage_rbac;        /* create the ServiceAccount, role, binding */
  struct cp_client *admin; /* the host's own client (borrowed) */
  atomic_int fallback_logged;
};

/* Fills *is (copies of the strings). ca_crt/ca_key NULL: the plugins keep
 * the host's credential. Returns 0, or -1 when out of memory. */
int cp_identity_issuer_init(struct cp_identity_issuer *is, const char *server,
                            const char *server_ca, const char *ca_crt,
                            const char *ca_key, struct cp_client *admin);
/* For a host that reaches the API through a kubeconfig (an external API
 * server): no CA key, so plugins get
 * ServiceAccount tokens from admin's server. server's URL, CA (file or
 * PEM) and insecure are copied; its credential is not (admin has it).
 * Returns 0, or -1 when out of memory. */
int cp_identity_issuer_init_remote(struct cp_identity_issuer *is,
                                   const struct cp_client_config *server,
                                   struct cp_client *admin);
void cp_identity_issuer_free(struct cp_identity_issuer *is);

/* "system:serviceaccount:kube-system:<plugin>" into buf. 0, or -1 when it
 * does not fit. */
int cp_identity_user(const char *plugin, char *buf, size_t len);

/* A fresh key (EC P-256) and a certificate for the plugin's user signed
 * by ca_crt/ca_key, valid `seconds`, client auth only. *cert_pem and
 * *key_pem are malloc'd. Returns 0, or -1 with *errmsg (malloc'd). */
int cp_identity_issue(const char *ca_crt, const char *ca_key,
                      const char *plugin, int64_t seconds, char **cert_pem,
                      char **key_pem, char **errmsg);

/* One plugin's credential: its client and when to renew it. */
struct cp_plugin_identity {
  pthread_mutex_t mu;
  const struct cp_identity_issuer *issuer; /* borrowed */
  char *plugin;
  struct cp_client *current, *retired;
  int token;           /* 1: a ServiceAccount token, 0: a certificate */
  int renewing;        /* a caller is getting the next credential */
  int64_t renew_at_ms; /* CLOCK_MONOTONIC */
  _Atomic uint64_t renewals;
};

/* Gives plugin p its own identity from `is` (NULL, or neither a signer
 * nor a server to ask for a token: p keeps the host's credential) and,
 * when is->manage_rbac, first its ServiceAccount and RBAC objects. A failure is logged and leaves p on the host's
 * credential: a plugin never fails to start for it. Main thread, after
 * p->client is set. */
void cp_plugin_identity_attach(struct cp_identity_issuer *is,
                               struct cplane_plugin_ctx *p);
/* The client p's own calls use: its certificate's (renewed when due), or
 * the host's p->client. Borrowed. Any thread. */
struct cp_client *cp_plugin_client(struct cplane_plugin_ctx *p);
/* cp_client_request on cp_plugin_client(p), with the User-Agent
 * "<plugin>/cplane": as kube's controllers name their component in
 * theirs, the API server's default field manager (its prefix up to the
 * first '/') is then the plugin's descriptor name, so managedFields tell
 * which plugin wrote what. Any thread. */
int cp_plugin_request(struct cplane_plugin_ctx *p, const char *method,
                      const char *path, const char *content_type,
                      const char *body, size_t body_len, char **resp,
                      size_t *resp_len);
/* Frees an identity (NULL is ignored). No call may be using its clients
 * any more. */
void cp_plugin_identity_free(struct cp_plugin_identity *id);

#endif /* CPLANE_HOST_PLUGIN_IDENTITY_H */
