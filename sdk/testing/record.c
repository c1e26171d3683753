/*
 * record - the plugin's log lines and the events it records, kept for
 * the test to look at (and printed with CPLANE_TEST_LOG=1).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit.h"
#include "object/object.h"

/* Bounds a line as the host's log does, so a runaway message cannot eat
 * the test's memory. */
#define LINE_MAX_BYTES 4096

static const char *level_name(int level) {
  switch (level) {
  case CPLANE_LOG_ERROR:
    return "ERROR";
  case CPLANE_LOG_WARN:
    return "WARN";
  case CPLANE_LOG_INFO:
    return "INFO";
  default:
    return "DEBUG";
  }
}

static void append_line(struct cplane_test_host *h, char *line) {
  char **grown;
  const char *echo = getenv("CPLANE_TEST_LOG");

  if (line == NULL)
    return;
  if (echo != NULL && echo[0] == '1')
    fprintf(stderr, "cplane_test: %s\n", line);
  pthread_mutex_lock(&h->mu);
  grown = realloc(h->logs, (h->n_logs + 1) * sizeof *grown);
  if (grown != NULL) {
    h->logs = grown;
    h->logs[h->n_logs++] = line;
    line = NULL;
  }
  pthread_mutex_unlock(&h->mu);
  free(line);
}

static void vlog_line(struct cplane_test_host *h, const char *level,
                      const char *fmt, va_list ap) {
  char *line = malloc(LINE_MAX_BYTES);
  int n;

  if (line == NULL)
    return;
  n = snprintf(line, LINE_MAX_BYTES, "%s ", level);
  vsnprintf(line + n, LINE_MAX_BYTES - (size_t)n, fmt, ap);
  append_line(h, line);
}

void kit_log(struct cplane_test_host *h, const char *level, const char *fmt,
             ...) {
  va_list ap;

  va_start(ap, fmt);
  vlog_line(h, level, fmt, ap);
  va_end(ap);
}

static void kit_api_log(cplane_plugin_ctx *ctx, int level, const char *fmt, ...)
    CPLANE_PRINTF(3, 4);

static void kit_api_log(cplane_plugin_ctx *ctx, int level, const char *fmt,
                        ...) {
  va_list ap;

  if (ctx == NULL || ctx->host == NULL || fmt == NULL)
    return;
  va_start(ap, fmt);
  vlog_line(ctx->host, level_name(level), fmt, ap);
  va_end(ap);
}

static int kit_log_enabled(cplane_plugin_ctx *ctx, int level) {
  (void)ctx;
  return level <= CPLANE_LOG_DEBUG; /* the kit keeps every line */
}

/* A CamelCase reason, as kube's recorder requires. */
static int reason_ok(const char *reason) {
  const char *p;

  if (reason == NULL || reason[0] < 'A' || reason[0] > 'Z' ||
      strlen(reason) > 128)
    return 0;
  for (p = reason; *p != '\0'; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
          (*p >= '0' && *p <= '9')))
      return 0;
  return 1;
}

static char *dup_or_empty(const char *s) { return strdup(s != NULL ? s : ""); }

static void event_free(struct cplane_test_event *e) {
  free((char *)e->type);
  free((char *)e->reason);
  free((char *)e->message);
  free((char *)e->kind);
  free((char *)e->ns);
  free((char *)e->name);
  free(e);
}

static int kit_event_record(cplane_plugin_ctx *ctx,
                            const struct cplane_resource *res,
                            const cplane_object *regarding, const char *type,
                            const char *reason, const char *fmt, ...)
    CPLANE_PRINTF(6, 7);

static int kit_event_record(cplane_plugin_ctx *ctx,
                            const struct cplane_resource *res,
                            const cplane_object *regarding, const char *type,
                            const char *reason, const char *fmt, ...) {
  struct cplane_test_host *h = ctx != NULL ? ctx->host : NULL;
  struct cplane_test_event *e, **grown;
  char message[1024];
  va_list ap;

  if (h == NULL || res == NULL || regarding == NULL || type == NULL ||
      (strcmp(type, "Normal") != 0 && strcmp(type, "Warning") != 0) ||
      !reason_ok(reason) || fmt == NULL)
    return CPLANE_EINVAL;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  if ((e = calloc(1, sizeof *e)) == NULL)
    return CPLANE_ENOMEM;
  e->type = strdup(type);
  e->reason = strdup(reason);
  e->message = strdup(message);
  e->kind = dup_or_empty(cp_object_string(regarding, "kind"));
  e->ns = dup_or_empty(cp_object_namespace(regarding));
  e->name = dup_or_empty(cp_object_name(regarding));
  if (e->type == NULL || e->reason == NULL || e->message == NULL ||
      e->kind == NULL || e->ns == NULL || e->name == NULL) {
    event_free(e);
    return CPLANE_ENOMEM;
  }
  pthread_mutex_lock(&h->mu);
  grown = realloc(h->events, (h->n_events + 1) * sizeof *grown);
  if (grown != NULL) {
    h->events = grown;
    h->events[h->n_events++] = e;
    e = NULL;
  }
  pthread_mutex_unlock(&h->mu);
  if (e != NULL) {
    event_free(e);
    return CPLANE_ENOMEM;
  }
  return CPLANE_OK;
}

void kit_record_fill(struct cplane_host_api *api) {
  api->log = kit_api_log;
  api->log_enabled = kit_log_enabled;
  api->event_record = kit_event_record;
}

/* ---- inspection ---- */

size_t cplane_test_events_len(const cplane_test_host *h) {
  return h != NULL ? h->n_events : 0;
}

const struct cplane_test_event *cplane_test_event_at(const cplane_test_host *h,
                                                     size_t i) {
  return h != NULL && i < h->n_events ? h->events[i] : NULL;
}

size_t cplane_test_events_count(const cplane_test_host *h, const char *reason) {
  size_t i, n = 0;

  for (i = 0; h != NULL && i < h->n_events; i++)
    n += reason == NULL || strcmp(h->events[i]->reason, reason) == 0;
  return n;
}

void cplane_test_events_clear(cplane_test_host *h) {
  size_t i;

  if (h == NULL)
    return;
  pthread_mutex_lock(&h->mu);
  for (i = 0; i < h->n_events; i++)
    event_free(h->events[i]);
  free(h->events);
  h->events = NULL;
  h->n_events = 0;
  pthread_mutex_unlock(&h->mu);
}

size_t cplane_test_logs_len(const cplane_test_host *h) {
  return h != NULL ? h->n_logs : 0;
}

const char *cplane_test_log_at(const cplane_test_host *h, size_t i) {
  return h != NULL && i < h->n_logs ? h->logs[i] : NULL;
}

size_t cplane_test_logs_count(const cplane_test_host *h, const char *text) {
  size_t i, n = 0;

  for (i = 0; h != NULL && text != NULL && i < h->n_logs; i++)
    n += strstr(h->logs[i], text) != NULL;
  return n;
}

void cplane_test_logs_clear(cplane_test_host *h) {
  size_t i;

  if (h == NULL)
    return;
  pthread_mutex_lock(&h->mu);
  for (i = 0; i < h->n_logs; i++)
    free(h->logs[i]);
  free(h->logs);
  h->logs = NULL;
  h->n_logs = 0;
  pthread_mutex_unlock(&h->mu);
}

void kit_record_free(struct cplane_test_host *h) {
  cplane_test_events_clear(h);
  cplane_test_logs_clear(h);
}
