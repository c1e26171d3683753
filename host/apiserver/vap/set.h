/*
 * set - the ValidatingAdmissionPolicies and ValidatingAdmissionPolicy-
 * Bindings this server admits with: every one in the store, read into an
 * immutable snapshot (policies compiled, policy.h; each binding joined
 * to its policy; ordered by binding name) and kept in step with the
 * store by a watch on both prefixes (watched_set.h), as kube's policy
 * informers do. Any
 * change reads them all again on the set's thread (policies change
 * rarely); so does the end of a watch (compaction, store error), which
 * watches anew, retrying every second. A write through this or another
 * server is in effect within moments (kube's informer-fed admission is
 * eventually consistent too).
 *
 * A request when no binding names an existing policy costs one atomic
 * load (cp_vap_acquire returns NULL).
 *
 * Threading: cp_vap_acquire/release from any thread; a snapshot is
 * immutable while held. start/stop from the thread that owns ctx.
 * Ownership: ctx is borrowed and must outlive the set.
 */
#ifndef CPLANE_HOST_APISERVER_VAP_SET_H
#define CPLANE_HOST_APISERVER_VAP_SET_H

#include <stddef.h>

#include "apiserver/request.h"
#include "apiserver/vap/policy.h"
#include "apiserver/watched_set.h"

struct json_object;

/* validationActions. */
#define CP_VAP_DENY 1u
#define CP_VAP_WARN 2u
#define CP_VAP_AUDIT 4u

struct cp_vap_binding {
  char *name;
  char *policy_name;
  const struct cp_vap_policy *policy; /* in the same snapshot, or NULL */
  /* paramRef; has_param_ref 0: none. */
  int has_param_ref;
  char *param_name, *param_ns;          /* "" when not given */
  struct json_object *param_selector;   /* or NULL */
  int param_not_found_allow;            /* parameterNotFoundAction Allow */
  struct json_object *match;            /* matchResources, or NULL */
  unsigned actions;                     /* CP_VAP_* */
};

struct cp_vap_snapshot {
  /* First: weight n_active, refs (watched_set.h). */
  struct cp_watched_snapshot ws;
  struct cp_vap_policy *policies;
  size_t n_policies;
  struct cp_vap_binding *bindings; /* by name */
  size_t n_bindings;
  size_t n_active; /* bindings with a policy */
};

struct cp_vap_set;

/* Loads the policies and bindings and starts watching them. NULL when
 * out of memory or threads; a store that cannot be read now is retried
 * every second (no policy applies meanwhile). */
struct cp_vap_set *cp_vap_set_start(struct cp_api_ctx *ctx);
/* Ends the watches and the thread, frees everything (NULL ignored). No
 * request may be using the set. */
void cp_vap_set_stop(struct cp_vap_set *s);

/* The snapshot, or NULL when no binding names a policy; one returned
 * must be released. */
struct cp_vap_snapshot *cp_vap_acquire(struct cp_vap_set *s);
void cp_vap_release(struct cp_vap_set *s, struct cp_vap_snapshot *snap);

/* For tests and the loader: a snapshot of policy and binding objects.
 * NULL when out of memory. Free with cp_vap_snapshot_free. */
struct cp_vap_snapshot *
cp_vap_snapshot_build(struct json_object *const *policies, size_t np,
                      struct json_object *const *bindings, size_t nb);
void cp_vap_snapshot_free(struct cp_vap_snapshot *snap);

#endif /* CPLANE_HOST_APISERVER_VAP_SET_H */
