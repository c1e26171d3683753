/*
 * strategy - the rollout strategies. See strategy.h.
 */
#include "strategy.h"

#include "history.h"
#include "rswrite.h"
#include "status.h"
#include "view.h"

#include <stdlib.h>
#include <string.h>

/* An int-or-percent (maxSurge, maxUnavailable) scaled to `total`; a
 * percentage rounds up or down as asked. Absent gives `dflt_percent`%. */
static int64_t int_or_percent(const struct cplane_host_api *api,
                              const cplane_object *o, const char *path,
                              int64_t dflt_percent, int64_t total,
                              int round_up) {
  const char *s = api->object_string(o, path);
  int64_t v, pct = dflt_percent;
  char *end;

  if (api->object_int(o, path, &v) == CPLANE_OK)
    return v < 0 ? 0 : v;
  if (s != NULL) {
    v = strtoll(s, &end, 10);
    if (end != s && *end == '\0')
      return v < 0 ? 0 : v;
    if (end != s && strcmp(end, "%") == 0)
      pct = v < 0 ? 0 : v;
  }
  return round_up ? (pct * total + 99) / 100 : pct * total / 100;
}

void dp_strategy_resolve(const struct cplane_host_api *api,
                         const cplane_object *o, int64_t replicas, int recreate,
                         int64_t *surge, int64_t *unavailable) {
  if (recreate) {
    *surge = 0;
    *unavailable = 0;
    return;
  }
  *surge = int_or_percent(api, o, "spec.strategy.rollingUpdate.maxSurge", 25,
                          replicas, 1);
  *unavailable = int_or_percent(
      api, o, "spec.strategy.rollingUpdate.maxUnavailable", 25, replicas, 0);
  /* Both zero could never make progress: Kubernetes allows one down. */
  if (*surge == 0 && *unavailable == 0)
    *unavailable = 1;
  if (*unavailable > replicas)
    *unavailable = replicas;
}

/* Replicas a new ReplicaSet may have now: all of them for Recreate; for
 * RollingUpdate, as many as fit under replicas + maxSurge. */
int64_t dp_new_rs_replicas(struct deploy *d, int64_t current) {
  int64_t total = 0, room;
  size_t i;

  if (d->recreate)
    return d->replicas;
  for (i = 0; i < d->n_rs; i++)
    total += d->rs[i].spec;
  if (d->new_rs == NULL)
    total += current;
  room = d->replicas + d->surge - total;
  if (room <= 0)
    return current;
  if (room > d->replicas - current)
    room = d->replicas - current;
  return current + (room > 0 ? room : 0);
}

/* Available pods of a ReplicaSet that are sure to stay: a ReplicaSet
 * scaled down whose status has not caught up still reports the pods it
 * is about to delete. */
static int64_t sure_available(const struct rsinfo *r) {
  return r->available < r->spec ? r->available : r->spec;
}

static int saturated(struct deploy *d, const struct rsinfo *r) {
  return r != NULL && r->desired_ann == d->replicas && r->spec == d->replicas &&
         r->available >= d->replicas;
}

/* Kubernetes' proportional scaling: a Deployment scaled while several
 * ReplicaSets are active spreads the change over them by size. */
static int scale(struct deploy *d) {
  struct rsinfo **active = NULL, *target = NULL;
  int64_t allowed, total = 0, to_add, added = 0, *size = NULL;
  size_t n, i;
  int oom, rc = 0;

  active = dp_rs_select(d, 0, 1, dp_cmp_rs_newest, &n, &oom);
  if (oom)
    return -1;
  if (n <= 1) {
    /* One active ReplicaSet (or none: the new one, else the newest)
     * simply takes all the replicas. */
    if (n == 1) {
      target = active[0];
    } else if (d->new_rs != NULL) {
      target = d->new_rs;
    } else {
      free(active);
      active = dp_rs_select(d, 0, 0, dp_cmp_rs_newest, &n, &oom);
      if (oom)
        return -1;
      target = n > 0 ? active[0] : NULL;
    }
    if (target != NULL)
      rc = dp_rs_write(d, target, d->replicas, -1);
    goto out;
  }
  if (saturated(d, d->new_rs)) {
    for (i = 0; i < n && rc == 0; i++)
      if (!active[i]->is_new)
        rc = dp_rs_write(d, active[i], 0, -1);
    goto out;
  }
  if (d->recreate)
    goto out;
  for (i = 0; i < n; i++)
    total += active[i]->spec;
  allowed = d->replicas > 0 ? d->replicas + d->surge : 0;
  to_add = allowed - total;
  if (to_add == 0) {
    /* Nothing to spread; the annotations still learn the new size. */
    for (i = 0; i < n && rc == 0; i++)
      rc = dp_rs_write(d, active[i], active[i]->spec, -1);
    goto out;
  }
  qsort(active, n, sizeof *active,
        to_add > 0 ? dp_cmp_rs_size_newer : dp_cmp_rs_size_older);
  if ((size = malloc(n * sizeof *size)) == NULL) {
    rc = -1;
    goto out;
  }
  for (i = 0; i < n; i++) {
    struct rsinfo *r = active[i];
    int64_t share = 0, left = to_add - added;

    if (r->spec > 0 && left != 0) {
      int64_t annotated = r->max_ann > 0 ? r->max_ann : d->cur.replicas;

      if (d->replicas == 0)
        share = -r->spec;
      else if (annotated > 0)
        share =
            (int64_t)((double)r->spec * (double)allowed / (double)annotated +
                      0.5) -
            r->spec;
      if (to_add > 0 && share > left)
        share = left;
      if (to_add < 0 && share < left)
        share = left;
    }
    size[i] = r->spec + share;
    added += share;
  }
  /* The rounding's leftovers go to the largest. */
  size[0] += to_add - added;
  for (i = 0; i < n && rc == 0; i++)
    rc = dp_rs_write(d, active[i], size[i] < 0 ? 0 : size[i], -1);
out:
  free(size);
  free(active);
  return rc;
}

/* Scales old ReplicaSets down while enough pods stay available: first
 * their unavailable pods (free to lose), then available ones down to
 * replicas - maxUnavailable, oldest ReplicaSet first. */
static int scale_down_old(struct deploy *d) {
  struct rsinfo **old = NULL, *nr = d->new_rs;
  int64_t old_total = 0, all = 0, min_available, new_unavailable = 0;
  int64_t max_down, cleaned = 0, available = 0, budget, done = 0;
  size_t n, i;
  int oom, rc = 0;

  old = dp_rs_select(d, 1, 1, dp_cmp_rs_oldest, &n, &oom);
  if (oom)
    return -1;
  for (i = 0; i < n; i++)
    old_total += old[i]->spec;
  if (old_total == 0)
    goto out;
  for (i = 0; i < d->n_rs; i++)
    all += d->rs[i].spec;
  min_available = d->replicas - d->unavailable;
  if (nr != NULL)
    new_unavailable = nr->spec - sure_available(nr);
  if (new_unavailable < 0)
    new_unavailable = 0;
  max_down = all - min_available - new_unavailable;
  if (max_down <= 0)
    goto out;
  for (i = 0; i < n && rc == 0 && cleaned < max_down; i++) {
    struct rsinfo *r = old[i];
    int64_t down = r->spec - sure_available(r);

    if (down <= 0)
      continue;
    if (down > max_down - cleaned)
      down = max_down - cleaned;
    rc = dp_rs_write(d, r, r->spec - down, -1);
    cleaned += down;
  }
  if (rc != 0)
    goto out;
  for (i = 0; i < d->n_rs; i++)
    available += sure_available(&d->rs[i]);
  if (available <= min_available)
    goto out;
  budget = available - min_available;
  for (i = 0; i < n && rc == 0 && done < budget; i++) {
    struct rsinfo *r = old[i];
    int64_t down = r->spec < budget - done ? r->spec : budget - done;

    if (down <= 0)
      continue;
    rc = dp_rs_write(d, r, r->spec - down, -1);
    done += down;
  }
out:
  free(old);
  return rc;
}

/* A scaling event: an active ReplicaSet was sized for another replica
 * count than the Deployment's. */
int dp_scaling_event(struct deploy *d) {
  size_t i;

  for (i = 0; i < d->n_rs; i++)
    if (d->rs[i].spec > 0 && d->rs[i].desired_ann >= 0 &&
        d->rs[i].desired_ann != d->replicas)
      return 1;
  return 0;
}

/* Paused or scaled: sizes change, templates do not roll out. */
int dp_sync_only(struct deploy *d) {
  if (dp_sync_new_revision(d) < 0 || scale(d) < 0)
    return -1;
  if (d->paused && dp_cleanup(d) < 0)
    return -1;
  return 0;
}

int dp_rollout_recreate(struct deploy *d) {
  int waiting = 0, r;
  size_t i;

  if (dp_sync_new_revision(d) < 0)
    return -1;
  for (i = 0; i < d->n_rs; i++) {
    struct rsinfo *o = &d->rs[i];

    if (o->is_new)
      continue;
    if (o->spec > 0) {
      if (dp_rs_write(d, o, 0, -1) < 0)
        return -1;
      waiting = 1;
    }
    /* Gone means the ReplicaSet has seen its new size and has no pod. */
    if (o->replicas > 0 || o->observed < o->gen)
      waiting = 1;
  }
  if (!waiting) {
    if (d->new_rs == NULL) {
      if ((r = dp_create_new_rs(d)) != 0)
        return r;
    } else if (dp_rs_write(d, d->new_rs, d->replicas, -1) < 0) {
      return -1;
    }
    if (dp_complete(d, &d->cur) && dp_cleanup(d) < 0)
      return -1;
  }
  return 0;
}

int dp_rollout_rolling(struct deploy *d) {
  struct rsinfo *nr = d->new_rs;

  if (nr == NULL) {
    /* Created: the ReplicaSet's events bring us back. */
    return dp_create_new_rs(d);
  }
  if (dp_sync_new_revision(d) < 0)
    return -1;
  if (nr->spec > d->replicas) {
    if (dp_rs_write(d, nr, d->replicas, -1) < 0)
      return -1;
  } else if (nr->spec < d->replicas) {
    int64_t want = dp_new_rs_replicas(d, nr->spec);

    if (want != nr->spec) {
      /* Old ones wait for the new pods, as in Kubernetes. */
      return dp_rs_write(d, nr, want, -1);
    }
  }
  if (scale_down_old(d) < 0)
    return -1;
  if (dp_complete(d, &d->cur) && dp_cleanup(d) < 0)
    return -1;
  return 0;
}
