/*
 * memtrim - gives freed heap back to the system after a burst. glibc
 * keeps freed memory in its arenas: after 200 slow watchers left, the
 * server stayed at 5.3 GB until malloc_trim(0) took it to 131 MB.
 * Code that frees large amounts says how much (cp_memtrim_freed); a
 * housekeeping timer asks cp_memtrim_due now and then and, when it says
 * so, runs cp_memtrim_run off the hot path.
 *
 * Threading: every function is safe from any thread; the state is one
 * process-wide counter, as the heap is process-wide.
 */
#ifndef CPLANE_HOST_APISERVER_MEMTRIM_H
#define CPLANE_HOST_APISERVER_MEMTRIM_H

#include <stddef.h>

/* Bytes freed since the last trim of which at least this many make one
 * due. */
#define CP_MEMTRIM_THRESHOLD (64u << 20)

/* Counts bytes just freed. Cheap: one atomic add. */
void cp_memtrim_freed(size_t bytes);
/* 1 when CP_MEMTRIM_THRESHOLD bytes were freed since the last call that
 * returned 1 (which resets the count), else 0. */
int cp_memtrim_due(void);
/* Returns free heap memory to the system (malloc_trim(0), and a purge of
 * jemalloc's arenas when the binary links it). Can take tens of
 * milliseconds on a big heap: not on the event loop. */
void cp_memtrim_run(void);

#endif /* CPLANE_HOST_APISERVER_MEMTRIM_H */
