/*
 * quota_versions - see quota_versions.h.
 */
#include "apiserver/quota_versions.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct version {
  char *key; /* NULL: a free slot */
  char *text;
  json_object *parsed; /* NULL, or the quota at rev as charged */
  int64_t rev;
  uint64_t used; /* the tick it was last noted or returned: LRU order */
};

struct cp_quota_versions {
  pthread_mutex_t mu;
  uint64_t tick;
  struct version v[CP_QUOTA_VERSIONS_MAX];
};

struct cp_quota_versions *cp_quota_versions_new(void) {
  struct cp_quota_versions *c = calloc(1, sizeof *c);

  if (c != NULL)
    pthread_mutex_init(&c->mu, NULL);
  return c;
}

static void version_clear(struct version *v) {
  free(v->key);
  free(v->text);
  json_object_put(v->parsed);
  memset(v, 0, sizeof *v);
}

void cp_quota_versions_free(struct cp_quota_versions *c) {
  size_t i;

  if (c == NULL)
    return;
  for (i = 0; i < CP_QUOTA_VERSIONS_MAX; i++)
    version_clear(&c->v[i]);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

/* key's slot, or NULL. Under c->mu. */
static struct version *find(struct cp_quota_versions *c, const char *key) {
  size_t i;

  for (i = 0; i < CP_QUOTA_VERSIONS_MAX; i++)
    if (c->v[i].key != NULL && strcmp(c->v[i].key, key) == 0)
      return &c->v[i];
  return NULL;
}

/* A free slot, else the least recently used one, emptied. Under c->mu. */
static struct version *slot_for_new(struct cp_quota_versions *c) {
  struct version *lru = &c->v[0];
  size_t i;

  for (i = 0; i < CP_QUOTA_VERSIONS_MAX; i++) {
    if (c->v[i].key == NULL)
      return &c->v[i];
    if (c->v[i].used < lru->used)
      lru = &c->v[i];
  }
  version_clear(lru);
  return lru;
}

void cp_quota_versions_note(struct cp_quota_versions *c, const char *key,
                            int64_t rev, const char *text, size_t len) {
  struct version *v;
  char *copy;

  if (c == NULL)
    return;
  pthread_mutex_lock(&c->mu);
  v = find(c, key);
  if (v != NULL && v->rev >= rev) {
    v->used = ++c->tick;
    goto out;
  }
  if ((copy = strndup(text, len)) == NULL) {
    if (v != NULL)
      version_clear(v); /* an older copy would only lose its CAS */
    goto out;
  }
  if (v == NULL) {
    v = slot_for_new(c);
    if ((v->key = strdup(key)) == NULL) {
      free(copy);
      goto out;
    }
  }
  free(v->text);
  json_object_put(v->parsed); /* of an older version */
  v->parsed = NULL;
  v->text = copy;
  v->rev = rev;
  v->used = ++c->tick;
out:
  pthread_mutex_unlock(&c->mu);
}

int cp_quota_versions_newer(struct cp_quota_versions *c, const char *key,
                            int64_t rev, char **text, int64_t *rev_out) {
  struct version *v;
  int newer = 0;

  *text = NULL;
  if (c == NULL)
    return 0;
  pthread_mutex_lock(&c->mu);
  v = find(c, key);
  /* Revisions are the store's (etcd's) single counter: the larger is the
   * later write, as kube's CompareResourceVersion decides. */
  if (v != NULL && v->rev > rev && (*text = strdup(v->text)) != NULL) {
    *rev_out = v->rev;
    v->used = ++c->tick;
    newer = 1;
  }
  pthread_mutex_unlock(&c->mu);
  return newer;
}

void cp_quota_versions_keep(struct cp_quota_versions *c, const char *key,
                            int64_t rev, json_object *obj) {
  struct version *v;

  if (c == NULL) {
    json_object_put(obj);
    return;
  }
  pthread_mutex_lock(&c->mu);
  v = find(c, key);
  if (v != NULL && v->rev == rev) {
    json_object_put(v->parsed);
    v->parsed = obj;
    obj = NULL;
  }
  pthread_mutex_unlock(&c->mu);
  json_object_put(obj);
}

json_object *cp_quota_versions_take(struct cp_quota_versions *c,
                                    const char *key, int64_t rev) {
  struct version *v;
  json_object *obj = NULL;

  if (c == NULL)
    return NULL;
  pthread_mutex_lock(&c->mu);
  v = find(c, key);
  if (v != NULL && v->rev == rev) {
    obj = v->parsed;
    v->parsed = NULL;
  }
  pthread_mutex_unlock(&c->mu);
  return obj;
}
