/* abi13_writes - a descriptor the size of ABI 1.3's (before writes[])
 * whose memory past that size holds garbage writes: the loader reads no
 * byte past struct_size, so the plugin declares nothing. */
#include <cplane/cplane.h>

static const struct cplane_resource watched[] = {
    CPLANE_RESOURCE("", "v1", "pods"),
};

static const struct cplane_plugin desc = {
    .struct_size = offsetof(struct cplane_plugin, n_writes),
    .abi_major = CPLANE_ABI_MAJOR,
    .abi_minor = 3,
    .name = "abi13_writes",
    .version = "1",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 1,
    .resources = watched,
    .n_writes = 7,
    .writes = (const struct cplane_resource *)1,
};

CPLANE_PLUGIN_DEFINE(desc)
