/*
 * subsets - the subsets of a v1 Endpoints object from its addresses, as
 * kube's RepackSubsets and truncateEndpoints make them: addresses with
 * the same ports share a subset, ready ones in addresses and the others
 * in notReadyAddresses, sorted by IP; past `max` addresses in all, the
 * not-ready ones are cut first, each subset keeping its share (rounded
 * up).
 *
 * Pure: strings in, JSON out. Subsets are ordered by their ports text
 * (kube orders them by hash), so the same addresses always give the same
 * text, whichever order they came in: comparing two texts compares two
 * Endpoints.
 *
 * Ownership: addresses are borrowed; the text returned is owned (free()).
 * Threading: none inside; any thread.
 */
#ifndef EP_SUBSETS_H
#define EP_SUBSETS_H

#include <stddef.h>

struct ep_addr {
  const char *ip;    /* sort key */
  const char *json;  /* the EndpointAddress */
  const char *ports; /* the JSON array of EndpointPorts, "[]" for none */
  int ready;
};

/* The subsets array as JSON text; *truncated (may be NULL) is set when
 * addresses were cut to max. The array `addrs` is sorted in place. NULL
 * when out of memory. */
char *ep_subsets_json(struct ep_addr *addrs, size_t n, size_t max,
                      int *truncated);

#endif
