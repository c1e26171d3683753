/*
 * config - the podgc plugin's [plugin.podgc] keys:
 *   terminated_pod_gc_threshold  terminated pods kept before the oldest
 *                                are deleted (kube-controller-manager's
 *                                --terminated-pod-gc-threshold, 12500;
 *                                0 turns that pass off, as in kube)
 *   gc_interval                  how often pods are looked over (20s, kube's
 *                                gcCheckPeriod)
 *   orphan_quarantine            how long a node must be missing before its
 *                                pods go (40s, kube's quarantineTime)
 *
 * Threading: init only.
 */
#ifndef PGC_CONFIG_H
#define PGC_CONFIG_H

#include <cplane/cplane.h>

struct pgc_config {
  int64_t threshold;
  uint32_t interval_ms, quarantine_ms;
};

/* Reads the keys into cfg. NULL, or what is wrong (static text). */
const char *pgc_configure(const struct cplane_host_api *api,
                          cplane_plugin_ctx *ctx, struct pgc_config *cfg);

#endif
