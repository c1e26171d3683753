/*
 * leader - leader election with coordination.k8s.io/v1 Lease objects, as
 * client-go does it (controllers.md §2): a 15 s lease renewed every 2 s
 * attempt, given up when it cannot be renewed within 10 s. Expiry is
 * judged by when this process last saw the lease change (a monotonic
 * clock), never by comparing clocks across machines. Only the leader runs
 * workers; a leader that loses the lease is told at once.
 *
 * Threading: the elector runs one thread; callbacks run on it and must
 * return quickly.
 * Ownership: borrows the client; cp_leader_stop releases a held lease and
 * frees the elector.
 */
#ifndef CPLANE_HOST_LEADER_H
#define CPLANE_HOST_LEADER_H

#include <stdint.h>

#include "client/client.h"

struct cp_leader;

struct cp_leader_config {
  const char *ns, *name; /* the Lease: default kube-system/cplane-host */
  const char *identity;  /* default hostname_pid */
  uint64_t lease_ms, renew_deadline_ms, retry_ms; /* 15 s, 10 s, 2 s */
  void (*started_leading)(void *userdata);
  void (*stopped_leading)(void *userdata);
  void *userdata;
};

int cp_leader_start(struct cp_client *c, const struct cp_leader_config *cfg,
                    struct cp_leader **out, char **errmsg);
int cp_leader_is_leader(struct cp_leader *l);
/* Stops campaigning; a leader hands the lease back (holder cleared) so a
 * standby takes over at once. */
void cp_leader_stop(struct cp_leader *l);

#endif /* CPLANE_HOST_LEADER_H */
