/*
 * test_strategy_platform - the platform kinds' strategy hooks called
 * directly on JSON objects, as kube-apiserver answers: networking
 * (Ingress, IngressClass, NetworkPolicy), rbac (roleRef defaults, "cannot
 * change roleRef", rules), storage (StorageClass immutability, CSIDriver,
 * CSINode, VolumeAttachment), admission webhooks (defaults, every error
 * at once), APIService (name = version.group) and
 * CertificateSigningRequest (a real CSR verified, a tampered one not;
 * approval not addable by update). Also their Table cells, categories,
 * field labels and the 422 message naming the group-qualified kind.
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
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "apiserver/field_errors.h"
#include "apiserver/request.h"
#include "apiserver/strategy/strategy.h"

/* 2026-11-25T14:00:00Z */
#define NOW 1795615200LL

#define TYPE(g, r, k, ns)                                                    \
  {g, "v1", r, r, k, k "List", ns, {NULL}, 0, 1}

static const struct cp_resource_type t_ing =
    TYPE("networking.k8s.io", "ingresses", "Ingress", 1);
static const struct cp_resource_type t_ingclass =
    TYPE("networking.k8s.io", "ingressclasses", "IngressClass", 0);
static const struct cp_resource_type t_netpol =
    TYPE("networking.k8s.io", "networkpolicies", "NetworkPolicy", 1);
static const struct cp_resource_type t_role =
    TYPE("rbac.authorization.k8s.io", "roles", "Role", 1);
static const struct cp_resource_type t_crole =
    TYPE("rbac.authorization.k8s.io", "clusterroles", "ClusterRole", 0);
static const struct cp_resource_type t_rb =
    TYPE("rbac.authorization.k8s.io", "rolebindings", "RoleBinding", 1);
static const struct cp_resource_type t_crb = TYPE(
    "rbac.authorization.k8s.io", "clusterrolebindings", "ClusterRoleBinding",
    0);
static const struct cp_resource_type t_sc =
    TYPE("storage.k8s.io", "storageclasses", "StorageClass", 0);
static const struct cp_resource_type t_csid =
    TYPE("storage.k8s.io", "csidrivers", "CSIDriver", 0);
static const struct cp_resource_type t_csin =
    TYPE("storage.k8s.io", "csinodes", "CSINode", 0);
static const struct cp_resource_type t_va =
    TYPE("storage.k8s.io", "volumeattachments", "VolumeAttachment", 0);
static const struct cp_resource_type t_vwc =
    TYPE("admissionregistration.k8s.io", "validatingwebhookconfigurations",
         "ValidatingWebhookConfiguration", 0);
static const struct cp_resource_type t_mwc =
    TYPE("admissionregistration.k8s.io", "mutatingwebhookconfigurations",
         "MutatingWebhookConfiguration", 0);
static const struct cp_resource_type t_apis =
    TYPE("apiregistration.k8s.io", "apiservices", "APIService", 0);
static const struct cp_resource_type t_csr =
    TYPE("certificates.k8s.io", "certificatesigningrequests",
         "CertificateSigningRequest", 0);

static json_object *parse(const char *s) {
  json_object *o = json_tokener_parse(s);

  assert_non_null(o);
  return o;
}

/* Runs prepare and validate of t's strategy (old NULL: a create; sub:
 * the subresource) and returns the errors as "field: message; ...". */
static char *check_sub(const struct cp_resource_type *t, json_object *o,
                       json_object *old, const char *sub) {
  const struct cp_strategy *st = cp_strategy_for(t);
  struct cp_strategy_write w = {old ? CP_OP_UPDATE : CP_OP_CREATE, sub, 0,
                                NULL, NULL};
  struct cp_field_errors e = CP_FIELD_ERRORS_INIT;
  char *out = calloc(1, 65536);
  size_t i;

  assert_non_null(out);
  assert_string_equal(st->resource, t->resource);
  if (old == NULL && st->prepare_create)
    st->prepare_create(&w, o);
  if (old != NULL && st->prepare_update)
    st->prepare_update(&w, o, old);
  if (st->validate)
    st->validate(&w, o, old, &e);
  assert_false(e.oom);
  for (i = 0; i < e.n; i++)
    snprintf(out + strlen(out), 65536 - strlen(out), "%s%s: %s",
             i ? "; " : "", e.v[i].field, e.v[i].message);
  cp_field_errors_clear(&e);
  return out;
}

static char *check(const struct cp_resource_type *t, json_object *o,
                   json_object *old) {
  return check_sub(t, o, old, NULL);
}

static void expect_errors(const struct cp_resource_type *t, const char *obj,
                          const char *old, const char *want) {
  json_object *o = parse(obj), *p = old ? parse(old) : NULL;
  char *got = check(t, o, p);

  if (strcmp(got, want) != 0)
    fail_msg("%s:\n got: %s\nwant: %s", t->resource, got, want);
  free(got);
  json_object_put(o);
  json_object_put(p);
}

/* The cells of obj as "a|b|c" (numbers and booleans as JSON). */
static char *cells_of(const struct cp_resource_type *t, const char *obj) {
  const struct cp_strategy *st = cp_strategy_for(t);
  json_object *o = parse(obj), *c = json_object_new_array();
  char *out = calloc(1, 4096);
  size_t i;

  assert_non_null(st->cells);
  st->cells(o, NOW, c);
  assert_int_equal(json_object_array_length(c), st->n_columns);
  for (i = 0; i < json_object_array_length(c); i++) {
    json_object *v = json_object_array_get_idx(c, i);

    snprintf(out + strlen(out), 4096 - strlen(out), "%s%s", i ? "|" : "",
             json_object_is_type(v, json_type_string)
                 ? json_object_get_string(v)
                 : json_object_to_json_string(v));
  }
  json_object_put(o);
  json_object_put(c);
  return out;
}

static void expect_cells(const struct cp_resource_type *t, const char *obj,
                         const char *want) {
  char *got = cells_of(t, obj);

  assert_string_equal(got, want);
  free(got);
}

static const char *str_at(json_object *o, const char *a, const char *b) {
  json_object *x = NULL, *y = NULL;

  json_object_object_get_ex(o, a, &x);
  if (b == NULL)
    return json_object_get_string(x);
  json_object_object_get_ex(x, b, &y);
  return json_object_get_string(y);
}

/* ------------------------------------------------------------- rbac */

static void test_rolebinding_without_roleref(void **state) {
  json_object *o = parse("{\"metadata\":{\"name\":\"noref\"}}");
  char *got = check(&t_rb, o, NULL);
  struct cp_field_errors e = CP_FIELD_ERRORS_INIT;
  struct cp_api_response rs;

  (void)state;
  /* v1 defaulting sets the group, so kind and name are what is missing. */
  assert_string_equal(str_at(o, "roleRef", "apiGroup"),
                      "rbac.authorization.k8s.io");
  assert_string_equal(got, "roleRef.kind: Unsupported value: \"\": supported "
                           "values: \"Role\", \"ClusterRole\"; "
                           "roleRef.name: Required value");
  free(got);
  /* The Status names the kind with its group, as kube's NewInvalid. */
  memset(&rs, 0, sizeof rs);
  cp_field_required(&e, "roleRef.name", NULL);
  cp_field_errors_respond(&e, &t_rb, "noref", &rs);
  assert_int_equal(rs.code, 422);
  assert_non_null(strstr(rs.body, "\"message\":\"RoleBinding.rbac."
                                  "authorization.k8s.io \\\"noref\\\" is "
                                  "invalid: roleRef.name: Required value\""));
  free(rs.body);
  cp_field_errors_clear(&e);
  json_object_put(o);
}

static void test_binding_roleref_immutable(void **state) {
  static const char *old =
      "{\"metadata\":{\"name\":\"rb\"},\"roleRef\":{\"apiGroup\":\"rbac."
      "authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"view\"}}";

  (void)state;
  expect_errors(&t_rb,
                "{\"metadata\":{\"name\":\"rb\"},\"roleRef\":{\"apiGroup\":"
                "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\","
                "\"name\":\"edit\"}}",
                old,
                "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac."
                "authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"edit\"}"
                ": cannot change roleRef");
  /* The same roleRef, written without the defaulted group, is no change. */
  expect_errors(&t_rb,
                "{\"metadata\":{\"name\":\"rb\"},\"roleRef\":{\"kind\":"
                "\"ClusterRole\",\"name\":\"view\"},\"subjects\":[{\"kind\":"
                "\"User\",\"name\":\"alice\"}]}",
                old, "");
}

static void test_binding_subjects(void **state) {
  (void)state;
  expect_errors(&t_crb,
                "{\"roleRef\":{\"kind\":\"Role\",\"name\":\"r\"},"
                "\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"sa\"},"
                "{\"kind\":\"Robot\",\"name\":\"x\"},{\"kind\":\"Group\"}]}",
                NULL,
                "roleRef.kind: Unsupported value: \"Role\": supported "
                "values: \"ClusterRole\"; subjects[0].namespace: Required "
                "value; subjects[1].kind: Unsupported value: \"Robot\": "
                "supported values: \"ServiceAccount\", \"User\", \"Group\"; "
                "subjects[2].name: Required value");
  /* A namespaced binding's service account may omit its namespace. */
  expect_errors(&t_rb,
                "{\"roleRef\":{\"kind\":\"Role\",\"name\":\"r\"},"
                "\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"sa\","
                "\"apiGroup\":\"x\"}]}",
                NULL,
                "subjects[0].apiGroup: Unsupported value: \"x\": supported "
                "values: \"\"");
}

static void test_role_rules(void **state) {
  (void)state;
  expect_errors(&t_role,
                "{\"rules\":[{\"resources\":[\"pods\"]},{\"verbs\":[\"get\"],"
                "\"nonResourceURLs\":[\"/healthz\"]}]}",
                NULL,
                "rules[0].verbs: Required value: verbs must contain at least "
                "one value; rules[0].apiGroups: Required value: resource "
                "rules must supply at least one api group; "
                "rules[1].nonResourceURLs: Invalid value: []string{"
                "\"/healthz\"}: namespaced rules cannot apply to "
                "non-resource URLs");
  expect_errors(&t_crole,
                "{\"rules\":[{\"verbs\":[\"get\"],\"nonResourceURLs\":["
                "\"/healthz\"]}],\"aggregationRule\":{}}",
                NULL,
                "aggregationRule.clusterRoleSelectors: Required value: at "
                "least one clusterRoleSelector required if aggregationRule "
                "is non-nil");
  /* RBAC names are path segments: "system:..." is fine, "/" is not. */
  assert_null(cp_strategy_for(&t_crole)->name_error("system:controller:x"));
  assert_string_equal(cp_strategy_for(&t_crole)->name_error("a/b"),
                      "may not contain '/'");
}

static void test_rbac_cells(void **state) {
  (void)state;
  expect_cells(&t_rb,
               "{\"metadata\":{\"name\":\"rb\",\"creationTimestamp\":\"2026-"
               "11-25T13:00:00Z\"},\"roleRef\":{\"kind\":\"ClusterRole\","
               "\"name\":\"view\"},\"subjects\":[{\"kind\":\"User\","
               "\"name\":\"alice\"},{\"kind\":\"User\",\"name\":\"bob\"},"
               "{\"kind\":\"ServiceAccount\",\"name\":\"sa\",\"namespace\":"
               "\"ns\"}]}",
               "rb|ClusterRole/view|60m|alice, bob||ns/sa");
  expect_cells(&t_role,
               "{\"metadata\":{\"name\":\"r\",\"creationTimestamp\":\"2026-"
               "11-25T13:00:00Z\"}}",
               "r|2026-11-25T13:00:00Z");
}

/* ------------------------------------------------------------- networking */

static void test_ingress_validation(void **state) {
  (void)state;
  expect_errors(&t_ing,
                "{\"spec\":{\"rules\":[{\"host\":\"1.2.3.4\",\"http\":{"
                "\"paths\":[{\"path\":\"/\",\"backend\":{\"service\":{"
                "\"name\":\"web\",\"port\":{\"number\":80}}}},{\"path\":"
                "\"a\",\"pathType\":\"Prefix\",\"backend\":{}},{\"path\":"
                "\"/x\",\"pathType\":\"Exact\",\"backend\":{\"service\":{"
                "\"name\":\"web\"}}}]}}]}}",
                NULL,
                "spec.rules[0].host: Invalid value: \"1.2.3.4\": must be a "
                "DNS name, not an IP address; "
                "spec.rules[0].http.paths[0].pathType: Required value: "
                "pathType must be specified; "
                "spec.rules[0].http.paths[1].path: Invalid value: \"a\": "
                "must be an absolute path; "
                "spec.rules[0].http.paths[1].backend: Invalid value: \"\": "
                "resource or service backend is required; "
                "spec.rules[0].http.paths[2].backend: Required value: port "
                "name or number is required");
  expect_errors(&t_ing, "{\"spec\":{}}", NULL,
                "spec: Invalid value: []networking.IngressRule(nil): either "
                "`defaultBackend` or `rules` must be specified");
  expect_errors(&t_ing,
                "{\"spec\":{\"defaultBackend\":{\"service\":{\"name\":\"web\","
                "\"port\":{\"name\":\"http\"}}}}}",
                NULL, "");
}

static void test_ingress_cells(void **state) {
  (void)state;
  expect_cells(&t_ing,
               "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2026-"
               "11-25T13:58:00Z\"},\"spec\":{\"ingressClassName\":\"nginx\","
               "\"tls\":[{}],\"rules\":[{\"host\":\"a.com\"},{\"host\":"
               "\"b.com\"},{}]},\"status\":{\"loadBalancer\":{\"ingress\":[{"
               "\"ip\":\"10.0.0.1\"},{\"hostname\":\"lb.example.com\"}]}}}",
               "web|nginx|a.com,b.com|10.0.0.1,lb.exam...|80, 443|2m");
  expect_cells(&t_ing, "{\"metadata\":{\"name\":\"x\"},\"spec\":{}}",
               "x|<none>|*||80|<unknown>");
}

static void test_ingressclass(void **state) {
  json_object *o = parse("{\"spec\":{\"controller\":\"k8s.io/nginx\","
                         "\"parameters\":{\"kind\":\"P\",\"name\":\"p\"}}}");
  char *got = check(&t_ingclass, o, NULL);

  (void)state;
  assert_string_equal(got, "");
  free(got);
  assert_string_equal(
      json_object_get_string(json_object_object_get(
          json_object_object_get(json_object_object_get(o, "spec"),
                                 "parameters"),
          "scope")),
      "Cluster");
  json_object_put(o);
  expect_errors(&t_ingclass, "{\"spec\":{\"controller\":\"nginx\"}}", NULL,
                "spec.controller: Invalid value: \"nginx\": must be a "
                "domain-prefixed path (such as \"acme.io/foo\")");
  expect_errors(&t_ingclass, "{\"spec\":{\"controller\":\"k8s.io/b\"}}",
                "{\"spec\":{\"controller\":\"k8s.io/a\"}}",
                "spec.controller: Invalid value: \"k8s.io/b\": field is "
                "immutable");
  expect_cells(&t_ingclass,
               "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"controller\":"
               "\"k8s.io/x\",\"parameters\":{\"apiGroup\":\"k8s.example.com\","
               "\"kind\":\"P\",\"name\":\"p\"}}}",
               "n|k8s.io/x|P.k8s.example.com/p|<unknown>");
}

static void test_networkpolicy(void **state) {
  json_object *o = parse("{\"spec\":{\"egress\":[{}]}}");
  char *got = check(&t_netpol, o, NULL);

  (void)state;
  assert_string_equal(got, "");
  free(got);
  /* kube's defaults: podSelector {} and both policy types. */
  assert_string_equal(json_object_to_json_string_ext(
                          json_object_object_get(o, "spec"),
                          JSON_C_TO_STRING_PLAIN),
                      "{\"egress\":[{}],\"podSelector\":{},\"policyTypes\":["
                      "\"Ingress\",\"Egress\"]}");
  json_object_put(o);
  expect_errors(&t_netpol,
                "{\"spec\":{\"ingress\":[{\"from\":[{},{\"ipBlock\":{\"cidr\":"
                "\"10.0.0.0/8\",\"except\":[\"11.0.0.0/16\"]},\"podSelector\":"
                "{}},{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\",\"except\":["
                "\"10.1.0.0/16\",\"x\"]}}],\"ports\":[{\"protocol\":\"ICMP\","
                "\"port\":70000},{\"port\":\"http\",\"endPort\":90}]}],"
                "\"policyTypes\":[\"Sideways\"]}}",
                NULL,
                "spec.ingress[0].ports[0].protocol: Unsupported value: "
                "\"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"; "
                "spec.ingress[0].ports[0].port: Invalid value: 70000: must be "
                "between 1 and 65535, inclusive; "
                "spec.ingress[0].ports[1].endPort: Forbidden: may not be "
                "specified when `port` is non-numeric; "
                "spec.ingress[0].from[0]: Required value: must specify a "
                "peer; spec.ingress[0].from[1]: Forbidden: may not specify "
                "both ipBlock and another peer; "
                "spec.ingress[0].from[2].ipBlock.except[1]: Invalid value: "
                "\"x\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or "
                "2001:db8::/64); spec.policyTypes[0]: Unsupported value: "
                "\"Sideways\": supported values: \"Egress\", \"Ingress\"");
  expect_cells(&t_netpol,
               "{\"metadata\":{\"name\":\"np\"},\"spec\":{\"podSelector\":{"
               "\"matchLabels\":{\"b\":\"2\",\"a\":\"1\"},"
               "\"matchExpressions\":[{\"key\":\"t\",\"operator\":\"In\","
               "\"values\":[\"y\",\"x\"]},{\"key\":\"c\",\"operator\":"
               "\"DoesNotExist\"}]}}}",
               "np|a=1,b=2,!c,t in (x,y)|<unknown>");
  expect_cells(&t_netpol,
               "{\"metadata\":{\"name\":\"np\"},\"spec\":{\"podSelector\":{}}}",
               "np|<none>|<unknown>");
}

/* ------------------------------------------------------------- storage */

static void test_storageclass(void **state) {
  static const char *old =
      "{\"provisioner\":\"example.com/a\",\"parameters\":{\"k\":\"v\"},"
      "\"reclaimPolicy\":\"Delete\",\"volumeBindingMode\":\"Immediate\"}";

  (void)state;
  expect_errors(&t_sc, "{\"reclaimPolicy\":\"Keep\",\"volumeBindingMode\":"
                       "\"Later\"}",
                NULL,
                "provisioner: Required value; reclaimPolicy: Unsupported "
                "value: \"Keep\": supported values: \"Delete\", \"Retain\"; "
                "volumeBindingMode: Unsupported value: \"Later\": supported "
                "values: \"Immediate\", \"WaitForFirstConsumer\"");
  expect_errors(&t_sc,
                "{\"provisioner\":\"example.com/b\",\"parameters\":{\"k\":"
                "\"w\"},\"reclaimPolicy\":\"Retain\",\"volumeBindingMode\":"
                "\"WaitForFirstConsumer\"}",
                old,
                "parameters: Forbidden: updates to parameters are forbidden.; "
                "provisioner: Forbidden: updates to provisioner are "
                "forbidden.; reclaimPolicy: Forbidden: updates to "
                "reclaimPolicy are forbidden.; volumeBindingMode: Invalid "
                "value: \"WaitForFirstConsumer\": field is immutable");
  /* A value that is not a string (a client's null) is no crash. */
  expect_errors(&t_sc,
                "{\"provisioner\":\"a.b/c\",\"parameters\":{\"k\":null,"
                "\"\":\"v\"},\"volumeBindingMode\":\"Immediate\"}",
                NULL,
                "parameters: Invalid value: {\"k\":null,\"\":\"v\"}: invalid "
                "empty parameter name");
  expect_cells(&t_sc,
               "{\"metadata\":{\"name\":\"fast\",\"annotations\":{"
               "\"storageclass.kubernetes.io/is-default-class\":\"true\"}},"
               "\"provisioner\":\"example.com/a\"}",
               "fast (default)|example.com/a|Delete|Immediate|false|"
               "<unknown>");
}

static void test_csi_and_attachments(void **state) {
  (void)state;
  expect_errors(&t_csid,
                "{\"metadata\":{\"name\":\"d.example.com\"},\"spec\":{"
                "\"attachRequired\":false,\"volumeLifecycleModes\":["
                "\"Forever\"]}}",
                "{\"metadata\":{\"name\":\"d.example.com\"},\"spec\":{"
                "\"attachRequired\":true,\"volumeLifecycleModes\":["
                "\"Persistent\"]}}",
                "spec.volumeLifecycleModes[0]: Unsupported value: "
                "\"Forever\": supported values: \"Ephemeral\", "
                "\"Persistent\"; spec.attachRequired: Invalid value: false: "
                "field is immutable; spec.volumeLifecycleModes: Invalid "
                "value: []string{\"Forever\"}: field is immutable");
  expect_cells(&t_csid,
               "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"tokenRequests\":[{"
               "\"audience\":\"a\"},{\"audience\":\"b\"}],"
               "\"volumeLifecycleModes\":[\"Persistent\",\"Ephemeral\"]}}",
               "d|true|false|false|a,b|false|Persistent,Ephemeral|<unknown>");
  expect_errors(&t_csin,
                "{\"spec\":{\"drivers\":[{\"name\":\"a\",\"nodeID\":\"n\"},"
                "{\"name\":\"a\"}]}}",
                NULL,
                "spec.drivers[1].name: Duplicate value: \"a\"; "
                "spec.drivers[1].nodeID: Required value");
  expect_cells(&t_csin, "{\"metadata\":{\"name\":\"n\"},\"spec\":{"
                        "\"drivers\":[{},{}]}}",
               "n|2|<unknown>");
  expect_errors(&t_va,
                "{\"spec\":{\"attacher\":\"csi.example.com\",\"nodeName\":"
                "\"n1\",\"source\":{}}}",
                NULL,
                "spec.source: Required value: must specify exactly one of "
                "inlineVolumeSpec and persistentVolumeName");
  expect_cells(&t_va,
               "{\"metadata\":{\"name\":\"va\"},\"spec\":{\"attacher\":\"c\","
               "\"nodeName\":\"n1\",\"source\":{\"persistentVolumeName\":"
               "\"pv\"}},\"status\":{\"attached\":true}}",
               "va|c|pv|n1|true|<unknown>");
}

/* ------------------------------------------------------------- admission */

static void test_webhooks(void **state) {
  json_object *o = parse(
      "{\"webhooks\":[{\"name\":\"a.b.c\",\"sideEffects\":\"None\","
      "\"admissionReviewVersions\":[\"v1\"],\"clientConfig\":{\"service\":{"
      "\"namespace\":\"ns\",\"name\":\"svc\"}}}]}");
  char *got = check(&t_mwc, o, NULL);
  json_object *h = json_object_array_get_idx(
      json_object_object_get(o, "webhooks"), 0);

  (void)state;
  assert_string_equal(got, "");
  free(got);
  assert_string_equal(json_object_to_json_string(
                          json_object_object_get(h, "namespaceSelector")),
                      "{ }");
  assert_non_null(json_object_object_get(h, "objectSelector"));
  json_object_put(o);
  expect_errors(&t_vwc,
                "{\"webhooks\":[{\"name\":\"x.y.z\",\"clientConfig\":{"
                "\"url\":\"http://a\"},\"failurePolicy\":\"Maybe\","
                "\"sideEffects\":\"Some\",\"admissionReviewVersions\":["
                "\"v9\"],\"rules\":[{\"operations\":[\"PATCH\"]}]},{"
                "\"name\":\"x.y.z\",\"sideEffects\":\"None\","
                "\"admissionReviewVersions\":[\"v1\"],\"clientConfig\":{"
                "\"url\":\"https://a/\"}}]}",
                NULL,
                "webhooks[0].rules[0].operations[0]: Unsupported value: "
                "\"PATCH\": supported values: \"*\", \"CREATE\", \"UPDATE\", "
                "\"DELETE\", \"CONNECT\"; webhooks[0].rules[0].apiGroups: "
                "Required value; webhooks[0].rules[0].apiVersions: Required "
                "value; webhooks[0].rules[0].resources: Required value; "
                "webhooks[0].failurePolicy: Unsupported value: \"Maybe\": "
                "supported values: \"Fail\", \"Ignore\"; "
                "webhooks[0].sideEffects: Unsupported value: \"Some\": "
                "supported values: \"None\", \"NoneOnDryRun\"; "
                "webhooks[0].admissionReviewVersions: Invalid value: "
                "[]string{\"v9\"}: must include at least one of v1, v1beta1; "
                "webhooks[0].clientConfig.url: Invalid value: \"http://a\": "
                "'https' is the only allowed URL scheme; webhooks[1].name: "
                "Duplicate value: \"x.y.z\"");
  expect_cells(&t_vwc, "{\"metadata\":{\"name\":\"v\"},\"webhooks\":[{}]}",
               "v|1|<unknown>");
  assert_true(cp_strategy_in_category(&t_vwc, "api-extensions"));
  assert_false(cp_strategy_in_category(&t_vwc, "all"));
}

/* ------------------------------------------------------------- aggregation */

static void test_apiservice(void **state) {
  (void)state;
  expect_errors(&t_apis,
                "{\"metadata\":{\"name\":\"v1.foo.example.com\"},\"spec\":{"
                "\"group\":\"bar.example.com\",\"version\":\"v1\","
                "\"groupPriorityMinimum\":100,\"versionPriority\":1001,"
                "\"service\":{\"name\":\"s\",\"port\":0}}}",
                NULL,
                "metadata.name: Invalid value: \"v1.foo.example.com\": must "
                "be `spec.version+\".\"+spec.group`: \"v1.bar.example.com\"; "
                "spec.versionPriority: Invalid value: 1001: must be positive "
                "and less than 1000; spec.service.namespace: Required value; "
                "spec.service.port: Invalid value: 0: port is not valid: must "
                "be between 1 and 65535, inclusive");
  expect_errors(&t_apis,
                "{\"metadata\":{\"name\":\"v1.\"},\"spec\":{\"version\":"
                "\"v1\",\"groupPriorityMinimum\":1,\"versionPriority\":1,"
                "\"caBundle\":\"YWJj\"}}",
                NULL,
                "spec.caBundle: Invalid value: \"3 bytes\": local "
                "APIServices may not have a caBundle");
  expect_cells(&t_apis,
               "{\"metadata\":{\"name\":\"v1.x\"},\"spec\":{\"service\":{"
               "\"namespace\":\"ns\",\"name\":\"s\"}},\"status\":{"
               "\"conditions\":[{\"type\":\"Available\",\"status\":\"False\","
               "\"reason\":\"MissingEndpoints\"}]}}",
               "v1.x|ns/s|False (MissingEndpoints)|<unknown>");
  expect_cells(&t_apis, "{\"metadata\":{\"name\":\"v1.\"},\"spec\":{}}",
               "v1.|Local|Unknown|<unknown>");
}

/* ------------------------------------------------------------- CSR */

/* A PEM CSR signed with a fresh P-256 key, base64'd as the API carries
 * it; tamper flips one byte of the signed subject first. */
/* A memory BIO's bytes as a C string (they end without a NUL, which
 * strndup may read past looking for). Owned: free(). */
static char *bio_text(BIO *bio) {
  char *data = NULL, *copy;
  long len = BIO_get_mem_data(bio, &data);

  copy = malloc((size_t)len + 1);
  assert_non_null(copy);
  memcpy(copy, data, (size_t)len);
  copy[len] = '\0';
  return copy;
}

static char *make_csr(int tamper) {
  EVP_PKEY *key = EVP_EC_gen("P-256");
  X509_REQ *req = X509_REQ_new();
  X509_NAME *n = X509_NAME_new();
  BIO *bio = BIO_new(BIO_s_mem());
  char *pem = NULL, *b64;

  assert_non_null(key);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                             (const unsigned char *)"system:node:n1", -1, -1,
                             0);
  X509_REQ_set_subject_name(req, n);
  X509_REQ_set_pubkey(req, key);
  assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
  PEM_write_bio_X509_REQ(bio, req);
  pem = bio_text(bio);
  if (tamper) {
    /* Change the CN in the DER: re-encode with another subject but keep
     * the old signature. */
    X509_NAME *m = X509_NAME_new();

    X509_NAME_add_entry_by_txt(m, "CN", MBSTRING_ASC,
                               (const unsigned char *)"system:node:n2", -1,
                               -1, 0);
    X509_REQ_set_subject_name(req, m);
    /* Setting the subject marks the info modified: i2d re-encodes it,
     * under the old signature. */
    free(pem);
    (void)BIO_reset(bio);
    PEM_write_bio_X509_REQ(bio, req);
    pem = bio_text(bio);
    X509_NAME_free(m);
  }
  b64 = malloc(strlen(pem) * 2 + 4);
  EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)pem,
                  (int)strlen(pem));
  free(pem);
  BIO_free(bio);
  X509_NAME_free(n);
  X509_REQ_free(req);
  EVP_PKEY_free(key);
  return b64;
}

static char *csr_json(const char *b64, const char *extra) {
  char *s = NULL;

  assert_true(asprintf(&s,
                       "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"request\":"
                       "\"%s\",\"signerName\":\"kubernetes.io/kubelet-"
                       "serving\",\"usages\":[\"digital signature\","
                       "\"server auth\"]}%s}",
                       b64, extra) > 0);
  return s;
}

static void test_csr_request(void **state) {
  char *good = make_csr(0), *bad = make_csr(1), *s;
  json_object *o;
  char *got;

  (void)state;
  s = csr_json(good, ",\"status\":{\"conditions\":[{\"type\":\"Approved\","
                     "\"status\":\"True\"}]}");
  o = parse(s);
  got = check(&t_csr, o, NULL);
  assert_string_equal(got, "");
  /* A client cannot create an approved CSR: status is the server's. */
  assert_null(json_object_object_get(o, "status"));
  free(got);
  free(s);
  json_object_put(o);
  s = csr_json(bad, "");
  o = parse(s);
  got = check(&t_csr, o, NULL);
  assert_non_null(strstr(got, "spec.request: Invalid value: []byte{0x2d, "
                              "0x2d, 0x2d, 0x2d, 0x2d, 0x42"));
  assert_non_null(strstr(got, ": x509: ECDSA verification failure"));
  free(got);
  free(s);
  json_object_put(o);
  expect_errors(&t_csr,
                "{\"spec\":{\"request\":\"aGk=\",\"signerName\":\"x/y\","
                "\"expirationSeconds\":60}}",
                NULL,
                "spec.request: Invalid value: []byte{0x68, 0x69}: PEM block "
                "type must be CERTIFICATE REQUEST; spec.usages: Required "
                "value; spec.signerName: Invalid value: \"x\": should be a "
                "domain with at least two segments separated by dots; "
                "spec.expirationSeconds: Invalid value: 60: may not specify "
                "a duration less than 600 seconds (10 minutes)");
  free(good);
  free(bad);
}

static void test_csr_update(void **state) {
  char *b = make_csr(0);
  char *old = csr_json(b, "");
  char *approved = csr_json(b, ",\"status\":{\"conditions\":[{\"type\":"
                               "\"Approved\",\"status\":\"True\"}]}");
  json_object *o = parse(approved), *p = parse(old);
  char *got = check_sub(&t_csr, o, p, "status");

  (void)state;
  /* Approval is /approval's; a status update may not add it. */
  assert_string_equal(got, "status.conditions: Forbidden: updates may not "
                           "add a condition of type \"Approved\"");
  free(got);
  json_object_put(o);
  /* A main-resource update keeps the stored spec. */
  o = parse("{\"metadata\":{\"name\":\"c\"},\"spec\":{\"signerName\":"
            "\"a.b/c\"}}");
  got = check(&t_csr, o, p);
  assert_string_equal(got, "");
  assert_string_equal(str_at(o, "spec", "signerName"),
                      "kubernetes.io/kubelet-serving");
  free(got);
  json_object_put(o);
  json_object_put(p);
  expect_cells(&t_csr,
               "{\"metadata\":{\"name\":\"c\",\"creationTimestamp\":\"2026-"
               "11-25T13:59:00Z\"},\"spec\":{\"signerName\":\"a.b/c\","
               "\"username\":\"u\",\"expirationSeconds\":3600},\"status\":{"
               "\"conditions\":[{\"type\":\"Approved\"}],\"certificate\":"
               "\"eA==\"}}",
               "c|60s|a.b/c|u|60m|Approved,Issued");
  expect_cells(&t_csr, "{\"metadata\":{\"name\":\"c\"},\"spec\":{}}",
               "c|<unknown>|||<none>|Pending");
  assert_true(cp_strategy_field_label_ok(&t_csr, "spec.signerName"));
  assert_false(cp_strategy_field_label_ok(&t_csr, "spec.username"));
  free(b);
  free(old);
  free(approved);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rolebinding_without_roleref),
      cmocka_unit_test(test_binding_roleref_immutable),
      cmocka_unit_test(test_binding_subjects),
      cmocka_unit_test(test_role_rules),
      cmocka_unit_test(test_rbac_cells),
      cmocka_unit_test(test_ingress_validation),
      cmocka_unit_test(test_ingress_cells),
      cmocka_unit_test(test_ingressclass),
      cmocka_unit_test(test_networkpolicy),
      cmocka_unit_test(test_storageclass),
      cmocka_unit_test(test_csi_and_attachments),
      cmocka_unit_test(test_webhooks),
      cmocka_unit_test(test_apiservice),
      cmocka_unit_test(test_csr_request),
      cmocka_unit_test(test_csr_update),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
