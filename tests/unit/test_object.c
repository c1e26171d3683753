/*
 * Unit tests for host/object: parsing (every JSON type, escapes, surrogate
 * pairs, numbers), precise errors with byte offsets, the depth limit, path
 * accessors with escapes, metadata helpers, foreach, JSON output round
 * trips, refcounts and from_json_c.
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

#include "object/object.h"

static const char pod_json[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\n"
    " \"metadata\":{\"name\":\"web-1\",\"namespace\":\"prod\","
    "\"uid\":\"u-1\",\"resourceVersion\":\"42\",\"generation\":3,"
    "\"labels\":{\"app\":\"web\",\"app.kubernetes.io/name\":\"nginx\"},"
    "\"annotations\":{\"note\":\"a \\\"quoted\\\" \\u00e9 \\ud83d\\ude00\"},"
    "\"deletionTimestamp\":\"2026-01-01T00:00:00Z\","
    "\"ownerReferences\":[{\"uid\":\"rs-0\",\"controller\":false},"
    "{\"uid\":\"rs-1\",\"controller\":true}]},"
    " \"spec\":{\"nodeName\":\"n1\",\"replicas\":-7,\"ratio\":0.25,"
    "\"big\":1e3,\"huge\":123456789012345678901234567890,"
    "\"ok\":true,\"off\":false,\"none\":null,"
    "\"containers\":[{\"name\":\"a\",\"image\":\"nginx:1\"},"
    "{\"name\":\"b\",\"image\":\"busybox\",\"args\":[]}],"
    "\"empty\":{}, \"a.b\":{\"c[d\":\"escaped\"}, \"back\\\\slash\":1}}";

static cplane_object *parse_ok(const char *json) {
  cplane_object *o = NULL;
  char *err = NULL;
  int rc = cp_object_parse(json, strlen(json), &o, &err);

  if (rc != CPLANE_OK)
    fail_msg("parse failed: %s", err != NULL ? err : "?");
  assert_null(err);
  return o;
}

/* Parses invalid input; returns the message (caller frees). */
static char *parse_err(const char *json) {
  cplane_object *o = (cplane_object *)1;
  char *err = NULL;

  assert_int_equal(cp_object_parse(json, strlen(json), &o, &err),
                   CPLANE_EINVAL);
  assert_null(o);
  assert_non_null(err);
  return err;
}

static void test_types_and_scalars(void **state) {
  cplane_object *o = parse_ok(pod_json);
  int64_t i;
  double d;
  int b;

  (void)state;
  assert_int_equal(cp_object_type(o, NULL), CPLANE_TYPE_OBJECT);
  assert_int_equal(cp_object_type(o, ""), CPLANE_TYPE_OBJECT);
  assert_int_equal(cp_object_type(o, "kind"), CPLANE_TYPE_STRING);
  assert_int_equal(cp_object_type(o, "spec.replicas"), CPLANE_TYPE_INT);
  assert_int_equal(cp_object_type(o, "spec.ratio"), CPLANE_TYPE_DOUBLE);
  assert_int_equal(cp_object_type(o, "spec.ok"), CPLANE_TYPE_BOOL);
  assert_int_equal(cp_object_type(o, "spec.none"), CPLANE_TYPE_NULL);
  assert_int_equal(cp_object_type(o, "spec.containers"), CPLANE_TYPE_ARRAY);
  assert_int_equal(cp_object_type(o, "spec.missing"), CPLANE_ENOENT);

  assert_string_equal(cp_object_string(o, "kind"), "Pod");
  assert_null(cp_object_string(o, "spec.replicas")); /* not a string */
  assert_null(cp_object_string(o, "nope"));

  assert_int_equal(cp_object_int(o, "spec.replicas", &i), CPLANE_OK);
  assert_int_equal(i, -7);
  assert_int_equal(cp_object_int(o, "spec.big", &i), CPLANE_OK);
  assert_int_equal(i, 1000); /* an integral double converts */
  assert_int_equal(cp_object_int(o, "spec.ratio", &i), CPLANE_ETYPE);
  assert_int_equal(cp_object_int(o, "spec.huge", &i), CPLANE_ERANGE);
  assert_int_equal(cp_object_int(o, "kind", &i), CPLANE_ETYPE);
  assert_int_equal(cp_object_int(o, "nope", &i), CPLANE_ENOENT);

  assert_int_equal(cp_object_double(o, "spec.ratio", &d), CPLANE_OK);
  assert_true(d == 0.25);
  assert_int_equal(cp_object_double(o, "spec.replicas", &d), CPLANE_OK);
  assert_true(d == -7.0);
  assert_int_equal(cp_object_double(o, "kind", &d), CPLANE_ETYPE);

  assert_int_equal(cp_object_bool(o, "spec.ok", &b), CPLANE_OK);
  assert_int_equal(b, 1);
  assert_int_equal(cp_object_bool(o, "spec.off", &b), CPLANE_OK);
  assert_int_equal(b, 0);
  assert_int_equal(cp_object_bool(o, "spec.none", &b), CPLANE_ETYPE);
  cp_object_release(o);
}

static void test_paths(void **state) {
  cplane_object *o = parse_ok(pod_json);

  (void)state;
  assert_string_equal(cp_object_string(o, "spec.containers[1].image"),
                      "busybox");
  assert_string_equal(cp_object_string(o, "spec.containers[0].name"), "a");
  assert_null(cp_object_string(o, "spec.containers[2].name"));
  assert_int_equal(cp_object_len(o, "spec.containers"), 2);
  assert_int_equal(cp_object_len(o, "spec.containers[1].args"), 0);
  assert_int_equal(cp_object_len(o, "spec.empty"), 0);
  assert_int_equal(cp_object_len(o, "metadata.labels"), 2);
  assert_int_equal(cp_object_len(o, "kind"), CPLANE_ETYPE);
  assert_int_equal(cp_object_len(o, "nope"), CPLANE_ENOENT);
  /* Escapes: '.', '[' and '\' inside keys. */
  assert_string_equal(
      cp_object_string(o, "metadata.labels.app\\.kubernetes\\.io/name"),
      "nginx");
  assert_string_equal(cp_object_string(o, "spec.a\\.b.c\\[d"), "escaped");
  assert_int_equal(cp_object_type(o, "spec.back\\\\slash"), CPLANE_TYPE_INT);
  /* An unescaped '.' splits, so this names spec.a -> b: absent. */
  assert_null(cp_object_string(o, "spec.a.b.c\\[d"));
  /* Malformed paths find nothing rather than crash. */
  assert_int_equal(cp_object_type(o, "spec..nodeName"), CPLANE_ENOENT);
  assert_int_equal(cp_object_type(o, ".spec"), CPLANE_ENOENT);
  assert_int_equal(cp_object_type(o, "spec.containers[x]"), CPLANE_ENOENT);
  assert_int_equal(cp_object_type(o, "spec.containers[0"), CPLANE_ENOENT);
  assert_int_equal(cp_object_type(o, "spec.containers[99999999999]"),
                   CPLANE_ENOENT);
  assert_int_equal(cp_object_type(o, "kind[0]"), CPLANE_ENOENT);
  assert_int_equal(cp_object_type(o, "spec.nodeName.x"), CPLANE_ENOENT);
  cp_object_release(o);
}

static void test_string_decoding(void **state) {
  cplane_object *o = parse_ok(pod_json);
  cplane_object *e = parse_ok("{\"s\":\"tab\\there\\nnl \\/ \\\\ \\b\\f\\r\","
                              "\"u\":\"\\u0041\\u00df\\u4e2d\"}");

  (void)state;
  /* é is U+00E9, the emoji a surrogate pair U+1F600. */
  assert_string_equal(cp_object_annotation(o, "note"),
                      "a \"quoted\" \xc3\xa9 \xf0\x9f\x98\x80");
  assert_string_equal(cp_object_string(e, "s"),
                      "tab\there\nnl / \\ \b\f\r");
  assert_string_equal(cp_object_string(e, "u"), "A\xc3\x9f\xe4\xb8\xad");
  cp_object_release(o);
  cp_object_release(e);
}

static void test_metadata_helpers(void **state) {
  cplane_object *o = parse_ok(pod_json);
  cplane_object *c = parse_ok("{\"kind\":\"Node\",\"metadata\":{\"name\":"
                              "\"n1\"}}");
  cplane_object *bare = parse_ok("{\"kind\":\"X\"}");

  (void)state;
  assert_string_equal(cp_object_name(o), "web-1");
  assert_string_equal(cp_object_namespace(o), "prod");
  assert_string_equal(cp_object_uid(o), "u-1");
  assert_string_equal(cp_object_resource_version(o), "42");
  assert_string_equal(cp_object_key(o), "prod/web-1");
  assert_int_equal(cp_object_generation(o), 3);
  assert_string_equal(cp_object_label(o, "app"), "web");
  assert_string_equal(cp_object_label(o, "app.kubernetes.io/name"), "nginx");
  assert_null(cp_object_label(o, "missing"));
  assert_null(cp_object_annotation(o, "missing"));
  assert_string_equal(cp_object_deletion_timestamp(o),
                      "2026-01-01T00:00:00Z");
  assert_string_equal(cp_object_controller_uid(o), "rs-1");

  /* Cluster-scoped: the key is the bare name. */
  assert_string_equal(cp_object_key(c), "n1");
  assert_null(cp_object_namespace(c));
  assert_int_equal(cp_object_generation(c), 0);
  assert_null(cp_object_label(c, "app"));
  assert_null(cp_object_controller_uid(c));
  assert_null(cp_object_deletion_timestamp(c));

  /* No metadata at all. */
  assert_null(cp_object_key(bare));
  assert_null(cp_object_name(bare));
  assert_null(cp_object_uid(bare));
  cp_object_release(o);
  cp_object_release(c);
  cp_object_release(bare);
}

struct seen {
  char keys[8][32];
  char strs[8][32];
  int n, stop_after;
};

static int collect(void *userdata, const char *key, const char *str) {
  struct seen *s = userdata;

  snprintf(s->keys[s->n], sizeof s->keys[0], "%s", key);
  snprintf(s->strs[s->n], sizeof s->strs[0], "%s", str ? str : "(null)");
  s->n++;
  return s->stop_after != 0 && s->n >= s->stop_after;
}

static void test_foreach(void **state) {
  cplane_object *o = parse_ok(pod_json);
  struct seen s;

  (void)state;
  memset(&s, 0, sizeof s);
  assert_int_equal(cp_object_foreach(o, "metadata.labels", collect, &s), 2);
  assert_string_equal(s.keys[0], "app");
  assert_string_equal(s.strs[0], "web");
  assert_string_equal(s.keys[1], "app.kubernetes.io/name");
  assert_string_equal(s.strs[1], "nginx");

  memset(&s, 0, sizeof s);
  assert_int_equal(cp_object_foreach(o, "spec.containers", collect, &s), 2);
  assert_string_equal(s.keys[0], "0");
  assert_string_equal(s.strs[0], "(null)"); /* an object, not a string */
  assert_string_equal(s.keys[1], "1");

  memset(&s, 0, sizeof s);
  s.stop_after = 1;
  assert_int_equal(cp_object_foreach(o, "metadata.labels", collect, &s), 1);

  assert_int_equal(cp_object_foreach(o, "spec.empty", collect, &s), 0);
  assert_int_equal(cp_object_foreach(o, "kind", collect, &s), CPLANE_ETYPE);
  assert_int_equal(cp_object_foreach(o, "nope", collect, &s), CPLANE_ENOENT);
  assert_int_equal(cp_object_foreach(o, NULL, NULL, NULL), CPLANE_EINVAL);
  cp_object_release(o);
}

static void test_json_output(void **state) {
  cplane_object *o = parse_ok(pod_json), *again;
  char *all, *twice, *sub;

  (void)state;
  sub = cp_object_json(o, "spec.containers[1]");
  assert_string_equal(sub, "{\"name\":\"b\",\"image\":\"busybox\","
                           "\"args\":[]}");
  free(sub);
  sub = cp_object_json(o, "spec.ratio");
  assert_string_equal(sub, "0.25");
  free(sub);
  sub = cp_object_json(o, "spec.none");
  assert_string_equal(sub, "null");
  free(sub);
  sub = cp_object_json(o, "metadata.annotations.note");
  assert_string_equal(sub, "\"a \\\"quoted\\\" \xc3\xa9 \xf0\x9f\x98\x80\"");
  free(sub);
  assert_null(cp_object_json(o, "nope"));

  /* The whole document survives a round trip unchanged. */
  all = cp_object_json(o, NULL);
  again = parse_ok(all);
  twice = cp_object_json(again, NULL);
  assert_string_equal(all, twice);
  assert_string_equal(cp_object_key(again), "prod/web-1");
  free(all);
  free(twice);
  cp_object_release(again);
  cp_object_release(o);
}

static void test_control_characters_escaped_on_output(void **state) {
  cplane_object *o = parse_ok("{\"s\":\"\\u0001\\u001f\\\"\"}");
  char *j = cp_object_json(o, "s");

  (void)state;
  assert_string_equal(j, "\"\\u0001\\u001f\\\"\"");
  free(j);
  cp_object_release(o);
}

static void test_errors_name_the_byte(void **state) {
  static const struct {
    const char *json, *want;
  } cases[] = {
      {"", "byte 0: a JSON object ('{') expected"},
      {"[1,2]", "byte 0: a JSON object ('{') expected"},
      {"  \"str\"", "byte 2: a JSON object"},
      {"{\"a\":1,}", "byte 7: member name"},
      {"{\"a\" 1}", "byte 5: ':' expected"},
      {"{\"a\":tru}", "byte 5: unexpected character"},
      {"{\"a\":[1 2]}", "byte 8: ',' or ']' expected"},
      {"{\"a\":1} x", "byte 8: trailing characters"},
      {"{\"a\":\"x", "unterminated string"},
      {"{\"a\":\"\\q\"}", "bad escape"},
      {"{\"a\":\"\\u12G4\"}", "bad hex digit"},
      {"{\"a\":\"\\ud800\"}", "unpaired UTF-16 surrogate"},
      {"{\"a\":\"\\udc00\"}", "unpaired UTF-16 surrogate"},
      {"{\"a\":\"tab\there\"}", "control character"},
      {"{\"a\":01}", "',' or '}' expected"},
      {"{\"a\":1.}", "digit expected after '.'"},
      {"{\"a\":1e}", "digit expected in exponent"},
      {"{\"a\":-}", "bad number"},
      {"{\"a\":", "value expected (unexpected end of input)"},
      {"{\"a\":{\"b\":[}}", "unexpected character"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *err = parse_err(cases[i].json);

    if (strstr(err, cases[i].want) == NULL)
      fail_msg("input %s: got \"%s\", want \"%s\"", cases[i].json, err,
               cases[i].want);
    assert_non_null(strstr(err, "invalid JSON at byte "));
    free(err);
  }
}

/* Containers the text leaves open cost one byte each, fewer than the two
 * the parser's node bound assumed: "[[[[...1e1" overran its scratch
 * buffer (found by tests/fuzz/fuzz_object). Refused, with a message. */
static void test_unclosed_containers(void **state) {
  static const char fuzzed[] = "[[[[[[[[[\r[[[[\r[[[[[1e1";
  char text[80];
  char *err;
  cplane_object *o = (cplane_object *)&o;
  int n;

  (void)state;
  assert_int_equal(cp_json_valid(fuzzed, sizeof fuzzed - 1), 0);
  for (n = 0; n < 60; n++)
    text[n] = '[';
  text[0] = '{';
  memcpy(text + 1, "\"a\":", 4);
  memcpy(text + 60, "1", 2);
  for (n = 5; n <= 61; n++) {
    assert_int_equal(cp_json_valid(text, (size_t)n), 0);
    err = NULL;
    assert_int_equal(cp_object_parse(text, (size_t)n, &o, &err),
                     CPLANE_EINVAL);
    assert_null(o);
    assert_non_null(err);
    free(err);
  }
}

static void test_depth_limit(void **state) {
  char deep[256], ok[256];
  char *err;
  cplane_object *o;
  int i, n = 0, m = 0;

  (void)state;
  /* 65 nested containers (the object and 64 arrays): refused. */
  deep[n++] = '{';
  deep[n++] = '"';
  deep[n++] = 'a';
  deep[n++] = '"';
  deep[n++] = ':';
  for (i = 0; i < 64; i++)
    deep[n++] = '[';
  for (i = 0; i < 64; i++)
    deep[n++] = ']';
  deep[n++] = '}';
  deep[n] = '\0';
  err = parse_err(deep);
  assert_non_null(strstr(err, "nesting deeper than 64"));
  free(err);
  /* 64 levels are fine. */
  ok[m++] = '{';
  memcpy(ok + m, "\"a\":", 4);
  m += 4;
  for (i = 0; i < 63; i++)
    ok[m++] = '[';
  for (i = 0; i < 63; i++)
    ok[m++] = ']';
  ok[m++] = '}';
  ok[m] = '\0';
  o = parse_ok(ok);
  assert_int_equal(cp_object_type(o, "a"), CPLANE_TYPE_ARRAY);
  cp_object_release(o);
}

static void test_not_nul_terminated_and_null_input(void **state) {
  const char text[] = "{\"a\":1}garbage";
  cplane_object *o = NULL;
  char *err = NULL;
  int64_t v;

  (void)state;
  /* Only len bytes are read. */
  assert_int_equal(cp_object_parse(text, 7, &o, &err), CPLANE_OK);
  assert_int_equal(cp_object_int(o, "a", &v), CPLANE_OK);
  assert_int_equal(v, 1);
  cp_object_release(o);
  assert_int_equal(cp_object_parse(NULL, 0, &o, &err), CPLANE_EINVAL);
  assert_non_null(strstr(err, "no input"));
  free(err);
  /* A NULL errmsg is allowed. */
  assert_int_equal(cp_object_parse("x", 1, &o, NULL), CPLANE_EINVAL);
}

static void test_refcount(void **state) {
  cplane_object *o = parse_ok("{\"metadata\":{\"name\":\"x\"}}");

  (void)state;
  assert_ptr_equal(cp_object_retain(o), o);
  assert_ptr_equal(cp_object_retain(o), o);
  cp_object_release(o);
  cp_object_release(o);
  assert_string_equal(cp_object_name(o), "x"); /* one reference left */
  cp_object_release(o);                        /* ASan: freed exactly once */
  cp_object_release(NULL);
  assert_null(cp_object_retain(NULL));
  assert_null(cp_object_key(NULL));
  assert_int_equal(cp_object_type(NULL, "a"), CPLANE_ENOENT);
}

static void test_from_json_c(void **state) {
  struct json_object *jo = json_tokener_parse(pod_json);
  cplane_object *o;

  (void)state;
  assert_non_null(jo);
  o = cp_object_from_json_c(jo);
  assert_non_null(o);
  assert_string_equal(cp_object_key(o), "prod/web-1");
  assert_string_equal(cp_object_string(o, "spec.containers[0].image"),
                      "nginx:1");
  cp_object_release(o);
  json_object_put(jo);
  /* Not an object at the top: refused. */
  jo = json_object_new_array();
  assert_null(cp_object_from_json_c(jo));
  json_object_put(jo);
  assert_null(cp_object_from_json_c(NULL));
}

/* a and b are the same snapshot (their JSON, size and key), both
 * released. */
static void assert_same_snapshot(cplane_object *a, cplane_object *b) {
  char *ja, *jb;

  assert_non_null(a);
  assert_non_null(b);
  ja = cp_object_json(a, NULL);
  jb = cp_object_json(b, NULL);
  assert_string_equal(ja, jb);
  assert_int_equal(cp_object_heap_bytes(a), cp_object_heap_bytes(b));
  if (cp_object_key(a) == NULL)
    assert_null(cp_object_key(b));
  else
    assert_string_equal(cp_object_key(a), cp_object_key(b));
  free(ja);
  free(jb);
  cp_object_release(a);
  cp_object_release(b);
}

/* from_json_c walks the tree: the snapshot is the one its text gives. */
static void assert_same_as_text(const char *json) {
  struct json_object *jo = json_tokener_parse(json);
  cplane_object *a = NULL;
  const char *text;

  assert_non_null(jo);
  text = json_object_to_json_string_ext(jo, JSON_C_TO_STRING_PLAIN);
  assert_int_equal(cp_object_parse(text, strlen(text), &a, NULL), CPLANE_OK);
  assert_same_snapshot(a, cp_object_from_json_c(jo));
  json_object_put(jo);
}

/* The unmanaged snapshot is the object's without metadata.managedFields,
 * and only those: a managedFields anywhere else (a template's metadata,
 * a spec field) stays, as does everything else of metadata. */
static void test_from_json_c_unmanaged(void **state) {
  static const char with[] =
      "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"n\","
      "\"managedFields\":[{\"manager\":\"kubectl\",\"fieldsV1\":{\"f:spec\":{}}}],"
      "\"labels\":{\"a\":\"b\"}},\"spec\":{\"managedFields\":1,"
      "\"template\":{\"metadata\":{\"managedFields\":[]}}}}";
  static const char without[] =
      "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"n\","
      "\"labels\":{\"a\":\"b\"}},\"spec\":{\"managedFields\":1,"
      "\"template\":{\"metadata\":{\"managedFields\":[]}}}}";
  struct json_object *jo = json_tokener_parse(with);
  cplane_object *a = NULL;

  (void)state;
  assert_non_null(jo);
  assert_int_equal(cp_object_parse(without, strlen(without), &a, NULL),
                   CPLANE_OK);
  assert_string_equal(cp_object_key(a), "n/p");
  assert_same_snapshot(a, cp_object_from_json_c_unmanaged(jo));
  json_object_put(jo);
}

static void test_from_json_c_matches_text(void **state) {
  struct json_object *jo, *inner;
  cplane_object *o;
  double d = 0;
  int i;

  (void)state;
  assert_same_as_text(pod_json);
  assert_same_as_text("{}");
  assert_same_as_text("{\"metadata\":{\"name\":\"\"},\"a\":[],\"b\":{}}");
  assert_same_as_text("{\"metadata\":{\"name\":\"n\"},\"s\":\"a\\u0000b\\n"
                      "\\u00e9\\ud83d\\ude00\\\"\",\"t\":true,\"f\":false,"
                      "\"z\":null,\"i\":-9223372036854775808,\"d\":1.5,"
                      "\"e\":1e300,\"x\":[[1,[2,{\"k\":[]}]],null]}");
  /* Past INT64_MAX json-c keeps a uint64; the text parser a double. */
  assert_same_as_text("{\"u\":18446744073709551615}");
  jo = json_tokener_parse("{\"u\":18446744073709551615}");
  o = cp_object_from_json_c(jo);
  assert_int_equal(cp_object_type(o, "u"), CPLANE_TYPE_DOUBLE);
  assert_int_equal(cp_object_double(o, "u", &d), CPLANE_OK);
  assert_true(d > 1.8e19);
  cp_object_release(o);
  json_object_put(jo);
  /* The depth limit is the text parser's: 64 containers, not 65. */
  for (i = 0; i < 2; i++) {
    int depth, want = i == 0 ? CP_OBJECT_MAX_DEPTH : CP_OBJECT_MAX_DEPTH + 1;

    jo = json_object_new_object();
    for (inner = jo, depth = 1; depth < want; depth++) {
      struct json_object *next = json_object_new_array();

      if (json_object_is_type(inner, json_type_object))
        json_object_object_add(inner, "a", next);
      else
        json_object_array_add(inner, next);
      inner = next;
    }
    o = cp_object_from_json_c(jo);
    if (i == 0)
      assert_non_null(o);
    else
      assert_null(o);
    cp_object_release(o);
    json_object_put(jo);
  }
}

static void test_json_valid(void **state) {
  (void)state;
  assert_true(cp_json_valid("1", 1));
  assert_true(cp_json_valid(" \"s\" ", 5));
  assert_true(cp_json_valid("[1,{\"a\":null}]", 14));
  assert_true(cp_json_valid("-0.5e+3", 7));
  assert_false(cp_json_valid("", 0));
  assert_false(cp_json_valid("1 2", 3));
  assert_false(cp_json_valid("{", 1));
  assert_false(cp_json_valid("'a'", 3));
}

static void test_heap_bytes_are_compact(void **state) {
  cplane_object *o = parse_ok(pod_json);
  size_t bytes = cp_object_heap_bytes(o);

  (void)state;
  assert_true(bytes > 0);
  /* The node array and pool cost about twice the text, never more than
   * four times (the informer bench measures realistic pods). */
  assert_true(bytes < 4 * sizeof pod_json);
  assert_int_equal(cp_object_heap_bytes(NULL), 0);
  cp_object_release(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_types_and_scalars),
      cmocka_unit_test(test_paths),
      cmocka_unit_test(test_string_decoding),
      cmocka_unit_test(test_metadata_helpers),
      cmocka_unit_test(test_foreach),
      cmocka_unit_test(test_json_output),
      cmocka_unit_test(test_control_characters_escaped_on_output),
      cmocka_unit_test(test_errors_name_the_byte),
      cmocka_unit_test(test_depth_limit),
      cmocka_unit_test(test_unclosed_containers),
      cmocka_unit_test(test_not_nul_terminated_and_null_input),
      cmocka_unit_test(test_refcount),
      cmocka_unit_test(test_from_json_c),
      cmocka_unit_test(test_from_json_c_unmanaged),
      cmocka_unit_test(test_from_json_c_matches_text),
      cmocka_unit_test(test_json_valid),
      cmocka_unit_test(test_heap_bytes_are_compact),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
