/*
 * protobuf - the Kubernetes protobuf encoding of built-in kinds, both
 * ways, walking the generated field table of protobuf_fields.h: client-go's
 * typed clients (kubectl create, run, expose; controllers) send and accept
 * application/vnd.kubernetes.protobuf for built-in kinds, and a 415 is not
 * retried as JSON.
 *
 * An object is the "k8s\0" magic then a runtime.Unknown whose TypeMeta
 * names apiVersion and kind (which select the message) and whose raw
 * bytes are the message. A watch stream is frames of a 4-byte big-endian
 * length then a meta/v1 WatchEvent (no magic) whose object is enveloped.
 * JSON <-> protobuf follows kube's Go types: omitempty zero values are
 * left out of JSON, pointers are kept when set, inlined members are
 * merged into their parent, Time/MicroTime/Duration/Quantity/IntOrString/
 * RawExtension have their own JSON, bytes are base64, int64 a number.
 * Fields the table does not know are skipped when decoding and members it
 * does not know are dropped when encoding, as kube's own codecs do.
 *
 * Threading: pure functions.
 */
#ifndef CPLANE_HOST_APISERVER_PROTOBUF_H
#define CPLANE_HOST_APISERVER_PROTOBUF_H

#include <stddef.h>

#include <json-c/json.h>

#define CP_PROTOBUF_CONTENT_TYPE "application/vnd.kubernetes.protobuf"
#define CP_PROTOBUF_WATCH_CONTENT_TYPE \
  "application/vnd.kubernetes.protobuf;stream=watch"

/* Bounds: nesting of messages (kube's deepest objects nest ~12; the JSON
 * they become stays within the JSON parser's 64), and a body. */
#define CP_PROTOBUF_MAX_DEPTH 24
#define CP_PROTOBUF_MAX_BYTES (64u << 20)

/* Nonzero when a Content-Type names the Kubernetes protobuf encoding. */
int cp_protobuf_is(const char *content_type);

/* Nonzero when an Accept header prefers protobuf (the first media range
 * of the highest q is application/vnd.kubernetes.protobuf, not asking
 * for a Table or another conversion). */
int cp_protobuf_wanted(const char *accept);

/* Nonzero when the table has a message for apiVersion/kind. */
int cp_protobuf_known(const char *api_version, const char *kind);

/* Decodes a "k8s\0"-enveloped runtime.Unknown of a known kind into JSON
 * text. Returns 0 with *json (owned: free()), or -1 with *why (static
 * text) for an unknown kind or a malformed body. */
int cp_protobuf_to_json(const char *body, size_t len, char **json,
                        const char **why);

/* The why of cp_protobuf_to_json for a body whose envelope or message
 * does not parse, and for an envelope naming a kind the table lacks
 * (compare with strcmp). */
#define CP_PROTOBUF_MALFORMED "unexpected EOF"
#define CP_PROTOBUF_NO_MESSAGE "no protobuf message for the kind"

/* kube-apiserver's 400 for a create or update body of kind into_kind
 * that cp_protobuf_to_json refused with why (transformDecodeError):
 * "<Kind> in version "<v>" cannot be handled as a <into_kind>: ..." once
 * the envelope names a kind, else "the object provided is unrecognized
 * (must be of type <into_kind>): <why> (<first bytes>)". A Status text
 * (owned: free()), NULL out of memory. */
char *cp_protobuf_decode_failure(const char *body, size_t len,
                                 const char *why, const char *into_kind);

/* Encodes obj (with apiVersion and kind the table knows) as a
 * "k8s\0"-enveloped runtime.Unknown. Returns 0 with *out (owned: free())
 * and *len, or -1 for an unknown kind, a member of the wrong JSON type or
 * no memory (the caller then answers JSON). */
int cp_protobuf_from_json(json_object *obj, char **out, size_t *len);

/* One watch frame: length, then WatchEvent{type, object: enveloped obj}.
 * Same returns as cp_protobuf_from_json. */
int cp_protobuf_watch_frame(const char *type, json_object *obj, char **out,
                            size_t *len);

#endif
