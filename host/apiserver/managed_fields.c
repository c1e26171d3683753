/*
 * managed_fields - server-side apply and managedFields in the request
 * path (see managed_fields.h).
 */
#include "apiserver/managed_fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
                        const char *gv, struct cp_api_response *rs) {
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
  if (kind == NULL || strcmp(kind, rq->type->kind) != 0) {
    cp_api_respond_status(
        rs, 400,
        cp_status_failuref(400,
                           "the body is a %s %s, but the request is for "
                           "%s %s",
                           av, kind ? kind : "?", gv, rq->type->kind));
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

json_object *cp_managed_fields_apply(struct cp_api_ctx *ctx,
                                     struct cp_api_request *rq,
                                     const struct cp_schema *s,
                                     json_object *live,
                                     struct cp_api_response *rs) {
  char manager[CP_SSA_MANAGER_MAX + 1], gv[256], now[32], *err = NULL;
  struct cp_ssa_conflicts conflicts = {0};
  struct cp_ssa_op op;
  json_object *cfg = NULL, *base = NULL, *out = NULL;
  int rc, line = 0;

  op_of(ctx, rq, s, &op, manager, sizeof manager, gv, sizeof gv, now,
        sizeof now);
  /* kube reads an apply patch as YAML (JSON is YAML). */
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
    goto out;
  }
  if (check_config(rq, cfg, gv, rs) < 0)
    goto out;
  if (live == NULL && (base = bare(rq, gv)) == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  rc = cp_ssa_apply(&op, live ? live : base, cfg,
                    cp_query_bool(&rq->query, "force"), &out, &conflicts);
  if (rc == CP_SSA_ECONFLICT)
    respond_conflicts(rs, &conflicts);
  else if (rc != 0)
    cp_api_respond_status(rs, 500, NULL);
out:
  cp_ssa_conflicts_clear(&conflicts);
  free(err);
  json_object_put(cfg);
  json_object_put(base);
  return out;
}
