/*
 * discovery - which resources the collector covers beyond its watched
 * kinds, read from the API server's discovery documents as kube's garbage
 * collector reads them: every resource of each group's preferred version
 * that can be listed, watched and deleted, except subresources, kube's
 * ignored ones (events, in core and events.k8s.io) and the kinds gc.h
 * watches through caches.
 *
 * Threading: pure functions of borrowed parsed documents.
 */
#ifndef GC_DISCOVERY_H
#define GC_DISCOVERY_H

#include "gc.h"

#define GC_GROUP_MAX 128   /* a DNS subdomain is at most 253; longer: skip */
#define GC_VERSION_MAX 32
#define GC_RESOURCE_MAX 128

/* One resource found through discovery. */
struct gc_found {
  char group[GC_GROUP_MAX];
  char version[GC_VERSION_MAX];
  char resource[GC_RESOURCE_MAX];
  char kind[GC_RESOURCE_MAX];
  int namespaced;
};

/* The path of each group's preferred version in an APIGroupList
 * ("/apis/GROUP/VERSION"), into paths[i] (each of `len` bytes), at most
 * `max`. Returns how many. */
int gc_discovery_groups(const struct cplane_host_api *api,
                        const cplane_object *group_list, char (*paths)[256],
                        int max);

/* The resources of an APIResourceList of group/version ("" for core) the
 * collector is to cover, into out, at most `max`. Returns how many. */
int gc_discovery_resources(const struct cplane_host_api *api,
                           const cplane_object *resource_list,
                           const char *group, const char *version,
                           struct gc_found *out, int max);

#endif
