/*
 * pvc_default_class - see pvc_default_class.h.
 */
#include "apiserver/strategy/pvc_default_class.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/store_each.h"
#include "apiserver/strategy/fields.h"

#define ANN_DEFAULT "storageclass.kubernetes.io/is-default-class"
#define ANN_DEFAULT_BETA "storageclass.beta.kubernetes.io/is-default-class"
#define ANN_CLASS_BETA "volume.beta.kubernetes.io/storage-class"

/* The annotation `key` of o (keys hold dots: no field path), or NULL. */
static const char *annotation(json_object *o, const char *key) {
  json_object *ann = cp_field_typed(o, "metadata.annotations",
                                    json_type_object), *v = NULL;

  if (!json_object_object_get_ex(ann, key, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static int annotation_true(json_object *sc, const char *key) {
  const char *v = annotation(sc, key);

  return v != NULL && strcmp(v, "true") == 0;
}

/* 1 when sc is a better default than the one named best (created at
 * best_ts): newer, or as new with a lower name. */
static int better(json_object *sc, const char *best, const char *best_ts) {
  const char *name = cp_field_str(sc, "metadata.name");
  const char *ts = cp_field_str(sc, "metadata.creationTimestamp");
  int c;

  if (name == NULL)
    return 0;
  if (best[0] == '\0')
    return 1;
  /* RFC 3339 in UTC with a Z compares as text. */
  c = strcmp(ts != NULL ? ts : "", best_ts);
  return c > 0 || (c == 0 && strcmp(name, best) < 0);
}

struct best {
  char name[254];
  char ts[64];
};

static int consider(json_object *sc, void *arg) {
  struct best *b = arg;
  const char *ts = cp_field_str(sc, "metadata.creationTimestamp");

  if ((annotation_true(sc, ANN_DEFAULT) ||
       annotation_true(sc, ANN_DEFAULT_BETA)) &&
      better(sc, b->name, b->ts)) {
    snprintf(b->name, sizeof b->name, "%s", cp_field_str(sc, "metadata.name"));
    snprintf(b->ts, sizeof b->ts, "%s", ts != NULL ? ts : "");
  }
  return 0;
}

int cp_pvc_default_class_admit(const struct cp_strategy_write *w,
                               json_object *pvc, json_object *old,
                               struct cp_api_response *rs) {
  json_object *spec = cp_field_typed(pvc, "spec", json_type_object), *v = NULL;
  struct best b;

  (void)old;
  if (w->op != CP_OP_CREATE || w->subresource != NULL || spec == NULL)
    return 0;
  if (json_object_object_get_ex(spec, "storageClassName", &v) && v != NULL)
    return 0; /* set, even to "": the user chose */
  if (annotation(pvc, ANN_CLASS_BETA) != NULL)
    return 0;
  memset(&b, 0, sizeof b);
  if (cp_store_each(w->ctx, "storage.k8s.io", "v1", "storageclasses", consider,
                    &b) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  if (b.name[0] != '\0')
    json_object_object_add(spec, "storageClassName",
                           json_object_new_string(b.name));
  return 0;
}
