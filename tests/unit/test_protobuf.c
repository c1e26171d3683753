/*
 * test_protobuf - the protobuf codec: bodies built here field by field as
 * client-go encodes them, decoded into JSON; the bodies kubectl 1.32
 * really sent for every `kubectl create <kind>` form (protobuf_goldens.h),
 * decoded and encoded back byte for byte; one object of every kind in the
 * table, every field filled, JSON -> protobuf -> JSON unchanged; Accept
 * negotiation, watch frames; unknown kinds and malformed bodies are
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
#include "apiserver/protobuf_fields.h"
#include "protobuf_goldens.h"

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


/* kubectl's own bytes: decoded to exactly the JSON kubectl prints for the
 * same object (--dry-run=client -o json), then encoded back to the same
 * bytes (the encoder writes what Go's marshalers write, zero fields
 * included). */
static void test_kubectl_goldens(void **state) {
  size_t i;

  (void)state;
  for (i = 0; i < sizeof goldens / sizeof goldens[0]; i++) {
    char *json = NULL, *pb = NULL;
    const char *why = NULL;
    size_t len = 0, at;
    json_object *o;

    if (cp_protobuf_to_json((const char *)goldens[i].data, goldens[i].len,
                            &json, &why) != 0)
      fail_msg("%s: %s", goldens[i].name, why);
    o = json_tokener_parse(json);
    assert_non_null(o);
    {
      json_object *want = json_tokener_parse(goldens[i].json);

      assert_non_null(want);
      if (!json_object_equal(o, want))
        fail_msg("%s: decoded\n%s\nkubectl's JSON\n%s", goldens[i].name,
                 json, goldens[i].json);
      json_object_put(want);
    }
    if (cp_protobuf_from_json(o, &pb, &len) != 0)
      fail_msg("%s: not encoded back: %s", goldens[i].name, json);
    for (at = 0; at < len && at < goldens[i].len; at++)
      if ((unsigned char)pb[at] != goldens[i].data[at])
        break;
    if (len != goldens[i].len || at != len)
      fail_msg("%s: %zu bytes back for %zu, first difference at %zu; %s",
               goldens[i].name, len, goldens[i].len, at, json);
    free(pb);
    free(json);
    json_object_put(o);
  }
}

/* A value for every field of message m, recursively (depth-bounded: past
 * it, optional messages are left out). */
static void fill(const struct cp_pb_message *m, json_object *o, int depth);

static json_object *sample(const struct cp_pb_field *f, int depth) {
  const struct cp_pb_message *m;
  json_object *o;

  switch (f->type) {
  case CP_PB_STRING:
    return json_object_new_string(f->json);
  case CP_PB_BYTES:
    return json_object_new_string("AAEC/w==");
  case CP_PB_BOOL:
    return json_object_new_boolean(1);
  case CP_PB_INT32:
    return json_object_new_int(-7 - f->num);
  case CP_PB_INT64:
    return json_object_new_int64(((int64_t)1 << 40) + f->num);
  case CP_PB_DOUBLE:
    return json_object_new_double(f->num + 0.5);
  default:
    break;
  }
  m = &cp_pb_messages[f->msg];
  switch (m->special) {
  case CP_PB_SPECIAL_TIME:
    return json_object_new_string("2024-02-29T23:59:58Z");
  case CP_PB_SPECIAL_MICROTIME:
    return json_object_new_string("2024-02-29T23:59:58.123456Z");
  case CP_PB_SPECIAL_DURATION:
    return json_object_new_string("1h2m3.5s");
  case CP_PB_SPECIAL_QUANTITY:
    return json_object_new_string("250m");
  case CP_PB_SPECIAL_INTORSTRING:
    return f->num % 2 ? json_object_new_int(8080)
                      : json_object_new_string("http");
  case CP_PB_SPECIAL_RAWJSON:
    return json_tokener_parse("{\"a\":[1,\"b\"]}");
  case CP_PB_SPECIAL_LIST:
  case CP_PB_SPECIAL_ORSTRINGARRAY:
    return json_tokener_parse("[\"x\",\"y\"]");
  case CP_PB_SPECIAL_ORARRAY:
    return json_tokener_parse("[{\"type\":\"string\"},{\"minimum\":2}]");
  case CP_PB_SPECIAL_ORBOOL:
    return f->num % 2 ? json_object_new_boolean(0)
                      : json_tokener_parse("{\"type\":\"object\"}");
  default:
    o = json_object_new_object();
    fill(m, o, depth + 1);
    return o;
  }
}

static void fill(const struct cp_pb_message *m, json_object *o, int depth) {
  static const struct cp_pb_message *stack[64];
  uint16_t i;
  int d, again = 0;

  for (d = 0; d < depth && d < 64; d++)
    again |= stack[d] == m;
  if (depth < 64)
    stack[depth] = m;
  for (i = 0; i < m->nfields; i++) {
    const struct cp_pb_field *f = &m->fields[i];
    json_object *v;

    /* Deep down or in a message inside itself (JSONSchemaProps), only
     * what Go cannot leave out (non-pointer structs). */
    if ((depth > 8 || again) && f->type == CP_PB_MESSAGE &&
        (f->flags & (CP_PB_POINTER | CP_PB_REPEATED | CP_PB_MAP)))
      continue;

    if (f->flags & CP_PB_INLINE) {
      fill(&cp_pb_messages[f->msg], o, depth + 1);
      continue;
    }
    v = sample(f, depth);
    if (f->flags & CP_PB_MAP) {
      json_object *map = json_object_new_object();

      json_object_object_add(map, "k", v);
      v = map;
    } else if (f->flags & CP_PB_REPEATED) {
      json_object *arr = json_object_new_array();

      json_object_array_add(arr, v);
      v = arr;
    }
    json_object_object_add(o, f->json, v);
  }
}

/* One object of every kind the table has, every field set: JSON ->
 * protobuf -> JSON gives it back unchanged. */
static void test_every_kind_round_trip(void **state) {
  size_t i;

  (void)state;
  assert_true(cp_pb_nkinds >= 100);
  for (i = 0; i < cp_pb_nkinds; i++) {
    const struct cp_pb_kind *k = &cp_pb_kinds[i];
    json_object *o = json_object_new_object(), *back;
    char *pb = NULL, *json = NULL;
    const char *why = NULL;
    size_t len = 0;

    json_object_object_add(o, "apiVersion",
                           json_object_new_string(k->api_version));
    json_object_object_add(o, "kind", json_object_new_string(k->kind));
    fill(&cp_pb_messages[k->msg], o, 0);
    if (cp_protobuf_from_json(o, &pb, &len) != 0)
      fail_msg("%s %s: not encoded", k->api_version, k->kind);
    if (cp_protobuf_to_json(pb, len, &json, &why) != 0)
      fail_msg("%s %s: not decoded: %s", k->api_version, k->kind, why);
    back = json_tokener_parse(json);
    if (!json_object_equal(o, back))
      fail_msg("%s %s: round trip changed it:\n%s\n%s", k->api_version,
               k->kind, json_object_to_json_string(o), json);
    json_object_put(back);
    json_object_put(o);
    free(json);
    free(pb);
  }
}

/* kube's JSON for the values protobuf does not say: omitempty zeros go,
 * pointers stay, IntOrString, Quantity and times keep their JSON form. */
static void test_zero_values(void **state) {
  json_object *o = json_tokener_parse(
      "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
      "\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":0,"
      "\"paused\":false,\"strategy\":{\"rollingUpdate\":{"
      "\"maxSurge\":\"25%\",\"maxUnavailable\":0}},"
      "\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\","
      "\"resources\":{\"limits\":{\"cpu\":\"1500m\"}}}]}}}}"),
              *back, *v;
  char *pb, *json;
  const char *why;
  size_t len;

  (void)state;
  assert_int_equal(cp_protobuf_from_json(o, &pb, &len), 0);
  assert_int_equal(cp_protobuf_to_json(pb, len, &json, &why), 0);
  back = json_tokener_parse(json);
  assert_true(json_object_object_get_ex(back, "spec", &v));
  /* replicas is a pointer: an explicit 0 is kept; paused is not: gone */
  assert_non_null(strstr(json, "\"replicas\":0"));
  assert_null(strstr(json, "paused"));
  assert_non_null(strstr(json, "\"maxSurge\":\"25%\""));
  assert_non_null(strstr(json, "\"maxUnavailable\":0"));
  assert_non_null(strstr(json, "\"cpu\":\"1500m\""));
  /* the zero creationTimestamp is null, as kube writes it */
  assert_non_null(strstr(json, "\"creationTimestamp\":null"));
  free(pb);
  free(json);
  json_object_put(back);
  json_object_put(o);
}

static void test_accept(void **state) {
  (void)state;
  assert_true(cp_protobuf_wanted(
      "application/vnd.kubernetes.protobuf, application/json"));
  assert_true(cp_protobuf_wanted("application/vnd.kubernetes.protobuf"));
  assert_false(cp_protobuf_wanted("application/json"));
  assert_false(cp_protobuf_wanted(NULL));
  assert_false(cp_protobuf_wanted(
      "application/json, application/vnd.kubernetes.protobuf"));
  assert_false(cp_protobuf_wanted(
      "application/vnd.kubernetes.protobuf;q=0.5, application/json"));
  assert_false(cp_protobuf_wanted("application/vnd.kubernetes.protobuf;"
                                  "as=Table;v=v1;g=meta.k8s.io,"
                                  "application/json"));
  assert_true(cp_protobuf_known("v1", "Pod"));
  assert_true(cp_protobuf_known("batch/v1", "CronJobList"));
  assert_true(cp_protobuf_known("autoscaling/v2", "HorizontalPodAutoscaler"));
  assert_false(cp_protobuf_known("example.com/v1", "Widget"));
}

/* A watch frame: 4-byte big-endian length, then WatchEvent{type, object:
 * RawExtension{raw: the enveloped object}}. */
static void test_watch_frame(void **state) {
  json_object *o = json_tokener_parse(
      "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
      "\"metadata\":{\"name\":\"c\",\"creationTimestamp\":null},"
      "\"data\":{\"a\":\"b\"}}"),
              *back;
  char *f, *json;
  const char *why;
  const unsigned char *u;
  size_t len, n;

  (void)state;
  assert_int_equal(cp_protobuf_watch_frame("ADDED", o, &f, &len), 0);
  u = (const unsigned char *)f;
  n = (size_t)u[0] << 24 | (size_t)u[1] << 16 | (size_t)u[2] << 8 | u[3];
  assert_int_equal(n, len - 4);
  assert_int_equal(u[4], 0x0a); /* type = 1 */
  assert_int_equal(u[5], 5);
  assert_memory_equal(u + 6, "ADDED", 5);
  assert_int_equal(u[11], 0x12); /* object = 2 */
  /* object's raw (field 1) starts after two lengths: the envelope */
  {
    size_t at = 12;

    while (u[at++] & 0x80)
      ;
    assert_int_equal(u[at++], 0x0a);
    while (u[at++] & 0x80)
      ;
    assert_memory_equal(u + at, "k8s\0", 4);
    assert_int_equal(cp_protobuf_to_json(f + at, len - at, &json, &why), 0);
  }
  back = json_tokener_parse(json);
  assert_true(json_object_equal(o, back));
  json_object_put(back);
  json_object_put(o);
  free(json);
  free(f);
}

/* JSON the table cannot encode is refused, not guessed. */
static void test_encode_refused(void **state) {
  static const char *const bad[] = {
      "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\"}",
      "{\"kind\":\"Pod\"}",
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":[]}",
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
      "\"name\":7}}",
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{"
      "\"priority\":4294967296}}",
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
      "\"creationTimestamp\":\"yesterday\"}}",
      "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"data\":{"
      "\"a\":\"not base64!\"}}",
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    json_object *o = json_tokener_parse(bad[i]);
    char *pb = (char *)"untouched";
    size_t len = 1;

    assert_non_null(o);
    if (cp_protobuf_from_json(o, &pb, &len) != -1)
      fail_msg("encoded: %s", bad[i]);
    assert_null(pb);
    json_object_put(o);
  }
}

/* Found by the fuzzer: a map entry with no value is the value's zero (a
 * Quantity "0"), and a nested message that fails to decode is freed. */
static void test_fuzz_regressions(void **state) {
  struct buf spec = {.n = 0}, rq = {.n = 0}, entry = {.n = 0}, e;
  struct buf bad = {.n = 0}, dep = {.n = 0};
  json_object *o, *v;
  char *json = NULL;
  const char *why = NULL;

  (void)state;
  put_str(&entry, 1, "cpu"); /* key only */
  put_msg(&spec, 1, &entry); /* ResourceQuotaSpec.hard */
  put_msg(&rq, 2, &spec);
  e = envelope("ResourceQuota", &rq);
  o = decode(&e);
  assert_true(json_object_object_get_ex(o, "spec", &v));
  assert_true(json_object_object_get_ex(v, "hard", &v));
  assert_string_equal(jstr(v, "cpu", NULL), "0");
  json_object_put(o);
  /* DeploymentSpec.template (3) holding a truncated field */
  bad.d[bad.n++] = 0x1a;
  bad.d[bad.n++] = 0x05;
  bad.d[bad.n++] = 0x0a;
  bad.d[bad.n++] = 0x09;
  bad.d[bad.n++] = 'x';
  bad.d[bad.n++] = 'y';
  bad.d[bad.n++] = 'z';
  put_msg(&dep, 2, &bad);
  e = envelope_gv("apps/v1", "Deployment", &dep);
  assert_int_equal(cp_protobuf_to_json((const char *)e.d, e.n, &json, &why),
                   -1);
  assert_null(json);
  /* A double too large for an int64 stays a double (UB to convert). */
  {
    struct buf crd = {.n = 0}, sp = {.n = 0}, ver = {.n = 0}, val = {.n = 0};
    struct buf props = {.n = 0};
    double big = 3.3e180;
    unsigned char raw[8];
    int k;

    memcpy(raw, &big, 8);
    put_varint(&props, 9 << 3 | 1); /* JSONSchemaProps.maximum */
    for (k = 0; k < 8; k++)
      props.d[props.n++] = raw[k];
    put_msg(&val, 1, &props);   /* CustomResourceValidation.openAPIV3Schema */
    put_str(&ver, 1, "v1");
    put_msg(&ver, 4, &val);     /* CustomResourceDefinitionVersion.schema */
    put_msg(&sp, 7, &ver);      /* CustomResourceDefinitionSpec.versions */
    put_msg(&crd, 2, &sp);
    e = envelope_gv("apiextensions.k8s.io/v1", "CustomResourceDefinition",
                    &crd);
    o = decode(&e);
    {
      const char *text =
          json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

      if (strstr(text, "\"maximum\":3.29") == NULL)
        fail_msg("%s", text);
    }
    json_object_put(o);
  }
}

/* A CRD's schema: JSONSchemaProps' unions (additionalProperties a bool or
 * a schema, items a schema or a list), doubles, JSON values (default,
 * enum) survive protobuf as their MarshalJSON writes them. */
static void test_crd_schema(void **state) {
  static const char crd[] =
      "{\"apiVersion\":\"apiextensions.k8s.io/v1\","
      "\"kind\":\"CustomResourceDefinition\","
      "\"metadata\":{\"name\":\"gadgets.example.com\"},"
      "\"spec\":{\"group\":\"example.com\",\"scope\":\"Namespaced\","
      "\"names\":{\"plural\":\"gadgets\",\"kind\":\"Gadget\"},"
      "\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,"
      "\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\","
      "\"properties\":{\"spec\":{\"type\":\"object\","
      "\"additionalProperties\":false,\"required\":[\"size\"],"
      "\"properties\":{\"size\":{\"type\":\"number\","
      "\"maximum\":2.5,\"default\":1},"
      "\"mode\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"]},"
      "\"port\":{\"x-kubernetes-int-or-string\":true},"
      "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
      "\"extra\":{\"type\":\"object\",\"additionalProperties\":{"
      "\"type\":\"integer\"}},"
      "\"raw\":{\"x-kubernetes-preserve-unknown-fields\":true}}}}}}}]}}";
  json_object *o = json_tokener_parse(crd), *back, *p;
  char *pb, *json;
  const char *why;
  size_t len;

  (void)state;
  assert_non_null(o);
  assert_int_equal(cp_protobuf_from_json(o, &pb, &len), 0);
  assert_int_equal(cp_protobuf_to_json(pb, len, &json, &why), 0);
  back = json_tokener_parse(json);
  assert_true(json_object_object_get_ex(back, "spec", &p));
  assert_true(json_object_object_get_ex(p, "versions", &p));
  p = json_object_array_get_idx(p, 0);
  assert_true(json_object_object_get_ex(p, "schema", &p));
  assert_true(json_object_object_get_ex(p, "openAPIV3Schema", &p));
  {
    json_object *want;

    assert_true(json_object_object_get_ex(o, "spec", &want));
    assert_true(json_object_object_get_ex(want, "versions", &want));
    want = json_object_array_get_idx(want, 0);
    assert_true(json_object_object_get_ex(want, "schema", &want));
    assert_true(json_object_object_get_ex(want, "openAPIV3Schema", &want));
    if (!json_object_equal(p, want))
      fail_msg("schema changed:\n%s", json_object_to_json_string(p));
  }
  free(pb);
  free(json);
  json_object_put(back);
  json_object_put(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_namespace),
      cmocka_unit_test(test_configmap_and_secret),
      cmocka_unit_test(test_deployment),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_kubectl_goldens),
      cmocka_unit_test(test_every_kind_round_trip),
      cmocka_unit_test(test_zero_values),
      cmocka_unit_test(test_accept),
      cmocka_unit_test(test_watch_frame),
      cmocka_unit_test(test_encode_refused),
      cmocka_unit_test(test_fuzz_regressions),
      cmocka_unit_test(test_crd_schema),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
