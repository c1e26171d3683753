/*
 * proxy_call - one HTTPS request to an extension API server, as
 * kube-aggregator's proxy makes it: TLS verified against the APIService's
 * caBundle with the server name <service>.<namespace>.svc (or not
 * verified: insecureSkipTLSVerify), the front-proxy client certificate,
 * and the caller as X-Remote-User / X-Remote-Group / X-Remote-Extra-*
 * headers. Blocking, bounded: a connect, a whole exchange and a response
 * size limit; a response is read whole (Connection: close), so a watch
 * through it ends at the deadline with the events so far.
 *
 * Threading: reentrant; runs on the calling thread (a request worker or
 * the aggregator's loop).
 * Ownership: arguments borrowed; cp_proxy_reply_clear frees a reply.
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

#endif /* CPLANE_HOST_APISERVER_AGGREGATOR_PROXY_CALL_H */
