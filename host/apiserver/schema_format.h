/*
 * schema_format - the string formats a schema's `format` keyword names,
 * checked as kube checks them (k8s.io/kube-openapi's strfmt registry, the
 * formats apiextensions-apiserver keeps: date-time, date, byte, uuid,
 * uuid3/4/5, ipv4, ipv6, cidr, mac, hostname, email, uri, duration,
 * hexcolor, rgbcolor, bsonobjectid, password). A format kube does not
 * know (int32 on a string, "quantity", ...) constrains nothing.
 *
 * Threading: pure functions. Ownership: nothing is kept.
 */
#ifndef CPLANE_HOST_APISERVER_SCHEMA_FORMAT_H
#define CPLANE_HOST_APISERVER_SCHEMA_FORMAT_H

#include <stddef.h>

/* 1 when format is one kube validates strings against. */
int cp_format_known(const char *format);
/* 1 when s (len bytes) is a valid value of format, or format is not one
 * kube checks; 0 when kube would refuse it. */
int cp_format_valid(const char *format, const char *s, size_t len);

#endif /* CPLANE_HOST_APISERVER_SCHEMA_FORMAT_H */
