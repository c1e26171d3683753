/*
 * audit - kube-apiserver's audit log on the request path: the policy
 * (policy.h) decides each request's level after authentication, the
 * event (event.h) is gathered as the request goes (impersonation, the
 * authorization decision, annotations from admission, the response) and
 * each stage's JSON line goes to the log backend (log.h): RequestReceived
 * at the start, ResponseStarted when a watch's headers leave (kube emits
 * it for long-running requests only), ResponseComplete at the end. A
 * request that fails authentication gets one ResponseStarted event with
 * an empty user, as kube's failed-authentication audit.
 *
 * Every response carries an Audit-Id header: the client's Audit-ID when
 * it sent one, else a new UUID; it is the event's auditID.
 *
 * Off (no audit_policy_file): the server's struct cp_audit is NULL and
 * each call below returns at once, except that cp_audit_reply still adds
 * the Audit-Id header, as kube does with or without an audit log.
 *
 * Threading: cp_audit_begin, cp_audit_reply, cp_audit_reply_to and
 * cp_audit_failed_authn run on the event loop thread; the others from any
 * thread holding the request (cp_audit_annotate from several at once).
 * Ownership: the event belongs to the request (rq->audit) and ends with
 * it (cp_audit_end, called by cp_api_request_clear); struct cp_audit
 * belongs to the server.
 */
#ifndef CPLANE_HOST_APISERVER_AUDIT_AUDIT_H
#define CPLANE_HOST_APISERVER_AUDIT_AUDIT_H

#include <stdint.h>
#include <stdio.h>

#include "apiserver/request.h"

struct evhttp_request;
struct cp_audit;
struct cp_audit_event;

/* An Audit-ID a client sends longer than this is replaced by a new one. */
#define CP_AUDIT_ID_MAX 128

/* kube's WithAuditInit: a request's audit ID is the Audit-ID its client
 * sent (NULL: none) when a header can carry it back (at most
 * CP_AUDIT_ID_MAX bytes, no control characters), else a new UUID. buf
 * has len >= CP_AUDIT_ID_MAX + 1 bytes. Any thread. */
void cp_audit_choose_id(const char *sent, char *buf, size_t len);

struct cp_audit_config {
  const char *policy_file; /* NULL or "": no audit log */
  const char *log_path;    /* NULL or "": none ("-": stdout) */
  uint64_t max_bytes;      /* rotation size; 0: lumberjack's 100 MB */
  int max_backups, max_age_days;
};

/* Loads the policy and opens the log. *out is NULL when auditing is off.
 * Returns 0, or -1 with *err (malloc'd) naming the file and the reason. */
int cp_audit_new(const struct cp_audit_config *cfg, struct cp_audit **out,
                 char **err);
/* Writes the queued events and frees a; NULL: nothing. */
void cp_audit_free(struct cp_audit *a);
/* The log's counters for /metrics; a NULL: nothing. */
int cp_audit_metrics_write(struct cp_audit *a, FILE *f);

/* After authentication: decides the level and, unless None, attaches an
 * event to rq and writes its RequestReceived stage. */
void cp_audit_begin(struct cp_audit *a, struct evhttp_request *req,
                    struct cp_api_request *rq);
/* After impersonation: the event's impersonatedUser is rq's user when it
 * is not the authenticated one. */
void cp_audit_impersonated(struct cp_api_request *rq);
/* kube's authorization annotations authorization.k8s.io/decision
 * (allow|forbid) and authorization.k8s.io/reason. */
void cp_audit_authorized(const struct cp_api_request *rq, int allowed,
                         const char *reason);
/* An audit annotation, from admission steps (first value of a key wins).
 * rq->audit NULL: nothing. */
void cp_audit_annotate(const struct cp_api_request *rq, const char *key,
                       const char *value);

/* Each key of map (a JSON object of strings) as an annotation, its key
 * prefixed with "<prefix>/" unless prefix is NULL (a webhook's
 * auditAnnotations). Returns 1 when recorded, 0 when rq is not audited. */
struct json_object;
int cp_audit_annotate_map(const struct cp_api_request *rq,
                          struct json_object *map, const char *prefix);

/* An event's requestObject is what the request's handler decoded, as
 * kube's handlers log it: set only by the calls below, once the body
 * decoded. A body that does not decode, or a request refused before its
 * handler read it, has none (kube logs no garbage). Each runs on the
 * worker, in the handler; rq->audit NULL: nothing. */

/* A create or update: kube's LogRequestObject, the object o as decoded
 * (defaults set, kind and apiVersion filled), before admission changes
 * it, completes the objectRef and is the requestObject (copied; o is
 * only read). A patch's own create or update is not logged here. */
void cp_audit_request_object(const struct cp_api_request *rq,
                             struct json_object *o);
/* The same for a review answered before the request's type is looked up
 * (authn/reviews.c): o decoded as kind of api_version. */
void cp_audit_review_object(const struct cp_api_request *rq,
                            struct json_object *o, const char *kind,
                            const char *api_version);
/* A patch: kube's LogRequestPatch, the body as sent (when it is JSON). */
void cp_audit_request_patch(const struct cp_api_request *rq);
/* A delete or deletecollection with a body (body its parsed JSON, only
 * read): the DeleteOptions as kube decodes them
 * (audit/request_object.h). The first call of a request counts (a
 * collection's deletes share their request). */
void cp_audit_delete_options(const struct cp_api_request *rq,
                             struct json_object *body);
/* A create on pods/eviction, pods/binding or serviceaccounts/token (body
 * its parsed JSON, only read): the Eviction, Binding or TokenRequest as
 * kube decodes it, which completes the objectRef too. */
void cp_audit_subresource_object(const struct cp_api_request *rq,
                                 struct json_object *body);

/* Worker: the request was handled; its response is JSON here, before a
 * protobuf client's encoding, so the response object is taken now. */
struct cp_api_response;
void cp_audit_handled(struct cp_api_request *rq,
                      const struct cp_api_response *rs);

/* Loop thread, just before a reply's headers go: adds Audit-Id and
 * records the response in the event of the request being answered
 * (ctype NULL: JSON; body NULL for a watch's start). */
void cp_audit_reply(struct evhttp_request *req, int code, const char *ctype,
                    const char *body, size_t len);
/* Loop thread: the next cp_audit_reply for rq's evhttp request belongs to
 * rq's event (a worker's finished request). */
void cp_audit_reply_to(struct cp_api_request *rq);
/* The request is over: ResponseComplete, then the event is freed. */
void cp_audit_end(struct cp_audit_event *ev);

/* A request refused for want of valid credentials, as received: the
 * header values NULL when absent; id its audit ID (cp_audit_choose_id),
 * which the 401's Audit-Id header must carry. */
struct cp_audit_refused {
  const char *method;
  const char *target; /* path and query as sent, not decoded */
  const char *authorization, *user_agent, *forwarded_for, *real_ip;
  const char *id;
  int has_cert; /* a client certificate was shown */
  int fd;       /* the connection's socket, for the peer's address */
};

/* Loop thread: kube's WithFailedAuthenticationAudit, one ResponseStarted
 * event with an empty user and the methods attempted. */
void cp_audit_failed_authn(struct cp_audit *a,
                           const struct cp_audit_refused *r);
/* The same for a request read whole (its credential failed after the
 * connection's gate opened); the next cp_audit_reply for req carries the
 * event's ID. */
void cp_audit_failed_request(struct cp_audit *a, struct evhttp_request *req,
                             const struct cp_api_request *rq);

#endif /* CPLANE_HOST_APISERVER_AUDIT_AUDIT_H */
