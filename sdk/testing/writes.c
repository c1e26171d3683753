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

/* ---- create ---- */

/* POST pods/NAME/binding: sets spec.nodeName once. */
static int bind_pod(struct cplane_test_host *h, struct kit_resource *r,
                    const char *ns, const char *name, const char *json,
                    char **message) {
  struct json_object *body = json_tokener_parse(json), *cur = NULL, *spec;
  struct kit_entry *e = kit_stored_entry(h, r, ns, name);
  const char *node = kit_json_str(kit_json_get(body, "target"), "name"), *bound;
  int code = 201;

  if (e == NULL) {
    code = 404;
    kit_give(message, kit_msg_not_found(r->name, name));
    goto out;
  }
  if (node == NULL || node[0] == '\0') {
    code = 400;
    kit_give(message, strdup("Binding.target.name: Required value"));
    goto out;
  }
  bound = cp_object_string(e->stored, "spec.nodeName");
  if (bound != NULL && bound[0] != '\0') {
    code = 409;
    kit_give(message,
             kit_strf("Operation cannot be fulfilled on pods/binding "
                      "\"%s\": pod %s is already assigned to node \"%s\"",
                      name, name, bound));
    goto out;
  }
  if ((cur = kit_to_json(e->stored)) == NULL ||
      (spec = kit_json_object_at(cur, "spec")) == NULL ||
      kit_json_set_string(spec, "nodeName", node) != CPLANE_OK ||
      kit_commit(h, r, e, cur, NULL) != CPLANE_OK) {
    code = 500;
    kit_give(message, strdup("Internal error occurred: out of memory"));
  }
out:
  json_object_put(body);
  json_object_put(cur);
  return code;
}

/* Fills a new object's metadata; 0 or an HTTP status with *message. */
static int new_metadata(struct cplane_test_host *h, struct kit_resource *r,
                        const char *ns, struct json_object *meta, char *name,
                        size_t len, char **message) {
  const char *n = kit_json_str(meta, "name"),
             *gen = kit_json_str(meta, "generateName");
  const char *body_ns = kit_json_str(meta, "namespace");
  char buf[64];
  struct json_object *g;

  if (body_ns != NULL && body_ns[0] != '\0' && ns != NULL &&
      strcmp(body_ns, ns) != 0) {
    kit_give(message, strdup("the namespace of the provided object does not "
                             "match the namespace sent on the request"));
    return 400;
  }
  if ((n == NULL || n[0] == '\0') && (gen == NULL || gen[0] == '\0')) {
    kit_give(message,
             kit_strf("%s \"\" is invalid: metadata.name: Required value: "
                      "name or generateName is required",
                      r->resource));
    return 422;
  }
  if ((n != NULL && strlen(n) > MAX_NAME) ||
      (gen != NULL && strlen(gen) > MAX_NAME - 5)) {
    kit_give(message,
             kit_strf("%s \"%.*s\" is invalid: metadata.name: Invalid "
                      "value: must be no more than %d characters",
                      r->resource, MAX_NAME, n != NULL ? n : gen, MAX_NAME));
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
                  const char *json, const cplane_object **out, char **message) {
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
      code = 404, kit_give(message, kit_msg_no_such_resource());
    goto out;
  }
  if (doc == NULL || !json_object_is_type(doc, json_type_object) ||
      (meta = kit_json_object_at(doc, "metadata")) == NULL) {
    code = 400;
    kit_give(message, strdup("the body of the request is not a JSON object"));
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
    kit_give(message, kit_strf("%s \"%s\" already exists", r->name, new_name));
    goto out;
  }
  kit_resource_note(r, kit_json_str(doc, "apiVersion"),
                    kit_json_str(doc, "kind"));
  code = kit_commit(h, r, e, doc, out) == CPLANE_OK ? 201 : 500;
out:
  kit_oom_message(code, message);
  kit_record_write(h, "create", resource, sub, ns,
                   new_name[0] != '\0' ? new_name : name, 0, json, code);
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
  struct json_object *cur = kit_to_json(e->stored), *result = NULL;
  const char *body_name = kit_json_str(kit_json_get(next, "metadata"), "name");
  int code = 200;

  if (cur == NULL) {
    code = 500;
    goto out;
  }
  if (kit_stale(next, e->stored)) {
    code = 409;
    kit_give(message, kit_msg_conflict(r->name, name));
    goto out;
  }
  if (body_name != NULL && strcmp(body_name, name) != 0) {
    code = 400;
    kit_give(message, kit_strf("the name of the object (%s) does not match the "
                               "name on the URL (%s)",
                               body_name, name));
    goto out;
  }
  if (kit_merge_version(cur, next, sub, &result) != CPLANE_OK ||
      kit_commit(h, r, e, result, out) != CPLANE_OK)
    code = 500;
out:
  json_object_put(cur);
  json_object_put(result);
  return code;
}

/* PUT namespaces/NAME/finalize: only spec.finalizers changes. */
static struct json_object *finalize_body(const cplane_object *cur,
                                         struct json_object *body) {
  struct json_object *next = kit_to_json(cur), *spec;

  if (next == NULL || (spec = kit_json_object_at(next, "spec")) == NULL ||
      kit_json_carry(spec, kit_json_get(body, "spec"), "finalizers") !=
          CPLANE_OK) {
    json_object_put(next);
    return NULL;
  }
  return next;
}

int kit_do_update(struct cplane_test_host *h, const char *resource,
                  const char *ns, const char *name, const char *sub,
                  const char *json, const cplane_object **out, char **message) {
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
    kit_give(message, kit_msg_no_such_resource());
    goto out;
  }
  if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
    code = 400;
    kit_give(message, strdup("the body of the request is not a JSON object"));
    goto out;
  }
  if ((e = kit_stored_entry(h, r, ns, name)) == NULL) {
    code = 404;
    kit_give(message, kit_msg_not_found(r->name, name));
    goto out;
  }
  if (strcmp(sub, "finalize") == 0) {
    if (kit_stale(doc, e->stored)) {
      code = 409;
      kit_give(message, kit_msg_conflict(r->name, name));
      goto out;
    }
    next = finalize_body(e->stored, doc);
  } else {
    next = json_object_get(doc);
  }
  code = next != NULL ? store_next(h, r, e, name,
                                   strcmp(sub, "status") == 0 ? "status" : "",
                                   next, out, message)
                      : 500;
out:
  kit_oom_message(code, message);
  kit_record_write(h, "update", resource, sub, ns, name, 0, json, code);
  pthread_mutex_unlock(&h->mu);
  json_object_put(next);
  json_object_put(doc);
  return code;
}

static int patch_type_of(int t, enum cp_patch_type *out) {
  switch (t) {
  case CPLANE_PATCH_MERGE:
    *out = CP_PATCH_MERGE;
    return 0;
  case CPLANE_PATCH_JSON:
    *out = CP_PATCH_JSON;
    return 0;
  case CPLANE_PATCH_STRATEGIC:
    *out = CP_PATCH_STRATEGIC;
    return 0;
  default:
    return -1;
  }
}

int kit_do_patch(struct cplane_test_host *h, const char *resource,
                 const char *ns, const char *name, const char *sub,
                 int patch_type, const char *patch, const cplane_object **out,
                 char **message) {
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
    kit_give(message,
             kit_strf("the body of the request was in an unknown format - "
                      "accepted media types include: "
                      "application/json-patch+json, "
                      "application/merge-patch+json, "
                      "application/apply-patch+yaml, "
                      "application/strategic-merge-patch+json"));
    goto out;
  }
  if (sub[0] != '\0' && strcmp(sub, "status") != 0) {
    code = 404;
    kit_give(message, kit_msg_no_such_resource());
    goto out;
  }
  if ((e = kit_stored_entry(h, r, ns, name)) == NULL) {
    code = 404;
    kit_give(message, kit_msg_not_found(r->name, name));
    goto out;
  }
  if ((cur = kit_to_json(e->stored)) == NULL) {
    code = 500;
    goto out;
  }
  rc = cp_patch_apply(pt, cur, patch, strlen(patch), &patched, &err);
  if (rc == CP_PATCH_ETOOMANY) {
    code = 413;
    kit_give(message, kit_strf("Request entity too large: %s",
                               err ? err : "too many operations"));
  } else if (rc != CPLANE_OK) {
    code = rc == CPLANE_ENOMEM ? 500 : 422;
    kit_give(message, kit_strf("the patch could not be applied: %s",
                               err ? err : "out of memory"));
  } else {
    code = store_next(h, r, e, name, sub, patched, out, message);
  }
out:
  kit_oom_message(code, message);
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
  struct json_object *list = kit_json_get(meta, "finalizers"), *s;
  size_t i;

  if (list == NULL || !json_object_is_type(list, json_type_array)) {
    if ((list = json_object_new_array()) == NULL ||
        json_object_object_add(meta, "finalizers", list) != 0)
      return CPLANE_ENOMEM;
  }
  for (i = 0; i < json_object_array_length(list); i++)
    if (strcmp(json_object_get_string(json_object_array_get_idx(list, i)), f) ==
        0)
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
  struct json_object *doc = kit_to_json(obj);
  int held = doc != NULL && kit_has_finalizers(r, doc);

  json_object_put(doc);
  return held;
}

/* Marks e deleted: deletionTimestamp set, the policy's finalizer added. */
static int mark_deleting(struct cplane_test_host *h, struct kit_resource *r,
                         struct kit_entry *e, const char *policy) {
  struct json_object *doc = kit_to_json(e->stored), *meta, *st, *zero = NULL;
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
  rc = kit_commit(h, r, e, doc, NULL);
out:
  json_object_put(doc);
  return rc;
}

/* The preconditions of DeleteOptions: 409 when one fails, else 0. */
static int precondition_failed(struct json_object *opts,
                               const cplane_object *cur, const char *name,
                               char **message) {
  struct json_object *pre = kit_json_get(opts, "preconditions");
  const char *uid = kit_json_str(pre, "uid"),
             *rv = kit_json_str(pre, "resourceVersion");
  const char *have_uid = cp_object_uid(cur);
  const char *have_rv = cp_object_resource_version(cur);

  if (uid != NULL && (have_uid == NULL || strcmp(uid, have_uid) != 0)) {
    kit_give(message, kit_strf("Precondition failed: UID in precondition: %s, "
                               "UID in object meta: %s",
                               uid, have_uid ? have_uid : ""));
    return 409;
  }
  if (rv != NULL && (have_rv == NULL || strcmp(rv, have_rv) != 0)) {
    kit_give(message,
             kit_strf("Precondition failed: ResourceVersion in "
                      "precondition: %s, ResourceVersion in object meta: "
                      "%s",
                      rv, have_rv ? have_rv : ""));
    return 409;
  }
  (void)name;
  return 0;
}

int kit_do_delete(struct cplane_test_host *h, const char *resource,
                  const char *ns, const char *name, const char *options,
                  char **message) {
  struct json_object *opts =
      options != NULL ? json_tokener_parse(options) : NULL;
  const char *policy = kit_json_str(opts, "propagationPolicy");
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
  if (options != NULL &&
      (opts == NULL || !json_object_is_type(opts, json_type_object))) {
    code = 400;
    kit_give(message, strdup("the DeleteOptions body is not a JSON object"));
    goto out;
  }
  if ((e = kit_stored_entry(h, r, ns, name)) == NULL) {
    code = 404;
    kit_give(message, kit_msg_not_found(r->name, name));
    goto out;
  }
  if ((code = precondition_failed(opts, e->stored, name, message)))
    goto out;
  code = 200;
  deleting = cp_object_deletion_timestamp(e->stored) != NULL;
  if (deleting)
    goto out; /* already being deleted: nothing changes */
  if (held_by_finalizers(r, e->stored) ||
      (policy != NULL &&
       (strcmp(policy, "Orphan") == 0 || strcmp(policy, "Foreground") == 0))) {
    if (mark_deleting(h, r, e, policy) != CPLANE_OK)
      code = 500;
    goto out;
  }
  kit_store_set(h, r, e, NULL);
out:
  kit_oom_message(code, message);
  kit_record_write(h, "delete", resource, "", ns, name, 0, options, code);
  pthread_mutex_unlock(&h->mu);
  json_object_put(opts);
  return code;
}

/* ---- reads ---- */

int kit_do_get(struct cplane_test_host *h, const char *resource, const char *ns,
               const char *name, const cplane_object **out, char **message) {
  struct kit_resource *r;
  struct kit_entry *e;
  int code;

  pthread_mutex_lock(&h->mu);
  if ((code = kit_take_failure(h, "get", resource, "", name, message)))
    goto out;
  if ((r = kit_resource_get(h, resource)) == NULL) {
    code = 500;
    kit_give(message, strdup("Internal error occurred: out of memory"));
  } else if ((e = kit_stored_entry(h, r, ns, name)) == NULL) {
    code = 404;
    kit_give(message, kit_msg_not_found(r->name, name));
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
    kit_give(message,
             kit_strf("unable to parse requirement: %s", label_selector));
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
    if (ns != NULL && ns[0] != '\0' && (ons == NULL || strcmp(ons, ns) != 0))
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
  kit_oom_message(code, message);
  return code;
}
