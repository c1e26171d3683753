/*
 * bench_scheduler - the scheduler plugin's throughput, as kube-scheduler's
 * scheduler_perf SchedulingBasic measures it: N nodes (default 5,000) and
 * P pending pods (default 10,000) in the store, then the real `cplane`
 * binary started on it (embedded API server over TLS, SQLite, the
 * scheduler plugin and nothing else). A reflector in this process watches
 * the pods and notes when each is first seen bound; once it has synced the
 * scheduler plugin is enabled with a SIGHUP reload.
 *
 * Prints pods/s from the first bind to the last (the scheduling phase) and
 * from process start (cache sync included), next to kube-scheduler's CI
 * floor for the same case (680 pods/s on large machines).
 *
 * Usage: bench_scheduler [nodes] [pods] [scheduled_events (0|1, default 1)]
 * With no arguments it runs both: events off, then on (the default).
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"
#include "object/object.h"
#include "store/store.h"

#include "cluster_harness.c"

#define KUBE_SCHEDULER_FLOOR 680.0

static atomic_uint bound;
static atomic_ullong first_bind_ns, last_bind_ns;

static void seen(const cplane_object *pod) {
  const char *n = cp_object_string(pod, "spec.nodeName");
  uint64_t t, zero = 0;

  if (n == NULL || n[0] == '\0')
    return;
  t = now_ns();
  atomic_compare_exchange_strong(&first_bind_ns, &zero, t);
  atomic_store(&last_bind_ns, t);
  atomic_fetch_add(&bound, 1);
}

static void on_add(void *ud, const cplane_object *obj, int initial) {
  (void)ud;
  (void)initial;
  seen(obj);
}

/* A pod is bound once; later updates of a bound pod are not counted. */
static void on_update(void *ud, const cplane_object *o, const cplane_object *n) {
  const char *was = cp_object_string(o, "spec.nodeName");

  (void)ud;
  if (was == NULL || was[0] == '\0')
    seen(n);
}

static const struct cp_informer_handler_ops ops = {on_add, on_update, NULL};

static int put(cp_store *st, const char *key, const char *json) {
  int64_t rev;

  return cp_store_create(st, key, strlen(key), json, strlen(json), &rev);
}

/* Writes the nodes and the pending pods straight into a new store. */
static int seed(const char *db, unsigned n_nodes, unsigned n_pods) {
  cp_store *st = NULL;
  char key[128], json[2048], *err = NULL;
  unsigned i;
  int rc = -1;

  if (cp_store_sqlite_open(db, NULL, &st, &err) != 0) {
    fprintf(stderr, "bench_scheduler: %s\n", err);
    goto out;
  }
  if (put(st, "namespaces/bench",
          "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{"
          "\"name\":\"bench\",\"uid\":\"0e7a0000-0000-4000-8000-"
          "ffffffffffff\",\"creationTimestamp\":\"2026-11-25T00:00:00Z\"},"
          "\"spec\":{\"finalizers\":[\"kubernetes\"]},\"status\":{"
          "\"phase\":\"Active\"}}") != 0)
    goto out;
  for (i = 0; i < n_nodes; i++) {
    snprintf(key, sizeof key, "nodes/node-%05u", i);
    snprintf(json, sizeof json,
             "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{"
             "\"name\":\"node-%05u\",\"uid\":\"6b1c0000-0000-4000-8000-%012u\","
             "\"creationTimestamp\":\"2026-11-25T00:00:00Z\",\"labels\":{"
             "\"kubernetes.io/hostname\":\"node-%05u\",\"kubernetes.io/os\":"
             "\"linux\",\"topology.kubernetes.io/zone\":\"zone-%u\"}},"
             "\"spec\":{},\"status\":{\"capacity\":{\"cpu\":\"32\","
             "\"memory\":\"128Gi\",\"pods\":\"110\"},\"allocatable\":{"
             "\"cpu\":\"32\",\"memory\":\"128Gi\",\"pods\":\"110\"},"
             "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
             i, i, i, i % 10);
    if (put(st, key, json) != 0)
      goto out;
  }
  for (i = 0; i < n_pods; i++) {
    snprintf(key, sizeof key, "pods/bench/pod-%06u", i);
    snprintf(json, sizeof json,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
             "\"name\":\"pod-%06u\",\"namespace\":\"bench\",\"uid\":"
             "\"0e7a0000-0000-4000-8000-%012u\",\"creationTimestamp\":"
             "\"2026-11-25T00:00:00Z\",\"labels\":{\"app\":\"bench\"}},"
             "\"spec\":{\"schedulerName\":\"default-scheduler\","
             "\"containers\":[{\"name\":\"c\",\"image\":\"registry.k8s.io/"
             "pause:3.10\",\"resources\":{\"requests\":{\"cpu\":\"100m\","
             "\"memory\":\"128Mi\"}}}]},\"status\":{\"phase\":\"Pending\"}}",
             i, i);
    if (put(st, key, json) != 0)
      goto out;
  }
  rc = 0;
out:
  free(err);
  cp_store_close(st);
  return rc;
}

static int run_once(unsigned n_nodes, unsigned n_pods, int events) {
  static const char *const plugins[] = {"scheduler", NULL};
  char path[128], ini[256];
  struct harness h;
  struct cp_reflector *r = NULL;
  cp_informer *inf = NULL;
  uint64_t t0, deadline;
  unsigned last = 0;
  int rc = 1;

  atomic_store(&bound, 0);
  atomic_store(&first_bind_ns, 0);
  atomic_store(&last_bind_ns, 0);
  if (harness_init(&h, plugins) != 0)
    return 1;
  printf("scheduler: writing %u nodes and %u pending pods...\n", n_nodes,
         n_pods);
  if (seed(harness_path(&h, "data/cplane.db", path, sizeof path), n_nodes,
           n_pods) != 0)
    goto out;
  /* The scheduler starts (SIGHUP) once this process watches the pods, so
   * that every bind is seen as it happens. */
  snprintf(ini, sizeof ini,
           "[plugin.scheduler]\nenabled = %%s\nworkers = 64\n"
           "scheduled_events = %s\n",
           events ? "true" : "false");
  snprintf(path, sizeof path, ini, "false");
  if (harness_start(&h, path) != 0)
    goto out;
  r = harness_watch(&h, "", "pods", &ops, &inf);
  while (!cp_informer_has_synced(inf))
    usleep(10000);
  snprintf(path, sizeof path, ini, "true");
  t0 = now_ns();
  if (harness_reload(&h, path) != 0)
    goto out;
  deadline = now_ns() + 600ull * 1000000000u;
  while (atomic_load(&bound) < n_pods && now_ns() < deadline) {
    unsigned b = atomic_load(&bound);

    if (b / 2000 != last / 2000)
      printf("scheduler: %u/%u bound\n", b, n_pods);
    last = b;
    usleep(20000);
  }
  if (atomic_load(&bound) < n_pods) {
    fprintf(stderr, "bench_scheduler: only %u of %u pods bound in 600 s\n",
            atomic_load(&bound), n_pods);
    goto out;
  }
  {
    double phase = (double)(atomic_load(&last_bind_ns) -
                            atomic_load(&first_bind_ns)) / 1e9;
    double total = (double)(atomic_load(&last_bind_ns) - t0) / 1e9;
    double rate = n_pods / (phase > 0 ? phase : 1e-9);

    printf("scheduler: %u pods on %u nodes (Scheduled events %s): first to "
           "last bind %.2f s = %.0f pods/s; from enabling it (its cache sync "
           "included) %.2f s = %.0f pods/s; %.2fx kube-scheduler's CI floor "
           "of %.0f pods/s (goal 3000 pods/s)\n",
           n_pods, n_nodes, events ? "on" : "off", phase, rate, total,
           n_pods / total, rate / KUBE_SCHEDULER_FLOOR, KUBE_SCHEDULER_FLOOR);
  }
  rc = 0;
out:
  cp_reflector_free(r);
  cp_informer_free(inf);
  harness_stop(&h, 0);
  return rc;
}

int main(int argc, char **argv) {
  unsigned n_nodes = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 5000;
  unsigned n_pods = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 10000;

  setvbuf(stdout, NULL, _IOLBF, 0);
  cp_log_set_level(CPLANE_LOG_WARN);
  if (n_nodes == 0 || n_pods == 0)
    return 1;
  if (argc > 3)
    return run_once(n_nodes, n_pods, atoi(argv[3]));
  return run_once(n_nodes, n_pods, 0) || run_once(n_nodes, n_pods, 1);
}
