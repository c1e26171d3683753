/*
 * test_config - the INI loader: defaults, every key, and every error with
 * its file:line.
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

#include "config/config.h"
#include "log/log.h"

static char ini_path[64];

/* Writes `text` to a fresh temp file; returns its path (static buffer). */
static const char *write_ini(const char *text) {
  int fd;

  strcpy(ini_path, "/tmp/cplane-test-XXXXXX.ini");
  fd = mkstemps(ini_path, 4);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return ini_path;
}

static struct cp_config *load_ok(const char *text) {
  struct cp_config *cfg = NULL;
  char *err = NULL;
  int r = cp_config_load(write_ini(text), &cfg, &err);

  if (r != 0)
    fprintf(stderr, "unexpected error: %s\n", err);
  unlink(ini_path);
  assert_int_equal(r, 0);
  assert_null(err);
  assert_non_null(cfg);
  return cfg;
}

/* Asserts the load fails with a message containing ":LINE: " and `want`. */
static void load_fails(const char *text, int line, const char *want) {
  struct cp_config *cfg = NULL;
  char *err = NULL, where[32];
  int r = cp_config_load(write_ini(text), &cfg, &err);

  unlink(ini_path);
  assert_int_equal(r, -1);
  assert_null(cfg);
  assert_non_null(err);
  snprintf(where, sizeof where, ".ini:%d: ", line);
  if (strstr(err, where) == NULL || strstr(err, want) == NULL)
    fail_msg("error '%s' lacks '%s' or '%s'", err, where, want);
  free(err);
}

static void test_defaults(void **state) {
  struct cp_config *cfg = load_ok("[host]\n");

  assert_string_equal(cfg->api_server, "embedded");
  assert_string_equal(cfg->listen, "127.0.0.1:10257");
  assert_int_equal(cfg->workers, 1);
  assert_int_equal(cfg->log_level, CPLANE_LOG_INFO);
  assert_null(cfg->plugin_dir);
  assert_int_equal(cfg->n_plugins, 0);
  cp_config_free(cfg);
}

static void test_full_file(void **state) {
  struct cp_config *cfg = load_ok(
      "; a comment\n"
      "[host]\n"
      "plugin_dir = /opt/plugins\n"
      "api_server = https://10.0.0.1:6443\n"
      "kubeconfig = /etc/kube\n"
      "listen = 127.0.0.1:9999\n"
      "data_dir = /data\n"
      "workers = 4\n"
      "log_level = debug\n"
      "\n"
      "[plugin.replicaset]\n"
      "enabled = yes\n"
      "workers = 8\n"
      "resync = 10m\n"
      "reconcile_deadline = 1500ms\n"
      "burst = 500\n"
      "[plugin.gc]\n"
      "file = garbage.so\n");
  const struct cp_plugin_config *rs, *gc;

  assert_string_equal(cfg->plugin_dir, "/opt/plugins");
  assert_string_equal(cfg->api_server, "https://10.0.0.1:6443");
  assert_string_equal(cfg->kubeconfig, "/etc/kube");
  assert_string_equal(cfg->listen, "127.0.0.1:9999");
  assert_string_equal(cfg->data_dir, "/data");
  assert_int_equal(cfg->workers, 4);
  assert_int_equal(cfg->log_level, CPLANE_LOG_DEBUG);
  assert_int_equal(cfg->n_plugins, 2);
  rs = cp_config_plugin(cfg, "replicaset");
  assert_non_null(rs);
  assert_true(rs->enabled);
  assert_int_equal(rs->workers, 8);
  assert_int_equal(rs->resync_ms, 600000);
  assert_int_equal(rs->reconcile_deadline_ms, 1500);
  assert_string_equal(rs->file, "replicaset.so");
  assert_int_equal(rs->line, 12); /* its first key */
  assert_string_equal(cp_plugin_config_get(rs, "burst"), "500");
  assert_string_equal(cp_plugin_config_get(rs, "enabled"), "yes");
  assert_null(cp_plugin_config_get(rs, "nope"));
  gc = cp_config_plugin(cfg, "gc");
  assert_non_null(gc);
  assert_false(gc->enabled);
  assert_int_equal(gc->workers, 4); /* the host default */
  assert_string_equal(gc->file, "garbage.so");
  assert_null(cp_config_plugin(cfg, "deployment"));
  cp_config_free(cfg);
}

/* [plugin.X] isolation: in-process by default, process on request, and
 * anything else is an error with file and line. */
static void test_isolation(void **state) {
  struct cp_config *cfg = load_ok("[plugin.a]\nenabled = 1\n"
                                  "[plugin.b]\nisolation = process\n"
                                  "[plugin.c]\nisolation = in-process\n");

  (void)state;
  assert_int_equal(cp_config_plugin(cfg, "a")->isolation,
                   CP_ISOLATION_IN_PROCESS);
  assert_int_equal(cp_config_plugin(cfg, "b")->isolation,
                   CP_ISOLATION_PROCESS);
  assert_int_equal(cp_config_plugin(cfg, "c")->isolation,
                   CP_ISOLATION_IN_PROCESS);
  cp_config_free(cfg);
  load_fails("[plugin.a]\nenabled = 1\nisolation = container\n", 3,
             "isolation must be process or in-process, not 'container'");
  load_fails("[plugin.a]\nisolation =\n", 2, "isolation must be");
}

static void test_errors_name_file_and_line(void **state) {
  load_fails("[host]\nbogus = 1\n", 2, "unknown key 'bogus' in [host]");
  load_fails("[host]\nworkers = 0\n", 2, "workers must be");
  load_fails("[host]\nworkers = many\n", 2, "workers must be");
  load_fails("[host]\nworkers = 4x\n", 2, "workers must be");
  load_fails("[host]\nlog_level = loud\n", 2, "log_level must be");
  load_fails("[host]\n[nope]\nx = 1\n", 3, "unknown section [nope]");
  load_fails("[host]\nworkers = 1\n[plugin.a]\nenabled=1\n[host]\nlisten=x\n",
             6, "duplicate section [host]");
  load_fails("[plugin.a]\nx = 1\nx = 2\n", 3, "duplicate key 'x'");
  load_fails("[plugin.a]\nenabled = maybe\n", 2, "enabled must be");
  load_fails("[plugin.a]\nresync = soon\n", 2, "resync must be");
  load_fails("[plugin.a]\nreconcile_deadline = -1s\n", 2,
             "reconcile_deadline must be");
  load_fails("[plugin.Bad/Name]\nenabled = 1\n", 2, "invalid plugin name");
  load_fails("top = 1\n", 1, "outside any section");
  load_fails("[host]\nthis line has no equals sign\n", 2, "syntax error");
  load_fails("[apiserver]\netcd_dial_timeout = soon\n", 2,
             "etcd_dial_timeout must be a duration");
  load_fails("[apiserver]\netcd_request_timeout = 0\n", 2,
             "etcd_request_timeout must be a duration");
  load_fails("[host]\nshutdown_timeout = 0\n", 2,
             "shutdown_timeout must be a duration");
  load_fails("[apiserver]\nidle_timeout = 0\n", 2,
             "idle_timeout must be a duration");
  load_fails("[apiserver]\nread_header_timeout = soon\n", 2,
             "read_header_timeout must be a duration");
  load_fails("[authz.x]\nnonresourceurls = /metrics\n", 2,
             "unknown key 'nonresourceurls' in [authz.x]");
}

static void test_shutdown_timeout(void **state) {
  struct cp_config *cfg = load_ok("[host]\nshutdown_timeout = 3s\n");

  (void)state;
  assert_int_equal(cfg->shutdown_timeout_ms, 3000);
  cp_config_free(cfg);
}

/* [host] plugin_credentials and confine_plugins: on by default. */
static void test_plugin_identity_keys(void **state) {
  struct cp_config *cfg = load_ok("[host]\n");

  (void)state;
  assert_int_equal(cfg->plugin_credentials_own, 1);
  assert_int_equal(cfg->confine_plugins, 1);
  cp_config_free(cfg);
  cfg = load_ok("[host]\nplugin_credentials = host\n"
                "confine_plugins = false\n");
  assert_int_equal(cfg->plugin_credentials_own, 0);
  assert_int_equal(cfg->confine_plugins, 0);
  cp_config_free(cfg);
  cfg = load_ok("[host]\nplugin_credentials = own\nconfine_plugins = yes\n");
  assert_int_equal(cfg->plugin_credentials_own, 1);
  assert_int_equal(cfg->confine_plugins, 1);
  cp_config_free(cfg);
  load_fails("[host]\nplugin_credentials = mine\n", 2,
             "plugin_credentials must be host or own, not 'mine'");
  load_fails("[host]\n\nconfine_plugins = maybe\n", 3,
             "confine_plugins must be true or false, not 'maybe'");
}

/* [host] plugin_token_seconds: 3600 unless set; TokenRequest's minimum
 * (600) and maximum (2^32) bound it, with file and line. */
static void test_plugin_token_seconds(void **state) {
  struct cp_config *cfg = load_ok("[host]\n");

  (void)state;
  assert_int_equal(cfg->plugin_token_seconds, 3600);
  cp_config_free(cfg);
  cfg = load_ok("[host]\nplugin_token_seconds = 600\n");
  assert_int_equal(cfg->plugin_token_seconds, 600);
  cp_config_free(cfg);
  cfg = load_ok("[host]\nplugin_token_seconds = 86400\n");
  assert_int_equal(cfg->plugin_token_seconds, 86400);
  cp_config_free(cfg);
  load_fails("[host]\nworkers = 2\nplugin_token_seconds = 599\n", 3,
             "plugin_token_seconds must be a whole number from 600 to "
             "4294967296, not '599'");
  load_fails("[host]\nplugin_token_seconds = 1h\n", 2,
             "plugin_token_seconds must be a whole number");
  load_fails("[host]\nplugin_token_seconds = 4294967297\n", 2,
             "from 600 to 4294967296");
}

/* The connection timeouts and a non-resource rule. */
static void test_connection_keys(void **state) {
  struct cp_config *cfg = load_ok("[apiserver]\nread_header_timeout = 5s\n"
                                  "idle_timeout = 250ms\n"
                                  "[authz.prom]\nusers = prom\nverbs = get\n"
                                  "non_resource_urls = /metrics\n");

  (void)state;
  assert_int_equal(cfg->apiserver.read_header_timeout_ms, 5000);
  assert_int_equal(cfg->apiserver.idle_timeout_ms, 250);
  assert_int_equal(cfg->n_authz, 1);
  assert_string_equal(cfg->authz[0].non_resource_urls, "/metrics");
  cp_config_free(cfg);
  cfg = load_ok("[apiserver]\n");
  assert_int_equal(cfg->apiserver.read_header_timeout_ms, 0); /* 32 s */
  assert_int_equal(cfg->apiserver.idle_timeout_ms, 0);        /* 90 s */
  cp_config_free(cfg);
}

static void test_etcd_timeouts(void **state) {
  struct cp_config *cfg = load_ok("[apiserver]\nstore = etcd\n"
                                  "etcd_endpoints = http://127.0.0.1:2379\n"
                                  "etcd_dial_timeout = 30s\n"
                                  "etcd_request_timeout = 1500ms\n");

  (void)state;
  assert_int_equal(cfg->apiserver.etcd_dial_timeout_ms, 30000);
  assert_int_equal(cfg->apiserver.etcd_request_timeout_ms, 1500);
  cp_config_free(cfg);
  cfg = load_ok("[apiserver]\nstore = etcd\n");
  assert_int_equal(cfg->apiserver.etcd_dial_timeout_ms, 0); /* store's 5 s */
  cp_config_free(cfg);
}

/* The watch memory bounds: bytes, at least 64 KiB; absent, 0 (the
 * server's defaults). */
static void test_watch_bounds(void **state) {
  struct cp_config *cfg = load_ok("[apiserver]\nwatch_stream_bytes = 1048576\n"
                                  "watch_cache_bytes = 33554432\n");

  (void)state;
  assert_int_equal(cfg->apiserver.watch_stream_bytes, 1048576);
  assert_int_equal(cfg->apiserver.watch_cache_bytes, 33554432);
  cp_config_free(cfg);
  cfg = load_ok("[apiserver]\nport = 0\n");
  assert_int_equal(cfg->apiserver.watch_stream_bytes, 0);
  assert_int_equal(cfg->apiserver.watch_cache_bytes, 0);
  cp_config_free(cfg);
  load_fails("[apiserver]\nwatch_stream_bytes = 100\n", 2,
             "watch_stream_bytes must be");
  load_fails("[apiserver]\nwatch_cache_bytes = lots\n", 2,
             "watch_cache_bytes must be");
}

/* The Service ranges: kept as written when they parse; absent, NULL (the
 * server's defaults, 10.96.0.0/12 and 30000-32767); a bad one names the
 * key and the line. */
static void test_service_ranges(void **state) {
  struct cp_config *cfg =
      load_ok("[apiserver]\nservice_cidr = 10.0.0.0/16\n"
              "service_node_port_range = 31000-31999\n");

  (void)state;
  assert_string_equal(cfg->apiserver.service_cidr, "10.0.0.0/16");
  assert_string_equal(cfg->apiserver.service_node_port_range, "31000-31999");
  cp_config_free(cfg);
  cfg = load_ok("[apiserver]\nport = 0\n");
  assert_null(cfg->apiserver.service_cidr);
  assert_null(cfg->apiserver.service_node_port_range);
  cp_config_free(cfg);
  load_fails("[apiserver]\nservice_cidr = 10.96.0.1/12\n", 2,
             "service_cidr must be an IPv4 network");
  load_fails("[apiserver]\n\nservice_cidr = fd00::/108\n", 3,
             "service_cidr must be");
  load_fails("[apiserver]\nservice_cidr = 10.0.0.0/31\n", 2,
             "service_cidr must be");
  load_fails("[apiserver]\nservice_node_port_range = 32767-30000\n", 2,
             "service_node_port_range must be a port range");
  load_fails("[apiserver]\nservice_node_port_range = 80\n", 2,
             "service_node_port_range must be");
}

static void test_missing_file(void **state) {
  struct cp_config *cfg = NULL;
  char *err = NULL;

  assert_int_equal(cp_config_load("/nonexistent/cplane.ini", &cfg, &err), -1);
  assert_null(cfg);
  assert_non_null(strstr(err, "/nonexistent/cplane.ini: cannot open"));
  free(err);
}

static void test_durations_and_bools(void **state) {
  uint64_t ms = 0;

  assert_int_equal(cp_config_parse_duration("250ms", &ms), 0);
  assert_int_equal(ms, 250);
  assert_int_equal(cp_config_parse_duration("30", &ms), 0);
  assert_int_equal(ms, 30000);
  assert_int_equal(cp_config_parse_duration("2h", &ms), 0);
  assert_int_equal(ms, 7200000);
  assert_int_equal(cp_config_parse_duration("0", &ms), 0);
  assert_int_equal(ms, 0);
  assert_int_equal(cp_config_parse_duration("", &ms), -1);
  assert_int_equal(cp_config_parse_duration("5d", &ms), -1);
  assert_int_equal(cp_config_parse_duration("99999999999999999999", &ms), -1);
  assert_int_equal(cp_config_parse_bool("TRUE"), 1);
  assert_int_equal(cp_config_parse_bool("off"), 0);
  assert_int_equal(cp_config_parse_bool("2"), -1);
  assert_int_equal(cp_config_parse_bool(NULL), -1);
}

/* The in-memory entry the fuzzer drives: errors name the given name and
 * the line, the text needs no NUL, and it reads as the same file would. */
static void test_parse_in_memory(void **state) {
  static const char text[] = "[host]\nworkers = 3\n[plugin.a]\nenabled = "
                             "yes\nfoo = bar\n[bogus]\nx = 1\n";
  struct cp_config *cfg = NULL;
  char *err = NULL;
  size_t upto_bogus = (size_t)(strstr(text, "[bogus]") - text);

  /* Only the first upto_bogus bytes: [bogus] lies past the end. */
  assert_int_equal(cp_config_parse("mem.ini", text, upto_bogus, &cfg, &err),
                   0);
  assert_null(err);
  assert_string_equal(cfg->path, "mem.ini");
  assert_int_equal(cfg->workers, 3);
  assert_int_equal(cp_config_plugin(cfg, "a")->enabled, 1);
  assert_string_equal(cp_plugin_config_get(cp_config_plugin(cfg, "a"), "foo"),
                      "bar");
  cp_config_free(cfg);

  assert_int_equal(cp_config_parse("mem.ini", text, strlen(text), &cfg, &err),
                   -1);
  assert_null(cfg);
  assert_non_null(err);
  if (strncmp(err, "mem.ini:7: ", 11) != 0 || strstr(err, "bogus") == NULL)
    fail_msg("error '%s'", err);
  free(err);

  /* A NUL byte ends its line as in a file: the key is cut at it, and
   * the lines after it still count. */
  assert_int_equal(
      cp_config_parse("nul.ini", "[host]\nworkers = 2\0junk\nbad\n", 27,
                      &cfg, &err),
      -1);
  if (strncmp(err, "nul.ini:3: syntax error", 23) != 0)
    fail_msg("error '%s'", err);
  free(err);

  /* Empty text: every default. */
  assert_int_equal(cp_config_parse("empty.ini", "", 0, &cfg, &err), 0);
  assert_int_equal(cfg->apiserver.port, 6443);
  cp_config_free(cfg);
}

/* A file past CP_CONFIG_MAX_BYTES is refused, not read whole. */
static void test_file_too_large(void **state) {
  struct cp_config *cfg = NULL;
  char *err = NULL;
  const char *path = write_ini("");
  FILE *f = fopen(path, "w");

  assert_non_null(f);
  assert_int_equal(fseek(f, CP_CONFIG_MAX_BYTES, SEEK_SET), 0);
  fputc(';', f); /* one byte past the limit */
  fclose(f);
  assert_int_equal(cp_config_load(path, &cfg, &err), -1);
  unlink(path);
  assert_null(cfg);
  if (strstr(err, "larger than") == NULL || strstr(err, path) == NULL)
    fail_msg("error '%s'", err);
  free(err);
}

static void test_shipped_config_is_valid(void **state) {
  struct cp_config *cfg = NULL;
  char *err = NULL;
  const char *path = getenv("CPLANE_SOURCE_DIR");
  char full[4096];

  snprintf(full, sizeof full, "%s/config/cplane.ini", path ? path : ".");
  if (cp_config_load(full, &cfg, &err) != 0)
    fail_msg("%s", err);
  assert_non_null(cp_config_plugin(cfg, "template"));
  /* The SDK demo logs a line per object: shipped off. */
  assert_int_equal(cp_config_plugin(cfg, "template")->enabled, 0);
  assert_int_equal(cfg->shutdown_timeout_ms, 10000); /* the default */
  cp_config_free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_full_file),
      cmocka_unit_test(test_errors_name_file_and_line),
      cmocka_unit_test(test_watch_bounds),
      cmocka_unit_test(test_service_ranges),
      cmocka_unit_test(test_missing_file),
      cmocka_unit_test(test_durations_and_bools),
      cmocka_unit_test(test_etcd_timeouts),
      cmocka_unit_test(test_shutdown_timeout),
      cmocka_unit_test(test_connection_keys),
      cmocka_unit_test(test_shipped_config_is_valid),
      cmocka_unit_test(test_parse_in_memory),
      cmocka_unit_test(test_file_too_large),
      cmocka_unit_test(test_isolation),
      cmocka_unit_test(test_plugin_identity_keys),
      cmocka_unit_test(test_plugin_token_seconds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
