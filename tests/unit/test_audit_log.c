/*
 * Unit tests for host/apiserver/audit/event and audit/log: an event's
 * JSON has kube's audit.k8s.io/v1 shape at each level and stage (request
 * and response objects only where the level asks, managedFields
 * stripped, responseStatus from a failure's Status), and the log rotates
 * by size with lumberjack's backup names, keeps max_backups, and writes
 * everything queued before close.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <json-c/json.h>
#include <unistd.h>

#include "apiserver/audit/audit.h"
#include "apiserver/audit/event.h"
#include "apiserver/audit/log.h"
#include "apiserver/audit/webhook_annotations.h"
#include "apiserver/webhook/hook.h"

static struct cp_audit_event *sample(enum cp_audit_level level) {
  struct cp_audit_event *ev = cp_audit_event_new();
  static const char body[] =
      "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\","
      "\"managedFields\":[{\"manager\":\"kubectl\"}]},\"data\":{\"a\":\"b\"}}";

  assert_non_null(ev);
  ev->level = level;
  ev->omit_managed_fields = 1;
  snprintf(ev->id, sizeof ev->id, "%s", "1f0e7a3c-0000-4000-8000-000000000001");
  ev->request_uri = strdup("/api/v1/namespaces/ns/configmaps?fieldManager=x");
  ev->verb = strdup("create");
  ev->user = json_tokener_parse("{\"username\":\"alice\",\"groups\":"
                                "[\"system:authenticated\"]}");
  ev->source_ips = json_tokener_parse("[\"127.0.0.1\"]");
  ev->user_agent = strdup("kubectl/v1.32.0");
  ev->has_ref = 1;
  ev->resource = strdup("configmaps");
  ev->ns = strdup("ns");
  ev->version = strdup("v1");
  ev->received_us = 1700000000123456;
  ev->request_object =
      cp_audit_event_object("application/json", body, strlen(body), 1);
  cp_audit_event_response(ev, 201, "application/json", body, strlen(body));
  cp_audit_event_annotate(ev, "authorization.k8s.io/decision", "allow");
  cp_audit_event_annotate(ev, "authorization.k8s.io/decision", "forbid");
  return ev;
}

static json_object *line_of(struct cp_audit_event *ev, const char *stage) {
  size_t len = 0;
  char *text = cp_audit_event_json(ev, stage, 1700000000223456, &len);
  json_object *o;

  assert_non_null(text);
  assert_int_equal(strlen(text), len);
  assert_null(strchr(text, '\n'));
  o = json_tokener_parse(text);
  assert_non_null(o);
  free(text);
  return o;
}

static const char *str(json_object *o, const char *path) {
  char key[64];
  const char *dot;
  json_object *v = o;

  while (v != NULL && path[0] != '\0') {
    dot = strchr(path, '.');
    snprintf(key, sizeof key, "%.*s",
             (int)(dot ? (size_t)(dot - path) : strlen(path)), path);
    if (!json_object_object_get_ex(v, key, &v))
      return NULL;
    path = dot ? dot + 1 : "";
  }
  return v ? json_object_get_string(v) : NULL;
}

static void test_event_shape(void **state) {
  struct cp_audit_event *ev = sample(CP_AUDIT_REQUEST_RESPONSE);
  json_object *o = line_of(ev, "ResponseComplete");
  static const char *const order[] = {
      "kind", "apiVersion", "level", "auditID", "stage", "requestURI",
      "verb", "user", "sourceIPs", "userAgent", "objectRef",
      "responseStatus", "requestObject", "responseObject",
      "requestReceivedTimestamp", "stageTimestamp", "annotations"};
  size_t i = 0;

  (void)state;
  json_object_object_foreach(o, k, v) {
    (void)v;
    assert_true(i < sizeof order / sizeof order[0]);
    assert_string_equal(k, order[i]);
    i++;
  }
  assert_int_equal(i, sizeof order / sizeof order[0]);
  assert_string_equal(str(o, "kind"), "Event");
  assert_string_equal(str(o, "apiVersion"), "audit.k8s.io/v1");
  assert_string_equal(str(o, "level"), "RequestResponse");
  assert_string_equal(str(o, "stage"), "ResponseComplete");
  assert_string_equal(str(o, "user.username"), "alice");
  assert_string_equal(str(o, "objectRef.resource"), "configmaps");
  assert_string_equal(str(o, "objectRef.apiVersion"), "v1");
  assert_null(str(o, "objectRef.apiGroup")); /* omitempty */
  assert_string_equal(str(o, "responseStatus.code"), "201");
  assert_non_null(str(o, "responseStatus.metadata"));
  assert_null(str(o, "responseStatus.status"));
  assert_string_equal(str(o, "requestObject.data.a"), "b");
  assert_null(str(o, "requestObject.metadata.managedFields"));
  assert_null(str(o, "responseObject.metadata.managedFields"));
  assert_string_equal(str(o, "requestReceivedTimestamp"),
                      "2023-11-14T22:13:20.123456Z");
  assert_string_equal(str(o, "stageTimestamp"), "2023-11-14T22:13:20.223456Z");
  /* the first value of an annotation stays */
  {
    json_object *an, *dv;

    assert_true(json_object_object_get_ex(o, "annotations", &an));
    assert_true(
        json_object_object_get_ex(an, "authorization.k8s.io/decision", &dv));
    assert_string_equal(json_object_get_string(dv), "allow");
  }
  json_object_put(o);
  /* RequestReceived carries no request object (kube logs it later). */
  o = line_of(ev, "RequestReceived");
  assert_null(str(o, "requestObject"));
  assert_null(str(o, "responseObject"));
  json_object_put(o);
  cp_audit_event_free(ev);
}

static void test_levels(void **state) {
  struct cp_audit_event *ev = sample(CP_AUDIT_METADATA);
  json_object *o = line_of(ev, "ResponseComplete");

  (void)state;
  assert_null(str(o, "requestObject"));
  assert_null(str(o, "responseObject"));
  json_object_put(o);
  cp_audit_event_free(ev);
  ev = sample(CP_AUDIT_REQUEST);
  o = line_of(ev, "ResponseComplete");
  assert_non_null(str(o, "requestObject"));
  assert_null(str(o, "responseObject"));
  json_object_put(o);
  cp_audit_event_free(ev);
}

static void test_failure_status(void **state) {
  struct cp_audit_event *ev = sample(CP_AUDIT_METADATA);
  static const char st[] =
      "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
      "\"status\":\"Failure\",\"message\":\"configmaps \\\"x\\\" not "
      "found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"x\","
      "\"kind\":\"configmaps\"},\"code\":404}";
  json_object *o;

  (void)state;
  cp_audit_event_response(ev, 404, "application/json", st, strlen(st));
  o = line_of(ev, "ResponseComplete");
  assert_string_equal(str(o, "responseStatus.status"), "Failure");
  assert_string_equal(str(o, "responseStatus.reason"), "NotFound");
  assert_string_equal(str(o, "responseStatus.message"),
                      "configmaps \"x\" not found");
  assert_string_equal(str(o, "responseStatus.details.name"), "x");
  assert_string_equal(str(o, "responseStatus.code"), "404");
  assert_null(str(o, "responseStatus.kind"));
  json_object_put(o);
  /* A protobuf body is no object: only its code. */
  cp_audit_event_response(ev, 500, "application/vnd.kubernetes.protobuf",
                          "k8s\0", 4);
  o = line_of(ev, "ResponseComplete");
  assert_string_equal(str(o, "responseStatus.code"), "500");
  assert_null(str(o, "responseStatus.status"));
  json_object_put(o);
  cp_audit_event_free(ev);
}

static void test_backup_name(void **state) {
  char buf[256];

  (void)state;
  cp_audit_log_backup_name("/var/log/audit.log", 1700000000123, buf,
                           sizeof buf);
  assert_string_equal(buf, "/var/log/audit-2023-11-14T22-13-20.123.log");
  cp_audit_log_backup_name("audit", 1700000000005, buf, sizeof buf);
  assert_string_equal(buf, "audit-2023-11-14T22-13-20.005");
}

static int count_files(const char *dir, const char *prefix) {
  DIR *d = opendir(dir);
  struct dirent *de;
  int n = 0;

  assert_non_null(d);
  while ((de = readdir(d)) != NULL)
    n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
  closedir(d);
  return n;
}

static void test_rotation(void **state) {
  char dir[] = "/tmp/test_audit_log.XXXXXX", path[256], line[200];
  struct cp_audit_log_config cfg = {0};
  struct cp_audit_log *l = NULL;
  char *err = NULL;
  int i;

  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/audit.log", dir);
  cfg.path = path;
  cfg.max_bytes = 1000;
  cfg.max_backups = 2;
  assert_int_equal(cp_audit_log_open(&cfg, &l, &err), 0);
  memset(line, 'x', sizeof line);
  /* 20 lines of 200 bytes: a new file every 4 lines. Spaced by 2 ms so
   * each backup gets its own name (millisecond stamps, as lumberjack). */
  for (i = 0; i < 20; i++) {
    assert_int_equal(cp_audit_log_write(l, line, sizeof line - 1), 0);
    usleep(2000);
  }
  cp_audit_log_close(l);
  /* the current file and at most max_backups backups */
  assert_int_equal(count_files(dir, "audit.log"), 1);
  assert_int_equal(count_files(dir, "audit-"), 2);
  /* Reopened: appends. Oversized lines are refused, not cut. */
  cfg.max_backups = 0;
  assert_int_equal(cp_audit_log_open(&cfg, &l, &err), 0);
  assert_int_equal(cp_audit_log_write(l, "y", 1), 0);
  cp_audit_log_close(l);
  {
    char cmd[512];

    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
  }
}

static void test_open_failure_names_path(void **state) {
  struct cp_audit_log_config cfg = {.path = "/nonexistent/dir/audit.log"};
  struct cp_audit_log *l = NULL;
  char *err = NULL;

  (void)state;
  assert_int_equal(cp_audit_log_open(&cfg, &l, &err), -1);
  assert_null(l);
  assert_non_null(strstr(err, "/nonexistent/dir/audit.log"));
  free(err);
}

/* Admission's annotations: a webhook's auditAnnotations under its name,
 * VAP's as they are, the mutation record as kube's JSON; nothing when the
 * request is not audited. */
static void test_admission_annotations(void **state) {
  struct cp_api_request rq;
  struct cp_webhook h;
  json_object *map = json_tokener_parse("{\"k\":\"v\",\"n\":1}");
  json_object *v;

  (void)state;
  memset(&rq, 0, sizeof rq);
  memset(&h, 0, sizeof h);
  h.name = "pod-policy.example.com";
  h.config = "cfg";
  assert_int_equal(cp_audit_annotate_map(&rq, map, h.name), 0);
  cp_audit_webhook_mutation(&rq, 0, 1, &h, 1); /* not audited: nothing */
  rq.audit = cp_audit_event_new();
  assert_non_null(rq.audit);
  assert_int_equal(cp_audit_annotate_map(&rq, map, h.name), 1);
  assert_int_equal(cp_audit_annotate_map(&rq, map, NULL), 1);
  cp_audit_webhook_mutation(&rq, 0, 1, &h, 1);
  cp_audit_webhook_mutation(&rq, 0, 2, &h, -1); /* refused: not mutated */
  cp_audit_annotate(&rq, "pod-security.kubernetes.io/enforce-policy",
                    "restricted:latest");
  assert_true(json_object_object_get_ex(rq.audit->annotations,
                                        "pod-policy.example.com/k", &v));
  assert_string_equal(json_object_get_string(v), "v");
  assert_true(json_object_object_get_ex(rq.audit->annotations, "k", &v));
  assert_false(json_object_object_get_ex(rq.audit->annotations,
                                         "pod-policy.example.com/n", &v));
  assert_true(json_object_object_get_ex(
      rq.audit->annotations,
      "mutation.webhook.admission.k8s.io/round_0_index_1", &v));
  assert_string_equal(json_object_get_string(v),
                      "{\"configuration\":\"cfg\",\"webhook\":"
                      "\"pod-policy.example.com\",\"mutated\":true}");
  /* kube's annotator adds it whatever the call gave (a deferred call). */
  assert_true(json_object_object_get_ex(
      rq.audit->annotations,
      "mutation.webhook.admission.k8s.io/round_0_index_2", &v));
  assert_string_equal(json_object_get_string(v),
                      "{\"configuration\":\"cfg\",\"webhook\":"
                      "\"pod-policy.example.com\",\"mutated\":false}");
  assert_true(json_object_object_get_ex(
      rq.audit->annotations, "pod-security.kubernetes.io/enforce-policy",
      &v));
  cp_audit_event_free(rq.audit);
  json_object_put(map);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_event_shape),
      cmocka_unit_test(test_levels),
      cmocka_unit_test(test_failure_status),
      cmocka_unit_test(test_backup_name),
      cmocka_unit_test(test_rotation),
      cmocka_unit_test(test_open_failure_names_path),
      cmocka_unit_test(test_admission_annotations),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
