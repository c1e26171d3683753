/*
 * table - server-side printing: a GET answered as a meta.k8s.io/v1 Table
 * when the client asks for one (kubectl get sends
 * "Accept: application/json;as=Table;v=v1;g=meta.k8s.io,..."), with the
 * columns kubectl users know for the built-in kinds (pods: READY, STATUS,
 * RESTARTS, AGE, and IP and NODE for -o wide) and NAME, AGE for the rest.
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

/* kubectl's HumanDuration of the time from RFC 3339 timestamp ts to now
 * ("45s", "5m10s", "3d4h"), or "<unknown>", into buf. */
void cp_table_age(char *buf, size_t len, const char *ts, long long now);

#endif
