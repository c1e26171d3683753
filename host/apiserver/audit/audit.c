/*
 * audit - the audit log on the request path (see audit.h), after
 * k8s.io/apiserver's endpoints/filters/audit.go (WithAudit,
 * WithFailedAuthenticationAudit) and pkg/audit/request.go.
 */
#include "apiserver/audit/audit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "apiserver/audit/event.h"
#include "apiserver/audit/log.h"
#include "apiserver/audit/policy.h"
#include "apiserver/audit/request_object.h"
#include "apiserver/query.h"
#include "apiserver/request_info.h"
#include "apiserver/resources.h"
#include "apiserver/user_json.h"
#include "apiserver/verbs.h"

#define MAX_SOURCE_IPS 16

struct cp_audit {
  struct cp_audit_policy *policy;
  struct cp_audit_log *log;
};

/* The event whose reply the loop sends next (cp_audit_reply matches its
 * request); loop thread only. Cleared when used or when its event ends,
 * so it never outlives its event: events that end on other threads (a
 * watch's) have had their reply already. */
static __thread struct cp_audit_event *loop_ev;
/* The same for a failed authentication's event, gone once written: the
 * ID the reply to loop_id_req carries. Loop thread only. */
static __thread const struct evhttp_request *loop_id_req;
static __thread char loop_id[CP_AUDIT_ID_MAX + 1];

/* ------------------------------------------------------------ set-up */

int cp_audit_new(const struct cp_audit_config *cfg, struct cp_audit **out,
                 char **err) {
  struct cp_audit_log_config lc = {0};
  struct cp_audit *a;

  *out = NULL;
  *err = NULL;
  if (cfg->policy_file == NULL || cfg->policy_file[0] == '\0')
    return 0;
  if ((a = calloc(1, sizeof *a)) == NULL) {
    *err = strdup("audit: out of memory");
    return -1;
  }
  if (cp_audit_policy_load(cfg->policy_file, &a->policy, err) < 0)
    goto fail;
  lc.path = cfg->log_path;
  lc.max_bytes = cfg->max_bytes;
  lc.max_backups = cfg->max_backups;
  lc.max_age_days = cfg->max_age_days;
  if (lc.path != NULL && lc.path[0] != '\0' &&
      cp_audit_log_open(&lc, &a->log, err) < 0)
    goto fail;
  *out = a;
  return 0;
fail:
  cp_audit_free(a);
  return -1;
}

void cp_audit_free(struct cp_audit *a) {
  if (a == NULL)
    return;
  cp_audit_log_close(a->log);
  cp_audit_policy_free(a->policy);
  free(a);
}

int cp_audit_metrics_write(struct cp_audit *a, FILE *f) {
  return a != NULL && a->log != NULL ? cp_audit_log_metrics_write(a->log, f)
                                     : 0;
}

/* ------------------------------------------------------------ helpers */

static int64_t now_us(void) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void emit(struct cp_audit_event *ev, unsigned bit,
                 const char *stage) {
  char *line;
  size_t len = 0;

  if ((ev->omit_stages & bit) || ev->owner->log == NULL)
    return;
  line = cp_audit_event_json(ev, stage, now_us(), &len);
  if (line != NULL)
    (void)cp_audit_log_write(ev->owner->log, line, len);
  free(line);
}

static char *dup_or_null(const char *s) {
  return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

void cp_audit_choose_id(const char *sent, char *buf, size_t len) {
  size_t i, n = sent != NULL ? strnlen(sent, CP_AUDIT_ID_MAX + 1) : 0;

  for (i = 0; i < n && (unsigned char)sent[i] >= 0x20 && sent[i] != 0x7f;
       i++)
    ;
  if (n > 0 && n <= CP_AUDIT_ID_MAX && i == n && n < len)
    snprintf(buf, len, "%s", sent);
  else
    cp_verbs_new_uid(buf, len);
}

static const char *header(struct evhttp_request *req, const char *name) {
  return req ? evhttp_find_header(evhttp_request_get_input_headers(req),
                                  name)
             : NULL;
}

static void add_ip(json_object *a, const char *ip) {
  unsigned char b[16];
  size_t n = json_object_array_length(a);

  if (n >= MAX_SOURCE_IPS || (inet_pton(AF_INET, ip, b) != 1 &&
                              inet_pton(AF_INET6, ip, b) != 1))
    return;
  json_object_array_add(a, json_object_new_string(ip));
}

static int last_is(json_object *a, const char *ip) {
  size_t n = json_object_array_length(a);

  return n > 0 &&
         strcmp(json_object_get_string(json_object_array_get_idx(a, n - 1)),
                ip) == 0;
}

/* kube's utilnet.SourceIPs: X-Forwarded-For, X-Real-Ip, then the peer. */
static json_object *source_ips(const char *xff, const char *real, int fd) {
  json_object *a = json_object_new_array();
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  char ip[INET6_ADDRSTRLEN], part[64];

  if (a == NULL)
    return NULL;
  while (xff != NULL && *xff != '\0') {
    size_t n = strcspn(xff, ","), s = 0;

    while (s < n && xff[s] == ' ')
      s++;
    if (n - s < sizeof part) {
      memcpy(part, xff + s, n - s);
      part[n - s] = '\0';
      part[strcspn(part, " ")] = '\0';
      add_ip(a, part);
    }
    xff = xff[n] ? xff + n + 1 : xff + n;
  }
  if (real != NULL && !last_is(a, real))
    add_ip(a, real);
  if (fd >= 0 && getpeername(fd, (struct sockaddr *)&ss, &sl) == 0 &&
      ((ss.ss_family == AF_INET &&
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip,
                  sizeof ip)) ||
       (ss.ss_family == AF_INET6 &&
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip,
                  sizeof ip))) &&
      !last_is(a, ip))
    add_ip(a, ip);
  return a;
}

static int fd_of(struct evhttp_request *req) {
  struct evhttp_connection *c = evhttp_request_get_connection(req);
  struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;

  return bev ? (int)bufferevent_getfd(bev) : -1;
}

static void set_ref(struct cp_audit_event *ev,
                    const struct cp_request_info *ri) {
  ev->has_ref = 1;
  ev->resource = dup_or_null(ri->resource);
  ev->ns = dup_or_null(ri->ns);
  ev->name = dup_or_null(ri->name);
  ev->group = dup_or_null(ri->group);
  ev->version = dup_or_null(ri->version);
  ev->subresource = dup_or_null(ri->subresource);
}

/* kube's LogRequestObject: the object a handler decoded (obj) completes
 * the reference with what the URL did not give. */
static void complete_ref_from(struct cp_audit_event *ev, json_object *obj) {
  static const char *const keys[] = {"namespace", "name", "uid",
                                     "resourceVersion"};
  char **slots[] = {&ev->ns, &ev->name, &ev->uid, &ev->rv};
  json_object *md, *v;
  size_t i;

  if (!ev->has_ref || obj == NULL ||
      !json_object_object_get_ex(obj, "metadata", &md) ||
      !json_object_is_type(md, json_type_object))
    return;
  for (i = 0; i < 4; i++)
    if (*slots[i] == NULL && json_object_object_get_ex(md, keys[i], &v) &&
        json_object_is_type(v, json_type_string))
      *slots[i] = dup_or_null(json_object_get_string(v));
}

/* ------------------------------------------------------------ stages */

/* What an event starts from (kube's NewEventFromRequest): the request
 * as received, and its user once authenticated (NULL: it failed). */
struct seen {
  enum cp_api_method method;
  const char *target; /* as sent, query included */
  const char *path;   /* decoded */
  int watch;
  const char *user_agent, *forwarded_for, *real_ip, *id;
  int fd;
  const struct cp_api_user *user;
};

/* kube's maybeTruncateUserAgent. */
#define MAX_USER_AGENT 1024
#define USER_AGENT_CUT "...TRUNCATED"

static char *user_agent(const char *ua) {
  char *s;

  if (ua == NULL || ua[0] == '\0' || strlen(ua) <= MAX_USER_AGENT)
    return dup_or_null(ua);
  if ((s = malloc(MAX_USER_AGENT + sizeof USER_AGENT_CUT)) == NULL)
    return NULL;
  memcpy(s, ua, MAX_USER_AGENT);
  memcpy(s + MAX_USER_AGENT, USER_AGENT_CUT, sizeof USER_AGENT_CUT);
  return s;
}

/* The policy's level for r and, unless None, a new event with what is
 * known before the handler runs. NULL: not audited (or out of memory). */
static struct cp_audit_event *start_event(struct cp_audit *a,
                                          const struct seen *r) {
  struct cp_audit_attrs at = {0};
  struct cp_audit_decision d;
  struct cp_request_info ri;
  struct cp_audit_event *ev = NULL;

  if (cp_request_info_parse(r->method, r->path, r->watch, &ri) < 0)
    return NULL;
  /* No user: users and userGroups rules never match. */
  at.user = r->user && r->user->name ? r->user->name : "";
  at.groups = r->user ? r->user->groups : NULL;
  at.n_groups = r->user ? r->user->n_groups : 0;
  at.verb = ri.verb;
  at.resource_request = ri.resource_request;
  at.group = ri.group;
  at.resource = ri.resource;
  at.subresource = ri.subresource;
  at.ns = ri.ns;
  at.name = ri.name;
  at.path = ri.path;
  cp_audit_policy_decide(a->policy, &at, &d);
  if (d.level == CP_AUDIT_NONE || (ev = cp_audit_event_new()) == NULL)
    goto out;
  ev->owner = a;
  ev->level = d.level;
  ev->omit_stages = d.omit_stages;
  ev->omit_managed_fields = d.omit_managed_fields;
  snprintf(ev->id, sizeof ev->id, "%s", r->id);
  ev->received_us = now_us();
  ev->request_uri = strdup(r->target);
  ev->verb = strdup(ri.verb);
  ev->user_agent = user_agent(r->user_agent);
  ev->user = r->user ? cp_api_user_json(r->user) : NULL;
  ev->source_ips = source_ips(r->forwarded_for, r->real_ip, r->fd);
  ev->long_running = strcmp(ri.verb, "watch") == 0;
  if (ri.resource_request)
    set_ref(ev, &ri);
out:
  cp_request_info_clear(&ri);
  return ev;
}

/* r for an evhttp request read whole; id is its buffer. */
static void seen_request(struct seen *r, struct evhttp_request *req,
                         const struct cp_api_request *rq, char *id,
                         size_t id_len) {
  const char *uri = evhttp_request_get_uri(req);

  memset(r, 0, sizeof *r);
  cp_audit_choose_id(header(req, "Audit-ID"), id, id_len);
  r->method = rq->method;
  r->target = uri ? uri : rq->path;
  r->path = rq->path;
  r->watch = cp_query_bool(&rq->query, "watch");
  r->user_agent = rq->user_agent;
  r->forwarded_for = header(req, "X-Forwarded-For");
  r->real_ip = header(req, "X-Real-Ip");
  r->id = id;
  r->fd = fd_of(req);
}

void cp_audit_begin(struct cp_audit *a, struct evhttp_request *req,
                    struct cp_api_request *rq) {
  char id[CP_AUDIT_ID_MAX + 1];
  struct cp_audit_event *ev;
  struct seen r;

  loop_ev = NULL;
  loop_id_req = NULL;
  if (a == NULL)
    return;
  seen_request(&r, req, rq, id, sizeof id);
  r.user = &rq->user;
  if ((ev = start_event(a, &r)) == NULL)
    return;
  ev->req = req;
  ev->handled = rq->user.name == NULL; /* no authorization: allowed */
  ev->post_or_put = rq->method == CP_API_POST || rq->method == CP_API_PUT;
  rq->audit = ev;
  loop_ev = ev;
  emit(ev, CP_AUDIT_STAGE_REQUEST_RECEIVED, "RequestReceived");
}

void cp_audit_impersonated(struct cp_api_request *rq) {
  struct cp_audit_event *ev = rq->audit;
  json_object *name;

  if (ev == NULL || rq->user.name == NULL)
    return;
  if (ev->user != NULL && json_object_object_get_ex(ev->user, "username",
                                                    &name) &&
      strcmp(json_object_get_string(name), rq->user.name) == 0)
    return;
  json_object_put(ev->impersonated);
  ev->impersonated = cp_api_user_json(&rq->user);
}

void cp_audit_authorized(const struct cp_api_request *rq, int allowed,
                         const char *reason) {
  struct cp_audit_event *ev = rq->audit;

  if (ev == NULL)
    return;
  cp_audit_event_annotate(ev, "authorization.k8s.io/decision",
                          allowed ? "allow" : "forbid");
  cp_audit_event_annotate(ev, "authorization.k8s.io/reason",
                          reason ? reason : "");
  ev->handled = allowed;
}

void cp_audit_annotate(const struct cp_api_request *rq, const char *key,
                       const char *value) {
  if (rq != NULL && rq->audit != NULL)
    cp_audit_event_annotate(rq->audit, key, value);
}

int cp_audit_annotate_map(const struct cp_api_request *rq, json_object *map,
                          const char *prefix) {
  char key[512];

  if (rq == NULL || rq->audit == NULL)
    return 0;
  if (map == NULL || !json_object_is_type(map, json_type_object))
    return 1;
  json_object_object_foreach(map, k, v) {
    if (!json_object_is_type(v, json_type_string))
      continue;
    if (prefix != NULL)
      snprintf(key, sizeof key, "%s/%s", prefix, k);
    cp_audit_event_annotate(rq->audit, prefix ? key : k,
                            json_object_get_string(v));
  }
  return 1;
}

static json_object *metadata_of(json_object *o) {
  json_object *md;

  return o != NULL && json_object_object_get_ex(o, "metadata", &md) &&
                 json_object_is_type(md, json_type_object)
             ? md
             : NULL;
}

/* Whether the client's body (JSON by now) named metadata.namespace. */
static int sent_namespace(const struct cp_api_request *rq) {
  json_object *o = cp_audit_event_object(rq->content_type, rq->body,
                                         rq->body_len, 0);
  int sent = metadata_of(o) != NULL &&
             json_object_object_get_ex(metadata_of(o), "namespace", NULL);

  json_object_put(o);
  return sent;
}

/* o with kind, apiVersion and metadata first and then its other members
 * in their order: Go's encoding writes TypeMeta and ObjectMeta first (an
 * absent ObjectMeta as an empty one), and its decoding set kind and
 * apiVersion from the URL when the body left them out. Takes o; NULL
 * when out of memory. */
static json_object *with_type_meta(json_object *o, const char *kind,
                                   const char *api_version) {
  json_object *out = json_object_new_object();

  if (out == NULL ||
      json_object_object_add(out, "kind", json_object_new_string(kind)) ||
      json_object_object_add(out, "apiVersion",
                             json_object_new_string(api_version)) ||
      json_object_object_add(out, "metadata",
                             metadata_of(o) != NULL
                                 ? json_object_get(metadata_of(o))
                                 : json_object_new_object())) {
    json_object_put(out);
    json_object_put(o);
    return NULL;
  }
  json_object_object_foreach(o, k, v) {
    if (strcmp(k, "kind") == 0 || strcmp(k, "apiVersion") == 0 ||
        strcmp(k, "metadata") == 0)
      continue;
    if (json_object_object_add(out, k, json_object_get(v)) != 0) {
      json_object_put(out);
      out = NULL;
      break;
    }
  }
  json_object_put(o);
  return out;
}

/* The decoded object as kube's encodeObject writes it: a typed object
 * (kind not NULL: a built-in kind, a Scale, a review) has its kind and
 * apiVersion first, and its ObjectMeta "creationTimestamp":null until the
 * server sets it; the namespace from the URL is set after the object is
 * logged (kube's EnsureObjectNamespaceMatchesRequestNamespace): one the
 * client did not send is not there. Takes o; returns what to log (NULL:
 * nothing). */
static json_object *as_kube_logs(const struct cp_api_request *rq,
                                 json_object *o, const char *kind,
                                 const char *api_version) {
  json_object *md;

  if (kind != NULL) {
    if ((o = with_type_meta(o, kind, api_version)) == NULL)
      return NULL;
    if ((md = metadata_of(o)) != NULL &&
        !json_object_object_get_ex(md, "creationTimestamp", NULL))
      json_object_object_add(md, "creationTimestamp", NULL);
  }
  md = metadata_of(o);
  if (md != NULL && json_object_object_get_ex(md, "namespace", NULL) &&
      !sent_namespace(rq))
    json_object_object_del(md, "namespace");
  return o;
}

/* The kind and apiVersion (into buf) Go decoded rq's body as; NULL for a
 * custom resource, decoded as it came. */
static const char *typed_kind(const struct cp_api_request *rq, char *buf,
                              size_t len) {
  const struct cp_resource_type *t = rq->type;

  if (rq->subresource != NULL && strcmp(rq->subresource, "scale") == 0) {
    snprintf(buf, len, "autoscaling/v1");
    return "Scale";
  }
  if (t == NULL || !t->builtin)
    return NULL;
  snprintf(buf, len, "%s%s%s", t->group, t->group[0] ? "/" : "", t->version);
  return t->kind;
}

/* kube's LogRequestObject with o decoded as kube logs it (taken; NULL:
 * nothing to log): the reference completed from it, and at Request level
 * and above the event's requestObject. */
static void log_decoded(struct cp_audit_event *ev, json_object *o) {
  json_object *md;

  if (o == NULL)
    return;
  complete_ref_from(ev, o);
  if (ev->level < CP_AUDIT_REQUEST) {
    json_object_put(o);
    return;
  }
  if (ev->omit_managed_fields && (md = metadata_of(o)) != NULL)
    json_object_object_del(md, "managedFields");
  json_object_put(ev->request_object);
  ev->request_object = o;
}

/* o (only read) as decoded into kind (NULL: untyped): the objectRef
 * completed from it, and at Request level and above a copy logged. */
static void log_copy(const struct cp_api_request *rq, json_object *o,
                     const char *kind, const char *api_version) {
  struct cp_audit_event *ev = rq->audit;
  json_object *copy = NULL;

  if (ev->level < CP_AUDIT_REQUEST) {
    complete_ref_from(ev, o);
    return;
  }
  if (json_object_deep_copy(o, &copy, NULL) != 0) {
    json_object_put(copy);
    return; /* out of memory: left out */
  }
  log_decoded(ev, as_kube_logs(rq, copy, kind, api_version));
}

void cp_audit_request_object(const struct cp_api_request *rq,
                             json_object *o) {
  char api_version[320];
  const char *kind;

  if (rq->audit == NULL || o == NULL || !rq->audit->post_or_put)
    return; /* a patch is logged as sent (kube's LogRequestPatch) */
  kind = typed_kind(rq, api_version, sizeof api_version);
  log_copy(rq, o, kind, api_version);
}

void cp_audit_review_object(const struct cp_api_request *rq, json_object *o,
                            const char *kind, const char *api_version) {
  if (rq->audit != NULL && o != NULL)
    log_copy(rq, o, kind, api_version);
}

void cp_audit_request_patch(const struct cp_api_request *rq) {
  struct cp_audit_event *ev = rq->audit;

  if (ev == NULL || ev->level < CP_AUDIT_REQUEST)
    return;
  json_object_put(ev->request_object);
  ev->request_object = cp_audit_event_object(
      rq->content_type, rq->body, rq->body_len, ev->omit_managed_fields);
}

void cp_audit_delete_options(const struct cp_api_request *rq,
                             json_object *body) {
  struct cp_audit_event *ev = rq->audit;

  /* DeleteOptions have no metadata to complete the reference with. */
  if (ev == NULL || body == NULL || ev->level < CP_AUDIT_REQUEST ||
      ev->request_object != NULL)
    return;
  ev->request_object = cp_audit_decoded_delete_options(body);
}

void cp_audit_subresource_object(const struct cp_api_request *rq,
                                 json_object *body) {
  struct cp_audit_event *ev = rq->audit;

  if (ev == NULL || body == NULL)
    return;
  log_decoded(ev, cp_audit_decoded_subresource(rq->subresource, body));
}

void cp_audit_handled(struct cp_api_request *rq,
                      const struct cp_api_response *rs) {
  struct cp_audit_event *ev = rq->audit;

  if (ev == NULL)
    return;
  cp_audit_event_response(ev, rs->code, rs->content_type, rs->body,
                          rs->len);
  ev->response_recorded = 1;
}

void cp_audit_reply_to(struct cp_api_request *rq) { loop_ev = rq->audit; }

void cp_audit_reply(struct evhttp_request *req, int code, const char *ctype,
                    const char *body, size_t len) {
  struct cp_audit_event *ev = loop_ev;
  char id[CP_AUDIT_ID_MAX + 1];
  struct evkeyvalq *out = evhttp_request_get_output_headers(req);

  if (ev == NULL || ev->req != req) {
    if (loop_id_req == req)
      snprintf(id, sizeof id, "%s", loop_id);
    else
      cp_audit_choose_id(header(req, "Audit-ID"), id, sizeof id);
    loop_id_req = NULL;
    evhttp_add_header(out, "Audit-Id", id);
    return;
  }
  loop_ev = NULL;
  evhttp_add_header(out, "Audit-Id", ev->id);
  if (!ev->handled) { /* kube logs no request object it never read */
    json_object_put(ev->request_object);
    ev->request_object = NULL;
  }
  if (!ev->response_recorded)
    cp_audit_event_response(ev, code, ctype, body, len);
  if (ev->long_running && !ev->started) {
    ev->started = 1;
    emit(ev, CP_AUDIT_STAGE_RESPONSE_STARTED, "ResponseStarted");
  }
}

void cp_audit_end(struct cp_audit_event *ev) {
  if (ev == NULL)
    return;
  if (loop_ev == ev)
    loop_ev = NULL;
  if (ev->response_status == NULL) {
    /* kube's "Connection closed early": nothing was written. */
    ev->response_status = json_object_new_object();
    if (ev->response_status != NULL) {
      json_object_object_add(ev->response_status, "metadata",
                             json_object_new_object());
      json_object_object_add(ev->response_status, "status",
                             json_object_new_string("Success"));
      json_object_object_add(
          ev->response_status, "message",
          json_object_new_string("Connection closed early"));
      json_object_object_add(ev->response_status, "code",
                             json_object_new_int(200));
    }
    if (ev->long_running && !ev->started)
      emit(ev, CP_AUDIT_STAGE_RESPONSE_STARTED, "ResponseStarted");
  }
  emit(ev, CP_AUDIT_STAGE_RESPONSE_COMPLETE, "ResponseComplete");
  cp_audit_event_free(ev);
}

/* ------------------------------------------------------------ 401 */

static enum cp_api_method method_named(const char *m) {
  static const char *const names[] = {"GET", "POST", "PUT", "PATCH",
                                      "DELETE"};
  int i;

  for (i = 0; i < 5; i++)
    if (strcmp(m, names[i]) == 0)
      return (enum cp_api_method)i;
  return CP_API_OTHER;
}

/* kube's getAuthMethods. */
static const char *auth_failure(const char *authorization, int has_cert) {
  int bearer = authorization != NULL &&
               strncasecmp(authorization, "Bearer ", 7) == 0;

  if (bearer && has_cert)
    return "Authentication failed, attempted: bearer, x509";
  if (bearer)
    return "Authentication failed, attempted: bearer";
  if (authorization != NULL && strncasecmp(authorization, "Basic ", 6) == 0)
    return "Authentication failed, attempted: basic";
  if (has_cert)
    return "Authentication failed, attempted: x509";
  return "Authentication failed, no credentials provided";
}

/* The event of a request that failed authentication: ResponseStarted
 * with the 401 and the methods attempted, as kube's failed-authentication
 * handler writes it. */
static void failed(struct cp_audit *a, const struct seen *r,
                   const char *authorization, int has_cert) {
  struct cp_audit_event *ev = start_event(a, r);
  json_object *st;

  if (ev == NULL)
    return;
  if ((st = json_object_new_object()) != NULL) {
    json_object_object_add(st, "metadata", json_object_new_object());
    json_object_object_add(
        st, "message",
        json_object_new_string(auth_failure(authorization, has_cert)));
    json_object_object_add(st, "code", json_object_new_int(401));
  }
  ev->response_status = st;
  ev->code = 401;
  emit(ev, CP_AUDIT_STAGE_RESPONSE_STARTED, "ResponseStarted");
  cp_audit_event_free(ev);
}

void cp_audit_failed_authn(struct cp_audit *a,
                           const struct cp_audit_refused *f) {
  struct cp_query query = {0};
  const char *q;
  size_t plen;
  char *raw = NULL, *path = NULL;
  struct seen r;

  if (a == NULL)
    return;
  memset(&r, 0, sizeof r);
  q = strchr(f->target, '?');
  plen = q ? (size_t)(q - f->target) : strlen(f->target);
  if ((raw = strndup(f->target, plen)) == NULL ||
      (path = evhttp_uridecode(raw[0] ? raw : "/", 0, NULL)) == NULL)
    goto out;
  (void)cp_query_parse(q ? q + 1 : NULL, &query); /* bad: none, as Go */
  r.method = method_named(f->method);
  r.target = f->target;
  r.path = path;
  r.watch = cp_query_bool(&query, "watch");
  r.user_agent = f->user_agent;
  r.forwarded_for = f->forwarded_for;
  r.real_ip = f->real_ip;
  r.id = f->id;
  r.fd = f->fd;
  failed(a, &r, f->authorization, f->has_cert);
out:
  cp_query_free(&query);
  free(path);
  free(raw);
}

void cp_audit_failed_request(struct cp_audit *a, struct evhttp_request *req,
                             const struct cp_api_request *rq) {
  struct seen r;

  if (a == NULL)
    return;
  seen_request(&r, req, rq, loop_id, sizeof loop_id);
  loop_id_req = req;
  failed(a, &r, header(req, "Authorization"), 0);
}
