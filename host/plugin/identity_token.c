/*
 * identity_token - see identity_token.h.
 */
#include "plugin/identity_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "client/client.h"
#include "plugin/host_api_writes.h"
#include "plugin/identity.h"

/* A TokenRequest answer is a token and a few short fields. */
#define MAX_ANSWER_BYTES (4 * CP_IDENTITY_TOKEN_MAX_BYTES)

static int bad(char **errmsg, const char *what) {
  if (asprintf(errmsg, "the TokenRequest answer %s", what) < 0)
    *errmsg = NULL;
  return -1;
}

static const char *string_at(json_object *o, const char *a, const char *b) {
  json_object *v = NULL;

  if (!json_object_object_get_ex(o, a, &v) ||
      !json_object_object_get_ex(v, b, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

/* "2026-12-07T06:00:00Z" (what kube writes) as Unix seconds, or -1. */
static int64_t parse_time(const char *s) {
  struct tm tm;
  const char *end;

  memset(&tm, 0, sizeof tm);
  end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == NULL || *end != '\0')
    return -1;
  return (int64_t)timegm(&tm);
}

int cp_identity_token_parse(const char *body, size_t len, int64_t now_s,
                            int64_t asked_s, char **token, int64_t *life_s,
                            char **errmsg) {
  json_object *o = NULL;
  const char *tok, *exp;
  int64_t at;
  int rc = -1;

  *token = *errmsg = NULL;
  *life_s = 0;
  if (body == NULL || len == 0 || len > MAX_ANSWER_BYTES)
    return bad(errmsg, "is empty or too large");
  o = json_tokener_parse(body);
  if (o == NULL || !json_object_is_type(o, json_type_object)) {
    bad(errmsg, "is not a JSON object");
    goto out;
  }
  tok = string_at(o, "status", "token");
  if (tok == NULL || tok[0] == '\0' ||
      strlen(tok) > CP_IDENTITY_TOKEN_MAX_BYTES ||
      strpbrk(tok, " \t\r\n") != NULL) {
    bad(errmsg, "has no status.token (a string of at most 16384 bytes "
                "without spaces)");
    goto out;
  }
  exp = string_at(o, "status", "expirationTimestamp");
  if (exp == NULL || (at = parse_time(exp)) < 0) {
    bad(errmsg, "has no status.expirationTimestamp in RFC 3339 (UTC)");
    goto out;
  }
  if ((*token = strdup(tok)) == NULL) {
    *errmsg = NULL;
    goto out;
  }
  /* What the server granted (it may cap what we asked for), as our clock
   * counts it; never past what we asked. */
  *life_s = at - now_s;
  if (*life_s <= 0 || *life_s > asked_s)
    *life_s = asked_s;
  rc = 0;
out:
  json_object_put(o);
  return rc;
}

int cp_identity_token_request(struct cp_client *admin, const char *plugin,
                              int64_t seconds, char **token, int64_t *life_s,
                              char **errmsg) {
  char path[600], body[200], *resp = NULL, *msg;
  size_t len = 0;
  int code, n;

  *token = *errmsg = NULL;
  *life_s = 0;
  if (seconds < CP_IDENTITY_TOKEN_MIN_SECONDS)
    seconds = CP_IDENTITY_TOKEN_MIN_SECONDS;
  n = snprintf(path, sizeof path,
               "/api/v1/namespaces/%s/serviceaccounts/%s/token",
               CP_IDENTITY_NAMESPACE, plugin);
  if (n < 0 || (size_t)n >= sizeof path) {
    *errmsg = strdup("the plugin's name is too long");
    return -1;
  }
  snprintf(body, sizeof body,
           "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":"
           "\"TokenRequest\",\"spec\":{\"expirationSeconds\":%lld}}",
           (long long)seconds);
  code = cp_client_request(admin, "POST", path, "application/json", body,
                           strlen(body), &resp, &len);
  if (code == 201 || code == 200) {
    n = cp_identity_token_parse(resp, len, (int64_t)time(NULL), seconds,
                                token, life_s, errmsg);
  } else {
    msg = code == 0 ? strdup("the API server did not answer")
                    : cp_api_status_message(resp, len, code);
    if (asprintf(errmsg, "TokenRequest for ServiceAccount %s/%s: %d %s",
                 CP_IDENTITY_NAMESPACE, plugin, code,
                 msg != NULL ? msg : "") < 0)
      *errmsg = NULL;
    free(msg);
    n = -1;
  }
  if (resp != NULL) /* it may hold the token */
    OPENSSL_cleanse(resp, len);
  free(resp);
  return n;
}
