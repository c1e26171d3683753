/*
 * store - the fake API server's objects and the plugin's caches beside
 * them, the watch events between the two, and the dispatch of those
 * events to the plugin's callbacks (with the host's enqueue_owner
 * mappings first), plus the table's cache entries.
 *
 * An entry holds the stored and the cached snapshot of one object; a
 * plugin's write changes the first and marks the entry pending, and
 * delivery makes the cache catch up, as a watch does.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "kit.h"
#include "object/object.h"

_Thread_local const char *kit_dispatching;

/* ---- resources and entries ---- */

const char *kit_resource_name(const struct cplane_resource *r, char *buf,
                              size_t len) {
  if (r->group == NULL || r->group[0] == '\0')
    snprintf(buf, len, "%s", r->resource != NULL ? r->resource : "");
  else
    snprintf(buf, len, "%s.%s", r->resource != NULL ? r->resource : "",
             r->group);
  return buf;
}

struct kit_resource *kit_resource_get(struct cplane_test_host *h,
                                      const char *name) {
  struct kit_resource *r, *grown;
  const char *dot;
  size_t i;

  if (name == NULL || name[0] == '\0' || name[0] == '.')
    return NULL;
  for (i = 0; i < h->n_res; i++)
    if (strcmp(h->res[i].name, name) == 0)
      return &h->res[i];
  grown = realloc(h->res, (h->n_res + 1) * sizeof *grown);
  if (grown == NULL)
    return NULL;
  h->res = grown;
  r = &h->res[h->n_res];
  memset(r, 0, sizeof *r);
  dot = strchr(name, '.');
  r->name = strdup(name);
  r->group = strdup(dot != NULL ? dot + 1 : "");
  r->resource =
      dot != NULL ? strndup(name, (size_t)(dot - name)) : strdup(name);
  if (r->name == NULL || r->group == NULL || r->resource == NULL) {
    free(r->name);
    free(r->group);
    free(r->resource);
    return NULL;
  }
  h->n_res++;
  return r;
}

void kit_resource_note(struct kit_resource *r, const char *api_version,
                       const char *kind) {
  const char *slash;

  if (r->version == NULL && api_version != NULL && api_version[0] != '\0') {
    slash = strchr(api_version, '/');
    r->version = strdup(slash != NULL ? slash + 1 : api_version);
  }
  if (r->kind == NULL && kind != NULL && kind[0] != '\0')
    r->kind = strdup(kind);
}

struct kit_entry *kit_entry_find(struct kit_resource *r, const char *key) {
  size_t i;

  for (i = 0; key != NULL && i < r->n; i++)
    if (strcmp(r->entries[i].key, key) == 0)
      return &r->entries[i];
  return NULL;
}

struct kit_entry *kit_entry_get(struct kit_resource *r, const char *key) {
  struct kit_entry *e = kit_entry_find(r, key);

  if (e != NULL || key == NULL)
    return e;
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 16;
    struct kit_entry *grown = realloc(r->entries, cap * sizeof *grown);

    if (grown == NULL)
      return NULL;
    r->entries = grown;
    r->cap = cap;
  }
  e = &r->entries[r->n];
  memset(e, 0, sizeof *e);
  if ((e->key = strdup(key)) == NULL)
    return NULL;
  r->n++;
  return e;
}

/* Drops an entry neither the store nor the cache holds any more. */
static void entry_compact(struct kit_resource *r, struct kit_entry *e) {
  size_t i = (size_t)(e - r->entries);

  if (e->stored != NULL || e->cached != NULL || e->pending)
    return;
  free(e->key);
  memmove(e, e + 1, (r->n - i - 1) * sizeof *e);
  r->n--;
}

void kit_store_set(struct cplane_test_host *h, struct kit_resource *r,
                   struct kit_entry *e, const cplane_object *obj) {
  (void)h;
  (void)r;
  cp_object_release(e->stored);
  e->stored = obj;
  e->pending = 1;
}

void kit_next_rv(struct cplane_test_host *h, char *buf, size_t len) {
  snprintf(buf, len, "%" PRIu64, ++h->next_rv);
}

void kit_next_uid(struct cplane_test_host *h, char *buf, size_t len) {
  snprintf(buf, len, "00000000-0000-4000-8000-%012" PRIx64, ++h->next_uid);
}

/* As kube's generateName: five characters from an alphabet without
 * vowels and look-alikes; from a counter, so tests are repeatable. */
void kit_next_suffix(struct cplane_test_host *h, char *buf, size_t len) {
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  uint64_t v = ++h->next_suffix * 2654435761u;
  size_t i;

  for (i = 0; i < 5 && i + 1 < len; i++) {
    buf[i] = alphabet[v % (sizeof alphabet - 1)];
    v /= sizeof alphabet - 1;
  }
  buf[i] = '\0';
}

/* ---- JSON helpers ---- */

int kit_json_set_string(struct json_object *jo, const char *key,
                        const char *value) {
  struct json_object *s = json_object_new_string(value);

  if (s == NULL)
    return CPLANE_ENOMEM;
  if (json_object_object_add(jo, key, s) != 0) {
    json_object_put(s);
    return CPLANE_ENOMEM;
  }
  return CPLANE_OK;
}

struct json_object *kit_json_object_at(struct json_object *jo,
                                       const char *key) {
  struct json_object *v = NULL;

  if (json_object_object_get_ex(jo, key, &v) &&
      json_object_is_type(v, json_type_object))
    return v;
  if ((v = json_object_new_object()) == NULL)
    return NULL;
  if (json_object_object_add(jo, key, v) != 0) {
    json_object_put(v);
    return NULL;
  }
  return v;
}

const cplane_object *kit_object_from(struct json_object *jo) {
  const char *text = json_object_to_json_string_ext(jo, JSON_C_TO_STRING_PLAIN);
  cplane_object *obj = NULL;

  if (text == NULL || cp_object_parse(text, strlen(text), &obj, NULL) != 0)
    return NULL;
  return obj;
}

/* ---- dispatch ---- */

/* The group of an apiVersion: "apps/v1" -> "apps", "v1" -> "". */
static int queue_owner(void *userdata, const char *key) {
  return kit_queue_add(userdata, key, 0) == CPLANE_OK;
}

/* Queues the owners of obj that the enqueue_owner() rules of watch w name,
 * by the host's rules (plugin/owner_map.h). */
static void enqueue_owners(struct cplane_test_host *h, uint32_t w,
                           const cplane_object *obj) {
  cp_owner_map_keys(&h->owners, w, obj, queue_owner, h);
}

/* Calls the plugin for one change of an object of store resource r, on
 * each of its watches that sees it; old or new may be NULL. Without mu. */
static void dispatch(struct cplane_test_host *h, size_t r,
                     const cplane_object *old_obj,
                     const cplane_object *new_obj) {
  const struct cplane_plugin *p = h->plugin;
  uint32_t w;

  if (!h->started)
    return;
  for (w = 0; w < p->n_resources; w++) {
    const char *sel = h->watches[w].label_selector;
    int was, is;

    if (h->watches[w].store_res != r)
      continue;
    was = old_obj != NULL && kit_labels_match(old_obj, sel) == 1;
    is = new_obj != NULL && kit_labels_match(new_obj, sel) == 1;
    if (!was && !is)
      continue;
    pthread_mutex_lock(&h->mu);
    if (was)
      enqueue_owners(h, w, old_obj);
    if (is)
      enqueue_owners(h, w, new_obj);
    pthread_mutex_unlock(&h->mu);
    if (!was && p->on_add != NULL) {
      kit_dispatching = "on_add";
      p->on_add(&h->ctx, w, new_obj);
    } else if (was && is && p->on_update != NULL) {
      kit_dispatching = "on_update";
      p->on_update(&h->ctx, w, old_obj, new_obj);
    } else if (was && !is && p->on_delete != NULL) {
      kit_dispatching = "on_delete";
      p->on_delete(&h->ctx, w, old_obj);
    }
    kit_dispatching = NULL;
  }
}

int kit_deliver(struct cplane_test_host *h) {
  int delivered = 0;

  for (;;) {
    const cplane_object *old_obj = NULL, *new_obj = NULL;
    size_t r, i, res_index = 0;
    int found = 0;

    pthread_mutex_lock(&h->mu);
    for (r = 0; r < h->n_res && !found; r++) {
      struct kit_resource *kr = &h->res[r];

      for (i = 0; i < kr->n && !found; i++) {
        struct kit_entry *e = &kr->entries[i];

        if (!e->pending)
          continue;
        found = 1;
        res_index = r;
        e->pending = 0;
        old_obj = e->cached;
        new_obj = e->stored != NULL ? cp_object_retain(e->stored) : NULL;
        e->cached = new_obj != NULL ? cp_object_retain(new_obj) : NULL;
        entry_compact(kr, e);
      }
    }
    pthread_mutex_unlock(&h->mu);
    if (!found)
      return delivered;
    if (old_obj != new_obj) {
      dispatch(h, res_index, old_obj, new_obj);
      delivered++;
    }
    cp_object_release(old_obj);
    cp_object_release(new_obj);
  }
}

/* Calls the plugin for every cached object: as on_add (the initial list)
 * or, for a resync, as on_update(obj, obj). Without mu. */
static void replay_cache(struct cplane_test_host *h, int resync) {
  size_t r, i, n = 0, k;
  const cplane_object **objs = NULL;
  size_t *res_of = NULL;

  pthread_mutex_lock(&h->mu);
  for (r = 0; r < h->n_res; r++)
    n += h->res[r].n;
  objs = calloc(n + 1, sizeof *objs);
  res_of = calloc(n + 1, sizeof *res_of);
  n = 0;
  for (r = 0; objs != NULL && res_of != NULL && r < h->n_res; r++)
    for (i = 0; i < h->res[r].n; i++) {
      if (h->res[r].entries[i].cached == NULL)
        continue;
      objs[n] = cp_object_retain(h->res[r].entries[i].cached);
      res_of[n++] = r;
    }
  pthread_mutex_unlock(&h->mu);
  for (k = 0; k < n; k++) {
    dispatch(h, res_of[k], resync ? objs[k] : NULL, objs[k]);
    cp_object_release(objs[k]);
  }
  free(objs);
  free(res_of);
}

void kit_initial_list(struct cplane_test_host *h) { replay_cache(h, 0); }

void cplane_test_resync(cplane_test_host *h) {
  if (h != NULL)
    replay_cache(h, 1);
}

/* ---- objects the test adds, updates and deletes ---- */

/* Parses a test's JSON object and fills in what the store would. */
static int prepare(struct cplane_test_host *h, const char *json,
                   const cplane_object *old_obj, const cplane_object **out) {
  struct json_object *jo = json != NULL ? json_tokener_parse(json) : NULL;
  struct json_object *meta, *v;
  char buf[64];
  int r = CPLANE_EINVAL;

  *out = NULL;
  if (jo == NULL || !json_object_is_type(jo, json_type_object))
    goto out;
  if ((meta = kit_json_object_at(jo, "metadata")) == NULL) {
    r = CPLANE_ENOMEM;
    goto out;
  }
  if (!json_object_object_get_ex(meta, "name", &v) ||
      !json_object_is_type(v, json_type_string))
    goto out;
  r = CPLANE_ENOMEM;
  pthread_mutex_lock(&h->mu);
  kit_next_rv(h, buf, sizeof buf);
  if (kit_json_set_string(meta, "resourceVersion", buf) != CPLANE_OK)
    goto unlock;
  if (!json_object_object_get_ex(meta, "uid", NULL)) {
    if (old_obj != NULL && cp_object_uid(old_obj) != NULL)
      snprintf(buf, sizeof buf, "%s", cp_object_uid(old_obj));
    else
      kit_next_uid(h, buf, sizeof buf);
    if (kit_json_set_string(meta, "uid", buf) != CPLANE_OK)
      goto unlock;
  }
  if (!json_object_object_get_ex(meta, "creationTimestamp", NULL)) {
    const char *ts =
        old_obj != NULL
            ? cp_object_string(old_obj, "metadata.creationTimestamp")
            : NULL;

    if (ts == NULL)
      ts = cplane_test_rfc3339(h->now_ms, buf, sizeof buf);
    if (kit_json_set_string(meta, "creationTimestamp", ts) != CPLANE_OK)
      goto unlock;
  }
  r = (*out = kit_object_from(jo)) != NULL ? CPLANE_OK : CPLANE_ENOMEM;
unlock:
  pthread_mutex_unlock(&h->mu);
out:
  if (r == CPLANE_EINVAL)
    kit_log(h, "KIT",
            "cplane_test: not a JSON object with metadata.name: "
            "%.200s",
            json != NULL ? json : "(null)");
  json_object_put(jo);
  return r;
}

/* Puts obj (owned) in the store and the cache of resource `name` as the
 * object with its key; *old_out gets the cached object it replaced. */
static int put(struct cplane_test_host *h, const char *name, const char *key,
               const cplane_object *obj, int must_exist,
               const cplane_object **old_out, size_t *res_index) {
  struct kit_resource *r;
  struct kit_entry *e;
  int rc = CPLANE_OK;

  *old_out = NULL;
  pthread_mutex_lock(&h->mu);
  if ((r = kit_resource_get(h, name)) == NULL ||
      (e = kit_entry_get(r, key)) == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  *res_index = (size_t)(r - h->res);
  kit_resource_note(r, cp_object_string(obj, "apiVersion"),
                    cp_object_string(obj, "kind"));
  if (must_exist != (e->stored != NULL)) {
    rc = must_exist ? CPLANE_ENOENT : CPLANE_ERANGE;
    entry_compact(r, e);
    goto out;
  }
  *old_out = e->cached;
  cp_object_release(e->stored);
  e->stored = cp_object_retain(obj);
  e->cached = obj;
  e->pending = 0;
  obj = NULL;
out:
  pthread_mutex_unlock(&h->mu);
  cp_object_release(obj);
  return rc;
}

static int add_or_update(struct cplane_test_host *h, const char *resource,
                         const char *json, int update) {
  const cplane_object *obj = NULL, *old_obj = NULL, *cur = NULL;
  char key[512];
  size_t r = 0;
  int rc;

  if (h == NULL || resource == NULL)
    return CPLANE_EINVAL;
  if (update) {
    /* The old object gives uid and creationTimestamp. */
    if ((rc = prepare(h, json, NULL, &obj)) != CPLANE_OK)
      return rc;
    cplane_test_get(h, resource, cp_object_key(obj), &cur);
    cp_object_release(obj);
    if (cur == NULL)
      return CPLANE_ENOENT;
  }
  rc = prepare(h, json, cur, &obj);
  cp_object_release(cur);
  if (rc != CPLANE_OK)
    return rc;
  snprintf(key, sizeof key, "%s", cp_object_key(obj));
  cur = cp_object_retain(obj); /* put() takes obj */
  rc = put(h, resource, key, obj, update, &old_obj, &r);
  if (rc == CPLANE_OK)
    dispatch(h, r, old_obj, cur);
  cp_object_release(cur);
  cp_object_release(old_obj);
  return rc;
}

int cplane_test_add(cplane_test_host *h, const char *resource,
                    const char *json) {
  return add_or_update(h, resource, json, 0);
}

int cplane_test_update(cplane_test_host *h, const char *resource,
                       const char *json) {
  return add_or_update(h, resource, json, 1);
}

int cplane_test_delete(cplane_test_host *h, const char *resource,
                       const char *key) {
  const cplane_object *old_obj = NULL;
  struct kit_resource *r;
  struct kit_entry *e;
  size_t ri = 0;

  if (h == NULL || resource == NULL || key == NULL)
    return CPLANE_EINVAL;
  pthread_mutex_lock(&h->mu);
  r = kit_resource_get(h, resource);
  e = r != NULL ? kit_entry_find(r, key) : NULL;
  if (e == NULL || e->stored == NULL) {
    pthread_mutex_unlock(&h->mu);
    return CPLANE_ENOENT;
  }
  ri = (size_t)(r - h->res);
  old_obj = e->cached != NULL ? e->cached : cp_object_retain(e->stored);
  cp_object_release(e->stored);
  e->stored = e->cached = NULL;
  e->pending = 0;
  entry_compact(r, e);
  pthread_mutex_unlock(&h->mu);
  dispatch(h, ri, old_obj, NULL);
  cp_object_release(old_obj);
  return CPLANE_OK;
}

int cplane_test_deliver(cplane_test_host *h) {
  return h != NULL ? kit_deliver(h) : 0;
}

int cplane_test_get(cplane_test_host *h, const char *resource, const char *key,
                    const cplane_object **out) {
  struct kit_resource *r;
  struct kit_entry *e;
  int rc = CPLANE_ENOENT;

  if (out == NULL)
    return CPLANE_EINVAL;
  *out = NULL;
  if (h == NULL || resource == NULL || key == NULL)
    return CPLANE_EINVAL;
  pthread_mutex_lock(&h->mu);
  r = kit_resource_get(h, resource);
  e = r != NULL ? kit_entry_find(r, key) : NULL;
  if (e != NULL && e->stored != NULL) {
    *out = cp_object_retain(e->stored);
    rc = CPLANE_OK;
  }
  pthread_mutex_unlock(&h->mu);
  return rc;
}

char *cplane_test_get_string(cplane_test_host *h, const char *resource,
                             const char *key, const char *path, char *buf,
                             size_t len) {
  const cplane_object *obj = NULL;
  const char *s;

  if (buf == NULL || len == 0)
    return buf;
  buf[0] = '\0';
  if (cplane_test_get(h, resource, key, &obj) != CPLANE_OK)
    return buf;
  if ((s = cp_object_string(obj, path)) != NULL)
    snprintf(buf, len, "%s", s);
  cp_object_release(obj);
  return buf;
}

size_t cplane_test_count(cplane_test_host *h, const char *resource,
                         const char *ns, const char *label_selector) {
  struct kit_resource *r;
  size_t i, n = 0;

  if (h == NULL || resource == NULL)
    return 0;
  pthread_mutex_lock(&h->mu);
  r = kit_resource_get(h, resource);
  for (i = 0; r != NULL && i < r->n; i++) {
    const cplane_object *o = r->entries[i].stored;
    const char *ons;

    if (o == NULL || kit_labels_match(o, label_selector) != 1)
      continue;
    ons = cp_object_namespace(o);
    if (ns != NULL && (ons == NULL || strcmp(ons, ns) != 0))
      continue;
    n++;
  }
  pthread_mutex_unlock(&h->mu);
  return n;
}

void kit_store_free(struct cplane_test_host *h) {
  size_t r, i;

  for (r = 0; r < h->n_res; r++) {
    struct kit_resource *kr = &h->res[r];

    for (i = 0; i < kr->n; i++) {
      cp_object_release(kr->entries[i].stored);
      cp_object_release(kr->entries[i].cached);
      free(kr->entries[i].key);
    }
    free(kr->entries);
    free(kr->version);
    free(kr->kind);
    free(kr->name);
    free(kr->group);
    free(kr->resource);
  }
  free(h->res);
}
