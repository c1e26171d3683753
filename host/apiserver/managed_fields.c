/*
 * managed_fields - server-side apply and managedFields in the request
 * path (see managed_fields.h).
 */
#include "apiserver/managed_fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apiserver/crd_scale.h"
#include "apiserver/resources.h"
#include "apiserver/ssa/managed.h"
#include "apiserver/status.h"
#include "apiserver/strategy/strategy.h"
#include "apiserver/verbs.h"
#include "object/yaml_json.h"

int cp_managed_fields_is_apply(const struct cp_api_request *rq) {
  const char *ct = rq->content_type;
  size_t n;

  if (ct == NULL)
    return 0;
  n = strcspn(ct, ";");
  while (n > 0 && ct[n - 1] == ' ')
    n--;
  return n == 28 && strncasecmp(ct, "application/apply-patch+yaml", 28) == 0;
}

static const char *options_kind(const struct cp_api_request *rq) {
  return rq->method == CP_API_POST  ? "CreateOptions"
         : rq->method == CP_API_PUT ? "UpdateOptions"
                                    : "PatchOptions";
}

int cp_managed_fields_check_options(const struct cp_api_request *rq,
                                    int apply, struct cp_api_response *rs) {
  const char *fm = cp_query_get(&rq->query, "fieldManager");
  const char *kind = options_kind(rq);

  if (apply && (fm == NULL || fm[0] == '\0')) {
    cp_verbs_options_invalid(rs, kind, "fieldManager", "FieldValueRequired",
                             "Required value: is required for apply patch");
    return -1;
  }
  if (!apply && rq->method == CP_API_PATCH &&
      cp_query_get(&rq->query, "force") != NULL) {
    cp_verbs_options_invalid(rs, kind, "force", "FieldValueForbidden",
                             "Forbidden: may not be specified for non-apply "
                             "patch");
    return -1;
  }
  if (fm != NULL && strlen(fm) > CP_SSA_MANAGER_MAX) {
    cp_verbs_options_invalid(rs, kind, "fieldManager", "FieldValueTooLong",
                             "Too long: may not be more than 128 bytes");
    return -1;
  }
  return 0;
}

/* The op of this request: manager, version, subresource, time. */
static void op_of(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                  const struct cp_schema *s, struct cp_ssa_op *op,
                  char *manager, size_t mlen, char *gv, size_t gvlen,
                  char *now, size_t nowlen) {
  const char *fm = cp_query_get(&rq->query, "fieldManager");
  const char *sub = rq->subresource;

  (void)ctx;
  if (fm != NULL && fm[0] != '\0')
    snprintf(manager, mlen, "%s", fm);
  else
    cp_ssa_manager_from_user_agent(rq->user_agent, manager, mlen);
  cp_resource_group_version(rq->type, gv, gvlen);
  cp_verbs_now_rfc3339(now, nowlen);
  memset(op, 0, sizeof *op);
  op->schema = s;
  op->builtin = rq->type->builtin;
  op->status_split =
      (cp_strategy_for(rq->type)->flags & CP_STRATEGY_STATUS_SPLIT) != 0 ||
      (rq->type->subresources & CP_SUB_STATUS) != 0;
  op->manager = manager;
  op->api_version = gv;
  op->subresource = sub != NULL && sub[0] != '\0' ? sub : NULL;
  op->now = now;
}

int cp_managed_fields_track(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                            const struct cp_schema *s, json_object *live,
                            json_object *next, struct cp_api_response *rs) {
  char manager[CP_SSA_MANAGER_MAX + 1], gv[256], now[32];
  struct cp_ssa_op op;

  op_of(ctx, rq, s, &op, manager, sizeof manager, gv, sizeof gv, now,
        sizeof now);
  if (cp_ssa_update(&op, live, next) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  return 0;
}

/* kube's NewApplyConflict: 409, reason Conflict, one cause per field. */
static void respond_conflicts(struct cp_api_response *rs,
                              const struct cp_ssa_conflicts *c) {
  struct cp_status_cause *causes = calloc(c->n, sizeof *causes);
  char **msgs = calloc(c->n, sizeof *msgs);
  struct cp_status_details d = {0};
  char *msg = cp_ssa_conflicts_message(c);
  size_t i;

  for (i = 0; causes != NULL && msgs != NULL && i < c->n; i++) {
    if (asprintf(&msgs[i], "conflict with %s", c->v[i].manager) < 0)
      msgs[i] = NULL;
    causes[i].reason = "FieldManagerConflict";
    causes[i].message = msgs[i] ? msgs[i] : "conflict";
    causes[i].field = c->v[i].field;
  }
  d.causes = causes;
  d.n_causes = causes != NULL && msgs != NULL ? c->n : 0;
  cp_api_respond_status(rs, 409,
                        msg ? cp_status_failure(409, "Conflict", msg, &d)
                            : NULL);
  for (i = 0; msgs != NULL && i < c->n; i++)
    free(msgs[i]);
  free(msgs);
  free(causes);
  free(msg);
}

/* The applied object must be of this type and version, and carry no
 * managedFields (kube's structuredMergeManager.Apply). */
static int check_config(struct cp_api_request *rq, json_object *cfg,
                        const char *gv, const char *want_kind,
                        struct cp_api_response *rs) {
  const char *av = get_str(cfg, "apiVersion"), *kind = get_str(cfg, "kind");
  const char *name = get_str(get(cfg, "metadata"), "name");
  json_object *md = get(cfg, "metadata");

  if (av == NULL || strcmp(av, gv) != 0) {
    cp_api_respond_status(
        rs, 400,
        cp_status_failuref(400,
                           "Incorrect version specified in apply patch. "
                           "Specified patch version: %s, expected: %s",
                           av ? av : "", gv));
    return -1;
  }
  if (kind == NULL || strcmp(kind, want_kind) != 0) {
    cp_api_respond_status(
        rs, 400,
        cp_status_failuref(400,
                           "the body is a %s %s, but the request is for "
                           "%s %s",
                           av, kind ? kind : "?", gv, want_kind));
    return -1;
  }
  if (get(md, "managedFields") != NULL) {
    cp_api_respond_status(
        rs, 400, cp_status_failuref(400, "metadata.managedFields must be nil"));
    return -1;
  }
  if (name != NULL && rq->name != NULL && strcmp(name, rq->name) != 0) {
    cp_api_respond_status(
        rs, 400,
        cp_status_failuref(400,
                           "the name of the object (%s) does not match the "
                           "name on the URL (%s)",
                           name, rq->name));
    return -1;
  }
  return 0;
}

/* The bare object an apply creates from: kind, version and name. */
static json_object *bare(struct cp_api_request *rq, const char *gv) {
  json_object *o = json_object_new_object(), *md = json_object_new_object();

  if (o == NULL || md == NULL) {
    json_object_put(o);
    json_object_put(md);
    return NULL;
  }
  json_object_object_add(o, "apiVersion", json_object_new_string(gv));
  json_object_object_add(o, "kind", json_object_new_string(rq->type->kind));
  json_object_object_add(o, "metadata", md);
  json_object_object_add(md, "name", json_object_new_string(rq->name));
  if (rq->type->namespaced && rq->ns != NULL)
    json_object_object_add(md, "namespace", json_object_new_string(rq->ns));
  return o;
}

/* The apply patch of rq, read as kube reads it (YAML; JSON is YAML):
 * an object, or NULL having responded 400 (500 out of memory). */
static json_object *read_config(struct cp_api_request *rq,
                                struct cp_api_response *rs) {
  json_object *cfg = NULL;
  char *err = NULL;
  int rc, line = 0;

  rc = cp_yaml_json_parse(rq->body ? rq->body : "", rq->body_len, NULL, &cfg,
                          NULL, &err, &line);
  if (rc == CP_YAML_JSON_NOMEM) {
    cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  if (rc == CP_YAML_JSON_OK && cfg == NULL) /* empty: an empty object */
    cfg = json_object_new_object();
  if (cfg == NULL || !json_object_is_type(cfg, json_type_object)) {
    /* sigs.k8s.io/yaml's words for a list or scalar into a map */
    const char *t = json_object_is_type(cfg, json_type_array)    ? "array"
                    : json_object_is_type(cfg, json_type_string) ? "string"
                    : json_object_is_type(cfg, json_type_boolean) ? "bool"
                                                                 : "number";

    if (err != NULL)
      cp_api_respond_status(
          rs, 400, cp_status_failuref(400, "error decoding YAML: %s", err));
    else
      cp_api_respond_status(
          rs, 400,
          cp_status_failuref(400,
                             "error decoding YAML: error unmarshaling JSON: "
                             "while decoding JSON: json: cannot unmarshal %s "
                             "into Go value of type map[string]interface {}",
                             t));
    json_object_put(cfg);
    cfg = NULL;
  }
out:
  free(err);
  return cfg;
}

/* cp_ssa_apply of cfg onto live (or a bare object), responding to a
 * conflict or failure. The merged object, or NULL having responded. */
static json_object *apply_config(struct cp_api_request *rq,
                                 const struct cp_ssa_op *op, json_object *live,
                                 json_object *cfg,
                                 const char *scale_path,
                                 struct cp_api_response *rs) {
  struct cp_ssa_conflicts conflicts = {0};
  json_object *base = NULL, *out = NULL;
  size_t i;
  int rc;

  if (live == NULL && (base = bare(rq, op->api_version)) == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    return NULL;
  }
  rc = cp_ssa_apply(op, live ? live : base, cfg,
                    cp_query_bool(&rq->query, "force"), &out, &conflicts);
  /* On /scale kube finds conflicts on the Scale: a custom resource's
   * replicas path is named as the Scale's. */
  for (i = 0; rc == CP_SSA_ECONFLICT && scale_path != NULL &&
              i < conflicts.n; i++)
    if (strcmp(conflicts.v[i].field, scale_path) == 0 &&
        strcmp(scale_path, ".spec.replicas") != 0) {
      char *f = strdup(".spec.replicas");

      if (f != NULL) {
        free(conflicts.v[i].field);
        conflicts.v[i].field = f;
      }
    }
  if (rc == CP_SSA_ECONFLICT)
    respond_conflicts(rs, &conflicts);
  else if (rc != 0)
    cp_api_respond_status(rs, 500, NULL);
  cp_ssa_conflicts_clear(&conflicts);
  json_object_put(base);
  return out;
}

json_object *cp_managed_fields_apply(struct cp_api_ctx *ctx,
                                     struct cp_api_request *rq,
                                     const struct cp_schema *s,
                                     json_object *live,
                                     struct cp_api_response *rs) {
  char manager[CP_SSA_MANAGER_MAX + 1], gv[256], now[32];
  struct cp_ssa_op op;
  json_object *cfg, *out = NULL;

  op_of(ctx, rq, s, &op, manager, sizeof manager, gv, sizeof gv, now,
        sizeof now);
  if ((cfg = read_config(rq, rs)) == NULL)
    return NULL;
  if (check_config(rq, cfg, gv, rq->type->kind, rs) == 0)
    out = apply_config(rq, &op, live, cfg, NULL, rs);
  json_object_put(cfg);
  return out;
}

/* The parent's configuration of an applied Scale: its name and the
 * Scale's spec.replicas at the replicas path (kube's ScaleHandler maps
 * the Scale's managed fields onto the parent the same way). NULL having
 * responded. */
static json_object *scale_config(struct cp_api_request *rq, json_object *scale,
                                 const char *gv, const char *path,
                                 struct cp_api_response *rs) {
  json_object *spec = NULL, *rep = NULL, *o = bare(rq, gv);
  char *err = NULL;

  if (o == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    return NULL;
  }
  if (json_object_object_get_ex(scale, "spec", &spec))
    json_object_object_get_ex(spec, "replicas", &rep);
  if (rep == NULL)
    return o; /* a Scale that applies no replicas owns none */
  if (!json_object_is_type(rep, json_type_int) ||
      json_object_get_int64(rep) < 0) {
    cp_api_respond_status(rs, 422,
                          cp_status_failuref(422, "spec.replicas must be a "
                                                  "non-negative integer"));
    json_object_put(o);
    return NULL;
  }
  if (cp_crd_scale_set(o, path, json_object_get_int64(rep), &err) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    json_object_put(o);
    o = NULL;
  }
  free(err);
  return o;
}

json_object *cp_managed_fields_apply_scale(struct cp_api_ctx *ctx,
                                           struct cp_api_request *rq,
                                           const struct cp_schema *s,
                                           json_object *live,
                                           json_object **managed,
                                           struct cp_api_response *rs) {
  char manager[CP_SSA_MANAGER_MAX + 1], gv[256], now[32], *text;
  struct cp_resource_custom buf;
  const struct cp_resource_custom *c = cp_crd_scale_paths(rq->type, &buf);
  const char *path = c != NULL ? c->scale_spec_path : ".spec.replicas";
  struct cp_ssa_op op;
  json_object *cfg, *pcfg = NULL, *merged = NULL, *scale = NULL;

  *managed = NULL;
  op_of(ctx, rq, s, &op, manager, sizeof manager, gv, sizeof gv, now,
        sizeof now);
  if ((cfg = read_config(rq, rs)) == NULL)
    return NULL;
  if (check_config(rq, cfg, "autoscaling/v1", "Scale", rs) < 0 ||
      (pcfg = scale_config(rq, cfg, gv, path, rs)) == NULL ||
      (merged = apply_config(rq, &op, live, pcfg, path, rs)) == NULL)
    goto out;
  /* The Scale the rest of the write sees (webhooks, replicas), and the
   * parent's entries to store with it. */
  text = cp_verbs_scale_text(rq->type, merged);
  scale = text != NULL ? json_tokener_parse(text) : NULL;
  free(text);
  if (scale == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  *managed = json_object_get(
      json_object_object_get(metadata(merged), "managedFields"));
out:
  json_object_put(cfg);
  json_object_put(pcfg);
  json_object_put(merged);
  return scale;
}
