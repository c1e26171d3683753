/*
 * set - the webhook configurations, loaded and watched (set.h).
 */
#include "apiserver/webhook/set.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/strategy/platform_fields.h"
#include "apiserver/webhook/call.h"
#include "log/log.h"

struct cp_webhooks {
  struct cp_webhook_caller *caller;
  /* [0] validating, [1] mutating: one set (and thread) each. */
  struct cp_watched_set *sets[2];
};

/* ------------------------------------------------------------ snapshots */

static int by_name(const void *a, const void *b) {
  json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;

  return strcmp(cp_plat_str0(cp_plat_get(x, "metadata", json_type_object),
                             "name"),
                cp_plat_str0(cp_plat_get(y, "metadata", json_type_object),
                             "name"));
}

void cp_webhook_snapshot_free(struct cp_webhook_snapshot *s) {
  size_t i;

  if (s == NULL)
    return;
  for (i = 0; i < s->n; i++)
    cp_webhook_clear(&s->hooks[i]);
  free(s->hooks);
  free(s);
}

/* Appends the webhooks of one configuration; -1 out of memory. */
static int add_config(struct cp_webhook_snapshot *s, json_object *cfg,
                      int mutating, size_t *cap) {
  json_object *md = cp_plat_get(cfg, "metadata", json_type_object);
  json_object *hooks = cp_plat_get(cfg, "webhooks", json_type_array);
  size_t i;

  for (i = 0; hooks != NULL && i < json_object_array_length(hooks); i++) {
    if (s->n == *cap) {
      size_t ncap = *cap ? *cap * 2 : 8;
      struct cp_webhook *nh = realloc(s->hooks, ncap * sizeof *nh);

      if (nh == NULL)
        return -1;
      s->hooks = nh;
      *cap = ncap;
    }
    /* A webhook without a name (never valid) is skipped. */
    if (cp_webhook_parse(json_object_array_get_idx(hooks, i),
                         cp_plat_str(md, "name"), cp_plat_str(md, "uid"), i,
                         mutating, &s->hooks[s->n]) == 0)
      s->n++;
  }
  return 0;
}

struct cp_webhook_snapshot *
cp_webhook_snapshot_build(json_object *const *configs, size_t n,
                          int mutating) {
  struct cp_webhook_snapshot *s = calloc(1, sizeof *s);
  json_object **sorted = calloc(n ? n : 1, sizeof *sorted);
  size_t i, cap = 0;

  if (s == NULL || sorted == NULL)
    goto fail;
  s->mutating = mutating;
  s->ws.weight = 0;
  memcpy(sorted, configs, n * sizeof *sorted);
  /* kube calls the configurations in name order. */
  qsort(sorted, n, sizeof *sorted, by_name);
  for (i = 0; i < n; i++)
    if (add_config(s, sorted[i], mutating, &cap) < 0)
      goto fail;
  s->ws.weight = s->n;
  free(sorted);
  return s;
fail:
  free(sorted);
  cp_webhook_snapshot_free(s);
  return NULL;
}

struct cp_webhook_snapshot *cp_webhooks_acquire(struct cp_webhooks *w,
                                                int mutating) {
  /* ws is the snapshot's first member. */
  return w != NULL ? (struct cp_webhook_snapshot *)cp_watched_set_acquire(
                         w->sets[mutating != 0])
                   : NULL;
}

void cp_webhooks_release(struct cp_webhooks *w,
                         struct cp_webhook_snapshot *s) {
  if (s != NULL)
    cp_watched_set_release(w->sets[s->mutating != 0], &s->ws);
}

struct cp_webhook_caller *cp_webhooks_caller(struct cp_webhooks *w) {
  return w->caller;
}

/* ------------------------------------------------------------ loading */

static int build(int k, json_object **const *objs, const size_t *n,
                 size_t prev, struct cp_watched_snapshot **out) {
  struct cp_webhook_snapshot *s = cp_webhook_snapshot_build(objs[0], n[0], k);

  if (s == NULL)
    return -1;
  if (s->n != prev)
    cp_log_info("apiserver", "%zu %s admission webhook(s) in %zu "
                "configuration(s)",
                s->n, k ? "mutating" : "validating", n[0]);
  *out = &s->ws;
  return 0;
}

static int build_validating(void *arg, json_object **const *objs,
                            const size_t *n, size_t prev,
                            struct cp_watched_snapshot **out) {
  (void)arg;
  return build(0, objs, n, prev, out);
}

static int build_mutating(void *arg, json_object **const *objs,
                          const size_t *n, size_t prev,
                          struct cp_watched_snapshot **out) {
  (void)arg;
  return build(1, objs, n, prev, out);
}

static void snapshot_free(struct cp_watched_snapshot *ws) {
  cp_webhook_snapshot_free((struct cp_webhook_snapshot *)ws);
}

static const char *const validating_prefixes[] = {
    "validatingwebhookconfigurations/", NULL};
static const char *const mutating_prefixes[] = {
    "mutatingwebhookconfigurations/", NULL};

static const struct cp_watched_set_def defs[2] = {
    {.thread = "api-webhooks-v",
     .what = "validating webhook configurations",
     .prefixes = validating_prefixes,
     .watch = 1,
     .build = build_validating,
     .free = snapshot_free},
    {.thread = "api-webhooks-m",
     .what = "mutating webhook configurations",
     .prefixes = mutating_prefixes,
     .watch = 1,
     .build = build_mutating,
     .free = snapshot_free},
};

struct cp_webhooks *cp_webhooks_start(struct cp_api_ctx *ctx, int max_calls) {
  struct cp_webhooks *w = calloc(1, sizeof *w);
  int k;

  if (w == NULL)
    return NULL;
  if ((w->caller = cp_webhook_caller_new(max_calls)) == NULL)
    goto fail;
  for (k = 0; k < 2; k++)
    if ((w->sets[k] = cp_watched_set_start(ctx, &defs[k], w, 0)) == NULL)
      goto fail;
  return w;
fail:
  cp_webhooks_stop(w);
  return NULL;
}

void cp_webhooks_stop(struct cp_webhooks *w) {
  if (w == NULL)
    return;
  cp_watched_set_stop(w->sets[0]);
  cp_watched_set_stop(w->sets[1]);
  cp_webhook_caller_free(w->caller);
  free(w);
}
