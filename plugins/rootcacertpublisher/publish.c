/*
 * publish - one namespace's kube-root-ca.crt. See publish.h.
 */
#include "publish.h"

#include <stdlib.h>
#include <string.h>

#define DATA_CA "data.ca\\.crt"

int rc_needs_update(const struct cplane_host_api *api, const cplane_object *cm,
                    const char *ca) {
  const char *have = api->object_string(cm, DATA_CA);
  const char *desc = api->object_annotation(cm, RC_DESCRIPTION_ANN);

  if (have == NULL || strcmp(have, ca) != 0 ||
      api->object_len(cm, "data") != 1)
    return 1;
  return desc == NULL || desc[0] == '\0';
}

char *rc_create_body(const struct cplane_host_api *api, const char *ca) {
  return api->json_format("{'apiVersion':'v1','kind':'ConfigMap','metadata':{"
                          "'name':%s,'annotations':{%s:%s}},'data':{%s:%s}}",
                          RC_NAME, RC_DESCRIPTION_ANN, RC_DESCRIPTION, RC_KEY,
                          ca);
}

struct nulls {
  const struct cplane_host_api *api;
  struct cplane_strbuf *b;
};

/* object_foreach callback: ",<key>:null" for each data key but ca.crt. */
static int null_member(void *userdata, const char *key, const char *str) {
  struct nulls *n = userdata;
  const struct cplane_host_api *api = n->api;
  struct cplane_strbuf *b = n->b;

  (void)str;
  if (strcmp(key, RC_KEY) == 0)
    return 0;
  cplane_strbuf_add(b, ",");
  cplane_strbuf_take(b, api, api->json_format("%s", key));
  cplane_strbuf_add(b, ":null");
  return 0;
}

char *rc_update_patch(const struct cplane_host_api *api,
                      const cplane_object *cm, const char *ca) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  struct nulls n = {api, &b};
  char *data, *patch;

  cplane_strbuf_add(&b, "{");
  cplane_strbuf_take(&b, api, api->json_format("%s", RC_KEY));
  cplane_strbuf_add(&b, ":");
  cplane_strbuf_take(&b, api, api->json_format("%s", ca));
  if (api->object_type(cm, "data") == CPLANE_TYPE_OBJECT)
    api->object_foreach(cm, "data", null_member, &n);
  cplane_strbuf_add(&b, "}");
  if ((data = cplane_strbuf_finish(&b)) == NULL)
    return NULL;
  patch = api->json_format("{'metadata':{'resourceVersion':%s,'annotations':"
                           "{%s:%s}},'data':%j}",
                           api->object_resource_version(cm),
                           RC_DESCRIPTION_ANN, RC_DESCRIPTION, data);
  free(data);
  return patch;
}
