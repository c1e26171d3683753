/*
 * test_sigpipe - a write to a socket whose peer has gone is an error, not
 * the end of the process, once a component that opens connections has
 * called cp_net_ignore_sigpipe (net/sigpipe.h); a disposition the program
 * chose itself is left alone. Each case runs in a child process: the call
 * happens once per process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "health/health.h"
#include "net/sigpipe.h"

static volatile sig_atomic_t handled;

static void on_pipe(int sig) {
  (void)sig;
  handled = 1;
}

/* Writes to a socket whose peer is closed; 0 if it failed with EPIPE. */
static int write_to_closed_peer(void) {
  int sv[2];
  ssize_t n;

  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
    return 2;
  close(sv[1]);
  n = write(sv[0], "x", 1);
  close(sv[0]);
  return n == -1 && errno == EPIPE ? 0 : 3;
}

/* Runs fn in a child; returns its exit status, or 100+signal. */
static int in_child(int (*fn)(void)) {
  pid_t pid = fork();
  int st;

  if (pid == 0)
    _exit(fn());
  assert_true(pid > 0);
  assert_int_equal(waitpid(pid, &st, 0), pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static int default_disposition(void) {
  struct sigaction sa;

  signal(SIGPIPE, SIG_DFL);
  cp_net_ignore_sigpipe();
  cp_net_ignore_sigpipe(); /* idempotent */
  if (sigaction(SIGPIPE, NULL, &sa) != 0 || sa.sa_handler != SIG_IGN)
    return 1;
  return write_to_closed_peer();
}

static int own_handler(void) {
  struct sigaction sa;

  signal(SIGPIPE, on_pipe);
  cp_net_ignore_sigpipe();
  if (sigaction(SIGPIPE, NULL, &sa) != 0 || sa.sa_handler != on_pipe)
    return 1;
  if (write_to_closed_peer() != 0)
    return 4;
  return handled ? 0 : 5; /* the program's handler still runs */
}

static int without_the_call(void) {
  signal(SIGPIPE, SIG_DFL);
  return write_to_closed_peer();
}

static int no_checks(void *userdata, FILE *out) {
  (void)userdata;
  (void)out;
  return 1;
}

/* A server embedded by a program that left SIGPIPE alone (a unit test)
 * writes responses to clients that may have gone: starting it ignores
 * SIGPIPE, as the etcd store and the client do. */
static int server_started(void) {
  const struct cp_health_ops ops = {no_checks, no_checks};
  struct cp_health *h = NULL;
  struct sigaction sa;
  char *err = NULL;

  signal(SIGPIPE, SIG_DFL);
  if (cp_health_start("127.0.0.1:0", &ops, NULL, &h, &err) != 0)
    return 6;
  cp_health_stop(h);
  if (sigaction(SIGPIPE, NULL, &sa) != 0 || sa.sa_handler != SIG_IGN)
    return 1;
  return write_to_closed_peer();
}

static void test_server_start_ignores(void **state) {
  (void)state;
  assert_int_equal(in_child(server_started), 0);
}

static void test_default_becomes_ignored(void **state) {
  (void)state;
  assert_int_equal(in_child(default_disposition), 0);
}

static void test_program_handler_kept(void **state) {
  (void)state;
  assert_int_equal(in_child(own_handler), 0);
}

/* The control: without the call, the same write kills the process. */
static void test_default_kills_without_call(void **state) {
  (void)state;
  assert_int_equal(in_child(without_the_call), 100 + SIGPIPE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_becomes_ignored),
      cmocka_unit_test(test_program_handler_kept),
      cmocka_unit_test(test_default_kills_without_call),
      cmocka_unit_test(test_server_start_ignores),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
