/*
 * yaml_body - see yaml_body.h.
 */
#include "apiserver/yaml_body.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apiserver/protobuf.h"
#include "apiserver/status.h"
#include "apiserver/verbs.h"
#include "object/yaml_json.h"

/* The media type, parameters and case aside, is application/yaml. */
static int is_yaml(const char *ct) {
  size_t n;

  if (ct == NULL)
    return 0;
  n = strcspn(ct, ";");
  while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
    n--;
  return n == 16 && strncasecmp(ct, "application/yaml", 16) == 0;
}

int cp_yaml_body_to_json(struct cp_api_request *rq,
                         struct cp_api_response *rs) {
  json_object *o = NULL;
  char *err = NULL, *json = NULL, *ct = NULL;
  const char *text;
  int line, rc = -1;

  if ((rq->method != CP_API_POST && rq->method != CP_API_PUT &&
       rq->method != CP_API_DELETE) ||
      !is_yaml(rq->content_type))
    return 0;
  if (cp_yaml_json_parse(rq->body != NULL ? rq->body : "", rq->body_len,
                         NULL, &o, NULL, &err, &line) != CP_YAML_JSON_OK) {
    if (err == NULL) {
      cp_api_respond_status(rs, 500, NULL);
      goto out;
    }
    /* transformDecodeError, as for any body whose kind is unknown. */
    cp_api_respond_status(
        rs, 400,
        cp_protobuf_decode_failure(rq->body, rq->body_len, err,
                                   rq->type != NULL ? rq->type->kind
                                                    : "Object"));
    goto out;
  }
  text = o != NULL ? json_object_to_json_string_ext(o, CP_VERBS_JSON_OUT)
                   : "null";
  json = text != NULL ? strdup(text) : NULL;
  ct = strdup("application/json");
  if (json == NULL || ct == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  free(rq->body);
  rq->body = json;
  rq->body_len = strlen(json);
  json = NULL;
  free(rq->content_type);
  rq->content_type = ct;
  ct = NULL;
  rc = 0;
out:
  free(err);
  free(json);
  free(ct);
  json_object_put(o);
  return rc;
}
