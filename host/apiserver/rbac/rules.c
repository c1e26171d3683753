/*
 * rules - see rules.h.
 */
#include "apiserver/rbac/rules.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ parse */

static void strs_clear(struct cp_rbac_strs *s) {
  size_t i;

  for (i = 0; i < s->n; i++)
    free(s->v[i]);
  free(s->v);
  s->v = NULL;
  s->n = 0;
}

static int strs_add(struct cp_rbac_strs *s, const char *v) {
  char **n = realloc(s->v, (s->n + 1) * sizeof *n);

  if (n == NULL)
    return -1;
  s->v = n;
  if ((n[s->n] = strdup(v)) == NULL)
    return -1;
  s->n++;
  return 0;
}

/* The strings of member key of o (an array); others are skipped. */
static int strs_parse(json_object *o, const char *key,
                      struct cp_rbac_strs *s) {
  json_object *a;
  size_t i, n;

  if (!json_object_object_get_ex(o, key, &a) ||
      !json_object_is_type(a, json_type_array))
    return 0;
  n = json_object_array_length(a);
  for (i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(a, i);

    if (json_object_is_type(e, json_type_string) &&
        strs_add(s, json_object_get_string(e)) < 0)
      return -1;
  }
  return 0;
}

static void rule_clear(struct cp_rbac_rule *r) {
  strs_clear(&r->verbs);
  strs_clear(&r->groups);
  strs_clear(&r->resources);
  strs_clear(&r->names);
  strs_clear(&r->urls);
}

void cp_rbac_rules_clear(struct cp_rbac_rules *r) {
  size_t i;

  for (i = 0; i < r->n; i++)
    rule_clear(&r->v[i]);
  free(r->v);
  r->v = NULL;
  r->n = 0;
}

static struct cp_rbac_rule *rules_push(struct cp_rbac_rules *out) {
  struct cp_rbac_rule *v = realloc(out->v, (out->n + 1) * sizeof *v);

  if (v == NULL)
    return NULL;
  out->v = v;
  memset(&v[out->n], 0, sizeof v[0]);
  return &v[out->n++];
}

int cp_rbac_rules_parse(json_object *rules, struct cp_rbac_rules *out) {
  size_t i, n;

  if (!json_object_is_type(rules, json_type_array))
    return 0;
  n = json_object_array_length(rules);
  for (i = 0; i < n; i++) {
    json_object *o = json_object_array_get_idx(rules, i);
    struct cp_rbac_rule *r;

    if (!json_object_is_type(o, json_type_object))
      continue;
    if ((r = rules_push(out)) == NULL)
      return -1;
    if (strs_parse(o, "verbs", &r->verbs) < 0 ||
        strs_parse(o, "apiGroups", &r->groups) < 0 ||
        strs_parse(o, "resources", &r->resources) < 0 ||
        strs_parse(o, "resourceNames", &r->names) < 0 ||
        strs_parse(o, "nonResourceURLs", &r->urls) < 0)
      return -1;
  }
  return 0;
}

static int strs_copy(struct cp_rbac_strs *d, const struct cp_rbac_strs *s) {
  size_t i;

  for (i = 0; i < s->n; i++)
    if (strs_add(d, s->v[i]) < 0)
      return -1;
  return 0;
}

int cp_rbac_rules_append(struct cp_rbac_rules *out,
                         const struct cp_rbac_rules *src) {
  size_t i;

  for (i = 0; i < src->n; i++) {
    const struct cp_rbac_rule *s = &src->v[i];
    struct cp_rbac_rule *r = rules_push(out);

    if (r == NULL || strs_copy(&r->verbs, &s->verbs) < 0 ||
        strs_copy(&r->groups, &s->groups) < 0 ||
        strs_copy(&r->resources, &s->resources) < 0 ||
        strs_copy(&r->names, &s->names) < 0 ||
        strs_copy(&r->urls, &s->urls) < 0)
      return -1;
  }
  return 0;
}

/* ------------------------------------------------------------ match */

static int has(const struct cp_rbac_strs *s, const char *v) {
  size_t i;

  for (i = 0; i < s->n; i++)
    if (strcmp(s->v[i], v) == 0)
      return 1;
  return 0;
}

/* VerbMatches, APIGroupMatches: the value or "*". */
static int has_or_all(const struct cp_rbac_strs *s, const char *v) {
  size_t i;

  for (i = 0; i < s->n; i++)
    if (strcmp(s->v[i], "*") == 0 || strcmp(s->v[i], v) == 0)
      return 1;
  return 0;
}

/* ResourceMatches: "*", "resource/sub" exactly, or "*\/sub". */
static int resource_matches(const struct cp_rbac_rule *r, const char *res,
                            const char *sub) {
  size_t i, rl = strlen(res), sl = strlen(sub);

  for (i = 0; i < r->resources.n; i++) {
    const char *x = r->resources.v[i];
    size_t xl = strlen(x);

    if (strcmp(x, "*") == 0)
      return 1;
    if (sl == 0 ? strcmp(x, res) == 0
                : xl == rl + 1 + sl && strncmp(x, res, rl) == 0 &&
                      x[rl] == '/' && strcmp(x + rl + 1, sub) == 0)
      return 1;
    if (sl > 0 && xl == sl + 2 && x[0] == '*' && x[1] == '/' &&
        strcmp(x + 2, sub) == 0)
      return 1;
  }
  return 0;
}

/* NonResourceURLMatches. */
static int url_matches(const char *rule, const char *path) {
  size_t n = strlen(rule);

  if (strcmp(rule, "*") == 0 || strcmp(rule, path) == 0)
    return 1;
  while (n > 0 && rule[n - 1] == '*')
    n--;
  return n < strlen(rule) && strncmp(rule, path, n) == 0;
}

int cp_rbac_rule_allows(const struct cp_rbac_rule *r,
                        const struct cp_rbac_attrs *a) {
  size_t i;

  if (!has_or_all(&r->verbs, a->verb))
    return 0;
  if (!a->resource_request) {
    for (i = 0; i < r->urls.n; i++)
      if (url_matches(r->urls.v[i], a->path))
        return 1;
    return 0;
  }
  return has_or_all(&r->groups, a->group) &&
         resource_matches(r, a->resource, a->subresource) &&
         (r->names.n == 0 || has(&r->names, a->name));
}

/* ------------------------------------------------------------ cover */

/* One piece of a broken-down rule (kube's BreakdownRule): one group,
 * resource and verb, the rule's resource names; or one URL and verb. */
struct piece {
  const char *group, *resource, *url, *verb;
  const struct cp_rbac_strs *names;
};

static int has_all(const struct cp_rbac_strs *set,
                   const struct cp_rbac_strs *want) {
  size_t i;

  for (i = 0; i < want->n; i++)
    if (!has(set, want->v[i]))
      return 0;
  return 1;
}

/* resourceCoversAll for one resource. */
static int resource_covers(const struct cp_rbac_strs *set, const char *res) {
  const char *slash = strchr(res, '/');
  char buf[512];

  if (has(set, "*") || has(set, res))
    return 1;
  if (slash == NULL)
    return 0;
  snprintf(buf, sizeof buf, "*%s", slash);
  return has(set, buf);
}

static int url_covers(const struct cp_rbac_strs *set, const char *url) {
  size_t i;

  for (i = 0; i < set->n; i++) {
    const char *o = set->v[i];
    size_t n = strlen(o);

    if (strcmp(o, url) == 0)
      return 1;
    if (n > 0 && o[n - 1] == '*') {
      while (n > 0 && o[n - 1] == '*')
        n--;
      if (strncmp(o, url, n) == 0)
        return 1;
    }
  }
  return 0;
}

/* kube's ruleCovers for a broken-down piece. */
static int piece_covered(const struct cp_rbac_rule *o, const struct piece *p) {
  if (!has(&o->verbs, "*") && !has(&o->verbs, p->verb))
    return 0;
  if (p->url != NULL)
    return o->names.n == 0 && url_covers(&o->urls, p->url);
  if (!has(&o->groups, "*") && !has(&o->groups, p->group))
    return 0;
  if (!resource_covers(&o->resources, p->resource))
    return 0;
  if (p->names->n == 0)
    return o->names.n == 0;
  return o->names.n == 0 || has_all(&o->names, p->names);
}

static int piece_ok(const struct cp_rbac_rules *owner, const struct piece *p) {
  size_t i;

  for (i = 0; i < owner->n; i++)
    if (piece_covered(&owner->v[i], p))
      return 1;
  return 0;
}

/* Go's %q of a []string: ["a" "b"]. */
static void quote_list(FILE *f, const char *const *v, size_t n) {
  size_t i;
  const char *c;

  fputc('[', f);
  for (i = 0; i < n; i++) {
    fputs(i ? " \"" : "\"", f);
    for (c = v[i]; *c; c++) {
      if (*c == '"' || *c == '\\')
        fputc('\\', f);
      fputc(*c, f);
    }
    fputc('"', f);
  }
  fputc(']', f);
}

/* A compacted missing rule: one resource (or URL) and the verbs it
 * lacks, as CompactString prints it. */
struct missing {
  struct piece p;
  const char **verbs;
  size_t n_verbs;
  char *text;
};

static char *compact_string(const struct missing *m) {
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&s, &len);
  const char *one[1];

  if (f == NULL)
    return NULL;
  fputc('{', f);
  if (m->p.url == NULL) {
    fputs("APIGroups:", f);
    one[0] = m->p.group;
    quote_list(f, one, 1);
    fputs(", Resources:", f);
    one[0] = m->p.resource;
    quote_list(f, one, 1);
    if (m->p.names->n > 0) {
      fputs(", ResourceNames:", f);
      quote_list(f, (const char *const *)m->p.names->v, m->p.names->n);
    }
  } else {
    fputs("NonResourceURLs:", f);
    one[0] = m->p.url;
    quote_list(f, one, 1);
  }
  fputs(", Verbs:", f);
  quote_list(f, m->verbs, m->n_verbs);
  fputc('}', f);
  if (fclose(f) != 0) {
    free(s);
    return NULL;
  }
  return s;
}

static int same_names(const struct cp_rbac_strs *a,
                      const struct cp_rbac_strs *b) {
  size_t i;

  if (a->n != b->n)
    return 0;
  for (i = 0; i < a->n; i++)
    if (strcmp(a->v[i], b->v[i]) != 0)
      return 0;
  return 1;
}

static int same_target(const struct piece *a, const struct piece *b) {
  if ((a->url == NULL) != (b->url == NULL))
    return 0;
  if (a->url != NULL)
    return strcmp(a->url, b->url) == 0;
  return strcmp(a->group, b->group) == 0 &&
         strcmp(a->resource, b->resource) == 0 &&
         same_names(a->names, b->names);
}

struct missing_set {
  struct missing *v;
  size_t n;
  int oom;
};

/* CompactRules: verbs of the same simple resource merge (a rule with
 * several resource names or a URL stays apart in kube; we merge URLs too,
 * which prints the same for one verb). */
static void note_missing(struct missing_set *ms, const struct piece *p) {
  struct missing *m = NULL;
  const char **verbs;
  size_t i;

  for (i = 0; i < ms->n && p->names->n <= 1; i++)
    if (ms->v[i].p.url == NULL && p->url == NULL &&
        same_target(&ms->v[i].p, p)) {
      m = &ms->v[i];
      break;
    }
  if (m == NULL) {
    struct missing *v = realloc(ms->v, (ms->n + 1) * sizeof *v);

    if (v == NULL) {
      ms->oom = 1;
      return;
    }
    ms->v = v;
    m = &v[ms->n++];
    memset(m, 0, sizeof *m);
    m->p = *p;
  }
  verbs = realloc(m->verbs, (m->n_verbs + 1) * sizeof *verbs);
  if (verbs == NULL) {
    ms->oom = 1;
    return;
  }
  m->verbs = verbs;
  verbs[m->n_verbs++] = p->verb;
}

static int cmp_text(const void *a, const void *b) {
  const struct missing *x = a, *y = b;

  return strcmp(x->text ? x->text : "", y->text ? y->text : "");
}

/* The missing pieces' descriptions, sorted and unique, one per line. */
static char *describe(struct missing_set *ms) {
  char *out = NULL;
  size_t len = 0, i;
  FILE *f;

  for (i = 0; i < ms->n; i++)
    if ((ms->v[i].text = compact_string(&ms->v[i])) == NULL)
      return NULL;
  qsort(ms->v, ms->n, sizeof ms->v[0], cmp_text);
  if ((f = open_memstream(&out, &len)) == NULL)
    return NULL;
  for (i = 0; i < ms->n; i++) {
    if (i > 0 && strcmp(ms->v[i].text, ms->v[i - 1].text) == 0)
      continue;
    if (i > 0)
      fputc('\n', f);
    fputs(ms->v[i].text, f);
  }
  if (fclose(f) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

int cp_rbac_rules_cover(const struct cp_rbac_rules *owner,
                        const struct cp_rbac_rules *servant, char **missing) {
  struct missing_set ms = {NULL, 0, 0};
  size_t i, g, r, v, u;
  int rc;

  for (i = 0; i < servant->n; i++) {
    const struct cp_rbac_rule *s = &servant->v[i];
    struct piece p = {NULL, NULL, NULL, NULL, &s->names};

    for (g = 0; g < s->groups.n; g++)
      for (r = 0; r < s->resources.n; r++)
        for (v = 0; v < s->verbs.n; v++) {
          p.group = s->groups.v[g];
          p.resource = s->resources.v[r];
          p.verb = s->verbs.v[v];
          if (!piece_ok(owner, &p))
            note_missing(&ms, &p);
        }
    p.group = p.resource = NULL;
    for (u = 0; u < s->urls.n; u++)
      for (v = 0; v < s->verbs.n; v++) {
        p.url = s->urls.v[u];
        p.verb = s->verbs.v[v];
        if (!piece_ok(owner, &p))
          note_missing(&ms, &p);
      }
  }
  rc = ms.oom ? -1 : ms.n == 0;
  if (rc == 0 && missing != NULL && (*missing = describe(&ms)) == NULL)
    rc = -1;
  for (i = 0; i < ms.n; i++) {
    free(ms.v[i].verbs);
    free(ms.v[i].text);
  }
  free(ms.v);
  return rc;
}

/* ------------------------------------------------------------ JSON */

static json_object *strs_json(const struct cp_rbac_strs *s) {
  json_object *a = json_object_new_array();
  size_t i;

  for (i = 0; a != NULL && i < s->n; i++)
    json_object_array_add(a, json_object_new_string(s->v[i]));
  return a;
}

json_object *cp_rbac_rule_json(const struct cp_rbac_rule *r, int resource) {
  json_object *o = json_object_new_object();

  if (o == NULL)
    return NULL;
  json_object_object_add(o, "verbs", strs_json(&r->verbs));
  if (!resource) {
    json_object_object_add(o, "nonResourceURLs", strs_json(&r->urls));
    return o;
  }
  json_object_object_add(o, "apiGroups", strs_json(&r->groups));
  json_object_object_add(o, "resources", strs_json(&r->resources));
  if (r->names.n > 0)
    json_object_object_add(o, "resourceNames", strs_json(&r->names));
  return o;
}
