/* newer_minor - built against a (future) SDK newer than the host: its ABI
 * note carries the newer minor, so it is refused before dlopen(). */
#include <cplane/cplane.h>

static const struct cplane_plugin desc = {
    .struct_size = sizeof(struct cplane_plugin),
    .abi_major = CPLANE_ABI_MAJOR,
    .abi_minor = CPLANE_ABI_MINOR + 1,
    .name = "newer_minor",
    .version = "1",
    .kind = CPLANE_KIND_CONTROLLER,
};

CPLANE_PLUGIN_ABI_NOTE(CPLANE_ABI_MAJOR, CPLANE_ABI_MINOR + 1)
CPLANE_EXPORT const struct cplane_plugin *cplane_plugin_entry(void);
CPLANE_EXPORT const struct cplane_plugin *cplane_plugin_entry(void) {
  return &desc;
}
