/*
 * cafile - the cluster's CA bundle. See cafile.h.
 */
#include "cafile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rc_ca_valid(const char *text) {
  const char *p;

  if (text == NULL || strstr(text, "-----BEGIN CERTIFICATE-----") == NULL ||
      strstr(text, "-----END CERTIFICATE-----") == NULL)
    return 0;
  for (p = text; *p != '\0'; p++)
    if ((*p < 0x20 || *p > 0x7e) && *p != '\n' && *p != '\r' && *p != '\t')
      return 0;
  return 1;
}

char *rc_read_ca(const char *path, const char **why) {
  FILE *f = NULL;
  char *text = NULL;
  size_t n;

  *why = "cannot be read";
  if (path == NULL || path[0] == '\0') {
    *why = "is not set, and the host has no CA file to offer";
    return NULL;
  }
  if ((f = fopen(path, "rb")) == NULL)
    goto fail;
  if ((text = malloc(RC_CA_MAX + 1)) == NULL) {
    *why = "out of memory";
    goto fail;
  }
  n = fread(text, 1, RC_CA_MAX + 1, f);
  if (ferror(f))
    goto fail;
  if (n > RC_CA_MAX) {
    *why = "is larger than 256 KiB";
    goto fail;
  }
  text[n] = '\0';
  if (strlen(text) != n || !rc_ca_valid(text)) {
    *why = "holds no PEM certificate";
    goto fail;
  }
  fclose(f);
  return text;
fail:
  if (f != NULL)
    fclose(f);
  free(text);
  return NULL;
}
