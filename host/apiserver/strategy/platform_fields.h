/*
 * platform_fields - what the platform kinds' strategies (networking,
 * rbac, storage, admission, aggregation, certificates) share: typed reads
 * of JSON members (every read checks the type, a client's object is never
 * trusted), values rendered as kube's field errors print Go values
 * ([]string{"a"}, []byte{0x2d}), and the name rules of apimachinery that
 * labels/names.h does not hold (path segment names, fully qualified
 * names, DNS-1035 labels, port names and numbers, CIDRs).
 *
 * Threading: pure functions. Ownership: getters borrow from the object;
 * cp_plat_go_* return malloc'd text (NULL when out of memory).
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_PLATFORM_FIELDS_H
#define CPLANE_HOST_APISERVER_STRATEGY_PLATFORM_FIELDS_H

#include <stddef.h>

#include <json-c/json.h>

#include "apiserver/field_errors.h"

/* Member key of o when o is an object and the member has type t, else
 * NULL. */
json_object *cp_plat_get(json_object *o, const char *key, json_type t);
/* The string member key of o, or NULL. */
const char *cp_plat_str(json_object *o, const char *key);
/* The string member, or "" when absent or not a string. */
const char *cp_plat_str0(json_object *o, const char *key);
/* The length of array member key, 0 when absent. */
size_t cp_plat_len(json_object *o, const char *key);
/* 1 and *v when member key is an integer; else 0. */
int cp_plat_int(json_object *o, const char *key, long long *v);
/* The boolean member key, or def when absent or not a boolean. */
int cp_plat_bool(json_object *o, const char *key, int def);
/* 1 when a and b are equal JSON (both NULL counts as equal). */
int cp_plat_equal(json_object *a, json_object *b);

/* A value as kube's field errors print it: a string %q, a number or
 * boolean bare, an array of strings []string{"a", "b"} (NULL:
 * []string(nil)), anything else as JSON. */
char *cp_plat_go_value(json_object *v);
/* []byte{0x2d, 0x2d} of n bytes. */
char *cp_plat_go_bytes(const unsigned char *b, size_t n);

/* Decodes standard base64 (a "format: byte" field) as Go's
 * base64.StdEncoding does; malloc'd bytes (NUL-terminated, not counted)
 * and *n, or NULL when s is not base64 (or out of memory). */
unsigned char *cp_plat_b64_decode(const char *s, size_t *n);

/* Adds kube's ValidateImmutableField error (Invalid: "field is
 * immutable") at field when a and b differ. */
void cp_plat_immutable(struct cp_field_errors *e, const char *field,
                       json_object *now, json_object *was);

/* apimachinery path.IsValidPathSegmentName (RBAC and APIService names):
 * kube's message, or NULL when valid (or name is NULL). */
const char *cp_plat_path_segment_error(const char *name);
/* validation.IsDNS1035Label: kube's message, or NULL. */
const char *cp_plat_dns1035_error(const char *s);
/* validation.IsValidPortName: kube's message, or NULL. */
const char *cp_plat_port_name_error(const char *s);
/* Adds validation.IsFullyQualifiedName's errors for name at field
 * (a DNS subdomain of at least three dot-separated segments). */
void cp_plat_fully_qualified(struct cp_field_errors *e, const char *field,
                             const char *name);
/* Parses an IPv4 or IPv6 CIDR "a.b.c.d/n"; 1 when valid, then addr (16
 * bytes, IPv4 mapped to its first 4), family bits (32 or 128) and prefix
 * length. */
int cp_plat_cidr(const char *s, unsigned char addr[16], int *bits,
                 int *prefix);
/* 1 when s is an IPv4 or IPv6 address. */
int cp_plat_is_ip(const char *s);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_PLATFORM_FIELDS_H */
