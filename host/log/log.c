/*
 * log - see log.h. The level is an atomic so the fast path (a line below
 * the level) costs one relaxed load and no lock.
 */
#include "log/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = CPLANE_LOG_INFO;
static atomic_int log_fd = 2;

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

void cp_logv(int level, const char *component, const char *fmt, va_list ap) {
  char line[4096];
  struct timespec ts;
  struct tm tm;
  size_t n;
  int r;

  if (level > cp_log_get_level())
    return;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
  r = snprintf(line + n, sizeof line - n, ".%03ldZ %-5s %s: ",
               ts.tv_nsec / 1000000, cp_log_level_name(level),
               component ? component : "cplane");
  if (r > 0)
    n += (size_t)r < sizeof line - n ? (size_t)r : sizeof line - n - 1;
  r = vsnprintf(line + n, sizeof line - n, fmt, ap);
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

void cp_log(int level, const char *component, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  cp_logv(level, component, fmt, ap);
  va_end(ap);
}
