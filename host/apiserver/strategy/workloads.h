/*
 * workloads - the strategies of the workload and policy kinds (apps
 * DaemonSet, StatefulSet, ControllerRevision; batch Job, CronJob; policy
 * PodDisruptionBudget; autoscaling HorizontalPodAutoscaler; scheduling
 * PriorityClass; node RuntimeClass), for registry.c, and the small
 * checks they share (kube's ValidateNonnegativeField and friends).
 *
 * Threading: immutable tables and pure functions.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_WORKLOADS_H
#define CPLANE_HOST_APISERVER_STRATEGY_WORKLOADS_H

#include <json-c/json.h>

#include "apiserver/field_errors.h"
#include "apiserver/strategy/strategy.h"

extern const struct cp_strategy cp_strategy_daemonsets;
extern const struct cp_strategy cp_strategy_statefulsets;
extern const struct cp_strategy cp_strategy_controllerrevisions;
extern const struct cp_strategy cp_strategy_jobs;
extern const struct cp_strategy cp_strategy_cronjobs;
extern const struct cp_strategy cp_strategy_poddisruptionbudgets;
extern const struct cp_strategy cp_strategy_horizontalpodautoscalers;
extern const struct cp_strategy cp_strategy_priorityclasses;
extern const struct cp_strategy cp_strategy_runtimeclasses;

/* kube's SetDefaults_<Kind> of each kind (what decoding any object of
 * the kind sets, on every write, before anything compares it). */
void cp_defaults_daemonset(json_object *obj);
void cp_defaults_statefulset(json_object *obj);
void cp_defaults_job(json_object *obj);
void cp_defaults_cronjob(json_object *obj);
void cp_defaults_hpa(json_object *obj);
void cp_defaults_priorityclass(json_object *obj);
/* The one of kind (group, kind), if it is one of these; called by
 * schema.c's built-in hooks when a request body is decoded. */
void cp_workload_defaults(const char *group, const char *kind,
                          json_object *obj);

/* When obj's field (at prefix "spec") is an integer below 0: kube's
 * "<prefix>.<field>: Invalid value: -1: must be greater than or equal
 * to 0". */
void cp_check_nonnegative(json_object *obj, const char *prefix,
                          const char *field, struct cp_field_errors *errs);
/* The same with another lower bound: "must be greater than or equal to
 * <min>". */
void cp_check_at_least(json_object *obj, const char *prefix,
                       const char *field, long long min,
                       struct cp_field_errors *errs);
/* When obj's field differs from old's: "<prefix>.<field>: Invalid value:
 * <new>: field is immutable" (scalars rendered as kube does). */
void cp_check_immutable(json_object *obj, json_object *old,
                        const char *prefix, const char *field,
                        struct cp_field_errors *errs);
/* A decimal string as a number; 0 when it is not one. */
long long cp_decimal(const char *s);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_WORKLOADS_H */
