/*
 * config - [plugin.nodesim]: read, checked and turned into the plugin's
 * state. See config.h.
 */
#include "config.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A resource quantity as Kubernetes writes them ("4", "500m", "16Gi",
 * "1.5", "1e3"), not negative. */
int nsim_valid_quantity(const char *s) {
  int64_t v;

  return cplane_quantity_parse_value(s, &v, NULL) == CPLANE_OK && v >= 0 &&
         s[0] != '-';
}

/* A DNS-1123 subdomain prefix: what a node name may start with. */
int nsim_valid_prefix(const char *s) {
  size_t n = strlen(s), i;

  if (n == 0 || n > 40)
    return 0;
  for (i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
          s[i] == '-' || s[i] == '.'))
      return 0;
  return s[0] != '-' && s[0] != '.';
}

void nsim_free_state(struct nodesim *st) {
  int j;

  if (st == NULL)
    return;
  for (j = 0; j < st->n_labels; j++) {
    free(st->labels[j].key);
    free(st->labels[j].value);
  }
  free(st->labels);
  free(st->taints_json);
  nsim_usage_free(st->usage);
  free(st->ip_next);
  free(st->renewed_ms);
  free(st->due_ms);
  free(st);
}

/* Splits "a=b, c=d" into labels. Returns NULL, or what is wrong. */
const char *nsim_parse_labels(struct nodesim *st, const char *text) {
  char *copy = strdup(text), *save = NULL, *item;
  const char *err = NULL;

  if (copy == NULL)
    return "out of memory";
  for (item = strtok_r(copy, ",", &save); item != NULL;
       item = strtok_r(NULL, ",", &save)) {
    char *eq, *k, *v, *e;
    struct label *grown;

    while (*item == ' ')
      item++;
    for (e = item + strlen(item); e > item && e[-1] == ' ';)
      *--e = '\0';
    if (*item == '\0')
      continue;
    if ((eq = strchr(item, '=')) == NULL || eq == item) {
      err = "labels: each item is key=value";
      goto out;
    }
    *eq = '\0';
    grown = realloc(st->labels, (size_t)(st->n_labels + 1) * sizeof *grown);
    if (grown == NULL) {
      err = "out of memory";
      goto out;
    }
    st->labels = grown;
    k = strdup(item);
    v = strdup(eq + 1);
    if (k == NULL || v == NULL) {
      free(k);
      free(v);
      err = "out of memory";
      goto out;
    }
    st->labels[st->n_labels].key = k;
    st->labels[st->n_labels].value = v;
    st->n_labels++;
  }
out:
  free(copy);
  return err;
}

/* "key=value:Effect, key:Effect" into a JSON array of taints. */
const char *nsim_parse_taints(const struct cplane_host_api *api,
                              struct nodesim *st, const char *text) {
  char *copy = strdup(text ? text : ""), *save = NULL, *item;
  const char *err = NULL;
  struct cplane_strbuf b = {0};
  int first = 1;

  if (copy == NULL)
    return "out of memory";
  cplane_strbuf_add(&b, "[");
  for (item = strtok_r(copy, ",", &save); item != NULL;
       item = strtok_r(NULL, ",", &save)) {
    char *colon, *eq, *e;

    while (*item == ' ')
      item++;
    for (e = item + strlen(item); e > item && e[-1] == ' ';)
      *--e = '\0';
    if (*item == '\0')
      continue;
    if ((colon = strrchr(item, ':')) == NULL || colon == item ||
        (strcmp(colon + 1, "NoSchedule") != 0 &&
         strcmp(colon + 1, "PreferNoSchedule") != 0 &&
         strcmp(colon + 1, "NoExecute") != 0)) {
      err = "taints: each item is key[=value]:NoSchedule|PreferNoSchedule|"
            "NoExecute";
      goto out;
    }
    *colon = '\0';
    if ((eq = strchr(item, '=')) != NULL)
      *eq = '\0';
    cplane_strbuf_add(&b, first ? "" : ",");
    cplane_strbuf_take(&b, api,
                       eq != NULL ? api->json_format("{'key':%s,'value':%s,"
                                                     "'effect':%s}",
                                                     item, eq + 1, colon + 1)
                                  : api->json_format("{'key':%s,'effect':%s}",
                                                     item, colon + 1));
    first = 0;
  }
  cplane_strbuf_add(&b, "]");
  if (first) /* none */
    goto out;
  if ((st->taints_json = cplane_strbuf_finish(&b)) == NULL)
    err = "out of memory";
  b.p = NULL;
out:
  free(b.p);
  free(copy);
  return err;
}

static const char *cfg(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const char *key,
                       const char *def) {
  const char *v = api->config_get(ctx, key);

  return v != NULL && v[0] != '\0' ? v : def;
}

/* A duration setting (or `def`) in ms, at most 1e9. 0, or -1. */
static int config_ms(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                     const char *key, const char *def, uint32_t *out) {
  int64_t ms;

  if (cplane_duration_parse_ms(cfg(api, ctx, key, def),
                               CPLANE_DURATION_BARE_SECONDS, 1000000000,
                               &ms) != CPLANE_OK)
    return -1;
  *out = (uint32_t)ms;
  return 0;
}

/* Reads [plugin.nodesim]. Returns NULL, or what is wrong (static text). */
const char *nsim_configure(const struct cplane_host_api *api,
                           cplane_plugin_ctx *ctx, struct nodesim *st) {
  const char *v, *err;
  char *end;
  long n;

  v = cfg(api, ctx, "count", "3");
  n = strtol(v, &end, 10);
  if (*end != '\0' || n < 0 || n > MAX_NODES)
    return "count: a number of nodes from 0 to 32768";
  st->count = (int)n;
  v = cfg(api, ctx, "name_prefix", "sim-");
  if (!nsim_valid_prefix(v))
    return "name_prefix: lowercase letters, digits, '-' and '.', at most "
           "40";
  snprintf(st->prefix, sizeof st->prefix, "%s", v);
  v = cfg(api, ctx, "cpu", "4");
  if (!nsim_valid_quantity(v) || strlen(v) >= sizeof st->cpu)
    return "cpu: a quantity such as 4 or 500m";
  snprintf(st->cpu, sizeof st->cpu, "%s", v);
  v = cfg(api, ctx, "memory", "16Gi");
  if (!nsim_valid_quantity(v) || strlen(v) >= sizeof st->memory)
    return "memory: a quantity such as 16Gi, 512Mi or 1000000";
  snprintf(st->memory, sizeof st->memory, "%s", v);
  v = cfg(api, ctx, "pods", "110");
  if (!nsim_valid_quantity(v) || strlen(v) >= sizeof st->pods)
    return "pods: a number such as 110";
  snprintf(st->pods, sizeof st->pods, "%s", v);
  if (config_ms(api, ctx, "heartbeat", "10s", &st->heartbeat_ms) != 0 ||
      st->heartbeat_ms == 0)
    return "heartbeat: a duration such as 250ms, 10s or 2m";
  if (config_ms(api, ctx, "pod_start_delay", "200ms",
                &st->pod_start_delay_ms) != 0)
    return "pod_start_delay: a duration such as 200ms or 1s";
  if (config_ms(api, ctx, "max_grace", "30s", &st->max_grace_ms) != 0)
    return "max_grace: a duration such as 30s";
  if (config_ms(api, ctx, "run_seconds", "1s", &st->run_ms) != 0)
    return "run_seconds: a duration such as 1s, 2.5 or 10m";
  v = cfg(api, ctx, "exit_code", "0");
  n = strtol(v, &end, 10);
  if (*end != '\0' || n < 0 || n > 255)
    return "exit_code: a number from 0 to 255";
  st->exit_code = (int)n;
  if ((err = nsim_parse_labels(st, cfg(api, ctx, "labels", ""))) != NULL)
    return err;
  if ((err = nsim_parse_taints(api, st, api->config_get(ctx, "taints"))) !=
      NULL)
    return err;
  if ((st->ip_next = calloc((size_t)(st->count ? st->count : 1),
                            sizeof *st->ip_next)) == NULL ||
      (st->renewed_ms = calloc((size_t)(st->count ? st->count : 1),
                               sizeof *st->renewed_ms)) == NULL ||
      (st->due_ms = calloc((size_t)(st->count ? st->count : 1),
                           sizeof *st->due_ms)) == NULL)
    return "out of memory";
  return NULL;
}
