/*
 * cplane/version.h - ABI version, status codes and shared constants.
 *
 * This is part of the cplane plugin SDK. Everything in the SDK is plain C
 * with fixed-width integers and opaque pointers: no json-c, libevent or
 * SQLite type ever appears here, so upgrading those never breaks a plugin.
 *
 * The version rule (one rule; the loader enforces it and
 * tests/unit/test_loader.c tests it):
 *   - A host loads a plugin whose ABI major equals the host's and whose
 *     ABI minor is not newer than the host's; anything else is refused at
 *     load, with a message naming both versions, before any plugin code
 *     runs.
 *   - A minor bump only appends: entries to the end of struct
 *     cplane_host_api, fields to the end of size-prefixed structs. So a
 *     plugin built for 1.N runs unchanged on every host 1.M with M >= N.
 *   - Hence every entry of the SDK a plugin was built with is there when
 *     it runs: never test for one, never carry a fallback. To use a newer
 *     entry, build against the newer SDK; the plugin then needs that host.
 */
#ifndef CPLANE_VERSION_H
#define CPLANE_VERSION_H

#include <stddef.h>
#include <stdint.h>

#define CPLANE_ABI_MAJOR 1
#define CPLANE_ABI_MINOR 4

/* The one symbol a plugin exports. It is a function, not data, because
 * dlsym() is only guaranteed to work on functions portably. */
#define CPLANE_PLUGIN_ENTRY_SYMBOL "cplane_plugin_entry"

#if defined(__GNUC__)
#define CPLANE_EXPORT __attribute__((visibility("default")))
#define CPLANE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CPLANE_EXPORT
#define CPLANE_PRINTF(f, a)
#endif

/* Compile-time layout checks that work from C11 and C++11 alike. */
#ifdef __cplusplus
#define CPLANE_STATIC_ASSERT(e, m) static_assert(e, m)
#else
#define CPLANE_STATIC_ASSERT(e, m) _Static_assert(e, m)
#endif

/* Status codes. 0 is success; errors are negative (libuv style). Write
 * calls return an HTTP status code (>= 100) when a server answered. */
#define CPLANE_OK 0
#define CPLANE_ERR -1          /* unspecified failure; see the log */
#define CPLANE_ENOENT -2       /* no such object, path or key */
#define CPLANE_ETYPE -3        /* the value exists with another type */
#define CPLANE_EINVAL -4       /* invalid argument (bad key, bad selector) */
#define CPLANE_ENOMEM -5       /* out of memory */
#define CPLANE_EUNAVAILABLE -6 /* not available here: no API server, or a
                                  host too old for this entry */
#define CPLANE_ERANGE -7       /* number out of range, index out of bounds */
#define CPLANE_ESHUTDOWN -8    /* the host is stopping this plugin */

/* The name of a status code ("CPLANE_ENOENT"), for log lines. An HTTP
 * status (>= 100) gives "HTTP"; anything unknown gives "CPLANE_?". */
static inline const char *cplane_status_name(int status) {
  switch (status) {
  case CPLANE_OK: return "CPLANE_OK";
  case CPLANE_ERR: return "CPLANE_ERR";
  case CPLANE_ENOENT: return "CPLANE_ENOENT";
  case CPLANE_ETYPE: return "CPLANE_ETYPE";
  case CPLANE_EINVAL: return "CPLANE_EINVAL";
  case CPLANE_ENOMEM: return "CPLANE_ENOMEM";
  case CPLANE_EUNAVAILABLE: return "CPLANE_EUNAVAILABLE";
  case CPLANE_ERANGE: return "CPLANE_ERANGE";
  case CPLANE_ESHUTDOWN: return "CPLANE_ESHUTDOWN";
  default: return status >= 100 ? "HTTP" : "CPLANE_?";
  }
}

/* Log levels, most severe first. */
#define CPLANE_LOG_ERROR 0
#define CPLANE_LOG_WARN 1
#define CPLANE_LOG_INFO 2
#define CPLANE_LOG_DEBUG 3

/* Plugin kinds. */
#define CPLANE_KIND_CONTROLLER 1
#define CPLANE_KIND_SCHEDULER 2

/* What reconcile() returns; see struct cplane_plugin. */
#define CPLANE_RECONCILE_DONE 0          /* success: forget backoff */
#define CPLANE_RECONCILE_REQUEUE_AFTER 1 /* forget backoff, run again after
                                            *requeue_after_ms */
#define CPLANE_RECONCILE_RETRY 2         /* error: retry with backoff */
#define CPLANE_RECONCILE_TERMINAL 3      /* error: counted, never retried */

/* JSON value types as reported by cplane_host_api.object_type(). */
#define CPLANE_TYPE_NULL 0
#define CPLANE_TYPE_BOOL 1
#define CPLANE_TYPE_INT 2
#define CPLANE_TYPE_DOUBLE 3
#define CPLANE_TYPE_STRING 4
#define CPLANE_TYPE_ARRAY 5
#define CPLANE_TYPE_OBJECT 6

/* Patch types for cplane_host_api.patch(). */
#define CPLANE_PATCH_MERGE 1     /* application/merge-patch+json */
#define CPLANE_PATCH_JSON 2      /* application/json-patch+json */
#define CPLANE_PATCH_STRATEGIC 3 /* application/strategic-merge-patch+json */

/* Methods for cplane_host_api.write_subresource() (ABI 1.1). */
#define CPLANE_WRITE_CREATE 1 /* POST */
#define CPLANE_WRITE_UPDATE 2 /* PUT */

#endif /* CPLANE_VERSION_H */
