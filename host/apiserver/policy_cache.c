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
    s->n++;
    if (e->ns == NULL || e->text == NULL)
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

/* The objects of ns in s, parsed, appended to arr (NULL: counted only,
 * nothing parsed). Returns how many ns has. */
static size_t snapshot_pick(const struct snapshot *s, const char *ns,
                            json_object *arr) {
  size_t i, n = 0;

  for (i = 0; i < s->n; i++) {
    json_object *o;

    if (strcmp(s->v[i].ns, ns) != 0)
      continue;
    n++;
    if (arr == NULL)
      continue;
    o = json_tokener_parse(s->v[i].text);
    if (o != NULL && json_object_is_type(o, json_type_object))
      json_object_array_add(arr, o);
    else
      json_object_put(o);
  }
  return n;
}

/* The objects of kind in ns appended to arr (NULL: counted only), from
 * the cache when fresh, else from the store (and kept). How many, or -1
 * when the store failed. */
static long policy_pick(struct cp_api_ctx *ctx, enum cp_policy_kind kind,
                        const char *ns, json_object *arr) {
  struct cp_policy_cache *c = ctx->policy_cache;
  struct snapshot fresh;
  uint64_t epoch = 0;
  size_t n;

  if (c != NULL) {
    pthread_mutex_lock(&c->mu);
    if (c->s[kind].valid && now_ms() - c->s[kind].at_ms < TTL_MS) {
      n = snapshot_pick(&c->s[kind], ns, arr);
      pthread_mutex_unlock(&c->mu);
      return (long)n;
    }
    epoch = c->epoch;
    pthread_mutex_unlock(&c->mu);
  }
  if (snapshot_read(ctx, kind, &fresh) < 0)
    return -1;
  n = snapshot_pick(&fresh, ns, arr);
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
  return (long)n;
}

int cp_policy_list(struct cp_api_ctx *ctx, enum cp_policy_kind kind,
                   const char *ns, json_object **out) {
  json_object *arr = json_object_new_array();

  *out = NULL;
  if (arr == NULL)
    return -1;
  if (policy_pick(ctx, kind, ns, arr) < 0) {
    json_object_put(arr);
    return -1;
  }
  *out = arr;
  return 0;
}

long cp_policy_count(struct cp_api_ctx *ctx, enum cp_policy_kind kind,
                     const char *ns) {
  return policy_pick(ctx, kind, ns, NULL);
}
