/*
 * schema - structural schemas in the form of a CRD's openAPIV3Schema,
 * compiled once and then used on json-c objects to find and prune unknown
 * fields, apply defaults and validate types, required fields and enums,
 * with kube-apiserver's paths and messages. The built-in types' schemas
 * are JSON documents compiled into the binary (host/apiserver/schemas/);
 * they may name shared definitions with "$ref", resolved at load. A
 * custom resource's schema comes from its CRD and has no "$ref".
 *
 * Threading: a compiled document is immutable once returned, so any
 * number of threads may use it at once. The built-in document is loaded
 * once, on first use, from any thread.
 * Ownership: a document owns every node in it; nodes are borrowed and
 * live as long as their document. The built-in document lives as long as
 * the process. Results (struct cp_schema_result) own their strings.
 */
#ifndef CPLANE_HOST_APISERVER_SCHEMA_H
#define CPLANE_HOST_APISERVER_SCHEMA_H

#include <stddef.h>

struct json_object;
struct cp_schema;     /* one node */
struct cp_schema_doc; /* a set of nodes: a root and/or named definitions */
struct cp_schema_rules;

/* Compiles JSON text: either one schema (the document's root) or
 * {"components":{"schemas":{NAME: schema, ...}}} (named definitions,
 * referred to as "#/components/schemas/NAME"). Returns the document, or
 * NULL with *err (malloc'd) naming the problem and where it is. */
struct cp_schema_doc *cp_schema_doc_parse(const char *text, char **err);
/* Compiles an already parsed schema (borrowed) as a document's root;
 * "$ref" is refused. For CRD schemas. NULL with *err on failure. */
struct cp_schema_doc *cp_schema_doc_compile(struct json_object *schema,
                                            char **err);
/* The same, naming places in *err from root (a CRD's
 * "spec.versions[0].schema.openAPIV3Schema") rather than "<root>". */
struct cp_schema_doc *cp_schema_doc_compile_at(struct json_object *schema,
                                               const char *root,
                                               char **err);
void cp_schema_doc_free(struct cp_schema_doc *d);
/* The root, or NULL for a document of definitions only. */
const struct cp_schema *cp_schema_doc_root(const struct cp_schema_doc *d);
/* The definition NAME, or NULL. */
const struct cp_schema *cp_schema_doc_get(const struct cp_schema_doc *d,
                                          const char *name);

/* The compiled-in document of every built-in type (NULL only if the
 * embedded data is broken, which test_schema proves it is not). */
const struct cp_schema_doc *cp_schema_builtins(void);
/* The schema of a built-in kind of group/version, or NULL. */
const struct cp_schema *cp_schema_builtin_kind(const char *group,
                                               const char *version,
                                               const char *kind);
/* The definition name of that kind ("io.k8s.api.apps.v1.Deployment"), or
 * NULL. Borrowed from the built-in document. */
const char *cp_schema_builtin_kind_name(const char *group,
                                        const char *version,
                                        const char *kind);
/* The built-in definitions as JSON text for OpenAPI's components.schemas
 * (an object NAME -> schema, "$ref"s as written). Borrowed, never freed;
 * text rather than a json_object because json-c caches a serialization
 * inside the object, which two threads must not do at once. */
const char *cp_schema_builtin_definitions(void);

/* What walking an object found. Paths are kube-apiserver's:
 * "spec.template.spec.containers[0].image". */
struct cp_schema_error {
  char *field;
  const char *reason;  /* "FieldValueRequired", "FieldValueTypeInvalid"... */
  char *message;       /* "Required value", "Invalid value: ..." */
  /* FieldValueTypeInvalid only (else NULL), as Go's JSON decoding names
   * them: the value's JSON type ("string", "number", "bool", "object",
   * "array") and the field's type ("int32", "string", "bool", ...). */
  const char *got, *want;
  /* FieldValueTypeInvalid only: the Go struct holding the field, as
   * Go's decoder names it ("DeploymentSpec"), when the schema's
   * definitions name one; NULL at the root (the kind's) or when none
   * does. Points into the schema (lives as long as it). */
  const char *go_struct;
};

struct cp_schema_result {
  char **unknown; /* unknown field paths, in document order */
  size_t n_unknown;
  struct cp_schema_error *errors;
  size_t n_errors;
  int nomem; /* something could not be recorded */
};

void cp_schema_result_clear(struct cp_schema_result *r);

/* How Go's encoding/json names a JSON value's type in its errors
 * ("string", "number", "bool", "array", "object"): what a
 * cp_schema_error's got says. */
const char *cp_schema_go_json_name(struct json_object *o);

/* Walks object o (a whole object: apiVersion, kind and metadata are always
 * known at its top, metadata checked as ObjectMeta) and records every
 * field s does not know in r->unknown; with prune, removes them from o.
 * A null where null is not allowed is removed as if absent, as Go's
 * decoding does. Values of the wrong type are left for validation. */
void cp_schema_prune(const struct cp_schema *s, struct json_object *o,
                     int prune, struct cp_schema_result *r);
/* Adds every "default" s gives for a field absent from an object that is
 * present in o, recursively (defaults of defaults too). */
void cp_schema_default(const struct cp_schema *s, struct json_object *o);
/* Checks o against s (types, required, enum, bounds) and records one
 * error per bad field in r->errors. Returns the number of errors. */
size_t cp_schema_validate(const struct cp_schema *s, struct json_object *o,
                          struct cp_schema_result *r);

/* What a schema cannot say (it depends on other fields): a Deployment's
 * strategy, containers' imagePullPolicy, a Secret's stringData moved into
 * data. Applied after cp_schema_default; a no-op for other kinds. */
void cp_schema_builtin_hooks(const char *group, const char *kind,
                             struct json_object *o);

/* Navigation, for strategic merge patch. The schema of property name of
 * an object schema (additionalProperties' when not a property), or NULL. */
const struct cp_schema *cp_schema_property(const struct cp_schema *s,
                                           const char *name);
/* The items schema of an array schema, or NULL. */
const struct cp_schema *cp_schema_items(const struct cp_schema *s);
/* x-kubernetes-patch-merge-key / -patch-strategy, or NULL. */
const char *cp_schema_patch_merge_key(const struct cp_schema *s);
const char *cp_schema_patch_strategy(const struct cp_schema *s);
/* For server-side apply (ssa/): x-kubernetes-list-type ("atomic", "set",
 * "map") or NULL; x-kubernetes-list-map-keys (*n of them, borrowed);
 * x-kubernetes-map-type ("atomic", "granular") or NULL; 1 when the node
 * declares properties (a struct, as against a map); its "default" value
 * (borrowed) or NULL; ObjectMeta's schema. */
const char *cp_schema_list_type(const struct cp_schema *s);
const char *const *cp_schema_list_map_keys(const struct cp_schema *s,
                                           size_t *n);
const char *cp_schema_map_type(const struct cp_schema *s);
int cp_schema_is_struct(const struct cp_schema *s);
struct json_object *cp_schema_default_value(const struct cp_schema *s);
const struct cp_schema *cp_schema_object_meta(void);
/* The node's compiled x-kubernetes-validations (schema_rules.h), or
 * NULL. */
const struct cp_schema_rules *cp_schema_rules_of(const struct cp_schema *s);
/* 1 when name is one of s's declared properties (not additionalProperties'). */
int cp_schema_is_property(const struct cp_schema *s, const char *name);
/* 1 when the node keeps unknown fields (x-kubernetes-preserve-unknown-
 * fields). */
int cp_schema_preserves_unknown(const struct cp_schema *s);

#endif /* CPLANE_HOST_APISERVER_SCHEMA_H */
