/*
 * bench_daemonset - a DaemonSet rolled over many simulated nodes, on the
 * real `cplane` binary with the scheduler, nodesim and daemonset plugins:
 *
 *  1. create: the time from creating the DaemonSet to every node's pod
 *     available (status.numberAvailable = desiredNumberScheduled = N);
 *  2. roll: the time from changing its image to the rollout done as
 *     `kubectl rollout status` judges it (observedGeneration current,
 *     updatedNumberScheduled = numberAvailable = N).
 *
 * RollingUpdate with maxUnavailable 10% (kube's default of 1 would roll
 * 5,000 nodes one at a time). The figures come from a watch on the
 * DaemonSet in this process.
 *
 * Usage: bench_daemonset [nodes] [maxUnavailable]
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/log.h"
#include "object/object.h"

#include "cluster_harness.c"

/* The DaemonSet's latest status, from the watch. */
static atomic_llong st_gen, st_observed, st_desired, st_updated, st_available;

static void take(const cplane_object *o) {
  int64_t v;

  atomic_store(&st_gen, (long long)cp_object_generation(o));
#define FIELD(var, path)                                                       \
  v = -1;                                                                      \
  cp_object_int(o, path, &v);                                                  \
  atomic_store(&var, (long long)v)
  FIELD(st_observed, "status.observedGeneration");
  FIELD(st_desired, "status.desiredNumberScheduled");
  FIELD(st_updated, "status.updatedNumberScheduled");
  FIELD(st_available, "status.numberAvailable");
#undef FIELD
}

static void ds_add(void *ud, const cplane_object *o, int initial) {
  (void)ud;
  (void)initial;
  take(o);
}

static void ds_update(void *ud, const cplane_object *o,
                      const cplane_object *n) {
  (void)ud;
  (void)o;
  take(n);
}

static const struct cp_informer_handler_ops ds_ops = {ds_add, ds_update, NULL};

static atomic_uint nodes_seen;

static void node_add(void *ud, const cplane_object *o, int initial) {
  (void)ud;
  (void)o;
  (void)initial;
  atomic_fetch_add(&nodes_seen, 1);
}

static const struct cp_informer_handler_ops node_ops = {node_add, NULL, NULL};

static const char *const plugins[] = {"scheduler", "nodesim", "daemonset",
                                      NULL};

/* Waits (at most `limit` s) for generation `gen` rolled out on n nodes. */
static int wait_rolled(unsigned n, long long gen, unsigned limit,
                       double *secs) {
  uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)limit * 1000000000u;
  long long last = -1;

  while (now_ns() < deadline) {
    long long upd = atomic_load(&st_updated);

    if (atomic_load(&st_gen) == gen && atomic_load(&st_observed) >= gen &&
        atomic_load(&st_desired) == n && upd == n &&
        atomic_load(&st_available) == n) {
      *secs = (now_ns() - t0) / 1e9;
      return 0;
    }
    if (upd / 1000 != last / 1000)
      printf("daemonset: %lld/%u updated, %lld available after %.0f s\n", upd,
             n, atomic_load(&st_available), (now_ns() - t0) / 1e9);
    last = upd;
    usleep(50000);
  }
  fprintf(stderr,
          "bench_daemonset: not rolled out after %u s: generation %lld "
          "observed %lld desired %lld updated %lld available %lld\n",
          limit, atomic_load(&st_gen), atomic_load(&st_observed),
          atomic_load(&st_desired), atomic_load(&st_updated),
          atomic_load(&st_available));
  return -1;
}

static int patch_image(struct harness *h) {
  static const char patch[] =
      "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":"
      "\"agent\",\"image\":\"agent:2\"}]}}}}";
  char *resp = NULL;
  size_t len = 0;
  int code = cp_client_request(
      h->client, "PATCH", "/apis/apps/v1/namespaces/default/daemonsets/agent",
      "application/merge-patch+json", patch, sizeof patch - 1, &resp, &len);

  if (code != 200)
    fprintf(stderr, "bench_daemonset: PATCH: %d %.*s\n", code,
            (int)(len > 300 ? 300 : len), resp ? resp : "");
  free(resp);
  return code == 200 ? 0 : -1;
}

int main(int argc, char **argv) {
  unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 5000;
  const char *max_unavailable = argc > 2 ? argv[2] : "10%";
  struct harness h;
  struct cp_reflector *rn = NULL, *rd = NULL;
  cp_informer *in = NULL, *id = NULL;
  char ini[512], body[1024];
  double t_create = 0, t_roll = 0;
  uint64_t deadline;
  int rc = 1;

  setvbuf(stdout, NULL, _IOLBF, 0);
  cp_log_set_level(CPLANE_LOG_WARN);
  if (harness_init(&h, plugins) != 0)
    return 1;
  snprintf(ini, sizeof ini,
           "[plugin.scheduler]\nenabled = true\nworkers = 64\n"
           "[plugin.nodesim]\nenabled = true\nworkers = 32\ncount = %u\n"
           "pod_start_delay = 0\n"
           "[plugin.daemonset]\nenabled = true\nworkers = 2\n",
           n);
  printf("daemonset: starting cplane with %u simulated nodes...\n", n);
  if (harness_start(&h, ini) != 0)
    goto out;
  rn = harness_watch(&h, "", "nodes", &node_ops, &in);
  rd = harness_watch(&h, "apps", "daemonsets", &ds_ops, &id);
  deadline = now_ns() + 300ull * 1000000000u;
  while (atomic_load(&nodes_seen) < n && now_ns() < deadline)
    usleep(50000);
  if (atomic_load(&nodes_seen) < n) {
    fprintf(stderr, "bench_daemonset: %u of %u nodes after 300 s\n",
            atomic_load(&nodes_seen), n);
    goto out;
  }
  snprintf(body, sizeof body,
           "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{"
           "\"name\":\"agent\",\"namespace\":\"default\"},\"spec\":{"
           "\"selector\":{\"matchLabels\":{\"app\":\"agent\"}},"
           "\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{"
           "\"maxUnavailable\":\"%s\"}},\"template\":{\"metadata\":{"
           "\"labels\":{\"app\":\"agent\"}},\"spec\":{\"containers\":[{"
           "\"name\":\"agent\",\"image\":\"agent:1\"}]}}}}",
           max_unavailable);
  if (harness_post(&h, "/apis/apps/v1/namespaces/default/daemonsets", body) !=
      201)
    goto out;
  if (wait_rolled(n, 1, 600, &t_create) != 0)
    goto out;
  printf("daemonset: created on %u nodes, all available, in %.1f s\n", n,
         t_create);
  if (patch_image(&h) != 0 || wait_rolled(n, 2, 900, &t_roll) != 0)
    goto out;
  printf("daemonset: rolled a new image over %u simulated nodes "
         "(maxUnavailable %s) in %.1f s (%.0f pods/s); cplane peak RSS "
         "%.0f MiB\n",
         n, max_unavailable, t_roll, n / t_roll,
         harness_peak_rss_kb(&h) / 1024.0);
  rc = 0;
out:
  cp_reflector_free(rd);
  cp_reflector_free(rn);
  cp_informer_free(id);
  cp_informer_free(in);
  harness_stop(&h, 0);
  return rc;
}
