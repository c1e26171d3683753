/*
 * ensure - one namespace's default ServiceAccount. See ensure.h.
 */
#include "ensure.h"

#include <string.h>

int sa_namespace_active(const struct cplane_host_api *api,
                        const cplane_object *ns) {
  const char *phase = api->object_string(ns, "status.phase");

  if (api->object_deletion_timestamp(ns) != NULL)
    return 0;
  return phase == NULL || strcmp(phase, "Active") == 0;
}

char *sa_body(const struct cplane_host_api *api, const char *ns) {
  return api->json_format("{'apiVersion':'v1','kind':'ServiceAccount',"
                          "'metadata':{'name':%s,'namespace':%s}}",
                          SA_NAME, ns);
}

int sa_create_outcome(int code) {
  /* 403: kube-apiserver refuses creates in a terminating namespace
   * (NamespaceTerminating); 404: the namespace went. Both end the work,
   * as kube's controller ignores them. */
  return code == 201 || code == 409 || code == 403 || code == 404 ? 0 : -1;
}
