/*
 * request_info - the attributes authorization decides on, read from the
 * request's method, path and query alone, as kube-apiserver's
 * RequestInfoFactory does: resource or not, verb, API group, namespace,
 * resource, subresource and name. Nothing here knows which resources
 * exist, so a caller allowed nothing gets the same 403 for an unknown
 * resource as for a known one, and learns nothing about which custom
 * resources are defined.
 *
 * Threading: pure; safe from any thread.
 * Ownership: the strings point into info->buf; cp_request_info_clear
 * frees it.
 */
#ifndef CPLANE_HOST_APISERVER_REQUEST_INFO_H
#define CPLANE_HOST_APISERVER_REQUEST_INFO_H

#include "apiserver/request.h"

struct cp_request_info {
  int resource_request; /* 0: a non-resource path such as /metrics */
  const char *verb;     /* get, list, watch, create, ...; or get, post ... */
  const char *path;     /* as requested */
  /* Resource requests only; "" when absent. */
  const char *group, *version, *ns, *resource, *subresource, *name;
  char *buf; /* the path's segments */
};

/* Fills info from the decoded path; watch is the ?watch= flag. Returns 0,
 * or -1 when out of memory. */
int cp_request_info_parse(enum cp_api_method method, const char *path,
                          int watch, struct cp_request_info *info);
void cp_request_info_clear(struct cp_request_info *info);

/* A resource request's verb: get, list, watch, create, update, patch,
 * delete, deletecollection ("unknown" for other methods). */
const char *cp_request_verb(enum cp_api_method method, int has_name,
                            int watch);

#endif /* CPLANE_HOST_APISERVER_REQUEST_INFO_H */
