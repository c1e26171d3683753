/*
 * assert - see assert.h.
 */
#include "log/assert.h"

#include <errno.h>
#include <stdlib.h>

#include "log/log.h"

void cp_assert_fail(const char *cond, const char *file, int line,
                    const char *func) {
  cp_log_error("assert", "%s:%d: %s: assertion '%s' failed", file, line,
               func, cond);
  abort();
}

int cp_assert_mutex_locked(pthread_mutex_t *mu) {
  int r = pthread_mutex_trylock(mu);

  if (r == 0) {
    pthread_mutex_unlock(mu);
    return 0;
  }
  return r == EBUSY || r == EDEADLK;
}
