/*
 * manage - a Job's pods created or deleted toward parallelism and
 * completions, as kube's manageJob: a suspended Job loses its active
 * pods; extra pods (and, Indexed, duplicate or needless indexes) go
 * least advanced first; missing pods come after the failure back-off,
 * Indexed ones for the lowest indexes neither succeeded nor running.
 * At most 500 creates or deletes per sync; deletes take precedence.
 */
#include "sync.h"

#include "pods.h"

#include <stdlib.h>
#include <string.h>

static struct job_writer writer(const struct job_sync *s) {
  return (struct job_writer){s->api, s->ctx, s->expect, s->job, s->key};
}

/* How far a pod has come: unscheduled, pending, running, ready (kube's
 * ActivePods order, which deletes the least advanced first). */
static int progress(const struct cplane_host_api *api,
                    const cplane_object *pod) {
  const char *phase = api->object_string(pod, "status.phase");
  const char *node = api->object_string(pod, "spec.nodeName");

  if (node == NULL || node[0] == '\0')
    return 0;
  if (phase == NULL || strcmp(phase, "Running") != 0)
    return 1;
  return job_pod_ready(api, pod) ? 3 : 2;
}

/* Deletes pods[0..n) (capped) and updates the counters. */
static void delete_some(struct job_sync *s, const cplane_object **pods, int n,
                        int unfinalize) {
  struct job_writer w = writer(s);
  int ready_gone = 0, gone;

  if (n > JOB_MAX_PER_SYNC)
    n = JOB_MAX_PER_SYNC;
  gone = job_delete_pods(&w, pods, n, unfinalize, &ready_gone);
  s->n_active -= gone;
  s->ready -= ready_gone;
  s->terminating += gone;
}

int job_delete_active(struct job_sync *s) {
  int before = s->n_active;

  if (before == 0)
    return 1;
  delete_some(s, s->active, before, 0);
  return s->n_active == 0 && before <= JOB_MAX_PER_SYNC;
}

/* Indexed: the active pods to remove whatever the count: no valid index,
 * an index already succeeded, or a second pod of one index. Moves them to
 * the front of s->active; returns how many. */
static int needless_first(struct job_sync *s) {
  int n = (int)s->spec.completions, i, front = 0;
  unsigned char *seen = calloc((size_t)n + 1, 1);

  if (seen == NULL)
    return 0;
  for (i = 0; i < s->n_active; i++) {
    int ix = job_pod_index(s->api, s->active[i], n);

    if (ix >= 0 && !s->done_ix[ix] && !seen[ix] &&
        !(s->per_index && s->per.failed[ix])) {
      seen[ix] = 1;
      continue;
    }
    const cplane_object *t = s->active[front];
    s->active[front++] = s->active[i];
    s->active[i] = t;
  }
  free(seen);
  return front;
}

/* Orders active[from..] least advanced first (a stable insertion sort:
 * at most parallelism pods). */
static void least_advanced_first(struct job_sync *s, int from) {
  int i, j;

  for (i = from + 1; i < s->n_active; i++) {
    const cplane_object *p = s->active[i];
    int v = progress(s->api, p);

    for (j = i; j > from && progress(s->api, s->active[j - 1]) > v; j--)
      s->active[j] = s->active[j - 1];
    s->active[j] = p;
  }
}

/* backoffLimitPerIndex: ms before index ix may run again (0: now). */
static int64_t index_wait(struct job_sync *s, int ix) {
  struct job_backoff b = {s->per.count[ix], s->per.last_fail_ms[ix], 0};

  return job_backoff_remaining_ms(&b, s->now_ms, s->cfg->backoff_base_ms,
                                  s->cfg->backoff_max_ms);
}

/* The lowest `want` indexes neither succeeded, failed for good, waiting
 * out their back-off nor held by an active pod into out; returns how
 * many. */
static int pending_indexes(struct job_sync *s, int want, int *out) {
  int n = (int)s->spec.completions, i, k = 0;
  unsigned char *busy = calloc((size_t)n + 1, 1);

  if (busy == NULL)
    return 0;
  for (i = 0; i < s->n_active; i++) {
    int ix = job_pod_index(s->api, s->active[i], n);

    if (ix >= 0)
      busy[ix] = 1;
  }
  for (i = 0; i < n && k < want; i++) {
    int64_t wait;

    if (s->done_ix[i] || busy[i])
      continue;
    if (s->per_index && s->per.failed[i])
      continue;
    if (s->per_index && (wait = index_wait(s, i)) > 0) {
      job_sync_requeue(s, wait);
      continue;
    }
    out[k++] = i;
  }
  free(busy);
  return k;
}

static int64_t wanted_active(const struct job_sync *s) {
  int64_t want;

  if (s->spec.completions < 0)
    return s->succeeded > 0 ? s->n_active : s->spec.parallelism;
  want = s->spec.completions - s->succeeded;
  if (want > s->spec.parallelism)
    want = s->spec.parallelism;
  return want > 0 ? want : 0;
}

static void create_some(struct job_sync *s, int64_t diff) {
  struct job_writer w = writer(s);
  int *ix = NULL, *fails = NULL, i, failed = 0;
  int n = (int)(diff > JOB_MAX_PER_SYNC ? JOB_MAX_PER_SYNC : diff);

  if (s->spec.indexed) {
    ix = calloc((size_t)n + 1, sizeof *ix);
    fails = calloc((size_t)n + 1, sizeof *fails);
    if (ix == NULL || fails == NULL) {
      s->failed_write = 1;
      goto out;
    }
    n = pending_indexes(s, n, ix);
    for (i = 0; i < n && s->per_index; i++)
      fails[i] = s->per.count[ix[i]];
  }
  s->n_active += job_create_pods(&w, ix, s->per_index ? fails : NULL, n,
                                 &failed);
  if (failed)
    s->failed_write = 1;
out:
  free(ix);
  free(fails);
}

int job_manage(struct job_sync *s, int64_t backoff_wait_ms) {
  int64_t want, diff;
  int rm = 0;

  if (s->spec.suspend) {
    delete_some(s, s->active, s->n_active, 1);
    return 1;
  }
  want = wanted_active(s);
  if (s->spec.indexed)
    rm = needless_first(s);
  if (s->n_active - rm > want) {
    least_advanced_first(s, rm);
    rm = (int)(s->n_active - want);
  }
  if (rm > 0) {
    delete_some(s, s->active, rm, 1);
    return 1; /* deletes take precedence over creates this sync */
  }
  diff = want - s->n_active - (s->spec.only_replace_failed ? s->terminating : 0);
  if (diff <= 0)
    return 1;
  if (backoff_wait_ms > 0) {
    job_sync_requeue(s, backoff_wait_ms);
    return 1;
  }
  create_some(s, diff);
  return 1;
}
