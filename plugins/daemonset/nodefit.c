/*
 * nodefit - a DaemonSet's pod placement on one node. See nodefit.h.
 */
#include "nodefit.h"

#include "tolerations.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TSPEC "spec.template.spec"
#define TERMS                                                                  \
  TSPEC                                                                        \
      ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"  \
      ".nodeSelectorTerms"

struct selector_walk {
  const struct cplane_host_api *api;
  const cplane_object *node;
  int ok;
};

static int selector_entry(void *ud, const char *key, const char *want) {
  struct selector_walk *w = ud;
  const char *have = w->api->object_label(w->node, key);

  if (want == NULL || have == NULL || strcmp(have, want) != 0) {
    w->ok = 0;
    return 1;
  }
  return 0;
}

static int node_selector_matches(const struct cplane_host_api *api,
                                 const cplane_object *ds,
                                 const cplane_object *node) {
  struct selector_walk w = {api, node, 1};

  if (api->object_type(ds, TSPEC ".nodeSelector") != CPLANE_TYPE_OBJECT)
    return 1;
  api->object_foreach(ds, TSPEC ".nodeSelector", selector_entry, &w);
  return w.ok;
}

/* The integer in s, as kube parses Gt and Lt values; 0 when it is not. */
static int parse_int(const char *s, long long *out) {
  char *end;

  if (s == NULL || *s == '\0')
    return 0;
  errno = 0;
  *out = strtoll(s, &end, 10);
  return errno == 0 && *end == '\0';
}

static int values_hold(const struct cplane_host_api *api,
                       const cplane_object *ds, const char *path,
                       const char *v) {
  char p[CPLANE_PATH_MAX];

  if (snprintf(p, sizeof p, "%s.values", path) >= (int)sizeof p)
    return 0;
  return v != NULL && cplane_string_array_contains(api, ds, p, v);
}

int ds_requirement_matches(const struct cplane_host_api *api,
                           const cplane_object *ds, const char *path, int field,
                           const cplane_object *node) {
  char p[CPLANE_PATH_MAX];
  const char *key, *op, *have;
  long long a, b;

  snprintf(p, sizeof p, "%s.key", path);
  key = api->object_string(ds, p);
  snprintf(p, sizeof p, "%s.operator", path);
  op = api->object_string(ds, p);
  if (key == NULL || op == NULL)
    return 0;
  if (field) {
    /* metadata.name is the only field kube selects nodes by. */
    if (strcmp(key, "metadata.name") != 0)
      return 0;
    have = api->object_name(node);
  } else {
    have = api->object_label(node, key);
  }
  if (strcmp(op, "In") == 0)
    return values_hold(api, ds, path, have);
  if (strcmp(op, "NotIn") == 0)
    return !values_hold(api, ds, path, have);
  if (field)
    return 0;
  if (strcmp(op, "Exists") == 0)
    return have != NULL;
  if (strcmp(op, "DoesNotExist") == 0)
    return have == NULL;
  snprintf(p, sizeof p, "%s.values[0]", path);
  if (!parse_int(have, &a) || !parse_int(api->object_string(ds, p), &b))
    return 0;
  if (strcmp(op, "Gt") == 0)
    return a > b;
  if (strcmp(op, "Lt") == 0)
    return a < b;
  return 0;
}

/* A term matches when all its requirements do; an empty term matches
 * nothing (kube's NodeSelectorTerm). */
static int term_matches(const struct cplane_host_api *api,
                        const cplane_object *ds, int t,
                        const cplane_object *node) {
  static const char *lists[2] = {"matchExpressions", "matchFields"};
  char list[CPLANE_PATH_MAX / 2], p[CPLANE_PATH_MAX];
  int l, i, n, total = 0;

  for (l = 0; l < 2; l++) {
    snprintf(list, sizeof list, "%s[%d].%s", TERMS, t, lists[l]);
    n = api->object_len(ds, list);
    for (i = 0; i < n; i++, total++) {
      cplane_element_path(p, sizeof p, list, i, NULL);
      if (!ds_requirement_matches(api, ds, p, l, node))
        return 0;
    }
  }
  return total > 0;
}

/* Required node affinity: any of the terms (none given: any node). */
static int affinity_matches(const struct cplane_host_api *api,
                            const cplane_object *ds,
                            const cplane_object *node) {
  int n, t;

  if (api->object_type(ds, TERMS) != CPLANE_TYPE_ARRAY)
    return 1;
  n = api->object_len(ds, TERMS);
  for (t = 0; t < n; t++)
    if (term_matches(api, ds, t, node))
      return 1;
  return 0;
}

void ds_node_fit(const struct cplane_host_api *api, const cplane_object *ds,
                 const cplane_object *node, struct ds_node *fit) {
  const char *want = api->object_string(ds, TSPEC ".nodeName");
  int n = api->object_len(node, "spec.taints"), i, fits = 1, evicted = 0;

  fit->should_run = fit->should_continue = 0;
  if (want != NULL && *want != '\0' &&
      strcmp(want, api->object_name(node)) != 0)
    return;
  if (!node_selector_matches(api, ds, node) || !affinity_matches(api, ds, node))
    return;
  for (i = 0; i < n; i++) {
    const char *effect =
        cplane_array_string(api, node, "spec.taints", i, "effect");

    if (effect == NULL ||
        (strcmp(effect, "NoSchedule") != 0 && strcmp(effect, "NoExecute") != 0))
      continue;
    if (ds_tolerates(
            api, ds, cplane_array_string(api, node, "spec.taints", i, "key"),
            cplane_array_string(api, node, "spec.taints", i, "value"), effect))
      continue;
    fits = 0;
    if (strcmp(effect, "NoExecute") == 0)
      evicted = 1;
  }
  fit->should_run = fits;
  fit->should_continue = !evicted;
}
