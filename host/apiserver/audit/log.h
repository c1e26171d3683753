/*
 * audit/log - the audit log backend: one JSON line per event written to a
 * file (or stdout for path "-") by one writer thread, rotated by size as
 * kube-apiserver's log backend does through lumberjack
 * (--audit-log-maxsize, -maxbackup, -maxage): when a line would take the
 * file past max_bytes it is renamed to "<name>-<UTC time>.<ext>" (for
 * "audit.log": "audit-2006-01-02T15-04-05.000.log") and a new one is
 * opened; then backups beyond max_backups, or older than max_age_days,
 * are removed.
 *
 * It never blocks the request path: cp_audit_log_write queues the line in
 * a bounded queue (CP_AUDIT_LOG_QUEUE_LINES lines, CP_AUDIT_LOG_QUEUE_BYTES
 * bytes) and returns. When the queue is full the event is dropped and
 * counted (cplane_apiserver_audit_events_dropped_total), where kube's
 * default "blocking" mode would hold the request: a slow disk must not
 * stall the API server's event loop.
 *
 * Threading: write and the counters from any thread; open and close once.
 * Ownership: close drains the queue, joins the writer and frees all.
 */
#ifndef CPLANE_HOST_APISERVER_AUDIT_LOG_H
#define CPLANE_HOST_APISERVER_AUDIT_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CP_AUDIT_LOG_QUEUE_LINES 10000 /* kube's buffered mode's size */
#define CP_AUDIT_LOG_QUEUE_BYTES (64u << 20)

struct cp_audit_log;

struct cp_audit_log_config {
  const char *path;     /* "-": stdout, never rotated */
  uint64_t max_bytes;   /* 0: lumberjack's 100 MB */
  int max_backups;      /* 0: keep every backup */
  int max_age_days;     /* 0: no age limit */
};

/* Opens (appends to) the file and starts the writer. Returns 0, or -1
 * with *err (malloc'd) naming the path and the reason. */
int cp_audit_log_open(const struct cp_audit_log_config *cfg,
                      struct cp_audit_log **out, char **err);
/* Writes what is queued, stops the writer and frees l. NULL: nothing. */
void cp_audit_log_close(struct cp_audit_log *l);

/* Queues one line (len bytes, without its newline); copies it. Returns 0,
 * or -1 when it was dropped (queue full or out of memory). */
int cp_audit_log_write(struct cp_audit_log *l, const char *line, size_t len);

/* Prometheus text for the log's counters. Returns 0, or -1 on a write
 * error. */
int cp_audit_log_metrics_write(struct cp_audit_log *l, FILE *f);

/* lumberjack's backup name of path at time ms (UTC), into buf. */
void cp_audit_log_backup_name(const char *path, int64_t ms, char *buf,
                              size_t len);

#endif /* CPLANE_HOST_APISERVER_AUDIT_LOG_H */
