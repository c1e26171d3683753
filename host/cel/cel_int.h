/*
 * cel_int - what the CEL parser, evaluator and libraries share: the AST
 * (built by cel_parse.c, immutable afterwards), values (made during one
 * evaluation, in its arena) and the evaluation context.
 *
 * Threading: an AST is read-only once built; a context belongs to one
 * evaluation on one thread. Ownership: AST nodes belong to their program
 * (freed with it); values and everything they point to belong to the
 * evaluation's arena, or are borrowed from the bound json-c values,
 * which outlive the evaluation.
 */
#ifndef CPLANE_HOST_CEL_CEL_INT_H
#define CPLANE_HOST_CEL_CEL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cel/cel.h"

struct json_object;

/* ------------------------------------------------------------ values */

enum cel_kind {
  K_NULL, K_BOOL, K_INT, K_UINT, K_DOUBLE, K_STRING, K_BYTES, K_LIST,
  K_MAP, K_TYPE, K_ERROR, K_OPT, K_TS, K_DUR, K_QTY, K_URL,
  K_IP, K_CIDR,  /* canonical text in v.s (cel_lib_net.c) */
  K_SEMVER       /* normalized text in v.s (cel_lib_semver.c) */
};

struct cel_list;
struct cel_map;

struct cel_qty {
  __int128 nano; /* exact (to the nano unit) when ok */
  int ok;
  double approx;
  int format;
};

struct cel_val {
  enum cel_kind k;
  union {
    int b;
    int64_t i;
    uint64_t u;
    double d;
    struct {
      const char *p; /* not NUL-terminated in general */
      size_t n;
    } s;             /* string, bytes, error message, type name, url,
                      * ip, cidr, semver */
    struct cel_list *l;
    struct cel_map *m;
    struct cel_val *opt; /* NULL: optional.none() */
    struct {
      int64_t sec;
      int32_t nsec;
    } t;                 /* timestamp (since epoch) and duration */
    struct cel_qty *q;
  } v;
};

struct cel_list {
  size_t n;
  struct cel_val *v;      /* native elements, or */
  struct json_object *j;  /* a borrowed JSON array */
};

struct cel_map {
  size_t n;
  struct cel_val *keys, *vals; /* native entries, or */
  struct json_object *j;       /* a borrowed JSON object */
};

/* ------------------------------------------------------------ AST */

enum cel_node_kind {
  N_LIT, N_IDENT, N_SELECT, N_INDEX, N_CALL, N_LIST, N_MAP, N_COND, N_AND,
  N_OR, N_NOT, N_NEG, N_BINOP, N_HAS, N_MACRO
};

enum cel_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_ADD,
              OP_SUB, OP_MUL, OP_DIV, OP_MOD };

enum cel_macro { M_ALL, M_EXISTS, M_EXISTS_ONE, M_MAP, M_FILTER, M_BIND,
                 M_OPT_MAP, M_OPT_FLAT_MAP };

struct cel_node {
  enum cel_node_kind k;
  int pos;                 /* byte offset in the source */
  int optional;            /* `?.` / `[?` / optional list/map entry */
  enum cel_op op;
  enum cel_macro macro;
  char *name;              /* ident, field, function, macro variable */
  struct cel_val lit;      /* N_LIT (strings owned by the program) */
  struct cel_node *target; /* operand / receiver / range */
  struct cel_node **args;  /* call args, list items, map keys/values
                            * interleaved, cond (c,t,f), binop (l,r),
                            * macro (pred) or (filter, transform) */
  size_t n_args;
  int *opt_flags;          /* per list item / map entry: `?` */
  struct cp_pattern *re;   /* matches/find/findAll with a literal
                            * pattern: compiled with the program */
};

struct cp_cel_program {
  struct cel_node *root;
  struct cel_node **nodes; /* every node, for freeing */
  size_t n_nodes, cap_nodes;
  char **strs;             /* every owned string */
  size_t n_strs, cap_strs;
  char *src;
};

/* ------------------------------------------------------------ eval */

struct cel_chunk;

struct cel_scope {
  const char *name;
  struct cel_val v;
  const struct cel_scope *up;
};

struct cel_ctx {
  struct cel_chunk *chunks;
  size_t allocated;
  uint64_t cost, limit;
  int cancelled; /* cost limit passed: everything is that error now */
  int depth;
  const struct cp_cel_binding *b;
  size_t nb;
  const struct cel_scope *vars; /* extra bindings (tests) */
  /* The last regex compiled, kept for the next call with the same text
   * (a rule matching every item of a list compiles once). */
  char *re_text;
  struct cp_pattern *re;
  /* The literal pattern of the call being made (the program's). */
  const struct cel_node *lit;
  /* The last time zone loaded (cel_tz.c), kept for the next call. */
  struct cel_tz *tz;
  /* A session's lazily evaluated variables (cel_session.c), reached as
   * variables.<name>; NULL outside a session. */
  struct cel_lazy_state *lazy;
  /* The session's authorizer (cel_authz.c); NULL: checks are errors. */
  cp_cel_authorize_fn authorize;
  void *authorize_arg;
};

/* Time zones (cel_tz.c): the offset east of UTC, in seconds, of zone (a
 * string: "+05:30"-like or an IANA name) at Unix time t; 0, or -1 with
 * *err (cel-go's "unknown time zone X"). */
struct cel_tz;
int cel_tz_offset(struct cel_ctx *c, const struct cel_val *zone, int64_t t,
                  int64_t *off, struct cel_val *err);
void cel_tz_free(struct cel_tz *z);

/* Calls name on an authorizer library value t (cel_authz.c); *handled 0
 * when t is not one. */
struct cel_val cel_authz_call(struct cel_ctx *c, const char *name,
                              const struct cel_val *t,
                              const struct cel_val *args, size_t n,
                              int *handled);
/* 1 when name is one of the authorizer library's member functions. */
int cel_authz_known(const char *name, int member);

/* variables.<name> in a session: the value, computed on first use (an
 * error value for an unknown name or a cycle). */
struct cel_val cel_lazy_get(struct cel_ctx *c, const char *name);
/* Evaluates p's root in c (a session evaluates several programs, and
 * its variables, in one context). */
struct cel_val cel_eval_program(struct cel_ctx *c,
                                const struct cp_cel_program *p);

struct cp_pattern;
/* The compiled regex text (n bytes), from the context's cache; NULL with
 * *err (an error value) when it does not compile. Owned by the
 * context. */
struct cp_pattern *cel_regex(struct cel_ctx *c, const char *text, size_t n,
                             struct cel_val *err);

void *cel_alloc(struct cel_ctx *c, size_t n);
void cel_ctx_free(struct cel_ctx *c);
/* Charges n cost units; 0, or -1 once past the limit (and cancelled). */
int cel_charge(struct cel_ctx *c, uint64_t n);

struct cel_val cel_err(struct cel_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
struct cel_val cel_bool(int b);
struct cel_val cel_int(int64_t i);
struct cel_val cel_uint(uint64_t u);
struct cel_val cel_double(double d);
struct cel_val cel_str(const char *p, size_t n);
struct cel_val cel_str_dup(struct cel_ctx *c, const char *p, size_t n);
struct cel_val cel_bytes(const char *p, size_t n);
struct cel_val cel_type(const char *name);
struct cel_val cel_null(void);
struct cel_val cel_no_overload(struct cel_ctx *c, const char *fn);
struct cel_val cel_from_json(struct json_object *j);
const char *cel_type_name(const struct cel_val *v);

size_t cel_list_len(const struct cel_list *l);
struct cel_val cel_list_get(const struct cel_list *l, size_t i);
struct cel_val cel_list_new(struct cel_ctx *c, size_t n); /* n slots */
size_t cel_map_len(const struct cel_map *m);
/* *found 0 when absent; an error value for a bad key type. */
struct cel_val cel_map_get(struct cel_ctx *c, const struct cel_map *m,
                           const struct cel_val *key, int *found);
/* The i-th key (iteration order: insertion for literals, JSON order). */
struct cel_val cel_map_key(const struct cel_map *m, size_t i);

/* 1 equal, 0 not (CEL's heterogeneous equality; never an error). */
int cel_equal(const struct cel_val *a, const struct cel_val *b);
/* -1, 0, 1, or 2 when not ordered (NaN); -2 when the types do not order
 * (no such overload). */
int cel_compare(const struct cel_val *a, const struct cel_val *b);

/* Canonical text of v (cp_cel_eval_text's form), in the arena. */
char *cel_format(struct cel_ctx *c, const struct cel_val *v);

/* 1 when name is in the NULL-terminated table t. */
int cel_in_table(const char *const *t, const char *name);

/* Calls function name (receiver target or NULL; args already
 * evaluated, none an error). */
struct cel_val cel_call(struct cel_ctx *c, const char *name,
                        const struct cel_val *target,
                        const struct cel_val *args, size_t n);
/* 1 when name is a function (global with target 0, member with 1):
 * one cplane has, or one of kube's it has not (see below). */
int cel_function_known(const char *name, int member);
/* 0 for a function of kube's CEL environment cplane does not implement
 * (ip(), cidr(), semver(), format(), sets.*...): it compiles, and
 * calling it is an error. */
int cel_function_supported(const char *name);
/* The kube libraries (cel_kube.c): NULL-terminated name tables and the
 * call; *handled 0 when name is not theirs. */
struct cel_val cel_kube_call(struct cel_ctx *c, const char *name,
                             const struct cel_val *target,
                             const struct cel_val *args, size_t n,
                             int *handled);
int cel_kube_known(const char *name, int member);

/* The further libraries, one file each, with the same contract as
 * cel_kube_call (*handled 0: not theirs) and cel_kube_known:
 * cel_lib_net.c (kube's ip/cidr), cel_lib_semver.c (kube's semver),
 * cel_lib_format.c (cel-go's string.format, strings.quote),
 * cel_lib_ext.c (cel-go's reverse, sets.*, math.*, base64.*). */
#define CEL_LIBRARY(lib)                                                    \
  struct cel_val cel_##lib##_call(struct cel_ctx *c, const char *name,      \
                                  const struct cel_val *target,             \
                                  const struct cel_val *args, size_t n,     \
                                  int *handled);                            \
  int cel_##lib##_known(const char *name, int member)
CEL_LIBRARY(net);
CEL_LIBRARY(semver);
CEL_LIBRARY(format);
CEL_LIBRARY(ext);
#undef CEL_LIBRARY

/* src's error at byte pos in cel-go's form ("ERROR: <input>:1:15: msg",
 * the line, the caret): malloc'd, or NULL without memory. */
char *cel_error_text(const char *src, int pos, const char *msg);

/* Arithmetic helpers shared with the libraries. */
struct cel_val cel_add(struct cel_ctx *c, const struct cel_val *a,
                       const struct cel_val *b);

#endif /* CPLANE_HOST_CEL_CEL_INT_H */
