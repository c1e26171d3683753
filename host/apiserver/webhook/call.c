/*
 * call - the HTTPS POST to a webhook (call.h).
 */
#include "apiserver/webhook/call.h"

#include <errno.h>
#include <event2/http.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "apiserver/service_endpoint.h"
#include "apiserver/strategy/platform_fields.h"
#include "apiserver/verbs.h"
#include "client/client.h"
#include "clock/clock.h"

#define MAX_CLIENTS 64
/* Debian's bundle of the system's roots, for a webhook without caBundle
 * (kube then trusts the system's roots too). */
#define SYSTEM_ROOTS "/etc/ssl/certs/ca-certificates.crt"

struct entry {
  char *key;
  struct cp_client *client;
  int refs;          /* calls using it, under the caller's mu */
  uint64_t last_use; /* a tick, for dropping the least recently used */
  struct entry *next;
};

struct cp_webhook_caller {
  pthread_mutex_t mu;
  struct entry *entries;
  size_t n_entries;
  uint64_t tick;
  int max_calls;
  atomic_int in_flight;
};

/* Where one call goes. */
struct target {
  char server[320];      /* https://ip:port, what the client dials */
  char server_name[300]; /* the TLS name, "" for the server's host */
  char shown[2048];      /* the URL kube prints: the Service's name */
  char path[2048];       /* path and query, with ?timeout=Ns */
};

struct cp_webhook_caller *cp_webhook_caller_new(int max_calls) {
  struct cp_webhook_caller *c = calloc(1, sizeof *c);

  if (c == NULL)
    return NULL;
  pthread_mutex_init(&c->mu, NULL);
  c->max_calls = max_calls > 0 ? max_calls : 1;
  return c;
}

static void entry_free(struct entry *e) {
  cp_client_free(e->client);
  free(e->key);
  free(e);
}

void cp_webhook_caller_free(struct cp_webhook_caller *c) {
  if (c == NULL)
    return;
  while (c->entries != NULL) {
    struct entry *e = c->entries;

    c->entries = e->next;
    entry_free(e);
  }
  pthread_mutex_destroy(&c->mu);
  free(c);
}

/* ------------------------------------------------------------ targets */

static int fmt(char *buf, size_t n, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
static int fmt(char *buf, size_t n, const char *f, ...) {
  va_list ap;
  int w;

  va_start(ap, f);
  w = vsnprintf(buf, n, f, ap);
  va_end(ap);
  return w >= 0 && (size_t)w < n ? 0 : -1;
}

/* kube's r.Timeout: the deadline, in whole seconds, as a query
 * parameter the webhook may read. */
static int add_timeout(struct target *t, const char *path, const char *query,
                       int timeout_s) {
  const char *p = path != NULL && path[0] != '\0' ? path : "/";

  if (query != NULL && query[0] != '\0')
    return fmt(t->path, sizeof t->path, "%s?%s&timeout=%ds", p, query,
               timeout_s);
  return fmt(t->path, sizeof t->path, "%s?timeout=%ds", p, timeout_s);
}

static int url_target(const struct cp_webhook *h, struct target *t,
                      char **err) {
  struct evhttp_uri *u = evhttp_uri_parse(h->url);
  const char *scheme = u ? evhttp_uri_get_scheme(u) : NULL;
  const char *host = u ? evhttp_uri_get_host(u) : NULL;
  int port = u ? evhttp_uri_get_port(u) : -1, rc = -1;

  if (scheme == NULL || strcmp(scheme, "https") != 0 || host == NULL ||
      host[0] == '\0') {
    if (asprintf(err, "invalid webhook url %s: not an https URL",
                 h->url) < 0)
      *err = NULL;
    goto out;
  }
  if (fmt(t->server, sizeof t->server, "https://%s:%d", host,
          port > 0 ? port : 443) < 0 ||
      add_timeout(t, evhttp_uri_get_path(u), evhttp_uri_get_query(u),
                  h->timeout_s) < 0 ||
      fmt(t->shown, sizeof t->shown, "%.*s", (int)strcspn(h->url, "?#"),
          h->url) < 0) {
    if (asprintf(err, "webhook url too long") < 0)
      *err = NULL;
    goto out;
  }
  t->server_name[0] = '\0';
  rc = 0;
out:
  if (u != NULL)
    evhttp_uri_free(u);
  return rc;
}

/* kube's webhook messages for a Service that cannot be reached. */
static char *resolve_error(enum cp_service_endpoint_result r,
                           const struct cp_webhook *h) {
  char *err = NULL;
  int n;

  switch (r) {
  case CP_SERVICE_ENDPOINT_NO_SERVICE:
    n = asprintf(&err, "service \"%s\" not found", h->svc_name);
    break;
  case CP_SERVICE_ENDPOINT_NO_PORT:
    n = asprintf(&err, "no service port %d found for service \"%s\"",
                 h->svc_port, h->svc_name);
    break;
  default:
    n = asprintf(&err, "no endpoints available for service \"%s\"",
                 h->svc_name);
    break;
  }
  return n < 0 ? NULL : err;
}

static int service_target(struct cp_api_ctx *ctx, const struct cp_webhook *h,
                          struct target *t, char **err) {
  struct cp_service_endpoint ep;
  enum cp_service_endpoint_result r;

  if (h->svc_ns == NULL || h->svc_name == NULL) {
    *err = strdup("webhook has no url and no service");
    return -1;
  }
  r = cp_service_endpoint(ctx, h->svc_ns, h->svc_name, h->svc_port, &ep);
  if (r != CP_SERVICE_ENDPOINT_OK) {
    *err = resolve_error(r, h);
    return -1;
  }
  if (fmt(t->server, sizeof t->server,
          strchr(ep.ip, ':') ? "https://[%s]:%d" : "https://%s:%d", ep.ip,
          ep.port) < 0 ||
      fmt(t->server_name, sizeof t->server_name, "%s.%s.svc", h->svc_name,
          h->svc_ns) < 0 ||
      add_timeout(t, h->svc_path, NULL, h->timeout_s) < 0 ||
      fmt(t->shown, sizeof t->shown, "https://%s:%d%s", t->server_name,
          h->svc_port, h->svc_path ? h->svc_path : "") < 0) {
    *err = strdup("webhook service name too long");
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------ clients */

/* FNV-1a of s, so that a new caBundle makes a new client. */
static uint64_t hash(const char *s) {
  uint64_t x = 1469598103934665603ull;

  for (; s != NULL && *s != '\0'; s++)
    x = (x ^ (unsigned char)*s) * 1099511628211ull;
  return x;
}

/* Drops the least recently used idle client when the cache is full. mu
 * held. */
static void evict(struct cp_webhook_caller *c) {
  struct entry **pp, **victim = NULL, *e;

  if (c->n_entries < MAX_CLIENTS)
    return;
  for (pp = &c->entries; *pp != NULL; pp = &(*pp)->next)
    if ((*pp)->refs == 0 &&
        (victim == NULL || (*pp)->last_use < (*victim)->last_use))
      victim = pp;
  if (victim == NULL)
    return; /* all busy: the cache grows past the bound for now */
  e = *victim;
  *victim = e->next;
  c->n_entries--;
  entry_free(e);
}

/* A client for h at t, referenced (entry_put), or NULL with *err. */
static struct entry *entry_get(struct cp_webhook_caller *c,
                               const struct cp_webhook *h,
                               const struct target *t, char **err) {
  struct cp_client_config cfg = {0};
  struct entry *e;
  char *key = NULL;

  if (asprintf(&key, "%s|%s|%s|%d|%016llx", h->uid, t->server,
               t->server_name, h->timeout_s,
               (unsigned long long)hash(h->ca_pem)) < 0)
    return NULL;
  pthread_mutex_lock(&c->mu);
  for (e = c->entries; e != NULL; e = e->next)
    if (strcmp(e->key, key) == 0)
      break;
  if (e != NULL) {
    e->refs++;
    e->last_use = ++c->tick;
    pthread_mutex_unlock(&c->mu);
    free(key);
    return e;
  }
  pthread_mutex_unlock(&c->mu);
  /* Made outside the lock: loading a CA bundle takes a while. Two calls
   * may both make one; both are kept until evicted. */
  if ((e = calloc(1, sizeof *e)) == NULL) {
    free(key);
    return NULL;
  }
  cfg.server = t->server;
  cfg.ca_pem = h->ca_pem;
  cfg.ca_file = h->ca_pem == NULL ? SYSTEM_ROOTS : NULL;
  cfg.timeout_ms = h->timeout_s * 1000;
  cfg.server_name = t->server_name[0] ? t->server_name : NULL;
  cfg.no_retry = 1;
  if (cp_client_new(&cfg, &e->client, err) < 0) {
    free(key);
    free(e);
    return NULL;
  }
  e->key = key;
  e->refs = 1;
  pthread_mutex_lock(&c->mu);
  evict(c);
  e->last_use = ++c->tick;
  e->next = c->entries;
  c->entries = e;
  c->n_entries++;
  pthread_mutex_unlock(&c->mu);
  return e;
}

static void entry_put(struct cp_webhook_caller *c, struct entry *e) {
  pthread_mutex_lock(&c->mu);
  e->refs--;
  pthread_mutex_unlock(&c->mu);
}

/* ------------------------------------------------------------ errors */

static int64_t now_ms(void) { return cp_now_ms(); }

/* Why a call got no answer, in Go's words where it can tell: a second
 * connect to the same address, only on this failure path. */
static void dial_reason(const char *server, char *buf, size_t n) {
  struct evhttp_uri *u = evhttp_uri_parse(server);
  const char *host = u ? evhttp_uri_get_host(u) : NULL;
  struct addrinfo hints = {0}, *ai = NULL;
  struct pollfd pfd = {.fd = -1, .events = POLLOUT};
  char port[16];
  int e = 0;
  socklen_t el = sizeof e;

  snprintf(buf, n, "the TLS handshake or the HTTP exchange failed");
  if (host == NULL)
    goto out;
  snprintf(port, sizeof port, "%d", evhttp_uri_get_port(u));
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL) {
    snprintf(buf, n, "dial tcp: lookup %s: no such host", host);
    goto out;
  }
  pfd.fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK,
                  ai->ai_protocol);
  if (pfd.fd < 0)
    goto out;
  if (connect(pfd.fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
      errno == EINPROGRESS && poll(&pfd, 1, 1000) == 1)
    getsockopt(pfd.fd, SOL_SOCKET, SO_ERROR, &e, &el);
  else
    e = errno;
  if (e == ECONNREFUSED)
    snprintf(buf, n, "dial tcp %s:%s: connect: connection refused", host,
             port);
out:
  if (pfd.fd >= 0)
    close(pfd.fd);
  if (ai != NULL)
    freeaddrinfo(ai);
  if (u != NULL)
    evhttp_uri_free(u);
}

/* A non-200 answer as kube's REST client reports it: the Status's
 * message when the body is one, else the code. */
static char *status_reason(int code, const char *body, size_t len) {
  char *perr = NULL, *s = NULL;
  json_object *st = body ? cp_verbs_parse_body(body, len, &perr) : NULL;
  const char *msg = cp_plat_str(st, "message");

  if (msg != NULL && strcmp(cp_plat_str0(st, "kind"), "Status") == 0) {
    s = strdup(msg);
  } else if (asprintf(&s, "the server responded with the status code %d "
                          "but did not return more information",
                      code) < 0) {
    s = NULL;
  }
  json_object_put(st);
  free(perr);
  return s;
}

int cp_webhook_call(struct cp_webhook_caller *c, struct cp_api_ctx *ctx,
                    const struct cp_webhook *h, const char *body, size_t len,
                    char **resp, size_t *resp_len, char **err) {
  struct target t;
  struct entry *e = NULL;
  char why[256], *reason = NULL;
  int64_t start;
  int code, rc = -1;

  *resp = NULL;
  *resp_len = 0;
  *err = NULL;
  if ((h->url != NULL ? url_target(h, &t, err)
                      : service_target(ctx, h, &t, err)) < 0)
    return -1;
  if (atomic_fetch_add(&c->in_flight, 1) >= c->max_calls) {
    if (asprintf(err, "Post \"%s\": too many webhook calls in flight (%d)",
                 t.shown, c->max_calls) < 0)
      *err = NULL;
    goto out;
  }
  if ((e = entry_get(c, h, &t, &reason)) == NULL) {
    if (asprintf(err, "Post \"%s\": %s", t.shown,
                 reason ? reason : "out of memory") < 0)
      *err = NULL;
    goto out;
  }
  start = now_ms();
  code = cp_client_request(e->client, "POST", t.path, "application/json",
                           body, len, resp, resp_len);
  if (code == 200) {
    rc = 0;
    goto out;
  }
  if (code == 0 && now_ms() - start >= (int64_t)h->timeout_s * 1000 - 50)
    snprintf(why, sizeof why, "context deadline exceeded");
  else if (code == 0)
    dial_reason(t.server, why, sizeof why);
  if (code != 0)
    reason = status_reason(code, *resp, *resp_len);
  if (code == 0 ? asprintf(err, "Post \"%s%s\": %s", t.shown,
                           strchr(t.path, '?'), why) < 0
                : asprintf(err, "%s", reason ? reason : "out of memory") < 0)
    *err = NULL;
  free(*resp);
  *resp = NULL;
  *resp_len = 0;
out:
  atomic_fetch_sub(&c->in_flight, 1);
  if (e != NULL)
    entry_put(c, e);
  free(reason);
  return rc;
}
