/*
 * scale_admission - see scale_admission.h.
 */
#include "apiserver/scale_admission.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/vap/admit.h"
#include "apiserver/verbs.h"
#include "apiserver/webhook/dispatch.h"

/* The Scale view of o, as GET .../scale answers it; NULL out of memory. */
static json_object *scale_of(const struct cp_resource_type *t, json_object *o) {
  char *text = cp_verbs_scale_text(t, o);
  json_object *s = text != NULL ? json_tokener_parse(text) : NULL;

  free(text);
  return s;
}

int cp_scale_admit_mutate(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                          json_object **scale, json_object *cur,
                          struct cp_api_response *rs) {
  json_object *old = scale_of(rq->type, cur);
  int rc;

  /* No Scale of cur (a custom resource whose replicas path holds
   * something else): applying the Scale reads it again and answers
   * kube's error; nothing is written without the validating step. */
  if (old == NULL)
    return 0;
  rc = cp_webhook_mutate(ctx, rq, scale, old, rs);
  json_object_put(old);
  return rc;
}

int cp_scale_admit_validate(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                            json_object *next, json_object *cur,
                            struct cp_api_response *rs) {
  json_object *old = scale_of(rq->type, cur), *now = scale_of(rq->type, next);
  int rc = -1;

  if (old == NULL || now == NULL)
    cp_api_respond_status(rs, 500, NULL);
  /* ValidatingAdmissionPolicy, then ValidatingAdmissionWebhook. */
  else if (cp_vap_admit(ctx, rq, now, old, NULL, rs) == 0)
    rc = cp_webhook_validate(ctx, rq, now, old, rs);
  json_object_put(old);
  json_object_put(now);
  return rc;
}
