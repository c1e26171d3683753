/*
 * yaml_json - see yaml_json.h. libyaml's event parser feeds an explicit
 * stack of open collections, so a deep document costs heap, not C stack;
 * scalars are resolved as go-yaml v2's resolve() does and numbers take
 * the text Go's encoding/json would give them, read back through
 * json_strict so that they are exactly what a JSON body would give.
 */
#include "object/yaml_json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

const struct cp_yaml_json_limits cp_yaml_json_default_limits = {
    .max_depth = 64,
    .max_nodes = 1000000,
    .max_bytes = 64u << 20,
    .max_anchors = 4096,
};

#define PREFIX "error converting YAML to JSON: "

/* ---- scalars ---- */

enum kind { K_NULL, K_BOOL, K_INT, K_UINT, K_FLOAT, K_STR, K_MERGE };

struct scalar {
  enum kind kind;
  int b;
  int64_t i;
  uint64_t u;
  double d;
};

/* Go's strconv.ParseInt/ParseUint with base 0 (0x, 0o, 0b, 0 prefixes).
 * Returns 0 when the syntax holds, with *range set on overflow. */
static int go_parse_int(const char *s, int allow_sign, int *neg,
                        uint64_t *mag, int *range) {
  uint64_t base = 10, m = 0;
  int any = 0;

  *neg = 0;
  *range = 0;
  if (allow_sign && (*s == '+' || *s == '-'))
    *neg = *s++ == '-';
  if (s[0] == '0' && s[1] != '\0') {
    switch (s[1]) {
    case 'x': case 'X': base = 16; s += 2; break;
    case 'b': case 'B': base = 2; s += 2; break;
    case 'o': case 'O': base = 8; s += 2; break;
    default: base = 8; s += 1; any = 1; break;
    }
  }
  for (; *s != '\0'; s++) {
    uint64_t d;

    if (*s >= '0' && *s <= '9')
      d = (uint64_t)(*s - '0');
    else if (*s >= 'a' && *s <= 'z')
      d = (uint64_t)(*s - 'a' + 10);
    else if (*s >= 'A' && *s <= 'Z')
      d = (uint64_t)(*s - 'A' + 10);
    else
      return -1;
    if (d >= base)
      return -1;
    any = 1;
    if (m > (UINT64_MAX - d) / base)
      *range = 1;
    else
      m = m * base + d;
  }
  *mag = m;
  return any ? 0 : -1;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?  (go-yaml's
 * yamlStyleFloat); lead_dot: only the \.[0-9]+ form (ParseFloat of a
 * scalar starting with '.'). */
static int float_syntax(const char *s, int lead_dot) {
  int digits = 0;

  if (!lead_dot && (*s == '+' || *s == '-'))
    s++;
  if (*s == '.') {
    for (s++; *s >= '0' && *s <= '9'; s++)
      digits++;
    if (digits == 0)
      return 0;
  } else {
    if (lead_dot)
      return 0;
    for (; *s >= '0' && *s <= '9'; s++)
      digits++;
    if (digits == 0)
      return 0;
    if (*s == '.')
      for (s++; *s >= '0' && *s <= '9'; s++)
        ;
  }
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '+' || *s == '-')
      s++;
    digits = 0;
    for (; *s >= '0' && *s <= '9'; s++)
      digits++;
    if (digits == 0)
      return 0;
  }
  return *s == '\0';
}

/* strtod within float64's range (Go's ParseFloat: overflow is an error,
 * underflow is not). */
static int parse_float(const char *s, double *d) {
  char *end;

  errno = 0;
  *d = strtod(s, &end);
  return *end == '\0' && !isinf(*d) ? 0 : -1;
}

static const struct {
  const char *s;
  enum kind kind;
  int b;
  double d;
} words[] = {
    {"y", K_BOOL, 1, 0},      {"Y", K_BOOL, 1, 0},
    {"yes", K_BOOL, 1, 0},    {"Yes", K_BOOL, 1, 0},
    {"YES", K_BOOL, 1, 0},    {"true", K_BOOL, 1, 0},
    {"True", K_BOOL, 1, 0},   {"TRUE", K_BOOL, 1, 0},
    {"on", K_BOOL, 1, 0},     {"On", K_BOOL, 1, 0},
    {"ON", K_BOOL, 1, 0},     {"n", K_BOOL, 0, 0},
    {"N", K_BOOL, 0, 0},      {"no", K_BOOL, 0, 0},
    {"No", K_BOOL, 0, 0},     {"NO", K_BOOL, 0, 0},
    {"false", K_BOOL, 0, 0},  {"False", K_BOOL, 0, 0},
    {"FALSE", K_BOOL, 0, 0},  {"off", K_BOOL, 0, 0},
    {"Off", K_BOOL, 0, 0},    {"OFF", K_BOOL, 0, 0},
    {"", K_NULL, 0, 0},       {"~", K_NULL, 0, 0},
    {"null", K_NULL, 0, 0},   {"Null", K_NULL, 0, 0},
    {"NULL", K_NULL, 0, 0},   {".nan", K_FLOAT, 0, NAN},
    {".NaN", K_FLOAT, 0, NAN}, {".NAN", K_FLOAT, 0, NAN},
    {".inf", K_FLOAT, 0, INFINITY}, {".Inf", K_FLOAT, 0, INFINITY},
    {".INF", K_FLOAT, 0, INFINITY}, {"+.inf", K_FLOAT, 0, INFINITY},
    {"+.Inf", K_FLOAT, 0, INFINITY}, {"+.INF", K_FLOAT, 0, INFINITY},
    {"-.inf", K_FLOAT, 0, -INFINITY}, {"-.Inf", K_FLOAT, 0, -INFINITY},
    {"-.INF", K_FLOAT, 0, -INFINITY},
};

/* go-yaml v2's resolve() of an untagged plain scalar s (NUL-terminated,
 * len bytes; a NUL inside makes it a string). plain is scratch of len+1
 * bytes. */
static void resolve_plain(const char *s, size_t len, char *plain,
                          struct scalar *out) {
  size_t i, j;
  int neg, range;
  uint64_t mag;

  out->kind = K_STR;
  if (strlen(s) != len)
    return;
  if (len > 0 && !strchr("+-0123456789yYnNtTfFoO~.", s[0]))
    return;
  for (i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strcmp(words[i].s, s) == 0) {
      out->kind = words[i].kind;
      out->b = words[i].b;
      out->d = words[i].d;
      return;
    }
  if (s[0] == '.') {
    if (float_syntax(s, 1) && parse_float(s, &out->d) == 0)
      out->kind = K_FLOAT;
    return;
  }
  if (!strchr("+-0123456789", s[0]))
    return;
  for (i = j = 0; i < len; i++)
    if (s[i] != '_')
      plain[j++] = s[i];
  plain[j] = '\0';
  if (go_parse_int(plain, 1, &neg, &mag, &range) == 0 && !range &&
      (neg ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX)) {
    out->kind = K_INT;
    out->i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return;
  }
  if (go_parse_int(plain, 0, &neg, &mag, &range) == 0 && !range) {
    out->kind = K_UINT;
    out->u = mag;
    return;
  }
  if (float_syntax(plain, 0) && parse_float(plain, &out->d) == 0)
    out->kind = K_FLOAT;
}

/* The shortest decimal digits that read back as v (at float32's
 * precision when bits is 32): digits without a point and dp, the
 * position of the point (v = 0.digits x 10^dp), as Go's strconv has them. */
static void shortest(double v, int bits, char *digits, int *nd, int *dp) {
  char buf[40], *e;
  int p, n = 0, i;

  for (p = 1; p <= 17; p++) {
    snprintf(buf, sizeof buf, "%.*e", p - 1, fabs(v));
    if (bits == 32 ? strtof(buf, NULL) == (float)fabs(v)
                   : strtod(buf, NULL) == fabs(v))
      break;
  }
  e = strchr(buf, 'e');
  for (i = 0; buf + i < e; i++)
    if (buf[i] != '.')
      digits[n++] = buf[i];
  while (n > 1 && digits[n - 1] == '0')
    n--;
  digits[n] = '\0';
  *nd = n;
  *dp = atoi(e + 1) + 1;
}

/* Go's %f of the shortest digits (strconv 'f' with precision -1). */
static void put_fixed(char *w, const char *digits, int nd, int dp) {
  int i;

  if (dp <= 0) {
    w += sprintf(w, "0.");
    for (i = 0; i < -dp; i++)
      *w++ = '0';
    strcpy(w, digits);
    return;
  }
  for (i = 0; i < dp; i++)
    *w++ = i < nd ? digits[i] : '0';
  if (nd > dp)
    w += sprintf(w, ".%s", digits + dp);
  *w = '\0';
}

/* Go's %e of the shortest digits: d[.ddd]e±XX. */
static void put_exp(char *w, const char *digits, int nd, int dp) {
  int x = dp - 1;

  *w++ = digits[0];
  if (nd > 1)
    w += sprintf(w, ".%s", digits + 1);
  sprintf(w, "e%c%02d", x < 0 ? '-' : '+', abs(x));
}

/* What Go's encoding/json writes for a finite float64. */
static void json_float_text(double v, char *out) {
  char digits[24], *w = out;
  int nd, dp;
  size_t n;

  if (v == 0) {
    strcpy(out, signbit(v) ? "-0" : "0");
    return;
  }
  if (v < 0)
    *w++ = '-';
  shortest(v, 64, digits, &nd, &dp);
  if (fabs(v) < 1e-6 || fabs(v) >= 1e21) {
    put_exp(w, digits, nd, dp);
    n = strlen(out);
    /* encoding/json's clean-up: e-07 becomes e-7. */
    if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' &&
        out[n - 2] == '0') {
      out[n - 2] = out[n - 1];
      out[n - 1] = '\0';
    }
  } else {
    put_fixed(w, digits, nd, dp);
  }
}

/* strconv.FormatFloat(v, 'g', -1, 32), as sigs.k8s.io/yaml names a float
 * key, with go-yaml's spellings of the infinities. */
static void key_float_text(double v, char *out) {
  char digits[24], *w = out;
  int nd, dp;

  if (isnan(v)) {
    strcpy(out, ".nan");
    return;
  }
  if (isinf(v)) {
    strcpy(out, v > 0 ? ".inf" : "-.inf");
    return;
  }
  if ((float)v == 0) {
    strcpy(out, signbit(v) ? "-0" : "0");
    return;
  }
  if (v < 0)
    *w++ = '-';
  shortest(v, 32, digits, &nd, &dp);
  if (dp - 1 < -4 || dp - 1 >= 6)
    put_exp(w, digits, nd, dp);
  else
    put_fixed(w, digits, nd, dp);
}

/* ---- conversion state ---- */

struct frame {
  json_object *v; /* the array or object being built */
  char *anchor;   /* registered when the collection ends */
  char *key;      /* object: the key waiting for its value */
  int has_key;    /* object: a key (or a merge) waits */
  int merge;      /* object: the waiting key is "<<" */
  size_t index;   /* array: the next element's index */
};

struct anchor {
  char *name;
  json_object *v;
  size_t nodes, bytes;
};

struct conv {
  const struct cp_yaml_json_limits *lim;
  struct frame *st;
  int depth;
  struct anchor *anchors;
  size_t n_anchors;
  size_t alias_nodes, alias_bytes;
  struct cp_json_strict_dups *dups;
  json_object *root;
  int done;
  int rc;
  char *err;
  int err_line;
  char *plain; /* scratch for resolve_plain */
  size_t plain_cap;
};

static void fail(struct conv *c, int rc, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(struct conv *c, int rc, int line, const char *fmt, ...) {
  va_list ap;
  char *msg = NULL;

  if (c->rc != CP_YAML_JSON_OK)
    return;
  c->rc = rc;
  c->err_line = line;
  if (rc == CP_YAML_JSON_NOMEM)
    return;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  if (msg == NULL)
    return;
  if (asprintf(&c->err, PREFIX "%s", msg) < 0)
    c->err = NULL;
  free(msg);
}

static void nomem(struct conv *c) { fail(c, CP_YAML_JSON_NOMEM, 0, "nomem"); }

/* go-yaml's parser.fail(): a scanner error names the line after its
 * (0-based) mark, a parser error the mark's own number, and no line at
 * all when the mark is on the first. */
static void fail_parser(struct conv *c, const yaml_parser_t *p) {
  const char *problem = p->problem;
  int line = 0;

  if (p->error == YAML_MEMORY_ERROR) {
    nomem(c);
    return;
  }
  if (p->problem_mark.line != 0) {
    line = (int)p->problem_mark.line;
    if (p->error == YAML_SCANNER_ERROR)
      line++;
  } else if (p->context_mark.line != 0) {
    line = (int)p->context_mark.line;
  }
  if (problem == NULL)
    problem = "unknown problem parsing YAML content";
  /* libyaml 0.2.5's own wording; go-yaml's port predates it. */
  if (strcmp(problem, "found a tab character that violates indentation") == 0)
    problem = "found character that cannot start any token";
  if (line != 0)
    fail(c, CP_YAML_JSON_SYNTAX, line, "yaml: line %d: %s", line, problem);
  else
    fail(c, CP_YAML_JSON_SYNTAX, 0, "yaml: %s", problem);
}

/* A number's JSON text read back as a JSON body's number would be. */
static json_object *number(struct conv *c, const char *text, int line) {
  json_object *o = NULL;
  const char *why = NULL;
  size_t at;

  if (cp_json_strict_parse(text, strlen(text), 1, &o, NULL, &why, &at) !=
      CP_JSON_STRICT_OK) {
    fail(c, CP_YAML_JSON_SYNTAX, line, "%s", why ? why : "bad number");
    return NULL;
  }
  return o;
}

/* A resolved scalar as a JSON value; *ok 0 when refused (c->rc set). */
static json_object *scalar_value(struct conv *c, const struct scalar *sc,
                                 const char *s, size_t len, int line,
                                 int *ok) {
  char text[64];
  json_object *o = NULL;

  *ok = 1;
  switch (sc->kind) {
  case K_NULL:
    return NULL;
  case K_BOOL:
    o = json_object_new_boolean(sc->b);
    break;
  case K_INT:
    snprintf(text, sizeof text, "%" PRId64, sc->i);
    return (o = number(c, text, line)) != NULL ? o : (*ok = 0, NULL);
  case K_UINT:
    snprintf(text, sizeof text, "%" PRIu64, sc->u);
    return (o = number(c, text, line)) != NULL ? o : (*ok = 0, NULL);
  case K_FLOAT:
    if (!isfinite(sc->d)) {
      fail(c, CP_YAML_JSON_SYNTAX, line, "json: unsupported value: %s",
           isnan(sc->d) ? "NaN" : sc->d > 0 ? "+Inf" : "-Inf");
      *ok = 0;
      return NULL;
    }
    json_float_text(sc->d, text);
    return (o = number(c, text, line)) != NULL ? o : (*ok = 0, NULL);
  case K_STR:
  case K_MERGE:
    o = json_object_new_string_len(s, (int)len);
    break;
  }
  if (o == NULL) {
    nomem(c);
    *ok = 0;
  }
  return o;
}

static int tag_is(const yaml_char_t *tag, const char *short_name) {
  return tag != NULL &&
         strncmp((const char *)tag, "tag:yaml.org,2002:", 18) == 0 &&
         strcmp((const char *)tag + 18, short_name) == 0;
}

static const char *kind_tag(enum kind k) {
  switch (k) {
  case K_NULL: return "!!null";
  case K_BOOL: return "!!bool";
  case K_INT:
  case K_UINT: return "!!int";
  case K_FLOAT: return "!!float";
  case K_MERGE: return "!!merge";
  case K_STR: break;
  }
  return "!!str";
}

/* Resolves a scalar event as go-yaml does: quoted and block scalars and
 * !!str are strings, untagged plain ones and those tagged !!int, !!float,
 * !!bool or !!null are resolved (and must agree with their tag); other
 * tags leave the text. Returns -1 when refused (c->rc set). */
static int resolve(struct conv *c, const yaml_event_t *ev, struct scalar *sc) {
  const char *s = (const char *)ev->data.scalar.value;
  size_t len = ev->data.scalar.length;
  const yaml_char_t *tag = ev->data.scalar.tag;
  const char *want = NULL;

  sc->kind = K_STR;
  if (tag == NULL && !ev->data.scalar.plain_implicit)
    return 0;
  /* go-yaml's isMerge(): the raw text, plain or tagged !!merge. */
  if ((tag == NULL || tag_is(tag, "merge")) && strcmp(s, "<<") == 0) {
    sc->kind = K_MERGE;
    return 0;
  }
  if (tag != NULL) {
    if (tag_is(tag, "int")) want = "!!int";
    else if (tag_is(tag, "float")) want = "!!float";
    else if (tag_is(tag, "bool")) want = "!!bool";
    else if (tag_is(tag, "null")) want = "!!null";
    else return 0;
  }
  if (len + 1 > c->plain_cap) {
    char *p = realloc(c->plain, len + 1);

    if (p == NULL) {
      nomem(c);
      return -1;
    }
    c->plain = p;
    c->plain_cap = len + 1;
  }
  resolve_plain(s, len, c->plain, sc);
  if (want == NULL || strcmp(want, kind_tag(sc->kind)) == 0)
    return 0;
  if (strcmp(want, "!!float") == 0 && sc->kind == K_INT) {
    sc->kind = K_FLOAT;
    sc->d = (double)sc->i;
    return 0;
  }
  fail(c, CP_YAML_JSON_SYNTAX, (int)ev->start_mark.line + 1,
       "yaml: cannot decode %s `%.*s` as a %s", kind_tag(sc->kind),
       (int)(len > 200 ? 200 : len), s, want);
  return -1;
}

/* ---- anchors ---- */

static void count(json_object *o, size_t *nodes, size_t *bytes) {
  size_t i;

  (*nodes)++;
  switch (json_object_get_type(o)) {
  case json_type_string:
    *bytes += (size_t)json_object_get_string_len(o);
    break;
  case json_type_array:
    for (i = 0; i < json_object_array_length(o); i++)
      count(json_object_array_get_idx(o, i), nodes, bytes);
    break;
  case json_type_object: {
    json_object_object_foreach(o, k, v) {
      *bytes += strlen(k);
      count(v, nodes, bytes);
    }
    break;
  }
  default:
    break;
  }
}

static struct anchor *find_anchor(struct conv *c, const char *name) {
  size_t i;

  for (i = 0; i < c->n_anchors; i++)
    if (strcmp(c->anchors[i].name, name) == 0)
      return &c->anchors[i];
  return NULL;
}

/* Keeps a reference to v under name (a later anchor of the same name
 * replaces it, as in go-yaml). Takes name. */
static void add_anchor(struct conv *c, char *name, json_object *v, int line) {
  struct anchor *a = find_anchor(c, name);

  if (a == NULL) {
    if (c->n_anchors >= c->lim->max_anchors) {
      free(name);
      fail(c, CP_YAML_JSON_LIMIT, line, "yaml: line %d: more than %zu anchors",
           line, c->lim->max_anchors);
      return;
    }
    if (c->n_anchors % 16 == 0) {
      struct anchor *n =
          realloc(c->anchors, (c->n_anchors + 16) * sizeof *n);

      if (n == NULL) {
        free(name);
        nomem(c);
        return;
      }
      c->anchors = n;
    }
    a = &c->anchors[c->n_anchors++];
    a->name = name;
  } else {
    free(name);
    json_object_put(a->v);
  }
  a->v = json_object_get(v);
  a->nodes = a->bytes = 0;
  count(v, &a->nodes, &a->bytes);
}

/* ---- building ---- */

/* The path of a key in the current object, as json_strict names one. */
static void note_dup(struct conv *c, const char *key) {
  struct cp_json_strict_dups *d = c->dups;
  size_t len = strlen(key) + 1;
  char *path, *w;
  int k;

  d->total++;
  if (d->n >= CP_JSON_STRICT_MAX_DUPS)
    return;
  for (k = 0; k < c->depth - 1; k++)
    len += c->st[k].key != NULL ? strlen(c->st[k].key) + 1 : 24;
  if ((path = malloc(len)) == NULL)
    return;
  w = path;
  for (k = 0; k < c->depth - 1; k++) {
    if (json_object_is_type(c->st[k].v, json_type_object))
      w += sprintf(w, "%s%s", w == path ? "" : ".", c->st[k].key);
    else
      w += sprintf(w, "[%zu]", c->st[k].index);
  }
  sprintf(w, "%s%s", w == path ? "" : ".", key);
  d->paths[d->n++] = path;
}

/* A "<<" value: a map's pairs, or a list of maps' (earlier ones win). */
static void merge(struct conv *c, json_object *into, json_object *v,
                  int line) {
  size_t i;

  if (json_object_is_type(v, json_type_array)) {
    for (i = 0; i < json_object_array_length(v); i++)
      if (!json_object_is_type(json_object_array_get_idx(v, i),
                               json_type_object))
        goto bad;
    for (i = json_object_array_length(v); i-- > 0;)
      merge(c, into, json_object_array_get_idx(v, i), line);
    return;
  }
  if (!json_object_is_type(v, json_type_object))
    goto bad;
  {
    json_object_object_foreach(v, k, m) {
      if (json_object_object_add(into, k, json_object_get(m)) != 0) {
        json_object_put(m);
        nomem(c);
        return;
      }
    }
  }
  return;
bad:
  fail(c, CP_YAML_JSON_SYNTAX, line,
       "yaml: map merge requires map or sequence of maps as the value");
}

/* Places a finished value (taking it) in the open collection, or as the
 * root. */
static void place(struct conv *c, json_object *v, int line) {
  struct frame *f;

  if (c->depth == 0) {
    c->root = v;
    c->done = 1;
    return;
  }
  f = &c->st[c->depth - 1];
  if (json_object_is_type(f->v, json_type_array)) {
    if (json_object_array_add(f->v, v) != 0) {
      json_object_put(v);
      nomem(c);
    }
    f->index++;
    return;
  }
  if (f->merge) {
    merge(c, f->v, v, line);
    json_object_put(v);
  } else {
    if (c->dups != NULL && json_object_object_get_ex(f->v, f->key, NULL))
      note_dup(c, f->key);
    if (json_object_object_add(f->v, f->key, v) != 0) {
      json_object_put(v);
      nomem(c);
    }
  }
  free(f->key);
  f->key = NULL;
  f->has_key = 0;
  f->merge = 0;
}

/* The open object waits for a key. */
static int wants_key(const struct conv *c) {
  const struct frame *f;

  if (c->depth == 0)
    return 0;
  f = &c->st[c->depth - 1];
  return json_object_is_type(f->v, json_type_object) && !f->has_key;
}

static void set_key(struct conv *c, char *key, int is_merge) {
  struct frame *f = &c->st[c->depth - 1];

  f->key = key;
  f->merge = is_merge;
  f->has_key = 1;
}

/* A key from a JSON value (an alias used as a key), as sigs.k8s.io/yaml
 * turns go-yaml's key into a string. */
static void key_from_value(struct conv *c, json_object *v, int line) {
  char text[64], *key = NULL;
  const char *type = NULL;

  switch (json_object_get_type(v)) {
  case json_type_string:
    key = strndup(json_object_get_string(v),
                  (size_t)json_object_get_string_len(v));
    break;
  case json_type_boolean:
    key = strdup(json_object_get_boolean(v) ? "true" : "false");
    break;
  case json_type_int:
    if (json_object_get_int64(v) == INT64_MAX &&
        json_object_get_uint64(v) > (uint64_t)INT64_MAX) {
      type = "uint64";
      break;
    }
    snprintf(text, sizeof text, "%" PRId64, json_object_get_int64(v));
    key = strdup(text);
    break;
  case json_type_double:
    key_float_text(json_object_get_double(v), text);
    key = strdup(text);
    break;
  case json_type_null:
    type = "<nil>";
    break;
  default:
    fail(c, CP_YAML_JSON_SYNTAX, line, "yaml: line %d: invalid map key",
         line);
    return;
  }
  if (type != NULL) {
    fail(c, CP_YAML_JSON_SYNTAX, line, "unsupported map key of type: %s",
         type);
    return;
  }
  if (key == NULL) {
    nomem(c);
    return;
  }
  set_key(c, key, 0);
}

static void on_scalar(struct conv *c, const yaml_event_t *ev) {
  const char *s = (const char *)ev->data.scalar.value;
  size_t len = ev->data.scalar.length;
  int line = (int)ev->start_mark.line + 1, ok;
  struct scalar sc;
  json_object *v;

  if (resolve(c, ev, &sc) < 0)
    return;
  if (ev->data.scalar.anchor != NULL && sc.kind != K_MERGE) {
    char *name = strdup((const char *)ev->data.scalar.anchor);

    v = scalar_value(c, &sc, s, len, line, &ok);
    if (!ok) {
      free(name);
      return;
    }
    if (name == NULL) {
      json_object_put(v);
      nomem(c);
      return;
    }
    add_anchor(c, name, v, line);
    if (!wants_key(c)) {
      place(c, v, line);
      return;
    }
    json_object_put(v);
  }
  if (wants_key(c)) {
    char text[64], *key;

    if (sc.kind == K_MERGE) {
      set_key(c, NULL, 1);
      return;
    }
    if (sc.kind == K_NULL || sc.kind == K_UINT) {
      fail(c, CP_YAML_JSON_SYNTAX, line, "unsupported map key of type: %s",
           sc.kind == K_NULL ? "<nil>" : "uint64");
      return;
    }
    if (sc.kind == K_STR && strlen(s) != len) {
      fail(c, CP_YAML_JSON_SYNTAX, line,
           "yaml: line %d: a map key holds U+0000", line);
      return;
    }
    if (sc.kind == K_INT)
      snprintf(text, sizeof text, "%" PRId64, sc.i);
    else if (sc.kind == K_FLOAT)
      key_float_text(sc.d, text);
    else if (sc.kind == K_BOOL)
      strcpy(text, sc.b ? "true" : "false");
    if ((key = strdup(sc.kind == K_STR ? s : text)) == NULL) {
      nomem(c);
      return;
    }
    set_key(c, key, 0);
    return;
  }
  v = scalar_value(c, &sc, s, len, line, &ok);
  if (ok)
    place(c, v, line);
}

static void on_alias(struct conv *c, const yaml_event_t *ev) {
  const char *name = (const char *)ev->data.alias.anchor;
  int line = (int)ev->start_mark.line + 1, k;
  struct anchor *a;
  json_object *copy = NULL;

  for (k = 0; k < c->depth; k++)
    if (c->st[k].anchor != NULL && strcmp(c->st[k].anchor, name) == 0) {
      fail(c, CP_YAML_JSON_SYNTAX, line,
           "yaml: anchor '%s' value contains itself", name);
      return;
    }
  if ((a = find_anchor(c, name)) == NULL) {
    fail(c, CP_YAML_JSON_SYNTAX, line, "yaml: unknown anchor '%s' referenced",
         name);
    return;
  }
  if (a->nodes > c->lim->max_nodes - c->alias_nodes ||
      a->bytes > c->lim->max_bytes - c->alias_bytes) {
    fail(c, CP_YAML_JSON_LIMIT, line,
         "yaml: document contains excessive aliasing");
    return;
  }
  c->alias_nodes += a->nodes;
  c->alias_bytes += a->bytes;
  if (wants_key(c)) {
    key_from_value(c, a->v, line);
    return;
  }
  if (a->v != NULL && json_object_deep_copy(a->v, &copy, NULL) != 0) {
    nomem(c);
    return;
  }
  place(c, copy, line);
}

static void on_start(struct conv *c, const yaml_event_t *ev, int is_map) {
  const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor
                                     : ev->data.sequence_start.anchor;
  int line = (int)ev->start_mark.line + 1;
  struct frame *f;

  if (wants_key(c)) {
    fail(c, CP_YAML_JSON_SYNTAX, line, "yaml: line %d: invalid map key",
         line);
    return;
  }
  if (c->depth >= c->lim->max_depth) {
    fail(c, CP_YAML_JSON_LIMIT, line, "yaml: exceeded max depth of %d",
         c->lim->max_depth);
    return;
  }
  f = &c->st[c->depth];
  memset(f, 0, sizeof *f);
  f->v = is_map ? json_object_new_object() : json_object_new_array();
  if (anchor != NULL && (f->anchor = strdup((const char *)anchor)) == NULL) {
    json_object_put(f->v);
    f->v = NULL;
  }
  if (f->v == NULL) {
    nomem(c);
    return;
  }
  c->depth++;
}

static void on_end(struct conv *c, const yaml_event_t *ev) {
  struct frame f = c->st[--c->depth];
  int line = (int)ev->start_mark.line + 1;

  free(f.key);
  if (f.anchor != NULL)
    add_anchor(c, f.anchor, f.v, line);
  place(c, f.v, line);
}

static void drop_state(struct conv *c) {
  size_t i;
  int k;

  for (k = 0; k < c->depth; k++) {
    json_object_put(c->st[k].v);
    free(c->st[k].anchor);
    free(c->st[k].key);
  }
  for (i = 0; i < c->n_anchors; i++) {
    free(c->anchors[i].name);
    json_object_put(c->anchors[i].v);
  }
  free(c->anchors);
  free(c->st);
  free(c->plain);
}

int cp_yaml_json_parse(const char *s, size_t n,
                       const struct cp_yaml_json_limits *lim,
                       json_object **out, struct cp_json_strict_dups *dups,
                       char **err, int *err_line) {
  struct conv c;
  yaml_parser_t p;
  yaml_event_t ev;
  int parser_ok;

  *out = NULL;
  *err = NULL;
  *err_line = 0;
  memset(&c, 0, sizeof c);
  c.lim = lim != NULL ? lim : &cp_yaml_json_default_limits;
  c.dups = dups;
  c.st = calloc((size_t)(c.lim->max_depth > 0 ? c.lim->max_depth : 1),
                sizeof *c.st);
  parser_ok = yaml_parser_initialize(&p);
  if (c.st == NULL || !parser_ok) {
    nomem(&c);
    goto out;
  }
  yaml_parser_set_input_string(&p, (const unsigned char *)s, n);
  while (!c.done && c.rc == CP_YAML_JSON_OK) {
    if (!yaml_parser_parse(&p, &ev)) {
      fail_parser(&c, &p);
      break;
    }
    switch (ev.type) {
    case YAML_SCALAR_EVENT: on_scalar(&c, &ev); break;
    case YAML_ALIAS_EVENT: on_alias(&c, &ev); break;
    case YAML_SEQUENCE_START_EVENT: on_start(&c, &ev, 0); break;
    case YAML_MAPPING_START_EVENT: on_start(&c, &ev, 1); break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: on_end(&c, &ev); break;
    case YAML_DOCUMENT_END_EVENT:
    case YAML_STREAM_END_EVENT: c.done = 1; break;
    default: break;
    }
    yaml_event_delete(&ev);
  }
out:
  if (parser_ok)
    yaml_parser_delete(&p);
  if (c.rc == CP_YAML_JSON_OK) {
    *out = c.root;
  } else {
    json_object_put(c.root);
    *err = c.err;
    *err_line = c.err_line;
  }
  drop_state(&c);
  return c.rc;
}
