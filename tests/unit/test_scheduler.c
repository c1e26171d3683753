/*
 * test_scheduler - the scheduler plugin's pure modules: what is read from
 * a pod (requests, ports, tolerations, selectors, affinity, spread) and the
 * per-node filters and scores. Quantities and the string map are the
 * SDK's, tested in test_sdk_helpers. Objects come from the host's own
 * object code through cp_host_api(), as a plugin sees them.
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

#include "nodeinfo.h"
#include "podinfo.h"

static const struct cplane_host_api *api;

static const cplane_object *obj(const char *json) {
  const cplane_object *o = NULL;

  assert_int_equal(api->object_parse(json, strlen(json), &o, NULL),
                   CPLANE_OK);
  return o;
}

static const char *rich_pod =
    "{'metadata':{'name':'p','namespace':'ns','labels':{'app':'web'}},"
    "'spec':{'nodeSelector':{'disk':'ssd','topology.kubernetes.io/zone':'a'},"
    "'tolerations':[{'key':'dedicated','operator':'Equal','value':'x',"
    "'effect':'NoSchedule'},{'operator':'Exists','effect':'NoExecute'}],"
    "'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuring"
    "Execution':{'nodeSelectorTerms':[{'matchExpressions':[{'key':'gen',"
    "'operator':'Gt','values':['3']}]},{'matchFields':[{'key':"
    "'metadata.name','operator':'In','values':['special']}]}]},"
    "'preferredDuringSchedulingIgnoredDuringExecution':[{'weight':40,"
    "'preference':{'matchExpressions':[{'key':'fast','operator':'Exists'}]}"
    "}]}},'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'zone',"
    "'whenUnsatisfiable':'DoNotSchedule','labelSelector':{'matchLabels':{"
    "'app':'web'},'matchExpressions':[{'key':'tier','operator':'NotIn',"
    "'values':['db','cache']}]}}],"
    "'initContainers':[{'name':'i','resources':{'requests':{'cpu':'3'}}}],"
    "'containers':[{'name':'a','resources':{'requests':{'cpu':'500m',"
    "'memory':'1Gi'}},'ports':[{'containerPort':80,'hostPort':8080},"
    "{'containerPort':53,'hostPort':53,'protocol':'UDP'},"
    "{'containerPort':9}]},{'name':'b'}]}}";

static char *dq(const char *s) { /* ' -> " */
  char *d = strdup(s), *p;

  for (p = d; *p; p++)
    if (*p == '\'')
      *p = '"';
  return d;
}

static void test_podinfo(void **state) {
  char *json = dq(rich_pod);
  const cplane_object *pod = obj(json);
  struct sched_pod p;
  const char *why;

  (void)state;
  assert_int_equal(podinfo_parse(api, pod, &p, &why), CPLANE_OK);
  /* The init container (3 cpu) outweighs the containers (500m). */
  assert_int_equal(p.cpu, 3000);
  assert_int_equal(p.mem, 1073741824);
  /* Container b asks for nothing: scoring counts the defaults. */
  assert_int_equal(p.nz_cpu, 3000);
  assert_int_equal(p.nz_mem, 1073741824 + SCHED_DEFAULT_MEM);
  assert_int_equal(p.n_ports, 2);
  assert_int_equal(p.ports[1].port, 53);
  assert_int_equal(p.ports[1].proto, 1);
  assert_int_equal(p.n_tols, 2);
  assert_true(podinfo_tolerates(&p.tols[0], "dedicated", "x",
                                SCHED_EFFECT_NO_SCHEDULE));
  assert_false(podinfo_tolerates(&p.tols[0], "dedicated", "y",
                                 SCHED_EFFECT_NO_SCHEDULE));
  assert_true(podinfo_tolerates(&p.tols[1], "anything", "",
                                SCHED_EFFECT_NO_EXECUTE));
  assert_false(podinfo_tolerates(&p.tols[1], "anything", "",
                                 SCHED_EFFECT_NO_SCHEDULE));
  assert_int_equal(p.n_node_selector, 2);
  assert_int_equal(p.n_required, 2);
  assert_int_equal(p.required[1].exprs[0].field, 1);
  assert_int_equal(p.n_preferred, 1);
  assert_int_equal(p.preferred[0].weight, 40);
  assert_int_equal(p.n_spreads, 1);
  assert_true(p.spreads[0].hard);
  assert_string_equal(p.spreads[0].selector, "app=web,tier notin (db,cache)");
  assert_true(p.spreads[0].self_match);
  podinfo_free(&p);
  api->object_release(pod);
  free(json);
}

static void test_podinfo_refuses(void **state) {
  static const char *bad[] = {
      "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'a',"
      "'resources':{'requests':{'cpu':'lots'}}}]}}",
      /* the SDK parses a negative quantity; a request may not be one */
      "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'a',"
      "'resources':{'requests':{'memory':'-1Gi'}}}]}}",
      "{'metadata':{'name':'p'},'spec':{'overhead':{'cpu':'-5m'},"
      "'containers':[]}}",
      "{'metadata':{'name':'p'},'spec':{'tolerations':[{'key':'a',"
      "'operator':'Maybe'}],'containers':[]}}",
      "{'metadata':{'name':'p'},'spec':{'affinity':{'nodeAffinity':{"
      "'requiredDuringSchedulingIgnoredDuringExecution':{"
      "'nodeSelectorTerms':[{'matchFields':[{'key':'metadata.labels',"
      "'operator':'In','values':['a']}]}]}}},'containers':[]}}",
      "{'metadata':{'name':'p'},'spec':{'topologySpreadConstraints':[{"
      "'maxSkew':0,'topologyKey':'zone'}],'containers':[]}}",
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *json = dq(bad[i]);
    const cplane_object *pod = obj(json);
    struct sched_pod p;
    const char *why = NULL;

    assert_int_equal(podinfo_parse(api, pod, &p, &why), CPLANE_EINVAL);
    assert_non_null(why);
    podinfo_free(&p);
    api->object_release(pod);
    free(json);
  }
}

static struct sched_node *node(const char *name, const char *json) {
  char *j = dq(json);
  const cplane_object *o = obj(j);
  struct sched_node *n = calloc(1, sizeof *n);

  assert_non_null(n);
  n->name = strdup(name);
  assert_int_equal(nodeinfo_set(api, n, o), 1);
  assert_int_equal(nodeinfo_set(api, n, o), 0); /* nothing changed */
  api->object_release(o);
  free(j);
  return n;
}

static struct sched_pod parse(const char *json, const cplane_object **o) {
  char *j = dq(json);
  struct sched_pod p;
  const char *why;

  *o = obj(j);
  free(j);
  assert_int_equal(podinfo_parse(api, *o, &p, &why), CPLANE_OK);
  return p;
}

#define NODE_STATUS(cpu, pods)                                             \
  "'status':{'allocatable':{'cpu':'" cpu "','memory':'4Gi','pods':'" pods \
  "'}}"

static void test_filters(void **state) {
  struct sched_node *n1 = node(
      "n1", "{'metadata':{'name':'n1','labels':{'disk':'ssd','gen':'4',"
            "'topology.kubernetes.io/zone':'a'}},'spec':{},"
            NODE_STATUS("4", "2") "}");
  struct sched_node *n2 = node(
      "special", "{'metadata':{'name':'special','labels':{'disk':'ssd',"
                 "'topology.kubernetes.io/zone':'a'}},'spec':{'taints':[{"
                 "'key':'dedicated','value':'x','effect':'NoSchedule'}]},"
                 NODE_STATUS("8", "10") "}");
  struct sched_node *n3 = node(
      "n3", "{'metadata':{'name':'n3','labels':{'disk':'hdd'}},"
            "'spec':{'unschedulable':true}," NODE_STATUS("8", "10") "}");
  char *rich = dq(rich_pod);
  const cplane_object *o1, *o2;
  struct sched_pod p = parse(rich, &o1);
  struct sched_pod plain = parse("{'metadata':{'name':'q'},'spec':{"
                                 "'containers':[{'name':'a','resources':{"
                                 "'requests':{'cpu':'2'}}}]}}",
                                 &o2);
  struct sched_port port80 = {80, 0};

  (void)state;
  free(rich);
  /* gen 4 > 3 and a tolerated world: n1 fits the rich pod. */
  assert_int_equal(nodeinfo_filter(api, n1, &p), SCHED_FIT);
  /* special matches by name (matchFields) and its taint is tolerated. */
  assert_int_equal(nodeinfo_filter(api, n2, &p), SCHED_FIT);
  assert_int_equal(nodeinfo_filter(api, n2, &plain), SCHED_R_TAINT);
  assert_int_equal(nodeinfo_filter(api, n3, &plain), SCHED_R_UNSCHEDULABLE);
  /* Resources: 2 of 4 cpu used leaves room for 2 more, not 3. */
  nodeinfo_account(n1, 1, 2000, 0, 2000, 0, &port80, 1);
  assert_int_equal(nodeinfo_filter(api, n1, &plain), SCHED_FIT);
  assert_int_equal(nodeinfo_filter(api, n1, &p), SCHED_R_CPU);
  /* The pods count: allocatable 2. */
  nodeinfo_account(n1, 1, 0, 0, 0, 0, NULL, 0);
  assert_int_equal(nodeinfo_filter(api, n1, &plain), SCHED_R_PODS);
  nodeinfo_account(n1, -1, 0, 0, 0, 0, NULL, 0);
  nodeinfo_account(n1, -1, 2000, 0, 2000, 0, &port80, 1);
  assert_int_equal(n1->n_pods, 0);
  assert_int_equal(n1->n_ports, 0);
  /* Host ports: 8080/TCP taken (room for the pods themselves). */
  n1->alloc_pods = 10;
  {
    struct sched_port p8080 = {8080, 0}, p8080u = {8080, 1};

    nodeinfo_account(n1, 1, 0, 0, 0, 0, &p8080u, 1);
    assert_int_equal(nodeinfo_filter(api, n1, &p), SCHED_FIT);
    nodeinfo_account(n1, 1, 0, 0, 0, 0, &p8080, 1);
    assert_int_equal(nodeinfo_filter(api, n1, &p), SCHED_R_PORTS);
    nodeinfo_account(n1, -1, 0, 0, 0, 0, &p8080, 1);
    nodeinfo_account(n1, -1, 0, 0, 0, 0, &p8080u, 1);
  }
  /* Affinity: hdd node n3 fails the nodeSelector before anything else
   * once it is schedulable. */
  n3->unschedulable = 0;
  assert_int_equal(nodeinfo_filter(api, n3, &p), SCHED_R_AFFINITY);
  /* Scores: an empty node scores higher on LeastAllocated than a busy
   * one; the preferred term (fast exists) matches nowhere here. */
  nodeinfo_account(n2, 1, 6000, 0, 6000, 0, NULL, 0);
  assert_true(nodeinfo_least_allocated(n1, &plain) >
              nodeinfo_least_allocated(n2, &plain));
  assert_int_equal(nodeinfo_preferred_affinity(api, n1, &p), 0);
  assert_true(nodeinfo_balanced(n1, &plain) <= 100);
  podinfo_free(&p);
  podinfo_free(&plain);
  api->object_release(o1);
  api->object_release(o2);
  nodeinfo_free(api, n1);
  nodeinfo_free(api, n2);
  nodeinfo_free(api, n3);
}

static void test_taint_changes_are_relevant(void **state) {
  struct sched_node *n = node("n", "{'metadata':{'name':'n'},'spec':{},"
                                   NODE_STATUS("4", "10") "}");
  char *j = dq("{'metadata':{'name':'n'},'spec':{'taints':[{'key':"
               "'node.kubernetes.io/unreachable','effect':'NoExecute'}]},"
               NODE_STATUS("4", "10") ",'extra':1}");
  const cplane_object *o = obj(j);
  const cplane_object *pod;
  struct sched_pod p = parse("{'metadata':{'name':'q'},'spec':{"
                             "'containers':[]}}", &pod);

  (void)state;
  assert_int_equal(nodeinfo_set(api, n, o), 1);
  assert_int_equal(n->n_taints, 1);
  assert_int_equal(nodeinfo_filter(api, n, &p), SCHED_R_TAINT);
  podinfo_free(&p);
  api->object_release(pod);
  api->object_release(o);
  free(j);
  nodeinfo_free(api, n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_podinfo),
      cmocka_unit_test(test_podinfo_refuses),
      cmocka_unit_test(test_filters),
      cmocka_unit_test(test_taint_changes_are_relevant),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
