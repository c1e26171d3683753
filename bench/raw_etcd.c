/*
 * raw_etcd.c - raw etcd writes through its v3 JSON gateway with libevent,
 * no cplane code in between: the peer every store and API server figure
 * is compared with. Include from one bench source that defines VALUE_LEN,
 * RUN_MS and now_ns() first; it is not a library.
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

typedef struct raw {
  int txn; /* 1: the create-if-absent txn the store sends, not a put */
  int port;
  int id;
  int64_t end_ns;
  long ops;
  int errors;
  const char *b64val;
} raw;

typedef struct raw_call {
  int done, code;
  struct event_base *base;
} raw_call;

static void raw_done(struct evhttp_request *req, void *arg) {
  raw_call *c = arg;

  c->done = 1;
  c->code = req ? evhttp_request_get_response_code(req) : 0;
  event_base_loopbreak(c->base);
}

static void b64(const char *in, size_t n, char *out) {
  static const char t[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i, j = 0;

  for (i = 0; i + 2 < n; i += 3) {
    uint32_t x = (uint32_t)(uint8_t)in[i] << 16 |
                 (uint32_t)(uint8_t)in[i + 1] << 8 | (uint8_t)in[i + 2];

    out[j++] = t[x >> 18];
    out[j++] = t[(x >> 12) & 63];
    out[j++] = t[(x >> 6) & 63];
    out[j++] = t[x & 63];
  }
  if (i < n) {
    uint32_t x = (uint32_t)(uint8_t)in[i] << 16 |
                 (i + 1 < n ? (uint32_t)(uint8_t)in[i + 1] << 8 : 0);

    out[j++] = t[x >> 18];
    out[j++] = t[(x >> 12) & 63];
    out[j++] = i + 1 < n ? t[(x >> 6) & 63] : '=';
    out[j++] = '=';
  }
  out[j] = 0;
}

static void *raw_writer(void *p) {
  raw *r = p;
  struct event_base *base = event_base_new();
  struct evhttp_connection *conn =
      evhttp_connection_base_new(base, NULL, "127.0.0.1", (ev_uint16_t)r->port);
  char key[96], kb64[160];

  while (now_ns() < r->end_ns) {
    raw_call c = {.base = base};
    struct evhttp_request *req = evhttp_request_new(raw_done, &c);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);

    snprintf(key, sizeof key, "/registry/raw%d/%d/%ld", r->txn, r->id,
             r->ops);
    b64(key, strlen(key), kb64);
    evhttp_add_header(h, "Host", "127.0.0.1");
    evhttp_add_header(h, "Content-Type", "application/json");
    if (r->txn)
      evbuffer_add_printf(
          evhttp_request_get_output_buffer(req),
          "{\"compare\":[{\"key\":\"%s\",\"target\":\"MOD\",\"result\":"
          "\"EQUAL\",\"mod_revision\":\"0\"}],\"success\":[{\"request_put\":"
          "{\"key\":\"%s\",\"value\":\"%s\"}}],\"failure\":[{"
          "\"request_range\":{\"key\":\"%s\"}}]}",
          kb64, kb64, r->b64val, kb64);
    else
      evbuffer_add_printf(evhttp_request_get_output_buffer(req),
                          "{\"key\":\"%s\",\"value\":\"%s\"}", kb64,
                          r->b64val);
    if (evhttp_make_request(conn, req, EVHTTP_REQ_POST,
                            r->txn ? "/v3/kv/txn" : "/v3/kv/put") != 0)
      break;
    while (!c.done)
      event_base_dispatch(base);
    if (c.code != 200 && ++r->errors > 10)
      break;
    if (c.code == 200)
      r->ops++;
  }
  evhttp_connection_free(conn);
  event_base_free(base);
  return NULL;
}

static double run_raw(int port, int n, int txn) {
  pthread_t th[64];
  raw r[64];
  char val[VALUE_LEN], *bval = malloc(VALUE_LEN * 2);
  int64_t t0 = now_ns(), end = t0 + (int64_t)RUN_MS * 1000000;
  long total = 0;
  int i;

  memset(val, 'v', sizeof val);
  b64(val, sizeof val, bval);
  for (i = 0; i < n; i++) {
    r[i] = (raw){.txn = txn, .port = port, .id = i, .end_ns = end,
                 .b64val = bval};
    pthread_create(&th[i], NULL, raw_writer, &r[i]);
  }
  for (i = 0; i < n; i++) {
    pthread_join(th[i], NULL);
    total += r[i].ops;
  }
  free(bval);
  return (double)total * 1e9 / (double)(now_ns() - t0);
}

