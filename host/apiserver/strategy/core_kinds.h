/*
 * core_kinds - the strategies of the core kinds of issue #13 (core/v1
 * Service, Endpoints, ServiceAccount, PersistentVolume(Claim),
 * ResourceQuota, LimitRange, PodTemplate, ReplicationController;
 * discovery.k8s.io/v1 EndpointSlice; events.k8s.io/v1 Event) and
 * metrics.k8s.io's NodeMetrics and PodMetrics, for registry.c.
 *
 * Threading and ownership: immutable tables, see strategy.h.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_CORE_KINDS_H
#define CPLANE_HOST_APISERVER_STRATEGY_CORE_KINDS_H

#include "apiserver/strategy/strategy.h"

extern const struct cp_strategy cp_strategy_services;
extern const struct cp_strategy cp_strategy_endpoints;
extern const struct cp_strategy cp_strategy_serviceaccounts;
extern const struct cp_strategy cp_strategy_persistentvolumes;
extern const struct cp_strategy cp_strategy_persistentvolumeclaims;
extern const struct cp_strategy cp_strategy_resourcequotas;
extern const struct cp_strategy cp_strategy_limitranges;
extern const struct cp_strategy cp_strategy_podtemplates;
extern const struct cp_strategy cp_strategy_replicationcontrollers;
extern const struct cp_strategy cp_strategy_endpointslices;
extern const struct cp_strategy cp_strategy_events_v1;
/* metrics.k8s.io/v1beta1 (metrics.c) */
extern const struct cp_strategy cp_strategy_nodemetrics;
extern const struct cp_strategy cp_strategy_podmetrics;

#endif /* CPLANE_HOST_APISERVER_STRATEGY_CORE_KINDS_H */
