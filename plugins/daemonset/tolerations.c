/*
 * tolerations - the template's tolerations and the daemon ones. See
 * tolerations.h.
 */
#include "tolerations.h"

#include <stdio.h>
#include <string.h>

#define TOLS "spec.template.spec.tolerations"

/* kube's daemon tolerations, in the order it adds them; all Exists. */
static const struct {
  const char *key, *effect;
  int host_network; /* only for a hostNetwork pod */
} daemon_tols[] = {
    {"node.kubernetes.io/not-ready", "NoExecute", 0},
    {"node.kubernetes.io/unreachable", "NoExecute", 0},
    {"node.kubernetes.io/disk-pressure", "NoSchedule", 0},
    {"node.kubernetes.io/memory-pressure", "NoSchedule", 0},
    {"node.kubernetes.io/pid-pressure", "NoSchedule", 0},
    {"node.kubernetes.io/unschedulable", "NoSchedule", 0},
    {"node.kubernetes.io/network-unavailable", "NoSchedule", 1},
};
#define N_DAEMON_TOLS (sizeof daemon_tols / sizeof daemon_tols[0])

static int host_network(const struct cplane_host_api *api,
                        const cplane_object *ds) {
  int on = 0;

  api->object_bool(ds, "spec.template.spec.hostNetwork", &on);
  return on;
}

static int eq(const char *a, const char *b) {
  return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

static int empty(const char *s) { return s == NULL || *s == '\0'; }

/* kube's Toleration.ToleratesTaint for the template's toleration i. */
static int template_tolerates(const struct cplane_host_api *api,
                              const cplane_object *ds, int i, const char *key,
                              const char *value, const char *effect) {
  const char *tk = cplane_array_string(api, ds, TOLS, i, "key");
  const char *op = cplane_array_string(api, ds, TOLS, i, "operator");
  const char *tv = cplane_array_string(api, ds, TOLS, i, "value");
  const char *te = cplane_array_string(api, ds, TOLS, i, "effect");

  if (!empty(te) && !eq(te, effect))
    return 0;
  if (!empty(tk) && !eq(tk, key))
    return 0;
  if (empty(op) || strcmp(op, "Equal") == 0)
    return eq(tv, value);
  return strcmp(op, "Exists") == 0;
}

int ds_tolerates(const struct cplane_host_api *api, const cplane_object *ds,
                 const char *key, const char *value, const char *effect) {
  int n = api->object_len(ds, TOLS), i;
  size_t d;

  for (d = 0; d < N_DAEMON_TOLS; d++)
    if (eq(daemon_tols[d].key, key) && eq(daemon_tols[d].effect, effect) &&
        (!daemon_tols[d].host_network || host_network(api, ds)))
      return 1;
  for (i = 0; i < n; i++)
    if (template_tolerates(api, ds, i, key, value, effect))
      return 1;
  return 0;
}

/* 1 when the template holds exactly this Exists toleration (kube's
 * MatchToleration: same key, operator, value and effect). */
static int template_has(const struct cplane_host_api *api,
                        const cplane_object *ds, const char *key,
                        const char *effect) {
  int n = api->object_len(ds, TOLS), i;

  for (i = 0; i < n; i++)
    if (eq(cplane_array_string(api, ds, TOLS, i, "key"), key) &&
        eq(cplane_array_string(api, ds, TOLS, i, "operator"), "Exists") &&
        empty(cplane_array_string(api, ds, TOLS, i, "value")) &&
        eq(cplane_array_string(api, ds, TOLS, i, "effect"), effect))
      return 1;
  return 0;
}

char *ds_tolerations_json(const struct cplane_host_api *api,
                          const cplane_object *ds) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  char *mine = api->object_type(ds, TOLS) == CPLANE_TYPE_ARRAY
                   ? api->object_json(ds, TOLS)
                   : NULL;
  int sep = 0;
  size_t d;

  cplane_strbuf_add(&b, "[");
  if (mine != NULL && strcmp(mine, "[]") != 0) {
    /* Their elements as they are, without the brackets. */
    cplane_strbuf_addn(&b, mine + 1, strlen(mine) - 2);
    sep = 1;
  }
  api->free(mine);
  for (d = 0; d < N_DAEMON_TOLS; d++) {
    if ((daemon_tols[d].host_network && !host_network(api, ds)) ||
        template_has(api, ds, daemon_tols[d].key, daemon_tols[d].effect))
      continue;
    cplane_strbuf_addf(&b,
                       "%s{\"key\":\"%s\",\"operator\":\"Exists\","
                       "\"effect\":\"%s\"}",
                       sep ? "," : "", daemon_tols[d].key,
                       daemon_tols[d].effect);
    sep = 1;
  }
  cplane_strbuf_add(&b, "]");
  return cplane_strbuf_finish(&b);
}
