/*
 * index - see index.h.
 */
#include "apiserver/rbac/index.h"

#include <cplane/smap.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/platform_fields.h"
#include "labels/selector.h"
#include "object/object.h"

struct role {
  struct cp_rbac_rules rules;
  json_object *obj; /* as stored: labels, aggregationRule, rules */
};

struct subject {
  char *key;  /* "u:<user>" or "g:<group>" */
  char *desc; /* kube's describeSubject: User "alice" */
};

struct binding {
  char *ns, *name; /* ns "" for a ClusterRoleBinding */
  char *role_kind, *role_name;
  struct subject *subjects;
  size_t n_subjects;
};

/* The bindings one subject key appears in. */
struct refs {
  struct binding **v;
  size_t n, cap;
};

struct tables {
  struct cplane_smap roles;    /* "ns/name" -> struct role */
  struct cplane_smap croles;   /* "name" -> struct role */
  struct cplane_smap bindings; /* "ns/name" or "/name" -> struct binding */
  struct cplane_smap subjects; /* subject key -> struct refs */
  size_t n_rb, n_crb;
};

struct cp_rbac_index {
  pthread_rwlock_t lock;
  struct tables t;
};

/* ------------------------------------------------------------ tables */

static int tables_init(struct tables *t) {
  memset(t, 0, sizeof *t);
  if (cplane_smap_init(&t->roles) < 0 || cplane_smap_init(&t->croles) < 0 ||
      cplane_smap_init(&t->bindings) < 0 ||
      cplane_smap_init(&t->subjects) < 0)
    return -1;
  return 0;
}

static void role_free(struct role *r) {
  if (r == NULL)
    return;
  cp_rbac_rules_clear(&r->rules);
  json_object_put(r->obj);
  free(r);
}

static void binding_free(struct binding *b) {
  size_t i;

  if (b == NULL)
    return;
  for (i = 0; i < b->n_subjects; i++) {
    free(b->subjects[i].key);
    free(b->subjects[i].desc);
  }
  free(b->subjects);
  free(b->ns);
  free(b->name);
  free(b->role_kind);
  free(b->role_name);
  free(b);
}

static void free_role_cb(void *ud, const char *k, void *v) {
  (void)ud;
  (void)k;
  role_free(v);
}

static void free_binding_cb(void *ud, const char *k, void *v) {
  (void)ud;
  (void)k;
  binding_free(v);
}

static void free_refs_cb(void *ud, const char *k, void *v) {
  struct refs *r = v;

  (void)ud;
  (void)k;
  free(r->v);
  free(r);
}

static void tables_free(struct tables *t) {
  cplane_smap_foreach(&t->roles, free_role_cb, NULL);
  cplane_smap_foreach(&t->croles, free_role_cb, NULL);
  cplane_smap_foreach(&t->bindings, free_binding_cb, NULL);
  cplane_smap_foreach(&t->subjects, free_refs_cb, NULL);
  cplane_smap_free(&t->roles);
  cplane_smap_free(&t->croles);
  cplane_smap_free(&t->bindings);
  cplane_smap_free(&t->subjects);
}

struct cp_rbac_index *cp_rbac_index_new(void) {
  struct cp_rbac_index *x = calloc(1, sizeof *x);

  if (x == NULL)
    return NULL;
  if (tables_init(&x->t) < 0) {
    tables_free(&x->t);
    free(x);
    return NULL;
  }
  pthread_rwlock_init(&x->lock, NULL);
  return x;
}

void cp_rbac_index_free(struct cp_rbac_index *x) {
  if (x == NULL)
    return;
  tables_free(&x->t);
  pthread_rwlock_destroy(&x->lock);
  free(x);
}

void cp_rbac_index_swap(struct cp_rbac_index *live,
                        struct cp_rbac_index *fresh) {
  struct tables t;

  pthread_rwlock_wrlock(&live->lock);
  t = live->t;
  live->t = fresh->t;
  fresh->t = t;
  pthread_rwlock_unlock(&live->lock);
}

/* "ns/name", or "name" for cluster kinds; malloc'd. */
static char *key_of(enum cp_rbac_kind k, const char *ns, const char *name) {
  char *s = NULL;

  if (k == CP_RBAC_CLUSTER_ROLE)
    return strdup(name);
  if (asprintf(&s, "%s/%s", k == CP_RBAC_CLUSTER_ROLE_BINDING ? "" : ns,
               name) < 0)
    return NULL;
  return s;
}

/* ------------------------------------------------------------ subjects */

static int refs_add(struct tables *t, const char *key, struct binding *b) {
  struct refs *r = cplane_smap_get(&t->subjects, key);

  if (r == NULL) {
    if ((r = calloc(1, sizeof *r)) == NULL)
      return -1;
    if (cplane_smap_put(&t->subjects, key, r, NULL) < 0) {
      free(r);
      return -1;
    }
  }
  if (r->n > 0 && r->v[r->n - 1] == b)
    return 0; /* the same subject twice in one binding */
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 4;
    struct binding **v = realloc(r->v, cap * sizeof *v);

    if (v == NULL)
      return -1;
    r->v = v;
    r->cap = cap;
  }
  r->v[r->n++] = b;
  return 0;
}

static void refs_drop(struct tables *t, const char *key, struct binding *b) {
  struct refs *r = cplane_smap_get(&t->subjects, key);
  size_t i, j = 0;

  if (r == NULL)
    return;
  for (i = 0; i < r->n; i++)
    if (r->v[i] != b)
      r->v[j++] = r->v[i];
  r->n = j;
  if (r->n == 0) {
    cplane_smap_del(&t->subjects, key);
    free(r->v);
    free(r);
  }
}

/* kube's appliesTo and describeSubject for one subject of a binding in
 * namespace ns ("" for a ClusterRoleBinding). 0, 1 (skipped: an unknown
 * kind) or -1 out of memory. */
static int subject_of(json_object *s, const char *ns, struct subject *out) {
  const char *kind = cp_plat_str(s, "kind"), *name = cp_plat_str(s, "name");
  const char *sns = cp_plat_str(s, "namespace");
  int n;

  memset(out, 0, sizeof *out);
  if (kind == NULL || name == NULL)
    return 1;
  if (strcmp(kind, "User") == 0) {
    n = asprintf(&out->key, "u:%s", name);
    if (n >= 0)
      n = asprintf(&out->desc, "User \"%s\"", name);
  } else if (strcmp(kind, "Group") == 0) {
    n = asprintf(&out->key, "g:%s", name);
    if (n >= 0)
      n = asprintf(&out->desc, "Group \"%s\"", name);
  } else if (strcmp(kind, "ServiceAccount") == 0) {
    if (sns == NULL || sns[0] == '\0')
      sns = ns;
    n = asprintf(&out->key, "u:system:serviceaccount:%s:%s", sns, name);
    if (n >= 0)
      n = asprintf(&out->desc, "ServiceAccount \"%s/%s\"", name, sns);
  } else {
    return 1;
  }
  if (n < 0) {
    free(out->key);
    out->key = NULL;
    return -1;
  }
  return 0;
}

static struct binding *binding_new(json_object *obj, const char *ns,
                                   const char *name) {
  json_object *ref = cp_field_at(obj, "roleRef"), *subs = cp_field_at(obj, "subjects");
  struct binding *b = calloc(1, sizeof *b);
  size_t i, n;

  if (b == NULL)
    return NULL;
  b->ns = strdup(ns);
  b->name = strdup(name);
  b->role_kind = strdup(cp_plat_str(ref, "kind") ? cp_plat_str(ref, "kind") : "");
  b->role_name = strdup(cp_plat_str(ref, "name") ? cp_plat_str(ref, "name") : "");
  if (b->ns == NULL || b->name == NULL || b->role_kind == NULL ||
      b->role_name == NULL)
    goto fail;
  n = json_object_is_type(subs, json_type_array)
          ? json_object_array_length(subs)
          : 0;
  if (n > 0 && (b->subjects = calloc(n, sizeof *b->subjects)) == NULL)
    goto fail;
  for (i = 0; i < n; i++) {
    int rc = subject_of(json_object_array_get_idx(subs, i), ns,
                        &b->subjects[b->n_subjects]);

    if (rc < 0)
      goto fail;
    if (rc == 0)
      b->n_subjects++;
  }
  return b;
fail:
  binding_free(b);
  return NULL;
}

static void binding_unlink(struct tables *t, struct binding *b) {
  size_t i;

  for (i = 0; i < b->n_subjects; i++)
    refs_drop(t, b->subjects[i].key, b);
}

static int binding_link(struct tables *t, struct binding *b) {
  size_t i;

  for (i = 0; i < b->n_subjects; i++)
    if (refs_add(t, b->subjects[i].key, b) < 0)
      return -1;
  return 0;
}

/* ------------------------------------------------------------ writers */

static struct cplane_smap *role_map(struct tables *t, enum cp_rbac_kind k) {
  return k == CP_RBAC_ROLE ? &t->roles : &t->croles;
}

static void remove_locked(struct tables *t, enum cp_rbac_kind k,
                          const char *key) {
  if (k == CP_RBAC_ROLE || k == CP_RBAC_CLUSTER_ROLE) {
    role_free(cplane_smap_del(role_map(t, k), key));
    return;
  }
  struct binding *b = cplane_smap_del(&t->bindings, key);

  if (b == NULL)
    return;
  binding_unlink(t, b);
  if (b->ns[0] == '\0')
    t->n_crb--;
  else
    t->n_rb--;
  binding_free(b);
}

static int put_role(struct tables *t, enum cp_rbac_kind k, const char *key,
                    json_object *obj) {
  struct role *r = calloc(1, sizeof *r);

  if (r == NULL)
    return -1;
  if (cp_rbac_rules_parse(cp_field_at(obj, "rules"), &r->rules) < 0 ||
      cplane_smap_put(role_map(t, k), key, r, NULL) < 0) {
    role_free(r);
    return -1;
  }
  r->obj = json_object_get(obj);
  return 0;
}

static int put_binding(struct tables *t, enum cp_rbac_kind k, const char *key,
                       json_object *obj, const char *ns, const char *name) {
  struct binding *b = binding_new(
      obj, k == CP_RBAC_ROLE_BINDING ? ns : "", name);

  if (b == NULL)
    return -1;
  if (cplane_smap_put(&t->bindings, key, b, NULL) < 0) {
    binding_free(b);
    return -1;
  }
  if (b->ns[0] == '\0')
    t->n_crb++;
  else
    t->n_rb++;
  if (binding_link(t, b) < 0) {
    remove_locked(t, k, key);
    return -1;
  }
  return 0;
}

int cp_rbac_index_put(struct cp_rbac_index *x, enum cp_rbac_kind k,
                      json_object *obj) {
  json_object *meta = cp_field_at(obj, "metadata");
  const char *name = cp_plat_str(meta, "name"), *ns = cp_plat_str(meta, "namespace");
  char *key;
  int rc;

  if (name == NULL)
    return -1;
  if ((key = key_of(k, ns ? ns : "", name)) == NULL)
    return -1;
  pthread_rwlock_wrlock(&x->lock);
  remove_locked(&x->t, k, key);
  if (k == CP_RBAC_ROLE || k == CP_RBAC_CLUSTER_ROLE)
    rc = put_role(&x->t, k, key, obj);
  else
    rc = put_binding(&x->t, k, key, obj, ns ? ns : "", name);
  pthread_rwlock_unlock(&x->lock);
  free(key);
  return rc;
}

void cp_rbac_index_remove(struct cp_rbac_index *x, enum cp_rbac_kind k,
                          const char *ns, const char *name) {
  char *key = key_of(k, ns ? ns : "", name);

  if (key == NULL)
    return;
  pthread_rwlock_wrlock(&x->lock);
  remove_locked(&x->t, k, key);
  pthread_rwlock_unlock(&x->lock);
  free(key);
}

/* ------------------------------------------------------------ readers */

/* The role a binding names, or NULL (kube's GetRoleReferenceRules). */
static const struct role *role_of(const struct tables *t, const char *kind,
                                  const char *ns, const char *name) {
  char buf[512];

  if (strcmp(kind, "ClusterRole") == 0)
    return cplane_smap_get(&t->croles, name);
  if (strcmp(kind, "Role") != 0 ||
      snprintf(buf, sizeof buf, "%s/%s", ns, name) >= (int)sizeof buf)
    return NULL;
  return cplane_smap_get(&t->roles, buf);
}

/* A subject key for prefix and name in buf; NULL when too long (no
 * binding can name it: the names stored are bounded by the same). */
static const char *subject_key(char *buf, size_t len, const char *prefix,
                               const char *name) {
  if (snprintf(buf, len, "%s%s", prefix, name) >= (int)len)
    return NULL;
  return buf;
}

/* Calls visit for each binding of key that applies in namespace ns;
 * stops when it returns nonzero and returns that. */
typedef int (*visit_fn)(void *arg, const struct tables *t,
                        const struct binding *b, const char *key);

static int visit_key(const struct tables *t, const char *key,
                     const char *ns, visit_fn fn, void *arg) {
  const struct refs *r;
  size_t i;
  int rc;

  if (key == NULL || (r = cplane_smap_get(&t->subjects, key)) == NULL)
    return 0;
  for (i = 0; i < r->n; i++) {
    const struct binding *b = r->v[i];

    if (b->ns[0] != '\0' && strcmp(b->ns, ns) != 0)
      continue;
    if ((rc = fn(arg, t, b, key)) != 0)
      return rc;
  }
  return 0;
}

/* Visits the user's bindings, then each group's. Names longer than the
 * buffer name no stored subject. */
static int visit_all(const struct tables *t, const char *user,
                     char *const *groups, size_t n_groups, const char *ns,
                     visit_fn fn, void *arg) {
  char buf[1024];
  size_t g;
  int rc;

  if (user != NULL &&
      (rc = visit_key(t, subject_key(buf, sizeof buf, "u:", user), ns, fn,
                      arg)) != 0)
    return rc;
  for (g = 0; g < n_groups; g++)
    if ((rc = visit_key(t, subject_key(buf, sizeof buf, "g:", groups[g]), ns,
                        fn, arg)) != 0)
      return rc;
  return 0;
}

struct decide {
  const struct cp_rbac_attrs *a;
  char *reason;
  size_t len;
};

static void describe_grant(const struct binding *b, const char *key,
                           char *out, size_t len) {
  const char *desc = "";
  size_t i;

  for (i = 0; i < b->n_subjects; i++)
    if (strcmp(b->subjects[i].key, key) == 0) {
      desc = b->subjects[i].desc;
      break;
    }
  if (b->ns[0] == '\0')
    snprintf(out, len, "ClusterRoleBinding \"%s\" of %s \"%s\" to %s",
             b->name, b->role_kind, b->role_name, desc);
  else
    snprintf(out, len, "RoleBinding \"%s/%s\" of %s \"%s\" to %s", b->name,
             b->ns, b->role_kind, b->role_name, desc);
}

static int decide_visit(void *arg, const struct tables *t,
                        const struct binding *b, const char *key) {
  struct decide *d = arg;
  const struct role *r = role_of(t, b->role_kind, b->ns, b->role_name);
  size_t i;

  for (i = 0; r != NULL && i < r->rules.n; i++)
    if (cp_rbac_rule_allows(&r->rules.v[i], d->a)) {
      if (d->reason != NULL)
        describe_grant(b, key, d->reason, d->len);
      return 1;
    }
  return 0;
}

int cp_rbac_index_authorize(struct cp_rbac_index *x,
                            const struct cp_rbac_attrs *a, char *reason,
                            size_t len) {
  struct decide d = {a, reason, len};
  /* A non-resource request is cluster-wide: only ClusterRoleBindings. */
  const char *ns = a->resource_request ? a->ns : "";
  int rc;

  pthread_rwlock_rdlock(&x->lock);
  rc = visit_all(&x->t, a->user, a->groups, a->n_groups, ns, decide_visit,
                 &d);
  pthread_rwlock_unlock(&x->lock);
  return rc;
}

struct collect {
  struct cp_rbac_rules *out;
  /* A binding reached through two subjects counts once. */
  const struct binding **seen;
  size_t n_seen;
};

static int collect_visit(void *arg, const struct tables *t,
                         const struct binding *b, const char *key) {
  struct collect *c = arg;
  const struct role *r = role_of(t, b->role_kind, b->ns, b->role_name);
  const struct binding **s;
  size_t i;

  (void)key;
  for (i = 0; i < c->n_seen; i++)
    if (c->seen[i] == b)
      return 0;
  if ((s = realloc(c->seen, (c->n_seen + 1) * sizeof *s)) == NULL)
    return -1;
  c->seen = s;
  s[c->n_seen++] = b;
  if (r != NULL && cp_rbac_rules_append(c->out, &r->rules) < 0)
    return -1;
  return 0;
}

int cp_rbac_index_rules_for(struct cp_rbac_index *x, const char *user,
                            char *const *groups, size_t n_groups,
                            const char *ns, struct cp_rbac_rules *out) {
  struct collect c = {out, NULL, 0};
  int rc;

  pthread_rwlock_rdlock(&x->lock);
  rc = visit_all(&x->t, user, groups, n_groups, ns ? ns : "", collect_visit,
                 &c);
  pthread_rwlock_unlock(&x->lock);
  free(c.seen);
  return rc < 0 ? -1 : 0;
}

int cp_rbac_index_role_rules(struct cp_rbac_index *x, const char *kind,
                             const char *ns, const char *name,
                             struct cp_rbac_rules *out) {
  const struct role *r;
  int rc = 0;

  pthread_rwlock_rdlock(&x->lock);
  r = role_of(&x->t, kind, ns ? ns : "", name);
  if (r != NULL)
    rc = cp_rbac_rules_append(out, &r->rules) < 0 ? -1 : 1;
  pthread_rwlock_unlock(&x->lock);
  return rc;
}

size_t cp_rbac_index_count(struct cp_rbac_index *x, enum cp_rbac_kind k) {
  size_t n;

  pthread_rwlock_rdlock(&x->lock);
  switch (k) {
  case CP_RBAC_ROLE:
    n = x->t.roles.count;
    break;
  case CP_RBAC_CLUSTER_ROLE:
    n = x->t.croles.count;
    break;
  case CP_RBAC_ROLE_BINDING:
    n = x->t.n_rb;
    break;
  default:
    n = x->t.n_crb;
  }
  pthread_rwlock_unlock(&x->lock);
  return n;
}

/* ------------------------------------------------------------ aggregation */

struct named_role {
  const char *name;
  const struct role *role;
};

struct role_list {
  struct named_role *v;
  size_t n;
  int oom;
};

static void list_role_cb(void *ud, const char *k, void *v) {
  struct role_list *l = ud;
  struct named_role *n;

  if (l->oom)
    return;
  if ((n = realloc(l->v, (l->n + 1) * sizeof *n)) == NULL) {
    l->oom = 1;
    return;
  }
  l->v = n;
  n[l->n].name = k;
  n[l->n].role = v;
  l->n++;
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const struct named_role *)a)->name,
                ((const struct named_role *)b)->name);
}

/* Appends a copy of rule to rules unless an equal one is there (kube's
 * ruleExists). A copy, not a reference: the caller keeps rules past the
 * lock, on its own thread, while the store watch's thread may free the
 * role rule came from, and json-c's reference counts are not atomic.
 * Returns 0, or -1 out of memory. */
static int add_unique(json_object *rules, json_object *rule) {
  size_t i, n = json_object_array_length(rules);
  json_object *copy = NULL;

  for (i = 0; i < n; i++)
    if (json_object_equal(json_object_array_get_idx(rules, i), rule))
      return 0;
  if (json_object_deep_copy(rule, &copy, NULL) != 0)
    return -1;
  if (json_object_array_add(rules, copy) != 0) {
    json_object_put(copy);
    return -1;
  }
  return 0;
}

/* Adds the rules of every other ClusterRole one selector matches.
 * Returns 0, or -1 out of memory. */
static int add_matching(const struct role_list *all, const char *self,
                        cp_selector *sel, json_object *rules) {
  size_t i, j, n;

  for (i = 0; i < all->n; i++) {
    json_object *rs = cp_field_at(all->v[i].role->obj, "rules");
    cplane_object *o;
    int match;

    if (strcmp(all->v[i].name, self) == 0 ||
        (o = cp_object_from_json_c(all->v[i].role->obj)) == NULL)
      continue;
    match = cp_selector_matches(sel, o);
    cp_object_release(o);
    n = match && json_object_is_type(rs, json_type_array)
            ? json_object_array_length(rs)
            : 0;
    for (j = 0; j < n; j++)
      if (add_unique(rules, json_object_array_get_idx(rs, j)) < 0)
        return -1;
  }
  return 0;
}

/* The rules aggregating role r should hold; NULL out of memory or when
 * a selector cannot be read (then nothing is changed). */
static json_object *aggregate(const struct role_list *all, const char *name,
                              const struct role *r) {
  json_object *sels = cp_field_at(cp_field_at(r->obj, "aggregationRule"),
                             "clusterRoleSelectors");
  json_object *rules = json_object_new_array();
  cplane_object *o = cp_object_from_json_c(r->obj);
  size_t i, n = json_object_is_type(sels, json_type_array)
                    ? json_object_array_length(sels)
                    : 0;

  for (i = 0; rules != NULL && o != NULL && i < n; i++) {
    char path[96], *text;
    cp_selector *sel = NULL;

    snprintf(path, sizeof path, "aggregationRule.clusterRoleSelectors[%zu]",
             i);
    text = cp_selector_text_from(o, path);
    if (text == NULL || cp_selector_parse(text, &sel, NULL) != 0) {
      free(text);
      json_object_put(rules);
      rules = NULL;
      break;
    }
    free(text);
    /* An empty selector would gather every role: kube's matches all
     * too, but that is what the user wrote. */
    if (add_matching(all, name, sel, rules) < 0) {
      json_object_put(rules);
      rules = NULL;
    }
    cp_selector_free(sel);
  }
  if (o != NULL)
    cp_object_release(o);
  else {
    json_object_put(rules);
    rules = NULL;
  }
  return rules;
}

size_t cp_rbac_index_aggregation(struct cp_rbac_index *x,
                                 void (*fn)(void *arg, const char *name,
                                            json_object *rules),
                                 void *arg) {
  struct role_list all = {NULL, 0, 0};
  size_t i, changed = 0;

  pthread_rwlock_rdlock(&x->lock);
  cplane_smap_foreach(&x->t.croles, list_role_cb, &all);
  if (!all.oom)
    qsort(all.v, all.n, sizeof all.v[0], by_name);
  for (i = 0; !all.oom && i < all.n; i++) {
    const struct role *r = all.v[i].role;
    json_object *want, *have;

    if (cp_field_at(r->obj, "aggregationRule") == NULL)
      continue;
    if ((want = aggregate(&all, all.v[i].name, r)) == NULL)
      continue;
    have = cp_field_at(r->obj, "rules");
    if (!(have == NULL ? json_object_array_length(want) == 0
                       : json_object_equal(have, want))) {
      fn(arg, all.v[i].name, want);
      changed++;
    }
    json_object_put(want);
  }
  pthread_rwlock_unlock(&x->lock);
  free(all.v);
  return changed;
}
