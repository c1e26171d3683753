/*
 * bench_host - the host runtime fed by a real watch: an in-process API
 * server on SQLite (plain HTTP), a reflector and an informer with one
 * counting handler, as a plugin would have.
 *
 *  - time to sync N pods from start (paged LIST over HTTP, parse, cache);
 *  - bytes per cached pod: the snapshots' heap and the process's RSS
 *    growth, next to the pod's JSON size (goal <= 3x; anchors:
 *    controller-runtime ~36 KiB, client-go ~15-20 KB);
 *  - ingest: N pod updates written to the store, delivered through the
 *    watch stream into the cache and the handler, events/s.
 *
 * Usage: bench_host [pods] (default 100,000)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apiserver/apiserver.h"
#include "client/client.h"
#include "client/reflector.h"
#include "informer/informer.h"
#include "log/log.h"
#include "object/object.h"
#include "store/store.h"

#include "pod_json.c"

#define DEFAULT_PODS 100000
#define WRITERS 32

static atomic_ulong delivered;
static cp_store *store;
static unsigned n_pods;
static atomic_ulong json_bytes;

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

static void on_add(void *ud, const cplane_object *obj, int initial) {
  atomic_fetch_add_explicit(&delivered, 1, memory_order_relaxed);
}

static void on_update(void *ud, const cplane_object *o, const cplane_object *n) {
  atomic_fetch_add_explicit(&delivered, 1, memory_order_relaxed);
}

static const struct cp_informer_handler_ops ops = {on_add, on_update, NULL};

struct writer {
  unsigned id, rv; /* rv 0: create, else update to this version */
};

/* Writes its share of pods straight into the store (creates, or updates
 * guarded by the current revision). */
static void *write_pods(void *arg) {
  struct writer *w = arg;
  char buf[8192], key[128];
  unsigned i;

  for (i = w->id; i < n_pods; i += WRITERS) {
    size_t len = pod_json(buf, sizeof buf, i, 0);
    int64_t rev;
    char *rv_at;

    /* Stored objects carry no resourceVersion: the store's revision is
     * it. The generator writes one; drop it for the store. */
    if ((rv_at = strstr(buf, "\"resourceVersion\":\"")) != NULL) {
      char *end = strchr(rv_at + 19, '"');

      memmove(rv_at, end + 2, strlen(end + 2) + 1);
      len = strlen(buf);
    }
    if (w->rv > 0) { /* an update: change the status a little */
      char *ph = strstr(buf, "\"phase\":\"Running\"");

      if (ph != NULL)
        memcpy(ph + 9, "Pending", 7);
    }
    snprintf(key, sizeof key, "pods/team-%u/%.*s", i % 50, 40,
             strstr(buf, "\"name\":\"") + 8);
    *strchr(key + 5, '"') = '\0';
    if (w->rv == 0) {
      atomic_fetch_add(&json_bytes, len);
      if (cp_store_create(store, key, strlen(key), buf, len, &rev) != 0)
        fprintf(stderr, "bench_host: create %s failed\n", key);
    } else {
      cp_store_kv kv;

      memset(&kv, 0, sizeof kv);
      if (cp_store_get(store, key, strlen(key), 0, &kv, NULL) == 0)
        cp_store_update(store, key, strlen(key), buf, len, kv.mod_revision,
                        &rev, NULL);
      cp_store_kv_free(&kv);
    }
  }
  return NULL;
}

static void write_all(unsigned rv) {
  pthread_t th[WRITERS];
  struct writer w[WRITERS];
  unsigned i;

  for (i = 0; i < WRITERS; i++) {
    w[i] = (struct writer){i, rv};
    pthread_create(&th[i], NULL, write_pods, &w[i]);
  }
  for (i = 0; i < WRITERS; i++)
    pthread_join(th[i], NULL);
}

static size_t cache_heap(cp_informer *inf) {
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
  char dir[] = "/tmp/cp-bench-host-XXXXXX", path[128], url[64], cmd[160];
  struct cp_apiserver_config cfg = {0};
  struct cp_client_config cc = {0};
  struct cp_apiserver *srv = NULL;
  struct cp_client *client = NULL;
  struct cp_reflector *r = NULL;
  cp_informer *inf = NULL;
  char *err = NULL;
  uint64_t t0, t_sync, t_ingest;
  size_t rss0, rss1, heap;
  double json_per;
  int rc = 1;

  n_pods = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : DEFAULT_PODS;
  setvbuf(stdout, NULL, _IOLBF, 0);
  cp_log_set_level(CPLANE_LOG_WARN);
  if (n_pods == 0 || mkdtemp(dir) == NULL)
    return 1;
  snprintf(path, sizeof path, "%s/cplane.db", dir);
  if (cp_store_sqlite_open(path, NULL, &store, &err) != 0)
    goto out;
  printf("host: writing %u pods into the store...\n", n_pods);
  write_all(0);
  cfg.store = store;
  if (cp_apiserver_start(&cfg, &srv, &err) != 0)
    goto out;
  snprintf(url, sizeof url, "http://127.0.0.1:%d", cp_apiserver_port(srv));
  cc.server = url;
  cc.timeout_ms = 120000;
  if (cp_client_new(&cc, &client, &err) != 0)
    goto out;
  inf = cp_informer_new("pods");
  cp_informer_add_handler(inf, &ops, NULL, 1 << 20, 0);
  cp_informer_start(inf);
  rss0 = rss_bytes();
  t0 = now_ns();
  r = cp_reflector_new(client, inf, "", "v1", "pods", NULL, NULL);
  cp_reflector_start(r);
  while (!cp_informer_has_synced(inf) || atomic_load(&delivered) < n_pods)
    usleep(2000);
  t_sync = now_ns() - t0;
  rss1 = rss_bytes();
  heap = cache_heap(inf);
  json_per = (double)atomic_load(&json_bytes) / n_pods;
  printf("host: sync of %u pods from start over HTTP: %.2f s (%.0f pods/s)\n",
         n_pods, t_sync / 1e9, n_pods / (t_sync / 1e9));
  printf("host: per cached pod: json %.0f B, snapshot heap %.0f B (%.2fx "
         "json), process RSS growth %.0f B (%.2fx json; includes the list's "
         "transient buffers); controller-runtime anchor 36864 B\n",
         json_per, (double)heap / n_pods, heap / n_pods / json_per,
         (double)(rss1 - rss0) / n_pods,
         (double)(rss1 - rss0) / n_pods / json_per);
  atomic_store(&delivered, 0);
  t0 = now_ns();
  write_all(1);
  while (atomic_load(&delivered) < n_pods)
    usleep(2000);
  t_ingest = now_ns() - t0;
  printf("host: %u pod updates through the watch into the cache and a "
         "handler: %.2f s, %.0f events/s (store writes included)\n",
         n_pods, t_ingest / 1e9, n_pods / (t_ingest / 1e9));
  rc = 0;
out:
  if (err != NULL)
    fprintf(stderr, "bench_host: %s\n", err);
  free(err);
  cp_reflector_free(r);
  cp_informer_free(inf);
  cp_client_free(client);
  cp_apiserver_stop(srv);
  cp_store_close(store);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    rc = 1;
  return rc;
}
