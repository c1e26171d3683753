/*
 * gc - the names the garbagecollector plugin's modules share: the kinds
 * it watches, in the order of its resources, and the ownerReferences path.
 *
 * Other kinds, custom resources included, are found through discovery
 * (discovery.h, dyn.h) and listed instead of cached (scan.h).
 *
 * The host's function table is passed to each module's functions, so the
 * modules keep no global and can be unit-tested against any table.
 *
 * Threading: constant data and pure functions.
 */
#ifndef GC_GC_H
#define GC_GC_H

#include <cplane/cplane.h>

#include <stdint.h>

#define GC_OWNERS "metadata.ownerReferences"
#define GC_N_RES 8
#define GC_CRDS 7 /* watched to cover new custom resources at once */

/* The plugin's resources (defined in resources.c) and the kind of each,
 * as ownerReferences name it. */
extern const struct cplane_resource gc_resources[GC_N_RES];
extern const char *const gc_kinds[GC_N_RES];

/* The resource index of a watched kind, or -1 (also for NULL). */
int gc_kind_index(const char *kind);

#endif
