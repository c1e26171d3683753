/*
 * podtemplate - a Deployment's pod template as the controller compares
 * and names it, as kube-controller-manager does.
 *
 * Each pod template gets one ReplicaSet, "<deployment>-<hash>", where the
 * hash (FNV-1a, spelled as Kubernetes' SafeEncodeString) is taken over the
 * template with its keys sorted and its empty members left out (so key
 * order or a client's "resources":{} never makes a second ReplicaSet). The
 * comparison leaves pod-template-hash out, so a ReplicaSet's template
 * equals its Deployment's.
 *
 * Ownership: returned strings are the caller's (free()).
 * Threading: none inside; safe from any thread.
 */
#ifndef DEPLOY_PODTEMPLATE_H
#define DEPLOY_PODTEMPLATE_H

#include "deploy.h"

/* spec.template of o (a Deployment or a ReplicaSet) as canonical JSON:
 * keys sorted, empty members and pod-template-hash left out. NULL when
 * out of memory. */
char *dp_template_of(const struct cplane_host_api *api, const cplane_object *o);

/* The object at `path` as compact JSON with member `key` set to the JSON
 * text `value` (replaced in place, or added at the end; an absent object
 * becomes {key: value}). NULL when out of memory or value is NULL. */
char *dp_with_member(const struct cplane_host_api *api, const cplane_object *o,
                     const char *path, const char *key, const char *value);

/* The pod-template-hash of a canonical template into hash (16 bytes is
 * enough). The collision count goes into it, so a clash with a ReplicaSet
 * that is not ours gives another name next time. 0, or -1 when out of
 * memory. */
int dp_template_hash(const char *template, int64_t collisions, char *hash,
                     size_t len);

#endif
