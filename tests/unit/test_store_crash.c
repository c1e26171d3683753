/*
 * test_store_crash - kill -9 durability of the SQLite store, 20 rounds.
 *
 * Each round starts a writer process (this binary with --writer) whose
 * threads create keys and advance a compare-and-swap counter, and print one
 * line per acknowledged write. The test kills it with SIGKILL at a random
 * moment, reopens the file and checks that every acknowledged write is
 * there, whole, and that the revision never went back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

#define ROUNDS 20
#define WRITER_THREADS 4
#define VALUE_LEN 1000

extern char **environ;
static char tmpdir[] = "/tmp/cp-store-crash-XXXXXX";

static void fill_value(char *v, const char *key) {
  size_t n = strlen(key), i;

  for (i = 0; i < VALUE_LEN; i++)
    v[i] = key[i % n];
}

/* ---- Writer process --------------------------------------------------- */

typedef struct wr_arg {
  cp_store *s;
  int id;
  int round;
} wr_arg;

static void say(const char *line) {
  size_t n = strlen(line);

  /* One write per line: atomic on a pipe, so lines never interleave. */
  if (write(1, line, n) != (ssize_t)n)
    _exit(3);
}

static void *wr_thread(void *p) {
  wr_arg *a = p;
  char key[64], val[VALUE_LEN], line[128];
  int64_t rev;
  int i;

  for (i = 0;; i++) {
    cp_store_kv kv;

    snprintf(key, sizeof key, "crash/%d/%d/%d", a->round, a->id, i);
    fill_value(val, key);
    if (cp_store_create(a->s, key, strlen(key), val, VALUE_LEN, &rev) != 0)
      _exit(4);
    snprintf(line, sizeof line, "C %lld %s\n", (long long)rev, key);
    say(line);
    if (cp_store_get(a->s, "counter", 7, 0, &kv, NULL) != 0)
      continue;
    snprintf(val, sizeof val, "%lld", atoll((char *)kv.value) + 1);
    if (cp_store_update(a->s, "counter", 7, val, strlen(val),
                        kv.mod_revision, &rev, NULL) == 0) {
      snprintf(line, sizeof line, "N %lld %s\n", (long long)rev, val);
      say(line);
    }
    cp_store_kv_free(&kv);
  }
  return NULL;
}

static int writer_main(const char *path, int round) {
  cp_store *s = NULL;
  char *err = NULL;
  pthread_t th[WRITER_THREADS];
  wr_arg args[WRITER_THREADS];
  int64_t rev;
  int i;

  if (cp_store_sqlite_open(path, NULL, &s, &err) != 0) {
    fprintf(stderr, "writer: %s\n", err ? err : "?");
    return 2;
  }
  cp_store_create(s, "counter", 7, "0", 1, &rev);
  for (i = 0; i < WRITER_THREADS; i++) {
    args[i] = (wr_arg){.s = s, .id = i, .round = round};
    pthread_create(&th[i], NULL, wr_thread, &args[i]);
  }
  say("R\n");
  for (;;)
    pause();
}

/* ---- Checker ---------------------------------------------------------- */

typedef struct acked {
  char **keys;
  int64_t *revs;
  size_t n, cap;
  int64_t max_rev;
  long long counter;
  int64_t counter_rev;
  int ready;
} acked;

static void parse_line(acked *a, char *line) {
  long long rev;
  char what[96];

  if (strcmp(line, "R") == 0) {
    a->ready = 1;
    return;
  }
  if (sscanf(line, "C %lld %95s", &rev, what) == 2) {
    if (a->n == a->cap) {
      a->cap = a->cap ? a->cap * 2 : 1024;
      a->keys = realloc(a->keys, a->cap * sizeof *a->keys);
      a->revs = realloc(a->revs, a->cap * sizeof *a->revs);
      assert_non_null(a->keys);
      assert_non_null(a->revs);
    }
    a->keys[a->n] = strdup(what);
    a->revs[a->n++] = rev;
  } else if (sscanf(line, "N %lld %95s", &rev, what) == 2) {
    if (rev > a->counter_rev) {
      a->counter_rev = rev;
      a->counter = atoll(what);
    }
  } else {
    return;
  }
  if (rev > a->max_rev)
    a->max_rev = rev;
}

static int64_t mono_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads whole lines from fd until deadline (or EOF), feeding parse_line. */
static void read_lines(int fd, acked *a, int64_t deadline, char *buf,
                       size_t *len, size_t cap, int until_ready) {
  while (!(until_ready && a->ready)) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int64_t left = deadline - mono_ms();
    ssize_t n;
    char *nl;

    if (left < 0)
      left = 0;
    if (poll(&p, 1, (int)left) <= 0)
      return;
    n = read(fd, buf + *len, cap - *len - 1);
    if (n <= 0)
      return;
    *len += (size_t)n;
    buf[*len] = 0;
    while ((nl = strchr(buf, '\n')) != NULL) {
      *nl = 0;
      parse_line(a, buf);
      memmove(buf, nl + 1, *len - (size_t)(nl + 1 - buf) + 1);
      *len -= (size_t)(nl + 1 - buf);
    }
  }
}

static pid_t spawn_writer(const char *path, int round, int *out_fd) {
  posix_spawn_file_actions_t fa;
  char round_s[16];
  char *argv[] = {"/proc/self/exe", "--writer", (char *)path, round_s, NULL};
  int fds[2];
  pid_t pid;

  snprintf(round_s, sizeof round_s, "%d", round);
  assert_int_equal(pipe(fds), 0);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  assert_int_equal(posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv,
                               environ),
                   0);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  *out_fd = fds[0];
  return pid;
}

static void check_store(const char *path, acked *a, int64_t *last_rev) {
  cp_store *s = NULL;
  char *err = NULL, val[VALUE_LEN];
  int64_t cur;
  size_t i;
  cp_store_kv kv;

  if (cp_store_sqlite_open(path, NULL, &s, &err) != 0)
    fail_msg("reopen after kill: %s", err ? err : "?");
  assert_int_equal(cp_store_current_revision(s, &cur), 0);
  if (cur < a->max_rev || cur < *last_rev)
    fail_msg("revision went back: %lld, acked %lld, before %lld",
             (long long)cur, (long long)a->max_rev, (long long)*last_rev);
  *last_rev = cur;
  for (i = 0; i < a->n; i++) {
    if (cp_store_get(s, a->keys[i], strlen(a->keys[i]), 0, &kv, NULL) != 0)
      fail_msg("acknowledged key %s (rev %lld) lost", a->keys[i],
               (long long)a->revs[i]);
    fill_value(val, a->keys[i]);
    assert_int_equal(kv.mod_revision, a->revs[i]);
    assert_int_equal(kv.value_len, VALUE_LEN);
    assert_memory_equal(kv.value, val, VALUE_LEN);
    cp_store_kv_free(&kv);
  }
  if (a->counter_rev > 0) {
    assert_int_equal(cp_store_get(s, "counter", 7, 0, &kv, NULL), 0);
    assert_true(kv.mod_revision >= a->counter_rev);
    assert_true(atoll((char *)kv.value) >= a->counter);
    cp_store_kv_free(&kv);
  }
  cp_store_close(s);
}

static void test_kill9_rounds(void **state) {
  char path[256];
  int64_t last_rev = 0;
  size_t total = 0;
  int round;

  snprintf(path, sizeof path, "%s/crash.db", tmpdir);
  srand((unsigned)time(NULL));
  for (round = 0; round < ROUNDS; round++) {
    acked a = {0};
    char buf[8192];
    size_t len = 0, i;
    int fd, status;
    pid_t pid = spawn_writer(path, round, &fd);
    int64_t run_ms = 30 + rand() % 170;

    /* Wait for the writer to be up, then let it write a while. */
    read_lines(fd, &a, mono_ms() + 10000, buf, &len, sizeof buf, 1);
    assert_true(a.ready);
    read_lines(fd, &a, mono_ms() + run_ms, buf, &len, sizeof buf, 0);
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    /* Lines already in the pipe were acknowledged before the kill. */
    read_lines(fd, &a, mono_ms() + 1000, buf, &len, sizeof buf, 0);
    close(fd);
    assert_true(WIFSIGNALED(status));
    check_store(path, &a, &last_rev);
    total += a.n;
    for (i = 0; i < a.n; i++)
      free(a.keys[i]);
    free(a.keys);
    free(a.revs);
  }
  print_message("kill -9: %d rounds, %zu acknowledged creates checked\n",
                ROUNDS, total);
  assert_true(total > 0);
}

int main(int argc, char **argv) {
  static const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kill9_rounds),
  };
  char cmd[300];
  int rc;

  if (argc == 4 && strcmp(argv[1], "--writer") == 0)
    return writer_main(argv[2], atoi(argv[3]));
  if (mkdtemp(tmpdir) == NULL)
    return 1;
  rc = cmocka_run_group_tests_name("store kill -9", tests, NULL, NULL);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    rc = 1;
  return rc;
}
