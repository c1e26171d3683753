/*
 * cel_authz - kube's CEL authorizer library (k8s.io/apiserver/pkg/cel/
 * library/authz.go) over a session's authorizer function (cel.h).
 *
 * Its values (Authorizer, GroupCheck, ResourceCheck, PathCheck,
 * Decision) are maps whose kind is under the key "\x01k". An expression
 * could build such a map itself; that is harmless: a Decision it forges
 * answers only what it wrote, and check() always asks the authorizer.
 * Every call makes a new map in the evaluation's arena; the authorizer
 * is asked once per check() call.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cel/cel_int.h"

#define KIND "\x01k"

static const char *const member_fns[] = {
    "path", "group", "serviceAccount", "resource", "subresource",
    "namespace", "name", "check", "allowed", "reason", "errored", "error",
    NULL};

int cel_authz_known(const char *name, int member) {
  return member && cel_in_table(member_fns, name);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static json_object *root;

static void make_root(void) {
  root = json_object_new_object();
  if (root != NULL)
    json_object_object_add(root, KIND, json_object_new_string("Authorizer"));
}

json_object *cp_cel_authorizer_value(void) {
  pthread_once(&once, make_root);
  return root;
}

json_object *cp_cel_authorizer_for_request(const char *group,
                                           const char *resource,
                                           const char *subresource,
                                           const char *ns, const char *name) {
  json_object *a = json_object_new_object(), *rr = json_object_new_object();
  const char *keys[] = {"group", "resource", "subresource", "namespace",
                        "name"};
  const char *vals[] = {group, resource, subresource, ns, name};
  size_t i;

  if (a == NULL || rr == NULL) {
    json_object_put(a);
    json_object_put(rr);
    return NULL;
  }
  json_object_object_add(a, KIND, json_object_new_string("Authorizer"));
  json_object_object_add(rr, KIND, json_object_new_string("ResourceCheck"));
  for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
    json_object_object_add(rr, keys[i],
                           json_object_new_string(vals[i] ? vals[i] : ""));
  json_object_object_add(a, "requestResource", rr);
  return a;
}

/* The string member key of map m, or NULL. */
static const char *get(struct cel_ctx *c, const struct cel_map *m,
                       const char *key, size_t *len) {
  struct cel_val k = cel_str(key, strlen(key)), v;
  int found;

  v = cel_map_get(c, m, &k, &found);
  if (!found || v.k != K_STRING)
    return NULL;
  if (len != NULL)
    *len = v.v.s.n;
  return v.v.s.p;
}

/* A NUL-terminated arena copy of m's key (NULL when absent). */
static const char *get0(struct cel_ctx *c, const struct cel_map *m,
                        const char *key) {
  size_t n = 0;
  const char *p = get(c, m, key, &n);
  char *s;

  if (p == NULL || (s = cel_alloc(c, n + 1)) == NULL)
    return NULL;
  memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

/* Keys a check carries from call to call. */
static const char *const carried[] = {"saNs", "saName", "group", "resource",
                                      "subresource", "namespace", "name",
                                      "path", NULL};

/* A copy of t (a library map) as kind, with key set to val (key NULL:
 * none). */
static struct cel_val derive(struct cel_ctx *c, const struct cel_map *t,
                             const char *kind, const char *key,
                             struct cel_val val) {
  struct cel_val out = {.k = K_MAP};
  struct cel_map *m = cel_alloc(c, sizeof *m);
  size_t i, cap = 12;

  if (m == NULL || (m->keys = cel_alloc(c, cap * sizeof *m->keys)) == NULL ||
      (m->vals = cel_alloc(c, cap * sizeof *m->vals)) == NULL)
    return cel_err(c, "out of memory");
  m->j = NULL;
  m->n = 0;
  m->keys[m->n] = cel_str(KIND, strlen(KIND));
  m->vals[m->n++] = cel_str(kind, strlen(kind));
  for (i = 0; carried[i] != NULL; i++) {
    size_t n = 0;
    const char *v;

    if (key != NULL && strcmp(carried[i], key) == 0)
      continue;
    if ((v = get(c, t, carried[i], &n)) == NULL)
      continue;
    m->keys[m->n] = cel_str(carried[i], strlen(carried[i]));
    m->vals[m->n++] = cel_str(v, n);
  }
  if (key != NULL) {
    m->keys[m->n] = cel_str(key, strlen(key));
    m->vals[m->n++] = val;
  }
  out.v.m = m;
  return out;
}

static struct cel_val decision(struct cel_ctx *c, const struct cel_map *t,
                               const char *kind, const char *verb) {
  struct cp_cel_authz_check chk;
  struct cel_val d;
  char *reason = NULL;
  int r;

  memset(&chk, 0, sizeof chk);
  chk.sa_ns = get0(c, t, "saNs");
  chk.sa_name = get0(c, t, "saName");
  chk.verb = verb;
  chk.resource_request = strcmp(kind, "ResourceCheck") == 0;
  chk.group = get0(c, t, "group");
  chk.resource = get0(c, t, "resource");
  chk.subresource = get0(c, t, "subresource");
  chk.ns = get0(c, t, "namespace");
  chk.name = get0(c, t, "name");
  chk.path = get0(c, t, "path");
  r = c->authorize != NULL ? c->authorize(c->authorize_arg, &chk, &reason)
                           : -1;
  d = derive(c, t, "Decision", "decision",
             cel_str(r == 1 ? "allow" : r == 0 ? "deny" : "error",
                     r == 1 ? 5 : r == 0 ? 4 : 5));
  if (d.k == K_MAP) {
    const char *why = reason != NULL
                          ? reason
                          : c->authorize == NULL ? "no authorizer" : "";
    struct cel_val rv = cel_str_dup(c, why, strlen(why));

    d.v.m->keys[d.v.m->n] = cel_str("reason", 6);
    d.v.m->vals[d.v.m->n++] = rv;
  }
  free(reason);
  return d;
}

struct cel_val cel_authz_call(struct cel_ctx *c, const char *name,
                              const struct cel_val *t,
                              const struct cel_val *args, size_t n,
                              int *handled) {
  const char *kind;
  size_t klen = 0;

  *handled = 0;
  if (!cel_authz_known(name, 1) ||
      (kind = get(c, t->v.m, KIND, &klen)) == NULL)
    return cel_null();
  *handled = 1;
#define IS(k) (klen == strlen(k) && strncmp(kind, k, klen) == 0)
  if (IS("Authorizer") && n == 1 && args[0].k == K_STRING &&
      (strcmp(name, "group") == 0 || strcmp(name, "path") == 0))
    return derive(c, t->v.m, name[0] == 'g' ? "GroupCheck" : "PathCheck",
                  name, args[0]);
  if (IS("Authorizer") && n == 2 && args[0].k == K_STRING &&
      args[1].k == K_STRING && strcmp(name, "serviceAccount") == 0) {
    struct cel_val a = derive(c, t->v.m, "Authorizer", "saNs", args[0]);

    return a.k == K_MAP ? derive(c, a.v.m, "Authorizer", "saName", args[1])
                        : a;
  }
  if (IS("GroupCheck") && n == 1 && args[0].k == K_STRING &&
      strcmp(name, "resource") == 0)
    return derive(c, t->v.m, "ResourceCheck", "resource", args[0]);
  if (IS("ResourceCheck") && n == 1 && args[0].k == K_STRING &&
      (strcmp(name, "subresource") == 0 || strcmp(name, "namespace") == 0 ||
       strcmp(name, "name") == 0))
    return derive(c, t->v.m, "ResourceCheck", name, args[0]);
  if ((IS("ResourceCheck") || IS("PathCheck")) && n == 1 &&
      args[0].k == K_STRING && strcmp(name, "check") == 0) {
    char *verb = cel_alloc(c, args[0].v.s.n + 1);

    if (verb == NULL)
      return cel_err(c, "out of memory");
    memcpy(verb, args[0].v.s.p, args[0].v.s.n);
    verb[args[0].v.s.n] = '\0';
    return decision(c, t->v.m, IS("ResourceCheck") ? "ResourceCheck"
                                                   : "PathCheck",
                    verb);
  }
  if (IS("Decision") && n == 0) {
    const char *d = get(c, t->v.m, "decision", NULL);
    size_t rl = 0;
    const char *r = get(c, t->v.m, "reason", &rl);
    int err = d != NULL && d[0] == 'e';

    if (strcmp(name, "allowed") == 0)
      return cel_bool(d != NULL && strncmp(d, "allow", 5) == 0);
    if (strcmp(name, "errored") == 0)
      return cel_bool(err);
    if (strcmp(name, "reason") == 0)
      return err ? cel_str("", 0) : cel_str(r ? r : "", r ? rl : 0);
    if (strcmp(name, "error") == 0)
      return err ? cel_str(r ? r : "", r ? rl : 0) : cel_str("", 0);
  }
#undef IS
  return cel_no_overload(c, name);
}
