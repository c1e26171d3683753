/*
 * test_prom_merge - Prometheus texts joined family by family
 * (health/prom_merge.h), and an isolated plugin's lines picked from its
 * child's text (plugin/isolated_metrics.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "health/prom_merge.h"
#include "plugin/isolated_metrics.h"

static char *merged(const char *const *src, size_t n) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);

  assert_non_null(f);
  assert_int_equal(cp_prom_merge(src, n, f), 0);
  fclose(f);
  return buf;
}

static void test_families_stay_whole(void **state) {
  const char *host = "# HELP q_depth Depth\n# TYPE q_depth gauge\n"
                     "q_depth{name=\"a\"} 1\n"
                     "# HELP r_total Reconciles\n# TYPE r_total counter\n"
                     "r_total{controller=\"a\"} 5\n";
  const char *child = "# HELP q_depth Depth (child)\n# TYPE q_depth gauge\n"
                      "q_depth{name=\"b\"} 2\n"
                      "\n# a comment\n"
                      "# HELP h Latency\n# TYPE h histogram\n"
                      "h_bucket{name=\"b\",le=\"1\"} 1\nh_sum{name=\"b\"} 0.5\n"
                      "h_count{name=\"b\"} 1\n";
  const char *src[] = {host, NULL, child};
  char *out;

  (void)state;
  out = merged(src, 3);
  assert_string_equal(out,
                      "# HELP q_depth Depth\n# TYPE q_depth gauge\n"
                      "q_depth{name=\"a\"} 1\nq_depth{name=\"b\"} 2\n"
                      "# HELP r_total Reconciles\n# TYPE r_total counter\n"
                      "r_total{controller=\"a\"} 5\n"
                      "# HELP h Latency\n# TYPE h histogram\n"
                      "h_bucket{name=\"b\",le=\"1\"} 1\nh_sum{name=\"b\"} 0.5\n"
                      "h_count{name=\"b\"} 1\n");
  free(out);
}

static void test_samples_before_any_header_are_dropped(void **state) {
  const char *src[] = {"loose 1\n# TYPE x gauge\nx 2"}; /* no final \n */
  char *out;

  (void)state;
  out = merged(src, 1);
  assert_string_equal(out, "# TYPE x gauge\nx 2\n");
  free(out);
}

static void test_filter_keeps_the_plugins_series(void **state) {
  char text[] = "# TYPE a gauge\n"
                "a{plugin=\"crasher\"} 1\n"
                "a{plugin=\"crasher2\"} 9\n"
                "a{hostname=\"crasher\"} 9\n"
                "b{resource=\"configmaps\"} 9\n"
                "c{x=\"1\",controller=\"crasher\"} 3\n"
                "d{name=\"crasher\",le=\"+Inf\"} 4\n"
                "e 9\n";

  (void)state;
  cp_isolated_metrics_filter(text, "crasher");
  assert_string_equal(text, "# TYPE a gauge\n"
                            "a{plugin=\"crasher\"} 1\n"
                            "c{x=\"1\",controller=\"crasher\"} 3\n"
                            "d{name=\"crasher\",le=\"+Inf\"} 4\n");
}

static void test_fetch_from_nobody_is_null(void **state) {
  (void)state;
  /* Port 1 on loopback: refused at once. */
  assert_null(cp_isolated_metrics_fetch("127.0.0.1:1", "x", 200));
  assert_null(cp_isolated_metrics_fetch("not-an-address", "x", 200));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_families_stay_whole),
      cmocka_unit_test(test_samples_before_any_header_are_dropped),
      cmocka_unit_test(test_filter_keeps_the_plugins_series),
      cmocka_unit_test(test_fetch_from_nobody_is_null),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
