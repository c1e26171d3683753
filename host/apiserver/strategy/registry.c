/*
 * registry - cp_strategy_for: the built-in kinds' strategies by group
 * and resource. A new kind adds its strategy's name to `all` below.
 */
#include "apiserver/strategy/strategy.h"

#include <string.h>

/* The default for a built-in kind with no strategy of its own yet:
 * kube's generic registry behaviour. */
static const struct cp_strategy generic = {.group = "", .resource = ""};

/* Custom resources (custom.c). */
extern const struct cp_strategy cp_strategy_custom;

/* The built-in kinds, one file each. */
extern const struct cp_strategy cp_strategy_namespaces;
extern const struct cp_strategy cp_strategy_nodes;
extern const struct cp_strategy cp_strategy_pods;
extern const struct cp_strategy cp_strategy_configmaps;
extern const struct cp_strategy cp_strategy_secrets;
extern const struct cp_strategy cp_strategy_events;
extern const struct cp_strategy cp_strategy_deployments;
extern const struct cp_strategy cp_strategy_replicasets;
extern const struct cp_strategy cp_strategy_leases;
extern const struct cp_strategy cp_strategy_customresourcedefinitions;

static const struct cp_strategy *const all[] = {
    &cp_strategy_namespaces,
    &cp_strategy_nodes,
    &cp_strategy_pods,
    &cp_strategy_configmaps,
    &cp_strategy_secrets,
    &cp_strategy_events,
    &cp_strategy_deployments,
    &cp_strategy_replicasets,
    &cp_strategy_leases,
    &cp_strategy_customresourcedefinitions,
    NULL /* keep last */
};

const struct cp_strategy *cp_strategy_for(const struct cp_resource_type *t) {
  size_t i;

  if (t == NULL)
    return &generic;
  if (!t->builtin)
    return &cp_strategy_custom;
  for (i = 0; all[i] != NULL; i++)
    if (strcmp(all[i]->group, t->group) == 0 &&
        strcmp(all[i]->resource, t->resource) == 0)
      return all[i];
  return &generic;
}

static int in_list(const char *const *list, const char *s) {
  size_t i;

  for (i = 0; list != NULL && list[i] != NULL; i++)
    if (strcmp(list[i], s) == 0)
      return 1;
  return 0;
}

int cp_strategy_field_label_ok(const struct cp_resource_type *t,
                               const char *path) {
  if (strcmp(path, "metadata.name") == 0 ||
      strcmp(path, "metadata.namespace") == 0)
    return 1;
  return in_list(cp_strategy_for(t)->field_labels, path);
}

int cp_strategy_in_category(const struct cp_resource_type *t,
                            const char *c) {
  return in_list(cp_strategy_for(t)->categories, c);
}
