/*
 * Unit test of the API server's shutdown, as kube's WithWaitGroup: a
 * request that arrives once the server has begun to stop is answered
 * 503 with kube's Status ("apiserver is shutting down", reason
 * ServiceUnavailable), Retry-After: 1 and its Audit-Id, and is not
 * audited; the request in flight when the stop began finishes and is.
 *
 * The in-process server on a real socket, with the audit log on and a
 * ValidatingWebhookConfiguration (failurePolicy Ignore) whose webhook is
 * a socket of this test that accepts and never answers: a create waits
 * in its worker for the webhook's timeout while cp_apiserver_stop runs.
 * A second request pipelined behind it on the same connection is read
 * only once the first is answered, which is after the workers are
 * joined: in the stop's last pass of the event loop, with the server
 * already stopping. The ordering rests on the webhook's timeout (5 s)
 * outlasting the event loop's exit, which takes milliseconds.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
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
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "apiserver/apiserver.h"
#include "api_fixture.h"
#include "config/read_file.h"

#define NS_CM "/api/v1/namespaces/default/configmaps"
#define WEBHOOKS                                                              \
  "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"

/* The webhook: a listening socket whose connections are closed at once
 * (held = 0: the call fails fast) or kept unanswered (held = 1). */
struct hook {
  int fd, port;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int hold, accepted, held_fd, stop;
};

static void *hook_main(void *arg) {
  struct hook *h = arg;
  int c;

  while ((c = accept(h->fd, NULL, NULL)) >= 0) {
    pthread_mutex_lock(&h->mu);
    if (h->stop) {
      pthread_mutex_unlock(&h->mu);
      close(c);
      break;
    }
    h->accepted++;
    if (h->hold && h->held_fd < 0) {
      h->held_fd = c;
      c = -1;
    }
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (c >= 0)
      close(c);
  }
  return NULL;
}

static void hook_start(struct hook *h) {
  struct sockaddr_in a = {0};
  socklen_t len = sizeof a;

  memset(h, 0, sizeof *h);
  h->held_fd = -1;
  pthread_mutex_init(&h->mu, NULL);
  pthread_cond_init(&h->cv, NULL);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  h->fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(h->fd >= 0);
  assert_int_equal(bind(h->fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(h->fd, 16), 0);
  assert_int_equal(getsockname(h->fd, (struct sockaddr *)&a, &len), 0);
  h->port = ntohs(a.sin_port);
  assert_int_equal(pthread_create(&h->thread, NULL, hook_main, h), 0);
}

/* Waits (at most 10 s) until a connection is held; 0 when one is. */
static int hook_wait_held(struct hook *h) {
  struct timespec until;
  int rc = 0;

  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 10;
  pthread_mutex_lock(&h->mu);
  while (h->held_fd < 0 && rc == 0)
    rc = pthread_cond_timedwait(&h->cv, &h->mu, &until);
  rc = h->held_fd >= 0 ? 0 : -1;
  pthread_mutex_unlock(&h->mu);
  return rc;
}

static int hook_accepted(struct hook *h) {
  int n;

  pthread_mutex_lock(&h->mu);
  n = h->accepted;
  pthread_mutex_unlock(&h->mu);
  return n;
}

static void hook_stop(struct hook *h) {
  pthread_mutex_lock(&h->mu);
  h->stop = 1;
  pthread_mutex_unlock(&h->mu);
  shutdown(h->fd, SHUT_RDWR); /* wakes accept */
  pthread_join(h->thread, NULL);
  close(h->fd);
  if (h->held_fd >= 0)
    close(h->held_fd);
  pthread_cond_destroy(&h->cv);
  pthread_mutex_destroy(&h->mu);
}

/* ------------------------------------------------------------ HTTP */

/* A connection to the server on port, with a 20 s read timeout. */
static int dial(int port) {
  struct sockaddr_in a = {0};
  struct timeval tv = {20, 0};
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  assert_true(fd >= 0);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

/* Sends text on fd and reads until the server closes; malloc'd. */
static char *send_and_read(int fd, const char *text) {
  size_t len = 0, cap = 8192;
  char *out = malloc(cap);
  ssize_t n;

  assert_non_null(out);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  while ((n = read(fd, out + len, cap - len - 1)) > 0) {
    len += (size_t)n;
    if (cap - len < 1024) {
      out = realloc(out, cap *= 2);
      assert_non_null(out);
    }
  }
  out[len] = '\0';
  close(fd);
  return out;
}

/* One HTTP/1.0 request with a JSON body; the HTTP status. */
static int post(int port, const char *path, const char *body) {
  char req[2048], *r;
  int code;

  snprintf(req, sizeof req,
           "POST %s HTTP/1.0\r\nContent-Type: application/json\r\n"
           "Content-Length: %zu\r\n\r\n%s",
           path, strlen(body), body);
  r = send_and_read(dial(port), req);
  code = strlen(r) > 12 ? atoi(r + 9) : -1;
  free(r);
  return code;
}

/* ------------------------------------------------------------ test */

static int setup(void **state) { return api_fixture_setup(state); }
static int teardown(void **state) { return api_fixture_teardown(state); }

static void start_server(struct api_fixture *f, struct cp_apiserver **srv,
                         char *log_path, size_t len) {
  struct cp_apiserver_config cfg = {0};
  char policy[128], *err = NULL;
  FILE *p;

  snprintf(policy, sizeof policy, "%s/policy.yaml", f->dir);
  snprintf(log_path, len, "%s/audit.log", f->dir);
  assert_non_null(p = fopen(policy, "w"));
  fputs("apiVersion: audit.k8s.io/v1\nkind: Policy\n"
        "rules:\n- level: Metadata\n", p);
  fclose(p);
  cfg.store = f->store;
  cfg.workers = 2;
  cfg.disable_admission_plugins = "ServiceAccount"; /* no SA controller */
  cfg.audit.policy_file = policy;
  cfg.audit.log_path = log_path;
  if (cp_apiserver_start(&cfg, srv, &err) != 0)
    fail_msg("%s", err);
}

/* The webhook on configmap creates, then (at most 10 s) until the
 * server calls it. */
static void install_webhook(int port, struct hook *h) {
  char body[1024], path[64];
  int i;

  snprintf(body, sizeof body,
           "{\"metadata\":{\"name\":\"silent\"},\"webhooks\":[{\"name\":"
           "\"silent.example.com\",\"clientConfig\":{\"url\":"
           "\"https://127.0.0.1:%d/\"},\"rules\":[{\"operations\":"
           "[\"CREATE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],"
           "\"resources\":[\"configmaps\"]}],\"failurePolicy\":\"Ignore\","
           "\"timeoutSeconds\":5,\"sideEffects\":\"None\","
           "\"admissionReviewVersions\":[\"v1\"]}]}",
           h->port);
  assert_int_equal(post(port, WEBHOOKS, body), 201);
  for (i = 0; i < 600 && hook_accepted(h) == 0; i++) { /* 30 s+ */
    snprintf(path, sizeof path, "{\"metadata\":{\"name\":\"probe-%d\"}}", i);
    assert_int_equal(post(port, NS_CM, path), 201);
    if (hook_accepted(h) == 0)
      usleep(50 * 1000);
  }
  assert_true(hook_accepted(h) > 0);
}

static void test_request_while_stopping(void **state) {
  static const char slow[] = "{\"metadata\":{\"name\":\"slow\"}}";
  struct api_fixture *f = *state;
  struct cp_apiserver *srv;
  struct hook h;
  char log_path[128], req[1024], *r, *audit, *second;
  size_t audit_len = 0;
  int fd;

  hook_start(&h);
  start_server(f, &srv, log_path, sizeof log_path);
  install_webhook(cp_apiserver_port(srv), &h);
  pthread_mutex_lock(&h.mu);
  h.hold = 1;
  pthread_mutex_unlock(&h.mu);
  /* The create, and behind it on the same connection the request that
   * will arrive while the server stops. */
  snprintf(req, sizeof req,
           "POST " NS_CM " HTTP/1.1\r\nHost: x\r\nAudit-ID: in-flight\r\n"
           "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s"
           "GET " NS_CM "/slow HTTP/1.1\r\nHost: x\r\n"
           "Audit-ID: after-stop\r\nConnection: close\r\n\r\n",
           strlen(slow), slow);
  fd = dial(cp_apiserver_port(srv));
  assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
  assert_int_equal(hook_wait_held(&h), 0); /* the create is in its worker */
  cp_apiserver_stop(srv);
  r = send_and_read(fd, "");
  hook_stop(&h);

  /* The create went on (the webhook failed open), then the 503. */
  assert_true(strncmp(r, "HTTP/1.1 201 ", 13) == 0);
  second = strstr(r + 13, "HTTP/1.1 ");
  if (second == NULL || strncmp(second, "HTTP/1.1 503 ", 13) != 0)
    fail_msg("no 503 after the create:\n%s", r);
  assert_non_null(strstr(second, "\r\nRetry-After: 1\r\n"));
  assert_non_null(strstr(second, "\r\nAudit-Id: after-stop\r\n"));
  assert_non_null(strstr(second, "\"message\":\"apiserver is shutting "
                                 "down\""));
  assert_non_null(strstr(second, "\"reason\":\"ServiceUnavailable\""));
  assert_non_null(strstr(second, "\"code\":503"));
  free(r);

  /* Audited: the create (failed open), not the refused request. */
  assert_int_equal(cp_read_file(log_path, 1 << 24, &audit, &audit_len), 0);
  assert_non_null(strstr(audit, "\"auditID\":\"in-flight\""));
  assert_non_null(strstr(audit, "\"failed-open.validating.webhook."
                                "admission.k8s.io/round_0_index_0\":"
                                "\"silent.example.com\""));
  assert_null(strstr(audit, "after-stop"));
  free(audit);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_request_while_stopping, setup,
                                      teardown),
  };

  signal(SIGPIPE, SIG_IGN); /* as cplane: a closed webhook is an error */
  return cmocka_run_group_tests(tests, NULL, NULL);
}
