/*
 * versions - how the fake API server makes a new version of a stored
 * object, as kube's registry and strategies do: a fresh resourceVersion
 * on each commit, the resourceVersion precondition, identity and the
 * other half of the object (status, or the rest) kept, the generation
 * bumped on a spec change, and an object being deleted leaving the store
 * once no finalizer holds it.
 *
 * Threading: every function runs with the host's mutex held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "kit.h"
#include "object/object.h"

struct json_object *kit_json_get(struct json_object *jo, const char *k) {
  struct json_object *v = NULL;

  return jo != NULL && json_object_object_get_ex(jo, k, &v) ? v : NULL;
}

const char *kit_json_str(struct json_object *jo, const char *k) {
  struct json_object *v = kit_json_get(jo, k);

  return v != NULL && json_object_is_type(v, json_type_string)
             ? json_object_get_string(v)
             : NULL;
}

/* The stored object's entry, or NULL. */
struct kit_entry *kit_stored_entry(struct cplane_test_host *h,
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
struct json_object *kit_to_json(const cplane_object *obj) {
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
int kit_has_finalizers(const struct kit_resource *r, struct json_object *doc) {
  if (non_empty_array(
          kit_json_get(kit_json_get(doc, "metadata"), "finalizers")))
    return 1;
  return strcmp(r->name, "namespaces") == 0 &&
         non_empty_array(kit_json_get(kit_json_get(doc, "spec"), "finalizers"));
}

/* Stores doc as the new version of e: a new resourceVersion, or, for an
 * object being deleted that has no finalizer left, its removal. *out gets
 * the new snapshot. CPLANE_OK or CPLANE_ENOMEM. */
int kit_commit(struct cplane_test_host *h, struct kit_resource *r,
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
  if (kit_json_get(meta, "deletionTimestamp") != NULL &&
      !kit_has_finalizers(r, doc)) {
    cp_object_release(obj);
    obj = NULL;
  }
  kit_store_set(h, r, e, obj);
  return CPLANE_OK;
}

/* The resourceVersion precondition of a body: 409 when it names another
 * version than the stored one, else 0. */
int kit_stale(struct json_object *doc, const cplane_object *cur) {
  const char *rv =
      kit_json_str(kit_json_get(doc, "metadata"), "resourceVersion");
  const char *have = cp_object_resource_version(cur);

  if (rv == NULL || rv[0] == '\0')
    return 0;
  return have == NULL || strcmp(rv, have) != 0 ? 409 : 0;
}

/* Copies member k of from into to (replacing), or removes it from to when
 * from has none. */
int kit_json_carry(struct json_object *to, struct json_object *from,
                   const char *k) {
  struct json_object *v = kit_json_get(from, k), *copy = NULL;

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
                           kit_json_get(b, k)))
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
int kit_merge_version(struct json_object *cur, struct json_object *next,
                      const char *sub, struct json_object **result) {
  struct json_object *cm = kit_json_get(cur, "metadata"), *nm;
  static const char *const kept[] = {"uid",
                                     "creationTimestamp",
                                     "deletionTimestamp",
                                     "deletionGracePeriodSeconds",
                                     "generation",
                                     "name",
                                     "namespace"};
  size_t i;
  int64_t gen;

  *result = NULL;
  if (strcmp(sub, "status") == 0) {
    /* Only status changes: start again from the stored object. */
    struct json_object *copy = NULL;

    if (json_object_deep_copy(cur, &copy, NULL) != 0)
      return CPLANE_ENOMEM;
    if (kit_json_carry(copy, next, "status") != CPLANE_OK) {
      json_object_put(copy);
      return CPLANE_ENOMEM;
    }
    *result = copy;
    return CPLANE_OK;
  }
  if ((nm = kit_json_object_at(next, "metadata")) == NULL)
    return CPLANE_ENOMEM;
  for (i = 0; i < sizeof kept / sizeof kept[0]; i++)
    if (kit_json_carry(nm, cm, kept[i]) != CPLANE_OK)
      return CPLANE_ENOMEM;
  if (kit_json_carry(next, cur, "status") != CPLANE_OK)
    return CPLANE_ENOMEM;
  gen = json_object_get_int64(kit_json_get(cm, "generation"));
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
