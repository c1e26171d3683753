/*
 * Unit tests for the reflector's watch lifecycle against a scripted HTTP
 * server on 127.0.0.1 (one connection at a time, each answered and
 * closed): a watch the server ends - cleanly, by closing the connection,
 * or by staying quiet past the idle timeout - re-watches at once from the
 * last resourceVersion and is no failure; a 410 (status or ERROR event)
 * relists; real errors back off, doubling, and the backoff starts over
 * after a healthy period.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
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

#include "client/client.h"
#include "client/reflector.h"
#include "informer/informer.h"
#include "log/log.h"

/* What the server does with the n-th watch request. */
enum action {
  W_HOLD,      /* 200, nothing; until the client closes (the default) */
  W_END,       /* 200, one event, then the chunked end */
  W_QUIET_END, /* 200, nothing for 1.2 s, then the end (timeoutSeconds) */
  W_EOF,       /* 200, one event, then close without the chunked end */
  W_EVENT_2S,  /* 200, one event, 2 s, then the end */
  W_410,       /* 410 Gone status */
  W_ERROR_410, /* 200, an ERROR event with code 410 */
  W_ERROR_500, /* 200, an ERROR event with code 500 */
  W_500,       /* 500 */
};

#define MAX_REQ 64

struct fake {
  int lfd, port;
  pthread_t th;
  atomic_int stop;
  const enum action *script;
  int n_script, watches_seen;
  int rv; /* the next resourceVersion handed out */
  pthread_mutex_t mu;
  int n;
  char path[MAX_REQ][256];
  int64_t at[MAX_REQ]; /* ms, when each request arrived */
};

static int64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put(int fd, const char *fmt, ...) {
  char buf[2048];
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0)
    (void)send(fd, buf, (size_t)n, MSG_NOSIGNAL);
}

static void chunk(int fd, const char *data) {
  put(fd, "%zx\r\n%s\r\n", strlen(data), data);
}

static void event(struct fake *f, int fd) {
  char ev[512];
  int rv;

  pthread_mutex_lock(&f->mu);
  rv = ++f->rv;
  pthread_mutex_unlock(&f->mu);
  snprintf(ev, sizeof ev,
           "{\"type\":\"ADDED\",\"object\":{\"apiVersion\":\"v1\","
           "\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c%d\","
           "\"namespace\":\"default\",\"resourceVersion\":\"%d\"}}}\n",
           rv, rv);
  chunk(fd, ev);
}

/* Waits up to ms (forever when < 0) for the client to close; 1 if it did. */
static int await_close(struct fake *f, int fd, int ms) {
  int64_t end = now_ms() + ms;
  char b[512];

  while (!atomic_load(&f->stop) && (ms < 0 || now_ms() < end)) {
    struct pollfd p = {fd, POLLIN, 0};

    if (poll(&p, 1, 50) > 0 && recv(fd, b, sizeof b, 0) <= 0)
      return 1;
  }
  return 0;
}

static void status(int fd, int code, const char *reason) {
  char body[256];

  snprintf(body, sizeof body,
           "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
           "\"Failure\",\"reason\":\"%s\",\"code\":%d}",
           reason, code);
  put(fd, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
          "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
      code, reason, strlen(body), body);
}

static void answer(struct fake *f, int fd, const char *path) {
  enum action a = W_HOLD;
  char body[256];

  if (strstr(path, "sendInitialEvents=true") != NULL) {
    status(fd, 400, "BadRequest"); /* no WatchList: the reflector lists */
    return;
  }
  if (strstr(path, "watch=true") == NULL) {
    pthread_mutex_lock(&f->mu);
    snprintf(body, sizeof body,
             "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\","
             "\"metadata\":{\"resourceVersion\":\"%d\"},\"items\":[]}",
             f->rv);
    pthread_mutex_unlock(&f->mu);
    put(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
        strlen(body), body);
    return;
  }
  if (f->watches_seen < f->n_script)
    a = f->script[f->watches_seen];
  f->watches_seen++;
  if (a == W_410) {
    status(fd, 410, "Expired");
    return;
  }
  if (a == W_500) {
    status(fd, 500, "InternalError");
    return;
  }
  put(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
          "Transfer-Encoding: chunked\r\n\r\n");
  switch (a) {
  case W_END:
    event(f, fd);
    chunk(fd, "");
    break;
  case W_QUIET_END:
    await_close(f, fd, 1200);
    chunk(fd, "");
    break;
  case W_EOF:
    event(f, fd);
    break;
  case W_EVENT_2S:
    event(f, fd);
    await_close(f, fd, 2000);
    chunk(fd, "");
    break;
  case W_ERROR_410:
    chunk(fd, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
              "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":"
              "\"Expired\",\"code\":410}}\n");
    chunk(fd, "");
    break;
  case W_ERROR_500:
    chunk(fd, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
              "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":"
              "\"InternalError\",\"code\":500}}\n");
    chunk(fd, "");
    break;
  default:
    await_close(f, fd, -1);
    break;
  }
}

static void *serve(void *arg) {
  struct fake *f = arg;

  while (!atomic_load(&f->stop)) {
    struct pollfd p = {f->lfd, POLLIN, 0};
    char req[4096], line[256];
    size_t have = 0;
    int fd;

    if (poll(&p, 1, 50) <= 0 || (fd = accept(f->lfd, NULL, NULL)) < 0)
      continue;
    req[0] = '\0';
    while (have < sizeof req - 1 && strstr(req, "\r\n\r\n") == NULL) {
      ssize_t n = recv(fd, req + have, sizeof req - 1 - have, 0);

      if (n <= 0)
        break;
      have += (size_t)n;
      req[have] = '\0';
    }
    req[have] = '\0';
    if (sscanf(req, "GET %255s", line) == 1) {
      pthread_mutex_lock(&f->mu);
      if (f->n < MAX_REQ) {
        snprintf(f->path[f->n], sizeof f->path[0], "%s", line);
        f->at[f->n++] = now_ms();
      }
      pthread_mutex_unlock(&f->mu);
      answer(f, fd, line);
    }
    close(fd);
  }
  return NULL;
}

static struct fake *fake_start(const enum action *script, int n) {
  struct fake *f = calloc(1, sizeof *f);
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof a;

  assert_non_null(f);
  pthread_mutex_init(&f->mu, NULL);
  f->script = script;
  f->n_script = n;
  f->rv = 10;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  f->lfd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(f->lfd >= 0);
  assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(f->lfd, 8), 0);
  assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&a, &len), 0);
  f->port = ntohs(a.sin_port);
  assert_int_equal(pthread_create(&f->th, NULL, serve, f), 0);
  return f;
}

static void fake_stop(struct fake *f) {
  atomic_store(&f->stop, 1);
  pthread_join(f->th, NULL);
  close(f->lfd);
  pthread_mutex_destroy(&f->mu);
  free(f);
}

/* Waits (30 s at most) until the server has seen n requests. */
static void wait_requests(struct fake *f, int n) {
  int i, have = 0;

  for (i = 0; i < 3000; i++) {
    pthread_mutex_lock(&f->mu);
    have = f->n;
    pthread_mutex_unlock(&f->mu);
    if (have >= n)
      return;
    usleep(10000);
  }
  fail_msg("the server saw %d requests, want %d", have, n);
}

static int is_list(const char *p) { return strstr(p, "watch=") == NULL; }

/* The resourceVersion a watch asked for, or -1. */
static int watch_rv(const char *p) {
  const char *v = strstr(p, "&resourceVersion=");

  return v != NULL && strstr(p, "watch=true") ? atoi(v + 17) : -1;
}

struct rig {
  struct fake *f;
  struct cp_client *c;
  cp_informer *inf;
  struct cp_reflector *r;
};

static void rig_start(struct rig *g, const enum action *script, int n,
                      const struct cp_reflector_timing *t) {
  struct cp_client_config cc = {0};
  char url[64], *err = NULL;

  cp_log_set_level(CPLANE_LOG_ERROR);
  g->f = fake_start(script, n);
  snprintf(url, sizeof url, "http://127.0.0.1:%d", g->f->port);
  cc.server = url;
  cc.timeout_ms = 5000;
  if (cp_client_new(&cc, &g->c, &err) != 0)
    fail_msg("%s", err);
  g->inf = cp_informer_new("configmaps");
  assert_int_equal(cp_informer_start(g->inf), 0);
  g->r = cp_reflector_new(g->c, g->inf, "", "v1", "configmaps", NULL, NULL);
  assert_non_null(g->r);
  cp_reflector_set_timing(g->r, t);
  assert_int_equal(cp_reflector_start(g->r), 0);
}

static void rig_stop(struct rig *g) {
  cp_reflector_free(g->r);
  cp_informer_free(g->inf);
  cp_client_free(g->c);
  fake_stop(g->f);
}

static void dump(struct fake *f) {
  int i;

  for (i = 0; i < f->n; i++)
    fprintf(stderr, "  %2d +%5lld ms %s\n", i,
            (long long)(f->at[i] - f->at[0]), f->path[i]);
}

/* Every way a watch ends without an error - the server's end after an
 * event, a closed connection, a quiet timeoutSeconds end, the client's
 * idle timeout - re-watches at once from the last resourceVersion; none
 * counts as a failure or waits for a backoff (2 s here, to be seen). */
static void test_ended_watch_rewatches_at_once(void **state) {
  static const enum action script[] = {W_END, W_EOF, W_QUIET_END, W_HOLD};
  const struct cp_reflector_timing t = {60, 1500, 2000, 4000, 60000};
  struct cp_reflector_stats st;
  struct rig g;
  struct fake *f;

  (void)state;
  rig_start(&g, script, 4, &t);
  f = g.f;
  /* 0 WatchList (refused), 1 LIST, 2 W_END, 3 W_EOF, 4 W_QUIET_END,
   * 5 W_HOLD (ended by the idle timeout), 6 the next watch. */
  wait_requests(f, 7);
  cp_reflector_stats(g.r, &st);
  pthread_mutex_lock(&f->mu);
  if (st.failures != 0 || st.relists != 0 || !is_list(f->path[1]) ||
      watch_rv(f->path[2]) != 10 || watch_rv(f->path[3]) != 11 ||
      watch_rv(f->path[4]) != 12 || watch_rv(f->path[5]) != 12 ||
      watch_rv(f->path[6]) != 12 || f->at[3] - f->at[2] > 600 ||
      f->at[4] - f->at[3] > 600 || f->at[5] - f->at[4] > 1200 + 600 ||
      f->at[6] - f->at[5] < 1300 || f->at[6] - f->at[5] > 1500 + 600) {
    dump(f);
    fail_msg("failures %llu relists %llu", (unsigned long long)st.failures,
             (unsigned long long)st.relists);
  }
  assert_non_null(strstr(f->path[2], "allowWatchBookmarks=true"));
  assert_non_null(strstr(f->path[2], "timeoutSeconds="));
  pthread_mutex_unlock(&f->mu);
  assert_int_equal(cp_informer_len(g.inf), 2); /* c11 and c12 */
  rig_stop(&g);
}

/* A 410, as a status or as an ERROR event, relists at once - no
 * failure, no backoff - and the watch goes on from the new list. Another
 * ERROR event is a failure: backed off (2 s here), then a re-watch from
 * the same resourceVersion. */
static void test_gone_relists(void **state) {
  static const enum action script[] = {W_410, W_ERROR_410, W_ERROR_500,
                                       W_HOLD};
  const struct cp_reflector_timing t = {60, 150000, 2000, 4000, 60000};
  struct cp_reflector_stats st;
  struct rig g;
  struct fake *f;
  int i;

  (void)state;
  rig_start(&g, script, 4, &t);
  f = g.f;
  /* 0 WatchList, 1 LIST, 2 W_410, 3 LIST, 4 W_ERROR_410, 5 LIST,
   * 6 W_ERROR_500, 7 watch */
  wait_requests(f, 8);
  cp_reflector_stats(g.r, &st);
  pthread_mutex_lock(&f->mu);
  for (i = 2; i < 7; i++)
    if (is_list(f->path[i]) != (i % 2 == 1) || f->at[i] - f->at[i - 1] > 600)
      break;
  if (i < 7 || st.relists != 2 || st.failures != 1 || is_list(f->path[7]) ||
      watch_rv(f->path[7]) != watch_rv(f->path[6]) ||
      f->at[7] - f->at[6] < 2000) {
    dump(f);
    fail_msg("request %d; relists %llu failures %llu", i,
             (unsigned long long)st.relists,
             (unsigned long long)st.failures);
  }
  pthread_mutex_unlock(&f->mu);
  rig_stop(&g);
}

/* Errors back off 200, 400, 800 ms (+ up to half in jitter, capped at
 * 800); a healthy watch longer than the reset period starts it over. */
static void test_errors_back_off_and_reset(void **state) {
  static const enum action script[] = {W_500, W_500, W_500, W_EVENT_2S,
                                       W_500, W_HOLD};
  const struct cp_reflector_timing t = {60, 150000, 200, 800, 1500};
  struct cp_reflector_stats st;
  struct rig g;
  struct fake *f;
  int64_t d1, d2, d3, d4, d5;

  (void)state;
  rig_start(&g, script, 6, &t);
  f = g.f;
  /* 0 WatchList, 1 LIST, 2-4 W_500, 5 W_EVENT_2S, 6 W_500, 7 watch */
  wait_requests(f, 8);
  cp_reflector_stats(g.r, &st);
  pthread_mutex_lock(&f->mu);
  d1 = f->at[3] - f->at[2];
  d2 = f->at[4] - f->at[3];
  d3 = f->at[5] - f->at[4];
  d4 = f->at[6] - f->at[5]; /* the healthy watch's 2 s, no backoff */
  d5 = f->at[7] - f->at[6];
  if (st.failures != 4 || d1 < 200 || d1 > 300 + 400 || d2 < 400 ||
      d2 > 600 + 400 || d3 < 800 || d3 > 1200 + 400 || d4 < 2000 ||
      d4 > 2000 + 600 || d5 < 200 || d5 > 300 + 400) {
    dump(f);
    fail_msg("failures %llu; gaps %lld %lld %lld %lld %lld",
             (unsigned long long)st.failures, (long long)d1, (long long)d2,
             (long long)d3, (long long)d4, (long long)d5);
  }
  pthread_mutex_unlock(&f->mu);
  rig_stop(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ended_watch_rewatches_at_once),
      cmocka_unit_test(test_gone_relists),
      cmocka_unit_test(test_errors_back_off_and_reset),
  };

  signal(SIGPIPE, SIG_IGN);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
