/*
 * keys - the garbagecollector's reconcile keys. See keys.h.
 */
#include "keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gc_key_parse(const char *key, struct gc_key *out) {
  const char *rest;
  char *end;
  unsigned long res;

  out->res = 0;
  out->rest = "";
  if (strcmp(key, "discover") == 0 || strcmp(key, "scan") == 0) {
    out->kind = key[0] == 'd' ? GC_KEY_DISCOVER : GC_KEY_SCAN;
    return 0;
  }
  if (strncmp(key, "gone/", 5) == 0) {
    out->kind = GC_KEY_GONE;
    out->res = 0;
    out->rest = key + 5;
    return 0;
  }
  if ((rest = strchr(key, '/')) == NULL)
    return -1;
  res = strtoul(rest + 1, &end, 10);
  if (*end != '/' || res >= GC_RES_MAX)
    return -1;
  out->res = (uint32_t)res;
  out->rest = end + 1;
  if (strncmp(key, "owner/", 6) == 0)
    out->kind = GC_KEY_OWNER;
  else if (strncmp(key, "confirm/", 8) == 0)
    out->kind = GC_KEY_CONFIRM;
  else
    out->kind = GC_KEY_CHECK;
  return 0;
}

int gc_key_format(char *buf, size_t size, const char *what, uint32_t res,
                  const char *object_key) {
  int n = snprintf(buf, size, "%s/%u/%s", what, res, object_key);

  return n < 0 || (size_t)n >= size ? -1 : 0;
}

int gc_owner_pending(const struct cplane_host_api *api,
                     const cplane_object *obj) {
  return api->object_deletion_timestamp(obj) != NULL &&
         (cplane_finalizer_has(api, obj, "orphan") ||
          cplane_finalizer_has(api, obj, "foregroundDeletion"));
}

int gc_owners_changed(const struct cplane_host_api *api,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  char *a, *b;
  int changed;

  if (old_obj == new_obj || api->object_len(new_obj, GC_OWNERS) <= 0)
    return 0;
  a = api->object_json(old_obj, GC_OWNERS);
  b = api->object_json(new_obj, GC_OWNERS);
  changed = a == NULL || b == NULL || strcmp(a, b) != 0;
  api->free(a);
  api->free(b);
  return changed;
}
