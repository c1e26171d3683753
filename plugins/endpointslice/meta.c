/*
 * meta - EndpointSlice labels and trigger time. See meta.h.
 */
#include "meta.h"

#include "eps.h"

#include <stdio.h>
#include <string.h>

char *es_labels_json(const struct cplane_host_api *api,
                     const cplane_object *svc) {
  /* Kube's own keys are set here, whatever the Service's labels say. */
  static const char *const ours[] = {ES_LABEL_SERVICE, ES_LABEL_MANAGED_BY,
                                     ES_LABEL_HEADLESS, NULL};
  char extra[400];
  const char *name = api->object_name(svc);

  if (name == NULL || strpbrk(name, "\"\\") != NULL)
    return NULL;
  snprintf(extra, sizeof extra, "\"%s\":\"%s\",\"%s\":\"%s\"", ES_LABEL_SERVICE,
           name, ES_LABEL_MANAGED_BY, ES_CONTROLLER);
  return cplane_endpoints_labels(api, svc, ours, extra);
}
