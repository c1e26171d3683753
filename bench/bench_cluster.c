/*
 * bench_cluster - the whole control plane end to end, as the real `cplane`
 * binary with its default plugins (replicaset, deployment,
 * garbagecollector, namespace, scheduler, nodelifecycle, nodesim,
 * horizontalpodautoscaler; nodesim's nodes declare a usage model, which
 * the API server turns into metrics.k8s.io on read, unless
 * NODESIM_USAGE=false in the environment, to measure what that costs):
 *
 *  1. Scale: Deployments totalling R replicas (default 150,000: 50
 *     namespaces x 3,000, Kubernetes' pods-per-namespace limit) on N
 *     simulated nodes (default 5,000, Kubernetes' published limits): the
 *     time from the first Deployment to every pod Running, seen by a watch
 *     in this process, and cplane's peak RSS (VmHWM); then how long one
 *     PodMetrics and one NodeMetrics list of every namespace take
 *     (`kubectl top pods -A`, `kubectl top nodes`).
 *  2. Pod startup latency: 20 pods/s created (each deleted 10 s later: a
 *     steady churn of 20 creates/s, the SLO's "steady state"), latency from
 *     the create request to the watch seeing the pod Running, p50/p99/max.
 *     nodesim's pod_start_delay is 0 here, so this is the control plane's
 *     own latency (Kubernetes SLO p99 <= 5 s; goal <= 500 ms).
 *
 * Usage: bench_cluster [nodes] [replicas] [latency_seconds]
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

#define NAMESPACES 50
#define CHURN_PER_S 20
#define CHURN_LIFETIME_S 10

static atomic_uint nodes_seen, running;

static int is_running(const cplane_object *pod) {
  const char *phase = cp_object_string(pod, "status.phase");

  return phase != NULL && strcmp(phase, "Running") == 0;
}

/* ---- scale ---- */

static void node_add(void *ud, const cplane_object *o, int initial) {
  (void)ud;
  (void)o;
  (void)initial;
  atomic_fetch_add(&nodes_seen, 1);
}

static const struct cp_informer_handler_ops node_ops = {node_add, NULL, NULL};

static void pod_add(void *ud, const cplane_object *o, int initial) {
  (void)ud;
  (void)initial;
  if (is_running(o))
    atomic_fetch_add(&running, 1);
}

static void pod_update(void *ud, const cplane_object *o,
                       const cplane_object *n) {
  (void)ud;
  if (!is_running(o) && is_running(n))
    atomic_fetch_add(&running, 1);
  else if (is_running(o) && !is_running(n))
    atomic_fetch_sub(&running, 1);
}

static void pod_delete(void *ud, const cplane_object *o) {
  (void)ud;
  if (is_running(o))
    atomic_fetch_sub(&running, 1);
}

static const struct cp_informer_handler_ops pod_ops = {pod_add, pod_update,
                                                       pod_delete};

/* Every plugin config/cplane.ini enables (issue #15: the run with all of
 * them must stay within 10% of the run with the first seven). */
static const char *const all_plugins[] = {
    "replicaset",       "deployment",      "garbagecollector",
    "namespace",        "scheduler",       "nodelifecycle",
    "nodesim",          "horizontalpodautoscaler", "daemonset",
    "statefulset",      "job",             "cronjob",
    "ttlafterfinished", "podgc",           "serviceaccount",
    "rootcacertpublisher", "persistentvolume", "endpointslice",
    "endpoints",        "disruption",      "replicationcontroller",
    "resourcequota",    NULL};

/* The default config's plugin sections, with nodesim's size. */
static void plugins_ini(char *buf, size_t len, unsigned nodes,
                        const char *start_delay) {
  snprintf(buf, len,
           "[plugin.replicaset]\nenabled = true\nworkers = 8\n"
           "[plugin.deployment]\nenabled = true\nworkers = 4\n"
           "[plugin.garbagecollector]\nenabled = true\nworkers = 2\n"
           "[plugin.namespace]\nenabled = true\nworkers = 2\n"
           "[plugin.scheduler]\nenabled = true\nworkers = 64\n"
           "[plugin.nodelifecycle]\nenabled = true\nworkers = 2\n"
           "[plugin.nodesim]\nenabled = true\nworkers = 32\ncount = %u\n"
           "pod_start_delay = %s\nusage = %s\n"
           "[plugin.horizontalpodautoscaler]\nenabled = true\nworkers = 2\n"
           "%s",
           nodes, start_delay,
           getenv("NODESIM_USAGE") != NULL ? getenv("NODESIM_USAGE")
                                           : "true",
           /* BENCH_ONLY_SEVEN=1: the run before #15's plugins, to compare */
           getenv("BENCH_ONLY_SEVEN") != NULL
               ? ""
               : "[plugin.daemonset]\nenabled = true\n"
                 "[plugin.statefulset]\nenabled = true\n"
                 "[plugin.job]\nenabled = true\n"
                 "[plugin.cronjob]\nenabled = true\n"
                 "[plugin.ttlafterfinished]\nenabled = true\n"
                 "[plugin.podgc]\nenabled = true\n"
                 "[plugin.serviceaccount]\nenabled = true\n"
                 "[plugin.rootcacertpublisher]\nenabled = true\n"
                 "[plugin.persistentvolume]\nenabled = true\n"
                 "[plugin.endpointslice]\nenabled = true\n"
                 "[plugin.endpoints]\nenabled = true\n"
                 "[plugin.disruption]\nenabled = true\n"
                 "[plugin.replicationcontroller]\nenabled = true\n"
                 "[plugin.resourcequota]\nenabled = true\n");
}

static int create_deployments(struct harness *h, unsigned replicas) {
  char path[128], body[1024];
  unsigned i, per = replicas / NAMESPACES, extra = replicas % NAMESPACES;

  for (i = 0; i < NAMESPACES; i++) {
    snprintf(body, sizeof body,
             "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{"
             "\"name\":\"load-%02u\"}}",
             i);
    if (harness_post(h, "/api/v1/namespaces", body) / 100 != 2)
      return -1;
  }
  for (i = 0; i < NAMESPACES; i++) {
    snprintf(path, sizeof path,
             "/apis/apps/v1/namespaces/load-%02u/deployments", i);
    snprintf(body, sizeof body,
             "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
             "\"metadata\":{\"name\":\"app\"},\"spec\":{\"replicas\":%u,"
             "\"selector\":{\"matchLabels\":{\"app\":\"load\"}},\"template\":"
             "{\"metadata\":{\"labels\":{\"app\":\"load\"}},\"spec\":{"
             "\"containers\":[{\"name\":\"c\",\"image\":\"registry.k8s.io/"
             "pause:3.10\",\"resources\":{\"requests\":{\"cpu\":\"10m\","
             "\"memory\":\"16Mi\"}}}]}}}}",
             per + (i < extra ? 1 : 0));
    if (harness_post(h, path, body) / 100 != 2)
      return -1;
  }
  return 0;
}

/* One list of metrics.k8s.io `resource` across namespaces, as `kubectl
 * top` asks for it: its time and how many items (of `kind`) it held. */
static void time_metrics_list(struct harness *h, const char *resource,
                              const char *kind, const char *command) {
  char path[96], needle[64], *resp = NULL;
  const char *p;
  size_t len = 0;
  unsigned n = 0;
  uint64_t t = now_ns();
  int code;

  snprintf(path, sizeof path, "/apis/metrics.k8s.io/v1beta1/%s", resource);
  snprintf(needle, sizeof needle, "\"kind\":\"%s\"", kind);
  code = cp_client_request(h->client, "GET", path, NULL, NULL, 0, &resp, &len);
  t = now_ns() - t;
  for (p = resp; p != NULL && (p = strstr(p, needle)) != NULL; p++)
    n++;
  printf("cluster: %s list (%s): %u items, %.0f ms, %.1f MiB (HTTP %d)\n",
         kind, command, n, t / 1e6, len / 1048576.0, code);
  free(resp);
}

static int scale_phase(unsigned n_nodes, unsigned replicas) {
  struct harness h;
  struct cp_reflector *rn = NULL, *rp = NULL;
  cp_informer *in = NULL, *ip = NULL;
  char ini[4096];
  uint64_t t0, t_nodes, deadline;
  double cpu_nodes;
  unsigned last = 0;
  int rc = -1;

  if (harness_init(&h, all_plugins) != 0)
    return -1;
  plugins_ini(ini, sizeof ini, n_nodes, "200ms");
  printf("cluster: starting cplane with %u simulated nodes...\n", n_nodes);
  t0 = now_ns();
  if (harness_start(&h, ini) != 0)
    goto out;
  rn = harness_watch(&h, "", "nodes", &node_ops, &in);
  rp = harness_watch(&h, "", "pods", &pod_ops, &ip);
  deadline = now_ns() + 300ull * 1000000000u;
  while (atomic_load(&nodes_seen) < n_nodes && now_ns() < deadline)
    usleep(50000);
  if (atomic_load(&nodes_seen) < n_nodes) {
    fprintf(stderr, "bench_cluster: %u of %u nodes after 300 s\n",
            atomic_load(&nodes_seen), n_nodes);
    goto out;
  }
  t_nodes = now_ns();
  cpu_nodes = harness_cpu_s(&h);
  printf("cluster: %u nodes registered in %.1f s (cplane CPU %.1f s); "
         "creating %u Deployments "
         "totalling %u replicas...\n",
         n_nodes, (t_nodes - t0) / 1e9, cpu_nodes, NAMESPACES, replicas);
  if (create_deployments(&h, replicas) != 0)
    goto out;
  deadline = now_ns() + 900ull * 1000000000u;
  while (atomic_load(&running) < replicas && now_ns() < deadline) {
    unsigned r = atomic_load(&running);

    if (r / 10000 != last / 10000)
      printf("cluster: %u/%u Running after %.0f s, cplane CPU %.1f s, "
             "RSS peak %.0f MiB\n",
             r, replicas, (now_ns() - t_nodes) / 1e9,
             harness_cpu_s(&h) - cpu_nodes, harness_peak_rss_kb(&h) / 1024.0);
    last = r;
    usleep(100000);
  }
  {
    double secs = (now_ns() - t_nodes) / 1e9;
    unsigned r = atomic_load(&running);

    long dead = harness_log_count(&h, "is unreachable");
    unsigned long long vol, invol;

    printf("cluster: %u of %u replicas Running on %u simulated nodes %.1f s "
           "after the Deployments were created (%.0f pods/s), cplane CPU "
           "%.1f s; cplane peak "
           "RSS %.2f GiB (goal: all within 300 s, <= 4 GiB); nodes wrongly "
           "marked unreachable: %ld\n",
           r, replicas, n_nodes, secs, r / secs, harness_cpu_s(&h) - cpu_nodes,
           harness_peak_rss_kb(&h) / 1048576.0, dead);
    harness_ctx_switches(&h, &vol, &invol);
    printf("cluster: cplane context switches (live threads, since start): "
           "%llu voluntary, %llu involuntary\n", vol, invol);
    rc = r >= replicas && dead == 0 ? 0 : -1;
  }
  /* A pod is reported once it has run one usage_interval (15 s). */
  if (getenv("NODESIM_USAGE") == NULL ||
      strcmp(getenv("NODESIM_USAGE"), "false") != 0)
    sleep(16);
  time_metrics_list(&h, "pods", "PodMetrics", "kubectl top pods -A");
  time_metrics_list(&h, "nodes", "NodeMetrics", "kubectl top nodes");
out:
  cp_reflector_free(rp);
  cp_reflector_free(rn);
  cp_informer_free(ip);
  cp_informer_free(in);
  harness_stop(&h, 0);
  return rc;
}

/* ---- startup latency ---- */

static uint64_t *sent_ns;  /* per pod number: when its create was sent */
static uint64_t *lat_ns;   /* per pod number: latency, 0 until Running */
static unsigned n_lat_pods;

static void seen_running(const cplane_object *o) {
  const char *name = cp_object_name(o);
  unsigned i;

  if (!is_running(o) || name == NULL || sscanf(name, "lat-%u", &i) != 1 ||
      i >= n_lat_pods || sent_ns[i] == 0 || lat_ns[i] != 0)
    return;
  lat_ns[i] = now_ns() - sent_ns[i];
}

static void lat_add(void *ud, const cplane_object *o, int initial) {
  (void)ud;
  (void)initial;
  seen_running(o);
}

static void lat_update(void *ud, const cplane_object *o,
                       const cplane_object *n) {
  (void)ud;
  (void)o;
  seen_running(n);
}

static const struct cp_informer_handler_ops lat_ops = {lat_add, lat_update,
                                                       NULL};

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

  return x < y ? -1 : x > y;
}

static int latency_phase(unsigned seconds) {
  static const char pod_fmt[] =
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
      "\"lat-%05u\",\"labels\":{\"app\":\"lat\"}},\"spec\":{\"containers\":"
      "[{\"name\":\"c\",\"image\":\"registry.k8s.io/pause:3.10\"}]}}";
  struct harness h;
  struct cp_reflector *r = NULL;
  cp_informer *inf = NULL;
  char ini[4096], body[512], path[128];
  uint64_t start, *ok = NULL;
  unsigned i, n_ok = 0, deleted = 0;
  int rc = -1;

  n_lat_pods = seconds * CHURN_PER_S;
  sent_ns = calloc(n_lat_pods, sizeof *sent_ns);
  lat_ns = calloc(n_lat_pods, sizeof *lat_ns);
  ok = calloc(n_lat_pods, sizeof *ok);
  if (sent_ns == NULL || lat_ns == NULL || ok == NULL ||
      harness_init(&h, all_plugins) != 0)
    goto out;
  plugins_ini(ini, sizeof ini, 100, "0");
  if (harness_start(&h, ini) != 0)
    goto out;
  r = harness_watch(&h, "", "pods", &lat_ops, &inf);
  while (!cp_informer_has_synced(inf))
    usleep(10000);
  sleep(3); /* the simulated nodes register */
  printf("cluster: pod startup latency at %d pods/s for %u s...\n",
         CHURN_PER_S, seconds);
  start = now_ns();
  for (i = 0; i < n_lat_pods; i++) {
    uint64_t due = start + (uint64_t)i * (1000000000u / CHURN_PER_S), t;

    while ((t = now_ns()) < due)
      usleep((useconds_t)((due - t) / 1000));
    snprintf(body, sizeof body, pod_fmt, i);
    sent_ns[i] = now_ns();
    harness_post(&h, "/api/v1/namespaces/default/pods", body);
    /* Steady state: each pod lives CHURN_LIFETIME_S. */
    while (deleted < i &&
           sent_ns[deleted] + CHURN_LIFETIME_S * 1000000000ull < now_ns()) {
      char *resp = NULL;
      size_t len;

      snprintf(path, sizeof path, "/api/v1/namespaces/default/pods/lat-%05u",
               deleted++);
      cp_client_request(h.client, "DELETE", path, NULL, NULL, 0, &resp, &len);
      free(resp);
    }
  }
  sleep(2); /* the last ones */
  for (i = 0; i < n_lat_pods; i++)
    if (lat_ns[i] != 0)
      ok[n_ok++] = lat_ns[i];
  if (n_ok == 0)
    goto out;
  qsort(ok, n_ok, sizeof *ok, cmp_u64);
  printf("cluster: pod startup latency (create sent -> Running seen by "
         "watch), %u pods at %d/s churn: p50 %.1f ms, p99 %.1f ms, max %.1f "
         "ms; %u never Running (Kubernetes SLO p99 <= 5000 ms; goal <= 500 "
         "ms)\n",
         n_lat_pods, CHURN_PER_S, ok[n_ok / 2] / 1e6,
         ok[(size_t)(n_ok * 0.99)] / 1e6, ok[n_ok - 1] / 1e6,
         n_lat_pods - n_ok);
  rc = n_ok == n_lat_pods ? 0 : -1;
out:
  cp_reflector_free(r);
  cp_informer_free(inf);
  harness_stop(&h, 0);
  free(sent_ns);
  free(lat_ns);
  free(ok);
  return rc;
}

int main(int argc, char **argv) {
  unsigned n_nodes = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 5000;
  unsigned replicas =
      argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 150000;
  unsigned seconds = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 60;
  int rc = 0;

  setvbuf(stdout, NULL, _IOLBF, 0);
  cp_log_set_level(CPLANE_LOG_WARN);
  if (seconds > 0 && latency_phase(seconds) != 0)
    rc = 1;
  if (n_nodes > 0 && replicas > 0 && scale_phase(n_nodes, replicas) != 0)
    rc = 1;
  return rc;
}
