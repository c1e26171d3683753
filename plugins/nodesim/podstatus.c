/*
 * podstatus - the status a started pod reports. See podstatus.h.
 */
#include "podstatus.h"

#include <stdio.h>

/* containerStatuses (or initContainerStatuses when `init`) for the
 * containers at `path`, as the kubelet reports them once they run (or,
 * for init containers, have completed). Appends to b. */
static void add_container_statuses(const struct cplane_host_api *api,
                                   struct cplane_strbuf *b,
                                   const cplane_object *pod, const char *path,
                                   int init, const char *now) {
  int n = api->object_len(pod, path), i;
  const char *uid = api->object_uid(pod);
  char p[96];

  cplane_strbuf_add(b, "[");
  for (i = 0; i < n; i++) {
    const char *name, *image;
    char cid[128];

    snprintf(p, sizeof p, "%s[%d].name", path, i);
    name = api->object_string(pod, p);
    snprintf(p, sizeof p, "%s[%d].image", path, i);
    image = api->object_string(pod, p);
    snprintf(cid, sizeof cid, "sim://%s-%s%d", uid ? uid : "", init ? "i" : "",
             i);
    if (i > 0)
      cplane_strbuf_add(b, ",");
    if (init)
      cplane_strbuf_take(
          b, api,
          api->json_format(
              "{'name':%s,'image':%s,'imageID':%s,'containerID':%s,"
              "'ready':true,'started':false,'restartCount':0,"
              "'state':{'terminated':{'exitCode':0,'reason':"
              "'Completed','startedAt':%s,'finishedAt':%s,"
              "'containerID':%s}}}",
              name ? name : "", image ? image : "", image ? image : "", cid,
              now, now, cid));
    else
      cplane_strbuf_take(
          b, api,
          api->json_format(
              "{'name':%s,'image':%s,'imageID':%s,'containerID':%s,"
              "'ready':true,'started':true,'restartCount':0,"
              "'state':{'running':{'startedAt':%s}}}",
              name ? name : "", image ? image : "", image ? image : "", cid,
              now));
  }
  cplane_strbuf_add(b, "]");
}

char *nsim_pod_running_status(const struct cplane_host_api *api,
                              const cplane_object *pod, const char *now,
                              const char *host_ip, const char *pod_ip,
                              const char *scheduled) {
  struct cplane_strbuf b = {0};

  cplane_strbuf_take(
      &b, api,
      api->json_format(
          "{'phase':'Running','hostIP':%s,'hostIPs':[{'ip':%s}],"
          "'podIP':%s,'podIPs':[{'ip':%s}],'startTime':%s,"
          "'conditions':["
          "{'type':'PodReadyToStartContainers','status':'True',"
          "'lastProbeTime':null,'lastTransitionTime':%s},"
          "{'type':'Initialized','status':'True','lastProbeTime':null,"
          "'lastTransitionTime':%s},"
          "{'type':'Ready','status':'True','lastProbeTime':null,"
          "'lastTransitionTime':%s},"
          "{'type':'ContainersReady','status':'True','lastProbeTime':"
          "null,'lastTransitionTime':%s},"
          "{'type':'PodScheduled','status':'True','lastProbeTime':null,"
          "'lastTransitionTime':%s}]}",
          host_ip, host_ip, pod_ip, pod_ip, now, now, now, now, now,
          scheduled ? scheduled : now));
  /* Drop the closing brace to append the container statuses. */
  if (!b.failed && b.len > 0)
    b.p[--b.len] = '\0';
  if (api->object_len(pod, "spec.initContainers") > 0) {
    cplane_strbuf_add(&b, ",\"initContainerStatuses\":");
    add_container_statuses(api, &b, pod, "spec.initContainers", 1, now);
  }
  cplane_strbuf_add(&b, ",\"containerStatuses\":");
  add_container_statuses(api, &b, pod, "spec.containers", 0, now);
  cplane_strbuf_add(&b, "}");
  return cplane_strbuf_finish(&b);
}
