/*
 * test_pidfile - <data_dir>/cplane.pid (admin/pidfile.h), how `cplane
 * plugins reload` finds the daemon: written with this pid, left alone
 * while it names a live process, replaced when its process is gone,
 * removed only by the process it names; reading one that is missing,
 * empty or stale says so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin/pidfile.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  strcpy(dir, "/tmp/cplane-pidfile-XXXXXX");
  assert_non_null(mkdtemp(dir));
  return 0;
}

static int teardown(void **state) {
  char cmd[128];

  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  return 0;
}

static void put(const char *path, const char *text) {
  FILE *fp = fopen(path, "w");

  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

/* A pid that is not running: a child that has exited and been reaped. */
static pid_t dead_pid(void) {
  pid_t pid = fork();

  assert_true(pid >= 0);
  if (pid == 0)
    _exit(0);
  assert_int_equal(waitpid(pid, NULL, 0), pid);
  return pid;
}

static void test_write_read_remove(void **state) {
  char *path = cp_pidfile_path(dir), *err = NULL;

  (void)state;
  assert_int_equal(cp_pidfile_write(path, &err), 0);
  assert_int_equal(cp_pidfile_read(path, &err), getpid());
  assert_null(err);
  /* A live process (here, this one) holds it: left alone. */
  assert_int_equal(cp_pidfile_write(path, &err), 1);
  assert_non_null(strstr(err, "still running"));
  free(err);
  cp_pidfile_remove(path);
  assert_int_equal(access(path, F_OK), -1);
  assert_int_equal(cp_pidfile_read(path, &err), -1);
  assert_non_null(strstr(err, "no such file"));
  free(err);
  free(path);
}

static void test_stale_is_replaced_and_others_kept(void **state) {
  char *path = cp_pidfile_path(dir), *err = NULL, text[32];

  (void)state;
  snprintf(text, sizeof text, "%d\n", (int)dead_pid());
  put(path, text);
  assert_int_equal(cp_pidfile_read(path, &err), -1);
  assert_non_null(strstr(err, "which is not running"));
  free(err);
  assert_int_equal(cp_pidfile_write(path, &err), 0);
  assert_int_equal(cp_pidfile_read(path, &err), getpid());
  /* Another process's file is not removed by this one. */
  put(path, "1\n");
  cp_pidfile_remove(path);
  assert_int_equal(access(path, F_OK), 0);
  put(path, "garbage");
  assert_int_equal(cp_pidfile_read(path, &err), -1);
  assert_non_null(strstr(err, "holds no process id"));
  free(err);
  free(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_write_read_remove, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_stale_is_replaced_and_others_kept,
                                      setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
