/*
 * test_persistentvolume - the persistentvolume plugin's pure modules:
 * which volume a claim binds to (pre-bound first, else the smallest that
 * fits by size, access modes, class, volume mode and selector; never a
 * Released one or one bound elsewhere), the default class marks, and the
 * simulated provisioner's volume. The whole controller (and the choice
 * among a list of volumes) runs on the kit in test_kit_persistentvolume.
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

#include "match.h"
#include "provision.h"

static const struct cplane_host_api *api;

static const cplane_object *obj(const char *json) {
  return plugin_obj(api, json);
}

#define CLAIM(extra)                                                        \
  "{'metadata':{'name':'data','namespace':'default','uid':'u1'},'spec':{"   \
  "'accessModes':['ReadWriteOnce'],'resources':{'requests':{'storage':"     \
  "'500Mi'}}" extra "}}"

/* A volume of size, modes, class and labels, optionally bound/pre-bound
 * (claimref JSON) and in phase. */
static const cplane_object *volume(const char *name, const char *size,
                                   const char *modes, const char *class,
                                   const char *labels, const char *claimref,
                                   const char *phase) {
  char json[1024];

  snprintf(json, sizeof json,
           "{'metadata':{'name':'%s','labels':{%s}},'spec':{'capacity':{"
           "'storage':'%s'},'accessModes':[%s],'storageClassName':'%s'%s%s},"
           "'status':{'phase':'%s'}}",
           name, labels, size, modes, class, claimref[0] ? ",'claimRef':" : "",
           claimref, phase);
  return obj(json);
}

static void test_fits(void **state) {
  const cplane_object *claim = obj(CLAIM(",'storageClassName':''"));
  const cplane_object *small = volume("small", "1Gi", "'ReadWriteOnce'", "", "",
                                      "", "Available");
  const cplane_object *tiny = volume("tiny", "100Mi", "'ReadWriteOnce'", "",
                                     "", "", "Available");
  const cplane_object *rox = volume("rox", "5Gi", "'ReadOnlyMany'", "", "", "",
                                    "Available");
  const cplane_object *fast = volume("fast", "5Gi", "'ReadWriteOnce'", "fast",
                                     "", "", "Available");
  const cplane_object *released = volume("rel", "5Gi", "'ReadWriteOnce'", "",
                                         "", "", "Released");
  const cplane_object *other = volume(
      "other", "5Gi", "'ReadWriteOnce'", "", "",
      "{'namespace':'default','name':'else','uid':'u9'}", "Bound");
  const cplane_object *pre = volume(
      "pre", "5Gi", "'ReadWriteOnce'", "", "",
      "{'namespace':'default','name':'data'}", "Available");

  (void)state;
  assert_true(pv_fits(api, small, claim));
  assert_false(pv_fits(api, tiny, claim));     /* too small */
  assert_false(pv_fits(api, rox, claim));      /* modes */
  assert_false(pv_fits(api, fast, claim));     /* class */
  assert_false(pv_fits(api, released, claim)); /* not free */
  assert_false(pv_fits(api, other, claim));    /* bound elsewhere */
  assert_true(pv_fits(api, pre, claim));       /* pre-bound to it */
  assert_true(pv_refers_to(api, pre, claim));
  assert_false(pv_refers_to(api, other, claim));
  assert_string_equal(pv_claim_class(api, claim), "");
  api->object_release(claim);
  api->object_release(small);
  api->object_release(tiny);
  api->object_release(rox);
  api->object_release(fast);
  api->object_release(released);
  api->object_release(other);
  api->object_release(pre);
}

/* A selector narrows the volumes; a malformed one matches none. */
static void test_selector(void **state) {
  const cplane_object *claim = obj(CLAIM(
      ",'storageClassName':'','selector':{'matchLabels':{'tier':'fast'}}"));
  const cplane_object *fast = volume("f", "1Gi", "'ReadWriteOnce'", "",
                                     "'tier':'fast'", "", "Available");
  const cplane_object *slow = volume("s", "1Gi", "'ReadWriteOnce'", "",
                                     "'tier':'slow'", "", "Available");

  (void)state;
  assert_true(pv_fits(api, fast, claim));
  assert_false(pv_fits(api, slow, claim));
  api->object_release(claim);
  api->object_release(fast);
  api->object_release(slow);
}

static void test_default_class(void **state) {
  const cplane_object *sc = NULL;
  const cplane_object *beta = obj(
      "{'metadata':{'name':'b','annotations':{'storageclass.beta.kubernetes."
      "io/is-default-class':'true'}},'provisioner':'x'}");
  const cplane_object *plain = obj("{'metadata':{'name':'p'},'provisioner':'x',"
                                   "'volumeBindingMode':'Immediate'}");
  char *body = pv_default_class_json(api);

  (void)state;
  assert_non_null(body);
  assert_int_equal(api->object_parse(body, strlen(body), &sc, NULL), CPLANE_OK);
  assert_true(pv_class_is_default(api, sc));
  assert_true(pv_class_waits(api, sc));
  assert_true(pv_class_simulated(api, sc));
  assert_string_equal(api->object_name(sc), "standard");
  assert_true(pv_class_is_default(api, beta));
  assert_false(pv_class_is_default(api, plain));
  assert_false(pv_class_waits(api, plain));
  assert_false(pv_class_simulated(api, plain));
  api->free(body);
  api->object_release(sc);
  api->object_release(beta);
  api->object_release(plain);
}

/* The provisioned volume: pvc-<uid>, the request, the claim's modes, the
 * class's reclaim policy (Delete by default), pre-bound to the claim,
 * pinned to the selected node. */
static void test_provisioned(void **state) {
  const cplane_object *claim = obj(CLAIM(",'storageClassName':'standard'"));
  const cplane_object *sc = obj("{'metadata':{'name':'standard'},"
                                "'provisioner':'cplane.io/simulated',"
                                "'reclaimPolicy':'Retain'}");
  const cplane_object *sc2 = obj("{'metadata':{'name':'standard'},"
                                 "'provisioner':'cplane.io/simulated'}");
  const cplane_object *pv = NULL;
  char *body = pv_provisioned_json(api, claim, sc, "sim-1"), *b2;

  (void)state;
  assert_non_null(body);
  assert_int_equal(api->object_parse(body, strlen(body), &pv, NULL), CPLANE_OK);
  assert_string_equal(api->object_name(pv), "pvc-u1");
  assert_string_equal(api->object_string(pv, "spec.capacity.storage"), "500Mi");
  assert_string_equal(api->object_string(pv, "spec.accessModes[0]"),
                      "ReadWriteOnce");
  assert_string_equal(api->object_string(pv, "spec.persistentVolumeReclaimPolicy"),
                      "Retain");
  assert_string_equal(api->object_string(pv, "spec.claimRef.uid"), "u1");
  assert_string_equal(
      api->object_string(pv, "spec.nodeAffinity.required.nodeSelectorTerms[0]."
                             "matchExpressions[0].values[0]"),
      "sim-1");
  assert_string_equal(
      api->object_annotation(pv, "pv.kubernetes.io/provisioned-by"),
      "cplane.io/simulated");
  assert_true(pv_fits(api, pv, claim)); /* and it serves its claim */
  api->object_release(pv);
  api->free(body);
  b2 = pv_provisioned_json(api, claim, sc2, NULL);
  assert_non_null(b2);
  assert_int_equal(api->object_parse(b2, strlen(b2), &pv, NULL), CPLANE_OK);
  assert_string_equal(api->object_string(pv, "spec.persistentVolumeReclaimPolicy"),
                      "Delete");
  assert_int_equal(api->object_type(pv, "spec.nodeAffinity"), CPLANE_ENOENT);
  api->object_release(pv);
  api->free(b2);
  api->object_release(claim);
  api->object_release(sc);
  api->object_release(sc2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fits),
      cmocka_unit_test(test_selector),
      cmocka_unit_test(test_default_class),
      cmocka_unit_test(test_provisioned),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
