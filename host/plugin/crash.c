/*
 * crash - see crash.h.
 */
#include "plugin/crash.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define FRAMES_MAX 64
/* Room for the handler's own frames and backtrace's (SIGSTKSZ is not a
 * constant any more, and small for a deep libgcc unwind). */
#define ALT_STACK_BYTES (64 * 1024)

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE,
                                    SIGABRT};
#define N_FATAL (sizeof fatal_signals / sizeof fatal_signals[0])

static struct sigaction earlier[N_FATAL];
static atomic_int installed;
static atomic_int out_fd = 2;
static atomic_int crashing; /* the first fatal signal reports; later ones
                               (ASan's abort after its report) do not */

/* The calling thread's current plugin call (crash.h). */
static __thread const char *cur_plugin;
static __thread const struct cp_inflight *cur_call;
static __thread int has_alt_stack;

static pthread_key_t alt_key;
static pthread_once_t alt_once = PTHREAD_ONCE_INIT;

/* A thread leaving: its stack goes, so must the signal's. */
static void alt_stack_free(void *mem) {
  stack_t off = {.ss_flags = SS_DISABLE};

  sigaltstack(&off, NULL);
  munmap(mem, ALT_STACK_BYTES);
}

static void alt_key_make(void) { pthread_key_create(&alt_key, alt_stack_free); }

/* Once per thread: an alternate stack unless it has one (ASan's). Out of
 * memory only loses the stack-overflow report. */
static void alt_stack_ensure(void) {
  stack_t cur, st;
  void *mem;

  has_alt_stack = 1;
  if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))
    return;
  pthread_once(&alt_once, alt_key_make);
  mem = mmap(NULL, ALT_STACK_BYTES, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (mem == MAP_FAILED)
    return;
  st.ss_sp = mem;
  st.ss_size = ALT_STACK_BYTES;
  st.ss_flags = 0;
  if (sigaltstack(&st, NULL) != 0 || pthread_setspecific(alt_key, mem) != 0) {
    st.ss_flags = SS_DISABLE;
    sigaltstack(&st, NULL);
    munmap(mem, ALT_STACK_BYTES);
  }
}

void cp_crash_mark(const char *plugin, const struct cp_inflight *call) {
  if (!has_alt_stack && atomic_load(&installed))
    alt_stack_ensure();
  cur_plugin = plugin;
  atomic_signal_fence(memory_order_seq_cst);
  cur_call = call;
}

void cp_crash_mark_call(const char *plugin, const char *callback) {
  static __thread struct cp_inflight call;

  call.callback = callback;
  call.key[0] = '\0';
  cp_crash_mark(plugin, &call);
}

void cp_crash_unmark(void) {
  cur_call = NULL;
  atomic_signal_fence(memory_order_seq_cst);
  cur_plugin = NULL;
}

/* A bounded string builder: nothing here allocates or locks. */
struct out {
  char *buf;
  size_t len, cap;
};

static void put(struct out *o, const char *s) {
  if (s == NULL)
    s = "(null)";
  while (*s != '\0' && o->len + 1 < o->cap)
    o->buf[o->len++] = *s++;
  o->buf[o->len] = '\0';
}

static void put_uint(struct out *o, uint64_t v, unsigned base, int width) {
  char tmp[24];
  int n = 0;

  do {
    tmp[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v != 0 && n < (int)sizeof tmp);
  while (n < width && n < (int)sizeof tmp)
    tmp[n++] = '0';
  while (n > 0 && o->len + 1 < o->cap)
    o->buf[o->len++] = tmp[--n];
  o->buf[o->len] = '\0';
}

/* The log's time stamp, 2026-12-06T16:03:54.123Z, without gmtime_r (not
 * async-signal-safe): days to a civil date, as in Howard Hinnant's
 * chrono algorithms. */
static void put_time(struct out *o) {
  struct timespec ts;
  int64_t days, secs, era, doe, yoe, y, doy, mp, d, m;

  clock_gettime(CLOCK_REALTIME, &ts);
  days = ts.tv_sec / 86400;
  secs = ts.tv_sec % 86400;
  days += 719468;
  era = days / 146097;
  doe = days - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  put_uint(o, (uint64_t)y, 10, 4);
  put(o, "-");
  put_uint(o, (uint64_t)m, 10, 2);
  put(o, "-");
  put_uint(o, (uint64_t)d, 10, 2);
  put(o, "T");
  put_uint(o, (uint64_t)(secs / 3600), 10, 2);
  put(o, ":");
  put_uint(o, (uint64_t)(secs / 60 % 60), 10, 2);
  put(o, ":");
  put_uint(o, (uint64_t)(secs % 60), 10, 2);
  put(o, ".");
  put_uint(o, (uint64_t)(ts.tv_nsec / 1000000), 10, 3);
  put(o, "Z");
}

static const char *signal_name(int sig) {
  switch (sig) {
  case SIGSEGV: return "SIGSEGV";
  case SIGBUS: return "SIGBUS";
  case SIGILL: return "SIGILL";
  case SIGFPE: return "SIGFPE";
  case SIGABRT: return "SIGABRT";
  default: return "signal";
  }
}

size_t cp_crash_format(char *buf, size_t len, int sig, const void *addr,
                       const char *plugin, const char *callback,
                       const char *key, const char *thread) {
  struct out o = {buf, 0, len};

  if (len == 0)
    return 0;
  buf[0] = '\0';
  put_time(&o);
  put(&o, " ERROR crash: ");
  if (plugin != NULL) {
    put(&o, "plugin ");
    put(&o, plugin);
    put(&o, " crashed in ");
    put(&o, callback);
    put(&o, " ");
    put(&o, key != NULL && key[0] != '\0' ? key : "(no key)");
  } else {
    put(&o, "the host crashed outside any plugin call");
  }
  put(&o, ": ");
  put(&o, signal_name(sig));
  if (sig != SIGABRT) {
    put(&o, " (fault address 0x");
    put_uint(&o, (uint64_t)(uintptr_t)addr, 16, 1);
    put(&o, ")");
  }
  put(&o, ", thread ");
  put(&o, thread != NULL && thread[0] != '\0' ? thread : "?");
  put(&o, ", pid ");
  put_uint(&o, (uint64_t)getpid(), 10, 1);
  put(&o, "; backtrace follows\n");
  return o.len;
}

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);

    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    p += w;
    n -= (size_t)w;
  }
}

/* A plugin image is a memfd named for its file (image.c): the name
 * "/memfd:/dir/x.so (deleted)" gives /dir/x.so, copied into buf (which
 * may be file itself). Anything else is returned as it is. */
static const char *memfd_file(const char *file, char *buf, size_t size) {
  size_t n;

  if (strncmp(file, "/memfd:", 7) != 0)
    return file;
  n = strlen(file + 7);
  if (n >= size)
    return file;
  memmove(buf, file + 7, n + 1);
  if (n > 10 && strcmp(buf + n - 10, " (deleted)") == 0)
    buf[n - 10] = '\0';
  return buf;
}

/* One frame, as backtrace_symbols_fd writes it ("FILE(SYM+0xOFF)[0xADDR]")
 * but naming a plugin by its file: the loader maps plugins through
 * /proc/self/fd/N (loader.c), which it keeps open, so readlink still
 * knows the path. dladdr is what backtrace_symbols_fd itself calls. */
static void write_frame(int fd, void *addr) {
  char line[PATH_MAX + 256], path[PATH_MAX];
  struct out o = {line, 0, sizeof line};
  const char *file = "?";
  Dl_info di;
  ssize_t n;

  memset(&di, 0, sizeof di);
  put(&o, "crash: backtrace: ");
  if (dladdr(addr, &di) != 0 && di.dli_fname != NULL) {
    file = di.dli_fname;
    if (strncmp(file, "/proc/self/fd/", 14) == 0 &&
        (n = readlink(file, path, sizeof path - 1)) > 0) {
      path[n] = '\0';
      file = path;
    }
    file = memfd_file(file, path, sizeof path);
  }
  put(&o, file);
  put(&o, "(");
  if (di.dli_sname != NULL) {
    put(&o, di.dli_sname);
    put(&o, "+0x");
    put_uint(&o, (uint64_t)((uintptr_t)addr - (uintptr_t)di.dli_saddr), 16,
             1);
  } else if (di.dli_fbase != NULL) {
    put(&o, "+0x");
    put_uint(&o, (uint64_t)((uintptr_t)addr - (uintptr_t)di.dli_fbase), 16,
             1);
  }
  put(&o, ")[0x");
  put_uint(&o, (uint64_t)(uintptr_t)addr, 16, 1);
  put(&o, "]\n");
  write_all(fd, line, o.len);
}

static void report(int sig, const siginfo_t *si) {
  char line[1024], thread[17] = "";
  void *frames[FRAMES_MAX];
  const struct cp_inflight *call = cur_call;
  int fd = atomic_load(&out_fd), n, i;
  size_t len;

  prctl(PR_GET_NAME, thread, 0, 0, 0);
  len = cp_crash_format(line, sizeof line, sig,
                        si != NULL ? si->si_addr : NULL,
                        call != NULL ? cur_plugin : NULL,
                        call != NULL ? call->callback : NULL,
                        call != NULL ? call->key : NULL, thread);
  write_all(fd, line, len);
  n = backtrace(frames, FRAMES_MAX);
  /* One "crash: backtrace:" line per frame, so that a grep of the log for
   * the crash finds its frames too. */
  for (i = 0; i < n; i++)
    write_frame(fd, frames[i]);
}

static size_t index_of(int sig) {
  size_t i;

  for (i = 0; i < N_FATAL; i++)
    if (fatal_signals[i] == sig)
      return i;
  return 0;
}

static void on_fatal(int sig, siginfo_t *si, void *uctx) {
  int saved = errno;
  struct sigaction back = earlier[index_of(sig)];

  (void)uctx;
  if (atomic_exchange(&crashing, 1) == 0)
    report(sig, si);
  /* The earlier action takes over: SIG_DFL kills (and dumps core),
   * ASan's handler prints its own report. An ignored fatal signal would
   * loop on the faulting instruction: default instead. */
  if (back.sa_handler == SIG_IGN)
    back.sa_handler = SIG_DFL;
  sigaction(sig, &back, NULL);
  /* A fault happens again when the instruction re-runs; a sent signal
   * (abort, kill) must be sent again. It is blocked until we return. */
  if (si == NULL || si->si_code <= 0 || sig == SIGABRT)
    raise(sig);
  errno = saved;
}

int cp_crash_install(int fd) {
  struct sigaction sa;
  void *warm[2];
  size_t i;

  atomic_store(&out_fd, fd);
  if (atomic_load(&installed))
    return 0;
  /* backtrace() loads libgcc_s on its first call, which allocates: do it
   * now, not in the handler. */
  backtrace(warm, 2);
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fatal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  for (i = 0; i < N_FATAL; i++) {
    if (sigaction(fatal_signals[i], &sa, &earlier[i]) != 0) {
      while (i-- > 0)
        sigaction(fatal_signals[i], &earlier[i], NULL);
      return -1;
    }
  }
  atomic_store(&installed, 1);
  alt_stack_ensure();
  return 0;
}

void cp_crash_uninstall(void) {
  size_t i;

  if (!atomic_load(&installed))
    return;
  for (i = 0; i < N_FATAL; i++)
    sigaction(fatal_signals[i], &earlier[i], NULL);
  atomic_store(&installed, 0);
}
