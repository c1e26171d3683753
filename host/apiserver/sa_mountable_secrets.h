/*
 * sa_mountable_secrets - kube's ServiceAccount admission check for a
 * ServiceAccount annotated kubernetes.io/enforce-mountable-secrets:
 * "true" (plugin/pkg/admission/serviceaccount limitSecretReferences): a
 * pod using it may only use the Secrets the ServiceAccount lists in
 * secrets (as secret volumes, env valueFrom.secretKeyRef and envFrom
 * secretRef of its init and app containers) and in imagePullSecrets.
 *
 * Threading: pure. Ownership: objects borrowed; the message returned is
 * malloc'd, the caller frees it.
 */
#ifndef CPLANE_HOST_APISERVER_SA_MOUNTABLE_SECRETS_H
#define CPLANE_HOST_APISERVER_SA_MOUNTABLE_SECRETS_H

#include <json-c/json.h>

#define CP_SA_ENFORCE_MOUNTABLE "kubernetes.io/enforce-mountable-secrets"

/* Whether ServiceAccount sa carries the annotation with a value Go's
 * strconv.ParseBool reads as true. */
int cp_sa_enforces_mountable(json_object *sa);

/* 0 when pod only uses what sa (named sa_name) allows; 1 with *why set
 * to kube's message for the first reference it does not ("volume with
 * secret.secretName=\"s\" is not allowed because service account sa
 * does not reference that secret"); -1 out of memory. */
int cp_sa_limit_secret_references(json_object *sa, const char *sa_name,
                                  json_object *pod, char **why);

#endif /* CPLANE_HOST_APISERVER_SA_MOUNTABLE_SECRETS_H */
