/*
 * health - healthy pods and disruptedPods. See health.h.
 */
#include "health.h"

#include "dis.h"

#include <stdio.h>
#include <string.h>

/* When pdb's disruptedPods says pod `name` was let go, in ms; -1 when it
 * does not. */
static int64_t disrupted_at(const struct cplane_host_api *api,
                            const cplane_object *pdb, const char *name) {
  char path[400];
  const char *ts;
  int64_t ms;

  /* Pod names hold no '.', '[' or '\': a plain path segment. */
  if (strpbrk(name, ".[\\") != NULL ||
      snprintf(path, sizeof path, "status.disruptedPods.%s", name) >=
          (int)sizeof path)
    return -1;
  ts = api->object_string(pdb, path);
  return ts != NULL && cplane_time_parse(ts, &ms) == 0 ? ms : -1;
}

int dis_health(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
               const cplane_object *pdb, const cplane_object *const *pods,
               size_t n, int64_t now_ms, struct dis_health *out) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  int64_t next = 0;
  size_t i;

  memset(out, 0, sizeof *out);
  cplane_strbuf_add(&b, "{");
  for (i = 0; i < n; i++) {
    const char *name = api->object_name(pods[i]);
    int64_t at;

    if (name == NULL || api->object_deletion_timestamp(pods[i]) != NULL)
      continue; /* being deleted: neither healthy nor pending */
    if ((at = disrupted_at(api, pdb, name)) >= 0) {
      int64_t due = at + DIS_DELETION_TIMEOUT_MS;

      if (due < now_ms) {
        if (ctx != NULL)
          api->event_record(ctx, &dis_resources[DIS_PODS], pods[i], "Warning",
                            "NotDeleted",
                            "Pod was expected by PDB %s/%s to be deleted but "
                            "it wasn't",
                            api->object_namespace(pdb), api->object_name(pdb));
      } else {
        char when[CPLANE_TIME_LEN];

        if (cplane_time_format(at, when, sizeof when) != CPLANE_OK)
          b.failed = 1;
        cplane_strbuf_addf(&b, "%s\"%s\":\"%s\"", b.len > 1 ? "," : "", name,
                           when);
        if (next == 0 || due < next)
          next = due;
        continue; /* pending deletion: not healthy */
      }
    }
    if (cplane_pod_is_ready(api, pods[i]))
      out->healthy++;
  }
  cplane_strbuf_add(&b, "}");
  if ((out->disrupted = cplane_strbuf_finish(&b)) == NULL)
    return -1;
  if (next > 0)
    out->recheck_ms = (uint32_t)(next - now_ms + 1000);
  return 0;
}
