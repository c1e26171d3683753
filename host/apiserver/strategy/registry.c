/*
 * registry - cp_strategy_for: the built-in kinds' strategies by group
 * and resource. A new kind adds its strategy's name to `all` below.
 */
#include "apiserver/strategy/strategy.h"

#include <string.h>

#include "apiserver/strategy/core_kinds.h"
#include "apiserver/strategy/workloads.h"

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

/* The platform kinds (kplat). */
extern const struct cp_strategy cp_strategy_ingresses;
extern const struct cp_strategy cp_strategy_ingressclasses;
extern const struct cp_strategy cp_strategy_networkpolicies;
extern const struct cp_strategy cp_strategy_roles;
extern const struct cp_strategy cp_strategy_clusterroles;
extern const struct cp_strategy cp_strategy_rolebindings;
extern const struct cp_strategy cp_strategy_clusterrolebindings;
extern const struct cp_strategy cp_strategy_storageclasses;
extern const struct cp_strategy cp_strategy_csidrivers;
extern const struct cp_strategy cp_strategy_csinodes;
extern const struct cp_strategy cp_strategy_volumeattachments;
extern const struct cp_strategy cp_strategy_validatingwebhookconfigurations;
extern const struct cp_strategy cp_strategy_validatingadmissionpolicies;
extern const struct cp_strategy cp_strategy_validatingadmissionpolicybindings;
extern const struct cp_strategy cp_strategy_mutatingwebhookconfigurations;
extern const struct cp_strategy cp_strategy_apiservices;
extern const struct cp_strategy cp_strategy_certificatesigningrequests;

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
    &cp_strategy_daemonsets,
    &cp_strategy_statefulsets,
    &cp_strategy_controllerrevisions,
    &cp_strategy_jobs,
    &cp_strategy_cronjobs,
    &cp_strategy_poddisruptionbudgets,
    &cp_strategy_horizontalpodautoscalers,
    &cp_strategy_priorityclasses,
    &cp_strategy_runtimeclasses,
    &cp_strategy_ingresses,
    &cp_strategy_ingressclasses,
    &cp_strategy_networkpolicies,
    &cp_strategy_roles,
    &cp_strategy_clusterroles,
    &cp_strategy_rolebindings,
    &cp_strategy_clusterrolebindings,
    &cp_strategy_storageclasses,
    &cp_strategy_csidrivers,
    &cp_strategy_csinodes,
    &cp_strategy_volumeattachments,
    &cp_strategy_validatingwebhookconfigurations,
    &cp_strategy_validatingadmissionpolicies,
    &cp_strategy_validatingadmissionpolicybindings,
    &cp_strategy_mutatingwebhookconfigurations,
    &cp_strategy_apiservices,
    &cp_strategy_certificatesigningrequests,
    /* core kinds (kcore) */
    &cp_strategy_services,
    &cp_strategy_endpoints,
    &cp_strategy_serviceaccounts,
    &cp_strategy_persistentvolumes,
    &cp_strategy_persistentvolumeclaims,
    &cp_strategy_resourcequotas,
    &cp_strategy_limitranges,
    &cp_strategy_podtemplates,
    &cp_strategy_replicationcontrollers,
    &cp_strategy_endpointslices,
    &cp_strategy_events_v1,
    &cp_strategy_nodemetrics,
    &cp_strategy_podmetrics,
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

void cp_strategy_from_storage(const struct cp_resource_type *t,
                              struct json_object *obj) {
  const struct cp_strategy *st = cp_strategy_for(t);

  if (st->from_storage != NULL)
    st->from_storage(obj);
  if (st->convert != NULL)
    st->convert(obj, t->version);
}
