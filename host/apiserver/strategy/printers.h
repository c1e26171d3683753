/*
 * printers - the cell formats kubectl's server-side printers use
 * (pkg/printers/internalversion/printers.go), for the strategies' Table
 * cells: ages as HumanDuration, the container names and images of a pod
 * template, a label selector as text, label maps as k=v lists.
 *
 * Threading: pure functions. Ownership: cells are appended to an array
 * the caller owns; objects read are borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_PRINTERS_H
#define CPLANE_HOST_APISERVER_STRATEGY_PRINTERS_H

#include <stddef.h>

#include <json-c/json.h>

/* kube's duration.HumanDuration of seconds: "45s", "5m10s", "3d4h". */
void cp_print_duration(char *buf, size_t len, long long seconds);
/* The age of an RFC 3339 timestamp at now, or "<unknown>". */
void cp_print_age(char *buf, size_t len, const char *ts, long long now);
/* Seconds since the epoch of an RFC 3339 timestamp; -1 when unreadable. */
long long cp_print_time(const char *ts);

/* Appends a string cell (NULL: "<none>"), an integer cell, a boolean. */
void cp_cell_str(json_object *cells, const char *s);
void cp_cell_int(json_object *cells, long long v);
void cp_cell_bool(json_object *cells, int v);
/* Appends the NAME cell (metadata.name). */
void cp_cell_name(json_object *cells, json_object *obj);
/* Appends the AGE cell of obj. */
void cp_cell_age(json_object *cells, json_object *obj, long long now);
/* Appends two cells: the names and the images of the template's
 * containers (tmpl: a PodTemplateSpec), comma-separated. */
void cp_cell_containers(json_object *cells, json_object *tmpl);
/* Appends metav1.FormatLabelSelector(sel): "app=web,tier in (a,b)",
 * "<none>" for a NULL or empty one, "<error>" for a malformed one. */
void cp_cell_selector(json_object *cells, json_object *sel);
/* Appends labels.FormatLabels(m): "a=b,c=d" sorted, "<none>" empty. */
void cp_cell_label_map(json_object *cells, json_object *m);
/* An IntOrString as text ("1", "50%"), or NULL when absent. */
const char *cp_print_int_or_string(json_object *v, char *buf, size_t len);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_PRINTERS_H */
