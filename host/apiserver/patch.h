/*
 * patch - the three patch formats kube-apiserver accepts, applied to json-c
 * documents:
 *
 *   - JSON merge patch, RFC 7386 (application/merge-patch+json);
 *   - JSON patch, RFC 6902 (application/json-patch+json), applied
 *     atomically: one failed operation fails the whole patch;
 *   - Kubernetes strategic merge patch
 *     (application/strategic-merge-patch+json), the subset kubectl and the
 *     client libraries send: lists merged by the merge key and strategy
 *     the type's schema gives (x-kubernetes-patch-merge-key /
 *     -patch-strategy), or without a schema by a table keyed by the list
 *     field's name (metadata.finalizers merged as a set), and the
 *     $patch, $setElementOrder/, $retainKeys and $deleteFromPrimitiveList/
 *     directives.
 *
 * Merge and strategic patches must be JSON objects and JSON patches JSON
 * arrays. Patches nesting deeper than 64 levels are rejected. JSON patch
 * errors number operations from 0, their index in the patch array.
 *
 * Threading: every function is thread-safe; they are pure functions that
 * never modify their arguments and keep no state.
 *
 * Ownership: doc is borrowed and never modified (the patch is applied to a
 * deep copy). The patch text is borrowed. The result and the error message
 * belong to the caller; when errmsg is not NULL, *errmsg is NULL after
 * success and after CPLANE_ENOMEM.
 */
#ifndef CPLANE_HOST_PATCH_H
#define CPLANE_HOST_PATCH_H
#include <stddef.h>
struct json_object;
enum cp_patch_type { CP_PATCH_MERGE, CP_PATCH_JSON, CP_PATCH_STRATEGIC };
/* Applies the patch text (len bytes, need not be NUL-terminated) to doc,
 * which is only read. On success returns CPLANE_OK and *out is a new
 * document owned by the caller (json_object_put). On failure returns
 * CPLANE_EINVAL (malformed patch text, a failed JSON patch op or test,
 * a bad directive), *out is NULL and, when errmsg is not NULL, *errmsg is a
 * malloc'd message naming the problem, e.g. "json patch operation 2
 * (replace /spec/x): path not found" (caller frees). CPLANE_ENOMEM when
 * out of memory. */
int cp_patch_apply(enum cp_patch_type type, struct json_object *doc,
                   const char *patch, size_t len, struct json_object **out,
                   char **errmsg);
/* What a JSON patch may do, as kube-apiserver bounds it (the class of
 * CVE-2019-1002100, where N copies double a document N times): at most
 * CP_PATCH_MAX_OPS operations (more: CP_PATCH_ETOOMANY, which kube
 * answers 413), and "copy" operations adding at most
 * CP_PATCH_COPY_LIMIT bytes of JSON in all (evanphx/json-patch's
 * AccumulatedCopySizeLimit, set by kube to its 3 MiB request limit; more:
 * CPLANE_ERANGE, 422). Both are refused before anything is allocated. */
#define CP_PATCH_MAX_OPS 10000
#define CP_PATCH_COPY_LIMIT (3 * 1024 * 1024)
#define CP_PATCH_ETOOMANY -201
/* cp_patch_apply with the schema of doc's type (schema.h; NULL: the table
 * by field name) driving the strategic merge patch's list merges. */
struct cp_schema;
int cp_patch_apply_schema(enum cp_patch_type type, struct json_object *doc,
                          const char *patch, size_t len,
                          const struct cp_schema *schema,
                          struct json_object **out, char **errmsg);
/* Maps a Content-Type value (parameters after ';' ignored, case-insensitive)
 * to a patch type. Returns 0 and sets *type, or -1 for anything else
 * (including application/apply-patch+yaml, which the server answers 415). */
int cp_patch_type_from_content_type(const char *content_type,
                                    enum cp_patch_type *type);
#endif
