/*
 * history - each HPA's struct hpa_history (recommendations and scale
 * events), kept in memory by its key ("ns/name") between syncs, as kube's
 * controller keeps them: a restart forgets them, and a scale-down then
 * waits a whole window again.
 *
 * Ownership: the table owns the histories; hpa_history_get lends one to
 * the caller until hpa_history_put.
 * Threading: the table has its own mutex. A history is only used by the
 * reconcile of its key, which the host never runs on two workers at
 * once; forgetting one (on_delete) while it is lent is safe, it is freed
 * when put back.
 */
#ifndef HPA_HISTORY_H
#define HPA_HISTORY_H

#include <cplane/smap.h>

#include <pthread.h>

#include "behavior.h"

struct hpa_histories {
  pthread_mutex_t mu;
  struct cplane_smap map; /* key -> struct hpa_entry * */
};

/* 0, or -1 when out of memory. */
int hpa_histories_init(struct hpa_histories *t);
void hpa_histories_free(struct hpa_histories *t);
/* The history of key, made empty when new; NULL when out of memory.
 * Give it back with hpa_history_put. */
struct hpa_history *hpa_history_get(struct hpa_histories *t,
                                    const char *key);
void hpa_history_put(struct hpa_histories *t, struct hpa_history *h);
/* Forgets key's history (the HPA was deleted). */
void hpa_history_forget(struct hpa_histories *t, const char *key);

#endif
