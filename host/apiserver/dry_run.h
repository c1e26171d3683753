/*
 * dry_run - the dryRun option as kube-apiserver validates it: every value
 * must be "All" (metav1 validation's ValidateDryRun), else 422 on the
 * request's options kind:
 *   CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value:
 *   []string{"x"}: supported values: "All"
 * A write is dry when the option holds any value (then all are "All").
 * The query's values count, except for a DELETE with a body: kube decodes
 * DeleteOptions from the body then and the query is not read.
 *
 * What a dry run does is the verbs' business (verbs_write.c,
 * verbs_delete.c): everything a real write does up to the store, and
 * nothing kept (strategy.h's dry_run; admission gives back what it took).
 *
 * Threading: pure functions of the request, on its worker.
 * Ownership: borrows; responders set rs (cp_api_respond_status).
 */
#ifndef CPLANE_HOST_APISERVER_DRY_RUN_H
#define CPLANE_HOST_APISERVER_DRY_RUN_H

#include <json-c/json.h>

#include "apiserver/request.h"

/* The query's dryRun values on a write (POST: CreateOptions, PUT:
 * UpdateOptions, PATCH: PatchOptions, DELETE without a body:
 * DeleteOptions). Returns 0 when they are acceptable (or there are none,
 * or the request is no write), -1 having responded 422. */
int cp_dry_run_check_query(const struct cp_api_request *rq,
                           struct cp_api_response *rs);

/* A DeleteOptions body's dryRun (an array of strings, or NULL): 1 when
 * dry, 0 when not, -1 having responded 422. */
int cp_dry_run_check_list(json_object *list, struct cp_api_response *rs);

/* What cp_store_create of key would answer, without writing (kube's
 * DryRunnableStorage.Create reads the key): CPLANE_OK when it is free,
 * CP_STORE_EEXISTS when an object holds it, else the store's error. */
int cp_dry_run_create(cp_store *store, const char *key);

#endif /* CPLANE_HOST_APISERVER_DRY_RUN_H */
