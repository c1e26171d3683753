/*
 * identity_rbac - the API objects behind a plugin's own identity
 * (identity.h), made by the host with its admin client at plugin load:
 * the ServiceAccount kube-system/<plugin> (for visibility: kubectl get sa
 * -n kube-system shows who acts), and, unless the bootstrap policy has a
 * role system:controller:<plugin> (rbac/policy.c, bound there to the same
 * ServiceAccount), a ClusterRole cplane:plugin:<plugin> derived from the
 * descriptor (get/list/watch on what it watches; every write verb, with
 * get/list/watch, on what its writes[] declares; events) and a
 * ClusterRoleBinding of it to the plugin's user. Existing objects are
 * brought up to date (merge patch), so a new descriptor's role follows.
 *
 * Threading: main thread (blocking requests). Ownership: the JSON
 * returned by cp_identity_rbac_role() is malloc'd.
 */
#ifndef CPLANE_HOST_PLUGIN_IDENTITY_RBAC_H
#define CPLANE_HOST_PLUGIN_IDENTITY_RBAC_H

struct cp_client;
struct cplane_plugin;
struct cplane_plugin_ctx;

/* The ClusterRole cplane:plugin:<name> for p, as JSON (malloc'd), or NULL
 * when out of memory. */
char *cp_identity_rbac_role(const struct cplane_plugin_ctx *p);
/* The same for plugin `plugin` whose descriptor says desc (its resources
 * and writes[] only): an isolated plugin's, as its child described it
 * (isolated_describe.h). */
char *cp_identity_rbac_role_of(const char *plugin,
                               const struct cplane_plugin *desc);

/* Makes or updates p's ServiceAccount, and its role and binding when it
 * has no bootstrap role. Failures are logged (WARN); returns how many
 * objects could not be made. */
int cp_identity_rbac_ensure(struct cp_client *admin,
                            const struct cplane_plugin_ctx *p);
/* The same by name and descriptor; desc NULL: the ServiceAccount only
 * (the role is left as it is). informers: the plugin's own informers
 * list and watch as it (an isolated plugin's child): with a bootstrap
 * role, which is written for informers that list as the host, it also
 * gets ClusterRole cplane:plugin:<plugin>:reads (get, list, watch on
 * what it watches) and a binding. */
int cp_identity_rbac_ensure_of(struct cp_client *admin, const char *plugin,
                               const struct cplane_plugin *desc,
                               int informers);
/* That ClusterRole, as JSON (malloc'd), or NULL when out of memory. */
char *cp_identity_rbac_reads_role_of(const char *plugin,
                                     const struct cplane_plugin *desc);

#endif /* CPLANE_HOST_PLUGIN_IDENTITY_RBAC_H */
