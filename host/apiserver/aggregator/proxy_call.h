/*
 * proxy_call - one HTTPS request to an extension API server, as
 * kube-aggregator's proxy makes it: TLS verified against the APIService's
 * caBundle with the server name <service>.<namespace>.svc (or not
 * verified: insecureSkipTLSVerify), the front-proxy client certificate,
 * and the caller as X-Remote-User / X-Remote-Group / X-Remote-Extra-*
 * headers. Blocking, bounded: cp_proxy_do has a connect, a whole
 * exchange and a response size limit and reads the response whole
 * (Connection: close); cp_proxy_open bounds the exchange up to the
 * response head, and its body is then read as it comes, without a
 * deadline (a watch: proxy_stream.h).
 *
 * Threading: reentrant; runs on the calling thread (a request worker or
 * the aggregator's loop). A cp_proxy_conn is used by one thread at a
 * time.
 * Ownership: arguments borrowed; cp_proxy_reply_clear frees a reply,
 * cp_proxy_conn_close a connection.
 */
#ifndef CPLANE_HOST_APISERVER_AGGREGATOR_PROXY_CALL_H
#define CPLANE_HOST_APISERVER_AGGREGATOR_PROXY_CALL_H

#include <stddef.h>

#include "apiserver/request.h"

struct cp_proxy_target {
  char host[64];          /* the endpoint's address */
  int port;
  char server_name[300];  /* <svc>.<ns>.svc */
  const char *ca_pem;     /* caBundle (PEM); NULL with insecure */
  int insecure;
  const char *client_cert, *client_key; /* front-proxy client (files) */
};

struct cp_proxy_call {
  const char *method; /* "GET", ... */
  const char *uri;    /* path and query, as the client sent it */
  const char *accept, *content_type; /* NULL: not sent */
  const char *body;
  size_t body_len;
  const struct cp_api_user *user; /* NULL: no X-Remote-* headers */
  int timeout_ms;                 /* the whole exchange */
  size_t max_bytes;               /* of the response */
};

struct cp_proxy_reply {
  int code;           /* 0 when there was no HTTP answer (see err) */
  char *content_type; /* malloc'd or NULL */
  char *body;         /* malloc'd, NUL-terminated, or NULL */
  size_t len;
  char err[512];      /* why there was no answer, as Go's client says */
};

/* Makes the call. Returns 0 with a reply (any HTTP code), or -1 with
 * r->err set (connect, TLS or protocol failure, timeout). */
int cp_proxy_do(const struct cp_proxy_target *t,
                const struct cp_proxy_call *c, struct cp_proxy_reply *r);
void cp_proxy_reply_clear(struct cp_proxy_reply *r);

/* An exchange whose body is read as it comes. */
struct cp_proxy_conn;

/* Makes the call and reads the response head within c->timeout_ms:
 * returns 0 with r->code and r->content_type (r->body stays NULL) and
 * *out, or -1 with r->err set. */
int cp_proxy_open(const struct cp_proxy_target *t,
                  const struct cp_proxy_call *c, struct cp_proxy_conn **out,
                  struct cp_proxy_reply *r);
/* Waits for body bytes (chunked framing removed) and copies up to cap of
 * them to buf: their count, 0 at the body's end, -1 when the connection
 * fails, or -2 as soon as wake_fd (-1: none) is readable. */
long cp_proxy_conn_read(struct cp_proxy_conn *k, char *buf, size_t cap,
                        int wake_fd);
void cp_proxy_conn_close(struct cp_proxy_conn *k);

#endif /* CPLANE_HOST_APISERVER_AGGREGATOR_PROXY_CALL_H */
