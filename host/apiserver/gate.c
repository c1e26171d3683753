/*
 * gate - see gate.h.
 */
#include "apiserver/gate.h"
#include "clock/clock.h"
#include "log/assert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>

/* The header that marks a request the gate made up. A client sending it
 * only gets that answer for its own request. */
#define GATE_HEADER "X-Cplane-Gate"
#define MADE_UP_HEAD(code)                                                 \
  "GET / HTTP/1.1\r\nHost: cplane\r\n" GATE_HEADER ": " code "\r\n"
#define MADE_UP(code) MADE_UP_HEAD(code) "\r\n"

enum mode {
  READING_HEAD, /* the next head is held until complete */
  DRAINING,     /* answered: input is dropped until evhttp closes */
  LINGERING     /* evhttp is done: dropping input a while before close */
};

/* How long a connection evhttp has finished with after a made-up answer
 * still drops what the client sends before the socket closes: closing
 * with the client's bytes unread sends a reset, and a reset that
 * overtakes the answer loses it (Go waits 500 ms, rstAvoidanceDelay). */
#define LINGER_MS 1000

/* A gated connection polls this often for evhttp to have freed it (the
 * client left): the reference the gate holds keeps the socket open, so
 * that the gate can tell, until it lets go. */
#define POLL_MS 200

struct gate {
  struct cp_gates *gs;
  struct bufferevent *bev;
  struct evbuffer_cb_entry *watch; /* on bev's input */
  struct evbuffer *held;           /* the head so far */
  struct evbuffer *older;          /* scratch for take_new */
  struct event *timer;
  uint64_t deadline_ns; /* UINT64_MAX: no header timeout */
  enum mode mode;
  int busy;       /* moving bytes itself: its own callback ignores them */
  int shut_wr;    /* answered, and the answer's end sent (FIN) */
  int peer_done;  /* LINGERING: the client closed, or the socket failed */
  size_t scanned; /* bytes of held looked at */
  int newline;    /* they end a line (a CR does not count) */
  struct gate *prev, *next;
};

struct cp_gates {
  struct cp_gate_config cfg;
  struct gate *head;
};

static uint64_t mono_ns(void) { return cp_now_ns(); }

static void arm(struct gate *g, uint64_t ms) {
  struct timeval tv;

  tv.tv_sec = (time_t)(ms / 1000);
  tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
  evtimer_add(g->timer, &tv);
}

/* Stops watching the connection and drops the gate's reference. */
static void let_go(struct gate *g) {
  if (g->prev != NULL)
    g->prev->next = g->next;
  else
    g->gs->head = g->next;
  if (g->next != NULL)
    g->next->prev = g->prev;
  evbuffer_remove_cb_entry(bufferevent_get_input(g->bev), g->watch);
  event_free(g->timer);
  evbuffer_free(g->held);
  evbuffer_free(g->older);
  bufferevent_decref(g->bev);
  free(g);
}

/* bufferevent_free clears the callbacks evhttp set: evhttp is done with
 * the connection, and only the gate's reference keeps it. */
static int freed_by_evhttp(struct bufferevent *bev) {
  bufferevent_event_cb eventcb = NULL;

  bufferevent_getcb(bev, NULL, NULL, &eventcb, NULL);
  return eventcb == NULL;
}

/* LINGERING: the bufferevent's own callbacks are the gate's now. Only
 * notes the end: freeing the bufferevent from inside its own callback is
 * not safe, the timer does it. */
static void on_linger_event(struct bufferevent *bev, short what, void *arg) {
  struct gate *g = arg;

  (void)bev;
  if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
    g->peer_done = 1;
    evtimer_del(g->timer);
    arm(g, 0);
  }
}

static void on_linger_read(struct bufferevent *bev, void *arg) {
  (void)arg;
  evbuffer_drain(bufferevent_get_input(bev),
                 evbuffer_get_length(bufferevent_get_input(bev)));
}

/* evhttp freed a connection it answered with a made-up request: keep
 * reading and dropping for LINGER_MS, or until the client closes. */
static void linger(struct gate *g, uint64_t now) {
  evutil_socket_t s = bufferevent_getfd(g->bev);

  CP_ASSERT(g->mode == DRAINING);
  if (s < 0) {
    let_go(g);
    return;
  }
  if (!g->shut_wr)
    shutdown(s, SHUT_WR);
  g->shut_wr = 1;
  g->mode = LINGERING;
  g->deadline_ns = now + (uint64_t)LINGER_MS * 1000000u;
  bufferevent_setcb(g->bev, on_linger_read, NULL, on_linger_event, g);
  bufferevent_enable(g->bev, EV_READ);
  arm(g, POLL_MS);
}

/* A poll, or the header timeout.
 *
 * Answered: once the answer has left, the gate ends the stream (FIN) but
 * goes on dropping what the client sends until the client closes or
 * time is up, as Go's closeWriteAndWait does. Closing with the client's
 * body unread would send a reset, and the client could lose the answer.
 *
 * Time is up: the socket is shut down, so evhttp sees the end of the
 * stream and frees the connection. */
static void on_timer(evutil_socket_t fd, short what, void *arg) {
  struct gate *g = arg;
  evutil_socket_t s = bufferevent_getfd(g->bev);
  uint64_t now = mono_ns(), left;

  (void)fd;
  (void)what;
  if (g->mode == LINGERING) {
    if (g->peer_done || now >= g->deadline_ns) {
      let_go(g);
      return;
    }
    left = (g->deadline_ns - now) / 1000000u + 1;
    arm(g, left < POLL_MS ? left : POLL_MS);
    return;
  }
  if (freed_by_evhttp(g->bev)) {
    if (g->mode == DRAINING)
      linger(g, now);
    else
      let_go(g);
    return;
  }
  if (now >= g->deadline_ns) {
    if (s >= 0)
      shutdown(s, SHUT_RDWR);
    let_go(g);
    return;
  }
  /* Answered: the made-up request read and the answer written. */
  if (g->mode == DRAINING && !g->shut_wr && s >= 0 &&
      evbuffer_get_length(bufferevent_get_input(g->bev)) == 0 &&
      evbuffer_get_length(bufferevent_get_output(g->bev)) == 0) {
    shutdown(s, SHUT_WR);
    g->shut_wr = 1;
  }
  left = (g->deadline_ns - now) / 1000000u + 1;
  arm(g, left < POLL_MS ? left : POLL_MS);
}

/* The length of the head at the start of src (through its empty line),
 * or 0 while it is incomplete (or over the limit). Resumes where the
 * last call stopped, so that a head trickling in a byte at a time costs
 * linear time. */
static size_t head_end(struct gate *g, struct evbuffer *src) {
  size_t len = evbuffer_get_length(src);

  while (g->scanned < len && g->scanned < CP_GATE_MAX_HEADER_BYTES) {
    struct evbuffer_iovec v[8];
    struct evbuffer_ptr pos;
    int n, i;

    if (evbuffer_ptr_set(src, &pos, g->scanned, EVBUFFER_PTR_SET) < 0)
      return 0;
    n = evbuffer_peek(src, -1, &pos, v, 8);
    for (i = 0; i < n && i < 8; i++) {
      const unsigned char *p = v[i].iov_base;
      size_t k;

      for (k = 0; k < v[i].iov_len; k++) {
        g->scanned++;
        if (p[k] == '\n') {
          if (g->newline)
            return g->scanned;
          g->newline = 1;
        } else if (p[k] != '\r') {
          g->newline = 0;
        }
        if (g->scanned >= CP_GATE_MAX_HEADER_BYTES)
          return 0;
      }
    }
  }
  return 0;
}

/* Ends the line at *p (at its LF, and a CR before it); returns the next
 * line, or NULL when there is none. */
static char *cut_line(char *p) {
  char *e = strchr(p, '\n');

  if (e == NULL)
    return NULL;
  *e = '\0';
  if (e > p && e[-1] == '\r')
    e[-1] = '\0';
  return e + 1;
}

static char *trim(char *v) {
  size_t n;

  v += strspn(v, " \t");
  n = strlen(v);
  while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
    v[--n] = '\0';
  return v;
}

/* Reads the fields the owner needs from a head (in place; the path is
 * copied to scratch, as long as buf). Anything malformed is left empty;
 * evhttp answers it if it gets through. */
static void parse_head(char *buf, char *scratch, struct cp_gate_head *h) {
  char *line = buf, *next, *sp, *target;
  size_t n;

  h->method = h->path = h->target = "";
  if ((next = cut_line(line)) == NULL)
    return;
  if ((sp = strchr(line, ' ')) != NULL) {
    *sp = '\0';
    h->method = line;
    target = sp + 1;
    target[strcspn(target, " ")] = '\0';
    h->target = target;
    n = strcspn(target, "?");
    memcpy(scratch, target, n);
    scratch[n] = '\0';
    h->path = scratch;
  }
  for (line = next; line != NULL && *line != '\0'; line = next) {
    char *colon, *v;

    next = cut_line(line);
    if ((colon = strchr(line, ':')) == NULL)
      continue;
    *colon = '\0';
    v = trim(colon + 1);
    if (strcasecmp(line, "Authorization") == 0 && h->authorization == NULL)
      h->authorization = v;
    else if (strcasecmp(line, "User-Agent") == 0 && h->user_agent == NULL)
      h->user_agent = v;
    else if (strcasecmp(line, "Audit-ID") == 0 && h->audit_id == NULL)
      h->audit_id = v;
    else if (strcasecmp(line, "X-Forwarded-For") == 0 &&
             h->forwarded_for == NULL)
      h->forwarded_for = v;
    else if (strcasecmp(line, "X-Real-Ip") == 0 && h->real_ip == NULL)
      h->real_ip = v;
    else if (strcasecmp(line, "Content-Length") == 0 &&
             v[strspn(v, "0")] != '\0')
      h->has_body = 1;
    else if (strcasecmp(line, "Transfer-Encoding") == 0)
      h->has_body = 1;
  }
}

static enum cp_gate_verdict judge(struct gate *g, size_t len,
                                  char *answer_id) {
  struct cp_gate_head h;
  enum cp_gate_verdict v;
  char *buf = malloc(2 * len + 2);

  answer_id[0] = '\0';
  if (buf == NULL)
    return CP_GATE_REJECT;
  evbuffer_copyout(g->held, buf, len);
  buf[len] = '\0';
  /* A NUL would hide the rest of the head from the parse below but not
   * from evhttp's. */
  if (memchr(buf, '\0', len) != NULL) {
    free(buf);
    return CP_GATE_REJECT;
  }
  memset(&h, 0, sizeof h);
  h.answer_id = answer_id;
  parse_head(buf, buf + len + 1, &h);
  v = g->gs->cfg.admit(g->gs->cfg.arg, &h, g->bev);
  free(buf);
  return v;
}

/* Answers through evhttp, then drops whatever the client sends; polls
 * for evhttp to be done with the connection. */
static void make_up(struct gate *g, struct evbuffer *in, const char *req) {
  evbuffer_drain(g->held, evbuffer_get_length(g->held));
  evbuffer_add(in, req, strlen(req));
  g->mode = DRAINING;
}

/* The made-up 401, with the Audit-ID the owner chose when it is one a
 * header can carry. */
static void reject(struct gate *g, struct evbuffer *in, const char *id) {
  char req[sizeof MADE_UP_HEAD("401") + CP_GATE_ID_MAX + 16];
  size_t i, n = strnlen(id, CP_GATE_ID_MAX + 1);

  for (i = 0; i < n && (unsigned char)id[i] >= 0x20 && id[i] != 0x7f; i++)
    ;
  if (n == 0 || n > CP_GATE_ID_MAX || i < n)
    snprintf(req, sizeof req, "%s", MADE_UP("401"));
  else
    snprintf(req, sizeof req, MADE_UP_HEAD("401") "Audit-ID: %s\r\n\r\n",
             id);
  make_up(g, in, req);
}

/* Judges the heads complete in held. Returns 1 when the gate let go. */
static int pass_heads(struct gate *g, struct evbuffer *in) {
  char id[CP_GATE_ID_MAX + 1];
  size_t end;

  while (evbuffer_get_length(g->held) > 0) {
    if ((end = head_end(g, g->held)) == 0) {
      if (g->scanned >= CP_GATE_MAX_HEADER_BYTES)
        make_up(g, in, MADE_UP("431"));
      return 0;
    }
    switch (judge(g, end, id)) {
    case CP_GATE_OPEN:
      evbuffer_add_buffer(in, g->held);
      let_go(g);
      return 1;
    case CP_GATE_PUBLIC:
      evbuffer_remove_buffer(g->held, in, end);
      g->scanned = 0;
      g->newline = 0;
      break;
    default:
      reject(g, in, id);
      return 0;
    }
  }
  return 0;
}

/* Moves the n bytes just added at the end of in to to (NULL: drops
 * them). What is before them the gate gave evhttp earlier in this same
 * read (TLS reads record by record) and evhttp has not read yet. */
static void take_new(struct gate *g, struct evbuffer *in, size_t n,
                     struct evbuffer *to) {
  size_t len = evbuffer_get_length(in);

  if (n > len)
    n = len;
  evbuffer_remove_buffer(in, g->older, len - n);
  if (to != NULL)
    evbuffer_remove_buffer(in, to, n);
  else
    evbuffer_drain(in, n);
  evbuffer_add_buffer(in, g->older);
}

/* Bytes landed in the connection's input: runs before evhttp's read
 * callback, which sees only what the gate leaves there. */
static void on_input(struct evbuffer *in, const struct evbuffer_cb_info *info,
                     void *arg) {
  struct gate *g = arg;

  if (g->busy || info->n_added == 0)
    return;
  g->busy = 1;
  if (g->mode != READING_HEAD) {
    take_new(g, in, info->n_added, NULL);
  } else {
    take_new(g, in, info->n_added, g->held);
    if (pass_heads(g, in))
      return; /* g is gone */
  }
  g->busy = 0;
}

struct cp_gates *cp_gates_new(const struct cp_gate_config *cfg) {
  struct cp_gates *gs = calloc(1, sizeof *gs);

  if (gs != NULL)
    gs->cfg = *cfg;
  return gs;
}

void cp_gates_free(struct cp_gates *gs) {
  if (gs == NULL)
    return;
  while (gs->head != NULL)
    let_go(gs->head);
  free(gs);
}

int cp_gate_attach(struct cp_gates *gs, struct bufferevent *bev) {
  struct gate *g = calloc(1, sizeof *g);

  if (g == NULL)
    return -1;
  g->gs = gs;
  g->bev = bev;
  g->held = evbuffer_new();
  g->older = evbuffer_new();
  g->timer = evtimer_new(bufferevent_get_base(bev), on_timer, g);
  g->watch = evbuffer_add_cb(bufferevent_get_input(bev), on_input, g);
  if (g->held == NULL || g->older == NULL || g->timer == NULL ||
      g->watch == NULL) {
    if (g->watch != NULL)
      evbuffer_remove_cb_entry(bufferevent_get_input(bev), g->watch);
    if (g->timer != NULL)
      event_free(g->timer);
    if (g->held != NULL)
      evbuffer_free(g->held);
    if (g->older != NULL)
      evbuffer_free(g->older);
    free(g);
    return -1;
  }
  bufferevent_incref(bev);
  g->deadline_ns = gs->cfg.read_header_timeout_ms > 0
                       ? mono_ns() + gs->cfg.read_header_timeout_ms * 1000000u
                       : UINT64_MAX;
  arm(g, gs->cfg.read_header_timeout_ms > 0 &&
                 gs->cfg.read_header_timeout_ms < POLL_MS
             ? gs->cfg.read_header_timeout_ms
             : POLL_MS);
  g->next = gs->head;
  if (gs->head != NULL)
    gs->head->prev = g;
  gs->head = g;
  return 0;
}

int cp_gate_code(struct evhttp_request *req) {
  const char *v =
      evhttp_find_header(evhttp_request_get_input_headers(req), GATE_HEADER);

  if (v == NULL)
    return 0;
  return strcmp(v, "431") == 0 ? 431 : 401;
}
