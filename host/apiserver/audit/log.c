/*
 * audit/log - the audit log file, its writer thread and lumberjack's
 * rotation (see log.h).
 */
#include "apiserver/audit/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"

#define DEFAULT_MAX_BYTES (100ull * 1024 * 1024) /* lumberjack's */
#define MAX_BACKUPS_SCANNED 4096

struct line {
  struct line *next;
  size_t len;
  char text[]; /* with its newline */
};

struct cp_audit_log {
  char *path;
  int to_stdout;
  uint64_t max_bytes;
  int max_backups, max_age_days;
  int fd;
  uint64_t size; /* of the open file; writer thread only */

  pthread_t writer;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct line *head, *tail; /* queued, under mu */
  size_t queued_lines, queued_bytes;
  int stopping;
  uint64_t written, dropped, errors; /* under mu */
};

/* ------------------------------------------------------------ names */

/* The base name's extension (Go's filepath.Ext): from its last dot. */
static const char *ext_of(const char *base) {
  const char *dot = strrchr(base, '.');

  return dot != NULL ? dot : base + strlen(base);
}

void cp_audit_log_backup_name(const char *path, int64_t ms, char *buf,
                              size_t len) {
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  const char *ext = ext_of(base);
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  char stamp[32];

  gmtime_r(&t, &tm);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H-%M-%S", &tm);
  snprintf(buf, len, "%.*s-%s.%03d%s", (int)(ext - path), path, stamp,
           (int)(ms % 1000), ext);
}

/* The time of a backup name's stamp, or -1 when it is not one of ours. */
static int64_t backup_time(const char *name, const char *prefix,
                           const char *ext) {
  size_t np = strlen(prefix), ne = strlen(ext), n = strlen(name);
  struct tm tm;
  char stamp[32];
  int msec;

  if (n != np + 1 + 23 + ne || strncmp(name, prefix, np) != 0 ||
      name[np] != '-' || strcmp(name + n - ne, ext) != 0)
    return -1;
  memcpy(stamp, name + np + 1, 23);
  stamp[23] = '\0';
  memset(&tm, 0, sizeof tm);
  if (sscanf(stamp, "%4d-%2d-%2dT%2d-%2d-%2d.%3d", &tm.tm_year, &tm.tm_mon,
             &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &msec) != 7)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return (int64_t)timegm(&tm) * 1000 + msec;
}

struct backup {
  int64_t ms;
  char *name;
};

static int newest_first(const void *a, const void *b) {
  const struct backup *x = a, *y = b;

  return x->ms < y->ms ? 1 : x->ms > y->ms ? -1 : 0;
}

/* lumberjack's millRunOnce: backups beyond max_backups (the oldest) and
 * older than max_age_days go. */
static void remove_old_backups(struct cp_audit_log *l, int64_t now_ms) {
  const char *slash = strrchr(l->path, '/');
  const char *base = slash ? slash + 1 : l->path;
  const char *ext = ext_of(base);
  char *dir = slash ? strndup(l->path, (size_t)(slash - l->path))
                    : strdup(".");
  char *prefix = strndup(base, (size_t)(ext - base));
  struct backup *b = calloc(MAX_BACKUPS_SCANNED, sizeof *b);
  struct dirent *de;
  size_t n = 0, i;
  DIR *d = NULL;
  char full[4096];

  if (dir == NULL || prefix == NULL || b == NULL ||
      (d = opendir(slash && slash == l->path ? "/" : dir)) == NULL)
    goto out;
  while ((de = readdir(d)) != NULL && n < MAX_BACKUPS_SCANNED) {
    int64_t ms = backup_time(de->d_name, prefix, ext);

    if (ms < 0 || (b[n].name = strdup(de->d_name)) == NULL)
      continue;
    b[n++].ms = ms;
  }
  qsort(b, n, sizeof *b, newest_first);
  for (i = 0; i < n; i++) {
    int beyond = l->max_backups > 0 && i >= (size_t)l->max_backups;
    int old = l->max_age_days > 0 &&
              now_ms - b[i].ms > (int64_t)l->max_age_days * 86400000;

    if (!beyond && !old)
      continue;
    snprintf(full, sizeof full, "%s/%s", dir, b[i].name);
    if (unlink(full) < 0)
      cp_log_warn("apiserver", "audit log: cannot remove %s: %s", full,
                  strerror(errno));
  }
out:
  if (d != NULL)
    closedir(d);
  for (i = 0; b != NULL && i < n; i++)
    free(b[i].name);
  free(b);
  free(prefix);
  free(dir);
}

/* ------------------------------------------------------------ file */

static int open_file(struct cp_audit_log *l) {
  struct stat st;

  l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (l->fd < 0)
    return -1;
  l->size = fstat(l->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
  return 0;
}

static int64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writer thread: the current file becomes a backup, a new one opens. */
static int rotate(struct cp_audit_log *l) {
  char backup[4096];
  int64_t ms = now_ms();

  close(l->fd);
  l->fd = -1;
  cp_audit_log_backup_name(l->path, ms, backup, sizeof backup);
  if (rename(l->path, backup) < 0)
    cp_log_warn("apiserver", "audit log: cannot rename %s to %s: %s",
                l->path, backup, strerror(errno));
  if (open_file(l) < 0) {
    cp_log_error("apiserver", "audit log: cannot open %s: %s", l->path,
                 strerror(errno));
    return -1;
  }
  if (l->max_backups > 0 || l->max_age_days > 0)
    remove_old_backups(l, ms);
  return 0;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);

    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Writer thread: one line, rotating first when it would not fit. */
static int write_line(struct cp_audit_log *l, const struct line *ln) {
  if (l->to_stdout)
    return write_all(STDOUT_FILENO, ln->text, ln->len);
  if (ln->len > l->max_bytes) /* lumberjack refuses it too */
    return -1;
  if ((l->fd < 0 || l->size + ln->len > l->max_bytes) && rotate(l) < 0)
    return -1;
  if (write_all(l->fd, ln->text, ln->len) < 0)
    return -1;
  l->size += ln->len;
  return 0;
}

static void *writer_main(void *arg) {
  struct cp_audit_log *l = arg;

  pthread_setname_np(pthread_self(), "audit-log");
  pthread_mutex_lock(&l->mu);
  for (;;) {
    struct line *batch, *ln;
    uint64_t ok = 0, bad = 0;

    while (l->head == NULL && !l->stopping)
      pthread_cond_wait(&l->cv, &l->mu);
    if (l->head == NULL)
      break;
    batch = l->head;
    l->head = l->tail = NULL;
    l->queued_lines = 0;
    l->queued_bytes = 0;
    pthread_mutex_unlock(&l->mu);
    while ((ln = batch) != NULL) {
      batch = ln->next;
      if (write_line(l, ln) == 0)
        ok++;
      else
        bad++;
      free(ln);
    }
    pthread_mutex_lock(&l->mu);
    l->written += ok;
    l->errors += bad;
  }
  pthread_mutex_unlock(&l->mu);
  return NULL;
}

/* ------------------------------------------------------------ API */

int cp_audit_log_open(const struct cp_audit_log_config *cfg,
                      struct cp_audit_log **out, char **err) {
  struct cp_audit_log *l = calloc(1, sizeof *l);

  *out = NULL;
  *err = NULL;
  if (l == NULL || (l->path = strdup(cfg->path)) == NULL)
    goto nomem;
  l->fd = -1;
  l->to_stdout = strcmp(cfg->path, "-") == 0;
  l->max_bytes = cfg->max_bytes ? cfg->max_bytes : DEFAULT_MAX_BYTES;
  l->max_backups = cfg->max_backups;
  l->max_age_days = cfg->max_age_days;
  if (!l->to_stdout && open_file(l) < 0) {
    if (asprintf(err, "audit log \"%s\": %s", cfg->path, strerror(errno)) <
        0)
      *err = NULL;
    free(l->path);
    free(l);
    return -1;
  }
  pthread_mutex_init(&l->mu, NULL);
  pthread_cond_init(&l->cv, NULL);
  if (pthread_create(&l->writer, NULL, writer_main, l) != 0) {
    if (l->fd >= 0)
      close(l->fd);
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    goto nomem;
  }
  *out = l;
  return 0;
nomem:
  if (l != NULL)
    free(l->path);
  free(l);
  *err = strdup("audit log: out of memory");
  return -1;
}

void cp_audit_log_close(struct cp_audit_log *l) {
  if (l == NULL)
    return;
  pthread_mutex_lock(&l->mu);
  l->stopping = 1;
  pthread_cond_signal(&l->cv);
  pthread_mutex_unlock(&l->mu);
  pthread_join(l->writer, NULL);
  if (l->fd >= 0)
    close(l->fd);
  pthread_cond_destroy(&l->cv);
  pthread_mutex_destroy(&l->mu);
  free(l->path);
  free(l);
}

int cp_audit_log_write(struct cp_audit_log *l, const char *text,
                       size_t len) {
  struct line *ln = malloc(sizeof *ln + len + 1);
  int rc = -1;

  pthread_mutex_lock(&l->mu);
  if (ln == NULL || l->stopping ||
      l->queued_lines >= CP_AUDIT_LOG_QUEUE_LINES ||
      l->queued_bytes + len > CP_AUDIT_LOG_QUEUE_BYTES) {
    l->dropped++;
    goto out;
  }
  memcpy(ln->text, text, len);
  ln->text[len] = '\n';
  ln->len = len + 1;
  ln->next = NULL;
  if (l->tail != NULL)
    l->tail->next = ln;
  else
    l->head = ln;
  l->tail = ln;
  l->queued_lines++;
  l->queued_bytes += len;
  ln = NULL;
  rc = 0;
  pthread_cond_signal(&l->cv);
out:
  pthread_mutex_unlock(&l->mu);
  free(ln);
  return rc;
}

int cp_audit_log_metrics_write(struct cp_audit_log *l, FILE *f) {
  uint64_t written, dropped, errors;

  pthread_mutex_lock(&l->mu);
  written = l->written;
  dropped = l->dropped;
  errors = l->errors;
  pthread_mutex_unlock(&l->mu);
  return fprintf(f,
                 "# HELP apiserver_audit_event_total Counter of audit "
                 "events generated and sent to the audit backend.\n"
                 "# TYPE apiserver_audit_event_total counter\n"
                 "apiserver_audit_event_total %llu\n"
                 "# HELP apiserver_audit_error_total Counter of audit "
                 "events that failed to be audited properly.\n"
                 "# TYPE apiserver_audit_error_total counter\n"
                 "apiserver_audit_error_total{plugin=\"log\"} %llu\n"
                 "# HELP cplane_apiserver_audit_events_dropped_total Audit "
                 "events dropped because the log's queue was full.\n"
                 "# TYPE cplane_apiserver_audit_events_dropped_total "
                 "counter\n"
                 "cplane_apiserver_audit_events_dropped_total %llu\n",
                 (unsigned long long)(written + errors),
                 (unsigned long long)errors,
                 (unsigned long long)dropped) < 0
             ? -1
             : 0;
}
