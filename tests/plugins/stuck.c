/*
 * stuck - a plugin with calls that do not return. It watches configmaps:
 * on_add of a map named "hang-add*" blocks; every other map's key is
 * enqueued, and reconcile of a key containing "stuck" blocks. Blocked
 * calls wait until fixture_stuck_release() (unit tests) - or forever (the
 * integration test, where the host must report them and still stop
 * within its shutdown_timeout).
 */
#include <cplane/cplane.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

static const struct cplane_host_api *api;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int released;
static atomic_int blocked; /* calls blocked right now */

CPLANE_EXPORT int fixture_stuck_blocked(void);
CPLANE_EXPORT void fixture_stuck_release(void);

int fixture_stuck_blocked(void) { return atomic_load(&blocked); }

void fixture_stuck_release(void) {
  pthread_mutex_lock(&mu);
  released = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

static void block(void) {
  atomic_fetch_add(&blocked, 1);
  pthread_mutex_lock(&mu);
  while (!released)
    pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  atomic_fetch_sub(&blocked, 1);
}

static int stuck_init(cplane_plugin_ctx *ctx,
                      const struct cplane_host_api *host_api, char **errmsg) {
  (void)ctx;
  (void)errmsg;
  api = host_api;
  pthread_mutex_lock(&mu);
  released = 0;
  pthread_mutex_unlock(&mu);
  return CPLANE_OK;
}

static void stuck_add(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  const char *key = api->object_key(obj);
  const char *name = api->object_name(obj);

  (void)res;
  if (name != NULL && strncmp(name, "hang-add", 8) == 0) {
    block();
    return;
  }
  if (key != NULL)
    api->enqueue(ctx, key);
}

static int stuck_reconcile(cplane_plugin_ctx *ctx, const char *key,
                           uint32_t *requeue_after_ms) {
  (void)ctx;
  (void)requeue_after_ms;
  if (strstr(key, "stuck") != NULL)
    block();
  return CPLANE_RECONCILE_DONE;
}

static const struct cplane_resource resources[] = {
    {.struct_size = sizeof(struct cplane_resource),
     .version = "v1",
     .resource = "configmaps"},
};

static const struct cplane_plugin desc = {
    CPLANE_PLUGIN_HEADER,
    .name = "stuck",
    .version = "1.0.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 1,
    .resources = resources,
    .init = stuck_init,
    .on_add = stuck_add,
    .reconcile = stuck_reconcile,
};

CPLANE_PLUGIN_DEFINE(desc)
