/*
 * bench_scheduler - the scheduler plugin's throughput, as kube-scheduler's
 * scheduler_perf SchedulingBasic measures it: N nodes (default 5,000) and
 * P pending pods (default 10,000) in the store, then the real `cplane`
 * binary started on it (embedded API server over TLS, SQLite, the
 * scheduler plugin and nothing else). A reflector in this process watches
 * the pods and notes when each is first seen bound.
 *
 * Prints pods/s from the first bind to the last (the scheduling phase) and
 * from process start (cache sync included), next to kube-scheduler's CI
 * floor for the same case (680 pods/s on large machines).
 *
 * Usage: bench_scheduler [nodes] [pods] [scheduled_events (0|1, default 1)]
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

#include "client/client.h"
#include "client/kubeconfig.h"
#include "client/reflector.h"
#include "informer/informer.h"
#include "log/log.h"
#include "object/object.h"
#include "store/store.h"

#define KUBE_SCHEDULER_FLOOR 680.0

static atomic_uint bound;
static atomic_ullong first_bind_ns, last_bind_ns;

static uint64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

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

/* build/<variant>/bench/bench_scheduler -> build/<variant> */
static int build_dir(char *buf, size_t len) {
  ssize_t n = readlink("/proc/self/exe", buf, len - 1);
  char *slash;

  if (n <= 0)
    return -1;
  buf[n] = '\0';
  for (int k = 0; k < 2; k++) {
    if ((slash = strrchr(buf, '/')) == NULL)
      return -1;
    *slash = '\0';
  }
  return 0;
}

int main(int argc, char **argv) {
  char dir[] = "/tmp/cp-bench-sched-XXXXXX", bdir[512], path[1024],
       cmd[1200], *err = NULL;
  unsigned n_nodes = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 5000;
  unsigned n_pods = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 10000;
  int events = argc > 3 ? atoi(argv[3]) : 1;
  struct cp_kubeconfig kc;
  struct cp_client_config cc = {0};
  struct cp_client *client = NULL;
  struct cp_reflector *r = NULL;
  cp_informer *inf = NULL;
  uint64_t t0, deadline;
  pid_t pid = -1;
  FILE *f;
  int rc = 1, i;

  memset(&kc, 0, sizeof kc);
  setvbuf(stdout, NULL, _IOLBF, 0);
  cp_log_set_level(CPLANE_LOG_WARN);
  if (n_nodes == 0 || n_pods == 0 || mkdtemp(dir) == NULL ||
      build_dir(bdir, sizeof bdir) != 0)
    return 1;
  printf("scheduler: writing %u nodes and %u pending pods...\n", n_nodes,
         n_pods);
  snprintf(path, sizeof path, "%s/data", dir);
  mkdir(path, 0700);
  snprintf(path, sizeof path, "%s/data/cplane.db", dir);
  if (seed(path, n_nodes, n_pods) != 0)
    goto out;
  snprintf(cmd, sizeof cmd,
           "mkdir -m 755 %s/plugins && install -m 0755 %s/plugins/"
           "scheduler.so %s/plugins/",
           dir, bdir, dir);
  if (system(cmd) != 0)
    goto out;
  snprintf(path, sizeof path, "%s/c.ini", dir);
  if ((f = fopen(path, "w")) == NULL)
    goto out;
  fprintf(f,
          "[host]\ndata_dir = %s/data\nplugin_dir = %s/plugins\n"
          "listen = 127.0.0.1:0\nlog_level = warn\n[apiserver]\nport = 0\n"
          "[plugin.scheduler]\nenabled = true\nworkers = 32\n"
          "scheduled_events = %s\n",
          dir, dir, events ? "true" : "false");
  fclose(f);
  t0 = now_ns();
  if ((pid = fork()) == 0) {
    char bin[600], log[1100];

    snprintf(bin, sizeof bin, "%s/cplane", bdir);
    snprintf(log, sizeof log, "%s/log", dir);
    if (freopen(log, "w", stderr) == NULL || freopen(log, "a", stdout) == NULL)
      _exit(127);
    execl(bin, bin, "-c", path, (char *)NULL);
    _exit(127);
  }
  snprintf(path, sizeof path, "%s/data/admin.kubeconfig", dir);
  for (i = 0; i < 600 && access(path, R_OK) != 0; i++)
    usleep(50000);
  usleep(200000); /* the file is written whole, then the server listens */
  if (cp_kubeconfig_load(path, NULL, &kc, &err) != 0)
    goto out;
  cc.server = kc.server;
  cc.ca_file = kc.ca_file;
  cc.ca_pem = kc.ca_pem;
  cc.token = kc.token;
  cc.timeout_ms = 120000;
  if (cp_client_new(&cc, &client, &err) != 0)
    goto out;
  inf = cp_informer_new("pods");
  cp_informer_add_handler(inf, &ops, NULL, 1 << 20, 0);
  cp_informer_start(inf);
  r = cp_reflector_new(client, inf, "", "v1", "pods", NULL, NULL);
  cp_reflector_start(r);
  deadline = now_ns() + 600ull * 1000000000u;
  while (atomic_load(&bound) < n_pods && now_ns() < deadline) {
    static unsigned last;
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
           "last bind %.2f s = %.0f pods/s; from process start (cache sync "
           "included) %.2f s = %.0f pods/s; %.2fx kube-scheduler's CI floor "
           "of %.0f pods/s (goal 3000 pods/s)\n",
           n_pods, n_nodes, events ? "on" : "off", phase, rate, total,
           n_pods / total, rate / KUBE_SCHEDULER_FLOOR, KUBE_SCHEDULER_FLOOR);
  }
  rc = 0;
out:
  if (err != NULL)
    fprintf(stderr, "bench_scheduler: %s\n", err);
  free(err);
  cp_reflector_free(r);
  cp_informer_free(inf);
  cp_client_free(client);
  cp_kubeconfig_free(&kc);
  if (pid > 0) {
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
  }
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    rc = 1;
  return rc;
}
