/*
 * etcd.c - the store on a real etcd 3.4+ cluster, through its v3 JSON
 * gateway (POST /v3/kv/..., /v3/watch) with libevent's HTTP client.
 *
 * Wire facts this relies on (docs: etcd-scheduler.md A1): keys and values
 * are base64, int64 come back as strings, zero values are left out, so an
 * absent field means 0; a compacted watch start yields a "canceled"
 * message with compact_revision and an open stream, which we close; the
 * gateway cannot take more messages on a watch stream, so every watch is
 * its own connection and is cancelled by closing it.
 *
 * Threads: a KV call runs on the caller's thread. It borrows a channel (an
 * event_base with one keep-alive connection) from a pool and runs that
 * base until the response arrives, so concurrent callers never wait on
 * each other and nothing hops threads. Watches live on one watch thread
 * with its own event_base; every watch callback runs there. A maintenance
 * thread pings etcd for cp_store_check while someone asks and runs
 * kube-apiserver's compaction timer.
 *
 * Failures: a call that cannot reach a member, or whose attempt outlives
 * its share of the budget, moves to the next endpoint and retries with
 * backoff until request_timeout_ms, then fails with
 * CP_STORE_EUNAVAILABLE; it never hangs. A write whose outcome is unknown
 * (the connection broke after sending) is retried; if the retry then
 * meets our own value it counts as done. A broken watch reconnects to the
 * next member from the revision after the last one delivered, so events
 * stay gap-free across failover.
 */
#include "store/store_impl.h"
#include "clock/clock.h"
#include "clock/deadline.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "encoding/base64.h"
#include "log/log.h"
#include "net/sigpipe.h"

#define DEFAULT_PREFIX "/registry/"
#define DEFAULT_TIMEOUT_MS 5000
#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000
/* One attempt on one member gets this share of a call's budget (at least
 * ATTEMPT_MIN_MS): a write sent to a follower just as the leader dies is
 * dropped and waits for etcd's own 5 s timeout, while another member can
 * answer as soon as a new leader is elected (under a second). A list may
 * be slow because it is large, so it gets a bigger share; every attempt
 * doubles after each round over the members. */
#define ATTEMPT_SHARE 8      /* 625 ms of the default 5 s */
#define LIST_ATTEMPT_SHARE 2 /* 2.5 s */
#define ATTEMPT_MIN_MS 300
#define HEALTH_REFRESH_MS 1000 /* ping at most this often... */
#define HEALTH_IDLE_MS 10000   /* ...while someone asked this recently */
#define HEALTH_TIMEOUT_MS 2000 /* kube's --etcd-healthcheck-timeout */
#define DEFAULT_COMPACT_MS (5 * 60 * 1000)
/* Above etcd's default progress notification interval (10 min). */
#define WATCH_READ_TIMEOUT_S (11 * 60)
/* kube-apiserver's key (storage/etcd3/compact.go), outside any prefix, so
 * every API server on the cluster, cplane or not, takes turns through it. */
#define COMPACT_REV_KEY "compact_rev_key"

struct etcd_store;

typedef struct endpoint {
  char *url;
  char *host;
  int port;
  int tls;
  struct etcd_store *s;
  char tls_error[200]; /* last TLS failure, under s->pool_mu */
} endpoint;

/* One event_base and one keep-alive connection, used by one thread at a
 * time. */
typedef struct chan {
  struct event_base *base;
  struct evhttp_connection *conn;
  int ep; /* endpoint conn points at */
  int nodelay; /* TCP_NODELAY set on conn's socket */
  struct chan *next;
} chan;

typedef struct etcd_store {
  struct cp_store base;
  endpoint *eps;
  size_t ep_count;
  int preferred; /* atomic: endpoint that answered last */
  uint8_t *prefix;
  size_t prefix_len;
  int64_t timeout_ms;
  SSL_CTX *ssl_ctx; /* NULL unless an endpoint is https */
  int64_t compact_interval_ms; /* <= 0: no compaction */

  /* Health: ok_ms is atomic; the rest under hmu. The maintenance thread
   * pings etcd on demand and runs the compaction timer. */
  int64_t ok_ms;   /* last time etcd answered */
  int64_t fail_ms; /* last time a call gave up on every member */
  char fail_why[200];
  int64_t asked_ms, pinged_ms;
  int mstop;
  pthread_mutex_t hmu;
  pthread_cond_t hcond;
  pthread_t mthread;
  int mthread_started;

  pthread_mutex_t pool_mu;
  chan *pool;

  /* Watch thread. */
  struct event_base *wbase;
  pthread_t wthread;
  pthread_mutex_t wmu;
  pthread_cond_t wcond;
  struct cp_store_watcher *watchers; /* under wmu; loop thread changes */
} etcd_store;

struct cp_store_watcher {
  struct cp_store_watch_base base;
  etcd_store *s;
  uint8_t *key;   /* full key (store prefix + watch prefix) */
  size_t key_len;
  uint8_t *end;   /* range end, or NULL for "every key after key" */
  size_t end_len;
  cp_store_watch_cb cb;
  void *userdata;
  /* Loop thread only. */
  struct evhttp_connection *conn;
  struct evhttp_request *req;
  struct event *retry;
  struct event *closer; /* closes the stream after it ended (done) */
  struct evbuffer *line;
  int ep;
  int64_t next_rev; /* 0 until known: "from now" */
  int backoff_ms;
  int stream_up; /* the first bytes came: read timeout off */
  int done; /* ended by COMPACTED or ERROR */
  /* Under s->wmu. */
  int cancelled;
  int stopped;
  int free_on_stop;
  struct cp_store_watcher *next;
};

static const cp_store_ops etcd_ops;

static int64_t now_ms(void) { return cp_now_ms(); }

/* ---- base64 ----------------------------------------------------------- */

/* Appends the base64 of p[0..n) to out (the gateway's bytes fields). */
static int b64_add(struct evbuffer *out, const uint8_t *p, size_t n) {
  size_t olen = cp_base64_encoded_len(CP_BASE64_STD, n);
  struct evbuffer_iovec v;

  if (n == 0)
    return 0;
  if (olen == 0 || olen > (size_t)EV_SSIZE_MAX ||
      evbuffer_reserve_space(out, (ev_ssize_t)olen, &v, 1) < 1)
    return -1;
  v.iov_len = cp_base64_encode_to(CP_BASE64_STD, v.iov_base, p, n);
  return evbuffer_commit_space(out, &v, 1);
}

/* Decodes the gateway's base64 (Go's StdEncoding) into a malloc'd buffer
 * (NUL-terminated), owned by the caller. Returns NULL on bad input or
 * ENOMEM. */
static uint8_t *b64_decode(const char *s, size_t n, size_t *out_len) {
  return cp_base64_decode(CP_BASE64_STD, 0, s, n, out_len);
}

/* ---- JSON helpers ----------------------------------------------------- */

/* An int64 field: a string or a number, absent meaning 0. */
static int64_t jint(json_object *o, const char *name) {
  json_object *v;

  if (o == NULL || !json_object_object_get_ex(o, name, &v))
    return 0;
  return json_object_get_int64(v);
}

static json_object *jget(json_object *o, const char *name) {
  json_object *v = NULL;

  if (o != NULL)
    json_object_object_get_ex(o, name, &v);
  return v;
}

/* Decodes an etcd KeyValue into kv, removing the store prefix. */
static int parse_kv(etcd_store *s, json_object *o, cp_store_kv *kv) {
  json_object *k = jget(o, "key"), *v = jget(o, "value");
  uint8_t *full;
  size_t full_len = 0;

  memset(kv, 0, sizeof *kv);
  full = b64_decode(k ? json_object_get_string(k) : "",
                    k ? (size_t)json_object_get_string_len(k) : 0, &full_len);
  if (full == NULL)
    return CPLANE_ENOMEM;
  if (full_len >= s->prefix_len) {
    memmove(full, full + s->prefix_len, full_len - s->prefix_len + 1);
    full_len -= s->prefix_len;
  }
  kv->key = full;
  kv->key_len = full_len;
  kv->value = b64_decode(v ? json_object_get_string(v) : "",
                         v ? (size_t)json_object_get_string_len(v) : 0,
                         &kv->value_len);
  if (kv->value == NULL) {
    cp_store_kv_free(kv);
    return CPLANE_ENOMEM;
  }
  kv->create_revision = jint(o, "create_revision");
  kv->mod_revision = jint(o, "mod_revision");
  kv->version = jint(o, "version");
  return CPLANE_OK;
}

/* Parses a response body, which is not NUL-terminated. Returns the object
 * (owned by the caller) or NULL. */
static json_object *parse_body(struct evbuffer *b) {
  size_t n = evbuffer_get_length(b);
  const char *p = (const char *)evbuffer_pullup(b, (ev_ssize_t)n);
  json_tokener *tok;
  json_object *o;

  if (p == NULL || n == 0 || (tok = json_tokener_new()) == NULL)
    return NULL;
  o = json_tokener_parse_ex(tok, p, (int)n);
  json_tokener_free(tok);
  return o;
}

/* ---- Request bodies --------------------------------------------------- */

/* Appends "name":"<base64 of prefix+key>" to b. */
static int add_key(etcd_store *s, struct evbuffer *b, const char *name,
                   const void *key, size_t key_len) {
  uint8_t stack[512], *full = stack;
  size_t n = s->prefix_len + key_len;
  int rc;

  if (n > sizeof stack && (full = malloc(n)) == NULL)
    return -1;
  memcpy(full, s->prefix, s->prefix_len);
  if (key_len > 0)
    memcpy(full + s->prefix_len, key, key_len);
  rc = evbuffer_add_printf(b, "\"%s\":\"", name) < 0 ||
       b64_add(b, full, n) != 0 || evbuffer_add(b, "\"", 1) != 0;
  if (full != stack)
    free(full);
  return rc ? -1 : 0;
}

static int add_value(struct evbuffer *b, const void *v, size_t n) {
  return evbuffer_add_printf(b, "\"value\":\"") < 0 ||
                 b64_add(b, v, n) != 0 || evbuffer_add(b, "\"", 1) != 0
             ? -1
             : 0;
}

/* Range end of prefix+key as "range_end":..., for a prefix scan. */
static int add_range_end(etcd_store *s, struct evbuffer *b, const void *key,
                         size_t key_len) {
  size_t n = s->prefix_len + key_len, end_len = 0;
  uint8_t *full = malloc(n + 1), *end = malloc(n + 1);
  int rc = -1;

  if (full == NULL || end == NULL)
    goto out;
  memcpy(full, s->prefix, s->prefix_len);
  if (key_len > 0)
    memcpy(full + s->prefix_len, key, key_len);
  cp_store_prefix_end(full, n, end, &end_len);
  if (end_len == 0) { /* every key: the gateway's "\0" */
    end[0] = 0;
    end_len = 1;
  }
  rc = evbuffer_add_printf(b, "\"range_end\":\"") < 0 ||
               b64_add(b, end, end_len) != 0 || evbuffer_add(b, "\"", 1) != 0
           ? -1
           : 0;
out:
  free(full);
  free(end);
  return rc;
}

/* ---- Channels and calls ----------------------------------------------- */

typedef struct call_state {
  int done;
  int code;
  struct evbuffer *resp;
  struct event_base *base;
} call_state;

static void on_response(struct evhttp_request *req, void *arg) {
  call_state *c = arg;

  c->done = 1;
  c->code = req ? evhttp_request_get_response_code(req) : 0;
  if (req != NULL && c->code > 0)
    evbuffer_add_buffer(c->resp, evhttp_request_get_input_buffer(req));
  event_base_loopbreak(c->base);
}

/* Records why the server's certificate was rejected, while OpenSSL still
 * knows (a failed connection is reset before its close callback runs). */
static void note_tls_error(endpoint *ep, const char *why) {
  pthread_mutex_lock(&ep->s->pool_mu);
  if (strcmp(ep->tls_error, why) != 0) {
    snprintf(ep->tls_error, sizeof ep->tls_error, "%s", why);
    cp_log_error("store", "etcd endpoint %s: TLS: %s", ep->url, why);
  }
  pthread_mutex_unlock(&ep->s->pool_mu);
}

static int on_verify(int ok, X509_STORE_CTX *x) {
  SSL *ssl = X509_STORE_CTX_get_ex_data(
      x, SSL_get_ex_data_X509_STORE_CTX_idx());
  endpoint *ep = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
  char why[200];

  if (!ok && ep != NULL) {
    snprintf(why, sizeof why, "server certificate rejected: %s",
             X509_verify_cert_error_string(X509_STORE_CTX_get_error(x)));
    note_tls_error(ep, why);
  }
  return ok;
}

/* When a TLS connection closes on an error, says why (the certificate
 * check's verdict, or OpenSSL's error) once in the log, and keeps it for
 * the message of a failed open. */
static void on_tls_close(struct evhttp_connection *conn, void *arg) {
  endpoint *ep = arg;
  struct bufferevent *bev = evhttp_connection_get_bufferevent(conn);
  SSL *ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;
  unsigned long e = bev != NULL ? bufferevent_get_openssl_error(bev) : 0;
  long verify = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
  char why[200];

  if (verify != X509_V_OK)
    snprintf(why, sizeof why, "server certificate rejected: %s",
             X509_verify_cert_error_string(verify));
  else if (e != 0)
    ERR_error_string_n(e, why, sizeof why);
  else
    return; /* an ordinary close */
  while (bev != NULL && bufferevent_get_openssl_error(bev) != 0)
    ; /* drain the rest */
  note_tls_error(ep, why);
}

/* A new connection to ep on base: plain, or TLS verifying the server's
 * certificate against the CA and its name (or IP address) against ep's
 * host. NULL when out of memory. */
static struct evhttp_connection *ep_connect(etcd_store *s,
                                            struct event_base *base,
                                            endpoint *ep) {
  struct evhttp_connection *conn;
  struct bufferevent *bev;
  unsigned char ip[16];
  SSL *ssl;
  int is_ip;

  if (!ep->tls)
    return evhttp_connection_base_new(base, NULL, ep->host,
                                      (ev_uint16_t)ep->port);
  if ((ssl = SSL_new(s->ssl_ctx)) == NULL)
    return NULL;
  SSL_set_app_data(ssl, ep);
  is_ip = inet_pton(AF_INET, ep->host, ip) == 1 ||
          inet_pton(AF_INET6, ep->host, ip) == 1;
  if (is_ip)
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ep->host);
  else if (!SSL_set_tlsext_host_name(ssl, ep->host) ||
           !SSL_set1_host(ssl, ep->host)) {
    SSL_free(ssl);
    return NULL;
  }
  /* The bufferevent owns ssl from here, even on failure. */
  bev = bufferevent_openssl_socket_new(
      base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
      BEV_OPT_CLOSE_ON_FREE);
  if (bev == NULL)
    return NULL;
  /* etcd may close without close_notify; that ends a response, not an
   * error. */
  bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
  conn = evhttp_connection_base_bufferevent_new(base, NULL, bev, ep->host,
                                                (ev_uint16_t)ep->port);
  if (conn == NULL) {
    bufferevent_free(bev);
    return NULL;
  }
  evhttp_connection_set_closecb(conn, on_tls_close, ep);
  return conn;
}

static int chan_connect(etcd_store *s, chan *c, int ep) {
  if (c->conn != NULL)
    evhttp_connection_free(c->conn);
  c->conn = NULL;
  c->ep = ep;
  c->nodelay = 0;
  c->conn = ep_connect(s, c->base, &s->eps[ep]);
  if (c->conn == NULL)
    return CPLANE_ENOMEM;
  evhttp_connection_set_retries(c->conn, 0);
  return CPLANE_OK;
}

static chan *chan_get(etcd_store *s) {
  chan *c;

  pthread_mutex_lock(&s->pool_mu);
  c = s->pool;
  if (c != NULL)
    s->pool = c->next;
  pthread_mutex_unlock(&s->pool_mu);
  if (c != NULL)
    return c;
  c = calloc(1, sizeof *c);
  if (c == NULL)
    return NULL;
  c->base = event_base_new();
  c->ep = -1;
  if (c->base == NULL) {
    free(c);
    return NULL;
  }
  return c;
}

static void chan_put(etcd_store *s, chan *c) {
  pthread_mutex_lock(&s->pool_mu);
  c->next = s->pool;
  s->pool = c;
  pthread_mutex_unlock(&s->pool_mu);
}

static void chan_free(chan *c) {
  if (c->conn != NULL)
    evhttp_connection_free(c->conn);
  /* Let the base finalize the connection's bufferevent (and its SSL). */
  event_base_loop(c->base, EVLOOP_NONBLOCK);
  event_base_free(c->base);
  free(c);
}

/* A TLS request goes out as several records; with Nagle on, each after the
 * first waits for the server's delayed ACK. The socket exists once the
 * first exchange has connected, so this runs after each until set. */
static void chan_nodelay(chan *c) {
  struct bufferevent *bev;
  evutil_socket_t fd;
  int one = 1;

  if (c->nodelay || c->conn == NULL ||
      (bev = evhttp_connection_get_bufferevent(c->conn)) == NULL ||
      (fd = bufferevent_getfd(bev)) < 0)
    return;
  c->nodelay = setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
}

/* One HTTP exchange on c. Returns the HTTP status, 0 on a transport error.
 * The body is consumed (drained) from body. */
static int chan_post(etcd_store *s, chan *c, const char *path,
                     struct evbuffer *body, struct evbuffer *resp) {
  call_state st = {.resp = resp, .base = c->base};
  struct evhttp_request *req = evhttp_request_new(on_response, &st);
  struct evkeyvalq *h;

  if (req == NULL)
    return 0;
  h = evhttp_request_get_output_headers(req);
  evhttp_add_header(h, "Host", s->eps[c->ep].host);
  evhttp_add_header(h, "Content-Type", "application/json");
  evbuffer_add_buffer(evhttp_request_get_output_buffer(req), body);
  if (evhttp_make_request(c->conn, req, EVHTTP_REQ_POST, path) != 0)
    return 0; /* evhttp freed req */
  while (!st.done)
    if (event_base_dispatch(c->base) < 0)
      break;
  if (st.done && st.code != 0)
    chan_nodelay(c);
  return st.done ? st.code : 0;
}

/* What an etcd error body means for us. retry is set for errors another
 * member (or a later attempt) may not have. */
static int map_error(int http, struct evbuffer *resp, int *retry) {
  size_t n = evbuffer_get_length(resp);
  const char *txt = (const char *)evbuffer_pullup(resp, (ev_ssize_t)n);
  json_object *o = parse_body(resp);
  const char *msg = o ? json_object_get_string(jget(o, "message")) : NULL;
  int code = (int)jint(o, "code"), rc = CP_STORE_EIO;

  *retry = 0;
  if (msg != NULL && strstr(msg, "compacted") != NULL)
    rc = CP_STORE_ECOMPACTED;
  else if (msg != NULL && strstr(msg, "future revision") != NULL)
    rc = CP_STORE_EFUTURE;
  else if (msg != NULL && strstr(msg, "too large") != NULL)
    rc = CP_STORE_ETOOLARGE;
  else if (code == 14 || code == 4 || http == 503 || http == 502)
    *retry = 1; /* unavailable (no leader...) or deadline */
  if (rc == CP_STORE_EIO && !*retry)
    cp_log_error("store", "etcd: HTTP %d: %.*s", http, (int)(n > 300 ? 300 : n),
                 txt ? txt : "");
  json_object_put(o);
  return rc;
}

static void note_ok(etcd_store *s) {
  __atomic_store_n(&s->ok_ms, now_ms(), __ATOMIC_RELAXED);
}

static void note_fail(etcd_store *s, const char *why) {
  pthread_mutex_lock(&s->hmu);
  s->fail_ms = now_ms();
  snprintf(s->fail_why, sizeof s->fail_why, "%s", why);
  pthread_mutex_unlock(&s->hmu);
}

/* How long the next attempt may take: its share of the budget, doubled
 * after each round over every member (a request that is slow everywhere,
 * a large list, still gets the time it needs), never past the deadline. */
static int64_t attempt_ms(int64_t budget, int share, int64_t deadline,
                          int round) {
  int64_t left = deadline - now_ms(), ms = budget / share;

  if (ms < ATTEMPT_MIN_MS)
    ms = ATTEMPT_MIN_MS;
  ms <<= round < 10 ? round : 10;
  if (left < 1)
    left = 1; /* 0 would mean libevent's default of 50 s */
  return ms < left ? ms : left;
}

/* Connect, read and write timeout of conn (ms > 0). */
static void set_timeout(struct evhttp_connection *conn, int64_t ms) {
  struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

  evhttp_connection_set_timeout_tv(conn, &tv);
}

/* POSTs body to path, failing over between endpoints with backoff until
 * budget_ms have passed. Each attempt gets a share of the budget, so a
 * member that hangs (a follower waiting for a new leader) costs only
 * that share before the next member is asked. On success *out is the
 * parsed response (owned by the caller, json_object_put). *retried is set
 * if an earlier attempt may have reached etcd. */
static int call_within(etcd_store *s, const char *path, struct evbuffer *body,
                       json_object **out, int *retried, int64_t budget_ms,
                       int share) {
  struct evbuffer *copy = evbuffer_new(), *resp = evbuffer_new();
  int64_t start = now_ms(), deadline = start + budget_ms;
  int backoff = BACKOFF_MIN_MS, rc = CP_STORE_EUNAVAILABLE, attempts = 0;
  chan *c = chan_get(s);
  char why[200];

  *out = NULL;
  if (retried != NULL)
    *retried = 0;
  if (copy == NULL || resp == NULL || c == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  for (;;) {
    int ep = __atomic_load_n(&s->preferred, __ATOMIC_RELAXED), http, retry;
    int64_t ms = attempt_ms(budget_ms, share, deadline,
                            attempts / (int)s->ep_count),
            wait;

    if (c->ep != ep || c->conn == NULL) {
      rc = chan_connect(s, c, ep);
      if (rc == CPLANE_ENOMEM)
        goto out;
    }
    evbuffer_drain(resp, evbuffer_get_length(resp));
    evbuffer_add_buffer_reference(copy, body);
    if (c->conn != NULL)
      set_timeout(c->conn, ms);
    http = c->conn != NULL ? chan_post(s, c, path, copy, resp) : 0;
    evbuffer_drain(copy, evbuffer_get_length(copy));
    attempts++;
    if (http == 200) {
      *out = parse_body(resp);
      rc = *out != NULL ? CPLANE_OK : CP_STORE_EIO;
      __atomic_store_n(&s->preferred, ep, __ATOMIC_RELAXED);
      note_ok(s);
      goto out;
    }
    if (http != 0) {
      rc = map_error(http, resp, &retry);
      if (!retry) {
        note_ok(s); /* an answer, if not the one we hoped for */
        goto out;
      }
    }
    /* Transport error, timeout or an unavailable member: try the next
     * one. The attempt may still have been applied. */
    if (retried != NULL)
      *retried = 1;
    __atomic_compare_exchange_n(&s->preferred, &ep,
                                (int)((size_t)(ep + 1) % s->ep_count), 0,
                                __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    if (c->conn != NULL) {
      evhttp_connection_free(c->conn);
      c->conn = NULL;
    }
    /* Every member was tried once: back off before the next round. */
    wait = attempts % (int)s->ep_count == 0 ? backoff : 0;
    if (now_ms() + wait >= deadline) {
      size_t tried = (size_t)attempts < s->ep_count ? (size_t)attempts
                                                    : s->ep_count;

      rc = CP_STORE_EUNAVAILABLE;
      snprintf(why, sizeof why, "%s failed on %zu of %zu endpoint%s (%d "
               "attempt%s, last %s) within %lld ms",
               path, tried, s->ep_count, s->ep_count == 1 ? "" : "s",
               attempts, attempts == 1 ? "" : "s", s->eps[ep].url,
               (long long)(now_ms() - start));
      cp_log_warn("store", "etcd unreachable: %s", why);
      note_fail(s, why);
      goto out;
    }
    if (wait > 0) {
      usleep((useconds_t)wait * 1000);
      backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
  }
out:
  if (c != NULL)
    chan_put(s, c);
  if (copy != NULL)
    evbuffer_free(copy);
  if (resp != NULL)
    evbuffer_free(resp);
  return rc;
}

static int etcd_call(etcd_store *s, const char *path, struct evbuffer *body,
                     json_object **out, int *retried) {
  return call_within(s, path, body, out, retried, s->timeout_ms,
                     ATTEMPT_SHARE);
}

/* ---- KV operations ---------------------------------------------------- */

static int first_kv(etcd_store *s, json_object *kvs, cp_store_kv *out) {
  if (kvs == NULL || json_object_array_length(kvs) == 0) {
    /* Empty, as parse_kv leaves it on any result: *out may be freed
     * whatever the answer. */
    memset(out, 0, sizeof *out);
    return CPLANE_ENOENT;
  }
  return parse_kv(s, json_object_array_get_idx(kvs, 0), out);
}

static int et_get(cp_store *base, const void *key, size_t key_len,
                  int64_t rev, cp_store_kv *out, int64_t *header_rev) {
  etcd_store *s = (etcd_store *)base;
  struct evbuffer *b = evbuffer_new();
  json_object *r = NULL;
  int rc = CPLANE_ENOMEM;

  if (b == NULL || evbuffer_add(b, "{", 1) || add_key(s, b, "key", key, key_len) ||
      evbuffer_add_printf(b, ",\"revision\":\"%lld\"}", (long long)rev) < 0)
    goto out;
  rc = etcd_call(s, "/v3/kv/range", b, &r, NULL);
  if (rc != CPLANE_OK)
    goto out;
  if (header_rev != NULL)
    *header_rev = jint(jget(r, "header"), "revision");
  rc = first_kv(s, jget(r, "kvs"), out);
out:
  json_object_put(r);
  if (b != NULL)
    evbuffer_free(b);
  return rc;
}

static int et_list(cp_store *base, const void *prefix, size_t prefix_len,
                   const void *start, size_t start_len, int64_t rev,
                   size_t limit, cp_store_list_result *res) {
  etcd_store *s = (etcd_store *)base;
  struct evbuffer *b = evbuffer_new();
  json_object *r = NULL, *kvs;
  const void *lo = prefix;
  size_t lo_len = prefix_len, i, n;
  int rc = CPLANE_ENOMEM;

  if (start_len > 0) {
    size_t m = start_len < prefix_len ? start_len : prefix_len;
    int cmp = m ? memcmp(start, prefix, m) : 0;

    if (cmp > 0 || (cmp == 0 && start_len >= prefix_len)) {
      lo = start;
      lo_len = start_len;
    }
  }
  if (b == NULL || evbuffer_add(b, "{", 1) || add_key(s, b, "key", lo, lo_len) ||
      evbuffer_add(b, ",", 1) || add_range_end(s, b, prefix, prefix_len) ||
      evbuffer_add_printf(b, ",\"revision\":\"%lld\",\"limit\":\"%zu\"}",
                          (long long)rev, limit) < 0)
    goto out;
  rc = call_within(s, "/v3/kv/range", b, &r, NULL, s->timeout_ms,
                   LIST_ATTEMPT_SHARE);
  if (rc != CPLANE_OK)
    goto out;
  kvs = jget(r, "kvs");
  n = kvs ? json_object_array_length(kvs) : 0;
  res->revision = rev > 0 ? rev : jint(jget(r, "header"), "revision");
  res->more = json_object_get_boolean(jget(r, "more"));
  if (n > 0 && (res->kvs = calloc(n, sizeof *res->kvs)) == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  for (i = 0; i < n && rc == CPLANE_OK; i++) {
    rc = parse_kv(s, json_object_array_get_idx(kvs, i), &res->kvs[i]);
    if (rc == CPLANE_OK)
      res->count++;
  }
out:
  json_object_put(r);
  if (b != NULL)
    evbuffer_free(b);
  if (rc != CPLANE_OK)
    cp_store_list_result_free(res);
  return rc;
}

/* A txn: if mod_revision(key) <cmp> rev then <then> else range key. */
static int txn(etcd_store *s, const void *key, size_t key_len,
               const char *cmp, int64_t rev, const void *value,
               size_t value_len, int is_delete, json_object **out,
               int *retried) {
  struct evbuffer *b = evbuffer_new();
  int rc = CPLANE_ENOMEM;

  if (b == NULL)
    return rc;
  if (evbuffer_add(b, "{\"compare\":[{", 13) ||
      add_key(s, b, "key", key, key_len) ||
      evbuffer_add_printf(b,
                          ",\"target\":\"MOD\",\"result\":\"%s\","
                          "\"mod_revision\":\"%lld\"}],\"success\":[{",
                          cmp, (long long)rev) < 0 ||
      evbuffer_add_printf(b, is_delete ? "\"request_delete_range\":{"
                                       : "\"request_put\":{") < 0 ||
      add_key(s, b, "key", key, key_len) ||
      (is_delete ? evbuffer_add_printf(b, ",\"prev_kv\":true") < 0
                 : (evbuffer_add(b, ",", 1) ||
                    add_value(b, value, value_len))) ||
      evbuffer_add_printf(b, "}}],\"failure\":[{\"request_range\":{") < 0 ||
      add_key(s, b, "key", key, key_len) ||
      evbuffer_add_printf(b, "}}]}") < 0)
    goto out;
  rc = etcd_call(s, "/v3/kv/txn", b, out, retried);
out:
  evbuffer_free(b);
  return rc;
}

/* The kvs of the failure branch's range (the key's current value). */
static json_object *txn_range_kvs(json_object *r) {
  json_object *resp = jget(r, "responses");

  if (resp == NULL || json_object_array_length(resp) == 0)
    return NULL;
  return jget(jget(json_object_array_get_idx(resp, 0), "response_range"),
              "kvs");
}

/* After a retried write lost its compare: was the winner our own first
 * attempt? True if the key holds exactly our value. */
static int is_own_write(etcd_store *s, json_object *r, const void *value,
                        size_t value_len, int64_t *rev) {
  cp_store_kv cur;
  int own;

  if (first_kv(s, txn_range_kvs(r), &cur) != CPLANE_OK)
    return 0;
  own = cur.value_len == value_len &&
        (value_len == 0 || memcmp(cur.value, value, value_len) == 0);
  *rev = cur.mod_revision;
  cp_store_kv_free(&cur);
  return own;
}

static int et_put(etcd_store *s, const void *key, size_t key_len,
                  const void *value, size_t value_len, int64_t expected,
                  int64_t *rev_out, cp_store_kv *current) {
  json_object *r = NULL;
  int retried = 0, rc;
  int64_t rev = 0;

  rc = txn(s, key, key_len, "EQUAL", expected, value, value_len, 0, &r,
           &retried);
  if (rc != CPLANE_OK)
    goto out;
  if (json_object_get_boolean(jget(r, "succeeded"))) {
    rev = jint(jget(r, "header"), "revision");
  } else if (retried && is_own_write(s, r, value, value_len, &rev)) {
    cp_log_info("store", "etcd: a retried write had already succeeded");
  } else {
    rc = expected == 0 ? CP_STORE_EEXISTS : CP_STORE_ECONFLICT;
    if (current != NULL && expected != 0 &&
        first_kv(s, txn_range_kvs(r), current) == CPLANE_ENOMEM)
      rc = CPLANE_ENOMEM;
  }
  if (rc == CPLANE_OK && rev_out != NULL)
    *rev_out = rev;
out:
  json_object_put(r);
  return rc;
}

static int et_create(cp_store *base, const void *key, size_t key_len,
                     const void *value, size_t value_len, int64_t *rev_out) {
  return et_put((etcd_store *)base, key, key_len, value, value_len, 0,
                rev_out, NULL);
}

static int et_update(cp_store *base, const void *key, size_t key_len,
                     const void *value, size_t value_len, int64_t expected,
                     int64_t *rev_out, cp_store_kv *current) {
  return et_put((etcd_store *)base, key, key_len, value, value_len, expected,
                rev_out, current);
}

static int et_delete(cp_store *base, const void *key, size_t key_len,
                     int64_t expected, int64_t *rev_out, cp_store_kv *prev) {
  etcd_store *s = (etcd_store *)base;
  json_object *r = NULL, *resp, *prevs;
  int retried = 0, rc;

  /* expected 0: "if it exists" is mod_revision > 0. */
  rc = txn(s, key, key_len, expected ? "EQUAL" : "GREATER", expected, NULL, 0,
           1, &r, &retried);
  if (rc != CPLANE_OK)
    goto out;
  if (!json_object_get_boolean(jget(r, "succeeded"))) {
    json_object *kvs = txn_range_kvs(r);

    if (kvs == NULL || json_object_array_length(kvs) == 0)
      rc = retried ? CPLANE_OK : CPLANE_ENOENT; /* a retry found it gone */
    else
      rc = CP_STORE_ECONFLICT;
    if (rc == CP_STORE_ECONFLICT && prev != NULL &&
        first_kv(s, kvs, prev) == CPLANE_ENOMEM)
      rc = CPLANE_ENOMEM;
    if (rc == CPLANE_OK && rev_out != NULL)
      *rev_out = jint(jget(r, "header"), "revision");
    goto out;
  }
  if (rev_out != NULL)
    *rev_out = jint(jget(r, "header"), "revision");
  resp = jget(r, "responses");
  prevs = resp ? jget(jget(json_object_array_get_idx(resp, 0),
                           "response_delete_range"),
                      "prev_kvs")
               : NULL;
  if (prev != NULL && first_kv(s, prevs, prev) == CPLANE_ENOMEM)
    rc = CPLANE_ENOMEM;
out:
  json_object_put(r);
  return rc;
}

/* ---- Transactions ---------------------------------------------------- */

/* Appends the separator (when not first) and one compare of op: an
 * absent key has mod_revision 0. */
static int add_compare(etcd_store *s, struct evbuffer *b,
                       const cp_store_txn_op *op, int first) {
  int64_t want = op->kind == CP_STORE_TXN_CREATE ? 0 : op->expected_rev;

  return (!first && evbuffer_add(b, ",", 1)) || evbuffer_add(b, "{", 1) ||
                 add_key(s, b, "key", op->key, op->key_len) ||
                 evbuffer_add_printf(b,
                                     ",\"target\":\"MOD\",\"result\":"
                                     "\"EQUAL\",\"mod_revision\":\"%lld\"}",
                                     (long long)want) < 0
             ? -1
             : 0;
}

/* The body of a Txn: every guard, then every put; the failure branch
 * reads every key, to tell which guard failed. */
static struct evbuffer *txn_body(etcd_store *s, const cp_store_txn_op *ops,
                                 size_t n) {
  struct evbuffer *b = evbuffer_new();
  size_t i;
  int bad = b == NULL || evbuffer_add(b, "{\"compare\":[", 12);

  for (i = 0; !bad && i < n; i++)
    bad = add_compare(s, b, &ops[i], i == 0);
  bad = bad || evbuffer_add(b, "],\"success\":[", 13);
  for (i = 0; !bad && i < n; i++)
    bad = evbuffer_add_printf(b, "%s{\"request_put\":{", i ? "," : "") < 0 ||
          add_key(s, b, "key", ops[i].key, ops[i].key_len) ||
          evbuffer_add(b, ",", 1) ||
          add_value(b, ops[i].value, ops[i].value_len) ||
          evbuffer_add(b, "}}", 2);
  bad = bad || evbuffer_add(b, "],\"failure\":[", 13);
  for (i = 0; !bad && i < n; i++)
    bad = evbuffer_add_printf(b, "%s{\"request_range\":{", i ? "," : "") <
              0 ||
          add_key(s, b, "key", ops[i].key, ops[i].key_len) ||
          evbuffer_add(b, "}}", 2);
  if (bad || evbuffer_add(b, "]}", 2)) {
    if (b != NULL)
      evbuffer_free(b);
    return NULL;
  }
  return b;
}

/* After a failed Txn: each op's guard from its key as the failure
 * branch read it (responses[i]). *own is cleared unless every key holds
 * exactly the op's value at one revision, which *rev then gets: a
 * retried Txn that met its own first attempt. */
static int txn_guards(etcd_store *s, json_object *r, cp_store_txn_op *ops,
                      size_t n, int *own, int64_t *rev) {
  json_object *resp = jget(r, "responses");
  size_t i;

  *own = resp != NULL && json_object_array_length(resp) == n;
  *rev = 0;
  for (i = 0; i < n; i++) {
    json_object *kvs = resp != NULL
                           ? jget(jget(json_object_array_get_idx(resp, i),
                                       "response_range"),
                                  "kvs")
                           : NULL;
    cp_store_kv cur;
    int rc = first_kv(s, kvs, &cur);

    if (rc == CPLANE_ENOMEM)
      return rc;
    if (ops[i].kind == CP_STORE_TXN_CREATE)
      ops[i].rc = rc == CPLANE_OK ? CP_STORE_EEXISTS : CPLANE_OK;
    else
      ops[i].rc = rc == CPLANE_OK && cur.mod_revision == ops[i].expected_rev
                      ? CPLANE_OK
                      : CP_STORE_ECONFLICT;
    *own = *own && rc == CPLANE_OK && (*rev == 0 || *rev == cur.mod_revision) &&
           cur.value_len == ops[i].value_len &&
           (cur.value_len == 0 ||
            memcmp(cur.value, ops[i].value, cur.value_len) == 0);
    if (rc == CPLANE_OK)
      *rev = cur.mod_revision;
    cp_store_kv_free(&cur);
  }
  return CPLANE_OK;
}

static int et_txn(cp_store *base, cp_store_txn_op *ops, size_t n) {
  etcd_store *s = (etcd_store *)base;
  struct evbuffer *b = txn_body(s, ops, n);
  json_object *r = NULL;
  int64_t rev = 0;
  int retried = 0, own = 0, rc;
  size_t i;

  if (b == NULL)
    return CPLANE_ENOMEM;
  rc = etcd_call(s, "/v3/kv/txn", b, &r, &retried);
  evbuffer_free(b);
  if (rc != CPLANE_OK)
    goto out;
  if (json_object_get_boolean(jget(r, "succeeded"))) {
    rev = jint(jget(r, "header"), "revision");
  } else if ((rc = txn_guards(s, r, ops, n, &own, &rev)) != CPLANE_OK) {
    goto out;
  } else if (retried && own) {
    cp_log_info("store", "etcd: a retried transaction had already "
                "succeeded");
  } else {
    for (i = 0; i < n && rc == CPLANE_OK; i++)
      rc = ops[i].rc;
    if (rc == CPLANE_OK) /* changed back between the Txn and its read */
      rc = CP_STORE_ECONFLICT;
    goto out;
  }
  for (i = 0; i < n; i++) {
    ops[i].rc = CPLANE_OK;
    ops[i].rev = rev;
  }
out:
  json_object_put(r);
  return rc;
}

static int et_compact(cp_store *base, int64_t rev) {
  etcd_store *s = (etcd_store *)base;
  struct evbuffer *b = evbuffer_new();
  json_object *r = NULL;
  int rc = CPLANE_ENOMEM;

  if (b == NULL ||
      evbuffer_add_printf(b, "{\"revision\":\"%lld\"}", (long long)rev) < 0)
    goto out;
  rc = etcd_call(s, "/v3/kv/compaction", b, &r, NULL);
out:
  json_object_put(r);
  if (b != NULL)
    evbuffer_free(b);
  return rc;
}

static int et_current_revision(cp_store *base, int64_t *rev) {
  etcd_store *s = (etcd_store *)base;
  struct evbuffer *b = evbuffer_new();
  json_object *r = NULL;
  int rc = CPLANE_ENOMEM;

  /* A linearizable read of one key gives the cluster's revision. */
  if (b == NULL || evbuffer_add(b, "{", 1) || add_key(s, b, "key", "", 0) ||
      evbuffer_add_printf(b, ",\"count_only\":true}") < 0)
    goto out;
  rc = etcd_call(s, "/v3/kv/range", b, &r, NULL);
  if (rc == CPLANE_OK)
    *rev = jint(jget(r, "header"), "revision");
out:
  json_object_put(r);
  if (b != NULL)
    evbuffer_free(b);
  return rc;
}

/* ---- Health and compaction (maintenance thread) ----------------------- */

/* Answers from the last outcome (a call that got an answer, or one that
 * gave up on every member) and asks the maintenance thread for a fresh
 * ping when that is over a second old: never waits for the network, so
 * /readyz can run on the API server's event loop. */
static int et_check(cp_store *base, char **why) {
  etcd_store *s = (etcd_store *)base;
  int64_t now = now_ms(), ok = __atomic_load_n(&s->ok_ms, __ATOMIC_RELAXED);
  int rc = CPLANE_OK;

  pthread_mutex_lock(&s->hmu);
  s->asked_ms = now;
  if (now - (ok > s->fail_ms ? ok : s->fail_ms) >= HEALTH_REFRESH_MS)
    pthread_cond_signal(&s->hcond);
  if (s->fail_ms > ok) {
    rc = CP_STORE_EUNAVAILABLE;
    if (why != NULL)
      *why = strdup(s->fail_why);
  }
  pthread_mutex_unlock(&s->hmu);
  return rc;
}

/* kube-apiserver's check: read <prefix>health, linearizable (so only a
 * member with a leader answers), within --etcd-healthcheck-timeout. The
 * outcome is recorded by call_within. */
static void health_ping(etcd_store *s) {
  struct evbuffer *b = evbuffer_new();
  json_object *r = NULL;

  if (b != NULL && evbuffer_add(b, "{", 1) == 0 &&
      add_key(s, b, "key", "health", 6) == 0 &&
      evbuffer_add_printf(b, ",\"count_only\":true}") >= 0)
    call_within(s, "/v3/kv/range", b, &r, NULL, HEALTH_TIMEOUT_MS,
                ATTEMPT_SHARE);
  json_object_put(r);
  if (b != NULL)
    evbuffer_free(b);
}

/* The compaction transaction: if compact_rev_key's version is *ktime, put
 * rev into it, else read it. */
static struct evbuffer *compact_txn_body(int64_t ktime, int64_t rev) {
  struct evbuffer *b = evbuffer_new();
  char val[32];
  int n = snprintf(val, sizeof val, "%lld", (long long)rev);
  const uint8_t *key = (const uint8_t *)COMPACT_REV_KEY;
  size_t klen = sizeof COMPACT_REV_KEY - 1;

  if (b == NULL)
    return NULL;
  if (evbuffer_add_printf(b, "{\"compare\":[{\"key\":\"") < 0 ||
      b64_add(b, key, klen) != 0 ||
      evbuffer_add_printf(b, "\",\"target\":\"VERSION\",\"result\":\"EQUAL\","
                          "\"version\":\"%lld\"}],\"success\":[{"
                          "\"request_put\":{\"key\":\"",
                          (long long)ktime) < 0 ||
      b64_add(b, key, klen) != 0 ||
      evbuffer_add_printf(b, "\",\"value\":\"") < 0 ||
      b64_add(b, (const uint8_t *)val, (size_t)n) != 0 ||
      evbuffer_add_printf(b, "\"}}],\"failure\":[{\"request_range\":"
                          "{\"key\":\"") < 0 ||
      b64_add(b, key, klen) != 0 || evbuffer_add_printf(b, "\"}}]}") < 0) {
    evbuffer_free(b);
    return NULL;
  }
  return b;
}

/*
 * One tick of kube-apiserver's compactor (storage/etcd3/compact.go), so
 * that several API servers on one etcd compact once per interval between
 * them: whoever's compare on compact_rev_key's version (*ktime) wins
 * stores the revision it saw one tick ago (*krev) and compacts to it,
 * keeping about one interval of history; the others learn the key's
 * version and the current revision and try again next tick.
 */
static void compact_tick(etcd_store *s, int64_t *ktime, int64_t *krev) {
  struct evbuffer *b = compact_txn_body(*ktime, *krev);
  json_object *r = NULL;
  int64_t cur;
  int rc = CPLANE_ENOMEM;

  if (b != NULL)
    rc = etcd_call(s, "/v3/kv/txn", b, &r, NULL);
  if (rc != CPLANE_OK) {
    cp_log_warn("store", "etcd: compaction skipped: %s",
                cp_store_strerror(rc));
    goto out;
  }
  cur = jint(jget(r, "header"), "revision");
  if (!json_object_get_boolean(jget(r, "succeeded"))) {
    json_object *kvs = txn_range_kvs(r);

    *ktime = kvs != NULL && json_object_array_length(kvs) > 0
                 ? jint(json_object_array_get_idx(kvs, 0), "version")
                 : 0;
    *krev = cur;
    goto out;
  }
  (*ktime)++;
  if (*krev > 0) { /* not on the first tick: nothing seen yet */
    rc = et_compact(&s->base, *krev);
    if (rc == CPLANE_OK)
      cp_log_info("store", "etcd: compacted to revision %lld",
                  (long long)*krev);
    else if (rc != CP_STORE_ECOMPACTED)
      cp_log_warn("store", "etcd: compaction to revision %lld failed: %s",
                  (long long)*krev, cp_store_strerror(rc));
  }
  *krev = cur;
out:
  json_object_put(r);
  if (b != NULL)
    evbuffer_free(b);
}

/* Whether a ping is due: someone asked lately and nothing was heard for a
 * second. hmu held. */
static int ping_due(etcd_store *s, int64_t now) {
  int64_t ok = __atomic_load_n(&s->ok_ms, __ATOMIC_RELAXED);
  int64_t last = ok > s->fail_ms ? ok : s->fail_ms;

  return now - s->asked_ms < HEALTH_IDLE_MS &&
         now - s->pinged_ms >= HEALTH_REFRESH_MS &&
         now - last >= HEALTH_REFRESH_MS;
}

static void *maint_main(void *arg) {
  etcd_store *s = arg;
  int64_t ktime = 0, krev = 0, next_compact = INT64_MAX;
  struct timespec ts;

  pthread_setname_np(pthread_self(), "etcd-maint"); /* top -H, perf */
  if (s->compact_interval_ms > 0)
    next_compact = now_ms() + s->compact_interval_ms;
  pthread_mutex_lock(&s->hmu);
  while (!s->mstop) {
    int64_t now = now_ms(), wake = next_compact;

    if (ping_due(s, now)) {
      s->pinged_ms = now;
      pthread_mutex_unlock(&s->hmu);
      health_ping(s);
      pthread_mutex_lock(&s->hmu);
      continue;
    }
    if (now >= next_compact) {
      pthread_mutex_unlock(&s->hmu);
      compact_tick(s, &ktime, &krev);
      pthread_mutex_lock(&s->hmu);
      next_compact = now_ms() + s->compact_interval_ms;
      continue;
    }
    if (now - s->asked_ms < HEALTH_IDLE_MS && now + HEALTH_REFRESH_MS < wake)
      wake = now + HEALTH_REFRESH_MS;
    if (wake - now > 3600 * 1000)
      wake = now + 3600 * 1000;
    cp_deadline_after_ms(CLOCK_MONOTONIC, wake - now, &ts);
    pthread_cond_timedwait(&s->hcond, &s->hmu, &ts);
  }
  pthread_mutex_unlock(&s->hmu);
  return NULL;
}

static void stop_maint(etcd_store *s) {
  if (!s->mthread_started)
    return;
  pthread_mutex_lock(&s->hmu);
  s->mstop = 1;
  pthread_cond_signal(&s->hcond);
  pthread_mutex_unlock(&s->hmu);
  pthread_join(s->mthread, NULL);
  s->mthread_started = 0;
}

/* ---- Watches (watch thread) ------------------------------------------- */

static void watch_connect(evutil_socket_t fd, short what, void *arg);

static void watch_deliver(cp_store_watcher *w, int kind, int64_t rev,
                          int status) {
  cp_store_watch_msg m = {.kind = kind, .revision = rev, .status = status};

  if (kind == CP_STORE_WATCH_COMPACTED || kind == CP_STORE_WATCH_ERROR)
    w->done = 1;
  w->cb(w->userdata, &m);
}

static int is_cancelled(cp_store_watcher *w) {
  int c;

  pthread_mutex_lock(&w->s->wmu);
  c = w->cancelled;
  pthread_mutex_unlock(&w->s->wmu);
  return c;
}

static void watch_events(cp_store_watcher *w, json_object *evs) {
  size_t n = json_object_array_length(evs), i, ok = 0;
  cp_store_event *e = calloc(n, sizeof *e);
  cp_store_watch_msg m = {.kind = CP_STORE_WATCH_EVENTS};

  if (e == NULL) {
    watch_deliver(w, CP_STORE_WATCH_ERROR, 0, CPLANE_ENOMEM);
    return;
  }
  for (i = 0; i < n; i++, ok++) {
    json_object *ev = json_object_array_get_idx(evs, i), *pkv;
    const char *type = json_object_get_string(jget(ev, "type"));

    e[i].type = type && strcmp(type, "DELETE") == 0 ? CP_STORE_EVENT_DELETE
                                                    : CP_STORE_EVENT_PUT;
    if (parse_kv(w->s, jget(ev, "kv"), &e[i].kv) != CPLANE_OK)
      break;
    pkv = jget(ev, "prev_kv");
    if (pkv != NULL && parse_kv(w->s, pkv, &e[i].prev) != CPLANE_OK) {
      cp_store_kv_free(&e[i].kv);
      break;
    }
  }
  if (ok < n) {
    watch_deliver(w, CP_STORE_WATCH_ERROR, 0, CPLANE_ENOMEM);
  } else if (n > 0) {
    m.events = e;
    m.count = n;
    m.revision = e[n - 1].kv.mod_revision;
    w->next_rev = m.revision + 1;
    w->cb(w->userdata, &m);
  }
  for (i = 0; i < ok; i++) {
    cp_store_kv_free(&e[i].kv);
    cp_store_kv_free(&e[i].prev);
  }
  free(e);
}

/* Handles one {"result":{...}} line of the stream. */
static void watch_message(cp_store_watcher *w, json_object *msg) {
  json_object *res = jget(msg, "result"), *evs;
  int64_t hrev = jint(jget(res, "header"), "revision");

  if (res == NULL) {
    cp_log_warn("store", "etcd watch: unexpected message %s",
                json_object_to_json_string(msg));
    return;
  }
  w->backoff_ms = BACKOFF_MIN_MS; /* the member answers: healthy */
  if (json_object_get_boolean(jget(res, "canceled"))) {
    int64_t crev = jint(res, "compact_revision");

    if (crev > 0)
      watch_deliver(w, CP_STORE_WATCH_COMPACTED, crev, 0);
    else
      watch_deliver(w, CP_STORE_WATCH_ERROR, 0, CP_STORE_EIO);
    return;
  }
  if (json_object_get_boolean(jget(res, "created"))) {
    if (w->next_rev == 0 && hrev > 0)
      w->next_rev = hrev + 1;
    return;
  }
  evs = jget(res, "events");
  if (evs != NULL && json_object_array_length(evs) > 0) {
    watch_events(w, evs);
    return;
  }
  /* Header only: a progress notification. Everything up to hrev has
   * been sent. */
  if (hrev > 0 && hrev + 1 >= w->next_rev) {
    w->next_rev = hrev + 1;
    watch_deliver(w, CP_STORE_WATCH_PROGRESS, hrev, 0);
  }
}

static void close_conn(cp_store_watcher *w) {
  if (w->conn != NULL)
    evhttp_connection_free(w->conn); /* frees w->req too */
  w->conn = NULL;
  w->req = NULL;
}

static void after_done(evutil_socket_t fd, short what, void *arg) {
  close_conn(arg);
}

/*
 * libevent 2.1 ends a response that sends nothing for 50 s, and an idle
 * watch sends nothing for as long as etcd's progress interval (10 min by
 * default), so every idle stream ended and reconnected. Once the stream
 * answers its read timeout is above that interval: only a member that
 * stopped answering (a hung process) ends it. TCP keepalive (about a
 * minute) finds sooner a member that vanished without closing the
 * connection.
 */
static void watch_stream_up(cp_store_watcher *w) {
  struct bufferevent *bev = evhttp_connection_get_bufferevent(w->conn);
  struct timeval rd = {WATCH_READ_TIMEOUT_S, 0};
  int on = 1, idle = 30, intvl = 10, cnt = 3;
  evutil_socket_t fd;

  w->stream_up = 1;
  if (bev == NULL)
    return;
  bufferevent_set_timeouts(bev, &rd, NULL);
  fd = bufferevent_getfd(bev);
  if (fd < 0)
    return;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}

static void watch_chunk(struct evhttp_request *req, void *arg) {
  cp_store_watcher *w = arg;
  struct evbuffer *in = evhttp_request_get_input_buffer(req);
  char *line;
  size_t n;

  if (!w->stream_up && w->conn != NULL)
    watch_stream_up(w);
  evbuffer_add_buffer(w->line, in);
  while (!w->done && !is_cancelled(w) &&
         (line = evbuffer_readln(w->line, &n, EVBUFFER_EOL_LF)) != NULL) {
    json_object *msg = json_tokener_parse(line);

    free(line);
    if (msg == NULL)
      continue;
    watch_message(w, msg);
    json_object_put(msg);
  }
  /* The gateway leaves a cancelled stream open: close it, but not from
   * inside its own callback. The event is w's own, so watch_stop can
   * take it back: a canceller woken by the delivery above may free w
   * before the loop gets to it. */
  if (w->done)
    event_active(w->closer, EV_TIMEOUT, 0);
}

static void schedule_reconnect(cp_store_watcher *w) {
  struct timeval tv = {w->backoff_ms / 1000, (w->backoff_ms % 1000) * 1000};

  w->ep = (int)((size_t)(w->ep + 1) % w->s->ep_count);
  w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                     : w->backoff_ms * 2;
  evtimer_add(w->retry, &tv);
}

/* The stream ended: the member went away, or we closed it. */
static void watch_done(struct evhttp_request *req, void *arg) {
  cp_store_watcher *w = arg;

  w->req = NULL;
  if (w->done || is_cancelled(w))
    return;
  cp_log_info("store", "etcd watch stream from %s ended; reconnecting from "
              "revision %lld",
              w->s->eps[w->ep].url, (long long)w->next_rev);
  schedule_reconnect(w);
}

static struct evbuffer *watch_body(cp_store_watcher *w) {
  struct evbuffer *b = evbuffer_new();

  if (b == NULL)
    return NULL;
  if (evbuffer_add_printf(b, "{\"create_request\":{\"key\":\"") < 0 ||
      b64_add(b, w->key, w->key_len) ||
      evbuffer_add_printf(b, "\",\"range_end\":\"") < 0 ||
      b64_add(b, w->end, w->end_len) ||
      evbuffer_add_printf(b, "\",\"start_revision\":\"%lld\","
                          "\"prev_kv\":true,\"progress_notify\":true}}",
                          (long long)w->next_rev) < 0) {
    evbuffer_free(b);
    return NULL;
  }
  return b;
}

static void watch_connect(evutil_socket_t fd, short what, void *arg) {
  cp_store_watcher *w = arg;
  endpoint *ep;
  struct evbuffer *b;

  close_conn(w);
  if (w->done || is_cancelled(w))
    return;
  ep = &w->s->eps[w->ep];
  w->stream_up = 0;
  evbuffer_drain(w->line, evbuffer_get_length(w->line));
  w->conn = ep_connect(w->s, w->s->wbase, ep);
  w->req = evhttp_request_new(watch_done, w);
  b = watch_body(w);
  if (w->conn == NULL || w->req == NULL || b == NULL) {
    if (w->req != NULL && w->conn == NULL)
      evhttp_request_free(w->req);
    if (b != NULL)
      evbuffer_free(b);
    w->req = NULL;
    schedule_reconnect(w);
    return;
  }
  evhttp_connection_set_retries(w->conn, 0);
  /* Until the stream answers (watch_stream_up): a member that does not
   * answer at all is left for the next one as a call would be. */
  set_timeout(w->conn, w->s->timeout_ms);
  evhttp_request_set_chunked_cb(w->req, watch_chunk);
  evhttp_add_header(evhttp_request_get_output_headers(w->req), "Host",
                    ep->host);
  evhttp_add_header(evhttp_request_get_output_headers(w->req),
                    "Content-Type", "application/json");
  evbuffer_add_buffer(evhttp_request_get_output_buffer(w->req), b);
  evbuffer_free(b);
  if (evhttp_make_request(w->conn, w->req, EVHTTP_REQ_POST, "/v3/watch") !=
      0) {
    w->req = NULL; /* freed by evhttp */
    schedule_reconnect(w);
  }
}

static void watcher_free(cp_store_watcher *w) {
  if (w->retry != NULL)
    event_free(w->retry);
  if (w->closer != NULL)
    event_free(w->closer);
  if (w->line != NULL)
    evbuffer_free(w->line);
  free(w->key);
  free(w->end);
  free(w);
}

static void unlink_watcher(etcd_store *s, cp_store_watcher *w) {
  cp_store_watcher **p;

  for (p = &s->watchers; *p != NULL; p = &(*p)->next)
    if (*p == w) {
      *p = w->next;
      break;
    }
}

/* Runs on the watch thread: closes w and tells the canceller. */
static void watch_stop(evutil_socket_t fd, short what, void *arg) {
  cp_store_watcher *w = arg;
  etcd_store *s = w->s;
  int free_now;

  evtimer_del(w->retry);
  event_del(w->closer); /* also when active and not yet run */
  close_conn(w);
  pthread_mutex_lock(&s->wmu);
  unlink_watcher(s, w);
  w->stopped = 1;
  free_now = w->free_on_stop;
  pthread_cond_broadcast(&s->wcond);
  pthread_mutex_unlock(&s->wmu);
  if (free_now)
    watcher_free(w);
}

static int et_watch(cp_store *base, const void *prefix, size_t prefix_len,
                    int64_t from_rev, cp_store_watch_cb cb, void *userdata,
                    cp_store_watcher **out) {
  etcd_store *s = (etcd_store *)base;
  cp_store_watcher *w = calloc(1, sizeof *w);
  size_t n = s->prefix_len + prefix_len;

  int rc;

  if (w == NULL)
    return CPLANE_ENOMEM;
  /* "From now" is pinned to a revision here, so a reconnect before the
   * first message still resumes without a gap. */
  if (from_rev == 0) {
    rc = et_current_revision(base, &from_rev);
    if (rc != CPLANE_OK) {
      free(w);
      return rc;
    }
    from_rev++;
  }
  w->base.store = base;
  w->s = s;
  w->cb = cb;
  w->userdata = userdata;
  w->next_rev = from_rev;
  w->backoff_ms = BACKOFF_MIN_MS;
  w->ep = __atomic_load_n(&s->preferred, __ATOMIC_RELAXED);
  w->key = malloc(n + 1);
  w->end = malloc(n + 1);
  w->line = evbuffer_new();
  w->retry = evtimer_new(s->wbase, watch_connect, w);
  w->closer = evtimer_new(s->wbase, after_done, w);
  if (w->key == NULL || w->end == NULL || w->line == NULL ||
      w->retry == NULL || w->closer == NULL) {
    watcher_free(w);
    return CPLANE_ENOMEM;
  }
  memcpy(w->key, s->prefix, s->prefix_len);
  if (prefix_len > 0)
    memcpy(w->key + s->prefix_len, prefix, prefix_len);
  w->key_len = n;
  cp_store_prefix_end(w->key, n, w->end, &w->end_len);
  if (w->end_len == 0) {
    w->end[0] = 0;
    w->end_len = 1;
  }
  pthread_mutex_lock(&s->wmu);
  w->next = s->watchers;
  s->watchers = w;
  pthread_mutex_unlock(&s->wmu);
  /* Connect on the watch thread, now. */
  event_active(w->retry, EV_TIMEOUT, 0);
  *out = w;
  return CPLANE_OK;
}

static void et_watch_cancel(cp_store_watcher *w) {
  etcd_store *s = w->s;
  int on_loop = pthread_equal(pthread_self(), s->wthread);

  pthread_mutex_lock(&s->wmu);
  w->cancelled = 1;
  w->free_on_stop = on_loop;
  pthread_mutex_unlock(&s->wmu);
  if (event_base_once(s->wbase, -1, EV_TIMEOUT, watch_stop, w, NULL) != 0) {
    cp_log_error("store", "etcd watch cancel: cannot reach the watch thread");
    return;
  }
  if (on_loop)
    return;
  pthread_mutex_lock(&s->wmu);
  while (!w->stopped)
    pthread_cond_wait(&s->wcond, &s->wmu);
  pthread_mutex_unlock(&s->wmu);
  watcher_free(w);
}

static void *watch_thread(void *arg) {
  etcd_store *s = arg;

  pthread_setname_np(pthread_self(), "etcd-watch"); /* top -H, perf */
  event_base_loop(s->wbase, EVLOOP_NO_EXIT_ON_EMPTY);
  return NULL;
}

/* ---- Life cycle ------------------------------------------------------- */

static void free_endpoints(etcd_store *s) {
  size_t i;

  for (i = 0; i < s->ep_count; i++) {
    free(s->eps[i].url);
    free(s->eps[i].host);
  }
  free(s->eps);
}

static void free_store(etcd_store *s) {
  while (s->pool != NULL) {
    chan *c = s->pool;

    s->pool = c->next;
    chan_free(c);
  }
  if (s->wbase != NULL)
    event_base_free(s->wbase);
  free_endpoints(s);
  if (s->ssl_ctx != NULL)
    SSL_CTX_free(s->ssl_ctx);
  free(s->prefix);
  pthread_mutex_destroy(&s->pool_mu);
  pthread_mutex_destroy(&s->wmu);
  pthread_cond_destroy(&s->wcond);
  pthread_mutex_destroy(&s->hmu);
  pthread_cond_destroy(&s->hcond);
  free(s);
}

static void stop_loop(evutil_socket_t fd, short what, void *arg) {
  etcd_store *s = arg;

  while (s->watchers != NULL) {
    cp_store_watcher *w = s->watchers;

    s->watchers = w->next;
    evtimer_del(w->retry);
    close_conn(w);
    watcher_free(w);
  }
  event_base_loopbreak(s->wbase);
}

static void et_close(cp_store *base) {
  etcd_store *s = (etcd_store *)base;

  stop_maint(s);
  if (s->watchers != NULL)
    cp_log_warn("store", "closing with etcd watches still open");
  event_base_once(s->wbase, -1, EV_TIMEOUT, stop_loop, s, NULL);
  pthread_join(s->wthread, NULL);
  free_store(s);
}

static int parse_endpoint(const char *url, endpoint *ep) {
  struct evhttp_uri *u = evhttp_uri_parse(url);
  const char *scheme, *host;
  int rc = CPLANE_EINVAL;

  memset(ep, 0, sizeof *ep);
  if (u == NULL)
    return rc;
  scheme = evhttp_uri_get_scheme(u);
  host = evhttp_uri_get_host(u);
  if (scheme == NULL || host == NULL ||
      (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
    goto out;
  ep->tls = strcmp(scheme, "https") == 0;
  ep->port = evhttp_uri_get_port(u);
  if (ep->port <= 0)
    ep->port = 2379;
  ep->url = strdup(url);
  ep->host = strdup(host);
  rc = ep->url && ep->host ? CPLANE_OK : CPLANE_ENOMEM;
out:
  evhttp_uri_free(u);
  return rc;
}

static int init_endpoints(etcd_store *s, const cp_store_etcd_opts *o,
                          char **errmsg) {
  size_t i;
  int rc;

  if (o->endpoint_count == 0 || o->endpoints == NULL) {
    cp_store_set_errmsg(errmsg, "etcd: no endpoints configured");
    return CPLANE_EINVAL;
  }
  s->eps = calloc(o->endpoint_count, sizeof *s->eps);
  if (s->eps == NULL)
    return CPLANE_ENOMEM;
  for (i = 0; i < o->endpoint_count; i++) {
    rc = parse_endpoint(o->endpoints[i], &s->eps[i]);
    s->eps[i].s = s;
    s->ep_count = i + 1;
    if (rc == CPLANE_EINVAL)
      cp_store_set_errmsg(errmsg,
                          "etcd endpoint '%s' is not http://host:port or "
                          "https://host:port",
                          o->endpoints[i]);
    if (rc != CPLANE_OK)
      return rc;
    if (s->eps[i].tls && (o->ca_file == NULL || o->ca_file[0] == '\0')) {
      cp_store_set_errmsg(errmsg, "etcd endpoint '%s' uses https but no CA "
                          "file is configured", o->endpoints[i]);
      return CPLANE_EINVAL;
    }
  }
  return CPLANE_OK;
}

/* Sets *errmsg to what OpenSSL says went wrong with `what`. */
static int tls_fail(char **errmsg, const char *what, const char *file) {
  char buf[256] = "unknown error";
  unsigned long e = ERR_peek_last_error();

  if (e != 0)
    ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  cp_store_set_errmsg(errmsg, "etcd TLS: cannot %s '%s': %s", what, file,
                      buf);
  return CPLANE_EINVAL;
}

/* One client context for every https endpoint: the CA that signs etcd's
 * server certificates, and optionally our client certificate (etcd's
 * --client-cert-auth). Peers are always verified. */
static int init_tls(etcd_store *s, const cp_store_etcd_opts *o,
                    char **errmsg) {
  size_t i;
  int any = 0;

  for (i = 0; i < s->ep_count; i++)
    any |= s->eps[i].tls;
  if (!any)
    return CPLANE_OK;
  if ((o->cert_file != NULL) != (o->key_file != NULL)) {
    cp_store_set_errmsg(errmsg, "etcd TLS: a client certificate needs both "
                        "cert_file and key_file");
    return CPLANE_EINVAL;
  }
  s->ssl_ctx = SSL_CTX_new(TLS_client_method());
  if (s->ssl_ctx == NULL)
    return CPLANE_ENOMEM;
  SSL_CTX_set_min_proto_version(s->ssl_ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(s->ssl_ctx, SSL_VERIFY_PEER, on_verify);
  if (SSL_CTX_load_verify_locations(s->ssl_ctx, o->ca_file, NULL) != 1)
    return tls_fail(errmsg, "load the CA file", o->ca_file);
  if (o->cert_file == NULL)
    return CPLANE_OK;
  if (SSL_CTX_use_certificate_chain_file(s->ssl_ctx, o->cert_file) != 1)
    return tls_fail(errmsg, "load the client certificate", o->cert_file);
  if (SSL_CTX_use_PrivateKey_file(s->ssl_ctx, o->key_file,
                                  SSL_FILETYPE_PEM) != 1)
    return tls_fail(errmsg, "load the client key", o->key_file);
  if (SSL_CTX_check_private_key(s->ssl_ctx) != 1)
    return tls_fail(errmsg, "match the client key to its certificate",
                    o->key_file);
  return CPLANE_OK;
}

/* Waits until some endpoint answers, up to dial_ms. */
static int dial(etcd_store *s, int64_t dial_ms, char **errmsg) {
  int64_t saved = s->timeout_ms, rev = 0;
  int rc;

  s->timeout_ms = dial_ms;
  rc = et_current_revision(&s->base, &rev);
  s->timeout_ms = saved;
  if (rc == CPLANE_OK)
    return rc;
  if (s->eps[0].tls_error[0] != '\0')
    cp_store_set_errmsg(errmsg,
                        "cannot reach etcd at %s%s within %lld ms: TLS: %s; "
                        "check ca_file, cert_file and key_file",
                        s->eps[0].url,
                        s->ep_count > 1 ? " (and the others)" : "",
                        (long long)dial_ms, s->eps[0].tls_error);
  else
    cp_store_set_errmsg(errmsg,
                        "cannot reach etcd at %s%s within %lld ms (%s); "
                        "check that etcd is running and the endpoints are "
                        "right",
                        s->eps[0].url,
                        s->ep_count > 1 ? " (and the others)" : "",
                        (long long)dial_ms, cp_store_strerror(rc));
  return rc == CPLANE_ENOMEM ? rc : CP_STORE_EUNAVAILABLE;
}

static pthread_once_t evthread_once = PTHREAD_ONCE_INIT;

static void init_evthread(void) {
  evthread_use_pthreads();
}

int cp_store_etcd_open(const cp_store_etcd_opts *o, cp_store **out,
                       char **errmsg) {
  etcd_store *s;
  const char *prefix = o->prefix ? o->prefix : DEFAULT_PREFIX;
  pthread_condattr_t ca;
  int rc;

  *out = NULL;
  if (errmsg != NULL)
    *errmsg = NULL;
  pthread_once(&evthread_once, init_evthread);
  cp_net_ignore_sigpipe();
  s = calloc(1, sizeof *s);
  if (s == NULL)
    return CPLANE_ENOMEM;
  s->base.ops = &etcd_ops;
  s->base.max_value_size =
      o->max_value_size ? o->max_value_size : CP_STORE_DEFAULT_MAX_VALUE;
  s->timeout_ms = o->request_timeout_ms > 0 ? o->request_timeout_ms
                                            : DEFAULT_TIMEOUT_MS;
  pthread_mutex_init(&s->pool_mu, NULL);
  pthread_mutex_init(&s->wmu, NULL);
  pthread_cond_init(&s->wcond, NULL);
  pthread_mutex_init(&s->hmu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->hcond, &ca);
  pthread_condattr_destroy(&ca);
  s->compact_interval_ms = o->compact_interval_ms == 0
                               ? DEFAULT_COMPACT_MS
                               : o->compact_interval_ms;
  s->prefix_len = strlen(prefix);
  s->prefix = (uint8_t *)strdup(prefix);
  s->wbase = event_base_new();
  if (s->prefix == NULL || s->wbase == NULL) {
    free_store(s);
    return CPLANE_ENOMEM;
  }
  if ((rc = init_endpoints(s, o, errmsg)) != CPLANE_OK ||
      (rc = init_tls(s, o, errmsg)) != CPLANE_OK ||
      (rc = dial(s, o->dial_timeout_ms > 0 ? o->dial_timeout_ms
                                           : DEFAULT_TIMEOUT_MS,
                 errmsg)) != CPLANE_OK) {
    free_store(s);
    return rc;
  }
  if (pthread_create(&s->wthread, NULL, watch_thread, s) != 0) {
    cp_store_set_errmsg(errmsg, "cannot start the etcd watch thread");
    free_store(s);
    return CP_STORE_EIO;
  }
  /* Without it the store works, but /readyz only learns from calls and
   * nothing compacts: say so. */
  s->mthread_started =
      pthread_create(&s->mthread, NULL, maint_main, s) == 0;
  if (!s->mthread_started)
    cp_log_error("store", "cannot start the etcd maintenance thread: no "
                 "health pings or compaction");
  *out = &s->base;
  return CPLANE_OK;
}

static const cp_store_ops etcd_ops = {
    .name = "etcd",
    .get = et_get,
    .list = et_list,
    .create = et_create,
    .update = et_update,
    .del = et_delete,
    .txn = et_txn,
    .txn_shares_revision = 1,
    .compact = et_compact,
    .current_revision = et_current_revision,
    .check = et_check,
    .watch = et_watch,
    .watch_cancel = et_watch_cancel,
    .close = et_close,
};
