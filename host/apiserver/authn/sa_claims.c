/*
 * sa_claims - see sa_claims.h.
 */
#include "apiserver/authn/sa_claims.h"

#include <stdio.h>
#include <string.h>

#include "object/double_int.h"

#define LEGACY_PREFIX "kubernetes.io/serviceaccount/"

static void add_str(json_object *o, const char *k, const char *v) {
  json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *ref(const char *name, const char *uid) {
  json_object *r = json_object_new_object();

  if (r != NULL) {
    add_str(r, "name", name);
    add_str(r, "uid", uid);
  }
  return r;
}

json_object *cp_sa_claims_bound(const char *issuer, char *const *audiences,
                                size_t n_audiences, int64_t now,
                                int64_t expiration, int64_t warnafter,
                                const char *ns, const char *name,
                                const char *uid,
                                const struct cp_sa_binding *bound,
                                const char *jti) {
  json_object *c = json_object_new_object(), *aud = json_object_new_array();
  json_object *k = json_object_new_object();
  char sub[400];
  size_t i;

  if (c == NULL || aud == NULL || k == NULL) {
    json_object_put(c);
    json_object_put(aud);
    json_object_put(k);
    return NULL;
  }
  snprintf(sub, sizeof sub, "system:serviceaccount:%s:%s", ns, name);
  for (i = 0; i < n_audiences; i++)
    json_object_array_add(aud, json_object_new_string(audiences[i]));
  json_object_object_add(c, "aud", aud);
  json_object_object_add(c, "exp", json_object_new_int64(now + expiration));
  json_object_object_add(c, "iat", json_object_new_int64(now));
  add_str(c, "iss", issuer);
  add_str(c, "jti", jti);
  add_str(k, "namespace", ns);
  if (bound != NULL && bound->name != NULL) {
    const char *key = strcmp(bound->kind, "Pod") == 0      ? "pod"
                      : strcmp(bound->kind, "Secret") == 0 ? "secret"
                                                           : "node";

    json_object_object_add(k, key, ref(bound->name, bound->uid));
  }
  json_object_object_add(k, "serviceaccount", ref(name, uid));
  if (warnafter > 0)
    json_object_object_add(k, "warnafter",
                           json_object_new_int64(now + warnafter));
  json_object_object_add(c, "kubernetes.io", k);
  json_object_object_add(c, "nbf", json_object_new_int64(now));
  add_str(c, "sub", sub);
  return c;
}

json_object *cp_sa_claims_legacy(const char *ns, const char *name,
                                 const char *uid, const char *secret_name) {
  json_object *c = json_object_new_object();
  char sub[400];

  if (c == NULL)
    return NULL;
  snprintf(sub, sizeof sub, "system:serviceaccount:%s:%s", ns, name);
  add_str(c, "iss", CP_SA_LEGACY_ISSUER);
  add_str(c, LEGACY_PREFIX "namespace", ns);
  add_str(c, LEGACY_PREFIX "secret.name", secret_name);
  add_str(c, LEGACY_PREFIX "service-account.name", name);
  add_str(c, LEGACY_PREFIX "service-account.uid", uid);
  add_str(c, "sub", sub);
  return c;
}

/* ------------------------------------------------------------ checks */

static const char *str_of(json_object *o, const char *k) {
  json_object *v;

  return json_object_object_get_ex(o, k, &v) &&
                 json_object_is_type(v, json_type_string)
             ? json_object_get_string(v)
             : NULL;
}

/* A NumericDate claim: 1 and *t when present as a number, 0 absent, -1
 * present with another type. */
static int date_of(json_object *o, const char *k, int64_t *t) {
  json_object *v;

  if (!json_object_object_get_ex(o, k, &v) || v == NULL)
    return 0;
  if (!json_object_is_type(v, json_type_int) &&
      !json_object_is_type(v, json_type_double))
    return -1;
  if (json_object_is_type(v, json_type_int))
    *t = json_object_get_int64(v);
  else if (!cp_double_int64(json_object_get_double(v), t))
    return -1; /* 1e300: no time Go's int64 NumericDate holds */
  return 1;
}

/* Copies s into a bounded field; -1 when it does not fit. */
static int copy(char *dst, size_t len, const char *s) {
  if (s == NULL) {
    dst[0] = '\0';
    return 0;
  }
  if (strlen(s) >= len)
    return -1;
  memcpy(dst, s, strlen(s) + 1);
  return 0;
}

static int read_ref(json_object *k, const char *key, struct cp_sa_ref *r) {
  json_object *v;

  memset(r, 0, sizeof *r);
  if (!json_object_object_get_ex(k, key, &v) || v == NULL)
    return 0;
  if (!json_object_is_type(v, json_type_object))
    return -1;
  return copy(r->name, sizeof r->name, str_of(v, "name")) < 0 ||
                 copy(r->uid, sizeof r->uid, str_of(v, "uid")) < 0
             ? -1
             : 0;
}

/* The token's audiences ("aud" is a string or an array of strings) into
 * list; -1 when malformed. */
static int read_audiences(json_object *c, const char **list, size_t max,
                          size_t *n) {
  json_object *v;
  size_t i;

  *n = 0;
  if (!json_object_object_get_ex(c, "aud", &v) || v == NULL)
    return 0;
  if (json_object_is_type(v, json_type_string)) {
    list[(*n)++] = json_object_get_string(v);
    return 0;
  }
  if (!json_object_is_type(v, json_type_array))
    return -1;
  for (i = 0; i < json_object_array_length(v); i++) {
    json_object *a = json_object_array_get_idx(v, i);

    if (!json_object_is_type(a, json_type_string))
      return -1;
    if (*n < max)
      list[(*n)++] = json_object_get_string(a);
  }
  return 0;
}

/* Go's %q of a []string: ["a" "b"]. */
static void quote_list(char *buf, size_t len, const char *const *l,
                       size_t n) {
  size_t i, used = 0;

  used += (size_t)snprintf(buf, len, "[");
  for (i = 0; i < n && used < len; i++)
    used += (size_t)snprintf(buf + used, len - used, "%s\"%s\"",
                             i ? " " : "", l[i]);
  if (used < len)
    snprintf(buf + used, len - used, "]");
}

static int check_audiences(json_object *c, char *const *implicit,
                           size_t n_implicit, char *const *want,
                           size_t n_want, struct cp_sa_claims *out,
                           char *why, size_t why_len) {
  const char *have[16];
  size_t n_have, i, j;
  char a[1200], b[1200];

  if (read_audiences(c, have, 16, &n_have) < 0) {
    snprintf(why, why_len, "invalid bearer token");
    return -1;
  }
  if (n_have == 0) { /* a legacy token: the server's own audiences */
    for (i = 0; i < n_implicit && i < 16; i++)
      have[n_have++] = implicit[i];
  }
  if (want == NULL) {
    want = implicit;
    n_want = n_implicit;
  }
  for (i = 0; i < n_have; i++)
    for (j = 0; j < n_want; j++)
      if (strcmp(have[i], want[j]) == 0 &&
          out->n_audiences < sizeof out->audiences / sizeof out->audiences[0])
        snprintf(out->audiences[out->n_audiences++],
                 sizeof out->audiences[0], "%s", have[i]);
  if (out->n_audiences > 0 || n_implicit == 0)
    return 0;
  quote_list(a, sizeof a, have, n_have);
  quote_list(b, sizeof b, (const char *const *)want, n_want);
  snprintf(why, why_len, "token audiences %s is invalid for the target "
                         "audiences %s", a, b);
  return -1;
}

static int check_bound(json_object *c, int64_t now, struct cp_sa_claims *out,
                       char *why, size_t why_len) {
  json_object *k;
  int64_t exp = 0, nbf = 0;
  int has_exp = date_of(c, "exp", &exp), has_nbf = date_of(c, "nbf", &nbf);

  if (has_exp < 0 || has_nbf < 0 || !json_object_object_get_ex(c,
                                                                "kubernetes.io",
                                                                &k) ||
      !json_object_is_type(k, json_type_object) ||
      copy(out->ns, sizeof out->ns, str_of(k, "namespace")) < 0 ||
      read_ref(k, "serviceaccount", &out->sa) < 0 ||
      read_ref(k, "pod", &out->pod) < 0 ||
      read_ref(k, "secret", &out->secret) < 0 ||
      read_ref(k, "node", &out->node) < 0 ||
      copy(out->jti, sizeof out->jti, str_of(c, "jti")) < 0 ||
      out->ns[0] == '\0' || out->sa.name[0] == '\0') {
    snprintf(why, why_len, "service account token claims could not be "
                           "validated due to unexpected private claim");
    return -1;
  }
  if (has_exp > 0 && now > exp + CP_SA_LEEWAY_SECONDS) {
    snprintf(why, why_len, "service account token has expired");
    return -1;
  }
  if (has_nbf > 0 && now < nbf - CP_SA_LEEWAY_SECONDS) {
    snprintf(why, why_len, "service account token is not valid yet");
    return -1;
  }
  return 0;
}

static int check_legacy(json_object *c, struct cp_sa_claims *out, char *why,
                        size_t why_len) {
  out->legacy = 1;
  if (copy(out->ns, sizeof out->ns, str_of(c, LEGACY_PREFIX "namespace")) <
          0 ||
      copy(out->sa.name, sizeof out->sa.name,
           str_of(c, LEGACY_PREFIX "service-account.name")) < 0 ||
      copy(out->sa.uid, sizeof out->sa.uid,
           str_of(c, LEGACY_PREFIX "service-account.uid")) < 0 ||
      copy(out->secret.name, sizeof out->secret.name,
           str_of(c, LEGACY_PREFIX "secret.name")) < 0) {
    snprintf(why, why_len, "invalid bearer token");
    return -1;
  }
  /* kube's legacy validator's own words for each missing claim. */
  if (out->ns[0] == '\0')
    snprintf(why, why_len, "namespace claim is missing");
  else if (out->sa.name[0] == '\0')
    snprintf(why, why_len, "serviceAccountName claim is missing");
  else if (out->sa.uid[0] == '\0')
    snprintf(why, why_len, "serviceAccountUID claim is missing");
  else if (out->secret.name[0] == '\0')
    snprintf(why, why_len, "secretName claim is missing");
  else
    return 0;
  return -1;
}

int cp_sa_claims_check(json_object *claims, int64_t now, const char *issuer,
                       char *const *implicit_audiences, size_t n_implicit,
                       char *const *want_audiences, size_t n_want,
                       struct cp_sa_claims *out, char *why, size_t why_len) {
  const char *iss = str_of(claims, "iss");

  memset(out, 0, sizeof *out);
  why[0] = '\0';
  if (iss == NULL ||
      (strcmp(iss, issuer) != 0 && strcmp(iss, CP_SA_LEGACY_ISSUER) != 0)) {
    snprintf(why, why_len, "invalid bearer token");
    return -1;
  }
  if (strcmp(iss, CP_SA_LEGACY_ISSUER) == 0
          ? check_legacy(claims, out, why, why_len) < 0
          : check_bound(claims, now, out, why, why_len) < 0)
    return -1;
  return check_audiences(claims, implicit_audiences, n_implicit,
                         want_audiences, n_want, out, why, why_len);
}
