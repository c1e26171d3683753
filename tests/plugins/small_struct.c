/* small_struct - a descriptor shorter than ABI 1.0's: its size is checked,
 * never trusted. */
#include <cplane/cplane.h>

static const struct cplane_plugin desc = {
    .struct_size = 40,
    .abi_major = CPLANE_ABI_MAJOR,
    .abi_minor = CPLANE_ABI_MINOR,
    .name = "small_struct",
    .version = "1",
    .kind = CPLANE_KIND_CONTROLLER,
};

CPLANE_PLUGIN_DEFINE(desc)
