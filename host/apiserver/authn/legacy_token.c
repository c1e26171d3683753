/*
 * legacy_token - see legacy_token.h.
 */
#include "apiserver/authn/legacy_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/authn/authenticator.h"
#include "apiserver/authn/sa_claims.h"
#include "apiserver/resources.h"
#include "cplane/version.h"
#include "encoding/base64.h"

/* A CA bundle larger than this is not one. */
#define MAX_CA_BYTES (1 << 20)

static json_object *member(json_object *o, const char *k) {
  json_object *v;

  return json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static const char *string_at(json_object *o, const char *k) {
  json_object *v = member(o, k);

  return json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                  : NULL;
}

/* Adds data[k] = base64(p[0..n)). */
static int put_b64(json_object *data, const char *k, const void *p,
                   size_t n) {
  char *b = cp_base64_encode(CP_BASE64_STD, p, n);

  if (b == NULL)
    return -1;
  json_object_object_add(data, k, json_object_new_string(b));
  free(b);
  return 0;
}

static int put_file(json_object *data, const char *k, const char *path) {
  FILE *f = path ? fopen(path, "rb") : NULL;
  char *buf = NULL;
  size_t n;
  int rc = 0;

  if (f == NULL)
    return 0; /* no CA to hand out (plain HTTP): as kube, no ca.crt */
  if ((buf = malloc(MAX_CA_BYTES)) == NULL) {
    fclose(f);
    return -1;
  }
  n = fread(buf, 1, MAX_CA_BYTES, f);
  if (n > 0 && n < MAX_CA_BYTES)
    rc = put_b64(data, k, buf, n);
  free(buf);
  fclose(f);
  return rc;
}

int cp_legacy_token_fill(struct cp_api_ctx *ctx,
                         const struct cp_resource_type *t, const char *ns,
                         json_object *o) {
  json_object *md = member(o, "metadata"), *ann = member(md, "annotations");
  json_object *data = member(o, "data"), *sa = NULL, *claims = NULL;
  const char *type = string_at(o, "type"), *sa_name, *name, *uid;
  char *token = NULL;
  int rc = 0;

  if (ctx->authn == NULL || strcmp(t->resource, "secrets") != 0 ||
      t->group[0] != '\0' || ns == NULL || type == NULL ||
      strcmp(type, CP_SA_TOKEN_SECRET_TYPE) != 0 ||
      (sa_name = string_at(ann, CP_SA_NAME_ANNOTATION)) == NULL ||
      (name = string_at(md, "name")) == NULL || name[0] == '\0' ||
      (data != NULL && member(data, "token") != NULL))
    return 0;
  if (cp_authn_read_object(ctx->store, "serviceaccounts", ns, sa_name,
                           &sa) != CPLANE_OK)
    return 0;
  uid = string_at(member(sa, "metadata"), "uid");
  if (uid == NULL)
    goto out;
  if (data == NULL || !json_object_is_type(data, json_type_object)) {
    data = json_object_new_object();
    json_object_object_add(o, "data", data);
  }
  claims = cp_sa_claims_legacy(ns, sa_name, uid, name);
  if (claims == NULL || (token = cp_authn_sign(ctx->authn, claims)) == NULL ||
      put_b64(data, "token", token, strlen(token)) < 0 ||
      put_b64(data, "namespace", ns, strlen(ns)) < 0 ||
      put_file(data, "ca.crt", cp_authn_ca_file(ctx->authn)) < 0) {
    rc = -1;
    goto out;
  }
  json_object_object_add(ann, CP_SA_UID_ANNOTATION,
                         json_object_new_string(uid));
out:
  json_object_put(sa);
  json_object_put(claims);
  free(token);
  return rc;
}
