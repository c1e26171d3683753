/*
 * test_log - the log line format, level filtering and level names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log/log.h"

/* Logs through a pipe and returns what came out (static buffer). */
static const char *capture(int level, const char *msg) {
  static char buf[8192];
  int fds[2];
  ssize_t n;

  assert_int_equal(pipe(fds), 0);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  cp_log_set_fd(fds[1]);
  cp_log(level, "unit", "%s", msg);
  cp_log_set_fd(2);
  n = read(fds[0], buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = '\0';
  close(fds[0]);
  close(fds[1]);
  return buf;
}

static void test_format(void **state) {
  regex_t re;
  const char *line;

  cp_log_set_level(CPLANE_LOG_INFO);
  line = capture(CPLANE_LOG_WARN, "disk almost full");
  assert_int_equal(regcomp(&re,
                           "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
                           "[0-9]{2}\\.[0-9]{3}Z WARN  unit: disk almost "
                           "full\n$",
                           REG_EXTENDED),
                   0);
  if (regexec(&re, line, 0, NULL, 0) != 0)
    fail_msg("bad line: '%s'", line);
  regfree(&re);
}

static void test_level_filter(void **state) {
  cp_log_set_level(CPLANE_LOG_WARN);
  assert_string_equal(capture(CPLANE_LOG_INFO, "hidden"), "");
  assert_string_equal(capture(CPLANE_LOG_DEBUG, "hidden"), "");
  assert_non_null(strstr(capture(CPLANE_LOG_ERROR, "shown"), "ERROR unit: "));
  cp_log_set_level(99);
  assert_int_equal(cp_log_get_level(), CPLANE_LOG_DEBUG);
  cp_log_set_level(-5);
  assert_int_equal(cp_log_get_level(), CPLANE_LOG_ERROR);
}

static void test_long_line_is_one_line(void **state) {
  char big[10000];
  const char *out;

  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  cp_log_set_level(CPLANE_LOG_INFO);
  out = capture(CPLANE_LOG_INFO, big);
  assert_true(strlen(out) < 4100);
  assert_int_equal(out[strlen(out) - 1], '\n');
  assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
}

/* Logs n copies of msg then "other" through one pipe; returns the
 * output (static buffer). */
static const char *capture_repeats(const char *msg, int n) {
  static char buf[65536];
  size_t len = 0;
  ssize_t r;
  int fds[2], i;

  assert_int_equal(pipe(fds), 0);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  cp_log_set_fd(fds[1]);
  for (i = 0; i < n; i++) {
    cp_log(CPLANE_LOG_WARN, "unit", "%s", msg);
    while ((r = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
      len += (size_t)r;
  }
  cp_log(CPLANE_LOG_WARN, "unit", "other");
  cp_log_set_fd(2);
  while ((r = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
    len += (size_t)r;
  buf[len] = '\0';
  close(fds[0]);
  close(fds[1]);
  return buf;
}

static int count_lines(const char *s) {
  int n = 0;

  for (; *s; s++)
    n += *s == '\n';
  return n;
}

/* A flood of one line (accept() failing in a loop) comes out as the line
 * and its count, not 100,000 lines. */
static void test_repeats_are_counted(void **state) {
  const char *out;

  cp_log_set_level(CPLANE_LOG_INFO);
  cp_log_set_repeat_window_ms(60000);
  out = capture_repeats("accept(): Too many open files", 100000);
  assert_int_equal(count_lines(out), 3);
  assert_non_null(strstr(out, "WARN  unit: accept(): Too many open files\n"));
  assert_non_null(strstr(out, "WARN  unit: accept(): Too many open files "
                              "(repeated 99999 times)\n"));
  assert_non_null(strstr(out, "WARN  unit: other\n"));
  /* Different lines are never merged. */
  out = capture_repeats("once", 1);
  assert_int_equal(count_lines(out), 2);
  cp_log_set_repeat_window_ms(CP_LOG_REPEAT_WINDOW_MS);
}

/* After the window the line is written again (with the count before
 * it), so a repeating failure stays visible; 0 turns counting off. */
static void test_repeat_window(void **state) {
  const char *out;

  cp_log_set_level(CPLANE_LOG_INFO);
  cp_log_set_repeat_window_ms(0);
  out = capture_repeats("tick", 5);
  assert_int_equal(count_lines(out), 6);
  cp_log_set_repeat_window_ms(1);
  out = capture_repeats("slow", 1);
  usleep(5000);
  out = capture_repeats("slow", 1);
  assert_int_equal(count_lines(out), 2);
  assert_null(strstr(out, "repeated"));
  cp_log_set_repeat_window_ms(CP_LOG_REPEAT_WINDOW_MS);
}

static void test_level_names(void **state) {
  assert_int_equal(cp_log_level_parse("debug"), CPLANE_LOG_DEBUG);
  assert_int_equal(cp_log_level_parse("WARNING"), CPLANE_LOG_WARN);
  assert_int_equal(cp_log_level_parse("Error"), CPLANE_LOG_ERROR);
  assert_int_equal(cp_log_level_parse("loud"), -1);
  assert_int_equal(cp_log_level_parse(NULL), -1);
  assert_string_equal(cp_log_level_name(CPLANE_LOG_INFO), "INFO");
  assert_string_equal(cp_log_level_name(42), "?");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format),
      cmocka_unit_test(test_level_filter),
      cmocka_unit_test(test_long_line_is_one_line),
      cmocka_unit_test(test_level_names),
      cmocka_unit_test(test_repeats_are_counted),
      cmocka_unit_test(test_repeat_window),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
