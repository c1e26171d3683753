/*
 * match - whether a policy's matchConstraints or a binding's
 * matchResources take a request, as kube's policy matcher
 * (admission/plugin/policy/matching): namespaceSelector and
 * objectSelector (as webhooks', webhook/match.h), excludeResourceRules
 * (any match excludes), then resourceRules (none: everything) with their
 * resourceNames (an empty list matches every name). matchPolicy
 * Equivalent matches exactly only: cplane converts no built-in versions
 * for policies.
 *
 * Threading: pure functions. Ownership: everything is borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_VAP_MATCH_H
#define CPLANE_HOST_APISERVER_VAP_MATCH_H

#include "apiserver/webhook/match.h"

struct json_object;

/* Whether MatchResources mr needs the request's namespace labels. */
int cp_vap_needs_ns_labels(struct json_object *mr,
                           const struct cp_webhook_attrs *a);
/* 1 when MatchResources mr (NULL: nothing) takes a, ns_labels being the
 * namespace's labels when cp_vap_needs_ns_labels asked for them. */
int cp_vap_matches(struct json_object *mr, const struct cp_webhook_attrs *a,
                   struct json_object *ns_labels);

#endif /* CPLANE_HOST_APISERVER_VAP_MATCH_H */
