/*
 * sa_claims - what a ServiceAccount token says, as kube's
 * pkg/serviceaccount: the bound claims a TokenRequest issues (iss, sub,
 * aud, exp, iat, nbf, jti and the private "kubernetes.io" claim with the
 * namespace, the ServiceAccount and the pod, secret or node it is bound
 * to, and warnafter) and the legacy claims of a token Secret
 * ("kubernetes.io/serviceaccount/..."), and their validation against the
 * clock, the issuers and the audiences. Whether the objects they name
 * still exist is the authenticator's business (authenticator.h).
 *
 * Threading: pure functions.
 * Ownership: returned claims belong to the caller (json_object_put).
 */
#ifndef CPLANE_HOST_APISERVER_AUTHN_SA_CLAIMS_H
#define CPLANE_HOST_APISERVER_AUTHN_SA_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define CP_SA_LEGACY_ISSUER "kubernetes/serviceaccount"
/* go-jose's DefaultLeeway, which kube's validation uses for exp and nbf. */
#define CP_SA_LEEWAY_SECONDS 60

/* An object a token names; empty strings when absent. Bounded as names
 * and UIDs are (a DNS subdomain is at most 253 characters). */
struct cp_sa_ref {
  char name[254];
  char uid[128];
};

struct cp_sa_claims {
  int legacy;     /* a token Secret's token */
  char ns[64];    /* a namespace name is at most 63 characters */
  struct cp_sa_ref sa, pod, secret, node;
  char jti[128];  /* bound tokens: the credential id */
  char audiences[8][256]; /* the audiences both sides accept */
  size_t n_audiences;
};

/* What a TokenRequest binds its token to (NULL name: nothing). */
struct cp_sa_binding {
  const char *kind; /* "Pod", "Secret" or "Node" */
  const char *name, *uid;
};

/* The claims of a bound token for ServiceAccount ns/name (uid), issued
 * now for expiration seconds; warnafter 0 or the seconds after which kube
 * would warn (its extended-expiry rollout). NULL out of memory. */
json_object *cp_sa_claims_bound(const char *issuer, char *const *audiences,
                                size_t n_audiences, int64_t now,
                                int64_t expiration, int64_t warnafter,
                                const char *ns, const char *name,
                                const char *uid,
                                const struct cp_sa_binding *bound,
                                const char *jti);

/* The claims of a token Secret's non-expiring token, as kube's tokens
 * controller writes them. */
json_object *cp_sa_claims_legacy(const char *ns, const char *name,
                                 const char *uid, const char *secret_name);

/* Validates claims of a token whose signature was verified: the issuer is
 * issuer (bound tokens) or the legacy one, exp/nbf with the leeway, the
 * audiences meet want_audiences (a legacy token stands for the server's
 * own, implicit_audiences). Fills *out. Returns 0, or -1 with why set to
 * kube's words ("service account token has expired", "token audiences
 * [...] is invalid for the target audiences [...]"). */
int cp_sa_claims_check(json_object *claims, int64_t now, const char *issuer,
                       char *const *implicit_audiences, size_t n_implicit,
                       char *const *want_audiences, size_t n_want,
                       struct cp_sa_claims *out, char *why, size_t why_len);

#endif /* CPLANE_HOST_APISERVER_AUTHN_SA_CLAIMS_H */
