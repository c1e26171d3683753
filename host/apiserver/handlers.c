/*
 * handlers - the verbs on resources: get, list, create, update, patch,
 * delete, and the status, scale, binding and finalize subresources. They
 * run on worker threads, call the store, and fill a response.
 *
 * Namespaces follow kube-apiserver's lifecycle: created with the
 * "kubernetes" finalizer in spec.finalizers and phase Active; a DELETE
 * marks them Terminating until the finalize subresource has emptied
 * spec.finalizers (the namespace plugin does that once the namespace is
 * empty); nothing new is created in a Terminating namespace.
 *
 * Objects are stored as compact JSON without metadata.resourceVersion:
 * the store's mod_revision is the resourceVersion, filled in on the way
 * out, as kube-apiserver does with etcd.
 */
#include "apiserver/request.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "apiserver/continue_token.h"
#include "apiserver/crd.h"
#include "apiserver/crd_cleanup.h"
#include "apiserver/nscache.h"
#include "apiserver/patch.h"
#include "apiserver/schema.h"
#include "apiserver/status.h"
#include "apiserver/strategy/strategy.h"
#include "object/json_buf.h"
#include "object/json_strict.h"
#include "labels/names.h"
#include "labels/selector.h"
#include "log/log.h"

/* Compact, and '/' left alone as kube-apiserver writes it. */
#define JSON_OUT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

#define JSON_TYPE "application/json"
#define MAX_DEPTH 64
#define CAS_RETRIES 8
#define LIST_PAGE_MAX 10000

/* ------------------------------------------------------------ helpers */

void cp_api_request_clear(struct cp_api_request *rq) {
  free(rq->path);
  cp_query_free(&rq->query);
  free(rq->accept);
  free(rq->content_type);
  free(rq->body);
  free(rq->ns);
  free(rq->name);
  free(rq->subresource);
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

static void respond_text(struct cp_api_response *rs, int code, char *text) {
  if (text == NULL) {
    cp_api_respond_status(rs, 500, cp_status_failure(500, NULL, "out of "
                                                    "memory", NULL));
    return;
  }
  free(rs->body);
  rs->code = code;
  rs->content_type = JSON_TYPE;
  rs->body = text;
  rs->len = strlen(text);
}

static char *to_text(json_object *o) {
  const char *t = json_object_to_json_string_ext(o, JSON_OUT);

  return t != NULL ? strdup(t) : NULL;
}

static json_object *get(json_object *o, const char *k) {
  json_object *v = NULL;

  if (o == NULL || !json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, k, &v))
    return NULL;
  return v;
}

static const char *get_str(json_object *o, const char *k) {
  json_object *v = get(o, k);

  return v != NULL && json_object_is_type(v, json_type_string)
             ? json_object_get_string(v)
             : NULL;
}

/* metadata of o, created when absent or not an object. */
static json_object *metadata(json_object *o) {
  json_object *m = get(o, "metadata");

  if (m == NULL || !json_object_is_type(m, json_type_object)) {
    m = json_object_new_object();
    json_object_object_add(o, "metadata", m);
  }
  return m;
}

/* generation + 1, saturating: a stored generation at INT64_MAX must not
 * overflow (undefined behaviour). */
static int64_t next_generation(int64_t g) {
  return g < INT64_MAX ? g + 1 : g;
}

static void set_str(json_object *o, const char *k, const char *v) {
  json_object_object_add(o, k, json_object_new_string(v));
}

static void set_rv(json_object *o, int64_t rv) {
  char buf[32];

  snprintf(buf, sizeof buf, "%" PRId64, rv);
  set_str(metadata(o), "resourceVersion", buf);
}

/* Parses a body strictly (object/json_strict: exactly what kube's
 * decoder takes, so nothing a real client cannot read is ever stored),
 * with a depth limit so a hostile document cannot recurse the parser into
 * the ground. Duplicate keys are reported in *dups when it is not NULL.
 * NULL with *err set on failure (and for the literal null). */
static json_object *parse_body_dups(const char *s, size_t n,
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

static json_object *parse_body(const char *s, size_t n, char **err) {
  return parse_body_dups(s, n, NULL, err);
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
static json_object *parse_stored(const struct cp_resource_type *t,
                                 const cp_store_kv *kv) {
  char *err = NULL;
  json_object *o = parse_body((const char *)kv->value, kv->value_len, &err);
  char gv[300];

  free(err);
  if (o == NULL &&
      (o = parse_legacy((const char *)kv->value, kv->value_len)) == NULL)
    return NULL;
  set_rv(o, kv->mod_revision);
  if (t != NULL && !t->builtin)
    set_str(o, "apiVersion", cp_resource_group_version(t, gv, sizeof gv));
  /* A built-in kind served in several versions (autoscaling v1/v2 HPA):
   * every read converts to the version asked for. */
  if (t != NULL && t->builtin && cp_strategy_for(t)->convert != NULL)
    cp_strategy_for(t)->convert(o, t->version);
  return o;
}

/* Strips what must not be stored (the resourceVersion) and serializes. */
static char *stored_text(json_object *o) {
  json_object_object_del(metadata(o), "resourceVersion");
  return to_text(o);
}

static void now_rfc3339(char *buf, size_t len) {
  time_t t = time(NULL);
  struct tm tm;

  gmtime_r(&t, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void new_uid(char *buf, size_t len) {
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
static void qualified_resource(const struct cp_resource_type *t, char *buf,
                               size_t len) {
  if (t->group[0] == '\0')
    snprintf(buf, len, "%s", t->resource);
  else
    snprintf(buf, len, "%s.%s", t->resource, t->group);
}

/* A failure about one object, worded as kube-apiserver does:
 * "<before><resource.group> "<name>"<after>", with details naming the
 * object (the group omitted for the core group). */
static void object_failure(struct cp_api_response *rs, int code,
                           const char *reason,
                           const struct cp_resource_type *t,
                           const char *name, const char *before,
                           const char *after) {
  struct cp_status_details d = {.name = name, .group = t->group,
                                .kind = t->resource};
  char qr[256], *msg = NULL;

  qualified_resource(t, qr, sizeof qr);
  if (asprintf(&msg, "%s%s \"%s\"%s", before, qr, name, after) < 0)
    msg = NULL;
  if (t->group[0] == '\0')
    d.group = NULL;
  cp_api_respond_status(
      rs, code, msg ? cp_status_failure(code, reason, msg, &d) : NULL);
  free(msg);
}

static void not_found(struct cp_api_response *rs,
                      const struct cp_resource_type *t, const char *name) {
  object_failure(rs, 404, NULL, t, name, "", " not found");
}

static void conflict(struct cp_api_response *rs,
                     const struct cp_resource_type *t, const char *name) {
  object_failure(rs, 409, NULL, t, name, "Operation cannot be fulfilled on ",
                 ": the object has been modified; please apply your changes "
                 "to the latest version and try again");
}

static void already_exists(struct cp_api_response *rs,
                           const struct cp_resource_type *t,
                           const char *name) {
  object_failure(rs, 409, "AlreadyExists", t, name, "", " already exists");
}

static void invalid(struct cp_api_response *rs,
                    const struct cp_resource_type *t, const char *name,
                    const char *field, const char *reason,
                    const char *detail) {
  struct cp_status_cause cause = {reason, detail, field};
  struct cp_status_details d = {.name = name, .group = t->group,
                                .kind = t->kind, .causes = &cause,
                                .n_causes = 1};
  char *msg = NULL;

  if (asprintf(&msg, "%s \"%s\" is invalid: %s: %s", t->kind,
               name != NULL ? name : "", field, detail) < 0)
    msg = NULL;
  if (t->group[0] == '\0')
    d.group = NULL;
  cp_api_respond_status(rs, 422, msg ? cp_status_failure(422, NULL, msg, &d)
                                     : NULL);
  free(msg);
}

static void store_error(struct cp_api_response *rs, int rc) {
  int code = rc == CP_STORE_ETOOLARGE ? 413
             : rc == CP_STORE_EUNAVAILABLE ? 503
             : rc == CP_STORE_ECOMPACTED ? 410
             : rc == CPLANE_ENOMEM ? 500
                                   : 500;
  const char *what = rc == CP_STORE_ETOOLARGE
                         ? "the object is larger than the store accepts"
                     : rc == CP_STORE_EUNAVAILABLE
                         ? "the store is unavailable; retry later"
                     : rc == CP_STORE_ECOMPACTED
                         ? "the requested resourceVersion is compacted"
                         : cp_store_strerror(rc);

  cp_api_respond_status(rs, code, cp_status_failure(code, NULL, what, NULL));
}

/* ------------------------------------------------------------ keys */

char *cp_api_key(const struct cp_resource_type *t, const char *ns,
                 const char *name) {
  char *k = NULL;
  int n;

  /* Built-in kinds as kube-apiserver lays them out; custom resources
   * under their group so two groups' "widgets" never collide. */
  if (!t->builtin)
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
  *status_body = cp_status_failuref(404, "the server could not find the "
                                         "requested resource");
  goto out;
nomem:
  rc = -1;
  *status_body = NULL;
out:
  for (k = 0; k < n; k++)
    free(segs[k]);
  return rc;
}

/* ------------------------------------------------------------ selectors */

/* A field selector: comma-separated path=value, path==value or
 * path!=value terms on dotted JSON paths (metadata.name, spec.nodeName,
 * status.phase, involvedObject.uid, ...). */
struct field_term {
  char *path, *value;
  int negate;
};

struct field_sel {
  struct field_term *terms;
  size_t n;
};

static void field_sel_free(struct field_sel *f) {
  size_t i;

  for (i = 0; i < f->n; i++) {
    free(f->terms[i].path);
    free(f->terms[i].value);
  }
  free(f->terms);
  memset(f, 0, sizeof *f);
}

static int field_sel_parse(const char *text, struct field_sel *f,
                           char **err) {
  char *copy, *save = NULL, *term;
  int rc = 0;

  memset(f, 0, sizeof *f);
  if (text == NULL || text[0] == '\0')
    return 0;
  if ((copy = strdup(text)) == NULL)
    return -1;
  for (term = strtok_r(copy, ",", &save); term != NULL;
       term = strtok_r(NULL, ",", &save)) {
    char *op = strstr(term, "!="), *v;
    int negate = op != NULL;
    struct field_term *ts;

    if (op == NULL)
      op = strstr(term, "==");
    if (op != NULL) {
      *op = '\0';
      v = op + 2;
    } else if ((op = strchr(term, '=')) != NULL) {
      *op = '\0';
      v = op + 1;
    } else {
      if (asprintf(err, "invalid field selector \"%s\": \"%s\" is not "
                        "key=value, key==value or key!=value",
                   text, term) < 0)
        *err = NULL;
      rc = -1;
      break;
    }
    ts = realloc(f->terms, (f->n + 1) * sizeof *ts);
    if (ts == NULL) {
      rc = -1;
      break;
    }
    f->terms = ts;
    ts[f->n].path = strdup(term);
    ts[f->n].value = strdup(v);
    ts[f->n].negate = negate;
    f->n++;
  }
  free(copy);
  if (rc != 0)
    field_sel_free(f);
  return rc;
}

/* The string at a dotted path, "" when absent (kube compares absent
 * fields as empty). */
static const char *field_value(json_object *o, const char *path,
                               char *buf, size_t len) {
  const char *p = path;
  json_object *cur = o;

  while (*p != '\0' && cur != NULL) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    char key[256];

    if (n >= sizeof key)
      return "";
    memcpy(key, p, n);
    key[n] = '\0';
    cur = get(cur, key);
    p += n;
    if (*p == '.')
      p++;
  }
  if (cur == NULL)
    return "";
  if (json_object_is_type(cur, json_type_string))
    return json_object_get_string(cur);
  snprintf(buf, len, "%s", json_object_to_json_string_ext(
                               cur, JSON_OUT));
  return buf;
}

static int field_sel_matches(const struct field_sel *f, json_object *o) {
  size_t i;
  char buf[256];

  for (i = 0; i < f->n; i++) {
    int eq = strcmp(field_value(o, f->terms[i].path, buf, sizeof buf),
                    f->terms[i].value) == 0;

    if (eq == f->terms[i].negate)
      return 0;
  }
  return 1;
}

static const char *label_of(void *userdata, const char *key) {
  return get_str(get(get(userdata, "metadata"), "labels"), key);
}

struct cp_api_selectors {
  cp_selector *labels;
  struct field_sel fields;
};

static int selectors_parse(struct cp_api_request *rq,
                           struct cp_api_selectors *s,
                           struct cp_api_response *rs);
static void selectors_free(struct cp_api_selectors *s);
static int selectors_match(const struct cp_api_selectors *s,
                           json_object *o);

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

int cp_api_selectors_match(const struct cp_api_selectors *s,
                           json_object *o) {
  return selectors_match(s, o);
}

json_object *cp_api_parse_stored(const struct cp_resource_type *t,
                                 const cp_store_kv *kv) {
  return parse_stored(t, kv);
}

char *cp_api_to_text(json_object *o) { return to_text(o); }

/* Parses the request's selectors; on a bad one responds 400. */
/* The field labels kube-apiserver lets each built-in kind be selected by
 * (besides metadata.name and metadata.namespace, which every kind has). A
 * field outside them is refused, as kube refuses it, rather than silently
 * matching nothing. */
static const struct {
  const char *group, *resource;
  const char *fields[12];
} field_labels[] = {
    {"", "pods",
     {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
      "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
      "status.podIP", "status.podIPs", "status.nominatedNodeName", NULL}},
    {"", "events",
     {"involvedObject.kind", "involvedObject.namespace",
      "involvedObject.name", "involvedObject.uid",
      "involvedObject.apiVersion", "involvedObject.resourceVersion",
      "involvedObject.fieldPath", "reason", "reportingComponent", "source",
      "type", NULL}},
    {"", "nodes", {"spec.unschedulable", NULL}},
    {"", "namespaces", {"status.phase", NULL}},
    {"", "secrets", {"type", NULL}},
    {"apps", "replicasets", {"status.replicas", NULL}},
};

static int field_label_ok(const struct cp_resource_type *t,
                          const char *path) {
  size_t i, j;

  if (strcmp(path, "metadata.name") == 0 ||
      strcmp(path, "metadata.namespace") == 0)
    return 1;
  for (i = 0; i < sizeof field_labels / sizeof field_labels[0]; i++) {
    if (strcmp(field_labels[i].group, t->group) != 0 ||
        strcmp(field_labels[i].resource, t->resource) != 0)
      continue;
    for (j = 0; field_labels[i].fields[j] != NULL; j++)
      if (strcmp(field_labels[i].fields[j], path) == 0)
        return 1;
  }
  return 0;
}

static int selectors_parse(struct cp_api_request *rq,
                           struct cp_api_selectors *s,
                           struct cp_api_response *rs) {
  char *err = NULL;
  size_t i;

  memset(s, 0, sizeof *s);
  if (cp_selector_parse(cp_query_get(&rq->query, "labelSelector"),
                        &s->labels, &err) != CPLANE_OK) {
    cp_api_respond_status(rs, 400, cp_status_failure(400, NULL, err, NULL));
    free(err);
    return -1;
  }
  if (field_sel_parse(cp_query_get(&rq->query, "fieldSelector"), &s->fields,
                      &err) != 0) {
    cp_api_respond_status(
        rs, 400, cp_status_failure(400, NULL, err ? err : "bad field "
                                                          "selector", NULL));
    free(err);
    cp_selector_free(s->labels);
    return -1;
  }
  for (i = 0; rq->type != NULL && i < s->fields.n; i++) {
    if (field_label_ok(rq->type, s->fields.terms[i].path))
      continue;
    cp_api_respond_status(
        rs, 400, cp_status_failuref(400, "field label not supported: %s",
                                    s->fields.terms[i].path));
    field_sel_free(&s->fields);
    cp_selector_free(s->labels);
    return -1;
  }
  return 0;
}

static void selectors_free(struct cp_api_selectors *s) {
  cp_selector_free(s->labels);
  field_sel_free(&s->fields);
}

/* s is NULL when the request had no selectors: everything matches. */
static int selectors_match(const struct cp_api_selectors *s,
                           json_object *o) {
  if (s == NULL)
    return 1;
  return (s->labels == NULL || cp_selector_matches_fn(s->labels, label_of,
                                                      o)) &&
         field_sel_matches(&s->fields, o);
}

/* ------------------------------------------------------------ get */

static char *scale_text(const struct cp_resource_type *t, json_object *o) {
  json_object *md = get(o, "metadata"), *s = json_object_new_object();
  json_object *smd = json_object_new_object(), *spec, *status;
  json_object *sel = get(get(get(o, "spec"), "selector"), "matchLabels");
  json_object *rep = get(get(o, "spec"), "replicas");
  json_object *srep = get(get(o, "status"), "replicas");
  const char *keys[] = {"name", "namespace", "uid", "resourceVersion",
                        "creationTimestamp"};
  char selbuf[1024] = "";
  size_t i, used = 0;
  char *text;

  (void)t;
  set_str(s, "kind", "Scale");
  set_str(s, "apiVersion", "autoscaling/v1");
  for (i = 0; i < 5; i++)
    if (get_str(md, keys[i]) != NULL)
      set_str(smd, keys[i], get_str(md, keys[i]));
  json_object_object_add(s, "metadata", smd);
  spec = json_object_new_object();
  json_object_object_add(spec, "replicas",
                         json_object_new_int(rep ? json_object_get_int(rep)
                                                 : 1));
  json_object_object_add(s, "spec", spec);
  status = json_object_new_object();
  json_object_object_add(
      status, "replicas",
      json_object_new_int(srep ? json_object_get_int(srep) : 0));
  if (sel != NULL && json_object_is_type(sel, json_type_object)) {
    json_object_object_foreach(sel, k, v) {
      int w = snprintf(selbuf + used, sizeof selbuf - used, "%s%s=%s",
                       used ? "," : "", k, json_object_get_string(v));

      if (w < 0 || (size_t)w >= sizeof selbuf - used)
        break;
      used += (size_t)w;
    }
  }
  set_str(status, "selector", selbuf);
  json_object_object_add(s, "status", status);
  text = to_text(s);
  json_object_put(s);
  return text;
}

static void do_get(struct cp_api_ctx *ctx, struct cp_api_request *rq,
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
    not_found(rs, rq->type, rq->name);
    goto out;
  }
  if (rc != CPLANE_OK) {
    store_error(rs, rc);
    goto out;
  }
  if ((o = parse_stored(rq->type, &kv)) == NULL)
    goto nomem;
  if (rq->subresource != NULL && strcmp(rq->subresource, "scale") == 0)
    respond_text(rs, 200, scale_text(rq->type, o));
  else
    respond_text(rs, 200, to_text(o));
  goto out;
nomem:
  cp_api_respond_status(rs, 500, NULL);
out:
  json_object_put(o);
  cp_store_kv_free(&kv);
  free(key);
}

/* ------------------------------------------------------------ list */

/* kube-apiserver's ListOptions checks on resourceVersionMatch: 422
 * Invalid, with its wording. Returns -1 after responding. */
/* 422 for a bad request option, as kube-apiserver words it:
 * "<Kind>.meta.k8s.io "" is invalid: <field>: <detail>", with the cause. */
static void options_invalid(struct cp_api_response *rs, const char *kind,
                            const char *field, const char *reason,
                            const char *detail) {
  struct cp_status_cause cause = {reason, detail, field};
  struct cp_status_details d = {.name = "", .group = "meta.k8s.io",
                                .kind = kind, .causes = &cause,
                                .n_causes = 1};
  char *msg = NULL;

  if (asprintf(&msg, "%s.meta.k8s.io \"\" is invalid: %s: %s", kind, field,
               detail) < 0)
    msg = NULL;
  cp_api_respond_status(rs, 422, msg ? cp_status_failure(422, NULL, msg, &d)
                                     : NULL);
  free(msg);
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
    snprintf(buf, sizeof buf, "Unsupported value: \"%.64s\": supported "
                              "values: \"Exact\", \"NotOlderThan\"", m);
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
  options_invalid(rs, "ListOptions", "resourceVersionMatch", reason, why);
  return -1;
}

/* A list at a resourceVersion the store has not reached: kube's
 * NewTooLargeResourceVersionError, a 504 Timeout clients retry after a
 * second, not a 500. */
static void too_large_rv(struct cp_api_ctx *ctx, struct cp_api_response *rs,
                         int64_t want) {
  struct cp_status_cause cause = {"ResourceVersionTooLarge",
                                  "Too large resource version", NULL};
  struct cp_status_details d = {.causes = &cause, .n_causes = 1,
                                .retry_after_seconds = 1};
  int64_t cur = 0;
  char msg[128];

  cp_store_current_revision(ctx->store, &cur);
  snprintf(msg, sizeof msg, "Timeout: Too large resource version: %" PRId64
           ", current: %" PRId64, want, cur);
  cp_api_respond_status(rs, 504, cp_status_failure(504, "Timeout", msg, &d));
}

static void do_list(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                    struct cp_api_response *rs) {
  struct cp_api_selectors sel;
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
    cp_api_respond_status(rs, 400, cp_status_failuref(400, "limit must be "
                                                           "a non-negative "
                                                           "integer"));
    free(prefix);
    return;
  }
  if (selectors_parse(rq, &sel, rs) < 0) {
    free(prefix);
    return;
  }
  if (cont != NULL && cont[0] != '\0' &&
      cp_continue_decode(cont, &rev, &start, &start_len) < 0) {
    cp_api_respond_status(rs, 400, cp_status_failuref(400, "invalid continue "
                                                           "token"));
    goto out;
  }
  if (list_options_invalid(rq, rs) < 0)
    goto out;
  if (cont == NULL && rv_match != NULL && strcmp(rv_match, "Exact") == 0) {
    int64_t r = 0;

    if (cp_query_int(&rq->query, "resourceVersion", 1, INT64_MAX, &r) != 1) {
      cp_api_respond_status(rs, 422, cp_status_failuref(
                                         422, "resourceVersionMatch=Exact "
                                              "needs a resourceVersion"));
      goto out;
    }
    rev = r;
  } else if (cont == NULL || cont[0] == '\0') {
    int64_t r = 0, cur = 0;

    /* NotOlderThan (resourceVersionMatch or none): a revision the store
     * has not reached yet cannot be served. */
    if (cp_query_int(&rq->query, "resourceVersion", 1, INT64_MAX, &r) == 1 &&
        cp_store_current_revision(ctx->store, &cur) == CPLANE_OK &&
        r > cur) {
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
          rs, 410, cp_status_failuref(410, "too old resource version: %" PRId64
                                   " (%" PRId64 ")",
                              rev, cur));
      goto out;
    }
    if (rc == CP_STORE_EFUTURE) {
      too_large_rv(ctx, rs, rev);
      goto out;
    }
    if (rc == CP_STORE_ECOMPACTED) {
      cp_api_respond_status(
          rs, 410, cp_status_failure(410, "Expired", "The provided continue "
                                     "parameter is too old to display a "
                                     "consistent list result. You can start "
                                     "a new list without the continue "
                                     "parameter.", NULL));
      goto out;
    }
    if (rc != CPLANE_OK) {
      store_error(rs, rc);
      goto out;
    }
    rev = res.revision;
    for (i = 0; i < res.count; i++) {
      json_object *o = parse_stored(rq->type, &res.kvs[i]);

      if (o == NULL)
        continue;
      if (selectors_match(&sel, o)) {
        char *t = to_text(o);

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
    respond_text(rs, 200, items.nomem ? NULL : cp_json_buf_take(&out));
    cp_json_buf_reset(&out);
  }
out:
  cp_json_buf_reset(&items);
  free(start);
  free(prefix);
  selectors_free(&sel);
}

/* ------------------------------------------------------------ validation */

/* 422 for one field whose value is wrong: "Invalid value: "v": why". */
static void invalid_value(struct cp_api_response *rs,
                          const struct cp_resource_type *t, const char *name,
                          const char *field, const char *value,
                          const char *why) {
  char *detail = NULL;

  if (asprintf(&detail, "Invalid value: \"%s\": %s", value, why) < 0)
    detail = NULL;
  invalid(rs, t, name, field, "FieldValueInvalid", detail ? detail : why);
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
    invalid(rs, t, name, "metadata.annotations", "FieldValueTooLong",
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
    invalid(rs, t, name, "metadata.finalizers", "FieldValueInvalid",
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

/* A pod needs at least one container ("spec.containers: Required
 * value"), or it would be shown Running with nothing in it; no spec at
 * all is the same answer. */
static int validate_pod(const struct cp_resource_type *t, json_object *o,
                        struct cp_api_response *rs) {
  json_object *cs = get(get(o, "spec"), "containers");

  if (cs != NULL && json_object_is_type(cs, json_type_array) &&
      json_object_array_length(cs) > 0)
    return 0;
  invalid(rs, t, get_str(get(o, "metadata"), "name"), "spec.containers",
          "FieldValueRequired", "Required value");
  return -1;
}

/* The core/v1 Event checks of kube's legacyValidateEvent (events.go):
 * an event about a namespaced object lives in that object's namespace;
 * one about a cluster-scoped object (involvedObject.namespace empty,
 * which an empty or absent involvedObject is) only in "default", or,
 * for a new-style event (eventTime set), also "kube-system". A
 * new-style event also needs its reporting fields, action and reason,
 * each bounded (the *LengthLimit constants of events.go), and names its
 * reporter by a qualified name. */
static int validate_event(const struct cp_resource_type *t, json_object *o,
                          struct cp_api_response *rs) {
  const char *name = get_str(get(o, "metadata"), "name");
  const char *ns = get_str(get(o, "metadata"), "namespace");
  const char *ions = get_str(get(o, "involvedObject"), "namespace");
  const char *et = get_str(o, "eventTime");
  int legacy = et == NULL || et[0] == '\0';
  static const struct {
    const char *field;
    int required;
    size_t max; /* 0: no bound */
  } fields[] = {{"reportingComponent", 1, 0}, {"reportingInstance", 1, 128},
                {"action", 1, 128},           {"reason", 1, 128},
                {"message", 0, 1024}};
  char why[64];
  size_t i;

  if (ns == NULL)
    ns = "";
  if (ions == NULL)
    ions = "";
  if (ions[0] != '\0' ? legacy && strcmp(ns, ions) != 0
                      : strcmp(ns, "default") != 0 &&
                            (legacy ? ns[0] != '\0'
                                    : strcmp(ns, "kube-system") != 0)) {
    invalid_value(rs, t, name, "involvedObject.namespace", ions,
                  "does not match event.namespace");
    return -1;
  }
  if (legacy)
    return 0;
  for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    const char *v = get_str(o, fields[i].field), *bad;

    if (fields[i].required && (v == NULL || v[0] == '\0')) {
      invalid(rs, t, name, fields[i].field, "FieldValueRequired",
              "Required value");
      return -1;
    }
    if (v != NULL && fields[i].max > 0 && strlen(v) > fields[i].max) {
      snprintf(why, sizeof why, "can have at most %zu characters",
               fields[i].max);
      invalid_value(rs, t, name, fields[i].field, "", why);
      return -1;
    }
    if (i == 0 && (bad = cp_name_qualified_error(v)) != NULL) {
      invalid_value(rs, t, name, fields[i].field, v, bad);
      return -1;
    }
  }
  return 0;
}

/* Kind-specific checks kube's validation makes that the schema cannot. */
static int validate_kind(const struct cp_resource_type *t, json_object *o,
                         struct cp_api_response *rs) {
  if (!t->builtin || t->group[0] != '\0')
    return 0;
  if (strcmp(t->resource, "pods") == 0)
    return validate_pod(t, o, rs);
  if (strcmp(t->resource, "events") == 0)
    return validate_event(t, o, rs);
  return 0;
}

/* Checks what every object needs; responds and returns -1 if not. */
static int validate_meta(const struct cp_resource_type *t, json_object *o,
                         struct cp_api_response *rs) {
  json_object *md = get(o, "metadata"), *labels = get(md, "labels");
  const char *name = get_str(md, "name"), *why;

  why = t->namespaced || strcmp(t->resource, "namespaces") != 0
            ? cp_name_dns1123_subdomain_error(name)
            : cp_name_dns1123_label_error(name);
  if (why != NULL) {
    invalid_value(rs, t, name, "metadata.name", name, why);
    return -1;
  }
  if (validate_annotations(t, name, get(md, "annotations"), rs) < 0 ||
      validate_finalizers(t, name, get(md, "finalizers"), rs) < 0 ||
      validate_kind(t, o, rs) < 0)
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
  if (asprintf(&detail, "Unsupported value: \"%s\": supported values: "
                        "\"\", \"Ignore\", \"Strict\", \"Warn\"", v) < 0)
    cp_api_respond_status(rs, 500, NULL);
  else
    options_invalid(rs, kind, "fieldValidation", "FieldValueNotSupported",
                    detail);
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
      cp_json_buf_puts(&b, i || n_dups ? ", unknown field \""
                                       : "unknown field \"");
      cp_json_buf_puts(&b, r.unknown[i]);
      cp_json_buf_puts(&b, "\"");
    }
    text = b.nomem ? NULL : cp_json_buf_take(&b);
    cp_api_respond_status(
        rs, 400, text ? cp_status_failuref(400, "%s in version \"%s\" cannot "
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
                           const struct cp_resource_type *t,
                           const char *name,
                           const struct cp_schema_result *r) {
  struct cp_status_cause *causes = calloc(r->n_errors + 1, sizeof *causes);
  struct cp_status_details d = {.name = name, .group = t->group,
                                .kind = t->kind, .causes = causes,
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
  cp_api_respond_status(rs, 422, msg ? cp_status_failure(422, NULL, msg, &d)
                                     : NULL);
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

/* "Deployment in version "v1" cannot be handled as a Deployment: json:
 * cannot unmarshal string into Go struct field Deployment.spec.replicas
 * of type int32" (Go names the innermost struct; the schema keeps only
 * the kind's name). Go's path has no list indices. */
static void undecodable(struct cp_api_response *rs,
                        const struct cp_resource_type *t,
                        const struct cp_schema_error *e) {
  char *path = strdup(e->field), *p, *q;

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
      path ? cp_status_failuref(400, "%s in version \"%s\" cannot be handled "
                                     "as a %s: json: cannot unmarshal %s into "
                                     "Go struct field %s.%s of type %s",
                                t->kind, t->version, t->kind, e->got,
                                t->kind, path, e->want)
           : NULL);
  free(path);
}

/* Types, required fields and enums of the object about to be stored.
 * Responds 422 and returns -1 when it is invalid; with body (a create or
 * update of a built-in kind: what kube decodes into a typed object), 400
 * for a value of the wrong type. */
static int schema_validate(struct cp_api_ctx *ctx,
                           const struct cp_resource_type *t, json_object *o,
                           int body, struct cp_api_response *rs) {
  const struct cp_schema *s = type_schema(ctx, t);
  struct cp_schema_result r = {0};
  const struct cp_schema_error *e;
  int rc = 0;

  if (s == NULL)
    return 0;
  if (cp_schema_validate(s, o, &r) > 0) {
    if (body && t->builtin && (e = first_type_error(&r)) != NULL)
      undecodable(rs, t, e);
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
    cp_api_respond_status(
        rs, 400, cp_status_failuref(400, "the body is a %s %s, but the "
                                         "request is for %s %s",
                                    av ? av : "?", kind ? kind : "?", gv,
                                    t->kind));
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
    cp_api_respond_status(
        rs, 400, cp_status_failuref(400, "the namespace of the provided "
                                         "object does not match the "
                                         "namespace sent on the request"));
    return -1;
  }
  set_str(md, "namespace", rq->ns);
  return 0;
}

static int is_namespaces(const struct cp_resource_type *t) {
  return t->builtin && t->group[0] == '\0' &&
         strcmp(t->resource, "namespaces") == 0;
}

/* "<resource> "<name>" is forbidden: <why>" (no name when unknown), as
 * kube-apiserver's admission words a refusal; cause may be NULL. */
static void forbidden(struct cp_api_response *rs,
                      const struct cp_resource_type *t, const char *name,
                      const char *why, const struct cp_status_cause *cause) {
  struct cp_status_details d = {.name = name, .group = t->group,
                                .kind = t->resource, .causes = cause,
                                .n_causes = cause != NULL ? 1 : 0};
  char qr[256], *msg = NULL;
  int n;

  qualified_resource(t, qr, sizeof qr);
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

/* kube-apiserver's NamespaceLifecycle for a create of `name` (NULL when
 * the body is unreadable) of type t in ns: the namespace must exist (404
 * NotFound) and not be terminating (403 Forbidden). Responds and returns
 * 0 when the create may not go on. */
/* Whether namespace ns is being deleted: 1 yes, 0 no, -1 after
 * responding (it does not exist, or the store failed). */
static int namespace_terminating(struct cp_api_ctx *ctx, const char *ns,
                                 struct cp_api_response *rs) {
  static const struct cp_resource_type ns_type = {
      "", "v1", "namespaces", "namespace", "Namespace", "NamespaceList",
      0, {"ns"}, CP_SUB_STATUS | CP_SUB_FINALIZE, 1};
  char *key;
  json_object *o = NULL;
  cp_store_kv kv;
  uint64_t epoch = 0;
  int rc, terminating = 0;

  if (ctx->ns_cache != NULL) {
    if (cp_ns_cache_get(ctx->ns_cache, ns, &terminating))
      return terminating;
    epoch = cp_ns_cache_epoch(ctx->ns_cache);
  }
  if ((key = cp_api_key(&ns_type, NULL, ns)) == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  memset(&kv, 0, sizeof kv);
  rc = cp_store_get(ctx->store, key, strlen(key), 0, &kv, NULL);
  free(key);
  if (rc == CPLANE_ENOENT) {
    not_found(rs, &ns_type, ns);
    return -1;
  }
  if (rc != CPLANE_OK) {
    store_error(rs, rc);
    return -1;
  }
  /* An unreadable namespace is not this check's business. */
  o = parse_stored(NULL, &kv);
  terminating =
      o != NULL && get_str(get(o, "metadata"), "deletionTimestamp") != NULL;
  json_object_put(o);
  cp_store_kv_free(&kv);
  if (ctx->ns_cache != NULL)
    cp_ns_cache_put(ctx->ns_cache, ns, terminating, epoch);
  return terminating;
}

static int namespace_admits(struct cp_api_ctx *ctx,
                            const struct cp_resource_type *t, const char *ns,
                            const char *name, struct cp_api_response *rs) {
  char *why = NULL, *what = NULL;
  int state = namespace_terminating(ctx, ns, rs);

  if (state <= 0)
    return state == 0;
  if (asprintf(&why, "unable to create new content in namespace %s "
                     "because it is being terminated", ns) < 0 ||
      asprintf(&what, "namespace %s is being terminated", ns) < 0) {
    cp_api_respond_status(rs, 500, NULL);
  } else {
    struct cp_status_cause cause = {"NamespaceTerminating", what,
                                    "metadata.namespace"};

    forbidden(rs, t, name, why, &cause);
  }
  free(why);
  free(what);
  return 0;
}

/* What kube-apiserver's namespace strategy sets on create: status.phase
 * Active and "kubernetes" among spec.finalizers. */
static void namespace_defaults(json_object *o) {
  json_object *spec = get(o, "spec"), *fs, *status;
  size_t i;

  if (spec == NULL || !json_object_is_type(spec, json_type_object)) {
    spec = json_object_new_object();
    json_object_object_add(o, "spec", spec);
  }
  fs = get(spec, "finalizers");
  if (fs == NULL || !json_object_is_type(fs, json_type_array)) {
    fs = json_object_new_array();
    json_object_object_add(spec, "finalizers", fs);
  }
  for (i = 0; i < json_object_array_length(fs); i++) {
    const char *f = json_object_get_string(json_object_array_get_idx(fs, i));

    if (f != NULL && strcmp(f, "kubernetes") == 0)
      break;
  }
  if (i == json_object_array_length(fs))
    json_object_array_add(fs, json_object_new_string("kubernetes"));
  status = json_object_new_object();
  set_str(status, "phase", "Active");
  json_object_object_add(o, "status", status);
}

static int dry_run(struct cp_api_request *rq) {
  const char *d = cp_query_get(&rq->query, "dryRun");

  return d != NULL && strcmp(d, "All") == 0;
}

static int is_crd(const struct cp_resource_type *t) {
  return strcmp(t->resource, "customresourcedefinitions") == 0 &&
         strcmp(t->group, "apiextensions.k8s.io") == 0;
}

/* A definition must be valid before it is stored; it is served at once,
 * so its status says so. */
static int crd_check(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                     json_object *o, struct cp_api_response *rs) {
  const char *field = NULL, *conflict;
  char *msg = NULL, why[320];

  if (!is_crd(rq->type))
    return 0;
  if (cp_crd_validate(o, &field, &msg) < 0) {
    invalid(rs, rq->type, get_str(get(o, "metadata"), "name"), field,
            "FieldValueInvalid", msg ? msg : "invalid");
    free(msg);
    return -1;
  }
  conflict = cp_crd_names_conflict(ctx, o, why, sizeof why);
  cp_crd_set_status(o, conflict, why);
  return 0;
}

static void crd_stored(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                       json_object *o) {
  if (is_crd(rq->type) && cp_crd_register(ctx->resources, o) > 0)
    cp_log_info("apiserver", "serving custom resource %s",
                get_str(get(o, "metadata"), "name"));
}

/* kube's apiextensions server refuses new custom resources of type t
 * while their definition is being deleted: its cleanup could miss them.
 * Like kube, which asks its informer cache, this asks the registry: the
 * flag cp_crd_register sets from every definition this server writes,
 * watches or loads, so a create costs no store read. Responds 405 and
 * returns 0 when the create may not go on. */
static int crd_admits(struct cp_api_ctx *ctx,
                      const struct cp_resource_type *t,
                      struct cp_api_response *rs) {
  struct cp_status_details d = {.group = t->group, .kind = t->resource};

  if (!cp_resources_terminating(ctx->resources, t))
    return 1;
  cp_api_respond_status(
      rs, 405, cp_status_failure(405, "MethodNotAllowed",
                                 "create not allowed while custom resource "
                                 "definition is terminating", &d));
  return 0;
}

/* POST and PUT bodies must be JSON; anything else (kubectl's protobuf
 * included) gets 415, which clients report as it is. rs NULL: only
 * tells. */
static int json_body_ok(struct cp_api_request *rq,
                        struct cp_api_response *rs) {
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
  cp_api_respond_status(
      rs, 415, cp_status_failuref(415, "the body of the request was in an "
                                       "unknown format (%.*s) - accepted "
                                       "media types include: "
                                       "application/json",
                                  (int)n, ct));
  return 0;
}

/* ------------------------------------------------------------ create */

static void add_finalizer(json_object *md, const char *f);

/* The kind's strategy on a create (old NULL) or update: prepare,
 * validate (every error, one 422), admit, warnings. Responds and returns
 * -1 when the write is refused. A write that fails after this returned 0
 * hands what admit took back through strategy_release. */
static int strategy_checks(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                           json_object *o, json_object *old,
                           struct cp_api_response *rs) {
  const struct cp_strategy *st = cp_strategy_for(rq->type);
  struct cp_strategy_write w = {old != NULL ? CP_OP_UPDATE : CP_OP_CREATE,
                                rq->subresource, dry_run(rq), ctx, rq};
  struct cp_field_errors errs = CP_FIELD_ERRORS_INIT;

  if (old == NULL && st->prepare_create != NULL)
    st->prepare_create(&w, o);
  if (old != NULL && st->prepare_update != NULL)
    st->prepare_update(&w, o, old);
  if (st->validate != NULL)
    st->validate(&w, o, old, &errs);
  if (cp_field_errors_any(&errs)) {
    cp_field_errors_respond(&errs, rq->type,
                            get_str(get(o, "metadata"), "name"), rs);
    cp_field_errors_clear(&errs);
    return -1;
  }
  if (st->admit != NULL && st->admit(&w, o, old, rs) < 0)
    return -1;
  if (st->warnings != NULL)
    st->warnings(&w, o, old, rs);
  return 0;
}

static void strategy_release(struct cp_api_ctx *ctx,
                             struct cp_api_request *rq, json_object *o) {
  const struct cp_strategy *st = cp_strategy_for(rq->type);

  if (st->admit != NULL && st->deleted != NULL && !dry_run(rq))
    st->deleted(ctx, o);
}

static void do_create(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                      struct cp_api_response *rs) {
  json_object *o = NULL, *md;
  char *err = NULL, *key = NULL, *text = NULL, ts[32], uid[40];
  const char *name, *gen;
  int64_t rev = 0;
  enum field_validation fv;
  int rc, attempt, json_ok = json_body_ok(rq, NULL), admitted = 0;
  struct cp_json_strict_dups dups = {0};

  if (json_ok)
    o = parse_body_dups(rq->body, rq->body_len, &dups, &err);
  /* Admission before decoding errors, so that a client whose body we
   * cannot read (kubectl's protobuf) still hears why the namespace
   * refuses it. */
  if (rq->type->namespaced &&
      !namespace_admits(ctx, rq->type, rq->ns,
                        get_str(get(o, "metadata"), "name"), rs))
    goto out;
  if (!crd_admits(ctx, rq->type, rs))
    goto out;
  if (!json_ok) {
    json_body_ok(rq, rs);
    goto out;
  }
  if (o == NULL || !json_object_is_type(o, json_type_object)) {
    cp_api_respond_status(rs, 400, cp_status_failuref(
                                       400, "the request body is not a JSON "
                                            "object: %s",
                                       err ? err : "not an object"));
    goto out;
  }
  if (field_validation(rq, &fv, rs) < 0 || check_kind(rq->type, o, rs) < 0 ||
      check_namespace(rq, o, rs) < 0 ||
      schema_decode(ctx, rq, o, fv, &dups, rs) < 0)
    goto out;
  md = metadata(o);
  name = get_str(md, "name");
  gen = get_str(md, "generateName");
  if ((name == NULL || name[0] == '\0') && (gen == NULL || gen[0] == '\0')) {
    invalid(rs, rq->type, "", "metadata.name", "FieldValueRequired",
            "Required value: name or generateName is required");
    goto out;
  }
  if (get_str(md, "resourceVersion") != NULL &&
      get_str(md, "resourceVersion")[0] != '\0') {
    cp_api_respond_status(rs, 500, cp_status_failuref(
                                       500, "resourceVersion should not be "
                                            "set on objects to be created"));
    goto out;
  }
  if (is_namespaces(rq->type))
    namespace_defaults(o);
  /* Deleting the definition then waits for its custom resources. */
  if (is_crd(rq->type))
    add_finalizer(md, CP_CRD_CLEANUP_FINALIZER);
  new_uid(uid, sizeof uid);
  now_rfc3339(ts, sizeof ts);
  set_str(md, "uid", uid);
  set_str(md, "creationTimestamp", ts);
  json_object_object_add(md, "generation", json_object_new_int64(1));
  json_object_object_del(md, "deletionTimestamp");
  if (schema_validate(ctx, rq->type, o, 1, rs) < 0 ||
      strategy_checks(ctx, rq, o, NULL, rs) < 0)
    goto out;
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
    if (validate_meta(rq->type, o, rs) < 0 || crd_check(ctx, rq, o, rs) < 0)
      goto out;
    free(key);
    free(text);
    key = cp_api_key(rq->type, rq->ns, name);
    text = stored_text(o);
    if (key == NULL || text == NULL) {
      cp_api_respond_status(rs, 500, NULL);
      goto out;
    }
    if (dry_run(rq)) {
      respond_text(rs, 201, to_text(o));
      goto out;
    }
    rc = cp_store_create(ctx->store, key, strlen(key), text, strlen(text),
                         &rev);
    if (rc == CPLANE_OK) {
      set_rv(o, rev);
      crd_stored(ctx, rq, o);
      respond_text(rs, 201, to_text(o));
      goto out;
    }
    if (rc != CP_STORE_EEXISTS) {
      store_error(rs, rc);
      goto out;
    }
    if (gen == NULL || gen[0] == '\0' ||
        (get_str(metadata(o), "generateName") == NULL))
      break;
  }
  already_exists(rs, rq->type, name);
out:
  if (admitted && rs->code != 201)
    strategy_release(ctx, rq, o);
  cp_json_strict_dups_clear(&dups);
  free(err);
  free(key);
  free(text);
  json_object_put(o);
}

/* ------------------------------------------------------------ update */

static int json_equal_member(json_object *a, json_object *b, const char *k) {
  json_object *x = get(a, k), *y = get(b, k);

  if (x == NULL || y == NULL)
    return x == y;
  return json_object_equal(x, y);
}

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
 * for a namespace spec.finalizers too. */
static int holds_deletion(const struct cp_resource_type *t, json_object *o) {
  return has_finalizers(o) || (is_namespaces(t) && has_spec_finalizers(o));
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

/* The custom resources of a namespace that is gone go with it. No
 * controller empties them (the namespace plugin knows the built-in kinds
 * only), so the server removes them at once, their own finalizers
 * notwithstanding. Best effort: a failure is logged. */
static size_t purge_prefix(struct cp_api_ctx *ctx, const char *prefix);

static void purge_custom_resources(struct cp_api_ctx *ctx, const char *ns) {
  size_t n = cp_resources_list(ctx->resources, NULL, 0), i, gone;
  const struct cp_resource_type **all = calloc(n + 1, sizeof *all);
  char *prefix;

  if (all == NULL)
    return;
  n = cp_resources_list(ctx->resources, all, n);
  for (i = 0; i < n && all[i] != NULL; i++) {
    const struct cp_resource_type *t = all[i];

    if (t->builtin || !t->namespaced ||
        (prefix = cp_api_key(t, ns, NULL)) == NULL)
      continue;
    gone = purge_prefix(ctx, prefix);
    if (gone > 0)
      cp_log_info("apiserver", "namespace %s: deleted %zu %s.%s", ns, gone,
                  t->resource, t->group);
    free(prefix);
  }
  free(all);
}

/* After `o` of type t left the store: what goes with it. */
/* Deletes every key under prefix (a whole custom type); returns how many
 * went. */
static size_t purge_prefix(struct cp_api_ctx *ctx, const char *prefix) {
  cp_store_list_result res;
  size_t j, gone = 0;

  memset(&res, 0, sizeof res);
  if (cp_store_list(ctx->store, prefix, strlen(prefix), NULL, 0, 0, 0,
                    &res) != CPLANE_OK)
    return 0;
  for (j = 0; j < res.count; j++) {
    int64_t rev = 0;
    int rc = cp_store_delete(ctx->store, res.kvs[j].key, res.kvs[j].key_len,
                             0, &rev, NULL);

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

/* A CustomResourceDefinition that left the store takes its types out of
 * routing and discovery and whatever custom resources are left out of
 * the store. With the cleanup finalizer (crd_cleanup.h) none is left but
 * one created in a race with its deletion; a definition stored without
 * the finalizer (before it existed) goes at once, and its resources with
 * it, their own finalizers notwithstanding. */
static void crd_deleted(struct cp_api_ctx *ctx, json_object *crd) {
  json_object *spec = get(crd, "spec");
  struct cp_resource_type key;
  size_t gone;
  char *prefix;

  memset(&key, 0, sizeof key);
  key.group = get_str(spec, "group");
  key.resource = get_str(get(spec, "names"), "plural");
  if (key.group == NULL || key.resource == NULL)
    return;
  /* This server's CRD watch (crd.c) may have taken the types out first,
   * so the store prefix comes from the definition (a custom type's
   * prefix needs only its group and plural), not from what this call
   * removed. */
  cp_crd_unregister(ctx->resources, crd);
  if ((prefix = cp_api_key(&key, NULL, NULL)) == NULL)
    return;
  gone = purge_prefix(ctx, prefix);
  free(prefix);
  cp_log_info("apiserver", "customresourcedefinition %s.%s deleted: no "
              "longer served, %zu custom resource(s) deleted",
              key.resource, key.group, gone);
}

static void deleted(struct cp_api_ctx *ctx, const struct cp_resource_type *t,
                    json_object *o) {
  const char *name = get_str(get(o, "metadata"), "name");

  if (is_namespaces(t) && name != NULL)
    purge_custom_resources(ctx, name);
  if (is_crd(t))
    crd_deleted(ctx, o);
  if (cp_strategy_for(t)->deleted != NULL)
    cp_strategy_for(t)->deleted(ctx, o);
}

/* Builds the object to store from the client's `in` and the current
 * `cur`: server-managed metadata comes from cur, status or everything but
 * status from one side depending on the subresource, and generation goes
 * up when spec changed. Takes nothing; returns a new object. */
static json_object *merge_update(const struct cp_resource_type *t,
                                 const char *sub, json_object *in,
                                 json_object *cur) {
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
  if ((t->subresources & CP_SUB_STATUS) != 0) {
    if (get(cur, "status") != NULL)
      json_object_object_add(out, "status",
                             json_object_get(get(cur, "status")));
    else
      json_object_object_del(out, "status");
  }
  /* Only the finalize subresource changes a namespace's finalizers. */
  if (is_namespaces(t))
    set_spec_finalizers(out, get(get(cur, "spec"), "finalizers"));
  gen = get(cmd, "generation") ? json_object_get_int64(get(cmd, "generation"))
                               : 1;
  if (!json_equal_member(out, cur, "spec"))
    json_object_object_add(md, "generation",
                           json_object_new_int64(next_generation(gen)));
  return out;
}

/* Stores next over cur (CAS on cur's revision) or, when next is being
 * deleted and has no finalizer left, removes it. Responds. Returns the
 * store code so callers can retry on conflict. */
static int write_over(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                      const char *key, json_object *next, int64_t cur_rev,
                      struct cp_api_response *rs, int respond_conflict) {
  char *text;
  int64_t rev = 0;
  int rc;

  if (dry_run(rq)) {
    set_rv(next, cur_rev);
    respond_text(rs, 200, to_text(next));
    return CPLANE_OK;
  }
  if (get_str(get(next, "metadata"), "deletionTimestamp") != NULL &&
      !holds_deletion(rq->type, next)) {
    rc = cp_store_delete(ctx->store, key, strlen(key), cur_rev, &rev, NULL);
    if (rc == CPLANE_OK) {
      deleted(ctx, rq->type, next);
      set_rv(next, rev);
      respond_text(rs, 200, to_text(next));
      return rc;
    }
  } else {
    if (crd_check(ctx, rq, next, rs) < 0)
      return CPLANE_EINVAL;
    if ((text = stored_text(next)) == NULL) {
      cp_api_respond_status(rs, 500, NULL);
      return CPLANE_ENOMEM;
    }
    rc = cp_store_update(ctx->store, key, strlen(key), text, strlen(text),
                         cur_rev, &rev, NULL);
    free(text);
    if (rc == CPLANE_OK) {
      set_rv(next, rev);
      crd_stored(ctx, rq, next);
      if (rq->subresource != NULL && strcmp(rq->subresource, "scale") == 0)
        respond_text(rs, 200, scale_text(rq->type, next));
      else
        respond_text(rs, 200, to_text(next));
      return rc;
    }
  }
  if (rc == CP_STORE_ECONFLICT || rc == CPLANE_ENOENT) {
    if (respond_conflict || rc == CPLANE_ENOENT)
      conflict(rs, rq->type, rq->name);
    return CP_STORE_ECONFLICT;
  }
  store_error(rs, rc);
  return rc;
}

/* Reads the current object. Responds 404/5xx and returns NULL if it
 * cannot. */
static json_object *read_current(struct cp_api_ctx *ctx,
                                 struct cp_api_request *rq, const char *key,
                                 int64_t *rev, struct cp_api_response *rs) {
  cp_store_kv kv;
  json_object *o;
  int rc;

  memset(&kv, 0, sizeof kv);
  rc = cp_store_get(ctx->store, key, strlen(key), 0, &kv, NULL);
  if (rc == CPLANE_ENOENT) {
    not_found(rs, rq->type, rq->name);
    return NULL;
  }
  if (rc != CPLANE_OK) {
    store_error(rs, rc);
    return NULL;
  }
  *rev = kv.mod_revision;
  o = parse_stored(rq->type, &kv);
  cp_store_kv_free(&kv);
  if (o == NULL)
    cp_api_respond_status(rs, 500, cp_status_failuref(
                                       500, "stored object %s is not JSON",
                                       key));
  return o;
}

/* The Scale a client sent, turned into the change of spec.replicas. */
static json_object *apply_scale(json_object *scale, json_object *cur,
                                struct cp_api_response *rs) {
  json_object *rep = get(get(scale, "spec"), "replicas"), *out = NULL;
  json_object *spec, *old, *md, *gen;

  if (rep == NULL || !json_object_is_type(rep, json_type_int) ||
      json_object_get_int64(rep) < 0) {
    cp_api_respond_status(rs, 422, cp_status_failuref(
                                       422, "spec.replicas must be a "
                                            "non-negative integer"));
    return NULL;
  }
  json_object_deep_copy(cur, &out, NULL);
  if (out == NULL)
    return NULL;
  spec = get(out, "spec");
  if (spec == NULL || !json_object_is_type(spec, json_type_object)) {
    spec = json_object_new_object();
    json_object_object_add(out, "spec", spec);
  }
  old = get(spec, "replicas");
  if (old == NULL || json_object_get_int64(old) != json_object_get_int64(rep)) {
    /* A spec change: the generation goes up as for any other. */
    md = metadata(out);
    gen = get(md, "generation");
    json_object_object_add(
        md, "generation",
        json_object_new_int64(next_generation(gen ? json_object_get_int64(gen)
                                                  : 1)));
  }
  json_object_object_add(spec, "replicas",
                         json_object_new_int64(json_object_get_int64(rep)));
  return out;
}

static void do_update(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                      struct cp_api_response *rs) {
  json_object *in, *cur = NULL, *next = NULL;
  char *err = NULL, *key = cp_api_key(rq->type, rq->ns, rq->name);
  const char *rv, *name;
  int64_t cur_rev = 0;
  enum field_validation fv;
  int is_scale = rq->subresource != NULL &&
                 strcmp(rq->subresource, "scale") == 0;
  struct cp_json_strict_dups dups = {0};

  if (!json_body_ok(rq, rs) || field_validation(rq, &fv, rs) < 0) {
    free(key);
    return;
  }
  in = parse_body_dups(rq->body, rq->body_len, &dups, &err);
  if (in == NULL || !json_object_is_type(in, json_type_object)) {
    cp_api_respond_status(rs, 400, cp_status_failuref(
                                       400, "the request body is not a JSON "
                                            "object: %s",
                                       err ? err : "not an object"));
    goto out;
  }
  if (key == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  name = get_str(get(in, "metadata"), "name");
  if (name != NULL && strcmp(name, rq->name) != 0) {
    cp_api_respond_status(
        rs, 400, cp_status_failuref(400, "the name of the object (%s) does "
                                         "not match the name on the URL (%s)",
                                    name, rq->name));
    goto out;
  }
  if (!is_scale &&
      (check_kind(rq->type, in, rs) < 0 || check_namespace(rq, in, rs) < 0 ||
       schema_decode(ctx, rq, in, fv, &dups, rs) < 0))
    goto out;
  if ((cur = read_current(ctx, rq, key, &cur_rev, rs)) == NULL)
    goto out;
  rv = get_str(get(in, "metadata"), "resourceVersion");
  if (rv != NULL && rv[0] != '\0' && strtoll(rv, NULL, 10) != cur_rev) {
    conflict(rs, rq->type, rq->name);
    goto out;
  }
  if (is_scale)
    next = apply_scale(in, cur, rs);
  else
    next = merge_update(rq->type, rq->subresource, in, cur);
  if (next == NULL) {
    if (rs->body == NULL)
      cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  if (!is_scale && (validate_meta(rq->type, next, rs) < 0 ||
                    schema_validate(ctx, rq->type, next, 1, rs) < 0 ||
                    strategy_checks(ctx, rq, next, cur, rs) < 0))
    goto out;
  write_over(ctx, rq, key, next, cur_rev, rs, 1);
out:
  cp_json_strict_dups_clear(&dups);
  free(err);
  free(key);
  json_object_put(in);
  json_object_put(cur);
  json_object_put(next);
}

/* ------------------------------------------------------------ patch */

static void do_patch(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                     struct cp_api_response *rs) {
  enum cp_patch_type pt;
  enum field_validation fv;
  char *key = cp_api_key(rq->type, rq->ns, rq->name), *err = NULL;
  int attempt, is_scale = rq->subresource != NULL &&
                          strcmp(rq->subresource, "scale") == 0;

  if (cp_patch_type_from_content_type(rq->content_type, &pt) < 0 ||
      (pt == CP_PATCH_STRATEGIC && !rq->type->builtin)) {
    cp_api_respond_status(
        rs, 415, cp_status_failuref(415, "the body of the request was in an "
                                         "unknown format - accepted media "
                                         "types include: "
                                         "application/json-patch+json, "
                                         "application/merge-patch+json%s",
                                    rq->type->builtin
                                        ? ", application/strategic-merge-"
                                          "patch+json"
                                        : ""));
    goto out;
  }
  if (key == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  if (field_validation(rq, &fv, rs) < 0)
    goto out;
  for (attempt = 0; attempt < CAS_RETRIES; attempt++) {
    json_object *cur, *base, *patched = NULL, *next = NULL;
    int64_t cur_rev = 0;
    const char *rv;
    int rc;

    if ((cur = read_current(ctx, rq, key, &cur_rev, rs)) == NULL)
      goto out;
    if (!is_scale)
      prune_stored(ctx, rq->type, cur);
    /* A scale patch applies to the Scale view of the object. */
    base = cur;
    if (is_scale) {
      char *st = scale_text(rq->type, cur);

      base = st ? parse_body(st, strlen(st), &err) : NULL;
      free(st);
      free(err);
      err = NULL;
    }
    rc = base == NULL ? CPLANE_ENOMEM
                      : cp_patch_apply_schema(
                            pt, base, rq->body, rq->body_len,
                            is_scale ? NULL : type_schema(ctx, rq->type),
                            &patched, &err);
    if (base != cur)
      json_object_put(base);
    if (rc == CP_PATCH_ETOOMANY) {
      /* kube: NewRequestEntityTooLargeError. */
      cp_api_respond_status(rs, 413, cp_status_failuref(
                                         413, "Request entity too large: %s",
                                         err ? err : "too many operations"));
      json_object_put(cur);
      goto out;
    }
    if (rc != CPLANE_OK) {
      int code = rc == CPLANE_ENOMEM ? 500 : 422;

      cp_api_respond_status(rs, code, cp_status_failuref(
                                          code, "the patch could not be "
                                                "applied: %s",
                                          err ? err : "out of memory"));
      json_object_put(cur);
      goto out;
    }
    rv = get_str(get(patched, "metadata"), "resourceVersion");
    if (!is_scale && rv != NULL && strtoll(rv, NULL, 10) != cur_rev) {
      /* The patch itself carried a resourceVersion: a precondition. */
      conflict(rs, rq->type, rq->name);
      json_object_put(cur);
      json_object_put(patched);
      goto out;
    }
    if (is_scale)
      next = apply_scale(patched, cur, rs);
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
    }
    json_object_put(patched);
    if (next == NULL ||
        (!is_scale && (validate_meta(rq->type, next, rs) < 0 ||
                       schema_validate(ctx, rq->type, next, 0, rs) < 0 ||
                       strategy_checks(ctx, rq, next, cur, rs) < 0))) {
      if (rs->body == NULL)
        cp_api_respond_status(rs, 500, NULL);
      json_object_put(cur);
      json_object_put(next);
      goto out;
    }
    rc = write_over(ctx, rq, key, next, cur_rev, rs,
                    attempt == CAS_RETRIES - 1);
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

/* ------------------------------------------------------------ delete */

static void add_finalizer(json_object *md, const char *f) {
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

/* The namespaces kube-apiserver never lets go (NamespaceLifecycle). */
static int immortal_namespace(const char *name) {
  return name != NULL &&
         (strcmp(name, "default") == 0 || strcmp(name, "kube-system") == 0 ||
          strcmp(name, "kube-public") == 0);
}

static size_t finalizer_count(json_object *md) {
  json_object *f = get(md, "finalizers");

  return f != NULL && json_object_is_type(f, json_type_array)
             ? json_object_array_length(f)
             : 0;
}

/* o of type t has just been marked for deletion: a definition's cleanup
 * starts. */
static void marked(struct cp_api_ctx *ctx, const struct cp_resource_type *t,
                   json_object *o) {
  if (!is_crd(t))
    return;
  cp_log_info("apiserver", "customresourcedefinition %s terminating: its "
              "custom resources are being deleted",
              get_str(get(o, "metadata"), "name"));
  if (ctx->crd_terminating != NULL)
    ctx->crd_terminating(ctx->crd_terminating_arg);
}

/* The JSON type name Go's decoder reports for v. */
static const char *go_json_type(json_object *v) {
  switch (json_object_get_type(v)) {
  case json_type_boolean: return "bool";
  case json_type_double:
  case json_type_int: return "number";
  case json_type_object: return "object";
  case json_type_array: return "array";
  default: return "string";
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
    snprintf(msg, sizeof msg, "json: cannot unmarshal %s into Go struct "
             "field DeleteOptions.%s of type %s", go_json_type(v),
             fields[i].field, fields[i].go_type);
    return msg;
  }
  v = get(opts, "dryRun");
  for (i = 0; v != NULL && i < json_object_array_length(v); i++) {
    json_object *e = json_object_array_get_idx(v, i);

    if (e != NULL && !json_object_is_type(e, json_type_string)) {
      snprintf(msg, sizeof msg, "json: cannot unmarshal %s into Go struct "
               "field DeleteOptions.dryRun of type string", go_json_type(e));
      return msg;
    }
  }
  pre = get(opts, "preconditions");
  for (i = 0; i < 2; i++) {
    const char *f = i == 0 ? "uid" : "resourceVersion";

    v = get(pre, f);
    if (v == NULL || json_object_is_type(v, json_type_string))
      continue;
    snprintf(msg, sizeof msg, "json: cannot unmarshal %s into Go struct "
             "field Preconditions.preconditions.%s of type %s",
             go_json_type(v), f, i == 0 ? "types.UID" : "string");
    return msg;
  }
  return NULL;
}

static void do_delete(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                      struct cp_api_response *rs) {
  json_object *opts = NULL, *cur = NULL, *pre;
  char *key = cp_api_key(rq->type, rq->ns, rq->name), *err = NULL, ts[32];
  const char *policy = NULL, *p_uid, *p_rv, *why;
  int64_t cur_rev = 0, rev = 0;
  size_t n_fin = 0;
  int was_marked = 0;
  int dry, rc, attempt;

  if (key == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  if (rq->body_len > 0) {
    opts = parse_body(rq->body, rq->body_len, &err);
    if (opts == NULL || !json_object_is_type(opts, json_type_object)) {
      cp_api_respond_status(rs, 400, cp_status_failuref(
                                         400, "the DeleteOptions body is not "
                                              "a JSON object: %s",
                                         err ? err : "not an object"));
      goto out;
    }
  }
  policy = get_str(opts, "propagationPolicy");
  if (policy == NULL)
    policy = cp_query_get(&rq->query, "propagationPolicy");
  if (policy != NULL && strcmp(policy, "Foreground") != 0 &&
      strcmp(policy, "Background") != 0 && strcmp(policy, "Orphan") != 0) {
    cp_api_respond_status(rs, 400, cp_status_failuref(
                                       400, "invalid propagationPolicy %s",
                                       policy));
    goto out;
  }
  if ((why = delete_options_error(opts)) != NULL) {
    cp_api_respond_status(rs, 400, cp_status_failure(400, NULL, why, NULL));
    goto out;
  }
  dry = dry_run(rq);
  if (get(opts, "dryRun") != NULL &&
      json_object_is_type(get(opts, "dryRun"), json_type_array) &&
      json_object_array_length(get(opts, "dryRun")) > 0)
    dry = 1;
  if (is_namespaces(rq->type) && immortal_namespace(rq->name)) {
    forbidden(rs, rq->type, rq->name, "this namespace may not be deleted",
              NULL);
    goto out;
  }
  for (attempt = 0; attempt < CAS_RETRIES; attempt++) {
    json_object *md;

    json_object_put(cur);
    if ((cur = read_current(ctx, rq, key, &cur_rev, rs)) == NULL)
      goto out;
    md = metadata(cur);
    pre = get(opts, "preconditions");
    p_uid = get_str(pre, "uid");
    p_rv = get_str(pre, "resourceVersion");
    if ((p_uid != NULL && strcmp(p_uid, get_str(md, "uid") ? get_str(md,
                                                                     "uid")
                                                           : "") != 0) ||
        (p_rv != NULL && strtoll(p_rv, NULL, 10) != cur_rev)) {
      cp_api_respond_status(
          rs, 409, cp_status_failuref(409, "Precondition failed: the object "
                                           "changed (uid or "
                                           "resourceVersion)"));
      goto out;
    }
    was_marked = get_str(md, "deletionTimestamp") != NULL;
    n_fin = finalizer_count(md);
    if (policy != NULL && strcmp(policy, "Foreground") == 0)
      add_finalizer(md, "foregroundDeletion");
    else if (policy != NULL && strcmp(policy, "Orphan") == 0)
      add_finalizer(md, "orphan");
    if (dry) {
      respond_text(rs, 200, to_text(cur));
      goto out;
    }
    if (is_namespaces(rq->type) && has_spec_finalizers(cur) &&
        get_str(md, "deletionTimestamp") != NULL) {
      object_failure(rs, 409, NULL, rq->type, rq->name,
                     "Operation cannot be fulfilled on ",
                     ": The system is ensuring all content is removed from "
                     "this namespace. Upon completion, this namespace will "
                     "automatically be purged by the system.");
      goto out;
    }
    if (holds_deletion(rq->type, cur) && was_marked &&
        finalizer_count(md) == n_fin) {
      /* Already being deleted and nothing to add: writing it again would
       * only be a new resourceVersion and a watch event for every
       * controller that deletes on each update. */
      set_rv(cur, cur_rev);
      respond_text(rs, 200, to_text(cur));
      goto out;
    }
    if (holds_deletion(rq->type, cur)) {
      /* Graceful: mark, and let the finalizers' owners finish. */
      if (is_namespaces(rq->type)) {
        json_object *st = get(cur, "status");

        if (st == NULL || !json_object_is_type(st, json_type_object)) {
          st = json_object_new_object();
          json_object_object_add(cur, "status", st);
        }
        set_str(st, "phase", "Terminating");
      }
      if (get_str(md, "deletionTimestamp") == NULL) {
        json_object *g = get(md, "generation");

        now_rfc3339(ts, sizeof ts);
        set_str(md, "deletionTimestamp", ts);
        json_object_object_add(md, "deletionGracePeriodSeconds",
                               json_object_new_int(0));
        json_object_object_add(
            md, "generation",
            json_object_new_int64(
                next_generation(g ? json_object_get_int64(g) : 1)));
      }
      rc = write_over(ctx, rq, key, cur, cur_rev, rs,
                      attempt == CAS_RETRIES - 1);
      if (rc == CPLANE_OK && !was_marked)
        marked(ctx, rq->type, cur);
      if (rc != CP_STORE_ECONFLICT)
        goto out;
      free(rs->body);
      rs->body = NULL;
      continue;
    }
    rc = cp_store_delete(ctx->store, key, strlen(key), cur_rev, &rev, NULL);
    if (rc == CPLANE_OK) {
      deleted(ctx, rq->type, cur);
      set_rv(cur, rev);
      respond_text(rs, 200, to_text(cur));
      goto out;
    }
    if (rc == CPLANE_ENOENT) {
      not_found(rs, rq->type, rq->name);
      goto out;
    }
    if (rc != CP_STORE_ECONFLICT) {
      store_error(rs, rc);
      goto out;
    }
  }
  conflict(rs, rq->type, rq->name);
out:
  free(err);
  free(key);
  json_object_put(opts);
  json_object_put(cur);
}

/* Deletes every object the selectors match, one by one with do_delete's
 * rules (finalizers, preconditions, dry run), and answers with the list
 * of what was deleted or marked. */
static void do_delete_collection(struct cp_api_ctx *ctx,
                                 struct cp_api_request *rq,
                                 struct cp_api_response *rs) {
  struct cp_api_selectors *sel = NULL;
  char *prefix = cp_api_key(rq->type, rq->ns, NULL), gv[256];
  cp_store_list_result res;
  json_object *out = NULL, *items;
  size_t i;
  int rc;

  memset(&res, 0, sizeof res);
  if (prefix == NULL || cp_api_selectors_parse(rq, &sel, rs) < 0)
    goto out;
  rc = cp_store_list(ctx->store, prefix, strlen(prefix), NULL, 0, 0, 0, &res);
  if (rc != CPLANE_OK) {
    store_error(rs, rc);
    goto out;
  }
  out = json_object_new_object();
  items = json_object_new_array();
  set_str(out, "kind", rq->type->list_kind);
  set_str(out, "apiVersion", cp_resource_group_version(rq->type, gv,
                                                       sizeof gv));
  json_object_object_add(out, "metadata", json_object_new_object());
  json_object_object_add(out, "items", items);
  for (i = 0; i < res.count; i++) {
    json_object *o = parse_stored(rq->type, &res.kvs[i]), *done;
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
      do_delete(ctx, rq, &one);
    if (one.code == 200 && (done = parse_body(one.body, one.len, &err)))
      json_object_array_add(items, done);
    free(err);
    free(one.body);
    free(rq->name);
    rq->name = NULL;
    json_object_put(o);
  }
  respond_text(rs, 200, to_text(out));
out:
  json_object_put(out);
  cp_store_list_result_free(&res);
  cp_api_selectors_free(sel);
  free(prefix);
}

/* ------------------------------------------------------------ binding */

static void do_binding(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                       struct cp_api_response *rs) {
  json_object *b, *cur = NULL, *spec;
  char *key = cp_api_key(rq->type, rq->ns, rq->name), *err = NULL;
  const char *node, *bound;
  int64_t cur_rev = 0;
  int rc;

  b = parse_body(rq->body, rq->body_len, &err);
  node = get_str(get(b, "target"), "name");
  if (b == NULL || node == NULL || node[0] == '\0' || key == NULL) {
    cp_api_respond_status(rs, 400, cp_status_failuref(
                                       400, "a Binding needs target.name"));
    goto out;
  }
  if ((cur = read_current(ctx, rq, key, &cur_rev, rs)) == NULL)
    goto out;
  bound = get_str(get(cur, "spec"), "nodeName");
  if (bound != NULL && bound[0] != '\0') {
    cp_api_respond_status(
        rs, 409, cp_status_failuref(409, "pod %s is already assigned to node "
                                         "\"%s\"", rq->name, bound));
    goto out;
  }
  spec = get(cur, "spec");
  if (spec == NULL) {
    spec = json_object_new_object();
    json_object_object_add(cur, "spec", spec);
  }
  set_str(spec, "nodeName", node);
  rc = write_over(ctx, rq, key, cur, cur_rev, rs, 1);
  if (rc == CPLANE_OK) {
    struct cp_status_details d = {.name = rq->name, .kind = "pods"};

    cp_api_respond_status(rs, 201, cp_status_success(&d));
  }
out:
  free(err);
  free(key);
  json_object_put(b);
  json_object_put(cur);
}

/* ------------------------------------------------------------ dispatch */

static void method_not_allowed(struct cp_api_response *rs) {
  cp_api_respond_status(rs, 405, cp_status_failuref(
                                     405, "the server does not allow this "
                                          "method on the requested "
                                          "resource"));
}

static void handle(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                   struct cp_api_response *rs);

void cp_api_handle(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                   struct cp_api_response *rs) {
  /* A write to a namespace may change what admission must answer: no
   * cached state from before it, or from while it runs, survives it. */
  int ns_write = ctx->ns_cache != NULL && is_namespaces(rq->type) &&
                 rq->method != CP_API_GET;

  if (ns_write)
    cp_ns_cache_invalidate(ctx->ns_cache);
  handle(ctx, rq, rs);
  if (ns_write)
    cp_ns_cache_invalidate(ctx->ns_cache);
}

static void handle(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                   struct cp_api_response *rs) {
  const char *sub = rq->subresource;
  unsigned subs = rq->type->subresources;

  if (rq->type->namespaced && rq->ns == NULL && rq->name != NULL) {
    cp_api_respond_status(rs, 404, cp_status_failuref(
                                       404, "the server could not find the "
                                            "requested resource"));
    return;
  }
  if (sub != NULL &&
      !((strcmp(sub, "status") == 0 && (subs & CP_SUB_STATUS)) ||
        (strcmp(sub, "scale") == 0 && (subs & CP_SUB_SCALE)) ||
        (strcmp(sub, "binding") == 0 && (subs & CP_SUB_BINDING)) ||
        (strcmp(sub, "finalize") == 0 && (subs & CP_SUB_FINALIZE)))) {
    cp_api_respond_status(rs, 404, cp_status_failuref(
                                       404, "the server could not find the "
                                            "requested resource"));
    return;
  }
  if (rq->name == NULL) {
    if (rq->method == CP_API_GET)
      do_list(ctx, rq, rs);
    else if (rq->method == CP_API_POST && (rq->ns != NULL ||
                                           !rq->type->namespaced))
      do_create(ctx, rq, rs);
    else if (rq->method == CP_API_DELETE)
      do_delete_collection(ctx, rq, rs);
    else
      method_not_allowed(rs);
    return;
  }
  if (sub != NULL && strcmp(sub, "binding") == 0) {
    if (rq->method == CP_API_POST)
      do_binding(ctx, rq, rs);
    else
      method_not_allowed(rs);
    return;
  }
  if (sub != NULL && strcmp(sub, "finalize") == 0) {
    if (rq->method == CP_API_PUT)
      do_update(ctx, rq, rs);
    else
      method_not_allowed(rs);
    return;
  }
  switch (rq->method) {
  case CP_API_GET:
    do_get(ctx, rq, rs);
    break;
  case CP_API_PUT:
    do_update(ctx, rq, rs);
    break;
  case CP_API_PATCH:
    do_patch(ctx, rq, rs);
    break;
  case CP_API_DELETE:
    if (sub == NULL)
      do_delete(ctx, rq, rs);
    else
      method_not_allowed(rs);
    break;
  default:
    method_not_allowed(rs);
  }
}
