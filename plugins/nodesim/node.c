/*
 * node - what a simulated Node is and reports. See node.h.
 */
#include "node.h"

#include <stdio.h>
#include <string.h>

/* The index of node `name` if it is one of ours, else -1. */
int nsim_node_index(const struct nodesim *st, const char *name) {
  size_t plen = strlen(st->prefix);
  const char *p;
  long v = 0;

  if (name == NULL || strncmp(name, st->prefix, plen) != 0)
    return -1;
  p = name + plen;
  if (*p == '\0' || (p[0] == '0' && p[1] != '\0'))
    return -1;
  for (; *p != '\0'; p++) {
    if (*p < '0' || *p > '9')
      return -1;
    v = v * 10 + (*p - '0');
    if (v >= st->count)
      return -1;
  }
  return (int)v;
}

int nsim_node_stopped(const struct cplane_host_api *api,
                      const cplane_object *node) {
  const char *v = api->object_annotation(node, STOPPED_ANNOTATION);

  return v != NULL && strcmp(v, "true") == 0;
}

void nsim_node_ip(int i, char *buf, size_t len) {
  snprintf(buf, len, "10.1.%d.%d", i / 254, i % 254 + 1);
}

/* A member of the node's condition of `type`, or NULL. */
const char *nsim_condition_field(const struct cplane_host_api *api,
                                 const cplane_object *obj, const char *type,
                                 const char *field) {
  int i = cplane_condition_find(api, obj, "status.conditions", type);

  return i >= 0 ? cplane_array_string(api, obj, "status.conditions", i, field)
                : NULL;
}

/* metadata.labels: the INI's labels win over the defaults. */
void nsim_node_labels(const struct cplane_host_api *api,
                      struct cplane_strbuf *b, const struct nodesim *st,
                      const char *name) {
  static const char *const defaults[][2] = {
      {"kubernetes.io/hostname", NULL},
      {"kubernetes.io/os", "linux"},
      {"kubernetes.io/arch", "amd64"},
      {"type", "sim"},
  };
  size_t i;
  int j, first = 1;

  cplane_strbuf_add(b, "{");
  for (j = 0; j < st->n_labels; j++) {
    cplane_strbuf_add(b, first ? "" : ",");
    cplane_strbuf_take(b, api, api->json_format("%s", st->labels[j].key));
    cplane_strbuf_add(b, ":");
    cplane_strbuf_take(b, api, api->json_format("%s", st->labels[j].value));
    first = 0;
  }
  for (i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
    int overridden = 0;

    for (j = 0; j < st->n_labels; j++)
      overridden |= strcmp(st->labels[j].key, defaults[i][0]) == 0;
    if (overridden)
      continue;
    cplane_strbuf_add(b, first ? "" : ",");
    cplane_strbuf_take(b, api, api->json_format("%s", defaults[i][0]));
    cplane_strbuf_add(b, ":");
    cplane_strbuf_take(
        b, api, api->json_format("%s", defaults[i][1] ? defaults[i][1] : name));
    first = 0;
  }
  cplane_strbuf_add(b, "}");
}

/* The whole status a healthy node reports. `ready_since` keeps the Ready
 * condition's lastTransitionTime when it was already True. Free with
 * api->free. */
char *nsim_node_status_json(const struct cplane_host_api *api,
                            const struct nodesim *st, int64_t now_ms, int i,
                            const char *name, const char *created,
                            const char *ready_since) {
  char now[40], ip[32], id[40];
  char *res, *conds, *out = NULL;

  cplane_time_format(now_ms, now, sizeof now);
  nsim_node_ip(i, ip, sizeof ip);
  snprintf(id, sizeof id, "c91a0e5%025d", i);
  res = api->json_format("{'cpu':%s,'memory':%s,'pods':%s,"
                         "'ephemeral-storage':'100Gi'}",
                         st->cpu, st->memory, st->pods);
  conds = api->json_format(
      "[{'type':'MemoryPressure','status':'False','reason':"
      "'KubeletHasSufficientMemory','message':'kubelet has sufficient "
      "memory available','lastHeartbeatTime':%s,'lastTransitionTime':%s},"
      "{'type':'DiskPressure','status':'False','reason':"
      "'KubeletHasNoDiskPressure','message':'kubelet has no disk pressure',"
      "'lastHeartbeatTime':%s,'lastTransitionTime':%s},"
      "{'type':'PIDPressure','status':'False','reason':"
      "'KubeletHasSufficientPID','message':'kubelet has sufficient PID "
      "available','lastHeartbeatTime':%s,'lastTransitionTime':%s},"
      "{'type':'Ready','status':'True','reason':'KubeletReady','message':"
      "'kubelet is posting ready status','lastHeartbeatTime':%s,"
      "'lastTransitionTime':%s}]",
      now, created, now, created, now, created, now,
      ready_since ? ready_since : now);
  if (res == NULL || conds == NULL)
    goto out;
  out = api->json_format(
      "{'capacity':%j,'allocatable':%j,'conditions':%j,'addresses':["
      "{'type':'InternalIP','address':%s},{'type':'Hostname','address':%s}],"
      "'daemonEndpoints':{'kubeletEndpoint':{'Port':10250}},'nodeInfo':{"
      "'machineID':%s,'systemUUID':%s,'bootID':%s,'kernelVersion':"
      "'6.1.0-nodesim','osImage':'cplane nodesim','containerRuntimeVersion':"
      "'sim://1.0.0','kubeletVersion':'v1.31.0-nodesim','kubeProxyVersion':"
      "'v1.31.0-nodesim','operatingSystem':'linux','architecture':'amd64'},"
      "'images':[]}",
      res, res, conds, ip, name, id, id, id);
out:
  api->free(res);
  api->free(conds);
  return out;
}
