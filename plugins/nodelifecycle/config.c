/*
 * config - the nodelifecycle plugin's settings. See config.h.
 */
#include "config.h"

#include <stdlib.h>

static const char *cfg(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const char *key) {
  const char *v = api->config_get(ctx, key);

  return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Reads [plugin.nodelifecycle]. Returns NULL, or what is wrong. */
const char *nl_configure(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, struct nl_config *lc) {
  const char *v;
  char *end;
  double d;
  long n;
  int64_t ms;

  v = cfg(api, ctx, "grace_period");
  if (cplane_duration_parse_ms(v ? v : "40s", CPLANE_DURATION_BARE_SECONDS,
                               1000000000, &ms) != CPLANE_OK ||
      ms == 0)
    return "grace_period: a duration such as 40s";
  lc->grace_ms = (uint32_t)ms;
  v = cfg(api, ctx, "default_toleration_seconds");
  n = v ? strtol(v, &end, 10) : 300;
  if ((v && *end != '\0') || n < 0 || n > 86400 * 365)
    return "default_toleration_seconds: a whole number of seconds";
  lc->default_toleration_s = n;
  v = cfg(api, ctx, "eviction_rate");
  d = v ? strtod(v, &end) : 10;
  if ((v && *end != '\0') || !(d > 0) || d > 1e6)
    return "eviction_rate: pods per second, more than 0";
  lc->eviction_rate = d;
  /* A tenth of a second's worth at once, and at least one. */
  lc->burst = d / 10 > 1 ? d / 10 : 1;
  /* Checking a few times per grace period bounds how late we notice. */
  lc->check_ms = lc->grace_ms / 4 < 5000 ? lc->grace_ms / 4 : 5000;
  if (lc->check_ms == 0)
    lc->check_ms = 1;
  v = cfg(api, ctx, "check_interval");
  if (v != NULL && (cplane_duration_parse_ms(v, CPLANE_DURATION_BARE_SECONDS,
                                             1000000000, &ms) != CPLANE_OK ||
                    ms == 0))
    return "check_interval: a duration such as 5s";
  if (v != NULL)
    lc->check_ms = (uint32_t)ms;
  return NULL;
}
