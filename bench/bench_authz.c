/*
 * bench_authz - what identity, RBAC and admission cost a create, end to
 * end: pod creates per second over HTTP(S) on 127.0.0.1, with 1 and 16
 * clients (keep-alive connections through host/client, one blocking
 * request at a time each), on SQLite (durable), the server in-process:
 *
 *  (a) plain HTTP, no authentication or authorization (as bench_apiserver
 *      runs today), the namespace without policy objects: the "before";
 *  (a2) the server of (b) (TLS, the token file, RBAC, the admission
 *      chain), but the client is a system:masters token (authorization
 *      allows it without a rule walk) and the namespace has no
 *      ResourceQuota, LimitRange or PodSecurity labels: what every
 *      create paid before issue #16 once TLS and a token are in, so b/a2
 *      isolates what the issue names (RBAC and the admission chain's
 *      work) and is its figure; b/a adds TLS and the token;
 *  (b) as `make run` configures the server (cp_embedded_start: TLS with
 *      its own PKI, the static token file, RBAC, the admission chain):
 *      the user bench-user, a bearer token, not system:masters, bound to
 *      `edit` by a RoleBinding in the namespace among 30 other Roles and
 *      RoleBindings and 20 ClusterRoles and ClusterRoleBindings; the
 *      namespace has a ResourceQuota (pods, cpu, memory), a LimitRange
 *      (the container defaults the pod lacks) and the PodSecurity labels
 *      (enforce baseline, warn and audit restricted); no webhooks.
 *      Printed: b/a2 against the bound (within 10%), and b/a;
 *  (c) (b) plus one ValidatingWebhookConfiguration whose webhook (HTTPS,
 *      libevent + OpenSSL, in this process) allows every pod create:
 *      the ms one call adds to a create and c/b;
 *  (d) (b) plus one MutatingWebhookConfiguration whose webhook adds a
 *      label with a one-operation JSONPatch: as (c).
 *
 * Pods, not ConfigMaps: a pod goes through every admission step (the
 * ServiceAccount lookup and token volume, LimitRanger's defaults,
 * PodSecurity at two levels, quota on pods, cpu and memory), a ConfigMap
 * only through quota's object count.
 *
 * Each configuration runs on a fresh server and store, the four back to
 * back, and the whole round twice (the machine is shared: compare runs,
 * not one number). The webhook server and the clients share the
 * machine's cores with the API server, so (c) and (d) include the
 * webhook's own CPU, which a real cluster spends elsewhere.
 *
 * Usage: bench_authz [a] [a2] [b] [c] [d] (default: all). BENCH_AUTHZ_MS sets
 * each run's length (default 2000), BENCH_AUTHZ_CLIENTS=1 or 16 runs that
 * count only (the other's figures print 0), for a profile of one
 * configuration:
 *   BENCH_AUTHZ_MS=20000 perf record -g build/release/bench/bench_authz b
 * BENCH_AUTHZ_DISABLE lists admission plugins to turn off in (b)-(d)
 * (the INI's disable_admission_plugins: ServiceAccount, PodSecurity),
 * BENCH_AUTHZ_NO_QUOTA=1 leaves the ResourceQuota out: what a step costs.
 * BENCH_AUTHZ_ROUNDS=N (1 to 15) runs N rounds and prints, from 3 on,
 * beside the best of each, the median and range of b/a2 over the pairs:
 * on a shared machine a single pair's ratio moves by 15%.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <json-c/json.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "apiserver/apiserver.h"
#include "apiserver/embedded.h"
#include "apiserver/pki.h"
#include "client/client.h"
#include "config/config.h"
#include "log/log.h"
#include "store/store.h"

#define CLIENTS_MAX 16
#define NS "bench"
#define USER_TOKEN "bench-user-token-0123456789abcdef"
#define ADMIN_TOKEN "bench-admin-token-0123456789abcdef"
#define OTHER_ROLES 30
#define OTHER_CLUSTER_ROLES 20

static int run_ms = 2000;
static int only_clients; /* BENCH_AUTHZ_CLIENTS: 0 both counts */

static int64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the webhook: HTTPS on 127.0.0.1, allows (and maybe patches) ---- */

struct webhook {
  struct event_base *base;
  struct evhttp *http;
  SSL_CTX *ssl;
  pthread_t th;
  int port;
  long calls; /* __atomic */
  char ca_b64[8192];
};

static struct bufferevent *webhook_bev(struct event_base *base, void *arg) {
  struct webhook *w = arg;
  SSL *ssl = SSL_new(w->ssl);

  if (ssl == NULL)
    return NULL;
  return bufferevent_openssl_socket_new(base, -1, ssl,
                                        BUFFEREVENT_SSL_ACCEPTING,
                                        BEV_OPT_CLOSE_ON_FREE);
}

/* A small JSONPatch: add one label (the pods carry labels already). */
static const char patch_b64[] =
    /* [{"op":"add","path":"/metadata/labels/mutated","value":"yes"}] */
    "W3sib3AiOiJhZGQiLCJwYXRoIjoiL21ldGFkYXRhL2xhYmVscy9tdXRhdGVkIiwidmFs"
    "dWUiOiJ5ZXMifV0=";

/* Answers an AdmissionReview: allowed, with the patch on /mutate. */
static void webhook_serve(struct evhttp_request *req, void *arg) {
  struct webhook *w = arg;
  struct evbuffer *in = evhttp_request_get_input_buffer(req), *out;
  size_t len = evbuffer_get_length(in);
  json_object *rev = NULL, *r, *uid;
  const char *u = NULL;
  int mutate = strncmp(evhttp_request_get_uri(req), "/mutate", 7) == 0;

  rev = json_tokener_parse((const char *)evbuffer_pullup(in, (ssize_t)len));
  if (rev != NULL && json_object_object_get_ex(rev, "request", &r) &&
      json_object_object_get_ex(r, "uid", &uid) &&
      json_object_is_type(uid, json_type_string))
    u = json_object_get_string(uid);
  if (u == NULL || (out = evbuffer_new()) == NULL) {
    evhttp_send_error(req, 400, NULL);
    json_object_put(rev);
    return;
  }
  evbuffer_add_printf(out,
                      "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":"
                      "\"AdmissionReview\",\"response\":{\"uid\":\"%s\","
                      "\"allowed\":true%s%s%s}}",
                      u, mutate ? ",\"patchType\":\"JSONPatch\",\"patch\":\""
                                : "",
                      mutate ? patch_b64 : "", mutate ? "\"" : "");
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                    "application/json");
  evhttp_send_reply(req, 200, "OK", out);
  evbuffer_free(out);
  json_object_put(rev);
  __atomic_add_fetch(&w->calls, 1, __ATOMIC_RELAXED);
}

static void *webhook_loop(void *arg) {
  struct webhook *w = arg;

  pthread_setname_np(pthread_self(), "bench-webhook");
  event_base_dispatch(w->base);
  return NULL;
}

/* Starts the webhook on a certificate of its own CA (made in dir).
 * Returns 0, or -1 with the error printed. */
static int webhook_start(struct webhook *w, const char *dir) {
  char crt[400], key[400], ca[400], *err = NULL, *b64 = NULL;
  struct evhttp_bound_socket *bs;
  struct sockaddr_in sa;
  socklen_t sl = sizeof sa;
  int one = 1;

  memset(w, 0, sizeof *w);
  snprintf(crt, sizeof crt, "%s/server.crt", dir);
  snprintf(key, sizeof key, "%s/server.key", dir);
  snprintf(ca, sizeof ca, "%s/ca.crt", dir);
  if (cp_pki_ensure(dir, "127.0.0.1", &err) < 0 ||
      (w->ssl = cp_pki_server_ctx(crt, key, NULL, &err)) == NULL ||
      (b64 = cp_pki_file_base64(ca)) == NULL ||
      strlen(b64) >= sizeof w->ca_b64)
    goto fail;
  snprintf(w->ca_b64, sizeof w->ca_b64, "%s", b64);
  free(b64);
  b64 = NULL;
  if ((w->base = event_base_new()) == NULL ||
      (w->http = evhttp_new(w->base)) == NULL)
    goto fail;
  evhttp_set_bevcb(w->http, webhook_bev, w);
  evhttp_set_gencb(w->http, webhook_serve, w);
  if ((bs = evhttp_bind_socket_with_handle(w->http, "127.0.0.1", 0)) ==
          NULL ||
      getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa,
                  &sl) != 0)
    goto fail;
  w->port = ntohs(sa.sin_port);
  /* Accepted sockets inherit it (Linux), as Go's servers set it: without
   * it Nagle holds the answer's second TLS record for the client's
   * delayed ACK, 40 ms a call. */
  setsockopt(evhttp_bound_socket_get_fd(bs), IPPROTO_TCP, TCP_NODELAY, &one,
             sizeof one);
  if (pthread_create(&w->th, NULL, webhook_loop, w) != 0)
    goto fail;
  return 0;
fail:
  fprintf(stderr, "bench_authz: webhook: %s\n", err ? err : "cannot start");
  free(err);
  free(b64);
  if (w->http != NULL)
    evhttp_free(w->http);
  if (w->base != NULL)
    event_base_free(w->base);
  if (w->ssl != NULL)
    SSL_CTX_free(w->ssl);
  memset(w, 0, sizeof *w);
  return -1;
}

static void webhook_stop(struct webhook *w) {
  if (w->base == NULL)
    return;
  event_base_loopexit(w->base, NULL);
  pthread_join(w->th, NULL);
  evhttp_free(w->http);
  event_base_free(w->base);
  SSL_CTX_free(w->ssl);
  memset(w, 0, sizeof *w);
}

/* ---- the server under test ------------------------------------------- */

/* The configurations by index: k's kind (the char its files and
 * functions go by) and the argument that picks it. (a2) is 'A'. */
#define N_CONFIGS 5
static const char kinds[N_CONFIGS] = {'a', 'b', 'c', 'd', 'A'};
static const char *const args[N_CONFIGS] = {"a", "b", "c", "d", "a2"};
/* Run in this order each round: (a2) between (a) and (b). */
static const int run_order[N_CONFIGS] = {0, 4, 1, 2, 3};

/* One configuration's server: plain (a) or embedded (a2, b, c, d). */
struct target {
  char kind;
  cp_store *store;              /* (a) */
  struct cp_apiserver *srv;     /* (a) */
  struct cp_embedded emb;       /* (a2, b, c, d) */
  struct cp_config *cfg;        /* (a2, b, c, d) */
  char url[64];
  const char *ca_file, *token;
};

static int write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  int ok;

  if (f == NULL)
    return -1;
  ok = fputs(text, f) >= 0;
  return fclose(f) == 0 && ok ? 0 : -1;
}

static int target_start(struct target *t, char kind, const char *dir,
                        int round) {
  char path[300], ini[1024], *err = NULL;

  memset(t, 0, sizeof *t);
  t->kind = kind;
  snprintf(path, sizeof path, "%s/%c%d.db", dir, kind, round);
  if (kind == 'a') {
    struct cp_apiserver_config cfg = {0};

    if (cp_store_sqlite_open(path, NULL, &t->store, &err) != 0)
      goto fail;
    cfg.store = t->store;
    if (cp_apiserver_start(&cfg, &t->srv, &err) != 0)
      goto fail;
    snprintf(t->url, sizeof t->url, "http://127.0.0.1:%d",
             cp_apiserver_port(t->srv));
    return 0;
  }
  /* The token file: an admin (system:masters) for the setup, and the
   * user measured, in a group of its own. */
  snprintf(ini, sizeof ini, "%s/tokens.csv", dir);
  if (write_file(ini, ADMIN_TOKEN ",bench-admin,uid-admin,\"system:masters\"\n"
                      USER_TOKEN ",bench-user,uid-user,\"developers\"\n") < 0)
    goto fail;
  snprintf(ini, sizeof ini,
           "[apiserver]\naddress = 127.0.0.1\nport = 0\n"
           "sqlite_path = %s\ntokens_file = %s/tokens.csv\n"
           "kubeconfig_out = %s/admin.kubeconfig\n"
           "disable_admission_plugins = %s\n",
           path, dir, dir,
           getenv("BENCH_AUTHZ_DISABLE") ? getenv("BENCH_AUTHZ_DISABLE") : "");
  if (cp_config_parse("bench.ini", ini, strlen(ini), &t->cfg, &err) < 0 ||
      cp_embedded_start(t->cfg, dir, &t->emb, &err) < 0)
    goto fail;
  snprintf(t->url, sizeof t->url, "%s", t->emb.url);
  t->ca_file = t->emb.ca_file;
  t->token = kind == 'A' ? ADMIN_TOKEN : USER_TOKEN;
  return 0;
fail:
  fprintf(stderr, "bench_authz: (%c): %s\n", kind, err ? err : "failed");
  free(err);
  if (t->srv != NULL)
    cp_apiserver_stop(t->srv);
  cp_store_close(t->store);
  cp_config_free(t->cfg);
  memset(t, 0, sizeof *t);
  return -1;
}

static void target_stop(struct target *t) {
  if (t->kind == 'a') {
    cp_apiserver_stop(t->srv);
    cp_store_close(t->store);
  } else {
    cp_embedded_stop(&t->emb);
    cp_config_free(t->cfg);
  }
  memset(t, 0, sizeof *t);
}

static struct cp_client *client_for(const struct target *t,
                                    const char *token) {
  struct cp_client_config cc = {0};
  struct cp_client *c = NULL;
  char *err = NULL;

  cc.server = t->url;
  cc.ca_file = t->ca_file;
  cc.token = token;
  cc.timeout_ms = 30000;
  if (cp_client_new(&cc, &c, &err) != 0) {
    fprintf(stderr, "bench_authz: client: %s\n", err ? err : "failed");
    free(err);
    return NULL;
  }
  return c;
}

/* One setup request; -1 (printed) unless the answer is one of ok/ok2. */
static int setup_call(struct cp_client *c, const char *method,
                      const char *path, const char *type, const char *body,
                      int ok, int ok2) {
  char *resp = NULL;
  size_t len = 0;
  int code = cp_client_request(c, method, path, type, body,
                               body ? strlen(body) : 0, &resp, &len);

  if (code != ok && code != ok2) {
    fprintf(stderr, "bench_authz: %s %s: %d %s\n", method, path, code,
            resp ? resp : "");
    free(resp);
    return -1;
  }
  free(resp);
  return 0;
}

#define JSON "application/json"

static const char quota_hard[] =
    "{\"pods\":\"1000000\",\"requests.cpu\":\"1000000\","
    "\"requests.memory\":\"100000Gi\",\"limits.cpu\":\"1000000\","
    "\"limits.memory\":\"100000Gi\"}";

/* The namespace as a team's would be: PodSecurity labels, its default
 * ServiceAccount, a LimitRange, a ResourceQuota with the status its
 * controller would have written, bench-user's edit binding among other
 * roles and bindings. */
static int setup_policy(struct cp_client *c) {
  char body[2048], path[256];
  int i;

  if (setup_call(c, "POST", "/api/v1/namespaces", JSON,
                 "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{"
                 "\"name\":\"" NS "\",\"labels\":{"
                 "\"pod-security.kubernetes.io/enforce\":\"baseline\","
                 "\"pod-security.kubernetes.io/warn\":\"restricted\","
                 "\"pod-security.kubernetes.io/audit\":\"restricted\"}}}",
                 201, 201) < 0 ||
      setup_call(c, "POST", "/api/v1/namespaces/" NS "/serviceaccounts",
                 JSON,
                 "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\","
                 "\"metadata\":{\"name\":\"default\"}}",
                 201, 409) < 0 ||
      setup_call(c, "POST", "/api/v1/namespaces/" NS "/limitranges", JSON,
                 "{\"apiVersion\":\"v1\",\"kind\":\"LimitRange\",\"metadata\":"
                 "{\"name\":\"defaults\"},\"spec\":{\"limits\":[{\"type\":"
                 "\"Container\",\"default\":{\"cpu\":\"200m\",\"memory\":"
                 "\"256Mi\"},\"defaultRequest\":{\"cpu\":\"100m\",\"memory\":"
                 "\"128Mi\"},\"max\":{\"cpu\":\"2\",\"memory\":\"2Gi\"}}]}}",
                 201, 201) < 0)
    return -1;
  if (getenv("BENCH_AUTHZ_NO_QUOTA") != NULL)
    goto rbac;
  snprintf(body, sizeof body,
           "{\"apiVersion\":\"v1\",\"kind\":\"ResourceQuota\",\"metadata\":{"
           "\"name\":\"team\"},\"spec\":{\"hard\":%s}}",
           quota_hard);
  if (setup_call(c, "POST", "/api/v1/namespaces/" NS "/resourcequotas", JSON,
                 body, 201, 201) < 0)
    return -1;
  snprintf(body, sizeof body,
           "{\"status\":{\"hard\":%s,\"used\":{\"pods\":\"0\","
           "\"requests.cpu\":\"0\",\"requests.memory\":\"0\","
           "\"limits.cpu\":\"0\",\"limits.memory\":\"0\"}}}",
           quota_hard);
  if (setup_call(c, "PATCH",
                 "/api/v1/namespaces/" NS "/resourcequotas/team/status",
                 "application/merge-patch+json", body, 200, 200) < 0)
    return -1;
rbac:
  for (i = 0; i < OTHER_ROLES; i++) {
    snprintf(body, sizeof body,
             "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":"
             "\"Role\",\"metadata\":{\"name\":\"role-%d\"},\"rules\":[{"
             "\"apiGroups\":[\"\",\"apps\"],\"resources\":[\"configmaps\","
             "\"secrets\",\"deployments\"],\"verbs\":[\"get\",\"list\"]},{"
             "\"apiGroups\":[\"batch\"],\"resources\":[\"jobs\"],\"verbs\":"
             "[\"*\"]}]}",
             i);
    if (setup_call(c, "POST",
                   "/apis/rbac.authorization.k8s.io/v1/namespaces/" NS
                   "/roles",
                   JSON, body, 201, 201) < 0)
      return -1;
    snprintf(body, sizeof body,
             "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":"
             "\"RoleBinding\",\"metadata\":{\"name\":\"rb-%d\"},\"roleRef\":{"
             "\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\","
             "\"name\":\"role-%d\"},\"subjects\":[{\"kind\":\"User\","
             "\"apiGroup\":\"rbac.authorization.k8s.io\",\"name\":"
             "\"user-%d\"},{\"kind\":\"Group\",\"apiGroup\":"
             "\"rbac.authorization.k8s.io\",\"name\":\"team-%d\"}]}",
             i, i, i, i);
    if (setup_call(c, "POST",
                   "/apis/rbac.authorization.k8s.io/v1/namespaces/" NS
                   "/rolebindings",
                   JSON, body, 201, 201) < 0)
      return -1;
  }
  for (i = 0; i < OTHER_CLUSTER_ROLES; i++) {
    snprintf(body, sizeof body,
             "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":"
             "\"ClusterRole\",\"metadata\":{\"name\":\"bench-cr-%d\"},"
             "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"nodes\","
             "\"namespaces\"],\"verbs\":[\"get\",\"list\",\"watch\"]}]}",
             i);
    if (setup_call(c, "POST",
                   "/apis/rbac.authorization.k8s.io/v1/clusterroles", JSON,
                   body, 201, 201) < 0)
      return -1;
    snprintf(body, sizeof body,
             "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":"
             "\"ClusterRoleBinding\",\"metadata\":{\"name\":\"bench-crb-%d\"},"
             "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\","
             "\"kind\":\"ClusterRole\",\"name\":\"bench-cr-%d\"},"
             "\"subjects\":[{\"kind\":\"Group\",\"apiGroup\":"
             "\"rbac.authorization.k8s.io\",\"name\":\"ops-%d\"}]}",
             i, i, i);
    if (setup_call(c, "POST",
                   "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                   JSON, body, 201, 201) < 0)
      return -1;
  }
  snprintf(path, sizeof path,
           "/apis/rbac.authorization.k8s.io/v1/namespaces/%s/rolebindings",
           NS);
  return setup_call(c, "POST", path, JSON,
                    "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":"
                    "\"RoleBinding\",\"metadata\":{\"name\":\"bench-user-edit"
                    "\"},\"roleRef\":{\"apiGroup\":"
                    "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\","
                    "\"name\":\"edit\"},\"subjects\":[{\"kind\":\"User\","
                    "\"apiGroup\":\"rbac.authorization.k8s.io\",\"name\":"
                    "\"bench-user\"}]}",
                    201, 201);
}

static int setup_webhook(struct cp_client *c, const struct webhook *w,
                         char kind) {
  char body[10240];
  int mutating = kind == 'd';

  snprintf(body, sizeof body,
           "{\"apiVersion\":\"admissionregistration.k8s.io/v1\",\"kind\":"
           "\"%sWebhookConfiguration\",\"metadata\":{\"name\":\"bench\"},"
           "\"webhooks\":[{\"name\":\"pods.bench.example.com\","
           "\"clientConfig\":{\"url\":\"https://127.0.0.1:%d/%s\","
           "\"caBundle\":\"%s\"},\"rules\":[{\"apiGroups\":[\"\"],"
           "\"apiVersions\":[\"v1\"],\"operations\":[\"CREATE\"],"
           "\"resources\":[\"pods\"]}],\"sideEffects\":\"None\","
           "\"admissionReviewVersions\":[\"v1\"],\"failurePolicy\":\"Fail\","
           "\"timeoutSeconds\":10}]}",
           mutating ? "Mutating" : "Validating", w->port,
           mutating ? "mutate" : "validate", w->ca_b64);
  return setup_call(c, "POST",
                    mutating ? "/apis/admissionregistration.k8s.io/v1/"
                               "mutatingwebhookconfigurations"
                             : "/apis/admissionregistration.k8s.io/v1/"
                               "validatingwebhookconfigurations",
                    JSON, body, 201, 201);
}

/* A pod that passes PodSecurity restricted, with no resources (the
 * LimitRange gives them, where there is one). */
static int pod_body(char *buf, size_t cap, const char *name) {
  return snprintf(
      buf, cap,
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
      "\"labels\":{\"app\":\"web\",\"tier\":\"frontend\"}},\"spec\":{"
      "\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{"
      "\"type\":\"RuntimeDefault\"}},\"containers\":[{\"name\":\"web\","
      "\"image\":\"registry.example.com/team/web:1.2.3\",\"ports\":[{"
      "\"containerPort\":8080}],\"env\":[{\"name\":\"LOG_LEVEL\",\"value\":"
      "\"info\"}],\"securityContext\":{\"allowPrivilegeEscalation\":false,"
      "\"capabilities\":{\"drop\":[\"ALL\"]}}}]}}",
      name);
}

/* Until a create as the measured user goes through (the RBAC index and
 * the admission caches follow the store's watch) and, with a webhook,
 * the webhook has been called: 0, or -1 after 20 s. */
static int wait_ready(const struct target *t, const struct webhook *w) {
  struct cp_client *c = client_for(t, t->token);
  int64_t end = now_ns() + 20 * (int64_t)1000000000;
  char name[64], body[2048], *resp = NULL;
  size_t len;
  int i, code = 0;

  for (i = 0; c != NULL && now_ns() < end; i++) {
    long before = w ? __atomic_load_n(&w->calls, __ATOMIC_RELAXED) : 0;

    snprintf(name, sizeof name, "warm-%d", i);
    pod_body(body, sizeof body, name);
    code = cp_client_request(c, "POST", "/api/v1/namespaces/" NS "/pods",
                             JSON, body, strlen(body), &resp, &len);
    if (code == 201 &&
        (w == NULL || __atomic_load_n(&w->calls, __ATOMIC_RELAXED) > before))
      break;
    free(resp);
    resp = NULL;
    usleep(50000);
  }
  if (c == NULL || now_ns() >= end)
    fprintf(stderr, "bench_authz: (%c) not ready: %d %s\n", t->kind, code,
            resp ? resp : "");
  free(resp);
  cp_client_free(c);
  return c != NULL && now_ns() < end ? 0 : -1;
}

/* ---- creates --------------------------------------------------------- */

struct creator {
  const struct target *t;
  int id;
  int64_t end_ns;
  long ops;
  int errors;
};

static void *creator_run(void *p) {
  struct creator *cr = p;
  struct cp_client *c = client_for(cr->t, cr->t->token);
  char name[64], body[2048], *resp;
  size_t len;
  int code;

  pthread_setname_np(pthread_self(), "bench-client");
  while (c != NULL && now_ns() < cr->end_ns) {
    snprintf(name, sizeof name, "p%d-%ld", cr->id, cr->ops);
    pod_body(body, sizeof body, name);
    resp = NULL;
    code = cp_client_request(c, "POST", "/api/v1/namespaces/" NS "/pods",
                             JSON, body, strlen(body), &resp, &len);
    if (code == 201) {
      cr->ops++;
    } else if (++cr->errors > 10) {
      fprintf(stderr, "bench_authz: client %d: %d %s\n", cr->id, code,
              resp ? resp : "");
      free(resp);
      break;
    }
    free(resp);
  }
  cp_client_free(c);
  return NULL;
}

static double process_cpu_s(void) {
  struct rusage ru;

  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Creates per second with n clients for run_ms; *cpu_us: the process's
 * CPU (server, clients and webhook together) per create, which the
 * other helpers' load sways less than the rate. */
static double run_creates(const struct target *t, int n, int round,
                          double *cpu_us) {
  pthread_t th[CLIENTS_MAX];
  struct creator cr[CLIENTS_MAX];
  int64_t t0 = now_ns(), end = t0 + (int64_t)run_ms * 1000000;
  long total = 0;
  double cpu0 = process_cpu_s();
  int i;

  for (i = 0; i < n; i++) {
    cr[i] = (struct creator){.t = t, .id = round * 100 + n * 10 + i,
                             .end_ns = end};
    pthread_create(&th[i], NULL, creator_run, &cr[i]);
  }
  for (i = 0; i < n; i++) {
    pthread_join(th[i], NULL);
    total += cr[i].ops;
  }
  *cpu_us = total ? (process_cpu_s() - cpu0) * 1e6 / (double)total : 0;
  return (double)total * 1e9 / (double)(now_ns() - t0);
}

/* ---- the configurations ----------------------------------------------- */

static const int client_counts[] = {1, 16};
#define N_COUNTS 2
/* Rounds: 2, or BENCH_AUTHZ_ROUNDS (up to ROUNDS_MAX) for the paired
 * figures' median. */
#define ROUNDS_MAX 15
static int rounds = 2;

/* One configuration on a fresh server: rates[i] for client_counts[i]. */
static int run_config(char kind, const char *dir, int round,
                      struct webhook *w, double *rates, double *cpu_us) {
  struct target t;
  struct cp_client *admin = NULL;
  int i, rc = -1;

  if (target_start(&t, kind, dir, round) < 0)
    return -1;
  if (kind == 'a' || kind == 'A') {
    /* A namespace without policy objects (no PodSecurity labels). */
    admin = client_for(&t, kind == 'A' ? ADMIN_TOKEN : NULL);
    if (admin == NULL ||
        setup_call(admin, "POST", "/api/v1/namespaces", JSON,
                   "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
                   "\"metadata\":{\"name\":\"" NS "\"}}",
                   201, 201) < 0 ||
        setup_call(admin, "POST", "/api/v1/namespaces/" NS "/serviceaccounts",
                   JSON,
                   "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\","
                   "\"metadata\":{\"name\":\"default\"}}",
                   201, 409) < 0)
      goto out;
  } else {
    admin = client_for(&t, ADMIN_TOKEN);
    if (admin == NULL || setup_policy(admin) < 0 ||
        ((kind == 'c' || kind == 'd') && setup_webhook(admin, w, kind) < 0))
      goto out;
  }
  if (wait_ready(&t, kind == 'c' || kind == 'd' ? w : NULL) < 0)
    goto out;
  for (i = 0; i < N_COUNTS; i++)
    if (only_clients == 0 || only_clients == client_counts[i])
      rates[i] = run_creates(&t, client_counts[i], round, &cpu_us[i]);
  rc = 0;
out:
  cp_client_free(admin);
  target_stop(&t);
  return rc;
}

static int wanted(int argc, char **argv, int k) {
  int i;

  for (i = 1; i < argc; i++)
    if (strcmp(argv[i], args[k]) == 0)
      return 1;
  return argc < 2;
}

typedef double figs[N_CONFIGS][ROUNDS_MAX][N_COUNTS];

/* The best rate and least CPU per create of configuration k over the
 * rounds, at client count i. */
static double best(figs r, int k, int i) {
  double v = 0;
  int j;

  for (j = 0; j < rounds; j++)
    if (r[k][j][i] > v)
      v = r[k][j][i];
  return v;
}

static double least(figs r, int k, int i) {
  double v = 0;
  int j;

  for (j = 0; j < rounds; j++)
    if (r[k][j][i] > 0 && (v == 0 || r[k][j][i] < v))
      v = r[k][j][i];
  return v;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

/* With 3 rounds or more: the ratio of (b) to (a2) round by round (each
 * pair ran back to back, so the machine's load sways both alike), as
 * median and range: a steadier figure than the best of each. */
static void print_paired(figs r, figs cpu, int i) {
  double rate[ROUNDS_MAX], c[ROUNDS_MAX];
  int j, n = 0;

  for (j = 0; j < rounds; j++)
    if (r[4][j][i] > 0 && r[1][j][i] > 0 && cpu[4][j][i] > 0) {
      rate[n] = r[1][j][i] / r[4][j][i];
      c[n++] = cpu[1][j][i] / cpu[4][j][i];
    }
  if (n < 3)
    return;
  qsort(rate, (size_t)n, sizeof rate[0], by_value);
  qsort(c, (size_t)n, sizeof c[0], by_value);
  printf("  %2d client(s), %d pairs: b/a2 median %.2f (%.2f-%.2f); CPU per "
         "create b/a2 median %.2f (%.2f-%.2f)\n",
         client_counts[i], n, rate[n / 2], rate[0], rate[n - 1], c[n / 2],
         c[0], c[n - 1]);
}

static const char *const names[] = {
    "(a) HTTP, no authn/authz, no policy",
    "(b) TLS, token, RBAC, admission chain",
    "(c) (b) + 1 validating webhook",
    "(d) (b) + 1 mutating webhook (JSONPatch)",
    "(a2) TLS, token (system:masters), admission chain, no policy",
};

/* Each round's figure of configuration k at client count i. */
static void print_runs(figs r, int k, int i) {
  int j;

  for (j = 0; j < rounds; j++)
    printf("%s %4.0f", j ? "," : "", r[k][j][i]);
}

static void print_figures(figs r, figs cpu, const int *ran) {
  int j, k, i;

  for (j = 0; j < N_CONFIGS; j++) {
    k = run_order[j];
    if (!ran[k])
      continue;
    printf("  %s\n", names[k]);
    for (i = 0; i < N_COUNTS; i++) {
      printf("    %2d client(s): %6.0f/s (runs", client_counts[i],
             best(r, k, i));
      print_runs(r, k, i);
      printf("), CPU %5.0f us per create (runs", least(cpu, k, i));
      print_runs(cpu, k, i);
      printf(")\n");
    }
  }
  for (i = 0; i < N_COUNTS; i++) {
    double a = best(r, 0, i), b = best(r, 1, i), a2 = best(r, 4, i);
    double ca = least(cpu, 0, i), cb = least(cpu, 1, i);
    double ca2 = least(cpu, 4, i);
    int n = client_counts[i];

    /* The figure: what RBAC and the admission chain cost once
     * TLS and a token are paid in both. */
    if (ran[4] && ran[1]) {
      printf("  %2d client(s): b/a2 %.2f (the issue's bound >= 0.90: %s); "
             "CPU per create b/a2 %.2f\n",
             n, b / a2, b / a2 >= 0.90 ? "within" : "OUTSIDE", cb / ca2);
      print_paired(r, cpu, i);
    }
    if (ran[0] && ran[1])
      printf("  %2d client(s): b/a %.2f (TLS and the token too); CPU per "
             "create b/a %.2f\n",
             n, b / a, cb / ca);
    for (k = 2; k < 4; k++) {
      double c = best(r, k, i), cc = least(cpu, k, i);

      if (!ran[1] || !ran[k] || c <= 0 || b <= 0)
        continue;
      printf("  %2d client(s): %c/b %.2f, %+.3f ms per create, %+.0f us "
             "CPU per create (one %s webhook call)\n",
             n, 'a' + k, c / b, n * 1e3 / c - n * 1e3 / b, cc - cb,
             k == 2 ? "validating" : "mutating");
    }
  }
}

/* The machine's load average, printed beside the figures: the rates
 * mean little on a machine other work keeps busy. */
static void print_load(const char *when) {
  char buf[128] = "";
  FILE *f = fopen("/proc/loadavg", "r");

  if (f != NULL) {
    if (fgets(buf, sizeof buf, f) == NULL)
      buf[0] = '\0';
    fclose(f);
  }
  buf[strcspn(buf, "\n")] = '\0';
  printf("  load average %s: %s\n", when, buf);
}

int main(int argc, char **argv) {
  char dir[] = "/tmp/cp-bench-authz-XXXXXX", whdir[300], cmd[160];
  static figs rates, cpu;
  int ran[N_CONFIGS] = {0}, j, k, round, rc = 1;
  struct webhook w;
  const char *ms = getenv("BENCH_AUTHZ_MS");

  setvbuf(stdout, NULL, _IOLBF, 0);
  cp_log_set_level(CPLANE_LOG_ERROR);
  evthread_use_pthreads();
  if (ms != NULL && atoi(ms) > 0)
    run_ms = atoi(ms);
  if (getenv("BENCH_AUTHZ_ROUNDS") != NULL)
    rounds = atoi(getenv("BENCH_AUTHZ_ROUNDS"));
  if (rounds < 1 || rounds > ROUNDS_MAX) {
    fprintf(stderr, "bench_authz: BENCH_AUTHZ_ROUNDS is 1 to %d\n",
            ROUNDS_MAX);
    return 2;
  }
  if (getenv("BENCH_AUTHZ_CLIENTS") != NULL)
    only_clients = atoi(getenv("BENCH_AUTHZ_CLIENTS"));
  memset(rates, 0, sizeof rates);
  memset(cpu, 0, sizeof cpu);
  if (mkdtemp(dir) == NULL)
    return 1;
  snprintf(whdir, sizeof whdir, "%s/webhook-pki", dir);
  if (webhook_start(&w, whdir) < 0)
    goto out;
  printf("authz: pod creates over HTTP(S), SQLite (durable), keep-alive "
         "clients, best of %d runs of %d ms (each run's figure in "
         "brackets)\n",
         rounds, run_ms);
  print_load("before");
  for (round = 0; round < rounds; round++)
    for (j = 0; j < N_CONFIGS; j++) {
      k = run_order[j];
      if (!wanted(argc, argv, k))
        continue;
      if (run_config(kinds[k], dir, round, &w, rates[k][round],
                     cpu[k][round]) < 0)
        goto out;
      ran[k] = 1;
    }
  print_load("after");
  print_figures(rates, cpu, ran);
  printf("  webhook calls answered: %ld\n",
         __atomic_load_n(&w.calls, __ATOMIC_RELAXED));
  rc = 0;
out:
  webhook_stop(&w);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    rc = 1;
  return rc;
}
