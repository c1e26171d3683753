/*
 * behavior - see behavior.h.
 */
#include "behavior.h"

#include <limits.h>

static const struct hpa_cond ready_for_new_scale = {
    "True", "ReadyForNewScale", "recommended size matches current size"};
static const struct hpa_cond scale_down_stabilized = {
    "True", "ScaleDownStabilized",
    "recent recommendations were higher than current one, applying the "
    "highest recent recommendation"};
static const struct hpa_cond scale_up_stabilized = {
    "True", "ScaleUpStabilized",
    "recent recommendations were lower than current one, applying the "
    "lowest recent recommendation"};

static int32_t max32(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t min32(int32_t a, int32_t b) { return a < b ? a : b; }

/* Records sample v in arr, in the place of the oldest one before cutoff
 * when there is one (kube reuses an outdated slot), else appended; a full
 * array drops its oldest. */
static void record(struct hpa_sample *arr, int *n, int max,
                   int64_t cutoff_ms, int64_t now_ms, int32_t v) {
  int i, oldest = 0;

  for (i = 0; i < *n; i++) {
    if (arr[i].at_ms < cutoff_ms || arr[i].outdated) {
      arr[i] = (struct hpa_sample){now_ms, v, 0};
      return;
    }
    if (arr[i].at_ms < arr[oldest].at_ms)
      oldest = i;
  }
  if (*n < max)
    arr[(*n)++] = (struct hpa_sample){now_ms, v, 0};
  else
    arr[oldest] = (struct hpa_sample){now_ms, v, 0};
}

/* ---- without behavior ---- */

static void limit_plain(const struct hpa_spec *s, int32_t current,
                        int32_t want, struct hpa_normalized *out) {
  int32_t up_limit = max32(2 * current, 4), max_allowed;
  const char *reason, *message;

  if (s->max_replicas > up_limit) {
    max_allowed = up_limit;
    reason = "ScaleUpLimit";
    message = "the desired replica count is increasing faster than the "
              "maximum scale rate";
  } else {
    max_allowed = s->max_replicas;
    reason = "TooManyReplicas";
    message = "the desired replica count is more than the maximum replica "
              "count";
  }
  out->replicas = want;
  if (want < s->min_replicas) {
    out->replicas = s->min_replicas;
    reason = "TooFewReplicas";
    message = "the desired replica count is less than the minimum replica "
              "count";
  } else if (want > max_allowed) {
    out->replicas = max_allowed;
  } else {
    reason = "DesiredWithinRange";
    message = "the desired count is within the acceptable range";
  }
  out->limited = (struct hpa_cond){out->replicas == want ? "False" : "True",
                                   reason, message};
}

static void normalize_plain(struct hpa_history *h, const struct hpa_spec *s,
                            int64_t now_ms, int32_t current, int32_t desired,
                            struct hpa_normalized *out) {
  int64_t cutoff = now_ms - (int64_t)HPA_DOWNSCALE_WINDOW_S * 1000;
  int32_t stabilized = desired;
  int i;

  for (i = 0; i < h->n_recs; i++)
    if (h->recs[i].at_ms > cutoff)
      stabilized = max32(stabilized, h->recs[i].value);
  record(h->recs, &h->n_recs, HPA_RECS_MAX, cutoff, now_ms, desired);
  out->able =
      stabilized != desired ? scale_down_stabilized : ready_for_new_scale;
  limit_plain(s, current, stabilized, out);
}

/* ---- with behavior ---- */

/* The sum of the changes of events within period_s. */
static int32_t changes_in(const struct hpa_sample *ev, int n, int64_t now_ms,
                          int32_t period_s) {
  int64_t cutoff = now_ms - (int64_t)period_s * 1000;
  int32_t sum = 0;
  int i;

  for (i = 0; i < n; i++)
    if (ev[i].at_ms > cutoff && !ev[i].outdated)
      sum += ev[i].value;
  return sum;
}

/* calculateScaleUpLimitWithScalingRules / ...ScaleDownLimit...: the
 * furthest the policies let the count go this sync. */
static int32_t rate_limit(const struct hpa_history *h,
                          const struct hpa_rules *r, int up, int64_t now_ms,
                          int32_t current) {
  int pick_min = (r->select == HPA_SELECT_MIN) == up;
  int64_t result = pick_min ? INT32_MAX : INT32_MIN, proposed = 0;
  int i;

  if (r->select == HPA_SELECT_DISABLED)
    return current;
  for (i = 0; i < r->n_policies; i++) {
    const struct hpa_policy *p = &r->policies[i];
    int64_t start = (int64_t)current -
                    changes_in(h->ups, h->n_ups, now_ms, p->period_s) +
                    changes_in(h->downs, h->n_downs, now_ms, p->period_s);

    if (p->type == HPA_POLICY_PODS)
      proposed = up ? start + p->value : start - p->value;
    else if (up)
      proposed = hpa_ceil((double)start * (1 + p->value / 100.0));
    else
      proposed = (int64_t)((double)start * (1 - p->value / 100.0));
    result = pick_min ? (proposed < result ? proposed : result)
                      : (proposed > result ? proposed : result);
  }
  if (result > INT32_MAX)
    result = INT32_MAX;
  if (result < INT32_MIN)
    result = INT32_MIN;
  return (int32_t)result;
}

static void limit_rate(const struct hpa_history *h, const struct hpa_spec *s,
                       int64_t now_ms, int32_t current, int32_t want,
                       struct hpa_normalized *out) {
  const char *reason = "DesiredWithinRange",
             *message = "the desired count is within the acceptable range";
  int32_t limit;

  out->replicas = want;
  if (want > current) {
    limit = max32(rate_limit(h, &s->up, 1, now_ms, current), current);
    if (s->max_replicas > limit) {
      reason = "ScaleUpLimit";
      message = "the desired replica count is increasing faster than the "
                "maximum scale rate";
    } else {
      limit = s->max_replicas;
      reason = "TooManyReplicas";
      message = "the desired replica count is more than the maximum "
                "replica count";
    }
    if (want > limit)
      out->replicas = limit;
  } else if (want < current) {
    limit = min32(rate_limit(h, &s->down, 0, now_ms, current), current);
    if (s->min_replicas < limit) {
      reason = "ScaleDownLimit";
      message = "the desired replica count is decreasing faster than the "
                "maximum scale rate";
    } else {
      limit = s->min_replicas;
      reason = "TooFewReplicas";
      message = "the desired replica count is less than the minimum "
                "replica count";
    }
    if (want < limit)
      out->replicas = limit;
  }
  if (out->replicas == want) {
    reason = "DesiredWithinRange";
    message = "the desired count is within the acceptable range";
  }
  out->limited = (struct hpa_cond){out->replicas == want ? "False" : "True",
                                   reason, message};
}

static void normalize_behavior(struct hpa_history *h,
                               const struct hpa_spec *s, int64_t now_ms,
                               int32_t current, int32_t desired,
                               struct hpa_normalized *out) {
  int64_t up_cut = now_ms - (int64_t)s->up.window_s * 1000;
  int64_t down_cut = now_ms - (int64_t)s->down.window_s * 1000;
  int32_t up = desired, down = desired, rec = current;
  int i;

  for (i = 0; i < h->n_recs; i++) {
    if (h->recs[i].at_ms > up_cut)
      up = min32(up, h->recs[i].value);
    if (h->recs[i].at_ms > down_cut)
      down = max32(down, h->recs[i].value);
  }
  rec = max32(rec, up);
  rec = min32(rec, down);
  record(h->recs, &h->n_recs, HPA_RECS_MAX,
         up_cut < down_cut ? up_cut : down_cut, now_ms, desired);
  if (rec == desired)
    out->able = ready_for_new_scale;
  else
    out->able = desired >= current ? scale_up_stabilized
                                   : scale_down_stabilized;
  limit_rate(h, s, now_ms, current, rec, out);
}

void hpa_normalize(struct hpa_history *h, const struct hpa_spec *spec,
                   int64_t now_ms, int32_t current, int32_t desired,
                   struct hpa_normalized *out) {
  if (spec->has_behavior)
    normalize_behavior(h, spec, now_ms, current, desired, out);
  else
    normalize_plain(h, spec, now_ms, current, desired, out);
}

static int32_t longest_period(const struct hpa_rules *r) {
  int32_t p = 0;
  int i;

  for (i = 0; i < r->n_policies; i++)
    p = max32(p, r->policies[i].period_s);
  return p;
}

void hpa_record_scale(struct hpa_history *h, const struct hpa_spec *spec,
                      int64_t now_ms, int32_t prev, int32_t next) {
  int up = next > prev;
  const struct hpa_rules *r = up ? &spec->up : &spec->down;
  int64_t cutoff = now_ms - (int64_t)longest_period(r) * 1000;

  if (!spec->has_behavior || next == prev)
    return;
  if (up)
    record(h->ups, &h->n_ups, HPA_EVENTS_MAX, cutoff, now_ms, next - prev);
  else
    record(h->downs, &h->n_downs, HPA_EVENTS_MAX, cutoff, now_ms, prev - next);
}
