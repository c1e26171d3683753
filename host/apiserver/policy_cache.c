/*
 * policy_cache - see policy_cache.h.
 */
#include "apiserver/policy_cache.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/resources.h"
#include "clock/clock.h"

#define TTL_MS 1000

struct entry {
  char *ns;
  char *text;
  char *key;   /* the store's, for quota admission's compare-and-swap */
  int64_t rev; /* its mod_revision */
  /* text parsed, at its first pick (under the cache's mutex): each pick
   * hands out a deep copy, a third of a parse's cost (LimitRanger asks
   * twice per pod create). NULL: not parsed yet, or not an object. */
  json_object *parsed;
  int tried;
};

struct snapshot {
  struct entry *v; /* NULL with valid 0: none */
  size_t n;
  int valid;
  int64_t at_ms;
};

struct cp_policy_cache {
  pthread_mutex_t mu;
  uint64_t epoch;
  struct snapshot s[2];
};

static const char *const resource_of[] = {"limitranges", "resourcequotas"};

static int64_t now_ms(void) { return cp_now_ms(); }

static void snapshot_clear(struct snapshot *s) {
  size_t i;

  for (i = 0; i < s->n; i++) {
    free(s->v[i].ns);
    free(s->v[i].text);
    free(s->v[i].key);
    json_object_put(s->v[i].parsed);
  }
  free(s->v);
  memset(s, 0, sizeof *s);
}

struct cp_policy_cache *cp_policy_cache_new(void) {
  struct cp_policy_cache *c = calloc(1, sizeof *c);

  if (c != NULL)
    pthread_mutex_init(&c->mu, NULL);
  return c;
}

void cp_policy_cache_free(struct cp_policy_cache *c) {
  if (c == NULL)
    return;
  snapshot_clear(&c->s[0]);
  snapshot_clear(&c->s[1]);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

void cp_policy_cache_invalidate(struct cp_policy_cache *c) {
  pthread_mutex_lock(&c->mu);
  c->epoch++;
  snapshot_clear(&c->s[0]);
  snapshot_clear(&c->s[1]);
  pthread_mutex_unlock(&c->mu);
}

/* Reads every object of kind from the store into s. 0 or -1. */
static int snapshot_read(struct cp_api_ctx *ctx, enum cp_policy_kind kind,
                         struct snapshot *s) {
  const struct cp_resource_type *t =
      cp_resources_find(ctx->resources, "", "v1", resource_of[kind]);
  cp_store_list_result res;
  char *prefix = t != NULL ? cp_api_key(t, NULL, NULL) : NULL;
  size_t plen, i;
  int rc = -1;

  memset(s, 0, sizeof *s);
  memset(&res, 0, sizeof res);
  if (prefix == NULL)
    return -1;
  plen = strlen(prefix);
  if (cp_store_list(ctx->store, prefix, plen, NULL, 0, 0, 0, &res) !=
      CPLANE_OK)
    goto out;
  s->v = calloc(res.count + 1, sizeof *s->v);
  if (s->v == NULL)
    goto out;
  for (i = 0; i < res.count; i++) {
    const cp_store_kv *kv = &res.kvs[i];
    const char *ns = (const char *)kv->key + plen;
    const char *slash = memchr(ns, '/', kv->key_len - plen);
    struct entry *e = &s->v[s->n];

    if (kv->key_len <= plen || slash == NULL)
      continue;
    e->ns = strndup(ns, (size_t)(slash - ns));
    e->text = strndup((const char *)kv->value, kv->value_len);
    e->key = strndup((const char *)kv->key, kv->key_len);
    e->rev = kv->mod_revision;
    s->n++;
    if (e->ns == NULL || e->text == NULL || e->key == NULL)
      goto out;
  }
  s->valid = 1;
  rc = 0;
out:
  if (rc < 0)
    snapshot_clear(s);
  cp_store_list_result_free(&res);
  free(prefix);
  return rc;
}

/* Copies the entries of ns in s into kvs (key, value, mod_revision).
 * 0, or -1 out of memory (kvs then empty). */
static int snapshot_kvs(const struct snapshot *s, const char *ns, size_t n,
                        cp_store_list_result *kvs) {
  size_t i;

  memset(kvs, 0, sizeof *kvs);
  if ((kvs->kvs = calloc(n + 1, sizeof *kvs->kvs)) == NULL)
    return -1;
  for (i = 0; i < s->n && kvs->count < n; i++) {
    cp_store_kv *kv = &kvs->kvs[kvs->count];

    if (strcmp(s->v[i].ns, ns) != 0)
      continue;
    kv->key_len = strlen(s->v[i].key);
    kv->value_len = strlen(s->v[i].text);
    kv->key = (uint8_t *)strdup(s->v[i].key);
    kv->value = (uint8_t *)strdup(s->v[i].text);
    kv->mod_revision = s->v[i].rev;
    kvs->count++;
    if (kv->key == NULL || kv->value == NULL) {
      cp_store_list_result_free(kvs);
      return -1;
    }
  }
  return 0;
}

/* e's object, parsed at the first call; NULL when its text is not an
 * object (or memory ran out). Under the mutex when e is the cache's. */
static json_object *entry_parsed(struct entry *e) {
  if (!e->tried) {
    e->tried = 1;
    e->parsed = json_tokener_parse(e->text);
    if (e->parsed != NULL &&
        !json_object_is_type(e->parsed, json_type_object)) {
      json_object_put(e->parsed);
      e->parsed = NULL;
    }
  }
  return e->parsed;
}

/* The parsed copy of e for a caller to own and change, or NULL (text
 * not an object, or out of memory: skipped, as an unparsable text). */
static json_object *entry_copy(struct entry *e) {
  json_object *o = NULL;

  if (entry_parsed(e) == NULL ||
      json_object_deep_copy(e->parsed, &o, NULL) != 0) {
    json_object_put(o);
    return NULL;
  }
  return o;
}

/* The objects of ns in s, parsed, appended to arr, or as store entries
 * in kvs (both NULL: counted only, nothing parsed). Returns how many ns
 * has, or -1 out of memory. Under the cache's mutex when s is its. */
static long snapshot_pick(struct snapshot *s, const char *ns,
                          json_object *arr, cp_store_list_result *kvs) {
  size_t i, n = 0;

  for (i = 0; i < s->n; i++) {
    json_object *o;

    if (strcmp(s->v[i].ns, ns) != 0)
      continue;
    n++;
    if (arr != NULL && (o = entry_copy(&s->v[i])) != NULL)
      json_object_array_add(arr, o);
  }
  if (kvs != NULL && snapshot_kvs(s, ns, n, kvs) < 0)
    return -1;
  return (long)n;
}

/* The objects of kind in ns appended to arr or kvs (both NULL: counted
 * only), from the cache when fresh, else from the store (and kept). How
 * many, or -1 when the store failed or memory ran out. */
static long policy_pick(struct cp_api_ctx *ctx, enum cp_policy_kind kind,
                        const char *ns, json_object *arr,
                        cp_store_list_result *kvs) {
  struct cp_policy_cache *c = ctx->policy_cache;
  struct snapshot fresh;
  uint64_t epoch = 0;
  long n;

  if (c != NULL) {
    pthread_mutex_lock(&c->mu);
    if (c->s[kind].valid && now_ms() - c->s[kind].at_ms < TTL_MS) {
      n = snapshot_pick(&c->s[kind], ns, arr, kvs);
      pthread_mutex_unlock(&c->mu);
      return n;
    }
    epoch = c->epoch;
    pthread_mutex_unlock(&c->mu);
  }
  if (snapshot_read(ctx, kind, &fresh) < 0)
    return -1;
  n = snapshot_pick(&fresh, ns, arr, kvs);
  if (c != NULL) {
    pthread_mutex_lock(&c->mu);
    if (epoch == c->epoch) {
      snapshot_clear(&c->s[kind]);
      c->s[kind] = fresh;
      c->s[kind].at_ms = now_ms();
      memset(&fresh, 0, sizeof fresh);
    }
    pthread_mutex_unlock(&c->mu);
  }
  snapshot_clear(&fresh);
  return n;
}

int cp_policy_list(struct cp_api_ctx *ctx, enum cp_policy_kind kind,
                   const char *ns, json_object **out) {
  json_object *arr = json_object_new_array();

  *out = NULL;
  if (arr == NULL)
    return -1;
  if (policy_pick(ctx, kind, ns, arr, NULL) < 0) {
    json_object_put(arr);
    return -1;
  }
  *out = arr;
  return 0;
}

/* The cached objects of ns in s as a new array holding a reference to
 * each (dropped with it), or NULL out of memory. Under the mutex. */
static json_object *snapshot_borrow(struct snapshot *s, const char *ns) {
  json_object *arr = json_object_new_array();
  size_t i;

  for (i = 0; arr != NULL && i < s->n; i++) {
    struct entry *e = &s->v[i];

    if (strcmp(e->ns, ns) != 0)
      continue;
    if (entry_parsed(e) != NULL &&
        json_object_array_add(arr, json_object_get(e->parsed)) != 0) {
      json_object_put(e->parsed);
      json_object_put(arr);
      arr = NULL;
    }
  }
  return arr;
}

int cp_policy_with(struct cp_api_ctx *ctx, enum cp_policy_kind kind,
                   const char *ns, void (*fn)(json_object *arr, void *arg),
                   void *arg) {
  struct cp_policy_cache *c = ctx->policy_cache;
  json_object *arr = NULL;
  int round;

  /* A stale snapshot is read again (policy_pick keeps it), then used;
   * one that goes stale again at once is copied instead. */
  for (round = 0; c != NULL && round < 2; round++) {
    pthread_mutex_lock(&c->mu);
    if (c->s[kind].valid && now_ms() - c->s[kind].at_ms < TTL_MS) {
      arr = snapshot_borrow(&c->s[kind], ns);
      if (arr != NULL)
        fn(arr, arg);
      /* Drops only the references taken: json-c counts them without
       * atomics, so under the mutex as every use of the snapshot. */
      round = arr != NULL ? 0 : -1;
      json_object_put(arr);
      pthread_mutex_unlock(&c->mu);
      return round;
    }
    pthread_mutex_unlock(&c->mu);
    if (policy_pick(ctx, kind, ns, NULL, NULL) < 0)
      return -1;
  }
  if (cp_policy_list(ctx, kind, ns, &arr) < 0)
    return -1;
  fn(arr, arg);
  json_object_put(arr);
  return 0;
}

long cp_policy_count(struct cp_api_ctx *ctx, enum cp_policy_kind kind,
                     const char *ns) {
  return policy_pick(ctx, kind, ns, NULL, NULL);
}

long cp_policy_kvs(struct cp_api_ctx *ctx, enum cp_policy_kind kind,
                   const char *ns, cp_store_list_result *out) {
  long n;

  memset(out, 0, sizeof *out);
  if ((n = policy_pick(ctx, kind, ns, NULL, out)) < 0)
    cp_store_list_result_free(out);
  return n;
}
