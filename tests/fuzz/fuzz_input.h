/*
 * fuzz_input - what the fuzz targets share: splitting one input into
 * parts, and where scratch files go. (Every reader under test has an
 * in-memory entry; no target writes its input to a file.)
 *
 * Ownership: the returned strings are malloc'd and owned by the caller.
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

/* The directory for scratch files (the request target's database):
 * TMPDIR, else tmpfs /dev/shm (costs no disk), else /tmp. */
static inline const char *fuzz_scratch_dir(void) {
  const char *dir = getenv("TMPDIR");

  if (dir != NULL && dir[0] != '\0')
    return dir;
  return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

#endif /* CPLANE_TESTS_FUZZ_INPUT_H */
