/*
 * kubeconfig - reads a kubeconfig file (kubectl's format) into what the
 * REST client needs: the current context's server, CA, token and client
 * certificate, inline (*-data, base64) or as file paths. Parsed with
 * libyaml.
 *
 * Threading: pure; safe from any thread.
 * Ownership: cp_kubeconfig_free releases every string.
 */
#ifndef CPLANE_HOST_CLIENT_KUBECONFIG_H
#define CPLANE_HOST_CLIENT_KUBECONFIG_H

struct cp_kubeconfig {
  char *context, *server;
  char *ca_file, *ca_pem;     /* one of them, or neither (plain http) */
  char *token;
  char *token_file;           /* tokenFile: re-read as it changes */
  char *cert_file, *cert_pem; /* client certificate */
  char *key_file, *key_pem;
  int insecure;               /* insecure-skip-tls-verify: true */
};

#include <stddef.h>

/* A kubeconfig larger than this is refused (inline certificates make a
 * few KiB per cluster and user). */
#define CP_KUBECONFIG_MAX_BYTES (16u << 20)

/* Loads path (read whole, at most CP_KUBECONFIG_MAX_BYTES, then
 * cp_kubeconfig_parse). context NULL takes current-context. Returns 0, or
 * -1 with *errmsg (malloc'd) naming the file and what is missing. */
int cp_kubeconfig_load(const char *path, const char *context,
                       struct cp_kubeconfig *out, char **errmsg);
/* The same over text[0..len) in memory. `path` is the file it stands for:
 * messages name it and relative file paths inside resolve against its
 * directory. */
int cp_kubeconfig_parse(const char *path, const char *text, size_t len,
                        const char *context, struct cp_kubeconfig *out,
                        char **errmsg);
void cp_kubeconfig_free(struct cp_kubeconfig *kc);

#endif /* CPLANE_HOST_CLIENT_KUBECONFIG_H */
