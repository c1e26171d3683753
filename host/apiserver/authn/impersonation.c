/*
 * impersonation - see impersonation.h.
 */
#include "apiserver/authn/impersonation.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "apiserver/auth.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/status.h"

#define USER_HDR "Impersonate-User"
#define GROUP_HDR "Impersonate-Group"
#define UID_HDR "Impersonate-Uid"
#define EXTRA_HDR "Impersonate-Extra-"
#define SA_PREFIX "system:serviceaccount:"
#define AUTHN_GROUP "authentication.k8s.io"
/* Bounds: kube has none beyond the header size; these are generous. */
#define MAX_GROUPS 64
#define MAX_EXTRA 64

int cp_impersonation_allowed(const struct cp_auth *auth,
                             const struct cp_api_user *user,
                             const char *group, const char *resource,
                             const char *subresource, const char *ns,
                             const char *name) {
  char res[300];

  (void)group;
  (void)name;
  snprintf(res, sizeof res, "%s%s%s", resource, subresource[0] ? "/" : "",
           subresource);
  return cp_auth_allowed(auth, user->name, user->groups, user->n_groups,
                         "impersonate", res, ns);
}

/* The denial's attributes, for the caller's forbidden message. */
static int deny(struct cp_request_info *d, const char *group,
                const char *resource, const char *subresource,
                const char *ns, const char *name) {
  memset(d, 0, sizeof *d);
  d->resource_request = 1;
  d->verb = "impersonate";
  d->path = "";
  d->version = "";
  d->group = group;
  d->resource = resource;
  d->subresource = subresource;
  d->ns = ns;
  d->name = name;
  return 403;
}

/* An extra key from its header: lower case, %-escapes undone (kube's
 * unescapeExtraKey). */
static void extra_key(const char *h, char *out, size_t len) {
  size_t o = 0;

  for (; *h != '\0' && o + 1 < len; h++) {
    if (h[0] == '%' && isxdigit((unsigned char)h[1]) &&
        isxdigit((unsigned char)h[2])) {
      char hex[3] = {h[1], h[2], '\0'};

      out[o++] = (char)strtol(hex, NULL, 16);
      h += 2;
    } else {
      out[o++] = (char)tolower((unsigned char)*h);
    }
  }
  out[o] = '\0';
}

static int has(char *const *l, size_t n, const char *s) {
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp(l[i], s) == 0)
      return 1;
  return 0;
}

/* kube's rule for the impersonated user's groups. */
static int finish_groups(struct cp_api_user *n) {
  int anonymous = strcmp(n->name, "system:anonymous") == 0;

  if (has(n->groups, n->n_groups, "system:unauthenticated") ||
      (!anonymous && has(n->groups, n->n_groups, "system:authenticated")))
    return 0;
  return cp_authn_add_group(n, anonymous ? "system:unauthenticated"
                                         : "system:authenticated");
}

static int fail(char **status, int code, const char *msg) {
  *status = cp_status_failure(code, NULL, msg, NULL);
  return code;
}

int cp_impersonate(const struct cp_auth *auth,
                   const struct evkeyvalq *headers, struct cp_api_user *u,
                   struct cp_request_info *denied, char **status) {
  const char *user = evhttp_find_header(headers, USER_HDR);
  const char *uid = evhttp_find_header(headers, UID_HDR);
  struct cp_api_user n;
  struct evkeyval *h;
  size_t n_groups = 0, n_extra = 0;
  char ns[256] = "", sa[256] = "", key[256];
  int any = 0, rc = 500;

  *status = NULL;
  memset(&n, 0, sizeof n);
  TAILQ_FOREACH(h, headers, next) {
    if (strcasecmp(h->key, GROUP_HDR) == 0 ||
        strncasecmp(h->key, EXTRA_HDR, strlen(EXTRA_HDR)) == 0)
      any = 1;
  }
  if (user == NULL && uid == NULL && !any)
    return 0;
  if (user == NULL)
    return fail(status, 500, "Internal Server Error: requested "
                             "impersonation without impersonating a user");
  /* The user, or the ServiceAccount it names. */
  if (strncmp(user, SA_PREFIX, strlen(SA_PREFIX)) == 0 &&
      sscanf(user + strlen(SA_PREFIX), "%255[^:]:%255s", ns, sa) == 2) {
    if (!cp_impersonation_allowed(auth, u, "", "serviceaccounts", "", ns,
                                  sa))
      return deny(denied, "", "serviceaccounts", "", ns, user +
                  strlen(SA_PREFIX) + strlen(ns) + 1);
  } else if (!cp_impersonation_allowed(auth, u, "", "users", "", "", user)) {
    return deny(denied, "", "users", "", "", user);
  }
  if (cp_api_user_set(&n, user, uid, NULL, 0) < 0)
    goto nomem;
  if (sa[0] != '\0') {
    char g[300];

    snprintf(g, sizeof g, "system:serviceaccounts:%s", ns);
    if (cp_authn_add_group(&n, "system:serviceaccounts") < 0 ||
        cp_authn_add_group(&n, g) < 0)
      goto nomem;
  }
  TAILQ_FOREACH(h, headers, next) {
    if (strcasecmp(h->key, GROUP_HDR) != 0)
      continue;
    if (++n_groups > MAX_GROUPS) {
      rc = fail(status, 400, "too many Impersonate-Group headers");
      goto out;
    }
    if (!cp_impersonation_allowed(auth, u, "", "groups", "", "", h->value)) {
      rc = deny(denied, "", "groups", "", "", h->value);
      goto out;
    }
    if (cp_authn_add_group(&n, h->value) < 0)
      goto nomem;
  }
  TAILQ_FOREACH(h, headers, next) {
    if (strncasecmp(h->key, EXTRA_HDR, strlen(EXTRA_HDR)) != 0)
      continue;
    if (++n_extra > MAX_EXTRA) {
      rc = fail(status, 400, "too many Impersonate-Extra- headers");
      goto out;
    }
    extra_key(h->key + strlen(EXTRA_HDR), key, sizeof key);
    if (!cp_impersonation_allowed(auth, u, AUTHN_GROUP, "userextras", key,
                                  "", h->value)) {
      /* The key lives in this frame: point at the header's instead. */
      rc = deny(denied, AUTHN_GROUP, "userextras",
                h->key + strlen(EXTRA_HDR), "", h->value);
      goto out;
    }
    if (cp_authn_add_extra(&n, key, h->value) < 0)
      goto nomem;
  }
  if (uid != NULL &&
      !cp_impersonation_allowed(auth, u, AUTHN_GROUP, "uids", "", "", uid)) {
    rc = deny(denied, AUTHN_GROUP, "uids", "", "", uid);
    goto out;
  }
  if (finish_groups(&n) < 0)
    goto nomem;
  cp_api_user_clear(u);
  *u = n;
  return 0;
nomem:
  rc = fail(status, 500, "out of memory");
out:
  cp_api_user_clear(&n);
  return rc;
}
