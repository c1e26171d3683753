/*
 * config - the endpointslice plugin's settings. See config.h.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

int es_config_max_per_slice(const char *value, int *out, const char **why) {
  char *end;
  long v;

  *out = ES_MAX_PER_SLICE_DEFAULT;
  if (value == NULL)
    return 0;
  errno = 0;
  v = strtol(value, &end, 10);
  if (errno != 0 || end == value || *end != '\0' || v < 1 ||
      v > ES_MAX_PER_SLICE_LIMIT) {
    *why = "max_endpoints_per_slice: must be an integer from 1 to 1000";
    return -1;
  }
  *out = (int)v;
  return 0;
}
