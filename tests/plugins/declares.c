/* declares - writes[] (ABI 1.4): a descriptor declaring what it writes
 * beyond what it watches, read by the loader with the descriptor's own
 * stride (plugin/confine.h uses it). */
#include <cplane/cplane.h>

static const struct cplane_resource watched[] = {
    CPLANE_RESOURCE("apps", "v1", "deployments"),
};
static const struct cplane_resource writes[] = {
    CPLANE_RESOURCE(NULL, "v1", "pods/binding"),
    CPLANE_RESOURCE("*", "v1", "*"),
};

static const struct cplane_plugin desc = {
    CPLANE_PLUGIN_HEADER,
    .name = "declares",
    .version = "1",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 1,
    .resources = watched,
    .n_writes = 2,
    .writes = writes,
};

CPLANE_PLUGIN_DEFINE(desc)
