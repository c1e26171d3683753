/*
 * managed - metadata.managedFields and the two operations that keep them,
 * as kube-apiserver's fieldmanager and structured-merge-diff's Updater:
 *
 *   - Update (create, update, every patch but apply, the status and
 *     scale subresources): the writer's manager gains the fields the
 *     write added or changed, every other manager loses them, and
 *     everybody loses the fields it removed;
 *   - Apply (apply patches): the applied configuration is merged into
 *     the live object; its fields become the manager's Apply set; fields
 *     the manager applied before and no longer applies are removed when
 *     no other manager owns them; a field another manager owns that the
 *     apply changes is a conflict unless forced, which takes it.
 *
 * Fields kube never tracks (apiVersion, kind, metadata.name, namespace,
 * uid, resourceVersion, generation, creationTimestamp, selfLink,
 * managedFields) are left out; so is status on the main resource of a
 * kind with a status subresource, and all but status on /status (kube's
 * reset fields).
 *
 * Threading: none; pure functions of their arguments.
 * Ownership: objects are borrowed unless a function says it modifies or
 * returns one; results are the caller's.
 */
#ifndef CPLANE_HOST_APISERVER_SSA_MANAGED_H
#define CPLANE_HOST_APISERVER_SSA_MANAGED_H

#include <stddef.h>

struct json_object;
struct cp_schema;
struct cp_fieldset;

/* kube's FieldManagerMaxLength. */
#define CP_SSA_MANAGER_MAX 128

/* What a write is. subresource: NULL for the main resource. status_split:
 * the main resource's status is another subresource's. now: RFC 3339. */
struct cp_ssa_op {
  const struct cp_schema *schema;
  int builtin;
  int status_split;
  const char *manager;
  const char *api_version;
  const char *subresource;
  const char *now;
};

/* One conflict: the manager as kube prints it ("\"kubectl\" using v1")
 * and the field (".spec.replicas"). */
struct cp_ssa_conflict {
  char *manager;
  char *field;
};

struct cp_ssa_conflicts {
  struct cp_ssa_conflict *v;
  size_t n;
};

void cp_ssa_conflicts_clear(struct cp_ssa_conflicts *c);
/* kube's message: "Apply failed with 1 conflict: conflict with "x" using
 * v1: .spec.replicas", or for several "Apply failed with N conflicts:
 * conflicts with "x":\n- .a\n- .b". malloc'd; NULL when out of memory. */
char *cp_ssa_conflicts_message(const struct cp_ssa_conflicts *c);

/* The manager of a write that names none: kube's prefix of the
 * User-Agent up to its first '/' (NULL or "": ""). Writes at most
 * len-1 bytes to buf. */
void cp_ssa_manager_from_user_agent(const char *ua, char *buf, size_t len);

/* Update: records the write live -> next (live NULL for a create) in
 * next's metadata.managedFields, as kube: the managedFields next carries
 * count when they decode and are not empty (a client may set them; [{}]
 * or [] resets them), else live's; on a subresource, live's always.
 * Returns 0, or -1 when out of memory. */
int cp_ssa_update(const struct cp_ssa_op *op, struct json_object *live,
                  struct json_object *next);

/* Apply: config (the applied object) onto live (the current object, or
 * a bare one for a create). On success returns 0 and *out is the merged
 * object with its managedFields. Returns CP_SSA_ECONFLICT with
 * conflicts filled (and *out NULL) when the apply changes fields other
 * managers own and force is not set; -1 when out of memory. With
 * upgrade_last_applied, conflicts that only the client-side apply
 * annotation's fields cause are forced (kube's lastapplied upgrade for
 * the manager "kubectl"). */
#define CP_SSA_ECONFLICT 1
int cp_ssa_apply(const struct cp_ssa_op *op, struct json_object *live,
                 struct json_object *config, int force,
                 struct json_object **out, struct cp_ssa_conflicts *conflicts);

#endif /* CPLANE_HOST_APISERVER_SSA_MANAGED_H */
