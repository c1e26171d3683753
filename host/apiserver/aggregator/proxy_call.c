/*
 * proxy_call - see proxy_call.h.
 */
#include "apiserver/aggregator/proxy_call.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "apiserver/aggregator/chunked.h"
#include "clock/clock.h"

/* Bounds on what is sent: a header value and the request head. */
#define MAX_HEADER_VALUE 4096
#define MAX_HEAD (64 * 1024)

/* An exchange in progress: the connection and what was read of it. */
struct cp_proxy_conn {
  int fd;
  SSL_CTX *ctx;
  SSL *ssl;
  char buf[16384]; /* the head, then body bytes not yet taken */
  size_t len;
  int chunked;
  struct cp_chunked dec;
  long long remaining; /* of a Content-Length body; -1: to the end */
  int ended;
};

static long long now_ms(void) { return (long long)cp_now_ms(); }

/* A header value is sent only when it cannot split the head. */
static int header_safe(const char *v) {
  return v != NULL && strlen(v) < MAX_HEADER_VALUE && !strpbrk(v, "\r\n");
}

/* Go's dial error wording: "dial tcp 127.0.0.1:443: connect: connection
 * refused". */
static int dial(const struct cp_proxy_target *t, long long deadline,
                struct cp_proxy_reply *r) {
  struct sockaddr_in6 a6;
  struct sockaddr_in a4;
  struct sockaddr *sa;
  socklen_t len;
  struct pollfd p;
  int fd, err = 0, one = 1, v6 = strchr(t->host, ':') != NULL;
  socklen_t elen = sizeof err;

  memset(&a4, 0, sizeof a4);
  memset(&a6, 0, sizeof a6);
  if (v6) {
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons((uint16_t)t->port);
    err = inet_pton(AF_INET6, t->host, &a6.sin6_addr) == 1 ? 0 : EINVAL;
    sa = (struct sockaddr *)&a6;
    len = sizeof a6;
  } else {
    a4.sin_family = AF_INET;
    a4.sin_port = htons((uint16_t)t->port);
    err = inet_pton(AF_INET, t->host, &a4.sin_addr) == 1 ? 0 : EINVAL;
    sa = (struct sockaddr *)&a4;
    len = sizeof a4;
  }
  if (err != 0 ||
      (fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   0)) < 0) {
    snprintf(r->err, sizeof r->err, "dial tcp %s:%d: %s", t->host, t->port,
             strerror(err ? err : errno));
    return -1;
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, sa, len) != 0 && errno != EINPROGRESS) {
    err = errno;
    goto fail;
  }
  p.fd = fd;
  p.events = POLLOUT;
  if (poll(&p, 1, (int)(deadline - now_ms() > 0 ? deadline - now_ms() : 0)) <=
      0) {
    err = ETIMEDOUT;
    goto fail;
  }
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0)
    goto fail;
  return fd;
fail:
  snprintf(r->err, sizeof r->err, "dial tcp %s:%d: connect: %s", t->host,
           t->port, err == ECONNREFUSED ? "connection refused"
                    : err == ETIMEDOUT  ? "i/o timeout"
                                        : strerror(err));
  close(fd);
  return -1;
}

/* The APIService's caBundle as the trust store. */
static int load_ca(SSL_CTX *ctx, const char *pem) {
  BIO *b = BIO_new_mem_buf(pem, -1);
  X509_STORE *st = SSL_CTX_get_cert_store(ctx);
  X509 *x;
  int n = 0;

  while (b != NULL && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
    n += X509_STORE_add_cert(st, x) == 1;
    X509_free(x);
  }
  ERR_clear_error();
  BIO_free(b);
  return n;
}

static SSL_CTX *client_ctx(const struct cp_proxy_target *t,
                           struct cp_proxy_reply *r) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

  if (ctx == NULL) {
    snprintf(r->err, sizeof r->err, "out of memory");
    return NULL;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (t->client_cert != NULL &&
      (SSL_CTX_use_certificate_chain_file(ctx, t->client_cert) != 1 ||
       SSL_CTX_use_PrivateKey_file(ctx, t->client_key, SSL_FILETYPE_PEM) !=
           1)) {
    snprintf(r->err, sizeof r->err, "cannot load the front-proxy client "
                                    "certificate %s", t->client_cert);
    SSL_CTX_free(ctx);
    return NULL;
  }
  if (t->insecure) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  } else {
    if (t->ca_pem == NULL || load_ca(ctx, t->ca_pem) == 0)
      SSL_CTX_set_default_verify_paths(ctx);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  }
  return ctx;
}

/* The head of the request. NULL when out of memory or too long. */
static char *request_head(const struct cp_proxy_target *t,
                          const struct cp_proxy_call *c) {
  char *head = NULL;
  size_t len = 0, i;
  FILE *f = open_memstream(&head, &len);

  if (f == NULL)
    return NULL;
  fprintf(f, "%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n"
             "User-Agent: cplane-aggregator\r\nAccept-Encoding: identity\r\n",
          c->method, c->uri, t->server_name, t->port);
  if (header_safe(c->accept))
    fprintf(f, "Accept: %s\r\n", c->accept);
  if (header_safe(c->content_type))
    fprintf(f, "Content-Type: %s\r\n", c->content_type);
  if (c->body_len > 0 || strcmp(c->method, "GET") != 0)
    fprintf(f, "Content-Length: %zu\r\n", c->body_len);
  if (c->user != NULL && header_safe(c->user->name)) {
    fprintf(f, "X-Remote-User: %s\r\n", c->user->name);
    for (i = 0; i < c->user->n_groups; i++)
      if (header_safe(c->user->groups[i]))
        fprintf(f, "X-Remote-Group: %s\r\n", c->user->groups[i]);
    for (i = 0; i < c->user->n_extra; i++) {
      const char *kv = c->user->extra[i], *eq = strchr(kv, '=');

      if (eq != NULL && header_safe(kv))
        fprintf(f, "X-Remote-Extra-%.*s: %s\r\n", (int)(eq - kv), kv,
                eq + 1);
    }
  }
  fputs("\r\n", f);
  if (fclose(f) != 0 || len > MAX_HEAD) {
    free(head);
    return NULL;
  }
  return head;
}

static int write_all(SSL *ssl, const char *p, size_t n) {
  while (n > 0) {
    int w = SSL_write(ssl, p, n > (1u << 30) ? 1 << 30 : (int)n);

    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Decodes a chunked body in place (b[n] is a NUL); its new length. A
 * body cut short (a watch ended by the deadline) keeps its whole chunks. */
static size_t dechunk(char *b, size_t n) {
  size_t in = 0, out = 0;

  while (in < n) {
    char *end;
    unsigned long sz = strtoul(b + in, &end, 16);
    char *eol = memmem(b + in, n - in, "\r\n", 2);

    if (eol == NULL || end == b + in)
      break;
    in = (size_t)(eol - b) + 2;
    if (sz == 0 || sz > n - in)
      break;
    memmove(b + out, b + in, sz);
    out += sz;
    in += sz + 2;
  }
  return out;
}

/* The status code and the fields of a NUL-terminated response head:
 * Content-Type into r, whether the body is chunked and its
 * Content-Length (-1: none). */
static int head_fields(char *head, struct cp_proxy_reply *r, int *chunked,
                       long long *length) {
  char *line, *save = NULL, *nl = strchr(head, '\n');

  *chunked = 0;
  *length = -1;
  if (sscanf(head, "HTTP/1.%*d %d", &r->code) != 1) {
    snprintf(r->err, sizeof r->err, "malformed HTTP response");
    return -1;
  }
  if (nl == NULL) /* the status line alone */
    return 0;
  for (line = strtok_r(nl + 1, "\r\n", &save); line != NULL;
       line = strtok_r(NULL, "\r\n", &save)) {
    if (strncasecmp(line, "Content-Type:", 13) == 0) {
      free(r->content_type);
      r->content_type = strdup(line + 13 + strspn(line + 13, " \t"));
    } else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0 &&
               strcasestr(line + 18, "chunked") != NULL) {
      *chunked = 1;
    } else if (strncasecmp(line, "Content-Length:", 15) == 0) {
      *length = strtoll(line + 15, NULL, 10);
      if (*length < 0)
        *length = -1;
    }
  }
  if (*chunked)
    *length = -1;
  return 0;
}

/* Splits raw (len bytes, NUL-terminated) into r. */
static int parse_reply(char *raw, size_t len, struct cp_proxy_reply *r) {
  char *hend = strstr(raw, "\r\n\r\n");
  int chunked = 0;
  long long length;
  size_t blen;

  if (hend == NULL) {
    snprintf(r->err, sizeof r->err, "malformed HTTP response");
    return -1;
  }
  *hend = '\0';
  blen = len - (size_t)(hend + 4 - raw);
  if (head_fields(raw, r, &chunked, &length) < 0)
    return -1;
  if ((r->body = malloc(blen + 1)) == NULL) {
    snprintf(r->err, sizeof r->err, "out of memory");
    return -1;
  }
  memcpy(r->body, hend + 4, blen);
  r->body[blen] = '\0';
  if (chunked)
    blen = dechunk(r->body, blen);
  r->body[blen] = '\0';
  r->len = blen;
  return 0;
}

/* Reads the whole response (the request is sent). */
static int exchange(SSL *ssl, int fd, const struct cp_proxy_call *c,
                    long long deadline, struct cp_proxy_reply *r) {
  size_t cap = 65536, len = 0;
  char *raw = malloc(cap);
  struct timeval tv;
  long long left;
  int rc = -1;

  if (raw == NULL)
    return -1;
  for (;;) {
    int n;

    if ((left = deadline - now_ms()) <= 0)
      break;
    tv.tv_sec = left / 1000;
    tv.tv_usec = (left % 1000) * 1000;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (len + 1 >= cap) {
      char *bigger;

      if (cap >= c->max_bytes) {
        snprintf(r->err, sizeof r->err, "response larger than %zu bytes",
                 c->max_bytes);
        goto out;
      }
      if ((bigger = realloc(raw, cap * 2)) == NULL)
        goto out;
      raw = bigger;
      cap *= 2;
    }
    n = SSL_read(ssl, raw + len, (int)(cap - len - 1));
    if (n <= 0)
      break;
    len += (size_t)n;
  }
  raw[len] = '\0';
  if (len == 0) {
    snprintf(r->err, sizeof r->err, left <= 0 ? "net/http: timeout awaiting "
                                                "response headers"
                                              : "EOF");
    goto out;
  }
  rc = parse_reply(raw, len, r);
out:
  free(raw);
  return rc;
}

/* Dials, shakes hands and sends the request: fills k's fd, ctx and ssl
 * (the socket blocking, with c's timeout on each read and write).
 * Returns 0, or -1 with r->err set. */
static int open_exchange(const struct cp_proxy_target *t,
                         const struct cp_proxy_call *c, long long deadline,
                         struct cp_proxy_conn *k, struct cp_proxy_reply *r) {
  struct timeval tv;
  char *head;
  int fl, rc = -1;

  if ((head = request_head(t, c)) == NULL) {
    snprintf(r->err, sizeof r->err, "request headers too large");
    return -1;
  }
  if ((k->fd = dial(t, deadline, r)) < 0)
    goto out;
  fl = fcntl(k->fd, F_GETFL);
  fcntl(k->fd, F_SETFL, fl & ~O_NONBLOCK);
  tv.tv_sec = c->timeout_ms > 0 ? c->timeout_ms / 1000 : 30;
  tv.tv_usec = 0;
  setsockopt(k->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(k->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if ((k->ctx = client_ctx(t, r)) == NULL || (k->ssl = SSL_new(k->ctx)) == NULL)
    goto out;
  SSL_set_fd(k->ssl, k->fd);
  SSL_set_tlsext_host_name(k->ssl, t->server_name);
  if (!t->insecure)
    SSL_set1_host(k->ssl, t->server_name);
  if (SSL_connect(k->ssl) != 1) {
    long v = SSL_get_verify_result(k->ssl);

    if (v != X509_V_OK)
      snprintf(r->err, sizeof r->err, "tls: failed to verify certificate: "
                                      "x509: %s", X509_verify_cert_error_string(v));
    else
      snprintf(r->err, sizeof r->err, "remote error: tls: handshake "
                                      "failure");
    ERR_clear_error();
    goto out;
  }
  if (write_all(k->ssl, head, strlen(head)) < 0 ||
      (c->body_len > 0 && write_all(k->ssl, c->body, c->body_len) < 0)) {
    snprintf(r->err, sizeof r->err, "write: broken pipe");
    goto out;
  }
  rc = 0;
out:
  free(head);
  return rc;
}

/* Closes what open_exchange opened. */
static void close_exchange(struct cp_proxy_conn *k) {
  if (k->ssl != NULL) {
    SSL_shutdown(k->ssl);
    SSL_free(k->ssl);
  }
  SSL_CTX_free(k->ctx);
  if (k->fd >= 0)
    close(k->fd);
  k->ssl = NULL;
  k->ctx = NULL;
  k->fd = -1;
}

int cp_proxy_do(const struct cp_proxy_target *t,
                const struct cp_proxy_call *c, struct cp_proxy_reply *r) {
  long long deadline = now_ms() + (c->timeout_ms > 0 ? c->timeout_ms : 30000);
  struct cp_proxy_conn k = {.fd = -1};
  int rc = -1;

  memset(r, 0, sizeof *r);
  if (open_exchange(t, c, deadline, &k, r) == 0)
    rc = exchange(k.ssl, k.fd, c, deadline, r);
  close_exchange(&k);
  if (rc < 0) {
    free(r->body);
    free(r->content_type);
    r->body = r->content_type = NULL;
    r->code = 0;
  }
  return rc;
}

/* --- streamed replies --------------------------------------------------- */

/* Reads the response head (up to MAX_HEAD) into r and k; what follows it
 * stays in k->buf. */
static int read_head(struct cp_proxy_conn *k, long long deadline,
                     struct cp_proxy_reply *r) {
  char *hend = NULL;
  size_t used;

  while ((hend = memmem(k->buf, k->len, "\r\n\r\n", 4)) == NULL) {
    int n;

    if (deadline - now_ms() <= 0 || k->len >= sizeof k->buf - 1) {
      snprintf(r->err, sizeof r->err, k->len >= sizeof k->buf - 1
                                          ? "response headers too large"
                                          : "net/http: timeout awaiting "
                                            "response headers");
      return -1;
    }
    if ((n = SSL_read(k->ssl, k->buf + k->len,
                      (int)(sizeof k->buf - 1 - k->len))) <= 0) {
      snprintf(r->err, sizeof r->err, k->len == 0 ? "EOF"
                                                  : "unexpected EOF");
      ERR_clear_error();
      return -1;
    }
    k->len += (size_t)n;
  }
  used = (size_t)(hend + 4 - k->buf);
  k->buf[used - 2] = '\0'; /* the head, its last CRLF kept */
  if (head_fields(k->buf, r, &k->chunked, &k->remaining) < 0)
    return -1;
  memmove(k->buf, k->buf + used, k->len - used);
  k->len -= used;
  return 0;
}

int cp_proxy_open(const struct cp_proxy_target *t,
                  const struct cp_proxy_call *c, struct cp_proxy_conn **out,
                  struct cp_proxy_reply *r) {
  long long deadline = now_ms() + (c->timeout_ms > 0 ? c->timeout_ms : 30000);
  struct cp_proxy_conn *k = calloc(1, sizeof *k);
  struct timeval none = {0, 0};

  *out = NULL;
  memset(r, 0, sizeof *r);
  if (k == NULL) {
    snprintf(r->err, sizeof r->err, "out of memory");
    return -1;
  }
  k->fd = -1;
  k->remaining = -1;
  if (open_exchange(t, c, deadline, k, r) < 0 ||
      read_head(k, deadline, r) < 0) {
    cp_proxy_conn_close(k);
    free(r->content_type);
    r->content_type = NULL;
    r->code = 0;
    return -1;
  }
  /* From here the body has no deadline (a watch lasts as long as the
   * extension server keeps it); the reader polls instead, on a
   * non-blocking socket so that a TLS record cut short never holds it
   * past a wake. */
  setsockopt(k->fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  fcntl(k->fd, F_SETFL, fcntl(k->fd, F_GETFL) | O_NONBLOCK);
  *out = k;
  return 0;
}

/* Moves up to cap body bytes out of k->buf, dechunked; how many. */
static size_t take_body(struct cp_proxy_conn *k, char *buf, size_t cap) {
  size_t n = k->len < cap ? k->len : cap;

  if (k->remaining >= 0 && (long long)n > k->remaining)
    n = (size_t)k->remaining;
  memcpy(buf, k->buf, n);
  memmove(k->buf, k->buf + n, k->len - n);
  k->len -= n;
  if (k->remaining >= 0) {
    k->remaining -= (long long)n;
    k->ended = k->remaining == 0;
  }
  if (k->chunked) {
    n = cp_chunked_decode(&k->dec, buf, n);
    k->ended = k->dec.done || k->dec.error;
  }
  return n;
}

long cp_proxy_conn_read(struct cp_proxy_conn *k, char *buf, size_t cap,
                        int wake_fd) {
  for (;;) {
    struct pollfd p[2];
    size_t n;
    int got;

    if (k->len > 0 && (n = take_body(k, buf, cap)) > 0)
      return (long)n;
    if (k->ended)
      return 0;
    /* TLS may hold a decrypted record the socket no longer shows. */
    if (SSL_pending(k->ssl) <= 0) {
      p[0].fd = k->fd;
      p[0].events = POLLIN;
      p[1].fd = wake_fd;
      p[1].events = POLLIN;
      p[0].revents = p[1].revents = 0;
      if (poll(p, wake_fd >= 0 ? 2 : 1, -1) < 0) {
        if (errno == EINTR)
          continue;
        return -1;
      }
      if (p[1].revents != 0)
        return -2;
    }
    got = SSL_read(k->ssl, k->buf, (int)sizeof k->buf);
    if (got <= 0) {
      int e = SSL_get_error(k->ssl, got);

      ERR_clear_error();
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        continue;
      /* A body that simply ends with the connection is whole. */
      return !k->chunked && k->remaining < 0 ? 0 : -1;
    }
    k->len = (size_t)got;
  }
}

void cp_proxy_conn_close(struct cp_proxy_conn *k) {
  if (k == NULL)
    return;
  close_exchange(k);
  free(k);
}

void cp_proxy_reply_clear(struct cp_proxy_reply *r) {
  free(r->body);
  free(r->content_type);
  memset(r, 0, sizeof *r);
}
