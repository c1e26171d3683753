/*
 * podwrites - a Job's pod creates, deletes and finalizer removals. See
 * podwrites.h.
 */
#include "podwrites.h"

#include "podtemplate.h"
#include "pods.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 16

/* A batch of calls shared by up to MAX_THREADS threads: each takes the
 * next slot under the lock and runs `one` on it until the batch is used
 * up. */
struct batch {
  const struct job_writer *w;
  void (*one)(struct batch *b, int slot);
  const char *body;         /* creates, unindexed: one body for all */
  const int *indexes;       /* creates, indexed: one index per slot */
  const int *failures;      /* creates, per-index limit: failures so far */
  const cplane_object **pods; /* finalizer removals: the pods */
  unsigned char *done;      /* finalizer removals: per pod, 1 when gone */
  int next, end, made, failed;
  pthread_mutex_t mu;
};

static int unfinalize(const struct job_writer *w, const cplane_object *pod);

static void create_one(struct batch *b, int slot) {
  const struct job_writer *w = b->w;
  const struct cplane_host_api *api = w->api;
  const cplane_object *pod = NULL;
  char *body = NULL, *msg = NULL;
  int code;

  if (b->indexes != NULL)
    body = job_pod_body(api, w->job, b->indexes[slot],
                        b->failures ? b->failures[slot] : -1);
  code = body || b->body
             ? api->create(w->ctx, &job_resources[JOB_PODS],
                           api->object_namespace(w->job),
                           body ? body : b->body, &pod, &msg)
             : CPLANE_ENOMEM;
  pthread_mutex_lock(&b->mu);
  if (code == 201) {
    b->made++;
  } else {
    b->failed++;
  }
  pthread_mutex_unlock(&b->mu);
  if (code == 201) {
    api->event_record(w->ctx, &job_resources[JOB_JOBS], w->job, "Normal",
                      "SuccessfulCreate", "Created pod: %s",
                      api->object_name(pod));
  } else {
    /* No event will come for it: its expectation goes now. */
    cplane_expect_observed(w->expect, w->key, 1, 0);
    api->event_record(w->ctx, &job_resources[JOB_JOBS], w->job, "Warning",
                      "FailedCreate", "Error creating: %s",
                      msg ? msg : "out of memory");
    api->log(w->ctx, CPLANE_LOG_WARN, "%s: creating a pod failed: %d %s",
             w->key, code, msg ? msg : "");
  }
  api->object_release(pod);
  api->free(msg);
  api->free(body);
}

static void *batch_main(void *arg) {
  struct batch *b = arg;

  for (;;) {
    int slot;

    pthread_mutex_lock(&b->mu);
    slot = b->next < b->end ? b->next++ : -1;
    pthread_mutex_unlock(&b->mu);
    if (slot < 0)
      return NULL;
    b->one(b, slot);
  }
}

/* Runs slots [from, to) of b on up to MAX_THREADS threads (this one
 * included). */
static void run_batch(struct batch *b, int from, int to) {
  pthread_t th[MAX_THREADS];
  int started[MAX_THREADS] = {0}, t, n = to - from;

  b->next = from;
  b->end = to;
  for (t = 1; t < MAX_THREADS && t < n; t++)
    started[t] = pthread_create(&th[t], NULL, batch_main, b) == 0;
  batch_main(b);
  for (t = 1; t < MAX_THREADS && t < n; t++)
    if (started[t])
      pthread_join(th[t], NULL);
}

int job_create_pods(const struct job_writer *w, const int *indexes,
                    const int *failures, int n, int *failed) {
  const struct cplane_host_api *api = w->api;
  struct batch b;
  int done = 0, size = 1;

  *failed = 0;
  if (n <= 0)
    return 0;
  memset(&b, 0, sizeof b);
  b.w = w;
  b.one = create_one;
  b.indexes = indexes;
  b.failures = failures;
  if (pthread_mutex_init(&b.mu, NULL) != 0) {
    *failed = 1;
    return 0;
  }
  if (cplane_expect_raise(w->expect, w->key, n, 0, api->now_ms(w->ctx)) != 0)
    api->log(w->ctx, CPLANE_LOG_WARN, "%s: out of memory recording "
             "expectations", w->key);
  if (indexes == NULL && (b.body = job_pod_body(api, w->job, -1, -1)) == NULL)
    b.failed = 1;
  while (done < n && b.failed == 0) {
    int to = done + size < n ? done + size : n;

    run_batch(&b, done, to);
    done = to;
    size *= 2;
  }
  /* The slots never tried will not show up in the cache either. */
  if (done < n)
    cplane_expect_observed(w->expect, w->key, n - done, 0);
  *failed = b.failed != 0;
  if (b.made > 0)
    api->log(w->ctx, CPLANE_LOG_INFO, "%s: created %d pod(s)", w->key, b.made);
  api->free((char *)b.body);
  pthread_mutex_destroy(&b.mu);
  return b.made;
}

/* Removes pod's tracking finalizer. 1 when gone (or the pod is), 0 when
 * the call failed. */
static int unfinalize(const struct job_writer *w, const cplane_object *pod) {
  const struct cplane_host_api *api = w->api;
  char *patch = NULL, *msg = NULL;
  int code;

  if (cplane_finalizer_remove_patch(api, pod, JOB_TRACKING_FINALIZER,
                                    &patch) != CPLANE_OK)
    return 0;
  if (patch == NULL)
    return 1;
  cplane_expect_uid(w->expect, w->key, api->object_uid(pod));
  code = api->patch(w->ctx, &job_resources[JOB_PODS],
                    api->object_namespace(pod), api->object_name(pod),
                    CPLANE_PATCH_MERGE, patch, NULL, &msg);
  if (code != 200) {
    cplane_expect_uid_seen(w->expect, w->key, api->object_uid(pod));
    if (code != 404 && code != 409) /* 409: the pod moved on; next sync */
      api->log(w->ctx, CPLANE_LOG_WARN,
               "%s: removing the tracking finalizer of %s failed: %d %s",
               w->key, api->object_name(pod), code, msg ? msg : "");
  }
  api->free(patch);
  api->free(msg);
  return code == 200 || code == 404;
}

static void unfinalize_one(struct batch *b, int slot) {
  int ok = unfinalize(b->w, b->pods[slot]);

  b->done[slot] = (unsigned char)ok; /* each slot is one thread's */
  if (!ok) {
    pthread_mutex_lock(&b->mu);
    b->failed++;
    pthread_mutex_unlock(&b->mu);
  }
}

int job_unfinalize_pods(const struct job_writer *w, const cplane_object **pods,
                        int n, unsigned char *done) {
  struct batch b;

  if (n <= 0)
    return 0;
  memset(&b, 0, sizeof b);
  b.w = w;
  b.one = unfinalize_one;
  b.pods = pods;
  b.done = done;
  if (pthread_mutex_init(&b.mu, NULL) != 0)
    return -1;
  run_batch(&b, 0, n); /* patches of distinct pods: no slow start needed */
  pthread_mutex_destroy(&b.mu);
  return b.failed == 0 ? 0 : -1;
}

int job_delete_pods(const struct job_writer *w, const cplane_object **pods,
                    int n, int unfinalize_first, int *ready_gone) {
  const struct cplane_host_api *api = w->api;
  int i, gone = 0;

  if (n > 0 &&
      cplane_expect_raise(w->expect, w->key, 0, n, api->now_ms(w->ctx)) != 0)
    api->log(w->ctx, CPLANE_LOG_WARN, "%s: out of memory recording "
             "expectations", w->key);
  for (i = 0; i < n; i++) {
    const cplane_object *pod = pods[i];
    char *msg = NULL;
    int code;

    if (unfinalize_first && !unfinalize(w, pod)) {
      cplane_expect_observed(w->expect, w->key, 0, 1);
      continue;
    }
    code = api->delete_object(w->ctx, &job_resources[JOB_PODS],
                              api->object_namespace(pod), api->object_name(pod),
                              NULL, &msg);
    if (code == 200 || code == 202 || code == 404) {
      gone++;
      *ready_gone += job_pod_ready(api, pod);
      if (code != 404)
        api->event_record(w->ctx, &job_resources[JOB_JOBS], w->job, "Normal",
                          "SuccessfulDelete", "Deleted pod: %s",
                          api->object_name(pod));
    }
    if (code != 200 && code != 202) {
      cplane_expect_observed(w->expect, w->key, 0, 1);
      if (code != 404)
        api->event_record(w->ctx, &job_resources[JOB_JOBS], w->job, "Warning",
                          "FailedDelete", "Error deleting: %s",
                          msg ? msg : "");
    }
    api->free(msg);
  }
  if (gone > 0)
    api->log(w->ctx, CPLANE_LOG_INFO, "%s: deleted %d pod(s)", w->key, gone);
  return gone;
}
