/*
 * cel_check - the part of cel-go's type checker kube's CRD compile
 * relies on for the mistakes a rule author makes most: types are
 * inferred from the variables' OpenAPI schemas (integer -> int, number ->
 * double, boolean -> bool, string -> string, array -> list, object ->
 * its properties, additionalProperties -> map) and from literals, and an
 * expression is refused where cel-go's checker surely refuses it:
 *
 *   - an operator on two primitive operands no overload takes
 *     (`self.replicas + "a"`: found no matching overload for '_+_'
 *     applied to '(int, string)'); also `<`, `&&`, `!`, `-`, `?:`;
 *   - a field of an object schema that declares no such property and
 *     keeps no unknown fields (undefined field 'x');
 *   - a rule whose result is a primitive other than the one wanted
 *     (kube: "cel expression must evaluate to a bool").
 *
 * Anything whose type is not certain (function results but for the
 * conversions and size(), macro variables, optionals, strings with a
 * format, int-or-string, preserve-unknown objects) is dyn and never
 * refused: the checker may accept what cel-go refuses, never the reverse.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cel/cel_int.h"

enum ty { TY_DYN, TY_INT, TY_UINT, TY_DOUBLE, TY_STRING, TY_BYTES, TY_BOOL,
          TY_NULL, TY_LIST, TY_MAP, TY_OBJ };

struct type {
  enum ty t;
  json_object *schema; /* list, map, object: the schema node */
};

struct checker {
  const struct cp_cel_program *p;
  const struct cp_cel_decl *d;
  size_t nd;
  const char *locals[CP_CEL_MAX_DEPTH + 8]; /* macro variables in scope */
  size_t n_locals;
  int depth;
  char *err;
};

static const char *ty_name(enum ty t) {
  static const char *const names[] = {"dyn", "int", "uint", "double",
                                      "string", "bytes", "bool", "null_type",
                                      "list", "map", "object"};

  return names[t];
}

static int primitive(enum ty t) { return t >= TY_INT && t <= TY_NULL; }

static void failf(struct checker *k, int pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void failf(struct checker *k, int pos, const char *fmt, ...) {
  va_list ap;
  char *msg = NULL;

  if (k->err != NULL)
    return;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  k->err = msg != NULL ? cel_error_text(k->p->src, pos, msg) : NULL;
  if (k->err == NULL)
    k->err = strdup("out of memory");
  free(msg);
}

static json_object *member(json_object *o, const char *key) {
  json_object *v = NULL;

  if (!json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, key, &v))
    return NULL;
  return v;
}

static int flag(json_object *o, const char *key) {
  json_object *v = member(o, key);

  return json_object_is_type(v, json_type_boolean) &&
         json_object_get_boolean(v);
}

/* The CEL type of a value with schema s, as kube's SchemaDeclType maps
 * it, or dyn where cplane's values differ or kube's mapping is richer. */
static struct type of_schema(json_object *s) {
  json_object *t = member(s, "type");
  const char *ts = json_object_is_type(t, json_type_string)
                       ? json_object_get_string(t)
                       : "";
  struct type r = {TY_DYN, NULL};

  if (s == NULL || flag(s, "x-kubernetes-int-or-string"))
    return r;
  if (strcmp(ts, "integer") == 0) r.t = TY_INT;
  else if (strcmp(ts, "number") == 0) r.t = TY_DOUBLE;
  else if (strcmp(ts, "boolean") == 0) r.t = TY_BOOL;
  else if (strcmp(ts, "string") == 0) {
    /* byte, date-time, duration... are bytes/timestamps in kube; cplane
     * reads them as strings: leave them unchecked. */
    if (member(s, "format") == NULL)
      r.t = TY_STRING;
  } else if (strcmp(ts, "array") == 0) {
    r.t = TY_LIST;
    r.schema = s;
  } else if (strcmp(ts, "object") == 0) {
    json_object *ap = member(s, "additionalProperties");

    if (json_object_is_type(ap, json_type_object)) {
      r.t = TY_MAP;
      r.schema = s;
    } else if (json_object_is_type(member(s, "properties"),
                                   json_type_object)) {
      r.t = TY_OBJ;
      r.schema = s;
    }
  }
  return r;
}

static int is_local(const struct checker *k, const char *name) {
  size_t i;

  for (i = k->n_locals; i > 0; i--)
    if (strcmp(k->locals[i - 1], name) == 0)
      return 1;
  return 0;
}

static struct type check(struct checker *k, const struct cel_node *n);

static struct type dyn(void) { return (struct type){TY_DYN, NULL}; }
static struct type prim(enum ty t) { return (struct type){t, NULL}; }

static struct type select_type(struct checker *k, const struct cel_node *n) {
  struct type t = check(k, n->target);
  json_object *props, *ps;

  if (k->err != NULL || n->optional)
    return dyn();
  if (t.t == TY_MAP)
    return of_schema(member(t.schema, "additionalProperties"));
  if (t.t != TY_OBJ)
    return dyn();
  props = member(t.schema, "properties");
  if ((ps = member(props, n->name)) != NULL)
    return of_schema(ps);
  /* Unknown fields kept; an embedded object's or the root's apiVersion,
   * kind and metadata (kube declares them there); kube's escaped names
   * (foo__dash__bar): not refused. */
  if (flag(t.schema, "x-kubernetes-preserve-unknown-fields") ||
      flag(t.schema, "x-kubernetes-embedded-resource") ||
      strcmp(n->name, "apiVersion") == 0 || strcmp(n->name, "kind") == 0 ||
      strcmp(n->name, "metadata") == 0 || strstr(n->name, "__") != NULL)
    return dyn();
  failf(k, n->pos, "undefined field '%s'", n->name);
  return dyn();
}

static const char *op_name(enum cel_op op) {
  switch (op) {
  case OP_LT: return "_<_";
  case OP_LE: return "_<=_";
  case OP_GT: return "_>_";
  case OP_GE: return "_>=_";
  case OP_ADD: return "_+_";
  case OP_SUB: return "_-_";
  case OP_MUL: return "_*_";
  case OP_DIV: return "_/_";
  case OP_MOD: return "_%_";
  default: return "?";
  }
}

static int numeric(enum ty t) {
  return t == TY_INT || t == TY_UINT || t == TY_DOUBLE;
}

static struct type binop_type(struct checker *k, const struct cel_node *n) {
  struct type l = check(k, n->args[0]), r = check(k, n->args[1]);
  int ok;

  if (k->err != NULL)
    return dyn();
  switch (n->op) {
  case OP_EQ: case OP_NE: case OP_IN:
    return prim(TY_BOOL); /* heterogeneous equality: never refused here */
  case OP_LT: case OP_LE: case OP_GT: case OP_GE:
    if (!primitive(l.t) || !primitive(r.t))
      return prim(TY_BOOL);
    /* kube enables cross-type numeric comparisons. */
    ok = (l.t == r.t && l.t != TY_NULL) || (numeric(l.t) && numeric(r.t));
    if (!ok)
      failf(k, n->pos, "found no matching overload for '%s' applied to "
                       "'(%s, %s)'", op_name(n->op), ty_name(l.t),
            ty_name(r.t));
    return prim(TY_BOOL);
  default:
    break;
  }
  if (!primitive(l.t) || !primitive(r.t))
    return dyn();
  ok = l.t == r.t && (numeric(l.t) || ((l.t == TY_STRING ||
                                        l.t == TY_BYTES) && n->op == OP_ADD));
  if (ok && n->op == OP_MOD && l.t == TY_DOUBLE)
    ok = 0;
  if (!ok) {
    failf(k, n->pos, "found no matching overload for '%s' applied to "
                     "'(%s, %s)'", op_name(n->op), ty_name(l.t),
          ty_name(r.t));
    return dyn();
  }
  return l;
}

/* A known operand that is not a bool, for && || ! ?: (cel-go's names). */
static void want_bool(struct checker *k, const struct cel_node *at,
                      const char *fn, struct type a, struct type b,
                      int binary) {
  if (k->err != NULL)
    return;
  if ((primitive(a.t) && a.t != TY_BOOL) ||
      (binary && primitive(b.t) && b.t != TY_BOOL)) {
    if (binary)
      failf(k, at->pos, "found no matching overload for '%s' applied to "
                        "'(%s, %s)'", fn, ty_name(a.t), ty_name(b.t));
    else
      failf(k, at->pos, "found no matching overload for '%s' applied to "
                        "'(%s)'", fn, ty_name(a.t));
  }
}

static struct type call_type(struct checker *k, const struct cel_node *n) {
  static const char *const to[] = {"int", "uint", "double", "string",
                                   "bytes", "bool", NULL};
  static const enum ty to_ty[] = {TY_INT, TY_UINT, TY_DOUBLE, TY_STRING,
                                  TY_BYTES, TY_BOOL};
  size_t i;

  if (n->target != NULL)
    check(k, n->target);
  for (i = 0; i < n->n_args && k->err == NULL; i++)
    check(k, n->args[i]);
  if (k->err != NULL)
    return dyn();
  if (n->target == NULL && n->n_args == 1)
    for (i = 0; to[i] != NULL; i++)
      if (strcmp(n->name, to[i]) == 0)
        return prim(to_ty[i]);
  if (strcmp(n->name, "size") == 0)
    return prim(TY_INT);
  if (strcmp(n->name, "matches") == 0 || strcmp(n->name, "startsWith") == 0 ||
      strcmp(n->name, "endsWith") == 0 || strcmp(n->name, "contains") == 0)
    return prim(TY_BOOL);
  return dyn();
}

static struct type macro_type(struct checker *k, const struct cel_node *n) {
  size_t i;

  check(k, n->target);
  if (k->err != NULL || k->n_locals >= sizeof k->locals / sizeof k->locals[0])
    return dyn();
  k->locals[k->n_locals++] = n->name; /* in scope in the body only */
  for (i = 0; i < n->n_args && k->err == NULL; i++)
    check(k, n->args[i]);
  k->n_locals--;
  switch (n->macro) {
  case M_ALL: case M_EXISTS: case M_EXISTS_ONE: return prim(TY_BOOL);
  default: return dyn();
  }
}

static struct type check_node(struct checker *k, const struct cel_node *n);

/* Deeper than the evaluator goes (a long chain of `+`), nothing is
 * checked: dyn. */
static struct type check(struct checker *k, const struct cel_node *n) {
  struct type t;

  if (k->err != NULL || n == NULL || k->depth >= 2 * CP_CEL_MAX_DEPTH)
    return dyn();
  k->depth++;
  t = check_node(k, n);
  k->depth--;
  return t;
}

static struct type check_node(struct checker *k, const struct cel_node *n) {
  struct type a, b;
  size_t i;

  switch (n->k) {
  case N_LIT:
    switch (n->lit.k) {
    case K_INT: return prim(TY_INT);
    case K_UINT: return prim(TY_UINT);
    case K_DOUBLE: return prim(TY_DOUBLE);
    case K_STRING: return prim(TY_STRING);
    case K_BYTES: return prim(TY_BYTES);
    case K_BOOL: return prim(TY_BOOL);
    case K_NULL: return prim(TY_NULL);
    default: return dyn();
    }
  case N_IDENT:
    if (is_local(k, n->name))
      return dyn();
    for (i = 0; i < k->nd; i++)
      if (strcmp(k->d[i].name, n->name) == 0)
        return k->d[i].optional ? dyn() : of_schema(k->d[i].schema);
    return dyn();
  case N_SELECT: return select_type(k, n);
  case N_HAS:
    select_type(k, n->target);
    return prim(TY_BOOL);
  case N_INDEX:
    a = check(k, n->target);
    check(k, n->args[0]);
    if (n->optional)
      return dyn();
    if (a.t == TY_LIST)
      return of_schema(member(a.schema, "items"));
    if (a.t == TY_MAP)
      return of_schema(member(a.schema, "additionalProperties"));
    return dyn();
  case N_CALL: return call_type(k, n);
  case N_LIST: case N_MAP:
    for (i = 0; i < n->n_args && k->err == NULL; i++)
      check(k, n->args[i]);
    return dyn();
  case N_COND:
    a = check(k, n->args[0]);
    want_bool(k, n, "_?_:_", a, a, 0);
    a = check(k, n->args[1]);
    b = check(k, n->args[2]);
    return primitive(a.t) && a.t == b.t ? a : dyn();
  case N_AND: case N_OR:
    a = check(k, n->args[0]);
    b = check(k, n->args[1]);
    want_bool(k, n, n->k == N_AND ? "_&&_" : "_||_", a, b, 1);
    return prim(TY_BOOL);
  case N_NOT:
    a = check(k, n->target);
    want_bool(k, n, "!_", a, a, 0);
    return prim(TY_BOOL);
  case N_NEG:
    a = check(k, n->target);
    if (primitive(a.t) && a.t != TY_INT && a.t != TY_DOUBLE)
      failf(k, n->pos, "found no matching overload for '-_' applied to "
                       "'(%s)'", ty_name(a.t));
    return a.t == TY_INT || a.t == TY_DOUBLE ? a : dyn();
  case N_BINOP: return binop_type(k, n);
  case N_MACRO:
    if (n->macro == M_BIND) {
      /* cel.bind(x, init, body): init is the target. */
      check(k, n->target);
      if (k->err != NULL ||
          k->n_locals >= sizeof k->locals / sizeof k->locals[0])
        return dyn();
      k->locals[k->n_locals++] = n->name;
      a = check(k, n->args[0]);
      k->n_locals--;
      return a;
    }
    return macro_type(k, n);
  }
  return dyn();
}

int cp_cel_check(const struct cp_cel_program *p, const struct cp_cel_decl *d,
                 size_t n, const char *want, char **err) {
  struct checker k = {.p = p, .d = d, .nd = n};
  struct type t;

  *err = NULL;
  if (p == NULL)
    return 0;
  t = check(&k, p->root);
  if (k.err != NULL) {
    *err = k.err;
    return -1;
  }
  if (want != NULL && primitive(t.t) && strcmp(ty_name(t.t), want) != 0)
    return 1;
  return 0;
}
