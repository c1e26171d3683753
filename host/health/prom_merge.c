/*
 * prom_merge - see prom_merge.h. Each family keeps its header lines and
 * a growing buffer of samples; a sample line is copied once.
 */
#include "health/prom_merge.h"

#include <stdlib.h>
#include <string.h>

struct family {
  char *name;
  char *help, *type; /* whole lines, or NULL */
  char *samples;     /* lines, each ending in '\n' */
  size_t len, cap;
};

struct merge {
  struct family *f;
  size_t n, cap;
};

/* The family named by "# HELP NAME ..." / "# TYPE NAME ...": *kind 'H' or
 * 'T' and the name's span; 0 when the line is neither. */
static int header(const char *line, size_t len, char *kind, const char **name,
                  size_t *nlen) {
  size_t i = 7;

  if (len < 8 || (strncmp(line, "# HELP ", 7) != 0 &&
                  strncmp(line, "# TYPE ", 7) != 0))
    return 0;
  *kind = line[2];
  *name = line + i;
  while (i < len && line[i] != ' ')
    i++;
  *nlen = (size_t)(line + i - *name);
  return *nlen > 0;
}

static struct family *find_or_add(struct merge *m, const char *name,
                                  size_t nlen) {
  size_t i;

  for (i = 0; i < m->n; i++)
    if (strlen(m->f[i].name) == nlen && memcmp(m->f[i].name, name, nlen) == 0)
      return &m->f[i];
  if (m->n == CP_PROM_MERGE_MAX_FAMILIES)
    return NULL;
  if (m->n == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 32;
    struct family *g = realloc(m->f, cap * sizeof *g);

    if (g == NULL)
      return NULL;
    m->f = g;
    m->cap = cap;
  }
  memset(&m->f[m->n], 0, sizeof m->f[m->n]);
  m->f[m->n].name = strndup(name, nlen);
  if (m->f[m->n].name == NULL)
    return NULL;
  return &m->f[m->n++];
}

static int append(struct family *f, const char *line, size_t len) {
  if (f->len + len + 1 > f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 256;
    char *g;

    while (cap < f->len + len + 1)
      cap *= 2;
    g = realloc(f->samples, cap);
    if (g == NULL)
      return -1;
    f->samples = g;
    f->cap = cap;
  }
  memcpy(f->samples + f->len, line, len);
  f->samples[f->len + len] = '\n';
  f->len += len + 1;
  return 0;
}

/* One source into m. Returns 0, or -1 when out of memory. */
static int add_source(struct merge *m, const char *s) {
  struct family *cur = NULL;

  while (*s != '\0') {
    const char *nl = strchr(s, '\n');
    size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);
    const char *name;
    size_t nlen;
    char kind;

    if (header(s, len, &kind, &name, &nlen)) {
      char **slot;

      cur = find_or_add(m, name, nlen);
      if (cur == NULL && m->n < CP_PROM_MERGE_MAX_FAMILIES)
        return -1;
      slot = cur == NULL ? NULL : kind == 'H' ? &cur->help : &cur->type;
      if (slot != NULL && *slot == NULL &&
          (*slot = strndup(s, len)) == NULL)
        return -1;
    } else if (len > 0 && s[0] != '#' && cur != NULL) {
      if (append(cur, s, len) < 0)
        return -1;
    }
    s += len + (nl != NULL);
  }
  return 0;
}

int cp_prom_merge(const char *const *src, size_t n, FILE *out) {
  struct merge m = {0};
  size_t i;
  int rc = -1;

  for (i = 0; i < n; i++)
    if (src[i] != NULL && add_source(&m, src[i]) < 0)
      goto out;
  for (i = 0; i < m.n; i++) {
    if (m.f[i].help != NULL)
      fprintf(out, "%s\n", m.f[i].help);
    if (m.f[i].type != NULL)
      fprintf(out, "%s\n", m.f[i].type);
    if (m.f[i].len > 0)
      fwrite(m.f[i].samples, 1, m.f[i].len, out);
  }
  rc = ferror(out) ? -1 : 0;
out:
  for (i = 0; i < m.n; i++) {
    free(m.f[i].name);
    free(m.f[i].help);
    free(m.f[i].type);
    free(m.f[i].samples);
  }
  free(m.f);
  return rc;
}
