/*
 * horizontalpodautoscaler - kube's HPA controller
 * (pkg/controller/podautoscaler/horizontal.go) for autoscaling/v2
 * Resource metrics: every `sync_period` each HPA reads its target's
 * scale, its pods and their PodMetrics (metrics.k8s.io, which the API
 * server computes from the usage model nodes declare: nodesim's), computes the replica count each metric
 * asks for (calc.h), takes the highest, stabilizes and rate-limits it
 * (behavior.h), writes the target's /scale when it changed (event
 * SuccessfulRescale), and writes its status (status.h).
 *
 * This file is the glue: the descriptor, the INI, the callbacks (which
 * only enqueue) and reconcile. The modules: spec (reading the HPA),
 * target (scale and samples), calc, behavior, history (each HPA's
 * recommendations and scale events, in memory), status.
 *
 * Threading: callbacks run on the host's dispatch threads and only
 * enqueue or forget a history; reconcile runs on the workers, never for
 * one key on two at once. The configuration is read-only after init; the
 * histories have their own lock.
 */
#include <cplane/cplane.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "behavior.h"
#include "calc.h"
#include "history.h"
#include "hpa.h"
#include "spec.h"
#include "status.h"
#include "target.h"

enum { HPAS, PODS };
static const struct cplane_resource resources[] = {
    [HPAS] = CPLANE_RESOURCE("autoscaling", "v2", "horizontalpodautoscalers"),
    [PODS] = CPLANE_RESOURCE("", "v1", "pods"),
};

static const struct cplane_host_api *api;
static struct hpa_histories histories;

/* [plugin.horizontalpodautoscaler], read in init. */
static struct {
  uint32_t sync_ms, cpu_init_ms, readiness_delay_ms;
  double tolerance;
} cfg;

#define ERR_LEN 512

/* ---- callbacks ---- */

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  if (res == HPAS)
    api->enqueue(ctx, api->object_key(obj));
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  /* A resync (old == new) is covered by our own requeue every
   * sync_period; a status write of ours wakes nothing. */
  if (res == HPAS && old_obj != new_obj &&
      api->object_generation(old_obj) != api->object_generation(new_obj))
    api->enqueue(ctx, api->object_key(new_obj));
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  (void)ctx;
  if (res == HPAS)
    hpa_history_forget(&histories, api->object_key(obj));
}

/* ---- one sync ---- */

struct sync {
  cplane_plugin_ctx *ctx;
  const cplane_object *hpa;
  const char *ns;
  struct hpa_spec spec;
  struct hpa_scale scale;
  struct hpa_history *hist;
  struct hpa_status st;
  struct hpa_metric_status metrics[HPA_MAX_METRICS];
  int64_t now_ms;
};

static void warn(struct sync *s, const char *reason, const char *msg) {
  api->event_record(s->ctx, &resources[HPAS], s->hpa, "Warning", reason,
                    "%s", msg);
}

/* The replica count one metric asks for, or -1 with err (kube's
 * computeStatusForResourceMetric and its wrapping). */
static int32_t metric_replicas(struct sync *s, struct hpa_samples *smp,
                               const struct hpa_metric *m,
                               struct hpa_metric_status *ms, char *err) {
  struct hpa_calc_args a = {
      .resource = m->resource,
      .utilization = m->target_type == HPA_TARGET_UTILIZATION,
      .target_util = m->utilization,
      .target_avg_milli = m->average_milli,
      .current_replicas = s->scale.replicas,
      .tolerance = cfg.tolerance,
      .now_ms = s->now_ms,
      .cpu_init_ms = cfg.cpu_init_ms,
      .readiness_delay_ms = cfg.readiness_delay_ms,
  };
  struct hpa_calc_result r;

  hpa_samples_resource(api, smp, m->resource);
  hpa_calc_replicas(&a, smp->items, smp->n, &r);
  if (r.error[0] != '\0') {
    snprintf(err, ERR_LEN, "failed to get %s %s: %s", m->resource,
             a.utilization ? "utilization" : "usage", r.error);
    return -1;
  }
  *ms = (struct hpa_metric_status){m->resource, a.utilization, r.utilization,
                                   r.average_milli};
  return r.replicas;
}

/* computeReplicasForMetrics: the highest count any metric asks for, its
 * metric's name into name; -1 when every metric failed, or some did and
 * the rest would scale down (then the condition and err are set). */
static int32_t desired_by_metrics(struct sync *s, char *name, size_t name_len,
                                  char *err) {
  struct hpa_samples smp;
  char first[ERR_LEN] = "", one[ERR_LEN], cond_msg[ERR_LEN + 64];
  int32_t best = 0, r;
  int i, invalid = 0, first_bad = 0;

  if (hpa_samples_list(api, s->ctx, PODS, s->ns, s->scale.selector, &smp,
                       one, sizeof one) != 0) {
    for (i = 0; i < s->spec.n_metrics; i++)
      if (invalid++ == 0)
        snprintf(first, sizeof first, "failed to get %s %s: unable to get "
                 "metrics for resource %s: %.300s", s->spec.metrics[i].resource,
                 s->spec.metrics[i].target_type == HPA_TARGET_UTILIZATION
                     ? "utilization" : "usage",
                 s->spec.metrics[i].resource, one);
  } else {
    for (i = 0; i < s->spec.n_metrics; i++) {
      const struct hpa_metric *m = &s->spec.metrics[i];

      r = metric_replicas(s, &smp, m, &s->metrics[s->st.n_metrics], one);
      if (r < 0) {
        if (invalid++ == 0) {
          snprintf(first, sizeof first, "%s", one);
          first_bad = i;
        }
        continue;
      }
      s->st.n_metrics++;
      if (best == 0 || r > best) {
        best = r;
        snprintf(name, name_len, "%s resource%s", m->resource,
                 m->target_type == HPA_TARGET_UTILIZATION
                     ? " utilization (percentage of request)"
                     : "");
      }
    }
  }
  hpa_samples_free(api, &smp);
  if (s->spec.n_metrics == 0) {
    snprintf(err, ERR_LEN, "no Resource metric of cpu or memory to scale on");
    hpa_status_cond(&s->st, HPA_COND_ACTIVE, "False",
                    "InvalidMetricSourceType",
                    "the HPA was unable to compute the replica count: no "
                    "Resource metric of cpu or memory to scale on");
    return -1;
  }
  if (invalid >= s->spec.n_metrics ||
      (invalid > 0 && best < s->scale.replicas)) {
    snprintf(cond_msg, sizeof cond_msg,
             "the HPA was unable to compute the replica count: %s", first);
    hpa_status_cond(&s->st, HPA_COND_ACTIVE, "False",
                    "FailedGetResourceMetric", cond_msg);
    warn(s, "FailedGetResourceMetric", first);
    snprintf(err, ERR_LEN,
             "invalid metrics (%d invalid out of %d), first error is: "
             "failed to get %s resource metric value: %s",
             invalid, s->spec.n_metrics,
             s->spec.metrics[first_bad].resource, first);
    return -1;
  }
  snprintf(cond_msg, sizeof cond_msg,
           "the HPA was able to successfully calculate a replica count from "
           "%s", name);
  hpa_status_cond(&s->st, HPA_COND_ACTIVE, "True", "ValidMetricFound",
                  cond_msg);
  return best;
}

/* Writes the status; RETRY when it failed for want of memory. */
static int write_status(struct sync *s) {
  int nomem = 0, code;
  char *patch = hpa_status_patch(api, s->ctx, s->hpa, &s->st, &nomem);
  char *msg = NULL;

  if (patch == NULL)
    return nomem ? CPLANE_RECONCILE_RETRY : CPLANE_RECONCILE_DONE;
  code = api->patch_subresource(s->ctx, &resources[HPAS], s->ns,
                                api->object_name(s->hpa), "status",
                                CPLANE_PATCH_MERGE, patch, NULL, &msg);
  if (code != 200 && code != 404)
    api->log(s->ctx, CPLANE_LOG_WARN, "%s: status: %d %s",
             api->object_key(s->hpa), code, msg ? msg : "");
  api->free(msg);
  api->free(patch);
  return code == 200 || code == 404 ? CPLANE_RECONCILE_DONE
                                    : CPLANE_RECONCILE_RETRY;
}

/* Sets the target's scale to want: the rescale, its condition and event.
 * 0, or -1 when the write failed. */
static int rescale(struct sync *s, int32_t want, const char *reason) {
  char *msg = NULL, text[ERR_LEN + 128];
  int code = hpa_scale_set(api, s->ctx, &s->spec, s->ns, &s->scale, want,
                           &msg);

  if (code != 200) {
    api->event_record(s->ctx, &resources[HPAS], s->hpa, "Warning",
                      "FailedRescale", "New size: %d; reason: %s; error: %s",
                      (int)want, reason, msg ? msg : "update failed");
    snprintf(text, sizeof text,
             "the HPA controller was unable to update the target scale: %s",
             msg ? msg : "update failed");
    hpa_status_cond(&s->st, HPA_COND_ABLE, "False", "FailedUpdateScale",
                    text);
    api->free(msg);
    return -1;
  }
  snprintf(text, sizeof text,
           "the HPA controller was able to update the target scale to %d",
           (int)want);
  hpa_status_cond(&s->st, HPA_COND_ABLE, "True", "SucceededRescale", text);
  api->event_record(s->ctx, &resources[HPAS], s->hpa, "Normal",
                    "SuccessfulRescale", "New size: %d; reason: %s",
                    (int)want, reason);
  hpa_record_scale(s->hist, &s->spec, s->now_ms, s->scale.replicas, want);
  return 0;
}

/* reconcileAutoscaler after the scale was read. */
static int autoscale(struct sync *s) {
  int32_t current = s->scale.replicas, desired = current, metric;
  char reason[160] = "", name[128] = "", err[ERR_LEN];
  struct hpa_normalized norm;
  int do_rescale = 1;

  if (current == 0 && s->spec.min_replicas != 0) {
    desired = 0;
    do_rescale = 0;
    hpa_status_cond(&s->st, HPA_COND_ACTIVE, "False", "ScalingDisabled",
                    "scaling is disabled since the replica count of the "
                    "target is zero");
  } else if (current > s->spec.max_replicas) {
    snprintf(reason, sizeof reason,
             "Current number of replicas above Spec.MaxReplicas");
    desired = s->spec.max_replicas;
  } else if (current < s->spec.min_replicas) {
    snprintf(reason, sizeof reason,
             "Current number of replicas below Spec.MinReplicas");
    desired = s->spec.min_replicas;
  } else {
    if (s->scale.selector == NULL || s->scale.selector[0] == '\0') {
      warn(s, "SelectorRequired", "selector is required");
      hpa_status_cond(&s->st, HPA_COND_ACTIVE, "False", "InvalidSelector",
                      "the HPA target's scale is missing a selector");
      return -1;
    }
    if ((metric = desired_by_metrics(s, name, sizeof name, err)) < 0) {
      warn(s, "FailedComputeMetricsReplicas", err);
      return -1;
    }
    if (metric > current)
      snprintf(reason, sizeof reason, "%s above target", name);
    else if (metric < current)
      snprintf(reason, sizeof reason, "All metrics below target");
    hpa_normalize(s->hist, &s->spec, s->now_ms, current, metric, &norm);
    hpa_status_cond(&s->st, HPA_COND_ABLE, norm.able.status, norm.able.reason,
                    norm.able.message);
    hpa_status_cond(&s->st, HPA_COND_LIMITED, norm.limited.status,
                    norm.limited.reason, norm.limited.message);
    desired = norm.replicas;
    do_rescale = desired != current;
  }
  if (do_rescale && rescale(s, desired, reason) != 0)
    return -1;
  s->st.rescaled = do_rescale;
  s->st.desired = do_rescale ? desired : current;
  return 0;
}

static int32_t stored_int(const cplane_object *o, const char *path) {
  int64_t v = 0;

  api->object_int(o, path, &v);
  return v < 0 || v > INT32_MAX ? 0 : (int32_t)v;
}

static int hpa_reconcile(cplane_plugin_ctx *ctx, const char *key,
                         uint32_t *requeue_after_ms) {
  struct sync s;
  const char *bad;
  char err[ERR_LEN], text[ERR_LEN + 96];
  int rc;

  memset(&s, 0, sizeof s);
  s.ctx = ctx;
  if (api->cache_get(ctx, HPAS, key, &s.hpa) != CPLANE_OK) {
    hpa_history_forget(&histories, key);
    return CPLANE_RECONCILE_DONE;
  }
  rc = CPLANE_RECONCILE_REQUEUE_AFTER;
  *requeue_after_ms = cfg.sync_ms;
  if (api->object_deletion_timestamp(s.hpa) != NULL) {
    rc = CPLANE_RECONCILE_DONE;
    goto out;
  }
  s.ns = api->object_namespace(s.hpa);
  s.now_ms = api->now_ms(ctx);
  s.st.metrics = s.metrics;
  if ((bad = hpa_read_spec(api, s.hpa, &s.spec)) != NULL) {
    /* The API server validates; one that got past it waits for a fix. */
    api->log(ctx, CPLANE_LOG_WARN, "%s: %s", key, bad);
    goto out;
  }
  if ((s.hist = hpa_history_get(&histories, key)) == NULL) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  if (hpa_scale_get(api, ctx, &s.spec, s.ns, &s.scale, err, sizeof err) !=
      0) {
    warn(&s, "FailedGetScale", err);
    snprintf(text, sizeof text,
             "the HPA controller was unable to get the target's current "
             "scale: %s", err);
    hpa_status_cond(&s.st, HPA_COND_ABLE, "False", "FailedGetScale", text);
    /* kube leaves the replica figures as they were. */
    s.st.current = stored_int(s.hpa, "status.currentReplicas");
    s.st.desired = stored_int(s.hpa, "status.desiredReplicas");
    write_status(&s);
    goto out;
  }
  hpa_status_cond(&s.st, HPA_COND_ABLE, "True", "SucceededGetScale",
                  "the HPA controller was able to get the target's current "
                  "scale");
  s.st.current = s.scale.replicas;
  s.st.desired = s.scale.replicas;
  autoscale(&s);
  if (write_status(&s) == CPLANE_RECONCILE_RETRY)
    rc = CPLANE_RECONCILE_RETRY;
out:
  hpa_scale_free(api, &s.scale);
  hpa_history_put(&histories, s.hist);
  api->object_release(s.hpa);
  return rc;
}

/* ---- init ---- */

static const char *duration_key(cplane_plugin_ctx *ctx, const char *key,
                                const char *def, int64_t min_ms,
                                int64_t max_ms, uint32_t *out) {
  const char *v = api->config_get(ctx, key);
  int64_t ms;

  if (cplane_duration_parse_ms(v != NULL && v[0] ? v : def,
                               CPLANE_DURATION_BARE_SECONDS, max_ms,
                               &ms) != CPLANE_OK ||
      ms < min_ms)
    return key;
  *out = (uint32_t)ms;
  return NULL;
}

static const char *configure(cplane_plugin_ctx *ctx) {
  const char *v = api->config_get(ctx, "tolerance");
  int64_t milli;

  if (duration_key(ctx, "sync_period", "15s", 100, 3600000, &cfg.sync_ms) ||
      duration_key(ctx, "cpu_initialization_period", "5m", 0, 3600000,
                   &cfg.cpu_init_ms) ||
      duration_key(ctx, "initial_readiness_delay", "30s", 0, 3600000,
                   &cfg.readiness_delay_ms))
    return "sync_period (100ms to 1h), cpu_initialization_period and "
           "initial_readiness_delay (up to 1h): durations such as 15s or 5m";
  /* A fraction read as a quantity in thousandths: "0.1" is 100. */
  if (cplane_quantity_parse_milli(v != NULL && v[0] ? v : "0.1", &milli,
                                  NULL) != CPLANE_OK ||
      milli < 0 || milli > 1000)
    return "tolerance: a number from 0 to 1, such as 0.1";
  cfg.tolerance = (double)milli / 1000.0;
  return NULL;
}

static int hpa_init(cplane_plugin_ctx *ctx,
                    const struct cplane_host_api *host_api, char **errmsg) {
  const char *err;
  char buf[200];

  api = host_api;
  if ((err = configure(ctx)) != NULL) {
    snprintf(buf, sizeof buf, "[plugin.%s] %s", api->plugin_name(ctx), err);
    *errmsg = api->string_dup(buf);
    return CPLANE_EINVAL;
  }
  if (hpa_histories_init(&histories) != 0) {
    *errmsg = api->string_dup("out of memory for the HPA histories");
    return CPLANE_ENOMEM;
  }
  api->log(ctx, CPLANE_LOG_INFO,
           "sync every %ums, tolerance %.3f, cpu initialization %ums, "
           "initial readiness delay %ums",
           cfg.sync_ms, cfg.tolerance, cfg.cpu_init_ms,
           cfg.readiness_delay_ms);
  return CPLANE_OK;
}

static void hpa_fini(cplane_plugin_ctx *ctx) {
  (void)ctx;
  hpa_histories_free(&histories);
}

static const char *const hpa_config_keys[] = {
    "sync_period", "tolerance", "cpu_initialization_period",
    "initial_readiness_delay", NULL};

/* Beyond what it watches: the scale of any target (confine_plugins). */
static const struct cplane_resource hpa_writes[] = {
    CPLANE_RESOURCE("*", "v1", "*/scale"),
};

static const struct cplane_plugin hpa_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "horizontalpodautoscaler",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 2,
    .resources = resources,
    .init = hpa_init,
    .fini = hpa_fini,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = hpa_reconcile,
    .config_keys = hpa_config_keys,
    .n_writes = 1,
    .writes = hpa_writes,
};

CPLANE_PLUGIN_DEFINE(hpa_plugin)
