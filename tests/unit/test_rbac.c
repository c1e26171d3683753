/*
 * Unit tests for host/apiserver/rbac: kube's rule matching (verbs,
 * groups, resources and subresources, "*\/scale", resourceNames,
 * nonResourceURLs with a trailing *) as a table; the index and the
 * authorizer (users, groups, ServiceAccounts, Role vs ClusterRole
 * bindings, namespaces, reasons in kube's words, updates and removals,
 * system:masters); the escalation comparison and its compact wording;
 * aggregation; concurrent readers and a writer (TSan); and the cost of
 * one decision with 1,000 bindings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "apiserver/rbac/authorizer.h"
#include "apiserver/rbac/index.h"
#include "apiserver/rbac/rules.h"

static struct cp_rbac_attrs res(const char *verb, const char *group,
                                const char *resource, const char *sub,
                                const char *name, const char *ns) {
  struct cp_rbac_attrs a = {"u", NULL, 0, verb, 1, group, resource, sub,
                            name, ns, ""};
  return a;
}

static struct cp_rbac_attrs url(const char *verb, const char *path) {
  struct cp_rbac_attrs a = {"u", NULL, 0, verb, 0, "", "", "", "", "", path};
  return a;
}

static void parse_rules(const char *json, struct cp_rbac_rules *out) {
  json_object *o = json_tokener_parse(json);

  assert_non_null(o);
  memset(out, 0, sizeof *out);
  assert_int_equal(cp_rbac_rules_parse(o, out), 0);
  json_object_put(o);
}

static void test_rule_matching(void **state) {
  static const struct {
    const char *rule;
    struct cp_rbac_attrs a;
    int want;
  } cases[] = {
      {"{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}",
       {"u", NULL, 0, "get", 1, "", "pods", "", "", "a", ""}, 1},
      {"{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}",
       {"u", NULL, 0, "list", 1, "", "pods", "", "", "a", ""}, 0},
      {"{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}",
       {"u", NULL, 0, "get", 1, "apps", "pods", "", "", "a", ""}, 0},
      /* A resource does not grant its subresources. */
      {"{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}",
       {"u", NULL, 0, "get", 1, "", "pods", "log", "p", "a", ""}, 0},
      {"{\"apiGroups\":[\"\"],\"resources\":[\"pods/log\"],\"verbs\":[\"get\"]}",
       {"u", NULL, 0, "get", 1, "", "pods", "log", "p", "a", ""}, 1},
      {"{\"apiGroups\":[\"\"],\"resources\":[\"pods/log\"],\"verbs\":[\"get\"]}",
       {"u", NULL, 0, "get", 1, "", "pods", "", "p", "a", ""}, 0},
      {"{\"apiGroups\":[\"*\"],\"resources\":[\"*/scale\"],\"verbs\":[\"update\"]}",
       {"u", NULL, 0, "update", 1, "apps", "deployments", "scale", "d", "a",
        ""}, 1},
      {"{\"apiGroups\":[\"*\"],\"resources\":[\"*/scale\"],\"verbs\":[\"update\"]}",
       {"u", NULL, 0, "update", 1, "apps", "deployments", "", "d", "a", ""},
       0},
      {"{\"apiGroups\":[\"*\"],\"resources\":[\"*/scale\"],\"verbs\":[\"update\"]}",
       {"u", NULL, 0, "update", 1, "apps", "deployments", "status", "d", "a",
        ""}, 0},
      /* "*" covers subresources too. */
      {"{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]}",
       {"u", NULL, 0, "create", 1, "", "pods", "eviction", "p", "a", ""}, 1},
      {"{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],"
       "\"resourceNames\":[\"x\"],\"verbs\":[\"get\",\"list\"]}",
       {"u", NULL, 0, "get", 1, "", "configmaps", "", "x", "a", ""}, 1},
      {"{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],"
       "\"resourceNames\":[\"x\"],\"verbs\":[\"get\",\"list\"]}",
       {"u", NULL, 0, "get", 1, "", "configmaps", "", "y", "a", ""}, 0},
      /* A list names no object: resourceNames never match it. */
      {"{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],"
       "\"resourceNames\":[\"x\"],\"verbs\":[\"get\",\"list\"]}",
       {"u", NULL, 0, "list", 1, "", "configmaps", "", "", "a", ""}, 0},
      {"{\"nonResourceURLs\":[\"/metrics\"],\"verbs\":[\"get\"]}",
       {"u", NULL, 0, "get", 0, "", "", "", "", "", "/metrics"}, 1},
      {"{\"nonResourceURLs\":[\"/metrics\"],\"verbs\":[\"get\"]}",
       {"u", NULL, 0, "get", 0, "", "", "", "", "", "/metricsx"}, 0},
      {"{\"nonResourceURLs\":[\"/metrics\"],\"verbs\":[\"get\"]}",
       {"u", NULL, 0, "post", 0, "", "", "", "", "", "/metrics"}, 0},
      {"{\"nonResourceURLs\":[\"/debug/*\"],\"verbs\":[\"get\"]}",
       {"u", NULL, 0, "get", 0, "", "", "", "", "", "/debug/pprof/x"}, 1},
      {"{\"nonResourceURLs\":[\"/debug/*\"],\"verbs\":[\"get\"]}",
       {"u", NULL, 0, "get", 0, "", "", "", "", "", "/debugx"}, 0},
      {"{\"nonResourceURLs\":[\"*\"],\"verbs\":[\"*\"]}",
       {"u", NULL, 0, "delete", 0, "", "", "", "", "", "/anything"}, 1},
      /* A resource rule grants no path, a URL rule no resource. */
      {"{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]}",
       {"u", NULL, 0, "get", 0, "", "", "", "", "", "/metrics"}, 0},
      {"{\"nonResourceURLs\":[\"*\"],\"verbs\":[\"*\"]}",
       {"u", NULL, 0, "get", 1, "", "pods", "", "", "a", ""}, 0},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct cp_rbac_rules r;
    char json[512];

    snprintf(json, sizeof json, "[%s]", cases[i].rule);
    parse_rules(json, &r);
    assert_int_equal(r.n, 1);
    if (cp_rbac_rule_allows(&r.v[0], &cases[i].a) != cases[i].want)
      fail_msg("case %zu: %s", i, cases[i].rule);
    cp_rbac_rules_clear(&r);
  }
}

/* ------------------------------------------------------------ index */

static void put(struct cp_rbac_index *x, enum cp_rbac_kind k,
                const char *json) {
  json_object *o = json_tokener_parse(json);

  assert_non_null(o);
  assert_int_equal(cp_rbac_index_put(x, k, o), 0);
  json_object_put(o);
}

#define RB(name, ns, kind, role, subjects)                                   \
  "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"" ns "\"},"          \
  "\"roleRef\":{\"kind\":\"" kind "\",\"name\":\"" role "\"},"              \
  "\"subjects\":[" subjects "]}"
#define CRB(name, role, subjects)                                            \
  "{\"metadata\":{\"name\":\"" name "\"},\"roleRef\":{\"kind\":"             \
  "\"ClusterRole\",\"name\":\"" role "\"},\"subjects\":[" subjects "]}"

static void fill(struct cp_rbac_index *x) {
  put(x, CP_RBAC_ROLE,
      "{\"metadata\":{\"name\":\"pod-reader\",\"namespace\":\"a\"},"
      "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],"
      "\"verbs\":[\"get\",\"list\"]}]}");
  put(x, CP_RBAC_CLUSTER_ROLE,
      "{\"metadata\":{\"name\":\"cm-editor\"},\"rules\":[{\"apiGroups\":"
      "[\"\"],\"resources\":[\"configmaps\"],\"verbs\":[\"*\"]}]}");
  put(x, CP_RBAC_CLUSTER_ROLE,
      "{\"metadata\":{\"name\":\"metrics\"},\"rules\":[{\"nonResourceURLs\":"
      "[\"/metrics\"],\"verbs\":[\"get\"]}]}");
  put(x, CP_RBAC_ROLE_BINDING,
      RB("alice-pods", "a", "Role", "pod-reader",
         "{\"kind\":\"User\",\"name\":\"alice\"}"));
  /* A ClusterRole bound in one namespace grants it there only. */
  put(x, CP_RBAC_ROLE_BINDING,
      RB("devs-cm", "b", "ClusterRole", "cm-editor",
         "{\"kind\":\"Group\",\"name\":\"devs\"},"
         "{\"kind\":\"ServiceAccount\",\"name\":\"builder\"}"));
  put(x, CP_RBAC_CLUSTER_ROLE_BINDING,
      CRB("scrape", "metrics",
          "{\"kind\":\"ServiceAccount\",\"name\":\"prom\","
          "\"namespace\":\"mon\"},{\"kind\":\"Group\",\"name\":\"ops\"}"));
  /* A binding to a role that does not exist grants nothing. */
  put(x, CP_RBAC_CLUSTER_ROLE_BINDING,
      CRB("dangling", "nope", "{\"kind\":\"User\",\"name\":\"alice\"}"));
}

static void test_authorizer(void **state) {
  struct cp_rbac_index *x = cp_rbac_index_new();
  struct cp_rbac *r;
  char reason[512];
  char *devs[] = {"devs", "system:authenticated"};
  char *masters[] = {"system:masters"};
  char *ops[] = {"ops"};
  struct cp_rbac_attrs a;

  (void)state;
  assert_non_null(x);
  fill(x);
  r = cp_rbac_over(x);
  assert_non_null(r);
  assert_int_equal(cp_rbac_index_count(x, CP_RBAC_ROLE_BINDING), 2);
  assert_int_equal(cp_rbac_index_count(x, CP_RBAC_CLUSTER_ROLE_BINDING), 2);

  a = res("list", "", "pods", "", "", "a");
  a.user = "alice";
  assert_true(cp_rbac_authorize(r, &a, reason, sizeof reason));
  assert_string_equal(reason, "RBAC: allowed by RoleBinding \"alice-pods/a\" "
                              "of Role \"pod-reader\" to User \"alice\"");
  a.ns = "b";
  assert_false(cp_rbac_authorize(r, &a, reason, sizeof reason));
  assert_string_equal(reason, "");
  a.ns = ""; /* all namespaces: a RoleBinding does not reach */
  assert_false(cp_rbac_authorize(r, &a, NULL, 0));

  a = res("delete", "", "configmaps", "", "c", "b");
  a.user = "eve";
  a.groups = devs;
  a.n_groups = 2;
  assert_true(cp_rbac_authorize(r, &a, reason, sizeof reason));
  assert_string_equal(reason, "RBAC: allowed by RoleBinding \"devs-cm/b\" of "
                              "ClusterRole \"cm-editor\" to Group \"devs\"");
  a.ns = "a";
  assert_false(cp_rbac_authorize(r, &a, NULL, 0));
  /* A ServiceAccount subject without a namespace is the binding's. */
  a = res("get", "", "configmaps", "", "c", "b");
  a.user = "system:serviceaccount:b:builder";
  assert_true(cp_rbac_authorize(r, &a, reason, sizeof reason));
  assert_string_equal(reason, "RBAC: allowed by RoleBinding \"devs-cm/b\" of "
                              "ClusterRole \"cm-editor\" to ServiceAccount "
                              "\"builder/b\"");
  a.user = "system:serviceaccount:a:builder";
  assert_false(cp_rbac_authorize(r, &a, NULL, 0));

  /* Non-resource URLs: ClusterRoleBindings only. */
  a = url("get", "/metrics");
  a.user = "system:serviceaccount:mon:prom";
  assert_true(cp_rbac_authorize(r, &a, reason, sizeof reason));
  assert_string_equal(reason, "RBAC: allowed by ClusterRoleBinding \"scrape\""
                              " of ClusterRole \"metrics\" to ServiceAccount "
                              "\"prom/mon\"");
  a.user = "x";
  a.groups = ops;
  a.n_groups = 1;
  assert_true(cp_rbac_authorize(r, &a, NULL, 0));
  a.verb = "post";
  assert_false(cp_rbac_authorize(r, &a, NULL, 0));

  /* system:masters, outside RBAC: allowed with no reason. */
  a = res("delete", "", "nodes", "", "n", "");
  a.user = "root";
  a.groups = masters;
  a.n_groups = 1;
  assert_true(cp_rbac_authorize(r, &a, reason, sizeof reason));
  assert_string_equal(reason, "");
  assert_true(cp_rbac_authorize(NULL, &a, NULL, 0));
  a.groups = devs;
  assert_false(cp_rbac_authorize(NULL, &a, NULL, 0));

  /* Updates and removals are seen at once. */
  a = res("get", "", "pods", "", "p", "a");
  a.user = "alice";
  put(x, CP_RBAC_ROLE,
      "{\"metadata\":{\"name\":\"pod-reader\",\"namespace\":\"a\"},"
      "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],"
      "\"verbs\":[\"list\"]}]}");
  assert_false(cp_rbac_authorize(r, &a, NULL, 0));
  a.verb = "list";
  assert_true(cp_rbac_authorize(r, &a, NULL, 0));
  put(x, CP_RBAC_ROLE_BINDING,
      RB("alice-pods", "a", "Role", "pod-reader",
         "{\"kind\":\"User\",\"name\":\"bob\"}"));
  assert_false(cp_rbac_authorize(r, &a, NULL, 0));
  a.user = "bob";
  assert_true(cp_rbac_authorize(r, &a, NULL, 0));
  cp_rbac_index_remove(x, CP_RBAC_ROLE_BINDING, "a", "alice-pods");
  assert_false(cp_rbac_authorize(r, &a, NULL, 0));
  assert_int_equal(cp_rbac_index_count(x, CP_RBAC_ROLE_BINDING), 1);
  cp_rbac_index_remove(x, CP_RBAC_CLUSTER_ROLE, NULL, "cm-editor");
  a = res("get", "", "configmaps", "", "c", "b");
  a.user = "eve";
  a.groups = devs;
  a.n_groups = 2;
  assert_false(cp_rbac_authorize(r, &a, NULL, 0));

  cp_rbac_stop(r);
  cp_rbac_index_free(x);
}

static void test_rules_for(void **state) {
  struct cp_rbac_index *x = cp_rbac_index_new();
  struct cp_rbac_rules rules = {0};
  char *devs[] = {"devs"};

  (void)state;
  fill(x);
  assert_int_equal(cp_rbac_index_rules_for(x, "alice", NULL, 0, "a", &rules),
                   0);
  assert_int_equal(rules.n, 1);
  assert_string_equal(rules.v[0].resources.v[0], "pods");
  cp_rbac_rules_clear(&rules);
  assert_int_equal(cp_rbac_index_rules_for(x, "alice", NULL, 0, "", &rules),
                   0);
  assert_int_equal(rules.n, 0);
  /* The same binding reached by a user and a group counts once. */
  assert_int_equal(cp_rbac_index_rules_for(
                       x, "system:serviceaccount:b:builder", devs, 1, "b",
                       &rules),
                   0);
  assert_int_equal(rules.n, 1);
  cp_rbac_rules_clear(&rules);
  assert_int_equal(cp_rbac_index_role_rules(x, "Role", "a", "pod-reader",
                                            &rules),
                   1);
  assert_int_equal(cp_rbac_index_role_rules(x, "Role", "b", "pod-reader",
                                            &rules),
                   0);
  cp_rbac_rules_clear(&rules);
  cp_rbac_index_free(x);
}

/* ------------------------------------------------------------ covers */

static void test_covers(void **state) {
  static const struct {
    const char *owner, *servant;
    int want;
    const char *missing;
  } cases[] = {
      {"[{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]}]",
       "[{\"apiGroups\":[\"\"],\"resources\":[\"pods\",\"pods/log\"],"
       "\"verbs\":[\"get\"]},{\"nonResourceURLs\":[\"/x\"],"
       "\"verbs\":[\"get\"]}]",
       0, "{NonResourceURLs:[\"/x\"], Verbs:[\"get\"]}"},
      {"[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],"
       "\"verbs\":[\"get\",\"list\"]}]",
       "[{\"apiGroups\":[\"\"],\"resources\":[\"pods\",\"secrets\"],"
       "\"verbs\":[\"get\",\"list\",\"delete\"]}]",
       0,
       "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}\n"
       "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\" "
       "\"delete\"]}"},
      {"[{\"apiGroups\":[\"\"],\"resources\":[\"*/scale\"],"
       "\"verbs\":[\"get\"]},{\"apiGroups\":[\"\"],\"resources\":"
       "[\"configmaps\"],\"resourceNames\":[\"a\"],\"verbs\":[\"get\"]}]",
       "[{\"apiGroups\":[\"\"],\"resources\":[\"rc/scale\"],"
       "\"verbs\":[\"get\"]},{\"apiGroups\":[\"\"],\"resources\":"
       "[\"configmaps\"],\"resourceNames\":[\"a\"],\"verbs\":[\"get\"]}]",
       1, NULL},
      /* Holding some names does not cover all names. */
      {"[{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],"
       "\"resourceNames\":[\"a\"],\"verbs\":[\"get\"]}]",
       "[{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],"
       "\"verbs\":[\"get\"]}]",
       0, "{APIGroups:[\"\"], Resources:[\"configmaps\"], Verbs:[\"get\"]}"},
      {"[{\"nonResourceURLs\":[\"/api/*\"],\"verbs\":[\"get\"]}]",
       "[{\"nonResourceURLs\":[\"/api/v1\"],\"verbs\":[\"get\"]}]", 1, NULL},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct cp_rbac_rules o, s;
    char *missing = NULL;
    int rc;

    parse_rules(cases[i].owner, &o);
    parse_rules(cases[i].servant, &s);
    rc = cp_rbac_rules_cover(&o, &s, &missing);
    if (rc != cases[i].want)
      fail_msg("case %zu: %d", i, rc);
    if (cases[i].missing != NULL)
      assert_string_equal(missing, cases[i].missing);
    free(missing);
    cp_rbac_rules_clear(&o);
    cp_rbac_rules_clear(&s);
  }
}

/* ------------------------------------------------------------ aggregation */

struct seen {
  char name[64];
  char *rules;
  size_t n;
};

static void on_update(void *arg, const char *name, json_object *rules) {
  struct seen *s = arg;

  snprintf(s->name, sizeof s->name, "%s", name);
  free(s->rules);
  s->rules = strdup(json_object_to_json_string_ext(rules,
                                                   JSON_C_TO_STRING_PLAIN));
  s->n++;
}

static void test_aggregation(void **state) {
  struct cp_rbac_index *x = cp_rbac_index_new();
  struct seen s = {{0}, NULL, 0};

  (void)state;
  put(x, CP_RBAC_CLUSTER_ROLE,
      "{\"metadata\":{\"name\":\"all\"},\"aggregationRule\":{"
      "\"clusterRoleSelectors\":[{\"matchLabels\":{\"agg\":\"yes\"}}]},"
      "\"rules\":[]}");
  put(x, CP_RBAC_CLUSTER_ROLE,
      "{\"metadata\":{\"name\":\"b\",\"labels\":{\"agg\":\"yes\"}},"
      "\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
      "\"resources\":[\"pods\"]}]}");
  put(x, CP_RBAC_CLUSTER_ROLE,
      "{\"metadata\":{\"name\":\"a\",\"labels\":{\"agg\":\"yes\"}},"
      "\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
      "\"resources\":[\"pods\"]},{\"verbs\":[\"list\"],\"apiGroups\":[\"\"],"
      "\"resources\":[\"pods\"]}]}");
  put(x, CP_RBAC_CLUSTER_ROLE,
      "{\"metadata\":{\"name\":\"c\",\"labels\":{\"agg\":\"no\"}},"
      "\"rules\":[{\"verbs\":[\"*\"],\"apiGroups\":[\"*\"],"
      "\"resources\":[\"*\"]}]}");
  assert_int_equal(cp_rbac_index_aggregation(x, on_update, &s), 1);
  assert_string_equal(s.name, "all");
  /* By role name, each distinct rule once (kube's order). */
  assert_string_equal(s.rules,
                      "[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
                      "\"resources\":[\"pods\"]},{\"verbs\":[\"list\"],"
                      "\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]");
  /* Once written, nothing differs. */
  {
    char json[1024];

    snprintf(json, sizeof json,
             "{\"metadata\":{\"name\":\"all\"},\"aggregationRule\":{"
             "\"clusterRoleSelectors\":[{\"matchLabels\":{\"agg\":\"yes\"}}"
             "]},\"rules\":%s}",
             s.rules);
    put(x, CP_RBAC_CLUSTER_ROLE, json);
  }
  assert_int_equal(cp_rbac_index_aggregation(x, on_update, &s), 0);
  free(s.rules);
  cp_rbac_index_free(x);
}

/* The aggregated rules are kept past the call, as the sync thread keeps
 * them to write, while the watch's thread replaces the roles they came
 * from: they must share no JSON with the index. json-c's reference
 * counts are not atomic (nor seen by TSan): TSan saw the role freed on
 * one thread while the kept rules were serialized on the other. */
struct kept {
  json_object *rules;
};

static void keep_rules(void *arg, const char *name, json_object *rules) {
  struct kept *k = arg;

  (void)name;
  json_object_put(k->rules);
  k->rules = json_object_get(rules);
}

#define AGG_ALL                                                              \
  "{\"metadata\":{\"name\":\"all\"},\"aggregationRule\":{"                     \
  "\"clusterRoleSelectors\":[{\"matchLabels\":{\"agg\":\"yes\"}}]},"           \
  "\"rules\":[]}"
#define AGG_PART                                                             \
  "{\"metadata\":{\"name\":\"part\",\"labels\":{\"agg\":\"yes\"}},"          \
  "\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"                     \
  "\"resources\":[\"pods\"]}]}"

struct replacer {
  struct cp_rbac_index *x;
  atomic_int go; /* relaxed: no happens-before, as between the threads */
};

/* The watch's thread: an event replaces the role, freeing its JSON. */
static void *replace_part(void *arg) {
  struct replacer *r = arg;

  while (!atomic_load_explicit(&r->go, memory_order_relaxed))
    sched_yield();
  put(r->x, CP_RBAC_CLUSTER_ROLE, AGG_PART);
  return NULL;
}

static void test_aggregation_rules_are_copies(void **state) {
  struct replacer r = {cp_rbac_index_new(), 0};
  json_object *part = json_tokener_parse(AGG_PART);
  struct kept k = {NULL};
  pthread_t t;

  (void)state;
  assert_non_null(r.x);
  assert_non_null(part);
  put(r.x, CP_RBAC_CLUSTER_ROLE, AGG_ALL);
  assert_int_equal(cp_rbac_index_put(r.x, CP_RBAC_CLUSTER_ROLE, part), 0);
  assert_int_equal(cp_rbac_index_aggregation(r.x, keep_rules, &k), 1);
  assert_non_null(k.rules);
  assert_int_equal(json_object_array_length(k.rules), 1);
  assert_ptr_not_equal(
      json_object_array_get_idx(k.rules, 0),
      json_object_array_get_idx(json_object_object_get(part, "rules"), 0));
  json_object_put(part); /* the index's reference only, from here */
  /* The sync thread writes the kept rules and drops them; then the
   * watch's thread replaces their role. */
  assert_int_equal(pthread_create(&t, NULL, replace_part, &r), 0);
  assert_non_null(strstr(
      json_object_to_json_string_ext(k.rules, JSON_C_TO_STRING_PLAIN),
      "\"pods\""));
  json_object_put(k.rules);
  atomic_store_explicit(&r.go, 1, memory_order_relaxed);
  pthread_join(t, NULL);
  cp_rbac_index_free(r.x);
}

/* ------------------------------------------------------------ threads */

struct race {
  struct cp_rbac *r;
  int stop;
  long decisions;
};

static void *reader(void *arg) {
  struct race *rc = arg;
  char *g[] = {"g1"};
  struct cp_rbac_attrs a = {"u1", g, 1, "get", 1, "", "pods", "", "p",
                            "ns1", ""};

  while (!__atomic_load_n(&rc->stop, __ATOMIC_ACQUIRE)) {
    cp_rbac_authorize(rc->r, &a, NULL, 0);
    rc->decisions++;
  }
  return NULL;
}

static void test_concurrent(void **state) {
  struct cp_rbac_index *x = cp_rbac_index_new();
  struct race rc[2];
  pthread_t t[2];
  int i;

  (void)state;
  fill(x);
  for (i = 0; i < 2; i++) {
    rc[i].r = cp_rbac_over(x);
    rc[i].stop = 0;
    rc[i].decisions = 0;
    assert_int_equal(pthread_create(&t[i], NULL, reader, &rc[i]), 0);
  }
  for (i = 0; i < 300; i++) {
    put(x, CP_RBAC_ROLE_BINDING,
        RB("b", "ns1", "Role", "r", "{\"kind\":\"User\",\"name\":\"u1\"}"));
    put(x, CP_RBAC_ROLE,
        "{\"metadata\":{\"name\":\"r\",\"namespace\":\"ns1\"},\"rules\":[{"
        "\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}"
        "]}");
    cp_rbac_index_remove(x, CP_RBAC_ROLE_BINDING, "ns1", "b");
  }
  for (i = 0; i < 2; i++) {
    __atomic_store_n(&rc[i].stop, 1, __ATOMIC_RELEASE);
    pthread_join(t[i], NULL);
    cp_rbac_stop(rc[i].r);
  }
  cp_rbac_index_free(x);
}

/* ------------------------------------------------------------ cost */

/* This thread's CPU time: the shared test machine's load does not count. */
static double now_s(void) {
  struct timespec ts;

  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1,000 RoleBindings (one user each, in its own namespace) and 100
 * ClusterRoleBindings of groups: a decision stays a few look-ups. */
static void test_cost(void **state) {
  struct cp_rbac_index *x = cp_rbac_index_new();
  struct cp_rbac *r;
  char json[512], user[32], ns[32];
  char *groups[] = {"g7", "system:authenticated"};
  struct cp_rbac_attrs a;
  double t0, dt, base;
  long i, n = 200000, allowed = 0;
  volatile size_t sink = 0;

  (void)state;
  put(x, CP_RBAC_CLUSTER_ROLE,
      "{\"metadata\":{\"name\":\"edit\"},\"rules\":[{\"apiGroups\":[\"\","
      "\"apps\"],\"resources\":[\"pods\",\"deployments\",\"configmaps\"],"
      "\"verbs\":[\"get\",\"list\",\"create\",\"update\"]}]}");
  for (i = 0; i < 1000; i++) {
    snprintf(json, sizeof json,
             RB("b%ld", "ns%ld", "ClusterRole", "edit",
                "{\"kind\":\"User\",\"name\":\"user%ld\"}"),
             i, i, i);
    put(x, CP_RBAC_ROLE_BINDING, json);
  }
  for (i = 0; i < 100; i++) {
    snprintf(json, sizeof json,
             CRB("g%ld", "none", "{\"kind\":\"Group\",\"name\":\"g%ld\"}"),
             i, i);
    put(x, CP_RBAC_CLUSTER_ROLE_BINDING, json);
  }
  r = cp_rbac_over(x);
  /* The loop alone, to subtract. */
  t0 = now_s();
  for (i = 0; i < n; i++) {
    snprintf(user, sizeof user, "user%ld", i % 1000);
    snprintf(ns, sizeof ns, "ns%ld", (i * 7) % 1000);
    a = res("create", "apps", "deployments", "", "", ns);
    sink += strlen(a.ns) + strlen(user);
  }
  base = now_s() - t0;
  t0 = now_s();
  for (i = 0; i < n; i++) {
    snprintf(user, sizeof user, "user%ld", i % 1000);
    snprintf(ns, sizeof ns, "ns%ld", (i * 7) % 1000);
    a = res("create", "apps", "deployments", "", "", ns);
    a.user = user;
    a.groups = groups;
    a.n_groups = 2;
    allowed += cp_rbac_authorize(r, &a, NULL, 0);
  }
  dt = now_s() - t0;
  /* Allowed only where the namespace is the user's: 6i = 0 mod 1000. */
  assert_true(allowed > 0 && allowed < n);
  printf("rbac: %.0f ns of CPU per decision (1,000 RoleBindings, 100 "
         "ClusterRoleBindings)\n",
         (dt - base) * 1e9 / (double)n);
  cp_rbac_stop(r);
  cp_rbac_index_free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rule_matching), cmocka_unit_test(test_authorizer),
      cmocka_unit_test(test_rules_for),     cmocka_unit_test(test_covers),
      cmocka_unit_test(test_aggregation),
      cmocka_unit_test(test_aggregation_rules_are_copies),
      cmocka_unit_test(test_concurrent),
      cmocka_unit_test(test_cost),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
