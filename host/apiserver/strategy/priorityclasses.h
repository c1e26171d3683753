/*
 * priorityclasses - scheduling.k8s.io/v1 PriorityClass: the lookups pod
 * admission needs, and the classes every cluster has
 * (system-cluster-critical 2000000000, system-node-critical 2000001000),
 * created at start when missing.
 *
 * Threading: any request thread; the store is thread-safe.
 * Ownership: results are copied into the caller's struct.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_PRIORITYCLASSES_H
#define CPLANE_HOST_APISERVER_STRATEGY_PRIORITYCLASSES_H

#include <stdint.h>

#include "apiserver/request.h"

struct cp_priority_class {
  char name[254];
  int32_t value;
  char preemption_policy[32]; /* "" when the class has none */
};

/* Class name, read from the store: 1 found (*out filled), 0 not found,
 * -1 store failure. */
int cp_priority_class_get(struct cp_api_ctx *ctx, const char *name,
                          struct cp_priority_class *out);
/* The globalDefault class (several: the lowest value, as kube's
 * admission): 1 found, 0 none, -1 store failure. */
int cp_priority_class_default(struct cp_api_ctx *ctx,
                              struct cp_priority_class *out);
/* Creates the system classes that are missing (through the API, so the
 * strategy's defaults apply). Called once at start. */
void cp_priority_class_bootstrap(struct cp_api_ctx *ctx);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_PRIORITYCLASSES_H */
