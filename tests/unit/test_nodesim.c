/*
 * test_nodesim - the nodesim plugin's configuration module: quantities
 * and the node name prefix checked, the labels and taints settings parsed
 * (blanks trimmed, empty items skipped, each bad item refused with its
 * key's message), and the taints' JSON as the Node will carry it. The
 * host's own table (cp_host_api()) builds the JSON, as the plugin sees it.
 * The whole plugin runs in tests/integration/plugin_nodes.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"

#include "config.h"

static const struct cplane_host_api *api;

static struct nodesim *new_state(void) {
  struct nodesim *st = calloc(1, sizeof *st);

  assert_non_null(st);
  return st;
}

static void test_valid_quantity(void **state) {
  (void)state;
  assert_true(nsim_valid_quantity("4"));
  assert_true(nsim_valid_quantity("500m"));
  assert_true(nsim_valid_quantity("16Gi"));
  assert_true(nsim_valid_quantity("1.5"));
  assert_true(nsim_valid_quantity("1e3"));
  assert_false(nsim_valid_quantity("-1"));
  assert_false(nsim_valid_quantity("four"));
  assert_false(nsim_valid_quantity(""));
  assert_false(nsim_valid_quantity("4 Gi"));
}

static void test_valid_prefix(void **state) {
  char long_prefix[42];

  (void)state;
  assert_true(nsim_valid_prefix("sim-"));
  assert_true(nsim_valid_prefix("rack1.node-"));
  assert_false(nsim_valid_prefix(""));
  assert_false(nsim_valid_prefix("-sim"));
  assert_false(nsim_valid_prefix(".sim"));
  assert_false(nsim_valid_prefix("Sim-"));
  assert_false(nsim_valid_prefix("sim_"));
  memset(long_prefix, 'a', 41);
  long_prefix[41] = '\0';
  assert_false(nsim_valid_prefix(long_prefix));
  long_prefix[40] = '\0';
  assert_true(nsim_valid_prefix(long_prefix));
}

static void test_labels(void **state) {
  struct nodesim *st = new_state();

  (void)state;
  assert_null(nsim_parse_labels(st, " zone=a , ,tier=gold=1,empty="));
  assert_int_equal(st->n_labels, 3);
  assert_string_equal(st->labels[0].key, "zone");
  assert_string_equal(st->labels[0].value, "a");
  assert_string_equal(st->labels[1].key, "tier");
  assert_string_equal(st->labels[1].value, "gold=1");
  assert_string_equal(st->labels[2].key, "empty");
  assert_string_equal(st->labels[2].value, "");
  assert_null(nsim_parse_labels(st, ""));
  assert_int_equal(st->n_labels, 3);
  assert_string_equal(nsim_parse_labels(st, "ok=1,bare"),
                      "labels: each item is key=value");
  assert_string_equal(nsim_parse_labels(st, "=v"),
                      "labels: each item is key=value");
  nsim_free_state(st);
}

static void test_taints(void **state) {
  struct nodesim *st = new_state();
  struct nodesim *none = new_state();
  struct nodesim *bad = new_state();

  (void)state;
  assert_null(nsim_parse_taints(
      api, st, " dedicated=gpu:NoSchedule, ,spot:PreferNoSchedule"));
  assert_string_equal(st->taints_json,
                      "[{\"key\":\"dedicated\",\"value\":\"gpu\",\"effect\":"
                      "\"NoSchedule\"},{\"key\":\"spot\",\"effect\":"
                      "\"PreferNoSchedule\"}]");
  assert_null(nsim_parse_taints(api, none, NULL));
  assert_null(none->taints_json);
  assert_null(nsim_parse_taints(api, none, " , "));
  assert_null(none->taints_json);
  assert_string_equal(nsim_parse_taints(api, bad, "k=v:Sometimes"),
                      "taints: each item is key[=value]:NoSchedule|"
                      "PreferNoSchedule|NoExecute");
  assert_non_null(nsim_parse_taints(api, bad, "NoExecute"));
  assert_non_null(nsim_parse_taints(api, bad, ":NoExecute"));
  assert_null(bad->taints_json);
  nsim_free_state(st);
  nsim_free_state(none);
  nsim_free_state(bad);
  nsim_free_state(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_quantity),
      cmocka_unit_test(test_valid_prefix),
      cmocka_unit_test(test_labels),
      cmocka_unit_test(test_taints),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
