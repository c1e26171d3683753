/*
 * admission_serviceaccount - kube-apiserver's ServiceAccount admission
 * plugin (plugin/pkg/admission/serviceaccount) on pod creates:
 *
 *   - spec.serviceAccountName defaults to "default";
 *   - the ServiceAccount must exist, else 403
 *       pods "web" is forbidden: error looking up service account
 *       NS/NAME: serviceaccount "NAME" not found
 *     ("default" is looked up 10 times, 100-200 ms apart, since the
 *     serviceaccount controller creates it: a pod made right after its
 *     namespace waits for it as in kube);
 *   - unless automountServiceAccountToken is false (pod first, then the
 *     ServiceAccount), the projected volume kube-api-access-<5 random>
 *     (token, kube-root-ca.crt's ca.crt, the namespace) and its read-only
 *     mount at /var/run/secrets/kubernetes.io/serviceaccount in every
 *     init and app container that has nothing mounted there;
 *   - the ServiceAccount's imagePullSecrets when the pod has none;
 *   - mirror pods (annotation kubernetes.io/config.mirror) are left as
 *     they are, and refused when they name a ServiceAccount, reference a
 *     Secret or project a token, with kube's messages.
 *
 * ServiceAccounts found are remembered for a second in ctx->sa_cache (an
 * nscache keyed "ns/name"; ServiceAccount writes through this server
 * invalidate it), so a burst of pod creates reads each one once.
 * "[apiserver] disable_admission_plugins = ServiceAccount" turns it off.
 *
 * Threading: any request worker (the retries sleep on it, as kube's
 * admission does on its request goroutine). Ownership: pod borrowed and
 * changed in place.
 */
#ifndef CPLANE_HOST_APISERVER_ADMISSION_SERVICEACCOUNT_H
#define CPLANE_HOST_APISERVER_ADMISSION_SERVICEACCOUNT_H

#include <json-c/json.h>

#include "apiserver/strategy/strategy.h"

/* kube's names. */
#define CP_SA_DEFAULT_NAME "default"
#define CP_SA_TOKEN_MOUNT_PATH "/var/run/secrets/kubernetes.io/serviceaccount"
#define CP_SA_VOLUME_PREFIX "kube-api-access-"

/* On a pod create (nothing on updates and subresources): returns 0, or
 * -1 having set rs to the 403 (or 500 when the store failed). */
int cp_admission_serviceaccount(const struct cp_strategy_write *w,
                                json_object *pod, struct cp_api_response *rs);

/* The mutation alone, for a pod whose ServiceAccount was found with
 * automount (-1 unset, 0 false, 1 true) and pull_secrets (borrowed
 * array, or NULL); suffix is the volume name's 5 characters. */
void cp_sa_mount_token(json_object *pod, int sa_automount,
                       json_object *pull_secrets, const char *suffix);

/* The projected volume kube adds, named name (new object). */
json_object *cp_sa_token_volume(const char *name);

#endif /* CPLANE_HOST_APISERVER_ADMISSION_SERVICEACCOUNT_H */
