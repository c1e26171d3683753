/*
 * store.c - argument checks and dispatch shared by every store backend.
 * Size limits are enforced here so an oversized value is refused before
 * any backend (and any disk or network) sees it.
 */
#include "store/store_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cp_store_set_errmsg(char **errmsg, const char *fmt, ...) {
  va_list ap;
  char *msg = NULL;

  if (errmsg == NULL)
    return;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  free(*errmsg);
  *errmsg = msg;
}

void cp_store_prefix_end(const uint8_t *prefix, size_t prefix_len,
                         uint8_t *end, size_t *end_len) {
  size_t n = prefix_len;

  while (n > 0 && prefix[n - 1] == 0xff)
    n--;
  *end_len = n;
  if (n == 0)
    return;
  memcpy(end, prefix, n);
  end[n - 1]++;
}

static uint8_t *dup_bytes(const void *p, size_t n) {
  /* One spare byte keeps text keys printable with %s in logs and tests. */
  uint8_t *d = malloc(n + 1);

  if (d == NULL)
    return NULL;
  if (n > 0)
    memcpy(d, p, n);
  d[n] = 0;
  return d;
}

int cp_store_kv_set(cp_store_kv *kv, const void *key, size_t key_len,
                    const void *value, size_t value_len) {
  memset(kv, 0, sizeof *kv);
  kv->key = dup_bytes(key, key_len);
  kv->value = dup_bytes(value, value_len);
  if (kv->key == NULL || kv->value == NULL) {
    cp_store_kv_free(kv);
    return CPLANE_ENOMEM;
  }
  kv->key_len = key_len;
  kv->value_len = value_len;
  return CPLANE_OK;
}

void cp_store_kv_free(cp_store_kv *kv) {
  if (kv == NULL)
    return;
  free(kv->key);
  free(kv->value);
  memset(kv, 0, sizeof *kv);
}

int cp_store_kv_copy(cp_store_kv *dst, const cp_store_kv *src) {
  int rc = cp_store_kv_set(dst, src->key, src->key_len, src->value,
                           src->value_len);

  if (rc != CPLANE_OK)
    return rc;
  dst->create_revision = src->create_revision;
  dst->mod_revision = src->mod_revision;
  dst->version = src->version;
  return CPLANE_OK;
}

void cp_store_list_result_free(cp_store_list_result *res) {
  size_t i;

  if (res == NULL)
    return;
  for (i = 0; i < res->count; i++)
    cp_store_kv_free(&res->kvs[i]);
  free(res->kvs);
  memset(res, 0, sizeof *res);
}

uint8_t *cp_store_list_next_key(const cp_store_list_result *res,
                                size_t *len) {
  const cp_store_kv *last;
  uint8_t *k;

  if (res->count == 0)
    return NULL;
  last = &res->kvs[res->count - 1];
  k = malloc(last->key_len + 1);
  if (k == NULL)
    return NULL;
  memcpy(k, last->key, last->key_len);
  k[last->key_len] = 0;
  *len = last->key_len + 1;
  return k;
}

char *cp_store_object_key(const char *resource, const char *ns,
                          const char *name) {
  char *k = NULL;
  int n;

  if (ns != NULL && ns[0] != '\0')
    n = asprintf(&k, "%s/%s/%s", resource, ns, name);
  else
    n = asprintf(&k, "%s/%s", resource, name);
  return n < 0 ? NULL : k;
}

const char *cp_store_strerror(int status) {
  switch (status) {
  case CPLANE_OK: return "ok";
  case CPLANE_ENOENT: return "key not found";
  case CPLANE_EINVAL: return "invalid argument";
  case CPLANE_ENOMEM: return "out of memory";
  case CP_STORE_ECONFLICT: return "revision conflict";
  case CP_STORE_EEXISTS: return "key already exists";
  case CP_STORE_ECOMPACTED: return "revision has been compacted";
  case CP_STORE_ETOOLARGE: return "key or value too large";
  case CP_STORE_EUNAVAILABLE: return "store unavailable";
  case CP_STORE_EFUTURE: return "revision is in the future";
  case CP_STORE_EIO: return "store I/O error";
  case CP_STORE_ECLOSED: return "store is closing";
  default: return "store error";
  }
}

static int check_key(const void *key, size_t key_len) {
  if (key == NULL || key_len == 0)
    return CPLANE_EINVAL;
  return key_len > CP_STORE_MAX_KEY ? CP_STORE_ETOOLARGE : CPLANE_OK;
}

static int check_value(cp_store *s, const void *value, size_t value_len) {
  if (value == NULL && value_len > 0)
    return CPLANE_EINVAL;
  return value_len > s->max_value_size ? CP_STORE_ETOOLARGE : CPLANE_OK;
}

void cp_store_close(cp_store *s) {
  if (s != NULL)
    s->ops->close(s);
}

const char *cp_store_backend_name(const cp_store *s) {
  return s->ops->name;
}

int cp_store_get(cp_store *s, const void *key, size_t key_len, int64_t rev,
                 cp_store_kv *out, int64_t *header_rev) {
  int rc = check_key(key, key_len);

  if (out == NULL || rev < 0)
    return CPLANE_EINVAL;
  memset(out, 0, sizeof *out);
  if (rc != CPLANE_OK)
    return rc;
  return s->ops->get(s, key, key_len, rev, out, header_rev);
}

int cp_store_list(cp_store *s, const void *prefix, size_t prefix_len,
                  const void *start_key, size_t start_len, int64_t rev,
                  size_t limit, cp_store_list_result *res) {
  if (res == NULL || rev < 0 || (prefix == NULL && prefix_len > 0) ||
      (start_key == NULL && start_len > 0))
    return CPLANE_EINVAL;
  memset(res, 0, sizeof *res);
  if (prefix_len > CP_STORE_MAX_KEY || start_len > CP_STORE_MAX_KEY + 1)
    return CP_STORE_ETOOLARGE;
  return s->ops->list(s, prefix, prefix_len, start_key, start_len, rev, limit,
                      res);
}

int cp_store_create(cp_store *s, const void *key, size_t key_len,
                    const void *value, size_t value_len, int64_t *rev_out) {
  int rc = check_key(key, key_len);

  if (rc == CPLANE_OK)
    rc = check_value(s, value, value_len);
  if (rc != CPLANE_OK)
    return rc;
  return s->ops->create(s, key, key_len, value, value_len, rev_out);
}

int cp_store_update(cp_store *s, const void *key, size_t key_len,
                    const void *value, size_t value_len, int64_t expected_rev,
                    int64_t *rev_out, cp_store_kv *current) {
  int rc = check_key(key, key_len);

  if (current != NULL)
    memset(current, 0, sizeof *current);
  if (rc == CPLANE_OK)
    rc = check_value(s, value, value_len);
  if (rc == CPLANE_OK && expected_rev <= 0)
    rc = CPLANE_EINVAL;
  if (rc != CPLANE_OK)
    return rc;
  return s->ops->update(s, key, key_len, value, value_len, expected_rev,
                        rev_out, current);
}

int cp_store_delete(cp_store *s, const void *key, size_t key_len,
                    int64_t expected_rev, int64_t *rev_out,
                    cp_store_kv *prev) {
  int rc = check_key(key, key_len);

  if (prev != NULL)
    memset(prev, 0, sizeof *prev);
  if (rc == CPLANE_OK && expected_rev < 0)
    rc = CPLANE_EINVAL;
  if (rc != CPLANE_OK)
    return rc;
  return s->ops->del(s, key, key_len, expected_rev, rev_out, prev);
}

/* One op of a transaction: its kind, revision and sizes. */
static int check_txn_op(cp_store *s, const cp_store_txn_op *op) {
  int rc = check_key(op->key, op->key_len);

  if (rc == CPLANE_OK)
    rc = check_value(s, op->value, op->value_len);
  if (rc != CPLANE_OK)
    return rc;
  if (op->kind == CP_STORE_TXN_CREATE)
    return CPLANE_OK;
  return op->kind == CP_STORE_TXN_UPDATE && op->expected_rev > 0
             ? CPLANE_OK
             : CPLANE_EINVAL;
}

static int same_key(const cp_store_txn_op *a, const cp_store_txn_op *b) {
  return a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0;
}

int cp_store_txn(cp_store *s, cp_store_txn_op *ops, size_t n) {
  size_t i, j, bytes = 0;
  int rc;

  if (ops == NULL || n == 0 || n > CP_STORE_TXN_MAX || s->ops->txn == NULL)
    return CPLANE_EINVAL;
  for (i = 0; i < n; i++) {
    ops[i].rc = CPLANE_OK;
    ops[i].rev = 0;
    if ((rc = check_txn_op(s, &ops[i])) != CPLANE_OK)
      return rc;
    bytes += ops[i].key_len + ops[i].value_len;
    /* n is at most CP_STORE_TXN_MAX: the quadratic check is cheap. */
    for (j = 0; j < i; j++)
      if (same_key(&ops[i], &ops[j]))
        return CPLANE_EINVAL;
  }
  if (bytes > CP_STORE_TXN_MAX_BYTES)
    return CP_STORE_ETOOLARGE;
  return s->ops->txn(s, ops, n);
}

int cp_store_txn_shares_revision(const cp_store *s) {
  return s->ops->txn_shares_revision;
}

int cp_store_compact(cp_store *s, int64_t rev) {
  if (rev <= 0)
    return CPLANE_EINVAL;
  return s->ops->compact(s, rev);
}

int cp_store_current_revision(cp_store *s, int64_t *rev) {
  if (rev == NULL)
    return CPLANE_EINVAL;
  return s->ops->current_revision(s, rev);
}

int cp_store_check(cp_store *s, char **why) {
  if (why != NULL)
    *why = NULL;
  return s->ops->check(s, why);
}

int cp_store_watch(cp_store *s, const void *prefix, size_t prefix_len,
                   int64_t from_rev, cp_store_watch_cb cb, void *userdata,
                   cp_store_watcher **out) {
  if (out == NULL || cb == NULL || from_rev < 0 ||
      (prefix == NULL && prefix_len > 0))
    return CPLANE_EINVAL;
  *out = NULL;
  if (prefix_len > CP_STORE_MAX_KEY)
    return CP_STORE_ETOOLARGE;
  return s->ops->watch(s, prefix, prefix_len, from_rev, cb, userdata, out);
}

void cp_store_watch_cancel(cp_store_watcher *w) {
  struct cp_store_watch_base *b = (struct cp_store_watch_base *)w;

  if (w != NULL)
    b->store->ops->watch_cancel(w);
}
