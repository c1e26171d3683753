/*
 * request - one API request as the handlers see it, once the event loop
 * has read it: method, route (resource type, namespace, name,
 * subresource), query, the headers that matter and the body; and the
 * response a handler fills in. Also the routing of a path to a resource.
 *
 * Threading: a request belongs to one worker thread at a time.
 * Ownership: cp_api_request_clear frees every string the request owns;
 * the response body is malloc'd and taken by the event loop.
 */
#ifndef CPLANE_HOST_APISERVER_REQUEST_H
#define CPLANE_HOST_APISERVER_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "apiserver/query.h"
#include "apiserver/resources.h"
#include "store/store.h"

enum cp_api_method {
  CP_API_GET,
  CP_API_POST,
  CP_API_PUT,
  CP_API_PATCH,
  CP_API_DELETE,
  CP_API_OTHER
};

/* Who is asking, as authentication found them (kube's user.Info). The
 * name is NULL when the server runs without authentication. extra holds
 * "key=value" strings (a key with several values appears once per
 * value), as a ServiceAccount token's pod binding gives them. */
struct cp_api_user {
  char *name, *uid;
  char **groups;
  size_t n_groups;
  char **extra;
  size_t n_extra;
};

/* Sets u to name and groups (copies); 0, or -1 out of memory (u is then
 * empty). Frees what u held before. */
int cp_api_user_set(struct cp_api_user *u, const char *name, const char *uid,
                    char *const *groups, size_t n_groups);
void cp_api_user_clear(struct cp_api_user *u);

struct cp_api_request {
  enum cp_api_method method;
  char *path;
  struct cp_query query;
  char *accept, *content_type;
  char *user_agent; /* NULL when absent: the default field manager */
  char *body;
  size_t body_len;
  /* Filled by cp_api_route for resource paths. */
  const struct cp_resource_type *type;
  char *ns, *name, *subresource;
  /* Filled after authentication; admission, reviews and webhooks read
   * it. Freed by cp_api_request_clear. */
  struct cp_api_user user;
  /* The audit event (audit/audit.h); NULL: not audited. Ended and freed
   * by cp_api_request_clear. */
  struct cp_audit_event *audit;
};

/* kube-apiserver caps the warnings of one response at 4 KiB too. */
#define CP_API_WARNINGS_MAX 4096

struct cp_api_response {
  int code;
  const char *content_type; /* static string */
  char *body;               /* malloc'd */
  size_t len;
  /* Warning header values (299 - "text"), each NUL-terminated, packed
   * one after another; inline so that nobody has to free them. */
  char warnings[CP_API_WARNINGS_MAX];
  size_t warnings_len;
  /* The Retry-After header's seconds (0: none), noted from the Status
   * body by cp_api_note_retry_after before it may turn protobuf. */
  int retry_after_seconds;
};

/* What the handlers share. */
struct cp_ns_cache;
struct cp_pc_cache;
struct cp_policy_cache;
struct cp_quota_versions;
struct cp_psa_exemptions;
struct cp_webhooks;
struct cp_vap_set;
struct cp_api_ctx {
  cp_store *store;
  struct cp_resources *resources;
  struct cp_ns_cache *ns_cache; /* NULL: admission reads the store */
  char server_address[64]; /* host:port, for /api */
  /* Called from any thread when a CustomResourceDefinition starts
   * terminating, so that its cleanup (crd_cleanup.h) begins at once;
   * NULL: nothing cleans up. Set before the threads that use ctx run. */
  void (*crd_terminating)(void *arg);
  void *crd_terminating_arg;
  /* Services' ClusterIPs and NodePorts (alloc/service_alloc.h); NULL:
   * Services get none. Set before the threads that use ctx run. */
  struct cp_svc_alloc *svc_alloc;
  /* The pods' default NoExecute tolerations (pod_defaults.h); 0: 300. */
  int64_t not_ready_toleration_seconds, unreachable_toleration_seconds;
  /* The PriorityClasses pod admission reads (priorityclass_cache.h);
   * NULL: admission reads the store. */
  struct cp_pc_cache *pc_cache;
  /* ServiceAccount tokens (authn/authenticator.h); NULL: none issued or
   * accepted. Owned by the server; read-only once serving. */
  struct cp_authn *authn;
  /* The RBAC authorizer (rbac/authorizer.h): access reviews and the
   * escalation checks of role and binding writes ask it. NULL: no RBAC
   * (only system:masters). Set before the threads that use ctx run. */
  struct cp_rbac *rbac;
  /* Admission plugins turned off (CP_ADMISSION_OFF_* of admission.h,
   * from [apiserver] disable_admission_plugins). */
  unsigned admission_off;
  /* The ServiceAccounts pod admission found, keyed "ns/name"
   * (admission_serviceaccount.h); NULL: it reads the store. */
  struct cp_ns_cache *sa_cache;
  /* The PodSecurity policy of each namespace (admission_podsecurity.h);
   * NULL: it reads the store. */
  struct cp_ns_cache *psa_cache;
  /* PodSecurity's exemptions (podsecurity_exemptions.h); NULL: none. */
  struct cp_psa_exemptions *psa_exempt;
  /* The LimitRanges and ResourceQuotas LimitRanger and ResourceQuota
   * admission read (policy_cache.h); NULL: they read the store. */
  struct cp_policy_cache *policy_cache;
  /* The ResourceQuotas this server last wrote (quota_versions.h); NULL:
   * quota admission charges what the policy cache lists. */
  struct cp_quota_versions *quota_versions;
  /* The admission webhooks (webhook/set.h); NULL: none are called. */
  struct cp_webhooks *webhooks;
  /* The CertificateSigningRequest signer (csr_signer.h), kicked when an
   * approval is stored; NULL: none runs. Set before the threads run. */
  struct cp_csr_signer *csr_signer;
  /* ValidatingAdmissionPolicies and their bindings (vap/set.h); NULL:
   * none apply. */
  struct cp_vap_set *vap;
};

/* Splits a resource path (/api/v1/..., /apis/g/v/...) into the request's
 * route. Returns 1 for a resource path (rq->type set), 0 when the path is
 * not one (discovery and other endpoints), -1 for an unknown resource or
 * malformed path (then *status_body is a 404 Status, caller frees). */
int cp_api_route(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                 char **status_body);

/* Runs a resource request (not watch) against the store. */
void cp_api_handle(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                   struct cp_api_response *rs);

/* Adds a Warning header "299 - \"text\"" (text escaped) to rs; dropped
 * when the response's warnings are full. */
void cp_api_add_warning(struct cp_api_response *rs, const char *text);
/* Adds rs's Warning headers to an outgoing header list (libevent's
 * struct evkeyvalq); the event loop calls it before sending. */
struct evkeyvalq;
void cp_api_warning_headers(const struct cp_api_response *rs,
                            struct evkeyvalq *headers);
/* Notes the delay an error Status asks for in details.retryAfterSeconds
 * (rs->retry_after_seconds), on the worker while the body is still JSON;
 * then adds it as the Retry-After header on the event loop, as
 * kube-apiserver's ErrorNegotiated does (a 429 or 5xx whose client
 * should wait). */
void cp_api_note_retry_after(struct cp_api_response *rs);
void cp_api_retry_after_header(const struct cp_api_response *rs,
                               struct evkeyvalq *headers);

/* Sets rs to a Status body; takes body (NULL: 500 out of memory). */
void cp_api_respond_status(struct cp_api_response *rs, int code, char *body);

void cp_api_request_clear(struct cp_api_request *rq);

/* The request's labelSelector and fieldSelector. On a bad one responds
 * 400 and returns -1. *out is owned (cp_api_selectors_free). */
struct cp_api_selectors;
struct json_object;
int cp_api_selectors_parse(struct cp_api_request *rq,
                           struct cp_api_selectors **out,
                           struct cp_api_response *rs);
void cp_api_selectors_free(struct cp_api_selectors *s);
/* 1 when o matches (NULL selectors match everything). */
int cp_api_selectors_match(const struct cp_api_selectors *s,
                           struct json_object *o);
/* A stored value as an object with its resourceVersion, and for a custom
 * type t in t's version (t NULL: as stored); owned. */
struct json_object *cp_api_parse_stored(const struct cp_resource_type *t,
                                        const cp_store_kv *kv);
/* Compact JSON text of o; malloc'd. */
char *cp_api_to_text(struct json_object *o);

/* Store key of one object or, with name NULL, the prefix of a list
 * (namespace NULL: every namespace). malloc'd. */
char *cp_api_key(const struct cp_resource_type *t, const char *ns,
                 const char *name);

#endif /* CPLANE_HOST_APISERVER_REQUEST_H */
