/*
 * yaml_json - YAML text to json-c values, as kube-apiserver reads a YAML
 * body: sigs.k8s.io/yaml's YAMLToJSON (go-yaml v2 underneath, YAML 1.1
 * scalars) followed by its JSON decoder. libyaml parses; this module
 * resolves scalars and builds the tree, event by event (no recursion).
 *
 * What a scalar becomes (plain and untagged; quoted and block scalars
 * are always strings):
 * - null: "", "~", null, Null, NULL;
 * - bool: y Y yes Yes YES true True TRUE on On ON and their false
 *   counterparts (n N no No NO false False FALSE off Off OFF);
 * - int: Go's base-0 integers with '_' removed (0x1F, 0o17, 017, 0b101,
 *   +5, -5), int64 or (unsigned) uint64;
 * - float: [-+]?(.digits|digits(.digits?)?)([eE][-+]?digits)?, within
 *   float64's range; written as Go's encoding/json writes a float64, then
 *   read back as our JSON decoder reads that text (so 1.0 is the int 1);
 *   .inf/.nan and their spellings are refused as json.Marshal refuses
 *   them ("json: unsupported value: +Inf");
 * - anything else, timestamps included, a string.
 * Explicit tags: !!str, !!int, !!float, !!bool, !!null are checked
 * ("cannot decode !!str `x` as a !!int"); other tags leave a string.
 * Map keys: strings; ints, floats (float32 %g as go-yaml) and bools become
 * their text; null, collection and uint64 keys are refused as
 * sigs.k8s.io/yaml refuses them.
 * Anchors and aliases are expanded (a copy each), "<<" merge keys merge
 * as go-yaml does (explicit keys win over merged ones, earlier maps of a
 * merge list over later ones). Only the first document is read.
 * Not reproduced: !!binary stays its base64 text; integers beyond
 * uint64 written in hex, octal or binary stay strings (Go: big.Int).
 *
 * Limits (struct cp_yaml_json_limits): max_depth nesting (collections),
 * max_nodes and max_bytes for what alias copies may add to the output
 * (billion laughs: "document contains excessive aliasing"), max_anchors
 * distinct anchors alive at once. The input itself is bounded by the
 * caller (the request body limit).
 *
 * Errors: *err is the whole message as sigs.k8s.io/yaml words it, with
 * go-yaml's line rule: "error converting YAML to JSON: yaml: line 3:
 * mapping values are not allowed in this context"; *err_line is that line
 * (0 when the message names none).
 *
 * Duplicate keys: the last wins (Go map semantics); when dups is not NULL
 * each explicit duplicate's path ("metadata.labels.a") is recorded there,
 * as cp_json_strict_parse records JSON's (merged keys never count).
 *
 * Threading: pure functions, safe from any thread.
 * Ownership: *out (NULL for a null document) and *err (malloc'd) belong
 * to the caller; dups as in json_strict.h (cp_json_strict_dups_clear).
 */
#ifndef CPLANE_HOST_OBJECT_YAML_JSON_H
#define CPLANE_HOST_OBJECT_YAML_JSON_H

#include <stddef.h>

#include <json-c/json.h>

#include "object/json_strict.h"

enum cp_yaml_json_rc {
  CP_YAML_JSON_OK = 0,
  CP_YAML_JSON_SYNTAX = -1, /* not YAML, or a value JSON cannot hold */
  CP_YAML_JSON_LIMIT = -2,  /* depth, aliasing or anchors beyond limits */
  CP_YAML_JSON_NOMEM = -3,
};

struct cp_yaml_json_limits {
  int max_depth;      /* collections nested deeper are refused */
  size_t max_nodes;   /* values alias copies may add in all */
  size_t max_bytes;   /* scalar bytes alias copies may add in all */
  size_t max_anchors; /* anchors defined in one document */
};

/* Defaults fit a request body: depth 64, 1M nodes, 64 MiB, 4096 anchors. */
extern const struct cp_yaml_json_limits cp_yaml_json_default_limits;

/* Converts s[0..n) (not NUL-terminated). lim NULL: the defaults. On
 * success returns CP_YAML_JSON_OK with *out the first document's value
 * (NULL for an empty or null document) and *err NULL; otherwise *out is
 * NULL and *err says why (NULL only when out of memory). */
int cp_yaml_json_parse(const char *s, size_t n,
                       const struct cp_yaml_json_limits *lim,
                       json_object **out, struct cp_json_strict_dups *dups,
                       char **err, int *err_line);

#endif /* CPLANE_HOST_OBJECT_YAML_JSON_H */
