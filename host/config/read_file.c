/*
 * read_file - see read_file.h.
 */
#include "config/read_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* The buffer grows as the file is read: most of these files are a few
 * KiB, the limits far larger. */
#define FIRST_CAP 16384

int cp_read_file(const char *path, size_t max, char **text, size_t *len) {
  FILE *f;
  char *buf = NULL, *grown;
  size_t n = 0, cap = 0, got;
  int err = 0;

  *text = NULL;
  *len = 0;
  if ((f = fopen(path, "rb")) == NULL)
    return errno != 0 ? errno : EIO;
  /* Read up to max + 1 bytes: one byte past the limit tells a file at
   * the limit from a longer one. The +1 for the terminating NUL. */
  do {
    if (n + 1 >= cap) {
      cap = cap == 0 ? FIRST_CAP : cap * 2;
      if (cap > max + 2)
        cap = max + 2;
      if ((grown = realloc(buf, cap)) == NULL) {
        err = ENOMEM;
        goto out;
      }
      buf = grown;
    }
    got = fread(buf + n, 1, cap - 1 - n, f);
    n += got;
  } while (got > 0 && n <= max);
  if (ferror(f)) {
    err = errno != 0 ? errno : EIO;
    goto out;
  }
  if (n > max) {
    err = EFBIG;
    goto out;
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  buf = NULL;
out:
  fclose(f);
  free(buf);
  return err;
}
