/*
 * test_sandbox - what an isolated plugin's child may still reach once it
 * is sandboxed (plugin/sandbox.h), in a forked process: its plugin
 * directory, its INI file, its own credential directory and the system's
 * libraries, yes; the data directory (the admin kubeconfig, the CA key),
 * another file next to the INI, /etc/shadow, any write, a signal to its
 * parent (Landlock ABI 6), and every capability, no.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/sandbox.h"

static char dir[64];

static void put(const char *name) {
  char path[160];
  FILE *f;

  snprintf(path, sizeof path, "%s/%s", dir, name);
  assert_non_null(f = fopen(path, "w"));
  fputs("x\n", f);
  fclose(f);
}

/* 1 when path opens for reading, 0 when refused with EACCES, else -1. */
static int readable(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);

  if (fd >= 0) {
    close(fd);
    return 1;
  }
  return errno == EACCES ? 0 : -1;
}

static int in_dir(const char *name) {
  char path[160];

  snprintf(path, sizeof path, "%s/%s", dir, name);
  return readable(path);
}

/* The sandboxed side: returns a bit per broken expectation. */
static int child(void) {
  struct cp_sandbox_paths p;
  char plugins[96], ini[96], own[96], path[160], *err = NULL, line[256];
  int bad = 0, fd, abi = cp_sandbox_abi();
  FILE *st;

  snprintf(plugins, sizeof plugins, "%s/plugins", dir);
  snprintf(ini, sizeof ini, "%s/c.ini", dir);
  snprintf(own, sizeof own, "%s/data/isolated/p", dir);
  p.plugin_dir = plugins;
  p.config = ini;
  p.own_dir = own;
  if (cp_sandbox_apply(&p, &err) != 0)
    return 1;
  bad |= (in_dir("plugins/p.so") != 1) << 1;
  bad |= (in_dir("c.ini") != 1) << 2;
  bad |= (in_dir("data/isolated/p/token") != 1) << 3;
  bad |= (in_dir("data/admin.kubeconfig") != 0) << 4;
  bad |= (in_dir("data/pki/ca.key") != 0) << 5;
  bad |= (in_dir("data/isolated/q/token") != 0) << 6;
  bad |= (in_dir("other.ini") != 0) << 7;
  bad |= (readable("/etc/ld.so.cache") != 1) << 8;
  bad |= (access("/etc/shadow", F_OK) == 0 && readable("/etc/shadow") != 0)
         << 9;
  snprintf(path, sizeof path, "%s/data/isolated/p/new", dir);
  fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  bad |= (fd >= 0 || errno != EACCES) << 10;
  if (abi >= 6)
    bad |= (kill(getppid(), 0) == 0 || errno != EPERM) << 11;
  if ((st = fopen("/proc/self/status", "r")) == NULL)
    return bad | 1 << 12;
  while (fgets(line, sizeof line, st) != NULL)
    if (strncmp(line, "CapEff:", 7) == 0)
      bad |= (strstr(line, "0000000000000000") == NULL) << 13;
  fclose(st);
  return bad;
}

static void test_sandboxed_child(void **state) {
  pid_t pid;
  int status = 0;

  (void)state;
  if (cp_sandbox_abi() == 0)
    skip(); /* no Landlock in this kernel: nothing to check */
  fflush(NULL);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0)
    _exit(child());
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  if (WEXITSTATUS(status) != 0)
    fail_msg("sandboxed child: broken expectations, bits 0x%x",
             WEXITSTATUS(status));
}

static int setup(void **state) {
  static const char *const dirs[] = {"plugins", "data", "data/pki",
                                     "data/isolated", "data/isolated/p",
                                     "data/isolated/q"};
  char path[160];
  size_t i;

  (void)state;
  strcpy(dir, "/tmp/cp-sandbox-XXXXXX");
  if (mkdtemp(dir) == NULL)
    return -1;
  for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, dirs[i]);
    if (mkdir(path, 0700) != 0)
      return -1;
  }
  put("plugins/p.so");
  put("c.ini");
  put("other.ini");
  put("data/admin.kubeconfig");
  put("data/pki/ca.key");
  put("data/isolated/p/token");
  put("data/isolated/q/token");
  return 0;
}

static int teardown(void **state) {
  char cmd[96];

  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sandboxed_child),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
