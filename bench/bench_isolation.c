/*
 * bench_isolation - what `isolation = process` costs against the default
 * in-process plugin, on the real `cplane` binary with its embedded API
 * server (TLS, SQLite) and the `counter` fixture plugin watching pods:
 *
 *  - events/s delivered to the plugin: N pods created, then N updated
 *    (merge patches), by W client threads; the time from the first write
 *    until the plugin has logged all N (its own log line, through the
 *    child's pipe when isolated), and the lag after the last write was
 *    answered;
 *  - what an isolated plugin's start costs, from the log: the host's
 *    preparation (its describing process, then its ServiceAccount, RBAC
 *    objects and TokenRequest), then the child's own start until the
 *    plugin has started (exec, configuration, TLS, first LIST);
 *  - memory per cached pod: the resident set (VmRSS) of the host and of
 *    the isolated plugin's child, before the pods and with N pods cached.
 *    The `good` fixture watches pods in-process in both runs, as other
 *    plugins would: the host's pod cache exists either way (shared by
 *    every in-process plugin watching pods), so the isolated child's own
 *    cache is a second copy of every pod: what isolation costs.
 *
 * Figures are reported side by side with the isolated/in-process ratios.
 *
 * Usage: bench_isolation [pods] (default 10,000)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/log.h"

#include "cluster_harness.c"

#define DEFAULT_PODS 10000
#define WRITERS 8

struct figures {
  double add_s, update_s;       /* first write to the plugin's last event */
  double add_lag_ms, update_lag_ms; /* last answer to the last event */
  long host_kb0, host_kb, child_kb0, child_kb;
  size_t pod_bytes;
  /* An isolated start, ms (-1: not seen): the host's preparation, its
   * describing part and the child's own start. */
  long prep_ms, describe_ms, child_ms;
};

struct writer {
  struct harness *h;
  unsigned from, to, patch;
};

static const char pod_fmt[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
    "\"bench-%05u\",\"labels\":{\"app\":\"web\",\"tier\":\"frontend\","
    "\"pod-template-hash\":\"7c9d8f%05u\"},\"annotations\":{"
    "\"prometheus.io/scrape\":\"true\",\"prometheus.io/port\":\"9102\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":"
    "\"registry.example.com/team/web:1.%u.0\",\"ports\":[{\"containerPort\":"
    "8080,\"protocol\":\"TCP\"}],\"env\":[{\"name\":\"MODE\",\"value\":"
    "\"production\"},{\"name\":\"REGION\",\"value\":\"eu-west-1\"}],"
    "\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"},"
    "\"limits\":{\"cpu\":\"500m\",\"memory\":\"256Mi\"}},\"readinessProbe\":"
    "{\"httpGet\":{\"path\":\"/healthz\",\"port\":8080},"
    "\"periodSeconds\":10}}],\"restartPolicy\":\"Always\","
    "\"terminationGracePeriodSeconds\":30}}";

static void *write_pods(void *arg) {
  struct writer *w = arg;
  char body[2048], path[128];
  unsigned i;

  for (i = w->from; i < w->to; i++) {
    if (!w->patch) {
      snprintf(body, sizeof body, pod_fmt, i, i, i % 7);
      harness_post(w->h, "/api/v1/namespaces/default/pods", body);
      continue;
    }
    {
      char *resp = NULL;
      size_t len = 0;
      int code;

      snprintf(path, sizeof path,
               "/api/v1/namespaces/default/pods/bench-%05u", i);
      snprintf(body, sizeof body, "{\"metadata\":{\"labels\":{\"rev\":\"2\"}}}");
      code = cp_client_request(w->h->client, "PATCH", path,
                               "application/merge-patch+json", body,
                               strlen(body), &resp, &len);
      if (code != 200)
        fprintf(stderr, "bench: PATCH %s: %d\n", path, code);
      free(resp);
    }
  }
  return NULL;
}

/* W threads write pods [0, n); returns when every write was answered. */
static void write_all(struct harness *h, unsigned n, int patch) {
  pthread_t t[WRITERS];
  struct writer w[WRITERS];
  unsigned k;

  for (k = 0; k < WRITERS; k++) {
    w[k].h = h;
    w[k].from = n * k / WRITERS;
    w[k].to = n * (k + 1) / WRITERS;
    w[k].patch = (unsigned)patch;
    pthread_create(&t[k], NULL, write_pods, &w[k]);
  }
  for (k = 0; k < WRITERS; k++)
    pthread_join(t[k], NULL);
}

/* Waits (bounded) until the log has a line with `text`. */
static int wait_log(struct harness *h, const char *text, unsigned seconds) {
  unsigned i;

  for (i = 0; i < seconds * 100; i++) {
    if (harness_log_count(h, text) > 0)
      return 0;
    usleep(10000);
  }
  fprintf(stderr, "bench: no '%s' in %s/log after %u s\n", text, h->dir,
          seconds);
  return -1;
}

static long rss_kb(int pid) {
  char path[64], line[256];
  long kb = 0;
  FILE *f;

  if (pid <= 0)
    return 0;
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  if ((f = fopen(path, "r")) == NULL)
    return 0;
  while (fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
      break;
  fclose(f);
  return kb;
}

/* The isolated child's pid, from the supervisor's log line. */
static int child_pid(struct harness *h) {
  char cmd[256];
  int pid = 0;
  FILE *p;

  snprintf(cmd, sizeof cmd, "grep -o 'plugin counter started in its own "
                            "process: pid [0-9]*' %s/log | tail -1 | "
                            "grep -o '[0-9]*$'", h->dir);
  if ((p = popen(cmd, "r")) == NULL)
    return 0;
  if (fscanf(p, "%d", &pid) != 1)
    pid = 0;
  pclose(p);
  return pid;
}

/* Milliseconds of the day of a log line's timestamp at s
 * ("2026-12-07T11:07:48.923Z"); -1 when it is not one. */
static long log_ms(const char *s) {
  int y, mo, d, h, mi, sec, ms;

  if (sscanf(s, "%d-%d-%dT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &sec, &ms) !=
      7)
    return -1;
  return ((h * 60L + mi) * 60L + sec) * 1000L + ms;
}

/* The isolated counter's start, from the host's log. */
static void start_costs(struct harness *h, struct figures *f) {
  char path[128], line[1024];
  long spawned = -1, up = -1, ident = -1;
  const char *p;
  FILE *in;

  f->prep_ms = f->describe_ms = f->child_ms = -1;
  snprintf(path, sizeof path, "%s/log", h->dir);
  if ((in = fopen(path, "r")) == NULL)
    return;
  while (fgets(line, sizeof line, in) != NULL) {
    if ((p = strstr(line, "plugin counter: process start prepared in ")) &&
        sscanf(p, "plugin counter: process start prepared in %ld ms "
                  "(describing %ld ms, ServiceAccount, RBAC and token %ld",
               &f->prep_ms, &f->describe_ms, &ident) != 3)
      f->prep_ms = -1;
    if (strstr(line, "plugin counter started in its own process") != NULL)
      spawned = log_ms(line);
    if (strstr(line, "counter: started") != NULL &&
        (p = strstr(line, "| ")) != NULL)
      up = log_ms(p + 2);
  }
  fclose(in);
  if (spawned >= 0 && up >= spawned)
    f->child_ms = up - spawned;
}

static int run(const char *isolation, unsigned n, struct figures *f) {
  static const char *const plugins[] = {"../tests/plugins/counter",
                                        "../tests/plugins/good", NULL};
  struct harness h;
  char extra[256], text[64], body[2048];
  uint64_t t0, t1;
  int child = 0, rc = -1;

  memset(f, 0, sizeof *f);
  f->pod_bytes = (size_t)snprintf(body, sizeof body, pod_fmt, 0, 0, 0);
  if (harness_init(&h, plugins) != 0)
    return -1;
  /* good stays in-process in both runs and watches pods too: the host's
   * pod cache exists either way, so an isolated counter's is a second. */
  snprintf(extra, sizeof extra, "[plugin.good]\nenabled = true\n"
                                "[plugin.counter]\nenabled = true\n"
                                "isolation = %s\nevery = %u\n",
           isolation, n);
  if (harness_start(&h, extra) != 0 || wait_log(&h, "ready: ", 60) != 0 ||
      wait_log(&h, "counter: started", 60) != 0)
    goto out;
  if (strcmp(isolation, "process") == 0) {
    child = child_pid(&h);
    start_costs(&h, f);
  }
  sleep(1); /* settle */
  f->host_kb0 = rss_kb(h.pid);
  f->child_kb0 = rss_kb(child);

  t0 = now_ns();
  write_all(&h, n, 0);
  t1 = now_ns();
  snprintf(text, sizeof text, "plugin counter: adds %u", n);
  if (wait_log(&h, text, 300) != 0)
    goto out;
  f->add_s = (now_ns() - t0) / 1e9;
  f->add_lag_ms = (now_ns() - t1) / 1e6;

  t0 = now_ns();
  write_all(&h, n, 1);
  t1 = now_ns();
  snprintf(text, sizeof text, "plugin counter: updates %u", n);
  if (wait_log(&h, text, 300) != 0)
    goto out;
  f->update_s = (now_ns() - t0) / 1e9;
  f->update_lag_ms = (now_ns() - t1) / 1e6;
  sleep(1);
  f->host_kb = rss_kb(h.pid);
  f->child_kb = rss_kb(child);
  rc = 0;
out:
  harness_stop(&h, rc != 0);
  return rc;
}

static double per_pod(long kb1, long kb0, unsigned n) {
  return kb1 > kb0 ? (double)(kb1 - kb0) * 1024.0 / n : 0.0;
}

int main(int argc, char **argv) {
  unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : DEFAULT_PODS;
  struct figures in, iso;
  double in_pp, iso_pp, child_pp;

  if (n == 0)
    n = DEFAULT_PODS;
  cp_log_set_level(CPLANE_LOG_WARN);
  printf("isolation: %u pods by %d writers, counter plugin watching pods\n",
         n, WRITERS);
  fflush(stdout); /* before the harness forks */
  if (run("in-process", n, &in) != 0 || run("process", n, &iso) != 0) {
    fprintf(stderr, "bench_isolation: a run failed\n");
    return 1;
  }
  in_pp = per_pod(in.host_kb, in.host_kb0, n);
  iso_pp = per_pod(iso.host_kb + iso.child_kb, iso.host_kb0 + iso.child_kb0,
                   n);
  child_pp = per_pod(iso.child_kb, iso.child_kb0, n);
  printf("%-34s %14s %14s %8s\n", "", "in-process", "process", "ratio");
  printf("%-34s %14.0f %14.0f %8.2f\n", "adds delivered/s (create-bound)",
         n / in.add_s, n / iso.add_s, in.add_s / iso.add_s);
  printf("%-34s %14.0f %14.0f %8.2f\n", "updates delivered/s (patch-bound)",
         n / in.update_s, n / iso.update_s, in.update_s / iso.update_s);
  printf("%-34s %14.1f %14.1f %8s\n", "lag after last create, ms",
         in.add_lag_ms, iso.add_lag_ms, "");
  printf("%-34s %14.1f %14.1f %8s\n", "lag after last patch, ms",
         in.update_lag_ms, iso.update_lag_ms, "");
  printf("%-34s %14ld %14ld %8s\n", "host RSS before pods, KiB", in.host_kb0,
         iso.host_kb0, "");
  printf("%-34s %14s %14ld %8s\n", "child RSS before pods, KiB", "-",
         iso.child_kb0, "");
  printf("%-34s %14ld %14ld %8.2f\n", "host+child RSS with pods, KiB",
         in.host_kb, iso.host_kb + iso.child_kb,
         (double)(iso.host_kb + iso.child_kb) / (double)in.host_kb);
  printf("%-34s %14.0f %14.0f %8.2f\n", "RSS growth per pod, bytes", in_pp,
         iso_pp, in_pp > 0 ? iso_pp / in_pp : 0.0);
  printf("%-34s %14s %14.0f %8s\n", "of which the child's cache, bytes", "-",
         child_pp, "");
  printf("%-34s %14s %14ld %8s\n", "start: host prepares, ms", "-",
         iso.prep_ms, "");
  printf("%-34s %14s %14ld %8s\n", "  of which describing, ms", "-",
         iso.describe_ms, "");
  printf("%-34s %14s %14ld %8s\n", "start: child until started, ms", "-",
         iso.child_ms, "");
  printf("(pod JSON %zu bytes; the host's growth includes the API server's "
         "store and watch cache)\n", in.pod_bytes);
  return 0;
}
