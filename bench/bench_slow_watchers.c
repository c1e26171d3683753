/*
 * bench_slow_watchers - the API server's memory under watchers that do not
 * keep up: 200 watchers of ConfigMaps (half read everything as fast as
 * they can, half read 2 KiB every 50 ms) while 50 writers update
 * ConfigMaps as fast as the server takes them. Before the watch bounds
 * this took a server from 17 MB to 5.4 GB in 97 s.
 *
 * The server runs in a child process (its own RSS is what is measured);
 * this process holds the clients. A slow watcher the server closes (it
 * fell more than its bound behind) watches again from scratch, as a
 * client re-lists, so the pressure lasts the whole run.
 *
 * Checks: the server's peak RSS (VmHWM) stays under the limit (default
 * 512 MiB), and every fast watcher receives every write's event, exactly
 * once, its stream never closed. Prints the peak RSS, the RSS a few
 * seconds after the clients left (the heap handed back), the writes, the
 * events each fast watcher got and how many times slow ones were closed.
 *
 * Usage: bench_slow_watchers [seconds (180)] [rss_limit_mib (512)]
 * Exit status 0 when every check holds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apiserver/apiserver.h"
#include "log/log.h"
#include "store/store.h"

#define WRITERS 50
#define FAST 100
#define SLOW 100
#define OBJS_PER_WRITER 10
#define DATA_BYTES 512
#define SLOW_READ 2048
#define SLOW_EVERY_MS 50
#define SLOW_RCVBUF 65536
#define FAST_THREADS 2
#define NS_CM "/api/v1/namespaces/default/configmaps"

static int port;
static atomic_int stop_writers, stop_readers;
static atomic_long writes;

static int64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the server (child process) ---- */

/* VmHWM and VmRSS of this process, KiB. */
static void rss_kb(long *hwm, long *rss) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];

  *hwm = *rss = 0;
  while (f != NULL && fgets(line, sizeof line, f) != NULL) {
    sscanf(line, "VmHWM: %ld kB", hwm);
    sscanf(line, "VmRSS: %ld kB", rss);
  }
  if (f != NULL)
    fclose(f);
}

/* Serves until its command pipe says 'q'; 'm' answers "hwm rss\n". */
static int server_main(const char *dir, int cmd_fd, int out_fd) {
  struct cp_apiserver_config cfg = {0};
  struct cp_apiserver *srv = NULL;
  cp_store *store = NULL;
  char path[256], *err = NULL, c, msg[64];
  long hwm, rss;
  int n;

  snprintf(path, sizeof path, "%s/db", dir);
  if (cp_store_sqlite_open(path, NULL, &store, &err) != 0)
    goto fail;
  cfg.store = store;
  cfg.workers = 8;
  if (cp_apiserver_start(&cfg, &srv, &err) != 0)
    goto fail;
  n = snprintf(msg, sizeof msg, "%d\n", cp_apiserver_port(srv));
  if (write(out_fd, msg, (size_t)n) != n)
    goto fail;
  while (read(cmd_fd, &c, 1) == 1 && c != 'q') {
    rss_kb(&hwm, &rss);
    n = snprintf(msg, sizeof msg, "%ld %ld\n", hwm, rss);
    if (write(out_fd, msg, (size_t)n) != n)
      break;
  }
  cp_apiserver_stop(srv);
  cp_store_close(store);
  return 0;
fail:
  fprintf(stderr, "bench_slow_watchers: server: %s\n", err ? err : "error");
  free(err);
  return 1;
}

/* ---- HTTP clients ---- */

/* rcvbuf > 0: a fixed receive buffer (no autotuning, which on loopback
 * lets the kernel hold up to 32 MB for a client that does not read). */
static int dial_buf(int rcvbuf) {
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

  if (fd < 0)
    return -1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (rcvbuf > 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int dial(void) { return dial_buf(0); }

static int send_all(int fd, const char *s, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

    if (n <= 0)
      return -1;
    s += n;
    len -= (size_t)n;
  }
  return 0;
}

/* One request on a keep-alive connection; returns the status code (-1 on
 * a broken connection) and, if body is not NULL, the body (malloc'd). */
static int request(int fd, const char *method, const char *path,
                   const char *data, char **body) {
  char head[512], *buf = NULL, *end, *cl;
  size_t len = 0, cap = 0, need = 0;
  int n, code = -1;

  n = snprintf(head, sizeof head,
               "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
               "\r\nContent-Length: %zu\r\n\r\n",
               method, path, data ? strlen(data) : 0);
  if (send_all(fd, head, (size_t)n) != 0 ||
      (data != NULL && send_all(fd, data, strlen(data)) != 0))
    return -1;
  for (;;) {
    ssize_t r;

    if (cap - len < 4096) {
      char *g = realloc(buf, cap * 2 + 8192);

      if (g == NULL)
        goto out;
      buf = g;
      cap = cap * 2 + 8192;
    }
    r = recv(fd, buf + len, cap - len - 1, 0);
    if (r <= 0)
      goto out;
    len += (size_t)r;
    buf[len] = '\0';
    if ((end = strstr(buf, "\r\n\r\n")) == NULL)
      continue;
    if (need == 0) {
      cl = strcasestr(buf, "Content-Length:");
      need = (size_t)(end + 4 - buf) +
             (cl != NULL && cl < end ? strtoul(cl + 15, NULL, 10) : 0);
    }
    if (len >= need)
      break;
  }
  code = atoi(buf + 9);
  if (body != NULL)
    *body = strdup(strstr(buf, "\r\n\r\n") + 4);
out:
  free(buf);
  return code;
}

static char *cm_body(const char *name, long seq) {
  char *s = NULL, pad[DATA_BYTES + 1];

  memset(pad, 'x', DATA_BYTES);
  pad[DATA_BYTES] = '\0';
  if (asprintf(&s, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                   "\"metadata\":{\"name\":\"%s\"},\"data\":{\"seq\":"
                   "\"%ld\",\"pad\":\"%s\"}}",
               name, seq, pad) < 0)
    return NULL;
  return s;
}

static void *writer_main(void *arg) {
  long id = (long)(intptr_t)arg, seq = 0;
  char name[32], path[128], *body;
  int fd = dial();

  while (fd >= 0 && !atomic_load(&stop_writers)) {
    snprintf(name, sizeof name, "w%ld-%ld", id, seq % OBJS_PER_WRITER);
    snprintf(path, sizeof path, NS_CM "/%s", name);
    body = cm_body(name, seq++);
    if (body == NULL)
      break;
    if (request(fd, "PUT", path, body, NULL) == 200)
      atomic_fetch_add(&writes, 1);
    else
      fprintf(stderr, "bench_slow_watchers: a PUT failed\n");
    free(body);
  }
  if (fd >= 0)
    close(fd);
  return NULL;
}

/* ---- watchers ---- */

struct watcher {
  int fd;
  long events;  /* event lines read ("}\n") */
  int ended;    /* the server ended the stream (or closed it) */
  char tail[8]; /* the last bytes read, for matches across reads */
};

static int watch_open(struct watcher *w, const char *rv, int rcvbuf) {
  char req[256];
  int n;

  memset(w, 0, sizeof *w);
  w->fd = dial_buf(rcvbuf);
  if (w->fd < 0)
    return -1;
  n = snprintf(req, sizeof req,
               "GET " NS_CM "?watch=1&timeoutSeconds=3600%s%s HTTP/1.1\r\n"
               "Host: x\r\n\r\n",
               rv ? "&resourceVersion=" : "", rv ? rv : "");
  return send_all(w->fd, req, (size_t)n);
}

/* Counts event lines (a '\n' after '}'; framing lines end in "\r\n") and
 * the last chunk ("\r\n0\r\n\r\n"). */
static void watch_feed(struct watcher *w, const char *p, size_t n) {
  char prev = w->tail[7];
  size_t i;

  for (i = 0; i < n; i++) {
    if (p[i] == '\n' && prev == '}')
      w->events++;
    prev = p[i];
  }
  if (n >= 8) {
    memcpy(w->tail, p + n - 8, 8);
  } else {
    memmove(w->tail, w->tail + n, 8 - n);
    memcpy(w->tail + 8 - n, p, n);
  }
  if (memcmp(w->tail + 1, "\r\n0\r\n\r\n", 7) == 0)
    w->ended = 1;
}

/* Reads up to max bytes if there are any; -1 when the connection ended. */
static int watch_read(struct watcher *w, size_t max) {
  static __thread char buf[1 << 18];
  ssize_t r = recv(w->fd, buf, max < sizeof buf ? max : sizeof buf,
                   MSG_DONTWAIT);

  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
    w->ended = 1;
    return -1;
  }
  if (r > 0)
    watch_feed(w, buf, (size_t)r);
  return 0;
}

static struct watcher fast[FAST], slow[SLOW];
/* FAST and SLOW unless the environment asks for fewer (to see what each
 * kind costs). */
static int n_fast = FAST, n_slow = SLOW;
static atomic_long slow_closed;
static char start_rv[32];

static void *fast_main(void *arg) {
  long k = (long)(intptr_t)arg;
  struct pollfd p[FAST];
  int i, n = 0, first = (int)k * n_fast / FAST_THREADS,
         last = (int)(k + 1) * n_fast / FAST_THREADS;

  for (i = first; i < last; i++, n++)
    p[n] = (struct pollfd){.fd = fast[i].fd, .events = POLLIN};
  while (!atomic_load(&stop_readers)) {
    if (poll(p, (nfds_t)n, 100) <= 0)
      continue;
    for (i = 0; i < n; i++)
      if (p[i].revents != 0 && !fast[first + i].ended)
        watch_read(&fast[first + i], 1 << 18);
  }
  return NULL;
}

static void *slow_main(void *arg) {
  int i;

  (void)arg;
  while (!atomic_load(&stop_readers)) {
    usleep(SLOW_EVERY_MS * 1000);
    for (i = 0; i < n_slow; i++) {
      watch_read(&slow[i], SLOW_READ);
      if (!slow[i].ended)
        continue;
      /* Closed for falling behind: watch again from scratch (a list
       * first), as a client that got its watch closed re-lists. */
      atomic_fetch_add(&slow_closed, 1);
      close(slow[i].fd);
      if (watch_open(&slow[i], NULL, SLOW_RCVBUF) != 0)
        slow[i].ended = 1;
    }
  }
  return NULL;
}

/* ---- main ---- */

static int ask(int cmd_fd, FILE *out, long *hwm, long *rss) {
  return write(cmd_fd, "m", 1) == 1 && fscanf(out, "%ld %ld", hwm, rss) == 2
             ? 0
             : -1;
}

/* apiserver_terminated_watchers_total for ConfigMaps: slow watchers the
 * server closed (a client sees the end only once it has read what was
 * sent before it, which at its pace can take minutes). */
static long terminated(void) {
  char *m = NULL, *p;
  int fd = dial();
  long n = -1;

  if (fd >= 0 && request(fd, "GET", "/metrics", NULL, &m) == 200 &&
      (p = strstr(m, "apiserver_terminated_watchers_total{group=\"\","
                     "resource=\"configmaps\"} ")) != NULL)
    n = atol(strchr(p, '}') + 2);
  else if (m != NULL)
    n = 0;
  free(m);
  if (fd >= 0)
    close(fd);
  return n;
}

/* The list's resourceVersion, and the objects every writer updates. */
static int prepare(void) {
  char name[32], *body = NULL, *p;
  int fd = dial(), i, j, rc = -1;

  if (fd < 0)
    return -1;
  for (i = 0; i < WRITERS; i++)
    for (j = 0; j < OBJS_PER_WRITER; j++) {
      char *b;

      snprintf(name, sizeof name, "w%d-%d", i, j);
      /* seq -1: every PUT the writers make changes the object (an
       * update that changes nothing is no event, as in kube). */
      b = cm_body(name, -1);
      if (b == NULL || request(fd, "POST", NS_CM, b, NULL) != 201) {
        free(b);
        goto out;
      }
      free(b);
    }
  if (request(fd, "GET", NS_CM "?limit=1", NULL, &body) != 200 ||
      (p = strstr(body, "\"resourceVersion\":\"")) == NULL)
    goto out;
  snprintf(start_rv, sizeof start_rv, "%.*s", (int)strcspn(p + 19, "\""),
           p + 19);
  rc = 0;
out:
  free(body);
  close(fd);
  return rc;
}

int main(int argc, char **argv) {
  unsigned seconds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 180;
  long limit_mb = argc > 2 ? strtol(argv[2], NULL, 10) : 512;
  char dir[] = "/tmp/cp-bench-slow-XXXXXX", cmd[128];
  int to_srv[2], from_srv[2], rc = 1, i, status;
  long n_term, hwm = 0, rss = 0, hwm_end = 0, rss_end = 0, rss_after = 0, w, min_ev,
       max_ev;
  pthread_t wt[WRITERS], ft[FAST_THREADS], st;
  int64_t t0, t_end;
  FILE *out;
  pid_t pid;

  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
  if (mkdtemp(dir) == NULL || pipe(to_srv) != 0 || pipe(from_srv) != 0)
    return 1;
  pid = fork();
  if (pid == 0) {
    close(to_srv[1]);
    close(from_srv[0]);
    cp_log_set_level(getenv("SLOW_WATCHERS_LOG") ? CPLANE_LOG_WARN : CPLANE_LOG_ERROR);
    exit(server_main(dir, to_srv[0], from_srv[1])); /* LSan checks the server */
  }
  close(to_srv[0]);
  close(from_srv[1]);
  out = fdopen(from_srv[0], "r");
  if (pid < 0 || out == NULL || fscanf(out, "%d", &port) != 1)
    goto out;
  if (prepare() != 0) {
    fprintf(stderr, "bench_slow_watchers: cannot create the ConfigMaps\n");
    goto out;
  }
  if (getenv("FAST_WATCHERS") != NULL)
    n_fast = atoi(getenv("FAST_WATCHERS")) % (FAST + 1);
  if (getenv("SLOW_WATCHERS") != NULL)
    n_slow = atoi(getenv("SLOW_WATCHERS")) % (SLOW + 1);
  for (i = 0; i < n_fast; i++)
    if (watch_open(&fast[i], start_rv, 0) != 0)
      goto out;
  for (i = 0; i < n_slow; i++)
    if (watch_open(&slow[i], start_rv, SLOW_RCVBUF) != 0)
      goto out;
  for (i = 0; i < FAST_THREADS; i++)
    pthread_create(&ft[i], NULL, fast_main, (void *)(intptr_t)i);
  pthread_create(&st, NULL, slow_main, NULL);
  sleep(1); /* the watches are registered */
  ask(to_srv[1], out, &hwm, &rss);
  printf("slow watchers: %d fast + %d slow watchers (%d B every %d ms), %d "
         "unpaced writers, %u s; server RSS at start %ld MiB\n",
         n_fast, n_slow, SLOW_READ, SLOW_EVERY_MS, WRITERS, seconds, rss / 1024);
  t0 = now_ms();
  for (i = 0; i < WRITERS; i++)
    pthread_create(&wt[i], NULL, writer_main, (void *)(intptr_t)i);
  while (now_ms() - t0 < (int64_t)seconds * 1000) {
    sleep(1);
    ask(to_srv[1], out, &hwm, &rss);
    if ((now_ms() - t0) / 1000 % 30 == 0)
      printf("  %3lld s: %ld writes, server RSS %ld MiB (peak %ld MiB), %ld "
             "watchers closed by the server, %ld ends seen by slow ones\n",
             (long long)(now_ms() - t0) / 1000, atomic_load(&writes),
             rss / 1024, hwm / 1024, terminated(),
             atomic_load(&slow_closed));
  }
  atomic_store(&stop_writers, 1);
  for (i = 0; i < WRITERS; i++)
    pthread_join(wt[i], NULL);
  t_end = now_ms();
  w = atomic_load(&writes);
  /* The fast watchers catch up with the last writes. */
  for (i = 0; i < 600; i++) {
    int k, behind = 0;

    for (k = 0; k < n_fast; k++)
      behind += !fast[k].ended && fast[k].events < w;
    if (behind == 0)
      break;
    usleep(100000);
  }
  ask(to_srv[1], out, &hwm_end, &rss_end);
  n_term = terminated();
  atomic_store(&stop_readers, 1);
  for (i = 0; i < FAST_THREADS; i++)
    pthread_join(ft[i], NULL);
  pthread_join(st, NULL);
  min_ev = max_ev = n_fast > 0 ? fast[0].events : 0;
  rc = 0;
  for (i = 0; i < n_fast; i++) {
    if (fast[i].events < min_ev)
      min_ev = fast[i].events;
    if (fast[i].events > max_ev)
      max_ev = fast[i].events;
    if (fast[i].ended || fast[i].events != w)
      rc = 1;
    close(fast[i].fd);
  }
  for (i = 0; i < n_slow; i++)
    close(slow[i].fd);
  sleep(3); /* the server sees them go, and trims its heap */
  ask(to_srv[1], out, &hwm, &rss_after);
  printf("slow watchers: %ld writes in %.1f s (%.0f/s); fast watchers got "
         "%ld-%ld events each (want %ld)%s; the server closed %ld watchers, "
         "slow ones saw %ld ends; server RSS peak %ld MiB (limit %ld), %ld MiB at the end, %ld MiB "
         "3 s after the clients left\n",
         w, (double)(t_end - t0) / 1000, (double)w * 1000 / (double)(t_end - t0),
         min_ev, max_ev, w, rc ? " FAIL" : "", n_term,
         atomic_load(&slow_closed),
         hwm_end / 1024, limit_mb, rss_end / 1024, rss_after / 1024);
  if (hwm_end / 1024 >= limit_mb) {
    printf("slow watchers: FAIL: peak RSS over the limit\n");
    rc = 1;
  }
out:
  if (pid > 0) {
    if (write(to_srv[1], "q", 1) != 1)
      kill(pid, SIGKILL);
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
      rc = 1;
  }
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    rc = 1;
  return rc;
}
