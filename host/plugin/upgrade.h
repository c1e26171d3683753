/*
 * upgrade - hot upgrade of a plugin whose file changed (SIGHUP).
 *
 * A plugin's file is read through every loader check into a sealed private
 * image (image.h) and compared with the running build by SHA-256 of its
 * bytes (never name or mtime): the same content is left alone. A new
 * build is loaded beside the old one and its init() run; if it is
 * refused or init() fails, one WARN line says why and the old build keeps
 * running untouched. Otherwise, in this order:
 *   1. the old build's informer handlers are unregistered (no on_* runs
 *      any more) and its workers finish the keys they are running, then
 *      return; its queue, with every key still queued or delayed and
 *      their backoffs, is kept;
 *   2. the old build's fini() runs;
 *   3. the new build starts on that queue and on the same shared
 *      informers (no watch is re-established; its handlers get the cached
 *      objects as adds, as any new handler does), under the same name, so
 *      the same metrics series go on (counters carried over).
 * One INFO line: "plugin X upgraded 0.1.0 -> 0.2.0 (sha256 abcd1234 ->
 * ef567890)". Images are never dlclose()d: each upgrade (and each refused
 * build that got mapped) leaves one image mapped, and past
 * max_retained_images ([host]) an upgrade is refused with a warning that
 * says to restart. A build once refused is not tried again until its
 * content changes.
 *
 * A plugin not running (disabled, or a standby's before it leads) is
 * swapped the same way without steps 1 and 3. A plugin with a stuck call
 * is not upgraded (draining it would block the host).
 *
 * Threading: main thread, as the registry's reload.
 * Ownership: the registry keeps owning its plugins; a replaced build's
 * record is freed, its image stays mapped.
 */
#ifndef CPLANE_HOST_PLUGIN_UPGRADE_H
#define CPLANE_HOST_PLUGIN_UPGRADE_H

#include "config/config.h"
#include "plugin/registry.h"

enum cp_upgrade_result {
  CP_UPGRADE_UNCHANGED, /* same content, or nothing running to upgrade */
  CP_UPGRADE_DONE,      /* the new build runs */
  CP_UPGRADE_REFUSED,   /* the old build keeps running; *why says why */
};

/* Upgrades the plugin of section pc if its file changed. max_retained
 * bounds the old images mapped for this plugin. On CP_UPGRADE_REFUSED,
 * *why (malloc'd, may be NULL when out of memory) says why; it was
 * logged too. why may be NULL. */
enum cp_upgrade_result cp_upgrade_plugin(struct cp_registry *reg,
                                         const struct cp_plugin_config *pc,
                                         const char *plugin_dir,
                                         unsigned max_retained, char **why);
/* cp_upgrade_plugin() for every enabled section of cfg. Returns how many
 * plugins were upgraded. */
size_t cp_upgrade_all(struct cp_registry *reg, const struct cp_config *cfg,
                      const char *plugin_dir);

#endif /* CPLANE_HOST_PLUGIN_UPGRADE_H */
