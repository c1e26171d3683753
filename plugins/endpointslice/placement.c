/*
 * placement - kube's EndpointSlice placement over plain strings. See
 * placement.h.
 */
#include "placement.h"

#include <cplane/smap.h>

#include <stdlib.h>
#include <string.h>

/* What happened to each existing slice while planning. */
enum { KEEP, UPDATE, DELETE };

static int push_ep(struct es_write *w, const char *json) {
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 8;
    const char **e = realloc(w->eps, cap * sizeof *e);

    if (e == NULL)
      return -1;
    w->eps = e;
    w->cap = cap;
  }
  w->eps[w->n++] = json;
  return 0;
}

static struct es_write *add_write(struct es_plan *p, int slice,
                                  const char *ports) {
  struct es_write *w;

  if (p->n_writes == p->cap_writes) {
    size_t cap = p->cap_writes ? p->cap_writes * 2 : 8;
    struct es_write *ws = realloc(p->writes, cap * sizeof *ws);

    if (ws == NULL)
      return NULL;
    p->writes = ws;
    p->cap_writes = cap;
  }
  w = &p->writes[p->n_writes++];
  memset(w, 0, sizeof *w);
  w->slice = slice;
  w->ports = ports;
  return w;
}

void es_plan_free(struct es_plan *plan) {
  size_t i;

  for (i = 0; i < plan->n_writes; i++)
    free(plan->writes[i].eps);
  free(plan->writes);
  free(plan->deletes);
  memset(plan, 0, sizeof *plan);
}

/* Planning state for one call. */
struct planner {
  const struct es_group *have;
  size_t n_have;
  int max;
  int *fate; /* per existing slice: KEEP, UPDATE, DELETE */
  struct es_plan *plan;
};

/* Step 1 for one existing slice of the group: keep the endpoints still
 * wanted (taking them from `left`), as they should now read. */
static int sweep_slice(struct planner *pl, size_t s, struct cplane_smap *left) {
  const struct es_group *h = &pl->have[s];
  struct es_write tmp = {(int)s, h->ports, NULL, 0, 0};
  int changed = h->stale;
  size_t i;

  for (i = 0; i < h->n; i++) {
    const char *json = cplane_smap_del(left, h->eps[i].id);

    if (json == NULL) {
      changed = 1; /* gone, or a duplicate */
      continue;
    }
    if (strcmp(json, h->eps[i].json) != 0)
      changed = 1;
    if (push_ep(&tmp, json) != 0) {
      free(tmp.eps);
      return -1;
    }
  }
  if (!changed) {
    pl->fate[s] = KEEP;
  } else if (tmp.n == 0) {
    pl->fate[s] = DELETE;
  } else {
    struct es_write *w = add_write(pl->plan, (int)s, h->ports);

    if (w == NULL) {
      free(tmp.eps);
      return -1;
    }
    *w = tmp;
    pl->fate[s] = UPDATE;
    return 0;
  }
  /* A kept slice's endpoints are recorded for step 3. */
  if (pl->fate[s] == KEEP) {
    struct es_write *w = add_write(pl->plan, (int)s, h->ports);

    if (w == NULL) {
      free(tmp.eps);
      return -1;
    }
    *w = tmp;
    w->slice = -2 - (int)s; /* a kept slice: not written unless filled */
    return 0;
  }
  free(tmp.eps);
  return 0;
}

/* The desired endpoints still left, in the group's order. */
static size_t next_left(const struct es_group *g, struct cplane_smap *left,
                        size_t from) {
  while (from < g->n && !cplane_smap_has(left, g->eps[from].id))
    from++;
  return from;
}

/* Moves endpoints still left into w until it holds max. */
static int fill(struct planner *pl, const struct es_group *g,
                struct cplane_smap *left, size_t *cursor, struct es_write *w,
                size_t *n_left) {
  while (*n_left > 0 && w->n < (size_t)pl->max) {
    *cursor = next_left(g, left, *cursor);
    if (*cursor >= g->n)
      break;
    if (push_ep(w, g->eps[*cursor].json) != 0)
      return -1;
    cplane_smap_del(left, g->eps[*cursor].id);
    (*n_left)--;
  }
  return 0;
}

/* One desired group against the existing slices with its ports. */
static int plan_group(struct planner *pl, const struct es_group *g) {
  struct cplane_smap left;
  size_t i, s, n_left, cursor = 0;
  int rc = -1;

  if (cplane_smap_init(&left) != 0)
    return -1;
  for (i = 0; i < g->n; i++)
    if (cplane_smap_put(&left, g->eps[i].id, (void *)g->eps[i].json, NULL) != 0)
      goto out;
  /* 1. Existing slices keep what is still wanted. */
  for (s = 0; s < pl->n_have; s++)
    if (strcmp(pl->have[s].ports, g->ports) == 0 &&
        sweep_slice(pl, s, &left) != 0)
      goto out;
  n_left = left.count;
  /* 2. Slices being written anyway are filled, fullest first. */
  while (n_left > 0) {
    struct es_write *best = NULL;

    for (i = 0; i < pl->plan->n_writes; i++) {
      struct es_write *w = &pl->plan->writes[i];

      if (w->slice >= 0 && strcmp(w->ports, g->ports) == 0 &&
          w->n < (size_t)pl->max && (best == NULL || w->n > best->n))
        best = w;
    }
    if (best == NULL)
      break;
    if (fill(pl, g, &left, &cursor, best, &n_left) != 0)
      goto out;
  }
  /* 3. The rest: into the fullest unchanged slice that takes it all
   * (when less than a slice is left), else into new slices. */
  while (n_left > 0) {
    struct es_write *to = NULL;

    if (n_left < (size_t)pl->max)
      for (i = 0; i < pl->plan->n_writes; i++) {
        struct es_write *w = &pl->plan->writes[i];

        if (w->slice <= -2 && strcmp(w->ports, g->ports) == 0 &&
            w->n + n_left <= (size_t)pl->max && (to == NULL || w->n > to->n))
          to = w;
      }
    if (to != NULL)
      to->slice = -2 - to->slice; /* now written */
    else if ((to = add_write(pl->plan, -1, g->ports)) == NULL)
      goto out;
    if (fill(pl, g, &left, &cursor, to, &n_left) != 0)
      goto out;
  }
  rc = 0;
out:
  cplane_smap_free(&left);
  return rc;
}

/* Drops the records of kept slices, reuses deleted slices for new ones
 * (an update instead of a delete and a create, as kube's finalize()),
 * and lists the deletes. */
static int finish(struct planner *pl) {
  struct es_plan *p = pl->plan;
  size_t i, j = 0, s;

  for (i = 0; i < p->n_writes; i++) {
    if (p->writes[i].slice <= -2) {
      free(p->writes[i].eps);
      continue;
    }
    p->writes[j++] = p->writes[i];
  }
  p->n_writes = j;
  if (pl->n_have > 0 &&
      (p->deletes = calloc(pl->n_have, sizeof *p->deletes)) == NULL)
    return -1;
  for (s = 0; s < pl->n_have; s++) {
    if (pl->fate[s] != DELETE)
      continue;
    for (i = 0; i < p->n_writes; i++)
      if (p->writes[i].slice == -1) {
        p->writes[i].slice = (int)s;
        break;
      }
    if (i == p->n_writes)
      p->deletes[p->n_deletes++] = (int)s;
  }
  return 0;
}

/* With nothing left to write or keep, one empty slice stays as a
 * placeholder: the existing one when it already is, else a new one. */
static int placeholder(struct planner *pl) {
  struct es_plan *p = pl->plan;
  size_t s, kept = 0;

  for (s = 0; s < pl->n_have; s++)
    kept += pl->fate[s] != DELETE;
  if (kept > 0 || p->n_writes > 0)
    return 0;
  for (s = 0; s < pl->n_have; s++)
    if (pl->have[s].n == 0 && !pl->have[s].stale &&
        strcmp(pl->have[s].ports, "[]") == 0) {
      pl->fate[s] = KEEP;
      return 0;
    }
  return add_write(p, -1, "[]") != NULL ? 0 : -1;
}

int es_plan_make(const struct es_group *want, size_t n_want,
                 const struct es_group *have, size_t n_have, int max,
                 struct es_plan *plan) {
  struct planner pl = {have, n_have, max > 0 ? max : 100, NULL, plan};
  size_t i;
  int rc = -1;

  memset(plan, 0, sizeof *plan);
  pl.fate = calloc(n_have + 1, sizeof *pl.fate);
  if (pl.fate == NULL)
    goto out;
  for (i = 0; i < n_have; i++)
    pl.fate[i] = DELETE; /* unless a group claims it */
  for (i = 0; i < n_want; i++)
    if (plan_group(&pl, &want[i]) != 0)
      goto out;
  if (placeholder(&pl) != 0 || finish(&pl) != 0)
    goto out;
  rc = 0;
out:
  if (rc != 0)
    es_plan_free(plan);
  free(pl.fate);
  return rc;
}
