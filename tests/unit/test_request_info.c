/*
 * test_request_info - the authorization attributes read from a URL alone,
 * as kube-apiserver's RequestInfoFactory reads them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "apiserver/request_info.h"

struct want {
  enum cp_api_method m;
  const char *path;
  int watch;
  int resource_request;
  const char *verb, *group, *ns, *resource, *subresource, *name;
};

static void check(const struct want *w) {
  struct cp_request_info ri;

  assert_int_equal(cp_request_info_parse(w->m, w->path, w->watch, &ri), 0);
  assert_int_equal(ri.resource_request, w->resource_request);
  assert_string_equal(ri.verb, w->verb);
  assert_string_equal(ri.path, w->path);
  assert_string_equal(ri.group, w->group);
  assert_string_equal(ri.ns, w->ns);
  assert_string_equal(ri.resource, w->resource);
  assert_string_equal(ri.subresource, w->subresource);
  assert_string_equal(ri.name, w->name);
  cp_request_info_clear(&ri);
}

static void test_resource_requests(void **state) {
  static const struct want w[] = {
      {CP_API_GET, "/api/v1/namespaces/default/pods", 0, 1, "list", "",
       "default", "pods", "", ""},
      {CP_API_GET, "/api/v1/namespaces/default/pods", 1, 1, "watch", "",
       "default", "pods", "", ""},
      {CP_API_GET, "/api/v1/namespaces/default/pods/p1", 0, 1, "get", "",
       "default", "pods", "", "p1"},
      {CP_API_PUT, "/api/v1/namespaces/default/pods/p1/status", 0, 1,
       "update", "", "default", "pods", "status", "p1"},
      {CP_API_POST, "/apis/apps/v1/namespaces/x/deployments", 0, 1, "create",
       "apps", "x", "deployments", "", ""},
      {CP_API_DELETE, "/apis/apps/v1/namespaces/x/deployments", 0, 1,
       "deletecollection", "apps", "x", "deployments", "", ""},
      {CP_API_DELETE, "/apis/apps/v1/namespaces/x/deployments/d", 0, 1,
       "delete", "apps", "x", "deployments", "", "d"},
      {CP_API_PATCH, "/api/v1/nodes/n1", 0, 1, "patch", "", "", "nodes", "",
       "n1"},
      /* The namespace object itself is in its own namespace. */
      {CP_API_GET, "/api/v1/namespaces/ns1", 0, 1, "get", "", "ns1",
       "namespaces", "", "ns1"},
      {CP_API_PUT, "/api/v1/namespaces/ns1/finalize", 0, 1, "update", "",
       "ns1", "namespaces", "finalize", "ns1"},
      {CP_API_GET, "/api/v1/namespaces", 0, 1, "list", "", "", "namespaces",
       "", ""},
      /* Nothing here knows which resources exist. */
      {CP_API_GET, "/apis/example.com/v1/namespaces/default/widgets", 0, 1,
       "list", "example.com", "default", "widgets", "", ""},
      {CP_API_GET, "//api//v1/pods/", 0, 1, "list", "", "", "pods", "", ""},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof w / sizeof w[0]; i++)
    check(&w[i]);
}

static void test_non_resource_requests(void **state) {
  static const struct want w[] = {
      {CP_API_GET, "/metrics", 0, 0, "get", "", "", "", "", ""},
      {CP_API_POST, "/metrics", 0, 0, "post", "", "", "", "", ""},
      {CP_API_GET, "/api", 0, 0, "get", "", "", "", "", ""},
      {CP_API_GET, "/api/v1", 0, 0, "get", "", "", "", "", ""},
      {CP_API_GET, "/apis/apps", 0, 0, "get", "", "", "", "", ""},
      {CP_API_GET, "/apis/apps/v1/", 0, 0, "get", "", "", "", "", ""},
      {CP_API_DELETE, "/", 0, 0, "delete", "", "", "", "", ""},
      {CP_API_GET, "", 0, 0, "get", "", "", "", "", ""},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof w / sizeof w[0]; i++)
    check(&w[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_resource_requests),
      cmocka_unit_test(test_non_resource_requests),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
