/*
 * client - a small REST client for the Kubernetes API over libevent:
 * HTTPS with CA verification (or plain HTTP), a bearer token or a client
 * certificate, keep-alive connections reused across calls (one the
 * server closed while it sat idle is replaced, not used), a timeout on
 * every call, and streamed responses for watches. Used by the reflectors
 * and by the host API's writes, against cplane's own API server or a real
 * cluster.
 *
 * Threading: every function may be called from any thread; each call
 * uses a connection no other thread holds. A stream blocks its caller's
 * thread until it ends or cp_client_stream_stop() is called.
 * Ownership: response bodies are malloc'd and owned by the caller.
 */
#ifndef CPLANE_HOST_CLIENT_H
#define CPLANE_HOST_CLIENT_H

#include <stddef.h>

struct cp_client;

struct cp_client_config {
  const char *server;    /* "https://127.0.0.1:6443" */
  const char *ca_file;   /* https: CA to verify the server (required) */
  const char *token;     /* bearer token, or NULL */
  /* A file holding the bearer token, re-read when it changes (a
   * kubeconfig's tokenFile; token_file.h); used when token is NULL. */
  const char *token_file;
  const char *cert_file; /* client certificate, or NULL */
  const char *key_file;
  int timeout_ms;        /* per call (not streams); default 30 s */
  /* The same material inline (PEM text), as kubeconfig *-data fields
   * carry it; used when the file is NULL. */
  const char *ca_pem, *cert_pem, *key_pem;
  int insecure; /* skip server verification (kubeconfig's
                   insecure-skip-tls-verify); logged as a warning */
  /* The name to verify and send (SNI) instead of the server's host: a
   * Service's DNS name reached at an endpoint's address (webhooks). */
  const char *server_name;
  int no_retry; /* answer a 429 as it is: the caller bounds the time */
};

/* Ignores SIGPIPE if the process left it at its default (net/sigpipe.h):
 * a server closing a connection mid-write must be an error, not an exit. */
int cp_client_new(const struct cp_client_config *cfg, struct cp_client **out,
                  char **errmsg);
void cp_client_free(struct cp_client *c);

/* One request. method is "GET", "POST", "PUT", "PATCH" or "DELETE"; body
 * may be NULL. Returns the HTTP status (0 when the server could not be
 * reached or the call timed out) and sets *resp (malloc'd, NUL-terminated,
 * may be NULL) and *resp_len. A 429 is retried after its Retry-After (at
 * most 3 times). */
int cp_client_request(struct cp_client *c, const char *method,
                      const char *path, const char *content_type,
                      const char *body, size_t body_len, char **resp,
                      size_t *resp_len);
/* The same, sent with user_agent (NULL: "cplane-host") as its
 * User-Agent: the API server's default field manager is its prefix up
 * to the first '/', so a plugin's writes name the plugin. */
int cp_client_request_as(struct cp_client *c, const char *user_agent,
                         const char *method, const char *path,
                         const char *content_type, const char *body,
                         size_t body_len, char **resp, size_t *resp_len);

/* Called for each complete line of a streamed response (without the
 * newline). Return 0 to go on, anything else to stop the stream. */
typedef int (*cp_client_line_fn)(void *userdata, const char *line,
                                 size_t len);

struct cp_client_stream;

/* Opens a stream handle that another thread can stop. */
struct cp_client_stream *cp_client_stream_new(struct cp_client *c);
void cp_client_stream_free(struct cp_client_stream *s);
/* How long a stream may go without a byte once its response began; until
 * then the client's per-call timeout applies. Default 150 s: longer than
 * two of the API server's one-minute watch bookmarks. Set before
 * cp_client_stream_get, from the thread that runs it. */
void cp_client_stream_set_idle_timeout(struct cp_client_stream *s, int ms);
/* GETs path and feeds each line to fn until the server ends the
 * response, it stays quiet past the idle timeout, the connection breaks,
 * fn says stop, or cp_client_stream_stop. Returns the HTTP status: 200
 * once a 200 response began, however it ended; 0 when none began (no
 * connection, or no answer within the per-call timeout). When the status
 * is not 200 the body is in *err_body (malloc'd) when err_body is not
 * NULL. */
int cp_client_stream_get(struct cp_client_stream *s, const char *path,
                         cp_client_line_fn fn, void *userdata,
                         char **err_body);
/* Ends a running cp_client_stream_get from any thread. */
void cp_client_stream_stop(struct cp_client_stream *s);

#endif /* CPLANE_HOST_CLIENT_H */
