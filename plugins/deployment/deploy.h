/*
 * deploy - what one reconcile of the deployment plugin knows: the
 * Deployment with its settings resolved, its status as reported and as it
 * will be written, and the ReplicaSets it controls. Every module of the
 * plugin works on a struct deploy; this header holds only the shared
 * types, names and two small readers.
 *
 * Ownership: a struct deploy lives on one reconcile's stack; what it
 * points to is loaded by dp_load() (view.h) and freed by dp_unload().
 * The host's function table travels in d->api, so the modules keep no
 * global and can be unit-tested against any table.
 *
 * Threading: a struct deploy belongs to the worker running its key; the
 * host never runs one key on two workers at once.
 */
#ifndef DEPLOY_DEPLOY_H
#define DEPLOY_DEPLOY_H

#include <cplane/cplane.h>

#include <stdint.h>
#include <stdlib.h>

#define ANN_REVISION "deployment.kubernetes.io/revision"
#define ANN_DESIRED "deployment.kubernetes.io/desired-replicas"
#define ANN_MAX "deployment.kubernetes.io/max-replicas"
#define ANN_REVISION_HISTORY "deployment.kubernetes.io/revision-history"
/* kube's bound on revision-history (about 100 revisions). */
#define REVISION_HISTORY_MAX_CHARS 2000
#define HASH_LABEL "pod-template-hash"

#define COND_AVAILABLE "Available"
#define COND_PROGRESSING "Progressing"

/* The plugin's resources (defined in view.c), indexed by these. */
extern const struct cplane_resource dp_resources[2];
#define DP_DEPLOY 0
#define DP_RS 1

struct condition {
  char type[64], status[16], reason[64], message[512];
  char last_update[40], last_transition[40];
};

struct rsinfo {
  const cplane_object *o; /* borrowed from the reconcile's list */
  const char *name, *created;
  int64_t spec, replicas, ready, available, revision, gen, observed;
  int64_t desired_ann, max_ann; /* -1 when absent */
  int is_new;
};

struct status {
  char now[CPLANE_TIME_LEN]; /* this reconcile's clock, for conditions */
  int64_t observed, replicas, updated, ready, available, unavailable;
  int64_t collisions;
  struct condition *conds; /* owned */
  size_t n_conds, cap_conds;
};

struct deploy {
  const struct cplane_host_api *api;
  cplane_plugin_ctx *ctx;
  const cplane_object *o;
  const cplane_object *patched; /* o after our own patch, or NULL */
  const char *key, *ns, *name, *uid;
  const char *rv; /* resourceVersion of the newest of o and patched */
  int64_t replicas, gen, history, deadline, min_ready;
  int64_t surge, unavailable; /* resolved against replicas */
  int paused, recreate;
  struct status cur;  /* as the Deployment reports it now */
  struct status next; /* what this reconcile will report */
  cplane_object_list *list;
  struct rsinfo *rs;
  size_t n_rs;
  struct rsinfo *new_rs; /* one of rs[], or NULL */
  char *template;        /* canonical JSON of spec.template */
  char hash[16];
};

static inline int64_t dp_get_int(const struct cplane_host_api *api,
                                 const cplane_object *o, const char *path,
                                 int64_t dflt) {
  int64_t v;

  return api->object_int(o, path, &v) == CPLANE_OK ? v : dflt;
}

/* A non-negative integer annotation, or -1 when absent or malformed. */
static inline int64_t dp_annotation_int(const struct cplane_host_api *api,
                                        const cplane_object *o,
                                        const char *key) {
  const char *s = api->object_annotation(o, key);
  char *end;
  long long v;

  if (s == NULL || s[0] == '\0')
    return -1;
  v = strtoll(s, &end, 10);
  return *end == '\0' && v >= 0 ? (int64_t)v : -1;
}

#endif
