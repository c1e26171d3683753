/*
 * served - see served.h.
 */
#include "plugin/served.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client/client.h"

/* 1 when the APIResourceList in body lists `resource` (type-checked). */
static int lists_resource(const char *body, const char *resource) {
  json_object *list = json_tokener_parse(body), *items, *it, *name;
  size_t i, n;
  int found = 0;

  if (list == NULL)
    return 0;
  if (!json_object_object_get_ex(list, "resources", &items) ||
      !json_object_is_type(items, json_type_array))
    goto out;
  n = json_object_array_length(items);
  for (i = 0; i < n && !found; i++) {
    it = json_object_array_get_idx(items, i);
    if (json_object_is_type(it, json_type_object) &&
        json_object_object_get_ex(it, "name", &name) &&
        json_object_is_type(name, json_type_string) &&
        strcmp(json_object_get_string(name), resource) == 0)
      found = 1;
  }
out:
  json_object_put(list);
  return found;
}

enum cp_served cp_served_check(struct cp_client *c,
                               const struct cplane_resource *res) {
  char path[512], *body = NULL;
  size_t len = 0;
  enum cp_served rc = CP_SERVED_UNKNOWN;
  int code, n;

  if (c == NULL || res->version == NULL || res->resource == NULL)
    return CP_SERVED_UNKNOWN;
  if (res->group == NULL || res->group[0] == '\0')
    n = snprintf(path, sizeof path, "/api/%s", res->version);
  else
    n = snprintf(path, sizeof path, "/apis/%s/%s", res->group,
                 res->version);
  if (n < 0 || (size_t)n >= sizeof path)
    return CP_SERVED_UNKNOWN;
  code = cp_client_request(c, "GET", path, NULL, NULL, 0, &body, &len);
  if (code == 404)
    rc = CP_SERVED_NO;
  else if (code == 200 && body != NULL)
    rc = lists_resource(body, res->resource) ? CP_SERVED_YES : CP_SERVED_NO;
  free(body);
  return rc;
}

void cp_served_name(const struct cplane_resource *res, char *buf,
                    size_t len) {
  if (res->group == NULL || res->group[0] == '\0')
    snprintf(buf, len, "%s/%s", res->resource, res->version);
  else
    snprintf(buf, len, "%s.%s/%s", res->resource, res->group, res->version);
}
