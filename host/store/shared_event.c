/*
 * shared_event - see shared_event.h.
 *
 * A buffer is a header before the bytes the event's cp_store_kv points
 * at, so the event needs no second set of pointers: the header is found
 * from the data pointer. Buffers are NUL-terminated, as store values are.
 */
#include "store/shared_event.h"

#include <stdlib.h>
#include <string.h>

struct sbuf {
  long refs;                     /* atomic */
  long holds[CP_SHARED_DOMAINS]; /* atomic; events of each holder */
  size_t len;
  uint8_t data[];
};

static uint8_t empty[1];

static struct sbuf *sbuf_of(uint8_t *p) {
  return (struct sbuf *)(void *)(p - offsetof(struct sbuf, data));
}

static uint8_t *sbuf_new(const uint8_t *src, size_t len) {
  struct sbuf *b = malloc(sizeof *b + len + 1);

  if (b == NULL)
    return NULL;
  memset(b, 0, sizeof *b);
  b->refs = 1;
  b->len = len;
  if (len > 0)
    memcpy(b->data, src, len);
  b->data[len] = '\0';
  return b->data;
}

static uint8_t *sbuf_ref(uint8_t *p) {
  __atomic_add_fetch(&sbuf_of(p)->refs, 1, __ATOMIC_RELAXED);
  return p;
}

static void sbuf_unref(uint8_t *p) {
  if (p != NULL && p != empty &&
      __atomic_sub_fetch(&sbuf_of(p)->refs, 1, __ATOMIC_ACQ_REL) == 0)
    free(sbuf_of(p));
}

static int has_prev(const cp_store_event *ev) {
  return ev->prev.mod_revision != 0;
}

static void event_free(cp_shared_event *e) {
  sbuf_unref(e->ev.kv.key);
  sbuf_unref(e->ev.kv.value);
  if (has_prev(&e->ev)) {
    sbuf_unref(e->ev.prev.key);
    sbuf_unref(e->ev.prev.value);
  }
  free(e);
}

cp_shared_event *cp_shared_event_new(int type, const cp_store_kv *kv,
                                     const cp_store_kv *prev) {
  cp_shared_event *e = calloc(1, sizeof *e);
  uint8_t *prev_value;

  if (e == NULL)
    return NULL;
  e->refs = 1;
  e->ev.type = type;
  e->ev.kv = *kv;
  e->ev.kv.value_len = kv->value != NULL ? kv->value_len : 0;
  e->ev.kv.key = sbuf_new(kv->key, kv->key_len);
  e->ev.kv.value = sbuf_new(kv->value, e->ev.kv.value_len);
  /* No previous value until it is in place: event_free then skips it. */
  e->ev.prev.key = e->ev.prev.value = empty;
  if (e->ev.kv.key == NULL || e->ev.kv.value == NULL)
    goto fail;
  if (prev == NULL || prev->mod_revision == 0)
    return e;
  prev_value = sbuf_new(prev->value, prev->value != NULL ? prev->value_len : 0);
  if (prev_value == NULL)
    goto fail;
  e->ev.prev = *prev;
  e->ev.prev.value_len = prev->value != NULL ? prev->value_len : 0;
  e->ev.prev.value = prev_value;
  e->ev.prev.key = sbuf_ref(e->ev.kv.key); /* the same key */
  e->ev.prev.key_len = e->ev.kv.key_len;
  return e;
fail:
  event_free(e);
  return NULL;
}

cp_shared_event *cp_shared_event_ref(cp_shared_event *e) {
  __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
  return e;
}

void cp_shared_event_unref(cp_shared_event *e) {
  if (e != NULL && __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0)
    event_free(e);
}

/* ---- accounting ---- */

/* The event's distinct buffers: the previous key is the key. */
static size_t buffers(cp_shared_event *e, uint8_t *out[2 + 1]) {
  size_t n = 0;

  out[n++] = e->ev.kv.key;
  out[n++] = e->ev.kv.value;
  if (has_prev(&e->ev) && e->ev.prev.value != e->ev.kv.value)
    out[n++] = e->ev.prev.value;
  return n;
}

size_t cp_shared_event_hold(cp_shared_event *e, int domain, size_t *bytes) {
  uint8_t *b[3];
  size_t i, n = buffers(e, b), added = 0;

  for (i = 0; i < n; i++) {
    struct sbuf *s = sbuf_of(b[i]);

    if (__atomic_fetch_add(&s->holds[domain], 1, __ATOMIC_RELAXED) == 0)
      added += sizeof *s + s->len;
  }
  *bytes += added;
  return added;
}

size_t cp_shared_event_release(cp_shared_event *e, int domain,
                               size_t *bytes) {
  uint8_t *b[3];
  size_t i, n = buffers(e, b), removed = 0;

  for (i = 0; i < n; i++) {
    struct sbuf *s = sbuf_of(b[i]);

    if (__atomic_sub_fetch(&s->holds[domain], 1, __ATOMIC_RELAXED) == 0)
      removed += sizeof *s + s->len;
  }
  *bytes -= removed;
  return removed;
}

/* ---- index ---- */

static const char *key_of(const void *item) {
  return (const char *)((const cp_shared_event *)item)->ev.kv.key;
}

static int same_key(const cp_store_kv *a, const cp_store_kv *b) {
  return a->key_len == b->key_len &&
         memcmp(a->key, b->key, a->key_len) == 0;
}

void cp_event_index_add(struct cp_event_index *idx, cp_shared_event *e) {
  uint32_t hash = cp_ptab_hash(key_of(e));
  cp_shared_event *last = cp_ptab_get(&idx->tab, key_of, key_of(e), hash);

  /* The table compares keys as C strings: a key with a NUL byte inside
   * may find another key's event, so the whole key is compared too. */
  if (last != NULL && same_key(&last->ev.kv, &e->ev.kv)) {
    if (has_prev(&e->ev) &&
        last->ev.kv.mod_revision == e->ev.prev.mod_revision &&
        last->ev.type == CP_STORE_EVENT_PUT &&
        last->ev.kv.value_len == e->ev.prev.value_len &&
        e->ev.prev.value != last->ev.kv.value) {
      sbuf_unref(e->ev.prev.value);
      e->ev.prev.value = sbuf_ref(last->ev.kv.value);
    }
    if (e->ev.kv.key != last->ev.kv.key) {
      /* The previous key is the key: both move to the shared buffer. */
      uint8_t *mine = e->ev.kv.key;

      e->ev.kv.key = sbuf_ref(last->ev.kv.key);
      if (has_prev(&e->ev)) {
        sbuf_unref(e->ev.prev.key);
        e->ev.prev.key = sbuf_ref(e->ev.kv.key);
      }
      sbuf_unref(mine);
    }
  }
  /* key_of(e) again: the key's buffer may have just changed. */
  if (e->ev.type == CP_STORE_EVENT_DELETE) {
    (void)cp_ptab_del(&idx->tab, key_of, key_of(e), hash, NULL, NULL);
    return;
  }
  if (cp_ptab_reserve(&idx->tab, 1, NULL) != 0) {
    /* No room: the key must not keep an older event as its latest. */
    (void)cp_ptab_del(&idx->tab, key_of, key_of(e), hash, NULL, NULL);
    return;
  }
  (void)cp_ptab_put(&idx->tab, key_of, e, hash);
}

void cp_event_index_forget(struct cp_event_index *idx,
                           const cp_shared_event *e) {
  const char *key = (const char *)e->ev.kv.key;

  (void)cp_ptab_del(&idx->tab, key_of, key, cp_ptab_hash(key), e, NULL);
}

void cp_event_index_free(struct cp_event_index *idx) {
  cp_ptab_free(&idx->tab, NULL);
}
