/*
 * Unit tests for host/apiserver/audit/policy: kube's audit policy
 * matching, table-driven (users, groups, verbs, resources with
 * subresources and wildcards, resourceNames, namespaces, nonResourceURLs,
 * first match wins, omitStages and omitManagedFields), and bad policies
 * refused with the field and reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apiserver/audit/policy.h"

static const char policy_yaml[] =
    "apiVersion: audit.k8s.io/v1\n"
    "kind: Policy\n"
    "omitStages: [RequestReceived]\n"
    "omitManagedFields: true\n"
    "rules:\n"
    "- level: None\n"                             /* 0 */
    "  users: [system:kube-proxy]\n"
    "  verbs: [watch]\n"
    "- level: None\n"                             /* 1 */
    "  userGroups: [system:nodes]\n"
    "  nonResourceURLs: [/healthz*, /version]\n"
    "- level: Metadata\n"                         /* 2 */
    "  resources:\n"
    "  - group: \"\"\n"
    "    resources: [secrets, configmaps/status]\n"
    "- level: RequestResponse\n"                  /* 3 */
    "  omitManagedFields: false\n"
    "  omitStages: [ResponseStarted]\n"
    "  resources:\n"
    "  - group: \"\"\n"
    "    resources: [configmaps]\n"
    "    resourceNames: [special]\n"
    "- level: Request\n"                          /* 4 */
    "  resources:\n"
    "  - group: apps\n"
    "    resources: [\"deployments/*\"]\n"
    "  - group: \"\"\n"
    "    resources: [\"*/status\"]\n"
    "- level: Metadata\n"                         /* 5 */
    "  namespaces: [\"\"]\n"
    "- level: Request\n"                          /* 6 */
    "  namespaces: [kube-system]\n"
    "  resources:\n"
    "  - group: \"\"\n"
    "- level: RequestResponse\n"                  /* 7 */
    "  verbs: [get]\n"
    "  nonResourceURLs: [\"*\"]\n"
    "- level: None\n";                            /* 8 */

struct row {
  const char *what;
  const char *user, *group, *verb;
  int resource;
  const char *api_group, *res, *sub, *ns, *name, *path;
  enum cp_audit_level want;
  unsigned stages;
  int omf;
};

#define RS CP_AUDIT_STAGE_RESPONSE_STARTED
#define RR CP_AUDIT_STAGE_REQUEST_RECEIVED

static const struct row rows[] = {
    {"kube-proxy watch: None", "system:kube-proxy", "g", "watch", 1, "",
     "endpoints", "", "", "", "", CP_AUDIT_NONE, RR, 1},
    {"kube-proxy get of a secret: Metadata", "system:kube-proxy", "g", "get",
     1, "", "secrets", "", "ns", "s", "", CP_AUDIT_METADATA, RR, 1},
    {"node healthz prefix: None", "n1", "system:nodes", "get", 0, "", "", "",
     "", "", "/healthz/ping", CP_AUDIT_NONE, RR, 1},
    {"other user healthz: the get rule", "alice", "g", "get", 0, "", "", "",
     "", "", "/healthz", CP_AUDIT_REQUEST_RESPONSE, RR, 1},
    {"post to a path: no rule", "alice", "g", "post", 0, "", "", "", "", "",
     "/x", CP_AUDIT_NONE, RR, 1},
    {"secret in another group: not rule 2", "alice", "g", "get", 1, "apps",
     "secrets", "", "ns", "", "", CP_AUDIT_NONE, RR, 1},
    {"configmaps/status exact", "alice", "g", "update", 1, "", "configmaps",
     "status", "ns", "c", "", CP_AUDIT_METADATA, RR, 1},
    {"configmap named special", "alice", "g", "get", 1, "", "configmaps", "",
     "ns", "special", "", CP_AUDIT_REQUEST_RESPONSE, RR | RS, 0},
    {"configmap of another name", "alice", "g", "get", 1, "", "configmaps",
     "", "ns", "other", "", CP_AUDIT_NONE, RR, 1},
    {"deployments/* matches the resource", "alice", "g", "create", 1, "apps",
     "deployments", "", "ns", "", "", CP_AUDIT_REQUEST, RR, 1},
    {"deployments/* matches a subresource", "alice", "g", "update", 1, "apps",
     "deployments", "scale", "ns", "d", "", CP_AUDIT_REQUEST, RR, 1},
    {"*/status matches pods/status", "alice", "g", "patch", 1, "", "pods",
     "status", "ns", "p", "", CP_AUDIT_REQUEST, RR, 1},
    {"*/status not pods/log", "alice", "g", "get", 1, "", "pods", "log", "ns",
     "p", "", CP_AUDIT_NONE, RR, 1},
    {"cluster-scoped: namespaces [\"\"]", "alice", "g", "list", 1,
     "rbac.authorization.k8s.io", "clusterroles", "", "", "", "",
     CP_AUDIT_METADATA, RR, 1},
    {"kube-system core", "alice", "g", "list", 1, "", "pods", "", "kube-system",
     "", "", CP_AUDIT_REQUEST, RR, 1},
    {"kube-system other group: None", "alice", "g", "list", 1, "apps",
     "replicasets", "", "kube-system", "", "", CP_AUDIT_NONE, RR, 1},
    {"failed authentication: no user", NULL, NULL, "get", 1, "", "secrets",
     "", "ns", "", "", CP_AUDIT_METADATA, RR, 1},
};

static struct cp_audit_policy *load(const char *text) {
  struct cp_audit_policy *p = NULL;
  char *err = NULL;

  if (cp_audit_policy_parse(text, strlen(text), &p, &err) != 0)
    fail_msg("%s", err ? err : "out of memory");
  return p;
}

static void test_table(void **state) {
  struct cp_audit_policy *p = load(policy_yaml);
  size_t i;

  (void)state;
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    const struct row *r = &rows[i];
    char *groups[1] = {(char *)r->group};
    struct cp_audit_attrs a = {
        .user = r->user, .groups = groups, .n_groups = r->group ? 1 : 0,
        .verb = r->verb, .resource_request = r->resource,
        .group = r->api_group, .resource = r->res, .subresource = r->sub,
        .ns = r->ns, .name = r->name, .path = r->path};
    struct cp_audit_decision d;

    cp_audit_policy_decide(p, &a, &d);
    if (d.level != r->want || d.omit_stages != r->stages ||
        d.omit_managed_fields != r->omf)
      fail_msg("%s: level %s stages %u omf %d, want %s %u %d", r->what,
               cp_audit_level_name(d.level), d.omit_stages,
               d.omit_managed_fields, cp_audit_level_name(r->want), r->stages,
               r->omf);
  }
  cp_audit_policy_free(p);
}

static void test_json_policy(void **state) {
  struct cp_audit_policy *p = load(
      "{\"apiVersion\":\"audit.k8s.io/v1\",\"kind\":\"Policy\","
      "\"rules\":[{\"level\":\"Metadata\"}]}");
  struct cp_audit_attrs a = {.user = "u", .verb = "get", .path = "/x",
                             .group = "", .resource = "", .subresource = "",
                             .ns = "", .name = ""};
  struct cp_audit_decision d;

  (void)state;
  cp_audit_policy_decide(p, &a, &d);
  assert_int_equal(d.level, CP_AUDIT_METADATA);
  assert_int_equal(d.omit_stages, 0);
  assert_int_equal(d.omit_managed_fields, 0);
  cp_audit_policy_free(p);
}

struct bad {
  const char *text, *want;
};

static const struct bad bads[] = {
    {"apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules: [{level: None}]",
     "apiVersion must be \"audit.k8s.io/v1\""},
    {"apiVersion: audit.k8s.io/v1\nkind: Pod\nrules: [{level: None}]",
     "kind must be \"Policy\""},
    {"apiVersion: audit.k8s.io/v1\nkind: Policy\n",
     "loaded illegal policy with 0 rules"},
    {"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Everything",
     "rules[0].level: Unsupported value: \"Everything\""},
    {"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n"
     "- users: [a]\n",
     "rules[1].level: Required value"},
    {"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n"
     "  omitStages: [Done]\n",
     "rules[0].omitStages[0]: Unsupported value: \"Done\""},
    {"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n"
     "  nonResourceURLs: [/a]\n  namespaces: [x]\n",
     "rules cannot apply to both regular resources and non-resource URLs"},
    {"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n"
     "  nonResourceURLs: [a/b]\n",
     "must begin with a '/' character"},
    {"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n"
     "  nonResourceURLs: [/a*b]\n",
     "wildcards '*' must be the final character"},
    {"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n"
     "  users: a\n",
     "rules[0].users: must be a list of strings"},
    {"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n"
     "  resources: [{resourceNames: [x]}]\n",
     "using resourceNames requires at least one resource"},
    {"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n"
     "  omitManagedFields: maybe\n",
     "rules[0].omitManagedFields: must be true or false"},
    {"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: None\n"
     " bad: [\n",
     "yaml: line 4: did not find expected key"},
};

static void test_bad_policies(void **state) {
  size_t i;

  (void)state;
  for (i = 0; i < sizeof bads / sizeof bads[0]; i++) {
    struct cp_audit_policy *p = NULL;
    char *err = NULL;

    if (cp_audit_policy_parse(bads[i].text, strlen(bads[i].text), &p, &err) !=
        -1)
      fail_msg("bad policy %zu was accepted", i);
    assert_null(p);
    assert_non_null(err);
    if (strstr(err, bads[i].want) == NULL)
      fail_msg("policy %zu: \"%s\" does not say \"%s\"", i, err,
               bads[i].want);
    free(err);
  }
}

static void test_load_names_the_file(void **state) {
  struct cp_audit_policy *p = NULL;
  char *err = NULL;

  (void)state;
  assert_int_equal(cp_audit_policy_load("/nonexistent/policy.yaml", &p, &err),
                   -1);
  assert_non_null(strstr(err, "/nonexistent/policy.yaml"));
  assert_non_null(strstr(err, "No such file"));
  free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_json_policy),
      cmocka_unit_test(test_bad_policies),
      cmocka_unit_test(test_load_names_the_file),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
