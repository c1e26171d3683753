/*
 * token_request - see token_request.h.
 */
#include "apiserver/audit/audit.h"
#include "apiserver/authn/token_request.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/authn/authenticator.h"
#include "apiserver/authn/sa_claims.h"
#include "apiserver/status.h"
#include "apiserver/verbs.h"
#include "cplane/version.h"

#define MAX_AUDIENCES 8
#define KIND "TokenRequest"
#define GROUP "authentication.k8s.io"

struct token_req {
  char *audiences[MAX_AUDIENCES];
  size_t n_audiences;
  int64_t expiration;
  const char *bound_kind, *bound_api_version, *bound_name, *bound_uid;
};

/* 422 on the TokenRequest, kube's NewInvalid wording. */
static void invalid(struct cp_api_response *rs, const char *name,
                    const char *field, const char *detail) {
  struct cp_status_cause cause = {"FieldValueInvalid", detail, field};
  struct cp_status_details d = {.name = name, .group = GROUP, .kind = KIND,
                                .causes = &cause, .n_causes = 1};
  char *msg = NULL;

  if (asprintf(&msg, KIND "." GROUP " \"%s\" is invalid: %s: %s", name,
               field, detail) < 0)
    msg = NULL;
  cp_api_respond_status(rs, 422,
                        msg ? cp_status_failure(422, NULL, msg, &d) : NULL);
  free(msg);
}

static void bad_request(struct cp_api_response *rs, const char *msg) {
  cp_api_respond_status(rs, 400, cp_status_failure(400, NULL, msg, NULL));
}

static const char *opt_str(json_object *o, const char *k, int *bad) {
  json_object *v = get(o, k);

  if (v == NULL)
    return NULL;
  if (!json_object_is_type(v, json_type_string)) {
    *bad = 1;
    return NULL;
  }
  return json_object_get_string(v);
}

/* Reads spec; responds and returns -1 on a bad one. */
static int read_spec(json_object *in, const char *name, struct token_req *t,
                     struct cp_api_response *rs) {
  json_object *spec = get(in, "spec"), *aud, *exp, *ref;
  char detail[200];
  int bad = 0;
  size_t i;

  t->expiration = CP_TOKEN_REQUEST_DEFAULT_SECONDS;
  if (spec != NULL && !json_object_is_type(spec, json_type_object)) {
    bad_request(rs, "TokenRequest.spec must be an object");
    return -1;
  }
  if ((aud = get(spec, "audiences")) != NULL) {
    if (!json_object_is_type(aud, json_type_array) ||
        json_object_array_length(aud) > MAX_AUDIENCES) {
      invalid(rs, name, "spec.audiences", "must be a list of at most 8 "
                                          "strings");
      return -1;
    }
    for (i = 0; i < json_object_array_length(aud); i++) {
      json_object *a = json_object_array_get_idx(aud, i);

      if (!json_object_is_type(a, json_type_string) ||
          json_object_get_string_len(a) > 255) {
        invalid(rs, name, "spec.audiences", "must be strings of at most "
                                            "255 characters");
        return -1;
      }
      t->audiences[t->n_audiences++] = (char *)json_object_get_string(a);
    }
  }
  if ((exp = get(spec, "expirationSeconds")) != NULL) {
    if (!json_object_is_type(exp, json_type_int)) {
      bad_request(rs, "TokenRequest.spec.expirationSeconds must be an "
                      "integer");
      return -1;
    }
    t->expiration = json_object_get_int64(exp);
  }
  /* kube's ValidateTokenRequest. */
  if (t->expiration < CP_TOKEN_REQUEST_MIN_SECONDS) {
    snprintf(detail, sizeof detail, "Invalid value: %" PRId64 ": may not "
             "specify a duration less than 10 minutes", t->expiration);
    invalid(rs, name, "spec.expirationSeconds", detail);
    return -1;
  }
  if (t->expiration > (int64_t)1 << 32) {
    snprintf(detail, sizeof detail, "Invalid value: %" PRId64 ": may not "
             "specify a duration larger than 2^32 seconds", t->expiration);
    invalid(rs, name, "spec.expirationSeconds", detail);
    return -1;
  }
  if ((ref = get(spec, "boundObjectRef")) != NULL) {
    if (!json_object_is_type(ref, json_type_object)) {
      bad_request(rs, "TokenRequest.spec.boundObjectRef must be an object");
      return -1;
    }
    t->bound_kind = opt_str(ref, "kind", &bad);
    t->bound_api_version = opt_str(ref, "apiVersion", &bad);
    t->bound_name = opt_str(ref, "name", &bad);
    t->bound_uid = opt_str(ref, "uid", &bad);
    if (bad) {
      bad_request(rs, "TokenRequest.spec.boundObjectRef's fields must be "
                      "strings");
      return -1;
    }
  }
  return 0;
}

static const char *uid_of(json_object *o) {
  return get_str(get(o, "metadata"), "uid");
}

/* Reads the bound object and checks it as kube's token REST does.
 * *bound is filled (uid owned by *obj). Responds and returns -1 when it
 * cannot be bound. */
static int read_bound(struct cp_api_ctx *ctx, const char *ns,
                      const char *sa_name, const struct token_req *t,
                      struct cp_sa_binding *bound, json_object **obj,
                      struct cp_api_response *rs) {
  const char *kind = t->bound_kind ? t->bound_kind : "";
  const char *av = t->bound_api_version ? t->bound_api_version : "";
  const char *resource;
  const char *acting;
  char msg[600];
  int rc;

  memset(bound, 0, sizeof *bound);
  if (t->bound_kind == NULL && t->bound_name == NULL)
    return 0;
  resource = strcmp(av, "v1") != 0           ? NULL
             : strcmp(kind, "Pod") == 0    ? "pods"
             : strcmp(kind, "Secret") == 0 ? "secrets"
             : strcmp(kind, "Node") == 0   ? "nodes"
                                           : NULL;
  if (resource == NULL) {
    /* Go's GroupVersionKind.String(). */
    const char *slash = strchr(av, '/');

    snprintf(msg, sizeof msg, "cannot bind token to object of type %.*s/%s, "
             "Kind=%s", slash ? (int)(slash - av) : 0, av,
             slash ? slash + 1 : av, kind);
    bad_request(rs, msg);
    return -1;
  }
  rc = cp_authn_read_object(ctx->store, resource,
                            strcmp(resource, "nodes") == 0 ? "" : ns,
                            t->bound_name ? t->bound_name : "", obj);
  if (rc == CPLANE_ENOENT) {
    snprintf(msg, sizeof msg, "%s \"%s\" not found", resource,
             t->bound_name ? t->bound_name : "");
    cp_api_respond_status(rs, 404,
                          cp_status_failure(404, NULL, msg,
                                            &(struct cp_status_details){
                                                .name = t->bound_name,
                                                .kind = resource}));
    return -1;
  }
  if (rc != CPLANE_OK) {
    cp_verbs_store_error(rs, rc);
    return -1;
  }
  acting = get_str(get(*obj, "spec"), "serviceAccountName");
  if (strcmp(resource, "pods") == 0 &&
      strcmp(acting ? acting : "default", sa_name) != 0) {
    snprintf(msg, sizeof msg, "cannot bind token for serviceaccount \"%s\" "
             "to pod running with different serviceaccount name.", sa_name);
    bad_request(rs, msg);
    return -1;
  }
  bound->kind = kind;
  bound->name = t->bound_name;
  bound->uid = uid_of(*obj) ? uid_of(*obj) : "";
  if (t->bound_uid != NULL && t->bound_uid[0] != '\0' &&
      strcmp(t->bound_uid, bound->uid) != 0) {
    snprintf(msg, sizeof msg, "Operation cannot be fulfilled on %s \"%s\": "
             "the UID in the bound object reference (%s) does not match the "
             "UID in record. The object might have been deleted and then "
             "recreated", kind, t->bound_name, t->bound_uid);
    cp_api_respond_status(rs, 409, cp_status_failure(409, NULL, msg, NULL));
    return -1;
  }
  return 0;
}

/* The answer: the request as sent, with metadata and status. */
static char *answer(json_object *in, const char *ns, const char *name,
                    const struct token_req *t, const char *token,
                    int64_t exp_at) {
  json_object *spec = get(in, "spec"), *md = json_object_new_object();
  json_object *st = json_object_new_object(), *aud;
  char ts[40], now[40];
  time_t e = (time_t)exp_at;
  struct tm tm;
  size_t i;

  if (md == NULL || st == NULL) {
    json_object_put(md);
    json_object_put(st);
    return NULL;
  }
  if (spec == NULL) {
    spec = json_object_new_object();
    json_object_object_add(in, "spec", spec);
  }
  if (get(spec, "audiences") == NULL) {
    aud = json_object_new_array();
    for (i = 0; i < t->n_audiences; i++)
      json_object_array_add(aud, json_object_new_string(t->audiences[i]));
    json_object_object_add(spec, "audiences", aud);
  }
  json_object_object_add(spec, "expirationSeconds",
                         json_object_new_int64(t->expiration));
  if (get(spec, "boundObjectRef") == NULL)
    json_object_object_add(spec, "boundObjectRef", NULL);
  set_str(in, "kind", KIND);
  set_str(in, "apiVersion", GROUP "/v1");
  cp_verbs_now_rfc3339(now, sizeof now);
  set_str(md, "name", name);
  set_str(md, "namespace", ns);
  set_str(md, "creationTimestamp", now);
  json_object_object_add(in, "metadata", md);
  gmtime_r(&e, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  set_str(st, "token", token);
  set_str(st, "expirationTimestamp", ts);
  json_object_object_add(in, "status", st);
  return cp_verbs_stored_text(in);
}

void cp_token_request(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                      struct cp_api_response *rs) {
  struct token_req t;
  struct cp_sa_binding bound;
  json_object *in = NULL, *sa = NULL, *obj = NULL, *claims = NULL;
  char *err = NULL, *token = NULL, jti[64], msg[400];
  const char *sa_uid;
  int64_t now = (int64_t)time(NULL), expiration, warnafter = 0;
  int rc;

  memset(&t, 0, sizeof t);
  if (ctx->authn == NULL) {
    cp_api_respond_status(rs, 404, cp_status_failuref(404, "the server "
                          "could not find the requested resource"));
    return;
  }
  if (rq->content_type != NULL &&
      strncmp(rq->content_type, "application/json", 16) != 0) {
    cp_api_respond_status(rs, 415, cp_status_failuref(415, "the body of "
                          "the request was in an unknown format - accepted "
                          "media types include: application/json"));
    return;
  }
  in = cp_verbs_parse_body(rq->body, rq->body_len, &err);
  if (in == NULL || !json_object_is_type(in, json_type_object)) {
    snprintf(msg, sizeof msg, "not a TokenRequest: %s",
             err ? err : "not an object");
    bad_request(rs, msg);
    goto out;
  }
  cp_audit_subresource_object(rq, in); /* as decoded, before checks */
  if (read_spec(in, rq->name, &t, rs) < 0)
    goto out;
  if (t.n_audiences == 0) {
    size_t n, i;
    char *const *implicit = cp_authn_audiences(ctx->authn, &n);

    for (i = 0; i < n && i < MAX_AUDIENCES; i++)
      t.audiences[t.n_audiences++] = implicit[i];
  }
  rc = cp_authn_read_object(ctx->store, "serviceaccounts", rq->ns, rq->name,
                            &sa);
  if (rc != CPLANE_OK) {
    if (rc == CPLANE_ENOENT)
      cp_verbs_not_found(rs, rq->type, rq->name);
    else
      cp_verbs_store_error(rs, rc);
    goto out;
  }
  sa_uid = uid_of(sa) ? uid_of(sa) : "";
  if (read_bound(ctx, rq->ns, rq->name, &t, &bound, &obj, rs) < 0)
    goto out;
  expiration = t.expiration;
  if (bound.name != NULL && strcmp(bound.kind, "Pod") == 0 &&
      expiration == CP_TOKEN_WARN_ONLY_SECONDS) {
    warnafter = expiration;
    expiration = CP_TOKEN_EXTENDED_SECONDS;
  }
  cp_verbs_new_uid(jti, sizeof jti);
  claims = cp_sa_claims_bound(cp_authn_issuer(ctx->authn), t.audiences,
                              t.n_audiences, now, expiration, warnafter,
                              rq->ns, rq->name, sa_uid, &bound, jti);
  if (claims == NULL || (token = cp_authn_sign(ctx->authn, claims)) == NULL) {
    cp_api_respond_status(rs, 500, cp_status_failuref(500, "cannot sign "
                                                           "the token"));
    goto out;
  }
  cp_verbs_respond_text(rs, 201, answer(in, rq->ns, rq->name, &t, token,
                                        now + expiration));
out:
  json_object_put(in);
  json_object_put(sa);
  json_object_put(obj);
  json_object_put(claims);
  free(token);
  free(err);
}
