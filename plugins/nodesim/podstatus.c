/*
 * podstatus - a pod's status at each stage of its life. See podstatus.h.
 */
#include "podstatus.h"

#include <stdio.h>
#include <string.h>

struct tm_text {
  char s[CPLANE_TIME_LEN];
};

static struct tm_text when(int64_t ms) {
  struct tm_text t;

  if (cplane_time_format(ms, t.s, sizeof t.s) != CPLANE_OK)
    t.s[0] = '\0';
  return t;
}

/* The id of container i's run number `run` (restarts before it). */
static void container_id(const cplane_object *pod,
                         const struct cplane_host_api *api, int init, int i,
                         int run, char *buf, size_t len) {
  const char *uid = api->object_uid(pod);

  if (run > 0)
    snprintf(buf, len, "sim://%s-%s%d-%d", uid ? uid : "", init ? "i" : "",
             i, run);
  else
    snprintf(buf, len, "sim://%s-%s%d", uid ? uid : "", init ? "i" : "", i);
}

/* state (or lastState when `last`) of app container i, as JSON. */
static char *state_json(const struct cplane_host_api *api,
                        const cplane_object *pod, const char *name, int i,
                        const struct nsim_containers *c, int last) {
  char cid[160];

  if (last) {
    if (!c->has_last)
      return api->json_format("{}");
    container_id(pod, api, 0, i, c->restarts - (c->kind == NSIM_C_RUNNING),
                 cid, sizeof cid);
    return api->json_format(
        "{'terminated':{'exitCode':%d,'reason':%s,'startedAt':%s,"
        "'finishedAt':%s,'containerID':%s}}",
        c->last_exit, c->last_exit == 0 ? "Completed" : "Error",
        when(c->last_started_ms).s, when(c->last_finished_ms).s, cid);
  }
  container_id(pod, api, 0, i, c->restarts, cid, sizeof cid);
  if (c->kind == NSIM_C_RUNNING)
    return api->json_format("{'running':{'startedAt':%s}}",
                            when(c->started_ms).s);
  if (c->kind == NSIM_C_TERMINATED)
    return api->json_format(
        "{'terminated':{'exitCode':%d,'reason':%s,'startedAt':%s,"
        "'finishedAt':%s,'containerID':%s}}",
        c->exit_code, c->reason, when(c->started_ms).s,
        when(c->finished_ms).s, cid);
  if (strcmp(c->reason, "CrashLoopBackOff") == 0) {
    char msg[400];

    snprintf(msg, sizeof msg,
             "back-off %llds restarting failed container=%s pod=%s_%s(%s)",
             (long long)(nsim_restart_backoff_ms(c->restarts) / 1000), name,
             api->object_name(pod), api->object_namespace(pod),
             api->object_uid(pod) ? api->object_uid(pod) : "");
    return api->json_format("{'waiting':{'reason':%s,'message':%s}}",
                            c->reason, msg);
  }
  if (c->message[0] != '\0')
    return api->json_format("{'waiting':{'reason':%s,'message':%s}}",
                            c->reason, c->message);
  return api->json_format("{'waiting':{'reason':%s}}", c->reason);
}

/* Whether app container i is ready at now_ms. */
static int container_ready(const struct cplane_host_api *api,
                           const cplane_object *pod,
                           const struct nsim_pod_view *v, int i,
                           int64_t now_ms) {
  return v->c->kind == NSIM_C_RUNNING && strcmp(v->phase, "Running") == 0 &&
         nsim_container_ready_ms(api, pod, i, v->c->started_ms) <= now_ms;
}

/* containerStatuses; the names of the unready ones go to unready as
 * "a b". */
static void add_app_statuses(const struct cplane_host_api *api,
                             struct cplane_strbuf *b, const cplane_object *pod,
                             const struct nsim_pod_view *v, int64_t now_ms,
                             struct cplane_strbuf *unready) {
  int n = api->object_len(pod, "spec.containers"), i;
  const struct nsim_containers *c = v->c;

  cplane_strbuf_add(b, "[");
  for (i = 0; i < n; i++) {
    const char *name =
        cplane_array_string(api, pod, "spec.containers", i, "name");
    const char *image =
        cplane_array_string(api, pod, "spec.containers", i, "image");
    int ready = container_ready(api, pod, v, i, now_ms);
    char cid[160], *state = state_json(api, pod, name ? name : "", i, c, 0);
    char *last = state_json(api, pod, name ? name : "", i, c, 1);
    int created = !(c->kind == NSIM_C_WAITING && !c->has_last);

    if (image == NULL)
      image = "";
    container_id(pod, api, 0, i, c->restarts, cid, sizeof cid);
    if (!ready)
      cplane_strbuf_addf(unready, "%s%s", unready->len ? " " : "",
                         name ? name : "");
    cplane_strbuf_add(b, i > 0 ? "," : "");
    if (state == NULL || last == NULL)
      b->failed = 1;
    else if (created)
      cplane_strbuf_take(
          b, api,
          api->json_format(
              "{'name':%s,'image':%s,'imageID':%s,'containerID':%s,"
              "'ready':%b,'started':%b,'restartCount':%d,'state':%j,"
              "'lastState':%j}",
              name, image, image, cid, ready, c->kind == NSIM_C_RUNNING,
              c->restarts, state, last));
    else /* never created: no container or image ids yet */
      cplane_strbuf_take(
          b, api,
          api->json_format("{'name':%s,'image':%s,'imageID':'','ready':false,"
                           "'started':false,'restartCount':%d,'state':%j,"
                           "'lastState':{}}",
                           name, image, c->restarts, state));
    api->free(state);
    api->free(last);
  }
  cplane_strbuf_add(b, "]");
}

/* initContainerStatuses: completed once the app containers were created,
 * else still waiting for the pod to initialise. */
static void add_init_statuses(const struct cplane_host_api *api,
                              struct cplane_strbuf *b,
                              const cplane_object *pod, int done,
                              int64_t start_ms) {
  int n = api->object_len(pod, "spec.initContainers"), i;

  cplane_strbuf_add(b, "[");
  for (i = 0; i < n; i++) {
    const char *name =
        cplane_array_string(api, pod, "spec.initContainers", i, "name");
    const char *image =
        cplane_array_string(api, pod, "spec.initContainers", i, "image");
    char cid[160];

    if (image == NULL)
      image = "";
    container_id(pod, api, 1, i, 0, cid, sizeof cid);
    cplane_strbuf_add(b, i > 0 ? "," : "");
    if (done)
      cplane_strbuf_take(
          b, api,
          api->json_format(
              "{'name':%s,'image':%s,'imageID':%s,'containerID':%s,"
              "'ready':true,'started':false,'restartCount':0,"
              "'state':{'terminated':{'exitCode':0,'reason':"
              "'Completed','startedAt':%s,'finishedAt':%s,"
              "'containerID':%s}}}",
              name, image, image, cid, when(start_ms).s, when(start_ms).s,
              cid));
    else
      cplane_strbuf_take(
          b, api,
          api->json_format("{'name':%s,'image':%s,'imageID':'','ready':false,"
                           "'started':false,'restartCount':0,'state':{"
                           "'waiting':{'reason':'PodInitializing'}}}",
                           name, image));
  }
  cplane_strbuf_add(b, "]");
}

/* The pod's conditions, kube's lastTransitionTime rule kept. */
static char *conditions_json(const struct cplane_host_api *api,
                             cplane_plugin_ctx *ctx, const cplane_object *pod,
                             const struct nsim_pod_view *v, int created,
                             const char *unready) {
  int succeeded = strcmp(v->phase, "Succeeded") == 0;
  int running = strcmp(v->phase, "Running") == 0;
  int has_init = api->object_len(pod, "spec.initContainers") > 0;
  char msg[600];
  struct cplane_condition want[5] = {
      {"PodReadyToStartContainers", running ? "True" : "False", NULL, NULL,
       0},
      {"Initialized", "True", NULL, NULL, 0},
      {"Ready", "True", NULL, NULL, 0},
      {"ContainersReady", "True", NULL, NULL, 0},
      {"PodScheduled", "True", NULL, NULL, 0},
  };
  char *json = NULL;
  int k;

  if (!created && has_init)
    want[1] = (struct cplane_condition){
        "Initialized", "False", "ContainersNotInitialized",
        "containers with incomplete status: [init]", 0};
  snprintf(msg, sizeof msg, "containers with unready status: [%s]", unready);
  for (k = 2; k <= 3; k++) {
    if (succeeded)
      want[k].status = "False", want[k].reason = "PodCompleted";
    else if (unready[0] != '\0')
      want[k].status = "False", want[k].reason = "ContainersNotReady",
      want[k].message = msg;
  }
  if (cplane_conditions_set(api, ctx, pod, "status.conditions", want, 5,
                            &json, NULL) != CPLANE_OK)
    return NULL;
  return json;
}

char *nsim_pod_status_json(const struct cplane_host_api *api,
                           cplane_plugin_ctx *ctx, const cplane_object *pod,
                           const struct nsim_pod_view *v) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT, unready = CPLANE_STRBUF_INIT;
  struct cplane_strbuf cs = CPLANE_STRBUF_INIT;
  int created = !(v->c->kind == NSIM_C_WAITING && !v->c->has_last);
  char *conds = NULL, *names = NULL, *list = NULL;

  add_app_statuses(api, &cs, pod, v, api->now_ms(ctx), &unready);
  /* An empty buffer finishes as NULL: every container is ready. */
  if (unready.failed)
    goto out;
  names = cplane_strbuf_finish(&unready);
  if ((list = cplane_strbuf_finish(&cs)) == NULL)
    goto out;
  conds = conditions_json(api, ctx, pod, v, created, names ? names : "");
  if (conds == NULL)
    goto out;
  if (v->pod_ip != NULL)
    cplane_strbuf_take(
        &b, api,
        api->json_format(
            "{'phase':%s,'hostIP':%s,'hostIPs':[{'ip':%s}],'podIP':%s,"
            "'podIPs':[{'ip':%s}],'startTime':%s,'conditions':%j,"
            "'containerStatuses':%j}",
            v->phase, v->host_ip, v->host_ip, v->pod_ip, v->pod_ip,
            when(v->start_ms).s, conds, list));
  else
    cplane_strbuf_take(
        &b, api,
        api->json_format("{'phase':%s,'hostIP':%s,'hostIPs':[{'ip':%s}],"
                         "'startTime':%s,'conditions':%j,"
                         "'containerStatuses':%j}",
                         v->phase, v->host_ip, v->host_ip,
                         when(v->start_ms).s, conds, list));
  if (api->object_len(pod, "spec.initContainers") > 0) {
    /* Drop the closing brace to append the init containers. */
    if (!b.failed && b.len > 0)
      b.p[--b.len] = '\0';
    cplane_strbuf_add(&b, ",\"initContainerStatuses\":");
    add_init_statuses(api, &b, pod, created, v->start_ms);
    cplane_strbuf_add(&b, "}");
  }
out:
  cplane_strbuf_reset(&unready);
  free(list);
  free(names);
  api->free(conds);
  if (conds == NULL)
    cplane_strbuf_reset(&b);
  return conds != NULL ? cplane_strbuf_finish(&b) : NULL;
}
