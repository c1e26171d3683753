/*
 * printer_columns - how a custom resource type presents itself, as its
 * CustomResourceDefinition declares: the version's
 * additionalPrinterColumns (the Table columns `kubectl get` prints) and
 * the definition's spec.names.categories (`kubectl get all` lists the
 * types in category "all"). As kube's apiextensions table convertor,
 * a column's jsonPath is a simple path (.spec.replicas,
 * .metadata.labels.app\.kubernetes\.io/name, .status.conditions[0].type,
 * .a['b.c']); the cell is the first value found, or null; a "date"
 * column prints as an age ("5m"), "integer"/"number"/"boolean" as JSON
 * values of that type, "string" as text. Priority 1 columns are only
 * printed by `kubectl get -o wide` (kubectl's choice, from the priority
 * given here).
 *
 * The registry is keyed by the served type (its registry pointer, which
 * stays valid for the process, checked against its group, version and
 * resource); crd.c sets an entry whenever it registers a definition's
 * version, and the Table and discovery code ask by type.
 *
 * Threading: every function may be called from any thread; the registry
 * is guarded by a read-write lock, and rendering runs under the read
 * lock, so an entry replaced meanwhile is never used half-freed.
 * Ownership: returned json objects belong to the caller; the registry
 * copies what it is given.
 */
#ifndef CPLANE_HOST_APISERVER_PRINTER_COLUMNS_H
#define CPLANE_HOST_APISERVER_PRINTER_COLUMNS_H

#include "apiserver/resources.h"

struct json_object;

/* Checks one column list (a CRD version's additionalPrinterColumns,
 * borrowed) as kube's CRD validation does. Returns 0, or -1 with *field
 * (malloc'd, "spec.versions[0].additionalPrinterColumns[1].jsonPath",
 * prefixed by at) and *msg (malloc'd, "Invalid value: ...") set. */
int cp_printer_columns_check(struct json_object *columns, const char *at,
                             char **field, char **msg);

/* Sets what custom type t shows: columns (a version's
 * additionalPrinterColumns, NULL for kube's default Name, Age) and
 * categories (spec.names.categories, NULL for none); both borrowed and
 * copied. Returns 0, or -1 when out of memory (t then keeps what it
 * had). */
int cp_printer_columns_set(const struct cp_resource_type *t,
                           struct json_object *columns,
                           struct json_object *categories);

/* The Table columnDefinitions for t (Name first), or NULL when t has no
 * printer columns of its own (then the caller's default applies). */
struct json_object *cp_printer_columns_definitions(
    const struct cp_resource_type *t);
/* One row's cells for obj to go with those definitions (now: the time
 * ages count to), or NULL when t has no printer columns of its own. */
struct json_object *cp_printer_columns_cells(const struct cp_resource_type *t,
                                             struct json_object *obj,
                                             long long now);

/* Adds "categories" to discovery entry e when custom type t has any. */
void cp_printer_columns_add_categories(const struct cp_resource_type *t,
                                       struct json_object *e);

#endif /* CPLANE_HOST_APISERVER_PRINTER_COLUMNS_H */
