/*
 * admission_limitranger - see admission_limitranger.h.
 */
#include "apiserver/admission_limitranger.h"

#include <cplane/quota.h>
#include <cplane/strbuf.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/policy_cache.h"
#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/quantity.h"
#include "apiserver/verbs.h"
#include "object/object.h"
#include "plugin/plugin.h"

#define ANNOTATION "kubernetes.io/limit-ranger"
/* Messages kept per write; kube's aggregate has no bound, a pod with
 * more violations than this hears the first ones. */
#define MAX_MSGS 32
#define MAX_ITEMS 64

static const char *const container_lists[] = {"spec.containers",
                                              "spec.initContainers"};

/* One observed or enforced amount: exact for comparing, kube's
 * Quantity.String() for messages. */
struct amt {
  int present;
  cp_quantity nano;
  char text[CPLANE_QUANTITY_LEN + 16];
};

static void amt_of(json_object *v, struct amt *a) {
  const char *s = v != NULL ? json_object_get_string(v) : NULL;
  int64_t milli;
  int format;

  memset(a, 0, sizeof *a);
  if (v == NULL || cp_quantity_parse(v, &a->nano) < 0)
    return;
  a->present = 1;
  if (cplane_quantity_parse_milli(s, &milli, &format) == CPLANE_OK)
    cplane_quota_format(milli, format, a->text, sizeof a->text);
  else
    snprintf(a->text, sizeof a->text, "%s", s);
}

static void amt_of_item(const struct cplane_quota_item *it, struct amt *a) {
  memset(a, 0, sizeof *a);
  if (it == NULL)
    return;
  a->present = 1;
  a->nano = (cp_quantity)it->milli * 1000000;
  cplane_quota_format(it->milli, it->format, a->text, sizeof a->text);
}

/* The messages of one check, deduplicated as kube's aggregate. */
struct msgs {
  char *v[MAX_MSGS];
  int n;
};

static void msg_add(struct msgs *m, char *s) {
  int i;

  if (s == NULL)
    return;
  for (i = 0; i < m->n; i++)
    if (strcmp(m->v[i], s) == 0)
      break;
  if (i < m->n || m->n == MAX_MSGS) {
    free(s);
    return;
  }
  m->v[m->n++] = s;
}

static char *fmt_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *fmt_msg(const char *fmt, ...) {
  va_list ap;
  char *s = NULL;
  int n;

  va_start(ap, fmt);
  n = vasprintf(&s, fmt, ap);
  va_end(ap);
  return n < 0 ? NULL : s;
}

/* kube's minConstraint. */
static void check_min(struct msgs *m, const char *type, const char *res,
                      const struct amt *enf, const struct amt *req,
                      const struct amt *lim) {
  if (!req->present)
    msg_add(m, fmt_msg("minimum %s usage per %s is %s.  No request is "
                       "specified",
                       res, type, enf->text));
  else if (req->nano < enf->nano)
    msg_add(m, fmt_msg("minimum %s usage per %s is %s, but request is %s",
                       res, type, enf->text, req->text));
  else if (lim->present && lim->nano < enf->nano)
    msg_add(m, fmt_msg("minimum %s usage per %s is %s, but limit is %s", res,
                       type, enf->text, lim->text));
}

/* kube's maxConstraint. */
static void check_max(struct msgs *m, const char *type, const char *res,
                      const struct amt *enf, const struct amt *req,
                      const struct amt *lim) {
  if (!lim->present)
    msg_add(m, fmt_msg("maximum %s usage per %s is %s.  No limit is "
                       "specified",
                       res, type, enf->text));
  else if (lim->nano > enf->nano)
    msg_add(m, fmt_msg("maximum %s usage per %s is %s, but limit is %s", res,
                       type, enf->text, lim->text));
  else if (req->present && req->nano > enf->nano)
    msg_add(m, fmt_msg("maximum %s usage per %s is %s, but request is %s",
                       res, type, enf->text, req->text));
}

/* kube's maxRequestConstraint (claims: only the request counts). */
static void check_max_request(struct msgs *m, const char *type,
                              const char *res, const struct amt *enf,
                              const struct amt *req) {
  if (!req->present)
    msg_add(m, fmt_msg("maximum %s usage per %s is %s.  No request is "
                       "specified",
                       res, type, enf->text));
  else if (req->nano > enf->nano)
    msg_add(m, fmt_msg("maximum %s usage per %s is %s, but request is %s",
                       res, type, enf->text, req->text));
}

/* kube's limitRequestRatioConstraint. */
static void check_ratio(struct msgs *m, const char *type, const char *res,
                        const struct amt *enf, const struct amt *req,
                        const struct amt *lim) {
  double ratio;

  if (!req->present || req->nano == 0) {
    msg_add(m, fmt_msg("%s max limit to request ratio per %s is %s, but no "
                       "request is specified or request is 0",
                       res, type, enf->text));
    return;
  }
  if (!lim->present || lim->nano == 0) {
    msg_add(m, fmt_msg("%s max limit to request ratio per %s is %s, but no "
                       "limit is specified or limit is 0",
                       res, type, enf->text));
    return;
  }
  ratio = (double)lim->nano / (double)req->nano;
  if (ratio * 1e9 > (double)enf->nano)
    msg_add(m, fmt_msg("%s max limit to request ratio per %s is %s, but "
                       "provided ratio is %f",
                       res, type, enf->text, ratio));
}

static int key_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of a ResourceList, sorted (kube ranges over a map: its order
 * is random, ours fixed). Returns how many (<= max). */
static size_t sorted_keys(json_object *rl, const char **keys, size_t max) {
  size_t n = 0;

  if (!json_object_is_type(rl, json_type_object))
    return 0;
  json_object_object_foreach(rl, k, v) {
    (void)v;
    if (n < max)
      keys[n++] = k;
  }
  qsort(keys, n, sizeof *keys, key_cmp);
  return n;
}

/* Runs min, max and ratio of one item against one requests/limits pair
 * (lookup gives the observed amounts per resource). */
typedef void (*observe_fn)(void *arg, const char *res, struct amt *req,
                           struct amt *lim);

static void check_item(struct msgs *m, json_object *item, const char *type,
                       observe_fn observe, void *arg, int claim) {
  static const char *const kinds[] = {"min", "max", "maxLimitRequestRatio"};
  const char *keys[MAX_ITEMS];
  struct amt enf, req, lim;
  size_t k, i, n;

  for (k = 0; k < 3; k++) {
    json_object *rl = json_object_object_get(item, kinds[k]);

    n = sorted_keys(rl, keys, MAX_ITEMS);
    for (i = 0; i < n; i++) {
      amt_of(json_object_object_get(rl, keys[i]), &enf);
      if (!enf.present)
        continue;
      observe(arg, keys[i], &req, &lim);
      if (k == 0)
        check_min(m, type, keys[i], &enf, &req, &lim);
      else if (k == 1 && claim)
        check_max_request(m, type, keys[i], &enf, &req);
      else if (k == 1)
        check_max(m, type, keys[i], &enf, &req, &lim);
      else if (!claim)
        check_ratio(m, type, keys[i], &enf, &req, &lim);
    }
  }
}

/* Observed amounts of a JSON object with requests (and limits). */
struct json_rr {
  json_object *req, *lim;
};

static void observe_json(void *arg, const char *res, struct amt *req,
                         struct amt *lim) {
  struct json_rr *rr = arg;

  amt_of(json_object_is_type(rr->req, json_type_object)
             ? json_object_object_get(rr->req, res)
             : NULL,
         req);
  amt_of(json_object_is_type(rr->lim, json_type_object)
             ? json_object_object_get(rr->lim, res)
             : NULL,
         lim);
}

/* Observed amounts of a pod's sums (kube's podRequests/podLimits). */
struct pod_rr {
  struct cplane_quota_list req, lim;
};

static void observe_pod(void *arg, const char *res, struct amt *req,
                        struct amt *lim) {
  struct pod_rr *rr = arg;

  amt_of_item(cplane_quota_find(&rr->req, res), req);
  amt_of_item(cplane_quota_find(&rr->lim, res), lim);
}

static void check_pod_item(struct msgs *m, json_object *item, const char *type,
                           json_object *pod, struct pod_rr **sums) {
  size_t k, i, n;

  if (strcmp(type, "Container") == 0) {
    for (k = 0; k < 2; k++) {
      json_object *cs = cp_field_typed(pod, container_lists[k],
                                       json_type_array);

      n = cs != NULL ? json_object_array_length(cs) : 0;
      for (i = 0; i < n && i < CPLANE_QUOTA_MAX_CONTAINERS; i++) {
        json_object *r = cp_field_typed(json_object_array_get_idx(cs, i),
                                        "resources", json_type_object);
        struct json_rr rr = {json_object_object_get(r, "requests"),
                             json_object_object_get(r, "limits")};

        check_item(m, item, type, observe_json, &rr, 0);
      }
    }
    return;
  }
  if (strcmp(type, "Pod") != 0)
    return;
  if (*sums == NULL) {
    cplane_object *snap = cp_object_from_json_c(pod);

    *sums = calloc(1, sizeof **sums);
    if (*sums == NULL || snap == NULL) {
      cp_object_release(snap);
      return;
    }
    cplane_quota_pod_resources(cp_host_api(), snap, "requests", &(*sums)->req);
    cplane_quota_pod_resources(cp_host_api(), snap, "limits", &(*sums)->lim);
    cp_object_release(snap);
  }
  if (*sums != NULL)
    check_item(m, item, type, observe_pod, *sums, 0);
}

char *cp_limitranger_check(json_object *lrs, int is_pod, json_object *obj) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  struct pod_rr *sums = NULL;
  struct msgs m = {{NULL}, 0};
  size_t l, i, nl = json_object_array_length(lrs), ni;
  int k;

  for (l = 0; l < nl; l++) {
    json_object *items = cp_field_typed(json_object_array_get_idx(lrs, l),
                                        "spec.limits", json_type_array);

    ni = items != NULL ? json_object_array_length(items) : 0;
    for (i = 0; i < ni && i < MAX_ITEMS; i++) {
      json_object *item = json_object_array_get_idx(items, i);
      const char *type = cp_field_str(item, "type");

      if (type == NULL)
        continue;
      if (is_pod) {
        check_pod_item(&m, item, type, obj, &sums);
      } else if (strcmp(type, "PersistentVolumeClaim") == 0) {
        struct json_rr rr = {cp_field_at(obj, "spec.resources.requests"),
                             NULL};

        check_item(&m, item, type, observe_json, &rr, 1);
      }
    }
  }
  free(sums);
  if (m.n == 0)
    return NULL;
  /* kube's utilerrors aggregate: one error as itself, more in [..]. */
  cplane_strbuf_add(&b, m.n > 1 ? "[" : "");
  for (k = 0; k < m.n; k++) {
    cplane_strbuf_addf(&b, "%s%s", k ? ", " : "", m.v[k]);
    free(m.v[k]);
  }
  cplane_strbuf_add(&b, m.n > 1 ? "]" : "");
  return cplane_strbuf_finish(&b);
}

/* An item's default (limits == NULL) or defaultRequest, with kube's
 * SetDefaults_LimitRangeItem: default falls back to max; defaultRequest
 * to the defaulted default (limits: this item's, as computed first),
 * then min. A new object (owned). */
static json_object *item_defaults(json_object *item, json_object *limits) {
  static const char *const order[2][3] = {{"default", "max", NULL},
                                          {"defaultRequest", "default", "min"}};
  int request = limits != NULL, k;
  json_object *out = json_object_new_object();

  if (out == NULL)
    return NULL;
  for (k = 0; k < 3 && order[request][k] != NULL; k++) {
    json_object *rl = request && k == 1 ? limits
                                        : json_object_object_get(
                                              item, order[request][k]);

    if (!json_object_is_type(rl, json_type_object))
      continue;
    json_object_object_foreach(rl, key, v) {
      if (json_object_object_get(out, key) == NULL)
        json_object_object_add(out, key, json_object_get(v));
    }
  }
  return out;
}

/* Fills what a container lacks from d into its resources.<which>;
 * appends "cpu, memory <word> for <what> <name>" to parts. */
static void fill(json_object *c, json_object *d, const char *which,
                 const char *word, const char *what,
                 struct cplane_strbuf *parts) {
  const char *keys[MAX_ITEMS];
  json_object *res, *rl;
  size_t n = sorted_keys(d, keys, MAX_ITEMS), i, set = 0;

  if (n == 0)
    return;
  res = cp_field_obj(c, "resources");
  if (res == NULL) {
    res = json_object_new_object();
    json_object_object_add(c, "resources", res);
  }
  rl = json_object_object_get(res, which);
  if (!json_object_is_type(rl, json_type_object)) {
    rl = json_object_new_object();
    json_object_object_add(res, which, rl);
  }
  for (i = 0; i < n; i++) {
    json_object *v = NULL;

    if (json_object_object_get(rl, keys[i]) != NULL)
      continue;
    /* A copy: d's values are the policy cache's (cp_policy_with). */
    if (json_object_deep_copy(json_object_object_get(d, keys[i]), &v,
                              NULL) != 0)
      continue;
    json_object_object_add(rl, keys[i], v);
    cplane_strbuf_addf(parts, "%s%s", set++ ? ", " : (parts->len ? "; " : ""),
                       keys[i]);
  }
  if (set > 0)
    cplane_strbuf_addf(parts, " %s for %s %s", word, what,
                       cp_field_str(c, "name") ? cp_field_str(c, "name") : "");
}

/* One LimitRange's Container defaults on pod (kube's
 * mergePodResourceRequirements): requests then limits per container,
 * containers before init containers. */
static void default_one(json_object *lr, json_object *pod) {
  static const char *const what[] = {"container", "init container"};
  json_object *items = cp_field_typed(lr, "spec.limits", json_type_array);
  json_object *dreq = json_object_new_object(), *dlim = json_object_new_object();
  struct cplane_strbuf parts = CPLANE_STRBUF_INIT;
  size_t i, n = items != NULL ? json_object_array_length(items) : 0, k;
  char *text;

  for (i = 0; i < n && i < MAX_ITEMS && dreq != NULL && dlim != NULL; i++) {
    json_object *item = json_object_array_get_idx(items, i), *r, *l;
    const char *type = cp_field_str(item, "type");

    if (type == NULL || strcmp(type, "Container") != 0)
      continue;
    l = item_defaults(item, NULL);
    r = l != NULL ? item_defaults(item, l) : NULL;
    if (r == NULL || l == NULL) { /* out of memory: no defaults */
      json_object_put(r);
      json_object_put(l);
      continue;
    }
    json_object_object_foreach(r, rk, rv) {
      json_object_object_add(dreq, rk, json_object_get(rv));
    }
    json_object_object_foreach(l, lk, lv) {
      json_object_object_add(dlim, lk, json_object_get(lv));
    }
    json_object_put(r);
    json_object_put(l);
  }
  for (k = 0; k < 2 && dreq != NULL && dlim != NULL; k++) {
    json_object *cs = cp_field_typed(pod, container_lists[k], json_type_array);

    n = cs != NULL ? json_object_array_length(cs) : 0;
    for (i = 0; i < n && i < CPLANE_QUOTA_MAX_CONTAINERS; i++) {
      json_object *c = json_object_array_get_idx(cs, i);

      if (!json_object_is_type(c, json_type_object))
        continue;
      fill(c, dreq, "requests", "request", what[k], &parts);
      fill(c, dlim, "limits", "limit", what[k], &parts);
    }
  }
  text = cplane_strbuf_finish(&parts);
  if (text != NULL && text[0] != '\0') {
    json_object *md = cp_field_obj(pod, "metadata"), *ann;
    char *val = fmt_msg("LimitRanger plugin set: %s", text);

    ann = md != NULL ? json_object_object_get(md, "annotations") : NULL;
    if (md != NULL && !json_object_is_type(ann, json_type_object)) {
      ann = json_object_new_object();
      json_object_object_add(md, "annotations", ann);
    }
    if (ann != NULL && val != NULL)
      json_object_object_add(ann, ANNOTATION, json_object_new_string(val));
    free(val);
  }
  free(text);
  json_object_put(dreq);
  json_object_put(dlim);
}

void cp_limitranger_default_pod(json_object *lrs, json_object *pod) {
  size_t i, n = json_object_array_length(lrs);

  for (i = 0; i < n; i++)
    default_one(json_object_array_get_idx(lrs, i), pod);
}

/* 1 for the kinds and operations kube's LimitRanger acts on: pod
 * creates (a pod's resources cannot change), claim creates and updates;
 * never subresources. */
static int handles(const struct cp_api_request *rq, json_object *old,
                   int *is_pod) {
  const struct cp_resource_type *t = rq->type;

  *is_pod = 0;
  if (t->group[0] != '\0' || rq->ns == NULL || rq->subresource != NULL)
    return 0;
  if (strcmp(t->resource, "pods") == 0) {
    *is_pod = 1;
    return old == NULL;
  }
  return strcmp(t->resource, "persistentvolumeclaims") == 0;
}

/* What a step does with the namespace's LimitRanges, which it borrows
 * from the policy cache under its mutex (cp_policy_with: no copy of
 * them per create). */
struct lr_step {
  json_object *o;
  int is_pod, validate;
  char *why; /* validate: the refusal (malloc'd), or NULL */
};

static void lr_run(json_object *lrs, void *arg) {
  struct lr_step *st = arg;

  if (json_object_array_length(lrs) == 0)
    return;
  if (st->validate)
    st->why = cp_limitranger_check(lrs, st->is_pod, st->o);
  else
    cp_limitranger_default_pod(lrs, st->o);
}

static int lr_step_run(struct cp_api_ctx *ctx, const char *ns,
                       struct lr_step *st, struct cp_api_response *rs) {
  if (cp_policy_with(ctx, CP_POLICY_LIMITRANGES, ns, lr_run, st) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  return 0;
}

int cp_admission_limitranger_mutate(struct cp_api_ctx *ctx,
                                    struct cp_api_request *rq, json_object *o,
                                    json_object *old,
                                    struct cp_api_response *rs) {
  struct lr_step st = {.o = o, .is_pod = 1};
  int is_pod;

  if (!handles(rq, old, &is_pod) || !is_pod)
    return 0;
  return lr_step_run(ctx, rq->ns, &st, rs);
}

int cp_admission_limitranger_validate(struct cp_api_ctx *ctx,
                                      struct cp_api_request *rq,
                                      json_object *o, json_object *old,
                                      struct cp_api_response *rs) {
  struct lr_step st = {.o = o, .validate = 1};

  if (!handles(rq, old, &st.is_pod))
    return 0;
  if (lr_step_run(ctx, rq->ns, &st, rs) < 0)
    return -1;
  if (st.why == NULL)
    return 0;
  cp_verbs_forbidden(rs, rq->type, cp_field_str(o, "metadata.name"), st.why,
                     NULL);
  free(st.why);
  return -1;
}
