/*
 * assert - CP_ASSERT(cond): invariants that are prose elsewhere (which lock
 * is held, a work-queue item's state, a plugin's runtime state) checked
 * where they are relied on.
 *
 * On in the sanitizer builds (make SAN=1 / TSAN=1 pass -DCP_ASSERTS),
 * compiled out in release: the condition is then not evaluated (sizeof
 * only type-checks it), so a check may be as dear as a trylock but must
 * have no side effect the code relies on. A failed check logs the
 * condition, file, line and function as an ERROR line and aborts, so the
 * sanitizer prints the stack.
 *
 * CP_ASSERT_HELD(mu): the mutex is locked (by some thread: POSIX has no
 * portable owner query; "not locked at all" is the bug this catches).
 *
 * Threading: any thread.
 */
#ifndef CPLANE_HOST_LOG_ASSERT_H
#define CPLANE_HOST_LOG_ASSERT_H

#include <pthread.h>

#if defined(__GNUC__)
#define CP_NORETURN __attribute__((noreturn))
#else
#define CP_NORETURN
#endif

void cp_assert_fail(const char *cond, const char *file, int line,
                    const char *func) CP_NORETURN;
/* 1 when mu is locked (trylock fails); a mutex it could lock is unlocked
 * again before returning 0. */
int cp_assert_mutex_locked(pthread_mutex_t *mu);

#ifdef CP_ASSERTS
#define CP_ASSERTS_ON 1
#define CP_ASSERT(cond)                                                    \
  ((cond) ? (void)0 : cp_assert_fail(#cond, __FILE__, __LINE__, __func__))
#else
#define CP_ASSERTS_ON 0
#define CP_ASSERT(cond) ((void)sizeof(!(cond)))
#endif

#define CP_ASSERT_HELD(mu) CP_ASSERT(cp_assert_mutex_locked(mu))

#endif /* CPLANE_HOST_LOG_ASSERT_H */
