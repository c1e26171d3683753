/*
 * table - server-side printing: a GET answered as a meta.k8s.io/v1 Table
 * when the client asks for one (kubectl get sends
 * "Accept: application/json;as=Table;v=v1;g=meta.k8s.io,..."), with the
 * columns kubectl users know for the built-in kinds (pods: READY, STATUS,
 * RESTARTS, AGE, and IP and NODE for -o wide) and NAME, AGE for the rest.
 *
 * The columns and cells of a kind are its strategy's
 * (strategy/strategy.h); the helpers below are for the strategies'
 * cells functions.
 *
 * Watches are still answered with plain objects.
 *
 * Threading: pure functions.
 */
#ifndef CPLANE_HOST_APISERVER_TABLE_H
#define CPLANE_HOST_APISERVER_TABLE_H

#include "apiserver/resources.h"

/* The Content-Type of a Table reply. */
#define CP_TABLE_CONTENT_TYPE "application/json;as=Table;v=v1;g=meta.k8s.io"

/* Nonzero when an Accept header asks for a meta.k8s.io/v1 Table. */
int cp_table_wanted(const char *accept);

/* The Table for a GET's JSON reply `body` (len bytes: an object or a list
 * of type),
 * with each row carrying its object's metadata (include_object 0) or the whole
 * object (1, includeObject=Object). `now` is the time ages are counted
 * to. Owned: free(). NULL when body is not an object or list. */
char *cp_table_render(const struct cp_resource_type *type, const char *body,
                      size_t len, int include_object, long long now);

/* ---- for strategies' cells: o may be NULL or of any type */
struct json_object;
/* The string at a dotted path, NULL when absent or not a string. */
const char *cp_table_str(struct json_object *o, const char *path);
/* The integer at a dotted path, 0 when absent. */
long long cp_table_num(struct json_object *o, const char *path);
/* The length of the array (object) at a dotted path, 0 when not one. */
int cp_table_arr_len(struct json_object *o, const char *path);
int cp_table_map_len(struct json_object *o, const char *path);
/* kubectl's HumanDuration of s seconds ("45s", "5m10s", "3d4h"). */
void cp_table_duration(char *buf, size_t len, long long s);
/* kubectl's HumanDuration from RFC 3339 ts to now ("<unknown>" when ts
 * is NULL or unreadable); of metadata.creationTimestamp for _age. */
void cp_table_age_since(char *buf, size_t len, const char *ts,
                        long long now);
void cp_table_age(char *buf, size_t len, struct json_object *obj,
                  long long now);
/* Appends a cell: s (NULL: "<none>"), or an integer. */
void cp_table_add_str(struct json_object *cells, const char *s);
void cp_table_add_int(struct json_object *cells, long long v);

#endif
