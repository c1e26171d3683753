/*
 * user_json - see user_json.h.
 */
#include "apiserver/user_json.h"

#include <string.h>

static json_object *string_list(char *const *l, size_t n) {
  json_object *a = json_object_new_array();
  size_t i;

  for (i = 0; a != NULL && i < n; i++)
    json_object_array_add(a, json_object_new_string(l[i]));
  return a;
}

/* "k=v" entries as {"k": ["v", ...]}: kube's extra is a map of lists, and
 * authentication hands it over flattened, a key once per value. */
static json_object *extra_map(char *const *extra, size_t n) {
  json_object *o = json_object_new_object(), *list;
  char key[CP_USER_JSON_MAX_KEY + 1];
  size_t i, len;

  for (i = 0; o != NULL && i < n; i++) {
    const char *eq = strchr(extra[i], '=');

    if (eq == NULL || (len = (size_t)(eq - extra[i])) >= sizeof key)
      continue;
    memcpy(key, extra[i], len);
    key[len] = '\0';
    if (!json_object_object_get_ex(o, key, &list)) {
      list = json_object_new_array();
      json_object_object_add(o, key, list);
    }
    json_object_array_add(list, json_object_new_string(eq + 1));
  }
  return o;
}

json_object *cp_api_user_json(const struct cp_api_user *u) {
  json_object *o = json_object_new_object();

  if (o == NULL || u == NULL)
    return o;
  if (u->name != NULL && u->name[0] != '\0')
    json_object_object_add(o, "username", json_object_new_string(u->name));
  if (u->uid != NULL && u->uid[0] != '\0')
    json_object_object_add(o, "uid", json_object_new_string(u->uid));
  if (u->n_groups > 0)
    json_object_object_add(o, "groups", string_list(u->groups, u->n_groups));
  if (u->n_extra > 0)
    json_object_object_add(o, "extra", extra_map(u->extra, u->n_extra));
  return o;
}
