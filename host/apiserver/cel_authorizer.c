/*
 * cel_authorizer - CEL's authorizer checks answered by RBAC
 * (cel_authorizer.h).
 */
#include "apiserver/cel_authorizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/rbac/authorizer.h"

/* kube's CEL authorizer: the request's user (or a ServiceAccount named
 * by authorizer.serviceAccount), asked of the server's RBAC. */
int cp_cel_rbac_authorize(void *arg, const struct cp_cel_authz_check *chk,
                          char **reason) {
  struct cp_cel_authz_arg *z = arg;
  struct cp_rbac_attrs at;
  char why[512] = "", *sa = NULL, *sa_group = NULL;
  char *sa_groups[3];
  int allowed;

  memset(&at, 0, sizeof at);
  at.user = z->user->name;
  at.groups = z->user->groups;
  at.n_groups = z->user->n_groups;
  if (chk->sa_ns != NULL && chk->sa_name != NULL) {
    if (asprintf(&sa, "system:serviceaccount:%s:%s", chk->sa_ns,
                 chk->sa_name) < 0 ||
        asprintf(&sa_group, "system:serviceaccounts:%s", chk->sa_ns) < 0) {
      free(sa);
      return -1;
    }
    sa_groups[0] = "system:serviceaccounts";
    sa_groups[1] = sa_group;
    sa_groups[2] = "system:authenticated";
    at.user = sa;
    at.groups = sa_groups;
    at.n_groups = 3;
  }
  at.verb = chk->verb;
  at.resource_request = chk->resource_request;
  at.group = chk->group ? chk->group : "";
  at.resource = chk->resource ? chk->resource : "";
  at.subresource = chk->subresource ? chk->subresource : "";
  at.ns = chk->ns ? chk->ns : "";
  at.name = chk->name ? chk->name : "";
  at.path = chk->path ? chk->path : "";
  allowed = cp_rbac_authorize(z->ctx->rbac, &at, why, sizeof why);
  *reason = strdup(why);
  free(sa);
  free(sa_group);
  return allowed ? 1 : 0;
}
