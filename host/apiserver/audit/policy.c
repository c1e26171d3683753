/*
 * audit/policy - kube's audit policy file and its evaluation (see
 * policy.h). Parsing follows kube's policy reader and validation
 * (k8s.io/apiserver/pkg/audit/policy/reader.go, apis/audit/validation):
 * apiVersion audit.k8s.io/v1, kind Policy, at least one rule, known
 * levels and stages, resources and nonResourceURLs never in one rule.
 * Unknown fields are ignored, as kube's decoder ignores them.
 */
#include "apiserver/audit/policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "object/yaml_json.h"

struct strs {
  char **v;
  size_t n;
};

struct group_resources {
  char *group;
  struct strs resources, names;
};

struct rule {
  enum cp_audit_level level;
  struct strs users, groups, verbs, namespaces, urls;
  struct group_resources *res;
  size_t n_res;
  unsigned omit_stages;     /* the policy's already added */
  int omit_managed_fields;  /* -1: the policy's */
};

struct cp_audit_policy {
  struct rule *rules;
  size_t n_rules;
  unsigned omit_stages;
  int omit_managed_fields;
};

static const char *const level_names[] = {"None", "Metadata", "Request",
                                          "RequestResponse"};

const char *cp_audit_level_name(enum cp_audit_level l) {
  return (unsigned)l < 4 ? level_names[l] : "None";
}

/* ------------------------------------------------------------ freeing */

static void strs_free(struct strs *s) {
  size_t i;

  for (i = 0; i < s->n; i++)
    free(s->v[i]);
  free(s->v);
}

static void rule_free(struct rule *r) {
  size_t i;

  strs_free(&r->users);
  strs_free(&r->groups);
  strs_free(&r->verbs);
  strs_free(&r->namespaces);
  strs_free(&r->urls);
  for (i = 0; i < r->n_res; i++) {
    free(r->res[i].group);
    strs_free(&r->res[i].resources);
    strs_free(&r->res[i].names);
  }
  free(r->res);
}

void cp_audit_policy_free(struct cp_audit_policy *p) {
  size_t i;

  if (p == NULL)
    return;
  for (i = 0; i < p->n_rules; i++)
    rule_free(&p->rules[i]);
  free(p->rules);
  free(p);
}

/* ------------------------------------------------------------ parsing */

/* Sets *err to a formatted message; always returns -1. */
static int fail(char **err, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  if (vasprintf(err, fmt, ap) < 0)
    *err = NULL;
  va_end(ap);
  return -1;
}

/* An optional list of strings at o[key]; where names the field. */
static int get_strs(json_object *o, const char *key, const char *where,
                    struct strs *out, char **err) {
  json_object *a, *e;
  size_t i, n;

  if (!json_object_object_get_ex(o, key, &a) || a == NULL)
    return 0;
  if (!json_object_is_type(a, json_type_array))
    return fail(err, "%s.%s: must be a list of strings", where, key);
  n = json_object_array_length(a);
  if (n == 0)
    return 0;
  if ((out->v = calloc(n, sizeof *out->v)) == NULL)
    return fail(err, "out of memory");
  for (i = 0; i < n; i++) {
    e = json_object_array_get_idx(a, i);
    if (!json_object_is_type(e, json_type_string))
      return fail(err, "%s.%s[%zu]: must be a string", where, key, i);
    if ((out->v[i] = strdup(json_object_get_string(e))) == NULL)
      return fail(err, "out of memory");
    out->n = i + 1;
  }
  return 0;
}

static int parse_level(json_object *r, const char *where,
                       enum cp_audit_level *out, char **err) {
  json_object *v;
  const char *s;
  int i;

  if (!json_object_object_get_ex(r, "level", &v) || v == NULL)
    return fail(err, "%s.level: Required value", where);
  if (!json_object_is_type(v, json_type_string))
    return fail(err, "%s.level: must be a string", where);
  s = json_object_get_string(v);
  for (i = 0; i < 4; i++)
    if (strcmp(s, level_names[i]) == 0) {
      *out = (enum cp_audit_level)i;
      return 0;
    }
  return fail(err, "%s.level: Unsupported value: \"%s\": supported values: "
                   "\"Metadata\", \"None\", \"Request\", \"RequestResponse\"",
              where, s);
}

static int parse_stages(json_object *o, const char *where, unsigned *out,
                        char **err) {
  static const char *const names[] = {"RequestReceived", "ResponseStarted",
                                      "ResponseComplete", "Panic"};
  struct strs s = {0};
  size_t i;
  int k, rc = 0;

  if (get_strs(o, "omitStages", where, &s, err) < 0) {
    strs_free(&s);
    return -1;
  }
  for (i = 0; i < s.n && rc == 0; i++) {
    for (k = 0; k < 4; k++)
      if (strcmp(s.v[i], names[k]) == 0)
        break;
    if (k == 4)
      rc = fail(err, "%s.omitStages[%zu]: Unsupported value: \"%s\": "
                     "supported values: \"Panic\", \"RequestReceived\", "
                     "\"ResponseComplete\", \"ResponseStarted\"",
                where, i, s.v[i]);
    else
      *out |= 1u << k;
  }
  strs_free(&s);
  return rc;
}

/* An optional boolean: -1 absent, else 0 or 1. */
static int parse_bool(json_object *o, const char *key, const char *where,
                      int *out, char **err) {
  json_object *v;

  *out = -1;
  if (!json_object_object_get_ex(o, key, &v) || v == NULL)
    return 0;
  if (!json_object_is_type(v, json_type_boolean))
    return fail(err, "%s.%s: must be true or false", where, key);
  *out = json_object_get_boolean(v) ? 1 : 0;
  return 0;
}

static int parse_resources(json_object *r, const char *where,
                           struct rule *out, char **err) {
  json_object *a, *g, *v;
  char at[96];
  size_t i, n;

  if (!json_object_object_get_ex(r, "resources", &a) || a == NULL)
    return 0;
  if (!json_object_is_type(a, json_type_array))
    return fail(err, "%s.resources: must be a list", where);
  if ((n = json_object_array_length(a)) == 0)
    return 0;
  if ((out->res = calloc(n, sizeof *out->res)) == NULL)
    return fail(err, "out of memory");
  for (i = 0; i < n; i++) {
    struct group_resources *gr = &out->res[i];

    out->n_res = i + 1;
    snprintf(at, sizeof at, "%s.resources[%zu]", where, i);
    g = json_object_array_get_idx(a, i);
    if (!json_object_is_type(g, json_type_object))
      return fail(err, "%s: must be an object", at);
    if (json_object_object_get_ex(g, "group", &v) && v != NULL &&
        !json_object_is_type(v, json_type_string))
      return fail(err, "%s.group: must be a string", at);
    gr->group = strdup(v != NULL && json_object_is_type(v, json_type_string)
                           ? json_object_get_string(v)
                           : "");
    if (gr->group == NULL)
      return fail(err, "out of memory");
    if (get_strs(g, "resources", at, &gr->resources, err) < 0 ||
        get_strs(g, "resourceNames", at, &gr->names, err) < 0)
      return -1;
    if (gr->names.n > 0 && gr->resources.n == 0)
      return fail(err, "%s.resourceNames: Invalid value: using "
                       "resourceNames requires at least one resource",
                  at);
  }
  return 0;
}

static int check_urls(const struct strs *u, const char *where, char **err) {
  size_t i, len;

  for (i = 0; i < u->n; i++) {
    len = strlen(u->v[i]);
    if (strcmp(u->v[i], "*") == 0)
      continue;
    if (u->v[i][0] != '/')
      return fail(err, "%s.nonResourceURLs[%zu]: Invalid value: \"%s\": "
                       "non-resource URL rules must begin with a '/' "
                       "character",
                  where, i, u->v[i]);
    if (memchr(u->v[i], '*', len - 1) != NULL)
      return fail(err, "%s.nonResourceURLs[%zu]: Invalid value: \"%s\": "
                       "non-resource URL wildcards '*' must be the final "
                       "character of the rule",
                  where, i, u->v[i]);
  }
  return 0;
}

static int parse_rule(json_object *r, size_t i, struct rule *out,
                      unsigned policy_stages, char **err) {
  char where[32];

  snprintf(where, sizeof where, "rules[%zu]", i);
  if (!json_object_is_type(r, json_type_object))
    return fail(err, "%s: must be an object", where);
  if (parse_level(r, where, &out->level, err) < 0 ||
      get_strs(r, "users", where, &out->users, err) < 0 ||
      get_strs(r, "userGroups", where, &out->groups, err) < 0 ||
      get_strs(r, "verbs", where, &out->verbs, err) < 0 ||
      get_strs(r, "namespaces", where, &out->namespaces, err) < 0 ||
      get_strs(r, "nonResourceURLs", where, &out->urls, err) < 0 ||
      parse_resources(r, where, out, err) < 0 ||
      parse_stages(r, where, &out->omit_stages, err) < 0 ||
      parse_bool(r, "omitManagedFields", where, &out->omit_managed_fields,
                 err) < 0 ||
      check_urls(&out->urls, where, err) < 0)
    return -1;
  if (out->urls.n > 0 && (out->n_res > 0 || out->namespaces.n > 0))
    return fail(err, "%s.nonResourceURLs: Invalid value: rules cannot "
                     "apply to both regular resources and non-resource "
                     "URLs",
                where);
  out->omit_stages |= policy_stages;
  return 0;
}

static int check_kind(json_object *doc, char **err) {
  json_object *v;
  const char *av = NULL, *kind = NULL;

  if (json_object_object_get_ex(doc, "apiVersion", &v) &&
      json_object_is_type(v, json_type_string))
    av = json_object_get_string(v);
  if (json_object_object_get_ex(doc, "kind", &v) &&
      json_object_is_type(v, json_type_string))
    kind = json_object_get_string(v);
  if (av == NULL || strcmp(av, "audit.k8s.io/v1") != 0)
    return fail(err, "apiVersion must be \"audit.k8s.io/v1\", not \"%s\"",
                av ? av : "");
  if (kind == NULL || strcmp(kind, "Policy") != 0)
    return fail(err, "kind must be \"Policy\", not \"%s\"",
                kind ? kind : "");
  return 0;
}

static int parse_doc(json_object *doc, struct cp_audit_policy *p,
                     char **err) {
  json_object *rules;
  size_t i, n;
  int omf;

  if (!json_object_is_type(doc, json_type_object))
    return fail(err, "not a Policy object");
  if (check_kind(doc, err) < 0 ||
      parse_stages(doc, "policy", &p->omit_stages, err) < 0 ||
      parse_bool(doc, "omitManagedFields", "policy", &omf, err) < 0)
    return -1;
  p->omit_managed_fields = omf == 1;
  if (!json_object_object_get_ex(doc, "rules", &rules) || rules == NULL ||
      !json_object_is_type(rules, json_type_array) ||
      (n = json_object_array_length(rules)) == 0)
    return fail(err, "loaded illegal policy with 0 rules");
  if ((p->rules = calloc(n, sizeof *p->rules)) == NULL)
    return fail(err, "out of memory");
  for (i = 0; i < n; i++) {
    p->n_rules = i + 1;
    if (parse_rule(json_object_array_get_idx(rules, i), i, &p->rules[i],
                   p->omit_stages, err) < 0)
      return -1;
  }
  return 0;
}

int cp_audit_policy_parse(const char *text, size_t n,
                          struct cp_audit_policy **out, char **err) {
  struct cp_audit_policy *p;
  json_object *doc = NULL;
  int line = 0, rc;

  *out = NULL;
  *err = NULL;
  if (n > CP_AUDIT_POLICY_MAX_BYTES)
    return fail(err, "the policy is %zu bytes, over the limit of %u", n,
                CP_AUDIT_POLICY_MAX_BYTES);
  if (cp_yaml_json_parse(text, n, NULL, &doc, NULL, err, &line) !=
      CP_YAML_JSON_OK)
    return -1;
  if (doc == NULL)
    return fail(err, "loaded illegal policy with 0 rules");
  if ((p = calloc(1, sizeof *p)) == NULL) {
    json_object_put(doc);
    return fail(err, "out of memory");
  }
  rc = parse_doc(doc, p, err);
  json_object_put(doc);
  if (rc < 0) {
    cp_audit_policy_free(p);
    return -1;
  }
  *out = p;
  return 0;
}

int cp_audit_policy_load(const char *path, struct cp_audit_policy **out,
                         char **err) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL, *why = NULL;
  size_t n = 0;
  int rc = -1;

  *out = NULL;
  *err = NULL;
  if (f == NULL)
    return fail(err, "audit policy \"%s\": %s", path, strerror(errno));
  if ((buf = malloc(CP_AUDIT_POLICY_MAX_BYTES + 1)) == NULL) {
    fail(err, "audit policy \"%s\": out of memory", path);
    goto out;
  }
  n = fread(buf, 1, CP_AUDIT_POLICY_MAX_BYTES + 1, f);
  if (ferror(f)) {
    fail(err, "audit policy \"%s\": %s", path, strerror(errno));
    goto out;
  }
  if (cp_audit_policy_parse(buf, n, out, &why) < 0) {
    fail(err, "audit policy \"%s\": %s", path, why ? why : "out of memory");
    goto out;
  }
  rc = 0;
out:
  free(why);
  free(buf);
  fclose(f);
  return rc;
}

/* ------------------------------------------------------------ matching */

static int has(const struct strs *s, const char *v) {
  size_t i;

  for (i = 0; i < s->n; i++)
    if (strcmp(s->v[i], v) == 0)
      return 1;
  return 0;
}

static int path_matches(const char *path, const char *spec) {
  size_t n = strlen(spec);

  if (strcmp(spec, "*") == 0 || strcmp(spec, path) == 0)
    return 1;
  return n > 0 && spec[n - 1] == '*' && strncmp(path, spec, n - 1) == 0;
}

/* One resources entry against resource[/subresource] and name. */
static int resource_matches(const char *res, const char *resource,
                            const char *sub, const char *combined) {
  size_t n = strlen(res);

  if (strcmp(res, combined) == 0 || strcmp(res, "*") == 0)
    return 1;
  if (sub[0] != '\0' && strncmp(res, "*/", 2) == 0 &&
      strcmp(res + 2, sub) == 0)
    return 1;
  return n > 2 && strcmp(res + n - 2, "/*") == 0 &&
         strlen(resource) == n - 2 && strncmp(res, resource, n - 2) == 0;
}

static int rule_matches_resource(const struct rule *r,
                                 const struct cp_audit_attrs *a) {
  char combined[512];
  size_t i, k;

  if (!a->resource_request)
    return 0;
  if (r->namespaces.n > 0 && !has(&r->namespaces, a->ns))
    return 0;
  if (r->n_res == 0)
    return 1;
  snprintf(combined, sizeof combined, "%s%s%s", a->resource,
           a->subresource[0] ? "/" : "", a->subresource);
  for (i = 0; i < r->n_res; i++) {
    const struct group_resources *gr = &r->res[i];

    if (strcmp(gr->group, a->group) != 0)
      continue;
    if (gr->resources.n == 0)
      return 1;
    if (gr->names.n > 0 && !has(&gr->names, a->name))
      continue;
    for (k = 0; k < gr->resources.n; k++)
      if (resource_matches(gr->resources.v[k], a->resource, a->subresource,
                           combined))
        return 1;
  }
  return 0;
}

static int rule_matches(const struct rule *r,
                        const struct cp_audit_attrs *a) {
  size_t i;
  int found = 0;

  if (r->users.n > 0 && (a->user == NULL || !has(&r->users, a->user)))
    return 0;
  if (r->groups.n > 0) {
    if (a->user == NULL)
      return 0;
    for (i = 0; i < a->n_groups && !found; i++)
      found = has(&r->groups, a->groups[i]);
    if (!found)
      return 0;
  }
  if (r->verbs.n > 0 && !has(&r->verbs, a->verb))
    return 0;
  if (r->namespaces.n > 0 || r->n_res > 0)
    return rule_matches_resource(r, a);
  if (r->urls.n > 0) {
    if (a->resource_request)
      return 0;
    for (i = 0; i < r->urls.n; i++)
      if (path_matches(a->path, r->urls.v[i]))
        return 1;
    return 0;
  }
  return 1;
}

void cp_audit_policy_decide(const struct cp_audit_policy *p,
                            const struct cp_audit_attrs *a,
                            struct cp_audit_decision *d) {
  size_t i;

  d->level = CP_AUDIT_NONE;
  d->omit_stages = p->omit_stages;
  d->omit_managed_fields = p->omit_managed_fields;
  for (i = 0; i < p->n_rules; i++) {
    const struct rule *r = &p->rules[i];

    if (!rule_matches(r, a))
      continue;
    d->level = r->level;
    d->omit_stages = r->omit_stages;
    if (r->omit_managed_fields >= 0)
      d->omit_managed_fields = r->omit_managed_fields;
    return;
  }
}
