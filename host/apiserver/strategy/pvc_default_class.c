/*
 * pvc_default_class - see pvc_default_class.h.
 */
#include "apiserver/strategy/pvc_default_class.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/request.h"
#include "apiserver/resources.h"
#include "apiserver/strategy/fields.h"
#include "store/store.h"

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

/* The default class's name into out ("" for none). -1 on a store
 * failure. */
static int default_class(struct cp_api_ctx *ctx, char *out, size_t len) {
  const struct cp_resource_type *t = cp_resources_find(
      ctx->resources, "storage.k8s.io", "v1", "storageclasses");
  cp_store_list_result res;
  char ts[64] = "", *prefix;
  size_t i;
  int rc = -1;

  out[0] = '\0';
  memset(&res, 0, sizeof res);
  if (t == NULL || (prefix = cp_api_key(t, NULL, NULL)) == NULL)
    return -1;
  if (cp_store_list(ctx->store, prefix, strlen(prefix), NULL, 0, 0, 0,
                    &res) != CPLANE_OK)
    goto out;
  rc = 0;
  for (i = 0; i < res.count; i++) {
    json_object *sc = cp_api_parse_stored(NULL, &res.kvs[i]);

    if (sc != NULL &&
        (annotation_true(sc, ANN_DEFAULT) ||
         annotation_true(sc, ANN_DEFAULT_BETA)) &&
        better(sc, out, ts)) {
      const char *c = cp_field_str(sc, "metadata.creationTimestamp");

      snprintf(out, len, "%s", cp_field_str(sc, "metadata.name"));
      snprintf(ts, sizeof ts, "%s", c != NULL ? c : "");
    }
    json_object_put(sc);
  }
out:
  cp_store_list_result_free(&res);
  free(prefix);
  return rc;
}

int cp_pvc_default_class_admit(const struct cp_strategy_write *w,
                               json_object *pvc, json_object *old,
                               struct cp_api_response *rs) {
  json_object *spec = cp_field_typed(pvc, "spec", json_type_object), *v = NULL;
  char name[254];

  (void)old;
  if (w->op != CP_OP_CREATE || w->subresource != NULL || spec == NULL)
    return 0;
  if (json_object_object_get_ex(spec, "storageClassName", &v) && v != NULL)
    return 0; /* set, even to "": the user chose */
  if (annotation(pvc, ANN_CLASS_BETA) != NULL)
    return 0;
  if (default_class(w->ctx, name, sizeof name) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  if (name[0] != '\0')
    json_object_object_add(spec, "storageClassName",
                           json_object_new_string(name));
  return 0;
}
