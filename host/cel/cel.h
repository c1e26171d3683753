/*
 * cel - the Common Expression Language (cel-spec langdef.md) as
 * kube-apiserver evaluates it for CRDs' x-kubernetes-validations: parse
 * once to a program, evaluate many times over json-c values, with
 * Kubernetes' CEL libraries (lists, strings, regex, url, quantity, ip,
 * cidr, semver, and cel-go's extensions kube carries) and a
 * runtime cost limit, so a rule can neither crash the server nor burn
 * its CPU. Debian packages no CEL library for C, so this is our own.
 *
 * What is there: every literal form, lists, maps, field selection,
 * indexing, has(), optional `?.`/`[?]`, the operators with CEL's
 * precedence and error absorption (`false && error` is false),
 * int64/uint64 overflow as an error, heterogeneous numeric comparison,
 * the macros all/exists/exists_one/map/filter, the type conversions,
 * timestamps and durations (UTC or IANA zones), kube's ip/cidr/semver
 * and cel-go's format/sets/math/base64 extensions. No protobuf messages.
 * A compile checks syntax, names and functions; cp_cel_check adds the
 * part of cel-go's type checker that is certain with the variables'
 * schemas; the rest is found when evaluating ("no such overload").
 *
 * Threading: a program is immutable once compiled; any number of
 * threads may evaluate it at once (each evaluation has its own arena).
 * Ownership: the caller frees a program with cp_cel_program_free; error
 * and result strings are malloc'd and the caller's. Bindings (json-c
 * values) are borrowed for the evaluation only.
 */
#ifndef CPLANE_HOST_CEL_CEL_H
#define CPLANE_HOST_CEL_CEL_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct cp_cel_program;

/* kube's limits (k8s.io/apiserver/pkg/apis/cel/config.go). */
#define CP_CEL_PER_CALL_LIMIT 1000000ull    /* PerCallLimit */
#define CP_CEL_CRD_BUDGET 10000000ull       /* RuntimeCELCostBudget */
#define CP_CEL_MAX_EXPR_LEN 100000          /* cel-go's code point limit */
#define CP_CEL_MAX_DEPTH 250                /* cel-go's recursion limit */

/* The message a run past its cost limit ends with (cel-go's). */
#define CP_CEL_COST_EXCEEDED "operation cancelled: actual cost limit exceeded"

/* Compiles src. vars (NULL-terminated, may be NULL) are the variables the
 * expression may name; any other identifier is a compile error, as
 * cel-go's checker refuses it. NULL with *err (malloc'd) worded as
 * cel-go words it ("ERROR: <input>:1:6: Syntax error: ..."). */
struct cp_cel_program *cp_cel_compile(const char *src,
                                      const char *const *vars, char **err);
void cp_cel_program_free(struct cp_cel_program *p);
/* The first function p calls that kube's CEL has and cplane's has not
 * (ip, cidr, semver, format, sets.*, math.*, base64.*, strings.quote...),
 * or NULL. Such a program compiles; calling that function is an error. */
const char *cp_cel_program_unsupported(const struct cp_cel_program *p);
/* 1 when p names variable name anywhere (a transition rule names
 * oldSelf). */
int cp_cel_program_uses(const struct cp_cel_program *p, const char *name);

/* A variable's declaration for the type check: its values follow an
 * OpenAPI v3 schema (borrowed JSON; NULL: any type), or it is an
 * optional (CRDs' optionalOldSelf). */
struct cp_cel_decl {
  const char *name;
  struct json_object *schema;
  int optional;
};

/* cel-go's type check, for the mistakes it surely refuses (cel_check.c
 * says which): 0 when none is found; -1 with *err (malloc'd, cel-go's
 * form: "ERROR: <input>:1:15: found no matching overload for '_+_'
 * applied to '(int, string)'\n | ...") for one; 1 when want ("bool",
 * "string"; may be NULL) is not the certain type of the result. Types
 * not certain are not refused. */
int cp_cel_check(const struct cp_cel_program *p, const struct cp_cel_decl *d,
                 size_t n, const char *want, char **err);

struct cp_cel_binding {
  const char *name;
  struct json_object *value; /* borrowed; NULL binds null */
  /* The variable is an optional (CRDs' optionalOldSelf): optional.of(value),
   * or optional.none() when value is NULL. */
  int optional;
};

/* Evaluates p with the bindings, spending at most limit cost units (kube's
 * estimate: about one per node visited, more for work on long values);
 * *cost (may be NULL) gets what was spent. Returns 1 or 0 for a bool
 * result; -1 with *err (malloc'd: "no such key: foo", CP_CEL_COST_EXCEEDED,
 * ...) for an error or a result that is not a bool. */
int cp_cel_eval_bool(const struct cp_cel_program *p,
                     const struct cp_cel_binding *b, size_t n,
                     uint64_t limit, uint64_t *cost, char **err);
/* The same for a string result (messageExpression): the string in *out
 * (malloc'd), 0; or -1 with *err. */
int cp_cel_eval_string(const struct cp_cel_program *p,
                       const struct cp_cel_binding *b, size_t n,
                       uint64_t limit, uint64_t *cost, char **out,
                       char **err);

/* A session: several programs evaluated over the same bindings, as
 * kube's ValidatingAdmissionPolicy evaluates one policy for one request,
 * sharing its named expressions (spec.variables): variables.<name> in any
 * of them evaluates lazy[i].p at most once per session, when first named
 * (kube's composition environment); a variable's program may name the
 * variables before it. Every evaluation may spend CP_CEL_PER_CALL_LIMIT;
 * all of them together at most budget. Compile the programs with
 * "variables" among their vars. NULL when out of memory.
 * Threading: one thread at a time. Ownership: bindings, lazy and the
 * programs are borrowed and must outlive the session. */
struct cp_cel_lazy {
  const char *name;
  const struct cp_cel_program *p;
};
struct cp_cel_session;
struct cp_cel_session *cp_cel_session_new(const struct cp_cel_binding *b,
                                          size_t n,
                                          const struct cp_cel_lazy *lazy,
                                          size_t n_lazy, uint64_t budget);
void cp_cel_session_free(struct cp_cel_session *s);
/* kube's authorizer library (ValidatingAdmissionPolicy's `authorizer`
 * variable): authorizer.group(g).resource(r).subresource(s)
 * .namespace(n).name(x).check(verb), authorizer.path(p).check(verb),
 * authorizer.serviceAccount(ns, name) for another subject, and the
 * decision's allowed(), reason(), errored(), error(). A check asks the
 * session's authorizer function, which answers 1 allowed, 0 denied or
 * -1 errored, with *reason (malloc'd, may stay NULL). Bind `authorizer`
 * to cp_cel_authorizer_value() for it. */
struct cp_cel_authz_check {
  const char *sa_ns, *sa_name; /* serviceAccount(ns, name), or NULL: the
                                * request's user */
  const char *verb;
  int resource_request;        /* 0: path */
  const char *group, *resource, *subresource, *ns, *name, *path;
};
typedef int (*cp_cel_authorize_fn)(void *arg,
                                   const struct cp_cel_authz_check *chk,
                                   char **reason);
void cp_cel_session_authorizer(struct cp_cel_session *s,
                               cp_cel_authorize_fn fn, void *arg);
/* The value to bind `authorizer` to (static, never freed). */
struct json_object *cp_cel_authorizer_value(void);
/* The same with authorizer.requestResource: a ResourceCheck of the
 * request's group, resource, subresource, namespace and name (each ""
 * when none), as kube binds it for admission. A new object, the
 * caller's (NULL out of memory). */
struct json_object *cp_cel_authorizer_for_request(const char *group,
                                                  const char *resource,
                                                  const char *subresource,
                                                  const char *ns,
                                                  const char *name);

/* As cp_cel_eval_bool and cp_cel_eval_string, in the session; the
 * string form returns 1 (*out NULL) for a null result (kube's audit
 * annotations leave such a key out). */
int cp_cel_session_bool(struct cp_cel_session *s,
                        const struct cp_cel_program *p, char **err);
int cp_cel_session_string(struct cp_cel_session *s,
                          const struct cp_cel_program *p, char **out,
                          char **err);

/* For tests and fuzzing: compiles and evaluates src with n variables
 * names[i] bound to the values of the CEL expressions values[i], and
 * writes the result in a canonical, typed text form to *out ("1", "1u",
 * "1.5", "\"s\"", "b\"\\x00\"", "[1, 2]", "{\"a\": 1}", "null", "int",
 * "duration(\"1s\")", ...). 0, or -1 with *err (compile or runtime). */
int cp_cel_eval_text(const char *src, const char *const *names,
                     const char *const *values, size_t n, uint64_t limit,
                     char **out, char **err);

#endif /* CPLANE_HOST_CEL_CEL_H */
