/*
 * test_strategy_service_update - a Service update hands back what it no
 * longer uses, as kube's service REST update does, through the verbs on
 * an in-process API over SQLite: a ClusterIP Service turned ExternalName
 * loses its ClusterIP (and IP families) and the address is free again; a
 * NodePort Service turned ClusterIP frees its node ports; a removed port
 * frees its node port; a new port gets one; a dry run keeps everything.
 * The allocation keys are read from the store itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "api_fixture.h"
#include "apiserver/alloc/service_alloc.h"

#define SVCS "/api/v1/namespaces/default/services"
#define MERGE "application/merge-patch+json"

static int setup(void **state) {
  struct api_fixture *f;

  api_fixture_setup_tagged(state, "cp-svcup", 1);
  f = *state;
  f->ctx.svc_alloc = cp_svc_alloc_new(NULL, NULL);
  assert_non_null(f->ctx.svc_alloc);
  api_fixture_namespace(f, "default");
  return 0;
}

static int teardown(void **state) {
  struct api_fixture *f = *state;

  cp_svc_alloc_free(f->ctx.svc_alloc);
  return api_fixture_teardown(state);
}

/* Runs a request that must answer code; returns its body as JSON. */
static json_object *req(struct api_fixture *f, enum cp_api_method m,
                        const char *path, const char *ctype, const char *body,
                        int code) {
  struct cp_api_response rs = api_fixture_call(f, m, path, ctype, body);
  json_object *o;

  if (rs.code != code)
    fail_msg("%s: %d, wanted %d: %s", path, rs.code, code,
             rs.body ? rs.body : "");
  o = json_tokener_parse(rs.body);
  free(rs.body);
  assert_non_null(o);
  return o;
}

static json_object *at(json_object *o, const char *a, const char *b) {
  json_object *v = NULL;

  if (!json_object_object_get_ex(o, a, &v) || b == NULL)
    return v;
  return json_object_object_get_ex(v, b, &v) ? v : NULL;
}

/* The nodePort of ports[i]. */
static int node_port(json_object *svc, size_t i) {
  json_object *ports = at(svc, "spec", "ports"), *np = NULL;

  assert_non_null(ports);
  assert_true(i < json_object_array_length(ports));
  assert_true(json_object_object_get_ex(json_object_array_get_idx(ports, i),
                                        "nodePort", &np));
  return json_object_get_int(np);
}

static int allocated(struct api_fixture *f, const char *prefix,
                     const char *id) {
  char key[64];
  cp_store_kv kv = {0};
  int rc;

  snprintf(key, sizeof key, "%s%s", prefix, id);
  rc = cp_store_get(f->store, key, strlen(key), 0, &kv, NULL);
  cp_store_kv_free(&kv);
  return rc == CPLANE_OK;
}

static int ip_allocated(struct api_fixture *f, const char *ip) {
  return allocated(f, "ipaddresses/", ip);
}

static int port_allocated(struct api_fixture *f, int port) {
  char id[16];

  snprintf(id, sizeof id, "%d", port);
  return allocated(f, "servicenodeports/", id);
}

static void test_cluster_ip_to_external_name(void **state) {
  struct api_fixture *f = *state;
  json_object *svc, *spec;
  char ip[16], *body;

  svc = req(f, CP_API_POST, SVCS, API_FIXTURE_JSON,
            "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"ports\":"
            "[{\"port\":80}]}}",
            201);
  snprintf(ip, sizeof ip, "%s",
           json_object_get_string(at(svc, "spec", "clusterIP")));
  assert_true(ip_allocated(f, ip));
  /* A dry run keeps the address. */
  json_object_put(req(f, CP_API_PATCH, SVCS "/web?dryRun=All", MERGE,
                      "{\"spec\":{\"type\":\"ExternalName\","
                      "\"externalName\":\"example.com\"}}",
                      200));
  assert_true(ip_allocated(f, ip));
  /* What kubectl edit sends: the object read, type and externalName
   * changed, clusterIP left as it was. */
  spec = at(svc, "spec", NULL);
  json_object_object_add(spec, "type",
                         json_object_new_string("ExternalName"));
  json_object_object_add(spec, "externalName",
                         json_object_new_string("example.com"));
  body = strdup(json_object_to_json_string(svc));
  json_object_put(svc);
  svc = req(f, CP_API_PUT, SVCS "/web", API_FIXTURE_JSON, body, 200);
  free(body);
  assert_null(at(svc, "spec", "clusterIP"));
  assert_null(at(svc, "spec", "clusterIPs"));
  assert_null(at(svc, "spec", "ipFamilies"));
  assert_null(at(svc, "spec", "ipFamilyPolicy"));
  assert_false(ip_allocated(f, ip));
  json_object_put(svc);
}

static void test_node_ports_follow_ports(void **state) {
  struct api_fixture *f = *state;
  json_object *svc;
  int http, https, dns;

  svc = req(f, CP_API_POST, SVCS, API_FIXTURE_JSON,
            "{\"metadata\":{\"name\":\"np\"},\"spec\":{\"type\":\"NodePort\","
            "\"ports\":[{\"name\":\"http\",\"port\":80},"
            "{\"name\":\"https\",\"port\":443}]}}",
            201);
  http = node_port(svc, 0);
  https = node_port(svc, 1);
  json_object_put(svc);
  assert_true(port_allocated(f, http) && port_allocated(f, https));
  /* The https port goes: its node port with it. */
  svc = req(f, CP_API_PATCH, SVCS "/np", MERGE,
            "{\"spec\":{\"ports\":[{\"name\":\"http\",\"port\":80}]}}", 200);
  assert_int_equal(node_port(svc, 0), http);
  json_object_put(svc);
  assert_true(port_allocated(f, http));
  assert_false(port_allocated(f, https));
  /* A new port gets one of its own. */
  svc = req(f, CP_API_PATCH, SVCS "/np", MERGE,
            "{\"spec\":{\"ports\":[{\"name\":\"http\",\"port\":80},"
            "{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}]}}",
            200);
  assert_int_equal(node_port(svc, 0), http);
  dns = node_port(svc, 1);
  json_object_put(svc);
  assert_true(dns != http && port_allocated(f, dns));
  /* ClusterIP needs none: both go back. */
  svc = req(f, CP_API_PATCH, SVCS "/np", MERGE,
            "{\"spec\":{\"type\":\"ClusterIP\"}}", 200);
  assert_null(json_object_object_get(
      json_object_array_get_idx(at(svc, "spec", "ports"), 0), "nodePort"));
  json_object_put(svc);
  assert_false(port_allocated(f, http));
  assert_false(port_allocated(f, dns));
  /* And the ClusterIP stays allocated all along. */
  svc = req(f, CP_API_GET, SVCS "/np", NULL, NULL, 200);
  assert_true(ip_allocated(
      f, json_object_get_string(at(svc, "spec", "clusterIP"))));
  json_object_put(svc);
}

/* An update refused after admission took a new address hands it back. */
static void test_refused_update_keeps_nothing(void **state) {
  struct api_fixture *f = *state;
  json_object *svc;
  int port;

  json_object_put(req(f, CP_API_POST, SVCS, API_FIXTURE_JSON,
                      "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"type\":"
                      "\"NodePort\",\"ports\":[{\"port\":80,"
                      "\"nodePort\":30080}]}}",
                      201));
  json_object_put(req(f, CP_API_POST, SVCS, API_FIXTURE_JSON,
                      "{\"metadata\":{\"name\":\"b\"},\"spec\":{\"ports\":"
                      "[{\"port\":80}]}}",
                      201));
  /* b asks for a fresh port and one that a holds: 422, and the fresh
   * one is not kept. */
  json_object_put(req(f, CP_API_PATCH, SVCS "/b", MERGE,
                      "{\"spec\":{\"type\":\"NodePort\",\"ports\":["
                      "{\"name\":\"x\",\"port\":80,\"nodePort\":30081},"
                      "{\"name\":\"y\",\"port\":81,\"nodePort\":30080}]}}",
                      422));
  assert_false(port_allocated(f, 30081));
  assert_true(port_allocated(f, 30080));
  svc = req(f, CP_API_GET, SVCS "/a", NULL, NULL, 200);
  port = node_port(svc, 0);
  json_object_put(svc);
  assert_int_equal(port, 30080);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_cluster_ip_to_external_name, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_node_ports_follow_ports, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_refused_update_keeps_nothing,
                                      setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
