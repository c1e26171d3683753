/*
 * managed - metadata.managedFields, Update and Apply (see managed.h).
 */
#include "apiserver/ssa/managed.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/ssa/fieldset.h"
#include "apiserver/ssa/typed.h"
#include "object/json_buf.h"

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

/* ------------------------------------------------------------ entries */

/* One managedFields entry, decoded. Strings borrowed from the JSON the
 * entries came from, or from the op (the writer's own entry). */
struct entry {
  const char *manager, *operation, *api_version, *time, *subresource;
  struct cp_fieldset *set;
  char *time_own; /* a time set by this write */
};

struct entries {
  struct entry *v;
  size_t n, cap;
};

static void entries_clear(struct entries *e) {
  size_t i;

  for (i = 0; i < e->n; i++) {
    cp_fieldset_free(e->v[i].set);
    free(e->v[i].time_own);
  }
  free(e->v);
  memset(e, 0, sizeof *e);
}

static struct entry *entries_add(struct entries *e) {
  if (e->n == e->cap) {
    size_t cap = e->cap ? e->cap * 2 : 4;
    struct entry *v = realloc(e->v, cap * sizeof *v);

    if (v == NULL)
      return NULL;
    e->v = v;
    e->cap = cap;
  }
  memset(&e->v[e->n], 0, sizeof e->v[0]);
  return &e->v[e->n++];
}

static const char *str_of(json_object *o, const char *k) {
  json_object *v = NULL;

  if (!json_object_object_get_ex(o, k, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static int nonempty(const char *s) { return s != NULL && s[0] != '\0'; }

static int same(const char *a, const char *b) {
  return strcmp(a ? a : "", b ? b : "") == 0;
}

/* kube's BuildManagerIdentifier: manager, operation, subresource, and
 * the apiVersion of an Update (an applier is one manager whatever
 * version it applies in). */
static int same_manager(const struct entry *a, const struct entry *b) {
  return same(a->manager, b->manager) && same(a->operation, b->operation) &&
         same(a->subresource, b->subresource) &&
         (strcmp(a->operation, "Apply") == 0 ||
          same(a->api_version, b->api_version));
}

/* Decodes managedFields (a list, borrowed: the entries point into it).
 * Returns 0, or -1 (entries cleared) when they are not kube's form. */
static int entries_decode(json_object *mf, struct entries *e) {
  size_t i, n;
  const char *err = NULL;

  if (mf == NULL)
    return 0;
  if (!json_object_is_type(mf, json_type_array))
    return -1;
  n = json_object_array_length(mf);
  for (i = 0; i < n; i++) {
    json_object *j = json_object_array_get_idx(mf, i), *f = NULL;
    const char *op = str_of(j, "operation"), *ft = str_of(j, "fieldsType");
    struct entry *x;

    if (!json_object_is_type(j, json_type_object) || op == NULL ||
        (strcmp(op, "Apply") != 0 && strcmp(op, "Update") != 0) ||
        (ft != NULL && strcmp(ft, "FieldsV1") != 0) ||
        (x = entries_add(e)) == NULL)
      goto fail;
    x->manager = str_of(j, "manager");
    x->operation = op;
    x->api_version = str_of(j, "apiVersion");
    x->time = str_of(j, "time");
    x->subresource = str_of(j, "subresource");
    if (json_object_object_get_ex(j, "fieldsV1", &f) && f != NULL)
      x->set = cp_fieldset_from_json(f, &err);
    else
      x->set = cp_fieldset_new();
    if (x->set == NULL)
      goto fail;
  }
  return 0;
fail:
  entries_clear(e);
  return -1;
}

/* kube's isResetManagedFields: [] or [{}]. */
static int is_reset(json_object *mf) {
  json_object *only;

  if (!json_object_is_type(mf, json_type_array))
    return 0;
  if (json_object_array_length(mf) == 0)
    return 1;
  only = json_object_array_get_idx(mf, 0);
  return json_object_array_length(mf) == 1 &&
         json_object_is_type(only, json_type_object) &&
         json_object_object_length(only) == 0;
}

static const char *entry_time(const struct entry *x) {
  return x->time_own ? x->time_own : x->time ? x->time : "";
}

static int entry_cmp(const void *pa, const void *pb) {
  const struct entry *a = pa, *b = pb;
  int c;

  /* kube's sortEncodedManagedFields: operation, time, manager,
   * apiVersion, subresource. */
  if ((c = strcmp(a->operation, b->operation)) != 0)
    return c;
  if ((c = strcmp(entry_time(a), entry_time(b))) != 0)
    return c;
  if ((c = strcmp(a->manager ? a->manager : "", b->manager ? b->manager : "")))
    return c;
  if ((c = strcmp(a->api_version ? a->api_version : "",
                  b->api_version ? b->api_version : "")) != 0)
    return c;
  return strcmp(a->subresource ? a->subresource : "",
                b->subresource ? b->subresource : "");
}

/* kube's entries omit empty strings (omitempty). */
static void put_str(json_object *o, const char *k, const char *v) {
  if (nonempty(v))
    json_object_object_add(o, k, json_object_new_string(v));
}

static int set_time(struct entry *x, const char *now) {
  free(x->time_own);
  x->time_own = strdup(now);
  return x->time_own ? 0 : -1;
}

/* kube's capManagersManager: at most CP_SSA_MAX_UPDATERS Update entries;
 * the oldest are merged, per apiVersion, into one "ancient-changes"
 * entry (the first of a version becomes it, later ones are added to it
 * and give it their time). -1: out of memory. */
#define CP_SSA_MAX_UPDATERS 10

static int time_cmp(const void *pa, const void *pb) {
  const struct entry *a = *(const struct entry *const *)pa,
                     *b = *(const struct entry *const *)pb;

  return strcmp(entry_time(a), entry_time(b));
}

static int cap_updaters(struct entries *e) {
  struct entry **up, *bucket;
  size_t i, j, n = 0, left;
  int rc = 0;

  for (i = 0; i < e->n; i++)
    n += strcmp(e->v[i].operation, "Update") == 0 && !cp_fieldset_empty(e->v[i].set);
  if (n <= CP_SSA_MAX_UPDATERS)
    return 0;
  if ((up = calloc(n, sizeof *up)) == NULL)
    return -1;
  for (i = j = 0; i < e->n; i++)
    if (strcmp(e->v[i].operation, "Update") == 0 &&
        !cp_fieldset_empty(e->v[i].set))
      up[j++] = &e->v[i];
  qsort(up, n, sizeof *up, time_cmp);
  /* The oldest of each version is its bucket; later old ones join it. */
  for (i = 0, left = n; i < n && left > CP_SSA_MAX_UPDATERS; i++) {
    for (j = 0, bucket = NULL; j < i && bucket == NULL; j++)
      if (up[j] != NULL && same(up[j]->api_version, up[i]->api_version))
        bucket = up[j];
    if (bucket == NULL)
      continue;
    bucket->manager = "ancient-changes";
    bucket->subresource = NULL;
    if (cp_fieldset_add(bucket->set, up[i]->set) < 0 ||
        set_time(bucket, entry_time(up[i])) < 0) {
      rc = -1;
      break;
    }
    cp_fieldset_free(up[i]->set);
    up[i]->set = cp_fieldset_new(); /* empty: left out when encoded */
    if (up[i]->set == NULL) {
      rc = -1;
      break;
    }
    up[i] = NULL;
    left--;
  }
  free(up);
  return rc;
}

/* Encodes the non-empty entries, sorted, into o's metadata (no
 * managedFields at all when none is left, as kube). -1: out of memory. */
static int entries_encode(struct entries *e, json_object *o) {
  json_object *md = NULL, *list;
  size_t i;

  if (!json_object_object_get_ex(o, "metadata", &md) ||
      !json_object_is_type(md, json_type_object))
    return 0;
  if (cap_updaters(e) < 0)
    return -1;
  if (e->n > 1)
    qsort(e->v, e->n, sizeof *e->v, entry_cmp);
  if ((list = json_object_new_array()) == NULL)
    return -1;
  for (i = 0; i < e->n; i++) {
    const struct entry *x = &e->v[i];
    json_object *j, *f;

    if (cp_fieldset_empty(x->set))
      continue;
    if ((j = json_object_new_object()) == NULL ||
        json_object_array_add(list, j) != 0 ||
        (f = cp_fieldset_to_json(x->set)) == NULL) {
      json_object_put(list);
      return -1;
    }
    put_str(j, "manager", x->manager);
    put_str(j, "operation", x->operation);
    put_str(j, "apiVersion", x->api_version);
    put_str(j, "time", x->time_own ? x->time_own : x->time);
    put_str(j, "fieldsType", "FieldsV1");
    json_object_object_add(j, "fieldsV1", f);
    if (nonempty(x->subresource))
      put_str(j, "subresource", x->subresource);
  }
  if (json_object_array_length(list) == 0) {
    json_object_put(list);
    json_object_object_del(md, "managedFields");
    return 0;
  }
  json_object_object_add(md, "managedFields", list);
  return 0;
}

/* The entry of the writer (made, empty, when it has none). */
static struct entry *entry_of(struct entries *e, const struct cp_ssa_op *op,
                              const char *operation) {
  struct entry want = {op->manager, operation, op->api_version, NULL,
                       op->subresource, NULL, NULL};
  struct entry *x;
  size_t i;

  for (i = 0; i < e->n; i++)
    if (same_manager(&e->v[i], &want))
      return &e->v[i];
  if ((x = entries_add(e)) == NULL)
    return NULL;
  *x = want;
  if ((x->set = cp_fieldset_new()) == NULL) {
    e->n--;
    return NULL;
  }
  return x;
}

/* ------------------------------------------------------------ ignored */

/* Drops field name (and all under it) from n's children. */
static void drop_field(struct cp_fs_node *n, const char *name) {
  struct cp_fs_node *k = cp_fs_child(n, CP_PE_FIELD, name, NULL, 0, 0);

  if (k != NULL)
    cp_fs_drop_child(n, k);
}

/* Keeps only what a write may own: drops the fields kube never tracks
 * and the other subresource's part (see managed.h). */
static void drop_ignored(const struct cp_ssa_op *op, struct cp_fieldset *s) {
  static const char *const meta[] = {
      "name",       "namespace",   "creationTimestamp", "selfLink",
      "uid",        "clusterName", "generation",        "managedFields",
      "resourceVersion"};
  struct cp_fs_node *md;
  size_t i;

  if (op->subresource != NULL && strcmp(op->subresource, "status") == 0) {
    for (i = s->root.n; i-- > 0;)
      if (strcmp(s->root.kids[i].pe, "f:status") != 0)
        cp_fs_drop_child(&s->root, &s->root.kids[i]);
    return;
  }
  drop_field(&s->root, "apiVersion");
  drop_field(&s->root, "kind");
  if (op->status_split && op->subresource == NULL)
    drop_field(&s->root, "status");
  md = cp_fs_child(&s->root, CP_PE_FIELD, "metadata", NULL, 0, 0);
  if (md == NULL)
    return;
  for (i = 0; i < sizeof meta / sizeof meta[0]; i++)
    drop_field(md, meta[i]);
  md->member = 0;
  if (md->n == 0)
    cp_fs_drop_child(&s->root, md);
}

/* ------------------------------------------------------------ update */

static json_object *member_of(json_object *o, const char *k) {
  json_object *v = NULL;

  return json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static json_object *managed_of(json_object *o) {
  return member_of(member_of(o, "metadata"), "managedFields");
}

/* Everybody but skip loses what changed and what went. */
static void take_from_others(struct entries *e, const struct entry *skip,
                             const struct cp_fieldset *changed,
                             const struct cp_fieldset *removed) {
  size_t i;

  for (i = 0; i < e->n; i++) {
    if (&e->v[i] == skip)
      continue;
    if (changed != NULL)
      cp_fieldset_remove(e->v[i].set, changed);
    cp_fieldset_remove(e->v[i].set, removed);
  }
}

void cp_ssa_manager_from_user_agent(const char *ua, char *buf, size_t len) {
  size_t n = ua != NULL ? strcspn(ua, "/") : 0;

  if (len == 0)
    return;
  if (n >= len)
    n = len - 1;
  memcpy(buf, ua != NULL ? ua : "", n);
  buf[n] = '\0';
}

int cp_ssa_update(const struct cp_ssa_op *op, json_object *live,
                  json_object *next) {
  struct entries e = {0};
  struct cp_fieldset *changed = cp_fieldset_new(), *removed = cp_fieldset_new();
  json_object *mine = managed_of(next), *keep = NULL;
  struct entry *self;
  int rc = -1;

  if (changed == NULL || removed == NULL)
    goto out;
  /* The entries decoded point into their list: hold it while the
   * object's metadata.managedFields is replaced. */
  if (op->subresource == NULL && is_reset(mine))
    keep = NULL;
  else if (op->subresource == NULL && mine != NULL &&
           json_object_array_length(mine) > 0 &&
           entries_decode(mine, &e) == 0 && e.n > 0)
    keep = json_object_get(mine);
  else {
    entries_clear(&e);
    keep = json_object_get(managed_of(live));
    entries_decode(keep, &e);
  }
  if (cp_ssa_compare(op->schema, op->builtin, live, next, changed, removed) <
      0)
    goto out;
  drop_ignored(op, changed);
  drop_ignored(op, removed);
  take_from_others(&e, NULL, changed, removed);
  if (!cp_fieldset_empty(changed)) {
    if ((self = entry_of(&e, op, "Update")) == NULL ||
        cp_fieldset_add(self->set, changed) < 0 || set_time(self, op->now) < 0)
      goto out;
  }
  rc = entries_encode(&e, next);
out:
  entries_clear(&e);
  json_object_put(keep);
  cp_fieldset_free(changed);
  cp_fieldset_free(removed);
  return rc;
}

/* ------------------------------------------------------------ conflicts */

void cp_ssa_conflicts_clear(struct cp_ssa_conflicts *c) {
  size_t i;

  for (i = 0; i < c->n; i++) {
    free(c->v[i].manager);
    free(c->v[i].field);
  }
  free(c->v);
  memset(c, 0, sizeof *c);
}

/* kube's printManager. */
static char *manager_text(const struct entry *x) {
  struct cp_json_buf b = CP_JSON_BUF_INIT;
  const char *m = x->manager ? x->manager : "";

  cp_json_buf_quoted(&b, m, strlen(m));
  if (nonempty(x->subresource)) {
    cp_json_buf_puts(&b, " with subresource ");
    cp_json_buf_quoted(&b, x->subresource, strlen(x->subresource));
  }
  if (strcmp(x->operation, "Update") == 0) {
    cp_json_buf_puts(&b, " using ");
    cp_json_buf_puts(&b, x->api_version ? x->api_version : "");
  }
  return cp_json_buf_take(&b);
}

struct collect {
  struct cp_ssa_conflicts *c;
  const char *manager;
  int nomem;
};

static int collect_path(const char *path, void *arg) {
  struct collect *k = arg;
  struct cp_ssa_conflict *v =
      realloc(k->c->v, (k->c->n + 1) * sizeof *k->c->v);

  if (v == NULL)
    return k->nomem = -1;
  k->c->v = v;
  v[k->c->n].manager = strdup(k->manager);
  v[k->c->n].field = strdup(path);
  if (v[k->c->n].manager == NULL || v[k->c->n].field == NULL) {
    free(v[k->c->n].manager);
    free(v[k->c->n].field);
    return k->nomem = -1;
  }
  k->c->n++;
  return 0;
}

static int add_conflicts(struct cp_ssa_conflicts *c, const struct entry *x,
                         const struct cp_fieldset *set) {
  struct collect k = {c, NULL, 0};
  char *m = manager_text(x);

  if (m == NULL)
    return -1;
  k.manager = m;
  cp_fieldset_each(set, collect_path, &k);
  free(m);
  return k.nomem;
}

static int conflict_cmp(const void *pa, const void *pb) {
  const struct cp_ssa_conflict *a = pa, *b = pb;

  return strcmp(a->manager, b->manager);
}

char *cp_ssa_conflicts_message(const struct cp_ssa_conflicts *c) {
  struct cp_json_buf b = CP_JSON_BUF_INIT;
  char head[64];
  size_t i;

  if (c->n == 1) {
    cp_json_buf_puts(&b, "Apply failed with 1 conflict: conflict with ");
    cp_json_buf_puts(&b, c->v[0].manager);
    cp_json_buf_puts(&b, ": ");
    cp_json_buf_puts(&b, c->v[0].field);
    return cp_json_buf_take(&b);
  }
  snprintf(head, sizeof head, "Apply failed with %zu conflicts: ", c->n);
  cp_json_buf_puts(&b, head);
  for (i = 0; i < c->n; i++) {
    if (i == 0 || strcmp(c->v[i].manager, c->v[i - 1].manager) != 0) {
      cp_json_buf_puts(&b, i ? "\nconflicts with " : "conflicts with ");
      cp_json_buf_puts(&b, c->v[i].manager);
      cp_json_buf_puts(&b, ":");
    }
    cp_json_buf_puts(&b, "\n- ");
    cp_json_buf_puts(&b, c->v[i].field);
  }
  return cp_json_buf_take(&b);
}

/* ------------------------------------------------------------ apply */

/* What kube's lastapplied upgrade lets "kubectl" take from others
 * without a conflict (allowedConflictsFromLastApplied): the fields of
 * live's client-side apply annotation whose value there is still live's
 * (a field changed since, by anybody, stays a conflict). NULL when there
 * is no annotation (or it is not a JSON object). */
static struct cp_fieldset *last_applied_fields(const struct cp_ssa_op *op,
                                               json_object *live) {
  json_object *ann = member_of(member_of(live, "metadata"), "annotations");
  const char *la = str_of(ann, LAST_APPLIED);
  struct cp_fieldset *s = NULL, *drifted = NULL, *gone = NULL;
  json_object *o;

  if (la == NULL || (o = json_tokener_parse(la)) == NULL)
    return NULL;
  if (!json_object_is_type(o, json_type_object) ||
      (s = cp_fieldset_new()) == NULL || (drifted = cp_fieldset_new()) == NULL ||
      (gone = cp_fieldset_new()) == NULL ||
      cp_ssa_fields_of(op->schema, o, s) < 0 ||
      cp_ssa_compare(op->schema, op->builtin, o, live, drifted, gone) < 0) {
    cp_fieldset_free(s);
    s = NULL;
  } else {
    /* smd's Compare(lastApplied, live).Modified: what both hold with
     * different values (drifted also holds what only live has, which
     * the annotation's fields cannot contain). */
    cp_fieldset_remove(s, drifted);
  }
  cp_fieldset_free(drifted);
  cp_fieldset_free(gone);
  json_object_put(o);
  return s;
}

/* The conflicts of the apply: what other managers own that it changes.
 * allowed (may be NULL) is taken from others without a conflict. */
static int find_conflicts(struct entries *e, const struct entry *self,
                          const struct cp_fieldset *changed,
                          const struct cp_fieldset *allowed,
                          struct cp_ssa_conflicts *out) {
  size_t i;

  for (i = 0; i < e->n; i++) {
    struct cp_fieldset *c;
    int rc = 0;

    if (&e->v[i] == self)
      continue;
    if ((c = cp_fieldset_intersection(e->v[i].set, changed)) == NULL)
      return -1;
    cp_fieldset_remove(c, allowed);
    if (!cp_fieldset_empty(c))
      rc = add_conflicts(out, &e->v[i], c);
    cp_fieldset_free(c);
    if (rc < 0)
      return -1;
  }
  if (out->n > 1)
    qsort(out->v, out->n, sizeof *out->v, conflict_cmp);
  return 0;
}

/* Removes from merged what self applied before (last) and no longer
 * applies, unless somebody (self's new set included) still owns it. */
static int prune_unapplied(const struct cp_ssa_op *op, struct entries *e,
                           const struct cp_fieldset *last, json_object *merged) {
  struct cp_fieldset *rm, *keep = cp_fieldset_new();
  size_t i;
  int rc = -1;

  if (keep == NULL)
    return -1;
  for (i = 0; i < e->n; i++)
    if (cp_fieldset_add(keep, e->v[i].set) < 0)
      goto out;
  if ((rm = cp_fieldset_difference(last, keep)) == NULL)
    goto out;
  cp_ssa_remove(op->schema, merged, rm, keep);
  cp_fieldset_free(rm);
  rc = 0;
out:
  cp_fieldset_free(keep);
  return rc;
}

/* kube's lastAppliedUpdater: an apply by "kubectl" keeps the client-side
 * apply annotation, when the object has one, in step with what it
 * applied (the applied object without that annotation), so that a later
 * client-side apply computes its patch from it. -1: out of memory. */
static int sync_last_applied(const struct cp_ssa_op *op, json_object *live,
                             json_object *config, json_object *merged) {
  json_object *copy = NULL, *ann, *mann;
  const char *text;

  if (op->manager == NULL || strcmp(op->manager, "kubectl") != 0 ||
      str_of(member_of(member_of(live, "metadata"), "annotations"),
             LAST_APPLIED) == NULL)
    return 0;
  mann = member_of(member_of(merged, "metadata"), "annotations");
  if (!json_object_is_type(mann, json_type_object) ||
      json_object_deep_copy(config, &copy, NULL) != 0)
    return json_object_is_type(mann, json_type_object) ? -1 : 0;
  ann = member_of(member_of(copy, "metadata"), "annotations");
  if (json_object_is_type(ann, json_type_object))
    json_object_object_del(ann, LAST_APPLIED);
  text = json_object_to_json_string_ext(
      copy, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  json_object_object_add(mann, LAST_APPLIED, json_object_new_string(text));
  json_object_put(copy);
  return 0;
}

int cp_ssa_apply(const struct cp_ssa_op *op, json_object *live,
                 json_object *config, int force, json_object **out,
                 struct cp_ssa_conflicts *conflicts) {
  struct entries e = {0};
  struct cp_fieldset *cfg = cp_fieldset_new(), *changed = cp_fieldset_new(),
                     *removed = cp_fieldset_new(), *last = NULL,
                     *allowed = NULL;
  json_object *held = json_object_get(managed_of(live)), *merged = NULL;
  struct entry *self;
  int rc = -1, fresh;

  *out = NULL;
  if (cfg == NULL || changed == NULL || removed == NULL)
    goto out;
  entries_decode(held, &e);
  if (cp_ssa_fields_of(op->schema, config, cfg) < 0)
    goto out;
  drop_ignored(op, cfg);
  if ((merged = cp_ssa_merge(op->schema, live, config)) == NULL)
    goto out;
  fresh = e.n;
  if ((self = entry_of(&e, op, "Apply")) == NULL)
    goto out;
  fresh = (size_t)fresh != e.n;
  last = self->set;
  self->set = cfg;
  cfg = NULL;
  self->api_version = op->api_version;
  if (!cp_fieldset_empty(last) && prune_unapplied(op, &e, last, merged) < 0)
    goto out;
  if (cp_ssa_compare(op->schema, op->builtin, live, merged, changed,
                     removed) < 0)
    goto out;
  drop_ignored(op, changed);
  drop_ignored(op, removed);
  if (!force) {
    if (op->manager != NULL && strcmp(op->manager, "kubectl") == 0)
      allowed = last_applied_fields(op, live);
    if (find_conflicts(&e, self, changed, allowed, conflicts) < 0)
      goto out;
    if (conflicts->n > 0) {
      rc = CP_SSA_ECONFLICT;
      goto out;
    }
  }
  take_from_others(&e, self, changed, removed);
  if ((fresh || !cp_fieldset_empty(changed) || !cp_fieldset_empty(removed)) &&
      set_time(self, op->now) < 0)
    goto out;
  if (entries_encode(&e, merged) < 0 ||
      sync_last_applied(op, live, config, merged) < 0)
    goto out;
  *out = merged;
  merged = NULL;
  rc = 0;
out:
  entries_clear(&e);
  json_object_put(held);
  json_object_put(merged);
  cp_fieldset_free(cfg);
  cp_fieldset_free(last);
  cp_fieldset_free(changed);
  cp_fieldset_free(removed);
  cp_fieldset_free(allowed);
  return rc;
}
