/*
 * patch - see patch.h.
 *
 * Every format works the same way: parse the patch, check its depth once
 * (the appliers only recurse along the patch, so that bounds their stack),
 * deep-copy the document and change the copy in place. An error anywhere
 * just drops the copy, which is what makes a JSON patch atomic and keeps
 * the caller's document untouched.
 *
 * Strategic merge patch builds each patched list anew rather than editing
 * it: json-c 0.16 has no array insert, and a new array that takes
 * references to the kept elements is cheap. JSON patch inserts by shifting
 * (arr_insert) because it must edit the array its pointer names.
 */
#include "apiserver/patch.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include <cplane/version.h>

#include "apiserver/schema.h"
#include "object/double_int.h"
#include "object/json_strict.h"

#define MAX_DEPTH 64
/* json-c counts an object member's value as a level of its own, so the
 * tokener gets headroom and check_depth() enforces the documented limit
 * with a clear message. */
#define TOKENER_DEPTH (2 * MAX_DEPTH + 2)

#define SET_ORDER_PREFIX "$setElementOrder/"
#define DELETE_PRIMITIVE_PREFIX "$deleteFromPrimitiveList/"

/* Strategic merge patch merge keys by the list field's name: what is used
 * where no schema says (cp_patch_apply without one, or a list inside a
 * subtree the schema keeps as it is). kube-apiserver reads the keys from
 * the Go struct tags; the built-in schemas carry them as
 * x-kubernetes-patch-merge-key / -patch-strategy. */
static const struct {
  const char *field;
  const char *key;
} merge_keys[] = {
    {"containers", "name"},
    {"initContainers", "name"},
    {"ephemeralContainers", "name"},
    {"env", "name"},
    {"volumes", "name"},
    {"imagePullSecrets", "name"},
    {"volumeMounts", "mountPath"},
    {"ports", "containerPort"},
    {"ownerReferences", "uid"},
    {"conditions", "type"},
    {"hostAliases", "ip"},
    {"topologySpreadConstraints", "topologyKey"},
};

enum directive { D_NONE, D_MERGE, D_REPLACE, D_DELETE, D_BAD };

static int fail(char **msg, const char *fmt, ...) CPLANE_PRINTF(2, 3);

/* Only the first message is kept: it names the innermost problem, and the
 * callers above it just pass the status up. */
static int fail(char **msg, const char *fmt, ...) {
  va_list ap;
  int n;

  if (msg == NULL || *msg != NULL)
    return CPLANE_EINVAL;
  va_start(ap, fmt);
  n = vasprintf(msg, fmt, ap);
  va_end(ap);
  if (n >= 0)
    return CPLANE_EINVAL;
  *msg = NULL;
  return CPLANE_ENOMEM;
}

static int has_prefix(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- json-c helpers ---- */

/* NULL is JSON null in json-c, which json_object_deep_copy() refuses. */
static int copy_value(struct json_object *src, struct json_object **dst) {
  *dst = NULL;
  if (src == NULL)
    return CPLANE_OK;
  return json_object_deep_copy(src, dst, NULL) == 0 ? CPLANE_OK : CPLANE_ENOMEM;
}

/* Sets o[k] = v, taking v even on failure. */
static int obj_set(struct json_object *o, const char *k,
                   struct json_object *v) {
  if (json_object_object_add(o, k, v) == 0)
    return CPLANE_OK;
  json_object_put(v);
  return CPLANE_ENOMEM;
}

/* Appends v to a, taking v even on failure. */
static int arr_add(struct json_object *a, struct json_object *v) {
  if (json_object_array_add(a, v) == 0)
    return CPLANE_OK;
  json_object_put(v);
  return CPLANE_ENOMEM;
}

/* Inserts v (taken) at idx <= length by growing the array and shifting
 * the tail up one slot. Each shifted element is referenced before it is
 * stored, because storing releases the slot's previous occupant. */
static int arr_insert(struct json_object *a, size_t idx,
                      struct json_object *v) {
  size_t i = json_object_array_length(a);

  if (json_object_array_add(a, NULL) != 0) {
    json_object_put(v);
    return CPLANE_ENOMEM;
  }
  for (; i > idx; i--)
    json_object_array_put_idx(
        a, i, json_object_get(json_object_array_get_idx(a, i - 1)));
  json_object_array_put_idx(a, idx, v);
  return CPLANE_OK;
}

static void clear_object(struct json_object *o) {
  struct lh_entry *e;

  while ((e = json_object_get_object(o)->head) != NULL)
    json_object_object_del(o, (const char *)lh_entry_k(e));
}

/* ---- deep equality (RFC 6902 "test") ---- */

static int json_equal(struct json_object *a, struct json_object *b);

/* Integers above INT64_MAX are stored unsigned; get_int64() clamps them
 * to INT64_MAX, so only then do the unsigned values need comparing. */
static int ints_equal(struct json_object *a, struct json_object *b) {
  int64_t x = json_object_get_int64(a);

  if (x != json_object_get_int64(b))
    return 0;
  return x != INT64_MAX ||
         json_object_get_uint64(a) == json_object_get_uint64(b);
}

/* Whether integer i and double d are the same number, without converting
 * an out-of-range double to an integer (undefined behaviour). */
static int int_equals_double(struct json_object *i, double d) {
  int64_t x = json_object_get_int64(i), t;
  uint64_t u;

  if (x != INT64_MAX)
    return cp_double_int64(d, &t) && t == x && (double)t == d;
  u = json_object_get_uint64(i);
  return d >= 0 && d < 0x1p64 && (uint64_t)d == u && (double)(uint64_t)d == d;
}

static int is_number(enum json_type t) {
  return t == json_type_int || t == json_type_double;
}

/* RFC 6902 compares numbers by value, so 1 equals 1.0. */
static int numbers_equal(struct json_object *a, struct json_object *b) {
  int ia = json_object_is_type(a, json_type_int);
  int ib = json_object_is_type(b, json_type_int);

  if (ia && ib)
    return ints_equal(a, b);
  if (!ia && !ib)
    return json_object_get_double(a) == json_object_get_double(b);
  if (ia)
    return int_equals_double(a, json_object_get_double(b));
  return int_equals_double(b, json_object_get_double(a));
}

static int arrays_equal(struct json_object *a, struct json_object *b) {
  size_t i, n = json_object_array_length(a);

  if (n != json_object_array_length(b))
    return 0;
  for (i = 0; i < n; i++)
    if (!json_equal(json_object_array_get_idx(a, i),
                    json_object_array_get_idx(b, i)))
      return 0;
  return 1;
}

/* Member order does not matter; equal counts plus every member of a being
 * in b is enough because keys are unique. */
static int objects_equal(struct json_object *a, struct json_object *b) {
  struct json_object_iter it;
  struct json_object *v;

  if (json_object_object_length(a) != json_object_object_length(b))
    return 0;
  json_object_object_foreachC(a, it) {
    if (!json_object_object_get_ex(b, it.key, &v) || !json_equal(it.val, v))
      return 0;
  }
  return 1;
}

static int json_equal(struct json_object *a, struct json_object *b) {
  enum json_type ta = json_object_get_type(a);
  enum json_type tb = json_object_get_type(b);

  if (is_number(ta) && is_number(tb))
    return numbers_equal(a, b);
  if (ta != tb)
    return 0;
  switch (ta) {
  case json_type_null:
    return 1;
  case json_type_boolean:
    return !json_object_get_boolean(a) == !json_object_get_boolean(b);
  case json_type_string:
    return json_object_get_string_len(a) == json_object_get_string_len(b) &&
           memcmp(json_object_get_string(a), json_object_get_string(b),
                  (size_t)json_object_get_string_len(a)) == 0;
  case json_type_array:
    return arrays_equal(a, b);
  case json_type_object:
    return objects_equal(a, b);
  default:
    return 0;
  }
}

/* Whether list (an array) holds a value equal to v. */
static int list_contains(struct json_object *list, struct json_object *v) {
  size_t i, n = json_object_array_length(list);

  for (i = 0; i < n; i++)
    if (json_equal(json_object_array_get_idx(list, i), v))
      return 1;
  return 0;
}

/* ---- parsing ---- */

static int too_deep(char **msg) {
  return fail(msg, "patch nests deeper than %d levels", MAX_DEPTH);
}

/* Checked once up front so the appliers, which recurse along the patch,
 * need no depth bookkeeping of their own. The tokener already bounds this
 * recursion at TOKENER_DEPTH. */
static int check_depth(struct json_object *o, int level, char **msg) {
  struct json_object_iter it;
  size_t i, n;
  int rc;

  if (!json_object_is_type(o, json_type_object) &&
      !json_object_is_type(o, json_type_array))
    return CPLANE_OK;
  if (level > MAX_DEPTH)
    return too_deep(msg);
  if (json_object_is_type(o, json_type_array)) {
    n = json_object_array_length(o);
    for (i = 0; i < n; i++) {
      rc = check_depth(json_object_array_get_idx(o, i), level + 1, msg);
      if (rc != CPLANE_OK)
        return rc;
    }
    return CPLANE_OK;
  }
  json_object_object_foreachC(o, it) {
    rc = check_depth(it.val, level + 1, msg);
    if (rc != CPLANE_OK)
      return rc;
  }
  return CPLANE_OK;
}

/* Parses exactly len bytes as one JSON value. *out may be NULL on success:
 * that is the literal null, which the caller's shape check rejects. */
static int parse_patch(const char *text, size_t len, struct json_object **out,
                       char **msg) {
  const char *why = NULL;
  size_t at = 0;

  /* Strictly, as kube decodes a patch: NaN or a comment in a patch must
   * never reach the object it is applied to. Duplicate keys: the last
   * wins, as Go's map decoding does. */
  switch (cp_json_strict_parse(text, len, TOKENER_DEPTH, out, NULL, &why,
                               &at)) {
  case CP_JSON_STRICT_OK:
    return CPLANE_OK;
  case CP_JSON_STRICT_DEPTH:
    return too_deep(msg);
  case CP_JSON_STRICT_NOMEM:
    return CPLANE_ENOMEM;
  default:
    return fail(msg, "malformed patch: %s at byte %zu", why, at);
  }
}

/* ---- JSON merge patch (RFC 7386) ---- */

static int merge_object(struct json_object *t, struct json_object *p);

static int merge_member(struct json_object *t, const char *k,
                        struct json_object *pv) {
  struct json_object *tv = NULL, *nv = NULL;
  int rc;

  if (pv == NULL) {
    json_object_object_del(t, k);
    return CPLANE_OK;
  }
  if (!json_object_is_type(pv, json_type_object)) {
    rc = copy_value(pv, &nv);
    return rc != CPLANE_OK ? rc : obj_set(t, k, nv);
  }
  if (json_object_object_get_ex(t, k, &tv) &&
      json_object_is_type(tv, json_type_object))
    return merge_object(tv, pv);
  /* Merging onto a fresh object, not copying, drops the patch's nulls. */
  nv = json_object_new_object();
  if (nv == NULL)
    return CPLANE_ENOMEM;
  rc = merge_object(nv, pv);
  if (rc != CPLANE_OK) {
    json_object_put(nv);
    return rc;
  }
  return obj_set(t, k, nv);
}

static int merge_object(struct json_object *t, struct json_object *p) {
  struct json_object_iter it;
  int rc;

  json_object_object_foreachC(p, it) {
    rc = merge_member(t, it.key, it.val);
    if (rc != CPLANE_OK)
      return rc;
  }
  return CPLANE_OK;
}

/* ---- JSON patch (RFC 6902) ---- */

/* RFC 6901: "" or '/'-separated tokens where '~' only starts ~0 or ~1.
 * Validating up front lets the walkers assume well-formed pointers. */
static int ptr_valid(const char *p) {
  if (*p != '\0' && *p != '/')
    return 0;
  for (; *p != '\0'; p++)
    if (*p == '~' && p[1] != '0' && p[1] != '1')
      return 0;
  return 1;
}

/* Copies the token starting at *p (just after a '/') with its escapes
 * undone, and moves *p to the next '/' or the end. ~01 must decode to
 * "~1", so each escape is decoded once, left to right. */
static int ptr_token(const char **p, char **tok) {
  const char *s = *p, *end = strchr(s, '/');
  size_t n, i, j;
  char *t;

  if (end == NULL)
    end = s + strlen(s);
  n = (size_t)(end - s);
  t = malloc(n + 1);
  if (t == NULL)
    return CPLANE_ENOMEM;
  for (i = j = 0; i < n; i++) {
    if (s[i] == '~') {
      t[j++] = s[i + 1] == '0' ? '~' : '/';
      i++;
    } else {
      t[j++] = s[i];
    }
  }
  t[j] = '\0';
  *tok = t;
  *p = end;
  return CPLANE_OK;
}

/* Array index token: digits without leading zeros. */
static int array_index(const char *tok, size_t *idx) {
  size_t v = 0;

  if (*tok == '\0' || (tok[0] == '0' && tok[1] != '\0'))
    return -1;
  for (; *tok != '\0'; tok++) {
    if (*tok < '0' || *tok > '9' || v > (SIZE_MAX - (size_t)(*tok - '0')) / 10)
      return -1;
    v = v * 10 + (size_t)(*tok - '0');
  }
  *idx = v;
  return 0;
}

/* One step down: the member or element tok names in cur, if any. */
static int ptr_step(struct json_object *cur, const char *tok,
                    struct json_object **child) {
  size_t idx;

  if (json_object_is_type(cur, json_type_object))
    return json_object_object_get_ex(cur, tok, child) ? CPLANE_OK
                                                      : CPLANE_ENOENT;
  if (json_object_is_type(cur, json_type_array) &&
      array_index(tok, &idx) == 0 && idx < json_object_array_length(cur)) {
    *child = json_object_array_get_idx(cur, idx);
    return CPLANE_OK;
  }
  return CPLANE_ENOENT;
}

/* Walks a non-empty path to the value holding its last token, which is
 * returned decoded in *last (caller frees). */
static int ptr_parent(struct json_object *root, const char *path,
                      struct json_object **parent, char **last,
                      const char **why) {
  const char *p = path;
  struct json_object *cur = root;
  char *tok = NULL;
  int rc;

  for (;;) {
    p++; /* the '/' */
    rc = ptr_token(&p, &tok);
    if (rc != CPLANE_OK)
      return rc;
    if (*p == '\0')
      break;
    rc = ptr_step(cur, tok, &cur);
    free(tok);
    tok = NULL;
    if (rc != CPLANE_OK) {
      *why = "path not found";
      return CPLANE_EINVAL;
    }
  }
  *parent = cur;
  *last = tok;
  return CPLANE_OK;
}

/* The value path names (borrowed; NULL is JSON null). */
static int ptr_get(struct json_object *root, const char *path,
                   struct json_object **val, const char **why) {
  struct json_object *parent;
  char *last = NULL;
  int rc;

  if (*path == '\0') {
    *val = root;
    return CPLANE_OK;
  }
  rc = ptr_parent(root, path, &parent, &last, why);
  if (rc != CPLANE_OK)
    goto out;
  if (ptr_step(parent, last, val) != CPLANE_OK) {
    *why = "path not found";
    rc = CPLANE_EINVAL;
  }
out:
  free(last);
  return rc;
}

/* RFC 6902 4.1. Takes val in every case. */
static int op_add(struct json_object **root, const char *path,
                  struct json_object *val, const char **why) {
  struct json_object *parent;
  char *last = NULL;
  size_t idx, n;
  int rc;

  if (*path == '\0') {
    json_object_put(*root);
    *root = val;
    return CPLANE_OK;
  }
  rc = ptr_parent(*root, path, &parent, &last, why);
  if (rc != CPLANE_OK)
    goto out;
  if (json_object_is_type(parent, json_type_object)) {
    rc = obj_set(parent, last, val);
    val = NULL;
    goto out;
  }
  rc = CPLANE_EINVAL;
  if (!json_object_is_type(parent, json_type_array)) {
    *why = "path not found";
    goto out;
  }
  n = json_object_array_length(parent);
  if (strcmp(last, "-") == 0) {
    idx = n;
  } else if (array_index(last, &idx) != 0) {
    *why = "invalid array index";
    goto out;
  } else if (idx > n) {
    *why = "array index out of range";
    goto out;
  }
  rc = arr_insert(parent, idx, val);
  val = NULL;
out:
  json_object_put(val);
  free(last);
  return rc;
}

/* RFC 6902 4.2. When taken is not NULL it receives a reference to the
 * removed value (for move). */
static int op_remove(struct json_object **root, const char *path,
                     struct json_object **taken, const char **why) {
  struct json_object *parent = NULL, *v = NULL;
  char *last = NULL;
  size_t idx = 0;
  int rc;

  if (*path == '\0') {
    *why = "cannot remove the whole document";
    return CPLANE_EINVAL;
  }
  rc = ptr_parent(*root, path, &parent, &last, why);
  if (rc != CPLANE_OK)
    goto out;
  if (ptr_step(parent, last, &v) != CPLANE_OK) {
    *why = "path not found";
    rc = CPLANE_EINVAL;
    goto out;
  }
  if (taken != NULL)
    *taken = json_object_get(v);
  if (json_object_is_type(parent, json_type_object)) {
    json_object_object_del(parent, last);
  } else {
    array_index(last, &idx); /* ptr_step() accepted it */
    json_object_array_del_idx(parent, idx, 1);
  }
out:
  free(last);
  return rc;
}

/* RFC 6902 4.3. Replaces in place, so an object member keeps its position.
 * Takes val in every case. */
static int op_replace(struct json_object **root, const char *path,
                      struct json_object *val, const char **why) {
  struct json_object *parent = NULL, *old;
  char *last = NULL;
  size_t idx = 0;
  int rc;

  if (*path == '\0') {
    json_object_put(*root);
    *root = val;
    return CPLANE_OK;
  }
  rc = ptr_parent(*root, path, &parent, &last, why);
  if (rc != CPLANE_OK)
    goto out;
  if (ptr_step(parent, last, &old) != CPLANE_OK) {
    *why = "path not found";
    rc = CPLANE_EINVAL;
    goto out;
  }
  if (json_object_is_type(parent, json_type_object)) {
    rc = obj_set(parent, last, val);
  } else {
    array_index(last, &idx);
    json_object_array_put_idx(parent, idx, val);
  }
  val = NULL;
out:
  json_object_put(val);
  free(last);
  return rc;
}

/* RFC 6902 4.4. */
static int op_move(struct json_object **root, const char *from,
                   const char *path, const char **why) {
  struct json_object *v = NULL;
  size_t n = strlen(from);
  int rc;

  if (strcmp(from, path) == 0) {
    rc = ptr_get(*root, from, &v, why);
    if (rc == CPLANE_EINVAL)
      *why = "\"from\" path not found";
    return rc;
  }
  if (strncmp(path, from, n) == 0 && path[n] == '/') {
    *why = "cannot move a value into one of its children";
    return CPLANE_EINVAL;
  }
  rc = op_remove(root, from, &v, why);
  if (rc == CPLANE_EINVAL)
    *why = "\"from\" path not found";
  if (rc != CPLANE_OK)
    return rc;
  return op_add(root, path, v, why);
}

/* The length of v as compact JSON, counted only up to budget (the walk
 * stops as soon as it is over, so measuring a huge value costs little).
 * Strings count their bytes plus quotes (escapes not expanded: a lower
 * bound, as the limit only needs to stop doubling). */
static size_t json_size(struct json_object *v, size_t budget) {
  size_t n = 0, i, len;

  switch (json_object_get_type(v)) {
  case json_type_null: return 4;
  case json_type_boolean: return 5;
  case json_type_int:
  case json_type_double: return 8;
  case json_type_string:
    return (size_t)json_object_get_string_len(v) + 2;
  case json_type_array:
    len = json_object_array_length(v);
    n = 2 + (len > 0 ? len - 1 : 0);
    for (i = 0; i < len && n <= budget; i++)
      n += json_size(json_object_array_get_idx(v, i), budget - n);
    return n;
  case json_type_object:
    n = 2;
    json_object_object_foreach(v, k, m) {
      if (n > budget)
        break;
      n += strlen(k) + 4 + json_size(m, budget - n);
    }
    return n;
  }
  return n;
}

/* RFC 6902 4.5. *copied is what the patch's copies have added so far. */
static int op_copy(struct json_object **root, const char *from,
                   const char *path, size_t *copied, const char **why) {
  struct json_object *v, *c;
  size_t size;
  int rc;

  rc = ptr_get(*root, from, &v, why);
  if (rc == CPLANE_EINVAL)
    *why = "\"from\" path not found";
  if (rc != CPLANE_OK)
    return rc;
  size = json_size(v, CP_PATCH_COPY_LIMIT - *copied + 1);
  if (size > CP_PATCH_COPY_LIMIT - *copied) {
    static __thread char msg[160];

    snprintf(msg, sizeof msg, "Unable to complete the copy, the "
             "accumulated size increase of copy is %zu, exceeding the "
             "limit %d", *copied + size, CP_PATCH_COPY_LIMIT);
    *why = msg;
    return CPLANE_ERANGE;
  }
  *copied += size;
  rc = copy_value(v, &c);
  if (rc != CPLANE_OK)
    return rc;
  return op_add(root, path, c, why);
}

/* RFC 6902 4.6. */
static int op_test(struct json_object *root, const char *path,
                   struct json_object *want, const char **why) {
  struct json_object *v;
  int rc;

  rc = ptr_get(root, path, &v, why);
  if (rc != CPLANE_OK)
    return rc;
  if (json_equal(v, want))
    return CPLANE_OK;
  *why = "test failed: value differs";
  return CPLANE_EINVAL;
}

/* Reads member k of op as a string, or NULL. */
static const char *op_string(struct json_object *op, const char *k) {
  struct json_object *v;

  if (!json_object_object_get_ex(op, k, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static int apply_op(struct json_object **root, struct json_object *op, size_t i,
                    size_t *copied, char **msg) {
  struct json_object *value = NULL, *v;
  const char *name, *path, *from = NULL, *why = "invalid operation";
  int has_value, needs_from, rc = CPLANE_EINVAL;

  if (!json_object_is_type(op, json_type_object))
    return fail(msg, "json patch operation %zu: not an object", i);
  name = op_string(op, "op");
  if (name == NULL)
    return fail(msg, "json patch operation %zu: missing \"op\"", i);
  path = op_string(op, "path");
  if (path == NULL)
    return fail(msg, "json patch operation %zu (%s): missing \"path\"", i,
                name);
  has_value = json_object_object_get_ex(op, "value", &value);
  needs_from = strcmp(name, "move") == 0 || strcmp(name, "copy") == 0;
  if (needs_from)
    from = op_string(op, "from");
  if (!ptr_valid(path)) {
    why = "invalid JSON pointer in \"path\"";
  } else if (needs_from && from == NULL) {
    why = "missing \"from\"";
  } else if (needs_from && !ptr_valid(from)) {
    why = "invalid JSON pointer in \"from\"";
  } else if (!has_value &&
             (strcmp(name, "add") == 0 || strcmp(name, "replace") == 0 ||
              strcmp(name, "test") == 0)) {
    why = "missing \"value\"";
  } else if (strcmp(name, "add") == 0 || strcmp(name, "replace") == 0) {
    rc = copy_value(value, &v);
    if (rc == CPLANE_OK)
      rc = name[0] == 'a' ? op_add(root, path, v, &why)
                          : op_replace(root, path, v, &why);
  } else if (strcmp(name, "remove") == 0) {
    rc = op_remove(root, path, NULL, &why);
  } else if (strcmp(name, "move") == 0) {
    rc = op_move(root, from, path, &why);
  } else if (strcmp(name, "copy") == 0) {
    rc = op_copy(root, from, path, copied, &why);
  } else if (strcmp(name, "test") == 0) {
    rc = op_test(*root, path, value, &why);
  } else {
    why = "unknown operation";
  }
  if (rc == CPLANE_ERANGE) {
    fail(msg, "%s", why);
    return CPLANE_ERANGE;
  }
  if (rc == CPLANE_EINVAL)
    rc = fail(msg, "json patch operation %zu (%s %s): %s", i, name, path, why);
  return rc;
}

static int json_patch(struct json_object **root, struct json_object *ops,
                      char **msg) {
  size_t i, n = json_object_array_length(ops), copied = 0;
  int rc;

  for (i = 0; i < n; i++) {
    rc = apply_op(root, json_object_array_get_idx(ops, i), i, &copied, msg);
    if (rc != CPLANE_OK)
      return rc;
  }
  return CPLANE_OK;
}

/* ---- strategic merge patch ---- */

static const char *merge_key_of(const char *field) {
  size_t i;

  if (field == NULL)
    return NULL;
  for (i = 0; i < sizeof merge_keys / sizeof merge_keys[0]; i++)
    if (strcmp(merge_keys[i].field, field) == 0)
      return merge_keys[i].key;
  return NULL;
}

/* Primitive lists with the merge strategy: only metadata.finalizers. */
static int is_set_list(const char *field, const char *parent) {
  return field != NULL && parent != NULL && strcmp(field, "finalizers") == 0 &&
         strcmp(parent, "metadata") == 0;
}

/* How list `field` (schema ls, NULL when unknown) merges: *mk its merge
 * key, *set 1 for a list of primitives merged as a set; neither means the
 * patch's list replaces the original. The schema decides when it knows
 * the list; the table by name otherwise. */
static void list_strategy(const struct cp_schema *ls, const char *field,
                          const char *parent, const char **mk, int *set) {
  const char *strategy;

  if (ls == NULL) {
    *mk = merge_key_of(field);
    *set = is_set_list(field, parent);
    return;
  }
  strategy = cp_schema_patch_strategy(ls);
  *mk = NULL;
  *set = 0;
  if (strategy == NULL || strstr(strategy, "merge") == NULL)
    return;
  *mk = cp_schema_patch_merge_key(ls);
  *set = *mk == NULL;
}

static int is_directive(const char *k) {
  return strcmp(k, "$patch") == 0 || strcmp(k, "$retainKeys") == 0 ||
         has_prefix(k, SET_ORDER_PREFIX) ||
         has_prefix(k, DELETE_PRIMITIVE_PREFIX);
}

static const char *where(const char *name) {
  return name != NULL ? name : "<root>";
}

static enum directive directive_of(struct json_object *o) {
  struct json_object *v;
  const char *s;

  if (!json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, "$patch", &v))
    return D_NONE;
  if (!json_object_is_type(v, json_type_string))
    return D_BAD;
  s = json_object_get_string(v);
  if (strcmp(s, "merge") == 0)
    return D_MERGE;
  if (strcmp(s, "replace") == 0)
    return D_REPLACE;
  if (strcmp(s, "delete") == 0)
    return D_DELETE;
  return D_BAD;
}

/* directive_of(o), failing with a message for a bad value. */
static int get_directive(struct json_object *o, const char *name,
                         enum directive *d, char **msg) {
  struct json_object *v = NULL;
  const char *text;

  *d = directive_of(o);
  if (*d != D_BAD)
    return CPLANE_OK;
  json_object_object_get_ex(o, "$patch", &v);
  text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
  if (text == NULL)
    return CPLANE_ENOMEM;
  return fail(msg, "strategic merge patch: unknown $patch value %s in \"%s\"",
              text, where(name));
}

static int smp_object(struct json_object *t, struct json_object *p,
                      const char *name, const struct cp_schema *s,
                      char **msg);
static int smp_list(struct json_object *orig, struct json_object *p,
                    const char *field, const char *parent,
                    const struct cp_schema *ls, struct json_object **out,
                    char **msg);

/* Builds a value from patch value p alone. Objects are merged onto an
 * empty object and lists onto an empty list rather than copied, so their
 * nulls and directives never reach the result. */
static int smp_new(struct json_object *p, const char *name, const char *parent,
                   const struct cp_schema *s, struct json_object **out,
                   char **msg) {
  struct json_object *o;
  int rc;

  *out = NULL;
  if (json_object_is_type(p, json_type_array))
    return smp_list(NULL, p, name, parent, s, out, msg);
  if (!json_object_is_type(p, json_type_object))
    return copy_value(p, out);
  o = json_object_new_object();
  if (o == NULL)
    return CPLANE_ENOMEM;
  rc = smp_object(o, p, name, s, msg);
  if (rc != CPLANE_OK) {
    json_object_put(o);
    return rc;
  }
  *out = o;
  return CPLANE_OK;
}

/* Appends a list element built from patch element e. A nested list has no
 * field name of its own, so it gets no merge key. */
static int append_new(struct json_object *res, struct json_object *e,
                      const char *field, const struct cp_schema *es,
                      char **msg) {
  struct json_object *v;
  int nested = json_object_is_type(e, json_type_array);
  int rc;

  rc = smp_new(e, nested ? NULL : field, NULL, es, &v, msg);
  return rc != CPLANE_OK ? rc : arr_add(res, v);
}

/* Validates the list's special elements and reports whether one asks for
 * the whole list to be replaced. */
static int scan_list(struct json_object *p, const char *field, const char *mk,
                     int *replace, char **msg) {
  size_t i, n = json_object_array_length(p);
  struct json_object *e;
  enum directive d;
  int rc;

  *replace = 0;
  for (i = 0; i < n; i++) {
    e = json_object_array_get_idx(p, i);
    rc = get_directive(e, field, &d, msg);
    if (rc != CPLANE_OK)
      return rc;
    if (d == D_REPLACE)
      *replace = 1;
    if (d != D_DELETE)
      continue;
    if (mk == NULL)
      return fail(msg,
                  "strategic merge patch: $patch delete in list \"%s\", "
                  "which has no merge key",
                  where(field));
    if (!json_object_object_get_ex(e, mk, NULL))
      return fail(msg,
                  "strategic merge patch: $patch delete in list \"%s\" "
                  "lacks merge key \"%s\"",
                  where(field), mk);
  }
  return CPLANE_OK;
}

/* Whether a `$patch: delete` element of p names original element oe. */
static int deleted_by(struct json_object *oe, struct json_object *p,
                      const char *mk) {
  size_t i, n = json_object_array_length(p);
  struct json_object *e, *ev, *kv;

  if (!json_object_object_get_ex(oe, mk, &ev))
    return 0;
  for (i = 0; i < n; i++) {
    e = json_object_array_get_idx(p, i);
    if (directive_of(e) == D_DELETE && json_object_object_get_ex(e, mk, &kv) &&
        json_equal(kv, ev))
      return 1;
  }
  return 0;
}

/* Merges patch element e into the element of res with the same merge key,
 * or appends it when there is none. */
static int merge_element(struct json_object *res, struct json_object *e,
                         const char *mk, const char *field,
                         const struct cp_schema *es, char **msg) {
  size_t i, n = json_object_array_length(res);
  struct json_object *kv, *cur, *cv;

  if (!json_object_is_type(e, json_type_object) ||
      !json_object_object_get_ex(e, mk, &kv))
    return fail(msg,
                "strategic merge patch: an element of list \"%s\" lacks "
                "merge key \"%s\"",
                where(field), mk);
  for (i = 0; i < n; i++) {
    cur = json_object_array_get_idx(res, i);
    if (json_object_object_get_ex(cur, mk, &cv) && json_equal(cv, kv))
      return smp_object(cur, e, field, es, msg);
  }
  return append_new(res, e, field, es, msg);
}

/* Merges list patch p onto orig (any value, or absent) into a new list.
 * Kept original elements are shared with orig, which the caller drops. */
static int smp_list(struct json_object *orig, struct json_object *p,
                    const char *field, const char *parent,
                    const struct cp_schema *ls, struct json_object **out,
                    char **msg) {
  const struct cp_schema *es = cp_schema_items(ls);
  const char *mk;
  size_t i, n = json_object_array_length(p);
  struct json_object *res = NULL, *e;
  enum directive d;
  int set, merge, replace, rc;

  *out = NULL;
  list_strategy(ls, field, parent, &mk, &set);
  merge = mk != NULL || set;
  rc = scan_list(p, field, mk, &replace, msg);
  if (rc != CPLANE_OK)
    goto out;
  merge = merge && !replace;
  rc = CPLANE_ENOMEM;
  res = json_object_new_array();
  if (res == NULL)
    goto out;
  rc = CPLANE_OK;
  if (merge && json_object_is_type(orig, json_type_array)) {
    for (i = 0; rc == CPLANE_OK && i < json_object_array_length(orig); i++) {
      e = json_object_array_get_idx(orig, i);
      if (mk == NULL || !deleted_by(e, p, mk))
        rc = arr_add(res, json_object_get(e));
    }
  }
  for (i = 0; rc == CPLANE_OK && i < n; i++) {
    e = json_object_array_get_idx(p, i);
    d = directive_of(e);
    if (d == D_REPLACE || d == D_DELETE)
      continue;
    if (merge && mk != NULL)
      rc = merge_element(res, e, mk, field, es, msg);
    else if (!merge || !list_contains(res, e))
      rc = append_new(res, e, field, es, msg);
  }
  if (rc != CPLANE_OK)
    goto out;
  *out = res;
  res = NULL;
out:
  json_object_put(res);
  return rc;
}

/* s is the schema of the object t (NULL: unknown). */
static int smp_member(struct json_object *t, const char *k,
                      struct json_object *pv, const char *name,
                      const struct cp_schema *s, char **msg) {
  const struct cp_schema *ks = cp_schema_property(s, k);
  struct json_object *tv = NULL, *nv = NULL;
  enum directive d;
  int rc;

  if (pv == NULL) {
    json_object_object_del(t, k);
    return CPLANE_OK;
  }
  json_object_object_get_ex(t, k, &tv);
  if (json_object_is_type(pv, json_type_array)) {
    rc = smp_list(tv, pv, k, name, ks, &nv, msg);
    return rc != CPLANE_OK ? rc : obj_set(t, k, nv);
  }
  if (!json_object_is_type(pv, json_type_object)) {
    rc = copy_value(pv, &nv);
    return rc != CPLANE_OK ? rc : obj_set(t, k, nv);
  }
  rc = get_directive(pv, k, &d, msg);
  if (rc != CPLANE_OK)
    return rc;
  if (d == D_DELETE) {
    json_object_object_del(t, k);
    return CPLANE_OK;
  }
  if (json_object_is_type(tv, json_type_object))
    return smp_object(tv, pv, k, ks, msg);
  rc = smp_new(pv, k, name, ks, &nv, msg);
  return rc != CPLANE_OK ? rc : obj_set(t, k, nv);
}

/* $deleteFromPrimitiveList/<field>: drops the listed values. */
static int delete_from_list(struct json_object *t, const char *field,
                            struct json_object *values, char **msg) {
  struct json_object *list;
  size_t i;

  if (!json_object_is_type(values, json_type_array))
    return fail(msg, "strategic merge patch: %s%s is not a list",
                DELETE_PRIMITIVE_PREFIX, field);
  if (!json_object_object_get_ex(t, field, &list) ||
      !json_object_is_type(list, json_type_array))
    return CPLANE_OK;
  for (i = json_object_array_length(list); i-- > 0;)
    if (list_contains(values, json_object_array_get_idx(list, i)))
      json_object_array_del_idx(list, i, 1);
  return CPLANE_OK;
}

/* Whether $setElementOrder entry `want` names list element e: by merge key
 * when the list has one, by value otherwise. */
static int order_matches(struct json_object *want, struct json_object *e,
                         const char *mk) {
  struct json_object *wv, *ev;

  if (mk != NULL && json_object_object_get_ex(want, mk, &wv))
    return json_object_object_get_ex(e, mk, &ev) && json_equal(wv, ev);
  return json_equal(want, e);
}

/* $setElementOrder/<field>: the named elements first, in the given order,
 * then the rest in their current order. */
static int set_order(struct json_object *t, const char *field,
                     const char *parent, const struct cp_schema *s,
                     struct json_object *order, char **msg) {
  const char *mk;
  int set;
  struct json_object *list, *res = NULL, *e;
  unsigned char *used = NULL;
  size_t i, j, n, m;
  int rc = CPLANE_OK;

  list_strategy(cp_schema_property(s, field), field, parent, &mk, &set);
  (void)set; /* a set's entries are ordered by value, as any other */
  if (!json_object_is_type(order, json_type_array))
    return fail(msg, "strategic merge patch: %s%s is not a list",
                SET_ORDER_PREFIX, field);
  if (!json_object_object_get_ex(t, field, &list) ||
      !json_object_is_type(list, json_type_array))
    return CPLANE_OK;
  n = json_object_array_length(list);
  m = json_object_array_length(order);
  used = calloc(n + 1, 1);
  res = json_object_new_array();
  if (used == NULL || res == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  for (i = 0; rc == CPLANE_OK && i < m; i++) {
    for (j = 0; j < n; j++) {
      e = json_object_array_get_idx(list, j);
      if (!used[j] &&
          order_matches(json_object_array_get_idx(order, i), e, mk)) {
        used[j] = 1;
        rc = arr_add(res, json_object_get(e));
        break;
      }
    }
  }
  for (j = 0; rc == CPLANE_OK && j < n; j++)
    if (!used[j])
      rc = arr_add(res, json_object_get(json_object_array_get_idx(list, j)));
  if (rc != CPLANE_OK)
    goto out;
  rc = obj_set(t, field, res);
  res = NULL;
out:
  json_object_put(res);
  free(used);
  return rc;
}

/* $retainKeys: drops every member of t that the list does not name. */
static int retain_keys(struct json_object *t, struct json_object *keys,
                       const char *name, char **msg) {
  struct lh_entry *e, *next;
  const char *k;
  size_t i, n;
  int keep;

  if (!json_object_is_type(keys, json_type_array))
    return fail(msg,
                "strategic merge patch: $retainKeys in \"%s\" is not "
                "a list",
                where(name));
  n = json_object_array_length(keys);
  for (i = 0; i < n; i++)
    if (!json_object_is_type(json_object_array_get_idx(keys, i),
                             json_type_string))
      return fail(msg,
                  "strategic merge patch: $retainKeys in \"%s\" holds "
                  "a non-string",
                  where(name));
  for (e = json_object_get_object(t)->head; e != NULL; e = next) {
    next = e->next;
    k = (const char *)lh_entry_k(e);
    keep = 0;
    for (i = 0; !keep && i < n; i++)
      keep = strcmp(json_object_get_string(json_object_array_get_idx(keys, i)),
                    k) == 0;
    if (!keep)
      json_object_object_del(t, k);
  }
  return CPLANE_OK;
}

/* Merges object patch p into t in place. Deletions from primitive lists
 * run before the members merge so a patch can remove one finalizer and add
 * another; ordering and $retainKeys run after, on the merged result. */
static int smp_object(struct json_object *t, struct json_object *p,
                      const char *name, const struct cp_schema *s,
                      char **msg) {
  struct json_object_iter it;
  struct json_object *keys;
  enum directive d;
  int rc;

  rc = get_directive(p, name, &d, msg);
  if (rc != CPLANE_OK)
    return rc;
  if (d == D_REPLACE || d == D_DELETE)
    clear_object(t);
  if (d == D_DELETE)
    return CPLANE_OK;
  json_object_object_foreachC(p, it) {
    if (!has_prefix(it.key, DELETE_PRIMITIVE_PREFIX))
      continue;
    rc = delete_from_list(t, it.key + strlen(DELETE_PRIMITIVE_PREFIX), it.val,
                          msg);
    if (rc != CPLANE_OK)
      return rc;
  }
  json_object_object_foreachC(p, it) {
    if (is_directive(it.key))
      continue;
    rc = smp_member(t, it.key, it.val, name, s, msg);
    if (rc != CPLANE_OK)
      return rc;
  }
  json_object_object_foreachC(p, it) {
    if (!has_prefix(it.key, SET_ORDER_PREFIX))
      continue;
    rc = set_order(t, it.key + strlen(SET_ORDER_PREFIX), name, s, it.val,
                   msg);
    if (rc != CPLANE_OK)
      return rc;
  }
  if (json_object_object_get_ex(p, "$retainKeys", &keys))
    return retain_keys(t, keys, name, msg);
  return CPLANE_OK;
}

/* ---- public ---- */

static int check_shape(enum cp_patch_type type, struct json_object *p,
                       char **msg) {
  switch (type) {
  case CP_PATCH_MERGE:
    if (!json_object_is_type(p, json_type_object))
      return fail(msg, "merge patch must be a JSON object");
    return CPLANE_OK;
  case CP_PATCH_STRATEGIC:
    if (!json_object_is_type(p, json_type_object))
      return fail(msg, "strategic merge patch must be a JSON object");
    return CPLANE_OK;
  case CP_PATCH_JSON:
    if (!json_object_is_type(p, json_type_array))
      return fail(msg, "json patch must be a JSON array");
    return CPLANE_OK;
  }
  return fail(msg, "unknown patch type %d", (int)type);
}

int cp_patch_apply(enum cp_patch_type type, struct json_object *doc,
                   const char *patch, size_t len, struct json_object **out,
                   char **errmsg) {
  return cp_patch_apply_schema(type, doc, patch, len, NULL, out, errmsg);
}

int cp_patch_apply_schema(enum cp_patch_type type, struct json_object *doc,
                          const char *patch, size_t len,
                          const struct cp_schema *schema,
                          struct json_object **out, char **errmsg) {
  struct json_object *p = NULL, *res = NULL;
  int rc;

  if (errmsg != NULL)
    *errmsg = NULL;
  if (out == NULL)
    return fail(errmsg, "no place for the result");
  *out = NULL;
  if (patch == NULL && len > 0)
    return fail(errmsg, "no patch text");
  rc = parse_patch(patch, len, &p, errmsg);
  if (rc == CPLANE_OK)
    rc = check_shape(type, p, errmsg);
  if (rc == CPLANE_OK)
    rc = check_depth(p, 1, errmsg);
  if (rc == CPLANE_OK && type == CP_PATCH_JSON &&
      json_object_array_length(p) > CP_PATCH_MAX_OPS) {
    fail(errmsg, "The allowed maximum operations in a JSON patch is %d, "
         "got %zu", CP_PATCH_MAX_OPS, json_object_array_length(p));
    rc = CP_PATCH_ETOOMANY;
  }
  if (rc == CPLANE_OK)
    rc = copy_value(doc, &res);
  if (rc != CPLANE_OK)
    goto out;
  /* Both merge formats patch an object; RFC 7386 starts over from {} when
   * the target is anything else. */
  if (type != CP_PATCH_JSON && !json_object_is_type(res, json_type_object)) {
    json_object_put(res);
    res = json_object_new_object();
    if (res == NULL) {
      rc = CPLANE_ENOMEM;
      goto out;
    }
  }
  if (type == CP_PATCH_MERGE)
    rc = merge_object(res, p);
  else if (type == CP_PATCH_STRATEGIC)
    rc = smp_object(res, p, NULL, schema, errmsg);
  else
    rc = json_patch(&res, p, errmsg);
out:
  json_object_put(p);
  if (rc != CPLANE_OK) {
    json_object_put(res);
    res = NULL;
    if (rc == CPLANE_ENOMEM && errmsg != NULL) {
      free(*errmsg);
      *errmsg = NULL;
    }
  }
  *out = res;
  return rc;
}

int cp_patch_type_from_content_type(const char *content_type,
                                    enum cp_patch_type *type) {
  static const struct {
    const char *name;
    enum cp_patch_type type;
  } types[] = {
      {"application/merge-patch+json", CP_PATCH_MERGE},
      {"application/json-patch+json", CP_PATCH_JSON},
      {"application/strategic-merge-patch+json", CP_PATCH_STRATEGIC},
  };
  const char *s = content_type, *end;
  size_t i, n;

  if (s == NULL || type == NULL)
    return -1;
  while (*s == ' ' || *s == '\t')
    s++;
  end = strchr(s, ';');
  if (end == NULL)
    end = s + strlen(s);
  while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
    end--;
  n = (size_t)(end - s);
  for (i = 0; i < sizeof types / sizeof types[0]; i++) {
    if (strlen(types[i].name) == n && strncasecmp(s, types[i].name, n) == 0) {
      *type = types[i].type;
      return 0;
    }
  }
  return -1;
}
