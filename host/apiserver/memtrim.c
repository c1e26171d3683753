/*
 * memtrim - see memtrim.h.
 */
#include "apiserver/memtrim.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stddef.h>

/* jemalloc's control call, when the binary links jemalloc (the release
 * cplane does: Makefile MALLOC); weak, so the host library links without
 * it (tests, sanitizer builds) and the pointer is then NULL. */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
                   size_t newlen) __attribute__((weak));

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

void cp_memtrim_run(void) {
  /* jemalloc returns dirty pages on its own after dirty_decay_ms; a
   * purge of every arena ("arena.<MALLCTL_ARENAS_ALL>.purge", 4096) does
   * it now, as malloc_trim does for glibc's arenas. */
  if (mallctl != NULL)
    (void)mallctl("arena.4096.purge", NULL, NULL, NULL, 0);
  malloc_trim(0);
}
