/*
 * rswrite - the deployment controller's writes to ReplicaSets: resizing
 * (with the desired/max-replicas and revision annotations) and creating
 * the new one, "<deployment>-<pod-template-hash>", whose selector, labels
 * and template carry pod-template-hash and whose controller is the
 * Deployment.
 *
 * Every resize is a merge patch carrying the resourceVersion the decision
 * was made from, so a lagging cache gives a 409 and a retry, never a
 * decision taken twice. Names are deterministic, so a second create of the
 * same ReplicaSet is a 409 as well.
 *
 * Threading: blocking writes; a reconcile's worker only.
 */
#ifndef DEPLOY_RSWRITE_H
#define DEPLOY_RSWRITE_H

#include "deploy.h"

/* Logs a failed write (a 409 at DEBUG) and frees msg. Returns -1. */
int dp_write_failed(struct deploy *d, const char *what, int code, char *msg);
/* Sets r's replicas, its desired/max-replicas annotations and, when
 * revision >= 0, its revision; updates r. Nothing when all already hold.
 * 0, or -1 after a failed write. */
int dp_rs_write(struct deploy *d, struct rsinfo *r, int64_t replicas,
                int64_t revision);
/* Creates the ReplicaSet for d's template. 0 when made, 1 when the
 * caller should wait and look again (409), -1 on failure. */
int dp_create_new_rs(struct deploy *d);

#endif
