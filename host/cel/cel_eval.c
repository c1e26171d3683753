/*
 * cel_eval - evaluates a CEL AST: variables, field selection, indexing,
 * the operators (error absorption for && || ?: and the all/exists
 * macros as cel-spec defines it, overflow and division by zero as
 * errors), macros, and the cost meter: one unit per node visited and per
 * macro iteration, more for operations on long values, so a rule stops
 * with CP_CEL_COST_EXCEEDED well before it can hold a request thread.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cel/cel_int.h"

struct cel_val cel_json(struct cel_ctx *c, struct json_object *j);
void cel_ctx_enter(struct cel_ctx *c);

#define OVERFLOW "integer overflow"

static struct cel_val eval(struct cel_ctx *c, const struct cel_node *n,
                           const struct cel_scope *sc);

static struct cel_val cancelled(struct cel_ctx *c) {
  return cel_err(c, CP_CEL_COST_EXCEEDED);
}

static struct cel_val opt_of(struct cel_ctx *c, struct cel_val v) {
  struct cel_val o = {.k = K_OPT};

  if ((o.v.opt = cel_alloc(c, sizeof *o.v.opt)) == NULL)
    return cel_err(c, "out of memory");
  *o.v.opt = v;
  return o;
}

static struct cel_val opt_none(void) {
  return (struct cel_val){.k = K_OPT, .v.opt = NULL};
}

static struct cel_val ident(struct cel_ctx *c, const struct cel_node *n,
                            const struct cel_scope *sc) {
  size_t i;

  for (; sc != NULL; sc = sc->up)
    if (strcmp(sc->name, n->name) == 0)
      return sc->v;
  for (i = 0; i < c->nb; i++) {
    if (strcmp(c->b[i].name, n->name) != 0)
      continue;
    if (!c->b[i].optional)
      return cel_json(c, c->b[i].value);
    return c->b[i].value == NULL ? opt_none()
                                 : opt_of(c, cel_json(c, c->b[i].value));
  }
  for (sc = c->vars; sc != NULL; sc = sc->up)
    if (strcmp(sc->name, n->name) == 0)
      return sc->v;
  if (strcmp(n->name, "optional") != 0 && cel_function_known("int", 0))
    return cel_type(n->name); /* the parser let only type names through */
  return cel_err(c, "no such attribute: %s", n->name);
}

/* Field name of t (a map). */
static struct cel_val field(struct cel_ctx *c, struct cel_val t,
                            const char *name, int optional, int *found) {
  struct cel_val k = cel_str(name, strlen(name)), v;

  *found = 0;
  if (t.k != K_MAP)
    return cel_err(c, "type '%s' does not support field selection",
                   cel_type_name(&t));
  v = cel_map_get(c, t.v.m, &k, found);
  if (v.k == K_ERROR || *found)
    return v;
  return optional ? v : cel_err(c, "no such key: %s", name);
}

/* 1 when sc binds name (a macro variable shadows a session's). */
static int scoped(const struct cel_scope *sc, const char *name) {
  for (; sc != NULL; sc = sc->up)
    if (strcmp(sc->name, name) == 0)
      return 1;
  return 0;
}

static struct cel_val select_(struct cel_ctx *c, const struct cel_node *n,
                              const struct cel_scope *sc) {
  struct cel_val t, v;
  int found, was_opt;

  /* A session's variables are computed when first named, as kube's
   * composition environment does (cel_session.c). */
  if (c->lazy != NULL && !n->optional && n->target->k == N_IDENT &&
      strcmp(n->target->name, "variables") == 0 &&
      !scoped(sc, "variables"))
    return cel_lazy_get(c, n->name);
  t = eval(c, n->target, sc);
  was_opt = t.k == K_OPT;

  if (t.k == K_ERROR)
    return t;
  if (was_opt) {
    if (t.v.opt == NULL)
      return t;
    t = *t.v.opt;
  }
  v = field(c, t, n->name, n->optional || was_opt, &found);
  if (v.k == K_ERROR)
    return v;
  if (n->optional || was_opt)
    return found ? opt_of(c, v) : opt_none();
  return v;
}

static struct cel_val has(struct cel_ctx *c, const struct cel_node *n,
                          const struct cel_scope *sc) {
  struct cel_val t = eval(c, n->target->target, sc), k, v;
  int found;

  if (t.k == K_ERROR)
    return t;
  if (t.k == K_OPT) { /* has(x.?y.z): false when x.?y is none */
    if (t.v.opt == NULL)
      return cel_bool(0);
    t = *t.v.opt;
  }
  if (t.k != K_MAP)
    return cel_no_overload(c, "has");
  k = cel_str(n->target->name, strlen(n->target->name));
  v = cel_map_get(c, t.v.m, &k, &found);
  return v.k == K_ERROR ? v : cel_bool(found);
}

/* A whole number as a list index: int, uint or an integral double. */
static int as_index(const struct cel_val *i, int64_t *out) {
  if (i->k == K_INT) {
    *out = i->v.i;
    return 0;
  }
  if (i->k == K_UINT) {
    *out = i->v.u > INT64_MAX ? INT64_MAX : (int64_t)i->v.u;
    return 0;
  }
  if (i->k == K_DOUBLE && i->v.d == trunc(i->v.d) && fabs(i->v.d) < 9e18) {
    *out = (int64_t)i->v.d;
    return 0;
  }
  return -1;
}

static struct cel_val index_(struct cel_ctx *c, struct cel_val t,
                             struct cel_val i, int optional) {
  int64_t ix;
  int found;
  struct cel_val v;

  if (t.k == K_OPT) {
    if (t.v.opt == NULL)
      return t;
    t = *t.v.opt;
    optional = 1;
  }
  if (t.k == K_LIST) {
    if (as_index(&i, &ix) < 0)
      return cel_no_overload(c, "_[_]");
    if (ix < 0 || (uint64_t)ix >= cel_list_len(t.v.l))
      return optional ? opt_none()
                      : cel_err(c, "index out of bounds: %lld", (long long)ix);
    v = cel_list_get(t.v.l, (size_t)ix);
    return optional ? opt_of(c, v) : v;
  }
  if (t.k == K_MAP) {
    v = cel_map_get(c, t.v.m, &i, &found);
    if (v.k == K_ERROR)
      return v;
    if (found)
      return optional ? opt_of(c, v) : v;
    if (optional)
      return opt_none();
    if (i.k == K_STRING)
      return cel_err(c, "no such key: %.*s", (int)(i.v.s.n > 200 ? 200 : i.v.s.n),
                     i.v.s.p);
    return cel_err(c, "no such key: %s", cel_format(c, &i) ?: "?");
  }
  return cel_no_overload(c, "_[_]");
}

static struct cel_val list_lit(struct cel_ctx *c, const struct cel_node *n,
                               const struct cel_scope *sc) {
  struct cel_val l = cel_list_new(c, n->n_args);
  size_t i, k = 0;

  if (l.k == K_ERROR)
    return l;
  for (i = 0; i < n->n_args; i++) {
    struct cel_val v = eval(c, n->args[i], sc);

    if (v.k == K_ERROR)
      return v;
    if (n->opt_flags[i]) {
      if (v.k != K_OPT)
        return cel_no_overload(c, "optional list element");
      if (v.v.opt == NULL)
        continue;
      v = *v.v.opt;
    }
    l.v.l->v[k++] = v;
  }
  l.v.l->n = k;
  return l;
}

static struct cel_val map_lit(struct cel_ctx *c, const struct cel_node *n,
                              const struct cel_scope *sc) {
  struct cel_map *m = cel_alloc(c, sizeof *m);
  size_t i, cnt = n->n_args / 2;
  struct cel_val out = {.k = K_MAP};

  if (m == NULL)
    return cel_err(c, "out of memory");
  memset(m, 0, sizeof *m);
  if (cnt > 0 && ((m->keys = cel_alloc(c, cnt * sizeof *m->keys)) == NULL ||
                  (m->vals = cel_alloc(c, cnt * sizeof *m->vals)) == NULL))
    return cel_err(c, "out of memory");
  for (i = 0; i < cnt; i++) {
    struct cel_val k = eval(c, n->args[2 * i], sc), v;
    int found;

    if (k.k == K_ERROR)
      return k;
    v = eval(c, n->args[2 * i + 1], sc);
    if (v.k == K_ERROR)
      return v;
    if (k.k != K_STRING && k.k != K_INT && k.k != K_UINT && k.k != K_BOOL)
      return cel_err(c, "unsupported key type: %s", cel_type_name(&k));
    if (n->opt_flags[2 * i]) {
      if (v.k != K_OPT)
        return cel_no_overload(c, "optional map entry");
      if (v.v.opt == NULL)
        continue;
      v = *v.v.opt;
    }
    cel_map_get(c, m, &k, &found);
    if (found)
      return cel_err(c, "Failed with repeated key");
    m->keys[m->n] = k;
    m->vals[m->n++] = v;
  }
  out.v.m = m;
  return out;
}

/* && and ||: a decisive value on either side wins over an error on the
 * other (cel-spec's commutative short-circuit). */
static struct cel_val logic(struct cel_ctx *c, const struct cel_node *n,
                            const struct cel_scope *sc, int is_or) {
  struct cel_val l = eval(c, n->args[0], sc), r;

  if (c->cancelled)
    return cancelled(c);
  if (l.k == K_BOOL && l.v.b == is_or)
    return l;
  r = eval(c, n->args[1], sc);
  if (c->cancelled)
    return cancelled(c);
  if (r.k == K_BOOL && r.v.b == is_or)
    return r;
  if (l.k == K_ERROR)
    return l;
  if (r.k == K_ERROR)
    return r;
  if (l.k != K_BOOL || r.k != K_BOOL)
    return cel_no_overload(c, is_or ? "_||_" : "_&&_");
  return cel_bool(!is_or);
}

static int is_whole_int(const struct cel_val *v) { return v->k == K_INT; }

static struct cel_val dur_norm(struct cel_ctx *c, enum cel_kind k,
                               __int128 ns) {
  struct cel_val v = {.k = k};
  __int128 sec = ns / 1000000000;
  int32_t nsec = (int32_t)(ns % 1000000000);

  if (k == K_TS && nsec < 0) {
    nsec += 1000000000;
    sec--;
  }
  if (k == K_TS && (sec < -62135596800LL || sec > 253402300799LL))
    return cel_err(c, "timestamp out of range");
  /* A Go time.Duration: int64 nanoseconds, about 292 years. */
  if (k == K_DUR && (ns > (__int128)INT64_MAX || ns < (__int128)INT64_MIN))
    return cel_err(c, "duration out of range");
  v.v.t.sec = (int64_t)sec;
  v.v.t.nsec = nsec;
  return v;
}

static __int128 ns_of(const struct cel_val *v) {
  return (__int128)v->v.t.sec * 1000000000 + v->v.t.nsec;
}

static struct cel_val concat(struct cel_ctx *c, const struct cel_val *a,
                             const struct cel_val *b) {
  size_t n = a->v.s.n + b->v.s.n;
  char *p;

  if (cel_charge(c, n / 100) < 0)
    return cancelled(c);
  if ((p = cel_alloc(c, n + 1)) == NULL)
    return cel_err(c, "out of memory");
  memcpy(p, a->v.s.p, a->v.s.n);
  memcpy(p + a->v.s.n, b->v.s.p, b->v.s.n);
  p[n] = '\0';
  return a->k == K_STRING ? cel_str(p, n) : cel_bytes(p, n);
}

struct cel_val cel_add(struct cel_ctx *c, const struct cel_val *a,
                       const struct cel_val *b) {
  if (a->k == K_INT && b->k == K_INT) {
    int64_t r;

    if (__builtin_add_overflow(a->v.i, b->v.i, &r))
      return cel_err(c, OVERFLOW);
    return cel_int(r);
  }
  if (a->k == K_UINT && b->k == K_UINT) {
    uint64_t r;

    if (__builtin_add_overflow(a->v.u, b->v.u, &r))
      return cel_err(c, OVERFLOW);
    return cel_uint(r);
  }
  if (a->k == K_DOUBLE && b->k == K_DOUBLE)
    return cel_double(a->v.d + b->v.d);
  if ((a->k == K_STRING && b->k == K_STRING) ||
      (a->k == K_BYTES && b->k == K_BYTES))
    return concat(c, a, b);
  if (a->k == K_LIST && b->k == K_LIST) {
    size_t na = cel_list_len(a->v.l), nb = cel_list_len(b->v.l), i;
    struct cel_val l;

    if (cel_charge(c, (na + nb) / 10) < 0)
      return cancelled(c);
    if ((l = cel_list_new(c, na + nb)).k == K_ERROR)
      return l;
    for (i = 0; i < na; i++)
      l.v.l->v[i] = cel_list_get(a->v.l, i);
    for (i = 0; i < nb; i++)
      l.v.l->v[na + i] = cel_list_get(b->v.l, i);
    return l;
  }
  if (a->k == K_DUR && b->k == K_DUR)
    return dur_norm(c, K_DUR, ns_of(a) + ns_of(b));
  if (a->k == K_TS && b->k == K_DUR)
    return dur_norm(c, K_TS, ns_of(a) + ns_of(b));
  if (a->k == K_DUR && b->k == K_TS)
    return dur_norm(c, K_TS, ns_of(a) + ns_of(b));
  return cel_no_overload(c, "_+_");
}

static struct cel_val sub(struct cel_ctx *c, const struct cel_val *a,
                          const struct cel_val *b) {
  if (a->k == K_INT && b->k == K_INT) {
    int64_t r;

    if (__builtin_sub_overflow(a->v.i, b->v.i, &r))
      return cel_err(c, OVERFLOW);
    return cel_int(r);
  }
  if (a->k == K_UINT && b->k == K_UINT) {
    uint64_t r;

    if (__builtin_sub_overflow(a->v.u, b->v.u, &r))
      return cel_err(c, OVERFLOW);
    return cel_uint(r);
  }
  if (a->k == K_DOUBLE && b->k == K_DOUBLE)
    return cel_double(a->v.d - b->v.d);
  if (a->k == K_DUR && b->k == K_DUR)
    return dur_norm(c, K_DUR, ns_of(a) - ns_of(b));
  if (a->k == K_TS && b->k == K_DUR)
    return dur_norm(c, K_TS, ns_of(a) - ns_of(b));
  if (a->k == K_TS && b->k == K_TS)
    return dur_norm(c, K_DUR, ns_of(a) - ns_of(b));
  return cel_no_overload(c, "_-_");
}

static struct cel_val mul_div_mod(struct cel_ctx *c, enum cel_op op,
                                  const struct cel_val *a,
                                  const struct cel_val *b) {
  const char *name = op == OP_MUL ? "_*_" : op == OP_DIV ? "_/_" : "_%_";

  if (a->k == K_INT && b->k == K_INT) {
    int64_t r;

    if (op == OP_MUL) {
      if (__builtin_mul_overflow(a->v.i, b->v.i, &r))
        return cel_err(c, OVERFLOW);
      return cel_int(r);
    }
    if (b->v.i == 0)
      return cel_err(c, op == OP_DIV ? "division by zero"
                                     : "modulus by zero");
    if (a->v.i == INT64_MIN && b->v.i == -1)
      return cel_err(c, OVERFLOW);
    return cel_int(op == OP_DIV ? a->v.i / b->v.i : a->v.i % b->v.i);
  }
  if (a->k == K_UINT && b->k == K_UINT) {
    uint64_t r;

    if (op == OP_MUL) {
      if (__builtin_mul_overflow(a->v.u, b->v.u, &r))
        return cel_err(c, OVERFLOW);
      return cel_uint(r);
    }
    if (b->v.u == 0)
      return cel_err(c, op == OP_DIV ? "division by zero"
                                     : "modulus by zero");
    return cel_uint(op == OP_DIV ? a->v.u / b->v.u : a->v.u % b->v.u);
  }
  if (a->k == K_DOUBLE && b->k == K_DOUBLE && op != OP_MOD)
    return cel_double(op == OP_MUL ? a->v.d * b->v.d : a->v.d / b->v.d);
  return cel_no_overload(c, name);
}

static struct cel_val in(struct cel_ctx *c, const struct cel_val *a,
                         const struct cel_val *b) {
  size_t i, n;
  int found;

  if (b->k == K_LIST) {
    n = cel_list_len(b->v.l);
    for (i = 0; i < n; i++) {
      struct cel_val x = cel_list_get(b->v.l, i);

      if (cel_charge(c, 1) < 0)
        return cancelled(c);
      if (cel_equal(a, &x))
        return cel_bool(1);
    }
    return cel_bool(0);
  }
  if (b->k == K_MAP) {
    struct cel_val v = cel_map_get(c, b->v.m, a, &found);

    if (v.k == K_ERROR)
      return cel_bool(0);
    if (!found && b->v.m->j == NULL && a->k == K_DOUBLE) {
      /* 1.0 in {1: x}: a whole double finds an int or uint key. */
      int64_t ix;

      if (as_index(a, &ix) == 0) {
        struct cel_val k = cel_int(ix);

        cel_map_get(c, b->v.m, &k, &found);
      }
    }
    return cel_bool(found);
  }
  return cel_no_overload(c, "@in");
}

static struct cel_val binop(struct cel_ctx *c, const struct cel_node *n,
                            const struct cel_scope *sc) {
  struct cel_val l = eval(c, n->args[0], sc), r;
  int cmp;

  if (l.k == K_ERROR)
    return l;
  r = eval(c, n->args[1], sc);
  if (r.k == K_ERROR)
    return r;
  switch (n->op) {
  case OP_EQ: return cel_bool(cel_equal(&l, &r));
  case OP_NE: return cel_bool(!cel_equal(&l, &r));
  case OP_LT: case OP_LE: case OP_GT: case OP_GE:
    cmp = cel_compare(&l, &r);
    if (cmp == -2)
      return cel_no_overload(c, n->op == OP_LT   ? "_<_"
                                : n->op == OP_LE ? "_<=_"
                                : n->op == OP_GT ? "_>_" : "_>=_");
    if (cmp == 2)
      return cel_bool(0);
    return cel_bool(n->op == OP_LT ? cmp < 0
                    : n->op == OP_LE ? cmp <= 0
                    : n->op == OP_GT ? cmp > 0 : cmp >= 0);
  case OP_IN: return in(c, &l, &r);
  case OP_ADD: return cel_add(c, &l, &r);
  case OP_SUB: return sub(c, &l, &r);
  default: return mul_div_mod(c, n->op, &l, &r);
  }
}

/* The elements a macro ranges over: a list's elements, a map's keys. */
static struct cel_val range_at(const struct cel_val *r, size_t i) {
  return r->k == K_LIST ? cel_list_get(r->v.l, i) : cel_map_key(r->v.m, i);
}

static struct cel_val macro(struct cel_ctx *c, const struct cel_node *n,
                            const struct cel_scope *sc) {
  struct cel_val r = eval(c, n->target, sc), out, err = {.k = K_NULL};
  struct cel_scope s = {.name = n->name, .up = sc};
  size_t i, len, count = 0, k = 0;

  if (r.k == K_ERROR)
    return r;
  if (n->macro == M_BIND) {
    s.v = r;
    return eval(c, n->args[0], &s);
  }
  if (n->macro == M_OPT_MAP || n->macro == M_OPT_FLAT_MAP) {
    if (r.k != K_OPT)
      return cel_no_overload(c, n->macro == M_OPT_MAP ? "optMap"
                                                      : "optFlatMap");
    if (r.v.opt == NULL)
      return r; /* optional.none() stays none; the body is not run */
    s.v = *r.v.opt;
    out = eval(c, n->args[0], &s);
    if (out.k == K_ERROR || n->macro == M_OPT_MAP)
      return out.k == K_ERROR ? out : opt_of(c, out);
    return out.k == K_OPT ? out : cel_no_overload(c, "optFlatMap");
  }
  if (r.k != K_LIST && r.k != K_MAP)
    return cel_no_overload(c, n->name);
  len = r.k == K_LIST ? cel_list_len(r.v.l) : cel_map_len(r.v.m);
  if (n->macro == M_MAP || n->macro == M_FILTER)
    if ((out = cel_list_new(c, len)).k == K_ERROR)
      return out;
  for (i = 0; i < len; i++) {
    struct cel_val p;

    if (cel_charge(c, 1) < 0)
      return cancelled(c);
    s.v = range_at(&r, i);
    p = eval(c, n->args[0], &s);
    if (c->cancelled)
      return cancelled(c);
    switch (n->macro) {
    case M_ALL: case M_EXISTS:
      if (p.k == K_BOOL && p.v.b == (n->macro == M_EXISTS))
        return p;
      if (p.k != K_BOOL && err.k != K_ERROR)
        err = p.k == K_ERROR ? p : cel_no_overload(c, n->name);
      break;
    case M_EXISTS_ONE:
      if (p.k == K_ERROR)
        return p;
      if (p.k != K_BOOL)
        return cel_no_overload(c, n->name);
      count += p.v.b;
      break;
    case M_FILTER:
      if (p.k == K_ERROR)
        return p;
      if (p.k != K_BOOL)
        return cel_no_overload(c, n->name);
      if (p.v.b)
        out.v.l->v[k++] = s.v;
      break;
    case M_MAP:
      if (n->n_args == 2) { /* map(x, filter, transform) */
        if (p.k == K_ERROR)
          return p;
        if (p.k != K_BOOL)
          return cel_no_overload(c, n->name);
        if (!p.v.b)
          break;
        p = eval(c, n->args[1], &s);
      }
      if (p.k == K_ERROR)
        return p;
      out.v.l->v[k++] = p;
      break;
    case M_BIND: case M_OPT_MAP: case M_OPT_FLAT_MAP:
      break;
    }
  }
  switch (n->macro) {
  case M_ALL: case M_EXISTS:
    return err.k == K_ERROR ? err : cel_bool(n->macro == M_ALL);
  case M_EXISTS_ONE: return cel_bool(count == 1);
  case M_BIND: case M_OPT_MAP: case M_OPT_FLAT_MAP:
    return r; /* not reached: handled above */
  default:
    out.v.l->n = k;
    return out;
  }
}

static struct cel_val call(struct cel_ctx *c, const struct cel_node *n,
                           const struct cel_scope *sc) {
  struct cel_val t, args[8];
  size_t i;

  if (n->n_args > 8)
    return cel_no_overload(c, n->name);
  if (n->target != NULL && (t = eval(c, n->target, sc)).k == K_ERROR)
    return t;
  for (i = 0; i < n->n_args; i++)
    if ((args[i] = eval(c, n->args[i], sc)).k == K_ERROR)
      return args[i];
  c->lit = n;
  if (n->target != NULL && t.k == K_MAP) { /* authorizer.group(...)... */
    int handled = 0;
    struct cel_val v = cel_authz_call(c, n->name, &t, args, n->n_args,
                                      &handled);

    if (handled) {
      c->lit = NULL;
      return v;
    }
  }
  t = cel_call(c, n->name, n->target != NULL ? &t : NULL, args, n->n_args);
  c->lit = NULL;
  return t;
}

static struct cel_val eval(struct cel_ctx *c, const struct cel_node *n,
                           const struct cel_scope *sc) {
  struct cel_val v, i;

  if (cel_charge(c, 1) < 0)
    return cancelled(c);
  switch (n->k) {
  case N_LIT: return n->lit;
  case N_IDENT: return ident(c, n, sc);
  case N_SELECT: return select_(c, n, sc);
  case N_HAS: return has(c, n, sc);
  case N_INDEX:
    if ((v = eval(c, n->target, sc)).k == K_ERROR)
      return v;
    if ((i = eval(c, n->args[0], sc)).k == K_ERROR)
      return i;
    return index_(c, v, i, n->optional);
  case N_CALL: return call(c, n, sc);
  case N_LIST: return list_lit(c, n, sc);
  case N_MAP: return map_lit(c, n, sc);
  case N_COND:
    v = eval(c, n->args[0], sc);
    if (v.k == K_ERROR)
      return v;
    if (v.k != K_BOOL)
      return cel_no_overload(c, "_?_:_");
    return eval(c, n->args[v.v.b ? 1 : 2], sc);
  case N_AND: return logic(c, n, sc, 0);
  case N_OR: return logic(c, n, sc, 1);
  case N_NOT:
    v = eval(c, n->target, sc);
    if (v.k == K_ERROR)
      return v;
    return v.k == K_BOOL ? cel_bool(!v.v.b) : cel_no_overload(c, "!_");
  case N_NEG:
    v = eval(c, n->target, sc);
    if (v.k == K_ERROR)
      return v;
    if (v.k == K_INT)
      return v.v.i == INT64_MIN ? cel_err(c, OVERFLOW) : cel_int(-v.v.i);
    if (v.k == K_DOUBLE)
      return cel_double(-v.v.d);
    if (v.k == K_DUR)
      return dur_norm(c, K_DUR, -ns_of(&v));
    return cel_no_overload(c, "-_");
  case N_BINOP: return binop(c, n, sc);
  case N_MACRO: return macro(c, n, sc);
  }
  (void)is_whole_int;
  return cel_err(c, "bad node");
}

/* ------------------------------------------------------------ API */

static struct cel_val run(struct cel_ctx *c, const struct cp_cel_program *p) {
  struct cel_val v;

  cel_ctx_enter(c);
  v = eval(c, p->root, NULL);
  if (c->cancelled)
    v = cancelled(c);
  return v;
}

struct cel_val cel_eval_program(struct cel_ctx *c,
                                const struct cp_cel_program *p) {
  return run(c, p);
}

static char *msg_dup(const struct cel_val *v) {
  return strndup(v->v.s.p, v->v.s.n);
}

int cp_cel_eval_bool(const struct cp_cel_program *p,
                     const struct cp_cel_binding *b, size_t n,
                     uint64_t limit, uint64_t *cost, char **err) {
  struct cel_ctx c = {.limit = limit, .b = b, .nb = n};
  struct cel_val v;
  int rc = -1;

  *err = NULL;
  v = run(&c, p);
  if (v.k == K_BOOL)
    rc = v.v.b;
  else if (v.k == K_ERROR)
    *err = msg_dup(&v);
  else if (asprintf(err, "no such overload: rule result is %s, not bool",
                    cel_type_name(&v)) < 0)
    *err = NULL;
  if (rc < 0 && *err == NULL)
    *err = strdup("out of memory");
  if (cost != NULL)
    *cost = c.cost;
  cel_ctx_free(&c);
  return rc;
}

int cp_cel_eval_string(const struct cp_cel_program *p,
                       const struct cp_cel_binding *b, size_t n,
                       uint64_t limit, uint64_t *cost, char **out,
                       char **err) {
  struct cel_ctx c = {.limit = limit, .b = b, .nb = n};
  struct cel_val v;
  int rc = -1;

  *err = *out = NULL;
  v = run(&c, p);
  if (v.k == K_STRING) {
    if ((*out = strndup(v.v.s.p, v.v.s.n)) != NULL)
      rc = 0;
  } else if (v.k == K_ERROR) {
    *err = msg_dup(&v);
  } else if (asprintf(err, "messageExpression must evaluate to a string") <
             0) {
    *err = NULL;
  }
  if (rc < 0 && *err == NULL)
    *err = strdup("out of memory");
  if (cost != NULL)
    *cost = c.cost;
  cel_ctx_free(&c);
  return rc;
}

int cp_cel_eval_text(const char *src, const char *const *names,
                     const char *const *values, size_t n, uint64_t limit,
                     char **out, char **err) {
  struct cel_ctx c = {.limit = limit};
  struct cel_scope *vars = NULL;
  const char **all = calloc(n + 1, sizeof *all);
  /* The bound values' programs live to the end: their literals do. */
  struct cp_cel_program **vps = calloc(n + 1, sizeof *vps);
  struct cp_cel_program *p = NULL;
  struct cel_val v;
  size_t i;
  int rc = -1;
  char *s;

  *out = *err = NULL;
  if (all == NULL || vps == NULL ||
      (n > 0 && (vars = calloc(n, sizeof *vars)) == NULL)) {
    *err = strdup("out of memory");
    goto out;
  }
  cel_ctx_enter(&c);
  for (i = 0; i < n; i++) {
    if ((vps[i] = cp_cel_compile(values[i], NULL, err)) == NULL)
      goto out;
    v = eval(&c, vps[i]->root, NULL);
    if (v.k == K_ERROR) {
      *err = msg_dup(&v);
      goto out;
    }
    vars[i].name = names[i];
    vars[i].v = v;
    vars[i].up = i > 0 ? &vars[i - 1] : NULL;
    all[i] = names[i];
  }
  c.vars = n > 0 ? &vars[n - 1] : NULL;
  c.cost = 0;
  if ((p = cp_cel_compile(src, all, err)) == NULL)
    goto out;
  v = run(&c, p);
  if (v.k == K_ERROR) {
    *err = msg_dup(&v);
    goto out;
  }
  if ((s = cel_format(&c, &v)) == NULL || (*out = strdup(s)) == NULL) {
    *err = strdup("out of memory");
    goto out;
  }
  rc = 0;
out:
  cp_cel_program_free(p);
  for (i = 0; vps != NULL && i < n; i++)
    cp_cel_program_free(vps[i]);
  cel_ctx_free(&c);
  free(vps);
  free(vars);
  free(all);
  return rc;
}
