/*
 * Unit tests for host/client/kubeconfig: the current context (or a named
 * one), inline *-data fields decoded, relative file paths resolved next to
 * the kubeconfig, and errors that name the file and what is missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/kubeconfig.h"

static char dir[64], path[128];

static void write_kc(const char *text) {
  FILE *f;

  snprintf(path, sizeof path, "%s/config", dir);
  f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup(void **state) {
  (void)state;
  strcpy(dir, "/tmp/cp-kc-XXXXXX");
  assert_non_null(mkdtemp(dir));
  return 0;
}

static int teardown(void **state) {
  char cmd[128];

  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  return 0;
}

/* "hello\n" and "key\n" in base64. */
static const char kc_text[] =
    "apiVersion: v1\n"
    "kind: Config\n"
    "current-context: dev\n"
    "clusters:\n"
    "- name: prod\n"
    "  cluster:\n"
    "    server: https://10.0.0.1:6443\n"
    "    certificate-authority: pki/ca.crt\n"
    "- name: local\n"
    "  cluster:\n"
    "    server: https://127.0.0.1:6443\n"
    "    certificate-authority-data: aGVsbG8K\n"
    "contexts:\n"
    "- name: dev\n"
    "  context: {cluster: local, user: me, namespace: default}\n"
    "- name: ops\n"
    "  context:\n"
    "    cluster: prod\n"
    "    user: ops\n"
    "users:\n"
    "- name: me\n"
    "  user:\n"
    "    token: abc123\n"
    "- name: ops\n"
    "  user:\n"
    "    client-certificate: /etc/ops.crt\n"
    "    client-key-data: a2V5Cg==\n";

static void test_current_and_named_context(void **state) {
  struct cp_kubeconfig kc;
  char *err = NULL, want[160];

  (void)state;
  write_kc(kc_text);
  assert_int_equal(cp_kubeconfig_load(path, NULL, &kc, &err), 0);
  assert_string_equal(kc.context, "dev");
  assert_string_equal(kc.server, "https://127.0.0.1:6443");
  assert_string_equal(kc.ca_pem, "hello\n");
  assert_null(kc.ca_file);
  assert_string_equal(kc.token, "abc123");
  assert_null(kc.cert_file);
  cp_kubeconfig_free(&kc);
  assert_int_equal(cp_kubeconfig_load(path, "ops", &kc, &err), 0);
  assert_string_equal(kc.server, "https://10.0.0.1:6443");
  snprintf(want, sizeof want, "%s/pki/ca.crt", dir); /* relative to it */
  assert_string_equal(kc.ca_file, want);
  assert_string_equal(kc.cert_file, "/etc/ops.crt");
  assert_string_equal(kc.key_pem, "key\n");
  assert_null(kc.token);
  cp_kubeconfig_free(&kc);
}

static void expect_error(const char *text, const char *want) {
  struct cp_kubeconfig kc;
  char *err = NULL;

  write_kc(text);
  assert_int_equal(cp_kubeconfig_load(path, NULL, &kc, &err), -1);
  if (strstr(err, want) == NULL)
    fail_msg("error \"%s\" lacks \"%s\"", err, want);
  assert_non_null(strstr(err, path));
  free(err);
}

static void test_errors(void **state) {
  struct cp_kubeconfig kc;
  char *err = NULL;

  (void)state;
  expect_error("clusters: []\n", "no current-context");
  expect_error("current-context: x\ncontexts: []\n",
               "the context is not in contexts");
  expect_error("current-context: x\ncontexts:\n- name: x\n  context: "
               "{cluster: c, user: u}\nclusters:\n- name: c\n  cluster: {}\n",
               "has no server");
  expect_error("a: [unclosed\n", "not YAML");
  /* An empty document loads without a root; it leaked (found by
   * tests/fuzz/fuzz_kubeconfig; the ASan run proves it is freed). */
  expect_error("\n\n", "not YAML: empty document");
  expect_error("", "not YAML: empty document");
  expect_error("---\n...\n", "no current-context");
  assert_int_equal(cp_kubeconfig_load("/nonexistent/kc", NULL, &kc, &err),
                   -1);
  assert_non_null(strstr(err, "/nonexistent/kc: cannot be read"));
  free(err);
}

/* The in-memory entry the fuzzer drives: the text need not end in a NUL,
 * relative paths resolve against the directory of the path it stands
 * for, and errors name that path. */
static void test_parse_in_memory(void **state) {
  struct cp_kubeconfig kc;
  char *err = NULL;
  char *text = malloc(sizeof kc_text - 1);

  (void)state;
  assert_non_null(text);
  memcpy(text, kc_text, sizeof kc_text - 1); /* no NUL after it */
  assert_int_equal(cp_kubeconfig_parse("/etc/kube/config", text,
                                       sizeof kc_text - 1, "ops", &kc, &err),
                   0);
  assert_null(err);
  assert_string_equal(kc.ca_file, "/etc/kube/pki/ca.crt");
  assert_string_equal(kc.key_pem, "key\n");
  cp_kubeconfig_free(&kc);
  /* Only the first line: no contexts. */
  assert_int_equal(cp_kubeconfig_parse("/etc/kube/config", text, 15, "ops",
                                       &kc, &err),
                   -1);
  assert_string_equal(err, "kubeconfig /etc/kube/config: the context is not "
                           "in contexts");
  free(err);
  assert_int_equal(cp_kubeconfig_parse("mem", "a: [", 4, NULL, &kc, &err), -1);
  assert_non_null(strstr(err, "kubeconfig mem: not YAML"));
  free(err);
  free(text);
}

/* A file past CP_KUBECONFIG_MAX_BYTES is refused, not read whole. */
static void test_file_too_large(void **state) {
  struct cp_kubeconfig kc;
  char *err = NULL;
  FILE *f;

  (void)state;
  write_kc("current-context: x\n");
  f = fopen(path, "r+");
  assert_non_null(f);
  assert_int_equal(fseek(f, CP_KUBECONFIG_MAX_BYTES, SEEK_SET), 0);
  fputc('\n', f);
  fclose(f);
  assert_int_equal(cp_kubeconfig_load(path, NULL, &kc, &err), -1);
  assert_non_null(strstr(err, "larger than"));
  free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_current_and_named_context, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
      cmocka_unit_test(test_parse_in_memory),
      cmocka_unit_test_setup_teardown(test_file_too_large, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
