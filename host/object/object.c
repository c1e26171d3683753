/*
 * object - see object.h.
 *
 * Layout of one snapshot (a single malloc):
 *
 *   struct cplane_object | node[n_nodes] | string pool
 *
 * Nodes are in document order. A container's children follow it, and its
 * `end` is the index one past its subtree, so a sibling walk skips whole
 * subtrees without recursion. Strings (values and member names) are
 * decoded once into the pool, NUL-terminated, and referred to by offset.
 *
 * Parsing writes into a scratch buffer sized for the worst case (a value
 * takes at least two bytes of text per node, and decoding never lengthens
 * a string), then copies the exact result into the snapshot. A json-c
 * tree is walked into the same scratch layout (cp_object_from_json_c),
 * sized exactly by a first walk.
 */
#include "object/object.h"

#include "object/double_int.h"
#include "object/json_buf.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

struct node {
  uint32_t key;  /* pool offset of the member name, NONE if not a member */
  uint32_t tag;  /* type in the low 3 bits; containers: count << 3 */
  union {
    int64_t i;   /* int, bool */
    double d;    /* double */
    struct {
      uint32_t off, len; /* string: pool offset and decoded length */
    } s;
    uint32_t end; /* container: one past the subtree */
  } v;
};

struct cplane_object {
  atomic_int refs;
  uint32_t n_nodes;
  uint32_t pool_len;
  uint32_t key;         /* pool offset of "ns/name", NONE without a name */
  uint32_t metadata;    /* node of metadata, NONE */
  uint32_t labels;      /* node of metadata.labels, NONE */
  uint32_t annotations; /* node of metadata.annotations, NONE */
  struct node nodes[];  /* then the pool */
};

static inline int node_type(const struct node *n) { return (int)(n->tag & 7); }
static inline uint32_t node_count(const struct node *n) { return n->tag >> 3; }

static inline const char *pool_of(const cplane_object *o) {
  return (const char *)(o->nodes + o->n_nodes);
}

/* Index of the node after the subtree rooted at i. */
static inline uint32_t skip(const cplane_object *o, uint32_t i) {
  const struct node *n = &o->nodes[i];
  int t = node_type(n);

  return t == CPLANE_TYPE_ARRAY || t == CPLANE_TYPE_OBJECT ? n->v.end : i + 1;
}

/* ---------------------------------------------------------------- parse */

struct parser {
  const char *p, *start, *end;
  struct node *nodes;
  uint32_t n_nodes, max_nodes;
  char *pool;
  uint32_t pool_len, pool_cap;
  char *err;
  int nomem;
};

static int fail(struct parser *ps, const char *what) {
  if (ps->err == NULL) {
    size_t off = (size_t)(ps->p - ps->start);

    if (ps->p >= ps->end) {
      if (asprintf(&ps->err, "invalid JSON at byte %zu: %s (unexpected end "
                             "of input)", off, what) < 0)
        ps->err = NULL;
    } else if (asprintf(&ps->err, "invalid JSON at byte %zu: %s", off,
                        what) < 0) {
      ps->err = NULL;
    }
  }
  return -1;
}

static void skip_ws(struct parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' ||
                             *ps->p == '\r' || *ps->p == '\t'))
    ps->p++;
}

static struct node *new_node(struct parser *ps, int type, uint32_t key) {
  struct node *n;

  /* max_nodes is a bound (parse_document); refusing past it keeps a
   * mistake in that proof from writing past the scratch buffer. */
  if (ps->n_nodes >= ps->max_nodes) {
    fail(ps, "too many values");
    return NULL;
  }
  n = &ps->nodes[ps->n_nodes++];
  n->key = key;
  n->tag = (uint32_t)type;
  n->v.i = 0;
  return n;
}

static void put_utf8(struct parser *ps, uint32_t cp) {
  char *o = ps->pool + ps->pool_len;

  if (cp < 0x80) {
    o[0] = (char)cp;
    ps->pool_len += 1;
  } else if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    ps->pool_len += 2;
  } else if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    ps->pool_len += 3;
  } else {
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    ps->pool_len += 4;
  }
}

static int hex4(struct parser *ps, uint32_t *out) {
  uint32_t v = 0;
  int i;

  if (ps->end - ps->p < 4)
    return fail(ps, "truncated \\u escape");
  for (i = 0; i < 4; i++) {
    char c = ps->p[i];

    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (uint32_t)(c - 'A' + 10);
    else
      return fail(ps, "bad hex digit in \\u escape");
  }
  ps->p += 4;
  *out = v;
  return 0;
}

static int parse_escape(struct parser *ps) {
  char c = *ps->p++;
  uint32_t cp, lo;

  switch (c) {
  case '"': case '\\': case '/':
    ps->pool[ps->pool_len++] = c;
    return 0;
  case 'b': ps->pool[ps->pool_len++] = '\b'; return 0;
  case 'f': ps->pool[ps->pool_len++] = '\f'; return 0;
  case 'n': ps->pool[ps->pool_len++] = '\n'; return 0;
  case 'r': ps->pool[ps->pool_len++] = '\r'; return 0;
  case 't': ps->pool[ps->pool_len++] = '\t'; return 0;
  case 'u':
    break;
  default:
    ps->p--;
    return fail(ps, "bad escape in string");
  }
  if (hex4(ps, &cp) < 0)
    return -1;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u')
      return fail(ps, "unpaired UTF-16 surrogate");
    ps->p += 2;
    if (hex4(ps, &lo) < 0)
      return -1;
    if (lo < 0xDC00 || lo > 0xDFFF)
      return fail(ps, "unpaired UTF-16 surrogate");
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
  } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
    return fail(ps, "unpaired UTF-16 surrogate");
  }
  put_utf8(ps, cp);
  return 0;
}

/* Decodes the string at ps->p (at its opening quote) into the pool.
 * Returns its pool offset and sets *len, or NONE on error. */
static uint32_t parse_string(struct parser *ps, uint32_t *len) {
  uint32_t off = ps->pool_len;

  ps->p++; /* opening quote */
  for (;;) {
    const char *run = ps->p;

    /* Copy runs of plain bytes at once. */
    while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
           (unsigned char)*ps->p >= 0x20)
      ps->p++;
    memcpy(ps->pool + ps->pool_len, run, (size_t)(ps->p - run));
    ps->pool_len += (uint32_t)(ps->p - run);
    if (ps->p >= ps->end) {
      fail(ps, "unterminated string");
      return NONE;
    }
    if (*ps->p == '"')
      break;
    if (*ps->p != '\\') {
      fail(ps, "control character in string");
      return NONE;
    }
    ps->p++;
    if (ps->p >= ps->end) {
      fail(ps, "unterminated string");
      return NONE;
    }
    if (parse_escape(ps) < 0)
      return NONE;
  }
  ps->p++; /* closing quote */
  *len = ps->pool_len - off;
  ps->pool[ps->pool_len++] = '\0';
  return off;
}

static int parse_number(struct parser *ps, uint32_t key) {
  const char *s = ps->p;
  int is_int = 1;
  struct node *n;
  char buf[64];
  size_t len;

  if (ps->p < ps->end && *ps->p == '-')
    ps->p++;
  if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
    return fail(ps, "bad number");
  if (*ps->p == '0')
    ps->p++;
  else
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
      ps->p++;
  if (ps->p < ps->end && *ps->p == '.') {
    is_int = 0;
    ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
      return fail(ps, "bad number: digit expected after '.'");
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
      ps->p++;
  }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
    is_int = 0;
    ps->p++;
    if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
      ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
      return fail(ps, "bad number: digit expected in exponent");
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
      ps->p++;
  }
  len = (size_t)(ps->p - s);
  if (len >= sizeof buf)
    return fail(ps, "number too long");
  memcpy(buf, s, len);
  buf[len] = '\0';
  if ((n = new_node(ps, CPLANE_TYPE_INT, key)) == NULL)
    return -1;
  if (is_int) {
    char *endp;
    long long v;

    errno = 0;
    v = strtoll(buf, &endp, 10);
    if (errno == 0) {
      n->v.i = v;
      return 0;
    }
  }
  n->tag = CPLANE_TYPE_DOUBLE;
  n->v.d = strtod(buf, NULL);
  return 0;
}

static int parse_value(struct parser *ps, uint32_t key, int depth);

static int parse_container(struct parser *ps, uint32_t key, int depth,
                           int is_object) {
  uint32_t idx = ps->n_nodes, count = 0;
  char close = is_object ? '}' : ']';

  if (depth >= CP_OBJECT_MAX_DEPTH)
    return fail(ps, "nesting deeper than 64 levels");
  if (new_node(ps, is_object ? CPLANE_TYPE_OBJECT : CPLANE_TYPE_ARRAY,
               key) == NULL)
    return -1;
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == close) {
    ps->p++;
    goto done;
  }
  for (;;) {
    uint32_t mkey = NONE, klen;

    skip_ws(ps);
    if (is_object) {
      if (ps->p >= ps->end || *ps->p != '"')
        return fail(ps, "member name (a string) expected");
      if ((mkey = parse_string(ps, &klen)) == NONE)
        return -1;
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':')
        return fail(ps, "':' expected after member name");
      ps->p++;
    }
    if (parse_value(ps, mkey, depth + 1) < 0)
      return -1;
    count++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == close) {
      ps->p++;
      break;
    }
    return fail(ps, is_object ? "',' or '}' expected" : "',' or ']' expected");
  }
done:
  if (count > (UINT32_MAX >> 3))
    return fail(ps, "too many members");
  ps->nodes[idx].tag |= count << 3;
  ps->nodes[idx].v.end = ps->n_nodes;
  return 0;
}

static int literal(struct parser *ps, const char *word, size_t len) {
  if ((size_t)(ps->end - ps->p) < len || memcmp(ps->p, word, len) != 0)
    return fail(ps, "unexpected character");
  ps->p += len;
  return 0;
}

static int parse_value(struct parser *ps, uint32_t key, int depth) {
  struct node *n;
  uint32_t off, len;

  skip_ws(ps);
  if (ps->p >= ps->end)
    return fail(ps, "value expected");
  switch (*ps->p) {
  case '{':
    return parse_container(ps, key, depth, 1);
  case '[':
    return parse_container(ps, key, depth, 0);
  case '"':
    if ((off = parse_string(ps, &len)) == NONE)
      return -1;
    if ((n = new_node(ps, CPLANE_TYPE_STRING, key)) == NULL)
      return -1;
    n->v.s.off = off;
    n->v.s.len = len;
    return 0;
  case 't':
    if (literal(ps, "true", 4) < 0)
      return -1;
    if ((n = new_node(ps, CPLANE_TYPE_BOOL, key)) == NULL)
      return -1;
    n->v.i = 1;
    return 0;
  case 'f':
    if (literal(ps, "false", 5) < 0)
      return -1;
    return new_node(ps, CPLANE_TYPE_BOOL, key) != NULL ? 0 : -1;
  case 'n':
    if (literal(ps, "null", 4) < 0)
      return -1;
    return new_node(ps, CPLANE_TYPE_NULL, key) != NULL ? 0 : -1;
  default:
    if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
      return parse_number(ps, key);
    return fail(ps, "unexpected character");
  }
}

/* ------------------------------------------------------------ lookups */

/* Member `name` (exact bytes, NUL-terminated) of object node i. */
static uint32_t member(const cplane_object *o, uint32_t i, const char *name) {
  const char *pool = pool_of(o);
  uint32_t c, end;

  if (i == NONE || node_type(&o->nodes[i]) != CPLANE_TYPE_OBJECT)
    return NONE;
  end = o->nodes[i].v.end;
  for (c = i + 1; c < end; c = skip(o, c))
    if (strcmp(pool + o->nodes[c].key, name) == 0)
      return c;
  return NONE;
}

static const char *string_at(const cplane_object *o, uint32_t i) {
  if (i == NONE || node_type(&o->nodes[i]) != CPLANE_TYPE_STRING)
    return NULL;
  return pool_of(o) + o->nodes[i].v.s.off;
}

/* Does key equal the escaped path segment [s, e)? */
static int segment_equals(const char *key, const char *s, const char *e) {
  while (s < e) {
    if (*s == '\\' && s + 1 < e)
      s++;
    if (*key == '\0' || *key != *s)
      return 0;
    key++;
    s++;
  }
  return *key == '\0';
}

/* Resolves a path to a node index, NONE when absent or malformed. */
static uint32_t resolve(const cplane_object *o, const char *path) {
  const char *p = path;
  uint32_t cur = 0;

  if (o == NULL)
    return NONE;
  if (p == NULL)
    return 0;
  while (*p != '\0') {
    if (*p == '[') {
      uint64_t idx = 0;
      uint32_t c, end, k;

      p++;
      if (*p < '0' || *p > '9')
        return NONE;
      while (*p >= '0' && *p <= '9' && idx < UINT32_MAX)
        idx = idx * 10 + (uint64_t)(*p++ - '0');
      if (*p++ != ']')
        return NONE;
      if (node_type(&o->nodes[cur]) != CPLANE_TYPE_ARRAY ||
          idx >= node_count(&o->nodes[cur]))
        return NONE;
      end = o->nodes[cur].v.end;
      for (c = cur + 1, k = 0; c < end && k < idx; c = skip(o, c), k++)
        ;
      cur = c;
    } else {
      const char *s = p, *e;
      uint32_t c, end;

      if (*p == '.') {
        if (p == path) /* a leading '.' is malformed */
          return NONE;
        s = ++p;
      }
      while (*p != '\0' && *p != '.' && *p != '[') {
        if (*p == '\\' && p[1] != '\0')
          p++;
        p++;
      }
      e = p;
      if (e == s)
        return NONE;
      if (node_type(&o->nodes[cur]) != CPLANE_TYPE_OBJECT)
        return NONE;
      end = o->nodes[cur].v.end;
      for (c = cur + 1; c < end; c = skip(o, c))
        if (segment_equals(pool_of(o) + o->nodes[c].key, s, e))
          break;
      if (c >= end)
        return NONE;
      cur = c;
    }
  }
  return cur;
}

/* ------------------------------------------------------------- public */

static void index_metadata(cplane_object *o) {
  o->metadata = member(o, 0, "metadata");
  o->labels = member(o, o->metadata, "labels");
  o->annotations = member(o, o->metadata, "annotations");
}

/* Member `name` of object node i in the parser's scratch nodes. */
static uint32_t scratch_member(const struct parser *ps, uint32_t i,
                               const char *name) {
  uint32_t c, end;

  if (i == NONE || node_type(&ps->nodes[i]) != CPLANE_TYPE_OBJECT)
    return NONE;
  end = ps->nodes[i].v.end;
  for (c = i + 1; c < end;) {
    const struct node *n = &ps->nodes[c];

    if (strcmp(ps->pool + n->key, name) == 0)
      return c;
    c = (node_type(n) == CPLANE_TYPE_ARRAY ||
         node_type(n) == CPLANE_TYPE_OBJECT)
            ? n->v.end
            : c + 1;
  }
  return NONE;
}

static const char *scratch_string(const struct parser *ps, uint32_t i) {
  if (i == NONE || node_type(&ps->nodes[i]) != CPLANE_TYPE_STRING)
    return NULL;
  return ps->pool + ps->nodes[i].v.s.off;
}

/* Appends "ns/name" (or "name") to the scratch pool, computed once so the
 * informer's hot path never formats keys. NONE without a name. */
static uint32_t build_key(struct parser *ps) {
  uint32_t md = scratch_member(ps, 0, "metadata"), off = ps->pool_len;
  const char *name = scratch_string(ps, scratch_member(ps, md, "name"));
  const char *ns = scratch_string(ps, scratch_member(ps, md, "namespace"));
  size_t nl, sl;

  if (name == NULL || name[0] == '\0')
    return NONE;
  nl = strlen(name);
  sl = ns != NULL ? strlen(ns) : 0;
  if (sl > 0) {
    memcpy(ps->pool + ps->pool_len, ns, sl);
    ps->pool_len += (uint32_t)sl;
    ps->pool[ps->pool_len++] = '/';
  }
  memcpy(ps->pool + ps->pool_len, name, nl + 1);
  ps->pool_len += (uint32_t)nl + 1;
  return off;
}

/* Parses json into ps's scratch buffer (which the caller frees with
 * free(ps->nodes)). top_object demands a JSON object at the top level.
 * Returns CPLANE_OK, CPLANE_EINVAL with ps->err set, or CPLANE_ENOMEM. */
static int parse_document(struct parser *ps, const char *json, size_t len,
                          int top_object) {
  size_t max_nodes, pool_cap, nodes_bytes;
  char *scratch;

  memset(ps, 0, sizeof *ps);
  ps->p = ps->start = json;
  ps->end = json + len;
  if (json == NULL || len >= (UINT32_MAX / 4)) {
    fail(ps, json == NULL ? "no input" : "document too large");
    return CPLANE_EINVAL;
  }
  /* A value costs at least two bytes of text (N values need >= 2N - 1
   * bytes: containers their brackets, scalars a byte plus a separator),
   * except the containers the text leaves open, one byte each and at
   * most one per level ("[[[[1" is five values in five bytes); decoded
   * strings never grow; the key adds at most len + 2 bytes. */
  max_nodes = len / 2 + 2 + CP_OBJECT_MAX_DEPTH;
  pool_cap = 2 * len + 16;
  nodes_bytes = max_nodes * sizeof(struct node);
  if ((scratch = malloc(nodes_bytes + pool_cap)) == NULL)
    return CPLANE_ENOMEM;
  ps->nodes = (struct node *)scratch;
  ps->max_nodes = (uint32_t)max_nodes;
  ps->pool = scratch + nodes_bytes;
  ps->pool_cap = (uint32_t)pool_cap;
  ps->pool[ps->pool_len++] = '\0'; /* offset 0: the empty string */

  skip_ws(ps);
  if (top_object && (ps->p >= ps->end || *ps->p != '{'))
    return fail(ps, "a JSON object ('{') expected at the top level"),
           CPLANE_EINVAL;
  if (parse_value(ps, NONE, 0) < 0)
    return CPLANE_EINVAL;
  skip_ws(ps);
  if (ps->p != ps->end)
    return fail(ps, "trailing characters after the top-level value"),
           CPLANE_EINVAL;
  return CPLANE_OK;
}

/* The snapshot of what ps holds (its nodes and pool, the key added):
 * one exact allocation, or NULL out of memory. */
static cplane_object *snapshot_of(struct parser *ps) {
  uint32_t key = build_key(ps);
  cplane_object *o = malloc(sizeof *o +
                            (size_t)ps->n_nodes * sizeof(struct node) +
                            ps->pool_len);

  if (o == NULL)
    return NULL;
  atomic_init(&o->refs, 1);
  o->n_nodes = ps->n_nodes;
  o->pool_len = ps->pool_len;
  o->key = key;
  memcpy(o->nodes, ps->nodes, (size_t)ps->n_nodes * sizeof(struct node));
  memcpy((char *)(o->nodes + o->n_nodes), ps->pool, ps->pool_len);
  index_metadata(o);
  return o;
}

int cp_object_parse(const char *json, size_t len, cplane_object **out,
                    char **errmsg) {
  struct parser ps;
  cplane_object *o = NULL;
  int rc;

  *out = NULL;
  if (errmsg != NULL)
    *errmsg = NULL;
  if ((rc = parse_document(&ps, json, len, 1)) != CPLANE_OK)
    goto out;
  if ((o = snapshot_of(&ps)) == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  *out = o;
out:
  if (rc == CPLANE_EINVAL && errmsg != NULL && ps.err != NULL) {
    *errmsg = ps.err;
    ps.err = NULL;
  } else if (rc == CPLANE_ENOMEM && errmsg != NULL) {
    *errmsg = strdup("out of memory parsing JSON");
  }
  free(ps.err);
  free(ps.nodes);
  return rc;
}

int cp_json_valid(const char *json, size_t len) {
  struct parser ps;
  int rc = parse_document(&ps, json, len, 0);

  free(ps.err);
  free(ps.nodes);
  return rc == CPLANE_OK;
}

/* ------------------------------------------------------ from json-c */

/*
 * A json-c tree is walked straight into nodes, without printing it and
 * parsing the text back (that round trip cost a create through quota
 * admission about as much as storing the pod). The result is the one the
 * text would give: members in json-c's (insertion) order, an integer
 * above INT64_MAX a double, containers deeper than CP_OBJECT_MAX_DEPTH
 * refused.
 */

/* What a walk leaves out: nothing, or metadata.managedFields (JC_TOP at
 * the object, JC_META inside its metadata). */
enum jc_strip { JC_KEEP, JC_TOP, JC_META };

/* Whether member k of an object walked with strip is left out, and the
 * strip its value is walked with. */
static int jc_skip(enum jc_strip strip, const char *k, enum jc_strip *child) {
  *child = strip == JC_TOP && strcmp(k, "metadata") == 0 ? JC_META : JC_KEEP;
  return strip == JC_META && strcmp(k, "managedFields") == 0;
}

/* Counts the values of jo and the pool bytes its strings and member
 * names take (each with its NUL). -1 when nested too deep. */
static int jc_measure(struct json_object *jo, int depth, enum jc_strip strip,
                      size_t *nodes, size_t *pool) {
  enum jc_strip child;
  size_t i, n;

  (*nodes)++;
  switch (json_object_get_type(jo)) {
  case json_type_string:
    *pool += (size_t)json_object_get_string_len(jo) + 1;
    return 0;
  case json_type_object:
    if (depth >= CP_OBJECT_MAX_DEPTH)
      return -1;
    json_object_object_foreach(jo, k, v) {
      if (jc_skip(strip, k, &child))
        continue;
      *pool += strlen(k) + 1;
      if (jc_measure(v, depth + 1, child, nodes, pool) < 0)
        return -1;
    }
    return 0;
  case json_type_array:
    if (depth >= CP_OBJECT_MAX_DEPTH)
      return -1;
    n = json_object_array_length(jo);
    for (i = 0; i < n; i++)
      if (jc_measure(json_object_array_get_idx(jo, i), depth + 1, JC_KEEP,
                     nodes, pool) < 0)
        return -1;
    return 0;
  default:
    return 0;
  }
}

/* Copies len bytes of s and a NUL into the pool; its offset. */
static uint32_t jc_pool_add(struct parser *ps, const char *s, size_t len) {
  uint32_t off = ps->pool_len;

  memcpy(ps->pool + ps->pool_len, s, len);
  ps->pool_len += (uint32_t)len;
  ps->pool[ps->pool_len++] = '\0';
  return off;
}

/* Emits jo (member name at pool offset key, or NONE) and its subtree;
 * ps is sized by jc_measure, so nothing here can run out of room. */
static void jc_emit(struct parser *ps, struct json_object *jo,
                    enum jc_strip strip, uint32_t key) {
  uint32_t idx = ps->n_nodes, count = 0;
  enum jc_strip child;
  struct node *n;
  size_t i, len;
  int64_t iv;

  switch (json_object_get_type(jo)) {
  case json_type_null:
    new_node(ps, CPLANE_TYPE_NULL, key);
    return;
  case json_type_boolean:
    new_node(ps, CPLANE_TYPE_BOOL, key)->v.i = json_object_get_boolean(jo);
    return;
  case json_type_int:
    iv = json_object_get_int64(jo);
    n = new_node(ps, CPLANE_TYPE_INT, key);
    if (iv == INT64_MAX && json_object_get_uint64(jo) > (uint64_t)INT64_MAX) {
      n->tag = CPLANE_TYPE_DOUBLE; /* as strtoll's ERANGE makes the text */
      n->v.d = (double)json_object_get_uint64(jo);
    } else {
      n->v.i = iv;
    }
    return;
  case json_type_double:
    n = new_node(ps, CPLANE_TYPE_DOUBLE, key);
    n->v.d = json_object_get_double(jo);
    return;
  case json_type_string:
    len = (size_t)json_object_get_string_len(jo);
    n = new_node(ps, CPLANE_TYPE_STRING, key);
    n->v.s.off = jc_pool_add(ps, json_object_get_string(jo), len);
    n->v.s.len = (uint32_t)len;
    return;
  case json_type_object:
    new_node(ps, CPLANE_TYPE_OBJECT, key);
    json_object_object_foreach(jo, k, v) {
      if (jc_skip(strip, k, &child))
        continue;
      jc_emit(ps, v, child, jc_pool_add(ps, k, strlen(k)));
      count++;
    }
    break;
  case json_type_array:
    new_node(ps, CPLANE_TYPE_ARRAY, key);
    len = json_object_array_length(jo);
    for (i = 0; i < len; i++, count++)
      jc_emit(ps, json_object_array_get_idx(jo, i), JC_KEEP, NONE);
    break;
  }
  ps->nodes[idx].tag |= count << 3;
  ps->nodes[idx].v.end = ps->n_nodes;
}

static cplane_object *from_json_c(struct json_object *jo,
                                  enum jc_strip strip) {
  struct parser ps;
  size_t nodes = 0, pool = 1, pool_cap;
  cplane_object *o = NULL;

  if (!json_object_is_type(jo, json_type_object) ||
      jc_measure(jo, 0, strip, &nodes, &pool) < 0 || nodes > UINT32_MAX >> 3 ||
      pool > UINT32_MAX / 4)
    return NULL;
  memset(&ps, 0, sizeof ps);
  /* build_key adds at most "ns/name" and a NUL: both are in the pool. */
  pool_cap = 2 * pool + 2;
  ps.nodes = malloc(nodes * sizeof(struct node) + pool_cap);
  if (ps.nodes == NULL)
    return NULL;
  ps.max_nodes = (uint32_t)nodes;
  ps.pool = (char *)(ps.nodes + nodes);
  ps.pool_cap = (uint32_t)pool_cap;
  ps.pool[ps.pool_len++] = '\0'; /* offset 0: the empty string */
  jc_emit(&ps, jo, strip, NONE);
  o = snapshot_of(&ps);
  free(ps.nodes);
  return o;
}

cplane_object *cp_object_from_json_c(struct json_object *jo) {
  return from_json_c(jo, JC_KEEP);
}

cplane_object *cp_object_from_json_c_unmanaged(struct json_object *jo) {
  return from_json_c(jo, JC_TOP);
}

const cplane_object *cp_object_retain(const cplane_object *obj) {
  if (obj != NULL)
    atomic_fetch_add_explicit(&((cplane_object *)obj)->refs, 1,
                              memory_order_relaxed);
  return obj;
}

void cp_object_release(const cplane_object *obj) {
  cplane_object *o = (cplane_object *)obj;

  if (o == NULL)
    return;
  if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) == 1)
    free(o);
}

int cp_object_type(const cplane_object *obj, const char *path) {
  uint32_t i = resolve(obj, path);

  return i == NONE ? CPLANE_ENOENT : node_type(&obj->nodes[i]);
}

const char *cp_object_string(const cplane_object *obj, const char *path) {
  return obj == NULL ? NULL : string_at(obj, resolve(obj, path));
}

int cp_object_int(const cplane_object *obj, const char *path, int64_t *out) {
  uint32_t i = resolve(obj, path);
  const struct node *n;

  if (i == NONE)
    return CPLANE_ENOENT;
  n = &obj->nodes[i];
  if (node_type(n) == CPLANE_TYPE_INT) {
    *out = n->v.i;
    return CPLANE_OK;
  }
  if (node_type(n) != CPLANE_TYPE_DOUBLE)
    return CPLANE_ETYPE;
  /* A number written 3.0 or too large for int64. */
  if (n->v.d != floor(n->v.d))
    return CPLANE_ETYPE;
  return cp_double_int64(n->v.d, out) ? CPLANE_OK : CPLANE_ERANGE;
}

int cp_object_double(const cplane_object *obj, const char *path,
                     double *out) {
  uint32_t i = resolve(obj, path);
  const struct node *n;

  if (i == NONE)
    return CPLANE_ENOENT;
  n = &obj->nodes[i];
  if (node_type(n) == CPLANE_TYPE_DOUBLE)
    *out = n->v.d;
  else if (node_type(n) == CPLANE_TYPE_INT)
    *out = (double)n->v.i;
  else
    return CPLANE_ETYPE;
  return CPLANE_OK;
}

int cp_object_bool(const cplane_object *obj, const char *path, int *out) {
  uint32_t i = resolve(obj, path);

  if (i == NONE)
    return CPLANE_ENOENT;
  if (node_type(&obj->nodes[i]) != CPLANE_TYPE_BOOL)
    return CPLANE_ETYPE;
  *out = (int)obj->nodes[i].v.i;
  return CPLANE_OK;
}

int cp_object_len(const cplane_object *obj, const char *path) {
  uint32_t i = resolve(obj, path);
  int t;

  if (i == NONE)
    return CPLANE_ENOENT;
  t = node_type(&obj->nodes[i]);
  if (t != CPLANE_TYPE_ARRAY && t != CPLANE_TYPE_OBJECT)
    return CPLANE_ETYPE;
  return (int)node_count(&obj->nodes[i]);
}

int cp_object_foreach(const cplane_object *obj, const char *path,
                      cplane_foreach_fn fn, void *userdata) {
  uint32_t i = resolve(obj, path), c, end, k = 0;
  int t, calls = 0;

  if (i == NONE)
    return CPLANE_ENOENT;
  if (fn == NULL)
    return CPLANE_EINVAL;
  t = node_type(&obj->nodes[i]);
  if (t != CPLANE_TYPE_ARRAY && t != CPLANE_TYPE_OBJECT)
    return CPLANE_ETYPE;
  end = obj->nodes[i].v.end;
  for (c = i + 1; c < end; c = skip(obj, c), k++) {
    char idx[16];
    const char *key = idx;

    if (t == CPLANE_TYPE_OBJECT)
      key = pool_of(obj) + obj->nodes[c].key;
    else
      snprintf(idx, sizeof idx, "%" PRIu32, k);
    calls++;
    if (fn(userdata, key, string_at(obj, c)) != 0)
      break;
  }
  return calls;
}

/* ------------------------------------------------------------ to JSON */

/* Appends the value at node i; returns the index after its subtree. */
static uint32_t emit(const cplane_object *o, uint32_t i, struct cp_json_buf *b) {
  const struct node *n = &o->nodes[i];
  const char *pool = pool_of(o);
  char num[40];
  int len;

  switch (node_type(n)) {
  case CPLANE_TYPE_NULL:
    cp_json_buf_put(b, "null", 4);
    return i + 1;
  case CPLANE_TYPE_BOOL:
    cp_json_buf_put(b, n->v.i ? "true" : "false", n->v.i ? 4 : 5);
    return i + 1;
  case CPLANE_TYPE_INT:
    len = snprintf(num, sizeof num, "%" PRId64, n->v.i);
    cp_json_buf_put(b, num, (size_t)len);
    return i + 1;
  case CPLANE_TYPE_DOUBLE:
    len = snprintf(num, sizeof num, "%.17g", n->v.d);
    cp_json_buf_put(b, num, (size_t)len);
    return i + 1;
  case CPLANE_TYPE_STRING:
    cp_json_buf_quoted(b, pool + n->v.s.off, n->v.s.len);
    return i + 1;
  default: {
    int is_obj = node_type(n) == CPLANE_TYPE_OBJECT;
    uint32_t c = i + 1;

    cp_json_buf_put(b, is_obj ? "{" : "[", 1);
    while (c < n->v.end) {
      if (c != i + 1)
        cp_json_buf_put(b, ",", 1);
      if (is_obj) {
        const char *k = pool + o->nodes[c].key;

        cp_json_buf_quoted(b, k, strlen(k));
        cp_json_buf_put(b, ":", 1);
      }
      c = emit(o, c, b);
    }
    cp_json_buf_put(b, is_obj ? "}" : "]", 1);
    return n->v.end;
  }
  }
}

char *cp_object_json(const cplane_object *obj, const char *path) {
  uint32_t i = resolve(obj, path);
  struct cp_json_buf b = CP_JSON_BUF_INIT;

  if (i == NONE)
    return NULL;
  emit(obj, i, &b);
  return cp_json_buf_take(&b);
}

/* ---------------------------------------------------------- metadata */

static const char *meta_string(const cplane_object *obj, const char *name) {
  return obj == NULL ? NULL : string_at(obj, member(obj, obj->metadata, name));
}

const char *cp_object_name(const cplane_object *obj) {
  return meta_string(obj, "name");
}

const char *cp_object_namespace(const cplane_object *obj) {
  return meta_string(obj, "namespace");
}

const char *cp_object_uid(const cplane_object *obj) {
  return meta_string(obj, "uid");
}

const char *cp_object_resource_version(const cplane_object *obj) {
  return meta_string(obj, "resourceVersion");
}

const char *cp_object_deletion_timestamp(const cplane_object *obj) {
  return meta_string(obj, "deletionTimestamp");
}

const char *cp_object_key(const cplane_object *obj) {
  if (obj == NULL || obj->key == NONE)
    return NULL;
  return pool_of(obj) + obj->key;
}

int64_t cp_object_generation(const cplane_object *obj) {
  uint32_t i;

  if (obj == NULL)
    return 0;
  i = member(obj, obj->metadata, "generation");
  if (i == NONE || node_type(&obj->nodes[i]) != CPLANE_TYPE_INT)
    return 0;
  return obj->nodes[i].v.i;
}

const char *cp_object_label(const cplane_object *obj, const char *key) {
  if (obj == NULL || key == NULL)
    return NULL;
  return string_at(obj, member(obj, obj->labels, key));
}

const char *cp_object_annotation(const cplane_object *obj, const char *key) {
  if (obj == NULL || key == NULL)
    return NULL;
  return string_at(obj, member(obj, obj->annotations, key));
}

const char *cp_object_controller_uid(const cplane_object *obj) {
  uint32_t refs, c, end;

  if (obj == NULL)
    return NULL;
  refs = member(obj, obj->metadata, "ownerReferences");
  if (refs == NONE || node_type(&obj->nodes[refs]) != CPLANE_TYPE_ARRAY)
    return NULL;
  end = obj->nodes[refs].v.end;
  for (c = refs + 1; c < end; c = skip(obj, c)) {
    uint32_t ctl = member(obj, c, "controller");

    if (ctl != NONE && node_type(&obj->nodes[ctl]) == CPLANE_TYPE_BOOL &&
        obj->nodes[ctl].v.i)
      return string_at(obj, member(obj, c, "uid"));
  }
  return NULL;
}

size_t cp_object_heap_bytes(const cplane_object *obj) {
  return obj == NULL ? 0 : malloc_usable_size((void *)obj);
}
