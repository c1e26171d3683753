/*
 * read_file - reads a small file whole into memory, bounded, for the
 * readers that parse text in memory (the INI configuration, kubeconfig).
 *
 * Threading: pure; safe from any thread.
 * Ownership: *text is malloc'd and owned by the caller.
 */
#ifndef CPLANE_HOST_CONFIG_READ_FILE_H
#define CPLANE_HOST_CONFIG_READ_FILE_H

#include <stddef.h>

/* Reads `path` whole into *text (NUL-terminated after *len bytes, so a
 * text reader may also treat it as a C string). Returns 0, or an errno
 * value: EFBIG for a file larger than `max` bytes, ENOMEM, or what
 * fopen/fread reported; *text is then NULL. */
int cp_read_file(const char *path, size_t max, char **text, size_t *len);

#endif /* CPLANE_HOST_CONFIG_READ_FILE_H */
