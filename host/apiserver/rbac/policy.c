/*
 * policy - see policy.h. Verb lists and rules as kube writes them, for
 * the resources cplane serves.
 */
#include "apiserver/rbac/policy.h"

#define RBAC "rbac.authorization.k8s.io"
#define Q(s) "\"" s "\""
#define READ Q("get") "," Q("list") "," Q("watch")
#define WRITE                                                                \
  Q("create") "," Q("update") "," Q("patch") "," Q("delete") ","             \
      Q("deletecollection")
#define RW READ "," WRITE
#define EVENTS_W Q("create") "," Q("update") "," Q("patch")
#define RULE(groups, resources, verbs)                                       \
  "{\"apiGroups\":[" groups "],\"resources\":[" resources "],\"verbs\":["    \
  verbs "]}"
#define RULE_NAMED(groups, resources, names, verbs)                          \
  "{\"apiGroups\":[" groups "],\"resources\":[" resources "],"              \
  "\"resourceNames\":[" names "],\"verbs\":[" verbs "]}"
#define URLS(urls, verbs)                                                    \
  "{\"nonResourceURLs\":[" urls "],\"verbs\":[" verbs "]}"
#define META(name, labels)                                                   \
  "\"metadata\":{\"name\":\"" name "\",\"labels\":{"                         \
  "\"kubernetes.io/bootstrapping\":\"rbac-defaults\"" labels "},"            \
  "\"annotations\":{\"rbac.authorization.kubernetes.io/autoupdate\":"        \
  "\"true\"}}"
#define AGG_LABEL(role) ",\"" RBAC "/aggregate-to-" role "\":\"true\""
#define ROLE(name, labels, rules)                                            \
  {"clusterroles", name,                                                     \
   "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"ClusterRole\"," META(         \
       name, labels) ",\"rules\":[" rules "]}"}
#define AGG_ROLE(name, labels, role)                                         \
  {"clusterroles", name,                                                     \
   "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"ClusterRole\"," META(         \
       name, labels) ",\"aggregationRule\":{\"clusterRoleSelectors\":[{"     \
                     "\"matchLabels\":{\"" RBAC "/aggregate-to-" role        \
                     "\":\"true\"}}]},\"rules\":[]}"}
#define SUBJECT(kind, name)                                                  \
  "{\"apiGroup\":\"" RBAC "\",\"kind\":\"" kind "\",\"name\":\"" name "\"}"
#define BINDING(name, role, subjects)                                        \
  {"clusterrolebindings", name,                                              \
   "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"ClusterRoleBinding\"," META(  \
       name, "") ",\"roleRef\":{\"apiGroup\":\"" RBAC "\",\"kind\":"         \
                 "\"ClusterRole\",\"name\":\"" role "\"},\"subjects\":["     \
       subjects "]}"}
/* What every controller does: record events. */
#define EVENT_RULES                                                          \
  RULE(Q("") "," Q("events.k8s.io"), Q("events"), EVENTS_W)
#define CONTROLLER(plugin, rules)                                            \
  ROLE("system:controller:" plugin, "", rules "," EVENT_RULES)
/* Status and the like: cplane's plugins patch where kube's controllers
 * update (api->patch_subresource), so their roles allow both. */
#define UPDATE_PATCH Q("update") "," Q("patch")
/* Each plugin's role bound to its own ServiceAccount, the user the host
 * gives it (host/plugin/identity.h), as kube binds system:controller:X
 * to kube-system/X-controller. */
#define CONTROLLER_BINDING(plugin)                                           \
  BINDING("system:controller:" plugin, "system:controller:" plugin,          \
          "{\"kind\":\"ServiceAccount\",\"name\":\"" plugin "\","      \
          "\"namespace\":\"kube-system\"}")

static const struct cp_rbac_policy_object objects[] = {
    ROLE("cluster-admin", "",
         RULE(Q("*"), Q("*"), Q("*")) "," URLS(Q("*"), Q("*"))),
    AGG_ROLE("admin", "", "admin"),
    AGG_ROLE("edit", AGG_LABEL("admin"), "edit"),
    AGG_ROLE("view", AGG_LABEL("edit"), "view"),
    ROLE("system:aggregate-to-admin", AGG_LABEL("admin"),
         RULE(Q("authorization.k8s.io"), Q("localsubjectaccessreviews"),
              Q("create")) ","
         RULE(Q(RBAC), Q("rolebindings") "," Q("roles"), RW)),
    ROLE("system:aggregate-to-edit", AGG_LABEL("edit"),
         RULE(Q(""),
              Q("pods/attach") "," Q("pods/exec") "," Q("pods/portforward")
              "," Q("pods/proxy") "," Q("secrets") "," Q("services/proxy"),
              READ) ","
         RULE(Q(""), Q("serviceaccounts"), Q("impersonate")) ","
         RULE(Q(""),
              Q("pods") "," Q("pods/attach") "," Q("pods/exec") ","
              Q("pods/portforward") "," Q("pods/proxy"),
              WRITE) ","
         RULE(Q(""), Q("pods/eviction"), Q("create")) ","
         RULE(Q(""),
              Q("configmaps") "," Q("events") "," Q("persistentvolumeclaims")
              "," Q("replicationcontrollers") ","
              Q("replicationcontrollers/scale") "," Q("secrets") ","
              Q("serviceaccounts") "," Q("services") "," Q("services/proxy"),
              WRITE) ","
         RULE(Q(""), Q("serviceaccounts/token"), Q("create")) ","
         RULE(Q("apps"),
              Q("daemonsets") "," Q("deployments") ","
              Q("deployments/rollback") "," Q("deployments/scale") ","
              Q("replicasets") "," Q("replicasets/scale") ","
              Q("statefulsets") "," Q("statefulsets/scale"),
              WRITE) ","
         RULE(Q("autoscaling"), Q("horizontalpodautoscalers"), WRITE) ","
         RULE(Q("batch"), Q("cronjobs") "," Q("jobs"), WRITE) ","
         RULE(Q("policy"), Q("poddisruptionbudgets"), WRITE) ","
         RULE(Q("networking.k8s.io"),
              Q("ingresses") "," Q("networkpolicies"), WRITE) ","
         RULE(Q("coordination.k8s.io"), Q("leases"), RW)),
    ROLE("system:aggregate-to-view", AGG_LABEL("view"),
         RULE(Q(""),
              Q("configmaps") "," Q("endpoints") ","
              Q("persistentvolumeclaims") ","
              Q("persistentvolumeclaims/status") "," Q("pods") ","
              Q("replicationcontrollers") ","
              Q("replicationcontrollers/scale") "," Q("serviceaccounts") ","
              Q("services") "," Q("services/status"),
              READ) ","
         RULE(Q(""),
              Q("bindings") "," Q("events") "," Q("limitranges") ","
              Q("namespaces/status") "," Q("pods/log") "," Q("pods/status")
              "," Q("replicationcontrollers/status") ","
              Q("resourcequotas") "," Q("resourcequotas/status"),
              READ) ","
         RULE(Q(""), Q("namespaces"), READ) ","
         RULE(Q("discovery.k8s.io"), Q("endpointslices"), READ) ","
         RULE(Q("apps"),
              Q("controllerrevisions") "," Q("daemonsets") ","
              Q("daemonsets/status") "," Q("deployments") ","
              Q("deployments/scale") "," Q("deployments/status") ","
              Q("replicasets") "," Q("replicasets/scale") ","
              Q("replicasets/status") "," Q("statefulsets") ","
              Q("statefulsets/scale") "," Q("statefulsets/status"),
              READ) ","
         RULE(Q("autoscaling"),
              Q("horizontalpodautoscalers") ","
              Q("horizontalpodautoscalers/status"),
              READ) ","
         RULE(Q("batch"),
              Q("cronjobs") "," Q("cronjobs/status") "," Q("jobs") ","
              Q("jobs/status"),
              READ) ","
         RULE(Q("policy"),
              Q("poddisruptionbudgets") "," Q("poddisruptionbudgets/status"),
              READ) ","
         RULE(Q("networking.k8s.io"),
              Q("ingresses") "," Q("ingresses/status") ","
              Q("networkpolicies"),
              READ) ","
         RULE(Q("metrics.k8s.io"), Q("pods") "," Q("nodes"), READ)),
    ROLE("system:discovery", "",
         URLS(Q("/api") "," Q("/api/*") "," Q("/apis") "," Q("/apis/*") ","
              Q("/healthz") "," Q("/livez") "," Q("/openapi") ","
              Q("/openapi/*") "," Q("/readyz") "," Q("/version") ","
              Q("/version/"),
              Q("get"))),
    ROLE("system:basic-user", "",
         RULE(Q("authorization.k8s.io"),
              Q("selfsubjectaccessreviews") "," Q("selfsubjectrulesreviews"),
              Q("create")) ","
         RULE(Q("authentication.k8s.io"), Q("selfsubjectreviews"),
              Q("create"))),
    ROLE("system:public-info-viewer", "",
         URLS(Q("/healthz") "," Q("/livez") "," Q("/readyz") ","
              Q("/version") "," Q("/version/"),
              Q("get"))),
    ROLE("system:service-account-issuer-discovery", "",
         URLS(Q("/.well-known/openid-configuration") ","
              Q("/.well-known/openid-configuration/") ","
              Q("/openid/v1/jwks") "," Q("/openid/v1/jwks/"),
              Q("get"))),
    /* cplane's plugins, as kube's controller roles
     * (controller_policy.go). */
    CONTROLLER("cronjob",
               RULE(Q("batch"), Q("cronjobs"), Q("get") "," Q("list") ","
                    Q("watch") "," Q("update")) ","
               RULE(Q("batch"), Q("jobs"), RW) ","
               RULE(Q("batch"),
                    Q("cronjobs/status") "," Q("cronjobs/finalizers"),
                    UPDATE_PATCH) ","
               RULE(Q(""), Q("pods"), Q("list") "," Q("delete"))),
    CONTROLLER("daemonset",
               RULE(Q("apps"), Q("daemonsets"), READ) ","
               RULE(Q("apps"),
                    Q("daemonsets/status") "," Q("daemonsets/finalizers"),
                    UPDATE_PATCH) ","
               RULE(Q(""), Q("nodes"), Q("list") "," Q("watch")) ","
               RULE(Q(""), Q("pods"), Q("list") "," Q("watch") "," Q("create")
                    "," Q("delete") "," Q("patch")) ","
               RULE(Q(""), Q("pods/binding"), Q("create")) ","
               RULE(Q("apps"), Q("controllerrevisions"), RW)),
    CONTROLLER("deployment",
               RULE(Q("apps"), Q("deployments"), READ "," UPDATE_PATCH) ","
               RULE(Q("apps"),
                    Q("deployments/status") "," Q("deployments/finalizers"),
                    UPDATE_PATCH) ","
               RULE(Q("apps"), Q("replicasets"), RW) ","
               RULE(Q(""), Q("pods"), Q("get") "," Q("list") "," Q("watch")
                    "," Q("update"))),
    CONTROLLER("disruption",
               RULE(Q("apps"),
                    Q("deployments") "," Q("replicasets") ","
                    Q("statefulsets"),
                    READ) ","
               RULE(Q(""), Q("replicationcontrollers") "," Q("pods"),
                    READ) ","
               RULE(Q("policy"), Q("poddisruptionbudgets"), READ) ","
               RULE(Q("policy"), Q("poddisruptionbudgets/status"),
                    UPDATE_PATCH) ","
               RULE(Q(""), Q("pods/status"), Q("patch")) ","
               RULE(Q("*"), Q("*/scale"), Q("get"))),
    CONTROLLER("endpoints",
               RULE(Q(""), Q("services") "," Q("pods"), READ) ","
               RULE(Q(""), Q("endpoints"), Q("get") "," Q("list") ","
                    Q("watch") "," Q("create") "," Q("update") ","
                    Q("delete")) ","
               RULE(Q(""), Q("endpoints/restricted"), Q("create"))),
    CONTROLLER("endpointslice",
               RULE(Q(""), Q("services") "," Q("pods") "," Q("nodes"),
                    READ) ","
               RULE(Q(""), Q("services/finalizers"), Q("update")) ","
               RULE(Q("discovery.k8s.io"), Q("endpointslices"),
                    Q("get") "," Q("list") "," Q("watch") "," Q("create") ","
                    Q("update") "," Q("delete"))),
    CONTROLLER("garbagecollector",
               RULE(Q("*"), Q("*"), READ "," Q("patch") "," Q("update") ","
                    Q("delete"))),
    CONTROLLER("horizontalpodautoscaler",
               RULE(Q("autoscaling"), Q("horizontalpodautoscalers"),
                    READ) ","
               RULE(Q("autoscaling"), Q("horizontalpodautoscalers/status"),
                    UPDATE_PATCH) ","
               RULE(Q("*"), Q("*/scale"), Q("get") "," UPDATE_PATCH) ","
               RULE(Q(""), Q("pods"), Q("list")) ","
               RULE(Q("metrics.k8s.io"), Q("pods"), Q("list"))),
    CONTROLLER("job",
               RULE(Q("batch"), Q("jobs"), READ "," Q("update") ","
                    Q("patch")) ","
               RULE(Q("batch"), Q("jobs/status") "," Q("jobs/finalizers"),
                    UPDATE_PATCH) ","
               RULE(Q(""), Q("pods"), Q("list") "," Q("watch") "," Q("create")
                    "," Q("delete") "," Q("patch"))),
    CONTROLLER("namespace",
               RULE(Q(""), Q("namespaces"), Q("get") "," Q("list") ","
                    Q("watch") "," Q("delete")) ","
               RULE(Q(""), Q("namespaces/finalize") "," Q("namespaces/status"),
                    Q("update")) ","
               RULE(Q("*"), Q("*"), Q("get") "," Q("list") "," Q("delete")
                    "," Q("deletecollection"))),
    CONTROLLER("nodelifecycle",
               RULE(Q(""), Q("nodes"), Q("get") "," Q("list") "," Q("watch")
                    "," Q("delete") "," UPDATE_PATCH) ","
               RULE(Q(""), Q("nodes/status"), Q("patch") "," Q("update")) ","
               RULE(Q(""), Q("pods"), Q("list") "," Q("watch") ","
                    Q("delete")) ","
               RULE(Q(""), Q("pods/status"), Q("patch") "," Q("update")) ","
               RULE(Q("coordination.k8s.io"), Q("leases"), READ)),
    CONTROLLER("nodesim",
               RULE(Q(""), Q("nodes") "," Q("nodes/status"), RW) ","
               RULE(Q(""), Q("pods"), READ "," Q("delete")) ","
               RULE(Q(""), Q("pods/status"), Q("patch") "," Q("update")) ","
               RULE(Q("coordination.k8s.io"), Q("leases"), RW) ","
               RULE(Q("metrics.k8s.io"), Q("nodes") "," Q("pods"), RW) ","
               /* what a kubelet reads to mount a pod's volumes */
               RULE(Q(""),
                    Q("configmaps") "," Q("secrets") ","
                    Q("persistentvolumeclaims"),
                    READ)),
    CONTROLLER("persistentvolume",
               RULE(Q(""), Q("persistentvolumes"), Q("get") "," Q("list")
                    "," Q("watch") "," Q("create") "," UPDATE_PATCH ","
                    Q("delete")) ","
               RULE(Q(""),
                    Q("persistentvolumes/status") ","
                    Q("persistentvolumeclaims/status"),
                    UPDATE_PATCH) ","
               RULE(Q(""), Q("persistentvolumeclaims"), READ "," UPDATE_PATCH)
               "," RULE(Q(""), Q("pods"), READ) ","
               /* cplane's default StorageClass is the plugin's */
               RULE(Q("storage.k8s.io"), Q("storageclasses"),
                    READ "," Q("create"))),
    CONTROLLER("podgc",
               RULE(Q(""), Q("pods"), Q("list") "," Q("watch") ","
                    Q("delete")) ","
               RULE(Q(""), Q("pods/status"), Q("patch")) ","
               RULE(Q(""), Q("nodes"), READ)),
    CONTROLLER("replicaset",
               RULE(Q("apps"), Q("replicasets"), READ "," Q("update")) ","
               RULE(Q("apps"),
                    Q("replicasets/status") "," Q("replicasets/finalizers"),
                    Q("update")) ","
               RULE(Q(""), Q("pods"), Q("list") "," Q("watch") "," Q("patch")
                    "," Q("create") "," Q("delete"))),
    CONTROLLER("replicationcontroller",
               RULE(Q(""), Q("replicationcontrollers"), READ "," Q("update"))
               "," RULE(Q(""),
                        Q("replicationcontrollers/status") ","
                        Q("replicationcontrollers/finalizers"),
                        UPDATE_PATCH) ","
               RULE(Q(""), Q("pods"), Q("list") "," Q("watch") "," Q("patch")
                    "," Q("create") "," Q("delete"))),
    CONTROLLER("resourcequota",
               RULE(Q("*"), Q("*"), READ) ","
               RULE(Q(""), Q("resourcequotas/status"), UPDATE_PATCH)),
    CONTROLLER("rootcacertpublisher",
               RULE(Q(""), Q("configmaps"), Q("create") "," Q("get") ","
                    Q("list") "," Q("watch") "," UPDATE_PATCH) ","
               RULE(Q(""), Q("namespaces"), READ)),
    CONTROLLER("scheduler",
               RULE(Q(""), Q("pods"), READ "," Q("delete")) ","
               RULE(Q(""), Q("bindings") "," Q("pods/binding"),
                    Q("create")) ","
               RULE(Q(""), Q("pods/status"), Q("patch") "," Q("update")) ","
               RULE(Q(""),
                    Q("nodes") "," Q("namespaces") ","
                    Q("persistentvolumeclaims") "," Q("persistentvolumes") ","
                    Q("replicationcontrollers") "," Q("services"),
                    READ) ","
               RULE(Q("apps"), Q("replicasets") "," Q("statefulsets"),
                    READ) ","
               RULE(Q("policy"), Q("poddisruptionbudgets"), READ) ","
               RULE(Q("storage.k8s.io"),
                    Q("csidrivers") "," Q("csinodes") "," Q("storageclasses"),
                    READ) ","
               RULE(Q("scheduling.k8s.io"), Q("priorityclasses"), READ)),
    CONTROLLER("serviceaccount",
               RULE(Q(""), Q("serviceaccounts"), Q("create")) ","
               RULE(Q(""), Q("namespaces"), READ)),
    CONTROLLER("statefulset",
               RULE(Q("apps"), Q("statefulsets"), Q("list") "," Q("watch"))
               "," RULE(Q("apps"),
                        Q("statefulsets/status") ","
                        Q("statefulsets/finalizers"),
                        UPDATE_PATCH) ","
               RULE(Q(""), Q("pods"), Q("get") "," Q("create") ","
                    Q("delete") "," Q("update") "," Q("patch") "," Q("list")
                    "," Q("watch")) ","
               RULE(Q("apps"), Q("controllerrevisions"), Q("get") ","
                    Q("create") "," Q("delete") "," Q("update") ","
                    Q("patch") "," Q("list") "," Q("watch")) ","
               RULE(Q(""), Q("persistentvolumeclaims"), Q("get") ","
                    Q("create") "," Q("update") "," Q("patch") ","
                    Q("delete") "," Q("list") "," Q("watch"))),
    CONTROLLER("ttlafterfinished",
               RULE(Q("batch"), Q("jobs"), READ "," Q("delete"))),
    /* kube's certificate-controller, the part its approver uses. */
    CONTROLLER("csrapproving",
               RULE(Q("certificates.k8s.io"), Q("certificatesigningrequests"),
                    READ) ","
               RULE(Q("certificates.k8s.io"),
                    Q("certificatesigningrequests/approval"), Q("update")) ","
               RULE_NAMED(Q("certificates.k8s.io"), Q("signers"),
                          Q("kubernetes.io/kube-apiserver-client-kubelet"),
                          Q("approve")) ","
               RULE(Q("authorization.k8s.io"), Q("subjectaccessreviews"),
                    Q("create"))),
    /* What csrapproving asks of a kubelet client request's requester
     * (kube binds neither; kubeadm binds them to its bootstrappers and
     * system:nodes). */
    ROLE("system:certificates.k8s.io:certificatesigningrequests:nodeclient",
         "",
         RULE(Q("certificates.k8s.io"),
              Q("certificatesigningrequests/nodeclient"), Q("create"))),
    ROLE("system:certificates.k8s.io:certificatesigningrequests:"
         "selfnodeclient",
         "",
         RULE(Q("certificates.k8s.io"),
              Q("certificatesigningrequests/selfnodeclient"), Q("create"))),
    CONTROLLER_BINDING("cronjob"),
    CONTROLLER_BINDING("csrapproving"),
    CONTROLLER_BINDING("daemonset"),
    CONTROLLER_BINDING("deployment"),
    CONTROLLER_BINDING("disruption"),
    CONTROLLER_BINDING("endpoints"),
    CONTROLLER_BINDING("endpointslice"),
    CONTROLLER_BINDING("garbagecollector"),
    CONTROLLER_BINDING("horizontalpodautoscaler"),
    CONTROLLER_BINDING("job"),
    CONTROLLER_BINDING("namespace"),
    CONTROLLER_BINDING("nodelifecycle"),
    CONTROLLER_BINDING("nodesim"),
    CONTROLLER_BINDING("persistentvolume"),
    CONTROLLER_BINDING("podgc"),
    CONTROLLER_BINDING("replicaset"),
    CONTROLLER_BINDING("replicationcontroller"),
    CONTROLLER_BINDING("resourcequota"),
    CONTROLLER_BINDING("rootcacertpublisher"),
    CONTROLLER_BINDING("scheduler"),
    CONTROLLER_BINDING("serviceaccount"),
    CONTROLLER_BINDING("statefulset"),
    CONTROLLER_BINDING("ttlafterfinished"),
    BINDING("cluster-admin", "cluster-admin",
            SUBJECT("Group", "system:masters")),
    BINDING("system:discovery", "system:discovery",
            SUBJECT("Group", "system:authenticated")),
    BINDING("system:basic-user", "system:basic-user",
            SUBJECT("Group", "system:authenticated")),
    BINDING("system:public-info-viewer", "system:public-info-viewer",
            SUBJECT("Group", "system:authenticated") ","
            SUBJECT("Group", "system:unauthenticated")),
    BINDING("system:service-account-issuer-discovery",
            "system:service-account-issuer-discovery",
            SUBJECT("Group", "system:serviceaccounts")),
};

const struct cp_rbac_policy_object *cp_rbac_policy(size_t *n) {
  *n = sizeof objects / sizeof objects[0];
  return objects;
}
