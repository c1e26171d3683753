/*
 * writes - the table's writes and uncached reads, answered by the fake
 * store as kube-apiserver answers them (codes and Status messages in its
 * words), each write recorded, injected failures consumed first.
 *
 * Every store change happens under the host's mutex, in one commit():
 * a new resourceVersion, and an object being deleted whose last finalizer
 * went leaves the store.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/patch.h"
#include "kit.h"
#include "object/object.h"

/* The longest object name kube accepts (a DNS subdomain). */
#define MAX_NAME 253

/* ---- messages ---- */

static char *not_found(const char *resource, const char *name) {
  return kit_strf("%s \"%s\" not found", resource, name != NULL ? name : "");
}

static char *conflict(const char *resource, const char *name) {
  return kit_strf("Operation cannot be fulfilled on %s \"%s\": the object has "
              "been modified; please apply your changes to the latest "
              "version and try again",
              resource, name != NULL ? name : "");
}

static char *no_such_resource(void) {
  return strdup("the server could not find the requested resource");
}

/* Hands a message to the caller, or frees it. */
static void give(char **message, char *m) {
  if (message != NULL)
    *message = m;
  else
    free(m);
}

/* A 500 without a message is the kit running out of memory. */
static void oom_message(int code, char **message) {
  if (code == 500 && message != NULL && *message == NULL)
    give(message, strdup("Internal error occurred: out of memory"));
}

/* ---- dispatch-thread rule, records, failures ---- */

int kit_check_dispatch(struct cplane_test_host *h, const char *what) {
  const char *cb = kit_dispatching;

  if (cb == NULL)
    return 0;
  pthread_mutex_lock(&h->mu);
  h->dispatch_writes++;
  pthread_mutex_unlock(&h->mu);
  kit_log(h, "KIT", "%s from %s: blocking calls belong in reconcile(), "
                    "never in a dispatch callback", what, cb);
  return 1;
}

void kit_record_write(struct cplane_test_host *h, const char *verb,
                      const char *resource, const char *sub, const char *ns,
                      const char *name, int patch_type, const char *body,
                      int code) {
  struct cplane_test_write *w = calloc(1, sizeof *w), **grown;

  if (w == NULL)
    return;
  w->verb = strdup(verb);
  w->resource = strdup(resource);
  w->subresource = strdup(sub != NULL ? sub : "");
  w->ns = strdup(ns != NULL ? ns : "");
  w->name = strdup(name != NULL ? name : "");
  w->body = strdup(body != NULL ? body : "");
  w->patch_type = patch_type;
  w->code = code;
  w->from_dispatch = kit_dispatching != NULL;
  grown = realloc(h->writes, (h->n_writes + 1) * sizeof *grown);
  if (grown == NULL || w->verb == NULL || w->resource == NULL ||
      w->subresource == NULL || w->ns == NULL || w->name == NULL ||
      w->body == NULL) {
    h->writes = grown != NULL ? grown : h->writes;
    free((char *)w->verb);
    free((char *)w->resource);
    free((char *)w->subresource);
    free((char *)w->ns);
    free((char *)w->name);
    free((char *)w->body);
    free(w);
    return;
  }
  h->writes = grown;
  h->writes[h->n_writes++] = w;
}

/* 1 when a rule's resource pattern names resource/sub. */
static int pattern_matches(const char *pattern, const char *resource,
                           const char *sub) {
  const char *slash;

  if (pattern == NULL)
    return 1;
  if ((slash = strchr(pattern, '/')) == NULL)
    return strcmp(pattern, resource) == 0;
  return strlen(resource) == (size_t)(slash - pattern) &&
         strncmp(pattern, resource, strlen(resource)) == 0 &&
         strcmp(slash + 1, sub != NULL ? sub : "") == 0;
}

int kit_take_failure(struct cplane_test_host *h, const char *verb,
                     const char *resource, const char *sub, const char *name,
                     char **message) {
  struct kit_failure *f = NULL;
  size_t i;
  int code;

  for (i = 0; i < h->n_failures && f == NULL; i++)
    if ((h->failures[i].verb == NULL ||
         strcmp(h->failures[i].verb, verb) == 0) &&
        pattern_matches(h->failures[i].resource, resource, sub))
      f = &h->failures[i];
  if (f == NULL)
    return 0;
  code = f->code;
  if (f->message != NULL)
    give(message, strdup(f->message));
  else if (code == 404)
    give(message, not_found(resource, name));
  else if (code == 409)
    give(message, conflict(resource, name));
  else if (code == 500)
    give(message, strdup("Internal error occurred: injected by "
                         "cplane_test_fail()"));
  else
    give(message, kit_strf("injected by cplane_test_fail(): %d", code));
  if (--f->times == 0) {
    free(f->verb);
    free(f->resource);
    free(f->message);
    memmove(f, f + 1, (h->n_failures - (size_t)(f - h->failures) - 1) *
                          sizeof *f);
    h->n_failures--;
  }
  return code;
}

static char *dup_or_null(const char *s) {
  return s != NULL ? strdup(s) : NULL;
}

int cplane_test_fail(cplane_test_host *h, const char *verb,
                     const char *resource, unsigned times, int code,
                     const char *message) {
  struct kit_failure *grown, *f;
  int rc = CPLANE_OK;

  if (h == NULL || times == 0 || code < 100 || code > 599)
    return CPLANE_EINVAL;
  pthread_mutex_lock(&h->mu);
  grown = realloc(h->failures, (h->n_failures + 1) * sizeof *grown);
  if (grown == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  h->failures = grown;
  f = &h->failures[h->n_failures];
  *f = (struct kit_failure){dup_or_null(verb), dup_or_null(resource),
                            dup_or_null(message), times, code};
  if ((verb != NULL && f->verb == NULL) ||
      (resource != NULL && f->resource == NULL) ||
      (message != NULL && f->message == NULL)) {
    free(f->verb);
    free(f->resource);
    free(f->message);
    rc = CPLANE_ENOMEM;
    goto out;
  }
  h->n_failures++;
out:
  pthread_mutex_unlock(&h->mu);
  return rc;
}

/* ---- the store, under mu ---- */

static struct json_object *get_member(struct json_object *jo, const char *k) {
  struct json_object *v = NULL;

  return jo != NULL && json_object_object_get_ex(jo, k, &v) ? v : NULL;
}

static const char *get_str(struct json_object *jo, const char *k) {
  struct json_object *v = get_member(jo, k);

  return v != NULL && json_object_is_type(v, json_type_string)
             ? json_object_get_string(v)
             : NULL;
}

/* The stored object's entry, or NULL. */
static struct kit_entry *stored_entry(struct cplane_test_host *h,
                                      struct kit_resource *r, const char *ns,
                                      const char *name) {
  char key[512];
  struct kit_entry *e;

  if (name == NULL || name[0] == '\0')
    return NULL;
  if (ns != NULL && ns[0] != '\0')
    snprintf(key, sizeof key, "%s/%s", ns, name);
  else
    snprintf(key, sizeof key, "%s", name);
  (void)h;
  e = kit_entry_find(r, key);
  return e != NULL && e->stored != NULL ? e : NULL;
}

/* A json-c copy of a snapshot. */
static struct json_object *to_json(const cplane_object *obj) {
  char *text = cp_object_json(obj, NULL);
  struct json_object *jo = text != NULL ? json_tokener_parse(text) : NULL;

  free(text);
  return jo;
}

static int non_empty_array(struct json_object *a) {
  return a != NULL && json_object_is_type(a, json_type_array) &&
         json_object_array_length(a) > 0;
}

/* 1 when finalizers hold doc: metadata.finalizers, and for a namespace
 * spec.finalizers too (emptied through namespaces/NAME/finalize). */
static int has_finalizers(const struct kit_resource *r,
                          struct json_object *doc) {
  if (non_empty_array(get_member(get_member(doc, "metadata"), "finalizers")))
    return 1;
  return strcmp(r->name, "namespaces") == 0 &&
         non_empty_array(get_member(get_member(doc, "spec"), "finalizers"));
}

/* Stores doc as the new version of e: a new resourceVersion, or, for an
 * object being deleted that has no finalizer left, its removal. *out gets
 * the new snapshot. CPLANE_OK or CPLANE_ENOMEM. */
static int commit(struct cplane_test_host *h, struct kit_resource *r,
                  struct kit_entry *e, struct json_object *doc,
                  const cplane_object **out) {
  struct json_object *meta = kit_json_object_at(doc, "metadata");
  const cplane_object *obj;
  char rv[32];

  if (meta == NULL)
    return CPLANE_ENOMEM;
  kit_next_rv(h, rv, sizeof rv);
  if (kit_json_set_string(meta, "resourceVersion", rv) != CPLANE_OK ||
      (obj = kit_object_from(doc)) == NULL)
    return CPLANE_ENOMEM;
  if (out != NULL)
    *out = cp_object_retain(obj);
  if (get_member(meta, "deletionTimestamp") != NULL &&
      !has_finalizers(r, doc)) {
    cp_object_release(obj);
    obj = NULL;
  }
  kit_store_set(h, r, e, obj);
  return CPLANE_OK;
}

/* The resourceVersion precondition of a body: 409 when it names another
 * version than the stored one, else 0. */
static int stale(struct json_object *doc, const cplane_object *cur) {
  const char *rv = get_str(get_member(doc, "metadata"), "resourceVersion");
  const char *have = cp_object_resource_version(cur);

  if (rv == NULL || rv[0] == '\0')
    return 0;
  return have == NULL || strcmp(rv, have) != 0 ? 409 : 0;
}

/* Copies member k of from into to (replacing), or removes it from to when
 * from has none. */
static int carry(struct json_object *to, struct json_object *from,
                 const char *k) {
  struct json_object *v = get_member(from, k), *copy = NULL;

  if (v == NULL) {
    json_object_object_del(to, k);
    return CPLANE_OK;
  }
  if (json_object_deep_copy(v, &copy, NULL) != 0)
    return CPLANE_ENOMEM;
  if (json_object_object_add(to, k, copy) != 0) {
    json_object_put(copy);
    return CPLANE_ENOMEM;
  }
  return CPLANE_OK;
}

/* 1 when a and b differ outside metadata and status (the spec). */
static int spec_changed(struct json_object *a, struct json_object *b) {
  struct json_object_iterator it = json_object_iter_begin(a);
  struct json_object_iterator end = json_object_iter_end(a);
  int na = 0, nb = 0;

  for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
    const char *k = json_object_iter_peek_name(&it);

    if (strcmp(k, "metadata") == 0 || strcmp(k, "status") == 0)
      continue;
    na++;
    if (!json_object_equal(json_object_iter_peek_value(&it),
                           get_member(b, k)))
      return 1;
  }
  it = json_object_iter_begin(b);
  end = json_object_iter_end(b);
  for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
    const char *k = json_object_iter_peek_name(&it);

    nb += strcmp(k, "metadata") != 0 && strcmp(k, "status") != 0;
  }
  return na != nb;
}

/* Makes next a proper new version of the stored cur for subresource sub
 * ("" or "status"): identity kept, the other half of the object kept, the
 * generation bumped when the spec changed. next is modified. */
static int merge_version(struct json_object *cur, struct json_object *next,
                         const char *sub, struct json_object **result) {
  struct json_object *cm = get_member(cur, "metadata"), *nm;
  static const char *const kept[] = {"uid", "creationTimestamp",
                                     "deletionTimestamp",
                                     "deletionGracePeriodSeconds",
                                     "generation", "name", "namespace"};
  size_t i;
  int64_t gen;

  *result = NULL;
  if (strcmp(sub, "status") == 0) {
    /* Only status changes: start again from the stored object. */
    struct json_object *copy = NULL;

    if (json_object_deep_copy(cur, &copy, NULL) != 0)
      return CPLANE_ENOMEM;
    if (carry(copy, next, "status") != CPLANE_OK) {
      json_object_put(copy);
      return CPLANE_ENOMEM;
    }
    *result = copy;
    return CPLANE_OK;
  }
  if ((nm = kit_json_object_at(next, "metadata")) == NULL)
    return CPLANE_ENOMEM;
  for (i = 0; i < sizeof kept / sizeof kept[0]; i++)
    if (carry(nm, cm, kept[i]) != CPLANE_OK)
      return CPLANE_ENOMEM;
  if (carry(next, cur, "status") != CPLANE_OK)
    return CPLANE_ENOMEM;
  gen = json_object_get_int64(get_member(cm, "generation"));
  if (spec_changed(cur, next)) {
    struct json_object *g = json_object_new_int64(gen + 1);

    if (g == NULL || json_object_object_add(nm, "generation", g) != 0) {
      json_object_put(g);
      return CPLANE_ENOMEM;
    }
  }
  *result = json_object_get(next);
  return CPLANE_OK;
}

/* ---- create ---- */

/* POST pods/NAME/binding: sets spec.nodeName once. */
static int bind_pod(struct cplane_test_host *h, struct kit_resource *r,
                    const char *ns, const char *name, const char *json,
                    char **message) {
  struct json_object *body = json_tokener_parse(json), *cur = NULL, *spec;
  struct kit_entry *e = stored_entry(h, r, ns, name);
  const char *node = get_str(get_member(body, "target"), "name"), *bound;
  int code = 201;

  if (e == NULL) {
    code = 404;
    give(message, not_found(r->name, name));
    goto out;
  }
  if (node == NULL || node[0] == '\0') {
    code = 400;
    give(message, strdup("Binding.target.name: Required value"));
    goto out;
  }
  bound = cp_object_string(e->stored, "spec.nodeName");
  if (bound != NULL && bound[0] != '\0') {
    code = 409;
    give(message, kit_strf("Operation cannot be fulfilled on pods/binding "
                       "\"%s\": pod %s is already assigned to node \"%s\"",
                       name, name, bound));
    goto out;
  }
  if ((cur = to_json(e->stored)) == NULL ||
      (spec = kit_json_object_at(cur, "spec")) == NULL ||
      kit_json_set_string(spec, "nodeName", node) != CPLANE_OK ||
      commit(h, r, e, cur, NULL) != CPLANE_OK) {
    code = 500;
    give(message, strdup("Internal error occurred: out of memory"));
  }
out:
  json_object_put(body);
  json_object_put(cur);
  return code;
}

/* Fills a new object's metadata; 0 or an HTTP status with *message. */
static int new_metadata(struct cplane_test_host *h, struct kit_resource *r,
                        const char *ns, struct json_object *meta,
                        char *name, size_t len, char **message) {
  const char *n = get_str(meta, "name"), *gen = get_str(meta, "generateName");
  const char *body_ns = get_str(meta, "namespace");
  char buf[64];
  struct json_object *g;

  if (body_ns != NULL && body_ns[0] != '\0' && ns != NULL &&
      strcmp(body_ns, ns) != 0) {
    give(message, strdup("the namespace of the provided object does not "
                         "match the namespace sent on the request"));
    return 400;
  }
  if ((n == NULL || n[0] == '\0') && (gen == NULL || gen[0] == '\0')) {
    give(message, kit_strf("%s \"\" is invalid: metadata.name: Required value: "
                       "name or generateName is required",
                       r->resource));
    return 422;
  }
  if ((n != NULL && strlen(n) > MAX_NAME) ||
      (gen != NULL && strlen(gen) > MAX_NAME - 5)) {
    give(message, kit_strf("%s \"%.*s\" is invalid: metadata.name: Invalid "
                           "value: must be no more than %d characters",
                           r->resource, MAX_NAME, n != NULL ? n : gen,
                           MAX_NAME));
    return 422;
  }
  if (n == NULL || n[0] == '\0') {
    kit_next_suffix(h, buf, sizeof buf);
    snprintf(name, len, "%s%s", gen, buf);
  } else {
    snprintf(name, len, "%s", n);
  }
  if (kit_json_set_string(meta, "name", name) != CPLANE_OK ||
      (ns != NULL && ns[0] != '\0' &&
       kit_json_set_string(meta, "namespace", ns) != CPLANE_OK))
    return 500;
  kit_next_uid(h, buf, sizeof buf);
  if (kit_json_set_string(meta, "uid", buf) != CPLANE_OK ||
      kit_json_set_string(meta, "creationTimestamp",
                          cplane_test_rfc3339(h->now_ms, buf, sizeof buf)) !=
          CPLANE_OK)
    return 500;
  json_object_object_del(meta, "deletionTimestamp");
  if ((g = json_object_new_int64(1)) == NULL ||
      json_object_object_add(meta, "generation", g) != 0) {
    json_object_put(g);
    return 500;
  }
  return 0;
}

int kit_do_create(struct cplane_test_host *h, const char *resource,
                  const char *ns, const char *sub, const char *name,
                  const char *json, const cplane_object **out,
                  char **message) {
  struct json_object *doc = json != NULL ? json_tokener_parse(json) : NULL;
  struct json_object *meta = NULL;
  struct kit_resource *r;
  struct kit_entry *e;
  char new_name[320] = "";
  int code;

  pthread_mutex_lock(&h->mu);
  if ((code = kit_take_failure(h, "create", resource, sub, name, message)))
    goto out;
  if ((r = kit_resource_get(h, resource)) == NULL) {
    code = 500;
    goto out;
  }
  if (sub != NULL && sub[0] != '\0') {
    if (strcmp(r->name, "pods") == 0 && strcmp(sub, "binding") == 0)
      code = bind_pod(h, r, ns, name, json != NULL ? json : "", message);
    else
      code = 404, give(message, no_such_resource());
    goto out;
  }
  if (doc == NULL || !json_object_is_type(doc, json_type_object) ||
      (meta = kit_json_object_at(doc, "metadata")) == NULL) {
    code = 400;
    give(message, strdup("the body of the request is not a JSON object"));
    goto out;
  }
  if ((code = new_metadata(h, r, ns, meta, new_name, sizeof new_name,
                           message)) != 0)
    goto out;
  {
    char key[512];

    if (ns != NULL && ns[0] != '\0')
      snprintf(key, sizeof key, "%s/%s", ns, new_name);
    else
      snprintf(key, sizeof key, "%s", new_name);
    e = kit_entry_get(r, key);
  }
  if (e == NULL) {
    code = 500;
    goto out;
  }
  if (e->stored != NULL) {
    code = 409;
    give(message, kit_strf("%s \"%s\" already exists", r->name, new_name));
    goto out;
  }
  kit_resource_note(r, get_str(doc, "apiVersion"), get_str(doc, "kind"));
  code = commit(h, r, e, doc, out) == CPLANE_OK ? 201 : 500;
out:
  oom_message(code, message);
  kit_record_write(h, "create", resource, sub,
                   ns, new_name[0] != '\0' ? new_name : name, 0, json, code);
  pthread_mutex_unlock(&h->mu);
  json_object_put(doc);
  return code;
}

/* ---- update and patch ---- */

/* The common end of update and patch: next is the body or the patched
 * object; stores it as a new version of e. */
static int store_next(struct cplane_test_host *h, struct kit_resource *r,
                      struct kit_entry *e, const char *name, const char *sub,
                      struct json_object *next, const cplane_object **out,
                      char **message) {
  struct json_object *cur = to_json(e->stored), *result = NULL;
  const char *body_name = get_str(get_member(next, "metadata"), "name");
  int code = 200;

  if (cur == NULL) {
    code = 500;
    goto out;
  }
  if (stale(next, e->stored)) {
    code = 409;
    give(message, conflict(r->name, name));
    goto out;
  }
  if (body_name != NULL && strcmp(body_name, name) != 0) {
    code = 400;
    give(message, kit_strf("the name of the object (%s) does not match the "
                       "name on the URL (%s)", body_name, name));
    goto out;
  }
  if (merge_version(cur, next, sub, &result) != CPLANE_OK ||
      commit(h, r, e, result, out) != CPLANE_OK)
    code = 500;
out:
  json_object_put(cur);
  json_object_put(result);
  return code;
}

/* PUT namespaces/NAME/finalize: only spec.finalizers changes. */
static struct json_object *finalize_body(const cplane_object *cur,
                                         struct json_object *body) {
  struct json_object *next = to_json(cur), *spec;

  if (next == NULL || (spec = kit_json_object_at(next, "spec")) == NULL ||
      carry(spec, get_member(body, "spec"), "finalizers") != CPLANE_OK) {
    json_object_put(next);
    return NULL;
  }
  return next;
}

int kit_do_update(struct cplane_test_host *h, const char *resource,
                  const char *ns, const char *name, const char *sub,
                  const char *json, const cplane_object **out,
                  char **message) {
  struct json_object *doc = json != NULL ? json_tokener_parse(json) : NULL;
  struct json_object *next = NULL;
  struct kit_resource *r;
  struct kit_entry *e;
  int code;

  if (sub == NULL)
    sub = "";
  pthread_mutex_lock(&h->mu);
  if ((code = kit_take_failure(h, "update", resource, sub, name, message)))
    goto out;
  if ((r = kit_resource_get(h, resource)) == NULL) {
    code = 500;
    goto out;
  }
  if (sub[0] != '\0' && strcmp(sub, "status") != 0 &&
      !(strcmp(sub, "finalize") == 0 && strcmp(r->name, "namespaces") == 0)) {
    code = 404;
    give(message, no_such_resource());
    goto out;
  }
  if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
    code = 400;
    give(message, strdup("the body of the request is not a JSON object"));
    goto out;
  }
  if ((e = stored_entry(h, r, ns, name)) == NULL) {
    code = 404;
    give(message, not_found(r->name, name));
    goto out;
  }
  if (strcmp(sub, "finalize") == 0) {
    if (stale(doc, e->stored)) {
      code = 409;
      give(message, conflict(r->name, name));
      goto out;
    }
    next = finalize_body(e->stored, doc);
  } else {
    next = json_object_get(doc);
  }
  code = next != NULL
             ? store_next(h, r, e, name,
                          strcmp(sub, "status") == 0 ? "status" : "", next,
                          out, message)
             : 500;
out:
  oom_message(code, message);
  kit_record_write(h, "update", resource, sub, ns, name, 0, json, code);
  pthread_mutex_unlock(&h->mu);
  json_object_put(next);
  json_object_put(doc);
  return code;
}

static int patch_type_of(int t, enum cp_patch_type *out) {
  switch (t) {
  case CPLANE_PATCH_MERGE: *out = CP_PATCH_MERGE; return 0;
  case CPLANE_PATCH_JSON: *out = CP_PATCH_JSON; return 0;
  case CPLANE_PATCH_STRATEGIC: *out = CP_PATCH_STRATEGIC; return 0;
  default: return -1;
  }
}

static int do_patch(struct cplane_test_host *h, const char *resource,
                    const char *ns, const char *name, const char *sub,
                    int patch_type, const char *patch,
                    const cplane_object **out, char **message) {
  struct json_object *cur = NULL, *patched = NULL;
  struct kit_resource *r;
  struct kit_entry *e;
  enum cp_patch_type pt;
  char *err = NULL;
  int code, rc;

  if (sub == NULL)
    sub = "";
  pthread_mutex_lock(&h->mu);
  if ((code = kit_take_failure(h, "patch", resource, sub, name, message)))
    goto out;
  if ((r = kit_resource_get(h, resource)) == NULL) {
    code = 500;
    goto out;
  }
  if (patch_type_of(patch_type, &pt) != 0 || patch == NULL) {
    code = 415;
    give(message, kit_strf("the body of the request was in an unknown format - "
                       "accepted media types include: "
                       "application/json-patch+json, "
                       "application/merge-patch+json, "
                       "application/apply-patch+yaml, "
                       "application/strategic-merge-patch+json"));
    goto out;
  }
  if (sub[0] != '\0' && strcmp(sub, "status") != 0) {
    code = 404;
    give(message, no_such_resource());
    goto out;
  }
  if ((e = stored_entry(h, r, ns, name)) == NULL) {
    code = 404;
    give(message, not_found(r->name, name));
    goto out;
  }
  if ((cur = to_json(e->stored)) == NULL) {
    code = 500;
    goto out;
  }
  rc = cp_patch_apply(pt, cur, patch, strlen(patch), &patched, &err);
  if (rc == CP_PATCH_ETOOMANY) {
    code = 413;
    give(message, kit_strf("Request entity too large: %s",
                       err ? err : "too many operations"));
  } else if (rc != CPLANE_OK) {
    code = rc == CPLANE_ENOMEM ? 500 : 422;
    give(message, kit_strf("the patch could not be applied: %s",
                       err ? err : "out of memory"));
  } else {
    code = store_next(h, r, e, name, sub, patched, out, message);
  }
out:
  oom_message(code, message);
  kit_record_write(h, "patch", resource, sub, ns, name, patch_type, patch,
                   code);
  pthread_mutex_unlock(&h->mu);
  free(err);
  json_object_put(cur);
  json_object_put(patched);
  return code;
}

/* ---- delete ---- */

/* Adds finalizer f to doc's metadata.finalizers unless there. */
static int add_finalizer(struct json_object *meta, const char *f) {
  struct json_object *list = get_member(meta, "finalizers"), *s;
  size_t i;

  if (list == NULL || !json_object_is_type(list, json_type_array)) {
    if ((list = json_object_new_array()) == NULL ||
        json_object_object_add(meta, "finalizers", list) != 0)
      return CPLANE_ENOMEM;
  }
  for (i = 0; i < json_object_array_length(list); i++)
    if (strcmp(json_object_get_string(json_object_array_get_idx(list, i)),
               f) == 0)
      return CPLANE_OK;
  if ((s = json_object_new_string(f)) == NULL ||
      json_object_array_add(list, s) != 0) {
    json_object_put(s);
    return CPLANE_ENOMEM;
  }
  return CPLANE_OK;
}

static int held_by_finalizers(const struct kit_resource *r,
                              const cplane_object *obj) {
  struct json_object *doc = to_json(obj);
  int held = doc != NULL && has_finalizers(r, doc);

  json_object_put(doc);
  return held;
}

/* Marks e deleted: deletionTimestamp set, the policy's finalizer added. */
static int mark_deleting(struct cplane_test_host *h, struct kit_resource *r,
                         struct kit_entry *e, const char *policy) {
  struct json_object *doc = to_json(e->stored), *meta, *st, *zero = NULL;
  char ts[32];
  int rc = CPLANE_ENOMEM;

  if (doc == NULL || (meta = kit_json_object_at(doc, "metadata")) == NULL)
    goto out;
  if (policy != NULL && strcmp(policy, "Orphan") == 0 &&
      add_finalizer(meta, "orphan") != CPLANE_OK)
    goto out;
  if (policy != NULL && strcmp(policy, "Foreground") == 0 &&
      add_finalizer(meta, "foregroundDeletion") != CPLANE_OK)
    goto out;
  if (kit_json_set_string(meta, "deletionTimestamp",
                          cplane_test_rfc3339(h->now_ms, ts, sizeof ts)) !=
          CPLANE_OK ||
      (zero = json_object_new_int(0)) == NULL ||
      json_object_object_add(meta, "deletionGracePeriodSeconds", zero) != 0) {
    json_object_put(zero);
    goto out;
  }
  /* A namespace says so in its phase, as kube's strategy does. */
  if (strcmp(r->name, "namespaces") == 0 &&
      ((st = kit_json_object_at(doc, "status")) == NULL ||
       kit_json_set_string(st, "phase", "Terminating") != CPLANE_OK))
    goto out;
  rc = commit(h, r, e, doc, NULL);
out:
  json_object_put(doc);
  return rc;
}

/* The preconditions of DeleteOptions: 409 when one fails, else 0. */
static int precondition_failed(struct json_object *opts,
                               const cplane_object *cur, const char *name,
                               char **message) {
  struct json_object *pre = get_member(opts, "preconditions");
  const char *uid = get_str(pre, "uid"), *rv = get_str(pre, "resourceVersion");
  const char *have_uid = cp_object_uid(cur);
  const char *have_rv = cp_object_resource_version(cur);

  if (uid != NULL && (have_uid == NULL || strcmp(uid, have_uid) != 0)) {
    give(message, kit_strf("Precondition failed: UID in precondition: %s, "
                           "UID in object meta: %s",
                           uid, have_uid ? have_uid : ""));
    return 409;
  }
  if (rv != NULL && (have_rv == NULL || strcmp(rv, have_rv) != 0)) {
    give(message, kit_strf("Precondition failed: ResourceVersion in "
                       "precondition: %s, ResourceVersion in object meta: "
                       "%s", rv, have_rv ? have_rv : ""));
    return 409;
  }
  (void)name;
  return 0;
}

int kit_do_delete(struct cplane_test_host *h, const char *resource,
                  const char *ns, const char *name, const char *options,
                  char **message) {
  struct json_object *opts = options != NULL ? json_tokener_parse(options)
                                             : NULL;
  const char *policy = get_str(opts, "propagationPolicy");
  struct kit_resource *r;
  struct kit_entry *e;
  int code = 200, deleting;

  pthread_mutex_lock(&h->mu);
  if ((code = kit_take_failure(h, "delete", resource, "", name, message)))
    goto out;
  code = 200;
  if ((r = kit_resource_get(h, resource)) == NULL) {
    code = 500;
    goto out;
  }
  if (options != NULL && (opts == NULL ||
                          !json_object_is_type(opts, json_type_object))) {
    code = 400;
    give(message, strdup("the DeleteOptions body is not a JSON object"));
    goto out;
  }
  if ((e = stored_entry(h, r, ns, name)) == NULL) {
    code = 404;
    give(message, not_found(r->name, name));
    goto out;
  }
  if ((code = precondition_failed(opts, e->stored, name, message)))
    goto out;
  code = 200;
  deleting = cp_object_deletion_timestamp(e->stored) != NULL;
  if (deleting)
    goto out; /* already being deleted: nothing changes */
  if (held_by_finalizers(r, e->stored) ||
      (policy != NULL && (strcmp(policy, "Orphan") == 0 ||
                          strcmp(policy, "Foreground") == 0))) {
    if (mark_deleting(h, r, e, policy) != CPLANE_OK)
      code = 500;
    goto out;
  }
  kit_store_set(h, r, e, NULL);
out:
  oom_message(code, message);
  kit_record_write(h, "delete", resource, "", ns, name, 0, options, code);
  pthread_mutex_unlock(&h->mu);
  json_object_put(opts);
  return code;
}

/* ---- reads ---- */

int kit_do_get(struct cplane_test_host *h, const char *resource,
               const char *ns, const char *name, const cplane_object **out,
               char **message) {
  struct kit_resource *r;
  struct kit_entry *e;
  int code;

  pthread_mutex_lock(&h->mu);
  if ((code = kit_take_failure(h, "get", resource, "", name, message)))
    goto out;
  if ((r = kit_resource_get(h, resource)) == NULL) {
    code = 500;
    give(message, strdup("Internal error occurred: out of memory"));
  } else if ((e = stored_entry(h, r, ns, name)) == NULL) {
    code = 404;
    give(message, not_found(r->name, name));
  } else {
    code = 200;
    if (out != NULL)
      *out = cp_object_retain(e->stored);
  }
out:
  pthread_mutex_unlock(&h->mu);
  return code;
}

int kit_do_list(struct cplane_test_host *h, const char *resource,
                const char *ns, const char *label_selector,
                const char *field_selector, cplane_object_list **out,
                char **message) {
  const cplane_object **objs = NULL;
  struct kit_resource *r;
  size_t i, n = 0;
  int code;

  if (!kit_selector_valid(label_selector)) {
    give(message, kit_strf("unable to parse requirement: %s", label_selector));
    return 400;
  }
  pthread_mutex_lock(&h->mu);
  if ((code = kit_take_failure(h, "list", resource, "", NULL, message)))
    goto out;
  code = 500;
  if ((r = kit_resource_get(h, resource)) == NULL ||
      (objs = calloc(r->n + 1, sizeof *objs)) == NULL)
    goto out;
  for (i = 0; i < r->n; i++) {
    const cplane_object *o = r->entries[i].stored;
    const char *ons;

    if (o == NULL)
      continue;
    ons = cp_object_namespace(o);
    if (ns != NULL && ns[0] != '\0' &&
        (ons == NULL || strcmp(ons, ns) != 0))
      continue;
    if (kit_labels_match(o, label_selector) == 1 &&
        kit_fields_match(o, field_selector))
      objs[n++] = cp_object_retain(o);
  }
  code = 200;
out:
  pthread_mutex_unlock(&h->mu);
  if (code == 200) {
    cplane_object_list *list = kit_list_new(objs, n);

    if (list == NULL)
      code = 500;
    if (out != NULL)
      *out = list;
    else
      kit_list_free(list);
  }
  oom_message(code, message);
  return code;
}

/* ---- the table's entries ---- */

/* The host and the resource name of a call, after the common checks;
 * NULL for a bad call. */
static struct cplane_test_host *start_call(cplane_plugin_ctx *ctx,
                                           const struct cplane_resource *res,
                                           const char *what, char *name,
                                           size_t len,
                                           const cplane_object **out,
                                           char **message) {
  if (out != NULL)
    *out = NULL;
  if (message != NULL)
    *message = NULL;
  if (ctx == NULL || ctx->host == NULL || res == NULL ||
      res->resource == NULL)
    return NULL;
  kit_check_dispatch(ctx->host, what);
  kit_resource_name(res, name, len);
  return ctx->host;
}

static int kit_create(cplane_plugin_ctx *ctx,
                      const struct cplane_resource *res, const char *ns,
                      const char *json, const cplane_object **out,
                      char **message) {
  char name[256];
  struct cplane_test_host *h =
      start_call(ctx, res, "create", name, sizeof name, out, message);

  if (h == NULL || json == NULL)
    return CPLANE_EINVAL;
  return kit_do_create(h, name, ns, NULL, NULL, json, out, message);
}

static int kit_update(cplane_plugin_ctx *ctx,
                      const struct cplane_resource *res, const char *ns,
                      const char *name, const char *json,
                      const cplane_object **out, char **message) {
  char rname[256];
  struct cplane_test_host *h =
      start_call(ctx, res, "update", rname, sizeof rname, out, message);

  if (h == NULL || name == NULL || json == NULL)
    return CPLANE_EINVAL;
  return kit_do_update(h, rname, ns, name, "", json, out, message);
}

static int kit_update_status(cplane_plugin_ctx *ctx,
                             const struct cplane_resource *res,
                             const char *ns, const char *name,
                             const char *json, const cplane_object **out,
                             char **message) {
  char rname[256];
  struct cplane_test_host *h = start_call(ctx, res, "update_status", rname,
                                          sizeof rname, out, message);

  if (h == NULL || name == NULL || json == NULL)
    return CPLANE_EINVAL;
  return kit_do_update(h, rname, ns, name, "status", json, out, message);
}

static int kit_patch_subresource(cplane_plugin_ctx *ctx,
                                 const struct cplane_resource *res,
                                 const char *ns, const char *name,
                                 const char *sub, int patch_type,
                                 const char *patch, const cplane_object **out,
                                 char **message) {
  char rname[256];
  struct cplane_test_host *h =
      start_call(ctx, res, "patch", rname, sizeof rname, out, message);

  if (h == NULL || name == NULL || patch == NULL)
    return CPLANE_EINVAL;
  return do_patch(h, rname, ns, name, sub, patch_type, patch, out, message);
}

static int kit_patch(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                     const char *ns, const char *name, int patch_type,
                     const char *patch, const cplane_object **out,
                     char **message) {
  return kit_patch_subresource(ctx, res, ns, name, "", patch_type, patch,
                               out, message);
}

static int kit_delete_object(cplane_plugin_ctx *ctx,
                             const struct cplane_resource *res,
                             const char *ns, const char *name,
                             const char *options_json, char **message) {
  char rname[256];
  struct cplane_test_host *h =
      start_call(ctx, res, "delete", rname, sizeof rname, NULL, message);

  if (h == NULL || name == NULL)
    return CPLANE_EINVAL;
  return kit_do_delete(h, rname, ns, name, options_json, message);
}

static int kit_write_subresource(cplane_plugin_ctx *ctx,
                                 const struct cplane_resource *res,
                                 int method, const char *ns, const char *name,
                                 const char *sub, const char *json,
                                 const cplane_object **out, char **message) {
  char rname[256];
  struct cplane_test_host *h = start_call(ctx, res, "write_subresource",
                                          rname, sizeof rname, out, message);

  if (h == NULL || name == NULL || sub == NULL || sub[0] == '\0' ||
      json == NULL)
    return CPLANE_EINVAL;
  if (method == CPLANE_WRITE_CREATE)
    return kit_do_create(h, rname, ns, sub, name, json, out, message);
  if (method == CPLANE_WRITE_UPDATE)
    return kit_do_update(h, rname, ns, name, sub, json, out, message);
  return CPLANE_EINVAL;
}

static int kit_get(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                   const char *ns, const char *name, const cplane_object **out,
                   char **message) {
  char rname[256];
  struct cplane_test_host *h =
      start_call(ctx, res, "get", rname, sizeof rname, out, message);

  if (h == NULL || name == NULL || out == NULL)
    return CPLANE_EINVAL;
  return kit_do_get(h, rname, ns, name, out, message);
}

static int kit_list(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                    const char *ns, const char *label_selector,
                    const char *field_selector, cplane_object_list **out,
                    char **message) {
  char rname[256];
  struct cplane_test_host *h =
      start_call(ctx, res, "list", rname, sizeof rname, NULL, message);

  if (out != NULL)
    *out = NULL;
  if (h == NULL || out == NULL)
    return CPLANE_EINVAL;
  return kit_do_list(h, rname, ns, label_selector, field_selector, out,
                     message);
}

void kit_writes_fill(struct cplane_host_api *api) {
  api->create = kit_create;
  api->update = kit_update;
  api->update_status = kit_update_status;
  api->patch = kit_patch;
  api->delete_object = kit_delete_object;
  api->write_subresource = kit_write_subresource;
  api->patch_subresource = kit_patch_subresource;
  api->get = kit_get;
  api->list = kit_list;
}

/* ---- inspection ---- */

size_t cplane_test_writes_len(const cplane_test_host *h) {
  return h != NULL ? h->n_writes : 0;
}

const struct cplane_test_write *cplane_test_write_at(const cplane_test_host *h,
                                                     size_t i) {
  return h != NULL && i < h->n_writes ? h->writes[i] : NULL;
}

size_t cplane_test_writes_count(const cplane_test_host *h, const char *verb,
                                const char *resource) {
  size_t i, n = 0;

  for (i = 0; h != NULL && i < h->n_writes; i++) {
    const struct cplane_test_write *w = h->writes[i];

    if ((verb == NULL || strcmp(w->verb, verb) == 0) &&
        pattern_matches(resource, w->resource, w->subresource))
      n++;
  }
  return n;
}

static void write_free(struct cplane_test_write *w) {
  free((char *)w->verb);
  free((char *)w->resource);
  free((char *)w->subresource);
  free((char *)w->ns);
  free((char *)w->name);
  free((char *)w->body);
  free(w);
}

void cplane_test_writes_clear(cplane_test_host *h) {
  size_t i;

  if (h == NULL)
    return;
  pthread_mutex_lock(&h->mu);
  for (i = 0; i < h->n_writes; i++)
    write_free(h->writes[i]);
  free(h->writes);
  h->writes = NULL;
  h->n_writes = 0;
  pthread_mutex_unlock(&h->mu);
}

size_t cplane_test_dispatch_writes(const cplane_test_host *h) {
  return h != NULL ? h->dispatch_writes : 0;
}

void kit_writes_free(struct cplane_test_host *h) {
  size_t i;

  cplane_test_writes_clear(h);
  for (i = 0; i < h->n_failures; i++) {
    free(h->failures[i].verb);
    free(h->failures[i].resource);
    free(h->failures[i].message);
  }
  free(h->failures);
}
