/*
 * call - see call.h.
 */
#include "apiserver/rbac/call.h"

#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int cp_rbac_call(struct cp_api_ctx *ctx, enum cp_api_method method,
                 const char *resource, const char *ns, const char *name,
                 const char *query, const char *body, char **out) {
  struct cp_api_request rq;
  struct cp_api_response rs;

  memset(&rq, 0, sizeof rq);
  memset(&rs, 0, sizeof rs);
  if (out != NULL)
    *out = NULL;
  rq.method = method;
  rq.type = cp_resources_find(ctx->resources, "rbac.authorization.k8s.io",
                              "v1", resource);
  rq.ns = dup_or_null(ns);
  rq.name = dup_or_null(name);
  rq.body = dup_or_null(body);
  rq.body_len = body != NULL ? strlen(body) : 0;
  rq.path = strdup("/apis/rbac.authorization.k8s.io/v1");
  if (rq.type == NULL || rq.path == NULL || (ns != NULL && rq.ns == NULL) ||
      (name != NULL && rq.name == NULL) ||
      (body != NULL && rq.body == NULL) ||
      cp_query_parse(query, &rq.query) < 0)
    rs.code = 500;
  else
    cp_api_handle(ctx, &rq, &rs);
  cp_api_request_clear(&rq);
  if (out != NULL)
    *out = rs.body;
  else
    free(rs.body);
  return rs.code;
}
