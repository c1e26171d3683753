/*
 * Unit tests for host/apiserver/vap: a policy compiled (defaults,
 * compile errors), matchConstraints and binding matchResources (rules,
 * resourceNames, excludeResourceRules, selectors, scope), params (by
 * name, by selector, not found with Deny and Allow, paramKind unknown),
 * lazily composited variables, messages (messageExpression, message,
 * "failed expression"), reasons and codes, failurePolicy, the
 * validationActions Deny/Warn/Audit with kube's words,
 * auditAnnotations, matchConditions, and the `request` variable.
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

#include "apiserver/strategy/strategy.h"
#include "apiserver/vap/evaluate.h"
#include "apiserver/vap/match.h"
#include "apiserver/vap/policy.h"
#include "apiserver/vap/set.h"
#include "cel/cel.h"

static json_object *parse(const char *text) {
  json_object *o = json_tokener_parse(text);

  assert_non_null(o);
  return o;
}

/* A policy on apps/v1 deployments CREATE/UPDATE with spec text extra
 * (JSON members after matchConstraints). */
static json_object *policy(const char *name, const char *extra) {
  char buf[4096];

  snprintf(buf, sizeof buf,
           "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"failurePolicy\":"
           "\"Fail\",\"matchConstraints\":{\"resourceRules\":[{"
           "\"apiGroups\":[\"apps\"],\"apiVersions\":[\"v1\"],"
           "\"operations\":[\"CREATE\",\"UPDATE\"],\"resources\":"
           "[\"deployments\"]}]},%s}}",
           name, extra);
  return parse(buf);
}

static json_object *binding(const char *name, const char *policy_name,
                            const char *extra) {
  char buf[2048];

  snprintf(buf, sizeof buf,
           "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"policyName\":"
           "\"%s\"%s%s}}",
           name, policy_name, extra[0] ? "," : "", extra);
  return parse(buf);
}

/* One request: a create of Deployment web in ns with replicas. */
struct req {
  struct cp_webhook_attrs a;
  json_object *obj, *request, *ns_labels, *ns_object;
};

static void req_init(struct req *r, const char *op, int replicas,
                     const char *labels) {
  char buf[512];

  memset(r, 0, sizeof *r);
  snprintf(buf, sizeof buf,
           "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
           "\"metadata\":{\"name\":\"web\",\"namespace\":\"ns\","
           "\"labels\":%s},\"spec\":{\"replicas\":%d}}",
           labels, replicas);
  r->obj = parse(buf);
  r->a.operation = op;
  r->a.group = "apps";
  r->a.version = "v1";
  r->a.resource = "deployments";
  r->a.subresource = "";
  r->a.kind = "Deployment";
  r->a.ns = "ns";
  r->a.name = "web";
  r->a.object = r->obj;
  r->request = cp_vap_request_object(&r->a, "alice", "u-1", NULL, 0, 0,
                                     NULL);
  assert_non_null(r->request);
  r->ns_object = parse("{\"metadata\":{\"name\":\"ns\",\"labels\":"
                       "{\"env\":\"test\"}}}");
  r->ns_labels = json_object_object_get(
      json_object_object_get(r->ns_object, "metadata"), "labels");
}

static void req_clear(struct req *r) {
  json_object_put(r->obj);
  json_object_put(r->request);
  json_object_put(r->ns_object);
}

/* params: a table of ConfigMaps by name, "limits" -> maxReplicas 5,
 * selectable by label tier=a ("a1": 3, "a2": 4). */
static int fake_params(void *arg, const struct cp_vap_policy *p,
                       const struct cp_vap_binding *b, const char *ns,
                       json_object **out, char **err) {
  (void)arg;
  (void)ns;
  if (strcmp(p->param_kind, "ConfigMap") != 0) {
    *err = strdup("failed to find resource referenced by paramKind");
    return -1;
  }
  *out = json_object_new_array();
  if (b->param_name[0] != '\0') {
    if (strcmp(b->param_name, "limits") == 0)
      json_object_array_add(*out, parse("{\"data\":{\"max\":\"5\"}}"));
    return 0;
  }
  json_object_array_add(*out, parse("{\"data\":{\"max\":\"3\"}}"));
  json_object_array_add(*out, parse("{\"data\":{\"max\":\"4\"}}"));
  return 0;
}

/* authorizer: the user may get configmaps in ns, and a ServiceAccount
 * kube-system/robot may do anything; /healthz is open. */
static int fake_authorize(void *arg, const struct cp_cel_authz_check *c,
                          char **reason) {
  (void)arg;
  if (c->sa_name != NULL) {
    *reason = strdup("robot");
    return strcmp(c->sa_ns, "kube-system") == 0 &&
           strcmp(c->sa_name, "robot") == 0;
  }
  if (!c->resource_request)
    return strcmp(c->path, "/healthz") == 0;
  /* authorizer.requestResource: the request's own deployment. */
  if (strcmp(c->verb, "update") == 0 && strcmp(c->group, "apps") == 0 &&
      strcmp(c->resource, "deployments") == 0 && strcmp(c->ns, "ns") == 0 &&
      strcmp(c->name, "web") == 0 && strcmp(c->subresource, "") == 0)
    return 1;
  if (strcmp(c->verb, "get") == 0 && strcmp(c->resource, "configmaps") == 0 &&
      c->group != NULL && c->group[0] == '\0' && c->ns != NULL &&
      strcmp(c->ns, "ns") == 0) {
    *reason = strdup("RBAC: allowed by RoleBinding \"r/ns\"");
    return 1;
  }
  return 0;
}

/* Evaluates policies p[0..np) and bindings b[0..nb) (taken) on r. */
static void run(json_object **p, size_t np, json_object **b, size_t nb,
                struct req *r, struct cp_vap_outcome *out) {
  struct cp_vap_snapshot *snap = cp_vap_snapshot_build(p, np, b, nb);
  struct cp_vap_input in = {.attrs = &r->a,
                            .request = r->request,
                            .ns_object = r->ns_object,
                            .ns_labels = r->ns_labels,
                            .params = fake_params,
                            .authorize = fake_authorize};
  size_t i;

  /* The snapshot keeps nothing of the objects it was built from (the
   * server frees them at once). */
  for (i = 0; i < np; i++)
    json_object_put(p[i]);
  for (i = 0; i < nb; i++)
    json_object_put(b[i]);

  assert_non_null(snap);
  assert_int_equal(cp_vap_evaluate(snap, &in, out), 0);
  cp_vap_snapshot_free(snap);
}

/* ------------------------------------------------------------ policy */

static void test_policy_compile(void **state) {
  json_object *o = policy("p", "\"validations\":[{\"expression\":"
                               "\"object.spec.replicas <\"},{"
                               "\"expression\":\"params.x\"}],"
                               "\"variables\":[{\"name\":\"v\","
                               "\"expression\":\"1\"}]");
  struct cp_field_errors errs = CP_FIELD_ERRORS_INIT;
  struct cp_vap_policy p;

  (void)state;
  assert_int_equal(cp_vap_policy_parse(o, &p, &errs), 0);
  assert_int_equal(errs.n, 2);
  assert_string_equal(errs.v[0].field, "spec.validations[0].expression");
  assert_non_null(strstr(errs.v[0].message,
                         "Invalid value: \"object.spec.replicas <\": "
                         "compilation failed: ERROR: <input>:1:"));
  /* Without a paramKind, params is not declared (kube's
   * OptionalVariableDeclarations). */
  assert_non_null(strstr(errs.v[1].message, "undeclared reference to "
                                            "'params'"));
  assert_non_null(p.compile_error);
  assert_int_equal(p.n_variables, 1);
  assert_non_null(p.variables[0].prog);
  assert_int_equal(p.validations[0].code, 422);
  cp_vap_policy_clear(&p);
  cp_field_errors_clear(&errs);
  json_object_put(o);
  assert_int_equal(cp_vap_reason_code("Forbidden"), 403);
  assert_int_equal(cp_vap_reason_code("Unauthorized"), 401);
  assert_int_equal(cp_vap_reason_code("RequestEntityTooLarge"), 413);
  assert_int_equal(cp_vap_reason_code("Invalid"), 422);
  assert_int_equal(cp_vap_reason_code("Nope"), 0);
}

/* ------------------------------------------------------------ matching */

static void test_match_resources(void **state) {
  struct req r;
  json_object *mr;

  (void)state;
  req_init(&r, "CREATE", 1, "{\"app\":\"web\"}");
  mr = parse("{\"resourceRules\":[{\"apiGroups\":[\"apps\"],"
             "\"apiVersions\":[\"*\"],\"operations\":[\"*\"],"
             "\"resources\":[\"deployments\"],\"resourceNames\":"
             "[\"other\",\"web\"]}]}");
  assert_int_equal(cp_vap_matches(mr, &r.a, NULL), 1);
  json_object_put(mr);
  /* resourceNames that do not name it. */
  mr = parse("{\"resourceRules\":[{\"apiGroups\":[\"apps\"],"
             "\"apiVersions\":[\"v1\"],\"operations\":[\"CREATE\"],"
             "\"resources\":[\"deployments\"],\"resourceNames\":[\"x\"]}]}");
  assert_int_equal(cp_vap_matches(mr, &r.a, NULL), 0);
  json_object_put(mr);
  /* No resourceRules: everything; excludeResourceRules win. */
  mr = parse("{}");
  assert_int_equal(cp_vap_matches(mr, &r.a, NULL), 1);
  json_object_put(mr);
  mr = parse("{\"excludeResourceRules\":[{\"apiGroups\":[\"*\"],"
             "\"apiVersions\":[\"*\"],\"operations\":[\"*\"],"
             "\"resources\":[\"*\"]}]}");
  assert_int_equal(cp_vap_matches(mr, &r.a, NULL), 0);
  json_object_put(mr);
  /* A subresource needs "deployments/scale" or "deployments/ *". */
  r.a.subresource = "scale";
  mr = parse("{\"resourceRules\":[{\"apiGroups\":[\"apps\"],"
             "\"apiVersions\":[\"v1\"],\"operations\":[\"*\"],"
             "\"resources\":[\"deployments\"]}]}");
  assert_int_equal(cp_vap_matches(mr, &r.a, NULL), 0);
  json_object_put(mr);
  mr = parse("{\"resourceRules\":[{\"apiGroups\":[\"apps\"],"
             "\"apiVersions\":[\"v1\"],\"operations\":[\"*\"],"
             "\"resources\":[\"deployments/*\"]}]}");
  assert_int_equal(cp_vap_matches(mr, &r.a, NULL), 1);
  json_object_put(mr);
  r.a.subresource = "";
  /* Scope Cluster does not take a namespaced object. */
  mr = parse("{\"resourceRules\":[{\"apiGroups\":[\"*\"],"
             "\"apiVersions\":[\"*\"],\"operations\":[\"*\"],"
             "\"resources\":[\"*\"],\"scope\":\"Cluster\"}]}");
  assert_int_equal(cp_vap_matches(mr, &r.a, NULL), 0);
  json_object_put(mr);
  /* Selectors: the namespace's labels, the object's labels. */
  mr = parse("{\"namespaceSelector\":{\"matchLabels\":{\"env\":\"test\"}},"
             "\"objectSelector\":{\"matchExpressions\":[{\"key\":\"app\","
             "\"operator\":\"In\",\"values\":[\"web\"]}]}}");
  assert_int_equal(cp_vap_needs_ns_labels(mr, &r.a), 1);
  assert_int_equal(cp_vap_matches(mr, &r.a, r.ns_labels), 1);
  assert_int_equal(cp_vap_matches(mr, &r.a, NULL), 0);
  json_object_put(mr);
  /* NULL constraints match nothing. */
  assert_int_equal(cp_vap_matches(NULL, &r.a, NULL), 0);
  req_clear(&r);
}

/* ------------------------------------------------------------ outcomes */

static void test_deny_message_and_reason(void **state) {
  json_object *p[1], *b[1];
  struct cp_vap_outcome out;
  struct req r;

  (void)state;
  req_init(&r, "CREATE", 7, "{}");
  p[0] = policy("limit", "\"validations\":[{\"expression\":"
                         "\"object.spec.replicas <= 5\",\"reason\":"
                         "\"Forbidden\",\"messageExpression\":\"'too many: '"
                         " + string(object.spec.replicas)\"}]");
  b[0] = binding("limit-b", "limit", "\"validationActions\":[\"Deny\"]");
  run(p, 1, b, 1, &r, &out);
  assert_int_equal(out.denied, 1);
  assert_int_equal(out.code, 403);
  assert_string_equal(out.reason, "Forbidden");
  assert_string_equal(out.message, "ValidatingAdmissionPolicy 'limit' with "
                                   "binding 'limit-b' denied request: too "
                                   "many: 7");
  assert_null(out.warnings);
  cp_vap_outcome_clear(&out);

  /* message, then the expression, when messageExpression gives nothing. */
  p[0] = policy("limit", "\"validations\":[{\"expression\":"
                         "\"object.spec.replicas <= 5\",\"message\":"
                         "\" keep it small \",\"messageExpression\":\"''\"},"
                         "{\"expression\":\" object.spec.replicas < 2 \"}]");
  b[0] = binding("limit-b", "limit",
                 "\"validationActions\":[\"Warn\",\"Audit\"]");
  run(p, 1, b, 1, &r, &out);
  assert_int_equal(out.denied, 0);
  assert_non_null(out.warnings);
  assert_int_equal(json_object_array_length(out.warnings), 2);
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(out.warnings, 0)),
      "Validation failed for ValidatingAdmissionPolicy 'limit' with binding "
      "'limit-b': keep it small");
  assert_string_equal(
      json_object_get_string(json_object_array_get_idx(out.warnings, 1)),
      "Validation failed for ValidatingAdmissionPolicy 'limit' with binding "
      "'limit-b': failed expression: object.spec.replicas < 2");
  assert_non_null(out.audit);
  assert_non_null(strstr(
      json_object_get_string(json_object_object_get(
          out.audit, "validation.policy.admission.k8s.io/validation_failure")),
      "\"binding\":\"limit-b\",\"expressionIndex\":1,"
      "\"validationActions\":[\"Warn\",\"Audit\"]"));
  cp_vap_outcome_clear(&out);
  req_clear(&r);
}

static void test_failure_policy(void **state) {
  json_object *p[2], *b[2];
  struct cp_vap_outcome out;
  struct req r;

  (void)state;
  req_init(&r, "CREATE", 1, "{}");
  /* An evaluation error: Fail denies (reason Invalid, 422). */
  p[0] = policy("a", "\"validations\":[{\"expression\":"
                     "\"object.spec.nope == 1\"}]");
  b[0] = binding("a", "a", "\"validationActions\":[\"Deny\"]");
  run(p, 1, b, 1, &r, &out);
  assert_int_equal(out.denied, 1);
  assert_int_equal(out.code, 422);
  assert_string_equal(out.reason, "Invalid");
  assert_string_equal(out.message,
                      "ValidatingAdmissionPolicy 'a' with binding 'a' denied "
                      "request: expression 'object.spec.nope == 1' resulted "
                      "in error: no such key: nope");
  cp_vap_outcome_clear(&out);
  /* Ignore lets it through; a stored policy that does not compile
   * follows failurePolicy too. */
  p[0] = parse("{\"metadata\":{\"name\":\"i\"},\"spec\":{\"failurePolicy\":"
               "\"Ignore\",\"matchConstraints\":{},\"validations\":[{"
               "\"expression\":\"object.spec.nope == 1\"}]}}");
  b[0] = binding("i", "i", "\"validationActions\":[\"Deny\"]");
  p[1] = policy("c", "\"validations\":[{\"expression\":\"1 +\"}]");
  b[1] = binding("c", "c", "\"validationActions\":[\"Deny\"]");
  run(p, 2, b, 2, &r, &out);
  assert_int_equal(out.denied, 1);
  assert_non_null(strstr(out.message, "'c' with binding 'c' denied request: "
                                      "expression '1 +' resulted in error: "
                                      "spec.validations[0].expression: "
                                      "Invalid value: compilation failed"));
  cp_vap_outcome_clear(&out);
  req_clear(&r);
}

static void test_params(void **state) {
  json_object *p[1], *b[1];
  struct cp_vap_outcome out;
  struct req r;
  const char *pk = "\"paramKind\":{\"apiVersion\":\"v1\",\"kind\":"
                   "\"ConfigMap\"},\"validations\":[{\"expression\":"
                   "\"object.spec.replicas <= int(params.data.max)\"}]";
  char ext[1024];

  (void)state;
  req_init(&r, "CREATE", 4, "{}");
  /* By name: max 5, 4 passes. */
  snprintf(ext, sizeof ext, "%s", pk);
  p[0] = policy("p", ext);
  b[0] = binding("b", "p", "\"validationActions\":[\"Deny\"],\"paramRef\":"
                           "{\"name\":\"limits\",\"parameterNotFoundAction\":"
                           "\"Deny\"}");
  run(p, 1, b, 1, &r, &out);
  assert_int_equal(out.denied, 0);
  cp_vap_outcome_clear(&out);
  /* By selector: once per param; max 3 fails, max 4 passes. */
  p[0] = policy("p", ext);
  b[0] = binding("b", "p", "\"validationActions\":[\"Warn\"],\"paramRef\":"
                           "{\"selector\":{},\"parameterNotFoundAction\":"
                           "\"Deny\"}");
  run(p, 1, b, 1, &r, &out);
  assert_int_equal(out.denied, 0);
  assert_int_equal(json_object_array_length(out.warnings), 1);
  cp_vap_outcome_clear(&out);
  /* Not found: Deny denies whatever the actions, Allow skips. */
  p[0] = policy("p", ext);
  b[0] = binding("b", "p", "\"validationActions\":[\"Warn\"],\"paramRef\":"
                           "{\"name\":\"gone\",\"parameterNotFoundAction\":"
                           "\"Deny\"}");
  run(p, 1, b, 1, &r, &out);
  assert_int_equal(out.denied, 1);
  assert_string_equal(out.message,
                      "ValidatingAdmissionPolicy 'p' with binding 'b' denied "
                      "request: failed to configure binding: no params found "
                      "for policy binding with `Deny` "
                      "parameterNotFoundAction");
  cp_vap_outcome_clear(&out);
  p[0] = policy("p", ext);
  b[0] = binding("b", "p", "\"validationActions\":[\"Deny\"],\"paramRef\":"
                           "{\"name\":\"gone\",\"parameterNotFoundAction\":"
                           "\"Allow\"}");
  run(p, 1, b, 1, &r, &out);
  assert_int_equal(out.denied, 0);
  cp_vap_outcome_clear(&out);
  /* paramKind without paramRef is a configuration error. */
  p[0] = policy("p", ext);
  b[0] = binding("b", "p", "\"validationActions\":[\"Deny\"]");
  run(p, 1, b, 1, &r, &out);
  assert_int_equal(out.denied, 1);
  assert_non_null(strstr(out.message, "failed to configure binding: "));
  cp_vap_outcome_clear(&out);
  req_clear(&r);
}

static void test_variables_conditions_audit(void **state) {
  json_object *p[1], *b[1];
  struct cp_vap_outcome out;
  struct req r;

  (void)state;
  req_init(&r, "CREATE", 9, "{}");
  /* Variables see the ones before them; one never named is never run
   * (its error does not matter); matchConditions gate the policy. */
  p[0] = policy("v", "\"variables\":[{\"name\":\"r\",\"expression\":"
                     "\"object.spec.replicas\"},{\"name\":\"double\","
                     "\"expression\":\"variables.r * 2\"},{\"name\":"
                     "\"broken\",\"expression\":\"object.nope\"}],"
                     "\"matchConditions\":[{\"name\":\"user\",\"expression\":"
                     "\"request.userInfo.username == 'alice'\"}],"
                     "\"validations\":[{\"expression\":\"variables.double < "
                     "10\",\"messageExpression\":\"'double is ' + "
                     "string(variables.double)\"}],\"auditAnnotations\":[{"
                     "\"key\":\"replicas\",\"valueExpression\":\"string("
                     "variables.r)\"},{\"key\":\"none\",\"valueExpression\":"
                     "\"null\"}]");
  b[0] = binding("v", "v", "\"validationActions\":[\"Deny\"]");
  run(p, 1, b, 1, &r, &out);
  assert_int_equal(out.denied, 1);
  assert_string_equal(out.message, "ValidatingAdmissionPolicy 'v' with "
                                   "binding 'v' denied request: double is 18");
  assert_string_equal(json_object_get_string(
                          json_object_object_get(out.audit, "v/replicas")),
                      "9");
  assert_null(json_object_object_get(out.audit, "v/none"));
  cp_vap_outcome_clear(&out);
  /* A condition that does not hold: nothing runs. */
  p[0] = policy("v", "\"matchConditions\":[{\"name\":\"op\",\"expression\":"
                     "\"request.operation == 'DELETE'\"}],\"validations\":"
                     "[{\"expression\":\"false\"}]");
  b[0] = binding("v", "v", "\"validationActions\":[\"Deny\"]");
  run(p, 1, b, 1, &r, &out);
  assert_int_equal(out.denied, 0);
  cp_vap_outcome_clear(&out);
  /* kube's matcher: a false condition wins over an erroring one (the
   * policy does not apply, even under Fail). */
  p[0] = policy("v", "\"matchConditions\":[{\"name\":\"err\",\"expression\":"
                     "\"object.nope == 1\"},{\"name\":\"no\",\"expression\":"
                     "\"false\"}],\"validations\":[{\"expression\":\"false\"}]");
  b[0] = binding("v", "v", "\"validationActions\":[\"Deny\"]");
  run(p, 1, b, 1, &r, &out);
  assert_int_equal(out.denied, 0);
  cp_vap_outcome_clear(&out);
  /* authorizer.requestResource is the request's resource. */
  p[0] = policy("v", "\"validations\":[{\"expression\":\"authorizer"
                     ".requestResource.check('update').allowed()\"}]");
  b[0] = binding("v", "v", "\"validationActions\":[\"Deny\"]");
  run(p, 1, b, 1, &r, &out);
  assert_int_equal(out.denied, 0);
  cp_vap_outcome_clear(&out);
  /* A binding's matchResources narrows the policy: namespace labels. */
  p[0] = policy("v", "\"validations\":[{\"expression\":\"false\"}]");
  b[0] = binding("v", "v", "\"validationActions\":[\"Deny\"],"
                           "\"matchResources\":{\"namespaceSelector\":{"
                           "\"matchLabels\":{\"env\":\"prod\"}}}");
  run(p, 1, b, 1, &r, &out);
  assert_int_equal(out.denied, 0);
  cp_vap_outcome_clear(&out);
  /* A binding naming no policy, and a policy that does not match. */
  p[0] = policy("v", "\"validations\":[{\"expression\":\"false\"}]");
  b[0] = binding("w", "nope", "\"validationActions\":[\"Deny\"]");
  run(p, 1, b, 1, &r, &out);
  assert_int_equal(out.denied, 0);
  cp_vap_outcome_clear(&out);
  req_clear(&r);
}

static void test_authorizer(void **state) {
  json_object *p[1], *b[1];
  struct cp_vap_outcome out;
  struct req r;

  (void)state;
  req_init(&r, "CREATE", 1, "{}");
  p[0] = policy("z", "\"validations\":["
                     "{\"expression\":\"authorizer.group('').resource("
                     "'configmaps').namespace('ns').check('get').allowed()\","
                     "\"message\":\"1\"},"
                     "{\"expression\":\"!authorizer.group('').resource("
                     "'configmaps').namespace('other').check('get')"
                     ".allowed()\",\"message\":\"2\"},"
                     "{\"expression\":\"authorizer.group('').resource("
                     "'configmaps').namespace('ns').name('x').check('get')"
                     ".reason().startsWith('RBAC: allowed')\",\"message\":"
                     "\"3\"},"
                     "{\"expression\":\"authorizer.path('/healthz')"
                     ".check('get').allowed() && !authorizer.path('/x')"
                     ".check('get').allowed()\",\"message\":\"4\"},"
                     "{\"expression\":\"authorizer.serviceAccount("
                     "'kube-system', 'robot').group('apps').resource("
                     "'deployments').check('delete').allowed()\","
                     "\"message\":\"5\"},"
                     "{\"expression\":\"authorizer.group('apps').resource("
                     "'deployments').check('create').allowed()\","
                     "\"message\":\"denied\"}]");
  b[0] = binding("z", "z", "\"validationActions\":[\"Warn\"]");
  run(p, 1, b, 1, &r, &out);
  assert_int_equal(out.denied, 0);
  assert_non_null(out.warnings);
  assert_int_equal(json_object_array_length(out.warnings), 1);
  assert_non_null(strstr(json_object_get_string(json_object_array_get_idx(
                             out.warnings, 0)),
                         ": denied"));
  cp_vap_outcome_clear(&out);
  req_clear(&r);
}

static void test_request_variable(void **state) {
  struct req r;
  json_object *v;

  (void)state;
  req_init(&r, "UPDATE", 1, "{}");
  assert_string_equal(json_object_get_string(json_object_object_get(
                          r.request, "operation")),
                      "UPDATE");
  json_object_put(r.request);
  r.request = cp_vap_request_object(&r.a, "bob", NULL, (char *[]){"g1"}, 1,
                                    1, NULL);
  assert_string_equal(json_object_get_string(json_object_object_get(
                          json_object_object_get(r.request, "kind"), "kind")),
                      "Deployment");
  assert_string_equal(
      json_object_get_string(json_object_object_get(
          json_object_object_get(r.request, "resource"), "resource")),
      "deployments");
  v = json_object_object_get(r.request, "userInfo");
  assert_string_equal(json_object_get_string(json_object_object_get(
                          v, "username")),
                      "bob");
  assert_int_equal(json_object_array_length(json_object_object_get(v,
                                                                   "groups")),
                   1);
  assert_true(json_object_get_boolean(json_object_object_get(r.request,
                                                             "dryRun")));
  /* A /scale write: kind and requestKind are autoscaling/v1 Scale. */
  json_object_put(r.request);
  r.a.subresource = "scale";
  r.a.kind = "Scale";
  r.a.kind_group = "autoscaling";
  r.a.kind_version = "v1";
  r.request = cp_vap_request_object(&r.a, "bob", NULL, NULL, 0, 0, NULL);
  assert_string_equal(json_object_to_json_string_ext(
                          json_object_object_get(r.request, "requestKind"),
                          JSON_C_TO_STRING_PLAIN),
                      "{\"group\":\"autoscaling\",\"version\":\"v1\","
                      "\"kind\":\"Scale\"}");
  assert_string_equal(json_object_get_string(json_object_object_get(
                          json_object_object_get(r.request, "resource"),
                          "group")),
                      "apps");
  req_clear(&r);
}

/* ------------------------------------------------------------ strategy */

/* Prepare and validate of resource's strategy on a create of obj: the
 * errors as "field: message; ...", and obj as prepared in *prepared. */
static char *strategy_errors(const char *resource, const char *obj,
                             json_object **prepared) {
  static const struct cp_resource_type types[] = {
      {"admissionregistration.k8s.io", "v1", "validatingadmissionpolicies",
       "", "ValidatingAdmissionPolicy", "", 0, {NULL}, 1, 1},
      {"admissionregistration.k8s.io", "v1",
       "validatingadmissionpolicybindings", "",
       "ValidatingAdmissionPolicyBinding", "", 0, {NULL}, 0, 1}};
  const struct cp_strategy *st =
      cp_strategy_for(&types[strcmp(resource, "bindings") == 0]);
  struct cp_strategy_write w = {CP_OP_CREATE, NULL, 0, NULL, NULL};
  struct cp_field_errors e = CP_FIELD_ERRORS_INIT;
  json_object *o = parse(obj);
  char *out = calloc(1, 8192);
  size_t i;

  assert_non_null(out);
  st->prepare_create(&w, o);
  st->validate(&w, o, NULL, &e);
  for (i = 0; i < e.n; i++)
    snprintf(out + strlen(out), 8192 - strlen(out), "%s%s: %s",
             i ? "; " : "", e.v[i].field, e.v[i].message);
  cp_field_errors_clear(&e);
  *prepared = o;
  return out;
}

static void test_strategies(void **state) {
  json_object *o;
  char *got;

  (void)state;
  got = strategy_errors(
      "policies",
      "{\"metadata\":{\"name\":\"p\",\"generation\":3},\"spec\":{"
      "\"failurePolicy\":\"Sometimes\",\"matchConstraints\":{"
      "\"matchPolicy\":\"Equivalent\"},\"variables\":[{\"name\":"
      "\"in\",\"expression\":\"1\"}],\"validations\":[{\"expression\":"
      "\"true\",\"reason\":\"Teapot\"}],\"auditAnnotations\":[{\"key\":"
      "\"k\",\"valueExpression\":\"'a'\"},{\"key\":\"k\","
      "\"valueExpression\":\"'b'\"}]}}",
      &o);
  assert_string_equal(
      got,
      "spec.failurePolicy: Unsupported value: \"Sometimes\": supported "
      "values: \"Fail\", \"Ignore\"; "
      "spec.matchConstraints.resourceRules: Required value; "
      "spec.variables[0].name: Invalid value: \"in\": name is not a valid "
      "CEL identifier; "
      "spec.validations[0].reason: Unsupported value: \"Teapot\": "
      "supported values: \"Forbidden\", \"Invalid\", "
      "\"RequestEntityTooLarge\", \"Unauthorized\"; "
      "spec.auditAnnotations[1].key: Duplicate value: \"k\"");
  /* Selectors defaulted, status as the type-checking controller. */
  assert_non_null(json_object_object_get(
      json_object_object_get(json_object_object_get(o, "spec"),
                             "matchConstraints"),
      "namespaceSelector"));
  assert_int_equal(json_object_get_int(json_object_object_get(
                       json_object_object_get(o, "status"),
                       "observedGeneration")),
                   3);
  free(got);
  json_object_put(o);

  got = strategy_errors(
      "bindings",
      "{\"metadata\":{\"name\":\"b\"},\"spec\":{\"validationActions\":"
      "[\"Deny\",\"Warn\",\"Deny\"],\"paramRef\":{\"name\":\"x\","
      "\"selector\":{}}}}",
      &o);
  assert_string_equal(
      got,
      "spec.policyName: Required value; "
      "spec.paramRef.name: Forbidden: name and selector are mutually "
      "exclusive; "
      "spec.paramRef.selector: Forbidden: name and selector are mutually "
      "exclusive; "
      "spec.paramRef.parameterNotFoundAction: Required value; "
      "spec.validationActions[2]: Duplicate value: \"Deny\"; "
      "spec.validationActions: Invalid value: "
      "[]admissionregistration.ValidationAction{\"Deny\", \"Warn\", "
      "\"Deny\"}: must not contain both Deny and Warn (repeating the same "
      "validation failure information in the API response and headers "
      "serves no purpose)");
  free(got);
  json_object_put(o);
}

/* ------------------------------------------------------------ cel */

static void test_cel_session_lazy(void **state) {
  const char *const vars[] = {"variables", "x", NULL};
  char *cerr = NULL;
  struct cp_cel_program *a = cp_cel_compile("x + 1", vars, &cerr);
  struct cp_cel_program *self = cp_cel_compile("variables.loop", vars, &cerr);
  struct cp_cel_program *use = cp_cel_compile("variables.a * variables.a == "
                                              "16", vars, &cerr);
  struct cp_cel_program *bad = cp_cel_compile("variables.loop == 1", vars,
                                              &cerr);
  struct cp_cel_program *str = cp_cel_compile("null", vars, &cerr);
  json_object *three = json_object_new_int(3);
  struct cp_cel_binding b[] = {{"x", three, 0}};
  struct cp_cel_lazy lazy[] = {{"a", a}, {"loop", self}};
  struct cp_cel_session *s;
  char *err = NULL, *out = NULL;

  (void)state;
  assert_non_null(a);
  assert_non_null(use);
  s = cp_cel_session_new(b, 1, lazy, 2, CP_CEL_CRD_BUDGET);
  assert_non_null(s);
  assert_int_equal(cp_cel_session_bool(s, use, &err), 1);
  assert_int_equal(cp_cel_session_bool(s, bad, &err), -1);
  assert_non_null(strstr(err, "refers to itself"));
  free(err);
  assert_int_equal(cp_cel_session_string(s, str, &out, &err), 1);
  assert_null(out);
  cp_cel_session_free(s);
  json_object_put(three);
  cp_cel_program_free(a);
  cp_cel_program_free(self);
  cp_cel_program_free(use);
  cp_cel_program_free(bad);
  cp_cel_program_free(str);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_policy_compile),
      cmocka_unit_test(test_match_resources),
      cmocka_unit_test(test_deny_message_and_reason),
      cmocka_unit_test(test_failure_policy),
      cmocka_unit_test(test_params),
      cmocka_unit_test(test_variables_conditions_audit),
      cmocka_unit_test(test_authorizer),
      cmocka_unit_test(test_request_variable),
      cmocka_unit_test(test_strategies),
      cmocka_unit_test(test_cel_session_lazy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
