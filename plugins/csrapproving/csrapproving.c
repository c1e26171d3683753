/*
 * csrapproving - approves kubelet client certificates as
 * kube-controller-manager's csrapproving controller does: a
 * CertificateSigningRequest for signer
 * kubernetes.io/kube-apiserver-client-kubelet that one of kube's
 * recognizers accepts (recognize.h) is approved when a
 * SubjectAccessReview says its requester (spec.username, uid, groups,
 * extra) may create certificatesigningrequests/selfnodeclient (its own
 * node) or /nodeclient (any node). The approval is an update of the
 * approval subresource adding the condition Approved, reason
 * AutoApproved, with kube's message. A recognized request whose review
 * says no is retried with the backoff (kube's ignorable error); requests
 * with a certificate or already approved or denied are left alone. The
 * modules:
 *
 *   csr_der    spec.request read as PKCS#10 (CN, O, subjectAltName)
 *   recognize  kube's recognizers and their messages
 *
 * Threading: callbacks run on the host's dispatch threads and only
 * enqueue; reconcile runs on the workers with its state on its stack. The
 * only global is the host's function table, written once in init().
 */
#include <cplane/conditions.h>
#include <cplane/cplane.h>

#include "csr_der.h"
#include "recognize.h"

enum { CSR_CSRS };
static const struct cplane_resource csr_resources[] = {
    [CSR_CSRS] = CPLANE_RESOURCE("certificates.k8s.io", "v1",
                                 "certificatesigningrequests"),
};

#define SAR_PATH "/apis/authorization.k8s.io/v1/subjectaccessreviews"
/* Usages a request lists at most (kube's has a dozen kinds). */
#define MAX_USAGES 16

static const struct cplane_host_api *api;

/* Done already: a certificate, or an Approved or Denied condition
 * (kube's GetCertApprovalCondition, whatever its status). */
static int settled(const cplane_object *csr) {
  const char *cert = api->object_string(csr, "status.certificate");

  return (cert != NULL && cert[0] != '\0') ||
         cplane_condition_find(api, csr, "status.conditions", "Approved") >=
             0 ||
         cplane_condition_find(api, csr, "status.conditions", "Denied") >= 0;
}

static void consider(cplane_plugin_ctx *ctx, const cplane_object *csr) {
  const char *signer = api->object_string(csr, "spec.signerName");

  if (signer != NULL && strcmp(signer, KUBELET_CLIENT_SIGNER) == 0 &&
      !settled(csr))
    api->enqueue(ctx, api->object_key(csr));
}

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  (void)res;
  consider(ctx, obj);
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  (void)res;
  (void)old_obj;
  consider(ctx, new_obj);
}

struct usages {
  const char *v[MAX_USAGES];
  size_t n;
};

static int add_usage(void *userdata, const char *key, const char *str) {
  struct usages *u = userdata;

  (void)key;
  if (str == NULL || u->n == MAX_USAGES)
    return 1; /* not a string list kube would have admitted: stop */
  u->v[u->n++] = str;
  return 0;
}

/* The SubjectAccessReview of the requester for `subresource`: 1 allowed,
 * 0 not, -1 when it could not be asked. */
static int review(cplane_plugin_ctx *ctx, const cplane_object *csr,
                  const char *subresource) {
  char *groups = api->object_json(csr, "spec.groups");
  char *extra = api->object_json(csr, "spec.extra");
  char *body, *resp = NULL;
  const cplane_object *sar = NULL;
  size_t len = 0;
  int code, allowed = 0, rc = -1;

  body = api->json_format(
      "{'apiVersion':'authorization.k8s.io/v1','kind':'SubjectAccessReview',"
      "'spec':{'user':%s,'uid':%s,'groups':%j,'extra':%j,"
      "'resourceAttributes':{'group':'certificates.k8s.io',"
      "'resource':'certificatesigningrequests','verb':'create',"
      "'subresource':%s,'version':'*'}}}",
      api->object_string(csr, "spec.username"),
      api->object_string(csr, "spec.uid"), groups ? groups : "null",
      extra ? extra : "null", subresource);
  if (body == NULL)
    goto out;
  code = api->request(ctx, "POST", SAR_PATH, body, &resp, &len);
  if (code != 201 && code != 200) {
    api->log(ctx, CPLANE_LOG_WARN, "%s: SubjectAccessReview: %d %.200s",
             api->object_name(csr), code, resp != NULL ? resp : "");
    goto out;
  }
  if (resp == NULL || api->object_parse(resp, len, &sar, NULL) != CPLANE_OK)
    goto out;
  rc = api->object_bool(sar, "status.allowed", &allowed) == CPLANE_OK &&
       allowed;
out:
  api->object_release(sar);
  api->free(resp);
  api->free(body);
  api->free(extra);
  api->free(groups);
  return rc;
}

/* Writes the Approved condition through the approval subresource. */
static int approve(cplane_plugin_ctx *ctx, const cplane_object *csr,
                   const char *message) {
  struct cplane_condition c = {"Approved", "True", "AutoApproved", message,
                               0};
  char *conds = NULL, *spec = api->object_json(csr, "spec"), *body = NULL,
       *msg = NULL;
  int code = 0;

  if (spec == NULL || cplane_conditions_set(api, ctx, csr, "status.conditions",
                                            &c, 1, &conds, NULL) != CPLANE_OK)
    goto out;
  body = api->json_format(
      "{'apiVersion':'certificates.k8s.io/v1',"
      "'kind':'CertificateSigningRequest','metadata':{'name':%s,"
      "'resourceVersion':%s},'spec':%j,'status':{'conditions':%j}}",
      api->object_name(csr), api->object_resource_version(csr), spec, conds);
  if (body == NULL)
    goto out;
  code = api->write_subresource(ctx, &csr_resources[CSR_CSRS],
                                CPLANE_WRITE_UPDATE, NULL,
                                api->object_name(csr), "approval", body, NULL,
                                &msg);
  if (code != 200)
    api->log(ctx, CPLANE_LOG_WARN, "%s: error updating approval for csr: "
                                   "%d %s",
             api->object_name(csr), code, msg != NULL ? msg : "");
out:
  api->free(msg);
  api->free(body);
  api->free(conds);
  api->free(spec);
  return code == 200 ? 0 : -1;
}

/* kube's sarApprover.handle on a request not yet settled. */
static int handle(cplane_plugin_ctx *ctx, const cplane_object *csr,
                  const struct csr_der *req) {
  struct usages u = {{0}, 0};
  struct csr_spec spec;
  const struct recognizer *rs;
  char tried[64] = "";
  size_t n, i;

  api->object_foreach(csr, "spec.usages", add_usage, &u);
  spec.signer_name = api->object_string(csr, "spec.signerName");
  spec.username = api->object_string(csr, "spec.username");
  spec.usages = u.v;
  spec.n_usages = u.n;
  rs = recognizers(&n);
  for (i = 0; i < n; i++) {
    int allowed;

    if (!recognized(i, &spec, req))
      continue;
    snprintf(tried + strlen(tried), sizeof tried - strlen(tried), "%s%s",
             tried[0] ? " " : "", rs[i].subresource);
    if ((allowed = review(ctx, csr, rs[i].subresource)) < 0)
      return CPLANE_RECONCILE_RETRY;
    if (allowed)
      return approve(ctx, csr, rs[i].message) == 0
                 ? CPLANE_RECONCILE_DONE
                 : CPLANE_RECONCILE_RETRY;
  }
  if (tried[0] == '\0')
    return CPLANE_RECONCILE_DONE;
  /* kube's ignorable error: retried, logged quietly. */
  api->log(ctx, CPLANE_LOG_DEBUG, "recognized csr \"%s\" as [%s] but "
                                  "subject access review was not approved",
           api->object_name(csr), tried);
  return CPLANE_RECONCILE_RETRY;
}

static int csr_reconcile(cplane_plugin_ctx *ctx, const char *key,
                         uint32_t *requeue_after_ms) {
  const cplane_object *csr = NULL;
  struct csr_der req;
  int rc = CPLANE_RECONCILE_DONE;

  (void)requeue_after_ms;
  if (api->cache_get(ctx, CSR_CSRS, key, &csr) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (settled(csr))
    goto out;
  if (csr_der_parse(api->object_string(csr, "spec.request"), &req) < 0) {
    api->log(ctx, CPLANE_LOG_WARN, "unable to parse csr \"%s\"", key);
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  rc = handle(ctx, csr, &req);
  csr_der_clear(&req);
out:
  api->object_release(csr);
  return rc;
}

static int csr_init(cplane_plugin_ctx *ctx,
                    const struct cplane_host_api *host_api, char **errmsg) {
  (void)errmsg;
  api = host_api;
  api->log(ctx, CPLANE_LOG_INFO,
           "approving kubelet client certificate requests after "
           "SubjectAccessReview");
  return CPLANE_OK;
}

/* No keys of its own: any key beside the host's is a misspelling. */
static const char *const csr_config_keys[] = {NULL};

/* Beyond what it watches: the SubjectAccessReviews it asks
 * (confine_plugins). */
static const struct cplane_resource csr_writes[] = {
    CPLANE_RESOURCE("authorization.k8s.io", "v1", "subjectaccessreviews"),
};

static const struct cplane_plugin csr_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "csrapproving",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 1,
    .resources = csr_resources,
    .n_writes = 1,
    .writes = csr_writes,
    .init = csr_init,
    .on_add = on_add,
    .on_update = on_update,
    .reconcile = csr_reconcile,
    .config_keys = csr_config_keys,
};

CPLANE_PLUGIN_DEFINE(csr_plugin)
