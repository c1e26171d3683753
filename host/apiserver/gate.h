/*
 * gate - what a connection must get through before evhttp reads a
 * request body. libevent 2.1 gives a server no hook between a request's
 * headers and its body, so an unauthenticated client's body (up to
 * max_body) used to be buffered whole before its 401. The gate watches
 * the bytes as they land in the connection's input buffer, before
 * evhttp's read callback runs, and holds each request head back from
 * evhttp until it is complete, bounded in size and in time, and its
 * owner has judged it:
 *  - a head over CP_GATE_MAX_HEADER_BYTES is replaced by a made-up
 *    request that evhttp hands to the owner as cp_gate_code() == 431
 *    (kube/Go answer "431 Request Header Fields Too Large");
 *  - a head the owner rejects is replaced by one with cp_gate_code() ==
 *    401, carrying as its Audit-ID the ID the owner chose (kube's 401
 *    has the audit event's ID in its Audit-Id header); after either, what the client sends is dropped as it comes,
 *    never buffered, and once the answer has left the gate ends the
 *    stream, then lets the client close (or shuts the socket down at
 *    the header timeout);
 *  - a head the owner calls public (health, version; no body) goes to
 *    evhttp and the next head is held the same way;
 *  - an authenticated head opens the gate: it and everything after it go
 *    to evhttp untouched, and the gate lets go of the connection (the
 *    peer has shown a credential; the owner still authenticates each
 *    request as before);
 *  - a connection still gated after the header timeout (TLS handshake
 *    included) is shut down, as Go's ReadHeaderTimeout does.
 *
 * Threading: the event loop's thread only (bevcb and the base's
 * callbacks); cp_gates_free after the loop has stopped.
 * Ownership: a gate holds a reference on its bufferevent until it lets
 * go, so that it can tell when evhttp has freed it (it looks five times
 * a second; the socket stays open until then); cp_gates_free lets go of
 * all that remain. The caller owns the cp_gates.
 */
#ifndef CPLANE_HOST_APISERVER_GATE_H
#define CPLANE_HOST_APISERVER_GATE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/bufferevent.h>
#include <event2/http.h>

/* Go's http.DefaultMaxHeaderBytes, which kube-apiserver serves with. */
#define CP_GATE_MAX_HEADER_BYTES (1u << 20)

/* The longest Audit-ID a made-up request carries. */
#define CP_GATE_ID_MAX 128

/* A request's head, NUL-terminated fields; headers NULL when absent,
 * method, path and target "" when malformed. */
struct cp_gate_head {
  const char *method;
  const char *path;   /* the target without its query, not decoded */
  const char *target; /* the target as sent, query included */
  const char *authorization, *user_agent, *audit_id, *forwarded_for,
      *real_ip;
  int has_body; /* Content-Length over 0, or Transfer-Encoding */
  /* CP_GATE_ID_MAX + 1 bytes, "" on entry; on CP_GATE_REJECT the owner
   * may write here (no control characters) the Audit-ID of the made-up
   * request, so that the 401 carries it. */
  char *answer_id;
};

enum cp_gate_verdict {
  CP_GATE_OPEN,   /* authenticated: let everything through */
  CP_GATE_PUBLIC, /* this request only; hold the next head */
  CP_GATE_REJECT  /* answer 401 and close */
};

/* conn is the connection's bufferevent (TLS or socket). */
typedef enum cp_gate_verdict (*cp_gate_admit_fn)(
    void *arg, const struct cp_gate_head *head, struct bufferevent *conn);

struct cp_gate_config {
  uint64_t read_header_timeout_ms; /* 0: none */
  cp_gate_admit_fn admit;
  void *arg;
};

struct cp_gates;

struct cp_gates *cp_gates_new(const struct cp_gate_config *cfg);
/* Lets go of every connection still gated. After evhttp_free, before
 * the event base goes. */
void cp_gates_free(struct cp_gates *gs);

/* Puts a new connection's bufferevent (fd not set yet) behind a gate.
 * Returns 0, or -1 when out of memory. */
int cp_gate_attach(struct cp_gates *gs, struct bufferevent *bev);

/* 401 or 431 for a request the gate made up in place of the client's, 0
 * for a client's own. */
int cp_gate_code(struct evhttp_request *req);

#endif /* CPLANE_HOST_APISERVER_GATE_H */
