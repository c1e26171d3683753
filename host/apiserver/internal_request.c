/*
 * internal_request - see internal_request.h.
 */
#include "apiserver/internal_request.h"

#include <stdlib.h>
#include <string.h>

#include "apiserver/resources.h"

/* A copy of s, or s's NULL; 0 when out of memory. */
static int copy(char **to, const char *s) {
  *to = NULL;
  return s == NULL || (*to = strdup(s)) != NULL;
}

int cp_internal_request(struct cp_api_ctx *ctx, const char *group,
                        const char *version, const char *resource,
                        enum cp_api_method method, const char *ns,
                        const char *name, const char *subresource,
                        const char *query, const char *body, char **out) {
  struct cp_api_request rq;
  struct cp_api_response rs;

  memset(&rq, 0, sizeof rq);
  memset(&rs, 0, sizeof rs);
  if (out != NULL)
    *out = NULL;
  rq.method = method;
  rq.type = cp_resources_find(ctx->resources, group, version, resource);
  if (rq.type == NULL || !copy(&rq.ns, ns) || !copy(&rq.name, name) ||
      !copy(&rq.subresource, subresource) || !copy(&rq.body, body) ||
      cp_query_parse(query, &rq.query) < 0)
    rs.code = 500;
  else {
    rq.body_len = body != NULL ? strlen(body) : 0;
    cp_api_handle(ctx, &rq, &rs);
  }
  cp_api_request_clear(&rq);
  if (out != NULL)
    *out = rs.body;
  else
    free(rs.body);
  return rs.code;
}
