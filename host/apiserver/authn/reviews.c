/*
 * reviews - see reviews.h.
 */
#include "apiserver/audit/audit.h"
#include "apiserver/authn/reviews.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/auth.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/status.h"
#include "apiserver/user_json.h"
#include "object/json_strict.h"

#define GROUP_PATH "/apis/authentication.k8s.io/v1/"
#define TOKEN_REVIEWS GROUP_PATH "tokenreviews"
#define SELF_REVIEWS GROUP_PATH "selfsubjectreviews"
#define OIDC_CONFIG "/.well-known/openid-configuration"
#define JWKS "/openid/v1/jwks"
#define JSON_TYPE "application/json"
#define MAX_AUDIENCES 8

static json_object *strings(char *const *l, size_t n) {
  json_object *a = json_object_new_array();
  size_t i;

  for (i = 0; a != NULL && i < n; i++)
    json_object_array_add(a, json_object_new_string(l[i]));
  return a;
}

static char *text_of(json_object *o) {
  const char *s = json_object_to_json_string_ext(
      o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

  return s ? strdup(s) : NULL;
}

static void set_status(int *code, char **body, int c, const char *msg) {
  *code = c;
  *body = cp_status_failure(c, NULL, msg, NULL);
}

static json_object *new_review(const char *kind) {
  json_object *o = json_object_new_object(), *md = json_object_new_object();

  json_object_object_add(o, "kind", json_object_new_string(kind));
  json_object_object_add(o, "apiVersion",
                         json_object_new_string("authentication.k8s.io/v1"));
  json_object_object_add(md, "creationTimestamp", NULL);
  json_object_object_add(o, "metadata", md);
  return o;
}

static void self_review(const struct cp_api_request *rq, int *code,
                        char **body) {
  json_object *o = new_review("SelfSubjectReview");
  json_object *st = json_object_new_object();

  json_object_object_add(st, "userInfo", cp_api_user_json(&rq->user));
  json_object_object_add(o, "status", st);
  *code = 201;
  *body = text_of(o);
  json_object_put(o);
}

/* A static token for the audiences asked (kube's audience-agnostic
 * wrapper): good when none are asked or they include the server's. */
static int static_token(const struct cp_auth *auth, struct cp_authn *a,
                        const char *token, char *const *want, size_t n_want,
                        struct cp_authn_result *r) {
  const struct cp_user *u = cp_auth_token(auth, token);
  size_t n_implicit = 0, i, j;
  char *const *implicit = a ? cp_authn_audiences(a, &n_implicit) : NULL;

  if (u == NULL)
    return 0;
  for (i = 0; i < n_implicit; i++) {
    for (j = 0; j < n_want; j++)
      if (strcmp(implicit[i], want[j]) == 0)
        break;
    if (n_want == 0 || j < n_want)
      snprintf(r->audiences[r->n_audiences++], sizeof r->audiences[0], "%s",
               implicit[i]);
  }
  if (n_want > 0 && r->n_audiences == 0)
    return 0;
  if (cp_api_user_set(&r->user, u->name, NULL, u->groups, u->n_groups) < 0 ||
      cp_authn_add_authenticated(&r->user) < 0)
    return -1;
  return 1;
}

/* spec.audiences into want; -1 when not a list of strings. */
static int read_audiences(json_object *spec, char **want, size_t *n) {
  json_object *l;
  size_t i;

  *n = 0;
  if (!json_object_object_get_ex(spec, "audiences", &l) || l == NULL)
    return 0;
  if (!json_object_is_type(l, json_type_array) ||
      json_object_array_length(l) > MAX_AUDIENCES)
    return -1;
  for (i = 0; i < json_object_array_length(l); i++) {
    json_object *v = json_object_array_get_idx(l, i);

    if (!json_object_is_type(v, json_type_string))
      return -1;
    want[(*n)++] = (char *)json_object_get_string(v);
  }
  return 0;
}

static void token_review(struct cp_authn *a, const struct cp_auth *auth,
                         const struct cp_api_request *rq, int *code,
                         char **body) {
  json_object *in = NULL, *spec, *tok, *o = NULL, *st;
  struct cp_authn_result r;
  char *want[MAX_AUDIENCES], err[700];
  size_t n_want, i;
  const char *perr;
  size_t at;
  int ok;

  memset(&r, 0, sizeof r);
  if (cp_json_strict_parse(rq->body ? rq->body : "", rq->body_len, 64, &in,
                           NULL, &perr, &at) != CP_JSON_STRICT_OK ||
      !json_object_is_type(in, json_type_object)) {
    set_status(code, body, 400, "not a TokenReview: the body is not a JSON "
                                "object");
    goto out;
  }
  /* as decoded, before validation (rq->type is not looked up here) */
  cp_audit_review_object(rq, in, "TokenReview", "authentication.k8s.io/v1");
  if (!json_object_object_get_ex(in, "spec", &spec) ||
      !json_object_is_type(spec, json_type_object) ||
      !json_object_object_get_ex(spec, "token", &tok) ||
      !json_object_is_type(tok, json_type_string) ||
      json_object_get_string_len(tok) == 0) {
    set_status(code, body, 400, "token is required for TokenReview in "
                                "authentication");
    goto out;
  }
  if (read_audiences(spec, want, &n_want) < 0) {
    set_status(code, body, 400, "TokenReview.spec.audiences must be a list "
                                "of at most 8 strings");
    goto out;
  }
  ok = static_token(auth, a, json_object_get_string(tok), want, n_want, &r);
  if (ok == 0 && a != NULL)
    ok = cp_authn_sa_token(a, json_object_get_string(tok),
                           n_want ? want : NULL, n_want, &r);
  if (ok < 0) {
    set_status(code, body, 500, "out of memory");
    goto out;
  }
  o = new_review("TokenReview");
  json_object_object_add(o, "spec", json_object_get(spec));
  st = json_object_new_object();
  if (ok > 0) {
    json_object_object_add(st, "authenticated", json_object_new_boolean(1));
    json_object_object_add(st, "user", cp_api_user_json(&r.user));
    json_object_object_add(st, "audiences", json_object_new_array());
    for (i = 0; i < r.n_audiences; i++)
      json_object_array_add(json_object_object_get(st, "audiences"),
                            json_object_new_string(r.audiences[i]));
  } else {
    json_object_object_add(st, "user", json_object_new_object());
    if (r.error[0] != '\0')
      snprintf(err, sizeof err, "[invalid bearer token, %s]", r.error);
    else
      snprintf(err, sizeof err, "invalid bearer token");
    json_object_object_add(st, "error", json_object_new_string(err));
  }
  json_object_object_add(o, "status", st);
  *code = 201;
  *body = text_of(o);
out:
  cp_api_user_clear(&r.user);
  json_object_put(in);
  json_object_put(o);
}

static char *oidc_config(struct cp_authn *a) {
  json_object *o = json_object_new_object();
  const char *iss = cp_authn_issuer(a);
  char *jwks = NULL, *text;
  char *resp[] = {"id_token"}, *subj[] = {"public"}, *algs[1];

  if (o == NULL || asprintf(&jwks, "%s" JWKS, iss) < 0) {
    json_object_put(o);
    return NULL;
  }
  /* The key's algorithm, from its JWK. */
  algs[0] = strstr(cp_authn_jwks(a), "\"ES256\"") ? "ES256" : "RS256";
  json_object_object_add(o, "issuer", json_object_new_string(iss));
  json_object_object_add(o, "jwks_uri", json_object_new_string(jwks));
  json_object_object_add(o, "response_types_supported", strings(resp, 1));
  json_object_object_add(o, "subject_types_supported", strings(subj, 1));
  json_object_object_add(o, "id_token_signing_alg_values_supported",
                         strings(algs, 1));
  text = text_of(o);
  json_object_put(o);
  free(jwks);
  return text;
}

int cp_authn_serve(struct cp_authn *a, const struct cp_auth *auth,
                   const struct cp_api_request *rq, int *code, char **body,
                   const char **content_type) {
  *content_type = JSON_TYPE;
  *body = NULL;
  if (rq->method == CP_API_POST && strcmp(rq->path, SELF_REVIEWS) == 0) {
    self_review(rq, code, body);
  } else if (rq->method == CP_API_POST &&
             strcmp(rq->path, TOKEN_REVIEWS) == 0) {
    token_review(a, auth, rq, code, body);
  } else if (a != NULL && rq->method == CP_API_GET &&
             strcmp(rq->path, OIDC_CONFIG) == 0) {
    *code = 200;
    *body = oidc_config(a);
  } else if (a != NULL && rq->method == CP_API_GET &&
             strcmp(rq->path, JWKS) == 0) {
    *code = 200;
    *body = strdup(cp_authn_jwks(a));
    *content_type = "application/jwk-set+json";
  } else {
    return 0;
  }
  if (*body == NULL) {
    *code = 500;
    *body = cp_status_failure(500, NULL, "out of memory", NULL);
  }
  return 1;
}
