/* marker - for fixtures the host must refuse before running any of their
 * code: a constructor that creates the file $CPLANE_TEST_MARKER names.
 * A test that finds the file knows the plugin's code ran inside the host. */
#ifndef CPLANE_TESTS_PLUGINS_MARKER_H
#define CPLANE_TESTS_PLUGINS_MARKER_H

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void fixture_marker_ctor(void) {
  const char *path = getenv("CPLANE_TEST_MARKER");
  int fd;

  if (path == NULL)
    return;
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0)
    close(fd);
}

#endif /* CPLANE_TESTS_PLUGINS_MARKER_H */
