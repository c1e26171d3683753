/*
 * aggregator_table - the aggregator's routes (one per APIService with a
 * service: where it goes and whether it answers, with its cached
 * resource list) and the discovery documents merged from them
 * (discovery_merge.c).
 *
 * Threading: none of its own; the aggregator holds its mutex around
 * every call. Ownership: a table owns its routes and their strings;
 * merge functions take the JSON text given and return new text (or the
 * same when unchanged or out of memory).
 */
#ifndef CPLANE_HOST_APISERVER_AGGREGATOR_AGGREGATOR_TABLE_H
#define CPLANE_HOST_APISERVER_AGGREGATOR_AGGREGATOR_TABLE_H

#include <stddef.h>

#include "apiserver/aggregator/proxy_call.h"

struct cp_agg_route {
  char group[254], version[64];
  char svc_ns[64], svc_name[254];
  int svc_port;
  struct cp_proxy_target target; /* ca_pem points into ca_pem below */
  char *ca_pem;                  /* owned, NUL-terminated, or NULL */
  int available;
  char *resources; /* the remote APIResourceList (owned), or NULL */
};

struct cp_agg_table {
  struct cp_agg_route *routes;
  size_t n, cap;
};

void cp_agg_route_clear(struct cp_agg_route *r);
/* Moves r into t (r's strings now t's). 0, or -1 out of memory. */
int cp_agg_table_add(struct cp_agg_table *t, struct cp_agg_route *r);
const struct cp_agg_route *cp_agg_table_find(const struct cp_agg_table *t,
                                             const char *group,
                                             const char *version);
void cp_agg_table_clear(struct cp_agg_table *t);

/* discovery_merge.c */
char *cp_agg_merge_group_list(const struct cp_agg_table *t, char *json);
char *cp_agg_merge_aggregated(const struct cp_agg_table *t, char *json);
char *cp_agg_group(const struct cp_agg_table *t, const char *group);

#endif /* CPLANE_HOST_APISERVER_AGGREGATOR_AGGREGATOR_TABLE_H */
