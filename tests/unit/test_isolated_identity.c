/*
 * test_isolated_identity - an isolated plugin's child gets only its own
 * credential (plugin/isolated_identity.h, plugin/isolated_describe.h):
 * the files the host writes (modes, an atomic replace, a private
 * directory that refuses a symbolic link), the kubeconfig a client and
 * the kubeconfig reader take (its tokenFile), the user a TLS API server
 * sees through it, the life asked for ([host] plugin_token_seconds), the
 * role made from a described descriptor, a renewal rewriting the token;
 * and what a describing process prints, read bounded and checked (bad
 * JSON, wrong types, another plugin's name, too much, too slow, a failed
 * load).
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
#include <json-c/json.h>
#include <openssl/evp.h>

#include "client/client.h"
#include "client/kubeconfig.h"
#include "config/read_file.h"
#include "log/log.h"
#include "plugin/identity.h"
#include "plugin/identity_rbac.h"
#include "plugin/isolated_describe.h"
#include "plugin/isolated_identity.h"
#include "plugin/plugin.h"
#include "tls_api_fixture.h"

#define USER "system:serviceaccount:kube-system:widgets"

static const struct cplane_resource watched[] = {
    CPLANE_RESOURCE("apps", "v1", "deployments"),
    CPLANE_RESOURCE("", "v1", "configmaps"),
};
static const struct cplane_resource declared[] = {
    CPLANE_RESOURCE("", "v1", "secrets"),
};

static int setup(void **state) { return tls_api_fixture_setup(state, 1); }
static int teardown(void **state) { return tls_api_fixture_teardown(state); }

/* Not inlined: GCC 12 takes the result for a pointer to the local. */
__attribute__((noinline)) static char *slurp(const char *path) {
  char *text = NULL;
  size_t len = 0;

  assert_int_equal(cp_read_file(path, 1 << 20, &text, &len), 0);
  return text;
}

static unsigned mode_of(const char *path) {
  struct stat st;

  assert_int_equal(lstat(path, &st), 0);
  return st.st_mode & 07777;
}

/* Who the server says c's caller is (SelfSubjectReview). */
static char *whoami(struct cp_client *c) {
  static const char body[] = "{\"apiVersion\":\"authentication.k8s.io/v1\","
                             "\"kind\":\"SelfSubjectReview\"}";
  char *resp = NULL, *user = NULL;
  size_t len = 0;
  int code = cp_client_request(
      c, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      "application/json", body, sizeof body - 1, &resp, &len);
  json_object *o = resp ? json_tokener_parse(resp) : NULL, *v = NULL;

  if (code != 201)
    fail_msg("selfsubjectreview: %d %s", code, resp ? resp : "");
  if (json_object_object_get_ex(o, "status", &v) &&
      json_object_object_get_ex(v, "userInfo", &v) &&
      json_object_object_get_ex(v, "username", &v))
    user = strdup(json_object_get_string(v));
  json_object_put(o);
  free(resp);
  return user;
}

/* The seconds between a JWT's iat and exp claims. */
static long long jwt_life(const char *jwt) {
  const char *a = strchr(jwt, '.'), *b = a ? strchr(a + 1, '.') : NULL;
  char b64[4096];
  unsigned char raw[4096];
  size_t n, i;
  int len;
  json_object *o, *v;
  long long iat = 0, exp = 0;

  assert_non_null(b);
  n = (size_t)(b - a - 1);
  assert_true(n + 4 < sizeof b64);
  for (i = 0; i < n; i++)
    b64[i] = a[1 + i] == '-' ? '+' : a[1 + i] == '_' ? '/' : a[1 + i];
  while (n % 4 != 0)
    b64[n++] = '=';
  len = EVP_DecodeBlock(raw, (unsigned char *)b64, (int)n);
  assert_true(len > 0);
  raw[len] = '\0';
  o = json_tokener_parse((char *)raw);
  assert_non_null(o);
  if (json_object_object_get_ex(o, "iat", &v))
    iat = json_object_get_int64(v);
  if (json_object_object_get_ex(o, "exp", &v))
    exp = json_object_get_int64(v);
  json_object_put(o);
  return exp - iat;
}

static void test_prepare_and_renew(void **state) {
  struct tls_api_fixture *f = *state;
  struct cp_identity_issuer is;
  struct cp_client_config cc = {0};
  struct cp_isolated_identity *ii;
  struct cp_kubeconfig kc;
  struct cp_client *child = NULL;
  struct cplane_plugin d;
  char dir[160], own[200], path[260], *kcpath, *err = NULL, *user, *first,
      *second, *resp = NULL;
  size_t len = 0;

  cc.server = f->url;
  cc.ca_file = f->ca_crt;
  assert_int_equal(cp_identity_issuer_init_remote(&is, &cc, f->host), 0);
  is.manage_rbac = 1;
  is.token_seconds = 600; /* [host] plugin_token_seconds */
  snprintf(dir, sizeof dir, "%s/data/isolated", f->dir);
  assert_non_null(ii = cp_isolated_identity_new(dir, &is));
  memset(&d, 0, sizeof d);
  d.name = "widgets";
  d.n_resources = 2;
  d.resources = watched;
  d.n_writes = 1;
  d.writes = declared;
  if (cp_isolated_identity_prepare(ii, "widgets", &d, &err) != 0)
    fail_msg("%s", err);

  /* The files: private, and nothing else in the directory. */
  snprintf(own, sizeof own, "%s/widgets", dir);
  assert_int_equal(mode_of(dir), 0700);
  assert_int_equal(mode_of(own), 0700);
  snprintf(path, sizeof path, "%s/token", own);
  assert_int_equal(mode_of(path), 0600);
  snprintf(path, sizeof path, "%s/ca.crt", own);
  assert_int_equal(mode_of(path), 0600);
  kcpath = cp_isolated_identity_kubeconfig(ii, "widgets");
  snprintf(path, sizeof path, "%s/kubeconfig", own);
  assert_string_equal(kcpath, path);
  assert_int_equal(mode_of(kcpath), 0600);

  /* The kubeconfig: the server, the CA copied next to it, the token as
   * a tokenFile (never inline), and the admin's token nowhere. */
  if (cp_kubeconfig_load(kcpath, NULL, &kc, &err) != 0)
    fail_msg("%s", err);
  assert_string_equal(kc.server, f->url);
  snprintf(path, sizeof path, "%s/ca.crt", own);
  assert_string_equal(kc.ca_file, path);
  snprintf(path, sizeof path, "%s/token", own);
  assert_string_equal(kc.token_file, path);
  assert_null(kc.token);
  first = slurp(path);
  assert_null(strstr(first, "sekret"));
  /* What the child asks for: plugin_token_seconds' life. */
  assert_int_equal(jwt_life(first), 600);

  /* The child's client from it: the plugin's user. */
  memset(&cc, 0, sizeof cc);
  cc.server = kc.server;
  cc.ca_file = kc.ca_file;
  cc.token_file = kc.token_file;
  cc.timeout_ms = 30000; /* a loaded TSan run, not a bound */
  if (cp_client_new(&cc, &child, &err) != 0)
    fail_msg("%s", err);
  user = whoami(child);
  assert_string_equal(user, USER);
  free(user);

  /* Its role from the described descriptor. */
  assert_int_equal(
      cp_client_request(f->host, "GET",
                        "/apis/rbac.authorization.k8s.io/v1/clusterroles/"
                        "cplane:plugin:widgets",
                        NULL, NULL, 0, &resp, &len),
      200);
  assert_non_null(strstr(resp, "\"secrets\""));
  assert_non_null(strstr(resp, "\"deployments\""));
  free(resp);

  /* A renewal: a new token in the same file, read by the same client. */
  assert_int_equal(cp_isolated_identity_renew(ii, "widgets", &err), 0);
  assert_int_equal(cp_isolated_identity_renewals(ii), 1);
  second = slurp(path);
  assert_string_not_equal(first, second);
  assert_int_equal(mode_of(path), 0600);
  usleep(1100 * 1000); /* the client looks at the file once a second */
  user = whoami(child);
  assert_string_equal(user, USER);
  free(user);

  /* No longer isolated: its token is removed and no longer renewed. */
  {
    const char *keep[] = {"gadgets"};

    assert_int_equal(cp_isolated_identity_retain(ii, keep, 1), 1);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(cp_isolated_identity_retain(ii, keep, 1), 0);
  }

  /* A name that would leave the directory is refused. */
  assert_int_equal(cp_isolated_identity_prepare(ii, "../x", NULL, &err), -1);
  assert_non_null(strstr(err, "cannot name a directory"));
  free(err);

  free(first);
  free(second);
  free(kcpath);
  cp_kubeconfig_free(&kc);
  cp_client_free(child);
  cp_isolated_identity_free(ii);
  cp_identity_issuer_free(&is);
}

/* A plugin with a bootstrap role (kube's, written for informers that list
 * as the controller manager): the host adds get/list/watch on what it
 * watches, and makes no derived role. */
static void test_bootstrap_role_gets_reads(void **state) {
  static const char boot[] =
      "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":"
      "\"ClusterRole\",\"metadata\":{\"name\":\"system:controller:widgets\"},"
      "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"secrets\"],"
      "\"verbs\":[\"create\"]}]}";
  struct tls_api_fixture *f = *state;
  struct cp_identity_issuer is;
  struct cp_client_config cc = {0};
  struct cp_isolated_identity *ii;
  struct cplane_plugin d;
  char dir[160], *err = NULL, *resp = NULL, *role;
  size_t len = 0;

  assert_int_equal(cp_client_request(f->host, "POST",
                                     "/apis/rbac.authorization.k8s.io/v1/"
                                     "clusterroles",
                                     "application/json", boot,
                                     sizeof boot - 1, &resp, &len),
                   201);
  free(resp);
  cc.server = f->url;
  cc.ca_file = f->ca_crt;
  assert_int_equal(cp_identity_issuer_init_remote(&is, &cc, f->host), 0);
  is.manage_rbac = 1;
  snprintf(dir, sizeof dir, "%s/isolated", f->dir);
  assert_non_null(ii = cp_isolated_identity_new(dir, &is));
  memset(&d, 0, sizeof d);
  d.name = "widgets";
  d.n_resources = 2;
  d.resources = watched;
  if (cp_isolated_identity_prepare(ii, "widgets", &d, &err) != 0)
    fail_msg("%s", err);
  assert_int_equal(
      cp_client_request(f->host, "GET",
                        "/apis/rbac.authorization.k8s.io/v1/clusterroles/"
                        "cplane:plugin:widgets:reads",
                        NULL, NULL, 0, &resp, &len),
      200);
  assert_non_null(strstr(resp, "\"deployments\""));
  assert_non_null(strstr(resp, "\"watch\""));
  assert_null(strstr(resp, "\"create\""));
  free(resp);
  assert_int_equal(
      cp_client_request(f->host, "GET",
                        "/apis/rbac.authorization.k8s.io/v1/"
                        "clusterrolebindings/cplane:plugin:widgets:reads",
                        NULL, NULL, 0, &resp, &len),
      200);
  free(resp);
  assert_int_equal(
      cp_client_request(f->host, "GET",
                        "/apis/rbac.authorization.k8s.io/v1/clusterroles/"
                        "cplane:plugin:widgets",
                        NULL, NULL, 0, &resp, &len),
      404);
  free(resp);
  role = cp_identity_rbac_reads_role_of("widgets", &d);
  assert_non_null(strstr(role, "{\"apiGroups\":[\"apps\"],\"resources\":["
                               "\"deployments\"],\"verbs\":[\"get\",\"list\","
                               "\"watch\"]}"));
  free(role);
  cp_isolated_identity_free(ii);
  cp_identity_issuer_free(&is);
}

static void test_kubeconfig_text(void **state) {
  char *t;

  (void)state;
  t = cp_isolated_kubeconfig_text("https://10.0.0.1:6443", "p", 0, 1);
  assert_non_null(strstr(t, "insecure-skip-tls-verify: true"));
  assert_null(strstr(t, "certificate-authority"));
  assert_non_null(strstr(t, "tokenFile: token"));
  assert_non_null(strstr(t, "\"system:serviceaccount:kube-system:p\""));
  free(t);
  t = cp_isolated_kubeconfig_text("http://127.0.0.1:8080", "p", 0, 0);
  assert_null(strstr(t, "insecure"));
  assert_null(strstr(t, "certificate-authority"));
  free(t);
}

static void test_private_files(void **state) {
  char dir[64], sub[100], path[140], link[140], *err = NULL, *text;

  (void)state;
  strcpy(dir, "/tmp/cp-isopriv-XXXXXX");
  assert_non_null(mkdtemp(dir));
  /* A directory made, and one whose mode is fixed. */
  snprintf(sub, sizeof sub, "%s/a/b", dir);
  assert_int_equal(cp_isolated_private_dir(sub, &err), 0);
  assert_int_equal(mode_of(sub), 0700);
  assert_int_equal(chmod(sub, 0755), 0);
  assert_int_equal(cp_isolated_private_dir(sub, &err), 0);
  assert_int_equal(mode_of(sub), 0700);
  /* A symbolic link is not followed. */
  snprintf(link, sizeof link, "%s/l", dir);
  assert_int_equal(symlink(sub, link), 0);
  assert_int_equal(cp_isolated_private_dir(link, &err), -1);
  assert_non_null(strstr(err, "(a symbolic link)"));
  free(err);
  /* A file replaced whole, 0600, no temporary left behind. */
  assert_int_equal(cp_isolated_write_private(sub, "f", "one", 3, &err), 0);
  assert_int_equal(cp_isolated_write_private(sub, "f", "two!", 4, &err), 0);
  snprintf(path, sizeof path, "%s/f", sub);
  assert_int_equal(mode_of(path), 0600);
  text = slurp(path);
  assert_string_equal(text, "two!");
  free(text);
  snprintf(path, sizeof path, "%s/.f.tmp", sub);
  assert_int_equal(access(path, F_OK), -1);
  /* Into a directory that is not there: the error names the file. */
  snprintf(path, sizeof path, "%s/none", dir);
  assert_int_equal(cp_isolated_write_private(path, "f", "x", 1, &err), -1);
  assert_non_null(strstr(err, "cannot write"));
  free(err);
  snprintf(path, sizeof path, "rm -rf '%s'", dir);
  assert_int_equal(system(path), 0);
}

/* ---- the description --------------------------------------------------- */

static int parses(const char *text, char **err) {
  struct cp_isolated_desc d;
  int rc = cp_isolated_describe_parse(text, strlen(text), "widgets", &d, err);

  if (rc == 0)
    cp_isolated_desc_free(&d);
  return rc;
}

static void refused(const char *text, const char *want) {
  char *err = NULL;

  assert_int_equal(parses(text, &err), -1);
  if (err == NULL || strstr(err, want) == NULL)
    fail_msg("'%s': '%s' lacks '%s'", text, err ? err : "(null)", want);
  free(err);
}

static void test_describe_parse(void **state) {
  struct cp_isolated_desc d;
  char *err = NULL, big[8192];
  const char *good =
      "{\"name\":\"widgets\",\"resources\":[{\"group\":\"apps\",\"version\":"
      "\"v1\",\"resource\":\"deployments\"}],\"writes\":[{\"resource\":"
      "\"secrets\"},{\"group\":\"*\",\"resource\":\"*/scale\"}]}\n";
  size_t n;
  int i;

  (void)state;
  assert_int_equal(cp_isolated_describe_parse(good, strlen(good), "widgets",
                                              &d, &err),
                   0);
  assert_string_equal(d.desc.name, "widgets");
  assert_int_equal(d.desc.n_resources, 1);
  assert_string_equal(d.desc.resources[0].group, "apps");
  assert_string_equal(d.desc.resources[0].resource, "deployments");
  assert_int_equal(d.desc.n_writes, 2);
  assert_string_equal(d.desc.writes[0].group, "");
  assert_string_equal(d.desc.writes[1].resource, "*/scale");
  cp_isolated_desc_free(&d);
  /* Declaring nothing is fine. */
  assert_int_equal(parses("{\"name\":\"widgets\"}", &err), 0);

  refused("", "is empty");
  refused("[1]", "is not a JSON object");
  refused("{\"name\":", "is not a JSON object");
  refused("{\"name\":\"gadgets\"}", "names another plugin: gadgets");
  refused("{\"name\":7}", "names another plugin: (none)");
  refused("{\"name\":\"widgets\",\"writes\":{}}", "non-array: writes");
  refused("{\"name\":\"widgets\",\"writes\":[7]}", "in: writes");
  refused("{\"name\":\"widgets\",\"writes\":[{\"resource\":1}]}",
          "in: writes");
  refused("{\"name\":\"widgets\",\"writes\":[{\"resource\":\"\"}]}",
          "in: writes");
  refused("{\"name\":\"widgets\",\"resources\":[{\"resource\":\"pods\"}]}",
          "in: resources"); /* a watch needs its version */
  /* Too many entries. */
  n = (size_t)snprintf(big, sizeof big, "{\"name\":\"widgets\",\"writes\":[");
  for (i = 0; i < 65; i++)
    n += (size_t)snprintf(big + n, sizeof big - n, "%s{\"resource\":\"r\"}",
                          i ? "," : "");
  snprintf(big + n, sizeof big - n, "]}");
  refused(big, "more than 64 entries in: writes");
  /* A name past the bound. */
  memset(big, 'a', 400);
  big[400] = '\0';
  {
    char *t = NULL;

    assert_true(asprintf(&t, "{\"name\":\"widgets\",\"writes\":[{\"resource"
                             "\":\"%s\"}]}", big) > 0);
    refused(t, "in: writes");
    free(t);
  }
}

static void test_describe_print(void **state) {
  struct cplane_plugin_ctx p;
  struct cp_isolated_desc d;
  char *buf = NULL, *err = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);

  (void)state;
  memset(&p, 0, sizeof p);
  p.name = "widgets";
  p.desc.n_resources = 2;
  p.desc.resources = watched;
  p.desc.n_writes = 1;
  p.desc.writes = declared;
  assert_int_equal(cp_isolated_describe_print(&p, out), 0);
  fclose(out);
  assert_int_equal(cp_isolated_describe_parse(buf, len, "widgets", &d, &err),
                   0);
  assert_int_equal(d.desc.n_resources, 2);
  assert_string_equal(d.desc.resources[1].resource, "configmaps");
  assert_string_equal(d.desc.resources[1].version, "v1");
  assert_int_equal(d.desc.n_writes, 1);
  assert_string_equal(d.desc.writes[0].resource, "secrets");
  cp_isolated_desc_free(&d);
  free(buf);
}

/* The describing process, played by /bin/sh. */
static int describe_sh(const char *script, int timeout_ms, char **err) {
  char *const argv[] = {"/bin/sh", "-c", (char *)script, NULL};
  struct cp_isolated_desc d;
  int rc = cp_isolated_describe(argv, "widgets", timeout_ms, &d, err);

  if (rc == 0) {
    assert_int_equal(d.desc.n_writes, 1);
    cp_isolated_desc_free(&d);
  }
  return rc;
}

static void test_describe_process(void **state) {
  char *err = NULL;

  (void)state;
  assert_int_equal(describe_sh("echo '{\"name\":\"widgets\",\"writes\":"
                               "[{\"resource\":\"secrets\"}]}'; echo noise "
                               ">&2",
                               5000, &err),
                   0);
  assert_int_equal(describe_sh("echo '{}'; exit 1", 5000, &err), -1);
  assert_non_null(strstr(err, "could not load the plugin"));
  free(err);
  assert_int_equal(describe_sh("exec sleep 5", 200, &err), -1);
  assert_non_null(strstr(err, "did not finish in time"));
  free(err);
  assert_int_equal(describe_sh("head -c 300000 /dev/zero", 5000, &err), -1);
  assert_non_null(strstr(err, "more than 256 KiB"));
  free(err);
  /* A process that cannot start. */
  {
    char *const argv[] = {"/nonexistent/cplane", NULL};
    struct cp_isolated_desc d;

    assert_int_equal(cp_isolated_describe(argv, "widgets", 1000, &d, &err),
                     -1);
    assert_non_null(err);
    free(err);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_prepare_and_renew, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bootstrap_role_gets_reads, setup,
                                      teardown),
      cmocka_unit_test(test_kubeconfig_text),
      cmocka_unit_test(test_private_files),
      cmocka_unit_test(test_describe_parse),
      cmocka_unit_test(test_describe_print),
      cmocka_unit_test(test_describe_process),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
