/*
 * dispatch_guard - see dispatch_guard.h.
 */
#include "plugin/dispatch_guard.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

#include "log/log.h"
#include "plugin/plugin.h"

/* The plugin and callback running on this thread; NULL outside dispatch. */
static _Thread_local struct cplane_plugin_ctx *cur_plugin;
static _Thread_local const char *cur_callback;

void cp_dispatch_guard_enter(struct cplane_plugin_ctx *p,
                             const char *callback) {
  cur_plugin = p;
  cur_callback = callback;
}

void cp_dispatch_guard_leave(void) {
  cur_plugin = NULL;
  cur_callback = NULL;
}

int cp_dispatch_guard_check(const char *call) {
  struct cplane_plugin_ctx *p = cur_plugin;
  char component[80];

  if (p == NULL)
    return 0;
  /* Once per plugin: a plugin doing this does it on every event. */
  if (atomic_exchange(&p->dispatch_write_warned, 1) != 0)
    return 1;
  /* The component as api->log() tags a plugin's own lines. */
  snprintf(component, sizeof component, "plugin %s", p->name);
  cp_log_warn(component, "%s() called from %s: writes block; enqueue and "
                         "write from reconcile()", call, cur_callback);
  return 1;
}
