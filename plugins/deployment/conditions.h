/*
 * conditions - a Deployment's status (the counts and the condition list)
 * read from the object, copied, compared, and its conditions found, set
 * and removed with Kubernetes' SetDeploymentCondition rules.
 *
 * Ownership: a struct status owns its conds array; the caller frees it
 * (free(st->conds)). dp_read_status and dp_copy_status keep two spare
 * slots, so dp_cond_set never allocates and never fails.
 * Threading: none inside; a struct status belongs to one reconcile.
 */
#ifndef DEPLOY_CONDITIONS_H
#define DEPLOY_CONDITIONS_H

#include "deploy.h"

/* Reads d's status into st (st->now is left alone). -1 when out of
 * memory. */
int dp_read_status(const struct cplane_host_api *api, const cplane_object *d,
                   struct status *st);
/* *to = *from with a conds array of its own. -1 when out of memory. */
int dp_copy_status(const struct status *from, struct status *to);
/* The condition of this type, or NULL. */
struct condition *dp_cond_get(struct status *st, const char *type);
void dp_cond_remove(struct status *st, const char *type);
/* Sets a condition, stamped st->now (see conditions.c for the rules). */
void dp_cond_set(struct status *st, const char *type, const char *status,
                 const char *reason, const char *message);
/* 1 when both lists hold the same conditions in the same order. */
int dp_same_conditions(const struct status *a, const struct status *b);

#endif
