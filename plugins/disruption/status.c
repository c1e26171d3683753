/*
 * status - the budget's status patch. See status.h.
 */
#include "status.h"

#include "budget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when status.<field> of pdb is v. */
static int same_int(const struct cplane_host_api *api, const cplane_object *pdb,
                    const char *field, int64_t v) {
  char path[64];
  int64_t have;

  snprintf(path, sizeof path, "status.%s", field);
  return api->object_int(pdb, path, &have) == CPLANE_OK && have == v;
}

struct removed {
  const struct cplane_host_api *api;
  const cplane_object *now; /* the new map */
  struct cplane_strbuf *b;
  int differ;
};

/* For each pod in the old map: null in the patch when the new map drops
 * it (a merge patch merges maps), and whether the maps differ. */
static int old_entry(void *userdata, const char *key, const char *value) {
  struct removed *r = userdata;
  char path[300];
  const char *v;

  if (strpbrk(key, ".[\\\"") != NULL ||
      snprintf(path, sizeof path, "%s", key) >= (int)sizeof path)
    return 0;
  v = r->api->object_string(r->now, path);
  if (v == NULL) {
    cplane_strbuf_addf(r->b, "%s\"%s\":null", r->b->len > 1 ? "," : "", key);
    r->differ = 1;
  } else if (value == NULL || strcmp(v, value) != 0) {
    r->differ = 1;
  }
  return 0;
}

/* The disruptedPods member of the patch: the new map plus a null for
 * each pod it drops; *differ when it differs from the old one. */
static char *disrupted_patch(const struct cplane_host_api *api,
                             const cplane_object *pdb, const char *map,
                             int *differ) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  const cplane_object *now = NULL;
  struct removed r = {api, NULL, &b, 0};
  int n_old = api->object_len(pdb, "status.disruptedPods");
  char *text;

  if (api->object_parse(map, strlen(map), &now, NULL) != CPLANE_OK)
    return NULL;
  r.now = now;
  /* The new map's members, then the nulls. */
  cplane_strbuf_add(&b, "{");
  if (strlen(map) > 2)
    cplane_strbuf_addn(&b, map + 1, strlen(map) - 2);
  api->object_foreach(pdb, "status.disruptedPods", old_entry, &r);
  cplane_strbuf_add(&b, "}");
  *differ = r.differ || (n_old < 0 ? 0 : n_old) != api->object_len(now, "");
  api->object_release(now);
  text = cplane_strbuf_finish(&b);
  return text;
}

int dis_status_patch(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                     const cplane_object *pdb, const struct dis_figures *f,
                     const char *fail_msg, char **patch) {
  int64_t allowed =
      fail_msg ? 0 : dis_budget_allowed(f->healthy, f->desired, f->expected);
  int64_t gen = api->object_generation(pdb), observed = 0;
  /* kube writes message "" (metav1.Condition has no omitempty on it). */
  struct cplane_condition c = {"DisruptionAllowed", "False", "InsufficientPods",
                               "", 0};
  char *conds = NULL, *dis = NULL;
  int changed = 0, differ = 0, rc = -1;

  *patch = NULL;
  api->object_int(pdb, "status.observedGeneration", &observed);
  if (fail_msg != NULL) {
    c.reason = "SyncFailed";
    c.message = fail_msg;
    c.observed_generation = observed;
  } else {
    if (allowed > 0) {
      c.status = "True";
      c.reason = "SufficientPods";
    }
    c.observed_generation = gen;
  }
  if (cplane_conditions_set(api, ctx, pdb, "status.conditions", &c, 1, &conds,
                            &changed) != CPLANE_OK)
    goto out;
  if (fail_msg != NULL) {
    rc = 0;
    if (!changed && same_int(api, pdb, "disruptionsAllowed", 0))
      goto out;
    *patch = api->json_format("{'metadata':{'resourceVersion':%s},'status':{"
                              "'disruptionsAllowed':0,'conditions':%j}}",
                              api->object_resource_version(pdb), conds);
    rc = *patch != NULL ? 0 : -1;
    goto out;
  }
  if ((dis = disrupted_patch(api, pdb, f->disrupted, &differ)) == NULL)
    goto out;
  if (!changed && !differ && same_int(api, pdb, "currentHealthy", f->healthy) &&
      same_int(api, pdb, "desiredHealthy", f->desired) &&
      same_int(api, pdb, "expectedPods", f->expected) &&
      same_int(api, pdb, "disruptionsAllowed", allowed) && observed == gen) {
    rc = 0; /* kube's check: nothing to write */
    goto out;
  }
  *patch = api->json_format(
      "{'metadata':{'resourceVersion':%s},'status':{'currentHealthy':%lld,"
      "'desiredHealthy':%lld,'expectedPods':%lld,'disruptionsAllowed':%lld,"
      "'disruptedPods':%j,'observedGeneration':%lld,'conditions':%j}}",
      api->object_resource_version(pdb), (long long)f->healthy,
      (long long)f->desired, (long long)f->expected, (long long)allowed, dis,
      (long long)gen, conds);
  rc = *patch != NULL ? 0 : -1;
out:
  free(dis);
  api->free(conds);
  return rc;
}
