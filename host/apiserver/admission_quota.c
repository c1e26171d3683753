/*
 * admission_quota - see admission_quota.h.
 */
#include "apiserver/admission_quota.h"

#include <cplane/quota.h>
#include <cplane/strbuf.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/policy_cache.h"
#include "apiserver/quota_batch.h"
#include "apiserver/quota_versions.h"
#include "apiserver/resources.h"
#include "apiserver/strategy/fields.h"
#include "apiserver/verbs.h"
#include "object/object.h"
#include "plugin/plugin.h"

/* Quotas judged per namespace; kube sets no bound, a namespace with more
 * is refused rather than judged on a part. */
#define MAX_QUOTAS 64
/* Rounds of reading and charging the quotas before giving up on racing
 * writers (kube's evaluator retries its conflicting quotas too). */
#define CAS_ROUNDS 8
static int64_t wall_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* kube's evaluators' Handles: every create; updates only of the kinds
 * whose usage an update can change (a Service's type and ports, a
 * claim's size). Subresources never. */
static int handles(const struct cp_api_request *rq, json_object *old) {
  const struct cp_resource_type *t = rq->type;

  if (!t->namespaced || rq->ns == NULL || rq->subresource != NULL)
    return 0;
  if (old == NULL)
    return 1;
  return t->group[0] == '\0' &&
         (strcmp(t->resource, "services") == 0 ||
          strcmp(t->resource, "persistentvolumeclaims") == 0);
}

/* What the object (snap, its snapshot) costs, by the SDK's
 * evaluators. */
static void usage_of(const struct cp_resource_type *t,
                     const cplane_object *snap,
                     struct cplane_quota_list *out) {
  cplane_quota_clear(out);
  if (snap == NULL)
    return;
  cplane_quota_usage(cp_host_api(), t->group, t->resource, snap, wall_ms(),
                     out);
}

/* One quota as read: its key and revision, the object, its snapshot. */
struct quota {
  char *key;
  int64_t rev;
  json_object *obj;
  cplane_object *snap;
  int charged; /* selected and limiting something the write uses */
};

static void quotas_free(struct quota *q, size_t n) {
  size_t i;

  for (i = 0; i < n; i++) {
    free(q[i].key);
    json_object_put(q[i].obj);
    cp_object_release(q[i].snap);
  }
}

/* The quotas of ns as the store has them now (fresh: after a lost
 * compare-and-swap), each noted as the newest version known. CPLANE_OK
 * or the store's error. */
static int quotas_list_fresh(struct cp_api_ctx *ctx, const char *ns,
                             cp_store_list_result *res) {
  const struct cp_resource_type *t =
      cp_resources_find(ctx->resources, "", "v1", "resourcequotas");
  char *prefix = t != NULL ? cp_api_key(t, ns, NULL) : NULL;
  size_t i;
  int rc;

  if (prefix == NULL)
    return CPLANE_ENOMEM;
  rc = cp_store_list(ctx->store, prefix, strlen(prefix), NULL, 0, 0,
                     MAX_QUOTAS + 1, res);
  free(prefix);
  for (i = 0; rc == CPLANE_OK && i < res->count; i++)
    cp_quota_versions_note(ctx->quota_versions, (const char *)res->kvs[i].key,
                           res->kvs[i].mod_revision,
                           (const char *)res->kvs[i].value,
                           res->kvs[i].value_len);
  return rc;
}

/* The quotas of ns as this server knows them (kube's quotaAccessor): the
 * policy cache's list, each replaced by the version this server wrote
 * or read itself when that is newer (quota_versions.h). No store read
 * while the cache is fresh. CPLANE_OK, or the store's error. */
static int quotas_list_known(struct cp_api_ctx *ctx, const char *ns,
                             cp_store_list_result *res) {
  size_t i;

  if (cp_policy_kvs(ctx, CP_POLICY_RESOURCEQUOTAS, ns, res) < 0)
    return CPLANE_ENOMEM; /* a store error too: it is answered 500 */
  for (i = 0; i < res->count; i++) {
    cp_store_kv *kv = &res->kvs[i];
    char *text = NULL;
    int64_t rev = 0;

    if (!cp_quota_versions_newer(ctx->quota_versions, (const char *)kv->key,
                                 kv->mod_revision, &text, &rev))
      continue;
    free(kv->value);
    kv->value = (uint8_t *)text;
    kv->value_len = strlen(text);
    kv->mod_revision = rev;
  }
  return CPLANE_OK;
}

/* Reads the quotas of ns: from the store when fresh, else as this
 * server knows them (they are charged at the revision read, so a stale
 * one only loses its compare-and-swap). Returns how many (<=
 * MAX_QUOTAS), or -1 with *err the store's error (CPLANE_ENOMEM when it
 * was not the store's). */
static int quotas_read(struct cp_api_ctx *ctx, const char *ns, int fresh,
                       struct quota *q, int *err) {
  cp_store_list_result res;
  size_t i, n = 0;
  int rc;

  memset(&res, 0, sizeof res);
  rc = fresh ? quotas_list_fresh(ctx, ns, &res)
             : quotas_list_known(ctx, ns, &res);
  if (rc != CPLANE_OK) {
    cp_store_list_result_free(&res);
    *err = rc;
    return -1;
  }
  *err = CPLANE_ENOMEM;
  for (i = 0; i < res.count && n < MAX_QUOTAS; i++) {
    struct quota *e = &q[n];

    memset(e, 0, sizeof *e);
    e->obj = cp_api_parse_stored(NULL, &res.kvs[i]);
    e->snap = e->obj != NULL ? cp_object_from_json_c(e->obj) : NULL;
    e->key = strndup((const char *)res.kvs[i].key, res.kvs[i].key_len);
    e->rev = res.kvs[i].mod_revision;
    n++;
    if (e->obj == NULL || e->snap == NULL || e->key == NULL) {
      quotas_free(q, n);
      cp_store_list_result_free(&res);
      return -1;
    }
  }
  cp_store_list_result_free(&res);
  return (int)n;
}

/* The quantity at status.<field>.<name> of a quota, in milli; 1 found. */
static int status_amount(json_object *quota, const char *field,
                         const char *name, int64_t *milli, int *format) {
  json_object *v = json_object_object_get(cp_field_obj(quota, "status"), field);

  v = json_object_is_type(v, json_type_object) ? json_object_object_get(v, name)
                                               : NULL;
  if (v == NULL)
    return 0;
  return cplane_quota_parse(json_object_get_string(v), milli, format) ==
         CPLANE_OK;
}

/* Adds "name=quantity" for each entry of l (kube's prettyPrint; l is
 * sorted by the caller). */
static void pretty(struct cplane_strbuf *b, const struct cplane_quota_list *l) {
  char q[CPLANE_QUANTITY_LEN];
  size_t i;

  for (i = 0; i < l->n; i++) {
    cplane_quota_format(l->items[i].milli, l->items[i].format, q, sizeof q);
    cplane_strbuf_addf(b, "%s%s=%s", i ? "," : "", l->items[i].name, q);
  }
}

static int item_cmp(const void *a, const void *b) {
  return strcmp(((const struct cplane_quota_item *)a)->name,
                ((const struct cplane_quota_item *)b)->name);
}

/* Responds 403 "<resource> "<name>" is forbidden: <text of b>". */
static void forbid(struct cp_api_response *rs, const struct cp_resource_type *t,
                   json_object *o, struct cplane_strbuf *b) {
  char *why = cplane_strbuf_finish(b);

  if (why == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    return;
  }
  cp_verbs_forbidden(rs, t, cp_field_str(o, "metadata.name"), why, NULL);
  free(why);
}

/* kube's pod evaluator Constraints: a quota on cpu or memory (requests,
 * limits, or the bare names) needs every container to say it. Adds
 * "must specify <res> for: <containers>; ..." to b and returns -1 when
 * one does not. */
static int pod_constraints(json_object *pod, json_object *hard,
                           struct cplane_strbuf *b) {
  static const char *const checked[] = {"cpu",          "limits.cpu",
                                        "limits.memory", "memory",
                                        "requests.cpu", "requests.memory"};
  static const char *const lists[] = {"spec.containers", "spec.initContainers"};
  const char *sep = "must specify ";
  size_t r, k, i;
  int failed = 0;

  for (r = 0; r < sizeof checked / sizeof checked[0]; r++) {
    const char *res = checked[r], *dot = strchr(res, '.');
    const char *what = dot ? dot + 1 : res;
    const char *from = strncmp(res, "limits.", 7) == 0 ? "limits" : "requests";
    int named = 0;

    if (json_object_object_get(hard, res) == NULL)
      continue;
    for (k = 0; k < 2; k++) {
      json_object *cs = cp_field_typed(pod, lists[k], json_type_array);
      size_t n = cs != NULL ? json_object_array_length(cs) : 0;

      for (i = 0; i < n && i < CPLANE_QUOTA_MAX_CONTAINERS; i++) {
        json_object *c = json_object_array_get_idx(cs, i);
        json_object *rl = json_object_object_get(
            cp_field_obj(c, "resources"), from);

        if (json_object_is_type(rl, json_type_object) &&
            json_object_object_get(rl, what) != NULL)
          continue;
        cplane_strbuf_addf(b, "%s%s%s", named ? "," : sep,
                           named ? "" : res, named ? "" : " for: ");
        cplane_strbuf_add(b, cp_field_str(c, "name") ? cp_field_str(c, "name")
                                                     : "");
        named = 1;
        sep = "; ";
        failed = 1;
      }
    }
  }
  return failed ? -1 : 0;
}

/* The part of delta quota q limits (kube: Mask(delta, hard names)), and
 * whether q selects the object at all. -1 having responded when q
 * refuses it outright (constraints, unknown status). */
static int judge_scope(struct cp_api_request *rq, json_object *o,
                       cplane_object *snap, struct quota *q,
                       const struct cplane_quota_list *delta,
                       struct cplane_quota_list *requested,
                       struct cp_api_response *rs) {
  const struct cp_resource_type *t = rq->type;
  int is_pod = t->group[0] == '\0' && strcmp(t->resource, "pods") == 0;
  json_object *hard = cp_field_typed(q->obj, "status.hard", json_type_object);
  json_object *used = cp_field_typed(q->obj, "status.used", json_type_object);
  const char *qname = cp_field_str(q->obj, "metadata.name");
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  int unknown = 0;
  size_t i;

  cplane_quota_clear(requested);
  if (hard == NULL ||
      !cplane_quota_matches(cp_host_api(), q->snap, is_pod ? snap : NULL))
    return 0;
  cplane_strbuf_addf(&b, "failed quota: %s: ", qname ? qname : "");
  if (is_pod && pod_constraints(o, hard, &b) < 0) {
    forbid(rs, t, o, &b);
    return -1;
  }
  cplane_strbuf_reset(&b);
  cplane_strbuf_addf(&b, "status unknown for quota: %s, resources: ",
                     qname ? qname : "");
  json_object_object_foreach(hard, name, v) {
    (void)v;
    if (!cplane_quota_tracks(t->group, t->resource, name))
      continue;
    if (used == NULL || json_object_object_get(used, name) == NULL) {
      cplane_strbuf_addf(&b, "%s%s", unknown ? "," : "", name);
      unknown = 1;
    }
  }
  if (unknown) {
    forbid(rs, t, o, &b);
    return -1;
  }
  cplane_strbuf_reset(&b);
  for (i = 0; i < delta->n; i++)
    if (json_object_object_get(hard, delta->items[i].name) != NULL)
      cplane_quota_add(requested, delta->items[i].name, delta->items[i].milli,
                       delta->items[i].format);
  return 0;
}

/* kube's LessThanOrEqual(used + requested, hard) for the requested
 * names; -1 having responded "exceeded quota: ..." when it fails. */
static int judge_limit(const struct cp_resource_type *t, json_object *o,
                       struct quota *q, struct cplane_quota_list *requested,
                       struct cp_api_response *rs) {
  struct cplane_quota_list req_x, used_x, hard_x;
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  const char *qname = cp_field_str(q->obj, "metadata.name");
  size_t i;

  cplane_quota_clear(&req_x);
  cplane_quota_clear(&used_x);
  cplane_quota_clear(&hard_x);
  for (i = 0; i < requested->n; i++) {
    const struct cplane_quota_item *r = &requested->items[i];
    int64_t used = 0, hard = 0;
    int uf = r->format, hf = r->format;

    status_amount(q->obj, "used", r->name, &used, &uf);
    if (!status_amount(q->obj, "hard", r->name, &hard, &hf))
      continue;
    if (cplane_quota__add(used, r->milli) <= hard)
      continue;
    cplane_quota_add(&req_x, r->name, r->milli, r->format);
    cplane_quota_add(&used_x, r->name, used, uf);
    cplane_quota_add(&hard_x, r->name, hard, hf);
  }
  if (req_x.n == 0)
    return 0;
  qsort(req_x.items, req_x.n, sizeof req_x.items[0], item_cmp);
  qsort(used_x.items, used_x.n, sizeof used_x.items[0], item_cmp);
  qsort(hard_x.items, hard_x.n, sizeof hard_x.items[0], item_cmp);
  cplane_strbuf_addf(&b, "exceeded quota: %s, requested: ", qname ? qname : "");
  pretty(&b, &req_x);
  cplane_strbuf_add(&b, ", used: ");
  pretty(&b, &used_x);
  cplane_strbuf_add(&b, ", limited: ");
  pretty(&b, &hard_x);
  forbid(rs, t, o, &b);
  return -1;
}

/* Adds requested to q's status.used, in memory: a batch charges each
 * quota with the sum of its writes, judging each on what the ones before
 * it used. CPLANE_OK, or CPLANE_EINVAL when q has no status.used. */
static int charge(struct quota *q, const struct cplane_quota_list *requested) {
  json_object *status = cp_field_obj(q->obj, "status"), *used;
  char buf[CPLANE_QUANTITY_LEN];
  size_t i;

  used = json_object_object_get(status, "used");
  if (!json_object_is_type(used, json_type_object))
    return CPLANE_EINVAL;
  for (i = 0; i < requested->n; i++) {
    const struct cplane_quota_item *r = &requested->items[i];
    int64_t have = 0;
    int format = r->format;

    status_amount(q->obj, "used", r->name, &have, &format);
    if (have == 0) /* Quantity.Add: zero takes the added format */
      format = r->format;
    cplane_quota_format(cplane_quota__add(have, r->milli), format, buf,
                        sizeof buf);
    json_object_object_add(used, r->name, json_object_new_string(buf));
  }
  return CPLANE_OK;
}

/* Writes q as charged over the revision read, and notes what it wrote
 * as the newest version known (the next batch charges it without a
 * read). CPLANE_OK, CP_STORE_ECONFLICT, or another store error. */
static int quota_write(struct cp_api_ctx *ctx, struct quota *q) {
  char *text = cp_verbs_stored_text(q->obj);
  int64_t rev = 0;
  int rc;

  if (text == NULL)
    return CPLANE_ENOMEM;
  rc = cp_store_update(ctx->store, q->key, strlen(q->key), text, strlen(text),
                       q->rev, &rev, NULL);
  if (rc == CPLANE_OK)
    cp_quota_versions_note(ctx->quota_versions, q->key, rev, text,
                           strlen(text));
  free(text);
  return rc;
}

/* kube's SubtractWithNonNegativeResult then RemoveZeros: what an update
 * adds to what the stored object used. */
static void delta_of(struct cplane_quota_list *now,
                     const struct cplane_quota_list *before,
                     struct cplane_quota_list *out) {
  size_t i;

  cplane_quota_clear(out);
  for (i = 0; i < now->n; i++) {
    const struct cplane_quota_item *it = &now->items[i];
    struct cplane_quota_item *b =
        cplane_quota_find((struct cplane_quota_list *)before, it->name);
    int64_t d = it->milli - (b != NULL ? b->milli : 0);

    if (d > 0)
      cplane_quota_add(out, it->name, d, it->format);
  }
}

/* The quotas a write was charged to so far (store keys), so that a
 * round after a lost race charges each once. */
struct charged {
  char *keys[MAX_QUOTAS];
  int n;
};

static int was_charged(const struct charged *c, const char *key) {
  int i;

  for (i = 0; i < c->n; i++)
    if (strcmp(c->keys[i], key) == 0)
      return 1;
  return 0;
}

/* One write waiting for its charge (a quota_batch entry's data). */
struct pending {
  struct cp_api_request *rq;
  json_object *o;
  cplane_object *snap;
  const struct cplane_quota_list *delta;
  struct cp_api_response *rs;
  struct charged done;
  int rc; /* 1 still to charge, 0 admitted, -1 responded */
  int refused_known; /* this round refused it on known versions */
  /* This round: charged (in memory) to quota i, the write's result. */
  unsigned char in[MAX_QUOTAS];
};

static void respond_store_error(struct cp_api_response *rs, int err) {
  if (err == CPLANE_ENOMEM)
    cp_api_respond_status(rs, 500, NULL);
  else
    cp_verbs_store_error(rs, err);
}

/* Judges p on every quota it was not charged to yet, then charges those
 * that limit something it uses, in memory (dirty[i] set). req: scratch,
 * MAX_QUOTAS lists. */
static void judge_one(struct pending *p, struct quota *q, int n,
                      struct cplane_quota_list *req, unsigned char *dirty) {
  int i, w;

  for (i = 0; i < n; i++) {
    req[i].n = 0;
    if (!was_charged(&p->done, q[i].key) &&
        (judge_scope(p->rq, p->o, p->snap, &q[i], p->delta, &req[i],
                     p->rs) < 0 ||
         judge_limit(p->rq->type, p->o, &q[i], &req[i], p->rs) < 0)) {
      p->rc = -1;
      return;
    }
  }
  if (cp_verbs_dry_run(p->rq)) {
    p->rc = 0;
    return;
  }
  for (i = 0; i < n; i++) {
    if (req[i].n == 0 || was_charged(&p->done, q[i].key))
      continue;
    if ((w = charge(&q[i], &req[i])) != CPLANE_OK) {
      respond_store_error(p->rs, w);
      p->rc = -1;
      return;
    }
    p->in[i] = 1;
    dirty[i] = 1;
  }
}

/* Judges p on quotas that may be stale (the known versions): a refusal
 * is answered into scratch and dropped, and p waits for a round on the
 * store's versions, so that a write is refused only on what the store
 * holds, as before the known versions were used; an admission needs no
 * such care (the compare-and-swap checks it). */
static void judge_known(struct pending *p, struct quota *q, int n,
                        struct cplane_quota_list *req, unsigned char *dirty,
                        struct cp_api_response *scratch) {
  struct cp_api_response *real = p->rs;
  int i, charged = 0;

  p->rs = scratch;
  judge_one(p, q, n, req, dirty);
  p->rs = real;
  if (p->rc != -1)
    return;
  for (i = 0; i < n; i++)
    charged |= p->in[i];
  if (charged) {
    /* Failed while charging (not a judgement): the quotas carry part
     * of it already, so answer now as a fresh round would. */
    cp_api_respond_status(real, scratch->code, scratch->body);
  } else {
    free(scratch->body);
    p->rc = 1;
    p->refused_known = 1;
  }
  memset(scratch, 0, sizeof *scratch);
}

/* One round over the batch's writes still to charge: read the quotas
 * (from the store when fresh, else as this server knows them), judge
 * and charge each write in turn, then write each charged quota once. A
 * write whose quotas were all written is admitted; one that shared a
 * quota that lost a race, or was refused on known versions, stays for
 * the next round (charged only to what it was not yet). Returns how
 * many are still to charge. */
static size_t round_once(struct cp_api_ctx *ctx, const char *ns, int fresh,
                         struct pending **p, size_t m) {
  struct quota q[MAX_QUOTAS];
  struct cplane_quota_list *req = NULL;
  struct cp_api_response scratch;
  unsigned char dirty[MAX_QUOTAS] = {0};
  int result[MAX_QUOTAS];
  int n, i, err = 0;
  size_t k, left = 0;

  memset(&scratch, 0, sizeof scratch);
  if ((n = quotas_read(ctx, ns, fresh, q, &err)) < 0 && !fresh) {
    /* The store's versions will tell (or answer its error). */
    for (k = 0; k < m; k++)
      left += p[k]->rc == 1;
    return left;
  }
  if (n < 0 ||
      (n > 0 && (req = calloc((size_t)n, sizeof *req)) == NULL)) {
    if (n >= 0) {
      quotas_free(q, (size_t)n);
      err = CPLANE_ENOMEM;
    }
    for (k = 0; k < m; k++)
      if (p[k]->rc == 1) {
        respond_store_error(p[k]->rs, err);
        p[k]->rc = -1;
      }
    return 0;
  }
  for (k = 0; k < m; k++)
    if (p[k]->rc == 1) {
      memset(p[k]->in, 0, sizeof p[k]->in);
      p[k]->refused_known = 0;
      if (fresh)
        judge_one(p[k], q, n, req, dirty);
      else
        judge_known(p[k], q, n, req, dirty, &scratch);
    }
  for (i = 0; i < n; i++)
    result[i] = dirty[i] ? quota_write(ctx, &q[i]) : CPLANE_OK;
  for (k = 0; k < m; k++) {
    struct pending *e = p[k];
    int lost = 0, failed = CPLANE_OK;

    if (e->rc != 1)
      continue;
    for (i = 0; i < n; i++) {
      if (!e->in[i])
        continue;
      if (result[i] == CPLANE_OK) {
        if (e->done.n < MAX_QUOTAS &&
            (e->done.keys[e->done.n] = strdup(q[i].key)) != NULL)
          e->done.n++;
      } else if (result[i] == CP_STORE_ECONFLICT ||
                 result[i] == CPLANE_ENOENT) {
        lost = 1;
      } else {
        failed = result[i];
      }
    }
    if (failed != CPLANE_OK) {
      respond_store_error(e->rs, failed);
      e->rc = -1;
    } else if (lost || e->refused_known) {
      left++;
    } else {
      e->rc = 0;
    }
  }
  free(req);
  quotas_free(q, (size_t)n);
  return left;
}

/* quota_batch's function: the rounds of one namespace's batch. */
static void charge_batch(void *arg, struct cp_quota_batch_entry **batch,
                         size_t m) {
  struct pending *p[CP_QUOTA_BATCH_MAX];
  size_t k;
  int round;

  for (k = 0; k < m; k++)
    p[k] = batch[k]->data;
  /* A round on the versions this server knows, then up to CAS_ROUNDS on
   * the store's. */
  for (round = 0; round <= CAS_ROUNDS; round++)
    if (round_once(arg, batch[0]->ns, round > 0, p, m) == 0)
      return;
  for (k = 0; k < m; k++)
    if (p[k]->rc == 1) {
      /* Still racing other servers: kube gives up the same way. */
      cp_verbs_conflict(p[k]->rs, p[k]->rq->type,
                        cp_field_str(p[k]->o, "metadata.name"));
      p[k]->rc = -1;
    }
}

int cp_admission_quota(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                       json_object *o, json_object *old,
                       struct cp_api_response *rs) {
  struct cplane_quota_list *now = NULL, *before = NULL, *delta = NULL;
  cplane_object *snap = NULL, *old_snap = NULL;
  struct pending p;
  struct cp_quota_batch_entry e;
  long have;
  int rc = 0;

  memset(&p, 0, sizeof p);
  if (!handles(rq, old))
    return 0;
  /* Most namespaces have no quota: the cache says so without a read
   * (and without parsing the quotas: they are read below). */
  if ((have = cp_policy_count(ctx, CP_POLICY_RESOURCEQUOTAS, rq->ns)) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  if (have == 0)
    goto out;
  now = malloc(3 * sizeof *now); /* each cleared where it is filled */
  snap = cp_object_from_json_c(o);
  if (old != NULL)
    old_snap = cp_object_from_json_c(old);
  if (now == NULL || snap == NULL || (old != NULL && old_snap == NULL)) {
    cp_api_respond_status(rs, 500, NULL);
    rc = -1;
    goto out;
  }
  before = now + 1;
  delta = now + 2;
  usage_of(rq->type, snap, now);
  cplane_quota_clear(before);
  if (old != NULL)
    usage_of(rq->type, old_snap, before);
  delta_of(now, before, delta);
  if (delta->n == 0)
    goto out;
  p = (struct pending){.rq = rq, .o = o, .snap = snap, .delta = delta,
                       .rs = rs, .rc = 1};
  e = (struct cp_quota_batch_entry){.ns = rq->ns, .data = &p};
  cp_quota_batch_join(&e, charge_batch, ctx);
  rc = p.rc;
out:
  while (p.done.n > 0)
    free(p.done.keys[--p.done.n]);
  cp_object_release(snap);
  cp_object_release(old_snap);
  free(now);
  return rc;
}
