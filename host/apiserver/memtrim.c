/*
 * memtrim - see memtrim.h.
 */
#include "apiserver/memtrim.h"

#include <malloc.h>
#include <stdatomic.h>

static atomic_size_t freed;

void cp_memtrim_freed(size_t bytes) {
  atomic_fetch_add_explicit(&freed, bytes, memory_order_relaxed);
}

int cp_memtrim_due(void) {
  size_t n = atomic_load_explicit(&freed, memory_order_relaxed);

  if (n < CP_MEMTRIM_THRESHOLD)
    return 0;
  /* Only the caller that takes the count runs the trim. */
  return atomic_compare_exchange_strong(&freed, &n, 0);
}

void cp_memtrim_run(void) { malloc_trim(0); }
