/*
 * test_kit_rootcacertpublisher - the rootcacertpublisher plugin
 * (plugins/rootcacertpublisher, linked in unchanged) on the test kit's
 * fake host: every namespace gets kube-root-ca.crt with the bundle and
 * kube's description; a changed one is put back (extra keys dropped, the
 * user's labels kept); a deleted one comes back; a terminating namespace
 * gets none; a bad ca_file refuses to start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cplane/testing.h>

const struct cplane_plugin *cplane_plugin_entry(void);

#define CMS "configmaps"
#define PEM                                                                    \
  "-----BEGIN CERTIFICATE-----\nMIIBdj\n-----END CERTIFICATE-----\n"

static char ca_path[64];

static cplane_test_host *start(void) {
  cplane_test_host *h = cplane_test_host_new();
  FILE *f;
  int fd;

  assert_non_null(h);
  snprintf(ca_path, sizeof ca_path, "/tmp/rc-kit-XXXXXX");
  assert_true((fd = mkstemp(ca_path)) >= 0);
  assert_non_null(f = fdopen(fd, "w"));
  fputs(PEM, f);
  fclose(f);
  assert_int_equal(cplane_test_config_set(h, "ca_file", ca_path), 0);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  return h;
}

static void stop(cplane_test_host *h) {
  cplane_test_host_free(h);
  unlink(ca_path);
}

static void add_ns(cplane_test_host *h, const char *name, const char *extra) {
  char json[256];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{"
           "\"name\":\"%s\"%s},\"status\":{\"phase\":\"Active\"}}",
           name, extra);
  assert_int_equal(cplane_test_add(h, "namespaces", json), 0);
}

static char *cm_string(cplane_test_host *h, const char *ns, const char *path,
                       char *buf, size_t len) {
  char key[128];

  snprintf(key, sizeof key, "%s/kube-root-ca.crt", ns);
  return cplane_test_get_string(h, CMS, key, path, buf, len);
}

static void test_published_restored_recreated(void **state) {
  cplane_test_host *h = start();
  char buf[512];

  (void)state;
  add_ns(h, "default", "");
  add_ns(h, "shop", "");
  assert_true(cplane_test_drain(h) >= 2);
  assert_string_equal(cm_string(h, "shop", "data.ca\\.crt", buf, sizeof buf),
                      PEM);
  assert_string_equal(
      cm_string(h, "shop", "metadata.annotations.kubernetes\\.io/description",
                buf, sizeof buf),
      "Contains a CA bundle that can be used to verify the kube-apiserver "
      "when using internal endpoints such as the internal service IP or "
      "kubernetes.default.svc. No other usage is guaranteed across "
      "distributions of Kubernetes clusters.");
  assert_int_equal(cplane_test_count(h, CMS, NULL, NULL), 2);

  /* Changed by hand (data, an extra key, a label): put back, label kept. */
  assert_int_equal(
      cplane_test_update(h, CMS,
                         "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                         "\"metadata\":{\"name\":\"kube-root-ca.crt\","
                         "\"namespace\":\"shop\",\"labels\":{\"mine\":\"y\"}},"
                         "\"data\":{\"ca.crt\":\"forged\",\"x\":\"1\"}}"),
      0);
  assert_true(cplane_test_drain(h) >= 1);
  assert_string_equal(cm_string(h, "shop", "data.ca\\.crt", buf, sizeof buf),
                      PEM);
  assert_string_equal(cm_string(h, "shop", "data.x", buf, sizeof buf), "");
  assert_string_equal(cm_string(h, "shop", "metadata.labels.mine", buf,
                                sizeof buf),
                      "y");
  assert_true(cm_string(h, "shop",
                        "metadata.annotations.kubernetes\\.io/description",
                        buf, sizeof buf)[0] != '\0');
  assert_int_equal(cplane_test_logs_count(h, "namespace shop: restored "
                                             "kube-root-ca.crt"),
                   1);

  /* Deleted: back. Settled: no writes on a resync. */
  assert_int_equal(cplane_test_delete(h, CMS, "shop/kube-root-ca.crt"), 0);
  assert_true(cplane_test_drain(h) >= 1);
  assert_string_equal(cm_string(h, "shop", "data.ca\\.crt", buf, sizeof buf),
                      PEM);
  cplane_test_writes_clear(h);
  cplane_test_resync(h);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_len(h), 0);
  stop(h);
}

static void test_terminating_and_failures(void **state) {
  cplane_test_host *h = start();

  (void)state;
  add_ns(h, "going", ",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"");
  cplane_test_drain(h);
  assert_int_equal(cplane_test_count(h, CMS, NULL, NULL), 0);
  assert_int_equal(cplane_test_fail(h, "create", CMS, 1, 500, NULL), 0);
  add_ns(h, "shop", "");
  assert_int_equal(cplane_test_reconcile(h, "shop", NULL),
                   CPLANE_RECONCILE_RETRY);
  cplane_test_clock_advance_ms(h, 5);
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_count(h, CMS, "shop", NULL), 1);
  stop(h);
}

static void test_bad_ca_file_refused(void **state) {
  cplane_test_host *h = cplane_test_host_new();

  (void)state;
  assert_non_null(h);
  assert_int_equal(cplane_test_config_set(h, "ca_file", "/nonexistent/ca"), 0);
  assert_int_not_equal(cplane_test_start(h, cplane_plugin_entry()),
                       CPLANE_OK);
  assert_string_equal(cplane_test_start_error(h),
                      "init() failed (CPLANE_EINVAL): ca_file "
                      "/nonexistent/ca: cannot be read");
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_published_restored_recreated),
      cmocka_unit_test(test_terminating_and_failures),
      cmocka_unit_test(test_bad_ca_file_refused),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
