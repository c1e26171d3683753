/*
 * token_file - see token_file.h.
 */
#include "client/token_file.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

#include "config/read_file.h"

/* Look at the file at most this often. */
#define CHECK_MS 1000

struct cp_token_file {
  pthread_mutex_t mu;
  char *path;
  char *auth;               /* "Bearer TOKEN" */
  struct stat seen;         /* the file the token came from */
  long long checked_ms;     /* when the file was last looked at */
  unsigned reads;
};

static long long mono_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cleanse_free(char *s) {
  if (s != NULL)
    OPENSSL_cleanse(s, strlen(s));
  free(s);
}

/* "Bearer TOKEN" from path's text, surrounding white space trimmed as
 * client-go trims it. Returns NULL with *why set. */
static char *read_auth(const char *path, const char **why) {
  char *text = NULL, *auth = NULL, *b, *e, *sp;
  size_t len = 0;
  int rc = cp_read_file(path, CP_TOKEN_FILE_MAX_BYTES, &text, &len);

  if (rc != 0) {
    *why = rc == EFBIG ? "larger than 16384 bytes" : strerror(rc);
    return NULL;
  }
  for (b = text; *b == ' ' || *b == '\t' || *b == '\r' || *b == '\n'; b++) {
  }
  for (e = text + len; e > b && (e[-1] == ' ' || e[-1] == '\t' ||
                                 e[-1] == '\r' || e[-1] == '\n');
       e--) {
  }
  sp = strpbrk(b, " \t\r\n");
  if (e == b || memchr(b, '\0', (size_t)(e - b)) != NULL ||
      (sp != NULL && sp < e)) {
    *why = e == b ? "empty" : "not one token";
  } else if (asprintf(&auth, "Bearer %.*s", (int)(e - b), b) < 0) {
    auth = NULL;
    *why = "out of memory";
  }
  OPENSSL_cleanse(text, len);
  free(text);
  return auth;
}

int cp_token_file_open(const char *path, struct cp_token_file **out,
                       char **errmsg) {
  struct cp_token_file *tf = calloc(1, sizeof *tf);
  const char *why = "out of memory";

  *out = NULL;
  *errmsg = NULL;
  if (tf == NULL || (tf->path = strdup(path)) == NULL)
    goto fail;
  pthread_mutex_init(&tf->mu, NULL);
  if (stat(path, &tf->seen) != 0) {
    why = strerror(errno);
    goto fail;
  }
  if ((tf->auth = read_auth(path, &why)) == NULL)
    goto fail;
  tf->checked_ms = mono_ms();
  tf->reads = 1;
  *out = tf;
  return 0;
fail:
  if (asprintf(errmsg, "token file %s: %s", path, why) < 0)
    *errmsg = NULL;
  cp_token_file_free(tf);
  return -1;
}

void cp_token_file_free(struct cp_token_file *tf) {
  if (tf == NULL)
    return;
  if (tf->path != NULL) /* set up past this point only */
    pthread_mutex_destroy(&tf->mu);
  cleanse_free(tf->auth);
  free(tf->path);
  free(tf);
}

static int same_file(const struct stat *a, const struct stat *b) {
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
         a->st_size == b->st_size &&
         a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
         a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Re-reads the file when it changed. Caller holds mu. */
static void refresh(struct cp_token_file *tf) {
  struct stat st;
  const char *why = NULL;
  char *auth;

  if (stat(tf->path, &st) != 0 || same_file(&st, &tf->seen))
    return;
  if ((auth = read_auth(tf->path, &why)) == NULL)
    return; /* keep the last token; look again in a second */
  cleanse_free(tf->auth);
  tf->auth = auth;
  tf->seen = st;
  tf->reads++;
}

char *cp_token_file_auth(struct cp_token_file *tf, long long now_ms) {
  char *copy;

  if (now_ms < 0)
    now_ms = mono_ms();
  pthread_mutex_lock(&tf->mu);
  if (now_ms - tf->checked_ms >= CHECK_MS) {
    tf->checked_ms = now_ms;
    refresh(tf);
  }
  copy = strdup(tf->auth);
  pthread_mutex_unlock(&tf->mu);
  return copy;
}

unsigned cp_token_file_reads(struct cp_token_file *tf) {
  unsigned n;

  pthread_mutex_lock(&tf->mu);
  n = tf->reads;
  pthread_mutex_unlock(&tf->mu);
  return n;
}
