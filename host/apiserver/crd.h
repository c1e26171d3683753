/*
 * crd - CustomResourceDefinitions: checking a definition, and turning it
 * into resource types in the registry so that its custom resources are
 * served under their own group, listed in discovery and watched like any
 * built-in kind.
 *
 * Every API server on one store keeps its registry in step with the
 * stored definitions through a store watch (cp_crd_sync), so a definition
 * created or deleted through another server is served, or no longer,
 * within moments, and one marked for deletion there has its creates
 * refused here too.
 *
 * Threading: safe from any thread (the registry locks itself).
 * Ownership: the registry copies what it keeps; errmsg results are
 * malloc'd (caller frees).
 */
#ifndef CPLANE_HOST_APISERVER_CRD_H
#define CPLANE_HOST_APISERVER_CRD_H

#include <stddef.h>
#include <stdint.h>

#include "apiserver/request.h"

struct json_object;

/* Checks crd (a parsed CustomResourceDefinition), its versions' schemas
 * included. Returns 0, or -1 with *field and *errmsg (malloc'd) naming
 * the first problem; *field is a constant or lies inside *errmsg's
 * allocation, so it is valid until *errmsg is freed. */
int cp_crd_validate(struct json_object *crd, const char **field,
                    char **errmsg);
/* Sets the status a definition reports (Established, NamesAccepted,
 * Terminating once it is being deleted, acceptedNames, storedVersions).
 * conflict NULL: its names are accepted and it is served; else the
 * NamesAccepted=False reason ("KindConflict", ...) and its message, and
 * it is not served (Established=False, NotAccepted). */
void cp_crd_set_status(struct json_object *crd, const char *conflict,
                       const char *conflict_msg);
/* kube's naming controller: whether a name crd requests (plural, kind,
 * listKind) is already claimed by another stored definition of its group.
 * Returns NULL, or the reason ("PluralConflict", "KindConflict",
 * "ListKindConflict") with msg[len] set to kube's message ("\"Widget\"
 * is already in use"). Reads the store. */
const char *cp_crd_names_conflict(struct cp_api_ctx *ctx,
                                  struct json_object *crd, char *msg,
                                  size_t len);
/* 0 when crd's status says NamesAccepted=False (it must not be served). */
int cp_crd_names_accepted(struct json_object *crd);
/* Registers every served version of a valid crd, and gives each its
 * compiled openAPIV3Schema (compiled again only when it changed; a
 * version whose schema is removed keeps the last one until restart).
 * Flags its types terminating while crd carries
 * metadata.deletionTimestamp (cp_resources_set_terminating, at crd's
 * metadata.resourceVersion), so that creates are refused without a store
 * read; every caller (the handlers after a write, the sync, a load)
 * passes the definition as stored. Versions of its type that crd no
 * longer serves (removed from its list, or served: false) stop being
 * served. A definition whose status says NamesAccepted=False (its names
 * conflict with another's) is not served. Returns how many types were
 * added (0 when all were known already). */
int cp_crd_register(struct cp_resources *r, struct json_object *crd);
/* A definition this server's handler has just stored: registered as by
 * cp_crd_register, except that a terminating one only flags the types
 * it has. Why: between the handler's store write and this call, the
 * definition may have been released and removed (by either server's
 * cleanup) and its types unregistered by the delete and the watch; a
 * registration from the handler's older copy would then serve them for
 * good, with no event left to take them out. A terminating definition
 * never needs types added: they were served before it was deleted, and
 * a load or the watch (whose events come in order) adds any. Returns
 * how many types were added. */
int cp_crd_register_written(struct cp_resources *r, struct json_object *crd);
/* Stops serving every version crd lists (its custom resources stay in
 * the store: the caller purges them if it must), fenced at crd's
 * resourceVersion: a registration of a copy of it not newer than that
 * (an update that raced the delete, registered late) serves nothing
 * again, while a definition created anew does. Returns one type it
 * removed (borrowed from the registry, which keeps it alive), or NULL
 * when none was served: unregistering an unknown definition is a no-op.
 */
const struct cp_resource_type *cp_crd_unregister(struct cp_resources *r,
                                                struct json_object *crd);
/* Makes the registry's custom types those of the definitions in the
 * store: registers every one (flagging those already terminating), and
 * stops serving custom types none of them serves any more. *rev (if not
 * NULL) receives the store revision read. Returns the number of
 * definitions read, or a negative store code. */
int cp_crd_load_all(struct cp_api_ctx *ctx, int64_t *rev);

/* Keeps ctx's registry in step with the stored definitions: a store watch
 * from rev + 1 (rev: what cp_crd_load_all read; <= 0 when it failed, and
 * the sync loads them first) applies every definition written or deleted
 * through any API server, without touching custom resources. When the
 * watch ends (compaction, store error) a thread of its own loads them all
 * again and watches anew, retrying every second. ctx is borrowed and must
 * outlive the sync. Returns the sync (owned; cp_crd_sync_stop) or NULL
 * when out of memory or threads. */
struct cp_crd_sync;
struct cp_crd_sync *cp_crd_sync_start(struct cp_api_ctx *ctx, int64_t rev);
/* Ends the watch and the thread and frees s (NULL is ignored). When it
 * returns no callback runs: the registry and store may go. */
void cp_crd_sync_stop(struct cp_crd_sync *s);

#endif /* CPLANE_HOST_APISERVER_CRD_H */
