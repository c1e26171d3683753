/* wrong_major - claims an ABI major this host does not speak. */
#include <cplane/cplane.h>

static const struct cplane_plugin desc = {
    .struct_size = sizeof(struct cplane_plugin),
    .abi_major = CPLANE_ABI_MAJOR + 1,
    .abi_minor = 0,
    .name = "wrong_major",
    .version = "1",
    .kind = CPLANE_KIND_CONTROLLER,
};

CPLANE_PLUGIN_DEFINE(desc)
