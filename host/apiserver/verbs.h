/*
 * verbs - what the verbs (verbs_read.c, verbs_write.c, verbs_delete.c),
 * admission.c and the strategies share and nothing outside the API
 * server's request path needs: small JSON accessors, the parsing and
 * serializing of bodies and stored objects, and kube-apiserver's wording
 * of errors about one object. Private to host/apiserver; crd.c, watch.c
 * and crd_cleanup.c use request.h only.
 *
 * Threading: everything here runs on the calling request worker; no
 * shared state.
 * Ownership: accessors borrow; functions returning char * or
 * json_object * give the caller a reference; responders take nothing
 * but set rs (cp_api_respond_status).
 */
#ifndef CPLANE_HOST_APISERVER_VERBS_H
#define CPLANE_HOST_APISERVER_VERBS_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "apiserver/request.h"
#include "apiserver/status.h"

/* Compact, and '/' left alone as kube-apiserver writes it. */
#define CP_VERBS_JSON_OUT                                                      \
  (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
/* Compare-and-swap attempts of a patch or delete before 409. */
#define CP_VERBS_CAS_RETRIES 8

/* ---- JSON accessors: o may be NULL or of any type. */

static inline json_object *get(json_object *o, const char *k) {
  json_object *v = NULL;

  if (o == NULL || !json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, k, &v))
    return NULL;
  return v;
}

static inline const char *get_str(json_object *o, const char *k) {
  json_object *v = get(o, k);

  return v != NULL && json_object_is_type(v, json_type_string)
             ? json_object_get_string(v)
             : NULL;
}

/* metadata of o, created when absent or not an object. */
static inline json_object *metadata(json_object *o) {
  json_object *m = get(o, "metadata");

  if (m == NULL || !json_object_is_type(m, json_type_object)) {
    m = json_object_new_object();
    json_object_object_add(o, "metadata", m);
  }
  return m;
}

/* generation + 1, saturating: a stored generation at INT64_MAX must not
 * overflow (undefined behaviour). */
static inline int64_t next_generation(int64_t g) {
  return g < INT64_MAX ? g + 1 : g;
}

static inline void set_str(json_object *o, const char *k, const char *v) {
  json_object_object_add(o, k, json_object_new_string(v));
}

/* ---- bodies and stored objects (request.c) */

struct cp_json_strict_dups;
/* Parses a body strictly (object/json_strict: exactly what kube's
 * decoder takes), depth-limited. Duplicate keys go to *dups when not
 * NULL. NULL with *err (malloc'd) set on failure and for null. */
json_object *cp_verbs_parse_body_dups(const char *s, size_t n,
                                      struct cp_json_strict_dups *dups,
                                      char **err);
json_object *cp_verbs_parse_body(const char *s, size_t n, char **err);
/* Strips the resourceVersion (never stored) and serializes. */
char *cp_verbs_stored_text(json_object *o);
void cp_verbs_set_rv(json_object *o, int64_t rv);
void cp_verbs_now_rfc3339(char *buf, size_t len);
void cp_verbs_new_uid(char *buf, size_t len);
/* dryRun=All on the query. */
int cp_verbs_dry_run(struct cp_api_request *rq);
/* Sets rs to 200/201 text (taken; NULL: 500 out of memory). */
void cp_verbs_respond_text(struct cp_api_response *rs, int code, char *text);

/* ---- errors about one object, worded as kube-apiserver (request.c) */

/* "deployments.apps" or "pods". */
void cp_verbs_qualified_resource(const struct cp_resource_type *t, char *buf,
                                 size_t len);
/* "<before><resource.group> "<name>"<after>", details naming the object. */
void cp_verbs_object_failure(struct cp_api_response *rs, int code,
                             const char *reason,
                             const struct cp_resource_type *t, const char *name,
                             const char *before, const char *after);
void cp_verbs_not_found(struct cp_api_response *rs,
                        const struct cp_resource_type *t, const char *name);
void cp_verbs_conflict(struct cp_api_response *rs,
                       const struct cp_resource_type *t, const char *name);
void cp_verbs_already_exists(struct cp_api_response *rs,
                             const struct cp_resource_type *t,
                             const char *name);
/* 422 with one cause. */
void cp_verbs_invalid(struct cp_api_response *rs,
                      const struct cp_resource_type *t, const char *name,
                      const char *field, const char *reason,
                      const char *detail);
/* kube decodes a built-in kind's body into its Go type before anything
 * reads it, so a value of the wrong type in metadata (a name of 5) is a
 * 400 then ("<kind> in version "<version>" cannot be handled as a
 * <kind>: json: cannot unmarshal number into Go struct field
 * ObjectMeta.metadata.name of type string"), not a missing name or a
 * mismatch found later. Checks only o's metadata (small, and read by
 * every step after decoding; the rest is the schema's): 0, or -1
 * having answered. */
int cp_verbs_metadata_decodes(const char *kind, const char *version,
                              struct json_object *o,
                              struct cp_api_response *rs);
/* 422 for a bad request option ("ListOptions.meta.k8s.io ..."). */
void cp_verbs_options_invalid(struct cp_api_response *rs, const char *kind,
                              const char *field, const char *reason,
                              const char *detail);
/* 403 "<resource> "<name>" is forbidden: <why>"; cause may be NULL. */
void cp_verbs_forbidden(struct cp_api_response *rs,
                        const struct cp_resource_type *t, const char *name,
                        const char *why, const struct cp_status_cause *cause);
/* The Status for a store error code. */
void cp_verbs_store_error(struct cp_api_response *rs, int rc);

/* ---- shared steps of the verbs */

/* The Scale (autoscaling/v1) view of o; malloc'd text. */
char *cp_verbs_scale_text(const struct cp_resource_type *t, json_object *o);
/* Reads the current object at key; responds 404/5xx and returns NULL
 * when it cannot. */
json_object *cp_verbs_read_current(struct cp_api_ctx *ctx,
                                   struct cp_api_request *rq, const char *key,
                                   int64_t *rev, struct cp_api_response *rs);
/* Stores next over the revision cur_rev (or removes it once deletion
 * has nothing left holding it). Responds; returns the store code,
 * CP_STORE_ECONFLICT so callers may retry. */
int cp_verbs_write_over(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                        const char *key, json_object *next, int64_t cur_rev,
                        struct cp_api_response *rs, int respond_conflict);
/* Something still holds o once its deletion started. */
int cp_verbs_holds_deletion(const struct cp_resource_type *t, json_object *o);
/* After o of type t left the store: what goes with it. */
void cp_verbs_deleted(struct cp_api_ctx *ctx, const struct cp_resource_type *t,
                      json_object *o);
/* Deletes every key under prefix, finalizers notwithstanding (what a
 * namespace or a definition leaves when it goes); returns how many. */
size_t cp_verbs_purge_prefix(struct cp_api_ctx *ctx, const char *prefix);
/* Adds finalizer f to metadata md unless present. */
void cp_verbs_add_finalizer(json_object *md, const char *f);

/* ---- the verbs (handlers.c dispatches) */

void cp_verb_get(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                 struct cp_api_response *rs);
void cp_verb_list(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                  struct cp_api_response *rs);
void cp_verb_create(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                    struct cp_api_response *rs);
void cp_verb_update(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                    struct cp_api_response *rs);
void cp_verb_patch(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                   struct cp_api_response *rs);
void cp_verb_binding(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                     struct cp_api_response *rs);
void cp_verb_delete(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                    struct cp_api_response *rs);
/* verbs_eviction.c: pods/NAME/eviction. */
void cp_verb_eviction(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                      struct cp_api_response *rs);
/* verbs_metrics.c: every request to metrics.k8s.io (computed, read-only). */
void cp_verb_metrics(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                     struct cp_api_response *rs);
void cp_verb_delete_collection(struct cp_api_ctx *ctx,
                               struct cp_api_request *rq,
                               struct cp_api_response *rs);

#endif /* CPLANE_HOST_APISERVER_VERBS_H */
