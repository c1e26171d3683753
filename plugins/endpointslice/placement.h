/*
 * placement - which EndpointSlices to create, update and delete so that
 * a Service's slices hold exactly the endpoints it should, with kube's
 * placement (reconciler.go reconcileByPortMapping): endpoints stay in
 * the slice they are in; a slice that changes is filled up first
 * (fullest first); what remains goes into the fullest unchanged slice
 * that can take it all, then into new slices; a slice left empty is
 * deleted, or reused for a new one rather than deleted and created; a
 * Service with no endpoints keeps one empty placeholder slice.
 *
 * Pure: strings in, a plan out. Endpoints are (id, json) pairs (see
 * endpoint.h), grouped by their ports text: one group per distinct ports
 * array, as each slice has one.
 *
 * Ownership: the plan points into the inputs (borrowed: they must outlive
 * it) and owns its arrays (es_plan_free()).
 * Threading: none inside; any thread.
 */
#ifndef ES_PLACEMENT_H
#define ES_PLACEMENT_H

#include <stddef.h>

struct es_ep {
  const char *id, *json;
};

/* A set of endpoints under one ports array: a desired group, or an
 * existing slice (stale: its metadata must be rewritten anyway). */
struct es_group {
  const char *ports;
  const struct es_ep *eps;
  size_t n;
  int stale;
};

/* One slice to write: an existing one (slice >= 0, its index in `have`)
 * or a new one (slice -1). */
struct es_write {
  int slice;
  const char *ports;
  const char **eps; /* the endpoints' json */
  size_t n, cap;
};

struct es_plan {
  struct es_write *writes;
  size_t n_writes, cap_writes;
  int *deletes; /* indexes into `have` */
  size_t n_deletes;
};

/* Plans want (n_want groups of distinct ports) against have (the
 * Service's existing slices, n_have), at most max endpoints a slice.
 * 0, or -1 when out of memory (the plan is then empty). */
int es_plan_make(const struct es_group *want, size_t n_want,
                 const struct es_group *have, size_t n_have, int max,
                 struct es_plan *plan);
void es_plan_free(struct es_plan *plan);

#endif
