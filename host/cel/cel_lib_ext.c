/*
 * cel_lib_ext - cel-go's extension libraries kube's environment carries
 * beyond the strings one (ext/sets.go, ext/math.go, ext/encoders.go):
 * sets.contains / sets.equivalent / sets.intersects, math.greatest /
 * math.least (arguments or one list), math.ceil floor round trunc abs
 * sign isInf isNaN isFinite sqrt, the math.bit* functions, and
 * base64.encode / base64.decode, with cel-go's error texts.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cel/cel_int.h"
#include "encoding/base64.h"

static const char *ext_globals[] = {
    "sets.contains", "sets.equivalent", "sets.intersects", "math.greatest",
    "math.least", "math.ceil", "math.floor", "math.round", "math.trunc",
    "math.abs", "math.sign", "math.isInf", "math.isNaN", "math.isFinite",
    "math.sqrt", "math.bitAnd", "math.bitOr", "math.bitXor", "math.bitNot",
    "math.bitShiftLeft", "math.bitShiftRight", "base64.encode",
    "base64.decode", NULL};
static const char *ext_members[] = {NULL};

int cel_ext_known(const char *name, int member) {
  return cel_in_table(member ? ext_members : ext_globals, name);
}

/* ------------------------------------------------------------ sets */

/* 1 when every element of b is in a (CEL equality). */
static int list_has_all(const struct cel_list *a, const struct cel_list *b) {
  size_t na = cel_list_len(a), nb = cel_list_len(b), i, j;

  for (j = 0; j < nb; j++) {
    struct cel_val y = cel_list_get(b, j);
    int found = 0;

    for (i = 0; i < na && !found; i++) {
      struct cel_val x = cel_list_get(a, i);

      found = cel_equal(&x, &y);
    }
    if (!found)
      return 0;
  }
  return 1;
}

static int list_meets(const struct cel_list *a, const struct cel_list *b) {
  size_t na = cel_list_len(a), nb = cel_list_len(b), i, j;

  for (i = 0; i < na; i++) {
    struct cel_val x = cel_list_get(a, i);

    for (j = 0; j < nb; j++) {
      struct cel_val y = cel_list_get(b, j);

      if (cel_equal(&x, &y))
        return 1;
    }
  }
  return 0;
}

static struct cel_val sets(struct cel_ctx *c, const char *name,
                           const struct cel_val *a, size_t n) {
  if (n != 2 || a[0].k != K_LIST || a[1].k != K_LIST)
    return cel_no_overload(c, name);
  /* Quadratic, as cel-go's: charge what it compares. */
  if (cel_charge(c, (uint64_t)cel_list_len(a[0].v.l) *
                        cel_list_len(a[1].v.l)) < 0)
    return cel_err(c, CP_CEL_COST_EXCEEDED);
  if (strcmp(name, "sets.contains") == 0)
    return cel_bool(list_has_all(a[0].v.l, a[1].v.l));
  if (strcmp(name, "sets.equivalent") == 0)
    return cel_bool(list_has_all(a[0].v.l, a[1].v.l) &&
                    list_has_all(a[1].v.l, a[0].v.l));
  return cel_bool(list_meets(a[0].v.l, a[1].v.l));
}

/* ------------------------------------------------------------ math */

static int is_num(const struct cel_val *v) {
  return v->k == K_INT || v->k == K_UINT || v->k == K_DOUBLE;
}

static struct cel_val extreme(struct cel_ctx *c, const char *name,
                              const struct cel_val *a, size_t n) {
  int greatest = strcmp(name, "math.greatest") == 0;
  struct cel_val best, x;
  size_t i, len;
  const struct cel_list *l = NULL;

  if (n == 1 && a[0].k == K_LIST) {
    l = a[0].v.l;
    len = cel_list_len(l);
    if (len == 0)
      return cel_err(c, "%s(list) argument must not be empty",
                     greatest ? "math.@max" : "math.@min");
  } else {
    len = n;
  }
  if (len == 0)
    return cel_no_overload(c, name);
  if (cel_charge(c, len) < 0)
    return cel_err(c, CP_CEL_COST_EXCEEDED);
  for (i = 0; i < len; i++) {
    x = l != NULL ? cel_list_get(l, i) : a[i];
    if (!is_num(&x))
      return cel_no_overload(c, greatest ? "math.@max" : "math.@min");
    if (i == 0 || (greatest ? cel_compare(&x, &best) == 1
                            : cel_compare(&x, &best) == -1))
      best = x;
  }
  return best;
}

static struct cel_val bits(struct cel_ctx *c, const char *name,
                           const struct cel_val *a, size_t n) {
  const char *op = name + 8; /* after "math.bit" */

  if (strcmp(op, "Not") == 0) {
    if (n != 1 || (a[0].k != K_INT && a[0].k != K_UINT))
      return cel_no_overload(c, name);
    return a[0].k == K_INT ? cel_int(~a[0].v.i) : cel_uint(~a[0].v.u);
  }
  if (strcmp(op, "ShiftLeft") == 0 || strcmp(op, "ShiftRight") == 0) {
    int64_t s;
    uint64_t u;

    if (n != 2 || (a[0].k != K_INT && a[0].k != K_UINT) || a[1].k != K_INT)
      return cel_no_overload(c, name);
    s = a[1].v.i;
    if (s < 0)
      return cel_err(c, "%s() negative offset: %lld", name, (long long)s);
    u = a[0].k == K_INT ? (uint64_t)a[0].v.i : a[0].v.u;
    /* Go shifts of 64 or more give 0; the int right shift is logical,
     * as cel-go's. */
    u = s >= 64 ? 0 : op[5] == 'L' ? u << s : u >> s;
    return a[0].k == K_INT ? cel_int((int64_t)u) : cel_uint(u);
  }
  if (n != 2 || a[0].k != a[1].k || (a[0].k != K_INT && a[0].k != K_UINT))
    return cel_no_overload(c, name);
  if (a[0].k == K_INT) {
    int64_t x = a[0].v.i, y = a[1].v.i;

    return cel_int(strcmp(op, "And") == 0 ? x & y
                   : strcmp(op, "Or") == 0 ? x | y : x ^ y);
  }
  {
    uint64_t x = a[0].v.u, y = a[1].v.u;

    return cel_uint(strcmp(op, "And") == 0 ? x & y
                    : strcmp(op, "Or") == 0 ? x | y : x ^ y);
  }
}

static struct cel_val math1(struct cel_ctx *c, const char *name,
                            const struct cel_val *x) {
  const char *f = name + 5; /* after "math." */

  if (strcmp(f, "abs") == 0) {
    if (x->k == K_INT) {
      if (x->v.i == INT64_MIN)
        return cel_err(c, "integer overflow");
      return cel_int(x->v.i < 0 ? -x->v.i : x->v.i);
    }
    if (x->k == K_UINT) return *x;
    if (x->k == K_DOUBLE) return cel_double(fabs(x->v.d));
    return cel_no_overload(c, name);
  }
  if (strcmp(f, "sign") == 0) {
    if (x->k == K_INT) return cel_int((x->v.i > 0) - (x->v.i < 0));
    if (x->k == K_UINT) return cel_uint(x->v.u > 0);
    if (x->k == K_DOUBLE)
      return cel_double(isnan(x->v.d) ? x->v.d
                                      : (double)((x->v.d > 0) - (x->v.d < 0)));
    return cel_no_overload(c, name);
  }
  if (strcmp(f, "sqrt") == 0) {
    if (x->k == K_INT) return cel_double(sqrt((double)x->v.i));
    if (x->k == K_UINT) return cel_double(sqrt((double)x->v.u));
    if (x->k == K_DOUBLE) return cel_double(sqrt(x->v.d));
    return cel_no_overload(c, name);
  }
  if (x->k != K_DOUBLE)
    return cel_no_overload(c, name);
  if (strcmp(f, "ceil") == 0) return cel_double(ceil(x->v.d));
  if (strcmp(f, "floor") == 0) return cel_double(floor(x->v.d));
  if (strcmp(f, "round") == 0) return cel_double(round(x->v.d));
  if (strcmp(f, "trunc") == 0) return cel_double(trunc(x->v.d));
  if (strcmp(f, "isInf") == 0) return cel_bool(isinf(x->v.d) != 0);
  if (strcmp(f, "isNaN") == 0) return cel_bool(isnan(x->v.d) != 0);
  if (strcmp(f, "isFinite") == 0) return cel_bool(isfinite(x->v.d) != 0);
  return cel_no_overload(c, name);
}

/* ------------------------------------------------------------ base64 */

static struct cel_val b64_encode(struct cel_ctx *c, const struct cel_val *a) {
  size_t n = a->v.s.n, len = cp_base64_encoded_len(CP_BASE64_STD, n);
  char *d;

  if (cel_charge(c, n / 10) < 0)
    return cel_err(c, CP_CEL_COST_EXCEEDED);
  if ((len == 0 && n > 0) || (d = cel_alloc(c, len + 1)) == NULL)
    return cel_err(c, "out of memory");
  d[cp_base64_encode_to(CP_BASE64_STD, d, a->v.s.p, n)] = '\0';
  return cel_str(d, len);
}

/* cel-go's: Go's base64.StdEncoding, and RawStdEncoding when that
 * refuses (whose error is then the one reported). */
static struct cel_val b64_decode(struct cel_ctx *c, const struct cel_val *a) {
  size_t n = a->v.s.n, o = 0, bad = 0;
  unsigned char *d;

  if (cel_charge(c, n / 10) < 0)
    return cel_err(c, CP_CEL_COST_EXCEEDED);
  if ((d = cel_alloc(c, cp_base64_decoded_max(n))) == NULL)
    return cel_err(c, "out of memory");
  if (cp_base64_decode_to(CP_BASE64_STD, 0, d, a->v.s.p, n, &o, NULL) < 0 &&
      cp_base64_decode_to(CP_BASE64_RAW_STD, 0, d, a->v.s.p, n, &o,
                          &bad) < 0)
    return cel_err(c, "illegal base64 data at input byte %zu", bad);
  return cel_bytes((const char *)d, o);
}

/* ------------------------------------------------------------ dispatch */

struct cel_val cel_ext_call(struct cel_ctx *c, const char *name,
                            const struct cel_val *t, const struct cel_val *a,
                            size_t n, int *handled) {
  *handled = 1;
  if (t != NULL || !cel_ext_known(name, 0)) {
    *handled = 0;
    return cel_null();
  }
  if (strncmp(name, "sets.", 5) == 0)
    return sets(c, name, a, n);
  if (strcmp(name, "math.greatest") == 0 || strcmp(name, "math.least") == 0)
    return extreme(c, name, a, n);
  if (strncmp(name, "math.bit", 8) == 0)
    return bits(c, name, a, n);
  if (strncmp(name, "math.", 5) == 0)
    return n == 1 ? math1(c, name, &a[0]) : cel_no_overload(c, name);
  if (n != 1)
    return cel_no_overload(c, name);
  if (strcmp(name, "base64.encode") == 0)
    return a[0].k == K_BYTES ? b64_encode(c, &a[0])
                             : cel_no_overload(c, name);
  return a[0].k == K_STRING ? b64_decode(c, &a[0])
                            : cel_no_overload(c, name);
}
