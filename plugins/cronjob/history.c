/*
 * history - see history.h.
 */
#include "history.h"

#include "jobs.h"

#include <stdlib.h>
#include <string.h>

/* An insertion sort: a CronJob keeps a handful of Jobs, and qsort()
 * would need the host table in a global. */
void cj_history_sort(const struct cplane_host_api *api,
                     const cplane_object **jobs, size_t n) {
  size_t i, j;

  for (i = 1; i < n; i++) {
    const cplane_object *x = jobs[i];
    int64_t xs = -1, ys;

    if (cplane_time_parse(api->object_string(x, "status.startTime"), &xs) !=
        CPLANE_OK)
      xs = -1;
    for (j = i; j > 0; j--) {
      const cplane_object *y = jobs[j - 1];
      int before;

      if (cplane_time_parse(api->object_string(y, "status.startTime"), &ys) !=
          CPLANE_OK)
        ys = -1;
      if (xs >= 0 && ys >= 0 && xs != ys)
        before = xs < ys;
      else if ((xs >= 0) != (ys >= 0))
        before = xs >= 0; /* a start time before none */
      else
        before = strcmp(api->object_name(x), api->object_name(y)) < 0;
      if (!before)
        break;
      jobs[j] = y;
    }
    jobs[j] = x;
  }
}

/* The oldest of `kind` beyond `limit_path`'s limit, appended to out. */
static size_t oldest(const struct cplane_host_api *api,
                     const cplane_object *cj, const char *limit_path,
                     const char *kind, const cplane_object **jobs, size_t n,
                     const cplane_object **out) {
  int64_t limit;
  size_t i, m = 0;

  if (api->object_int(cj, limit_path, &limit) != CPLANE_OK || limit < 0)
    return 0; /* no limit: keep them all */
  for (i = 0; i < n; i++) {
    const char *f = cj_job_finished(api, jobs[i]);

    if (f != NULL && strcmp(f, kind) == 0)
      out[m++] = jobs[i];
  }
  if ((int64_t)m <= limit)
    return 0;
  cj_history_sort(api, out, m);
  return m - (size_t)limit;
}

size_t cj_history_victims(const struct cplane_host_api *api,
                          const cplane_object *cj, const cplane_object **jobs,
                          size_t n, const cplane_object **out) {
  size_t k = oldest(api, cj, "spec.successfulJobsHistoryLimit", "Complete",
                    jobs, n, out);

  return k + oldest(api, cj, "spec.failedJobsHistoryLimit", "Failed", jobs, n,
                    out + k);
}
