/*
 * csr_approval - see csr_approval.h.
 */
#include "apiserver/csr_approval.h"

#include <stddef.h>

static json_object *member(json_object *o, const char *k) {
  json_object *v = NULL;

  if (o == NULL || !json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, k, &v))
    return NULL;
  return v;
}

json_object *cp_csr_approval_merge(json_object *in, json_object *cur) {
  json_object *out = NULL, *st, *conds = NULL;
  json_object *want = member(member(in, "status"), "conditions");

  if (json_object_deep_copy(cur, &out, NULL) != 0 || out == NULL)
    return NULL;
  st = member(out, "status");
  if (st == NULL || !json_object_is_type(st, json_type_object)) {
    if ((st = json_object_new_object()) == NULL)
      goto oom;
    json_object_object_add(out, "status", st);
  }
  if (want == NULL) {
    json_object_object_del(st, "conditions");
    return out;
  }
  if (json_object_deep_copy(want, &conds, NULL) != 0 || conds == NULL)
    goto oom;
  json_object_object_add(st, "conditions", conds);
  return out;
oom:
  json_object_put(out);
  return NULL;
}
