/*
 * status - an HPA's status as horizontal.go writes it: currentReplicas,
 * desiredReplicas, currentMetrics (Resource: averageUtilization and
 * averageValue), lastScaleTime on a rescale, observedGeneration, and the
 * conditions AbleToScale, ScalingActive and ScalingLimited (set with
 * kube's transition-time rule; the ones not touched this sync kept).
 *
 * Ownership: hpa borrowed; the patch returned is the caller's
 * (api->free). Threading: pure functions, except api->now_ms.
 */
#ifndef HPA_STATUS_H
#define HPA_STATUS_H

#include <cplane/cplane.h>

#include <stdint.h>

enum { HPA_COND_ABLE, HPA_COND_ACTIVE, HPA_COND_LIMITED, HPA_N_CONDS };
#define HPA_MESSAGE_MAX 1024

struct hpa_metric_status {
  const char *resource;
  int utilization; /* 1: averageUtilization is reported too */
  int32_t average_utilization;
  int64_t average_milli;
};

struct hpa_status {
  int32_t current, desired;
  int rescaled; /* lastScaleTime is now */
  const struct hpa_metric_status *metrics;
  int n_metrics;
  /* Conditions set this sync, by HPA_COND_*; type NULL: not set. Their
   * messages are copies held here (callers build them in buffers of
   * their own scope). */
  struct cplane_condition conds[HPA_N_CONDS];
  char messages[HPA_N_CONDS][HPA_MESSAGE_MAX];
};

/* Sets condition i of st (type named after i); status and reason are
 * static text, message is copied (cut at HPA_MESSAGE_MAX - 1 bytes). */
void hpa_status_cond(struct hpa_status *st, int i, const char *status,
                     const char *reason, const char *message);
/* The merge patch of hpa's status to st, or NULL when nothing would
 * change (*nomem set when out of memory instead). */
char *hpa_status_patch(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const cplane_object *hpa,
                       const struct hpa_status *st, int *nomem);

#endif
