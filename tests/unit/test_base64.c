/*
 * test_base64 - host/encoding/base64: RFC 4648's test vectors in Go's
 * four encodings, both alphabets, and Go's decoding rules with the byte
 * each refusal names (what encoding/base64's CorruptInputError says):
 * missing, short or misplaced padding, trailing garbage, bytes outside
 * the alphabet, skipped newlines, and unused bits (allowed unless
 * strict).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "encoding/base64.h"

/* RFC 4648 section 10. */
static const struct {
  const char *in, *std, *raw;
} rfc[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

static void expect_encode(enum cp_base64_enc e, const void *in, size_t n,
                          const char *want) {
  char *s = cp_base64_encode(e, in, n);

  assert_non_null(s);
  assert_string_equal(s, want);
  assert_int_equal(cp_base64_encoded_len(e, n), strlen(want));
  free(s);
}

static void expect_decode(enum cp_base64_enc e, int strict, const char *in,
                          const void *want, size_t want_len) {
  size_t n = 99;
  unsigned char *d = cp_base64_decode(e, strict, in, strlen(in), &n);

  if (d == NULL)
    fail_msg("\"%s\" refused", in);
  assert_int_equal(n, want_len);
  assert_memory_equal(d, want, want_len);
  assert_int_equal(d[n], 0);
  free(d);
}

/* Refused, naming byte at (Go's CorruptInputError). */
static void expect_bad(enum cp_base64_enc e, int strict, const char *in,
                       size_t at) {
  size_t bad = 999, n;
  unsigned char buf[64];

  if (cp_base64_decode_to(e, strict, buf, in, strlen(in), &n, &bad) == 0)
    fail_msg("\"%s\" accepted", in);
  if (bad != at)
    fail_msg("\"%s\": bad byte %zu, want %zu", in, bad, at);
  assert_null(cp_base64_decode(e, strict, in, strlen(in), &n));
}

static void test_rfc4648_vectors(void **state) {
  size_t i;

  (void)state;
  for (i = 0; i < sizeof rfc / sizeof rfc[0]; i++) {
    size_t n = strlen(rfc[i].in);

    expect_encode(CP_BASE64_STD, rfc[i].in, n, rfc[i].std);
    expect_encode(CP_BASE64_URL, rfc[i].in, n, rfc[i].std);
    expect_encode(CP_BASE64_RAW_STD, rfc[i].in, n, rfc[i].raw);
    expect_encode(CP_BASE64_RAW_URL, rfc[i].in, n, rfc[i].raw);
    expect_decode(CP_BASE64_STD, 1, rfc[i].std, rfc[i].in, n);
    expect_decode(CP_BASE64_URL, 1, rfc[i].std, rfc[i].in, n);
    expect_decode(CP_BASE64_RAW_STD, 1, rfc[i].raw, rfc[i].in, n);
    expect_decode(CP_BASE64_RAW_URL, 1, rfc[i].raw, rfc[i].in, n);
  }
}

/* The two characters the alphabets differ in, and every byte value. */
static void test_alphabets(void **state) {
  const unsigned char hi[] = {0xfb, 0xff, 0xbf};
  unsigned char all[256];
  char *s;
  size_t i, n;
  unsigned char *d;

  (void)state;
  expect_encode(CP_BASE64_STD, hi, 3, "+/+/");
  expect_encode(CP_BASE64_URL, hi, 3, "-_-_");
  expect_encode(CP_BASE64_RAW_URL, hi, 2, "-_8");
  expect_decode(CP_BASE64_STD, 1, "+/+/", hi, 3);
  expect_decode(CP_BASE64_RAW_URL, 1, "-_-_", hi, 3);
  expect_bad(CP_BASE64_STD, 0, "-_-_", 0);
  expect_bad(CP_BASE64_RAW_URL, 0, "a+b/", 1);
  for (i = 0; i < 256; i++)
    all[i] = (unsigned char)i;
  for (i = 0; i < 4; i++) {
    s = cp_base64_encode((enum cp_base64_enc)i, all, sizeof all);
    assert_non_null(s);
    d = cp_base64_decode((enum cp_base64_enc)i, 1, s, strlen(s), &n);
    assert_non_null(d);
    assert_int_equal(n, sizeof all);
    assert_memory_equal(d, all, sizeof all);
    free(d);
    free(s);
  }
}

static void test_padding(void **state) {
  (void)state;
  expect_bad(CP_BASE64_STD, 0, "YQ", 0);      /* padding missing */
  expect_bad(CP_BASE64_STD, 0, "YQ=", 3);     /* half of it */
  expect_bad(CP_BASE64_STD, 0, "Y===", 1);    /* too much */
  expect_bad(CP_BASE64_STD, 0, "====", 0);
  expect_bad(CP_BASE64_STD, 0, "YQ=x", 2);    /* '=' then not '=' */
  expect_bad(CP_BASE64_STD, 0, "YQ==YQ==", 4); /* trailing garbage */
  expect_bad(CP_BASE64_STD, 0, "abcde", 4);   /* one character left */
  expect_bad(CP_BASE64_RAW_STD, 0, "Zg==", 2); /* raw: no padding */
  expect_bad(CP_BASE64_RAW_URL, 0, "YQ==", 2);
  expect_bad(CP_BASE64_RAW_STD, 0, "abcde", 4);
  expect_decode(CP_BASE64_RAW_STD, 0, "YWI", "ab", 2);
}

static void test_bytes_outside_alphabet(void **state) {
  (void)state;
  expect_bad(CP_BASE64_STD, 0, "aGVs!G8=", 4);
  expect_bad(CP_BASE64_STD, 0, " Zm8=", 0); /* spaces are not skipped */
  expect_bad(CP_BASE64_STD, 0, "Zm8= ", 4);
  expect_bad(CP_BASE64_STD, 0, "Zm\t8=", 2);
  {
    const char nul[] = {'Z', 'm', '\0', '='};
    size_t bad = 0;
    unsigned char out[8];

    assert_int_equal(cp_base64_decode_to(CP_BASE64_STD, 0, out, nul, 4,
                                         NULL, &bad),
                     -1);
    assert_int_equal(bad, 2);
  }
}

/* Go's decoder skips \r and \n anywhere, padding included. */
static void test_newlines_skipped(void **state) {
  (void)state;
  expect_decode(CP_BASE64_STD, 0, "Zm9v\r\nYmFy\n", "foobar", 6);
  expect_decode(CP_BASE64_STD, 0, "Zm\n8=", "fo", 2);
  expect_decode(CP_BASE64_STD, 0, "Zg=\n=\n", "f", 1);
  expect_decode(CP_BASE64_STD, 0, "\n", "", 0);
  expect_bad(CP_BASE64_STD, 0, "Zg=\n", 4);
}

/* Unused bits of the last character: ignored, as Go's encodings are by
 * default; refused when strict, as Encoding.Strict() does. */
static void test_unused_bits(void **state) {
  (void)state;
  expect_decode(CP_BASE64_STD, 0, "YR==", "a", 1);
  expect_decode(CP_BASE64_STD, 0, "YWJ=", "ab", 2);
  expect_decode(CP_BASE64_RAW_URL, 0, "YR", "a", 1);
  expect_bad(CP_BASE64_STD, 1, "YR==", 2);
  expect_bad(CP_BASE64_STD, 1, "YWJ=", 3);
  expect_bad(CP_BASE64_RAW_URL, 1, "YR", 0);
  expect_bad(CP_BASE64_RAW_URL, 1, "YWJ", 2);
}

/* Only checking (dst NULL), as a "format: byte" validation does. */
static void test_check_only(void **state) {
  size_t n = 0;

  (void)state;
  assert_int_equal(cp_base64_decode_to(CP_BASE64_STD, 0, NULL, "Zm9vYg==",
                                       8, &n, NULL),
                   0);
  assert_int_equal(n, 4);
  assert_int_equal(cp_base64_decode_to(CP_BASE64_STD, 0, NULL, "Zm9vYg=",
                                       7, NULL, NULL),
                   -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc4648_vectors),
      cmocka_unit_test(test_alphabets),
      cmocka_unit_test(test_padding),
      cmocka_unit_test(test_bytes_outside_alphabet),
      cmocka_unit_test(test_newlines_skipped),
      cmocka_unit_test(test_unused_bits),
      cmocka_unit_test(test_check_only),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
