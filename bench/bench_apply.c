/*
 * bench_apply - what server-side apply and managedFields cost, over HTTP
 * on 127.0.0.1 (one client, keep-alive, SQLite durable, as
 * bench_apiserver's creates) and in process:
 *
 *  - creates/s of a Deployment by POST and by an apply patch (PATCH
 *    application/apply-patch+yaml to a new name); goal: an apply create
 *    costs at most 1.5x a plain create;
 *  - updates/s by merge patch and by apply of the same change;
 *  - the managedFields bookkeeping of a create and of an update
 *    (cp_ssa_update, in process, in CPU time) as a share of one
 *    create's and one update's time over HTTP; goal <= 10%.
 *
 * Usage: bench_apply
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/apiserver.h"
#include "apiserver/schema.h"
#include "apiserver/ssa/managed.h"
#include "log/log.h"
#include "store/store.h"

#define RUN_MS 2000
#define INPROC 2000

static int64_t clock_ns(clockid_t id) {
  struct timespec ts;

  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

/* The bookkeeping is timed in this thread's CPU, which a loaded machine
 * does not inflate as it does wall time. */
static int64_t cpu_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

static const char DEPLOY[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"
    "\"name\":\"%s\",\"labels\":{\"app\":\"web\",\"tier\":\"front\"}},"
    "\"spec\":{\"replicas\":%d,\"selector\":{\"matchLabels\":{\"app\":"
    "\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.27\","
    "\"ports\":[{\"containerPort\":80},{\"containerPort\":443}],"
    "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":"
    "\"2\"}],\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":"
    "\"128Mi\"}}},{\"name\":\"side\",\"image\":\"busybox\"}]}}}}";

struct call {
  int done, code;
  struct event_base *base;
};

static void call_done(struct evhttp_request *req, void *arg) {
  struct call *c = arg;

  c->done = 1;
  c->code = req ? evhttp_request_get_response_code(req) : 0;
  if (req != NULL && c->code >= 400) { /* say why, once */
    struct evbuffer *in = evhttp_request_get_input_buffer(req);

    fprintf(stderr, "bench_apply: HTTP %d: %.*s\n", c->code,
            (int)evbuffer_get_length(in),
            (const char *)evbuffer_pullup(in, -1));
  }
  event_base_loopbreak(c->base);
}

/* One blocking request (bench_apiserver's, with a content type). */
static int request(struct event_base *base, struct evhttp_connection *conn,
                   enum evhttp_cmd_type cmd, const char *path,
                   const char *ctype, const char *body) {
  struct call c = {.base = base};
  struct evhttp_request *req = evhttp_request_new(call_done, &c);
  struct evkeyvalq *h = evhttp_request_get_output_headers(req);

  evhttp_add_header(h, "Host", "127.0.0.1");
  evhttp_add_header(h, "Content-Type", ctype);
  char len[32];

  /* libevent's client adds Content-Length to POST and PUT only. */
  snprintf(len, sizeof len, "%zu", strlen(body));
  evhttp_add_header(h, "Content-Length", len);
  evhttp_add_header(h, "User-Agent", "bench/1");
  evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
  if (evhttp_make_request(conn, req, cmd, path) != 0)
    return 0;
  while (!c.done)
    event_base_dispatch(base);
  return c.code;
}

#define BASE "/apis/apps/v1/namespaces/default/deployments"

enum mode { CREATE, APPLY_CREATE, PATCH, APPLY };

/* Operations per second of mode for RUN_MS. */
static double run(int port, enum mode m, int round) {
  struct event_base *base = event_base_new();
  struct evhttp_connection *conn =
      evhttp_connection_base_new(base, NULL, "127.0.0.1", (ev_uint16_t)port);
  char name[64], path[256], body[2048];
  int64_t t0 = now_ns(), end = t0 + (int64_t)RUN_MS * 1000000;
  long ops = 0;
  int code, want;

  while (now_ns() < end) {
    snprintf(name, sizeof name, "d%d-%ld", round, ops);
    if (m == PATCH || m == APPLY)
      snprintf(name, sizeof name, "target");
    snprintf(body, sizeof body, DEPLOY, name, (int)(ops % 50) + 1);
    switch (m) {
    case CREATE:
      code = request(base, conn, EVHTTP_REQ_POST, BASE, "application/json",
                     body);
      want = 201;
      break;
    case PATCH:
      snprintf(path, sizeof path, "%s/target", BASE);
      snprintf(body, sizeof body, "{\"spec\":{\"replicas\":%d}}",
               (int)(ops % 50) + 1);
      code = request(base, conn, EVHTTP_REQ_PATCH, path,
                     "application/merge-patch+json", body);
      want = 200;
      break;
    default:
      snprintf(path, sizeof path, "%s/%s?fieldManager=bench&force=true", BASE,
               name);
      code = request(base, conn, EVHTTP_REQ_PATCH, path,
                     "application/apply-patch+yaml", body);
      want = m == APPLY ? 200 : 201;
    }
    if (code != want) {
      fprintf(stderr, "bench_apply: mode %d: HTTP %d\n", (int)m, code);
      break;
    }
    ops++;
  }
  evhttp_connection_free(conn);
  event_base_free(base);
  return (double)ops * 1e9 / (double)(now_ns() - t0);
}

static double best(double a, double b) { return a > b ? a : b; }

/* Microseconds of one cp_ssa_update of live -> next (live NULL: a
 * create), over INPROC runs. */
static double bookkeeping_us(int update) {
  const struct cp_schema *s = cp_schema_builtin_kind("apps", "v1",
                                                     "Deployment");
  struct cp_ssa_op op = {s, 1, 1, "bench", "apps/v1", NULL,
                         "2026-01-01T00:00:00Z"};
  char text[2048];
  struct json_object *live = NULL;
  int64_t spent = 0;
  int i;

  snprintf(text, sizeof text, DEPLOY, "x", 1);
  if (update) {
    live = json_tokener_parse(text);
    cp_ssa_update(&op, NULL, live);
  }
  for (i = 0; i < INPROC; i++) {
    struct json_object *next;
    int64_t t0;

    snprintf(text, sizeof text, DEPLOY, "x", 2 + i % 2);
    next = json_tokener_parse(text);
    if (update) { /* the client sends back what it read */
      struct json_object *md, *lmd, *mf;

      json_object_object_get_ex(next, "metadata", &md);
      json_object_object_get_ex(live, "metadata", &lmd);
      if (json_object_object_get_ex(lmd, "managedFields", &mf))
        json_object_object_add(md, "managedFields", json_object_get(mf));
    }
    t0 = cpu_ns();
    cp_ssa_update(&op, live, next);
    spent += cpu_ns() - t0;
    json_object_put(next);
  }
  json_object_put(live);
  return (double)spent / INPROC / 1e3;
}

int main(void) {
  struct cp_apiserver_config cfg = {0};
  struct cp_apiserver *srv = NULL;
  cp_store *store = NULL;
  char dir[] = "/tmp/cp-bench-apply-XXXXXX", path[160], cmd[200], *err = NULL;
  double create, apply_create, patch, apply, c_us, u_us;
  int port, rc = 1;

  setvbuf(stdout, NULL, _IOLBF, 0);
  cp_log_set_level(CPLANE_LOG_WARN);
  if (mkdtemp(dir) == NULL)
    return 1;
  snprintf(path, sizeof path, "%s/a.db", dir);
  if (cp_store_sqlite_open(path, NULL, &store, &err) != 0)
    goto out;
  cfg.store = store;
  if (cp_apiserver_start(&cfg, &srv, &err) != 0)
    goto out;
  port = cp_apiserver_port(srv);
  printf("server-side apply over HTTP (1 client, SQLite durable, a 2-container "
         "Deployment), best of 2 runs of %d ms\n", RUN_MS);
  create = best(run(port, CREATE, 1), run(port, CREATE, 2));
  apply_create = best(run(port, APPLY_CREATE, 3), run(port, APPLY_CREATE, 4));
  run(port, APPLY_CREATE, 5); /* "target", once */
  {
    struct event_base *b = event_base_new();
    struct evhttp_connection *c =
        evhttp_connection_base_new(b, NULL, "127.0.0.1", (ev_uint16_t)port);
    char body[2048];

    snprintf(body, sizeof body, DEPLOY, "target", 1);
    request(b, c, EVHTTP_REQ_POST, BASE, "application/json", body);
    evhttp_connection_free(c);
    event_base_free(b);
  }
  patch = best(run(port, PATCH, 6), run(port, PATCH, 7));
  apply = best(run(port, APPLY, 8), run(port, APPLY, 9));
  c_us = bookkeeping_us(0);
  u_us = bookkeeping_us(1);
  printf("  creates: POST %7.0f/s   apply %7.0f/s   apply costs %.2fx "
         "(goal <= 1.5x)\n", create, apply_create, create / apply_create);
  printf("  updates: merge patch %7.0f/s   apply %7.0f/s   apply costs "
         "%.2fx\n", patch, apply, patch / apply);
  printf("  managedFields bookkeeping: create %.1f us = %.1f%% of a create, "
         "update %.1f us = %.1f%% of an update (goal <= 10%%)\n",
         c_us, c_us * create / 1e4, u_us, u_us * patch / 1e4);
  rc = 0;
out:
  if (err != NULL)
    fprintf(stderr, "bench_apply: %s\n", err);
  free(err);
  cp_apiserver_stop(srv);
  cp_store_close(store);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    rc = 1;
  return rc;
}
