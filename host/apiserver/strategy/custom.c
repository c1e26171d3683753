/*
 * custom - the strategy every custom resource shares (kube's
 * customresource strategy): a spec with metadata.generation; its status
 * and scale subresources are its definition's (cp_resource_type
 * subresources), printed NAME, AGE.
 */
#include "apiserver/strategy/strategy.h"

#include <json-c/json.h>

/* kube's customResourceStrategy.PrepareForCreate: with a status
 * subresource, the status is not the creator's to set. */
static void prepare_create(const struct cp_strategy_write *w,
                           json_object *o) {
  if (w->rq != NULL && (w->rq->type->subresources & CP_SUB_STATUS) != 0 &&
      json_object_is_type(o, json_type_object))
    json_object_object_del(o, "status");
}

const struct cp_strategy cp_strategy_custom = {
    .group = "",
    .resource = "",
    .flags = CP_STRATEGY_GENERATION,
    .prepare_create = prepare_create,
};
