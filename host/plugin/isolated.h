/*
 * isolated - what `isolation = process` means for the INI: which plugins
 * the supervisor runs (each as the cplane binary in host-only mode with
 * that plugin alone, against the same API server) and, in such a child,
 * which one plugin stays.
 *
 * The parent's command line for plugin X is
 *   EXE --config INI --only-plugin X --plugin-dir DIR --strict
 *       [--kubeconfig K] [--log-level L]
 * where K is, with [host] plugin_credentials = own, the plugin's own
 * kubeconfig (isolated_identity.h: its ServiceAccount's token, renewed by
 * the host; written before each start, with its RBAC role from the
 * descriptor a credential-less process read, isolated_describe.h), so
 * that nothing in the child can act as the host; with
 * plugin_credentials = host, the admin kubeconfig the embedded API server
 * wrote, or, with an external API server, none (the child reads the same
 * [host] api_server and kubeconfig from the INI as the parent did). The
 * child's own caches are its own.
 *
 * Threading: main thread. Ownership: nothing is kept beyond the call.
 */
#ifndef CPLANE_HOST_PLUGIN_ISOLATED_H
#define CPLANE_HOST_PLUGIN_ISOLATED_H

#include "config/config.h"
#include "plugin/supervisor.h"

struct cp_isolated_identity;

struct cp_isolated_launch {
  const char *exe;         /* the cplane binary (/proc/self/exe) */
  const char *config_path; /* the INI, as the parent read it */
  const char *plugin_dir;  /* the parent's plugin directory */
  const char *kubeconfig;  /* embedded server's kubeconfig, or NULL */
  const char *log_level;   /* the parent's --log-level, or NULL */
  /* Each child's own credential (plugin_credentials = own), or NULL:
   * children get `kubeconfig`. Borrowed. */
  struct cp_isolated_identity *identity;
};

/* The supervisor's before_start hook (supervisor.h); ud is the launch.
 * With l->identity: reads the plugin's descriptor in a process of its own
 * and gives the plugin its credential files (isolated_identity.h). */
int cp_isolated_before_start(void *ud, const char *name, char **errmsg);

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
