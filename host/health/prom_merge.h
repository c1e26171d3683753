/*
 * prom_merge - joins several Prometheus text expositions into one.
 *
 * The text format wants every sample of a metric family in one group,
 * under one HELP and one TYPE line: an isolated plugin's child reports
 * the same families as the host (workqueue_depth, reconcile totals...),
 * so its text cannot simply be appended to the host's. Here each source
 * is cut into families (a family starts at its "# HELP" or "# TYPE" line;
 * a sample belongs to the family last declared in its own source), and
 * the families are written in order of first appearance, each with the
 * first source's HELP and TYPE and then every source's samples, in
 * source order. Blank lines and other comments are dropped.
 *
 * It does not parse values or check labels: a sample repeated with the
 * same labels by two sources stays repeated, so callers keep their
 * sources' series apart (a plugin label, say).
 *
 * Threading: pure. Ownership: the sources are borrowed.
 */
#ifndef CPLANE_HOST_HEALTH_PROM_MERGE_H
#define CPLANE_HOST_HEALTH_PROM_MERGE_H

#include <stddef.h>
#include <stdio.h>

/* Writes the merge of src[0..n) (NUL-terminated texts; NULL entries are
 * skipped) to out. Returns 0, or -1 when out of memory or on a write
 * error. At most CP_PROM_MERGE_MAX_FAMILIES families are kept (more are
 * dropped, as a malformed source would otherwise grow without bound). */
#define CP_PROM_MERGE_MAX_FAMILIES 4096
int cp_prom_merge(const char *const *src, size_t n, FILE *out);

#endif /* CPLANE_HOST_HEALTH_PROM_MERGE_H */
