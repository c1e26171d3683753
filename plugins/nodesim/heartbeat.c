/*
 * heartbeat - the Lease renewal threads. See heartbeat.h.
 */
#include "heartbeat.h"

#include "lease.h"
#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct hb_arg {
  const struct cplane_host_api *api;
  struct nodesim *st;
  int slot;
};

void nsim_lease_due_now(const struct nodesim *st, const char *name) {
  int i = nsim_node_index(st, name);

  if (i >= 0)
    __atomic_store_n(&st->due_ms[i], 0, __ATOMIC_RELAXED);
}

/* Renews the Leases of nodes slot, slot + n_hb, ... as they fall due. */
static void *heartbeat_main(void *arg) {
  struct hb_arg a = *(struct hb_arg *)arg;
  struct nodesim *st = a.st;
  char name[96];
  int i;

  free(arg);
  while (!__atomic_load_n(&st->hb_stop, __ATOMIC_RELAXED)) {
    for (i = a.slot; i < st->count; i += st->n_hb) {
      uint64_t now = (uint64_t)a.api->now_ms(st->ctx), next;
      uint32_t req = st->heartbeat_ms;
      int rc;

      if (__atomic_load_n(&st->hb_stop, __ATOMIC_RELAXED))
        break;
      if (__atomic_load_n(&st->due_ms[i], __ATOMIC_RELAXED) > now)
        continue;
      snprintf(name, sizeof name, "%s%d", st->prefix, i);
      rc = nsim_renew_lease(a.api, st->ctx, st, name, &req);
      next = rc == CPLANE_RECONCILE_REQUEUE_AFTER ? req
             : rc == CPLANE_RECONCILE_RETRY       ? HB_RETRY_MS
                                                  : st->heartbeat_ms;
      __atomic_store_n(&st->due_ms[i], now + next, __ATOMIC_RELAXED);
    }
    usleep(HB_TICK_US);
  }
  return NULL;
}

/* 5,000 nodes every 10 s are 500 renewals a second, and on a busy server
 * a renewal (the first one is two calls: a 404, then the create) can take
 * 50 ms: hence a thread per 100 nodes. */
void nsim_heartbeat_start(const struct cplane_host_api *api,
                          struct nodesim *st) {
  int want = st->count / HB_NODES_PER_THREAD + 1, t, expected = 0;

  if (!__atomic_compare_exchange_n(&st->hb_started, &expected, 1, 0,
                                   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
    return;
  if (want > HB_THREADS_MAX)
    want = HB_THREADS_MAX;
  st->n_hb = want;
  for (t = 0; t < want; t++) {
    struct hb_arg *a = malloc(sizeof *a);

    if (a == NULL)
      break;
    *a = (struct hb_arg){api, st, t};
    if (pthread_create(&st->hb[t], NULL, heartbeat_main, a) != 0) {
      free(a);
      break;
    }
  }
  st->n_started_hb = t;
  if (t < want) /* a thread's share of nodes is left without heartbeats */
    api->log(st->ctx, CPLANE_LOG_ERROR,
             "only %d of %d heartbeat threads started: some nodes will "
             "look dead", t, want);
}

void nsim_heartbeat_stop(struct nodesim *st) {
  int t;

  if (st == NULL)
    return;
  __atomic_store_n(&st->hb_stop, 1, __ATOMIC_RELAXED);
  for (t = 0; t < st->n_started_hb; t++)
    pthread_join(st->hb[t], NULL);
  st->n_started_hb = 0;
}
