/*
 * bench_job - the job controller at scale, as the real `cplane` binary
 * with the scheduler, nodesim and job plugins: one Job of C completions
 * (default 10,000) with parallelism P (default 500) on N simulated nodes
 * (default 5,000); the time from its create to its Complete condition,
 * seen by a watch in this process, and the most pods seen active at once
 * (never above P).
 *
 * Pods finish as a kubelet would report it: when the watch sees a pod
 * Running, a finisher thread patches its status to Succeeded with a
 * terminated container (exit code 0). nodesim's own run_seconds, when it
 * has them, reaches the same state; whichever comes first wins.
 *
 * Usage: bench_job [nodes] [completions] [parallelism]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/log.h"
#include "object/object.h"

#include "cluster_harness.c"

#define FINISHERS 8
#define QUEUE_CAP 65536

static atomic_uint active_now, active_max, succeeded;
static atomic_int complete;

/* Names of Running pods waiting to be finished: a ring under mu. */
static char *queue[QUEUE_CAP];
static unsigned q_head, q_tail;
static int stopping;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static int phase_is(const cplane_object *pod, const char *want) {
  const char *phase = cp_object_string(pod, "status.phase");

  return phase != NULL && strcmp(phase, want) == 0;
}

static int finished(const cplane_object *pod) {
  return phase_is(pod, "Succeeded") || phase_is(pod, "Failed");
}

static void push(const char *name) {
  pthread_mutex_lock(&mu);
  if (q_tail - q_head < QUEUE_CAP && (queue[q_tail % QUEUE_CAP] =
                                          strdup(name)) != NULL)
    q_tail++;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
}

static char *pop(void) {
  char *name = NULL;

  pthread_mutex_lock(&mu);
  while (q_head == q_tail && !stopping)
    pthread_cond_wait(&cv, &mu);
  if (q_head != q_tail)
    name = queue[q_head++ % QUEUE_CAP];
  pthread_mutex_unlock(&mu);
  return name;
}

/* ---- the watches ---- */

/* Nodes are only counted (cp_informer_len). */
static const struct cp_informer_handler_ops node_ops = {NULL, NULL, NULL};

static void count_active(int delta) {
  unsigned now = atomic_fetch_add(&active_now, (unsigned)delta) + delta;
  unsigned max = atomic_load(&active_max);

  while (now > max && !atomic_compare_exchange_weak(&active_max, &max, now))
    ;
}

static void pod_add(void *ud, const cplane_object *o, int initial) {
  (void)ud;
  (void)initial;
  if (!finished(o))
    count_active(1);
  if (phase_is(o, "Running"))
    push(cp_object_name(o));
}

static void pod_update(void *ud, const cplane_object *o,
                       const cplane_object *n) {
  (void)ud;
  if (!finished(o) && finished(n)) {
    count_active(-1);
    if (phase_is(n, "Succeeded"))
      atomic_fetch_add(&succeeded, 1);
  }
  if (!phase_is(o, "Running") && phase_is(n, "Running"))
    push(cp_object_name(n));
}

static void pod_delete(void *ud, const cplane_object *o) {
  (void)ud;
  if (!finished(o))
    count_active(-1);
}

static const struct cp_informer_handler_ops pod_ops = {pod_add, pod_update,
                                                       pod_delete};

static void job_update(void *ud, const cplane_object *o,
                       const cplane_object *n) {
  int i, len = cp_object_len(n, "status.conditions");
  char p[96];

  (void)ud;
  (void)o;
  for (i = 0; i < len; i++) {
    const char *type, *status;

    snprintf(p, sizeof p, "status.conditions[%d].type", i);
    type = cp_object_string(n, p);
    snprintf(p, sizeof p, "status.conditions[%d].status", i);
    status = cp_object_string(n, p);
    if (type && status && strcmp(type, "Complete") == 0 &&
        strcmp(status, "True") == 0)
      atomic_store(&complete, 1);
  }
}

static const struct cp_informer_handler_ops job_ops = {NULL, job_update, NULL};

/* ---- finishing pods, as a kubelet reports it ---- */

static void *finisher_main(void *arg) {
  struct harness *h = arg;
  struct cp_client *c = NULL;
  struct cp_client_config cc = {0};
  char path[256], *err = NULL, *name;

  cc.server = h->kc.server;
  cc.ca_file = h->kc.ca_file;
  cc.ca_pem = h->kc.ca_pem;
  cc.token = h->kc.token;
  cc.timeout_ms = 60000;
  if (cp_client_new(&cc, &c, &err) != 0) {
    fprintf(stderr, "bench_job: finisher: %s\n", err ? err : "?");
    free(err);
    return NULL;
  }
  while ((name = pop()) != NULL) {
    static const char body[] =
        "{\"status\":{\"phase\":\"Succeeded\",\"conditions\":[{\"type\":"
        "\"Ready\",\"status\":\"False\"}],\"containerStatuses\":[{\"name\":"
        "\"c\",\"image\":\"busybox\",\"imageID\":\"\",\"ready\":false,"
        "\"restartCount\":0,\"state\":{\"terminated\":{\"exitCode\":0,"
        "\"reason\":\"Completed\"}}}]}}";
    char *resp = NULL;
    size_t len = 0;

    snprintf(path, sizeof path, "/api/v1/namespaces/default/pods/%s/status",
             name);
    cp_client_request(c, "PATCH", path, "application/merge-patch+json", body,
                      strlen(body), &resp, &len);
    free(resp);
    free(name);
  }
  cp_client_free(c);
  return NULL;
}

int main(int argc, char **argv) {
  static const char *const plugins[] = {"scheduler", "nodesim", "job", NULL};
  unsigned n_nodes = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 5000;
  unsigned completions =
      argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 10000;
  unsigned parallelism = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 500;
  struct harness h;
  struct cp_reflector *rn = NULL, *rp = NULL, *rj = NULL;
  cp_informer *in = NULL, *ip = NULL, *ij = NULL;
  pthread_t fin[FINISHERS];
  int started[FINISHERS] = {0}, i, rc = 1;
  char ini[1024], body[1024];
  uint64_t t0, deadline;
  unsigned last = 0;

  setvbuf(stdout, NULL, _IOLBF, 0);
  cp_log_set_level(CPLANE_LOG_WARN);
  if (harness_init(&h, plugins) != 0)
    return 1;
  snprintf(ini, sizeof ini,
           "[plugin.scheduler]\nenabled = true\nworkers = 64\n"
           "[plugin.nodesim]\nenabled = true\nworkers = 32\ncount = %u\n"
           "pod_start_delay = 0\n"
           "[plugin.job]\nenabled = true\nworkers = 4\n",
           n_nodes);
  printf("job: starting cplane with %u simulated nodes...\n", n_nodes);
  if (harness_start(&h, ini) != 0)
    goto out;
  rn = harness_watch(&h, "", "nodes", &node_ops, &in);
  rp = harness_watch(&h, "", "pods", &pod_ops, &ip);
  ij = cp_informer_new("jobs");
  cp_informer_add_handler(ij, &job_ops, NULL, 1 << 16, 0);
  cp_informer_start(ij);
  rj = cp_reflector_new(h.client, ij, "batch", "v1", "jobs", NULL, NULL);
  cp_reflector_start(rj);
  for (i = 0; i < FINISHERS; i++)
    started[i] = pthread_create(&fin[i], NULL, finisher_main, &h) == 0;
  deadline = now_ns() + 300ull * 1000000000u;
  while (cp_informer_len(in) < n_nodes && now_ns() < deadline)
    usleep(50000);
  if (cp_informer_len(in) < n_nodes) {
    fprintf(stderr, "bench_job: %zu of %u nodes after 300 s\n",
            cp_informer_len(in), n_nodes);
    goto out;
  }
  snprintf(body, sizeof body,
           "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{"
           "\"name\":\"big\"},\"spec\":{\"completions\":%u,\"parallelism\":"
           "%u,\"template\":{\"spec\":{\"restartPolicy\":\"Never\","
           "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\","
           "\"resources\":{\"requests\":{\"cpu\":\"10m\",\"memory\":"
           "\"16Mi\"}}}]}}}}",
           completions, parallelism);
  printf("job: %u nodes registered; creating a Job of %u completions, "
         "parallelism %u...\n",
         n_nodes, completions, parallelism);
  t0 = now_ns();
  if (harness_post(&h, "/apis/batch/v1/namespaces/default/jobs", body) != 201)
    goto out;
  deadline = now_ns() + 900ull * 1000000000u;
  while (!atomic_load(&complete) && now_ns() < deadline) {
    unsigned s = atomic_load(&succeeded);

    if (s / 2000 != last / 2000)
      printf("job: %u/%u succeeded after %.0f s\n", s, completions,
             (now_ns() - t0) / 1e9);
    last = s;
    usleep(20000);
  }
  {
    double secs = (now_ns() - t0) / 1e9;

    printf("job: a Job of %u completions, parallelism %u, on %u simulated "
           "nodes: Complete %.1f s after its create (%.0f pods/s); at most "
           "%u pods active at once; %u pods succeeded; cplane peak RSS %.0f "
           "MiB\n",
           completions, parallelism, n_nodes, secs, completions / secs,
           atomic_load(&active_max), atomic_load(&succeeded),
           harness_peak_rss_kb(&h) / 1024.0);
    rc = atomic_load(&complete) && atomic_load(&active_max) <= parallelism
             ? 0 : 1;
  }
out:
  pthread_mutex_lock(&mu);
  stopping = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  for (i = 0; i < FINISHERS; i++)
    if (started[i])
      pthread_join(fin[i], NULL);
  while (q_head != q_tail)
    free(queue[q_head++ % QUEUE_CAP]);
  cp_reflector_free(rj);
  cp_reflector_free(rp);
  cp_reflector_free(rn);
  cp_informer_free(ij);
  cp_informer_free(ip);
  cp_informer_free(in);
  harness_stop(&h, 0);
  return rc;
}
