/*
 * conditions - a webhook's matchConditions (conditions.h).
 */
#include "apiserver/webhook/conditions.h"

#include <json-c/json.h>
#include <stdlib.h>

#include "apiserver/cel_authorizer.h"
#include "apiserver/match_conditions.h"
#include "apiserver/vap/evaluate.h"
#include "cel/cel.h"

int cp_webhook_conditions_match(struct cp_api_ctx *ctx,
                                const struct cp_webhook *h,
                                const struct cp_webhook_review_in *in,
                                char **err) {
  const struct cp_webhook_attrs *a = in->attrs;
  const struct cp_api_user *u = in->user;
  struct cp_cel_authz_arg z = {ctx, u};
  struct cp_cel_session *s = NULL;
  json_object *request = NULL, *authz = NULL;
  int rc = -1;

  *err = NULL;
  if (h->n_conditions == 0)
    return 1;
  request = cp_vap_request_object(a, u->name, u->uid, u->groups, u->n_groups,
                                  in->dry_run, in->options);
  authz = cp_cel_authorizer_for_request(a->group, a->resource,
                                        a->subresource, a->ns, a->name);
  if (request == NULL || authz == NULL)
    goto out;
  {
    struct cp_cel_binding vars[] = {
        {"object", a->object, 0},        {"oldObject", a->old_object, 0},
        {"request", request, 0},         {"namespaceObject", NULL, 0},
        {"authorizer", authz, 0},
    };

    /* kube's RuntimeCELCostBudgetMatchConditions is the policies'. */
    s = cp_cel_session_new(vars, sizeof vars / sizeof vars[0], NULL, 0,
                           CP_CEL_CRD_BUDGET);
    if (s == NULL)
      goto out;
    if (ctx != NULL)
      cp_cel_session_authorizer(s, cp_cel_rbac_authorize, &z);
    rc = cp_match_conditions_eval(s, h->conditions, h->n_conditions,
                                  h->fail_open, h->conditions_error, err);
  }
out:
  cp_cel_session_free(s);
  json_object_put(request);
  json_object_put(authz);
  return rc;
}
