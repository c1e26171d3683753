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
#include "log/assert.h"
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
  size_t text_len; /* as read: what its write adds to a transaction */
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
    /* The version this server charged last, as it charged it: no parse. */
    e->obj = cp_quota_versions_take(ctx->quota_versions,
                                    (const char *)res.kvs[i].key,
                                    res.kvs[i].mod_revision);
    if (e->obj == NULL)
      e->obj = cp_api_parse_stored(NULL, &res.kvs[i]);
    e->snap = e->obj != NULL ? cp_object_from_json_c_unmanaged(e->obj) : NULL;
    e->key = strndup((const char *)res.kvs[i].key, res.kvs[i].key_len);
    e->rev = res.kvs[i].mod_revision;
    e->text_len = res.kvs[i].value_len;
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
  /* The container lists, looked up once rather than per resource. */
  json_object *lists[2] = {
      cp_field_typed(pod, "spec.containers", json_type_array),
      cp_field_typed(pod, "spec.initContainers", json_type_array)};
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
      json_object *cs = lists[k];
      size_t n = cs != NULL ? json_object_array_length(cs) : 0;

      for (i = 0; i < n && i < CPLANE_QUOTA_MAX_CONTAINERS; i++) {
        json_object *c = json_object_array_get_idx(cs, i);
        json_object *rl = json_object_object_get(
            cp_field_typed(c, "resources", json_type_object), from);

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

/* One write waiting for its charge (a quota_batch entry's data). */
struct pending {
  struct cp_api_request *rq;
  json_object *o;
  cplane_object *snap;
  const struct cplane_quota_list *delta;
  struct cp_api_response *rs;
  /* A create's write, stored in one transaction with its charge; NULL
   * for a charge alone (an update's, which its verb writes after). */
  const char *key, *text;
  int64_t rev;  /* the create's revision, when written */
  int store_rc; /* the create's store result, once rc is 0 */
  int rc;       /* 1 still to charge, 0 admitted, -1 responded */
  int in_txn;   /* this round: charged, its write in the transaction */
  /* This round's refusal, answered only once the judgement stands: the
   * quotas were the store's and what was charged before it in the
   * round was written. */
  struct cp_api_response held;
  int refused;
  unsigned char in[MAX_QUOTAS]; /* this round: charged to quota i */
};

static void respond_store_error(struct cp_api_response *rs, int err) {
  if (err == CPLANE_ENOMEM)
    cp_api_respond_status(rs, 500, NULL);
  else
    cp_verbs_store_error(rs, err);
}

/* Judges p on every quota, then charges those that limit something it
 * uses, in memory (dirty[i] and p->in[i] set). 0 admitted (a dry run
 * charges nothing); -1 refused, the answer in p->held; -2 when a charge
 * failed half way, the error in p->held (the quotas in memory are not
 * to be written). req: scratch, n lists. */
static int judge_one(struct pending *p, struct quota *q, int n,
                     struct cplane_quota_list *req, unsigned char *dirty) {
  int i, w;

  memset(p->in, 0, sizeof p->in);
  for (i = 0; i < n; i++) {
    req[i].n = 0;
    if (judge_scope(p->rq, p->o, p->snap, &q[i], p->delta, &req[i],
                    &p->held) < 0 ||
        judge_limit(p->rq->type, p->o, &q[i], &req[i], &p->held) < 0)
      return -1;
  }
  if (cp_verbs_dry_run(p->rq))
    return 0;
  for (i = 0; i < n; i++) {
    if (req[i].n == 0)
      continue;
    if ((w = charge(&q[i], &req[i])) != CPLANE_OK) {
      respond_store_error(&p->held, w);
      return -2;
    }
    p->in[i] = 1;
    dirty[i] = 1;
  }
  return 0;
}

/* A round's transaction: the charged quotas, then the creates. */
struct txn {
  cp_store_txn_op ops[CP_STORE_TXN_MAX];
  char *texts[MAX_QUOTAS]; /* the quotas' new text */
  int qidx[MAX_QUOTAS];     /* the quota (of those read) each one is */
  struct pending *of[CP_STORE_TXN_MAX]; /* a create op's write */
  size_t n, quotas, creates, bytes;
};

/* Whether the round's transaction already creates key (racing creates
 * of one name: the next round's answers the later one's). */
static int creates_key(struct pending **p, size_t m, const char *key) {
  size_t k;

  for (k = 0; k < m; k++)
    if (p[k]->in_txn && p[k]->key != NULL && strcmp(p[k]->key, key) == 0)
      return 1;
  return 0;
}

/* Whether e's create still fits t (a write without one always does):
 * one create per transaction where its writes share a revision (a
 * resource's revisions stay its events' own), a key once, and etcd's
 * bounds. The first create always goes in; the store refuses it if it
 * is too big. */
static int fits(struct cp_api_ctx *ctx, const struct txn *t, int n,
                struct pending **p, size_t m, const struct pending *e) {
  if (e->key == NULL || t->creates == 0)
    return 1;
  if (cp_store_txn_shares_revision(ctx->store) || creates_key(p, m, e->key))
    return 0;
  return (size_t)n + t->creates + 1 <= CP_STORE_TXN_MAX &&
         t->bytes + strlen(e->key) + strlen(e->text) <=
             CP_STORE_TXN_MAX_BYTES;
}

/* Adds the dirty quotas to t, each over the revision read. */
static int txn_quotas(struct txn *t, struct quota *q, int n,
                      const unsigned char *dirty) {
  int i;

  for (i = 0; i < n; i++) {
    char *text;

    if (!dirty[i])
      continue;
    if ((text = cp_verbs_stored_text(q[i].obj)) == NULL)
      return CPLANE_ENOMEM;
    t->qidx[t->quotas] = i;
    t->texts[t->quotas++] = text;
    t->ops[t->n++] = (cp_store_txn_op){
        .kind = CP_STORE_TXN_UPDATE, .key = q[i].key,
        .key_len = strlen(q[i].key), .value = text,
        .value_len = strlen(text), .expected_rev = q[i].rev};
  }
  return CPLANE_OK;
}

/* Commits the round's charges (the dirty quotas) and creates in one
 * store transaction. Returns its code; CPLANE_OK when there was nothing
 * to write. On success notes the quotas' new versions (the next round
 * charges them without a read) and each create's revision. */
static int txn_commit(struct cp_api_ctx *ctx, struct txn *t, struct quota *q,
                      int n, const unsigned char *dirty, struct pending **p,
                      size_t m) {
  size_t k;
  int rc;

  if ((rc = txn_quotas(t, q, n, dirty)) != CPLANE_OK)
    return rc;
  for (k = 0; k < m; k++)
    if (p[k]->rc == 1 && p[k]->in_txn && p[k]->key != NULL) {
      t->of[t->n] = p[k];
      t->ops[t->n++] = (cp_store_txn_op){
          .kind = CP_STORE_TXN_CREATE, .key = p[k]->key,
          .key_len = strlen(p[k]->key), .value = p[k]->text,
          .value_len = strlen(p[k]->text)};
    }
  if (t->n == 0)
    return CPLANE_OK;
  rc = cp_store_txn(ctx->store, t->ops, t->n);
  for (k = 0; rc == CPLANE_OK && k < t->n; k++) {
    struct quota *e = k < t->quotas ? &q[t->qidx[k]] : NULL;

    if (e == NULL) {
      t->of[k]->rev = t->ops[k].rev;
      continue;
    }
    cp_quota_versions_note(ctx->quota_versions, t->ops[k].key, t->ops[k].rev,
                           t->texts[k], t->ops[k].value_len);
    /* Its object as charged is that version: the next round takes it. */
    cp_verbs_set_rv(e->obj, t->ops[k].rev);
    cp_quota_versions_keep(ctx->quota_versions, e->key, t->ops[k].rev,
                           e->obj);
    e->obj = NULL;
  }
  return rc;
}

/* After the round's transaction (rc): settles what it decided. A write
 * in it is admitted when it committed; a create whose name was taken
 * is done, uncharged (its verb answers); on a lost quota revision or a
 * failure everything stays for the next round, but a store error ends
 * the writes in it. A refusal stands once the transaction committed (or
 * had nothing of another write) on the store's versions (fresh). Sets
 * *lost when the next round must read the store's versions. Returns
 * how many are still to charge. */
static size_t settle(struct txn *t, int rc, int fresh, struct pending **p,
                     size_t m, int *lost) {
  size_t k, left = 0;
  int quota_lost = 0, exists = 0;

  for (k = 0; k < t->n; k++) {
    quota_lost |= k < t->quotas && t->ops[k].rc == CP_STORE_ECONFLICT;
    if (k >= t->quotas && t->ops[k].rc == CP_STORE_EEXISTS) {
      t->of[k]->store_rc = CP_STORE_EEXISTS;
      t->of[k]->rc = 0;
      exists = 1;
    }
  }
  if (rc != CPLANE_OK && !quota_lost && !exists)
    for (k = 0; k < m; k++)
      if (p[k]->rc == 1 && p[k]->in_txn) {
        /* The store failed the whole write: each create answers it. */
        p[k]->store_rc = rc;
        p[k]->rc = 0;
        if (p[k]->key == NULL) {
          respond_store_error(p[k]->rs, rc);
          p[k]->rc = -1;
        }
      }
  *lost |= quota_lost;
  for (k = 0; k < m; k++) {
    struct pending *e = p[k];

    if (e->rc != 1)
      continue;
    if (e->refused && fresh && (rc == CPLANE_OK || t->n == 0)) {
      cp_api_respond_status(e->rs, e->held.code, e->held.body);
      e->held.body = NULL;
      e->rc = -1;
    } else if (e->in_txn && rc == CPLANE_OK) {
      e->store_rc = CPLANE_OK;
      e->rc = 0;
    } else {
      /* Refused on versions the store may have left behind: the next
       * round judges it on the store's. */
      *lost |= e->refused && !fresh;
      left++;
    }
  }
  return left;
}

/* Whether key is one of the quotas read: a create of it (a quota named
 * as one that exists) is refused for its taken name, as the store would,
 * without a transaction that names the key twice. */
static int is_quota_key(const struct quota *q, int n, const char *key) {
  int i;

  for (i = 0; i < n; i++)
    if (strcmp(q[i].key, key) == 0)
      return 1;
  return 0;
}

/* Judges the writes still to charge, in order, on the quotas read, and
 * marks those charged (in_txn) or refused; a create that no longer fits
 * the transaction waits for the next round. 0, or -1 when a charge
 * failed half way (poisoned: nothing of the round is written). */
static int judge_all(struct cp_api_ctx *ctx, struct txn *t, struct quota *q,
                     int n, struct cplane_quota_list *req,
                     unsigned char *dirty, struct pending **p, size_t m) {
  size_t k;
  int i, j;

  for (i = 0; i < n; i++)
    t->bytes += strlen(q[i].key) + q[i].text_len + 1024; /* grows a little */
  for (k = 0; k < m; k++) {
    struct pending *e = p[k];

    e->in_txn = e->refused = 0;
    if (e->rc != 1)
      continue;
    free(e->held.body);
    memset(&e->held, 0, sizeof e->held);
    if (e->key != NULL && is_quota_key(q, n, e->key)) {
      e->store_rc = CP_STORE_EEXISTS;
      e->rc = 0;
      continue;
    }
    if (!fits(ctx, t, n, p, m, e))
      continue;
    if ((j = judge_one(e, q, n, req, dirty)) == -2) {
      cp_api_respond_status(e->rs, e->held.code, e->held.body);
      e->held.body = NULL;
      e->rc = -1;
      return -1;
    }
    if (j < 0) {
      e->refused = 1;
    } else if (cp_verbs_dry_run(e->rq)) {
      e->rc = 0;
    } else {
      e->in_txn = 1;
      t->creates += e->key != NULL;
      t->bytes += e->key != NULL ? strlen(e->key) + strlen(e->text) : 0;
    }
  }
  return 0;
}

/* One round over the batch's writes still to charge: read the quotas
 * (from the store when fresh, else as this server knows them), judge and
 * charge each write in turn, then write every charged quota and every
 * create in one store transaction. Returns how many are still to
 * charge; *lost is set when a quota changed under the round or a write
 * was refused on a version the store may have left behind. */
static size_t round_once(struct cp_api_ctx *ctx, const char *ns, int fresh,
                         struct pending **p, size_t m, int *lost) {
  struct quota q[MAX_QUOTAS];
  struct cplane_quota_list *req = NULL;
  struct txn *t = NULL;
  unsigned char dirty[MAX_QUOTAS] = {0};
  int n, err = 0, rc;
  size_t k, left = 0;

  *lost = 0;
  if ((n = quotas_read(ctx, ns, fresh, q, &err)) < 0 && !fresh) {
    /* The store's versions will tell (or answer its error). */
    *lost = 1;
    for (k = 0; k < m; k++)
      left += p[k]->rc == 1;
    return left;
  }
  /* Neither is zeroed: the transaction's arrays (10 KB) are written up
   * to its counts, and each request list (13 KB) is emptied by its count
   * before it is judged (judge_one). */
  if (n < 0 || (t = malloc(sizeof *t)) == NULL ||
      (n > 0 && (req = malloc((size_t)n * sizeof *req)) == NULL)) {
    if (n >= 0) {
      quotas_free(q, (size_t)n);
      err = CPLANE_ENOMEM;
    }
    for (k = 0; k < m; k++)
      if (p[k]->rc == 1) {
        respond_store_error(p[k]->rs, err);
        p[k]->rc = -1;
      }
    free(t);
    return 0;
  }
  t->n = t->quotas = t->creates = t->bytes = 0;
  if (judge_all(ctx, t, q, n, req, dirty, p, m) < 0) {
    *lost = 1; /* re-read: the quotas in memory hold a part charge */
    for (k = 0; k < m; k++)
      left += p[k]->rc == 1;
  } else {
    rc = txn_commit(ctx, t, q, n, dirty, p, m);
    left = settle(t, rc, fresh, p, m, lost);
  }
  while (t->quotas > 0)
    free(t->texts[--t->quotas]);
  free(t);
  free(req);
  quotas_free(q, (size_t)n);
  return left;
}

/* quota_batch's function: the rounds of one namespace's batch. A round
 * that commits may leave creates for the next (one transaction holds
 * what fits); rounds that lose a race are bounded. */
static void charge_batch(void *arg, struct cp_quota_batch_entry **batch,
                         size_t m) {
  struct pending *p[CP_QUOTA_BATCH_MAX];
  size_t k, left = m;
  int fresh = 0, lost = 0, races = 0, round;

  for (k = 0; k < m; k++)
    p[k] = batch[k]->data;
  /* A round on the versions this server knows, then on the store's
   * after each lost race, up to CAS_ROUNDS of those. */
  for (round = 0; left > 0 && races <= CAS_ROUNDS &&
                  round <= (int)m + CAS_ROUNDS;
       round++) {
    left = round_once(arg, batch[0]->ns, fresh, p, m, &lost);
    fresh = lost;
    races += lost;
  }
  for (k = 0; k < m; k++)
    if (p[k]->rc == 1) {
      /* Still racing other servers: kube gives up the same way. */
      cp_verbs_conflict(p[k]->rs, p[k]->rq->type,
                        cp_field_str(p[k]->o, "metadata.name"));
      p[k]->rc = -1;
    }
}

/* What a write of o (old: the stored object on update, else NULL)
 * costs its namespace's quotas, filled into the caller's lists (now,
 * before, delta: 3 lists) and *snap. 1 when there is a charge to make,
 * 0 when none (no quota in the namespace, or nothing it counts), -1
 * having responded 500. */
static int cost_of(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                   json_object *o, json_object *old,
                   struct cplane_quota_list *lists, cplane_object **snap,
                   struct cp_api_response *rs) {
  cplane_object *old_snap = NULL;
  long have;

  /* Most namespaces have no quota: the cache says so without a read
   * (and without parsing the quotas: they are read when charged). */
  if ((have = cp_policy_count(ctx, CP_POLICY_RESOURCEQUOTAS, rq->ns)) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  if (have == 0)
    return 0;
  *snap = cp_object_from_json_c_unmanaged(o);
  if (old != NULL)
    old_snap = cp_object_from_json_c_unmanaged(old);
  if (*snap == NULL || (old != NULL && old_snap == NULL)) {
    cp_object_release(old_snap);
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  usage_of(rq->type, *snap, &lists[0]);
  cplane_quota_clear(&lists[1]);
  if (old != NULL)
    usage_of(rq->type, old_snap, &lists[1]);
  cp_object_release(old_snap);
  delta_of(&lists[0], &lists[1], &lists[2]);
  return lists[2].n > 0;
}

/* Charges p (filled in but for delta and snap) for a write of o:
 * joins its namespace's batch when it costs something. 0 with p->rc 0
 * when admitted (p->store_rc: a create's store result), -1 having
 * responded, 1 when there was nothing to charge. */
static int charge_write(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                        json_object *o, json_object *old, struct pending *p,
                        struct cp_api_response *rs) {
  /* On the stack (39 KB, as judge_limit's): malloc'd, each write's
   * free of it merged into the heap's top and consolidated the heap
   * (malloc_consolidate, sysmalloc, madvise: about 5 us a write). */
  struct cplane_quota_list lists[3];
  cplane_object *snap = NULL;
  struct cp_quota_batch_entry e;
  int rc;

  rc = cost_of(ctx, rq, o, old, lists, &snap, rs);
  if (rc == 1) {
    p->o = o;
    p->snap = snap;
    p->delta = &lists[2];
    p->rs = rs;
    p->rc = 1;
    e = (struct cp_quota_batch_entry){.ns = rq->ns, .data = p};
    cp_quota_batch_join(&e, charge_batch, ctx);
    rc = p->rc;
  } else if (rc == 0) {
    rc = 1;
  }
  free(p->held.body);
  cp_object_release(snap);
  return rc;
}

int cp_admission_quota(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                       json_object *o, json_object *old,
                       struct cp_api_response *rs) {
  struct pending p;

  /* A create is charged where it is written (cp_admission_quota_create)
   * but for a dry run, which is judged here and written nowhere. */
  if (!handles(rq, old) || (old == NULL && !cp_verbs_dry_run(rq)))
    return 0;
  memset(&p, 0, sizeof p);
  p.rq = rq;
  return charge_write(ctx, rq, o, old, &p, rs) < 0 ? -1 : 0;
}

int cp_admission_quota_create(struct cp_api_ctx *ctx,
                              struct cp_api_request *rq, json_object *o,
                              const char *key, const char *text, int64_t *rev,
                              struct cp_api_response *rs) {
  struct pending p;
  int rc;

  CP_ASSERT(!cp_verbs_dry_run(rq));
  if (!handles(rq, NULL))
    return cp_store_create(ctx->store, key, strlen(key), text, strlen(text),
                           rev);
  memset(&p, 0, sizeof p);
  p.rq = rq;
  p.key = key;
  p.text = text;
  rc = charge_write(ctx, rq, o, NULL, &p, rs);
  if (rc == 1)
    return cp_store_create(ctx->store, key, strlen(key), text, strlen(text),
                           rev);
  if (rc < 0)
    return CP_ADMISSION_QUOTA_RESPONDED;
  if (p.store_rc == CPLANE_OK)
    *rev = p.rev;
  return p.store_rc;
}
