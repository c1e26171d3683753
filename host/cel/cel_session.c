/*
 * cel_session - several programs over one set of bindings with lazily
 * evaluated named variables (cel.h), for ValidatingAdmissionPolicy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cel/cel_int.h"

void cel_ctx_enter(struct cel_ctx *c);

enum { LAZY_NEW, LAZY_RUNNING, LAZY_DONE };

struct cel_lazy_state {
  const struct cp_cel_lazy *defs;
  size_t n;
  int *state;           /* LAZY_* per variable */
  struct cel_val *vals; /* in the context's arena once LAZY_DONE */
};

struct cp_cel_session {
  struct cel_ctx c;
  struct cel_lazy_state lazy;
  uint64_t budget;
};

struct cp_cel_session *cp_cel_session_new(const struct cp_cel_binding *b,
                                          size_t n,
                                          const struct cp_cel_lazy *lazy,
                                          size_t n_lazy, uint64_t budget) {
  struct cp_cel_session *s = calloc(1, sizeof *s);

  if (s == NULL)
    return NULL;
  s->c.b = b;
  s->c.nb = n;
  s->budget = budget;
  s->lazy.defs = lazy;
  s->lazy.n = n_lazy;
  s->lazy.state = calloc(n_lazy ? n_lazy : 1, sizeof *s->lazy.state);
  s->lazy.vals = calloc(n_lazy ? n_lazy : 1, sizeof *s->lazy.vals);
  if (s->lazy.state == NULL || s->lazy.vals == NULL) {
    cp_cel_session_free(s);
    return NULL;
  }
  s->c.lazy = &s->lazy;
  return s;
}

void cp_cel_session_authorizer(struct cp_cel_session *s,
                               cp_cel_authorize_fn fn, void *arg) {
  s->c.authorize = fn;
  s->c.authorize_arg = arg;
}

void cp_cel_session_free(struct cp_cel_session *s) {
  if (s == NULL)
    return;
  cel_ctx_free(&s->c);
  free(s->lazy.state);
  free(s->lazy.vals);
  free(s);
}

struct cel_val cel_lazy_get(struct cel_ctx *c, const char *name) {
  struct cel_lazy_state *l = c->lazy;
  size_t i;

  for (i = 0; i < l->n; i++)
    if (strcmp(l->defs[i].name, name) == 0)
      break;
  if (i == l->n)
    return cel_err(c, "no such key: %s", name);
  if (l->state[i] == LAZY_RUNNING)
    return cel_err(c, "variable %s refers to itself", name);
  if (l->state[i] == LAZY_NEW) {
    l->state[i] = LAZY_RUNNING;
    /* Its cost counts against the expression that first named it, as
     * in kube. */
    l->vals[i] = cel_eval_program(c, l->defs[i].p);
    l->state[i] = LAZY_DONE;
  }
  return l->vals[i];
}

/* One evaluation: a fresh per-call limit within what the budget has
 * left. */
static struct cel_val run(struct cp_cel_session *s,
                          const struct cp_cel_program *p) {
  uint64_t left = s->c.cost < s->budget ? s->budget - s->c.cost : 0;

  s->c.limit = s->c.cost + (left < CP_CEL_PER_CALL_LIMIT
                                ? left
                                : CP_CEL_PER_CALL_LIMIT);
  s->c.cancelled = left == 0;
  cel_ctx_enter(&s->c);
  return cel_eval_program(&s->c, p);
}

static char *msg_dup(const struct cel_val *v) {
  return strndup(v->v.s.p, v->v.s.n);
}

int cp_cel_session_bool(struct cp_cel_session *s,
                        const struct cp_cel_program *p, char **err) {
  struct cel_val v = run(s, p);

  *err = NULL;
  if (v.k == K_BOOL)
    return v.v.b;
  if (v.k == K_ERROR)
    *err = msg_dup(&v);
  else if (asprintf(err, "no such overload: rule result is %s, not bool",
                    cel_type_name(&v)) < 0)
    *err = NULL;
  if (*err == NULL)
    *err = strdup("out of memory");
  return -1;
}

int cp_cel_session_string(struct cp_cel_session *s,
                          const struct cp_cel_program *p, char **out,
                          char **err) {
  struct cel_val v = run(s, p);

  *err = *out = NULL;
  if (v.k == K_NULL)
    return 1;
  if (v.k == K_STRING) {
    if ((*out = strndup(v.v.s.p, v.v.s.n)) != NULL)
      return 0;
  } else if (v.k == K_ERROR) {
    *err = msg_dup(&v);
  } else if (asprintf(err, "expression must evaluate to a string, got %s",
                      cel_type_name(&v)) < 0) {
    *err = NULL;
  }
  if (*err == NULL)
    *err = strdup("out of memory");
  return -1;
}
