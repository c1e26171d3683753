/*
 * watch_floor - what the watch figure would be with no API server at all:
 * the same 1,000 loopback TCP streams, written the way the server's
 * flushers write them (two threads, one send per stream per 15 ms tick,
 * the ticks staggered) and read the way the bench reads them, with events
 * at the same rate. An event's latency runs from its due time to the
 * client's read, so it holds the tick, the burst of sends and the read,
 * and nothing else: no request, commit, store watch or encoding.
 *
 * On a 2-core VM where one loopback send or read costs 10-20 us, this
 * floor is most of the figure; printed beside the server's, in the same
 * run, it tells a slow machine from a slow server. A second run at 1,000
 * events/s has the server take the same creates meanwhile (with no
 * watchers of its own), for the floor beside that load. Included by
 * bench_apiserver.c (uses its now_ns, thread_cpu_s, sleep_until_ns,
 * gather_sorted and paced_writer).
 */
#define FLOOR_TICK_MS 15
#define FLOOR_SENDERS 2
#define FLOOR_LINE 240 /* bytes per event, about a bench watch line */
#define FLOOR_MAX_LINES 256

struct floor_run {
  int n;
  int *srv, *cli;
  int rate;
  int64_t t0, end;
};

struct floor_sender {
  struct floor_run *f;
  int id;
  long sends;
  double cpu_s;
};

struct floor_reader {
  struct floor_run *f;
  int epfd;
  char (*part)[FLOOR_LINE]; /* each stream's partial line */
  size_t *part_len;
  int32_t *lat_us;
  size_t n, cap; /* n: read by the main thread with __atomic */
  double cpu_s;
  volatile int *stop;
};

/* Event k is due (the floor's "commit") at t0 + k / rate. */
static int64_t floor_due(const struct floor_run *f, long k) {
  return f->t0 + (int64_t)k * 1000000000 / f->rate;
}

/* Every tick: the events due since the last one, as one buffer sent to
 * each of this thread's streams (all of them are at the same point). */
static void *floor_send(void *p) {
  struct floor_sender *s = p;
  struct floor_run *f = s->f;
  static __thread char buf[FLOOR_MAX_LINES * FLOOR_LINE];
  int64_t tick = (int64_t)FLOOR_TICK_MS * 1000000;
  int64_t at = f->t0 + tick * s->id / FLOOR_SENDERS;
  long next = 0, total = (long)(f->end - f->t0) * f->rate / 1000000000;
  int i;

  while (next < total) {
    long k, upto;
    size_t len = 0;

    at += tick;
    sleep_until_ns(at);
    for (upto = next; upto < total && floor_due(f, upto) <= now_ns() &&
                      upto - next < FLOOR_MAX_LINES;
         upto++)
      ;
    for (k = next; k < upto; k++, len += FLOOR_LINE) {
      memset(buf + len, ' ', FLOOR_LINE);
      snprintf(buf + len, FLOOR_LINE, "%lld", (long long)floor_due(f, k));
      buf[len + strlen(buf + len)] = ' ';
      buf[len + FLOOR_LINE - 1] = '\n';
    }
    next = upto;
    if (len == 0)
      continue;
    for (i = s->id; i < f->n; i += FLOOR_SENDERS) {
      if (send(f->srv[i], buf, len, MSG_NOSIGNAL) != (ssize_t)len)
        break;
      s->sends++;
    }
  }
  s->cpu_s = thread_cpu_s();
  return NULL;
}

static void floor_record(struct floor_reader *r, int i, const char *p,
                         size_t len, int64_t now) {
  while (len > 0) {
    size_t take = FLOOR_LINE - r->part_len[i];

    if (take > len)
      take = len;
    memcpy(r->part[i] + r->part_len[i], p, take);
    r->part_len[i] += take;
    p += take;
    len -= take;
    if (r->part_len[i] < FLOOR_LINE)
      break;
    r->part_len[i] = 0;
    if (r->n < r->cap) {
      r->lat_us[r->n] = (int32_t)((now - atoll(r->part[i])) / 1000);
      __atomic_store_n(&r->n, r->n + 1, __ATOMIC_RELEASE);
    }
  }
}

static void *floor_read(void *p) {
  struct floor_reader *r = p;
  struct epoll_event evs[64];
  static __thread char buf[WBUF];

  while (!*r->stop) {
    int n = epoll_wait(r->epfd, evs, 64, 100), k;

    for (k = 0; k < n; k++) {
      int i = evs[k].data.u32;
      ssize_t got = read(r->f->cli[i], buf, sizeof buf);

      if (got > 0)
        floor_record(r, i, buf, (size_t)got, now_ns());
    }
  }
  r->cpu_s = thread_cpu_s();
  return NULL;
}

/* n connected loopback pairs; 0, or -1 (what was made is closed). */
static int floor_connect(struct floor_run *f) {
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t sl = sizeof sa;
  int l = socket(AF_INET, SOCK_STREAM, 0), one = 1, i, rc = -1;

  if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      listen(l, 1024) != 0 || getsockname(l, (struct sockaddr *)&sa, &sl) != 0)
    goto out;
  for (i = 0; i < f->n; i++) {
    f->srv[i] = f->cli[i] = -1;
    if ((f->cli[i] = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
        connect(f->cli[i], (struct sockaddr *)&sa, sizeof sa) != 0 ||
        (f->srv[i] = accept(l, NULL, NULL)) < 0)
      goto out;
    /* As the API server's accepted sockets are. */
    setsockopt(f->srv[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  rc = 0;
out:
  if (l >= 0)
    close(l);
  return rc;
}

/* Runs the floor at rate events/s for WATCH_SECONDS with WATCHERS streams
 * and prints it; server_p99_ms (the server's figure at the same rate) is
 * printed as a ratio. With load_port, the watch part's paced writers
 * create objects at the same rate through the server on that port
 * meanwhile (it has no watchers then): the floor beside the machine's
 * share of the creates. 0, or -1 when it cannot run. */
static int run_watch_floor(int rate, double server_p99_ms, int load_port) {
  struct writer wr[WATCH_WRITERS];
  pthread_t wth[WATCH_WRITERS];
  int writers = 0;
  struct floor_run f = {.n = WATCHERS, .rate = rate};
  struct floor_sender snd[FLOOR_SENDERS];
  struct floor_reader rd[READERS];
  pthread_t st[FLOOR_SENDERS], rt[READERS];
  int32_t *parts[READERS], *lat = NULL;
  size_t counts[READERS], n_lat = 0, want;
  volatile int stop = 0;
  long sends = 0;
  double send_cpu = 0, read_cpu = 0;
  int i, rc = -1, started = 0;

  memset(rd, 0, sizeof rd);
  for (i = 0; i < READERS; i++)
    rd[i].epfd = -1;
  f.srv = calloc((size_t)f.n, sizeof *f.srv);
  f.cli = calloc((size_t)f.n, sizeof *f.cli);
  if (f.srv == NULL || f.cli == NULL)
    goto out;
  for (i = 0; i < f.n; i++)
    f.srv[i] = f.cli[i] = -1;
  if (floor_connect(&f) != 0)
    goto out;
  want = (size_t)rate * WATCH_SECONDS * (size_t)f.n;
  for (i = 0; i < READERS; i++) {
    rd[i] = (struct floor_reader){.f = &f, .stop = &stop};
    rd[i].epfd = epoll_create1(0);
    rd[i].cap = want / READERS + 1024;
    rd[i].lat_us = malloc(rd[i].cap * sizeof *rd[i].lat_us);
    rd[i].part = calloc((size_t)f.n, sizeof *rd[i].part);
    rd[i].part_len = calloc((size_t)f.n, sizeof *rd[i].part_len);
    if (rd[i].epfd < 0 || rd[i].lat_us == NULL || rd[i].part == NULL ||
        rd[i].part_len == NULL)
      goto out;
    memset(rd[i].lat_us, 0, rd[i].cap * sizeof *rd[i].lat_us);
  }
  for (i = 0; i < f.n; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};

    if (epoll_ctl(rd[i % READERS].epfd, EPOLL_CTL_ADD, f.cli[i], &ev) != 0)
      goto out;
  }
  for (i = 0; i < READERS; i++)
    pthread_create(&rt[i], NULL, floor_read, &rd[i]);
  started = 1;
  f.t0 = now_ns() + 100000000;
  f.end = f.t0 + (int64_t)WATCH_SECONDS * 1000000000;
  for (i = 0; i < FLOOR_SENDERS; i++) {
    snd[i] = (struct floor_sender){.f = &f, .id = i};
    pthread_create(&st[i], NULL, floor_send, &snd[i]);
  }
  for (; load_port > 0 && writers < WATCH_WRITERS; writers++) {
    wr[writers] = (struct writer){
        .port = load_port, .id = writers, .rate = rate, .t0 = f.t0};
    pthread_create(&wth[writers], NULL, paced_writer, &wr[writers]);
  }
  for (i = 0; i < FLOOR_SENDERS; i++) {
    pthread_join(st[i], NULL);
    sends += snd[i].sends;
    send_cpu += snd[i].cpu_s;
  }
  for (i = 0; i < writers; i++)
    pthread_join(wth[i], NULL);
  for (i = 0; i < 1000; i++) {
    size_t got = 0;
    int r;

    for (r = 0; r < READERS; r++)
      got += __atomic_load_n(&rd[r].n, __ATOMIC_ACQUIRE);
    if (got >= want)
      break;
    usleep(10000);
  }
  rc = 0;
out:
  stop = 1;
  for (i = 0; started && i < READERS; i++) {
    pthread_join(rt[i], NULL);
    read_cpu += rd[i].cpu_s;
  }
  for (i = 0; i < READERS; i++) {
    parts[i] = rd[i].lat_us;
    counts[i] = rd[i].n;
    if (rd[i].epfd >= 0)
      close(rd[i].epfd);
    free(rd[i].part);
    free(rd[i].part_len);
  }
  lat = gather_sorted(parts, counts, READERS, &n_lat);
  if (rc == 0 && n_lat > 0)
    printf("  floor, %s (the same %d loopback streams written every "
           "%d ms by %d threads, read as above): p50 %.2f ms, p99 %.2f ms; "
           "%.1f us CPU per send, %.1f us per read; the server's p99 is "
           "%.2fx this\n",
           load_port > 0 ? "beside the same creates (no server watchers)"
                         : "no server",
           f.n, FLOOR_TICK_MS, FLOOR_SENDERS, lat[n_lat / 2] / 1e3,
           lat[n_lat * 99 / 100] / 1e3,
           sends ? send_cpu * 1e6 / (double)sends : 0.0,
           sends ? read_cpu * 1e6 / (double)sends : 0.0,
           lat[n_lat * 99 / 100] ? server_p99_ms * 1e3 /
                                       lat[n_lat * 99 / 100]
                                 : 0.0);
  else if (rc != 0)
    fprintf(stderr, "bench_apiserver: the watch floor cannot run\n");
  free(lat);
  for (i = 0; f.srv != NULL && f.cli != NULL && i < f.n; i++) {
    if (f.srv[i] >= 0)
      close(f.srv[i]);
    if (f.cli[i] >= 0)
      close(f.cli[i]);
  }
  free(f.srv);
  free(f.cli);
  return rc;
}
