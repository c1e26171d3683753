/*
 * log - one line per event, with a level, a component and a time stamp.
 *
 * Lines go to stderr (or a file set with cp_log_set_file) as
 *   2026-11-25T01:02:03.456Z INFO  loader: loaded plugin "replicaset" ...
 * so that an operator can grep by level and component.
 *
 * Threading: every function is thread-safe; each line is written with one
 * write so lines from different threads never interleave.
 */
#ifndef CPLANE_HOST_LOG_H
#define CPLANE_HOST_LOG_H

#include <stdarg.h>

#include <cplane/version.h>

/* Levels are the SDK's CPLANE_LOG_ERROR..CPLANE_LOG_DEBUG. */
void cp_log_set_level(int level);
int cp_log_get_level(void);
/* Parses "error", "warn", "info", "debug"; returns the level or -1. */
int cp_log_level_parse(const char *name);
const char *cp_log_level_name(int level);
/* Redirects output to fd (default 2). The caller keeps ownership of fd. */
void cp_log_set_fd(int fd);

/* A line equal to the one before it, within this many milliseconds of
 * that line's first copy, is not written but counted; the count comes
 * out as the line with " (repeated N times)" when another line is logged
 * or the window has passed. 0 writes every line. */
#define CP_LOG_REPEAT_WINDOW_MS 5000
void cp_log_set_repeat_window_ms(int ms);

void cp_log(int level, const char *component, const char *fmt, ...)
    CPLANE_PRINTF(3, 4);
void cp_logv(int level, const char *component, const char *fmt, va_list ap);

#define cp_log_error(c, ...) cp_log(CPLANE_LOG_ERROR, (c), __VA_ARGS__)
#define cp_log_warn(c, ...) cp_log(CPLANE_LOG_WARN, (c), __VA_ARGS__)
#define cp_log_info(c, ...) cp_log(CPLANE_LOG_INFO, (c), __VA_ARGS__)
#define cp_log_debug(c, ...) cp_log(CPLANE_LOG_DEBUG, (c), __VA_ARGS__)

#endif /* CPLANE_HOST_LOG_H */
