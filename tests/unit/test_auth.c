/*
 * Unit tests for host/apiserver/auth and pki: the static token file
 * (format, errors with file:line, groups), the [authz.*] rules as parsed
 * (RBAC decides: test_rbac.c), the
 * generated admin token, and the self-made TLS material.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "apiserver/auth.h"
#include "apiserver/pki.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  strcpy(dir, "/tmp/cp-auth-XXXXXX");
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

static void write_file(const char *name, const char *text, char *path,
                       size_t len) {
  FILE *f;

  snprintf(path, len, "%s/%s", dir, name);
  f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void test_tokens_and_rules(void **state) {
  static const struct cp_authz_rule_config rules[] = {
      {"readers", NULL, "readers", "get,list, watch", "configmaps, pods",
       "default", NULL},
      {"ops", "bob", NULL, "*", "deployments", NULL, NULL},
      {"scrapers", "prom", NULL, "get", NULL, NULL, "/metrics, /debug/*"},
  };
  char path[128], *err = NULL;
  struct cp_auth *a;
  const struct cp_user *u;
  char *none[] = {NULL};

  (void)state;
  write_file("t.csv", "# comment\n\nadmintok,admin,1,\"system:masters\"\n"
                      "viewtok,alice,2,\"readers,devs\"\nbobtok,bob,3\n",
             path, sizeof path);
  a = cp_auth_new(path, rules, 3, &err);
  assert_non_null(a);
  u = cp_auth_token(a, "viewtok");
  assert_non_null(u);
  assert_string_equal(u->name, "alice");
  assert_int_equal(u->n_groups, 2);
  assert_string_equal(u->groups[1], "devs");
  assert_null(cp_auth_token(a, "viewto"));
  assert_null(cp_auth_token(a, "viewtokk"));
  assert_null(cp_auth_token(a, ""));
  assert_string_equal(cp_auth_admin_token(a), "admintok");
  /* Without an RBAC authorizer attached (the server attaches one, see
   * test_rbac.c) only system:masters is allowed. */
  u = cp_auth_token(a, "admintok");
  assert_true(cp_auth_allowed(a, u->name, u->groups, u->n_groups, "delete",
                              "nodes", ""));
  assert_true(cp_auth_allowed_path(a, u->name, u->groups, u->n_groups, "get",
                                   "/metrics"));
  u = cp_auth_token(a, "viewtok");
  assert_false(cp_auth_allowed(a, u->name, u->groups, u->n_groups, "list",
                               "configmaps", "default"));
  assert_false(cp_auth_allowed_path(a, "prom", none, 0, "get", "/metrics"));
  /* The [authz.*] rules are parsed for the RBAC objects they become. */
  {
    const struct cp_auth_rule *r;

    assert_int_equal(cp_auth_rules(a, &r), 3);
    assert_string_equal(r[0].name, "readers");
    assert_int_equal(r[0].verbs.n, 3);
    assert_string_equal(r[0].verbs.items[2], "watch");
    assert_int_equal(r[0].resources.n, 2);
    assert_string_equal(r[0].namespaces.items[0], "default");
    assert_int_equal(r[1].namespaces.n, 1); /* none given: "*" */
    assert_string_equal(r[1].namespaces.items[0], "*");
    assert_string_equal(r[2].paths.items[1], "/debug/*");
  }
  cp_auth_free(a);
}

static void test_bad_input(void **state) {
  static const struct cp_authz_rule_config no_verbs[] = {
      {"broken", "bob", NULL, NULL, "pods", NULL, NULL}};
  char path[128], *err = NULL;

  (void)state;
  write_file("bad.csv", "ok,user,1\nonlytoken\n", path, sizeof path);
  assert_null(cp_auth_new(path, NULL, 0, &err));
  assert_non_null(strstr(err, "bad.csv:2: expected token,user,uid"));
  free(err);
  assert_null(cp_auth_new("/nonexistent/t.csv", NULL, 0, &err));
  assert_non_null(strstr(err, "cannot read tokens file /nonexistent/t.csv"));
  free(err);
  assert_null(cp_auth_new(NULL, no_verbs, 1, &err));
  assert_non_null(strstr(err, "[authz.broken] needs"));
  free(err);
}

static void test_make_token_file(void **state) {
  char path[128], *err = NULL, *tok;
  struct cp_auth *a;
  struct stat st;

  (void)state;
  snprintf(path, sizeof path, "%s/tokens.csv", dir);
  tok = cp_auth_make_token_file(path, &err);
  assert_non_null(tok);
  assert_int_equal(strlen(tok), 48);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  a = cp_auth_new(path, NULL, 0, &err);
  assert_non_null(a);
  assert_string_equal(cp_auth_admin_token(a), tok);
  cp_auth_free(a);
  free(tok);
  /* Never overwrites. */
  assert_null(cp_auth_make_token_file(path, &err));
  free(err);
}

static void test_pki(void **state) {
  char pki[128], crt[160], key[160], ca[160], *err = NULL, *b64;
  struct stat st1, st2;
  SSL_CTX *ctx;

  (void)state;
  snprintf(pki, sizeof pki, "%s/pki", dir);
  assert_int_equal(cp_pki_ensure(pki, "127.0.0.1", &err), 0);
  snprintf(crt, sizeof crt, "%s/server.crt", pki);
  snprintf(key, sizeof key, "%s/server.key", pki);
  snprintf(ca, sizeof ca, "%s/ca.crt", pki);
  assert_int_equal(stat(key, &st1), 0);
  assert_int_equal(st1.st_mode & 0777, 0600);
  ctx = cp_pki_server_ctx(crt, key, ca, &err);
  assert_non_null(ctx);
  SSL_CTX_free(ctx);
  /* A second start keeps the same material. */
  assert_int_equal(cp_pki_ensure(pki, "127.0.0.1", &err), 0);
  assert_int_equal(stat(key, &st2), 0);
  assert_int_equal(st1.st_ino, st2.st_ino);
  b64 = cp_pki_file_base64(ca);
  assert_non_null(b64);
  assert_int_equal(strncmp(b64, "LS0tLS1CRUdJTi", 14), 0); /* -----BEGIN */
  free(b64);
  assert_null(cp_pki_file_base64("/nonexistent"));
  assert_null(cp_pki_server_ctx("/nonexistent.crt", key, NULL, &err));
  assert_non_null(strstr(err, "cannot load the serving certificate "
                              "/nonexistent.crt"));
  free(err);
  assert_null(cp_pki_server_ctx(crt, ca, NULL, &err)); /* not a key */
  assert_non_null(strstr(err, "serving key"));
  free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_tokens_and_rules, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
      cmocka_unit_test_setup_teardown(test_make_token_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pki, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
