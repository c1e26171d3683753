/*
 * inflight - see inflight.h.
 */
#include "plugin/inflight.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock/clock.h"
#include "log/assert.h"
#include "log/log.h"
#include "plugin/crash.h"

uint64_t cp_inflight_now_ns(void) { return cp_now_ns(); }

void cp_inflight_set_init(struct cp_inflight_set *s, const char *plugin) {
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->mu, NULL);
  s->plugin = plugin;
}

void cp_inflight_set_destroy(struct cp_inflight_set *s) {
  size_t i;

  for (i = 0; i < s->n; i++)
    free(s->slots[i]);
  free(s->slots);
  pthread_mutex_destroy(&s->mu);
  memset(s, 0, sizeof *s);
}

struct cp_inflight *cp_inflight_slot(struct cp_inflight_set *s, size_t i) {
  struct cp_inflight **grown, *f = NULL;
  size_t k;

  pthread_mutex_lock(&s->mu);
  if (i >= s->n) {
    grown = realloc(s->slots, (i + 1) * sizeof *grown);
    if (grown == NULL)
      goto out;
    s->slots = grown;
    for (k = s->n; k <= i; k++) {
      if ((s->slots[k] = calloc(1, sizeof **s->slots)) == NULL)
        break;
      s->n = k + 1;
    }
    if (i >= s->n)
      goto out;
  }
  f = s->slots[i];
out:
  pthread_mutex_unlock(&s->mu);
  return f;
}

void cp_inflight_begin(struct cp_inflight_set *s, struct cp_inflight *f,
                       const char *callback, const char *key,
                       uint64_t bound_ns) {
  if (f == NULL)
    return;
  pthread_mutex_lock(&s->mu);
  CP_ASSERT(f->started_ns == 0); /* one call at a time per thread */
  f->callback = callback;
  snprintf(f->key, sizeof f->key, "%s", key != NULL ? key : "");
  f->bound_ns = bound_ns;
  f->reported = 0;
  f->started_ns = cp_inflight_now_ns();
  pthread_mutex_unlock(&s->mu);
  cp_crash_mark(s->plugin, f); /* a crash in this call names it */
}

void cp_inflight_end(struct cp_inflight_set *s, struct cp_inflight *f) {
  uint64_t took;
  int reported;

  if (f == NULL)
    return;
  cp_crash_unmark();
  pthread_mutex_lock(&s->mu);
  CP_ASSERT(f->started_ns != 0);
  took = cp_inflight_now_ns() - f->started_ns;
  reported = f->reported;
  f->started_ns = 0;
  f->reported = 0;
  if (reported) /* under mu: callback and key are still this call's */
    cp_log_warn(s->plugin, "%s %s returned after %.3f s (was reported "
                           "stuck)", f->callback, f->key, took / 1e9);
  pthread_mutex_unlock(&s->mu);
}

static int is_stuck(const struct cp_inflight *f, uint64_t now_ns) {
  return f->started_ns != 0 && f->bound_ns != 0 && now_ns > f->started_ns &&
         now_ns - f->started_ns > f->bound_ns;
}

/* Walks the stuck calls: lines into out when set, a WARN line for each
 * one not logged yet when log_new. Returns how many are stuck. */
static size_t walk_stuck(struct cp_inflight_set *s, uint64_t now_ns,
                         FILE *out, int log_new) {
  size_t i, stuck = 0;

  pthread_mutex_lock(&s->mu);
  for (i = 0; i < s->n; i++) {
    struct cp_inflight *f = s->slots[i];
    double ran;

    if (!is_stuck(f, now_ns))
      continue;
    stuck++;
    ran = (now_ns - f->started_ns) / 1e9;
    if (out != NULL)
      fprintf(out, "[-]plugin %s: %s %s stuck for %.1f s (bound %.1f s)\n",
              s->plugin, f->callback, f->key, ran, f->bound_ns / 1e9);
    if (!log_new || f->reported)
      continue;
    f->reported = 1;
    cp_log_warn(s->plugin, "%s %s is stuck: running for %.1f s, past its "
                           "bound of %.1f s",
                f->callback, f->key, ran, f->bound_ns / 1e9);
  }
  pthread_mutex_unlock(&s->mu);
  return stuck;
}

size_t cp_inflight_report(struct cp_inflight_set *s, uint64_t now_ns) {
  return walk_stuck(s, now_ns, NULL, 1);
}

size_t cp_inflight_stuck(struct cp_inflight_set *s, uint64_t now_ns) {
  return walk_stuck(s, now_ns, NULL, 0);
}

size_t cp_inflight_ready_lines(struct cp_inflight_set *s, uint64_t now_ns,
                               FILE *out) {
  return walk_stuck(s, now_ns, out, 0);
}

size_t cp_inflight_log_running(struct cp_inflight_set *s, uint64_t now_ns) {
  size_t i, running = 0;

  pthread_mutex_lock(&s->mu);
  for (i = 0; i < s->n; i++) {
    struct cp_inflight *f = s->slots[i];

    if (f->started_ns == 0)
      continue;
    running++;
    cp_log_error(s->plugin, "abandoning %s %s, running for %.1f s",
                 f->callback, f->key, (now_ns - f->started_ns) / 1e9);
  }
  pthread_mutex_unlock(&s->mu);
  return running;
}
