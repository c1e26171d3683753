/*
 * test_strategy_workloads - the workload and policy kinds' strategies
 * called directly on objects: defaults (Job, StatefulSet, DaemonSet,
 * CronJob, HPA, PriorityClass), kube's 422 causes (a Job without a
 * template, a selector not matching the template's labels, an empty
 * selector, a bad schedule, immutable fields, system PriorityClasses),
 * Table cells, the HPA v1 <-> v2 conversion, the cron parser; and,
 * through the API in-process, the Priority admission of pods and the
 * system PriorityClasses that cannot be deleted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <cplane/cron.h>

#include "apiserver/field_errors.h"
#include "apiserver/request.h"
#include "apiserver/resources.h"
#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/hpa_convert.h"
#include "apiserver/strategy/pod_priority.h"
#include "apiserver/strategy/pod_template.h"
#include "apiserver/strategy/priorityclasses.h"
#include "apiserver/strategy/strategy.h"
#include "apiserver/strategy/workloads.h"
#include "api_fixture.h"
#include "log/log.h"
#include "store/store.h"

/* 2026-11-25T14:00:00Z */
#define NOW 1795615200LL

static json_object *parse(const char *text) {
  json_object *o = json_tokener_parse(text);

  assert_non_null(o);
  return o;
}

static const char *str(json_object *o, const char *path) {
  const char *s = cp_field_str(o, path);

  return s != NULL ? s : "<absent>";
}

static long long num(json_object *o, const char *path) {
  int64_t v = -12345;

  cp_field_int(o, path, &v);
  return (long long)v;
}

/* Runs validate and returns the errors as "field: message; ..." (owned
 * by a static buffer). */
static const char *errors_of(const struct cp_strategy *st,
                             const struct cp_strategy_write *w,
                             json_object *obj, json_object *old) {
  static char buf[4096];
  struct cp_field_errors errs = CP_FIELD_ERRORS_INIT;
  size_t i, n = 0;

  buf[0] = '\0';
  st->validate(w, obj, old, &errs);
  for (i = 0; i < errs.n; i++)
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s: %s",
                          i > 0 ? "; " : "", errs.v[i].field,
                          errs.v[i].message);
  cp_field_errors_clear(&errs);
  return buf;
}

static const struct cp_strategy_write create_w = {CP_OP_CREATE, NULL, 0,
                                                  NULL, NULL};
static const struct cp_strategy_write update_w = {CP_OP_UPDATE, NULL, 0,
                                                  NULL, NULL};

#define POD_TEMPLATE(labels, restart)                                          \
  "\"template\":{\"metadata\":{\"labels\":" labels "},\"spec\":{"            \
  "\"restartPolicy\":\"" restart "\",\"containers\":[{\"name\":\"c\","      \
  "\"image\":\"nginx:1.27\"}]}}"

/* ------------------------------------------------------------ Job */

static void test_job_defaults_and_selector(void **state) {
  json_object *j = parse("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\","
                         "\"metadata\":{\"name\":\"pi\",\"uid\":\"u-1\"},"
                         "\"spec\":{" POD_TEMPLATE("{\"app\":\"pi\"}",
                                                   "Never") "}}");

  (void)state;
  cp_strategy_jobs.prepare_create(&create_w, j);
  assert_int_equal(num(j, "spec.completions"), 1);
  assert_int_equal(num(j, "spec.parallelism"), 1);
  assert_int_equal(num(j, "spec.backoffLimit"), 6);
  assert_string_equal(str(j, "spec.completionMode"), "NonIndexed");
  assert_false(cp_field_true(j, "spec.suspend"));
  assert_non_null(cp_field_at(j, "spec.suspend"));
  assert_string_equal(str(j, "spec.podReplacementPolicy"),
                      "TerminatingOrFailed");
  assert_null(cp_field_at(j, "spec.manualSelector"));
  {
    json_object *ml = cp_field_at(j, "spec.selector.matchLabels");
    json_object *tl = cp_field_at(j, "spec.template.metadata.labels");
    json_object *v = NULL;

    assert_true(json_object_object_get_ex(
        ml, "batch.kubernetes.io/controller-uid", &v));
    assert_string_equal(json_object_get_string(v), "u-1");
    assert_int_equal(json_object_object_length(ml), 1);
    assert_true(json_object_object_get_ex(tl, "controller-uid", &v));
    assert_true(json_object_object_get_ex(tl, "job-name", &v));
    assert_string_equal(json_object_get_string(v), "pi");
    assert_true(json_object_object_get_ex(tl, "batch.kubernetes.io/job-name",
                                          &v));
    assert_true(json_object_object_get_ex(tl, "app", &v));
    /* The job's own labels come from the template's. */
    assert_true(json_object_object_get_ex(
        cp_field_at(j, "metadata.labels"), "job-name", &v));
  }
  assert_non_null(cp_field_typed(j, "status", json_type_object));
  assert_string_equal(errors_of(&cp_strategy_jobs, &create_w, j, NULL), "");
  json_object_put(j);

  /* Only parallelism given: completions stays unset. */
  j = parse("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"parallelism\":3}}");
  cp_strategy_jobs.prepare_create(&create_w, j);
  assert_null(cp_field_at(j, "spec.completions"));
  assert_int_equal(num(j, "spec.parallelism"), 3);
  json_object_put(j);

  j = parse("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"podFailurePolicy\":"
            "{\"rules\":[]},\"backoffLimitPerIndex\":1}}");
  cp_strategy_jobs.prepare_create(&create_w, j);
  assert_string_equal(str(j, "spec.podReplacementPolicy"), "Failed");
  assert_int_equal(num(j, "spec.backoffLimit"), 2147483647);
  json_object_put(j);
}

static void test_job_invalid(void **state) {
  json_object *j = parse("{\"metadata\":{\"name\":\"nt\",\"uid\":\"u\"},"
                         "\"spec\":{}}");

  (void)state;
  /* kube: the template is a struct, its pod spec defaulted Always. */
  cp_strategy_jobs.prepare_create(&create_w, j);
  assert_string_equal(
      errors_of(&cp_strategy_jobs, &create_w, j, NULL),
      "spec.template.spec.containers: Required value; "
      "spec.template.spec.restartPolicy: Unsupported value: \"Always\": "
      "supported values: \"OnFailure\", \"Never\"");
  json_object_put(j);

  j = parse("{\"metadata\":{\"name\":\"m\"},\"spec\":{\"manualSelector\":"
            "true,\"selector\":{\"matchLabels\":{\"a\":\"1\"}},"
            POD_TEMPLATE("{\"a\":\"2\"}", "OnFailure") ",\"parallelism\":-1,"
            "\"completionMode\":\"Indexed\"}}");
  cp_strategy_jobs.prepare_create(&create_w, j);
  assert_string_equal(
      errors_of(&cp_strategy_jobs, &create_w, j, NULL),
      "spec.parallelism: Invalid value: -1: must be greater than or equal "
      "to 0; spec.completions: Required value: when completion mode is "
      "Indexed; spec.template.metadata.labels: Invalid value: "
      "map[string]string{\"a\":\"2\"}: `selector` does not match template "
      "`labels`");
  json_object_put(j);
}

static void test_job_update(void **state) {
  json_object *old = parse("{\"metadata\":{\"name\":\"pi\",\"uid\":\"u\"},"
                           "\"spec\":{" POD_TEMPLATE("{}", "Never") "}}");
  json_object *cur = NULL;

  (void)state;
  cp_strategy_jobs.prepare_create(&create_w, old);
  assert_int_equal(json_object_deep_copy(old, &cur, NULL), 0);
  cp_field_set(cur, "spec.completions", json_object_new_int(3));
  cp_field_set(cur, "spec.template.spec.containers",
               parse("[{\"name\":\"c\",\"image\":\"other\"}]"));
  cp_field_set(cur, "spec.selector.matchLabels.x", json_object_new_string("y"));
  assert_string_equal(
      errors_of(&cp_strategy_jobs, &update_w, cur, old),
      "spec.template.metadata.labels: Invalid value: "
      "map[string]string{\"batch.kubernetes.io/controller-uid\":\"u\", "
      "\"batch.kubernetes.io/job-name\":\"pi\", \"controller-uid\":\"u\", "
      "\"job-name\":\"pi\"}: `selector` does not match template `labels`; "
      "spec.selector: Invalid value: &LabelSelector{MatchLabels:"
      "map[string]string{batch.kubernetes.io/controller-uid: u,x: y,},"
      "MatchExpressions:[]LabelSelectorRequirement{},}: field is immutable; "
      "spec.completions: Invalid value: 3: field is immutable; "
      "spec.template: Invalid value: core.PodTemplateSpec{...}: field is "
      "immutable");
  json_object_put(old);
  json_object_put(cur);
}

/* ------------------------------------------------- apps: DS, STS, CR */

static void test_selector_checks(void **state) {
  json_object *ds = parse("{\"metadata\":{\"name\":\"d\"},\"spec\":{"
                          "\"selector\":{\"matchLabels\":{\"app\":\"a\"}},"
                          POD_TEMPLATE("{\"app\":\"b\"}", "Always") "}}");
  json_object *sts = parse(
      "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"selector\":{},"
      POD_TEMPLATE("{\"app\":\"b\"}", "Always") "}}");
  json_object *expr = parse(
      "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"selector\":{"
      "\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\","
      "\"values\":[\"a\",\"b\"]},{\"key\":\"x\",\"operator\":"
      "\"DoesNotExist\"}]}," POD_TEMPLATE("{\"app\":\"b\"}", "Always") "}}");

  (void)state;
  assert_string_equal(
      errors_of(&cp_strategy_daemonsets, &create_w, ds, NULL),
      "spec.template.metadata.labels: Invalid value: "
      "map[string]string{\"app\":\"b\"}: `selector` does not match "
      "template `labels`");
  assert_string_equal(
      errors_of(&cp_strategy_statefulsets, &create_w, sts, NULL),
      "spec.selector: Invalid value: &LabelSelector{MatchLabels:"
      "map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}: "
      "empty selector is invalid for statefulset");
  assert_string_equal(
      errors_of(&cp_strategy_statefulsets, &create_w, expr, NULL), "");
  cp_field_set(expr, "spec.template.metadata.labels.x",
               json_object_new_string("1"));
  assert_int_equal(cp_label_selector_matches(
                       cp_field_at(expr, "spec.selector"),
                       cp_field_at(expr, "spec.template.metadata.labels")),
                   0);
  json_object_put(ds);
  ds = parse("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":"
             "\"Bogus\"}]}");
  assert_int_equal(cp_label_selector_matches(ds, NULL), -1);
  json_object_put(ds);
  ds = parse("{\"metadata\":{\"name\":\"d\"},\"spec\":{\"selector\":{"
             "\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Bogus\"},"
             "{\"key\":\"b\",\"operator\":\"In\"},{\"key\":\"c\","
             "\"operator\":\"Exists\",\"values\":[\"x\"]}]},"
             POD_TEMPLATE("{}", "Always") "}}");
  assert_string_equal(
      errors_of(&cp_strategy_daemonsets, &create_w, ds, NULL),
      "spec.selector.matchExpressions[0].operator: Invalid value: "
      "\"Bogus\": not a valid selector operator; "
      "spec.selector.matchExpressions[1].values: Required value: must be "
      "specified when `operator` is 'In' or 'NotIn'; "
      "spec.selector.matchExpressions[2].values: Forbidden: may not be "
      "specified when `operator` is 'Exists' or 'DoesNotExist'");
  json_object_put(ds);
  json_object_put(sts);
  json_object_put(expr);
}

static void test_statefulset(void **state) {
  json_object *s = parse(
      "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"selector\":{"
      "\"matchLabels\":{\"app\":\"w\"}},\"serviceName\":\"web\","
      POD_TEMPLATE("{\"app\":\"w\"}", "Always") ",\"volumeClaimTemplates\":"
      "[{\"metadata\":{\"name\":\"data\"},\"spec\":{\"accessModes\":["
      "\"ReadWriteOnce\"]}}]}}");
  json_object *cur = NULL;

  (void)state;
  cp_strategy_statefulsets.prepare_create(&create_w, s);
  assert_int_equal(num(s, "spec.replicas"), 1);
  assert_string_equal(str(s, "spec.podManagementPolicy"), "OrderedReady");
  assert_string_equal(str(s, "spec.updateStrategy.type"), "RollingUpdate");
  assert_int_equal(num(s, "spec.updateStrategy.rollingUpdate.partition"), 0);
  assert_int_equal(num(s, "spec.revisionHistoryLimit"), 10);
  assert_string_equal(
      str(s, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted"),
      "Retain");
  assert_int_equal(num(s, "status.replicas"), 0);
  assert_int_equal(num(s, "status.availableReplicas"), 0);
  {
    json_object *c = json_object_array_get_idx(
        cp_field_at(s, "spec.volumeClaimTemplates"), 0);

    assert_string_equal(str(c, "kind"), "PersistentVolumeClaim");
    assert_string_equal(str(c, "spec.volumeMode"), "Filesystem");
    assert_string_equal(str(c, "status.phase"), "Pending");
  }
  assert_string_equal(errors_of(&cp_strategy_statefulsets, &create_w, s, NULL),
                      "");
  assert_int_equal(json_object_deep_copy(s, &cur, NULL), 0);
  cp_field_set(cur, "spec.replicas", json_object_new_int(5));
  assert_string_equal(
      errors_of(&cp_strategy_statefulsets, &update_w, cur, s), "");
  cp_field_set(cur, "spec.serviceName", json_object_new_string("other"));
  assert_string_equal(
      errors_of(&cp_strategy_statefulsets, &update_w, cur, s),
      "spec: Forbidden: updates to statefulset spec for fields other than "
      "'replicas', 'ordinals', 'template', 'updateStrategy', "
      "'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
      "'minReadySeconds' are forbidden");
  cp_field_set(cur, "spec.template.spec.restartPolicy",
               json_object_new_string("Never"));
  cp_field_set(cur, "spec.replicas", json_object_new_int(-1));
  assert_non_null(strstr(
      errors_of(&cp_strategy_statefulsets, &update_w, cur, s),
      "spec.replicas: Invalid value: -1: must be greater than or equal to "
      "0; spec.template.spec.restartPolicy: Unsupported value: \"Never\": "
      "supported values: \"Always\""));
  json_object_put(cur);
  json_object_put(s);
}

static void test_daemonset(void **state) {
  json_object *d = parse(
      "{\"metadata\":{\"name\":\"fluentd\"},\"spec\":{\"selector\":{"
      "\"matchLabels\":{\"app\":\"f\"}}," POD_TEMPLATE("{\"app\":\"f\"}",
                                                       "Always") "}}");
  json_object *cur = NULL, *cells = json_object_new_array();

  (void)state;
  cp_strategy_daemonsets.prepare_create(&create_w, d);
  assert_string_equal(str(d, "spec.updateStrategy.type"), "RollingUpdate");
  assert_int_equal(num(d, "spec.updateStrategy.rollingUpdate.maxUnavailable"),
                   1);
  assert_int_equal(num(d, "spec.updateStrategy.rollingUpdate.maxSurge"), 0);
  assert_int_equal(num(d, "spec.revisionHistoryLimit"), 10);
  assert_int_equal(num(d, "status.numberReady"), 0);
  {
    json_object *ann = cp_field_at(d, "metadata.annotations"), *v = NULL;

    assert_true(json_object_object_get_ex(
        ann, "deprecated.daemonset.template.generation", &v));
    assert_string_equal(json_object_get_string(v), "1");
  }
  assert_int_equal(json_object_deep_copy(d, &cur, NULL), 0);
  cp_field_set(cur, "spec.template.spec.containers",
               parse("[{\"name\":\"c\",\"image\":\"fluentd:2\"}]"));
  cp_strategy_daemonsets.prepare_update(&update_w, cur, d);
  {
    json_object *ann = cp_field_at(cur, "metadata.annotations"), *v = NULL;

    assert_true(json_object_object_get_ex(
        ann, "deprecated.daemonset.template.generation", &v));
    assert_string_equal(json_object_get_string(v), "2");
  }
  cp_field_set(cur, "metadata.creationTimestamp",
               json_object_new_string("2026-11-25T13:00:00Z"));
  cp_field_set(cur, "spec.template.spec.nodeSelector",
               parse("{\"disk\":\"ssd\",\"arch\":\"arm64\"}"));
  cp_field_set(cur, "status.desiredNumberScheduled", json_object_new_int(3));
  assert_int_equal(cp_strategy_daemonsets.n_columns, 11);
  cp_strategy_daemonsets.cells(cur, NOW, cells);
  assert_int_equal(json_object_array_length(cells), 11);
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 0)), "fluentd");
  assert_int_equal(json_object_get_int(json_object_array_get_idx(cells, 1)),
                   3);
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 6)),
      "arch=arm64,disk=ssd");
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 7)), "60m");
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 9)),
      "fluentd:2");
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 10)), "app=f");
  json_object_put(cells);
  json_object_put(cur);
  json_object_put(d);
}

static void test_controller_revision(void **state) {
  json_object *r = parse(
      "{\"metadata\":{\"name\":\"web-1\",\"creationTimestamp\":"
      "\"2026-11-25T13:59:00Z\",\"ownerReferences\":[{\"apiVersion\":"
      "\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"web\",\"uid\":\"u\","
      "\"controller\":true}]},\"revision\":2,\"data\":{\"a\":1}}");
  json_object *cur = NULL, *cells = json_object_new_array();

  (void)state;
  assert_string_equal(
      errors_of(&cp_strategy_controllerrevisions, &create_w, r, NULL), "");
  assert_int_equal(json_object_deep_copy(r, &cur, NULL), 0);
  cp_field_set(cur, "data.a", json_object_new_int(2));
  cp_field_set(cur, "revision", json_object_new_int(-1));
  assert_string_equal(
      errors_of(&cp_strategy_controllerrevisions, &update_w, cur, r),
      "revision: Invalid value: -1: must be greater than or equal to 0; "
      "data: Invalid value: runtime.RawExtension{...}: field is immutable");
  cp_strategy_controllerrevisions.cells(r, NOW, cells);
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 1)),
      "statefulset.apps/web");
  assert_int_equal(json_object_get_int(json_object_array_get_idx(cells, 2)),
                   2);
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 3)), "60s");
  json_object_put(cells);
  json_object_put(cur);
  json_object_put(r);
}

/* ------------------------------------------------------------ CronJob */

static void test_cronjob(void **state) {
  json_object *c = parse(
      "{\"metadata\":{\"name\":\"hello\"},\"spec\":{\"schedule\":"
      "\"*/1 * * * *\",\"jobTemplate\":{\"spec\":{" POD_TEMPLATE(
          "{}", "OnFailure") "}}}}");
  json_object *cells = json_object_new_array();

  (void)state;
  cp_strategy_cronjobs.prepare_create(&create_w, c);
  assert_string_equal(str(c, "spec.concurrencyPolicy"), "Allow");
  assert_int_equal(num(c, "spec.successfulJobsHistoryLimit"), 3);
  assert_int_equal(num(c, "spec.failedJobsHistoryLimit"), 1);
  assert_string_equal(errors_of(&cp_strategy_cronjobs, &create_w, c, NULL),
                      "");
  cp_strategy_cronjobs.cells(c, NOW, cells);
  assert_int_equal(json_object_array_length(cells),
                   cp_strategy_cronjobs.n_columns);
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 1)),
      "*/1 * * * *");
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 2)), "<none>");
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 3)), "False");
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 9)), "<none>");
  cp_field_set(c, "spec.schedule", json_object_new_string("bad"));
  cp_field_set(c, "spec.timeZone", json_object_new_string("Mars/Olympus"));
  cp_field_set(c, "metadata.name",
               json_object_new_string(
                   "a-name-that-is-far-too-long-for-a-cronjob-because-jobs"));
  cp_field_set(c, "spec.jobTemplate.spec.template.spec.restartPolicy",
               json_object_new_string("Always"));
  assert_string_equal(
      errors_of(&cp_strategy_cronjobs, &create_w, c, NULL),
      "metadata.name: Invalid value: "
      "\"a-name-that-is-far-too-long-for-a-cronjob-because-jobs\": must be "
      "no more than 52 characters; spec.schedule: Invalid value: \"bad\": "
      "expected exactly 5 fields, found 1: [bad]; spec.timeZone: Invalid "
      "value: \"Mars/Olympus\": unknown time zone Mars/Olympus; "
      "spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported "
      "value: \"Always\": supported values: \"OnFailure\", \"Never\"");
  json_object_put(cells);
  json_object_put(c);
}

/* The API server's schedule check: the SDK's parser, result dropped. */
static int parse_cron(const char *s, char *why, size_t len) {
  struct cplane_cron c;

  return cplane_cron_parse(s, &c, why, len);
}

static void test_cron_parser(void **state) {
  char why[256];

  (void)state;
  assert_int_equal(parse_cron("0 0 * * 0", why, sizeof why), 0);
  assert_int_equal(parse_cron("@hourly", why, sizeof why), 0);
  assert_int_equal(parse_cron("@every 1h30m", why, sizeof why), 0);
  assert_int_equal(
      parse_cron("*/15 9-17 1,15 jan-jun MON-FRI", why, sizeof why), 0);
  assert_int_equal(parse_cron("61 * * * *", why, sizeof why), -1);
  assert_string_equal(why, "end of range (61) above maximum (59): 61");
  assert_int_equal(parse_cron("* * 0 * *", why, sizeof why), -1);
  assert_string_equal(why, "beginning of range (0) below minimum (1): 0");
  assert_int_equal(parse_cron("5-2 * * * *", why, sizeof why),
                   -1);
  assert_string_equal(why,
                      "beginning of range (5) beyond end of range (2): 5-2");
  assert_int_equal(parse_cron("* * * *", why, sizeof why), -1);
  assert_string_equal(why, "expected exactly 5 fields, found 4: [* * * *]");
  assert_int_equal(parse_cron("@sometimes", why, sizeof why), -1);
  assert_int_equal(parse_cron("x * * * *", why, sizeof why), -1);
  assert_string_equal(why, "failed to parse int from x: strconv.Atoi: "
                           "parsing \"x\": invalid syntax");
}

/* ------------------------------------------------------------ PDB */

static void test_pdb(void **state) {
  json_object *p = parse("{\"metadata\":{\"name\":\"db\"},\"spec\":{"
                         "\"minAvailable\":\"50%\",\"selector\":{"
                         "\"matchLabels\":{\"app\":\"db\"}}}}");
  json_object *cells = json_object_new_array();

  (void)state;
  cp_strategy_poddisruptionbudgets.prepare_create(&create_w, p);
  assert_int_equal(num(p, "status.expectedPods"), 0);
  assert_int_equal(num(p, "status.disruptionsAllowed"), 0);
  assert_string_equal(
      errors_of(&cp_strategy_poddisruptionbudgets, &create_w, p, NULL), "");
  cp_strategy_poddisruptionbudgets.cells(p, NOW, cells);
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 1)), "50%");
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 2)), "N/A");
  cp_field_set(p, "spec.maxUnavailable", json_object_new_int(-1));
  cp_field_set(p, "spec.minAvailable", json_object_new_string("150%"));
  assert_string_equal(
      errors_of(&cp_strategy_poddisruptionbudgets, &create_w, p, NULL),
      "spec: Invalid value: policy.PodDisruptionBudgetSpec{...}: "
      "minAvailable and maxUnavailable cannot be both set; "
      "spec.minAvailable: Invalid value: \"150%\": must not be greater "
      "than 100%; spec.maxUnavailable: Invalid value: -1: must be greater "
      "than or equal to 0");
  json_object_put(cells);
  json_object_put(p);
}

/* ------------------------------------------------------------ HPA */

static void test_hpa_defaults_and_cells(void **state) {
  json_object *h = parse(
      "{\"apiVersion\":\"autoscaling/v2\",\"metadata\":{\"name\":\"web\"},"
      "\"spec\":{\"scaleTargetRef\":{\"kind\":\"Deployment\",\"name\":"
      "\"web\"},\"maxReplicas\":5,\"behavior\":{\"scaleDown\":{}}}}");
  json_object *cells = json_object_new_array();

  (void)state;
  cp_strategy_horizontalpodautoscalers.prepare_create(&create_w, h);
  assert_int_equal(num(h, "spec.minReplicas"), 1);
  assert_int_equal(
      num(json_object_array_get_idx(cp_field_at(h, "spec.metrics"), 0),
          "resource.target.averageUtilization"),
      80);
  assert_int_equal(num(h, "spec.behavior.scaleDown.stabilizationWindowSeconds"),
                   300);
  assert_int_equal(num(h, "spec.behavior.scaleUp.stabilizationWindowSeconds"),
                   0);
  assert_int_equal(json_object_array_length(
                       cp_field_at(h, "spec.behavior.scaleUp.policies")),
                   2);
  assert_int_equal(num(h, "status.desiredReplicas"), 0);
  assert_null(cp_field_at(h, "status.currentReplicas"));
  cp_strategy_horizontalpodautoscalers.cells(h, NOW, cells);
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 1)),
      "Deployment/web");
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 2)),
      "cpu: <unknown>/80%");
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(cells, 3)), "1");
  assert_string_equal(
      errors_of(&cp_strategy_horizontalpodautoscalers, &create_w, h, NULL),
      "");
  cp_field_set(h, "spec.minReplicas", json_object_new_int(6));
  json_object_object_del(cp_field_at(h, "spec.scaleTargetRef"), "name");
  assert_string_equal(
      errors_of(&cp_strategy_horizontalpodautoscalers, &create_w, h, NULL),
      "spec.scaleTargetRef.name: Required value; spec.maxReplicas: Invalid "
      "value: 5: must be greater than or equal to `minReplicas`");
  cp_field_set(h, "spec.minReplicas", json_object_new_int(1));
  cp_field_set(h, "spec.scaleTargetRef.name", json_object_new_string("web"));
  cp_field_set(h, "spec.metrics",
               parse("[{\"type\":\"Resource\",\"resource\":{\"name\":"
                     "\"cpu\",\"target\":{\"type\":\"Percent\","
                     "\"averageUtilization\":0}},\"pods\":{}},{\"type\":"
                     "\"Pods\"},{\"type\":\"Gauge\"}]"));
  assert_string_equal(
      errors_of(&cp_strategy_horizontalpodautoscalers, &create_w, h, NULL),
      "spec.metrics[0].pods: Forbidden: must populate the given metric "
      "source only; spec.metrics[0].resource.target.type: Invalid value: "
      "\"Percent\": must be either Utilization, Value, or AverageValue; "
      "spec.metrics[0].resource.target.averageUtilization: Invalid value: "
      "0: must be greater than 0; spec.metrics[1].pods: Required value: "
      "must populate information for the given metric source; "
      "spec.metrics[2].type: Unsupported value: \"Gauge\": supported "
      "values: \"ContainerResource\", \"External\", \"Object\", "
      "\"Pods\", \"Resource\"");
  json_object_put(cells);
  json_object_put(h);
}

static void test_hpa_conversion(void **state) {
  json_object *h = parse(
      "{\"apiVersion\":\"autoscaling/v2\",\"kind\":\"HorizontalPodAutoscaler\","
      "\"metadata\":{\"name\":\"web\"},\"spec\":{\"scaleTargetRef\":{"
      "\"kind\":\"Deployment\",\"name\":\"web\"},\"minReplicas\":1,"
      "\"maxReplicas\":5,\"metrics\":[{\"type\":\"Resource\",\"resource\":{"
      "\"name\":\"cpu\",\"target\":{\"type\":\"Utilization\","
      "\"averageUtilization\":60}}},{\"type\":\"Pods\",\"pods\":{\"metric\":"
      "{\"name\":\"qps\"},\"target\":{\"type\":\"AverageValue\","
      "\"averageValue\":\"10\"}}}],\"behavior\":{\"scaleUp\":{"
      "\"selectPolicy\":\"Max\"}}},\"status\":{\"desiredReplicas\":2,"
      "\"currentReplicas\":2,\"currentMetrics\":[{\"type\":\"Resource\","
      "\"resource\":{\"name\":\"cpu\",\"current\":{\"averageUtilization\":"
      "40}}}],\"conditions\":[{\"type\":\"AbleToScale\",\"status\":"
      "\"True\"}]}}");
  json_object *orig = NULL, *ann;
  json_object *v = NULL;

  (void)state;
  assert_int_equal(json_object_deep_copy(h, &orig, NULL), 0);
  assert_int_equal(cp_hpa_convert(h, "v1"), 0);
  assert_string_equal(str(h, "apiVersion"), "autoscaling/v1");
  assert_int_equal(num(h, "spec.targetCPUUtilizationPercentage"), 60);
  assert_int_equal(num(h, "status.currentCPUUtilizationPercentage"), 40);
  assert_null(cp_field_at(h, "spec.metrics"));
  assert_null(cp_field_at(h, "spec.behavior"));
  assert_null(cp_field_at(h, "status.conditions"));
  ann = cp_field_at(h, "metadata.annotations");
  assert_true(json_object_object_get_ex(
      ann, "autoscaling.alpha.kubernetes.io/metrics", &v));
  assert_string_equal(json_object_get_string(v),
                      "[{\"type\":\"Pods\",\"pods\":{\"metricName\":\"qps\","
                      "\"targetAverageValue\":\"10\"}}]");
  assert_true(json_object_object_get_ex(
      ann, "autoscaling.alpha.kubernetes.io/behavior", &v));
  assert_string_equal(json_object_get_string(v),
                      "{\"ScaleUp\":{\"SelectPolicy\":\"Max\"}}");
  assert_true(json_object_object_get_ex(
      ann, "autoscaling.alpha.kubernetes.io/current-metrics", &v));
  assert_true(json_object_object_get_ex(
      ann, "autoscaling.alpha.kubernetes.io/conditions", &v));
  /* And back: the same v2 object, the annotations gone. */
  assert_int_equal(cp_hpa_convert(h, "v2"), 0);
  assert_string_equal(str(h, "apiVersion"), "autoscaling/v2");
  assert_int_equal(json_object_object_length(
                       cp_field_at(h, "metadata.annotations")),
                   0);
  /* As kube: the metrics from the annotation first, then the CPU one. */
  assert_string_equal(
      str(json_object_array_get_idx(cp_field_at(h, "spec.metrics"), 0),
          "type"),
      "Pods");
  assert_true(json_object_equal(
      json_object_array_get_idx(cp_field_at(h, "spec.metrics"), 1),
      json_object_array_get_idx(cp_field_at(orig, "spec.metrics"), 0)));
  assert_true(json_object_equal(cp_field_at(h, "spec.behavior"),
                                cp_field_at(orig, "spec.behavior")));
  assert_int_equal(json_object_array_length(
                       cp_field_at(h, "status.currentMetrics")),
                   1);
  assert_int_equal(num(json_object_array_get_idx(
                           cp_field_at(h, "status.currentMetrics"), 0),
                       "resource.current.averageUtilization"),
                   40);
  assert_non_null(cp_field_at(h, "status.conditions"));
  assert_int_equal(cp_hpa_convert(h, "v3"), -1);
  json_object_put(h);
  json_object_put(orig);

  /* A v1 object without a target gets v2's CPU 80% default. */
  h = parse("{\"apiVersion\":\"autoscaling/v1\",\"metadata\":{\"name\":"
            "\"a\",\"annotations\":{\"autoscaling.alpha.kubernetes.io/"
            "metrics\":\"not json\"}},\"spec\":{\"maxReplicas\":2}}");
  assert_int_equal(cp_hpa_convert(h, "v2"), 0);
  assert_int_equal(
      num(json_object_array_get_idx(cp_field_at(h, "spec.metrics"), 0),
          "resource.target.averageUtilization"),
      80);
  json_object_put(h);
}

/* Every metric source type survives v2 -> v1 (annotations) -> v2: the
 * one table drives both directions. */
static void test_hpa_table_round_trip(void **state) {
  json_object *h = parse(
      "{\"apiVersion\":\"autoscaling/v2\",\"kind\":\"HorizontalPodAutoscaler\","
      "\"metadata\":{\"name\":\"web\"},\"spec\":{\"maxReplicas\":5,"
      "\"metrics\":["
      "{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\",\"target\":"
      "{\"type\":\"AverageValue\",\"averageValue\":\"1Gi\"}}},"
      "{\"type\":\"ContainerResource\",\"containerResource\":{\"name\":"
      "\"cpu\",\"container\":\"app\",\"target\":{\"type\":\"Utilization\","
      "\"averageUtilization\":50}}},"
      "{\"type\":\"Pods\",\"pods\":{\"metric\":{\"name\":\"qps\",\"selector\":"
      "{\"matchLabels\":{\"a\":\"b\"}}},\"target\":{\"type\":"
      "\"AverageValue\",\"averageValue\":\"10\"}}},"
      "{\"type\":\"Object\",\"object\":{\"describedObject\":{\"kind\":"
      "\"Ingress\",\"name\":\"main\"},\"metric\":{\"name\":\"rps\"},"
      "\"target\":{\"type\":\"Value\",\"value\":\"2k\"}}},"
      "{\"type\":\"External\",\"external\":{\"metric\":{\"name\":\"queue\"},"
      "\"target\":{\"type\":\"AverageValue\",\"averageValue\":\"30\"}}}]},"
      "\"status\":{\"desiredReplicas\":2,\"currentReplicas\":2,"
      "\"currentMetrics\":["
      "{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\",\"current\":"
      "{\"averageUtilization\":70,\"averageValue\":\"700Mi\"}}},"
      "{\"type\":\"Pods\",\"pods\":{\"metric\":{\"name\":\"qps\"},\"current\":"
      "{\"averageValue\":\"9\"}}},"
      "{\"type\":\"Object\",\"object\":{\"describedObject\":{\"kind\":"
      "\"Ingress\",\"name\":\"main\"},\"metric\":{\"name\":\"rps\"},"
      "\"current\":{\"value\":\"1k\",\"averageValue\":\"500\"}}},"
      "{\"type\":\"External\",\"external\":{\"metric\":{\"name\":\"queue\"},"
      "\"current\":{\"value\":\"3\",\"averageValue\":\"1\"}}}]}}");
  json_object *orig = NULL, *v = NULL;

  (void)state;
  assert_int_equal(json_object_deep_copy(h, &orig, NULL), 0);
  assert_int_equal(cp_hpa_convert(h, "v1"), 0);
  assert_true(json_object_object_get_ex(
      cp_field_at(h, "metadata.annotations"),
      "autoscaling.alpha.kubernetes.io/metrics", &v));
  assert_string_equal(
      json_object_get_string(v),
      "[{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\","
      "\"targetAverageValue\":\"1Gi\"}},"
      "{\"type\":\"ContainerResource\",\"containerResource\":{\"name\":"
      "\"cpu\",\"container\":\"app\",\"targetAverageUtilization\":50}},"
      "{\"type\":\"Pods\",\"pods\":{\"metricName\":\"qps\","
      "\"targetAverageValue\":\"10\",\"selector\":{\"matchLabels\":{\"a\":"
      "\"b\"}}}},"
      "{\"type\":\"Object\",\"object\":{\"target\":{\"kind\":\"Ingress\","
      "\"name\":\"main\"},\"metricName\":\"rps\",\"targetValue\":\"2k\"}},"
      "{\"type\":\"External\",\"external\":{\"metricName\":\"queue\","
      "\"targetAverageValue\":\"30\"}}]");
  assert_int_equal(cp_hpa_convert(h, "v2"), 0);
  assert_true(json_object_equal(cp_field_at(h, "spec.metrics"),
                                cp_field_at(orig, "spec.metrics")));
  assert_true(json_object_equal(cp_field_at(h, "status.currentMetrics"),
                                cp_field_at(orig, "status.currentMetrics")));
  json_object_put(h);
  json_object_put(orig);
}

/* ------------------------------------------------ PriorityClass, RC */

static void test_priority_class_validation(void **state) {
  json_object *pc = parse("{\"metadata\":{\"name\":\"system-custom\"},"
                          "\"value\":5}");
  json_object *cur = NULL;

  (void)state;
  cp_strategy_priorityclasses.prepare_create(&create_w, pc);
  assert_string_equal(str(pc, "preemptionPolicy"), "PreemptLowerPriority");
  assert_string_equal(
      errors_of(&cp_strategy_priorityclasses, &create_w, pc, NULL),
      "metadata.name: Forbidden: priority class names with 'system-' "
      "prefix are reserved for system use only. error: system-custom is "
      "not a known system priority class");
  cp_field_set(pc, "metadata.name",
               json_object_new_string("system-node-critical"));
  assert_string_equal(
      errors_of(&cp_strategy_priorityclasses, &create_w, pc, NULL),
      "metadata.name: Forbidden: priority class names with 'system-' "
      "prefix are reserved for system use only. error: value of "
      "system-node-critical PriorityClass must be 2000001000");
  cp_field_set(pc, "metadata.name", json_object_new_string("gold"));
  cp_field_set(pc, "value", json_object_new_int(2000000000));
  assert_string_equal(
      errors_of(&cp_strategy_priorityclasses, &create_w, pc, NULL),
      "value: Forbidden: maximum allowed value of a user defined priority "
      "is 1000000000");
  cp_field_set(pc, "value", json_object_new_int(1000));
  assert_int_equal(json_object_deep_copy(pc, &cur, NULL), 0);
  cp_field_set(cur, "value", json_object_new_int(1001));
  cp_field_set(cur, "preemptionPolicy", json_object_new_string("Never"));
  assert_string_equal(
      errors_of(&cp_strategy_priorityclasses, &update_w, cur, pc),
      "value: Forbidden: may not be changed in an update.; "
      "preemptionPolicy: Invalid value: \"Never\": field is immutable");
  json_object_put(cur);
  json_object_put(pc);
}

static void test_runtime_class(void **state) {
  json_object *rc = parse("{\"metadata\":{\"name\":\"gvisor\"},"
                          "\"handler\":\"runsc\"}");
  json_object *cur = NULL;

  (void)state;
  assert_string_equal(
      errors_of(&cp_strategy_runtimeclasses, &create_w, rc, NULL), "");
  assert_int_equal(json_object_deep_copy(rc, &cur, NULL), 0);
  cp_field_set(cur, "handler", json_object_new_string("Run_SC"));
  assert_string_equal(
      errors_of(&cp_strategy_runtimeclasses, &update_w, cur, rc),
      "handler: Invalid value: \"Run_SC\": a lowercase RFC 1123 label must "
      "consist of lower case alphanumeric characters or '-', and must "
      "start and end with an alphanumeric character (e.g. 'my-name',  or "
      "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*"
      "[a-z0-9])?'); handler: Invalid value: \"Run_SC\": field is "
      "immutable");
  json_object_put(cur);
  json_object_put(rc);
}

static void test_categories(void **state) {
  static const struct cp_resource_type jobs = {
      "batch", "v1", "jobs", "job", "Job", "JobList", 1, {NULL}, 0, 1};
  static const struct cp_resource_type pdbs = {
      "policy", "v1", "poddisruptionbudgets", "poddisruptionbudget",
      "PodDisruptionBudget", "PodDisruptionBudgetList", 1, {NULL}, 0, 1};
  static const struct cp_resource_type hpa1 = {
      "autoscaling", "v1", "horizontalpodautoscalers",
      "horizontalpodautoscaler", "HorizontalPodAutoscaler",
      "HorizontalPodAutoscalerList", 1, {NULL}, 0, 1};

  (void)state;
  assert_true(cp_strategy_in_category(&jobs, "all"));
  assert_false(cp_strategy_in_category(&pdbs, "all"));
  assert_true(cp_strategy_in_category(&hpa1, "all"));
  assert_true(cp_strategy_field_label_ok(&jobs, "status.successful"));
  assert_false(cp_strategy_field_label_ok(&pdbs, "status.successful"));
  assert_ptr_equal(cp_strategy_for(&hpa1),
                   &cp_strategy_horizontalpodautoscalers);
}

/* ------------------------------------- through the API, in-process */

/* Admission through its caches, as the server runs: the priority tests
 * below also check that a PriorityClass write is seen at once. */
static int setup(void **state) {
  return api_fixture_setup_tagged(state, "cp-kw", 1);
}

static int teardown(void **state) { return api_fixture_teardown(state); }

static struct cp_api_response call(struct api_fixture *f, enum cp_api_method m,
                                   const char *path, const char *body) {
  return api_fixture_call(f, m, path, API_FIXTURE_JSON, body);
}

#define PCS "/apis/scheduling.k8s.io/v1/priorityclasses"

static void post_class(struct api_fixture *f, const char *name, int value,
                       int global, int want) {
  char body[256];
  struct cp_api_response rs;

  snprintf(body, sizeof body,
           "{\"apiVersion\":\"scheduling.k8s.io/v1\",\"kind\":"
           "\"PriorityClass\",\"metadata\":{\"name\":\"%s\"},\"value\":%d,"
           "\"globalDefault\":%s}",
           name, value, global ? "true" : "false");
  rs = call(f, CP_API_POST, PCS, body);
  if (rs.code != want)
    fail_msg("%s: %d %s", name, rs.code, rs.body);
  free(rs.body);
}

static const struct cp_resource_type pods_type = {
    "", "v1", "pods", "pod", "Pod", "PodList", 1, {NULL}, 0, 1};

/* Runs the Priority admission on a pod; returns the code (0: admitted)
 * and leaves the pod as admission made it. */
static int admit_pod(struct api_fixture *f, json_object *pod, char **body) {
  struct cp_api_request rq = {0};
  struct cp_api_response rs = {0};
  struct cp_strategy_write w = {CP_OP_CREATE, NULL, 0, &f->ctx, &rq};
  int rc;

  rq.type = &pods_type;
  rc = cp_pod_priority_admit(&w, pod, NULL, &rs) < 0 ? rs.code : 0;
  if (body != NULL)
    *body = rs.body;
  else
    free(rs.body);
  return rc;
}

static void test_pod_priority(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  json_object *pod;
  char *body = NULL;

  cp_priority_class_bootstrap(&f->ctx);
  /* No default class: priority 0, PreemptLowerPriority, no class. */
  pod = parse("{\"metadata\":{\"name\":\"p\"},\"spec\":{}}");
  assert_int_equal(admit_pod(f, pod, NULL), 0);
  assert_int_equal(num(pod, "spec.priority"), 0);
  assert_string_equal(str(pod, "spec.preemptionPolicy"),
                      "PreemptLowerPriority");
  assert_null(cp_field_at(pod, "spec.priorityClassName"));
  json_object_put(pod);

  pod = parse("{\"metadata\":{\"name\":\"p\"},\"spec\":{"
              "\"priorityClassName\":\"system-node-critical\"}}");
  assert_int_equal(admit_pod(f, pod, NULL), 0);
  assert_int_equal(num(pod, "spec.priority"), 2000001000);
  json_object_put(pod);

  pod = parse("{\"metadata\":{\"name\":\"web\"},\"spec\":{"
              "\"priorityClassName\":\"gold\"}}");
  assert_int_equal(admit_pod(f, pod, &body), 403);
  assert_non_null(strstr(body, "pods \\\"web\\\" is forbidden: no "
                               "PriorityClass with name gold was found"));
  free(body);
  json_object_put(pod);

  /* A default class applies; a second default is refused. */
  post_class(f, "low", 100, 1, 201);
  post_class(f, "high", 200, 1, 403);
  post_class(f, "gold", 1000, 0, 201);
  pod = parse("{\"metadata\":{\"name\":\"p\"},\"spec\":{}}");
  assert_int_equal(admit_pod(f, pod, NULL), 0);
  assert_int_equal(num(pod, "spec.priority"), 100);
  assert_string_equal(str(pod, "spec.priorityClassName"), "low");
  json_object_put(pod);

  pod = parse("{\"metadata\":{\"name\":\"p\"},\"spec\":{"
              "\"priorityClassName\":\"gold\",\"priority\":5}}");
  assert_int_equal(admit_pod(f, pod, &body), 403);
  assert_non_null(strstr(body, "the integer value of priority (5) must not "
                               "be provided in pod spec; priority admission "
                               "controller computed 1000 from the given "
                               "PriorityClass name"));
  free(body);
  json_object_put(pod);

  /* A deleted class is gone for the next pod at once (the admission
   * cache is dropped around every class write). */
  rs = call(f, CP_API_DELETE, PCS "/gold", NULL);
  assert_int_equal(rs.code, 200);
  free(rs.body);
  pod = parse("{\"metadata\":{\"name\":\"web\"},\"spec\":{"
              "\"priorityClassName\":\"gold\"}}");
  assert_int_equal(admit_pod(f, pod, &body), 403);
  free(body);
  json_object_put(pod);
}

static void test_system_classes(void **state) {
  struct api_fixture *f = *state;
  struct cp_priority_class pc;
  struct cp_api_response rs;
  json_object *o;

  cp_priority_class_bootstrap(&f->ctx);
  cp_priority_class_bootstrap(&f->ctx); /* a second start: no change */
  assert_int_equal(cp_priority_class_get(&f->ctx, "system-cluster-critical",
                                         &pc),
                   1);
  assert_int_equal(pc.value, 2000000000);
  assert_string_equal(pc.preemption_policy, "PreemptLowerPriority");
  assert_int_equal(cp_priority_class_get(&f->ctx, "nope", &pc), 0);
  /* A system class's value cannot change. */
  rs = call(f, CP_API_GET, PCS "/system-node-critical", NULL);
  assert_int_equal(rs.code, 200);
  o = parse(rs.body);
  free(rs.body);
  cp_field_set(o, "value", json_object_new_int(7));
  rs = call(f, CP_API_PUT, PCS "/system-node-critical",
            json_object_to_json_string(o));
  assert_int_equal(rs.code, 422);
  assert_non_null(strstr(rs.body, "may not be changed in an update."));
  free(rs.body);
  /* Nor be deleted (the hook the verbs call before a delete). */
  memset(&rs, 0, sizeof rs);
  assert_int_equal(cp_strategy_priorityclasses.admit_delete(
                       &f->ctx, NULL, o, &rs),
                   -1);
  assert_int_equal(rs.code, 403);
  assert_non_null(strstr(rs.body,
                         "priorityclasses.scheduling.k8s.io "
                         "\\\"system-node-critical\\\" is forbidden: this is "
                         "a system priority class and cannot be deleted"));
  free(rs.body);
  json_object_put(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_job_defaults_and_selector),
      cmocka_unit_test(test_job_invalid),
      cmocka_unit_test(test_job_update),
      cmocka_unit_test(test_selector_checks),
      cmocka_unit_test(test_statefulset),
      cmocka_unit_test(test_daemonset),
      cmocka_unit_test(test_controller_revision),
      cmocka_unit_test(test_cronjob),
      cmocka_unit_test(test_cron_parser),
      cmocka_unit_test(test_pdb),
      cmocka_unit_test(test_hpa_defaults_and_cells),
      cmocka_unit_test(test_hpa_conversion),
      cmocka_unit_test(test_hpa_table_round_trip),
      cmocka_unit_test(test_priority_class_validation),
      cmocka_unit_test(test_runtime_class),
      cmocka_unit_test(test_categories),
      cmocka_unit_test_setup_teardown(test_pod_priority, setup, teardown),
      cmocka_unit_test_setup_teardown(test_system_classes, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
