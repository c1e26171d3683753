/* init_fails - init() refuses to start and says why. */
#include <cplane/cplane.h>

static int fail_init(cplane_plugin_ctx *ctx, const struct cplane_host_api *api,
                     char **errmsg) {
  *errmsg = api->string_dup("missing required key 'endpoint'");
  return CPLANE_EINVAL;
}

static void fail_fini(cplane_plugin_ctx *ctx) {
  /* Must never run: init failed. Crash loudly if the host calls it. */
  __builtin_trap();
}

static const struct cplane_plugin desc = {
    CPLANE_PLUGIN_HEADER,
    .name = "init_fails",
    .version = "1",
    .kind = CPLANE_KIND_CONTROLLER,
    .init = fail_init,
    .fini = fail_fini,
};

CPLANE_PLUGIN_DEFINE(desc)
