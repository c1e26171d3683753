/*
 * authenticator - ServiceAccount tokens and anonymous requests, beside
 * auth.h's static tokens and client certificates, as kube-apiserver's
 * authenticators: a bearer JWT signed by the ServiceAccount key with our
 * issuer (or the legacy one) is the user system:serviceaccount:<ns>:<name>
 * with the ServiceAccount's uid, groups system:serviceaccounts,
 * system:serviceaccounts:<ns> and system:authenticated, and the extras
 * authentication.kubernetes.io/pod-name, pod-uid, node-name, node-uid
 * and credential-id; it is refused when it has expired, is signed by
 * another key, names other audiences, or the ServiceAccount (or the pod
 * or secret it is bound to) is gone or has another uid. Also holds what
 * TokenRequest, TokenReview and the OIDC discovery documents need: the
 * key, its id, the issuer and the audiences.
 *
 * Lookups: the objects a token names are read from the store and kept
 * CP_AUTHN_LOOKUP_TTL_MS (at most CP_AUTHN_LOOKUP_MAX entries), so a
 * client making many requests costs a store read per object every few
 * seconds, not one per request. A deleted ServiceAccount's token thus
 * works for up to that long, as kube-apiserver's token cache (10 s).
 *
 * Threading: after cp_authn_new everything may be called from any thread
 * (the lookup cache has its own mutex). Store reads happen on the calling
 * thread: the API server's event loop (authentication) and its workers.
 * Ownership: the authenticator owns its key; callers own what they pass
 * in and the users and strings they get back.
 */
#ifndef CPLANE_HOST_APISERVER_AUTHN_AUTHENTICATOR_H
#define CPLANE_HOST_APISERVER_AUTHN_AUTHENTICATOR_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "apiserver/request.h"
#include "store/store.h"

#define CP_AUTHN_LOOKUP_TTL_MS 3000
#define CP_AUTHN_LOOKUP_MAX 4096
/* kubeadm's default issuer, which kube-apiserver requires to be set. */
#define CP_AUTHN_DEFAULT_ISSUER "https://kubernetes.default.svc.cluster.local"

struct cp_authn_config {
  const char *key_file; /* PEM private key (sa_key.h); required */
  const char *issuer;   /* NULL: CP_AUTHN_DEFAULT_ISSUER */
  int anonymous;        /* kube's --anonymous-auth */
  const char *ca_file;  /* ca.crt of legacy token Secrets; may be NULL */
  cp_store *store;      /* borrowed; must outlive the authenticator */
};

struct cp_authn;

/* NULL with *errmsg (malloc'd) when the key cannot be read. */
struct cp_authn *cp_authn_new(const struct cp_authn_config *cfg,
                              char **errmsg);
void cp_authn_free(struct cp_authn *a);

/* The outcome of one token: the user, the audiences it is good for, or
 * kube's words for why not. */
struct cp_authn_result {
  struct cp_api_user user;
  char audiences[8][256];
  size_t n_audiences;
  char error[512];
};

/* Authenticates a ServiceAccount token for want_audiences (NULL: the
 * server's own). Returns 1 with r->user filled (the caller clears it), 0
 * when the token is not one of ours at all (not a JWT, another issuer;
 * r->error empty) or was refused (r->error says why), -1 out of memory. */
int cp_authn_sa_token(struct cp_authn *a, const char *token,
                      char *const *want_audiences, size_t n_want,
                      struct cp_authn_result *r);

/* Fills u as system:anonymous in group system:unauthenticated and
 * returns 1 when anonymous requests are enabled; else 0. a may be NULL. */
int cp_authn_anonymous(const struct cp_authn *a, struct cp_api_user *u);

/* Adds system:authenticated to u's groups unless there (kube's
 * AuthenticatedGroupAdder, for every user but system:anonymous). 0, or
 * -1 out of memory. */
int cp_authn_add_authenticated(struct cp_api_user *u);
/* Appends "key=value" to u's extra. 0, or -1 out of memory. */
int cp_authn_add_extra(struct cp_api_user *u, const char *key,
                       const char *value);
/* Appends group to u's groups. 0, or -1 out of memory. */
int cp_authn_add_group(struct cp_api_user *u, const char *group);

/* What TokenRequest and the discovery documents need. */
const char *cp_authn_issuer(const struct cp_authn *a);
char *const *cp_authn_audiences(const struct cp_authn *a, size_t *n);
/* The signed compact token of claims; malloc'd, NULL on failure. */
char *cp_authn_sign(const struct cp_authn *a, json_object *claims);
/* /openid/v1/jwks's body (borrowed). */
const char *cp_authn_jwks(const struct cp_authn *a);
/* Legacy token Secrets' ca.crt path, or NULL. */
const char *cp_authn_ca_file(const struct cp_authn *a);

/* Reads the object <resource>/<ns>/<name> from the store: 0 and *out,
 * CPLANE_ENOENT, or another store code. */
int cp_authn_read_object(cp_store *store, const char *resource,
                         const char *ns, const char *name, json_object **out);

#endif /* CPLANE_HOST_APISERVER_AUTHN_AUTHENTICATOR_H */
