/*
 * Unit tests for host/apiserver/watch.c over real sockets: the chunked
 * framing and order of events written straight to the socket by the
 * flusher threads, a client that reads slowly (its socket fills and the
 * rest follows as it drains), HTTP/1.0 clients (no chunks), the end of a
 * stream at its timeout handing the connection back to evhttp (the next
 * request on it is answered), clients that leave while events flow,
 * with streams still open when the server stops, a client that never
 * reads closed at its bound while another gets everything, and 410 for
 * a start the bounded watch cache and the store no longer hold.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "apiserver/apiserver.h"
#include "log/log.h"
#include "store/store.h"

#define NS_CM "/api/v1/namespaces/default/configmaps"

struct fixture {
  char dir[64];
  cp_store *store;
  struct cp_apiserver *srv;
  int port;
};

/* A server on a fresh store; bounds 0 are the defaults. */
static int setup_with(void **state, size_t stream_bytes, size_t cache_bytes) {
  struct fixture *f = calloc(1, sizeof *f);
  struct cp_apiserver_config cfg = {0};
  char path[128], *err = NULL;

  cfg.watch_stream_bytes = stream_bytes;
  cfg.watch_cache_bytes = cache_bytes;
  cp_log_set_level(CPLANE_LOG_ERROR);
  strcpy(f->dir, "/tmp/cp-watch-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(path, sizeof path, "%s/db", f->dir);
  if (cp_store_sqlite_open(path, NULL, &f->store, &err) != 0)
    fail_msg("%s", err);
  cfg.store = f->store;
  cfg.workers = 4;
  if (cp_apiserver_start(&cfg, &f->srv, &err) != 0)
    fail_msg("%s", err);
  f->port = cp_apiserver_port(f->srv);
  *state = f;
  return 0;
}

static int setup(void **state) { return setup_with(state, 0, 0); }

/* Small bounds: a stream 1 MiB behind is closed; the watch cache keeps
 * 64 KiB of events. */
static int setup_small(void **state) {
  return setup_with(state, 1u << 20, 64u << 10);
}

static int teardown(void **state) {
  struct fixture *f = *state;
  char cmd[128];

  cp_apiserver_stop(f->srv);
  cp_store_close(f->store);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f);
  return 0;
}

static int64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A connected socket; rcvbuf > 0 shrinks its receive buffer first. */
static int dial(int port, int rcvbuf) {
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  assert_true(fd >= 0);
  if (rcvbuf > 0)
    assert_int_equal(
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  return fd;
}

static void send_all(int fd, const char *s, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, s, len);

    assert_true(n > 0);
    s += n;
    len -= (size_t)n;
  }
}

/* Creates ConfigMap name with datalen bytes of data; asserts the 201. */
static void create_cm(int port, const char *name, size_t datalen) {
  size_t cap = datalen + 512;
  char *body = malloc(cap), *req = malloc(cap + 256), resp[512];
  int fd = dial(port, 0), n, len;
  ssize_t r;

  assert_non_null(body);
  assert_non_null(req);
  n = snprintf(body, cap, "{\"metadata\":{\"name\":\"%s\"},\"data\":{\"d\":\"",
               name);
  memset(body + n, 'x', datalen);
  snprintf(body + n + datalen, cap - (size_t)n - datalen, "\"}}");
  len = snprintf(req, cap + 256,
                 "POST " NS_CM " HTTP/1.0\r\nContent-Type: application/json"
                 "\r\nContent-Length: %zu\r\n\r\n%s",
                 strlen(body), body);
  send_all(fd, req, (size_t)len);
  r = read(fd, resp, sizeof resp - 1);
  assert_true(r > 12);
  resp[r] = '\0';
  if (strstr(resp, " 201 ") == NULL)
    fail_msg("create %s: %s", name, resp);
  close(fd);
  free(body);
  free(req);
}

/* A watch client that undoes the chunked framing strictly: any framing
 * error fails the test. */
struct wclient {
  int fd;
  int chunked; /* 0: HTTP/1.0, the body is the lines */
  char *raw;   /* read, not decoded yet */
  size_t raw_len, raw_cap;
  char *body; /* decoded */
  size_t body_len, body_cap;
  int headers_done, ended, eof;
  size_t chunk_left;
  size_t lines, counted; /* newlines in body[0..counted) */
};

static void wc_open(struct wclient *c, int port, int rcvbuf,
                    const char *query, int http10) {
  char req[512];
  int len;

  memset(c, 0, sizeof *c);
  c->fd = dial(port, rcvbuf);
  c->chunked = !http10;
  len = snprintf(req, sizeof req, "GET " NS_CM "?%s HTTP/1.%d\r\nHost: x\r\n"
                 "\r\n", query, http10 ? 0 : 1);
  send_all(c->fd, req, (size_t)len);
}

static void body_add(struct wclient *c, const char *p, size_t n) {
  if (c->body_len + n + 1 > c->body_cap) {
    c->body_cap = (c->body_len + n + 1) * 2;
    c->body = realloc(c->body, c->body_cap);
    assert_non_null(c->body);
  }
  memcpy(c->body + c->body_len, p, n);
  c->body_len += n;
  c->body[c->body_len] = '\0';
}

/* Decodes what was read; returns the bytes used. */
static size_t wc_decode(struct wclient *c) {
  size_t off = 0;

  if (!c->headers_done) {
    char *e = memmem(c->raw, c->raw_len, "\r\n\r\n", 4);

    if (e == NULL)
      return 0;
    assert_true(memcmp(c->raw, "HTTP/1.", 7) == 0);
    assert_true(memcmp(c->raw + 9, "200", 3) == 0);
    assert_true((memmem(c->raw, (size_t)(e - c->raw), "chunked", 7) != NULL) ==
                c->chunked);
    off = (size_t)(e + 4 - c->raw);
    c->headers_done = 1;
  }
  while (off < c->raw_len && !c->ended) {
    if (!c->chunked) {
      body_add(c, c->raw + off, c->raw_len - off);
      off = c->raw_len;
    } else if (c->chunk_left > 0 && c->chunk_left != (size_t)-1) {
      size_t n = c->raw_len - off < c->chunk_left ? c->raw_len - off
                                                   : c->chunk_left;

      body_add(c, c->raw + off, n);
      c->chunk_left -= n;
      off += n;
      if (c->chunk_left == 0)
        c->chunk_left = (size_t)-1; /* the CRLF after the data is next */
    } else if (c->chunk_left == (size_t)-1) {
      if (c->raw_len - off < 2)
        break;
      assert_memory_equal(c->raw + off, "\r\n", 2);
      off += 2;
      c->chunk_left = 0;
    } else {
      char *e = memmem(c->raw + off, c->raw_len - off, "\r\n", 2), *end;
      unsigned long size;
      size_t start = off;

      if (e == NULL)
        break;
      size = strtoul(c->raw + off, &end, 16);
      assert_ptr_equal(end, e); /* nothing but hex digits */
      off = (size_t)(e + 2 - c->raw);
      if (size == 0) {
        if (c->raw_len - off < 2)
          return start; /* the last chunk's CRLF is still to come */
        assert_memory_equal(c->raw + off, "\r\n", 2);
        off += 2;
        c->ended = 1;
      } else {
        c->chunk_left = size;
      }
    }
  }
  return off;
}

/* Reads until the body holds want lines, the stream ends, or the
 * deadline; returns the lines held. */
static size_t wc_read(struct wclient *c, size_t want, int timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;

  for (;;) {
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    ssize_t n;
    size_t used;

    for (; c->counted < c->body_len; c->counted++)
      c->lines += c->body[c->counted] == '\n';
    if (c->lines >= want || c->ended || now_ms() >= deadline)
      return c->lines;
    if (poll(&p, 1, 100) <= 0)
      continue;
    if (c->raw_cap - c->raw_len < 65536) {
      c->raw_cap = c->raw_cap * 2 + 65536;
      c->raw = realloc(c->raw, c->raw_cap);
      assert_non_null(c->raw);
    }
    n = read(c->fd, c->raw + c->raw_len, c->raw_cap - c->raw_len);
    if (n <= 0) {
      c->eof = 1;
      if (!c->chunked)
        c->ended = 1; /* HTTP/1.0: the close ends the body */
      return c->lines;
    }
    c->raw_len += (size_t)n;
    used = wc_decode(c);
    c->raw_len -= used;
    memmove(c->raw, c->raw + used, c->raw_len);
  }
}

static void wc_close(struct wclient *c) {
  close(c->fd);
  free(c->raw);
  free(c->body);
}

/* Asserts the body is n ADDED events for prefix-0 .. prefix-(n-1), in
 * order, each line one JSON object, with datalen bytes of data each. */
static void expect_added(struct wclient *c, const char *prefix, int n,
                         size_t datalen) {
  char *line = c->body, *nl;
  int i;

  for (i = 0; i < n; i++) {
    json_object *o, *obj, *md, *name, *data, *d;
    char want[64];

    nl = strchr(line, '\n');
    assert_non_null(nl);
    *nl = '\0';
    o = json_tokener_parse(line);
    if (o == NULL)
      fail_msg("event %d is not JSON: %.80s", i, line);
    assert_true(json_object_object_get_ex(o, "object", &obj));
    assert_string_equal(
        json_object_get_string(json_object_object_get(o, "type")), "ADDED");
    assert_true(json_object_object_get_ex(obj, "metadata", &md));
    assert_true(json_object_object_get_ex(md, "name", &name));
    snprintf(want, sizeof want, "%s-%d", prefix, i);
    assert_string_equal(json_object_get_string(name), want);
    assert_true(json_object_object_get_ex(obj, "data", &data));
    assert_true(json_object_object_get_ex(data, "d", &d));
    assert_int_equal(json_object_get_string_len(d), datalen);
    json_object_put(o);
    *nl = '\n';
    line = nl + 1;
  }
}

static long long current_rev(struct fixture *f) {
  int64_t rev = 0;

  assert_int_equal(cp_store_current_revision(f->store, &rev), 0);
  return (long long)rev;
}

static void test_chunked_order_and_end(void **state) {
  struct fixture *f = *state;
  struct wclient c;
  char q[128], name[32], resp[1024];
  ssize_t n;
  size_t got = 0;
  int i;

  /* The stream's timeout must not end it before the 300 creates are
   * made, however slow the machine (they took over 3 s at load 40): a
   * second stream tests the timeout. */
  snprintf(q, sizeof q, "watch=1&resourceVersion=%lld&timeoutSeconds=60",
           current_rev(f));
  wc_open(&c, f->port, 0, q, 0);
  usleep(200000); /* registered, headers on the wire: the stream is direct */
  for (i = 0; i < 300; i++) {
    snprintf(name, sizeof name, "a-%d", i);
    create_cm(f->port, name, 100);
  }
  if (wc_read(&c, 300, 60000) != 300) fail_msg("%s", c.body);
  expect_added(&c, "a", 300, 100);
  wc_close(&c);
  snprintf(q, sizeof q, "watch=1&resourceVersion=%lld&timeoutSeconds=1",
           current_rev(f));
  wc_open(&c, f->port, 0, q, 0);
  /* The timeout ends the stream with the last chunk... */
  wc_read(&c, 1000, 60000); /* until it ends */
  assert_true(c.ended);
  assert_int_equal(c.raw_len, 0);
  /* ...and evhttp has the connection back: it answers the next request. */
  send_all(c.fd, "GET /version HTTP/1.1\r\nHost: x\r\n\r\n", 35);
  while (got < sizeof resp - 1 &&
         (n = read(c.fd, resp + got, sizeof resp - 1 - got)) > 0) {
    got += (size_t)n;
    resp[got] = '\0';
    if (strstr(resp, "\"minor\"") != NULL)
      break;
  }
  resp[got] = '\0';
  assert_non_null(strstr(resp, "HTTP/1.1 200"));
  assert_non_null(strstr(resp, "\"minor\":\"32\""));
  wc_close(&c);
}

/* A client that does not read while 6 MiB of events are written: more
 * than its socket and the server's can hold, so the server has to stop
 * and resume mid-chunk; every event still arrives whole and in order. */
static void test_slow_reader(void **state) {
  struct fixture *f = *state;
  struct wclient c, quick;
  char q[128], name[32];
  int i;

  snprintf(q, sizeof q, "watch=1&resourceVersion=%lld&timeoutSeconds=60",
           current_rev(f));
  wc_open(&c, f->port, 4096, q, 0);
  wc_open(&quick, f->port, 0, q, 0);
  usleep(200000);
  for (i = 0; i < 200; i++) {
    snprintf(name, sizeof name, "s-%d", i);
    create_cm(f->port, name, 32768);
    /* A stalled client does not hold up another one. */
    if (i == 99)
      assert_int_equal(wc_read(&quick, 100, 60000), 100);
  }
  assert_int_equal(wc_read(&quick, 200, 60000), 200);
  expect_added(&quick, "s", 200, 32768);
  usleep(200000);
  assert_int_equal(wc_read(&c, 200, 60000), 200);
  expect_added(&c, "s", 200, 32768);
  wc_close(&quick);
  wc_close(&c);
}

/* HTTP/1.0 has no chunks: the body is the lines themselves, and the
 * server closes the connection at the end. The 20 creates are made
 * before the watch opens, from the revision before them: the stream's
 * timeout then only has to outlast their replay, not the creates (a 2 s
 * and then a 5 s timeout ended streams before the last create on a
 * loaded machine under ASan). */
static void test_http10_lines(void **state) {
  struct fixture *f = *state;
  struct wclient c;
  char q[128], name[32];
  int i;

  snprintf(q, sizeof q, "watch=1&resourceVersion=%lld&timeoutSeconds=5",
           current_rev(f));
  for (i = 0; i < 20; i++) {
    snprintf(name, sizeof name, "h-%d", i);
    create_cm(f->port, name, 10);
  }
  wc_open(&c, f->port, 0, q, 1);
  assert_int_equal(wc_read(&c, 20, 60000), 20);
  assert_true(c.body[0] == '{');
  expect_added(&c, "h", 20, 10);
  wc_read(&c, 1000, 60000);
  assert_true(c.ended);
  wc_close(&c);
}

struct churn {
  int port, stop, made;
};

static void *churn_main(void *arg) {
  struct churn *ch = arg;
  char name[32];

  while (!__atomic_load_n(&ch->stop, __ATOMIC_ACQUIRE)) {
    snprintf(name, sizeof name, "c-%d", ch->made++);
    create_cm(ch->port, name, 2000);
  }
  return NULL;
}

/* Clients leave mid-stream while events flow; others are still open when
 * the server stops (teardown). The sanitizers check the rest. */
static void test_clients_leave(void **state) {
  struct fixture *f = *state;
  struct wclient c[40];
  struct churn ch = {.port = f->port};
  pthread_t th;
  char q[128];
  int i;

  snprintf(q, sizeof q, "watch=1&resourceVersion=%lld", current_rev(f));
  for (i = 0; i < 40; i++)
    wc_open(&c[i], f->port, i % 2 ? 4096 : 0, q, 0);
  assert_int_equal(pthread_create(&th, NULL, churn_main, &ch), 0);
  for (i = 0; i < 40; i++) {
    assert_true(wc_read(&c[i], 3, 60000) >= 3);
    if (i % 4 != 3) { /* a quarter stays until the server stops */
      usleep(5000);
      wc_close(&c[i]);
    }
  }
  __atomic_store_n(&ch.stop, 1, __ATOMIC_RELEASE);
  pthread_join(th, NULL);
  assert_true(ch.made > 3);
  /* The server still answers. */
  create_cm(f->port, "after", 1);
  cp_apiserver_stop(f->srv);
  f->srv = NULL;
  for (i = 3; i < 40; i += 4) {
    wc_read(&c[i], (size_t)-1, 5000);
    wc_close(&c[i]);
  }
}

/* The body of GET path (HTTP/1.0, read to the close). malloc'd. */
static char *get_body(int port, const char *path) {
  char req[256], *buf = NULL, *body;
  size_t len = 0, cap = 0;
  int fd = dial(port, 0), n;
  ssize_t r;

  n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", path);
  send_all(fd, req, (size_t)n);
  for (;;) {
    if (cap - len < 4096) {
      cap = cap * 2 + 4096;
      buf = realloc(buf, cap + 1);
      assert_non_null(buf);
    }
    r = read(fd, buf + len, cap - len);
    if (r <= 0)
      break;
    len += (size_t)r;
  }
  close(fd);
  assert_non_null(buf);
  buf[len] = '\0';
  body = strstr(buf, "\r\n\r\n");
  assert_non_null(body);
  body = strdup(body + 4);
  free(buf);
  return body;
}

/* apiserver_registered_watchers for configmaps, from /metrics. */
static int cm_watchers(int port) {
  char *m = get_body(port, "/metrics"), *p;
  int n = 0;

  p = strstr(m, "apiserver_registered_watchers{resource=\"configmaps\"} ");
  if (p != NULL)
    n = atoi(strchr(p, '}') + 2);
  free(m);
  return n;
}

/* Waits (60 s at most) until the server has want configmaps watchers. */
static int wait_cm_watchers(int port, int want) {
  int64_t end = now_ms() + 60000;
  int n;

  while ((n = cm_watchers(port)) != want && now_ms() < end)
    usleep(50000);
  return n;
}

/* A client that never reads, beside one that does, while 12.5 MiB of
 * events go out: the server closes the stalled one once it is more than
 * its bound (1 MiB here) behind, instead of holding every event for it
 * (200 such clients took a server to 5.4 GB); the other gets every
 * event. What the stalled one does read is whole, in order, and ends
 * with the stream's end (or the connection's close). */
static void test_never_reader_closed(void **state) {
  struct fixture *f = *state;
  struct wclient slow, quick;
  char q[128], name[32], *m;
  size_t got;
  int i;

  /* The stream's timeout (600 s) is far above what the test takes on a
   * loaded machine under ASan: the quick stream must not end first. */
  snprintf(q, sizeof q, "watch=1&resourceVersion=%lld&timeoutSeconds=600",
           current_rev(f));
  wc_open(&slow, f->port, 4096, q, 0);
  wc_open(&quick, f->port, 0, q, 0);
  assert_int_equal(wait_cm_watchers(f->port, 2), 2);
  for (i = 0; i < 400; i++) {
    snprintf(name, sizeof name, "n-%d", i);
    create_cm(f->port, name, 32768);
    if (i % 50 == 49)
      assert_int_equal(wc_read(&quick, (size_t)i + 1, 60000), i + 1);
  }
  assert_int_equal(wc_read(&quick, 400, 60000), 400);
  expect_added(&quick, "n", 400, 32768);
  assert_false(quick.ended);
  assert_int_equal(wait_cm_watchers(f->port, 1), 1);
  m = get_body(f->port, "/metrics");
  assert_non_null(strstr(m, "apiserver_terminated_watchers_total{group=\"\","
                            "resource=\"configmaps\"} 1\n"));
  free(m);
  got = wc_read(&slow, 400, 60000);
  assert_true(slow.ended || slow.eof);
  assert_true(got < 400);
  expect_added(&slow, "n", (int)got, 32768);
  wc_close(&quick);
  wc_close(&slow);
}

/* Once the watch cache's byte bound (64 KiB here) has evicted the events
 * from a resourceVersion on, and the store has compacted them, a watch
 * from there gets 410 Expired, as kube-apiserver answers, and ends; one
 * from the head goes on. (Before the bound, the cache kept 4,096 events
 * of any size and served this start.) */
static void test_evicted_and_compacted_gone(void **state) {
  struct fixture *f = *state;
  struct wclient old, cur, live;
  char q[128], name[32];
  long long first = current_rev(f) + 1, head;
  json_object *o, *obj, *v;
  int i;

  /* A watcher from before the writes: the shared watch sees them all. */
  snprintf(q, sizeof q, "watch=1&resourceVersion=%lld", first - 1);
  wc_open(&live, f->port, 0, q, 0);
  usleep(200000);
  for (i = 0; i < 10; i++) {
    snprintf(name, sizeof name, "g-%d", i);
    create_cm(f->port, name, 32768);
  }
  head = current_rev(f);
  assert_int_equal(wc_read(&live, 10, 60000), 10);
  assert_int_equal(cp_store_compact(f->store, head), 0);
  snprintf(q, sizeof q, "watch=1&resourceVersion=%lld", first);
  wc_open(&old, f->port, 0, q, 0);
  assert_int_equal(wc_read(&old, 1, 60000), 1);
  o = json_tokener_parse(old.body);
  assert_non_null(o);
  assert_string_equal(json_object_get_string(json_object_object_get(o, "type")),
                      "ERROR");
  assert_true(json_object_object_get_ex(o, "object", &obj));
  assert_true(json_object_object_get_ex(obj, "code", &v));
  assert_int_equal(json_object_get_int(v), 410);
  assert_string_equal(
      json_object_get_string(json_object_object_get(obj, "reason")),
      "Expired");
  assert_non_null(strstr(
      json_object_get_string(json_object_object_get(obj, "message")),
      "too old resource version"));
  json_object_put(o);
  wc_read(&old, 2, 60000);
  assert_true(old.ended);
  snprintf(q, sizeof q, "watch=1&resourceVersion=%lld", head);
  wc_open(&cur, f->port, 0, q, 0);
  usleep(200000);
  create_cm(f->port, "g-after", 10);
  assert_int_equal(wc_read(&cur, 1, 60000), 1);
  assert_non_null(strstr(cur.body, "g-after"));
  wc_close(&old);
  wc_close(&cur);
  wc_close(&live);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_chunked_order_and_end, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_slow_reader, setup, teardown),
      cmocka_unit_test_setup_teardown(test_http10_lines, setup, teardown),
      cmocka_unit_test_setup_teardown(test_clients_leave, setup, teardown),
      cmocka_unit_test_setup_teardown(test_never_reader_closed, setup_small,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_evicted_and_compacted_gone,
                                      setup_small, teardown),
  };

  signal(SIGPIPE, SIG_IGN);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
