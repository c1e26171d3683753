/*
 * podsecurity_checks - see podsecurity_checks.h. The checks themselves
 * are podsecurity_baseline.c and podsecurity_restricted.c, over the walk
 * they share (podsecurity_walk.h).
 */
#include "apiserver/podsecurity_checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/podsecurity_baseline.h"
#include "apiserver/podsecurity_restricted.h"
#include "apiserver/verbs.h"

const char *cp_psa_level_name(int level) {
  switch (level) {
  case CP_PSA_BASELINE:
    return "baseline";
  case CP_PSA_RESTRICTED:
    return "restricted";
  default:
    return "privileged";
  }
}

/* The checks of level, in kube's order. */
static void run_checks(const struct cp_psa_pod *p, int level,
                       struct cp_psa_result *r) {
  int restricted = level >= CP_PSA_RESTRICTED;

  cp_psa_run_baseline(p, restricted, r);
  if (restricted)
    cp_psa_run_restricted(p, r);
}

int cp_psa_check(json_object *meta, json_object *spec, int level, int minor,
                 char **detailed, char **reasons) {
  struct cp_psa_pod p = {meta, spec, cp_psa_sc_of(spec), minor, 0};
  struct cp_psa_result r = {0};
  char *full = NULL, *brief = NULL;
  size_t full_len, brief_len;
  const char *os = get_str(get(spec, "os"), "name");
  int n = -1;

  if (detailed != NULL)
    *detailed = NULL;
  if (reasons != NULL)
    *reasons = NULL;
  if (level <= CP_PSA_PRIVILEGED)
    return 0;
  p.windows = os != NULL && strcmp(os, "windows") == 0;
  r.full_buf = &full;
  r.full_len = &full_len;
  r.brief_buf = &brief;
  r.brief_len = &brief_len;
  run_checks(&p, level, &r);
  if (r.oom)
    goto out;
  /* Most pods pass: the streams are opened by the first violation. */
  if (r.n == 0) {
    n = 0;
    goto out;
  }
  if (fclose(r.full) != 0)
    r.oom = 1;
  if (fclose(r.brief) != 0)
    r.oom = 1;
  r.full = r.brief = NULL;
  if (r.oom || full == NULL || brief == NULL)
    goto out;
  n = r.n;
  if (n > 0 && detailed != NULL)
    *detailed = full, full = NULL;
  if (n > 0 && reasons != NULL)
    *reasons = brief, brief = NULL;
out:
  if (r.full != NULL)
    fclose(r.full);
  if (r.brief != NULL)
    fclose(r.brief);
  free(full);
  free(brief);
  return n;
}
