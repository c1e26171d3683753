/*
 * match - which PersistentVolume a claim may bind to, as kube's PV
 * controller's findMatchingVolume decides: a volume pre-bound to the
 * claim (its claimRef names it) first, else the smallest Available volume
 * whose capacity covers the request, whose access modes include the
 * claim's, whose storageClassName and volumeMode equal the claim's and
 * whose labels the claim's selector matches.
 *
 * Threading: pure functions of borrowed objects.
 */
#ifndef PV_MATCH_H
#define PV_MATCH_H

#include "pv.h"

/* The claim's storageClassName, "" when it has none. Borrowed. */
const char *pv_claim_class(const struct cplane_host_api *api,
                           const cplane_object *claim);
/* 1 when pv's claimRef names claim (namespace and name, and uid when
 * the claimRef has one). */
int pv_refers_to(const struct cplane_host_api *api, const cplane_object *pv,
                 const cplane_object *claim);
/* 1 when pv may serve claim (size, modes, class, mode, selector, and it
 * is free or pre-bound to claim), else 0. */
int pv_fits(const struct cplane_host_api *api, const cplane_object *pv,
            const cplane_object *claim);
/* The best volume of `volumes` for claim, or NULL. Borrowed from the
 * list. */
const cplane_object *pv_best_match(const struct cplane_host_api *api,
                                   const cplane_object_list *volumes,
                                   const cplane_object *claim);

#endif
