/*
 * test_protobuf - the protobuf bodies kubectl >= 1.32 sends for `create
 * namespace|configmap|secret`, built here field by field as client-go
 * encodes them, decoded into JSON; unknown kinds and malformed bodies are
 * refused with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/protobuf.h"

struct buf {
  unsigned char d[4096];
  size_t n;
};

static void put_varint(struct buf *b, uint64_t v) {
  do {
    unsigned char c = v & 0x7f;

    v >>= 7;
    b->d[b->n++] = c | (v ? 0x80 : 0);
  } while (v);
}

static void put_bytes(struct buf *b, int num, const void *p, size_t len) {
  put_varint(b, (uint64_t)num << 3 | 2);
  put_varint(b, len);
  memcpy(b->d + b->n, p, len);
  b->n += len;
}

static void put_str(struct buf *b, int num, const char *s) {
  put_bytes(b, num, s, strlen(s));
}

static void put_msg(struct buf *b, int num, const struct buf *m) {
  put_bytes(b, num, m->d, m->n);
}

static void put_entry(struct buf *b, int num, const char *k, const void *v,
                      size_t vlen) {
  struct buf e = {.n = 0};

  put_str(&e, 1, k);
  put_bytes(&e, 2, v, vlen);
  put_msg(b, num, &e);
}

/* "k8s\0" + runtime.Unknown{typeMeta, raw}. */
static struct buf envelope_gv(const char *gv, const char *kind,
                              const struct buf *raw) {
  struct buf out = {.n = 0}, tm = {.n = 0};

  memcpy(out.d, "k8s\0", 4);
  out.n = 4;
  put_str(&tm, 1, gv);
  put_str(&tm, 2, kind);
  put_msg(&out, 1, &tm);
  put_msg(&out, 2, raw);
  put_str(&out, 3, "");
  put_str(&out, 4, "application/vnd.kubernetes.protobuf");
  return out;
}

static struct buf envelope(const char *kind, const struct buf *raw) {
  return envelope_gv("v1", kind, raw);
}

static void put_varint_field(struct buf *b, int num, uint64_t v) {
  put_varint(b, (uint64_t)num << 3);
  put_varint(b, v);
}

static json_object *decode(const struct buf *b) {
  char *json = NULL;
  const char *why = NULL;
  json_object *o;

  assert_int_equal(cp_protobuf_to_json((const char *)b->d, b->n, &json, &why),
                   0);
  o = json_tokener_parse(json);
  free(json);
  assert_non_null(o);
  return o;
}

static const char *jstr(json_object *o, const char *a, const char *b) {
  json_object *v;

  if (!json_object_object_get_ex(o, a, &v))
    return NULL;
  if (b != NULL && !json_object_object_get_ex(v, b, &v))
    return NULL;
  return json_object_get_string(v);
}

static void test_namespace(void **state) {
  struct buf md = {.n = 0}, ns = {.n = 0}, e;
  json_object *o;

  (void)state;
  put_str(&md, 1, "shop");
  put_entry(&md, 11, "team", "a", 1);
  put_msg(&ns, 1, &md);
  e = envelope("Namespace", &ns);
  o = decode(&e);
  assert_string_equal(jstr(o, "kind", NULL), "Namespace");
  assert_string_equal(jstr(o, "apiVersion", NULL), "v1");
  assert_string_equal(jstr(o, "metadata", "name"), "shop");
  {
    json_object *md2, *labels;

    assert_true(json_object_object_get_ex(o, "metadata", &md2));
    assert_true(json_object_object_get_ex(md2, "labels", &labels));
    assert_string_equal(jstr(labels, "team", NULL), "a");
  }
  json_object_put(o);
  assert_true(cp_protobuf_is("application/vnd.kubernetes.protobuf"));
  assert_false(cp_protobuf_is("application/json"));
  assert_false(cp_protobuf_is(NULL));
}

static void test_configmap_and_secret(void **state) {
  struct buf md = {.n = 0}, cm = {.n = 0}, sec = {.n = 0}, e;
  json_object *o, *data;

  (void)state;
  put_str(&md, 1, "cfg");
  put_str(&md, 3, "default");
  put_msg(&cm, 1, &md);
  put_entry(&cm, 2, "a", "1", 1);
  put_entry(&cm, 2, "b", "two", 3);
  e = envelope("ConfigMap", &cm);
  o = decode(&e);
  assert_true(json_object_object_get_ex(o, "data", &data));
  assert_string_equal(jstr(data, "a", NULL), "1");
  assert_string_equal(jstr(data, "b", NULL), "two");
  assert_string_equal(jstr(o, "metadata", "namespace"), "default");
  json_object_put(o);

  put_msg(&sec, 1, &md);
  put_entry(&sec, 2, "password", "s3cr3t!", 7);
  put_entry(&sec, 2, "bin", "\x00\xff", 2);
  put_str(&sec, 3, "Opaque");
  e = envelope("Secret", &sec);
  o = decode(&e);
  assert_true(json_object_object_get_ex(o, "data", &data));
  /* bytes are base64 in JSON, padding included */
  assert_string_equal(jstr(data, "password", NULL), "czNjcjN0IQ==");
  assert_string_equal(jstr(data, "bin", NULL), "AP8=");
  assert_string_equal(jstr(o, "type", NULL), "Opaque");
  json_object_put(o);
}

static void test_refused(void **state) {
  struct buf dep = {.n = 0}, e;
  char *json = (char *)"untouched";
  const char *why = NULL;

  (void)state;
  put_str(&dep, 1, "x");
  e = envelope_gv("apps/v1", "Frobnicator", &dep);
  assert_int_equal(cp_protobuf_to_json((const char *)e.d, e.n, &json, &why),
                   -1);
  assert_null(json);
  assert_non_null(strstr(why, "no protobuf message"));
  /* No envelope, a truncated length, an empty body. */
  assert_int_equal(cp_protobuf_to_json("{\"a\":1}", 7, &json, &why), -1);
  e = envelope("Namespace", &dep);
  assert_int_equal(cp_protobuf_to_json((const char *)e.d, e.n - 40, &json,
                                       &why),
                   -1);
  assert_int_equal(cp_protobuf_to_json("", 0, &json, &why), -1);
  assert_non_null(why);
}

/* What `kubectl create deployment web --image=nginx --replicas=2
 * --port=80` sends, empty strings included as Go writes them. */
static void test_deployment(void **state) {
  struct buf md = {.n = 0}, sel = {.n = 0}, tmd = {.n = 0}, port = {.n = 0};
  struct buf c = {.n = 0}, ps = {.n = 0}, tpl = {.n = 0}, spec = {.n = 0};
  struct buf dep = {.n = 0}, e;
  json_object *o, *v;

  (void)state;
  put_str(&md, 1, "web");
  put_str(&md, 5, "");
  put_entry(&md, 11, "app", "web", 3);
  put_entry(&sel, 1, "app", "web", 3);
  put_entry(&tmd, 11, "app", "web", 3);
  put_str(&port, 1, "");
  put_varint_field(&port, 3, 80);
  put_str(&port, 4, "TCP");
  put_str(&c, 1, "nginx");
  put_str(&c, 2, "nginx:1.27");
  put_msg(&c, 6, &port);
  put_str(&c, 14, "");
  put_msg(&ps, 2, &c);
  put_str(&ps, 3, "");
  put_msg(&tpl, 1, &tmd);
  put_msg(&tpl, 2, &ps);
  put_varint_field(&spec, 1, 2);
  put_msg(&spec, 2, &sel);
  put_msg(&spec, 3, &tpl);
  put_msg(&dep, 1, &md);
  put_msg(&dep, 2, &spec);
  e = envelope_gv("apps/v1", "Deployment", &dep);
  o = decode(&e);
  assert_string_equal(jstr(o, "apiVersion", NULL), "apps/v1");
  assert_true(json_object_object_get_ex(o, "spec", &v));
  {
    json_object *spec_o = v, *x;
    const char *text = json_object_to_json_string_ext(spec_o,
                                                      JSON_C_TO_STRING_PLAIN);

    assert_string_equal(
        text,
        "{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
        "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
        "\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":"
        "\"nginx:1.27\",\"ports\":[{\"containerPort\":80,\"protocol\":"
        "\"TCP\"}]}]}}}");
    /* Go's empty strings are left out, as JSON's omitempty would. */
    assert_true(json_object_object_get_ex(o, "metadata", &x));
    assert_false(json_object_object_get_ex(x, "uid", &x));
  }
  json_object_put(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_namespace),
      cmocka_unit_test(test_configmap_and_secret),
      cmocka_unit_test(test_deployment),
      cmocka_unit_test(test_refused),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
