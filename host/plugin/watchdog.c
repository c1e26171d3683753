/*
 * watchdog - see watchdog.h.
 */
#include "plugin/watchdog.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "clock/deadline.h"

struct cp_watchdog {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* CLOCK_MONOTONIC */
  struct cp_watchdog_ops ops;
  void *userdata;
  uint64_t tick_ms;
  int stop;
  int armed;
  struct timespec deadline; /* CLOCK_MONOTONIC, when armed */
};

static int passed(const struct timespec *t) {
  struct timespec now;

  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec > t->tv_sec ||
         (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void *watchdog_main(void *arg) {
  struct cp_watchdog *w = arg;
  struct timespec next;
  int expire;

  pthread_setname_np(pthread_self(), "watchdog"); /* top -H, perf */
  pthread_mutex_lock(&w->mu);
  while (!w->stop) {
    cp_deadline_after_ms(CLOCK_MONOTONIC, (int64_t)w->tick_ms, &next);
    while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &next) == 0)
      ;
    if (w->stop)
      break;
    expire = w->armed && passed(&w->deadline);
    if (expire)
      w->armed = 0;
    /* Callbacks run unlocked: `expired` may take long or never return,
     * and arm/stop must not wait for it. */
    pthread_mutex_unlock(&w->mu);
    if (w->ops.tick != NULL)
      w->ops.tick(w->userdata);
    if (expire && w->ops.expired != NULL)
      w->ops.expired(w->userdata);
    pthread_mutex_lock(&w->mu);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

int cp_watchdog_start(uint64_t tick_ms, const struct cp_watchdog_ops *ops,
                      void *userdata, struct cp_watchdog **out) {
  struct cp_watchdog *w = calloc(1, sizeof *w);
  pthread_condattr_t ca;

  *out = NULL;
  if (w == NULL)
    return -1;
  w->ops = *ops;
  w->userdata = userdata;
  w->tick_ms = tick_ms > 0 ? tick_ms : 1000;
  pthread_mutex_init(&w->mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&w->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&w->thread, NULL, watchdog_main, w) != 0) {
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
    return -1;
  }
  *out = w;
  return 0;
}

void cp_watchdog_arm(struct cp_watchdog *w, uint64_t after_ms) {
  if (w == NULL)
    return;
  pthread_mutex_lock(&w->mu);
  cp_deadline_after_ms(CLOCK_MONOTONIC, (int64_t)after_ms, &w->deadline);
  w->armed = 1;
  pthread_mutex_unlock(&w->mu);
}

void cp_watchdog_stop(struct cp_watchdog *w) {
  if (w == NULL)
    return;
  pthread_mutex_lock(&w->mu);
  w->stop = 1;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->thread, NULL);
  pthread_cond_destroy(&w->cv);
  pthread_mutex_destroy(&w->mu);
  free(w);
}
