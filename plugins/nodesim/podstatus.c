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

/* Appends the JSON object `owned` (api->free'd here; NULL fails b)
 * without its closing brace, for members to follow as raw text: nesting
 * through %j would parse every piece once more, and 150,000 pods start
 * in the bench. */
static void take_open(struct cplane_strbuf *b,
                      const struct cplane_host_api *api, char *owned) {
  cplane_strbuf_take(b, api, owned);
  if (!b->failed && b->len > 0 && b->p[b->len - 1] == '}')
    b->p[--b->len] = '\0';
  else
    b->failed = 1;
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
    int created = !(c->kind == NSIM_C_WAITING && !c->has_last);
    char cid[160];

    if (image == NULL)
      image = "";
    container_id(pod, api, 0, i, c->restarts, cid, sizeof cid);
    if (!ready)
      cplane_strbuf_addf(unready, "%s%s", unready->len ? " " : "",
                         name ? name : "");
    cplane_strbuf_add(b, i > 0 ? "," : "");
    if (c->kind == NSIM_C_RUNNING && !c->has_last) { /* the common case */
      cplane_strbuf_take(
          b, api,
          api->json_format(
              "{'name':%s,'image':%s,'imageID':%s,'containerID':%s,"
              "'ready':%b,'started':true,'restartCount':%d,'state':{"
              "'running':{'startedAt':%s}},'lastState':{}}",
              name, image, image, cid, ready, c->restarts,
              when(c->started_ms).s));
      continue;
    }
    if (created)
      take_open(b, api,
                api->json_format(
                    "{'name':%s,'image':%s,'imageID':%s,'containerID':%s,"
                    "'ready':%b,'started':%b,'restartCount':%d}",
                    name, image, image, cid, ready,
                    c->kind == NSIM_C_RUNNING, c->restarts));
    else /* never created: no container or image ids yet */
      take_open(b, api,
                api->json_format("{'name':%s,'image':%s,'imageID':'',"
                                 "'ready':false,'started':false,"
                                 "'restartCount':%d}",
                                 name, image, c->restarts));
    cplane_strbuf_add(b, ",\"state\":");
    cplane_strbuf_take(b, api, state_json(api, pod, name ? name : "", i, c, 0));
    cplane_strbuf_add(b, ",\"lastState\":");
    if (c->has_last)
      cplane_strbuf_take(b, api,
                         state_json(api, pod, name ? name : "", i, c, 1));
    else
      cplane_strbuf_add(b, "{}");
    cplane_strbuf_add(b, "}");
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

/* Whether the pod's conditions are at most the scheduler's PodScheduled. */
static int only_scheduled(const struct cplane_host_api *api,
                          const cplane_object *pod) {
  int n = api->object_len(pod, "status.conditions");
  const char *type;

  if (n <= 0)
    return 1;
  type = cplane_array_string(api, pod, "status.conditions", 0, "type");
  return n == 1 && type != NULL && strcmp(type, "PodScheduled") == 0;
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

/* The status's first members, left open: phase, IPs, startTime. */
static void add_head(const struct cplane_host_api *api,
                     struct cplane_strbuf *b, const struct nsim_pod_view *v) {
  if (v->pod_ip != NULL)
    take_open(b, api,
              api->json_format(
                  "{'phase':%s,'hostIP':%s,'hostIPs':[{'ip':%s}],'podIP':%s,"
                  "'podIPs':[{'ip':%s}],'startTime':%s}",
                  v->phase, v->host_ip, v->host_ip, v->pod_ip, v->pod_ip,
                  when(v->start_ms).s));
  else
    take_open(b, api,
              api->json_format("{'phase':%s,'hostIP':%s,'hostIPs':[{'ip':%s}],"
                               "'startTime':%s}",
                               v->phase, v->host_ip, v->host_ip,
                               when(v->start_ms).s));
}

/* The same for a pod's first status, Running with every container ready
 * and no condition but the scheduler's PodScheduled, with its conditions
 * (all True): the common start, in one go. cplane_conditions_set and a
 * json_format more would double the cost, and 150,000 pods start in the
 * bench. */
static void add_first_head(const struct cplane_host_api *api,
                           cplane_plugin_ctx *ctx, struct cplane_strbuf *b,
                           const cplane_object *pod,
                           const struct nsim_pod_view *v) {
  const char *scheduled = cplane_array_string(api, pod, "status.conditions",
                                              0, "lastTransitionTime");
  struct tm_text now = when(api->now_ms(ctx));

  take_open(b, api,
            api->json_format(
                "{'phase':%s,'hostIP':%s,'hostIPs':[{'ip':%s}],'podIP':%s,"
                "'podIPs':[{'ip':%s}],'startTime':%s,'conditions':["
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
                v->phase, v->host_ip, v->host_ip, v->pod_ip, v->pod_ip,
                when(v->start_ms).s, now.s, now.s, now.s, now.s,
                scheduled ? scheduled : now.s));
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
  if (strcmp(v->phase, "Running") == 0 && v->pod_ip != NULL &&
      names == NULL && only_scheduled(api, pod)) {
    add_first_head(api, ctx, &b, pod, v);
  } else {
    conds = conditions_json(api, ctx, pod, v, created, names ? names : "");
    if (conds == NULL)
      goto out;
    add_head(api, &b, v);
    cplane_strbuf_add(&b, ",\"conditions\":");
    cplane_strbuf_add(&b, conds);
  }
  cplane_strbuf_add(&b, ",\"containerStatuses\":");
  cplane_strbuf_add(&b, list);
  if (api->object_len(pod, "spec.initContainers") > 0) {
    cplane_strbuf_add(&b, ",\"initContainerStatuses\":");
    add_init_statuses(api, &b, pod, created, v->start_ms);
  }
  cplane_strbuf_add(&b, "}");
  api->free(conds);
  free(list);
  free(names);
  return cplane_strbuf_finish(&b);
out:
  cplane_strbuf_reset(&unready);
  cplane_strbuf_reset(&b);
  free(list);
  free(names);
  return NULL;
}
