/*
 * content - what a terminating namespace still holds, found and deleted
 * as kube's NamespacedResourcesDeleter does: every namespaced resource the
 * API server's discovery (/api, /apis, /apis/GROUP/VERSION at each group's
 * preferred version; custom resources included) says supports list and
 * delete is deletecollection'ed (or listed and deleted object by object
 * where deletecollection is not served), then listed again, fresh from the
 * API server - never from a cache that may lag - to see what remains and
 * which finalizers hold it.
 *
 * Threading: one call belongs to one reconcile run; no shared state.
 * Ownership: the result is a plain struct of the caller's.
 */
#ifndef PLUGINS_NAMESPACE_CONTENT_H
#define PLUGINS_NAMESPACE_CONTENT_H

#include <cplane/cplane.h>

#define NS_MAX_COUNTED 64 /* distinct resources or finalizers named */

struct ns_count {
  char name[160]; /* "pods." or "widgets.example.com"; a finalizer */
  int n;
};

struct ns_content {
  /* Discovery: groups that failed ("apps/v1: HTTP 503"), comma separated. */
  int discovery_failures;
  char discovery_errors[1024];
  /* Deletes and lists that failed, comma separated. */
  int delete_failures;
  char delete_errors[1024];
  /* What the fresh lists still show. `remaining` counts every object even
   * when more than NS_MAX_COUNTED resources or finalizers would be named. */
  int remaining;
  struct ns_count resources[NS_MAX_COUNTED], finalizers[NS_MAX_COUNTED];
  size_t n_resources, n_finalizers;
};

/* Deletes the content of namespace ns and reports into *out what remains
 * and which requests failed (the namespace must then not be finalized:
 * what failed may hide content). Needs the host's request() (ABI 1.2). */
void ns_delete_content(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const char *ns,
                       struct ns_content *out);

#endif /* PLUGINS_NAMESPACE_CONTENT_H */
