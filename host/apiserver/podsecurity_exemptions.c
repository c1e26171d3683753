/*
 * podsecurity_exemptions - see podsecurity_exemptions.h.
 */
#include "apiserver/podsecurity_exemptions.h"

#include <stdlib.h>
#include <string.h>

/* The most names a list may hold (kube's lists are short). */
#define MAX_NAMES 256

struct list {
  char **v;
  size_t n;
};

struct cp_psa_exemptions {
  struct list users, namespaces, runtime_classes;
};

static void list_free(struct list *l) {
  size_t i;

  for (i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
}

/* "a, b,c" into l, spaces trimmed, empty entries skipped. 0, or -1 out
 * of memory. */
static int list_parse(struct list *l, const char *s) {
  const char *p = s;

  if (s == NULL)
    return 0;
  l->v = calloc(MAX_NAMES, sizeof *l->v);
  if (l->v == NULL)
    return -1;
  while (*p != '\0' && l->n < MAX_NAMES) {
    size_t n;

    p += strspn(p, " \t,");
    n = strcspn(p, ",");
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
      n--;
    if (n > 0 && (l->v[l->n++] = strndup(p, n)) == NULL)
      return -1;
    p += strcspn(p, ",");
  }
  return 0;
}

static int list_has(const struct list *l, const char *name) {
  size_t i;

  if (name == NULL || name[0] == '\0')
    return 0;
  for (i = 0; i < l->n; i++)
    if (strcmp(l->v[i], name) == 0)
      return 1;
  return 0;
}

struct cp_psa_exemptions *cp_psa_exemptions_new(const char *usernames,
                                                const char *namespaces,
                                                const char *runtime_classes) {
  struct cp_psa_exemptions *e = calloc(1, sizeof *e);

  if (e == NULL)
    return NULL;
  if (list_parse(&e->users, usernames) < 0 ||
      list_parse(&e->namespaces, namespaces) < 0 ||
      list_parse(&e->runtime_classes, runtime_classes) < 0) {
    cp_psa_exemptions_free(e);
    return NULL;
  }
  return e;
}

void cp_psa_exemptions_free(struct cp_psa_exemptions *e) {
  if (e == NULL)
    return;
  list_free(&e->users);
  list_free(&e->namespaces);
  list_free(&e->runtime_classes);
  free(e);
}

int cp_psa_exempt_user(const struct cp_psa_exemptions *e, const char *name) {
  return e != NULL && list_has(&e->users, name);
}

int cp_psa_exempt_namespace(const struct cp_psa_exemptions *e,
                            const char *name) {
  return e != NULL && list_has(&e->namespaces, name);
}

int cp_psa_exempt_runtime_class(const struct cp_psa_exemptions *e,
                                const char *name) {
  return e != NULL && list_has(&e->runtime_classes, name);
}
