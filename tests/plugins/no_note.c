/* no_note - a plugin built without CPLANE_PLUGIN_DEFINE's ABI note (by
 * hand, or with an SDK older than the note): nothing says which ABI its
 * code expects, so the host refuses it before dlopen(). Its constructor
 * writes a marker file (the path in $CPLANE_TEST_MARKER) to prove that. */
#include <cplane/cplane.h>

#include "marker.h" /* its constructor writes the marker file */

static const struct cplane_plugin desc = {
    .struct_size = sizeof(struct cplane_plugin),
    .abi_major = CPLANE_ABI_MAJOR,
    .abi_minor = CPLANE_ABI_MINOR,
    .name = "no_note",
    .version = "1",
    .kind = CPLANE_KIND_CONTROLLER,
};

CPLANE_EXPORT const struct cplane_plugin *cplane_plugin_entry(void);
CPLANE_EXPORT const struct cplane_plugin *cplane_plugin_entry(void) {
  return &desc;
}
