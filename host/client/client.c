/*
 * client - see client.h.
 *
 * Blocking calls run a private event_base per connection: a caller takes
 * a connection from the pool, dispatches its base until the response is
 * complete, and puts it back. TLS connections are never reconnected in
 * place (an SSL object cannot be reused after a close): a connection that
 * closed is freed and a new one made on the next call.
 */
#include "client/client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "client/token_file.h"
#include "net/sigpipe.h"

#define DEFAULT_TIMEOUT_MS 30000
/* A watch is quiet between events; kube-apiserver (and ours) bookmark it
 * once a minute. Two and a half intervals: one lost bookmark does not end
 * a healthy stream, and a dead peer is still noticed. (libevent's own
 * default, 50 s, ended every idle watch before its first bookmark.) */
#define DEFAULT_STREAM_IDLE_MS 150000
#define MAX_429_RETRIES 3

struct chan {
  struct event_base *base;
  struct evhttp_connection *conn;
  int closed; /* the connection went down: make a new one */
  int nodelay; /* TCP_NODELAY is set on the connection's socket */
  struct chan *next;
};

struct cp_client {
  char *host;
  char *tls_name; /* the name verified, when not host (server_name) */
  int no_retry;
  int port, tls;
  char *auth; /* "Bearer ..." or NULL */
  struct cp_token_file *token_file; /* or the token from here, renewed */
  SSL_CTX *ssl_ctx;
  int timeout_ms;
  pthread_mutex_t mu;
  struct chan *pool;
};

struct cp_client_stream {
  struct cp_client *c;
  struct event_base *base;
  atomic_int stop;
  int idle_ms; /* read timeout once the response began */
};

static pthread_once_t evthread_once = PTHREAD_ONCE_INIT;

static void init_evthread(void) { evthread_use_pthreads(); }

static struct timeval tv_of_ms(int ms) {
  struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

  return tv;
}

/* ------------------------------------------------------------ connect */

static void on_conn_close(struct evhttp_connection *conn, void *arg) {
  struct chan *ch = arg;

  (void)conn;
  if (ch != NULL)
    ch->closed = 1;
}

static struct evhttp_connection *connect_to(struct cp_client *c,
                                            struct event_base *base) {
  struct evhttp_connection *conn;
  struct bufferevent *bev;
  unsigned char ip[16];
  const char *name = c->tls_name != NULL ? c->tls_name : c->host;
  SSL *ssl;

  if (!c->tls)
    return evhttp_connection_base_new(base, NULL, c->host,
                                      (ev_uint16_t)c->port);
  if ((ssl = SSL_new(c->ssl_ctx)) == NULL)
    return NULL;
  if (inet_pton(AF_INET, name, ip) == 1 ||
      inet_pton(AF_INET6, name, ip) == 1) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
  } else if (!SSL_set_tlsext_host_name(ssl, name) ||
             !SSL_set1_host(ssl, name)) {
    SSL_free(ssl);
    return NULL;
  }
  bev = bufferevent_openssl_socket_new(
      base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
      BEV_OPT_CLOSE_ON_FREE);
  if (bev == NULL)
    return NULL;
  bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
  conn = evhttp_connection_base_bufferevent_new(base, NULL, bev, c->host,
                                                (ev_uint16_t)c->port);
  if (conn == NULL)
    bufferevent_free(bev);
  return conn;
}

/* Whether a pooled connection that sat idle may carry the next call. A
 * server sends nothing on an idle HTTP/1.1 connection but its close (a
 * TLS close_notify, then the end of the stream), so anything to read, or
 * the end itself, means it is closing. The event loop's pass in chan_get
 * notices most closes, but not every time: a TLS bufferevent can need
 * more than one pass, and the call then went out on the dead connection
 * (1 run in 8 of test_idle_connection_closed_by_server). */
static int idle_conn_usable(struct chan *ch) {
  struct bufferevent *bev = evhttp_connection_get_bufferevent(ch->conn);
  evutil_socket_t fd;
  ssize_t n;
  char b;

  if (bev == NULL || (fd = bufferevent_getfd(bev)) < 0)
    return 1; /* not connected: the call connects it */
  if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
    return 0;
  n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static struct chan *chan_get(struct cp_client *c) {
  struct chan *ch;

  pthread_mutex_lock(&c->mu);
  ch = c->pool;
  if (ch != NULL)
    c->pool = ch->next;
  pthread_mutex_unlock(&c->mu);
  if (ch == NULL) {
    if ((ch = calloc(1, sizeof *ch)) == NULL)
      return NULL;
    if ((ch->base = event_base_new()) == NULL) {
      free(ch);
      return NULL;
    }
  }
  /* A pooled connection's base runs only during a call: a close the
   * server sent while it sat idle (its idle timeout) is still unread. Let
   * evhttp read it now (on_conn_close marks the channel), or the next call
   * would go out on a dead connection and fail with no answer. */
  if (ch->conn != NULL && !ch->closed)
    event_base_loop(ch->base, EVLOOP_NONBLOCK);
  if (ch->conn != NULL && (ch->closed || !idle_conn_usable(ch))) {
    evhttp_connection_free(ch->conn);
    ch->conn = NULL;
  }
  if (ch->conn == NULL) {
    ch->closed = 0;
    ch->nodelay = 0;
    ch->conn = connect_to(c, ch->base);
    if (ch->conn != NULL) {
      struct timeval tv = tv_of_ms(c->timeout_ms);

      evhttp_connection_set_timeout_tv(ch->conn, &tv);
      evhttp_connection_set_retries(ch->conn, 0);
      evhttp_connection_set_closecb(ch->conn, on_conn_close, ch);
    }
  }
  return ch;
}

/* Small requests and answers must not wait for Nagle's algorithm: with
 * delayed ACKs a write that follows a write stalls 40 ms, which capped
 * every caller at ~25 calls/s per connection. The socket exists only once
 * the first call has connected, so this runs after each call until set. */
static void set_nodelay(struct chan *ch) {
  struct bufferevent *bev;
  evutil_socket_t fd;
  int one = 1;

  if (ch->nodelay || ch->conn == NULL || ch->closed ||
      (bev = evhttp_connection_get_bufferevent(ch->conn)) == NULL ||
      (fd = bufferevent_getfd(bev)) < 0)
    return;
  ch->nodelay =
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
}

static void chan_put(struct cp_client *c, struct chan *ch) {
  pthread_mutex_lock(&c->mu);
  ch->next = c->pool;
  c->pool = ch;
  pthread_mutex_unlock(&c->mu);
}

static void chan_free(struct chan *ch) {
  if (ch->conn != NULL)
    evhttp_connection_free(ch->conn);
  /* A TLS bufferevent is finalized by its base's callbacks: run them, or
   * the connection's SSL outlives the base. */
  event_base_loop(ch->base, EVLOOP_NONBLOCK);
  event_base_free(ch->base);
  free(ch);
}

/* ------------------------------------------------------------ calls */

struct call {
  int done, code;
  int last; /* the server ends the connection after this answer */
  struct event_base *base;
  struct evbuffer *body;
  int retry_after;
};

static void on_response(struct evhttp_request *req, void *arg) {
  struct call *cl = arg;

  cl->done = 1;
  cl->code = req ? evhttp_request_get_response_code(req) : 0;
  if (req != NULL && cl->code > 0) {
    const char *ra = evhttp_find_header(evhttp_request_get_input_headers(req),
                                        "Retry-After");

    const char *conn = evhttp_find_header(
        evhttp_request_get_input_headers(req), "Connection");

    cl->retry_after = ra ? atoi(ra) : 0;
    /* HTTP/1.0 without keep-alive, or "Connection: close": evhttp would
     * reconnect the same TLS bufferevent, whose SSL cannot start again
     * (servers such as Python's http.server answer so). */
    cl->last = (conn != NULL && strcasecmp(conn, "close") == 0) ||
               (req->major == 1 && req->minor == 0 &&
                (conn == NULL || strcasecmp(conn, "keep-alive") != 0));
    evbuffer_add_buffer(cl->body, evhttp_request_get_input_buffer(req));
  }
  event_base_loopbreak(cl->base);
}

static enum evhttp_cmd_type cmd_of(const char *method) {
  if (strcmp(method, "POST") == 0)
    return EVHTTP_REQ_POST;
  if (strcmp(method, "PUT") == 0)
    return EVHTTP_REQ_PUT;
  if (strcmp(method, "PATCH") == 0)
    return EVHTTP_REQ_PATCH;
  if (strcmp(method, "DELETE") == 0)
    return EVHTTP_REQ_DELETE;
  return EVHTTP_REQ_GET;
}

/* The token file's current token (token_file.h): the header keeps a
 * copy, ours is cleansed. */
static void add_token_file_header(struct cp_token_file *tf,
                                  struct evkeyvalq *h) {
  char *auth = cp_token_file_auth(tf, -1);

  if (auth == NULL)
    return;
  evhttp_add_header(h, "Authorization", auth);
  OPENSSL_cleanse(auth, strlen(auth));
  free(auth);
}

static void add_headers(struct cp_client *c, struct evhttp_request *req,
                        const char *content_type, const char *user_agent) {
  struct evkeyvalq *h = evhttp_request_get_output_headers(req);

  evhttp_add_header(h, "Host", c->host);
  evhttp_add_header(h, "Accept", "application/json");
  evhttp_add_header(h, "User-Agent",
                    user_agent != NULL ? user_agent : "cplane-host");
  if (c->auth != NULL)
    evhttp_add_header(h, "Authorization", c->auth);
  if (c->token_file != NULL)
    add_token_file_header(c->token_file, h);
  if (content_type != NULL)
    evhttp_add_header(h, "Content-Type", content_type);
}

static int one_call(struct cp_client *c, struct chan *ch, const char *method,
                    const char *path, const char *content_type,
                    const char *user_agent, const char *body,
                    size_t body_len, struct call *cl) {
  struct evhttp_request *req = evhttp_request_new(on_response, cl);

  if (req == NULL)
    return -1;
  add_headers(c, req, body != NULL ? content_type : NULL, user_agent);
  if (body != NULL) {
    char n[32];

    /* evhttp adds Content-Length to POST and PUT only; PATCH and DELETE
     * bodies would otherwise bleed into the next request. */
    snprintf(n, sizeof n, "%zu", body_len);
    evhttp_add_header(evhttp_request_get_output_headers(req),
                      "Content-Length", n);
    evbuffer_add(evhttp_request_get_output_buffer(req), body, body_len);
  }
  if (evhttp_make_request(ch->conn, req, cmd_of(method), path) != 0)
    return -1; /* evhttp freed req */
  while (!cl->done)
    if (event_base_dispatch(ch->base) < 0)
      break;
  return 0;
}

int cp_client_request(struct cp_client *c, const char *method,
                      const char *path, const char *content_type,
                      const char *body, size_t body_len, char **resp,
                      size_t *resp_len) {
  return cp_client_request_as(c, NULL, method, path, content_type, body,
                              body_len, resp, resp_len);
}

int cp_client_request_as(struct cp_client *c, const char *user_agent,
                         const char *method, const char *path,
                         const char *content_type, const char *body,
                         size_t body_len, char **resp, size_t *resp_len) {
  struct chan *ch;
  struct call cl;
  int attempt, code = 0;

  *resp = NULL;
  *resp_len = 0;
  for (attempt = 0; attempt <= MAX_429_RETRIES; attempt++) {
    memset(&cl, 0, sizeof cl);
    if ((ch = chan_get(c)) == NULL || ch->conn == NULL ||
        (cl.body = evbuffer_new()) == NULL) {
      if (ch != NULL)
        chan_put(c, ch);
      return 0;
    }
    cl.base = ch->base;
    if (one_call(c, ch, method, path, content_type, user_agent, body,
                 body_len, &cl) < 0)
      cl.code = 0;
    code = cl.code;
    if (code == 0 || cl.last)
      ch->closed = 1; /* start afresh next time */
    set_nodelay(ch);
    chan_put(c, ch);
    if (code != 429 || attempt == MAX_429_RETRIES || c->no_retry) {
      size_t n = evbuffer_get_length(cl.body);

      if (n > 0 && (*resp = malloc(n + 1)) != NULL) {
        evbuffer_remove(cl.body, *resp, n);
        (*resp)[n] = '\0';
        *resp_len = n;
      }
      evbuffer_free(cl.body);
      break;
    }
    evbuffer_free(cl.body);
    sleep((unsigned)(cl.retry_after > 0 && cl.retry_after < 30
                         ? cl.retry_after
                         : 1));
  }
  return code;
}

/* ------------------------------------------------------------ streams */

struct stream_call {
  struct cp_client_stream *s;
  struct evbuffer *partial, *err;
  cp_client_line_fn fn;
  void *userdata;
  int done, code, stopped;
  int began; /* a 200 response's headers arrived */
};

static void feed_lines(struct stream_call *sc, struct evbuffer *in) {
  char *line;
  size_t n;

  evbuffer_add_buffer(sc->partial, in);
  while (!sc->stopped &&
         (line = evbuffer_readln(sc->partial, &n, EVBUFFER_EOL_LF)) !=
             NULL) {
    if (n > 0 && sc->fn(sc->userdata, line, n) != 0) {
      sc->stopped = 1;
      event_base_loopbreak(sc->s->base);
    }
    free(line);
  }
}

/* The response began: from now on the stream may be quiet for idle_ms
 * (until here the client's per-call timeout covered the connect and the
 * headers, so an unreachable server is noticed as fast as for a call). */
static int on_stream_headers(struct evhttp_request *req, void *arg) {
  struct stream_call *sc = arg;
  struct evhttp_connection *conn = evhttp_request_get_connection(req);

  if (evhttp_request_get_response_code(req) != 200)
    return 0;
  sc->began = 1;
  if (conn != NULL) {
    struct timeval tv = tv_of_ms(sc->s->idle_ms);

    evhttp_connection_set_timeout_tv(conn, &tv);
  }
  return 0;
}

static void on_stream_chunk(struct evhttp_request *req, void *arg) {
  struct stream_call *sc = arg;
  struct evbuffer *in = evhttp_request_get_input_buffer(req);

  if (evhttp_request_get_response_code(req) != 200) {
    evbuffer_add_buffer(sc->err, in);
    return;
  }
  feed_lines(sc, in);
}

/* Closes the gap between checking the stop flag and blocking in
 * dispatch: a stop that came just before still ends the loop. */
static void on_stop_check(evutil_socket_t fd, short what, void *arg) {
  struct cp_client_stream *s = arg;

  (void)fd;
  (void)what;
  if (atomic_load(&s->stop))
    event_base_loopbreak(s->base);
}

static void on_stream_done(struct evhttp_request *req, void *arg) {
  struct stream_call *sc = arg;

  sc->done = 1;
  sc->code = req ? evhttp_request_get_response_code(req) : 0;
  if (req != NULL && sc->code == 200)
    feed_lines(sc, evhttp_request_get_input_buffer(req));
  else if (req != NULL)
    evbuffer_add_buffer(sc->err, evhttp_request_get_input_buffer(req));
  event_base_loopbreak(sc->s->base);
}

struct cp_client_stream *cp_client_stream_new(struct cp_client *c) {
  struct cp_client_stream *s = calloc(1, sizeof *s);

  if (s == NULL)
    return NULL;
  s->c = c;
  s->idle_ms = DEFAULT_STREAM_IDLE_MS;
  if ((s->base = event_base_new()) == NULL) {
    free(s);
    return NULL;
  }
  return s;
}

void cp_client_stream_free(struct cp_client_stream *s) {
  if (s == NULL)
    return;
  event_base_loop(s->base, EVLOOP_NONBLOCK); /* as in chan_free */
  event_base_free(s->base);
  free(s);
}

void cp_client_stream_set_idle_timeout(struct cp_client_stream *s, int ms) {
  s->idle_ms = ms > 0 ? ms : DEFAULT_STREAM_IDLE_MS;
}

void cp_client_stream_stop(struct cp_client_stream *s) {
  atomic_store(&s->stop, 1);
  event_base_loopbreak(s->base);
}

int cp_client_stream_get(struct cp_client_stream *s, const char *path,
                         cp_client_line_fn fn, void *userdata,
                         char **err_body) {
  struct stream_call sc = {.s = s, .fn = fn, .userdata = userdata};
  struct evhttp_connection *conn = NULL;
  struct evhttp_request *req;
  struct event *check = NULL;
  struct timeval tick = {0, 200000}, tv = tv_of_ms(s->c->timeout_ms);
  int code = 0;

  if (err_body != NULL)
    *err_body = NULL;
  if (atomic_load(&s->stop))
    return 0;
  check = event_new(s->base, -1, EV_PERSIST, on_stop_check, s);
  if (check != NULL)
    event_add(check, &tick);
  sc.partial = evbuffer_new();
  sc.err = evbuffer_new();
  conn = connect_to(s->c, s->base);
  req = conn ? evhttp_request_new(on_stream_done, &sc) : NULL;
  if (sc.partial == NULL || sc.err == NULL || req == NULL)
    goto out;
  evhttp_connection_set_retries(conn, 0);
  evhttp_connection_set_timeout_tv(conn, &tv);
  evhttp_request_set_header_cb(req, on_stream_headers);
  evhttp_request_set_chunked_cb(req, on_stream_chunk);
  add_headers(s->c, req, NULL, NULL);
  if (evhttp_make_request(conn, req, EVHTTP_REQ_GET, path) != 0) {
    req = NULL;
    goto out;
  }
  while (!sc.done && !sc.stopped && !atomic_load(&s->stop))
    if (event_base_dispatch(s->base) < 0)
      break;
  if (!sc.done)
    evhttp_cancel_request(req); /* stopped: frees req, resets conn */
  /* A stream that began is a 200 however it ended: the server's end, the
   * idle timeout, a broken connection (libevent reports those as no
   * response) or a stop. */
  code = sc.began || !sc.done ? 200 : sc.code;
  if (code != 200 && err_body != NULL && evbuffer_get_length(sc.err) > 0) {
    size_t n = evbuffer_get_length(sc.err);

    if ((*err_body = malloc(n + 1)) != NULL) {
      evbuffer_remove(sc.err, *err_body, n);
      (*err_body)[n] = '\0';
    }
  }
out:
  if (check != NULL)
    event_free(check);
  if (conn != NULL)
    evhttp_connection_free(conn);
  if (sc.partial != NULL)
    evbuffer_free(sc.partial);
  if (sc.err != NULL)
    evbuffer_free(sc.err);
  return code;
}

/* ------------------------------------------------------------ life */

/* Adds the certificates of PEM text to the context's trust store. */
static int load_ca_pem(SSL_CTX *ctx, const char *pem) {
  BIO *bio = BIO_new_mem_buf(pem, -1);
  X509_STORE *store = SSL_CTX_get_cert_store(ctx);
  X509 *x;
  int n = 0;

  if (bio == NULL)
    return 0;
  while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    n += X509_STORE_add_cert(store, x) == 1;
    X509_free(x);
  }
  ERR_clear_error(); /* the end of the text reads as an error */
  BIO_free(bio);
  return n > 0;
}

static int load_client_pem(SSL_CTX *ctx, const char *cert, const char *key) {
  BIO *cb = BIO_new_mem_buf(cert, -1), *kb = BIO_new_mem_buf(key, -1);
  X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
  EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
  int ok = x != NULL && k != NULL && SSL_CTX_use_certificate(ctx, x) == 1 &&
           SSL_CTX_use_PrivateKey(ctx, k) == 1;

  X509_free(x);
  EVP_PKEY_free(k);
  BIO_free(cb);
  BIO_free(kb);
  return ok;
}

static int tls_setup(struct cp_client *c, const struct cp_client_config *cfg,
                     char **errmsg) {
  const char *what = NULL, *file = NULL;
  char buf[256] = "";

  c->ssl_ctx = SSL_CTX_new(TLS_client_method());
  if (c->ssl_ctx == NULL)
    return -1;
  SSL_CTX_set_min_proto_version(c->ssl_ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(c->ssl_ctx,
                     cfg->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
  if (cfg->ca_file != NULL) {
    if (SSL_CTX_load_verify_locations(c->ssl_ctx, cfg->ca_file, NULL) != 1) {
      what = "load the CA file";
      file = cfg->ca_file;
    }
  } else if (cfg->ca_pem != NULL) {
    if (!load_ca_pem(c->ssl_ctx, cfg->ca_pem)) {
      what = "load the CA";
      file = "(certificate-authority-data)";
    }
  } else if (!cfg->insecure) {
    what = "verify the server without a CA";
    file = "(set ca_file or certificate-authority-data)";
  }
  if (what == NULL && cfg->cert_file != NULL &&
      (SSL_CTX_use_certificate_chain_file(c->ssl_ctx, cfg->cert_file) != 1 ||
       SSL_CTX_use_PrivateKey_file(c->ssl_ctx, cfg->key_file,
                                   SSL_FILETYPE_PEM) != 1)) {
    what = "load the client certificate or key";
    file = cfg->cert_file;
  } else if (what == NULL && cfg->cert_file == NULL &&
             cfg->cert_pem != NULL &&
             !load_client_pem(c->ssl_ctx, cfg->cert_pem, cfg->key_pem)) {
    what = "load the client certificate or key";
    file = "(client-certificate-data)";
  }
  if (what == NULL)
    return 0;
  ERR_error_string_n(ERR_peek_last_error(), buf, sizeof buf);
  ERR_clear_error();
  if (asprintf(errmsg, "client: cannot %s %s: %s", what, file, buf) < 0)
    *errmsg = NULL;
  return -1;
}

int cp_client_new(const struct cp_client_config *cfg, struct cp_client **out,
                  char **errmsg) {
  struct evhttp_uri *u = evhttp_uri_parse(cfg->server ? cfg->server : "");
  struct cp_client *c = calloc(1, sizeof *c);
  const char *scheme = u ? evhttp_uri_get_scheme(u) : NULL;
  const char *host = u ? evhttp_uri_get_host(u) : NULL;
  int rc = -1;

  *out = NULL;
  *errmsg = NULL;
  pthread_once(&evthread_once, init_evthread);
  cp_net_ignore_sigpipe();
  if (c == NULL)
    goto out;
  pthread_mutex_init(&c->mu, NULL);
  if (scheme == NULL || host == NULL ||
      (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)) {
    if (asprintf(errmsg, "client: server '%s' is not https://host:port",
                 cfg->server ? cfg->server : "") < 0)
      *errmsg = NULL;
    goto out;
  }
  c->tls = strcmp(scheme, "https") == 0;
  c->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u)
                                       : (c->tls ? 443 : 80);
  c->host = strdup(host);
  c->no_retry = cfg->no_retry;
  if (cfg->server_name != NULL &&
      (c->tls_name = strdup(cfg->server_name)) == NULL)
    goto out;
  c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
  if (cfg->token != NULL &&
      asprintf(&c->auth, "Bearer %s", cfg->token) < 0)
    c->auth = NULL;
  if (c->host == NULL || (cfg->token != NULL && c->auth == NULL))
    goto out;
  if (cfg->token == NULL && cfg->token_file != NULL &&
      cp_token_file_open(cfg->token_file, &c->token_file, errmsg) < 0)
    goto out;
  if (c->tls && tls_setup(c, cfg, errmsg) < 0)
    goto out;
  *out = c;
  c = NULL;
  rc = 0;
out:
  if (u != NULL)
    evhttp_uri_free(u);
  cp_client_free(c);
  return rc;
}

void cp_client_free(struct cp_client *c) {
  if (c == NULL)
    return;
  while (c->pool != NULL) {
    struct chan *ch = c->pool;

    c->pool = ch->next;
    chan_free(ch);
  }
  if (c->ssl_ctx != NULL)
    SSL_CTX_free(c->ssl_ctx);
  free(c->host);
  free(c->tls_name);
  free(c->auth);
  cp_token_file_free(c->token_file);
  pthread_mutex_destroy(&c->mu);
  free(c);
}
