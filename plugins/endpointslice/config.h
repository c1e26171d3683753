/*
 * config - the endpointslice plugin's INI keys:
 *   max_endpoints_per_slice  endpoints in one slice, 1..1000 (kube's
 *                            --max-endpoints-per-slice; default 100)
 *
 * Threading: none inside; init() only.
 */
#ifndef ES_CONFIG_H
#define ES_CONFIG_H

#define ES_MAX_PER_SLICE_DEFAULT 100
#define ES_MAX_PER_SLICE_LIMIT 1000 /* the API server's bound on a slice */

/* Parses max_endpoints_per_slice (NULL: the default) into *out. 0, or -1
 * with *why (static text) for a bad value. */
int es_config_max_per_slice(const char *value, int *out, const char **why);

#endif
