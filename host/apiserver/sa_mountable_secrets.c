/*
 * sa_mountable_secrets - see sa_mountable_secrets.h.
 */
#include "apiserver/sa_mountable_secrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/verbs.h"

#define NOT_REFERENCED "is not allowed because service account %s does not "

int cp_sa_enforces_mountable(json_object *sa) {
  static const char *const truths[] = {"1", "t", "T", "TRUE", "true", "True"};
  const char *v =
      get_str(get(get(sa, "metadata"), "annotations"), CP_SA_ENFORCE_MOUNTABLE);
  size_t i;

  for (i = 0; v != NULL && i < sizeof truths / sizeof truths[0]; i++)
    if (strcmp(v, truths[i]) == 0)
      return 1;
  return 0;
}

/* Whether list (an array of {"name": ...}) names name. */
static int listed(json_object *list, const char *name) {
  size_t i;

  if (!json_object_is_type(list, json_type_array))
    return 0;
  for (i = 0; i < json_object_array_length(list); i++) {
    const char *n = get_str(json_object_array_get_idx(list, i), "name");

    if (n != NULL && strcmp(n, name) == 0)
      return 1;
  }
  return 0;
}

static size_t len_of(json_object *a) {
  return json_object_is_type(a, json_type_array) ? json_object_array_length(a)
                                                 : 0;
}

/* The first secret reference of one container the ServiceAccount does
 * not list: 1 with *why, 0 none, -1 out of memory. kind: "container" or
 * "init container". */
static int container_refs(json_object *c, const char *kind,
                          json_object *secrets, const char *sa_name,
                          char **why) {
  json_object *env = get(c, "env"), *from = get(c, "envFrom");
  const char *cname = get_str(c, "name");
  size_t i;
  int rc;

  for (i = 0; i < len_of(env); i++) {
    json_object *e = json_object_array_get_idx(env, i);
    const char *s = get_str(get(get(e, "valueFrom"), "secretKeyRef"), "name");

    if (s == NULL || listed(secrets, s))
      continue;
    rc = asprintf(why,
                  "%s %s with envVar %s referencing "
                  "secret.secretName=\"%s\" " NOT_REFERENCED
                  "reference that secret",
                  kind, cname ? cname : "",
                  get_str(e, "name") ? get_str(e, "name") : "", s, sa_name);
    return rc < 0 ? -1 : 1;
  }
  for (i = 0; i < len_of(from); i++) {
    const char *s =
        get_str(get(json_object_array_get_idx(from, i), "secretRef"), "name");

    if (s == NULL || listed(secrets, s))
      continue;
    rc = asprintf(why,
                  "%s %s with envFrom referencing "
                  "secret.secretName=\"%s\" " NOT_REFERENCED
                  "reference that secret",
                  kind, cname ? cname : "", s, sa_name);
    return rc < 0 ? -1 : 1;
  }
  return 0;
}

int cp_sa_limit_secret_references(json_object *sa, const char *sa_name,
                                  json_object *pod, char **why) {
  static const char *const lists[] = {"initContainers", "containers"};
  static const char *const kinds[] = {"init container", "container"};
  json_object *spec = get(pod, "spec"), *secrets = get(sa, "secrets");
  json_object *vols = get(spec, "volumes"), *pulls;
  size_t i, k;
  int rc;

  *why = NULL;
  for (i = 0; i < len_of(vols); i++) {
    const char *s = get_str(get(json_object_array_get_idx(vols, i), "secret"),
                            "secretName");

    if (s == NULL || listed(secrets, s))
      continue;
    rc = asprintf(why,
                  "volume with secret.secretName=\"%s\" " NOT_REFERENCED
                  "reference that secret",
                  s, sa_name);
    return rc < 0 ? -1 : 1;
  }
  for (k = 0; k < 2; k++) {
    json_object *l = get(spec, lists[k]);

    for (i = 0; i < len_of(l); i++) {
      rc = container_refs(json_object_array_get_idx(l, i), kinds[k], secrets,
                          sa_name, why);
      if (rc != 0)
        return rc;
    }
  }
  pulls = get(spec, "imagePullSecrets");
  for (i = 0; i < len_of(pulls); i++) {
    const char *s = get_str(json_object_array_get_idx(pulls, i), "name");

    if (s == NULL || listed(get(sa, "imagePullSecrets"), s))
      continue;
    rc = asprintf(why,
                  "imagePullSecrets[%zu].name=\"%s\" " NOT_REFERENCED
                  "reference that imagePullSecret",
                  i, s, sa_name);
    return rc < 0 ? -1 : 1;
  }
  return 0;
}
