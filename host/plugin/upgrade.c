/*
 * upgrade - see upgrade.h.
 */
#include "plugin/upgrade.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "plugin/controller.h"

/* Enough of a SHA-256 to tell builds apart in a log line. */
#define SHORT_SHA 8

static const char *version_of(const struct cplane_plugin_ctx *p) {
  return p->desc.version != NULL && p->desc.version[0] != '\0'
             ? p->desc.version
             : "(no version)";
}

/* Logs the refusal, hands the message to the caller, returns REFUSED. */
static enum cp_upgrade_result refuse(const struct cplane_plugin_ctx *old,
                                     char *msg, char **why) {
  cp_log_warn("cplane", "plugin %s: upgrade refused: %s; keeping %s",
              old->name, msg != NULL ? msg : "out of memory",
              version_of(old));
  if (why != NULL)
    *why = msg;
  else
    free(msg);
  return CP_UPGRADE_REFUSED;
}

static char *format(const char *fmt, ...) CPLANE_PRINTF(1, 2);
static char *format(const char *fmt, ...) {
  va_list ap;
  char *s = NULL;

  va_start(ap, fmt);
  if (vasprintf(&s, fmt, ap) < 0)
    s = NULL;
  va_end(ap);
  return s;
}

/* Remembers a refused build so an unchanged file is not mapped again. */
static void remember_refused(struct cplane_plugin_ctx *old,
                             const unsigned char *sha) {
  memcpy(old->refused_sha256, sha, sizeof old->refused_sha256);
  old->has_refused = 1;
}

/* What may stop an upgrade before the new build is even mapped. Returns
 * NULL to go on, else the reason (malloc'd; "" when out of memory). */
static char *precheck(struct cplane_plugin_ctx *old,
                      const struct cp_plugin_image *img,
                      unsigned max_retained) {
  char hex[SHORT_SHA + 1];
  size_t stuck;

  if (old->has_refused &&
      memcmp(old->refused_sha256, img->sha256, sizeof img->sha256) == 0) {
    cp_plugin_sha256_hex(img->sha256, SHORT_SHA, hex);
    return format("build sha256 %s was refused before (change the file "
                  "to try again)", hex);
  }
  /* Images mapped now, the running one included, are the old images
   * retained once this upgrade is done. */
  if (old->images > max_retained)
    return format("%u old image(s) of this plugin already stay mapped "
                  "(max_retained_images = %u): restart cplane to load "
                  "the new build", old->images - 1, max_retained);
  stuck = cp_inflight_stuck(&old->inflight, cp_inflight_now_ns());
  if (stuck > 0)
    return format("%zu stuck call(s) (draining would block the host): "
                  "reload again once they return, or restart", stuck);
  return NULL;
}

/* Maps the image and runs the new build's init() beside the old one.
 * Returns the new plugin (READY), or NULL with *msg. */
static struct cplane_plugin_ctx *load_new(struct cp_registry *reg,
                                          struct cplane_plugin_ctx *old,
                                          const struct cp_plugin_config *pc,
                                          const char *dir,
                                          struct cp_plugin_image *img,
                                          char **msg) {
  struct cplane_plugin_ctx *nu = NULL;
  unsigned char sha[CP_PLUGIN_SHA256_LEN];

  memcpy(sha, img->sha256, sizeof sha);
  /* Counted before mapping: a build refused after dlopen() stays mapped
   * as much as one that runs. */
  old->images++;
  if (cp_plugin_load_image(dir, pc, img, &nu, msg) < 0)
    goto refused;
  if (strcmp(nu->name, old->name) != 0) {
    *msg = format("the new build's name is '%s', not '%s'", nu->name,
                  old->name);
    goto refused;
  }
  if (cp_registry_attach(reg, nu, msg) < 0)
    goto refused;
  /* Its init() takes over the old build's computed indexes of the same
   * name (the old build goes on reading them until detached). */
  nu->predecessor = old;
  if (cp_plugin_init(nu, msg) < 0)
    goto refused;
  nu->predecessor = NULL;
  return nu;
refused:
  remember_refused(old, sha);
  cp_plugin_free(nu);
  return NULL;
}

/* The counters behind the plugin's metrics series go on from the old
 * build's, so a scrape never sees them drop. */
static void carry_counters(struct cplane_plugin_ctx *nu,
                           const struct cplane_plugin_ctx *old) {
  atomic_store(&nu->reconciles, atomic_load(&old->reconciles));
  atomic_store(&nu->reconcile_errors, atomic_load(&old->reconcile_errors));
  atomic_store(&nu->reconcile_terminal,
               atomic_load(&old->reconcile_terminal));
  atomic_store(&nu->reconcile_requeues,
               atomic_load(&old->reconcile_requeues));
  atomic_store(&nu->deadline_overruns, atomic_load(&old->deadline_overruns));
  nu->images = old->images;
}

/* Steps 1-3 of upgrade.h. The old build is freed. */
static void swap(struct cp_registry *reg, struct cplane_plugin_ctx *old,
                 struct cplane_plugin_ctx *nu) {
  struct cp_workqueue *queue = cp_controller_detach(old);
  char *err = NULL;

  cp_plugin_fini(old);
  carry_counters(nu, old);
  cp_registry_replace(reg, old, nu);
  if (queue != NULL && cp_controller_start_on(nu, nu->informers, queue,
                                              &err) < 0) {
    /* Only out of memory or threads gets here; the old build is gone. */
    cp_log_error("cplane", "plugin %s: the new build cannot start: %s",
                 nu->name, err != NULL ? err : "out of memory");
    free(err);
  }
  cp_plugin_free(old);
}

enum cp_upgrade_result cp_upgrade_plugin(struct cp_registry *reg,
                                         const struct cp_plugin_config *pc,
                                         const char *plugin_dir,
                                         unsigned max_retained, char **why) {
  struct cplane_plugin_ctx *old = cp_registry_find(reg, pc->name), *nu;
  struct cp_plugin_image img;
  char *msg = NULL, from[SHORT_SHA + 1], to[SHORT_SHA + 1];
  const char *old_version;

  if (why != NULL)
    *why = NULL;
  if (old == NULL || !pc->enabled ||
      (old->state != CP_PLUGIN_READY && old->state != CP_PLUGIN_RUNNING))
    return CP_UPGRADE_UNCHANGED;
  if (cp_plugin_read(plugin_dir, pc, &img, &msg) < 0)
    return refuse(old, msg, why);
  if (memcmp(img.sha256, old->sha256, sizeof img.sha256) == 0) {
    cp_plugin_image_close(&img);
    return CP_UPGRADE_UNCHANGED;
  }
  if ((msg = precheck(old, &img, max_retained)) != NULL) {
    cp_plugin_image_close(&img);
    return refuse(old, msg, why);
  }
  nu = load_new(reg, old, pc, plugin_dir, &img, &msg);
  if (nu == NULL)
    return refuse(old, msg, why);
  cp_plugin_sha256_hex(old->sha256, SHORT_SHA, from);
  cp_plugin_sha256_hex(nu->sha256, SHORT_SHA, to);
  old_version = version_of(old); /* in the old image: stays mapped */
  swap(reg, old, nu);
  cp_log_info("cplane", "plugin %s upgraded %s -> %s (sha256 %s -> %s)",
              nu->name, old_version, version_of(nu), from, to);
  return CP_UPGRADE_DONE;
}

size_t cp_upgrade_all(struct cp_registry *reg, const struct cp_config *cfg,
                      const char *plugin_dir) {
  unsigned max = cfg->max_retained_images < 0
                     ? 0
                     : (unsigned)cfg->max_retained_images;
  size_t i, n = 0;

  for (i = 0; i < cfg->n_plugins; i++) {
    if (!cfg->plugins[i].enabled)
      continue;
    n += cp_upgrade_plugin(reg, &cfg->plugins[i], plugin_dir, max, NULL) ==
         CP_UPGRADE_DONE;
  }
  return n;
}
