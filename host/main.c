/*
 * cplane - the control plane daemon.
 *
 * This file only parses the command line, reads the INI file and wires the
 * subsystems together; each concept lives in its own module under host/.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "admin/pidfile.h"
#include "admin/plugins_cmd.h"
#include "apiserver/embedded.h"
#include "client/client.h"
#include "client/kubeconfig.h"
#include "health/health.h"
#include "health/prom_merge.h"
#include "leader/leader.h"
#include "config/config.h"
#include "log/log.h"
#include "plugin/config_keys.h"
#include "plugin/confine.h"
#include "plugin/crash.h"
#include "plugin/identity.h"
#include "plugin/isolated.h"
#include "plugin/isolated_describe.h"
#include "plugin/isolated_identity.h"
#include "plugin/registry.h"
#include "plugin/sandbox.h"
#include "plugin/summary.h"
#include "plugin/isolated_metrics.h"
#include "plugin/supervisor.h"
#include "plugin/upgrade.h"
#include "plugin/watchdog.h"

#define CPLANE_VERSION "0.1.0"

struct options {
  const char *config_path;
  const char *check_path;
  const char *plugin_dir;
  const char *data_dir;
  const char *log_level;
  int strict;
  /* Host-only mode, as a supervised child runs (plugin/isolated.h). */
  const char *only_plugin;
  const char *kubeconfig;
  int describe; /* --describe-plugin (plugin/isolated_describe.h) */
};

static void usage(FILE *out) {
  fprintf(out,
          "usage: cplane [options]\n"
          "       cplane plugins reload [-c FILE] [-d DIR] (as SIGHUP)\n"
          "  -c, --config FILE        INI file (default config/cplane.ini)\n"
          "      --check-config FILE  validate FILE and the enabled plugins' keys,\n"
          "                           exit (0 when valid)\n"
          "  -p, --plugin-dir DIR     override [host] plugin_dir\n"
          "  -d, --data-dir DIR       override [host] data_dir\n"
          "  -l, --log-level LEVEL    error, warn, info or debug\n"
          "      --strict             any plugin refusal is fatal\n"
          "      --only-plugin NAME   run plugin NAME alone, no API server\n"
          "                           (what isolation = process runs)\n"
          "      --kubeconfig FILE    the API server to use (overrides\n"
          "                           [host] api_server and kubeconfig)\n"
          "      --describe-plugin    with --only-plugin: print what its\n"
          "                           descriptor declares as JSON, exit\n"
          "  -V, --version            print the version and ABI, exit\n"
          "  -h, --help               this text\n");
}

static int parse_args(int argc, char **argv, struct options *o) {
  static const struct option longopts[] = {
      {"config", required_argument, NULL, 'c'},
      {"check-config", required_argument, NULL, 'C'},
      {"plugin-dir", required_argument, NULL, 'p'},
      {"data-dir", required_argument, NULL, 'd'},
      {"log-level", required_argument, NULL, 'l'},
      {"strict", no_argument, NULL, 'S'},
      {"only-plugin", required_argument, NULL, 'O'},
      {"kubeconfig", required_argument, NULL, 'K'},
      {"describe-plugin", no_argument, NULL, 'D'},
      {"version", no_argument, NULL, 'V'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int c;

  memset(o, 0, sizeof *o);
  o->config_path = "config/cplane.ini";
  while ((c = getopt_long(argc, argv, "c:p:d:l:Vh", longopts, NULL)) != -1) {
    switch (c) {
    case 'c': o->config_path = optarg; break;
    case 'C': o->check_path = optarg; break;
    case 'p': o->plugin_dir = optarg; break;
    case 'd': o->data_dir = optarg; break;
    case 'l': o->log_level = optarg; break;
    case 'S': o->strict = 1; break;
    case 'O': o->only_plugin = optarg; break;
    case 'K': o->kubeconfig = optarg; break;
    case 'D': o->describe = 1; break;
    case 'V':
      printf("cplane %s (plugin ABI %d.%d)\n", CPLANE_VERSION,
             CPLANE_ABI_MAJOR, CPLANE_ABI_MINOR);
      exit(0);
    case 'h': usage(stdout); exit(0);
    default: usage(stderr); return -1;
    }
  }
  if (optind != argc) {
    fprintf(stderr, "cplane: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return -1;
  }
  return 0;
}

static char *default_plugin_dir(void);

static int check_config(const struct options *o) {
  struct cp_config *cfg = NULL;
  char *err = NULL, *dir = NULL;
  size_t i, enabled = 0;
  int rc = 1, unknown;

  if (cp_config_load(o->check_path, &cfg, &err) < 0) {
    fprintf(stderr, "%s\n", err != NULL ? err : "out of memory");
    goto out;
  }
  dir = o->plugin_dir   ? strdup(o->plugin_dir)
        : cfg->plugin_dir ? strdup(cfg->plugin_dir)
                          : default_plugin_dir();
  if (dir == NULL) {
    fprintf(stderr, "cplane: out of memory\n");
    goto out;
  }
  cp_log_set_level(CPLANE_LOG_ERROR); /* the loader's INFO lines */
  if ((unknown = cp_config_keys_check_all(cfg, dir, stderr)) != 0) {
    if (unknown < 0)
      fprintf(stderr, "cplane: out of memory\n");
    goto out;
  }
  for (i = 0; i < cfg->n_plugins; i++)
    enabled += cfg->plugins[i].enabled != 0;
  printf("%s: ok (%zu plugin section(s), %zu enabled)\n", o->check_path,
         cfg->n_plugins, enabled);
  rc = 0;
out:
  free(err);
  free(dir);
  cp_config_free(cfg);
  return rc;
}

/* Without plugin_dir anywhere, look beside the binary: build trees put
 * plugins in <bin dir>/plugins, installs in <prefix>/lib/cplane/plugins. */
static char *default_plugin_dir(void) {
  char exe[PATH_MAX], *slash, *dir = NULL;
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

  if (n <= 0)
    return strdup("plugins");
  exe[n] = '\0';
  slash = strrchr(exe, '/');
  if (slash != NULL)
    *slash = '\0';
  if (asprintf(&dir, "%s/plugins", exe) < 0)
    return NULL;
  if (access(dir, F_OK) == 0)
    return dir;
  free(dir);
  if (asprintf(&dir, "%s/../lib/cplane/plugins", exe) < 0)
    return NULL;
  return dir;
}

/* What the main thread waits for: the signals it handles, through a
 * signalfd, and the leader elector's news, through a pipe only this
 * process holds. Leadership changes only through the pipe: a SIGUSR1 or
 * SIGUSR2 sent from outside is logged and ignored, so that nobody can
 * start a standby's workers without the lease. */
struct host_events {
  int sigfd;
  int leader_rd, leader_wr;
};

enum host_event {
  EV_ERROR = -1,
  EV_STOP,    /* SIGTERM or SIGINT; *sig says which */
  EV_RELOAD,  /* SIGHUP */
  EV_LEADING, /* this host now holds the lease: start the workers */
  EV_LOST,    /* the lease is lost: stop at once */
  EV_TICK,    /* the wait's timeout passed */
};

#define LEADER_STARTED 'L'
#define LEADER_STOPPED 'X'
#define EV_IGNORED (-2)

/* The elector's callbacks (its thread): one byte each, read in order. A
 * one-byte write to a pipe is atomic and the pipe never holds more than a
 * few, so this does not block. */
static void leader_notify(struct host_events *ev, char what) {
  ssize_t n;

  do
    n = write(ev->leader_wr, &what, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1)
    cp_log_error("cplane", "cannot tell the main thread about leadership: "
                           "%s", strerror(errno));
}

static void on_started_leading(void *ud) { leader_notify(ud, LEADER_STARTED); }

static void on_stopped_leading(void *ud) { leader_notify(ud, LEADER_STOPPED); }

static void handled_signals(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGHUP);
  /* Still blocked and read (their default action would kill the
   * process), but they mean nothing any more. */
  sigaddset(set, SIGUSR1);
  sigaddset(set, SIGUSR2);
}

static int host_events_open(struct host_events *ev) {
  sigset_t set;
  int fds[2];

  handled_signals(&set);
  ev->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (ev->sigfd < 0 || pipe2(fds, O_CLOEXEC) < 0)
    return -1;
  ev->leader_rd = fds[0];
  ev->leader_wr = fds[1];
  return 0;
}

static void host_events_close(struct host_events *ev) {
  if (ev->sigfd >= 0)
    close(ev->sigfd);
  if (ev->leader_rd >= 0)
    close(ev->leader_rd);
  if (ev->leader_wr >= 0)
    close(ev->leader_wr);
}

/* One signal from the signalfd: an event, or EV_IGNORED. */
static int read_signal(struct host_events *ev, int *sig) {
  struct signalfd_siginfo si;
  ssize_t n = read(ev->sigfd, &si, sizeof si);

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return EV_IGNORED;
  if (n != (ssize_t)sizeof si)
    return EV_ERROR;
  *sig = (int)si.ssi_signo;
  if (*sig == SIGINT || *sig == SIGTERM)
    return EV_STOP;
  if (*sig == SIGHUP)
    return EV_RELOAD;
  cp_log_warn("cplane", "ignoring %s from pid %u (uid %u): leadership "
                        "changes only through the lease",
              *sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2", si.ssi_pid,
              si.ssi_uid);
  return EV_IGNORED;
}

/* Waits for the next event, or timeout_ms (-1: no timeout) for EV_TICK.
 * The elector's news is read first when both are ready: a lost lease must
 * not wait behind a reload. */
static int wait_event(struct host_events *ev, int *sig, int timeout_ms) {
  struct pollfd pfd[2] = {{ev->leader_rd, POLLIN, 0},
                          {ev->sigfd, POLLIN, 0}};
  char what;
  int r, n;

  for (;;) {
    if ((n = poll(pfd, 2, timeout_ms)) < 0) {
      if (errno == EINTR)
        continue;
      return EV_ERROR;
    }
    if (n == 0)
      return EV_TICK;
    if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (read(ev->leader_rd, &what, 1) != 1)
        return EV_ERROR;
      return what == LEADER_STARTED ? EV_LEADING : EV_LOST;
    }
    if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      r = read_signal(ev, sig);
      if (r != EV_IGNORED)
        return r;
    }
  }
}

/* What the health endpoint reports on (its thread reads it). */
struct host_health {
  struct cp_registry *reg;
  struct cp_embedded *api;
  struct cp_supervisor *sup; /* isolated plugins; NULL in a child */
};

/* With the embedded API server the store is part of this process, so its
 * health belongs in the host's /readyz too: a host whose API server answers
 * every write with 503 is not ready. */
static int store_ready(struct cp_embedded *api, FILE *out) {
  char *why = NULL;
  int rc = cp_store_check(api->store, &why);

  if (rc == CPLANE_OK)
    fputs("[+]store ok\n", out);
  else
    fprintf(out, "[-]store failed: %s\n", why ? why : cp_store_strerror(rc));
  free(why);
  return rc == CPLANE_OK;
}

static int health_ready(void *ud, FILE *out) {
  struct host_health *h = ud;
  int ok = cp_registry_ready(h->reg, out);

  if (h->api->server != NULL)
    ok &= store_ready(h->api, out);
  if (h->sup != NULL)
    ok &= cp_supervisor_ready(h->sup, out);
  return ok;
}

/* The host's own text, then each isolated plugin's from its child,
 * merged family by family (prom_merge.h). */
#define ISOLATED_SCRAPE_MS 1000
#define ISOLATED_MAX 64
static int health_metrics(void *ud, FILE *out) {
  struct host_health *h = ud;
  struct cp_supervisor_target t[ISOLATED_MAX];
  char *src[1 + ISOLATED_MAX] = {NULL};
  size_t i, n = 0, len = 0;
  FILE *own;
  int rc = -1;

  if (h->sup != NULL)
    n = cp_supervisor_metrics_targets(h->sup, t, ISOLATED_MAX);
  if (n == 0) {
    rc = cp_registry_metrics_write(h->reg, out);
    if (h->sup != NULL && cp_supervisor_metrics_write(h->sup, out) < 0)
      rc = -1;
    return rc;
  }
  own = open_memstream(&src[0], &len);
  if (own == NULL)
    return -1;
  rc = cp_registry_metrics_write(h->reg, own);
  if (cp_supervisor_metrics_write(h->sup, own) < 0)
    rc = -1;
  if (fclose(own) != 0)
    rc = -1;
  for (i = 0; i < n; i++)
    src[1 + i] =
        cp_isolated_metrics_fetch(t[i].addr, t[i].name, ISOLATED_SCRAPE_MS);
  if (rc == 0)
    rc = cp_prom_merge((const char *const *)src, 1 + n, out);
  for (i = 0; i < 1 + n; i++)
    free(src[i]);
  return rc;
}

/* The watchdog's view of the registry. Cleared (under mu) before the
 * registry is freed; tick and expiry only look while it is set. */
struct host_watch {
  pthread_mutex_t mu;
  struct cp_registry *reg;
  uint64_t shutdown_timeout_ms;
};

static void watch_tick(void *ud) {
  struct host_watch *w = ud;

  pthread_mutex_lock(&w->mu);
  if (w->reg != NULL)
    cp_registry_watch(w->reg);
  pthread_mutex_unlock(&w->mu);
}

/* The bounded stop ran out of time: name what is abandoned and end the
 * process now. No fini, no lease hand-back: a plugin thread may still run,
 * so a standby must wait for the lease to expire rather than run workers
 * beside it. _exit, not exit: atexit handlers and destructors would race
 * the abandoned threads. */
static void watch_expired(void *ud) {
  struct host_watch *w = ud;
  size_t n = 0;

  pthread_mutex_lock(&w->mu);
  if (w->reg != NULL)
    n = cp_registry_log_running(w->reg);
  pthread_mutex_unlock(&w->mu);
  cp_log_error("cplane", "stop did not finish within shutdown_timeout "
                         "(%.1f s): abandoning %zu plugin call(s) still "
                         "running; exiting with status 1",
               w->shutdown_timeout_ms / 1e3, n);
  _exit(1);
}

/* api_server is not "embedded": plugins watch the cluster the [host]
 * kubeconfig names (api_server, when a URL, overrides its server). */
/* The line tests and operators wait for. Plugins waiting for a resource
 * that is not served are loaded but not running: counted apart. */
static void log_ready(struct cp_registry *reg, int leader_elect) {
  size_t waiting = cp_registry_waiting(reg);
  char wait[64] = "";

  if (waiting > 0)
    snprintf(wait, sizeof wait, ", %zu waiting for a resource", waiting);
  cp_log_info("cplane", "ready: %zu plugin(s) %s%s, %zu refused; SIGTERM or "
                        "SIGINT stops, SIGHUP reloads",
              reg->n_plugins - waiting,
              leader_elect ? "loaded, workers start when leading" : "running",
              wait, reg->refused);
}

/* issuer NULL: no plugin credential to issue (an isolated plugin's
 * child, whose kubeconfig is already its plugin's own). */
static int connect_external(const struct cp_config *cfg,
                            struct cp_client **client,
                            struct cp_identity_issuer *issuer, char **err) {
  struct cp_kubeconfig kc;
  struct cp_client_config cc;
  int rc;

  if (cfg->kubeconfig == NULL) {
    if (asprintf(err, "api_server = %s needs [host] kubeconfig",
                 cfg->api_server) < 0)
      *err = NULL;
    return -1;
  }
  if (cp_kubeconfig_load(cfg->kubeconfig, NULL, &kc, err) < 0)
    return -1;
  memset(&cc, 0, sizeof cc);
  cc.server = strstr(cfg->api_server, "://") ? cfg->api_server : kc.server;
  cc.ca_file = kc.ca_file;
  cc.ca_pem = kc.ca_pem;
  cp_host_api_set_ca_file(kc.ca_file);
  cc.token = kc.token;
  cc.token_file = kc.token_file;
  cc.cert_file = kc.cert_file;
  cc.cert_pem = kc.cert_pem;
  cc.key_file = kc.key_file;
  cc.key_pem = kc.key_pem;
  cc.insecure = kc.insecure;
  if (kc.insecure)
    cp_log_warn("cplane", "kubeconfig %s skips TLS verification of %s",
                cfg->kubeconfig, cc.server);
  rc = cp_client_new(&cc, client, err);
  if (rc == 0)
    cp_log_info("cplane", "plugins watch the API server at %s (kubeconfig "
                          "%s, context %s)",
                cc.server, cfg->kubeconfig, kc.context);
  /* No CA key here: plugins get ServiceAccount tokens from this server
   * (plugin/identity.h). */
  if (rc == 0 && issuer != NULL && cfg->plugin_credentials_own &&
      cp_identity_issuer_init_remote(issuer, &cc, *client) < 0) {
    *err = NULL;
    rc = -1;
  }
  cp_kubeconfig_free(&kc);
  return rc;
}

/* Host-only mode (a supervised child, plugin/isolated.h): the one plugin,
 * in this process, no election (the parent runs children only while it
 * leads); --kubeconfig names the API server instead of the INI. Applied
 * to every configuration read, the first and each reload's. */
static int host_only(const struct options *o, struct cp_config *cfg,
                     char **err) {
  char *kc, *as;

  if (o->only_plugin != NULL) {
    if (cp_isolated_only(cfg, o->only_plugin, err) < 0)
      return -1;
    cfg->leader_elect = 0;
  }
  if (o->kubeconfig == NULL)
    return 0;
  kc = strdup(o->kubeconfig);
  as = strdup("kubeconfig"); /* not a URL: the kubeconfig's server */
  if (kc == NULL || as == NULL) {
    free(kc);
    free(as);
    *err = NULL;
    return -1;
  }
  free(cfg->kubeconfig);
  free(cfg->api_server);
  cfg->kubeconfig = kc;
  cfg->api_server = as;
  return 0;
}

/* A supervised child ends with its supervisor: the kernel sends SIGTERM
 * when the supervising thread ends (a graceful stop through the
 * signalfd), and a supervisor gone before the request took effect is
 * seen here. */
static int follow_supervisor(void) {
  const char *want = getenv("CPLANE_SUPERVISOR_PID");

  if (want == NULL)
    return 0;
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
    return -1;
  return atoi(want) == (int)getppid() ? 0 : -1;
}

/* An isolated plugin's child (or its describing process) with its own
 * credential: from here on it reads only what it needs, before the
 * plugin's code runs (plugin/sandbox.h). With plugin_credentials = host
 * the child uses the host's credential anyway: nothing to keep from it. */
static int confine_child(const struct options *o, const struct cp_config *cfg,
                         const char *plugin_dir) {
  struct cp_sandbox_paths paths = {plugin_dir, o->config_path, NULL};
  char *own = NULL, *err = NULL;
  int rc;

  if (!o->describe && !cfg->plugin_credentials_own)
    return 0;
  if (!o->describe && o->kubeconfig != NULL &&
      (own = strdup(o->kubeconfig)) != NULL)
    paths.own_dir = dirname(own);
  rc = cp_sandbox_apply(&paths, &err);
  if (rc < 0)
    cp_log_error("cplane", "%s", err != NULL ? err : "out of memory");
  else if (rc > 0)
    cp_log_warn("cplane", "this kernel has no Landlock: plugin %s's "
                          "process can still read the host's files",
                o->only_plugin);
  free(err);
  free(own);
  return rc < 0 ? -1 : 0;
}

/* SIGHUP: re-read the INI and apply its plugin sections. The new
 * configuration joins *olds (the registry borrows from it) and is freed at
 * exit. Anything else that changed needs a restart, and says so. */
static struct cp_config *reload(const struct options *o,
                                struct cp_registry *reg,
                                const char *plugin_dir,
                                struct cp_config ***olds, size_t *n_olds) {
  struct cp_config *cfg = NULL, **grown;
  char *err = NULL;
  int changed;

  if (cp_config_load(o->config_path, &cfg, &err) < 0 ||
      host_only(o, cfg, &err) < 0) {
    cp_log_error("cplane", "SIGHUP: %s; keeping the running configuration",
                 err != NULL ? err : "out of memory");
    free(err);
    cp_config_free(cfg);
    return NULL;
  }
  grown = realloc(*olds, (*n_olds + 1) * sizeof *grown);
  if (grown == NULL) {
    cp_config_free(cfg);
    return NULL;
  }
  *olds = grown;
  (*olds)[(*n_olds)++] = cfg;
  changed = cp_registry_reload(reg, cfg, plugin_dir, &err);
  changed += (int)cp_upgrade_all(reg, cfg, plugin_dir);
  cp_log_info("cplane", "SIGHUP: %s re-read, %d plugin(s) changed (other "
                        "settings apply at the next start)",
              o->config_path, changed);
  free(err);
  return cfg;
}

/* The isolated children's credentials under <data_dir>/isolated. NULL
 * (logged) when it cannot be set up. */
static struct cp_isolated_identity *
isolated_identity(const struct options *o, const struct cp_config *cfg,
                  const struct cp_identity_issuer *is) {
  struct cp_isolated_identity *ii = NULL;
  char *dir = NULL;

  if (asprintf(&dir, "%s/isolated",
               o->data_dir ? o->data_dir : cfg->data_dir) < 0)
    dir = NULL;
  if (dir == NULL || (ii = cp_isolated_identity_new(dir, is)) == NULL)
    cp_log_error("cplane", "cannot set up the isolated plugins' "
                           "credentials: out of memory");
  free(dir);
  return ii;
}

/* The supervisor of the isolated plugins (plugin/isolated.h), started at
 * once unless workers wait for the lease. NULL when out of memory. */
static struct cp_supervisor *start_isolated(const struct options *o,
                                            const struct cp_config *cfg,
                                            const struct cp_embedded *api,
                                            const char *plugin_dir,
                                            const struct cp_identity_issuer *is,
                                            struct cp_isolated_launch *l) {
  static char exe[PATH_MAX], ini[PATH_MAX];
  struct cp_supervisor_config sc = {0};
  struct cp_supervisor *sup;
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  size_t isolated = cp_isolated_count(cfg);

  exe[n > 0 ? n : 0] = '\0';
  l->exe = n > 0 ? exe : "/proc/self/exe";
  l->config_path = realpath(o->config_path, ini) ? ini : o->config_path;
  l->plugin_dir = plugin_dir;
  l->kubeconfig = api->server != NULL ? api->kubeconfig : o->kubeconfig;
  l->log_level = o->log_level;
  /* Each child calls with its own credential only, written before each
   * start under <data_dir>/isolated (plugin/isolated_identity.h). */
  if (is != NULL && is->server != NULL && is->admin != NULL &&
      (l->identity = isolated_identity(o, cfg, is)) == NULL)
    return NULL;
  sc.before_start = cp_isolated_before_start;
  sc.before_start_ud = l;
  /* Within the bounded stop: children get half of it. */
  sc.stop_timeout_ms = cfg->shutdown_timeout_ms / 2;
  sc.log_fd = 2;
  if ((sup = cp_supervisor_new(&sc)) == NULL) {
    cp_log_error("cplane", "cannot make the supervisor: out of memory");
    return NULL;
  }
  cp_isolated_apply(sup, cfg, l);
  if (isolated > 0)
    cp_log_info("cplane", "%zu plugin(s) isolated in their own process%s",
                isolated, cfg->leader_elect ? ", started when leading" : "");
  if (!cfg->leader_elect && cp_supervisor_start(sup) < 0) {
    cp_log_error("cplane", "cannot start the supervisor thread");
    cp_supervisor_free(sup);
    return NULL;
  }
  return sup;
}

/* <data_dir>/cplane.pid for `cplane plugins reload`; best effort (an
 * external-mode host may have no data directory). Returns the path to
 * remove at exit, or NULL. */
static char *write_pidfile(const char *data_dir) {
  char *path = cp_pidfile_path(data_dir), *err = NULL;

  if (path != NULL && cp_pidfile_write(path, &err) == 0)
    return path;
  cp_log_debug("cplane", "no pid file (cplane plugins reload will not "
                         "find this process): %s",
               err != NULL ? err : "out of memory");
  free(err);
  free(path);
  return NULL;
}

static int run(const struct options *o) {
  struct cp_config *cfg = NULL;
  struct cp_registry reg;
  struct cp_embedded api;
  struct cp_client *client = NULL;
  struct cp_identity_issuer issuer;
  struct cp_health *health = NULL;
  struct cp_leader *leader = NULL;
  struct cp_config **olds = NULL;
  struct cp_watchdog *watchdog = NULL;
  struct cp_supervisor *sup = NULL;
  struct cp_isolated_launch launch;
  struct host_events events = {-1, -1, -1};
  struct host_health hh = {&reg, &api, NULL};
  struct host_watch watch = {PTHREAD_MUTEX_INITIALIZER, NULL, 10000};
  size_t n_olds = 0, k;
  char *err = NULL, *plugin_dir = NULL, *pidfile = NULL;
  int rc = 1, level, sig = 0, ev;
  sigset_t set;

  memset(&reg, 0, sizeof reg);
  memset(&api, 0, sizeof api);
  memset(&launch, 0, sizeof launch);
  memset(&issuer, 0, sizeof issuer);
  /* A plugin that crashes the process names itself first (crash.h). */
  if (cp_crash_install(2) < 0)
    cp_log_warn("cplane", "no crash report: cannot install the handlers");
  if (o->only_plugin != NULL && follow_supervisor() < 0) {
    cp_log_error("cplane", "the supervising process is gone: stopping");
    return 1;
  }
  /* Signals go to the main thread's signalfd only: block them before any
   * thread starts, so every thread inherits the mask. */
  handled_signals(&set);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  if (host_events_open(&events) < 0) {
    cp_log_error("cplane", "cannot make the signal and leader channels: %s",
                 strerror(errno));
    goto out;
  }
  /* A peer that closes a socket we write to (a client leaving mid-watch,
   * a TLS stream torn down) must be an error on that socket, not the end
   * of the process. */
  signal(SIGPIPE, SIG_IGN);

  if (cp_config_load(o->config_path, &cfg, &err) < 0 ||
      host_only(o, cfg, &err) < 0) {
    cp_log_error("config", "%s", err != NULL ? err : "out of memory");
    goto out;
  }
  cp_log_set_level(cfg->log_level);
  if (o->log_level != NULL) {
    if ((level = cp_log_level_parse(o->log_level)) < 0) {
      cp_log_error("cplane", "--log-level: '%s' is not error, warn, info "
                             "or debug", o->log_level);
      goto out;
    }
    cp_log_set_level(level);
  }
  if (o->plugin_dir != NULL)
    plugin_dir = strdup(o->plugin_dir);
  else if (cfg->plugin_dir != NULL)
    plugin_dir = strdup(cfg->plugin_dir);
  else
    plugin_dir = default_plugin_dir();
  if (plugin_dir == NULL) {
    cp_log_error("cplane", "out of memory");
    goto out;
  }
  if (o->only_plugin != NULL && confine_child(o, cfg, plugin_dir) < 0)
    goto out;
  /* The host asks what an isolated plugin declares (its RBAC role) of a
   * process that holds no credential: this one. */
  if (o->describe && o->only_plugin != NULL) {
    rc = cp_isolated_describe_main(cfg, plugin_dir, o->only_plugin);
    goto out;
  }
  cp_log_info("cplane", "cplane %s starting: config %s, plugin ABI %d.%d, "
                        "plugin dir %s", CPLANE_VERSION, o->config_path,
              CPLANE_ABI_MAJOR, CPLANE_ABI_MINOR, plugin_dir);
  if (strcmp(cfg->api_server, "embedded") == 0 &&
      cp_embedded_start(cfg, o->data_dir ? o->data_dir : cfg->data_dir, &api,
                        &err) < 0) {
    cp_log_error("cplane", "cannot start the API server: %s",
                 err != NULL ? err : "out of memory");
    goto out;
  }
  if (api.server != NULL) {
    struct cp_client_config cc = {.server = api.url, .ca_file = api.ca_file,
                                  .token = api.token};

    cp_host_api_set_ca_file(api.ca_file);

    if (cp_client_new(&cc, &client, &err) < 0) {
      cp_log_error("cplane", "cannot connect plugins to the API server: %s",
                   err != NULL ? err : "out of memory");
      goto out;
    }
  } else if (connect_external(cfg, &client,
                              o->only_plugin != NULL ? NULL : &issuer,
                              &err) < 0) {
    cp_log_error("cplane", "%s", err != NULL ? err : "out of memory");
    goto out;
  }
  if (cp_registry_load(&reg, cfg, plugin_dir, o->strict, &err) < 0) {
    cp_log_error("cplane", "--strict: stopping because a plugin was "
                           "refused");
    goto out;
  }
  cp_plugin_summary_log(&reg, cfg, plugin_dir);
  reg.client = client; /* load() reset reg */
  /* Each plugin's own credential and its confinement (plugin/identity.h,
   * plugin/confine.h), applied as the registry hands out the client. */
  cp_confine_set(cfg->confine_plugins);
  if (o->only_plugin != NULL && cfg->plugin_credentials_own)
    cp_log_info("identity", "plugin %s calls the API as "
                            "system:serviceaccount:%s:%s (its host's "
                            "ServiceAccount token, kubeconfig %s)",
                o->only_plugin, CP_IDENTITY_NAMESPACE, o->only_plugin,
                o->kubeconfig != NULL ? o->kubeconfig : "(none)");
  else if (cfg->plugin_credentials_own && client != NULL) {
    if (api.server != NULL &&
        cp_identity_issuer_init(&issuer, api.url, api.ca_file,
                                api.client_signer_crt,
                                api.client_signer_key, client) < 0) {
      cp_log_error("cplane", "out of memory");
      goto out;
    }
    issuer.manage_rbac = 1;
    issuer.token_seconds = cfg->plugin_token_seconds;
    reg.identity = &issuer;
  }
  watch.reg = &reg;
  watch.shutdown_timeout_ms = cfg->shutdown_timeout_ms;
  {
    static const struct cp_watchdog_ops wops = {watch_tick, watch_expired};

    /* One coarse tick: stuck calls are reported within a second of
     * passing their bound. */
    if (cp_watchdog_start(1000, &wops, &watch, &watchdog) < 0) {
      cp_log_error("cplane", "cannot start the watchdog thread");
      goto out;
    }
  }
  if (cp_registry_start_caches(&reg, &err) < 0 ||
      (!cfg->leader_elect && cp_registry_start_controllers(&reg, &err) < 0)) {
    cp_log_error("cplane", "%s", err != NULL ? err : "cannot start");
    goto out;
  }
  if (o->only_plugin == NULL &&
      (sup = start_isolated(o, cfg, &api, plugin_dir,
                            reg.identity != NULL ? &issuer : NULL,
                            &launch)) == NULL)
    goto out;
  hh.sup = sup;
  if (cfg->leader_elect) {
    struct cp_leader_config lc = {
        .lease_ms = cfg->leader_lease_ms,
        .renew_deadline_ms = cfg->leader_renew_deadline_ms,
        .retry_ms = cfg->leader_retry_ms,
        .started_leading = on_started_leading,
        .stopped_leading = on_stopped_leading,
        .userdata = &events};

    if (client == NULL) {
      cp_log_error("cplane", "leader_elect needs an API server");
      goto out;
    }
    if (cp_leader_start(client, &lc, &leader, &err) < 0) {
      cp_log_error("cplane", "%s", err != NULL ? err : "out of memory");
      goto out;
    }
  }
  {
    static const struct cp_health_ops ops = {health_ready, health_metrics};
    /* An isolated plugin's child serves its own metrics on a loopback
     * port its log line names: the parent's /metrics reads them there
     * (isolated_metrics.h). */
    const char *listen = o->only_plugin ? "127.0.0.1:0" : cfg->listen;

    free(err);
    err = NULL;
    if (cp_health_start(listen, &ops, &hh, &health, &err) < 0)
      cp_log_warn("cplane", "no health or metrics endpoint: %s",
                  err != NULL ? err : "out of memory");
    else
      cp_log_info("cplane", "health and metrics on http://%s (/healthz, "
                            "/readyz, /metrics)",
                  cp_health_address(health));
  }
  if (api.server != NULL)
    cp_log_info("cplane", "kubectl: KUBECONFIG=%s kubectl get pods",
                api.kubeconfig);
  pidfile = write_pidfile(o->data_dir ? o->data_dir : cfg->data_dir);
  log_ready(&reg, cfg->leader_elect);
  for (;;) {
    /* While a plugin waits for a resource to be served, look again
     * every few seconds (registry.h). */
    ev = wait_event(&events, &sig,
                    cp_registry_waiting(&reg) > 0 ? CP_REGISTRY_RECHECK_MS
                                                  : -1);
    if (ev == EV_TICK) {
      cp_registry_recheck(&reg);
      continue;
    }
    if (ev == EV_LEADING) {
      free(err);
      err = NULL;
      if (cp_registry_start_controllers(&reg, &err) < 0) {
        cp_log_error("cplane", "%s", err ? err : "cannot start workers");
        goto out;
      }
      if (sup != NULL && cp_supervisor_start(sup) < 0) {
        cp_log_error("cplane", "cannot start the supervisor thread");
        goto out;
      }
      continue;
    }
    if (ev == EV_RELOAD) {
      struct cp_config *now = reload(o, &reg, plugin_dir, &olds, &n_olds);

      if (now != NULL && sup != NULL)
        cp_isolated_apply(sup, now, &launch);
      continue;
    }
    break;
  }
  if (ev == EV_ERROR) {
    cp_log_error("cplane", "waiting for signals failed: %s; stopping",
                 strerror(errno));
    goto out;
  }
  if (ev == EV_LOST) {
    /* As kube-controller-manager does: a host that lost the lease exits
     * at once, so that no two hosts run workers together. */
    cp_log_error("cplane", "lost the leader lease: stopping");
    goto out;
  }
  cp_log_info("cplane", "received %s: shutting down",
              sig == SIGINT ? "SIGINT" : "SIGTERM");
  rc = 0;
out:
  /* A bounded stop: past shutdown_timeout the watchdog names the plugin
   * calls that never returned and ends the process (watch_expired). */
  cp_watchdog_arm(watchdog, watch.shutdown_timeout_ms);
  cp_health_stop(health); /* it reads the registry */
  cp_supervisor_free(sup); /* isolated plugins stop like the others */
  cp_isolated_identity_free(launch.identity); /* after its hook's last use */
  cp_registry_stop(&reg); /* workers stop before the lease goes */
  pthread_mutex_lock(&watch.mu);
  watch.reg = NULL;
  pthread_mutex_unlock(&watch.mu);
  cp_registry_free(&reg);
  cp_leader_stop(leader);  /* hands the lease back */
  cp_identity_issuer_free(&issuer); /* after the plugins' identities */
  cp_client_free(client);
  cp_embedded_stop(&api);
  cp_watchdog_stop(watchdog);
  host_events_close(&events);
  cp_pidfile_remove(pidfile);
  free(pidfile);
  if (rc == 0)
    cp_log_info("cplane", "stopped cleanly");
  free(err);
  free(plugin_dir);
  cp_config_free(cfg);
  for (k = 0; k < n_olds; k++)
    cp_config_free(olds[k]);
  free(olds);
  return rc;
}

int main(int argc, char **argv) {
  struct options o;

  if (argc >= 2 && strcmp(argv[1], "plugins") == 0)
    return cp_plugins_command(argc - 1, argv + 1);
  if (parse_args(argc, argv, &o) < 0)
    return 2;
  if (o.check_path != NULL)
    return check_config(&o);
  return run(&o);
}
