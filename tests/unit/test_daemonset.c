/*
 * test_daemonset - the daemonset plugin's modules: node fit (nodeSelector,
 * node affinity operators, taints against the template's and the daemon
 * tolerations, NoExecute versus NoSchedule), the pod body (labels,
 * tolerations, the matchFields affinity replacing the template's required
 * terms), the revision data, kube's manage() plan (create, prune, failed
 * pods, misplaced pods, surge), the rolling step (maxUnavailable and
 * maxSurge as kube counts them), the failed-pod back-off, expectations
 * and the status counts. Objects come from the host's own object code
 * through cp_host_api(), as the plugin sees them; the whole controller
 * runs on the kit in test_kit_daemonset.
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
#include "nodefit.h"
#include "plan.h"
#include "podbody.h"
#include "revisions.h"
#include "rolling.h"
#include "tolerations.h"

static const struct cplane_host_api *api;

static const cplane_object *obj(const char *json) {
  return plugin_obj(api, json);
}

/* A DaemonSet whose template spec carries `spec` (JSON members, ' for "). */
static const cplane_object *ds_with(const char *spec, const char *strategy) {
  char json[4096];

  snprintf(json, sizeof json,
           "{'metadata':{'name':'agent','namespace':'ns','uid':'u1',"
           "'annotations':{'deprecated.daemonset.template.generation':'2'}},"
           "'spec':{'selector':{'matchLabels':{'app':'a'}},%s"
           "'template':{'metadata':{'labels':{'app':'a'}},'spec':{"
           "'containers':[{'name':'c','image':'i'}]%s%s}}}}",
           strategy != NULL ? strategy : "", spec[0] ? "," : "", spec);
  return obj(json);
}

static void fit(const cplane_object *ds, const char *node_json, int run,
                int cont) {
  const cplane_object *node = obj(node_json);
  struct ds_node f;

  ds_node_fit(api, ds, node, &f);
  assert_int_equal(f.should_run, run);
  assert_int_equal(f.should_continue, cont);
  api->object_release(node);
}

#define NODE(labels, taints)                                                   \
  "{'metadata':{'name':'n1','labels':{" labels "}},'spec':{'taints':[" taints  \
  "]}}"

static void test_fit_selector_and_affinity(void **state) {
  const cplane_object *ds =
      ds_with("'nodeSelector':{'disk':'ssd'},'affinity':{'nodeAffinity':{"
              "'requiredDuringSchedulingIgnoredDuringExecution':{"
              "'nodeSelectorTerms':[{'matchExpressions':[{'key':'zone',"
              "'operator':'In','values':['a','b']},{'key':'cpus','operator':"
              "'Gt','values':['4']}]},{'matchFields':[{'key':'metadata.name',"
              "'operator':'In','values':['special']}]}]}}}",
              NULL);

  (void)state;
  fit(ds, NODE("'disk':'ssd','zone':'a','cpus':'8'", ""), 1, 1);
  fit(ds, NODE("'disk':'hdd','zone':'a','cpus':'8'", ""), 0, 0);
  fit(ds, NODE("'disk':'ssd','zone':'c','cpus':'8'", ""), 0, 0);
  fit(ds, NODE("'disk':'ssd','zone':'a','cpus':'4'", ""), 0, 0); /* Gt */
  fit(ds, NODE("'disk':'ssd','zone':'a','cpus':'x'", ""), 0, 0);
  fit(ds, "{'metadata':{'name':'special','labels':{'disk':'ssd'}}}", 1, 1);
  api->object_release(ds);
  /* Exists, DoesNotExist, NotIn; an empty term list matches no node. */
  ds = ds_with("'affinity':{'nodeAffinity':{"
               "'requiredDuringSchedulingIgnoredDuringExecution':{"
               "'nodeSelectorTerms':[{'matchExpressions':[{'key':'gpu',"
               "'operator':'Exists'},{'key':'old','operator':'DoesNotExist'},"
               "{'key':'zone','operator':'NotIn','values':['z']}]}]}}}",
               NULL);
  fit(ds, NODE("'gpu':''", ""), 1, 1);
  fit(ds, NODE("'gpu':'','old':'1'", ""), 0, 0);
  fit(ds, NODE("'gpu':'','zone':'z'", ""), 0, 0);
  fit(ds, NODE("", ""), 0, 0);
  api->object_release(ds);
  ds = ds_with("'affinity':{'nodeAffinity':{"
               "'requiredDuringSchedulingIgnoredDuringExecution':{"
               "'nodeSelectorTerms':[]}}}",
               NULL);
  fit(ds, NODE("", ""), 0, 0);
  api->object_release(ds);
  /* A template nodeName pins it. */
  ds = ds_with("'nodeName':'n2'", NULL);
  fit(ds, NODE("", ""), 0, 0);
  api->object_release(ds);
}

static void test_fit_taints(void **state) {
  const cplane_object *ds = ds_with("", NULL);
  const cplane_object *tol =
      ds_with("'tolerations':[{'key':'dedicated','operator':'Equal','value':"
              "'infra','effect':'NoSchedule'}]",
              NULL);
  const cplane_object *hostnet = ds_with("'hostNetwork':true", NULL);

  (void)state;
  /* NoSchedule: no new pod, the one there stays; NoExecute: none. */
  fit(ds, NODE("", "{'key':'dedicated','value':'infra','effect':'NoSchedule'}"),
      0, 1);
  fit(ds, NODE("", "{'key':'dedicated','value':'infra','effect':'NoExecute'}"),
      0, 0);
  fit(ds, NODE("", "{'key':'x','effect':'PreferNoSchedule'}"), 1, 1);
  fit(tol,
      NODE("", "{'key':'dedicated','value':'infra','effect':'NoSchedule'}"), 1,
      1);
  fit(tol,
      NODE("", "{'key':'dedicated','value':'other','effect':'NoSchedule'}"), 0,
      1);
  /* The tolerations kube gives every daemon pod. */
  fit(ds,
      NODE("", "{'key':'node.kubernetes.io/unreachable','effect':"
               "'NoExecute'},{'key':'node.kubernetes.io/not-ready',"
               "'effect':'NoExecute'},{'key':'node.kubernetes.io/"
               "unschedulable','effect':'NoSchedule'},{'key':'node."
               "kubernetes.io/disk-pressure','effect':'NoSchedule'}"),
      1, 1);
  fit(ds,
      NODE("", "{'key':'node.kubernetes.io/network-unavailable','effect':"
               "'NoSchedule'}"),
      0, 1);
  fit(hostnet,
      NODE("", "{'key':'node.kubernetes.io/network-unavailable',"
               "'effect':'NoSchedule'}"),
      1, 1);
  api->object_release(ds);
  api->object_release(tol);
  api->object_release(hostnet);
}

static void test_pod_body(void **state) {
  const cplane_object *ds =
      ds_with("'tolerations':[{'key':'node.kubernetes.io/not-ready',"
              "'operator':'Exists','effect':'NoExecute'}],'affinity':{"
              "'podAntiAffinity':{},'nodeAffinity':{"
              "'requiredDuringSchedulingIgnoredDuringExecution':{"
              "'nodeSelectorTerms':[{'matchExpressions':[{'key':'a',"
              "'operator':'Exists'}]}]},"
              "'preferredDuringSchedulingIgnoredDuringExecution':[]}}",
              NULL);
  struct ds_podbody b;
  const cplane_object *pod = NULL;
  char *text;

  (void)state;
  assert_int_equal(ds_podbody_init(api, ds, "abc123", 2, &b), 0);
  text = ds_podbody_for(api, &b, "node-7");
  assert_non_null(text);
  assert_int_equal(api->object_parse(text, strlen(text), &pod, NULL), 0);
  assert_string_equal(api->object_string(pod, "metadata.generateName"),
                      "agent-");
  assert_string_equal(api->object_label(pod, "app"), "a");
  assert_string_equal(api->object_label(pod, "controller-revision-hash"),
                      "abc123");
  assert_string_equal(api->object_label(pod, "pod-template-generation"), "2");
  assert_string_equal(
      api->object_string(pod, "metadata.ownerReferences[0].kind"), "DaemonSet");
  /* The template's not-ready toleration is not doubled; the rest added. */
  assert_int_equal(api->object_len(pod, "spec.tolerations"), 6);
  assert_string_equal(api->object_string(pod, "spec.tolerations[5].key"),
                      "node.kubernetes.io/unschedulable");
  /* Required terms replaced; preferred and pod anti-affinity kept. */
  assert_int_equal(
      api->object_len(pod, "spec.affinity.nodeAffinity."
                           "requiredDuringSchedulingIgnoredDuringExecution."
                           "nodeSelectorTerms"),
      1);
  assert_string_equal(
      api->object_string(pod, "spec.affinity.nodeAffinity."
                              "requiredDuringSchedulingIgnoredDuringExecution."
                              "nodeSelectorTerms[0].matchFields[0].values[0]"),
      "node-7");
  assert_int_equal(api->object_type(pod, "spec.affinity.nodeAffinity."
                                         "preferredDuringScheduling"
                                         "IgnoredDuringExecution"),
                   CPLANE_TYPE_ARRAY);
  assert_int_equal(api->object_type(pod, "spec.affinity.podAntiAffinity"),
                   CPLANE_TYPE_OBJECT);
  assert_string_equal(api->object_string(pod, "spec.containers[0].image"), "i");
  api->object_release(pod);
  free(text);
  ds_podbody_free(&b);
  api->object_release(ds);
}

static void test_revision_data(void **state) {
  const cplane_object *ds = ds_with("", NULL);
  char *data = ds_revision_data(api, ds);

  (void)state;
  assert_non_null(data);
  assert_string_equal(
      data, "{\"spec\":{\"template\":{\"$patch\":\"replace\",\"metadata\":{"
            "\"labels\":{\"app\":\"a\"}},\"spec\":{\"containers\":[{\"name\":"
            "\"c\",\"image\":\"i\"}]}}}}");
  free(data);
  api->object_release(ds);
}

/* Pods: name, node, scheduled, updated, ready/available, phase,
 * deleting, created. */
#define POD(n, node, upd, ready, phase, del, t)                                \
  { n, node, 1, upd, ready, ready, phase, del, t }

static void test_plan_manage(void **state) {
  struct ds_node nodes[5] = {
      {"a", 1, 1}, {"b", 1, 1}, {"c", 0, 0}, {"d", 0, 1}, {"e", 1, 1}};
  struct ds_pod pods[] = {
      POD("b-new", 1, 1, 1, DS_PHASE_ACTIVE, 0, 200),
      POD("b-old", 1, 1, 1, DS_PHASE_ACTIVE, 0, 100),
      POD("c-1", 2, 1, 1, DS_PHASE_ACTIVE, 0, 100),
      POD("d-1", 3, 1, 1, DS_PHASE_ACTIVE, 0, 100),
      POD("e-failed", 4, 1, 0, DS_PHASE_FAILED, 0, 100),
      {"ghost", -1, 0, 1, 0, 0, DS_PHASE_ACTIVE, 0, 100},
      POD("a-going", 0, 1, 1, DS_PHASE_ACTIVE, 1, 100),
  };
  struct ds_groups g;
  struct ds_plan p;

  (void)state;
  assert_int_equal(ds_groups_build(pods, 7, 5, &g), 0);
  assert_int_equal(ds_plan_init(&p, 5, 7), 0);
  ds_plan_manage(nodes, 5, pods, 7, &g, 0, &p);
  /* a: its pod is terminating, so nothing new yet; b: the younger goes;
   * c: may not run; d: may stay; e: the failed pod is reported; ghost:
   * unscheduled for a node that is gone. */
  assert_int_equal(p.n_create, 0);
  assert_int_equal(p.n_del, 3);
  assert_string_equal(pods[p.del[0]].name, "b-new");
  assert_string_equal(pods[p.del[1]].name, "c-1");
  assert_string_equal(pods[p.del[2]].name, "ghost");
  assert_int_equal(p.n_failed, 1);
  assert_string_equal(pods[p.failed[0]].name, "e-failed");
  ds_plan_free(&p);
  ds_groups_free(&g);
  /* Without pods: every node that should run gets one. */
  assert_int_equal(ds_groups_build(pods, 0, 5, &g), 0);
  assert_int_equal(ds_plan_init(&p, 5, 0), 0);
  ds_plan_manage(nodes, 5, pods, 0, &g, 0, &p);
  assert_int_equal(p.n_create, 3);
  assert_int_equal(p.create[2], 4);
  ds_plan_free(&p);
  ds_groups_free(&g);
}

static void test_plan_surge(void **state) {
  struct ds_node nodes[2] = {{"a", 1, 1}, {"b", 1, 1}};
  struct ds_pod pods[] = {
      POD("a-old", 0, 0, 1, DS_PHASE_ACTIVE, 0, 100),
      POD("a-new", 0, 1, 0, DS_PHASE_ACTIVE, 0, 200), /* not yet available */
      POD("b-old", 1, 0, 1, DS_PHASE_ACTIVE, 0, 100),
      POD("b-new", 1, 1, 1, DS_PHASE_ACTIVE, 0, 200), /* available */
  };
  struct ds_groups g;
  struct ds_plan p;

  (void)state;
  assert_int_equal(ds_groups_build(pods, 4, 2, &g), 0);
  assert_int_equal(ds_plan_init(&p, 2, 4), 0);
  ds_plan_manage(nodes, 2, pods, 4, &g, 1, &p);
  assert_int_equal(p.n_create, 0);
  assert_int_equal(p.n_del, 1);
  assert_string_equal(pods[p.del[0]].name, "b-old");
  ds_plan_free(&p);
  ds_groups_free(&g);
}

static void test_rolling_limits(void **state) {
  const cplane_object *pct =
      ds_with("", "'updateStrategy':{'type':'RollingUpdate','rollingUpdate':{"
                  "'maxUnavailable':'10%','maxSurge':0}},");
  const cplane_object *zero =
      ds_with("", "'updateStrategy':{'type':'RollingUpdate','rollingUpdate':{"
                  "'maxUnavailable':0,'maxSurge':0}},");
  const cplane_object *surge =
      ds_with("", "'updateStrategy':{'type':'RollingUpdate','rollingUpdate':{"
                  "'maxUnavailable':0,'maxSurge':'25%'}},");
  const cplane_object *ondelete =
      ds_with("", "'updateStrategy':{'type':'OnDelete'},");
  int u, s;

  (void)state;
  ds_rolling_limits(api, pct, 5000, &u, &s);
  assert_int_equal(u, 500);
  ds_rolling_limits(api, pct, 11, &u, &s); /* rounds up */
  assert_int_equal(u, 2);
  ds_rolling_limits(api, zero, 3, &u, &s); /* kube's fallback */
  assert_int_equal(u, 1);
  assert_int_equal(s, 0);
  ds_rolling_limits(api, surge, 3, &u, &s);
  assert_int_equal(u, 0);
  assert_int_equal(s, 1);
  ds_rolling_limits(api, ondelete, 3, &u, &s);
  assert_int_equal(u + s, 0);
  api->object_release(pct);
  api->object_release(zero);
  api->object_release(surge);
  api->object_release(ondelete);
}

static void test_rolling_unavailable(void **state) {
  struct ds_node nodes[4] = {
      {"a", 1, 1}, {"b", 1, 1}, {"c", 1, 1}, {"d", 1, 1}};
  struct ds_pod pods[] = {
      POD("a-new", 0, 1, 0, DS_PHASE_ACTIVE, 0, 100), /* unavailable */
      POD("b-old", 1, 0, 1, DS_PHASE_ACTIVE, 0, 100),
      POD("c-old", 2, 0, 1, DS_PHASE_ACTIVE, 0, 100),
      POD("d-old", 3, 0, 0, DS_PHASE_ACTIVE, 0, 100), /* not available */
  };
  struct ds_groups g;
  struct ds_plan p;

  (void)state;
  assert_int_equal(ds_groups_build(pods, 4, 4, &g), 0);
  assert_int_equal(ds_plan_init(&p, 4, 4), 0);
  /* maxUnavailable 2, one node unavailable already: the unavailable old
   * pod goes anyway, and one available old pod. */
  ds_rolling_plan(nodes, 4, pods, &g, 2, 0, 4, &p);
  assert_int_equal(p.n_del, 2);
  assert_string_equal(pods[p.del[0]].name, "d-old");
  assert_string_equal(pods[p.del[1]].name, "b-old");
  assert_int_equal(p.n_create, 0);
  ds_plan_free(&p);
  /* maxUnavailable 1: only the unavailable old pod. */
  assert_int_equal(ds_plan_init(&p, 4, 4), 0);
  ds_rolling_plan(nodes, 4, pods, &g, 1, 0, 4, &p);
  assert_int_equal(p.n_del, 1);
  assert_string_equal(pods[p.del[0]].name, "d-old");
  ds_plan_free(&p);
  ds_groups_free(&g);
}

static void test_rolling_surge(void **state) {
  struct ds_node nodes[4] = {
      {"a", 1, 1}, {"b", 1, 1}, {"c", 1, 1}, {"d", 1, 1}};
  struct ds_pod pods[] = {
      POD("a-old", 0, 0, 1, DS_PHASE_ACTIVE, 0, 100),
      POD("a-new", 0, 1, 1, DS_PHASE_ACTIVE, 0, 200), /* available */
      POD("b-old", 1, 0, 1, DS_PHASE_ACTIVE, 0, 100),
      POD("c-old", 2, 0, 1, DS_PHASE_ACTIVE, 0, 100),
      POD("d-old", 3, 0, 0, DS_PHASE_ACTIVE, 0, 100), /* not available */
  };
  struct ds_groups g;
  struct ds_plan p;

  (void)state;
  assert_int_equal(ds_groups_build(pods, 5, 4, &g), 0);
  assert_int_equal(ds_plan_init(&p, 4, 5), 0);
  /* maxSurge 1: a's old pod goes (its new one is available), d gets a
   * new pod at once, and one of b and c. */
  ds_rolling_plan(nodes, 4, pods, &g, 0, 1, 4, &p);
  assert_int_equal(p.n_del, 1);
  assert_string_equal(pods[p.del[0]].name, "a-old");
  assert_int_equal(p.n_create, 2);
  assert_int_equal(p.create[0], 3);
  assert_int_equal(p.create[1], 1);
  ds_plan_free(&p);
  ds_groups_free(&g);
}

static void test_status_counts(void **state) {
  struct ds_node nodes[3] = {{"a", 1, 1}, {"b", 1, 1}, {"c", 0, 1}};
  struct ds_pod pods[] = {
      POD("a-1", 0, 1, 1, DS_PHASE_ACTIVE, 0, 100),
      POD("b-1", 1, 0, 0, DS_PHASE_ACTIVE, 0, 100),
      POD("c-1", 2, 1, 1, DS_PHASE_ACTIVE, 0, 100),
  };
  struct ds_groups g;
  struct ds_status st;

  (void)state;
  assert_int_equal(ds_groups_build(pods, 3, 3, &g), 0);
  ds_plan_status(nodes, 3, pods, &g, &st);
  assert_int_equal(st.desired, 2);
  assert_int_equal(st.current, 2);
  assert_int_equal(st.misscheduled, 1);
  assert_int_equal(st.ready, 1);
  assert_int_equal(st.available, 1);
  assert_int_equal(st.updated, 1);
  ds_groups_free(&g);
}

static void test_backoff(void **state) {
  struct ds_backoff b;

  (void)state;
  assert_int_equal(ds_backoff_init(&b), 0);
  assert_int_equal(ds_backoff_take(&b, "u1/n1", 0), 0);
  assert_int_equal(ds_backoff_take(&b, "u1/n1", 400), 600);
  assert_int_equal(ds_backoff_take(&b, "u1/n2", 400), 0); /* its own */
  assert_int_equal(ds_backoff_take(&b, "u1/n1", 1000), 0);
  assert_int_equal(ds_backoff_take(&b, "u1/n1", 1000), 2000); /* doubled */
  ds_backoff_forget(&b, "u1/", 1000);
  assert_int_equal(ds_backoff_take(&b, "u1/n1", 1000), 0);
  ds_backoff_free(&b);
}

static void test_expectations(void **state) {
  struct cplane_expectations x;

  (void)state;
  assert_int_equal(cplane_expectations_init(&x), 0);
  assert_int_equal(cplane_expect_satisfied(&x, "ns/a", 0), 1);
  assert_int_equal(cplane_expect_raise(&x, "ns/a", 2, 1, 0), 0);
  cplane_expect_observed(&x, "ns/a", 2, 0);
  assert_int_equal(cplane_expect_satisfied(&x, "ns/a", 0), 0);
  cplane_expect_observed(&x, "ns/a", 0, 1);
  assert_int_equal(cplane_expect_satisfied(&x, "ns/a", 0), 1);
  assert_int_equal(cplane_expect_raise(&x, "ns/a", 1, 0, 0), 0);
  assert_int_equal(cplane_expect_satisfied(&x, "ns/a", CPLANE_EXPECTATIONS_TTL_MS + 1),
                   1);
  cplane_expectations_free(&x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fit_selector_and_affinity),
      cmocka_unit_test(test_fit_taints),
      cmocka_unit_test(test_pod_body),
      cmocka_unit_test(test_revision_data),
      cmocka_unit_test(test_plan_manage),
      cmocka_unit_test(test_plan_surge),
      cmocka_unit_test(test_rolling_limits),
      cmocka_unit_test(test_rolling_unavailable),
      cmocka_unit_test(test_rolling_surge),
      cmocka_unit_test(test_status_counts),
      cmocka_unit_test(test_backoff),
      cmocka_unit_test(test_expectations),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
