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

/* Bounds on what is sent: a header value and the request head. */
#define MAX_HEADER_VALUE 4096
#define MAX_HEAD (64 * 1024)

static long long now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* Splits raw (len bytes, NUL-terminated) into r. */
static int parse_reply(char *raw, size_t len, struct cp_proxy_reply *r) {
  char *hend = strstr(raw, "\r\n\r\n"), *line, *save = NULL, *nl;
  int chunked = 0;
  size_t blen;

  if (hend == NULL || sscanf(raw, "HTTP/1.%*d %d", &r->code) != 1) {
    snprintf(r->err, sizeof r->err, "malformed HTTP response");
    return -1;
  }
  *hend = '\0';
  blen = len - (size_t)(hend + 4 - raw);
  nl = strchr(raw, '\n'); /* the end of the status line, if headers follow */
  for (line = strtok_r(nl != NULL ? nl + 1 : hend, "\r\n", &save);
       line != NULL;
       line = strtok_r(NULL, "\r\n", &save)) {
    if (strncasecmp(line, "Content-Type:", 13) == 0) {
      free(r->content_type);
      r->content_type = strdup(line + 13 + strspn(line + 13, " \t"));
    } else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0 &&
               strcasestr(line + 18, "chunked") != NULL) {
      chunked = 1;
    }
  }
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

static int exchange(SSL *ssl, int fd, const struct cp_proxy_call *c,
                    const char *head, long long deadline,
                    struct cp_proxy_reply *r) {
  size_t cap = 65536, len = 0;
  char *raw = malloc(cap);
  struct timeval tv;
  long long left;
  int rc = -1;

  if (raw == NULL)
    return -1;
  if (write_all(ssl, head, strlen(head)) < 0 ||
      (c->body_len > 0 && write_all(ssl, c->body, c->body_len) < 0)) {
    snprintf(r->err, sizeof r->err, "write: broken pipe");
    goto out;
  }
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

int cp_proxy_do(const struct cp_proxy_target *t,
                const struct cp_proxy_call *c, struct cp_proxy_reply *r) {
  long long deadline = now_ms() + (c->timeout_ms > 0 ? c->timeout_ms : 30000);
  SSL_CTX *ctx = NULL;
  SSL *ssl = NULL;
  char *head = NULL;
  struct timeval tv;
  int fd = -1, rc = -1, fl;

  memset(r, 0, sizeof *r);
  if ((head = request_head(t, c)) == NULL) {
    snprintf(r->err, sizeof r->err, "request headers too large");
    return -1;
  }
  if ((fd = dial(t, deadline, r)) < 0)
    goto out;
  fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  tv.tv_sec = c->timeout_ms > 0 ? c->timeout_ms / 1000 : 30;
  tv.tv_usec = 0;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if ((ctx = client_ctx(t, r)) == NULL || (ssl = SSL_new(ctx)) == NULL)
    goto out;
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, t->server_name);
  if (!t->insecure)
    SSL_set1_host(ssl, t->server_name);
  if (SSL_connect(ssl) != 1) {
    long v = SSL_get_verify_result(ssl);

    if (v != X509_V_OK)
      snprintf(r->err, sizeof r->err, "tls: failed to verify certificate: "
                                      "x509: %s", X509_verify_cert_error_string(v));
    else
      snprintf(r->err, sizeof r->err, "remote error: tls: handshake "
                                      "failure");
    ERR_clear_error();
    goto out;
  }
  rc = exchange(ssl, fd, c, head, deadline, r);
out:
  if (ssl != NULL) {
    SSL_shutdown(ssl);
    SSL_free(ssl);
  }
  SSL_CTX_free(ctx);
  if (fd >= 0)
    close(fd);
  free(head);
  if (rc < 0) {
    free(r->body);
    free(r->content_type);
    r->body = r->content_type = NULL;
    r->code = 0;
  }
  return rc;
}

void cp_proxy_reply_clear(struct cp_proxy_reply *r) {
  free(r->body);
  free(r->content_type);
  memset(r, 0, sizeof *r);
}
