/*
 * cluster_harness.c - runs the real `cplane` binary of this build as a
 * child for a benchmark: a temp dir with its own data and plugin
 * directories, an INI, the admin kubeconfig it writes, a client on it, a
 * watch into an informer, and the child's peak RSS. Include from one bench
 * source; it is not a library.
 */
#include <signal.h>
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

struct harness {
  char dir[64];     /* the temp dir; removed by harness_stop() */
  char bdir[512];   /* build/<variant> */
  pid_t pid;
  struct cp_kubeconfig kc;
  struct cp_client *client;
};

__attribute__((unused)) static uint64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* build/<variant>/bench/NAME -> build/<variant> */
static int harness_build_dir(char *buf, size_t len) {
  ssize_t n = readlink("/proc/self/exe", buf, len - 1);
  char *slash;
  int k;

  if (n <= 0)
    return -1;
  buf[n] = '\0';
  for (k = 0; k < 2; k++) {
    if ((slash = strrchr(buf, '/')) == NULL)
      return -1;
    *slash = '\0';
  }
  return 0;
}

/* Makes the temp dir, its data dir, and a plugin dir holding the named
 * plugins (NULL-terminated) of this build. */
static int harness_init(struct harness *h, const char *const *plugins) {
  char cmd[2048];
  size_t len;

  memset(h, 0, sizeof *h);
  h->pid = -1;
  snprintf(h->dir, sizeof h->dir, "/tmp/cp-bench-XXXXXX");
  if (mkdtemp(h->dir) == NULL || harness_build_dir(h->bdir, sizeof h->bdir))
    return -1;
  len = (size_t)snprintf(cmd, sizeof cmd, "mkdir -m 700 %s/data && mkdir -m "
                         "755 %s/plugins && install -m 0755",
                         h->dir, h->dir);
  for (; *plugins != NULL && len < sizeof cmd; plugins++)
    len += (size_t)snprintf(cmd + len, sizeof cmd - len, " %s/plugins/%s.so",
                            h->bdir, *plugins);
  if (len >= sizeof cmd - 80)
    return -1;
  snprintf(cmd + len, sizeof cmd - len, " %s/plugins/", h->dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* The path of a file in the temp dir. */
static const char *harness_path(const struct harness *h, const char *name,
                                char *buf, size_t len) {
  snprintf(buf, len, "%s/%s", h->dir, name);
  return buf;
}

/* Writes the INI: the common [host] and [apiserver] parts, then `extra`.
 * A cluster without the serviceaccount plugin runs without ServiceAccount
 * admission (its pods could never be admitted), as kube's own
 * integration tests run kube-apiserver. */
static int harness_write_ini(const struct harness *h, const char *extra) {
  /* BENCH_DISABLE_ADMISSION: admission plugins to turn off, to measure
   * what one costs (e.g. ServiceAccount with its serviceaccount plugin;
   * "" for none). */
  const char *off = getenv("BENCH_DISABLE_ADMISSION");
  char ini[128];
  FILE *f;

  harness_path(h, "c.ini", ini, sizeof ini);
  if ((f = fopen(ini, "w")) == NULL)
    return -1;
  if (off == NULL)
    off = strstr(extra, "[plugin.serviceaccount]") != NULL ? ""
                                                         : "ServiceAccount";
  fprintf(f,
          "[host]\ndata_dir = %s/data\nplugin_dir = %s/plugins\n"
          "listen = 127.0.0.1:0\nlog_level = info\n[apiserver]\nport = 0\n"
          "%s%s%s%s",
          h->dir, h->dir, off[0] ? "disable_admission_plugins = " : "", off,
          off[0] ? "\n" : "", extra);
  return fclose(f) == 0 ? 0 : -1;
}

/* Rewrites the INI and has cplane reload it (SIGHUP): plugins enabled in
 * `extra` start, others stop. */
__attribute__((unused)) static int harness_reload(struct harness *h,
                                                  const char *extra) {
  if (harness_write_ini(h, extra) != 0)
    return -1;
  return kill(h->pid, SIGHUP);
}

/* Starts cplane on the INI made from `extra` and connects a client with
 * the admin kubeconfig. */
static int harness_start(struct harness *h, const char *extra) {
  char ini[128], kc[128], log[128], bin[600], *err = NULL;
  struct cp_client_config cc = {0};
  int i;

  harness_path(h, "c.ini", ini, sizeof ini);
  harness_path(h, "data/admin.kubeconfig", kc, sizeof kc);
  harness_path(h, "log", log, sizeof log);
  snprintf(bin, sizeof bin, "%s/cplane", h->bdir);
  if (harness_write_ini(h, extra) != 0)
    return -1;
  if ((h->pid = fork()) == 0) {
    if (freopen(log, "w", stderr) == NULL || freopen(log, "a", stdout) == NULL)
      _exit(127);
    execl(bin, bin, "-c", ini, (char *)NULL);
    _exit(127);
  }
  if (h->pid < 0)
    return -1;
  for (i = 0; i < 600 && access(kc, R_OK) != 0; i++)
    usleep(50000);
  usleep(300000); /* the kubeconfig is written before the server listens */
  if (cp_kubeconfig_load(kc, NULL, &h->kc, &err) != 0)
    goto fail;
  cc.server = h->kc.server;
  cc.ca_file = h->kc.ca_file;
  cc.ca_pem = h->kc.ca_pem;
  cc.token = h->kc.token;
  cc.timeout_ms = 120000;
  if (cp_client_new(&cc, &h->client, &err) != 0)
    goto fail;
  return 0;
fail:
  fprintf(stderr, "bench: cannot reach cplane: %s (log: %s)\n",
          err ? err : "?", log);
  free(err);
  return -1;
}

/* A watch of group/version/resource into a new informer with one handler;
 * both are the caller's to free (reflector first). */
__attribute__((unused)) static struct cp_reflector *
harness_watch(struct harness *h, const char *group, const char *resource,
              const struct cp_informer_handler_ops *ops, cp_informer **inf) {
  struct cp_reflector *r;

  *inf = cp_informer_new(resource);
  cp_informer_add_handler(*inf, ops, NULL, 1 << 20, 0);
  cp_informer_start(*inf);
  r = cp_reflector_new(h->client, *inf, group, "v1",
                       resource, NULL, NULL);
  cp_reflector_start(r);
  return r;
}

/* The child's peak resident set (VmHWM), in KiB; 0 if unknown. */
__attribute__((unused)) static long harness_peak_rss_kb(const struct harness *h) {
  char path[64], line[256];
  long kb = 0;
  FILE *f;

  snprintf(path, sizeof path, "/proc/%d/status", (int)h->pid);
  if ((f = fopen(path, "r")) == NULL)
    return 0;
  while (fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
      break;
  fclose(f);
  return kb;
}

/* The child's CPU time so far (user + system, every thread), in seconds;
 * -1 if unknown. Wall-clock figures on a shared machine are noisy; this
 * one is what the control plane itself spent. */
__attribute__((unused)) static double harness_cpu_s(const struct harness *h) {
  char path[64], buf[1024], *p;
  unsigned long utime, stime;
  FILE *f;
  size_t n;

  snprintf(path, sizeof path, "/proc/%d/stat", (int)h->pid);
  if ((f = fopen(path, "r")) == NULL)
    return -1;
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  /* Fields 14 and 15, counted after the ")" that ends field 2. */
  if ((p = strrchr(buf, ')')) == NULL ||
      sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
             &utime, &stime) != 2)
    return -1;
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* The child's context switches so far, summed over its live threads
 * (voluntary: it slept, e.g. a dispatch thread waiting for a
 * notification; involuntary: preempted). The informer's dispatch cost is
 * mostly wakes, so this is its figure. 0 if unknown. */
__attribute__((unused)) static void harness_ctx_switches(
    const struct harness *h, unsigned long long *vol,
    unsigned long long *invol) {
  char cmd[160];
  FILE *p;

  *vol = *invol = 0;
  snprintf(cmd, sizeof cmd,
           "cat /proc/%d/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/"
           "{v+=$2} /^nonvoluntary_ctxt/{n+=$2} END{print v+0, n+0}'",
           (int)h->pid);
  if ((p = popen(cmd, "r")) == NULL)
    return;
  if (fscanf(p, "%llu %llu", vol, invol) != 2)
    *vol = *invol = 0;
  pclose(p);
}

/* POSTs a JSON body; returns the HTTP status (0: no answer). */
__attribute__((unused)) static int harness_post(struct harness *h,
                                                const char *path,
                                                const char *json) {
  char *resp = NULL;
  size_t len = 0;
  int code = cp_client_request(h->client, "POST", path, "application/json",
                               json, strlen(json), &resp, &len);

  if (code != 201 && code != 200 && code != 409)
    fprintf(stderr, "bench: POST %s: %d %.*s\n", path, code,
            (int)(len > 300 ? 300 : len), resp ? resp : "");
  free(resp);
  return code;
}

/* Lines of cplane's log containing `text` (a fixed string). */
__attribute__((unused)) static long harness_log_count(const struct harness *h,
                                                      const char *text) {
  char cmd[512];
  long n = -1;
  FILE *p;

  snprintf(cmd, sizeof cmd, "grep -cF -- '%s' %s/log", text, h->dir);
  if ((p = popen(cmd, "r")) == NULL)
    return -1;
  if (fscanf(p, "%ld", &n) != 1)
    n = -1;
  pclose(p);
  return n;
}

/* BENCH_METRICS=FILE: the API server's /metrics, saved before the stop
 * (requests by verb and resource: what a setting or plugin adds). */
static void harness_save_metrics(struct harness *h) {
  const char *path = getenv("BENCH_METRICS");
  char *resp = NULL;
  size_t len = 0;
  FILE *f;

  if (path == NULL || h->client == NULL ||
      cp_client_request(h->client, "GET", "/metrics", NULL, NULL, 0, &resp,
                        &len) != 200)
    goto out;
  if ((f = fopen(path, "w")) != NULL) {
    fwrite(resp, 1, len, f);
    fclose(f);
  }
out:
  free(resp);
}

static void harness_stop(struct harness *h, int keep) {
  char cmd[128];

  harness_save_metrics(h);
  cp_client_free(h->client);
  h->client = NULL;
  cp_kubeconfig_free(&h->kc);
  if (h->pid > 0) {
    kill(h->pid, SIGTERM);
    waitpid(h->pid, NULL, 0);
    h->pid = -1;
  }
  if (!keep && getenv("CPLANE_BENCH_KEEP") == NULL && h->dir[0] != '\0') {
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", h->dir);
    if (system(cmd) != 0)
      fprintf(stderr, "bench: cannot remove %s\n", h->dir);
  }
}
