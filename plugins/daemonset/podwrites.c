/*
 * podwrites - a DaemonSet's pod creates and deletes, and its status. See
 * podwrites.h.
 */
#include "podwrites.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define DS_RES (&ds_resources[DS_DAEMONSETS])
#define POD_RES (&ds_resources[DS_PODS])

/* One batch of writes shared by the writer threads. */
struct batch {
  const struct cplane_host_api *api;
  cplane_plugin_ctx *ctx;
  const cplane_object *ds;
  const struct ds_podbody *body; /* NULL: deletes */
  const char *const *names;      /* nodes to create on, or pods to delete */
  int n;
  atomic_int next, done, failed;
};

static void create_one(struct batch *b, const char *node) {
  const struct cplane_host_api *api = b->api;
  const cplane_object *made = NULL;
  char *pod = ds_podbody_for(api, b->body, node), *msg = NULL;
  int code = CPLANE_ENOMEM;

  if (pod != NULL)
    code = api->create(b->ctx, POD_RES, api->object_namespace(b->ds), pod,
                       &made, &msg);
  free(pod);
  if (code == 201) {
    atomic_fetch_add(&b->done, 1);
    api->event_record(b->ctx, DS_RES, b->ds, "Normal", "SuccessfulCreate",
                      "Created pod: %s",
                      made != NULL ? api->object_name(made) : "");
  } else {
    atomic_fetch_add(&b->failed, 1);
    api->event_record(b->ctx, DS_RES, b->ds, "Warning", "FailedCreate",
                      "Error creating: %s", msg != NULL ? msg : "");
    api->log(b->ctx, CPLANE_LOG_WARN, "%s: creating a pod on %s failed: %d %s",
             api->object_key(b->ds), node, code, msg != NULL ? msg : "");
  }
  api->object_release(made);
  api->free(msg);
}

static void delete_one(struct batch *b, const char *name) {
  const struct cplane_host_api *api = b->api;
  char *msg = NULL;
  int code = api->delete_object(b->ctx, POD_RES, api->object_namespace(b->ds),
                                name, NULL, &msg);

  if (code == 200 || code == 202) {
    atomic_fetch_add(&b->done, 1);
    api->event_record(b->ctx, DS_RES, b->ds, "Normal", "SuccessfulDelete",
                      "Deleted pod: %s", name);
  } else if (code == 404) {
    atomic_fetch_add(&b->failed, 1); /* gone already: its event came */
  } else {
    atomic_fetch_add(&b->failed, 1);
    api->event_record(b->ctx, DS_RES, b->ds, "Warning", "FailedDelete",
                      "Error deleting: %s", msg != NULL ? msg : "");
    api->log(b->ctx, CPLANE_LOG_WARN, "%s: deleting pod %s failed: %d %s",
             api->object_key(b->ds), name, code, msg != NULL ? msg : "");
  }
  api->free(msg);
}

static void *writer_main(void *arg) {
  struct batch *b = arg;
  int i;

  while ((i = atomic_fetch_add(&b->next, 1)) < b->n) {
    if (b->body != NULL)
      create_one(b, b->names[i]);
    else
      delete_one(b, b->names[i]);
  }
  return NULL;
}

/* Runs the batch on up to DS_WRITERS threads, this one included. */
static void run_batch(struct batch *b) {
  pthread_t th[DS_WRITERS];
  int started[DS_WRITERS] = {0}, t, n_threads;

  n_threads = b->n < DS_WRITERS ? b->n : DS_WRITERS;
  for (t = 1; t < n_threads; t++)
    started[t] = pthread_create(&th[t], NULL, writer_main, b) == 0;
  writer_main(b);
  for (t = 1; t < n_threads; t++)
    if (started[t])
      pthread_join(th[t], NULL);
}

int ds_create_pods(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   struct cplane_expectations *x, const cplane_object *ds,
                   const struct ds_podbody *body, const char *const *nodes,
                   int n) {
  const char *key = api->object_key(ds);
  int size = 1, pos = 0, made = 0, failed = 0;

  if (n > DS_BURST)
    n = DS_BURST;
  if (n <= 0)
    return 0;
  if (cplane_expect_raise(x, key, n, 0, api->now_ms(ctx)) != 0)
    return -1;
  while (pos < n && !failed) {
    struct batch b = {api, ctx, ds, body, nodes + pos, 0, 0, 0, 0};

    b.n = size < n - pos ? size : n - pos;
    run_batch(&b);
    made += atomic_load(&b.done);
    failed = atomic_load(&b.failed);
    pos += b.n;
    size *= 2;
  }
  /* No watch event will come for the pods not made. */
  if (n - made > 0)
    cplane_expect_observed(x, key, n - made, 0);
  return failed ? -1 : 0;
}

int ds_delete_pods(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   struct cplane_expectations *x, const cplane_object *ds,
                   const char *const *pods, int n) {
  const char *key = api->object_key(ds);
  struct batch b = {api, ctx, ds, NULL, pods, 0, 0, 0, 0};
  int deleted;

  if (n > DS_BURST)
    n = DS_BURST;
  if (n <= 0)
    return 0;
  if (cplane_expect_raise(x, key, 0, n, api->now_ms(ctx)) != 0)
    return -1;
  b.n = n;
  run_batch(&b);
  deleted = atomic_load(&b.done);
  if (n - deleted > 0)
    cplane_expect_observed(x, key, 0, n - deleted);
  return atomic_load(&b.failed) > 0 ? -1 : 0;
}

static int same(const struct cplane_host_api *api, const cplane_object *ds,
                const char *field, int64_t want) {
  char path[64];
  int64_t have = 0;

  snprintf(path, sizeof path, "status.%s", field);
  return api->object_int(ds, path, &have) == CPLANE_OK ? have == want
                                                       : want == 0;
}

void ds_write_status(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                     const cplane_object *ds, const struct ds_status *st,
                     int observed) {
  int64_t gen = api->object_generation(ds), og = 0;
  int unavailable = st->desired - st->available;
  char *patch, *msg = NULL;

  api->object_int(ds, "status.observedGeneration", &og);
  if (observed)
    og = gen;
  if (same(api, ds, "desiredNumberScheduled", st->desired) &&
      same(api, ds, "currentNumberScheduled", st->current) &&
      same(api, ds, "numberMisscheduled", st->misscheduled) &&
      same(api, ds, "numberReady", st->ready) &&
      same(api, ds, "numberAvailable", st->available) &&
      same(api, ds, "numberUnavailable", unavailable) &&
      same(api, ds, "updatedNumberScheduled", st->updated) &&
      same(api, ds, "observedGeneration", og))
    return;
  patch = api->json_format(
      "{'status':{'desiredNumberScheduled':%d,'currentNumberScheduled':%d,"
      "'numberMisscheduled':%d,'numberReady':%d,'numberAvailable':%d,"
      "'numberUnavailable':%d,'updatedNumberScheduled':%d,"
      "'observedGeneration':%lld}}",
      st->desired, st->current, st->misscheduled, st->ready, st->available,
      unavailable, st->updated, (long long)og);
  if (patch != NULL &&
      api->patch_subresource(ctx, DS_RES, api->object_namespace(ds),
                             api->object_name(ds), "status", CPLANE_PATCH_MERGE,
                             patch, NULL, &msg) != 200)
    api->log(ctx, CPLANE_LOG_INFO, "%s: status not written: %s",
             api->object_key(ds), msg != NULL ? msg : "");
  api->free(msg);
  api->free(patch);
}
