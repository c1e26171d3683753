/*
 * health - see health.h.
 */
#include "health/health.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include "net/sigpipe.h"

struct cp_health {
  struct event_base *base;
  struct evhttp *http;
  pthread_t thread;
  int running;
  struct cp_health_ops ops;
  void *userdata;
  char address[80];
};

static void reply(struct evhttp_request *req, int code, const char *ctype,
                  const char *body, size_t len) {
  struct evbuffer *b = evbuffer_new();

  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                    ctype);
  if (b != NULL)
    evbuffer_add(b, body, len);
  evhttp_send_reply(req, code, code == 200 ? "OK" : "Error", b);
  if (b != NULL)
    evbuffer_free(b);
}

static void on_request(struct evhttp_request *req, void *arg) {
  struct cp_health *h = arg;
  const char *uri = evhttp_request_get_uri(req);
  size_t plen = strcspn(uri, "?");
  char *text = NULL;
  size_t len = 0;
  FILE *f;
  int ok;

  /* /livez (and the older /healthz) is about the process answering,
   * never about plugins: restarting would not unstick them. */
  if ((plen == 8 && strncmp(uri, "/healthz", 8) == 0) ||
      (plen == 6 && strncmp(uri, "/livez", 6) == 0)) {
    reply(req, 200, "text/plain", "ok", 2);
    return;
  }
  if ((plen == 7 && strncmp(uri, "/readyz", 7) == 0) ||
      (plen == 8 && strncmp(uri, "/metrics", 8) == 0)) {
    if ((f = open_memstream(&text, &len)) == NULL) {
      reply(req, 500, "text/plain", "out of memory", 13);
      return;
    }
    if (uri[1] == 'r') {
      ok = h->ops.ready(h->userdata, f);
      fputs(ok ? "readyz check passed\n" : "readyz check failed\n", f);
      fclose(f);
      /* Machines read the status; people read ?verbose. */
      if (strstr(uri + plen, "verbose") != NULL)
        reply(req, ok ? 200 : 503, "text/plain", text, len);
      else
        reply(req, ok ? 200 : 503, "text/plain", ok ? "ok" : "not ready",
              ok ? 2 : 9);
    } else {
      ok = h->ops.metrics(h->userdata, f) == 0;
      fclose(f);
      reply(req, ok ? 200 : 500, "text/plain; version=0.0.4", text, len);
    }
    free(text);
    return;
  }
  reply(req, 404, "text/plain", "not found", 9);
}

static void *loop_main(void *arg) {
  struct cp_health *h = arg;

  pthread_setname_np(pthread_self(), "health"); /* top -H, perf */
  event_base_loop(h->base, EVLOOP_NO_EXIT_ON_EMPTY);
  return NULL;
}

static pthread_once_t evthread_once = PTHREAD_ONCE_INIT;

static void init_evthread(void) { evthread_use_pthreads(); }

int cp_health_start(const char *listen, const struct cp_health_ops *ops,
                    void *userdata, struct cp_health **out, char **errmsg) {
  struct cp_health *h = calloc(1, sizeof *h);
  struct evhttp_bound_socket *bs;
  struct sockaddr_in sa;
  socklen_t sl = sizeof sa;
  char host[64];
  int port = 0;

  *out = NULL;
  *errmsg = NULL;
  pthread_once(&evthread_once, init_evthread);
  cp_net_ignore_sigpipe(); /* a scraper gone mid-response, in any embedder */
  if (h == NULL)
    return -1;
  h->ops = *ops;
  h->userdata = userdata;
  if (sscanf(listen, "%63[^:]:%d", host, &port) != 2 || port < 0 ||
      port > 65535) {
    if (asprintf(errmsg, "listen '%s' is not host:port", listen) < 0)
      *errmsg = NULL;
    goto fail;
  }
  h->base = event_base_new();
  h->http = h->base ? evhttp_new(h->base) : NULL;
  if (h->http == NULL)
    goto fail;
  evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET);
  evhttp_set_gencb(h->http, on_request, h);
  bs = evhttp_bind_socket_with_handle(h->http, host, (ev_uint16_t)port);
  if (bs == NULL) {
    if (asprintf(errmsg, "cannot listen on %s for /healthz, /readyz and "
                         "/metrics (in use? set [host] listen)", listen) < 0)
      *errmsg = NULL;
    goto fail;
  }
  if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa,
                  &sl) == 0)
    port = ntohs(sa.sin_port);
  snprintf(h->address, sizeof h->address, "%s:%d", host, port);
  if (pthread_create(&h->thread, NULL, loop_main, h) != 0)
    goto fail;
  h->running = 1;
  *out = h;
  return 0;
fail:
  cp_health_stop(h);
  return -1;
}

const char *cp_health_address(const struct cp_health *h) {
  return h->address;
}

static void stop_cb(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  event_base_loopbreak(arg);
}

void cp_health_stop(struct cp_health *h) {
  if (h == NULL)
    return;
  if (h->running) {
    event_base_once(h->base, -1, EV_TIMEOUT, stop_cb, h->base, NULL);
    pthread_join(h->thread, NULL);
  }
  if (h->http != NULL)
    evhttp_free(h->http);
  if (h->base != NULL)
    event_base_free(h->base);
  free(h);
}
