/*
 * owner_map - a plugin's declared "a change to a dependent enqueues its
 * owner" rules (api->enqueue_owner), controller-runtime's
 * EnqueueRequestForOwner: for each rule of the resource that changed,
 * each ownerReference of the object whose apiVersion's group (the part
 * before '/', "" for "v1") equals the rule's group and whose kind equals
 * the rule's kind exactly (and, with CPLANE_OWNER_CONTROLLER, that has
 * controller: true) gives the key "namespace/name" (the dependent's
 * namespace and the reference's name; "name" for a cluster-scoped
 * dependent, or with CPLANE_OWNER_CLUSTER, a cluster-scoped owner kind),
 * which is queued on the plugin's queue. The test kit (sdk/testing/)
 * uses the same rules through cp_owner_map_keys().
 *
 * Threading: rules are added from init() only (the plugin is not running
 * yet, so there is no reader); afterwards the map is read-only and read
 * by any dispatch thread without a lock.
 * Ownership: the map owns its rules and their strings; it is embedded in
 * the plugin's record and released by cp_owner_map_clear().
 */
#ifndef CPLANE_HOST_PLUGIN_OWNER_MAP_H
#define CPLANE_HOST_PLUGIN_OWNER_MAP_H

#include <stddef.h>
#include <stdint.h>

#include <cplane/host_api.h>

struct cp_workqueue;

/* How many rules one plugin may declare: a bound, far above real use. */
#define CP_OWNER_MAP_MAX_RULES 64

struct cp_owner_rule {
  uint32_t resource; /* index into the plugin's resources[] */
  char *group;       /* "" for the core group */
  char *kind;
  uint32_t flags;    /* CPLANE_OWNER_* */
};

struct cp_owner_map {
  struct cp_owner_rule *rules;
  size_t n;
};

/* Adds a rule. Declaring the same rule twice keeps one. Returns CPLANE_OK,
 * CPLANE_EINVAL (NULL or empty kind, NULL group, unknown flags, too many
 * rules) or CPLANE_ENOMEM. */
int cp_owner_map_add(struct cp_owner_map *m, uint32_t resource,
                     const char *group, const char *kind, uint32_t flags);
/* 1 when some rule concerns `resource`. */
int cp_owner_map_has(const struct cp_owner_map *m, uint32_t resource);
/* Queues on q the owner keys of obj (may be NULL) under m's rules for
 * `resource`. Returns how many keys were queued. */
size_t cp_owner_map_enqueue(const struct cp_owner_map *m, uint32_t resource,
                            const cplane_object *obj, struct cp_workqueue *q);
/* Calls fn(userdata, key) for each owner key of obj (may be NULL) under
 * m's rules for `resource`; key is borrowed for the call. Returns how many
 * calls fn returned nonzero for. */
size_t cp_owner_map_keys(const struct cp_owner_map *m, uint32_t resource,
                         const cplane_object *obj,
                         int (*fn)(void *userdata, const char *key),
                         void *userdata);
/* Frees every rule; the map is empty afterwards. */
void cp_owner_map_clear(struct cp_owner_map *m);

#endif /* CPLANE_HOST_PLUGIN_OWNER_MAP_H */
