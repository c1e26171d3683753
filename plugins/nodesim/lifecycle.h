/*
 * lifecycle - a simulated pod's timeline, as the kubelet would live it:
 * what its containers are doing (read from the status nodesim wrote),
 * when the next thing is due (start, ready, exit, restart, delete) and
 * what they do next. Every container of a pod moves alike: they share
 * the run time and exit code (the INI's run_seconds and exit_code, or
 * the pod's cplane.io/nodesim-run-seconds and cplane.io/nodesim-exit-code
 * annotations); only readiness is per container
 * (readinessProbe.initialDelaySeconds).
 *
 *   restartPolicy Always     runs until deleted
 *   Never, OnFailure         exits after the run time: 0 is Succeeded
 *                            (terminated, Completed); non-zero with Never
 *                            is Failed (terminated, Error); with OnFailure
 *                            the container restarts, at once the first
 *                            time, then after the kubelet's back-off (10 s
 *                            doubling, at most 5 min; waiting in
 *                            CrashLoopBackOff meanwhile), and the pod
 *                            stays Running
 *
 * Ownership: borrows the pod and st; struct nsim_containers is the
 * caller's and points into nothing but static text.
 *
 * Threading: pure functions of borrowed objects (time comes in).
 */
#ifndef NODESIM_LIFECYCLE_H
#define NODESIM_LIFECYCLE_H

#include "sim.h"

#include <stdint.h>

enum nsim_container_kind { NSIM_C_WAITING, NSIM_C_RUNNING, NSIM_C_TERMINATED };

/* What every container of a pod is doing. */
struct nsim_containers {
  enum nsim_container_kind kind;
  /* Waiting: ContainerCreating, CreateContainerConfigError or
   * CrashLoopBackOff; terminated: Completed or Error. Static text. */
  const char *reason;
  char message[400]; /* waiting; "" for none */
  int exit_code;     /* terminated */
  int64_t started_ms, finished_ms;
  int restarts;
  /* The run before the last restart (lastState.terminated). */
  int has_last, last_exit;
  int64_t last_started_ms, last_finished_ms;
};

enum nsim_step {
  NSIM_STEP_NONE,    /* nothing until the pod changes */
  NSIM_STEP_START,   /* a bound Pending pod: start it, or see whether
                        what blocked it is there now */
  NSIM_STEP_ADVANCE, /* a Running pod: ready, exit or restart is due */
  NSIM_STEP_DELETE   /* marked for deletion */
};

/* What is next for pod (bound to one of st's nodes or not) at now_ms, and
 * when (*due_ms, epoch ms). Pods of restartPolicy Always that are ready
 * cost a few lookups and give NONE. */
enum nsim_step nsim_pod_next(const struct cplane_host_api *api,
                             const struct nodesim *st,
                             const cplane_object *pod, int64_t now_ms,
                             int64_t *due_ms);

/* The state containerStatuses[0] shows: 0, or -1 when there is none. */
int nsim_containers_read(const struct cplane_host_api *api,
                         const cplane_object *pod, struct nsim_containers *c);

/* Moves c, the containers of the Running pod, on to now_ms: exit,
 * restart, back-off over. *phase becomes Succeeded or Failed when the pod
 * is done, else stays. 1 when a status must be written (also when only
 * readiness changed), else 0. */
int nsim_pod_advance(const struct cplane_host_api *api,
                     const struct nodesim *st, const cplane_object *pod,
                     struct nsim_containers *c, int64_t now_ms,
                     const char **phase);

/* Starts c running at now_ms (a fresh pod: no restarts). */
void nsim_containers_start(struct nsim_containers *c, int64_t now_ms);

/* How long the pod's containers run, and their exit code. */
int64_t nsim_pod_run_ms(const struct cplane_host_api *api,
                        const struct nodesim *st, const cplane_object *pod);
int nsim_pod_exit_code(const struct cplane_host_api *api,
                       const struct nodesim *st, const cplane_object *pod);
/* When container k (started at started_ms) is ready. */
int64_t nsim_container_ready_ms(const struct cplane_host_api *api,
                                const cplane_object *pod, int k,
                                int64_t started_ms);
/* The wait before restart number restarts + 1: 0 for the first, then
 * 10 s doubling, at most 5 min. */
int64_t nsim_restart_backoff_ms(int restarts);
/* How long a pod blocked for waited_ms waits before the next look. */
uint32_t nsim_blocked_retry_ms(int64_t waited_ms);

#endif
