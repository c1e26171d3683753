/*
 * verbs_eviction - POST pods/NAME/eviction (policy/v1 Eviction): deletes
 * the pod, honouring the Eviction's deleteOptions, unless the one
 * PodDisruptionBudget selecting it allows no disruption (429). The rules
 * are kube's eviction REST (pkg/registry/core/pod/storage/eviction.go):
 *
 *   - a pod Pending, Succeeded, Failed or already terminating goes
 *     without a budget check (it disrupts nothing more);
 *   - more than one budget selecting the pod is a 500;
 *   - otherwise the budget's status.disruptionsAllowed is decremented
 *     and status.disruptedPods[pod] set by a compare-and-swap write of
 *     the budget before the delete, retried on conflict: two concurrent
 *     evictions cannot both spend the last disruption;
 *   - the pod is marked DisruptionTarget (eviction_condition.h) and then
 *     deleted.
 *
 * Nothing maintains a budget's status yet (the disruption controller
 * belongs to the workload controllers' issue). Where kube answers 429
 * "being processed" because status.observedGeneration < generation, this
 * server computes the status as the disruption controller would (healthy
 * selected pods against minAvailable/maxUnavailable) and leaves
 * observedGeneration alone, so the next eviction computes it again; a
 * status a controller observed is used as kube uses it.
 *
 * Threading: runs on the calling request worker; the store is the only
 * shared state and the budget's CAS is what serializes evictions.
 * Ownership: every object read here is owned and put before returning.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/audit/audit.h"
#include "apiserver/eviction_condition.h"
#include "apiserver/resources.h"
#include "apiserver/status.h"
#include "apiserver/strategy/pod_template.h"
#include "apiserver/verbs.h"

#define EVICT_MESSAGE                                                          \
  "Cannot evict pod as it would violate the pod's disruption budget."
/* kube's policyv1.DisruptionBudgetCause. */
#define EVICT_CAUSE "DisruptionBudget"
/* kube's MaxDisruptedPodSize: more unconfirmed evictions are refused. */
#define EVICT_MAX_DISRUPTED 2000
/* The disruption controller's DeletionTimeout: an eviction that did not
 * delete its pod within it no longer keeps the pod out of the healthy. */
#define EVICT_DELETION_TIMEOUT_S 120
/* The number of pods or budgets one eviction looks at, as a bound. */
#define EVICT_MAX_OBJECTS 100000

struct eviction {
  struct cp_api_ctx *ctx;
  struct cp_api_request *rq;
  struct cp_api_response *rs;
  json_object *opts; /* the DeleteOptions to delete with; owned */
  int dry;
  int rv_given; /* opts carried preconditions.resourceVersion */
};

/* ------------------------------------------------------------ helpers */

static int64_t get_int(json_object *o, const char *k, int64_t dflt) {
  json_object *v = get(o, k);

  return v != NULL && json_object_is_type(v, json_type_int)
             ? json_object_get_int64(v)
             : dflt;
}

static int str_eq(const char *a, const char *b) {
  return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int pod_ready(json_object *pod) {
  json_object *c = get(get(pod, "status"), "conditions");
  size_t i;

  if (c == NULL || !json_object_is_type(c, json_type_array))
    return 0;
  for (i = 0; i < json_object_array_length(c); i++) {
    json_object *e = json_object_array_get_idx(c, i);

    if (str_eq(get_str(e, "type"), "Ready"))
      return str_eq(get_str(e, "status"), "True");
  }
  return 0;
}

static int terminating(json_object *o) {
  return get(get(o, "metadata"), "deletionTimestamp") != NULL;
}

/* kube's canIgnorePDB: the pod disrupts nothing more by going. */
static int can_ignore_budget(json_object *pod) {
  const char *phase = get_str(get(pod, "status"), "phase");

  return str_eq(phase, "Succeeded") || str_eq(phase, "Failed") ||
         str_eq(phase, "Pending") || terminating(pod);
}

/* Every object of resource (group/version) in ns, parsed; NULL on a
 * store failure or out of memory. */
static json_object *list_objects(struct eviction *e, const char *group,
                                 const char *resource) {
  const struct cp_resource_type *t =
      cp_resources_find(e->ctx->resources, group, "v1", resource);
  char *prefix = t != NULL ? cp_api_key(t, e->rq->ns, NULL) : NULL;
  cp_store_list_result res;
  json_object *arr = NULL;
  size_t i;

  memset(&res, 0, sizeof res);
  if (prefix == NULL ||
      cp_store_list(e->ctx->store, prefix, strlen(prefix), NULL, 0, 0,
                    EVICT_MAX_OBJECTS, &res) != CPLANE_OK)
    goto out;
  if ((arr = json_object_new_array()) == NULL)
    goto out;
  for (i = 0; i < res.count; i++) {
    json_object *o = cp_api_parse_stored(t, &res.kvs[i]);

    if (o != NULL)
      json_object_array_add(arr, o);
  }
out:
  cp_store_list_result_free(&res);
  free(prefix);
  return arr;
}

/* One object of resource in ns, with its revision; NULL when absent. */
static json_object *read_object(struct eviction *e, const char *group,
                                const char *resource, const char *name,
                                int64_t *rev) {
  const struct cp_resource_type *t =
      cp_resources_find(e->ctx->resources, group, "v1", resource);
  char *key = t != NULL && name != NULL ? cp_api_key(t, e->rq->ns, name)
                                        : NULL;
  cp_store_kv kv;
  json_object *o = NULL;

  memset(&kv, 0, sizeof kv);
  if (key != NULL &&
      cp_store_get(e->ctx->store, key, strlen(key), 0, &kv, NULL) ==
          CPLANE_OK) {
    o = cp_api_parse_stored(t, &kv);
    if (rev != NULL)
      *rev = kv.mod_revision;
  }
  cp_store_kv_free(&kv);
  free(key);
  return o;
}

/* ------------------------------------------------------------ status */

/* intstr.GetScaledValueFromIntOrPercent(v, total, roundUp=true), as the
 * disruption controller scales minAvailable and maxUnavailable. -1 for a
 * value that is neither an integer nor "N%". */
static int64_t scaled(json_object *v, int64_t total) {
  const char *s;
  char *end;
  long long pct;

  if (json_object_is_type(v, json_type_int))
    return json_object_get_int64(v);
  if (!json_object_is_type(v, json_type_string))
    return -1;
  s = json_object_get_string(v);
  pct = strtoll(s, &end, 10);
  if (end == s || strcmp(end, "%") != 0 || pct < 0 || pct > 1000000)
    return -1;
  return (pct * total + 99) / 100;
}

/* The Deployment controlling ReplicaSet rs, or NULL. */
static json_object *controller_owner_deployment(struct eviction *e,
                                                json_object *rs) {
  json_object *refs = get(get(rs, "metadata"), "ownerReferences");
  size_t i;

  for (i = 0; refs != NULL && json_object_is_type(refs, json_type_array) &&
              i < json_object_array_length(refs);
       i++) {
    json_object *r = json_object_array_get_idx(refs, i);

    if (json_object_get_boolean(get(r, "controller")) &&
        str_eq(get_str(r, "kind"), "Deployment"))
      return read_object(e, "apps", "deployments", get_str(r, "name"), NULL);
  }
  return NULL;
}

/* The replicas a pod's controller wants, once per controller: a
 * ReplicaSet a Deployment controls counts as that Deployment, as the
 * disruption controller's finders do. seen collects controller uids.
 * 0 for a pod without a controller (ignored, as kube does); -1 for one
 * whose controller cannot be read. */
static int64_t controller_scale(struct eviction *e, json_object *pod,
                                json_object *seen) {
  json_object *refs = get(get(pod, "metadata"), "ownerReferences"), *ref = NULL;
  json_object *ctl = NULL, *up;
  const char *kind, *uid;
  int64_t n = -1;
  size_t i;

  for (i = 0; refs != NULL && json_object_is_type(refs, json_type_array) &&
              i < json_object_array_length(refs);
       i++) {
    json_object *r = json_object_array_get_idx(refs, i);

    if (json_object_get_boolean(get(r, "controller")))
      ref = r;
  }
  if (ref == NULL)
    return 0;
  kind = get_str(ref, "kind");
  if (str_eq(kind, "ReplicaSet"))
    ctl = read_object(e, "apps", "replicasets", get_str(ref, "name"), NULL);
  else if (str_eq(kind, "StatefulSet"))
    ctl = read_object(e, "apps", "statefulsets", get_str(ref, "name"), NULL);
  else if (str_eq(kind, "ReplicationController"))
    ctl = read_object(e, "", "replicationcontrollers", get_str(ref, "name"),
                      NULL);
  if (ctl == NULL)
    return -1;
  if (str_eq(kind, "ReplicaSet") &&
      (up = controller_owner_deployment(e, ctl)) != NULL) {
    json_object_put(ctl);
    ctl = up;
  }
  uid = get_str(get(ctl, "metadata"), "uid");
  n = 0;
  if (uid == NULL || get(seen, uid) == NULL) {
    n = get_int(get(ctl, "spec"), "replicas", 1);
    if (uid != NULL)
      json_object_object_add(seen, uid, json_object_new_boolean(1));
  }
  json_object_put(ctl);
  return n;
}

static int disrupted_recently(json_object *disrupted, const char *pod,
                              time_t now) {
  const char *ts = get_str(disrupted, pod);
  struct tm tm;

  memset(&tm, 0, sizeof tm);
  if (ts == NULL || strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    return 0;
  return timegm(&tm) + EVICT_DELETION_TIMEOUT_S > now;
}

/* The status the disruption controller would write for pdb over pods
 * (the namespace's): the selected pods that are Ready, not terminating
 * and not evicted within the deletion timeout are healthy; desired and
 * expected from minAvailable/maxUnavailable scaled against the
 * controllers' replicas; disruptedPods keeps what is still pending. A
 * controller it cannot read makes no disruption allowed (kube's fail
 * safe). */
static void compute_status(struct eviction *e, json_object *pdb,
                           json_object *pods) {
  json_object *spec = get(pdb, "spec"), *sel = get(spec, "selector");
  json_object *min = get(spec, "minAvailable");
  json_object *max = get(spec, "maxUnavailable");
  json_object *status = get(pdb, "status"), *old, *kept, *seen;
  int64_t healthy = 0, selected = 0, expected = 0, desired = 0, allowed, n;
  int fail = 0, by_scale = max != NULL ||
                           (min != NULL && !json_object_is_type(min, json_type_int));
  time_t now = time(NULL);
  size_t i;

  if (status == NULL || !json_object_is_type(status, json_type_object)) {
    status = json_object_new_object();
    json_object_object_add(pdb, "status", status);
  }
  old = get(status, "disruptedPods");
  kept = json_object_new_object();
  seen = json_object_new_object();
  for (i = 0; i < json_object_array_length(pods); i++) {
    json_object *pod = json_object_array_get_idx(pods, i);
    json_object *md = get(pod, "metadata");
    const char *name = get_str(md, "name");

    if (name == NULL || cp_label_selector_matches(sel, get(md, "labels")) != 1)
      continue;
    selected++;
    if (by_scale) {
      if ((n = controller_scale(e, pod, seen)) < 0)
        fail = 1;
      else
        expected += n;
    }
    if (terminating(pod))
      continue;
    if (disrupted_recently(old, name, now)) {
      json_object_object_add(kept, name,
                             json_object_get(get(old, name)));
      continue;
    }
    if (pod_ready(pod))
      healthy++;
  }
  if (max != NULL) {
    if ((n = scaled(max, expected)) < 0)
      fail = 1;
    desired = expected - n > 0 ? expected - n : 0;
  } else if (min != NULL && json_object_is_type(min, json_type_int)) {
    desired = json_object_get_int64(min);
    expected = selected;
  } else if (min != NULL) {
    if ((desired = scaled(min, expected)) < 0)
      fail = 1;
  }
  allowed = healthy - desired;
  if (fail || expected <= 0 || allowed < 0)
    allowed = 0;
  json_object_object_add(status, "disruptedPods", kept);
  json_object_object_add(status, "disruptionsAllowed",
                         json_object_new_int64(allowed));
  json_object_object_add(status, "currentHealthy",
                         json_object_new_int64(healthy));
  json_object_object_add(status, "desiredHealthy",
                         json_object_new_int64(desired));
  json_object_object_add(status, "expectedPods",
                         json_object_new_int64(expected));
  json_object_put(seen);
}

/* status.observedGeneration < metadata.generation: no controller has
 * looked at this generation of the budget. */
static int status_stale(json_object *pdb) {
  return get_int(get(pdb, "status"), "observedGeneration", 0) <
         get_int(get(pdb, "metadata"), "generation", 0);
}

/* ------------------------------------------------------------ answers */

/* A Status as kube's handler writes a returned one: reason and message
 * only when set, the code always (a create's 201 for a success). */
static void respond_plain_status(struct cp_api_response *rs, int code,
                                 const char *message) {
  json_object *o = json_object_new_object();

  set_str(o, "kind", "Status");
  set_str(o, "apiVersion", "v1");
  json_object_object_add(o, "metadata", json_object_new_object());
  set_str(o, "status", code < 400 ? "Success" : "Failure");
  if (message != NULL)
    set_str(o, "message", message);
  json_object_object_add(o, "code", json_object_new_int(code));
  cp_api_respond_status(rs, code, cp_api_to_text(o));
  json_object_put(o);
}

/* 429 with the budget named in a DisruptionBudget cause. */
static void respond_too_many(struct cp_api_response *rs, const char *cause,
                             int retry_after) {
  struct cp_status_cause c = {.reason = EVICT_CAUSE, .message = cause};
  struct cp_status_details d = {
      .causes = &c, .n_causes = 1, .retry_after_seconds = retry_after};

  cp_api_respond_status(rs, 429,
                        cp_status_failure(429, "TooManyRequests",
                                          EVICT_MESSAGE, &d));
}

/* kube's createTooManyRequestsError: the budget's status is not current. */
static void respond_being_processed(struct cp_api_response *rs,
                                    const char *pdb) {
  char msg[512];

  snprintf(msg, sizeof msg,
           "The disruption budget %s is still being processed by the server.",
           pdb);
  respond_too_many(rs, msg, 10);
}

/* 403 about the budget, as kube's NewForbidden(poddisruptionbudget). */
static void respond_budget_forbidden(struct cp_api_response *rs,
                                     const char *pdb, const char *why) {
  struct cp_status_details d = {
      .name = pdb, .group = "policy", .kind = "poddisruptionbudget"};
  char msg[512];

  snprintf(msg, sizeof msg,
           "poddisruptionbudget.policy \"%s\" is forbidden: %s", pdb, why);
  cp_api_respond_status(rs, 403, cp_status_failure(403, NULL, msg, &d));
}

/* ------------------------------------------------------------ steps */

/* Reads the Eviction: an object whose metadata.name is the URL's, with
 * deleteOptions an object when given; a dryRun on the query carries into
 * deleteOptions unless they name their own (kube's propagateDryRun).
 * Responds 400 and returns -1 otherwise. */
static int parse_eviction(struct eviction *e) {
  char *err = NULL;
  json_object *ev = cp_verbs_parse_body(e->rq->body, e->rq->body_len, &err);
  json_object *opts = get(ev, "deleteOptions"), *dry;
  int rc = -1;

  if (ev == NULL || !json_object_is_type(ev, json_type_object)) {
    cp_api_respond_status(e->rs, 400,
                          cp_status_failuref(400, "not a Eviction object: %s",
                                             err ? err : "not an object"));
    goto out;
  }
  if (cp_verbs_metadata_decodes("Eviction", "v1", ev, e->rs) < 0)
    goto out; /* not decoded: not logged either */
  cp_audit_subresource_object(e->rq, ev); /* as decoded, before checks */
  if (!str_eq(get_str(get(ev, "metadata"), "name"), e->rq->name)) {
    cp_api_respond_status(e->rs, 400,
                          cp_status_failure(400, NULL,
                                            "name in URL does not match name "
                                            "in Eviction object",
                                            NULL));
    goto out;
  }
  if (opts != NULL && !json_object_is_type(opts, json_type_object) &&
      !json_object_is_type(opts, json_type_null)) {
    cp_api_respond_status(e->rs, 400,
                          cp_status_failuref(400, "deleteOptions of the "
                                                  "Eviction is not an "
                                                  "object"));
    goto out;
  }
  e->opts = opts != NULL && json_object_is_type(opts, json_type_object)
                ? json_object_get(opts)
                : json_object_new_object();
  dry = get(e->opts, "dryRun");
  if ((dry == NULL || !json_object_is_type(dry, json_type_array) ||
       json_object_array_length(dry) == 0) &&
      cp_verbs_dry_run(e->rq)) {
    dry = json_object_new_array();
    json_object_array_add(dry, json_object_new_string("All"));
    json_object_object_add(e->opts, "dryRun", dry);
  }
  dry = get(e->opts, "dryRun");
  e->dry = dry != NULL && json_object_is_type(dry, json_type_array) &&
           json_object_array_length(dry) > 0;
  e->rv_given =
      get_str(get(e->opts, "preconditions"), "resourceVersion") != NULL;
  rc = 0;
out:
  free(err);
  json_object_put(ev);
  return rc;
}

/* Marks the pod DisruptionTarget and deletes it with the Eviction's
 * options, rv > 0 as the resourceVersion precondition unless the client
 * gave one. Answers the
 * delete's failure as it is, a success as the eviction's 201. */
static void delete_pod(struct eviction *e, int64_t rv) {
  struct cp_api_request drq = *e->rq;
  json_object *opts = NULL, *pre;
  char *text = NULL, num[32];

  if (json_object_deep_copy(e->opts, &opts, NULL) != 0) {
    cp_api_respond_status(e->rs, 500, NULL);
    return;
  }
  if (rv > 0 && !e->rv_given) {
    pre = get(opts, "preconditions");
    if (pre == NULL || !json_object_is_type(pre, json_type_object)) {
      pre = json_object_new_object();
      json_object_object_add(opts, "preconditions", pre);
    }
    snprintf(num, sizeof num, "%lld", (long long)rv);
    set_str(pre, "resourceVersion", num);
  }
  /* kube marks the pod DisruptionTarget first (not on a dry run). */
  if (!e->dry && cp_eviction_mark_disruption(e->ctx, e->rq, opts, e->rs) != 0)
    goto out;
  if ((text = cp_api_to_text(opts)) == NULL) {
    cp_api_respond_status(e->rs, 500, NULL);
    goto out;
  }
  drq.method = CP_API_DELETE;
  drq.subresource = NULL;
  drq.body = text;
  drq.body_len = strlen(text);
  cp_verb_delete(e->ctx, &drq, e->rs);
  if (e->rs->code >= 200 && e->rs->code < 300)
    respond_plain_status(e->rs, 201, NULL);
out:
  free(text);
  json_object_put(opts);
}

/* The one budget in the pod's namespace selecting pod, by name into
 * name (NULL when none); -1 (responded) on a failure or for more than
 * one. An empty or malformed selector selects nothing, as kube. */
static int find_budget(struct eviction *e, json_object *pod, char *name,
                       size_t len) {
  json_object *pdbs = list_objects(e, "policy", "poddisruptionbudgets");
  json_object *labels = get(get(pod, "metadata"), "labels");
  size_t i, found = 0;

  name[0] = '\0';
  if (pdbs == NULL) {
    cp_api_respond_status(e->rs, 500, NULL);
    return -1;
  }
  for (i = 0; i < json_object_array_length(pdbs); i++) {
    json_object *p = json_object_array_get_idx(pdbs, i);
    json_object *sel = get(get(p, "spec"), "selector");
    const char *n = get_str(get(p, "metadata"), "name");

    if (n == NULL || cp_label_selector_empty(sel) ||
        cp_label_selector_matches(sel, labels) != 1)
      continue;
    if (found++ == 0)
      snprintf(name, len, "%s", n);
  }
  json_object_put(pdbs);
  if (found > 1) {
    respond_plain_status(e->rs, 500,
                         "This pod has more than one PodDisruptionBudget, "
                         "which the eviction subresource does not support.");
    return -1;
  }
  return 0;
}

/* kube's checkAndDecrement on pdb's status (computed here unless a
 * controller observed it), the pod recorded as disrupted now. Responds
 * and returns -1 when the budget refuses. */
static int check_and_decrement(struct eviction *e, json_object *pdb,
                               const char *name, int computed) {
  json_object *status = get(pdb, "status"), *dis;
  int64_t allowed = get_int(status, "disruptionsAllowed", 0);
  char msg[512], ts[32];

  if (!computed && status_stale(pdb)) {
    respond_being_processed(e->rs, name);
    return -1;
  }
  if (allowed < 0) {
    respond_budget_forbidden(e->rs, name, "pdb disruptions allowed is negative");
    return -1;
  }
  dis = get(status, "disruptedPods");
  if (dis != NULL && json_object_is_type(dis, json_type_object) &&
      json_object_object_length(dis) > EVICT_MAX_DISRUPTED) {
    respond_budget_forbidden(e->rs, name,
                             "DisruptedPods map too big - too many evictions "
                             "not confirmed by PDB controller");
    return -1;
  }
  if (allowed == 0) {
    snprintf(msg, sizeof msg,
             "The disruption budget %s needs %lld healthy pods and has %lld "
             "currently",
             name, (long long)get_int(status, "desiredHealthy", 0),
             (long long)get_int(status, "currentHealthy", 0));
    respond_too_many(e->rs, msg, 0);
    return -1;
  }
  json_object_object_add(status, "disruptionsAllowed",
                         json_object_new_int64(allowed - 1));
  if (dis == NULL || !json_object_is_type(dis, json_type_object)) {
    dis = json_object_new_object();
    json_object_object_add(status, "disruptedPods", dis);
  }
  cp_verbs_now_rfc3339(ts, sizeof ts);
  set_str(dis, e->rq->name, ts);
  return 0;
}

/* A pod that is not Ready counts for nothing: kube deletes it without
 * spending a disruption when the budget says AlwaysAllow, or when the
 * budget is met without it. */
static int unready_may_go(json_object *pdb) {
  json_object *status = get(pdb, "status");
  int64_t desired = get_int(status, "desiredHealthy", 0);

  return str_eq(get_str(get(pdb, "spec"), "unhealthyPodEvictionPolicy"),
                "AlwaysAllow") ||
         (desired > 0 && get_int(status, "currentHealthy", 0) >= desired);
}

/* Spends one of budget name's disruptions on the pod by a CAS write of
 * the budget's status, retried on conflict. *unready is set instead when
 * the pod is not Ready and the budget is met without it (kube deletes it
 * then under a resourceVersion precondition, spending nothing). Returns
 * 0 to go on deleting, -1 responded. */
static int spend_disruption(struct eviction *e, json_object *pod,
                            const char *name, int *unready) {
  const struct cp_resource_type *pt = cp_resources_find(
      e->ctx->resources, "policy", "v1", "poddisruptionbudgets");
  struct cp_api_request prq;
  struct cp_api_response scratch;
  json_object *pdb = NULL, *pods = NULL;
  char *key = NULL, msg[512];
  int64_t rev = 0;
  int attempt, rc = -1, computed;

  memset(&prq, 0, sizeof prq);
  prq.method = CP_API_PUT;
  prq.type = pt;
  prq.ns = e->rq->ns;
  prq.name = (char *)name;
  prq.subresource = "status";
  if (pt == NULL || (key = cp_api_key(pt, e->rq->ns, name)) == NULL) {
    cp_api_respond_status(e->rs, 500, NULL);
    goto out;
  }
  for (attempt = 0; attempt < CP_VERBS_CAS_RETRIES; attempt++) {
    json_object_put(pdb);
    if ((pdb = read_object(e, "policy", "poddisruptionbudgets", name,
                           &rev)) == NULL) {
      cp_verbs_not_found(e->rs, pt, name);
      goto out;
    }
    if ((computed = status_stale(pdb))) {
      json_object_put(pods);
      if ((pods = list_objects(e, "", "pods")) == NULL) {
        cp_api_respond_status(e->rs, 500, NULL);
        goto out;
      }
      compute_status(e, pdb, pods);
    }
    if (!pod_ready(pod) && unready_may_go(pdb)) {
      *unready = 1;
      rc = 0;
      goto out;
    }
    if (check_and_decrement(e, pdb, name, computed) != 0)
      goto out;
    if (e->dry) {
      rc = 0;
      goto out;
    }
    memset(&scratch, 0, sizeof scratch);
    rc = cp_verbs_write_over(e->ctx, &prq, key, pdb, rev, &scratch, 0);
    free(scratch.body);
    if (rc == CPLANE_OK) {
      rc = 0;
      goto out;
    }
    if (rc != CP_STORE_ECONFLICT) {
      cp_verbs_store_error(e->rs, rc);
      rc = -1;
      goto out;
    }
    rc = -1;
  }
  /* kube's NewTimeoutError(..., 10) once its retries are spent. */
  {
    struct cp_status_details d = {.retry_after_seconds = 10};

    snprintf(msg, sizeof msg,
             "Timeout: couldn't update PodDisruptionBudget \"%s\" due to "
             "conflicts",
             name);
    cp_api_respond_status(e->rs, 504,
                          cp_status_failure(504, "Timeout", msg, &d));
  }
out:
  free(key);
  json_object_put(pdb);
  json_object_put(pods);
  return rc;
}

/* kube's shouldEnforceResourceVersion: a pod neither terminal nor
 * terminating could become Ready between the read and the delete. */
static int enforce_rv(json_object *pod) {
  const char *phase = get_str(get(pod, "status"), "phase");

  return !str_eq(phase, "Succeeded") && !str_eq(phase, "Failed") &&
         !terminating(pod);
}

void cp_verb_eviction(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                      struct cp_api_response *rs) {
  struct eviction e = {.ctx = ctx, .rq = rq, .rs = rs};
  json_object *pod = NULL;
  char *key = cp_api_key(rq->type, rq->ns, rq->name), budget[256];
  int64_t rev = 0;
  int attempt, unready = 0;

  if (key == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  if (parse_eviction(&e) != 0)
    goto out;
  /* A pod whose going disrupts nothing is deleted straight away,
   * retried while it changes under the delete's precondition. */
  for (attempt = 0; attempt < CP_VERBS_CAS_RETRIES; attempt++) {
    json_object_put(pod);
    if ((pod = cp_verbs_read_current(ctx, rq, key, &rev, rs)) == NULL)
      goto out;
    if (!can_ignore_budget(pod))
      break;
    delete_pod(&e, enforce_rv(pod) ? rev : 0);
    if (rs->code != 409 || e.rv_given)
      goto out;
  }
  if (attempt == CP_VERBS_CAS_RETRIES)
    goto out; /* the last 409 stands */
  if (find_budget(&e, pod, budget, sizeof budget) != 0)
    goto out;
  if (budget[0] != '\0' && spend_disruption(&e, pod, budget, &unready) != 0)
    goto out;
  delete_pod(&e, unready ? rev : 0);
  if (unready && rs->code == 409 && !e.rv_given)
    respond_being_processed(rs, budget);
out:
  free(key);
  json_object_put(e.opts);
  json_object_put(pod);
}
