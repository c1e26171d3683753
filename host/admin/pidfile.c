/*
 * pidfile - see pidfile.h.
 */
#include "admin/pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *cp_pidfile_path(const char *data_dir) {
  char *path = NULL;

  if (asprintf(&path, "%s/%s", data_dir, CP_PIDFILE_NAME) < 0)
    return NULL;
  return path;
}

static int fail(char **errmsg, const char *path, const char *what) {
  if (asprintf(errmsg, "%s: %s", path, what) < 0)
    *errmsg = NULL;
  return -1;
}

/* The pid in path: > 0, 0 when the file holds no pid, -1 on error. */
static pid_t read_pid(const char *path) {
  char buf[32];
  ssize_t n;
  long pid;
  char *end;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

  if (fd < 0)
    return -1;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  errno = 0;
  pid = strtol(buf, &end, 10);
  if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') ||
      pid <= 0 || pid > INT_MAX)
    return 0;
  return (pid_t)pid;
}

static int alive(pid_t pid) {
  return kill(pid, 0) == 0 || errno == EPERM;
}

int cp_pidfile_write(const char *path, char **errmsg) {
  char buf[32];
  int fd, len, tries;
  pid_t other;

  *errmsg = NULL;
  for (tries = 0; tries < 2; tries++) {
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
              0644);
    if (fd >= 0)
      break;
    if (errno != EEXIST)
      return fail(errmsg, path, strerror(errno));
    other = read_pid(path);
    if (other > 0 && alive(other)) {
      if (asprintf(errmsg, "%s names pid %d, still running", path,
                   (int)other) < 0)
        *errmsg = NULL;
      return 1;
    }
    unlink(path); /* stale: its process is gone */
  }
  if (fd < 0)
    return fail(errmsg, path, strerror(errno));
  len = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
  if (write(fd, buf, (size_t)len) != len) {
    close(fd);
    unlink(path);
    return fail(errmsg, path, "cannot write");
  }
  close(fd);
  return 0;
}

void cp_pidfile_remove(const char *path) {
  if (path != NULL && read_pid(path) == getpid())
    unlink(path);
}

pid_t cp_pidfile_read(const char *path, char **errmsg) {
  pid_t pid = read_pid(path);

  *errmsg = NULL;
  if (pid < 0)
    return fail(errmsg, path, errno == ENOENT ? "no such file (is cplane "
                                                "running on this data "
                                                "directory?)"
                                              : strerror(errno));
  if (pid == 0)
    return fail(errmsg, path, "holds no process id");
  if (!alive(pid)) {
    if (asprintf(errmsg, "%s names pid %d, which is not running", path,
                 (int)pid) < 0)
      *errmsg = NULL;
    return -1;
  }
  return pid;
}
