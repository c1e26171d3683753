/*
 * addrs - the addresses of a Service's v1 Endpoints, for subsets.h:
 * what they should be (from the pods it selects, as kube's Endpoints
 * controller reads them) or what they are (from the Endpoints object),
 * each written in one fixed form so that the two compare as text.
 *
 * Ownership: a list owns each address's json and ports texts
 * (ep_addrs_free()); the ip is borrowed from the object it came from,
 * which must outlive the list.
 * Threading: none inside; one list belongs to one thread.
 */
#ifndef EP_ADDRS_H
#define EP_ADDRS_H

#include "subsets.h"

#include <cplane/cplane.h>

struct ep_addrs {
  struct ep_addr *a;
  size_t n, cap;
};

/* Adds pod's address behind svc when the pod belongs there (not
 * finished, has an IP, not terminating unless publishNotReadyAddresses)
 * and has at least one of its ports (a headless Service without ports
 * takes any). 0, or -1 when out of memory. */
int ep_addrs_add_pod(const struct cplane_host_api *api, struct ep_addrs *l,
                     const cplane_object *svc, const cplane_object *pod);
/* Adds every address of the Endpoints object eps. 0, or -1. */
int ep_addrs_add_endpoints(const struct cplane_host_api *api,
                           struct ep_addrs *l, const cplane_object *eps);
void ep_addrs_free(struct ep_addrs *l);

#endif
