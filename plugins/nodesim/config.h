/*
 * config - [plugin.nodesim]: each key read and checked (a bad value is
 * refused with a message naming the key), the labels and taints turned
 * into what the Node will carry, and the per-node arrays allocated.
 *
 * Ownership: what nsim_configure and the parsers put in *st belongs to st
 * and is freed by nsim_free_state. Messages returned are static text.
 *
 * Threading: init() and fini() only.
 */
#ifndef NODESIM_CONFIG_H
#define NODESIM_CONFIG_H

#include "sim.h"

/* A resource quantity as Kubernetes writes them ("4", "500m", "16Gi",
 * "1.5", "1e3"), not negative: 1, else 0. */
int nsim_valid_quantity(const char *s);
/* A DNS-1123 subdomain prefix of at most 40 characters: what a node name
 * may start with. 1, else 0. */
int nsim_valid_prefix(const char *s);

/* Appends "a=b, c=d" to st's labels. NULL, or what is wrong. */
const char *nsim_parse_labels(struct nodesim *st, const char *text);
/* "key=value:Effect, key:Effect" (text may be NULL) into st->taints_json,
 * left NULL when there is none. NULL, or what is wrong. */
const char *nsim_parse_taints(const struct cplane_host_api *api,
                              struct nodesim *st, const char *text);

/* Reads [plugin.nodesim] into st. NULL, or what is wrong. */
const char *nsim_configure(const struct cplane_host_api *api,
                           cplane_plugin_ctx *ctx, struct nodesim *st);

/* Frees st and all it owns; NULL is fine. */
void nsim_free_state(struct nodesim *st);

#endif
