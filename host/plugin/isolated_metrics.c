/*
 * isolated_metrics - see isolated_metrics.h.
 */
#include "plugin/isolated_metrics.h"
#include "clock/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ms(void) { return cp_now_ms(); }

/* Waits for fd to be ready for `events` until the deadline. */
static int wait_fd(int fd, short events, int64_t deadline) {
  struct pollfd p = {.fd = fd, .events = events};
  int64_t left = deadline - mono_ms();
  int rc;

  if (left <= 0)
    return -1;
  do
    rc = poll(&p, 1, (int)left);
  while (rc < 0 && errno == EINTR);
  return rc == 1 ? 0 : -1;
}

/* A non-blocking TCP connection to "IPv4:PORT", or -1. */
static int dial(const char *addr, int64_t deadline) {
  struct sockaddr_in sa = {.sin_family = AF_INET};
  char host[64];
  const char *colon = strrchr(addr, ':');
  int fd, err = 0;
  socklen_t el = sizeof err;
  long port;

  if (colon == NULL || (size_t)(colon - addr) >= sizeof host)
    return -1;
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = '\0';
  port = strtol(colon + 1, NULL, 10);
  if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
    return -1;
  sa.sin_port = htons((uint16_t)port);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 &&
      (errno != EINPROGRESS || wait_fd(fd, POLLOUT, deadline) < 0 ||
       getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0)) {
    close(fd);
    return -1;
  }
  return fd;
}

/* The whole answer (headers and body) until the child closes, or NULL. */
static char *read_all(int fd, int64_t deadline, size_t *len) {
  size_t cap = 16384, n = 0;
  char *buf = malloc(cap), *grown;
  ssize_t r;

  while (buf != NULL) {
    if (n + 1 == cap) {
      if (cap > CP_ISOLATED_METRICS_MAX)
        break; /* cut: the lines so far are whole enough to keep */
      grown = realloc(buf, cap * 2);
      if (grown == NULL)
        goto fail;
      buf = grown;
      cap *= 2;
    }
    r = read(fd, buf + n, cap - n - 1);
    if (r > 0) {
      n += (size_t)r;
      continue;
    }
    if (r == 0)
      break;
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN || wait_fd(fd, POLLIN, deadline) < 0)
      goto fail;
  }
  if (buf == NULL)
    return NULL;
  buf[n] = '\0';
  *len = n;
  return buf;
fail:
  free(buf);
  return NULL;
}

/* Whether a sample line carries one of the plugin's labels. */
static int is_plugins(const char *line, size_t len, const char *name) {
  static const char *const keys[] = {"plugin=\"", "controller=\"", "name=\""};
  const char *brace = memchr(line, '{', len);
  size_t i, nl = strlen(name);

  if (brace == NULL)
    return 0;
  for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    const char *p = brace;
    size_t kl = strlen(keys[i]);

    while ((p = memmem(p, len - (size_t)(p - line), keys[i], kl)) != NULL) {
      /* A whole label name: after '{' or ',' (not "hostname=\""). */
      if ((p[-1] == '{' || p[-1] == ',') &&
          (size_t)(line + len - (p + kl)) > nl &&
          memcmp(p + kl, name, nl) == 0 && p[kl + nl] == '"')
        return 1;
      p += kl;
    }
  }
  return 0;
}

void cp_isolated_metrics_filter(char *text, const char *name) {
  char *in = text, *out = text;

  while (*in != '\0') {
    char *nl = strchr(in, '\n');
    size_t len = nl != NULL ? (size_t)(nl - in) : strlen(in);

    if (len > 0 && (in[0] == '#' || is_plugins(in, len, name))) {
      memmove(out, in, len);
      out += len;
      *out++ = '\n';
    }
    in += len + (nl != NULL);
  }
  *out = '\0';
}

char *cp_isolated_metrics_fetch(const char *addr, const char *name,
                                int timeout_ms) {
  static const char req[] = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
  int64_t deadline = mono_ms() + timeout_ms;
  int fd = dial(addr, deadline);
  char *all = NULL, *body, *text = NULL;
  size_t len = 0;

  if (fd < 0)
    return NULL;
  /* The request fits a fresh socket's buffer: one send. */
  if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof req - 1))
    goto out;
  all = read_all(fd, deadline, &len);
  if (all == NULL || strncmp(all, "HTTP/1.", 7) != 0 || len < 12 ||
      strncmp(all + 9, "200", 3) != 0)
    goto out;
  body = strstr(all, "\r\n\r\n");
  if (body == NULL)
    goto out;
  text = strdup(body + 4);
  if (text != NULL)
    cp_isolated_metrics_filter(text, name);
out:
  free(all);
  close(fd);
  return text;
}
