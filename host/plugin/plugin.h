/*
 * plugin - one loaded plugin as the host sees it, and the loader.
 *
 * struct cplane_plugin_ctx is the SDK's opaque per-plugin handle; here it
 * is the host's record of the plugin: where it came from, a checked copy of
 * its descriptor, its INI section, and (once started) its queue, workers
 * and informer handlers.
 *
 * Loading (cp_plugin_load) checks, in order: the plugin directory and file
 * are neither symbolic links nor owned by anyone but root or the running
 * user, nor group/world-writable; the file is opened with O_NOFOLLOW and
 * checked with fstat; its bytes are copied into a sealed private image
 * and hashed (image.h); the ABI note (abi_note.h) is read from that image
 * and must match before anything runs; the image is what dlopen() loads
 * (through /proc/self/fd), with RTLD_NOW|RTLD_LOCAL|RTLD_NODELETE; the entry symbol exists; the
 * descriptor's size and ABI version are compatible. A plugin is never
 * dlclose()d: "disable" means stop dispatching.
 *
 * Threading: load, init, start, stop and fini run on the main thread. The
 * runtime counters are atomics read by metrics from any thread.
 * Ownership: cp_plugin_load() returns an owned plugin; cp_plugin_free()
 * releases it (after cp_plugin_fini()).
 */
#ifndef CPLANE_HOST_PLUGIN_H
#define CPLANE_HOST_PLUGIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <cplane/cplane.h>

#include "config/config.h"
#include "plugin/image.h"
#include "plugin/event_recorder.h"
#include "plugin/inflight.h"
#include "plugin/owner_map.h"

struct cp_workqueue;
struct cp_client;
struct cp_informer;
struct cp_informer_handler;
struct cp_dispatch;
struct cp_worker;
struct cp_plugin_identity;

enum cp_plugin_state {
  CP_PLUGIN_LOADED,   /* checked, init() not called yet */
  CP_PLUGIN_READY,    /* init() succeeded */
  CP_PLUGIN_RUNNING,  /* dispatching and reconciling */
  CP_PLUGIN_STOPPED,  /* drained; no callback runs any more */
  CP_PLUGIN_FINISHED, /* fini() called */
};

struct cplane_plugin_ctx {
  char *name;                      /* the descriptor's name */
  char *path;                      /* plugin_dir/file, for messages */
  struct cplane_plugin desc;       /* copy; zero past the plugin's size */
  struct cplane_resource *resources; /* copies of desc.resources[] */
  const struct cp_plugin_config *config; /* borrowed from the cp_config */
  void *dl;                        /* dlopen handle, never closed */
  void *userdata;                  /* the plugin's own, set_userdata() */
  enum cp_plugin_state state;
  /* Stopped by a reload whose configuration no longer enables it; read by
   * /readyz. Guarded by the registry's mu. */
  int disabled;

  /* Runtime, set up by cp_controller_start(). The queue is set and
   * cleared on the main thread, under *runtime_mu when not NULL (the
   * registry's mu, which the metrics thread holds while it reads the
   * queue); atomic for the plugin's threads. */
  struct cp_workqueue *_Atomic queue;
  pthread_mutex_t *runtime_mu; /* borrowed; NULL: no registry */
  /* Writes go here; NULL: no API server. Set by the registry after init(),
   * read by the event recorder's thread (events from init()): atomic. */
  struct cp_client *_Atomic client;
  struct cp_worker *workers;       /* controller.c's, n_workers of them */
  int n_workers;
  struct cp_informer **informers;  /* per resource; borrowed */
  struct cp_informer_handler **handlers; /* per resource */
  struct cp_dispatch *dispatch;    /* per resource: handler userdata */
  atomic_uint_fast64_t reconciles, reconcile_errors, reconcile_terminal,
      reconcile_requeues, deadline_overruns;
  /* REQUEUE_AFTER under the floor, rate-limited (controller.c). */
  atomic_uint_fast64_t reconcile_requeues_now;
  /* Calls running now: slot i < n_resources is resource i's dispatch
   * thread, slot n_resources + w is worker w (inflight.h). */
  struct cp_inflight_set inflight;

  /* The image loaded (image.h), and for hot upgrades (upgrade.h): how
   * many images of this plugin are mapped, this one included, and the
   * last build an upgrade refused (not tried again). */
  unsigned char sha256[CP_PLUGIN_SHA256_LEN];
  unsigned images;
  unsigned char refused_sha256[CP_PLUGIN_SHA256_LEN];
  int has_refused;
  /* dispatch_guard.h: a blocking call from on_* was logged already. */
  atomic_int dispatch_write_warned;
  /* api->enqueue_owner's rules, declared in init() (owner_map.h). */
  struct cp_owner_map owners;
  /* During a hot upgrade's init() of this build: the build it replaces,
   * whose cache_add_index_fn() indexes of the same name it takes over
   * (upgrade.c; informer.h). NULL otherwise. */
  struct cplane_plugin_ctx *predecessor;
  /* api->event_record: made on first use, stopped with the plugin
   * (event_recorder.h); the counts outlive it, for /metrics. */
  struct cp_event_recorder *_Atomic events;
  struct cp_event_counts event_counts;
  /* Copies of desc.writes[] (ABI 1.4; confine.h), and the writes the
   * host refused because they were not declared (for /metrics). */
  struct cplane_resource *writes;
  atomic_uint_fast64_t confined_writes;
  /* The plugin's own credential (identity.h), or NULL: the host's.
   * Set on the main thread before workers start; read by any. */
  struct cp_plugin_identity *_Atomic identity;
};

/* Loads `pc->file` from `dir` and checks it as described above. Returns 0
 * and sets *out (owned), or -1 and sets *errmsg (malloc'd, one line naming
 * the plugin file and what is wrong). */
int cp_plugin_load(const char *dir, const struct cp_plugin_config *pc,
                   struct cplane_plugin_ctx **out, char **errmsg);
/* The two halves of cp_plugin_load(), for a hot upgrade that compares
 * the file's content before loading it. cp_plugin_read() runs every file
 * check and reads dir/pc->file into a sealed image (image.h) whose ABI
 * note matches; returns 0, or -1 with *errmsg. cp_plugin_load_image()
 * maps the image and checks its descriptor; it takes img's memfd either
 * way. Returns as cp_plugin_load(). */
int cp_plugin_read(const char *dir, const struct cp_plugin_config *pc,
                   struct cp_plugin_image *img, char **errmsg);
int cp_plugin_load_image(const char *dir, const struct cp_plugin_config *pc,
                         struct cp_plugin_image *img,
                         struct cplane_plugin_ctx **out, char **errmsg);
/* Calls the plugin's init(). Returns 0, or -1 with *errmsg (malloc'd) that
 * includes the plugin's own message when it gave one. */
int cp_plugin_init(struct cplane_plugin_ctx *p, char **errmsg);
/* Calls fini() once if init() succeeded; the plugin must be stopped. */
void cp_plugin_fini(struct cplane_plugin_ctx *p);
/* Frees the host's record. The shared object stays mapped. */
void cp_plugin_free(struct cplane_plugin_ctx *p);

/* Sets *errmsg to the formatted message (malloc'd; NULL when out of
 * memory) and returns -1: the loader's one way of refusing. */
int cp_plugin_fail(char **errmsg, const char *fmt, ...) CPLANE_PRINTF(2, 3);

/* The host API table given to every plugin (static, never freed). */
const struct cplane_host_api *cp_host_api(void);

/* The CA file the host verifies the API server with (the embedded
 * server's pki/ca.crt or [apiserver] tls_ca_file, or the kubeconfig's
 * certificate-authority), which config_get("ca_file") answers for a
 * plugin whose section sets none: how rootcacertpublisher learns the
 * cluster's CA. NULL or too long clears it. Main thread, before plugins
 * load (workers read it after, never while it changes). */
void cp_host_api_set_ca_file(const char *path);

#endif /* CPLANE_HOST_PLUGIN_H */
