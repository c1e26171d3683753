/* objects - see objects.h. */
#include "objects.h"

#include <stdio.h>
#include <string.h>

int controller_owner_key(const struct cplane_host_api *api,
                         const cplane_object *obj, const char *kind,
                         char *buf, size_t len) {
  int n = api->object_len(obj, "metadata.ownerReferences"), i;
  char path[96];

  for (i = 0; i < n; i++) {
    const char *k, *name;
    int ctl = 0;

    snprintf(path, sizeof path, "metadata.ownerReferences[%d].controller",
             i);
    if (api->object_bool(obj, path, &ctl) != CPLANE_OK || !ctl)
      continue;
    snprintf(path, sizeof path, "metadata.ownerReferences[%d].kind", i);
    k = api->object_string(obj, path);
    snprintf(path, sizeof path, "metadata.ownerReferences[%d].name", i);
    name = api->object_string(obj, path);
    if (k == NULL || name == NULL || strcmp(k, kind) != 0)
      return 0;
    return snprintf(buf, len, "%s/%s", api->object_namespace(obj), name) <
           (int)len;
  }
  return 0;
}

int pod_is_terminal(const struct cplane_host_api *api,
                    const cplane_object *pod) {
  const char *phase = api->object_string(pod, "status.phase");

  return phase != NULL &&
         (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0);
}
