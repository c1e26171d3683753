/*
 * backoff - the back-off before a failed daemon pod on a node is deleted
 * (and so replaced), as kube's failedPodsBackoff (flowcontrol.Backoff,
 * 1 s doubling to 15 min, per "<daemonset uid>/<node>"): a kubelet that
 * keeps rejecting a pod is not hot-looped.
 *
 * Ownership: the table owns its entries; keys are copied.
 * Threading: any thread; one mutex guards the table.
 */
#ifndef DS_BACKOFF_H
#define DS_BACKOFF_H

#include <cplane/cplane.h>

#include <pthread.h>
#include <stdint.h>

#define DS_BACKOFF_INITIAL_MS 1000
#define DS_BACKOFF_MAX_MS (15 * 60 * 1000)

struct ds_backoff {
  struct cplane_smap map; /* key -> struct entry; guarded by mu */
  pthread_mutex_t mu;
};

/* 0, or -1 when out of memory. */
int ds_backoff_init(struct ds_backoff *b);
void ds_backoff_free(struct ds_backoff *b);
/* How many ms key must still wait (kube's IsInBackOffSinceUpdate); 0
 * when it may go now, and then the step is taken: the next wait doubles
 * from now (kube's Next). */
int64_t ds_backoff_take(struct ds_backoff *b, const char *key, int64_t now_ms);
/* Drops the entries of a DaemonSet ("<uid>/" prefix) and those idle for
 * twice the maximum. */
void ds_backoff_forget(struct ds_backoff *b, const char *uid_prefix,
                       int64_t now_ms);

#endif
