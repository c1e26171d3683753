/*
 * test_statefulset - the statefulset plugin's pure modules: ordinals
 * parsed from pod names, a pod's body (identity labels, hostname and
 * subdomain, claim volumes in place of the template's, the revision
 * label, the controller reference) from the set's template or from a
 * revision's, and the revision data kubectl rollout undo applies. The
 * whole controller runs on the kit in test_kit_statefulset.
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

#include "identity.h"
#include "podjson.h"
#include "revision.h"

static const struct cplane_host_api *api;

static const cplane_object *obj(const char *json) {
  return plugin_obj(api, json);
}

#define SET                                                                 \
  "{'metadata':{'name':'web','namespace':'default','uid':'set-uid'},"       \
  "'spec':{'serviceName':'nginx','selector':{'matchLabels':{'app':'n'}},"   \
  "'template':{'metadata':{'labels':{'app':'n','a.b/c':'d'},"               \
  "'annotations':{'x':'y'}},'spec':{'containers':[{'name':'c','image':"     \
  "'nginx:1'}],'hostname':'wrong','volumes':[{'name':'www','emptyDir':{}},"  \
  "{'name':'cfg','configMap':{'name':'cm'}}]}},"                            \
  "'volumeClaimTemplates':[{'metadata':{'name':'www'},'spec':{}}]}}"

static void test_ordinal(void **state) {
  (void)state;
  assert_int_equal(sts_ordinal("web", "web-0"), 0);
  assert_int_equal(sts_ordinal("web", "web-12"), 12);
  assert_int_equal(sts_ordinal("web", "web-"), -1);
  assert_int_equal(sts_ordinal("web", "web-01"), -1);
  assert_int_equal(sts_ordinal("web", "web-1a"), -1);
  assert_int_equal(sts_ordinal("web", "webx-1"), -1);
  assert_int_equal(sts_ordinal("web", "web-99999999999"), -1);
  assert_int_equal(sts_ordinal("a-b", "a-b-3"), 3);
}

static void check_pod(const char *body, const char *image, const char *rev) {
  const cplane_object *pod = NULL;

  assert_non_null(body);
  assert_int_equal(api->object_parse(body, strlen(body), &pod, NULL),
                   CPLANE_OK);
  assert_string_equal(api->object_name(pod), "web-2");
  assert_string_equal(api->object_label(pod, STS_LABEL_POD_NAME), "web-2");
  assert_string_equal(api->object_label(pod, STS_LABEL_POD_INDEX), "2");
  assert_string_equal(api->object_label(pod, "controller-revision-hash"), rev);
  assert_string_equal(api->object_label(pod, "a.b/c"), "d");
  assert_string_equal(api->object_annotation(pod, "x"), "y");
  assert_string_equal(api->object_string(pod, "spec.hostname"), "web-2");
  assert_string_equal(api->object_string(pod, "spec.subdomain"), "nginx");
  assert_string_equal(api->object_string(pod, "spec.containers[0].image"),
                      image);
  /* The claim replaces the template's volume of the same name. */
  assert_int_equal(api->object_len(pod, "spec.volumes"), 2);
  assert_string_equal(api->object_string(pod, "spec.volumes[0].name"), "www");
  assert_string_equal(
      api->object_string(pod,
                         "spec.volumes[0].persistentVolumeClaim.claimName"),
      "www-web-2");
  assert_string_equal(api->object_string(pod, "spec.volumes[1].name"), "cfg");
  assert_true(cplane_is_controlled_by(api, pod, "set-uid"));
  api->object_release(pod);
}

static void test_pod_json(void **state) {
  const cplane_object *set = obj(SET), *rev;
  struct sts s;
  char *body, *data;

  (void)state;
  memset(&s, 0, sizeof s);
  s.api = api;
  s.o = set;
  s.ns = "default";
  s.name = "web";
  s.uid = "set-uid";
  body = sts_pod_json(&s, set, "spec.template", 2, "web-abc");
  check_pod(body, "nginx:1", "web-abc");
  api->free(body);

  /* From a revision's data: the same pod, the revision's image. */
  data = sts_revision_data(api, set);
  assert_non_null(data);
  assert_non_null(strstr(data, "\"$patch\":\"replace\""));
  {
    char json[4096];
    char *p = strstr(data, "nginx:1");

    assert_non_null(p);
    p[6] = '0'; /* nginx:0 */
    snprintf(json, sizeof json, "{\"metadata\":{\"name\":\"web-old\"},"
                                "\"revision\":1,\"data\":%s}",
             data);
    assert_int_equal(api->object_parse(json, strlen(json), &rev, NULL),
                     CPLANE_OK);
  }
  body = sts_pod_json(&s, rev, "data.spec.template", 2, "web-old");
  check_pod(body, "nginx:0", "web-old");
  api->free(body);
  api->free(data);
  api->object_release(rev);
  api->object_release(set);
}

/* Members are copied with their keys escaped, and skipped by name. */
static void test_members_except(void **state) {
  const cplane_object *o = obj("{'m':{'a.b':1,'c':[1,2],'d':'x'}}");
  static const char *const skip[] = {"d", NULL};
  char *t = sts_members_except(api, o, "m", skip), *e;

  (void)state;
  assert_non_null(t);
  assert_string_equal(t, "\"a.b\":1,\"c\":[1,2]");
  e = sts_members_except(api, o, "absent", NULL);
  assert_string_equal(e, "");
  api->free(t);
  api->free(e);
  api->object_release(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ordinal),
      cmocka_unit_test(test_pod_json),
      cmocka_unit_test(test_members_except),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
