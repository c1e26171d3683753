/*
 * reviews - see reviews.h.
 */
#include "apiserver/audit/audit.h"
#include "apiserver/rbac/reviews.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/field_errors.h"
#include "apiserver/rbac/authorizer.h"
#include "apiserver/rbac/index.h"
#include "apiserver/status.h"
#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/platform_fields.h"
#include "object/json_strict.h"

#define GROUP "authorization.k8s.io"
/* The most groups a review may name (each costs a look-up). */
#define MAX_GROUPS 256

int cp_rbac_is_review(const struct cp_resource_type *t) {
  return t != NULL && t->builtin && strcmp(t->group, GROUP) == 0;
}

static void bad_request(struct cp_api_response *rs, const char *msg) {
  cp_api_respond_status(rs, 400, cp_status_failure(400, NULL, msg, NULL));
}

/* Type checks of the fields read: kube's decoder refuses a value of the
 * wrong type with 400. Returns 0, or -1 having set rs. */
static int check_types(json_object *o, struct cp_api_response *rs) {
  static const char *const strs[] = {"namespace", "verb", "group", "version",
                                     "resource", "subresource", "name",
                                     "path"};
  json_object *spec = cp_field_at(o, "spec"), *groups;
  const char *const objs[] = {"resourceAttributes", "nonResourceAttributes"};
  size_t i, j;

  if (!json_object_is_type(o, json_type_object) ||
      !json_object_is_type(spec, json_type_object)) {
    bad_request(rs, "spec: must be an object");
    return -1;
  }
  for (i = 0; i < 2; i++) {
    json_object *a = cp_field_at(spec, objs[i]);

    if (a == NULL || json_object_is_type(a, json_type_null))
      continue;
    if (!json_object_is_type(a, json_type_object)) {
      bad_request(rs, "spec: attributes must be an object");
      return -1;
    }
    for (j = 0; j < sizeof strs / sizeof strs[0]; j++) {
      json_object *v = cp_field_at(a, strs[j]);

      if (v != NULL && !json_object_is_type(v, json_type_string) &&
          !json_object_is_type(v, json_type_null)) {
        bad_request(rs, "spec: attribute values must be strings");
        return -1;
      }
    }
  }
  groups = cp_field_at(spec, "groups");
  if (groups != NULL && !json_object_is_type(groups, json_type_null)) {
    if (!json_object_is_type(groups, json_type_array) ||
        json_object_array_length(groups) > MAX_GROUPS) {
      bad_request(rs, "spec.groups: must be a list of at most 256 strings");
      return -1;
    }
    for (i = 0; i < json_object_array_length(groups); i++)
      if (!json_object_is_type(json_object_array_get_idx(groups, i),
                               json_type_string)) {
        bad_request(rs, "spec.groups: must be a list of strings");
        return -1;
      }
  }
  for (i = 0; i < 3; i++) {
    const char *k = i == 0 ? "user" : i == 1 ? "uid" : "namespace";
    json_object *v = cp_field_at(spec, k);

    if (v != NULL && !json_object_is_type(v, json_type_string) &&
        !json_object_is_type(v, json_type_null)) {
      bad_request(rs, "spec: user, uid and namespace must be strings");
      return -1;
    }
  }
  return 0;
}

/* The request attributes a review's spec names, for user and groups. */
static void attrs_of(json_object *spec, struct cp_rbac_attrs *a) {
  json_object *ra = cp_field_at(spec, "resourceAttributes");
  json_object *na = cp_field_at(spec, "nonResourceAttributes");

  if (json_object_is_type(ra, json_type_object)) {
    a->resource_request = 1;
    a->verb = cp_plat_str0(ra, "verb");
    a->group = cp_plat_str0(ra, "group");
    a->resource = cp_plat_str0(ra, "resource");
    a->subresource = cp_plat_str0(ra, "subresource");
    a->name = cp_plat_str0(ra, "name");
    a->ns = cp_plat_str0(ra, "namespace");
    a->path = "";
  } else {
    a->resource_request = 0;
    a->verb = cp_plat_str0(na, "verb");
    a->path = cp_plat_str0(na, "path");
    a->group = a->resource = a->subresource = a->name = a->ns = "";
  }
}

static int present(json_object *spec, const char *k) {
  json_object *v = cp_field_at(spec, k);

  return v != NULL && !json_object_is_type(v, json_type_null);
}

/* kube's ValidateXxxSpec. */
static void validate(const struct cp_resource_type *t, json_object *o,
                     struct cp_field_errors *errs) {
  json_object *spec = cp_field_at(o, "spec");
  int ra = present(spec, "resourceAttributes");
  int na = present(spec, "nonResourceAttributes");
  const char *r = t->resource;

  if (strcmp(r, "selfsubjectrulesreviews") == 0)
    return;
  if (ra && na)
    cp_field_invalid_str(errs, "spec.nonResourceAttributes", "",
                         "cannot be specified in combination with "
                         "resourceAttributes");
  if (!ra && !na)
    cp_field_invalid_str(errs, "spec.resourceAttributes", "null",
                         "exactly one of nonResourceAttributes or "
                         "resourceAttributes must be specified");
  if ((strcmp(r, "subjectaccessreviews") == 0 ||
       strcmp(r, "localsubjectaccessreviews") == 0) &&
      cp_plat_str0(spec, "user")[0] == '\0' &&
      (!json_object_is_type(cp_field_at(spec, "groups"), json_type_array) ||
       json_object_array_length(cp_field_at(spec, "groups")) == 0))
    cp_field_invalid_str(errs, "spec.user", "",
                         "at least one of user or group must be specified");
  if (strcmp(r, "localsubjectaccessreviews") == 0 && na)
    cp_field_invalid_str(errs, "spec.nonResourceAttributes", "",
                         "disallowed on this kind of request");
}

/* The groups a SubjectAccessReview names (borrowed from o), in *out
 * (malloc'd array). */
static int spec_groups(json_object *spec, char ***out, size_t *n) {
  json_object *g = cp_field_at(spec, "groups");
  size_t i, len = json_object_is_type(g, json_type_array)
                      ? json_object_array_length(g)
                      : 0;

  *out = calloc(len ? len : 1, sizeof **out);
  *n = len;
  if (*out == NULL)
    return -1;
  for (i = 0; i < len; i++)
    (*out)[i] = (char *)json_object_get_string(json_object_array_get_idx(g, i));
  return 0;
}

static void set_status(json_object *o, int allowed, const char *reason) {
  json_object *st = json_object_new_object();

  json_object_object_add(st, "allowed", json_object_new_boolean(allowed));
  if (reason != NULL && reason[0] != '\0')
    json_object_object_add(st, "reason", json_object_new_string(reason));
  json_object_object_add(o, "status", st);
}

static void add_rule(json_object *list, const struct cp_rbac_rule *r,
                     int resource) {
  json_object *j = cp_rbac_rule_json(r, resource);

  if (j != NULL)
    json_object_array_add(list, j);
}

/* SelfSubjectRulesReview: the caller's rules in spec.namespace. */
static int rules_review(struct cp_api_ctx *ctx, const struct cp_api_user *u,
                        json_object *o) {
  const char *ns = cp_plat_str0(cp_field_at(o, "spec"), "namespace");
  struct cp_rbac_rules rules = {0};
  json_object *st = json_object_new_object();
  json_object *res = json_object_new_array(), *non = json_object_new_array();
  size_t i;
  int rc = 0;

  if (cp_rbac_is_master(u->groups, u->n_groups)) {
    /* kube's privileged-group authorizer lists everything first. */
    static const char *const star[] = {"*"};
    struct cp_rbac_rule all = {{(char **)star, 1}, {(char **)star, 1},
                               {(char **)star, 1}, {NULL, 0},
                               {(char **)star, 1}};

    add_rule(res, &all, 1);
    add_rule(non, &all, 0);
  }
  if (ctx->rbac != NULL &&
      cp_rbac_index_rules_for(cp_rbac_index(ctx->rbac), u->name, u->groups,
                              u->n_groups, ns, &rules) < 0)
    rc = -1;
  for (i = 0; i < rules.n; i++) {
    if (rules.v[i].resources.n > 0 || rules.v[i].groups.n > 0)
      add_rule(res, &rules.v[i], 1);
    if (rules.v[i].urls.n > 0)
      add_rule(non, &rules.v[i], 0);
  }
  cp_rbac_rules_clear(&rules);
  json_object_object_add(st, "resourceRules", res);
  json_object_object_add(st, "nonResourceRules", non);
  json_object_object_add(st, "incomplete", json_object_new_boolean(0));
  json_object_object_add(o, "status", st);
  return rc;
}

/* The access reviews: who asks, and the answer. */
static int access_review(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                         json_object *o) {
  json_object *spec = cp_field_at(o, "spec");
  struct cp_rbac_attrs a;
  char reason[1024], **groups = NULL;
  int self = strcmp(rq->type->resource, "selfsubjectaccessreviews") == 0;
  int allowed;

  memset(&a, 0, sizeof a);
  attrs_of(spec, &a);
  if (self) {
    a.user = rq->user.name ? rq->user.name : "";
    a.groups = rq->user.groups;
    a.n_groups = rq->user.n_groups;
  } else {
    a.user = cp_plat_str0(spec, "user");
    if (spec_groups(spec, &groups, &a.n_groups) < 0)
      return -1;
    a.groups = groups;
  }
  allowed = cp_rbac_authorize(ctx->rbac, &a, reason, sizeof reason);
  set_status(o, allowed, reason);
  free(groups);
  return 0;
}

/* kube answers with the spec as sent and metadata.creationTimestamp
 * null (Go's zero time). */
static void answer_meta(json_object *o) {
  json_object *md = cp_field_at(o, "metadata");

  if (!json_object_is_type(md, json_type_object)) {
    md = json_object_new_object();
    json_object_object_add(o, "metadata", md);
  }
  if (cp_field_at(md, "creationTimestamp") == NULL)
    json_object_object_add(md, "creationTimestamp", NULL);
}

void cp_rbac_review(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                    struct cp_api_response *rs) {
  struct cp_field_errors errs = CP_FIELD_ERRORS_INIT;
  json_object *o = NULL;
  const char *err = NULL, *kind;
  size_t at = 0;
  char msg[256];
  int rc;

  if (rq->method != CP_API_POST || rq->name != NULL) {
    cp_api_respond_status(rs, 405, cp_status_failuref(
                                       405, "the server does not allow this "
                                            "method on the requested "
                                            "resource"));
    return;
  }
  if (rq->content_type != NULL &&
      strncmp(rq->content_type, "application/json", 16) != 0) {
    cp_api_respond_status(rs, 415, cp_status_failuref(
                                       415, "the body of the request was in "
                                            "an unknown format - accepted "
                                            "media types include: "
                                            "application/json, "
                                            "application/yaml, "
                                            "application/vnd.kubernetes."
                                            "protobuf"));
    return;
  }
  if (cp_json_strict_parse(rq->body ? rq->body : "", rq->body_len, 64, &o,
                           NULL, &err, &at) != 0) {
    snprintf(msg, sizeof msg, "json: %s", err ? err : "invalid body");
    bad_request(rs, msg);
    return;
  }
  if (check_types(o, rs) < 0)
    goto out;
  kind = cp_plat_str0(o, "kind");
  if (kind[0] != '\0' && strcmp(kind, rq->type->kind) != 0) {
    snprintf(msg, sizeof msg, "the body is a %.64s, not a %s", kind,
             rq->type->kind);
    bad_request(rs, msg);
    goto out;
  }
  json_object_object_add(o, "apiVersion",
                         json_object_new_string(GROUP "/v1"));
  json_object_object_add(o, "kind", json_object_new_string(rq->type->kind));
  cp_audit_request_object(rq, o); /* as decoded, before validation */
  if (strcmp(rq->type->resource, "localsubjectaccessreviews") == 0) {
    const char *ns = cp_plat_str0(cp_field_at(cp_field_at(o, "spec"), "resourceAttributes"),
                         "namespace");

    if (rq->ns == NULL || strcmp(ns, rq->ns) != 0) {
      snprintf(msg, sizeof msg, "spec.resourceAttributes.namespace must "
                                "match namespace: %.200s",
               rq->ns ? rq->ns : "");
      bad_request(rs, msg);
      goto out;
    }
  }
  validate(rq->type, o, &errs);
  if (cp_field_errors_any(&errs)) {
    cp_field_errors_respond(&errs, rq->type, "", rs);
    goto out;
  }
  answer_meta(o);
  rc = strcmp(rq->type->resource, "selfsubjectrulesreviews") == 0
           ? rules_review(ctx, &rq->user, o)
           : access_review(ctx, rq, o);
  if (rc < 0) {
    cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  rs->code = 201;
  rs->content_type = "application/json";
  rs->body = strdup(json_object_to_json_string_ext(
      o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  rs->len = rs->body ? strlen(rs->body) : 0;
  if (rs->body == NULL)
    cp_api_respond_status(rs, 500, NULL);
out:
  cp_field_errors_clear(&errs);
  json_object_put(o);
}
