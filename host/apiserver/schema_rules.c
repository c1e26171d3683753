/*
 * schema_rules - x-kubernetes-validations: compiled with the schema,
 * evaluated over custom resources (see schema_rules.h).
 */
#include "apiserver/schema_rules.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/list_map.h"
#include "apiserver/schema.h"
#include "cel/cel.h"

/* What kube accepts in x-kubernetes-validations[i].reason. */
static const char *const reasons[] = {"FieldValueInvalid",
                                      "FieldValueForbidden",
                                      "FieldValueRequired",
                                      "FieldValueDuplicate", NULL};

struct rule {
  char *rule, *message, *message_expr, *reason, *field_path;
  int optional_old; /* optionalOldSelf: true */
  int transition;   /* names oldSelf */
  struct cp_cel_program *prog, *msg_prog;
};

struct cp_schema_rules {
  struct rule *v;
  size_t n;
};

void cp_schema_rules_free(struct cp_schema_rules *r) {
  size_t i;

  if (r == NULL)
    return;
  for (i = 0; i < r->n; i++) {
    free(r->v[i].rule);
    free(r->v[i].message);
    free(r->v[i].message_expr);
    free(r->v[i].reason);
    free(r->v[i].field_path);
    cp_cel_program_free(r->v[i].prog);
    cp_cel_program_free(r->v[i].msg_prog);
  }
  free(r->v);
  free(r);
}

/* ------------------------------------------------------------ compile */

static const char *const rule_vars[] = {"self", "oldSelf", NULL};

static json_object *member(json_object *o, const char *k) {
  json_object *v = NULL;

  return json_object_object_get_ex(o, k, &v) ? v : NULL;
}

/* Go's %q, near enough for a rule in a message. */
static char *go_quote(const char *s) {
  size_t n = strlen(s), i, k = 0;
  char *q = malloc(n * 4 + 3);

  if (q == NULL)
    return NULL;
  q[k++] = '"';
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];

    if (c == '"' || c == '\\') {
      q[k++] = '\\';
      q[k++] = (char)c;
    } else if (c == '\n') {
      q[k++] = '\\';
      q[k++] = 'n';
    } else if (c == '\t') {
      q[k++] = '\\';
      q[k++] = 't';
    } else if (c < 0x20 || c == 0x7f) {
      k += (size_t)sprintf(q + k, "\\x%02x", c);
    } else {
      q[k++] = (char)c;
    }
  }
  q[k++] = '"';
  q[k] = '\0';
  return q;
}

/* apiextensions.ValidationRule{...} as Go's %#v prints it. */
static char *rule_gostring(const struct rule *r) {
  char *rq = go_quote(r->rule ? r->rule : ""),
       *mq = go_quote(r->message ? r->message : ""),
       *eq = go_quote(r->message_expr ? r->message_expr : ""),
       *fq = go_quote(r->field_path ? r->field_path : ""), *out = NULL;

  if (rq != NULL && mq != NULL && eq != NULL && fq != NULL &&
      asprintf(&out,
               "apiextensions.ValidationRule{Rule:%s, Message:%s, "
               "MessageExpression:%s, Reason:%s, FieldPath:%s, "
               "OptionalOldSelf:%s}",
               rq, mq, eq,
               r->reason ? "(*apiextensions.FieldValueErrorReason)(...)"
                         : "(*apiextensions.FieldValueErrorReason)(nil)",
               fq, r->optional_old ? "(*bool)(...)" : "(*bool)(nil)") < 0)
    out = NULL;
  free(rq);
  free(mq);
  free(eq);
  free(fq);
  return out;
}

static int errf(char **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int errf(char **err, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  if (vasprintf(err, fmt, ap) < 0)
    *err = NULL;
  va_end(ap);
  return -1;
}

static int str_field(json_object *o, const char *k, char **out,
                     const char *at, size_t i, char **err) {
  json_object *v = member(o, k);

  if (v == NULL)
    return 0;
  if (!json_object_is_type(v, json_type_string))
    return errf(err, "%s.x-kubernetes-validations[%zu].%s: Invalid value: "
                     "%s: must be a string",
                at, i, k, json_object_to_json_string(v));
  if ((*out = strdup(json_object_get_string(v))) == NULL)
    return errf(err, "out of memory");
  return 0;
}

/* cel-go's type check with self's schema (node): kube refuses these
 * when the CRD is written. 0, or -1 with *err. */
static int type_check(json_object *node, const char *at, size_t i,
                      const struct rule *r, char **err) {
  struct cp_cel_decl decls[] = {{"self", node, 0},
                                {"oldSelf", node, r->optional_old}};
  char *cerr = NULL, *gs;
  int rc = cp_cel_check(r->prog, decls, 2, "bool", &cerr);

  if (rc == 0)
    return 0;
  gs = rule_gostring(r);
  if (rc < 0)
    errf(err, "%s.x-kubernetes-validations[%zu].rule: Invalid value: %s: "
              "compilation failed: %s",
         at, i, gs ? gs : "?", cerr ? cerr : "out of memory");
  else
    errf(err, "%s.x-kubernetes-validations[%zu].rule: Invalid value: %s: "
              "cel expression must evaluate to a bool",
         at, i, gs ? gs : "?");
  free(gs);
  free(cerr);
  return -1;
}

static int compile_one(json_object *node, json_object *j, const char *at,
                       size_t i, struct rule *r, char **err) {
  json_object *opt;
  char *cerr = NULL, *gs;
  size_t k;

  if (!json_object_is_type(j, json_type_object))
    return errf(err, "%s.x-kubernetes-validations[%zu]: Invalid value: %s: "
                     "must be an object",
                at, i, json_object_to_json_string(j));
  if (str_field(j, "rule", &r->rule, at, i, err) < 0 ||
      str_field(j, "message", &r->message, at, i, err) < 0 ||
      str_field(j, "messageExpression", &r->message_expr, at, i, err) < 0 ||
      str_field(j, "reason", &r->reason, at, i, err) < 0 ||
      str_field(j, "fieldPath", &r->field_path, at, i, err) < 0)
    return -1;
  if ((opt = member(j, "optionalOldSelf")) != NULL) {
    if (!json_object_is_type(opt, json_type_boolean))
      return errf(err, "%s.x-kubernetes-validations[%zu].optionalOldSelf: "
                       "Invalid value: %s: must be a boolean",
                  at, i, json_object_to_json_string(opt));
    r->optional_old = json_object_get_boolean(opt);
  }
  if (r->rule == NULL || r->rule[strspn(r->rule, " \t\r\n")] == '\0')
    return errf(err, "%s.x-kubernetes-validations[%zu].rule: Required "
                     "value: rule is not specified", at, i);
  if (r->reason != NULL) {
    for (k = 0; reasons[k] != NULL && strcmp(reasons[k], r->reason) != 0; k++)
      ;
    if (reasons[k] == NULL)
      return errf(err, "%s.x-kubernetes-validations[%zu].reason: Unsupported "
                       "value: \"%s\": supported values: "
                       "\"FieldValueDuplicate\", \"FieldValueForbidden\", "
                       "\"FieldValueInvalid\", \"FieldValueRequired\"",
                  at, i, r->reason);
  }
  if (r->message != NULL && strchr(r->message, '\n') != NULL)
    return errf(err, "%s.x-kubernetes-validations[%zu].message: Invalid "
                     "value: \"%s\": message must not contain line breaks",
                at, i, r->message);
  if (r->field_path != NULL && r->field_path[0] != '.' &&
      r->field_path[0] != '\0')
    return errf(err, "%s.x-kubernetes-validations[%zu].fieldPath: Invalid "
                     "value: \"%s\": fieldPath must start with '.'",
                at, i, r->field_path);
  if ((r->prog = cp_cel_compile(r->rule, rule_vars, &cerr)) == NULL) {
    gs = rule_gostring(r);
    errf(err, "%s.x-kubernetes-validations[%zu].rule: Invalid value: %s: "
              "compilation failed: %s",
         at, i, gs ? gs : "?", cerr ? cerr : "out of memory");
    free(gs);
    free(cerr);
    return -1;
  }
  if (type_check(node, at, i, r, err) < 0)
    return -1;
  r->transition = cp_cel_program_uses(r->prog, "oldSelf");
  if (r->message_expr != NULL &&
      (r->msg_prog = cp_cel_compile(r->message_expr, rule_vars, &cerr)) ==
          NULL) {
    errf(err, "%s.x-kubernetes-validations[%zu].messageExpression: Invalid "
              "value: \"%s\": messageExpression compilation failed: %s",
         at, i, r->message_expr, cerr ? cerr : "out of memory");
    free(cerr);
    return -1;
  }
  return 0;
}

int cp_schema_rules_compile(json_object *j, const char *at,
                            struct cp_schema_rules **out, char **err) {
  json_object *list = member(j, "x-kubernetes-validations");
  struct cp_schema_rules *r;
  size_t i, n;

  *out = NULL;
  if (list == NULL)
    return 0;
  if (!json_object_is_type(list, json_type_array))
    return errf(err, "%s.x-kubernetes-validations: Invalid value: %s: must "
                     "be a list",
                at, json_object_to_json_string(list));
  if ((n = json_object_array_length(list)) == 0)
    return 0;
  if ((r = calloc(1, sizeof *r)) == NULL ||
      (r->v = calloc(n, sizeof *r->v)) == NULL) {
    free(r);
    return errf(err, "out of memory");
  }
  for (i = 0; i < n; i++) {
    r->n = i + 1;
    if (compile_one(j, json_object_array_get_idx(list, i), at, i, &r->v[i],
                    err) < 0) {
      cp_schema_rules_free(r);
      return -1;
    }
  }
  *out = r;
  return 0;
}

/* ------------------------------------------------------------ check */

struct walk {
  struct cp_schema_result *r;
  char *path;
  size_t len, cap;
  uint64_t budget; /* what is left of RuntimeCELCostBudget */
  int stop;        /* budget spent or a per-call limit hit */
};

static int path_room(struct walk *w, size_t n) {
  char *p;
  size_t cap;

  if (w->len + n + 1 <= w->cap)
    return 0;
  cap = (w->cap ? w->cap * 2 : 128) + n;
  if ((p = realloc(w->path, cap)) == NULL)
    return -1;
  w->path = p;
  w->cap = cap;
  return 0;
}

static size_t path_push(struct walk *w, const char *fmt, const char *k) {
  size_t mark = w->len;
  int n = snprintf(NULL, 0, fmt, w->len ? "." : "", k);

  if (n < 0 || path_room(w, (size_t)n) < 0) {
    w->r->nomem = 1;
    return mark;
  }
  snprintf(w->path + w->len, (size_t)n + 1, fmt, w->len ? "." : "", k);
  w->len += (size_t)n;
  return mark;
}

static void path_cut(struct walk *w, size_t mark) {
  w->len = mark;
  if (w->path != NULL)
    w->path[mark] = '\0';
}

/* kube's sts.Type for the value: the schema type it must have. */
static const char *type_of(json_object *v) {
  switch (json_object_get_type(v)) {
  case json_type_object: return "object";
  case json_type_array: return "array";
  case json_type_string: return "string";
  case json_type_int: return "integer";
  case json_type_double: return "number";
  case json_type_boolean: return "boolean";
  default: return "";
  }
}

static void add(struct walk *w, const char *field, const char *reason,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void add(struct walk *w, const char *field, const char *reason,
                const char *fmt, ...) {
  struct cp_schema_result *r = w->r;
  struct cp_schema_error *e;
  va_list ap;
  char *msg = NULL;

  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  e = realloc(r->errors, (r->n_errors + 1) * sizeof *e);
  if (msg == NULL || e == NULL) {
    free(msg);
    if (e != NULL)
      r->errors = e;
    r->nomem = 1;
    return;
  }
  r->errors = e;
  e = &r->errors[r->n_errors];
  memset(e, 0, sizeof *e);
  e->reason = reason;
  e->message = msg;
  if ((e->field = strdup(field[0] ? field : "<nil>")) == NULL) {
    free(msg);
    r->nomem = 1;
    return;
  }
  r->n_errors++;
}

/* The message of a failed rule, as kube words it per reason. */
static void failed(struct walk *w, const struct rule *ru, json_object *v,
                   const char *msg) {
  const char *reason = ru->reason ? ru->reason : "FieldValueInvalid";
  char *field = NULL;
  size_t fl = ru->field_path ? strlen(ru->field_path) : 0;

  if (asprintf(&field, "%s%s", w->path ? w->path : "",
               fl ? ru->field_path + (w->len == 0) : "") < 0) {
    w->r->nomem = 1;
    return;
  }
  if (strcmp(reason, "FieldValueForbidden") == 0)
    add(w, field, reason, "Forbidden: %s", msg);
  else if (strcmp(reason, "FieldValueRequired") == 0)
    add(w, field, reason, "Required value: %s", msg);
  else if (strcmp(reason, "FieldValueDuplicate") == 0)
    add(w, field, reason, "Duplicate value: \"%s\"", type_of(v));
  else
    add(w, field, reason, "Invalid value: \"%s\": %s", type_of(v), msg);
  free(field);
}

static void run_rule(struct walk *w, const struct rule *ru, json_object *v,
                     json_object *old) {
  struct cp_cel_binding b[2] = {{"self", v, 0},
                                {"oldSelf", old, ru->optional_old}};
  uint64_t limit = w->budget < CP_CEL_PER_CALL_LIMIT ? w->budget
                                                     : CP_CEL_PER_CALL_LIMIT;
  uint64_t cost = 0;
  char *err = NULL, *msg = NULL, *text = NULL;
  int ok;

  ok = cp_cel_eval_bool(ru->prog, b, 2, limit, &cost, &err);
  w->budget = cost >= w->budget ? 0 : w->budget - cost;
  if (ok < 0 && err != NULL && strcmp(err, CP_CEL_COST_EXCEEDED) == 0) {
    add(w, w->path ? w->path : "", "FieldValueInvalid",
        "Invalid value: \"%s\": '%s': no further validation rules will be "
        "run due to call cost exceeds limit for rule: %s",
        type_of(v), err, ru->rule);
    w->stop = 1;
  } else if (ok < 0) {
    add(w, w->path ? w->path : "", "FieldValueInvalid",
        "Invalid value: \"%s\": %s evaluating rule: %s", type_of(v),
        err ? err : "out of memory", ru->rule);
  } else if (ok == 0) {
    if (ru->msg_prog != NULL &&
        cp_cel_eval_string(ru->msg_prog, b, 2, limit, &cost, &text, &msg) ==
            0 &&
        text[0] != '\0' && strchr(text, '\n') == NULL)
      failed(w, ru, v, text);
    else if (ru->message != NULL && ru->message[0] != '\0')
      failed(w, ru, v, ru->message);
    else {
      char *m = NULL;

      if (asprintf(&m, "failed rule: %s", ru->rule) < 0)
        w->r->nomem = 1;
      else
        failed(w, ru, v, m);
      free(m);
    }
  }
  free(err);
  free(msg);
  free(text);
}

static void walk_node(struct walk *w, const struct cp_schema *s,
                      json_object *v, json_object *old, int depth);

static void walk_children(struct walk *w, const struct cp_schema *s,
                          json_object *v, json_object *old, int depth) {
  if (json_object_is_type(v, json_type_object)) {
    json_object_object_foreach(v, key, child) {
      const struct cp_schema *cs = cp_schema_property(s, key);
      json_object *oc = NULL;
      size_t mark;

      if (cs == NULL)
        continue;
      if (json_object_is_type(old, json_type_object))
        json_object_object_get_ex(old, key, &oc);
      mark = path_push(w, cp_schema_is_property(s, key) ? "%s%s" : "[%.0s%s]",
                       key);
      walk_node(w, cs, child, oc, depth + 1);
      path_cut(w, mark);
      if (w->stop)
        return;
    }
  } else if (json_object_is_type(v, json_type_array)) {
    const struct cp_schema *is = cp_schema_items(s);
    size_t i, n = json_object_array_length(v);
    const char *lt = cp_schema_list_type(s);
    size_t nk = 0;
    const char *const *keys = cp_schema_list_map_keys(s, &nk);
    /* kube correlates the items of a map list with the old ones by their
     * keys; set and atomic lists' items have no oldSelf. */
    struct cp_list_map *olds =
        lt != NULL && strcmp(lt, "map") == 0 && old != NULL
            ? cp_list_map_new(old, keys, nk)
            : NULL;

    for (i = 0; is != NULL && i < n; i++) {
      char ix[32];
      size_t mark;

      snprintf(ix, sizeof ix, "%zu", i);
      mark = w->len;
      if (path_room(w, strlen(ix) + 2) < 0) {
        w->r->nomem = 1;
        break;
      }
      w->len += (size_t)sprintf(w->path + w->len, "[%s]", ix);
      walk_node(w, is, json_object_array_get_idx(v, i),
                cp_list_map_get(olds, json_object_array_get_idx(v, i)),
                depth + 1);
      path_cut(w, mark);
      if (w->stop)
        break;
    }
    cp_list_map_free(olds);
  }
}

static void walk_node(struct walk *w, const struct cp_schema *s,
                      json_object *v, json_object *old, int depth) {
  const struct cp_schema_rules *rules;
  size_t i;

  if (s == NULL || v == NULL || depth > 200 || w->stop)
    return;
  /* Ratcheting (kube's CRDValidationRatcheting, on since 1.30): a value an
   * update leaves as it was is not checked again, so tightening a rule
   * does not lock existing objects. */
  if (old != NULL && json_object_equal(v, old))
    return;
  rules = cp_schema_rules_of(s);
  for (i = 0; rules != NULL && i < rules->n && !w->stop; i++) {
    const struct rule *ru = &rules->v[i];

    if (ru->transition && old == NULL && !ru->optional_old)
      continue; /* a transition rule needs the old value */
    if (w->budget == 0) {
      add(w, w->path ? w->path : "", "FieldValueInvalid",
          "Invalid value: \"%s\": validation failed due to running out of "
          "cost budget, no further validation rules will be run",
          type_of(v));
      w->stop = 1;
      return;
    }
    run_rule(w, ru, v, old);
  }
  walk_children(w, s, v, old, depth);
}

static int blocked(const struct cp_schema_result *r) {
  size_t i;

  for (i = 0; i < r->n_errors; i++)
    if (strcmp(r->errors[i].reason, "FieldValueTypeInvalid") == 0 ||
        strcmp(r->errors[i].reason, "FieldValueNotSupported") == 0)
      return 1;
  return 0;
}

size_t cp_schema_rules_check(const struct cp_schema *s, json_object *o,
                             json_object *old, struct cp_schema_result *r) {
  struct walk w = {.r = r, .budget = CP_CEL_CRD_BUDGET};
  size_t before = r->n_errors;

  if (s == NULL || o == NULL)
    return 0;
  if (blocked(r)) {
    add(&w, "", "FieldValueInvalid",
        "Invalid value: \"null\": some validation rules were not checked "
        "because the object was invalid; correct the existing errors to "
        "complete validation");
    return r->n_errors - before;
  }
  if (path_room(&w, 64) < 0) {
    r->nomem = 1;
    return 0;
  }
  w.path[0] = '\0';
  walk_node(&w, s, o, old, 0);
  free(w.path);
  return r->n_errors - before;
}
