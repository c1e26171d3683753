/*
 * test_supervisor - isolated plugins' supervision without the daemon:
 * the crash-loop backoff (1 s doubling to the cap, reset after a long
 * run), and the supervisor over real child processes (/bin/sh): their
 * output reaches the log whole and tagged, a crash (signal or non-zero
 * status) is counted and restarted with backoff, a clean unasked exit is
 * restarted but not counted, a changed fingerprint restarts at once,
 * a command that cannot start is retried with the backoff, retain drops
 * the others, readiness and metrics say so, and a child that
 * ignores SIGTERM is killed within the stop timeout.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"
#include "plugin/crashloop.h"
#include "plugin/supervisor.h"

static void test_backoff_doubles_to_cap_and_resets(void **state) {
  struct cp_crashloop c;

  (void)state;
  cp_crashloop_init(&c, 0, 0, 0);
  assert_int_equal(c.initial_ms, 1000);
  assert_int_equal(c.cap_ms, 60000);
  assert_int_equal(c.reset_after_ms, 120000);
  assert_int_equal(cp_crashloop_next(&c, 0), 1000);
  assert_int_equal(cp_crashloop_next(&c, 10), 2000);
  assert_int_equal(cp_crashloop_next(&c, 10), 4000);
  assert_int_equal(cp_crashloop_next(&c, 10), 8000);
  assert_int_equal(cp_crashloop_next(&c, 10), 16000);
  assert_int_equal(cp_crashloop_next(&c, 10), 32000);
  assert_int_equal(cp_crashloop_next(&c, 10), 60000); /* capped */
  assert_int_equal(cp_crashloop_next(&c, 10), 60000);
  /* Ran 2 minutes before this exit: it starts over. */
  assert_int_equal(cp_crashloop_next(&c, 120000), 1000);
  assert_int_equal(cp_crashloop_next(&c, 119999), 2000);
  /* A cap below the initial delay is raised to it. */
  cp_crashloop_init(&c, 500, 100, 1000);
  assert_int_equal(cp_crashloop_next(&c, 0), 500);
  assert_int_equal(cp_crashloop_next(&c, 0), 500);
}

static uint64_t ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void nap(void) {
  struct timespec ts = {0, 20000000};

  nanosleep(&ts, NULL);
}

/* The whole log file so far (caller frees). */
static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  char *buf;
  long size;
  size_t n;

  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  size = ftell(f);
  rewind(f);
  buf = calloc(1, (size_t)size + 1);
  assert_non_null(buf);
  n = fread(buf, 1, (size_t)size, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static int log_has(const char *path, const char *needle) {
  char *text = slurp(path);
  int yes = strstr(text, needle) != NULL;

  free(text);
  return yes;
}

static void wait_log(const char *path, const char *needle) {
  uint64_t t0 = ms();

  while (!log_has(path, needle)) {
    if (ms() - t0 > 20000)
      fail_msg("no '%s' in the supervisor's log", needle);
    nap();
  }
}

static int wait_pid(struct cp_supervisor *s, const char *name) {
  uint64_t t0 = ms();
  int pid;

  while ((pid = cp_supervisor_pid(s, name)) == 0) {
    if (ms() - t0 > 20000)
      fail_msg("%s never started", name);
    nap();
  }
  return pid;
}

static char *memtext(void (*fn)(struct cp_supervisor *, FILE *),
                     struct cp_supervisor *s) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);

  assert_non_null(f);
  fn(s, f);
  fclose(f);
  return text;
}

static void ready_text(struct cp_supervisor *s, FILE *f) {
  cp_supervisor_ready(s, f);
}

static void metrics_text(struct cp_supervisor *s, FILE *f) {
  assert_int_equal(cp_supervisor_metrics_write(s, f), 0);
}

static void test_supervisor_runs_restarts_and_counts(void **state) {
  char logpath[] = "/tmp/test-supervisor-XXXXXX", want[128], *text;
  char *const sleeper[] = {"/bin/sh", "-c", "echo hello; exec sleep 30",
                           NULL};
  char *const crashy[] = {"/bin/sh", "-c",
                          "echo 'last words'; kill -SEGV $$", NULL};
  char *const quitter[] = {"/bin/sh", "-c", "exit 0", NULL};
  char *const missing[] = {"/nonexistent/cplane", NULL};
  struct cp_supervisor_config sc = {.backoff_initial_ms = 50,
                                    .backoff_cap_ms = 200,
                                    .backoff_reset_ms = 60000,
                                    .stop_timeout_ms = 2000};
  const char *keep[] = {"sleeper"};
  struct cp_supervisor *s;
  uint64_t t0;
  int fd, pid, pid2;

  (void)state;
  fd = mkstemp(logpath);
  assert_true(fd >= 0);
  sc.log_fd = fd;
  cp_log_set_fd(fd); /* the supervisor's own lines too */
  s = cp_supervisor_new(&sc);
  assert_non_null(s);
  assert_int_equal(cp_supervisor_set(s, "sleeper", sleeper, "v1"), 1);
  assert_int_equal(cp_supervisor_set(s, "crashy", crashy, "v1"), 1);
  assert_int_equal(cp_supervisor_set(s, "quitter", quitter, "v1"), 1);
  assert_int_equal(cp_supervisor_set(s, "missing", missing, "v1"), 1);
  assert_int_equal(cp_supervisor_set(s, "sleeper", sleeper, "v1"), 0);
  /* Not started (a standby): nothing runs, nothing fails readiness. */
  assert_int_equal(cp_supervisor_pid(s, "sleeper"), 0);
  text = memtext(ready_text, s);
  assert_non_null(strstr(text, "[+]plugin sleeper ok (isolated, starts "
                               "when leading)"));
  free(text);
  assert_int_equal(cp_supervisor_start(s), 0);

  pid = wait_pid(s, "sleeper");
  snprintf(want, sizeof want, "plugin sleeper[%d]| hello\n", pid);
  wait_log(logpath, want);
  /* The crashing one: its last line is logged, each crash counted, and
   * it keeps being restarted (50, 100, 200, 200 ms...). */
  t0 = ms();
  while (cp_supervisor_crashes(s, "crashy") < 3) {
    if (ms() - t0 > 20000)
      fail_msg("crashy crashed only %llu time(s)",
               (unsigned long long)cp_supervisor_crashes(s, "crashy"));
    nap();
  }
  wait_log(logpath, "]| last words\n");
  wait_log(logpath, "plugin crashy crashed: killed by signal 11");
  wait_log(logpath, "restarting in 0.1 s (back-off)");
  assert_true(cp_supervisor_restarts(s, "crashy") >= 2);
  /* A clean exit nobody asked for: restarted, not a crash. */
  t0 = ms();
  while (cp_supervisor_restarts(s, "quitter") < 2) {
    if (ms() - t0 > 20000)
      fail_msg("quitter was not restarted");
    nap();
  }
  assert_int_equal(cp_supervisor_crashes(s, "quitter"), 0);
  wait_log(logpath, "plugin quitter exited unasked: exited with status 0");
  /* A command that cannot start is retried with the backoff too. */
  wait_log(logpath, "plugin missing: cannot start /nonexistent/cplane: No "
                    "such file or directory; retrying in 0.1 s");
  wait_log(logpath, "plugin missing: cannot start /nonexistent/cplane: No "
                    "such file or directory; retrying in 0.2 s");
  assert_int_equal(cp_supervisor_pid(s, "missing"), 0);
  text = memtext(metrics_text, s);
  assert_non_null(strstr(text, "# TYPE cplane_plugin_crashes_total counter"));
  assert_non_null(strstr(text, "cplane_plugin_crashes_total{plugin=\"quitter\"} 0\n"));
  assert_non_null(strstr(text, "cplane_plugin_restarts_total{plugin=\"crashy\"} "));
  free(text);

  /* A changed fingerprint (a reload): restarted at once, not a crash. */
  assert_int_equal(cp_supervisor_set(s, "sleeper", sleeper, "v2"), 2);
  t0 = ms();
  while ((pid2 = cp_supervisor_pid(s, "sleeper")) == 0 || pid2 == pid) {
    if (ms() - t0 > 20000)
      fail_msg("sleeper was not restarted");
    nap();
  }
  assert_int_equal(cp_supervisor_crashes(s, "sleeper"), 0);
  assert_int_equal(cp_supervisor_restarts(s, "sleeper"), 1);
  wait_log(logpath, "plugin sleeper stopped for a restart");
  text = memtext(ready_text, s);
  snprintf(want, sizeof want, "[+]plugin sleeper ok (isolated, pid %d)",
           pid2);
  assert_non_null(strstr(text, want));
  free(text);

  /* Only sleeper stays supervised. */
  assert_int_equal(cp_supervisor_retain(s, keep, 1), 3);
  assert_int_equal(cp_supervisor_count(s), 1);
  cp_supervisor_free(s);
  /* Reaped: the pid is gone. */
  assert_int_equal(kill(pid2, 0), -1);
  assert_int_equal(errno, ESRCH);
  cp_log_set_fd(2);
  close(fd);
  unlink(logpath);
}

static void test_supervisor_kills_a_child_that_ignores_sigterm(void **state) {
  char *const stubborn[] = {"/bin/sh", "-c",
                            "trap '' TERM; echo up; while :; do sleep 0.1; "
                            "done", NULL};
  char logpath[] = "/tmp/test-supervisor-XXXXXX";
  struct cp_supervisor_config sc = {.stop_timeout_ms = 300};
  struct cp_supervisor *s;
  uint64_t t0;
  int fd, pid;

  (void)state;
  fd = mkstemp(logpath);
  assert_true(fd >= 0);
  sc.log_fd = fd;
  cp_log_set_fd(fd); /* the supervisor's own lines too */
  s = cp_supervisor_new(&sc);
  assert_non_null(s);
  assert_int_equal(cp_supervisor_set(s, "stubborn", stubborn, ""), 1);
  assert_int_equal(cp_supervisor_start(s), 0);
  pid = wait_pid(s, "stubborn");
  wait_log(logpath, "]| up\n");
  t0 = ms();
  cp_supervisor_free(s);
  assert_true(ms() - t0 < 5000);
  assert_int_equal(kill(pid, 0), -1);
  assert_true(log_has(logpath, "did not stop within 0.3 s of SIGTERM: "
                               "SIGKILL"));
  cp_log_set_fd(2);
  close(fd);
  unlink(logpath);
}

/* The before_start hook: called before each start with the plugin's
 * name; a refusal is logged and retried after the backoff, and the child
 * starts only once it says yes; readiness is answered while it runs. */
struct hook {
  pthread_mutex_t mu; /* the supervisor's thread writes, the test reads */
  int calls, refuse;
  char name[32];
};

static int before_start(void *ud, const char *name, char **errmsg) {
  struct hook *h = ud;
  int refuse;

  pthread_mutex_lock(&h->mu);
  snprintf(h->name, sizeof h->name, "%s", name);
  refuse = h->calls++ < h->refuse;
  pthread_mutex_unlock(&h->mu);
  if (refuse)
    *errmsg = strdup("no token for it yet");
  return refuse ? -1 : 0;
}

static int hook_calls(struct hook *h, char *name, size_t len) {
  int n;

  pthread_mutex_lock(&h->mu);
  n = h->calls;
  snprintf(name, len, "%s", h->name);
  pthread_mutex_unlock(&h->mu);
  return n;
}

static void test_supervisor_before_start_hook(void **state) {
  char *const sleeper[] = {"/bin/sh", "-c", "echo hi; exec sleep 30", NULL};
  char logpath[] = "/tmp/test-supervisor-XXXXXX";
  struct hook h = {PTHREAD_MUTEX_INITIALIZER, 0, 2, ""};
  char name[32];
  struct cp_supervisor_config sc = {.backoff_initial_ms = 50,
                                    .backoff_cap_ms = 200};
  struct cp_supervisor *s;
  int fd, pid;

  (void)state;
  fd = mkstemp(logpath);
  assert_true(fd >= 0);
  sc.log_fd = fd;
  sc.before_start = before_start;
  sc.before_start_ud = &h;
  cp_log_set_fd(fd);
  assert_non_null(s = cp_supervisor_new(&sc));
  assert_int_equal(cp_supervisor_set(s, "hooked", sleeper, ""), 1);
  assert_int_equal(cp_supervisor_start(s), 0);
  pid = wait_pid(s, "hooked");
  assert_int_equal(hook_calls(&h, name, sizeof name), 3);
  assert_string_equal(name, "hooked");
  assert_true(log_has(logpath, "plugin hooked: cannot start: no token for "
                               "it yet; retrying in 0.1 s"));
  /* A crash: the hook runs again before the restart. */
  kill(pid, SIGKILL);
  wait_log(logpath, "plugin hooked restarted");
  assert_int_equal(hook_calls(&h, name, sizeof name), 4);
  cp_supervisor_free(s);
  cp_log_set_fd(2);
  close(fd);
  unlink(logpath);
}

/* The lines of text that end with tail. Line by line with memchr: a
 * strstr from each match on would scan the rest of the 3 MB log each
 * time under ASan's strict_string_checks (126 s for 100,000 lines). */
static size_t count_lines_ending(const char *text, const char *tail) {
  const char *p = text, *end = text + strlen(text), *nl;
  size_t n = 0, tl = strlen(tail);

  for (; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1)
    if ((size_t)(nl - p) >= tl && memcmp(nl - tl, tail, tl) == 0)
      n++;
  return n;
}

/* A child that writes without pause: every line arrives, and readiness
 * is answered meanwhile (the reader gives up the lock between bursts). */
static void test_supervisor_keeps_up_with_a_chatty_child(void **state) {
  char *const chatty[] = {"/bin/sh", "-c",
                          "yes 0123456789 | head -n 100000; echo done; "
                          "exec sleep 30", NULL};
  char logpath[] = "/tmp/test-supervisor-XXXXXX", *text;
  struct cp_supervisor_config sc = {0};
  struct cp_supervisor *s;
  uint64_t t0, slowest = 0, t;
  int fd;

  (void)state;
  fd = mkstemp(logpath);
  assert_true(fd >= 0);
  sc.log_fd = fd;
  cp_log_set_fd(fd);
  s = cp_supervisor_new(&sc);
  assert_non_null(s);
  assert_int_equal(cp_supervisor_set(s, "chatty", chatty, ""), 1);
  assert_int_equal(cp_supervisor_start(s), 0);
  wait_pid(s, "chatty");
  t0 = ms();
  while (!log_has(logpath, "]| done\n")) {
    if (ms() - t0 > 60000)
      fail_msg("the chatty child's last line never came");
    t = ms();
    text = memtext(ready_text, s);
    free(text);
    if (ms() - t > slowest)
      slowest = ms() - t;
    nap();
  }
  assert_true(slowest < 1000);
  cp_supervisor_free(s);
  text = slurp(logpath);
  assert_int_equal(count_lines_ending(text, "]| 0123456789"), 100000);
  free(text);
  cp_log_set_fd(2);
  close(fd);
  unlink(logpath);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_backoff_doubles_to_cap_and_resets),
      cmocka_unit_test(test_supervisor_runs_restarts_and_counts),
      cmocka_unit_test(test_supervisor_kills_a_child_that_ignores_sigterm),
      cmocka_unit_test(test_supervisor_keeps_up_with_a_chatty_child),
      cmocka_unit_test(test_supervisor_before_start_hook),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
