/*
 * test_sdk_helpers - the SDK's header-only helpers (sdk/include/cplane/
 * strbuf.h, smap.h, hash.h, time.h, quantity.h, objects.h, owners.h,
 * finalizers.h, conditions.h), as a plugin uses them: through the host's
 * real api table (cp_host_api()) on real objects. Quantities are checked
 * against the API server's own parser and times against gmtime_r().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cplane/cplane.h>

#include "apiserver/strategy/quantity.h"
#include "plugin/host_api_writes.h"
#include "plugin/plugin.h"

static const struct cplane_host_api *api;

/* A parsed object from JSON written with ' for ". */
static const cplane_object *obj(const char *sq) {
  const cplane_object *o = NULL;
  char *json = strdup(sq), *p;

  assert_non_null(json);
  for (p = json; *p != '\0'; p++)
    if (*p == '\'')
      *p = '"';
  assert_int_equal(api->object_parse(json, strlen(json), &o, NULL), CPLANE_OK);
  free(json);
  return o;
}

/* ---- strbuf ---- */

/* version.h's names: every status code has its own, HTTP statuses one. */
static void test_status_names(void **state) {
  (void)state;
  assert_string_equal(cplane_status_name(CPLANE_OK), "CPLANE_OK");
  assert_string_equal(cplane_status_name(CPLANE_ERR), "CPLANE_ERR");
  assert_string_equal(cplane_status_name(CPLANE_ENOENT), "CPLANE_ENOENT");
  assert_string_equal(cplane_status_name(CPLANE_ETYPE), "CPLANE_ETYPE");
  assert_string_equal(cplane_status_name(CPLANE_EINVAL), "CPLANE_EINVAL");
  assert_string_equal(cplane_status_name(CPLANE_ENOMEM), "CPLANE_ENOMEM");
  assert_string_equal(cplane_status_name(CPLANE_EUNAVAILABLE),
                      "CPLANE_EUNAVAILABLE");
  assert_string_equal(cplane_status_name(CPLANE_ERANGE), "CPLANE_ERANGE");
  assert_string_equal(cplane_status_name(CPLANE_ESHUTDOWN),
                      "CPLANE_ESHUTDOWN");
  assert_string_equal(cplane_status_name(409), "HTTP");
  assert_string_equal(cplane_status_name(-99), "CPLANE_?");
}

static void test_strbuf(void **state) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  char *s, big[1000];
  int i;

  (void)state;
  for (i = 0; i < 1000; i++) /* grows past its first 256 bytes many times */
    cplane_strbuf_add(&b, "0123456789");
  s = cplane_strbuf_finish(&b);
  assert_non_null(s);
  assert_int_equal(strlen(s), 10000);
  free(s);
  assert_null(b.p); /* the buffer is empty again */

  cplane_strbuf_add(&b, "{");
  cplane_strbuf_take(&b, api, api->json_format("{'a':%d}", 1));
  cplane_strbuf_addf(&b, ",%d,%s}", 42, "x");
  s = cplane_strbuf_finish(&b);
  assert_string_equal(s, "{{\"a\":1},42,x}");
  free(s);

  /* addf longer than its stack buffer */
  memset(big, 'y', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  cplane_strbuf_add(&b, "<");
  cplane_strbuf_addf(&b, "%s|%s", big, big);
  s = cplane_strbuf_finish(&b);
  assert_int_equal(strlen(s), 1 + 2 * (sizeof big - 1) + 1);
  assert_int_equal(s[0], '<');
  assert_int_equal(s[1000], '|');
  free(s);

  /* A NULL piece (a failed json_format) fails the whole text. */
  cplane_strbuf_add(&b, "x");
  cplane_strbuf_take(&b, api, api->json_format("{'bad':%j}", "{"));
  cplane_strbuf_add(&b, "y");
  assert_null(cplane_strbuf_finish(&b));
  assert_null(cplane_strbuf_finish(&b)); /* nothing added */
  /* Counted pieces; an empty text is still a text. */
  cplane_strbuf_addn(&b, "", 0);
  s = cplane_strbuf_finish(&b);
  assert_string_equal(s, "");
  free(s);
  cplane_strbuf_addn(&b, "a.b.c", 2);
  cplane_strbuf_add(&b, "x");
  s = cplane_strbuf_finish(&b);
  assert_string_equal(s, "a.x");
  free(s);
  cplane_strbuf_add(&b, "dropped");
  cplane_strbuf_reset(&b);
  assert_null(b.p);
}

/* ---- smap and sset ---- */

static void count_fn(void *ud, const char *key, void *val) {
  (void)key;
  *(long *)ud += (long)(intptr_t)val;
}

static void test_smap(void **state) {
  struct cplane_smap m;
  char key[32];
  void *old;
  long sum = 0;
  int i;

  (void)state;
  assert_int_equal(cplane_smap_init(&m), 0);
  for (i = 1; i <= 10000; i++) { /* grows many times */
    snprintf(key, sizeof key, "ns/pod-%d", i);
    assert_int_equal(cplane_smap_put(&m, key, (void *)(intptr_t)i, NULL), 0);
  }
  assert_int_equal(m.count, 10000);
  assert_ptr_equal(cplane_smap_get(&m, "ns/pod-777"), (void *)(intptr_t)777);
  assert_null(cplane_smap_get(&m, "ns/pod-0"));
  assert_true(cplane_smap_has(&m, "ns/pod-1"));
  assert_false(cplane_smap_has(&m, "ns/pod-0"));
  assert_int_equal(cplane_smap_put(&m, "ns/pod-5", (void *)(intptr_t)50, &old),
                   0);
  assert_ptr_equal(old, (void *)(intptr_t)5);
  assert_int_equal(m.count, 10000);
  assert_ptr_equal(cplane_smap_del(&m, "ns/pod-5"), (void *)(intptr_t)50);
  assert_null(cplane_smap_del(&m, "ns/pod-5"));
  assert_int_equal(m.count, 9999);
  cplane_smap_foreach(&m, count_fn, &sum);
  assert_int_equal(sum, 10000L * 10001 / 2 - 5);
  cplane_smap_free(&m);
  cplane_smap_free(&m); /* twice is harmless */
}

static void test_sset(void **state) {
  struct cplane_sset s;
  char key[32];
  int i;

  (void)state;
  assert_int_equal(cplane_sset_init(&s), 0);
  assert_int_equal(cplane_sset_add(&s, "a"), 1);
  assert_int_equal(cplane_sset_add(&s, "a"), 0); /* once only */
  assert_true(cplane_sset_has(&s, "a"));
  assert_false(cplane_sset_has(&s, "b"));
  for (i = 0; i < 5000; i++) {
    snprintf(key, sizeof key, "uid-%d", i);
    assert_int_equal(cplane_sset_add(&s, key), 1);
  }
  assert_int_equal(cplane_sset_count(&s), 5001);
  assert_int_equal(cplane_sset_del(&s, "uid-17"), 1);
  assert_int_equal(cplane_sset_del(&s, "uid-17"), 0);
  assert_false(cplane_sset_has(&s, "uid-17"));
  assert_true(cplane_sset_has(&s, "uid-4999"));
  cplane_sset_free(&s);
}

/* ---- hash ---- */

static void test_hash(void **state) {
  const cplane_object *a =
      obj("{'spec':{'template':{'metadata':{'labels':{'app':'web'}}}}}");
  const cplane_object *b =
      obj("{'metadata':{'name':'other'},'spec':{'replicas':3,"
          "'template':{'metadata':{'labels':{'app':'web'}}}}}");
  char enc[16], *json;
  uint32_t h1 = 0, h2 = 0;
  uint64_t h64 = 0;

  (void)state;
  /* Go's hash/fnv test vectors. */
  assert_int_equal(cplane_fnv1a32("", 0), 0x811c9dc5u);
  assert_int_equal(cplane_fnv1a32_str("a"), 0xe40c292cu);
  assert_int_equal(cplane_fnv1a32_str("foobar"), 0xbf9cf968u);
  assert_true(cplane_fnv1a64_str("a") == 0xaf63dc4c8601ec8cull);
  assert_true(cplane_fnv1a64_str("foobar") == 0x85944171f73967e8ull);
  /* Pieces hash as the whole. */
  assert_int_equal(cplane_fnv1a32_add(cplane_fnv1a32_str("foo"), "bar", 3),
                   cplane_fnv1a32_str("foobar"));

  /* The field hash is the hash of the field's JSON, whatever surrounds it. */
  assert_int_equal(cplane_hash_field32(api, a, "spec.template", &h1),
                   CPLANE_OK);
  assert_int_equal(cplane_hash_field32(api, b, "spec.template", &h2),
                   CPLANE_OK);
  assert_int_equal(h1, h2);
  json = api->object_json(a, "spec.template");
  assert_int_equal(h1, cplane_fnv1a32_str(json));
  api->free(json);
  assert_int_equal(cplane_hash_field64(api, a, "spec.template", &h64),
                   CPLANE_OK);
  assert_int_equal(cplane_hash_field32(api, a, "spec.nothing", &h1),
                   CPLANE_ENOENT);
  assert_int_equal(cplane_hash_field32(api, a, "spec", &h1), CPLANE_OK);
  assert_int_not_equal(h1, h2);

  /* SafeEncodeString: no vowels, no look-alikes. */
  cplane_hash_safe_encode32(1234567890u, enc, sizeof enc);
  assert_string_equal(enc, "56789bcdf4");
  cplane_safe_encode("1234567890", enc, 4); /* truncated, terminated */
  assert_string_equal(enc, "567");
  api->object_release(a);
  api->object_release(b);
}

/* ---- time ---- */

static void test_time_format_parse(void **state) {
  char buf[CPLANE_TIME_LEN];
  int64_t ms = 0, t;
  struct tm tm;
  time_t secs;
  int i;

  (void)state;
  assert_int_equal(cplane_time_format(1795615200250LL, buf, sizeof buf),
                   CPLANE_OK);
  assert_string_equal(buf, "2026-11-25T14:00:00Z");
  assert_int_equal(cplane_time_format_micro(1795615200250LL, buf, sizeof buf),
                   CPLANE_OK);
  assert_string_equal(buf, "2026-11-25T14:00:00.250000Z");
  assert_int_equal(cplane_time_parse(buf, &ms), CPLANE_OK);
  assert_true(ms == 1795615200250LL);
  assert_int_equal(cplane_time_format(-1, buf, sizeof buf), CPLANE_OK);
  assert_string_equal(buf, "1969-12-31T23:59:59Z");
  assert_int_equal(cplane_time_format(0, buf, 20), CPLANE_ERANGE);

  assert_int_equal(cplane_time_parse("2026-11-25T14:00:00Z", &ms), CPLANE_OK);
  assert_true(ms == 1795615200000LL);
  assert_int_equal(cplane_time_parse("2026-11-25T16:00:00+02:00", &ms),
                   CPLANE_OK);
  assert_true(ms == 1795615200000LL);
  assert_int_equal(
      cplane_time_parse("2026-11-25T13:30:00.123456789-00:30", &ms), CPLANE_OK);
  assert_true(ms == 1795615200123LL); /* the fraction truncates to ms */
  assert_int_equal(cplane_time_parse("2024-02-29T00:00:00Z", &ms), CPLANE_OK);
  assert_int_equal(cplane_time_parse("1969-12-31T23:59:59Z", &ms), CPLANE_OK);
  assert_true(ms == -1000);

  ms = 7;
  {
    static const char *const bad[] = {"2026-11-25 14:00:00Z",
                                      "2026-11-25T14:00:00",
                                      "2026-11-25",
                                      "2026-02-29T00:00:00Z",
                                      "2026-04-31T00:00:00Z",
                                      "2026-13-01T00:00:00Z",
                                      "2026-11-25T24:00:00Z",
                                      "2026-11-25T14:60:00Z",
                                      "2026-11-25T14:00:60Z",
                                      "2026-11-25T14:00:00Zjunk",
                                      "2026-11-25T14:00:00.Z",
                                      "2026-11-25T14:00:00+0200",
                                      "2026-11-25T14:00:00+02:00x",
                                      " 2026-11-25T14:00:00Z",
                                      "2026-1-25T14:00:00Z",
                                      ""};

    for (i = 0; i < (int)(sizeof bad / sizeof bad[0]); i++)
      assert_int_equal(cplane_time_parse(bad[i], &ms), CPLANE_EINVAL);
  }
  assert_int_equal(cplane_time_parse(NULL, &ms), CPLANE_EINVAL);
  assert_true(ms == 7);

  /* Against the C library over four centuries, both ways. */
  for (t = -2208988800000LL; t < 11000000000000LL; t += 86399999LL * 37) {
    char want[40];

    secs = (time_t)(t >= 0 ? t / 1000 : -((-t + 999) / 1000));
    gmtime_r(&secs, &tm);
    strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
    assert_int_equal(cplane_time_format(t, buf, sizeof buf), CPLANE_OK);
    assert_string_equal(buf, want);
    assert_int_equal(cplane_time_parse(want, &ms), CPLANE_OK);
    assert_true(ms == (int64_t)secs * 1000);
  }

  assert_true(cplane_now_s(api, NULL) > 1.7e9);
  assert_true(fabs(cplane_time_parse_s("2026-11-25T14:00:00.5Z", -1) -
                   1795615200.5) < 1e-6);
  assert_true(cplane_time_parse_s("yesterday", -1) == -1);
}

static void test_durations(void **state) {
  static const struct {
    const char *text;
    int64_t ns;
  } good[] = {
      {"0", 0},
      {"0s", 0},
      {"1h2m3.5s", INT64_C(3723500000000)},
      {"250ms", 250000000},
      {"1.5h", INT64_C(5400000000000)},
      {"-1.5h", -INT64_C(5400000000000)},
      {"+10s", INT64_C(10000000000)},
      {".5s", 500000000},
      {"1.s", 1000000000},
      {"1us", 1000},
      {"1\xc2\xb5s", 1000},
      {"1\xce\xbcs", 1000},
      {"100ns", 100},
      {"1h1m", INT64_C(3660000000000)},
      {"2562047h47m16.854775807s", INT64_MAX},
  };
  static const char *const bad[] = {"",    "s",      "1",  "10 s", "3d",
                                    "1h1", "1.2.3s", ".s", "-",    "1hh"};
  char buf[32];
  int64_t ns = 7, ms = 7;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof good / sizeof good[0]; i++) {
    ns = 7;
    assert_int_equal(cplane_duration_parse(good[i].text, 0, &ns), CPLANE_OK);
    assert_true(ns == good[i].ns);
  }
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ns = 7;
    assert_int_equal(cplane_duration_parse(bad[i], 0, &ns), CPLANE_EINVAL);
    assert_true(ns == 7);
  }
  assert_int_equal(cplane_duration_parse(NULL, 0, &ns), CPLANE_EINVAL);
  assert_int_equal(cplane_duration_parse("2562048h", 0, &ns), CPLANE_ERANGE);
  assert_int_equal(cplane_duration_parse("99999999999999999999s", 0, &ns),
                   CPLANE_ERANGE);
  /* Bare seconds only when asked for (INI values), and only alone. */
  assert_int_equal(
      cplane_duration_parse("40", CPLANE_DURATION_BARE_SECONDS, &ns),
      CPLANE_OK);
  assert_true(ns == INT64_C(40000000000));
  assert_int_equal(
      cplane_duration_parse("1m40", CPLANE_DURATION_BARE_SECONDS, &ns),
      CPLANE_EINVAL);

  assert_int_equal(cplane_duration_parse_ms("1.5h", 0, 1000000000, &ms),
                   CPLANE_OK);
  assert_true(ms == 5400000);
  assert_int_equal(cplane_duration_parse_ms("1500us", 0, 1000000000, &ms),
                   CPLANE_OK);
  assert_true(ms == 2); /* to the nearest ms */
  assert_int_equal(cplane_duration_parse_ms("-1s", 0, 1000000000, &ms),
                   CPLANE_EINVAL);
  assert_int_equal(cplane_duration_parse_ms("400h", 0, 1000000000, &ms),
                   CPLANE_ERANGE);
  assert_int_equal(cplane_duration_parse_ms("40", 0, 1000000000, &ms),
                   CPLANE_EINVAL);

  /* Go's Duration.String(). */
  {
    static const struct {
      int64_t ns;
      const char *text;
    } out[] = {
        {0, "0s"},
        {1, "1ns"},
        {1100, "1.1\xc2\xb5s"},
        {2200000, "2.2ms"},
        {INT64_C(3300000000), "3.3s"},
        {INT64_C(60000000000), "1m0s"},
        {INT64_C(3723500000000), "1h2m3.5s"},
        {INT64_C(3600000000000), "1h0m0s"},
        {-INT64_C(90000000000), "-1m30s"},
        {INT64_C(4000000001), "4.000000001s"},
        {INT64_MAX, "2562047h47m16.854775807s"},
        {INT64_MIN, "-2562047h47m16.854775808s"},
    };

    for (i = 0; i < sizeof out / sizeof out[0]; i++) {
      assert_int_equal(cplane_duration_format(out[i].ns, buf, sizeof buf),
                       CPLANE_OK);
      assert_string_equal(buf, out[i].text);
      if (out[i].ns != INT64_MIN) { /* what it writes, it reads back */
        assert_int_equal(cplane_duration_parse(buf, 0, &ns), CPLANE_OK);
        assert_true(ns == out[i].ns);
      }
    }
  }
  assert_int_equal(cplane_duration_format(INT64_C(3723500000000), buf, 5),
                   CPLANE_ERANGE);
}

/* ---- quantity ---- */

/* The API server's parse of s in milli-units, rounded up as ours is. */
static int host_milli(const char *s, int64_t *out) {
  json_object *j = json_object_new_string(s);
  cp_quantity q;
  int rc = cp_quantity_parse(j, &q);

  json_object_put(j);
  if (rc != 0)
    return -1;
  if (q >= 0)
    *out = (int64_t)((q + 999999) / 1000000);
  else
    *out = (int64_t)((q - 999999) / 1000000);
  return 0;
}

static void test_quantity_parse(void **state) {
  static const char *const agree[] = {"2",
                                      "500m",
                                      "0.1",
                                      "1.5Gi",
                                      "128Mi",
                                      "1k",
                                      "1e3",
                                      "2P",
                                      "1.0001",
                                      "-1",
                                      "+7",
                                      "5n",
                                      "1u",
                                      "0",
                                      "0.5",
                                      ".5",
                                      "1.5e3",
                                      "1E-3",
                                      "100Ki",
                                      "3Ti",
                                      "12345678",
                                      "-500m",
                                      "1.23456789012345678901234567890k",
                                      "0.0000001",
                                      "7Pi",
                                      "1e-9",
                                      "250M",
                                      "4G",
                                      "2T",
                                      "1P"};
  int64_t v = -1, h = -2;
  int fmt = -1;
  size_t i;

  (void)state;
  assert_int_equal(cplane_quantity_parse_milli("2", &v, &fmt), CPLANE_OK);
  assert_true(v == 2000);
  assert_int_equal(fmt, CPLANE_QUANTITY_DECIMAL_SI);
  assert_int_equal(cplane_quantity_parse_milli("500m", &v, NULL), CPLANE_OK);
  assert_true(v == 500);
  assert_int_equal(cplane_quantity_parse_milli("0.1", &v, NULL), CPLANE_OK);
  assert_true(v == 100);
  assert_int_equal(cplane_quantity_parse_value("1.5Gi", &v, &fmt), CPLANE_OK);
  assert_true(v == 1610612736);
  assert_int_equal(fmt, CPLANE_QUANTITY_BINARY_SI);
  assert_int_equal(cplane_quantity_parse_value("128Mi", &v, NULL), CPLANE_OK);
  assert_true(v == 134217728);
  assert_int_equal(cplane_quantity_parse_value("1e3", &v, &fmt), CPLANE_OK);
  assert_true(v == 1000);
  assert_int_equal(fmt, CPLANE_QUANTITY_DECIMAL_EXPONENT);
  assert_int_equal(cplane_quantity_parse_value("2E", &v, &fmt), CPLANE_OK);
  assert_true(v == 2000000000000000000LL);
  assert_int_equal(fmt, CPLANE_QUANTITY_DECIMAL_SI);
  /* Rounded up, away from zero, as MilliValue() and Value() are. */
  assert_int_equal(cplane_quantity_parse_milli("1.0001", &v, NULL), CPLANE_OK);
  assert_true(v == 1001);
  assert_int_equal(cplane_quantity_parse_value("1.0001", &v, NULL), CPLANE_OK);
  assert_true(v == 2);
  assert_int_equal(cplane_quantity_parse_milli("-0.0001", &v, NULL), CPLANE_OK);
  assert_true(v == -1);
  assert_int_equal(cplane_quantity_parse_value("7Ei", &v, NULL), CPLANE_OK);
  assert_true(v == 7LL << 60);

  v = 7;
  {
    static const char *const bad[] = {"",    "abc", "1Qi",   "1K", "1e",
                                      "1e+", "Mi",  "1.5.5", " 1", "1 ",
                                      "1ki", "--1", "1mi",   "e3"};

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
      assert_int_equal(cplane_quantity_parse_value(bad[i], &v, NULL),
                       CPLANE_EINVAL);
  }
  assert_int_equal(cplane_quantity_parse_value(NULL, &v, NULL), CPLANE_EINVAL);
  assert_int_equal(cplane_quantity_parse_value("8Ei", &v, NULL), CPLANE_ERANGE);
  assert_int_equal(cplane_quantity_parse_milli("10E", &v, NULL), CPLANE_ERANGE);
  assert_int_equal(cplane_quantity_parse_value("1e400", &v, NULL),
                   CPLANE_ERANGE);
  assert_true(v == 7);
  assert_int_equal(cplane_quantity_parse_value("9223372036854775807", &v, NULL),
                   CPLANE_OK);
  assert_true(v == INT64_MAX);
  assert_int_equal(cplane_quantity_parse_value("9223372036854775808", &v, NULL),
                   CPLANE_ERANGE);
  assert_int_equal(
      cplane_quantity_parse_value("-9223372036854775808", &v, NULL), CPLANE_OK);
  assert_true(v == INT64_MIN);
  assert_int_equal(cplane_quantity_parse_value("0e-400", &v, NULL), CPLANE_OK);
  assert_true(v == 0);

  /* The API server's own parser agrees on every one of these. */
  for (i = 0; i < sizeof agree / sizeof agree[0]; i++) {
    assert_int_equal(cplane_quantity_parse_milli(agree[i], &v, NULL),
                     CPLANE_OK);
    assert_int_equal(host_milli(agree[i], &h), 0);
    if (v != h)
      fail_msg("%s: ours %lld, the API server's %lld", agree[i], (long long)v,
               (long long)h);
  }
}

static void test_quantity_format(void **state) {
  static const struct {
    const char *in, *out;
  } canon[] = {
      /* kube's Quantity.String() of ParseQuantity(in) */
      {"1500m", "1500m"},   {"2000m", "2"},     {"1.5", "1500m"},
      {"1000", "1k"},       {"1536", "1536"},   {"10000000", "10M"},
      {"1.5Gi", "1536Mi"},  {"1024Mi", "1Gi"},  {"1000Mi", "1000Mi"},
      {"1536", "1536"},     {"0.5Ki", "512"},   {"1Ki", "1Ki"},
      {"1e3", "1e3"},       {"1.5e3", "1500"},  {"1e-3", "1e-3"},
      {"0", "0"},           {"0Gi", "0"},       {"-2Gi", "-2Gi"},
      {"-1500m", "-1500m"}, {"100Mi", "100Mi"}, {"1P", "1P"},
      {"1e6", "1e6"},
  };
  char buf[CPLANE_QUANTITY_LEN];
  int64_t milli;
  int fmt;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof canon / sizeof canon[0]; i++) {
    assert_int_equal(cplane_quantity_parse_milli(canon[i].in, &milli, &fmt),
                     CPLANE_OK);
    assert_int_equal(cplane_quantity_format(milli, fmt, buf, sizeof buf),
                     CPLANE_OK);
    if (strcmp(buf, canon[i].out) != 0)
      fail_msg("%s: wrote %s, kube writes %s", canon[i].in, buf, canon[i].out);
  }
  assert_int_equal(cplane_quantity_format(INT64_MIN, CPLANE_QUANTITY_DECIMAL_SI,
                                          buf, sizeof buf),
                   CPLANE_OK);
  assert_string_equal(buf, "-9223372036854775808m");
  assert_int_equal(
      cplane_quantity_format(1500, CPLANE_QUANTITY_DECIMAL_SI, buf, 3),
      CPLANE_ERANGE);
}

/* ---- objects, owners ---- */

static void test_objects(void **state) {
  const cplane_object *pod =
      obj("{'metadata':{'name':'p','namespace':'ns','uid':'u-p',"
          "'finalizers':['a','b'],"
          "'ownerReferences':[{'kind':'Node','name':'n','uid':'u-n'},"
          "{'kind':'ReplicaSet','name':'web','uid':'u-rs','controller':"
          "true}]},'spec':{'containers':[{'name':'app','image':'i1'},"
          "{'name':'side','image':'i2'}]},'status':{'phase':'Succeeded'}}");
  const cplane_object *bare = obj("{'metadata':{'name':'q'}}");
  const cplane_object *node = obj("{'metadata':{'name':'n1','ownerReferences':"
                                  "[{'kind':'Cluster','name':'c',"
                                  "'controller':true}]}}");
  char key[64], tiny[4], long_path[600];

  (void)state;
  assert_int_equal(
      cplane_array_find(api, pod, "spec.containers", "name", "side"), 1);
  assert_string_equal(
      cplane_array_string(api, pod, "spec.containers", 1, "image"), "i2");
  assert_null(cplane_array_string(api, pod, "spec.containers", 2, "image"));
  assert_int_equal(
      cplane_array_find(api, pod, "spec.containers", "name", "none"),
      CPLANE_ENOENT);
  assert_int_equal(cplane_array_find(api, pod, "spec.containers", "name", NULL),
                   CPLANE_ENOENT);
  /* not an array: an object's members are not elements */
  assert_int_equal(cplane_array_find(api, pod, "metadata", NULL, "p"),
                   CPLANE_ENOENT);
  assert_int_equal(
      cplane_array_find(api, bare, "spec.containers", "name", "app"),
      CPLANE_ENOENT);
  assert_true(
      cplane_string_array_contains(api, pod, "metadata.finalizers", "b"));
  assert_false(
      cplane_string_array_contains(api, pod, "metadata.finalizers", "c"));
  memset(long_path, 'x', sizeof long_path - 1);
  long_path[sizeof long_path - 1] = '\0';
  assert_int_equal(cplane_array_find(api, pod, long_path, "name", "app"),
                   CPLANE_ENOENT);
  assert_true(cplane_pod_is_terminal(api, pod));
  assert_false(cplane_pod_is_terminal(api, bare));

  assert_true(cplane_is_controlled_by(api, pod, "u-rs"));
  assert_false(cplane_is_controlled_by(api, pod, "u-n"));
  assert_false(cplane_is_controlled_by(api, bare, "u-rs"));
  assert_int_equal(
      cplane_controller_key(api, pod, "ReplicaSet", key, sizeof key), 1);
  assert_string_equal(key, "ns/web");
  /* cluster-scoped: the key is the name alone */
  assert_int_equal(cplane_controller_key(api, node, "Cluster", key, sizeof key),
                   1);
  assert_string_equal(key, "c");
  /* another kind, too short a buffer, no controller */
  assert_int_equal(
      cplane_controller_key(api, pod, "Deployment", key, sizeof key), 0);
  assert_int_equal(
      cplane_controller_key(api, pod, "ReplicaSet", tiny, sizeof tiny), 0);
  assert_int_equal(
      cplane_controller_key(api, bare, "ReplicaSet", key, sizeof key), 0);
  api->object_release(pod);
  api->object_release(bare);
  api->object_release(node);
}

static void test_owner_ref(void **state) {
  const cplane_object *rs =
      obj("{'metadata':{'name':'web-5d9c','namespace':'ns','uid':'u1'}}");
  const cplane_object *bare = obj("{'metadata':{'name':'x'}}");
  char *ref = cplane_controller_ref_json(api, rs, "apps/v1", "ReplicaSet");

  (void)state;
  assert_string_equal(ref, "{\"apiVersion\":\"apps/v1\",\"kind\":"
                           "\"ReplicaSet\",\"name\":\"web-5d9c\",\"uid\":"
                           "\"u1\",\"controller\":true,"
                           "\"blockOwnerDeletion\":true}");
  api->free(ref);
  assert_null(cplane_controller_ref_json(api, bare, "v1", "Pod"));
  assert_null(cplane_controller_ref_json(api, rs, NULL, "Pod"));
  api->object_release(rs);
  api->object_release(bare);
}

/* ---- finalizers ---- */

static void test_finalizers(void **state) {
  const cplane_object *o = obj("{'metadata':{'name':'x','resourceVersion':"
                               "'42','finalizers':['a','x/y','a']}}");
  const cplane_object *none = obj("{'metadata':{'name':'x',"
                                  "'resourceVersion':'7'}}");
  const cplane_object *dying =
      obj("{'metadata':{'name':'x','resourceVersion':'9','deletionTimestamp':"
          "'2026-11-25T14:00:00Z','finalizers':['a']}}");
  char *patch = (char *)1;

  (void)state;
  assert_true(cplane_finalizer_has(api, o, "x/y"));
  assert_false(cplane_finalizer_has(api, o, "b"));
  assert_false(cplane_finalizer_has(api, none, "a"));

  assert_int_equal(cplane_finalizer_add_patch(api, o, "b", &patch), CPLANE_OK);
  assert_string_equal(patch, "{\"metadata\":{\"resourceVersion\":\"42\","
                             "\"finalizers\":[\"a\",\"x/y\",\"a\",\"b\"]}}");
  api->free(patch);
  assert_int_equal(cplane_finalizer_add_patch(api, none, "a", &patch),
                   CPLANE_OK);
  assert_string_equal(patch, "{\"metadata\":{\"resourceVersion\":\"7\","
                             "\"finalizers\":[\"a\"]}}");
  api->free(patch);
  /* nothing to do: present already, or the object is going away */
  assert_int_equal(cplane_finalizer_add_patch(api, o, "x/y", &patch),
                   CPLANE_OK);
  assert_null(patch);
  assert_int_equal(cplane_finalizer_add_patch(api, dying, "b", &patch),
                   CPLANE_OK);
  assert_null(patch);
  assert_int_equal(cplane_finalizer_add_patch(api, o, "", &patch),
                   CPLANE_EINVAL);
  assert_int_equal(cplane_finalizer_add_patch(api, o, NULL, &patch),
                   CPLANE_EINVAL);

  /* every copy goes */
  assert_int_equal(cplane_finalizer_remove_patch(api, o, "a", &patch),
                   CPLANE_OK);
  assert_string_equal(patch, "{\"metadata\":{\"resourceVersion\":\"42\","
                             "\"finalizers\":[\"x/y\"]}}");
  api->free(patch);
  assert_int_equal(cplane_finalizer_remove_patch(api, dying, "a", &patch),
                   CPLANE_OK);
  assert_string_equal(patch, "{\"metadata\":{\"resourceVersion\":\"9\","
                             "\"finalizers\":[]}}");
  api->free(patch);
  assert_int_equal(cplane_finalizer_remove_patch(api, none, "a", &patch),
                   CPLANE_OK);
  assert_null(patch);
  api->object_release(o);
  api->object_release(none);
  api->object_release(dying);
}

/* ---- conditions ---- */

/* The result of a set, for reading back: an object {"c": [...]}, as
 * object_parse() takes objects only. */
static const cplane_object *set_conditions(const cplane_object *o,
                                           const struct cplane_condition *c,
                                           size_t n, int *changed) {
  const cplane_object *out = NULL;
  char *json = NULL, *wrapped;

  assert_int_equal(cplane_conditions_set(api, NULL, o, "status.conditions", c,
                                         n, &json, changed),
                   CPLANE_OK);
  wrapped = api->json_format("{'c':%j}", json);
  assert_non_null(wrapped);
  if (api->object_parse(wrapped, strlen(wrapped), &out, NULL) != CPLANE_OK)
    fail_msg("not JSON: %s", json);
  api->free(wrapped);
  api->free(json);
  return out;
}

static void test_conditions(void **state) {
  const cplane_object *o =
      obj("{'metadata':{'generation':3},'status':{'conditions':["
          "{'type':'Other','status':'True','lastHeartbeatTime':'x'},"
          "{'type':'Ready','status':'True','observedGeneration':3,"
          "'lastTransitionTime':'2020-01-01T00:00:00Z','reason':'Fine',"
          "'message':'all good'}]}}");
  const cplane_object *bare = obj("{'metadata':{'name':'b'}}");
  const cplane_object *out;
  struct cplane_condition c = {"Ready", "True", "Fine", "all good", 3};
  const char *since;
  double now = cplane_now_s(api, NULL);
  int changed = -1;
  char *json = NULL;

  (void)state;
  assert_int_equal(cplane_condition_find(api, o, "status.conditions", "Ready"),
                   1);
  assert_int_equal(cplane_condition_find(api, o, "status.conditions", "No"),
                   CPLANE_ENOENT);
  assert_string_equal(
      cplane_condition_status(api, o, "status.conditions", "Ready"), "True");
  assert_null(cplane_condition_status(api, bare, "status.conditions", "Ready"));
  assert_true(cplane_condition_is_true(api, o, "status.conditions", "Ready"));
  assert_false(
      cplane_condition_is_true(api, bare, "status.conditions", "Ready"));

  /* The same again: nothing changed, the time stays. */
  out = set_conditions(o, &c, 1, &changed);
  assert_int_equal(changed, 0);
  assert_string_equal(api->object_string(out, "c[1].lastTransitionTime"),
                      "2020-01-01T00:00:00Z");
  assert_string_equal(api->object_string(out, "c[0].lastHeartbeatTime"), "x");
  assert_int_equal(api->object_len(out, "c"), 2);
  api->object_release(out);

  /* A new message or generation is a change; the time still stays. */
  c.message = "better";
  out = set_conditions(o, &c, 1, &changed);
  assert_int_equal(changed, 1);
  assert_string_equal(api->object_string(out, "c[1].message"), "better");
  assert_string_equal(api->object_string(out, "c[1].lastTransitionTime"),
                      "2020-01-01T00:00:00Z");
  api->object_release(out);
  c.message = "all good";
  c.observed_generation = 4;
  out = set_conditions(o, &c, 1, &changed);
  assert_int_equal(changed, 1);
  api->object_release(out);

  /* A flip gets the host's clock; a new type is appended. */
  {
    struct cplane_condition two[2] = {
        {"Ready", "False", "Broken", NULL, 0},
        {"Progressing", "Unknown", NULL, NULL, 0}};

    out = set_conditions(o, two, 2, &changed);
  }
  assert_int_equal(changed, 1);
  assert_int_equal(api->object_len(out, "c"), 3);
  assert_string_equal(api->object_string(out, "c[0].type"), "Other");
  assert_string_equal(api->object_string(out, "c[1].status"), "False");
  assert_int_equal(api->object_type(out, "c[1].message"), CPLANE_ENOENT);
  assert_int_equal(api->object_type(out, "c[1].observedGeneration"),
                   CPLANE_ENOENT);
  since = api->object_string(out, "c[1].lastTransitionTime");
  assert_true(fabs(cplane_time_parse_s(since, 0) - now) < 60);
  assert_string_equal(api->object_string(out, "c[2].type"), "Progressing");
  assert_string_equal(api->object_string(out, "c[2].lastTransitionTime"),
                      since);
  api->object_release(out);

  /* No array yet. */
  out = set_conditions(bare, &c, 1, &changed);
  assert_int_equal(changed, 1);
  assert_int_equal(api->object_len(out, "c"), 1);
  assert_int_equal(
      api->object_int(out, "c[0].observedGeneration", &(int64_t){0}),
      CPLANE_OK);
  api->object_release(out);

  /* A condition needs a type and a status. */
  c.status = NULL;
  assert_int_equal(cplane_conditions_set(api, NULL, o, "status.conditions", &c,
                                         1, &json, &changed),
                   CPLANE_EINVAL);
  assert_null(json);
  c.status = "True"; /* and changed may be NULL */
  assert_int_equal(cplane_conditions_set(api, NULL, o, "status.conditions", &c,
                                         1, &json, NULL),
                   CPLANE_OK);
  api->free(json);
  api->object_release(o);
  api->object_release(bare);
}

/* ---- history ---- */

static void test_history(void **state) {
  const cplane_object *r1 =
      obj("{'metadata':{'name':'ds-a'},'revision':1,"
          "'data':{'spec':{'template':{'x':1}}}}");
  const cplane_object *r3 =
      obj("{'metadata':{'name':'ds-b'},'revision':3,"
          "'data':{'spec':{'template':{'x':2}}}}");
  const cplane_object *r2 =
      obj("{'metadata':{'name':'ds-c'},'revision':2,"
          "'data':{'spec':{'template':{'x':1}}}}");
  const cplane_object **objs = calloc(3, sizeof *objs);
  cplane_object_list *revs = NULL;
  char h[16], h2[16], name[300], longp[260];
  int32_t cc = 1;

  (void)state;
  /* Go's hash/fnv New32 (FNV-1) vectors. */
  assert_int_equal(cplane_fnv1_32_add(CPLANE_FNV32_OFFSET, "", 0), 0x811c9dc5u);
  assert_int_equal(cplane_fnv1_32_add(CPLANE_FNV32_OFFSET, "a", 1), 0x050c5d7eu);
  assert_int_equal(cplane_fnv1_32_add(CPLANE_FNV32_OFFSET, "abc", 3),
                   0x439c2f4bu);
  /* The collision count changes the hash, as kube's probe does. */
  cplane_revision_hash("{}", 2, NULL, h, sizeof h);
  cplane_revision_hash("{}", 2, &cc, h2, sizeof h2);
  assert_string_not_equal(h, h2);
  assert_int_equal(cplane_revision_name("web", h, name, sizeof name), CPLANE_OK);
  assert_int_equal(strncmp(name, "web-", 4), 0);
  memset(longp, 'p', 250);
  longp[250] = '\0';
  assert_int_equal(cplane_revision_name(longp, h, name, sizeof name), CPLANE_OK);
  assert_int_equal(strlen(name), CPLANE_REVISION_PREFIX_MAX + 1 + strlen(h));
  assert_int_equal(cplane_revision_name("web", h, name, 5), CPLANE_EINVAL);

  assert_int_equal(cplane_revision_max(api, NULL), 0);
  assert_null(cplane_revision_find_equal(api, NULL, "{}"));
  assert_non_null(objs);
  objs[0] = r1;
  objs[1] = r3;
  objs[2] = r2;
  assert_int_equal(cp_api_make_list(objs, 3, &revs), CPLANE_OK);
  assert_int_equal(cplane_revision_max(api, revs), 3);
  /* Spacing does not matter; of two equal ones the newest wins. */
  assert_ptr_equal(cplane_revision_find_equal(
                       api, revs, "{ \"spec\": {\"template\": {\"x\": 1}}}"),
                   r2);
  assert_ptr_equal(
      cplane_revision_find_equal(api, revs, "{\"spec\":{\"template\":{\"x\":2}}}"),
      r3);
  assert_null(cplane_revision_find_equal(api, revs, "{\"spec\":{}}"));
  assert_null(cplane_revision_find_equal(api, revs, "not json"));
  api->list_free(revs);
}

/* Expectations: a set replaces, a raise adds to what is still due, the
 * TTL lets a parent go on when events were lost, uids are tracked apart
 * and never expire. */
static void test_expectations(void **state) {
  struct cplane_expectations x;

  (void)state;
  assert_int_equal(cplane_expectations_init(&x), CPLANE_OK);
  assert_true(cplane_expect_satisfied(&x, "ns/a", 0));
  assert_int_equal(cplane_expect_set(&x, "ns/a", 2, 0, 1000), 0);
  assert_false(cplane_expect_satisfied(&x, "ns/a", 1000));
  cplane_expect_observed(&x, "ns/a", 1, 0);
  assert_false(cplane_expect_satisfied(&x, "ns/a", 1000));
  cplane_expect_observed(&x, "ns/a", 1, 0);
  assert_true(cplane_expect_satisfied(&x, "ns/a", 1000));
  /* An overshoot counts as nothing due on the next raise. */
  cplane_expect_observed(&x, "ns/a", 3, 0);
  assert_int_equal(cplane_expect_raise(&x, "ns/a", 1, 1, 2000), 0);
  cplane_expect_observed(&x, "ns/a", 1, 0);
  assert_false(cplane_expect_satisfied(&x, "ns/a", 2000));
  assert_true(cplane_expect_satisfied(
      &x, "ns/a", 2000 + CPLANE_EXPECTATIONS_TTL_MS + 1));
  /* A set replaces what was due. */
  assert_int_equal(cplane_expect_set(&x, "ns/a", 0, 0, 3000), 0);
  assert_true(cplane_expect_satisfied(&x, "ns/a", 3000));
  assert_int_equal(cplane_expect_uid(&x, "ns/b", "u1"), 0);
  assert_true(cplane_expect_uid_pending(&x, "ns/b", "u1"));
  assert_false(cplane_expect_uid_pending(&x, "ns/b", "u2"));
  assert_true(cplane_expect_satisfied(&x, "ns/b", 0));
  cplane_expect_uid_seen(&x, "ns/b", "u1");
  assert_false(cplane_expect_uid_pending(&x, "ns/b", "u1"));
  assert_int_equal(cplane_expect_uid(&x, "ns/b", "u3"), 0);
  cplane_expect_forget(&x, "ns/b");
  assert_false(cplane_expect_uid_pending(&x, "ns/b", "u3"));
  cplane_expectations_free(&x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_names),
      cmocka_unit_test(test_strbuf),
      cmocka_unit_test(test_smap),
      cmocka_unit_test(test_sset),
      cmocka_unit_test(test_hash),
      cmocka_unit_test(test_time_format_parse),
      cmocka_unit_test(test_durations),
      cmocka_unit_test(test_quantity_parse),
      cmocka_unit_test(test_quantity_format),
      cmocka_unit_test(test_objects),
      cmocka_unit_test(test_owner_ref),
      cmocka_unit_test(test_finalizers),
      cmocka_unit_test(test_conditions),
      cmocka_unit_test(test_history),
      cmocka_unit_test(test_expectations),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
