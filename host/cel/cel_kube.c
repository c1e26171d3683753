/*
 * cel_kube - Kubernetes' CEL libraries (k8s.io/apiserver/pkg/cel/library)
 * as CRD rules use them: lists (isSorted, sum, min, max, indexOf,
 * lastIndexOf), cel-go's strings extension (charAt, indexOf,
 * lastIndexOf, lowerAscii, upperAscii, replace, split, substring, trim,
 * join), regex (find, findAll), URLs (url, isURL and the getters) and
 * quantities (quantity, isQuantity and the arithmetic and comparisons),
 * with their error texts where a rule author would see them.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cplane/quantity.h>

#include "apiserver/schema_pattern.h"
#include "cel/cel_int.h"

static const char *globals[] = {"url", "isURL", "quantity", "isQuantity",
                                NULL};
static const char *members[] = {
    "isSorted", "sum", "min", "max", "indexOf", "lastIndexOf", "charAt",
    "lowerAscii", "upperAscii", "replace", "split", "substring", "trim",
    "join", "find", "findAll", "getScheme", "getHost", "getHostname",
    "getPort", "getEscapedPath", "getQuery", "compareTo", "isGreaterThan",
    "isLessThan", "add", "sub", "asInteger", "asApproximateFloat", "sign",
    "isInteger", NULL};

int cel_kube_known(const char *name, int member) {
  return cel_in_table(member ? members : globals, name) ||
         cel_net_known(name, member) || cel_semver_known(name, member) ||
         cel_format_known(name, member) || cel_ext_known(name, member);
}

static int is(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* ------------------------------------------------------------ lists */

static struct cel_val list_fn(struct cel_ctx *c, const char *name,
                              const struct cel_val *t,
                              const struct cel_val *a, size_t n) {
  size_t len = cel_list_len(t->v.l), i;
  struct cel_val acc, x;

  if (cel_charge(c, len) < 0)
    return cel_err(c, CP_CEL_COST_EXCEEDED);
  if (is(name, "isSorted") && n == 0) {
    for (i = 1; i < len; i++) {
      struct cel_val p = cel_list_get(t->v.l, i - 1);
      int r;

      x = cel_list_get(t->v.l, i);
      if ((r = cel_compare(&p, &x)) == -2)
        return cel_no_overload(c, name);
      if (r == 1)
        return cel_bool(0);
    }
    return cel_bool(1);
  }
  if (is(name, "sum") && n == 0) {
    acc = cel_int(0);
    for (i = 0; i < len; i++) {
      x = cel_list_get(t->v.l, i);
      if (i == 0) {
        acc = x;
        if (x.k != K_INT && x.k != K_UINT && x.k != K_DOUBLE &&
            x.k != K_DUR)
          return cel_no_overload(c, name);
        continue;
      }
      if ((acc = cel_add(c, &acc, &x)).k == K_ERROR)
        return acc;
    }
    return acc;
  }
  if ((is(name, "min") || is(name, "max")) && n == 0) {
    if (len == 0)
      return cel_err(c, "%s called on empty list", name);
    acc = cel_list_get(t->v.l, 0);
    for (i = 1; i < len; i++) {
      int r;

      x = cel_list_get(t->v.l, i);
      if ((r = cel_compare(&x, &acc)) == -2)
        return cel_no_overload(c, name);
      if ((name[1] == 'i' && r == -1) || (name[1] == 'a' && r == 1))
        acc = x;
    }
    return acc;
  }
  if ((is(name, "indexOf") || is(name, "lastIndexOf")) && n == 1) {
    int64_t found = -1;

    for (i = 0; i < len; i++) {
      x = cel_list_get(t->v.l, i);
      if (cel_equal(&x, &a[0])) {
        found = (int64_t)i;
        if (name[0] == 'i')
          break;
      }
    }
    return cel_int(found);
  }
  return cel_no_overload(c, name);
}

/* ------------------------------------------------------------ strings */

/* Byte offset of code point k in s (n bytes); n when k is the end, or
 * (size_t)-1 past it. */
static size_t cp_offset(const char *s, size_t n, int64_t k) {
  size_t i = 0;

  if (k < 0)
    return (size_t)-1;
  while (k > 0) {
    if (i >= n)
      return (size_t)-1;
    i++;
    while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
      i++;
    k--;
  }
  return i;
}

static int64_t cp_count(const char *s, size_t n) {
  int64_t k = 0;
  size_t i;

  for (i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80)
      k++;
  return k;
}

static struct cel_val index_of(struct cel_ctx *c, const struct cel_val *t,
                               const struct cel_val *a, size_t n, int last) {
  const char *s = t->v.s.p, *sub = a[0].v.s.p;
  size_t len = t->v.s.n, sl = a[0].v.s.n, from, i;
  int64_t total = cp_count(s, len), off;

  if (n == 2 && a[1].k != K_INT)
    return cel_no_overload(c, last ? "lastIndexOf" : "indexOf");
  off = n == 2 ? a[1].v.i : (last ? total : 0);
  if (off < 0 || off > total)
    return cel_err(c, "index out of range: %lld", (long long)off);
  from = cp_offset(s, len, off);
  if (!last) {
    for (i = from; i + sl <= len; i++)
      if (memcmp(s + i, sub, sl) == 0)
        return cel_int(cp_count(s, i));
    return cel_int(-1);
  }
  /* lastIndexOf: the match may start at off at the latest. */
  for (i = from + 1; i-- > 0;)
    if (i + sl <= len && memcmp(s + i, sub, sl) == 0)
      return cel_int(cp_count(s, i));
  return cel_int(-1);
}

static int is_space_at(const char *s, size_t n, size_t i, size_t *w) {
  static const char *const wide[] = {
      "\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\x80", "\xe2\x80\x81",
      "\xe2\x80\x82", "\xe2\x80\x83", "\xe2\x80\x84", "\xe2\x80\x85",
      "\xe2\x80\x86", "\xe2\x80\x87", "\xe2\x80\x88", "\xe2\x80\x89",
      "\xe2\x80\x8a", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf",
      "\xe2\x81\x9f", "\xe3\x80\x80", NULL};
  size_t k;

  if (strchr(" \t\n\v\f\r", s[i]) != NULL && s[i] != '\0') {
    *w = 1;
    return 1;
  }
  for (k = 0; wide[k] != NULL; k++) {
    size_t l = strlen(wide[k]);

    if (i + l <= n && memcmp(s + i, wide[k], l) == 0) {
      *w = l;
      return 1;
    }
  }
  return 0;
}

static struct cel_val trim(const struct cel_val *t) {
  size_t b = 0, e = t->v.s.n, w;
  const char *s = t->v.s.p;

  while (b < e && is_space_at(s, e, b, &w))
    b += w;
  while (e > b) {
    size_t k = e - 1; /* the start of the last code point */

    while (k > b && ((unsigned char)s[k] & 0xC0) == 0x80)
      k--;
    if (!is_space_at(s, e, k, &w) || k + w != e)
      break;
    e = k;
  }
  return cel_str(s + b, e - b);
}

static struct cel_val replace(struct cel_ctx *c, const struct cel_val *t,
                              const struct cel_val *a, size_t n) {
  const char *s = t->v.s.p, *o = a[0].v.s.p, *r = a[1].v.s.p;
  size_t len = t->v.s.n, ol = a[0].v.s.n, rl = a[1].v.s.n, i = 0, k = 0;
  int64_t limit = n == 3 ? a[2].v.i : -1, done = 0;
  size_t cap;
  char *out;

  if (n == 3 && a[2].k != K_INT)
    return cel_no_overload(c, "replace");
  cap = len + 1 + (rl > ol ? (rl - ol + (ol == 0)) * (len + 1) : 0);
  if (cel_charge(c, cap / 10) < 0)
    return cel_err(c, CP_CEL_COST_EXCEEDED);
  if ((out = cel_alloc(c, cap + 1)) == NULL)
    return cel_err(c, "out of memory");
  while (i <= len) {
    if ((limit < 0 || done < limit) && i + ol <= len &&
        memcmp(s + i, o, ol) == 0) {
      memcpy(out + k, r, rl);
      k += rl;
      done++;
      if (ol == 0) {
        if (i < len)
          out[k++] = s[i];
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
          out[k++] = s[i++];
        continue;
      }
      i += ol;
      continue;
    }
    if (i < len)
      out[k++] = s[i];
    i++;
  }
  out[k] = '\0';
  return cel_str(out, k);
}

static struct cel_val split(struct cel_ctx *c, const struct cel_val *t,
                            const struct cel_val *a, size_t n) {
  const char *s = t->v.s.p, *sep = a[0].v.s.p;
  size_t len = t->v.s.n, sl = a[0].v.s.n, i, st = 0, k = 0;
  int64_t limit = n == 2 ? a[1].v.i : -1;
  struct cel_val l;

  if (n == 2 && a[1].k != K_INT)
    return cel_no_overload(c, "split");
  if (limit == 0)
    return cel_list_new(c, 0);
  if (cel_charge(c, len / 10) < 0)
    return cel_err(c, CP_CEL_COST_EXCEEDED);
  if ((l = cel_list_new(c, len + 1)).k == K_ERROR)
    return l;
  if (sl == 0) { /* one element per code point */
    for (i = 0; i < len;) {
      size_t e = i + 1;

      while (e < len && ((unsigned char)s[e] & 0xC0) == 0x80)
        e++;
      if (limit > 0 && (int64_t)k == limit - 1)
        e = len;
      l.v.l->v[k++] = cel_str(s + i, e - i);
      i = e;
    }
    l.v.l->n = k;
    return l;
  }
  for (i = 0; i + sl <= len;) {
    if ((limit < 0 || (int64_t)k < limit - 1) && memcmp(s + i, sep, sl) == 0) {
      l.v.l->v[k++] = cel_str(s + st, i - st);
      i += sl;
      st = i;
      continue;
    }
    i++;
  }
  l.v.l->v[k++] = cel_str(s + st, len - st);
  l.v.l->n = k;
  return l;
}

static struct cel_val join(struct cel_ctx *c, const struct cel_val *t,
                           const struct cel_val *a, size_t n) {
  size_t len = cel_list_len(t->v.l), i, total = 0, k = 0;
  const char *sep = n == 1 ? a[0].v.s.p : "";
  size_t sl = n == 1 ? a[0].v.s.n : 0;
  char *out;

  if (n == 1 && a[0].k != K_STRING)
    return cel_no_overload(c, "join");
  for (i = 0; i < len; i++) {
    struct cel_val x = cel_list_get(t->v.l, i);

    if (x.k != K_STRING)
      return cel_no_overload(c, "join");
    total += x.v.s.n + sl;
  }
  if (cel_charge(c, total / 10) < 0)
    return cel_err(c, CP_CEL_COST_EXCEEDED);
  if ((out = cel_alloc(c, total + 1)) == NULL)
    return cel_err(c, "out of memory");
  for (i = 0; i < len; i++) {
    struct cel_val x = cel_list_get(t->v.l, i);

    if (i > 0) {
      memcpy(out + k, sep, sl);
      k += sl;
    }
    memcpy(out + k, x.v.s.p, x.v.s.n);
    k += x.v.s.n;
  }
  out[k] = '\0';
  return cel_str(out, k);
}

static struct cel_val find(struct cel_ctx *c, const struct cel_val *t,
                           const struct cel_val *a, size_t n, int all) {
  struct cp_pattern *p;
  struct cel_val l = {.k = K_NULL}, e;
  int64_t limit = all && n == 2 ? a[1].v.i : -1;
  size_t from = 0, st, en, k = 0;
  int rc;

  if ((all && n == 2 && a[1].k != K_INT) || a[0].k != K_STRING)
    return cel_no_overload(c, all ? "findAll" : "find");
  if (cel_charge(c, (t->v.s.n + a[0].v.s.n) / 10) < 0)
    return cel_err(c, CP_CEL_COST_EXCEEDED);
  if ((p = cel_regex(c, a[0].v.s.p, a[0].v.s.n, &e)) == NULL)
    return e;
  if (all && (l = cel_list_new(c, t->v.s.n + 1)).k == K_ERROR)
    return l;
  for (;;) {
    if (all && limit >= 0 && (int64_t)k >= limit)
      break;
    rc = cp_pattern_find(p, t->v.s.p, t->v.s.n, from, &st, &en);
    if (rc < 0)
      return cel_err(c, "regex match could not be decided");
    if (rc == 0)
      break;
    if (!all)
      return cel_str(t->v.s.p + st, en - st);
    if (cel_charge(c, 1) < 0)
      return cel_err(c, CP_CEL_COST_EXCEEDED);
    l.v.l->v[k++] = cel_str(t->v.s.p + st, en - st);
    from = en;
    if (en == st) /* an empty match: step over one whole character */
      for (from++; from < t->v.s.n &&
                   ((unsigned char)t->v.s.p[from] & 0xC0) == 0x80;)
        from++;
    if (from > t->v.s.n)
      break;
  }
  if (!all)
    return cel_str("", 0);
  l.v.l->n = k;
  return l;
}

static struct cel_val string_fn(struct cel_ctx *c, const char *name,
                                const struct cel_val *t,
                                const struct cel_val *a, size_t n,
                                int *handled) {
  size_t i;

  *handled = 1;
  for (i = 0; i < n; i++)
    if (a[i].k == K_ERROR)
      return a[i];
  if (is(name, "charAt") && n == 1 && a[0].k == K_INT) {
    size_t off = cp_offset(t->v.s.p, t->v.s.n, a[0].v.i), e;

    if (off == (size_t)-1)
      return cel_err(c, "index out of range: %lld", (long long)a[0].v.i);
    e = off < t->v.s.n ? off + 1 : off;
    while (e < t->v.s.n && ((unsigned char)t->v.s.p[e] & 0xC0) == 0x80)
      e++;
    return cel_str(t->v.s.p + off, e - off);
  }
  if ((is(name, "indexOf") || is(name, "lastIndexOf")) && (n == 1 || n == 2) &&
      a[0].k == K_STRING)
    return index_of(c, t, a, n, name[0] == 'l');
  if ((is(name, "lowerAscii") || is(name, "upperAscii")) && n == 0) {
    struct cel_val v = cel_str_dup(c, t->v.s.p, t->v.s.n);
    char *p = (char *)v.v.s.p;

    for (i = 0; v.k == K_STRING && i < v.v.s.n; i++)
      if (name[0] == 'l' && p[i] >= 'A' && p[i] <= 'Z')
        p[i] = (char)(p[i] + 32);
      else if (name[0] == 'u' && p[i] >= 'a' && p[i] <= 'z')
        p[i] = (char)(p[i] - 32);
    return v;
  }
  if (is(name, "replace") && (n == 2 || n == 3) && a[0].k == K_STRING &&
      a[1].k == K_STRING)
    return replace(c, t, a, n);
  if (is(name, "split") && (n == 1 || n == 2) && a[0].k == K_STRING)
    return split(c, t, a, n);
  if (is(name, "substring") && (n == 1 || n == 2) && a[0].k == K_INT &&
      (n == 1 || a[1].k == K_INT)) {
    int64_t total = cp_count(t->v.s.p, t->v.s.n);
    int64_t b = a[0].v.i, e = n == 2 ? a[1].v.i : total;

    if (b < 0 || b > total)
      return cel_err(c, "index out of range: %lld", (long long)b);
    if (e < 0 || e > total)
      return cel_err(c, "index out of range: %lld", (long long)e);
    if (b > e)
      return cel_err(c, "invalid substring range. start: %lld, end: %lld",
                     (long long)b, (long long)e);
    {
      size_t ob = cp_offset(t->v.s.p, t->v.s.n, b);
      size_t oe = cp_offset(t->v.s.p, t->v.s.n, e);

      return cel_str(t->v.s.p + ob, oe - ob);
    }
  }
  if (is(name, "trim") && n == 0)
    return trim(t);
  if ((is(name, "find") && n == 1) || (is(name, "findAll") && (n == 1 || n == 2)))
    return find(c, t, a, n, name[4] == 'A');
  *handled = 0;
  return cel_null();
}

/* ------------------------------------------------------------ URLs */

struct url_parts {
  const char *scheme, *host, *path, *query;
  size_t scheme_n, host_n, path_n, query_n;
};

/* Go's url.ParseRequestURI, as far as a rule can tell: an absolute URL
 * (scheme "://" authority) or an absolute path; no spaces or control
 * characters. */
static int url_split(const char *s, size_t n, struct url_parts *u) {
  size_t i, a;

  memset(u, 0, sizeof *u);
  for (i = 0; i < n; i++)
    if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
      return -1;
  if (n == 0)
    return -1;
  i = 0;
  if (s[0] != '/') {
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
      return -1;
    while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' ||
                     s[i] == '-' || s[i] == '.'))
      i++;
    if (i >= n || s[i] != ':')
      return -1;
    u->scheme = s;
    u->scheme_n = i;
    i++;
    if (i + 1 < n && s[i] == '/' && s[i + 1] == '/') {
      i += 2;
      a = i;
      while (i < n && s[i] != '/' && s[i] != '?' && s[i] != '#')
        i++;
      u->host = s + a;
      u->host_n = i - a;
      /* userinfo is not part of the host */
      {
        const char *at = memrchr(u->host, '@', u->host_n);

        if (at != NULL) {
          u->host_n -= (size_t)(at + 1 - u->host);
          u->host = at + 1;
        }
      }
    } else if (i >= n || s[i] != '/') {
      return -1; /* opaque URLs are refused by ParseRequestURI */
    }
  }
  a = i;
  while (i < n && s[i] != '?' && s[i] != '#')
    i++;
  u->path = s + a;
  u->path_n = i - a;
  if (i < n && s[i] == '?') {
    a = ++i;
    while (i < n && s[i] != '#')
      i++;
    u->query = s + a;
    u->query_n = i - a;
  }
  return 0;
}

static int hexv(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

static struct cel_val unescape(struct cel_ctx *c, const char *s, size_t n) {
  char *o = cel_alloc(c, n + 1);
  size_t i, k = 0;

  if (o == NULL)
    return cel_err(c, "out of memory");
  for (i = 0; i < n; i++) {
    if (s[i] == '+') {
      o[k++] = ' ';
    } else if (s[i] == '%' && i + 2 < n && hexv(s[i + 1]) >= 0 &&
               hexv(s[i + 2]) >= 0) {
      o[k++] = (char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
      i += 2;
    } else {
      o[k++] = s[i];
    }
  }
  o[k] = '\0';
  return cel_str(o, k);
}

static struct cel_val query_map(struct cel_ctx *c, const struct url_parts *u) {
  struct cel_map *m = cel_alloc(c, sizeof *m);
  size_t cap = u->query_n + 1, i = 0;
  struct cel_val out = {.k = K_MAP};

  if (m == NULL || (m->keys = cel_alloc(c, cap * sizeof *m->keys)) == NULL ||
      (m->vals = cel_alloc(c, cap * sizeof *m->vals)) == NULL)
    return cel_err(c, "out of memory");
  m->n = 0;
  m->j = NULL;
  while (i < u->query_n) {
    size_t st = i, eq, k;
    struct cel_val key, val;
    int found = 0;

    while (i < u->query_n && u->query[i] != '&' && u->query[i] != ';')
      i++;
    for (eq = st; eq < i && u->query[eq] != '='; eq++)
      ;
    key = unescape(c, u->query + st, eq - st);
    val = unescape(c, u->query + (eq < i ? eq + 1 : i), eq < i ? i - eq - 1 : 0);
    i++;
    if (key.k == K_ERROR || val.k == K_ERROR)
      return cel_err(c, "out of memory");
    if (eq == st && st + 1 >= i)
      continue;
    for (k = 0; k < m->n; k++)
      if (cel_equal(&m->keys[k], &key)) {
        struct cel_list *l = m->vals[k].v.l;

        l->v[l->n++] = val;
        found = 1;
        break;
      }
    if (!found) {
      struct cel_val l = cel_list_new(c, cap);

      if (l.k == K_ERROR)
        return l;
      l.v.l->n = 1;
      l.v.l->v[0] = val;
      m->keys[m->n] = key;
      m->vals[m->n++] = l;
    }
  }
  out.v.m = m;
  return out;
}

static struct cel_val url_fn(struct cel_ctx *c, const char *name,
                             const struct cel_val *t) {
  struct url_parts u;
  const char *h;
  size_t hn;

  url_split(t->v.s.p, t->v.s.n, &u);
  h = u.host;
  hn = u.host_n;
  if (is(name, "getScheme"))
    return cel_str(u.scheme ? u.scheme : "", u.scheme_n);
  if (is(name, "getHost"))
    return cel_str(h ? h : "", hn);
  if (is(name, "getEscapedPath"))
    return cel_str(u.path ? u.path : "", u.path_n);
  if (is(name, "getQuery"))
    return query_map(c, &u);
  if (h == NULL)
    return cel_str("", 0);
  if (hn > 0 && h[0] == '[') { /* [::1]:80 */
    const char *e = memchr(h, ']', hn);

    if (e == NULL)
      return cel_str("", 0);
    if (is(name, "getHostname"))
      return cel_str(h + 1, (size_t)(e - h - 1));
    if ((size_t)(e - h) + 1 < hn && e[1] == ':')
      return cel_str(e + 2, hn - (size_t)(e - h) - 2);
    return cel_str("", 0);
  }
  {
    const char *colon = memrchr(h, ':', hn);

    if (is(name, "getHostname"))
      return cel_str(h, colon ? (size_t)(colon - h) : hn);
    if (colon == NULL)
      return cel_str("", 0);
    return cel_str(colon + 1, hn - (size_t)(colon - h) - 1);
  }
}

/* ------------------------------------------------------------ quantity */

static int qty_parse(const char *s, size_t n, struct cel_qty *q) {
  char buf[128];
  int64_t v;
  int fmt, e10, e2;
  const char *p;
  double mant;
  char *end;

  if (n == 0 || n >= sizeof buf)
    return -1;
  memcpy(buf, s, n);
  buf[n] = '\0';
  memset(q, 0, sizeof *q);
  if (cplane_quantity_parse_scaled(buf, 9, &v, &fmt) == CPLANE_OK) {
    q->nano = v;
    q->ok = 1;
  } else if (cplane_quantity_parse_scaled(buf, 0, &v, &fmt) == CPLANE_OK) {
    q->nano = (__int128)v * 1000000000; /* whole units: rounded up */
    q->ok = 1;
  } else if (cplane_quantity_parse_scaled(buf, -30, &v, &fmt) != CPLANE_OK) {
    return -1; /* not a quantity at all (or past 10^48) */
  }
  q->format = fmt;
  mant = strtod(buf, &end);
  for (p = end; *p == '.' || (*p >= '0' && *p <= '9'); p++)
    ;
  if (cplane_quantity__suffix(end, &e10, &e2, &fmt) != 0)
    return -1;
  q->approx = mant * pow(10, e10) * pow(2, e2);
  return 0;
}

static struct cel_val qty_val(struct cel_ctx *c, const struct cel_qty *q) {
  struct cel_val v = {.k = K_QTY};

  if ((v.v.q = cel_alloc(c, sizeof *v.v.q)) == NULL)
    return cel_err(c, "out of memory");
  *v.v.q = *q;
  return v;
}

static int qty_cmp(const struct cel_qty *a, const struct cel_qty *b) {
  if (a->ok && b->ok)
    return a->nano < b->nano ? -1 : a->nano > b->nano;
  return a->approx < b->approx ? -1 : a->approx > b->approx;
}

static struct cel_val qty_fn(struct cel_ctx *c, const char *name,
                             const struct cel_qty *q,
                             const struct cel_val *a, size_t n) {
  struct cel_qty r, o;

  if (n == 0) {
    if (is(name, "sign"))
      return cel_int(q->ok ? (q->nano > 0) - (q->nano < 0)
                           : (q->approx > 0) - (q->approx < 0));
    if (is(name, "isInteger"))
      return cel_bool(q->ok && q->nano % 1000000000 == 0 &&
                      q->nano / 1000000000 <= INT64_MAX &&
                      q->nano / 1000000000 >= INT64_MIN);
    if (is(name, "asInteger")) {
      if (!q->ok || q->nano % 1000000000 != 0 ||
          q->nano / 1000000000 > INT64_MAX || q->nano / 1000000000 < INT64_MIN)
        return cel_err(c, "cannot convert value to integer");
      return cel_int((int64_t)(q->nano / 1000000000));
    }
    if (is(name, "asApproximateFloat"))
      return cel_double(q->ok ? (double)q->nano / 1e9 : q->approx);
    return cel_no_overload(c, name);
  }
  if (n != 1)
    return cel_no_overload(c, name);
  if (a[0].k == K_QTY) {
    o = *a[0].v.q;
  } else if (a[0].k == K_INT && (is(name, "add") || is(name, "sub"))) {
    memset(&o, 0, sizeof o);
    o.nano = (__int128)a[0].v.i * 1000000000;
    o.ok = 1;
    o.approx = (double)a[0].v.i;
  } else {
    return cel_no_overload(c, name);
  }
  if (is(name, "compareTo")) return cel_int(qty_cmp(q, &o));
  if (is(name, "isGreaterThan")) return cel_bool(qty_cmp(q, &o) > 0);
  if (is(name, "isLessThan")) return cel_bool(qty_cmp(q, &o) < 0);
  if (is(name, "add") || is(name, "sub")) {
    r = *q;
    if (is(name, "sub")) {
      o.nano = -o.nano;
      o.approx = -o.approx;
    }
    r.nano = q->nano + o.nano;
    r.ok = q->ok && o.ok;
    r.approx = q->approx + o.approx;
    return qty_val(c, &r);
  }
  return cel_no_overload(c, name);
}

/* ------------------------------------------------------------ dispatch */

struct cel_val cel_kube_call(struct cel_ctx *c, const char *name,
                             const struct cel_val *t,
                             const struct cel_val *a, size_t n,
                             int *handled) {
  struct url_parts u;
  struct cel_qty q;
  struct cel_val v;

  v = cel_net_call(c, name, t, a, n, handled);
  if (!*handled)
    v = cel_semver_call(c, name, t, a, n, handled);
  if (!*handled)
    v = cel_format_call(c, name, t, a, n, handled);
  if (!*handled)
    v = cel_ext_call(c, name, t, a, n, handled);
  if (*handled)
    return v;
  *handled = 1;
  if (t == NULL) {
    if (n != 1 || a[0].k != K_STRING ||
        !cel_in_table(globals, name)) {
      *handled = cel_in_table(globals, name);
      return cel_no_overload(c, name);
    }
    if (is(name, "isURL"))
      return cel_bool(url_split(a[0].v.s.p, a[0].v.s.n, &u) == 0);
    if (is(name, "url")) {
      if (url_split(a[0].v.s.p, a[0].v.s.n, &u) < 0)
        return cel_err(c, "URL parse error during conversion from string: "
                          "parse \"%.*s\": invalid URI for request",
                       (int)(a[0].v.s.n > 200 ? 200 : a[0].v.s.n),
                       a[0].v.s.p);
      v = a[0];
      v.k = K_URL;
      return v;
    }
    if (is(name, "isQuantity"))
      return cel_bool(qty_parse(a[0].v.s.p, a[0].v.s.n, &q) == 0);
    if (qty_parse(a[0].v.s.p, a[0].v.s.n, &q) < 0)
      return cel_err(c, "quantities must match the regular expression "
                        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    return qty_val(c, &q);
  }
  if (t->k == K_LIST && cel_kube_known(name, 1) &&
      (is(name, "isSorted") || is(name, "sum") || is(name, "min") ||
       is(name, "max") || is(name, "indexOf") || is(name, "lastIndexOf")))
    return list_fn(c, name, t, a, n);
  if (t->k == K_LIST && is(name, "join"))
    return join(c, t, a, n);
  if (t->k == K_STRING) {
    v = string_fn(c, name, t, a, n, handled);
    if (*handled)
      return v;
    *handled = 1;
  }
  if (t->k == K_URL && strncmp(name, "get", 3) == 0 && n == 0)
    return url_fn(c, name, t);
  if (t->k == K_QTY)
    return qty_fn(c, name, t->v.q, a, n);
  *handled = 0;
  return cel_null();
}
