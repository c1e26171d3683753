/*
 * event_convert - events.k8s.io/v1 Event <-> core/v1 Event, the same
 * stored object in two shapes, as kube converts them through its
 * internal Event (pkg/apis/events/v1/conversion.go):
 *
 *   events.k8s.io/v1            core/v1
 *   regarding                   involvedObject
 *   note                        message
 *   reportingController         reportingComponent
 *   deprecatedSource            source
 *   deprecatedFirstTimestamp    firstTimestamp
 *   deprecatedLastTimestamp     lastTimestamp
 *   deprecatedCount             count
 *
 * and the rest (metadata, eventTime, series, action, reason, type,
 * related, reportingInstance) by the same name. Events are stored as
 * core/v1.
 *
 * Threading: pure functions. Ownership: convert obj in place.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_EVENT_CONVERT_H
#define CPLANE_HOST_APISERVER_STRATEGY_EVENT_CONVERT_H

#include <json-c/json.h>

/* An events.k8s.io/v1 Event into its core/v1 form (apiVersion v1). A
 * core/v1 one is left as it is, so converting twice is harmless. */
void cp_event_to_core(json_object *obj);
/* A core/v1 Event into its events.k8s.io/v1 form. */
void cp_event_from_core(json_object *obj);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_EVENT_CONVERT_H */
