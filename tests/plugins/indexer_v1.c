/* indexer 0.1.0: registers "by-team" with values "v1:TEAM" (indexer.h) */
#define IDX_VERSION "0.1.0"
#define IDX_PREFIX "v1:"
#include "indexer.h"
