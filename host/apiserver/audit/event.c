/*
 * audit/event - an audit event gathered along the request path and its
 * JSON (see event.h); the shapes follow k8s.io/apiserver's
 * pkg/apis/audit/v1 types and pkg/audit/request.go.
 */
#include "apiserver/audit/event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JSON_OUT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
/* Request and response objects larger than this are left out of the
 * event rather than parsed on the event loop. */
#define MAX_OBJECT_BYTES (16u << 20)

struct cp_audit_event *cp_audit_event_new(void) {
  struct cp_audit_event *ev = calloc(1, sizeof *ev);

  if (ev == NULL)
    return NULL;
  pthread_mutex_init(&ev->mu, NULL);
  return ev;
}

void cp_audit_event_free(struct cp_audit_event *ev) {
  if (ev == NULL)
    return;
  free(ev->request_uri);
  free(ev->verb);
  free(ev->user_agent);
  json_object_put(ev->user);
  json_object_put(ev->impersonated);
  json_object_put(ev->source_ips);
  free(ev->resource);
  free(ev->ns);
  free(ev->name);
  free(ev->uid);
  free(ev->group);
  free(ev->version);
  free(ev->rv);
  free(ev->subresource);
  json_object_put(ev->request_object);
  json_object_put(ev->response_status);
  json_object_put(ev->response_object);
  json_object_put(ev->annotations);
  pthread_mutex_destroy(&ev->mu);
  free(ev);
}

void cp_audit_event_annotate(struct cp_audit_event *ev, const char *key,
                             const char *value) {
  json_object *v;

  if (ev == NULL || key == NULL || value == NULL)
    return;
  pthread_mutex_lock(&ev->mu);
  if (ev->annotations == NULL)
    ev->annotations = json_object_new_object();
  if (ev->annotations != NULL &&
      !json_object_object_get_ex(ev->annotations, key, NULL) &&
      (v = json_object_new_string(value)) != NULL &&
      json_object_object_add(ev->annotations, key, v) != 0)
    json_object_put(v);
  pthread_mutex_unlock(&ev->mu);
}

/* ------------------------------------------------------------ objects */

static int is_json_type(const char *ctype) {
  return ctype == NULL || strstr(ctype, "json") != NULL ||
         strstr(ctype, "yaml") != NULL; /* apply patches are often JSON */
}

static void strip_managed_fields(json_object *o) {
  json_object *md, *items;
  size_t i, n;

  if (json_object_object_get_ex(o, "metadata", &md) &&
      json_object_is_type(md, json_type_object))
    json_object_object_del(md, "managedFields");
  if (json_object_object_get_ex(o, "items", &items) &&
      json_object_is_type(items, json_type_array)) {
    n = json_object_array_length(items);
    for (i = 0; i < n; i++) {
      json_object *it = json_object_array_get_idx(items, i);

      if (json_object_object_get_ex(it, "metadata", &md) &&
          json_object_is_type(md, json_type_object))
        json_object_object_del(md, "managedFields");
    }
  }
}

json_object *cp_audit_event_object(const char *ctype, const char *body,
                                   size_t len, int strip) {
  struct json_tokener *tok;
  json_object *o;
  size_t i = 0;

  if (body == NULL || len == 0 || len > MAX_OBJECT_BYTES ||
      !is_json_type(ctype))
    return NULL;
  while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\t' ||
                     body[i] == '\r'))
    i++;
  if (i == len || (body[i] != '{' && body[i] != '['))
    return NULL; /* YAML, protobuf and the like: not recorded */
  if ((tok = json_tokener_new()) == NULL)
    return NULL;
  o = json_tokener_parse_ex(tok, body, (int)len);
  if (json_tokener_get_error(tok) != json_tokener_success) {
    json_object_put(o);
    o = NULL;
  }
  json_tokener_free(tok);
  if (o != NULL && strip)
    strip_managed_fields(o);
  return o;
}

/* metav1.Status's bounded fields, as kube's LogResponseObject copies
 * them: {"metadata":{},"status","message","reason","details","code"}. */
static json_object *status_of(json_object *o, int code) {
  static const char *const keep[] = {"status", "message", "reason",
                                     "details"};
  json_object *s = json_object_new_object(), *v;
  size_t i;

  if (s == NULL)
    return NULL;
  json_object_object_add(s, "metadata", json_object_new_object());
  for (i = 0; o != NULL && i < sizeof keep / sizeof keep[0]; i++)
    if (json_object_object_get_ex(o, keep[i], &v) && v != NULL)
      json_object_object_add(s, keep[i], json_object_get(v));
  json_object_object_add(s, "code", json_object_new_int(code));
  return s;
}

static int is_status(json_object *o) {
  json_object *k;

  return o != NULL && json_object_is_type(o, json_type_object) &&
         json_object_object_get_ex(o, "kind", &k) &&
         json_object_is_type(k, json_type_string) &&
         strcmp(json_object_get_string(k), "Status") == 0;
}

void cp_audit_event_response(struct cp_audit_event *ev, int code,
                             const char *ctype, const char *body,
                             size_t len) {
  json_object *o = NULL;

  ev->code = code;
  /* An error's Status says more than its code; other bodies are parsed
   * only when recorded. */
  if (code >= 300 || ev->level >= CP_AUDIT_REQUEST_RESPONSE)
    o = cp_audit_event_object(ctype, body, len, ev->omit_managed_fields);
  json_object_put(ev->response_status);
  ev->response_status = status_of(is_status(o) ? o : NULL, code);
  if (ev->level >= CP_AUDIT_REQUEST_RESPONSE && o != NULL) {
    json_object_put(ev->response_object);
    ev->response_object = o;
    o = NULL;
  }
  json_object_put(o);
}

/* ------------------------------------------------------------ JSON */

void cp_audit_micro_time(int64_t us, char *buf, size_t len) {
  time_t t = (time_t)(us / 1000000);
  struct tm tm;
  char s[32];

  gmtime_r(&t, &tm);
  strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf, len, "%s.%06dZ", s, (int)(us % 1000000));
}

static void add_str(json_object *o, const char *k, const char *v) {
  if (v != NULL && v[0] != '\0')
    json_object_object_add(o, k, json_object_new_string(v));
}

static void add_ref(json_object *e, const struct cp_audit_event *ev) {
  json_object *r;

  if (!ev->has_ref || (r = json_object_new_object()) == NULL)
    return;
  add_str(r, "resource", ev->resource);
  add_str(r, "namespace", ev->ns);
  add_str(r, "name", ev->name);
  add_str(r, "uid", ev->uid);
  add_str(r, "apiGroup", ev->group);
  add_str(r, "apiVersion", ev->version);
  add_str(r, "resourceVersion", ev->rv);
  add_str(r, "subresource", ev->subresource);
  json_object_object_add(e, "objectRef", r);
}

static void add_time(json_object *e, const char *k, int64_t us) {
  char buf[40];

  cp_audit_micro_time(us, buf, sizeof buf);
  json_object_object_add(e, k, json_object_new_string(buf));
}

/* json-c keeps a child's reference count: the event borrows them. */
static void add_borrowed(json_object *e, const char *k, json_object *v) {
  if (v != NULL)
    json_object_object_add(e, k, json_object_get(v));
}

char *cp_audit_event_json(struct cp_audit_event *ev, const char *stage,
                          int64_t now_us, size_t *len) {
  int complete = strcmp(stage, "ResponseComplete") == 0;
  json_object *e = json_object_new_object();
  const char *t;
  char *out = NULL;
  size_t n;

  if (e == NULL)
    return NULL;
  json_object_object_add(e, "kind", json_object_new_string("Event"));
  json_object_object_add(e, "apiVersion",
                         json_object_new_string("audit.k8s.io/v1"));
  json_object_object_add(
      e, "level", json_object_new_string(cp_audit_level_name(ev->level)));
  json_object_object_add(e, "auditID", json_object_new_string(ev->id));
  json_object_object_add(e, "stage", json_object_new_string(stage));
  json_object_object_add(e, "requestURI",
                         json_object_new_string(ev->request_uri
                                                    ? ev->request_uri
                                                    : ""));
  json_object_object_add(e, "verb",
                         json_object_new_string(ev->verb ? ev->verb : ""));
  if (ev->user != NULL)
    add_borrowed(e, "user", ev->user);
  else
    json_object_object_add(e, "user", json_object_new_object());
  add_borrowed(e, "impersonatedUser", ev->impersonated);
  if (ev->source_ips != NULL && json_object_array_length(ev->source_ips) > 0)
    add_borrowed(e, "sourceIPs", ev->source_ips);
  add_str(e, "userAgent", ev->user_agent);
  add_ref(e, ev);
  add_borrowed(e, "responseStatus", ev->response_status);
  if (ev->level >= CP_AUDIT_REQUEST && strcmp(stage, "RequestReceived"))
    add_borrowed(e, "requestObject", ev->request_object);
  if (ev->level >= CP_AUDIT_REQUEST_RESPONSE && complete)
    add_borrowed(e, "responseObject", ev->response_object);
  add_time(e, "requestReceivedTimestamp", ev->received_us);
  add_time(e, "stageTimestamp", now_us);
  pthread_mutex_lock(&ev->mu);
  add_borrowed(e, "annotations", ev->annotations);
  t = json_object_to_json_string_length(e, JSON_OUT, &n);
  if (t != NULL && (out = malloc(n + 1)) != NULL) {
    memcpy(out, t, n + 1);
    *len = n;
  }
  pthread_mutex_unlock(&ev->mu);
  json_object_put(e);
  return out;
}
