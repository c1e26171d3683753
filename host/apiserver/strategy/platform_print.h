/*
 * platform_print - the Table cells of the platform kinds, as kube's
 * server-side printers (pkg/printers/internalversion/printers.go) write
 * them: ages as duration.HumanDuration, a label selector as
 * metav1.FormatLabelSelector, "<none>" for what is absent.
 *
 * Threading: pure functions. Ownership: cells are appended to an array
 * the caller owns; objects read are borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_PLATFORM_PRINT_H
#define CPLANE_HOST_APISERVER_STRATEGY_PLATFORM_PRINT_H

#include <stddef.h>

#include <json-c/json.h>

/* kube's duration.HumanDuration of seconds: "45s", "5m10s", "3d4h". */
void cp_plat_duration(char *buf, size_t len, long long seconds);
/* Seconds since the epoch of an RFC 3339 UTC timestamp; -1 when not. */
long long cp_plat_time(const char *ts);

/* Appends a string cell; NULL appends "<none>". */
void cp_plat_cell_str(json_object *cells, const char *s);
void cp_plat_cell_int(json_object *cells, long long v);
void cp_plat_cell_bool(json_object *cells, int v);
/* metadata.name. */
void cp_plat_cell_name(json_object *cells, json_object *obj);
/* The age of metadata.creationTimestamp at now, "<unknown>" without. */
void cp_plat_cell_age(json_object *cells, json_object *obj, long long now);
/* metav1.FormatLabelSelector: "app=web,tier in (a,b)", "<none>" when
 * empty or absent, "<error>" when malformed. */
void cp_plat_cell_selector(json_object *cells, json_object *sel);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_PLATFORM_PRINT_H */
