/*
 * test_token_file - a bearer token read from a file and re-read when the
 * file changes (client/token_file.h), as client-go reads a kubeconfig's
 * tokenFile: white space trimmed, a replaced file (rename) read again
 * once a second has passed and not before, an unchanged file not read
 * again, a broken replacement keeping the last good token, and the
 * refusals (missing, empty, too large, not one token).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/token_file.h"

static char dir[64];

static long long mono_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Replaces dir/name with text, as the host does (a new file renamed in),
 * and returns its path (static). */
static const char *put(const char *name, const char *text) {
  static char path[128];
  char tmp[140];
  FILE *f;

  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  assert_non_null(f = fopen(tmp, "w"));
  fputs(text, f);
  fclose(f);
  assert_int_equal(rename(tmp, path), 0);
  return path;
}

static void auth_is(struct cp_token_file *tf, long long now,
                    const char *want) {
  char *a = cp_token_file_auth(tf, now);

  assert_non_null(a);
  assert_string_equal(a, want);
  free(a);
}

static void test_reread_on_change(void **state) {
  struct cp_token_file *tf = NULL;
  char *err = NULL;
  const char *path = put("token", "  first\n");
  long long t0 = mono_ms();

  (void)state;
  if (cp_token_file_open(path, &tf, &err) != 0)
    fail_msg("%s", err);
  auth_is(tf, t0, "Bearer first");
  /* Unchanged: not read again, however often it is looked at. */
  auth_is(tf, t0 + 5000, "Bearer first");
  assert_int_equal(cp_token_file_reads(tf), 1);
  /* Replaced: not before a second has passed since the last look. */
  put("token", "second");
  auth_is(tf, t0 + 5500, "Bearer first");
  auth_is(tf, t0 + 6000, "Bearer second");
  assert_int_equal(cp_token_file_reads(tf), 2);
  /* A broken replacement keeps the last good token. */
  put("token", "");
  auth_is(tf, t0 + 7000, "Bearer second");
  put("token", "two words");
  auth_is(tf, t0 + 8000, "Bearer second");
  /* Gone: the same. */
  unlink(path);
  auth_is(tf, t0 + 9000, "Bearer second");
  put("token", "third\r\n");
  auth_is(tf, t0 + 10000, "Bearer third");
  assert_int_equal(cp_token_file_reads(tf), 3);
  cp_token_file_free(tf);
}

static void refused(const char *name, const char *text, const char *want) {
  struct cp_token_file *tf = NULL;
  char *err = NULL;
  const char *path = text != NULL ? put(name, text) : name;

  assert_int_equal(cp_token_file_open(path, &tf, &err), -1);
  assert_null(tf);
  if (err == NULL || strstr(err, want) == NULL)
    fail_msg("'%s' lacks '%s'", err ? err : "(null)", want);
  free(err);
}

static void test_refused(void **state) {
  char *big = malloc(CP_TOKEN_FILE_MAX_BYTES + 2);

  (void)state;
  refused("/nonexistent/token", NULL, "token file /nonexistent/token: No "
                                      "such file or directory");
  refused("empty", " \n", ": empty");
  refused("words", "a b", ": not one token");
  refused("nul", "a\tb", ": not one token");
  memset(big, 'x', CP_TOKEN_FILE_MAX_BYTES + 1);
  big[CP_TOKEN_FILE_MAX_BYTES + 1] = '\0';
  refused("big", big, "larger than 16384 bytes");
  free(big);
}

static int setup(void **state) {
  (void)state;
  strcpy(dir, "/tmp/cp-tokfile-XXXXXX");
  return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state) {
  char cmd[96];

  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reread_on_change),
      cmocka_unit_test(test_refused),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
