/*
 * dispatch_guard - notices a plugin making a blocking API call from
 * on_add/on_update/on_delete. Those run on an informer's dispatch thread:
 * a write there stalls every later notification of that resource for the
 * plugin (and, once its buffer fills, the feed every plugin shares). The
 * call is still made; the first one of each plugin is logged at WARN,
 * naming the plugin, the callback and the call:
 *   plugin X: update() called from on_add: writes block; enqueue and
 *   write from reconcile()
 *
 * Threading: enter/leave mark the calling thread (a thread-local), so
 * check is cheap from any thread; the once-per-plugin flag is an atomic
 * in the plugin's record.
 * Ownership: nothing allocated; the callback names are static strings.
 */
#ifndef CPLANE_HOST_PLUGIN_DISPATCH_GUARD_H
#define CPLANE_HOST_PLUGIN_DISPATCH_GUARD_H

struct cplane_plugin_ctx;

/* Marks this thread as running p's `callback` ("on_add"...) until leave. */
void cp_dispatch_guard_enter(struct cplane_plugin_ctx *p,
                             const char *callback);
void cp_dispatch_guard_leave(void);

/* Called by every blocking host entry with its name ("update"): logs the
 * warning above once per plugin when this thread is a dispatch thread.
 * Returns 1 when it is one (whether or not it logged), else 0. */
int cp_dispatch_guard_check(const char *call);

#endif /* CPLANE_HOST_PLUGIN_DISPATCH_GUARD_H */
