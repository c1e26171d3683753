/*
 * target - what the HPA reads and writes outside itself: the scale
 * subresource of its scaleTargetRef (Deployment, ReplicaSet,
 * StatefulSet, ReplicationController: read /scale, write /scale), and
 * the target's pods with what metrics.k8s.io reports for them, turned
 * into calc.h's samples (kube's podLister plus its REST metrics client).
 *
 * Ownership: struct hpa_scale and struct hpa_samples own what they hold;
 * free them with their *_free. Messages are written into the caller's
 * buffer.
 * Threading: reconcile only (blocking reads through the API server).
 */
#ifndef HPA_TARGET_H
#define HPA_TARGET_H

#include <cplane/cplane.h>

#include <stddef.h>

#include "calc.h"
#include "hpa.h"

struct hpa_scale {
  const struct cplane_resource *res; /* the target's resource */
  const cplane_object *obj;          /* the Scale as read */
  int32_t replicas;                  /* spec.replicas */
  const char *selector;              /* status.selector, into obj */
};

/* Reads the target's scale. 0, or -1 with err set in kube's words
 * ("deployments.apps \"web\" not found", "no matches for kind ..."). */
int hpa_scale_get(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const struct hpa_spec *spec, const char *ns,
                  struct hpa_scale *out, char *err, size_t errlen);
/* Writes spec.replicas of the scale read (its resourceVersion guards
 * it). The HTTP status; *msg the server's message on failure. */
int hpa_scale_set(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const struct hpa_spec *spec, const char *ns,
                  const struct hpa_scale *sc, int32_t replicas, char **msg);
void hpa_scale_free(const struct cplane_host_api *api, struct hpa_scale *sc);

struct hpa_samples {
  cplane_object_list *pods;    /* from the cache */
  cplane_object_list *metrics; /* PodMetrics, listed from the server */
  struct hpa_pod *items;       /* one per pod, by name; borrow the lists */
  const cplane_object **objs;  /* items[i]'s pod */
  size_t n;
};

/* The pods of ns matching selector (from cache resource `pods`) and
 * their PodMetrics. 0, or -1 with err ("unable to fetch metrics from
 * resource metrics API: ...", "no metrics returned from resource metrics
 * API"). */
int hpa_samples_list(const struct cplane_host_api *api,
                     cplane_plugin_ctx *ctx, uint32_t pods, const char *ns,
                     const char *selector, struct hpa_samples *out,
                     char *err, size_t errlen);
/* Fills each item's request and metric for resource ("cpu"). */
void hpa_samples_resource(const struct cplane_host_api *api,
                          struct hpa_samples *s, const char *resource);
void hpa_samples_free(const struct cplane_host_api *api,
                      struct hpa_samples *s);

#endif
