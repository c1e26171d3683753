/*
 * Unit tests for host/apiserver/audit/webhook_annotations: a mutating
 * webhook's patch annotation is kube's, byte for byte (Go's
 * encoding/json of PatchAuditAnnotation: operation keys sorted, values
 * compact as sent, HTML escaped), only at level Request and above, none
 * for an empty patch or a request not audited; round and index name the
 * key. A webhook that failed open is named under kube's failed-open
 * key, validating always in round 0, at every level.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "apiserver/audit/event.h"
#include "apiserver/audit/webhook_annotations.h"
#include "apiserver/webhook/hook.h"

#define KEY(r, i) "patch.webhook.admission.k8s.io/round_" #r "_index_" #i

static struct cp_webhook hook(void) {
  struct cp_webhook h;

  memset(&h, 0, sizeof h);
  h.name = "add-label.example.com";
  h.config = "labels";
  return h;
}

/* The annotation key's value, or NULL. */
static const char *value(const struct cp_api_request *rq, const char *key) {
  json_object *v;

  if (rq->audit->annotations == NULL ||
      !json_object_object_get_ex(rq->audit->annotations, key, &v))
    return NULL;
  return json_object_get_string(v);
}

static void patch(struct cp_api_request *rq, int round, size_t index,
                  const char *p) {
  struct cp_webhook h = hook();

  cp_audit_webhook_patch(rq, round, index, &h, p, strlen(p));
}

static void test_patch_value_is_kubes(void **state) {
  struct cp_api_request rq;

  (void)state;
  memset(&rq, 0, sizeof rq);
  rq.audit = cp_audit_event_new();
  assert_non_null(rq.audit);
  rq.audit->level = CP_AUDIT_REQUEST;
  patch(&rq, 0, 3,
        " [ {\"value\": {\"z\": 1.50, \"a\": \"x&y<>\\u2028\"},\n"
        "    \"path\": \"/metadata/labels/a~1b\", \"op\": \"add\"},\n"
        "   {\"op\":\"remove\",\"path\":\"/spec/x\"} ]");
  assert_string_equal(
      value(&rq, KEY(0, 3)),
      "{\"configuration\":\"labels\",\"webhook\":\"add-label.example.com\","
      "\"patch\":[{\"op\":\"add\",\"path\":\"/metadata/labels/a~1b\","
      "\"value\":{\"z\":1.50,\"a\":\"x\\u0026y\\u003c\\u003e\\u2028\"}},"
      "{\"op\":\"remove\",\"path\":\"/spec/x\"}],"
      "\"patchType\":\"JSONPatch\"}");
  /* The reinvocation round has its own key. */
  patch(&rq, 1, 0, "[{\"op\":\"add\",\"path\":\"/a\",\"value\":null}]");
  assert_string_equal(value(&rq, KEY(1, 0)),
                      "{\"configuration\":\"labels\",\"webhook\":"
                      "\"add-label.example.com\",\"patch\":[{\"op\":\"add\","
                      "\"path\":\"/a\",\"value\":null}],"
                      "\"patchType\":\"JSONPatch\"}");
  cp_audit_event_free(rq.audit);
}

static void test_patch_only_where_kube_records_it(void **state) {
  struct cp_api_request rq;

  (void)state;
  memset(&rq, 0, sizeof rq);
  patch(&rq, 0, 0, "[{\"op\":\"remove\",\"path\":\"/a\"}]"); /* no event */
  rq.audit = cp_audit_event_new();
  assert_non_null(rq.audit);
  rq.audit->level = CP_AUDIT_METADATA; /* AddAnnotationWithLevel(Request) */
  patch(&rq, 0, 0, "[{\"op\":\"remove\",\"path\":\"/a\"}]");
  assert_null(value(&rq, KEY(0, 0)));
  rq.audit->level = CP_AUDIT_REQUEST_RESPONSE;
  patch(&rq, 0, 1, "[]"); /* an empty patch changes nothing */
  patch(&rq, 0, 2, "{\"op\":\"remove\"}"); /* not a JSON patch */
  patch(&rq, 0, 4, "[{\"op\":\"remove\",\"path\":\"/a\""); /* cut short */
  patch(&rq, 0, 5, "[1]");
  assert_null(value(&rq, KEY(0, 1)));
  assert_null(value(&rq, KEY(0, 2)));
  assert_null(value(&rq, KEY(0, 4)));
  assert_null(value(&rq, KEY(0, 5)));
  patch(&rq, 0, 6, "[{\"op\":\"remove\",\"path\":\"/a\"}]");
  assert_non_null(value(&rq, KEY(0, 6)));
  cp_audit_event_free(rq.audit);
}

static void test_failed_open(void **state) {
  struct cp_webhook h = hook();
  struct cp_api_request rq;

  (void)state;
  memset(&rq, 0, sizeof rq);
  cp_audit_webhook_failed_open(&rq, 0, 0, &h); /* not audited: nothing */
  rq.audit = cp_audit_event_new();
  assert_non_null(rq.audit);
  rq.audit->level = CP_AUDIT_METADATA;
  h.mutating = 1;
  cp_audit_webhook_failed_open(&rq, 1, 2, &h);
  assert_string_equal(
      value(&rq, "failed-open.mutation.webhook.admission.k8s.io/"
                 "round_1_index_2"),
      "add-label.example.com");
  h.mutating = 0;
  h.name = "deny.example.com";
  cp_audit_webhook_failed_open(&rq, 0, 3, &h);
  assert_string_equal(
      value(&rq, "failed-open.validating.webhook.admission.k8s.io/"
                 "round_0_index_3"),
      "deny.example.com");
  cp_audit_event_free(rq.audit);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_patch_value_is_kubes),
      cmocka_unit_test(test_patch_only_where_kube_records_it),
      cmocka_unit_test(test_failed_open),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
