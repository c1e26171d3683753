/*
 * request - what every verb and the watch share about a request and its
 * response (request.h): clearing a request, Status and Warning
 * responses, routing a path to a resource, store keys, reading stored
 * objects, label and field selectors; and the shared wording of
 * kube-apiserver's errors about one object (verbs.h).
 *
 * Objects are stored as compact JSON without metadata.resourceVersion:
 * the store's mod_revision is the resourceVersion, filled in on the way
 * out, as kube-apiserver does with etcd.
 */
#include "apiserver/request.h"
#include "apiserver/audit/audit.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "apiserver/field_selector.h"
#include "apiserver/status.h"
#include "apiserver/strategy/strategy.h"
#include "apiserver/verbs.h"
#include "labels/selector.h"
#include "object/json_strict.h"

#define JSON_TYPE "application/json"
#define MAX_DEPTH 64

/* ------------------------------------------------------------ helpers */

void cp_api_user_clear(struct cp_api_user *u) {
  size_t i;

  free(u->name);
  free(u->uid);
  for (i = 0; i < u->n_groups; i++)
    free(u->groups[i]);
  free(u->groups);
  for (i = 0; i < u->n_extra; i++)
    free(u->extra[i]);
  free(u->extra);
  memset(u, 0, sizeof *u);
}

int cp_api_user_set(struct cp_api_user *u, const char *name, const char *uid,
                    char *const *groups, size_t n_groups) {
  size_t i;

  cp_api_user_clear(u);
  if ((u->name = strdup(name)) == NULL)
    goto fail;
  if (uid != NULL && (u->uid = strdup(uid)) == NULL)
    goto fail;
  if (n_groups > 0 && (u->groups = calloc(n_groups, sizeof *u->groups)) ==
                          NULL)
    goto fail;
  for (i = 0; i < n_groups; i++) {
    if ((u->groups[i] = strdup(groups[i])) == NULL)
      goto fail;
    u->n_groups++;
  }
  return 0;
fail:
  cp_api_user_clear(u);
  return -1;
}

void cp_api_request_clear(struct cp_api_request *rq) {
  cp_api_user_clear(&rq->user);
  free(rq->path);
  cp_query_free(&rq->query);
  free(rq->accept);
  free(rq->content_type);
  free(rq->user_agent);
  free(rq->body);
  free(rq->ns);
  free(rq->name);
  free(rq->subresource);
  cp_audit_end(rq->audit); /* ResponseComplete */
  memset(rq, 0, sizeof *rq);
}

void cp_api_respond_status(struct cp_api_response *rs, int code, char *body) {
  free(rs->body);
  rs->code = body != NULL ? code : 500;
  rs->content_type = JSON_TYPE;
  rs->body = body;
  rs->len = body != NULL ? strlen(body) : 0;
}

void cp_api_add_warning(struct cp_api_response *rs, const char *text) {
  size_t room = sizeof rs->warnings - rs->warnings_len, n = 0;
  char *w = rs->warnings + rs->warnings_len;
  const char *p;

  /* "299 - " + quoted text with '"' and '\\' escaped + NUL. */
  if (room < 10)
    return;
  memcpy(w, "299 - \"", 7);
  n = 7;
  for (p = text; *p != '\0'; p++) {
    if (n + 4 > room)
      return; /* does not fit: dropped whole, never cut */
    if (*p == '"' || *p == '\\')
      w[n++] = '\\';
    w[n++] = *p;
  }
  w[n++] = '"';
  w[n++] = '\0';
  rs->warnings_len += n;
}

void cp_api_warning_headers(const struct cp_api_response *rs,
                            struct evkeyvalq *headers) {
  const char *w = rs->warnings, *end = rs->warnings + rs->warnings_len;

  for (; w < end; w += strlen(w) + 1)
    evhttp_add_header(headers, "Warning", w);
}

void cp_api_note_retry_after(struct cp_api_response *rs) {
  json_object *o, *v;

  /* Only a Status that names a delay has one; most bodies are skipped
   * without parsing. */
  rs->retry_after_seconds = 0;
  if (rs->code < 400 || rs->body == NULL ||
      strstr(rs->body, "\"retryAfterSeconds\"") == NULL)
    return;
  o = json_tokener_parse(rs->body);
  if (json_object_object_get_ex(o, "details", &v) &&
      json_object_object_get_ex(v, "retryAfterSeconds", &v) &&
      json_object_is_type(v, json_type_int) && json_object_get_int(v) > 0)
    rs->retry_after_seconds = json_object_get_int(v);
  json_object_put(o);
}

void cp_api_retry_after_header(const struct cp_api_response *rs,
                               struct evkeyvalq *headers) {
  char num[16];

  if (rs->retry_after_seconds <= 0)
    return;
  snprintf(num, sizeof num, "%d", rs->retry_after_seconds);
  evhttp_add_header(headers, "Retry-After", num);
}

void cp_verbs_respond_text(struct cp_api_response *rs, int code, char *text) {
  if (text == NULL) {
    cp_api_respond_status(rs, 500,
                          cp_status_failure(500, NULL,
                                            "out of "
                                            "memory",
                                            NULL));
    return;
  }
  free(rs->body);
  rs->code = code;
  rs->content_type = JSON_TYPE;
  rs->body = text;
  rs->len = strlen(text);
}

char *cp_api_to_text(json_object *o) {
  const char *t = json_object_to_json_string_ext(o, CP_VERBS_JSON_OUT);

  return t != NULL ? strdup(t) : NULL;
}

void cp_verbs_set_rv(json_object *o, int64_t rv) {
  char buf[32];

  snprintf(buf, sizeof buf, "%" PRId64, rv);
  set_str(metadata(o), "resourceVersion", buf);
}

/* Parses a body strictly (object/json_strict: exactly what kube's
 * decoder takes, so nothing a real client cannot read is ever stored),
 * with a depth limit so a hostile document cannot recurse the parser into
 * the ground. Duplicate keys are reported in *dups when it is not NULL.
 * NULL with *err set on failure (and for the literal null). */
json_object *cp_verbs_parse_body_dups(const char *s, size_t n,
                                      struct cp_json_strict_dups *dups,
                                      char **err) {
  json_object *o = NULL;
  const char *why = NULL;
  size_t at = 0;

  *err = NULL;
  if (cp_json_strict_parse(s, n, MAX_DEPTH, &o, dups, &why, &at) ==
      CP_JSON_STRICT_OK) {
    if (o != NULL)
      return o;
    why = "null";
  }
  if (asprintf(err, "%s at byte %zu", n == 0 ? "empty body" : why, at) < 0)
    *err = NULL;
  return NULL;
}

json_object *cp_verbs_parse_body(const char *s, size_t n, char **err) {
  return cp_verbs_parse_body_dups(s, n, NULL, err);
}

/* Non-finite numbers (NaN, Infinity, 1e400 read as inf) replaced by null,
 * in place: what JSON can say of them. */
static void scrub_non_finite(json_object *o, int depth) {
  size_t i, n;

  if (depth > MAX_DEPTH)
    return;
  if (json_object_is_type(o, json_type_array)) {
    n = json_object_array_length(o);
    for (i = 0; i < n; i++) {
      json_object *e = json_object_array_get_idx(o, i);

      if (json_object_is_type(e, json_type_double) &&
          !isfinite(json_object_get_double(e)))
        json_object_array_put_idx(o, i, NULL);
      else
        scrub_non_finite(e, depth + 1);
    }
    return;
  }
  if (!json_object_is_type(o, json_type_object))
    return;
  json_object_object_foreach(o, k, v) {
    if (json_object_is_type(v, json_type_double) &&
        !isfinite(json_object_get_double(v)))
      json_object_object_add(o, k, NULL);
    else
      scrub_non_finite(v, depth + 1);
  }
}

/* A stored value the strict decoder refuses was written before request
 * bodies were decoded strictly (json-c took NaN, comments, ...). It is
 * read leniently, with what JSON cannot say nulled, so that it can still
 * be listed, fixed and deleted, and no response carries non-JSON. */
static json_object *parse_legacy(const char *s, size_t n) {
  struct json_tokener *tok = json_tokener_new_ex(MAX_DEPTH);
  json_object *o = NULL;

  if (tok == NULL || n == 0 || n >= INT32_MAX) {
    json_tokener_free(tok);
    return NULL;
  }
  o = json_tokener_parse_ex(tok, s, (int)n);
  if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
                    !json_object_is_type(o, json_type_object))) {
    json_object_put(o);
    o = NULL;
  }
  json_tokener_free(tok);
  if (o != NULL)
    scrub_non_finite(o, 0);
  return o;
}

/* A stored object as the client of type t sees it (t NULL: as stored):
 * with its resourceVersion, and, for a custom resource, in t's version.
 * A definition's versions differ only in name here (no conversion
 * webhooks: kube's "None" strategy), so an object written through one
 * version is served through another with that one's apiVersion, as
 * kube-apiserver does. Owned by the caller. */
json_object *cp_api_parse_stored(const struct cp_resource_type *t,
                                 const cp_store_kv *kv) {
  char *err = NULL;
  json_object *o =
      cp_verbs_parse_body((const char *)kv->value, kv->value_len, &err);
  char gv[300];

  free(err);
  if (o == NULL &&
      (o = parse_legacy((const char *)kv->value, kv->value_len)) == NULL)
    return NULL;
  cp_verbs_set_rv(o, kv->mod_revision);
  if (t != NULL && !t->builtin)
    set_str(o, "apiVersion", cp_resource_group_version(t, gv, sizeof gv));
  if (t != NULL && t->builtin)
    cp_strategy_from_storage(t, o);
  return o;
}

/* Strips what must not be stored (the resourceVersion) and serializes. */
char *cp_verbs_stored_text(json_object *o) {
  json_object_object_del(metadata(o), "resourceVersion");
  return cp_api_to_text(o);
}

void cp_verbs_now_rfc3339(char *buf, size_t len) {
  time_t t = time(NULL);
  struct tm tm;

  gmtime_r(&t, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void cp_verbs_new_uid(char *buf, size_t len) {
  unsigned char b[16];
  size_t i;

  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
    for (i = 0; i < sizeof b; i++)
      b[i] = (unsigned char)rand();
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(buf, len,
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x"
           "%02x",
           b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
           b[11], b[12], b[13], b[14], b[15]);
}

/* "deployments.apps" or "pods": how kube-apiserver names a resource in
 * messages. */
void cp_verbs_qualified_resource(const struct cp_resource_type *t, char *buf,
                                 size_t len) {
  if (t->group[0] == '\0')
    snprintf(buf, len, "%s", t->resource);
  else
    snprintf(buf, len, "%s.%s", t->resource, t->group);
}

/* A failure about one object, worded as kube-apiserver does:
 * "<before><resource.group> "<name>"<after>", with details naming the
 * object (the group omitted for the core group). */
void cp_verbs_object_failure(struct cp_api_response *rs, int code,
                             const char *reason,
                             const struct cp_resource_type *t, const char *name,
                             const char *before, const char *after) {
  struct cp_status_details d = {
      .name = name, .group = t->group, .kind = t->resource};
  char qr[256], *msg = NULL;

  cp_verbs_qualified_resource(t, qr, sizeof qr);
  if (asprintf(&msg, "%s%s \"%s\"%s", before, qr, name, after) < 0)
    msg = NULL;
  if (t->group[0] == '\0')
    d.group = NULL;
  cp_api_respond_status(rs, code,
                        msg ? cp_status_failure(code, reason, msg, &d) : NULL);
  free(msg);
}

void cp_verbs_not_found(struct cp_api_response *rs,
                        const struct cp_resource_type *t, const char *name) {
  cp_verbs_object_failure(rs, 404, NULL, t, name, "", " not found");
}

void cp_verbs_conflict(struct cp_api_response *rs,
                       const struct cp_resource_type *t, const char *name) {
  cp_verbs_object_failure(
      rs, 409, NULL, t, name, "Operation cannot be fulfilled on ",
      ": the object has been modified; please apply your changes "
      "to the latest version and try again");
}

void cp_verbs_already_exists(struct cp_api_response *rs,
                             const struct cp_resource_type *t,
                             const char *name) {
  cp_verbs_object_failure(rs, 409, "AlreadyExists", t, name, "",
                          " already exists");
}

void cp_verbs_invalid(struct cp_api_response *rs,
                      const struct cp_resource_type *t, const char *name,
                      const char *field, const char *reason,
                      const char *detail) {
  struct cp_status_cause cause = {reason, detail, field};
  struct cp_status_details d = {.name = name,
                                .group = t->group,
                                .kind = t->kind,
                                .causes = &cause,
                                .n_causes = 1};
  char *msg = NULL;

  if (asprintf(&msg, "%s \"%s\" is invalid: %s: %s", t->kind,
               name != NULL ? name : "", field, detail) < 0)
    msg = NULL;
  if (t->group[0] == '\0')
    d.group = NULL;
  cp_api_respond_status(rs, 422,
                        msg ? cp_status_failure(422, NULL, msg, &d) : NULL);
  free(msg);
}

void cp_verbs_store_error(struct cp_api_response *rs, int rc) {
  int code = rc == CP_STORE_ETOOLARGE      ? 413
             : rc == CP_STORE_EUNAVAILABLE ? 503
             : rc == CP_STORE_ECOMPACTED   ? 410
             : rc == CPLANE_ENOMEM         ? 500
                                           : 500;
  const char *what =
      rc == CP_STORE_ETOOLARGE ? "the object is larger than the store accepts"
      : rc == CP_STORE_EUNAVAILABLE ? "the store is unavailable; retry later"
      : rc == CP_STORE_ECOMPACTED ? "the requested resourceVersion is compacted"
                                  : cp_store_strerror(rc);

  cp_api_respond_status(rs, code, cp_status_failure(code, NULL, what, NULL));
}

/* ------------------------------------------------------------ list */

/* kube-apiserver's ListOptions checks on resourceVersionMatch: 422
 * Invalid, with its wording. Returns -1 after responding. */
/* 422 for a bad request option, as kube-apiserver words it:
 * "<Kind>.meta.k8s.io "" is invalid: <field>: <detail>", with the cause. */
void cp_verbs_options_invalid(struct cp_api_response *rs, const char *kind,
                              const char *field, const char *reason,
                              const char *detail) {
  struct cp_status_cause cause = {reason, detail, field};
  struct cp_status_details d = {.name = "",
                                .group = "meta.k8s.io",
                                .kind = kind,
                                .causes = &cause,
                                .n_causes = 1};
  char *msg = NULL;

  if (asprintf(&msg, "%s.meta.k8s.io \"\" is invalid: %s: %s", kind, field,
               detail) < 0)
    msg = NULL;
  cp_api_respond_status(rs, 422,
                        msg ? cp_status_failure(422, NULL, msg, &d) : NULL);
  free(msg);
}

/* "<resource> "<name>" is forbidden: <why>" (no name when unknown), as
 * kube-apiserver's admission words a refusal; cause may be NULL. */
void cp_verbs_forbidden(struct cp_api_response *rs,
                        const struct cp_resource_type *t, const char *name,
                        const char *why, const struct cp_status_cause *cause) {
  struct cp_status_details d = {.name = name,
                                .group = t->group,
                                .kind = t->resource,
                                .causes = cause,
                                .n_causes = cause != NULL ? 1 : 0};
  char qr[256], *msg = NULL;
  int n;

  cp_verbs_qualified_resource(t, qr, sizeof qr);
  if (name != NULL && name[0] != '\0')
    n = asprintf(&msg, "%s \"%s\" is forbidden: %s", qr, name, why);
  else
    n = asprintf(&msg, "%s is forbidden: %s", qr, why);
  if (n < 0)
    msg = NULL;
  if (t->group[0] == '\0')
    d.group = NULL;
  cp_api_respond_status(
      rs, 403, msg ? cp_status_failure(403, "Forbidden", msg, &d) : NULL);
  free(msg);
}

int cp_verbs_dry_run(struct cp_api_request *rq) {
  const char *d = cp_query_get(&rq->query, "dryRun");

  return d != NULL && strcmp(d, "All") == 0;
}

/* ------------------------------------------------------------ keys */

/* 1 when t's keys start with its group: custom resources, so that two
 * groups' "widgets" never collide, and metrics.k8s.io, whose nodes and
 * pods would otherwise share core's keys. */
static int key_has_group(const struct cp_resource_type *t) {
  return !t->builtin || strcmp(t->group, "metrics.k8s.io") == 0;
}

char *cp_api_key(const struct cp_resource_type *t, const char *ns,
                 const char *name) {
  char *k = NULL;
  int n;

  /* Built-in kinds as kube-apiserver lays them out, but for those
   * key_has_group names. */
  if (key_has_group(t))
    n = asprintf(&k, "%s/%s/%s%s%s", t->group, t->resource, ns ? ns : "",
                 ns ? "/" : "", name ? name : "");
  else
    n = asprintf(&k, "%s/%s%s%s", t->resource, ns ? ns : "", ns ? "/" : "",
                 name ? name : "");
  return n < 0 ? NULL : k;
}

/* ------------------------------------------------------------ routing */

static char *dup_seg(const char *s, size_t n) {
  char *d = malloc(n + 1);

  if (d != NULL) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

int cp_api_route(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                 char **status_body) {
  char *segs[10];
  size_t n = 0, i = 0, k;
  const char *p = rq->path, *group, *version, *resource;
  int rc = 0;

  *status_body = NULL;
  while (*p == '/')
    p++;
  while (*p != '\0' && n < 10) {
    const char *e = strchr(p, '/');
    size_t len = e ? (size_t)(e - p) : strlen(p);

    if ((segs[n] = dup_seg(p, len)) == NULL)
      goto nomem;
    n++;
    p += len;
    while (*p == '/')
      p++;
  }
  if (*p != '\0')
    goto unknown;
  if (n >= 2 && strcmp(segs[0], "api") == 0) {
    group = "";
    version = segs[1];
    i = 2;
  } else if (n >= 3 && strcmp(segs[0], "apis") == 0) {
    group = segs[1];
    version = segs[2];
    i = 3;
  } else {
    goto out; /* not a resource path */
  }
  if (i == n)
    goto out; /* discovery of a group/version */
  /* namespaces/NS/RESOURCE... names a namespaced resource; namespaces/NS
   * alone (or with status/finalize) the namespace object itself. */
  if (strcmp(segs[i], "namespaces") == 0 && n - i >= 3 &&
      strcmp(segs[i + 2], "status") != 0 &&
      strcmp(segs[i + 2], "finalize") != 0) {
    rq->ns = strdup(segs[i + 1]);
    if (rq->ns == NULL)
      goto nomem;
    i += 2;
  }
  resource = segs[i++];
  rq->type = cp_resources_find(ctx->resources, group, version, resource);
  if (rq->type == NULL)
    goto unknown;
  if (rq->ns != NULL && !rq->type->namespaced)
    goto unknown;
  if (i < n && (rq->name = strdup(segs[i++])) == NULL)
    goto nomem;
  if (i < n && (rq->subresource = strdup(segs[i++])) == NULL)
    goto nomem;
  if (i < n)
    goto unknown;
  rc = 1;
  goto out;
unknown:
  rc = -1;
  {
    /* kube's 404 for a path it does not serve: empty details. */
    struct cp_status_details d = {0};

    *status_body = cp_status_failure(404, NULL,
                                     "the server could not find the "
                                     "requested resource",
                                     &d);
  }
  goto out;
nomem:
  rc = -1;
  *status_body = NULL;
out:
  for (k = 0; k < n; k++)
    free(segs[k]);
  return rc;
}

static const char *label_of(void *userdata, const char *key) {
  return get_str(get(get(userdata, "metadata"), "labels"), key);
}

struct cp_api_selectors {
  cp_selector *labels;
  struct cp_field_selector fields;
};

static int selectors_parse(struct cp_api_request *rq,
                           struct cp_api_selectors *s,
                           struct cp_api_response *rs) {
  char *err = NULL;
  size_t i;

  memset(s, 0, sizeof *s);
  if (cp_selector_parse(cp_query_get(&rq->query, "labelSelector"), &s->labels,
                        &err) != CPLANE_OK) {
    cp_api_respond_status(rs, 400, cp_status_failure(400, NULL, err, NULL));
    free(err);
    return -1;
  }
  if (cp_field_selector_parse(cp_query_get(&rq->query, "fieldSelector"),
                              &s->fields, &err) != 0) {
    cp_api_respond_status(rs, 400,
                          cp_status_failure(400, NULL,
                                            err ? err
                                                : "bad field "
                                                  "selector",
                                            NULL));
    free(err);
    cp_selector_free(s->labels);
    return -1;
  }
  for (i = 0; rq->type != NULL && i < s->fields.n; i++) {
    if (cp_strategy_field_label_ok(rq->type, s->fields.terms[i].path))
      continue;
    cp_api_respond_status(rs, 400,
                          cp_status_failuref(400,
                                             "field label not supported: %s",
                                             s->fields.terms[i].path));
    cp_field_selector_free(&s->fields);
    cp_selector_free(s->labels);
    return -1;
  }
  return 0;
}

static void selectors_free(struct cp_api_selectors *s) {
  cp_selector_free(s->labels);
  cp_field_selector_free(&s->fields);
}

/* s is NULL when the request had no selectors: everything matches. */
static int selectors_match(const struct cp_api_selectors *s, json_object *o) {
  if (s == NULL)
    return 1;
  return (s->labels == NULL ||
          cp_selector_matches_fn(s->labels, label_of, o)) &&
         cp_field_selector_matches(&s->fields, o);
}

int cp_api_selectors_parse(struct cp_api_request *rq,
                           struct cp_api_selectors **out,
                           struct cp_api_response *rs) {
  const char *l = cp_query_get(&rq->query, "labelSelector");
  const char *f = cp_query_get(&rq->query, "fieldSelector");
  struct cp_api_selectors *s;

  *out = NULL;
  if ((l == NULL || l[0] == '\0') && (f == NULL || f[0] == '\0'))
    return 0; /* none: everything matches */
  if ((s = calloc(1, sizeof *s)) == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  if (selectors_parse(rq, s, rs) < 0) {
    free(s);
    return -1;
  }
  *out = s;
  return 0;
}

void cp_api_selectors_free(struct cp_api_selectors *s) {
  if (s == NULL)
    return;
  selectors_free(s);
  free(s);
}

int cp_api_selectors_match(const struct cp_api_selectors *s, json_object *o) {
  return selectors_match(s, o);
}
