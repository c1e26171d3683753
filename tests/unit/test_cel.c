/*
 * Unit tests for host/cel: cel-spec's conformance cases (converted by
 * tests/unit/cel/conformance.py into cel/conformance.h; those cplane's
 * CEL does not pass are listed below with the reason), Kubernetes' CEL
 * libraries (lists, strings, regex, url, quantity), parse errors in
 * cel-go's words, the limits (cost, length, depth) and evaluation over
 * json-c values as CRD rules bind them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "cel/cel.h"

struct conf_case {
  const char *name, *expr, *want; /* want NULL: an error */
  const char *names[2], *values[2];
  size_t n;
};

#include "cel/conformance.h"

/* Cases (by name prefix) cplane's CEL does not run, each with why. */
static const char *const conf_skip[] = {
    /* string.format() and strings.quote() are not implemented (kube's
     * CRD rules gained format only in 1.30 and rarely use it). */
    "string_ext/format/", "string_ext/quote/", "string_ext/reverse/",
    /* Run with the checker disabled: an undeclared name is a compile
     * error here, as it is for kube's CRD rules (always checked). */
    "basic/variables/unbound_is_runtime_error",
    "basic/functions/unbound_is_runtime_error",
    "parse/receiver_function_names/",
    /* Variables with dotted names (a.b.c): kube binds only self/oldSelf. */
    "fields/qualified_identifier_resolution/",
    /* IANA time zones: cplane carries no zone database (UTC and fixed
     * offsets work). */
    "timestamps/timestamp_selectors_tz/",
    /* optMap / optFlatMap macros are not implemented. */
    "optionals/optionals/none_optMap_hasValue",
    "optionals/optionals/optional_of_optMap_value",
    "optionals/optionals/empty_map_optFlatMap_hasValue",
    "optionals/optionals/map_empty_submap_optFlatMap_hasValue",
    "optionals/optionals/map_submap_subkey_optFlatMap_value",
    "optionals/optionals/map_submap_optFlatMap_value",
    "optionals/optionals/map_optindex_optFlatMap_optional_ofNonZeroValue_"
    "hasValue",
    NULL};

static int skipped(const char *name) {
  size_t i;

  for (i = 0; conf_skip[i] != NULL; i++)
    if (strncmp(conf_skip[i], name, strlen(conf_skip[i])) == 0)
      return 1;
  return 0;
}

/* Runs one case; NULL when it passes, else what went wrong (malloc'd). */
static char *conf_run(const struct conf_case *k) {
  char *got = NULL, *err = NULL, *want = NULL, *werr = NULL, *msg = NULL;
  int rc = cp_cel_eval_text(k->expr, k->names, k->values, k->n,
                            CP_CEL_PER_CALL_LIMIT, &got, &err);

  if (k->want == NULL) {
    if (rc == 0 && asprintf(&msg, "want an error, got %s", got) < 0)
      msg = NULL;
    goto out;
  }
  if (rc < 0) {
    if (asprintf(&msg, "error: %s", err) < 0)
      msg = NULL;
    goto out;
  }
  if (cp_cel_eval_text(k->want, NULL, NULL, 0, CP_CEL_PER_CALL_LIMIT, &want,
                       &werr) < 0) {
    if (asprintf(&msg, "bad expectation %s: %s", k->want, werr) < 0)
      msg = NULL;
    goto out;
  }
  if (strcmp(got, want) != 0 && asprintf(&msg, "got %s, want %s", got,
                                         want) < 0)
    msg = NULL;
out:
  free(got);
  free(err);
  free(want);
  free(werr);
  return msg;
}

static void test_conformance(void **state) {
  size_t i, n = sizeof conf_cases / sizeof conf_cases[0], pass = 0, skip = 0;
  size_t fail = 0;

  (void)state;
  for (i = 0; i < n; i++) {
    char *msg = conf_run(&conf_cases[i]);

    if (skipped(conf_cases[i].name)) {
      skip++;
      if (msg == NULL)
        print_message("skipped but passes: %s\n", conf_cases[i].name);
    } else if (msg != NULL) {
      print_message("FAIL %s: %s\n  expr: %s\n", conf_cases[i].name, msg,
                    conf_cases[i].expr);
      fail++;
    } else {
      pass++;
    }
    free(msg);
  }
  print_message("cel-spec conformance: %zu passed, %zu skipped, %zu failed "
                "of %zu\n", pass, skip, fail, n);
  assert_int_equal(fail, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conformance),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
