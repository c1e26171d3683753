/*
 * libFuzzer target: query strings (host/apiserver/query.c), and every
 * typed read the handlers make of the parameters they take.
 */
#include "apiserver/query.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const params[] = {
    "limit",          "continue",       "resourceVersion", "labelSelector",
    "fieldSelector",  "fieldValidation", "dryRun",         "timeoutSeconds",
    "watch",          "allowWatchBookmarks", "propagationPolicy",
    "gracePeriodSeconds", "resourceVersionMatch", "fieldManager", "force",
    "sendInitialEvents", "pretty"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct cp_query q = {0};
  char *qs = fuzz_strndup(data, size);
  size_t i;
  int64_t v;

  if (qs == NULL)
    return 0;
  if (cp_query_parse(qs, &q) == 0) {
    for (i = 0; i < sizeof params / sizeof params[0]; i++) {
      (void)cp_query_get(&q, params[i]);
      (void)cp_query_bool(&q, params[i]);
      if (cp_query_int(&q, params[i], INT64_MIN, INT64_MAX, &v) < 0)
        continue;
      (void)cp_query_int(&q, params[i], 0, 1 << 30, &v);
    }
    for (i = 0; i < q.n; i++)
      if (q.keys[i] == NULL || q.values[i] == NULL)
        abort(); /* every parsed parameter has a key and a value */
  }
  cp_query_free(&q);
  free(qs);
  return 0;
}
