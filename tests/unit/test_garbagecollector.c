/*
 * test_garbagecollector - the garbagecollector plugin's pure modules: the
 * watched kinds, the reconcile keys (including the longest object key),
 * which events make a key, where a dependent names its owner and whether
 * the reference blocks, and the exact text of the three writes (the
 * release patch, DeleteOptions, the finalizer patch). Objects come from
 * the host's own object code through cp_host_api(), as the plugin sees
 * them. The whole controller is tested on the kit in
 * test_kit_garbagecollector.
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

#include "gc.h"
#include "discovery.h"
#include "graph.h"
#include "keys.h"
#include "writes.h"

static const struct cplane_host_api *api;

static const cplane_object *obj(const char *json) {
  return plugin_obj(api, json);
}

#define TWO_OWNERS                                                             \
  "{'metadata':{'name':'p','namespace':'default','ownerReferences':["          \
  "{'kind':'ReplicaSet','name':'a','uid':'uid-a'},"                            \
  "{'kind':'ConfigMap','name':'b','uid':'uid-b',"                              \
  "'blockOwnerDeletion':true}]}}"

static void test_kind_index(void **state) {
  (void)state;
  assert_int_equal(gc_kind_index("Deployment"), 0);
  assert_int_equal(gc_kind_index("Node"), 6);
  assert_int_equal(gc_kind_index("CustomResourceDefinition"), GC_N_RES - 1);
  assert_string_equal(gc_resources[gc_kind_index("Lease")].resource, "leases");
  assert_int_equal(gc_kind_index("Widget"), -1);
  assert_int_equal(gc_kind_index("pod"), -1);
  assert_int_equal(gc_kind_index(NULL), -1);
}

static void test_key_parse(void **state) {
  struct gc_key k;

  (void)state;
  assert_int_equal(gc_key_parse("gone/uid-1", &k), 0);
  assert_int_equal(k.kind, GC_KEY_GONE);
  assert_string_equal(k.rest, "uid-1");
  assert_int_equal(gc_key_parse("owner/1/default/web", &k), 0);
  assert_int_equal(k.kind, GC_KEY_OWNER);
  assert_int_equal(k.res, 1);
  assert_string_equal(k.rest, "default/web");
  assert_int_equal(gc_key_parse("check/6/node-a", &k), 0);
  assert_int_equal(k.kind, GC_KEY_CHECK);
  assert_int_equal(k.res, 6);
  assert_string_equal(k.rest, "node-a");
  assert_int_equal(gc_key_parse("confirm/2/default/p", &k), 0);
  assert_int_equal(k.kind, GC_KEY_CONFIRM);
  assert_int_equal(gc_key_parse("other/2/default/p", &k), 0);
  assert_int_equal(k.kind, GC_KEY_CHECK);
  assert_int_equal(gc_key_parse("nonsense", &k), -1);
  assert_int_equal(gc_key_parse("check/263/default/p", &k), 0);
  assert_int_equal(k.res, GC_RES_MAX - 1);
  assert_int_equal(gc_key_parse("check/264/default/p", &k), -1);
  assert_int_equal(gc_key_parse("scan", &k), 0);
  assert_int_equal(k.kind, GC_KEY_SCAN);
  assert_int_equal(gc_key_parse("discover", &k), 0);
  assert_int_equal(k.kind, GC_KEY_DISCOVER);
  assert_int_equal(gc_key_parse("check/x/default/p", &k), -1);
  assert_int_equal(gc_key_parse("check/-1/default/p", &k), -1);
  assert_int_equal(gc_key_parse("check/2", &k), -1);
}

/* The longest object key (a 63-character namespace, a 253-character
 * name) makes a whole key that parses back; the old 320-byte buffers cut
 * it, and the dependent was never checked. */
static void test_key_longest(void **state) {
  char ns[64], name[254], object_key[320], key[GC_KEY_MAX], small[40];
  struct gc_key k;

  (void)state;
  memset(ns, 'n', 63);
  ns[63] = '\0';
  memset(name, 'a', 253);
  name[253] = '\0';
  snprintf(object_key, sizeof object_key, "%s/%s", ns, name);
  assert_int_equal(gc_key_format(key, sizeof key, "confirm", 6, object_key), 0);
  assert_true(strlen(key) > 320);
  assert_int_equal(gc_key_parse(key, &k), 0);
  assert_int_equal(k.kind, GC_KEY_CONFIRM);
  assert_int_equal(k.res, 6);
  assert_string_equal(k.rest, object_key);
  assert_int_equal(gc_key_format(small, sizeof small, "check", 2, object_key),
                   -1);
}

static void test_owner_pending(void **state) {
  const cplane_object *orphan =
      obj("{'metadata':{'name':'a','deletionTimestamp':'2026-01-01T00:00:00Z',"
          "'finalizers':['x','orphan']}}");
  const cplane_object *fg =
      obj("{'metadata':{'name':'a','deletionTimestamp':'2026-01-01T00:00:00Z',"
          "'finalizers':['foregroundDeletion']}}");
  const cplane_object *other =
      obj("{'metadata':{'name':'a','deletionTimestamp':'2026-01-01T00:00:00Z',"
          "'finalizers':['example.com/x']}}");
  const cplane_object *live =
      obj("{'metadata':{'name':'a','finalizers':['orphan']}}");

  (void)state;
  assert_int_equal(gc_owner_pending(api, orphan), 1);
  assert_int_equal(gc_owner_pending(api, fg), 1);
  assert_int_equal(gc_owner_pending(api, other), 0);
  assert_int_equal(gc_owner_pending(api, live), 0);
  api->object_release(orphan);
  api->object_release(fg);
  api->object_release(other);
  api->object_release(live);
}

/* Only a change of owners needs a look, not a status update. */
static void test_owners_changed(void **state) {
  const cplane_object *a = obj(TWO_OWNERS);
  const cplane_object *a_status =
      obj("{'metadata':{'name':'p','namespace':'default','ownerReferences':["
          "{'kind':'ReplicaSet','name':'a','uid':'uid-a'},"
          "{'kind':'ConfigMap','name':'b','uid':'uid-b',"
          "'blockOwnerDeletion':true}]},'status':{'phase':'Running'}}");
  const cplane_object *one =
      obj("{'metadata':{'name':'p','ownerReferences':["
          "{'kind':'ReplicaSet','name':'a','uid':'uid-a'}]}}");
  const cplane_object *none = obj("{'metadata':{'name':'p'}}");

  (void)state;
  assert_int_equal(gc_owners_changed(api, a, a), 0);
  assert_int_equal(gc_owners_changed(api, a, a_status), 0);
  assert_int_equal(gc_owners_changed(api, a, one), 1);
  assert_int_equal(gc_owners_changed(api, none, one), 1);
  assert_int_equal(gc_owners_changed(api, one, none), 0);
  api->object_release(a);
  api->object_release(a_status);
  api->object_release(one);
  api->object_release(none);
}

static void test_refs(void **state) {
  const cplane_object *d = obj(TWO_OWNERS);
  const cplane_object *none = obj("{'metadata':{'name':'p'}}");
  int n = -1;

  (void)state;
  assert_int_equal(gc_ref_index(api, d, "uid-b", &n), 1);
  assert_int_equal(n, 2);
  assert_int_equal(gc_ref_index(api, d, "uid-z", &n), CPLANE_ENOENT);
  assert_int_equal(gc_ref_index(api, none, "uid-a", &n), CPLANE_ENOENT);
  assert_int_equal(n, 0);
  assert_int_equal(gc_ref_blocks(api, d, "uid-b"), 1);
  assert_int_equal(gc_ref_blocks(api, d, "uid-a"), 0);
  assert_int_equal(gc_ref_blocks(api, d, "uid-z"), 0);
  api->object_release(d);
  api->object_release(none);
}

/* The patch tests the uid in its place; the last reference takes the
 * list with it. */
static void test_release_patch(void **state) {
  const cplane_object *two = obj(TWO_OWNERS);
  const cplane_object *one =
      obj("{'metadata':{'name':'p','ownerReferences':["
          "{'kind':'ReplicaSet','name':'a','uid':'uid-a'}]}}");
  char buf[320], tiny[16];

  (void)state;
  assert_int_equal(gc_release_patch(api, two, "uid-b", buf, sizeof buf), 1);
  assert_string_equal(
      buf, "[{\"op\":\"test\",\"path\":\"/metadata/ownerReferences/1/uid\","
           "\"value\":\"uid-b\"},{\"op\":\"remove\",\"path\":"
           "\"/metadata/ownerReferences/1\"}]");
  assert_int_equal(gc_release_patch(api, one, "uid-a", buf, sizeof buf), 1);
  assert_string_equal(
      buf, "[{\"op\":\"test\",\"path\":\"/metadata/ownerReferences/0/uid\","
           "\"value\":\"uid-a\"},{\"op\":\"remove\",\"path\":"
           "\"/metadata/ownerReferences\"}]");
  assert_int_equal(gc_release_patch(api, one, "uid-z", buf, sizeof buf), 0);
  assert_int_equal(gc_release_patch(api, one, "uid-a", tiny, sizeof tiny), -1);
  api->object_release(two);
  api->object_release(one);
}

static void test_delete_options(void **state) {
  char buf[96];

  (void)state;
  assert_int_equal(gc_delete_options("Foreground", buf, sizeof buf), 0);
  assert_string_equal(buf, "{\"kind\":\"DeleteOptions\",\"apiVersion\":"
                           "\"v1\",\"propagationPolicy\":\"Foreground\"}");
  assert_int_equal(gc_delete_options("Background", buf, 10), -1);
}

static void test_finalizer_patch(void **state) {
  const cplane_object *o =
      obj("{'metadata':{'name':'a','finalizers':['example.com/x',"
          "'foregroundDeletion']}}");
  char buf[256];

  (void)state;
  assert_int_equal(
      gc_finalizer_patch(api, o, "foregroundDeletion", buf, sizeof buf), 1);
  assert_string_equal(
      buf, "[{\"op\":\"test\",\"path\":\"/metadata/finalizers/1\","
           "\"value\":\"foregroundDeletion\"},{\"op\":\"remove\",\"path\":"
           "\"/metadata/finalizers/1\"}]");
  assert_int_equal(gc_finalizer_patch(api, o, "orphan", buf, sizeof buf), 0);
  assert_int_equal(gc_finalizer_patch(api, o, "foregroundDeletion", buf, 8),
                   -1);
  api->object_release(o);
}

/* Discovery: each group's preferred version; of a resource list, what
 * can be listed, watched and deleted, minus subresources, events and the
 * kinds watched through caches. */
static void test_discovery(void **state) {
  const cplane_object *groups = obj(
      "{'groups':[{'name':'apps','preferredVersion':{'groupVersion':"
      "'apps/v1'}},{'name':'example.com','preferredVersion':{"
      "'groupVersion':'example.com/v2'}},{'name':'bad','preferredVersion':"
      "{'groupVersion':7}},{'name':'nover'}]}");
  const cplane_object *core = obj(
      "{'resources':["
      "{'name':'pods','kind':'Pod','namespaced':true,'verbs':['list',"
      "'watch','delete']},"
      "{'name':'pods/status','kind':'Pod','namespaced':true,'verbs':['get',"
      "'list','watch','delete']},"
      "{'name':'events','kind':'Event','namespaced':true,'verbs':['list',"
      "'watch','delete']},"
      "{'name':'bindings','kind':'Binding','namespaced':true,'verbs':"
      "['create']},"
      "{'name':'services','kind':'Service','namespaced':true,'verbs':["
      "'list','watch','delete']},"
      "{'name':'persistentvolumes','kind':'PersistentVolume','namespaced':"
      "false,'verbs':['list','watch','delete']},"
      "{'name':'nokind','namespaced':true,'verbs':['list','watch','delete']}"
      "]}");
  char paths[4][256];
  struct gc_found f[8];

  (void)state;
  assert_int_equal(gc_discovery_groups(api, groups, paths, 4), 2);
  assert_string_equal(paths[0], "/apis/apps/v1");
  assert_string_equal(paths[1], "/apis/example.com/v2");
  assert_int_equal(gc_discovery_groups(api, groups, paths, 1), 1);
  assert_int_equal(gc_discovery_resources(api, core, "", "v1", f, 8), 2);
  assert_string_equal(f[0].resource, "services");
  assert_string_equal(f[0].kind, "Service");
  assert_string_equal(f[0].group, "");
  assert_string_equal(f[0].version, "v1");
  assert_int_equal(f[0].namespaced, 1);
  assert_string_equal(f[1].resource, "persistentvolumes");
  assert_int_equal(f[1].namespaced, 0);
  assert_int_equal(gc_discovery_resources(api, core, "", "v1", f, 1), 1);
  api->object_release(groups);
  api->object_release(core);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_discovery),
      cmocka_unit_test(test_kind_index),
      cmocka_unit_test(test_key_parse),
      cmocka_unit_test(test_key_longest),
      cmocka_unit_test(test_owner_pending),
      cmocka_unit_test(test_owners_changed),
      cmocka_unit_test(test_refs),
      cmocka_unit_test(test_release_patch),
      cmocka_unit_test(test_delete_options),
      cmocka_unit_test(test_finalizer_patch),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
