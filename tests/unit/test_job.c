/*
 * test_job - the job plugin's pure modules: completion index sets
 * ("1,3-5"), the failed pods' exponential back-off, podFailurePolicy
 * matching and kube's messages, the spec reader's type checks, the pod
 * body of an Indexed Job, the expectations, and the own-writes table
 * (resourceVersions ordered as numbers). Objects come from the
 * host's own object code through cp_host_api(), as the plugin sees them.
 * The whole controller is tested on the kit in test_kit_job.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"
#include "plugin_objects.h"

#include "backoff.h"
#include <cplane/expectations.h>
#include "failurepolicy.h"
#include "indexes.h"
#include "ownwrites.h"
#include "podtemplate.h"
#include "spec.h"
#include "successpolicy.h"

static const struct cplane_host_api *api;

static const cplane_object *obj(const char *json) {
  return plugin_obj(api, json);
}

static void test_indexes(void **state) {
  unsigned char set[10] = {0};
  char *s;

  (void)state;
  assert_int_equal(job_indexes_parse("1,3-5,9", set, 10), 5);
  s = job_indexes_format(set, 10);
  assert_string_equal(s, "1,3-5,9");
  free(s);
  /* Past completions: ignored, as kube does after a shrink. */
  memset(set, 0, sizeof set);
  assert_int_equal(job_indexes_parse("0-2,8-12", set, 10), 5);
  s = job_indexes_format(set, 10);
  assert_string_equal(s, "0-2,8-9");
  free(s);
  assert_int_equal(job_indexes_count(set, 10), 5);
  /* Malformed text never marks beyond what it read. */
  memset(set, 0, sizeof set);
  assert_int_equal(job_indexes_parse("1,x", set, 10), -1);
  assert_int_equal(job_indexes_parse("5-3", set, 10), -1);
  assert_int_equal(job_indexes_parse("99999999999", set, 10), -1);
  assert_int_equal(job_indexes_parse("", set, 10), 0);
  s = job_indexes_format((unsigned char[3]){0, 0, 0}, 3);
  assert_string_equal(s, "");
  free(s);
  assert_int_equal(job_index_value("3", 10), 3);
  assert_int_equal(job_index_value("03", 10), -1);
  assert_int_equal(job_index_value("10", 10), -1);
  assert_int_equal(job_index_value("-1", 10), -1);
  assert_int_equal(job_index_value(NULL, 10), -1);
}

static void test_backoff(void **state) {
  struct job_backoff b = {0, 0, 0};

  (void)state;
  assert_int_equal(job_backoff_remaining_ms(&b, 1000, 10000, 360000), 0);
  job_backoff_add(&b, 1, 1000); /* one failure: 10 s from it */
  assert_int_equal(job_backoff_remaining_ms(&b, 1000, 10000, 360000), 10000);
  assert_int_equal(job_backoff_remaining_ms(&b, 6000, 10000, 360000), 5000);
  job_backoff_add(&b, 1, 2000); /* two: 20 s from the last */
  assert_int_equal(job_backoff_remaining_ms(&b, 2000, 10000, 360000), 20000);
  for (int i = 0; i < 10; i++)
    job_backoff_add(&b, 1, 3000);
  /* capped at six minutes */
  assert_int_equal(job_backoff_remaining_ms(&b, 3000, 10000, 360000), 360000);
  /* A success after them forgives them (successes are added first). */
  b = (struct job_backoff){0, 0, 0};
  job_backoff_add(&b, 0, 5000);
  job_backoff_add(&b, 1, 4000);
  assert_int_equal(job_backoff_remaining_ms(&b, 5000, 10000, 360000), 0);
  job_backoff_add(&b, 1, 6000);
  assert_int_equal(job_backoff_remaining_ms(&b, 6000, 10000, 360000), 10000);
}

#define POLICY_JOB                                                           \
  "{'metadata':{'name':'j','namespace':'default'},'spec':{"                  \
  "'podFailurePolicy':{'rules':["                                            \
  "{'action':'Ignore','onPodConditions':[{'type':'DisruptionTarget'}]},"     \
  "{'action':'FailJob','onExitCodes':{'containerName':'main',"               \
  "'operator':'In','values':[42]}},"                                         \
  "{'action':'Count','onExitCodes':{'operator':'NotIn','values':[1,2]}}]}}}"

static const cplane_object *failed_pod(const char *name, int code,
                                       const char *cond) {
  char json[1024];

  snprintf(json, sizeof json,
           "{'metadata':{'name':'%s','namespace':'default'},'status':{"
           "'phase':'Failed','conditions':[%s],'containerStatuses':[{'name':"
           "'main','state':{'terminated':{'exitCode':%d}}}]}}",
           name, cond, code);
  return obj(json);
}

static void test_failure_policy(void **state) {
  const cplane_object *job = obj(POLICY_JOB), *p;
  char msg[256];

  (void)state;
  p = failed_pod("p1", 42, "");
  assert_int_equal(job_policy_match(api, job, p, msg, sizeof msg),
                   JOB_POLICY_FAIL_JOB);
  assert_string_equal(msg, "Container main for pod default/p1 failed with "
                           "exit code 42 matching FailJob rule at index 1");
  api->object_release(p);
  /* DisruptionTarget first: ignored, not counted. */
  p = failed_pod("p2", 42, "{'type':'DisruptionTarget','status':'True'}");
  assert_int_equal(job_policy_match(api, job, p, msg, sizeof msg),
                   JOB_POLICY_IGNORE);
  assert_false(job_policy_counts(JOB_POLICY_IGNORE));
  api->object_release(p);
  p = failed_pod("p3", 7, ""); /* NotIn [1,2] */
  assert_int_equal(job_policy_match(api, job, p, msg, sizeof msg),
                   JOB_POLICY_COUNT);
  api->object_release(p);
  p = failed_pod("p4", 1, ""); /* no rule */
  assert_int_equal(job_policy_match(api, job, p, msg, sizeof msg),
                   JOB_POLICY_NONE);
  assert_true(job_policy_counts(JOB_POLICY_NONE));
  api->object_release(p);
  api->object_release(job);
}

static void test_spec(void **state) {
  const cplane_object *j;
  struct job_spec s;
  const char *why = NULL;

  (void)state;
  j = obj("{'spec':{'parallelism':2,'completions':5,'backoffLimit':3,"
          "'activeDeadlineSeconds':30,'suspend':true,"
          "'template':{'spec':{'restartPolicy':'OnFailure'}}}}");
  assert_int_equal(job_spec_read(api, j, &s, &why), 0);
  assert_int_equal(s.parallelism, 2);
  assert_int_equal(s.completions, 5);
  assert_int_equal(s.backoff_limit, 3);
  assert_int_equal(s.deadline_s, 30);
  assert_true(s.suspend);
  assert_true(s.restart_on_failure);
  assert_false(s.indexed);
  api->object_release(j);
  j = obj("{'spec':{'parallelism':'2'}}");
  assert_int_equal(job_spec_read(api, j, &s, &why), -1);
  assert_string_equal(why, "spec.parallelism is not a non-negative integer");
  api->object_release(j);
  j = obj("{'spec':{'completionMode':'Indexed'}}");
  assert_int_equal(job_spec_read(api, j, &s, &why), -1);
  api->object_release(j);
  j = obj("{'spec':{'suspend':1}}");
  assert_int_equal(job_spec_read(api, j, &s, &why), -1);
  api->object_release(j);
  j = obj("{'spec':{'podFailurePolicy':{'rules':[]}}}");
  assert_int_equal(job_spec_read(api, j, &s, &why), 0);
  assert_true(s.only_replace_failed); /* kube's default with a policy */
  assert_int_equal(s.completions, -1);
  assert_int_equal(s.backoff_limit, 6);
  api->object_release(j);
}

static void test_indexed_pod_body(void **state) {
  const cplane_object *job, *pod;
  char *body;

  (void)state;
  job = obj("{'metadata':{'name':'sq','namespace':'ns','uid':'u1'},'spec':{"
            "'template':{'metadata':{'labels':{'a.b/c':'x'},"
            "'finalizers':['other']},'spec':{'containers':[{'name':'c',"
            "'env':[{'name':'A','value':'1'}]},{'name':'d'}],"
            "'initContainers':[{'name':'i'}]}}}}");
  body = job_pod_body(api, job, 7, -1);
  assert_non_null(body);
  assert_int_equal(api->object_parse(body, strlen(body), &pod, NULL), 0);
  assert_string_equal(api->object_string(pod, "metadata.generateName"),
                      "sq-7-");
  assert_string_equal(api->object_label(pod, "a.b/c"), "x");
  assert_string_equal(
      api->object_label(pod, "batch.kubernetes.io/job-completion-index"), "7");
  assert_string_equal(api->object_annotation(
                          pod, "batch.kubernetes.io/job-completion-index"),
                      "7");
  assert_string_equal(api->object_string(pod, "spec.hostname"), "sq-7");
  assert_string_equal(api->object_string(pod, "spec.containers[0].env[0].name"),
                      "A");
  assert_string_equal(api->object_string(pod, "spec.containers[0].env[1].name"),
                      "JOB_COMPLETION_INDEX");
  assert_string_equal(
      api->object_string(pod,
                         "spec.containers[1].env[0].valueFrom.fieldRef."
                         "fieldPath"),
      "metadata.annotations['batch.kubernetes.io/job-completion-index']");
  assert_string_equal(
      api->object_string(pod, "spec.initContainers[0].env[0].name"),
      "JOB_COMPLETION_INDEX");
  assert_string_equal(api->object_string(pod, "metadata.finalizers[0]"),
                      "other");
  assert_string_equal(api->object_string(pod, "metadata.finalizers[1]"),
                      "batch.kubernetes.io/job-tracking");
  assert_string_equal(api->object_controller_uid(pod), "u1");
  assert_string_equal(
      api->object_string(pod, "metadata.ownerReferences[0].kind"), "Job");
  assert_int_equal(api->object_type(pod, "metadata.annotations.batch\\."
                                         "kubernetes\\.io/job-index-failure-count"),
                   CPLANE_ENOENT);
  api->object_release(pod);
  api->free(body);
  /* backoffLimitPerIndex: the index's failures so far travel with it. */
  body = job_pod_body(api, job, 2, 3);
  assert_int_equal(api->object_parse(body, strlen(body), &pod, NULL), 0);
  assert_string_equal(
      api->object_annotation(pod, "batch.kubernetes.io/job-index-failure-count"),
      "3");
  assert_string_equal(api->object_annotation(
                          pod, "batch.kubernetes.io/job-completion-index"),
                      "2");
  api->object_release(pod);
  api->free(body);
  /* Not Indexed: the template as is, generateName "<job>-". */
  body = job_pod_body(api, job, -1, -1);
  assert_int_equal(api->object_parse(body, strlen(body), &pod, NULL), 0);
  assert_string_equal(api->object_string(pod, "metadata.generateName"), "sq-");
  assert_int_equal(api->object_type(pod, "spec.hostname"), CPLANE_ENOENT);
  assert_int_equal(api->object_len(pod, "spec.containers[0].env"), 1);
  api->object_release(pod);
  api->free(body);
  api->object_release(job);
}

static void test_expectations(void **state) {
  struct cplane_expectations x;

  (void)state;
  assert_int_equal(cplane_expectations_init(&x), CPLANE_OK);
  assert_true(cplane_expect_satisfied(&x, "ns/j", 0));
  assert_int_equal(cplane_expect_raise(&x, "ns/j", 2, 0, 0), 0);
  assert_false(cplane_expect_satisfied(&x, "ns/j", 0));
  cplane_expect_observed(&x, "ns/j", 1, 0);
  assert_false(cplane_expect_satisfied(&x, "ns/j", 1000));
  cplane_expect_observed(&x, "ns/j", 1, 0);
  assert_true(cplane_expect_satisfied(&x, "ns/j", 1000));
  /* A lost event: trusted five minutes, no longer. */
  assert_int_equal(cplane_expect_raise(&x, "ns/j", 0, 1, 0), 0);
  assert_false(cplane_expect_satisfied(&x, "ns/j", CPLANE_EXPECTATIONS_TTL_MS));
  assert_true(cplane_expect_satisfied(&x, "ns/j", CPLANE_EXPECTATIONS_TTL_MS + 1));
  assert_int_equal(cplane_expect_uid(&x, "ns/j", "uid-1"), 0);
  assert_true(cplane_expect_uid_pending(&x, "ns/j", "uid-1"));
  cplane_expect_uid_seen(&x, "ns/j", "uid-1");
  assert_false(cplane_expect_uid_pending(&x, "ns/j", "uid-1"));
  assert_int_equal(cplane_expect_uid(&x, "ns/j", "uid-2"), 0);
  cplane_expect_forget(&x, "ns/j");
  assert_false(cplane_expect_uid_pending(&x, "ns/j", "uid-2"));
  cplane_expectations_free(&x);
}

static void test_success_policy(void **state) {
  const cplane_object *j =
      obj("{'spec':{'successPolicy':{'rules':[{'succeededIndexes':'0,2-3'},"
          "{'succeededIndexes':'5-9','succeededCount':2},"
          "{'succeededCount':6}]}}}");
  unsigned char done[10] = {0};
  char msg[64];

  (void)state;
  assert_false(job_success_policy_met(api, j, done, 10, msg, sizeof msg));
  done[0] = done[2] = 1;
  assert_false(job_success_policy_met(api, j, done, 10, msg, sizeof msg));
  done[3] = 1; /* 0,2-3 all succeeded */
  assert_true(job_success_policy_met(api, j, done, 10, msg, sizeof msg));
  assert_string_equal(msg, "Matched rules at index 0");
  memset(done, 0, sizeof done);
  done[5] = done[9] = 1; /* two of 5-9 */
  assert_true(job_success_policy_met(api, j, done, 10, msg, sizeof msg));
  assert_string_equal(msg, "Matched rules at index 1");
  memset(done, 0, sizeof done);
  done[0] = done[1] = done[2] = done[4] = done[5] = 1;
  assert_false(job_success_policy_met(api, j, done, 10, msg, sizeof msg));
  done[6] = 1; /* now two of 5-9: rule 1 comes before rule 2 */
  assert_true(job_success_policy_met(api, j, done, 10, msg, sizeof msg));
  assert_string_equal(msg, "Matched rules at index 1");
  api->object_release(j);
}

/* A noted write makes older cached versions stale until the cache shows
 * it (or newer); versions compare as numbers, not strings; what cannot
 * be ordered never stalls a sync. */
static void test_ownwrites(void **state) {
  struct job_ownwrites w;

  (void)state;
  assert_int_equal(job_rv_compare("9", "10"), -1);
  assert_int_equal(job_rv_compare("010", "9"), 1);
  assert_int_equal(job_rv_compare("10", "10"), 0);
  assert_int_equal(job_rv_compare("abc", "10"), 0);
  assert_int_equal(job_rv_compare(NULL, "10"), 0);
  assert_int_equal(job_ownwrites_init(&w), 0);
  assert_false(job_ownwrites_stale(&w, "ns/j", "5")); /* nothing noted */
  assert_int_equal(job_ownwrites_note(&w, "ns/j", "12"), 0);
  assert_int_equal(job_ownwrites_note(&w, "ns/j", "11"), 0); /* older: kept 12 */
  assert_true(job_ownwrites_stale(&w, "ns/j", "9"));
  assert_true(job_ownwrites_stale(&w, "ns/j", "11"));
  assert_false(job_ownwrites_stale(&w, "ns/other", "1"));
  assert_false(job_ownwrites_stale(&w, "ns/j", "13")); /* caught up: forgotten */
  assert_false(job_ownwrites_stale(&w, "ns/j", "1"));
  assert_int_equal(job_ownwrites_note(&w, "ns/j", "20"), 0);
  assert_false(job_ownwrites_stale(&w, "ns/j", "x7")); /* cannot order */
  assert_int_equal(job_ownwrites_note(&w, "ns/j", "30"), 0);
  job_ownwrites_forget(&w, "ns/j");
  assert_false(job_ownwrites_stale(&w, "ns/j", "1"));
  assert_int_equal(job_ownwrites_note(&w, "ns/k", "30"), 0); /* freed by free */
  job_ownwrites_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_indexes),
      cmocka_unit_test(test_backoff),
      cmocka_unit_test(test_failure_policy),
      cmocka_unit_test(test_spec),
      cmocka_unit_test(test_indexed_pod_body),
      cmocka_unit_test(test_expectations),
      cmocka_unit_test(test_success_policy),
      cmocka_unit_test(test_ownwrites),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
