/*
 * selector - label selector parsing and matching.
 *
 * The grammar follows k8s.io/apimachinery/pkg/labels (Parse): a comma-
 * separated list of requirements, each one of
 *   key            key exists
 *   !key           key does not exist
 *   key=v, key==v  key exists with value v
 *   key!=v         key is absent or has another value
 *   key in (a,b)   key exists with one of the values
 *   key notin (a)  key is absent or has none of the values
 *   key>n, key<n   key exists with an integer value above / below n
 * Whitespace is allowed around tokens. Values may be empty ("a=").
 */
#include "labels/selector.h"

#include "labels/names.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/object.h"

enum cp_sel_op {
  SEL_EXISTS,
  SEL_NOT_EXISTS,
  SEL_EQ,
  SEL_NEQ,
  SEL_IN,
  SEL_NOTIN,
  SEL_GT,
  SEL_LT,
};

struct cp_sel_req {
  enum cp_sel_op op;
  char *key;
  char **values; /* owned; n_values entries */
  size_t n_values;
  long long number; /* SEL_GT / SEL_LT */
};

struct cp_selector {
  struct cp_sel_req *reqs;
  size_t n_reqs;
};

/* The parser's cursor and its first error. */
struct sel_parser {
  const char *text;
  size_t pos;
  char *err; /* malloc'd, first error only */
};

static void perr(struct sel_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void perr(struct sel_parser *p, const char *fmt, ...) {
  va_list ap;
  char *msg = NULL;

  if (p->err != NULL)
    return;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  if (msg == NULL)
    return;
  if (asprintf(&p->err, "invalid label selector \"%s\" at character %zu: %s",
               p->text, p->pos + 1, msg) < 0)
    p->err = NULL;
  free(msg);
}

static void skip_ws(struct sel_parser *p) {
  while (p->text[p->pos] == ' ' || p->text[p->pos] == '\t')
    p->pos++;
}

/* Reads a key or value token: every character up to whitespace or one of
 * the operator characters. Returns a malloc'd copy (possibly ""). */
static char *read_token(struct sel_parser *p) {
  size_t start = p->pos;
  char *tok;

  while (p->text[p->pos] != '\0' &&
         strchr(" \t,=!()<>", p->text[p->pos]) == NULL)
    p->pos++;
  tok = strndup(p->text + start, p->pos - start);
  if (tok == NULL)
    perr(p, "out of memory");
  return tok;
}

/* Reads a bare word and tells whether it is `word` (for in / notin). */
static int at_word(struct sel_parser *p, const char *word) {
  size_t n = strlen(word);
  char next;

  if (strncmp(p->text + p->pos, word, n) != 0)
    return 0;
  next = p->text[p->pos + n];
  return next == ' ' || next == '\t' || next == '(';
}

static int add_value(struct sel_parser *p, struct cp_sel_req *r, char *v) {
  char **grown;

  if (v == NULL)
    return -1;
  if (!cp_name_is_label_value(v)) {
    perr(p, "invalid label value \"%s\": at most 63 characters of "
            "alphanumerics, '-', '_' or '.', starting and ending with an "
            "alphanumeric", v);
    free(v);
    return -1;
  }
  grown = realloc(r->values, (r->n_values + 1) * sizeof(*grown));
  if (grown == NULL) {
    perr(p, "out of memory");
    free(v);
    return -1;
  }
  r->values = grown;
  r->values[r->n_values++] = v;
  return 0;
}

/* Parses "(v1, v2, ...)" after in / notin. */
static int parse_set(struct sel_parser *p, struct cp_sel_req *r) {
  skip_ws(p);
  if (p->text[p->pos] != '(') {
    perr(p, "expected '(' after \"%s\"", r->op == SEL_IN ? "in" : "notin");
    return -1;
  }
  p->pos++;
  for (;;) {
    skip_ws(p);
    if (add_value(p, r, read_token(p)) < 0)
      return -1;
    skip_ws(p);
    if (p->text[p->pos] == ',') {
      p->pos++;
      continue;
    }
    if (p->text[p->pos] == ')') {
      p->pos++;
      return 0;
    }
    perr(p, "expected ',' or ')' in the value set");
    return -1;
  }
}

static int parse_number(struct sel_parser *p, struct cp_sel_req *r) {
  char *tok, *end;

  skip_ws(p);
  tok = read_token(p);
  if (tok == NULL)
    return -1;
  errno = 0;
  r->number = strtoll(tok, &end, 10);
  if (*tok == '\0' || *end != '\0' || errno != 0) {
    perr(p, "\"%s\" is not an integer (needed after '>' or '<')", tok);
    free(tok);
    return -1;
  }
  free(tok);
  return 0;
}

/* Parses the operator and value(s) after a key. */
static int parse_operator(struct sel_parser *p, struct cp_sel_req *r) {
  const char *s;

  skip_ws(p);
  s = p->text + p->pos;
  if (*s == '\0' || *s == ',') {
    r->op = SEL_EXISTS;
    return 0;
  }
  if (s[0] == '=' || (s[0] == '!' && s[1] == '=')) {
    r->op = s[0] == '!' ? SEL_NEQ : SEL_EQ;
    p->pos += s[0] == '!' ? 2 : (s[1] == '=' ? 2 : 1);
    skip_ws(p);
    return add_value(p, r, read_token(p));
  }
  if (s[0] == '>' || s[0] == '<') {
    r->op = s[0] == '>' ? SEL_GT : SEL_LT;
    p->pos++;
    return parse_number(p, r);
  }
  if (at_word(p, "in")) {
    r->op = SEL_IN;
    p->pos += 2;
    return parse_set(p, r);
  }
  if (at_word(p, "notin")) {
    r->op = SEL_NOTIN;
    p->pos += 5;
    return parse_set(p, r);
  }
  perr(p, "expected an operator (=, ==, !=, in, notin, >, <), ',' or the "
          "end after key \"%s\"", r->key);
  return -1;
}

static void req_clear(struct cp_sel_req *r) {
  size_t i;

  free(r->key);
  for (i = 0; i < r->n_values; i++)
    free(r->values[i]);
  free(r->values);
  memset(r, 0, sizeof(*r));
}

static int parse_requirement(struct sel_parser *p, struct cp_sel_req *r) {
  int negated = 0;

  skip_ws(p);
  if (p->text[p->pos] == '!') {
    negated = 1;
    p->pos++;
    skip_ws(p);
  }
  r->key = read_token(p);
  if (r->key == NULL)
    return -1;
  if (*r->key == '\0') {
    perr(p, "expected a label key");
    return -1;
  }
  if (!cp_name_is_qualified(r->key)) {
    perr(p, "invalid label key \"%s\": a name of at most 63 characters "
            "(alphanumerics, '-', '_', '.'; starting and ending with an "
            "alphanumeric) with an optional DNS subdomain prefix and '/'",
         r->key);
    return -1;
  }
  if (negated) {
    r->op = SEL_NOT_EXISTS;
    skip_ws(p);
    return 0;
  }
  return parse_operator(p, r);
}

static int push_requirement(struct sel_parser *p, cp_selector *sel,
                            struct cp_sel_req *r) {
  struct cp_sel_req *grown;

  grown = realloc(sel->reqs, (sel->n_reqs + 1) * sizeof(*grown));
  if (grown == NULL) {
    perr(p, "out of memory");
    return -1;
  }
  sel->reqs = grown;
  sel->reqs[sel->n_reqs++] = *r;
  memset(r, 0, sizeof(*r));
  return 0;
}

static int all_blank(const char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  return *s == '\0';
}

int cp_selector_parse(const char *text, cp_selector **out, char **errmsg) {
  struct sel_parser p = {.text = text != NULL ? text : "", .pos = 0};
  struct cp_sel_req r = {0};
  cp_selector *sel;
  int rc = CPLANE_EINVAL;

  *out = NULL;
  if (errmsg != NULL)
    *errmsg = NULL;
  sel = calloc(1, sizeof(*sel));
  if (sel == NULL)
    return CPLANE_ENOMEM;
  if (all_blank(p.text))
    goto done;
  for (;;) {
    if (parse_requirement(&p, &r) < 0 || push_requirement(&p, sel, &r) < 0)
      goto out;
    skip_ws(&p);
    if (p.text[p.pos] == '\0')
      break;
    if (p.text[p.pos] != ',') {
      perr(&p, "expected ',' between requirements");
      goto out;
    }
    p.pos++;
  }
done:
  *out = sel;
  sel = NULL;
  rc = CPLANE_OK;
out:
  req_clear(&r);
  cp_selector_free(sel);
  if (rc != CPLANE_OK && p.err == NULL)
    rc = CPLANE_ENOMEM;
  if (errmsg != NULL)
    *errmsg = p.err;
  else
    free(p.err);
  return rc;
}

void cp_selector_free(cp_selector *sel) {
  size_t i;

  if (sel == NULL)
    return;
  for (i = 0; i < sel->n_reqs; i++)
    req_clear(&sel->reqs[i]);
  free(sel->reqs);
  free(sel);
}

int cp_selector_is_empty(const cp_selector *sel) {
  return sel == NULL || sel->n_reqs == 0;
}

static int in_set(const struct cp_sel_req *r, const char *v) {
  size_t i;

  for (i = 0; i < r->n_values; i++)
    if (strcmp(r->values[i], v) == 0)
      return 1;
  return 0;
}

static int compare_number(const struct cp_sel_req *r, const char *v) {
  char *end;
  long long n;

  errno = 0;
  n = strtoll(v, &end, 10);
  if (*v == '\0' || *end != '\0' || errno != 0)
    return 0;
  return r->op == SEL_GT ? n > r->number : n < r->number;
}

static int req_matches(const struct cp_sel_req *r, const char *v) {
  switch (r->op) {
  case SEL_EXISTS:
    return v != NULL;
  case SEL_NOT_EXISTS:
    return v == NULL;
  case SEL_EQ:
  case SEL_IN:
    return v != NULL && in_set(r, v);
  case SEL_NEQ:
  case SEL_NOTIN:
    return v == NULL || !in_set(r, v);
  case SEL_GT:
  case SEL_LT:
    return v != NULL && compare_number(r, v);
  }
  return 0;
}

int cp_selector_matches_fn(const cp_selector *sel, cp_label_lookup_fn lookup,
                           void *userdata) {
  size_t i;

  if (sel == NULL)
    return 1;
  for (i = 0; i < sel->n_reqs; i++)
    if (!req_matches(&sel->reqs[i], lookup(userdata, sel->reqs[i].key)))
      return 0;
  return 1;
}

static const char *object_label_lookup(void *userdata, const char *key) {
  return cp_object_label(userdata, key);
}

int cp_selector_matches(const cp_selector *sel, const cplane_object *obj) {
  return cp_selector_matches_fn(sel, object_label_lookup, (void *)obj);
}

/* ---- metav1.LabelSelector to text ---- */

struct sel_text {
  char *s;
  size_t len, cap;
  int failed;
};

static void st_add(struct sel_text *b, const char *s) {
  size_t n = strlen(s);

  if (b->failed)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = (b->len + n + 1) * 2;
    char *p = realloc(b->s, cap);

    if (p == NULL) {
      b->failed = 1;
      return;
    }
    b->s = p;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n + 1);
  b->len += n;
}

static int add_match_label(void *ud, const char *key, const char *str) {
  struct sel_text *b = ud;

  if (str == NULL) {
    b->failed = 1;
    return 1;
  }
  if (b->len > 0)
    st_add(b, ",");
  st_add(b, key);
  st_add(b, "=");
  st_add(b, str);
  return 0;
}

/* One matchExpressions entry, at prefix (".matchExpressions[i]"). */
static void add_expression(struct sel_text *b, const cplane_object *obj,
                           const char *prefix) {
  char p[512 + 32]; /* prefix (< 512) and the longest suffix */
  const char *key, *op;
  int nv, k;

  snprintf(p, sizeof p, "%s.key", prefix);
  key = cp_object_string(obj, p);
  snprintf(p, sizeof p, "%s.operator", prefix);
  op = cp_object_string(obj, p);
  if (key == NULL || op == NULL) {
    b->failed = 1;
    return;
  }
  if (b->len > 0)
    st_add(b, ",");
  if (strcmp(op, "Exists") == 0) {
    st_add(b, key);
    return;
  }
  if (strcmp(op, "DoesNotExist") == 0) {
    st_add(b, "!");
    st_add(b, key);
    return;
  }
  if (strcmp(op, "In") != 0 && strcmp(op, "NotIn") != 0) {
    b->failed = 1;
    return;
  }
  st_add(b, key);
  st_add(b, strcmp(op, "In") == 0 ? " in (" : " notin (");
  snprintf(p, sizeof p, "%s.values", prefix);
  nv = cp_object_len(obj, p);
  for (k = 0; k < nv; k++) {
    const char *v;

    snprintf(p, sizeof p, "%s.values[%d]", prefix, k);
    if ((v = cp_object_string(obj, p)) == NULL)
      b->failed = 1;
    if (k > 0)
      st_add(b, ",");
    st_add(b, v ? v : "");
  }
  st_add(b, ")");
}

char *cp_selector_text_from(const cplane_object *obj, const char *path) {
  struct sel_text b = {NULL, 0, 0, 0};
  char p[512];
  int n, i;

  if (path == NULL || cp_object_type(obj, path) != CPLANE_TYPE_OBJECT)
    return NULL;
  st_add(&b, "");
  snprintf(p, sizeof p, "%s.matchLabels", path);
  if (cp_object_len(obj, p) > 0)
    cp_object_foreach(obj, p, add_match_label, &b);
  snprintf(p, sizeof p, "%s.matchExpressions", path);
  n = cp_object_len(obj, p);
  for (i = 0; i < n && !b.failed; i++) {
    char prefix[512];

    if (snprintf(prefix, sizeof prefix, "%s.matchExpressions[%d]", path, i) >=
        (int)sizeof prefix) {
      b.failed = 1;
      break;
    }
    add_expression(&b, obj, prefix);
  }
  if (b.failed) {
    free(b.s);
    return NULL;
  }
  return b.s;
}
