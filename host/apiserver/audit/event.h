/*
 * audit/event - one request's audit event (kube's audit.k8s.io/v1
 * Event) as it is gathered along the request path, and its JSON for one
 * stage: kind, apiVersion, level, auditID, stage, requestURI, verb, user,
 * impersonatedUser, sourceIPs, userAgent, objectRef, responseStatus,
 * requestObject (Request and RequestResponse levels), responseObject
 * (RequestResponse), requestReceivedTimestamp, stageTimestamp (RFC 3339
 * with microseconds, UTC) and annotations, in kube's field order.
 *
 * Threading: the request path fills an event from one thread at a time
 * (the loop, then one worker, then the loop); annotations may be added
 * from several threads at once (mu).
 * Ownership: every pointer is owned by the event (cp_audit_event_free).
 */
#ifndef CPLANE_HOST_APISERVER_AUDIT_EVENT_H
#define CPLANE_HOST_APISERVER_AUDIT_EVENT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "apiserver/audit/audit.h" /* CP_AUDIT_ID_MAX */
#include "apiserver/audit/policy.h"

struct cp_audit;

struct cp_audit_event {
  enum cp_audit_level level;
  unsigned omit_stages;
  int omit_managed_fields;
  char id[CP_AUDIT_ID_MAX + 1];
  char *request_uri, *verb, *user_agent;
  json_object *user, *impersonated; /* UserInfo JSON */
  json_object *source_ips;          /* array of strings */
  /* objectRef (resource requests): from the URL, then (once the request
   * reached its handler) completed from the request's object as kube's
   * LogRequestObject does. */
  int has_ref;
  char *resource, *ns, *name, *uid, *group, *version, *rv, *subresource;
  json_object *request_object;  /* NULL: none or not JSON */
  int code;                     /* 0 until the response is known */
  json_object *response_status; /* metav1.Status, NULL until known */
  json_object *response_object;
  int64_t received_us; /* wall clock, microseconds */
  /* Request-path state (audit.c). */
  struct cp_audit *owner;
  const void *req; /* the evhttp request the reply goes to */
  int long_running, started, handled, post_or_put, response_recorded;
  pthread_mutex_t mu;  /* annotations */
  json_object *annotations;
};

/* A new event with its id and times unset; NULL when out of memory. */
struct cp_audit_event *cp_audit_event_new(void);
void cp_audit_event_free(struct cp_audit_event *ev);

/* Adds annotations[key] = value; a key already set keeps its first value
 * (kube logs and keeps it). Safe from any thread. */
void cp_audit_event_annotate(struct cp_audit_event *ev, const char *key,
                             const char *value);

/* The response: code, and from a JSON body its Status (responseStatus
 * keeps status, message, reason, details as kube does) and, at level
 * RequestResponse, the object itself. ctype NULL: JSON. */
void cp_audit_event_response(struct cp_audit_event *ev, int code,
                             const char *ctype, const char *body,
                             size_t len);

/* A JSON text parsed into an object for requestObject/responseObject
 * (managedFields stripped when strip), or NULL when it is not JSON. */
json_object *cp_audit_event_object(const char *ctype, const char *body,
                                   size_t len, int strip);

/* The event's JSON line for stage ("RequestReceived", ...) at time
 * now_us; malloc'd (NULL when out of memory), *len its length. */
char *cp_audit_event_json(struct cp_audit_event *ev, const char *stage,
                          int64_t now_us, size_t *len);

/* RFC 3339 with microseconds, UTC: 2006-01-02T15:04:05.000000Z. */
void cp_audit_micro_time(int64_t us, char *buf, size_t len);

#endif /* CPLANE_HOST_APISERVER_AUDIT_EVENT_H */
