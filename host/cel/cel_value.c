/*
 * cel_value - CEL values during one evaluation: the arena they live in,
 * the cost meter, views of borrowed json-c values as lists and maps
 * (converted element by element when read, so binding a large object
 * costs nothing), equality and ordering as cel-spec defines them across
 * numeric types, and the canonical text cp_cel_eval_text prints.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/schema_pattern.h"
#include "cel/cel_int.h"

/* One evaluation may allocate at most this much: the cost limit bounds
 * the time, this the memory (a string doubled 30 times is cheap in
 * steps). */
#define ARENA_LIMIT (64u << 20)

struct cel_chunk {
  struct cel_chunk *next;
  size_t used, size;
  _Alignas(16) unsigned char data[];
};

void *cel_alloc(struct cel_ctx *c, size_t n) {
  struct cel_chunk *k = c->chunks;
  size_t size;
  void *p;

  n = (n + 15) & ~(size_t)15;
  if (n == 0)
    n = 16;
  if (k == NULL || k->size - k->used < n) {
    size = n > 8192 ? n : 8192;
    if (c->allocated + size > ARENA_LIMIT)
      return NULL;
    if ((k = malloc(sizeof *k + size)) == NULL)
      return NULL;
    k->used = 0;
    k->size = size;
    k->next = c->chunks;
    c->chunks = k;
    c->allocated += size;
  }
  p = k->data + k->used;
  k->used += n;
  return p;
}

struct cp_pattern *cel_regex(struct cel_ctx *c, const char *text, size_t n,
                             struct cel_val *err) {
  char *t, *msg = NULL;
  struct cp_pattern *p;

  if (c->lit != NULL && c->lit->re != NULL) {
    const struct cel_val *l = &c->lit->args[c->lit->target ? 0 : 1]->lit;

    if (l->v.s.n == n && memcmp(l->v.s.p, text, n) == 0)
      return c->lit->re;
  }
  if (c->re != NULL && strlen(c->re_text) == n &&
      memcmp(c->re_text, text, n) == 0)
    return c->re;
  if ((t = strndup(text, n)) == NULL) {
    *err = cel_err(c, "out of memory");
    return NULL;
  }
  if ((p = cp_pattern_compile(t, &msg)) == NULL) {
    *err = cel_err(c, "%s", msg ? msg : "out of memory");
    free(msg);
    free(t);
    return NULL;
  }
  cp_pattern_free(c->re);
  free(c->re_text);
  c->re = p;
  c->re_text = t;
  return p;
}

void cel_ctx_free(struct cel_ctx *c) {
  struct cel_chunk *k, *n;

  cp_pattern_free(c->re);
  free(c->re_text);
  c->re = NULL;
  c->re_text = NULL;
  cel_tz_free(c->tz);
  c->tz = NULL;
  for (k = c->chunks; k != NULL; k = n) {
    n = k->next;
    free(k);
  }
  c->chunks = NULL;
}

int cel_charge(struct cel_ctx *c, uint64_t n) {
  c->cost += n;
  if (c->cost > c->limit)
    c->cancelled = 1;
  return c->cancelled ? -1 : 0;
}

struct cel_val cel_err(struct cel_ctx *c, const char *fmt, ...) {
  struct cel_val v = {.k = K_ERROR};
  char buf[512];
  va_list ap;
  int n;
  char *p;

  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0)
    n = 0;
  if ((size_t)n >= sizeof buf)
    n = sizeof buf - 1;
  if ((p = cel_alloc(c, (size_t)n + 1)) == NULL) {
    v.v.s.p = "out of memory";
    v.v.s.n = strlen(v.v.s.p);
    return v;
  }
  memcpy(p, buf, (size_t)n + 1);
  v.v.s.p = p;
  v.v.s.n = (size_t)n;
  return v;
}

struct cel_val cel_no_overload(struct cel_ctx *c, const char *fn) {
  return cel_err(c, "no such overload: %s", fn);
}

struct cel_val cel_bool(int b) {
  return (struct cel_val){.k = K_BOOL, .v.b = b != 0};
}
struct cel_val cel_int(int64_t i) {
  return (struct cel_val){.k = K_INT, .v.i = i};
}
struct cel_val cel_uint(uint64_t u) {
  return (struct cel_val){.k = K_UINT, .v.u = u};
}
struct cel_val cel_double(double d) {
  return (struct cel_val){.k = K_DOUBLE, .v.d = d};
}
struct cel_val cel_null(void) { return (struct cel_val){.k = K_NULL}; }

struct cel_val cel_str(const char *p, size_t n) {
  struct cel_val v = {.k = K_STRING};

  v.v.s.p = p;
  v.v.s.n = n;
  return v;
}

struct cel_val cel_str_dup(struct cel_ctx *c, const char *p, size_t n) {
  char *d = cel_alloc(c, n + 1);

  if (d == NULL)
    return cel_err(c, "out of memory");
  memcpy(d, p, n);
  d[n] = '\0';
  return cel_str(d, n);
}

struct cel_val cel_bytes(const char *p, size_t n) {
  struct cel_val v = cel_str(p, n);

  v.k = K_BYTES;
  return v;
}

struct cel_val cel_type(const char *name) {
  struct cel_val v = cel_str(name, strlen(name));

  v.k = K_TYPE;
  return v;
}

const char *cel_type_name(const struct cel_val *v) {
  switch (v->k) {
  case K_NULL: return "null_type";
  case K_BOOL: return "bool";
  case K_INT: return "int";
  case K_UINT: return "uint";
  case K_DOUBLE: return "double";
  case K_STRING: return "string";
  case K_BYTES: return "bytes";
  case K_LIST: return "list";
  case K_MAP: return "map";
  case K_TYPE: return "type";
  case K_ERROR: return "error";
  case K_OPT: return "optional_type";
  case K_TS: return "google.protobuf.Timestamp";
  case K_DUR: return "google.protobuf.Duration";
  case K_QTY: return "kubernetes.Quantity";
  case K_URL: return "kubernetes.URL";
  case K_IP: return "net.IP";
  case K_CIDR: return "net.CIDR";
  case K_SEMVER: return "kubernetes.Semver";
  }
  return "?";
}

/* A JSON value as CEL sees it; containers are views, not copies. The
 * views are allocated with malloc-free storage: a list/map view needs a
 * struct, which lives in static storage keyed by nothing, so instead
 * the JSON pointer itself is wrapped by cel_from_json_in (below). */
static struct cel_val json_view(struct cel_ctx *c, struct json_object *j);

struct cel_val cel_from_json(struct json_object *j) {
  switch (json_object_get_type(j)) {
  case json_type_null: return cel_null();
  case json_type_boolean: return cel_bool(json_object_get_boolean(j));
  case json_type_int: return cel_int(json_object_get_int64(j));
  case json_type_double: return cel_double(json_object_get_double(j));
  case json_type_string:
    return cel_str(json_object_get_string(j),
                   (size_t)json_object_get_string_len(j));
  default: break;
  }
  return cel_null(); /* containers go through json_view */
}

static struct cel_val json_view(struct cel_ctx *c, struct json_object *j) {
  struct cel_val v;

  if (json_object_is_type(j, json_type_array)) {
    struct cel_list *l = cel_alloc(c, sizeof *l);

    if (l == NULL)
      return cel_err(c, "out of memory");
    memset(l, 0, sizeof *l);
    l->j = j;
    l->n = json_object_array_length(j);
    v.k = K_LIST;
    v.v.l = l;
    return v;
  }
  if (json_object_is_type(j, json_type_object)) {
    struct cel_map *m = cel_alloc(c, sizeof *m);

    if (m == NULL)
      return cel_err(c, "out of memory");
    memset(m, 0, sizeof *m);
    m->j = j;
    m->n = (size_t)json_object_object_length(j);
    v.k = K_MAP;
    v.v.m = m;
    return v;
  }
  return cel_from_json(j);
}

/* The evaluator's entry: any JSON value, containers included. */
struct cel_val cel_json(struct cel_ctx *c, struct json_object *j);
struct cel_val cel_json(struct cel_ctx *c, struct json_object *j) {
  return json_view(c, j);
}

/* Views need the context to allocate; the list/map accessors below get
 * it through this thread's current evaluation. */
static _Thread_local struct cel_ctx *cur;

void cel_ctx_enter(struct cel_ctx *c);
void cel_ctx_enter(struct cel_ctx *c) { cur = c; }

size_t cel_list_len(const struct cel_list *l) { return l->n; }

struct cel_val cel_list_get(const struct cel_list *l, size_t i) {
  if (l->j != NULL)
    return json_view(cur, json_object_array_get_idx(l->j, i));
  return l->v[i];
}

struct cel_val cel_list_new(struct cel_ctx *c, size_t n) {
  struct cel_list *l = cel_alloc(c, sizeof *l);
  struct cel_val v = {.k = K_LIST};

  if (l == NULL || (n > 0 && (l->v = cel_alloc(c, n * sizeof *l->v)) ==
                                 NULL))
    return cel_err(c, "out of memory");
  if (n == 0)
    l->v = NULL;
  l->j = NULL;
  l->n = n;
  v.v.l = l;
  return v;
}

size_t cel_map_len(const struct cel_map *m) { return m->n; }

/* A JSON map's keys, listed once per view (in the evaluation's arena):
 * walking json-c's table for every index would make a macro over a map
 * quadratic, outside the cost meter. */
static int json_keys(struct cel_map *m) {
  size_t k = 0;

  if (m->keys != NULL || m->n == 0)
    return 0;
  if (cur == NULL || (m->keys = cel_alloc(cur, m->n * sizeof *m->keys)) ==
                         NULL)
    return -1;
  json_object_object_foreach(m->j, key, val) {
    (void)val;
    if (k < m->n)
      m->keys[k++] = cel_str(key, strlen(key));
  }
  return 0;
}

struct cel_val cel_map_key(const struct cel_map *m, size_t i) {
  if (m->j != NULL && json_keys((struct cel_map *)m) < 0)
    return cel_null();
  return m->keys[i];
}

static int key_equal(const struct cel_val *a, const struct cel_val *b) {
  return cel_equal(a, b);
}

struct cel_val cel_map_get(struct cel_ctx *c, const struct cel_map *m,
                           const struct cel_val *key, int *found) {
  size_t i;

  *found = 0;
  if (key->k != K_STRING && key->k != K_INT && key->k != K_UINT &&
      key->k != K_BOOL && key->k != K_DOUBLE)
    return cel_err(c, "unsupported key type");
  if (m->j != NULL) {
    struct json_object *v;
    char buf[512];

    if (key->k != K_STRING || key->v.s.n >= sizeof buf)
      return cel_null();
    memcpy(buf, key->v.s.p, key->v.s.n);
    buf[key->v.s.n] = '\0';
    if (strlen(buf) != key->v.s.n || !json_object_object_get_ex(m->j, buf, &v))
      return cel_null();
    *found = 1;
    return json_view(c, v);
  }
  for (i = 0; i < m->n; i++)
    if (key_equal(&m->keys[i], key)) {
      *found = 1;
      return m->vals[i];
    }
  return cel_null();
}

/* ------------------------------------------------------------ equality */

static int is_num(const struct cel_val *v) {
  return v->k == K_INT || v->k == K_UINT || v->k == K_DOUBLE;
}

/* -1/0/1, or 2 for NaN: numbers of any of the three kinds. An integer
 * meets a double as a double (cel-go's comparison). */
static int num_cmp(const struct cel_val *a, const struct cel_val *b) {
  if (a->k == K_DOUBLE || b->k == K_DOUBLE) {
    double x = a->k == K_DOUBLE ? a->v.d
               : a->k == K_INT  ? (double)a->v.i : (double)a->v.u;
    double y = b->k == K_DOUBLE ? b->v.d
               : b->k == K_INT  ? (double)b->v.i : (double)b->v.u;

    if (isnan(x) || isnan(y))
      return 2;
    return x < y ? -1 : x > y;
  }
  if (a->k == K_INT && b->k == K_INT)
    return a->v.i < b->v.i ? -1 : a->v.i > b->v.i;
  if (a->k == K_UINT && b->k == K_UINT)
    return a->v.u < b->v.u ? -1 : a->v.u > b->v.u;
  if (a->k == K_INT) {
    if (a->v.i < 0)
      return -1;
    return (uint64_t)a->v.i < b->v.u ? -1 : (uint64_t)a->v.i > b->v.u;
  }
  if (b->v.i < 0)
    return 1;
  return a->v.u < (uint64_t)b->v.i ? -1 : a->v.u > (uint64_t)b->v.i;
}

static int bytes_cmp(const struct cel_val *a, const struct cel_val *b) {
  size_t n = a->v.s.n < b->v.s.n ? a->v.s.n : b->v.s.n;
  int r = n ? memcmp(a->v.s.p, b->v.s.p, n) : 0;

  if (r != 0)
    return r < 0 ? -1 : 1;
  return a->v.s.n < b->v.s.n ? -1 : a->v.s.n > b->v.s.n;
}

int cel_compare(const struct cel_val *a, const struct cel_val *b) {
  if (is_num(a) && is_num(b))
    return num_cmp(a, b);
  if (a->k != b->k)
    return -2;
  switch (a->k) {
  case K_BOOL: return a->v.b < b->v.b ? -1 : a->v.b > b->v.b;
  case K_STRING: case K_BYTES: return bytes_cmp(a, b);
  case K_TS: case K_DUR:
    if (a->v.t.sec != b->v.t.sec)
      return a->v.t.sec < b->v.t.sec ? -1 : 1;
    return a->v.t.nsec < b->v.t.nsec ? -1 : a->v.t.nsec > b->v.t.nsec;
  default: return -2;
  }
}

int cel_equal(const struct cel_val *a, const struct cel_val *b) {
  size_t i, n;

  if (is_num(a) && is_num(b))
    return num_cmp(a, b) == 0;
  if (a->k != b->k)
    return 0;
  switch (a->k) {
  case K_NULL: return 1;
  case K_BOOL: return a->v.b == b->v.b;
  case K_STRING: case K_BYTES: case K_TYPE: case K_URL: case K_IP:
  case K_CIDR: case K_SEMVER:
    return a->v.s.n == b->v.s.n && memcmp(a->v.s.p, b->v.s.p, a->v.s.n) == 0;
  case K_TS: case K_DUR:
    return a->v.t.sec == b->v.t.sec && a->v.t.nsec == b->v.t.nsec;
  case K_QTY:
    if (a->v.q->ok && b->v.q->ok)
      return a->v.q->nano == b->v.q->nano;
    return a->v.q->approx == b->v.q->approx;
  case K_OPT:
    if (a->v.opt == NULL || b->v.opt == NULL)
      return a->v.opt == b->v.opt;
    return cel_equal(a->v.opt, b->v.opt);
  case K_LIST:
    if ((n = cel_list_len(a->v.l)) != cel_list_len(b->v.l))
      return 0;
    for (i = 0; i < n; i++) {
      struct cel_val x = cel_list_get(a->v.l, i), y = cel_list_get(b->v.l, i);

      if (!cel_equal(&x, &y))
        return 0;
    }
    return 1;
  case K_MAP:
    if ((n = cel_map_len(a->v.m)) != cel_map_len(b->v.m))
      return 0;
    for (i = 0; i < n; i++) {
      struct cel_val k = cel_map_key(a->v.m, i), x, y;
      int fa, fb;

      x = cel_map_get(cur, a->v.m, &k, &fa);
      y = cel_map_get(cur, b->v.m, &k, &fb);
      if (!fa || !fb || !cel_equal(&x, &y))
        return 0;
    }
    return 1;
  default: return 0;
  }
}

/* ------------------------------------------------------------ format */

struct sbuf {
  char *p;
  size_t n, cap;
  int nomem;
};

static void sb_put(struct sbuf *b, const char *s, size_t n) {
  if (b->nomem)
    return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = (b->cap ? b->cap * 2 : 64) + n;
    char *q = realloc(b->p, cap);

    if (q == NULL || cap > ARENA_LIMIT) {
      if (q != NULL)
        b->p = q;
      b->nomem = 1;
      return;
    }
    b->p = q;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...) {
  char buf[128];
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0)
    sb_put(b, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void sb_quoted(struct sbuf *b, const struct cel_val *v) {
  size_t i;

  sb_put(b, v->k == K_BYTES ? "b\"" : "\"", v->k == K_BYTES ? 2 : 1);
  for (i = 0; i < v->v.s.n; i++) {
    unsigned char ch = (unsigned char)v->v.s.p[i];

    if (ch == '"' || ch == '\\')
      sb_printf(b, "\\%c", ch);
    else if (ch < 0x20 || ch == 0x7f || (v->k == K_BYTES && ch >= 0x80))
      sb_printf(b, "\\x%02x", ch);
    else
      sb_put(b, (const char *)&ch, 1);
  }
  sb_put(b, "\"", 1);
}

static void sb_double(struct sbuf *b, double d) {
  char buf[64];

  if (isnan(d)) {
    sb_put(b, "NaN", 3);
    return;
  }
  if (isinf(d)) {
    sb_put(b, d < 0 ? "-Inf" : "+Inf", 4);
    return;
  }
  snprintf(buf, sizeof buf, "%.17g", d);
  sb_put(b, buf, strlen(buf));
  if (strpbrk(buf, ".e") == NULL)
    sb_put(b, ".0", 2);
}

static void sb_val(struct sbuf *b, const struct cel_val *v, int depth) {
  size_t i, n;

  if (depth > 64) {
    sb_put(b, "...", 3);
    return;
  }
  switch (v->k) {
  case K_NULL: sb_put(b, "null", 4); break;
  case K_BOOL: sb_put(b, v->v.b ? "true" : "false", v->v.b ? 4 : 5); break;
  case K_INT: sb_printf(b, "%lld", (long long)v->v.i); break;
  case K_UINT: sb_printf(b, "%lluu", (unsigned long long)v->v.u); break;
  case K_DOUBLE: sb_double(b, v->v.d); break;
  case K_STRING: case K_BYTES: sb_quoted(b, v); break;
  case K_TYPE: sb_put(b, v->v.s.p, v->v.s.n); break;
  case K_ERROR:
    sb_put(b, "error(", 6);
    sb_put(b, v->v.s.p, v->v.s.n);
    sb_put(b, ")", 1);
    break;
  case K_OPT:
    if (v->v.opt == NULL) {
      sb_put(b, "optional.none()", 15);
      break;
    }
    sb_put(b, "optional.of(", 12);
    sb_val(b, v->v.opt, depth + 1);
    sb_put(b, ")", 1);
    break;
  case K_TS: case K_DUR:
    sb_printf(b, "%s(%llds%09dns)", v->k == K_TS ? "timestamp" : "duration",
              (long long)v->v.t.sec, (int)v->v.t.nsec);
    break;
  case K_QTY:
    if (v->v.q->ok)
      sb_printf(b, "quantity(%.9g)", (double)v->v.q->nano / 1e9);
    else
      sb_printf(b, "quantity(~%g)", v->v.q->approx);
    break;
  case K_URL: case K_IP: case K_CIDR: case K_SEMVER:
    sb_printf(b, "%s(", v->k == K_URL ? "url" : v->k == K_IP ? "ip"
                        : v->k == K_CIDR ? "cidr" : "semver");
    sb_put(b, v->v.s.p, v->v.s.n);
    sb_put(b, ")", 1);
    break;
  case K_LIST:
    sb_put(b, "[", 1);
    n = cel_list_len(v->v.l);
    for (i = 0; i < n; i++) {
      struct cel_val x = cel_list_get(v->v.l, i);

      if (i)
        sb_put(b, ", ", 2);
      sb_val(b, &x, depth + 1);
    }
    sb_put(b, "]", 1);
    break;
  case K_MAP:
    sb_put(b, "{", 1);
    n = cel_map_len(v->v.m);
    for (i = 0; i < n; i++) {
      struct cel_val k = cel_map_key(v->v.m, i), x;
      int found;

      x = cel_map_get(cur, v->v.m, &k, &found);
      if (i)
        sb_put(b, ", ", 2);
      sb_val(b, &k, depth + 1);
      sb_put(b, ": ", 2);
      sb_val(b, &x, depth + 1);
    }
    sb_put(b, "}", 1);
    break;
  }
}

char *cel_format(struct cel_ctx *c, const struct cel_val *v) {
  struct sbuf b = {0};
  char *out = NULL;

  sb_val(&b, v, 0);
  if (!b.nomem && b.p != NULL && (out = cel_alloc(c, b.n + 1)) != NULL)
    memcpy(out, b.p, b.n + 1);
  free(b.p);
  return out;
}
