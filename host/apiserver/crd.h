/*
 * crd - CustomResourceDefinitions: checking a definition, and turning it
 * into resource types in the registry so that its custom resources are
 * served under their own group, listed in discovery and watched like any
 * built-in kind.
 *
 * Threading: safe from any thread (the registry locks itself).
 * Ownership: the registry copies what it keeps; errmsg results are
 * malloc'd (caller frees).
 */
#ifndef CPLANE_HOST_APISERVER_CRD_H
#define CPLANE_HOST_APISERVER_CRD_H

#include "apiserver/request.h"

struct json_object;

/* Checks crd (a parsed CustomResourceDefinition), its versions' schemas
 * included. Returns 0, or -1 with *field (borrowed constant) and *errmsg
 * (malloc'd) naming the first problem. */
int cp_crd_validate(struct json_object *crd, const char **field,
                    char **errmsg);
/* Sets the status a served definition reports (Established,
 * NamesAccepted, acceptedNames, storedVersions). */
void cp_crd_set_status(struct json_object *crd);
/* Registers every served version of a valid crd, and gives each its
 * compiled openAPIV3Schema (compiled again only when it changed; a
 * version whose schema is removed keeps the last one until restart).
 * Returns how many types were added (0 when all were known already). */
int cp_crd_register(struct cp_resources *r, struct json_object *crd);
/* Registers every definition in the store (at start-up). Returns the
 * number of definitions read, or a negative store code. */
int cp_crd_load_all(struct cp_api_ctx *ctx);

#endif /* CPLANE_HOST_APISERVER_CRD_H */
