/*
 * bench_informer - what caching 100,000 pods costs: ingest rate and
 * memory per pod, against the JSON size and the Go anchors
 * (controller-runtime ~36 KiB/pod, client-go ~15-20 KB/pod).
 *
 * Each pod is a realistic ~2.5 KB kubelet-style pod (a ReplicaSet owner,
 * labels, a projected service-account volume, one container with env,
 * resources and probes, four status conditions), varied by name, uid,
 * labels and nodeName. Pods are generated one at a time into a reused
 * buffer so that generation costs no resident memory; the timed part is
 * parse + upsert (store, three indexes, queue) with one counting handler,
 * up to the handler having been delivered every event.
 *
 * Memory is measured twice: by RSS delta (/proc/self/statm) from before
 * the first pod to after the last delivery, and by heap accounting
 * (cp_object_heap_bytes of every cached snapshot + cp_informer_heap_bytes).
 *
 * Usage: bench_informer [pods]
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "informer/informer.h"
#include "object/object.h"

#define DEFAULT_PODS 100000
#define CONTROLLER_RUNTIME_ANCHOR 36864.0 /* bytes per cached pod */

static atomic_ulong delivered;

static uint64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t rss_bytes(void) {
  unsigned long size = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");

  if (f == NULL)
    return 0;
  if (fscanf(f, "%lu %lu", &size, &resident) != 2)
    resident = 0;
  fclose(f);
  return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

#include "pod_json.c"

static void count_add(void *ud, const cplane_object *obj, int initial) {
  atomic_fetch_add_explicit(&delivered, 1, memory_order_relaxed);
}

static void count_update(void *ud, const cplane_object *old_obj,
                         const cplane_object *new_obj) {
  atomic_fetch_add_explicit(&delivered, 1, memory_order_relaxed);
}

static const struct cp_informer_handler_ops counting_ops = {
    count_add, count_update, NULL};

static void wait_delivered(unsigned long n) {
  struct timespec ts = {0, 100000};

  while (atomic_load(&delivered) < n)
    nanosleep(&ts, NULL);
}

/* Feeds pods [0, n) at version rv; returns the seconds spent in parse and
 * upsert (generation excluded), or a negative number on error. */
static double feed(cp_informer *inf, unsigned n, unsigned rv,
                   size_t *json_total) {
  char buf[8192];
  uint64_t spent = 0;
  unsigned i;

  for (i = 0; i < n; i++) {
    size_t len = pod_json(buf, sizeof buf, i, rv);
    cplane_object *obj = NULL;
    char *err = NULL;
    uint64_t t0;

    if (len == 0)
      return -1;
    *json_total += len;
    t0 = now_ns();
    if (cp_object_parse(buf, len, &obj, &err) != CPLANE_OK) {
      fprintf(stderr, "bench_informer: pod %u: %s\n", i,
              err != NULL ? err : "parse error");
      free(err);
      return -1;
    }
    if (cp_informer_upsert(inf, obj) != CPLANE_OK)
      return -1;
    spent += now_ns() - t0;
  }
  return spent / 1e9;
}

static size_t snapshot_heap(cp_informer *inf) {
  const cplane_object **objs;
  size_t n, i, sum = 0;

  if (cp_informer_list(inf, NULL, NULL, &objs, &n) != CPLANE_OK)
    return 0;
  for (i = 0; i < n; i++)
    sum += cp_object_heap_bytes(objs[i]);
  cp_informer_list_free(objs, n);
  return sum;
}

int main(int argc, char **argv) {
  unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10)
                        : DEFAULT_PODS;
  size_t json_total = 0, update_json = 0, rss0, rss1, objs_heap, inf_heap;
  double add_s, upd_s, json_per, rss_per, heap_per;
  uint64_t t0, t1;
  cp_informer *inf;
  cp_informer_handler *h;
  const cplane_object **list;
  size_t listed;

  if (n == 0)
    n = DEFAULT_PODS;
  inf = cp_informer_new("bench-pods");
  if (inf == NULL || cp_informer_add_index(inf, "node", "spec.nodeName") !=
                         CPLANE_OK)
    return 1;
  h = cp_informer_add_handler(inf, &counting_ops, NULL, 1024, 0);
  if (h == NULL || cp_informer_start(inf) != CPLANE_OK)
    return 1;

  rss0 = rss_bytes();
  t0 = now_ns();
  add_s = feed(inf, n, 1, &json_total);
  wait_delivered(n);
  t1 = now_ns();
  if (add_s < 0)
    return 1;
  cp_informer_mark_synced(inf);
  rss1 = rss_bytes();
  objs_heap = snapshot_heap(inf);
  inf_heap = cp_informer_heap_bytes(inf);

  json_per = (double)json_total / n;
  rss_per = (double)(rss1 > rss0 ? rss1 - rss0 : 0) / n;
  heap_per = (double)(objs_heap + inf_heap) / n;
  printf("informer: %u pods, json %.0f B/pod, rss %.0f B/pod (%.2fx json; "
         "controller-runtime anchor %.0f B = %.1fx smaller), ingest %.0f "
         "events/s\n",
         n, json_per, rss_per, rss_per / json_per, CONTROLLER_RUNTIME_ANCHOR,
         CONTROLLER_RUNTIME_ANCHOR / rss_per, n / ((t1 - t0) / 1e9));
  printf("informer: heap %.0f B/pod (%.2fx json): snapshots %.0f + store "
         "and 3 indexes %.0f; parse+upsert alone %.0f pods/s\n",
         heap_per, heap_per / json_per, (double)objs_heap / n,
         (double)inf_heap / n, n / add_s);

  /* A second pass: every pod updated once (a new resourceVersion). */
  t0 = now_ns();
  upd_s = feed(inf, n, 2, &update_json);
  wait_delivered(2ul * n);
  t1 = now_ns();
  if (upd_s < 0)
    return 1;
  printf("informer: update pass %.0f events/s, rss after %.0f B/pod\n",
         n / ((t1 - t0) / 1e9),
         (double)(rss_bytes() > rss0 ? rss_bytes() - rss0 : 0) / n);

  /* Reads: one node's pods by index, one namespace by the built-in. */
  t0 = now_ns();
  if (cp_informer_list_by_index(inf, "node", "node-007.zone-b.example.com",
                                NULL, &list, &listed) != CPLANE_OK)
    return 1;
  t1 = now_ns();
  cp_informer_list_free(list, listed);
  printf("informer: list by node index: %zu pods in %.1f us\n", listed,
         (t1 - t0) / 1e3);
  if (cp_informer_len(inf) != n) {
    fprintf(stderr, "bench_informer: %zu cached, expected %u\n",
            cp_informer_len(inf), n);
    return 1;
  }
  cp_informer_free(inf);
  return 0;
}
