/*
 * log - see log.h. The level is an atomic so the fast path (a line below
 * the level) costs one relaxed load and no lock. Lines that are logged
 * take one mutex, which holds the last line for the repeat count.
 */
#include "log/log.h"
#include "clock/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = CPLANE_LOG_INFO;
static atomic_int log_fd = 2;
static atomic_int repeat_window_ms = CP_LOG_REPEAT_WINDOW_MS;

/* The last line logged (without its time stamp), when its window began
 * and how many copies of it were dropped since. */
static pthread_mutex_t last_mu = PTHREAD_MUTEX_INITIALIZER;
static char last_body[4096];
static size_t last_len;
static uint64_t last_start_ns;
static unsigned long last_dropped;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void cp_log_set_level(int level) {
  if (level < CPLANE_LOG_ERROR)
    level = CPLANE_LOG_ERROR;
  if (level > CPLANE_LOG_DEBUG)
    level = CPLANE_LOG_DEBUG;
  atomic_store(&log_level, level);
}

int cp_log_get_level(void) { return atomic_load_explicit(&log_level, memory_order_relaxed); }

int cp_log_level_parse(const char *name) {
  static const char *const lower[] = {"error", "warn", "info", "debug"};
  int i;

  if (name == NULL)
    return -1;
  for (i = 0; i < 4; i++)
    if (strcasecmp(name, lower[i]) == 0)
      return i;
  if (strcasecmp(name, "warning") == 0)
    return CPLANE_LOG_WARN;
  return -1;
}

const char *cp_log_level_name(int level) {
  if (level < CPLANE_LOG_ERROR || level > CPLANE_LOG_DEBUG)
    return "?";
  return level_names[level];
}

void cp_log_set_fd(int fd) { atomic_store(&log_fd, fd); }

void cp_log_set_repeat_window_ms(int ms) {
  atomic_store(&repeat_window_ms, ms > 0 ? ms : 0);
}

/* Writes one line: the time stamp, then body (and suffix). */
static void write_line(const char *body, size_t len, const char *suffix) {
  char line[4096];
  struct timespec ts;
  struct tm tm;
  size_t n;
  int r;

  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
  r = snprintf(line + n, sizeof line - n, ".%03ldZ %.*s%s",
               ts.tv_nsec / 1000000, (int)len, body, suffix);
  if (r > 0)
    n += (size_t)r < sizeof line - n ? (size_t)r : sizeof line - n - 1;
  /* A long line is cut, never split: one write keeps it atomic. */
  if (n > sizeof line - 2)
    n = sizeof line - 2;
  line[n++] = '\n';
  if (write(atomic_load(&log_fd), line, n) < 0) {
    /* Nowhere left to report a failing log; drop the line. */
  }
}

static uint64_t mono_ns(void) { return cp_now_ns(); }

/* A line equal to the last one within the window is only counted: a
 * failure that repeats in a tight loop (accept() out of descriptors)
 * must not fill the disk. The count is logged when another line comes,
 * or the same one after the window. */
static void emit(const char *body, size_t len) {
  uint64_t now = mono_ns(),
           window = (uint64_t)atomic_load(&repeat_window_ms) * 1000000u;
  char suffix[64];

  pthread_mutex_lock(&last_mu);
  if (window > 0 && len == last_len && now - last_start_ns < window &&
      memcmp(body, last_body, len) == 0) {
    last_dropped++;
    pthread_mutex_unlock(&last_mu);
    return;
  }
  if (last_dropped > 0) {
    snprintf(suffix, sizeof suffix, " (repeated %lu times)", last_dropped);
    write_line(last_body, last_len, suffix);
  }
  write_line(body, len, "");
  memcpy(last_body, body, len);
  last_len = len;
  last_start_ns = now;
  last_dropped = 0;
  pthread_mutex_unlock(&last_mu);
}

void cp_logv(int level, const char *component, const char *fmt, va_list ap) {
  char body[4096];
  size_t n = 0;
  int r;

  if (level > cp_log_get_level())
    return;
  r = snprintf(body, sizeof body, "%-5s %s: ", cp_log_level_name(level),
               component ? component : "cplane");
  if (r > 0)
    n = (size_t)r < sizeof body ? (size_t)r : sizeof body - 1;
  r = vsnprintf(body + n, sizeof body - n, fmt, ap);
  if (r > 0)
    n += (size_t)r < sizeof body - n ? (size_t)r : sizeof body - n - 1;
  emit(body, n);
}

void cp_log(int level, const char *component, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  cp_logv(level, component, fmt, ap);
  va_end(ap);
}
