/*
 * openapi_v2 - GET /openapi/v2: the Swagger 2.0 document of every type
 * served (built-in and custom), as JSON and as gnostic's openapi_v2
 * Document protobuf, with kube-apiserver's ETag and 304. kubectl falls
 * back to it for a kind /openapi/v3 does not describe (client-side
 * validation, explain), and reads it as protobuf only.
 *
 * It is made from the OpenAPI v3 documents /openapi/v3 serves (the same
 * definitions, "$ref"s turned to "#/definitions/", the PATCH operation
 * with its group-version-kind and body), lazily, and kept until the
 * registry's generation changes (a CRD added, changed or removed).
 *
 * Threading: any thread; one mutex guards the cached document, so two
 * requests build it once. Ownership: replies are the caller's (free()).
 */
#ifndef CPLANE_HOST_APISERVER_OPENAPI_V2_H
#define CPLANE_HOST_APISERVER_OPENAPI_V2_H

#include <stddef.h>

struct cp_resources;
struct cp_openapi_v2;

#define CP_OPENAPI_V2_PROTOBUF \
  "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

/* NULL when out of memory. r is borrowed and must outlive the cache. */
struct cp_openapi_v2 *cp_openapi_v2_new(struct cp_resources *r);
void cp_openapi_v2_free(struct cp_openapi_v2 *c);

struct cp_openapi_v2_reply {
  int code;                 /* 200, 304, 406 or 500 */
  const char *content_type; /* static */
  char *body;               /* malloc'd (NULL for 304) */
  size_t len;
  char etag[140];           /* quoted, as the ETag header carries it */
};

/* The answer to GET /openapi/v2 with these Accept and If-None-Match
 * headers (either NULL when absent). */
void cp_openapi_v2_get(struct cp_openapi_v2 *c, const char *accept,
                       const char *if_none_match,
                       struct cp_openapi_v2_reply *out);

/* The gnostic protobuf of a Swagger 2.0 JSON document (exposed for the
 * unit test). 0 with *pb (malloc'd) and *len, or -1. */
int cp_openapi_v2_protobuf(const char *json, char **pb, size_t *len);

#endif
