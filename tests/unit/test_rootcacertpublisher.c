/*
 * test_rootcacertpublisher - the rootcacertpublisher plugin's modules:
 * reading the CA bundle (missing, empty, not PEM, too large, binary,
 * good), kube's test of whether a kube-root-ca.crt needs putting back,
 * and the exact create body and restoring patch (extra data keys
 * nulled, the description set, guarded by resourceVersion).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <unistd.h>

#include "plugin/plugin.h"
#include "plugin_objects.h"

#include "cafile.h"
#include "publish.h"

static const struct cplane_host_api *api;

#define PEM                                                                    \
  "-----BEGIN CERTIFICATE-----\nMIIBdj\n-----END CERTIFICATE-----\n"

static char *write_tmp(const char *text, size_t n) {
  static char path[64];
  FILE *f;
  int fd;

  snprintf(path, sizeof path, "/tmp/rc-test-XXXXXX");
  fd = mkstemp(path);
  assert_true(fd >= 0);
  f = fdopen(fd, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, n, f), n);
  fclose(f);
  return path;
}

static void test_read_ca(void **state) {
  const char *why = NULL;
  char *ca, *path, *big;

  (void)state;
  assert_null(rc_read_ca(NULL, &why));
  assert_string_equal(why, "is not set, and the host has no CA file to offer");
  assert_null(rc_read_ca("/nonexistent/ca.crt", &why));
  assert_string_equal(why, "cannot be read");
  path = write_tmp(PEM, sizeof PEM - 1);
  assert_non_null(ca = rc_read_ca(path, &why));
  assert_string_equal(ca, PEM);
  free(ca);
  unlink(path);
  path = write_tmp("hello\n", 6);
  assert_null(rc_read_ca(path, &why));
  assert_string_equal(why, "holds no PEM certificate");
  unlink(path);
  path = write_tmp(PEM "\0x", sizeof PEM + 1);
  assert_null(rc_read_ca(path, &why));
  unlink(path);
  big = calloc(1, RC_CA_MAX + 2);
  assert_non_null(big);
  memset(big, 'a', RC_CA_MAX + 1);
  path = write_tmp(big, RC_CA_MAX + 1);
  assert_null(rc_read_ca(path, &why));
  assert_string_equal(why, "is larger than 256 KiB");
  unlink(path);
  free(big);
  assert_int_equal(rc_ca_valid(PEM), 1);
  assert_int_equal(rc_ca_valid("-----BEGIN CERTIFICATE-----\n\x01"
                               "-----END CERTIFICATE-----"),
                   0);
}

static void test_needs_update(void **state) {
  static const char *const cases[][2] = {
      {"{'metadata':{'annotations':{'kubernetes.io/description':'x'}},"
       "'data':{'ca.crt':'CA'}}",
       "0"},
      {"{'metadata':{'annotations':{'kubernetes.io/description':''}},"
       "'data':{'ca.crt':'CA'}}",
       "1"},
      {"{'metadata':{},'data':{'ca.crt':'CA'}}", "1"},
      {"{'metadata':{'annotations':{'kubernetes.io/description':'x'}},"
       "'data':{'ca.crt':'OTHER'}}",
       "1"},
      {"{'metadata':{'annotations':{'kubernetes.io/description':'x'}},"
       "'data':{'ca.crt':'CA','extra':'y'}}",
       "1"},
      {"{'metadata':{'annotations':{'kubernetes.io/description':'x'}}}", "1"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const cplane_object *cm = plugin_obj(api, cases[i][0]);

    assert_int_equal(rc_needs_update(api, cm, "CA"), cases[i][1][0] - '0');
    api->object_release(cm);
  }
}

static void test_bodies(void **state) {
  const cplane_object *cm =
      plugin_obj(api, "{'metadata':{'name':'kube-root-ca.crt',"
                      "'resourceVersion':'7'},'data':{'ca.crt':'old',"
                      "'extra':'y'}}");
  char *b = rc_create_body(api, "CA\n"), *p;

  (void)state;
  assert_string_equal(
      b, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
         "\"kube-root-ca.crt\",\"annotations\":{\"kubernetes.io/"
         "description\":\"" RC_DESCRIPTION "\"}},\"data\":{\"ca.crt\":"
         "\"CA\\n\"}}");
  api->free(b);
  p = rc_update_patch(api, cm, "CA\n");
  assert_string_equal(
      p, "{\"metadata\":{\"resourceVersion\":\"7\",\"annotations\":{"
         "\"kubernetes.io/description\":\"" RC_DESCRIPTION "\"}},\"data\":{"
         "\"ca.crt\":\"CA\\n\",\"extra\":null}}");
  api->free(p);
  api->object_release(cm);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_read_ca),
      cmocka_unit_test(test_needs_update),
      cmocka_unit_test(test_bodies),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
