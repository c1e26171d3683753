/*
 * Unit tests for the OpenAPI v3 value keywords of host/apiserver/schema
 * (pattern, minLength/maxLength in characters, min/maxItems,
 * min/maxProperties, minimum/maximum with exclusive bounds, multipleOf,
 * uniqueItems, enum, format, allOf/anyOf/oneOf/not) with
 * kube-apiserver's messages; schema_pattern's RE2 semantics over PCRE2
 * (what RE2 refuses, what the two read differently, a catastrophic
 * pattern answered at once); schema_format's formats; CRD validation of
 * patterns and printer columns; printer_columns' cells and categories.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "apiserver/crd.h"
#include "apiserver/printer_columns.h"
#include "apiserver/schema.h"
#include "apiserver/schema_format.h"
#include "apiserver/schema_pattern.h"

static json_object *parse(const char *text) {
  json_object *o = json_tokener_parse(text);

  if (o == NULL)
    fail_msg("bad fixture: %s", text);
  return o;
}

static struct cp_schema_doc *compile_text(const char *text) {
  json_object *j = parse(text);
  char *err = NULL;
  struct cp_schema_doc *d = cp_schema_doc_compile(j, &err);

  json_object_put(j);
  if (d == NULL)
    fail_msg("schema refused: %s", err);
  return d;
}

/* Validates object text against the schema {"type":"object",
 * "properties":{"spec":{"type":"object","properties":{PROPS}}}} and
 * checks the errors: "field|reason|message" each, in order. */
static void expect(const char *props, const char *object, size_t n, ...) {
  char *schema = NULL;
  struct cp_schema_doc *d;
  struct cp_schema_result r = {0};
  json_object *o = parse(object);
  va_list ap;
  size_t i;

  assert_true(asprintf(&schema,
                       "{\"type\":\"object\",\"properties\":{\"spec\":"
                       "{\"type\":\"object\",\"properties\":{%s}}}}",
                       props) > 0);
  d = compile_text(schema);
  cp_schema_validate(cp_schema_doc_root(d), o, &r);
  if (r.n_errors != n)
    for (i = 0; i < r.n_errors; i++)
      print_message("got %s|%s|%s\n", r.errors[i].field, r.errors[i].reason,
                    r.errors[i].message);
  assert_int_equal(r.n_errors, n);
  va_start(ap, n);
  for (i = 0; i < n; i++) {
    char *want = NULL;

    assert_true(asprintf(&want, "%s|%s|%s", r.errors[i].field,
                         r.errors[i].reason, r.errors[i].message) > 0);
    assert_string_equal(want, va_arg(ap, const char *));
    free(want);
  }
  va_end(ap);
  cp_schema_result_clear(&r);
  cp_schema_doc_free(d);
  json_object_put(o);
  free(schema);
}

static void test_strings(void **state) {
  const char *props = "\"name\":{\"type\":\"string\",\"pattern\":"
                      "\"^[a-z]+$\",\"minLength\":2,\"maxLength\":5}";

  (void)state;
  expect(props, "{\"spec\":{\"name\":\"abc\"}}", 0);
  expect(props, "{\"spec\":{\"name\":\"A_B\"}}", 1,
         "spec.name|FieldValueInvalid|Invalid value: \"A_B\": spec.name in "
         "body should match '^[a-z]+$'");
  expect(props, "{\"spec\":{\"name\":\"a\"}}", 1,
         "spec.name|FieldValueInvalid|Invalid value: \"a\": spec.name in "
         "body should be at least 2 chars long");
  expect(props, "{\"spec\":{\"name\":\"abcdefG\"}}", 2,
         "spec.name|FieldValueTooLong|Too long: may not be longer than 5",
         "spec.name|FieldValueInvalid|Invalid value: \"abcdefG\": spec.name "
         "in body should match '^[a-z]+$'");
  /* Characters, not bytes: five two-byte letters fit maxLength 5. */
  expect("\"n\":{\"type\":\"string\",\"maxLength\":5,\"pattern\":\"^.{5}$\"}",
         "{\"spec\":{\"n\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}}",
         0);
  expect("\"x\":{\"type\":\"string\",\"minLength\":1}", "{\"spec\":{\"x\":\"\"}}",
         1,
         "spec.x|FieldValueInvalid|Invalid value: \"\": spec.x in body should "
         "be at least 1 chars long");
  /* maxLength is a count as minLength is: one no integer holds (found by
   * fuzz_schema: it was cast from a double, UBSan's abort) or a negative
   * one refuses the schema. */
  {
    static const char *const bad[] = {"1e3082", "-1", "2.5", "\"5\""};
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      char *text = NULL, *err = NULL;
      json_object *j;

      assert_true(asprintf(&text, "{\"type\":\"object\",\"properties\":{"
                                  "\"a\":{\"anyOf\":[{\"maxLength\":%s}]}}}",
                           bad[i]) > 0);
      j = parse(text);
      assert_null(cp_schema_doc_compile(j, &err));
      assert_non_null(strstr(err, "maxLength: must be a non-negative "
                                  "integer"));
      free(err);
      free(text);
      json_object_put(j);
    }
  }
}

static void test_numbers(void **state) {
  const char *props =
      "\"r\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10,"
      "\"exclusiveMaximum\":true},"
      "\"f\":{\"type\":\"number\",\"multipleOf\":0.5,\"minimum\":0,"
      "\"exclusiveMinimum\":true},"
      "\"big\":{\"type\":\"integer\",\"maximum\":1000000}";

  (void)state;
  expect(props, "{\"spec\":{\"r\":9,\"f\":1.5,\"big\":1000000}}", 0);
  expect(props, "{\"spec\":{\"r\":10,\"f\":0,\"big\":1000001}}", 3,
         "spec.r|FieldValueInvalid|Invalid value: 10: spec.r in body should "
         "be less than 10",
         "spec.f|FieldValueInvalid|Invalid value: 0: spec.f in body should "
         "be greater than 0",
         "spec.big|FieldValueInvalid|Invalid value: 1000001: spec.big in "
         "body should be less than or equal to 1e+06");
  expect(props, "{\"spec\":{\"r\":0,\"f\":1.25}}", 2,
         "spec.r|FieldValueInvalid|Invalid value: 0: spec.r in body should "
         "be greater than or equal to 1",
         "spec.f|FieldValueInvalid|Invalid value: 1.25: spec.f in body "
         "should be a multiple of 0.5");
}

static void test_arrays_and_objects(void **state) {
  const char *props =
      "\"l\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
      "\"minItems\":1,\"maxItems\":2,\"uniqueItems\":true},"
      "\"o\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
      "\"x-kubernetes-preserve-unknown-fields\":true},\"uniqueItems\":true},"
      "\"m\":{\"type\":\"object\",\"additionalProperties\":{\"type\":"
      "\"integer\"},\"minProperties\":1,\"maxProperties\":2}";

  (void)state;
  expect(props,
         "{\"spec\":{\"l\":[\"a\",\"b\"],\"o\":[{\"a\":1,\"b\":2},{\"a\":1}],"
         "\"m\":{\"a\":1}}}",
         0);
  expect(props, "{\"spec\":{\"l\":[\"a\",\"b\",\"a\"],\"m\":{}}}", 3,
         "spec.l|FieldValueTooMany|Too many: 3: must have at most 2 items",
         "spec.l|FieldValueInvalid|Invalid value: \"\": spec.l in body "
         "shouldn't contain duplicates",
         "spec.m|FieldValueInvalid|Invalid value: 0: spec.m in body should "
         "have at least 1 properties");
  /* Objects equal whatever their member order; 1 and 1.0 are one
   * number (Go decodes both to the same value). */
  expect(props,
         "{\"spec\":{\"l\":[],\"o\":[{\"a\":1,\"b\":2},{\"b\":2.0,\"a\":1}],"
         "\"m\":{\"a\":1,\"b\":2,\"c\":3}}}",
         3,
         "spec.l|FieldValueInvalid|Invalid value: 0: spec.l in body should "
         "have at least 1 items",
         "spec.o|FieldValueInvalid|Invalid value: \"\": spec.o in body "
         "shouldn't contain duplicates",
         "spec.m|FieldValueTooMany|Too many: 3: must have at most 2 items");
}

static void test_enum_and_formats(void **state) {
  const char *props =
      "\"e\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"]},"
      "\"t\":{\"type\":\"string\",\"format\":\"date-time\"},"
      "\"d\":{\"type\":\"string\",\"format\":\"date\"},"
      "\"u\":{\"type\":\"string\",\"format\":\"uuid\"},"
      "\"b\":{\"type\":\"string\",\"format\":\"byte\"},"
      "\"q\":{\"type\":\"string\",\"format\":\"quantity\"}";

  (void)state;
  expect(props,
         "{\"spec\":{\"e\":\"a\",\"t\":\"2024-02-29T10:00:00.5Z\","
         "\"d\":\"2024-02-29\",\"u\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
         "\"b\":\"aGk=\",\"q\":\"anything\"}}",
         0);
  expect(props,
         "{\"spec\":{\"e\":\"c\",\"t\":\"2024-02-29 10:00\",\"d\":"
         "\"2023-02-29\",\"u\":\"x\",\"b\":\"aGk\"}}",
         5,
         "spec.e|FieldValueNotSupported|Unsupported value: \"c\": supported "
         "values: \"a\", \"b\"",
         "spec.t|FieldValueTypeInvalid|Invalid value: \"2024-02-29 10:00\": "
         "spec.t in body must be of type date-time: \"2024-02-29 10:00\"",
         "spec.d|FieldValueTypeInvalid|Invalid value: \"2023-02-29\": spec.d "
         "in body must be of type date: \"2023-02-29\"",
         "spec.u|FieldValueTypeInvalid|Invalid value: \"x\": spec.u in body "
         "must be of type uuid: \"x\"",
         "spec.b|FieldValueTypeInvalid|Invalid value: \"aGk\": spec.b in "
         "body must be of type byte: \"aGk\"");
}

static void test_format_table(void **state) {
  static const struct {
    const char *format, *value;
    int ok;
  } cases[] = {
      {"ipv4", "10.0.0.1", 1},          {"ipv4", "10.0.0.256", 0},
      {"ipv4", "010.0.0.1", 1},         {"ipv6", "fe80::1", 1},
      {"ipv6", "10.0.0.1", 0},          {"cidr", "10.0.0.0/8", 1},
      {"cidr", "10.0.0.0/33", 0},       {"cidr", "fd00::/64", 1},
      {"mac", "01:23:45:67:89:ab", 1},  {"mac", "0123.4567.89ab", 1},
      {"mac", "01:23:45", 0},           {"hostname", "web.example.com", 1},
      {"hostname", "-bad", 0},          {"email", "a@example.com", 1},
      {"email", "nobody", 0},           {"uri", "https://x.io/a", 1},
      {"uri", "not a uri", 0},          {"duration", "1h30m", 1},
      {"duration", "3 days", 1},        {"duration", "forever", 0},
      {"hexcolor", "#a0f", 1},          {"hexcolor", "#a0", 0},
      {"rgbcolor", "rgb(1, 2, 255)", 1}, {"rgbcolor", "rgb(256,0,0)", 0},
      {"uuid4", "0f8fad5b-d9cb-469f-a165-70867728950e", 1},
      {"uuid3", "0f8fad5b-d9cb-469f-a165-70867728950e", 0},
      {"bsonobjectid", "507f1f77bcf86cd799439011", 1},
      {"password", "", 1},              {"int32", "x", 1},
      {"datetime", "2024-01-01T00:00:00+01:00", 1},
      {"date-time", "2024-01-01T24:00:00Z", 0},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (cp_format_valid(cases[i].format, cases[i].value,
                        strlen(cases[i].value)) != cases[i].ok)
      fail_msg("format %s, %s: want %d", cases[i].format, cases[i].value,
               cases[i].ok);
  assert_true(cp_format_known("date-time"));
  assert_false(cp_format_known("int32"));
}

static void test_junctors(void **state) {
  const char *props =
      "\"o\":{\"type\":\"string\",\"oneOf\":[{\"pattern\":\"^a\"},"
      "{\"pattern\":\"b$\"}]},"
      "\"a\":{\"type\":\"string\",\"anyOf\":[{\"minLength\":3},"
      "{\"pattern\":\"^z\"}]},"
      "\"n\":{\"type\":\"integer\",\"not\":{\"minimum\":5}},"
      "\"l\":{\"type\":\"integer\",\"allOf\":[{\"minimum\":5},"
      "{\"maximum\":7}]}";

  (void)state;
  expect(props, "{\"spec\":{\"o\":\"ax\",\"a\":\"z\",\"n\":4,\"l\":6}}", 0);
  expect(props, "{\"spec\":{\"o\":\"ab\",\"a\":\"q\",\"n\":6,\"l\":9}}", 6,
         "<nil>|FieldValueInvalid|Invalid value: \"\": \"spec.o\" must "
         "validate one and only one schema (oneOf). Found 2 valid "
         "alternatives",
         "<nil>|FieldValueInvalid|Invalid value: \"\": \"spec.a\" must "
         "validate at least one schema (anyOf)",
         "spec.a|FieldValueInvalid|Invalid value: \"q\": spec.a in body "
         "should be at least 3 chars long",
         "<nil>|FieldValueInvalid|Invalid value: \"\": \"spec.n\" must not "
         "validate the schema (not)",
         "spec.l|FieldValueInvalid|Invalid value: 9: spec.l in body should "
         "be less than or equal to 7",
         "<nil>|FieldValueInvalid|Invalid value: \"\": \"spec.l\" must "
         "validate all the schemas (allOf)");
  /* kube adds the errors of the branch that failed least. */
  expect(props, "{\"spec\":{\"o\":\"x\"}}", 2,
         "<nil>|FieldValueInvalid|Invalid value: \"\": \"spec.o\" must "
         "validate one and only one schema (oneOf). Found none valid",
         "spec.o|FieldValueInvalid|Invalid value: \"x\": spec.o in body "
         "should match '^a'");
}

/* Nested anyOf multiplies the work per level; the walk is bounded. */
static void test_junctor_explosion_bounded(void **state) {
  char *s = strdup("{\"type\":\"string\",\"minLength\":99}"), *next;
  struct cp_schema_doc *d;
  struct cp_schema_result r = {0};
  json_object *o = parse("\"x\"");
  clock_t start = clock();
  int i;

  (void)state;
  for (i = 0; i < 40; i++) {
    assert_true(asprintf(&next, "{\"anyOf\":[%s,%s]}", s, s) > 0);
    free(s);
    s = next;
    if (strlen(s) > 4000) /* the same node twice is enough to explode */
      break;
  }
  d = compile_text(s);
  cp_schema_validate(cp_schema_doc_root(d), o, &r);
  assert_true(r.n_errors > 0);
  assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 20);
  cp_schema_result_clear(&r);
  cp_schema_doc_free(d);
  json_object_put(o);
  free(s);
}

static void expect_compile_error(const char *pattern, const char *err_want) {
  char *err = NULL;
  struct cp_pattern *p = cp_pattern_compile(pattern, &err);

  if (p != NULL)
    fail_msg("pattern %s compiled", pattern);
  assert_non_null(err);
  assert_string_equal(err, err_want);
  free(err);
}

static int matches(const char *pattern, const char *s) {
  char *err = NULL;
  struct cp_pattern *p = cp_pattern_compile(pattern, &err);
  int m;

  if (p == NULL)
    fail_msg("pattern %s refused: %s", pattern, err);
  m = cp_pattern_match(p, s, strlen(s));
  cp_pattern_free(p);
  return m;
}

static void test_pattern_re2(void **state) {
  (void)state;
  expect_compile_error("(?=a)b", "error parsing regexp: invalid or "
                                 "unsupported Perl syntax: `(?=`");
  expect_compile_error("(?<!a)b", "error parsing regexp: invalid or "
                                  "unsupported Perl syntax: `(?<`");
  expect_compile_error("(a)\\1", "error parsing regexp: invalid escape "
                                 "sequence: `\\1`");
  expect_compile_error("a{1001}", "error parsing regexp: invalid repeat "
                                  "count: `{1001}`");
  expect_compile_error("a*+", "error parsing regexp: invalid nested "
                              "repetition operator: `*+`");
  expect_compile_error("a\\Z", "error parsing regexp: invalid escape "
                               "sequence: `\\Z`");
  expect_compile_error("(?>a)", "error parsing regexp: invalid or "
                                "unsupported Perl syntax: `(?>`");
  expect_compile_error("a\\", "error parsing regexp: trailing backslash at "
                              "end of expression: ``");
  /* What RE2 takes. */
  assert_int_equal(matches("(?i)^abc$", "ABC"), 1);
  assert_int_equal(matches("^(?P<x>a)(?:b)+$", "abb"), 1);
  assert_int_equal(matches("^\\Qa.b\\E$", "a.b"), 1);
  assert_int_equal(matches("^\\Qa.b\\E$", "axb"), 0);
  assert_int_equal(matches("^[[:alpha:]]+$", "abc"), 1);
  assert_int_equal(matches("^\\p{Greek}+$", "\xce\xb1\xce\xb2"), 1);
  /* Where PCRE2 would read the text differently from RE2. */
  assert_int_equal(matches("^a$", "a\n"), 0);      /* $ is the end */
  assert_int_equal(matches("^\\d$", "\xd9\xa3"), 0); /* \d is ASCII */
  assert_int_equal(matches("^\\v$", "\x0b"), 1);   /* \v is VT */
  assert_int_equal(matches("^\\v$", "\n"), 0);
  assert_int_equal(matches("^\\101$", "A"), 1);    /* octal */
  assert_int_equal(matches("^.$", "\xc3\xa9"), 1); /* . is a character */
  assert_int_equal(matches("b", "abc"), 1);        /* unanchored */
  assert_int_equal(matches("^$", ""), 1);
}

static void test_pattern_catastrophic(void **state) {
  char subject[20001];
  struct timespec a, b;
  double ms;

  (void)state;
  memset(subject, 'a', sizeof subject - 2);
  subject[sizeof subject - 2] = '!';
  subject[sizeof subject - 1] = '\0';
  clock_gettime(CLOCK_MONOTONIC, &a);
  assert_int_equal(matches("^(a+)+$", subject), -1); /* past both */
  assert_int_equal(matches("^(a|aa)+$", subject), 0);
  assert_int_equal(matches("^(a*)*b", subject), 0);
  subject[sizeof subject - 2] = 'a';
  assert_int_equal(matches("^(a+)+$", subject), 1);
  clock_gettime(CLOCK_MONOTONIC, &b);
  ms = (double)(b.tv_sec - a.tv_sec) * 1e3 +
       (double)(b.tv_nsec - a.tv_nsec) / 1e6;
  print_message("four catastrophic matches on 20 kB: %.1f ms\n", ms);
  assert_true(ms < 2000);
}

static void expect_crd_refused(const char *versions, const char *field_want,
                               const char *msg_want) {
  char *text = NULL, *msg = NULL;
  const char *field = NULL;
  json_object *crd;

  assert_true(asprintf(&text,
                       "{\"metadata\":{\"name\":\"ws.example.com\"},"
                       "\"spec\":{\"group\":\"example.com\",\"scope\":"
                       "\"Namespaced\",\"names\":{\"plural\":\"ws\","
                       "\"kind\":\"W\"},\"versions\":[%s]}}",
                       versions) > 0);
  crd = parse(text);
  assert_int_equal(cp_crd_validate(crd, &field, &msg), -1);
  assert_string_equal(field, field_want);
  assert_string_equal(msg, msg_want);
  free(msg);
  json_object_put(crd);
  free(text);
}

static void test_crd_refuses_bad_pattern_and_columns(void **state) {
  (void)state;
  expect_crd_refused(
      "{\"name\":\"v1\",\"served\":true,\"storage\":true,\"schema\":"
      "{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{\"spec\":"
      "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"string\","
      "\"pattern\":\"(?!x)\"}}}}}}}",
      "spec.versions[0].schema.openAPIV3Schema.properties[spec]."
      "properties[n].pattern",
      "Invalid value: \"(?!x)\": must be a valid regular expression, but "
      "isn't: error parsing regexp: invalid or unsupported Perl syntax: "
      "`(?!`");
  expect_crd_refused(
      "{\"name\":\"v1\",\"served\":true,\"storage\":true,"
      "\"additionalPrinterColumns\":[{\"name\":\"A\",\"type\":\"string\","
      "\"jsonPath\":\".a\"},{\"name\":\"B\",\"type\":\"string\","
      "\"jsonPath\":\"spec.b\"}]}",
      "spec.versions[0].additionalPrinterColumns[1].jsonPath",
      "Invalid value: \"spec.b\": must be a simple json path starting with "
      ".");
  expect_crd_refused(
      "{\"name\":\"v1\",\"served\":true,\"storage\":true,"
      "\"additionalPrinterColumns\":[{\"name\":\"A\",\"type\":\"float\","
      "\"jsonPath\":\".a\"}]}",
      "spec.versions[0].additionalPrinterColumns[0].type",
      "Unsupported value: must be one of \"boolean\", \"date\", "
      "\"integer\", \"number\", \"string\"");
}

static void test_printer_columns(void **state) {
  static const struct cp_resource_type t = {
      "example.com", "v1", "ws", "w", "W", "WList", 1, {NULL}, 0, 0};
  static const struct cp_resource_type other = {
      "example.com", "v1", "zs", "z", "Z", "ZList", 1, {NULL}, 0, 0};
  json_object *cols = parse(
      "[{\"name\":\"Ready\",\"type\":\"string\",\"jsonPath\":"
      "\".status.conditions[?(@.type==\\\"Ready\\\")].status\"},"
      "{\"name\":\"Replicas\",\"type\":\"integer\",\"jsonPath\":"
      "\".spec.replicas\"},"
      "{\"name\":\"App\",\"type\":\"string\",\"priority\":1,\"jsonPath\":"
      "\".metadata.labels.app\\\\.kubernetes\\\\.io/name\"},"
      "{\"name\":\"First\",\"type\":\"string\",\"jsonPath\":"
      "\".spec.list[0]\"},"
      "{\"name\":\"Key\",\"type\":\"boolean\",\"jsonPath\":"
      "\".spec['a.b']\"},"
      "{\"name\":\"Missing\",\"type\":\"string\",\"jsonPath\":\".spec.no\"},"
      "{\"name\":\"Age\",\"type\":\"date\",\"jsonPath\":"
      "\".metadata.creationTimestamp\"}]");
  json_object *cats = parse("[\"all\",\"things\"]");
  json_object *obj = parse(
      "{\"metadata\":{\"name\":\"w1\",\"creationTimestamp\":"
      "\"2024-01-01T00:00:00Z\",\"labels\":{\"app.kubernetes.io/name\":"
      "\"web\"}},\"spec\":{\"replicas\":3,\"list\":[\"x\",\"y\"],"
      "\"a.b\":true},\"status\":{\"conditions\":[{\"type\":\"Other\","
      "\"status\":\"False\"},{\"type\":\"Ready\",\"status\":\"True\"}]}}");
  json_object *defs, *cells, *entry = json_object_new_object();
  long long now = 1704067200 + 300; /* five minutes later */

  (void)state;
  assert_int_equal(cp_printer_columns_set(&t, cols, cats), 0);
  defs = cp_printer_columns_definitions(&t);
  assert_non_null(defs);
  assert_int_equal(json_object_array_length(defs), 8);
  assert_string_equal(json_object_get_string(json_object_object_get(
                          json_object_array_get_idx(defs, 0), "format")),
                      "name");
  assert_int_equal(json_object_get_int(json_object_object_get(
                       json_object_array_get_idx(defs, 3), "priority")),
                   1);
  cells = cp_printer_columns_cells(&t, obj, now);
  assert_string_equal(
      json_object_to_json_string_ext(cells, JSON_C_TO_STRING_PLAIN),
      "[\"w1\",\"True\",3,\"web\",\"x\",true,null,\"5m\"]");
  cp_printer_columns_add_categories(&t, entry);
  assert_string_equal(
      json_object_to_json_string_ext(entry, JSON_C_TO_STRING_PLAIN),
      "{\"categories\":[\"all\",\"things\"]}");
  /* An integer column holding a number no int64 holds shows it as it
   * is (it was converted anyway: undefined behaviour); a fraction is
   * cut. */
  {
    json_object *big = parse("{\"metadata\":{\"name\":\"w2\"},\"spec\":"
                             "{\"replicas\":1e300,\"list\":[]}}");
    json_object *c = cp_printer_columns_cells(&t, big, now);

    assert_non_null(c);
    assert_true(json_object_is_type(json_object_array_get_idx(c, 2),
                                    json_type_double));
    json_object_put(c);
    json_object_object_add(json_object_object_get(big, "spec"), "replicas",
                           json_object_new_double(2.7));
    c = cp_printer_columns_cells(&t, big, now);
    assert_int_equal(json_object_get_int(json_object_array_get_idx(c, 2)),
                     2);
    assert_true(json_object_is_type(json_object_array_get_idx(c, 2),
                                    json_type_int));
    json_object_put(c);
    json_object_put(big);
  }
  /* A type without its own columns: the caller's default. */
  assert_null(cp_printer_columns_definitions(&other));
  assert_null(cp_printer_columns_cells(&other, obj, now));
  /* Set again without columns: back to the default. */
  assert_int_equal(cp_printer_columns_set(&t, NULL, NULL), 0);
  assert_null(cp_printer_columns_definitions(&t));
  json_object_put(defs);
  json_object_put(cells);
  json_object_put(entry);
  json_object_put(cols);
  json_object_put(cats);
  json_object_put(obj);
}

/* Request threads render rows and match patterns while a CRD is
 * registered again and again (TSan checks the sharing). */
static const struct cp_resource_type race_type = {
    "example.com", "v1", "races", "race", "Race", "RaceList", 1, {NULL},
    0, 0};
static struct cp_pattern *race_pattern;

static void *race_reader(void *arg) {
  json_object *obj = parse("{\"metadata\":{\"name\":\"r\"},\"spec\":"
                           "{\"n\":1}}");
  int i;

  (void)arg;
  for (i = 0; i < 2000; i++) {
    json_object *c = cp_printer_columns_cells(&race_type, obj, 0);
    json_object *d = cp_printer_columns_definitions(&race_type);

    json_object_put(c);
    json_object_put(d);
    if (cp_pattern_match(race_pattern, "abc", 3) != 1)
      fail_msg("shared pattern did not match");
  }
  json_object_put(obj);
  return NULL;
}

static void test_concurrent_use(void **state) {
  json_object *cols = parse("[{\"name\":\"N\",\"type\":\"integer\","
                            "\"jsonPath\":\".spec.n\"}]");
  pthread_t th[3];
  char *err = NULL;
  int i;

  (void)state;
  race_pattern = cp_pattern_compile("^[a-c]+$", &err);
  assert_non_null(race_pattern);
  for (i = 0; i < 3; i++)
    assert_int_equal(pthread_create(&th[i], NULL, race_reader, NULL), 0);
  for (i = 0; i < 500; i++)
    assert_int_equal(cp_printer_columns_set(&race_type,
                                            i % 2 ? cols : NULL, NULL),
                     0);
  for (i = 0; i < 3; i++)
    pthread_join(th[i], NULL);
  cp_pattern_free(race_pattern);
  json_object_put(cols);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strings),
      cmocka_unit_test(test_numbers),
      cmocka_unit_test(test_arrays_and_objects),
      cmocka_unit_test(test_enum_and_formats),
      cmocka_unit_test(test_format_table),
      cmocka_unit_test(test_junctors),
      cmocka_unit_test(test_junctor_explosion_bounded),
      cmocka_unit_test(test_pattern_re2),
      cmocka_unit_test(test_pattern_catastrophic),
      cmocka_unit_test(test_crd_refuses_bad_pattern_and_columns),
      cmocka_unit_test(test_printer_columns),
      cmocka_unit_test(test_concurrent_use),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
