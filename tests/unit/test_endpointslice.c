/*
 * test_endpointslice - the endpointslice plugin's modules: kube's
 * placement of endpoints across slices (placement), endpoints and ports
 * read from pods and from slices in one form (endpoint, groups), the
 * slices' labels (meta), its setting (config), and the SDK's
 * endpoints.h helpers both endpoint plugins rest on. Objects come from
 * the host's own object code through cp_host_api(), as the plugin sees
 * them; the whole controller runs on the kit in test_kit_endpointslice.
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

#include "config.h"
#include "endpoint.h"
#include "groups.h"
#include "meta.h"
#include "placement.h"

static const struct cplane_host_api *api;

static const cplane_object *obj(const char *json) {
  return plugin_obj(api, json);
}

/* ---- placement ------------------------------------------------------ */

/* n endpoints "eN" (json "jN", or "jN'" when changed), from `from`. */
struct eps {
  struct es_ep e[400];
  char ids[400][16], jsons[400][16];
};

static struct es_ep *make_eps(struct eps *b, int from, int n, int changed) {
  int i;

  for (i = 0; i < n; i++) {
    snprintf(b->ids[i], sizeof b->ids[i], "e%d", from + i);
    snprintf(b->jsons[i], sizeof b->jsons[i], "j%d%s", from + i,
             changed ? "'" : "");
    b->e[i].id = b->ids[i];
    b->e[i].json = b->jsons[i];
  }
  return b->e;
}

static size_t count_creates(const struct es_plan *p) {
  size_t i, n = 0;

  for (i = 0; i < p->n_writes; i++)
    n += p->writes[i].slice < 0;
  return n;
}

static const struct es_write *write_of(const struct es_plan *p, int slice) {
  size_t i;

  for (i = 0; i < p->n_writes; i++)
    if (p->writes[i].slice == slice)
      return &p->writes[i];
  return NULL;
}

static void test_placeholder(void **state) {
  struct es_plan p;
  struct es_group ph = {"[]", NULL, 0, 0};

  (void)state;
  /* No endpoints, no slices: one empty placeholder slice. */
  assert_int_equal(es_plan_make(NULL, 0, NULL, 0, 100, &p), 0);
  assert_int_equal(p.n_writes, 1);
  assert_int_equal(p.writes[0].slice, -1);
  assert_int_equal(p.writes[0].n, 0);
  assert_string_equal(p.writes[0].ports, "[]");
  es_plan_free(&p);
  /* The placeholder there already: nothing to do. */
  assert_int_equal(es_plan_make(NULL, 0, &ph, 1, 100, &p), 0);
  assert_int_equal(p.n_writes, 0);
  assert_int_equal(p.n_deletes, 0);
  es_plan_free(&p);
}

static void test_new_slices_of_max(void **state) {
  static struct eps w;
  struct es_group want = {"[80]", make_eps(&w, 0, 250, 0), 250, 0};
  struct es_plan p;

  (void)state;
  assert_int_equal(es_plan_make(&want, 1, NULL, 0, 100, &p), 0);
  assert_int_equal(p.n_writes, 3);
  assert_int_equal(count_creates(&p), 3);
  assert_int_equal(p.writes[0].n + p.writes[1].n + p.writes[2].n, 250);
  assert_int_equal(p.writes[0].n, 100);
  assert_int_equal(p.writes[2].n, 50);
  es_plan_free(&p);
}

/* Two slices of 100 and 50, unchanged, and one endpoint more: it goes
 * into the 50 (the fullest that takes it), nothing else is written. */
static void test_fill_unchanged(void **state) {
  static struct eps a, b, w;
  struct es_group have[2] = {{"[80]", make_eps(&a, 0, 100, 0), 100, 0},
                             {"[80]", make_eps(&b, 100, 50, 0), 50, 0}};
  struct es_group want = {"[80]", make_eps(&w, 0, 151, 0), 151, 0};
  struct es_plan p;

  (void)state;
  assert_int_equal(es_plan_make(&want, 1, have, 2, 100, &p), 0);
  assert_int_equal(p.n_writes, 1);
  assert_non_null(write_of(&p, 1));
  assert_int_equal(write_of(&p, 1)->n, 51);
  assert_string_equal(write_of(&p, 1)->eps[50], "j150");
  assert_int_equal(p.n_deletes, 0);
  es_plan_free(&p);
  /* Nothing new: nothing written. */
  want.n = 150;
  assert_int_equal(es_plan_make(&want, 1, have, 2, 100, &p), 0);
  assert_int_equal(p.n_writes + p.n_deletes, 0);
  es_plan_free(&p);
}

/* An endpoint gone from a slice: that slice, being written anyway, takes
 * the new endpoint (minimal churn: one write). */
static void test_fill_updated_first(void **state) {
  static struct eps a, b, w;
  struct es_group have[2] = {{"[80]", make_eps(&a, 0, 10, 0), 10, 0},
                             {"[80]", make_eps(&b, 10, 10, 0), 10, 0}};
  struct es_group want;
  struct es_plan p;

  (void)state;
  make_eps(&w, 1, 20, 0); /* e1..e20: e0 gone, e20 new */
  want = (struct es_group){"[80]", w.e, 20, 0};
  assert_int_equal(es_plan_make(&want, 1, have, 2, 100, &p), 0);
  assert_int_equal(p.n_writes, 1);
  assert_non_null(write_of(&p, 0));
  assert_int_equal(write_of(&p, 0)->n, 10);
  assert_string_equal(write_of(&p, 0)->eps[9], "j20");
  es_plan_free(&p);
}

/* A changed endpoint is rewritten in place; a slice left empty is
 * reused for a new ports group instead of a delete and a create. */
static void test_change_and_reuse(void **state) {
  static struct eps a, b, w1, w2;
  struct es_group have[2] = {{"[80]", make_eps(&a, 0, 3, 0), 3, 0},
                             {"[81]", make_eps(&b, 3, 2, 0), 2, 0}};
  struct es_group want[2];
  struct es_plan p;

  (void)state;
  want[0] = (struct es_group){"[80]", make_eps(&w1, 0, 3, 1), 3, 0};
  want[1] = (struct es_group){"[82]", make_eps(&w2, 10, 2, 0), 2, 0};
  assert_int_equal(es_plan_make(want, 2, have, 2, 100, &p), 0);
  assert_int_equal(p.n_writes, 2);
  assert_int_equal(p.n_deletes, 0);
  assert_string_equal(write_of(&p, 0)->eps[0], "j0'");
  assert_string_equal(write_of(&p, 1)->ports, "[82]"); /* reused */
  assert_int_equal(count_creates(&p), 0);
  es_plan_free(&p);
  /* Without a new group the emptied slice is deleted. */
  assert_int_equal(es_plan_make(want, 1, have, 2, 100, &p), 0);
  assert_int_equal(p.n_deletes, 1);
  assert_int_equal(p.deletes[0], 1);
  es_plan_free(&p);
}

/* A stale slice (its labels) is rewritten with the same endpoints; an
 * endpoint listed twice stays in one slice only. */
static void test_stale_and_duplicates(void **state) {
  static struct eps a, b, w;
  struct es_group have[2] = {{"[80]", make_eps(&a, 0, 2, 0), 2, 1},
                             {"[80]", make_eps(&b, 0, 2, 0), 2, 0}};
  struct es_group want = {"[80]", make_eps(&w, 0, 2, 0), 2, 0};
  struct es_plan p;

  (void)state;
  assert_int_equal(es_plan_make(&want, 1, have, 2, 100, &p), 0);
  assert_int_equal(p.n_writes, 1);
  assert_int_equal(write_of(&p, 0)->n, 2);
  assert_int_equal(p.n_deletes, 1);
  assert_int_equal(p.deletes[0], 1);
  es_plan_free(&p);
}

/* ---- endpoints from pods and slices ------------------------------------ */

static const char *svc_json =
    "{'metadata':{'name':'web','namespace':'ns','uid':'s1',"
    "'labels':{'tier':'front','kubernetes.io/service-name':'spoof'}},"
    "'spec':{'selector':{'app':'web'},'clusterIP':'10.96.0.9',"
    "'ports':[{'name':'http','port':80,'targetPort':'http','protocol':'TCP'},"
    "{'name':'metrics','port':9100,'targetPort':9100,'protocol':'TCP',"
    "'appProtocol':'http'}]}}";

static const cplane_object *pod(const char *name, int port, int ready,
                                int deleting) {
  char json[1024];

  snprintf(json, sizeof json,
           "{'metadata':{'name':'%s','namespace':'ns','uid':'u-%s',"
           "'labels':{'app':'web'}%s},"
           "'spec':{'nodeName':'n1','hostname':'h-%s','subdomain':'web',"
           "'containers':[{'name':'c','ports':[{'name':'http',"
           "'containerPort':%d}]}]},"
           "'status':{'phase':'Running','podIP':'10.0.0.%d','conditions':"
           "[{'type':'Ready','status':'%s',"
           "'lastTransitionTime':'2026-01-02T03:04:05Z'}]}}",
           name, name,
           deleting ? ",'deletionTimestamp':'2026-01-02T03:05:00Z'" : "", name,
           port, port % 250, ready ? "True" : "False");
  return obj(json);
}

static void test_endpoint_from_pod(void **state) {
  const cplane_object *svc = obj(svc_json),
                      *node = obj("{'metadata':{'name':'n1','labels':{'"
                                  "topology.kubernetes.io/zone':'z1'}}}");
  const cplane_object *p1 = pod("a", 8080, 1, 0), *p2 = pod("b", 8080, 0, 0),
                      *p3 = pod("c", 8080, 1, 1);
  struct es_endpoint ep;
  char *j;

  (void)state;
  assert_int_equal(es_endpoint_from_pod(api, p1, node, svc, &ep), 0);
  j = es_endpoint_json(&ep);
  assert_string_equal(
      j, "{\"addresses\":[\"10.0.0.80\"],\"conditions\":{\"ready\":true,"
         "\"serving\":true,\"terminating\":false},\"hostname\":\"h-a\","
         "\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"a\","
         "\"uid\":\"u-a\"},\"nodeName\":\"n1\",\"zone\":\"z1\"}");
  free(j);
  j = es_endpoint_id(&ep);
  assert_string_equal(j, "10.0.0.80|h-a|ns/a");
  free(j);
  /* Not ready; terminating (ready false though serving). */
  assert_int_equal(es_endpoint_from_pod(api, p2, NULL, svc, &ep), 0);
  assert_int_equal(ep.ready + ep.serving + ep.terminating, 0);
  assert_null(ep.zone);
  assert_int_equal(es_endpoint_from_pod(api, p3, NULL, svc, &ep), 0);
  assert_true(!ep.ready && ep.serving && ep.terminating);
  api->object_release(svc);
  api->object_release(node);
  api->object_release(p1);
  api->object_release(p2);
  api->object_release(p3);
}

/* publishNotReadyAddresses: ready whatever the pod says. */
static void test_publish_not_ready(void **state) {
  const cplane_object *svc =
      obj("{'metadata':{'name':'web','namespace':'ns'},'spec':{'selector':"
          "{'app':'web'},'publishNotReadyAddresses':true,'ports':[]}}");
  const cplane_object *p = pod("b", 8080, 0, 1);
  struct es_endpoint ep;

  (void)state;
  assert_int_equal(es_endpoint_from_pod(api, p, NULL, svc, &ep), 0);
  assert_true(ep.ready && !ep.serving && ep.terminating);
  api->object_release(svc);
  api->object_release(p);
}

/* Named targetPorts resolve per pod: other numbers, other groups; a
 * slice's ports read back in the same form. */
static void test_ports_and_groups(void **state) {
  const cplane_object *svc = obj(svc_json);
  const cplane_object *a = pod("a", 8080, 1, 0), *b = pod("b", 8080, 1, 0),
                      *c = pod("c", 9090, 1, 0), *slice;
  struct es_groups g = {NULL, 0, 0};
  char *ports = cplane_service_ports_json(api, svc, a, 1), *back;

  (void)state;
  assert_string_equal(
      ports, "[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"},"
             "{\"name\":\"metrics\",\"port\":9100,\"protocol\":\"TCP\","
             "\"appProtocol\":\"http\"}]");
  assert_int_equal(es_groups_add_pod(api, &g, svc, a, NULL), 0);
  assert_int_equal(es_groups_add_pod(api, &g, svc, b, NULL), 0);
  assert_int_equal(es_groups_add_pod(api, &g, svc, c, NULL), 0);
  assert_int_equal(g.n, 2);
  assert_int_equal(g.g[0].n, 2);
  assert_int_equal(g.g[1].n, 1);
  /* The same endpoint read from a slice compares equal. */
  {
    char json[2048];

    snprintf(json, sizeof json,
             "{\"metadata\":{\"name\":\"web-x\"},\"addressType\":\"IPv4\","
             "\"endpoints\":[%s],\"ports\":%s}",
             g.g[0].eps[0].json, ports);
    assert_int_equal(api->object_parse(json, strlen(json), &slice, NULL),
                     CPLANE_OK);
  }
  back = cplane_endpoint_ports_json(api, slice, "ports", 1);
  assert_string_equal(back, ports);
  {
    struct es_groups h = {NULL, 0, 0};

    assert_int_equal(es_groups_add_slice(api, &h, slice, 0), 0);
    assert_int_equal(h.g[0].n, 1);
    assert_string_equal(h.g[0].eps[0].id, g.g[0].eps[0].id);
    assert_string_equal(h.g[0].eps[0].json, g.g[0].eps[0].json);
    es_groups_free(&h);
  }
  free(back);
  free(ports);
  es_groups_free(&g);
  api->object_release(slice);
  api->object_release(svc);
  api->object_release(a);
  api->object_release(b);
  api->object_release(c);
}

/* A pod without the named port is left out of that port only; a pod
 * without an IP has no endpoint. */
static void test_missing_port_and_ip(void **state) {
  const cplane_object *svc = obj(svc_json);
  const cplane_object *p =
      obj("{'metadata':{'name':'d','namespace':'ns'},'spec':{'containers':"
          "[{'name':'c'}]},'status':{'podIP':'10.0.0.4'}}");
  const cplane_object *noip =
      obj("{'metadata':{'name':'e','namespace':'ns'},'spec':{},'status':{}}");
  struct es_groups g = {NULL, 0, 0};
  char *ports = cplane_service_ports_json(api, svc, p, 1);

  (void)state;
  assert_string_equal(ports, "[{\"name\":\"metrics\",\"port\":9100,"
                             "\"protocol\":\"TCP\",\"appProtocol\":\"http\"}]");
  assert_int_equal(es_groups_add_pod(api, &g, svc, noip, NULL), 1);
  assert_int_equal(cplane_pod_in_endpoints(api, noip, 1), 0);
  assert_int_equal(g.n, 0);
  free(ports);
  api->object_release(svc);
  api->object_release(p);
  api->object_release(noip);
}

/* ---- labels, selector, setting ------------------------------------------ */

static void test_labels(void **state) {
  const cplane_object *svc = obj(svc_json), *labels, *slice;
  const cplane_object *headless = obj(
      "{'metadata':{'name':'db','namespace':'ns'},'spec':{'clusterIP':'None',"
      "'selector':{'app':'db','tier':'x'}}}");
  char *l = es_labels_json(api, svc), *sel;

  (void)state;
  assert_string_equal(
      l, "{\"tier\":\"front\",\"kubernetes.io/service-name\":\"web\","
         "\"endpointslice.kubernetes.io/managed-by\":"
         "\"endpointslice-controller.k8s.io\"}");
  assert_int_equal(api->object_parse(l, strlen(l), &labels, NULL), CPLANE_OK);
  slice = obj("{'metadata':{'labels':{'tier':'front',"
              "'kubernetes.io/service-name':'web'}}}");
  assert_int_equal(cplane_labels_differ(api, slice, labels), 1);
  free(l);
  l = es_labels_json(api, headless);
  assert_non_null(strstr(l, "\"service.kubernetes.io/headless\":\"\""));
  sel = cplane_service_selector(api, headless);
  assert_string_equal(sel, "app=db,tier=x");
  free(sel);
  free(l);
  api->object_release(slice);
  api->object_release(labels);
  api->object_release(svc);
  api->object_release(headless);
}

static void test_no_selector(void **state) {
  const cplane_object *a = obj("{'spec':{}}"),
                      *b = obj("{'spec':{'selector':{}}}"),
                      *c = obj("{'spec':{'selector':{'a':7}}}");

  (void)state;
  assert_null(cplane_service_selector(api, a));
  assert_null(cplane_service_selector(api, b));
  assert_null(cplane_service_selector(api, c)); /* not label strings */
  api->object_release(a);
  api->object_release(b);
  api->object_release(c);
}

static void test_config(void **state) {
  const char *why = NULL;
  int v;

  (void)state;
  assert_int_equal(es_config_max_per_slice(NULL, &v, &why), 0);
  assert_int_equal(v, 100);
  assert_int_equal(es_config_max_per_slice("1000", &v, &why), 0);
  assert_int_equal(v, 1000);
  assert_int_equal(es_config_max_per_slice("0", &v, &why), -1);
  assert_non_null(why);
  assert_int_equal(es_config_max_per_slice("1001", &v, &why), -1);
  assert_int_equal(es_config_max_per_slice("10x", &v, &why), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_placeholder),
      cmocka_unit_test(test_new_slices_of_max),
      cmocka_unit_test(test_fill_unchanged),
      cmocka_unit_test(test_fill_updated_first),
      cmocka_unit_test(test_change_and_reuse),
      cmocka_unit_test(test_stale_and_duplicates),
      cmocka_unit_test(test_endpoint_from_pod),
      cmocka_unit_test(test_publish_not_ready),
      cmocka_unit_test(test_ports_and_groups),
      cmocka_unit_test(test_missing_port_and_ip),
      cmocka_unit_test(test_labels),
      cmocka_unit_test(test_no_selector),
      cmocka_unit_test(test_config),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
