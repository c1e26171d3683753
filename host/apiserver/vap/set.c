/*
 * set - the admission policies and bindings, loaded and watched (set.h).
 */
#include "apiserver/vap/set.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/strategy/platform_fields.h"
#include "log/log.h"

/* [0] policies, [1] bindings. */
static const char *const prefixes[] = {"validatingadmissionpolicies/",
                                       "validatingadmissionpolicybindings/",
                                       NULL};

struct cp_vap_set {
  struct cp_watched_set *set;
};

/* ------------------------------------------------------------ snapshots */

static const char *name_of(json_object *o) {
  return cp_plat_str0(cp_plat_get(o, "metadata", json_type_object), "name");
}

static int by_name(const void *a, const void *b) {
  return strcmp(name_of(*(json_object *const *)a),
                name_of(*(json_object *const *)b));
}

static void binding_clear(struct cp_vap_binding *b) {
  free(b->name);
  free(b->policy_name);
  free(b->param_name);
  free(b->param_ns);
  json_object_put(b->param_selector);
  json_object_put(b->match);
}

void cp_vap_snapshot_free(struct cp_vap_snapshot *snap) {
  size_t i;

  if (snap == NULL)
    return;
  for (i = 0; i < snap->n_policies; i++)
    cp_vap_policy_clear(&snap->policies[i]);
  for (i = 0; i < snap->n_bindings; i++)
    binding_clear(&snap->bindings[i]);
  free(snap->policies);
  free(snap->bindings);
  free(snap);
}

static unsigned actions_of(json_object *spec) {
  json_object *a = cp_plat_get(spec, "validationActions", json_type_array);
  unsigned out = 0;
  size_t i;

  for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
    const char *v = json_object_get_string(json_object_array_get_idx(a, i));

    if (v == NULL)
      continue;
    if (strcmp(v, "Deny") == 0)
      out |= CP_VAP_DENY;
    else if (strcmp(v, "Warn") == 0)
      out |= CP_VAP_WARN;
    else if (strcmp(v, "Audit") == 0)
      out |= CP_VAP_AUDIT;
  }
  return out;
}

/* Reads binding obj into *b; -1 out of memory. */
static int binding_parse(json_object *obj, struct cp_vap_binding *b) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *pr = cp_plat_get(spec, "paramRef", json_type_object);

  memset(b, 0, sizeof *b);
  b->name = strdup(name_of(obj));
  b->policy_name = strdup(cp_plat_str0(spec, "policyName"));
  b->match = json_object_get(
      cp_plat_get(spec, "matchResources", json_type_object));
  b->actions = actions_of(spec);
  if (pr != NULL) {
    b->has_param_ref = 1;
    b->param_name = strdup(cp_plat_str0(pr, "name"));
    b->param_ns = strdup(cp_plat_str0(pr, "namespace"));
    b->param_selector = json_object_get(
        cp_plat_get(pr, "selector", json_type_object));
    b->param_not_found_allow =
        strcmp(cp_plat_str0(pr, "parameterNotFoundAction"), "Allow") == 0;
    if (b->param_name == NULL || b->param_ns == NULL)
      return -1;
  }
  return b->name != NULL && b->policy_name != NULL ? 0 : -1;
}

static const struct cp_vap_policy *
find_policy(const struct cp_vap_snapshot *snap, const char *name) {
  size_t i;

  for (i = 0; i < snap->n_policies; i++)
    if (strcmp(snap->policies[i].name, name) == 0)
      return &snap->policies[i];
  return NULL;
}

struct cp_vap_snapshot *
cp_vap_snapshot_build(json_object *const *policies, size_t np,
                      json_object *const *bindings, size_t nb) {
  struct cp_vap_snapshot *snap = calloc(1, sizeof *snap);
  json_object **sorted = calloc(nb ? nb : 1, sizeof *sorted);
  size_t i;

  if (snap == NULL || sorted == NULL ||
      (snap->policies = calloc(np ? np : 1, sizeof *snap->policies)) ==
          NULL ||
      (snap->bindings = calloc(nb ? nb : 1, sizeof *snap->bindings)) == NULL)
    goto fail;
  for (i = 0; i < np; i++) {
    if (cp_vap_policy_parse(policies[i], &snap->policies[snap->n_policies],
                            NULL) < 0)
      goto fail;
    snap->n_policies++;
  }
  memcpy(sorted, bindings, nb * sizeof *sorted);
  /* A stable order: bindings by name. */
  qsort(sorted, nb, sizeof *sorted, by_name);
  for (i = 0; i < nb; i++) {
    struct cp_vap_binding *b = &snap->bindings[snap->n_bindings++];

    if (binding_parse(sorted[i], b) < 0)
      goto fail;
    if ((b->policy = find_policy(snap, b->policy_name)) != NULL)
      snap->n_active++;
  }
  /* A write when no binding names a policy costs one atomic load. */
  snap->ws.weight = snap->n_active;
  free(sorted);
  return snap;
fail:
  free(sorted);
  cp_vap_snapshot_free(snap);
  return NULL;
}

struct cp_vap_snapshot *cp_vap_acquire(struct cp_vap_set *s) {
  /* ws is the snapshot's first member. */
  return s != NULL ? (struct cp_vap_snapshot *)cp_watched_set_acquire(s->set)
                   : NULL;
}

void cp_vap_release(struct cp_vap_set *s, struct cp_vap_snapshot *snap) {
  if (snap != NULL)
    cp_watched_set_release(s->set, &snap->ws);
}

/* ------------------------------------------------------------ loading */

static int build(void *arg, json_object **const *objs, const size_t *n,
                 size_t prev, struct cp_watched_snapshot **out) {
  struct cp_vap_snapshot *snap =
      cp_vap_snapshot_build(objs[0], n[0], objs[1], n[1]);

  (void)arg;
  if (snap == NULL)
    return -1;
  if (snap->n_active != prev)
    cp_log_info("apiserver", "%zu validating admission policy binding(s) "
                "in effect (%zu policies)",
                snap->n_active, snap->n_policies);
  *out = &snap->ws;
  return 0;
}

static void snapshot_free(struct cp_watched_snapshot *ws) {
  cp_vap_snapshot_free((struct cp_vap_snapshot *)ws);
}

static const struct cp_watched_set_def def = {
    .thread = "api-vap",
    .what = "validating admission policies",
    .prefixes = prefixes,
    .watch = 1,
    .build = build,
    .free = snapshot_free,
};

struct cp_vap_set *cp_vap_set_start(struct cp_api_ctx *ctx) {
  struct cp_vap_set *s = calloc(1, sizeof *s);

  if (s == NULL)
    return NULL;
  if ((s->set = cp_watched_set_start(ctx, &def, s, 0)) == NULL) {
    free(s);
    return NULL;
  }
  return s;
}

void cp_vap_set_stop(struct cp_vap_set *s) {
  if (s == NULL)
    return;
  cp_watched_set_stop(s->set);
  free(s);
}
