/*
 * Unit tests for host/apiserver/patch: RFC 7386 merge patch (appendix A),
 * RFC 6902 JSON patch (appendix A, errors, atomicity), the strategic merge
 * patch subset kubectl sends (merge keys, directives, the exact body of
 * kubectl apply), malformed and too deeply nested patches, and the
 * Content-Type mapping. Results are compared structurally.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <json-c/json.h>

#include <cplane/version.h>

#include "apiserver/patch.h"

/* Parses test fixture text; "null" is the only text that may yield NULL. */
static struct json_object *parse(const char *text) {
  struct json_object *o = json_tokener_parse(text);

  if (o == NULL && strcmp(text, "null") != 0)
    fail_msg("bad fixture: %s", text);
  return o;
}

static const char *show(struct json_object *o) {
  return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

static void assert_json_equal(struct json_object *got,
                              struct json_object *want) {
  if (!json_object_equal(got, want))
    fail_msg("got  %s\nwant %s", show(got), show(want));
}

/* Fails if o holds a strategic merge patch directive key anywhere. */
static void assert_no_directives(struct json_object *o) {
  struct json_object_iter it;
  size_t i;

  if (json_object_is_type(o, json_type_array)) {
    for (i = 0; i < json_object_array_length(o); i++)
      assert_no_directives(json_object_array_get_idx(o, i));
    return;
  }
  if (!json_object_is_type(o, json_type_object))
    return;
  json_object_object_foreachC(o, it) {
    if (strcmp(it.key, "$patch") == 0 || strcmp(it.key, "$retainKeys") == 0 ||
        strncmp(it.key, "$setElementOrder/", 17) == 0 ||
        strncmp(it.key, "$deleteFromPrimitiveList/", 25) == 0)
      fail_msg("directive %s left in %s", it.key, show(o));
    assert_no_directives(it.val);
  }
}

/* Applies patch to doc and returns the result (caller puts it); checks the
 * status, the message rules and that doc was not modified. want_rc
 * CPLANE_EINVAL returns NULL. */
static struct json_object *apply(enum cp_patch_type type, const char *doc,
                                 const char *patch, int want_rc) {
  struct json_object *d = parse(doc), *before = parse(doc);
  struct json_object *out = (struct json_object *)&out;
  char *msg = (char *)&msg;
  int rc;

  rc = cp_patch_apply(type, d, patch, strlen(patch), &out, &msg);
  if (rc != want_rc)
    fail_msg("rc %d, want %d (%s) for patch %s", rc, want_rc,
             msg != NULL ? msg : "no message", patch);
  if (rc == CPLANE_OK) {
    assert_null(msg);
    if (type != CP_PATCH_JSON)
      assert_no_directives(out);
  } else {
    assert_null(out);
    assert_non_null(msg);
    assert_true(strlen(msg) > 0);
    free(msg);
  }
  assert_json_equal(d, before); /* doc is only read */
  json_object_put(d);
  json_object_put(before);
  return out;
}

/* apply() expecting success and the result want. */
static void expect(enum cp_patch_type type, const char *doc, const char *patch,
                   const char *want) {
  struct json_object *out = apply(type, doc, patch, CPLANE_OK);
  struct json_object *w = parse(want);

  assert_json_equal(out, w);
  json_object_put(out);
  json_object_put(w);
}

static void expect_einval(enum cp_patch_type type, const char *doc,
                          const char *patch) {
  assert_null(apply(type, doc, patch, CPLANE_EINVAL));
}

/* The error message of a patch that must fail (caller frees). */
static char *error_of(enum cp_patch_type type, const char *doc,
                      const char *patch) {
  struct json_object *d = parse(doc), *out = NULL;
  char *msg = NULL;

  assert_int_equal(cp_patch_apply(type, d, patch, strlen(patch), &out, &msg),
                   CPLANE_EINVAL);
  assert_null(out);
  assert_non_null(msg);
  json_object_put(d);
  return msg;
}

#define MERGE(doc, patch, want) expect(CP_PATCH_MERGE, doc, patch, want)
#define JSONP(doc, patch, want) expect(CP_PATCH_JSON, doc, patch, want)
#define SMP(doc, patch, want) expect(CP_PATCH_STRATEGIC, doc, patch, want)

/* ---- RFC 7386 ---- */

static void test_merge_rfc7386_appendix_a(void **state) {
  (void)state;
  MERGE("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
  MERGE("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
  MERGE("{\"a\":\"b\"}", "{\"a\":null}", "{}");
  MERGE("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
  MERGE("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
  MERGE("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
  MERGE("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
        "{\"a\":{\"b\":\"d\"}}");
  MERGE("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
  MERGE("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
  MERGE("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
  MERGE("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
  /* The appendix's non-object patches replace the whole target; the API
   * server patches objects, so this module rejects them. */
  expect_einval(CP_PATCH_MERGE, "[\"a\",\"b\"]", "[\"c\",\"d\"]");
  expect_einval(CP_PATCH_MERGE, "{\"a\":\"b\"}", "[\"c\"]");
  expect_einval(CP_PATCH_MERGE, "{\"a\":\"foo\"}", "null");
  expect_einval(CP_PATCH_MERGE, "{\"a\":\"foo\"}", "\"bar\"");
}

static void test_merge_replaces_lists_and_keeps_order(void **state) {
  struct json_object *out;

  (void)state;
  /* Unlike a strategic patch, a merge patch replaces containers whole. */
  MERGE("{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
        "{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"x\"}]}}",
        "{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"x\"}]}}");
  /* A replaced member keeps its place. */
  out = apply(CP_PATCH_MERGE, "{\"a\":1,\"b\":2,\"c\":3}", "{\"b\":{\"x\":1}}",
              CPLANE_OK);
  assert_string_equal(show(out), "{\"a\":1,\"b\":{\"x\":1},\"c\":3}");
  json_object_put(out);
  /* Nulls inside arrays are data, not deletions. */
  MERGE("{}", "{\"a\":[null,{\"b\":null}]}", "{\"a\":[null,{\"b\":null}]}");
  /* An empty patch is the identity. */
  MERGE("{\"a\":{\"b\":[1,2]}}", "{}", "{\"a\":{\"b\":[1,2]}}");
}

/* ---- RFC 6902 ---- */

static void test_json_patch_rfc6902_appendix_a(void **state) {
  (void)state;
  /* A.1 - A.5 */
  JSONP("{\"foo\":\"bar\"}",
        "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
        "{\"baz\":\"qux\",\"foo\":\"bar\"}");
  JSONP("{\"foo\":[\"bar\",\"baz\"]}",
        "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
        "{\"foo\":[\"bar\",\"qux\",\"baz\"]}");
  JSONP("{\"baz\":\"qux\",\"foo\":\"bar\"}",
        "[{\"op\":\"remove\",\"path\":\"/baz\"}]", "{\"foo\":\"bar\"}");
  JSONP("{\"foo\":[\"bar\",\"qux\",\"baz\"]}",
        "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
        "{\"foo\":[\"bar\",\"baz\"]}");
  JSONP("{\"baz\":\"qux\",\"foo\":\"bar\"}",
        "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
        "{\"baz\":\"boo\",\"foo\":\"bar\"}");
  /* A.6, A.7 */
  JSONP("{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},"
        "\"qux\":{\"corge\":\"grault\"}}",
        "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
        "{\"foo\":{\"bar\":\"baz\"},"
        "\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}");
  JSONP("{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
        "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
        "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}");
  /* A.8, A.9 */
  JSONP("{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
        "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},"
        "{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
        "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}");
  expect_einval(CP_PATCH_JSON, "{\"baz\":\"qux\"}",
                "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]");
  /* A.10, A.11 */
  JSONP("{\"foo\":\"bar\"}",
        "[{\"op\":\"add\",\"path\":\"/child\","
        "\"value\":{\"grandchild\":{}}}]",
        "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}");
  JSONP("{\"foo\":\"bar\"}",
        "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]",
        "{\"foo\":\"bar\",\"baz\":\"qux\"}");
  /* A.12: adding to a nonexistent target. */
  expect_einval(CP_PATCH_JSON, "{\"foo\":\"bar\"}",
                "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]");
  /* A.13: json-c keeps the last duplicate, "remove" of a missing member. */
  expect_einval(CP_PATCH_JSON, "{\"foo\":\"bar\"}",
                "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\","
                "\"op\":\"remove\"}]");
  /* A.14, A.15: ~01 is "~1", and "10" is not 10. */
  JSONP("{\"/\":9,\"~1\":10}",
        "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]",
        "{\"/\":9,\"~1\":10}");
  expect_einval(CP_PATCH_JSON, "{\"/\":9,\"~1\":10}",
                "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]");
  /* A.16 */
  JSONP("{\"foo\":[\"bar\"]}",
        "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
        "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}");
}

static void test_json_patch_copy_and_root(void **state) {
  (void)state;
  JSONP("{\"a\":{\"b\":[1,2]}}",
        "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"},"
        "{\"op\":\"add\",\"path\":\"/c/b/-\",\"value\":3}]",
        "{\"a\":{\"b\":[1,2]},\"c\":{\"b\":[1,2,3]}}");
  JSONP("{\"a\":[1,2]}",
        "[{\"op\":\"copy\",\"from\":\"/a/0\",\"path\":\"/a/0\"}]",
        "{\"a\":[1,1,2]}");
  JSONP("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]",
        "[1]");
  JSONP("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":{\"b\":2}}]",
        "{\"b\":2}");
  JSONP("{\"a\":{\"b\":1}}",
        "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"\"}]", "{\"b\":1}");
  JSONP("{\"a\":1}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]",
        "{\"a\":1}");
  JSONP("{\"a\":[1,2,3]}",
        "[{\"op\":\"replace\",\"path\":\"/a/1\",\"value\":null}]",
        "{\"a\":[1,null,3]}");
  JSONP("{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/1\",\"value\":2}]",
        "{\"a\":[1,2]}");
  JSONP("{\"a\":[]}", "[]", "{\"a\":[]}");
  JSONP("{\"a\":{\"b\":null}}",
        "[{\"op\":\"test\",\"path\":\"/a/b\",\"value\":null},"
        "{\"op\":\"remove\",\"path\":\"/a/b\"}]",
        "{\"a\":{}}");
}

static void test_json_patch_escapes_and_append(void **state) {
  (void)state;
  JSONP("{}",
        "[{\"op\":\"add\",\"path\":\"/a~1b\",\"value\":1},"
        "{\"op\":\"add\",\"path\":\"/m~0n\",\"value\":2},"
        "{\"op\":\"add\",\"path\":\"/~01\",\"value\":3}]",
        "{\"a/b\":1,\"m~n\":2,\"~1\":3}");
  JSONP("{\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"x\"}}}",
        "[{\"op\":\"remove\","
        "\"path\":\"/metadata/labels/app.kubernetes.io~1name\"}]",
        "{\"metadata\":{\"labels\":{}}}");
  JSONP("{\"a\":[]}",
        "[{\"op\":\"add\",\"path\":\"/a/-\",\"value\":1},"
        "{\"op\":\"add\",\"path\":\"/a/-\",\"value\":2},"
        "{\"op\":\"add\",\"path\":\"/a/0\",\"value\":0}]",
        "{\"a\":[0,1,2]}");
  /* "-" names an object member like any other token. */
  JSONP("{}", "[{\"op\":\"add\",\"path\":\"/-\",\"value\":1}]", "{\"-\":1}");
  JSONP("{\"\":{\"\":1}}", "[{\"op\":\"replace\",\"path\":\"//\",\"value\":2}]",
        "{\"\":{\"\":2}}");
}

static void test_json_patch_test_compares_deeply(void **state) {
  (void)state;
  /* Member order does not matter, numbers compare by value. */
  JSONP("{\"a\":{\"x\":1,\"y\":[1.0,2]}}",
        "[{\"op\":\"test\",\"path\":\"/a\","
        "\"value\":{\"y\":[1,2.0],\"x\":1.0}}]",
        "{\"a\":{\"x\":1,\"y\":[1.0,2]}}");
  JSONP("{\"n\":18446744073709551615}",
        "[{\"op\":\"test\",\"path\":\"/n\","
        "\"value\":18446744073709551615}]",
        "{\"n\":18446744073709551615}");
  expect_einval(CP_PATCH_JSON, "{\"n\":18446744073709551615}",
                "[{\"op\":\"test\",\"path\":\"/n\","
                "\"value\":9223372036854775807}]");
  expect_einval(CP_PATCH_JSON, "{\"n\":1}",
                "[{\"op\":\"test\",\"path\":\"/n\",\"value\":1.5}]");
  expect_einval(CP_PATCH_JSON, "{\"n\":1e300}",
                "[{\"op\":\"test\",\"path\":\"/n\",\"value\":1}]");
  expect_einval(CP_PATCH_JSON, "{\"a\":{\"x\":1}}",
                "[{\"op\":\"test\",\"path\":\"/a\","
                "\"value\":{\"x\":1,\"y\":2}}]");
  expect_einval(CP_PATCH_JSON, "{\"a\":[1,2]}",
                "[{\"op\":\"test\",\"path\":\"/a\",\"value\":[2,1]}]");
  expect_einval(CP_PATCH_JSON, "{\"a\":true}",
                "[{\"op\":\"test\",\"path\":\"/a\",\"value\":1}]");
  expect_einval(CP_PATCH_JSON, "{\"a\":null}",
                "[{\"op\":\"test\",\"path\":\"/b\",\"value\":null}]");
}

static void test_json_patch_errors(void **state) {
  const char *doc = "{\"spec\":{\"y\":1},\"a\":[1,2]}";
  char *msg;

  (void)state;
  msg = error_of(CP_PATCH_JSON, doc,
                 "[{\"op\":\"test\",\"path\":\"/spec/y\",\"value\":1},"
                 "{\"op\":\"replace\",\"path\":\"/spec/x\",\"value\":2}]");
  assert_string_equal(msg, "json patch operation 1 (replace /spec/x): path not "
                           "found");
  free(msg);
  msg = error_of(CP_PATCH_JSON, doc,
                 "[{\"op\":\"add\",\"path\":\"/a/3\",\"value\":3}]");
  assert_non_null(strstr(msg, "out of range"));
  free(msg);
  msg = error_of(CP_PATCH_JSON, doc, "[{\"op\":\"frob\",\"path\":\"/a\"}]");
  assert_non_null(strstr(msg, "unknown operation"));
  free(msg);
  msg = error_of(CP_PATCH_JSON, doc, "[{\"op\":\"add\",\"path\":\"/b\"}]");
  assert_non_null(strstr(msg, "missing \"value\""));
  free(msg);
  msg = error_of(CP_PATCH_JSON, doc,
                 "[{\"op\":\"test\",\"path\":\"/a\","
                 "\"value\":[1]}]");
  assert_non_null(strstr(msg, "test failed"));
  free(msg);
  /* Out-of-range and malformed indexes. */
  expect_einval(CP_PATCH_JSON, doc, "[{\"op\":\"remove\",\"path\":\"/a/2\"}]");
  expect_einval(CP_PATCH_JSON, doc,
                "[{\"op\":\"replace\",\"path\":\"/a/5\",\"value\":0}]");
  expect_einval(CP_PATCH_JSON, doc,
                "[{\"op\":\"add\",\"path\":\"/a/01\",\"value\":0}]");
  expect_einval(CP_PATCH_JSON, doc,
                "[{\"op\":\"add\",\"path\":\"/a/x\",\"value\":0}]");
  expect_einval(CP_PATCH_JSON, doc,
                "[{\"op\":\"add\",\"path\":\"/a/-1\",\"value\":0}]");
  expect_einval(CP_PATCH_JSON, doc,
                "[{\"op\":\"add\",\"path\":"
                "\"/a/99999999999999999999999\",\"value\":0}]");
  expect_einval(CP_PATCH_JSON, doc, "[{\"op\":\"remove\",\"path\":\"/a/-\"}]");
  /* Removing or replacing what is not there. */
  expect_einval(CP_PATCH_JSON, doc,
                "[{\"op\":\"remove\",\"path\":\"/spec/missing\"}]");
  expect_einval(CP_PATCH_JSON, doc,
                "[{\"op\":\"replace\",\"path\":\"/nope\",\"value\":1}]");
  expect_einval(CP_PATCH_JSON, doc, "[{\"op\":\"remove\",\"path\":\"\"}]");
  expect_einval(CP_PATCH_JSON, doc,
                "[{\"op\":\"add\",\"path\":\"/spec/y/z\",\"value\":1}]");
  /* Bad pointers and malformed operations. */
  expect_einval(CP_PATCH_JSON, doc,
                "[{\"op\":\"add\",\"path\":\"spec\",\"value\":1}]");
  expect_einval(CP_PATCH_JSON, doc,
                "[{\"op\":\"add\",\"path\":\"/a~2\",\"value\":1}]");
  expect_einval(CP_PATCH_JSON, doc,
                "[{\"op\":\"add\",\"path\":\"/a~\",\"value\":1}]");
  expect_einval(CP_PATCH_JSON, doc, "[{\"path\":\"/a\",\"value\":1}]");
  expect_einval(CP_PATCH_JSON, doc, "[{\"op\":\"add\",\"value\":1}]");
  expect_einval(CP_PATCH_JSON, doc, "[{\"op\":\"add\",\"path\":1}]");
  expect_einval(CP_PATCH_JSON, doc, "[1]");
  expect_einval(CP_PATCH_JSON, doc, "[{\"op\":\"move\",\"path\":\"/b\"}]");
  expect_einval(CP_PATCH_JSON, doc,
                "[{\"op\":\"copy\",\"from\":\"/zz\",\"path\":\"/b\"}]");
  expect_einval(CP_PATCH_JSON, doc,
                "[{\"op\":\"move\",\"from\":\"/spec\","
                "\"path\":\"/spec/inner\"}]");
  expect_einval(CP_PATCH_JSON, doc,
                "[{\"op\":\"move\",\"from\":\"/nope\",\"path\":\"/nope\"}]");
  /* A JSON patch is an array. */
  expect_einval(CP_PATCH_JSON, doc, "{\"op\":\"remove\",\"path\":\"/a\"}");
}

static void test_json_patch_is_atomic(void **state) {
  const char *doc = "{\"a\":1,\"list\":[1,2]}";
  struct json_object *d = parse(doc), *out = NULL;
  const char *patch = "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":2},"
                      "{\"op\":\"add\",\"path\":\"/list/0\",\"value\":0},"
                      "{\"op\":\"remove\",\"path\":\"/list\"},"
                      "{\"op\":\"remove\",\"path\":\"/b\"}]";
  char *msg = NULL;

  (void)state;
  assert_int_equal(
      cp_patch_apply(CP_PATCH_JSON, d, patch, strlen(patch), &out, &msg),
      CPLANE_EINVAL);
  assert_null(out);
  assert_string_equal(msg,
                      "json patch operation 3 (remove /b): path not found");
  free(msg);
  assert_string_equal(show(d), "{\"a\":1,\"list\":[1,2]}");
  /* Without an errmsg the status is the same. */
  out = NULL;
  assert_int_equal(
      cp_patch_apply(CP_PATCH_JSON, d, patch, strlen(patch), &out, NULL),
      CPLANE_EINVAL);
  assert_null(out);
  json_object_put(d);
}

/* ---- strategic merge patch ---- */

static const char *const pod =
    "{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"web\",\"tier\":"
    "\"front\"},\"finalizers\":[\"a\",\"b\"]},"
    "\"spec\":{\"containers\":["
    "{\"name\":\"app\",\"image\":\"app:1\",\"args\":[\"-v\",\"-x\"],"
    "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":"
    "\"2\"}]},"
    "{\"name\":\"side\",\"image\":\"side:1\"},"
    "{\"name\":\"log\",\"image\":\"log:1\"}],"
    "\"strategy\":{\"type\":\"RollingUpdate\","
    "\"rollingUpdate\":{\"maxSurge\":1}}}}";

static struct json_object *smp_pod(const char *patch) {
  return apply(CP_PATCH_STRATEGIC, pod, patch, CPLANE_OK);
}

/* Names of the containers of a patched pod, comma-separated. */
static void assert_container_names(struct json_object *o, const char *want) {
  struct json_object *spec, *list, *name;
  char got[256] = "";
  size_t i;

  assert_true(json_object_object_get_ex(o, "spec", &spec));
  assert_true(json_object_object_get_ex(spec, "containers", &list));
  for (i = 0; i < json_object_array_length(list); i++) {
    assert_true(json_object_object_get_ex(json_object_array_get_idx(list, i),
                                          "name", &name));
    if (i > 0)
      strcat(got, ",");
    strcat(got, json_object_get_string(name));
  }
  assert_string_equal(got, want);
}

/* The value at a JSON pointer-ish path of plain keys and indexes. */
static struct json_object *at(struct json_object *o, const char *path) {
  char buf[256], *tok, *save = NULL;

  snprintf(buf, sizeof buf, "%s", path);
  for (tok = strtok_r(buf, "/", &save); tok != NULL;
       tok = strtok_r(NULL, "/", &save)) {
    if (json_object_is_type(o, json_type_array))
      o = json_object_array_get_idx(o, (size_t)atoi(tok));
    else if (!json_object_object_get_ex(o, tok, &o))
      return NULL;
  }
  return o;
}

static void assert_at(struct json_object *o, const char *path,
                      const char *want) {
  struct json_object *w = parse(want);

  assert_json_equal(at(o, path), w);
  json_object_put(w);
}

static void test_smp_containers_merge_by_name(void **state) {
  struct json_object *out;

  (void)state;
  out = smp_pod("{\"spec\":{\"containers\":["
                "{\"name\":\"side\",\"image\":\"side:2\"},"
                "{\"name\":\"new\",\"image\":\"new:1\"}]}}");
  assert_container_names(out, "app,side,log,new");
  assert_at(out, "spec/containers/1",
            "{\"name\":\"side\",\"image\":\"side:2\"}");
  assert_at(out, "spec/containers/3", "{\"name\":\"new\",\"image\":\"new:1\"}");
  /* Untouched containers are kept whole. */
  assert_at(out, "spec/containers/0/args", "[\"-v\",\"-x\"]");
  assert_at(out, "spec/containers/2/image", "\"log:1\"");
  json_object_put(out);
}

static void test_smp_set_element_order(void **state) {
  struct json_object *out;

  (void)state;
  out = smp_pod("{\"spec\":{\"$setElementOrder/containers\":["
                "{\"name\":\"log\"},{\"name\":\"new\"},{\"name\":\"app\"}],"
                "\"containers\":[{\"name\":\"new\",\"image\":\"n\"},"
                "{\"name\":\"app\",\"image\":\"app:2\"}]}}");
  /* side is not mentioned, so it follows the ordered ones. */
  assert_container_names(out, "log,new,app,side");
  assert_at(out, "spec/containers/2/image", "\"app:2\"");
  json_object_put(out);
  /* Primitive lists are ordered by value. */
  SMP("{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}",
      "{\"metadata\":{\"$setElementOrder/finalizers\":[\"c\",\"a\"]}}",
      "{\"metadata\":{\"finalizers\":[\"c\",\"a\",\"b\"]}}");
  /* An order for a field that is absent is ignored. */
  SMP("{\"spec\":{}}",
      "{\"spec\":{\"$setElementOrder/volumes\":[{\"name\":\"v\"}]}}",
      "{\"spec\":{}}");
}

static void test_smp_delete_element(void **state) {
  struct json_object *out;

  (void)state;
  out = smp_pod("{\"spec\":{\"containers\":["
                "{\"name\":\"side\",\"$patch\":\"delete\"},"
                "{\"name\":\"nope\",\"$patch\":\"delete\"}]}}");
  assert_container_names(out, "app,log");
  json_object_put(out);
  /* Deleting needs the merge key. */
  expect_einval(CP_PATCH_STRATEGIC, pod,
                "{\"spec\":{\"containers\":[{\"$patch\":\"delete\"}]}}");
  expect_einval(CP_PATCH_STRATEGIC, pod,
                "{\"spec\":{\"containers\":[{\"name\":\"app\","
                "\"args\":[{\"$patch\":\"delete\"}]}]}}");
}

static void test_smp_replace_directives(void **state) {
  struct json_object *out;

  (void)state;
  /* On an object: the rest of the patch object is the new value. */
  out = smp_pod("{\"metadata\":{\"labels\":{\"$patch\":\"replace\","
                "\"new\":\"1\"}}}");
  assert_at(out, "metadata/labels", "{\"new\":\"1\"}");
  assert_at(out, "metadata/name", "\"p\"");
  json_object_put(out);
  /* On a list: the other patch elements are the new list. */
  out = smp_pod("{\"spec\":{\"containers\":[{\"$patch\":\"replace\"},"
                "{\"name\":\"only\",\"image\":\"o:1\"}]}}");
  assert_at(out, "spec/containers", "[{\"name\":\"only\",\"image\":\"o:1\"}]");
  json_object_put(out);
  /* Replace at the top replaces the document. */
  SMP("{\"a\":1,\"b\":{\"c\":2}}", "{\"$patch\":\"replace\",\"b\":{\"d\":3}}",
      "{\"b\":{\"d\":3}}");
  /* "merge" is the default. */
  SMP("{\"a\":{\"x\":1}}", "{\"a\":{\"$patch\":\"merge\",\"y\":2}}",
      "{\"a\":{\"x\":1,\"y\":2}}");
  SMP("{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"1\"}]}}",
      "{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":\"merge\","
      "\"tty\":true}]}}",
      "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"1\","
      "\"tty\":true}]}}");
}

static void test_smp_delete_object_member(void **state) {
  (void)state;
  SMP("{\"spec\":{\"strategy\":{\"type\":\"Recreate\"},\"replicas\":1}}",
      "{\"spec\":{\"strategy\":{\"$patch\":\"delete\"}}}",
      "{\"spec\":{\"replicas\":1}}");
  SMP("{\"a\":1}", "{\"$patch\":\"delete\"}", "{}");
}

static void test_smp_retain_keys(void **state) {
  struct json_object *out;

  (void)state;
  out = smp_pod("{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],"
                "\"type\":\"Recreate\"}}}");
  assert_at(out, "spec/strategy", "{\"type\":\"Recreate\"}");
  json_object_put(out);
  SMP("{\"v\":{\"a\":1,\"b\":2,\"c\":3}}",
      "{\"v\":{\"$retainKeys\":[\"a\",\"d\"],\"d\":4}}",
      "{\"v\":{\"a\":1,\"d\":4}}");
  expect_einval(CP_PATCH_STRATEGIC, "{}", "{\"$retainKeys\":\"a\"}");
  expect_einval(CP_PATCH_STRATEGIC, "{}", "{\"$retainKeys\":[1]}");
}

static void test_smp_finalizers(void **state) {
  struct json_object *out;

  (void)state;
  /* A set union that keeps the original order. */
  out = smp_pod("{\"metadata\":{\"finalizers\":[\"c\",\"b\",\"c\"]}}");
  assert_at(out, "metadata/finalizers", "[\"a\",\"b\",\"c\"]");
  json_object_put(out);
  out = smp_pod("{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":"
                "[\"a\",\"zz\"]}}");
  assert_at(out, "metadata/finalizers", "[\"b\"]");
  json_object_put(out);
  /* kubectl removes one and adds another in the same patch. */
  out = smp_pod("{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":"
                "[\"a\"],\"finalizers\":[\"d\"]}}");
  assert_at(out, "metadata/finalizers", "[\"b\",\"d\"]");
  json_object_put(out);
  /* New finalizers on an object that has none. */
  SMP("{\"metadata\":{}}", "{\"metadata\":{\"finalizers\":[\"x\",\"x\"]}}",
      "{\"metadata\":{\"finalizers\":[\"x\"]}}");
  /* finalizers elsewhere (a Namespace's spec) have no merge strategy. */
  SMP("{\"spec\":{\"finalizers\":[\"kubernetes\"]}}",
      "{\"spec\":{\"finalizers\":[\"other\"]}}",
      "{\"spec\":{\"finalizers\":[\"other\"]}}");
  expect_einval(CP_PATCH_STRATEGIC, pod,
                "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":"
                "\"a\"}}");
}

static void test_smp_env_merged_by_name(void **state) {
  struct json_object *out;

  (void)state;
  out = smp_pod("{\"spec\":{\"containers\":[{\"name\":\"app\",\"env\":["
                "{\"name\":\"B\",\"value\":\"3\"},"
                "{\"name\":\"C\",\"value\":\"4\"}]}]}}");
  assert_at(out, "spec/containers/0/env",
            "[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":"
            "\"3\"},{\"name\":\"C\",\"value\":\"4\"}]");
  json_object_put(out);
  /* A null inside a merged element deletes that member. */
  out = smp_pod("{\"spec\":{\"containers\":[{\"name\":\"app\",\"env\":["
                "{\"name\":\"A\",\"value\":null}]}]}}");
  assert_at(out, "spec/containers/0/env/0", "{\"name\":\"A\"}");
  json_object_put(out);
}

static void test_smp_list_without_merge_key_is_replaced(void **state) {
  struct json_object *out;

  (void)state;
  out = smp_pod("{\"spec\":{\"containers\":[{\"name\":\"app\","
                "\"args\":[\"-q\"]}]}}");
  assert_at(out, "spec/containers/0/args", "[\"-q\"]");
  assert_at(out, "spec/containers/0/image", "\"app:1\"");
  json_object_put(out);
  SMP("{\"rules\":[{\"a\":1},{\"b\":2}]}", "{\"rules\":[{\"c\":3}]}",
      "{\"rules\":[{\"c\":3}]}");
}

static void test_smp_other_merge_keys(void **state) {
  (void)state;
  SMP("{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"},"
      "{\"type\":\"Init\",\"status\":\"True\"}]}}",
      "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":"
      "\"True\"}]}}",
      "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"},"
      "{\"type\":\"Init\",\"status\":\"True\"}]}}");
  SMP("{\"c\":{\"ports\":[{\"containerPort\":80,\"name\":\"http\"}],"
      "\"volumeMounts\":[{\"mountPath\":\"/a\",\"name\":\"x\"}]}}",
      "{\"c\":{\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"},"
      "{\"containerPort\":443}],"
      "\"volumeMounts\":[{\"mountPath\":\"/a\",\"readOnly\":true}]}}",
      "{\"c\":{\"ports\":[{\"containerPort\":80,\"name\":\"http\","
      "\"protocol\":\"TCP\"},{\"containerPort\":443}],"
      "\"volumeMounts\":[{\"mountPath\":\"/a\",\"name\":\"x\","
      "\"readOnly\":true}]}}");
  SMP("{\"metadata\":{\"ownerReferences\":[{\"uid\":\"1\",\"kind\":\"A\"}]}}",
      "{\"metadata\":{\"ownerReferences\":[{\"uid\":\"2\",\"kind\":\"B\"}]}}",
      "{\"metadata\":{\"ownerReferences\":[{\"uid\":\"1\",\"kind\":\"A\"},"
      "{\"uid\":\"2\",\"kind\":\"B\"}]}}");
  /* A merge-keyed element without its key cannot be merged. */
  expect_einval(CP_PATCH_STRATEGIC, pod,
                "{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}");
  expect_einval(CP_PATCH_STRATEGIC, pod,
                "{\"spec\":{\"containers\":[\"app\"]}}");
}

static void test_smp_null_deletes_label(void **state) {
  struct json_object *out;

  (void)state;
  out = smp_pod("{\"metadata\":{\"labels\":{\"tier\":null,\"x\":\"y\"}}}");
  assert_at(out, "metadata/labels", "{\"app\":\"web\",\"x\":\"y\"}");
  json_object_put(out);
}

static void test_smp_new_values_lose_directives(void **state) {
  (void)state;
  /* Values with no counterpart in the document are still merged, so their
   * nulls and directives are processed, not copied. */
  SMP("{}",
      "{\"spec\":{\"template\":{\"spec\":{"
      "\"$setElementOrder/containers\":[{\"name\":\"b\"},{\"name\":\"a\"}],"
      "\"containers\":[{\"name\":\"a\",\"x\":null},{\"name\":\"b\"},"
      "{\"name\":\"c\",\"$patch\":\"delete\"}],"
      "\"labels\":{\"$patch\":\"replace\",\"k\":\"v\",\"gone\":null}}}}}",
      "{\"spec\":{\"template\":{\"spec\":{"
      "\"containers\":[{\"name\":\"b\"},{\"name\":\"a\"}],"
      "\"labels\":{\"k\":\"v\"}}}}}");
  SMP("{\"a\":5}",
      "{\"a\":{\"b\":{\"$retainKeys\":[\"c\"],\"c\":1,"
      "\"d\":2}}}",
      "{\"a\":{\"b\":{\"c\":1}}}");
  /* Keys that merely start with '$' (CRD schemas) are ordinary data. */
  SMP("{}", "{\"$ref\":\"#/x\"}", "{\"$ref\":\"#/x\"}");
}

static void test_smp_bad_directives(void **state) {
  char *msg;

  (void)state;
  msg = error_of(CP_PATCH_STRATEGIC, pod,
                 "{\"spec\":{\"strategy\":{\"$patch\":\"frobnicate\"}}}");
  assert_non_null(strstr(msg, "$patch"));
  assert_non_null(strstr(msg, "frobnicate"));
  free(msg);
  expect_einval(CP_PATCH_STRATEGIC, pod, "{\"$patch\":\"nope\"}");
  expect_einval(CP_PATCH_STRATEGIC, pod, "{\"$patch\":1}");
  expect_einval(CP_PATCH_STRATEGIC, pod,
                "{\"spec\":{\"containers\":[{\"$patch\":\"x\"}]}}");
  expect_einval(CP_PATCH_STRATEGIC, pod,
                "{\"spec\":{\"$setElementOrder/containers\":{}}}");
  expect_einval(CP_PATCH_STRATEGIC, pod, "[]");
  expect_einval(CP_PATCH_STRATEGIC, pod, "\"x\"");
}

static void test_smp_kubectl_apply_body(void **state) {
  const char *deploy =
      "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
      "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},"
      "\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":"
      "\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
      "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\","
      "\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}]}]}}}}";
  const char *body =
      "{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/"
      "last-applied-configuration\":\"x\"}},\"spec\":{\"replicas\":3,"
      "\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":"
      "\"c\"}],\"containers\":[{\"image\":\"nginx:1.26\",\"name\":\"c\"}]}}}"
      "}";
  const char *want =
      "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
      "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\","
      "\"annotations\":{\"kubectl.kubernetes.io/"
      "last-applied-configuration\":\"x\"}},"
      "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":"
      "\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
      "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.26\","
      "\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}]}]}}}}";
  struct json_object *out;

  (void)state;
  SMP(deploy, body, want);
  out = apply(CP_PATCH_STRATEGIC, deploy, body, CPLANE_OK);
  assert_at(out, "spec/replicas", "3");
  assert_at(out, "spec/template/spec/containers/0/image", "\"nginx:1.26\"");
  assert_at(out, "spec/template/spec/containers/0/ports/0/containerPort", "80");
  assert_null(strchr(show(out), '$'));
  json_object_put(out);
}

/* ---- parsing and limits ---- */

static void test_malformed_patch_text(void **state) {
  const char *bad[] = {"",     "   ",      "{",          "{\"a\":1",
                       "{} x", "{}{}",     "[1,]",       "{\"a\":01}",
                       "nul",  "{'a':1}x", "{\"a\":tru}"};
  const char buf[] = "{\"a\":1}  ]";
  struct json_object *d = parse("{}"), *out = NULL;
  char *msg = NULL;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    expect_einval(CP_PATCH_MERGE, "{}", bad[i]);
    expect_einval(CP_PATCH_STRATEGIC, "{}", bad[i]);
    expect_einval(CP_PATCH_JSON, "{}", bad[i]);
  }
  /* The text need not be NUL-terminated, and len is honoured exactly. */
  assert_int_equal(cp_patch_apply(CP_PATCH_MERGE, d, buf, 9, &out, &msg),
                   CPLANE_OK);
  assert_null(msg);
  assert_string_equal(show(out), "{\"a\":1}");
  json_object_put(out);
  assert_int_equal(
      cp_patch_apply(CP_PATCH_MERGE, d, buf, sizeof buf - 1, &out, &msg),
      CPLANE_EINVAL);
  assert_non_null(strstr(msg, "malformed"));
  free(msg);
  /* An embedded NUL is trailing garbage, not the end. */
  assert_int_equal(cp_patch_apply(CP_PATCH_MERGE, d, "{}\0{}", 5, &out, &msg),
                   CPLANE_EINVAL);
  assert_null(out);
  free(msg);
  assert_int_equal(cp_patch_apply(CP_PATCH_MERGE, d, NULL, 3, &out, &msg),
                   CPLANE_EINVAL);
  free(msg);
  assert_int_equal(cp_patch_apply(CP_PATCH_MERGE, d, "{}", 2, NULL, NULL),
                   CPLANE_EINVAL);
  /* A bare number at the end of the buffer still parses (as a non-object). */
  msg = error_of(CP_PATCH_MERGE, "{}", "12");
  assert_string_equal(msg, "merge patch must be a JSON object");
  free(msg);
  json_object_put(d);
}

/* A patch of depth objects nested through member "a". */
static char *nested(int depth) {
  char *s = malloc((size_t)depth * 6 + 8), *p = s;
  int i;

  assert_non_null(s);
  for (i = 0; i < depth - 1; i++)
    p += sprintf(p, "{\"a\":");
  p += sprintf(p, "{}");
  for (i = 0; i < depth - 1; i++)
    *p++ = '}';
  *p = '\0';
  return s;
}

static void test_depth_limit(void **state) {
  enum cp_patch_type types[] = {CP_PATCH_MERGE, CP_PATCH_STRATEGIC};
  char *ok = nested(64), *deep = nested(65), *huge = nested(5000), *msg;
  struct json_object *out;
  size_t i;

  (void)state;
  for (i = 0; i < 2; i++) {
    out = apply(types[i], "{}", ok, CPLANE_OK);
    assert_non_null(out);
    json_object_put(out);
    msg = error_of(types[i], "{}", deep);
    assert_string_equal(msg, "patch nests deeper than 64 levels");
    free(msg);
    msg = error_of(types[i], "{}", huge);
    assert_string_equal(msg, "patch nests deeper than 64 levels");
    free(msg);
  }
  free(ok);
  free(deep);
  free(huge);
}

/* The operations array and the op object count as levels too. */
static void test_depth_limit_json_patch(void **state) {
  char *v62 = nested(62), *v63 = nested(63), *p;
  struct json_object *out;
  size_t n = strlen(v63) + 64;

  (void)state;
  p = malloc(n);
  assert_non_null(p);
  snprintf(p, n, "[{\"op\":\"add\",\"path\":\"/a\",\"value\":%s}]", v62);
  out = apply(CP_PATCH_JSON, "{}", p, CPLANE_OK);
  json_object_put(out);
  snprintf(p, n, "[{\"op\":\"add\",\"path\":\"/a\",\"value\":%s}]", v63);
  expect_einval(CP_PATCH_JSON, "{}", p);
  free(p);
  free(v62);
  free(v63);
}

static void test_doc_may_be_any_value(void **state) {
  const char *jp = "[{\"op\":\"test\",\"path\":\"\",\"value\":null}]";
  struct json_object *out = NULL;
  char *msg = NULL;

  (void)state;
  /* A JSON null document (NULL) patches like any other non-object. */
  assert_int_equal(
      cp_patch_apply(CP_PATCH_MERGE, NULL, "{\"a\":1}", 7, &out, &msg),
      CPLANE_OK);
  assert_string_equal(show(out), "{\"a\":1}");
  json_object_put(out);
  assert_int_equal(
      cp_patch_apply(CP_PATCH_JSON, NULL, jp, strlen(jp), &out, &msg),
      CPLANE_OK);
  assert_null(out);
  SMP("\"str\"", "{\"a\":1}", "{\"a\":1}");
  /* An unknown patch type is an argument error, not a crash. */
  assert_int_equal(
      cp_patch_apply((enum cp_patch_type)42, NULL, "{}", 2, &out, &msg),
      CPLANE_EINVAL);
  assert_null(out);
  assert_non_null(msg);
  free(msg);
}

static void test_content_type(void **state) {
  enum cp_patch_type t = CP_PATCH_JSON;

  (void)state;
  assert_int_equal(
      cp_patch_type_from_content_type("application/merge-patch+json", &t), 0);
  assert_int_equal(t, CP_PATCH_MERGE);
  assert_int_equal(cp_patch_type_from_content_type(
                       "application/merge-patch+json; charset=utf-8", &t),
                   0);
  assert_int_equal(t, CP_PATCH_MERGE);
  assert_int_equal(
      cp_patch_type_from_content_type("application/json-patch+json", &t), 0);
  assert_int_equal(t, CP_PATCH_JSON);
  assert_int_equal(cp_patch_type_from_content_type(
                       "Application/Strategic-Merge-Patch+JSON", &t),
                   0);
  assert_int_equal(t, CP_PATCH_STRATEGIC);
  assert_int_equal(cp_patch_type_from_content_type(
                       " application/json-patch+json ;charset=utf-8", &t),
                   0);
  assert_int_equal(t, CP_PATCH_JSON);
  t = CP_PATCH_MERGE;
  assert_int_equal(
      cp_patch_type_from_content_type("application/apply-patch+yaml", &t), -1);
  assert_int_equal(cp_patch_type_from_content_type("application/json", &t), -1);
  assert_int_equal(
      cp_patch_type_from_content_type("application/merge-patch+jsonx", &t), -1);
  assert_int_equal(
      cp_patch_type_from_content_type("application/merge-patch", &t), -1);
  assert_int_equal(cp_patch_type_from_content_type("", &t), -1);
  assert_int_equal(cp_patch_type_from_content_type(NULL, &t), -1);
  assert_int_equal(t, CP_PATCH_MERGE); /* untouched on failure */
}

/* CVE-2019-1002100's class: copies that double the document. Refused
 * once the copies would add more than CP_PATCH_COPY_LIMIT, with
 * evanphx/json-patch's message, long before gigabytes are built. */
static void test_json_patch_copy_bomb(void **state) {
  char *patch = malloc(64 * 80 + 16), *w = patch;
  const char *doc = "{\"metadata\":{\"name\":\"x\",\"annotations\":{"
                    "\"a\":\"0123456789012345678901234567890123456789\"}}}";
  struct json_object *d = parse(doc), *out = NULL;
  char *msg = NULL;
  int i;

  (void)state;
  assert_non_null(patch);
  w += sprintf(w, "[");
  for (i = 0; i < 64; i++)
    w += sprintf(w, "%s{\"op\":\"copy\",\"from\":\"/metadata\","
                 "\"path\":\"/metadata/annotations/x%d\"}", i ? "," : "", i);
  sprintf(w, "]");
  assert_int_equal(cp_patch_apply(CP_PATCH_JSON, d, patch, strlen(patch),
                                  &out, &msg),
                   CPLANE_ERANGE);
  assert_null(out);
  assert_non_null(msg);
  assert_non_null(strstr(msg, "Unable to complete the copy, the accumulated "
                              "size increase of copy is "));
  assert_non_null(strstr(msg, "exceeding the limit 3145728"));
  free(msg);
  /* A few copies stay fine. */
  expect(CP_PATCH_JSON, "{\"a\":{\"b\":1}}",
         "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"},"
         "{\"op\":\"copy\",\"from\":\"/c\",\"path\":\"/a/d\"}]",
         "{\"a\":{\"b\":1,\"d\":{\"b\":1}},\"c\":{\"b\":1}}");
  json_object_put(d);
  free(patch);
}

/* kube allows at most 10,000 operations in one JSON patch. */
static void test_json_patch_max_ops(void **state) {
  const char *op = "{\"op\":\"test\",\"path\":\"/a\",\"value\":1}";
  size_t n = CP_PATCH_MAX_OPS + 1, i, len = strlen(op);
  char *patch = malloc(n * (len + 1) + 2), *w = patch;
  struct json_object *d = parse("{\"a\":1}"), *out = NULL;
  char *msg = NULL;

  (void)state;
  assert_non_null(patch);
  *w++ = '[';
  for (i = 0; i < n; i++) {
    if (i)
      *w++ = ',';
    memcpy(w, op, len);
    w += len;
  }
  *w++ = ']';
  assert_int_equal(cp_patch_apply(CP_PATCH_JSON, d, patch, (size_t)(w - patch),
                                  &out, &msg),
                   CP_PATCH_ETOOMANY);
  assert_null(out);
  assert_string_equal(msg, "The allowed maximum operations in a JSON patch "
                           "is 10000, got 10001");
  free(msg);
  msg = NULL;
  /* Exactly the maximum is applied. */
  assert_int_equal(cp_patch_apply(CP_PATCH_JSON, d, patch,
                                  (size_t)(w - patch) - len - 2, &out, &msg),
                   CPLANE_EINVAL); /* cut mid-array: malformed, not 413 */
  free(msg);
  msg = NULL;
  w -= len + 1;
  w[-1] = ']';
  assert_int_equal(cp_patch_apply(CP_PATCH_JSON, d, patch, (size_t)(w - patch),
                                  &out, &msg),
                   CPLANE_OK);
  json_object_put(out);
  json_object_put(d);
  free(patch);
}

/* Patch text is decoded as strictly as a body: what json-c alone took. */
static void test_patch_text_is_strict(void **state) {
  (void)state;
  expect_einval(CP_PATCH_MERGE, "{}", "{\"a\":NaN}");
  expect_einval(CP_PATCH_MERGE, "{}", "{\"a\":1e400}");
  expect_einval(CP_PATCH_MERGE, "{}", "{\"a\":1,}");
  expect_einval(CP_PATCH_STRATEGIC, "{}", "{/*x*/\"a\":1}");
  expect_einval(CP_PATCH_JSON, "{}",
                "[{'op':'add','path':'/a','value':Infinity}]");
  expect(CP_PATCH_MERGE, "{}", "{\"a\":1,\"a\":2}", "{\"a\":2}");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_merge_rfc7386_appendix_a),
      cmocka_unit_test(test_merge_replaces_lists_and_keeps_order),
      cmocka_unit_test(test_json_patch_rfc6902_appendix_a),
      cmocka_unit_test(test_json_patch_copy_and_root),
      cmocka_unit_test(test_json_patch_escapes_and_append),
      cmocka_unit_test(test_json_patch_test_compares_deeply),
      cmocka_unit_test(test_json_patch_errors),
      cmocka_unit_test(test_json_patch_is_atomic),
      cmocka_unit_test(test_smp_containers_merge_by_name),
      cmocka_unit_test(test_smp_set_element_order),
      cmocka_unit_test(test_smp_delete_element),
      cmocka_unit_test(test_smp_replace_directives),
      cmocka_unit_test(test_smp_delete_object_member),
      cmocka_unit_test(test_smp_retain_keys),
      cmocka_unit_test(test_smp_finalizers),
      cmocka_unit_test(test_smp_env_merged_by_name),
      cmocka_unit_test(test_smp_list_without_merge_key_is_replaced),
      cmocka_unit_test(test_smp_other_merge_keys),
      cmocka_unit_test(test_smp_null_deletes_label),
      cmocka_unit_test(test_smp_new_values_lose_directives),
      cmocka_unit_test(test_smp_bad_directives),
      cmocka_unit_test(test_smp_kubectl_apply_body),
      cmocka_unit_test(test_malformed_patch_text),
      cmocka_unit_test(test_depth_limit),
      cmocka_unit_test(test_depth_limit_json_patch),
      cmocka_unit_test(test_doc_may_be_any_value),
      cmocka_unit_test(test_content_type),
      cmocka_unit_test(test_json_patch_copy_bomb),
      cmocka_unit_test(test_json_patch_max_ops),
      cmocka_unit_test(test_patch_text_is_strict),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
