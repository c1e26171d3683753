/*
 * cplane/hash.h - FNV-1a hashes, a stable hash of an object's field, and
 * Kubernetes' SafeEncodeString for names derived from a hash.
 *
 * Header-only: nothing here is in the host table or the ABI.
 *
 * A Deployment's pod-template-hash is the typical use:
 *   uint32_t h;
 *   char suffix[16];
 *   if (cplane_hash_field32(api, deploy, "spec.template", &h) == CPLANE_OK)
 *     cplane_hash_safe_encode32(h, suffix, sizeof suffix);  e.g. "5d9c7bb8f4"
 * The field hash is over the host's compact JSON of the value, whose
 * members keep their document order: equal text hashes equally, on every
 * host and run, but two objects differing only in member order do not.
 *
 * Threading: pure functions.
 */
#ifndef CPLANE_HASH_H
#define CPLANE_HASH_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cplane/host_api.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CPLANE_FNV32_OFFSET 2166136261u
#define CPLANE_FNV64_OFFSET 14695981039346656037ull

/* Continues a 32-bit FNV-1a hash `h` over n bytes (start with
 * CPLANE_FNV32_OFFSET), so a hash can be taken over several pieces. */
static inline uint32_t cplane_fnv1a32_add(uint32_t h, const void *data,
                                          size_t n) {
  const unsigned char *p = (const unsigned char *)data;
  size_t i;

  for (i = 0; i < n; i++) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

static inline uint64_t cplane_fnv1a64_add(uint64_t h, const void *data,
                                          size_t n) {
  const unsigned char *p = (const unsigned char *)data;
  size_t i;

  for (i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

/* FNV-1a of n bytes, 32 and 64 bits (Go's hash/fnv New32a, New64a). */
static inline uint32_t cplane_fnv1a32(const void *data, size_t n) {
  return cplane_fnv1a32_add(CPLANE_FNV32_OFFSET, data, n);
}

static inline uint64_t cplane_fnv1a64(const void *data, size_t n) {
  return cplane_fnv1a64_add(CPLANE_FNV64_OFFSET, data, n);
}

/* FNV-1a of a NUL-terminated string. */
static inline uint32_t cplane_fnv1a32_str(const char *s) {
  return cplane_fnv1a32(s, strlen(s));
}

static inline uint64_t cplane_fnv1a64_str(const char *s) {
  return cplane_fnv1a64(s, strlen(s));
}

/* The hash of the value at `path` of obj: FNV-1a of api->object_json().
 * Returns CPLANE_OK, CPLANE_ENOENT when there is no such value (or no
 * memory to print it). */
static inline int cplane_hash_field32(const struct cplane_host_api *api,
                                      const cplane_object *obj,
                                      const char *path, uint32_t *out) {
  char *json = api->object_json(obj, path);

  if (json == NULL)
    return CPLANE_ENOENT;
  *out = cplane_fnv1a32_str(json);
  api->free(json);
  return CPLANE_OK;
}

static inline int cplane_hash_field64(const struct cplane_host_api *api,
                                      const cplane_object *obj,
                                      const char *path, uint64_t *out) {
  char *json = api->object_json(obj, path);

  if (json == NULL)
    return CPLANE_ENOENT;
  *out = cplane_fnv1a64_str(json);
  api->free(json);
  return CPLANE_OK;
}

/* Kubernetes' rand.SafeEncodeString: each byte of s mapped into an
 * alphabet without vowels or look-alike characters, so a generated name
 * never spells a word. Writes at most len - 1 characters and the NUL. */
static inline void cplane_safe_encode(const char *s, char *out, size_t len) {
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  size_t i;

  if (len == 0)
    return;
  for (i = 0; s[i] != '\0' && i + 1 < len; i++)
    out[i] = alphabet[(unsigned char)s[i] % (sizeof alphabet - 1)];
  out[i] = '\0';
}

/* SafeEncodeString of the decimal digits of h, as kube spells a
 * pod-template-hash or a controller-revision hash. 11 bytes suffice. */
static inline void cplane_hash_safe_encode32(uint32_t h, char *out,
                                             size_t len) {
  char digits[16];

  snprintf(digits, sizeof digits, "%" PRIu32, h);
  cplane_safe_encode(digits, out, len);
}

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_HASH_H */
