/*
 * isolated_describe - what an isolated plugin's descriptor declares
 * (the resources it watches, those it writes: ABI 1.4's writes[]), read
 * by the host without loading the plugin into its own process.
 *
 * The host makes an isolated plugin's RBAC role from its descriptor
 * (identity_rbac.h) with its admin client, before the plugin's child
 * starts with nothing but its own token (isolated_identity.h). Loading
 * the .so in the host would run the plugin's code (its constructors, its
 * descriptor) in the host's address space, next to the admin credential
 * and the CA key: what isolation keeps out. So the host runs the cplane
 * binary once more, `EXE --config INI --only-plugin NAME --plugin-dir DIR
 * --describe-plugin`: a process with no credential at all that loads the
 * plugin's file as the loader does (every check, no init()), prints one
 * JSON object and exits:
 *   {"name":"N","resources":[{"group":"","version":"v1",
 *    "resource":"configmaps"}],"writes":[{"group":"","resource":"secrets"}]}
 * The host reads it bounded in size (CP_ISOLATED_DESCRIBE_MAX) and time,
 * and checks every field's type and length: it is the plugin's word, as
 * its descriptor is in-process.
 *
 * Threading: cp_isolated_describe() blocks its caller (the supervisor's
 * thread) up to its timeout; the rest is pure. Ownership: a
 * cp_isolated_desc owns its arrays and strings (cp_isolated_desc_free).
 */
#ifndef CPLANE_HOST_PLUGIN_ISOLATED_DESCRIBE_H
#define CPLANE_HOST_PLUGIN_ISOLATED_DESCRIBE_H

#include <stddef.h>
#include <stdio.h>

#include "cplane/plugin.h"

struct cp_config;
struct cplane_plugin_ctx;

/* Output past this is refused (64 entries of short names are ~10 KiB). */
#define CP_ISOLATED_DESCRIBE_MAX (256u * 1024)
/* At most this many resources and as many writes (the loader's bound). */
#define CP_ISOLATED_DESCRIBE_MAX_RESOURCES 64
/* A group, version or resource longer than this is refused. */
#define CP_ISOLATED_DESCRIBE_MAX_NAME 316

struct cp_isolated_desc {
  /* name, resources/n_resources and writes/n_writes are set; every other
   * field is zero. */
  struct cplane_plugin desc;
  struct cplane_resource *resources, *writes;
  void *json; /* the parsed answer (json-c): the strings point into it */
};

/* In the describing process: p's declarations as the JSON line above. */
int cp_isolated_describe_print(const struct cplane_plugin_ctx *p, FILE *out);
/* The describing process's whole work (main.c, --describe-plugin):
 * loads plugin `name` of cfg from plugin_dir, prints, returns the exit
 * status (0, or 1 with the loader's message on stderr). */
int cp_isolated_describe_main(const struct cp_config *cfg,
                              const char *plugin_dir, const char *name);

/* Reads that JSON (text[0..len)) for plugin `name` into *out. Returns 0,
 * or -1 with *errmsg (malloc'd) naming what is wrong. */
int cp_isolated_describe_parse(const char *text, size_t len,
                               const char *name,
                               struct cp_isolated_desc *out, char **errmsg);
void cp_isolated_desc_free(struct cp_isolated_desc *d);

/* Runs argv (NULL-terminated; argv[0] a path), reads what it prints
 * within timeout_ms and parses it as above. The process gets /dev/null as
 * stdin and stderr, no other descriptor of ours, and is killed at the
 * timeout. Returns 0, or -1 with *errmsg. */
int cp_isolated_describe(char *const argv[], const char *name,
                         int timeout_ms, struct cp_isolated_desc *out,
                         char **errmsg);

#endif /* CPLANE_HOST_PLUGIN_ISOLATED_DESCRIBE_H */
