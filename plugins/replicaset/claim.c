/*
 * claim - the pods a ReplicaSet controls: adopting orphans, releasing
 * pods that stopped matching. See claim.h.
 */
#include "claim.h"

#include <stdlib.h>
#include <string.h>

/* Takes pod into rs (adopt) or lets it go (release) with a strategic
 * merge patch on ownerReferences (merged by uid), guarded by the pod's
 * resourceVersion so that two controllers never both win. Returns 1 on
 * success, 0 when the pod changed meanwhile or is gone. */
static int set_owner(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                     const cplane_object *rs, const cplane_object *pod,
                     int adopt) {
  char *body, *msg = NULL, *ref;
  int code;

  if (adopt) {
    ref = cplane_controller_ref_json(api, rs, RS_OWNER_API_VERSION,
                                     RS_OWNER_KIND);
    body = ref == NULL
               ? NULL
               : api->json_format("{'metadata':{'resourceVersion':%s,"
                                  "'ownerReferences':[%j]}}",
                                  api->object_resource_version(pod), ref);
    api->free(ref);
  } else {
    body = api->json_format(
        "{'metadata':{'resourceVersion':%s,'ownerReferences':[{"
        "'$patch':'delete','uid':%s}]}}",
        api->object_resource_version(pod), api->object_uid(rs));
  }
  if (body == NULL)
    return 0;
  code = api->patch(ctx, &rs_resources[RS_PODS], api->object_namespace(pod),
                    api->object_name(pod), CPLANE_PATCH_STRATEGIC, body, NULL,
                    &msg);
  if (code == 200)
    api->log(ctx, CPLANE_LOG_INFO, "%s/%s: %s pod %s",
             api->object_namespace(rs), api->object_name(rs),
             adopt ? "adopted" : "released", api->object_name(pod));
  else if (code != 409 && code != 404)
    api->log(ctx, CPLANE_LOG_WARN, "%s/%s: %s pod %s failed: %d %s",
             api->object_namespace(rs), api->object_name(rs),
             adopt ? "adopting" : "releasing", api->object_name(pod), code,
             msg ? msg : "");
  api->free(msg);
  api->free(body);
  return code == 200;
}

int rs_pod_set_add(struct rs_pod_set *s, const cplane_object *p) {
  if (s->n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 64;
    const cplane_object **np = realloc(s->pods, (size_t)cap * sizeof *np);

    if (np == NULL)
      return -1;
    s->pods = np;
    s->cap = cap;
  }
  s->pods[s->n++] = p;
  return 0;
}

/* The live pods rs controls, after releasing those that no longer match
 * its selector and adopting matching orphans, into *out. */
int rs_claim_pods(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const cplane_object *rs, const char *selector,
                  cplane_object_list *owned, cplane_object_list *matching,
                  struct rs_pod_set *out) {
  const char *uid = api->object_uid(rs);
  size_t i;

  for (i = 0; i < api->list_len(owned); i++) {
    const cplane_object *p = api->list_at(owned, i);
    const char *ctl = api->object_controller_uid(p);

    if (api->object_deletion_timestamp(p) != NULL || ctl == NULL ||
        strcmp(ctl, uid) != 0)
      continue;
    if (api->object_labels_match(p, selector) != 1) {
      set_owner(api, ctx, rs, p, 0);
      continue;
    }
    if (rs_pod_set_add(out, p) != 0)
      return -1;
  }
  for (i = 0; matching != NULL && i < api->list_len(matching); i++) {
    const cplane_object *p = api->list_at(matching, i);

    if (api->object_deletion_timestamp(p) != NULL ||
        api->object_controller_uid(p) != NULL || cplane_pod_is_terminal(api, p))
      continue;
    if (set_owner(api, ctx, rs, p, 1) && rs_pod_set_add(out, p) != 0)
      return -1;
  }
  return 0;
}
