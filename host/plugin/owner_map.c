/*
 * owner_map - see owner_map.h.
 */
#include "plugin/owner_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/object.h"
#include "workqueue/workqueue.h"

static int same_rule(const struct cp_owner_rule *r, uint32_t resource,
                     const char *group, const char *kind, uint32_t flags) {
  return r->resource == resource && r->flags == flags &&
         strcmp(r->group, group) == 0 && strcmp(r->kind, kind) == 0;
}

int cp_owner_map_add(struct cp_owner_map *m, uint32_t resource,
                     const char *group, const char *kind, uint32_t flags) {
  struct cp_owner_rule *grown, *r;
  size_t i;

  if (m == NULL || group == NULL || kind == NULL || *kind == '\0' ||
      (flags & ~(CPLANE_OWNER_CONTROLLER | CPLANE_OWNER_CLUSTER)) != 0)
    return CPLANE_EINVAL;
  for (i = 0; i < m->n; i++)
    if (same_rule(&m->rules[i], resource, group, kind, flags))
      return CPLANE_OK;
  if (m->n >= CP_OWNER_MAP_MAX_RULES)
    return CPLANE_EINVAL;
  grown = realloc(m->rules, (m->n + 1) * sizeof *grown);
  if (grown == NULL)
    return CPLANE_ENOMEM;
  m->rules = grown;
  r = &m->rules[m->n];
  r->resource = resource;
  r->flags = flags;
  r->group = strdup(group);
  r->kind = strdup(kind);
  if (r->group == NULL || r->kind == NULL) {
    free(r->group);
    free(r->kind);
    return CPLANE_ENOMEM;
  }
  m->n++;
  return CPLANE_OK;
}

int cp_owner_map_has(const struct cp_owner_map *m, uint32_t resource) {
  size_t i;

  for (i = 0; m != NULL && i < m->n; i++)
    if (m->rules[i].resource == resource)
      return 1;
  return 0;
}

/* 1 when apiVersion ("apps/v1", "v1") names `group`. */
static int group_matches(const char *api_version, const char *group) {
  const char *slash = strchr(api_version, '/');
  size_t len = strlen(group);

  if (slash == NULL)
    return len == 0;
  return (size_t)(slash - api_version) == len &&
         strncmp(api_version, group, len) == 0;
}

/* 1 when ownerReferences[i] of obj satisfies rule r. */
static int reference_matches(const cplane_object *obj, int i,
                             const struct cp_owner_rule *r) {
  char path[80];
  const char *av, *kind;
  int controller = 0;

  snprintf(path, sizeof path, "metadata.ownerReferences[%d].apiVersion", i);
  av = cp_object_string(obj, path);
  snprintf(path, sizeof path, "metadata.ownerReferences[%d].kind", i);
  kind = cp_object_string(obj, path);
  if (av == NULL || kind == NULL || strcmp(kind, r->kind) != 0 ||
      !group_matches(av, r->group))
    return 0;
  if ((r->flags & CPLANE_OWNER_CONTROLLER) == 0)
    return 1;
  snprintf(path, sizeof path, "metadata.ownerReferences[%d].controller", i);
  return cp_object_bool(obj, path, &controller) == CPLANE_OK && controller;
}

/* Calls fn with the key of the owner ownerReferences[i] names under rule
 * r. Returns fn's answer, 0 when there is no key. */
static int reference_key(const cplane_object *obj, int i,
                         const struct cp_owner_rule *r,
                         int (*fn)(void *userdata, const char *key),
                         void *userdata) {
  const char *ns = cp_object_namespace(obj), *name;
  char path[80], *key = NULL;
  int rc;

  snprintf(path, sizeof path, "metadata.ownerReferences[%d].name", i);
  name = cp_object_string(obj, path);
  if (name == NULL || *name == '\0')
    return 0;
  /* A cluster-scoped owner has no namespace, whatever the dependent's. */
  if (ns != NULL && *ns != '\0' && (r->flags & CPLANE_OWNER_CLUSTER) == 0)
    rc = asprintf(&key, "%s/%s", ns, name);
  else
    rc = asprintf(&key, "%s", name);
  if (rc < 0)
    return 0;
  rc = fn(userdata, key) != 0;
  free(key);
  return rc;
}

size_t cp_owner_map_keys(const struct cp_owner_map *m, uint32_t resource,
                         const cplane_object *obj,
                         int (*fn)(void *userdata, const char *key),
                         void *userdata) {
  size_t i, n_true = 0;
  int n, j;

  if (m == NULL || obj == NULL || fn == NULL)
    return 0;
  n = cp_object_len(obj, "metadata.ownerReferences");
  for (i = 0; i < m->n; i++) {
    const struct cp_owner_rule *r = &m->rules[i];

    if (r->resource != resource)
      continue;
    for (j = 0; j < n; j++)
      if (reference_matches(obj, j, r))
        n_true += (size_t)reference_key(obj, j, r, fn, userdata);
  }
  return n_true;
}

static int queue_key(void *userdata, const char *key) {
  return cp_workqueue_add(userdata, key) == CPLANE_OK;
}

size_t cp_owner_map_enqueue(const struct cp_owner_map *m, uint32_t resource,
                            const cplane_object *obj,
                            struct cp_workqueue *q) {
  if (q == NULL)
    return 0;
  return cp_owner_map_keys(m, resource, obj, queue_key, q);
}

void cp_owner_map_clear(struct cp_owner_map *m) {
  size_t i;

  if (m == NULL)
    return;
  for (i = 0; i < m->n; i++) {
    free(m->rules[i].group);
    free(m->rules[i].kind);
  }
  free(m->rules);
  m->rules = NULL;
  m->n = 0;
}
