/*
 * admission_podsecurity - see admission_podsecurity.h.
 */
#include "apiserver/admission_podsecurity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/admission.h"
#include "apiserver/audit/audit.h"
#include "apiserver/nscache.h"
#include "apiserver/podsecurity_checks.h"
#include "apiserver/podsecurity_exemptions.h"
#include "apiserver/strategy/refuse.h"
#include "apiserver/verbs.h"
#include "log/log.h"

#define LABEL_PREFIX "pod-security.kubernetes.io/"
#define AUDIT_KEY LABEL_PREFIX "audit-violations"
/* corev1.SeccompContainerAnnotationKeyPrefix */
#define SECCOMP_PREFIX "container.seccomp.security.alpha.kubernetes.io/"
/* kube's EvaluatePodsInNamespace looks at this many pods at most. */
#define MAX_NS_PODS 3000
/* Versions beyond this count as invalid (kube accepts any v1.N; this
 * keeps the policy in the cache's int). */
#define MAX_MINOR 127

/* 0 and the level, or -1 when value is not a level. */
static int parse_level(const char *v) {
  if (strcmp(v, "privileged") == 0)
    return CP_PSA_PRIVILEGED;
  if (strcmp(v, "baseline") == 0)
    return CP_PSA_BASELINE;
  if (strcmp(v, "restricted") == 0)
    return CP_PSA_RESTRICTED;
  return -1;
}

/* "latest" 0, "v1.N" N (v1.0 counts as v1.1: every check is 1.0+),
 * else -1: kube's ParseVersion. */
static int parse_version(const char *v) {
  long n = 0;
  const char *p;

  if (strcmp(v, "latest") == 0)
    return 0;
  if (strncmp(v, "v1.", 3) != 0 || v[3] == '\0' ||
      (v[3] == '0' && v[4] != '\0'))
    return -1;
  for (p = v + 3; *p != '\0'; p++) {
    if (*p < '0' || *p > '9' || n > MAX_MINOR)
      return -1;
    n = n * 10 + (*p - '0');
  }
  if (n > MAX_MINOR)
    return -1;
  return n == 0 ? 1 : (int)n;
}

/* kube's PolicyToEvaluate for one mode: a level it cannot read is
 * restricted for enforce and privileged for warn and audit (they fail
 * open); a version it cannot read is latest. */
static void mode_from_labels(json_object *labels, const char *mode,
                             int fail_open, struct cp_psa_policy *out) {
  char key[64];
  const char *level, *version;
  int l = CP_PSA_PRIVILEGED, m = 0;

  snprintf(key, sizeof key, LABEL_PREFIX "%s", mode);
  level = get_str(labels, key);
  snprintf(key, sizeof key, LABEL_PREFIX "%s-version", mode);
  version = get_str(labels, key);
  if (level != NULL && (l = parse_level(level)) < 0)
    l = fail_open ? CP_PSA_PRIVILEGED : CP_PSA_RESTRICTED;
  if (version != NULL && (m = parse_version(version)) < 0)
    m = 0;
  out->level = l;
  out->minor = m;
}

void cp_psa_policy_from_labels(json_object *labels,
                               struct cp_psa_ns_policy *out) {
  if (!json_object_is_type(labels, json_type_object))
    labels = NULL;
  mode_from_labels(labels, "enforce", 0, &out->enforce);
  mode_from_labels(labels, "warn", 1, &out->warn);
  mode_from_labels(labels, "audit", 1, &out->audit);
}

void cp_psa_policy_string(const struct cp_psa_policy *p, char *buf,
                          size_t len) {
  if (p->minor == 0)
    snprintf(buf, len, "%s:latest", cp_psa_level_name(p->level));
  else
    snprintf(buf, len, "%s:v1.%d", cp_psa_level_name(p->level), p->minor);
}

static int same_policy(const struct cp_psa_policy *a,
                       const struct cp_psa_policy *b) {
  return a->level == b->level && a->minor == b->minor;
}

/* The cache's int: 9 bits a mode (level, then minor). */
static int encode(const struct cp_psa_ns_policy *p) {
  const struct cp_psa_policy *m[3] = {&p->enforce, &p->warn, &p->audit};
  int v = 0, i;

  for (i = 0; i < 3; i++)
    v |= ((m[i]->level & 3) | (m[i]->minor & MAX_MINOR) << 2) << (9 * i);
  return v;
}

static void decode(int v, struct cp_psa_ns_policy *p) {
  struct cp_psa_policy *m[3] = {&p->enforce, &p->warn, &p->audit};
  int i;

  for (i = 0; i < 3; i++) {
    m[i]->level = (v >> (9 * i)) & 3;
    m[i]->minor = (v >> (9 * i + 2)) & MAX_MINOR;
  }
}

/* The policy of namespace ns: 0, or -1 having responded. A namespace
 * that is not there is privileged (NamespaceLifecycle answers that). */
static int ns_policy(struct cp_api_ctx *ctx, const char *ns,
                     struct cp_psa_ns_policy *out,
                     struct cp_api_response *rs) {
  const struct cp_resource_type *t =
      cp_resources_find(ctx->resources, "", "v1", "namespaces");
  uint64_t epoch = 0;
  cp_store_kv kv;
  json_object *o;
  char *key;
  int rc, v;

  if (ctx->psa_cache != NULL) {
    if (cp_ns_cache_get(ctx->psa_cache, ns, &v)) {
      decode(v, out);
      return 0;
    }
    epoch = cp_ns_cache_epoch(ctx->psa_cache);
  }
  if (t == NULL || (key = cp_api_key(t, NULL, ns)) == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  memset(&kv, 0, sizeof kv);
  rc = cp_store_get(ctx->store, key, strlen(key), 0, &kv, NULL);
  free(key);
  if (rc != CPLANE_OK && rc != CPLANE_ENOENT) {
    cp_verbs_store_error(rs, rc);
    return -1;
  }
  o = rc == CPLANE_OK ? cp_api_parse_stored(NULL, &kv) : NULL;
  if (rc == CPLANE_OK)
    cp_store_kv_free(&kv);
  cp_psa_policy_from_labels(get(get(o, "metadata"), "labels"), out);
  json_object_put(o);
  if (ctx->psa_cache != NULL && rc == CPLANE_OK)
    cp_ns_cache_put(ctx->psa_cache, ns, encode(out), epoch);
  return 0;
}

/* Adds "would violate PodSecurity "<p>": <detail>". */
static void warn_violation(struct cp_api_response *rs,
                           const struct cp_psa_policy *p,
                           const char *detail) {
  char pol[48], *w = NULL;

  cp_psa_policy_string(p, pol, sizeof pol);
  if (asprintf(&w, "would violate PodSecurity \"%s\": %s", pol, detail) < 0)
    return;
  cp_api_add_warning(rs, w);
  free(w);
}

/* kube's audit annotation pod-security.kubernetes.io/audit-violations,
 * in the request's audit event (audit/audit.h); when the request is not
 * audited, a log line (component "apiserver", level info) naming it. */
static void audit_violation(struct cp_api_request *rq, json_object *o,
                            const struct cp_psa_policy *p,
                            const char *detail) {
  char pol[48], *v = NULL;

  cp_psa_policy_string(p, pol, sizeof pol);
  if (rq->audit != NULL) {
    if (asprintf(&v, "would violate PodSecurity \"%s\": %s", pol,
                 detail) >= 0)
      cp_audit_annotate(rq, AUDIT_KEY, v);
    free(v);
    return;
  }
  cp_log_info("apiserver",
              "audit: %s %s/%s by %s: " AUDIT_KEY
              "=would violate PodSecurity \"%s\": %s",
              rq->type->resource, rq->ns,
              cp_strategy_refused_name(o),
              rq->user.name != NULL ? rq->user.name : "(anonymous)", pol,
              detail);
}

/* The evaluations of one pod or template, by level and version: kube's
 * EvaluatePod reuses the enforce result for audit, and either for warn,
 * when their level and version are the same (a namespace enforcing
 * baseline and warning and auditing restricted is checked twice, not
 * three times). */
struct psa_evals {
  struct {
    int level, minor, n;
    char *detail;
  } e[3];
  int used;
  json_object *meta, *spec;
};

static void evals_init(struct psa_evals *ev, json_object *meta,
                       json_object *spec) {
  memset(ev, 0, sizeof *ev);
  ev->meta = meta;
  ev->spec = spec;
}

static void evals_free(struct psa_evals *ev) {
  int i;

  for (i = 0; i < ev->used; i++)
    free(ev->e[i].detail);
}

/* cp_psa_check at p's level and version, once per pair: the number of
 * violations with *detail (borrowed from ev) naming them, or -1 out of
 * memory. */
static int evaluate(struct psa_evals *ev, const struct cp_psa_policy *p,
                    const char **detail) {
  int i;

  for (i = 0; i < ev->used; i++)
    if (ev->e[i].level == p->level && ev->e[i].minor == p->minor)
      break;
  if (i == ev->used) {
    /* Three modes, so three pairs at most; a fourth replaces the last. */
    if (i == 3)
      free(ev->e[--i].detail);
    else
      ev->used++;
    ev->e[i].level = p->level;
    ev->e[i].minor = p->minor;
    ev->e[i].detail = NULL;
    ev->e[i].n = cp_psa_check(ev->meta, ev->spec, p->level, p->minor,
                              &ev->e[i].detail, NULL);
  }
  *detail = ev->e[i].detail;
  return ev->e[i].n;
}

/* The audit mode on a pod or template: an audit annotation when it
 * violates the policy. 0, or -1 out of memory. */
static int audit(struct cp_api_request *rq, json_object *o,
                 const struct cp_psa_ns_policy *pol, struct psa_evals *ev) {
  const char *detail = NULL;
  int n;

  if (pol->audit.level == CP_PSA_PRIVILEGED)
    return 0;
  n = evaluate(ev, &pol->audit, &detail);
  if (n > 0)
    audit_violation(rq, o, &pol->audit, detail);
  return n < 0 ? -1 : 0;
}

/* kube's isSignificantContainerUpdate: its image, or its seccomp
 * annotation, changed. */
static int container_changed(json_object *c, json_object *oc,
                             json_object *ann, json_object *old_ann) {
  const char *img = get_str(c, "image"), *old_img = get_str(oc, "image");
  const char *key_name = get_str(c, "name");
  const char *a, *b;
  char key[320];

  if ((img == NULL) != (old_img == NULL) ||
      (img != NULL && strcmp(img, old_img) != 0))
    return 1;
  snprintf(key, sizeof key, SECCOMP_PREFIX "%s",
           key_name != NULL ? key_name : "");
  a = get_str(ann, key);
  b = get_str(old_ann, key);
  return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

static size_t list_len(json_object *l) {
  return json_object_is_type(l, json_type_array) ? json_object_array_length(l)
                                                 : 0;
}

/* kube's isSignificantPodUpdate: a pod update is evaluated only when its
 * containers (init and app: their number, images or seccomp
 * annotations) or its ephemeral containers (added or changed) are; the
 * rest of a pod's spec cannot change. */
static int significant_update(json_object *pod, json_object *old) {
  static const char *const lists[] = {"containers", "initContainers"};
  json_object *spec = get(pod, "spec"), *old_spec = get(old, "spec");
  json_object *ann = get(get(pod, "metadata"), "annotations");
  json_object *old_ann = get(get(old, "metadata"), "annotations");
  json_object *eph, *old_eph;
  size_t i, j, k;

  for (k = 0; k < 2; k++) {
    json_object *l = get(spec, lists[k]), *ol = get(old_spec, lists[k]);

    if (list_len(l) != list_len(ol))
      return 1;
    for (i = 0; i < list_len(l); i++)
      if (container_changed(json_object_array_get_idx(l, i),
                            json_object_array_get_idx(ol, i), ann, old_ann))
        return 1;
  }
  eph = get(spec, "ephemeralContainers");
  old_eph = get(old_spec, "ephemeralContainers");
  for (i = 0; i < list_len(eph); i++) {
    json_object *c = json_object_array_get_idx(eph, i), *oc = NULL;
    const char *name = get_str(c, "name");

    for (j = 0; name != NULL && oc == NULL && j < list_len(old_eph); j++) {
      const char *on = get_str(json_object_array_get_idx(old_eph, j), "name");

      if (on != NULL && strcmp(on, name) == 0)
        oc = json_object_array_get_idx(old_eph, j);
    }
    if (oc == NULL || container_changed(c, oc, ann, old_ann))
      return 1;
  }
  return 0;
}

/* kube's ValidatePod: enforce, audit, then warn (not on a refusal). An
 * update (old not NULL) is only looked at when significant. */
static int admit_pod(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                     json_object *pod, json_object *old,
                     struct cp_api_response *rs) {
  json_object *meta = get(pod, "metadata"), *spec = get(pod, "spec");
  struct cp_psa_ns_policy pol;
  struct psa_evals ev;
  const char *detail = NULL;
  char name[48];
  int n, rc = 0;

  if (old != NULL && !significant_update(pod, old))
    return 0;
  if (cp_psa_exempt_runtime_class(ctx->psa_exempt,
                                  get_str(spec, "runtimeClassName")))
    return 0;
  if (ns_policy(ctx, rq->ns, &pol, rs) < 0)
    return -1;
  if (pol.enforce.level > CP_PSA_PRIVILEGED ||
      pol.audit.level > CP_PSA_PRIVILEGED ||
      pol.warn.level > CP_PSA_PRIVILEGED) { /* kube: not FullyPrivileged */
    cp_psa_policy_string(&pol.enforce, name, sizeof name);
    cp_audit_annotate(rq, LABEL_PREFIX "enforce-policy", name);
  }
  evals_init(&ev, meta, spec);
  if (pol.enforce.level > CP_PSA_PRIVILEGED) {
    n = evaluate(&ev, &pol.enforce, &detail);
    if (n < 0) {
      cp_api_respond_status(rs, 500, NULL);
      rc = -1;
      goto out;
    }
    if (n > 0) {
      (void)audit(rq, pod, &pol, &ev);
      cp_psa_policy_string(&pol.enforce, name, sizeof name);
      cp_strategy_forbidden(rs, "", "pods", cp_strategy_refused_name(pod),
                            "violates PodSecurity \"%s\": %s", name, detail);
      rc = -1;
      goto out;
    }
  }
  if (audit(rq, pod, &pol, &ev) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    rc = -1;
    goto out;
  }
  if (pol.warn.level > CP_PSA_PRIVILEGED &&
      evaluate(&ev, &pol.warn, &detail) > 0)
    warn_violation(rs, &pol.warn, detail);
out:
  evals_free(&ev);
  return rc;
}

/* Where a workload keeps its pod template; NULL for other kinds. */
static json_object *pod_template(const struct cp_resource_type *t,
                                 json_object *o) {
  static const char *const with_spec_template[] = {
      "deployments", "replicasets", "statefulsets", "daemonsets",
      "jobs", "replicationcontrollers", NULL};
  const char *const *r;

  if (strcmp(t->resource, "podtemplates") == 0 && t->group[0] == '\0')
    return get(o, "template");
  if (strcmp(t->resource, "cronjobs") == 0 && strcmp(t->group, "batch") == 0)
    return get(get(get(get(o, "spec"), "jobTemplate"), "spec"), "template");
  for (r = with_spec_template; *r != NULL; r++)
    if (strcmp(t->resource, *r) == 0 &&
        (strcmp(t->group, "apps") == 0 || strcmp(t->group, "batch") == 0 ||
         t->group[0] == '\0'))
      return get(get(o, "spec"), "template");
  return NULL;
}

/* kube's ValidatePodController: audit and warn only; enforce is for
 * the pods the workload makes (they are refused when created). */
static int admit_workload(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                          json_object *o, json_object *tmpl,
                          struct cp_api_response *rs) {
  json_object *meta = get(tmpl, "metadata"), *spec = get(tmpl, "spec");
  struct cp_psa_ns_policy pol;
  struct psa_evals ev;
  const char *detail = NULL;

  if (cp_psa_exempt_runtime_class(ctx->psa_exempt,
                                  get_str(spec, "runtimeClassName")))
    return 0;
  if (ns_policy(ctx, rq->ns, &pol, rs) < 0)
    return -1;
  evals_init(&ev, meta, spec);
  (void)audit(rq, o, &pol, &ev);
  if (pol.warn.level > CP_PSA_PRIVILEGED &&
      evaluate(&ev, &pol.warn, &detail) > 0)
    warn_violation(rs, &pol.warn, detail);
  evals_free(&ev);
  return 0;
}

/* One distinct set of reasons among a namespace's pods. */
struct pod_warning {
  char *reasons;
  const char *first; /* the least pod name (borrowed from the list) */
  size_t count;
};

struct ns_scan {
  struct cp_psa_policy enforce;
  struct pod_warning *w;
  size_t n;
  int oom;
};

static void scan_pod(struct ns_scan *s, json_object *pod) {
  const char *name = get_str(get(pod, "metadata"), "name");
  char *reasons = NULL;
  struct pod_warning *grown;
  size_t i;

  if (name == NULL ||
      cp_psa_check(get(pod, "metadata"), get(pod, "spec"), s->enforce.level,
                   s->enforce.minor, NULL, &reasons) <= 0)
    return;
  for (i = 0; i < s->n; i++) {
    if (strcmp(s->w[i].reasons, reasons) == 0) {
      if (strcmp(name, s->w[i].first) < 0)
        s->w[i].first = name;
      s->w[i].count++;
      free(reasons);
      return;
    }
  }
  if ((grown = realloc(s->w, (s->n + 1) * sizeof *grown)) == NULL) {
    s->oom = 1;
    free(reasons);
    return;
  }
  s->w = grown;
  s->w[s->n].reasons = reasons;
  s->w[s->n].first = name;
  s->w[s->n].count = 1;
  s->n++;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* kube's decoratePodWarnings, sorted as kube sorts them. */
static void emit_pod_warnings(struct ns_scan *s, struct cp_api_response *rs) {
  char **lines = calloc(s->n ? s->n : 1, sizeof *lines);
  size_t i;

  if (lines == NULL)
    return;
  for (i = 0; i < s->n; i++) {
    struct pod_warning *w = &s->w[i];
    int rc;

    if (w->count == 1)
      rc = asprintf(&lines[i], "%s: %s", w->first, w->reasons);
    else if (w->count == 2)
      rc = asprintf(&lines[i], "%s (and 1 other pod): %s", w->first,
                    w->reasons);
    else
      rc = asprintf(&lines[i], "%s (and %zu other pods): %s", w->first,
                    w->count - 1, w->reasons);
    if (rc < 0)
      lines[i] = NULL;
  }
  for (i = 0; i < s->n; i++)
    if (lines[i] == NULL)
      lines[i] = strdup("");
  qsort(lines, s->n, sizeof *lines, cmp_str);
  for (i = 0; i < s->n; i++) {
    if (lines[i] != NULL && lines[i][0] != '\0')
      cp_api_add_warning(rs, lines[i]);
    free(lines[i]);
  }
  free(lines);
}

/* kube's namespace validation: a new enforce policy (not privileged)
 * warns about the pods already there that it would refuse. */
static void check_namespace(struct cp_api_ctx *ctx, json_object *o,
                            json_object *old, struct cp_api_response *rs) {
  const struct cp_resource_type *t =
      cp_resources_find(ctx->resources, "", "v1", "pods");
  const char *ns = get_str(get(o, "metadata"), "name");
  struct cp_psa_ns_policy now, before;
  struct ns_scan s = {{0, 0}, NULL, 0, 0};
  cp_store_list_result res;
  char *prefix = NULL, pol[48], *head = NULL;
  size_t i;

  cp_psa_policy_from_labels(get(get(o, "metadata"), "labels"), &now);
  cp_psa_policy_from_labels(get(get(old, "metadata"), "labels"), &before);
  if (ns == NULL || same_policy(&now.enforce, &before.enforce) ||
      now.enforce.level == CP_PSA_PRIVILEGED || t == NULL)
    return;
  memset(&res, 0, sizeof res);
  s.enforce = now.enforce;
  if ((prefix = cp_api_key(t, ns, NULL)) == NULL ||
      cp_store_list(ctx->store, prefix, strlen(prefix), NULL, 0, 0,
                    MAX_NS_PODS, &res) != CPLANE_OK)
    goto out;
  {
    /* The pods stay parsed until the warnings are written: the names
     * are borrowed from them. */
    json_object **pods = calloc(res.count ? res.count : 1, sizeof *pods);

    if (pods == NULL)
      goto out;
    for (i = 0; i < res.count; i++) {
      pods[i] = cp_api_parse_stored(NULL, &res.kvs[i]);
      if (pods[i] != NULL)
        scan_pod(&s, pods[i]);
    }
    cp_psa_policy_string(&now.enforce, pol, sizeof pol);
    if (s.n > 0 &&
        asprintf(&head,
                 "existing pods in namespace \"%s\" violate the new "
                 "PodSecurity enforce level \"%s\"",
                 ns, pol) >= 0) {
      cp_api_add_warning(rs, head);
      free(head);
    }
    emit_pod_warnings(&s, rs);
    for (i = 0; i < res.count; i++)
      json_object_put(pods[i]);
    free(pods);
  }
out:
  for (i = 0; i < s.n; i++)
    free(s.w[i].reasons);
  free(s.w);
  cp_store_list_result_free(&res);
  free(prefix);
}

int cp_admission_podsecurity(struct cp_api_ctx *ctx,
                             struct cp_api_request *rq, json_object *o,
                             json_object *old, struct cp_api_response *rs) {
  const struct cp_resource_type *t = rq->type;
  json_object *tmpl;

  if (ctx == NULL || t == NULL || !t->builtin || rq->subresource != NULL ||
      (ctx->admission_off & CP_ADMISSION_OFF_POD_SECURITY))
    return 0;
  if (t->group[0] == '\0' && strcmp(t->resource, "namespaces") == 0) {
    if (old != NULL)
      check_namespace(ctx, o, old, rs);
    return 0;
  }
  /* kube's exemptions (podsecurity_exemptions.h): nothing is looked
   * at. */
  if (rq->ns == NULL || cp_psa_exempt_namespace(ctx->psa_exempt, rq->ns) ||
      cp_psa_exempt_user(ctx->psa_exempt, rq->user.name))
    return 0;
  if (t->group[0] == '\0' && strcmp(t->resource, "pods") == 0)
    return admit_pod(ctx, rq, o, old, rs);
  if ((tmpl = pod_template(t, o)) == NULL)
    return 0;
  if (old != NULL && json_object_equal(tmpl, pod_template(t, old)))
    return 0;
  return admit_workload(ctx, rq, o, tmpl, rs);
}
