/*
 * Unit tests for host/health: /healthz always, /readyz from the ready
 * callback (503 until ready, ?verbose shows the checks), /metrics from the
 * metrics callback, 404 elsewhere, and a clear error for a bad address.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "health/health.h"
#include "log/log.h"
#include "plugin/registry.h"

static atomic_int is_ready; /* written by the test, read by the server */

static int ready(void *ud, FILE *out) {
  (void)ud;
  fprintf(out, "[%c]cache pods %s\n", is_ready ? '+' : '-',
          is_ready ? "synced" : "not synced");
  return is_ready;
}

static int metrics(void *ud, FILE *out) {
  fprintf(out, "# TYPE x_total counter\nx_total %d\n", *(int *)ud);
  return 0;
}

/* GET path from addr ("127.0.0.1:N"); the whole response, malloc'd. */
static char *get(const char *addr, const char *path) {
  struct sockaddr_in a = {0};
  char req[256], *out = calloc(1, 65536);
  int fd = socket(AF_INET, SOCK_STREAM, 0), port = atoi(strchr(addr, ':') + 1);
  size_t len = 0;
  ssize_t n;

  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", path);
  assert_true(write(fd, req, strlen(req)) > 0);
  while ((n = read(fd, out + len, 65535 - len)) > 0)
    len += (size_t)n;
  close(fd);
  return out;
}

static void test_endpoints(void **state) {
  static const struct cp_health_ops ops = {ready, metrics};
  struct cp_health *h = NULL;
  char *err = NULL, *r;
  int value = 42;

  (void)state;
  assert_int_equal(cp_health_start("127.0.0.1:0", &ops, &value, &h, &err), 0);
  r = get(cp_health_address(h), "/healthz");
  assert_non_null(strstr(r, " 200 "));
  free(r);
  is_ready = 0;
  r = get(cp_health_address(h), "/readyz");
  assert_non_null(strstr(r, " 503 "));
  free(r);
  /* Liveness is the process, not its plugins. */
  r = get(cp_health_address(h), "/livez");
  assert_non_null(strstr(r, " 200 "));
  free(r);
  r = get(cp_health_address(h), "/readyz?verbose");
  assert_non_null(strstr(r, "[-]cache pods not synced"));
  assert_non_null(strstr(r, "readyz check failed"));
  free(r);
  is_ready = 1;
  r = get(cp_health_address(h), "/readyz");
  assert_non_null(strstr(r, " 200 "));
  free(r);
  r = get(cp_health_address(h), "/metrics");
  assert_non_null(strstr(r, "text/plain; version=0.0.4"));
  assert_non_null(strstr(r, "x_total 42\n"));
  free(r);
  r = get(cp_health_address(h), "/nope");
  assert_non_null(strstr(r, " 404 "));
  free(r);
  cp_health_stop(h);
}

static void test_bad_address(void **state) {
  static const struct cp_health_ops ops = {ready, metrics};
  struct cp_health *h = NULL, *h2 = NULL;
  char *err = NULL;
  int value = 0;

  (void)state;
  assert_int_equal(cp_health_start("nonsense", &ops, &value, &h, &err), -1);
  assert_non_null(strstr(err, "'nonsense' is not host:port"));
  free(err);
  /* The same port twice: the second says what to change. */
  assert_int_equal(cp_health_start("127.0.0.1:0", &ops, &value, &h, &err), 0);
  assert_int_equal(cp_health_start(cp_health_address(h), &ops, &value, &h2,
                                   &err),
                   -1);
  assert_non_null(strstr(err, "set [host] listen"));
  free(err);
  cp_health_stop(h);
}

/* Readiness through the registry: an enabled plugin that was refused
 * (here: 0 of 1 loaded, as with a world-writable plugin directory) fails
 * /readyz with a line saying why, until a reload disables it. */
static int reg_ready(void *reg, FILE *out) {
  return cp_registry_ready(reg, out);
}

static int reg_metrics(void *reg, FILE *out) {
  return cp_registry_metrics_write(reg, out);
}

static void test_refused_plugin_not_ready(void **state) {
  static const struct cp_health_ops ops = {reg_ready, reg_metrics};
  char ini[] = "/tmp/cplane-health-XXXXXX", dir[] = "/tmp/cplane-hdir-XXXXXX";
  struct cp_config *cfg = NULL, *cfg2 = NULL;
  struct cp_registry reg;
  struct cp_health *h = NULL;
  char *err = NULL, *r;
  FILE *fp;

  (void)state;
  cp_log_set_level(CPLANE_LOG_ERROR);
  assert_non_null(mkdtemp(dir));
  assert_true(mkstemp(ini) >= 0);
  fp = fopen(ini, "w");
  fputs("[plugin.gone]\nenabled = true\n", fp);
  fclose(fp);
  assert_int_equal(cp_config_load(ini, &cfg, &err), 0);
  assert_int_equal(cp_registry_load(&reg, cfg, dir, 0, &err), 0);
  assert_int_equal(reg.n_plugins, 0);
  assert_int_equal(cp_health_start("127.0.0.1:0", &ops, &reg, &h, &err), 0);
  r = get(cp_health_address(h), "/readyz?verbose");
  assert_non_null(strstr(r, " 503 "));
  if (strstr(r, "[-]plugin gone failed to load: plugin file ") == NULL ||
      strstr(r, "gone.so: No such file or directory") == NULL)
    fail_msg("readyz: %s", r);
  free(r);
  /* Disabled by a reload: nothing fails any more. */
  fp = fopen(ini, "w");
  fputs("[plugin.gone]\nenabled = false\n", fp);
  fclose(fp);
  assert_int_equal(cp_config_load(ini, &cfg2, &err), 0);
  cp_registry_reload(&reg, cfg2, dir, &err);
  free(err);
  r = get(cp_health_address(h), "/readyz");
  assert_non_null(strstr(r, " 200 "));
  free(r);
  cp_health_stop(h);
  cp_registry_free(&reg);
  cp_config_free(cfg);
  cp_config_free(cfg2);
  unlink(ini);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_endpoints),
      cmocka_unit_test(test_bad_address),
      cmocka_unit_test(test_refused_plugin_not_ready),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
