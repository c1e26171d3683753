/*
 * plugin_objects - objects for the unit tests of in-tree plugins' modules,
 * parsed by the host's own object code (cp_host_api()) as a plugin sees
 * them, from JSON written with ' for " so that test data stays readable.
 *
 * Ownership: the object is the caller's (api->object_release).
 * Header-only: each test file is its own binary, so the function is static
 * and a file includes this once, after cmocka.h.
 */
#ifndef CPLANE_TESTS_UNIT_PLUGIN_OBJECTS_H
#define CPLANE_TESTS_UNIT_PLUGIN_OBJECTS_H

#include <stdlib.h>
#include <string.h>

#include <cplane/cplane.h>

static inline const cplane_object *plugin_obj(const struct cplane_host_api *api,
                                              const char *json) {
  const cplane_object *o = NULL;
  char *d = strdup(json), *p;

  assert_non_null(d);
  for (p = d; *p; p++)
    if (*p == '\'')
      *p = '"';
  assert_int_equal(api->object_parse(d, strlen(d), &o, NULL), CPLANE_OK);
  free(d);
  return o;
}

#endif
