/*
 * isolated - what `isolation = process` means for the INI: which plugins
 * the supervisor runs (each as the cplane binary in host-only mode with
 * that plugin alone, against the same API server) and, in such a child,
 * which one plugin stays.
 *
 * The parent's command line for plugin X is
 *   EXE --config INI --only-plugin X --plugin-dir DIR --strict
 *       [--kubeconfig K] [--log-level L]
 * where K is the admin kubeconfig the embedded API server wrote (its URL,
 * CA and token); with an external API server the child reads the same
 * [host] api_server and kubeconfig from the INI as the parent did. The
 * child's own caches are its own.
 *
 * Threading: main thread. Ownership: nothing is kept beyond the call.
 */
#ifndef CPLANE_HOST_PLUGIN_ISOLATED_H
#define CPLANE_HOST_PLUGIN_ISOLATED_H

#include "config/config.h"
#include "plugin/supervisor.h"

struct cp_isolated_launch {
  const char *exe;         /* the cplane binary (/proc/self/exe) */
  const char *config_path; /* the INI, as the parent read it */
  const char *plugin_dir;  /* the parent's plugin directory */
  const char *kubeconfig;  /* embedded server's kubeconfig, or NULL */
  const char *log_level;   /* the parent's --log-level, or NULL */
};

/* Supervises every enabled isolated plugin of cfg (a changed section or
 * plugin file restarts its child) and stops supervising the others.
 * Returns how many plugins changed. */
int cp_isolated_apply(struct cp_supervisor *s, const struct cp_config *cfg,
                      const struct cp_isolated_launch *l);
/* In a child: only section `name` stays enabled, and in-process. Returns
 * 0, or -1 with *errmsg (malloc'd) when cfg has no enabled [plugin.NAME]. */
int cp_isolated_only(struct cp_config *cfg, const char *name, char **errmsg);
/* How many enabled plugins cfg isolates. */
size_t cp_isolated_count(const struct cp_config *cfg);

#endif /* CPLANE_HOST_PLUGIN_ISOLATED_H */
