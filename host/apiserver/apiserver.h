/*
 * apiserver - the Kubernetes REST API on the store: the gateway to the
 * single source of truth, served with libevent's HTTP server so that
 * kubectl and the official client libraries work unmodified.
 *
 * The server runs its own thread (the event loop: accepting, parsing,
 * replying, streaming watches) plus a pool of worker threads that run the
 * blocking store calls, so that many clients share the store's group
 * commit instead of queueing behind each other.
 *
 * Threading: start and stop from one thread; everything else is internal.
 * Ownership: the server borrows the store (it must outlive the server);
 * cp_apiserver_stop frees the server.
 */
#ifndef CPLANE_HOST_APISERVER_H
#define CPLANE_HOST_APISERVER_H

#include <stddef.h>

#include "apiserver/audit/audit.h"
#include "store/store.h"

struct cp_auth;
struct cp_authn;
struct ssl_ctx_st;

struct cp_apiserver;

struct cp_apiserver_config {
  const char *address; /* listen address, default 127.0.0.1 */
  int port;            /* 0: any free port (see cp_apiserver_port) */
  cp_store *store;     /* required */
  int workers;         /* store worker threads, default 32 */
  size_t max_body;     /* bytes, default 3 MiB like kube-apiserver */
  /* kube-apiserver's ReadHeaderTimeout (a request's headers, TLS
   * handshake included, must arrive within it; default 32 s) and
   * IdleTimeout (a connection with nothing to read or write is closed;
   * default 90 s). A watch waiting for events is not idle. */
  uint64_t read_header_timeout_ms, idle_timeout_ms;
  /* Where to write an admin kubeconfig for this server (NULL: none). */
  const char *kubeconfig_path;
  /* TLS: the server takes ownership of ssl_ctx (NULL: plain HTTP, which
   * the caller allows only on loopback). ca_file goes into the
   * kubeconfig. */
  struct ssl_ctx_st *ssl_ctx;
  const char *ca_file;
  /* Authentication and authorization (owned by the server; NULL: every
   * request is allowed, for tests). admin_token goes into the
   * kubeconfig. */
  struct cp_auth *auth;
  const char *admin_token;
  /* ServiceAccount tokens and anonymous requests (owned by the server;
   * NULL: neither). See apiserver/authn/authenticator.h. */
  struct cp_authn *authn;
  /* Watch memory bounds (0: defaults; see watch.h's cp_watch_limits):
   * how far a watch client may fall behind before it is closed, and the
   * bytes of recent events the watch cache keeps. */
  size_t watch_stream_bytes;
  size_t watch_cache_bytes;
  /* Services' ClusterIP range and NodePort range (NULL: 10.96.0.0/12
   * and 30000-32767; see alloc/service_alloc.h). */
  const char *service_cidr, *service_node_port_range;
  /* tolerationSeconds of the not-ready and unreachable NoExecute
   * tolerations every pod gets (0: kube's 300). */
  int64_t default_not_ready_toleration_seconds;
  int64_t default_unreachable_toleration_seconds;
  /* Admission plugins to turn off, comma-separated (kube's
   * --disable-admission-plugins; admission.h); NULL: none. */
  const char *disable_admission_plugins;
  /* PodSecurity's exempt usernames, namespaces and runtime classes,
   * comma-separated (podsecurity_exemptions.h); NULL: none. */
  const char *psa_exempt_users, *psa_exempt_namespaces;
  const char *psa_exempt_runtime_classes;
  /* The CA that signs approved CertificateSigningRequests (csr_signer.h;
   * NULL: none is signed) and the longest certificate it issues (0: one
   * year, kube's --cluster-signing-duration). */
  const char *csr_signing_cert, *csr_signing_key;
  int64_t csr_signing_seconds;
  /* The aggregator's front-proxy client certificate
   * (cp_pki_ensure_front_proxy; NULL: proxied requests show none). */
  const char *proxy_client_cert, *proxy_client_key;
  /* Published in kube-system/extension-apiserver-authentication for
   * extension servers: the front-proxy CA and the client CA (each NULL:
   * left out). */
  const char *proxy_ca_file, *client_ca_file;
  /* The audit log (audit/audit.h); policy_file NULL: none. */
  struct cp_audit_config audit;
};

/* Starts serving. On failure returns a negative code and sets *errmsg
 * (malloc'd, caller frees) to a message naming the cause. */
int cp_apiserver_start(const struct cp_apiserver_config *cfg,
                       struct cp_apiserver **out, char **errmsg);
/* The port actually bound. */
int cp_apiserver_port(const struct cp_apiserver *s);
/* Ends every watch, stops the threads and frees the server. */
void cp_apiserver_stop(struct cp_apiserver *s);

#endif /* CPLANE_HOST_APISERVER_H */
