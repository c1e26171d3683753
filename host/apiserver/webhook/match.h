/*
 * match - whether a webhook wants a request, as kube's webhook predicates
 * (admission/plugin/webhook/predicates/rules, namespace and object):
 *
 *   - rules: operations (CREATE, UPDATE, DELETE, CONNECT, "*"),
 *     apiGroups, apiVersions ("*" or exact), resources ("pods",
 *     "pods/status", "pods" + "/" + "*" for every subresource, "*" for
 *     every main resource: a bare name matches the main resource only),
 *     scope ("*", Cluster, Namespaced; a Namespace
 *     object itself counts as cluster-scoped);
 *   - matchPolicy Equivalent: a request that no rule names exactly still
 *     matches when a rule names the same group and resource in another
 *     version this server serves (the webhook is then sent that version);
 *   - objectSelector: the new or the old object's labels match;
 *   - namespaceSelector: the labels of the request's namespace; a
 *     cluster-scoped object other than a Namespace is never excluded, and
 *     a Namespace being created or updated is judged by its own labels.
 *
 * Threading: pure functions. Ownership: everything is borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_WEBHOOK_MATCH_H
#define CPLANE_HOST_APISERVER_WEBHOOK_MATCH_H

#include "apiserver/webhook/hook.h"

struct json_object;

/* What admission knows of a request (kube's admission.Attributes). */
struct cp_webhook_attrs {
  const char *operation; /* "CREATE", "UPDATE", "DELETE", "CONNECT" */
  const char *group, *version, *resource, *subresource; /* sub "" none */
  const char *kind;      /* of the object ("Pod"; "Scale" for /scale) */
  const char *ns;        /* "" for cluster-scoped */
  const char *name;      /* "" when not known yet (generateName) */
  struct json_object *object, *old_object; /* NULL when none */
  /* The kind's group and version when not the resource's (a /scale
   * write's Scale is autoscaling/v1); NULL: group and version. */
  const char *kind_group, *kind_version;
};

/* 1 when one of h's rules matches group/version/resource/subresource,
 * the operation and the scope of a, else 0 (matchPolicy aside). */
int cp_webhook_rules_match(const struct cp_webhook *h,
                           const struct cp_webhook_attrs *a);
/* The same for one RuleWithOperations r (ValidatingAdmissionPolicy's
 * NamedRuleWithOperations add resourceNames to it: vap/match.c). */
int cp_webhook_rule_match(struct json_object *r,
                          const struct cp_webhook_attrs *a);
/* 1 when metav1.LabelSelector sel (NULL or {}: everything) selects the
 * label map labels (NULL: none). A malformed selector selects nothing,
 * as kube, which fails to parse it, calls no webhook then. */
int cp_webhook_selector_match(struct json_object *sel,
                              struct json_object *labels);
/* objectSelector: the new or the old object's labels match. */
int cp_webhook_object_match(const struct cp_webhook *h,
                            const struct cp_webhook_attrs *a);
/* Whether the namespaceSelector needs the namespace's labels for a: 0
 * when it selects everything, a is cluster-scoped (not a Namespace), or
 * a creates or updates a Namespace (its own labels are used). */
int cp_webhook_needs_ns_labels(const struct cp_webhook *h,
                               const struct cp_webhook_attrs *a);
/* namespaceSelector against ns_labels (the namespace's labels, as
 * cp_webhook_needs_ns_labels asked; ignored otherwise). */
int cp_webhook_ns_match(const struct cp_webhook *h,
                        const struct cp_webhook_attrs *a,
                        struct json_object *ns_labels);

#endif /* CPLANE_HOST_APISERVER_WEBHOOK_MATCH_H */
