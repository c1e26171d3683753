/*
 * metrics - the API server's Prometheus metrics, with kube-apiserver's
 * names: apiserver_request_total{verb,resource,code},
 * apiserver_request_duration_seconds{verb,resource} (histogram),
 * (apiserver_registered_watchers comes from the watch registry).
 *
 * Threading: observe and write may run on any thread (one mutex).
 * Ownership: cp_api_metrics_free releases everything.
 */
#ifndef CPLANE_HOST_APISERVER_METRICS_H
#define CPLANE_HOST_APISERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cp_api_metrics;

struct cp_api_metrics *cp_api_metrics_new(void);
void cp_api_metrics_free(struct cp_api_metrics *m);

/* One finished request. verb is kube's (get, list, watch, create, ...);
 * resource "" for non-resource paths. */
void cp_api_metrics_observe(struct cp_api_metrics *m, const char *verb,
                            const char *resource, int code,
                            uint64_t duration_ns);
/* A watch started (+1) or ended (-1). */
void cp_api_metrics_watchers(struct cp_api_metrics *m, const char *resource,
                             int delta);
/* Writes the text exposition format. Returns 0, or -1 on a write error. */
int cp_api_metrics_write(struct cp_api_metrics *m, FILE *out);

#endif /* CPLANE_HOST_APISERVER_METRICS_H */
