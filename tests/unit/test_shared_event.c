/*
 * test_shared_event - the immutable shared watch events (store/
 * shared_event.c): an update's previous value becomes the buffer of the
 * key's last event however many events of other keys lie between, a
 * delete or a forgotten event ends the sharing, a key with a NUL byte
 * never borrows another key's value, and a holder counts each buffer
 * once. ASan proves every buffer is freed once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/shared_event.h"

static cp_shared_event *make(int type, const char *key, size_t key_len,
                             const char *value, int64_t rev,
                             int64_t prev_rev, const char *prev_value) {
  cp_store_kv kv = {0}, prev = {0};
  cp_shared_event *e;

  kv.key = (uint8_t *)key;
  kv.key_len = key_len;
  kv.value = (uint8_t *)value;
  kv.value_len = value != NULL ? strlen(value) : 0;
  kv.mod_revision = rev;
  prev.key = (uint8_t *)key;
  prev.key_len = key_len;
  prev.value = (uint8_t *)prev_value;
  prev.value_len = prev_value != NULL ? strlen(prev_value) : 0;
  prev.mod_revision = prev_rev;
  e = cp_shared_event_new(type, &kv, prev_rev != 0 ? &prev : NULL);
  assert_non_null(e);
  return e;
}

/* 500 events of other keys between two updates of "a": the second's
 * previous value is the first's value buffer (the watch cache looked 64
 * events back and copied it past that). */
static void test_prev_shared_at_any_distance(void **state) {
  struct cp_event_index idx = {0};
  cp_shared_event *first, *second, *other[500];
  char key[32];
  int i;

  (void)state;
  first = make(CP_STORE_EVENT_PUT, "a", 1, "value-1", 1, 0, NULL);
  cp_event_index_add(&idx, first);
  for (i = 0; i < 500; i++) {
    snprintf(key, sizeof key, "k%d", i);
    other[i] = make(CP_STORE_EVENT_PUT, key, strlen(key), "x", 2 + i, 0,
                    NULL);
    cp_event_index_add(&idx, other[i]);
  }
  second = make(CP_STORE_EVENT_PUT, "a", 1, "value-2", 600, 1, "value-1");
  cp_event_index_add(&idx, second);
  assert_ptr_equal(second->ev.prev.value, first->ev.kv.value);
  assert_ptr_equal(second->ev.kv.key, first->ev.kv.key);
  assert_ptr_equal(second->ev.prev.key, second->ev.kv.key);
  assert_string_equal((const char *)second->ev.prev.value, "value-1");
  assert_int_equal(second->ev.prev.mod_revision, 1);
  /* The first may go: the second keeps the shared buffer alive. */
  cp_event_index_forget(&idx, first);
  cp_shared_event_unref(first);
  assert_string_equal((const char *)second->ev.prev.value, "value-1");
  for (i = 0; i < 500; i++) {
    cp_event_index_forget(&idx, other[i]);
    cp_shared_event_unref(other[i]);
  }
  cp_event_index_forget(&idx, second);
  cp_shared_event_unref(second);
  cp_event_index_free(&idx);
}

/* Only the value of the very revision is shared; a delete and a
 * forgotten event end the sharing; keys equal up to a NUL byte are
 * different keys. */
static void test_no_wrong_sharing(void **state) {
  struct cp_event_index idx = {0};
  cp_shared_event *a1, *a2, *del, *a3, *n1, *n2;

  (void)state;
  a1 = make(CP_STORE_EVENT_PUT, "a", 1, "one", 1, 0, NULL);
  cp_event_index_add(&idx, a1);
  /* A previous value at another revision (an event the owner missed). */
  a2 = make(CP_STORE_EVENT_PUT, "a", 1, "three", 3, 2, "two");
  cp_event_index_add(&idx, a2);
  assert_ptr_not_equal(a2->ev.prev.value, a1->ev.kv.value);
  assert_string_equal((const char *)a2->ev.prev.value, "two");
  /* A delete carries the last value, shared, and leaves the index. */
  del = make(CP_STORE_EVENT_DELETE, "a", 1, NULL, 4, 3, "three");
  cp_event_index_add(&idx, del);
  assert_ptr_equal(del->ev.prev.value, a2->ev.kv.value);
  assert_int_equal(del->ev.kv.value_len, 0);
  assert_non_null(del->ev.kv.value);
  a3 = make(CP_STORE_EVENT_PUT, "a", 1, "again", 5, 0, NULL);
  cp_event_index_add(&idx, a3);
  assert_int_equal(a3->ev.prev.mod_revision, 0);
  assert_int_equal(a3->ev.prev.value_len, 0);
  /* "n\0x" and "n\0y" hash and compare alike as C strings. */
  n1 = make(CP_STORE_EVENT_PUT, "n\0x", 3, "nx", 6, 0, NULL);
  cp_event_index_add(&idx, n1);
  n2 = make(CP_STORE_EVENT_PUT, "n\0y", 3, "ny", 7, 6, "nx");
  cp_event_index_add(&idx, n2);
  assert_ptr_not_equal(n2->ev.prev.value, n1->ev.kv.value);
  assert_ptr_not_equal(n2->ev.kv.key, n1->ev.kv.key);
  assert_memory_equal(n2->ev.kv.key, "n\0y", 3);
  /* Forgotten: no more sharing with it. */
  cp_event_index_forget(&idx, a3);
  {
    cp_shared_event *a4 = make(CP_STORE_EVENT_PUT, "a", 1, "four", 8, 5,
                               "again");

    cp_event_index_add(&idx, a4);
    assert_ptr_not_equal(a4->ev.prev.value, a3->ev.kv.value);
    cp_event_index_forget(&idx, a4);
    cp_shared_event_unref(a4);
  }
  cp_shared_event_unref(a1);
  cp_shared_event_unref(a2);
  cp_shared_event_unref(del);
  cp_shared_event_unref(a3);
  cp_event_index_forget(&idx, n1);
  cp_event_index_forget(&idx, n2);
  cp_shared_event_unref(n1);
  cp_shared_event_unref(n2);
  cp_event_index_free(&idx);
}

/* A holder counts each buffer once: two updates sharing a value cost the
 * key, two values and one previous value that is the first value. The
 * other domain counts apart. */
static void test_hold_counts_each_buffer_once(void **state) {
  struct cp_event_index idx = {0};
  size_t hub = 0, cache = 0, one, both, hdr;
  cp_shared_event *a1, *a2;

  (void)state;
  a1 = make(CP_STORE_EVENT_PUT, "key", 3, "0123456789", 1, 0, NULL);
  cp_event_index_add(&idx, a1);
  a2 = make(CP_STORE_EVENT_PUT, "key", 3, "abcdefghij", 2, 1, "0123456789");
  cp_event_index_add(&idx, a2);
  one = cp_shared_event_hold(a1, CP_SHARED_HUB, &hub);
  assert_int_equal(hub, one);
  both = one + cp_shared_event_hold(a2, CP_SHARED_HUB, &hub);
  assert_int_equal(hub, both);
  /* one: a header each for key (3 bytes) and value (10). The second
   * added only its new value: its key and previous value are a1's. */
  hdr = (one - 13) / 2;
  assert_int_equal(both - one, hdr + 10);
  /* In the other domain all three of a2's buffers count. */
  assert_int_equal(cp_shared_event_hold(a2, CP_SHARED_CACHE, &cache),
                   3 * hdr + 23);
  assert_int_equal(cp_shared_event_release(a1, CP_SHARED_HUB, &hub), 0);
  assert_int_equal(hub, both); /* a2 still keeps key and old value */
  cp_shared_event_release(a2, CP_SHARED_HUB, &hub);
  assert_int_equal(hub, 0);
  cp_shared_event_release(a2, CP_SHARED_CACHE, &cache);
  assert_int_equal(cache, 0);
  cp_event_index_forget(&idx, a1);
  cp_event_index_forget(&idx, a2);
  cp_shared_event_unref(a1);
  cp_shared_event_unref(a2);
  cp_event_index_free(&idx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prev_shared_at_any_distance),
      cmocka_unit_test(test_no_wrong_sharing),
      cmocka_unit_test(test_hold_counts_each_buffer_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
