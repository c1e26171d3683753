/*
 * supervisor - see supervisor.h.
 */
#include "plugin/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cplane/strbuf.h>

#include "clock/clock.h"
#include "log/assert.h"
#include "log/log.h"
#include "plugin/crashloop.h"

extern char **environ;

/* A child's line longer than this is written in pieces. */
#define LINE_BYTES 4096
/* The thread looks at its children at least this often (reaping). */
#define TICK_MS 200
#define STOP_TIMEOUT_DEFAULT_MS 10000

enum child_state {
  CH_WAITING, /* not running; starts at start_at_ms (when not removed) */
  CH_RUNNING,
};

struct child {
  char *name;
  char **argv;
  char *fingerprint;
  enum child_state state;
  pid_t pid;
  int out_fd; /* read end of its stdout+stderr; -1 */
  char line[LINE_BYTES];
  size_t line_len;
  uint64_t started_ms, start_at_ms, term_sent_ms;
  struct cp_crashloop backoff;
  uint64_t starts, crashes;
  char metrics_addr[64]; /* what the running child announced; "" */
  int restart_now; /* we stopped it for a reload: no backoff */
  int removed;     /* no longer supervised: reap, then free */
};

struct cp_supervisor {
  pthread_mutex_t mu;
  struct cp_supervisor_config cfg;
  struct child **children; /* each its own allocation: stable address */
  size_t n;
  int wake[2]; /* a byte wakes the thread's poll */
  pthread_t thread;
  int started, stopping;
  /* Children's tagged lines read but not written to the log yet: the
   * supervisor thread's alone, written by flush_output without mu. */
  struct cplane_strbuf out;
};

static uint64_t now_ms(void) { return (uint64_t)cp_now_ms(); }

static void wake(struct cp_supervisor *s) {
  char b = 1;

  if (write(s->wake[1], &b, 1) < 0) {
    /* Full pipe: the thread is awake anyway. */
  }
}

static void free_argv(char **argv) {
  size_t i;

  for (i = 0; argv != NULL && argv[i] != NULL; i++)
    free(argv[i]);
  free(argv);
}

static char **copy_argv(char *const argv[]) {
  size_t n = 0, i;
  char **out;

  while (argv[n] != NULL)
    n++;
  if ((out = calloc(n + 1, sizeof *out)) == NULL)
    return NULL;
  for (i = 0; i < n; i++) {
    if ((out[i] = strdup(argv[i])) == NULL) {
      free_argv(out);
      return NULL;
    }
  }
  return out;
}

static void child_free(struct child *c) {
  if (c == NULL)
    return;
  if (c->out_fd >= 0)
    close(c->out_fd);
  free(c->name);
  free(c->fingerprint);
  free_argv(c->argv);
  free(c);
}

struct cp_supervisor *cp_supervisor_new(const struct cp_supervisor_config *c) {
  struct cp_supervisor *s = calloc(1, sizeof *s);

  if (s == NULL)
    return NULL;
  if (c != NULL)
    s->cfg = *c;
  if (s->cfg.log_fd <= 0)
    s->cfg.log_fd = 2;
  if (s->cfg.stop_timeout_ms == 0)
    s->cfg.stop_timeout_ms = STOP_TIMEOUT_DEFAULT_MS;
  if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
    free(s);
    return NULL;
  }
  pthread_mutex_init(&s->mu, NULL);
  return s;
}

static struct child *find(struct cp_supervisor *s, const char *name) {
  size_t i;

  CP_ASSERT_HELD(&s->mu);
  for (i = 0; i < s->n; i++)
    if (strcmp(s->children[i]->name, name) == 0)
      return s->children[i];
  return NULL;
}

/* Asks a running child to stop; the thread escalates to SIGKILL after
 * stop_timeout. Caller holds mu. */
static void terminate(struct cp_supervisor *s, struct child *c) {
  CP_ASSERT_HELD(&s->mu);
  if (c->state != CH_RUNNING || c->term_sent_ms != 0)
    return;
  kill(c->pid, SIGTERM);
  c->term_sent_ms = now_ms();
}

static struct child *child_new(struct cp_supervisor *s, const char *name,
                               char *const argv[], const char *fingerprint) {
  struct child *c = calloc(1, sizeof *c);

  if (c == NULL)
    return NULL;
  c->out_fd = -1;
  c->name = strdup(name);
  c->fingerprint = strdup(fingerprint != NULL ? fingerprint : "");
  c->argv = copy_argv(argv);
  cp_crashloop_init(&c->backoff, s->cfg.backoff_initial_ms,
                    s->cfg.backoff_cap_ms, s->cfg.backoff_reset_ms);
  if (c->name == NULL || c->fingerprint == NULL || c->argv == NULL) {
    child_free(c);
    return NULL;
  }
  return c;
}

int cp_supervisor_set(struct cp_supervisor *s, const char *name,
                      char *const argv[], const char *fingerprint) {
  struct child *c, **grown;
  char **nargv, *nfp;
  int rc = -1;

  pthread_mutex_lock(&s->mu);
  c = find(s, name);
  if (c == NULL) {
    grown = realloc(s->children, (s->n + 1) * sizeof *grown);
    if (grown == NULL)
      goto out;
    s->children = grown;
    if ((c = child_new(s, name, argv, fingerprint)) == NULL)
      goto out;
    s->children[s->n++] = c;
    rc = 1;
    goto out;
  }
  if (!c->removed && strcmp(c->fingerprint, fingerprint ? fingerprint : "") == 0) {
    rc = 0;
    goto out;
  }
  nargv = copy_argv(argv);
  nfp = strdup(fingerprint != NULL ? fingerprint : "");
  if (nargv == NULL || nfp == NULL) {
    free_argv(nargv);
    free(nfp);
    goto out;
  }
  free_argv(c->argv);
  free(c->fingerprint);
  c->argv = nargv;
  c->fingerprint = nfp;
  c->removed = 0;
  cp_crashloop_init(&c->backoff, s->cfg.backoff_initial_ms,
                    s->cfg.backoff_cap_ms, s->cfg.backoff_reset_ms);
  if (c->state == CH_RUNNING) {
    c->restart_now = 1;
    terminate(s, c);
  } else {
    c->start_at_ms = 0;
  }
  rc = 2;
out:
  pthread_mutex_unlock(&s->mu);
  if (rc > 0)
    wake(s);
  return rc;
}

int cp_supervisor_retain(struct cp_supervisor *s, const char *const *names,
                         size_t n) {
  size_t i, k;
  int dropped = 0;

  pthread_mutex_lock(&s->mu);
  for (i = 0; i < s->n; i++) {
    struct child *c = s->children[i];

    for (k = 0; k < n; k++)
      if (strcmp(names[k], c->name) == 0)
        break;
    if (k < n || c->removed)
      continue;
    c->removed = 1;
    c->restart_now = 0;
    terminate(s, c);
    dropped++;
  }
  pthread_mutex_unlock(&s->mu);
  wake(s);
  return dropped;
}

/* The child's environment: ours, plus who supervises it (main.c checks
 * it against getppid() after asking for PR_SET_PDEATHSIG), without
 * KUBECONFIG: the child is told its own (isolated_identity.h), and must
 * not learn where the host's is. */
static char **child_env(char *own) {
  size_t n = 0, i, k = 0;
  char **env;

  while (environ != NULL && environ[n] != NULL)
    n++;
  if ((env = calloc(n + 2, sizeof *env)) == NULL)
    return NULL;
  for (i = 0; i < n; i++)
    if (strncmp(environ[i], "CPLANE_SUPERVISOR_PID=", 22) != 0 &&
        strncmp(environ[i], "KUBECONFIG=", 11) != 0)
      env[k++] = environ[i];
  env[k] = own;
  return env;
}

/* Starts c. Caller holds mu. A failure is logged and retried with the
 * backoff, as a crash would be. */
static void spawn(struct cp_supervisor *s, struct child *c, uint64_t now) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t none, all;
  char own[48], **env = NULL;
  int fds[2] = {-1, -1}, rc;
  pid_t pid;

  CP_ASSERT_HELD(&s->mu);
  snprintf(own, sizeof own, "CPLANE_SUPERVISOR_PID=%d", (int)getpid());
  if (pipe2(fds, O_CLOEXEC) < 0 || (env = child_env(own)) == NULL) {
    rc = errno != 0 ? errno : ENOMEM;
    goto fail;
  }
  if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
    goto fail;
  if ((rc = posix_spawnattr_init(&attr)) != 0) {
    posix_spawn_file_actions_destroy(&fa);
    goto fail;
  }
  sigemptyset(&none);
  sigfillset(&all);
  /* Nothing of ours but the pipe: not the API server's sockets, not the
   * store; no blocked or ignored signal either (ours are blocked for the
   * signalfd, and SIGPIPE is ignored). */
  if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
                                             0)) == 0 &&
      (rc = posix_spawn_file_actions_adddup2(&fa, fds[1], 1)) == 0 &&
      (rc = posix_spawn_file_actions_adddup2(&fa, fds[1], 2)) == 0 &&
      (rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) == 0 &&
      (rc = posix_spawnattr_setsigmask(&attr, &none)) == 0 &&
      (rc = posix_spawnattr_setsigdefault(&attr, &all)) == 0 &&
      (rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
                                                POSIX_SPAWN_SETSIGDEF)) == 0)
    rc = posix_spawn(&pid, c->argv[0], &fa, &attr, c->argv, env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  free(env);
  env = NULL;
  close(fds[1]);
  fds[1] = -1;
  if (rc != 0)
    goto fail;
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  c->out_fd = fds[0];
  c->pid = pid;
  c->state = CH_RUNNING;
  c->metrics_addr[0] = '\0'; /* until this child says */
  c->started_ms = now;
  c->term_sent_ms = 0;
  c->line_len = 0;
  if (c->starts++ > 0)
    cp_log_info("supervisor", "plugin %s restarted: pid %d (restart %llu)",
                c->name, (int)pid, (unsigned long long)(c->starts - 1));
  else
    cp_log_info("supervisor", "plugin %s started in its own process: pid "
                              "%d", c->name, (int)pid);
  return;
fail:
  if (fds[0] >= 0)
    close(fds[0]);
  if (fds[1] >= 0)
    close(fds[1]);
  free(env);
  c->start_at_ms = now + cp_crashloop_next(&c->backoff, 0);
  cp_log_error("supervisor", "plugin %s: cannot start %s: %s; retrying in "
                             "%.1f s", c->name, c->argv[0], strerror(rc),
               (c->start_at_ms - now) / 1e3);
}

/* The child's health line, "... health and metrics on http://ADDR (...",
 * says where its own metrics are (isolated_metrics.h). */
static void note_metrics_addr(struct child *c) {
  static const char mark[] = "health and metrics on http://";
  const char *p = memmem(c->line, c->line_len, mark, sizeof mark - 1);
  size_t n = 0;

  if (p == NULL)
    return;
  p += sizeof mark - 1;
  while (p + n < c->line + c->line_len && p[n] != ' ' &&
         n + 1 < sizeof c->metrics_addr)
    n++;
  memcpy(c->metrics_addr, p, n);
  c->metrics_addr[n] = '\0';
}

/* How much of p[0..len) (whole lines) to write at once: the most whole
 * lines within PIPE_BUF, a write that a pipe keeps whole, so no other
 * writer's line lands inside one; a longer line goes alone. */
static size_t chunk_len(const char *p, size_t len) {
  const char *nl;

  if (len <= PIPE_BUF)
    return len;
  if ((nl = memrchr(p, '\n', PIPE_BUF)) != NULL)
    return (size_t)(nl - p) + 1;
  nl = memchr(p, '\n', len);
  return nl != NULL ? (size_t)(nl - p) + 1 : len;
}

/* Writes the pending lines to the log. Supervisor thread only; called
 * without mu after a read, so that the writes (thousands of lines from a
 * chatty child) do not hold up readiness and the metrics, and with mu
 * held before a child's end is logged, which must follow its last lines. */
static void flush_output(struct cp_supervisor *s) {
  size_t off = 0, n;

  while (off < s->out.len) {
    n = chunk_len(s->out.p + off, s->out.len - off);
    if (write(s->cfg.log_fd, s->out.p + off, n) < 0) {
      /* The log is gone: nothing better to do with the lines. */
    }
    off += n;
  }
  s->out.len = 0; /* the memory is kept for the next lines */
}

/* One line of the child's, whole and tagged, into the pending output. */
static void emit_line(struct cp_supervisor *s, struct child *c) {
  char tag[160];
  size_t tl;

  if (c->line_len == 0)
    return;
  note_metrics_addr(c);
  tl = (size_t)snprintf(tag, sizeof tag, "plugin %s[%d]| ", c->name,
                        (int)c->pid);
  if (tl >= sizeof tag)
    tl = sizeof tag - 1;
  /* Room for the whole line first, so that none is written in part. */
  if (cplane_strbuf_reserve(&s->out, tl + c->line_len + 1) == 0) {
    cplane_strbuf_addn(&s->out, tag, tl);
    cplane_strbuf_addn(&s->out, c->line, c->line_len);
    cplane_strbuf_addn(&s->out, "\n", 1);
  } else {
    /* Out of memory: the line is lost, as a failed write would lose it;
     * the next line may find room. */
    s->out.failed = 0;
  }
  c->line_len = 0;
}

/* Reads what the child wrote: at most READS_PER_WAKE buffers, so that a
 * child writing without pause cannot hold mu (and /readyz) for long; the
 * rest is read at the next wake. Returns 0 at EOF (fd closed), 1
 * otherwise. */
#define READS_PER_WAKE 32
static int read_output(struct cp_supervisor *s, struct child *c) {
  char buf[4096];
  ssize_t n, i;
  int reads;

  for (reads = 0; reads < READS_PER_WAKE; reads++) {
    n = read(c->out_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return 1; /* EAGAIN: all read for now */
    if (n == 0) {
      emit_line(s, c);
      close(c->out_fd);
      c->out_fd = -1;
      return 0;
    }
    for (i = 0; i < n; i++) {
      if (buf[i] == '\n') {
        emit_line(s, c);
        continue;
      }
      if (c->line_len == sizeof c->line)
        emit_line(s, c);
      c->line[c->line_len++] = buf[i];
    }
  }
  return 1;
}

static void describe_status(int status, char *out, size_t len) {
  if (WIFSIGNALED(status))
    snprintf(out, len, "killed by signal %d (%s)%s", WTERMSIG(status),
             strsignal(WTERMSIG(status)),
             WCOREDUMP(status) ? ", core dumped" : "");
  else
    snprintf(out, len, "exited with status %d", WEXITSTATUS(status));
}

/* c's process ended with status. Caller holds mu. */
static void on_exit_status(struct cp_supervisor *s, struct child *c,
                           int status, uint64_t now) {
  uint64_t ran = now - c->started_ms, delay;
  int crashed = WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
  char how[128];

  CP_ASSERT_HELD(&s->mu);
  if (c->out_fd >= 0) {
    read_output(s, c); /* its last words: the crash line, the backtrace */
    emit_line(s, c);
    flush_output(s); /* before what is said of its end */
    if (c->out_fd >= 0) {
      close(c->out_fd);
      c->out_fd = -1;
    }
  }
  describe_status(status, how, sizeof how);
  c->state = CH_WAITING;
  c->pid = 0;
  c->term_sent_ms = 0;
  if (c->removed || s->stopping) {
    cp_log_info("supervisor", "plugin %s stopped: %s", c->name, how);
    return;
  }
  if (c->restart_now) {
    c->restart_now = 0;
    c->start_at_ms = now;
    cp_log_info("supervisor", "plugin %s stopped for a restart (%s)",
                c->name, how);
    return;
  }
  delay = cp_crashloop_next(&c->backoff, ran);
  c->start_at_ms = now + delay;
  if (crashed)
    c->crashes++;
  cp_log(crashed ? CPLANE_LOG_ERROR : CPLANE_LOG_WARN, "supervisor",
         "plugin %s %s: %s after running %.1f s; restarting in %.1f s "
         "(back-off)", c->name, crashed ? "crashed" : "exited unasked", how,
         ran / 1e3, delay / 1e3);
}

/* Reaps every child that ended; drops the removed ones. Caller holds
 * mu. */
static void reap(struct cp_supervisor *s, uint64_t now) {
  size_t i;
  int status;

  for (i = 0; i < s->n; i++) {
    struct child *c = s->children[i];

    if (c->state == CH_RUNNING && waitpid(c->pid, &status, WNOHANG) == c->pid)
      on_exit_status(s, c, status, now);
    if (c->state == CH_RUNNING && c->term_sent_ms != 0 &&
        now - c->term_sent_ms > s->cfg.stop_timeout_ms) {
      cp_log_warn("supervisor", "plugin %s (pid %d) did not stop within "
                                "%.1f s of SIGTERM: SIGKILL", c->name,
                  (int)c->pid, s->cfg.stop_timeout_ms / 1e3);
      kill(c->pid, SIGKILL);
      c->term_sent_ms = now; /* again after another timeout, if ever */
    }
    if (c->state == CH_WAITING && (c->removed || s->stopping)) {
      child_free(c);
      s->children[i--] = s->children[--s->n];
    }
  }
}

/* The before_start hook for c, called without mu (it blocks: requests,
 * a process). Returns 0 when c is still to start now. Caller holds mu;
 * c stays valid (only this thread frees children). */
static int before_start(struct cp_supervisor *s, struct child *c,
                        uint64_t now) {
  char *name, *err = NULL;
  int rc;

  if (s->cfg.before_start == NULL)
    return 0;
  if ((name = strdup(c->name)) == NULL)
    return -1; /* out of memory: the next tick tries again */
  pthread_mutex_unlock(&s->mu);
  rc = s->cfg.before_start(s->cfg.before_start_ud, name, &err);
  pthread_mutex_lock(&s->mu);
  free(name);
  if (c->state != CH_WAITING || c->removed || s->stopping) {
    free(err);
    return -1;
  }
  if (rc == 0)
    return 0;
  c->start_at_ms = now + cp_crashloop_next(&c->backoff, 0);
  cp_log_error("supervisor", "plugin %s: cannot start: %s; retrying in "
                             "%.1f s", c->name,
               err != NULL ? err : "out of memory",
               (c->start_at_ms - now) / 1e3);
  free(err);
  return -1;
}

/* Starts what is due; returns how long the thread may sleep. Caller
 * holds mu. */
static int start_due(struct cp_supervisor *s, uint64_t now) {
  uint64_t sleep_ms = TICK_MS;
  size_t i;

  if (s->n == 0)
    return -1; /* nothing to reap or start: sleep until woken */
  for (i = 0; i < s->n; i++) {
    struct child *c = s->children[i];

    if (c->state != CH_WAITING || c->removed || s->stopping)
      continue;
    if (c->start_at_ms <= now && before_start(s, c, now) == 0)
      spawn(s, c, now_ms());
    else if (c->start_at_ms - now < sleep_ms)
      sleep_ms = c->start_at_ms - now;
  }
  return (int)sleep_ms;
}

static void *supervise(void *arg) {
  struct cp_supervisor *s = arg;
  struct pollfd *pfd = NULL;
  struct child **who = NULL;
  size_t i, np;
  int timeout;
  char drain[64];

  pthread_setname_np(pthread_self(), "supervisor");
  pthread_mutex_lock(&s->mu);
  for (;;) {
    uint64_t now = now_ms();

    reap(s, now);
    if (s->stopping) {
      for (i = 0; i < s->n; i++)
        terminate(s, s->children[i]);
      if (s->n == 0)
        break;
    }
    timeout = start_due(s, now);
    free(pfd);
    free(who);
    pfd = calloc(s->n + 1, sizeof *pfd);
    who = calloc(s->n + 1, sizeof *who);
    if (pfd == NULL || who == NULL) {
      pthread_mutex_unlock(&s->mu);
      poll(NULL, 0, TICK_MS); /* out of memory: try again soon */
      pthread_mutex_lock(&s->mu);
      continue;
    }
    pfd[0].fd = s->wake[0];
    pfd[0].events = POLLIN;
    for (i = 0, np = 1; i < s->n; i++) {
      if (s->children[i]->out_fd < 0)
        continue;
      pfd[np].fd = s->children[i]->out_fd;
      pfd[np].events = POLLIN;
      who[np++] = s->children[i];
    }
    pthread_mutex_unlock(&s->mu);
    poll(pfd, np, timeout);
    while (read(s->wake[0], drain, sizeof drain) > 0) {
    }
    pthread_mutex_lock(&s->mu);
    /* Children are freed only by this thread: who[] is still good. */
    for (i = 1; i < np; i++)
      if (pfd[i].revents != 0 && who[i]->out_fd == pfd[i].fd)
        read_output(s, who[i]);
    if (s->out.len > 0) {
      pthread_mutex_unlock(&s->mu);
      flush_output(s);
      pthread_mutex_lock(&s->mu);
    }
  }
  flush_output(s);
  pthread_mutex_unlock(&s->mu);
  free(pfd);
  free(who);
  return NULL;
}

int cp_supervisor_start(struct cp_supervisor *s) {
  int rc = 0;

  pthread_mutex_lock(&s->mu);
  if (!s->started) {
    if (pthread_create(&s->thread, NULL, supervise, s) != 0)
      rc = -1;
    else
      s->started = 1;
  }
  pthread_mutex_unlock(&s->mu);
  return rc;
}

size_t cp_supervisor_count(struct cp_supervisor *s) {
  size_t i, n = 0;

  pthread_mutex_lock(&s->mu);
  for (i = 0; i < s->n; i++)
    n += !s->children[i]->removed;
  pthread_mutex_unlock(&s->mu);
  return n;
}

int cp_supervisor_pid(struct cp_supervisor *s, const char *name) {
  struct child *c;
  int pid = 0;

  pthread_mutex_lock(&s->mu);
  c = find(s, name);
  if (c != NULL && c->state == CH_RUNNING)
    pid = (int)c->pid;
  pthread_mutex_unlock(&s->mu);
  return pid;
}

static uint64_t counter(struct cp_supervisor *s, const char *name,
                        int restarts) {
  struct child *c;
  uint64_t v = 0;

  pthread_mutex_lock(&s->mu);
  c = find(s, name);
  if (c != NULL)
    v = restarts ? (c->starts > 0 ? c->starts - 1 : 0) : c->crashes;
  pthread_mutex_unlock(&s->mu);
  return v;
}

uint64_t cp_supervisor_crashes(struct cp_supervisor *s, const char *name) {
  return counter(s, name, 0);
}

uint64_t cp_supervisor_restarts(struct cp_supervisor *s, const char *name) {
  return counter(s, name, 1);
}

int cp_supervisor_ready(struct cp_supervisor *s, FILE *out) {
  uint64_t now = now_ms();
  size_t i;
  int all = 1;

  pthread_mutex_lock(&s->mu);
  for (i = 0; i < s->n; i++) {
    struct child *c = s->children[i];

    if (c->removed)
      continue;
    if (!s->started) {
      fprintf(out, "[+]plugin %s ok (isolated, starts when leading)\n",
              c->name);
    } else if (c->state == CH_RUNNING) {
      fprintf(out, "[+]plugin %s ok (isolated, pid %d)\n", c->name,
              (int)c->pid);
    } else {
      fprintf(out, "[-]plugin %s: its process is not running (%llu "
                   "crash(es); next start in %.1f s)\n", c->name,
              (unsigned long long)c->crashes,
              c->start_at_ms > now ? (c->start_at_ms - now) / 1e3 : 0.0);
      all = 0;
    }
  }
  pthread_mutex_unlock(&s->mu);
  return all;
}

int cp_supervisor_metrics_write(struct cp_supervisor *s, FILE *out) {
  size_t i;

  pthread_mutex_lock(&s->mu);
  fputs("# HELP cplane_plugin_crashes_total Exits of an isolated plugin's "
        "process by a signal or with a status other than 0\n"
        "# TYPE cplane_plugin_crashes_total counter\n", out);
  for (i = 0; i < s->n; i++)
    fprintf(out, "cplane_plugin_crashes_total{plugin=\"%s\"} %llu\n",
            s->children[i]->name,
            (unsigned long long)s->children[i]->crashes);
  fputs("# HELP cplane_plugin_restarts_total Starts of an isolated "
        "plugin's process after its first\n"
        "# TYPE cplane_plugin_restarts_total counter\n", out);
  for (i = 0; i < s->n; i++)
    fprintf(out, "cplane_plugin_restarts_total{plugin=\"%s\"} %llu\n",
            s->children[i]->name,
            (unsigned long long)(s->children[i]->starts > 0
                                     ? s->children[i]->starts - 1
                                     : 0));
  pthread_mutex_unlock(&s->mu);
  return ferror(out) ? -1 : 0;
}

size_t cp_supervisor_metrics_targets(struct cp_supervisor *s,
                                     struct cp_supervisor_target *out,
                                     size_t max) {
  size_t i, n = 0;

  pthread_mutex_lock(&s->mu);
  for (i = 0; i < s->n && n < max; i++) {
    struct child *c = s->children[i];

    if (c->removed || c->state != CH_RUNNING || c->metrics_addr[0] == '\0')
      continue;
    snprintf(out[n].name, sizeof out[n].name, "%s", c->name);
    snprintf(out[n].addr, sizeof out[n].addr, "%s", c->metrics_addr);
    n++;
  }
  pthread_mutex_unlock(&s->mu);
  return n;
}

void cp_supervisor_free(struct cp_supervisor *s) {
  size_t i;
  int started;

  if (s == NULL)
    return;
  pthread_mutex_lock(&s->mu);
  s->stopping = 1;
  started = s->started;
  pthread_mutex_unlock(&s->mu);
  wake(s);
  if (started)
    pthread_join(s->thread, NULL);
  for (i = 0; i < s->n; i++)
    child_free(s->children[i]);
  free(s->children);
  close(s->wake[0]);
  close(s->wake[1]);
  pthread_mutex_destroy(&s->mu);
  cplane_strbuf_reset(&s->out);
  free(s);
}
