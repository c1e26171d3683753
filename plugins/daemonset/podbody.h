/*
 * podbody - the pod a DaemonSet creates on a node, as kube's
 * CreatePodTemplate and ReplaceDaemonSetPodNodeNameNodeAffinity make it:
 * the template with the daemon tolerations added, the labels
 * controller-revision-hash (the current revision's hash) and
 * pod-template-generation, a controller reference, generateName
 * "<daemonset>-", and a required node affinity that is the single term
 * `metadata.name In [node]` (matchFields) in place of the template's
 * required terms (the controller has already judged those); the
 * scheduler then binds it there.
 *
 * The body is built once per reconcile as a head and a tail around the
 * node's name, so a 5,000-node rollout formats one string per node.
 *
 * Ownership: the body's strings are owned by it (ds_podbody_free); each
 * ds_podbody_for() result is the caller's (free()).
 * Threading: pure; any thread.
 */
#ifndef DS_PODBODY_H
#define DS_PODBODY_H

#include "ds.h"

struct ds_podbody {
  char *head, *tail;
};

/* Builds the body of ds's pods for revision `hash` and template
 * generation `generation` (< 0: none). 0, or -1 when out of memory or the
 * template is not an object. */
int ds_podbody_init(const struct cplane_host_api *api, const cplane_object *ds,
                    const char *hash, int64_t generation, struct ds_podbody *b);
/* The pod for node. NULL when out of memory. */
char *ds_podbody_for(const struct cplane_host_api *api,
                     const struct ds_podbody *b, const char *node);
void ds_podbody_free(struct ds_podbody *b);

#endif
