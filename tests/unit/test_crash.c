/*
 * test_crash - the last words of a process a plugin crashed: a child
 * process installs the handlers, marks a plugin call (as
 * cp_inflight_begin does) and faults; the parent reads what it wrote and
 * how it died. The line names the plugin, the callback, the key and the
 * signal, a backtrace follows, and the process still dies of the fault
 * (in the plain build by the signal itself; under a sanitizer its own
 * report takes over, as it must). A fault outside any call says so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin/crash.h"
#include "plugin/inflight.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

static volatile int *volatile nowhere;

/* A real fault, past UBSan's null check (which would exit first). */
__attribute__((noinline, no_sanitize_undefined)) static void fault(void) {
  *nowhere = 1;
}

/* Recursion the compiler cannot turn into a loop: the stack runs out. */
static volatile int forever = 1;

__attribute__((noinline)) static int deep(int n) {
  volatile char pad[512];

  pad[0] = (char)n;
  if (!forever)
    return n;
  return deep(n + 1) + pad[0];
}

enum how { BY_FAULT, BY_ABORT, OUTSIDE_A_CALL, BY_OVERFLOW, IN_INIT };

/* Runs the crash in a child; returns its output (caller frees) and sets
 * *status to its wait status. */
static char *crash_child(enum how how, int *status) {
  int fds[2];
  pid_t pid;
  char *out = calloc(1, 65536);
  size_t len = 0;
  ssize_t n;

  assert_non_null(out);
  assert_int_equal(pipe(fds), 0);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    struct cp_inflight call = {.callback = "reconcile"};

    close(fds[0]);
    /* cmocka's own handlers would catch the fault and go on testing in
     * this child: the earlier action must be the process's default. */
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    signal(SIGILL, SIG_DFL);
    signal(SIGFPE, SIG_DFL);
    snprintf(call.key, sizeof call.key, "default/boom");
    if (cp_crash_install(fds[1]) != 0)
      _exit(99);
    if (how == IN_INIT)
      cp_crash_mark_call("crasher", "init");
    else if (how != OUTSIDE_A_CALL)
      cp_crash_mark("crasher", &call);
    if (how == BY_ABORT)
      abort();
    if (how == BY_OVERFLOW)
      _exit(deep(0));
    fault();
    _exit(98);
  }
  close(fds[1]);
  while (len < 65535 && (n = read(fds[0], out + len, 65535 - len)) > 0)
    len += (size_t)n;
  close(fds[0]);
  assert_int_equal(waitpid(pid, status, 0), pid);
  return out;
}

static void test_fault_in_a_plugin_call(void **state) {
  int status;
  char *out = crash_child(BY_FAULT, &status);

  (void)state;
  if (strstr(out, " ERROR crash: plugin crasher crashed in reconcile "
                  "default/boom: SIGSEGV (fault address 0x0), thread ") ==
      NULL)
    fail_msg("no crash line in: %s", out);
  assert_non_null(strstr(out, "; backtrace follows\n"));
  assert_non_null(strstr(out, "\ncrash: backtrace: "));
  /* Still a crash: never a clean exit. */
  assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  if (!SANITIZED) {
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
  }
  free(out);
}

static void test_abort_in_a_plugin_call(void **state) {
  int status;
  char *out = crash_child(BY_ABORT, &status);

  (void)state;
  if (strstr(out, "plugin crasher crashed in reconcile default/boom: "
                  "SIGABRT, thread ") == NULL)
    fail_msg("no crash line in: %s", out);
  /* Exactly one report, though the handler re-raised. */
  assert_null(strstr(strstr(out, "SIGABRT") + 1, "SIGABRT"));
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGABRT);
  free(out);
}

static void test_fault_outside_a_call(void **state) {
  int status;
  char *out = crash_child(OUTSIDE_A_CALL, &status);

  (void)state;
  if (strstr(out, "ERROR crash: the host crashed outside any plugin call: "
                  "SIGSEGV") == NULL)
    fail_msg("no crash line in: %s", out);
  free(out);
}

/* The handler runs on its alternate stack: a stack overflow is reported
 * too. */
static void test_stack_overflow_in_a_plugin_call(void **state) {
  int status;
  char *out = crash_child(BY_OVERFLOW, &status);

  (void)state;
  if (strstr(out, "plugin crasher crashed in reconcile default/boom: "
                  "SIGSEGV") == NULL)
    fail_msg("no crash line in: %s", out);
  assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  free(out);
}

/* init and fini have no slot: the loader marks them by name. */
static void test_fault_in_init(void **state) {
  int status;
  char *out = crash_child(IN_INIT, &status);

  (void)state;
  if (strstr(out, "plugin crasher crashed in init (no key): SIGSEGV") ==
      NULL)
    fail_msg("no crash line in: %s", out);
  free(out);
}

static void test_format_is_bounded(void **state) {
  char buf[512], tiny[16];
  size_t n;

  (void)state;
  n = cp_crash_format(buf, sizeof buf, SIGBUS, (void *)0x1000, "p",
                      "on_add", "ns/name", "ctl-worker");
  assert_int_equal(n, strlen(buf));
  /* The log's time stamp: 2026-12-06T16:03:54.123Z */
  assert_int_equal(buf[4], '-');
  assert_int_equal(buf[10], 'T');
  assert_int_equal(buf[23], 'Z');
  assert_non_null(strstr(buf, "Z ERROR crash: plugin p crashed in on_add "
                              "ns/name: SIGBUS (fault address 0x1000), "
                              "thread ctl-worker, pid "));
  n = cp_crash_format(tiny, sizeof tiny, SIGSEGV, NULL, "p", "reconcile",
                      "k", "t");
  assert_int_equal(n, sizeof tiny - 1);
  assert_int_equal(strlen(tiny), sizeof tiny - 1);
  assert_int_equal(cp_crash_format(tiny, 0, SIGSEGV, NULL, NULL, NULL,
                                   NULL, NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fault_in_a_plugin_call),
      cmocka_unit_test(test_abort_in_a_plugin_call),
      cmocka_unit_test(test_fault_outside_a_call),
      cmocka_unit_test(test_stack_overflow_in_a_plugin_call),
      cmocka_unit_test(test_fault_in_init),
      cmocka_unit_test(test_format_is_bounded),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
