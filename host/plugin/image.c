/*
 * image - see image.h.
 */
#include "plugin/image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "plugin/plugin.h"

#define CHUNK (64u << 10)

/* Writes all of buf to fd. */
static int write_all(int fd, const unsigned char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Streams fd from offset 0 into memfd, hashing as it goes. Reads with
 * pread: the caller's file offset is the ABI note reader's business. */
static int copy_and_hash(int fd, int memfd, const char *path,
                         struct cp_plugin_image *img, char **errmsg) {
  unsigned char *buf = malloc(CHUNK);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  unsigned int mdlen = 0;
  int rc = -1;

  img->size = 0;
  if (buf == NULL || md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
    cp_plugin_fail(errmsg, "plugin %s: cannot hash it: out of memory", path);
    goto out;
  }
  for (;;) {
    ssize_t n = pread(fd, buf, CHUNK, (off_t)img->size);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      cp_plugin_fail(errmsg, "plugin %s: %s", path, strerror(errno));
      goto out;
    }
    if (n == 0)
      break;
    if (img->size + (size_t)n > CP_PLUGIN_IMAGE_MAX_BYTES) {
      cp_plugin_fail(errmsg, "plugin %s is larger than %u MiB: refused",
                     path, CP_PLUGIN_IMAGE_MAX_BYTES >> 20);
      goto out;
    }
    if (EVP_DigestUpdate(md, buf, (size_t)n) != 1 ||
        write_all(memfd, buf, (size_t)n) < 0) {
      cp_plugin_fail(errmsg, "plugin %s: cannot copy it into memory: %s",
                     path, strerror(errno));
      goto out;
    }
    img->size += (size_t)n;
  }
  if (EVP_DigestFinal_ex(md, img->sha256, &mdlen) != 1 ||
      mdlen != CP_PLUGIN_SHA256_LEN) {
    cp_plugin_fail(errmsg, "plugin %s: cannot hash it", path);
    goto out;
  }
  rc = 0;
out:
  EVP_MD_CTX_free(md);
  free(buf);
  return rc;
}

int cp_plugin_image_copy(int fd, const char *path, struct cp_plugin_image *img,
                         char **errmsg) {
  int memfd;

  memset(img, 0, sizeof *img);
  img->fd = -1;
  /* Named for the file (its last 240 bytes: the kernel's limit is 249),
   * so that a backtrace through the image names the plugin (crash.c). */
  memfd = memfd_create(strlen(path) > 240 ? path + strlen(path) - 240 : path,
                       MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (memfd < 0)
    return cp_plugin_fail(errmsg, "plugin %s: memfd_create: %s", path,
                          strerror(errno));
  if (copy_and_hash(fd, memfd, path, img, errmsg) < 0)
    goto bad;
  /* Sealed: nothing, not even this process, can change the image now. */
  if (fcntl(memfd, F_ADD_SEALS,
            F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
    cp_plugin_fail(errmsg, "plugin %s: cannot seal its copy: %s", path,
                   strerror(errno));
    goto bad;
  }
  img->fd = memfd;
  return 0;
bad:
  close(memfd);
  return -1;
}

void cp_plugin_image_close(struct cp_plugin_image *img) {
  if (img->fd >= 0)
    close(img->fd);
  img->fd = -1;
}

void cp_plugin_sha256_hex(const unsigned char *sha, size_t n, char *out) {
  static const char hex[] = "0123456789abcdef";
  size_t i;

  if (n > 2 * CP_PLUGIN_SHA256_LEN)
    n = 2 * CP_PLUGIN_SHA256_LEN;
  for (i = 0; i < n; i++)
    out[i] = hex[(sha[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
  out[n] = '\0';
}
