/*
 * deployment - rolls a Deployment's pod template out through ReplicaSets,
 * as kube-controller-manager's deployment controller does.
 *
 * Each pod template gets one ReplicaSet, "<deployment>-<hash>", where the
 * hash (FNV-1a, spelled as Kubernetes' SafeEncodeString) is taken over the
 * template with its keys sorted and its empty members left out (so key
 * order or a client's "resources":{} never makes a second ReplicaSet), and
 * the ReplicaSet's selector, labels and template carry
 * pod-template-hash=<hash>. The ReplicaSet whose template equals the
 * Deployment's (pod-template-hash aside) is the new one; the others are
 * old. ReplicaSets without a controller that the selector picks are
 * adopted first. RollingUpdate scales the new one up within replicas +
 * maxSurge and the old ones down (oldest first) while availability stays
 * at replicas - maxUnavailable; Recreate scales the old ones to zero,
 * waits for their pods to go, then scales the new one up. Revisions,
 * history pruning, pausing, proportional scaling and the
 * Available/Progressing conditions follow Kubernetes.
 *
 * Every write to a ReplicaSet is a merge patch carrying the resourceVersion
 * the decision was made from, so a lagging cache gives a 409 and a retry,
 * never a decision taken twice. ReplicaSet names are deterministic, so a
 * second create of the same ReplicaSet is a 409 as well. Status writes
 * carry the Deployment's resourceVersion for the same reason.
 *
 * Threading: callbacks run on the host's dispatch threads and only read
 * the cache and enqueue (a ReplicaSet's controlling Deployment, or for an
 * orphan every Deployment selecting it); reconcile runs on the workers,
 * never for one key on two at once, and keeps all its state on its own
 * stack and heap. The only global is the host's function table, written
 * once in init().
 */
#include <cplane/cplane.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANN_REVISION "deployment.kubernetes.io/revision"
#define ANN_DESIRED "deployment.kubernetes.io/desired-replicas"
#define ANN_MAX "deployment.kubernetes.io/max-replicas"
#define HASH_LABEL "pod-template-hash"

#define COND_AVAILABLE "Available"
#define COND_PROGRESSING "Progressing"

/* How long to wait before looking again at a ReplicaSet the API server has
 * but the cache does not yet. */
#define CACHE_LAG_MS 200

static const struct cplane_host_api *api;

static const struct cplane_resource resources[] = {
    CPLANE_RESOURCE("apps", "v1", "deployments"),
    CPLANE_RESOURCE("apps", "v1", "replicasets"),
};
#define DEPLOY 0
#define RS 1

/* Path of member `key` below `path`, with '.', '[' and '\' escaped as
 * object paths want. Owned: free(). */
static char *path_member(const char *path, const char *key) {
  struct cplane_strbuf b = {0};
  const char *k;

  if (path != NULL && path[0] != '\0') {
    cplane_strbuf_add(&b, path);
    cplane_strbuf_addn(&b, ".", 1);
  }
  for (k = key; *k != '\0'; k++) {
    if (*k == '.' || *k == '[' || *k == '\\')
      cplane_strbuf_addn(&b, "\\", 1);
    cplane_strbuf_addn(&b, k, 1);
  }
  if (b.p == NULL)
    cplane_strbuf_addn(&b, "", 0);
  return cplane_strbuf_finish(&b);
}

/* ---- JSON helpers over objects ---- */

struct keys {
  char **v;
  size_t n, cap;
  int failed; /* an allocation failed */
};

static int collect_key(void *userdata, const char *key, const char *str) {
  struct keys *k = userdata;
  char *copy;

  (void)str;
  if (k->n == k->cap) {
    size_t cap = k->cap ? k->cap * 2 : 16;
    char **v = realloc(k->v, cap * sizeof *v);

    if (v == NULL) {
      k->failed = 1;
      return 1;
    }
    k->v = v;
    k->cap = cap;
  }
  if ((copy = strdup(key)) == NULL) {
    k->failed = 1;
    return 1;
  }
  k->v[k->n++] = copy;
  return 0;
}

static void keys_free(struct keys *k) {
  size_t i;

  for (i = 0; i < k->n; i++)
    free(k->v[i]);
  free(k->v);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 when canonical() text is an empty value that a typed client would
 * leave out or add at will (kubectl rollout undo sends "resources":{} and
 * "creationTimestamp":null that the stored template never had). */
static int empty_value(const char *json) {
  return strcmp(json, "null") == 0 || strcmp(json, "{}") == 0 ||
         strcmp(json, "[]") == 0;
}

/* Appends the value at `path` to b as JSON with every object's keys
 * sorted, leaving out members with empty values and the member
 * `skip_key` of the object at `skip_path`. Two templates that differ only
 * in key order, empty members or pod-template-hash thus come out the
 * same, as Kubernetes' semantic comparison of typed templates has it. */
static void canonical(const cplane_object *o, const char *path,
                      const char *skip_path, const char *skip_key,
                      struct cplane_strbuf *b) {
  int type = api->object_type(o, path);
  struct keys k = {0};
  size_t i;
  int n, first = 1;

  if (type == CPLANE_TYPE_OBJECT) {
    api->object_foreach(o, path, collect_key, &k);
    if (k.failed) {
      b->failed = 1;
      goto out;
    }
    if (k.n > 1) /* qsort wants a real array, even of none */
      qsort(k.v, k.n, sizeof *k.v, cmp_str);
    cplane_strbuf_addn(b, "{", 1);
    for (i = 0; i < k.n; i++) {
      struct cplane_strbuf v = {0};
      char *child, *text;

      if (strcmp(path, skip_path) == 0 && strcmp(k.v[i], skip_key) == 0)
        continue;
      if ((child = path_member(path, k.v[i])) == NULL) {
        b->failed = 1;
        goto out;
      }
      canonical(o, child, skip_path, skip_key, &v);
      free(child);
      if ((text = cplane_strbuf_finish(&v)) == NULL) {
        b->failed = 1;
        goto out;
      }
      if (!empty_value(text)) {
        if (!first)
          cplane_strbuf_addn(b, ",", 1);
        first = 0;
        cplane_strbuf_take(b, api, api->json_format("%s", k.v[i]));
        cplane_strbuf_addn(b, ":", 1);
        cplane_strbuf_add(b, text);
      }
      free(text);
    }
    cplane_strbuf_addn(b, "}", 1);
  } else if (type == CPLANE_TYPE_ARRAY) {
    n = api->object_len(o, path);
    cplane_strbuf_addn(b, "[", 1);
    for (i = 0; i < (size_t)(n > 0 ? n : 0); i++) {
      char child[32];
      struct cplane_strbuf p = {0};
      char *cp;

      snprintf(child, sizeof child, "[%zu]", i);
      cplane_strbuf_add(&p, path);
      cplane_strbuf_add(&p, child);
      if ((cp = cplane_strbuf_finish(&p)) == NULL) {
        b->failed = 1;
        goto out;
      }
      if (i > 0)
        cplane_strbuf_addn(b, ",", 1);
      canonical(o, cp, skip_path, skip_key, b);
      free(cp);
    }
    cplane_strbuf_addn(b, "]", 1);
  } else {
    cplane_strbuf_take(b, api, api->object_json(o, path));
  }
out:
  keys_free(&k);
}

/* The object at `path` as compact JSON with member `key` set to the JSON
 * text `value` (replaced in place, or added at the end; an absent object
 * becomes {key: value}). Owned: free(). NULL when out of memory. */
static char *with_member(const cplane_object *o, const char *path,
                         const char *key, const char *value) {
  struct keys k = {0};
  struct cplane_strbuf b = {0};
  size_t i;
  int found = 0;

  if (value == NULL)
    return NULL;
  if (api->object_type(o, path) == CPLANE_TYPE_OBJECT)
    api->object_foreach(o, path, collect_key, &k);
  if (k.failed)
    goto out;
  cplane_strbuf_addn(&b, "{", 1);
  for (i = 0; i < k.n; i++) {
    char *child;

    if (i > 0)
      cplane_strbuf_addn(&b, ",", 1);
    cplane_strbuf_take(&b, api, api->json_format("%s", k.v[i]));
    cplane_strbuf_addn(&b, ":", 1);
    if (strcmp(k.v[i], key) == 0) {
      cplane_strbuf_add(&b, value);
      found = 1;
      continue;
    }
    if ((child = path_member(path, k.v[i])) == NULL) {
      b.failed = 1;
      break;
    }
    cplane_strbuf_take(&b, api, api->object_json(o, child));
    free(child);
  }
  if (!found) {
    if (k.n > 0)
      cplane_strbuf_addn(&b, ",", 1);
    cplane_strbuf_take(&b, api, api->json_format("%s", key));
    cplane_strbuf_addn(&b, ":", 1);
    cplane_strbuf_add(&b, value);
  }
  cplane_strbuf_addn(&b, "}", 1);
out:
  keys_free(&k);
  if (k.failed)
    b.failed = 1;
  return cplane_strbuf_finish(&b);
}

/* ---- what one reconcile knows ---- */

struct condition {
  char type[64], status[16], reason[64], message[512];
  char last_update[40], last_transition[40];
};

struct rsinfo {
  const cplane_object *o; /* borrowed from the reconcile's list */
  const char *name, *created;
  int64_t spec, replicas, ready, available, revision, gen, observed;
  int64_t desired_ann, max_ann; /* -1 when absent */
  int is_new;
};

struct status {
  char now[CPLANE_TIME_LEN]; /* this reconcile's clock, for conditions */
  int64_t observed, replicas, updated, ready, available, unavailable;
  int64_t collisions;
  struct condition *conds;
  size_t n_conds, cap_conds;
};

struct deploy {
  cplane_plugin_ctx *ctx;
  const cplane_object *o;
  const cplane_object *patched; /* o after our own patch, or NULL */
  const char *key, *ns, *name, *uid;
  const char *rv; /* resourceVersion of the newest of o and patched */
  int64_t replicas, gen, history, deadline, min_ready;
  int64_t surge, unavailable; /* resolved against replicas */
  int paused, recreate;
  struct status cur;  /* as the Deployment reports it now */
  struct status next; /* what this reconcile will report */
  cplane_object_list *list;
  struct rsinfo *rs;
  size_t n_rs;
  struct rsinfo *new_rs; /* one of rs[], or NULL */
  char *template;        /* canonical JSON of spec.template */
  char hash[16];
};

static int64_t get_int(const cplane_object *o, const char *path,
                       int64_t dflt) {
  int64_t v;

  return api->object_int(o, path, &v) == CPLANE_OK ? v : dflt;
}

static int64_t annotation_int(const cplane_object *o, const char *key) {
  const char *s = api->object_annotation(o, key);
  char *end;
  long long v;

  if (s == NULL || s[0] == '\0')
    return -1;
  v = strtoll(s, &end, 10);
  return *end == '\0' && v >= 0 ? (int64_t)v : -1;
}

/* An int-or-percent (maxSurge, maxUnavailable) scaled to `total`; a
 * percentage rounds up or down as asked. Absent gives `dflt_percent`%. */
static int64_t int_or_percent(const cplane_object *o, const char *path,
                              int64_t dflt_percent, int64_t total,
                              int round_up) {
  const char *s = api->object_string(o, path);
  int64_t v, pct = dflt_percent;
  char *end;

  if (api->object_int(o, path, &v) == CPLANE_OK)
    return v < 0 ? 0 : v;
  if (s != NULL) {
    v = strtoll(s, &end, 10);
    if (end != s && *end == '\0')
      return v < 0 ? 0 : v;
    if (end != s && strcmp(end, "%") == 0)
      pct = v < 0 ? 0 : v;
  }
  return round_up ? (pct * total + 99) / 100 : pct * total / 100;
}

static void copy_field(const cplane_object *o, const char *path, char *out,
                       size_t len) {
  const char *s = api->object_string(o, path);

  snprintf(out, len, "%s", s ? s : "");
}

static int conds_reserve(struct status *st, size_t n) {
  struct condition *c;

  if (n <= st->cap_conds)
    return 0;
  if ((c = realloc(st->conds, n * sizeof *c)) == NULL)
    return -1;
  st->conds = c;
  st->cap_conds = n;
  return 0;
}

static int read_status(const cplane_object *d, struct status *st) {
  int n = api->object_len(d, "status.conditions"), i;

  st->observed = get_int(d, "status.observedGeneration", 0);
  st->replicas = get_int(d, "status.replicas", 0);
  st->updated = get_int(d, "status.updatedReplicas", 0);
  st->ready = get_int(d, "status.readyReplicas", 0);
  st->available = get_int(d, "status.availableReplicas", 0);
  st->unavailable = get_int(d, "status.unavailableReplicas", 0);
  st->collisions = get_int(d, "status.collisionCount", 0);
  if (n < 0)
    n = 0;
  /* two more: Available and Progressing may be added */
  if (conds_reserve(st, (size_t)n + 2) < 0)
    return -1;
  for (i = 0; i < n; i++) {
    struct condition *c = &st->conds[st->n_conds];
    char path[96];

#define FIELD(f, dst)                                                      \
  snprintf(path, sizeof path, "status.conditions[%d]." f, i);              \
  copy_field(d, path, c->dst, sizeof c->dst)
    FIELD("type", type);
    FIELD("status", status);
    FIELD("reason", reason);
    FIELD("message", message);
    FIELD("lastUpdateTime", last_update);
    FIELD("lastTransitionTime", last_transition);
#undef FIELD
    if (c->type[0] != '\0')
      st->n_conds++;
  }
  return 0;
}

static int copy_status(const struct status *from, struct status *to) {
  *to = *from;
  to->conds = NULL;
  to->cap_conds = 0;
  if (conds_reserve(to, from->n_conds + 2) < 0)
    return -1;
  if (from->n_conds > 0)
    memcpy(to->conds, from->conds, from->n_conds * sizeof *to->conds);
  return 0;
}

static struct condition *cond_get(struct status *st, const char *type) {
  size_t i;

  for (i = 0; i < st->n_conds; i++)
    if (strcmp(st->conds[i].type, type) == 0)
      return &st->conds[i];
  return NULL;
}

static void cond_remove(struct status *st, const char *type) {
  struct condition *c = cond_get(st, type);

  if (c == NULL)
    return;
  memmove(c, c + 1, (size_t)(st->conds + st->n_conds - (c + 1)) * sizeof *c);
  st->n_conds--;
}

/* Kubernetes' SetDeploymentCondition: a condition with the same status and
 * reason is left alone (message and times too); one with the same status
 * keeps its lastTransitionTime; the new one goes last. Room for it is
 * always reserved (read_status and copy_status keep two spare slots, and
 * each type is at most once in the list). */
static void cond_set(struct status *st, const char *type, const char *status,
                     const char *reason, const char *message) {
  struct condition *cur = cond_get(st, type), c;

  if (cur != NULL && strcmp(cur->status, status) == 0 &&
      strcmp(cur->reason, reason) == 0)
    return;
  memset(&c, 0, sizeof c);
  snprintf(c.type, sizeof c.type, "%s", type);
  snprintf(c.status, sizeof c.status, "%s", status);
  snprintf(c.reason, sizeof c.reason, "%s", reason);
  snprintf(c.message, sizeof c.message, "%s", message);
  snprintf(c.last_update, sizeof c.last_update, "%s", st->now);
  if (cur != NULL && strcmp(cur->status, status) == 0)
    memcpy(c.last_transition, cur->last_transition,
           sizeof c.last_transition);
  else
    memcpy(c.last_transition, c.last_update, sizeof c.last_transition);
  cond_remove(st, type);
  st->conds[st->n_conds++] = c;
}

/* ---- loading ---- */

static int cmp_rs_oldest(const void *a, const void *b) {
  const struct rsinfo *x = *(struct rsinfo *const *)a;
  const struct rsinfo *y = *(struct rsinfo *const *)b;
  int c = strcmp(x->created ? x->created : "", y->created ? y->created : "");

  return c != 0 ? c : strcmp(x->name, y->name);
}

static int cmp_rs_newest(const void *a, const void *b) {
  return -cmp_rs_oldest(a, b);
}

static int cmp_rs_revision(const void *a, const void *b) {
  const struct rsinfo *x = *(struct rsinfo *const *)a;
  const struct rsinfo *y = *(struct rsinfo *const *)b;

  if (x->revision != y->revision)
    return x->revision < y->revision ? -1 : 1;
  return cmp_rs_oldest(a, b);
}

/* Larger first; among equals, newer first. */
static int cmp_rs_size_newer(const void *a, const void *b) {
  const struct rsinfo *x = *(struct rsinfo *const *)a;
  const struct rsinfo *y = *(struct rsinfo *const *)b;

  if (x->spec != y->spec)
    return x->spec > y->spec ? -1 : 1;
  return cmp_rs_newest(a, b);
}

/* Larger first; among equals, older first. */
static int cmp_rs_size_older(const void *a, const void *b) {
  const struct rsinfo *x = *(struct rsinfo *const *)a;
  const struct rsinfo *y = *(struct rsinfo *const *)b;

  if (x->spec != y->spec)
    return x->spec > y->spec ? -1 : 1;
  return cmp_rs_oldest(a, b);
}

/* Pointers to the ReplicaSets (only the old ones when old_only, only the
 * active ones when active_only) sorted by cmp. Owned: free(). *n is set
 * to their number; NULL with *n == 0 is an empty result, not an error,
 * so callers test oom separately. */
static struct rsinfo **rs_select(struct deploy *d, int old_only,
                                 int active_only,
                                 int (*cmp)(const void *, const void *),
                                 size_t *n, int *oom) {
  struct rsinfo **v;
  size_t i;

  *n = 0;
  *oom = 0;
  if (d->n_rs == 0)
    return NULL;
  if ((v = malloc(d->n_rs * sizeof *v)) == NULL) {
    *oom = 1;
    return NULL;
  }
  for (i = 0; i < d->n_rs; i++) {
    if (old_only && d->rs[i].is_new)
      continue;
    if (active_only && d->rs[i].spec <= 0)
      continue;
    v[(*n)++] = &d->rs[i];
  }
  if (cmp != NULL && *n > 1)
    qsort(v, *n, sizeof *v, cmp);
  return v;
}

static char *template_of(const cplane_object *o) {
  struct cplane_strbuf b = {0};

  canonical(o, "spec.template", "spec.template.metadata.labels", HASH_LABEL,
            &b);
  return cplane_strbuf_finish(&b);
}

static int load_replicasets(struct deploy *d) {
  size_t i, n;

  if (api->cache_list_by_index(d->ctx, RS, "owner-uid", d->uid, NULL,
                               &d->list) != CPLANE_OK)
    return -1;
  n = api->list_len(d->list);
  if (n == 0)
    return 0;
  if ((d->rs = calloc(n, sizeof *d->rs)) == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    const cplane_object *o = api->list_at(d->list, i);
    const char *ctl = api->object_controller_uid(o);
    struct rsinfo *r = &d->rs[d->n_rs];
    char *t;

    /* Only what we control, and nothing already on its way out. */
    if (ctl == NULL || strcmp(ctl, d->uid) != 0 ||
        api->object_deletion_timestamp(o) != NULL)
      continue;
    r->o = o;
    r->name = api->object_name(o);
    r->created = api->object_string(o, "metadata.creationTimestamp");
    r->spec = get_int(o, "spec.replicas", 1);
    r->replicas = get_int(o, "status.replicas", 0);
    r->ready = get_int(o, "status.readyReplicas", 0);
    r->available = get_int(o, "status.availableReplicas", 0);
    r->gen = api->object_generation(o);
    r->observed = get_int(o, "status.observedGeneration", 0);
    r->revision = annotation_int(o, ANN_REVISION);
    if (r->revision < 0)
      r->revision = 0;
    r->desired_ann = annotation_int(o, ANN_DESIRED);
    r->max_ann = annotation_int(o, ANN_MAX);
    if ((t = template_of(o)) == NULL)
      return -1;
    /* The oldest ReplicaSet with the Deployment's template is the new
     * one, as in Kubernetes' FindNewReplicaSet. */
    if (strcmp(t, d->template) == 0 &&
        (d->new_rs == NULL || cmp_rs_oldest(&r, &d->new_rs) < 0))
      d->new_rs = r;
    free(t);
    d->n_rs++;
  }
  if (d->new_rs != NULL)
    d->new_rs->is_new = 1;
  return 0;
}

/* The pod-template-hash of the Deployment's template. The collision count
 * goes into it, so a clash with a ReplicaSet that is not ours gives
 * another name next time. */
static int compute_hash(struct deploy *d) {
  struct cplane_strbuf b = {0};
  char n[32], *text;

  cplane_strbuf_add(&b, d->template);
  if (d->cur.collisions > 0) {
    snprintf(n, sizeof n, "%" PRId64, d->cur.collisions);
    cplane_strbuf_add(&b, n);
  }
  if ((text = cplane_strbuf_finish(&b)) == NULL)
    return -1;
  cplane_hash_safe_encode32(cplane_fnv1a32_str(text), d->hash, sizeof d->hash);
  free(text);
  return 0;
}

/* Reads the Deployment, its settings with Kubernetes' defaults, its
 * status and the ReplicaSets it controls. */
static int load(struct deploy *d) {
  const cplane_object *o = d->o;
  const char *type = api->object_string(o, "spec.strategy.type");
  int paused = 0;

  d->key = api->object_key(o);
  d->ns = api->object_namespace(o);
  d->name = api->object_name(o);
  d->uid = api->object_uid(o);
  d->rv = api->object_resource_version(o);
  d->gen = api->object_generation(o);
  d->replicas = get_int(o, "spec.replicas", 1);
  if (d->replicas < 0)
    d->replicas = 0;
  d->history = get_int(o, "spec.revisionHistoryLimit", 10);
  if (d->history < 0)
    d->history = 0;
  d->deadline = get_int(o, "spec.progressDeadlineSeconds", 600);
  /* MaxInt32 is how Kubernetes spells "no deadline". */
  if (d->deadline >= INT32_MAX)
    d->deadline = 0;
  d->min_ready = get_int(o, "spec.minReadySeconds", 0);
  api->object_bool(o, "spec.paused", &paused);
  d->paused = paused;
  d->recreate = type != NULL && strcmp(type, "Recreate") == 0;
  if (d->recreate) {
    d->surge = 0;
    d->unavailable = 0;
  } else {
    d->surge = int_or_percent(o, "spec.strategy.rollingUpdate.maxSurge", 25,
                              d->replicas, 1);
    d->unavailable = int_or_percent(
        o, "spec.strategy.rollingUpdate.maxUnavailable", 25, d->replicas, 0);
    /* Both zero could never make progress: Kubernetes allows one down. */
    if (d->surge == 0 && d->unavailable == 0)
      d->unavailable = 1;
    if (d->unavailable > d->replicas)
      d->unavailable = d->replicas;
  }
  cplane_time_format(api->now_ms(d->ctx), d->cur.now, sizeof d->cur.now);
  if (read_status(o, &d->cur) < 0 || copy_status(&d->cur, &d->next) < 0)
    return -1;
  if ((d->template = template_of(o)) == NULL)
    return -1;
  d->next.collisions = d->cur.collisions;
  if (compute_hash(d) < 0)
    return -1;
  return load_replicasets(d);
}

static void unload(struct deploy *d) {
  free(d->rs);
  free(d->template);
  free(d->cur.conds);
  free(d->next.conds);
  api->list_free(d->list);
  api->object_release(d->patched);
}

/* ---- writes ---- */

static int write_failed(struct deploy *d, const char *what, int code,
                        char *msg) {
  /* A conflict is the normal price of a lagging cache: not worth a WARN. */
  api->log(d->ctx, code == 409 ? CPLANE_LOG_DEBUG : CPLANE_LOG_WARN,
           "%s: %s failed: %d %s", d->key, what, code, msg ? msg : "");
  api->free(msg);
  return -1;
}

/* Sets a ReplicaSet's replicas, its desired/max-replicas annotations and,
 * when revision >= 0, its revision, in one patch guarded by the
 * resourceVersion it was read at. Does nothing when all already hold. */
static int rs_write(struct deploy *d, struct rsinfo *r, int64_t replicas,
                    int64_t revision) {
  int64_t max = d->replicas + d->surge;
  char *patch = NULL, *msg = NULL, rev[32], want[32], maxs[32];
  int code, rc = 0;

  if (revision < 0)
    revision = r->revision;
  if (r->spec == replicas && r->desired_ann == d->replicas &&
      r->max_ann == max && r->revision == revision)
    return 0;
  snprintf(rev, sizeof rev, "%" PRId64, revision);
  snprintf(want, sizeof want, "%" PRId64, d->replicas);
  snprintf(maxs, sizeof maxs, "%" PRId64, max);
  /* A ReplicaSet without a revision (not made by us) is not given "0". */
  if (revision > 0)
    patch = api->json_format(
        "{'metadata':{'resourceVersion':%s,'annotations':{%s:%s,%s:%s,"
        "%s:%s}},'spec':{'replicas':%lld}}",
        api->object_resource_version(r->o), ANN_REVISION, rev, ANN_DESIRED,
        want, ANN_MAX, maxs, (long long)replicas);
  else
    patch = api->json_format(
        "{'metadata':{'resourceVersion':%s,'annotations':{%s:%s,%s:%s}},"
        "'spec':{'replicas':%lld}}",
        api->object_resource_version(r->o), ANN_DESIRED, want, ANN_MAX,
        maxs, (long long)replicas);
  if (patch == NULL)
    return -1;
  code = api->patch(d->ctx, &resources[RS], d->ns, r->name,
                    CPLANE_PATCH_MERGE, patch, NULL, &msg);
  if (code != 200) {
    rc = write_failed(d, "updating a ReplicaSet", code, msg);
    goto out;
  }
  api->free(msg);
  if (r->spec != replicas)
    api->log(d->ctx, CPLANE_LOG_INFO,
             "%s: scaled ReplicaSet %s from %" PRId64 " to %" PRId64, d->key,
             r->name, r->spec, replicas);
  if (r->revision != revision)
    api->log(d->ctx, CPLANE_LOG_INFO, "%s: ReplicaSet %s is revision %s",
             d->key, r->name, rev);
  r->spec = replicas;
  r->revision = revision;
  r->desired_ann = d->replicas;
  r->max_ann = max;
out:
  api->free(patch);
  return rc;
}

static int64_t max_old_revision(struct deploy *d) {
  int64_t max = 0;
  size_t i;

  for (i = 0; i < d->n_rs; i++)
    if (!d->rs[i].is_new && d->rs[i].revision > max)
      max = d->rs[i].revision;
  return max;
}

/* Puts the Deployment's revision annotation in line with its new
 * ReplicaSet. A plain merge patch: setting one annotation to a value is
 * idempotent, so no resourceVersion is needed. */
static int sync_deployment_revision(struct deploy *d) {
  const char *cur = api->object_annotation(d->o, ANN_REVISION);
  char rev[32], *patch, *msg = NULL;
  int code, rc = 0;

  if (d->new_rs == NULL)
    return 0;
  snprintf(rev, sizeof rev, "%" PRId64, d->new_rs->revision);
  if (cur != NULL && strcmp(cur, rev) == 0)
    return 0;
  patch = api->json_format("{'metadata':{'annotations':{%s:%s}}}",
                           ANN_REVISION, rev);
  if (patch == NULL)
    return -1;
  code = api->patch(d->ctx, &resources[DEPLOY], d->ns, d->name,
                    CPLANE_PATCH_MERGE, patch, &d->patched, &msg);
  if (code != 200) {
    rc = write_failed(d, "setting the revision", code, msg);
  } else {
    api->free(msg);
    /* The status write below is guarded by this newer version. */
    if (d->patched != NULL)
      d->rv = api->object_resource_version(d->patched);
  }
  api->free(patch);
  return rc;
}

/* The existing new ReplicaSet gets the next revision when an older one is
 * higher (a rollback made an old template new again). */
static int sync_new_revision(struct deploy *d) {
  struct rsinfo *r = d->new_rs;
  int64_t want = max_old_revision(d) + 1;
  struct condition *c;
  char msg[512];

  if (r == NULL)
    return 0;
  if (rs_write(d, r, r->spec, r->revision < want ? want : r->revision) < 0)
    return -1;
  c = cond_get(&d->next, COND_PROGRESSING);
  if (d->deadline > 0 && c == NULL) {
    snprintf(msg, sizeof msg, "Found new replica set \"%s\"", r->name);
    cond_set(&d->next, COND_PROGRESSING, "True", "FoundNewReplicaSet", msg);
  }
  return sync_deployment_revision(d);
}

/* Replicas a new ReplicaSet may have now: all of them for Recreate; for
 * RollingUpdate, as many as fit under replicas + maxSurge. */
static int64_t new_rs_replicas(struct deploy *d, int64_t current) {
  int64_t total = 0, room;
  size_t i;

  if (d->recreate)
    return d->replicas;
  for (i = 0; i < d->n_rs; i++)
    total += d->rs[i].spec;
  if (d->new_rs == NULL)
    total += current;
  room = d->replicas + d->surge - total;
  if (room <= 0)
    return current;
  if (room > d->replicas - current)
    room = d->replicas - current;
  return current + (room > 0 ? room : 0);
}

/* Why a create came back 409: our own ReplicaSet the cache has not shown
 * yet (wait), or someone else's with our name (count a collision, which
 * changes the hash). */
static int create_conflict(struct deploy *d, const char *name) {
  char key[512];
  const cplane_object *o = NULL;
  char *t = NULL;
  int clash;

  snprintf(key, sizeof key, "%s/%s", d->ns, name);
  if (api->cache_get(d->ctx, RS, key, &o) != CPLANE_OK)
    return 0; /* ours, most likely; the cache will tell */
  t = template_of(o);
  clash = api->object_controller_uid(o) == NULL ||
          strcmp(api->object_controller_uid(o), d->uid) != 0 ||
          (t != NULL && strcmp(t, d->template) != 0);
  free(t);
  api->object_release(o);
  if (clash) {
    d->next.collisions++;
    api->log(d->ctx, CPLANE_LOG_WARN,
             "%s: ReplicaSet %s exists and is not ours: collision %" PRId64,
             d->key, name, d->next.collisions);
  }
  return clash;
}

/* Creates the ReplicaSet for the Deployment's template. Returns 0 when
 * made, 1 when the caller should wait and look again, -1 on failure. */
static int create_new_rs(struct deploy *d) {
  char hash_json[32], name[320], rev[32], want[32], maxs[32];
  char *labels = NULL, *meta = NULL, *tmpl = NULL, *ml = NULL, *sel = NULL;
  char *body = NULL, *msg = NULL, *ref = NULL, text[600];
  int64_t replicas = new_rs_replicas(d, 0);
  int code, rc = -1;

  snprintf(hash_json, sizeof hash_json, "\"%s\"", d->hash);
  snprintf(name, sizeof name, "%s-%s", d->name, d->hash);
  snprintf(rev, sizeof rev, "%" PRId64, max_old_revision(d) + 1);
  snprintf(want, sizeof want, "%" PRId64, d->replicas);
  snprintf(maxs, sizeof maxs, "%" PRId64, d->replicas + d->surge);
  /* The template, selector and labels of the Deployment, each with
   * pod-template-hash added, so the ReplicaSets of two templates never
   * select each other's pods. */
  labels = with_member(d->o, "spec.template.metadata.labels", HASH_LABEL,
                       hash_json);
  meta = with_member(d->o, "spec.template.metadata", "labels", labels);
  tmpl = with_member(d->o, "spec.template", "metadata", meta);
  ml = with_member(d->o, "spec.selector.matchLabels", HASH_LABEL, hash_json);
  sel = with_member(d->o, "spec.selector", "matchLabels", ml);
  ref = cplane_controller_ref_json(api, d->o, "apps/v1", "Deployment");
  if (labels == NULL || meta == NULL || tmpl == NULL || ml == NULL ||
      sel == NULL || ref == NULL)
    goto out;
  body = api->json_format(
      "{'apiVersion':'apps/v1','kind':'ReplicaSet','metadata':{'name':%s,"
      "'namespace':%s,'labels':%j,'annotations':{%s:%s,%s:%s,%s:%s},"
      "'ownerReferences':[%j]},'spec':{'replicas':%lld,"
      "'minReadySeconds':%lld,'selector':%j,'template':%j}}",
      name, d->ns, labels, ANN_REVISION, rev, ANN_DESIRED, want, ANN_MAX, maxs,
      ref, (long long)replicas, (long long)d->min_ready, sel, tmpl);
  if (body == NULL)
    goto out;
  code = api->create(d->ctx, &resources[RS], d->ns, body, NULL, &msg);
  if (code == 409) {
    api->free(msg);
    msg = NULL;
    rc = 1;
    create_conflict(d, name);
    goto out;
  }
  if (code != 201) {
    write_failed(d, "creating a ReplicaSet", code, msg);
    msg = NULL;
    goto out;
  }
  api->log(d->ctx, CPLANE_LOG_INFO,
           "%s: created ReplicaSet %s (revision %s, %lld replicas)", d->key,
           name, rev, (long long)replicas);
  if (d->deadline > 0) {
    snprintf(text, sizeof text, "Created new replica set \"%s\"", name);
    cond_set(&d->next, COND_PROGRESSING, "True", "NewReplicaSetCreated",
             text);
  }
  rc = 0;
out:
  api->free(msg);
  api->free(body);
  api->free(ref);
  free(labels);
  free(meta);
  free(tmpl);
  free(ml);
  free(sel);
  return rc;
}

/* Deletes old ReplicaSets beyond revisionHistoryLimit, lowest revision
 * first, but only ones that are fully scaled down. */
static int cleanup(struct deploy *d) {
  struct rsinfo **old;
  size_t n, i;
  int64_t diff;
  int oom, rc = 0;

  old = rs_select(d, 1, 0, cmp_rs_revision, &n, &oom);
  if (oom)
    return -1;
  diff = (int64_t)n - d->history;
  for (i = 0; diff > 0 && i < (size_t)diff; i++) {
    struct rsinfo *r = old[i];
    char *msg = NULL;
    int code;

    if (r->replicas != 0 || r->spec != 0 || r->gen > r->observed)
      continue;
    code = api->delete_object(d->ctx, &resources[RS], d->ns, r->name,
                              "{\"propagationPolicy\":\"Background\"}",
                              &msg);
    if (code != 200 && code != 202 && code != 404) {
      rc = write_failed(d, "deleting an old ReplicaSet", code, msg);
      continue;
    }
    api->free(msg);
    api->log(d->ctx, CPLANE_LOG_INFO,
             "%s: deleted old ReplicaSet %s (revision %" PRId64 ")", d->key,
             r->name, r->revision);
  }
  free(old);
  return rc;
}

/* ---- scaling ---- */

/* Available pods of a ReplicaSet that are sure to stay: a ReplicaSet
 * scaled down whose status has not caught up still reports the pods it
 * is about to delete. */
static int64_t sure_available(const struct rsinfo *r) {
  return r->available < r->spec ? r->available : r->spec;
}

static int saturated(struct deploy *d, const struct rsinfo *r) {
  return r != NULL && r->desired_ann == d->replicas &&
         r->spec == d->replicas && r->available >= d->replicas;
}

/* Kubernetes' proportional scaling: a Deployment scaled while several
 * ReplicaSets are active spreads the change over them by size. */
static int scale(struct deploy *d) {
  struct rsinfo **active = NULL, *target = NULL;
  int64_t allowed, total = 0, to_add, added = 0, *size = NULL;
  size_t n, i;
  int oom, rc = 0;

  active = rs_select(d, 0, 1, cmp_rs_newest, &n, &oom);
  if (oom)
    return -1;
  if (n <= 1) {
    /* One active ReplicaSet (or none: the new one, else the newest)
     * simply takes all the replicas. */
    if (n == 1) {
      target = active[0];
    } else if (d->new_rs != NULL) {
      target = d->new_rs;
    } else {
      free(active);
      active = rs_select(d, 0, 0, cmp_rs_newest, &n, &oom);
      if (oom)
        return -1;
      target = n > 0 ? active[0] : NULL;
    }
    if (target != NULL)
      rc = rs_write(d, target, d->replicas, -1);
    goto out;
  }
  if (saturated(d, d->new_rs)) {
    for (i = 0; i < n && rc == 0; i++)
      if (!active[i]->is_new)
        rc = rs_write(d, active[i], 0, -1);
    goto out;
  }
  if (d->recreate)
    goto out;
  for (i = 0; i < n; i++)
    total += active[i]->spec;
  allowed = d->replicas > 0 ? d->replicas + d->surge : 0;
  to_add = allowed - total;
  if (to_add == 0) {
    /* Nothing to spread; the annotations still learn the new size. */
    for (i = 0; i < n && rc == 0; i++)
      rc = rs_write(d, active[i], active[i]->spec, -1);
    goto out;
  }
  qsort(active, n, sizeof *active,
        to_add > 0 ? cmp_rs_size_newer : cmp_rs_size_older);
  if ((size = malloc(n * sizeof *size)) == NULL) {
    rc = -1;
    goto out;
  }
  for (i = 0; i < n; i++) {
    struct rsinfo *r = active[i];
    int64_t share = 0, left = to_add - added;

    if (r->spec > 0 && left != 0) {
      int64_t annotated = r->max_ann > 0 ? r->max_ann : d->cur.replicas;

      if (d->replicas == 0)
        share = -r->spec;
      else if (annotated > 0)
        share = (int64_t)((double)r->spec * (double)allowed /
                              (double)annotated +
                          0.5) -
                r->spec;
      if (to_add > 0 && share > left)
        share = left;
      if (to_add < 0 && share < left)
        share = left;
    }
    size[i] = r->spec + share;
    added += share;
  }
  /* The rounding's leftovers go to the largest. */
  size[0] += to_add - added;
  for (i = 0; i < n && rc == 0; i++)
    rc = rs_write(d, active[i], size[i] < 0 ? 0 : size[i], -1);
out:
  free(size);
  free(active);
  return rc;
}

/* Scales old ReplicaSets down while enough pods stay available: first
 * their unavailable pods (free to lose), then available ones down to
 * replicas - maxUnavailable, oldest ReplicaSet first. */
static int scale_down_old(struct deploy *d) {
  struct rsinfo **old = NULL, *nr = d->new_rs;
  int64_t old_total = 0, all = 0, min_available, new_unavailable = 0;
  int64_t max_down, cleaned = 0, available = 0, budget, done = 0;
  size_t n, i;
  int oom, rc = 0;

  old = rs_select(d, 1, 1, cmp_rs_oldest, &n, &oom);
  if (oom)
    return -1;
  for (i = 0; i < n; i++)
    old_total += old[i]->spec;
  if (old_total == 0)
    goto out;
  for (i = 0; i < d->n_rs; i++)
    all += d->rs[i].spec;
  min_available = d->replicas - d->unavailable;
  if (nr != NULL)
    new_unavailable = nr->spec - sure_available(nr);
  if (new_unavailable < 0)
    new_unavailable = 0;
  max_down = all - min_available - new_unavailable;
  if (max_down <= 0)
    goto out;
  for (i = 0; i < n && rc == 0 && cleaned < max_down; i++) {
    struct rsinfo *r = old[i];
    int64_t down = r->spec - sure_available(r);

    if (down <= 0)
      continue;
    if (down > max_down - cleaned)
      down = max_down - cleaned;
    rc = rs_write(d, r, r->spec - down, -1);
    cleaned += down;
  }
  if (rc != 0)
    goto out;
  for (i = 0; i < d->n_rs; i++)
    available += sure_available(&d->rs[i]);
  if (available <= min_available)
    goto out;
  budget = available - min_available;
  for (i = 0; i < n && rc == 0 && done < budget; i++) {
    struct rsinfo *r = old[i];
    int64_t down = r->spec < budget - done ? r->spec : budget - done;

    if (down <= 0)
      continue;
    rc = rs_write(d, r, r->spec - down, -1);
    done += down;
  }
out:
  free(old);
  return rc;
}

/* ---- status ---- */

static void calculate_status(struct deploy *d) {
  struct status *st = &d->next;
  size_t i;

  st->observed = d->gen;
  st->replicas = st->ready = st->available = 0;
  st->unavailable = 0;
  for (i = 0; i < d->n_rs; i++) {
    st->unavailable += d->rs[i].spec;
    st->replicas += d->rs[i].replicas;
    st->ready += d->rs[i].ready;
    st->available += d->rs[i].available;
  }
  st->updated = d->new_rs != NULL ? d->new_rs->replicas : 0;
  /* Kubernetes counts unavailable against the ReplicaSets' sizes. */
  st->unavailable -= st->available;
  if (st->unavailable < 0)
    st->unavailable = 0;
  if (st->available >= d->replicas - d->unavailable)
    cond_set(st, COND_AVAILABLE, "True", "MinimumReplicasAvailable",
             "Deployment has minimum availability.");
  else
    cond_set(st, COND_AVAILABLE, "False", "MinimumReplicasUnavailable",
             "Deployment does not have minimum availability.");
}

static int complete(struct deploy *d, const struct status *st) {
  return st->updated == d->replicas && st->replicas == d->replicas &&
         st->available == d->replicas && st->observed >= d->gen;
}

/* Kubernetes' checkPausedConditions: Progressing says Unknown while the
 * Deployment is paused, and once when it resumes. */
static void paused_conditions(struct deploy *d) {
  struct condition *c = cond_get(&d->next, COND_PROGRESSING);
  int paused_cond;

  if (d->deadline <= 0)
    return;
  if (c != NULL && strcmp(c->reason, "ProgressDeadlineExceeded") == 0)
    return;
  paused_cond = c != NULL && strcmp(c->reason, "DeploymentPaused") == 0;
  if (d->paused && !paused_cond)
    cond_set(&d->next, COND_PROGRESSING, "Unknown", "DeploymentPaused",
             "Deployment is paused");
  else if (!d->paused && paused_cond)
    cond_set(&d->next, COND_PROGRESSING, "Unknown", "DeploymentResumed",
             "Deployment is resumed");
}

/* Milliseconds to wait for `seconds` to pass, a second late so the
 * deadline has surely passed, and at most an hour (a longer wait just
 * looks once more in between). */
static uint32_t ms_after(int64_t seconds) {
  if (seconds < 0)
    seconds = 0;
  if (seconds > 3600)
    seconds = 3600;
  return (uint32_t)(seconds + 1) * 1000;
}

/* Kubernetes' syncRolloutStatus: Progressing follows the rollout, and
 * turns False once the deadline passes without progress. Returns how many
 * milliseconds until the deadline would pass, or 0. */
static uint32_t rollout_conditions(struct deploy *d) {
  struct status *st = &d->next, *old = &d->cur;
  struct condition *c = cond_get(st, COND_PROGRESSING);
  char msg[512];
  double now = cplane_now_s(api, d->ctx), last;

  if (d->deadline <= 0) {
    cond_remove(st, COND_PROGRESSING);
    return 0;
  }
  if (st->replicas == st->updated && c != NULL &&
      strcmp(c->reason, "NewReplicaSetAvailable") == 0)
    return 0; /* finished earlier; a resync estimates nothing */
  if (complete(d, st)) {
    if (d->new_rs != NULL)
      snprintf(msg, sizeof msg, "ReplicaSet \"%s\" has successfully "
               "progressed.", d->new_rs->name);
    else
      snprintf(msg, sizeof msg, "Deployment \"%s\" has successfully "
               "progressed.", d->name);
    cond_set(st, COND_PROGRESSING, "True", "NewReplicaSetAvailable", msg);
    return 0;
  }
  if (st->updated > old->updated ||
      st->replicas - st->updated < old->replicas - old->updated ||
      st->ready > old->ready || st->available > old->available) {
    struct condition keep;
    int had_true = c != NULL && strcmp(c->status, "True") == 0;

    if (had_true)
      keep = *c;
    if (d->new_rs != NULL)
      snprintf(msg, sizeof msg, "ReplicaSet \"%s\" is progressing.",
               d->new_rs->name);
    else
      snprintf(msg, sizeof msg, "Deployment \"%s\" is progressing.",
               d->name);
    /* Progress moves lastUpdateTime even with the same reason, so the
     * condition is replaced rather than set. */
    cond_remove(st, COND_PROGRESSING);
    cond_set(st, COND_PROGRESSING, "True", "ReplicaSetUpdated", msg);
    if (had_true)
      memcpy(cond_get(st, COND_PROGRESSING)->last_transition,
             keep.last_transition, sizeof keep.last_transition);
    return ms_after(d->deadline);
  }
  if (c == NULL)
    return 0;
  if (strcmp(c->reason, "ProgressDeadlineExceeded") == 0)
    return 0;
  last = cplane_time_parse_s(c->last_update, 0);
  if (last + (double)d->deadline < now) {
    if (d->new_rs != NULL)
      snprintf(msg, sizeof msg, "ReplicaSet \"%s\" has timed out "
               "progressing.", d->new_rs->name);
    else
      snprintf(msg, sizeof msg, "Deployment \"%s\" has timed out "
               "progressing.", d->name);
    cond_set(st, COND_PROGRESSING, "False", "ProgressDeadlineExceeded", msg);
    return 0;
  }
  /* Look again when the deadline passes, if nothing happens before. */
  return ms_after((int64_t)(last + (double)d->deadline - now));
}

static int same_conditions(const struct status *a, const struct status *b) {
  size_t i;

  if (a->n_conds != b->n_conds)
    return 0;
  for (i = 0; i < a->n_conds; i++) {
    const struct condition *x = &a->conds[i], *y = &b->conds[i];

    if (strcmp(x->type, y->type) != 0 || strcmp(x->status, y->status) != 0 ||
        strcmp(x->reason, y->reason) != 0 ||
        strcmp(x->message, y->message) != 0 ||
        strcmp(x->last_update, y->last_update) != 0 ||
        strcmp(x->last_transition, y->last_transition) != 0)
      return 0;
  }
  return 1;
}

/* Writes d->next when it differs from what the Deployment reports. */
static int write_status(struct deploy *d) {
  struct status *a = &d->next, *b = &d->cur;
  struct cplane_strbuf conds = {0};
  char *cj = NULL, *body = NULL, *msg = NULL;
  size_t i;
  int code, rc = 0;

  if (a->observed == b->observed && a->replicas == b->replicas &&
      a->updated == b->updated && a->ready == b->ready &&
      a->available == b->available && a->unavailable == b->unavailable &&
      a->collisions == b->collisions && same_conditions(a, b))
    return 0;
  cplane_strbuf_addn(&conds, "[", 1);
  for (i = 0; i < a->n_conds; i++) {
    const struct condition *c = &a->conds[i];

    if (i > 0)
      cplane_strbuf_addn(&conds, ",", 1);
    cplane_strbuf_take(&conds, api,
                       api->json_format("{'type':%s,'status':%s,'reason':%s,"
                                        "'message':%s,'lastUpdateTime':%s,"
                                        "'lastTransitionTime':%s}",
                                        c->type, c->status, c->reason,
                                        c->message, c->last_update,
                                        c->last_transition));
  }
  cplane_strbuf_addn(&conds, "]", 1);
  if ((cj = cplane_strbuf_finish(&conds)) == NULL) {
    rc = -1;
    goto out;
  }
  /* Guarded by the resourceVersion the status was computed from: a
   * cache behind our last write gives a 409 and a fresh look, never an
   * older status written over a newer one. collisionCount is left out
   * while zero, as Kubernetes does. */
#define STATUS_FMT(extra)                                                  \
  "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':%s,"     \
  "'namespace':%s,'resourceVersion':%s},'status':{"                        \
  "'observedGeneration':%lld,'replicas':%lld,'updatedReplicas':%lld,"      \
  "'readyReplicas':%lld,'availableReplicas':%lld,"                         \
  "'unavailableReplicas':%lld,'conditions':%j" extra "}}"
#define STATUS_ARGS                                                        \
  d->name, d->ns, d->rv, (long long)a->observed, (long long)a->replicas,   \
      (long long)a->updated, (long long)a->ready, (long long)a->available, \
      (long long)a->unavailable, cj
  if (a->collisions > 0)
    body = api->json_format(STATUS_FMT(",'collisionCount':%lld"),
                            STATUS_ARGS, (long long)a->collisions);
  else
    body = api->json_format(STATUS_FMT(""), STATUS_ARGS);
#undef STATUS_FMT
#undef STATUS_ARGS
  if (body == NULL) {
    rc = -1;
    goto out;
  }
  code = api->update_status(d->ctx, &resources[DEPLOY], d->ns, d->name,
                            body, NULL, &msg);
  if (code != 200)
    rc = write_failed(d, "updating the status", code, msg);
  else
    api->free(msg);
out:
  free(cj);
  api->free(body);
  return rc;
}

/* ---- the strategies ---- */

/* A scaling event: an active ReplicaSet was sized for another replica
 * count than the Deployment's. */
static int scaling_event(struct deploy *d) {
  size_t i;

  for (i = 0; i < d->n_rs; i++)
    if (d->rs[i].spec > 0 && d->rs[i].desired_ann >= 0 &&
        d->rs[i].desired_ann != d->replicas)
      return 1;
  return 0;
}

/* Paused or scaled: sizes change, templates do not roll out. */
static int sync_only(struct deploy *d) {
  if (sync_new_revision(d) < 0 || scale(d) < 0)
    return -1;
  if (d->paused && cleanup(d) < 0)
    return -1;
  return 0;
}

static int rollout_recreate(struct deploy *d) {
  int waiting = 0, r;
  size_t i;

  if (sync_new_revision(d) < 0)
    return -1;
  for (i = 0; i < d->n_rs; i++) {
    struct rsinfo *o = &d->rs[i];

    if (o->is_new)
      continue;
    if (o->spec > 0) {
      if (rs_write(d, o, 0, -1) < 0)
        return -1;
      waiting = 1;
    }
    /* Gone means the ReplicaSet has seen its new size and has no pod. */
    if (o->replicas > 0 || o->observed < o->gen)
      waiting = 1;
  }
  if (!waiting) {
    if (d->new_rs == NULL) {
      if ((r = create_new_rs(d)) != 0)
        return r;
    } else if (rs_write(d, d->new_rs, d->replicas, -1) < 0) {
      return -1;
    }
    if (complete(d, &d->cur) && cleanup(d) < 0)
      return -1;
  }
  return 0;
}

static int rollout_rolling(struct deploy *d) {
  struct rsinfo *nr = d->new_rs;

  if (nr == NULL) {
    /* Created: the ReplicaSet's events bring us back. */
    return create_new_rs(d);
  }
  if (sync_new_revision(d) < 0)
    return -1;
  if (nr->spec > d->replicas) {
    if (rs_write(d, nr, d->replicas, -1) < 0)
      return -1;
  } else if (nr->spec < d->replicas) {
    int64_t want = new_rs_replicas(d, nr->spec);

    if (want != nr->spec) {
      /* Old ones wait for the new pods, as in Kubernetes. */
      return rs_write(d, nr, want, -1);
    }
  }
  if (scale_down_old(d) < 0)
    return -1;
  if (complete(d, &d->cur) && cleanup(d) < 0)
    return -1;
  return 0;
}

/* ---- selectors ---- */

/* A LabelSelector (matchLabels, matchExpressions) at `path` as the text
 * cache_list() takes: "app=web,tier in (a,b),!canary". Owned: free().
 * NULL when out of memory, malformed or empty (which, for a Deployment,
 * selects nothing). */
static char *selector_of(const cplane_object *o, const char *path) {
  char *text = api->label_selector_text(o, path), *copy;

  copy = text != NULL && text[0] != '\0' ? strdup(text) : NULL;
  api->free(text);
  return copy;
}

/* Makes the Deployment the controller of ReplicaSets that match its
 * selector and have no controller, as Kubernetes' ClaimReplicaSets does.
 * The JSON patch tests the resourceVersion first, so a ReplicaSet that
 * changed meanwhile (perhaps adopted by someone else) is left alone.
 * Returns how many were adopted, or -1 after a failed write. */
static int adopt_orphans(struct deploy *d) {
  cplane_object_list *list = NULL;
  char *sel = selector_of(d->o, "spec.selector");
  char *ref = cplane_controller_ref_json(api, d->o, "apps/v1", "Deployment");
  size_t i, n;
  int adopted = 0, failed = 0;

  if (sel == NULL || ref == NULL ||
      api->cache_list(d->ctx, RS, d->ns, sel, &list) != CPLANE_OK)
    goto out;
  n = api->list_len(list);
  for (i = 0; i < n; i++) {
    const cplane_object *o = api->list_at(list, i);
    int has_refs =
        api->object_type(o, "metadata.ownerReferences") == CPLANE_TYPE_ARRAY;
    char *patch, *msg = NULL;
    int code;

    if (api->object_controller_uid(o) != NULL ||
        api->object_deletion_timestamp(o) != NULL)
      continue;
    patch = api->json_format(
        has_refs ? "[{'op':'test','path':'/metadata/resourceVersion',"
                   "'value':%s},{'op':'add','path':"
                   "'/metadata/ownerReferences/-','value':%j}]"
                 : "[{'op':'test','path':'/metadata/resourceVersion',"
                   "'value':%s},{'op':'add','path':"
                   "'/metadata/ownerReferences','value':[%j]}]",
        api->object_resource_version(o), ref);
    if (patch == NULL) {
      failed = 1;
      break;
    }
    code = api->patch(d->ctx, &resources[RS], d->ns, api->object_name(o),
                      CPLANE_PATCH_JSON, patch, NULL, &msg);
    api->free(patch);
    if (code != 200) {
      write_failed(d, "adopting a ReplicaSet", code, msg);
      failed = 1;
      continue;
    }
    api->free(msg);
    api->log(d->ctx, CPLANE_LOG_INFO, "%s: adopted ReplicaSet %s", d->key,
             api->object_name(o));
    adopted++;
  }
out:
  api->list_free(list);
  api->free(ref);
  free(sel);
  return failed ? -1 : adopted;
}

/* ---- events ---- */

/* "ns/name" of the Deployment controlling a ReplicaSet, into buf; 0 if
 * none. */
static int owner_key(const cplane_object *rs, char *buf, size_t len) {
  return cplane_controller_key(api, rs, "Deployment", buf, len);
}

/* A ReplicaSet without a controller: every Deployment of its namespace
 * that selects it may adopt it. Only reads the cache, so it does not
 * block. */
static void enqueue_adopters(cplane_plugin_ctx *ctx,
                             const cplane_object *rs) {
  cplane_object_list *list = NULL;
  size_t i, n;

  if (api->object_controller_uid(rs) != NULL ||
      api->object_deletion_timestamp(rs) != NULL ||
      api->cache_list(ctx, DEPLOY, api->object_namespace(rs), NULL,
                      &list) != CPLANE_OK)
    return;
  n = api->list_len(list);
  for (i = 0; i < n; i++) {
    const cplane_object *dep = api->list_at(list, i);
    char *sel = selector_of(dep, "spec.selector");

    if (sel != NULL && api->object_labels_match(rs, sel) == 1)
      api->enqueue(ctx, api->object_key(dep));
    free(sel);
  }
  api->list_free(list);
}

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  char key[512];

  if (res == DEPLOY)
    api->enqueue(ctx, api->object_key(obj));
  else if (owner_key(obj, key, sizeof key))
    api->enqueue(ctx, key);
  else
    enqueue_adopters(ctx, obj);
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  char key[512];

  if (res == DEPLOY) {
    api->enqueue(ctx, api->object_key(new_obj));
    return;
  }
  /* A ReplicaSet handed to another owner: both hear of it. */
  if (old_obj != new_obj && owner_key(old_obj, key, sizeof key))
    api->enqueue(ctx, key);
  if (owner_key(new_obj, key, sizeof key))
    api->enqueue(ctx, key);
  else
    enqueue_adopters(ctx, new_obj);
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  char key[512];

  if (res == RS && owner_key(obj, key, sizeof key))
    api->enqueue(ctx, key);
}

/* ---- reconcile ---- */

static int deploy_reconcile(cplane_plugin_ctx *ctx, const char *key,
                            uint32_t *requeue_after_ms) {
  struct deploy d;
  uint32_t later = 0;
  int rc = CPLANE_RECONCILE_DONE, r, sync;

  memset(&d, 0, sizeof d);
  d.ctx = ctx;
  if (api->cache_get(ctx, DEPLOY, key, &d.o) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (api->object_deletion_timestamp(d.o) != NULL)
    goto out; /* the garbage collector's turn */
  if (api->object_type(d.o, "spec.selector") != CPLANE_TYPE_OBJECT ||
      api->object_len(d.o, "spec.selector") <= 0) {
    /* Kubernetes refuses an empty selector: it would select every pod. */
    api->log(ctx, CPLANE_LOG_WARN, "%s: no spec.selector; not acting", key);
    goto out;
  }
  if (load(&d) < 0) {
    api->log(ctx, CPLANE_LOG_WARN, "%s: out of memory", key);
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  if ((r = adopt_orphans(&d)) != 0) {
    /* Adopted ones count once the cache shows them as ours. */
    *requeue_after_ms = CACHE_LAG_MS;
    rc = r < 0 ? CPLANE_RECONCILE_RETRY : CPLANE_RECONCILE_REQUEUE_AFTER;
    goto out;
  }
  paused_conditions(&d);
  /* Paused or rescaled: sizes change, no template rolls out. */
  sync = d.paused || scaling_event(&d);
  if (sync)
    r = sync_only(&d);
  else if (d.recreate)
    r = rollout_recreate(&d);
  else
    r = rollout_rolling(&d);
  if (r < 0) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  calculate_status(&d);
  if (!sync)
    later = rollout_conditions(&d);
  if (write_status(&d) < 0) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  if (r > 0) {
    /* A create met a ReplicaSet the cache does not show yet. */
    *requeue_after_ms = CACHE_LAG_MS;
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
  } else if (later > 0) {
    *requeue_after_ms = later;
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
  }
out:
  unload(&d);
  api->object_release(d.o);
  return rc;
}

static int deploy_init(cplane_plugin_ctx *ctx,
                       const struct cplane_host_api *host_api,
                       char **errmsg) {
  (void)errmsg;
  api = host_api;
  api->log(ctx, CPLANE_LOG_INFO,
           "rolling Deployments out through ReplicaSets");
  return CPLANE_OK;
}

/* This plugin reads no [plugin.NAME] key of its own: --check-config
 * and start-up report any key beside the host's as a misspelling. */
static const char *const deployment_config_keys[] = {NULL};

static const struct cplane_plugin deployment_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "deployment",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 2,
    .resources = resources,
    .init = deploy_init,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = deploy_reconcile,
    .config_keys = deployment_config_keys,
};

CPLANE_PLUGIN_DEFINE(deployment_plugin)
