/*
 * discovery - the documents clients read before anything else: /api,
 * /apis (legacy lists, or aggregated discovery v2 when the client's
 * Accept asks for it), /api/v1 and /apis/<group>/<version> resource lists,
 * and the minimal OpenAPI v3 kubectl's --validate=strict needs. All are
 * generated from the resource registry, so a new type (or a CRD) shows up
 * everywhere at once.
 *
 * Threading: safe from any thread (the registry locks itself).
 * Ownership: every function returns malloc'd JSON text (caller frees), or
 * NULL for an unknown group/version or when out of memory.
 */
#ifndef CPLANE_HOST_APISERVER_DISCOVERY_H
#define CPLANE_HOST_APISERVER_DISCOVERY_H

#include "apiserver/resources.h"

/* Content type of aggregated discovery responses; kubectl ignores the body
 * unless the response carries exactly this. */
#define CP_DISCOVERY_V2_CONTENT_TYPE                                         \
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

/* 1 when an Accept header asks for aggregated discovery v2. */
int cp_discovery_wants_v2(const char *accept);

char *cp_discovery_api_versions(const char *server_address);
char *cp_discovery_group_list(struct cp_resources *r);
/* /apis/<group>: the APIGroup, its versions in kube's priority order (the
 * first preferred); NULL when no version of group is served. */
char *cp_discovery_group(struct cp_resources *r, const char *group);
char *cp_discovery_resource_list(struct cp_resources *r, const char *group,
                                 const char *version);
/* core: 1 for /api (the core group only), 0 for /apis (every other). */
char *cp_discovery_aggregated(struct cp_resources *r, int core);

char *cp_openapi_root(struct cp_resources *r);
char *cp_openapi_group_version(struct cp_resources *r, const char *group,
                               const char *version);

#endif /* CPLANE_HOST_APISERVER_DISCOVERY_H */
