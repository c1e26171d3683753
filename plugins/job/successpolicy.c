/*
 * successpolicy - spec.successPolicy rules. See successpolicy.h.
 */
#include "successpolicy.h"

#include "indexes.h"

#include <stdio.h>
#include <stdlib.h>

#define RULES "spec.successPolicy.rules"
#define MAX_RULES 20 /* kube's validation bound */

/* Rule r with succeededIndexes `text`: met by done? -1 when the text
 * names no index (kube skips such a rule). */
static int indexes_rule_met(const char *text, int has_count, int64_t count,
                            const unsigned char *done, int n) {
  unsigned char *want = calloc((size_t)n + 1, 1);
  int i, required, matched = 0;

  if (want == NULL)
    return 0;
  required = job_indexes_parse(text, want, n);
  for (i = 0; i < n; i++)
    matched += want[i] && done[i];
  free(want);
  if (required <= 0)
    return -1;
  return matched == required || (has_count && matched >= count);
}

int job_success_policy_met(const struct cplane_host_api *api,
                           const cplane_object *job, const unsigned char *done,
                           int n, char *msg, size_t len) {
  int rules = api->object_len(job, RULES), r;
  int total = job_indexes_count(done, n);

  if (rules <= 0 || total == 0)
    return 0;
  for (r = 0; r < rules && r < MAX_RULES; r++) {
    char p[96];
    const char *text;
    int64_t count = 0;
    int has_count, met;

    snprintf(p, sizeof p, RULES "[%d].succeededCount", r);
    has_count = api->object_int(job, p, &count) == CPLANE_OK;
    snprintf(p, sizeof p, RULES "[%d].succeededIndexes", r);
    if ((text = api->object_string(job, p)) != NULL)
      met = indexes_rule_met(text, has_count, count, done, n) == 1;
    else
      met = has_count && total >= count;
    if (met) {
      snprintf(msg, len, "Matched rules at index %d", r);
      return 1;
    }
  }
  return 0;
}
