/*
 * registry - the set of plugins a host runs, and the shared informers they
 * watch through.
 *
 * cp_registry_load() loads every plugin the config enables, in config
 * order, refusing duplicates (by name, and by file identity through the
 * loader), and calls each one's init(). A refusal is one ERROR log line and
 * the host goes on, unless `strict`, when the first refusal is fatal.
 * Plugins asking for the same resource and selectors share one informer.
 *
 * Threading: main thread only, except where a function says otherwise
 * (readiness, metrics and the watchdog's functions take `mu`).
 * Ownership: the registry owns its plugins and informers; it borrows the
 * config, which must outlive it.
 */
#ifndef CPLANE_HOST_PLUGIN_REGISTRY_H
#define CPLANE_HOST_PLUGIN_REGISTRY_H

#include <stddef.h>
#include <stdio.h>

#include <pthread.h>

#include "config/config.h"
#include "plugin/plugin.h"

struct cp_informer;
struct cp_client;
struct cp_identity_issuer;

struct cp_refusal {
  char *name; /* [plugin.NAME] */
  char *why;  /* the loader's message */
};

/* An enabled plugin not started because a resource it watches is not
 * served yet (served.h). It holds nobody else and not /readyz. */
struct cp_wait {
  struct cplane_plugin_ctx *plugin;
  char what[256]; /* "widgets.example.com/v1" */
};

/* How often the main thread re-checks discovery while a plugin waits. */
#define CP_REGISTRY_RECHECK_MS 2000

struct cp_registry {
  const struct cp_config *config;
  struct cplane_plugin_ctx **plugins;
  size_t n_plugins;
  struct cp_shared_informer *informers;
  size_t n_informers;
  size_t refused; /* plugins that failed to load or init */
  /* Enabled plugins not running because they were refused, by section
   * name: each makes /readyz fail until a reload loads or disables it.
   * Guarded by mu. */
  struct cp_refusal *refusals;
  size_t n_refusals;
  /* When set before cp_registry_start, every shared informer is fed by a
   * reflector watching the API server through this client (borrowed). */
  struct cp_client *client;
  /* When set, each plugin gets its own credential from it as it is
   * given the client (identity.h; borrowed). */
  struct cp_identity_issuer *identity;
  uint64_t sync_timeout_ms; /* wait for caches before workers; 0: 60 s */
  int running;              /* controllers started */
  /* Plugins waiting for a resource to be served. Guarded by mu (the main
   * thread changes it, /readyz reads it). */
  struct cp_wait *waits;
  size_t n_waits;
  /* Guards the plugin and informer arrays against readers on other
   * threads (health, metrics) while a reload grows them. */
  pthread_mutex_t mu;
};

/* Returns 0, or -1 in strict mode on the first refusal (*errmsg set,
 * malloc'd). The registry is usable either way; free it with
 * cp_registry_free(). */
int cp_registry_load(struct cp_registry *reg, const struct cp_config *cfg,
                     const char *plugin_dir, int strict, char **errmsg);
/* The shared informer for a resource, created on first use. Borrowed. */
struct cp_informer *cp_registry_informer(struct cp_registry *reg,
                                         const struct cplane_resource *res);
/* Starts informers and every loaded plugin's controller. */
int cp_registry_start(struct cp_registry *reg, char **errmsg);
/* The two halves, for leader election: caches (and their reflectors)
 * first on every host, controllers (workers) only on the leader. */
int cp_registry_start_caches(struct cp_registry *reg, char **errmsg);
int cp_registry_start_controllers(struct cp_registry *reg, char **errmsg);
/* Stops every plugin (reverse order), then calls fini() on each. */
void cp_registry_stop(struct cp_registry *reg);
void cp_registry_free(struct cp_registry *reg);
/* Readiness, one line per check into out: "[-]plugin NAME failed to
 * load: WHY" per refused plugin, "[+]plugin NAME ok" per loaded one,
 * "[+]plugin NAME waiting for RES (not served)" per waiting one,
 * "[+]plugin NAME disabled by the configuration" per one a reload stopped, one
 * "[-]plugin NAME: CALLBACK KEY stuck for ..." per stuck call, and
 * "[+]/[-]cache NAME synced" per shared informer. Returns 1 when nothing
 * failed. Safe while running. */
int cp_registry_ready(struct cp_registry *reg, FILE *out);
/* The watchdog's tick: logs each call newly stuck (inflight.h). Returns how
 * many calls are stuck. Safe while running, until cp_registry_free(). */
size_t cp_registry_watch(struct cp_registry *reg);
/* At a bounded stop that ran out of time: logs every plugin call still
 * running (the calls being abandoned). Returns how many. Safe while
 * cp_registry_stop() runs on another thread. */
size_t cp_registry_log_running(struct cp_registry *reg);
/* Prometheus text for every plugin's queue, reconciles and stuck calls
 * (cplane_plugin_stuck_calls) and every reflector. Returns 0, or -1 on a write error. Safe while running. */
int cp_registry_metrics_write(struct cp_registry *reg, FILE *out);
/* Applies a re-read INI (SIGHUP): plugins newly enabled are loaded and
 * started; plugins now disabled or gone stop dispatching and drain their
 * workers (never unloaded: a later reload starts them again). cfg must
 * outlive the registry. Returns how many plugins changed state; *errmsg
 * gets the last refusal (or NULL). */
int cp_registry_reload(struct cp_registry *reg, const struct cp_config *cfg,
                       const char *plugin_dir, char **errmsg);
/* For a hot upgrade (upgrade.h). cp_registry_attach() wires a plugin
 * loaded outside the registry to its shared informers (creating and
 * starting those for resources nobody watched yet) and to the client, so
 * its init() can ask for indexes. cp_registry_replace() puts nu where old
 * was (under mu: readers on other threads never see a freed plugin);
 * old then belongs to the caller. */
int cp_registry_attach(struct cp_registry *reg, struct cplane_plugin_ctx *p,
                       char **errmsg);
void cp_registry_replace(struct cp_registry *reg,
                         struct cplane_plugin_ctx *old,
                         struct cplane_plugin_ctx *nu);
/* How many plugins wait for a resource that is not served yet. */
size_t cp_registry_waiting(struct cp_registry *reg);
/* Re-checks discovery for what the waiting plugins watch: a resource now
 * served gets its reflector, and a plugin whose caches have all synced
 * starts. Main thread; call every CP_REGISTRY_RECHECK_MS while
 * cp_registry_waiting() is not 0. */
void cp_registry_recheck(struct cp_registry *reg);
/* The plugin named `name`, or NULL. Borrowed. */
struct cplane_plugin_ctx *cp_registry_find(struct cp_registry *reg,
                                           const char *name);

#endif /* CPLANE_HOST_PLUGIN_REGISTRY_H */
