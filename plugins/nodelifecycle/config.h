/*
 * config - the nodelifecycle plugin's [plugin.nodelifecycle] keys:
 * grace_period (40s), default_toleration_seconds (300), eviction_rate
 * (10 pods/s; bursts of a tenth of a second's worth, at least 1) and
 * check_interval (a quarter of the grace period, at most 5s).
 *
 * Threading: init only.
 */
#ifndef NL_CONFIG_H
#define NL_CONFIG_H

#include <cplane/cplane.h>

struct nl_config {
  uint32_t grace_ms, check_ms;
  int64_t default_toleration_s;
  double eviction_rate; /* pods per second */
  double burst;         /* most evictions back to back */
};

/* Reads the keys into cfg. Returns NULL, or what is wrong (static). */
const char *nl_configure(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, struct nl_config *cfg);

#endif
