/*
 * audit/webhook_annotations - a mutating webhook's audit annotations
 * (see webhook_annotations.h), after k8s.io/apiserver's
 * admission/plugin/webhook/mutating/dispatcher.go.
 */
#include "apiserver/audit/webhook_annotations.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/audit/event.h"
#include "apiserver/webhook/hook.h"
#include "object/go_json.h"

/* A JSON patch has a few members an operation; more is not one. */
#define MAX_OP_KEYS 16

static void put_name(struct cp_json_buf *b, const char *key,
                     const char *v) {
  cp_go_json_quoted(b, key, strlen(key));
  cp_json_buf_put(b, ":", 1);
  cp_go_json_quoted(b, v ? v : "", v ? strlen(v) : 0);
}

/* {"configuration":...,"webhook":..., : the start of both values. */
static void start(struct cp_json_buf *b, const struct cp_webhook *h) {
  cp_json_buf_put(b, "{", 1);
  put_name(b, "configuration", h->config);
  cp_json_buf_put(b, ",", 1);
  put_name(b, "webhook", h->name);
  cp_json_buf_put(b, ",", 1);
}

static void annotate(const struct cp_api_request *rq, const char *kind,
                     int round, size_t index, struct cp_json_buf *b) {
  char key[96], *v = cp_json_buf_take(b);

  snprintf(key, sizeof key, "%s.webhook.admission.k8s.io/round_%d_index_%zu",
           kind, round, index);
  if (v != NULL)
    cp_audit_event_annotate(rq->audit, key, v);
  free(v);
}

void cp_audit_webhook_mutation(const struct cp_api_request *rq, int round,
                               size_t index, const struct cp_webhook *h,
                               int changed) {
  struct cp_json_buf b = CP_JSON_BUF_INIT;

  if (rq == NULL || rq->audit == NULL)
    return;
  start(&b, h);
  cp_json_buf_puts(&b, changed > 0 ? "\"mutated\":true}"
                                   : "\"mutated\":false}");
  annotate(rq, "mutation", round, index, &b);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One operation as Go writes a map[string]*json.RawMessage: keys sorted
 * bytewise. Returns -1 when it is not an object of a few members. */
static int put_op(struct cp_json_buf *b, json_object *op) {
  const char *keys[MAX_OP_KEYS];
  size_t i, n = 0;
  json_object *v;

  if (!json_object_is_type(op, json_type_object))
    return -1;
  json_object_object_foreach(op, k, val) {
    (void)val;
    if (n == MAX_OP_KEYS)
      return -1;
    keys[n++] = k;
  }
  qsort(keys, n, sizeof keys[0], by_name);
  cp_json_buf_put(b, "{", 1);
  for (i = 0; i < n; i++) {
    if (i > 0)
      cp_json_buf_put(b, ",", 1);
    cp_go_json_quoted(b, keys[i], strlen(keys[i]));
    cp_json_buf_put(b, ":", 1);
    json_object_object_get_ex(op, keys[i], &v);
    cp_go_json_value(b, v);
  }
  cp_json_buf_put(b, "}", 1);
  return 0;
}

void cp_audit_webhook_patch(const struct cp_api_request *rq, int round,
                            size_t index, const struct cp_webhook *h,
                            const char *patch, size_t len) {
  struct cp_json_buf b = CP_JSON_BUF_INIT;
  struct json_tokener *tok = NULL;
  json_object *ops = NULL;
  size_t i, n;

  if (rq == NULL || rq->audit == NULL ||
      rq->audit->level < CP_AUDIT_REQUEST || patch == NULL || len == 0 ||
      len > (size_t)INT32_MAX || (tok = json_tokener_new_ex(CP_GO_JSON_MAX_DEPTH)) == NULL)
    goto out;
  ops = json_tokener_parse_ex(tok, patch, (int)len);
  if (json_tokener_get_error(tok) != json_tokener_success ||
      !json_object_is_type(ops, json_type_array) ||
      (n = json_object_array_length(ops)) == 0)
    goto out; /* kube: an empty patch changes nothing, no annotation */
  start(&b, h);
  cp_json_buf_puts(&b, "\"patch\":[");
  for (i = 0; i < n; i++) {
    if (i > 0)
      cp_json_buf_put(&b, ",", 1);
    if (put_op(&b, json_object_array_get_idx(ops, i)) < 0)
      goto out;
  }
  cp_json_buf_puts(&b, "],\"patchType\":\"JSONPatch\"}");
  annotate(rq, "patch", round, index, &b);
out:
  cp_json_buf_reset(&b);
  json_object_put(ops);
  if (tok != NULL)
    json_tokener_free(tok);
}

void cp_audit_webhook_failed_open(const struct cp_api_request *rq, int round,
                                  size_t index, const struct cp_webhook *h) {
  char key[112];

  if (rq == NULL || rq->audit == NULL)
    return;
  snprintf(key, sizeof key,
           "failed-open.%s.webhook.admission.k8s.io/round_%d_index_%zu",
           h->mutating ? "mutation" : "validating", round, index);
  cp_audit_event_annotate(rq->audit, key, h->name);
}
