/*
 * aggregator_table - see aggregator_table.h.
 */
#include "apiserver/aggregator/aggregator_table.h"

#include <stdlib.h>
#include <string.h>

void cp_agg_route_clear(struct cp_agg_route *r) {
  free(r->ca_pem);
  free(r->resources);
  r->ca_pem = r->resources = NULL;
  r->target.ca_pem = NULL;
}

int cp_agg_table_add(struct cp_agg_table *t, struct cp_agg_route *r) {
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 8;
    struct cp_agg_route *more = realloc(t->routes, cap * sizeof *more);

    if (more == NULL)
      return -1;
    t->routes = more;
    t->cap = cap;
  }
  t->routes[t->n++] = *r;
  memset(r, 0, sizeof *r);
  return 0;
}

const struct cp_agg_route *cp_agg_table_find(const struct cp_agg_table *t,
                                             const char *group,
                                             const char *version) {
  size_t i;

  for (i = 0; i < t->n; i++)
    if (strcmp(t->routes[i].group, group) == 0 &&
        strcmp(t->routes[i].version, version) == 0)
      return &t->routes[i];
  return NULL;
}

void cp_agg_table_clear(struct cp_agg_table *t) {
  size_t i;

  for (i = 0; i < t->n; i++)
    cp_agg_route_clear(&t->routes[i]);
  free(t->routes);
  memset(t, 0, sizeof *t);
}
