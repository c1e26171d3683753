/*
 * fuzz_input - what the fuzz targets share: splitting one input into
 * parts, and handing an input to readers that take a path.
 *
 * Ownership: the returned strings are malloc'd and owned by the caller;
 * the file fuzz_input_file writes is reused by every run of the process.
 * Threading: libFuzzer runs a target on one thread; so do these.
 */
#ifndef CPLANE_TESTS_FUZZ_INPUT_H
#define CPLANE_TESTS_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A NUL-terminated copy of data[0..size) (the readers under test take C
 * strings). NULL when out of memory. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);

  if (s == NULL)
    return NULL;
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

/* Splits data at its first NUL byte: *head gets what precedes it and
 * *tail what follows. Without a NUL, *head is NULL (the target uses its
 * fixed document) and *tail is the whole input. Returns 0, -1 when out of
 * memory (both freed). */
static inline int fuzz_split(const uint8_t *data, size_t size, char **head,
                             char **tail, size_t *tail_len) {
  const uint8_t *nul = memchr(data, '\0', size);

  *head = NULL;
  if (nul == NULL) {
    *tail = fuzz_strndup(data, size);
    *tail_len = size;
    return *tail == NULL ? -1 : 0;
  }
  *head = fuzz_strndup(data, (size_t)(nul - data));
  *tail_len = size - (size_t)(nul - data) - 1;
  *tail = fuzz_strndup(nul + 1, *tail_len);
  if (*head == NULL || *tail == NULL) {
    free(*head);
    free(*tail);
    return -1;
  }
  return 0;
}

static const char *fuzz_input_path;

static inline void fuzz_input_file_remove(void) {
  if (fuzz_input_path != NULL)
    unlink(fuzz_input_path);
}

/* The directory for scratch files: TMPDIR, else tmpfs /dev/shm (a file
 * written per run costs no disk there), else /tmp. */
static inline const char *fuzz_scratch_dir(void) {
  const char *dir = getenv("TMPDIR");

  if (dir != NULL && dir[0] != '\0')
    return dir;
  return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

/* Writes data to this process's scratch file (named for the pid so
 * parallel jobs never share it) and returns its path, or NULL. The path
 * is static and stays valid until the next call; removed at exit. */
static inline const char *fuzz_input_file(const uint8_t *data, size_t size) {
  static char path[256];
  static int registered;
  const char *dir = fuzz_scratch_dir();
  FILE *f;

  snprintf(path, sizeof path, "%s/cplane-fuzz-%ld.in", dir, (long)getpid());
  if (!registered) {
    registered = 1;
    fuzz_input_path = path;
    atexit(fuzz_input_file_remove);
  }
  f = fopen(path, "wb");
  if (f == NULL)
    return NULL;
  if (size > 0 && fwrite(data, 1, size, f) != size) {
    fclose(f);
    return NULL;
  }
  if (fclose(f) != 0)
    return NULL;
  return path;
}

#endif /* CPLANE_TESTS_FUZZ_INPUT_H */
