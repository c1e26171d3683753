/*
 * review - the admission.k8s.io/v1 AdmissionReview a webhook is sent and
 * the checks of what it answers, as kube's webhook/request
 * (CreateAdmissionObjects, VerifyAdmissionResponse): uid, kind,
 * resource, subResource, requestKind/requestResource/requestSubResource,
 * name, namespace, operation, userInfo, object, oldObject, dryRun and
 * options in; uid, allowed, status, patch/patchType, warnings out
 * (auditAnnotations are read and ignored: there is no audit log yet).
 *
 * Threading: pure functions. Ownership: inputs are borrowed; the request
 * text, the verdict's members and *err are the caller's.
 */
#ifndef CPLANE_HOST_APISERVER_WEBHOOK_REVIEW_H
#define CPLANE_HOST_APISERVER_WEBHOOK_REVIEW_H

#include <stddef.h>

#include "apiserver/request.h"
#include "apiserver/webhook/match.h"

struct json_object;

/* The request's extra: what attrs do not say. */
struct cp_webhook_review_in {
  const struct cp_webhook_attrs *attrs;
  const struct cp_api_user *user;
  int dry_run;
  /* CreateOptions, UpdateOptions or DeleteOptions (meta.k8s.io/v1). */
  struct json_object *options;
};

/* The AdmissionReview text for one call with this uid; NULL when out of
 * memory. */
char *cp_webhook_review_request(const struct cp_webhook_review_in *in,
                                const char *uid);

/* What the webhook answered. */
struct cp_webhook_verdict {
  int allowed;
  struct json_object *status;   /* response.status, or NULL (owned) */
  unsigned char *patch;         /* decoded response.patch, or NULL */
  size_t patch_len;
  struct json_object *warnings; /* array of strings, or NULL (owned) */
  struct json_object *audit_annotations; /* object, or NULL (owned) */
};

/* Why an answer is refused, as kube words the two cases. */
enum cp_webhook_review_rc {
  CP_WEBHOOK_REVIEW_OK = 0,
  /* Not an AdmissionReview at all (Go's decoding error in *err): kube's
   * "failed to call webhook: <err>". */
  CP_WEBHOOK_REVIEW_UNDECODABLE = -1,
  /* An AdmissionReview that breaks the rules: kube's "received invalid
   * webhook response: <err>". */
  CP_WEBHOOK_REVIEW_INVALID = -2,
  CP_WEBHOOK_REVIEW_NOMEM = -3
};

/* Reads the answer body (len bytes) to a call with uid; mutating: the
 * webhook may patch. Fills *v (cp_webhook_verdict_clear) or sets *err
 * (malloc'd). */
int cp_webhook_review_response(const char *body, size_t len, const char *uid,
                               int mutating, struct cp_webhook_verdict *v,
                               char **err);
void cp_webhook_verdict_clear(struct cp_webhook_verdict *v);

#endif /* CPLANE_HOST_APISERVER_WEBHOOK_REVIEW_H */
