/*
 * lifecycle - a simulated pod's timeline. See lifecycle.h.
 */
#include "lifecycle.h"

#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEVER INT64_MAX

static int64_t time_ms(const char *s, int64_t fallback) {
  int64_t ms;

  return cplane_time_parse(s, &ms) == CPLANE_OK ? ms : fallback;
}

/* 'A'lways (also when absent or unknown), 'O'nFailure or 'N'ever. */
static char restart_policy(const struct cplane_host_api *api,
                           const cplane_object *pod) {
  const char *p = api->object_string(pod, "spec.restartPolicy");

  if (p != NULL && strcmp(p, "Never") == 0)
    return 'N';
  if (p != NULL && strcmp(p, "OnFailure") == 0)
    return 'O';
  return 'A';
}

int64_t nsim_pod_run_ms(const struct cplane_host_api *api,
                        const struct nodesim *st, const cplane_object *pod) {
  const char *v = api->object_annotation(pod, RUN_SECONDS_ANNOTATION);
  int64_t ms;

  if (v != NULL && cplane_duration_parse_ms(v, CPLANE_DURATION_BARE_SECONDS,
                                            1000000000, &ms) == CPLANE_OK &&
      ms >= 0)
    return ms;
  return st->run_ms;
}

int nsim_pod_exit_code(const struct cplane_host_api *api,
                       const struct nodesim *st, const cplane_object *pod) {
  const char *v = api->object_annotation(pod, EXIT_CODE_ANNOTATION);
  char *end;
  long n;

  if (v == NULL || *v == '\0')
    return st->exit_code;
  n = strtol(v, &end, 10);
  return *end == '\0' && n >= 0 && n <= 255 ? (int)n : st->exit_code;
}

int64_t nsim_container_ready_ms(const struct cplane_host_api *api,
                                const cplane_object *pod, int k,
                                int64_t started_ms) {
  char p[96];
  int64_t delay = 0;

  snprintf(p, sizeof p, "spec.containers[%d].readinessProbe."
                        "initialDelaySeconds", k);
  if (api->object_int(pod, p, &delay) != CPLANE_OK || delay < 0)
    delay = 0;
  if (delay > 86400 * 365) /* bounded: no overflow below */
    delay = 86400 * 365;
  return started_ms + delay * 1000;
}

int64_t nsim_restart_backoff_ms(int restarts) {
  int64_t ms = RESTART_BACKOFF_MS;
  int i;

  if (restarts <= 0)
    return 0;
  for (i = 1; i < restarts && ms < RESTART_BACKOFF_MAX_MS; i++)
    ms *= 2;
  return ms < RESTART_BACKOFF_MAX_MS ? ms : RESTART_BACKOFF_MAX_MS;
}

uint32_t nsim_blocked_retry_ms(int64_t waited_ms) {
  int64_t ms = waited_ms / 2;

  if (ms < BLOCKED_RETRY_MIN_MS)
    return BLOCKED_RETRY_MIN_MS;
  return ms > BLOCKED_RETRY_MAX_MS ? BLOCKED_RETRY_MAX_MS : (uint32_t)ms;
}

/* The waiting reason nodesim writes that `r` is (static text). */
static const char *static_reason(const char *r) {
  static const char *const known[] = {"CrashLoopBackOff",
                                      "CreateContainerConfigError"};
  size_t k;

  for (k = 0; r != NULL && k < sizeof known / sizeof known[0]; k++)
    if (strcmp(r, known[k]) == 0)
      return known[k];
  return "ContainerCreating";
}

int nsim_containers_read(const struct cplane_host_api *api,
                         const cplane_object *pod, struct nsim_containers *c) {
  const char *cs = "status.containerStatuses[0]";
  char p[128];
  int64_t v = 0;

  memset(c, 0, sizeof *c);
  if (api->object_len(pod, "status.containerStatuses") <= 0)
    return -1;
  snprintf(p, sizeof p, "%s.restartCount", cs);
  if (api->object_int(pod, p, &v) == CPLANE_OK && v > 0 && v < 1000000)
    c->restarts = (int)v;
  snprintf(p, sizeof p, "%s.lastState.terminated.finishedAt", cs);
  if (api->object_string(pod, p) != NULL) {
    c->has_last = 1;
    c->last_finished_ms = time_ms(api->object_string(pod, p), 0);
    snprintf(p, sizeof p, "%s.lastState.terminated.startedAt", cs);
    c->last_started_ms = time_ms(api->object_string(pod, p), 0);
    snprintf(p, sizeof p, "%s.lastState.terminated.exitCode", cs);
    if (api->object_int(pod, p, &v) == CPLANE_OK && v >= 0 && v <= 255)
      c->last_exit = (int)v;
  }
  snprintf(p, sizeof p, "%s.state.running.startedAt", cs);
  if (api->object_string(pod, p) != NULL) {
    c->kind = NSIM_C_RUNNING;
    c->started_ms = time_ms(api->object_string(pod, p), 0);
    return 0;
  }
  snprintf(p, sizeof p, "%s.state.terminated.finishedAt", cs);
  if (api->object_string(pod, p) != NULL) {
    c->kind = NSIM_C_TERMINATED;
    c->finished_ms = time_ms(api->object_string(pod, p), 0);
    snprintf(p, sizeof p, "%s.state.terminated.startedAt", cs);
    c->started_ms = time_ms(api->object_string(pod, p), 0);
    snprintf(p, sizeof p, "%s.state.terminated.exitCode", cs);
    if (api->object_int(pod, p, &v) == CPLANE_OK && v >= 0 && v <= 255)
      c->exit_code = (int)v;
    c->reason = c->exit_code == 0 ? "Completed" : "Error";
    return 0;
  }
  c->kind = NSIM_C_WAITING;
  snprintf(p, sizeof p, "%s.state.waiting.reason", cs);
  c->reason = static_reason(api->object_string(pod, p));
  return 0;
}

/* Whether every container's status says ready. */
static int all_ready(const struct cplane_host_api *api,
                     const cplane_object *pod) {
  int n = api->object_len(pod, "status.containerStatuses"), k, ready;
  char p[80];

  for (k = 0; k < n; k++) {
    snprintf(p, sizeof p, "status.containerStatuses[%d].ready", k);
    if (api->object_bool(pod, p, &ready) != CPLANE_OK || !ready)
      return 0;
  }
  return n > 0;
}

/* When the last container of a pod started at started_ms is ready. */
static int64_t pod_ready_ms(const struct cplane_host_api *api,
                            const cplane_object *pod, int64_t started_ms) {
  int n = api->object_len(pod, "spec.containers"), k;
  int64_t at = started_ms, t;

  for (k = 0; k < n; k++)
    if ((t = nsim_container_ready_ms(api, pod, k, started_ms)) > at)
      at = t;
  return at;
}

static int64_t earlier(int64_t a, int64_t b) { return a < b ? a : b; }

/* When the Running pod's next change is due, or NEVER. */
static int64_t running_due(const struct cplane_host_api *api,
                           const struct nodesim *st, const cplane_object *pod,
                           char policy) {
  struct nsim_containers c;
  int64_t due = NEVER;

  if (nsim_containers_read(api, pod, &c) != 0)
    return NEVER;
  if (c.kind == NSIM_C_RUNNING) {
    if (policy != 'A')
      due = c.started_ms + nsim_pod_run_ms(api, st, pod);
    if (!all_ready(api, pod))
      due = earlier(due, pod_ready_ms(api, pod, c.started_ms));
  } else if (c.kind == NSIM_C_WAITING && c.has_last &&
             strcmp(c.reason, "CrashLoopBackOff") == 0) {
    due = c.last_finished_ms + nsim_restart_backoff_ms(c.restarts);
  }
  return due;
}

enum nsim_step nsim_pod_next(const struct cplane_host_api *api,
                             const struct nodesim *st,
                             const cplane_object *pod, int64_t now_ms,
                             int64_t *due_ms) {
  const char *phase;
  char policy;
  int64_t due;

  *due_ms = now_ms;
  if (nsim_node_index(st, api->object_string(pod, "spec.nodeName")) < 0)
    return NSIM_STEP_NONE;
  if (api->object_deletion_timestamp(pod) != NULL)
    return NSIM_STEP_DELETE;
  phase = api->object_string(pod, "status.phase");
  if (phase == NULL || strcmp(phase, "Pending") == 0) {
    /* Seen blocked before (we wrote its waiting containers): back off. */
    if (api->object_len(pod, "status.containerStatuses") > 0)
      *due_ms = now_ms + nsim_blocked_retry_ms(
                             now_ms - time_ms(api->object_string(
                                                  pod, "status.startTime"),
                                              now_ms));
    else
      *due_ms = now_ms + st->pod_start_delay_ms;
    return NSIM_STEP_START;
  }
  if (strcmp(phase, "Running") != 0)
    return NSIM_STEP_NONE;
  policy = restart_policy(api, pod);
  /* The common case, a ready pod that runs for ever: nothing to read. */
  if (policy == 'A' && all_ready(api, pod))
    return NSIM_STEP_NONE;
  if ((due = running_due(api, st, pod, policy)) == NEVER)
    return NSIM_STEP_NONE;
  *due_ms = due;
  return NSIM_STEP_ADVANCE;
}

void nsim_containers_start(struct nsim_containers *c, int64_t now_ms) {
  c->kind = NSIM_C_RUNNING;
  c->reason = NULL;
  c->message[0] = '\0';
  c->started_ms = now_ms;
}

/* The running containers exit at `at` with `code`. */
static void exit_containers(struct nsim_containers *c, int code, int64_t at) {
  c->kind = NSIM_C_TERMINATED;
  c->exit_code = code;
  c->reason = code == 0 ? "Completed" : "Error";
  c->finished_ms = at;
}

/* OnFailure after a failed run: the run goes to lastState and the
 * containers restart at once the first time, else back off. */
static void restart_containers(struct nsim_containers *c, int64_t now_ms) {
  c->has_last = 1;
  c->last_exit = c->exit_code;
  c->last_started_ms = c->started_ms;
  c->last_finished_ms = c->finished_ms;
  if (c->last_finished_ms + nsim_restart_backoff_ms(c->restarts) <= now_ms) {
    c->restarts++;
    nsim_containers_start(c, now_ms);
    return;
  }
  c->kind = NSIM_C_WAITING;
  c->reason = "CrashLoopBackOff";
  c->message[0] = '\0';
}

int nsim_pod_advance(const struct cplane_host_api *api,
                     const struct nodesim *st, const cplane_object *pod,
                     struct nsim_containers *c, int64_t now_ms,
                     const char **phase) {
  char policy = restart_policy(api, pod);
  int64_t end;
  int code;

  if (c->kind == NSIM_C_WAITING && c->has_last &&
      strcmp(c->reason, "CrashLoopBackOff") == 0) {
    if (c->last_finished_ms + nsim_restart_backoff_ms(c->restarts) > now_ms)
      return 0;
    c->restarts++;
    nsim_containers_start(c, now_ms);
    return 1;
  }
  if (c->kind != NSIM_C_RUNNING)
    return 0;
  end = c->started_ms + nsim_pod_run_ms(api, st, pod);
  if (policy != 'A' && end <= now_ms) {
    code = nsim_pod_exit_code(api, st, pod);
    exit_containers(c, code, end);
    if (code == 0 || policy == 'N') {
      *phase = code == 0 ? "Succeeded" : "Failed";
      return 1;
    }
    restart_containers(c, now_ms);
    return 1;
  }
  return !all_ready(api, pod) && pod_ready_ms(api, pod, c->started_ms) <= now_ms;
}
