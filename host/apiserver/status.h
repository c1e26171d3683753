/*
 * status - metav1.Status bodies, the one shape every API error takes, so
 * that kubectl prints "Error from server (NotFound): ..." and the client
 * libraries raise the right exception.
 *
 * Threading: pure functions, safe from any thread.
 * Ownership: results are malloc'd JSON text; the caller frees them.
 */
#ifndef CPLANE_HOST_APISERVER_STATUS_H
#define CPLANE_HOST_APISERVER_STATUS_H

#include <stddef.h>

/* One entry of details.causes (422 Invalid). */
struct cp_status_cause {
  const char *reason;  /* e.g. "FieldValueRequired" */
  const char *message; /* e.g. "Required value: ..." */
  const char *field;   /* e.g. "metadata.name" */
};

/* The details object: which object the failure is about. Any may be
 * NULL. kind is the resource for 404/409 and the Kind for 422, as
 * kube-apiserver does. */
struct cp_status_details {
  const char *name;
  const char *group;
  const char *kind;
  const char *uid;
  const struct cp_status_cause *causes;
  size_t n_causes;
  int retry_after_seconds; /* 0: none */
};

/* The reason kube-apiserver uses for an HTTP code (400 -> "BadRequest",
 * 409 -> "Conflict", 410 -> "Expired", ...); "" for unknown codes. */
const char *cp_status_reason_for(int code);

/* A failure Status. reason NULL takes cp_status_reason_for(code); details
 * may be NULL. Returns NULL only when out of memory. */
char *cp_status_failure(int code, const char *reason, const char *message,
                        const struct cp_status_details *details);
/* printf-style message, no details. */
char *cp_status_failuref(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The Success Status a DELETE may return. */
char *cp_status_success(const struct cp_status_details *details);

#endif /* CPLANE_HOST_APISERVER_STATUS_H */
