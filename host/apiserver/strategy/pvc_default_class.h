/*
 * pvc_default_class - kube's DefaultStorageClass admission plugin
 * (plugin/pkg/admission/storage/storageclass/setdefault) for the
 * persistentvolumeclaims strategy's mutate hook: a claim created with no
 * spec.storageClassName (absent or null; "" means "no class" and is
 * kept) and no beta volume.beta.kubernetes.io/storage-class annotation
 * gets the name of the default StorageClass, the one annotated
 * storageclass.kubernetes.io/is-default-class "true" (or the beta
 * annotation). With several defaults the newest wins, ties by name, as
 * kube 1.28+ picks; with none the claim is left as it is.
 *
 * Threading: any request thread; the store is thread-safe. Ownership:
 * pvc borrowed, changed in place.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_PVC_DEFAULT_CLASS_H
#define CPLANE_HOST_APISERVER_STRATEGY_PVC_DEFAULT_CLASS_H

#include <json-c/json.h>

#include "apiserver/strategy/strategy.h"

/* Returns 0, or -1 having set rs to a 500 (the store failed). */
int cp_pvc_default_class_admit(const struct cp_strategy_write *w,
                               json_object *pvc, json_object *old,
                               struct cp_api_response *rs);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_PVC_DEFAULT_CLASS_H */
