/*
 * test_proxy_chunked - the aggregator's incremental chunked decoder
 * (host/apiserver/aggregator/chunked.h): a body cut at every byte
 * decodes to the same data, the last chunk ends it, extensions are
 * skipped, and bad framing stops it without reading past.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "apiserver/aggregator/chunked.h"

static const char body[] = "7\r\n{\"a\":1}\r\n"
                           "a;ext=1\r\n\n{\"b\":22}\n\r\n"
                           "0\r\n\r\n"
                           "trailing junk";

/* Feeds body in pieces of `step` bytes; the data decoded. */
static size_t feed(size_t step, char *out, struct cp_chunked *d) {
  char piece[64];
  size_t off = 0, n = 0, len = strlen(body);

  memset(d, 0, sizeof *d);
  while (off < len) {
    size_t take = len - off < step ? len - off : step;

    memcpy(piece, body + off, take);
    take = cp_chunked_decode(d, piece, take);
    memcpy(out + n, piece, take);
    n += take;
    off += step;
  }
  out[n] = '\0';
  return n;
}

static void test_any_cut(void **state) {
  struct cp_chunked d;
  char out[128];
  size_t step;

  (void)state;
  for (step = 1; step <= 40; step++) {
    assert_int_equal(feed(step, out, &d), 17);
    assert_string_equal(out, "{\"a\":1}\n{\"b\":22}\n");
    assert_true(d.done);
    assert_false(d.error);
  }
}

static void test_bad_framing(void **state) {
  struct cp_chunked d;
  char bad[] = "3\r\nabcX\r\n3\r\ndef\r\n";
  char nohex[] = "zz\r\nabc";
  char huge[] = "ffffffffffffffffff\r\n";

  (void)state;
  memset(&d, 0, sizeof d);
  assert_int_equal(cp_chunked_decode(&d, bad, strlen(bad)), 3);
  assert_memory_equal(bad, "abc", 3);
  assert_true(d.error);
  /* Nothing more comes out once it failed. */
  assert_int_equal(cp_chunked_decode(&d, bad, strlen(bad)), 0);
  memset(&d, 0, sizeof d);
  assert_int_equal(cp_chunked_decode(&d, nohex, strlen(nohex)), 0);
  assert_true(d.error);
  memset(&d, 0, sizeof d);
  assert_int_equal(cp_chunked_decode(&d, huge, strlen(huge)), 0);
  assert_true(d.error);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_any_cut),
      cmocka_unit_test(test_bad_framing),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
