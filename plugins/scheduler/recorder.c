/* recorder - see recorder.h. */
#include "recorder.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 16

struct item {
  char ns[254];
  char *body;
};

static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  cplane_plugin_ctx *ctx;
  const struct cplane_host_api *api;
  struct item *ring;
  int cap, head, len, stopping, n_threads;
  unsigned long dropped;
  pthread_t threads[MAX_THREADS];
} R = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static const struct cplane_resource events_res =
    CPLANE_RESOURCE("", "v1", "events");

static void *drain(void *arg) {
  (void)arg;
  pthread_mutex_lock(&R.mu);
  for (;;) {
    struct item it;
    char *err = NULL;
    int code;

    while (R.len == 0 && !R.stopping)
      pthread_cond_wait(&R.cv, &R.mu);
    if (R.stopping)
      break;
    it = R.ring[R.head];
    R.head = (R.head + 1) % R.cap;
    R.len--;
    pthread_mutex_unlock(&R.mu);
    code = R.api->create(R.ctx, &events_res, it.ns, it.body, NULL, &err);
    if (code != 201 && code != CPLANE_ESHUTDOWN)
      R.api->log(R.ctx, CPLANE_LOG_WARN,
                 "writing an event in namespace %s failed: %d %s", it.ns,
                 code, err ? err : "");
    R.api->free(err);
    R.api->free(it.body);
    pthread_mutex_lock(&R.mu);
  }
  pthread_mutex_unlock(&R.mu);
  return NULL;
}

int recorder_start(cplane_plugin_ctx *ctx, const struct cplane_host_api *api,
                   int threads, int capacity) {
  R.ctx = ctx;
  R.api = api;
  R.cap = capacity;
  R.head = R.len = R.stopping = 0;
  R.dropped = 0;
  if ((R.ring = calloc((size_t)capacity, sizeof *R.ring)) == NULL)
    return CPLANE_ENOMEM;
  if (threads > MAX_THREADS)
    threads = MAX_THREADS;
  for (R.n_threads = 0; R.n_threads < threads; R.n_threads++)
    if (pthread_create(&R.threads[R.n_threads], NULL, drain, NULL) != 0)
      break;
  if (R.n_threads == 0) {
    free(R.ring);
    R.ring = NULL;
    return CPLANE_ERR;
  }
  return CPLANE_OK;
}

int recorder_post(const char *ns, char *body) {
  struct item *it;
  int rc = -1;

  pthread_mutex_lock(&R.mu);
  if (R.ring == NULL || R.stopping || R.len == R.cap ||
      strlen(ns) >= sizeof it->ns) {
    R.dropped++;
    goto out;
  }
  it = &R.ring[(R.head + R.len) % R.cap];
  snprintf(it->ns, sizeof it->ns, "%s", ns);
  it->body = body;
  body = NULL;
  R.len++;
  pthread_cond_signal(&R.cv);
  rc = 0;
out:
  pthread_mutex_unlock(&R.mu);
  if (body != NULL)
    R.api->free(body);
  return rc;
}

void recorder_stop(void) {
  int i;

  pthread_mutex_lock(&R.mu);
  R.stopping = 1;
  pthread_cond_broadcast(&R.cv);
  pthread_mutex_unlock(&R.mu);
  for (i = 0; i < R.n_threads; i++)
    pthread_join(R.threads[i], NULL);
  R.n_threads = 0;
  for (; R.len > 0; R.len--) {
    R.api->free(R.ring[R.head].body);
    R.head = (R.head + 1) % R.cap;
  }
  free(R.ring);
  R.ring = NULL;
}

unsigned long recorder_dropped(void) {
  unsigned long n;

  pthread_mutex_lock(&R.mu);
  n = R.dropped;
  pthread_mutex_unlock(&R.mu);
  return n;
}
