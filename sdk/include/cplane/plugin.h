/*
 * cplane/plugin.h - what a plugin is: its descriptor and its callbacks.
 *
 * A plugin is a shared object that exports exactly one function,
 *
 *     const struct cplane_plugin *cplane_plugin_entry(void);
 *
 * usually written with CPLANE_PLUGIN_DEFINE(). The descriptor it returns is
 * static data the host reads once at load and never writes. The host checks
 * `struct_size` and the ABI numbers before reading anything else.
 *
 * Threading contract (the host guarantees all of it):
 *   - init() and fini() run once each, on the host's main thread.
 *   - on_add/on_update/on_delete run on a host dispatch thread, in order per
 *     object (one dispatch thread per plugin and watched resource, so events
 *     of two different resources may arrive concurrently). They must not
 *     block: look at the object, call api->enqueue(), return. Never write
 *     through the API from them.
 *   - reconcile() runs on the plugin's worker threads (`workers` in the INI,
 *     default 1). Different keys run concurrently; the same key never runs
 *     on two workers at once.
 *   - Callbacks are never called after fini() has started.
 */
#ifndef CPLANE_PLUGIN_H
#define CPLANE_PLUGIN_H

#include <cplane/host_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One resource the plugin watches (group/version/resource, e.g.
 * {"apps", "v1", "replicasets"}; the core group is ""). The same struct
 * names the target of a write. Selectors are optional (NULL: everything);
 * the host shares one watch among all plugins asking for the same
 * resource and selectors. */
struct cplane_resource {
  uint32_t struct_size; /* sizeof(struct cplane_resource) */
  uint32_t flags;       /* reserved, 0 */
  const char *group;
  const char *version;
  const char *resource;
  const char *label_selector;
  const char *field_selector;
};

/* Fills a struct cplane_resource with only group/version/resource. */
#define CPLANE_RESOURCE(g, v, r)                                           \
  { sizeof(struct cplane_resource), 0, (g), (v), (r), NULL, NULL }

struct cplane_plugin {
  uint32_t struct_size; /* sizeof(struct cplane_plugin) at build time */
  uint16_t abi_major;   /* CPLANE_ABI_MAJOR at build time */
  uint16_t abi_minor;   /* CPLANE_ABI_MINOR at build time */
  const char *name;     /* unique; matches the INI section [plugin.NAME] */
  const char *version;  /* the plugin's own version, free text */
  uint32_t kind;        /* CPLANE_KIND_CONTROLLER or CPLANE_KIND_SCHEDULER */
  uint32_t n_resources; /* entries in resources[] */
  const struct cplane_resource *resources; /* watched; stride struct_size */

  /* Main thread, once, before any other callback. Keep `api`: it stays
   * valid until fini() returns. Return CPLANE_OK, or a negative status and
   * optionally set *errmsg to a message allocated with api->alloc (or
   * api->json_format); the host logs it, frees it and does not start the
   * plugin (fini() is then not called). */
  int (*init)(cplane_plugin_ctx *ctx, const struct cplane_host_api *api,
              char **errmsg);
  /* Main thread, once, after every worker and dispatch has stopped. Free
   * everything the plugin owns. May be NULL. */
  void (*fini)(cplane_plugin_ctx *ctx);

  /* Dispatch thread. `resource` indexes resources[]; objects are borrowed
   * for the call. Must not block. Each may be NULL. on_update also runs on
   * resync, with old_obj == new_obj. */
  void (*on_add)(cplane_plugin_ctx *ctx, uint32_t resource,
                 const cplane_object *obj);
  void (*on_update)(cplane_plugin_ctx *ctx, uint32_t resource,
                    const cplane_object *old_obj,
                    const cplane_object *new_obj);
  void (*on_delete)(cplane_plugin_ctx *ctx, uint32_t resource,
                    const cplane_object *obj);

  /* Worker thread. Brings the world in line with the desired state of
   * `key` (borrowed for the call). Returns CPLANE_RECONCILE_*; for
   * CPLANE_RECONCILE_REQUEUE_AFTER set *requeue_after_ms. May block on
   * writes. Never runs concurrently for the same key. May be NULL for a
   * plugin that only observes. */
  int (*reconcile)(cplane_plugin_ctx *ctx, const char *key,
                   uint32_t *requeue_after_ms);

  /* ---- Added in ABI 1.3 ---------------------------------------------- */

  /* The keys the plugin reads from its [plugin.NAME] section, ending with
   * NULL (the host's own keys need not be listed). `cplane --check-config`
   * and start-up report any other key in the section, with file and line,
   * as a likely misspelling. NULL: the plugin does not say, nothing is
   * checked. */
  const char *const *config_keys;

  /* ---- Added in ABI 1.4 ---------------------------------------------- */

  /* What the plugin writes beyond what it watches (stride struct_size;
   * only group and resource are read): "pods", "events", a subresource
   * ("pods/binding", "widgets/status"), a subresource of every resource
   * (RBAC's form: a star, a slash, "scale"), or "*" (every resource of
   * the group; group "*": every group). A watched resource may be written
   * with all its subresources, and so may a resource declared here by
   * name; "R/S" allows only that subresource. With [host]
   * confine_plugins = true the host refuses (403, before any request) a
   * write to anything else, and with plugin_credentials = own a plugin
   * without a bootstrap role gets one reading what it watches and
   * writing what it declares (docs/host-runtime.md). Events recorded
   * with event_record() need no declaration. */
  uint32_t n_writes;
  uint32_t reserved; /* 0 */
  const struct cplane_resource *writes;
};

#if UINTPTR_MAX == 0xffffffffffffffffu
CPLANE_STATIC_ASSERT(sizeof(struct cplane_resource) == 48, "cplane_resource");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_resource, flags) == 4, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_resource, group) == 8, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_resource, version) == 16, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_resource, resource) == 24, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_resource, label_selector) == 32, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_resource, field_selector) == 40, "abi");
CPLANE_STATIC_ASSERT(sizeof(struct cplane_plugin) == 112, "cplane_plugin");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, abi_major) == 4, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, abi_minor) == 6, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, name) == 8, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, version) == 16, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, kind) == 24, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, n_resources) == 28, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, resources) == 32, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, init) == 40, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, fini) == 48, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, on_add) == 56, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, on_update) == 64, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, on_delete) == 72, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, reconcile) == 80, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, config_keys) == 88, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, n_writes) == 96, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_plugin, writes) == 104, "abi");
#endif

/* The entry point's type, for hosts and tests that dlsym() it. */
typedef const struct cplane_plugin *(*cplane_plugin_entry_fn)(void);

/* The ABI numbers a plugin was built for, stored in its own ELF section
 * (CPLANE_ABI_NOTE_SECTION) so that the host reads them from the file and
 * refuses a mismatch before dlopen() runs any of the plugin's code (its
 * ELF constructors included). CPLANE_PLUGIN_DEFINE() emits it; a plugin
 * without it is refused. All fields are in the plugin's (= the host's)
 * byte order. */
struct cplane_abi_note {
  uint32_t magic; /* CPLANE_ABI_NOTE_MAGIC */
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t reserved; /* 0 */
};
#define CPLANE_ABI_NOTE_SECTION "cplane_abi"
#define CPLANE_ABI_NOTE_MAGIC 0x4e4c5043u /* "CPLN" */

/* Emits the ABI note; CPLANE_PLUGIN_DEFINE() does it for you. `used`
 * keeps the otherwise unreferenced object in the output. */
#define CPLANE_PLUGIN_ABI_NOTE(major, minor)                               \
  __attribute__((used, aligned(4), section(CPLANE_ABI_NOTE_SECTION)))      \
  static const struct cplane_abi_note cplane_abi_note_ = {                 \
      CPLANE_ABI_NOTE_MAGIC, (major), (minor), 0};

/* Defines the exported entry point returning &desc, and the ABI note. Use
 * once per plugin:
 *   static const struct cplane_plugin desc = { ... };
 *   CPLANE_PLUGIN_DEFINE(desc)                                           */
#define CPLANE_PLUGIN_DEFINE(desc)                                         \
  CPLANE_PLUGIN_ABI_NOTE(CPLANE_ABI_MAJOR, CPLANE_ABI_MINOR)               \
  CPLANE_EXPORT const struct cplane_plugin *cplane_plugin_entry(void);     \
  CPLANE_EXPORT const struct cplane_plugin *cplane_plugin_entry(void) {    \
    return &(desc);                                                        \
  }

/* Fills the first three fields of a descriptor for this SDK. */
#define CPLANE_PLUGIN_HEADER                                               \
  .struct_size = sizeof(struct cplane_plugin),                             \
  .abi_major = CPLANE_ABI_MAJOR, .abi_minor = CPLANE_ABI_MINOR

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_PLUGIN_H */
