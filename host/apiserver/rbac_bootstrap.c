/*
 * rbac_bootstrap - see rbac_bootstrap.h.
 */
#include "apiserver/rbac_bootstrap.h"

#include <stdlib.h>
#include <string.h>

#include "apiserver/resources.h"
#include "log/log.h"

#define RBAC "rbac.authorization.k8s.io"
/* kube marks what its bootstrap owns. */
#define META_START(name, extra_labels)                                       \
  "\"metadata\":{\"name\":\"" name "\",\"labels\":{"                         \
  "\"kubernetes.io/bootstrapping\":\"rbac-defaults\"" extra_labels "},"      \
  "\"annotations\":{\"rbac.authorization.kubernetes.io/autoupdate\":"        \
  "\"true\"}}"
#define AGGREGATE(role)                                                      \
  "\"aggregationRule\":{\"clusterRoleSelectors\":[{\"matchLabels\":{"        \
  "\"" RBAC "/aggregate-to-" role "\":\"true\"}}]}"

struct seed {
  const char *resource, *name, *body;
};

static const struct seed seeds[] = {
    {"clusterroles", "cluster-admin",
     "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"ClusterRole\"," META_START(
         "cluster-admin", "") ",\"rules\":[{\"apiGroups\":[\"*\"],"
                              "\"resources\":[\"*\"],\"verbs\":[\"*\"]},{"
                              "\"nonResourceURLs\":[\"*\"],\"verbs\":[\"*\"]"
                              "}]}"},
    {"clusterroles", "admin",
     "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"ClusterRole\"," META_START(
         "admin", "") "," AGGREGATE("admin") "}"},
    {"clusterroles", "edit",
     "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"ClusterRole\"," META_START(
         "edit", ",\"" RBAC "/aggregate-to-admin\":\"true\"") "," AGGREGATE(
         "edit") "}"},
    {"clusterroles", "view",
     "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"ClusterRole\"," META_START(
         "view", ",\"" RBAC "/aggregate-to-edit\":\"true\"") "," AGGREGATE(
         "view") "}"},
    {"clusterrolebindings", "cluster-admin",
     "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"ClusterRoleBinding\"," META_START(
         "cluster-admin", "") ",\"roleRef\":{\"apiGroup\":\"" RBAC "\","
                              "\"kind\":\"ClusterRole\",\"name\":"
                              "\"cluster-admin\"},\"subjects\":[{\"apiGroup\""
                              ":\"" RBAC "\",\"kind\":\"Group\",\"name\":"
                              "\"system:masters\"}]}"},
};

/* Creates one seed; 409 (it exists, maybe changed by an admin) is fine. */
static void create(struct cp_api_ctx *ctx, const struct seed *sd) {
  const struct cp_resource_type *t =
      cp_resources_find(ctx->resources, RBAC, "v1", sd->resource);
  struct cp_api_request rq = {0};
  struct cp_api_response rs = {0};

  if (t == NULL)
    return;
  rq.method = CP_API_POST;
  rq.type = t;
  rq.body = strdup(sd->body);
  rq.path = malloc(strlen(sd->resource) + 40);
  if (rq.body == NULL || rq.path == NULL)
    goto out;
  strcpy(rq.path, "/apis/" RBAC "/v1/");
  strcat(rq.path, sd->resource);
  rq.body_len = strlen(rq.body);
  cp_api_handle(ctx, &rq, &rs);
  if (rs.code != 201 && rs.code != 409)
    cp_log_warn("apiserver", "cannot create %s %s: %.*s", sd->resource,
                sd->name, (int)rs.len, rs.body ? rs.body : "");
out:
  free(rs.body);
  cp_api_request_clear(&rq);
}

void cp_rbac_bootstrap(struct cp_api_ctx *ctx) {
  size_t i;

  for (i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
    create(ctx, &seeds[i]);
}
