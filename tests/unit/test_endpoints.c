/*
 * test_endpoints - the endpoints plugin's modules: subsets repacked by
 * ports and sorted (subsets), truncated past the capacity as kube's
 * truncateEndpoints does, and addresses read from pods and from an
 * Endpoints object in one form (addrs), so that an object the plugin
 * wrote reads back equal and is not written again.
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

#include "addrs.h"
#include "subsets.h"

static const struct cplane_host_api *api;

static const cplane_object *obj(const char *json) {
  return plugin_obj(api, json);
}

static void test_repack(void **state) {
  struct ep_addr a[] = {
      {"10.0.0.9", "{9}", "[80]", 1}, {"10.0.0.2", "{2}", "[81]", 1},
      {"10.0.0.1", "{1}", "[80]", 1}, {"10.0.0.3", "{3}", "[80]", 0},
      {"10.0.0.4", "{4}", "[]", 1},
  };
  char *s;
  int cut = -1;

  (void)state;
  s = ep_subsets_json(a, 5, 1000, &cut);
  assert_int_equal(cut, 0);
  /* Grouped by ports, ready first, by IP; no ports: no "ports". */
  assert_string_equal(s, "[{\"addresses\":[{1},{9}],\"notReadyAddresses\":"
                         "[{3}],\"ports\":[80]},"
                         "{\"addresses\":[{2}],\"ports\":[81]},"
                         "{\"addresses\":[{4}]}]");
  free(s);
  s = ep_subsets_json(NULL, 0, 1000, &cut);
  assert_string_equal(s, "[]");
  free(s);
}

/* n addresses of ports p, ready or not, into a from i. */
static size_t fill(struct ep_addr *a, char (*ips)[24], size_t i, size_t n,
                   const char *p, int ready) {
  size_t j;

  for (j = 0; j < n; j++, i++) {
    snprintf(ips[i], sizeof ips[i], "\"%s%zu\"", p, 10000 + i);
    a[i] = (struct ep_addr){ips[i], ips[i], p, ready};
  }
  return i;
}

static size_t count(const char *s, const char *list) {
  const cplane_object *o;
  size_t n = 0;
  int i, m;
  char path[64], *doc = malloc(strlen(s) + 8);

  assert_non_null(doc);
  sprintf(doc, "{\"s\":%s}", s); /* objects are JSON objects */
  assert_int_equal(api->object_parse(doc, strlen(doc), &o, NULL), CPLANE_OK);
  free(doc);
  m = api->object_len(o, "s");
  for (i = 0; i < m; i++) {
    snprintf(path, sizeof path, "s[%d].%s", i, list);
    if (api->object_len(o, path) > 0)
      n += (size_t)api->object_len(o, path);
  }
  api->object_release(o);
  return n;
}

/* kube's truncateEndpoints: over capacity, not-ready addresses go first;
 * with too many ready ones, each subset keeps its share rounded up and
 * the last what is left. */
static void test_truncate(void **state) {
  static struct ep_addr a[1300];
  static char ips[1300][24];
  size_t n;
  char *s;
  int cut = 0;

  (void)state;
  n = fill(a, ips, 0, 900, "[1]", 1);
  n = fill(a, ips, n, 300, "[1]", 0);
  s = ep_subsets_json(a, n, 1000, &cut);
  assert_int_equal(cut, 1);
  assert_int_equal(count(s, "addresses"), 900);
  assert_int_equal(count(s, "notReadyAddresses"), 100);
  free(s);
  n = fill(a, ips, 0, 800, "[1]", 1);
  n = fill(a, ips, n, 400, "[2]", 1);
  n = fill(a, ips, n, 100, "[2]", 0);
  s = ep_subsets_json(a, n, 1000, &cut);
  assert_int_equal(cut, 1);
  assert_int_equal(count(s, "addresses"), 1000); /* 667 + 333 */
  assert_int_equal(count(s, "notReadyAddresses"), 0);
  assert_non_null(strstr(s, "\"[1]10666\"")); /* the 667th of [1] */
  assert_null(strstr(s, "\"[1]10667\""));
  free(s);
  /* At capacity exactly: nothing cut. */
  n = fill(a, ips, 0, 1000, "[1]", 0);
  s = ep_subsets_json(a, n, 1000, &cut);
  assert_int_equal(cut, 0);
  free(s);
}

static const char *svc_json =
    "{'metadata':{'name':'web','namespace':'ns'},"
    "'spec':{'selector':{'app':'web'},'clusterIP':'10.96.0.9',"
    "'ports':[{'name':'http','port':80,'targetPort':'http','protocol':'TCP'}]}"
    "}";

static const cplane_object *pod(const char *name, int ip, int port, int ready,
                                int deleting) {
  char json[1024];

  snprintf(json, sizeof json,
           "{'metadata':{'name':'%s','namespace':'ns','uid':'u-%s'%s},"
           "'spec':{'nodeName':'n1','containers':[{'name':'c','ports':"
           "[{'name':'http','containerPort':%d}]}]},"
           "'status':{'phase':'Running','podIP':'10.0.0.%d','conditions':"
           "[{'type':'Ready','status':'%s'}]}}",
           name, name,
           deleting ? ",'deletionTimestamp':'2026-01-02T03:05:00Z'" : "", port,
           ip, ready ? "True" : "False");
  return obj(json);
}

/* Pods to subsets; the Endpoints object written from them reads back to
 * the same text (so the plugin does not write it again). */
static void test_pods_round_trip(void **state) {
  const cplane_object *svc = obj(svc_json), *eps;
  const cplane_object *p[4] = {pod("a", 2, 8080, 1, 0), pod("b", 1, 8080, 0, 0),
                               pod("c", 3, 9090, 1, 0),
                               pod("d", 4, 8080, 1, 1)};
  struct ep_addrs l = {NULL, 0, 0}, back = {NULL, 0, 0};
  char *s, *again, body[4096];
  int i;

  (void)state;
  for (i = 0; i < 4; i++)
    assert_int_equal(ep_addrs_add_pod(api, &l, svc, p[i]), 0);
  assert_int_equal(l.n, 3); /* d is terminating */
  s = ep_subsets_json(l.a, l.n, 1000, NULL);
  assert_string_equal(
      s,
      "[{\"addresses\":[{\"ip\":\"10.0.0.2\",\"nodeName\":\"n1\","
      "\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"a\","
      "\"uid\":\"u-a\"}}],\"notReadyAddresses\":[{\"ip\":\"10.0.0.1\","
      "\"nodeName\":\"n1\",\"targetRef\":{\"kind\":\"Pod\",\"namespace\":"
      "\"ns\",\"name\":\"b\",\"uid\":\"u-b\"}}],\"ports\":[{\"name\":"
      "\"http\",\"port\":8080,\"protocol\":\"TCP\"}]},{\"addresses\":"
      "[{\"ip\":\"10.0.0.3\",\"nodeName\":\"n1\",\"targetRef\":{\"kind\":"
      "\"Pod\",\"namespace\":\"ns\",\"name\":\"c\",\"uid\":\"u-c\"}}],"
      "\"ports\":[{\"name\":\"http\",\"port\":9090,\"protocol\":\"TCP\"}]}]");
  snprintf(body, sizeof body,
           "{\"metadata\":{\"name\":\"web\"},\"subsets\":%s}", s);
  assert_int_equal(api->object_parse(body, strlen(body), &eps, NULL),
                   CPLANE_OK);
  assert_int_equal(ep_addrs_add_endpoints(api, &back, eps), 0);
  again = ep_subsets_json(back.a, back.n, (size_t)-1, NULL);
  assert_string_equal(again, s);
  free(again);
  free(s);
  ep_addrs_free(&back);
  ep_addrs_free(&l);
  api->object_release(eps);
  api->object_release(svc);
  for (i = 0; i < 4; i++)
    api->object_release(p[i]);
}

/* A Service without ports lists its pods only when headless. */
static void test_no_ports(void **state) {
  const cplane_object *headless = obj(
      "{'metadata':{'name':'db','namespace':'ns'},'spec':{'clusterIP':'None',"
      "'selector':{'app':'db'}}}");
  const cplane_object *plain =
      obj("{'metadata':{'name':'db','namespace':'ns'},'spec':{'clusterIP':"
          "'10.96.0.3','selector':{'app':'db'}}}");
  const cplane_object *p = pod("a", 2, 8080, 1, 0);
  struct ep_addrs l = {NULL, 0, 0};

  (void)state;
  assert_int_equal(ep_addrs_add_pod(api, &l, plain, p), 0);
  assert_int_equal(l.n, 0);
  assert_int_equal(ep_addrs_add_pod(api, &l, headless, p), 0);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.a[0].ports, "[]");
  ep_addrs_free(&l);
  api->object_release(headless);
  api->object_release(plain);
  api->object_release(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_repack),
      cmocka_unit_test(test_truncate),
      cmocka_unit_test(test_pods_round_trip),
      cmocka_unit_test(test_no_ports),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
