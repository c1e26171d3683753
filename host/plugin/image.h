/*
 * image - the private copy of a plugin file that the host maps.
 *
 * The loader never dlopen()s the plugin file itself: it copies the bytes
 * of the file it checked into an anonymous memory file (memfd), seals it
 * against any change, and loads that (through /proc/self/fd). So
 *  - the bytes hashed (SHA-256, how a hot upgrade tells a changed build,
 *    whatever its name or mtime) are exactly the bytes loaded;
 *  - a file replaced in place (`cp new.so plugins/x.so`, same inode) can
 *    neither change the pages of the running code under it nor make
 *    dlopen() hand back the old handle: each copy is its own inode.
 * An image's memfd stays open for the life of the process once it is
 * mapped (see loader.c: glibc matches later dlopen()s by that name).
 *
 * Threading: none (any thread; the caller owns the descriptors).
 * Ownership: a read image owns its memfd until cp_plugin_image_close() or
 * until the loader maps it.
 */
#ifndef CPLANE_HOST_PLUGIN_IMAGE_H
#define CPLANE_HOST_PLUGIN_IMAGE_H

#include <stddef.h>

/* A plugin file larger than this is refused (real plugins are a few
 * hundred KiB; sanitizer builds a few MiB). */
#define CP_PLUGIN_IMAGE_MAX_BYTES (256u << 20)
#define CP_PLUGIN_SHA256_LEN 32

struct cp_plugin_image {
  int fd; /* the sealed memfd, -1 when none */
  size_t size;
  unsigned char sha256[CP_PLUGIN_SHA256_LEN];
};

/* Copies the whole of the open file `fd` (path names it in messages) into
 * a sealed memfd and hashes it. Returns 0 and fills *img, or -1 with
 * *errmsg (malloc'd, naming the file). fd is not closed. */
int cp_plugin_image_copy(int fd, const char *path, struct cp_plugin_image *img,
                         char **errmsg);
/* Closes the memfd of an image that was not mapped. */
void cp_plugin_image_close(struct cp_plugin_image *img);
/* The first `n` hex digits (n <= 64) of a SHA-256, into out[n + 1]. */
void cp_plugin_sha256_hex(const unsigned char *sha, size_t n, char *out);

#endif /* CPLANE_HOST_PLUGIN_IMAGE_H */
