/*
 * scale_selector - the status.selector of a kind's autoscaling/v1 Scale:
 * its label selector as the text kube's Selector.String() writes
 * (requirements sorted by key, set values sorted: "app=web,tier in
 * (a,b),!canary"), so an HPA or kubectl reads the same string from us
 * as from kube-apiserver.
 *
 * Threading: pure; any thread.
 * Ownership: borrows its arguments; the result is the caller's (free()).
 */
#ifndef CPLANE_HOST_APISERVER_SCALE_SELECTOR_H
#define CPLANE_HOST_APISERVER_SCALE_SELECTOR_H

#include <json-c/json.h>

#include "apiserver/resources.h"

/* The selector text of object o of type t: spec.selector, a plain label
 * map for a ReplicationController (kube's SelectorFromSet), else a
 * metav1.LabelSelector ({matchLabels, matchExpressions}). "" for an
 * absent, empty or malformed selector (kube answers "" for Everything
 * and Nothing alike), NULL only when out of memory. */
char *cp_scale_selector(const struct cp_resource_type *t, json_object *o);

#endif /* CPLANE_HOST_APISERVER_SCALE_SELECTOR_H */
