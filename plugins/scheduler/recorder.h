/*
 * recorder - writes Events off the scheduling path, as client-go's event
 * broadcaster does: a bounded queue drained by a few threads of its own,
 * so that a bind never waits for its "Scheduled" event. Events are best
 * effort: when the queue is full the newest is dropped and counted.
 *
 * Threading: recorder_post() from any thread; start and stop from the
 * plugin's init and fini (stop joins the threads and drops what is left).
 */
#ifndef SCHED_RECORDER_H
#define SCHED_RECORDER_H

#include <cplane/cplane.h>

int recorder_start(cplane_plugin_ctx *ctx, const struct cplane_host_api *api,
                   int threads, int capacity);
/* Queues an Event body for namespace ns. Takes body (from api->json_format
 * or api->alloc) in every case. Returns 0, or -1 when dropped. */
int recorder_post(const char *ns, char *body);
void recorder_stop(void);
/* Events dropped because the queue was full. */
unsigned long recorder_dropped(void);

#endif
