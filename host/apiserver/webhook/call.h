/*
 * call - one HTTPS POST of an AdmissionReview to a webhook, as kube's
 * webhook client does: to clientConfig.url, or to the Service's endpoint
 * (resolve.h) with the TLS name <name>.<namespace>.svc; the server
 * verified against caBundle (none: the system's roots); `?timeout=Ns`
 * on the URL and the call bounded by timeoutSeconds. A client (host/
 * client: a pool of keep-alive connections) is kept per webhook and
 * target, so calls reuse connections; at most 64 are kept.
 *
 * A call that has not answered holds its request worker until its
 * timeout (30 s at most). So that webhooks that hang can never take every
 * worker, at most max_calls calls are in flight at once server-wide (the
 * set passes half the workers); a call beyond that fails at once, as a
 * webhook that cannot be reached, and its failurePolicy decides.
 *
 * Threading: any thread; the caller locks its own state.
 * Ownership: the answer body and *err are malloc'd, the caller's.
 */
#ifndef CPLANE_HOST_APISERVER_WEBHOOK_CALL_H
#define CPLANE_HOST_APISERVER_WEBHOOK_CALL_H

#include <stddef.h>

#include "apiserver/request.h"
#include "apiserver/webhook/hook.h"

struct cp_webhook_caller;

struct cp_webhook_caller *cp_webhook_caller_new(int max_calls);
void cp_webhook_caller_free(struct cp_webhook_caller *c);

/* POSTs the review (len bytes) to h. Returns 0 with the 200 answer in
 * *resp (*resp_len bytes), or -1 with *err the reason kube gives after "failed
 * to call webhook: " (`Post "https://x.ns.svc:443/p?timeout=10s":
 * context deadline exceeded`, `... dial tcp 127.0.0.1:9: connect:
 * connection refused`, a resolution error, ...). */
int cp_webhook_call(struct cp_webhook_caller *c, struct cp_api_ctx *ctx,
                    const struct cp_webhook *h, const char *body, size_t len,
                    char **resp, size_t *resp_len, char **err);

#endif /* CPLANE_HOST_APISERVER_WEBHOOK_CALL_H */
