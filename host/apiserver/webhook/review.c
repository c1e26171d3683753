/*
 * review - AdmissionReview out, its answer checked (review.h).
 */
#include "apiserver/webhook/review.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/strategy/platform_fields.h"
#include "apiserver/user_json.h"
#include "apiserver/verbs.h"

static json_object *gvk(const char *group, const char *version,
                        const char *kind, const char *kind_key) {
  json_object *o = json_object_new_object();

  if (o == NULL)
    return NULL;
  json_object_object_add(o, "group", json_object_new_string(group));
  json_object_object_add(o, "version", json_object_new_string(version));
  json_object_object_add(o, kind_key, json_object_new_string(kind));
  return o;
}

/* A borrowed object as a member: a new reference, or JSON null. */
static json_object *or_null(json_object *o) {
  return o != NULL ? json_object_get(o) : NULL;
}

char *cp_webhook_review_request(const struct cp_webhook_review_in *in,
                                const char *uid) {
  const struct cp_webhook_attrs *a = in->attrs;
  const char *kg = a->kind_group ? a->kind_group : a->group;
  const char *kv = a->kind_version ? a->kind_version : a->version;
  json_object *review = json_object_new_object(), *rq = json_object_new_object();
  char *text = NULL;

  if (review == NULL || rq == NULL)
    goto out;
  json_object_object_add(review, "kind",
                         json_object_new_string("AdmissionReview"));
  json_object_object_add(review, "apiVersion",
                         json_object_new_string("admission.k8s.io/v1"));
  json_object_object_add(rq, "uid", json_object_new_string(uid));
  json_object_object_add(rq, "kind", gvk(kg, kv, a->kind, "kind"));
  json_object_object_add(rq, "resource",
                         gvk(a->group, a->version, a->resource, "resource"));
  if (a->subresource[0] != '\0')
    json_object_object_add(rq, "subResource",
                           json_object_new_string(a->subresource));
  json_object_object_add(rq, "requestKind", gvk(kg, kv, a->kind, "kind"));
  json_object_object_add(rq, "requestResource",
                         gvk(a->group, a->version, a->resource, "resource"));
  if (a->subresource[0] != '\0')
    json_object_object_add(rq, "requestSubResource",
                           json_object_new_string(a->subresource));
  if (a->name[0] != '\0')
    json_object_object_add(rq, "name", json_object_new_string(a->name));
  if (a->ns[0] != '\0')
    json_object_object_add(rq, "namespace", json_object_new_string(a->ns));
  json_object_object_add(rq, "operation", json_object_new_string(a->operation));
  json_object_object_add(rq, "userInfo", cp_api_user_json(in->user));
  json_object_object_add(rq, "object", or_null(a->object));
  json_object_object_add(rq, "oldObject", or_null(a->old_object));
  json_object_object_add(rq, "dryRun", json_object_new_boolean(in->dry_run));
  json_object_object_add(rq, "options", or_null(in->options));
  json_object_object_add(review, "request", rq);
  rq = NULL;
  text = cp_api_to_text(review);
out:
  json_object_put(rq);
  json_object_put(review);
  return text;
}

/* Go's encoding/json names for a value's JSON type. */
static const char *go_type(json_object *v) {
  switch (json_object_get_type(v)) {
  case json_type_boolean:
    return "bool";
  case json_type_int:
  case json_type_double:
    return "number";
  case json_type_string:
    return "string";
  case json_type_array:
    return "array";
  case json_type_object:
    return "object";
  default:
    return "null";
  }
}

/* Member key of o when of type t; absent and null are NULL; any other
 * type sets *err as Go's decoder words it and returns NULL. */
static json_object *typed(json_object *o, const char *key, json_type t,
                          const char *go_field, const char *go_want,
                          char **err) {
  json_object *v = NULL;

  if (*err != NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
    return NULL;
  if (json_object_is_type(v, t))
    return v;
  if (asprintf(err,
               "json: cannot unmarshal %s into Go struct field %s of type %s",
               go_type(v), go_field, go_want) < 0)
    *err = NULL;
  return NULL;
}

static int fail(char **err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char **err, int rc, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  if (vasprintf(err, fmt, ap) < 0)
    *err = NULL;
  va_end(ap);
  return rc;
}

/* "group/version, Kind=kind" of the answer, as Go's GroupVersionKind
 * prints it. */
static char *gvk_string(json_object *review) {
  const char *av = cp_plat_str0(review, "apiVersion"), *slash = strchr(av, '/');
  char *s = NULL;

  if (slash != NULL)
    return asprintf(&s, "%.*s/%s, Kind=%s", (int)(slash - av), av, slash + 1,
                    cp_plat_str0(review, "kind")) < 0
               ? NULL
               : s;
  return asprintf(&s, "/%s, Kind=%s", av, cp_plat_str0(review, "kind")) < 0
             ? NULL
             : s;
}

/* Type checks of the members admission reads (any error in *err). */
static void read_members(json_object *r, struct cp_webhook_verdict *v,
                         const char **uid, const char **patch,
                         const char **patch_type, int *has_patch_type,
                         char **err) {
  json_object *x;

  x = typed(r, "uid", json_type_string, "AdmissionReview.response.uid",
            "types.UID", err);
  *uid = x ? json_object_get_string(x) : "";
  x = typed(r, "allowed", json_type_boolean,
            "AdmissionReview.response.allowed", "bool", err);
  v->allowed = x != NULL && json_object_get_boolean(x);
  x = typed(r, "patch", json_type_string, "AdmissionReview.response.patch",
            "[]uint8", err);
  *patch = x ? json_object_get_string(x) : NULL;
  x = typed(r, "patchType", json_type_string,
            "AdmissionReview.response.patchType", "v1.PatchType", err);
  *has_patch_type = x != NULL;
  *patch_type = x ? json_object_get_string(x) : "";
  x = typed(r, "status", json_type_object, "AdmissionReview.response.status",
            "v1.Status", err);
  v->status = x ? json_object_get(x) : NULL;
  x = typed(r, "warnings", json_type_array,
            "AdmissionReview.response.warnings", "[]string", err);
  v->warnings = x ? json_object_get(x) : NULL;
  x = typed(r, "auditAnnotations", json_type_object,
            "AdmissionReview.response.auditAnnotations", "map[string]string",
            err);
  v->audit_annotations = x ? json_object_get(x) : NULL;
}

/* The patch members of a mutating webhook's answer (kube: both or
 * neither, JSONPatch only). */
static int check_patch(struct cp_webhook_verdict *v, const char *patch,
                       const char *patch_type, int has_patch_type,
                       int mutating, char **err) {
  size_t n = patch ? strlen(patch) : 0;

  if (!mutating) {
    if (n > 0)
      return fail(err, CP_WEBHOOK_REVIEW_INVALID,
                  "validating webhook may not return response.patch");
    if (has_patch_type)
      return fail(err, CP_WEBHOOK_REVIEW_INVALID,
                  "validating webhook may not return response.patchType");
    return CP_WEBHOOK_REVIEW_OK;
  }
  if (n > 0 && (v->patch = cp_plat_b64_decode(patch, &v->patch_len)) == NULL)
    return fail(err, CP_WEBHOOK_REVIEW_UNDECODABLE,
                "illegal base64 data in response.patch");
  if (v->patch_len > 0 && !has_patch_type)
    return fail(err, CP_WEBHOOK_REVIEW_INVALID,
                "webhook returned response.patch but not "
                "response.patchType");
  if (v->patch_len == 0 && has_patch_type)
    return fail(err, CP_WEBHOOK_REVIEW_INVALID,
                "webhook returned response.patchType but not "
                "response.patch");
  if (has_patch_type && strcmp(patch_type, "JSONPatch") != 0)
    return fail(err, CP_WEBHOOK_REVIEW_INVALID,
                "webhook returned invalid response.patchType of \"%s\"",
                patch_type);
  return CP_WEBHOOK_REVIEW_OK;
}

int cp_webhook_review_response(const char *body, size_t len, const char *uid,
                               int mutating, struct cp_webhook_verdict *v,
                               char **err) {
  json_object *review = NULL, *r;
  const char *got_uid, *patch, *patch_type;
  char *got_gvk = NULL;
  int rc, has_patch_type = 0;

  memset(v, 0, sizeof *v);
  *err = NULL;
  review = cp_verbs_parse_body(body != NULL ? body : "", len, err);
  if (review == NULL || !json_object_is_type(review, json_type_object)) {
    if (*err == NULL && asprintf(err, "json: cannot unmarshal %s into Go "
                                      "value of type v1.AdmissionReview",
                                 go_type(review)) < 0)
      *err = NULL;
    rc = CP_WEBHOOK_REVIEW_UNDECODABLE;
    goto out;
  }
  r = typed(review, "response", json_type_object, "AdmissionReview.response",
            "v1.AdmissionResponse", err);
  if (*err != NULL) {
    rc = CP_WEBHOOK_REVIEW_UNDECODABLE;
    goto out;
  }
  if (r == NULL) {
    rc = fail(err, CP_WEBHOOK_REVIEW_INVALID,
              "webhook response was absent");
    goto out;
  }
  read_members(r, v, &got_uid, &patch, &patch_type, &has_patch_type, err);
  if (*err != NULL) {
    rc = CP_WEBHOOK_REVIEW_UNDECODABLE;
    goto out;
  }
  if (strcmp(got_uid, uid) != 0) {
    rc = fail(err, CP_WEBHOOK_REVIEW_INVALID,
              "expected response.uid=\"%s\", got \"%s\"", uid, got_uid);
    goto out;
  }
  if (strcmp(cp_plat_str0(review, "apiVersion"), "admission.k8s.io/v1") ||
      strcmp(cp_plat_str0(review, "kind"), "AdmissionReview")) {
    got_gvk = gvk_string(review);
    rc = fail(err, CP_WEBHOOK_REVIEW_INVALID,
              "expected webhook response of admission.k8s.io/v1, "
              "Kind=AdmissionReview, got %s", got_gvk ? got_gvk : "?");
    goto out;
  }
  rc = check_patch(v, patch, patch_type, has_patch_type, mutating, err);
out:
  if (rc != CP_WEBHOOK_REVIEW_OK && *err == NULL)
    rc = CP_WEBHOOK_REVIEW_NOMEM; /* no words for it: out of memory */
  if (rc != CP_WEBHOOK_REVIEW_OK)
    cp_webhook_verdict_clear(v);
  free(got_gvk);
  json_object_put(review);
  return rc;
}

void cp_webhook_verdict_clear(struct cp_webhook_verdict *v) {
  json_object_put(v->status);
  json_object_put(v->warnings);
  json_object_put(v->audit_annotations);
  free(v->patch);
  memset(v, 0, sizeof *v);
}
