/*
 * usage - see usage.h.
 */
#include "usage.h"

#include "work.h"

#include <cplane/cplane.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The bounds the API server accepts (metrics_usage.h). */
#define USAGE_FRACTION_MAX_PERMILLE 10000 /* 10x the requests */
#define USAGE_INTERVAL_MIN_MS 100
#define USAGE_INTERVAL_MAX_MS 3600000

static const char *cfg(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const char *key,
                       const char *def) {
  const char *v = api->config_get(ctx, key);

  return v != NULL && v[0] != '\0' ? v : def;
}

const char *nsim_usage_configure(const struct cplane_host_api *api,
                                 cplane_plugin_ctx *ctx, struct nodesim *st) {
  struct nsim_usage *u = calloc(1, sizeof *u);
  const char *v, *fraction;
  int64_t permille, ms;

  if (u == NULL)
    return "out of memory";
  st->usage = u;
  v = cfg(api, ctx, "usage", "true");
  if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
    return "usage: true or false";
  u->enabled = strcmp(v, "true") == 0;
  /* A fraction read as a quantity in thousandths: "0.5" is 500. */
  fraction = cfg(api, ctx, "usage_fraction", "0.5");
  if (cplane_quantity_parse_milli(fraction, &permille, NULL) != CPLANE_OK ||
      permille < 0 || permille > USAGE_FRACTION_MAX_PERMILLE ||
      strlen(fraction) >= sizeof u->fraction)
    return "usage_fraction: a number from 0 to 10, such as 0.5";
  snprintf(u->fraction, sizeof u->fraction, "%s", fraction);
  if (cplane_duration_parse_ms(cfg(api, ctx, "usage_interval", "15s"),
                               CPLANE_DURATION_BARE_SECONDS,
                               USAGE_INTERVAL_MAX_MS, &ms) != CPLANE_OK ||
      ms < USAGE_INTERVAL_MIN_MS)
    return "usage_interval: a duration from 100ms to 1h, such as 15s";
  /* Go's form ("15s", "1m0s"): the window metrics report. */
  cplane_duration_format(ms * CPLANE_NS_PER_MS, u->interval,
                         sizeof u->interval);
  return NULL;
}

void nsim_usage_free(struct nsim_usage *u) { free(u); }

char *nsim_usage_node_annotations(const struct cplane_host_api *api,
                                  const struct nodesim *st) {
  const struct nsim_usage *u = st->usage;

  if (u == NULL || !u->enabled)
    return api->json_format("{'cplane.io/nodesim':'true',"
                            "'node.alpha.kubernetes.io/ttl':'0'}");
  return api->json_format(
      "{'cplane.io/nodesim':'true',"
      "'node.alpha.kubernetes.io/ttl':'0','" USAGE_INTERVAL_ANNOTATION
      "':%s,'" USAGE_FRACTION_ANNOTATION "':%s}",
      u->interval, u->fraction);
}

static int same_str(const char *a, const char *b) {
  return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int nsim_usage_declared(const struct cplane_host_api *api,
                        const struct nodesim *st, const cplane_object *node) {
  const struct nsim_usage *u = st->usage;
  int on = u != NULL && u->enabled;

  return same_str(api->object_annotation(node, USAGE_INTERVAL_ANNOTATION),
                  on ? u->interval : NULL) &&
         same_str(api->object_annotation(node, USAGE_FRACTION_ANNOTATION),
                  on ? u->fraction : NULL);
}

void nsim_usage_declare(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, const struct nodesim *st,
                        const cplane_object *node) {
  const struct nsim_usage *u = st->usage;
  char *patch, *msg = NULL;
  int code;

  if (nsim_usage_declared(api, st, node))
    return;
  /* A merge patch: null removes an annotation. */
  patch =
      u != NULL && u->enabled
          ? api->json_format(
                "{'metadata':{'annotations':{'" USAGE_INTERVAL_ANNOTATION
                "':%s,'" USAGE_FRACTION_ANNOTATION "':%s}}}",
                u->interval, u->fraction)
          : api->string_dup(
                "{\"metadata\":{\"annotations\":{\"" USAGE_INTERVAL_ANNOTATION
                "\":null,\"" USAGE_FRACTION_ANNOTATION "\":null}}}");
  if (patch == NULL)
    return;
  code =
      api->patch(ctx, &nsim_resources[NSIM_NODES], NULL, api->object_name(node),
                 CPLANE_PATCH_MERGE, patch, NULL, &msg);
  if (code != 200 && code != 404 && code != 409)
    api->log(ctx, CPLANE_LOG_WARN, "usage model of node %s: %d %s",
             api->object_name(node), code, msg ? msg : "");
  api->free(msg);
  api->free(patch);
}
