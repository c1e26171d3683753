/*
 * summary - the one start-up line that names every plugin the host knows
 * of, so none is silently absent:
 *   plugins: loaded deployment 0.1.0, scheduler 0.1.0; refused mine (why);
 *   installed but not enabled: foo.so, bar.so (enable in [plugin.NAME])
 * "Installed" is any *.so in the plugin directory that no enabled section
 * loads (its file = ...).
 *
 * Threading: main thread, while the registry does not change.
 * Ownership: borrows everything; the line is built and freed here.
 */
#ifndef CPLANE_HOST_PLUGIN_SUMMARY_H
#define CPLANE_HOST_PLUGIN_SUMMARY_H

#include "config/config.h"
#include "plugin/registry.h"

/* Writes the line into a malloc'd string (*out), or returns -1 when out
 * of memory. A plugin directory that cannot be read adds nothing. */
int cp_plugin_summary(const struct cp_registry *reg,
                      const struct cp_config *cfg, const char *plugin_dir,
                      char **out);
/* cp_plugin_summary() logged at INFO (component "cplane"). */
void cp_plugin_summary_log(const struct cp_registry *reg,
                           const struct cp_config *cfg,
                           const char *plugin_dir);

#endif /* CPLANE_HOST_PLUGIN_SUMMARY_H */
