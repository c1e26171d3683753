/*
 * apiserver - see apiserver.h.
 *
 * The loop thread reads requests, answers discovery and health at once,
 * starts watches, and hands resource requests to the worker pool as jobs.
 * A worker runs the handler (store calls block), then queues the finished
 * job and wakes the loop, which sends the reply: evhttp is only ever
 * touched from the loop thread. A client that leaves before its reply
 * marks the job dead (close callback), and the reply is dropped.
 */
#include "apiserver/alloc/service_alloc.h"
#include "apiserver/alloc/service_bootstrap.h"
#include "apiserver/apiserver.h"
#include "apiserver/openapi_v2.h"
#include "apiserver/protobuf.h"
#include "apiserver/table.h"

#include <errno.h>
#include <time.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <event2/thread.h>

#include "apiserver/auth.h"
#include "apiserver/crd.h"
#include "apiserver/aggregator/aggregator.h"
#include "apiserver/aggregator/proxy_stream.h"
#include "apiserver/crd_cleanup.h"
#include "apiserver/csr_signer.h"
#include "apiserver/pki.h"
#include "apiserver/podsecurity_exemptions.h"
#include "apiserver/discovery.h"
#include "apiserver/audit/audit.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/authn/impersonation.h"
#include "apiserver/authn/reviews.h"
#include "apiserver/gate.h"
#include "apiserver/strategy/priorityclasses.h"
#include "apiserver/healthz.h"
#include "apiserver/metrics.h"
#include "apiserver/admission.h"
#include "apiserver/nscache.h"
#include "apiserver/policy_cache.h"
#include "apiserver/quota_versions.h"
#include "apiserver/strategy/priorityclass_cache.h"
#include "apiserver/rbac/authorizer.h"
#include "apiserver/rbac/ini_rules.h"
#include "apiserver/rbac_bootstrap.h"
#include "apiserver/request.h"
#include "apiserver/request_info.h"
#include "apiserver/status.h"
#include "apiserver/strategy/namespaces.h"
#include "apiserver/vap/set.h"
#include "apiserver/watch.h"
#include "apiserver/webhook/set.h"
#include "clock/clock.h"
#include "log/log.h"
#include "net/sigpipe.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#define DEFAULT_WORKERS 32
#define DEFAULT_MAX_BODY (3u * 1024 * 1024)
#define HARD_MAX_BODY (16u * 1024 * 1024)
/* kube-apiserver's (k8s.io/apiserver secure_serving.go). */
#define DEFAULT_READ_HEADER_TIMEOUT_MS 32000u
#define DEFAULT_IDLE_TIMEOUT_MS 90000u

struct job {
  struct cp_apiserver *srv;
  struct evhttp_request *req;
  struct cp_api_request rq;
  struct cp_api_response rs;
  cp_watch_job_fn fn; /* a watch's work instead of a request */
  void *arg;
  uint64_t start_ns;
  int dead;     /* the client left; loop thread only */
  int owns_req; /* evhttp detached req from its dead connection */
  char *proxy_uri; /* an aggregated API's request: path and query as sent */
  struct cp_proxy_stream *stream; /* an aggregated watch, to stream */
  struct job *next;
};

struct cp_apiserver {
  struct cp_api_ctx ctx;
  struct cp_openapi_v2 *openapi_v2; /* /openapi/v2, built on first use */
  struct event_base *base;
  struct evhttp *http;
  struct event *done_ev;
  struct evconnlistener *listener; /* evhttp's; we set its error cb */
  struct event *accept_resume_ev;  /* ends an accept pause */
  int accept_backoff_ms;           /* loop thread only */
  uint64_t accept_failed_ns;
  pthread_t loop;
  int port;
  size_t max_body;
  uint64_t read_header_timeout_ms;
  struct timeval idle_tv; /* every connection's, between requests */
  struct cp_watch_registry *watches;
  SSL_CTX *ssl_ctx;
  struct cp_auth *auth;
  struct cp_gates *gates; /* NULL without auth */
  struct cp_api_metrics *metrics;
  struct cp_crd_sync *crd_sync; /* definitions written elsewhere */
  struct cp_crd_cleanup *crd_cleanup; /* definitions being deleted */
  struct cp_aggregator *aggregator;   /* APIServices with a service */
  struct cp_audit *audit;             /* NULL: no audit log */

  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct job *todo_head, *todo_tail; /* for workers */
  struct job *urgent_head, *urgent_tail; /* for workers, first */
  struct job *done;                  /* for the loop */
  int stopping;
  pthread_t *workers;
  int n_workers;
};

static uint64_t now_ns(void) { return cp_now_ns(); }

static const char *verb_of(const struct cp_api_request *rq);

/* ------------------------------------------------------------ pool */

static void push_todo(struct cp_apiserver *s, struct job *j) {
  j->next = NULL;
  if (s->todo_tail != NULL)
    s->todo_tail->next = j;
  else
    s->todo_head = j;
  s->todo_tail = j;
  pthread_cond_signal(&s->cv);
}

/* Lease writes (node heartbeats, leader election) go before everything
 * else, as kube-apiserver's priority levels "system" and
 * "leader-election" put them: behind a flood of pod writes a heartbeat
 * that waits 40 s makes a live node look dead. */
static void push_urgent(struct cp_apiserver *s, struct job *j) {
  j->next = NULL;
  if (s->urgent_tail != NULL)
    s->urgent_tail->next = j;
  else
    s->urgent_head = j;
  s->urgent_tail = j;
  pthread_cond_signal(&s->cv);
}

static int is_urgent(const struct cp_api_request *rq) {
  return rq->method != CP_API_GET && rq->type != NULL &&
         strcmp(rq->type->resource, "leases") == 0;
}

/* The next job, urgent ones first. Call with s->mu held. */
static struct job *pop_todo(struct cp_apiserver *s) {
  struct job *j;

  if ((j = s->urgent_head) != NULL) {
    s->urgent_head = j->next;
    if (s->urgent_head == NULL)
      s->urgent_tail = NULL;
    return j;
  }
  if ((j = s->todo_head) != NULL) {
    s->todo_head = j->next;
    if (s->todo_head == NULL)
      s->todo_tail = NULL;
  }
  return j;
}

static int submit_watch_job(void *pool, cp_watch_job_fn fn, void *arg) {
  struct cp_apiserver *s = pool;
  struct job *j = calloc(1, sizeof *j);

  if (j == NULL)
    return -1;
  j->srv = s;
  j->fn = fn;
  j->arg = arg;
  pthread_mutex_lock(&s->mu);
  push_todo(s, j);
  pthread_mutex_unlock(&s->mu);
  return 0;
}

/* kubectl get asks for a Table; a successful GET of a resource is turned
 * into one (on the worker, not the loop thread). */
static void as_table(struct cp_api_request *rq, struct cp_api_response *rs) {
  const char *inc;
  char *t;

  if (rq->method != CP_API_GET || rs->code != 200 || rq->type == NULL ||
      rq->subresource != NULL || !cp_table_wanted(rq->accept))
    return;
  inc = cp_query_get(&rq->query, "includeObject");
  t = cp_table_render(rq->type, rs->body, rs->len,
                      inc && strcmp(inc, "Object") == 0, (long long)time(NULL));
  if (t == NULL)
    return;
  free(rs->body);
  rs->body = t;
  rs->len = strlen(t);
  rs->content_type = CP_TABLE_CONTENT_TYPE;
}

/* A create or update of a built-in kind the protobuf table serves whose
 * protobuf body does not decode: kube's decoder answers 400, not 415. */
static int protobuf_undecodable(const struct cp_api_request *rq) {
  char gv[256];

  if ((rq->method != CP_API_POST && rq->method != CP_API_PUT) ||
      rq->type == NULL || !rq->type->builtin || rq->subresource != NULL)
    return 0;
  cp_resource_group_version(rq->type, gv, sizeof gv);
  return cp_protobuf_known(gv, rq->type->kind);
}

/* client-go's typed clients (kubectl >= 1.32 create; controllers) send
 * protobuf bodies, DeleteOptions included; a kind the table knows is
 * turned into JSON here, a malformed body of such a kind is kube's 400
 * (returns -1 having set rs), anything else is left for the handlers'
 * 415. */
static int from_protobuf(struct cp_api_request *rq,
                         struct cp_api_response *rs) {
  const char *why;
  char *json;

  if ((rq->method != CP_API_POST && rq->method != CP_API_PUT &&
       rq->method != CP_API_DELETE) ||
      !cp_protobuf_is(rq->content_type))
    return 0;
  if (cp_protobuf_to_json(rq->body, rq->body_len, &json, &why) != 0) {
    if (!protobuf_undecodable(rq))
      return 0;
    cp_api_respond_status(rs, 400,
                          cp_protobuf_decode_failure(rq->body, rq->body_len,
                                                     why, rq->type->kind));
    return -1;
  }
  free(rq->body);
  rq->body = json;
  rq->body_len = strlen(json);
  free(rq->content_type);
  rq->content_type = strdup("application/json");
  return 0;
}

/* A client whose Accept prefers protobuf (client-go's typed clients:
 * kubectl create, run, expose) gets the object, list or Status it would
 * get as JSON in protobuf, as kube-apiserver answers; a kind the table
 * has no message for, a Table and anything not JSON stay as they are. */
static void to_protobuf(const struct cp_api_request *rq,
                        struct cp_api_response *rs) {
  json_object *o;
  char *pb;
  size_t len;

  if (rs->body == NULL || rs->content_type == NULL ||
      strncmp(rs->content_type, "application/json", 16) != 0 ||
      !cp_protobuf_wanted(rq->accept))
    return;
  if ((o = json_tokener_parse(rs->body)) == NULL)
    return;
  if (cp_protobuf_from_json(o, &pb, &len) == 0) {
    free(rs->body);
    rs->body = pb;
    rs->len = len;
    rs->content_type = CP_PROTOBUF_CONTENT_TYPE;
  }
  json_object_put(o);
}

static void *worker_main(void *arg) {
  struct cp_apiserver *s = arg;

  pthread_setname_np(pthread_self(), "api-worker"); /* top -H, perf */
  for (;;) {
    struct job *j;

    pthread_mutex_lock(&s->mu);
    while (s->todo_head == NULL && s->urgent_head == NULL && !s->stopping)
      pthread_cond_wait(&s->cv, &s->mu);
    if ((j = pop_todo(s)) == NULL) {
      pthread_mutex_unlock(&s->mu);
      return NULL;
    }
    pthread_mutex_unlock(&s->mu);
    if (j->fn != NULL) {
      j->fn(j->arg);
      free(j);
      continue;
    }
    if (j->proxy_uri != NULL) {
      /* API aggregation: the extension server's answer as it is. */
      j->stream =
          cp_aggregator_proxy(s->aggregator, &j->rq, j->proxy_uri, &j->rs);
    } else {
      if (from_protobuf(&j->rq, &j->rs) == 0)
        cp_api_handle(&s->ctx, &j->rq, &j->rs);
      as_table(&j->rq, &j->rs);
      cp_audit_handled(&j->rq, &j->rs); /* bodies as JSON, before protobuf */
      cp_api_note_retry_after(&j->rs);
      to_protobuf(&j->rq, &j->rs);
    }
    pthread_mutex_lock(&s->mu);
    j->next = s->done;
    s->done = j;
    pthread_mutex_unlock(&s->mu);
    event_active(s->done_ev, EV_WRITE, 0);
  }
}

/* ------------------------------------------------------------ replies */

static void send_body(struct evhttp_request *req, int code,
                      const char *content_type, const char *body,
                      size_t len) {
  struct evbuffer *b = evbuffer_new();
  const char *reason = cp_status_reason_for(code);

  cp_audit_reply(req, code, content_type, body, len); /* and Audit-Id */
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                    content_type);
  evhttp_add_header(evhttp_request_get_output_headers(req),
                    "Cache-Control", "no-cache, private");
  if (b != NULL && body != NULL)
    evbuffer_add(b, body, len);
  if (code < 300)
    reason = code == 201 ? "Created" : "OK";
  evhttp_send_reply(req, code, reason[0] ? reason : "Error", b);
  if (b != NULL)
    evbuffer_free(b);
}

static void send_status(struct evhttp_request *req, int code, char *body) {
  if (body == NULL) {
    code = 500;
    body = cp_status_failuref(500, "out of memory");
  }
  send_body(req, code, "application/json", body, body ? strlen(body) : 0);
  free(body);
}

static void send_json(struct evhttp_request *req, char *body,
                      const char *content_type) {
  if (body == NULL) {
    send_status(req, 404, cp_status_failuref(404, "the server could not "
                                                  "find the requested "
                                                  "resource"));
    return;
  }
  send_body(req, 200, content_type, body, strlen(body));
  free(body);
}

static void on_job_client_close(struct evhttp_connection *conn, void *arg) {
  struct job *j = arg;

  (void)conn;
  j->dead = 1;
  /* An unanswered request is detached from a connection that dies, and
   * becomes ours to free. */
  j->owns_req = evhttp_request_get_connection(j->req) == NULL;
}

static void log_request(const struct job *j) {
  static const char *names[] = {"GET", "POST", "PUT", "PATCH", "DELETE",
                                "OTHER"};

  if (j->rs.code >= 500)
    cp_log_error("apiserver", "%s %s: %d %.*s", names[j->rq.method],
                 j->rq.path, j->rs.code, (int)(j->rs.len > 200 ? 200
                                                               : j->rs.len),
                 j->rs.body ? j->rs.body : "");
  else
    cp_log_debug("apiserver", "%s %s: %d", names[j->rq.method], j->rq.path,
                 j->rs.code);
}

/* Loop thread: send every finished job's reply. */
static void on_done(evutil_socket_t fd, short what, void *arg) {
  struct cp_apiserver *s = arg;
  struct job *list, *j;

  (void)fd;
  (void)what;
  pthread_mutex_lock(&s->mu);
  list = s->done;
  s->done = NULL;
  pthread_mutex_unlock(&s->mu);
  while ((j = list) != NULL) {
    list = j->next;
    log_request(j);
    cp_api_metrics_observe(s->metrics, verb_of(&j->rq),
                           j->rq.type ? j->rq.type->resource : "",
                           j->rs.code, now_ns() - j->start_ns);
    if (!j->dead) {
      evhttp_connection_set_closecb(evhttp_request_get_connection(j->req),
                                    NULL, NULL);
      cp_api_warning_headers(&j->rs,
                             evhttp_request_get_output_headers(j->req));
      cp_api_retry_after_header(&j->rs,
                                evhttp_request_get_output_headers(j->req));
      cp_audit_reply_to(&j->rq);
      if (j->stream != NULL) /* an aggregated watch: it takes the request */
        cp_proxy_stream_start(j->stream, s->base, j->req);
      else
        send_body(j->req, j->rs.code,
                  j->rs.content_type ? j->rs.content_type
                                     : "application/json",
                  j->rs.body, j->rs.len);
    } else if (j->owns_req) {
      evhttp_request_free(j->req);
    }
    if (j->dead) /* an aggregated watch whose client left */
      cp_proxy_stream_start(j->stream, s->base, NULL);
    free(j->rs.body);
    free(j->proxy_uri);
    cp_api_request_clear(&j->rq);
    free(j);
  }
}

/* ------------------------------------------------------------ TLS */

/* Each connection's bufferevent: TLS when configured, under the gate
 * (gate.h) when callers must authenticate. */
static struct bufferevent *new_bev(struct event_base *base, void *arg) {
  struct cp_apiserver *s = arg;
  struct bufferevent *bev;
  SSL *ssl;

  if (s->ssl_ctx != NULL) {
    if ((ssl = SSL_new(s->ssl_ctx)) == NULL)
      return NULL;
    bev = bufferevent_openssl_socket_new(base, -1, ssl,
                                         BUFFEREVENT_SSL_ACCEPTING,
                                         BEV_OPT_CLOSE_ON_FREE);
  } else {
    bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
  }
  if (bev != NULL && s->gates != NULL && cp_gate_attach(s->gates, bev) < 0) {
    bufferevent_free(bev);
    return NULL;
  }
  return bev;
}

/* ------------------------------------------------------------ auth */

struct caller {
  char name[256];
  char *groups[16];
  size_t n_groups;
  char group_buf[16][128];
  struct cp_api_user user; /* admit()'s anonymous check */
};

/* The verified client certificate's CN and O values, if any. */
static int caller_from_cert(struct bufferevent *bev, struct caller *c) {
  SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
  X509 *peer;
  X509_NAME *subj;
  int i = -1;

  if (ssl == NULL || (peer = SSL_get1_peer_certificate(ssl)) == NULL)
    return 0;
  if (SSL_get_verify_result(ssl) != X509_V_OK) {
    X509_free(peer);
    return 0;
  }
  subj = X509_get_subject_name(peer);
  if (X509_NAME_get_text_by_NID(subj, NID_commonName, c->name,
                                sizeof c->name) <= 0) {
    X509_free(peer);
    return 0;
  }
  while (c->n_groups < 16 &&
         (i = X509_NAME_get_index_by_NID(subj, NID_organizationName, i)) >=
             0) {
    ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));

    snprintf(c->group_buf[c->n_groups], sizeof c->group_buf[0], "%.*s",
             ASN1_STRING_length(d), (const char *)ASN1_STRING_get0_data(d));
    c->groups[c->n_groups] = c->group_buf[c->n_groups];
    c->n_groups++;
  }
  X509_free(peer);
  return 1;
}

/* Who is calling, into *u: a static token, a ServiceAccount token
 * (authn/authenticator.h), a client certificate, or the anonymous user
 * when enabled. Every authenticated user is in system:authenticated, as
 * kube's AuthenticatedGroupAdder does. Returns 1, or 0 (401). */
static int authenticate(struct cp_apiserver *s, struct evhttp_request *req,
                        struct cp_api_user *u) {
  const char *h = evhttp_find_header(evhttp_request_get_input_headers(req),
                                     "Authorization");
  const struct cp_user *su;
  struct cp_authn_result r;
  struct caller c;
  int ok;

  memset(&c, 0, sizeof c);
  if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
    if ((su = cp_auth_token(s->auth, h + 7)) != NULL)
      return cp_api_user_set(u, su->name, NULL, su->groups, su->n_groups) ==
                 0 &&
             cp_authn_add_authenticated(u) == 0;
    ok = cp_authn_sa_token(s->ctx.authn, h + 7, NULL, 0, &r) > 0;
    if (ok) {
      cp_api_user_clear(u);
      *u = r.user;
    }
    return ok;
  }
  if (s->ssl_ctx != NULL &&
      caller_from_cert(evhttp_connection_get_bufferevent(
                           evhttp_request_get_connection(req)),
                       &c))
    return cp_api_user_set(u, c.name, NULL, c.groups, c.n_groups) == 0 &&
           cp_authn_add_authenticated(u) == 0;
  return cp_authn_anonymous(s->ctx.authn, u);
}

static const char *verb_of(const struct cp_api_request *rq) {
  return cp_request_verb(rq->method, rq->name != NULL,
                         cp_query_bool(&rq->query, "watch"));
}

/* kube-apiserver's wording (its forbiddenMessage and NewForbidden), so
 * users recognise the message. */
static char *forbidden(const struct cp_api_user *c,
                       const struct cp_request_info *ri) {
  struct cp_status_details d = {0};
  const char *sub = ri->subresource[0] != '\0' ? "/" : "";
  const char *dot = ri->group[0] != '\0' ? "." : "";
  char *msg = NULL, *body;
  int n;

  if (!ri->resource_request)
    n = asprintf(&msg, "forbidden: User \"%s\" cannot %s path \"%s\"",
                 c->name, ri->verb, ri->path);
  else
    n = asprintf(&msg, "%s%s%s%s%s%sis forbidden: User \"%s\" cannot %s "
                       "resource \"%s%s%s\" in API group \"%s\" %s%s%s",
                 ri->resource, dot, ri->group, ri->name[0] ? " \"" : "",
                 ri->name, ri->name[0] ? "\" " : " ", c->name, ri->verb,
                 ri->resource, sub, ri->subresource, ri->group,
                 ri->ns[0] ? "in the namespace \"" : "at the cluster scope",
                 ri->ns, ri->ns[0] ? "\"" : "");
  if (n < 0)
    return NULL;
  if (ri->resource_request) {
    d.group = ri->group[0] != '\0' ? ri->group : NULL;
    d.kind = ri->resource;
    d.name = ri->name[0] != '\0' ? ri->name : NULL;
  }
  body = cp_status_failure(403, NULL, msg, &d);
  free(msg);
  return body;
}

/* Authorization on the attributes the URL names, before anything looks
 * the resource up: RBAC decides (rbac/authorizer.h; discovery, /version
 * and the health paths through the bootstrap roles system:discovery and
 * system:public-info-viewer, the self reviews through system:basic-user,
 * the issuer discovery through system:service-account-issuer-discovery,
 * as in kube). Returns 1 when allowed, else 0 with *status set. */
static int authorize(struct cp_apiserver *s, const struct cp_api_user *c,
                     const struct cp_api_request *rq, char **status) {
  struct cp_request_info ri;
  struct cp_rbac_attrs at;
  char why[512] = "";
  int ok;

  if (cp_request_info_parse(rq->method, rq->path,
                            cp_query_bool(&rq->query, "watch"), &ri) < 0) {
    *status = NULL;
    return 0;
  }
  cp_rbac_attrs_from_info(&at, &ri, c->name, c->groups, c->n_groups);
  ok = cp_auth_authorize(s->auth, &at, why, sizeof why);
  cp_audit_authorized(rq, ok, why);
  if (!ok)
    *status = forbidden(c, &ri);
  cp_request_info_clear(&ri);
  return ok;
}

static int public_path(const char *p) {
  return strcmp(p, "/version") == 0 || strcmp(p, "/healthz") == 0 ||
         strcmp(p, "/livez") == 0 || strcmp(p, "/readyz") == 0;
}

_Static_assert(CP_GATE_ID_MAX == CP_AUDIT_ID_MAX,
               "the gate carries any audit ID");

/* The gate's question, on a request's head before its body: does the
 * caller hold a credential? A bearer token is checked as authenticate()
 * checks it; a client certificate covers the whole connection. */
static enum cp_gate_verdict admit(void *arg, const struct cp_gate_head *h,
                                  struct bufferevent *conn) {
  struct cp_apiserver *s = arg;
  struct caller c;

  memset(&c, 0, sizeof c);
  if (h->authorization != NULL &&
      strncasecmp(h->authorization, "Bearer ", 7) == 0) {
    struct cp_authn_result r;

    if (cp_auth_token(s->auth, h->authorization + 7) != NULL)
      return CP_GATE_OPEN;
    if (cp_authn_sa_token(s->ctx.authn, h->authorization + 7, NULL, 0, &r) >
        0) {
      cp_api_user_clear(&r.user);
      return CP_GATE_OPEN;
    }
  } else if (s->ssl_ctx != NULL && caller_from_cert(conn, &c)) {
    return CP_GATE_OPEN;
  } else if (cp_authn_anonymous(s->ctx.authn, &c.user)) {
    cp_api_user_clear(&c.user);
    return CP_GATE_OPEN;
  }
  if (!h->has_body && strcmp(h->method, "GET") == 0 && public_path(h->path))
    return CP_GATE_PUBLIC;
  /* The 401's Audit-Id is its event's auditID (the gate carries it). */
  cp_audit_choose_id(h->audit_id, h->answer_id, CP_GATE_ID_MAX + 1);
  cp_audit_failed_authn(
      s->audit, &(struct cp_audit_refused){
                    h->method, h->target, h->authorization, h->user_agent,
                    h->forwarded_for, h->real_ip, h->answer_id, 0,
                    (int)bufferevent_getfd(conn)});
  return CP_GATE_REJECT;
}

/* A request the gate made up in place of the client's: answer it as
 * kube-apiserver answers the client's (the gate then ends the
 * connection). Returns 1 when it was one. */
static int answer_gate(struct evhttp_request *req) {
  static const char too_large[] = "431 Request Header Fields Too Large";
  struct evbuffer *b;

  switch (cp_gate_code(req)) {
  case 0:
    return 0;
  case 431:
    /* Go's net/http words it so, in plain text. */
    evhttp_add_header(evhttp_request_get_output_headers(req),
                      "Content-Type", "text/plain; charset=utf-8");
    if ((b = evbuffer_new()) != NULL)
      evbuffer_add(b, too_large, sizeof too_large - 1);
    evhttp_send_reply(req, 431, "Request Header Fields Too Large", b);
    if (b != NULL)
      evbuffer_free(b);
    return 1;
  default:
    send_status(req, 401, cp_status_failure(401, NULL, "Unauthorized", NULL));
    return 1;
  }
}

/* ------------------------------------------------------------ requests */

static enum cp_api_method method_of(struct evhttp_request *req) {
  switch (evhttp_request_get_command(req)) {
  case EVHTTP_REQ_GET:
    return CP_API_GET;
  case EVHTTP_REQ_POST:
    return CP_API_POST;
  case EVHTTP_REQ_PUT:
    return CP_API_PUT;
  case EVHTTP_REQ_PATCH:
    return CP_API_PATCH;
  case EVHTTP_REQ_DELETE:
    return CP_API_DELETE;
  default:
    return CP_API_OTHER;
  }
}

static char *header_dup(struct evhttp_request *req, const char *name) {
  const char *v =
      evhttp_find_header(evhttp_request_get_input_headers(req), name);

  return v != NULL ? strdup(v) : NULL;
}

/* Fills rq from req. Returns 0, or an HTTP code with *status set (500:
 * out of memory, rq unusable; else rq is whole but for what is bad). */
static int read_request(struct cp_apiserver *s, struct evhttp_request *req,
                        struct cp_api_request *rq, char **status) {
  const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
  struct evbuffer *in = evhttp_request_get_input_buffer(req);
  const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
  size_t len = evbuffer_get_length(in), path_len = 0;

  memset(rq, 0, sizeof *rq);
  rq->method = method_of(req);
  rq->path = evhttp_uridecode(path && path[0] ? path : "/", 0, &path_len);
  rq->accept = header_dup(req, "Accept");
  rq->content_type = header_dup(req, "Content-Type");
  rq->user_agent = header_dup(req, "User-Agent"); /* field managers */
  if (rq->path == NULL)
    goto nomem;
  /* A %00 would cut the C string short: ".../configmaps/%00" read as
   * ".../configmaps/", the collection. No name holds a NUL, so nothing
   * is found, as kube-apiserver answers for a name it does not have. */
  if (strlen(rq->path) != path_len) {
    *status = cp_status_failuref(404, "the server could not find the "
                                      "requested resource");
    return 404;
  }
  if (cp_query_parse(uri ? evhttp_uri_get_query(uri) : NULL, &rq->query) <
      0) {
    *status = cp_status_failuref(400, "malformed query string");
    return 400;
  }
  if (len > s->max_body) { /* kube's limitedReadBody */
    *status = cp_status_failuref(413, "Request entity too large: limit is "
                                      "%zu",
                                 s->max_body);
    return 413;
  }
  if (len > 0) {
    rq->body = malloc(len + 1);
    if (rq->body == NULL)
      goto nomem;
    evbuffer_remove(in, rq->body, len);
    rq->body[len] = '\0';
    rq->body_len = len;
  }
  return 0;
nomem:
  *status = NULL;
  return 500;
}

static char *version_json(void) {
  return strdup("{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":"
                "\"v1.32.0-cplane\",\"gitCommit\":\"cplane\","
                "\"gitTreeState\":\"clean\",\"buildDate\":"
                "\"2026-01-01T00:00:00Z\",\"goVersion\":\"c11\","
                "\"compiler\":\"gcc\",\"platform\":\"linux/amd64\"}");
}

/* Non-resource endpoints. Returns 1 when it answered. */
/* GET /openapi/v2, JSON or protobuf, with kube's ETag and 304. */
static void send_openapi_v2(struct cp_apiserver *s,
                            struct evhttp_request *req,
                            const struct cp_api_request *rq) {
  struct cp_openapi_v2_reply r;
  struct evkeyvalq *out = evhttp_request_get_output_headers(req);

  cp_openapi_v2_get(
      s->openapi_v2, rq->accept,
      evhttp_find_header(evhttp_request_get_input_headers(req),
                         "If-None-Match"),
      &r);
  if (r.etag[0] != '\0')
    evhttp_add_header(out, "Etag", r.etag);
  evhttp_add_header(out, "Vary", "Accept");
  if (r.code == 406)
    send_status(req, 406, cp_status_failuref(406, "only the following media "
                                                  "types are accepted: "
                                                  "application/json, "
                                                  "application/com.github."
                                                  "proto-openapi.spec.v2@"
                                                  "v1.0+protobuf"));
  else if (r.code == 500)
    send_status(req, 500, cp_status_failuref(500, "out of memory"));
  else if (r.code == 304) {
    cp_audit_reply(req, 304, NULL, NULL, 0);
    evhttp_send_reply(req, 304, "Not Modified", NULL);
  }
  else
    send_body(req, 200, r.content_type, r.body, r.len);
  free(r.body);
}

/* TokenReview, SelfSubjectReview and the ServiceAccount issuer's OIDC
 * documents (authn/reviews.h), answered on the loop. */
static int serve_authn(struct cp_apiserver *s, struct evhttp_request *req,
                       const struct cp_api_request *rq) {
  const char *type;
  char *body;
  int code;

  if (!cp_authn_serve(s->ctx.authn, s->auth, rq, &code, &body, &type))
    return 0;
  send_body(req, code, type, body, strlen(body));
  free(body);
  return 1;
}

static int serve_fixed(struct cp_apiserver *s, struct evhttp_request *req,
                       struct cp_api_request *rq) {
  const char *p = rq->path;
  int v2 = cp_discovery_wants_v2(rq->accept);
  char g[128], v[64];

  if (rq->method != CP_API_GET)
    return 0;
  if (strcmp(p, "/version") == 0 || strcmp(p, "/version/") == 0) {
    send_json(req, version_json(), "application/json");
  } else if (strcmp(p, "/livez") == 0 || strcmp(p, "/readyz") == 0 ||
             strcmp(p, "/healthz") == 0) {
    int code;
    size_t len;
    char *body = cp_api_healthz(s->ctx.store, p + 1,
                                cp_query_get(&rq->query, "verbose") != NULL,
                                &code, &len);

    if (body == NULL) {
      send_status(req, 500, cp_status_failuref(500, "out of memory"));
      return 1;
    }
    send_body(req, code, "text/plain; charset=utf-8", body, len);
    free(body);
  } else if (strcmp(p, "/api") == 0 || strcmp(p, "/api/") == 0) {
    if (v2)
      send_json(req, cp_discovery_aggregated(s->ctx.resources, 1),
                CP_DISCOVERY_V2_CONTENT_TYPE);
    else
      send_json(req, cp_discovery_api_versions(s->ctx.server_address),
                "application/json");
  } else if (strcmp(p, "/apis") == 0 || strcmp(p, "/apis/") == 0) {
    /* With the aggregated APIs' groups merged in. */
    if (v2)
      send_json(req,
                cp_aggregator_merge_aggregated(
                    s->aggregator,
                    cp_discovery_aggregated(s->ctx.resources, 0)),
                CP_DISCOVERY_V2_CONTENT_TYPE);
    else
      send_json(req,
                cp_aggregator_merge_group_list(
                    s->aggregator, cp_discovery_group_list(s->ctx.resources)),
                "application/json");
  } else if (strcmp(p, "/api/v1") == 0) {
    send_json(req, cp_discovery_resource_list(s->ctx.resources, "", "v1"),
              "application/json");
  } else if (sscanf(p, "/apis/%127[^/]", g) == 1 &&
             (p[6 + strlen(g)] == '\0' ||
              strcmp(p + 6 + strlen(g), "/") == 0)) {
    char *group = cp_discovery_group(s->ctx.resources, g);

    send_json(req, group ? group : cp_aggregator_group(s->aggregator, g),
              "application/json");
  } else if (sscanf(p, "/apis/%127[^/]/%63[^/]", g, v) == 2 &&
             strchr(p + 6 + strlen(g) + 1 + strlen(v), '/') == NULL) {
    send_json(req, cp_discovery_resource_list(s->ctx.resources, g, v),
              "application/json");
  } else if (strcmp(p, "/metrics") == 0) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (f == NULL || cp_api_metrics_write(s->metrics, f) < 0 ||
        cp_watch_metrics_write(s->watches, f) < 0 ||
        cp_audit_metrics_write(s->audit, f) < 0) {
      if (f != NULL)
        fclose(f);
      free(text);
      send_status(req, 500, cp_status_failuref(500, "cannot write metrics"));
      return 1;
    }
    fclose(f);
    send_body(req, 200, "text/plain; version=0.0.4", text, len);
    free(text);
  } else if (strcmp(p, "/openapi/v2") == 0) {
    send_openapi_v2(s, req, rq);
  } else if (strcmp(p, "/openapi/v3") == 0) {
    send_json(req, cp_openapi_root(s->ctx.resources), "application/json");
  } else if (strcmp(p, "/openapi/v3/api/v1") == 0) {
    send_json(req, cp_openapi_group_version(s->ctx.resources, "", "v1"),
              "application/json");
  } else if (sscanf(p, "/openapi/v3/apis/%127[^/]/%63[^/]", g, v) == 2) {
    send_json(req, cp_openapi_group_version(s->ctx.resources, g, v),
              "application/json");
  } else {
    return 0;
  }
  return 1;
}

/* evhttp's timeouts (the idle timeout, set on every connection) would cut
 * a watch that has had nothing to send for that long, or a slow request:
 * while a request is being served its connection has none, and they
 * come back when evhttp has sent the whole answer. */
static void resume_idle_timeout(struct evhttp_request *req, void *arg) {
  struct cp_apiserver *s = arg;
  struct evhttp_connection *c = evhttp_request_get_connection(req);
  struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;

  if (bev != NULL)
    bufferevent_set_timeouts(bev, &s->idle_tv, &s->idle_tv);
}

static void pause_idle_timeout(struct cp_apiserver *s,
                               struct evhttp_request *req) {
  struct evhttp_connection *c = evhttp_request_get_connection(req);
  struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;

  if (bev == NULL)
    return;
  bufferevent_set_timeouts(bev, NULL, NULL);
  evhttp_request_set_on_complete_cb(req, resume_idle_timeout, s);
}

/* The last pass of the loop in cp_apiserver_stop can still read a
 * request: no worker is left to take it, and the watch registry is
 * gone. */
static int stopping(struct cp_apiserver *s) {
  int r;

  pthread_mutex_lock(&s->mu);
  r = s->stopping;
  pthread_mutex_unlock(&s->mu);
  return r;
}

static void on_request(struct evhttp_request *req, void *arg) {
  struct cp_apiserver *s = arg;
  struct job *j;
  struct cp_request_info denied;
  char *status = NULL, *refused = NULL;
  int code, r, refusal;

  if (answer_gate(req))
    return;
  if (stopping(s)) {
    /* kube's WithWaitGroup, before its audit filter: not audited. */
    evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After",
                      "1");
    send_status(req, 503, cp_status_failuref(503, "apiserver is shutting "
                                                  "down"));
    return;
  }
  pause_idle_timeout(s, req);
  if ((j = calloc(1, sizeof *j)) == NULL) {
    send_status(req, 500, NULL);
    return;
  }
  j->srv = s;
  j->req = req;
  j->start_ns = now_ns();
  code = read_request(s, req, &j->rq, &status);
  if (code == 500) {
    send_status(req, code, status);
    goto drop;
  }
  /* kube meets a body too large (or a bad URL) in its handler, after
   * authentication, audit and authorization: the refusal waits. */
  refusal = code;
  refused = status;
  status = NULL;
  if (s->auth != NULL && !public_path(j->rq.path)) {
    if (!authenticate(s, req, &j->rq.user)) {
      cp_audit_failed_request(s->audit, req, &j->rq);
      send_status(req, 401, cp_status_failure(401, NULL, "Unauthorized",
                                              NULL));
      goto drop;
    }
    /* kube's audit filter: after authentication, before impersonation. */
    cp_audit_begin(s->audit, req, &j->rq);
    /* Impersonate-* headers, each allowed by the verb impersonate. */
    code = cp_impersonate(s->auth, evhttp_request_get_input_headers(req),
                          &j->rq.user, &denied, &status);
    if (code != 0) {
      send_status(req, code, code == 403 ? forbidden(&j->rq.user, &denied)
                                         : status);
      goto drop;
    }
    cp_audit_impersonated(&j->rq);
    if (!authorize(s, &j->rq.user, &j->rq, &status)) {
      send_status(req, 403, status);
      goto drop;
    }
  } else {
    cp_audit_begin(s->audit, req, &j->rq);
  }
  if (refusal != 0) {
    send_status(req, refusal, refused);
    refused = NULL;
    goto drop;
  }
  if (serve_authn(s, req, &j->rq))
    goto drop;
  /* API aggregation: a registered APIService's group/version goes to its
   * service, before anything served here (kube-aggregator's place). */
  if (cp_aggregator_owns(s->aggregator, j->rq.path)) {
    if ((j->proxy_uri = strdup(evhttp_request_get_uri(req))) == NULL) {
      send_status(req, 500, NULL);
      goto drop;
    }
    evhttp_connection_set_closecb(evhttp_request_get_connection(req),
                                  on_job_client_close, j);
    pthread_mutex_lock(&s->mu);
    push_todo(s, j);
    pthread_mutex_unlock(&s->mu);
    return;
  }
  if (serve_fixed(s, req, &j->rq))
    goto drop;
  r = cp_api_route(&s->ctx, &j->rq, &status);
  if (r <= 0) {
    send_status(req, 404, r < 0 && status != NULL
                              ? status
                              : cp_status_failuref(
                                    404, "the server could not find the "
                                         "requested resource"));
    goto drop;
  }
  /* metrics.k8s.io has no watch: its verb answers 405. */
  if (j->rq.method == CP_API_GET && j->rq.name == NULL &&
      cp_query_bool(&j->rq.query, "watch") &&
      !cp_resource_read_only(j->rq.type)) {
    cp_watch_start(s->watches, req, &j->rq);
    goto drop;
  }
  evhttp_connection_set_closecb(evhttp_request_get_connection(req),
                                on_job_client_close, j);
  pthread_mutex_lock(&s->mu);
  if (is_urgent(&j->rq))
    push_urgent(s, j);
  else
    push_todo(s, j);
  pthread_mutex_unlock(&s->mu);
  return;
drop:
  free(refused);
  cp_api_request_clear(&j->rq);
  free(j);
}

/* ------------------------------------------------------------ life */

static void *loop_main(void *arg) {
  struct cp_apiserver *s = arg;

  pthread_setname_np(pthread_self(), "api-loop"); /* top -H, perf */
  event_base_loop(s->base, EVLOOP_NO_EXIT_ON_EMPTY);
  return NULL;
}

static pthread_once_t evthread_once = PTHREAD_ONCE_INIT;

/* libevent's own warnings go through our log (and its repeat count)
 * instead of straight to stderr. */
static void on_libevent_log(int severity, const char *msg) {
  int level = severity >= EVENT_LOG_ERR    ? CPLANE_LOG_ERROR
              : severity >= EVENT_LOG_WARN ? CPLANE_LOG_WARN
              : severity >= EVENT_LOG_MSG  ? CPLANE_LOG_INFO
                                           : CPLANE_LOG_DEBUG;

  cp_log(level, "libevent", "%s", msg);
}

static void init_evthread(void) {
  evthread_use_pthreads();
  event_set_log_callback(on_libevent_log);
}

/* Every connection is a descriptor: the soft limit (often 1024) goes up
 * to the hard one, as Go's runtime does at start. Process-wide, and
 * harmless to repeat. */
static void raise_fd_limit(void) {
  struct rlimit rl;

  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
    return;
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
    cp_log_warn("apiserver", "cannot raise the open file limit: %s",
                strerror(errno));
}

/* ------------------------------------------------------------ accept */

#define ACCEPT_BACKOFF_MIN_MS 5
#define ACCEPT_BACKOFF_MAX_MS 1000
#define MAX_SERVERS 16

/* libevent calls a listener's error callback with evhttp's pointer, not
 * ours: the servers of this process, by their evhttp, for it. */
static pthread_mutex_t servers_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cp_apiserver *servers[MAX_SERVERS];

static void servers_add(struct cp_apiserver *s) {
  int i;

  pthread_mutex_lock(&servers_mu);
  for (i = 0; i < MAX_SERVERS && servers[i] != NULL; i++)
    ;
  if (i < MAX_SERVERS)
    servers[i] = s; /* else: no pause on accept errors for this one */
  pthread_mutex_unlock(&servers_mu);
}

static void servers_remove(struct cp_apiserver *s) {
  int i;

  pthread_mutex_lock(&servers_mu);
  for (i = 0; i < MAX_SERVERS; i++)
    if (servers[i] == s)
      servers[i] = NULL;
  pthread_mutex_unlock(&servers_mu);
}

static struct cp_apiserver *server_of(const void *http) {
  struct cp_apiserver *found = NULL;
  int i;

  pthread_mutex_lock(&servers_mu);
  for (i = 0; i < MAX_SERVERS && found == NULL; i++)
    if (servers[i] != NULL && (const void *)servers[i]->http == http)
      found = servers[i];
  pthread_mutex_unlock(&servers_mu);
  return found;
}

static void on_accept_resume(evutil_socket_t fd, short what, void *arg) {
  struct cp_apiserver *s = arg;

  (void)fd;
  (void)what;
  evconnlistener_enable(s->listener);
}

/* accept() failed. Out of descriptors (or memory) the listener would be
 * readable again at once and the loop would spin writing the error: it
 * stops accepting for a while instead, doubling the pause while the
 * failures go on (5 ms to 1 s, as Go's http.Server). The connections
 * wait in the backlog and are taken when descriptors free up. */
static void on_accept_error(struct evconnlistener *lev, void *http) {
  struct cp_apiserver *s = server_of(http);
  int err = EVUTIL_SOCKET_ERROR();
  uint64_t now = now_ns();
  struct timeval tv;

  if (s == NULL ||
      (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM)) {
    cp_log_warn("apiserver", "accept(): %s", strerror(err));
    return;
  }
  if (s->accept_backoff_ms == 0 ||
      now - s->accept_failed_ns > 2000000000u) /* a new episode */
    s->accept_backoff_ms = ACCEPT_BACKOFF_MIN_MS;
  else if ((s->accept_backoff_ms *= 2) > ACCEPT_BACKOFF_MAX_MS)
    s->accept_backoff_ms = ACCEPT_BACKOFF_MAX_MS;
  s->accept_failed_ns = now;
  cp_log_warn("apiserver", "accept(): %s; not accepting connections for a "
                           "while", strerror(err));
  evconnlistener_disable(lev);
  tv.tv_sec = s->accept_backoff_ms / 1000;
  tv.tv_usec = (s->accept_backoff_ms % 1000) * 1000;
  evtimer_add(s->accept_resume_ev, &tv);
}

/* Accepted sockets inherit TCP_NODELAY from the listener on Linux: an
 * answer written as headers then body must not wait 40 ms for the
 * client's delayed ACK. */
static void nodelay_listener(struct evhttp_bound_socket *h) {
  evutil_socket_t fd = evhttp_bound_socket_get_fd(h);
  int one = 1;

  if (fd >= 0 &&
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
    cp_log_warn("apiserver", "cannot set TCP_NODELAY on the listener: %s",
                strerror(errno));
}

static int bound_port(struct evhttp_bound_socket *h) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  evutil_socket_t fd = evhttp_bound_socket_get_fd(h);

  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
    return -1;
  if (ss.ss_family == AF_INET)
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
  return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int write_kubeconfig(const char *path, const char *server,
                            const char *ca_file, const char *token,
                            char **errmsg) {
  char *tmp = NULL, *ca = NULL;
  FILE *f;
  int ok, fd;

  if (asprintf(&tmp, "%s.tmp", path) < 0)
    return -1;
  if (ca_file != NULL && (ca = cp_pki_file_base64(ca_file)) == NULL) {
    if (asprintf(errmsg, "cannot read CA file %s for the kubeconfig",
                 ca_file) < 0)
      *errmsg = NULL;
    free(tmp);
    return -1;
  }
  /* It holds the admin token: owner-only. */
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (f == NULL) {
    if (asprintf(errmsg, "cannot write kubeconfig %s: %s", tmp,
                 strerror(errno)) < 0)
      *errmsg = NULL;
    if (fd >= 0)
      close(fd);
    free(tmp);
    free(ca);
    return -1;
  }
  fprintf(f, "apiVersion: v1\nkind: Config\nclusters:\n- name: cplane\n"
             "  cluster:\n    server: %s\n", server);
  if (ca != NULL)
    fprintf(f, "    certificate-authority-data: %s\n", ca);
  fprintf(f, "contexts:\n- name: cplane\n  context:\n    cluster: cplane\n"
             "    user: admin\n    namespace: default\n"
             "current-context: cplane\nusers:\n- name: admin\n");
  if (token != NULL)
    fprintf(f, "  user:\n    token: %s\n", token);
  else
    fprintf(f, "  user: {}\n");
  free(ca);
  ok = fclose(f) == 0 && rename(tmp, path) == 0;
  if (!ok && asprintf(errmsg, "cannot write kubeconfig %s: %s", path,
                      strerror(errno)) < 0)
    *errmsg = NULL;
  free(tmp);
  return ok ? 0 : -1;
}

/* The namespaces every cluster starts with. */
static void create_default_namespaces(struct cp_apiserver *s) {
  size_t i;

  for (i = 0; cp_system_namespaces[i] != NULL; i++)
    cp_namespace_ensure(&s->ctx, cp_system_namespaces[i]);
}

static void free_server(struct cp_apiserver *s) {
  servers_remove(s);
  if (s->http != NULL)
    evhttp_free(s->http);
  cp_gates_free(s->gates); /* after evhttp has freed its connections */
  if (s->done_ev != NULL)
    event_free(s->done_ev);
  if (s->accept_resume_ev != NULL)
    event_free(s->accept_resume_ev);
  if (s->base != NULL)
    event_base_free(s->base);
  cp_openapi_v2_free(s->openapi_v2);
  cp_resources_free(s->ctx.resources);
  cp_ns_cache_free(s->ctx.ns_cache);
  cp_pc_cache_free(s->ctx.pc_cache);
  cp_ns_cache_free(s->ctx.sa_cache);
  cp_ns_cache_free(s->ctx.psa_cache);
  cp_psa_exemptions_free(s->ctx.psa_exempt);
  cp_policy_cache_free(s->ctx.policy_cache);
  cp_quota_versions_free(s->ctx.quota_versions);
  cp_svc_alloc_free(s->ctx.svc_alloc);
  if (s->ssl_ctx != NULL)
    SSL_CTX_free(s->ssl_ctx);
  cp_auth_free(s->auth);
  cp_authn_free(s->ctx.authn);
  cp_api_metrics_free(s->metrics);
  cp_audit_free(s->audit); /* writes what is queued */
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s->workers);
  free(s);
}

int cp_apiserver_start(const struct cp_apiserver_config *cfg,
                       struct cp_apiserver **out, char **errmsg) {
  struct cp_apiserver *s;
  struct evhttp_bound_socket *h;
  const char *addr = cfg->address ? cfg->address : "127.0.0.1";
  char url[128];
  int64_t crd_rev;
  int i;

  *out = NULL;
  *errmsg = NULL;
  pthread_once(&evthread_once, init_evthread);
  cp_net_ignore_sigpipe(); /* a client gone mid-response, in any embedder */
  raise_fd_limit();
  if (cfg->store == NULL) {
    *errmsg = strdup("apiserver: no store");
    return CPLANE_EINVAL;
  }
  if ((s = calloc(1, sizeof *s)) == NULL)
    return CPLANE_ENOMEM;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  s->ssl_ctx = cfg->ssl_ctx;
  s->auth = cfg->auth;
  s->ctx.authn = cfg->authn;
  s->ctx.store = cfg->store;
  s->max_body = cfg->max_body ? cfg->max_body : DEFAULT_MAX_BODY;
  s->read_header_timeout_ms = cfg->read_header_timeout_ms
                                  ? cfg->read_header_timeout_ms
                                  : DEFAULT_READ_HEADER_TIMEOUT_MS;
  {
    uint64_t ms =
        cfg->idle_timeout_ms ? cfg->idle_timeout_ms : DEFAULT_IDLE_TIMEOUT_MS;

    s->idle_tv.tv_sec = (time_t)(ms / 1000);
    s->idle_tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
  }
  s->n_workers = cfg->workers > 0 ? cfg->workers : DEFAULT_WORKERS;
  s->ctx.resources = cp_resources_new();
  s->openapi_v2 = s->ctx.resources ? cp_openapi_v2_new(s->ctx.resources)
                                   : NULL;
  s->ctx.ns_cache = cp_ns_cache_new(); /* NULL: admission reads the store */
  s->ctx.pc_cache = cp_pc_cache_new(); /* the same */
  s->ctx.sa_cache = cp_ns_cache_new(); /* the same (ServiceAccounts) */
  s->ctx.psa_cache = cp_ns_cache_new(); /* the same (PodSecurity) */
  s->ctx.psa_exempt = cp_psa_exemptions_new(cfg->psa_exempt_users,
                                            cfg->psa_exempt_namespaces,
                                            cfg->psa_exempt_runtime_classes);
  {
    char bad[64];

    if (cp_admission_off_parse(cfg->disable_admission_plugins,
                               &s->ctx.admission_off, bad, sizeof bad) < 0) {
      if (asprintf(errmsg, "apiserver: disable_admission_plugins: unknown "
                           "admission plugin \"%s\" (known: ServiceAccount, "
                           "PodSecurity)", bad) < 0)
        *errmsg = NULL;
      free_server(s);
      return CPLANE_EINVAL;
    }
  }
  s->ctx.policy_cache = cp_policy_cache_new(); /* the same */
  s->ctx.quota_versions = cp_quota_versions_new(); /* the same */
  /* kube's --audit-policy-file: a bad one fails the start. */
  if (cp_audit_new(&cfg->audit, &s->audit, errmsg) < 0) {
    free_server(s);
    return CPLANE_EINVAL;
  }
  s->ctx.not_ready_toleration_seconds =
      cfg->default_not_ready_toleration_seconds;
  s->ctx.unreachable_toleration_seconds =
      cfg->default_unreachable_toleration_seconds;
  s->ctx.svc_alloc =
      cp_svc_alloc_new(cfg->service_cidr, cfg->service_node_port_range);
  if (s->ctx.svc_alloc == NULL) {
    if (asprintf(errmsg, "apiserver: bad service_cidr '%s' or "
                         "service_node_port_range '%s'",
                 cfg->service_cidr ? cfg->service_cidr : CP_SVC_DEFAULT_CIDR,
                 cfg->service_node_port_range ? cfg->service_node_port_range
                                              : CP_SVC_DEFAULT_PORTS) < 0)
      *errmsg = NULL;
    free_server(s);
    return CPLANE_EINVAL;
  }
  s->metrics = cp_api_metrics_new();
  s->base = event_base_new();
  /* Three priorities: replies first (0), then reading requests (1, the
   * default), then watch streams (2). Under a flood of watch events a
   * writer's reply still goes out at once, and each stream's events are
   * coalesced into fewer, larger writes. */
  if (s->base != NULL)
    event_base_priority_init(s->base, 3);
  s->http = s->base ? evhttp_new(s->base) : NULL;
  s->done_ev = s->base ? event_new(s->base, -1, 0, on_done, s) : NULL;
  if (s->done_ev != NULL)
    event_priority_set(s->done_ev, 0);
  s->accept_resume_ev = s->base ? evtimer_new(s->base, on_accept_resume, s)
                                : NULL;
  s->workers = calloc((size_t)s->n_workers, sizeof *s->workers);
  if (s->ctx.resources == NULL || s->openapi_v2 == NULL || s->http == NULL ||
      s->done_ev == NULL ||
      s->accept_resume_ev == NULL || s->workers == NULL ||
      s->metrics == NULL) {
    free_server(s);
    return CPLANE_ENOMEM;
  }
  evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
                                          EVHTTP_REQ_PUT |
                                          EVHTTP_REQ_PATCH |
                                          EVHTTP_REQ_DELETE |
                                          EVHTTP_REQ_HEAD);
  /* Bodies over max_body get a Status from us; only absurd ones are cut
   * off by evhttp itself. */
  evhttp_set_max_body_size(s->http, HARD_MAX_BODY > s->max_body
                                        ? HARD_MAX_BODY
                                        : s->max_body + 1);
  evhttp_set_gencb(s->http, on_request, s);
  if (s->auth != NULL) {
    struct cp_gate_config gc = {s->read_header_timeout_ms, admit, s};

    if ((s->gates = cp_gates_new(&gc)) == NULL) {
      free_server(s);
      return CPLANE_ENOMEM;
    }
  }
  if (s->ssl_ctx != NULL || s->auth != NULL)
    evhttp_set_bevcb(s->http, new_bev, s);
  /* The gate answers heads over its limit with 431; past an open gate
   * evhttp's own limit (a 400) still bounds them. */
  evhttp_set_max_headers_size(s->http, CP_GATE_MAX_HEADER_BYTES + 65536);
  evhttp_set_timeout_tv(s->http, &s->idle_tv);
  h = evhttp_bind_socket_with_handle(s->http, addr, (ev_uint16_t)cfg->port);
  if (h == NULL) {
    if (asprintf(errmsg, "apiserver: cannot listen on %s:%d: %s", addr,
                 cfg->port, strerror(errno)) < 0)
      *errmsg = NULL;
    free_server(s);
    return CPLANE_ERR;
  }
  s->port = bound_port(h);
  nodelay_listener(h);
  s->listener = evhttp_bound_socket_get_listener(h);
  servers_add(s);
  evconnlistener_set_error_cb(s->listener, on_accept_error);
  snprintf(s->ctx.server_address, sizeof s->ctx.server_address, "%s:%d",
           addr, s->port);
  s->watches = cp_watch_registry_new(
      s->base, &s->ctx,
      &(struct cp_watch_limits){.stream_bytes = cfg->watch_stream_bytes,
                                .cache_bytes = cfg->watch_cache_bytes},
      submit_watch_job, s);
  if (s->watches == NULL) {
    free_server(s);
    return CPLANE_ENOMEM;
  }
  for (i = 0; i < s->n_workers; i++)
    if (pthread_create(&s->workers[i], NULL, worker_main, s) != 0)
      break;
  s->n_workers = i;
  crd_rev = 0;
  if (cp_crd_load_all(&s->ctx, &crd_rev) < 0) {
    cp_log_warn("apiserver", "cannot read the stored custom resource "
                             "definitions; their resources are not served "
                             "until a retry succeeds");
  }
  /* Admission webhooks: at most half the workers wait on them at once.
   * Set before any thread that writes (the signer, the aggregator, the
   * CRD loops) starts: their writes read ctx.webhooks and ctx.vap. */
  if ((s->ctx.webhooks = cp_webhooks_start(&s->ctx, s->n_workers / 2)) ==
      NULL) {
    *errmsg = strdup("apiserver: cannot start the admission webhooks");
    cp_apiserver_stop(s);
    return CPLANE_ENOMEM;
  }
  /* ValidatingAdmissionPolicies: read and watched like the webhooks. */
  if ((s->ctx.vap = cp_vap_set_start(&s->ctx)) == NULL) {
    *errmsg = strdup("apiserver: cannot start the admission policies");
    cp_apiserver_stop(s);
    return CPLANE_ENOMEM;
  }
  /* CertificateSigningRequests signed by the cluster CA. */
  if (cfg->csr_signing_cert != NULL &&
      cp_csr_signer_start(&s->ctx, cfg->csr_signing_cert,
                          cfg->csr_signing_key,
                          cfg->csr_signing_seconds) == NULL) {
    *errmsg = strdup("apiserver: cannot start the certificate signer");
    cp_apiserver_stop(s);
    return CPLANE_ENOMEM;
  }
  /* APIServices with a service: routes, discovery, Available. */
  if ((s->aggregator = cp_aggregator_start(
           &s->ctx, &(struct cp_aggregator_config){
                        cfg->proxy_client_cert, cfg->proxy_client_key,
                        cfg->proxy_ca_file, cfg->client_ca_file})) == NULL) {
    *errmsg = strdup("apiserver: cannot start the API aggregator");
    cp_apiserver_stop(s);
    return CPLANE_ENOMEM;
  }
  /* Before the sync, which kicks it. */
  if ((s->crd_cleanup = cp_crd_cleanup_start(&s->ctx)) == NULL) {
    *errmsg = strdup("apiserver: cannot start the custom resource "
                     "definition cleanup");
    cp_apiserver_stop(s);
    return CPLANE_ENOMEM;
  }
  /* Other API servers on the store may define or delete CRDs. */
  if ((s->crd_sync = cp_crd_sync_start(&s->ctx, crd_rev)) == NULL) {
    *errmsg = strdup("apiserver: cannot start the custom resource "
                     "definition watch");
    cp_apiserver_stop(s);
    return CPLANE_ENOMEM;
  }
  create_default_namespaces(s);
  cp_priority_class_bootstrap(&s->ctx);
  cp_rbac_bootstrap(&s->ctx);
  /* The [authz.*] rules as RBAC objects, then RBAC decides everything
   * (loaded before the loop answers anyone). */
  cp_rbac_ini_reconcile(&s->ctx, s->auth);
  if ((s->ctx.rbac = cp_rbac_start(&s->ctx)) == NULL) {
    *errmsg = strdup("apiserver: cannot start the RBAC authorizer");
    cp_apiserver_stop(s);
    return CPLANE_ENOMEM;
  }
  if (s->auth != NULL)
    cp_auth_set_rbac(s->auth, s->ctx.rbac);
  cp_svc_bootstrap(&s->ctx,
                   strcmp(addr, "0.0.0.0") == 0 ? "127.0.0.1" : addr,
                   s->port);
  snprintf(url, sizeof url, "%s://%s:%d", s->ssl_ctx ? "https" : "http",
           strcmp(addr, "0.0.0.0") == 0 ? "127.0.0.1" : addr, s->port);
  if (cfg->kubeconfig_path != NULL &&
      write_kubeconfig(cfg->kubeconfig_path, url, cfg->ca_file,
                       cfg->admin_token, errmsg) < 0) {
    cp_apiserver_stop(s);
    return CPLANE_ERR;
  }
  if (pthread_create(&s->loop, NULL, loop_main, s) != 0) {
    *errmsg = strdup("apiserver: cannot start the event loop thread");
    cp_apiserver_stop(s);
    return CPLANE_ERR;
  }
  cp_log_info("apiserver", "serving the Kubernetes API on %s (store: %s, "
                           "%d workers)%s%s",
              url, cp_store_backend_name(cfg->store), s->n_workers,
              cfg->kubeconfig_path ? "; kubeconfig: " : "",
              cfg->kubeconfig_path ? cfg->kubeconfig_path : "");
  *out = s;
  return CPLANE_OK;
}

int cp_apiserver_port(const struct cp_apiserver *s) { return s->port; }

static void stop_loop_cb(evutil_socket_t fd, short what, void *arg) {
  struct cp_apiserver *s = arg;

  (void)fd;
  (void)what;
  event_base_loopbreak(s->base);
}

void cp_apiserver_stop(struct cp_apiserver *s) {
  int i;

  if (s == NULL)
    return;
  /* Its callbacks use the registry, freed below. */
  cp_crd_sync_stop(s->crd_sync);
  s->crd_sync = NULL;
  if (s->loop != 0) {
    event_base_once(s->base, -1, EV_TIMEOUT, stop_loop_cb, s, NULL);
    pthread_join(s->loop, NULL);
  }
  pthread_mutex_lock(&s->mu);
  s->stopping = 1;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  for (i = 0; i < s->n_workers; i++)
    pthread_join(s->workers[i], NULL);
  /* Its requests use the store and registry; nothing kicks it now. */
  cp_crd_cleanup_stop(s->crd_cleanup);
  s->crd_cleanup = NULL;
  /* They write through admission: gone before the webhooks and
   * policies they read. */
  cp_csr_signer_stop(s->ctx.csr_signer);
  s->ctx.csr_signer = NULL;
  cp_aggregator_stop(s->aggregator);
  s->aggregator = NULL;
  /* Its aggregation writes through the handlers and the store. */
  cp_rbac_stop(s->ctx.rbac);
  s->ctx.rbac = NULL;
  /* No worker calls a webhook any more. */
  cp_webhooks_stop(s->ctx.webhooks);
  s->ctx.webhooks = NULL;
  cp_vap_set_stop(s->ctx.vap);
  s->ctx.vap = NULL;
  /* Workers are gone: finish their replies, then end the watches. */
  on_done(-1, 0, s);
  cp_watch_registry_free(s->watches);
  /* Closed connections' TLS bufferevents are finalized by the base's
   * callbacks: run them before the base goes, or their SSLs leak. */
  event_base_loop(s->base, EVLOOP_NONBLOCK);
  free_server(s);
}
