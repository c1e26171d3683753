/* sigpipe - see sigpipe.h. */
#include "net/sigpipe.h"

#include <pthread.h>
#include <signal.h>
#include <stddef.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void ignore_if_default(void) {
  struct sigaction old, ign;

  if (sigaction(SIGPIPE, NULL, &old) != 0)
    return;
  if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
    return; /* the program chose; respect it */
  ign = old;
  ign.sa_handler = SIG_IGN;
  (void)sigaction(SIGPIPE, &ign, NULL);
}

void cp_net_ignore_sigpipe(void) {
  pthread_once(&once, ignore_if_default);
}
