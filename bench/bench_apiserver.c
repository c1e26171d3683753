/*
 * bench_apiserver - the API server end to end over HTTP on 127.0.0.1, on
 * its default store (SQLite, durable), in one run with raw etcd:
 *
 *  - creates/s of 1 KiB ConfigMaps with 1 and 64 clients (keep-alive
 *    connections, one blocking request at a time each), next to raw etcd
 *    puts with the same client counts; goal >= 1.5x raw etcd at 64;
 *  - a list of 10,000 pods: time and the process's peak RSS growth;
 *  - watch event latency p50/p99 with 1,000 watchers while one writer
 *    creates 1,000 objects/s; goal p99 <= 50 ms.
 *
 * Plain HTTP without authentication, so the figures are the server's, not
 * TLS's. Usage: bench_apiserver
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apiserver/apiserver.h"
#include "log/log.h"
#include "store/store.h"

#define VALUE_LEN 1024
#define RUN_MS 2500
#define LIST_PODS 10000
#define WATCHERS 1000
#define WATCH_RATE 1000
#define WATCH_SECONDS 3

static int64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#include "../tests/store/etcd_cluster.c"
#include "raw_etcd.c"

/* ---- HTTP creates ---------------------------------------------------- */

struct client {
  int port, id;
  int64_t end_ns;
  long ops;
  int errors;
};

struct call {
  int done, code;
  struct event_base *base;
  struct evbuffer *body; /* response, when wanted */
};

static void call_done(struct evhttp_request *req, void *arg) {
  struct call *c = arg;

  c->done = 1;
  c->code = req ? evhttp_request_get_response_code(req) : 0;
  if (req != NULL && c->body != NULL)
    evbuffer_add_buffer(c->body, evhttp_request_get_input_buffer(req));
  event_base_loopbreak(c->base);
}

/* One blocking request on conn. Returns the HTTP code (0: failed). */
static int request(struct event_base *base, struct evhttp_connection *conn,
                   enum evhttp_cmd_type cmd, const char *path,
                   const char *body, struct evbuffer *out) {
  struct call c = {.base = base, .body = out};
  struct evhttp_request *req = evhttp_request_new(call_done, &c);
  struct evkeyvalq *h = evhttp_request_get_output_headers(req);

  evhttp_add_header(h, "Host", "127.0.0.1");
  evhttp_add_header(h, "Content-Type", "application/json");
  if (body != NULL)
    evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
  if (evhttp_make_request(conn, req, cmd, path) != 0)
    return 0;
  while (!c.done)
    event_base_dispatch(base);
  return c.code;
}

static void *creator(void *p) {
  struct client *cl = p;
  struct event_base *base = event_base_new();
  struct evhttp_connection *conn =
      evhttp_connection_base_new(base, NULL, "127.0.0.1",
                                 (ev_uint16_t)cl->port);
  char val[VALUE_LEN + 1], *body = malloc(VALUE_LEN + 256);

  memset(val, 'v', VALUE_LEN);
  val[VALUE_LEN] = '\0';
  while (now_ns() < cl->end_ns) {
    snprintf(body, VALUE_LEN + 256,
             "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{"
             "\"name\":\"b%d-%ld\"},\"data\":{\"v\":\"%s\"}}",
             cl->id, cl->ops, val);
    if (request(base, conn, EVHTTP_REQ_POST,
                "/api/v1/namespaces/default/configmaps", body, NULL) == 201)
      cl->ops++;
    else if (++cl->errors > 10)
      break;
  }
  free(body);
  evhttp_connection_free(conn);
  event_base_free(base);
  return NULL;
}

static double run_creates(int port, int n) {
  static int round;
  pthread_t th[64];
  struct client cl[64];
  int64_t t0 = now_ns(), end = t0 + (int64_t)RUN_MS * 1000000;
  long total = 0;
  int i;

  round++;
  for (i = 0; i < n; i++) {
    cl[i] = (struct client){.port = port, .id = round * 100 + i,
                            .end_ns = end};
    pthread_create(&th[i], NULL, creator, &cl[i]);
  }
  for (i = 0; i < n; i++) {
    pthread_join(th[i], NULL);
    total += cl[i].ops;
    if (cl[i].errors > 10)
      fprintf(stderr, "bench_apiserver: client %d gave up after errors\n", i);
  }
  return (double)total * 1e9 / (double)(now_ns() - t0);
}

/* ---- List ------------------------------------------------------------- */

static long peak_rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = 0;

  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
      break;
  if (f != NULL)
    fclose(f);
  return kb;
}

static int run_list(cp_store *store, int port) {
  struct event_base *base = event_base_new();
  struct evhttp_connection *conn =
      evhttp_connection_base_new(base, NULL, "127.0.0.1", (ev_uint16_t)port);
  struct evbuffer *out = evbuffer_new();
  char key[128], val[1024];
  int64_t t0, rev;
  long rss0;
  int i, code;

  evhttp_connection_set_timeout(conn, 120);
  /* Straight into the store: the list is what is measured. */
  for (i = 0; i < LIST_PODS; i++) {
    snprintf(key, sizeof key, "pods/default/pod-%05d", i);
    snprintf(val, sizeof val,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
             "\"pod-%05d\",\"namespace\":\"default\",\"uid\":\"u-%d\","
             "\"labels\":{\"app\":\"web\"}},\"spec\":{\"nodeName\":"
             "\"node-%d\",\"containers\":[{\"name\":\"c\",\"image\":"
             "\"registry.example.com/team/app:1.2.3\",\"resources\":{"
             "\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"}}}]},"
             "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.%d.%d\"}}",
             i, i, i % 100, i / 250, i % 250);
    if (cp_store_create(store, key, strlen(key), val, strlen(val), &rev) != 0)
      return -1;
  }
  rss0 = peak_rss_kb();
  t0 = now_ns();
  code = request(base, conn, EVHTTP_REQ_GET, "/api/v1/pods", NULL, out);
  printf("apiserver: list of %d pods: HTTP %d, %zu bytes in %.1f ms, peak "
         "RSS +%.1f MiB\n",
         LIST_PODS, code, evbuffer_get_length(out),
         (now_ns() - t0) / 1e6, (peak_rss_kb() - rss0) / 1024.0);
  evbuffer_free(out);
  evhttp_connection_free(conn);
  event_base_free(base);
  return code == 200 ? 0 : -1;
}

/* ---- Watch latency ---------------------------------------------------- */

struct watchers {
  struct event_base *base;
  pthread_mutex_t mu;
  int32_t *lat_us;
  size_t n, cap;
  int opened;
};

static void watch_chunk(struct evhttp_request *req, void *arg) {
  struct watchers *w = arg;
  struct evbuffer *in = evhttp_request_get_input_buffer(req);
  int64_t now = now_ns();
  char *line;
  size_t len;

  while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
    const char *ts = strstr(line, "\"sent\":\"");

    if (ts != NULL && strstr(line, "\"type\":\"ADDED\"") != NULL) {
      int64_t sent = strtoll(ts + 8, NULL, 10);

      pthread_mutex_lock(&w->mu);
      if (w->n < w->cap)
        w->lat_us[w->n++] = (int32_t)((now - sent) / 1000);
      pthread_mutex_unlock(&w->mu);
    }
    free(line);
  }
}

static void watch_done(struct evhttp_request *req, void *arg) {
  (void)req;
  (void)arg;
}

static void *watch_loop(void *p) {
  struct watchers *w = p;

  event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
  return NULL;
}

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

  return (x > y) - (x < y);
}

static int run_watch_latency(cp_store *store, int port) {
  struct watchers w = {0};
  struct evhttp_connection **conns = calloc(WATCHERS, sizeof *conns);
  struct event_base *cbase = event_base_new();
  struct evhttp_connection *cconn =
      evhttp_connection_base_new(cbase, NULL, "127.0.0.1", (ev_uint16_t)port);
  pthread_t th;
  char path[128], body[256];
  int64_t t0, rev = 0;
  int i, sent = 0;

  if (cp_store_current_revision(store, &rev) != 0)
    return -1;
  w.base = event_base_new();
  pthread_mutex_init(&w.mu, NULL);
  w.cap = (size_t)WATCHERS * WATCH_RATE * WATCH_SECONDS;
  w.lat_us = malloc(w.cap * sizeof *w.lat_us);
  for (i = 0; i < WATCHERS; i++) {
    struct evhttp_request *req = evhttp_request_new(watch_done, &w);

    conns[i] = evhttp_connection_base_new(w.base, NULL, "127.0.0.1",
                                          (ev_uint16_t)port);
    evhttp_request_set_chunked_cb(req, watch_chunk);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
                      "127.0.0.1");
    snprintf(path, sizeof path, "/api/v1/namespaces/default/configmaps?"
                                "watch=1&resourceVersion=%lld&"
                                "timeoutSeconds=60",
             (long long)rev);
    evhttp_make_request(conns[i], req, EVHTTP_REQ_GET, path);
  }
  pthread_create(&th, NULL, watch_loop, &w);
  sleep(2); /* every watch registered */
  t0 = now_ns();
  while (now_ns() - t0 < (int64_t)WATCH_SECONDS * 1000000000) {
    int64_t due = t0 + (int64_t)sent * 1000000000 / WATCH_RATE;

    while (now_ns() < due)
      usleep(100);
    snprintf(body, sizeof body,
             "{\"metadata\":{\"name\":\"w-%d\",\"annotations\":{\"sent\":"
             "\"%lld\"}}}",
             sent, (long long)now_ns());
    if (request(cbase, cconn, EVHTTP_REQ_POST,
                "/api/v1/namespaces/default/configmaps", body, NULL) != 201)
      break;
    sent++;
  }
  sleep(1);
  event_base_loopbreak(w.base);
  pthread_join(th, NULL);
  pthread_mutex_lock(&w.mu);
  qsort(w.lat_us, w.n, sizeof *w.lat_us, cmp_i32);
  printf("apiserver: watch latency, %d watchers, %d writes/s for %d s: %zu "
         "deliveries (expected %lld), p50 %.2f ms, p99 %.2f ms, max %.2f ms "
         "(goal p99 <= 50 ms)\n",
         WATCHERS, WATCH_RATE, WATCH_SECONDS, w.n,
         (long long)sent * WATCHERS,
         w.n ? w.lat_us[w.n / 2] / 1e3 : 0.0,
         w.n ? w.lat_us[w.n * 99 / 100] / 1e3 : 0.0,
         w.n ? w.lat_us[w.n - 1] / 1e3 : 0.0);
  pthread_mutex_unlock(&w.mu);
  for (i = 0; i < WATCHERS; i++)
    evhttp_connection_free(conns[i]);
  free(conns);
  free(w.lat_us);
  evhttp_connection_free(cconn);
  event_base_free(cbase);
  event_base_free(w.base);
  return 0;
}

static double best(double a, double b) { return a > b ? a : b; }

int main(void) {
  char dir[] = "/tmp/cp-bench-api-XXXXXX", path[128], *err = NULL, cmd[160];
  struct cp_apiserver_config cfg = {0};
  struct cp_apiserver *srv = NULL;
  cp_store *store = NULL;
  etcd_cluster c;
  double api1, api64, raw1, raw64;
  int port, rc = 1;

  setvbuf(stdout, NULL, _IOLBF, 0);
  cp_log_set_level(CPLANE_LOG_WARN);
  if (mkdtemp(dir) == NULL)
    return 1;
  snprintf(path, sizeof path, "%s/cplane.db", dir);
  if (cp_store_sqlite_open(path, NULL, &store, &err) != 0) {
    fprintf(stderr, "bench_apiserver: %s\n", err);
    goto out;
  }
  cfg.store = store;
  if (cp_apiserver_start(&cfg, &srv, &err) != 0) {
    fprintf(stderr, "bench_apiserver: %s\n", err);
    goto out;
  }
  port = cp_apiserver_port(srv);
  if (etcd_cluster_start(&c, 1) != 0)
    goto out;
  printf("apiserver creates of 1 KiB ConfigMaps over HTTP (SQLite, durable) "
         "vs raw etcd puts, best of 2 runs of %d ms\n", RUN_MS);
  api1 = best(run_creates(port, 1), run_creates(port, 1));
  raw1 = best(run_raw(c.m[0].client_port, 1, 0),
              run_raw(c.m[0].client_port, 1, 0));
  api64 = best(run_creates(port, 64), run_creates(port, 64));
  raw64 = best(run_raw(c.m[0].client_port, 64, 0),
               run_raw(c.m[0].client_port, 64, 0));
  etcd_cluster_stop(&c);
  printf("   1 client(s): apiserver %8.0f/s   raw etcd put %8.0f/s   ratio "
         "%.2fx\n", api1, raw1, api1 / raw1);
  printf("  64 client(s): apiserver %8.0f/s   raw etcd put %8.0f/s   ratio "
         "%.2fx (goal >= 1.5x)\n", api64, raw64, api64 / raw64);
  if (run_list(store, port) < 0 || run_watch_latency(store, port) < 0)
    goto out;
  rc = 0;
out:
  free(err);
  cp_apiserver_stop(srv);
  cp_store_close(store);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    rc = 1;
  return rc;
}
