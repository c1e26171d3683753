/*
 * bench_pod_create - pod creates through the API server's handlers,
 * in-process (no HTTP), over SQLite: what admission costs a create.
 * Every pod create runs the Priority admission (a pod without
 * priorityClassName gets the globalDefault class, one with a name gets
 * that class), so the PriorityClasses are looked up on each; here 20
 * user classes besides the two system ones, half the pods naming one.
 *
 * Every create also runs ServiceAccount admission (the default
 * ServiceAccount looked up, the token volume added) and PodSecurity (the
 * namespace enforces baseline and warns restricted, so each pod is
 * checked at both levels and warned).
 *
 * Figures: creates with dryRun=All (decode, defaults, validation and
 * admission, no store write: where a lookup shows) with the admission
 * caches, without the ServiceAccount and PodSecurity caches (a store
 * read each per create), and with those two plugins off; and durable
 * creates (SQLite synchronous=FULL, the write dominating).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apiserver/admission.h"
#include "apiserver/nscache.h"
#include "apiserver/policy_cache.h"
#include "apiserver/request.h"
#include "apiserver/strategy/priorityclass_cache.h"
#include "apiserver/strategy/priorityclasses.h"
#include "log/log.h"

#define CLASSES 20
#define DRY_PODS 4000
#define PODS 400

static int64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int call(struct cp_api_ctx *ctx, enum cp_api_method m,
                const char *path_query, const char *body) {
  struct cp_api_request rq = {0};
  struct cp_api_response rs = {0};
  const char *q = strchr(path_query, '?');
  char *status = NULL;
  int code;

  rq.method = m;
  rq.path = q ? strndup(path_query, (size_t)(q - path_query))
              : strdup(path_query);
  if (cp_query_parse(q ? q + 1 : NULL, &rq.query) != 0)
    return -1;
  rq.content_type = strdup("application/json");
  rq.body = strdup(body);
  rq.body_len = strlen(body);
  if (cp_api_route(ctx, &rq, &status) <= 0) {
    code = 404;
    free(status);
  } else {
    cp_api_handle(ctx, &rq, &rs);
    code = rs.code;
  }
  free(rs.body);
  cp_api_request_clear(&rq);
  return code;
}

/* Creates n pods (query "" or "?dryRun=All"); pods per second, or -1. */
static double create_pods(struct cp_api_ctx *ctx, int n, const char *query,
                          const char *tag) {
  char path[128], body[512];
  int64_t t0 = now_ns();
  int i;

  snprintf(path, sizeof path, "/api/v1/namespaces/default/pods%s", query);
  for (i = 0; i < n; i++) {
    char cls[64] = "";

    if (i % 2 == 1)
      snprintf(cls, sizeof cls, ",\"priorityClassName\":\"class-%02d\"",
               i % CLASSES);
    snprintf(body, sizeof body,
             "{\"metadata\":{\"name\":\"%s-%05d\",\"labels\":{\"app\":"
             "\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
             "\"image\":\"nginx\"}]%s}}",
             tag, i, cls);
    if (call(ctx, CP_API_POST, path, body) != 201) {
      fprintf(stderr, "bench_pod_create: create %d failed\n", i);
      return -1;
    }
  }
  return n / ((double)(now_ns() - t0) / 1e9);
}

int main(void) {
  char dir[] = "/tmp/cp-bench-pods-XXXXXX", path[128], *err = NULL;
  char body[256], cmd[160];
  struct cp_api_ctx ctx;
  cp_store *store = NULL;
  double dry, durable, dry_uncached, dry_off;
  struct cp_ns_cache *sa_cache, *psa_cache;
  int i, rc = 1;

  cp_log_set_level(CPLANE_LOG_ERROR);
  memset(&ctx, 0, sizeof ctx);
  if (mkdtemp(dir) == NULL)
    return 1;
  snprintf(path, sizeof path, "%s/db", dir);
  if (cp_store_sqlite_open(path, NULL, &store, &err) != 0) {
    fprintf(stderr, "bench_pod_create: %s\n", err ? err : "open");
    goto out;
  }
  ctx.store = store;
  ctx.resources = cp_resources_new();
  ctx.ns_cache = cp_ns_cache_new();
  ctx.pc_cache = cp_pc_cache_new(); /* as the server runs */
  ctx.sa_cache = cp_ns_cache_new();
  ctx.psa_cache = cp_ns_cache_new();
  ctx.policy_cache = cp_policy_cache_new();
  if (ctx.resources == NULL ||
      call(&ctx, CP_API_POST, "/api/v1/namespaces",
           "{\"metadata\":{\"name\":\"default\",\"labels\":{"
           "\"pod-security.kubernetes.io/enforce\":\"baseline\","
           "\"pod-security.kubernetes.io/warn\":\"restricted\"}}}") != 201 ||
      call(&ctx, CP_API_POST, "/api/v1/namespaces/default/serviceaccounts",
           "{\"metadata\":{\"name\":\"default\"}}") != 201)
    goto out;
  cp_priority_class_bootstrap(&ctx);
  for (i = 0; i < CLASSES; i++) {
    snprintf(body, sizeof body,
             "{\"metadata\":{\"name\":\"class-%02d\"},\"value\":%d}", i,
             1000 + i);
    if (call(&ctx, CP_API_POST, "/apis/scheduling.k8s.io/v1/priorityclasses",
             body) != 201)
      goto out;
  }
  dry = create_pods(&ctx, DRY_PODS, "?dryRun=All", "dry");
  sa_cache = ctx.sa_cache, psa_cache = ctx.psa_cache;
  ctx.sa_cache = ctx.psa_cache = NULL;
  dry_uncached = create_pods(&ctx, DRY_PODS, "?dryRun=All", "dryu");
  ctx.admission_off = CP_ADMISSION_OFF_SA | CP_ADMISSION_OFF_POD_SECURITY;
  dry_off = create_pods(&ctx, DRY_PODS, "?dryRun=All", "dryo");
  ctx.admission_off = 0;
  ctx.sa_cache = sa_cache, ctx.psa_cache = psa_cache;
  durable = create_pods(&ctx, PODS, "", "pod");
  if (dry < 0 || durable < 0 || dry_uncached < 0 || dry_off < 0)
    goto out;
  printf("apiserver: pod create, in-process, %d PriorityClasses, "
         "ServiceAccount and PodSecurity admission: dryRun %.0f pods/s "
         "(%.0f without their caches, %.0f with both off), durable %.0f "
         "pods/s\n",
         CLASSES + 2, dry, dry_uncached, dry_off, durable);
  rc = 0;
out:
  if (ctx.resources != NULL)
    cp_resources_free(ctx.resources);
  if (ctx.ns_cache != NULL)
    cp_ns_cache_free(ctx.ns_cache);
  if (ctx.pc_cache != NULL)
    cp_pc_cache_free(ctx.pc_cache);
  cp_ns_cache_free(ctx.sa_cache);
  cp_ns_cache_free(ctx.psa_cache);
  cp_policy_cache_free(ctx.policy_cache);
  if (store != NULL)
    cp_store_close(store);
  free(err);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    rc = 1;
  return rc;
}
