/*
 * Unit tests for host/apiserver/ssa: field sets and their fieldsV1
 * encoding (kube's key forms and order), smd's path strings, set
 * operations, and server-side apply and Update bookkeeping as
 * structured-merge-diff behaves: atomic, set and map lists, granular
 * and atomic maps, untyped (preserve-unknown) fields, conflicts and
 * force, removal of fields no longer applied, shared ownership of one
 * value, Update operations taking fields. The apply cases are tables
 * of steps on one object; every step checks the object and who owns
 * what.
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

#include "apiserver/schema.h"
#include "apiserver/ssa/fieldset.h"
#include "apiserver/ssa/managed.h"
#include "apiserver/ssa/typed.h"

static struct json_object *parse(const char *text) {
  struct json_object *o = json_tokener_parse(text);

  if (o == NULL)
    fail_msg("bad fixture: %s", text);
  return o;
}

static const char *show(struct json_object *o) {
  return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                               JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* ------------------------------------------------------------ fieldsV1 */

static void test_fieldsv1_round_trip(void **state) {
  /* kube's order: ".", fields by name, keys, values (numbers before
   * strings), indices by number. */
  const char *text =
      "{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:a\":{},\"f:b\":{}}},"
      "\"f:spec\":{\"f:items\":{\"k:{\\\"name\\\":\\\"a\\\"}\":{\".\":{},"
      "\"f:image\":{}},\"k:{\\\"name\\\":\\\"b\\\"}\":{}},"
      "\"f:list\":{\"i:2\":{},\"i:10\":{}},"
      "\"f:set\":{\"v:2\":{},\"v:10\":{},\"v:\\\"a\\\"\":{}}}}";
  struct json_object *j = parse(text), *back;
  const char *err = NULL;
  struct cp_fieldset *s = cp_fieldset_from_json(j, &err);

  (void)state;
  assert_non_null(s);
  back = cp_fieldset_to_json(s);
  assert_string_equal(show(back), text);
  json_object_put(back);
  cp_fieldset_free(s);
  json_object_put(j);
}

static void test_fieldsv1_sorts(void **state) {
  /* Children come back in kube's order whatever order they came in;
   * k: keys are sorted inside. */
  struct json_object *j = parse(
      "{\"i:1\":{},\"v:\\\"x\\\"\":{},\"k:{\\\"protocol\\\":\\\"TCP\\\","
      "\\\"containerPort\\\":80}\":{},\"f:b\":{},\"f:a\":{}}");
  struct json_object *back;
  const char *err = NULL;
  struct cp_fieldset *s = cp_fieldset_from_json(j, &err);

  (void)state;
  assert_non_null(s);
  back = cp_fieldset_to_json(s);
  assert_string_equal(show(back),
                      "{\"f:a\":{},\"f:b\":{},"
                      "\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":"
                      "\\\"TCP\\\"}\":{},\"v:\\\"x\\\"\":{},\"i:1\":{}}");
  json_object_put(back);
  cp_fieldset_free(s);
  json_object_put(j);
}

static void test_fieldsv1_refused(void **state) {
  const char *bad[] = {"[]", "{\"x:a\":{}}", "{\"f:a\":1}",
                       "{\"f:a\":{\".\":{\"f:b\":{}}}}", "{\"k:[1]\":{}}",
                       "{\"k:{bad\":{}}", "{\"i:-1\":{}}", "{\"i:x\":{}}",
                       "{\"q\":{}}"};
  size_t i;

  (void)state;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct json_object *j = parse(bad[i]);
    const char *err = NULL;
    struct cp_fieldset *s = cp_fieldset_from_json(j, &err);

    if (s != NULL)
      fail_msg("accepted %s", bad[i]);
    assert_non_null(err);
    json_object_put(j);
  }
}

static void test_fieldsv1_bounded(void **state) {
  /* Nesting deeper than the bound is refused, not recursed into. */
  char *text = malloc(100 * 8 + 16);
  size_t i, n = 0;
  struct json_object *j;
  const char *err = NULL;

  (void)state;
  for (i = 0; i < 100; i++)
    n += (size_t)sprintf(text + n, "{\"f:a\":");
  n += (size_t)sprintf(text + n, "{}");
  for (i = 0; i < 100; i++)
    text[n++] = '}';
  text[n] = '\0';
  {
    struct json_tokener *tok = json_tokener_new_ex(200);

    j = json_tokener_parse_ex(tok, text, (int)n);
    json_tokener_free(tok);
  }
  assert_non_null(j);
  assert_null(cp_fieldset_from_json(j, &err));
  assert_string_equal(err, "fieldsV1 nests too deep");
  json_object_put(j);
  free(text);
}

static int collect(const char *path, void *arg) {
  struct json_object *a = arg;

  json_object_array_add(a, json_object_new_string(path));
  return 0;
}

static void test_paths(void **state) {
  struct json_object *j = parse(
      "{\"f:spec\":{\"f:items\":{\"k:{\\\"name\\\":\\\"a\\\",\\\"port\\\":"
      "80}\":{\".\":{},\"f:image\":{}}},\"f:set\":{\"v:\\\"x\\\"\":{}},"
      "\"f:list\":{\"i:3\":{}},\"f:replicas\":{}}}");
  struct json_object *got = json_object_new_array();
  const char *err = NULL;
  struct cp_fieldset *s = cp_fieldset_from_json(j, &err);

  (void)state;
  assert_non_null(s);
  cp_fieldset_each(s, collect, got);
  assert_string_equal(show(got),
                      "[\".spec.items[name=\\\"a\\\",port=80]\","
                      "\".spec.items[name=\\\"a\\\",port=80].image\","
                      "\".spec.list[3]\",\".spec.replicas\","
                      "\".spec.set[=\\\"x\\\"]\"]");
  json_object_put(got);
  cp_fieldset_free(s);
  json_object_put(j);
}

static struct cp_fieldset *set_of(const char *text) {
  struct json_object *j = parse(text);
  const char *err = NULL;
  struct cp_fieldset *s = cp_fieldset_from_json(j, &err);

  json_object_put(j);
  if (s == NULL)
    fail_msg("bad set %s: %s", text, err);
  return s;
}

static void assert_set(struct cp_fieldset *s, const char *want) {
  struct json_object *j = cp_fieldset_to_json(s);

  assert_string_equal(show(j), want);
  json_object_put(j);
  cp_fieldset_free(s);
}

static void test_set_operations(void **state) {
  struct cp_fieldset *a = set_of("{\"f:a\":{},\"f:b\":{\".\":{},\"f:c\":{}}}");
  struct cp_fieldset *b = set_of("{\"f:b\":{\"f:c\":{},\"f:d\":{}},\"f:e\":{}}");

  (void)state;
  assert_set(cp_fieldset_union(a, b),
             "{\"f:a\":{},\"f:b\":{\".\":{},\"f:c\":{},\"f:d\":{}},"
             "\"f:e\":{}}");
  assert_set(cp_fieldset_difference(a, b), "{\"f:a\":{},\"f:b\":{}}");
  assert_set(cp_fieldset_intersection(a, b), "{\"f:b\":{\"f:c\":{}}}");
  {
    struct cp_fieldset *d = cp_fieldset_difference(a, a);

    assert_true(cp_fieldset_empty(d));
    cp_fieldset_free(d);
  }
  cp_fieldset_free(a);
  cp_fieldset_free(b);
}

/* ------------------------------------------------------------ apply */

static const char *SCHEMA =
    "{\"type\":\"object\",\"properties\":{"
    "\"apiVersion\":{\"type\":\"string\"},\"kind\":{\"type\":\"string\"},"
    "\"metadata\":{\"type\":\"object\"},"
    "\"status\":{\"type\":\"object\",\"properties\":{"
    "\"ready\":{\"type\":\"integer\"}}},"
    "\"spec\":{\"type\":\"object\",\"properties\":{"
    "\"replicas\":{\"type\":\"integer\"},"
    "\"atomic\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"set\":{\"type\":\"array\",\"x-kubernetes-list-type\":\"set\","
    "\"items\":{\"type\":\"string\"}},"
    "\"items\":{\"type\":\"array\",\"x-kubernetes-list-type\":\"map\","
    "\"x-kubernetes-list-map-keys\":[\"name\"],\"items\":{\"type\":\"object\","
    "\"properties\":{\"name\":{\"type\":\"string\"},"
    "\"image\":{\"type\":\"string\"},"
    "\"ports\":{\"type\":\"array\",\"x-kubernetes-list-type\":\"map\","
    "\"x-kubernetes-list-map-keys\":[\"port\",\"protocol\"],"
    "\"items\":{\"type\":\"object\",\"properties\":{"
    "\"port\":{\"type\":\"integer\"},"
    "\"protocol\":{\"type\":\"string\",\"default\":\"TCP\"}}}}}}},"
    "\"merged\":{\"type\":\"array\",\"x-kubernetes-patch-merge-key\":\"name\","
    "\"x-kubernetes-patch-strategy\":\"merge\",\"items\":{\"type\":\"object\","
    "\"properties\":{\"name\":{\"type\":\"string\"},"
    "\"v\":{\"type\":\"string\"}}}},"
    "\"labels\":{\"type\":\"object\","
    "\"additionalProperties\":{\"type\":\"string\"}},"
    "\"amap\":{\"type\":\"object\",\"x-kubernetes-map-type\":\"atomic\","
    "\"additionalProperties\":{\"type\":\"string\"}},"
    "\"astruct\":{\"type\":\"object\",\"x-kubernetes-map-type\":\"atomic\","
    "\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"string\"}}},"
    "\"free\":{\"type\":\"object\","
    "\"x-kubernetes-preserve-unknown-fields\":true}}}}}";

/* One step: 'A'pply or 'U'pdate by manager of body (spec only: the
 * object is {"apiVersion":"v1","kind":"T","metadata":{"name":"x"},
 * <body>}); then the object (same wrapping; NULL: not checked) or the
 * conflict message, and the managers' fields:
 * {"manager/Operation": fieldsV1, ...} (NULL: not checked). */
struct step {
  char op;
  const char *manager;
  const char *body;
  int force;
  const char *want;
  const char *conflict;
  const char *owners;
};

struct apply_case {
  const char *name;
  struct step steps[6];
};

#define HEAD "{\"apiVersion\":\"v1\",\"kind\":\"T\",\"metadata\":{\"name\":\"x\"}"

static const struct apply_case CASES[] = {
    {"scalar conflict, force takes it",
     {{'A', "a", ",\"spec\":{\"replicas\":1}}", 0, ",\"spec\":{\"replicas\":1}}",
       NULL, "{\"a/Apply\":{\"f:spec\":{\"f:replicas\":{}}}}"},
      {'A', "b", ",\"spec\":{\"replicas\":2}}", 0, NULL,
       "Apply failed with 1 conflict: conflict with \"a\": .spec.replicas",
       NULL},
      {'A', "b", ",\"spec\":{\"replicas\":2}}", 1, ",\"spec\":{\"replicas\":2}}",
       NULL, "{\"b/Apply\":{\"f:spec\":{\"f:replicas\":{}}}}"}}},
    {"same value is shared, no conflict",
     {{'A', "a", ",\"spec\":{\"replicas\":1}}", 0, NULL, NULL, NULL},
      {'A', "b", ",\"spec\":{\"replicas\":1}}", 0, ",\"spec\":{\"replicas\":1}}",
       NULL,
       "{\"a/Apply\":{\"f:spec\":{\"f:replicas\":{}}},"
       "\"b/Apply\":{\"f:spec\":{\"f:replicas\":{}}}}"},
      /* a stops applying it: b still owns it, it stays */
      {'A', "a", ",\"spec\":{}}", 0, ",\"spec\":{\"replicas\":1}}", NULL,
       "{\"a/Apply\":{\"f:spec\":{}},"
       "\"b/Apply\":{\"f:spec\":{\"f:replicas\":{}}}}"}}},
    {"fields no longer applied are removed",
     {{'A', "a", ",\"spec\":{\"replicas\":1,\"labels\":{\"x\":\"1\",\"y\":\"2\"}}}",
       0, NULL, NULL,
       "{\"a/Apply\":{\"f:spec\":{\"f:labels\":{\"f:x\":{},\"f:y\":{}},"
       "\"f:replicas\":{}}}}"},
      {'A', "a", ",\"spec\":{\"labels\":{\"x\":\"1\"}}}", 0,
       ",\"spec\":{\"labels\":{\"x\":\"1\"}}}", NULL,
       "{\"a/Apply\":{\"f:spec\":{\"f:labels\":{\"f:x\":{}}}}}"}}},
    {"atomic list: replaced whole, one leaf",
     {{'A', "a", ",\"spec\":{\"atomic\":[\"x\",\"y\"]}}", 0, NULL, NULL,
       "{\"a/Apply\":{\"f:spec\":{\"f:atomic\":{}}}}"},
      {'A', "b", ",\"spec\":{\"atomic\":[\"z\"]}}", 0, NULL,
       "Apply failed with 1 conflict: conflict with \"a\": .spec.atomic",
       NULL},
      {'A', "b", ",\"spec\":{\"atomic\":[\"z\"]}}", 1,
       ",\"spec\":{\"atomic\":[\"z\"]}}", NULL,
       "{\"b/Apply\":{\"f:spec\":{\"f:atomic\":{}}}}"}}},
    {"set list: values owned one by one",
     {{'A', "a", ",\"spec\":{\"set\":[\"x\",\"y\"]}}", 0, NULL, NULL,
       "{\"a/Apply\":{\"f:spec\":{\"f:set\":{\"v:\\\"x\\\"\":{},"
       "\"v:\\\"y\\\"\":{}}}}}"},
      {'A', "b", ",\"spec\":{\"set\":[\"y\",\"z\"]}}", 0,
       ",\"spec\":{\"set\":[\"x\",\"y\",\"z\"]}}", NULL, NULL},
      {'A', "a", ",\"spec\":{\"set\":[]}}", 0,
       ",\"spec\":{\"set\":[\"y\",\"z\"]}}", NULL,
       "{\"a/Apply\":{\"f:spec\":{\"f:set\":{}}},"
       "\"b/Apply\":{\"f:spec\":{\"f:set\":{\"v:\\\"y\\\"\":{},"
       "\"v:\\\"z\\\"\":{}}}}}"}}},
    {"map list: items merged by key, key defaults, per-item conflicts",
     {{'A', "a",
       ",\"spec\":{\"items\":[{\"name\":\"c1\",\"image\":\"i1\","
       "\"ports\":[{\"port\":80}]}]}}",
       0, NULL, NULL,
       "{\"a/Apply\":{\"f:spec\":{\"f:items\":{\"k:{\\\"name\\\":\\\"c1\\\"}\":"
       "{\".\":{},\"f:image\":{},\"f:name\":{},\"f:ports\":{"
       "\"k:{\\\"port\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\".\":{},"
       "\"f:port\":{}}}}}}}}"},
      {'A', "b", ",\"spec\":{\"items\":[{\"name\":\"c2\",\"image\":\"i2\"}]}}",
       0,
       ",\"spec\":{\"items\":[{\"name\":\"c1\",\"image\":\"i1\","
       "\"ports\":[{\"port\":80}]},{\"name\":\"c2\",\"image\":\"i2\"}]}}",
       NULL, NULL},
      {'A', "b", ",\"spec\":{\"items\":[{\"name\":\"c1\",\"image\":\"x\"}]}}",
       0, NULL,
       "Apply failed with 1 conflict: conflict with \"a\": "
       ".spec.items[name=\"c1\"].image",
       NULL},
      /* a drops its item: it goes, b's stays */
      {'A', "a", ",\"spec\":{\"items\":[]}}", 0,
       ",\"spec\":{\"items\":[{\"name\":\"c2\",\"image\":\"i2\"}]}}", NULL,
       NULL}}},
    {"merge key without list type keys the list",
     {{'A', "a", ",\"spec\":{\"merged\":[{\"name\":\"p\",\"v\":\"1\"}]}}", 0,
       NULL, NULL,
       "{\"a/Apply\":{\"f:spec\":{\"f:merged\":{\"k:{\\\"name\\\":\\\"p\\\"}\":"
       "{\".\":{},\"f:name\":{},\"f:v\":{}}}}}}"}}},
    {"granular map merges, atomic map and struct replace",
     {{'A', "a",
       ",\"spec\":{\"labels\":{\"x\":\"1\"},\"amap\":{\"x\":\"1\"},"
       "\"astruct\":{\"a\":\"1\"}}}",
       0, NULL, NULL,
       "{\"a/Apply\":{\"f:spec\":{\"f:amap\":{},\"f:astruct\":{},"
       "\"f:labels\":{\"f:x\":{}}}}}"},
      {'A', "b", ",\"spec\":{\"labels\":{\"y\":\"2\"}}}", 0,
       ",\"spec\":{\"labels\":{\"x\":\"1\",\"y\":\"2\"},\"amap\":{\"x\":\"1\"},"
       "\"astruct\":{\"a\":\"1\"}}}",
       NULL, NULL},
      {'A', "b", ",\"spec\":{\"amap\":{\"y\":\"2\"}}}", 0, NULL,
       "Apply failed with 1 conflict: conflict with \"a\": .spec.amap", NULL},
      {'A', "b", ",\"spec\":{\"labels\":{\"y\":\"2\"},\"astruct\":{\"b\":\"2\"}}}",
       1,
       ",\"spec\":{\"labels\":{\"x\":\"1\",\"y\":\"2\"},\"amap\":{\"x\":\"1\"},"
       "\"astruct\":{\"b\":\"2\"}}}",
       NULL, NULL}}},
    {"preserve-unknown fields: maps granular, lists atomic",
     {{'A', "a", ",\"spec\":{\"free\":{\"m\":{\"k\":1},\"l\":[1,2]}}}", 0, NULL,
       NULL,
       "{\"a/Apply\":{\"f:spec\":{\"f:free\":{\"f:l\":{},\"f:m\":{\".\":{},"
       "\"f:k\":{}}}}}}"}}},
    {"update takes fields and never conflicts",
     {{'A', "a", ",\"spec\":{\"replicas\":1,\"labels\":{\"x\":\"1\"}}}", 0, NULL,
       NULL, NULL},
      {'U', "u", ",\"spec\":{\"replicas\":5,\"labels\":{\"x\":\"1\"}}}", 0,
       NULL, NULL,
       "{\"a/Apply\":{\"f:spec\":{\"f:labels\":{\"f:x\":{}}}},"
       "\"u/Update\":{\"f:spec\":{\"f:replicas\":{}}}}"},
      /* now a conflicts with u */
      {'A', "a", ",\"spec\":{\"replicas\":1,\"labels\":{\"x\":\"1\"}}}", 0,
       NULL,
       "Apply failed with 1 conflict: conflict with \"u\" using v1: "
       ".spec.replicas",
       NULL},
      /* u removes the label: a loses it */
      {'U', "u", ",\"spec\":{\"replicas\":5}}", 0, NULL, NULL,
       "{\"u/Update\":{\"f:spec\":{\"f:replicas\":{}}}}"}}},
    {"several conflicts, grouped by manager",
     {{'A', "a", ",\"spec\":{\"replicas\":1,\"labels\":{\"x\":\"1\"}}}", 0, NULL,
       NULL, NULL},
      {'U', "u", ",\"spec\":{\"replicas\":1,\"labels\":{\"x\":\"1\"},"
                 "\"atomic\":[\"q\"]}}",
       0, NULL, NULL, NULL},
      {'A', "b",
       ",\"spec\":{\"replicas\":2,\"labels\":{\"x\":\"2\"},\"atomic\":[\"r\"]}}",
       0, NULL,
       "Apply failed with 3 conflicts: conflicts with \"a\":\n"
       "- .spec.labels.x\n- .spec.replicas\nconflicts with \"u\" using v1:\n"
       "- .spec.atomic",
       NULL}}},
};

static struct json_object *wrap(const char *tail) {
  char *t = NULL;
  struct json_object *o;

  assert_true(asprintf(&t, "%s%s", HEAD, tail) > 0);
  o = parse(t);
  free(t);
  return o;
}

/* {"manager/Operation": fieldsV1} of o. */
static struct json_object *owners_of(struct json_object *o) {
  struct json_object *out = json_object_new_object(), *md, *mf;
  size_t i;

  if (!json_object_object_get_ex(o, "metadata", &md) ||
      !json_object_object_get_ex(md, "managedFields", &mf))
    return out;
  for (i = 0; i < json_object_array_length(mf); i++) {
    struct json_object *e = json_object_array_get_idx(mf, i), *m, *op, *f;
    char key[128];

    assert_true(json_object_object_get_ex(e, "manager", &m));
    assert_true(json_object_object_get_ex(e, "operation", &op));
    assert_true(json_object_object_get_ex(e, "fieldsV1", &f));
    snprintf(key, sizeof key, "%s/%s", json_object_get_string(m),
             json_object_get_string(op));
    json_object_object_add(out, key, json_object_get(f));
  }
  return out;
}

static void check_step(const struct apply_case *c, size_t i,
                       struct json_object *obj) {
  const struct step *st = &c->steps[i];

  if (st->want != NULL) {
    struct json_object *copy = NULL, *md, *want = wrap(st->want);

    json_object_deep_copy(obj, &copy, NULL);
    json_object_object_get_ex(copy, "metadata", &md);
    json_object_object_del(md, "managedFields");
    if (!json_object_equal(copy, want))
      fail_msg("%s, step %zu: got %s\nwant %s", c->name, i, show(copy),
               show(want));
    json_object_put(copy);
    json_object_put(want);
  }
  if (st->owners != NULL) {
    struct json_object *got = owners_of(obj), *want = parse(st->owners);

    if (!json_object_equal(got, want))
      fail_msg("%s, step %zu: owners %s\nwant %s", c->name, i, show(got),
               show(want));
    json_object_put(got);
    json_object_put(want);
  }
}

static void run_case(const struct cp_schema *s, const struct apply_case *c) {
  struct json_object *obj = wrap("}");
  size_t i;

  for (i = 0; i < 6 && c->steps[i].op != 0; i++) {
    const struct step *st = &c->steps[i];
    struct cp_ssa_op op = {s, 0, 1, st->manager, "v1", NULL,
                           "2026-12-07T00:00:00Z"};
    struct json_object *body = wrap(st->body), *out = NULL, *md, *mf;
    struct cp_ssa_conflicts conf = {0};
    int rc;

    if (st->op == 'A') {
      rc = cp_ssa_apply(&op, obj, body, st->force, &out, &conf);
      if (st->conflict != NULL) {
        char *msg;

        if (rc != CP_SSA_ECONFLICT)
          fail_msg("%s, step %zu: no conflict", c->name, i);
        msg = cp_ssa_conflicts_message(&conf);
        if (strcmp(msg, st->conflict) != 0)
          fail_msg("%s, step %zu: conflict\n%s\nwant\n%s", c->name, i, msg,
                   st->conflict);
        free(msg);
        cp_ssa_conflicts_clear(&conf);
        json_object_put(body);
        continue;
      }
      if (rc != 0)
        fail_msg("%s, step %zu: apply %d (%zu conflicts)", c->name, i, rc,
                 conf.n);
      json_object_put(body);
      json_object_put(obj);
      obj = out;
    } else {
      /* An update sends back the managedFields it read. */
      json_object_object_get_ex(obj, "metadata", &md);
      if (json_object_object_get_ex(md, "managedFields", &mf)) {
        struct json_object *bmd;

        json_object_object_get_ex(body, "metadata", &bmd);
        json_object_object_add(bmd, "managedFields", json_object_get(mf));
      }
      assert_int_equal(cp_ssa_update(&op, obj, body), 0);
      json_object_put(obj);
      obj = body;
    }
    check_step(c, i, obj);
  }
  json_object_put(obj);
}

static void test_apply_cases(void **state) {
  char *err = NULL;
  struct cp_schema_doc *d = cp_schema_doc_parse(SCHEMA, &err);
  size_t i;

  (void)state;
  if (d == NULL)
    fail_msg("schema: %s", err);
  for (i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
    run_case(cp_schema_doc_root(d), &CASES[i]);
  cp_schema_doc_free(d);
}

/* ------------------------------------------------------------ update */

static void test_update_records_creator(void **state) {
  char *err = NULL;
  struct cp_schema_doc *d = cp_schema_doc_parse(SCHEMA, &err);
  struct cp_ssa_op op = {cp_schema_doc_root(d), 0, 1, "kubectl-create", "v1",
                         NULL, "2026-12-07T00:00:00Z"};
  struct json_object *o = wrap(",\"spec\":{\"replicas\":1,"
                               "\"items\":[{\"name\":\"a\"}]},"
                               "\"status\":{\"ready\":1}}");
  struct json_object *mf, *md;

  (void)state;
  assert_int_equal(cp_ssa_update(&op, NULL, o), 0);
  json_object_object_get_ex(o, "metadata", &md);
  assert_true(json_object_object_get_ex(md, "managedFields", &mf));
  /* status is another subresource's; the new spec is a member (an
   * untyped object has no typed zero value to come from). */
  assert_string_equal(
      show(mf),
      "[{\"manager\":\"kubectl-create\",\"operation\":\"Update\","
      "\"apiVersion\":\"v1\",\"time\":\"2026-12-07T00:00:00Z\","
      "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:spec\":{\".\":{},"
      "\"f:items\":{\".\":{},\"k:{\\\"name\\\":\\\"a\\\"}\":{\".\":{},"
      "\"f:name\":{}}},\"f:replicas\":{}}}}]");
  json_object_put(o);
  cp_schema_doc_free(d);
}

static void test_update_reset(void **state) {
  char *err = NULL;
  struct cp_schema_doc *d = cp_schema_doc_parse(SCHEMA, &err);
  struct cp_ssa_op op = {cp_schema_doc_root(d), 0, 1, "m", "v1", NULL,
                         "2026-12-07T00:00:00Z"};
  struct json_object *live = wrap(",\"spec\":{\"replicas\":1}}");
  struct json_object *next, *md;

  (void)state;
  assert_int_equal(cp_ssa_update(&op, NULL, live), 0);
  /* [{}] resets: the update changed nothing, nothing is left. */
  next = wrap(",\"spec\":{\"replicas\":1}}");
  json_object_object_get_ex(next, "metadata", &md);
  json_object_object_add(md, "managedFields", parse("[{}]"));
  assert_int_equal(cp_ssa_update(&op, live, next), 0);
  assert_false(json_object_object_get_ex(md, "managedFields", NULL));
  json_object_put(next);
  /* Without managedFields in the request, live's stay. */
  next = wrap(",\"spec\":{\"replicas\":1}}");
  assert_int_equal(cp_ssa_update(&op, live, next), 0);
  json_object_object_get_ex(next, "metadata", &md);
  assert_true(json_object_object_get_ex(md, "managedFields", NULL));
  json_object_put(next);
  json_object_put(live);
  cp_schema_doc_free(d);
}

/* At most 10 Update managers: the two oldest of 12 become one
 * "ancient-changes" entry holding both their fields. */
static void test_update_managers_capped(void **state) {
  char *err = NULL, mgr[16], now[32], text[128];
  struct cp_schema_doc *d = cp_schema_doc_parse(SCHEMA, &err);
  struct json_object *live = wrap("}"), *md, *mf;
  size_t i, n_ancient = 0;

  (void)state;
  for (i = 0; i < 12; i++) {
    struct cp_ssa_op op = {cp_schema_doc_root(d), 0, 1, mgr, "v1", NULL, now};
    struct json_object *next;

    snprintf(mgr, sizeof mgr, "m%02zu", i);
    snprintf(now, sizeof now, "2026-12-07T00:00:%02zuZ", i);
    next = NULL;
    json_object_deep_copy(live, &next, NULL);
    {
      struct json_object *spec, *labels;

      if (!json_object_object_get_ex(next, "spec", &spec)) {
        spec = json_object_new_object();
        json_object_object_add(next, "spec", spec);
      }
      if (!json_object_object_get_ex(spec, "labels", &labels)) {
        labels = json_object_new_object();
        json_object_object_add(spec, "labels", labels);
      }
      snprintf(text, sizeof text, "k%02zu", i);
      json_object_object_add(labels, text, json_object_new_string("v"));
    }
    assert_int_equal(cp_ssa_update(&op, live, next), 0);
    json_object_put(live);
    live = next;
  }
  json_object_object_get_ex(live, "metadata", &md);
  assert_true(json_object_object_get_ex(md, "managedFields", &mf));
  assert_int_equal(json_object_array_length(mf), 10);
  for (i = 0; i < 10; i++) {
    struct json_object *e = json_object_array_get_idx(mf, i), *m, *f;

    json_object_object_get_ex(e, "manager", &m);
    if (strcmp(json_object_get_string(m), "ancient-changes") != 0)
      continue;
    n_ancient++;
    json_object_object_get_ex(e, "fieldsV1", &f);
    /* m00 made spec and labels too; m01 added k01 */
    assert_non_null(strstr(show(f), "\"f:k00\""));
    assert_non_null(strstr(show(f), "\"f:k01\""));
  }
  assert_int_equal(n_ancient, 1);
  json_object_put(live);
  cp_schema_doc_free(d);
}

/* An apply's conflict message, or "" when it applied (*out kept). */
static char *apply_msg(const struct cp_ssa_op *op, struct json_object *live,
                       const char *config, int force,
                       struct json_object **out) {
  struct cp_ssa_conflicts conf = {0};
  struct json_object *cfg = parse(config);
  char *msg;
  int rc = cp_ssa_apply(op, live, cfg, force, out, &conf);

  json_object_put(cfg);
  if (rc == CP_SSA_ECONFLICT) {
    msg = cp_ssa_conflicts_message(&conf);
    cp_ssa_conflicts_clear(&conf);
    return msg;
  }
  assert_int_equal(rc, 0);
  return strdup("");
}

/* kube's lastapplied upgrade lets "kubectl" take a field of the
 * client-side apply annotation only while its live value is the
 * annotation's: replicas, changed since by "u", stays u's conflict. */
static void test_last_applied_drift(void **state) {
  char *err = NULL, *msg;
  struct cp_schema_doc *d = cp_schema_doc_parse(SCHEMA, &err);
  struct cp_ssa_op op = {NULL, 0, 1, "kubectl", "v1", NULL,
                         "2026-12-07T00:00:00Z"};
  struct json_object *live, *out = NULL;

  (void)state;
  assert_non_null(d);
  op.schema = cp_schema_doc_root(d);
  live = parse(
      "{\"apiVersion\":\"v1\",\"kind\":\"T\",\"metadata\":{\"name\":\"x\","
      "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
      "\"{\\\"apiVersion\\\":\\\"v1\\\",\\\"kind\\\":\\\"T\\\",\\\"metadata\\\":"
      "{\\\"name\\\":\\\"x\\\"},\\\"spec\\\":{\\\"replicas\\\":1,"
      "\\\"labels\\\":{\\\"x\\\":\\\"1\\\"}}}\"},"
      "\"managedFields\":[{\"manager\":\"kubectl-client-side-apply\","
      "\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":"
      "\"FieldsV1\",\"fieldsV1\":{\"f:spec\":{\"f:labels\":{\"f:x\":{}}}}},"
      "{\"manager\":\"u\",\"operation\":\"Update\",\"apiVersion\":\"v1\","
      "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:spec\":"
      "{\"f:replicas\":{}}}}]},"
      "\"spec\":{\"replicas\":5,\"labels\":{\"x\":\"1\"}}}");
  msg = apply_msg(&op, live,
                  HEAD ",\"spec\":{\"replicas\":2,\"labels\":{\"x\":\"2\"}}}",
                  0, &out);
  assert_string_equal(msg, "Apply failed with 1 conflict: conflict with "
                           "\"u\" using v1: .spec.replicas");
  free(msg);
  /* The field as live has it, and the undrifted one taken over. */
  msg = apply_msg(&op, live,
                  HEAD ",\"spec\":{\"replicas\":5,\"labels\":{\"x\":\"2\"}}}",
                  0, &out);
  assert_string_equal(msg, "");
  free(msg);
  json_object_put(out);
  /* Another manager gets no such pass. */
  op.manager = "other";
  msg = apply_msg(&op, live,
                  HEAD ",\"spec\":{\"replicas\":5,\"labels\":{\"x\":\"2\"}}}",
                  0, &out);
  assert_string_equal(msg, "Apply failed with 1 conflict: conflict with "
                           "\"kubectl-client-side-apply\" using v1: "
                           ".spec.labels.x");
  free(msg);
  json_object_put(live);
  cp_schema_doc_free(d);
}

/* An applier of /scale is its own manager (subresource "scale"): it and
 * the object's applier conflict over replicas both ways. */
static void test_scale_applier(void **state) {
  char *err = NULL, *msg;
  struct cp_schema_doc *d = cp_schema_doc_parse(SCHEMA, &err);
  struct cp_ssa_op op = {NULL, 0, 1, "a", "v1", NULL, "2026-12-07T00:00:00Z"},
                   sc = {NULL, 0, 1, "hpa", "v1", "scale",
                         "2026-12-07T00:00:01Z"};
  struct json_object *live = parse(HEAD "}"), *a = NULL, *b = NULL,
                     *c = NULL;

  (void)state;
  assert_non_null(d);
  op.schema = sc.schema = cp_schema_doc_root(d);
  msg = apply_msg(&op, live, HEAD ",\"spec\":{\"replicas\":1}}", 0, &a);
  free(msg);
  msg = apply_msg(&sc, a, HEAD ",\"spec\":{\"replicas\":3}}", 0, &b);
  assert_string_equal(msg, "Apply failed with 1 conflict: conflict with "
                           "\"a\": .spec.replicas");
  free(msg);
  msg = apply_msg(&sc, a, HEAD ",\"spec\":{\"replicas\":3}}", 1, &b);
  assert_string_equal(msg, "");
  free(msg);
  msg = apply_msg(&op, b, HEAD ",\"spec\":{\"replicas\":1}}", 0, &c);
  assert_string_equal(msg, "Apply failed with 1 conflict: conflict with "
                           "\"hpa\" with subresource \"scale\": "
                           ".spec.replicas");
  free(msg);
  assert_null(c);
  json_object_put(live);
  json_object_put(a);
  json_object_put(b);
  cp_schema_doc_free(d);
}

static void test_user_agent(void **state) {
  char buf[CP_SSA_MANAGER_MAX + 1];

  (void)state;
  cp_ssa_manager_from_user_agent(
      "kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9", buf, sizeof buf);
  assert_string_equal(buf, "kubectl");
  cp_ssa_manager_from_user_agent("Go-http-client", buf, sizeof buf);
  assert_string_equal(buf, "Go-http-client");
  cp_ssa_manager_from_user_agent(NULL, buf, sizeof buf);
  assert_string_equal(buf, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fieldsv1_round_trip),
      cmocka_unit_test(test_fieldsv1_sorts),
      cmocka_unit_test(test_fieldsv1_refused),
      cmocka_unit_test(test_fieldsv1_bounded),
      cmocka_unit_test(test_paths),
      cmocka_unit_test(test_set_operations),
      cmocka_unit_test(test_apply_cases),
      cmocka_unit_test(test_update_records_creator),
      cmocka_unit_test(test_update_reset),
      cmocka_unit_test(test_update_managers_capped),
      cmocka_unit_test(test_last_applied_drift),
      cmocka_unit_test(test_scale_applier),
      cmocka_unit_test(test_user_agent),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
