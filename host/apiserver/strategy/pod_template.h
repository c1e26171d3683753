/*
 * pod_template - what kube validates alike for every kind that carries a
 * pod template and selects its pods by label (Deployment, ReplicaSet,
 * StatefulSet, DaemonSet, Job, ReplicationController): the selector is
 * given, not empty, matches the template's labels; the template's
 * restartPolicy is one the kind allows; the template has containers.
 * Messages and paths are kube's (pkg/apis/apps/validation,
 * pkg/apis/batch/validation):
 *
 *   spec.template.metadata.labels: Invalid value:
 *   map[string]string{"app":"web"}: `selector` does not match template
 *   `labels`
 *
 * Threading: pure functions. Ownership: objects are borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_POD_TEMPLATE_H
#define CPLANE_HOST_APISERVER_STRATEGY_POD_TEMPLATE_H

#include <json-c/json.h>

#include "apiserver/field_errors.h"

/* Whether metav1.LabelSelector sel matches labels (an object of strings,
 * or NULL for none): 1 yes, 0 no, -1 the selector is malformed (not an
 * object, an unknown operator, values missing or present wrongly). A
 * NULL selector matches nothing, {} everything (kube's
 * LabelSelectorAsSelector). */
int cp_label_selector_matches(json_object *sel, json_object *labels);
/* 1 when sel has neither matchLabels nor matchExpressions entries. */
int cp_label_selector_empty(json_object *sel);

/* The selector checks of spec (at "spec"): selector required, non-empty
 * ("empty selector is invalid for <what>"; what NULL skips this check,
 * as Job's generated selector), matching spec.template.metadata.labels.
 * An empty selector is not also reported as not matching. */
void cp_pod_template_check_selector(json_object *spec, const char *what,
                                    struct cp_field_errors *errs);

/* template (at path, e.g. "spec.template") must have containers, and a
 * restartPolicy (absent: kube's default "Always") among allowed
 * (NULL-terminated). */
void cp_pod_template_check_spec(json_object *tmpl, const char *path,
                                const char *const *allowed,
                                struct cp_field_errors *errs);

/* Go's %#v of a map[string]string (keys sorted), as kube renders a
 * labels value in a message: map[string]string{"a":"b", "c":"d"}, or
 * map[string]string(nil) for none. Owned: free(); NULL when out of
 * memory. */
char *cp_go_string_map(json_object *m);

/* The Go String() of a *metav1.LabelSelector, as kube renders one in an
 * immutable-field message:
 * &LabelSelector{MatchLabels:map[string]string{app: web,},
 * MatchExpressions:[]LabelSelectorRequirement{},}; "null" for none.
 * Owned: free(); NULL when out of memory. */
char *cp_go_label_selector(json_object *sel);

/* Adds kube's ValidateImmutableField error for a selector that changed:
 * "<path>: Invalid value: <old as Go>: field is immutable". Nothing when
 * old and cur are equal. */
void cp_check_selector_immutable(json_object *cur, json_object *old,
                                 const char *path,
                                 struct cp_field_errors *errs);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_POD_TEMPLATE_H */
