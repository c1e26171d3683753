/*
 * webhooks - what admissionregistration.k8s.io/v1's two webhook
 * configurations share, as kube's pkg/apis/admissionregistration/
 * validation and pkg/registry/admissionregistration: the defaults the
 * schema cannot set (namespaceSelector and objectSelector {}), each
 * webhook's validation (a unique fully qualified name, url or service,
 * rules, failurePolicy, matchPolicy, sideEffects, timeoutSeconds,
 * admissionReviewVersions; reinvocationPolicy for mutating ones), and the
 * Table (NAME, WEBHOOKS, AGE). Stored and validated only: calling the
 * webhooks comes later.
 *
 * Threading: pure functions. Ownership: hooks borrow the objects.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_WEBHOOKS_H
#define CPLANE_HOST_APISERVER_STRATEGY_WEBHOOKS_H

#include "apiserver/strategy/strategy.h"

void cp_webhooks_defaults(struct json_object *obj);
/* mutating: the webhooks are MutatingWebhooks (reinvocationPolicy). */
void cp_webhooks_validate(struct json_object *obj, int mutating,
                          struct cp_field_errors *errs);

/* validateRuleWithOperations of rule r at path at ("webhooks[0].rules[1]"). */
void cp_webhooks_validate_rule(struct json_object *r, const char *at,
                               struct cp_field_errors *errs);

extern const char *const cp_webhooks_categories[];
extern const struct cp_table_column cp_webhooks_columns[3];
void cp_webhooks_cells(struct json_object *obj, long long now,
                       struct json_object *cells);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_WEBHOOKS_H */
