/*
 * healthz - the API server's /healthz, /livez and /readyz, worded as
 * kube-apiserver's: one "[+]name ok" or "[-]name failed: reason withheld"
 * line per check, then "<endpoint> check passed" (200; plain "ok" unless
 * ?verbose) or "<endpoint> check failed" (500, always with the lines).
 * The store's health is kube's "etcd" check on every endpoint, and also
 * "etcd-readiness" on /readyz, whichever backend serves it.
 *
 * Threading: safe from any thread; never blocks (cp_store_check does
 * not), so it runs on the event loop.
 */
#ifndef CPLANE_HOST_APISERVER_HEALTHZ_H
#define CPLANE_HOST_APISERVER_HEALTHZ_H

#include <stddef.h>

#include "store/store.h"

/* The body for endpoint ("healthz", "livez" or "readyz"), malloc'd and
 * owned by the caller, with its length in *len and the status code in
 * *code; NULL when out of memory. */
char *cp_api_healthz(cp_store *store, const char *endpoint, int verbose,
                     int *code, size_t *len);

#endif /* CPLANE_HOST_APISERVER_HEALTHZ_H */
