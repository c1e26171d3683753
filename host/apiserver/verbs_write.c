/*
 * verbs_write - create, update (and the status, scale and finalize
 * subresources), patch, and a pod's binding: decode, schema, metadata
 * and kind validation, admission, then a compare-and-swap on the store.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "apiserver/admission.h"
#include "apiserver/admission_quota.h"
#include "apiserver/audit/audit.h"
#include "apiserver/authn/legacy_token.h"
#include "apiserver/crd_scale.h"
#include "apiserver/csr_approval.h"
#include "apiserver/dry_run.h"
#include "apiserver/managed_fields.h"
#include "apiserver/patch.h"
#include "apiserver/rv_text.h"
#include "apiserver/scale_admission.h"
#include "apiserver/schema.h"
#include "apiserver/schema_rules.h"
#include "apiserver/status.h"
#include "apiserver/strategy/strategy.h"
#include "apiserver/verbs.h"
#include "apiserver/webhook/dispatch.h"
#include "labels/names.h"
#include "object/json_buf.h"
#include "object/json_strict.h"

/* ------------------------------------------------------------ validation */

/* 422 for one field whose value is wrong: "Invalid value: "v": why". */
static void invalid_value(struct cp_api_response *rs,
                          const struct cp_resource_type *t, const char *name,
                          const char *field, const char *value,
                          const char *why) {
  char *detail = NULL;

  if (asprintf(&detail, "Invalid value: \"%s\": %s", value, why) < 0)
    detail = NULL;
  cp_verbs_invalid(rs, t, name, field, "FieldValueInvalid",
                   detail ? detail : why);
  free(detail);
}

/* Annotation keys are qualified names and all of them together, keys
 * and values, at most 256 KiB (kube's TotalAnnotationSizeLimitB). */
static int validate_annotations(const struct cp_resource_type *t,
                                const char *name, json_object *ann,
                                struct cp_api_response *rs) {
  size_t total = 0;

  if (ann == NULL || !json_object_is_type(ann, json_type_object))
    return 0;
  json_object_object_foreach(ann, k, v) {
    const char *why = cp_name_qualified_error(k);

    total += strlen(k) + (size_t)json_object_get_string_len(v);
    if (why == NULL)
      continue;
    invalid_value(rs, t, name, "metadata.annotations", k, why);
    return -1;
  }
  if (total > 262144) {
    cp_verbs_invalid(rs, t, name, "metadata.annotations", "FieldValueTooLong",
                     "Too long: must have at most 262144 bytes");
    return -1;
  }
  return 0;
}

/* metadata.finalizers is a list of qualified names. A null element is
 * "" to Go's decoder, which validation then refuses; a finalizer that is
 * not a string would otherwise crash every later strcmp over the list. */
static int validate_finalizers(const struct cp_resource_type *t,
                               const char *name, json_object *fs,
                               struct cp_api_response *rs) {
  char field[64];
  size_t i, n;

  if (fs == NULL)
    return 0;
  if (!json_object_is_type(fs, json_type_array)) {
    cp_verbs_invalid(rs, t, name, "metadata.finalizers", "FieldValueInvalid",
                     "Invalid value: must be a list of strings");
    return -1;
  }
  n = json_object_array_length(fs);
  for (i = 0; i < n; i++) {
    json_object *f = json_object_array_get_idx(fs, i);
    const char *v = f != NULL && json_object_is_type(f, json_type_string)
                        ? json_object_get_string(f)
                        : "";
    const char *why = f == NULL || json_object_is_type(f, json_type_string)
                          ? cp_name_qualified_error(v)
                          : "must be a string";

    if (why == NULL)
      continue;
    snprintf(field, sizeof field, "metadata.finalizers[%zu]", i);
    invalid_value(rs, t, name, field, v, why);
    return -1;
  }
  return 0;
}

/* Checks what every object needs; responds and returns -1 if not. */
static int validate_meta(const struct cp_resource_type *t, json_object *o,
                         struct cp_api_response *rs) {
  json_object *md = get(o, "metadata"), *labels = get(md, "labels");
  const char *name = get_str(md, "name"), *why;
  const struct cp_strategy *st = cp_strategy_for(t);

  why = st->name_error != NULL ? st->name_error(name)
        : (st->flags & CP_STRATEGY_NAME_DNS_LABEL) == 0
            ? cp_name_dns1123_subdomain_error(name)
            : cp_name_dns1123_label_error(name);
  if (why != NULL) {
    invalid_value(rs, t, name, "metadata.name", name, why);
    return -1;
  }
  if (validate_annotations(t, name, get(md, "annotations"), rs) < 0 ||
      validate_finalizers(t, name, get(md, "finalizers"), rs) < 0)
    return -1;
  if (labels != NULL && json_object_is_type(labels, json_type_object)) {
    json_object_object_foreach(labels, k, v) {
      const char *val = v != NULL ? json_object_get_string(v) : "";
      const char *kwhy = cp_name_qualified_error(k);
      const char *vwhy = json_object_is_type(v, json_type_string)
                             ? cp_name_label_value_error(val)
                             : "must be a string";

      if (kwhy == NULL && vwhy == NULL)
        continue;
      invalid_value(rs, t, name, "metadata.labels", kwhy ? k : val,
                    kwhy ? kwhy : vwhy);
      return -1;
    }
  }
  return 0;
}

/* ------------------------------------------------------------ schemas */

/* fieldValidation: what to do about fields the schema does not know.
 * They are pruned in every mode, as Go's decoding drops them. */
enum field_validation { FV_IGNORE, FV_WARN, FV_STRICT };

/* Reads fieldValidation (absent: Warn, as kube-apiserver >= 1.27). A bad
 * value is refused as kube-apiserver's options validation does: 422 on
 * the CreateOptions/UpdateOptions/PatchOptions. */
static int field_validation(struct cp_api_request *rq,
                            enum field_validation *fv,
                            struct cp_api_response *rs) {
  const char *v = cp_query_get(&rq->query, "fieldValidation");
  const char *kind = rq->method == CP_API_POST  ? "CreateOptions"
                     : rq->method == CP_API_PUT ? "UpdateOptions"
                                                : "PatchOptions";
  char *detail = NULL;

  *fv = FV_WARN;
  if (v == NULL || v[0] == '\0' || strcmp(v, "Warn") == 0)
    return 0;
  if (strcmp(v, "Strict") == 0 || strcmp(v, "Ignore") == 0) {
    *fv = v[0] == 'S' ? FV_STRICT : FV_IGNORE;
    return 0;
  }
  if (asprintf(&detail,
               "Unsupported value: \"%s\": supported values: "
               "\"\", \"Ignore\", \"Strict\", \"Warn\"",
               v) < 0)
    cp_api_respond_status(rs, 500, NULL);
  else
    cp_verbs_options_invalid(rs, kind, "fieldValidation",
                             "FieldValueNotSupported", detail);
  free(detail);
  return -1;
}

/* The schema of t's objects: compiled in for built-in kinds, from the
 * definition for custom resources; NULL when there is none. */
static const struct cp_schema *type_schema(struct cp_api_ctx *ctx,
                                           const struct cp_resource_type *t) {
  if (t->builtin)
    return cp_schema_builtin_kind(t->group, t->version, t->kind);
  return cp_resources_schema(ctx->resources, t);
}

/* What decoding does to a body before anything looks at it: unknown
 * fields found and pruned (Strict: 400 naming every one, as
 * kube-apiserver's strict decoding; Warn: a Warning header each), then
 * the defaults. Responds and returns -1 when the request must stop. */
static int schema_decode(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                         json_object *o, enum field_validation fv,
                         const struct cp_json_strict_dups *dups,
                         struct cp_api_response *rs) {
  const struct cp_schema *s = type_schema(ctx, rq->type);
  struct cp_schema_result r = {0};
  struct cp_json_buf b = CP_JSON_BUF_INIT;
  size_t i, n_dups = dups != NULL ? dups->n : 0;
  char *text = NULL;
  int rc = 0;

  if (s != NULL)
    cp_schema_prune(s, o, 1, &r);
  if (fv == FV_STRICT && (r.n_unknown > 0 || n_dups > 0)) {
    /* Duplicates first: Go's decoder meets them while reading, before
     * anything is compared with the schema. */
    for (i = 0; i < n_dups; i++) {
      cp_json_buf_puts(&b, i ? ", duplicate field \"" : "duplicate field \"");
      cp_json_buf_puts(&b, dups->paths[i]);
      cp_json_buf_puts(&b, "\"");
    }
    for (i = 0; i < r.n_unknown; i++) {
      cp_json_buf_puts(&b,
                       i || n_dups ? ", unknown field \"" : "unknown field \"");
      cp_json_buf_puts(&b, r.unknown[i]);
      cp_json_buf_puts(&b, "\"");
    }
    text = b.nomem ? NULL : cp_json_buf_take(&b);
    cp_api_respond_status(
        rs, 400,
        text ? cp_status_failuref(400,
                                  "%s in version \"%s\" cannot "
                                  "be handled as a %s: strict "
                                  "decoding error: %s",
                                  rq->type->kind, rq->type->version,
                                  rq->type->kind, text)
             : NULL);
    rc = -1;
    goto out;
  }
  for (i = 0; fv == FV_WARN && i < n_dups; i++) {
    char *w = NULL;

    if (asprintf(&w, "duplicate field \"%s\"", dups->paths[i]) >= 0)
      cp_api_add_warning(rs, w);
    free(w);
  }
  for (i = 0; fv == FV_WARN && i < r.n_unknown; i++) {
    char *w = NULL;

    if (asprintf(&w, "unknown field \"%s\"", r.unknown[i]) >= 0)
      cp_api_add_warning(rs, w);
    free(w);
  }
  if (s == NULL)
    goto out;
  cp_schema_default(s, o);
  if (rq->type->builtin)
    cp_schema_builtin_hooks(rq->type->group, rq->type->kind, o);
out:
  free(text);
  cp_json_buf_reset(&b);
  cp_schema_result_clear(&r);
  return rc;
}

/* Drops, silently, what the schema does not know from a stored object,
 * as kube-apiserver's decoding of storage does: an object written before
 * its schema knew better must not make every later patch of it fail
 * under Strict for fields the client never sent. */
static void prune_stored(struct cp_api_ctx *ctx,
                         const struct cp_resource_type *t, json_object *o) {
  const struct cp_schema *s = type_schema(ctx, t);
  struct cp_schema_result r = {0};

  if (s != NULL)
    cp_schema_prune(s, o, 1, &r);
  cp_schema_result_clear(&r);
}

/* 422 Invalid with one cause per field, as kube-apiserver words it:
 * "Kind "name" is invalid: field: detail" ("[a, b]" for several). */
static void invalid_fields(struct cp_api_response *rs,
                           const struct cp_resource_type *t, const char *name,
                           const struct cp_schema_result *r) {
  struct cp_status_cause *causes = calloc(r->n_errors + 1, sizeof *causes);
  struct cp_status_details d = {.name = name,
                                .group = t->group,
                                .kind = t->kind,
                                .causes = causes,
                                .n_causes = r->n_errors};
  struct cp_json_buf b = CP_JSON_BUF_INIT;
  char *list = NULL, *msg = NULL;
  size_t i;

  for (i = 0; causes != NULL && i < r->n_errors; i++) {
    causes[i].reason = r->errors[i].reason;
    causes[i].message = r->errors[i].message;
    causes[i].field = r->errors[i].field;
    cp_json_buf_puts(&b, i ? ", " : "");
    cp_json_buf_puts(&b, r->errors[i].field);
    cp_json_buf_puts(&b, ": ");
    cp_json_buf_puts(&b, r->errors[i].message);
  }
  list = b.nomem ? NULL : cp_json_buf_take(&b);
  if (t->group[0] == '\0')
    d.group = NULL;
  if (causes != NULL && list != NULL &&
      asprintf(&msg, "%s%s%s \"%s\" is invalid: %s%s%s", t->kind,
               t->group[0] ? "." : "", t->group, name ? name : "",
               r->n_errors > 1 ? "[" : "", list,
               r->n_errors > 1 ? "]" : "") < 0)
    msg = NULL;
  cp_api_respond_status(rs, 422,
                        msg ? cp_status_failure(422, NULL, msg, &d) : NULL);
  free(msg);
  free(list);
  free(causes);
  cp_json_buf_reset(&b);
}

/* The first value of the wrong JSON type in r, as kube-apiserver answers
 * a create or update body of a built-in kind that Go's decoding into the
 * typed object refuses: 400 BadRequest, before any validation. NULL when
 * r has no type error. */
static const struct cp_schema_error *
first_type_error(const struct cp_schema_result *r) {
  size_t i;

  for (i = 0; i < r->n_errors; i++)
    if (r->errors[i].got != NULL)
      return &r->errors[i];
  return NULL;
}

/* The Go struct that holds the field at path (indices dropped), as Go's
 * UnmarshalTypeError names it: the one the schema's definitions name
 * (e->go_struct), else ObjectMeta and the structs inside it, else the
 * kind's (the root's fields, and objects the schema inlines). */
static const char *go_struct_of(const char *kind, const char *path,
                                const struct cp_schema_error *e) {
  if (e->go_struct != NULL)
    return e->go_struct;
  if (strncmp(path, "metadata.ownerReferences.", 25) == 0)
    return "OwnerReference";
  if (strncmp(path, "metadata.managedFields.", 23) == 0)
    return "ManagedFieldsEntry";
  if (strncmp(path, "metadata.", 9) == 0)
    return "ObjectMeta";
  return kind;
}

/* "Deployment in version "v1" cannot be handled as a Deployment: json:
 * cannot unmarshal string into Go struct field
 * DeploymentSpec.spec.replicas of type int32" (Go names the innermost
 * struct: go_struct_of). prefix is put before e->field (the path of
 * what was validated: "metadata." when only ObjectMeta was). Go's path
 * has no list indices. */
static void undecodable(struct cp_api_response *rs, const char *kind,
                        const char *version, const char *prefix,
                        const struct cp_schema_error *e) {
  char *path = NULL, *p, *q;

  if (asprintf(&path, "%s%s", prefix, e->field) < 0)
    path = NULL;
  for (p = q = path; p != NULL && *p != '\0'; p++) {
    if (*p == '[') {
      while (*p != '\0' && *p != ']')
        p++;
      if (*p == '\0')
        break;
      continue;
    }
    *q++ = *p;
  }
  if (q != NULL)
    *q = '\0';
  cp_api_respond_status(
      rs, 400,
      path ? cp_status_failuref(400,
                                "%s in version \"%s\" cannot be handled "
                                "as a %s: json: cannot unmarshal %s into "
                                "Go struct field %s.%s of type %s",
                                kind, version, kind, e->got,
                                go_struct_of(kind, path, e), path,
                                strcmp(path, "metadata") == 0
                                    ? "v1.ObjectMeta"
                                    : e->want)
           : NULL);
  free(path);
}

int cp_verbs_metadata_decodes(const char *kind, const char *version,
                              json_object *o, struct cp_api_response *rs) {
  json_object *md = get(o, "metadata");
  struct cp_schema_result r = {0};
  const struct cp_schema_error *e;
  struct cp_schema_error whole = {0};
  int rc = 0;

  if (md == NULL || json_object_is_type(md, json_type_null))
    return 0;
  if (!json_object_is_type(md, json_type_object)) {
    whole.field = (char *)"";
    whole.got = cp_schema_go_json_name(md);
    undecodable(rs, kind, version, "metadata", &whole);
    return -1;
  }
  cp_schema_validate(cp_schema_object_meta(), md, &r);
  if ((e = first_type_error(&r)) != NULL) {
    undecodable(rs, kind, version, "metadata.", e);
    rc = -1;
  }
  cp_schema_result_clear(&r);
  return rc;
}

/* A built-in kind's metadata, decoded before anything reads it
 * (cp_verbs_metadata_decodes); a custom resource decodes as
 * unstructured, its metadata checked by validation. */
static int metadata_decodes(const struct cp_resource_type *t, json_object *o,
                            struct cp_api_response *rs) {
  return t->builtin ? cp_verbs_metadata_decodes(t->kind, t->version, o, rs)
                    : 0;
}

/* Whether Go decodes o into its built-in kind t: no value of a wrong
 * type (a custom resource decodes as unstructured, always). */
static int decodes_typed(struct cp_api_ctx *ctx,
                         const struct cp_resource_type *t, json_object *o) {
  const struct cp_schema *s = type_schema(ctx, t);
  struct cp_schema_result r = {0};
  int ok;

  if (s == NULL || !t->builtin)
    return 1;
  cp_schema_validate(s, o, &r);
  ok = first_type_error(&r) == NULL;
  cp_schema_result_clear(&r);
  return ok;
}

/* kube's LogRequestObject, which its handlers reach only once the body
 * decoded: a value of the wrong type is refused by validation here, after
 * admission, so an audited request checks it first (typed: o is of
 * rq->type's kind, not a Scale). */
static void audit_decoded(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                          json_object *o, int typed) {
  if (rq->audit != NULL && (!typed || decodes_typed(ctx, rq->type, o)))
    cp_audit_request_object(rq, o);
}

/* Types, required fields and enums of the object about to be stored.
 * Responds 422 and returns -1 when it is invalid; with body (a create or
 * update of a built-in kind: what kube decodes into a typed object), 400
 * for a value of the wrong type. */
static int schema_validate(struct cp_api_ctx *ctx,
                           const struct cp_resource_type *t, json_object *o,
                           json_object *old, int body,
                           struct cp_api_response *rs) {
  const struct cp_schema *s = type_schema(ctx, t);
  struct cp_schema_result r = {0};
  const struct cp_schema_error *e;
  int rc = 0;

  if (s == NULL)
    return 0;
  cp_schema_validate(s, o, &r);
  if (!t->builtin) /* x-kubernetes-validations (CEL rules) */
    cp_schema_rules_check(s, o, old, &r);
  if (r.n_errors > 0) {
    if (body && t->builtin && (e = first_type_error(&r)) != NULL)
      undecodable(rs, t->kind, t->version, "", e);
    else
      invalid_fields(rs, t, get_str(get(o, "metadata"), "name"), &r);
    rc = -1;
  } else if (r.nomem) {
    cp_api_respond_status(rs, 500, NULL);
    rc = -1;
  }
  cp_schema_result_clear(&r);
  return rc;
}

/* kind/apiVersion, when given, must name this resource's kind. */
static int check_kind(const struct cp_resource_type *t, json_object *o,
                      struct cp_api_response *rs) {
  const char *kind = get_str(o, "kind"), *av = get_str(o, "apiVersion");
  char gv[256];

  cp_resource_group_version(t, gv, sizeof gv);
  if ((kind != NULL && strcmp(kind, t->kind) != 0) ||
      (av != NULL && strcmp(av, gv) != 0)) {
    cp_api_respond_status(rs, 400,
                          cp_status_failuref(400,
                                             "the body is a %s %s, but the "
                                             "request is for %s %s",
                                             av ? av : "?", kind ? kind : "?",
                                             gv, t->kind));
    return -1;
  }
  set_str(o, "kind", t->kind);
  set_str(o, "apiVersion", gv);
  return 0;
}

/* The path decides the namespace: fill it in, or refuse a different one. */
static int check_namespace(struct cp_api_request *rq, json_object *o,
                           struct cp_api_response *rs) {
  json_object *md = metadata(o);
  const char *ns = get_str(md, "namespace");

  if (!rq->type->namespaced) {
    json_object_object_del(md, "namespace");
    return 0;
  }
  if (ns != NULL && ns[0] != '\0' && strcmp(ns, rq->ns) != 0) {
    cp_api_respond_status(rs, 400,
                          cp_status_failuref(400,
                                             "the namespace of the provided "
                                             "object does not match the "
                                             "namespace sent on the request"));
    return -1;
  }
  set_str(md, "namespace", rq->ns);
  return 0;
}

/* A body that is not a JSON object, as kube-apiserver's decoder words
 * it: 400 "the object provided is unrecognized (must be of type Kind):
 * couldn't get version/kind; json parse error: ...". */
static void unrecognized(struct cp_api_response *rs,
                         const struct cp_resource_type *t, const char *err) {
  cp_api_respond_status(
      rs, 400,
      cp_status_failuref(400,
                         "the object provided is unrecognized (must be "
                         "of type %s): couldn't get version/kind; json "
                         "parse error: %s",
                         t->kind, err ? err : "not a JSON object"));
}

/* POST and PUT bodies must be JSON by now (YAML and known protobuf
 * kinds were turned into it); anything else gets 415, which clients
 * report as it is. rs NULL: only tells. */
static int json_body_ok(struct cp_api_request *rq, struct cp_api_response *rs) {
  const char *ct = rq->content_type;
  size_t n;

  if (ct == NULL || ct[0] == '\0')
    return 1;
  n = strcspn(ct, ";");
  while (n > 0 && ct[n - 1] == ' ')
    n--;
  if ((n == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
      (n == 3 && strncmp(ct, "*/*", 3) == 0))
    return 1;
  if (rs == NULL)
    return 0;
  /* application/yaml was read as JSON already (yaml_body.c), protobuf
   * too for the kinds it knows (apiserver.c). */
  cp_api_respond_status(rs, 415,
                        cp_status_failuref(415,
                                           "the body of the request was in an "
                                           "unknown format (%.*s) - accepted "
                                           "media types include: "
                                           "application/json, "
                                           "application/yaml%s",
                                           (int)n, ct,
                                           rq->type->builtin
                                               ? ", application/vnd."
                                                 "kubernetes.protobuf"
                                               : ""));
  return 0;
}

/* A write was stored: the kind's stored hook (a definition is served). */
static void stored(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                   json_object *o) {
  const struct cp_strategy *st = cp_strategy_for(rq->type);

  if (st->stored != NULL)
    st->stored(ctx, o);
}

static void create_object(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                          json_object *o, int apply, int json_ok,
                          struct cp_json_strict_dups *dups, char *err,
                          struct cp_api_response *rs);

void cp_verb_create(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                    struct cp_api_response *rs) {
  json_object *o = NULL;
  char *err = NULL;
  int json_ok = json_body_ok(rq, NULL);
  struct cp_json_strict_dups dups = {0};

  if (json_ok)
    o = cp_verbs_parse_body_dups(rq->body, rq->body_len, &dups, &err);
  create_object(ctx, rq, o, 0, json_ok, &dups, err, rs);
}

/* A create of o (taken; NULL: the body did not parse, err says why, and
 * is taken too). apply: o is an apply patch's result, its managedFields
 * already made. */
static void create_object(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                          json_object *o, int apply, int json_ok,
                          struct cp_json_strict_dups *dups, char *err,
                          struct cp_api_response *rs) {
  json_object *md;
  char *key = NULL, *reply, ts[32], uid[40];
  struct cp_rv_text text = {0};
  const char *name, *gen;
  int64_t rev = 0;
  enum field_validation fv;
  int rc, attempt, admitted = 0;

  /* Admission before decoding errors, so that a client whose body we
   * cannot read (kubectl's protobuf) still hears why the namespace
   * refuses it. */
  if (rq->type->namespaced &&
      !cp_admission_namespace(ctx, rq->type, rq->ns,
                              get_str(get(o, "metadata"), "name"), rs))
    goto out;
  if (!cp_admission_crd(ctx, rq->type, rs))
    goto out;
  if (!json_ok) {
    json_body_ok(rq, rs);
    goto out;
  }
  if (o == NULL || !json_object_is_type(o, json_type_object)) {
    unrecognized(rs, rq->type, err);
    goto out;
  }
  if (field_validation(rq, &fv, rs) < 0 ||
      cp_managed_fields_check_options(rq, apply, rs) < 0 ||
      metadata_decodes(rq->type, o, rs) < 0 ||
      check_kind(rq->type, o, rs) < 0 || check_namespace(rq, o, rs) < 0 ||
      schema_decode(ctx, rq, o, fv, dups, rs) < 0)
    goto out;
  audit_decoded(ctx, rq, o, 1); /* as decoded, before admission */
  /* Mutating admission (webhooks last), before the server names and
   * validates. */
  if (cp_admission_mutate(ctx, rq, &o, NULL, rs) < 0)
    goto out;
  md = metadata(o);
  name = get_str(md, "name");
  gen = get_str(md, "generateName");
  if ((name == NULL || name[0] == '\0') && (gen == NULL || gen[0] == '\0')) {
    cp_verbs_invalid(rs, rq->type, "", "metadata.name", "FieldValueRequired",
                     "Required value: name or generateName is required");
    goto out;
  }
  if (get_str(md, "resourceVersion") != NULL &&
      get_str(md, "resourceVersion")[0] != '\0') {
    cp_api_respond_status(rs, 500,
                          cp_status_failuref(500,
                                             "resourceVersion should not be "
                                             "set on objects to be created"));
    goto out;
  }
  cp_verbs_new_uid(uid, sizeof uid);
  cp_verbs_now_rfc3339(ts, sizeof ts);
  set_str(md, "uid", uid);
  set_str(md, "creationTimestamp", ts);
  /* kube's strategies set generation 1 where a kind has a spec. */
  if (cp_strategy_for(rq->type)->flags & CP_STRATEGY_GENERATION)
    json_object_object_add(md, "generation", json_object_new_int64(1));
  else
    json_object_object_del(md, "generation");
  json_object_object_del(md, "deletionTimestamp");
  if (schema_validate(ctx, rq->type, o, NULL, 1, rs) < 0 ||
      cp_admission_strategy(ctx, rq, o, NULL, rs) < 0)
    goto out;
  /* managedFields: the creator's Update (an apply made its own). */
  if (!apply && cp_managed_fields_track(ctx, rq, type_schema(ctx, rq->type),
                                        NULL, o, rs) < 0)
    goto out;
  /* kube's tokens controller: a token Secret gets its token. */
  if (cp_legacy_token_fill(ctx, rq->type, rq->ns, o) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  admitted = 1;
  for (attempt = 0; attempt < 5; attempt++) {
    if (name == NULL || name[0] == '\0' || attempt > 0) {
      char suffix[6], full[300];
      unsigned char r[5];
      int i;

      if (gen == NULL || gen[0] == '\0')
        break;
      if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        memset(r, attempt, sizeof r);
      for (i = 0; i < 5; i++)
        suffix[i] = "bcdfghjklmnpqrstvwxz2456789"[r[i] % 27];
      suffix[5] = '\0';
      snprintf(full, sizeof full, "%.58s%s", gen, suffix);
      set_str(md, "name", full);
      name = get_str(md, "name");
    }
    if (validate_meta(rq->type, o, rs) < 0)
      goto out;
    free(key);
    cp_rv_text_clear(&text);
    key = cp_api_key(rq->type, rq->ns, name);
    /* The reply's text too, while o is in the cache (rv_text.h). */
    if (key == NULL || cp_rv_text_make(&text, o) < 0) {
      cp_api_respond_status(rs, 500, NULL);
      goto out;
    }
    /* Dry run: the store is asked, not written (409 when it exists).
     * Else ResourceQuota's charge goes in with the create. */
    rc = cp_verbs_dry_run(rq)
             ? cp_dry_run_create(ctx->store, key)
             : cp_admission_quota_create(ctx, rq, o, key, text.stored, &rev,
                                         rs);
    if (rc == CP_ADMISSION_QUOTA_RESPONDED)
      goto out;
    if (rc == CPLANE_OK) {
      if (cp_verbs_dry_run(rq)) {
        cp_verbs_respond_text(rs, 201, cp_api_to_text(o));
        goto out;
      }
      reply = cp_rv_text_reply(&text, o, rev);
      stored(ctx, rq, o);
      cp_verbs_respond_text(rs, 201, reply);
      goto out;
    }
    if (rc != CP_STORE_EEXISTS) {
      cp_verbs_store_error(rs, rc);
      goto out;
    }
    if (gen == NULL || gen[0] == '\0' ||
        (get_str(metadata(o), "generateName") == NULL))
      break;
  }
  cp_verbs_already_exists(rs, rq->type, name);
out:
  if (admitted && rs->code != 201)
    cp_admission_release(ctx, rq, o);
  if (dups != NULL)
    cp_json_strict_dups_clear(dups);
  free(err);
  free(key);
  cp_rv_text_clear(&text);
  json_object_put(o);
}

/* ------------------------------------------------------------ update */

static int json_equal_member(json_object *a, json_object *b, const char *k) {
  json_object *x = get(a, k), *y = get(b, k);

  if (x == NULL || y == NULL)
    return x == y;
  return json_object_equal(x, y);
}

/* Sets o.spec.finalizers to a copy of `from` (NULL: removes it). */
static void set_spec_finalizers(json_object *o, json_object *from) {
  json_object *spec = get(o, "spec"), *copy = NULL;

  if (from == NULL) {
    /* json-c asserts (aborts) on a delete from a non-object. */
    if (spec != NULL && json_object_is_type(spec, json_type_object))
      json_object_object_del(spec, "finalizers");
    return;
  }
  if (spec == NULL || !json_object_is_type(spec, json_type_object)) {
    spec = json_object_new_object();
    json_object_object_add(o, "spec", spec);
  }
  json_object_deep_copy(from, &copy, NULL);
  json_object_object_add(spec, "finalizers", copy);
}

/* Builds the object to store from the client's `in` and the current
 * `cur`: server-managed metadata comes from cur, status or everything but
 * status from one side depending on the subresource, and generation goes
 * up when spec changed. Takes nothing; returns a new object. */
static json_object *merge_update(const struct cp_resource_type *t,
                                 const char *sub, json_object *in,
                                 json_object *cur) {
  const struct cp_strategy *strat = cp_strategy_for(t);
  json_object *out, *md, *cmd = get(cur, "metadata");
  const char *keep[] = {"uid", "creationTimestamp", "deletionTimestamp",
                        "deletionGracePeriodSeconds", "generation"};
  size_t i;
  int64_t gen;

  if (sub != NULL && strcmp(sub, "status") == 0) {
    out = NULL;
    json_object_deep_copy(cur, &out, NULL);
    if (out == NULL)
      return NULL;
    if (get(in, "status") != NULL) {
      json_object *st = NULL;

      json_object_deep_copy(get(in, "status"), &st, NULL);
      json_object_object_add(out, "status", st);
    }
    return out;
  }
  if (sub != NULL && strcmp(sub, "approval") == 0)
    return cp_csr_approval_merge(in, cur); /* only status.conditions */
  if (sub != NULL && strcmp(sub, "finalize") == 0) {
    /* A namespace's finalize writes spec.finalizers and nothing else. */
    out = NULL;
    json_object_deep_copy(cur, &out, NULL);
    if (out != NULL)
      set_spec_finalizers(out, get(get(in, "spec"), "finalizers"));
    return out;
  }
  out = NULL;
  json_object_deep_copy(in, &out, NULL);
  if (out == NULL)
    return NULL;
  md = metadata(out);
  for (i = 0; i < sizeof keep / sizeof keep[0]; i++) {
    json_object *v = get(cmd, keep[i]);

    if (v != NULL)
      json_object_object_add(md, keep[i], json_object_get(v));
    else
      json_object_object_del(md, keep[i]);
  }
  if ((strat->flags & CP_STRATEGY_STATUS_SPLIT) != 0 ||
      (t->subresources & CP_SUB_STATUS) != 0) {
    if (get(cur, "status") != NULL)
      json_object_object_add(out, "status",
                             json_object_get(get(cur, "status")));
    else
      json_object_object_del(out, "status");
  }
  /* Only the finalize subresource changes a namespace's finalizers. */
  if (strat->flags & CP_STRATEGY_SPEC_FINALIZERS)
    set_spec_finalizers(out, get(get(cur, "spec"), "finalizers"));
  gen = get(cmd, "generation") ? json_object_get_int64(get(cmd, "generation"))
                               : 1;
  if ((strat->flags & CP_STRATEGY_GENERATION) &&
      !json_equal_member(out, cur, "spec"))
    json_object_object_add(md, "generation",
                           json_object_new_int64(next_generation(gen)));
  return out;
}

static int is_scale(const struct cp_api_request *rq) {
  return rq->subresource != NULL && strcmp(rq->subresource, "scale") == 0;
}

/* The reply text of a write of o: its Scale for the scale subresource
 * (stored, unchanged or dry run alike: kube always answers a Scale
 * there), else o. */
static char *scale_or_object(struct cp_api_request *rq, json_object *o) {
  if (is_scale(rq))
    return cp_verbs_scale_text(rq->type, o);
  return cp_api_to_text(o);
}

/* Stores next over cur (CAS on cur's revision) or, when next is being
 * deleted and has no finalizer left, removes it. Responds. Returns the
 * store code so callers can retry on conflict. */
int cp_verbs_write_over(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                        const char *key, json_object *next, int64_t cur_rev,
                        struct cp_api_response *rs, int respond_conflict) {
  struct cp_rv_text text;
  char *reply;
  int64_t rev = 0;
  int rc;

  if (cp_verbs_dry_run(rq)) {
    cp_verbs_set_rv(next, cur_rev);
    cp_verbs_respond_text(rs, 200, scale_or_object(rq, next));
    return CPLANE_OK;
  }
  if (get_str(get(next, "metadata"), "deletionTimestamp") != NULL &&
      !cp_verbs_holds_deletion(rq->type, next)) {
    rc = cp_store_delete(ctx->store, key, strlen(key), cur_rev, &rev, NULL);
    if (rc == CPLANE_OK) {
      cp_verbs_deleted(ctx, rq->type, next);
      cp_verbs_set_rv(next, rev);
      cp_verbs_respond_text(rs, 200, cp_api_to_text(next));
      return rc;
    }
  } else {
    /* The reply's text too, while next is in the cache (rv_text.h). */
    if (cp_rv_text_make(&text, next) < 0) {
      cp_api_respond_status(rs, 500, NULL);
      return CPLANE_ENOMEM;
    }
    rc = cp_store_update(ctx->store, key, strlen(key), text.stored, text.len,
                         cur_rev, &rev, NULL);
    if (rc == CPLANE_OK) {
      reply = is_scale(rq) ? NULL : cp_rv_text_reply(&text, next, rev);
      cp_rv_text_clear(&text);
      if (reply == NULL) { /* the Scale, or out of memory: serialized */
        cp_verbs_set_rv(next, rev);
        reply = scale_or_object(rq, next);
      }
      stored(ctx, rq, next);
      cp_verbs_respond_text(rs, 200, reply);
      return rc;
    }
    cp_rv_text_clear(&text);
  }
  if (rc == CP_STORE_ECONFLICT || rc == CPLANE_ENOENT) {
    if (respond_conflict || rc == CPLANE_ENOENT)
      cp_verbs_conflict(rs, rq->type, rq->name);
    return CP_STORE_ECONFLICT;
  }
  cp_verbs_store_error(rs, rc);
  return rc;
}

/* Reads the current object. Responds 404/5xx and returns NULL if it
 * cannot. */
json_object *cp_verbs_read_current(struct cp_api_ctx *ctx,
                                   struct cp_api_request *rq, const char *key,
                                   int64_t *rev, struct cp_api_response *rs) {
  cp_store_kv kv;
  json_object *o;
  int rc;

  memset(&kv, 0, sizeof kv);
  rc = cp_store_get(ctx->store, key, strlen(key), 0, &kv, NULL);
  if (rc == CPLANE_ENOENT) {
    cp_verbs_not_found(rs, rq->type, rq->name);
    return NULL;
  }
  if (rc != CPLANE_OK) {
    cp_verbs_store_error(rs, rc);
    return NULL;
  }
  *rev = kv.mod_revision;
  o = cp_api_parse_stored(rq->type, &kv);
  cp_store_kv_free(&kv);
  if (o == NULL)
    cp_api_respond_status(
        rs, 500, cp_status_failuref(500, "stored object %s is not JSON", key));
  return o;
}

/* A spec change: the generation goes up as for any other. */
static void bump_generation(json_object *o) {
  json_object *md = metadata(o), *gen = get(md, "generation");

  json_object_object_add(md, "generation",
                         json_object_new_int64(next_generation(
                             gen ? json_object_get_int64(gen) : 1)));
}

/* kube's answer to an error that is no API status: 500, reason Unknown,
 * the error's text (responsewriters.ErrorToAPIStatus). */
static void respond_plain_error(struct cp_api_response *rs, const char *err) {
  cp_api_respond_status(
      rs, 500,
      cp_status_failure(500, "Unknown", err ? err : "out of memory", NULL));
}

/* A custom resource's scale write: replicas to its definition's spec
 * replicas path in a copy of cur (kube's scaleUpdatedObjectInfo, which
 * reads cur's Scale first). A patch that leaves replicas out where cur
 * has none is kube's 400. */
static json_object *apply_custom_scale(const struct cp_resource_custom *c,
                                       json_object *rep, json_object *cur,
                                       int patch, struct cp_api_response *rs) {
  struct cp_crd_scale_values v;
  json_object *out = NULL;
  int64_t want = rep != NULL ? json_object_get_int64(rep) : 0;
  char *err = NULL;

  if (cp_crd_scale_read(c, cur, &v, &err) < 0) {
    respond_plain_error(rs, err);
    free(err);
    return NULL;
  }
  if (rep == NULL && patch && !v.spec_found) {
    cp_api_respond_status(
        rs, 400,
        cp_status_failuref(400, "the spec replicas field \"%s\" cannot be "
                                "empty",
                           c->scale_spec_path));
    return NULL;
  }
  json_object_deep_copy(cur, &out, NULL);
  if (out == NULL)
    return NULL;
  if (cp_crd_scale_set(out, c->scale_spec_path, want, &err) < 0) {
    respond_plain_error(rs, err);
    free(err);
    json_object_put(out);
    return NULL;
  }
  if (!v.spec_found || v.spec_replicas != want)
    bump_generation(out);
  return out;
}

/* The Scale a client sent, turned into the change of spec.replicas (a
 * custom type's: its definition's path). */
static json_object *apply_scale(const struct cp_resource_type *t,
                                json_object *scale, json_object *cur,
                                int patch, struct cp_api_response *rs) {
  json_object *rep = get(get(scale, "spec"), "replicas"), *out = NULL;
  json_object *spec, *old;
  struct cp_resource_custom buf;
  const struct cp_resource_custom *c = cp_crd_scale_paths(t, &buf);

  if ((c == NULL || rep != NULL) &&
      (rep == NULL || !json_object_is_type(rep, json_type_int) ||
       json_object_get_int64(rep) < 0)) {
    cp_api_respond_status(rs, 422,
                          cp_status_failuref(422, "spec.replicas must be a "
                                                  "non-negative integer"));
    return NULL;
  }
  if (c != NULL)
    return apply_custom_scale(c, rep, cur, patch, rs);
  json_object_deep_copy(cur, &out, NULL);
  if (out == NULL)
    return NULL;
  spec = get(out, "spec");
  if (spec == NULL || !json_object_is_type(spec, json_type_object)) {
    spec = json_object_new_object();
    json_object_object_add(out, "spec", spec);
  }
  old = get(spec, "replicas");
  if (old == NULL || json_object_get_int64(old) != json_object_get_int64(rep))
    bump_generation(out);
  json_object_object_add(spec, "replicas",
                         json_object_new_int64(json_object_get_int64(rep)));
  return out;
}

/* A write that would store exactly what is stored is not made, as kube's
 * GuaranteedUpdate skips it: the response is the current object, with
 * its resourceVersion, and watchers see no event (kubectl then says
 * "(no change)"). Returns 1 having responded. */
static int unchanged(struct cp_api_request *rq, json_object *next,
                     json_object *cur, int64_t cur_rev,
                     struct cp_api_response *rs) {
  cp_verbs_set_rv(next, cur_rev);
  if (!json_object_equal(next, cur))
    return 0;
  cp_verbs_respond_text(rs, 200, scale_or_object(rq, cur));
  return 1;
}

void cp_verb_update(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                    struct cp_api_response *rs) {
  json_object *in, *cur = NULL, *next = NULL;
  char *err = NULL, *key = cp_api_key(rq->type, rq->ns, rq->name);
  const char *rv, *name;
  int64_t cur_rev = 0;
  enum field_validation fv;
  int is_scale =
      rq->subresource != NULL && strcmp(rq->subresource, "scale") == 0;
  int admitted = 0, written = 0;
  struct cp_json_strict_dups dups = {0};

  if (!json_body_ok(rq, rs) || field_validation(rq, &fv, rs) < 0 ||
      cp_managed_fields_check_options(rq, 0, rs) < 0) {
    free(key);
    return;
  }
  in = cp_verbs_parse_body_dups(rq->body, rq->body_len, &dups, &err);
  if (in == NULL || !json_object_is_type(in, json_type_object)) {
    unrecognized(rs, rq->type, err);
    goto out;
  }
  if (key == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  if (!is_scale && metadata_decodes(rq->type, in, rs) < 0)
    goto out;
  name = get_str(get(in, "metadata"), "name");
  if (name != NULL && strcmp(name, rq->name) != 0) {
    cp_api_respond_status(
        rs, 400,
        cp_status_failuref(400,
                           "the name of the object (%s) does "
                           "not match the name on the URL (%s)",
                           name, rq->name));
    goto out;
  }
  if (!is_scale &&
      (check_kind(rq->type, in, rs) < 0 || check_namespace(rq, in, rs) < 0 ||
       schema_decode(ctx, rq, in, fv, &dups, rs) < 0))
    goto out;
  audit_decoded(ctx, rq, in, !is_scale); /* before admission */
  if ((cur = cp_verbs_read_current(ctx, rq, key, &cur_rev, rs)) == NULL)
    goto out;
  rv = get_str(get(in, "metadata"), "resourceVersion");
  /* "0" (or none) is unconditional, as kube's GuaranteedUpdate takes
   * it; anything else must be the current revision. */
  if (rv != NULL && rv[0] != '\0' && strcmp(rv, "0") != 0 &&
      strtoll(rv, NULL, 10) != cur_rev) {
    cp_verbs_conflict(rs, rq->type, rq->name);
    goto out;
  }
  /* /scale: the webhooks see Scale objects (scale_admission.h). */
  if (is_scale && cp_scale_admit_mutate(ctx, rq, &in, cur, rs) < 0)
    goto out;
  if (is_scale)
    next = apply_scale(rq->type, in, cur, 0, rs);
  else
    next = merge_update(rq->type, rq->subresource, in, cur);
  if (next == NULL) {
    if (rs->body == NULL)
      cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  if (!is_scale && (cp_admission_mutate(ctx, rq, &next, cur, rs) < 0 ||
                    validate_meta(rq->type, next, rs) < 0 ||
                    schema_validate(ctx, rq->type, next, cur, 1, rs) < 0 ||
                    cp_admission_strategy(ctx, rq, next, cur, rs) < 0))
    goto out;
  if (is_scale && cp_scale_admit_validate(ctx, rq, next, cur, rs) < 0)
    goto out;
  admitted = !is_scale;
  if (cp_managed_fields_track(ctx, rq, type_schema(ctx, rq->type), cur, next,
                              rs) < 0)
    goto out;
  if (unchanged(rq, next, cur, cur_rev, rs))
    goto out;
  written = cp_verbs_write_over(ctx, rq, key, next, cur_rev, rs, 1) ==
            CPLANE_OK;
out:
  if (admitted)
    cp_admission_update_done(ctx, rq, next, cur, written);
  cp_json_strict_dups_clear(&dups);
  free(err);
  free(key);
  json_object_put(in);
  json_object_put(cur);
  json_object_put(next);
}

/* ------------------------------------------------------------ patch */

/* An apply patch of an object that does not exist: created from the
 * patch (kube's applyPatcher.createNewObject), answering 201. */
static void apply_create(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                         struct cp_api_response *rs) {
  json_object *o;

  free(rs->body);
  rs->body = NULL;
  rs->code = 0;
  o = cp_managed_fields_apply(ctx, rq, type_schema(ctx, rq->type), NULL, rs);
  if (o != NULL)
    create_object(ctx, rq, o, 1, 1, NULL, NULL, rs);
}

void cp_verb_patch(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                   struct cp_api_response *rs) {
  enum cp_patch_type pt;
  enum field_validation fv;
  char *key = cp_api_key(rq->type, rq->ns, rq->name), *err = NULL;
  int attempt, is_scale = rq->subresource != NULL &&
                          strcmp(rq->subresource, "scale") == 0;
  int apply = cp_managed_fields_is_apply(rq); /* server-side */

  if (!apply && (cp_patch_type_from_content_type(rq->content_type, &pt) < 0 ||
                 (pt == CP_PATCH_STRATEGIC && !rq->type->builtin))) {
    cp_api_respond_status(
        rs, 415,
        cp_status_failuref(415,
                           "the body of the request was in an "
                           "unknown format - accepted media "
                           "types include: "
                           "application/json-patch+json, "
                           "application/merge-patch+json%s",
                           rq->type->builtin ? ", application/strategic-merge-"
                                               "patch+json"
                                             : ""));
    goto out;
  }
  if (key == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  if (field_validation(rq, &fv, rs) < 0 ||
      cp_managed_fields_check_options(rq, apply, rs) < 0)
    goto out;
  cp_audit_request_patch(rq); /* as sent, once its options are valid */
  for (attempt = 0; attempt < CP_VERBS_CAS_RETRIES; attempt++) {
    json_object *cur, *base, *patched = NULL, *next = NULL, *scale_mf = NULL;
    int64_t cur_rev = 0;
    const char *rv;
    int rc;

    if ((cur = cp_verbs_read_current(ctx, rq, key, &cur_rev, rs)) == NULL) {
      if (apply && rs->code == 404 && rq->subresource == NULL)
        apply_create(ctx, rq, rs); /* an apply creates what is missing */
      goto out;
    }
    if (!is_scale)
      prune_stored(ctx, rq->type, cur);
    /* A scale patch applies to the Scale view of the object (an apply
     * makes its own: cp_managed_fields_apply_scale). */
    base = cur;
    if (is_scale && !apply) {
      char *st = cp_verbs_scale_text(rq->type, cur);

      base = st ? cp_verbs_parse_body(st, strlen(st), &err) : NULL;
      free(st);
      free(err);
      err = NULL;
    }
    if (apply) {
      /* On /scale: the applied Scale and the parent's new entries. */
      patched = is_scale ? cp_managed_fields_apply_scale(
                               ctx, rq, type_schema(ctx, rq->type), cur,
                               &scale_mf, rs)
                         : cp_managed_fields_apply(
                               ctx, rq, type_schema(ctx, rq->type), cur, rs);
      if (patched == NULL) {
        json_object_put(cur);
        goto out;
      }
    }
    rc = base == NULL ? CPLANE_ENOMEM
         : apply      ? CPLANE_OK
                      : cp_patch_apply_schema(
                            pt, base, rq->body, rq->body_len,
                            is_scale ? NULL : type_schema(ctx, rq->type),
                            &patched, &err);
    if (base != cur)
      json_object_put(base);
    if (rc == CP_PATCH_ETOOMANY) {
      /* kube: NewRequestEntityTooLargeError. */
      cp_api_respond_status(
          rs, 413,
          cp_status_failuref(413, "Request entity too large: %s",
                             err ? err : "too many operations"));
      json_object_put(cur);
      goto out;
    }
    if (rc != CPLANE_OK) {
      int code = rc == CPLANE_ENOMEM ? 500 : 422;

      cp_api_respond_status(rs, code,
                            cp_status_failuref(code,
                                               "the patch could not be "
                                               "applied: %s",
                                               err ? err : "out of memory"));
      if (apply) /* base was NULL: the apply's result goes unused */
        json_object_put(patched);
      json_object_put(scale_mf);
      json_object_put(cur);
      goto out;
    }
    rv = get_str(get(patched, "metadata"), "resourceVersion");
    if (!is_scale && rv != NULL && strtoll(rv, NULL, 10) != cur_rev) {
      /* The patch itself carried a resourceVersion: a precondition. */
      cp_verbs_conflict(rs, rq->type, rq->name);
      json_object_put(cur);
      json_object_put(patched);
      goto out;
    }
    /* /scale: the webhooks see Scale objects (scale_admission.h). */
    if (is_scale && cp_scale_admit_mutate(ctx, rq, &patched, cur, rs) < 0)
      next = NULL;
    else if (is_scale)
      next = apply_scale(rq->type, patched, cur, 1, rs);
    else if (!json_object_is_type(patched, json_type_object) ||
             check_kind(rq->type, patched, rs) < 0 ||
             check_namespace(rq, patched, rs) < 0)
      next = NULL;
    else {
      /* A retry decodes again: only its warnings count. */
      rs->warnings_len = 0;
      next = schema_decode(ctx, rq, patched, fv, NULL, rs) < 0
                 ? NULL
                 : merge_update(rq->type, rq->subresource, patched, cur);
      /* /status keeps cur's metadata: the apply's ownership goes on. */
      if (apply && next != NULL)
        json_object_object_add(
            metadata(next), "managedFields",
            json_object_get(get(get(patched, "metadata"), "managedFields")));
    }
    json_object_put(patched);
    /* An apply on /scale stores the parent's entries it made. */
    if (is_scale && apply && next != NULL && scale_mf != NULL)
      json_object_object_add(metadata(next), "managedFields",
                             json_object_get(scale_mf));
    else if (is_scale && apply && next != NULL)
      json_object_object_del(metadata(next), "managedFields");
    json_object_put(scale_mf);
    if (next == NULL ||
        (!is_scale && (cp_admission_mutate(ctx, rq, &next, cur, rs) < 0 ||
                       validate_meta(rq->type, next, rs) < 0 ||
                       schema_validate(ctx, rq->type, next, cur, 0, rs) < 0 ||
                       cp_admission_strategy(ctx, rq, next, cur, rs) < 0)) ||
        (is_scale && cp_scale_admit_validate(ctx, rq, next, cur, rs) < 0) ||
        (!apply && cp_managed_fields_track(ctx, rq, type_schema(ctx, rq->type),
                                           cur, next, rs) < 0)) {
      if (rs->body == NULL)
        cp_api_respond_status(rs, 500, NULL);
      json_object_put(cur);
      json_object_put(next);
      goto out;
    }
    if (unchanged(rq, next, cur, cur_rev, rs)) {
      json_object_put(cur);
      json_object_put(next);
      goto out;
    }
    rc = cp_verbs_write_over(ctx, rq, key, next, cur_rev, rs,
                             attempt == CP_VERBS_CAS_RETRIES - 1);
    if (!is_scale)
      cp_admission_update_done(ctx, rq, next, cur, rc == CPLANE_OK);
    json_object_put(cur);
    json_object_put(next);
    if (rc != CP_STORE_ECONFLICT)
      goto out;
    free(rs->body); /* lost a race: patch the newer version */
    rs->body = NULL;
  }
out:
  free(err);
  free(key);
}

/* ------------------------------------------------------------ binding */

void cp_verb_binding(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                     struct cp_api_response *rs) {
  json_object *b, *cur = NULL, *spec;
  char *key = cp_api_key(rq->type, rq->ns, rq->name), *err = NULL;
  const char *node, *bound;
  int64_t cur_rev = 0;
  int rc;

  b = cp_verbs_parse_body(rq->body, rq->body_len, &err);
  if (cp_verbs_metadata_decodes("Binding", "v1", b, rs) < 0)
    goto out; /* not decoded: not logged either */
  cp_audit_subresource_object(rq, b); /* as decoded, before checks */
  node = get_str(get(b, "target"), "name");
  if (b == NULL || node == NULL || node[0] == '\0' || key == NULL) {
    cp_api_respond_status(
        rs, 400, cp_status_failuref(400, "a Binding needs target.name"));
    goto out;
  }
  if ((cur = cp_verbs_read_current(ctx, rq, key, &cur_rev, rs)) == NULL)
    goto out;
  bound = get_str(get(cur, "spec"), "nodeName");
  if (bound != NULL && bound[0] != '\0') {
    cp_api_respond_status(
        rs, 409,
        cp_status_failuref(409,
                           "pod %s is already assigned to node "
                           "\"%s\"",
                           rq->name, bound));
    goto out;
  }
  spec = get(cur, "spec");
  if (spec == NULL) {
    spec = json_object_new_object();
    json_object_object_add(cur, "spec", spec);
  }
  set_str(spec, "nodeName", node);
  rc = cp_verbs_write_over(ctx, rq, key, cur, cur_rev, rs, 1);
  if (rc == CPLANE_OK) {
    struct cp_status_details d = {.name = rq->name, .kind = rq->type->resource};

    cp_api_respond_status(rs, 201, cp_status_success(&d));
  }
out:
  free(err);
  free(key);
  json_object_put(b);
  json_object_put(cur);
}
