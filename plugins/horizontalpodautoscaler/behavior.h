/*
 * behavior - from the replica count the metrics ask for to the one the
 * HPA sets, as kube's horizontal.go normalizes it: without spec.behavior,
 * the highest recommendation of the last 300 s (scale-down
 * stabilization), then min/max and the scale-up limit max(2 * current,
 * 4); with it, the scaleUp and scaleDown stabilization windows, then the
 * policies' rate limits (Pods/Percent per periodSeconds, selectPolicy
 * Max/Min/Disabled) over the scale events of their periods, then
 * min/max. Each step names its AbleToScale and ScalingLimited conditions
 * with kube's reasons and messages.
 *
 * Ownership: struct hpa_history is the caller's (history.h keeps one per
 * HPA); reasons and messages are static text.
 * Threading: pure functions of their arguments; the caller serializes
 * use of one history.
 */
#ifndef HPA_BEHAVIOR_H
#define HPA_BEHAVIOR_H

#include <stdint.h>

#include "hpa.h"

/* Recommendations kept per HPA: one per sync, so 1024 cover the longest
 * window (3600 s) at syncs of 3.5 s or more; with shorter syncs the
 * oldest go first. Scale events are fewer (one per rescale). */
#define HPA_RECS_MAX 1024
#define HPA_EVENTS_MAX 64

struct hpa_sample {
  int64_t at_ms;
  int32_t value; /* a recommendation, or a scale event's change */
  int outdated;  /* scale events: past every policy's period */
};

/* What one HPA remembers between its syncs. */
struct hpa_history {
  struct hpa_sample recs[HPA_RECS_MAX], ups[HPA_EVENTS_MAX],
      downs[HPA_EVENTS_MAX];
  int n_recs, n_ups, n_downs;
};

/* A condition as horizontal.go sets it. */
struct hpa_cond {
  const char *status, *reason, *message;
};

struct hpa_normalized {
  int32_t replicas;
  struct hpa_cond able;    /* AbleToScale */
  struct hpa_cond limited; /* ScalingLimited */
};

/* desired (what the metrics ask for) made the count to set, recording
 * the recommendation in h. */
void hpa_normalize(struct hpa_history *h, const struct hpa_spec *spec,
                   int64_t now_ms, int32_t current, int32_t desired,
                   struct hpa_normalized *out);
/* Records a rescale from prev to next (with spec.behavior only, as kube
 * keeps scale events only then). */
void hpa_record_scale(struct hpa_history *h, const struct hpa_spec *spec,
                      int64_t now_ms, int32_t prev, int32_t next);

#endif
