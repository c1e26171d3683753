/*
 * config - the podgc plugin's settings. See config.h.
 */
#include "config.h"

#include <stdlib.h>

static const char *cfg(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const char *key) {
  const char *v = api->config_get(ctx, key);

  return v != NULL && v[0] != '\0' ? v : NULL;
}

/* A duration key in ms, more than 0 and at most an hour. */
static int duration(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                    const char *key, const char *def, uint32_t *out) {
  const char *v = cfg(api, ctx, key);
  int64_t ms;

  if (cplane_duration_parse_ms(v ? v : def, CPLANE_DURATION_BARE_SECONDS,
                               3600000, &ms) != CPLANE_OK ||
      ms <= 0)
    return -1;
  *out = (uint32_t)ms;
  return 0;
}

const char *pgc_configure(const struct cplane_host_api *api,
                          cplane_plugin_ctx *ctx, struct pgc_config *c) {
  const char *v = cfg(api, ctx, "terminated_pod_gc_threshold");
  char *end;
  long long n = v ? strtoll(v, &end, 10) : 12500;

  if ((v && *end != '\0') || n < 0 || n > 100000000)
    return "terminated_pod_gc_threshold: a whole number of pods, 0 or more";
  c->threshold = n;
  if (duration(api, ctx, "gc_interval", "20s", &c->interval_ms) != 0)
    return "gc_interval: a duration such as 20s, at most 1h";
  if (duration(api, ctx, "orphan_quarantine", "40s", &c->quarantine_ms) != 0)
    return "orphan_quarantine: a duration such as 40s, at most 1h";
  return NULL;
}
