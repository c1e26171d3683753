/*
 * store_impl - what a store backend provides: a table of operations that
 * store.c calls after it has validated arguments (key and value sizes,
 * NULL pointers), so a backend never sees an oversized value.
 *
 * Threading and ownership are those of store.h: every operation may run
 * from many threads at once; results are owned by the caller.
 */
#ifndef CPLANE_HOST_STORE_IMPL_H
#define CPLANE_HOST_STORE_IMPL_H

#include "store/store.h"

typedef struct cp_store_ops {
  const char *name;
  int (*get)(cp_store *s, const void *key, size_t key_len, int64_t rev,
             cp_store_kv *out, int64_t *header_rev);
  int (*list)(cp_store *s, const void *prefix, size_t prefix_len,
              const void *start, size_t start_len, int64_t rev, size_t limit,
              cp_store_list_result *res);
  int (*create)(cp_store *s, const void *key, size_t key_len,
                const void *value, size_t value_len, int64_t *rev_out);
  int (*update)(cp_store *s, const void *key, size_t key_len,
                const void *value, size_t value_len, int64_t expected_rev,
                int64_t *rev_out, cp_store_kv *current);
  int (*del)(cp_store *s, const void *key, size_t key_len,
             int64_t expected_rev, int64_t *rev_out, cp_store_kv *prev);
  /* ops checked by store.c; every rc and rev reset. */
  int (*txn)(cp_store *s, cp_store_txn_op *ops, size_t n);
  int txn_shares_revision;
  int (*compact)(cp_store *s, int64_t rev);
  int (*current_revision)(cp_store *s, int64_t *rev);
  int (*check)(cp_store *s, char **why);
  int (*watch)(cp_store *s, const void *prefix, size_t prefix_len,
               int64_t from_rev, cp_store_watch_cb cb, void *userdata,
               cp_store_watcher **out);
  void (*watch_cancel)(cp_store_watcher *w);
  void (*close)(cp_store *s);
} cp_store_ops;

/* Every backend's store struct starts with this, and every watch handle
 * with a pointer to its store, so store.c can dispatch. */
struct cp_store {
  const cp_store_ops *ops;
  size_t max_value_size;
};

struct cp_store_watch_base {
  cp_store *store;
};

/* Sets *errmsg (if not NULL) to a malloc'd formatted message. */
void cp_store_set_errmsg(char **errmsg, const char *fmt, ...)
    CPLANE_PRINTF(2, 3);

/* prefix with its last byte incremented, dropping trailing 0xff bytes,
 * written to end (at least prefix_len bytes). *end_len 0 means no upper
 * bound (empty prefix or all 0xff). */
void cp_store_prefix_end(const uint8_t *prefix, size_t prefix_len,
                         uint8_t *end, size_t *end_len);

/* Fills kv with copies of the given buffers; CPLANE_ENOMEM on failure, kv
 * then zeroed. */
int cp_store_kv_set(cp_store_kv *kv, const void *key, size_t key_len,
                    const void *value, size_t value_len);

#endif /* CPLANE_HOST_STORE_IMPL_H */
