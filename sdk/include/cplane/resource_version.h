/*
 * cplane/resource_version.h - ordering two resourceVersions.
 *
 * Header-only: nothing here is in the host table or the ABI.
 *
 * Kubernetes calls a resourceVersion opaque, but every store this host
 * runs on (SQLite and etcd alike) hands out decimal revisions, so two of
 * them order by their numeric value. A cache uses that to tell an event
 * older than the copy it holds from a newer one:
 *   int c;
 *   if (cplane_rv_compare(cached_rv, event_rv, &c) == 0 && c > 0)
 *     ... the event is older than the cache: drop it ...
 * Leading zeros are ignored ("010" == "10"); the digits may exceed any
 * integer type (they are compared as text, by length first).
 *
 * Threading: pure functions.
 */
#ifndef CPLANE_RESOURCE_VERSION_H
#define CPLANE_RESOURCE_VERSION_H

#include <stddef.h>
#include <string.h>

/* The digits of a decimal rv without leading zeros (one "0" kept) and
 * their count; NULL when rv is NULL, empty or not all decimal digits. */
static inline const char *cplane_rv__digits(const char *rv, size_t *len) {
  const char *p;

  if (rv == NULL || *rv == '\0')
    return NULL;
  for (p = rv; *p != '\0'; p++)
    if (*p < '0' || *p > '9')
      return NULL;
  while (*rv == '0' && rv[1] != '\0')
    rv++;
  *len = (size_t)(p - rv);
  return rv;
}

/* Sets *cmp to -1, 0 or 1 as resourceVersion a is older than, the same as
 * or newer than b, and returns 0; returns -1 (*cmp untouched) when either
 * is not a plain decimal, so the caller chooses what an opaque version
 * means to it. */
static inline int cplane_rv_compare(const char *a, const char *b, int *cmp) {
  size_t la = 0, lb = 0;
  const char *da = cplane_rv__digits(a, &la), *db;
  int c;

  if (da == NULL || (db = cplane_rv__digits(b, &lb)) == NULL)
    return -1;
  if (la != lb) {
    *cmp = la < lb ? -1 : 1;
    return 0;
  }
  c = strcmp(da, db);
  *cmp = c < 0 ? -1 : c > 0 ? 1 : 0;
  return 0;
}

#endif
