/*
 * Unit tests for host/object/yaml_json: YAML 1.1 scalars as go-yaml v2
 * resolves them, numbers as Go's encoding/json writes them, keys as
 * sigs.k8s.io/yaml names them, anchors, merges, errors with go-yaml's
 * line numbers, duplicates and the limits (depth, billion laughs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "object/yaml_json.h"

#define OUT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* s converts and serializes as want. */
static void conv(const char *s, const char *want) {
  json_object *o = NULL;
  char *err = NULL;
  int line;

  if (cp_yaml_json_parse(s, strlen(s), NULL, &o, NULL, &err, &line) !=
      CP_YAML_JSON_OK)
    fail_msg("refused %s: %s", s, err);
  assert_null(err);
  if (strcmp(o ? json_object_to_json_string_ext(o, OUT) : "null", want) != 0)
    fail_msg("%s: got %s, want %s", s,
             o ? json_object_to_json_string_ext(o, OUT) : "null", want);
  json_object_put(o);
}

/* s is refused with want_err (exact) and want_rc. */
static void refused(const char *s, int want_rc, const char *want_err) {
  json_object *o = (json_object *)1;
  char *err = NULL;
  int line;

  if (cp_yaml_json_parse(s, strlen(s), NULL, &o, NULL, &err, &line) !=
      want_rc)
    fail_msg("%s: not refused as %d (%s)", s, want_rc, err ? err : "-");
  assert_null(o);
  assert_non_null(err);
  if (want_err != NULL && strcmp(err, want_err) != 0)
    fail_msg("%s: got \"%s\", want \"%s\"", s, err, want_err);
  free(err);
}

static void test_scalars(void **state) {
  (void)state;
  conv("a: 1\nb: x\nc: [true, false, null]",
       "{\"a\":1,\"b\":\"x\",\"c\":[true,false,null]}");
  /* YAML 1.1 booleans and nulls (go-yaml v2). */
  conv("[y, Yes, ON, n, NO, off, True, FALSE, ~, Null, '', yess]",
       "[true,true,true,false,false,false,true,false,null,null,\"\",\"yess\"]");
  conv("a:\nb: ", "{\"a\":null,\"b\":null}");
  /* Quoted and block scalars are strings. */
  conv("['1', \"true\"]", "[\"1\",\"true\"]");
  conv("a: |\n  1\n", "{\"a\":\"1\\n\"}");
  /* y and n are booleans, keys included (the YAML 1.1 trap). */
  conv("y: n", "{\"true\":false}");
  /* Go's base-0 integers, '_' removed. */
  conv("[0x1F, 0o17, 017, 0b101, -0b11, +5, 1_000, 9223372036854775807,"
       " -9223372036854775808, 18446744073709551615]",
       "[31,15,15,5,-3,5,1000,9223372036854775807,-9223372036854775808,"
       "18446744073709551615]");
  /* Floats as encoding/json writes them, read back as JSON would be. */
  conv("[1.0, 1.5, .5, -2.50, 1e3, 1e21, 1.5e-7, 0.000001, 08, 1e400, "
       "0.1]",
       "[1,1.5,0.5,-2.5,1000,1e+21,1.5e-7,0.000001,8,\"1e400\",0.1]");
  conv("[18446744073709551616, 1.2.3, 0x, +, 2001-12-14, 12:30]",
       "[18446744073709552000,\"1.2.3\",\"0x\",\"+\",\"2001-12-14\","
       "\"12:30\"]");
  /* Explicit tags. */
  conv("[!!str 12, !!float 3, !!int '7', !custom 5]",
       "[\"12\",3,7,\"5\"]");
  conv("", "null");
  conv("---\n", "null");
  conv("x", "\"x\"");
  /* Only the first document. */
  conv("a: 1\n---\nb: 2\n", "{\"a\":1}");
  /* JSON is YAML. */
  conv("{\"kind\": \"Pod\", \"n\": [1, {\"x\": \"\\u00e9\"}]}",
       "{\"kind\":\"Pod\",\"n\":[1,{\"x\":\"é\"}]}");
}

static void test_keys(void **state) {
  (void)state;
  conv("1: a\n0x10: b\ntrue: c\nno: d\n1.5: e\n1000000: f\n1e6: g\n.inf: h",
       "{\"1\":\"a\",\"16\":\"b\",\"true\":\"c\",\"false\":\"d\",\"1.5\":\"e\","
       "\"1000000\":\"f\",\"1e+06\":\"g\",\".inf\":\"h\"}");
  refused("~: a", CP_YAML_JSON_SYNTAX,
          "error converting YAML to JSON: unsupported map key of type: "
          "<nil>");
  refused("18446744073709551615: a", CP_YAML_JSON_SYNTAX,
          "error converting YAML to JSON: unsupported map key of type: "
          "uint64");
  refused("? [a]\n: b", CP_YAML_JSON_SYNTAX, NULL);
}

static void test_non_finite_refused(void **state) {
  (void)state;
  refused("a: .inf", CP_YAML_JSON_SYNTAX,
          "error converting YAML to JSON: json: unsupported value: +Inf");
  refused("a: [-.Inf]", CP_YAML_JSON_SYNTAX,
          "error converting YAML to JSON: json: unsupported value: -Inf");
  refused("a: .NaN", CP_YAML_JSON_SYNTAX,
          "error converting YAML to JSON: json: unsupported value: NaN");
  refused("a: !!int x", CP_YAML_JSON_SYNTAX,
          "error converting YAML to JSON: yaml: cannot decode !!str `x` as "
          "a !!int");
}

static void test_anchors_and_merges(void **state) {
  (void)state;
  conv("a: &x {p: 1, q: [2]}\nb: *x\nc: &s str\nd: *s",
       "{\"a\":{\"p\":1,\"q\":[2]},\"b\":{\"p\":1,\"q\":[2]},\"c\":\"str\","
       "\"d\":\"str\"}");
  /* Merge keys: the merged map's pairs, then explicit ones over them; in
   * a list, earlier maps win. */
  conv("base: &b {p: 1, q: 2}\nm:\n  <<: *b\n  q: 3",
       "{\"base\":{\"p\":1,\"q\":2},\"m\":{\"p\":1,\"q\":3}}");
  conv("a: &a {k: a, i: 1}\nb: &b {k: b, j: 2}\nm: {<<: [*a, *b]}",
       "{\"a\":{\"k\":\"a\",\"i\":1},\"b\":{\"k\":\"b\",\"j\":2},"
       "\"m\":{\"k\":\"a\",\"j\":2,\"i\":1}}");
  /* A quoted "<<" is an ordinary key. */
  conv("'<<': 1", "{\"<<\":1}");
  refused("m: {<<: 1}", CP_YAML_JSON_SYNTAX,
          "error converting YAML to JSON: yaml: map merge requires map or "
          "sequence of maps as the value");
  refused("a: *nope", CP_YAML_JSON_SYNTAX,
          "error converting YAML to JSON: yaml: unknown anchor 'nope' "
          "referenced");
  refused("a: &r [1, *r]", CP_YAML_JSON_SYNTAX,
          "error converting YAML to JSON: yaml: anchor 'r' value contains "
          "itself");
}

/* A copy of the tree, not a shared object: changing one use of an alias
 * leaves the others alone (the server edits metadata in place). */
static void test_alias_copies(void **state) {
  json_object *o = NULL, *a, *b;
  char *err = NULL;
  int line;
  const char *s = "a: &x {p: 1}\nb: *x";

  (void)state;
  assert_int_equal(cp_yaml_json_parse(s, strlen(s), NULL, &o, NULL, &err,
                                      &line),
                   CP_YAML_JSON_OK);
  assert_true(json_object_object_get_ex(o, "a", &a));
  assert_true(json_object_object_get_ex(o, "b", &b));
  assert_ptr_not_equal(a, b);
  json_object_object_add(a, "p", json_object_new_int(9));
  assert_string_equal(json_object_to_json_string_ext(b, OUT), "{\"p\":1}");
  json_object_put(o);
}

/* go-yaml's line rule: a scanner error names the line after its 0-based
 * mark, a parser error the mark's own number. */
static void test_syntax_errors(void **state) {
  json_object *o = NULL;
  char *err = NULL;
  int line = 0;
  const char *s = "a: 1\nb: c: d\n";

  (void)state;
  assert_int_equal(cp_yaml_json_parse(s, strlen(s), NULL, &o, NULL, &err,
                                      &line),
                   CP_YAML_JSON_SYNTAX);
  assert_string_equal(err, "error converting YAML to JSON: yaml: line 2: "
                           "mapping values are not allowed in this context");
  assert_int_equal(line, 2);
  free(err);
  refused("a: 1\n\tb: 2\n", CP_YAML_JSON_SYNTAX,
          "error converting YAML to JSON: yaml: line 2: found character "
          "that cannot start any token");
  refused("a:\n  - 1\n b: 2\n", CP_YAML_JSON_SYNTAX,
          "error converting YAML to JSON: yaml: line 2: did not find "
          "expected key");
  refused("a: [1, 2\n", CP_YAML_JSON_SYNTAX, NULL);
  refused("a: \"x\xff\"", CP_YAML_JSON_SYNTAX,
          "error converting YAML to JSON: yaml: invalid leading UTF-8 octet");
}

static void test_duplicates(void **state) {
  struct cp_json_strict_dups d = {0};
  json_object *o = NULL, *v;
  char *err = NULL;
  int line;
  const char *s = "metadata:\n  name: a\n  name: b\nspec:\n  c:\n  - n: 1\n"
                  "  - k: 2\n    k: 3\n";

  (void)state;
  assert_int_equal(cp_yaml_json_parse(s, strlen(s), NULL, &o, &d, &err,
                                      &line),
                   CP_YAML_JSON_OK);
  assert_int_equal(d.total, 2);
  assert_string_equal(d.paths[0], "metadata.name");
  assert_string_equal(d.paths[1], "spec.c[1].k");
  json_object_object_get_ex(o, "metadata", &v);
  assert_string_equal(json_object_to_json_string_ext(v, OUT),
                      "{\"name\":\"b\"}");
  cp_json_strict_dups_clear(&d);
  json_object_put(o);
}

static void test_limits(void **state) {
  char deep[300];
  json_object *o = NULL;
  char *err = NULL;
  int line;
  struct cp_yaml_json_limits lim = cp_yaml_json_default_limits;
  const char *laughs =
      "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
      "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
      "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";

  (void)state;
  memset(deep, '[', 100);
  memset(deep + 100, ']', 100);
  deep[200] = '\0';
  refused(deep, CP_YAML_JSON_LIMIT,
          "error converting YAML to JSON: yaml: exceeded max depth of 64");
  assert_int_equal(cp_yaml_json_parse(deep + 36, 128, NULL, &o, NULL, &err,
                                      &line),
                   CP_YAML_JSON_OK);
  json_object_put(o);
  refused(laughs, CP_YAML_JSON_LIMIT,
          "error converting YAML to JSON: yaml: document contains "
          "excessive aliasing");
  lim.max_anchors = 2;
  assert_int_equal(cp_yaml_json_parse("[&a 1, &b 2, &c 3]", 18, &lim, &o,
                                      NULL, &err, &line),
                   CP_YAML_JSON_LIMIT);
  free(err);
}

/* Bytes after a NUL, and NULs inside strings, never cut a value short. */
static void test_nul(void **state) {
  json_object *o = NULL;
  char *err = NULL;
  int line;

  (void)state;
  assert_int_equal(cp_yaml_json_parse("a: \"x\\0y\"", 9, NULL, &o, NULL,
                                      &err, &line),
                   CP_YAML_JSON_OK);
  assert_string_equal(json_object_to_json_string_ext(o, OUT),
                      "{\"a\":\"x\\u0000y\"}");
  json_object_put(o);
  refused("\"a\\0b\": 1", CP_YAML_JSON_SYNTAX, NULL);
  /* A raw NUL is a control character, not the end of the input. */
  assert_int_equal(cp_yaml_json_parse("a: 1\0b: 2", 9, NULL, &o, NULL, &err,
                                      &line),
                   CP_YAML_JSON_SYNTAX);
  assert_string_equal(err, "error converting YAML to JSON: yaml: control "
                           "characters are not allowed");
  free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scalars),
      cmocka_unit_test(test_keys),
      cmocka_unit_test(test_non_finite_refused),
      cmocka_unit_test(test_anchors_and_merges),
      cmocka_unit_test(test_alias_copies),
      cmocka_unit_test(test_syntax_errors),
      cmocka_unit_test(test_duplicates),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_nul),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
