/*
 * libFuzzer target: the URL router (cp_api_route in handlers.c) over the
 * built-in resource table. The input is a request path.
 */
#include <cplane/host_api.h>

#include "apiserver/request.h"
#include "apiserver/resources.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cp_api_ctx ctx;

static void done(void) { cp_resources_free(ctx.resources); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct cp_api_request rq;
  char *status = NULL;
  int r;

  if (ctx.resources == NULL) {
    if ((ctx.resources = cp_resources_new()) == NULL)
      abort();
    atexit(done);
  }
  memset(&rq, 0, sizeof rq);
  if ((rq.path = fuzz_strndup(data, size)) == NULL)
    return 0;
  r = cp_api_route(&ctx, &rq, &status);
  if (r == 1 && rq.type == NULL)
    abort(); /* a resource path names its type */
  if (r != -1 && status != NULL)
    abort(); /* only a refusal carries a Status */
  free(status);
  cp_api_request_clear(&rq);
  return 0;
}
