/*
 * fieldset - sets of field paths, as structured-merge-diff's fieldpath.Set:
 * what server-side apply records a manager owns (metadata.managedFields'
 * fieldsV1).
 *
 * A set is a tree. Each node is one path element, written as fieldsV1
 * writes it: "f:name" (a field of a map), "k:{"name":"x"}" (an item of a
 * list keyed by its map keys, keys sorted), "v:"a"" (an item of a set
 * list, by value), "i:3" (an item by index). A node is a member when the
 * path to it is in the set (fieldsV1's "."; a leaf is always a member).
 * Children are kept in kube's order (fields, then keys, values, indices;
 * each in its own order), so the encoding is kube's byte for byte.
 *
 * Threading: none; a set belongs to one thread at a time.
 * Ownership: a set owns its nodes. Results of the operations are new
 * sets owned by the caller (cp_fieldset_free). json_objects passed in
 * are borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_SSA_FIELDSET_H
#define CPLANE_HOST_APISERVER_SSA_FIELDSET_H

#include <stddef.h>

struct json_object;

enum cp_pe_kind { CP_PE_FIELD, CP_PE_KEY, CP_PE_VALUE, CP_PE_INDEX };

/* One node. kv is the key object (k:) or the value (v:), owned. */
struct cp_fs_node {
  enum cp_pe_kind kind;
  char *pe;               /* the fieldsV1 key: "f:name", "k:{...}" ... */
  struct json_object *kv; /* k: and v: only */
  long idx;               /* i: only */
  int member;
  struct cp_fs_node *kids;
  size_t n, cap;
};

struct cp_fieldset {
  struct cp_fs_node root; /* pe NULL; root.member is never set */
};

/* Deepest path a set may hold and most nodes decoded from one fieldsV1:
 * bounds on what a client can make the server walk. */
#define CP_FIELDSET_MAX_DEPTH 64
#define CP_FIELDSET_MAX_NODES 200000

struct cp_fieldset *cp_fieldset_new(void);
void cp_fieldset_free(struct cp_fieldset *s);
int cp_fieldset_empty(const struct cp_fieldset *s);
/* Nodes (for tests and bounds). */
size_t cp_fieldset_count(const struct cp_fieldset *s);

/* The child of n for element (kind, name/kv/idx), made when absent
 * (create) or NULL. name is the field name (f:), kv the key object or
 * value (k:, v:, copied), idx the index (i:). NULL when out of memory. */
struct cp_fs_node *cp_fs_child(struct cp_fs_node *n, enum cp_pe_kind kind,
                               const char *name, struct json_object *kv,
                               long idx, int create);
/* The child of n with the same element as like, or NULL; with create,
 * made as a copy of like's element (not its children). */
struct cp_fs_node *cp_fs_child_like(struct cp_fs_node *n,
                                    const struct cp_fs_node *like, int create);

/* Removes kid, one of n's children, with everything under it. */
void cp_fs_drop_child(struct cp_fs_node *n, struct cp_fs_node *kid);

/* New sets: a | b, a - b (members of a not in b), a & b. NULL when out
 * of memory. */
struct cp_fieldset *cp_fieldset_union(const struct cp_fieldset *a,
                                      const struct cp_fieldset *b);
struct cp_fieldset *cp_fieldset_difference(const struct cp_fieldset *a,
                                           const struct cp_fieldset *b);
struct cp_fieldset *cp_fieldset_intersection(const struct cp_fieldset *a,
                                             const struct cp_fieldset *b);
/* In place: a |= b, a -= b. Return -1 when out of memory. */
int cp_fieldset_add(struct cp_fieldset *a, const struct cp_fieldset *b);
void cp_fieldset_remove(struct cp_fieldset *a, const struct cp_fieldset *b);
int cp_fieldset_equal(const struct cp_fieldset *a, const struct cp_fieldset *b);
struct cp_fieldset *cp_fieldset_copy(const struct cp_fieldset *a);

/* fieldsV1: the set as kube encodes it (a new json object, NULL when out
 * of memory), and back. Decoding refuses (NULL, *err a static message)
 * what is not fieldsV1: a non-object, a key of no known form, bad JSON
 * in k:/v:, a "." that is not {}, deeper than CP_FIELDSET_MAX_DEPTH or
 * larger than CP_FIELDSET_MAX_NODES. */
struct json_object *cp_fieldset_to_json(const struct cp_fieldset *s);
struct cp_fieldset *cp_fieldset_from_json(struct json_object *j,
                                          const char **err);

/* Calls fn(path, arg) for every member in order, path as smd's
 * Path.String() writes it: ".spec.containers[name=\"a\"].image". Stops
 * and returns fn's result when it is not 0. */
int cp_fieldset_each(const struct cp_fieldset *s,
                     int (*fn)(const char *path, void *arg), void *arg);

#endif /* CPLANE_HOST_APISERVER_SSA_FIELDSET_H */
