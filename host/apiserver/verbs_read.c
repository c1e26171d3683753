/*
 * verbs_read - get (the object, or its Scale) and list (paged, at a
 * resourceVersion, filtered by selectors), straight from the store.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/continue_token.h"
#include "apiserver/crd_scale.h"
#include "apiserver/scale_selector.h"
#include "apiserver/status.h"
#include "apiserver/verbs.h"
#include "object/json_buf.h"
#define LIST_PAGE_MAX 10000

/* ------------------------------------------------------------ get */

/* The Scale's numbers and selector (malloc'd) of o: a custom type's at
 * its definition's paths, a built-in's spec.replicas (1 when absent, as
 * kube defaults it), status.replicas and spec.selector. -1 when a value
 * at a custom path has the wrong type, or out of memory. */
static int scale_values(const struct cp_resource_type *t, json_object *o,
                        int64_t *replicas, int64_t *status, char **sel) {
  struct cp_resource_custom buf;
  const struct cp_resource_custom *c = cp_crd_scale_paths(t, &buf);
  struct cp_crd_scale_values v;
  json_object *rep, *srep;
  char *err = NULL;

  if (c != NULL) {
    if (cp_crd_scale_read(c, o, &v, &err) < 0) {
      free(err);
      return -1;
    }
    *replicas = v.spec_replicas;
    *status = v.status_replicas;
    *sel = strdup(v.selector);
    return *sel != NULL ? 0 : -1;
  }
  rep = get(get(o, "spec"), "replicas");
  srep = get(get(o, "status"), "replicas");
  *replicas = rep ? json_object_get_int64(rep) : 1;
  *status = srep ? json_object_get_int64(srep) : 0;
  *sel = cp_scale_selector(t, o);
  return *sel != NULL ? 0 : -1;
}

/* The autoscaling/v1 Scale view of o, as kube's scale subresources
 * answer: spec.replicas and status.selector are omitempty there. */
char *cp_verbs_scale_text(const struct cp_resource_type *t, json_object *o) {
  json_object *md = get(o, "metadata"), *s, *smd, *spec, *status;
  const char *keys[] = {"name", "namespace", "uid", "resourceVersion",
                        "creationTimestamp"};
  int64_t replicas, srep;
  char *sel = NULL, *text;
  size_t i;

  if (scale_values(t, o, &replicas, &srep, &sel) < 0) {
    free(sel);
    return NULL;
  }
  s = json_object_new_object();
  smd = json_object_new_object();
  set_str(s, "kind", "Scale");
  set_str(s, "apiVersion", "autoscaling/v1");
  for (i = 0; i < 5; i++)
    if (get_str(md, keys[i]) != NULL)
      set_str(smd, keys[i], get_str(md, keys[i]));
  json_object_object_add(s, "metadata", smd);
  spec = json_object_new_object();
  if (replicas != 0)
    json_object_object_add(spec, "replicas", json_object_new_int64(replicas));
  json_object_object_add(s, "spec", spec);
  status = json_object_new_object();
  json_object_object_add(status, "replicas", json_object_new_int64(srep));
  if (sel[0] != '\0')
    set_str(status, "selector", sel);
  json_object_object_add(s, "status", status);
  text = cp_api_to_text(s);
  json_object_put(s);
  free(sel);
  return text;
}

/* GET .../scale. A custom resource with a value of the wrong type at
 * one of its paths gets kube's plain error (a 500 whose reason is
 * Unknown: scaleFromCustomResource's error is no API status); one with
 * no value at its spec replicas path kube's 500 InternalError. */
static void respond_scale(struct cp_api_response *rs,
                          const struct cp_resource_type *t, json_object *o) {
  struct cp_resource_custom buf;
  const struct cp_resource_custom *c = cp_crd_scale_paths(t, &buf);
  struct cp_crd_scale_values v;
  char *err = NULL;

  if (c != NULL && cp_crd_scale_read(c, o, &v, &err) < 0) {
    cp_api_respond_status(rs, 500,
                          cp_status_failure(500, "Unknown",
                                            err ? err : "out of memory",
                                            NULL));
    free(err);
    return;
  }
  if (c != NULL && !v.spec_found) {
    cp_api_respond_status(
        rs, 500,
        cp_status_failuref(500,
                           "Internal error occurred: the spec replicas "
                           "field \"%s\" does not exist",
                           c->scale_spec_path));
    return;
  }
  cp_verbs_respond_text(rs, 200, cp_verbs_scale_text(t, o));
}

void cp_verb_get(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                 struct cp_api_response *rs) {
  char *key = cp_api_key(rq->type, rq->ns, rq->name);
  cp_store_kv kv;
  json_object *o = NULL;
  int rc;

  memset(&kv, 0, sizeof kv);
  if (key == NULL)
    goto nomem;
  rc = cp_store_get(ctx->store, key, strlen(key), 0, &kv, NULL);
  if (rc == CPLANE_ENOENT) {
    cp_verbs_not_found(rs, rq->type, rq->name);
    goto out;
  }
  if (rc != CPLANE_OK) {
    cp_verbs_store_error(rs, rc);
    goto out;
  }
  if ((o = cp_api_parse_stored(rq->type, &kv)) == NULL)
    goto nomem;
  if (rq->subresource != NULL && strcmp(rq->subresource, "scale") == 0)
    respond_scale(rs, rq->type, o);
  else
    cp_verbs_respond_text(rs, 200, cp_api_to_text(o));
  goto out;
nomem:
  cp_api_respond_status(rs, 500, NULL);
out:
  json_object_put(o);
  cp_store_kv_free(&kv);
  free(key);
}

static int list_options_invalid(struct cp_api_request *rq,
                                struct cp_api_response *rs) {
  const char *m = cp_query_get(&rq->query, "resourceVersionMatch");
  const char *rv = cp_query_get(&rq->query, "resourceVersion");
  const char *cont = cp_query_get(&rq->query, "continue");
  const char *why = NULL, *reason = "FieldValueForbidden";
  char buf[160];

  if (m == NULL || m[0] == '\0')
    return 0;
  if (strcmp(m, "Exact") != 0 && strcmp(m, "NotOlderThan") != 0) {
    snprintf(buf, sizeof buf,
             "Unsupported value: \"%.64s\": supported "
             "values: \"Exact\", \"NotOlderThan\"",
             m);
    why = buf;
    reason = "FieldValueNotSupported";
  } else if (rv == NULL || rv[0] == '\0') {
    why = "Forbidden: resourceVersionMatch is forbidden unless "
          "resourceVersion is provided";
  } else if (cont != NULL && cont[0] != '\0') {
    why = "Forbidden: resourceVersionMatch is forbidden when continue is "
          "provided";
  } else if (strcmp(m, "Exact") == 0 && strcmp(rv, "0") == 0) {
    why = "Forbidden: resourceVersionMatch \"exact\" is forbidden for "
          "resourceVersion \"0\"";
  }
  if (why == NULL)
    return 0;
  cp_verbs_options_invalid(rs, "ListOptions", "resourceVersionMatch", reason,
                           why);
  return -1;
}

/* A list at a resourceVersion the store has not reached: kube's
 * NewTooLargeResourceVersionError, a 504 Timeout clients retry after a
 * second, not a 500. */
static void too_large_rv(struct cp_api_ctx *ctx, struct cp_api_response *rs,
                         int64_t want) {
  struct cp_status_cause cause = {"ResourceVersionTooLarge",
                                  "Too large resource version", NULL};
  struct cp_status_details d = {
      .causes = &cause, .n_causes = 1, .retry_after_seconds = 1};
  int64_t cur = 0;
  char msg[128];

  cp_store_current_revision(ctx->store, &cur);
  snprintf(msg, sizeof msg,
           "Timeout: Too large resource version: %" PRId64
           ", current: %" PRId64,
           want, cur);
  cp_api_respond_status(rs, 504, cp_status_failure(504, "Timeout", msg, &d));
}

void cp_verb_list(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                  struct cp_api_response *rs) {
  struct cp_api_selectors *sel = NULL;
  char *prefix = cp_api_key(rq->type, rq->ns, NULL), gv[256];
  const char *cont = cp_query_get(&rq->query, "continue");
  const char *rv_match = cp_query_get(&rq->query, "resourceVersionMatch");
  uint8_t *start = NULL;
  size_t start_len = 0, matched = 0;
  int64_t limit = 0, rev = 0;
  /* Items are printed as they are read, so a list costs its text, not a
   * tree of every object. */
  struct cp_json_buf items = CP_JSON_BUF_INIT;
  cp_store_list_result res;
  int more = 0, rc;

  memset(&res, 0, sizeof res);
  if (prefix == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    return;
  }
  if (cp_query_int(&rq->query, "limit", 0, INT64_MAX, &limit) < 0) {
    cp_api_respond_status(rs, 400,
                          cp_status_failuref(400, "limit must be "
                                                  "a non-negative "
                                                  "integer"));
    free(prefix);
    return;
  }
  if (cp_api_selectors_parse(rq, &sel, rs) < 0) {
    free(prefix);
    return;
  }
  if (cont != NULL && cont[0] != '\0' &&
      cp_continue_decode(cont, &rev, &start, &start_len) < 0) {
    cp_api_respond_status(rs, 400,
                          cp_status_failuref(400, "invalid continue "
                                                  "token"));
    goto out;
  }
  if (list_options_invalid(rq, rs) < 0)
    goto out;
  if (cont == NULL && rv_match != NULL && strcmp(rv_match, "Exact") == 0) {
    int64_t r = 0;

    if (cp_query_int(&rq->query, "resourceVersion", 1, INT64_MAX, &r) != 1) {
      cp_api_respond_status(rs, 422,
                            cp_status_failuref(422,
                                               "resourceVersionMatch=Exact "
                                               "needs a resourceVersion"));
      goto out;
    }
    rev = r;
  } else if (cont == NULL || cont[0] == '\0') {
    int64_t r = 0, cur = 0;

    /* NotOlderThan (resourceVersionMatch or none): a revision the store
     * has not reached yet cannot be served. */
    if (cp_query_int(&rq->query, "resourceVersion", 1, INT64_MAX, &r) == 1 &&
        cp_store_current_revision(ctx->store, &cur) == CPLANE_OK && r > cur) {
      too_large_rv(ctx, rs, r);
      goto out;
    }
  }
  for (;;) {
    size_t i, want = limit > 0 ? (size_t)limit - matched : 0;

    /* One store round trip reads at most LIST_PAGE_MAX rows (a larger
     * limit, up to INT64_MAX, just loops), so no store ever computes
     * limit + 1 near the top of its integer type. */
    if (want > LIST_PAGE_MAX)
      want = LIST_PAGE_MAX;

    rc = cp_store_list(ctx->store, prefix, strlen(prefix),
                       start ? start : (const uint8_t *)prefix,
                       start ? start_len : strlen(prefix), rev,
                       want > 0 ? want : 0, &res);
    if (rc == CP_STORE_ECOMPACTED && (cont == NULL || cont[0] == '\0')) {
      int64_t cur = 0;

      cp_store_current_revision(ctx->store, &cur);
      cp_api_respond_status(
          rs, 410,
          cp_status_failuref(
              410, "too old resource version: %" PRId64 " (%" PRId64 ")", rev,
              cur));
      goto out;
    }
    if (rc == CP_STORE_EFUTURE) {
      too_large_rv(ctx, rs, rev);
      goto out;
    }
    if (rc == CP_STORE_ECOMPACTED) {
      cp_api_respond_status(
          rs, 410,
          cp_status_failure(410, "Expired",
                            "The provided continue "
                            "parameter is too old to display a "
                            "consistent list result. You can start "
                            "a new list without the continue "
                            "parameter.",
                            NULL));
      goto out;
    }
    if (rc != CPLANE_OK) {
      cp_verbs_store_error(rs, rc);
      goto out;
    }
    rev = res.revision;
    for (i = 0; i < res.count; i++) {
      json_object *o = cp_api_parse_stored(rq->type, &res.kvs[i]);

      if (o == NULL)
        continue;
      if (cp_api_selectors_match(sel, o)) {
        char *t = cp_api_to_text(o);

        if (t != NULL) {
          if (matched++ > 0)
            cp_json_buf_put(&items, ",", 1);
          cp_json_buf_puts(&items, t);
        }
        free(t);
      }
      json_object_put(o);
    }
    free(start);
    start = NULL;
    more = res.more;
    if (res.count > 0 && (more || (limit > 0 && matched >= (size_t)limit)) &&
        (start = cp_store_list_next_key(&res, &start_len)) == NULL)
      goto out;
    cp_store_list_result_free(&res);
    if (!more || (limit > 0 && matched >= (size_t)limit))
      break;
  }
  {
    struct cp_json_buf out = CP_JSON_BUF_INIT;
    char head[512], *h = NULL;

    if (more && start != NULL)
      h = cp_continue_encode(rev, start, start_len);
    snprintf(head, sizeof head,
             "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{"
             "\"resourceVersion\":\"%" PRId64 "\"",
             rq->type->list_kind,
             cp_resource_group_version(rq->type, gv, sizeof gv), rev);
    cp_json_buf_puts(&out, head);
    if (h != NULL) {
      cp_json_buf_puts(&out, ",\"continue\":\"");
      cp_json_buf_puts(&out, h);
      cp_json_buf_puts(&out, "\"");
    }
    free(h);
    cp_json_buf_puts(&out, "},\"items\":[");
    if (items.data != NULL)
      cp_json_buf_put(&out, items.data, items.len);
    cp_json_buf_puts(&out, "]}");
    cp_verbs_respond_text(rs, 200, items.nomem ? NULL : cp_json_buf_take(&out));
    cp_json_buf_reset(&out);
  }
out:
  cp_json_buf_reset(&items);
  free(start);
  free(prefix);
  cp_api_selectors_free(sel);
}
