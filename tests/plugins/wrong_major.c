/* wrong_major - built for an ABI major this host does not speak. Its ABI
 * note says so, and its constructor writes a marker file (the path in
 * $CPLANE_TEST_MARKER): the host must refuse it from the note, before
 * dlopen() could run the constructor. */
#include <cplane/cplane.h>

#include "marker.h" /* its constructor writes the marker file */

static const struct cplane_plugin desc = {
    .struct_size = sizeof(struct cplane_plugin),
    .abi_major = CPLANE_ABI_MAJOR + 1,
    .abi_minor = 0,
    .name = "wrong_major",
    .version = "1",
    .kind = CPLANE_KIND_CONTROLLER,
};

/* What CPLANE_PLUGIN_DEFINE would emit with a future SDK's numbers. */
CPLANE_PLUGIN_ABI_NOTE(CPLANE_ABI_MAJOR + 1, 0)
CPLANE_EXPORT const struct cplane_plugin *cplane_plugin_entry(void);
CPLANE_EXPORT const struct cplane_plugin *cplane_plugin_entry(void) {
  return &desc;
}
