/*
 * custom - the strategy every custom resource shares (kube's
 * customresource strategy): a spec with metadata.generation; its status
 * and scale subresources are its definition's (cp_resource_type
 * subresources), printed NAME, AGE.
 */
#include "apiserver/strategy/strategy.h"

const struct cp_strategy cp_strategy_custom = {
    .group = "",
    .resource = "",
    .flags = CP_STRATEGY_GENERATION,
};
