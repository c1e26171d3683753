/*
 * aggregator - see aggregator.h. Discovery merging is discovery_merge.c;
 * this file holds the routing table, the availability loop and the
 * proxy entry.
 */
#include "apiserver/aggregator/aggregator.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/aggregator/aggregator_table.h"
#include "apiserver/aggregator/authn_configmap.h"
#include "apiserver/aggregator/proxy_call.h"
#include "apiserver/aggregator/proxy_stream.h"
#include "apiserver/aggregator/resolve.h"
#include "apiserver/internal_request.h"
#include "apiserver/query.h"
#include "apiserver/status.h"
#include "apiserver/strategy/platform_fields.h"
#include "apiserver/verbs.h"
#include "clock/deadline.h"
#include "log/log.h"

#define APISERVICE_PREFIX "apiservices/"
/* How often every APIService is resolved and checked. */
#define CHECK_MS 3000
/* A discovery check's and a proxied request's bounds. */
#define CHECK_TIMEOUT_MS 5000
#define PROXY_TIMEOUT_MS 30000
#define MAX_RESPONSE (64u << 20)
/* Proxied requests in flight at once: the rest get 503 rather than
 * take every worker from local requests. */
#define MAX_INFLIGHT 16

struct cp_aggregator {
  struct cp_api_ctx *ctx; /* borrowed */
  char *cert, *key;       /* front-proxy client, owned; may be NULL */
  char *fp_ca, *client_ca; /* published CAs, owned; may be NULL */
  int published;           /* the loop's: the ConfigMap is written */
  pthread_t thread;
  pthread_mutex_t mu; /* the table, stopping, inflight */
  pthread_cond_t cv;  /* CLOCK_MONOTONIC */
  int stopping;
  int inflight;
  struct cp_agg_table table; /* under mu */
};

/* --- one APIService --------------------------------------------------- */

/* The Available condition as stored, NULL when none. */
static json_object *available_of(json_object *svc) {
  json_object *cs = cp_plat_get(cp_plat_get(svc, "status", json_type_object),
                                "conditions", json_type_array);
  size_t i;

  for (i = 0; cs != NULL && i < json_object_array_length(cs); i++) {
    json_object *c = json_object_array_get_idx(cs, i);

    if (strcmp(cp_plat_str0(c, "type"), "Available") == 0)
      return c;
  }
  return NULL;
}

/* Writes the Available condition through /status when it changed (kube's
 * available controller: lastTransitionTime moves only with status). */
static void set_available(struct cp_aggregator *a, json_object *svc,
                          const char *name, int ok, const char *reason,
                          const char *msg) {
  json_object *was = available_of(svc), *st, *cs, *c;
  const char *status = ok ? "True" : "False", *text;
  char now[64];
  int code;

  if (was != NULL && strcmp(cp_plat_str0(was, "status"), status) == 0 &&
      strcmp(cp_plat_str0(was, "reason"), reason) == 0 &&
      strcmp(cp_plat_str0(was, "message"), msg) == 0)
    return;
  cp_verbs_now_rfc3339(now, sizeof now);
  if ((c = json_object_new_object()) == NULL)
    return;
  json_object_object_add(c, "type", json_object_new_string("Available"));
  json_object_object_add(c, "status", json_object_new_string(status));
  json_object_object_add(
      c, "lastTransitionTime",
      json_object_new_string(
          was != NULL && strcmp(cp_plat_str0(was, "status"), status) == 0 &&
                  cp_plat_str(was, "lastTransitionTime") != NULL
              ? cp_plat_str(was, "lastTransitionTime")
              : now));
  json_object_object_add(c, "reason", json_object_new_string(reason));
  json_object_object_add(c, "message", json_object_new_string(msg));
  st = json_object_new_object();
  cs = json_object_new_array();
  json_object_array_add(cs, c);
  json_object_object_add(st, "conditions", cs);
  json_object_object_add(svc, "status", st);
  text = json_object_to_json_string_ext(svc, JSON_C_TO_STRING_PLAIN);
  code = text == NULL ? 500
                      : cp_internal_request(a->ctx, "apiregistration.k8s.io",
                                            "v1", "apiservices", CP_API_PUT,
                                            NULL, name, "status", NULL, text,
                                            NULL);
  if (code != 200 && code != 409 && code != 404)
    cp_log_warn("apiserver", "apiservice %s: cannot set Available=%s (HTTP "
                "%d): will retry", name, status, code);
  else if (code == 200)
    cp_log_info("apiserver", "apiservice %s: Available=%s %s: %s", name,
                status, reason, msg);
}

/* Fills r's target from the APIService's spec (the endpoint not yet). */
static int route_of(struct cp_aggregator *a, json_object *spec,
                    json_object *svc, struct cp_agg_route *r) {
  const char *ca64 = cp_plat_str(spec, "caBundle");
  long long port = 443;
  size_t n = 0;

  memset(r, 0, sizeof *r);
  snprintf(r->group, sizeof r->group, "%s", cp_plat_str0(spec, "group"));
  snprintf(r->version, sizeof r->version, "%s",
           cp_plat_str0(spec, "version"));
  snprintf(r->svc_ns, sizeof r->svc_ns, "%s",
           cp_plat_str0(svc, "namespace"));
  snprintf(r->svc_name, sizeof r->svc_name, "%s", cp_plat_str0(svc, "name"));
  cp_plat_int(svc, "port", &port);
  r->svc_port = (int)port;
  r->target.insecure = cp_plat_bool(spec, "insecureSkipTLSVerify", 0);
  /* Both names are DNS labels (validated), well within the buffer. */
  if (snprintf(r->target.server_name, sizeof r->target.server_name,
               "%s.%s.svc", r->svc_name, r->svc_ns) < 0)
    return -1;
  r->target.client_cert = a->cert;
  r->target.client_key = a->key;
  if (ca64 != NULL && (r->ca_pem = (char *)cp_plat_b64_decode(ca64, &n)) ==
                          NULL)
    return -1;
  if (r->ca_pem != NULL) {
    char *z = realloc(r->ca_pem, n + 1);

    if (z == NULL)
      return -1;
    z[n] = '\0';
    r->ca_pem = z;
  }
  r->target.ca_pem = r->ca_pem;
  return 0;
}

/* Resolves and checks one APIService with a service; r gets its state. */
static void check(struct cp_aggregator *a, struct cp_agg_route *r,
                  const char **reason, char *msg, size_t len) {
  struct cp_agg_endpoint ep;
  struct cp_proxy_call c;
  struct cp_proxy_reply rep;
  char uri[400], url[600];

  if (cp_agg_resolve(a->ctx, r->svc_ns, r->svc_name, r->svc_port, &ep,
                     reason, msg, len) < 0)
    return;
  snprintf(r->target.host, sizeof r->target.host, "%s", ep.host);
  r->target.port = ep.port;
  snprintf(uri, sizeof uri, "/apis/%s/%s", r->group, r->version);
  snprintf(url, sizeof url, "https://%s%s%s:%d%s", strchr(ep.host, ':') ? "["
                                                                         : "",
           ep.host, strchr(ep.host, ':') ? "]" : "", ep.port, uri);
  memset(&c, 0, sizeof c);
  c.method = "GET";
  c.uri = uri;
  c.accept = "application/json";
  c.timeout_ms = CHECK_TIMEOUT_MS;
  c.max_bytes = MAX_RESPONSE;
  *reason = "FailedDiscoveryCheck";
  if (cp_proxy_do(&r->target, &c, &rep) < 0) {
    if (snprintf(msg, len, "failing or missing response from %s: Get "
                           "\"%s\": %s", url, url, rep.err) < 0)
      msg[0] = '\0';
    return;
  }
  if (rep.code < 200 || rep.code > 299) {
    if (snprintf(msg, len, "failing or missing response from %s: bad "
                           "status from %s: %d", url, url, rep.code) < 0)
      msg[0] = '\0';
    cp_proxy_reply_clear(&rep);
    return;
  }
  *reason = "Passed";
  snprintf(msg, len, "all checks passed");
  r->available = 1;
  r->resources = rep.body; /* the APIResourceList, for discovery */
  rep.body = NULL;
  cp_proxy_reply_clear(&rep);
}

/* One stored APIService: its route added to next (with a service), and
 * its condition kept. */
static void one(struct cp_aggregator *a, json_object *o,
                struct cp_agg_table *next) {
  json_object *spec = cp_plat_get(o, "spec", json_type_object);
  json_object *svc = cp_plat_get(spec, "service", json_type_object);
  const char *name = cp_plat_str(cp_plat_get(o, "metadata", json_type_object),
                                 "name"),
             *reason = "Local";
  char msg[1024] = "Local APIServices are always available";
  struct cp_agg_route r;

  if (name == NULL)
    return;
  if (svc == NULL) {
    set_available(a, o, name, 1, reason, msg);
    return;
  }
  if (route_of(a, spec, svc, &r) < 0) {
    cp_agg_route_clear(&r);
    return;
  }
  check(a, &r, &reason, msg, sizeof msg);
  set_available(a, o, name, r.available, reason, msg);
  if (cp_agg_table_add(next, &r) < 0)
    cp_agg_route_clear(&r);
}

static void pass(struct cp_aggregator *a) {
  cp_store_list_result res;
  struct cp_agg_table next, old;
  size_t i;
  int rc;

  memset(&res, 0, sizeof res);
  memset(&next, 0, sizeof next);
  rc = cp_store_list(a->ctx->store, APISERVICE_PREFIX,
                     strlen(APISERVICE_PREFIX), NULL, 0, 0, 0, &res);
  if (rc != CPLANE_OK) {
    cp_log_warn("apiserver", "cannot read the apiservices: %s; will retry",
                cp_store_strerror(rc));
    return;
  }
  for (i = 0; i < res.count; i++) {
    json_object *o = cp_api_parse_stored(NULL, &res.kvs[i]);

    if (o != NULL)
      one(a, o, &next);
    json_object_put(o);
  }
  cp_store_list_result_free(&res);
  if (!a->published)
    a->published = cp_authn_configmap_publish(a->ctx, a->client_ca,
                                              a->fp_ca) == 0;
  pthread_mutex_lock(&a->mu);
  old = a->table;
  a->table = next;
  pthread_mutex_unlock(&a->mu);
  cp_agg_table_clear(&old);
}

static void *loop_main(void *arg) {
  struct cp_aggregator *a = arg;
  struct timespec next;

  pthread_setname_np(pthread_self(), "api-aggregator"); /* top -H */
  pthread_mutex_lock(&a->mu);
  while (!a->stopping) {
    pthread_mutex_unlock(&a->mu);
    pass(a);
    cp_deadline_after_ms(CLOCK_MONOTONIC, CHECK_MS, &next);
    pthread_mutex_lock(&a->mu);
    while (!a->stopping)
      if (pthread_cond_timedwait(&a->cv, &a->mu, &next) == ETIMEDOUT)
        break;
  }
  pthread_mutex_unlock(&a->mu);
  return NULL;
}

static int dup_opt(char **to, const char *s) {
  return s == NULL || (*to = strdup(s)) != NULL;
}

struct cp_aggregator *cp_aggregator_start(
    struct cp_api_ctx *ctx, const struct cp_aggregator_config *cfg) {
  struct cp_aggregator *a = calloc(1, sizeof *a);
  pthread_condattr_t ca;

  if (a == NULL)
    return NULL;
  a->ctx = ctx;
  if (!dup_opt(&a->cert, cfg->client_cert) ||
      !dup_opt(&a->key, cfg->client_key) ||
      !dup_opt(&a->fp_ca, cfg->front_proxy_ca) ||
      !dup_opt(&a->client_ca, cfg->client_ca))
    goto fail;
  pthread_mutex_init(&a->mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&a->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&a->thread, NULL, loop_main, a) != 0) {
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    goto fail;
  }
  return a;
fail:
  free(a->cert);
  free(a->key);
  free(a->fp_ca);
  free(a->client_ca);
  free(a);
  return NULL;
}

void cp_aggregator_stop(struct cp_aggregator *a) {
  if (a == NULL)
    return;
  pthread_mutex_lock(&a->mu);
  a->stopping = 1;
  pthread_cond_signal(&a->cv);
  pthread_mutex_unlock(&a->mu);
  pthread_join(a->thread, NULL);
  cp_proxy_streams_end(a);
  cp_agg_table_clear(&a->table);
  pthread_cond_destroy(&a->cv);
  pthread_mutex_destroy(&a->mu);
  free(a->cert);
  free(a->key);
  free(a->fp_ca);
  free(a->client_ca);
  free(a);
}

/* --- routing ---------------------------------------------------------- */

/* Splits /apis/<g>/<v>[/...] into g and v; 0 when the path is not one. */
static int group_version(const char *path, char *g, size_t gl, char *v,
                         size_t vl) {
  const char *p, *slash;

  if (strncmp(path, "/apis/", 6) != 0)
    return 0;
  p = path + 6;
  if ((slash = strchr(p, '/')) == NULL || (size_t)(slash - p) >= gl ||
      slash == p)
    return 0;
  memcpy(g, p, (size_t)(slash - p));
  g[slash - p] = '\0';
  p = slash + 1;
  slash = strchr(p, '/');
  if ((slash ? (size_t)(slash - p) : strlen(p)) >= vl || *p == '\0' ||
      *p == '/')
    return 0;
  snprintf(v, vl, "%.*s", (int)(slash ? slash - p : (long)strlen(p)), p);
  return 1;
}

int cp_aggregator_owns(struct cp_aggregator *a, const char *path) {
  char g[256], v[64];
  int found;

  if (a == NULL || !group_version(path, g, sizeof g, v, sizeof v))
    return 0;
  pthread_mutex_lock(&a->mu);
  found = cp_agg_table_find(&a->table, g, v) != NULL;
  pthread_mutex_unlock(&a->mu);
  return found;
}

/* kube's proxyError: http.Error's plain text. */
static void plain(struct cp_api_response *rs, int code, const char *text) {
  rs->code = code;
  rs->content_type = "text/plain; charset=utf-8";
  rs->body = strdup(text);
  rs->len = rs->body != NULL ? strlen(rs->body) : 0;
}

/* The reply's content type as one of the static strings the server
 * sends (the body is passed through as it is). */
static const char *content_type_of(const char *ct) {
  if (ct == NULL)
    return "application/json";
  if (strncmp(ct, "application/vnd.kubernetes.protobuf", 35) == 0)
    return "application/vnd.kubernetes.protobuf";
  if (strncmp(ct, "application/json", 16) == 0)
    return "application/json";
  if (strncmp(ct, "application/yaml", 16) == 0)
    return "application/yaml";
  return "text/plain; charset=utf-8";
}

static const char *method_name(enum cp_api_method m) {
  static const char *const names[] = {"GET", "POST", "PUT", "PATCH",
                                      "DELETE"};

  return m <= CP_API_DELETE ? names[m] : "GET";
}

/* A watch, which kube counts among long-running requests: ?watch=true
 * (or 1) or the old /apis/<g>/<v>/watch/... paths. */
static int is_watch(const struct cp_api_request *rq) {
  const char *p = strchr(rq->path + 6, '/'); /* past /apis/<g> */

  p = p != NULL ? strchr(p + 1, '/') : NULL; /* past /<v> */
  return cp_query_bool(&rq->query, "watch") ||
         (p != NULL && strncmp(p, "/watch/", 7) == 0);
}

/* A watch: the head is read here, the body streams from the loop (see
 * proxy_stream.h). NULL with rs filled when it cannot. */
static struct cp_proxy_stream *open_stream(struct cp_aggregator *a,
                                           const struct cp_proxy_target *t,
                                           const struct cp_proxy_call *c,
                                           struct cp_api_response *rs) {
  struct cp_proxy_stream *st = cp_proxy_stream_new(a);
  struct cp_proxy_conn *conn;
  struct cp_proxy_reply rep;

  if (st == NULL) {
    cp_api_respond_status(
        rs, 503, cp_status_failuref(503, "too many watches of aggregated "
                                         "APIs open, please try again "
                                         "later"));
    return NULL;
  }
  if (cp_proxy_open(t, c, &conn, &rep) < 0) {
    cp_proxy_stream_free(st);
    cp_api_respond_status(rs, 503,
                          cp_status_failuref(503, "error trying to reach "
                                                  "service: %s", rep.err));
    return NULL;
  }
  rs->code = rep.code;
  rs->content_type = content_type_of(rep.content_type);
  cp_proxy_stream_attach(st, conn, rs->code, rs->content_type);
  cp_proxy_reply_clear(&rep);
  return st;
}

struct cp_proxy_stream *cp_aggregator_proxy(struct cp_aggregator *a,
                                            const struct cp_api_request *rq,
                                            const char *uri,
                                            struct cp_api_response *rs) {
  struct cp_proxy_target t;
  struct cp_proxy_call c;
  struct cp_proxy_reply rep;
  struct cp_proxy_stream *st = NULL;
  const struct cp_agg_route *r;
  char g[256], v[64], *ca = NULL;
  int ok = 0, busy = 0;

  memset(&t, 0, sizeof t);
  if (!group_version(rq->path, g, sizeof g, v, sizeof v)) {
    plain(rs, 503, "service unavailable\n");
    return NULL;
  }
  pthread_mutex_lock(&a->mu);
  r = cp_agg_table_find(&a->table, g, v);
  if (r != NULL && r->available && a->inflight < MAX_INFLIGHT) {
    t = r->target;
    t.ca_pem = ca = r->ca_pem != NULL ? strdup(r->ca_pem) : NULL;
    ok = r->ca_pem == NULL || ca != NULL;
    a->inflight += ok;
  }
  busy = r != NULL && r->available && a->inflight >= MAX_INFLIGHT && !ok;
  pthread_mutex_unlock(&a->mu);
  if (!ok) {
    if (busy)
      cp_api_respond_status(
          rs, 503, cp_status_failuref(503, "too many requests to aggregated "
                                           "APIs in flight, please try "
                                           "again later"));
    else
      plain(rs, 503, "service unavailable\n");
    free(ca);
    return NULL;
  }
  memset(&c, 0, sizeof c);
  c.method = method_name(rq->method);
  c.uri = uri;
  c.accept = rq->accept;
  c.content_type = rq->content_type;
  c.body = rq->body;
  c.body_len = rq->body_len;
  c.user = &rq->user;
  c.timeout_ms = PROXY_TIMEOUT_MS;
  c.max_bytes = MAX_RESPONSE;
  if (is_watch(rq)) {
    /* Long-running: no deadline past the head, streamed as it comes. */
    st = open_stream(a, &t, &c, rs);
  } else if (cp_proxy_do(&t, &c, &rep) < 0) {
    cp_api_respond_status(rs, 503,
                          cp_status_failuref(503, "error trying to reach "
                                                  "service: %s", rep.err));
  } else {
    rs->code = rep.code;
    rs->content_type = content_type_of(rep.content_type);
    rs->body = rep.body;
    rs->len = rep.len;
    rep.body = NULL;
    cp_proxy_reply_clear(&rep);
  }
  free(ca);
  pthread_mutex_lock(&a->mu);
  a->inflight--;
  pthread_mutex_unlock(&a->mu);
  return st;
}

/* --- discovery (discovery_merge.c does the JSON) ----------------------- */

char *cp_aggregator_merge_group_list(struct cp_aggregator *a, char *json) {
  char *out;

  if (a == NULL || json == NULL)
    return json;
  pthread_mutex_lock(&a->mu);
  out = cp_agg_merge_group_list(&a->table, json);
  pthread_mutex_unlock(&a->mu);
  return out;
}

char *cp_aggregator_merge_aggregated(struct cp_aggregator *a, char *json) {
  char *out;

  if (a == NULL || json == NULL)
    return json;
  pthread_mutex_lock(&a->mu);
  out = cp_agg_merge_aggregated(&a->table, json);
  pthread_mutex_unlock(&a->mu);
  return out;
}

char *cp_aggregator_group(struct cp_aggregator *a, const char *group) {
  char *out;

  if (a == NULL)
    return NULL;
  pthread_mutex_lock(&a->mu);
  out = cp_agg_group(&a->table, group);
  pthread_mutex_unlock(&a->mu);
  return out;
}
