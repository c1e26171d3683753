/*
 * groups - desired and existing endpoints as placement groups. See
 * groups.h.
 */
#include "groups.h"

#include "endpoint.h"

#include <stdlib.h>
#include <string.h>

/* A new empty group of `ports` (taken: owned by the set from here). */
static struct es_group *new_group(struct es_groups *s, char *ports) {
  struct es_group *g;

  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 4;
    struct es_group *ng = realloc(s->g, cap * sizeof *ng);

    if (ng == NULL) {
      free(ports);
      return NULL;
    }
    s->g = ng;
    s->cap = cap;
  }
  g = &s->g[s->n++];
  memset(g, 0, sizeof *g);
  g->ports = ports;
  return g;
}

/* Appends an endpoint (id and json taken) to g; 0 or -1. */
static int push(struct es_group *g, char *id, char *json) {
  struct es_ep *eps;

  if (id == NULL || json == NULL)
    goto fail;
  /* Grows by doubling: n is a power of two when full. */
  if ((g->n & (g->n - 1)) == 0 && g->n >= 4) {
    if ((eps = realloc((void *)g->eps, 2 * g->n * sizeof *eps)) == NULL)
      goto fail;
    g->eps = eps;
  } else if (g->n == 0) {
    if ((eps = malloc(4 * sizeof *eps)) == NULL)
      goto fail;
    g->eps = eps;
  }
  eps = (struct es_ep *)g->eps;
  eps[g->n].id = id;
  eps[g->n].json = json;
  g->n++;
  return 0;
fail:
  free(id);
  free(json);
  return -1;
}

int es_groups_add_pod(const struct cplane_host_api *api, struct es_groups *s,
                      const cplane_object *svc, const cplane_object *pod,
                      const cplane_object *node) {
  struct es_endpoint ep;
  struct es_group *g = NULL;
  char *ports;
  size_t i;

  if (es_endpoint_from_pod(api, pod, node, svc, &ep) != 0)
    return 1;
  if ((ports = cplane_service_ports_json(api, svc, pod, 1)) == NULL)
    return -1;
  for (i = 0; i < s->n && g == NULL; i++)
    if (strcmp(s->g[i].ports, ports) == 0)
      g = &s->g[i];
  if (g != NULL)
    free(ports);
  else if ((g = new_group(s, ports)) == NULL)
    return -1;
  return push(g, es_endpoint_id(&ep), es_endpoint_json(&ep));
}

int es_groups_add_slice(const struct cplane_host_api *api, struct es_groups *s,
                        const cplane_object *slice, int stale) {
  struct es_group *g;
  char *ports = cplane_endpoint_ports_json(api, slice, "ports", 1);
  int n = api->object_len(slice, "endpoints"), i;

  if (ports == NULL || (g = new_group(s, ports)) == NULL)
    return -1;
  g->stale = stale;
  for (i = 0; i < n && i < 1000; i++) {
    struct es_endpoint ep;

    if (es_endpoint_from_slice(api, slice, i, &ep) != 0) {
      g->stale = 1; /* an endpoint we cannot read: rewrite without it */
      continue;
    }
    if (push(g, es_endpoint_id(&ep), es_endpoint_json(&ep)) != 0)
      return -1;
  }
  return 0;
}

void es_groups_free(struct es_groups *s) {
  size_t i, j;

  for (i = 0; i < s->n; i++) {
    for (j = 0; j < s->g[i].n; j++) {
      free((char *)s->g[i].eps[j].id);
      free((char *)s->g[i].eps[j].json);
    }
    free((void *)s->g[i].eps);
    free((char *)s->g[i].ports);
  }
  free(s->g);
  memset(s, 0, sizeof *s);
}
