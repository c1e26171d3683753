/*
 * discovery - the resources the collector covers through discovery. See
 * discovery.h.
 */
#include "discovery.h"

#include <stdio.h>
#include <string.h>

int gc_discovery_groups(const struct cplane_host_api *api,
                        const cplane_object *group_list, char (*paths)[256],
                        int max) {
  int n = api->object_len(group_list, "groups"), i, found = 0;

  for (i = 0; i < n && found < max; i++) {
    const char *gv = cplane_array_string(api, group_list, "groups", i,
                                         "preferredVersion.groupVersion");
    int w;

    if (gv == NULL || strchr(gv, '/') == NULL)
      continue;
    w = snprintf(paths[found], 256, "/apis/%s", gv);
    if (w > 0 && w < 256)
      found++;
  }
  return found;
}

/* kube's DefaultIgnoredResources: events are never owners worth a
 * watch. */
static int ignored(const char *group, const char *resource) {
  return strcmp(resource, "events") == 0 &&
         (group[0] == '\0' || strcmp(group, "events.k8s.io") == 0);
}

/* 1 when the collector watches this kind through its caches already. */
static int cached(const char *group, const char *resource) {
  int r;

  for (r = 0; r < GC_N_RES; r++)
    if (strcmp(gc_resources[r].group, group) == 0 &&
        strcmp(gc_resources[r].resource, resource) == 0)
      return 1;
  return 0;
}

static int has_verb(const struct cplane_host_api *api,
                    const cplane_object *list, int i, const char *verb) {
  char path[64];

  snprintf(path, sizeof path, "resources[%d].verbs", i);
  return cplane_string_array_contains(api, list, path, verb);
}

static int copy(char *dst, size_t size, const char *src) {
  size_t n = src != NULL ? strlen(src) : 0;

  if (src == NULL || n == 0 || n >= size)
    return -1;
  memcpy(dst, src, n + 1);
  return 0;
}

int gc_discovery_resources(const struct cplane_host_api *api,
                           const cplane_object *resource_list,
                           const char *group, const char *version,
                           struct gc_found *out, int max) {
  int n = api->object_len(resource_list, "resources"), i, found = 0;

  for (i = 0; i < n && found < max; i++) {
    const char *name =
        cplane_array_string(api, resource_list, "resources", i, "name");
    const char *kind =
        cplane_array_string(api, resource_list, "resources", i, "kind");
    struct gc_found *f = &out[found];
    char path[64];
    int ns = 0;

    if (name == NULL || strchr(name, '/') != NULL || ignored(group, name) ||
        cached(group, name) || !has_verb(api, resource_list, i, "list") ||
        !has_verb(api, resource_list, i, "watch") ||
        !has_verb(api, resource_list, i, "delete"))
      continue;
    if ((group[0] != '\0' && copy(f->group, sizeof f->group, group) != 0) ||
        copy(f->version, sizeof f->version, version) != 0 ||
        copy(f->resource, sizeof f->resource, name) != 0 ||
        copy(f->kind, sizeof f->kind, kind) != 0)
      continue;
    if (group[0] == '\0')
      f->group[0] = '\0';
    snprintf(path, sizeof path, "resources[%d].namespaced", i);
    api->object_bool(resource_list, path, &ns);
    f->namespaced = ns != 0;
    found++;
  }
  return found;
}
