/*
 * cplane/history.h - ControllerRevisions, as kube's controller history
 * package keeps them for DaemonSets and StatefulSets.
 *
 * Header-only: nothing here is in the host table or the ABI.
 *
 * A controller stores each distinct pod template it has run as a
 * ControllerRevision owned by it (apps/v1, same namespace), whose `data`
 * is a patch re-applying that template and whose `revision` orders them.
 * The name is "<parent>-<hash>" where the hash is FNV-1 (32-bit, not 1a)
 * over the data's bytes, then the decimal collisionCount when the parent
 * has one, spelt by SafeEncodeString: kube's HashControllerRevision. The
 * revision carries the hash in the CPLANE_REVISION_HASH_LABEL label.
 * Pods carry CPLANE_POD_REVISION_LABEL: a DaemonSet's pods the hash, a
 * StatefulSet's pods the revision's name (as kube labels them).
 *
 * The usual step, each reconcile:
 *   data = the patch of the parent's current template (compact JSON);
 *   rev  = cplane_revision_find_equal(api, revisions, data);
 *   if rev exists and is not the newest: PUT it with revision max + 1;
 *   if none: create "<parent>-<hash>" with revision max + 1; on 409 with
 *            different data, bump status.collisionCount and retry.
 *
 * Threading: pure functions over objects the caller holds.
 */
#ifndef CPLANE_HISTORY_H
#define CPLANE_HISTORY_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cplane/hash.h>
#include <cplane/host_api.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CPLANE_REVISION_HASH_LABEL "controller.kubernetes.io/hash"
#define CPLANE_POD_REVISION_LABEL "controller-revision-hash"
/* kube truncates the parent's name so that "<prefix>-<hash>" fits 253. */
#define CPLANE_REVISION_PREFIX_MAX 223

/* Continues a 32-bit FNV-1 hash (multiply, then xor: Go's fnv.New32). */
static inline uint32_t cplane_fnv1_32_add(uint32_t h, const void *data,
                                          size_t n) {
  const unsigned char *p = (const unsigned char *)data;
  size_t i;

  for (i = 0; i < n; i++) {
    h *= 16777619u;
    h ^= p[i];
  }
  return h;
}

/* The revision hash of n bytes of data and an optional collision count
 * (NULL: the parent has none), safe-encoded into out (11 bytes suffice). */
static inline void cplane_revision_hash(const char *data, size_t n,
                                        const int32_t *collision_count,
                                        char *out, size_t len) {
  uint32_t h = cplane_fnv1_32_add(CPLANE_FNV32_OFFSET, data, n);

  if (collision_count != NULL) {
    char digits[16];
    int k = snprintf(digits, sizeof digits, "%" PRId32, *collision_count);
    h = cplane_fnv1_32_add(h, digits, (size_t)k);
  }
  cplane_hash_safe_encode32(h, out, len);
}

/* "<parent>-<hash>", the parent's name cut at CPLANE_REVISION_PREFIX_MAX.
 * Returns CPLANE_OK, or CPLANE_EINVAL when out is too small. */
static inline int cplane_revision_name(const char *parent, const char *hash,
                                       char *out, size_t len) {
  size_t plen = strlen(parent);
  int k;

  if (plen > CPLANE_REVISION_PREFIX_MAX)
    plen = CPLANE_REVISION_PREFIX_MAX;
  k = snprintf(out, len, "%.*s-%s", (int)plen, parent, hash);
  return k < 0 || (size_t)k >= len ? CPLANE_EINVAL : CPLANE_OK;
}

/* The highest `revision` among ControllerRevisions, 0 for none. */
static inline int64_t cplane_revision_max(const struct cplane_host_api *api,
                                          const cplane_object_list *revs) {
  int64_t max = 0, r;
  size_t i, n = revs != NULL ? api->list_len(revs) : 0;

  for (i = 0; i < n; i++)
    if (api->object_int(api->list_at(revs, i), "revision", &r) == CPLANE_OK &&
        r > max)
      max = r;
  return max;
}

/* The revision among revs whose data equals `data` (JSON text, compared
 * after both go through the host's compact printer, so spacing does not
 * matter but member order does). When several are equal, the one with
 * the highest `revision`, as kube's FindEqualRevisions is used. NULL when
 * none is, or data does not parse. Borrowed from revs. */
static inline const cplane_object *
cplane_revision_find_equal(const struct cplane_host_api *api,
                           const cplane_object_list *revs, const char *data) {
  const cplane_object *parsed = NULL, *found = NULL;
  char *want = NULL;
  int64_t best = -1, r;
  size_t i, n = revs != NULL ? api->list_len(revs) : 0;

  if (n == 0 || api->object_parse(data, strlen(data), &parsed, NULL) != 0)
    goto out;
  want = api->object_json(parsed, "");
  if (want == NULL)
    goto out;
  for (i = 0; i < n; i++) {
    const cplane_object *rev = api->list_at(revs, i);
    char *have = api->object_json(rev, "data");

    if (have != NULL && strcmp(have, want) == 0) {
      r = 0;
      api->object_int(rev, "revision", &r);
      if (r > best) {
        best = r;
        found = rev;
      }
    }
    api->free(have);
  }
out:
  api->free(want);
  if (parsed != NULL)
    api->object_release(parsed);
  return found;
}

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_HISTORY_H */
