/*
 * ini_rules - the INI's [authz.NAME] rules as RBAC objects, made again at
 * every start so that the INI stays what decides them: a ClusterRole
 * cplane:ini:NAME (verbs on the resources, in every API group, as the
 * rules always were) bound by a ClusterRoleBinding cplane:ini:NAME, or
 * by a RoleBinding cplane:ini:NAME in each of the rule's namespaces; and
 * for non_resource_urls a ClusterRole and ClusterRoleBinding
 * cplane:ini:NAME:nonresource. users/groups "*" become the group
 * system:authenticated. Every object carries the label
 * cplane.io/authz-ini: "true"; such objects no section names any more
 * are deleted. A namespace that does not exist yet gets its RoleBinding
 * at the next start (logged).
 *
 * Threading: called once at start, before the server answers anyone.
 */
#ifndef CPLANE_HOST_APISERVER_RBAC_INI_RULES_H
#define CPLANE_HOST_APISERVER_RBAC_INI_RULES_H

struct cp_api_ctx;
struct cp_auth;

void cp_rbac_ini_reconcile(struct cp_api_ctx *ctx, const struct cp_auth *a);

#endif /* CPLANE_HOST_APISERVER_RBAC_INI_RULES_H */
