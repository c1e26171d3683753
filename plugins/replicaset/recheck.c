/*
 * recheck - a ReplicaSet read past the cache. See recheck.h.
 */
#include "recheck.h"

#include <string.h>

int rs_live(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
            const cplane_object *rs) {
  const cplane_object *cur = NULL;
  const char *uid;
  char *msg = NULL;
  int code, live = -1;

  code = api->get(ctx, &rs_resources[RS_REPLICASETS],
                  api->object_namespace(rs), api->object_name(rs), &cur, &msg);
  if (code == 404) {
    live = 0;
    goto out;
  }
  if (code != 200 || cur == NULL) {
    api->log(ctx, CPLANE_LOG_WARN, "%s: reading it before creating pods: %d %s",
             api->object_key(rs), code, msg ? msg : "");
    goto out;
  }
  uid = api->object_uid(cur);
  live = api->object_deletion_timestamp(cur) == NULL && uid != NULL &&
         api->object_uid(rs) != NULL && strcmp(uid, api->object_uid(rs)) == 0;
out:
  api->free(msg);
  api->object_release(cur);
  return live;
}
