/*
 * auth - see auth.h.
 */
#include "apiserver/auth.h"

#include "apiserver/rbac/authorizer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

struct token {
  char *token;
  struct cp_user user;
};


struct cp_auth {
  struct token *tokens;
  size_t n_tokens;
  struct cp_auth_rule *rules;
  size_t n_rules;
  struct cp_rbac *rbac; /* borrowed; NULL: only system:masters */
};

/* Splits a comma-separated list, trimming spaces and quotes. */
static int split(const char *text, struct cp_auth_list *l) {
  const char *p = text;

  memset(l, 0, sizeof *l);
  while (p != NULL && *p != '\0') {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char **items;

    while (n > 0 && (*p == ' ' || *p == '"')) {
      p++;
      n--;
    }
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '"' || p[n - 1] == '\n' ||
                     p[n - 1] == '\r'))
      n--;
    if (n > 0) {
      items = realloc(l->items, (l->n + 1) * sizeof *items);
      if (items == NULL || (items[l->n] = strndup(p, n)) == NULL) {
        l->items = items ? items : l->items;
        return -1;
      }
      l->items = items;
      l->n++;
    }
    p = e ? e + 1 : NULL;
  }
  return 0;
}

static void list_free(struct cp_auth_list *l) {
  size_t i;

  for (i = 0; i < l->n; i++)
    free(l->items[i]);
  free(l->items);
  memset(l, 0, sizeof *l);
}

/* token,user,uid[,"g1,g2"] */
static int parse_token_line(char *line, struct token *t) {
  char *f[3], *groups, *p = line;
  int i;

  memset(t, 0, sizeof *t);
  for (i = 0; i < 3; i++) {
    char *c = strchr(p, ',');

    f[i] = p;
    if (c == NULL) {
      if (i < 2)
        return -1;
      p = p + strlen(p);
      break;
    }
    *c = '\0';
    p = c + 1;
  }
  groups = *p ? p : NULL;
  f[2][strcspn(f[2], "\r\n")] = '\0';
  f[0][strcspn(f[0], "\r\n")] = '\0';
  if (f[0][0] == '\0' || f[1][0] == '\0')
    return -1;
  t->token = strdup(f[0]);
  t->user.name = strdup(f[1]);
  if (t->token == NULL || t->user.name == NULL)
    return -1;
  if (groups != NULL) {
    struct cp_auth_list l;

    if (split(groups, &l) < 0)
      return -1;
    t->user.groups = l.items;
    t->user.n_groups = l.n;
  }
  return 0;
}

static int load_tokens(struct cp_auth *a, const char *path, char **errmsg) {
  FILE *f = fopen(path, "r");
  char line[4096];
  int lineno = 0;

  if (f == NULL) {
    if (asprintf(errmsg, "cannot read tokens file %s: %s", path,
                 strerror(errno)) < 0)
      *errmsg = NULL;
    return -1;
  }
  while (fgets(line, sizeof line, f) != NULL) {
    struct token *ts;

    lineno++;
    if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
      continue;
    ts = realloc(a->tokens, (a->n_tokens + 1) * sizeof *ts);
    if (ts == NULL)
      break;
    a->tokens = ts;
    if (parse_token_line(line, &ts[a->n_tokens]) < 0) {
      struct token *t = &ts[a->n_tokens];
      size_t g;

      free(t->token);
      free(t->user.name);
      for (g = 0; g < t->user.n_groups; g++)
        free(t->user.groups[g]);
      free(t->user.groups);
      if (asprintf(errmsg, "%s:%d: expected token,user,uid[,\"groups\"]",
                   path, lineno) < 0)
        *errmsg = NULL;
      fclose(f);
      return -1;
    }
    a->n_tokens++;
  }
  fclose(f);
  return 0;
}

struct cp_auth *cp_auth_new(const char *tokens_file,
                            const struct cp_authz_rule_config *rules,
                            size_t n_rules, char **errmsg) {
  struct cp_auth *a = calloc(1, sizeof *a);
  size_t i;

  *errmsg = NULL;
  if (a == NULL)
    return NULL;
  if (tokens_file != NULL && load_tokens(a, tokens_file, errmsg) < 0)
    goto fail;
  if (n_rules > 0 && (a->rules = calloc(n_rules, sizeof *a->rules)) == NULL)
    goto fail;
  for (i = 0; i < n_rules; i++) {
    const struct cp_authz_rule_config *c = &rules[i];
    struct cp_auth_rule *r = &a->rules[i];

    a->n_rules = i + 1;
    if ((r->name = strdup(c->name ? c->name : "")) == NULL)
      goto fail;
    if (split(c->users, &r->users) < 0 || split(c->groups, &r->groups) < 0 ||
        split(c->verbs, &r->verbs) < 0 ||
        split(c->resources, &r->resources) < 0 ||
        split(c->namespaces ? c->namespaces : "*", &r->namespaces) < 0 ||
        split(c->non_resource_urls, &r->paths) < 0)
      goto fail;
    if ((r->users.n == 0 && r->groups.n == 0) || r->verbs.n == 0 ||
        (r->resources.n == 0 && r->paths.n == 0)) {
      if (asprintf(errmsg, "[authz.%s] needs users or groups, verbs and "
                           "resources or non_resource_urls", c->name) < 0)
        *errmsg = NULL;
      goto fail;
    }
  }
  return a;
fail:
  cp_auth_free(a);
  return NULL;
}

void cp_auth_free(struct cp_auth *a) {
  size_t i, g;

  if (a == NULL)
    return;
  for (i = 0; i < a->n_tokens; i++) {
    free(a->tokens[i].token);
    free(a->tokens[i].user.name);
    for (g = 0; g < a->tokens[i].user.n_groups; g++)
      free(a->tokens[i].user.groups[g]);
    free(a->tokens[i].user.groups);
  }
  free(a->tokens);
  for (i = 0; i < a->n_rules; i++) {
    free(a->rules[i].name);
    list_free(&a->rules[i].users);
    list_free(&a->rules[i].groups);
    list_free(&a->rules[i].verbs);
    list_free(&a->rules[i].resources);
    list_free(&a->rules[i].namespaces);
    list_free(&a->rules[i].paths);
  }
  free(a->rules);
  free(a);
}

/* Compares without leaking the length of the common prefix in time. */
static int same_secret(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b), i;
  unsigned char d = la != lb;

  for (i = 0; i < la && i < lb; i++)
    d |= (unsigned char)(a[i] ^ b[i]);
  return d == 0;
}

const struct cp_user *cp_auth_token(const struct cp_auth *a,
                                    const char *token) {
  size_t i;

  if (a == NULL || token == NULL || token[0] == '\0')
    return NULL;
  for (i = 0; i < a->n_tokens; i++)
    if (same_secret(a->tokens[i].token, token))
      return &a->tokens[i].user;
  return NULL;
}

size_t cp_auth_rules(const struct cp_auth *a,
                     const struct cp_auth_rule **out) {
  *out = a != NULL ? a->rules : NULL;
  return a != NULL ? a->n_rules : 0;
}

void cp_auth_set_rbac(struct cp_auth *a, struct cp_rbac *r) { a->rbac = r; }

int cp_auth_authorize(const struct cp_auth *a, const struct cp_rbac_attrs *at,
                      char *reason, size_t len) {
  return cp_rbac_authorize(a != NULL ? a->rbac : NULL, at, reason, len);
}

int cp_auth_allowed(const struct cp_auth *a, const char *user,
                    char *const *groups, size_t n_groups, const char *verb,
                    const char *resource, const char *ns) {
  const char *slash = strchr(resource, '/');
  struct cp_rbac_attrs at = {user, groups, n_groups, verb, 1, "", resource,
                             "", "", ns ? ns : "", ""};
  char res[256];

  if (slash != NULL) {
    snprintf(res, sizeof res, "%.*s", (int)(slash - resource), resource);
    at.resource = res;
    at.subresource = slash + 1;
  }
  return cp_auth_authorize(a, &at, NULL, 0);
}

int cp_auth_allowed_path(const struct cp_auth *a, const char *user,
                         char *const *groups, size_t n_groups,
                         const char *verb, const char *path) {
  struct cp_rbac_attrs at = {user, groups, n_groups, verb, 0, "", "",
                             "", "", "", path};

  return cp_auth_authorize(a, &at, NULL, 0);
}

const char *cp_auth_admin_token(const struct cp_auth *a) {
  size_t i, g;

  for (i = 0; a != NULL && i < a->n_tokens; i++)
    for (g = 0; g < a->tokens[i].user.n_groups; g++)
      if (strcmp(a->tokens[i].user.groups[g], "system:masters") == 0)
        return a->tokens[i].token;
  return NULL;
}

char *cp_auth_make_token_file(const char *path, char **errmsg) {
  unsigned char raw[24];
  char *token = malloc(2 * sizeof raw + 1);
  FILE *f;
  int fd;
  size_t i;

  *errmsg = NULL;
  if (token == NULL || getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
    free(token);
    *errmsg = strdup("cannot make a random token");
    return NULL;
  }
  for (i = 0; i < sizeof raw; i++)
    sprintf(token + 2 * i, "%02x", raw[i]);
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
    if (asprintf(errmsg, "cannot create tokens file %s: %s", path,
                 strerror(errno)) < 0)
      *errmsg = NULL;
    if (fd >= 0)
      close(fd);
    free(token);
    return NULL;
  }
  fprintf(f, "# token,user,uid,\"groups\" (kube-apiserver's static token "
             "file)\n%s,admin,admin,\"system:masters\"\n", token);
  if (fclose(f) != 0) {
    *errmsg = strdup("cannot write the tokens file");
    free(token);
    return NULL;
  }
  return token;
}
