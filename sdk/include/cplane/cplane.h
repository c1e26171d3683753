/*
 * cplane/cplane.h - the whole plugin SDK in one include.
 *
 * A plugin includes this header only, exports one function with
 * CPLANE_PLUGIN_DEFINE() and builds with:
 *   cc -shared -fPIC $(pkg-config --cflags cplane) -o x.so x.c
 * See sdk/examples/template.c for a complete, commented plugin.
 *
 * Besides the ABI (version.h, host_api.h, plugin.h) it brings in the
 * header-only helpers, each documented in its own header: strbuf.h
 * (growing strings), smap.h (string map and set), hash.h (FNV-1a, field
 * hashes, SafeEncodeString), time.h (RFC 3339 times, Go durations),
 * quantity.h (resource quantities), objects.h (array look-ups), cron.h
 * (cron schedules and their run times), conditions.h, finalizers.h,
 * owners.h, history.h (ControllerRevisions) and endpoints.h (what a
 * Service's endpoints are made of).
 */
#ifndef CPLANE_CPLANE_H
#define CPLANE_CPLANE_H

#include <cplane/version.h>
#include <cplane/host_api.h>
#include <cplane/plugin.h>

/* Header-only helpers: no ABI, compiled into the plugin. */
#include <cplane/conditions.h>
#include <cplane/cron.h>
#include <cplane/endpoints.h>
#include <cplane/expectations.h>
#include <cplane/finalizers.h>
#include <cplane/hash.h>
#include <cplane/history.h>
#include <cplane/objects.h>
#include <cplane/owners.h>
#include <cplane/quantity.h>
#include <cplane/quota.h>
#include <cplane/resource_version.h>
#include <cplane/smap.h>
#include <cplane/strbuf.h>
#include <cplane/time.h>

#endif /* CPLANE_CPLANE_H */
