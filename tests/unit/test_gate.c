/*
 * test_gate - the connection gate on a socket pair, with a bufferevent
 * standing in for evhttp: what reaches it for authenticated, public,
 * rejected and oversized heads, and the header timeout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "apiserver/gate.h"

struct fixture {
  struct event_base *base;
  struct cp_gates *gates;
  struct bufferevent *bev; /* "evhttp's" end */
  int client;
  struct evbuffer *got; /* what "evhttp" read */
  int eof;
  int admits;
  char path[64], method[16], target[64], agent[64], audit_id[64], xff[64],
      real_ip[64];
  int has_body;
  const char *answer_id; /* written on a reject; NULL: none */
};

static enum cp_gate_verdict admit(void *arg, const struct cp_gate_head *h,
                                  struct bufferevent *conn) {
  struct fixture *f = arg;

  assert_ptr_equal(conn, f->bev);
  f->admits++;
  snprintf(f->path, sizeof f->path, "%s", h->path);
  snprintf(f->method, sizeof f->method, "%s", h->method);
  f->has_body = h->has_body;
  snprintf(f->target, sizeof f->target, "%s", h->target);
  snprintf(f->agent, sizeof f->agent, "%s", h->user_agent ? h->user_agent : "-");
  snprintf(f->audit_id, sizeof f->audit_id, "%s",
           h->audit_id ? h->audit_id : "-");
  snprintf(f->xff, sizeof f->xff, "%s",
           h->forwarded_for ? h->forwarded_for : "-");
  snprintf(f->real_ip, sizeof f->real_ip, "%s", h->real_ip ? h->real_ip : "-");
  assert_string_equal(h->answer_id, "");
  if (f->answer_id != NULL)
    snprintf(h->answer_id, CP_GATE_ID_MAX + 1, "%s", f->answer_id);
  if (h->authorization != NULL && strcmp(h->authorization, "Bearer good") == 0)
    return CP_GATE_OPEN;
  if (strcmp(h->method, "GET") == 0 && strcmp(h->path, "/version") == 0 &&
      !h->has_body)
    return CP_GATE_PUBLIC;
  return CP_GATE_REJECT;
}

static void on_read(struct bufferevent *bev, void *arg) {
  struct fixture *f = arg;

  evbuffer_add_buffer(f->got, bufferevent_get_input(bev));
}

static void on_event(struct bufferevent *bev, short what, void *arg) {
  struct fixture *f = arg;

  (void)bev;
  if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
    f->eof = 1;
}

static struct fixture *open_fixture(uint64_t timeout_ms) {
  struct fixture *f = calloc(1, sizeof *f);
  struct cp_gate_config cfg;
  int sv[2];

  assert_non_null(f);
  cfg.read_header_timeout_ms = timeout_ms;
  cfg.admit = admit;
  cfg.arg = f;
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  f->base = event_base_new();
  f->gates = cp_gates_new(&cfg);
  f->got = evbuffer_new();
  f->bev = bufferevent_socket_new(f->base, -1, BEV_OPT_CLOSE_ON_FREE);
  assert_non_null(f->bev);
  assert_int_equal(cp_gate_attach(f->gates, f->bev), 0);
  assert_int_equal(bufferevent_setfd(f->bev, sv[0]), 0);
  bufferevent_setcb(f->bev, on_read, NULL, on_event, f);
  bufferevent_enable(f->bev, EV_READ);
  f->client = sv[1];
  return f;
}

static void close_fixture(struct fixture *f) {
  if (f->bev != NULL)
    bufferevent_free(f->bev); /* as evhttp does */
  cp_gates_free(f->gates);
  evbuffer_free(f->got);
  close(f->client);
  event_base_free(f->base);
  free(f);
}

/* Runs the loop for about ms milliseconds. */
static void run(struct fixture *f, int ms) {
  struct timeval tv = {0, ms * 1000};

  event_base_loopexit(f->base, &tv);
  event_base_dispatch(f->base);
}

static void send_str(struct fixture *f, const char *s) {
  assert_int_equal(send(f->client, s, strlen(s), 0), (ssize_t)strlen(s));
}

/* What "evhttp" got, as a string (valid until the next call). */
static const char *got(struct fixture *f) {
  static char buf[4096];
  size_t n = evbuffer_get_length(f->got);

  assert_true(n < sizeof buf);
  evbuffer_copyout(f->got, buf, n);
  buf[n] = '\0';
  return buf;
}

static void test_authenticated_opens(void **state) {
  struct fixture *f = open_fixture(0);
  static const char req[] = "POST /api/v1/x HTTP/1.1\r\nAuthorization: "
                            "Bearer good\r\nContent-Length: 5\r\n\r\nhello"
                            "GET /next HTTP/1.1\r\n\r\n";

  (void)state;
  send_str(f, "POST /api/v1/x HTTP/1.1\r\nAuthoriz");
  run(f, 20);
  assert_string_equal(got(f), ""); /* held until the head is complete */
  assert_int_equal(f->admits, 0);
  send_str(f, req + strlen("POST /api/v1/x HTTP/1.1\r\nAuthoriz"));
  run(f, 20);
  assert_string_equal(got(f), req);
  assert_int_equal(f->admits, 1); /* later heads go through unjudged */
  assert_string_equal(f->method, "POST");
  assert_string_equal(f->path, "/api/v1/x");
  assert_true(f->has_body);
  send_str(f, "more");
  run(f, 20);
  assert_int_equal(evbuffer_get_length(f->got), strlen(req) + 4);
  close_fixture(f);
}

static void test_rejected_body_never_reaches_evhttp(void **state) {
  struct fixture *f = open_fixture(0);
  char body[8192];

  (void)state;
  memset(body, 'x', sizeof body - 1);
  body[sizeof body - 1] = '\0';
  send_str(f, "POST /api/v1/x?watch=1 HTTP/1.1\r\nAuthorization: Bearer bad"
              "\r\nContent-Length: 3000000\r\n\r\n");
  send_str(f, body);
  run(f, 20);
  assert_string_equal(f->path, "/api/v1/x");
  assert_non_null(strstr(got(f), "\r\nX-Cplane-Gate: 401\r\n"));
  assert_int_equal(strncmp(got(f), "GET / HTTP/1.1\r\n", 16), 0);
  assert_null(strstr(got(f), "xxx"));
  send_str(f, body);
  run(f, 20);
  assert_null(strstr(got(f), "xxx"));
  close_fixture(f);
}

/* The owner reads the head's audit fields and names the made-up 401's
 * Audit-ID (its audit event's ID), which the reply then carries; one a
 * header cannot carry is left out. */
static void test_rejected_carries_answer_id(void **state) {
  struct fixture *f = open_fixture(0);

  (void)state;
  f->answer_id = "event-id-1";
  send_str(f, "GET /api/v1/pods?limit=2&watch=1 HTTP/1.1\r\n"
              "User-Agent: curl/8\r\nAudit-ID: sent-id\r\n"
              "X-Forwarded-For: 10.0.0.1, 10.0.0.2\r\n"
              "X-Real-Ip: 10.0.0.3\r\n\r\n");
  run(f, 20);
  assert_string_equal(f->path, "/api/v1/pods");
  assert_string_equal(f->target, "/api/v1/pods?limit=2&watch=1");
  assert_string_equal(f->agent, "curl/8");
  assert_string_equal(f->audit_id, "sent-id");
  assert_string_equal(f->xff, "10.0.0.1, 10.0.0.2");
  assert_string_equal(f->real_ip, "10.0.0.3");
  assert_non_null(
      strstr(got(f), "X-Cplane-Gate: 401\r\nAudit-ID: event-id-1\r\n\r\n"));
  close_fixture(f);

  f = open_fixture(0);
  f->answer_id = "bad\x01id";
  send_str(f, "GET /api/v1/pods HTTP/1.1\r\n\r\n");
  run(f, 20);
  assert_string_equal(f->agent, "-");
  assert_string_equal(f->audit_id, "-");
  assert_non_null(strstr(got(f), "X-Cplane-Gate: 401\r\n\r\n"));
  assert_null(strstr(got(f), "Audit-ID"));
  close_fixture(f);
}

static void test_public_then_rejected(void **state) {
  struct fixture *f = open_fixture(0);

  (void)state;
  send_str(f, "GET /version HTTP/1.1\n\nGET /secret HTTP/1.1\r\n\r\n");
  run(f, 20);
  assert_int_equal(f->admits, 2);
  assert_int_equal(
      strncmp(got(f), "GET /version HTTP/1.1\n\nGET / HTTP/1.1\r\n", 39), 0);
  assert_non_null(strstr(got(f), "X-Cplane-Gate: 401"));
  close_fixture(f);
}

/* A NUL in a head would hide a Content-Length from the gate's parse but
 * not from evhttp's. */
static void test_nul_in_head(void **state) {
  struct fixture *f = open_fixture(0);
  static const char req[] = "GET /version\0 HTTP/1.1\r\nContent-Length: 9"
                            "\r\n\r\n";

  (void)state;
  assert_int_equal(send(f->client, req, sizeof req - 1, 0),
                   (ssize_t)sizeof req - 1);
  run(f, 20);
  assert_non_null(strstr(got(f), "X-Cplane-Gate: 401"));
  close_fixture(f);
}

static void test_header_limit(void **state) {
  struct fixture *f = open_fixture(0);
  char chunk[65536];
  size_t sent = 0;

  (void)state;
  memset(chunk, 'a', sizeof chunk);
  send_str(f, "GET /version HTTP/1.1\r\nX-Big: ");
  /* Never blocking: the gate reads only while the loop runs. */
  while (sent <= CP_GATE_MAX_HEADER_BYTES) {
    ssize_t n = send(f->client, chunk, sizeof chunk, MSG_DONTWAIT);

    if (n > 0)
      sent += (size_t)n;
    run(f, 1);
  }
  run(f, 20);
  assert_int_equal(f->admits, 0);
  assert_non_null(strstr(got(f), "X-Cplane-Gate: 431"));
  assert_true(evbuffer_get_length(f->got) < 200);
  close_fixture(f);
}

static void test_header_timeout(void **state) {
  struct fixture *f = open_fixture(100);
  char c;

  (void)state;
  send_str(f, "GET /api/v1/pods HTTP/1.1\r\nX-Slow: a");
  run(f, 50);
  assert_false(f->eof);
  run(f, 200);
  assert_true(f->eof); /* shut down: evhttp would free the connection */
  assert_int_equal(recv(f->client, &c, 1, 0), 0);
  assert_string_equal(got(f), "");
  close_fixture(f);
}

/* An authenticated connection is not timed out by the gate. */
static void test_open_has_no_header_timeout(void **state) {
  struct fixture *f = open_fixture(50);

  (void)state;
  send_str(f, "GET /x HTTP/1.1\r\nAuthorization: Bearer good\r\n\r\n");
  run(f, 150);
  assert_false(f->eof);
  close_fixture(f);
}

/* A client that leaves mid-head: once evhttp has freed the connection
 * the gate lets go within a poll, and the socket closes then, not at the
 * header timeout. */
static void test_left_mid_head(void **state) {
  struct fixture *f = open_fixture(60000);
  char c;

  (void)state;
  send_str(f, "GET /api/v1/pods HTTP/1.1\r\n");
  run(f, 20);
  bufferevent_free(f->bev); /* evhttp on the client's end of stream */
  f->bev = NULL;
  assert_int_equal(recv(f->client, &c, 1, MSG_DONTWAIT), -1);
  run(f, 300);
  assert_int_equal(recv(f->client, &c, 1, MSG_DONTWAIT), 0);
  close_fixture(f);
}

static void test_gate_code(void **state) {
  struct evhttp_request *req = evhttp_request_new(NULL, NULL);

  (void)state;
  assert_int_equal(cp_gate_code(req), 0);
  evhttp_add_header(evhttp_request_get_input_headers(req), "X-Cplane-Gate",
                    "431");
  assert_int_equal(cp_gate_code(req), 431);
  evhttp_request_free(req);
  req = evhttp_request_new(NULL, NULL);
  evhttp_add_header(evhttp_request_get_input_headers(req), "X-Cplane-Gate",
                    "401");
  assert_int_equal(cp_gate_code(req), 401);
  evhttp_request_free(req);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_authenticated_opens),
      cmocka_unit_test(test_rejected_body_never_reaches_evhttp),
      cmocka_unit_test(test_rejected_carries_answer_id),
      cmocka_unit_test(test_public_then_rejected),
      cmocka_unit_test(test_nul_in_head),
      cmocka_unit_test(test_header_limit),
      cmocka_unit_test(test_header_timeout),
      cmocka_unit_test(test_open_has_no_header_timeout),
      cmocka_unit_test(test_left_mid_head),
      cmocka_unit_test(test_gate_code),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
