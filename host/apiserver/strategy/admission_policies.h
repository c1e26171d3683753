/*
 * admission_policies - what ValidatingAdmissionPolicy and its binding
 * share (kube's pkg/apis/admissionregistration/validation and
 * pkg/registry/admissionregistration): MatchResources' defaults (both
 * selectors {}) and validation (matchPolicy, selectors, rules with
 * resourceNames), and the api-extensions category.
 *
 * Threading: pure functions. Ownership: everything is borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_ADMISSION_POLICIES_H
#define CPLANE_HOST_APISERVER_STRATEGY_ADMISSION_POLICIES_H

#include "apiserver/strategy/strategy.h"

/* kube's SetDefaults_MatchResources on mr (NULL ignored). */
void cp_match_resources_defaults(struct json_object *mr);
/* validateMatchResources of mr (NULL: nothing) at path at. */
void cp_match_resources_validate(struct json_object *mr, const char *at,
                                 struct cp_field_errors *errs);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_ADMISSION_POLICIES_H */
