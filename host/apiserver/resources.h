/*
 * resources - the registry of resource types the API server serves: one
 * table that drives routing, discovery, OpenAPI and storage keys. The
 * built-in types are compiled in; custom resource definitions add theirs
 * at run time.
 *
 * Threading: lookups and additions may run on any thread (a mutex guards
 * the table). A type, once registered, is never freed or changed before
 * cp_resources_free, so its pointer stays valid; only its terminating
 * flag changes, read and written atomically. A definition that changes a
 * type's shape retires it (as removed) and registers a successor.
 * Ownership: the registry owns every type; callers borrow them.
 */
#ifndef CPLANE_HOST_APISERVER_RESOURCES_H
#define CPLANE_HOST_APISERVER_RESOURCES_H

#include <stddef.h>
#include <stdint.h>

#define CP_SUB_STATUS 1u
#define CP_SUB_SCALE 2u
#define CP_SUB_BINDING 4u
#define CP_SUB_FINALIZE 8u /* namespaces/NAME/finalize: spec.finalizers */
#define CP_SUB_EVICTION 16u /* pods/NAME/eviction: policy/v1 Eviction */
#define CP_SUB_TOKEN 32u /* serviceaccounts/NAME/token: TokenRequest */
#define CP_SUB_APPROVAL 64u /* certificatesigningrequests/NAME/approval */

struct cp_resource_type {
  const char *group;    /* "" for the core group */
  const char *version;  /* "v1" */
  const char *resource; /* plural, lowercase: "deployments" */
  const char *singular; /* "deployment" */
  const char *kind;     /* "Deployment" */
  const char *list_kind; /* "DeploymentList" */
  int namespaced;
  const char *short_names[4]; /* NULL-terminated */
  unsigned subresources;      /* CP_SUB_* */
  int builtin;                /* compiled in (strategic merge patch) */
};

/* Whether t is metrics.k8s.io, computed on read (verbs_metrics.c) as
 * metrics-server serves it: discovery lists only get and list, and
 * every other verb is 405. */
int cp_resource_read_only(const struct cp_resource_type *t);
/* Whether t is only ever created and answered, never stored (access
 * and token reviews): discovery lists the verb create alone. */
int cp_resource_create_only(const struct cp_resource_type *t);

/* What a custom resource definition says of one served version beyond
 * its shape: the version its objects are stored as (discovery's
 * storageVersionHash) and its scale subresource's JSON paths
 * (".spec.replicas"; selector_path NULL when none). Strings are owned by
 * the registered type, immutable, valid as long as it is. */
struct cp_resource_custom {
  const char *storage_version;
  const char *scale_spec_path;
  const char *scale_status_path;
  const char *scale_selector_path;
  /* The revision of the CRD it is registered from (0: unknown): a type
   * removed at that revision or later is not served again by it. */
  int64_t crd_rev;
};

struct cp_resources;

/* A registry holding the built-in types. NULL when out of memory. */
struct cp_resources *cp_resources_new(void);
void cp_resources_free(struct cp_resources *r);

/* The type serving group/version/resource, or NULL. */
const struct cp_resource_type *cp_resources_find(struct cp_resources *r,
                                                 const char *group,
                                                 const char *version,
                                                 const char *resource);
/* Adds a type (copied), or serves a removed one with the same shape
 * again. One with another shape (scope, subresources, names) already
 * there is replaced: the old pointer stays valid, with the old shape, for
 * whoever holds it. Returns 0, or -1 if group/version/resource is served
 * already with this shape, or out of memory. */
int cp_resources_add(struct cp_resources *r,
                     const struct cp_resource_type *t);
/* cp_resources_add of a custom type with what its definition says (c,
 * copied; NULL as none). A change of c is a change of shape. */
int cp_resources_add_custom(struct cp_resources *r,
                            const struct cp_resource_type *t,
                            const struct cp_resource_custom *c);
/* The definition's extras of custom type t (never NULL: its fields may
 * be); NULL for a built-in. t must be a type this registry returned. No
 * lock: they never change. */
const struct cp_resource_custom *
cp_resources_custom(const struct cp_resource_type *t);
/* Stops serving a type added at run time (its CRD was deleted): find and
 * list no longer return it; adding it again serves it again, not
 * terminating. The pointer stays valid. Returns 0, or -1 for an unknown
 * or built-in type. */
int cp_resources_remove(struct cp_resources *r, const char *group,
                        const char *version, const char *resource);
/* cp_resources_remove for a deleted CRD seen at revision rev (0:
 * unknown): adding the type again from a CRD revision not newer than
 * rev (an update that raced the delete) is refused, so that a late
 * registration cannot serve it again with no event left to undo it. */
int cp_resources_remove_at(struct cp_resources *r, const char *group,
                           const char *version, const char *resource,
                           int64_t rev);
/* 1 while custom type t's definition is being deleted (it carries
 * metadata.deletionTimestamp): creates of its resources are refused
 * meanwhile. A lock-free atomic load, for the create path on any thread;
 * 0 for a built-in. */
int cp_resources_terminating(struct cp_resources *r,
                             const struct cp_resource_type *t);
/* Records whether custom type t's definition, as stored at revision rev,
 * is being deleted. A revision older than one recorded already is
 * ignored: the store watch may bring a write after the handler applied a
 * later one. rev <= 0 (unknown) always applies. Serving a removed type
 * again (cp_resources_add) clears the flag. No-op for a built-in. */
void cp_resources_set_terminating(struct cp_resources *r,
                                  const struct cp_resource_type *t,
                                  int terminating, int64_t rev);
/* Copies up to max type pointers into out, in registration order; returns
 * how many exist. */
size_t cp_resources_list(struct cp_resources *r,
                         const struct cp_resource_type **out, size_t max);

struct cp_schema;
struct cp_schema_doc;
/* Schemas of types added at run time (custom resources; the built-in
 * kinds' are compiled in, see schema.h). t must be a type this registry
 * returned. */
/* Gives custom type t the compiled schema of its version (doc, taken;
 * src is the schema's JSON text, copied, so that an unchanged schema is
 * not compiled again: returns 0 without taking doc when src is the text
 * already in place, 1 when doc was taken, -1 when out of memory or t is
 * a built-in). The document replaced stays alive until cp_resources_free:
 * another thread may be walking it. */
int cp_resources_set_schema(struct cp_resources *r,
                            const struct cp_resource_type *t,
                            struct cp_schema_doc *doc, const char *src);
/* 1 when src is the text t's schema was compiled from. */
int cp_resources_schema_is(struct cp_resources *r,
                           const struct cp_resource_type *t,
                           const char *src);
/* A copy of the JSON text t's schema was compiled from (malloc'd, caller
 * frees), or NULL. */
char *cp_resources_schema_text(struct cp_resources *r,
                               const struct cp_resource_type *t);
/* The root schema of custom type t, or NULL (none given, or a built-in). */
const struct cp_schema *cp_resources_schema(struct cp_resources *r,
                                            const struct cp_resource_type *t);

/* A number that changes whenever what is served changes (a type added,
 * removed or served again, a custom type's schema replaced): documents
 * built from the registry (/openapi/v2) are cached by it. */
uint64_t cp_resources_generation(struct cp_resources *r);

/* "apps/v1", or "v1" for the core group, into buf. */
const char *cp_resource_group_version(const struct cp_resource_type *t,
                                      char *buf, size_t len);

#endif /* CPLANE_HOST_APISERVER_RESOURCES_H */
