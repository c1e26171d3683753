/*
 * list_map - the items of an `x-kubernetes-list-type: map` list indexed by
 * their `x-kubernetes-list-map-keys`, so an updated item finds the old
 * item it replaces, as kube correlates them (k8s.io/apiserver/pkg/cel/
 * common/maplist.go): CEL transition rules (`oldSelf`) and ratcheting on
 * the items of a map list see the old item with the same keys. An item
 * missing a key, or with a key that is not a scalar, correlates with
 * nothing; with duplicate keys the first item wins.
 *
 * Threading: an index is built and read by one thread. Ownership: the
 * index borrows the list (which must outlive it); items returned are the
 * list's.
 */
#ifndef CPLANE_HOST_APISERVER_LIST_MAP_H
#define CPLANE_HOST_APISERVER_LIST_MAP_H

struct json_object;
struct cp_list_map;

/* Indexes array's items by the nk key names keys (borrowed: they must
 * outlive the index). NULL when array is not an array, keys is NULL, or
 * out of memory: nothing correlates. */
struct cp_list_map *cp_list_map_new(struct json_object *array,
                                    const char *const *keys, size_t nk);
/* The indexed item with item's key values, or NULL. */
struct json_object *cp_list_map_get(const struct cp_list_map *m,
                                    struct json_object *item);
void cp_list_map_free(struct cp_list_map *m);

#endif /* CPLANE_HOST_APISERVER_LIST_MAP_H */
