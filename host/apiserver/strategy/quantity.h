/*
 * quantity - a resource.Quantity ("100m", "1Gi", "0.5", "1e3", 2) as an
 * exact count of nano-units, so two quantities compare and add as
 * kube's inf.Dec arithmetic does for every value a pod can carry.
 *
 * Threading: pure; any thread.
 * Ownership: borrows its argument.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_QUANTITY_H
#define CPLANE_HOST_APISERVER_STRATEGY_QUANTITY_H

#include <json-c/json.h>

/* Nano-units; values beyond CP_QUANTITY_MAX (10^36 nano, far beyond
 * any real resource) saturate there. */
typedef __int128 cp_quantity;
#define CP_QUANTITY_MAX ((cp_quantity)1000000000000000000LL * 1000000000000000000LL)

/* Parses q (a JSON string or number). Returns 0 and *out, or -1 when q
 * is not a quantity (validation reports that; callers skip it). */
int cp_quantity_parse(json_object *q, cp_quantity *out);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_QUANTITY_H */
