/*
 * record - the plugin's log lines and the events it records, kept for
 * the test to look at (and printed with CPLANE_TEST_LOG=1). Events go
 * through the host's own correlator (plugin/event_correlator.h) on the
 * kit's clock, so they are aggregated, counted and spam-filtered as the
 * host's recorder does; the kit keeps the Events that would be written.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit.h"
#include "object/object.h"
#include "plugin/event_correlator.h"

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

static void event_free(struct cplane_test_event *e) {
  free((char *)e->type);
  free((char *)e->reason);
  free((char *)e->message);
  free((char *)e->kind);
  free((char *)e->ns);
  free((char *)e->name);
  free((char *)e->event_name);
  free(e);
}

/* The Event named `name` recorded already, or NULL. With mu. */
static struct cplane_test_event *event_named(struct cplane_test_host *h,
                                             const char *name) {
  size_t i;

  for (i = 0; i < h->n_events; i++)
    if (strcmp(h->events[i]->event_name, name) == 0)
      return h->events[i];
  return NULL;
}

/* A new record of the Event d decided (its name and message taken from
 * d). Returns CPLANE_OK or CPLANE_ENOMEM. With mu. */
static int event_add(struct cplane_test_host *h,
                     const struct cp_event_fields *f,
                     struct cp_event_decision *d) {
  struct cplane_test_event *e = calloc(1, sizeof *e), **grown;

  if (e == NULL)
    return CPLANE_ENOMEM;
  e->type = strdup(f->type);
  e->reason = strdup(f->reason);
  e->kind = strdup(f->kind);
  e->ns = strdup(f->ns);
  e->name = strdup(f->name);
  e->message = d->message;
  e->event_name = d->name;
  e->count = d->count;
  d->message = d->name = NULL;
  grown = realloc(h->events, (h->n_events + 1) * sizeof *grown);
  if (e->type == NULL || e->reason == NULL || e->kind == NULL ||
      e->ns == NULL || e->name == NULL || grown == NULL) {
    if (grown != NULL)
      h->events = grown;
    event_free(e);
    return CPLANE_ENOMEM;
  }
  h->events = grown;
  h->events[h->n_events++] = e;
  return CPLANE_OK;
}

/* What the host's recorder does with one event: correlate, then create
 * the Event or raise the count of the one it continues. With mu. */
static int event_correlate(struct cplane_test_host *h,
                           const struct cp_event_fields *f) {
  struct cp_event_decision d;
  struct cplane_test_event *e;
  int verdict, rc = CPLANE_OK;

  if (h->correlator == NULL &&
      (h->correlator = cp_event_correlator_new()) == NULL)
    return CPLANE_ENOMEM;
  verdict = cp_event_correlate(h->correlator, f, &d);
  if (verdict < 0)
    return CPLANE_ENOMEM;
  if (verdict == 0) /* the spam filter: accepted, never written */
    goto out;
  e = event_named(h, d.name);
  if (e == NULL) {
    rc = event_add(h, f, &d);
    goto out;
  }
  free((char *)e->message);
  e->message = d.message;
  d.message = NULL;
  e->count = d.count;
out:
  cp_event_decision_clear(&d);
  return rc;
}

static const char *or_empty(const char *s) { return s != NULL ? s : ""; }

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
  struct cp_event_fields f;
  char message[1024], av[256];
  const char *api_version;
  va_list ap;
  int rc;

  if (h == NULL || res == NULL || regarding == NULL || type == NULL ||
      (strcmp(type, "Normal") != 0 && strcmp(type, "Warning") != 0) ||
      !reason_ok(reason) || fmt == NULL)
    return CPLANE_EINVAL;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  api_version = cp_object_string(regarding, "apiVersion");
  if (api_version == NULL) {
    snprintf(av, sizeof av, "%s%s%s", or_empty(res->group),
             or_empty(res->group)[0] != '\0' ? "/" : "",
             or_empty(res->version));
    api_version = av;
  }
  pthread_mutex_lock(&h->mu);
  f = (struct cp_event_fields){
      h->plugin != NULL ? or_empty(h->plugin->name) : "",
      "cplane-test",
      or_empty(cp_object_string(regarding, "kind")),
      api_version,
      or_empty(cp_object_namespace(regarding)),
      or_empty(cp_object_name(regarding)),
      or_empty(cp_object_string(regarding, "metadata.uid")),
      type,
      reason,
      message,
      h->now_ms};
  rc = event_correlate(h, &f);
  pthread_mutex_unlock(&h->mu);
  return rc;
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
    if (reason == NULL || strcmp(h->events[i]->reason, reason) == 0)
      n += (size_t)h->events[i]->count;
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
  cp_event_correlator_free(h->correlator);
  h->correlator = NULL;
}
