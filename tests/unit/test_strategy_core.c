/*
 * test_strategy_core - the strategies of the core kinds (issue #13),
 * called directly on JSON objects as the verbs call them: kube's
 * defaults, its validation messages, the Service allocation in admit and
 * deleted (on a real SQLite store), and the Table cells `kubectl get`
 * prints, compared with what kube-apiserver prints for the same objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "api_fixture.h"
#include "apiserver/alloc/service_alloc.h"
#include "apiserver/request.h"
#include "apiserver/resources.h"
#include "apiserver/strategy/strategy.h"

static struct cp_resources *reg;

static const struct cp_resource_type *type(const char *group,
                                           const char *resource) {
  const struct cp_resource_type *t =
      cp_resources_find(reg, group, "v1", resource);

  assert_non_null(t);
  return t;
}

static const struct cp_strategy *st(const char *group, const char *res) {
  const struct cp_strategy *s = cp_strategy_for(type(group, res));

  assert_string_equal(s->resource, res);
  return s;
}

static json_object *parse(const char *text) {
  json_object *o = json_tokener_parse(text);

  assert_non_null(o);
  return o;
}

/* Runs prepare_create (when there is one) and validate; returns the
 * errors as "field: message" lines. */
static char *check(const char *group, const char *res, json_object *o,
                   json_object *old) {
  const struct cp_strategy *s = st(group, res);
  struct cp_strategy_write w = {old ? CP_OP_UPDATE : CP_OP_CREATE, NULL, 0,
                                NULL, NULL};
  struct cp_field_errors errs = CP_FIELD_ERRORS_INIT;
  char *out = calloc(1, 8192);
  size_t i;

  assert_non_null(out);
  if (old == NULL && s->prepare_create != NULL)
    s->prepare_create(&w, o);
  if (old != NULL && s->prepare_update != NULL)
    s->prepare_update(&w, o, old);
  if (s->validate != NULL)
    s->validate(&w, o, old, &errs);
  for (i = 0; i < errs.n; i++)
    snprintf(out + strlen(out), 8192 - strlen(out), "%s: %s\n",
             errs.v[i].field, errs.v[i].message);
  cp_field_errors_clear(&errs);
  return out;
}

static void expect_errors(const char *group, const char *res,
                          const char *text, const char *want) {
  json_object *o = parse(text);
  char *got = check(group, res, o, NULL);

  if (strcmp(got, want) != 0)
    fail_msg("%s %s:\ngot:\n%swant:\n%s", res, text, got, want);
  free(got);
  json_object_put(o);
}

/* The cells of obj as one "|"-joined line. */
static char *cells(const char *group, const char *res, json_object *o) {
  const struct cp_strategy *s = st(group, res);
  json_object *c = json_object_new_array();
  char *out = calloc(1, 4096);
  size_t i;

  assert_non_null(out);
  assert_non_null(s->cells);
  s->cells(o, 1800000000LL, c);
  assert_int_equal(json_object_array_length(c), s->n_columns);
  for (i = 0; i < json_object_array_length(c); i++)
    snprintf(out + strlen(out), 4096 - strlen(out), "%s%s", i ? "|" : "",
             json_object_get_string(json_object_array_get_idx(c, i)));
  json_object_put(c);
  return out;
}

static void expect_cells(const char *group, const char *res,
                         const char *text, const char *want) {
  json_object *o = parse(text);
  char *got = cells(group, res, o);

  if (strcmp(got, want) != 0)
    fail_msg("%s cells:\ngot:  %s\nwant: %s", res, got, want);
  free(got);
  json_object_put(o);
}

#define CREATED "\"creationTimestamp\":\"2027-01-15T03:00:00Z\""

/* ------------------------------------------------------------ services */

static void test_service_defaults(void **state) {
  json_object *o = parse("{\"metadata\":{\"name\":\"web\"},\"spec\":{"
                         "\"ports\":[{\"port\":80,\"protocol\":\"TCP\"}],"
                         "\"clusterIP\":\"10.96.0.5\"}}");
  char *errs = check("", "services", o, NULL);
  const char *want =
      "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"ports\":[{\"port\":80,"
      "\"protocol\":\"TCP\",\"targetPort\":80}],\"clusterIP\":\"10.96.0.5\","
      "\"type\":\"ClusterIP\",\"sessionAffinity\":\"None\","
      "\"internalTrafficPolicy\":\"Cluster\",\"ipFamilyPolicy\":"
      "\"SingleStack\",\"ipFamilies\":[\"IPv4\"],\"clusterIPs\":"
      "[\"10.96.0.5\"]},\"status\":{\"loadBalancer\":{}}}";

  (void)state;
  assert_string_equal(errs, "");
  assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                      want);
  free(errs);
  json_object_put(o);
  o = parse("{\"spec\":{\"type\":\"LoadBalancer\",\"ports\":[{\"port\":1}]}}");
  errs = check("", "services", o, NULL);
  assert_string_equal(errs, "");
  assert_string_equal(json_object_get_string(json_object_object_get(
                          json_object_object_get(o, "spec"),
                          "externalTrafficPolicy")),
                      "Cluster");
  assert_true(json_object_get_boolean(json_object_object_get(
      json_object_object_get(o, "spec"), "allocateLoadBalancerNodePorts")));
  free(errs);
  json_object_put(o);
}

static void test_service_validation(void **state) {
  (void)state;
  expect_errors("", "services",
                "{\"spec\":{\"ports\":[{\"port\":70000,\"targetPort\":0}]}}",
                "spec.ports[0].port: Invalid value: 70000: must be between 1 "
                "and 65535, inclusive\n"
                "spec.ports[0].targetPort: Invalid value: 0: must be between "
                "1 and 65535, inclusive\n");
  expect_errors("", "services", "{\"spec\":{\"selector\":{\"a\":\"b\"}}}",
                "spec.ports: Required value\n");
  expect_errors("", "services",
                "{\"spec\":{\"clusterIP\":\"None\",\"selector\":{}}}", "");
  expect_errors("", "services",
                "{\"spec\":{\"ports\":[{\"port\":80},{\"port\":81,\"name\":"
                "\"b\"},{\"port\":82,\"name\":\"b\"}]}}",
                "spec.ports[0].name: Required value\n"
                "spec.ports[2].name: Duplicate value: \"b\"\n");
  expect_errors("", "services",
                "{\"spec\":{\"type\":\"Fancy\",\"sessionAffinity\":\"x\","
                "\"ports\":[{\"port\":80,\"protocol\":\"ICMP\"}]}}",
                "spec.type: Unsupported value: \"Fancy\": supported values: "
                "\"ClusterIP\", \"ExternalName\", \"LoadBalancer\", "
                "\"NodePort\"\n"
                "spec.sessionAffinity: Unsupported value: \"x\": supported "
                "values: \"ClientIP\", \"None\"\n"
                "spec.ports[0].protocol: Unsupported value: \"ICMP\": "
                "supported values: \"SCTP\", \"TCP\", \"UDP\"\n");
  expect_errors("", "services",
                "{\"spec\":{\"ports\":[{\"port\":80,\"nodePort\":30080}]}}",
                "spec.ports[0].nodePort: Forbidden: may not be used when "
                "`type` is 'ClusterIP'\n");
  expect_errors("", "services", "{\"spec\":{\"type\":\"ExternalName\"}}",
                "spec.externalName: Required value\n");
  expect_errors("", "services",
                "{\"spec\":{\"type\":\"ExternalName\",\"externalName\":"
                "\"example.com\"}}",
                "");
  expect_errors("", "services",
                "{\"spec\":{\"clusterIP\":\"10.1.2\",\"ports\":[{\"port\":"
                "80}]}}",
                "spec.clusterIPs[0]: Invalid value: \"10.1.2\": must be a "
                "valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)\n");
}

/* An update that leaves clusterIP and nodePort out keeps them; one that
 * changes the ClusterIP is refused. */
static void test_service_update(void **state) {
  json_object *old = parse(
      "{\"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.9\","
      "\"clusterIPs\":[\"10.96.0.9\"],\"ports\":[{\"port\":80,\"protocol\":"
      "\"TCP\",\"nodePort\":30123}]}}");
  json_object *o = parse("{\"spec\":{\"type\":\"NodePort\",\"ports\":[{"
                         "\"port\":80,\"protocol\":\"TCP\"}]}}");
  char *errs = check("", "services", o, old);

  (void)state;
  assert_string_equal(errs, "");
  free(errs);
  assert_string_equal(
      json_object_to_json_string_ext(json_object_object_get(o, "spec"),
                                     JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
      "{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"protocol\":\"TCP\","
      "\"nodePort\":30123,\"targetPort\":80}],\"clusterIP\":\"10.96.0.9\","
      "\"clusterIPs\":[\"10.96.0.9\"],\"sessionAffinity\":\"None\","
      "\"externalTrafficPolicy\":\"Cluster\",\"internalTrafficPolicy\":"
      "\"Cluster\",\"ipFamilyPolicy\":\"SingleStack\",\"ipFamilies\":"
      "[\"IPv4\"]}");
  json_object_put(o);
  /* Back to ClusterIP: the NodePort kept from before goes (kube's
   * dropTypeDependentFields), so the update is valid. */
  o = parse("{\"spec\":{\"type\":\"ClusterIP\",\"ports\":[{\"port\":80,"
            "\"protocol\":\"TCP\",\"nodePort\":30123}]}}");
  errs = check("", "services", o, old);
  assert_string_equal(errs, "");
  free(errs);
  assert_null(json_object_object_get(
      json_object_array_get_idx(
          json_object_object_get(json_object_object_get(o, "spec"), "ports"),
          0),
      "nodePort"));
  json_object_put(o);
  o = parse("{\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"port\":"
            "80}]}}");
  errs = check("", "services", o, old);
  assert_string_equal(errs, "spec.clusterIPs[0]: Invalid value: "
                            "\"10.96.0.10\": may not change once set\n");
  free(errs);
  json_object_put(o);
  json_object_put(old);
}

/* The in-process fixture with a two-port NodePort range. */
static int store_setup(void **state) {
  struct api_fixture *f;

  api_fixture_setup_tagged(state, "cp-stcore", 0);
  f = *state;
  f->ctx.svc_alloc = cp_svc_alloc_new(NULL, "30000-30001");
  assert_non_null(f->ctx.svc_alloc);
  return 0;
}

static int store_teardown(void **state) {
  struct api_fixture *f = *state;

  cp_svc_alloc_free(f->ctx.svc_alloc);
  return api_fixture_teardown(state);
}

static int admit(struct api_fixture *f, json_object *o, int dry_run,
                 char **body) {
  const struct cp_strategy *s = st("", "services");
  struct cp_api_request rq = {0};
  struct cp_api_response rs = {0};
  struct cp_strategy_write w = {CP_OP_CREATE, NULL, dry_run, &f->ctx, &rq};
  int rc;

  rq.type = type("", "services");
  s->prepare_create(&w, o);
  rc = s->admit(&w, o, NULL, &rs) == 0 ? 0 : rs.code;
  if (body != NULL)
    *body = rs.body ? strndup(rs.body, rs.len) : NULL;
  free(rs.body);
  return rc;
}

static const char *ip_of(json_object *o) {
  return json_object_get_string(
      json_object_object_get(json_object_object_get(o, "spec"), "clusterIP"));
}

static void test_service_admit(void **state) {
  struct api_fixture *f = *state;
  json_object *a = parse("{\"metadata\":{\"name\":\"a\",\"namespace\":\"d\"},"
                         "\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":"
                         "[{\"port\":80}]}}");
  json_object *b = parse("{\"metadata\":{\"name\":\"b\",\"namespace\":\"d\"},"
                         "\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":"
                         "[{\"port\":80}]}}");
  json_object *np = parse("{\"metadata\":{\"name\":\"n\",\"namespace\":"
                          "\"d\"},\"spec\":{\"type\":\"NodePort\",\"ports\":"
                          "[{\"port\":80},{\"port\":81,\"name\":\"x\"}]}}");
  json_object *np2 = parse("{\"metadata\":{\"name\":\"m\",\"namespace\":"
                           "\"d\"},\"spec\":{\"type\":\"NodePort\",\"ports\":"
                           "[{\"port\":80}]}}");
  json_object *h = parse("{\"metadata\":{\"name\":\"h\"},\"spec\":{"
                         "\"clusterIP\":\"None\"}}");
  json_object *dry = parse("{\"metadata\":{\"name\":\"dry\"},\"spec\":{"
                           "\"clusterIP\":\"10.96.0.11\",\"ports\":[{"
                           "\"port\":80}]}}");
  char *body = NULL;

  assert_int_equal(admit(f, a, 0, NULL), 0);
  assert_int_equal(admit(f, b, 0, &body), 422);
  assert_non_null(strstr(body, "spec.clusterIPs: Invalid value: "
                               "[]string{\\\"10.96.0.10\\\"}: failed to "
                               "allocate IP 10.96.0.10: provided IP is "
                               "already allocated"));
  free(body);
  /* Two node ports from a range of two; a third Service finds it full
   * (kube's 500) and hands back the ClusterIP it took. */
  assert_int_equal(admit(f, np, 0, NULL), 0);
  assert_int_equal(admit(f, np2, 0, &body), 500);
  assert_non_null(strstr(body, "failed to allocate a nodePort: range is "
                               "full"));
  free(body);
  assert_int_equal(admit(f, h, 0, NULL), 0);
  assert_string_equal(ip_of(h), "None");
  /* Dry run: answered with the address, which stays free. */
  assert_int_equal(admit(f, dry, 1, NULL), 0);
  assert_string_equal(ip_of(dry), "10.96.0.11");
  json_object_put(dry);
  dry = parse("{\"metadata\":{\"name\":\"dry\"},\"spec\":{\"clusterIP\":"
              "\"10.96.0.11\",\"ports\":[{\"port\":80}]}}");
  assert_int_equal(admit(f, dry, 0, NULL), 0);
  /* Deleting a Service frees what it held. */
  st("", "services")->deleted(&f->ctx, a);
  st("", "services")->deleted(&f->ctx, np);
  json_object_put(b);
  b = parse("{\"metadata\":{\"name\":\"b\",\"namespace\":\"d\"},\"spec\":{"
            "\"clusterIP\":\"10.96.0.10\",\"type\":\"NodePort\",\"ports\":"
            "[{\"port\":80,\"nodePort\":30000},{\"port\":81,\"name\":\"x\","
            "\"nodePort\":30001}]}}");
  assert_int_equal(admit(f, b, 0, NULL), 0);
  json_object_put(a);
  json_object_put(b);
  json_object_put(np);
  json_object_put(np2);
  json_object_put(h);
  json_object_put(dry);
}

static void test_service_cells(void **state) {
  (void)state;
  expect_cells("", "services",
               "{\"metadata\":{\"name\":\"web\"," CREATED "},\"spec\":{"
               "\"type\":\"NodePort\",\"clusterIP\":\"10.96.3.4\",\"ports\":"
               "[{\"port\":80,\"protocol\":\"TCP\",\"nodePort\":30080},{"
               "\"port\":53,\"protocol\":\"UDP\"}],\"selector\":{\"app\":"
               "\"web\",\"a\":\"b\"}}}",
               "web|NodePort|10.96.3.4|<none>|80:30080/TCP,53/UDP|5h|a=b,"
               "app=web");
  expect_cells("", "services",
               "{\"metadata\":{\"name\":\"lb\"," CREATED "},\"spec\":{"
               "\"type\":\"LoadBalancer\",\"clusterIP\":\"10.96.3.5\","
               "\"ports\":[{\"port\":443,\"protocol\":\"TCP\",\"nodePort\":"
               "31000}]}}",
               "lb|LoadBalancer|10.96.3.5|<pending>|443:31000/TCP|5h|<none>");
  expect_cells("", "services",
               "{\"metadata\":{\"name\":\"ext\"," CREATED "},\"spec\":{"
               "\"type\":\"ExternalName\",\"externalName\":\"example.com\"}}",
               "ext|ExternalName|<none>|example.com|<none>|5h|<none>");
  assert_true(cp_strategy_in_category(type("", "services"), "all"));
  assert_true(cp_strategy_field_label_ok(type("", "services"),
                                         "spec.clusterIP"));
  assert_false(cp_strategy_field_label_ok(type("", "services"),
                                          "spec.ports"));
}

/* ------------------------------------------------------------ others */

static void test_replication_controller(void **state) {
  json_object *o = parse("{\"metadata\":{\"name\":\"rc\"},\"spec\":{"
                         "\"template\":{\"metadata\":{\"labels\":{\"app\":"
                         "\"x\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
                         "\"image\":\"nginx\"}]}}}}");
  char *errs = check("", "replicationcontrollers", o, NULL);

  (void)state;
  assert_string_equal(errs, "");
  free(errs);
  assert_string_equal(
      json_object_to_json_string_ext(
          json_object_object_get(json_object_object_get(o, "spec"),
                                 "selector"),
          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
      "{\"app\":\"x\"}");
  json_object_put(o);
  expect_errors("", "replicationcontrollers",
                "{\"spec\":{\"replicas\":-1,\"selector\":{\"app\":\"y\"},"
                "\"template\":{\"metadata\":{\"labels\":{\"app\":\"x\"}},"
                "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}],"
                "\"restartPolicy\":\"Never\"}}}}",
                "spec.replicas: Invalid value: -1: must be greater than or "
                "equal to 0\n"
                "spec.template.metadata.labels: Invalid value: "
                "map[string]string{\"app\":\"x\"}: `selector` does not match "
                "template `labels`\n"
                "spec.template.spec.restartPolicy: Unsupported value: "
                "\"Never\": supported values: \"Always\"\n");
  expect_errors("", "replicationcontrollers", "{\"spec\":{}}",
                "spec.selector: Required value\n"
                "spec.template: Required value\n");
  expect_cells("", "replicationcontrollers",
               "{\"metadata\":{\"name\":\"rc\"," CREATED "},\"spec\":{"
               "\"replicas\":3,\"selector\":{\"app\":\"x\"},\"template\":{"
               "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":"
               "\"nginx\"},{\"name\":\"d\",\"image\":\"busybox\"}]}}},"
               "\"status\":{\"replicas\":2,\"readyReplicas\":1}}",
               "rc|3|2|1|5h|c,d|nginx,busybox|app=x");
  assert_true(cp_strategy_in_category(type("", "replicationcontrollers"),
                                      "all"));
}

static void test_volumes(void **state) {
  json_object *o;
  char *errs;

  (void)state;
  expect_errors("", "persistentvolumes", "{\"spec\":{}}",
                "spec.capacity: Required value\n"
                "spec.accessModes: Required value: at least 1 access mode is "
                "required\n"
                "spec: Required value: must specify a volume type\n");
  expect_errors("", "persistentvolumes",
                "{\"spec\":{\"capacity\":{\"storage\":\"1Gi\"},"
                "\"accessModes\":[\"ReadWriteOnce\",\"Sometimes\"],"
                "\"hostPath\":{\"path\":\"/x\"},\"nfs\":{\"server\":\"s\","
                "\"path\":\"/\"}}}",
                "spec.accessModes: Unsupported value: \"Sometimes\": "
                "supported values: \"ReadOnlyMany\", \"ReadWriteMany\", "
                "\"ReadWriteOnce\", \"ReadWriteOncePod\"\n"
                "spec.nfs: Forbidden: may not specify more than 1 volume "
                "type\n");
  o = parse("{\"spec\":{\"capacity\":{\"storage\":\"1Gi\"},\"accessModes\":"
            "[\"ReadWriteOnce\"],\"hostPath\":{\"path\":\"/x\"}}}");
  errs = check("", "persistentvolumes", o, NULL);
  assert_string_equal(errs, "");
  free(errs);
  assert_string_equal(
      json_object_get_string(json_object_object_get(
          json_object_object_get(o, "status"), "phase")),
      "Pending");
  json_object_put(o);
  expect_cells("", "persistentvolumes",
               "{\"metadata\":{\"name\":\"pv1\"," CREATED "},\"spec\":{"
               "\"capacity\":{\"storage\":\"5Gi\"},\"accessModes\":["
               "\"ReadWriteMany\",\"ReadWriteOnce\"],"
               "\"persistentVolumeReclaimPolicy\":\"Retain\",\"claimRef\":{"
               "\"namespace\":\"default\",\"name\":\"c\"},"
               "\"storageClassName\":\"slow\",\"volumeMode\":\"Filesystem\"},"
               "\"status\":{\"phase\":\"Bound\"}}",
               "pv1|5Gi|RWO,RWX|Retain|Bound|default/c|slow|<unset>||5h|"
               "Filesystem");
  expect_errors("", "persistentvolumeclaims", "{\"spec\":{}}",
                "spec.accessModes: Required value: at least 1 access mode is "
                "required\n"
                "spec.resources[storage]: Required value\n");
  expect_cells("", "persistentvolumeclaims",
               "{\"metadata\":{\"name\":\"c\"," CREATED "},\"spec\":{"
               "\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{"
               "\"requests\":{\"storage\":\"1Gi\"}},\"volumeMode\":"
               "\"Filesystem\"},\"status\":{\"phase\":\"Pending\"}}",
               "c|Pending|||||<unset>|5h|Filesystem");
  expect_cells("", "persistentvolumeclaims",
               "{\"metadata\":{\"name\":\"c\"," CREATED ",\"annotations\":{"
               "\"volume.beta.kubernetes.io/storage-class\":\"old\"}},"
               "\"spec\":{\"volumeName\":\"pv1\",\"storageClassName\":\"new\"}"
               ",\"status\":{\"phase\":\"Bound\",\"capacity\":{\"storage\":"
               "\"5Gi\"},\"accessModes\":[\"ReadWriteOnce\"]}}",
               "c|Bound|pv1|5Gi|RWO|old|<unset>|5h|<unset>");
}

/* Runs an update of old_text to new_text; returns the errors. */
static void expect_update_errors(const char *res, const char *old_text,
                                 const char *new_text, const char *want) {
  json_object *old = parse(old_text), *o = parse(new_text);
  char *got = check("", res, o, old);

  if (strcmp(got, want) != 0)
    fail_msg("%s update:\ngot:\n%swant:\n%s", res, got, want);
  free(got);
  json_object_put(o);
  json_object_put(old);
}

#define PVC_SPEC(extra, size)                                                  \
  "{\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"volumeMode\":"            \
  "\"Filesystem\",\"resources\":{\"requests\":{\"storage\":\"" size "\"}}"    \
  extra "}"
#define PVC(extra, size, status) PVC_SPEC(extra, size) ",\"status\":" status "}"
#define PVC_PENDING "{\"phase\":\"Pending\"}"
#define PVC_BOUND "{\"phase\":\"Bound\",\"capacity\":{\"storage\":\"2Gi\"}}"
#define PVC_IMMUTABLE                                                          \
  "spec: Forbidden: spec is immutable after creation except "                 \
  "resources.requests and volumeAttributesClassName for bound claims\n"

/* kube's ValidatePersistentVolumeClaimUpdate, ResourceQuota's hard
 * values and ValidateLimitRange. */
static void test_claim_quota_limit_rules(void **state) {
  (void)state;
  /* Unchanged, or volumeName and storageClassName set once: fine. */
  expect_update_errors("persistentvolumeclaims", PVC("", "1Gi", PVC_PENDING),
                       PVC(",\"volumeName\":\"pv1\",\"storageClassName\":"
                           "\"fast\"",
                           "1Gi", PVC_PENDING),
                       "");
  expect_update_errors("persistentvolumeclaims",
                       PVC(",\"volumeName\":\"pv1\"", "1Gi", PVC_PENDING),
                       PVC(",\"volumeName\":\"pv2\"", "1Gi", PVC_PENDING),
                       PVC_IMMUTABLE);
  expect_update_errors("persistentvolumeclaims", PVC("", "1Gi", PVC_PENDING),
                       "{\"spec\":{\"accessModes\":[\"ReadWriteMany\"],"
                       "\"volumeMode\":\"Filesystem\",\"resources\":{"
                       "\"requests\":{\"storage\":\"1Gi\"}}},\"status\":"
                       "{\"phase\":\"Pending\"}}",
                       PVC_IMMUTABLE);
  /* The request may grow only on a bound claim. */
  expect_update_errors("persistentvolumeclaims", PVC("", "1Gi", PVC_PENDING),
                       PVC("", "3Gi", PVC_PENDING), PVC_IMMUTABLE);
  expect_update_errors("persistentvolumeclaims", PVC("", "2Gi", PVC_BOUND),
                       PVC("", "3Gi", PVC_BOUND), "");
  /* ... and not go down to what the volume has. */
  expect_update_errors("persistentvolumeclaims", PVC("", "3Gi", PVC_BOUND),
                       PVC("", "2Gi", PVC_BOUND),
                       "spec.resources.requests.storage: Forbidden: field "
                       "can not be less than status.capacity\n");
  expect_errors("", "resourcequotas",
                "{\"spec\":{\"hard\":{\"pods\":\"10\",\"cpu\":\"-1\"}}}",
                "spec.hard[cpu]: Invalid value: \"-1\": must be greater "
                "than or equal to 0\n");
  expect_errors("", "limitranges",
                "{\"spec\":{\"limits\":[{\"type\":\"Container\",\"min\":{"
                "\"cpu\":\"2\"},\"max\":{\"cpu\":\"1\"},\"default\":{\"cpu\":"
                "\"500m\"},\"maxLimitRequestRatio\":{\"cpu\":\"0.5\"}},"
                "{\"type\":\"Container\"},{\"type\":\"Pod\",\"default\":{"
                "\"cpu\":\"1\"}},{\"type\":\"PersistentVolumeClaim\"}]}}",
                "spec.limits[0].min[cpu]: Invalid value: \"2\": min value 2 "
                "is greater than max value 1\n"
                "spec.limits[0].default[cpu]: Invalid value: \"2\": min "
                "value 2 is greater than default value 500m\n"
                "spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "
                "\"0.5\": ratio 0.5 is less than 1\n"
                "spec.limits[1].type: Duplicate value: \"Container\"\n"
                "spec.limits[2].default: Forbidden: may not be specified "
                "when `type` is 'Pod'\n"
                "spec.limits[3].limits: Required value: either minimum or "
                "maximum storage value is required, but neither was "
                "provided\n");
  expect_errors("", "limitranges",
                "{\"spec\":{\"limits\":[{\"type\":\"Container\",\"min\":{"
                "\"memory\":\"64Mi\"},\"defaultRequest\":{\"memory\":"
                "\"128Mi\"},\"default\":{\"memory\":\"256Mi\"},\"max\":{"
                "\"memory\":\"1Gi\"}}]}}",
                "");
}

static void test_endpoints(void **state) {
  (void)state;
  expect_cells("", "endpoints",
               "{\"metadata\":{\"name\":\"web\"," CREATED "},\"subsets\":[{"
               "\"addresses\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"10.0.0.2\"}],"
               "\"ports\":[{\"port\":80},{\"port\":443}]}]}",
               "web|10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...|5h");
  expect_cells("", "endpoints",
               "{\"metadata\":{\"name\":\"none\"," CREATED "}}",
               "none|<none>|5h");
  expect_errors("", "endpoints",
                "{\"subsets\":[{\"addresses\":[{\"ip\":\"nope\"}],\"ports\":"
                "[{\"port\":0}]}]}",
                "subsets[0].addresses[0].ip: Invalid value: \"nope\": must be "
                "a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)\n"
                "subsets[0].ports[0].port: Invalid value: 0: must be between "
                "1 and 65535, inclusive\n");
  expect_cells("discovery.k8s.io", "endpointslices",
               "{\"metadata\":{\"name\":\"web-abc\"," CREATED "},"
               "\"addressType\":\"IPv4\",\"ports\":[{\"port\":80},{\"name\":"
               "\"x\"}],\"endpoints\":[{\"addresses\":[\"10.0.0.1\"]},{"
               "\"addresses\":[\"10.0.0.2\"]},{\"addresses\":[\"10.0.0.3\"]},"
               "{\"addresses\":[\"10.0.0.4\"]}]}",
               "web-abc|IPv4|80,x|10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...|5h");
  expect_cells("discovery.k8s.io", "endpointslices",
               "{\"metadata\":{\"name\":\"e\"," CREATED "},\"addressType\":"
               "\"FQDN\"}",
               "e|FQDN|<unset>|<unset>|5h");
  expect_errors("discovery.k8s.io", "endpointslices",
                "{\"addressType\":\"IPv5\",\"endpoints\":[{}]}",
                "addressType: Unsupported value: \"IPv5\": supported values: "
                "\"FQDN\", \"IPv4\", \"IPv6\"\n"
                "endpoints[0].addresses: Required value: must contain at "
                "least 1 address\n");
}

static void test_small_kinds(void **state) {
  (void)state;
  expect_cells("", "serviceaccounts",
               "{\"metadata\":{\"name\":\"sa\"," CREATED "},\"secrets\":[{"
               "\"name\":\"t\"}]}",
               "sa|1|5h");
  expect_cells("", "resourcequotas",
               "{\"metadata\":{\"name\":\"q\"," CREATED "},\"status\":{"
               "\"hard\":{\"pods\":\"10\",\"limits.cpu\":\"2\",\"cpu\":\"1\"},"
               "\"used\":{\"pods\":\"3\"}}}",
               "q|5h|cpu: 0/1, pods: 3/10|limits.cpu: 0/2");
  expect_errors("", "resourcequotas",
                "{\"spec\":{\"scopes\":[\"Sometimes\"]}}",
                "spec.scopes[0]: Unsupported value: \"Sometimes\": supported "
                "values: \"BestEffort\", \"CrossNamespacePodAffinity\", "
                "\"NotBestEffort\", \"NotTerminating\", \"PriorityClass\", "
                "\"Terminating\"\n");
  expect_cells("", "limitranges",
               "{\"metadata\":{\"name\":\"l\"," CREATED "}}",
               "l|2027-01-15T03:00:00Z");
  expect_errors("", "limitranges",
                "{\"spec\":{\"limits\":[{\"type\":\"Node\"}]}}",
                "spec.limits[0].type: Unsupported value: \"Node\": supported "
                "values: \"Container\", \"Pod\", \"PersistentVolumeClaim\"\n");
  expect_cells("", "podtemplates",
               "{\"metadata\":{\"name\":\"pt\"," CREATED "},\"template\":{"
               "\"metadata\":{\"labels\":{\"app\":\"x\"}},\"spec\":{"
               "\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}}",
               "pt|c|nginx|app=x");
}

/* events.k8s.io/v1 <-> core/v1: the renames both ways, converting twice
 * is harmless, and the new-style checks in events.k8s.io's names. */
static void test_events_v1(void **state) {
  const struct cp_strategy *s = st("events.k8s.io", "events");
  json_object *o = parse(
      "{\"apiVersion\":\"events.k8s.io/v1\",\"kind\":\"Event\","
      "\"metadata\":{\"name\":\"e\"},\"regarding\":{\"kind\":\"Pod\"},"
      "\"note\":\"hi\",\"reportingController\":\"x.io/c\","
      "\"deprecatedCount\":3,\"reason\":\"R\"}");
  const char *core =
      "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"name\":"
      "\"e\"},\"reason\":\"R\",\"involvedObject\":{\"kind\":\"Pod\"},"
      "\"message\":\"hi\",\"reportingComponent\":\"x.io/c\",\"count\":3}";

  (void)state;
  s->to_storage(o);
  assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                      core);
  s->to_storage(o);
  assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                      core);
  s->from_storage(o);
  assert_string_equal(
      json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
      "{\"apiVersion\":\"events.k8s.io/v1\",\"kind\":\"Event\","
      "\"metadata\":{\"name\":\"e\"},\"reason\":\"R\",\"regarding\":{"
      "\"kind\":\"Pod\"},\"note\":\"hi\",\"reportingController\":"
      "\"x.io/c\",\"deprecatedCount\":3}");
  json_object_put(o);
  expect_errors("events.k8s.io", "events",
                "{\"metadata\":{\"namespace\":\"ns1\"},\"reason\":\"R\"}",
                "eventTime: Required value\n"
                "regarding.namespace: Invalid value: \"\": does not match "
                "event.namespace\n"
                "reportingController: Required value\n"
                "reportingInstance: Required value\n"
                "action: Required value\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_service_defaults),
      cmocka_unit_test(test_service_validation),
      cmocka_unit_test(test_service_update),
      cmocka_unit_test_setup_teardown(test_service_admit, store_setup,
                                      store_teardown),
      cmocka_unit_test(test_service_cells),
      cmocka_unit_test(test_replication_controller),
      cmocka_unit_test(test_volumes),
      cmocka_unit_test(test_claim_quota_limit_rules),
      cmocka_unit_test(test_endpoints),
      cmocka_unit_test(test_small_kinds),
      cmocka_unit_test(test_events_v1),
  };
  int rc;

  reg = cp_resources_new();
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  cp_resources_free(reg);
  return rc;
}
