/*
 * podwrites - a ReplicaSet's pod creates and deletes, and its status.
 * See podwrites.h.
 */
#include "podwrites.h"

#include "pods.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define CREATE_THREADS 16

/* Records the expectation of a batch. */
static void expect(const struct cplane_host_api *api, struct cplane_expectations *x,
                   cplane_plugin_ctx *ctx, const char *key, int creates,
                   int deletes) {
  if (cplane_expect_set(x, key, creates, deletes, api->now_ms(ctx)) != 0)
    /* Out of memory: without the expectation the next reconcile may act
     * on a stale cache; say so rather than fail silently. */
    api->log(ctx, CPLANE_LOG_WARN,
             "%s: out of memory recording "
             "expectations",
             key);
}

/* One thread's share of a batch of creates. */
struct creator {
  const struct cplane_host_api *api;
  cplane_plugin_ctx *ctx;
  const char *ns, *body;
  int todo, made, code;
  char *msg; /* the first failure's message; owned (api->free) */
};

static void *creator_main(void *arg) {
  struct creator *c = arg;
  const struct cplane_host_api *api = c->api;

  for (; c->made < c->todo; c->made++) {
    c->code = api->create(c->ctx, &rs_resources[RS_PODS], c->ns, c->body, NULL,
                          &c->msg);
    if (c->code != 201)
      break;
  }
  return NULL;
}

/* Creates n pods from the template in "slow start" batches of 1, 2, 4...
 * as kube-controller-manager does: each batch runs in parallel (at most
 * CREATE_THREADS calls at once), and the first failing batch ends the
 * round, so a quota or an invalid template costs one call, not n. */
int rs_create_pods(const struct cplane_host_api *api, struct cplane_expectations *x,
                   cplane_plugin_ctx *ctx, const cplane_object *rs,
                   const char *key, int n) {
  char *labels = api->object_json(rs, "spec.template.metadata.labels");
  /* kube's GetPodFromTemplate copies the template's annotations and
   * finalizers too (nodesim and others read pods' annotations). */
  char *annotations =
      api->object_json(rs, "spec.template.metadata.annotations");
  char *finalizers = api->object_json(rs, "spec.template.metadata.finalizers");
  char *spec = api->object_json(rs, "spec.template.spec");
  char *ref =
      cplane_controller_ref_json(api, rs, RS_OWNER_API_VERSION, RS_OWNER_KIND);
  char prefix[300], *body = NULL, *first_msg = NULL;
  int made = 0, batch = 1, remaining = n, failed = 0, first_code = 0, i;

  snprintf(prefix, sizeof prefix, "%s-", api->object_name(rs));
  expect(api, x, ctx, key, n, 0);
  /* A NULL %j would write null: without a reference there is no pod. */
  if (ref != NULL)
    body = api->json_format(
        "{'apiVersion':'v1','kind':'Pod','metadata':{'generateName':%s,"
        "'namespace':%s,'labels':%j,'annotations':%j,'finalizers':%j,"
        "'ownerReferences':[%j]},'spec':%j}",
        prefix, api->object_namespace(rs), labels, annotations, finalizers,
        ref, spec);
  if (body == NULL) {
    failed = 1;
    first_code = CPLANE_ENOMEM;
  }
  while (remaining > 0 && !failed) {
    struct creator c[CREATE_THREADS];
    pthread_t th[CREATE_THREADS];
    int b = batch < remaining ? batch : remaining;
    int t = b < CREATE_THREADS ? b : CREATE_THREADS;

    int threaded[CREATE_THREADS] = {0};

    for (i = 0; i < t; i++)
      c[i] = (struct creator){
          api, ctx, api->object_namespace(rs), body, b / t + (i < b % t), 0,
          201, NULL};
    /* Shares 1.. on threads, share 0 (and any whose thread cannot start)
     * on this one. */
    for (i = 1; i < t; i++)
      threaded[i] = pthread_create(&th[i], NULL, creator_main, &c[i]) == 0;
    for (i = 0; i < t; i++)
      if (!threaded[i])
        creator_main(&c[i]);
    for (i = 0; i < t; i++) {
      if (threaded[i])
        pthread_join(th[i], NULL);
      made += c[i].made;
      if (c[i].code != 201) {
        failed = 1;
        if (first_msg == NULL) {
          first_msg = c[i].msg;
          first_code = c[i].code;
          c[i].msg = NULL;
        }
      }
      api->free(c[i].msg);
    }
    remaining -= b;
    batch *= 2;
  }
  if (failed) {
    api->log(ctx, CPLANE_LOG_WARN, "%s: creating a pod failed: %d %s", key,
             first_code, first_msg ? first_msg : "");
    /* No event will come for the ones not made. */
    cplane_expect_observed(x, key, n - made, 0);
  }
  api->free(first_msg);
  api->free(body);
  api->free(ref);
  api->free(labels);
  api->free(annotations);
  api->free(finalizers);
  api->free(spec);
  if (made > 0)
    api->log(ctx, CPLANE_LOG_INFO, "%s: created %d pod(s)", key, made);
  return failed ? -1 : 0;
}

int rs_delete_pods(const struct cplane_host_api *api, struct cplane_expectations *x,
                   cplane_plugin_ctx *ctx, const char *key,
                   const cplane_object **pods, int n_pods, int n) {
  int i, v, deleted = 0, failed = 0;

  expect(api, x, ctx, key, 0, n);
  /* Least valuable first. */
  for (v = 0; v <= 3 && deleted + failed < n; v++) {
    for (i = 0; i < n_pods && deleted + failed < n; i++) {
      char *msg = NULL;
      int code;

      if (pods[i] == NULL || rs_pod_value(api, pods[i]) != v)
        continue;
      code = api->delete_object(ctx, &rs_resources[RS_PODS],
                                api->object_namespace(pods[i]),
                                api->object_name(pods[i]), NULL, &msg);
      pods[i] = NULL;
      if (code == 200) {
        deleted++;
      } else {
        failed++;
        cplane_expect_observed(x, key, 0, 1);
        api->log(ctx, CPLANE_LOG_WARN, "%s: deleting a pod failed: %d %s", key,
                 code, msg ? msg : "");
      }
      api->free(msg);
    }
  }
  if (deleted > 0)
    api->log(ctx, CPLANE_LOG_INFO, "%s: deleted %d pod(s)", key, deleted);
  return failed == 0 ? 0 : -1;
}

void rs_update_status(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                      const cplane_object *rs, int replicas, int ready,
                      int available) {
  int64_t cur_r = -1, cur_ready = -1, cur_avail = -1, cur_gen = -1;
  int64_t gen = api->object_generation(rs);
  char *body, *msg = NULL;

  api->object_int(rs, "status.replicas", &cur_r);
  api->object_int(rs, "status.readyReplicas", &cur_ready);
  api->object_int(rs, "status.availableReplicas", &cur_avail);
  api->object_int(rs, "status.observedGeneration", &cur_gen);
  if (cur_r == replicas && cur_ready == ready && cur_avail == available &&
      cur_gen == gen)
    return;
  body = api->json_format(
      "{'apiVersion':%s,'kind':%s,'metadata':{'name':%s,"
      "'namespace':%s},'status':{'replicas':%d,'readyReplicas':%d,"
      "'availableReplicas':%d,'fullyLabeledReplicas':%d,"
      "'observedGeneration':%lld}}",
      RS_OWNER_API_VERSION, RS_OWNER_KIND, api->object_name(rs),
      api->object_namespace(rs), replicas, ready, available, replicas,
      (long long)gen);
  if (body != NULL)
    api->update_status(ctx, &rs_resources[RS_REPLICASETS],
                       api->object_namespace(rs), api->object_name(rs), body,
                       NULL, &msg);
  api->free(msg);
  api->free(body);
}
