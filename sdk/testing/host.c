/*
 * host - the fake host's lifecycle: the table, the plugin (checked as the
 * loader checks it, linked in or dlopen()ed), its INI keys and context.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit.h"

/* The host's own keys of a [plugin.NAME] section, always readable. */
static const char *const host_keys[] = {
    "enabled",   "file", "workers", "resync", "reconcile_deadline",
    "isolation", NULL};

#define MAX_RESOURCES 64

static const char *kit_config_get(cplane_plugin_ctx *ctx, const char *key);
static void kit_set_userdata(cplane_plugin_ctx *ctx, void *userdata);
static void *kit_get_userdata(cplane_plugin_ctx *ctx);
static const char *kit_plugin_name(cplane_plugin_ctx *ctx);

cplane_test_host *cplane_test_host_new(void) {
  cplane_test_host *h = calloc(1, sizeof *h);

  if (h == NULL)
    return NULL;
  if (pthread_mutex_init(&h->mu, NULL) != 0) {
    free(h);
    return NULL;
  }
  h->ctx.host = h;
  h->now_ms = CPLANE_TEST_EPOCH_MS;
  h->api.struct_size = sizeof h->api;
  h->api.abi_major = CPLANE_ABI_MAJOR;
  h->api.abi_minor = CPLANE_ABI_MINOR;
  kit_objects_fill(&h->api);
  kit_record_fill(&h->api);
  kit_queue_fill(&h->api);
  kit_cache_fill(&h->api);
  kit_writes_fill(&h->api);
  kit_request_fill(&h->api);
  h->api.config_get = kit_config_get;
  h->api.set_userdata = kit_set_userdata;
  h->api.get_userdata = kit_get_userdata;
  h->api.plugin_name = kit_plugin_name;
  return h;
}

void cplane_test_host_free(cplane_test_host *h) {
  size_t i;

  if (h == NULL)
    return;
  if (h->started && h->plugin->fini != NULL)
    h->plugin->fini(&h->ctx);
  if (h->dl != NULL)
    dlclose(h->dl);
  kit_store_free(h);
  kit_cache_free(h);
  kit_writes_free(h);
  kit_failures_free(h);
  kit_queue_free(h);
  kit_record_free(h);
  for (i = 0; h->watches != NULL && i < h->plugin->n_resources; i++)
    free(h->watches[i].label_selector);
  free(h->watches);
  free((void *)h->plugin);
  for (i = 0; i < h->n_config; i++) {
    free(h->config[i].key);
    free(h->config[i].value);
  }
  free(h->config);
  free(h->start_error);
  pthread_mutex_destroy(&h->mu);
  free(h);
}

/* ---- config ---- */

int cplane_test_config_set(cplane_test_host *h, const char *key,
                           const char *value) {
  struct kv *grown;
  char *k, *v;
  size_t i;

  if (h == NULL || key == NULL || value == NULL)
    return CPLANE_EINVAL;
  if ((v = strdup(value)) == NULL)
    return CPLANE_ENOMEM;
  for (i = 0; i < h->n_config; i++)
    if (strcmp(h->config[i].key, key) == 0) {
      free(h->config[i].value);
      h->config[i].value = v;
      return CPLANE_OK;
    }
  grown = realloc(h->config, (h->n_config + 1) * sizeof *grown);
  if (grown == NULL || (k = strdup(key)) == NULL) {
    h->config = grown != NULL ? grown : h->config;
    free(v);
    return CPLANE_ENOMEM;
  }
  h->config = grown;
  h->config[h->n_config++] = (struct kv){k, v};
  return CPLANE_OK;
}

static const char *kit_config_get(cplane_plugin_ctx *ctx, const char *key) {
  struct cplane_test_host *h = ctx != NULL ? ctx->host : NULL;
  size_t i;

  if (h == NULL || key == NULL)
    return NULL;
  for (i = 0; i < h->n_config; i++)
    if (strcmp(h->config[i].key, key) == 0)
      return h->config[i].value;
  return strcmp(key, "enabled") == 0 ? "true" : NULL;
}

/* Says which keys the test set that the plugin does not declare, as
 * `cplane --check-config` would. */
static void check_config_keys(struct cplane_test_host *h) {
  const char *const *keys = h->plugin->config_keys;
  size_t i, k;

  for (i = 0; keys != NULL && i < h->n_config; i++) {
    int known = 0;

    for (k = 0; keys[k] != NULL && !known; k++)
      known = strcmp(keys[k], h->config[i].key) == 0;
    for (k = 0; host_keys[k] != NULL && !known; k++)
      known = strcmp(host_keys[k], h->config[i].key) == 0;
    if (!known)
      kit_log(h, "KIT",
              "[plugin.%s]: unknown key '%s' (not in the "
              "plugin's config_keys)",
              h->plugin->name, h->config[i].key);
  }
}

static void kit_set_userdata(cplane_plugin_ctx *ctx, void *userdata) {
  if (ctx != NULL && ctx->host != NULL)
    ctx->host->userdata = userdata;
}

static void *kit_get_userdata(cplane_plugin_ctx *ctx) {
  return ctx != NULL && ctx->host != NULL ? ctx->host->userdata : NULL;
}

static const char *kit_plugin_name(cplane_plugin_ctx *ctx) {
  return ctx != NULL && ctx->host != NULL && ctx->host->plugin != NULL
             ? ctx->host->plugin->name
             : NULL;
}

/* ---- start ---- */

static int refuse(struct cplane_test_host *h, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(struct cplane_test_host *h, int rc, const char *fmt, ...) {
  va_list ap;

  free(h->start_error);
  va_start(ap, fmt);
  h->start_error = kit_vstrf(fmt, ap);
  va_end(ap);
  return rc;
}

/* The loader's checks of a descriptor. */
static int check_descriptor(struct cplane_test_host *h,
                            const struct cplane_plugin *d) {
  if (d == NULL)
    return refuse(h, CPLANE_EINVAL, "no plugin descriptor");
  if (d->struct_size <
      offsetof(struct cplane_plugin, reconcile) + sizeof d->reconcile)
    return refuse(h, CPLANE_EINVAL,
                  "descriptor struct_size is %u: rebuild "
                  "it against the cplane SDK",
                  d->struct_size);
  if (d->abi_major != CPLANE_ABI_MAJOR)
    return refuse(h, CPLANE_EINVAL, "abi_major is %u, this host supports %d",
                  d->abi_major, CPLANE_ABI_MAJOR);
  if (d->abi_minor > CPLANE_ABI_MINOR)
    return refuse(h, CPLANE_EINVAL,
                  "abi_minor is %u, newer than this "
                  "host's %d",
                  d->abi_minor, CPLANE_ABI_MINOR);
  if (d->name == NULL || d->name[0] == '\0')
    return refuse(h, CPLANE_EINVAL, "descriptor has no name");
  if (d->kind != CPLANE_KIND_CONTROLLER && d->kind != CPLANE_KIND_SCHEDULER)
    return refuse(h, CPLANE_EINVAL, "kind is %u", d->kind);
  if (d->n_resources > MAX_RESOURCES ||
      (d->n_resources > 0 && d->resources == NULL))
    return refuse(h, CPLANE_EINVAL, "n_resources is %u with resources %s",
                  d->n_resources, d->resources ? "set" : "NULL");
  if (d->init == NULL)
    return refuse(h, CPLANE_EINVAL, "descriptor has no init()");
  return CPLANE_OK;
}

/* Copies the descriptor (what both sides know) and maps its resources,
 * honouring the plugin's own struct sizes. */
static int adopt_descriptor(struct cplane_test_host *h,
                            const struct cplane_plugin *d) {
  struct cplane_plugin *copy = calloc(1, sizeof *copy);
  const unsigned char *base = (const unsigned char *)d->resources;
  uint32_t i, stride = d->n_resources > 0 ? d->resources[0].struct_size : 0;
  char name[256];

  if (copy == NULL)
    return refuse(h, CPLANE_ENOMEM, "out of memory");
  memcpy(copy, d,
         d->struct_size < sizeof *copy ? d->struct_size : sizeof *copy);
  h->plugin = copy;
  if (d->n_resources > 0 &&
      stride < offsetof(struct cplane_resource, resource) + sizeof(char *))
    return refuse(h, CPLANE_EINVAL, "resources[0].struct_size is %u", stride);
  h->watches = calloc(d->n_resources + 1, sizeof *h->watches);
  if (h->watches == NULL)
    return refuse(h, CPLANE_ENOMEM, "out of memory");
  for (i = 0; i < d->n_resources; i++) {
    const struct cplane_resource *r =
        (const struct cplane_resource *)(base + (size_t)i * stride);
    struct kit_resource *kr;
    const char *sel =
        stride >= offsetof(struct cplane_resource, label_selector) +
                      sizeof(char *)
            ? r->label_selector
            : NULL;

    if (r->resource == NULL || r->version == NULL)
      return refuse(h, CPLANE_EINVAL,
                    "resources[%u] needs version and "
                    "resource",
                    i);
    pthread_mutex_lock(&h->mu);
    kr = kit_resource_get(h, kit_resource_name(r, name, sizeof name));
    if (kr != NULL) {
      h->watches[i].store_res = (size_t)(kr - h->res);
      kit_resource_note(kr, r->version, NULL);
    }
    pthread_mutex_unlock(&h->mu);
    if (kr == NULL || (sel != NULL && sel[0] != '\0' &&
                       (h->watches[i].label_selector = strdup(sel)) == NULL))
      return refuse(h, CPLANE_ENOMEM, "out of memory");
  }
  return CPLANE_OK;
}

int cplane_test_start(cplane_test_host *h, const struct cplane_plugin *plugin) {
  char *errmsg = NULL;
  int rc;

  if (h == NULL)
    return CPLANE_EINVAL;
  if (h->plugin != NULL)
    return refuse(h, CPLANE_EINVAL,
                  "a plugin was already started on this "
                  "host");
  if ((rc = check_descriptor(h, plugin)) != CPLANE_OK ||
      (rc = adopt_descriptor(h, plugin)) != CPLANE_OK)
    return rc;
  check_config_keys(h);
  h->in_init = 1;
  rc = h->plugin->init(&h->ctx, &h->api, &errmsg);
  h->in_init = 0;
  if (rc != CPLANE_OK) {
    refuse(h, rc, "init() failed (%s): %s", cplane_status_name(rc),
           errmsg != NULL ? errmsg : "no message");
    free(errmsg);
    return rc;
  }
  free(errmsg);
  h->started = 1;
  kit_initial_list(h);
  return CPLANE_OK;
}

int cplane_test_start_so(cplane_test_host *h, const char *path) {
  cplane_plugin_entry_fn entry;

  if (h == NULL || path == NULL)
    return CPLANE_EINVAL;
  if (h->dl != NULL || h->plugin != NULL)
    return refuse(h, CPLANE_EINVAL,
                  "a plugin was already started on this "
                  "host");
  if ((h->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
    return refuse(h, CPLANE_ENOENT, "%s", dlerror());
  *(void **)&entry = dlsym(h->dl, CPLANE_PLUGIN_ENTRY_SYMBOL);
  if (entry == NULL)
    return refuse(h, CPLANE_ENOENT, "%s: no %s symbol: not a cplane plugin",
                  path, CPLANE_PLUGIN_ENTRY_SYMBOL);
  return cplane_test_start(h, entry());
}

const char *cplane_test_start_error(const cplane_test_host *h) {
  return h != NULL ? h->start_error : NULL;
}

const struct cplane_host_api *cplane_test_api(cplane_test_host *h) {
  return h != NULL ? &h->api : NULL;
}

cplane_plugin_ctx *cplane_test_ctx(cplane_test_host *h) {
  return h != NULL ? &h->ctx : NULL;
}
