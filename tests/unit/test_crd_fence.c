/*
 * test_crd_fence - a CRD update racing its delete: the handler that
 * stored the update registers its copy after the delete (through the
 * watch or the handler) unregistered the types. The registry remembers
 * the revision of the delete, so the older copy serves nothing again;
 * a definition re-created later (a newer revision) is served, and a
 * registration or removal without a revision is not fenced.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "apiserver/crd.h"
#include "apiserver/resources.h"

/* The widgets definition at resourceVersion rv ("" for none). */
static json_object *widgets_at(const char *rv) {
  char text[512];
  json_object *o;

  snprintf(text, sizeof text,
           "{\"metadata\":{\"name\":\"widgets.example.com\"%s%s%s},"
           "\"spec\":{\"group\":\"example.com\",\"scope\":\"Namespaced\","
           "\"names\":{\"plural\":\"widgets\",\"kind\":\"Widget\"},"
           "\"versions\":[{\"name\":\"v1\",\"served\":true,"
           "\"storage\":true}]}}",
           rv[0] ? ",\"resourceVersion\":\"" : "", rv, rv[0] ? "\"" : "");
  o = json_tokener_parse(text);
  assert_non_null(o);
  return o;
}

static int served(struct cp_resources *r) {
  return cp_resources_find(r, "example.com", "v1", "widgets") != NULL;
}

static void test_update_older_than_delete(void **state) {
  struct cp_resources *r = cp_resources_new();
  json_object *created = widgets_at("5"), *update = widgets_at("7");
  json_object *deleted = widgets_at("9"), *again = widgets_at("12");

  (void)state;
  assert_non_null(r);
  assert_int_equal(cp_crd_register(r, created), 1);
  assert_non_null(cp_crd_unregister(r, deleted));
  assert_false(served(r));
  /* The handler of the update at 7 registers after the delete at 9. */
  assert_int_equal(cp_crd_register_written(r, update), 0);
  assert_false(served(r));
  /* So does a late watch event of it, or of the creation. */
  assert_int_equal(cp_crd_register(r, update), 0);
  assert_int_equal(cp_crd_register(r, created), 0);
  assert_false(served(r));
  /* Created again after the delete: served. */
  assert_int_equal(cp_crd_register(r, again), 1);
  assert_true(served(r));
  json_object_put(created);
  json_object_put(update);
  json_object_put(deleted);
  json_object_put(again);
  cp_resources_free(r);
}

static void test_without_revisions_not_fenced(void **state) {
  struct cp_resources *r = cp_resources_new();
  json_object *bare = widgets_at(""), *at9 = widgets_at("9");

  (void)state;
  assert_non_null(r);
  assert_int_equal(cp_crd_register(r, bare), 1);
  assert_non_null(cp_crd_unregister(r, bare));
  assert_int_equal(cp_crd_register(r, bare), 1);
  assert_true(served(r));
  /* A removal at 9, then a copy with no revision: not fenced either. */
  assert_non_null(cp_crd_unregister(r, at9));
  assert_int_equal(cp_crd_register(r, bare), 1);
  assert_true(served(r));
  json_object_put(bare);
  json_object_put(at9);
  cp_resources_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_update_older_than_delete),
      cmocka_unit_test(test_without_revisions_not_fenced),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
