/*
 * verbs_delete - delete and deletecollection: preconditions, propagation
 * policy, graceful marking while finalizers hold the object, removal
 * from the store, and what goes with an object once it is gone.
 *
 * Namespaces follow kube-apiserver's lifecycle: a DELETE marks them
 * Terminating until the finalize subresource has emptied
 * spec.finalizers (the namespace plugin does that once the namespace is
 * empty).
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/audit/audit.h"
#include "apiserver/crd.h"
#include "apiserver/dry_run.h"
#include "apiserver/status.h"
#include "apiserver/strategy/strategy.h"
#include "apiserver/verbs.h"
#include "apiserver/vap/admit.h"
#include "apiserver/webhook/dispatch.h"
#include "log/log.h"

static int has_finalizers(json_object *o) {
  json_object *f = get(get(o, "metadata"), "finalizers");

  return f != NULL && json_object_is_type(f, json_type_array) &&
         json_object_array_length(f) > 0;
}

/* A namespace's own finalizers (spec.finalizers) are non-empty. */
static int has_spec_finalizers(json_object *o) {
  json_object *f = get(get(o, "spec"), "finalizers");

  return f != NULL && json_object_is_type(f, json_type_array) &&
         json_object_array_length(f) > 0;
}

/* Something still holds o once deletion starts: metadata.finalizers, and
 * for a kind with CP_STRATEGY_SPEC_FINALIZERS spec.finalizers too. */
int cp_verbs_holds_deletion(const struct cp_resource_type *t, json_object *o) {
  return has_finalizers(o) ||
         ((cp_strategy_for(t)->flags & CP_STRATEGY_SPEC_FINALIZERS) != 0 &&
          has_spec_finalizers(o));
}

/* Deletes every key under prefix (a whole custom type), finalizers
 * notwithstanding; returns how many went. Failures are logged. */
size_t cp_verbs_purge_prefix(struct cp_api_ctx *ctx, const char *prefix) {
  cp_store_list_result res;
  size_t j, gone = 0;

  memset(&res, 0, sizeof res);
  if (cp_store_list(ctx->store, prefix, strlen(prefix), NULL, 0, 0, 0, &res) !=
      CPLANE_OK)
    return 0;
  for (j = 0; j < res.count; j++) {
    int64_t rev = 0;
    int rc = cp_store_delete(ctx->store, res.kvs[j].key, res.kvs[j].key_len, 0,
                             &rev, NULL);

    if (rc == CPLANE_OK)
      gone++;
    else if (rc != CPLANE_ENOENT)
      cp_log_warn("apiserver", "cannot delete %.*s: %s",
                  (int)res.kvs[j].key_len, (const char *)res.kvs[j].key,
                  cp_store_strerror(rc));
  }
  cp_store_list_result_free(&res);
  return gone;
}

/* After `o` of type t left the store: what goes with it. */
void cp_verbs_deleted(struct cp_api_ctx *ctx, const struct cp_resource_type *t,
                      json_object *o) {
  const struct cp_strategy *st = cp_strategy_for(t);

  if (st->deleted != NULL)
    st->deleted(ctx, o);
}

/* ------------------------------------------------------------ delete */

void cp_verbs_add_finalizer(json_object *md, const char *f) {
  json_object *fs = get(md, "finalizers");
  size_t i;

  if (fs == NULL || !json_object_is_type(fs, json_type_array)) {
    fs = json_object_new_array();
    json_object_object_add(md, "finalizers", fs);
  }
  for (i = 0; i < json_object_array_length(fs); i++) {
    json_object *e = json_object_array_get_idx(fs, i);

    if (e != NULL && json_object_is_type(e, json_type_string) &&
        strcmp(json_object_get_string(e), f) == 0)
      return;
  }
  json_object_array_add(fs, json_object_new_string(f));
}

/* name may never be deleted (the strategy's undeletable list). */
static int undeletable(const struct cp_strategy *st, const char *name) {
  size_t i;

  for (i = 0;
       name != NULL && st->undeletable != NULL && st->undeletable[i] != NULL;
       i++)
    if (strcmp(st->undeletable[i], name) == 0)
      return 1;
  return 0;
}

static size_t finalizer_count(json_object *md) {
  json_object *f = get(md, "finalizers");

  return f != NULL && json_object_is_type(f, json_type_array)
             ? json_object_array_length(f)
             : 0;
}

/* The JSON type name Go's decoder reports for v. */
static const char *go_json_type(json_object *v) {
  switch (json_object_get_type(v)) {
  case json_type_boolean:
    return "bool";
  case json_type_double:
  case json_type_int:
    return "number";
  case json_type_object:
    return "object";
  case json_type_array:
    return "array";
  default:
    return "string";
  }
}

/* DeleteOptions as Go decodes it: every known field of its type (null
 * is always fine: the zero value). NULL when opts is acceptable, else
 * the message kube's decoder gives, in a static buffer of this thread. */
static const char *delete_options_error(json_object *opts) {
  static const struct {
    const char *field, *go_type;
    json_type type;
  } fields[] = {
      {"kind", "string", json_type_string},
      {"apiVersion", "string", json_type_string},
      {"gracePeriodSeconds", "int64", json_type_int},
      {"preconditions", "v1.Preconditions", json_type_object},
      {"orphanDependents", "bool", json_type_boolean},
      {"propagationPolicy", "v1.DeletionPropagation", json_type_string},
      {"dryRun", "[]string", json_type_array},
  };
  static __thread char msg[192];
  json_object *v, *pre;
  size_t i;

  for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    v = get(opts, fields[i].field);
    if (v == NULL || json_object_is_type(v, fields[i].type))
      continue;
    snprintf(msg, sizeof msg,
             "json: cannot unmarshal %s into Go struct "
             "field DeleteOptions.%s of type %s",
             go_json_type(v), fields[i].field, fields[i].go_type);
    return msg;
  }
  v = get(opts, "dryRun");
  for (i = 0; v != NULL && i < json_object_array_length(v); i++) {
    json_object *e = json_object_array_get_idx(v, i);

    if (e != NULL && !json_object_is_type(e, json_type_string)) {
      snprintf(msg, sizeof msg,
               "json: cannot unmarshal %s into Go struct "
               "field DeleteOptions.dryRun of type string",
               go_json_type(e));
      return msg;
    }
  }
  pre = get(opts, "preconditions");
  for (i = 0; i < 2; i++) {
    const char *f = i == 0 ? "uid" : "resourceVersion";

    v = get(pre, f);
    if (v == NULL || json_object_is_type(v, json_type_string))
      continue;
    snprintf(msg, sizeof msg,
             "json: cannot unmarshal %s into Go struct "
             "field Preconditions.preconditions.%s of type %s",
             go_json_type(v), f, i == 0 ? "types.UID" : "string");
    return msg;
  }
  return NULL;
}

/* The body's DeleteOptions into *opts (NULL without a body), logged as
 * decoded. Returns -1 having answered 400 when Go would not decode them. */
static int read_options(struct cp_api_request *rq, json_object **opts,
                        struct cp_api_response *rs) {
  const char *why;
  char *err = NULL;

  *opts = NULL;
  if (rq->body_len == 0)
    return 0;
  *opts = cp_verbs_parse_body(rq->body, rq->body_len, &err);
  if (*opts == NULL || !json_object_is_type(*opts, json_type_object)) {
    cp_api_respond_status(rs, 400,
                          cp_status_failuref(400,
                                             "the DeleteOptions body is not "
                                             "a JSON object: %s",
                                             err ? err : "not an object"));
    free(err);
    return -1;
  }
  free(err);
  if ((why = delete_options_error(*opts)) != NULL) {
    cp_api_respond_status(rs, 400, cp_status_failure(400, NULL, why, NULL));
    return -1;
  }
  cp_audit_delete_options(rq, *opts);
  return 0;
}

void cp_verb_delete(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                    struct cp_api_response *rs) {
  const struct cp_strategy *st = cp_strategy_for(rq->type);
  json_object *opts = NULL, *cur = NULL, *pre;
  char *key = cp_api_key(rq->type, rq->ns, rq->name), *err = NULL, ts[32];
  const char *policy = NULL, *p_uid, *p_rv;
  int64_t cur_rev = 0, rev = 0;
  size_t n_fin = 0;
  int was_marked = 0;
  int dry, rc, attempt;

  if (key == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  if (read_options(rq, &opts, rs) < 0)
    goto out;
  policy = get_str(opts, "propagationPolicy");
  if (policy == NULL)
    policy = cp_query_get(&rq->query, "propagationPolicy");
  if (policy != NULL && strcmp(policy, "Foreground") != 0 &&
      strcmp(policy, "Background") != 0 && strcmp(policy, "Orphan") != 0) {
    cp_api_respond_status(
        rs, 400,
        cp_status_failuref(400, "invalid propagationPolicy %s", policy));
    goto out;
  }
  /* A body's DeleteOptions carry the dryRun; without one, the query. */
  dry = rq->body_len > 0 ? cp_dry_run_check_list(get(opts, "dryRun"), rs)
                         : cp_verbs_dry_run(rq);
  if (dry < 0)
    goto out;
  if (undeletable(st, rq->name)) {
    cp_verbs_forbidden(rs, rq->type, rq->name,
                       "this namespace may not be deleted", NULL);
    goto out;
  }
  for (attempt = 0; attempt < CP_VERBS_CAS_RETRIES; attempt++) {
    json_object *md;

    json_object_put(cur);
    if ((cur = cp_verbs_read_current(ctx, rq, key, &cur_rev, rs)) == NULL)
      goto out;
    md = metadata(cur);
    pre = get(opts, "preconditions");
    p_uid = get_str(pre, "uid");
    p_rv = get_str(pre, "resourceVersion");
    if ((p_uid != NULL &&
         strcmp(p_uid, get_str(md, "uid") ? get_str(md, "uid") : "") != 0) ||
        (p_rv != NULL && strtoll(p_rv, NULL, 10) != cur_rev)) {
      cp_api_respond_status(
          rs, 409,
          cp_status_failuref(409, "Precondition failed: the object "
                                  "changed (uid or "
                                  "resourceVersion)"));
      goto out;
    }
    if (st->admit_delete != NULL &&
        st->admit_delete(ctx, rq->type, cur, rs) < 0)
      goto out;
    /* ValidatingAdmissionPolicy, with the oldObject. */
    if (cp_vap_admit(ctx, rq, NULL, cur, opts, rs) < 0)
      goto out;
    /* Mutating and ValidatingAdmissionWebhook, with the oldObject. */
    if (cp_webhook_admit_delete(ctx, rq, cur, opts, dry, rs) < 0)
      goto out;
    was_marked = get_str(md, "deletionTimestamp") != NULL;
    n_fin = finalizer_count(md);
    if (policy != NULL && strcmp(policy, "Foreground") == 0)
      cp_verbs_add_finalizer(md, "foregroundDeletion");
    else if (policy != NULL && strcmp(policy, "Orphan") == 0)
      cp_verbs_add_finalizer(md, "orphan");
    if ((st->flags & CP_STRATEGY_SPEC_FINALIZERS) != 0 &&
        has_spec_finalizers(cur) && get_str(md, "deletionTimestamp") != NULL) {
      cp_verbs_object_failure(
          rs, 409, NULL, rq->type, rq->name,
          "Operation cannot be fulfilled on ",
          ": The system is ensuring all content is removed from "
          "this namespace. Upon completion, this namespace will "
          "automatically be purged by the system.");
      goto out;
    }
    if (cp_verbs_holds_deletion(rq->type, cur) && was_marked &&
        finalizer_count(md) == n_fin) {
      /* Already being deleted and nothing to add: writing it again would
       * only be a new resourceVersion and a watch event for every
       * controller that deletes on each update. */
      cp_verbs_set_rv(cur, cur_rev);
      cp_verbs_respond_text(rs, 200, cp_api_to_text(cur));
      goto out;
    }
    if (cp_verbs_holds_deletion(rq->type, cur)) {
      /* Graceful: mark, and let the finalizers' owners finish. */
      if (get_str(md, "deletionTimestamp") == NULL) {
        json_object *g = get(md, "generation");

        cp_verbs_now_rfc3339(ts, sizeof ts);
        set_str(md, "deletionTimestamp", ts);
        json_object_object_add(md, "deletionGracePeriodSeconds",
                               json_object_new_int(0));
        /* kube's BeforeDelete: a kind with a generation has it go up. */
        if (g != NULL)
          json_object_object_add(
              md, "generation",
              json_object_new_int64(next_generation(json_object_get_int64(g))));
      }
      if (st->deleting != NULL)
        st->deleting(ctx, cur);
      if (dry) {
        /* What the mark would store, as kube's dry-run delete answers. */
        cp_verbs_set_rv(cur, cur_rev);
        cp_verbs_respond_text(rs, 200, cp_api_to_text(cur));
        goto out;
      }
      rc = cp_verbs_write_over(ctx, rq, key, cur, cur_rev, rs,
                               attempt == CP_VERBS_CAS_RETRIES - 1);
      if (rc == CPLANE_OK && !was_marked && st->marked != NULL)
        st->marked(ctx, cur);
      if (rc != CP_STORE_ECONFLICT)
        goto out;
      free(rs->body);
      rs->body = NULL;
      continue;
    }
    if (dry) {
      /* The object as it is: nothing is removed. */
      cp_verbs_set_rv(cur, cur_rev);
      cp_verbs_respond_text(rs, 200, cp_api_to_text(cur));
      goto out;
    }
    rc = cp_store_delete(ctx->store, key, strlen(key), cur_rev, &rev, NULL);
    if (rc == CPLANE_OK) {
      cp_verbs_deleted(ctx, rq->type, cur);
      cp_verbs_set_rv(cur, rev);
      cp_verbs_respond_text(rs, 200, cp_api_to_text(cur));
      goto out;
    }
    if (rc == CPLANE_ENOENT) {
      cp_verbs_not_found(rs, rq->type, rq->name);
      goto out;
    }
    if (rc != CP_STORE_ECONFLICT) {
      cp_verbs_store_error(rs, rc);
      goto out;
    }
  }
  cp_verbs_conflict(rs, rq->type, rq->name);
out:
  free(err);
  free(key);
  json_object_put(opts);
  json_object_put(cur);
}

/* A collection's DeleteOptions body, read once for all its deletes as
 * kube's DeleteCollection does: one that does not decode is a 400, a
 * dryRun that is not "All" a 422 (each object's delete would refuse it
 * alike). Returns -1 having responded. */
static int collection_options(struct cp_api_request *rq,
                              struct cp_api_response *rs) {
  json_object *opts = NULL;
  int rc = read_options(rq, &opts, rs);

  if (rc == 0 && cp_dry_run_check_list(get(opts, "dryRun"), rs) < 0)
    rc = -1;
  json_object_put(opts);
  return rc;
}

/* Deletes every object the selectors match, one by one with do_delete's
 * rules (finalizers, preconditions, dry run), and answers with the list
 * of what was deleted or marked. */
void cp_verb_delete_collection(struct cp_api_ctx *ctx,
                               struct cp_api_request *rq,
                               struct cp_api_response *rs) {
  struct cp_api_selectors *sel = NULL;
  char *prefix = cp_api_key(rq->type, rq->ns, NULL), gv[256];
  cp_store_list_result res;
  json_object *out = NULL, *items;
  size_t i;
  int rc;

  memset(&res, 0, sizeof res);
  if (prefix == NULL || cp_api_selectors_parse(rq, &sel, rs) < 0 ||
      collection_options(rq, rs) < 0)
    goto out;
  rc = cp_store_list(ctx->store, prefix, strlen(prefix), NULL, 0, 0, 0, &res);
  if (rc != CPLANE_OK) {
    cp_verbs_store_error(rs, rc);
    goto out;
  }
  out = json_object_new_object();
  items = json_object_new_array();
  set_str(out, "kind", rq->type->list_kind);
  set_str(out, "apiVersion",
          cp_resource_group_version(rq->type, gv, sizeof gv));
  json_object_object_add(out, "metadata", json_object_new_object());
  json_object_object_add(out, "items", items);
  for (i = 0; i < res.count; i++) {
    json_object *o = cp_api_parse_stored(rq->type, &res.kvs[i]), *done;
    struct cp_api_response one = {0};
    char *err = NULL;
    const char *name;

    if (o == NULL || !cp_api_selectors_match(sel, o)) {
      json_object_put(o);
      continue;
    }
    name = get_str(get(o, "metadata"), "name");
    free(rq->ns);
    rq->ns = NULL;
    if (get_str(get(o, "metadata"), "namespace") != NULL &&
        (rq->ns = strdup(get_str(get(o, "metadata"), "namespace"))) == NULL) {
      json_object_put(o);
      continue;
    }
    rq->name = name ? strdup(name) : NULL;
    if (rq->name != NULL)
      cp_verb_delete(ctx, rq, &one);
    if (one.code == 200 &&
        (done = cp_verbs_parse_body(one.body, one.len, &err)))
      json_object_array_add(items, done);
    free(err);
    free(one.body);
    free(rq->name);
    rq->name = NULL;
    json_object_put(o);
  }
  cp_verbs_respond_text(rs, 200, cp_api_to_text(out));
out:
  json_object_put(out);
  cp_store_list_result_free(&res);
  cp_api_selectors_free(sel);
  free(prefix);
}
