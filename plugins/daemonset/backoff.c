/*
 * backoff - failed daemon pods' back-off per node. See backoff.h.
 */
#include "backoff.h"

#include <stdlib.h>
#include <string.h>

struct entry {
  int64_t delay_ms, last_ms;
};

int ds_backoff_init(struct ds_backoff *b) {
  if (cplane_smap_init(&b->map) != 0)
    return -1;
  pthread_mutex_init(&b->mu, NULL);
  return 0;
}

static void free_val(void *ud, const char *key, void *val) {
  (void)ud;
  (void)key;
  free(val);
}

void ds_backoff_free(struct ds_backoff *b) {
  cplane_smap_foreach(&b->map, free_val, NULL);
  cplane_smap_free(&b->map);
  pthread_mutex_destroy(&b->mu);
}

int64_t ds_backoff_take(struct ds_backoff *b, const char *key, int64_t now_ms) {
  struct entry *e;
  int64_t wait = 0;

  pthread_mutex_lock(&b->mu);
  e = cplane_smap_get(&b->map, key);
  if (e != NULL && now_ms - e->last_ms < e->delay_ms) {
    wait = e->delay_ms - (now_ms - e->last_ms);
    goto out;
  }
  if (e == NULL) {
    if ((e = calloc(1, sizeof *e)) == NULL ||
        cplane_smap_put(&b->map, key, e, NULL) != 0) {
      free(e); /* no memory: no back-off rather than no progress */
      goto out;
    }
  }
  /* kube's Next: a fresh or long-idle entry starts over. */
  if (e->delay_ms == 0 || now_ms - e->last_ms > 2 * DS_BACKOFF_MAX_MS)
    e->delay_ms = DS_BACKOFF_INITIAL_MS;
  else if ((e->delay_ms *= 2) > DS_BACKOFF_MAX_MS)
    e->delay_ms = DS_BACKOFF_MAX_MS;
  e->last_ms = now_ms;
out:
  pthread_mutex_unlock(&b->mu);
  return wait;
}

struct sweep {
  const char *prefix;
  size_t len;
  int64_t now_ms;
  char **keys;
  size_t n, cap;
};

static void collect(void *ud, const char *key, void *val) {
  struct sweep *s = ud;
  const struct entry *e = val;
  char **grown;

  if ((s->prefix == NULL || strncmp(key, s->prefix, s->len) != 0) &&
      s->now_ms - e->last_ms <= 2 * DS_BACKOFF_MAX_MS)
    return;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;

    if ((grown = realloc(s->keys, cap * sizeof *grown)) == NULL)
      return;
    s->keys = grown;
    s->cap = cap;
  }
  if ((s->keys[s->n] = strdup(key)) != NULL)
    s->n++;
}

void ds_backoff_forget(struct ds_backoff *b, const char *uid_prefix,
                       int64_t now_ms) {
  struct sweep s = {
      uid_prefix, uid_prefix ? strlen(uid_prefix) : 0, now_ms, NULL, 0, 0};
  size_t i;

  pthread_mutex_lock(&b->mu);
  cplane_smap_foreach(&b->map, collect, &s);
  for (i = 0; i < s.n; i++) {
    free(cplane_smap_del(&b->map, s.keys[i]));
    free(s.keys[i]);
  }
  pthread_mutex_unlock(&b->mu);
  free(s.keys);
}
