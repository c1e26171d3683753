/*
 * typed - objects seen through their schema as structured-merge-diff's
 * typed package sees them: the set of fields an object sets, the
 * comparison of two versions, the merge of an applied configuration
 * into a live object, and the removal of a set of fields.
 *
 * How a node is cut into fields (smd's schema, from the structural
 * schema's extensions):
 *   - an object with properties is a struct: one field per property;
 *     one without (additionalProperties, or unknown fields kept) is a
 *     granular map whose entries are fields and members themselves;
 *     x-kubernetes-map-type: atomic makes it one leaf;
 *   - a list is atomic (one leaf) unless x-kubernetes-list-type says
 *     "set" (items by value, v:) or "map" (items by
 *     x-kubernetes-list-map-keys, k:, a key absent from an item taking
 *     its schema default). Without a list type, a strategic merge key
 *     makes a map list keyed by it and a merge strategy alone a set;
 *   - a node with no schema (x-kubernetes-preserve-unknown-fields) is
 *     smd's "deduced" type: maps granular, lists atomic;
 *   - metadata at the top is ObjectMeta.
 *
 * Threading: none; pure functions of their arguments.
 * Ownership: schemas and objects are borrowed; sets are the caller's.
 * Objects given to cp_ssa_remove are modified in place.
 */
#ifndef CPLANE_HOST_APISERVER_SSA_TYPED_H
#define CPLANE_HOST_APISERVER_SSA_TYPED_H

struct json_object;
struct cp_schema;
struct cp_fieldset;

/* Adds every field o sets to out (smd's ToFieldSet): leaves, list items,
 * map entries, empty maps. Returns -1 when out of memory. */
int cp_ssa_fields_of(const struct cp_schema *s, struct json_object *o,
                     struct cp_fieldset *out);

/* Compares a (before; may be NULL) and b (after) as smd's Compare:
 * changed gets what b added or modified, removed what b no longer has.
 * With builtin, a struct newly present is not a member of changed
 * (kube's typed built-in objects always hold their non-pointer structs,
 * so its managedFields never name them). -1 when out of memory. */
int cp_ssa_compare(const struct cp_schema *s, int builtin,
                   struct json_object *a, struct json_object *b,
                   struct cp_fieldset *changed, struct cp_fieldset *removed);

/* The merge of config into live (smd's Merge): maps and structs field
 * by field, set and map lists item by item (live's order, config's new
 * items placed as smd places them), anything else config's. A new
 * object, or NULL when out of memory. */
struct json_object *cp_ssa_merge(const struct cp_schema *s,
                                 struct json_object *live,
                                 struct json_object *config);

/* Removes from o every member of rm, except where keep holds something
 * at or under it (a list item someone still owns a field of stays). */
void cp_ssa_remove(const struct cp_schema *s, struct json_object *o,
                   const struct cp_fieldset *rm,
                   const struct cp_fieldset *keep);

#endif /* CPLANE_HOST_APISERVER_SSA_TYPED_H */
