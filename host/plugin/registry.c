/*
 * registry - see registry.h.
 */
#include "plugin/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "client/reflector.h"
#include "clock/clock.h"
#include "plugin/confine.h"
#include "plugin/identity.h"
#include "informer/informer.h"
#include "log/assert.h"
#include "log/log.h"
#include "plugin/config_keys.h"
#include "plugin/controller.h"
#include "plugin/served.h"
#include "workqueue/workqueue.h"

struct cp_shared_informer {
  char *id; /* group/version/resource?labels&fields */
  struct cp_informer *informer;
  struct cplane_resource res; /* what it watches (strings borrowed from
                                 the plugin, which is never unloaded) */
  struct cp_reflector *reflector;
  int not_served; /* discovery does not list it (served.h); under mu */
};

static char *resource_id(const struct cplane_resource *r) {
  char *id = NULL;

  if (asprintf(&id, "%s/%s/%s?l=%s&f=%s", r->group ? r->group : "",
               r->version, r->resource,
               r->label_selector ? r->label_selector : "",
               r->field_selector ? r->field_selector : "") < 0)
    return NULL;
  return id;
}

struct cp_informer *cp_registry_informer(struct cp_registry *reg,
                                         const struct cplane_resource *res) {
  struct cp_shared_informer *s;
  char *id = resource_id(res);
  size_t i;

  if (id == NULL)
    return NULL;
  for (i = 0; i < reg->n_informers; i++) {
    if (strcmp(reg->informers[i].id, id) == 0) {
      free(id);
      return reg->informers[i].informer;
    }
  }
  s = realloc(reg->informers, (reg->n_informers + 1) * sizeof *s);
  if (s == NULL) {
    free(id);
    return NULL;
  }
  reg->informers = s;
  s = &reg->informers[reg->n_informers];
  s->id = id;
  s->res = *res;
  s->reflector = NULL;
  s->not_served = 0;
  s->informer = cp_informer_new(id);
  if (s->informer == NULL) {
    free(id);
    return NULL;
  }
  reg->n_informers++;
  return s->informer;
}

struct cplane_plugin_ctx *cp_registry_find(struct cp_registry *reg,
                                           const char *name) {
  size_t i;

  for (i = 0; i < reg->n_plugins; i++)
    if (strcmp(reg->plugins[i]->name, name) == 0)
      return reg->plugins[i];
  return NULL;
}

/* Wires the plugin's resources to shared informers, so init() can already
 * ask for indexes. */
static int attach_informers(struct cp_registry *reg,
                            struct cplane_plugin_ctx *p, char **errmsg) {
  uint32_t i;

  p->runtime_mu = &reg->mu; /* metrics read p->queue under it */
  if (p->desc.n_resources == 0)
    return 0;
  p->informers = calloc(p->desc.n_resources, sizeof *p->informers);
  if (p->informers == NULL)
    goto nomem;
  for (i = 0; i < p->desc.n_resources; i++) {
    p->informers[i] = cp_registry_informer(reg, &p->resources[i]);
    if (p->informers[i] == NULL)
      goto nomem;
  }
  return 0;
nomem:
  if (asprintf(errmsg, "plugin %s: out of memory creating informers",
               p->name) < 0)
    *errmsg = NULL;
  return -1;
}

static void warn_line(void *ud, const char *msg) {
  (void)ud;
  cp_log_warn("config", "%s", msg);
}

/* A key in the section that neither the plugin nor the host reads is a
 * likely misspelling (config_keys.h): said at start-up, not fatal. */
static void warn_unknown_keys(struct cp_registry *reg,
                              const struct cplane_plugin_ctx *p,
                              const struct cp_plugin_config *pc) {
  const char *path = reg->config != NULL ? reg->config->path : "config";

  (void)cp_config_keys_check(p->desc.config_keys, pc, path, warn_line, NULL);
}

/* Whether this process runs the plugin of section pc: enabled, and not
 * isolated (an isolated one runs in its own child, supervisor.h; the
 * child's own config has it in-process). */
static int runs_here(const struct cp_plugin_config *pc) {
  return pc != NULL && pc->enabled && pc->isolation != CP_ISOLATION_PROCESS;
}

static int load_one(struct cp_registry *reg, const struct cp_plugin_config *pc,
                    const char *dir, char **errmsg) {
  struct cplane_plugin_ctx *p = NULL, *other, **grown;

  if (cp_plugin_load(dir, pc, &p, errmsg) < 0)
    return -1;
  other = cp_registry_find(reg, p->name);
  if (other != NULL) {
    if (asprintf(errmsg, "plugin %s: duplicate plugin name '%s' (already "
                         "loaded from %s)", p->path, p->name,
                 other->path) < 0)
      *errmsg = NULL;
    goto fail;
  }
  if (strcmp(p->name, pc->name) != 0) {
    if (asprintf(errmsg, "plugin %s: its name is '%s' but it is configured "
                         "as [plugin.%s]: rename the section or fix file=",
                 p->path, p->name, pc->name) < 0)
      *errmsg = NULL;
    goto fail;
  }
  warn_unknown_keys(reg, p, pc);
  if (attach_informers(reg, p, errmsg) < 0 || cp_plugin_init(p, errmsg) < 0)
    goto fail;
  grown = realloc(reg->plugins, (reg->n_plugins + 1) * sizeof *grown);
  if (grown == NULL) {
    if (asprintf(errmsg, "plugin %s: out of memory", p->name) < 0)
      *errmsg = NULL;
    cp_plugin_fini(p);
    goto fail;
  }
  reg->plugins = grown;
  reg->plugins[reg->n_plugins++] = p;
  cp_log_info("loader", "loaded plugin %s %s (ABI %u.%u) from %s", p->name,
              p->desc.version != NULL ? p->desc.version : "",
              p->desc.abi_major, p->desc.abi_minor, p->path);
  return 0;
fail:
  cp_plugin_free(p);
  return -1;
}

/* Forgets the refusal of section `name`, if any. Caller holds mu. */
static void forget_refusal(struct cp_registry *reg, const char *name) {
  size_t i;

  CP_ASSERT_HELD(&reg->mu);
  for (i = 0; i < reg->n_refusals; i++) {
    if (strcmp(reg->refusals[i].name, name) != 0)
      continue;
    free(reg->refusals[i].name);
    free(reg->refusals[i].why);
    reg->refusals[i] = reg->refusals[--reg->n_refusals];
    return;
  }
}

/* Remembers why section `name` is not running, for /readyz. Caller holds
 * mu. Out of memory loses the message, never the failing check. */
static void note_refusal(struct cp_registry *reg, const char *name,
                         const char *why) {
  struct cp_refusal *grown;
  char *p;

  CP_ASSERT_HELD(&reg->mu);
  forget_refusal(reg, name);
  grown = realloc(reg->refusals, (reg->n_refusals + 1) * sizeof *grown);
  if (grown == NULL)
    return;
  reg->refusals = grown;
  grown[reg->n_refusals].name = strdup(name);
  grown[reg->n_refusals].why = strdup(why != NULL ? why : "out of memory");
  if (grown[reg->n_refusals].name == NULL) {
    free(grown[reg->n_refusals].why);
    return;
  }
  /* A plugin's own init message may hold newlines: /readyz is a line per
   * check. */
  for (p = grown[reg->n_refusals].why; p != NULL && *p != '\0'; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  reg->n_refusals++;
}

int cp_registry_load(struct cp_registry *reg, const struct cp_config *cfg,
                     const char *plugin_dir, int strict, char **errmsg) {
  size_t i;
  char *err = NULL;

  memset(reg, 0, sizeof *reg);
  pthread_mutex_init(&reg->mu, NULL);
  reg->config = cfg;
  *errmsg = NULL;
  for (i = 0; i < cfg->n_plugins; i++) {
    const struct cp_plugin_config *pc = &cfg->plugins[i];
    if (!runs_here(pc)) {
      cp_log_debug("loader", "plugin %s is not enabled%s; skipped",
                   pc->name, pc->enabled ? " in this process" : "");
      continue;
    }
    if (load_one(reg, pc, plugin_dir, &err) == 0)
      continue;
    reg->refused++;
    cp_log_error("loader", "%s", err != NULL ? err : "out of memory");
    pthread_mutex_lock(&reg->mu);
    note_refusal(reg, pc->name, err);
    pthread_mutex_unlock(&reg->mu);
    if (strict) {
      *errmsg = err;
      return -1;
    }
    free(err);
    err = NULL;
  }
  return 0;
}

static int64_t now_ms(void) { return cp_now_ms(); }

/* Asks discovery whether s is served and records it. Main thread. */
static enum cp_served check_served(struct cp_registry *reg,
                                   struct cp_shared_informer *s) {
  enum cp_served r = cp_served_check(reg->client, &s->res);

  pthread_mutex_lock(&reg->mu);
  s->not_served = r == CP_SERVED_NO;
  pthread_mutex_unlock(&reg->mu);
  return r;
}

static int start_reflector(struct cp_registry *reg,
                           struct cp_shared_informer *s) {
  s->reflector = cp_reflector_new(reg->client, s->informer, s->res.group,
                                  s->res.version, s->res.resource,
                                  s->res.label_selector,
                                  s->res.field_selector);
  if (s->reflector == NULL || cp_reflector_start(s->reflector) != 0)
    return -1;
  return 0;
}

/* Starts a reflector per shared informer and waits for every cache to
 * sync (bounded), naming the ones that did not. */
static int start_reflectors(struct cp_registry *reg, char **errmsg) {
  uint64_t limit = reg->sync_timeout_ms ? reg->sync_timeout_ms : 60000;
  int64_t t0 = now_ms();
  size_t i, synced;

  size_t served = 0;

  for (i = 0; i < reg->n_informers; i++) {
    struct cp_shared_informer *s = &reg->informers[i];

    /* A resource not served yet is not waited for: its plugins wait on
     * their own (cp_registry_recheck) and hold nobody else. */
    if (check_served(reg, s) == CP_SERVED_NO)
      continue;
    served++;
    if (start_reflector(reg, s) < 0) {
      if (asprintf(errmsg, "cannot start the reflector for %s", s->id) < 0)
        *errmsg = NULL;
      return -1;
    }
  }
  do {
    for (i = 0, synced = 0; i < reg->n_informers; i++)
      synced += !reg->informers[i].not_served &&
                cp_informer_has_synced(reg->informers[i].informer) != 0;
    if (synced == served)
      break;
    {
      struct timespec ts = {0, 20000000};

      nanosleep(&ts, NULL);
    }
  } while ((uint64_t)(now_ms() - t0) < limit);
  for (i = 0; i < reg->n_informers; i++)
    if (!reg->informers[i].not_served &&
        !cp_informer_has_synced(reg->informers[i].informer))
      cp_log_warn("cplane", "cache %s not synced after %llu ms; its "
                            "plugins start anyway and see objects as they "
                            "arrive",
                  cp_reflector_name(reg->informers[i].reflector),
                  (unsigned long long)limit);
  cp_log_info("cplane", "%zu of %zu cache(s) synced in %lld ms", synced,
              served, (long long)(now_ms() - t0));
  return 0;
}

/* ---- plugins waiting for a resource that is not served yet ---- */

/* 1 when one of p's resources is not served; its name goes in what. */
static int plugin_unserved(struct cp_registry *reg,
                           const struct cplane_plugin_ctx *p, char *what,
                           size_t len) {
  uint32_t r;
  size_t i;

  for (r = 0; p->informers != NULL && r < p->desc.n_resources; r++)
    for (i = 0; i < reg->n_informers; i++)
      if (reg->informers[i].informer == p->informers[r] &&
          reg->informers[i].not_served) {
        cp_served_name(&reg->informers[i].res, what, len);
        return 1;
      }
  return 0;
}

static struct cp_wait *find_wait(struct cp_registry *reg,
                                 const struct cplane_plugin_ctx *p) {
  size_t i;

  for (i = 0; i < reg->n_waits; i++)
    if (reg->waits[i].plugin == p)
      return &reg->waits[i];
  return NULL;
}

/* Records that p waits for `what`, and says so once. */
static void add_wait(struct cp_registry *reg, struct cplane_plugin_ctx *p,
                     const char *what) {
  struct cp_wait *grown;

  if (find_wait(reg, p) != NULL)
    return;
  pthread_mutex_lock(&reg->mu);
  grown = realloc(reg->waits, (reg->n_waits + 1) * sizeof *grown);
  if (grown != NULL) {
    reg->waits = grown;
    grown[reg->n_waits].plugin = p;
    snprintf(grown[reg->n_waits].what, sizeof grown[0].what, "%s", what);
    reg->n_waits++;
  }
  pthread_mutex_unlock(&reg->mu);
  if (grown == NULL) {
    cp_log_error("cplane", "plugin %s: out of memory noting its wait for "
                           "%s", p->name, what);
    return;
  }
  cp_log_warn("cplane", "plugin %s waiting for %s (not served): the other "
                        "plugins run without it; it starts once %s is "
                        "served", p->name, what, what);
}

static void remove_wait(struct cp_registry *reg,
                        const struct cplane_plugin_ctx *p) {
  struct cp_wait *w = find_wait(reg, p);

  if (w == NULL)
    return;
  pthread_mutex_lock(&reg->mu);
  *w = reg->waits[--reg->n_waits];
  pthread_mutex_unlock(&reg->mu);
}

/* Starts p, or records it as waiting when a resource it watches is not
 * served: it must hold neither the other plugins nor /readyz. */
static int start_or_wait(struct cp_registry *reg, struct cplane_plugin_ctx *p,
                         char **errmsg) {
  char what[256];

  if (plugin_unserved(reg, p, what, sizeof what)) {
    add_wait(reg, p, what);
    return 0;
  }
  return cp_controller_start(p, p->informers, errmsg);
}

/* 1 when a waiting plugin watches s. */
static int wanted_by_waiting(struct cp_registry *reg,
                             const struct cp_shared_informer *s) {
  size_t w;
  uint32_t r;

  for (w = 0; w < reg->n_waits; w++) {
    const struct cplane_plugin_ctx *p = reg->waits[w].plugin;

    for (r = 0; p->informers != NULL && r < p->desc.n_resources; r++)
      if (p->informers[r] == s->informer)
        return 1;
  }
  return 0;
}

/* 1 when every cache p watches has synced. */
static int caches_synced(const struct cplane_plugin_ctx *p) {
  uint32_t r;

  for (r = 0; p->informers != NULL && r < p->desc.n_resources; r++)
    if (!cp_informer_has_synced(p->informers[r]))
      return 0;
  return 1;
}

size_t cp_registry_waiting(struct cp_registry *reg) { return reg->n_waits; }

void cp_registry_recheck(struct cp_registry *reg) {
  char what[256], *err = NULL;
  size_t i;

  for (i = 0; i < reg->n_informers; i++) {
    struct cp_shared_informer *s = &reg->informers[i];

    if (reg->client == NULL || !s->not_served ||
        !wanted_by_waiting(reg, s) || check_served(reg, s) == CP_SERVED_NO)
      continue;
    cp_served_name(&s->res, what, sizeof what);
    cp_log_info("cplane", "%s is served now: watching it", what);
    if (start_reflector(reg, s) < 0)
      cp_log_error("cplane", "cannot start the reflector for %s", s->id);
  }
  for (i = reg->n_waits; i > 0; i--) {
    struct cplane_plugin_ctx *p = reg->waits[i - 1].plugin;

    snprintf(what, sizeof what, "%s", reg->waits[i - 1].what);
    if (plugin_unserved(reg, p, what, sizeof what) || !caches_synced(p))
      continue;
    remove_wait(reg, p);
    if (!reg->running)
      continue;
    if (cp_controller_start(p, p->informers, &err) < 0) {
      cp_log_error("cplane", "%s", err != NULL ? err : "cannot start");
      free(err);
      err = NULL;
      continue;
    }
    cp_log_info("cplane", "plugin %s started: %s is served now", p->name,
                what);
  }
}

int cp_registry_start(struct cp_registry *reg, char **errmsg) {
  if (cp_registry_start_caches(reg, errmsg) < 0)
    return -1;
  return cp_registry_start_controllers(reg, errmsg);
}

int cp_registry_start_caches(struct cp_registry *reg, char **errmsg) {
  size_t i;

  *errmsg = NULL;
  for (i = 0; i < reg->n_informers; i++) {
    if (cp_informer_start(reg->informers[i].informer) != 0) {
      if (asprintf(errmsg, "cannot start informer %s",
                   reg->informers[i].id) < 0)
        *errmsg = NULL;
      return -1;
    }
  }
  if (reg->client != NULL && start_reflectors(reg, errmsg) < 0)
    return -1;
  for (i = 0; i < reg->n_plugins; i++) {
    reg->plugins[i]->client = reg->client;
    cp_plugin_identity_attach(reg->identity, reg->plugins[i]);
  }
  return 0;
}

int cp_registry_start_controllers(struct cp_registry *reg, char **errmsg) {
  size_t i;

  *errmsg = NULL;
  reg->running = 1;
  for (i = 0; i < reg->n_plugins; i++) {
    if (start_or_wait(reg, reg->plugins[i], errmsg) < 0)
      return -1;
  }
  return 0;
}

/* Starts the informers (and reflectors) a reload added. */
static void start_new_informers(struct cp_registry *reg, size_t from) {
  size_t i;

  for (i = from; i < reg->n_informers; i++) {
    struct cp_shared_informer *s = &reg->informers[i];

    cp_informer_start(s->informer);
    if (reg->client == NULL || check_served(reg, s) == CP_SERVED_NO)
      continue;
    if (start_reflector(reg, s) < 0)
      cp_log_error("cplane", "cannot start the reflector for %s", s->id);
  }
}

static const struct cp_plugin_config *find_config(const struct cp_config *c,
                                                  const char *name) {
  size_t i;

  for (i = 0; i < c->n_plugins; i++)
    if (strcmp(c->plugins[i].name, name) == 0)
      return &c->plugins[i];
  return NULL;
}

/* /readyz reads the flag on the health thread. */
static void set_disabled(struct cp_registry *reg, struct cplane_plugin_ctx *p,
                         int disabled) {
  pthread_mutex_lock(&reg->mu);
  p->disabled = disabled;
  pthread_mutex_unlock(&reg->mu);
}

int cp_registry_reload(struct cp_registry *reg, const struct cp_config *cfg,
                       const char *plugin_dir, char **errmsg) {
  size_t i, informers_before;
  int changed = 0;
  char *err = NULL;

  *errmsg = NULL;
  /* A refused section now disabled or gone no longer fails readiness. */
  pthread_mutex_lock(&reg->mu);
  for (i = reg->n_refusals; i > 0; i--) {
    const struct cp_plugin_config *pc =
        find_config(cfg, reg->refusals[i - 1].name);

    if (!runs_here(pc))
      forget_refusal(reg, reg->refusals[i - 1].name);
  }
  pthread_mutex_unlock(&reg->mu);
  /* Stop what is no longer enabled. */
  for (i = 0; i < reg->n_plugins; i++) {
    struct cplane_plugin_ctx *p = reg->plugins[i];
    const struct cp_plugin_config *pc = find_config(cfg, p->name);

    if (!runs_here(pc) && find_wait(reg, p) != NULL) {
      remove_wait(reg, p);
      cp_log_info("cplane", "plugin %s disabled by the new configuration "
                            "(it was waiting for a resource)", p->name);
      changed++;
      continue;
    }

    if (!runs_here(pc) && p->state == CP_PLUGIN_RUNNING) {
      size_t stuck = cp_inflight_stuck(&p->inflight, cp_inflight_now_ns());

      /* Draining waits for every call to return: with one known stuck,
       * the main thread would wait forever, deaf to SIGTERM. */
      if (stuck > 0) {
        cp_log_error("cplane", "plugin %s has %zu stuck call(s): not "
                               "disabled now (draining would block the "
                               "host); reload again once they return, or "
                               "restart", p->name, stuck);
        continue;
      }
      cp_controller_stop(p);
      set_disabled(reg, p, 1);
      cp_log_info("cplane", "plugin %s disabled by the new configuration",
                  p->name);
      changed++;
    }
  }
  /* The new file's keys for plugins loaded already (one loaded below is
   * checked as it loads): a misspelling added to a running plugin's
   * section is said now, not at the next start. */
  for (i = 0; i < cfg->n_plugins; i++) {
    struct cplane_plugin_ctx *p = cp_registry_find(reg, cfg->plugins[i].name);

    if (p != NULL && runs_here(&cfg->plugins[i]))
      warn_unknown_keys(reg, p, &cfg->plugins[i]);
  }
  /* Start what is newly enabled. */
  for (i = 0; i < cfg->n_plugins; i++) {
    const struct cp_plugin_config *pc = &cfg->plugins[i];
    struct cplane_plugin_ctx *p = cp_registry_find(reg, pc->name);

    if (!runs_here(pc) || (p != NULL && (p->state == CP_PLUGIN_RUNNING ||
                                          find_wait(reg, p) != NULL)))
      continue;
    if (p == NULL) {
      pthread_mutex_lock(&reg->mu);
      informers_before = reg->n_informers;
      if (load_one(reg, pc, plugin_dir, &err) < 0) {
        note_refusal(reg, pc->name, err);
        pthread_mutex_unlock(&reg->mu);
        cp_log_error("loader", "%s", err != NULL ? err : "out of memory");
        free(*errmsg);
        *errmsg = err;
        err = NULL;
        continue;
      }
      forget_refusal(reg, pc->name);
      pthread_mutex_unlock(&reg->mu);
      start_new_informers(reg, informers_before);
      p = cp_registry_find(reg, pc->name);
      p->client = reg->client;
      cp_plugin_identity_attach(reg->identity, p);
    }
    p->config = pc;
    if (reg->running && start_or_wait(reg, p, &err) < 0) {
      cp_log_error("cplane", "%s", err != NULL ? err : "cannot start");
      free(err);
      err = NULL;
      continue;
    }
    set_disabled(reg, p, 0);
    cp_log_info("cplane", "plugin %s enabled by the new configuration",
                p->name);
    changed++;
  }
  reg->config = cfg;
  return changed;
}

void cp_registry_stop(struct cp_registry *reg) {
  size_t i;

  /* Feeds first, then workers, then the caches. */
  for (i = 0; i < reg->n_informers; i++) {
    cp_reflector_free(reg->informers[i].reflector);
    reg->informers[i].reflector = NULL;
  }
  for (i = reg->n_plugins; i > 0; i--)
    cp_controller_stop(reg->plugins[i - 1]);
  for (i = 0; i < reg->n_informers; i++)
    cp_informer_stop(reg->informers[i].informer);
  for (i = reg->n_plugins; i > 0; i--)
    cp_plugin_fini(reg->plugins[i - 1]);
}

void cp_registry_free(struct cp_registry *reg) {
  size_t i;

  if (reg == NULL)
    return;
  cp_registry_stop(reg);
  for (i = 0; i < reg->n_plugins; i++)
    cp_plugin_free(reg->plugins[i]);
  for (i = 0; i < reg->n_informers; i++) {
    cp_informer_free(reg->informers[i].informer);
    free(reg->informers[i].id);
  }
  for (i = 0; i < reg->n_refusals; i++) {
    free(reg->refusals[i].name);
    free(reg->refusals[i].why);
  }
  free(reg->refusals);
  free(reg->waits);
  free(reg->plugins);
  free(reg->informers);
  pthread_mutex_destroy(&reg->mu);
  memset(reg, 0, sizeof *reg);
}

int cp_registry_ready(struct cp_registry *reg, FILE *out) {
  uint64_t now = cp_inflight_now_ns();
  size_t i;
  int all = 1;

  pthread_mutex_lock(&reg->mu);
  for (i = 0; i < reg->n_refusals; i++) {
    fprintf(out, "[-]plugin %s failed to load: %s\n", reg->refusals[i].name,
            reg->refusals[i].why);
    all = 0;
  }
  for (i = 0; i < reg->n_plugins; i++) {
    struct cplane_plugin_ctx *p = reg->plugins[i];

    /* Not p->state: the main thread changes it without mu. A call stuck
     * in a plugin that a reload is draining is as stuck as any. */
    struct cp_wait *w = find_wait(reg, p);

    if (cp_inflight_ready_lines(&p->inflight, now, out) > 0)
      all = 0;
    else if (p->disabled)
      fprintf(out, "[+]plugin %s disabled by the configuration\n", p->name);
    else if (w != NULL)
      fprintf(out, "[+]plugin %s waiting for %s (not served)\n", p->name,
              w->what);
    else
      fprintf(out, "[+]plugin %s ok\n", p->name);
  }
  for (i = 0; i < reg->n_informers; i++) {
    int ok = cp_informer_has_synced(reg->informers[i].informer) != 0;

    /* Nothing to sync: its plugins say they wait. */
    if (reg->informers[i].not_served)
      continue;

    fprintf(out, "[%c]cache %s %s\n", ok ? '+' : '-',
            reg->informers[i].reflector
                ? cp_reflector_name(reg->informers[i].reflector)
                : reg->informers[i].id,
            ok ? "synced" : "not synced");
    all &= ok;
  }
  pthread_mutex_unlock(&reg->mu);
  return all;
}

/* Sums fn over every plugin's in-flight calls, now. */
static size_t each_inflight(struct cp_registry *reg,
                            size_t (*fn)(struct cp_inflight_set *,
                                         uint64_t)) {
  uint64_t now = cp_inflight_now_ns();
  size_t i, sum = 0;

  pthread_mutex_lock(&reg->mu);
  for (i = 0; i < reg->n_plugins; i++)
    sum += fn(&reg->plugins[i]->inflight, now);
  pthread_mutex_unlock(&reg->mu);
  return sum;
}

size_t cp_registry_watch(struct cp_registry *reg) {
  return each_inflight(reg, cp_inflight_report);
}

size_t cp_registry_log_running(struct cp_registry *reg) {
  return each_inflight(reg, cp_inflight_log_running);
}

static void stuck_metrics(struct cp_registry *reg, FILE *out) {
  uint64_t now = cp_inflight_now_ns();
  size_t i;

  fputs("# HELP cplane_plugin_stuck_calls Plugin callbacks running past "
        "their bound right now (reconcile_deadline, or 10 s for event "
        "handlers)\n"
        "# TYPE cplane_plugin_stuck_calls gauge\n", out);
  for (i = 0; i < reg->n_plugins; i++)
    fprintf(out, "cplane_plugin_stuck_calls{plugin=\"%s\"} %zu\n",
            reg->plugins[i]->name,
            cp_inflight_stuck(&reg->plugins[i]->inflight, now));
}

static void reconcile_metrics(struct cp_registry *reg, FILE *out) {
  size_t i;

  fputs("# HELP controller_runtime_reconcile_total Total number of "
        "reconciliations per controller\n"
        "# TYPE controller_runtime_reconcile_total counter\n", out);
  for (i = 0; i < reg->n_plugins; i++) {
    struct cplane_plugin_ctx *p = reg->plugins[i];
    unsigned long long all = atomic_load(&p->reconciles);
    unsigned long long err = atomic_load(&p->reconcile_errors);
    unsigned long long term = atomic_load(&p->reconcile_terminal);
    unsigned long long req = atomic_load(&p->reconcile_requeues);
    unsigned long long now = atomic_load(&p->reconcile_requeues_now);
    unsigned long long ok = all - err - term - req - now;

    fprintf(out, "controller_runtime_reconcile_total{controller=\"%s\","
                 "result=\"success\"} %llu\n"
                 "controller_runtime_reconcile_total{controller=\"%s\","
                 "result=\"error\"} %llu\n"
                 "controller_runtime_reconcile_total{controller=\"%s\","
                 "result=\"requeue_after\"} %llu\n"
                 "controller_runtime_reconcile_total{controller=\"%s\","
                 "result=\"requeue\"} %llu\n",
            p->name, ok > all ? 0 : ok, p->name, err + term, p->name, req,
            p->name, now);
  }
  fputs("# HELP controller_runtime_reconcile_errors_total Total number of "
        "reconciliation errors per controller\n"
        "# TYPE controller_runtime_reconcile_errors_total counter\n", out);
  for (i = 0; i < reg->n_plugins; i++)
    fprintf(out, "controller_runtime_reconcile_errors_total{controller="
                 "\"%s\"} %llu\n",
            reg->plugins[i]->name,
            (unsigned long long)atomic_load(&reg->plugins[i]->reconcile_errors));
  fputs("# HELP controller_runtime_terminal_reconcile_errors_total Total "
        "number of terminal reconciliation errors per controller\n"
        "# TYPE controller_runtime_terminal_reconcile_errors_total "
        "counter\n", out);
  for (i = 0; i < reg->n_plugins; i++)
    fprintf(out, "controller_runtime_terminal_reconcile_errors_total{"
                 "controller=\"%s\"} %llu\n",
            reg->plugins[i]->name,
            (unsigned long long)atomic_load(
                &reg->plugins[i]->reconcile_terminal));
  fputs("# HELP cplane_reconcile_deadline_overruns_total Reconciles that "
        "ran past the plugin's reconcile_deadline\n"
        "# TYPE cplane_reconcile_deadline_overruns_total counter\n", out);
  for (i = 0; i < reg->n_plugins; i++)
    fprintf(out, "cplane_reconcile_deadline_overruns_total{controller="
                 "\"%s\"} %llu\n",
            reg->plugins[i]->name,
            (unsigned long long)atomic_load(
                &reg->plugins[i]->deadline_overruns));
}

static void reflector_metric(struct cp_registry *reg, FILE *out,
                             const char *name, const char *type,
                             const char *help, int which) {
  size_t i;

  fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
  for (i = 0; i < reg->n_informers; i++) {
    struct cp_reflector *r = reg->informers[i].reflector;
    struct cp_reflector_stats st;
    unsigned long long v;

    if (r == NULL)
      continue;
    cp_reflector_stats(r, &st);
    v = which == 0   ? st.lists
        : which == 1 ? st.watches
        : which == 2 ? st.relists
        : which == 3 ? st.events
        : which == 4 ? st.failures
                     : (unsigned long long)st.last_resource_version;
    fprintf(out, "%s{resource=\"%s\"} %llu\n", name, cp_reflector_name(r),
            v);
  }
}

int cp_registry_metrics_write(struct cp_registry *reg, FILE *out) {
  size_t i;
  int first = 1;

  pthread_mutex_lock(&reg->mu);
  for (i = 0; i < reg->n_plugins; i++) {
    if (reg->plugins[i]->queue == NULL)
      continue;
    cp_workqueue_metrics_write(reg->plugins[i]->queue, out, first);
    first = 0;
  }
  reconcile_metrics(reg, out);
  stuck_metrics(reg, out);
  cp_event_recorder_metrics_write(reg->plugins, reg->n_plugins, out);
  cp_confine_metrics_write(reg->plugins, reg->n_plugins, out);
  reflector_metric(reg, out, "cplane_reflector_lists_total", "counter",
                   "Lists made by the reflector", 0);
  reflector_metric(reg, out, "cplane_reflector_watches_total", "counter",
                   "Watches started by the reflector", 1);
  reflector_metric(reg, out, "cplane_reflector_relists_total", "counter",
                   "Relists after an expired resourceVersion", 2);
  reflector_metric(reg, out, "cplane_reflector_events_total", "counter",
                   "Watch events applied to the cache", 3);
  reflector_metric(reg, out, "cplane_reflector_failures_total", "counter",
                   "Failed lists or watches (each followed by a backoff)",
                   4);
  reflector_metric(reg, out, "cplane_reflector_last_resource_version",
                   "gauge", "The last resourceVersion seen", 5);
  pthread_mutex_unlock(&reg->mu);
  return ferror(out) ? -1 : 0;
}

int cp_registry_attach(struct cp_registry *reg, struct cplane_plugin_ctx *p,
                       char **errmsg) {
  size_t before;
  int rc;

  *errmsg = NULL;
  pthread_mutex_lock(&reg->mu);
  before = reg->n_informers;
  rc = attach_informers(reg, p, errmsg);
  pthread_mutex_unlock(&reg->mu);
  /* Only a resource no plugin watched before gets a new cache (and
   * watch); the others are the shared, warm ones. */
  start_new_informers(reg, before);
  p->client = reg->client;
  cp_plugin_identity_attach(reg->identity, p);
  return rc;
}

void cp_registry_replace(struct cp_registry *reg,
                         struct cplane_plugin_ctx *old,
                         struct cplane_plugin_ctx *nu) {
  size_t i;

  pthread_mutex_lock(&reg->mu);
  for (i = 0; i < reg->n_plugins; i++)
    if (reg->plugins[i] == old)
      reg->plugins[i] = nu;
  pthread_mutex_unlock(&reg->mu);
}
