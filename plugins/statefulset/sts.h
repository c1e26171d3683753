/*
 * sts - what one reconcile of the statefulset plugin knows: the
 * StatefulSet with its settings resolved, its revisions, and its pods by
 * ordinal. Every module works on a struct sts; this header holds the
 * shared types, names and the resources.
 *
 * Ownership: a struct sts lives on one reconcile's stack; what it points
 * to is loaded by sts_load() (view.h) and freed by sts_unload(). The
 * host's table travels in s->api, so modules keep no global.
 *
 * Threading: a struct sts belongs to the worker running its key; the host
 * never runs one key on two workers at once.
 */
#ifndef STS_STS_H
#define STS_STS_H

#include <cplane/cplane.h>

#include <stdint.h>

/* The plugin's resources (defined in resources.c), indexed by these. */
extern const struct cplane_resource sts_resources[4];
#define STS_SETS 0
#define STS_PODS 1
#define STS_REVISIONS 2
#define STS_CLAIMS 3

#define STS_LABEL_POD_NAME "statefulset.kubernetes.io/pod-name"
#define STS_LABEL_POD_INDEX "apps.kubernetes.io/pod-index"

/* A pod of the set: one of the loaded list (o borrowed from it), or a
 * slot with no pod yet (o NULL). */
struct sts_pod {
  const cplane_object *o;
  int64_t ord;
  const char *rev; /* controller-revision-hash label, "" when none */
};

struct sts_status {
  int64_t observed, replicas, ready, current, updated, available;
  int64_t collisions;
  char current_rev[256], update_rev[256];
};

struct sts {
  const struct cplane_host_api *api;
  cplane_plugin_ctx *ctx;
  const cplane_object *o;
  const char *key, *ns, *name, *uid;
  int64_t replicas, start, partition, min_ready, history;
  int64_t max_unavailable; /* resolved against replicas, at least 1 */
  int parallel, on_delete;
  int delete_when_deleted, delete_when_scaled; /* retention policy */
  int64_t now_ms;
  /* Revisions: the list the set controls, and the two in use (borrowed
   * from revs, or from made[] when created in this reconcile). */
  cplane_object_list *revs;
  const cplane_object *current, *update;
  const cplane_object *made[2]; /* owned: revisions written now */
  /* Pods: the set's, split as kube splits them. */
  cplane_object_list *pod_list;
  struct sts_pod *replicas_v; /* [replicas]: ordinal start + i */
  struct sts_pod *condemned;  /* outside the range, highest first */
  size_t n_condemned;
  struct sts_status st;
  uint32_t requeue_ms; /* minReadySeconds still to wait, 0 for none */
};

#endif
