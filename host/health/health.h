/*
 * health - the host's own HTTP endpoint on [host] listen: /livez and
 * /healthz (the process answers), /readyz (every enabled plugin loaded, no
 * call stuck, every cache synced; ?verbose lists each check, 503 when one
 * fails) and /metrics (work queues, reconciles, stuck calls and
 * reflectors, Prometheus text).
 * What to report comes from callbacks, so this module knows nothing of
 * plugins.
 *
 * Threading: the server runs one thread of its own; the callbacks run on
 * it and must be thread-safe with respect to the rest of the host.
 * Ownership: cp_health_stop frees the server.
 */
#ifndef CPLANE_HOST_HEALTH_H
#define CPLANE_HOST_HEALTH_H

#include <stdio.h>

struct cp_health;

struct cp_health_ops {
  /* Writes one "[+]name ok" / "[-]name not ready" line per check;
   * returns 1 when every check passes. */
  int (*ready)(void *userdata, FILE *out);
  /* Writes the Prometheus text. Returns 0, or -1 on a write error. */
  int (*metrics)(void *userdata, FILE *out);
};

/* Serves on "host:port" (port 0 picks one). Returns 0, or -1 with
 * *errmsg (malloc'd). */
int cp_health_start(const char *listen, const struct cp_health_ops *ops,
                    void *userdata, struct cp_health **out, char **errmsg);
/* The address actually bound, "127.0.0.1:10257". */
const char *cp_health_address(const struct cp_health *h);
void cp_health_stop(struct cp_health *h);

#endif /* CPLANE_HOST_HEALTH_H */
