/*
 * names - Kubernetes' rules for names, label keys and label values
 * (apimachinery's validation IsDNS1123Subdomain, IsDNS1123Label,
 * IsQualifiedName, IsValidLabelValue), with kube-apiserver's messages so
 * that what kubectl prints reads as users expect.
 *
 * Threading: pure functions, safe from any thread.
 * Ownership: the message functions return static strings, or NULL when
 * the input is valid.
 */
#ifndef CPLANE_HOST_NAMES_H
#define CPLANE_HOST_NAMES_H

#include <stddef.h>

/* At most 253 characters: lowercase alphanumerics, '-' and '.', starting
 * and ending alphanumeric (most object names, label key prefixes). */
int cp_name_is_dns1123_subdomain(const char *s, size_t n);
/* At most 63 characters: lowercase alphanumerics and '-', starting and
 * ending alphanumeric (namespace names). */
int cp_name_is_dns1123_label(const char *s, size_t n);
/* A label or annotation key: [prefix/]name, prefix a DNS-1123 subdomain,
 * name at most 63 of [A-Za-z0-9_.-], starting and ending alphanumeric. */
int cp_name_is_qualified(const char *s);
/* A label value: empty, or at most 63 of [A-Za-z0-9_.-], starting and
 * ending alphanumeric. */
int cp_name_is_label_value(const char *s);

/* kube-apiserver's explanation of why s is not valid, or NULL. */
const char *cp_name_dns1123_subdomain_error(const char *s);
const char *cp_name_dns1123_label_error(const char *s);
const char *cp_name_qualified_error(const char *s);
const char *cp_name_label_value_error(const char *s);

#endif /* CPLANE_HOST_NAMES_H */
