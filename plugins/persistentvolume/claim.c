/*
 * claim - one claim's sync. See claim.h.
 */
#include "claim.h"

#include "bind.h"
#include "match.h"
#include "provision.h"

#include <string.h>

#define MSG_NO_CLASS                                                       \
  "no persistent volumes available for this claim and no storage class is " \
  "set"
#define MSG_WAIT_CONSUMER "waiting for first consumer to be created before binding"

static const struct cplane_resource *claims = &pv_resources[PV_CLAIMS];

/* The node of a scheduled, live pod mounting the claim, or NULL. Borrowed
 * from *pods (list_free it). */
static const char *consumer_node(const struct cplane_host_api *api,
                                 cplane_plugin_ctx *ctx, const char *key,
                                 cplane_object_list **pods) {
  size_t i, n;

  *pods = NULL;
  if (api->cache_list_by_index(ctx, PV_PODS, PV_INDEX_POD_CLAIMS, key, NULL,
                               pods) != CPLANE_OK)
    return NULL;
  n = api->list_len(*pods);
  for (i = 0; i < n; i++) {
    const cplane_object *pod = api->list_at(*pods, i);
    const char *node = api->object_string(pod, "spec.nodeName");

    if (node != NULL && node[0] != '\0' && !cplane_pod_is_terminal(api, pod) &&
        api->object_deletion_timestamp(pod) == NULL)
      return node;
  }
  return NULL;
}

/* Sets the selected-node annotation, as the scheduler's volume binder
 * does once it has placed the claim's first consumer. */
static int select_node(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const cplane_object *claim,
                       const char *node) {
  char *patch = api->json_format(
      "{'metadata':{'resourceVersion':%s,'annotations':{%s:%s}}}",
      api->object_resource_version(claim), PV_ANN_SELECTED_NODE, node);
  int code;

  if (patch == NULL)
    return CPLANE_RECONCILE_RETRY;
  code = api->patch(ctx, claims, api->object_namespace(claim),
                    api->object_name(claim), CPLANE_PATCH_MERGE, patch, NULL,
                    NULL);
  api->free(patch);
  /* The claim's update comes back as an event and queues it again. */
  return code == 200 ? CPLANE_RECONCILE_DONE : CPLANE_RECONCILE_RETRY;
}

/* Creates the claim's volume from the simulated provisioner. */
static int provision(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                     const cplane_object *claim, const cplane_object *sc,
                     const char *node) {
  char *body = pv_provisioned_json(api, claim, sc, node), *msg = NULL;
  int code;

  if (body == NULL) {
    api->log(ctx, CPLANE_LOG_WARN, "%s: cannot build a volume (no request?)",
             api->object_key(claim));
    return CPLANE_RECONCILE_RETRY;
  }
  code = api->create(ctx, &pv_resources[PV_VOLUMES], NULL, body, NULL, &msg);
  api->free(body);
  if (code == 201) {
    char name[300];

    pv_provisioned_name(api, claim, name, sizeof name);
    api->event_record(ctx, claims, claim, "Normal", "ProvisioningSucceeded",
                      "Successfully provisioned volume %s using %s", name,
                      PV_PROVISIONER);
  } else if (code != 409) { /* 409: made already, the cache is behind */
    api->event_record(ctx, claims, claim, "Warning", "ProvisioningFailed",
                      "Failed to provision volume with StorageClass \"%s\": %s",
                      api->object_name(sc), msg != NULL ? msg : "");
  }
  api->free(msg);
  return code == 201 || code == 409 ? CPLANE_RECONCILE_DONE
                                    : CPLANE_RECONCILE_RETRY;
}

/* Binds claim to pv, both sides, in kube's order. */
static int bind(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                const cplane_object *claim, const cplane_object *pv) {
  if (pv_bind_volume(api, ctx, pv, claim) < 0 ||
      pv_volume_phase(api, ctx, pv, "Bound") < 0 ||
      pv_bind_claim(api, ctx, claim, pv) < 0 ||
      pv_claim_phase(api, ctx, claim, pv, "Bound") < 0)
    return CPLANE_RECONCILE_RETRY;
  return CPLANE_RECONCILE_DONE;
}

/* No volume fits: provision one, or say why the claim waits. */
static int no_match(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                    const cplane_object *claim, const cplane_object *sc,
                    const char *node) {
  const char *class = pv_claim_class(api, claim);

  if (class[0] == '\0') {
    api->event_record(ctx, claims, claim, "Normal", "FailedBinding", "%s",
                      MSG_NO_CLASS);
    return CPLANE_RECONCILE_DONE;
  }
  if (sc == NULL) {
    api->event_record(ctx, claims, claim, "Warning", "ProvisioningFailed",
                      "storageclass.storage.k8s.io \"%s\" not found", class);
    return CPLANE_RECONCILE_DONE;
  }
  if (pv_class_simulated(api, sc))
    return provision(api, ctx, claim, sc, node);
  api->event_record(ctx, claims, claim, "Normal", "ExternalProvisioning",
                    "Waiting for a volume to be created either by the "
                    "external provisioner '%s' or manually by the system "
                    "administrator. If volume creation is delayed, please "
                    "verify that the provisioner is running and correctly "
                    "registered.",
                    api->object_string(sc, "provisioner"));
  return CPLANE_RECONCILE_DONE;
}

static int sync_unbound(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, const char *key,
                        const cplane_object *claim) {
  const char *class = pv_claim_class(api, claim);
  const char *node = api->object_annotation(claim, PV_ANN_SELECTED_NODE);
  const cplane_object *sc = NULL, *pv;
  cplane_object_list *volumes = NULL, *pods = NULL;
  int rc = CPLANE_RECONCILE_DONE;

  if (class[0] != '\0')
    api->cache_get(ctx, PV_CLASSES, class, &sc);
  if (sc != NULL && pv_class_waits(api, sc) && node == NULL) {
    const char *chosen = consumer_node(api, ctx, key, &pods);

    if (chosen != NULL)
      rc = select_node(api, ctx, claim, chosen);
    else
      api->event_record(ctx, claims, claim, "Normal", "WaitForFirstConsumer",
                        "%s", MSG_WAIT_CONSUMER);
    goto out;
  }
  if (api->cache_list(ctx, PV_VOLUMES, NULL, NULL, &volumes) != CPLANE_OK) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  pv = pv_best_match(api, volumes, claim);
  rc = pv != NULL ? bind(api, ctx, claim, pv)
                  : no_match(api, ctx, claim, sc, node);
out:
  if (volumes != NULL)
    api->list_free(volumes);
  if (pods != NULL)
    api->list_free(pods);
  api->object_release(sc);
  return rc;
}

/* The claim names a volume: finish the binding, or mark it Lost. */
static int sync_bound(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                      const cplane_object *claim, const char *volume) {
  const char *phase = api->object_string(claim, "status.phase");
  const cplane_object *pv = NULL;
  int rc = CPLANE_RECONCILE_DONE;

  if (api->cache_get(ctx, PV_VOLUMES, volume, &pv) != CPLANE_OK) {
    if (phase != NULL && strcmp(phase, "Bound") == 0) {
      api->event_record(ctx, claims, claim, "Warning", "ClaimLost",
                        "Bound claim has lost its PersistentVolume. Data on "
                        "the volume is lost!");
      if (pv_claim_phase(api, ctx, claim, NULL, "Lost") < 0)
        rc = CPLANE_RECONCILE_RETRY;
    }
    return rc;
  }
  if (api->object_type(pv, "spec.claimRef") == CPLANE_TYPE_OBJECT &&
      !pv_refers_to(api, pv, claim)) {
    api->event_record(ctx, claims, claim, "Warning", "FailedBinding",
                      "volume \"%s\" already bound to a different claim.",
                      volume);
    goto out;
  }
  if (pv_fits(api, pv, claim) || pv_refers_to(api, pv, claim))
    rc = bind(api, ctx, claim, pv);
out:
  api->object_release(pv);
  return rc;
}

int pv_sync_claim(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const char *key) {
  const cplane_object *claim = NULL;
  const char *volume;
  int rc;

  if (api->cache_get(ctx, PV_CLAIMS, key, &claim) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE; /* its volume's sync releases it */
  if (api->object_deletion_timestamp(claim) != NULL) {
    api->object_release(claim);
    return CPLANE_RECONCILE_DONE;
  }
  volume = api->object_string(claim, "spec.volumeName");
  if (volume == NULL || volume[0] == '\0')
    rc = sync_unbound(api, ctx, key, claim);
  else
    rc = sync_bound(api, ctx, claim, volume);
  api->object_release(claim);
  return rc;
}
