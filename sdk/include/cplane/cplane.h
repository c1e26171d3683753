/*
 * cplane/cplane.h - the whole plugin SDK in one include.
 *
 * A plugin includes this header only, exports one function with
 * CPLANE_PLUGIN_DEFINE() and builds with:
 *   cc -shared -fPIC $(pkg-config --cflags cplane) -o x.so x.c
 * See sdk/examples/template.c for a complete, commented plugin.
 */
#ifndef CPLANE_CPLANE_H
#define CPLANE_CPLANE_H

#include <cplane/version.h>
#include <cplane/host_api.h>
#include <cplane/plugin.h>

#endif /* CPLANE_CPLANE_H */
