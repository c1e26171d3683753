/*
 * cafile - the cluster's CA bundle, read once at start as kube's
 * root-ca-cert-publisher reads its root CA: the file `ca_file` names (by
 * default the CA the host verifies the API server with, which the host
 * answers for an unset ca_file), at most RC_CA_MAX bytes, PEM with at
 * least one certificate.
 *
 * Ownership: the text returned is the caller's (free()).
 * Threading: blocking file reads; init() only.
 */
#ifndef RC_CAFILE_H
#define RC_CAFILE_H

#include <stddef.h>

/* A ConfigMap holds at most 1 MiB; a CA bundle is a few KB. */
#define RC_CA_MAX (256 * 1024)

/* The bundle in `path` (malloc'd, NUL-terminated), or NULL with *why set
 * to what is wrong (static text). */
char *rc_read_ca(const char *path, const char **why);

/* 1 when text is PEM holding a certificate and only printable ASCII
 * (what a ConfigMap's data and a JSON string carry as is). */
int rc_ca_valid(const char *text);

#endif
